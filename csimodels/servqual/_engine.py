"""Private numerical engine of the SERVQUAL family: ndarrays in, ndarrays out.

Everything is vectorised over respondents (rows) and items (columns); nothing here
validates input (the public layer has done that) or knows about labels.

Weighted means use relative weights; the standard error of a weighted mean is the
linearisation (Taylor) estimate ``se² = n/(n−1) · Σ w_i² (x_i − x̄)² / (Σ w_i)²``,
which reduces to ``s²/n`` with unit weights, so the t statistic is then exactly the
paired t statistic.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from csimodels._stats import adjust_p_values

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class MeanStats:
    """Column-wise mean, standard error, interval and test against zero."""

    mean: FloatArray
    std_error: FloatArray
    ci_lower: FloatArray
    ci_upper: FloatArray
    statistic: FloatArray
    p_value: FloatArray
    n: NDArray[np.int64]


def column_means(x: FloatArray, w: FloatArray | None) -> FloatArray:
    """(Weighted) column means ignoring NaN."""
    if w is None and not np.isnan(x).any():
        return np.asarray(x.mean(axis=0), dtype=np.float64)
    valid = ~np.isnan(x)
    weight = valid.astype(np.float64) if w is None else valid * w[:, None]
    total = weight.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray((np.where(valid, x, 0.0) * weight).sum(axis=0) / total)


def mean_stats(
    x: FloatArray, w: FloatArray | None, level: float, *, test: bool = True
) -> MeanStats:
    """Per column: mean, linearisation SE, t interval, t test of mean = 0 (df = n − 1).

    ``x`` has shape (n, k); NaN cells are left out of their column only.
    """

    complete = not np.isnan(x).any()
    if complete:
        n = np.full(x.shape[1], x.shape[0], dtype=np.int64)
        if w is None:
            mean = x.mean(axis=0)
            ss = ((x - mean) ** 2).sum(axis=0)
            total = n.astype(np.float64)
            ssw = ss
        else:
            total = np.full(x.shape[1], w.sum())
            mean = (w @ x) / total
            ssw = (w**2) @ ((x - mean) ** 2)
    else:
        valid = ~np.isnan(x)
        n = valid.sum(axis=0).astype(np.int64)
        weight = valid.astype(np.float64) if w is None else valid * w[:, None]
        xz = np.where(valid, x, 0.0)
        total = weight.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = (xz * weight).sum(axis=0) / total
        d = np.where(valid, x - mean, 0.0)
        ssw = (weight**2 * d**2).sum(axis=0)
    return _finish_stats(mean, ssw, total, n, level, test=test)


def _finish_stats(
    mean: FloatArray,
    ssw: FloatArray,
    total: FloatArray,
    n: NDArray[np.int64],
    level: float,
    *,
    test: bool,
) -> MeanStats:
    """The linearisation SE, t interval and t test from a mean, ``Σ w² (x − x̄)²``, the
    total weight and the count (the last step of :func:`mean_stats`)."""
    from scipy import stats

    nf = n.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(nf / (nf - 1) * ssw) / total
        se = np.where(n >= 2, se, np.nan)
        dof = np.where(n >= 2, nf - 1, np.nan)
        crit = stats.t.ppf(0.5 + level / 2, dof)
        lo = mean - crit * se
        hi = mean + crit * se
        tstat = np.where(se > 0, mean / se, np.nan)
        p = np.where(se > 0, 2 * stats.t.sf(np.abs(tstat), dof), np.nan)
    if not test:
        tstat = np.full_like(mean, np.nan)
        p = np.full_like(mean, np.nan)
    return MeanStats(
        np.asarray(mean, dtype=np.float64),
        np.asarray(se, dtype=np.float64),
        np.asarray(lo, dtype=np.float64),
        np.asarray(hi, dtype=np.float64),
        np.asarray(tstat, dtype=np.float64),
        np.asarray(p, dtype=np.float64),
        n,
    )


def moment_sums(x: FloatArray, w: FloatArray | None) -> dict[str, FloatArray]:
    """Column sums (NaN cells left out) from which :func:`stats_from_sums` rebuilds
    :func:`mean_stats`, :func:`column_means` and weighted variances; additive over rows.

    Keys: ``n`` (answers), ``w``, ``wx``, ``wxx`` (weights, weighted sums of x and x²),
    ``w2``, ``w2x``, ``w2xx`` (the same with squared weights).
    """
    valid = ~np.isnan(x)
    xz = np.where(valid, x, 0.0)
    wv = valid.astype(np.float64) if w is None else valid * w[:, None]
    w2 = wv * wv
    return {
        "n": valid.sum(axis=0).astype(np.float64),
        "w": wv.sum(axis=0),
        "wx": (wv * xz).sum(axis=0),
        "wxx": (wv * xz * xz).sum(axis=0),
        "w2": w2.sum(axis=0),
        "w2x": (w2 * xz).sum(axis=0),
        "w2xx": (w2 * xz * xz).sum(axis=0),
    }


def means_from_sums(sums: dict[str, FloatArray]) -> FloatArray:
    """(Weighted) column means from :func:`moment_sums` (as :func:`column_means`)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(sums["wx"] / sums["w"], dtype=np.float64)


def stats_from_sums(sums: dict[str, FloatArray], level: float, *, test: bool = True) -> MeanStats:
    """:func:`mean_stats` of the rows that :func:`moment_sums` summed."""
    n = sums["n"].astype(np.int64)
    total = sums["w"]
    mean = means_from_sums(sums)
    with np.errstate(invalid="ignore"):
        ssw = np.maximum(sums["w2xx"] - 2 * mean * sums["w2x"] + mean**2 * sums["w2"], 0.0)
    return _finish_stats(mean, ssw, total, n, level, test=test)


def variances_from_sums(sums: dict[str, FloatArray]) -> FloatArray:
    """Weighted sample variances (weights rescaled to sum to n, divisor n − 1)."""
    n = sums["n"]
    mean = means_from_sums(sums)
    with np.errstate(invalid="ignore", divide="ignore"):
        biased = np.maximum(sums["wxx"] / sums["w"] - mean**2, 0.0)
        return np.asarray(np.where(n >= 2, biased * n / (n - 1), np.nan), dtype=np.float64)


def wilcoxon_columns(x: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Wilcoxon signed-rank test of each column against zero (scipy defaults: zeros
    dropped, normal approximation with tie correction for larger samples)."""
    from scipy import stats

    k = x.shape[1]
    statistic = np.full(k, np.nan)
    p = np.full(k, np.nan)
    for j in range(k):
        col = x[:, j]
        col = col[~np.isnan(col)]
        if np.count_nonzero(col) == 0:
            continue
        res = stats.wilcoxon(col)
        statistic[j] = float(res.statistic)
        p[j] = float(res.pvalue)
    return statistic, p


def adjust_p(p: FloatArray, method: str) -> FloatArray:
    """Multiple-comparison adjusted p-values: :func:`csimodels._stats.adjust_p_values`."""
    return adjust_p_values(p, method)


def dimension_scores(
    g: FloatArray, owner: NDArray[np.intp], n_dims: int
) -> tuple[FloatArray, NDArray[np.int64]]:
    """Each respondent's dimension score: the mean of the answered items of the dimension.

    Returns the scores (n, d) — NaN where a respondent answered no item of a
    dimension — and the number of items answered (n, d).
    """
    indicator = np.zeros((g.shape[1], n_dims))
    indicator[np.arange(g.shape[1]), owner] = 1.0
    valid = ~np.isnan(g)
    if valid.all():
        counts = np.broadcast_to(indicator.sum(axis=0), (g.shape[0], n_dims))
        return g @ (indicator / indicator.sum(axis=0)), counts.astype(np.int64)
    counts = valid.astype(np.float64) @ indicator
    sums = np.where(valid, g, 0.0) @ indicator
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = np.where(counts > 0, sums / counts, np.nan)
    return scores, counts.astype(np.int64)


def aggregate_weighted(
    scores: FloatArray, shares: FloatArray, w: FloatArray | None, level: float
) -> tuple[float, float, float, float, float, float]:
    """``Σ_d mean(share_d) · mean(score_d)`` with a linearisation (delta-method) SE.

    The influence value of respondent i is ``Σ_d [ḡ_d (s_id − s̄_d) + s̄_d (g_id − ḡ_d)]``;
    the SE is that of its (weighted) mean. Returns estimate, SE, CI, t and p.
    """
    from scipy import stats

    sbar = column_means(shares, w)
    gbar = column_means(scores, w)
    estimate = float(sbar @ gbar)
    influence = (shares - sbar) @ gbar + (scores - gbar) @ sbar
    st = mean_stats(influence[:, None], w, level)
    se = float(st.std_error[0])
    n = influence.shape[0]
    crit = float(stats.t.ppf(0.5 + level / 2, n - 1)) if n >= 2 else float("nan")
    t = estimate / se if se > 0 else float("nan")
    p = float(2 * stats.t.sf(abs(t), n - 1)) if se > 0 else float("nan")
    return estimate, se, estimate - crit * se, estimate + crit * se, t, p
