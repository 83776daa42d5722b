"""CB-SEM result assembly: fit tables (lavaan names), the parameter table and its
views, per-group matrices, diagnostics, factor scores and 0–100 indices, bootstrap
statistics."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from csimodels._lazy import lazy_module
from csimodels.errors import DataQualityWarning, format_offenders
from csimodels.inference import Bootstrap, resolve_random_state
from csimodels.results import MissingDataReport
from csimodels.sem import _cbsem_fit as fitm
from csimodels.sem import _cbsem_robust as robust
from csimodels.sem._cbsem_compare import modification_indices
from csimodels.sem._cbsem_diagnostics import diagnose
from csimodels.sem._cbsem_estimate import Estimation
from csimodels.sem._cbsem_moments import SampleMoments
from csimodels.sem._cbsem_options import ROBUST_ORDINAL_ESTIMATORS
from csimodels.sem._cbsem_result import CBSEMResult
from csimodels.sem._cbsem_tables import group_matrices, parameter_frame
from csimodels.sem.index import index_weights, respondent_indices
from csimodels.sem.spec import ModelSpec

__all__ = ["LEGACY_COLUMNS", "build_result"]

stats = lazy_module("scipy.stats")

FloatArray = NDArray[np.float64]
Conditions = list[tuple[str, type[Warning]]]


LEGACY_COLUMNS = ["free", "estimate", "std_error", "z", "p_value", "std_estimate"]


def build_result(
    est: Estimation,
    *,
    syntax: str,
    spec: ModelSpec | None,
    x: FloatArray | SampleMoments,
    columns: list[str],
    rows: pd.Index,
    report: MissingDataReport,
    weights: FloatArray | None,
    scales: tuple[FloatArray, FloatArray] | None,
    weight_name: str | None,
    model_name: str,
    group_labels: list[str],
    group: str | None,
    group_equal: tuple[str, ...],
    std_lv: bool,
    level: float,
    conditions: Conditions,
    boot: Bootstrap | None = None,
) -> CBSEMResult:
    table = est.table
    estimator = est.estimator
    multi = table.n_groups > 1
    measures, resid = fitm.global_fit(est)
    names_fit = list(fitm.FIT_MEASURES)
    if est.ordinal is not None:
        measures.update(
            robust.ordinal_robust_measures(
                est.frames,
                est.theta,
                chi2=measures["chi2"],
                df=est.df,
                base_chi2=measures["baseline_chi2"],
                base_df=int(measures["baseline_df"]),
                n=est.n,
                robust=estimator in ROBUST_ORDINAL_ESTIMATORS and not est.singular_info,
            )
        )
        names_fit += list(robust.ORDINAL_FIT_MEASURES)
    if estimator == "MLR":
        measures.update(robust.mlr_measures(est, measures))
        names_fit += list(robust.MLR_FIT_MEASURES)
    robust_fiml = estimator == "FIML" and est.se_type == "robust.huber.white"
    if robust_fiml:
        from csimodels.sem._cbsem_fiml_robust import fiml_mlr_measures

        measures.update(fiml_mlr_measures(est, measures))
        names_fit += list(robust.MLR_FIT_MEASURES)
    fit_table = pd.DataFrame(
        {"value": [measures[k] for k in names_fit]},
        index=pd.Index(names_fit, name="measure"),
    )
    lavaan_keys = [*names_fit, "unrestricted_loglik"]
    fit_measures = pd.DataFrame(
        {"value": [measures[k] for k in lavaan_keys]},
        index=pd.Index([fitm.LAVAAN_NAMES.get(k, k) for k in lavaan_keys], name="measure"),
    )
    params = parameter_frame(est, group_labels, level=level)
    boot_settings: dict[str, Any] = {}
    if boot is not None:
        params, boot_settings = _apply_bootstrap(est, params, boot, conditions)
    body = params[params["op"] != ":="]
    keys = ["group", "lhs", "op", "rhs"] if multi else ["lhs", "op", "rhs"]
    estimates = body.set_index(keys)[LEGACY_COLUMNS]
    if (params["op"] == ":=").any():
        defined = params[params["op"] == ":="].set_index(["lhs", "op", "rhs"])[LEGACY_COLUMNS]
        if multi:
            defined.index = pd.MultiIndex.from_tuples([(0, *k) for k in defined.index], names=keys)
        estimates = pd.concat([estimates, defined])
    construct_order = list(spec.construct_names) if spec is not None else list(table.latent)

    load = body[body["op"] == "=~"]
    path = body[body["op"] == "~"]
    if multi:
        load_rows = load.set_index(["group", "lhs", "rhs"])[LEGACY_COLUMNS]
        load_rows.index.names = ["group", "construct", "indicator"]
        path_rows = path.set_index(["group", "rhs", "lhs"])[LEGACY_COLUMNS]
        path_rows.index.names = ["group", "from", "to"]
    else:
        load_rows = load.set_index(["lhs", "rhs"])[LEGACY_COLUMNS]
        load_rows.index.names = ["construct", "indicator"]
        path_rows = path.set_index(["rhs", "lhs"])[LEGACY_COLUMNS]
        path_rows.index.names = ["from", "to"]
        if spec is not None:
            path_rows = path_rows.reindex(
                pd.MultiIndex.from_tuples(spec.paths, names=["from", "to"])
            )
            order = [(c.name, i) for c in spec.constructs for i in c.indicators]
            load_rows = load_rows.reindex(
                pd.MultiIndex.from_tuples(order, names=["construct", "indicator"])
            )
    latent = list(table.latent)
    observed = list(table.observed)
    pos = est.ram.position
    lat_idx = [pos[v] for v in latent]
    obs_idx = [pos[v] for v in observed]
    r2_parts, lat_covs, lat_cors, sigmas, resids = [], [], [], [], []
    endogenous = {r.lhs for r in table.rows if r.op == "~"}
    for g in range(table.n_groups):
        s_mat, c_mat, _ = group_matrices(est, est.theta, g)
        r2_rows = []
        for v in [*latent, *observed]:
            if v in latent and v not in endogenous:
                continue
            k = pos[v]
            r2_rows.append(
                {
                    "variable": v,
                    "r2": 1 - s_mat[k, k] / c_mat[k, k] if c_mat[k, k] > 0 else np.nan,
                    "kind": "construct" if v in latent else "indicator",
                }
            )
        r2g = pd.DataFrame(r2_rows, columns=["variable", "r2", "kind"]).set_index("variable")
        r2_parts.append(r2g)
        lat_cov = c_mat[np.ix_(lat_idx, lat_idx)]
        sd = np.sqrt(np.clip(np.diag(lat_cov), 1e-300, None))
        lat_cor = lat_cov / np.outer(sd, sd)
        lat_covs.append(pd.DataFrame(lat_cov, index=latent, columns=latent))
        lat_cors.append(pd.DataFrame(lat_cor, index=latent, columns=latent))
        sigma = c_mat[np.ix_(obs_idx, obs_idx)]
        sigmas.append(pd.DataFrame(sigma, index=observed, columns=observed))
        resids.append(pd.DataFrame(resid[g], index=observed, columns=observed))
        prefix = f"group {group_labels[g]!r}: " if multi else ""
        sub = body[body["group"] == g + 1].set_index(["lhs", "op", "rhs"])
        found: Conditions = []
        keep = [k for k in range(est.q) if k not in _dependent_positions(est)]
        diagnose(
            found,
            estimates=sub,
            latent_names=latent,
            lat_cov=lat_cov,
            lat_cor=lat_cor,
            sigma=sigma,
            observed_names=observed,
            vcov=_diagnostic_vcov(est)[np.ix_(keep, keep)],
            free_names=[est.names[k] for k in keep],
            singular_info=est.singular_info,
        )
        for message, category in found:
            entry = (prefix + message, category)
            if g == 0 or not (
                message.startswith("the information matrix") or "nearly flat" in message
            ):
                conditions.append(entry)

    def stack(parts: list[pd.DataFrame]) -> pd.DataFrame:
        if not multi:
            return parts[0]
        return pd.concat(parts, keys=list(range(1, len(parts) + 1)), names=["group"])

    r2 = stack(r2_parts)
    threshold_table = pd.DataFrame()
    polychoric = pd.DataFrame()
    if est.ordinal is not None:
        th_parts, cor_parts = [], []
        for g, frame in enumerate(est.frames, start=1):
            th = params[(params["op"] == "|") & (params["group"] == g)]
            is_th = ~np.asarray(frame.th_is_mean, dtype=bool)
            th_parts.append(
                pd.DataFrame(
                    {
                        "item": th["lhs"].to_numpy(),
                        "threshold": th["rhs"].to_numpy(),
                        "sample": np.asarray(frame.sample_th, dtype=np.float64)[is_th],
                        "estimate": th["estimate"].to_numpy(),
                        "std_error": th["std_error"].to_numpy(),
                    }
                ).set_index(["item", "threshold"])
            )
            om = frame.ordinal
            assert om is not None
            item_pos = [om.items.index(v) for v in observed]
            cor_parts.append(
                pd.DataFrame(
                    om.correlation[np.ix_(item_pos, item_pos)], index=observed, columns=observed
                )
            )
        threshold_table = stack(th_parts)
        polychoric = stack(cor_parts)
    labels = (
        {c.name: c.label or c.name for c in spec.constructs}
        if spec is not None
        else {v: v for v in latent}
    )
    scores, indices, resp_idx = _scores_and_indices(
        est,
        spec=spec,
        x=x,
        columns=columns,
        rows=rows,
        weights=weights,
        scales=scales,
        construct_order=construct_order,
        labels=labels,
        load_rows=load_rows,
        conditions=conditions,
    )
    settings: dict[str, Any] = {
        "model": model_name,
        "method": "cbsem",
        "estimator": "MLR" if robust_fiml else estimator,
        "engine": "csimodels RAM model algebra, Fisher scoring (lavaan 0.6 conventions)",
        "solver": est.solver,
        "gtol": 1e-9,
        "start": "composite-based (first principal component per construct)",
        "missing": "fiml" if estimator == "FIML" else "listwise",
        "weight": weight_name,
        "n": est.n,
        "n_used": est.n,
        "index": "own-indicator factor-score (regression-method) weights on the answers, "
        "normalised to sum to one; declared scale bounds",
        "information": "observed" if estimator in ("FIML", "MLR") else "expected",
        "ordinal": est.ordinal is not None,
        "se": est.se_type,
        "test": "yuan.bentler.mplus"
        if robust_fiml
        else {
            "WLSMV": "scaled.shifted",
            "ULSMV": "scaled.shifted",
            "MLR": "yuan.bentler.mplus",
        }.get(estimator, "standard"),
        "inference": est.se_type,
        "level": level,
        "std_lv": std_lv,
        "meanstructure": table.meanstructure,
        "group": group,
        "group_equal": list(group_equal),
        "n_groups": table.n_groups,
        "n_equality_constraints": table.n_equalities,
    }
    if table.inequalities:
        from csimodels.sem._cbsem_constraints import constraint_report

        settings["inequality_constraints"] = constraint_report(est)
    settings.update(boot_settings)
    mod_indices = pd.DataFrame()
    if estimator in ("ML", "MLR") and not est.singular_info:
        mod_indices = modification_indices(est, group_labels)
    if multi:
        settings["group_sizes"] = {
            lab: fr.n for lab, fr in zip(group_labels, est.frames, strict=True)
        }
    if est.ordinal is not None and est.ordinal.n_numeric:
        settings["ordered"] = [
            v for v, num in zip(est.ordinal.items, est.ordinal.is_numeric, strict=True) if not num
        ]
    if est.ordinal is not None:
        settings["moments"] = (
            "thresholds and polychoric correlations (two-step; Muthén 1984 asymptotic "
            "covariance), delta parameterisation"
            + (
                "; continuous items: means, variances, Pearson and polyserial correlations"
                if est.ordinal.n_numeric
                else ""
            )
        )
        settings["empty_cell_correction"] = (
            "2x2 tables with one empty cell: 0.5 added keeping the margins (lavaan's "
            "zero.add); larger tables: none"
        )
    return CBSEMResult(
        spec=spec,
        syntax=syntax,
        aliases={},
        construct_labels=labels,
        estimates=estimates,
        paths=path_rows,
        loadings=load_rows,
        r2=r2,
        fit=fit_table,
        latent_covariances=stack(lat_covs),
        latent_correlations=stack(lat_cors),
        implied_covariance=stack(sigmas),
        residuals=stack(resids),
        scores=scores,
        indices=indices,
        respondent_indices=resp_idx,
        iterations=est.iterations,
        converged=est.converged,
        max_gradient=est.max_gradient,
        missing=report,
        settings=settings,
        notes=tuple(m for m, _ in conditions),
        thresholds=threshold_table,
        polychoric=polychoric,
        parameters=params,
        fit_measures=fit_measures,
        group_labels=group_labels,
        modification_indices=mod_indices,
    )


def _apply_bootstrap(
    est: Estimation, params: pd.DataFrame, boot: Bootstrap, conditions: Conditions
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Bootstrap SEs and intervals on every row of the parameter table."""
    from csimodels.errors import ConvergenceWarning, ResamplingWarning
    from csimodels.inference import resample_count_condition
    from csimodels.sem import _cbsem_bootstrap as cbb

    seed = resolve_random_state(boot.random_state, owner="CBSEM.fit")
    draws, n_failed, iterations = cbb.run(
        est, n_draws=boot.n, seed=seed, chunk_size=boot.chunk_size, n_jobs=boot.n_jobs
    )
    jack, jack_groups = cbb.jackknife(est) if boot.method == "bca" else (None, None)
    enough, message = resample_count_condition(boot.n - n_failed, boot.level, owner="CBSEM.fit")
    if message is not None:
        conditions.append((message, ResamplingWarning))
    k = len(params)
    point = cbb.statistics(est, est.theta)
    out = params.copy()
    zq = float(stats.norm.ppf(0.5 + boot.level / 2))
    del zq
    se, lo, hi, sse = (np.full(k, np.nan) for _ in range(4))
    for j in range(k):
        if not bool(out["free"].iloc[j]):
            continue
        se[j] = cbb.sd(draws[:, j])
        if not enough:  # too few draws for the tails: NaN limits (noted)
            sse[j] = cbb.sd(draws[:, k + j])
            continue
        lo[j], hi[j] = cbb.interval(
            draws[:, j],
            float(point[j]),
            boot.level,
            boot.method,
            None if jack is None else jack[:, j],
            jack_groups,
        )
        sse[j] = cbb.sd(draws[:, k + j])
    out["std_error"] = se
    with np.errstate(all="ignore"):
        z = out["estimate"].to_numpy(dtype=float) / se
    out["z"] = z
    out["p_value"] = np.where(np.isfinite(z), 2 * stats.norm.sf(np.abs(z)), np.nan)
    out["ci_lower"] = lo
    out["ci_upper"] = hi
    out["std_std_error"] = np.where(out["free"].to_numpy(dtype=bool), sse, out["std_std_error"])
    if n_failed:
        conditions.append(
            (
                f"{n_failed} of {boot.n} bootstrap draws did not converge"
                + (" or lost an answer category" if est.ordinal is not None else "")
                + " and were left out (as lavaan does); the bootstrap statistics use the "
                "others",
                ConvergenceWarning,
            )
        )
    settings = {
        "inference": "bootstrap",
        "se": "bootstrap",
        "bootstrap": boot.n,
        "bootstrap_method": boot.method,
        "level": boot.level,
        "random_state": seed,
        "n_failed": n_failed,
        "bootstrap_iterations": iterations,
    }
    return out, settings


def _diagnostic_vcov(est: Estimation) -> FloatArray:
    """The covariance the flat-likelihood check reads: with binding inequality
    constraints that of the unconstrained information (the constrained one is singular
    by construction along the constraints)."""
    if est.active_jacobian is None:
        return est.vcov
    try:
        return np.asarray(np.linalg.inv(est.information) / est.n_eff, dtype=np.float64)
    except np.linalg.LinAlgError:
        return est.vcov


def _dependent_positions(est: Estimation) -> set[int]:
    from csimodels.sem._cbsem_tables import _pinned_positions

    pinned = _pinned_positions(est)
    if est.ordinal is None:
        return pinned
    from csimodels.sem._cbsem_estimate import dependent_variances

    dep = dependent_variances(est.table, est.frames[0])
    return pinned | {
        r.free - 1
        for r in est.table.rows
        if r.free and r.op == "~~" and r.lhs == r.rhs and r.lhs in dep
    }


def _scores_and_indices(
    est: Estimation,
    *,
    spec: ModelSpec | None,
    x: FloatArray | SampleMoments,
    columns: list[str],
    rows: pd.Index,
    weights: FloatArray | None,
    scales: tuple[FloatArray, FloatArray] | None,
    construct_order: list[str],
    labels: dict[str, str],
    load_rows: pd.DataFrame,
    conditions: Conditions,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Factor scores (regression method) and the 0–100 indices of a single-group fit."""
    scores = pd.DataFrame(index=rows, columns=pd.Index(construct_order), dtype=float)
    indices = pd.DataFrame(
        {"index": pd.Series(dtype=float), "label": pd.Series(dtype=object)},
        index=pd.Index([], name="construct"),
    )
    resp_idx = pd.DataFrame(index=rows, columns=pd.Index(construct_order), dtype=float)
    load_rows["index_weight"] = np.nan
    if est.table.n_groups > 1 or not est.table.latent:
        return scores, indices, resp_idx
    estimator = est.estimator
    frame = est.frames[0]
    table = est.table
    pos = est.ram.position
    latent = list(table.latent)
    observed = list(table.observed)
    _, c_mat, mu_all = group_matrices(est, est.theta, 0)
    obs_idx = [pos[v] for v in observed]
    lat_idx = [pos[v] for v in latent]
    sigma = c_mat[np.ix_(obs_idx, obs_idx)]
    if not bool(np.linalg.eigvalsh(sigma)[0] > 0):
        return scores, indices, resp_idx
    obs_pos = {v: i for i, v in enumerate(observed)}
    wfs = c_mat[np.ix_(lat_idx, obs_idx)] @ np.linalg.inv(sigma)  # latent x observed
    if isinstance(x, SampleMoments):  # out of core: no rows, so no factor scores
        xo = np.empty((0, len(observed)))
    else:
        xo = x[:, [columns.index(c) for c in observed]]
    if estimator != "FIML" and est.ordinal is None:
        sc = (xo - frame.mean) @ wfs.T
        scores = pd.DataFrame(sc, index=rows, columns=pd.Index(latent))[construct_order]
    if spec is None:
        return scores, indices, resp_idx
    blocks = []
    start = 0
    for c in spec.constructs:
        blocks.append(np.arange(start, start + len(c.indicators), dtype=np.int64))
        start += len(c.indicators)
    item_order = list(spec.indicators)
    item_pos = [obs_pos[i] for i in item_order]
    raw = np.empty(len(item_order))
    for j, c in enumerate(spec.constructs):
        lat_j = latent.index(c.name)
        raw[blocks[j]] = wfs[lat_j, [item_pos[b] for b in blocks[j]]]
    v = index_weights(raw, np.ones_like(raw), blocks)
    load_rows["index_weight"] = v
    bad = [item_order[j] for j in np.flatnonzero(v < 0)]
    if bad:
        conditions.append(
            (
                f"negative factor-score weights for {format_offenders(bad)}: the "
                "0–100 index of their construct is not a convex combination of its items",
                DataQualityWarning,
            )
        )
    if scales is None:
        conditions.append(
            (
                "0–100 indices not computed: the answer scales of the indicators are "
                "unknown; pass a SurveyData with scale=(min, max) (or "
                "SurveyData.from_frame(df, scale=...)) to get them",
                DataQualityWarning,
            )
        )
        return scores, indices, resp_idx
    lower, upper = scales
    lower = lower[[columns.index(i) for i in item_order]]
    upper = upper[[columns.index(i) for i in item_order]]
    if isinstance(x, SampleMoments):  # the index is linear: the index of the mean answers
        item_means = x.select([columns.index(i) for i in item_order]).mean
        mean_index = respondent_indices(item_means[None, :], v, lower, upper, blocks)[0]
        names = list(spec.construct_names)
        indices = pd.DataFrame(
            {"index": mean_index, "label": [labels[c] for c in names]},
            index=pd.Index(names, name="construct"),
        )
        return scores, indices, pd.DataFrame(index=rows, columns=pd.Index(names), dtype=float)
    xi = x[:, [columns.index(i) for i in item_order]]
    missing_any: NDArray[np.bool_] = np.asarray(np.isnan(xi).any(axis=1), dtype=bool)
    filled = np.where(np.isnan(xi), 0.0, xi)
    per = respondent_indices(filled, v, lower, upper, blocks)
    names = list(spec.construct_names)
    if estimator == "FIML":
        # the index is linear: the index of the FIML means is the mean index
        mu_items = mu_all[[pos[i] for i in item_order]]
        mean_index = respondent_indices(mu_items[None, :], v, lower, upper, blocks)[0]
        per[missing_any] = np.nan
    elif weights is None:
        mean_index = per.mean(axis=0)
    else:
        mean_index = np.average(per, axis=0, weights=weights)
    resp_idx = pd.DataFrame(per, index=rows, columns=pd.Index(names))
    indices = pd.DataFrame(
        {"index": mean_index, "label": [labels[c] for c in names]},
        index=pd.Index(names, name="construct"),
    )
    return scores, indices, resp_idx
