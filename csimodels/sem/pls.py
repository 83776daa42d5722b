"""PLS path modelling: the public fit and its result."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
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
    SpecificationError,
    format_offenders,
)
from csimodels.inference import min_resamples_for_interval
from csimodels.results import (
    SEGMENT_PLOTS,
    Frame,
    MissingDataReport,
    Result,
    SegmentedResult,
    warn_and_note,
)
from csimodels.segments import fit_by, plan_segments, status_table
from csimodels.sem import _design as design
from csimodels.sem import _pls_assess as assess
from csimodels.sem._pls_engine import (
    PLSEstimate,
    batch_correlations,
    estimate_pls,
    estimate_pls_moments,
)
from csimodels.sem.bootstrap import (
    PLSBootstrap,
    batched_index,
    check_bootstrap_arguments,
    check_level,
    percentile_interval,
    run_bootstrap,
    summarise,
)
from csimodels.sem.index import index_weights, respondent_indices
from csimodels.sem.spec import ModelSpec

if TYPE_CHECKING:
    from csimodels.planning.result import WhatIfResult
    from csimodels.sem.model import PathModelBase

__all__ = ["PLSResult", "SegmentedPLSResult", "fit_pls", "fit_pls_by_segment"]

FloatArray = NDArray[np.float64]


class PLSResult(Result):
    """A PLS path model fitted to survey data.

    All tables are labelled with your construct and item names. Constructs' human
    labels (e.g. Chinese aliases) are in :attr:`construct_labels`.

    Attributes
    ----------
    spec : ModelSpec
        The model that was estimated.
    construct_labels : dict of str to str
    outer : DataFrame, index (construct, indicator)
        ``mode`` (reflective/formative), ``weight`` (outer weight on the standardised
        indicator), ``loading``, ``index_weight`` (unstandardised weight normalised to
        sum to one within the construct, used by the 0–100 index), ``vif`` (outer VIF
        within the block), ``mean`` and ``sd`` of the answers used, and the declared
        ``scale_min`` and ``scale_max``.
    cross_loadings : DataFrame, indicators x constructs
        Correlations of every indicator with every construct score.
    paths : DataFrame, index (from, to)
        ``estimate`` (standardised path coefficient), ``f2`` (effect size), ``vif``
        (inner VIF of the predictor for that endogenous construct).
    effects : DataFrame, index (from, to)
        ``direct``, ``indirect`` and ``total`` effects for every pair of constructs
        connected by a directed route.
    r2 : DataFrame, index construct (endogenous only)
        ``r2`` and ``r2_adjusted``.
    reliability : DataFrame, index construct
        ``alpha`` (Cronbach), ``rho_a`` (Dijkstra–Henseler), ``rho_c`` (composite
        reliability) and ``ave``; NaN where not applicable (formative constructs).
    htmt : DataFrame, constructs x constructs
        Heterotrait–monotrait ratios (NaN on the diagonal).
    fornell_larcker : DataFrame, constructs x constructs
        √AVE on the diagonal, construct correlations elsewhere.
    construct_correlations : DataFrame
        Correlations of the construct scores (PLSc: disattenuated).
    scores : DataFrame, respondents x constructs
        Standardised construct scores, indexed by your row labels.
    indices : DataFrame, index construct
        ``index``: the 0–100 index (ACSI formula, see :mod:`csimodels.sem.index`) and
        ``label``.
    respondent_indices : DataFrame, respondents x constructs
        Each respondent's 0–100 index.
    srmr : float
        Standardised root mean square residual of the estimated model.
    iterations : int
    converged : bool
    missing : MissingDataReport

    Examples
    --------
    >>> import csimodels as csi
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> res = csi.ACSI(indicators=data.constructs).fit(data)
    >>> list(res.reliability.columns)
    ['alpha', 'rho_a', 'rho_c', 'ave']
    """

    spec: ModelSpec
    construct_labels: dict[str, str]
    outer: Frame
    cross_loadings: Frame
    paths: Frame
    effects: Frame
    r2: Frame
    reliability: Frame
    htmt: Frame
    fornell_larcker: Frame
    construct_correlations: Frame
    scores: Frame
    indices: Frame
    respondent_indices: Frame
    srmr: float
    iterations: int
    converged: bool
    missing: MissingDataReport
    bootstrap: PLSBootstrap | None = None

    _title: ClassVar[str] = "PLS path model"

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        s = self.settings
        header: list[tuple[str, object]] = [
            ("Model", s.get("model")),
            ("Method", "PLS-PM" + (" (consistent, PLSc)" if s.get("consistent") else "")),
            ("Inner weighting", s.get("scheme")),
            ("Respondents used", self.missing.n_rows_used),
            ("Missing data", self.missing.describe()),
            ("Weights", s.get("weight") or "none"),
            (
                "Iterations",
                f"{self.iterations} ({'converged' if self.converged else 'NOT converged'})",
            ),
            ("SRMR", f"{self.srmr:.4f}"),
        ]
        if self.bootstrap is not None:
            b = self.bootstrap
            header.append(
                (
                    "Inference",
                    f"bootstrap, {b.n_resamples} resamples ({sum(b.n_failed.values())} failed), "
                    f"seed {b.settings.get('random_state')}, {b.level:.0%} percentile intervals",
                )
            )
        tables: dict[str, Any] = {
            "Path coefficients": self.paths,
            "R²": self.r2,
            "Reliability and convergent validity": self.reliability,
            "0–100 indices": self.indices,
        }
        return header, tables

    def conf_int(self, level: float = 0.95, *, method: str = "percentile") -> pd.DataFrame:
        """Bootstrap confidence intervals of every estimate (needs ``fit(bootstrap=B)``).

        Recomputed from the stored draws at any ``level``; ``method`` is
        ``"percentile"`` or ``"bca"``. See :meth:`PLSBootstrap.conf_int`.
        """
        if self.bootstrap is None:
            raise EstimationError(
                "this result has no bootstrap draws; fit with bootstrap=5000 (and a "
                "random_state) to get confidence intervals"
            )
        return self.bootstrap.conf_int(level, method=method)

    def ipma(self, target: str, *, level: str = "construct") -> pd.DataFrame:
        """Importance–performance map of what drives ``target`` (Ringle & Sarstedt 2016).

        Everything is measured on the 0–100 scale. A construct's importance is its
        unstandardised total effect on the target's 0–100 score (index points of the
        target per index point of the driver); its performance is its 0–100 index.
        An indicator's importance is its construct's importance times the indicator's
        weight in the construct's 0–100 score; its performance is its mean rescaled to
        0–100 with the declared scale.

        Because each 0–100 score is an exact linear function of the standardised
        construct score, ``index = a + b · score``, the unstandardised effect is the
        standardised total effect times ``b_target / b_driver``.

        Parameters
        ----------
        target : str
            An endogenous construct.
        level : {"construct", "indicator"}

        Returns
        -------
        DataFrame
            ``level="construct"``: indexed by construct, ``importance``,
            ``performance``, ``label``. ``level="indicator"``: indexed by indicator,
            ``construct``, ``importance``, ``performance``, ``weight`` (the indicator's
            weight in its construct's 0–100 score; they sum to one per construct).
            A bootstrapped fit adds the importance's ``std_error``, ``ci_lower`` and
            ``ci_upper`` (percentile, at the bootstrap's level), from each resample's
            own importance.

        Examples
        --------
        >>> import csimodels as csi
        >>> data = csi.datasets.load_example("acsi_demo")
        >>> res = csi.ACSI(indicators=data.constructs).fit(data)
        >>> list(res.ipma("Satisfaction").index)
        ['Expectations', 'Quality', 'Value']
        >>> res.ipma("Satisfaction", level="indicator").shape
        (8, 4)
        """
        if target not in self.spec.construct_names:
            raise SpecificationError(
                f"no construct named {target!r}; constructs: "
                f"{format_offenders(list(self.spec.construct_names))}"
            )
        if level not in ("construct", "indicator"):
            raise InvalidParameterError(
                f"level={level!r} is not an IPMA level; choose 'construct' or 'indicator'"
            )
        effects = self.effects
        drivers = [src for (src, dst) in effects.index if dst == target]
        if not drivers:
            raise SpecificationError(
                f"construct {target!r} has no predecessors; pick an endogenous one"
            )
        scores = self.scores - self.scores.mean()
        indices = self.respondent_indices - self.respondent_indices.mean()
        slope = (scores * indices).sum() / (scores**2).sum()
        importance = {
            src: float(effects.loc[(src, target), "total"]) * slope[target] / slope[src]
            for src in drivers
        }
        if level == "construct":
            rows = [
                {
                    "construct": src,
                    "importance": importance[src],
                    "performance": float(self.indices.loc[src, "index"]),
                    "label": self.construct_labels.get(src, src),
                }
                for src in drivers
            ]
            table = pd.DataFrame(rows).set_index("construct")
            return self._importance_inference(table, target, None)
        outer = self.outer
        span = outer["scale_max"] - outer["scale_min"]
        rows = []
        for src in drivers:
            block = outer.loc[src]
            share = block["index_weight"] * span.loc[src]
            share = share / share.sum()
            for item in block.index:
                rows.append(
                    {
                        "indicator": item,
                        "construct": src,
                        "importance": float(share[item]) * importance[src],
                        "performance": float(
                            (block.loc[item, "mean"] - block.loc[item, "scale_min"])
                            / span.loc[(src, item)]
                            * 100
                        ),
                        "weight": float(share[item]),
                    }
                )
        table = pd.DataFrame(rows).set_index("indicator")
        return self._importance_inference(table, target, list(table["construct"]))

    def _importance_inference(
        self, table: pd.DataFrame, target: str, constructs: list[str] | None
    ) -> pd.DataFrame:
        """Add the bootstrap SE and percentile interval of the IPMA importance."""
        boot = self.bootstrap
        if boot is None:
            return table

        draws = boot.draws
        if constructs is None:
            cols = [("importance", f"{c} -> {target}") for c in table.index]
            d = draws.loc[:, cols].to_numpy(np.float64)
        else:
            imp = [("importance", f"{c} -> {target}") for c in constructs]
            shares = [("index_weight", str(i)) for i in table.index]
            d = draws.loc[:, imp].to_numpy(np.float64) * draws.loc[:, shares].to_numpy(np.float64)
        with np.errstate(invalid="ignore"):
            se = np.nanstd(d, axis=0, ddof=1) if len(d) > 1 else np.full(d.shape[1], np.nan)
        lo, hi = percentile_interval(d, boot.level) if len(d) else (se, se)
        if len(d) < min_resamples_for_interval(boot.level):  # the fit already warned
            lo = hi = np.full(d.shape[1], np.nan)
        return table.assign(std_error=se, ci_lower=lo, ci_upper=hi)

    def plot(
        self,
        kind: Literal["paths", "indices", "ipma"] | None = None,
        *,
        ax: Any = None,
        language: Literal["en", "zh"] = "en",
        labels: Literal["code", "label"] = "code",
        target: str | None = None,
    ) -> Any:
        """Path diagram (default), 0–100 indices with intervals, or the IPMA map.

        See :func:`csimodels.reports.charts.pls_chart`; returns the matplotlib Axes.

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import csimodels as csi
        >>> data = csi.datasets.load_example("acsi_demo")
        >>> res = csi.ACSI(indicators=data.constructs).fit(data)
        >>> res.plot().get_title()
        'Structural model · ACSI'
        """
        from csimodels.reports.charts import pls_chart

        return pls_chart(self, kind, ax=ax, language=language, labels=labels, target=target)

    def what_if(
        self,
        changes: dict[str, float],
        *,
        target: str | None = None,
        level: float | None = None,
    ) -> WhatIfResult:
        """Predicted change of ``target`` when constructs or indicators move.

        ``changes`` maps constructs (or indicators) to a change in points of their
        0–100 score; the effects are the IPMA importances (:meth:`ipma`), the interval
        comes from the bootstrap draws when the fit has them, and changes are capped
        at the scale. See :func:`csimodels.planning.what_if`.

        Examples
        --------
        >>> import csimodels as csi
        >>> data = csi.datasets.load_example("acsi_demo")
        >>> res = csi.ACSI(indicators=data.constructs).fit(data)
        >>> round(res.what_if({"Quality": 3}).change, 4)
        1.4488
        """
        from csimodels.planning.what_if import what_if

        return what_if(self, changes, target=target, level=level)


#: Removed in 0.2: ``fit(data, by=...)`` returns the generic
#: :class:`~csimodels.results.SegmentedResult` (``results`` became ``segments``, the
#: status table ``segments`` became ``status``; ``indices``/``paths``/``r2`` are in
#: ``overview`` and still reachable as attributes). Kept as an alias for isinstance.
SegmentedPLSResult = SegmentedResult


def _plot_segments(
    result: SegmentedResult, kind: str | None, ax: Any, language: str, labels: str
) -> Any:
    """Indices by segment (``"bar"``, ``"radar"``, ``"ranking"``), for SegmentedResult."""
    from csimodels.reports.charts import segmented_index_chart

    return segmented_index_chart(result, kind, ax=ax, language=language, labels=labels)


SEGMENT_PLOTS["PLSResult"] = _plot_segments


Conditions = list[tuple[str, type[Warning]]]


@dataclass(frozen=True)
class BootstrapRequest:
    """Bootstrap settings passed from ``fit`` (validated there)."""

    n_resamples: int = 0
    random_state: int | None = None
    level: float = 0.95
    sign_change: str = "none"
    resamples: NDArray[np.int64] | None = None
    chunk_size: int = 500
    n_jobs: int | None = None
    memory_budget: int | None = None


def fit_pls(
    model: PathModelBase,
    spec: ModelSpec,
    data: SurveyData,
    boot: BootstrapRequest | None = None,
) -> PLSResult:
    """Fit ``spec`` to ``data`` with ``model``'s settings (see ``PathModelBase.fit``).

    Conditions found while fitting are issued as warnings and kept as result notes.
    """
    result, conditions = _fit_collect(model, spec, data, boot)
    _emit(conditions)
    return result


def _emit(conditions: Conditions) -> None:
    for message, category in conditions:
        warnings.warn(message, category, stacklevel=4)


def _fit_collect(
    model: PathModelBase,
    spec: ModelSpec,
    data: SurveyData,
    boot: BootstrapRequest | None = None,
) -> tuple[PLSResult, Conditions]:
    conditions: Conditions = []
    model_name = type(model).__name__
    matrix = data.item_matrix(list(spec.indicators), missing=model.missing)
    design.check_estimable(spec, matrix, model_name)
    blocks = design.blocks(spec)
    structure = design.structure(spec)
    modes = ["A" if c.mode == "reflective" else "B" for c in spec.constructs]
    est = estimate_pls(
        matrix.values,
        blocks,
        modes,
        structure,
        scheme=model.scheme,
        case_weights=matrix.weights,
        tol=model.tol,
        max_iter=model.max_iter,
        consistent=model.consistent,
    )
    if est.singular:
        raise EstimationError(
            f"{model_name}: the model cannot be estimated on these data: a correlation matrix "
            "the algorithm must invert is singular (perfectly collinear constructs or "
            "indicators); check for duplicated items or constructs measured by the same items"
        )
    if not est.converged:
        conditions.append(
            (
                f"PLS did not converge in {est.iterations} iterations: the sum of absolute "
                f"outer-weight changes was {est.final_change:.3g} at the last iteration "
                f"(tolerance {model.tol:g}); raise max_iter or check the model",
                ConvergenceWarning,
            )
        )
    if est.inadmissible:
        conditions.append(
            (
                "PLSc gave an inadmissible solution (a reliability outside (0, 1] or a "
                "disattenuated construct correlation beyond ±1); treat the consistent "
                "estimates with caution",
                DataQualityWarning,
            )
        )
    result = _build_result(model, spec, data, matrix, est, blocks, structure, modes, conditions)
    if boot is not None and (boot.n_resamples != 0 or boot.resamples is not None):
        result = _add_bootstrap(
            model, spec, data, result, matrix, blocks, structure, modes, boot, conditions
        )
    return result, conditions


def _add_bootstrap(
    model: PathModelBase,
    spec: ModelSpec,
    data: SurveyData,
    result: PLSResult,
    matrix: ItemMatrix,
    blocks: list[NDArray[np.int64]],
    structure: NDArray[np.bool_],
    modes: list[str],
    boot: BootstrapRequest,
    conditions: Conditions,
) -> PLSResult:
    n = matrix.values.shape[0]
    explicit = check_bootstrap_arguments(
        boot.n_resamples, n, boot.resamples, boot.chunk_size, boot.sign_change
    )
    check_level(boot.level)
    n_resamples = explicit.shape[0] if explicit is not None else boot.n_resamples
    lower, upper = design.indicator_scales(spec, data, type(model).__name__)
    layout = design.statistic_layout(spec, lower, upper)
    pls_settings = design.engine_settings(model)
    draws = run_bootstrap(
        matrix.values,
        matrix.weights,
        layout,
        pls_settings,
        n_resamples=n_resamples,
        random_state=boot.random_state,
        resamples=explicit,
        chunk_size=boot.chunk_size,
        n_jobs=boot.n_jobs,
        sign_change=boot.sign_change,
        memory_budget=boot.memory_budget,
    )
    failed = sum(draws.n_failed.values())
    if failed:
        reasons = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in draws.n_failed.items() if v)
        conditions.append(
            (
                f"{failed} of {n_resamples} bootstrap resamples failed and were excluded "
                f"({reasons}); inference uses the {n_resamples - failed} others",
                ConvergenceWarning,
            )
        )
    if failed == n_resamples:
        raise EstimationError(
            f"all {n_resamples} bootstrap resamples failed ({draws.n_failed}); the model is "
            "too fragile for these data"
        )
    summary = summarise(
        draws,
        layout,
        level=boot.level,
        n_resamples=n_resamples,
        settings={
            "random_state": boot.random_state,
            "sign_change": boot.sign_change,
            "chunk_size": boot.chunk_size,
            "explicit_resamples": explicit is not None,
            "t_distribution_df": int(draws.draws.shape[0] - 1),
            "jackknife": "leave-one-out" if n <= 500 else "delete-a-group, 500 groups",
        },
    )
    paths, indices, r2 = attach_bootstrap(summary, result.paths, result.indices, result.r2)
    settings = {
        **result.settings,
        "bootstrap": n_resamples,
        "random_state": boot.random_state,
        "level": boot.level,
        "inference": f"bootstrap ({n_resamples} resamples of respondents; standard deviation "
        f"of the draws, {boot.level:.0%} percentile intervals, t with {n_resamples - 1} df)",
    }
    return result.model_copy(
        update={
            "paths": paths,
            "indices": indices,
            "r2": r2,
            "bootstrap": summary,
            "settings": settings,
            "notes": tuple(m for m, _ in conditions) + summary.notes,
        }
    )


def attach_bootstrap(
    summary: PLSBootstrap, paths: pd.DataFrame, indices: pd.DataFrame, r2: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The paths, indices and R² tables with their bootstrap columns joined.

    Paths get ``std_error``, ``t``, ``p_value`` and the interval; a 0–100 index or an
    R² tested against zero means nothing, so they get the error and the interval only.
    """
    table = summary.table

    def attach(frame: pd.DataFrame, kind: str, keys: list[str], columns: list[str]) -> pd.DataFrame:
        extra = table.loc[kind].loc[keys, columns]
        extra.index = frame.index
        return frame.join(extra)

    tests = ["std_error", "t", "p_value", "ci_lower", "ci_upper"]
    interval = ["std_error", "ci_lower", "ci_upper"]
    return (
        attach(paths, "path", [f"{a} -> {b}" for a, b in paths.index], tests),
        attach(indices, "index", list(indices.index), interval),
        attach(r2, "r2", list(r2.index), interval),
    )


def _build_result(
    model: PathModelBase,
    spec: ModelSpec,
    data: SurveyData,
    matrix: ItemMatrix,
    est: PLSEstimate,
    blocks: list[NDArray[np.int64]],
    structure: NDArray[np.bool_],
    modes: list[str],
    conditions: Conditions,
) -> PLSResult:
    names = list(spec.construct_names)
    items = list(spec.indicators)
    k = len(names)
    model_name = type(model).__name__
    lower, upper = design.indicator_scales(spec, data, model_name)
    x = matrix.values
    w = matrix.weights
    r_items = est.indicator_correlations

    rel = assess.reliability(r_items, est.outer_weights, est.loadings, blocks, modes)
    ave = rel[:, 3]
    total: FloatArray = np.asarray(assess.total_effects(est.paths), dtype=np.float64)
    f2 = assess.f_squared(
        r_items,
        blocks,
        modes,
        structure,
        est.r2,
        scheme=model.scheme,
        tol=model.tol,
        max_iter=model.max_iter,
        consistent=model.consistent,
    )
    inner_vif = assess.inner_vif(est.score_correlations, structure)
    srmr = assess.srmr(r_items, est.loadings, est.construct_correlations, blocks, modes)

    construct_of = [c.name for c in spec.constructs for _ in c.indicators]
    v = index_weights(est.outer_weights, est.indicator_sds, blocks)
    if np.any(v < 0):
        bad = [items[j] for j in np.flatnonzero(v < 0)]
        conditions.append(
            (
                f"negative index weights for {format_offenders(bad)}: the 0–100 index of their "
                "construct is not a convex combination of its items",
                DataQualityWarning,
            )
        )
    per_respondent = respondent_indices(x, v, lower, upper, blocks)
    if w is None:
        mean_index = per_respondent.mean(axis=0)
    else:
        mean_index = np.average(per_respondent, axis=0, weights=w)

    outer = pd.DataFrame(
        {
            "mode": [spec.get_construct(c).mode for c in construct_of],
            "weight": est.outer_weights,
            "loading": est.loadings,
            "index_weight": v,
            "vif": assess.outer_vif(r_items, blocks),
            "mean": est.indicator_means,
            "sd": est.indicator_sds,
            "scale_min": lower,
            "scale_max": upper,
        },
        index=pd.MultiIndex.from_arrays([construct_of, items], names=["construct", "indicator"]),
    )
    cross = pd.DataFrame(est.cross_loadings, index=pd.Index(items, name="indicator"), columns=names)

    pos = {n: i for i, n in enumerate(names)}
    path_rows = [
        {
            "from": a,
            "to": b,
            "estimate": est.paths[pos[a], pos[b]],
            "f2": f2[pos[a], pos[b]],
            "vif": inner_vif[pos[a], pos[b]],
        }
        for a, b in spec.paths
    ]
    paths = pd.DataFrame(path_rows).set_index(["from", "to"])

    reach = np.asarray(assess.total_effects(structure.astype(np.float64))) != 0
    effect_rows = [
        {
            "from": names[i],
            "to": names[j],
            "direct": est.paths[i, j],
            "indirect": total[i, j] - est.paths[i, j],
            "total": total[i, j],
        }
        for i in range(k)
        for j in range(k)
        if i != j and reach[i, j]
    ]
    effects = pd.DataFrame(effect_rows, columns=["from", "to", "direct", "indirect", "total"])
    effects = effects.set_index(["from", "to"])

    endo = [n for n in names if structure[:, pos[n]].any()]
    r2_adjusted = assess.adjusted_r2(est.r2, structure, int(x.shape[0]))
    r2 = pd.DataFrame(
        {
            "r2": [est.r2[pos[n]] for n in endo],
            "r2_adjusted": [r2_adjusted[pos[n]] for n in endo],
        },
        index=pd.Index(endo, name="construct"),
    )
    reliability = pd.DataFrame(
        rel,
        columns=pd.Index(["alpha", "rho_a", "rho_c", "ave"]),
        index=pd.Index(names, name="construct"),
    )

    def square(values: FloatArray) -> pd.DataFrame:
        return pd.DataFrame(values, index=pd.Index(names), columns=pd.Index(names))

    htmt = square(assess.htmt(r_items, blocks))
    fl = assess.fornell_larcker(est.construct_correlations, ave)
    labels = {c.name: c.label or c.name for c in spec.constructs}
    rows = pd.Index(matrix.rows)
    scores = pd.DataFrame(est.scores, index=rows, columns=pd.Index(names))
    indices = pd.DataFrame(
        {"index": mean_index, "label": [labels[n] for n in names]},
        index=pd.Index(names, name="construct"),
    )
    settings = {
        "model": model_name,
        "method": "pls",
        "scheme": model.scheme,
        "consistent": model.consistent,
        "tol": model.tol,
        "max_iter": model.max_iter,
        "missing": model.missing,
        "weight": data.weight,
        "n_used": int(x.shape[0]),
        "inference": "none (pass bootstrap= for standard errors and intervals)",
        "random_state": None,
        "final_change": est.final_change,
        "index": "ACSI: unstandardised outer weights normalised to sum to one, "
        "declared scale bounds",
    }
    return PLSResult(
        spec=spec,
        construct_labels=labels,
        outer=outer,
        cross_loadings=cross,
        paths=paths,
        effects=effects,
        r2=r2,
        reliability=reliability,
        htmt=htmt,
        fornell_larcker=square(fl),
        construct_correlations=square(est.construct_correlations),
        scores=scores,
        indices=indices,
        respondent_indices=pd.DataFrame(per_respondent, index=rows, columns=pd.Index(names)),
        srmr=srmr,
        iterations=est.iterations,
        converged=est.converged,
        missing=matrix.report,
        settings=settings,
        notes=tuple(message for message, _ in conditions),
    )


def fit_pls_by_segment(
    model: PathModelBase,
    spec: ModelSpec,
    data: SurveyData,
    *,
    by: str | Sequence[str],
    min_segment_size: int | None = None,
    boot: BootstrapRequest | None = None,
    details: bool = True,
    on_error: Literal["skip", "raise"] = "skip",
) -> SegmentedResult:
    """Fit one model per segment of ``by`` (see ``PathModelBase.fit``).

    The overview tables (indices, paths, R² side by side) come from one batched run
    of the engine over every segment's (weighted) correlation matrix, so thousands of
    segments cost about as much as one bootstrap; with ``details=True`` each segment
    also gets its full :class:`PLSResult` (run through joblib when ``boot.n_jobs`` is
    set), and the pooled fit on all respondents is kept as ``pooled``.
    """
    owner = f"{type(model).__name__}.fit"
    minimum = (
        design.default_min_segment_size(spec) if min_segment_size is None else min_segment_size
    )
    settings = {
        "model": type(model).__name__,
        "method": "pls",
        "scheme": model.scheme,
        "consistent": model.consistent,
        "details": details,
    }

    def overview(parts: list[tuple[str, SurveyData]]) -> dict[str, pd.DataFrame]:
        indices, paths, r2, found = _segment_tables(model, spec, parts)
        if not details:  # with details, each segment's own fit reports its conditions
            for message, category in found:
                warn_and_note(batch_notes, message, category)
        return {"indices": indices, "paths": paths, "r2": r2}

    batch_notes: list[str] = []
    if details:
        n_jobs = 1 if boot is None or boot.n_jobs is None else boot.n_jobs
        result = fit_by(
            data,
            by,
            lambda part: fit_pls(model, spec, part, boot),
            owner=owner,
            min_segment_size=minimum,
            on_error=on_error,
            n_jobs=n_jobs,
            pooled=fit_pls(model, spec, data, boot),
            overview=overview,
            settings=settings,
        )
        return result
    columns, rows, to_fit, notes = plan_segments(data, by, owner=owner, min_segment_size=minimum)
    if not to_fit:
        raise DataValidationError(
            f"{owner}: no segment of {' × '.join(columns)} has at least {minimum} "
            "respondents; lower min_segment_size or use a coarser segment"
        )
    tables = overview(to_fit)
    return SegmentedResult(
        by=columns,
        segments={},
        status=status_table(rows),
        overview=tables,
        settings={**settings, "by": list(columns), "min_segment_size": minimum},
        notes=tuple(notes + batch_notes),
    )


def _segment_tables(
    model: PathModelBase,
    spec: ModelSpec,
    parts: list[tuple[str, SurveyData]],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, Conditions]:
    """Indices, paths and R² of every segment from one batched engine run."""
    items = list(spec.indicators)
    names = list(spec.construct_names)
    blocks = design.blocks(spec)
    structure = design.structure(spec)
    modes = ["A" if c.mode == "reflective" else "B" for c in spec.constructs]
    lower, upper = design.indicator_scales(spec, parts[0][1], type(model).__name__)
    p = len(items)
    means = np.empty((len(parts), p))
    sds = np.empty((len(parts), p))
    r = np.empty((len(parts), p, p))
    for s, (_, part) in enumerate(parts):
        matrix = part.item_matrix(items, missing=model.missing)
        design.check_estimable(spec, matrix, f"{type(model).__name__} (segment {parts[s][0]!r})")
        m, sd, corr = batch_correlations(
            matrix.values, None if matrix.weights is None else matrix.weights[None, :]
        )
        means[s], sds[s], r[s] = m[0], sd[0], corr[0]
    fit = estimate_pls_moments(
        r,
        blocks,
        modes,
        structure,
        scheme=model.scheme,
        tol=model.tol,
        max_iter=model.max_iter,
        consistent=model.consistent,
    )
    conditions: Conditions = []
    for s, (label, _) in enumerate(parts):
        if not fit.converged[s]:
            conditions.append(
                (
                    f"segment {label!r}: PLS did not converge in {fit.iterations[s]} "
                    f"iterations (last change {fit.final_change[s]:.3g}, tolerance {model.tol:g})",
                    ConvergenceWarning,
                )
            )
        if fit.singular[s]:
            raise EstimationError(
                f"segment {label!r}: the model cannot be estimated (a singular "
                "correlation matrix); drop the segment or merge it with a neighbour"
            )
    layout = design.statistic_layout(spec, lower, upper)
    labels = [str(label) for label, _ in parts]
    indices = pd.DataFrame(
        batched_index(fit.outer_weights, means, sds, layout),
        index=pd.Index(labels, name="segment"),
        columns=pd.Index(names, name="construct"),
    )
    pos = {c: i for i, c in enumerate(names)}
    src = [pos[a] for a, _ in spec.paths]
    dst = [pos[b] for _, b in spec.paths]
    paths = pd.DataFrame(
        fit.paths[:, src, dst].T,
        index=pd.MultiIndex.from_tuples(list(spec.paths), names=["from", "to"]),
        columns=pd.Index(labels, name="segment"),
    )
    endo = [j for j in range(len(names)) if structure[:, j].any()]
    r2 = pd.DataFrame(
        fit.r2[:, endo].T,
        index=pd.Index([names[j] for j in endo], name="construct"),
        columns=pd.Index(labels, name="segment"),
    )
    return indices, paths, r2, conditions
