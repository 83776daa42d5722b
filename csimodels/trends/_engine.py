"""Engine of the trend monitor: cell statistics, control charts, p-value adjustment.

ndarrays in, ndarrays out: no pandas, no pydantic, no warnings (the public layer turns
the returned flags into warnings and notes).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from csimodels._stats import adjust_p_values

__all__ = [
    "CONTROL_CHARTS",
    "ZERO_SE",
    "adjust_p",
    "cell_stats",
    "chart",
    "cusum",
    "ewma",
    "shewhart",
]

FloatArray = NDArray[np.float64]


CONTROL_CHARTS: dict[str, str] = {
    "cusum": "tabular CUSUM: C+ = max(0, z - k + C+), C- = max(0, -z - k + C-), signal > h",
    "ewma": "EWMA: E = lambda z + (1 - lambda) E, signal outside +/- L sd(E)",
    "shewhart": "Shewhart: signal when |z| > L",
}
"""The control charts :class:`TrendMonitor` can run, with one-line definitions."""

ZERO_SE = 1e-9
"""A standard error (0-100 points, relative to the score) below this is treated as 0."""

D2 = 1.128  # E(range of two standard normals): the moving-range constant d2 for n = 2.

# -- engine: ndarrays in, ndarrays out -------------------------------------------------


def cell_stats(
    scores: FloatArray, weights: FloatArray | None, cells: NDArray[np.intp], n_cells: int
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Per-cell count, effective n, weighted mean and its linearised standard error.

    ``cells`` gives each respondent's cell (``-1``: none). NaN scores are ignored.
    Var(mean) = n/(n-1) * sum w_i^2 (x_i - m)^2 / (sum w_i)^2 (with unit weights s^2/n).
    """
    keep = (cells >= 0) & ~np.isnan(scores)
    if weights is not None:
        keep &= weights > 0
    c = cells[keep]
    x = scores[keep]
    w = np.ones_like(x) if weights is None else weights[keep]
    n = np.bincount(c, minlength=n_cells).astype(np.float64)
    sw = np.bincount(c, weights=w, minlength=n_cells)
    sw2 = np.bincount(c, weights=w * w, minlength=n_cells)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(c, weights=w * x, minlength=n_cells) / sw
        dev = x - mean[c]
        ss = np.bincount(c, weights=(w * dev) ** 2, minlength=n_cells)
        var = n / (n - 1) * ss / sw**2
        n_eff = sw**2 / sw2
    mean[n == 0] = np.nan
    # answers that are all equal give a variance of rounding noise (1e-28, not 0):
    # call it exactly zero, so that the public layer can say the statistic is undefined
    var[var <= (ZERO_SE * np.maximum(1.0, np.abs(mean))) ** 2] = 0.0
    var[n < 2] = np.nan
    n_eff[n == 0] = np.nan
    return n, n_eff, mean, np.sqrt(var)


def shewhart(z: FloatArray, width: float) -> tuple[FloatArray, FloatArray]:
    """Shewhart chart on standardised points: statistic and upper limit (rows: series)."""
    upper = np.where(np.isnan(z), np.nan, width)
    return z.copy(), upper


def ewma(z: FloatArray, lam: float, width: float, exact: bool) -> tuple[FloatArray, FloatArray]:
    """EWMA of standardised points, E_0 = 0, with exact or asymptotic limits.

    A missing point (NaN) leaves E unchanged and does not advance the step count.
    """
    m, t_max = z.shape
    stat = np.full((m, t_max), np.nan)
    upper = np.full((m, t_max), np.nan)
    e = np.zeros(m)
    count = np.zeros(m)
    asymptotic = math.sqrt(lam / (2.0 - lam))
    for t in range(t_max):
        zt = z[:, t]
        ok = ~np.isnan(zt)
        e = np.where(ok, lam * np.where(ok, zt, 0.0) + (1.0 - lam) * e, e)
        count = count + ok
        stat[ok, t] = e[ok]
        if exact:
            sd = asymptotic * np.sqrt(1.0 - (1.0 - lam) ** (2.0 * count[ok]))
        else:
            sd = np.full(int(ok.sum()), asymptotic)
        upper[ok, t] = width * sd
    return stat, upper


def cusum(z: FloatArray, k: float, h: float) -> tuple[FloatArray, FloatArray]:
    """Two-sided tabular CUSUM on standardised points: C+ and C- (both >= 0).

    A missing point (NaN) leaves both sums unchanged.
    """
    m, t_max = z.shape
    plus = np.full((m, t_max), np.nan)
    minus = np.full((m, t_max), np.nan)
    cp = np.zeros(m)
    cm = np.zeros(m)
    for t in range(t_max):
        zt = z[:, t]
        ok = ~np.isnan(zt)
        zz = np.where(ok, zt, 0.0)
        cp = np.where(ok, np.maximum(0.0, zz - k + cp), cp)
        cm = np.where(ok, np.maximum(0.0, -zz - k + cm), cm)
        plus[ok, t] = cp[ok]
        minus[ok, t] = cm[ok]
    return plus, minus


def chart(
    z: FloatArray,
    kind: str,
    *,
    ewma_lambda: float = 0.2,
    ewma_width: float = 3.0,
    ewma_exact: bool = True,
    cusum_k: float = 0.5,
    cusum_h: float = 5.0,
    shewhart_width: float = 3.0,
) -> tuple[FloatArray, FloatArray, FloatArray, NDArray[np.int8], FloatArray, FloatArray]:
    """Run one chart (rows: series): statistic, lower, upper, signal (-1/0/+1), C+, C-."""
    nan = np.full(z.shape, np.nan)
    plus = minus = nan
    if kind == "shewhart":
        stat, upper = shewhart(z, shewhart_width)
    elif kind == "ewma":
        stat, upper = ewma(z, ewma_lambda, ewma_width, ewma_exact)
    else:
        plus, minus = cusum(z, cusum_k, cusum_h)
        stat = np.where(plus >= minus, plus, -minus)
        upper = np.where(np.isnan(z), np.nan, cusum_h)
    lower = -upper
    if kind == "cusum":
        signal = np.where(
            plus > cusum_h,
            np.where((minus > cusum_h) & (minus > plus), -1, 1),
            np.where(minus > cusum_h, -1, 0),
        )
    else:
        signal = np.where(stat > upper, 1, np.where(stat < lower, -1, 0))
    return stat, lower, upper, signal.astype(np.int8), plus, minus


def adjust_p(p: FloatArray, method: str) -> FloatArray:
    """Adjusted p-values: the library's one :func:`csimodels._stats.adjust_p_values`."""
    return adjust_p_values(p, method)
