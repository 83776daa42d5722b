"""Forecast reconciliation on a hierarchy of means: bottom-up, OLS, WLS and MinT-shrink.

Nodes are ordered aggregates first, then bottom nodes. A hierarchy of *means* is
coherent when every aggregate equals the share-weighted mean of its bottom nodes,
``y_agg = A y_bot`` (rows of ``A`` are the bottom nodes' shares of weight, summing to
1). With ``C = [I, -A]`` the MinT reconciled forecasts are the projection
``y~ = y^ - W C' (C W C')^{-1} C y^``, which equals ``S (S' W^-1 S)^-1 S' W^-1 y^``
with ``S = [A; I]`` (Wickramasuriya, Athanasopoulos & Hyndman 2019). ``W`` is kept as
a diagonal plus a low-rank part, so 10,000 stores never form a 10,000² matrix.

ndarrays in, ndarrays out.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

__all__ = ["RECONCILIATION_METHODS", "reconcile", "shrinkage_lambda"]

RECONCILIATION_METHODS: dict[str, str] = {
    "bottom_up": "aggregates are the share-weighted means of their bottom forecasts",
    "ols": "MinT with W = I",
    "wls_var": "MinT with W = diag(in-sample one-step error variances)",
    "mint_shrink": "MinT with W = the Schafer-Strimmer shrunk covariance of the one-step errors",
}
"""Reconciliation methods of :class:`~csimodels.trends.TrendMonitor`."""


def shrinkage_lambda(errors: FloatArray) -> tuple[float, FloatArray]:
    """Shrinkage intensity of hts::MinT's ``shrink.estim`` (target: the diagonal).

    ``errors`` (T, N): one-step forecast errors, not centred. Returns ``lambda`` in
    [0, 1] and the variances ``mean_t e_ti^2``. Computed with T x T Gram matrices:
    sum_{i != j} v_ij and sum_{i != j} r_ij^2 never form an N x N matrix.
    """
    n = errors.shape[0]
    var = np.mean(errors**2, axis=0)
    sd = np.sqrt(np.where(var > 0, var, 1.0))
    xs = errors / sd
    sq = xs**2
    gram = xs @ xs.T  # (T, T)
    frob = float(np.sum(gram**2))  # = sum_ij (sum_t xs_ti xs_tj)^2
    diag_cross = np.sum(sq, axis=0)  # (N,) sum_t xs_ti^2
    rows = np.sum(sq, axis=1)  # (T,) sum_i xs_ti^2
    sum_sq_cross = float(np.sum(rows**2))  # sum_ij sum_t xs_ti^2 xs_tj^2
    fourth = float(np.sum(sq**2))
    v_off = (sum_sq_cross - fourth - (frob - float(np.sum(diag_cross**2))) / n) / (n * (n - 1))
    d_off = frob / n**2 - float(np.sum((diag_cross / n) ** 2))
    lam = 1.0 if d_off <= 0 else min(max(v_off / d_off, 0.0), 1.0)
    return lam, var


class _DiagLowRank:
    """The matrix ``diag(d) + U U'`` (N x N) with U of shape (N, r)."""

    def __init__(self, d: FloatArray, u: FloatArray) -> None:
        self.d = d
        self.u = u

    def times(self, x: FloatArray) -> FloatArray:
        """self @ x for x of shape (N, c)."""
        return self.d[:, None] * x + self.u @ (self.u.T @ x)

    def diagonal(self) -> FloatArray:
        out: FloatArray = self.d + np.sum(self.u**2, axis=1)
        return out


def _constraint_times(a: FloatArray, x: FloatArray) -> FloatArray:
    """C @ x with C = [I, -A]; x (N, c) -> (n_agg, c)."""
    n_agg = a.shape[0]
    return x[:n_agg] - a @ x[n_agg:]


def _constraint_t(a: FloatArray, m: FloatArray) -> FloatArray:
    """C' @ m; m (n_agg, c) -> (N, c)."""
    return np.vstack([m, -(a.T @ m)])


def reconcile(
    base: FloatArray,
    base_var: FloatArray,
    shares: FloatArray,
    method: str,
    *,
    errors: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray, float]:
    """Reconcile one period's base forecasts of a hierarchy of means.

    Parameters
    ----------
    base, base_var : (N,) base forecasts and their variances (aggregates first).
    shares : (n_agg, n_bot) share of each bottom node in each aggregate.
    method : a key of :data:`RECONCILIATION_METHODS`.
    errors : (T, N) in-sample one-step errors (needed by ``wls_var``/``mint_shrink``).

    Returns
    -------
    reconciled, reconciled_var : (N,); the variance is ``diag(P Sigma P')`` with
    ``Sigma`` the base forecasts' covariance (their variances and the error
    correlation implied by ``W``).
    lambda : the shrinkage intensity (NaN unless ``mint_shrink``).
    """
    n_agg, _n_bot = shares.shape
    n = base.size
    lam = float("nan")
    sd_h = np.sqrt(base_var)
    # the covariance of the base forecasts, as diag + low rank
    if method in ("mint_shrink", "wls_var") and errors is not None:
        t = errors.shape[0]
        if method == "mint_shrink":
            lam, var = shrinkage_lambda(errors)
            shrink = lam
        else:
            var = np.mean(errors**2, axis=0)
            shrink = 1.0
        positive = var[var > 0]
        var = np.where(var > 0, var, float(positive.mean()) if positive.size else 1.0)
        w = _DiagLowRank(shrink * var, np.sqrt((1.0 - shrink) / t) * errors.T)
        corr_u = np.sqrt((1.0 - shrink) / t) * (errors / np.sqrt(var)).T
        sigma = _DiagLowRank(shrink * base_var, sd_h[:, None] * corr_u)
    else:  # OLS, or no errors to estimate W from: W = diag(base variances)
        wd = np.ones(n) if method == "ols" else base_var.copy()
        w = _DiagLowRank(wd, np.zeros((n, 0)))
        sigma = _DiagLowRank(base_var.copy(), np.zeros((n, 0)))
    if method == "bottom_up":
        bot = base[n_agg:]
        rec = np.concatenate([shares @ bot, bot])
        u_b = sigma.u[n_agg:]
        agg_var = (shares**2) @ sigma.d[n_agg:] + np.sum((shares @ u_b) ** 2, axis=1)
        return rec, np.concatenate([agg_var, sigma.diagonal()[n_agg:]]), lam
    ct = _constraint_t(shares, np.eye(n_agg))  # (N, n_agg)
    wct = w.times(ct)
    cwct = _constraint_times(shares, wct)
    gap = _constraint_times(shares, base[:, None])
    sol = np.linalg.solve(cwct, np.hstack([gap, wct.T]))
    rec = base - wct @ sol[:, 0]
    k = sol[:, 1:].T  # (N, n_agg): W C' (C W C')^-1
    sct = sigma.times(ct)
    csct = _constraint_times(shares, sct)
    rec_var = sigma.diagonal() - 2.0 * np.sum(k * sct, axis=1) + np.sum((k @ csct) * k, axis=1)
    return rec, np.maximum(rec_var, 0.0), lam
