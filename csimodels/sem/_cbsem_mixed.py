"""Mixed continuous and ordinal items for CB-SEM: polyserial correlations and the joint Γ.

lavaan 0.6's two-step sample statistics when ``ordered=`` names only some of the
model's items (``muthen1984`` without covariates):

1. **Univariate step.** Each ordinal item's thresholds ``τ_jk = Φ⁻¹(P(y_j ≤ k))``;
   each continuous item's mean and variance (maximum likelihood: divisor N).
2. **Bivariate step.** Ordinal pairs: polychoric correlations
   (:mod:`._cbsem_ordinal`). Continuous pairs: the Pearson correlation. A continuous
   item ``y`` with an ordinal item ``z``: the two-step polyserial correlation
   (Olsson, Drasgow & Dorans 1982), the ρ that maximises
   ``Σ_i log[φ(Z_i)/σ · (Φ((τ_up − ρZ_i)/√(1−ρ²)) − Φ((τ_lo − ρZ_i)/√(1−ρ²)))]``,
   ``Z = (y − ȳ)/σ``, with the step-1 values held fixed and ρ kept in ±0.995 (cases
   whose likelihood is below √ε are left out of the sum, as lavaan does).
3. **Γ.** N times the asymptotic covariance of the stacked statistics (thresholds
   and means in item order, the continuous items' variances, then the pairs in
   lavaan's order) from the casewise scores of every estimating equation, ``A⁻¹ B
   A⁻ᵀ`` with lavaan's block-triangular ``A`` (cross-products of scores), then carried
   from correlations to the covariance scale (``H Γ H'``: a continuous item's
   covariances are ρ σ_i σ_j and its polyserials ρ σ_i).

lavaan stores the continuous items' *negative* means among its thresholds; here the
means are kept with their sign (the Γ rows and columns of the means differ from
lavaan's by a factor −1).

References
----------
Olsson, U., Drasgow, F. & Dorans, N. J. (1982). The polyserial correlation
coefficient. *Psychometrika* 47, 337–347.
Muthén, B. (1984). A general structural equation model with dichotomous, ordered
categorical, and continuous latent variable indicators. *Psychometrika* 49, 115–132.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from csimodels.errors import DataValidationError, format_offenders
from csimodels.sem import _cbsem_ordinal as ordm

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

__all__ = ["POLYSERIAL_BOUND", "mixed_moments"]

#: Polyserial correlations are bounded to ±POLYSERIAL_BOUND (lavaan's bound).
POLYSERIAL_BOUND = 0.995
_EPS = float(np.finfo(float).eps)
_SQRT_EPS = math.sqrt(_EPS)
#: lavaan's stand-in for the infinite outer boundaries of the first and last category
_OUTER = 100.0


def _phi(x: FloatArray) -> FloatArray:
    from scipy import special

    return np.asarray(special.ndtr(x), dtype=np.float64)


def _dens(x: FloatArray) -> FloatArray:
    return np.asarray(np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi), dtype=np.float64)


class _Polyserial:
    """Every (continuous, ordinal) pair at once: arrays are (n, pairs)."""

    def __init__(
        self,
        z: FloatArray,
        up: FloatArray,
        lo: FloatArray,
        dens_y: FloatArray,
        weights: FloatArray | None = None,
    ) -> None:
        self.z = z
        self.up = up
        self.lo = lo
        self.dens_y = dens_y  # φ(Z)/σ: the continuous item's density
        #: (n, 1) sampling weights of the cases (lavaan: Σ w log L), or 1
        self.w: FloatArray | float = 1.0 if weights is None else weights[:, None]

    def _parts(self, rho: FloatArray) -> tuple[FloatArray, ...]:
        r = np.sqrt(1.0 - rho * rho)
        t1 = (self.up - rho * self.z) / r
        t2 = (self.lo - rho * self.z) / r
        py = np.maximum(_phi(t1) - _phi(t2), _EPS)
        return r, t1, t2, py

    def loglik(self, rho: FloatArray) -> tuple[FloatArray, NDArray[np.bool_]]:
        """Per pair: Σ log of the included cases' conditional probabilities, and the
        inclusion mask (lavaan drops cases whose joint likelihood is below √ε)."""
        _, _, _, py = self._parts(rho)
        lik = self.dens_y * py
        keep = lik >= _SQRT_EPS
        terms = np.where(keep, np.log(np.where(keep, lik, 1.0)), 0.0)
        return (self.w * terms).sum(axis=0), keep

    def derivatives(self, rho: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Gradient and Hessian of the log-likelihood in ρ (lavaan's formulas)."""
        r, t1, t2, py = self._parts(rho)
        keep = self.dens_y * py >= _SQRT_EPS
        f1, f2 = _dens(t1), _dens(t2)
        inv_r3 = 1.0 / (py * r**3)
        d1 = self.up * rho - self.z
        d2 = self.lo * rho - self.z
        dx = inv_r3 * (f1 * d1 - f2 * d2)
        r2 = r * r
        u1 = self.z - rho * t1 / r
        u2 = self.z - rho * t2 / r
        tmp = f1 * (d1 * (3 * rho / r2 + t1 * u1 / r) + self.up + dx * r2 * u1) - f2 * (
            d2 * (3 * rho / r2 + t2 * u2 / r) + self.lo + dx * r2 * u2
        )
        grad = (self.w * np.where(keep, dx, 0.0)).sum(axis=0)
        hess = (self.w * np.where(keep, tmp * inv_r3, 0.0)).sum(axis=0)
        return grad, hess


def _fit_polyserial(ps: _Polyserial, start: FloatArray) -> tuple[FloatArray, bool]:
    """Newton's method with step halving on every pair at once, ρ in ±0.995."""

    def newton(rho: FloatArray) -> FloatArray:
        grad, hess = ps.derivatives(rho)
        ok = hess < 0
        return np.asarray(
            np.where(ok, -grad / np.where(ok, hess, -1.0), 0.01 * np.sign(grad)),
            dtype=np.float64,
        )

    return ordm.maximise_each(
        lambda r: ps.loglik(r)[0],
        newton,
        np.clip(start, -POLYSERIAL_BOUND, POLYSERIAL_BOUND),
        bound=POLYSERIAL_BOUND,
        tol=1e-13,
        halvings=40,
        rel=1e-13,
    )


def mixed_moments(
    x: FloatArray,
    items: list[str],
    numeric: list[bool],
    scales: dict[str, tuple[float, float]] | None = None,
    weights: FloatArray | None = None,
) -> ordm.OrdinalMoments:
    """Thresholds, means, variances, polychoric / polyserial / Pearson correlations and
    their joint asymptotic covariance Γ (lavaan's two-step estimator).

    Parameters
    ----------
    x : array (n, p)
        Complete answers (ordinal items integer-coded).
    items : list of str
        Column names.
    numeric : list of bool
        True for each continuous item (at least one item must be ordinal).
    scales : dict, optional
        Declared (min, max) of the ordinal items, to report unused categories.
    weights : array (n,), optional
        Sampling weights on lavaan's scale (summing to the group's share of N): every
        statistic is its weighted maximum-likelihood estimate (weighted means and
        variances with divisor Σ w, weighted tables, weighted log-likelihoods) and Γ
        comes from the weighted casewise scores (lavaan's ``sampling.weights``).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> z = rng.multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], size=3000)
    >>> x = np.column_stack([z[:, 0], np.digitize(z[:, 1], [-0.5, 0.5])])
    >>> m = mixed_moments(x, ["y", "z"], [True, False])
    >>> bool(abs(m.correlation[0, 1] - 0.6) < 0.05)
    True
    """
    n, p = x.shape
    num = np.asarray(numeric, dtype=bool)
    ord_idx = np.flatnonzero(~num)
    num_idx = np.flatnonzero(num)
    ord_items = [items[j] for j in ord_idx]
    coded = ordm.code_items(x[:, ord_idx], ord_items, scales or {})
    codes = coded.codes
    n_cat = [len(lv) for lv in coded.levels]
    tau_ord = ordm.thresholds(codes, n_cat, weights, ord_items)
    wv = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    w_sum = float(wv.sum())
    mean = wv @ x[:, num_idx] / w_sum
    var = wv @ ((x[:, num_idx] - mean) ** 2) / w_sum
    constant = [items[j] for j, v in zip(num_idx, var, strict=True) if not v > 0]
    if constant:
        raise DataValidationError(
            f"continuous item {format_offenders(constant)} has no variance (every answer "
            "is the same): it has no correlation with other items; drop it"
        )
    sd = np.sqrt(var)
    # -- the univariate blocks in item order -------------------------------------------
    where_ord = {int(j): k for k, j in enumerate(ord_idx)}
    where_num = {int(j): k for k, j in enumerate(num_idx)}
    tau: list[FloatArray] = []
    names: list[str] = []
    for j in range(p):
        if num[j]:
            tau.append(np.array([mean[where_num[j]]]))
            names.append(f"{items[j]}~1")
        else:
            t = tau_ord[where_ord[j]]
            tau.append(t)
            names.extend(f"{items[j]}|t{k + 1}" for k in range(t.size))
    sizes = [t.size for t in tau]
    th_start = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    n_th = int(th_start[-1])
    n_num = int(num_idx.size)
    var_col = {int(j): n_th + k for k, j in enumerate(num_idx)}
    first, second = np.triu_indices(p, 1)
    npairs = first.size
    pair_pos = np.full((p, p), -1, dtype=np.int64)
    pair_pos[first, second] = np.arange(npairs)
    pair_pos[second, first] = np.arange(npairs)
    size = n_th + n_num + npairs
    sc = np.zeros((n, size))
    a21 = np.zeros((npairs, n_th + n_num))
    h21 = np.zeros((npairs, n_th + n_num))
    h22 = np.ones(npairs)
    corr = np.eye(p)
    # -- univariate scores ------------------------------------------------------------
    resid = x[:, num_idx] - mean
    for k, j in enumerate(num_idx.tolist()):
        sc[:, th_start[j]] = resid[:, k] / var[k]
        sc[:, var_col[int(j)]] = -1.0 / (2 * var[k]) + resid[:, k] ** 2 / (2 * var[k] ** 2)
    # -- ordinal pairs: polychorics ---------------------------------------------------
    pairs, rho_o, converged, adjusted, empty = ordm.polychorics(
        codes, tau_ord, n_cat, ord_items, weights
    )
    if ord_idx.size:
        sc_th, sc_cor, a21_o = ordm.ordinal_scores(codes, tau_ord, pairs, rho_o)
        # map the ordinal-only layout to the joint one
        th_map = np.concatenate(
            [
                th_start[j] + np.arange(tau_ord[where_ord[j]].size)
                for j in ord_idx.tolist()
                if tau_ord[where_ord[j]].size
            ]
        ).astype(np.intp)
        sc[:, th_map] = sc_th
        for q in range(pairs.first.size):
            a, b = int(ord_idx[pairs.first[q]]), int(ord_idx[pairs.second[q]])
            pos = int(pair_pos[a, b])
            corr[a, b] = corr[b, a] = rho_o[q]
            sc[:, n_th + n_num + pos] = sc_cor[:, q]
            a21[pos, th_map] = a21_o[q]
    # -- continuous pairs: Pearson ----------------------------------------------------
    for a_k in range(n_num):
        for b_k in range(a_k + 1, n_num):
            i, j = int(num_idx[a_k]), int(num_idx[b_k])
            y1, y2 = resid[:, a_k], resid[:, b_k]
            e1, e2 = var[a_k], var[b_k]
            s1, s2 = sd[a_k], sd[b_k]
            rho = float(wv @ (y1 * y2) / w_sum / (s1 * s2))
            corr[i, j] = corr[j, i] = rho
            rr = 1.0 - rho * rho
            d_mu1 = (2 * y1 / e1 - 2 * rho * y2 / (s1 * s2)) / (2 * rr)
            d_mu2 = -(2 * rho * y1 / (s1 * s2) - 2 * y2 / e2) / (2 * rr)
            d_v1 = -(0.5 / e1 - (y1 * y1 / (e1 * e1) - rho * y1 * y2 / (e1 * s1 * s2)) / (2 * rr))
            d_v2 = -(0.5 / e2 + (rho * y1 * y2 / (e2 * s1 * s2) - y2 * y2 / (e2 * e2)) / (2 * rr))
            zz = y1 * y1 / e1 - 2 * rho * y1 * y2 / (s1 * s2) + y2 * y2 / e2
            d_rho = rho / rr + (y1 * y2 / (s1 * s2 * rr) - zz * rho / (rr * rr))
            pos = int(pair_pos[i, j])
            sc[:, n_th + n_num + pos] = d_rho
            wd = wv * d_rho
            a21[pos, th_start[i]] = wd @ d_mu1
            a21[pos, th_start[j]] = wd @ d_mu2
            a21[pos, var_col[i]] = wd @ d_v1
            a21[pos, var_col[j]] = wd @ d_v2
            h21[pos, var_col[i]] = s2 * rho / (2 * s1)
            h21[pos, var_col[j]] = s1 * rho / (2 * s2)
            h22[pos] = s1 * s2
    # -- continuous x ordinal pairs: polyserial ---------------------------------------
    mix = [(int(c), int(o)) for c in num_idx for o in ord_idx]
    at_bound: list[tuple[str, str]] = []
    if mix:
        cc = np.array([where_num[c] for c, _ in mix])
        oo = np.array([where_ord[o] for _, o in mix])
        z = resid[:, cc] / sd[cc]
        kmax = max(n_cat)
        up_tab = np.full((len(ord_idx), kmax), _OUTER)
        lo_tab = np.full((len(ord_idx), kmax), -_OUTER)
        for k, t in enumerate(tau_ord):
            up_tab[k, : t.size] = t
            lo_tab[k, 1 : t.size + 1] = t
        cat = codes[:, oo]  # (n, pairs)
        up = up_tab[oo[None, :], cat]
        lo = lo_tab[oo[None, :], cat]
        ps = _Polyserial(z, up, lo, _dens(z) / sd[cc], weights)
        y_ord = codes[:, oo].astype(np.float64)
        r0 = np.array(
            [
                np.corrcoef(x[:, c], y_ord[:, q])[0, 1]
                * y_ord[:, q].std()
                / float(_dens(tau_ord[where_ord[o]]).sum())
                for q, (c, o) in enumerate(mix)
            ]
        )
        r0 = np.where(np.isfinite(r0), r0, 0.0)
        r0 = np.where(np.abs(r0) > 0.9, r0 / 2, r0)
        rho_m, ok = _fit_polyserial(ps, r0)
        converged = converged and ok
        r, t1, t2, py = ps._parts(rho_m)
        f1, f2 = _dens(t1), _dens(t2)
        diff = f1 - f2
        d_mu = (z + (rho_m / r) * diff / py) / sd[cc]
        d_var = ((z * z - 1.0) + (rho_m * z / r) * diff / py) / (2 * var[cc])
        d_rho = (f1 * (up * rho_m - z) - f2 * (lo * rho_m - z)) / (py * r**3)
        for q, (c, o) in enumerate(mix):
            pos = int(pair_pos[c, o])
            corr[c, o] = corr[o, c] = rho_m[q]
            sc[:, n_th + n_num + pos] = d_rho[:, q]
            wd = wv * d_rho[:, q]
            a21[pos, th_start[c]] = wd @ d_mu[:, q]
            a21[pos, var_col[c]] = wd @ d_var[:, q]
            nt = tau_ord[where_ord[o]].size
            for k in range(nt):
                d_th = ((cat[:, q] == k) * f1[:, q] - (cat[:, q] == k + 1) * f2[:, q]) / (
                    r[q] * py[:, q]
                )
                a21[pos, th_start[o] + k] = wd @ d_th
            h21[pos, var_col[c]] = rho_m[q] / (2 * sd[where_num[c]])
            h22[pos] = sd[where_num[c]]
            if abs(rho_m[q]) >= POLYSERIAL_BOUND - 1e-9:
                at_bound.append((items[c], items[o]))
    # -- Γ ------------------------------------------------------------------------------
    inner, cross, total = ordm.score_products(sc, weights)
    m1 = n_th + n_num
    blocks = []
    for j in range(p):
        block = list(range(int(th_start[j]), int(th_start[j + 1])))
        if num[j]:
            block.append(var_col[j])
        blocks.append(block)
    w = ordm.sandwich_blocks(inner, cross, blocks, a21)
    h = np.eye(size)
    h[m1:, :m1] = h21
    h[m1:, m1:] = np.diag(h22)
    gamma = total * (h @ w @ h.T)
    sds = np.ones(p)
    sds[num_idx] = sd
    cov = corr * np.outer(sds, sds)
    for a, b in [(i, j) for i in range(p) for j in range(i + 1, p)]:
        if not num[a] and not num[b] and abs(corr[a, b]) >= ordm.RHO_BOUND - 1e-9:
            at_bound.append((items[a], items[b]))
    levels: list[list[float]] = [[] if num[j] else coded.levels[where_ord[j]] for j in range(p)]
    return ordm.OrdinalMoments(
        items=list(items),
        n=n,
        levels=levels,
        thresholds=tau,
        threshold_names=names,
        correlation=corr,
        gamma=np.asarray(gamma, dtype=np.float64),
        empty_cells=empty,
        adjusted=adjusted,
        unobserved=coded.unobserved,
        at_bound=at_bound,
        converged=converged,
        numeric=[bool(v) for v in num],
        covariance=cov,
    )
