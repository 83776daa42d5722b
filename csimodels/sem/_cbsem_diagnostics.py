"""CB-SEM diagnostics: data the model cannot be fitted to (errors), identification, and
improper or fragile solutions (conditions returned as warnings for the public layer).

Every finding names the parameters, indicators or constructs involved.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from csimodels.errors import (
    ConvergenceWarning,
    DataQualityWarning,
    DataValidationError,
    SpecificationError,
    format_offenders,
)
from csimodels.sem import _cbsem_ordinal as ordm
from csimodels.sem._cbsem_moments import SampleMoments

FloatArray = NDArray[np.float64]
Conditions = list[tuple[str, type[Warning]]]

__all__ = ["check_identified", "check_moments", "diagnose", "ordinal_moments"]

#: Threshold on the smallest eigenvalue of the estimates' correlation matrix below
#: which the likelihood is reported as nearly flat (empirically under-identified).
FLAT_EIGENVALUE = 1e-3
#: Latent correlations beyond this are reported as near-collinear constructs.
LATENT_CORRELATION_LIMIT = 0.95


def check_moments(
    x: FloatArray | SampleMoments,
    columns: list[str],
    observed: list[str],
    estimator: str,
    q: int,
    ordinal: bool = False,
    group: str | None = None,
) -> None:
    """Refuse data the model cannot be fitted to, naming the indicators at fault."""
    n, p = x.shape
    where = "" if group is None else f"group {group!r}: "
    if n <= q:
        raise DataValidationError(
            f"{where}{n} respondents for {q} free parameters: covariance-based SEM needs more "
            "respondents than free parameters (and in practice many more); collect more "
            "data or simplify the model"
        )
    if estimator == "FIML" or ordinal:
        return
    if n <= p:
        raise DataValidationError(
            f"{where}{n} respondents for {p} indicators: the sample covariance matrix is "
            "singular; covariance-based SEM needs more respondents than indicators"
        )
    order = [columns.index(c) for c in observed]
    if isinstance(x, SampleMoments):  # out of core: the moments stand for the rows
        moments = x.select(order)
        sd, corr = moments.sd(), None
    else:
        xo = x[:, order]
        sd = xo.std(axis=0)
    constant = [observed[j] for j in np.flatnonzero(sd == 0)]
    if constant:
        raise DataValidationError(
            f"{where}indicator {format_offenders(constant)} has no variance (every answer is the "
            "same): the sample covariance matrix is not positive definite; drop it"
        )
    corr = moments.correlation() if isinstance(x, SampleMoments) else np.corrcoef(xo, rowvar=False)
    eig, vec = np.linalg.eigh(corr)
    if eig[0] < 1e-10:
        involved = [observed[j] for j in np.flatnonzero(np.abs(vec[:, 0]) > 0.1)]
        raise DataValidationError(
            f"{where}the sample covariance matrix is not positive definite (smallest eigenvalue "
            f"of the correlation matrix {eig[0]:.2e}): indicators {format_offenders(involved)} "
            "are linearly dependent (e.g. duplicated or summed items); drop the redundant ones"
        )


def check_identified(frames: list[Any], x0: FloatArray, names: list[str]) -> None:
    """Local identification: the Jacobian of the implied moments (every group stacked)
    must have full rank; otherwise name the parameters of the null directions."""
    blocks = []
    for frame in frames:
        try:
            _, _, cache = frame.sigma(x0)
        except np.linalg.LinAlgError:
            return
        d, dmu = frame.dsigma(x0, cache)
        if d.shape[0] == 0:
            return
        blocks.append(d[:, frame.vech[0], frame.vech[1]].T)
        if frame.meanstructure:
            blocks.append(dmu.T)
    delta = np.vstack(blocks)
    gram = delta.T @ delta
    eig, vec = np.linalg.eigh(gram)
    tol = eig[-1] * max(delta.shape) * 1e-16 * 1e4
    rank = int(np.sum(eig > tol))
    if rank < delta.shape[1]:
        null = vec[:, : delta.shape[1] - rank].T
        weight = np.abs(null).max(axis=0)
        order = sorted(range(len(names)), key=lambda j: (-round(float(weight[j]), 6), names[j]))
        involved = [names[j] for j in order if weight[j] > 1e-6]
        raise SpecificationError(
            f"the model is not identified: {delta.shape[1] - rank} direction(s) of the "
            f"{delta.shape[1]} free parameters leave the implied covariances unchanged, "
            f"involving {format_offenders(involved)}; fix a loading or a variance per "
            "construct, or give each construct at least two indicators (three if it "
            "is alone)"
        )


def ordinal_moments(
    x: FloatArray,
    columns: list[str],
    observed: list[str],
    scale_map: dict[str, tuple[float, float]],
    conditions: Conditions,
    ordered: tuple[str, ...] = (),
    weights: FloatArray | None = None,
) -> ordm.OrdinalMoments:
    """Thresholds, polychorics and Γ of the model's items; data problems become conditions.

    ``ordered``: the ordinal items when only some are (the others continuous: means,
    variances, polyserial correlations, :mod:`._cbsem_mixed`); empty: all ordinal.
    ``weights``: sampling weights on lavaan's scale (see :func:`.ordm.ordinal_moments`).
    """
    xo = x[:, [columns.index(c) for c in observed]]
    users = list(observed)
    if ordered and set(users) - set(ordered):
        from csimodels.sem._cbsem_mixed import mixed_moments

        om = mixed_moments(xo, users, [v not in ordered for v in users], scale_map, weights)
    else:
        om = ordm.ordinal_moments(xo, users, scale_map, weights)
    if om.unobserved:
        shown = [f"{k} ({', '.join(f'{v:g}' for v in vs)})" for k, vs in om.unobserved.items()]
        conditions.append(
            (
                f"answer categories that nobody chose inside the scale of "
                f"{format_offenders(shown)}: as in lavaan the categories are the answers "
                "observed, so each empty category is merged with its neighbour (one "
                "threshold fewer)",
                DataQualityWarning,
            )
        )
    if om.adjusted:
        shown = [f"{a} × {b}" for a, b in om.adjusted]
        conditions.append(
            (
                f"one empty cell in the 2×2 table of binary items {format_offenders(shown)}: "
                "0.5 was added to it and to its diagonal partner and taken from the other "
                "two cells (margins kept, lavaan's zero.add), otherwise the tetrachoric "
                "correlation would be ±1",
                DataQualityWarning,
            )
        )
    plain = [(a, b) for a, b in om.empty_cells if (a, b) not in om.adjusted]
    if plain:
        shown = [f"{a} × {b}" for a, b in plain]
        conditions.append(
            (
                f"empty cells in the bivariate tables of {len(plain)} item pair(s) "
                f"{format_offenders(shown)}: nothing was added to them (lavaan's default); "
                "polychoric correlations from sparse tables are less stable — consider "
                "merging rare categories",
                DataQualityWarning,
            )
        )
    if om.at_bound:
        shown = [f"{a} × {b}" for a, b in om.at_bound]
        conditions.append(
            (
                f"polychoric (or polyserial) correlation of {format_offenders(shown)} "
                f"reached the bound ±{ordm.RHO_BOUND} (polyserial ±0.995): the items are "
                "(nearly) the same; drop one of them",
                DataQualityWarning,
            )
        )
    if not om.converged:
        conditions.append(
            (
                "the polychoric (polyserial) correlations did not all converge in 200 steps; "
                "the sample moments are not maximum-likelihood estimates",
                ConvergenceWarning,
            )
        )
    eig = float(np.linalg.eigvalsh(om.correlation)[0])
    if eig <= 0:
        conditions.append(
            (
                f"the polychoric{'/polyserial' if om.n_numeric else ''} correlation matrix "
                f"of {format_offenders(users)} is not "
                f"positive definite (smallest eigenvalue {eig:.3g}); least-squares "
                "estimators still run, but check items with sparse tables",
                DataQualityWarning,
            )
        )
    om.items = list(observed)
    return om


def diagnose(
    conditions: Conditions,
    *,
    estimates: pd.DataFrame,
    latent_names: list[str],
    lat_cov: FloatArray,
    lat_cor: FloatArray,
    sigma: FloatArray,
    observed_names: list[str],
    vcov: FloatArray,
    free_names: list[str],
    singular_info: bool,
) -> None:
    """Improper solutions, never silent: each finding becomes a warning and a note."""
    keys: list[tuple[str, str, str]] = [tuple(k) for k in estimates.index.tolist()]
    values = [float(v) for v in estimates["estimate"].tolist()]
    std_values = [float(v) for v in estimates["std_estimate"].tolist()]
    var_rows = [
        (lhs, est)
        for (lhs, op, rhs), est in zip(keys, values, strict=True)
        if op == "~~" and lhs == rhs and est < 0
    ]
    if var_rows:
        shown = [f"{lhs} ~~ {lhs} = {est:.4g}" for lhs, est in var_rows]
        conditions.append(
            (
                f"Heywood case: negative variance estimate(s) {format_offenders(shown)}; the "
                "solution is improper (check for too few indicators, outliers or a "
                "misspecified model)",
                DataQualityWarning,
            )
        )
    over = [
        f"{lhs} {op} {rhs} = {val:.3f}"
        for (lhs, op, rhs), val in zip(keys, std_values, strict=True)
        if op in ("=~", "~") and abs(val) > 1.0
    ]
    if over:
        conditions.append(
            (
                f"standardised estimate(s) beyond ±1: {format_offenders(over)}; with "
                "highly correlated predictors the structural estimates are unstable",
                DataQualityWarning,
            )
        )
    if lat_cov.size and np.linalg.eigvalsh(lat_cov)[0] <= 0:
        conditions.append(
            (
                "the latent covariance matrix is not positive definite (smallest eigenvalue "
                f"{np.linalg.eigvalsh(lat_cov)[0]:.3g}) for constructs "
                f"{format_offenders(latent_names)}; the solution is improper",
                DataQualityWarning,
            )
        )
    if np.linalg.eigvalsh(sigma)[0] <= 0:
        conditions.append(
            (
                "the model-implied covariance matrix of "
                f"{format_offenders(observed_names)} is not positive definite; the solution "
                "is improper",
                DataQualityWarning,
            )
        )
    k = len(latent_names)
    high = [
        f"{latent_names[i]}–{latent_names[j]} ({lat_cor[i, j]:.3f})"
        for i in range(k)
        for j in range(i + 1, k)
        if abs(lat_cor[i, j]) > LATENT_CORRELATION_LIMIT
    ]
    if high:
        conditions.append(
            (
                f"latent correlation(s) above {LATENT_CORRELATION_LIMIT}: "
                f"{format_offenders(high)}; these constructs are barely distinguishable "
                "(poor discriminant validity)",
                DataQualityWarning,
            )
        )
    if singular_info:
        conditions.append(
            (
                "the information matrix is singular at the solution: the model is "
                "empirically under-identified; standard errors are not available",
                DataQualityWarning,
            )
        )
        return
    d = np.sqrt(np.diag(vcov))
    corr = vcov / np.outer(d, d)
    eig, vec = np.linalg.eigh(corr)
    if eig[0] < FLAT_EIGENVALUE:
        weight = np.abs(vec[:, 0])
        top = [free_names[j] for j in np.argsort(-weight)[:5] if weight[j] > 0.2]
        conditions.append(
            (
                "the likelihood is nearly flat along a combination of "
                f"{format_offenders(top)} (smallest eigenvalue of the estimates' correlation "
                f"matrix {eig[0]:.2e}): quite different values of these parameters fit "
                "almost equally well, so treat them as weakly determined (empirical "
                "under-identification; another program may report other values with the "
                "same chi-square)",
                DataQualityWarning,
            )
        )
