"""MLR with FIML (lavaan ``estimator = "MLR", missing = "ml"``): Huber–White standard
errors from the casewise scores of the incomplete-data likelihood and the
Yuan–Bentler (Mplus variant) scaled χ², as lavaan 0.6 computes them.

* **Standard errors.** ``vcov = A⁻¹ B0 A⁻¹ / N`` with ``A`` the observed information
  (Hessian of ``F = −log L / N``, as lavaan's default for ``missing = "ml"``; with
  binding inequality constraints its augmented inverse) and ``B0 = mean_i(s_i s_i')``,
  ``s_i = ∂ log L_i / ∂θ`` over the observed entries of respondent ``i``.
* **Scaled test.** ``c = [tr(A1⁻¹ B1) − tr(B0 A⁻¹)] / df`` where ``A1`` and ``B1`` are
  the observed and first-order information of the unrestricted model (free means and
  covariances) at its EM estimates (lavaan's ``h1.information = "unstructured"`` for
  ``yuan.bentler.mplus``); ``T_YB = T / c``. The baseline model (independent
  variables, free means and variances) gets its own factor the same way.
* **Robust CFI, TLI, RMSEA.** lavaan's FIML-corrected indices (Zhang & Savalei's
  FIML-C, version V3 with a scaled test): the model and the baseline are evaluated
  against the EM moments as if they were complete-data moments (``XX3``), with the
  correction factor ``tr(U W⁻¹ Wc W⁻¹ U Γ) / df``, ``U = W − W Δ E⁻¹ Δ' W``,
  ``Γ = W⁻¹ J W⁻¹`` (``W``, ``J``: the unrestricted model's observed and first-order
  information, ``Wc``: its complete-data information at the EM moments, ``Δ`` the
  model's moment Jacobian, ``E = Δ' W Δ``).

Unrestricted-model parameters are ordered ``(vech Σ, μ)``; traces do not depend on
the parameterisation.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

from csimodels._lazy import lazy_module
from csimodels.sem._cbsem_robust import MLR_FIT_MEASURES, _saturated_jacobian, scaled_rows

stats = lazy_module("scipy.stats")

FloatArray = NDArray[np.float64]

__all__ = ["fiml_huber_white", "fiml_mlr_measures"]


def _each_pattern(
    frame: Any, sigma: FloatArray
) -> Iterator[tuple[NDArray[np.intp], FloatArray, FloatArray | None, FloatArray]]:
    """Per missing-data pattern: observed variables, answers, weights (or None) and the
    inverse of the observed block of ``Σ``."""
    for (idx, data), wp in zip(frame.patterns, frame.pattern_weights, strict=True):
        yield idx, data, wp, np.asarray(np.linalg.inv(sigma[np.ix_(idx, idx)]), dtype=np.float64)


def _first_order(
    frame: Any,
    sigma: FloatArray,
    mu: FloatArray,
    dsig: FloatArray,
    dmu: FloatArray,
) -> FloatArray:
    """``mean_i (w_i s_i)(w_i s_i)'`` over the casewise scores ``s_i`` of the observed
    answers, the weights scaled to sum to N (lavaan's meat)."""
    q = dsig.shape[0]
    out = np.zeros((q, q))
    for idx, data, wp, inv in _each_pattern(frame, sigma):
        z = (data - mu[idx]) @ inv
        k, p = z.shape
        ds = dsig[:, idx][:, :, idx].reshape(q, p * p)
        quad = (z[:, :, None] * z[:, None, :]).reshape(k, p * p) @ ds.T
        s = 0.5 * (quad - (ds @ inv.reshape(p * p))[None, :]) + z @ dmu[:, idx].T
        if wp is not None:
            s = s * wp[:, None]
        out += s.T @ s
    return np.asarray(out / frame.n, dtype=np.float64)


def _observed_information(
    frame: Any,
    sigma: FloatArray,
    mu: FloatArray,
    dsig: FloatArray,
    dmu: FloatArray,
) -> FloatArray:
    """Minus the Hessian of the mean (weighted) log-likelihood for a model linear in
    its parameters (the unrestricted or the independence model)."""
    from csimodels.sem._cbsem_engine import pattern_moments

    q = dsig.shape[0]
    info = np.zeros((q, q))
    for idx, data, wp, inv in _each_pattern(frame, sigma):
        k, sp, ebar = pattern_moments(data - mu[idx], wp)
        m = inv @ sp @ inv
        zbar = inv @ ebar
        d = dsig[:, idx][:, :, idx]
        dm = dmu[:, idx]
        b = np.matmul(inv, d)  # Σ⁻¹ D_a
        flat_b = b.reshape(q, -1)
        flat_bt = b.transpose(0, 2, 1).reshape(q, -1)
        tr_ab = flat_b @ flat_bt.T  # tr(Σ⁻¹ D_a Σ⁻¹ D_b)
        c = np.matmul(b, m)  # Σ⁻¹ D_a M
        tr_abm = d.reshape(q, -1) @ c.transpose(0, 2, 1).reshape(q, -1).T  # tr(D_a Σ⁻¹ D_b M)
        cov = -0.5 * tr_ab + 0.5 * (tr_abm + tr_abm.T)
        cross = dm @ (b @ zbar).T  # dm_a' Σ⁻¹ D_b Σ⁻¹ ē
        info += k * (cov + cross + cross.T + dm @ inv @ dm.T)
    return np.asarray(info / frame.n, dtype=np.float64)


def _h1(frame: Any) -> dict[str, Any]:
    """The unrestricted model at its EM estimates: W (observed), J (first-order)."""
    cached = getattr(frame, "_fiml_h1", None)
    if cached is not None:
        return dict(cached)
    from csimodels.sem._cbsem_fit import _saturated_fiml

    mu, sigma, _ = _saturated_fiml(frame)
    d, dmu = _saturated_jacobian(frame.p, True)
    assert dmu is not None
    w = _observed_information(frame, sigma, mu, d, dmu)
    j = _first_order(frame, sigma, mu, d, dmu)
    out = {"mu": mu, "sigma": sigma, "W": w, "J": j, "d": d, "dmu": dmu}
    frame._fiml_h1 = out
    return dict(out)


def _model_b0(est: Any) -> FloatArray:
    """``Σ_g (n_g / N) B0_g``: the casewise first-order information over all groups."""
    if "B0_fiml" in est.robust:
        return np.asarray(est.robust["B0_fiml"], dtype=np.float64)
    b0 = np.zeros((est.theta.size, est.theta.size))
    for frame in est.frames:
        sigma, mu, cache = frame.sigma(est.theta)
        dsig, dmu = frame.dsigma(est.theta, cache)
        b0 += frame.n / est.n * _first_order(frame, sigma, mu, dsig, dmu)
    est.robust["B0_fiml"] = b0
    return b0


def _bread(est: Any) -> FloatArray:
    from csimodels.sem._cbsem_robust import _bread as bread

    return bread(est)


def fiml_huber_white(est: Any) -> FloatArray:
    """Sandwich covariance ``A⁻¹ B0 A⁻¹ / N`` of a FIML fit."""
    a_inv = _bread(est)
    return np.asarray(a_inv @ _model_b0(est) @ a_inv / est.n, dtype=np.float64)


def _baseline(frame: Any) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Independence model by FIML: means and variances of the observed values, its
    moment Jacobian ``(∂Σ, ∂μ)`` over ``(variances, means)``."""
    from csimodels.sem._cbsem_fit import independence_moments

    p = frame.p
    moments = independence_moments(frame)
    mu = np.array([m for _, m, _ in moments])
    var = np.array([v for _, _, v in moments])
    d = np.zeros((2 * p, p, p))
    d[np.arange(p), np.arange(p), np.arange(p)] = 1.0
    dmu = np.zeros((2 * p, p))
    dmu[p + np.arange(p), np.arange(p)] = 1.0
    return mu, np.diag(var), d, dmu


def _moment_jacobian(d: FloatArray, dmu: FloatArray) -> FloatArray:
    """Δ (unrestricted parameters × model parameters) in the ``(vech Σ, μ)`` order."""
    iu = np.triu_indices(d.shape[1])
    return np.asarray(np.concatenate([d[:, iu[0], iu[1]].T, dmu.T], axis=0), dtype=np.float64)


def _complete_information(sigma: FloatArray, p: int) -> FloatArray:
    """Expected (= observed at the sample moments) information of the complete-data
    unrestricted model at ``Σ``."""
    from csimodels.sem._cbsem_robust import ml_scores_and_information

    d, dmu = _saturated_jacobian(p, True)
    x = np.zeros((1, p))
    _, info = ml_scores_and_information(x, np.zeros(p), sigma, np.zeros(p), d, dmu)
    return info


def _ml_discrepancy(sigma: FloatArray, mu: FloatArray, s: FloatArray, m: FloatArray) -> float:
    """Complete-data ML ``F`` of ``(Σ, μ)`` against the moments ``(S, m)``."""
    p = s.shape[0]
    inv = np.linalg.inv(sigma)
    dev = m - mu
    return 0.5 * float(
        np.linalg.slogdet(sigma)[1]
        + np.sum(s * inv)
        - np.linalg.slogdet(s)[1]
        - p
        + dev @ inv @ dev
    )


def fiml_mlr_measures(est: Any, measures: dict[str, float]) -> dict[str, float]:
    """The scaled and robust rows of an MLR fit with FIML (lavaan's names via
    :data:`~._cbsem_fit.LAVAAN_NAMES`); several groups: the h1 and baseline traces
    summed over the groups (their information matrices are block diagonal)."""
    out = {k: float("nan") for k in MLR_FIT_MEASURES}
    df = est.df
    if df <= 0:
        return out
    n = est.n
    h1s = [_h1(frame) for frame in est.frames]
    w_invs = [np.asarray(np.linalg.inv(h1["W"]), dtype=np.float64) for h1 in h1s]
    trace_h1 = sum(float(np.sum(h1["J"] * wi.T)) for h1, wi in zip(h1s, w_invs, strict=True))
    b0 = _model_b0(est)
    a_inv = _bread(est)
    c = (trace_h1 - float(np.sum(b0 * a_inv.T))) / df
    # baseline: its own first-order and observed information at its FIML estimates
    bases = [_baseline(frame) for frame in est.frames]
    trace_b = 0.0
    for frame, (mu_b, sig_b, d_b, dmu_b) in zip(est.frames, bases, strict=True):
        b0_b = _first_order(frame, sig_b, mu_b, d_b, dmu_b)
        a_b = _observed_information(frame, sig_b, mu_b, d_b, dmu_b)
        trace_b += float(np.sum(b0_b * np.linalg.inv(a_b).T))
    base_df = int(measures["baseline_df"])
    c_b = (trace_h1 - trace_b) / base_df
    g = len(est.frames)
    # the FIML-corrected robust CFI, TLI and RMSEA replace the complete-data ones
    out.update(scaled_rows(measures["chi2"], measures["baseline_chi2"], df, base_df, c, c_b, n, g))
    out.update(_fiml_corrected(est, h1s, w_invs, bases, base_df))
    return out


def _fiml_corrected(
    est: Any,
    h1s: list[dict[str, Any]],
    w_invs: list[FloatArray],
    bases: list[tuple[FloatArray, FloatArray, FloatArray, FloatArray]],
    base_df: int,
) -> dict[str, float]:
    """lavaan's FIML-corrected robust CFI, TLI and RMSEA (``lav_fit_fiml_corrected``, V3):
    the groups' unrestricted informations stacked block-diagonally with the weights
    ``f_g = n_g / N`` (``W f_g``, ``W⁻¹ / f_g``, ``Wc f_g``, ``Γ / f_g``)."""
    from csimodels.sem._cbsem_constraints import projected_inverse
    from csimodels.sem._cbsem_fit import rmsea_interval

    n, df = est.n, est.df
    g = len(est.frames)
    shares = [frame.n / n for frame in est.frames]
    w_all = _block_diag([fg * h1["W"] for fg, h1 in zip(shares, h1s, strict=True)])
    wi_all = _block_diag([wi / fg for fg, wi in zip(shares, w_invs, strict=True)])
    wc_all = _block_diag(
        [
            fg * _complete_information(h1["sigma"], frame.p)
            for fg, h1, frame in zip(shares, h1s, est.frames, strict=True)
        ]
    )
    gamma_all = _block_diag(
        [wi @ h1["J"] @ wi / fg for fg, h1, wi in zip(shares, h1s, w_invs, strict=True)]
    )
    xx3 = xx3_b = 0.0
    deltas = []
    for frame, h1, (mu_b, sig_b, _, _) in zip(est.frames, h1s, bases, strict=True):
        sigma, mu, cache = frame.sigma(est.theta)
        dsig, dmu = frame.dsigma(est.theta, cache)
        deltas.append(_moment_jacobian(dsig, dmu))
        xx3 += 2 * frame.n * _ml_discrepancy(sigma, mu, h1["sigma"], h1["mu"])
        xx3_b += 2 * frame.n * _ml_discrepancy(sig_b, mu_b, h1["sigma"], h1["mu"])
    delta = np.concatenate(deltas, axis=0)
    # the baseline's parameters are each group's own: a block-diagonal Jacobian
    delta_b = _block_diag([_moment_jacobian(d_b, dmu_b) for _, _, d_b, dmu_b in bases])

    def k_factor(dlt: FloatArray, active: FloatArray | None = None) -> float:
        e_inv = projected_inverse(dlt.T @ w_all @ dlt, active)
        u = w_all - w_all @ dlt @ e_inv @ dlt.T @ w_all
        return float(np.trace(u @ wi_all @ wc_all @ wi_all @ u @ gamma_all))

    c3 = k_factor(delta, est.active_jacobian) / df
    c3_b = k_factor(delta_b) / base_df
    t1 = max(xx3 - c3 * df, 0.0)
    t2 = max(xx3 - c3 * df, xx3_b - c3_b * base_df, 0.0)
    lo, hi = rmsea_interval(xx3 / c3, df, n / c3)
    root_g = math.sqrt(g)
    return {
        "cfi_robust": 1.0 - t1 / t2 if t2 > 0 else 1.0,
        "tli_robust": 1.0 - ((xx3 - c3 * df) * base_df) / ((xx3_b - c3_b * base_df) * df),
        "rmsea_robust": math.sqrt(max(xx3 / (n * df) - c3 / n, 0.0)) * root_g,
        "rmsea_ci_lower_robust": lo * root_g,
        "rmsea_ci_upper_robust": hi * root_g,
    }


def _block_diag(blocks: list[FloatArray]) -> FloatArray:
    """The matrices (square or not) as the diagonal blocks of one matrix."""
    rows = sum(b.shape[0] for b in blocks)
    cols = sum(b.shape[1] for b in blocks)
    out = np.zeros((rows, cols))
    r = c = 0
    for b in blocks:
        out[r : r + b.shape[0], c : c + b.shape[1]] = b
        r += b.shape[0]
        c += b.shape[1]
    return out
