"""TrendMonitor: scores per period and segment, charts, forecasts and alerts."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import Field, field_validator

from csimodels._lazy import lazy_module
from csimodels._settings import Settings
from csimodels.data.survey import SurveyData
from csimodels.errors import (
    DataQualityWarning,
    DataValidationError,
    SpecificationError,
    format_offenders,
)
from csimodels.results import warn_and_note
from csimodels.segments import as_by, segment_label
from csimodels.trends._engine import D2, ZERO_SE, adjust_p, cell_stats, chart
from csimodels.trends._reconcile import reconcile
from csimodels.trends.alerts import (
    DEFAULT_TIERS,
    AlertTier,
    Route,
    Threshold,
    check_series_names,
    rank_alerts,
    threshold_alerts,
)
from csimodels.trends.forecasting import (
    forecast_alert_rows,
    forecast_frame,
    future_labels,
    run_forecasts,
)
from csimodels.trends.result import TrendResult

stats = lazy_module("scipy.stats")

__all__ = ["TrendMonitor"]

FloatArray = NDArray[np.float64]
ForecastName = Literal["local_level", "local_linear", "ets", "drift", "auto"]


@dataclass
class _Cells:
    """Per (segment, series, period) statistics and per (segment, series) targets."""

    segments: list[str]
    n: FloatArray
    n_eff: FloatArray
    mean: FloatArray
    se: FloatArray
    weight_sum: FloatArray
    target: FloatArray
    target_se: FloatArray
    n_base: FloatArray
    levels: list[str] = field(default_factory=list)  # hierarchy level of each segment
    parents: list[str] = field(default_factory=list)


class TrendMonitor(Settings):
    """Track 0–100 scores per period and segment; flag drops and rises early.

    For each segment (``by``), tracked series and period, the monitor computes the
    score, its standard error, the change since the previous period with a two-sample
    test, and a control chart (EWMA by default) on the standardised distance to a
    baseline target. Every chart signal and every significant change is an alert.

    Attributes
    ----------
    series : tuple of str
        What to track: items (answer columns) or constructs of the survey (a
        construct's respondent score is the mean of its available item scores).
        Every item needs a declared scale (the 0–100 score is anchored on it).
    statistic : {"mean", "top_box"}
        ``"mean"``: mean score rescaled ``100 (x − min)/(max − min)``; ``"top_box"``:
        percent of answers in the top ``box`` scale points (for a construct: its
        respondent mean in the top ``box`` points).
    box : int
        Scale points counted as the top box.
    periods : tuple of str, optional
        Period order. Default: the sorted labels of the period column (numbers
        numerically, text alphabetically, so "2025Q1" < "2025Q2" and "2025-09" <
        "2025-10"). When given it must list exactly the periods in the data.
    by : str, optional
        Deprecated: pass ``fit(data, by=...)``. Still accepted, with a
        DeprecationWarning.
    baseline : int or tuple of str
        Baseline periods: the first ``k`` periods, or their labels. The chart target
        (and, with ``sigma="baseline"``, sigma) comes from them; the chart runs on the
        periods after the last baseline period.
    chart : {"ewma", "cusum", "shewhart"} or None
        Control chart (:data:`CONTROL_CHARTS`) against the baseline target; None runs
        no chart (e.g. when the forecast rule is the one to alert on).
    ewma_lambda, ewma_width : float
        EWMA smoothing λ (0 < λ ≤ 1) and limit width L.
    ewma_limits : {"exact", "asymptotic"}
        Time-varying limits ``L·sqrt(λ/(2−λ)·(1−(1−λ)^{2t}))`` or their limit as t → ∞.
    cusum_k, cusum_h : float
        Reference value k and decision interval h of the tabular CUSUM, in sigma units.
    shewhart_width : float
        Shewhart limit width L (3: the ±3σ chart).
    sigma : {"standard_error", "baseline"} or float
        How a period's distance to the target is standardised: by its own sampling
        error (``"standard_error"``), by the period-to-period variation seen in the
        baseline (``"baseline"``, needs two or more baseline periods), or by a given
        sigma in 0–100 points.
    test : {"welch", "z"}
        Period-over-period test: Welch t (Welch–Satterthwaite df on effective sample
        sizes) or a z test on the two standard errors.
    alpha : float
        Significance level of the change test (and of its alerts).
    p_adjust : {"none", "holm", "fdr_bh"}
        Multiple-testing adjustment of the change p-values over every (segment, series,
        period) tested in one fit.
    level : float
        Confidence level of the intervals around each period's score.
    min_n : int
        Cells (segment × period) answered by fewer respondents are flagged in a note.
    forecast : {"local_level", "local_linear", "ets", "drift", "auto"} or None
        Forecast model (:data:`FORECAST_MODELS`); None: no forecasts. Every period
        with enough history gets a one-step forecast from a fit on the periods before
        it (rolling origin), and ``horizon`` periods past the last get forecasts from
        a fit on all. An actual outside its interval is an alert (rule
        ``"forecast"``). ``"auto"``: local linear trend with ≥ 10 periods, local
        level with 4–9, drift with 3.
    forecast_level : float
        Level of the forecast (prediction) intervals.
    horizon : int
        Periods forecast past the last observed one.
    observation_variance : {"sampling", "sampling_plus_irregular", "estimated"}
        Measurement noise of the state-space models: each period's sampling variance
        (its squared standard error) as known; that plus an estimated irregular
        variance; or one estimated variance (the plain statsmodels model).
    seasonal_periods : int, optional
        Add a stochastic dummy seasonal of this period (4 for quarters) when a series
        has ``2 s`` periods more than the model needs.
    reconcile : {"bottom_up", "ols", "wls_var", "mint_shrink"}, optional
        With ``fit(..., hierarchy=[...])``: make the future forecasts coherent (each
        node the share-weighted mean of the nodes below it; :data:`RECONCILIATION_METHODS`).
    thresholds : tuple of Threshold
        Absolute business thresholds (rule ``"threshold"``).
    tiers : tuple of AlertTier, optional
        Alert levels, lowest first (default :data:`DEFAULT_TIERS`).
    routes : tuple of Route
        Owner and action of each alert (first matching route).

    Notes
    -----
    **Score and standard error.** With respondent weights :math:`w_i` the score is
    :math:`\\bar x = \\sum w_i x_i / \\sum w_i` and its variance is the Taylor-
    linearisation (with-replacement) estimate
    :math:`\\hat V = \\frac{n}{n-1} \\sum w_i^2 (x_i-\\bar x)^2 / (\\sum w_i)^2`, as
    R ``survey::svymean`` with ``ids = ~1``; unweighted it is :math:`s^2/n`. The Welch
    degrees of freedom use the Kish effective sample sizes :math:`(\\sum w)^2/\\sum w^2`.

    **Target and sigma.** The target of a (segment, series) is its score on the pooled
    baseline respondents. ``sigma="standard_error"`` standardises a monitored period by
    :math:`\\sqrt{SE_t^2 + SE_{target}^2}`, the exact standard deviation of
    :math:`\\bar x_t - \\text{target}` when nothing changed (so a Shewhart point has its
    nominal 0.27 % false-alarm rate whatever the sample size of the period); it
    captures sampling error only, so real period-to-period variation in a stable
    programme will raise alerts. ``sigma="baseline"`` uses the moving-range estimator
    of an individuals chart, :math:`\\overline{MR}/d_2` with :math:`d_2 = 1.128`,
    over the baseline period scores (Montgomery 2009, §6.4), which includes that
    variation; it needs several baseline periods to be precise.

    **Charts** run on :math:`z_t = (\\bar x_t - \\text{target})/\\sigma_t` from the
    first period after the baseline; a missing period leaves the chart unchanged.
    Sums are not reset after a signal, so a lasting shift keeps alerting.

    References
    ----------
    1. Montgomery, D. C. (2009). *Introduction to Statistical Quality Control*
       (6th ed.). Wiley. §6.4 (individuals chart), §9.1 (tabular CUSUM, Table 9.3),
       §9.2 (EWMA, Table 9.11).
    2. Lucas, J. M., & Saccucci, M. S. (1990). Exponentially weighted moving average
       control schemes: properties and enhancements. *Technometrics*, 32(1), 1–12.
    3. Welch, B. L. (1947). The generalization of "Student's" problem when several
       different population variances are involved. *Biometrika*, 34(1/2), 28–35.

    Examples
    --------
    >>> import csimodels as csi
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> res = TrendMonitor(series=["Satisfaction"], chart="cusum").fit(data, by="region")
    >>> est = res.table.loc[("North", "Satisfaction"), "estimate"]
    >>> bool(est.iloc[-1] > est.iloc[0])   # the simulated quarters rise by 0.2 latent SD
    True
    """

    series: tuple[str, ...] = Field(min_length=1)
    statistic: Literal["mean", "top_box"] = "mean"
    box: int = Field(default=2, ge=1)
    periods: tuple[str, ...] | None = None
    by: str | None = None
    baseline: int | tuple[str, ...] = 1
    chart: Literal["ewma", "cusum", "shewhart"] | None = "ewma"
    ewma_lambda: float = Field(default=0.2, gt=0.0, le=1.0)
    ewma_width: float = Field(default=3.0, gt=0.0)
    ewma_limits: Literal["exact", "asymptotic"] = "exact"
    cusum_k: float = Field(default=0.5, ge=0.0)
    cusum_h: float = Field(default=5.0, gt=0.0)
    shewhart_width: float = Field(default=3.0, gt=0.0)
    sigma: Literal["standard_error", "baseline"] | float = "standard_error"
    test: Literal["welch", "z"] = "welch"
    alpha: float = Field(default=0.05, gt=0.0, lt=1.0)
    p_adjust: Literal["none", "holm", "fdr_bh"] = "none"
    level: float = Field(default=0.95, gt=0.0, lt=1.0)
    min_n: int = Field(default=30, ge=1)
    forecast: ForecastName | None = None
    forecast_level: float = Field(default=0.95, gt=0.0, lt=1.0)
    horizon: int = Field(default=1, ge=1, le=24)
    observation_variance: Literal["sampling", "sampling_plus_irregular", "estimated"] = "sampling"
    seasonal_periods: int | None = Field(default=None, ge=2, le=12)
    reconcile: Literal["bottom_up", "ols", "wls_var", "mint_shrink"] | None = None
    thresholds: tuple[Threshold, ...] = ()
    tiers: tuple[AlertTier, ...] | None = None
    routes: tuple[Route, ...] = ()

    @field_validator("series", mode="before")
    @classmethod
    def _series_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            raise SpecificationError(
                f"TrendMonitor: series must be a list of items or constructs, not one string "
                f"({value!r}); write series=[{value!r}]"
            )
        values = list(value)
        dupes = sorted({str(v) for v in values if values.count(v) > 1})
        if dupes:
            raise SpecificationError(
                f"TrendMonitor: series lists {format_offenders(dupes)} more than once"
            )
        return value

    @field_validator("by")
    @classmethod
    def _by_deprecated(cls, value: str | None) -> str | None:
        if value is not None:
            warnings.warn(
                "TrendMonitor(by=...) is deprecated: pass the segment column to fit, "
                f"TrendMonitor(...).fit(data, by={value!r})",
                DeprecationWarning,
                stacklevel=4,
            )
        return value

    @field_validator("baseline")
    @classmethod
    def _baseline_ok(cls, value: int | tuple[str, ...]) -> int | tuple[str, ...]:
        if isinstance(value, int) and value < 1:
            raise SpecificationError(
                f"TrendMonitor: baseline must be a positive number of leading periods or "
                f"a list of period labels, got {value!r}"
            )
        if isinstance(value, tuple) and not value:
            raise SpecificationError("TrendMonitor: baseline lists no period")
        return value

    @field_validator("sigma")
    @classmethod
    def _sigma_ok(cls, value: str | float) -> str | float:
        if isinstance(value, float) and not (math.isfinite(value) and value > 0):
            raise SpecificationError(
                f"TrendMonitor: a given sigma must be a positive number of 0-100 points, "
                f"got {value!r}"
            )
        return value

    @staticmethod
    def result_type() -> type[TrendResult]:
        """The result class (:class:`TrendResult`), e.g. for ``from_json``."""
        return TrendResult

    # -- from survey answers -----------------------------------------------------------
    def fit(
        self,
        data: SurveyData | pd.DataFrame,
        *,
        by: str | Sequence[str] | None = None,
        hierarchy: Sequence[str] | None = None,
        scale: tuple[float, float] | None = None,
        weight: str | None = None,
        period: str | None = None,
        missing_codes: Sequence[Any] = (),
    ) -> TrendResult:
        """Monitor the tracked series in survey answers.

        Parameters
        ----------
        data : SurveyData or DataFrame
            The answers, with a period column (and the segment columns). Not modified.
        by : str or list of str, optional
            Segment column, or several for a cross-classification (labels joined by
            ``" × "``); default all respondents as one segment ``"all"``.
        hierarchy : list of str, optional
            Nested segment columns, coarse to fine (``["region", "store"]``): every
            node is monitored (``"all"``, ``"North"``, ``"North/S1"``...), and with
            ``reconcile=`` the forecasts are made coherent. Not with ``by``.
        scale, weight, period, missing_codes : optional
            For a DataFrame only: the answer scale (required: the 0–100 score is
            anchored on it), the weight and period columns, codes meaning no answer.

        Returns
        -------
        TrendResult

        Raises
        ------
        DataValidationError
            A tracked series, the period or segment column is missing, a period label
            in ``periods`` or ``baseline`` is not in the data, a series has no declared
            scale, or fewer than two periods.
        SpecificationError
            A tier, threshold or route names a series that is not monitored; ``by``
            and ``hierarchy`` together; ``reconcile`` without ``hierarchy``.
        """
        if (
            by is not None
            and self.by is not None
            and as_by(by, owner="TrendMonitor.fit") != (self.by,)
        ):
            raise SpecificationError(
                f"TrendMonitor: by={self.by!r} in the constructor (deprecated) and "
                f"by={by!r} in fit disagree; pass it to fit only"
            )
        by_cols: tuple[str, ...] = (
            as_by(by, owner="TrendMonitor.fit")
            if by is not None
            else ((self.by,) if self.by is not None else ())
        )
        levels: tuple[str, ...] = ()
        if hierarchy is not None:
            if by_cols:
                raise SpecificationError(
                    "TrendMonitor.fit: pass by=... (segments side by side) or "
                    "hierarchy=[...] (nested levels, all monitored), not both"
                )
            levels = as_by(hierarchy, owner="TrendMonitor.fit")
        if self.reconcile is not None and not levels:
            raise SpecificationError(
                f"TrendMonitor: reconcile={self.reconcile!r} needs fit(..., "
                "hierarchy=[coarse, ..., fine]) naming the nested segment columns"
            )
        if self.reconcile is not None and self.forecast is None:
            raise SpecificationError(
                "TrendMonitor: reconcile= makes forecasts coherent; set forecast=... too"
            )
        self._check_alert_settings()
        survey = self._coerce(
            data,
            columns=(*by_cols, *levels),
            scale=scale,
            weight=weight,
            period=period,
            missing_codes=missing_codes,
        )
        period_col = survey.period
        assert period_col is not None
        notes: list[str] = []
        natural = survey.period_order() if self.periods is None else None
        order, codes = self._period_codes(survey.frame[period_col], period_col, natural)
        no_period = int(np.sum(codes < 0))
        if no_period:
            warn_and_note(
                notes,
                f"{no_period} respondents have no {period_col!r} label and are left out "
                "of every period",
                DataQualityWarning,
            )
        baseline = self._baseline_labels(order)
        if levels:
            groupings = self._hierarchy_groupings(survey, levels, notes)
        else:
            groupings = [self._flat_grouping(survey, by_cols, notes)]
        cells = self._cell_table(survey, groupings, codes, order, baseline)
        self._note_thin_cells(cells, order, notes)
        return self._assemble(
            cells,
            order,
            baseline,
            notes,
            source="survey",
            weight=survey.weight,
            by=by_cols,
            hierarchy=levels,
        )

    def _check_alert_settings(self) -> None:
        check_series_names(
            "TrendMonitor", self.tiers or (), self.thresholds, self.routes, self.series
        )

    def _flat_grouping(
        self, survey: SurveyData, by_cols: tuple[str, ...], notes: list[str]
    ) -> tuple[list[str], NDArray[np.intp], str, list[str]]:
        if not by_cols:
            return ["all"], np.zeros(survey.n_respondents, dtype=np.intp), "all", ["all"]
        frame = survey.frame[list(by_cols)]
        missing = frame.isna().any(axis=1).to_numpy()
        if missing.any():
            warn_and_note(
                notes,
                f"{int(missing.sum())} respondents have no {'/'.join(by_cols)} label and "
                "are left out",
                DataQualityWarning,
            )
        keys: Any = by_cols[0] if len(by_cols) == 1 else list(by_cols)
        grouped = frame.groupby(keys, sort=True, observed=True, dropna=True)
        numbers = grouped.ngroup().to_numpy(dtype=np.float64)
        seg_codes = np.where(np.isnan(numbers), -1, np.nan_to_num(numbers, nan=-1)).astype(np.intp)
        uniques = [
            segment_label(key if isinstance(key, tuple) else (key,)) for key in grouped.groups
        ]
        return uniques, seg_codes, "+".join(by_cols), ["all"] * len(uniques)

    def _hierarchy_groupings(
        self, survey: SurveyData, levels: tuple[str, ...], notes: list[str]
    ) -> list[tuple[list[str], NDArray[np.intp], str, list[str]]]:
        frame = survey.frame[list(levels)]
        missing = frame.isna().any(axis=1).to_numpy()
        if missing.any():
            warn_and_note(
                notes,
                f"{int(missing.sum())} respondents miss a {'/'.join(levels)} label; they "
                "count in 'all' only",
                DataQualityWarning,
            )
        out = [(["all"], np.zeros(survey.n_respondents, dtype=np.intp), "all", [""])]
        text = frame.astype(str)
        path = text[levels[0]]
        for depth in range(1, len(levels) + 1):
            if depth > 1:
                path = path + "/" + text[levels[depth - 1]]
            codes_raw, labels = pd.factorize(path.where(~missing), sort=True)
            uniques = [str(u) for u in labels]
            seg_codes = np.asarray(codes_raw, dtype=np.intp)
            parents = ["all" if depth == 1 else u.rsplit("/", 1)[0] for u in uniques]
            out.append((uniques, seg_codes, levels[depth - 1], parents))
        return out

    def _cell_table(
        self,
        survey: SurveyData,
        groupings: list[tuple[list[str], NDArray[np.intp], str, list[str]]],
        codes: NDArray[np.intp],
        order: list[str],
        baseline: tuple[str, ...],
    ) -> _Cells:
        n_per, n_ser = len(order), len(self.series)
        base_pos = np.array([order.index(b) for b in baseline])
        in_base = np.isin(codes, base_pos)
        w = survey.weights()
        parts: list[tuple[FloatArray, ...]] = []
        segments: list[str] = []
        level_names: list[str] = []
        parents: list[str] = []
        scores = [self._scores(survey, name) for name in self.series]
        for labels, seg_codes, level_name, par in groupings:
            n_seg = len(labels)
            segments += labels
            level_names += [level_name] * n_seg
            parents += par
            cells = np.where((codes >= 0) & (seg_codes >= 0), seg_codes * n_per + codes, -1)
            base_cells = np.where(in_base & (seg_codes >= 0), seg_codes, -1)
            shape = (n_seg, n_ser, n_per)
            arrays = [np.empty(shape) for _ in range(5)] + [
                np.empty((n_seg, n_ser)) for _ in range(3)
            ]
            n, n_eff, mean, se, wsum, target, target_se, n_base = arrays
            for k, sc in enumerate(scores):
                a, b, c, d = cell_stats(sc, w, cells, n_seg * n_per)
                n[:, k], n_eff[:, k] = a.reshape(n_seg, n_per), b.reshape(n_seg, n_per)
                mean[:, k], se[:, k] = c.reshape(n_seg, n_per), d.reshape(n_seg, n_per)
                keep = (cells >= 0) & ~np.isnan(sc)
                ww = np.ones(sc.size) if w is None else w
                wsum[:, k] = np.bincount(
                    cells[keep], weights=ww[keep], minlength=n_seg * n_per
                ).reshape(n_seg, n_per)
                nb, _, tb, sb = cell_stats(sc, w, base_cells, n_seg)
                target[:, k], target_se[:, k], n_base[:, k] = tb, sb, nb
            parts.append((n, n_eff, mean, se, wsum, target, target_se, n_base))
        st = [np.concatenate([p[i] for p in parts]) for i in range(8)]
        return _Cells(
            segments,
            st[0],
            st[1],
            st[2],
            st[3],
            st[4],
            st[5],
            st[6],
            st[7],
            levels=level_names,
            parents=parents,
        )

    def _note_thin_cells(self, cells: _Cells, order: list[str], notes: list[str]) -> None:
        empty = [
            f"{cells.segments[s]}/{self.series[k]}/{order[t]}"
            for s, k, t in zip(*np.nonzero(cells.n < 2), strict=True)
        ]
        if empty:
            warn_and_note(
                notes,
                f"{len(empty)} segment/series/period cell(s) have fewer than 2 answers, so no "
                f"estimate or standard error: {format_offenders(empty)}",
                DataQualityWarning,
            )
        n0 = cells.n[:, 0]
        thin = [
            f"{cells.segments[s]}/{order[t]}"
            for s, t in zip(*np.nonzero((n0 >= 2) & (n0 < self.min_n)), strict=True)
        ]
        if thin:
            warn_and_note(
                notes,
                f"{len(thin)} segment/period cell(s) have fewer than min_n = {self.min_n} "
                f"respondents; their estimates are imprecise: {format_offenders(thin)}",
                DataQualityWarning,
            )

    # -- from a precomputed index table ---------------------------------------------------
    def fit_indices(
        self, indices: pd.DataFrame, *, std_errors: pd.DataFrame | None = None
    ) -> TrendResult:
        """Monitor a precomputed periods × series table of 0–100 indices.

        Parameters
        ----------
        indices : DataFrame
            Index = period labels (or a ``(segment, period)`` MultiIndex), columns = the
            tracked series, values on 0–100 (e.g. ``model.fit(data, by="period",
            details=False).indices`` of a CSI model). Not modified.
        std_errors : DataFrame, optional
            Standard errors of the same shape (e.g. bootstrap standard errors). Without
            them there is no change test and ``sigma`` must be ``"baseline"`` or a number.

        Examples
        --------
        >>> import csimodels as csi
        >>> data = csi.datasets.load_example("acsi_demo")
        >>> fitted = csi.ACSI(indicators=data.constructs).fit(data, by="period", details=False)
        >>> res = TrendMonitor(series=["Satisfaction", "Loyalty"], sigma=1.0,
        ...                    chart="shewhart").fit_indices(fitted.indices)
        >>> int(res.table["z"].notna().sum())   # 2 series x 3 monitored quarters
        6
        """
        if not isinstance(indices, pd.DataFrame):
            raise DataValidationError(
                f"TrendMonitor.fit_indices: indices must be a DataFrame (periods x series), "
                f"got {type(indices).__name__}"
            )
        frames = {"indices": indices}
        if std_errors is not None:
            if not isinstance(std_errors, pd.DataFrame):
                raise DataValidationError(
                    "TrendMonitor.fit_indices: std_errors must be a DataFrame shaped like indices"
                )
            frames["std_errors"] = std_errors
        elif self.sigma == "standard_error":
            raise SpecificationError(
                "TrendMonitor: sigma='standard_error' needs the standard errors of the "
                "indices; pass std_errors=... (e.g. bootstrap standard errors) or choose "
                "sigma='baseline' or a number of points"
            )
        for role, frame in frames.items():
            missing = [s for s in self.series if s not in frame.columns]
            if missing:
                raise DataValidationError(
                    f"TrendMonitor.fit_indices: series {format_offenders(missing)} not in the "
                    f"columns of {role}; its columns are "
                    f"{format_offenders(sorted(map(str, frame.columns)))}"
                )
            bad = [s for s in self.series if not pd.api.types.is_numeric_dtype(frame[s])]
            if bad:
                raise DataValidationError(
                    f"TrendMonitor.fit_indices: column {format_offenders(bad)} of {role} is "
                    "not numeric; indices must be numbers on 0-100"
                )
        if isinstance(indices.index, pd.MultiIndex):
            if indices.index.nlevels != 2:
                raise DataValidationError(
                    "TrendMonitor.fit_indices: a MultiIndex must have two levels "
                    f"(segment, period), got {indices.index.nlevels}"
                )
            seg_labels = indices.index.get_level_values(0)
            per_labels = indices.index.get_level_values(1)
        else:
            seg_labels = pd.Index(["all"] * len(indices))
            per_labels = indices.index
        if indices.index.has_duplicates:
            dupes = sorted({str(x) for x in indices.index[indices.index.duplicated()]})
            raise DataValidationError(
                f"TrendMonitor.fit_indices: index label {format_offenders(dupes)} appears more "
                "than once; one row per (segment,) period"
            )
        order, codes = self._period_codes(pd.Series(per_labels), "index")
        seg_codes_raw, seg_uniques = pd.factorize(seg_labels, sort=True)
        segments = [str(s) for s in seg_uniques]
        n_seg, n_per, n_ser = len(segments), len(order), len(self.series)
        baseline = self._baseline_labels(order)
        mean = np.full((n_seg, n_ser, n_per), np.nan)
        se = np.full((n_seg, n_ser, n_per), np.nan)
        values = indices[list(self.series)].to_numpy(dtype=np.float64)
        errors = None
        if std_errors is not None:
            errors = std_errors.reindex(indices.index)[list(self.series)].to_numpy(dtype=np.float64)
        for row in range(len(indices)):
            s, t = int(seg_codes_raw[row]), int(codes[row])
            mean[s, :, t] = values[row]
            if errors is not None:
                se[s, :, t] = errors[row]
        base_pos = [order.index(b) for b in baseline]
        notes: list[str] = []
        base_mean = mean[:, :, base_pos]
        base_ok = ~np.isnan(base_mean)
        n_ok = base_ok.sum(axis=2)
        with np.errstate(invalid="ignore", divide="ignore"):
            target = np.where(base_ok, base_mean, 0.0).sum(axis=2) / n_ok
            counts = np.sum(~np.isnan(se[:, :, base_pos]), axis=2)
            target_se = np.sqrt(np.nansum(se[:, :, base_pos] ** 2, axis=2)) / counts
        if errors is None:
            notes.append("no standard errors given: no period-over-period tests")
        nan = np.full(mean.shape, np.nan)
        cells = _Cells(
            segments,
            nan,
            nan.copy(),
            mean,
            se,
            nan.copy(),
            target,
            target_se,
            np.full(target.shape, np.nan),
            levels=["all"] * n_seg,
            parents=["all"] * n_seg,
        )
        self._check_alert_settings()
        if (
            self.forecast is not None
            and errors is None
            and self.observation_variance != "estimated"
            and self.forecast != "drift"
        ):
            raise SpecificationError(
                f"TrendMonitor: forecast={self.forecast!r} with observation_variance="
                f"{self.observation_variance!r} needs the standard errors of the indices; "
                "pass std_errors=... or observation_variance='estimated'"
            )
        if self.reconcile is not None:
            raise SpecificationError(
                "TrendMonitor.fit_indices: reconcile= needs a hierarchy of respondents; "
                "use fit(data, hierarchy=[...])"
            )
        by_cols = ("segment",) if isinstance(indices.index, pd.MultiIndex) else ()
        return self._assemble(
            cells, order, baseline, notes, source="index table", weight=None, by=by_cols
        )

    # -- validation helpers ---------------------------------------------------------------
    def _coerce(
        self,
        data: SurveyData | pd.DataFrame,
        *,
        columns: tuple[str, ...],
        scale: tuple[float, float] | None,
        weight: str | None,
        period: str | None,
        missing_codes: Sequence[Any],
    ) -> SurveyData:
        if isinstance(data, pd.DataFrame):
            if period is None:
                raise DataValidationError(
                    "TrendMonitor: pass period='<column>' naming the period column of the "
                    "DataFrame (or a SurveyData with period=...)"
                )
            needed = [*self.series, period, *columns]
            needed += [weight] if weight else []
            missing = [c for c in needed if c not in data.columns]
            if missing:
                raise DataValidationError(
                    f"TrendMonitor: column {format_offenders(missing)} not found in the data; "
                    f"available columns: {format_offenders(sorted(map(str, data.columns)))}"
                )
            if scale is None:
                raise DataValidationError(
                    "TrendMonitor: pass scale=(min, max) for a DataFrame; the 0-100 score is "
                    "anchored on the declared scale, never on the observed answers"
                )
            return SurveyData.from_frame(
                data,
                items=list(self.series),
                scale=scale,
                weight=weight,
                segments=list(columns),
                period=period,
                missing_codes=list(missing_codes),
            )
        if not isinstance(data, SurveyData):
            raise DataValidationError(
                f"TrendMonitor: data must be a csimodels.SurveyData or a pandas DataFrame, "
                f"got {type(data).__name__}"
            )
        if period is not None and period != data.period:
            raise DataValidationError(
                f"TrendMonitor: period={period!r} given but the SurveyData's period column is "
                f"{data.period!r}; declare it when building the SurveyData"
            )
        if data.period is None:
            raise DataValidationError(
                "TrendMonitor: the survey has no period column; build the SurveyData with "
                "period='<column>'"
            )
        unknown_cols = [c for c in columns if c not in data.segments]
        if unknown_cols:
            raise DataValidationError(
                f"TrendMonitor: by={format_offenders(unknown_cols)} is not a segment column "
                "of this survey; choose one of "
                f"{format_offenders(sorted(data.segments)) or 'none (declare segments)'}"
            )
        unknown = [s for s in self.series if s not in data.items and s not in data.constructs]
        if unknown:
            raise DataValidationError(
                f"TrendMonitor: series {format_offenders(unknown)} is neither an item nor a "
                f"construct of the survey; items: {format_offenders(sorted(data.items))}"
            )
        return data

    def _period_codes(
        self, labels: pd.Series, column: str, natural: Sequence[Any] | None = None
    ) -> tuple[list[str], NDArray[np.intp]]:
        """Period order (as strings) and each row's position in it (-1: no period).

        ``natural``: the order SurveyData gives (``period_order()``); else numbers sort
        numerically and text as text.
        """
        if natural is not None:
            present = list(natural)
        else:
            present = labels.dropna().unique().tolist()
            if all(isinstance(v, (int, float, np.integer, np.floating)) for v in present):
                present = sorted(present)
            else:
                present = sorted(present, key=str)
        names = [str(v) for v in present]
        if len(set(names)) != len(names):
            raise DataValidationError(
                f"TrendMonitor: period labels of {column!r} clash once written as text"
            )
        if self.periods is not None:
            unknown = [p for p in self.periods if p not in names]
            if unknown:
                raise DataValidationError(
                    f"TrendMonitor: period {format_offenders(unknown)} in periods= is not in "
                    f"the period column {column!r}; its periods are {format_offenders(names)}"
                )
            absent = [p for p in names if p not in self.periods]
            if absent:
                raise DataValidationError(
                    f"TrendMonitor: period {format_offenders(absent)} of the period column "
                    f"{column!r} is missing from periods=; list every period in order"
                )
            if len(set(self.periods)) != len(self.periods):
                raise DataValidationError("TrendMonitor: periods= lists a period twice")
            order = list(self.periods)
        else:
            order = names
        if len(order) < 2:
            raise DataValidationError(
                f"TrendMonitor: the period column {column!r} has {len(order)} period "
                f"({format_offenders(order)}); trends need at least two periods"
            )
        pos = {p: i for i, p in enumerate(order)}
        uniques_raw, inverse = np.unique(
            np.asarray(labels.astype(object).where(labels.notna(), None)).astype(str),
            return_inverse=True,
        )
        lookup = np.array([pos.get(str(u), -1) for u in uniques_raw], dtype=np.intp)
        codes = np.where(labels.isna().to_numpy(), -1, lookup[inverse.ravel()]).astype(np.intp)
        return order, codes

    def _baseline_labels(self, order: list[str]) -> tuple[str, ...]:
        if isinstance(self.baseline, int):
            if self.baseline >= len(order):
                raise DataValidationError(
                    f"TrendMonitor: baseline={self.baseline} leaves no period to monitor "
                    f"(the data have {len(order)} periods); use a shorter baseline"
                )
            base = tuple(order[: self.baseline])
        else:
            unknown = [b for b in self.baseline if b not in order]
            if unknown:
                raise DataValidationError(
                    f"TrendMonitor: baseline period {format_offenders(unknown)} is not in the "
                    f"data; its periods are {format_offenders(order)}"
                )
            base = tuple(p for p in order if p in self.baseline)
            if base[-1] == order[-1]:
                raise DataValidationError(
                    f"TrendMonitor: the baseline includes the last period {order[-1]!r}, so "
                    "there is no period after it to monitor"
                )
        if self.sigma == "baseline" and len(base) < 2:
            raise SpecificationError(
                "TrendMonitor: sigma='baseline' estimates sigma from the moving range of the "
                f"baseline period scores and needs at least 2 baseline periods, got "
                f"{len(base)}; pass baseline=<k> with k >= 2, or sigma='standard_error'"
            )
        return base

    def _scores(self, survey: SurveyData, name: str) -> FloatArray:
        """Each respondent's 0–100 score (or 0/100 top-box indicator) on one series."""
        members = survey.constructs.get(name, (name,)) if name not in survey.items else (name,)
        no_scale = [m for m in members if survey.item_info[m].scale is None]
        if no_scale:
            raise DataValidationError(
                f"TrendMonitor: item {format_offenders(no_scale)} has no declared scale; the "
                "0-100 score needs it (SurveyData.from_frame(..., scale=(min, max)))"
            )
        columns = []
        for m in members:
            sc = survey.item_info[m].scale
            assert sc is not None
            x = survey.frame[m].to_numpy(dtype=np.float64)
            columns.append(100.0 * (x - sc.min) / (sc.max - sc.min))
        block = np.column_stack(columns)
        answered = ~np.isnan(block)
        count = answered.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            score = np.where(answered, block, 0.0).sum(axis=1) / count
        if self.statistic == "top_box":
            sc0 = survey.item_info[members[0]].scale
            assert sc0 is not None
            cut = 100.0 * (sc0.max - self.box - sc0.min) / (sc0.max - sc0.min)
            score = np.where(np.isnan(score), np.nan, np.where(score > cut + 1e-9, 100.0, 0.0))
        return np.asarray(score, dtype=np.float64)

    # -- shared assembly ------------------------------------------------------------------
    def _assemble(
        self,
        cells: _Cells,
        order: list[str],
        baseline: tuple[str, ...],
        notes: list[str],
        *,
        source: str,
        weight: str | None,
        by: tuple[str, ...] = (),
        hierarchy: tuple[str, ...] = (),
    ) -> TrendResult:
        segments = cells.segments
        mean, se, n_eff = cells.mean, cells.se, cells.n_eff
        target, target_se = cells.target, cells.target_se
        n_seg, n_ser, n_per = mean.shape
        crit_ci = float(stats.norm.ppf(0.5 + self.level / 2))
        # -- period-over-period change
        change = np.full(mean.shape, np.nan)
        change_se = np.full(mean.shape, np.nan)
        change_df = np.full(mean.shape, np.nan)
        change[..., 1:] = mean[..., 1:] - mean[..., :-1]
        v1, v0 = se[..., 1:] ** 2, se[..., :-1] ** 2
        change_se[..., 1:] = np.sqrt(v1 + v0)
        degenerate_change = change_se <= ZERO_SE * np.maximum(1.0, np.abs(mean))
        use_t = self.test == "welch" and source == "survey"
        with np.errstate(invalid="ignore", divide="ignore"):
            stat = np.where(degenerate_change, np.nan, change / change_se)
            if use_t:
                e1, e0 = n_eff[..., 1:], n_eff[..., :-1]
                change_df[..., 1:] = (v1 + v0) ** 2 / (v1**2 / (e1 - 1) + v0**2 / (e0 - 1))
                p = 2.0 * stats.t.sf(np.abs(stat), change_df)
                crit = stats.t.ppf(1.0 - self.alpha / 2, change_df)
            else:
                change_df[..., 1:] = np.inf
                p = 2.0 * stats.norm.sf(np.abs(stat))
                crit = np.full(mean.shape, float(stats.norm.ppf(1.0 - self.alpha / 2)))
        p = np.where(np.isnan(stat), np.nan, p)
        p_adj = adjust_p(p.ravel(), self.p_adjust).reshape(p.shape)
        if self.test == "welch" and source != "survey":
            notes.append("index table: the change test is a z test on the given standard errors")
        # -- control chart
        base_pos = np.array([order.index(b) for b in baseline])
        first = int(base_pos.max()) + 1
        monitored = np.zeros(n_per, dtype=bool)
        monitored[first:] = True
        sigma_series = np.full((n_seg, n_ser), np.nan)
        if self.sigma == "standard_error":
            sig = np.sqrt(se**2 + target_se[..., None] ** 2)
            sigma_text = "each period's standard error combined with the target's"
        elif self.sigma == "baseline":
            base_means = mean[..., base_pos]
            diffs = np.abs(np.diff(base_means, axis=-1))
            ok = ~np.isnan(diffs)
            with np.errstate(invalid="ignore", divide="ignore"):
                mr = np.where(ok, diffs, 0.0).sum(axis=-1) / ok.sum(axis=-1)
            sigma_series = mr / D2
            sig = np.broadcast_to(sigma_series[..., None], mean.shape).copy()
            sigma_text = "moving range of the baseline period scores / 1.128"
            bad = [
                f"{segments[s]}/{self.series[k]}"
                for s, k in zip(*np.nonzero(~(sigma_series > 0)), strict=True)
            ]
            if bad:
                warn_and_note(
                    notes,
                    f"sigma could not be estimated (zero or missing moving range over the "
                    f"baseline) for {format_offenders(bad)}; no chart for them",
                    DataQualityWarning,
                )
                sig[~(sig > 0)] = np.nan
        else:
            sigma_series[:] = float(self.sigma)
            sig = np.full(mean.shape, float(self.sigma))
            sigma_text = f"given: {float(self.sigma):g} points"
        sig[..., ~monitored] = np.nan
        # a zero standard deviation (every answer equal in the period and the baseline)
        # leaves the chart statistic undefined, not infinite
        zero = (sig <= ZERO_SE * np.maximum(1.0, np.abs(mean))) & ~np.isnan(mean)
        if zero.any():
            where = [
                f"{segments[s]}/{self.series[k]}/{order[t]}"
                for s, k, t in zip(*np.nonzero(zero), strict=True)
            ]
            warn_and_note(
                notes,
                f"{len(where)} cell(s) have no within-period variation (every answer equal, "
                f"standard error 0), so their chart statistic is undefined (NaN): "
                f"{format_offenders(where)}",
                DataQualityWarning,
            )
            sig = np.where(zero, np.nan, sig)
        if degenerate_change[..., 1:].any() and np.isfinite(change[..., 1:]).any():
            where = [
                f"{segments[s]}/{self.series[k]}/{order[t]}"
                for s, k, t in zip(*np.nonzero(degenerate_change & ~np.isnan(change)), strict=True)
            ]
            if where:
                warn_and_note(
                    notes,
                    f"{len(where)} period change(s) have a standard error of 0 (no variation "
                    f"in either period), so no change test: {format_offenders(where)}",
                    DataQualityWarning,
                )
        tgt = np.where(monitored, target[..., None], np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            z = (mean - tgt) / sig
        flat_z = z.reshape(n_seg * n_ser, n_per)
        if self.chart is not None:
            cstat, lower, upper, signal, plus, minus = chart(
                flat_z,
                self.chart,
                ewma_lambda=self.ewma_lambda,
                ewma_width=self.ewma_width,
                ewma_exact=self.ewma_limits == "exact",
                cusum_k=self.cusum_k,
                cusum_h=self.cusum_h,
                shewhart_width=self.shewhart_width,
            )
        else:
            nan = np.full(flat_z.shape, np.nan)
            cstat, lower, upper, plus, minus = nan, nan, nan, nan, nan
            signal = np.zeros(flat_z.shape, dtype=np.int8)
        cstat, lower, upper = (a.reshape(mean.shape) for a in (cstat, lower, upper))
        signal = signal.reshape(mean.shape)
        plus, minus = plus.reshape(mean.shape), minus.reshape(mean.shape)
        kinds = np.array(["drop", "", "rise"], dtype=object)
        index = pd.MultiIndex.from_product(
            [segments, list(self.series), order], names=["segment", "series", "period"]
        )
        table = pd.DataFrame(
            {
                "n": cells.n.ravel(),
                "n_effective": n_eff.ravel(),
                "weight_sum": cells.weight_sum.ravel(),
                "estimate": mean.ravel(),
                "std_error": se.ravel(),
                "ci_lower": (mean - crit_ci * se).ravel(),
                "ci_upper": (mean + crit_ci * se).ravel(),
                "change": change.ravel(),
                "change_std_error": change_se.ravel(),
                "statistic": stat.ravel(),
                "df": change_df.ravel(),
                "p_value": p.ravel(),
                "p_value_adjusted": p_adj.ravel(),
                "baseline": np.broadcast_to(np.isin(np.arange(n_per), base_pos), mean.shape)
                .ravel()
                .astype(bool),
                "target": tgt.ravel(),
                "sigma": sig.ravel(),
                "z": z.ravel(),
                "chart_statistic": cstat.ravel(),
                "lower_limit": lower.ravel(),
                "upper_limit": upper.ravel(),
                "cusum_upper": plus.ravel(),
                "cusum_lower": minus.ravel(),
                "signal": kinds[signal.ravel() + 1].astype(str),
            },
            index=index,
        )
        # -- alerts from the chart and the change test
        rows: list[dict[str, Any]] = []
        for s, k, t in zip(*np.nonzero(signal), strict=True):
            sign = int(signal[s, k, t])
            if self.chart == "cusum":
                value = float(plus[s, k, t] if sign > 0 else -minus[s, k, t])
            else:
                value = float(cstat[s, k, t])
            limit = float(upper[s, k, t] if sign > 0 else lower[s, k, t])
            rows.append(
                {
                    "segment": segments[s],
                    "series": self.series[k],
                    "period": order[t],
                    "kind": "rise" if sign > 0 else "drop",
                    "rule": str(self.chart),
                    "estimate": float(mean[s, k, t]),
                    "reference": float(tgt[s, k, t]),
                    "magnitude": float(mean[s, k, t] - tgt[s, k, t]),
                    "statistic": value,
                    "limit": limit,
                    "p_value": math.nan,
                    "severity": abs(value) / abs(limit),
                }
            )
        for s, k, t in zip(*np.nonzero(p_adj < self.alpha), strict=True):
            rows.append(
                {
                    "segment": segments[s],
                    "series": self.series[k],
                    "period": order[t],
                    "kind": "rise" if change[s, k, t] > 0 else "drop",
                    "rule": "period_over_period",
                    "estimate": float(mean[s, k, t]),
                    "reference": float(mean[s, k, t - 1]),
                    "magnitude": float(change[s, k, t]),
                    "statistic": float(stat[s, k, t]),
                    "limit": float(crit[s, k, t]) * (1.0 if change[s, k, t] > 0 else -1.0),
                    "p_value": float(p_adj[s, k, t]),
                    "severity": abs(float(stat[s, k, t])) / float(crit[s, k, t]),
                }
            )
        rows += threshold_alerts(table, self.thresholds)
        # -- forecasts
        forecasts = None
        future: list[str] = []
        reconciliation: dict[str, Any] = {}
        if self.forecast is not None:
            forecasts, future, reconciliation = self._forecasts(
                cells, order, notes, hierarchy=bool(hierarchy)
            )
            rows += forecast_alert_rows(forecasts, self.forecast_level)
        alerts = rank_alerts(rows, self.tiers or DEFAULT_TIERS, self.routes, [*order, *future])
        targets = pd.DataFrame(
            {
                "target": target.ravel(),
                "target_std_error": target_se.ravel(),
                "sigma": sigma_series.ravel(),
                "n_baseline": cells.n_base.ravel(),
            },
            index=pd.MultiIndex.from_product(
                [segments, list(self.series)], names=["segment", "series"]
            ),
        )
        segment_table = pd.DataFrame(
            {"level": cells.levels, "parent": cells.parents},
            index=pd.Index(segments, name="segment"),
        )
        statistic_text = (
            "mean score rescaled to 0-100 on the declared scale"
            if self.statistic == "mean"
            else f"top-{self.box}-box share (percent)"
        )
        settings = self.model_dump(mode="json")
        settings.update(
            source=source,
            weight=weight,
            by=list(by),
            hierarchy=list(hierarchy),
            n_used=int(np.nansum(cells.n[: 1 if hierarchy else n_seg, 0, :]))
            if source == "survey"
            else None,
            inference=None,
            periods=list(order),
            baseline=list(baseline),
            statistic_description=statistic_text if source == "survey" else "given indices",
            sigma_description=sigma_text,
            standard_error="Taylor linearisation of the weighted mean (s^2/n unweighted)",
            tiers=[t.model_dump(mode="json") for t in (self.tiers or DEFAULT_TIERS)],
            **reconciliation,
        )
        return TrendResult(
            table=table,
            alerts=alerts,
            targets=targets,
            forecasts=forecasts,
            segments=segment_table,
            periods=tuple(order),
            future_periods=tuple(future),
            baseline=baseline,
            series=tuple(self.series),
            by=by[0] if len(by) == 1 else (" × ".join(by) if by else None),
            settings=settings,
            notes=tuple(notes),
        )

    def _forecasts(
        self,
        cells: _Cells,
        order: list[str],
        notes: list[str],
        *,
        hierarchy: bool,
    ) -> tuple[pd.DataFrame, list[str], dict[str, Any]]:
        assert self.forecast is not None
        mean, se = cells.mean, cells.se
        n_seg, n_ser, n_per = mean.shape
        y = mean.reshape(n_seg * n_ser, n_per)
        s = se.reshape(n_seg * n_ser, n_per)
        if self.observation_variance != "estimated":
            # a period with no sampling variation has no usable measurement variance
            s = np.where(s > 0, s, np.nan)
        with np.errstate(all="ignore"):
            fc = run_forecasts(
                y,
                s,
                model=self.forecast,
                horizon=self.horizon,
                level=self.forecast_level,
                variance_mode=self.observation_variance,
                seasonal_periods=self.seasonal_periods,
            )
        from csimodels.trends._forecast import MIN_PERIODS

        if fc.too_short:
            need = (
                f"{MIN_PERIODS[self.forecast]} observed periods"
                if self.forecast != "auto"
                else f"{MIN_PERIODS['drift']} observed periods (drift)"
            )
            notes.append(
                f"{fc.too_short} (segment, series, period) forecasts were not made: "
                f"forecast={self.forecast!r} needs {need} before the period forecast"
            )
        if self.seasonal_periods is not None and not fc.seasonal_used:
            notes.append(
                f"seasonal_periods={self.seasonal_periods}: no series was long enough for a "
                f"seasonal component (it needs 2 x {self.seasonal_periods} periods more than "
                "the trend model)"
            )
        missing_inside = int(
            np.sum(np.isnan(y[:, 1:-1]) & ~np.isnan(y[:, :-2]) & ~np.isnan(y[:, 2:]))
        )
        if missing_inside:
            notes.append(
                f"{missing_inside} period value(s) are missing inside a series; the "
                "state-space forecasts skip them (the drift model joins the observed values)"
            )
        future = future_labels(order, self.horizon)
        full_order = [*order, *future]
        full_index = pd.MultiIndex.from_product(
            [cells.segments, list(self.series), full_order],
            names=["segment", "series", "period"],
        )
        actual = np.concatenate([y, np.full((y.shape[0], self.horizon), np.nan)], axis=1)
        frame = forecast_frame(fc, actual, full_index, self.forecast_level, order)
        extra: dict[str, Any] = {"future_periods": future}
        if hierarchy and self.reconcile is not None:
            frame, extra_rec = self._reconcile(cells, frame, fc, notes)
            extra.update(extra_rec)
        return frame, future, extra

    def _reconcile(
        self,
        cells: _Cells,
        frame: pd.DataFrame,
        fc: Any,
        notes: list[str],
    ) -> tuple[pd.DataFrame, dict[str, Any]]:
        assert self.reconcile is not None
        segments = cells.segments
        n_seg, n_ser, n_per = cells.mean.shape
        depth = {s: (0 if s == "all" else s.count("/") + 1) for s in segments}
        bottom_depth = max(depth.values())
        bottom = [i for i, s in enumerate(segments) if depth[s] == bottom_depth]
        aggs = [i for i, s in enumerate(segments) if depth[s] < bottom_depth]
        node_order = aggs + bottom
        z = float(stats.norm.ppf(0.5 + self.forecast_level / 2))
        rec_f = np.full((n_seg, n_ser, self.horizon), np.nan)
        rec_sd = np.full((n_seg, n_ser, self.horizon), np.nan)
        lambdas: list[float] = []
        f_all = fc.forecast.reshape(n_seg, n_ser, -1)[..., n_per:]
        sd_all = fc.sd.reshape(n_seg, n_ser, -1)[..., n_per:]
        err_all = fc.errors.reshape(n_seg, n_ser, n_per)
        for k in range(n_ser):
            # shares of the bottom nodes in each aggregate: last period's weight sums
            wsum = cells.weight_sum[:, k, :]
            last = np.flatnonzero(np.nansum(wsum[bottom], axis=0) > 0)
            if last.size == 0:
                continue
            wl = wsum[:, last[-1]]
            shares = np.zeros((len(aggs), len(bottom)))
            for a_pos, a in enumerate(aggs):
                prefix = segments[a]
                members = [
                    b_pos
                    for b_pos, b in enumerate(bottom)
                    if prefix == "all" or segments[b].startswith(prefix + "/")
                ]
                total = wl[[bottom[m] for m in members]].sum()
                if total > 0:
                    shares[a_pos, members] = wl[[bottom[m] for m in members]] / total
            errors = err_all[node_order, k, :].T  # (T, N)
            complete = ~np.isnan(errors).any(axis=1)
            errs = errors[complete] if complete.sum() >= 2 else None
            if errs is None and self.reconcile in ("wls_var", "mint_shrink"):
                notes.append(
                    f"{self.series[k]}: fewer than 2 periods with a one-step error for every "
                    f"node, so reconcile={self.reconcile!r} used W = diag(forecast variances)"
                )
            for j in range(self.horizon):
                base = f_all[node_order, k, j]
                var = sd_all[node_order, k, j] ** 2
                if np.isnan(base).any() or np.isnan(var).any():
                    continue
                rec, rvar, lam = reconcile(base, var, shares, self.reconcile, errors=errs)
                rec_f[node_order, k, j] = rec
                rec_sd[node_order, k, j] = np.sqrt(rvar)
                if not math.isnan(lam):
                    lambdas.append(lam)
        frame = frame.copy()
        full = np.full((n_seg, n_ser, n_per + self.horizon), np.nan)
        full_sd = full.copy()
        full[..., n_per:] = rec_f
        full_sd[..., n_per:] = rec_sd
        frame["reconciled"] = full.ravel()
        frame["reconciled_lower"] = (full - z * full_sd).ravel()
        frame["reconciled_upper"] = (full + z * full_sd).ravel()
        extra: dict[str, Any] = {"reconciliation": self.reconcile}
        if lambdas:
            extra["shrinkage_lambda"] = float(np.mean(lambdas))
        return frame, extra
