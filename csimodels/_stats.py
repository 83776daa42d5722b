"""Weighted descriptive statistics on ndarrays, shared by every module.

Weights are relative (sampling) weights: they are rescaled to sum to the number of
valid answers, so multiplying all weights by a constant changes nothing and unit
weights give the usual unweighted statistics (sample variance with n − 1, adjusted
Fisher–Pearson skewness as pandas computes it).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]


def _valid(x: FloatArray, w: FloatArray | None) -> tuple[FloatArray, FloatArray]:
    mask = ~np.isnan(x)
    xv = x[mask]
    wv = np.ones_like(xv) if w is None else w[mask]
    total = wv.sum()
    if xv.size and total > 0:
        wv = wv * (xv.size / total)
    return xv, wv


def weighted_mean(x: FloatArray, w: FloatArray | None = None) -> float:
    """Mean of the non-missing values of ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> weighted_mean(np.array([1.0, 3.0, np.nan]), np.array([1.0, 3.0, 1.0]))
    2.5
    """
    xv, wv = _valid(x, w)
    if xv.size == 0 or wv.sum() == 0:
        return float("nan")
    return float(np.dot(wv, xv) / wv.sum())


def weighted_var(x: FloatArray, w: FloatArray | None = None) -> float:
    """Sample variance (n − 1 denominator, n = number of valid answers).

    Examples
    --------
    >>> import numpy as np
    >>> round(weighted_var(np.array([1.0, 2.0, 4.0])), 6)
    2.333333
    """
    xv, wv = _valid(x, w)
    n = xv.size
    if n < 2:
        return float("nan")
    if np.ptp(xv) == 0:
        return 0.0
    m = np.dot(wv, xv) / wv.sum()
    return float(np.dot(wv, (xv - m) ** 2) / (n - 1))


def weighted_skew(x: FloatArray, w: FloatArray | None = None) -> float:
    """Adjusted Fisher–Pearson skewness G1 (as ``pandas.Series.skew``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> x = np.array([1.0, 2.0, 2.0, 5.0, 9.0])
    >>> bool(np.isclose(weighted_skew(x), pd.Series(x).skew()))
    True
    """
    xv, wv = _valid(x, w)
    n = xv.size
    if n < 3 or np.ptp(xv) == 0:
        return float("nan")
    m = np.dot(wv, xv) / n
    d = xv - m
    m2 = np.dot(wv, d**2) / n
    if m2 <= 0:
        return float("nan")
    m3 = np.dot(wv, d**3) / n
    g1 = m3 / m2**1.5
    return float(g1 * np.sqrt(n * (n - 1)) / (n - 2))


def weighted_quantile(x: FloatArray, q: float, w: FloatArray | None = None) -> float:
    """Quantile of the non-missing values (unweighted: as ``numpy.quantile``).

    With weights: the smallest value whose cumulative weight share reaches ``q``,
    averaging the two neighbours when it lands exactly on the boundary.

    Examples
    --------
    >>> import numpy as np
    >>> weighted_quantile(np.array([1.0, 2.0, 3.0, 4.0]), 0.5)
    2.5
    """
    xv, wv = _valid(x, w)
    if xv.size == 0:
        return float("nan")
    if w is None:
        return float(np.quantile(xv, q))
    order = np.argsort(xv, kind="stable")
    xs, ws = xv[order], wv[order]
    cum = np.cumsum(ws) / ws.sum()
    idx = int(np.searchsorted(cum, q - 1e-12))
    idx = min(idx, xs.size - 1)
    if np.isclose(cum[idx], q) and idx + 1 < xs.size:
        return float((xs[idx] + xs[idx + 1]) / 2)
    return float(xs[idx])


def weighted_cov(x: FloatArray, w: FloatArray | None = None) -> FloatArray:
    """Covariance matrix of the columns of ``x`` (no missing values allowed).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0, 2.0], [2.0, 4.5], [4.0, 7.0]])
    >>> bool(np.allclose(weighted_cov(x), np.cov(x, rowvar=False)))
    True
    """
    n = x.shape[0]
    wv = np.ones(n) if w is None else w * (n / w.sum())
    m = wv @ x / n
    d = x - m
    return np.asarray((d * wv[:, None]).T @ d / (n - 1), dtype=np.float64)


def weighted_ranks(x: FloatArray, w: FloatArray | None = None) -> FloatArray:
    """Weighted mid-ranks of ``x`` (NaN kept): weight below plus half the weight tied.

    With unit weights these are the usual average ranks minus 0.5, so correlations of
    ranks equal Spearman's rho.

    Examples
    --------
    >>> import numpy as np
    >>> weighted_ranks(np.array([3.0, 1.0, 3.0])).tolist()
    [2.0, 0.5, 2.0]
    """
    out = np.full(x.shape, np.nan)
    mask = ~np.isnan(x)
    xv = x[mask]
    wv = np.ones_like(xv) if w is None else w[mask]
    values, inverse = np.unique(xv, return_inverse=True)
    totals = np.bincount(inverse, weights=wv, minlength=values.size)
    below = np.concatenate(([0.0], np.cumsum(totals)[:-1]))
    out[mask] = (below + totals / 2)[inverse]
    return out


def weighted_corr_pairwise(x: FloatArray, w: FloatArray | None = None) -> FloatArray:
    """Pearson correlations of the columns of ``x``, each pair on its complete rows.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0, 2.0], [2.0, 4.5], [4.0, 7.0], [np.nan, 1.0]])
    >>> r = weighted_corr_pairwise(x)
    >>> bool(np.isclose(r[0, 1], np.corrcoef(x[:3].T)[0, 1]))
    True
    """
    k = x.shape[1]
    out = np.eye(k)
    valid = ~np.isnan(x)
    for i in range(k):
        for j in range(i + 1, k):
            both = valid[:, i] & valid[:, j]
            if both.sum() < 2:
                out[i, j] = out[j, i] = np.nan
                continue
            pair = x[both][:, [i, j]]
            cov = weighted_cov(pair, None if w is None else w[both])
            denom = np.sqrt(cov[0, 0] * cov[1, 1])
            out[i, j] = out[j, i] = cov[0, 1] / denom if denom > 0 else np.nan
    return out


def cronbach_alpha(x: FloatArray, w: FloatArray | None = None) -> float:
    """Cronbach's alpha of the columns of ``x`` (items), on the complete rows.

    ``α = k / (k − 1) · (1 − Σ_j s²_j / s²_X)`` with ``s²_j`` the item variances and
    ``s²_X`` the variance of the row sums (sample variances, weighted when ``w`` is
    given). Rows with any missing value are left out. NaN when there are fewer than
    two items or two complete rows, or when the sum score is constant.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0, 2.0], [2.0, 2.0], [3.0, 4.0]])
    >>> round(cronbach_alpha(x), 6)   # 2 * (1 - (1 + 4/3) / (13/3))
    0.923077
    """
    if x.ndim != 2 or x.shape[1] < 2:
        return float("nan")
    keep = ~np.isnan(x).any(axis=1)
    if w is not None:
        keep &= w > 0
    xc = x[keep]
    if xc.shape[0] < 2:
        return float("nan")
    cov = weighted_cov(xc, None if w is None else w[keep])
    total = float(cov.sum())
    if not total > 0:
        return float("nan")
    k = x.shape[1]
    return float(k / (k - 1) * (1.0 - float(np.trace(cov)) / total))


#: Multiple-comparison adjustments, by the name every family's ``p_adjust`` takes (the
#: names of ``statsmodels.stats.multitest.multipletests``).
P_ADJUST_METHODS: tuple[str, ...] = ("bonferroni", "fdr_bh", "holm", "none")


def adjust_p_values(p: NDArray[np.float64], method: str) -> NDArray[np.float64]:
    """Adjusted p-values over the finite entries of ``p`` (NaN entries are no tests).

    ``"holm"``: step-down Holm–Bonferroni; ``"bonferroni"``: ``min(1, m·p)``;
    ``"fdr_bh"``: Benjamini–Hochberg step-up; ``"none"``: unchanged. Equal to
    ``statsmodels.stats.multitest.multipletests(p, method=...)[1]`` on the finite
    entries (tested).

    Examples
    --------
    >>> import numpy as np
    >>> adjust_p_values(np.array([0.01, 0.04, np.nan, 0.03]), "holm").tolist()
    [0.03, 0.06, nan, 0.06]
    """
    if method not in P_ADJUST_METHODS:
        from csimodels.errors import InvalidParameterError

        raise InvalidParameterError(
            f"p_adjust={method!r} is not a multiple-comparison adjustment; choose one of "
            + ", ".join(repr(m) for m in P_ADJUST_METHODS)
        )
    out = np.array(p, dtype=np.float64, copy=True)
    ok = np.flatnonzero(np.isfinite(out))
    m = ok.size
    if method == "none" or m == 0:
        return out
    if method == "bonferroni":
        out[ok] = np.minimum(1.0, out[ok] * m)
        return out
    order = ok[np.argsort(out[ok], kind="stable")]
    ranked = out[order]
    if method == "holm":
        adj = np.maximum.accumulate((m - np.arange(m)) * ranked)
    else:  # fdr_bh
        adj = np.minimum.accumulate((ranked * m / np.arange(1, m + 1))[::-1])[::-1]
    out[order] = np.minimum(adj, 1.0)
    return out
