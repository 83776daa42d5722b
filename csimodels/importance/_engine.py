"""Numerical engine of driver analysis: plain ndarrays in, ndarrays out.

Every function takes a leading batch axis (bootstrap resamples), so that the point
estimate and all resamples go through the same vectorised code. Nothing here imports
pandas or pydantic, prints or warns; the public layer turns flags into notes.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

# Upper bound on the elements of one temporary array (about 32 MB of float64).
_CHUNK_ELEMENTS = 4_000_000


# -- moments ---------------------------------------------------------------------------
def batched_correlations(x: FloatArray, freq: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Weighted correlation matrices of the columns of ``x`` for each row of ``freq``.

    Parameters
    ----------
    x : (n, q) array
        Answers; NaN marks a missing answer (each pair then uses its complete rows).
    freq : (B, n) array
        Non-negative frequency weights per batch member (respondent weight times the
        number of times a respondent is drawn in a bootstrap resample).

    Returns
    -------
    corr : (B, q, q) array
        Pearson correlations (NaN where a column has no variance in a batch member).
    var : (B, q) array
        Variances of each column on its own valid rows (divided by the total weight;
        only ratios of them are used).
    """
    centre = np.nanmean(x, axis=0) if np.isnan(x).any() else x.mean(axis=0)
    complete = not np.isnan(x).any()
    return correlations_from_sums(correlation_sums(x, freq, centre, pairwise=not complete))


def correlation_sums(
    x: FloatArray, freq: FloatArray, centre: FloatArray, *, pairwise: bool
) -> dict[str, FloatArray]:
    """The weighted sums behind :func:`batched_correlations`, about ``centre`` (additive
    over rows: the sums of two row blocks are the sums of their union).

    Complete data (``pairwise=False``): ``total`` (B,), ``s1`` (B, q), ``s2`` (B, q²).
    Pairwise: ``w_pair``, ``s_x``, ``s_xx``, ``s_xy``, each (B, q²).
    """
    n, q = x.shape
    xc = x - centre
    b = freq.shape[0]
    rows = max(1, _CHUNK_ELEMENTS // max(q * q, 1))
    if not pairwise:
        s2 = np.zeros((b, q * q))
        for start in range(0, n, rows):
            xs = xc[start : start + rows]
            s2 += freq[:, start : start + rows] @ (xs[:, :, None] * xs[:, None, :]).reshape(
                -1, q * q
            )
        return {"total": freq.sum(axis=1), "s1": freq @ xc, "s2": s2}
    valid = ~np.isnan(xc)
    x0 = np.where(valid, xc, 0.0)
    v = valid.astype(np.float64)
    w_pair = np.zeros((b, q * q))
    s_x = np.zeros((b, q * q))
    s_xx = np.zeros((b, q * q))
    s_xy = np.zeros((b, q * q))
    for start in range(0, n, rows):
        sl = slice(start, start + rows)
        xs, vs, fs = x0[sl], v[sl], freq[:, sl]
        w_pair += fs @ (vs[:, :, None] * vs[:, None, :]).reshape(-1, q * q)
        s_x += fs @ (xs[:, :, None] * vs[:, None, :]).reshape(-1, q * q)
        s_xx += fs @ ((xs**2)[:, :, None] * vs[:, None, :]).reshape(-1, q * q)
        s_xy += fs @ (xs[:, :, None] * xs[:, None, :]).reshape(-1, q * q)
    return {"w_pair": w_pair, "s_x": s_x, "s_xx": s_xx, "s_xy": s_xy}


def correlations_from_sums(sums: dict[str, FloatArray]) -> tuple[FloatArray, FloatArray]:
    """Correlations and variances (as :func:`batched_correlations`) from its sums."""
    if "total" in sums:
        total, s1, s2 = sums["total"], sums["s1"], sums["s2"]
        b, q = s1.shape
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = s1 / total[:, None]
            cov = s2.reshape(b, q, q) / total[:, None, None] - mean[:, :, None] * mean[:, None, :]
            var = np.diagonal(cov, axis1=1, axis2=2).copy()
            var = np.where(var > 0, var, 0.0)
            sd = np.sqrt(var)
            corr = cov / (sd[:, :, None] * sd[:, None, :])
    else:
        b = sums["w_pair"].shape[0]
        q = math.isqrt(sums["w_pair"].shape[1])
        w3 = sums["w_pair"].reshape(b, q, q)
        sx = sums["s_x"].reshape(b, q, q)
        sxx = sums["s_xx"].reshape(b, q, q)
        sxy = sums["s_xy"].reshape(b, q, q)
        sy = np.swapaxes(sx, 1, 2)
        syy = np.swapaxes(sxx, 1, 2)
        with np.errstate(invalid="ignore", divide="ignore"):
            mx, my = sx / w3, sy / w3
            cov = sxy / w3 - mx * my
            vx = np.maximum(sxx / w3 - mx**2, 0.0)
            vy = np.maximum(syy / w3 - my**2, 0.0)
            corr = cov / np.sqrt(vx * vy)
            var = np.diagonal(vx, axis1=1, axis2=2).copy()
    idx = np.arange(q)
    diag_ok = var > 0
    corr[:, idx, idx] = np.where(diag_ok, 1.0, np.nan)
    return corr, var


def pairwise_counts(x: FloatArray) -> IntArray:
    """Unweighted number of rows where both columns are answered, (q, q)."""
    v = (~np.isnan(x)).astype(np.int64)
    return np.asarray(v.T @ v, dtype=np.int64)


# -- importance measures ---------------------------------------------------------------
def usable(rxx: FloatArray, rxy: FloatArray, *, tol: float = 1e-10) -> BoolArray:
    """Batch members whose predictor correlation matrix is finite and non-singular."""
    finite: BoolArray = np.asarray(
        np.isfinite(rxx).all(axis=(1, 2)) & np.isfinite(rxy).all(axis=1), dtype=np.bool_
    )
    safe = np.where(finite[:, None, None], rxx, np.eye(rxx.shape[1]))
    lam = np.linalg.eigvalsh(safe)
    positive = np.asarray(lam[:, 0] > tol, dtype=np.bool_)
    return np.asarray(np.asarray(finite, dtype=np.bool_) & positive, dtype=np.bool_)


def standardized_coefficients(rxx: FloatArray, rxy: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Standardised regression coefficients and R², (B, p) and (B,)."""
    beta = np.asarray(np.linalg.solve(rxx, rxy[..., None])[..., 0], dtype=np.float64)
    return beta, np.asarray(np.einsum("bp,bp->b", beta, rxy), dtype=np.float64)


def johnson_weights(rxx: FloatArray, rxy: FloatArray) -> FloatArray:
    """Johnson's (2000) relative weights, (B, p); each row sums to R².

    With ``Rxx = V diag(λ) Vᵀ``, ``Λ = V diag(√λ) Vᵀ`` relates the predictors to
    their closest orthonormal counterparts Z; ``β* = Λ⁻¹ rxy`` regresses the criterion
    on Z and ``ε_j = Σ_k Λ_jk² β*_k²``.
    """
    lam, vec = np.linalg.eigh(rxx)
    root = np.sqrt(np.clip(lam, 0.0, None))
    half = (vec * root[:, None, :]) @ np.swapaxes(vec, 1, 2)
    inv_half = (vec / root[:, None, :]) @ np.swapaxes(vec, 1, 2)
    beta_star = np.einsum("bij,bj->bi", inv_half, rxy)
    return np.asarray(np.einsum("bjk,bk->bj", half**2, beta_star**2), dtype=np.float64)


def subset_r2(rxx: FloatArray, rxy: FloatArray) -> FloatArray:
    """R² of the regression on every subset of predictors, (B, 2**p).

    Column ``m`` holds the R² of the subset whose members are the set bits of ``m``
    (bit j = predictor j); column 0 is the empty model (R² = 0). Subsets of one size
    are solved together as a stack of k × k systems, in chunks of bounded memory.
    """
    b, p = rxy.shape
    n_sub = 1 << p
    out = np.zeros((b, n_sub))
    masks = np.arange(n_sub, dtype=np.int64)
    bits = ((masks[:, None] >> np.arange(p, dtype=np.int64)) & 1).astype(bool)
    size = bits.sum(axis=1)
    for k in range(1, p + 1):
        members = masks[size == k]
        idx = np.nonzero(bits[members])[1].reshape(-1, k)
        if k == 1:
            out[:, members] = rxy[:, idx[:, 0]] ** 2
            continue
        chunk = max(1, _CHUNK_ELEMENTS // (b * k * k))
        for start in range(0, members.size, chunk):
            ii = idx[start : start + chunk]
            sub = rxx[:, ii[:, :, None], ii[:, None, :]]
            r = rxy[:, ii]
            sol = np.linalg.solve(sub, r[..., None])[..., 0]
            out[:, members[start : start + chunk]] = np.einsum("bck,bck->bc", sol, r)
    return out


def lmg_from_subsets(r2: FloatArray, p: int) -> FloatArray:
    """LMG / Shapley shares of R² from the R² of all subsets, (B, p).

    ``LMG_j = Σ_{S ⊆ P∖{j}} |S|! (p − |S| − 1)! / p! · (R²(S ∪ {j}) − R²(S))``.
    """
    masks = np.arange(1 << p, dtype=np.int64)
    size = np.zeros(masks.size, dtype=np.int64)
    for j in range(p):
        size += (masks >> j) & 1
    weight = np.array(
        [math.factorial(s) * math.factorial(p - s - 1) / math.factorial(p) for s in range(p)]
    )
    out = np.empty((r2.shape[0], p))
    for j in range(p):
        without = masks[((masks >> j) & 1) == 0]
        gain = r2[:, without | (1 << j)] - r2[:, without]
        out[:, j] = gain @ weight[size[without]]
    return out


def lmg_exact(rxx: FloatArray, rxy: FloatArray) -> FloatArray:
    """Exact LMG / Shapley decomposition of R², (B, p), batched in bounded memory."""
    b, p = rxy.shape
    per_member = 1 << p
    step = max(1, _CHUNK_ELEMENTS // per_member)
    out = np.empty((b, p))
    for start in range(0, b, step):
        sl = slice(start, start + step)
        out[sl] = lmg_from_subsets(subset_r2(rxx[sl], rxy[sl]), p)
    return out


def lmg_sampled(
    rxx: FloatArray, rxy: FloatArray, n_permutations: int, rng: np.random.Generator
) -> FloatArray:
    """Monte Carlo LMG: average R² increments over random orderings, (B, p).

    Each ordering is processed with the sweep operator on the joint correlation matrix
    of predictors and criterion, vectorised over orderings; the same orderings are used
    for every batch member.
    """
    b, p = rxy.shape
    perms = np.argsort(rng.random((n_permutations, p)), axis=1)
    out = np.empty((b, p))
    rows = np.arange(n_permutations)
    for i in range(b):
        joint = np.empty((p + 1, p + 1))
        joint[:p, :p] = rxx[i]
        joint[:p, p] = joint[p, :p] = rxy[i]
        joint[p, p] = 1.0
        sigma = np.broadcast_to(joint, (n_permutations, p + 1, p + 1)).copy()
        total = np.zeros((n_permutations, p))
        before = np.zeros(n_permutations)
        for t in range(p):
            k = perms[:, t]
            pivot = sigma[rows, k, k]
            col = sigma[rows, :, k]
            sigma -= col[:, :, None] * col[:, None, :] / pivot[:, None, None]
            after = 1.0 - sigma[:, p, p]
            total[rows, k] = after - before
            before = after
        out[i] = total.mean(axis=0)
    return out


def inverse_diagonal(rxx: FloatArray) -> FloatArray:
    """Diagonal of the inverse correlation matrix (the variance inflation factors)."""
    return np.asarray(np.diagonal(np.linalg.inv(rxx), axis1=1, axis2=2), dtype=np.float64)


def bootstrap_frequencies(
    n: int, base: FloatArray, n_resamples: int, rng: np.random.Generator
) -> FloatArray:
    """Frequency weights of ``n_resamples`` bootstrap resamples of ``n`` rows, (B, n).

    Row i of resample b gets ``base[i]`` times the number of times it was drawn.
    """
    return bootstrap_counts(n, n_resamples, rng) * base[None, :]


def bootstrap_counts(n: int, n_resamples: int, rng: np.random.Generator) -> FloatArray:
    """How often each of ``n`` rows is drawn in each of ``n_resamples`` resamples, (B, n)."""
    draws = rng.integers(0, n, size=(n_resamples, n))
    offsets = np.arange(n_resamples, dtype=np.int64)[:, None] * n
    counts = np.bincount((draws + offsets).ravel(), minlength=n_resamples * n)
    return np.asarray(counts.reshape(n_resamples, n), dtype=np.float64)
