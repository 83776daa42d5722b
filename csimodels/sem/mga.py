"""Multigroup analysis of PLS path models: is the model the same in two segments?

Three procedures, all on the same two groups of respondents:

- **MICOM** (Henseler, Ringle & Sarstedt 2016), run first: is each construct measured
  the same way in both groups? Step 1 (configural invariance: same indicators, same
  model, same data treatment) holds by construction here. Step 2 (compositional
  invariance): the correlation ``c`` between the composite scores computed on the
  pooled, standardised data with the first and with the second group's outer weights
  must not be significantly below 1 (one-sided permutation test, ``c`` against the
  ``c`` of the permuted groups). Step 3 (equal composite means and variances): the
  difference of the means and the log-ratio of the variances of the pooled-model
  composite scores between the groups, each against its permutation distribution
  (two-sided). Verdict per construct: *no invariance* (step 2 fails: do not compare
  the groups on it), *partial invariance* (step 2 holds, step 3 fails: compare paths
  and weights by multigroup analysis, but do not pool the data) or *full invariance*
  (pooling is allowed).
- **Permutation test** (Chin & Dibbern 2010) of the difference of every statistic
  (outer weights, loadings, paths, indirect and total effects, R², HTMT and 0–100
  indices): group labels are permuted over the pooled respondents (group sizes kept),
  both groups are refitted for every permutation, and the p-value is the share of
  permutations whose absolute difference is at least the observed one.
- **PLS-MGA** (Henseler, Ringle & Sinkovics 2009; Sarstedt, Henseler & Ringle 2011):
  each group is bootstrapped separately and the two bootstrap distributions give a
  one-sided p-value for ``θ₁ > θ₂``; the two-sided p-value is ``2 min(p, 1 − p)``.

Speed: every permutation is two case-weight vectors (the respondent weights times the
membership of each permuted group) over the pooled rows, so all permutations of a chunk
are fitted at once by the batched PLS engine, as the bootstrap resamples are; the MICOM
statistics come from the same fits in closed form (``c = w₁'Rw₂ / sqrt(w₁'Rw₁ w₂'Rw₂)``
with ``R`` the pooled indicator correlation matrix). Reproducibility: permutation ``b``
is drawn from its own random stream (fixed blocks spawned from ``random_state``), so the
numbers depend neither on ``chunk_size`` nor on ``n_jobs``.

p-values of the permutation tests use the +1 correction of Phipson & Smyth (2010):
``p = (1 + #{permutations at least as extreme}) / (1 + P)``. With randomly drawn
permutations the uncorrected share ``#{…} / P`` can be 0 and rejects a true null
hypothesis more often than the nominal level; the corrected p is exact (never
anti-conservative) and never below ``1 / (P + 1)``.

References
----------
Chin, W. W., & Dibbern, J. (2010). An introduction to a permutation based procedure for
multi-group PLS analysis. In *Handbook of Partial Least Squares* (pp. 171–193). Springer.
Henseler, J., Ringle, C. M., & Sinkovics, R. R. (2009). The use of partial least squares
path modeling in international marketing. *Advances in International Marketing*, 20,
277–319. Sarstedt, M., Henseler, J., & Ringle, C. M. (2011). Multigroup analysis in
partial least squares (PLS) path modeling: alternative methods and empirical results.
*Advances in International Marketing*, 22, 195–218. Henseler, J., Ringle, C. M., &
Sarstedt, M. (2016). Testing measurement invariance of composites using partial least
squares. *International Marketing Review*, 33(3), 405–431. Phipson, B., & Smyth, G. K.
(2010). Permutation p-values should never be zero. *Statistical Applications in
Genetics and Molecular Biology*, 9(1), 39.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from csimodels.data.survey import ItemMatrix, SurveyData
from csimodels.errors import (
    ConvergenceWarning,
    DataQualityWarning,
    DataValidationError,
    EstimationError,
    InvalidParameterError,
    format_offenders,
)
from csimodels.inference import check_resample_count, resolve_random_state
from csimodels.results import Frame, Result, warn_and_note
from csimodels.sem._mga_engine import (
    PermutationDraws,
    group_statistics,
    henseler_p,
    permutation_p,
    run_permutations,
)
from csimodels.sem._pls_engine import estimate_pls
from csimodels.sem.bootstrap import (
    MAX_RESAMPLES,
    SIGN_CHANGES,
    PLSBootstrap,
    StatisticLayout,
    check_level,
    percentile_interval,
    run_bootstrap,
    summarise,
)

if TYPE_CHECKING:
    from csimodels.sem.model import PathModelBase

__all__ = [
    "MAX_PERMUTATIONS",
    "MICOMResult",
    "MultigroupResult",
    "compare_groups",
    "henseler_p",
    "micom",
    "permutation_p",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Largest number of permutations accepted (Henseler et al. 2016 advise 5,000).
MAX_PERMUTATIONS = 100_000

VERDICTS = ("full invariance", "partial invariance", "no invariance")


# ---------------------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------------------


class MICOMResult(Result):
    """Measurement invariance of composites (MICOM steps 2 and 3) between two groups.

    Attributes
    ----------
    by : str
        The group column.
    groups : tuple of str
        The two groups compared (first, second), as strings.
    n : dict of str to int
        Respondents used in each group.
    table : DataFrame, index construct
        Step 2: ``c`` (correlation of the composite scores computed on the pooled,
        standardised data with the first and the second group's weights), ``c_quantile``
        (the ``1 − level`` quantile of the permutation distribution of ``c``: the
        critical value), ``p_compositional`` (one-sided permutation p-value of ``c``
        being that low), ``compositional_invariance`` (``p_compositional >= 1 − level``).
        Step 3, on the scores of the model fitted to the pooled data:
        ``mean_difference`` (group 1 − group 2 mean of the standardised scores),
        ``mean_ci_lower``/``mean_ci_upper`` (``(1 − level)/2`` and ``(1 + level)/2``
        quantiles of its permutation distribution), ``p_mean`` (two-sided),
        ``equal_means``; ``log_variance_ratio`` (``log var₁ − log var₂``),
        ``variance_ci_lower``/``variance_ci_upper``, ``p_variance``,
        ``equal_variances``. ``verdict``: ``"no invariance"`` (step 2 fails),
        ``"partial invariance"`` (step 2 holds, step 3 fails) or ``"full invariance"``.
    draws : DataFrame, permutations x (statistic, construct)
        The permutation distributions (``c``, ``mean_difference``,
        ``log_variance_ratio``) of the successful permutations (index: permutation
        number).
    n_permutations : int
        Permutations requested.
    n_failed : dict of str to int
        Failed permutations by reason (excluded).
    level : float
        ``1 − level`` is the significance level of every decision.

    Examples
    --------
    >>> import csimodels as csi
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> model = csi.ACSI(indicators=data.constructs)
    >>> res = csi.sem.mga.micom(model, data, by="region", groups=("North", "South"),
    ...                         n_permutations=200, random_state=1)
    >>> list(res.table.columns[:4])
    ['c', 'c_quantile', 'p_compositional', 'compositional_invariance']
    """

    by: str
    groups: tuple[str, str]
    n: dict[str, int]
    table: Frame
    draws: Frame
    n_permutations: int
    n_failed: dict[str, int]
    level: float

    _title: ClassVar[str] = "Measurement invariance of composites (MICOM)"

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        g1, g2 = self.groups
        header: list[tuple[str, object]] = [
            ("Groups", f"{self.by} = {g1!r} (n={self.n[g1]}) vs {g2!r} (n={self.n[g2]})"),
            ("Permutations", f"{self.n_permutations} ({sum(self.n_failed.values())} failed)"),
            ("Significance level", f"{1 - self.level:.3g}"),
            ("Seed", self.settings.get("random_state")),
            ("Step 1 (configural)", "holds by construction (same model and data treatment)"),
        ]
        cols = ["c", "c_quantile", "p_compositional", "mean_difference", "p_mean"]
        cols += ["log_variance_ratio", "p_variance", "verdict"]
        return header, {"MICOM steps 2 and 3": self.table[cols]}


class MultigroupResult(Result):
    """Differences of a PLS path model's estimates between two groups.

    Attributes
    ----------
    by : str
        The group column.
    groups : tuple of str
        The two groups (first, second), as strings; differences are first − second.
    n : dict of str to int
        Respondents used in each group.
    table : DataFrame, index (kind, name)
        One row per statistic (kinds ``weight``, ``loading``, ``path``, ``indirect``,
        ``total``, ``r2``, ``htmt``, ``index``, as :class:`~csimodels.sem.bootstrap.PLSBootstrap`):
        ``estimate_1`` and ``estimate_2`` (each group's estimate), ``difference``
        (``estimate_1 − estimate_2``), ``p_permutation`` (two-sided permutation
        p-value, Chin & Dibbern 2010, with the +1 correction), ``std_error_1`` and
        ``std_error_2`` (each group's bootstrap standard error), ``p_mga_one_sided``
        (Henseler's PLS-MGA p-value of ``θ₁ > θ₂``: small when the first group's value
        is larger, close to 1 when the second's is) and ``p_mga`` (two-sided,
        ``2 min(p, 1 − p)``). Bootstrap columns are NaN with ``bootstrap=0``.
    micom : MICOMResult
        The measurement-invariance check on the same permutations.
    permutation_draws : DataFrame, permutations x (kind, name)
        Group-1 minus group-2 statistics of each successful permutation.
    group_bootstrap : dict of str to PLSBootstrap, optional
        Each group's bootstrap (intervals, draws), keyed by group; None with
        ``bootstrap=0``.
    n_permutations : int
    n_failed : dict of str to int
        Failed permutations by reason (excluded).
    level : float

    Examples
    --------
    >>> import csimodels as csi
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> model = csi.ACSI(indicators=data.constructs)
    >>> res = csi.sem.mga.compare_groups(model, data, by="region", groups=("North", "South"),
    ...                                  n_permutations=200, bootstrap=200, random_state=1)
    >>> row = res.table.loc[("path", "Quality -> Satisfaction")]
    >>> bool(0 < row["p_permutation"] <= 1 and 0 <= row["p_mga"] <= 1)
    True
    """

    by: str
    groups: tuple[str, str]
    n: dict[str, int]
    table: Frame
    micom: MICOMResult
    permutation_draws: Frame
    group_bootstrap: dict[str, PLSBootstrap] | None = None
    n_permutations: int
    n_failed: dict[str, int]
    level: float

    _title: ClassVar[str] = "PLS multigroup analysis"

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        g1, g2 = self.groups
        s = self.settings
        header: list[tuple[str, object]] = [
            ("Model", s.get("model")),
            ("Groups", f"{self.by} = {g1!r} (n={self.n[g1]}) vs {g2!r} (n={self.n[g2]})"),
            ("Permutations", f"{self.n_permutations} ({sum(self.n_failed.values())} failed)"),
            ("Bootstrap per group", s.get("bootstrap") or "none (no PLS-MGA)"),
            ("Seed", s.get("random_state")),
            ("Differences", f"{g1!r} − {g2!r}"),
        ]
        verdicts = self.micom.table["verdict"].value_counts()
        header.append(
            (
                "MICOM",
                ", ".join(f"{verdicts.get(v, 0)} × {v}" for v in VERDICTS if verdicts.get(v, 0)),
            )
        )
        cols = ["estimate_1", "estimate_2", "difference", "p_permutation", "p_mga"]
        tables: dict[str, Any] = {}
        for kind, title in (
            ("path", "Path coefficients"),
            ("r2", "R²"),
            ("index", "0–100 indices"),
        ):
            if kind in self.table.index.get_level_values("kind"):
                tables[title] = self.table.loc[kind, cols]
        tables["MICOM verdicts"] = self.micom.table[
            ["c", "p_compositional", "p_mean", "p_variance", "verdict"]
        ]
        return header, tables

    # ---------------------------------------------------------------------------------------
    # validation
    # ---------------------------------------------------------------------------------------

    def plot(
        self,
        kind: Literal["paths", "indices"] | None = None,
        *,
        ax: Any = None,
        language: Literal["en", "zh"] = "en",
        labels: Literal["code", "label"] = "code",
    ) -> Any:
        """Group differences of the paths (default) or indices, with bootstrap intervals.

        Returns the matplotlib Axes.

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import csimodels as csi
        >>> data = csi.datasets.load_example("acsi_demo")
        >>> res = csi.sem.mga.compare_groups(csi.ACSI(indicators=data.constructs), data,
        ...     by="region", groups=("North", "West"), n_permutations=50, bootstrap=50,
        ...     random_state=1)
        >>> res.plot().get_xlabel()
        'Difference (North − West)'
        """
        from csimodels.reports.charts import mga_chart

        return mga_chart(self, kind, ax=ax, language=language, labels=labels)


def _check_count(value: Any, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidParameterError(f"{name} must be a whole number, got {value!r}")
    if not low <= value <= high:
        raise InvalidParameterError(f"{name} must be between {low} and {high:,}, got {value}")
    return int(value)


def _check_permutations(permutations: Any, n: int) -> IntArray:
    idx = np.asarray(permutations)
    if idx.ndim != 2 or idx.shape[1] != n or idx.shape[0] < 1:
        raise InvalidParameterError(
            f"permutations must be a (P, {n}) matrix (one permutation of the {n} pooled "
            f"respondents per row), got shape {idx.shape}"
        )
    if not np.issubdtype(idx.dtype, np.integer):
        raise InvalidParameterError("permutations must hold integer row positions")
    bad = np.flatnonzero(~(np.sort(idx, axis=1) == np.arange(n)).all(axis=1))
    if bad.size:
        raise InvalidParameterError(
            f"rows {format_offenders(bad.tolist())} of permutations are not permutations of "
            f"0..{n - 1} (each position must appear exactly once)"
        )
    return idx.astype(np.int64)


@dataclass(frozen=True)
class _Setup:
    """Everything the procedures need, validated."""

    model_name: str
    by: str
    labels: tuple[Hashable, Hashable]
    x: FloatArray
    w0: FloatArray
    weighted: bool
    first: NDArray[np.bool_]
    layout: StatisticLayout
    pls_settings: dict[str, Any]
    missing: str


def _setup(
    model: PathModelBase,
    data: SurveyData | pd.DataFrame,
    *,
    by: str,
    groups: Sequence[Hashable] | None,
    scale: Any,
    weight: str | None,
    min_group_size: int | None,
) -> _Setup:
    from csimodels.sem import _design as design
    from csimodels.sem.model import _as_survey

    model_name = type(model).__name__
    if not isinstance(by, str):
        raise InvalidParameterError(f"by must be the name of the group column, got {by!r}")
    spec = model.to_spec()
    survey = _as_survey(data, spec, owner=model_name, scale=scale, weight=weight, by=by)
    available = [label for label, _ in survey.groups(by)]
    if groups is None:
        if len(available) != 2:
            raise DataValidationError(
                f"{by!r} has {len(available)} groups ({format_offenders(available)}); pass "
                "groups=(first, second) to choose the two to compare"
            )
        chosen = (available[0], available[1])
    else:
        if isinstance(groups, (str, bytes)) or len(groups) != 2:
            raise InvalidParameterError(
                f"groups must be two group labels (first, second), got {groups!r}"
            )
        chosen = (groups[0], groups[1])
        unknown = [g for g in chosen if g not in available]
        if unknown:
            raise DataValidationError(
                f"group {format_offenders(unknown)} not found in column {by!r}; its groups "
                f"are {format_offenders(available)}"
            )
        if chosen[0] == chosen[1]:
            raise InvalidParameterError(
                f"groups names {chosen[0]!r} twice; compare two different groups of {by!r}"
            )
    column = survey.frame[by]
    keep = column.isin(list(chosen)).to_numpy()
    pooled = survey.subset(keep)
    items = list(spec.indicators)
    matrix = pooled.item_matrix(items, missing=model.missing)
    first = (pooled.frame.loc[matrix.rows, by] == chosen[0]).to_numpy()
    minimum = design.default_min_segment_size(spec) if min_group_size is None else min_group_size
    minimum = max(_check_count(minimum, "min_group_size", 2, 10**9), len(items) + 1)
    for label, member in ((chosen[0], first), (chosen[1], ~first)):
        size = int(member.sum())
        if size < minimum:
            raise DataValidationError(
                f"{model_name}: group {by}={label!r} has {size} respondents (after missing-data "
                f"handling), fewer than {minimum} (ten times the largest number of arrows "
                f"pointing at a construct, and more than the {len(items)} indicators); "
                "compare larger groups or lower min_group_size"
            )
        part = ItemMatrix(
            matrix.values[member],
            None if matrix.weights is None else matrix.weights[member],
            matrix.rows[member],
            matrix.items,
            matrix.report,
        )
        design.check_estimable(spec, part, f"{model_name} ({by}={label!r})")
    lower, upper = design.indicator_scales(spec, pooled, model_name)
    layout = design.statistic_layout(spec, lower, upper)
    w0 = np.ones(matrix.values.shape[0]) if matrix.weights is None else matrix.weights
    return _Setup(
        model_name=model_name,
        by=by,
        labels=chosen,
        x=matrix.values,
        w0=np.asarray(w0, dtype=np.float64),
        weighted=matrix.weights is not None,
        first=np.asarray(first, dtype=np.bool_),
        layout=layout,
        pls_settings=design.engine_settings(model),
        missing=matrix.report.describe(),
    )


# ---------------------------------------------------------------------------------------
# procedures
# ---------------------------------------------------------------------------------------


def _seeds(
    random_state: object, owner: str = "compare_groups"
) -> tuple[np.random.SeedSequence, int, int, int]:
    """Permutation stream and the two groups' bootstrap seeds, from one recorded seed.

    A seed left as None is drawn (``resolve_random_state``) and recorded as an int, so
    passing ``settings["random_state"]`` back repeats the run exactly.
    """
    seed = resolve_random_state(random_state, owner=owner)
    perm = np.random.SeedSequence(seed, spawn_key=(0,))
    boot = [int(np.random.SeedSequence(seed, spawn_key=(g,)).generate_state(1)[0]) for g in (1, 2)]
    return perm, boot[0], boot[1], seed


@dataclass(frozen=True)
class _PermutationOutcome:
    observed: FloatArray  # (2, q)
    draws: PermutationDraws
    micom: MICOMResult
    notes: list[str]


def _permutation_part(
    s: _Setup,
    *,
    n_permutations: int,
    permutations: Any,
    seed: np.random.SeedSequence,
    level: float,
    chunk_size: int,
    n_jobs: int | None,
    recorded_seed: int | str,
    notes: list[str],
) -> _PermutationOutcome:
    n = s.x.shape[0]
    explicit = None if permutations is None else _check_permutations(permutations, n)
    n_perm = n_permutations if explicit is None else explicit.shape[0]
    blocks, modes, structure = list(s.layout.blocks), list(s.layout.modes), s.layout.structure
    pooled = estimate_pls(
        s.x,
        blocks,
        modes,
        structure,
        case_weights=s.w0 if s.weighted else None,
        **s.pls_settings,
    )
    if pooled.singular or pooled.scores is None:
        raise EstimationError(
            f"{s.model_name}: the model cannot be estimated on the pooled data of the two "
            "groups (a singular correlation matrix)"
        )
    r_pooled, scores = pooled.indicator_correlations, pooled.scores
    obs = group_statistics(s.x, s.w0, s.first[None, :], s.layout, s.pls_settings, r_pooled, scores)
    for g, label in enumerate(s.labels):
        if obs["singular"][g]:
            raise EstimationError(
                f"{s.model_name}: the model cannot be estimated in group {s.by}={label!r} (a "
                "singular correlation matrix: collinear indicators or constructs)"
            )
        if not obs["converged"][g]:
            warn_and_note(
                notes,
                f"group {s.by}={label!r}: PLS did not converge in {s.pls_settings['max_iter']} "
                "iterations; raise max_iter",
                ConvergenceWarning,
            )
    draws = run_permutations(
        s.x,
        s.w0,
        s.first,
        s.layout,
        s.pls_settings,
        r_pooled,
        scores,
        n_permutations=n_perm,
        seed=seed,
        permutations=explicit,
        chunk_size=chunk_size,
        n_jobs=n_jobs,
    )
    failed = sum(draws.n_failed.values())
    if failed == n_perm:
        raise EstimationError(
            f"all {n_perm} permutations failed ({draws.n_failed}); the model is too fragile "
            "for these groups"
        )
    if failed:
        reasons = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in draws.n_failed.items() if v)
        warn_and_note(
            notes,
            f"{failed} of {n_perm} permutations failed and were excluded ({reasons}); "
            f"p-values use the {n_perm - failed} others",
            ConvergenceWarning,
        )
    alpha = 1 - level
    ok = n_perm - failed
    if 1 / (ok + 1) > alpha:
        warn_and_note(
            notes,
            f"with {ok} permutations the smallest attainable p-value is {1 / (ok + 1):.3g}, "
            f"above the significance level {alpha:.3g}: use at least {int(np.ceil(1 / alpha))} "
            "(Henseler et al. 2016 advise 5,000)",
            DataQualityWarning,
        )
    intervals_ok = check_resample_count(ok, level, owner="MICOM", notes=notes, what="permutations")
    micom = _micom_result(
        s, obs, draws, n_perm, level, recorded_seed, explicit is not None, intervals_ok
    )
    return _PermutationOutcome(observed=obs["stats"], draws=draws, micom=micom, notes=notes)


def _micom_result(
    s: _Setup,
    obs: dict[str, NDArray[Any]],
    draws: PermutationDraws,
    n_perm: int,
    level: float,
    recorded_seed: int | str | None,
    explicit: bool,
    intervals_ok: bool = True,
) -> MICOMResult:
    alpha = 1 - level
    c = obs["c"][0]
    md = obs["mean_difference"][0]
    lvr = obs["log_variance_ratio"][0]
    p_c = permutation_p(c, draws.composite_correlation, side="less")
    with np.errstate(all="ignore"):
        c_q = np.nanquantile(draws.composite_correlation, alpha, axis=0)
    p_m = permutation_p(md, draws.mean_difference)
    p_v = permutation_p(lvr, draws.log_variance_ratio)
    m_lo, m_hi = percentile_interval(draws.mean_difference, level)
    v_lo, v_hi = percentile_interval(draws.log_variance_ratio, level)
    if not intervals_ok:  # too few permutations for tails at this level
        m_lo, m_hi, v_lo, v_hi = (np.full_like(m_lo, np.nan),) * 4
    step2 = p_c >= alpha
    equal_m = p_m >= alpha
    equal_v = p_v >= alpha
    verdict = np.where(~step2, VERDICTS[2], np.where(equal_m & equal_v, VERDICTS[0], VERDICTS[1]))
    names = list(s.layout.constructs)
    table = pd.DataFrame(
        {
            "c": c,
            "c_quantile": c_q,
            "p_compositional": p_c,
            "compositional_invariance": step2,
            "mean_difference": md,
            "mean_ci_lower": m_lo,
            "mean_ci_upper": m_hi,
            "p_mean": p_m,
            "equal_means": equal_m,
            "log_variance_ratio": lvr,
            "variance_ci_lower": v_lo,
            "variance_ci_upper": v_hi,
            "p_variance": p_v,
            "equal_variances": equal_v,
            "verdict": verdict,
        },
        index=pd.Index(names, name="construct"),
    )
    columns = pd.MultiIndex.from_tuples(
        [(stat, c_) for stat in ("c", "mean_difference", "log_variance_ratio") for c_ in names],
        names=["statistic", "construct"],
    )
    draw_frame = pd.DataFrame(
        np.concatenate(
            [draws.composite_correlation, draws.mean_difference, draws.log_variance_ratio], axis=1
        ),
        index=pd.Index(draws.permutation_ids, name="permutation"),
        columns=columns,
    )
    labels = (str(s.labels[0]), str(s.labels[1]))
    return MICOMResult(
        by=s.by,
        groups=labels,
        n={labels[0]: int(s.first.sum()), labels[1]: int((~s.first).sum())},
        table=table,
        draws=draw_frame,
        n_permutations=n_perm,
        n_failed=draws.n_failed,
        level=level,
        settings={
            "model": s.model_name,
            "by": s.by,
            "groups": list(labels),
            "n_permutations": n_perm,
            "random_state": recorded_seed,
            "explicit_permutations": explicit,
            "missing": s.missing,
            "p_value": "(1 + #{permutations at least as extreme}) / (1 + P) (Phipson & Smyth 2010)",
            "scores": "step 2: pooled standardised data with each group's weights; step 3: "
            "scores of the model fitted to the pooled data",
            **s.pls_settings,
        },
    )


def _check_common(
    n_permutations: Any, level: Any, chunk_size: Any, n_jobs: Any, permutations: Any
) -> None:
    if permutations is None:
        _check_count(n_permutations, "n_permutations", 1, MAX_PERMUTATIONS)
    check_level(level)
    _check_count(chunk_size, "chunk_size", 1, 10**9)
    if n_jobs is not None and (isinstance(n_jobs, bool) or not isinstance(n_jobs, int)):
        raise InvalidParameterError(f"n_jobs must be an integer or None, got {n_jobs!r}")


def micom(
    model: PathModelBase,
    data: SurveyData | pd.DataFrame,
    *,
    by: str,
    groups: Sequence[Hashable] | None = None,
    n_permutations: int = 1000,
    random_state: int | None = None,
    level: float = 0.95,
    scale: Any = None,
    weight: str | None = None,
    min_group_size: int | None = None,
    permutations: Any = None,
    chunk_size: int = 250,
    n_jobs: int | None = None,
) -> MICOMResult:
    """Measurement invariance of composites (MICOM, steps 2 and 3) between two groups.

    Parameters
    ----------
    model : PathModel or a CSI preset
        The model (its settings: scheme, PLSc, missing-data strategy...).
    data : SurveyData or DataFrame
        Respondents of both groups (others are ignored).
    by : str
        The group column (a segment or period column of a SurveyData).
    groups : (first, second), optional
        The two groups to compare; may be omitted when ``by`` has exactly two values.
    n_permutations : int
        Random permutations of the group labels (1 to 100,000; Henseler et al. 2016
        advise 5,000).
    random_state : int, numpy Generator or None
        Seed; recorded in the result as an int (with None, one is drawn and recorded),
        so that passing ``settings["random_state"]`` back repeats the run.
    level : float
        ``1 − level`` is the significance level of the decisions (0.95: 5 %).
    scale, weight : optional
        For a DataFrame: the answer scale and the respondent-weight column.
    min_group_size : int, optional
        Smallest group accepted (default: as ``fit(by=...)``, ten times the largest
        number of arrows pointing at a construct, and more than the indicators).
    permutations : array (P, n), optional
        Explicit permutations of the ``n`` pooled respondents (in data order, after
        missing-data handling): in permutation ``b``, respondent ``i`` takes the group
        of respondent ``permutations[b, i]``. Replaces ``n_permutations`` and
        ``random_state``.
    chunk_size : int
        Permutations fitted at once (bounds memory).
    n_jobs : int, optional
        Run chunks in parallel through joblib; numbers do not depend on it.

    Returns
    -------
    MICOMResult

    Raises
    ------
    DataValidationError
        A group not in the data, fewer than two groups to choose from, a group too small.
    InvalidParameterError
        Bad counts, level, seed, or the same group twice.
    EstimationError
        The model cannot be estimated in a group, or every permutation failed.

    Notes
    -----
    Missing answers are handled once, on the two groups' pooled data, so that their
    treatment does not depend on group membership (required for a permutation test).
    With respondent weights, every mean, variance and correlation is weighted.

    Examples
    --------
    >>> import csimodels as csi
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> res = csi.sem.mga.micom(csi.ACSI(indicators=data.constructs), data, by="region",
    ...                         groups=("North", "South"), n_permutations=200, random_state=3)
    >>> sorted(set(res.table["verdict"]) - {"full invariance", "partial invariance",
    ...                                      "no invariance"})
    []
    """
    _check_common(n_permutations, level, chunk_size, n_jobs, permutations)
    s = _setup(
        model,
        data,
        by=by,
        groups=groups,
        scale=scale,
        weight=weight,
        min_group_size=min_group_size,
    )
    perm_seed, _, _, recorded = _seeds(random_state, "micom")
    notes: list[str] = []
    outcome = _permutation_part(
        s,
        n_permutations=n_permutations,
        permutations=permutations,
        seed=perm_seed,
        level=level,
        chunk_size=chunk_size,
        n_jobs=n_jobs,
        recorded_seed=recorded,
        notes=notes,
    )
    _note_micom(outcome.micom, notes)
    return outcome.micom.model_copy(update={"notes": tuple(notes)})


def _note_micom(res: MICOMResult, notes: list[str]) -> None:
    table = res.table
    bad = [str(c) for c in table.index[table["verdict"] == VERDICTS[2]]]
    if bad:
        detail = "; ".join(
            f"{c}: c = {table['c'].to_numpy()[i]:.4f}, "
            f"p = {table['p_compositional'].to_numpy()[i]:.3g}"
            for i, c in enumerate(table.index)
            if str(c) in bad
        )
        warn_and_note(
            notes,
            f"MICOM step 2: compositional invariance is not established for "
            f"{format_offenders(bad)} ({detail}); differences involving these constructs may "
            "reflect different measurement rather than different relationships",
            DataQualityWarning,
        )


def compare_groups(
    model: PathModelBase,
    data: SurveyData | pd.DataFrame,
    *,
    by: str,
    groups: Sequence[Hashable] | None = None,
    n_permutations: int = 1000,
    bootstrap: int = 1000,
    random_state: int | None = None,
    level: float = 0.95,
    scale: Any = None,
    weight: str | None = None,
    min_group_size: int | None = None,
    permutations: Any = None,
    resamples: Sequence[Any] | None = None,
    sign_change: str = "none",
    chunk_size: int = 250,
    n_jobs: int | None = None,
) -> MultigroupResult:
    """Compare a PLS path model between two groups: MICOM, permutation test and PLS-MGA.

    Parameters
    ----------
    model : PathModel or a CSI preset
        The model (its settings: scheme, PLSc, missing-data strategy...).
    data : SurveyData or DataFrame
        Respondents of both groups (others are ignored).
    by : str
        The group column (a segment or period column of a SurveyData).
    groups : (first, second), optional
        The two groups; differences are first − second. May be omitted when ``by`` has
        exactly two values (they are then taken in sorted order).
    n_permutations : int
        Random permutations of the group labels (1 to 100,000).
    bootstrap : int
        Bootstrap resamples per group for PLS-MGA (0: skip PLS-MGA).
    random_state : int, numpy Generator or None
        Seed of the permutations and of both groups' bootstraps (None: one is drawn);
        recorded in the result,
        with the seed of each group's bootstrap (``settings["bootstrap_seeds"]``: group
        ``g``'s draws equal those of ``model.fit(<group g>, bootstrap=B,
        random_state=<its seed>)`` when no answer is missing).
    level : float
        Level of the per-group bootstrap intervals; ``1 − level`` is the significance
        level of the MICOM decisions.
    scale, weight : optional
        For a DataFrame: the answer scale and the respondent-weight column.
    min_group_size : int, optional
        Smallest group accepted (default as ``fit(by=...)``).
    permutations : array (P, n), optional
        Explicit permutations of the pooled respondents (see :func:`micom`).
    resamples : (array (B, n₁), array (B, n₂)), optional
        Explicit bootstrap row positions within each group (in data order), e.g. to
        compare with seminr's ``estimate_pls_mga(group1_indices=..., group2_indices=...)``.
    sign_change : {"none", "construct", "individual"}
        Sign-change correction of the bootstrap draws (see the bootstrap).
    chunk_size : int
        Permutations (and resamples) fitted at once (bounds memory).
    n_jobs : int, optional
        Run chunks in parallel through joblib; numbers do not depend on it.

    Returns
    -------
    MultigroupResult

    Raises
    ------
    DataValidationError
        A group not in the data, fewer than two groups to choose from, a group too small.
    InvalidParameterError
        Bad counts, level, seed, resamples, or the same group twice.
    EstimationError
        The model cannot be estimated in a group, or every permutation failed.

    Warns
    -----
    DataQualityWarning
        MICOM finds no compositional invariance for a construct; too few permutations
        to reach the significance level.
    ConvergenceWarning
        Permutations or resamples that failed (they are excluded and counted).

    Notes
    -----
    Permutation p-value of a statistic with observed difference ``d`` and permuted
    differences ``d_b`` (``P`` successful permutations):
    ``p = (1 + #{b : |d_b| >= |d|}) / (1 + P)`` (Phipson & Smyth 2010).

    PLS-MGA (Henseler et al. 2009; Sarstedt et al. 2011) with the ``J₁`` and ``J₂``
    successful bootstrap draws of the two groups:
    ``p₁ = 1 − (1 / (J₁ J₂)) Σ_j Σ_i Θ(2 θ̄₁ − θ₁ⱼ − 2 θ̄₂ + θ₂ᵢ)`` with ``Θ`` the unit
    step (``Θ(0) = 1/2``); ``p₁`` tests ``θ₁ > θ₂`` (SmartPLS reads ``p₁ < 0.05`` or
    ``p₁ > 0.95`` as significant: one-sided at 5 % in each direction), and the two-sided
    ``p_mga = 2 min(p₁, 1 − p₁)``.

    Missing answers are handled once on the two groups' pooled data (so their treatment
    does not depend on group membership); each group's estimates are otherwise exactly
    those of fitting the model to that group alone.

    Examples
    --------
    >>> import csimodels as csi
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> res = csi.sem.mga.compare_groups(csi.ACSI(indicators=data.constructs), data,
    ...                                  by="region", groups=("North", "South"),
    ...                                  n_permutations=200, bootstrap=200, random_state=1)
    >>> list(res.table.columns)  # doctest: +NORMALIZE_WHITESPACE
    ['estimate_1', 'estimate_2', 'difference', 'p_permutation', 'std_error_1',
     'std_error_2', 'p_mga_one_sided', 'p_mga']
    """
    _check_common(n_permutations, level, chunk_size, n_jobs, permutations)
    if resamples is None:
        _check_count(bootstrap, "bootstrap", 0, MAX_RESAMPLES)
    if sign_change not in SIGN_CHANGES:
        raise InvalidParameterError(
            f"sign_change={sign_change!r} is not a sign-change option; choose one of "
            "'construct', 'individual', 'none'"
        )
    s = _setup(
        model,
        data,
        by=by,
        groups=groups,
        scale=scale,
        weight=weight,
        min_group_size=min_group_size,
    )
    perm_seed, seed_1, seed_2, recorded = _seeds(random_state)
    explicit = _check_resamples(resamples, s)
    notes: list[str] = []
    outcome = _permutation_part(
        s,
        n_permutations=n_permutations,
        permutations=permutations,
        seed=perm_seed,
        level=level,
        chunk_size=chunk_size,
        n_jobs=n_jobs,
        recorded_seed=recorded,
        notes=notes,
    )
    _note_micom(outcome.micom, notes)
    labels = (str(s.labels[0]), str(s.labels[1]))
    observed = outcome.observed
    difference = observed[0] - observed[1]
    p_perm = permutation_p(difference, outcome.draws.differences)
    q = observed.shape[1]
    se = np.full((2, q), np.nan)
    p_one = np.full(q, np.nan)
    boots: dict[str, PLSBootstrap] | None = None
    n_boot = bootstrap
    if explicit is not None or bootstrap > 0:
        n_boot = explicit[0].shape[0] if explicit is not None else bootstrap
        boots = {}
        draws = []
        for g, (member, seed) in enumerate(((s.first, seed_1), (~s.first, seed_2))):
            part = run_bootstrap(
                s.x[member],
                s.w0[member] if s.weighted else None,
                s.layout,
                s.pls_settings,
                n_resamples=n_boot,
                random_state=seed,
                resamples=None if explicit is None else explicit[g],
                chunk_size=max(2 * chunk_size, 1),
                n_jobs=n_jobs,
                sign_change=sign_change,
            )
            failed = sum(part.n_failed.values())
            if failed == n_boot:
                raise EstimationError(
                    f"all {n_boot} bootstrap resamples of group {by}={labels[g]!r} failed "
                    f"({part.n_failed}); the model is too fragile for this group"
                )
            if failed:
                warn_and_note(
                    notes,
                    f"group {by}={labels[g]!r}: {failed} of {n_boot} bootstrap resamples failed "
                    "and were excluded",
                    ConvergenceWarning,
                )
            draws.append(part.draws)
            boots[labels[g]] = summarise(
                part,
                s.layout,
                level=level,
                n_resamples=n_boot,
                settings={
                    "random_state": None if explicit is not None else seed,
                    "sign_change": sign_change,
                    "explicit_resamples": explicit is not None,
                    "group": labels[g],
                },
            )
            se[g] = boots[labels[g]].table["std_error"].to_numpy()
        p_one = henseler_p(draws[0], draws[1])
    fixed = s.layout.fixed_by_construction
    if fixed.any():
        p_perm, p_one = np.where(fixed, np.nan, p_perm), np.where(fixed, np.nan, p_one)
        se = np.where(fixed, np.nan, se)
        names = sorted({n for (_, n), f in zip(s.layout.labels, fixed, strict=True) if f})
        notes.append(
            f"the weight, loading and index weight of single-indicator constructs "
            f"({format_offenders(names)}) are 1 by construction in both groups: no group "
            "difference to test (p-values NaN)"
        )
    index = pd.MultiIndex.from_tuples(s.layout.labels, names=["kind", "name"])
    table = pd.DataFrame(
        {
            "estimate_1": observed[0],
            "estimate_2": observed[1],
            "difference": difference,
            "p_permutation": p_perm,
            "std_error_1": se[0],
            "std_error_2": se[1],
            "p_mga_one_sided": p_one,
            "p_mga": 2 * np.minimum(p_one, 1 - p_one),
        },
        index=index,
    )
    perm = outcome.draws
    return MultigroupResult(
        by=s.by,
        groups=labels,
        n=dict(outcome.micom.n),
        table=table,
        micom=outcome.micom,
        permutation_draws=pd.DataFrame(
            perm.differences,
            index=pd.Index(perm.permutation_ids, name="permutation"),
            columns=index,
        ),
        group_bootstrap=boots,
        n_permutations=outcome.micom.n_permutations,
        n_failed=perm.n_failed,
        level=level,
        settings={
            "model": s.model_name,
            "method": "pls",
            "by": s.by,
            "groups": list(labels),
            "n_permutations": outcome.micom.n_permutations,
            "bootstrap": n_boot if boots is not None else 0,
            "random_state": recorded,
            "bootstrap_seeds": None
            if resamples is not None or boots is None
            else {
                labels[0]: seed_1,
                labels[1]: seed_2,
            },
            "explicit_permutations": permutations is not None,
            "explicit_resamples": resamples is not None,
            "sign_change": sign_change,
            "chunk_size": chunk_size,
            "missing": s.missing,
            "p_permutation": "(1 + #{b: |d_b| >= |d|}) / (1 + P) (Chin & Dibbern 2010; "
            "Phipson & Smyth 2010)",
            "p_mga": "1 - sum_j sum_i Theta(2 mean1 - b1_j - 2 mean2 + b2_i) / (J1 J2), "
            "Theta(0) = 1/2 (Henseler et al. 2009; Sarstedt et al. 2011); two-sided "
            "2 min(p, 1 - p)",
            **s.pls_settings,
        },
        notes=tuple(notes),
    )


def _check_resamples(
    resamples: Sequence[Any] | None, s: _Setup
) -> tuple[IntArray, IntArray] | None:
    if resamples is None:
        return None
    if isinstance(resamples, np.ndarray) or len(resamples) != 2:
        raise InvalidParameterError(
            "resamples must be a pair (group-1 matrix, group-2 matrix) of bootstrap row "
            "positions within each group"
        )
    out = []
    for g, (member, label) in enumerate(((s.first, s.labels[0]), (~s.first, s.labels[1]))):
        n_g = int(member.sum())
        idx = np.asarray(resamples[g])
        if idx.ndim != 2 or idx.shape[1] != n_g or idx.shape[0] < 1:
            raise InvalidParameterError(
                f"resamples[{g}] (group {s.by}={label!r}) must be a (B, {n_g}) matrix of row "
                f"positions within the group, got shape {idx.shape}"
            )
        if not np.issubdtype(idx.dtype, np.integer) or idx.min() < 0 or idx.max() >= n_g:
            raise InvalidParameterError(
                f"resamples[{g}] (group {s.by}={label!r}) must hold integer row positions in "
                f"[0, {n_g - 1}]"
            )
        out.append(idx.astype(np.int64))
    if out[0].shape[0] != out[1].shape[0]:
        raise InvalidParameterError(
            f"resamples must have as many resamples for both groups, got {out[0].shape[0]} "
            f"and {out[1].shape[0]}"
        )
    return out[0], out[1]


def demo_section() -> str:
    """Two regions of the bundled example survey compared: MICOM, permutation, PLS-MGA.

    Examples
    --------
    >>> "MICOM" in demo_section()
    True
    """
    import csimodels as csi

    data = csi.datasets.load_example("acsi_demo")
    model = csi.ACSI(indicators=data.constructs)
    res = compare_groups(
        model,
        data,
        by="region",
        groups=("North", "South"),
        n_permutations=1000,
        bootstrap=1000,
        random_state=2025,
    )
    cols = ["estimate_1", "estimate_2", "difference", "p_permutation", "p_mga"]
    lines = [
        "ACSI, region North vs South on 'acsi_demo' (1,000 permutations, 1,000 bootstrap "
        "resamples per region)",
        "",
        "MICOM (measurement invariance of composites), run before comparing:",
        res.micom.table[["c", "p_compositional", "p_mean", "p_variance", "verdict"]]
        .round(4)
        .to_string(),
        "",
        "Path coefficients (1 = North, 2 = South; permutation and PLS-MGA p-values):",
        res.table.loc["path", cols].round(4).to_string(),
        "",
        "0–100 indices:",
        res.table.loc["index", cols].round(3).to_string(),
    ]
    return "\n".join(lines)
