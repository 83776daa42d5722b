"""Trend monitoring and early warning for repeated satisfaction surveys.

Satisfaction programmes survey every month or quarter, per region, city or store.
:class:`TrendMonitor` turns those waves into one table per (segment, series, period):
the 0–100 score, its standard error, the change since the previous period with a
two-sample test, and a control-chart statistic (EWMA, tabular CUSUM or Shewhart) with
its limits; every signal becomes a row of an ``alerts`` table sorted by severity.

Examples
--------
>>> import csimodels as csi
>>> from csimodels.trends import TrendMonitor
>>> data = csi.datasets.load_example("acsi_demo")
>>> res = TrendMonitor(series=["SAT1", "Satisfaction"], by="region").fit(data)
>>> res.periods
('2025Q1', '2025Q2', '2025Q3', '2025Q4')
>>> list(res.table.index.names)
['segment', 'series', 'period']
>>> again = TrendMonitor.result_type().from_json(res.to_json())
>>> again == res
True
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import Field, field_validator

from csimodels._settings import Settings
from csimodels.data.survey import SurveyData
from csimodels.errors import (
    DataQualityWarning,
    DataValidationError,
    SpecificationError,
    format_offenders,
)
from csimodels.results import Frame, Result, warn_and_note

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "CONTROL_CHARTS",
    "TrendMonitor",
    "TrendResult",
    "demo_section",
]

FloatArray = NDArray[np.float64]

CONTROL_CHARTS: dict[str, str] = {
    "cusum": "tabular CUSUM: C+ = max(0, z - k + C+), C- = max(0, -z - k + C-), signal > h",
    "ewma": "EWMA: E = lambda z + (1 - lambda) E, signal outside +/- L sd(E)",
    "shewhart": "Shewhart: signal when |z| > L",
}
"""The control charts :class:`TrendMonitor` can run, with one-line definitions."""

_D2 = 1.128  # E(range of two standard normals): the moving-range constant d2 for n = 2.

# -- engine: ndarrays in, ndarrays out -------------------------------------------------


def _cell_stats(
    scores: FloatArray, weights: FloatArray | None, cells: NDArray[np.intp], n_cells: int
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Per-cell count, effective n, weighted mean and its linearised standard error.

    ``cells`` gives each respondent's cell (``-1``: none). NaN scores are ignored.
    Var(mean) = n/(n-1) * sum w_i^2 (x_i - m)^2 / (sum w_i)^2 (with unit weights s^2/n).
    """
    keep = (cells >= 0) & ~np.isnan(scores)
    if weights is not None:
        keep &= weights > 0
    c = cells[keep]
    x = scores[keep]
    w = np.ones_like(x) if weights is None else weights[keep]
    n = np.bincount(c, minlength=n_cells).astype(np.float64)
    sw = np.bincount(c, weights=w, minlength=n_cells)
    sw2 = np.bincount(c, weights=w * w, minlength=n_cells)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(c, weights=w * x, minlength=n_cells) / sw
        dev = x - mean[c]
        ss = np.bincount(c, weights=(w * dev) ** 2, minlength=n_cells)
        var = n / (n - 1) * ss / sw**2
        n_eff = sw**2 / sw2
    mean[n == 0] = np.nan
    var[n < 2] = np.nan
    n_eff[n == 0] = np.nan
    return n, n_eff, mean, np.sqrt(var)


def _shewhart(z: FloatArray, width: float) -> tuple[FloatArray, FloatArray]:
    """Shewhart chart on standardised points: statistic and upper limit (rows: series)."""
    upper = np.where(np.isnan(z), np.nan, width)
    return z.copy(), upper


def _ewma(z: FloatArray, lam: float, width: float, exact: bool) -> tuple[FloatArray, FloatArray]:
    """EWMA of standardised points, E_0 = 0, with exact or asymptotic limits.

    A missing point (NaN) leaves E unchanged and does not advance the step count.
    """
    m, t_max = z.shape
    stat = np.full((m, t_max), np.nan)
    upper = np.full((m, t_max), np.nan)
    e = np.zeros(m)
    count = np.zeros(m)
    asymptotic = math.sqrt(lam / (2.0 - lam))
    for t in range(t_max):
        zt = z[:, t]
        ok = ~np.isnan(zt)
        e = np.where(ok, lam * np.where(ok, zt, 0.0) + (1.0 - lam) * e, e)
        count = count + ok
        stat[ok, t] = e[ok]
        if exact:
            sd = asymptotic * np.sqrt(1.0 - (1.0 - lam) ** (2.0 * count[ok]))
        else:
            sd = np.full(int(ok.sum()), asymptotic)
        upper[ok, t] = width * sd
    return stat, upper


def _cusum(z: FloatArray, k: float, h: float) -> tuple[FloatArray, FloatArray]:
    """Two-sided tabular CUSUM on standardised points: C+ and C- (both >= 0).

    A missing point (NaN) leaves both sums unchanged.
    """
    m, t_max = z.shape
    plus = np.full((m, t_max), np.nan)
    minus = np.full((m, t_max), np.nan)
    cp = np.zeros(m)
    cm = np.zeros(m)
    for t in range(t_max):
        zt = z[:, t]
        ok = ~np.isnan(zt)
        zz = np.where(ok, zt, 0.0)
        cp = np.where(ok, np.maximum(0.0, zz - k + cp), cp)
        cm = np.where(ok, np.maximum(0.0, -zz - k + cm), cm)
        plus[ok, t] = cp[ok]
        minus[ok, t] = cm[ok]
    return plus, minus


def _chart(
    z: FloatArray, settings: TrendMonitor
) -> tuple[FloatArray, FloatArray, FloatArray, NDArray[np.int8], FloatArray, FloatArray]:
    """Run the configured chart: statistic, lower, upper, signal (-1/0/+1), C+, C-."""
    nan = np.full(z.shape, np.nan)
    if settings.chart == "shewhart":
        stat, upper = _shewhart(z, settings.shewhart_width)
        lower = -upper
        plus = minus = nan
    elif settings.chart == "ewma":
        stat, upper = _ewma(
            z, settings.ewma_lambda, settings.ewma_width, settings.ewma_limits == "exact"
        )
        lower = -upper
    else:
        plus, minus = _cusum(z, settings.cusum_k, settings.cusum_h)
        stat = np.where(plus >= minus, plus, -minus)
        upper = np.where(np.isnan(z), np.nan, settings.cusum_h)
        lower = -upper
    if settings.chart == "cusum":
        signal = np.where(
            plus > settings.cusum_h,
            np.where((minus > settings.cusum_h) & (minus > plus), -1, 1),
            np.where(minus > settings.cusum_h, -1, 0),
        )
    else:
        plus = minus = nan
        signal = np.where(stat > upper, 1, np.where(stat < lower, -1, 0))
    return stat, lower, upper, signal.astype(np.int8), plus, minus


def _adjust(p: FloatArray, method: str) -> FloatArray:
    """Holm or Benjamini–Hochberg adjusted p-values over the finite entries of ``p``."""
    out = p.copy()
    ok = np.flatnonzero(np.isfinite(p))
    m = ok.size
    if method == "none" or m == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    ranked = p[order]
    if method == "holm":
        adj = np.maximum.accumulate((m - np.arange(m)) * ranked)
    else:  # fdr_bh
        adj = np.minimum.accumulate(m / np.arange(m, 0, -1) * ranked[::-1])[::-1]
    out[order] = np.minimum(adj, 1.0)
    return out


# -- public layer -------------------------------------------------------------------------


class TrendResult(Result):
    """Per-period scores, changes, control chart and alerts of a :class:`TrendMonitor`.

    Attributes
    ----------
    table : DataFrame, index (segment, series, period)
        ``n``: respondents with an answer (unweighted; NaN for an index table);
        ``n_effective``: Kish effective sample size ``(Σw)²/Σw²`` (= ``n`` unweighted);
        ``estimate``: mean score on 0–100 (or top-box share in percent);
        ``std_error``: its standard error (linearisation, see Notes of
        :class:`TrendMonitor`); ``ci_lower``/``ci_upper``: normal interval at ``level``;
        ``change``: estimate minus the previous period's; ``change_std_error``;
        ``statistic``: Welch t (or z) of the change; ``df``: Welch–Satterthwaite degrees
        of freedom (infinite for z); ``p_value`` (two-sided) and ``p_value_adjusted``
        (after ``p_adjust``); ``baseline``: True for baseline periods; ``target`` and
        ``sigma``: the chart's centre and the standard deviation used to standardise
        the period (0–100 points; NaN outside the monitored periods); ``z``:
        ``(estimate − target)/sigma``; ``chart_statistic``: the chart's statistic in
        sigma units (Shewhart: z; EWMA: E_t; CUSUM: C+ when C+ ≥ C−, else −C−);
        ``lower_limit``/``upper_limit``: its control limits; ``cusum_upper`` and
        ``cusum_lower`` (C+ and C−, CUSUM only, else NaN); ``signal``: ``"drop"``,
        ``"rise"`` or ``""``.
    alerts : DataFrame, one row per alert, most severe first
        ``segment``, ``series``, ``period``; ``kind`` (``"drop"``/``"rise"``); ``rule``
        (the chart name, or ``"period_over_period"``); ``estimate``; ``reference``
        (chart target, or the previous period's estimate); ``magnitude`` = estimate −
        reference (0–100 points); ``statistic`` (chart statistic or t); ``limit`` (the
        control limit crossed, or the two-sided critical value with the sign of the
        change); ``p_value`` (adjusted;
        NaN for chart rules); ``severity`` = |statistic| / limit (≥ 1).
    targets : DataFrame, index (segment, series)
        ``target``, ``target_std_error``, ``sigma`` (the baseline sigma, or NaN when
        sigma comes from each period's standard error), ``n_baseline`` respondents.
    periods, baseline, series : tuple of str
        Period order, baseline periods and tracked series.
    by : str or None
        Segment column (``None``: one segment labelled ``"all"``).

    Examples
    --------
    >>> import csimodels as csi
    >>> from csimodels.trends import TrendMonitor
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> res = TrendMonitor(series=["SAT1"], chart="shewhart").fit(data)
    >>> int(res.table.loc[("all", "SAT1", "2025Q2"), "n"]) > 900
    True
    """

    table: Frame
    alerts: Frame
    targets: Frame
    periods: tuple[str, ...]
    baseline: tuple[str, ...]
    series: tuple[str, ...]
    by: str | None = None

    _title: ClassVar[str] = "Trend monitoring and early warning"

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        s = self.settings
        chart = str(s.get("chart"))
        params = {
            "ewma": f"lambda = {s.get('ewma_lambda')}, L = {s.get('ewma_width')}, "
            f"{s.get('ewma_limits')} limits",
            "cusum": f"k = {s.get('cusum_k')}, h = {s.get('cusum_h')} (sigma units)",
            "shewhart": f"L = {s.get('shewhart_width')}",
        }[chart]
        header: list[tuple[str, object]] = [
            ("Series", ", ".join(self.series)),
            ("Statistic", s.get("statistic_description")),
            ("Segments", self.by or "none (all respondents)"),
            ("Periods", " < ".join(self.periods)),
            ("Baseline", ", ".join(self.baseline)),
            ("Chart", f"{chart} ({params})"),
            ("Sigma", s.get("sigma_description")),
            (
                "Change test",
                f"{s.get('test')} two-sided, alpha = {s.get('alpha')}, "
                f"p adjustment: {s.get('p_adjust')}",
            ),
            ("Alerts", len(self.alerts)),
        ]
        last = self.periods[-1]
        latest = self.table.xs(last, level="period")[
            ["n", "estimate", "std_error", "change", "p_value", "chart_statistic", "signal"]
        ]
        tables: dict[str, Any] = {f"Latest period ({last})": latest}
        if len(self.alerts):
            tables["Alerts"] = self.alerts.set_index(["segment", "series", "period"])[
                ["kind", "rule", "magnitude", "statistic", "limit", "p_value", "severity"]
            ].head(20)
        return header, tables

    def estimates(self, column: str = "estimate") -> pd.DataFrame:
        """One column of :attr:`table` as a periods × (segment, series) frame.

        Examples
        --------
        >>> import csimodels as csi
        >>> from csimodels.trends import TrendMonitor
        >>> data = csi.datasets.load_example("acsi_demo")
        >>> TrendMonitor(series=["SAT1", "SAT2"]).fit(data).estimates().shape
        (4, 2)
        """
        if column not in self.table.columns:
            raise DataValidationError(
                f"column={column!r} is not a column of the trend table; choose one of "
                f"{format_offenders(sorted(map(str, self.table.columns)))}"
            )
        wide = self.table[column].unstack(["segment", "series"])
        return wide.reindex(list(self.periods))

    def plot_data(self, segment: str | None = None, series: str | None = None) -> pd.DataFrame:
        """The rows of :attr:`table` for one (segment, series), in period order.

        Defaults: the first segment and the first series.

        Examples
        --------
        >>> import csimodels as csi
        >>> from csimodels.trends import TrendMonitor
        >>> data = csi.datasets.load_example("acsi_demo")
        >>> TrendMonitor(series=["SAT1"]).fit(data).plot_data().index.tolist()
        ['2025Q1', '2025Q2', '2025Q3', '2025Q4']
        """
        segments = list(dict.fromkeys(self.table.index.get_level_values("segment")))
        seg = segments[0] if segment is None else str(segment)
        ser = self.series[0] if series is None else str(series)
        if seg not in segments:
            raise DataValidationError(
                f"segment {seg!r} is not in this result; segments: {format_offenders(segments)}"
            )
        if ser not in self.series:
            raise DataValidationError(
                f"series {ser!r} is not in this result; series: {format_offenders(self.series)}"
            )
        rows = self.table.xs((seg, ser), level=("segment", "series"))
        assert isinstance(rows, pd.DataFrame)
        return rows.reindex(list(self.periods))

    def plot(
        self, segment: str | None = None, series: str | None = None, *, axes: Any = None
    ) -> tuple[Axes, Axes]:
        """Two panels: the score with its interval and target; the chart with its limits.

        Needs matplotlib (imported only here). Returns the two axes.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import csimodels as csi
        >>> from csimodels.trends import TrendMonitor
        >>> res = TrendMonitor(series=["SAT1"]).fit(csi.datasets.load_example("acsi_demo"))
        >>> top, bottom = res.plot()
        >>> bottom.get_ylabel()
        'ewma statistic (sigma units)'
        """
        try:
            import matplotlib.pyplot as plt
        except ImportError as err:  # pragma: no cover - depends on the environment
            raise ImportError("plotting needs matplotlib: pip install 'csimodels[plot]'") from err
        frame = self.plot_data(segment, series)
        if axes is None:
            _, axes = plt.subplots(2, 1, sharex=True, figsize=(7, 5))
        top, bottom = axes
        x = np.arange(len(frame))
        top.errorbar(
            x,
            frame["estimate"],
            yerr=[frame["estimate"] - frame["ci_lower"], frame["ci_upper"] - frame["estimate"]],
            marker="o",
            capsize=3,
        )
        top.plot(x, frame["target"], linestyle="--", color="grey", label="target")
        top.set_ylabel("score (0-100)")
        first_segment = str(self.table.index.get_level_values("segment")[0])
        top.set_title(f"{series or self.series[0]} - {segment or first_segment}")
        bottom.plot(x, frame["chart_statistic"], marker="o")
        bottom.plot(x, frame["upper_limit"], linestyle="--", color="red")
        bottom.plot(x, frame["lower_limit"], linestyle="--", color="red")
        hit = frame["signal"] != ""
        bottom.scatter(x[hit.to_numpy()], frame["chart_statistic"][hit], color="red", zorder=3)
        bottom.set_ylabel(f"{self.settings.get('chart')} statistic (sigma units)")
        bottom.set_xticks(x, [str(p) for p in frame.index])
        return top, bottom


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
        Segment column (a declared segment level, e.g. ``"city"``); default all
        respondents as one segment ``"all"``.
    baseline : int or tuple of str
        Baseline periods: the first ``k`` periods, or their labels. The chart target
        (and, with ``sigma="baseline"``, sigma) comes from them; the chart runs on the
        periods after the last baseline period.
    chart : {"ewma", "cusum", "shewhart"}
        Control chart (:data:`CONTROL_CHARTS`).
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
    >>> res = TrendMonitor(series=["Satisfaction"], by="region", chart="cusum").fit(data)
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
    chart: Literal["ewma", "cusum", "shewhart"] = "ewma"
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
        scale: tuple[float, float] | None = None,
        weight: str | None = None,
        period: str | None = None,
    ) -> TrendResult:
        """Monitor the tracked series in survey answers.

        Parameters
        ----------
        data : SurveyData or DataFrame
            The answers, with a period column (and the ``by`` segment column). Not
            modified.
        scale, weight, period : optional
            For a DataFrame only: the answer scale (required: the 0–100 score is
            anchored on it), the weight column and the period column.

        Returns
        -------
        TrendResult

        Raises
        ------
        DataValidationError
            A tracked series, the period or segment column is missing, a period label
            in ``periods`` or ``baseline`` is not in the data, a series has no declared
            scale, or fewer than two periods.
        """
        survey = self._coerce(data, scale=scale, weight=weight, period=period)
        period_col = survey.period
        assert period_col is not None
        order, codes = self._period_codes(survey.frame[period_col], period_col)
        notes: list[str] = []
        if self.by is not None:
            seg_values = survey.frame[self.by]
            if seg_values.isna().any():
                warn_and_note(
                    notes,
                    f"{int(seg_values.isna().sum())} respondents have no {self.by!r} label "
                    "and are left out",
                    DataQualityWarning,
                )
            seg_codes_raw, seg_uniques = pd.factorize(seg_values, sort=True)
            segments = [str(s) for s in seg_uniques]
            seg_codes = np.asarray(seg_codes_raw, dtype=np.intp)
        else:
            segments = ["all"]
            seg_codes = np.zeros(survey.n_respondents, dtype=np.intp)
        n_seg, n_per, n_ser = len(segments), len(order), len(self.series)
        baseline = self._baseline_labels(order)
        base_pos = np.array([order.index(b) for b in baseline])
        in_base = np.isin(codes, base_pos)
        w = survey.weights()
        cells = np.where((codes >= 0) & (seg_codes >= 0), seg_codes * n_per + codes, -1)
        base_cells = np.where(in_base & (seg_codes >= 0), seg_codes, -1)
        shape = (n_seg, n_ser, n_per)
        n = np.empty(shape)
        n_eff = np.empty(shape)
        mean = np.empty(shape)
        se = np.empty(shape)
        target = np.empty((n_seg, n_ser))
        target_se = np.empty((n_seg, n_ser))
        n_base = np.empty((n_seg, n_ser))
        for k, name in enumerate(self.series):
            scores = self._scores(survey, name)
            a, b, c, d = _cell_stats(scores, w, cells, n_seg * n_per)
            n[:, k], n_eff[:, k] = a.reshape(n_seg, n_per), b.reshape(n_seg, n_per)
            mean[:, k], se[:, k] = c.reshape(n_seg, n_per), d.reshape(n_seg, n_per)
            nb, _, tb, sb = _cell_stats(scores, w, base_cells, n_seg)
            target[:, k], target_se[:, k], n_base[:, k] = tb, sb, nb
        empty = [
            f"{segments[s]}/{self.series[k]}/{order[t]}"
            for s, k, t in zip(*np.nonzero(n < 2), strict=True)
        ]
        if empty:
            warn_and_note(
                notes,
                f"{len(empty)} segment/series/period cell(s) have fewer than 2 answers, so no "
                f"estimate or standard error: {format_offenders(empty)}",
                DataQualityWarning,
            )
        thin = [
            f"{segments[s]}/{order[t]}"
            for s, t in zip(*np.nonzero((n[:, 0] >= 2) & (n[:, 0] < self.min_n)), strict=True)
        ]
        if thin:
            warn_and_note(
                notes,
                f"{len(thin)} segment/period cell(s) have fewer than min_n = {self.min_n} "
                f"respondents; their estimates are imprecise: {format_offenders(thin)}",
                DataQualityWarning,
            )
        return self._assemble(
            segments,
            order,
            baseline,
            n,
            n_eff,
            mean,
            se,
            target,
            target_se,
            n_base,
            notes,
            source="survey",
            weight=survey.weight,
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
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            target = np.nanmean(mean[:, :, base_pos], axis=2)
            counts = np.sum(~np.isnan(se[:, :, base_pos]), axis=2)
            target_se = np.sqrt(np.nansum(se[:, :, base_pos] ** 2, axis=2)) / counts
        if errors is None:
            notes.append("no standard errors given: no period-over-period tests")
        nan = np.full(mean.shape, np.nan)
        return self._assemble(
            segments,
            order,
            baseline,
            nan,
            nan.copy(),
            mean,
            se,
            target,
            target_se,
            np.full(target.shape, np.nan),
            notes,
            source="index table",
            weight=None,
        )

    # -- validation helpers ---------------------------------------------------------------
    def _coerce(
        self,
        data: SurveyData | pd.DataFrame,
        *,
        scale: tuple[float, float] | None,
        weight: str | None,
        period: str | None,
    ) -> SurveyData:
        if isinstance(data, pd.DataFrame):
            if period is None:
                raise DataValidationError(
                    "TrendMonitor: pass period='<column>' naming the period column of the "
                    "DataFrame (or a SurveyData with period=...)"
                )
            needed = [*self.series, period, *([self.by] if self.by else [])]
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
                segments=[self.by] if self.by else [],
                period=period,
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
        if self.by is not None and self.by not in data.segments:
            raise DataValidationError(
                f"TrendMonitor: by={self.by!r} is not a segment column of this survey; choose "
                f"one of {format_offenders(sorted(data.segments)) or 'none (declare segments)'}"
            )
        unknown = [s for s in self.series if s not in data.items and s not in data.constructs]
        if unknown:
            raise DataValidationError(
                f"TrendMonitor: series {format_offenders(unknown)} is neither an item nor a "
                f"construct of the survey; items: {format_offenders(sorted(data.items))}"
            )
        return data

    def _period_codes(self, labels: pd.Series, column: str) -> tuple[list[str], NDArray[np.intp]]:
        """Period order (as strings) and each row's position in it (-1: no period)."""
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
        text = labels.map(lambda v: None if pd.isna(v) else str(v))
        codes = np.array([pos.get(v, -1) if v is not None else -1 for v in text], dtype=np.intp)
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
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            score = np.nanmean(block, axis=1)
        if self.statistic == "top_box":
            sc0 = survey.item_info[members[0]].scale
            assert sc0 is not None
            cut = 100.0 * (sc0.max - self.box - sc0.min) / (sc0.max - sc0.min)
            score = np.where(np.isnan(score), np.nan, np.where(score > cut + 1e-9, 100.0, 0.0))
        return np.asarray(score, dtype=np.float64)

    # -- shared assembly ------------------------------------------------------------------
    def _assemble(
        self,
        segments: list[str],
        order: list[str],
        baseline: tuple[str, ...],
        n: FloatArray,
        n_eff: FloatArray,
        mean: FloatArray,
        se: FloatArray,
        target: FloatArray,
        target_se: FloatArray,
        n_base: FloatArray,
        notes: list[str],
        *,
        source: str,
        weight: str | None,
    ) -> TrendResult:
        from scipy import stats

        n_seg, n_ser, n_per = mean.shape
        crit_ci = float(stats.norm.ppf(0.5 + self.level / 2))
        # period-over-period change
        change = np.full(mean.shape, np.nan)
        change_se = np.full(mean.shape, np.nan)
        change_df = np.full(mean.shape, np.nan)
        change[..., 1:] = mean[..., 1:] - mean[..., :-1]
        v1, v0 = se[..., 1:] ** 2, se[..., :-1] ** 2
        change_se[..., 1:] = np.sqrt(v1 + v0)
        use_t = self.test == "welch" and source == "survey"
        with np.errstate(invalid="ignore", divide="ignore"):
            stat = change / change_se
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
        p_adj = _adjust(p.ravel(), self.p_adjust).reshape(p.shape)
        if self.test == "welch" and source != "survey":
            notes.append("index table: the change test is a z test on the given standard errors")
        # control chart
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
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                mr = np.nanmean(np.abs(np.diff(base_means, axis=-1)), axis=-1)
            sigma_series = mr / _D2
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
        tgt = np.where(monitored, target[..., None], np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):
            z = (mean - tgt) / sig
        flat_z = z.reshape(n_seg * n_ser, n_per)
        cstat, lower, upper, signal, plus, minus = _chart(flat_z, self)
        cstat, lower, upper = (a.reshape(mean.shape) for a in (cstat, lower, upper))
        signal = signal.reshape(mean.shape)
        plus, minus = plus.reshape(mean.shape), minus.reshape(mean.shape)
        kinds = np.array(["drop", "", "rise"], dtype=object)
        index = pd.MultiIndex.from_product(
            [segments, list(self.series), order], names=["segment", "series", "period"]
        )
        table = pd.DataFrame(
            {
                "n": n.ravel(),
                "n_effective": n_eff.ravel(),
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
        # alerts
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
                    "rule": self.chart,
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
        columns = [
            "segment",
            "series",
            "period",
            "kind",
            "rule",
            "estimate",
            "reference",
            "magnitude",
            "statistic",
            "limit",
            "p_value",
            "severity",
        ]
        alerts = pd.DataFrame(rows, columns=pd.Index(columns))
        if rows:
            alerts = alerts.sort_values(
                ["severity", "segment", "series", "period", "rule"],
                ascending=[False, True, True, True, True],
                kind="stable",
            ).reset_index(drop=True)
        else:
            alerts = alerts.astype(
                {c: "float64" for c in columns[5:]} | {c: "str" for c in columns[:5]}
            )
        targets = pd.DataFrame(
            {
                "target": target.ravel(),
                "target_std_error": target_se.ravel(),
                "sigma": sigma_series.ravel(),
                "n_baseline": n_base.ravel(),
            },
            index=pd.MultiIndex.from_product(
                [segments, list(self.series)], names=["segment", "series"]
            ),
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
            periods=list(order),
            baseline=list(baseline),
            statistic_description=statistic_text if source == "survey" else "given indices",
            sigma_description=sigma_text,
            standard_error="Taylor linearisation of the weighted mean (s^2/n unweighted)",
        )
        return TrendResult(
            table=table,
            alerts=alerts,
            targets=targets,
            periods=tuple(order),
            baseline=baseline,
            series=tuple(self.series),
            by=self.by,
            settings=settings,
            notes=tuple(notes),
        )


def demo_section() -> str:
    """Trend monitoring on the ``acsi_demo`` survey: scores by region, alerts.

    Tracks the Satisfaction construct and the SAT1 item per region over the four
    quarters with an EWMA chart (baseline 2025Q1) and Welch tests of each quarter's
    change; returns the report as text.

    Examples
    --------
    >>> text = demo_section()
    >>> "Satisfaction" in text and "alerts" in text
    True
    """
    import csimodels as csi

    data = csi.datasets.load_example("acsi_demo")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        res = TrendMonitor(series=["Satisfaction", "SAT1"], by="region").fit(data)
    wide = res.estimates().xs("Satisfaction", axis=1, level="series")
    lines = [
        "Satisfaction (满意度, 0-100) by region and quarter, weighted; EWMA chart "
        "(lambda 0.2, L 3, exact limits) against the 2025Q1 baseline, Welch test of "
        "each quarter's change:",
        "",
        wide.round(2).to_string(),
        "",
    ]
    latest = res.table.xs(res.periods[-1], level="period")
    lines.append(f"Latest quarter {res.periods[-1]} (change vs previous quarter):")
    for key, row in latest.iterrows():
        seg, ser = (str(part) for part in key)  # type: ignore[union-attr]
        lines.append(
            f"  {seg:<6} {ser:<13} {row['estimate']:6.2f} ± {row['std_error']:.2f}  "
            f"change {row['change']:+5.2f} (p = {row['p_value']:.3f})  "
            f"EWMA {row['chart_statistic']:+.3f} / ±{row['upper_limit']:.3f}"
            f"{'  ' + row['signal'].upper() if row['signal'] else ''}"
        )
    lines += ["", f"{len(res.alerts)} alerts, most severe first:"]
    for _, a in res.alerts.head(8).iterrows():
        detail = (
            f"p = {a['p_value']:.4f}"
            if a["rule"] == "period_over_period"
            else f"statistic {a['statistic']:+.3f} vs limit {a['limit']:+.3f}"
        )
        lines.append(
            f"  {a['period']} {a['segment']:<6} {a['series']:<13} {a['kind']:<4} "
            f"{a['rule']:<18} {a['magnitude']:+6.2f} points  {detail}"
        )
    return "\n".join(lines)
