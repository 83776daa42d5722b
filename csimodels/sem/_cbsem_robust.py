"""Robust inference for CB-SEM: Huber–White (sandwich) standard errors and the
Yuan–Bentler scaled χ² of MLR, and the scaled-and-shifted test of WLSMV — each as
lavaan 0.6 computes it.

MLR (lavaan ``estimator = "MLR"``): ML estimates; ``vcov = A⁻¹ B A⁻¹ / N`` with ``A`` the
observed information (Hessian of F) and ``B = Σ_g (n_g/N) mean_i(s_i s_i')`` the
first-order information from the casewise scores ``s_i = ∂ log L_i / ∂θ``; the
Mplus-variant Yuan–Bentler scaling factor ``c = Σ_g [tr(A1_g⁻¹ B1_g) − (n_g/N)
tr(B0_g A⁻¹)] / df`` where ``A1_g``, ``B1_g`` are the expected and first-order
information of the unrestricted model at the sample moments; ``T_YB = T / c``. The
baseline model gets its own factor; robust CFI, TLI and RMSEA follow Brosseau-Liard
& Savalei (2014) / Savalei (2018), lavaan's ``*.robust`` measures.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from csimodels._lazy import lazy_module

stats = lazy_module("scipy.stats")

FloatArray = NDArray[np.float64]

#: Extra rows of the fit table of an ordinal fit (NaN unless the test is robust).
ORDINAL_FIT_MEASURES = (
    "chi2_scaled",
    "p_value_scaled",
    "scaling_factor",
    "shift",
    "baseline_chi2_scaled",
    "cfi_scaled",
    "tli_scaled",
    "rmsea_scaled",
)
#: Extra rows of the fit table of an MLR fit.
MLR_FIT_MEASURES = (
    "chi2_scaled",
    "p_value_scaled",
    "scaling_factor",
    "baseline_chi2_scaled",
    "baseline_scaling_factor",
    "cfi_scaled",
    "tli_scaled",
    "rmsea_scaled",
    "cfi_robust",
    "tli_robust",
    "rmsea_robust",
    "rmsea_ci_lower_robust",
    "rmsea_ci_upper_robust",
)


def ml_scores_and_information(
    x: FloatArray,
    mean: FloatArray,
    sigma: FloatArray,
    mu: FloatArray,
    dsig: FloatArray,
    dmu: FloatArray | None,
    weights: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Casewise scores ``∂ log L_i/∂θ`` (n × q) and the expected information per
    respondent (q × q) of a normal model with ``Σ(θ)``, ``μ(θ)`` (``dmu`` None: the mean
    is not modelled and the sample mean is used)."""
    inv = np.linalg.inv(sigma)
    centre = mu if dmu is not None else mean
    z = (x - centre) @ inv  # n x p
    n, p = z.shape
    q = dsig.shape[0]
    flat = dsig.reshape(q, p * p)
    quad = (z[:, :, None] * z[:, None, :]).reshape(n, p * p) @ flat.T  # z' dΣ_k z
    tr = flat @ inv.reshape(p * p)
    scores = 0.5 * (quad - tr[None, :])
    b = np.matmul(inv, dsig)
    info = 0.5 * b.reshape(q, -1) @ b.transpose(0, 2, 1).reshape(q, -1).T
    if dmu is not None:
        scores = scores + z @ dmu.T
        info = info + dmu @ inv @ dmu.T
    return np.asarray(scores, dtype=np.float64), np.asarray(info, dtype=np.float64)


def _first_order(
    scores: FloatArray, weights: FloatArray | None, n_w: float | None = None
) -> FloatArray:
    if weights is None:
        return np.asarray(scores.T @ scores / scores.shape[0], dtype=np.float64)
    # survey (pseudo-likelihood) meat: the weighted scores w_i s_i, the group's weights
    # scaled to sum to its size in the objective (lavaan's sampling.weights)
    n_w = float(weights.size) if n_w is None else n_w
    w = weights * (n_w / weights.sum())
    ws = scores * w[:, None]
    return np.asarray(ws.T @ ws / n_w, dtype=np.float64)


def _saturated_jacobian(p: int, meanstructure: bool) -> tuple[FloatArray, FloatArray | None]:
    """∂Σ/∂ψ and ∂μ/∂ψ of the unrestricted model, ψ = (vech Σ[, μ])."""
    iu = np.triu_indices(p)
    k = iu[0].size
    q = k + (p if meanstructure else 0)
    d = np.zeros((q, p, p))
    d[np.arange(k), iu[0], iu[1]] = 1.0
    d[np.arange(k), iu[1], iu[0]] = 1.0
    if not meanstructure:
        return d, None
    dmu = np.zeros((q, p))
    dmu[k + np.arange(p), np.arange(p)] = 1.0
    return d, dmu


def model_first_order(est: Any) -> list[FloatArray]:
    """Per group: ``B0_g`` = mean outer product of the casewise scores of the model."""
    if "B0" in est.robust:
        return list(est.robust["B0"])
    theta = est.theta
    out = []
    for frame in est.frames:
        sigma, mu, cache = frame.sigma(theta)
        dsig, dmu = frame.dsigma(theta, cache)
        scores, _ = ml_scores_and_information(
            frame.x, frame.mean, sigma, mu, dsig, dmu if frame.meanstructure else None
        )
        out.append(_first_order(scores, frame.weights_raw, frame.n_w))
    est.robust["B0"] = out
    return out


def _bread(est: Any) -> FloatArray:
    """``A⁻¹``, with binding inequality constraints as equalities (lavaan's augmented
    inverse ``E.inv``)."""
    bread = getattr(est, "bread", None)
    if bread is not None:
        return np.asarray(bread, dtype=np.float64)
    return np.asarray(np.linalg.inv(est.information), dtype=np.float64)


def huber_white(est: Any) -> FloatArray:
    """Sandwich covariance ``A⁻¹ B A⁻¹ / N`` (lavaan's ``se = "robust.huber.white"``)."""
    a_inv = _bread(est)
    b0 = sum(
        (fr.n_w / est.n) * bg for fr, bg in zip(est.frames, model_first_order(est), strict=True)
    )
    return np.asarray(a_inv @ b0 @ a_inv / est.n, dtype=np.float64)


def h1_trace(frame: Any) -> float:
    """``tr(A1⁻¹ B1)`` of the unrestricted model at the sample moments of one group."""
    cached = getattr(frame, "_h1_trace", None)
    if cached is not None:
        return float(cached)
    d, dmu = _saturated_jacobian(frame.p, frame.meanstructure)
    scores, info = ml_scores_and_information(frame.x, frame.mean, frame.s, frame.mean, d, dmu)
    b1 = _first_order(scores, frame.weights_raw, frame.n_w)
    value = float(np.sum(b1 * np.linalg.inv(info).T))
    frame._h1_trace = value
    return value


def yuan_bentler_trace(est: Any) -> float:
    """``Σ_g [tr(A1_g⁻¹B1_g) − (n_g/N) tr(B0_g A⁻¹)]`` (lavaan's trace.UGamma, Mplus variant)."""
    a_inv = _bread(est)
    total = 0.0
    for frame, b0 in zip(est.frames, model_first_order(est), strict=True):
        total += h1_trace(frame) - frame.n_w / est.n * float(np.sum(b0 * a_inv.T))
    return total


def baseline_trace(est: Any) -> float:
    """trace.UGamma of the independence model (free variances; means when modelled)."""
    from csimodels.sem._cbsem_fit import _fixed_x_positions

    xpos = _fixed_x_positions(est)
    total = 0.0
    blocks_info = []
    b0s = []
    for frame in est.frames:
        p = frame.p
        var = np.diag(frame.s).copy()
        sigma = np.diag(var)
        pairs = [(j, j) for j in range(p)]
        if xpos:
            # lavaan's baseline with fixed covariates keeps their covariance block
            sigma[np.ix_(xpos, xpos)] = frame.s[np.ix_(xpos, xpos)]
            pairs += [(a, b) for i, a in enumerate(xpos) for b in xpos[i + 1 :]]
        d = np.zeros((len(pairs), p, p))
        for k, (a, b) in enumerate(pairs):
            d[k, a, b] = d[k, b, a] = 1.0
        dmu = None
        mu = frame.mean
        if frame.meanstructure:
            k0 = d.shape[0]
            d = np.concatenate([d, np.zeros((p, p, p))])
            dmu = np.zeros((k0 + p, p))
            dmu[k0 + np.arange(p), np.arange(p)] = 1.0
        scores, info = ml_scores_and_information(frame.x, frame.mean, sigma, mu, d, dmu)
        blocks_info.append(info * frame.n_w / est.n)
        b0s.append(_first_order(scores, frame.weights_raw, frame.n_w))
    # the baseline's parameters are group-specific: block-diagonal information
    sizes = [b.shape[0] for b in blocks_info]
    big = np.zeros((sum(sizes), sum(sizes)))
    start = 0
    for b in blocks_info:
        big[start : start + b.shape[0], start : start + b.shape[0]] = b
        start += b.shape[0]
    a_inv = np.linalg.inv(big)
    start = 0
    for frame, b0, size in zip(est.frames, b0s, sizes, strict=True):
        block = a_inv[start : start + size, start : start + size]
        total += h1_trace(frame) - frame.n_w / est.n * float(np.sum(b0 * block.T))
        start += size
    return total


def mlr_measures(est: Any, measures: dict[str, float]) -> dict[str, float]:
    """The scaled and robust rows of an MLR fit table (lavaan's names in LAVAAN_NAMES)."""
    out = {k: float("nan") for k in MLR_FIT_MEASURES}
    df = est.df
    if df <= 0:
        return out
    base_df = int(measures["baseline_df"])
    c = yuan_bentler_trace(est) / df
    c_b = baseline_trace(est) / base_df
    out.update(
        scaled_rows(
            measures["chi2"], measures["baseline_chi2"], df, base_df, c, c_b, est.n, len(est.frames)
        )
    )
    return out


def scaled_rows(
    chi2: float,
    base_chi2: float,
    df: int,
    base_df: int,
    c: float,
    c_b: float,
    n: int,
    g: int = 1,
) -> dict[str, float]:
    """:data:`MLR_FIT_MEASURES` from χ², the baseline χ² and their scaling factors
    (``g`` groups: lavaan multiplies RMSEA by √G)."""
    from csimodels.sem._cbsem_fit import rmsea_interval

    t_s = chi2 / c
    tb_s = base_chi2 / c_b
    t1 = max(chi2 - c * df, 0.0)
    t2 = max(chi2 - c * df, base_chi2 - c_b * base_df, 0.0)
    num = max(t_s - df, 0.0)
    den = max(t_s - df, tb_s - base_df, 0.0)
    lo, hi = rmsea_interval(t_s, df, n / c)
    return {
        "chi2_scaled": t_s,
        "p_value_scaled": float(stats.chi2.sf(t_s, df)),
        "scaling_factor": c,
        "baseline_chi2_scaled": tb_s,
        "baseline_scaling_factor": c_b,
        "cfi_scaled": 1.0 - num / den if den > 0 else 1.0,
        "tli_scaled": (tb_s / base_df - t_s / df) / (tb_s / base_df - 1.0),
        "rmsea_scaled": math.sqrt(max(t_s - df, 0.0) / (n * df)) * math.sqrt(g),
        "cfi_robust": 1.0 - t1 / t2 if t2 > 0 else 1.0,
        "tli_robust": 1.0 - ((chi2 - c * df) * base_df) / ((base_chi2 - c_b * base_df) * df),
        "rmsea_robust": math.sqrt(max(chi2 / (n * df) - c / n, 0.0)) * math.sqrt(g),
        "rmsea_ci_lower_robust": lo * math.sqrt(g),
        "rmsea_ci_upper_robust": hi * math.sqrt(g),
    }


def ordinal_baseline_design(frame: Any) -> FloatArray:
    """∂(moments)/∂(thresholds, variances) of the independence model (ordinal layout)."""
    n_th = frame.n_thresholds
    m = frame.vech[0].size
    design = np.zeros((n_th + m, n_th + frame.p))
    design[:n_th, :n_th] = np.eye(n_th)
    design[frame.diag_moments, n_th + np.arange(frame.p)] = 1.0
    return design


def projected_fmin(moments: FloatArray, wmat: FloatArray, design: FloatArray) -> float:
    """``min_b ½ (m − D b)' W (m − D b)``: F of a model linear in its parameters."""
    b = np.linalg.solve(design.T @ wmat @ design, design.T @ wmat @ moments)
    resid = moments - design @ b
    return 0.5 * float(resid @ wmat @ resid)


def scaled_shifted(
    wmat: FloatArray, gamma: FloatArray, delta: FloatArray, stat: float, df: int
) -> tuple[float, float, float]:
    """Asparouhov & Muthén (2010) scaled-and-shifted statistic, lavaan 0.6's form.

    ``U = W − WΔ(Δ'WΔ)⁻¹Δ'W``; with ``tr1 = tr(UΓ)``, ``tr2 = tr(UΓUΓ)``:
    ``a = √(df / tr2)``, shift ``b = df − a tr1``, statistic ``a T + b`` referred to
    χ²(df). Returns ``(statistic, scaling factor 1/a, shift b)``.
    """
    wd = wmat @ delta
    u = wmat - wd @ np.linalg.solve(delta.T @ wd, wd.T)
    ug = u @ gamma
    tr1 = float(np.trace(ug))
    tr2 = float(np.sum(ug * ug.T))
    a = math.sqrt(df / tr2)
    shift = df - a * tr1
    return a * stat + shift, 1.0 / a, shift


def _stack(frames: list[Any], blocks: list[FloatArray], n: int) -> tuple[FloatArray, ...]:
    """Block-diagonal ``W`` (weighted by n_g/N), ``Γ`` (by N/n_g) and stacked Δ."""
    sizes = [fr.wmat.shape[0] for fr in frames]
    total = sum(sizes)
    w = np.zeros((total, total))
    g = np.zeros((total, total))
    at = 0
    for fr, k in zip(frames, sizes, strict=True):
        share = fr.n_w / n
        w[at : at + k, at : at + k] = share * fr.wmat
        g[at : at + k, at : at + k] = fr.gamma / share
        at += k
    return w, g, np.vstack(blocks)


def _baseline_blocks(frames: list[Any]) -> list[FloatArray]:
    """The independence model's design, its parameters separate in every group."""
    designs = [ordinal_baseline_design(fr) for fr in frames]
    cols = sum(d.shape[1] for d in designs)
    out = []
    at = 0
    for d in designs:
        block = np.zeros((d.shape[0], cols))
        block[:, at : at + d.shape[1]] = d
        out.append(block)
        at += d.shape[1]
    return out


def ordinal_robust_measures(
    frames: list[Any],
    theta: FloatArray,
    *,
    chi2: float,
    df: int,
    base_chi2: float,
    base_df: int,
    n: int,
    robust: bool,
) -> dict[str, float]:
    out = {k: float("nan") for k in ORDINAL_FIT_MEASURES}
    if not robust or df <= 0:
        return out
    w, g, delta = _stack(frames, [fr.moment_jacobian(theta) for fr in frames], n)
    t_s, scale, shift = scaled_shifted(w, g, delta, chi2, df)
    wb, gb, db = _stack(frames, _baseline_blocks(frames), n)
    tb_s, _, _ = scaled_shifted(wb, gb, db, base_chi2, base_df)
    num = max(t_s - df, 0.0)
    den = max(t_s - df, tb_s - base_df, 0.0)
    groups = len(frames)
    out.update(
        {
            "chi2_scaled": t_s,
            "p_value_scaled": float(stats.chi2.sf(t_s, df)),
            "scaling_factor": scale,
            "shift": shift,
            "baseline_chi2_scaled": tb_s,
            "cfi_scaled": 1.0 - num / den if den > 0 else 1.0,
            "tli_scaled": (tb_s / base_df - t_s / df) / (tb_s / base_df - 1.0),
            "rmsea_scaled": math.sqrt(num / ((n - groups) * df)) * math.sqrt(groups),
        }
    )
    return out
