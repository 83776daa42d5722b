"""SERVQUAL gap scoring: item and dimension gaps, weighted scores, tests, reliability."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Self

import numpy as np
import pandas as pd
from pydantic import ConfigDict, field_validator, model_validator

from csimodels._settings import Settings
from csimodels._stats import cronbach_alpha
from csimodels.data._dask_tasks import as_dask_source
from csimodels.data.survey import SurveyData
from csimodels.errors import InvalidParameterError, SpecificationError, format_offenders
from csimodels.results import Frame, MissingDataReport, Result, SegmentedResult
from csimodels.segments import fit_by
from csimodels.servqual import _engine as eng
from csimodels.servqual._prepare import Prepared, base_settings, prepare
from csimodels.servqual.instruments import (
    SERVQUAL_1991,
    Instrument,
    resolve_instrument,
)

__all__ = ["CORRECTIONS", "SERVQUAL", "SERVQUALResult"]

CORRECTIONS: tuple[str, ...] = ("bonferroni", "fdr_bh", "holm", "none")
"""Multiple-comparison corrections: Bonferroni, Benjamini–Hochberg FDR, Holm, none."""

OVERALL_SCORES = ("unweighted", "item_mean", "weighted_per_respondent", "weighted_aggregate")
STAT_COLUMNS = ["estimate", "std_error", "ci_lower", "ci_upper", "statistic", "p_value"]


class InstrumentModel(Settings):
    """Settings base of the SERVQUAL family: a named instrument, a scale and a level.

    Resolves an instrument given by name and checks ``level`` and ``scale``, raising
    :class:`~csimodels.errors.InvalidParameterError` like every model.
    """

    @field_validator("instrument", mode="before", check_fields=False)
    @classmethod
    def _named_instrument(cls, value: Any) -> Any:
        return resolve_instrument(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _check_level_and_scale(self) -> Self:
        name = type(self).__name__
        level = getattr(self, "level", 0.95)
        if not 0 < level < 1:
            raise InvalidParameterError(
                f"parameter 'level' of {name} must be in (0, 1), got {level!r}"
            )
        lo, hi = getattr(self, "scale", (0.0, 1.0))
        if not lo < hi:
            raise InvalidParameterError(
                f"parameter 'scale' of {name} must be (min, max) with min < max, got {(lo, hi)!r}"
            )
        return self

    def _prepare(
        self,
        data: SurveyData | pd.DataFrame,
        by: str | Sequence[str] | None,
        weight: str | None,
        options: Mapping[str, Any] | None = None,
        *,
        partition: bool = False,
    ) -> Prepared:
        """Resolve, check and extract the model's batteries (:func:`prepare`)."""
        settings: Any = self  # the family's models declare these fields
        return prepare(
            data,
            model=type(self).__name__,
            instrument=settings.instrument,
            batteries=self._batteries(),
            importance=getattr(settings, "importance", None),
            scale=settings.scale,
            weight=weight,
            by=by,
            missing=settings.missing,
            normalize_points=getattr(settings, "normalize_points", False),
            points_total=getattr(settings, "points_total", 100.0),
            options=options,
            partition=partition,
        )

    def _batteries(self) -> dict[str, str]:
        """Role → battery code of every answer battery the model scores."""
        raise NotImplementedError  # each model names its batteries

    def _prepared_or_fitted(
        self,
        data: Any,
        fit_one: Callable[[SurveyData], Result],
        *,
        by: str | Sequence[str] | None,
        weight: str | None,
        on_error: Literal["skip", "raise"],
        n_jobs: int,
        options: Mapping[str, Any],
    ) -> Prepared | Result:
        """``fit``'s first step: the result itself for a dask DataFrame or parquet path
        (out of core) or with ``by``; otherwise the prepared sample to score."""
        source = as_dask_source(data, owner=f"{type(self).__name__}.fit")
        if source is not None:  # out of core: per-partition sums
            from csimodels.servqual._dask import fit_dask

            model: Any = self
            return fit_dask(  # type: ignore[no-any-return]
                model, source, by=by, weight=weight, on_error=on_error, options=options
            )
        prep = self._prepare(data, by, weight, options)
        if by is not None:
            return self._fit_segments(prep, by, fit_one, on_error=on_error, n_jobs=n_jobs)
        return prep

    def _fit_segments(
        self,
        prep: Prepared,
        by: str | Sequence[str],
        fit_one: Callable[[SurveyData], Result],
        *,
        on_error: Literal["skip", "raise"],
        n_jobs: int,
    ) -> SegmentedResult:
        """``fit(data, by=...)``: the pooled fit and one per segment."""
        assert prep.survey is not None
        name = type(self).__name__
        return fit_by(
            prep.survey,
            by,
            fit_one,
            owner=f"{name}.fit",
            min_segment_size=2,
            on_error=on_error,
            n_jobs=n_jobs,
            pooled=fit_one(prep.survey),
            headline=("dimensions",),
            settings={"model": name},
        )


@dataclass(frozen=True)
class _Scores:
    """Everything computed on one sample (the whole survey or one segment)."""

    item_e: eng.FloatArray
    item_p: eng.FloatArray
    item: eng.MeanStats
    dim_e: eng.FloatArray
    dim_p: eng.FloatArray
    dim: eng.MeanStats
    importance: eng.FloatArray
    contrib_per_respondent: eng.FloatArray
    contrib_aggregate: eng.FloatArray
    overall: pd.DataFrame


def _test(x: eng.FloatArray, w: eng.FloatArray | None, level: float, test: str) -> eng.MeanStats:
    st = eng.mean_stats(x, w, level)
    if test == "wilcoxon":
        stat, p = eng.wilcoxon_columns(x)
        st = eng.MeanStats(st.mean, st.std_error, st.ci_lower, st.ci_upper, stat, p, st.n)
    return st


def _score(
    e: eng.FloatArray,
    p: eng.FloatArray,
    shares: eng.FloatArray | None,
    w: eng.FloatArray | None,
    owner: Any,
    n_dims: int,
    level: float,
    test: str,
) -> _Scores:
    g = p - e
    item = _test(g, w, level, test)
    dim_g, _ = eng.dimension_scores(g, owner, n_dims)
    item_e, item_p = eng.column_means(e, w), eng.column_means(p, w)
    if np.isnan(g).any():
        dim_e = eng.column_means(eng.dimension_scores(e, owner, n_dims)[0], w)
        dim_p = eng.column_means(eng.dimension_scores(p, owner, n_dims)[0], w)
    else:  # complete answers: the mean of dimension scores is the mean of item means
        dim_e = np.array([item_e[owner == d].mean() for d in range(n_dims)])
        dim_p = np.array([item_p[owner == d].mean() for d in range(n_dims)])
    dim = _test(dim_g, w, level, test)
    complete = ~np.isnan(dim_g).any(axis=1)
    rows: dict[str, list[float]] = {}

    def add(name: str, x: eng.FloatArray, wx: eng.FloatArray | None, use_test: str) -> None:
        if x.size == 0:
            rows[name] = [np.nan] * 6 + [0]
            return
        rows[name] = _test(x[:, None], wx, level, use_test).first_row()

    wc = None if w is None else w[complete]
    add("unweighted", dim_g[complete].mean(axis=1), wc, test)
    with np.errstate(invalid="ignore"):
        add("item_mean", np.nanmean(g, axis=1), w, test)
    n_imp = np.full(n_dims, np.nan)
    contrib_pr = np.full(n_dims, np.nan)
    contrib_ag = np.full(n_dims, np.nan)
    if shares is not None:
        ok = complete & ~np.isnan(shares).any(axis=1)
        s_ok, g_ok = shares[ok], dim_g[ok]
        w_ok = None if w is None else w[ok]
        add("weighted_per_respondent", (s_ok * g_ok).sum(axis=1), w_ok, test)
        if ok.sum() >= 2:
            est, se, lo, hi, t, pv = eng.aggregate_weighted(g_ok, s_ok, w_ok, level)
            rows["weighted_aggregate"] = [est, se, lo, hi, t, pv, int(ok.sum())]
        else:
            rows["weighted_aggregate"] = [np.nan] * 6 + [int(ok.sum())]
        if ok.any():
            n_imp = eng.column_means(
                shares[~np.isnan(shares).any(axis=1)],
                None if w is None else w[~np.isnan(shares).any(axis=1)],
            )
            contrib_pr = eng.column_means(s_ok * g_ok, w_ok)
            contrib_ag = eng.column_means(s_ok, w_ok) * eng.column_means(g_ok, w_ok)
    return _Scores(
        item_e=item_e,
        item_p=item_p,
        item=item,
        dim_e=dim_e,
        dim_p=dim_p,
        dim=dim,
        importance=n_imp,
        contrib_per_respondent=contrib_pr,
        contrib_aggregate=contrib_ag,
        overall=overall_table(rows),
    )


def overall_table(rows: dict[str, list[float]]) -> pd.DataFrame:
    """The ``overall`` table from its rows (estimate ... p_value, n), one per score."""
    overall = pd.DataFrame.from_dict(rows, orient="index", columns=[*STAT_COLUMNS, "n"])
    overall["n"] = overall["n"].astype(np.int64)
    overall.index.name = "score"
    return overall


class SERVQUALResult(Result):
    """Gap scores of a SERVQUAL survey (perception minus expectation, P − E).

    Negative gaps mean service falls short of expectations. Every mean is weighted
    when the survey has respondent weights. Intervals are t intervals at ``level``
    around the mean (with the linearisation standard error of a weighted mean); the
    test (paired t, or Wilcoxon signed-rank) asks whether the mean gap is zero.

    Attributes
    ----------
    items : DataFrame, one row per item (index: item identifier)
        ``dimension``, ``label``; ``expectation`` and ``perception``: mean scores
        (after reverse scoring); ``estimate``: mean gap P − E; ``std_error``;
        ``ci_lower``, ``ci_upper``; ``statistic``: t (or Wilcoxon's W) of the paired
        test; ``p_value``; ``p_adjusted``: corrected over the items; ``n``: respondents
        who answered the item in both batteries.
    dimensions : DataFrame, one row per dimension
        ``label``, ``n_items``, ``expectation``, ``perception``; ``estimate``: mean of
        the respondents' dimension gaps (a respondent's dimension gap is the mean of
        its item gaps); ``std_error``, ``ci_lower``, ``ci_upper``, ``statistic``,
        ``p_value``; ``p_adjusted``: corrected over the dimensions; ``n``;
        ``importance``: mean importance share (0–1; NaN without importance columns);
        ``weighted_per_respondent``: mean over respondents of (own share × own gap);
        ``weighted_aggregate``: mean share × mean gap. Each weighted column sums over
        the dimensions to the corresponding overall score.
    overall : DataFrame, one row per overall score (index ``score``)
        ``unweighted``: mean over respondents of the mean of their dimension gaps
        (respondents with every dimension); ``item_mean``: mean of each respondent's
        item gaps; ``weighted_per_respondent``: each respondent's importance-weighted
        score ``Σ_d share_d · gap_d``, then averaged; ``weighted_aggregate``:
        ``Σ_d mean(share_d) · mean(gap_d)``, with a delta-method standard error (its
        test is always a t test). Columns as in :attr:`dimensions` plus ``n``.
    reliability : DataFrame, one row per dimension
        ``n_items`` and Cronbach's alpha of the ``expectation``, ``perception`` and
        ``gap`` item scores (NaN, with a note, for single-item dimensions).
    priorities : DataFrame, one row per dimension, most urgent first
        ``label``, ``estimate`` (gap), ``importance``, ``weighted_gap`` (the gap ×
        importance of the chosen weighting), ``rank_gap`` (1 = most negative gap) and
        ``rank_weighted`` (1 = most negative gap × importance; NaN without importance).
    item_priorities : DataFrame, one row per item, most urgent first
        ``dimension``, ``label``, ``estimate``, ``importance`` (the share of the item's
        dimension), ``weighted_gap``, ``rank_gap``, ``rank_weighted``.
    exclusions : DataFrame, one row per respondent left out of some part
        ``scope`` (``"all"``: left out entirely; ``"overall"``: a dimension without
        answers, so out of the overall and weighted scores; ``"weighted"``: no
        importance points, so out of the weighted scores), ``reason``,
        ``missing_items`` and ``missing_dimensions`` (counts).
    missing : MissingDataReport
        The missing-data rule and how many respondents it kept.
    cfa_fit, cfa_loadings : DataFrame or None
        With ``confirmatory=``: fit indices (``chi2``, ``dof``, ``p_value``, ``cfi``,
        ``tli``, ``rmsea``, ``srmr``...) and standardised loadings of the
        dimension structure, estimated by the library's CB-SEM (:class:`~csimodels.CBSEM`).

    Examples
    --------
    >>> from csimodels.datasets.servqual import simulate_servqual_survey
    >>> from csimodels.servqual import SERVQUAL
    >>> sim = simulate_servqual_survey(n=300, random_state=3)
    >>> res = SERVQUAL(importance="I_{dimension}").fit(sim.data)
    >>> list(res.overall.index)
    ['unweighted', 'item_mean', 'weighted_per_respondent', 'weighted_aggregate']
    >>> res.priorities.index[0] in res.dimensions.index
    True
    """

    items: Frame
    dimensions: Frame
    overall: Frame
    reliability: Frame
    priorities: Frame
    item_priorities: Frame
    exclusions: Frame
    missing: MissingDataReport
    cfa_fit: Frame | None = None
    cfa_loadings: Frame | None = None

    _title: ClassVar[str] = "SERVQUAL gap analysis"

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        s = self.settings
        header: list[tuple[str, object]] = [
            ("Instrument", s["instrument"]),
            ("Respondents", f"{s['n_used']} used of {s['n_respondents']}"),
            ("Missing answers", self.missing.describe()),
            ("Weighted", f"yes ({s['weight']})" if s.get("weight") else "no"),
            ("Test", f"{s['test']}, {s['p_adjust']} adjustment, level {s['level']}"),
            ("Importance", f"{s['weighting']} weighting" if s.get("importance") else "none"),
        ]
        dims = self.dimensions[
            ["label", "expectation", "perception", "estimate", "ci_lower", "ci_upper", "p_adjusted"]
        ]
        tables: dict[str, Any] = {
            "Dimension gaps (P - E)": dims,
            "Overall scores": self.overall,
            "Cronbach's alpha": self.reliability,
            "Priorities": self.priorities,
        }
        if self.cfa_fit is not None:
            tables["Confirmatory factor analysis"] = self.cfa_fit
        return header, tables

    def plot_data(self, kind: Literal["bar", "radar"] = "bar") -> pd.DataFrame:
        """The numbers behind :meth:`plot`.

        ``"bar"``: one row per dimension with ``label``, ``estimate``, ``ci_lower``,
        ``ci_upper`` (the gap bars and their error bars). ``"radar"``: one row per
        dimension with ``label``, ``expectation``, ``perception`` and the spoke
        ``angle`` in radians (dimension order, clockwise from the top).

        Examples
        --------
        >>> from csimodels.datasets.servqual import simulate_servqual_survey
        >>> from csimodels.servqual import SERVQUAL
        >>> res = SERVQUAL().fit(simulate_servqual_survey(n=50, random_state=1).data)
        >>> list(res.plot_data("radar").columns)
        ['label', 'expectation', 'perception', 'angle']
        """
        return _plot_data(self.dimensions, kind)

    def plot(
        self,
        kind: Literal["bar", "radar"] | None = None,
        *,
        ax: Any = None,
        language: Literal["en", "zh"] = "en",
        labels: Literal["code", "label"] = "code",
    ) -> Any:
        """Draw the dimension gaps as bars with intervals, or E and P on a radar chart.

        The radar covers the whole circle with one spoke per dimension, clockwise from
        the top. ``labels="label"`` names the dimensions by their labels. Needs
        matplotlib (the ``plot`` extra). Returns the matplotlib Axes.

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> from csimodels.datasets.servqual import simulate_servqual_survey
        >>> from csimodels.servqual import SERVQUAL
        >>> res = SERVQUAL().fit(simulate_servqual_survey(n=50, random_state=1).data)
        >>> res.plot("bar").get_xlabel()
        'Gap (P − E)'
        """
        return _plot(
            self.dimensions,
            kind,
            ax,
            "Gap (P − E)",
            ("expectation", "perception"),
            language=language,
            labels=labels,
            title="Service quality gaps",
        )


def _plot_data(dims: pd.DataFrame, kind: str) -> pd.DataFrame:
    if kind == "bar":
        return dims[["label", "estimate", "ci_lower", "ci_upper"]].copy()
    if kind == "radar":
        cols = [c for c in ("expectation", "perception", "adequate", "desired") if c in dims]
        out = dims[["label", *cols]].copy()
        out["angle"] = np.pi / 2 - 2 * np.pi * np.arange(len(out)) / len(out)
        return out
    raise SpecificationError(f"kind={kind!r} is not a plot kind; choose one of 'bar', 'radar'")


def _plot(
    dims: pd.DataFrame,
    kind: str | None,
    ax: Any,
    bar_label: str,
    series: tuple[str, ...],
    *,
    language: str = "en",
    labels: str = "code",
    title: str = "Service quality gaps",
) -> Any:
    from csimodels.plotting import check_plot_options
    from csimodels.reports.charts import servqual_chart

    chosen = check_plot_options(
        kind=kind, kinds=("bar", "radar"), language=language, labels=labels, owner="SERVQUAL"
    )
    return servqual_chart(
        dims,
        chosen,
        ax=ax,
        language=language,
        labels=labels,
        bar_label=bar_label,
        series=series,
        title=title,
    )


def _alphas(x: eng.FloatArray, w: eng.FloatArray | None, owner: Any, n_dims: int) -> eng.FloatArray:
    """Cronbach's alpha of every dimension at once on complete data (same definition
    as :func:`csimodels._stats.cronbach_alpha`: weights rescaled to sum to n, n − 1)."""
    n = x.shape[0]
    wn = np.ones(n) if w is None else w * (n / w.sum())
    indicator = np.zeros((x.shape[1], n_dims))
    indicator[np.arange(x.shape[1]), owner] = 1.0

    def variances(y: eng.FloatArray) -> eng.FloatArray:
        m = (wn @ y) / n
        return np.asarray((wn @ (y - m) ** 2) / (n - 1), dtype=np.float64)

    k = indicator.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):  # one respondent: n - 1 = 0
        item_var = variances(x) @ indicator
        sum_var = variances(x @ indicator)
        alpha = k / (k - 1) * (1.0 - item_var / sum_var)
    return np.where((k >= 2) & (sum_var > 0), alpha, np.nan)


def _rank(values: pd.Series) -> pd.Series:
    return values.rank(method="min", ascending=True)


class SERVQUAL(InstrumentModel):
    """SERVQUAL gap scoring (Parasuraman, Zeithaml & Berry 1988, 1991).

    Each respondent rates what they expect (E) and what they perceive (P) on every
    item; the item gap is P − E, a dimension gap is the mean of its item gaps, and
    the overall score is reported unweighted and weighted by the respondents' 100-point
    importance allocation across dimensions, both per respondent and in aggregate.

    Attributes
    ----------
    instrument : Instrument or str
        The item bank (default the 1991 revision); a name from
        :data:`~csimodels.servqual.INSTRUMENTS` or an :class:`Instrument`. The 1988 bank
        reverse-scores items 10–13 and 18–22.
    expectation, perception : str
        Battery codes put into the instrument's ``column_pattern`` (default ``"E"``,
        ``"P"``: columns ``E1..E22``, ``P1..P22``).
    importance : str or dict, optional
        Importance-point columns, one per dimension: a pattern with ``{dimension}``
        (``"I_{dimension}"``) or a dict of dimension to column.
    points_total : float
        The points each respondent allocates (100).
    normalize_points : bool
        Rescale allocations that do not sum to ``points_total`` (with a warning)
        instead of raising.
    weighting : {"per_respondent", "aggregate"}
        Which importance-weighted gap ranks the priorities (both are always reported).
    scale : (float, float)
        The answer scale of E and P (default 1–7).
    test : {"t", "wilcoxon"}
        Paired t test, or Wilcoxon signed-rank (unweighted; a note says so when the
        survey has weights).
    p_adjust : {"holm", "bonferroni", "fdr_bh", "none"}
        Multiple-comparison adjustment, applied over the items and over the dimensions
        (the same name in every family; ``correction=`` is a deprecated spelling).
    level : float
        Confidence level of the intervals.
    missing : {"listwise", "pairwise"}
        ``"listwise"`` drops respondents with any unanswered item pair (or importance
        point); ``"pairwise"`` uses every answered pair, scores a dimension on its
        answered items, and leaves respondents with a whole dimension unanswered out of
        the overall scores only. Every respondent left out is listed in
        ``exclusions``.
    confirmatory : {"none", "gap", "perception", "expectation"}
        Opt-in confirmatory factor analysis of the dimension structure (the library's
        CB-SEM, ML) on the chosen item scores.

    Examples
    --------
    >>> import pandas as pd
    >>> from csimodels.servqual import SERVQUAL, Instrument
    >>> inst = Instrument(name="mini", dimensions={"Speed": ("1",), "Care": ("2", "3")})
    >>> df = pd.DataFrame({"E1": [6, 5], "P1": [4, 5], "E2": [7, 6], "P2": [5, 6],
    ...                    "E3": [5, 4], "P3": [6, 4]})
    >>> res = SERVQUAL(instrument=inst).fit(df)
    >>> res.dimensions["estimate"].to_dict()
    {'Speed': -1.0, 'Care': -0.25}
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    instrument: Instrument = SERVQUAL_1991
    expectation: str = "E"
    perception: str = "P"
    importance: str | dict[str, str] | None = None
    points_total: float = 100.0
    normalize_points: bool = False
    weighting: Literal["per_respondent", "aggregate"] = "per_respondent"
    scale: tuple[float, float] = (1.0, 7.0)
    test: Literal["t", "wilcoxon"] = "t"
    p_adjust: Literal["holm", "bonferroni", "fdr_bh", "none"] = "holm"
    level: float = 0.95
    missing: Literal["listwise", "pairwise"] = "listwise"
    confirmatory: Literal["none", "gap", "perception", "expectation"] = "none"

    @model_validator(mode="before")
    @classmethod
    def _deprecated_correction(cls, data: Any) -> Any:
        if isinstance(data, dict) and "correction" in data:
            warnings.warn(
                "SERVQUAL(correction=...) is deprecated: use p_adjust=..., the name every "
                "family uses for the multiple-comparison adjustment",
                DeprecationWarning,
                stacklevel=5,
            )
            data = {**data}
            data.setdefault("p_adjust", data.pop("correction"))
            data.pop("correction", None)
        return data

    @model_validator(mode="after")
    def _check_batteries(self) -> Self:
        if self.expectation == self.perception:
            raise InvalidParameterError(
                f"SERVQUAL: expectation and perception battery codes are both "
                f"{self.expectation!r}; they must name different columns"
            )
        if not self.points_total > 0:
            raise InvalidParameterError(
                f"parameter 'points_total' of SERVQUAL must be positive, got {self.points_total!r}"
            )
        return self

    def _batteries(self) -> dict[str, str]:
        return {"expectation": self.expectation, "perception": self.perception}

    def fit(
        self,
        data: SurveyData | pd.DataFrame,
        *,
        by: str | Sequence[str] | None = None,
        weight: str | None = None,
        on_error: Literal["skip", "raise"] = "skip",
        n_jobs: int = 1,
        **data_options: Any,
    ) -> SERVQUALResult | SegmentedResult:
        """Score the survey.

        Parameters
        ----------
        data : SurveyData, DataFrame, dask DataFrame or parquet path
            One row per respondent with the instrument's E and P columns (and the
            importance columns). A DataFrame is validated with
            :meth:`SurveyData.coerce` on the model's ``scale``; values off the scale
            raise. Not modified. A dask DataFrame, or a parquet file or directory
            (``str`` or ``Path``), is scored out of core from per-partition sums (the
            same numbers; ``test="wilcoxon"`` and ``confirmatory`` are refused); see
            ``docs/scaling.md``.
        by : str or list of str, optional
            Segment (or period) column(s): a :class:`~csimodels.results.SegmentedResult`
            with the pooled result and one per segment (``result.table("dimensions")``
            stacks the dimension gaps).
        weight : str, optional
            Respondent-weight column of a DataFrame (a SurveyData brings its own).
        on_error, n_jobs : optional
            With ``by``: the failure policy and the joblib jobs of the segment fits.
        **data_options
            Other :meth:`SurveyData.from_frame` options for a DataFrame.

        Raises
        ------
        DataValidationError
            Missing columns (an item with E but no P...), values off the scale,
            importance points not summing to ``points_total``, no respondent left.

        Examples
        --------
        >>> from csimodels.datasets.servqual import simulate_servqual_survey
        >>> from csimodels.servqual import SERVQUAL
        >>> sim = simulate_servqual_survey(n=400, random_state=7)
        >>> res = SERVQUAL().fit(sim.data, by="store")
        >>> res.labels
        ['Downtown', 'Mall', 'Station']
        """
        prep = self._prepared_or_fitted(
            data, self.fit, by=by, weight=weight, on_error=on_error, n_jobs=n_jobs,
            options=data_options,
        )  # fmt: skip
        if not isinstance(prep, Prepared):
            return prep  # type: ignore[return-value]
        notes = list(prep.notes)
        dims = list(self.instrument.dimensions)
        e, p = prep.batteries["expectation"], prep.batteries["perception"]
        w = prep.weights
        if self.test == "wilcoxon" and w is not None:
            notes.append(
                "the Wilcoxon signed-rank tests ignore the respondent weights (means and "
                "intervals use them)"
            )
        sc = _score(e, p, prep.importance, w, prep.owner, len(dims), self.level, self.test)
        reliability = self._reliability(prep, dims, notes)

        def cfa(found: list[str]) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
            if self.confirmatory == "none":
                return None, None
            from csimodels.servqual._cfa import run_cfa

            source = {"gap": p - e, "perception": p, "expectation": e}[self.confirmatory]
            return run_cfa(source, self.instrument, prep.owner, found)

        weight_name = data.weight if isinstance(data, SurveyData) else weight
        return self._result(prep, sc, reliability, notes, weight_name, cfa)

    def _from_sums(self, prep: Prepared, stats: dict[str, Any], weight: str | None) -> Result:
        """The result from the combined sums of a dask DataFrame (no rows)."""
        from csimodels.servqual._dask import alphas_from_sums, scores_from_sums

        dims = list(self.instrument.dimensions)
        notes = list(prep.notes)
        sc = scores_from_sums(stats, n_dims=len(dims), owner=prep.owner, level=self.level)
        alphas = [alphas_from_sums(stats, b, n_dims=len(dims), owner=prep.owner) for b in "epg"]
        reliability = _reliability_table(alphas, prep.owner, dims, notes)
        return self._result(prep, sc, reliability, notes, weight, lambda found: (None, None))

    def _result(
        self,
        prep: Prepared,
        sc: _Scores,
        reliability: pd.DataFrame,
        notes: list[str],
        weight_name: str | None,
        cfa: Callable[[list[str]], tuple[pd.DataFrame | None, pd.DataFrame | None]],
    ) -> SERVQUALResult:
        inst = self.instrument
        dims = list(inst.dimensions)
        item_p_adj = eng.adjust_p(sc.item.p_value, self.p_adjust)
        dim_p_adj = eng.adjust_p(sc.dim.p_value, self.p_adjust)
        items = pd.DataFrame(
            {
                "dimension": pd.array([inst.dimension_of(i) for i in inst.items], dtype="str"),
                "label": pd.array([inst.label_of_item(i) for i in inst.items], dtype="str"),
                "expectation": sc.item_e,
                "perception": sc.item_p,
                **_stat_columns(sc.item),
                "p_adjusted": item_p_adj,
                "n": sc.item.n,
            },
            index=pd.Index(list(inst.items), name="item", dtype="str"),
        )
        has_imp = bool(prep.importance_columns)
        dimensions = pd.DataFrame(
            {
                "label": pd.array([inst.label_of_dimension(d) for d in dims], dtype="str"),
                "n_items": np.array([len(inst.dimensions[d]) for d in dims], dtype=np.int64),
                "expectation": sc.dim_e,
                "perception": sc.dim_p,
                **_stat_columns(sc.dim),
                "p_adjusted": dim_p_adj,
                "n": sc.dim.n,
                "importance": sc.importance,
                "weighted_per_respondent": sc.contrib_per_respondent,
                "weighted_aggregate": sc.contrib_aggregate,
            },
            index=pd.Index(dims, name="dimension", dtype="str"),
        )
        weighted_col = f"weighted_{self.weighting}"
        prio = dimensions[["label", "estimate", "importance"]].copy()
        prio["weighted_gap"] = dimensions[weighted_col]
        prio["rank_gap"] = _rank(prio["estimate"])
        prio["rank_weighted"] = _rank(prio["weighted_gap"])
        prio = prio.sort_values(
            ["rank_weighted" if has_imp else "rank_gap", "rank_gap"], kind="stable"
        )
        iprio = items[["dimension", "label", "estimate"]].copy()
        iprio["importance"] = dimensions["importance"].reindex(iprio["dimension"]).to_numpy()
        iprio["weighted_gap"] = iprio["estimate"] * iprio["importance"]
        iprio["rank_gap"] = _rank(iprio["estimate"])
        iprio["rank_weighted"] = _rank(iprio["weighted_gap"])
        iprio = iprio.sort_values(
            ["rank_weighted" if has_imp else "rank_gap", "rank_gap"], kind="stable"
        )
        if not has_imp:
            notes.append(
                "no importance columns given (importance=...): importance and the "
                "importance-weighted gaps are n/a; priorities follow the unweighted gaps"
            )
        cfa_fit, cfa_loadings = cfa(notes)
        settings = {
            **base_settings(
                "SERVQUAL",
                inst,
                prep,
                scale=self.scale,
                level=self.level,
                missing=self.missing,
                weight=weight_name,
            ),
            "importance": prep.importance_columns,
            "points_total": self.points_total,
            "normalize_points": self.normalize_points,
            "weighting": self.weighting,
            "test": self.test,
            "p_adjust": self.p_adjust,
            "confirmatory": self.confirmatory,
            "inference": "linearisation (Taylor) SE of the weighted mean; t intervals",
        }
        return SERVQUALResult(
            items=items,
            dimensions=dimensions,
            overall=sc.overall,
            reliability=reliability,
            priorities=prio,
            item_priorities=iprio,
            exclusions=prep.exclusions,
            missing=prep.report,
            cfa_fit=cfa_fit,
            cfa_loadings=cfa_loadings,
            settings=settings,
            notes=tuple(notes),
        )

    def _reliability(self, prep: Prepared, dims: list[str], notes: list[str]) -> pd.DataFrame:
        e, p = prep.batteries["expectation"], prep.batteries["perception"]
        g = p - e
        w = prep.weights
        complete = not np.isnan(g).any() and (w is None or bool((w > 0).all()))
        if complete:  # item variances and sum-score variances only: O(n k)
            alphas = [_alphas(x, w, prep.owner, len(dims)) for x in (e, p, g)]
        else:
            alphas = [
                np.array([cronbach_alpha(x[:, prep.owner == d], w) for d in range(len(dims))])
                for x in (e, p, g)
            ]
        return _reliability_table(alphas, prep.owner, dims, notes)


def _reliability_table(
    alphas: Sequence[eng.FloatArray], owner: Any, dims: list[str], notes: list[str]
) -> pd.DataFrame:
    """The reliability table (expectation, perception, gap alphas per dimension)."""
    rows = []
    single = []
    for d, name in enumerate(dims):
        cols = owner == d
        if cols.sum() < 2:
            single.append(name)
        rows.append([int(cols.sum()), *(float(a[d]) for a in alphas)])
    if single:
        notes.append(
            f"Cronbach's alpha is not applicable to single-item dimension(s) "
            f"{format_offenders(single)} (reported as NaN)"
        )
    out = pd.DataFrame(
        rows,
        index=pd.Index(dims, name="dimension", dtype="str"),
        columns=["n_items", "expectation", "perception", "gap"],
    )
    out["n_items"] = out["n_items"].astype(np.int64)
    return out


def _stat_columns(st: eng.MeanStats) -> dict[str, eng.FloatArray]:
    return {
        "estimate": st.mean,
        "std_error": st.std_error,
        "ci_lower": st.ci_lower,
        "ci_upper": st.ci_upper,
        "statistic": st.statistic,
        "p_value": st.p_value,
    }
