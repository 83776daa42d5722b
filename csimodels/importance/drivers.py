"""Derived importance (driver analysis) of attributes against an overall-satisfaction item."""

from __future__ import annotations

import math
import warnings
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal, NamedTuple

import numpy as np
import pandas as pd
from pydantic import ConfigDict, Field, model_validator

from csimodels._settings import Settings
from csimodels.data._dask_tasks import as_dask_source, refuse_rows
from csimodels.data.survey import SurveyData
from csimodels.errors import (
    DataQualityWarning,
    DataValidationError,
    EstimationError,
    InvalidParameterError,
    SpecificationError,
    format_offenders,
)
from csimodels.importance import _engine as eng
from csimodels.importance._common import (
    check_names,
    coerce_survey,
    describe_seed,
)
from csimodels.inference import (
    Bootstrap,
    as_bootstrap,
    check_resample_count,
    resolve_random_state,
)
from csimodels.results import (
    Frame,
    MissingDataReport,
    Result,
    SegmentedResult,
    SeriesTable,
    warn_and_note,
)
from csimodels.segments import as_by, fit_by, label_of

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from csimodels.planning.result import WhatIfResult

__all__ = [
    "IMPORTANCE_ALIASES",
    "IMPORTANCE_METHODS",
    "DriverAnalysis",
    "DriverAnalysisResult",
    "ImportanceMethod",
]


class ImportanceMethod(NamedTuple):
    """A derived-importance measure in :data:`IMPORTANCE_METHODS`.

    Attributes
    ----------
    label : str
        Short English name for tables and plots.
    description : str
        What the number means.
    decomposes_r2 : bool
        True when the values over all attributes add up to the model R².
    analytic_inference : bool
        True when standard errors and p-values have a closed form.
    """

    label: str
    description: str
    decomposes_r2: bool
    analytic_inference: bool


IMPORTANCE_METHODS: dict[str, ImportanceMethod] = {
    "correlation": ImportanceMethod(
        "correlation",
        "Pearson correlation of the attribute with the overall item",
        False,
        True,
    ),
    "beta": ImportanceMethod(
        "standardised beta",
        "standardised multiple-regression coefficient (SD change of the overall item "
        "per SD of the attribute, the others held fixed)",
        False,
        True,
    ),
    "slope": ImportanceMethod(
        "unstandardised slope",
        "unstandardised multiple-regression coefficient (points of overall satisfaction "
        "per one more point on the attribute, the others held fixed)",
        False,
        True,
    ),
    "pratt": ImportanceMethod(
        "Pratt product measure",
        "standardised beta times correlation (Pratt 1987); sums to R²",
        True,
        False,
    ),
    "lmg": ImportanceMethod(
        "LMG / Shapley",
        "share of R² averaged over all orders of entry (Lindeman, Merenda & Gold 1980; "
        "the Shapley value of R²)",
        True,
        False,
    ),
    "johnson": ImportanceMethod(
        "Johnson relative weight",
        "share of R² through the closest orthogonal counterparts of the attributes (Johnson 2000)",
        True,
        False,
    ),
}
"""Derived-importance methods by name (see :class:`ImportanceMethod`)."""

IMPORTANCE_ALIASES: dict[str, tuple[str, ...]] = {
    "regression": ("beta", "slope"),
    "shapley": ("lmg",),
    "relative_weights": ("johnson",),
}
"""Other accepted names, each standing for one or more registry names."""

_DEFAULT_METHODS = ("correlation", "beta", "slope", "lmg", "johnson")
_TABLE_COLUMNS = ["estimate", "std_error", "t", "p_value", "ci_lower", "ci_upper", "share", "rank"]


def resolve_methods(methods: Sequence[str], *, model: str = "DriverAnalysis") -> tuple[str, ...]:
    """Expand aliases and check names; keeps the caller's order, drops repeats."""
    if isinstance(methods, str):
        methods = [methods]
    out: list[str] = []
    for name in methods:
        expanded = IMPORTANCE_ALIASES.get(name, (name,))
        for m in expanded:
            if m not in IMPORTANCE_METHODS:
                valid = sorted([*IMPORTANCE_METHODS, *IMPORTANCE_ALIASES])
                raise SpecificationError(
                    f"{model}: unknown importance method {name!r}; choose among "
                    f"{', '.join(repr(v) for v in valid)}"
                )
            if m not in out:
                out.append(m)
    if not out:
        raise SpecificationError(f"{model}: methods is empty; name at least one method")
    return tuple(out)


class DriverAnalysisResult(Result):
    """Derived importance of each attribute for the overall item.

    Attributes
    ----------
    importance : DataFrame, attributes × methods
        The estimate of every method (columns in the order requested), index the
        attributes as the data name them.
    table : DataFrame, index (method, attribute)
        ``estimate``; ``std_error`` (bootstrap SD of the resampled estimates when
        ``bootstrap > 0``, else the analytic standard error for correlation and
        regression, NaN for the R² decompositions); ``t`` and ``p_value``
        (analytic, two-sided: correlation ``t = r √(n−2) / √(1−r²)`` on n − 2 df,
        regression coefficients on n − p − 1 df; NaN for the decompositions);
        ``ci_lower``/``ci_upper`` at ``level`` (bootstrap percentile interval when
        ``bootstrap > 0``, else Fisher-z for correlations and t for coefficients);
        ``share``: the estimate divided by R² for the decompositions (NaN otherwise);
        ``rank``: 1 = most important (largest signed estimate) within the method.
    performance : Series
        (Weighted) mean answer of each attribute on the respondents used, for the
        importance–performance matrix.
    correlations : DataFrame
        The (weighted) correlation matrix of the attributes and the overall item.
    vif : Series
        Variance inflation factor of each attribute (diagonal of the inverse
        attribute correlation matrix).
    r2, adjusted_r2 : float
        Fit of the regression of the overall item on all attributes.
    n_used : int
        Respondents used (the smallest pairwise count under ``missing="pairwise"``).
    overall_mean : float
        (Weighted) mean of the overall item.
    labels : dict
        Human labels of the attributes (and the overall item).
    missing : MissingDataReport or None
        The missing-data strategy applied.
    bootstrap_draws : DataFrame or None
        One row per bootstrap resample, columns (method, attribute): the raw draws
        (NaN for a resample where the model could not be estimated).

    Examples
    --------
    >>> import warnings, csimodels as csi
    >>> from csimodels.importance import DriverAnalysis
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> res = DriverAnalysis(attributes=["QUAL1", "QUAL2", "VAL1"], overall="SAT1").fit(data)
    >>> bool(abs(res.importance["lmg"].sum() - res.r2) < 1e-12)
    True
    """

    importance: Frame
    table: Frame
    performance: SeriesTable
    correlations: Frame
    vif: SeriesTable
    r2: float
    adjusted_r2: float
    n_used: int
    overall_mean: float
    labels: dict[str, str] = Field(default_factory=dict)
    missing: MissingDataReport | None = None
    bootstrap_draws: Frame | None = None

    _title: ClassVar[str] = "Driver analysis (derived importance)"

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        s = self.settings
        header: list[tuple[str, object]] = [
            ("Overall item", s.get("overall")),
            ("Methods", ", ".join(s.get("methods", []))),
            ("Respondents used", self.n_used),
            ("R²", f"{self.r2:.4f} (adjusted {self.adjusted_r2:.4f})"),
            ("Missing data", self.missing.describe() if self.missing else "n/a"),
            ("Weighted", "yes (" + str(s["weight"]) + ")" if s.get("weight") else "no"),
            ("Inference", s.get("inference", "")),
        ]
        tables: dict[str, Any] = {"Importance": self.importance}
        if self.bootstrap_draws is not None:
            cols = ["estimate", "std_error", "ci_lower", "ci_upper", "rank"]
            tables[f"Bootstrap intervals (level {s.get('level')})"] = self.table[cols]
        return header, tables

    # -- accessors -----------------------------------------------------------------
    @property
    def methods(self) -> tuple[str, ...]:
        """The methods estimated, in the order requested."""
        return tuple(str(c) for c in self.importance.columns)

    def estimates(self, method: str | None = None) -> pd.Series:
        """Importance of each attribute by one method (default: the first requested).

        Examples
        --------
        >>> import csimodels as csi
        >>> from csimodels.importance import DriverAnalysis
        >>> data = csi.datasets.load_example("acsi_demo")
        >>> res = DriverAnalysis(attributes=["QUAL1", "VAL1"], overall="SAT1",
        ...                      methods=["johnson"]).fit(data)
        >>> res.estimates().index.tolist()
        ['QUAL1', 'VAL1']
        """
        name = self._method(method)
        return self.importance[name].rename(name)

    def ranking(self, method: str | None = None) -> pd.Series:
        """Attributes ordered from most to least important by one method (rank values).

        Examples
        --------
        >>> import csimodels as csi
        >>> from csimodels.importance import DriverAnalysis
        >>> data = csi.datasets.load_example("acsi_demo")
        >>> res = DriverAnalysis(attributes=["QUAL1", "VAL1"], overall="SAT1").fit(data)
        >>> res.ranking("lmg").tolist()
        [1, 2]
        """
        name = self._method(method)
        ranks = self.table.xs(name, level="method")["rank"].astype(np.int64)
        return ranks.sort_values(kind="stable").rename("rank")

    def conf_int(self, level: float | None = None) -> pd.DataFrame:
        """Percentile bootstrap interval at another ``level`` from the stored draws.

        Raises
        ------
        SpecificationError
            If the result was fitted without ``bootstrap``.

        Examples
        --------
        >>> import csimodels as csi
        >>> from csimodels.importance import DriverAnalysis
        >>> data = csi.datasets.load_example("acsi_demo")
        >>> res = DriverAnalysis(attributes=["QUAL1", "VAL1"], overall="SAT1",
        ...                      methods=["lmg"], bootstrap=50, random_state=1).fit(data)
        >>> list(res.conf_int(0.9).columns)
        ['ci_lower', 'ci_upper']
        """
        if self.bootstrap_draws is None:
            raise SpecificationError(
                "this result has no bootstrap draws; fit with bootstrap=B (e.g. 1000) first"
            )
        lvl = float(self.settings.get("level", 0.95) if level is None else level)
        if not 0 < lvl < 1:
            raise SpecificationError(f"level must be between 0 and 1, got {lvl!r}")
        draws = self.bootstrap_draws.to_numpy(dtype=np.float64)
        lo, hi = _percentile_interval(draws, lvl)
        n_ok = int(np.isfinite(draws).all(axis=1).sum())
        if not check_resample_count(n_ok, lvl, owner="DriverAnalysisResult.conf_int", notes=[]):
            lo, hi = np.full_like(lo, np.nan), np.full_like(hi, np.nan)
        return pd.DataFrame(
            {"ci_lower": lo, "ci_upper": hi},
            index=pd.MultiIndex.from_tuples(
                [tuple(c) for c in self.bootstrap_draws.columns], names=["method", "attribute"]
            ),
        )

    def _method(self, method: str | None) -> str:
        if method is None:
            return self.methods[0]
        resolved = resolve_methods([method])
        if resolved[0] not in self.methods:
            raise SpecificationError(
                f"method {method!r} was not estimated; this result has "
                f"{', '.join(repr(m) for m in self.methods)}"
            )
        return resolved[0]

    def what_if(
        self,
        changes: dict[str, float],
        *,
        scale: tuple[float, float],
        segment: str | None = None,
        level: float | None = None,
    ) -> WhatIfResult:
        """Predicted change of the overall item when attributes move (needs ``"slope"``).

        ``changes`` maps attributes to a change in points of their 0–100 score on
        ``scale`` (the rating scale, e.g. ``(1, 10)``); the effects are the regression
        slopes, the interval comes from the bootstrap draws when the fit has them. See
        :func:`csimodels.planning.what_if`.

        Examples
        --------
        >>> import csimodels as csi
        >>> from csimodels.importance import DriverAnalysis
        >>> data = csi.datasets.load_example("acsi_demo")
        >>> res = DriverAnalysis(attributes=["QUAL1", "VAL1"], overall="SAT1",
        ...                      methods=["slope"]).fit(data)
        >>> w = res.what_if({"QUAL1": 5.0}, scale=(1, 10))
        >>> bool(abs(w.change - 5.0 * res.importance.loc["QUAL1", "slope"]) < 1e-12)
        True
        """
        from csimodels.planning.what_if import what_if

        return what_if(self, changes, segment=segment, scale=scale, level=level)

    # -- plotting ------------------------------------------------------------------
    def plot_data(self, method: str | None = None) -> pd.DataFrame:
        """Data of the importance bar chart: estimate and interval per attribute, sorted.

        Examples
        --------
        >>> import csimodels as csi
        >>> from csimodels.importance import DriverAnalysis
        >>> data = csi.datasets.load_example("acsi_demo")
        >>> res = DriverAnalysis(attributes=["QUAL1", "VAL1"], overall="SAT1").fit(data)
        >>> list(res.plot_data("lmg").columns)
        ['label', 'estimate', 'ci_lower', 'ci_upper']
        """
        name = self._method(method)
        part = pd.DataFrame(
            self.table.xs(name, level="method")[["estimate", "ci_lower", "ci_upper"]]
        )
        part.insert(0, "label", [self.labels.get(str(a), str(a)) for a in part.index])
        return part.sort_values("estimate", ascending=False, kind="stable")

    def plot(
        self,
        kind: Literal["bar"] | None = None,
        *,
        ax: Axes | None = None,
        language: Literal["en", "zh"] = "en",
        labels: Literal["code", "label"] = "code",
        method: str | None = None,
    ) -> Axes:
        """Horizontal bar chart of one method's importance, with intervals when bootstrapped.

        Examples
        --------
        >>> import csimodels as csi, matplotlib
        >>> matplotlib.use("Agg")
        >>> from csimodels.importance import DriverAnalysis
        >>> data = csi.datasets.load_example("acsi_demo")
        >>> res = DriverAnalysis(attributes=["QUAL1", "VAL1"], overall="SAT1").fit(data)
        >>> res.plot(method="lmg").get_xlabel()
        'LMG / Shapley'
        """
        from csimodels.plotting import axes_for, check_plot_options, display_labels, use_language

        check_plot_options(
            kind=kind, kinds=("bar",), language=language, labels=labels, owner=type(self).__name__
        )
        name = self._method(method)
        frame = self.plot_data(name).iloc[::-1]
        with use_language(language):
            _, axes = axes_for(ax, figsize=(6, 0.4 * len(frame) + 1.2))
            xerr = None
            if frame["ci_lower"].notna().all():
                xerr = np.vstack(
                    [frame["estimate"] - frame["ci_lower"], frame["ci_upper"] - frame["estimate"]]
                )
            names = display_labels(list(frame.index), labels, self.labels)
            axes.barh(names, frame["estimate"], xerr=xerr)
            axes.set_xlabel(IMPORTANCE_METHODS[name].label)
            overall = self.settings.get("overall")
            axes.set_title(f"{overall} 的驱动因素" if language == "zh" else f"Drivers of {overall}")
        result: Axes = axes
        return result


def _pyplot() -> Any:
    from csimodels.plotting import pyplot

    return pyplot()


def _note_undefined(table: pd.DataFrame, notes: list[str], *, bootstrap: bool) -> None:
    """Say which statistics are n/a (NaN) and why, instead of a silent NaN."""
    numeric = table.select_dtypes(include=[np.floating])
    undefined = ~np.isfinite(numeric.to_numpy())
    if not undefined.any():
        return
    methods = table.index.get_level_values("method")
    no_analytic = sorted({m for m in methods if m not in ("correlation", "beta", "slope")})
    bad_methods = sorted({str(methods[int(i)]) for i in np.flatnonzero(undefined.any(axis=1))})
    if not bootstrap and set(bad_methods) <= set(no_analytic):
        notes.append(
            f"{format_offenders(bad_methods)}: no analytic standard error, t, p-value or "
            "interval exists (n/a); pass bootstrap=1000 for bootstrap intervals"
        )
        return
    cols = [c for c, bad in zip(numeric.columns, undefined.any(axis=0), strict=True) if bad]
    notes.append(
        f"{format_offenders(cols)} n/a (NaN) for method {format_offenders(bad_methods)}: "
        "too few respondents or resamples, an attribute without variance, or no analytic "
        "formula for the method"
    )


def _percentile_interval(draws: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    alpha = (1 - level) / 2
    with np.errstate(all="ignore"):
        good = np.isfinite(draws)
        lo = np.full(draws.shape[1], np.nan)
        hi = np.full(draws.shape[1], np.nan)
        cols = good.any(axis=0)
        if cols.any():
            lo[cols] = np.nanquantile(draws[:, cols], alpha, axis=0)
            hi[cols] = np.nanquantile(draws[:, cols], 1 - alpha, axis=0)
    return lo, hi


#: The rows of a bootstrap (n) and the correlations and variances of each resample
#: from its draw counts (B, n): in memory from the rows, out of core from partitions.
Resampler = tuple[int, Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]]

#: What to do instead of a bootstrap that needs the rows.
BOOTSTRAP_REMEDY = (
    "fit without bootstrap= (the analytic standard errors and intervals come from the "
    "combined correlations), or bootstrap a pandas sample of the respondents "
    "(ddf.sample(frac=...).compute())"
)


@dataclass(frozen=True)
class DriverMoments:
    """What a driver analysis needs from the respondents: weighted correlations and means.

    Attributes
    ----------
    corr : ndarray (1, q, q)
        Weighted correlations of the attributes and the overall item (last).
    var : ndarray (1, q)
        Their variances (only ratios are used).
    n_used : int
    n_pair : ndarray (p,)
        Respondents behind each attribute's correlation with the overall item.
    means : ndarray (q,)
        Weighted mean answers.
    report : MissingDataReport
    labels : dict
    weight : str or None
    """

    corr: np.ndarray
    var: np.ndarray
    n_used: int
    n_pair: np.ndarray
    means: np.ndarray
    report: MissingDataReport
    labels: dict[str, str]
    weight: str | None


class DriverAnalysis(Settings):
    """Derived importance of attributes for an overall-satisfaction item (key drivers).

    Regresses the overall item on the attributes and reports, per attribute, the
    measures named in ``methods`` (see :data:`IMPORTANCE_METHODS`): bivariate
    correlation, standardised and unstandardised regression coefficients, Pratt's
    product measure, the LMG / Shapley decomposition of R² and Johnson's relative
    weights, optionally with bootstrap intervals. Respondent weights of the survey are
    used throughout (weighted correlations; resampling keeps each respondent's weight).

    Attributes
    ----------
    attributes : tuple of str
        Attribute (performance-rating) columns.
    overall : str
        The overall-satisfaction column (the criterion).
    methods : tuple of str
        Names from :data:`IMPORTANCE_METHODS` or :data:`IMPORTANCE_ALIASES`
        (``"regression"`` = ``beta`` and ``slope``; ``"shapley"`` = ``lmg``;
        ``"relative_weights"`` = ``johnson``).
    missing : {"listwise", "mean", "pairwise"}
        Missing-answer strategy (see :meth:`SurveyData.item_matrix`); pairwise uses
        pairwise-complete weighted correlations.
    bootstrap : int
        Deprecated here: a ``fit`` argument, as in every family (still accepted for
        one release with a DeprecationWarning; so are ``level`` and ``random_state``).
    max_exact : int
        Largest number of attributes for the exact LMG (2^p subset regressions; 20
        attributes take a few seconds).
    n_permutations : int
        Beyond ``max_exact`` attributes, LMG is approximated by averaging over this
        many random orders (0: raise an error instead).

    Notes
    -----
    With ``R`` the attribute correlation matrix and ``r`` their correlations with the
    overall item, ``β = R⁻¹ r`` and ``R² = rᵀβ``; the slope is ``β_j s_y / s_j``.
    LMG: ``Σ_S |S|!(p−|S|−1)!/p! [R²(S∪{j}) − R²(S)]`` over subsets S without j.
    Johnson: with ``R = V diag(λ) Vᵀ`` and ``Λ = V diag(√λ) Vᵀ``,
    ``ε_j = Σ_k Λ_jk² (Λ⁻¹ r)_k²``. Pratt: ``β_j r_j``. The three decompositions sum
    to R²; with two attributes LMG and Johnson coincide.

    References
    ----------
    1. Lindeman, R. H., Merenda, P. F. & Gold, R. Z. (1980). *Introduction to
       Bivariate and Multivariate Analysis*. Scott, Foresman.
    2. Johnson, J. W. (2000). A heuristic method for estimating the relative weight of
       predictor variables in multiple regression. *Multivariate Behavioral Research*
       35(1), 1–19.
    3. Grömping, U. (2006). Relative importance for linear regression in R: the package
       relaimpo. *Journal of Statistical Software* 17(1).
    4. Pratt, J. W. (1987). Dividing the indivisible: using simple symmetry to
       partition variance explained. In *Proc. 2nd Int. Tampere Conf. in Statistics*.

    Examples
    --------
    >>> import csimodels as csi
    >>> from csimodels.importance import DriverAnalysis
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> model = DriverAnalysis(attributes=["QUAL1", "QUAL2", "QUAL3", "VAL1", "VAL2"],
    ...                        overall="SAT1")
    >>> res = model.fit(data)
    >>> res.importance.columns.tolist()
    ['correlation', 'beta', 'slope', 'lmg', 'johnson']
    >>> bool(abs(res.importance["johnson"].sum() - res.r2) < 1e-12)
    True
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    attributes: tuple[str, ...]
    overall: str
    methods: tuple[str, ...] = _DEFAULT_METHODS
    missing: Literal["listwise", "mean", "pairwise"] = "listwise"
    bootstrap: int = Field(default=0, ge=0)
    level: float = Field(default=0.95, gt=0.0, lt=1.0)
    random_state: int | None = Field(default=None, ge=0)
    max_exact: int = Field(default=20, ge=1, le=24)
    n_permutations: int = Field(default=0, ge=0)

    _name: ClassVar[str] = "DriverAnalysis"

    @model_validator(mode="after")
    def _deprecated_inference_fields(self) -> DriverAnalysis:
        moved = [
            name
            for name, default in (("bootstrap", 0), ("level", 0.95), ("random_state", None))
            if getattr(self, name) != default
        ]
        if moved:
            warnings.warn(
                f"DriverAnalysis({', '.join(f'{m}=...' for m in moved)}) is deprecated: pass "
                f"{' and '.join(moved)} to fit(), as in every csimodels model",
                DeprecationWarning,
                stacklevel=4,
            )
        return self

    def fit(
        self,
        data: SurveyData | pd.DataFrame,
        *,
        by: str | Sequence[str] | None = None,
        weight: str | None = None,
        bootstrap: int | Bootstrap | None = None,
        level: float | None = None,
        random_state: int | np.random.Generator | None = None,
        min_segment_size: int | None = None,
        on_error: Literal["skip", "raise"] = "skip",
        n_jobs: int = 1,
        **data_options: Any,
    ) -> DriverAnalysisResult | SegmentedResult:
        """Estimate the importance of every attribute (overall, and per segment).

        Parameters
        ----------
        data : SurveyData, DataFrame, dask DataFrame or parquet path
            The answers; a DataFrame goes through the one data gate
            (:meth:`SurveyData.coerce`, no scale needed). Not modified. A dask
            DataFrame or a parquet file or directory is analysed out of core from
            per-partition correlation sums (the same numbers; a bootstrap streams the
            resample counts to the partitions, one pass per chunk and segment).
        by : str or list of str, optional
            Segment (or period) column(s): a :class:`~csimodels.results.SegmentedResult`
            with the pooled analysis, one result per segment and an overview table of
            the first method's estimates (segments × attributes).
        weight : str, optional
            Respondent-weight column of a DataFrame (with a SurveyData: its own).
        bootstrap : int or Bootstrap, optional
            Bootstrap resamples of respondents (0 or None: analytic inference only),
            or a :class:`~csimodels.Bootstrap` with the level and seed.
        level : float, optional
            Confidence level of the intervals (0.95).
        random_state : int, numpy Generator or None
            Seed of the bootstrap and of sampled Shapley values; None draws one, which
            the result records as ``settings["random_state"]``.
        min_segment_size : int, optional
            With ``by``: smaller segments are not fitted (default: attributes + 2).
        on_error, n_jobs : optional
            With ``by``: the failure policy and the joblib jobs of the segment fits.
        **data_options
            Other :meth:`SurveyData.from_frame` options for a DataFrame
            (``missing_codes``, ``labels``, ``period``...).

        Returns
        -------
        DriverAnalysisResult, or SegmentedResult with ``by``

        Raises
        ------
        SpecificationError
            Unknown method, repeated attributes, the overall item among the attributes,
            too many attributes for exact LMG without ``n_permutations``.
        DataValidationError
            A named column missing; an attribute or the overall item without variance;
            fewer respondents than attributes + 2.
        EstimationError
            Perfectly collinear attributes.

        Warns
        -----
        DataQualityWarning
            Variance inflation above 10; a segment that cannot be analysed (skipped);
            bootstrap resamples that could not be estimated.
        """
        methods = self._check_settings()
        owner = f"{self._name}.fit"
        columns = None if by is None else as_by(by, owner=owner)
        source = as_dask_source(data, owner=owner)
        if source is None:
            survey = coerce_survey(
                self._name,
                data,
                self.attributes,
                self.overall,
                by=columns,
                weight=weight,
                **data_options,
            )
        request = as_bootstrap(self.bootstrap if bootstrap is None else bootstrap, owner=owner)
        if isinstance(bootstrap, Bootstrap):
            level = bootstrap.level if level is None else level
            random_state = bootstrap.random_state if random_state is None else random_state
        level = self.level if level is None else level
        if not 0 < level < 1:
            raise InvalidParameterError(
                f"parameter 'level' of {owner} must be in (0, 1), got {level!r}"
            )
        given = self.random_state if random_state is None else random_state
        random = request is not None or len(self.attributes) > self.max_exact
        # a seed is drawn (and recorded) only when something is random
        seed = resolve_random_state(given, owner=owner) if random or given is not None else None
        model = self.model_copy(
            update={"bootstrap": 0 if request is None else request.n, "level": level}
        )

        def stream(segment: str | None) -> np.random.Generator:
            # one stream per segment, from the seed and the label: the same numbers
            # whatever the number of jobs or the order of the segments
            return np.random.default_rng([seed or 0, zlib.crc32(str(segment).encode())])

        def seeded(res: DriverAnalysisResult) -> DriverAnalysisResult:
            return res.model_copy(update={"settings": {**res.settings, "random_state": seed}})

        def fit_one(part: SurveyData, segment: str | None = None) -> DriverAnalysisResult:
            return seeded(
                model._fit_one(part, methods, stream(segment), segment=segment, seed=seed)
            )

        minimum = len(self.attributes) + 2 if min_segment_size is None else min_segment_size
        if source is not None:
            from csimodels.data._dask_tasks import fit_statistics
            from csimodels.importance._dask import driver_moments, resampler
            from csimodels.segments import segment_label

            groups, pooled, (centre, fills) = driver_moments(
                model, source, by=columns or (), weight=weight, options=data_options
            )
            key_of = {segment_label(key): key for key in groups}

            def resample_of(label: str | None) -> Resampler | None:
                # a segment's bootstrap streams over its own rows of every partition,
                # with the segment's stream and (mean imputation) its own means
                if request is None:
                    return None
                key = () if label is None else key_of[label]
                return resampler(
                    model,
                    source,
                    weight=weight,
                    options=data_options,
                    centre=centre,
                    fill=None if fills is None else fills[key],
                    segment=None if label is None else (columns or (), key),
                )

            result = fit_statistics(
                groups,
                lambda moments, label: seeded(
                    model._from_moments(
                        moments,
                        methods,
                        stream(label),
                        segment=label,
                        seed=seed,
                        resample=resample_of(label),
                    )
                ),
                by=columns,
                owner=owner,
                min_segment_size=minimum,
                on_error=on_error,
                settings={"model": self._name, "random_state": seed},
                pooled_stats=pooled,
            )
            return result if columns is None else _with_overview(result, methods[0])
        if columns is None:
            return fit_one(survey)
        segmented = fit_by(
            survey,
            columns,
            lambda part: fit_one(part, segment=label_of(part, columns)),
            owner=owner,
            min_segment_size=minimum,
            on_error=on_error,
            n_jobs=n_jobs,
            pooled=fit_one(survey),
            settings={"model": self._name, "random_state": seed},
        )
        return _with_overview(segmented, methods[0])

    # -- internals -----------------------------------------------------------------
    def _check_settings(self) -> tuple[str, ...]:
        check_names(self._name, self.attributes, self.overall)
        methods = resolve_methods(self.methods, model=self._name)
        p = len(self.attributes)
        if "lmg" in methods and p > self.max_exact and self.n_permutations == 0:
            raise SpecificationError(
                f"{self._name}: exact LMG/Shapley needs 2^{p} subset regressions for {p} "
                f"attributes (more than max_exact={self.max_exact}); pass n_permutations="
                "2000 for a seeded sampling approximation, or drop 'lmg' from methods"
            )
        return methods

    def _fit_one(
        self,
        data: SurveyData,
        methods: tuple[str, ...],
        rng: np.random.Generator,
        *,
        segment: str | None,
        seed: int | None = None,
    ) -> DriverAnalysisResult:
        im = data.item_matrix([*self.attributes, self.overall], missing=self.missing)
        x = im.values
        w = im.weights
        base = np.ones(x.shape[0]) if w is None else w
        if self.missing == "pairwise":
            counts = eng.pairwise_counts(x)
            n_used = int(counts.min())
            n_pair = counts[: len(self.attributes), len(self.attributes)].astype(np.float64)
        else:
            n_used = int(x.shape[0] if w is None else np.count_nonzero(w > 0))
            n_pair = np.full(len(self.attributes), float(n_used))
        corr, var = eng.batched_correlations(x, base[None, :])
        labels_all = data.labels()
        moments = DriverMoments(
            corr=corr,
            var=var,
            n_used=n_used,
            n_pair=n_pair,
            means=np.array([_mean(x[:, j], base) for j in range(x.shape[1])]),
            report=im.report,
            labels={k: labels_all.get(k, k) for k in [*self.attributes, self.overall]},
            weight=data.weight,
        )
        return self._from_moments(
            moments,
            methods,
            rng,
            segment=segment,
            seed=seed,
            resample=(x.shape[0], lambda counts: eng.batched_correlations(x, counts * base)),
        )

    def _from_moments(
        self,
        moments: DriverMoments,
        methods: tuple[str, ...],
        rng: np.random.Generator,
        *,
        segment: str | None,
        seed: int | None = None,
        resample: Resampler | None = None,
    ) -> DriverAnalysisResult:
        """The analysis from the weighted correlations.

        The bootstrap needs ``resample``: the number of rows and a function giving the
        correlations and variances of each resample from its counts (B, n), computed
        from the rows in memory or from per-partition sums out of core."""
        from scipy import stats

        where = f"{self._name}" + (f" (segment {segment!r})" if segment is not None else "")
        attrs = list(self.attributes)
        names = [*attrs, self.overall]
        p = len(attrs)
        corr, var, n_used = moments.corr, moments.var, moments.n_used
        weighted = moments.weight is not None
        if n_used < p + 2:
            raise DataValidationError(
                f"{where}: {n_used} respondents used for {p} attributes; the regression "
                f"needs at least {p + 2} (attributes + 2) complete answers, and many more "
                "for stable importance; use fewer attributes or more data"
            )
        flat = [names[j] for j in range(p + 1) if not var[0, j] > 1e-12 * max(1.0, var[0].max())]
        if self.overall in flat:
            raise DataValidationError(
                f"{where}: the overall item {self.overall!r} is constant on the "
                f"{n_used} respondents used (every answer is the same); importance against "
                "it is undefined; choose another overall item or check the data"
            )
        if flat:
            raise DataValidationError(
                f"{where}: attribute {format_offenders(flat)} has no variance on the "
                f"{n_used} respondents used (every answer is the same); drop it from "
                "attributes"
            )
        rxx = corr[:, :p, :p]
        rxy = corr[:, :p, p]
        if not eng.usable(rxx, rxy)[0]:
            lam, vec = np.linalg.eigh(rxx[0])
            involved = [attrs[j] for j in np.flatnonzero(np.abs(vec[:, 0]) > 0.1)]
            raise EstimationError(
                f"{where}: the attributes {format_offenders(involved)} are perfectly "
                f"collinear (smallest eigenvalue of their correlation matrix {lam[0]:.2e}); "
                "drop one of them or combine them"
            )
        notes: list[str] = []
        point, r2 = _estimates(corr, var, methods, p, rng, self.max_exact, self.n_permutations)
        r2v = float(r2[0])
        vif = eng.inverse_diagonal(rxx)[0]
        high = [f"{attrs[j]} ({vif[j]:.1f})" for j in np.flatnonzero(vif > 10)]
        if high:
            warn_and_note(
                notes,
                f"{where}: variance inflation above 10 for {', '.join(high)}; regression "
                "coefficients are unstable, prefer LMG or Johnson weights",
                DataQualityWarning,
            )
        lmg_mode = "none"
        if "lmg" in methods:
            lmg_mode = "exact" if p <= self.max_exact else f"sampled ({self.n_permutations})"
            if p > self.max_exact:
                notes.append(
                    f"LMG approximated by averaging over {self.n_permutations} random orders "
                    f"of the {p} attributes (exact above max_exact={self.max_exact} is too "
                    "costly); it sums to R² exactly but each share has Monte Carlo error"
                )

        # analytic inference
        dof_b = n_used - p - 1
        n_pair = moments.n_pair
        rinv_diag = vif
        se_beta = np.sqrt(max(1.0 - r2v, 0.0) / dof_b * rinv_diag) if dof_b > 0 else np.nan
        scale = math.sqrt(var[0, p]) / np.sqrt(var[0, :p])
        tcrit_b = stats.t.ppf(0.5 + self.level / 2, dof_b) if dof_b > 0 else np.nan
        zcrit = stats.norm.ppf(0.5 + self.level / 2)
        analytic: dict[str, dict[str, Any]] = {}
        for m in methods:
            est = point[m][0]
            nan = np.full(p, np.nan)
            if m == "correlation":
                with np.errstate(all="ignore"):
                    df = n_pair - 2
                    t = est * np.sqrt(df) / np.sqrt(1 - est**2)
                    pval = 2 * stats.t.sf(np.abs(t), df)
                    se = np.sqrt((1 - est**2) / df)
                    half = zcrit / np.sqrt(n_pair - 3)
                    lo, hi = np.tanh(np.arctanh(est) - half), np.tanh(np.arctanh(est) + half)
                analytic[m] = {"se": se, "t": t, "p": pval, "lo": lo, "hi": hi}
            elif m in ("beta", "slope"):
                se = se_beta * (scale if m == "slope" else 1.0)
                t = est / se
                pval = 2 * stats.t.sf(np.abs(t), dof_b) if dof_b > 0 else nan
                analytic[m] = {
                    "se": se,
                    "t": t,
                    "p": pval,
                    "lo": est - tcrit_b * se,
                    "hi": est + tcrit_b * se,
                }
            else:
                analytic[m] = {"se": nan, "t": nan, "p": nan, "lo": nan, "hi": nan}
        inference = "analytic (t for coefficients, Fisher z for correlations)"
        if weighted:
            notes.append(
                "analytic standard errors treat the respondent weights as scaled to the "
                "sample size (WLS); prefer bootstrap intervals for weighted survey data"
            )

        draws_frame: pd.DataFrame | None = None
        if self.bootstrap > 0:
            if resample is None:
                raise refuse_rows(
                    f"{self._name}.fit", "a bootstrap over respondents", BOOTSTRAP_REMEDY
                )
            draws, failed = self._bootstrap(resample, methods, p, rng)
            if failed:
                warn_and_note(
                    notes,
                    f"{where}: {failed} of {self.bootstrap} bootstrap resamples could not be "
                    "estimated (an attribute without variance or collinear attributes in the "
                    "resample) and were left out of the intervals",
                    DataQualityWarning,
                )
            cols = pd.MultiIndex.from_tuples(
                [(m, a) for m in methods for a in attrs], names=["method", "attribute"]
            )
            flat_draws = draws.reshape(self.bootstrap, -1)
            draws_frame = pd.DataFrame(flat_draws, columns=cols)
            draws_frame.index.name = "resample"
            lo_all, hi_all = _percentile_interval(flat_draws, self.level)
            if not check_resample_count(
                self.bootstrap - failed, self.level, owner=where, notes=notes
            ):
                lo_all = np.full_like(lo_all, np.nan)
                hi_all = np.full_like(hi_all, np.nan)
            with np.errstate(all="ignore"):
                sd_all = np.nanstd(flat_draws, axis=0, ddof=1)
            for i, m in enumerate(methods):
                sl = slice(i * p, (i + 1) * p)
                analytic[m]["se"] = sd_all[sl]
                analytic[m]["lo"] = lo_all[sl]
                analytic[m]["hi"] = hi_all[sl]
            inference = (
                f"bootstrap ({self.bootstrap} resamples of respondents; SD and percentile "
                f"interval); t and p-values analytic"
            )

        rows = []
        for m in methods:
            est = point[m][0]
            order = np.argsort(-est, kind="stable")
            rank = np.empty(p, dtype=np.int64)
            rank[order] = np.arange(1, p + 1)
            share = est / r2v if IMPORTANCE_METHODS[m].decomposes_r2 and r2v > 0 else np.nan
            a = analytic[m]
            part = pd.DataFrame(
                {
                    "estimate": est,
                    "std_error": a["se"],
                    "t": a["t"],
                    "p_value": a["p"],
                    "ci_lower": a["lo"],
                    "ci_upper": a["hi"],
                    "share": share * np.ones(p),
                    "rank": rank,
                },
                index=pd.MultiIndex.from_tuples(
                    [(m, at) for at in attrs], names=["method", "attribute"]
                ),
            )
            rows.append(part)
        table = pd.concat(rows)[_TABLE_COLUMNS]
        _note_undefined(table, notes, bootstrap=self.bootstrap > 0)
        importance = pd.DataFrame({m: point[m][0] for m in methods}, index=pd.Index(attrs))
        importance.index.name = "attribute"
        importance.columns.name = "method"
        perf = moments.means
        settings = {
            "overall": self.overall,
            "attributes": attrs,
            "methods": list(methods),
            "missing": self.missing,
            "bootstrap": self.bootstrap,
            "level": self.level,
            "random_state": describe_seed(self.random_state) if seed is None else seed,
            "max_exact": self.max_exact,
            "n_permutations": self.n_permutations,
            "lmg": lmg_mode,
            "weight": moments.weight,
            "inference": inference,
            "segment": segment,
            "n_used": n_used,
        }
        return DriverAnalysisResult(
            importance=importance,
            table=table,
            performance=pd.Series(perf[:p], index=pd.Index(attrs, name="attribute"), name="mean"),
            correlations=pd.DataFrame(corr[0], index=pd.Index(names), columns=pd.Index(names)),
            vif=pd.Series(vif, index=pd.Index(attrs, name="attribute"), name="vif"),
            r2=r2v,
            adjusted_r2=1 - (1 - r2v) * (n_used - 1) / dof_b if dof_b > 0 else float("nan"),
            n_used=n_used,
            overall_mean=float(perf[p]),
            labels=dict(moments.labels),
            missing=moments.report,
            bootstrap_draws=draws_frame,
            settings=settings,
            notes=tuple(notes),
        )

    def _bootstrap(
        self,
        resample: Resampler,
        methods: tuple[str, ...],
        p: int,
        rng: np.random.Generator,
    ) -> tuple[np.ndarray, int]:
        n, correlations = resample
        out = np.full((self.bootstrap, len(methods), p), np.nan)
        chunk = int(max(1, min(500, 2_000_000 // max(n, 1))))
        for start in range(0, self.bootstrap, chunk):
            size = min(chunk, self.bootstrap - start)
            corr, var = correlations(eng.bootstrap_counts(n, size, rng))
            est, _ = _estimates(corr, var, methods, p, rng, self.max_exact, self.n_permutations)
            for i, m in enumerate(methods):
                out[start : start + size, i] = est[m]
        failed = int(np.isnan(out).any(axis=(1, 2)).sum())
        return out, failed


def _with_overview(segmented: SegmentedResult, first: str) -> SegmentedResult:
    """The overview table of a ``fit(by=...)``: the first method's estimates per segment."""
    rows = {
        label: r.importance[first]
        for label, r in segmented.segments.items()
        if isinstance(r, DriverAnalysisResult)
    }
    overview = {first: pd.DataFrame(rows).T.rename_axis("segment")} if rows else {}
    return segmented.model_copy(update={"overview": overview})


def _mean(x: np.ndarray, w: np.ndarray) -> float:
    ok = ~np.isnan(x) & (w > 0)
    return float(np.dot(x[ok], w[ok]) / w[ok].sum())


def _estimates(
    corr: np.ndarray,
    var: np.ndarray,
    methods: tuple[str, ...],
    p: int,
    rng: np.random.Generator,
    max_exact: int,
    n_permutations: int,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Every requested measure for each batch member; NaN where it cannot be estimated."""
    rxx = corr[:, :p, :p]
    rxy = corr[:, :p, p]
    ok = eng.usable(rxx, rxy) & np.isfinite(var).all(axis=1) & (var > 0).all(axis=1)
    eye = np.broadcast_to(np.eye(p), rxx.shape)
    rxx = np.where(ok[:, None, None], rxx, eye)
    rxy = np.where(ok[:, None], rxy, 0.0)
    safe_var = np.where(ok[:, None], var, 1.0)
    beta, r2 = eng.standardized_coefficients(rxx, rxy)
    out: dict[str, np.ndarray] = {}
    for m in methods:
        if m == "correlation":
            out[m] = rxy.copy()
        elif m == "beta":
            out[m] = beta
        elif m == "slope":
            out[m] = beta * np.sqrt(safe_var[:, p : p + 1] / safe_var[:, :p])
        elif m == "pratt":
            out[m] = beta * rxy
        elif m == "johnson":
            out[m] = eng.johnson_weights(rxx, rxy)
        elif m == "lmg":
            if p <= max_exact:
                out[m] = eng.lmg_exact(rxx, rxy)
            else:
                out[m] = eng.lmg_sampled(rxx, rxy, n_permutations, rng)
        out[m] = np.where(ok[:, None], out[m], np.nan)
    return out, np.where(ok, r2, np.nan)
