"""Engine: correlation matrices, SMCs, KMO/MSA, Bartlett's test, eigenvalues, MAP.

Plain ndarrays in and out; no pandas, no warnings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from csimodels._lazy import lazy_module

stats = lazy_module("scipy.stats")

FloatArray = NDArray[np.float64]


def weighted_correlation(
    x: FloatArray, w: FloatArray | None = None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Pearson correlations of the columns of ``x`` (complete rows), optionally weighted.

    Returns (correlation, means, standard deviations with n - 1, or the weighted
    analogue with frequency weights).
    """
    if w is None:
        mean = x.mean(axis=0)
        xc = x - mean
        cov = xc.T @ xc / (x.shape[0] - 1)
    else:
        total = w.sum()
        mean = (w @ x) / total
        xc = x - mean
        cov = (xc * w[:, None]).T @ xc / (total - 1.0)
    sd = np.sqrt(np.diag(cov))
    r = cov / np.outer(sd, sd)
    r = (r + r.T) / 2.0
    np.fill_diagonal(r, 1.0)
    return r, mean, sd


def smc(r: FloatArray) -> FloatArray:
    """Squared multiple correlations ``1 - 1/diag(R^-1)``, clipped to [0, 1] (as psych)."""
    inv = np.linalg.pinv(r, hermitian=True)
    out = 1.0 - 1.0 / np.diag(inv)
    return np.clip(out, 0.0, 1.0)


@dataclass(frozen=True)
class KMO:
    """Kaiser–Meyer–Olkin measure: overall and per item."""

    overall: float
    msa: FloatArray
    partial: FloatArray  # anti-image (partial) correlations, diagonal 1


def kmo(r: FloatArray) -> KMO:
    """KMO = Σr² / (Σr² + Σq²) over off-diagonal cells; q are partial correlations."""
    inv = np.linalg.inv(r)
    d = 1.0 / np.sqrt(np.diag(inv))
    q = -inv * np.outer(d, d)
    np.fill_diagonal(q, 1.0)
    r2 = r**2
    q2 = q**2
    np.fill_diagonal(r2, 0.0)
    np.fill_diagonal(q2, 0.0)
    sr, sq = r2.sum(), q2.sum()
    col_r, col_q = r2.sum(axis=0), q2.sum(axis=0)
    return KMO(float(sr / (sr + sq)), col_r / (col_r + col_q), q)


@dataclass(frozen=True)
class Bartlett:
    """Bartlett's test of sphericity."""

    chisq: float
    df: int
    p_value: float
    log_det: float


def bartlett(r: FloatArray, n: float) -> Bartlett:
    """χ² = −(n − 1 − (2p + 5)/6) · ln|R| on p(p − 1)/2 degrees of freedom."""
    p = r.shape[0]
    _sign, logdet = np.linalg.slogdet(r)
    chisq = -(n - 1.0 - (2.0 * p + 5.0) / 6.0) * logdet
    df = p * (p - 1) // 2
    return Bartlett(float(chisq), df, float(stats.chi2.sf(chisq, df)), float(logdet))


def correlation_p_values(r: FloatArray, n: float) -> FloatArray:
    """Two-sided p-values of the correlations (t = r√(n − 2)/√(1 − r²))."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t = r * np.sqrt((n - 2.0) / np.maximum(1.0 - r**2, 0.0))
        p = 2.0 * stats.t.sf(np.abs(t), n - 2.0)
    np.fill_diagonal(p, 0.0)
    return np.asarray(p, dtype=np.float64)


def map_test(r: FloatArray, max_factors: int) -> FloatArray:
    """Velicer's MAP: mean squared partial correlation after removing 1..m components.

    Returns an array of length ``max_factors`` (entry m-1 for m components), as
    psych::VSS's ``map``.
    """
    p = r.shape[0]
    values, vectors = np.linalg.eigh(r)
    order = np.argsort(values)[::-1]
    values, vectors = values[order], vectors[:, order]
    comp = vectors * np.sqrt(np.clip(values, 0.0, None))
    out = np.full(max_factors, np.nan)
    for m in range(1, min(max_factors, p - 1) + 1):
        c = r - comp[:, :m] @ comp[:, :m].T
        diag = np.diag(c)
        if np.any(diag <= 1e-12):
            break
        d = 1.0 / np.sqrt(diag)
        rs = c * np.outer(d, d)
        np.fill_diagonal(rs, 0.0)
        out[m - 1] = float((rs**2).sum() / (p * (p - 1)))
    return out


def eigenvalues(r: FloatArray) -> FloatArray:
    """Eigenvalues of a symmetric matrix, largest first."""
    return np.asarray(np.linalg.eigvalsh(r)[::-1], dtype=np.float64)


def reduced_eigenvalues(r: FloatArray) -> FloatArray:
    """Eigenvalues of R with the SMCs on the diagonal (common-factor eigenvalues)."""
    rr = r.copy()
    np.fill_diagonal(rr, smc(r))
    return eigenvalues(rr)


PARALLEL_BLOCK = 64
"""Draws per block of the parallel analysis; each block has its own child seed, so the
numbers depend on the seed only (not on how the work is batched)."""


def parallel_analysis(
    n: int,
    p: int,
    n_draws: int,
    seed: int,
) -> tuple[FloatArray, FloatArray]:
    """Eigenvalues of correlation matrices of n × p independent normal data.

    The sample covariance of n independent N(0, I) rows is Wishart(n − 1, I); it is drawn
    directly by Bartlett's decomposition (W = AA', A lower triangular with
    A_ii² ~ χ²(n − i), A_ij ~ N(0, 1)), so the cost does not grow with n. Draws are
    made in blocks of :data:`PARALLEL_BLOCK`, each from its own child of
    ``SeedSequence(seed)``. Returns (component eigenvalues, reduced-matrix eigenvalues
    with SMCs on the diagonal), each of shape (n_draws, p), largest first.
    """
    df = n - 1
    pcs = np.empty((n_draws, p))
    fas = np.empty((n_draws, p))
    tril = np.tril_indices(p, -1)
    diag = np.arange(p)
    chi_df = df - diag
    n_blocks = -(-n_draws // PARALLEL_BLOCK)
    children = np.random.SeedSequence(seed).spawn(n_blocks)
    for block, child in enumerate(children):
        rng = np.random.default_rng(child)
        start = block * PARALLEL_BLOCK
        b = min(PARALLEL_BLOCK, n_draws - start)
        a = np.zeros((b, p, p))
        a[:, diag, diag] = np.sqrt(rng.chisquare(chi_df, size=(b, p)))
        a[:, tril[0], tril[1]] = rng.standard_normal((b, tril[0].size))
        w = a @ np.transpose(a, (0, 2, 1))
        d = 1.0 / np.sqrt(np.einsum("bii->bi", w))
        rr = w * d[:, :, None] * d[:, None, :]
        pcs[start : start + b] = np.linalg.eigvalsh(rr)[:, ::-1]
        inv = np.linalg.inv(rr)
        s = np.clip(1.0 - 1.0 / np.einsum("bii->bi", inv), 0.0, 1.0)
        rr[:, diag, diag] = s
        fas[start : start + b] = np.linalg.eigvalsh(rr)[:, ::-1]
    return pcs, fas
