"""Ordinal items for CB-SEM: thresholds, polychoric correlations and their asymptotic covariance.

The two-step estimator of Olsson (1979) and Muthén (1984), as lavaan 0.6 computes it
for ``ordered=`` variables without covariates:

1. **Thresholds** of each item from its marginal proportions,
   ``τ_jk = Φ⁻¹(P(y_j ≤ k))`` (the univariate probit maximum-likelihood estimate).
2. **Polychoric correlations**: for each pair of items, the correlation ρ of a
   standard bivariate normal latent response that maximises the likelihood of the
   pair's contingency table, the thresholds held at step 1's values. The bivariate
   normal probabilities use Genz's (2004) algorithm ("BVNU": Gauss–Legendre
   quadrature of Drezner and Wesolowsky's integral), accurate to about 1e-15.
3. **Asymptotic covariance** ``Γ`` (lavaan's ``NACOV``: N times the covariance matrix
   of the estimates) of the stacked vector (thresholds, polychorics), from the
   casewise scores of the two steps' estimating equations (Muthén 1984; Muthén &
   Satorra 1995): with ``A`` the block lower-triangular Jacobian of the stacked
   estimating equations, approximated by sums of cross-products of scores as lavaan
   does, and ``B`` the cross-product of the stacked casewise scores,
   ``Γ = N A⁻¹ B A⁻ᵀ``.

Empty cells: a 2×2 table with exactly one empty cell gets 0.5 added to that cell and
its diagonal partner and 0.5 taken from the other two (lavaan's ``zero.add = c(0.5,
0)`` with ``zero.keep.margins = TRUE``; without it the estimate would be ±1); larger
tables are left as they are (lavaan adds nothing) and are reported in
:attr:`OrdinalMoments.empty_cells` so the caller can warn.

References
----------
Genz, A. (2004). Numerical computation of rectangular bivariate and trivariate normal
and t probabilities. *Statistics and Computing* 14, 251–260.
Muthén, B. (1984). A general structural equation model with dichotomous, ordered
categorical, and continuous latent variable indicators. *Psychometrika* 49, 115–132.
Olsson, U. (1979). Maximum likelihood estimation of the polychoric correlation
coefficient. *Psychometrika* 44, 443–460.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from csimodels.errors import DataValidationError, format_offenders

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Items with more distinct answers than this are refused as ordinal.
MAX_CATEGORIES = 10
#: Polychoric correlations are bounded to ±RHO_BOUND (lavaan's bound).
RHO_BOUND = 0.999

_TWO_PI = 2.0 * math.pi
# 10-point Gauss-Legendre nodes/weights on (-1, 1), positive half; Genz maps them to
# (0, 2) as 1 - x and 1 + x.
_GL_X = np.array(
    [
        0.9931285991850949,
        0.9639719272779138,
        0.9122344282513259,
        0.8391169718222188,
        0.7463319064601508,
        0.6360536807265150,
        0.5108670019508271,
        0.3737060887154196,
        0.2277858511416451,
        0.07652652113349733,
    ]
)
_GL_W = np.array(
    [
        0.01761400713915212,
        0.04060142980038694,
        0.06267204833410906,
        0.08327674157670475,
        0.1019301198172404,
        0.1181945319615184,
        0.1316886384491766,
        0.1420961093183821,
        0.1491729864726037,
        0.1527533871307259,
    ]
)
_NODES = np.concatenate([1.0 - _GL_X, 1.0 + _GL_X])
_WEIGHTS = np.concatenate([_GL_W, _GL_W])


def _phi(x: FloatArray) -> FloatArray:
    from scipy import special

    return np.asarray(special.ndtr(x), dtype=np.float64)


def _dens(x: FloatArray) -> FloatArray:
    out = np.exp(-0.5 * np.where(np.isfinite(x), x, 0.0) ** 2) / math.sqrt(_TWO_PI)
    return np.asarray(np.where(np.isfinite(x), out, 0.0), dtype=np.float64)


def _bvnu(h: FloatArray, k: FloatArray, r: FloatArray) -> FloatArray:
    """P(X > h, Y > k) for a standard bivariate normal with correlation r (finite h, k).

    Genz's BVNU with the 20-point rule for every |r| (at least as accurate as his
    6/12-point rules for small |r|); |r| < 1.
    """
    h, k, r = np.broadcast_arrays(
        np.asarray(h, dtype=np.float64),
        np.asarray(k, dtype=np.float64),
        np.asarray(r, dtype=np.float64),
    )
    out = np.empty(h.shape)
    small = np.abs(r) < 0.925
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        if small.any():
            hs_, ks_, rs_ = h[small], k[small], r[small]
            hk = hs_ * ks_
            hs = 0.5 * (hs_ * hs_ + ks_ * ks_)
            asr = 0.5 * np.arcsin(rs_)
            sn = np.sin(asr[:, None] * _NODES)
            val = np.exp((sn * hk[:, None] - hs[:, None]) / (1.0 - sn * sn)) @ _WEIGHTS
            out[small] = val * asr / _TWO_PI + _phi(-hs_) * _phi(-ks_)
        big = ~small
        if big.any():
            hb, kb, rb = h[big], k[big], r[big]
            neg = rb < 0
            kb = np.where(neg, -kb, kb)
            hk = hb * kb
            a_s = 1.0 - rb * rb
            a = np.sqrt(a_s)
            bs = (hb - kb) ** 2
            c = (4.0 - hk) / 8.0
            d = (12.0 - hk) / 80.0
            asr = -(bs / a_s + hk) / 2.0
            bvn = np.where(
                asr > -100,
                a * np.exp(asr) * (1 - c * (bs - a_s) * (1 - d * bs) / 3 + c * d * a_s * a_s),
                0.0,
            )
            b = np.sqrt(bs)
            sp = math.sqrt(_TWO_PI) * _phi(-b / a)
            bvn = np.where(
                hk > -100, bvn - np.exp(-hk / 2) * sp * b * (1 - c * bs * (1 - d * bs) / 3), bvn
            )
            a2 = a / 2
            xs = (a2[:, None] * _NODES) ** 2
            asr2 = -(bs[:, None] / xs + hk[:, None]) / 2
            sp2 = 1 + c[:, None] * xs * (1 + 5 * d[:, None] * xs)
            rs = np.sqrt(1 - xs)
            ep = np.exp(-(hk[:, None] / 2) * xs / (1 + rs) ** 2) / rs
            term = np.where(asr2 > -100, np.exp(asr2) * (sp2 - ep), 0.0) @ _WEIGHTS
            bvn = (a2 * term - bvn) / _TWO_PI
            pos_val = bvn + _phi(-np.maximum(hb, kb))
            lower = np.where(hb < 0, _phi(kb) - _phi(hb), _phi(-hb) - _phi(-kb))
            neg_val = np.where(hb >= kb, -bvn, lower - bvn)
            out[big] = np.where(neg, neg_val, pos_val)
    return np.asarray(np.clip(out, 0.0, 1.0), dtype=np.float64)


def bvn_cdf(h: FloatArray, k: FloatArray, r: FloatArray) -> FloatArray:
    """P(X ≤ h, Y ≤ k), standard bivariate normal with correlation r; h, k may be ±inf.

    Examples
    --------
    >>> round(float(bvn_cdf(np.array(0.0), np.array(0.0), np.array(0.5))), 12)  # 1/4 + asin(.5)/2π
    0.333333333333
    """
    h, k, r = np.broadcast_arrays(
        np.asarray(h, dtype=np.float64),
        np.asarray(k, dtype=np.float64),
        np.asarray(r, dtype=np.float64),
    )
    fh = np.isfinite(h)
    fk = np.isfinite(k)
    both = fh & fk
    out = np.zeros(h.shape)
    if both.any():
        out[both] = _bvnu(-h[both], -k[both], r[both])
    only_k = (h == np.inf) & fk
    only_h = (k == np.inf) & fh
    out[only_k] = _phi(k[only_k])
    out[only_h] = _phi(h[only_h])
    out[(h == np.inf) & (k == np.inf)] = 1.0
    return out


def _bvn_density(h: FloatArray, k: FloatArray, r: FloatArray) -> FloatArray:
    fin = np.isfinite(h) & np.isfinite(k)
    hh = np.where(fin, h, 0.0)
    kk = np.where(fin, k, 0.0)
    s = 1.0 - r * r
    val = np.exp(-(hh * hh - 2 * r * hh * kk + kk * kk) / (2 * s)) / (_TWO_PI * np.sqrt(s))
    return np.asarray(np.where(fin, val, 0.0), dtype=np.float64)


# ---------------------------------------------------------------------------------------
# validation and step 1
# ---------------------------------------------------------------------------------------


@dataclass
class OrdinalItems:
    """Integer-coded ordinal answers: codes 0..K_j−1 per item, and the values they stand for."""

    codes: IntArray
    levels: list[list[float]]
    unobserved: dict[str, list[float]] = field(default_factory=dict)


def code_items(
    x: FloatArray, items: list[str], scales: dict[str, tuple[float, float]]
) -> OrdinalItems:
    """Check ordinal answers and recode each item's observed values to 0..K−1.

    ``x`` must be complete (listwise deletion done). Raises :class:`DataValidationError`
    naming the item for non-integer answers, more than :data:`MAX_CATEGORIES` distinct
    answers, or a single answer (no thresholds can be estimated). Values of the declared
    scale that nobody chose (``scales``) are recorded in ``unobserved``: as in lavaan,
    the categories are the answers actually observed, so an empty category merges its
    neighbours' thresholds.
    """
    fractional = [
        items[j]
        for j in range(x.shape[1])
        if not np.all(np.isfinite(x[:, j])) or np.any(x[:, j] != np.round(x[:, j]))
    ]
    if fractional:
        j = items.index(fractional[0])
        bad = x[:, j][x[:, j] != np.round(x[:, j])]
        raise DataValidationError(
            f"ordinal item {format_offenders(fractional)} has non-integer answers (e.g. "
            f"{float(bad[0])!r} in {fractional[0]!r}): ordinal CB-SEM needs integer-coded "
            "categories; recode the item or fit it as continuous (ordinal=False)"
        )
    codes = np.empty(x.shape, dtype=np.int64)
    levels: list[list[float]] = []
    too_many: list[str] = []
    single: list[str] = []
    unobserved: dict[str, list[float]] = {}
    for j, item in enumerate(items):
        values, inverse = np.unique(x[:, j], return_inverse=True)
        codes[:, j] = inverse
        levels.append([float(v) for v in values])
        if values.size > MAX_CATEGORIES:
            too_many.append(f"{item} ({values.size} categories)")
        if values.size < 2:
            single.append(item)
        if item in scales and values.size >= 2:
            lo, hi = scales[item]
            full = np.arange(math.ceil(lo), math.floor(hi) + 1)
            gaps = [float(v) for v in full if values[0] < v < values[-1] and v not in values]
            if gaps:
                unobserved[item] = gaps
    if too_many:
        raise DataValidationError(
            f"ordinal item {format_offenders(too_many)} has more than {MAX_CATEGORIES} "
            "distinct answers: polychoric correlations are meant for a few ordered "
            "categories; fit such items as continuous (ordinal=False) or recode them"
        )
    if single:
        raise DataValidationError(
            f"ordinal item {format_offenders(single)} has a single observed category "
            "(every respondent gave the same answer): it has no thresholds and no "
            "correlation with other items; drop it"
        )
    return OrdinalItems(codes=codes, levels=levels, unobserved=unobserved)


def thresholds(
    codes: IntArray,
    n_categories: list[int],
    weights: FloatArray | None = None,
    items: list[str] | None = None,
) -> list[FloatArray]:
    """Step 1: ``τ_jk = Φ⁻¹(cumulative proportion)`` for each item (k = 1..K_j−1); with
    sampling weights the weighted proportions (lavaan's ``lav_uvord_th``).

    Raises :class:`DataValidationError` naming the item when every respondent of one of
    its categories has weight zero (the category then has no weighted share)."""
    from scipy import special

    out = []
    empty: list[str] = []
    for j, k in enumerate(n_categories):
        counts = np.bincount(codes[:, j], weights=weights, minlength=k)
        if weights is not None and np.any(counts <= 0):
            name = items[j] if items else f"column {j}"
            empty.append(f"{name} (category {int(np.flatnonzero(counts <= 0)[0]) + 1})")
        cum = np.cumsum(counts)[:-1] / counts.sum()
        out.append(np.asarray(special.ndtri(np.clip(cum, 0.0, 1.0)), dtype=np.float64))
    if empty:
        raise DataValidationError(
            f"ordinal item {format_offenders(empty)}: every respondent who gave that answer "
            "has weight zero, so the category has no weighted share and its threshold is "
            "infinite; merge the category with a neighbour or check the weights"
        )
    return out


# ---------------------------------------------------------------------------------------
# step 2: polychoric correlations
# ---------------------------------------------------------------------------------------


@dataclass
class _Pairs:
    first: IntArray
    second: IntArray
    lo1: FloatArray  # (P, K, 1) lower boundaries of item 1's categories
    up1: FloatArray
    lo2: FloatArray  # (P, 1, K)
    up2: FloatArray
    counts: FloatArray  # (P, K, K) observed table (padded with zeros)
    freq: FloatArray  # the table used for estimation (zero-cell adjusted)


def _boundaries(tau: list[FloatArray], kmax: int) -> FloatArray:
    """(p, kmax+1) category boundaries −inf, τ_1..τ_{K−1}, +inf, padded with +inf."""
    out = np.full((len(tau), kmax + 1), np.inf)
    for j, t in enumerate(tau):
        out[j, 0] = -np.inf
        out[j, 1 : t.size + 1] = t
    return out


def _make_pairs(
    codes: IntArray, tau: list[FloatArray], weights: FloatArray | None = None
) -> _Pairs:
    """The pairs' contingency tables (weighted: sums of the respondents' weights, as
    lavaan's ``lav_bvord_freq``) and category boundaries."""
    p = codes.shape[1]
    kmax = max(t.size for t in tau) + 1
    first, second = np.triu_indices(p, 1)
    bounds = _boundaries(tau, kmax)
    npairs = first.size
    counts = np.zeros((npairs, kmax, kmax))
    flat = codes[:, first] * kmax + codes[:, second]  # (n, P)
    for q in range(npairs):
        counts[q] = np.bincount(flat[:, q], weights=weights, minlength=kmax * kmax).reshape(
            kmax, kmax
        )
    return _Pairs(
        first=first.astype(np.int64),
        second=second.astype(np.int64),
        lo1=bounds[first, :-1][:, :, None],
        up1=bounds[first, 1:][:, :, None],
        lo2=bounds[second, :-1][:, None, :],
        up2=bounds[second, 1:][:, None, :],
        counts=counts,
        freq=counts.copy(),
    )


def _cells(pairs: _Pairs, rho: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Cell probabilities π and dπ/dρ, each (P, K, K)."""
    r = rho[:, None, None]
    shape = np.broadcast_shapes(pairs.up1.shape, pairs.up2.shape)
    full = [np.broadcast_to(a, shape) for a in (pairs.lo1, pairs.up1, pairs.lo2, pairs.up2)]
    lo1, up1, lo2, up2 = full
    rr = np.broadcast_to(r, shape)
    pi = (
        bvn_cdf(up1, up2, rr)
        - bvn_cdf(lo1, up2, rr)
        - bvn_cdf(up1, lo2, rr)
        + bvn_cdf(lo1, lo2, rr)
    )
    dpi = (
        _bvn_density(up1, up2, rr)
        - _bvn_density(lo1, up2, rr)
        - _bvn_density(up1, lo2, rr)
        + _bvn_density(lo1, lo2, rr)
    )
    return np.asarray(np.maximum(pi, 0.0), dtype=np.float64), np.asarray(dpi, dtype=np.float64)


def _loglik(pairs: _Pairs, rho: FloatArray) -> FloatArray:
    pi, _ = _cells(pairs, rho)
    with np.errstate(divide="ignore"):
        terms = np.where(pairs.freq > 0, pairs.freq * np.log(np.where(pi > 0, pi, 1.0)), 0.0)
        bad = (pairs.freq > 0) & (pi <= 0)
    ll = terms.sum(axis=(1, 2))
    ll[bad.any(axis=(1, 2))] = -np.inf
    return np.asarray(ll, dtype=np.float64)


def maximise_each(
    loglik: Callable[[FloatArray], FloatArray],
    step_of: Callable[[FloatArray], FloatArray],
    rho: FloatArray,
    *,
    bound: float,
    tol: float,
    halvings: int,
    rel: float,
    max_iter: int = 200,
) -> tuple[FloatArray, bool]:
    """Maximise many one-parameter log-likelihoods at once (one per pair of items):
    ``step_of(ρ)`` proposes each pair's step (scoring or Newton), halved while it lowers
    that pair's log-likelihood by more than ``rel`` relative; ρ kept in ±``bound``; a
    pair is done when its step is below ``tol``."""
    ll = loglik(rho)
    done = np.zeros(rho.size, dtype=bool)
    for _ in range(max_iter):
        step = np.where(done, 0.0, step_of(rho))
        new = np.clip(rho + step, -bound, bound)
        new_ll = loglik(new)
        for _half in range(halvings):
            worse = (new_ll < ll - rel * np.abs(ll)) & ~done
            if not worse.any():
                break
            step = np.where(worse, step / 2, step)
            new = np.where(worse, np.clip(rho + step, -bound, bound), new)
            new_ll = np.where(worse, loglik(new), new_ll)
        moved = np.abs(new - rho)
        rho, ll = new, np.maximum(new_ll, ll)
        done |= moved < tol
        if done.all():
            return rho, True
    return rho, bool(done.all())


def _fit_rho(
    pairs: _Pairs, start: FloatArray, *, tol: float = 1e-12, max_iter: int = 200
) -> tuple[FloatArray, bool]:
    """Fisher scoring on every pair at once, with step halving; ρ kept in ±RHO_BOUND."""
    total = pairs.freq.sum(axis=(1, 2))

    def scoring(rho: FloatArray) -> FloatArray:
        pi, dpi = _cells(pairs, rho)
        safe = np.where(pi > 0, pi, 1.0)
        score = np.where(pairs.freq > 0, pairs.freq * dpi / safe, 0.0).sum(axis=(1, 2))
        info = total * np.where(pi > 0, dpi * dpi / safe, 0.0).sum(axis=(1, 2))
        return np.asarray(score / np.maximum(info, 1e-300), dtype=np.float64)

    return maximise_each(
        lambda r: _loglik(pairs, r),
        scoring,
        np.clip(start, -0.9, 0.9),
        bound=RHO_BOUND,
        tol=tol,
        halvings=30,
        rel=1e-12,
        max_iter=max_iter,
    )


@dataclass
class OrdinalMoments:
    """Sample statistics of ordinal items for WLS/DWLS estimation (lavaan's order).

    ``vector`` stacks the thresholds (item by item) and the polychoric correlations of
    the pairs (i, j), i < j, in row-major upper-triangle order; ``gamma`` is N times
    their asymptotic covariance matrix (lavaan's ``NACOV``).
    """

    items: list[str]
    n: int
    levels: list[list[float]]
    thresholds: list[FloatArray]
    threshold_names: list[str]
    correlation: FloatArray
    gamma: FloatArray
    empty_cells: list[tuple[str, str]]
    adjusted: list[tuple[str, str]]
    unobserved: dict[str, list[float]]
    at_bound: list[tuple[str, str]]
    converged: bool
    #: per item: True for a continuous item (mixed fits); empty when every item is ordinal
    numeric: list[bool] = field(default_factory=list)
    #: continuous items' variances on the diagonal, their covariances and polyserial
    #: correlations × SD off it (lavaan's ``cor2cov``); None: the correlation matrix
    covariance: FloatArray | None = None

    @property
    def n_thresholds(self) -> int:
        """Thresholds and (for continuous items) means: the first block of moments."""
        return sum(t.size for t in self.thresholds)

    @property
    def is_numeric(self) -> list[bool]:
        return list(self.numeric) if self.numeric else [False] * len(self.items)

    @property
    def n_numeric(self) -> int:
        return sum(self.is_numeric)

    @property
    def cov(self) -> FloatArray:
        return self.correlation if self.covariance is None else self.covariance

    @property
    def vector(self) -> FloatArray:
        """Thresholds and means, continuous items' variances, then the off-diagonal
        (co)variances (lavaan's ``wls.obs`` order, with means instead of −means)."""
        p = len(self.items)
        iu = np.triu_indices(p, 1)
        num = np.flatnonzero(self.is_numeric)
        return np.concatenate(
            [np.concatenate(self.thresholds), np.diag(self.cov)[num], self.cov[iu]]
        )


def _adjust_2x2(pairs: _Pairs, n_categories: list[int], items: list[str]) -> list[tuple[str, str]]:
    adjusted = []
    for q in range(pairs.first.size):
        a, b = int(pairs.first[q]), int(pairs.second[q])
        if n_categories[a] != 2 or n_categories[b] != 2:
            continue
        t = pairs.freq[q, :2, :2]
        zeros = np.flatnonzero(t.ravel() == 0)
        if zeros.size >= 2:
            raise DataValidationError(
                f"binary items {items[a]!r} and {items[b]!r} have two empty cells in their "
                "2×2 table: they are the same item (or one is the other reversed), so "
                "their polychoric (tetrachoric) correlation is ±1; drop one of them"
            )
        if zeros.size == 1:
            sign = 1.0 if zeros[0] in (0, 3) else -1.0
            t = t + sign * 0.5 * np.array([[1.0, -1.0], [-1.0, 1.0]])
            pairs.freq[q, :2, :2] = t
            adjusted.append((items[a], items[b]))
    return adjusted


def polychorics(
    codes: IntArray,
    tau: list[FloatArray],
    n_cat: list[int],
    items: list[str],
    weights: FloatArray | None = None,
) -> tuple[_Pairs, FloatArray, bool, list[tuple[str, str]], list[tuple[str, str]]]:
    """Step 2 for every pair: ``(pairs, ρ, converged, 2×2-adjusted pairs, pairs with
    empty cells)``; with sampling weights each pair's table holds the sums of weights."""
    pairs = _make_pairs(codes, tau, weights)
    adjusted = _adjust_2x2(pairs, n_cat, items)
    empty = [
        (items[int(pairs.first[q])], items[int(pairs.second[q])])
        for q in range(pairs.first.size)
        if np.any(pairs.counts[q, : n_cat[pairs.first[q]], : n_cat[pairs.second[q]]] == 0)
    ]
    if not pairs.first.size:
        return pairs, np.empty(0), True, adjusted, empty
    start = np.array(
        [
            np.corrcoef(codes[:, int(a)], codes[:, int(b)])[0, 1]
            for a, b in zip(pairs.first, pairs.second, strict=True)
        ]
    )
    rho, converged = _fit_rho(pairs, np.nan_to_num(start))
    return pairs, rho, converged, adjusted, empty


def ordinal_moments(
    x: FloatArray,
    items: list[str],
    scales: dict[str, tuple[float, float]] | None = None,
    weights: FloatArray | None = None,
) -> OrdinalMoments:
    """Thresholds, polychoric correlations and their asymptotic covariance (lavaan's two-step).

    Parameters
    ----------
    x : array (n, p)
        Complete integer-coded answers.
    items : list of str
        Column names (for messages and threshold names ``item|t1``...).
    scales : dict, optional
        Declared (min, max) of each item, to report unused answer categories.
    weights : array (n,), optional
        Sampling weights, already on lavaan's scale (summing to the group's share of
        N): weighted thresholds and tables, Γ from the weighted casewise scores.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> z = rng.multivariate_normal([0, 0], [[1, 0.5], [0.5, 1]], size=2000)
    >>> x = np.digitize(z, [-1.0, 0.0, 1.0]).astype(float)
    >>> m = ordinal_moments(x, ["a", "b"])
    >>> bool(abs(m.correlation[0, 1] - 0.5) < 0.05)
    True
    """
    scales = scales or {}
    coded = code_items(x, items, scales)
    codes = coded.codes
    n, p = codes.shape
    n_cat = [len(lv) for lv in coded.levels]
    tau = thresholds(codes, n_cat, weights, items)
    names = [f"{items[j]}|t{k + 1}" for j in range(p) for k in range(tau[j].size)]
    pairs, rho, converged, adjusted, empty = polychorics(codes, tau, n_cat, items, weights)
    corr = np.eye(p)
    corr[pairs.first, pairs.second] = rho
    corr[pairs.second, pairs.first] = rho
    at_bound = [
        (items[int(pairs.first[q])], items[int(pairs.second[q])])
        for q in np.flatnonzero(np.abs(rho) >= RHO_BOUND - 1e-9)
    ]
    gamma = _nacov(codes, tau, pairs, rho, weights)
    return OrdinalMoments(
        items=list(items),
        n=n,
        levels=coded.levels,
        thresholds=tau,
        threshold_names=names,
        correlation=corr,
        gamma=gamma,
        empty_cells=empty,
        adjusted=adjusted,
        unobserved=coded.unobserved,
        at_bound=at_bound,
        converged=converged,
    )


# ---------------------------------------------------------------------------------------
# step 3: asymptotic covariance
# ---------------------------------------------------------------------------------------


def score_products(
    sc: FloatArray, weights: FloatArray | None
) -> tuple[FloatArray, FloatArray, float]:
    """``(B, A, N)`` of the casewise scores ``sc`` (n × statistics): the meat
    ``Σ (w s)(w s)'``, the cross-products ``Σ w s s'`` that lavaan's block-triangular
    Jacobian ``A`` is built from, and the size ``Σ w`` (unweighted: w = 1)."""
    if weights is None:
        inner = sc.T @ sc
        return inner, inner, float(sc.shape[0])
    ws = sc * weights[:, None]
    return ws.T @ ws, ws.T @ sc, float(np.sum(weights))


def sandwich_blocks(
    inner: FloatArray,
    cross: FloatArray,
    blocks: list[list[int]],
    a21: FloatArray,
) -> FloatArray:
    """``A⁻¹ B A⁻ᵀ`` with lavaan's ``A``: the univariate statistics' blocks of
    ``cross`` on the diagonal (``blocks``), the bivariate ones' diagonal, and ``A21``
    (bivariate × univariate cross-products of the scores)."""
    m1 = a21.shape[1]
    size = inner.shape[0]
    a11 = np.zeros((m1, m1))
    for block in blocks:
        ix = np.ix_(block, block)
        a11[ix] = cross[ix]
    a11_inv = np.linalg.inv(a11)
    a22_inv = 1.0 / np.diag(cross)[m1:]
    b_inv = np.zeros((size, size))
    b_inv[:m1, :m1] = a11_inv
    b_inv[m1:, :m1] = -(a22_inv[:, None] * a21) @ a11_inv
    b_inv[m1:, m1:] = np.diag(a22_inv)
    return np.asarray(b_inv @ inner @ b_inv.T, dtype=np.float64)


def _nacov(
    codes: IntArray,
    tau: list[FloatArray],
    pairs: _Pairs,
    rho: FloatArray,
    weights: FloatArray | None = None,
) -> FloatArray:
    """N × the asymptotic covariance of (thresholds, polychorics), Muthén (1984) / lavaan
    (with sampling weights: weighted scores, N the sum of the weights)."""
    sizes = [t.size for t in tau]
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    sc_th, sc_cor, a21 = ordinal_scores(codes, tau, pairs, rho)
    sc = np.concatenate([sc_th, sc_cor], axis=1)
    inner, cross, size = score_products(sc, weights)
    blocks = [list(range(int(starts[j]), int(starts[j + 1]))) for j in range(len(sizes))]
    return np.asarray(size * sandwich_blocks(inner, cross, blocks, a21), dtype=np.float64)


def ordinal_scores(
    codes: IntArray, tau: list[FloatArray], pairs: _Pairs, rho: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Casewise scores of the thresholds (n × thresholds) and of the polychorics
    (n × pairs), and ``A21`` (pairs × thresholds): the cross-products of each pair's
    ρ-score with its bivariate threshold scores (lavaan's ``muthen1984``), summed over
    the cells of ``pairs.counts`` (weighted tables: weighted cross-products)."""
    n, p = codes.shape
    sizes = [t.size for t in tau]
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    n_th = int(starts[-1])
    npairs = pairs.first.size
    kmax = pairs.counts.shape[1]
    bounds = _boundaries(tau, kmax)
    # univariate threshold scores: d log P(y_j = c) / d tau_jm
    sc_th = np.zeros((n, n_th))
    for j in range(p):
        c = codes[:, j]
        lo = bounds[j, c]
        up = bounds[j, c + 1]
        prob = _phi(up) - _phi(lo)
        # tau_m is the upper boundary of category m-1 and the lower one of category m
        for m in range(1, sizes[j] + 1):
            col = starts[j] + m - 1
            t = tau[j][m - 1]
            dens = float(_dens(np.array(t)))
            sc_th[:, col] = np.where(c == m - 1, dens / prob, 0.0) - np.where(
                c == m, dens / prob, 0.0
            )
    # bivariate scores per cell
    pi, dpi = _cells(pairs, rho)
    safe = np.where(pi > 0, pi, 1.0)
    cell_rho = dpi / safe  # (P, K, K)
    r = rho[:, None, None]
    s = np.sqrt(1.0 - r * r)

    def cond(a: FloatArray, lo2: FloatArray, up2: FloatArray) -> FloatArray:
        # P(lo2 < Y < up2 | X = a) for finite a; 0 where a is infinite
        fin = np.isfinite(a)
        aa = np.where(fin, a, 0.0)
        val = _phi((up2 - r * aa) / s) - _phi((lo2 - r * aa) / s)
        return np.asarray(np.where(fin, val, 0.0), dtype=np.float64)

    # d pi / d(upper boundary of item 1's category) and d(lower boundary)
    d1_up = _dens(pairs.up1) * cond(pairs.up1, pairs.lo2, pairs.up2) / safe
    d1_lo = -_dens(pairs.lo1) * cond(pairs.lo1, pairs.lo2, pairs.up2) / safe
    # item 2: swap roles (condition on Y)
    lo1t = np.swapaxes(pairs.lo1, 1, 2)
    up1t = np.swapaxes(pairs.up1, 1, 2)
    d2_up = (
        _dens(pairs.up2) * np.swapaxes(cond(np.swapaxes(pairs.up2, 1, 2), lo1t, up1t), 1, 2) / safe
    )
    d2_lo = (
        -_dens(pairs.lo2) * np.swapaxes(cond(np.swapaxes(pairs.lo2, 1, 2), lo1t, up1t), 1, 2) / safe
    )
    q_idx = np.arange(npairs)[None, :]
    ci = codes[:, pairs.first]
    cj = codes[:, pairs.second]
    sc_cor = cell_rho[q_idx, ci, cj]  # (n, P)
    # A21[q, tau_{item, m}] = sum over cases of sc_rho * d log pi / d tau_m
    a21 = np.zeros((npairs, n_th))
    weight = pairs.counts * cell_rho  # n_ab * s_rho(a, b)
    for q in range(npairs):
        j1, j2 = int(pairs.first[q]), int(pairs.second[q])
        for m in range(1, sizes[j1] + 1):
            a21[q, starts[j1] + m - 1] = float(
                (weight[q, m - 1, :] * d1_up[q, m - 1, :]).sum()
                + (weight[q, m, :] * d1_lo[q, m, :]).sum()
            )
        for m in range(1, sizes[j2] + 1):
            a21[q, starts[j2] + m - 1] = float(
                (weight[q, :, m - 1] * d2_up[q, :, m - 1]).sum()
                + (weight[q, :, m] * d2_lo[q, :, m]).sum()
            )
    return sc_th, sc_cor, a21
