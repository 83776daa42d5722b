"""Private PLS path modelling engine on ndarrays (batched over correlation matrices).

The PLS algorithm (Wold 1982; Lohmöller 1989) needs only the correlation matrix of
the indicators, so the core, :func:`estimate_pls_moments`, runs on a batch of
``B`` correlation matrices at once: every step of the iteration is a batched
matrix product over the leading axis, the regressions of the path scheme are one
vectorised elimination per number of predictors (batch-last, so each step is one
operation over all members and regressions), and each member stops when its own
stop criterion is met (members already converged are frozen, so a batch member
gives exactly what a separate fit would). The bootstrap calls it with thousands of
resampled (weighted) correlation matrices whose moments come from one matrix
product of the resample counts with the per-respondent cross products
(:class:`CrossProducts`, streamed over row chunks when a memory budget asks);
:func:`estimate_pls` is the one-sample wrapper on raw data that also returns
construct scores.

Conventions (those of seminr 0.2.1 / R seminr, against which the tests check):

- indicators are standardised with the (weighted) mean and the sample standard
  deviation (n − 1 denominator; respondent weights are relative weights rescaled
  to sum to n, as in :mod:`csimodels._stats`);
- outer weights start at 1 for every indicator of a construct; each iteration
  standardises the construct scores, forms the inner proxies with the inner
  weighting scheme, takes Mode A weights (covariances of the indicators with the
  standardised inner proxy) or Mode B weights (regression of the inner proxy on
  the block's indicators), and rescales each construct's weights so that its score
  has unit variance (``w' R_bb w = 1``);
- inner schemes: ``"path"`` (predecessors get the regression coefficients of the
  construct on its predecessors, successors their correlation), ``"factorial"``
  (the correlation with every adjacent construct) and ``"centroid"`` (the sign of
  that correlation);
- stop criterion: the sum over all indicators of the absolute change of the outer
  weights, ``Σ |w_new − w_old| < tol`` (seminr: ``10**-stop_criterion``, default
  1e-7); ``iterations`` counts the weight updates performed (seminr's
  ``iterations`` field is this number minus one) and is at most ``max_iter``;
- loadings and cross-loadings are correlations of indicators with construct
  scores; paths are the OLS coefficients of each endogenous construct on its
  predecessors, computed from the construct correlation matrix; R² = β' r;
- consistent PLS (PLSc, Dijkstra & Henseler 2015, as seminr's ``PLSc``): for each
  Mode A construct with two or more indicators
  ``rho_A = (w'w)² · (w'(R_bb − I)w) / ((w'w)² − Σ w⁴)`` (1 for Mode B and
  single-indicator constructs); construct correlations are disattenuated,
  ``r_ij / sqrt(rho_i rho_j)``; paths and R² are re-estimated from them; Mode A
  loadings become ``w · sqrt(rho_A) / (w'w)``.

The engine neither prints nor warns nor raises on numerical trouble: every member
carries ``converged`` and ``singular`` flags (and ``inadmissible`` for PLSc
reliabilities outside (0, 1] or disattenuated correlations beyond ±1), and the
public layer turns them into warnings or errors. Invalid *arguments* (shapes,
overlapping blocks, unknown modes) raise ``ValueError``.

References
----------
Lohmöller, J.-B. (1989). *Latent Variable Path Modeling with Partial Least Squares*.
Physica. Dijkstra, T. K., & Henseler, J. (2015). Consistent partial least squares path
modeling. *MIS Quarterly*, 39(2), 297–316.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "DEFAULT_MEMORY_BUDGET",
    "CrossProducts",
    "PLSBatch",
    "PLSEstimate",
    "SchemeName",
    "batch_correlations",
    "estimate_pls",
    "estimate_pls_moments",
    "moments_from_sums",
    "weighted_moments",
]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]
SchemeName = Literal["path", "centroid", "factorial"]

_SCHEMES = ("centroid", "factorial", "path")
_MODES = ("A", "B")
#: A correlation (sub)matrix whose smallest eigenvalue is below this share of its
#: largest is treated as singular (rank deficient in floating point).
SINGULAR_RCOND = 1e-12
#: Memory that chunked computations (bootstrap, permutations, moments) aim to stay
#: within, in bytes, unless the caller passes another budget.
DEFAULT_MEMORY_BUDGET = 1 << 30
#: The iteration's working set is compacted when fewer than this share of it still
#: iterates (copying the matrices costs about one update).
_COMPACT_SHARE = 0.75


@dataclass(frozen=True)
class PLSBatch:
    """Estimates of ``B`` PLS problems that share one model (leading axis ``B``).

    Attributes
    ----------
    outer_weights : ndarray (B, p)
        Weights on the standardised indicators; each construct score has unit variance.
    loadings : ndarray (B, p)
        Correlation of each indicator with its own construct's score (PLSc: the
        consistent loadings for Mode A constructs).
    cross_loadings : ndarray (B, p, k)
        Correlation of each indicator with each construct score.
    score_correlations : ndarray (B, k, k)
        Correlations of the construct scores (never disattenuated).
    construct_correlations : ndarray (B, k, k)
        Construct correlations used for the paths (PLSc: disattenuated).
    paths : ndarray (B, k, k)
        ``paths[b, i, j]``: coefficient of construct i -> j; 0 where there is no path.
    r2 : ndarray (B, k)
        R² of each endogenous construct; NaN for exogenous constructs.
    rho_a : ndarray (B, k)
        Dijkstra–Henseler rho_A (1 for Mode B and single-indicator constructs).
    iterations : ndarray (B,) of int
        Outer-weight updates performed.
    converged : ndarray (B,) of bool
        Stop criterion met within ``max_iter`` updates.
    final_change : ndarray (B,)
        Sum of absolute weight changes at the last update.
    singular : ndarray (B,) of bool
        Non-finite input, a singular Mode B block, a singular regression among
        constructs or a construct score without variance; that member's estimates are NaN
        where they could not be computed.
    inadmissible : ndarray (B,) of bool
        PLSc only: a rho_A outside (0, 1] or a disattenuated correlation beyond ±1.
    """

    outer_weights: FloatArray
    loadings: FloatArray
    cross_loadings: FloatArray
    score_correlations: FloatArray
    construct_correlations: FloatArray
    paths: FloatArray
    r2: FloatArray
    rho_a: FloatArray
    iterations: IntArray
    converged: BoolArray
    final_change: FloatArray
    singular: BoolArray
    inadmissible: BoolArray

    @property
    def ok(self) -> BoolArray:
        """Members that converged and are neither singular nor inadmissible."""
        return np.asarray(self.converged & ~self.singular & ~self.inadmissible, dtype=np.bool_)


@dataclass(frozen=True)
class PLSEstimate:
    """One PLS path model fitted to data (see :func:`estimate_pls`).

    Attributes
    ----------
    outer_weights : ndarray (p,)
        Weights on standardised indicators, scaled so each construct score has unit
        variance (seminr's convention).
    loadings : ndarray (p,)
        Indicator loadings on their own construct (PLSc: consistent loadings).
    cross_loadings : ndarray (p, k)
        Correlation of each indicator with each construct score.
    scores : ndarray (n, k) or None
        Standardised construct scores (None when fitted from moments only).
    construct_correlations : ndarray (k, k)
        Construct correlations (PLSc: disattenuated).
    paths : ndarray (k, k)
        ``paths[i, j]``: coefficient of construct i -> j; 0 where there is no path.
    r2 : ndarray (k,)
        R² per construct, NaN for exogenous constructs.
    iterations : int
        Outer-weight updates performed.
    converged : bool
    final_change : float
        Value of the stop criterion (sum of absolute weight changes) at the last update.
    indicator_means, indicator_sds : ndarray (p,)
        (Weighted) means and standard deviations used to standardise the indicators.
    indicator_correlations : ndarray (p, p)
        (Weighted) indicator correlation matrix the model was fitted to.
    score_correlations : ndarray (k, k)
        Correlations of the construct scores (not disattenuated).
    rho_a : ndarray (k,)
        rho_A as used by PLSc (1 for Mode B and single-indicator constructs).
    singular, inadmissible : bool
        See :class:`PLSBatch`.
    n_obs : int
        Number of rows used.
    scheme, consistent, tol, max_iter
        The settings of the fit (re-used by :func:`~csimodels.sem._pls_assess.assess_model`
        to re-estimate the reduced models of f²).
    """

    outer_weights: FloatArray
    loadings: FloatArray
    cross_loadings: FloatArray
    scores: FloatArray | None
    construct_correlations: FloatArray
    paths: FloatArray
    r2: FloatArray
    iterations: int
    converged: bool
    final_change: float
    indicator_means: FloatArray
    indicator_sds: FloatArray
    indicator_correlations: FloatArray
    score_correlations: FloatArray
    rho_a: FloatArray
    singular: bool
    inadmissible: bool
    n_obs: int
    scheme: str = "path"
    consistent: bool = False
    tol: float = 1e-7
    max_iter: int = 300


# ---------------------------------------------------------------------------
# Moments
# ---------------------------------------------------------------------------


def weighted_moments(
    x: FloatArray, case_weights: FloatArray | None = None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Means, standard deviations and correlation matrix of the columns of ``x``.

    Weights are relative: rescaled to sum to ``n`` (rows), variances use ``n − 1``,
    so unit weights give the ordinary sample statistics. A constant column has
    standard deviation 0 and NaN correlations.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0, 2.0], [2.0, 4.5], [4.0, 7.0]])
    >>> m, s, r = weighted_moments(x)
    >>> bool(np.allclose(r, np.corrcoef(x.T))), bool(np.allclose(s, x.std(axis=0, ddof=1)))
    (True, True)
    """
    means, sds, r = batch_correlations(
        x, None if case_weights is None else np.asarray(case_weights, dtype=np.float64)[None, :]
    )
    return means[0], sds[0], r[0]


def batch_correlations(
    x: FloatArray, case_weights: FloatArray | None = None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Weighted means, sds and correlation matrices of ``x`` for ``B`` weight vectors.

    ``case_weights`` is ``(B, n)``: for a bootstrap, the resample counts of each row
    (times the respondent weights); ``None`` means one unweighted member. All ``B``
    matrices come from one matrix product of the weights with the row-wise cross
    products (:class:`CrossProducts`), so no resampled data set is ever built.

    Returns
    -------
    means : ndarray (B, p)
    sds : ndarray (B, p)
        Weighted sample standard deviations (weights rescaled to sum to n, n − 1).
    r : ndarray (B, p, p)
        Correlation matrices (NaN rows and columns for constant columns).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(20, 3))
    >>> counts = np.bincount(rng.integers(0, 20, 20), minlength=20).astype(float)
    >>> _, _, r = batch_correlations(x, counts[None, :])
    >>> rows = np.repeat(np.arange(20), counts.astype(int))
    >>> bool(np.allclose(r[0], np.corrcoef(x[rows].T)))
    True
    """
    xa = np.asarray(x, dtype=np.float64)
    if xa.ndim != 2:
        raise ValueError(f"x must be a 2-D array (n, p), got shape {xa.shape}")
    n = xa.shape[0]
    if n < 2:
        raise ValueError(f"x needs at least 2 rows, got {n}")
    if case_weights is None:
        wts = np.ones((1, n))
    else:
        wts = np.asarray(case_weights, dtype=np.float64)
        if wts.ndim != 2 or wts.shape[1] != n:
            raise ValueError(f"case_weights must have shape (B, {n}), got {wts.shape}")
        if not np.all(np.isfinite(wts)) or np.any(wts < 0):
            raise ValueError("case_weights must be finite and non-negative")
        if np.any(wts.sum(axis=1) <= 0):
            raise ValueError("every row of case_weights must have a positive sum")
    if wts.shape[0] == 1:
        return _single_moments(xa, wts[0])
    cp = CrossProducts.from_data(xa)
    return cp.moments(*cp.weighted_sums(wts))


def _single_moments(x: FloatArray, w: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """One member, two passes (centred on the weighted mean): the most accurate form."""
    n = x.shape[0]
    rel = w * (n / w.sum())
    shift = x.mean(axis=0)
    xc = x - shift
    m1 = rel @ xc / n
    d = xc - m1
    cov = (d * rel[:, None]).T @ d / (n - 1)
    noise = 1e-12 * np.maximum((xc * xc).mean(axis=0), np.finfo(np.float64).tiny)
    variances = np.diag(cov).copy()
    variances[variances <= noise] = 0.0
    sds = np.sqrt(variances)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_sd = np.where(sds > 0, 1.0 / sds, np.nan)
    r = cov * inv_sd[:, None] * inv_sd[None, :]
    np.fill_diagonal(r, np.where(sds > 0, 1.0, np.nan))
    return (m1 + shift)[None], sds[None], r[None]


@functools.lru_cache(maxsize=32)
def _triangle(p: int) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Upper-triangle rows, columns, diagonal positions and the full-matrix gather map."""
    iu, ju = np.triu_indices(p)
    pos = np.empty((p, p), dtype=np.int64)
    pos[iu, ju] = np.arange(iu.size)
    pos[ju, iu] = np.arange(iu.size)
    diag = pos[np.arange(p), np.arange(p)]
    for arr in (iu, ju, pos, diag):
        arr.flags.writeable = False
    return iu.astype(np.int64), ju.astype(np.int64), diag.copy(), pos.ravel().copy()


@dataclass(frozen=True)
class CrossProducts:
    """Sufficient statistics of weighted correlations: rows ``[x − c, (x − c)ᵢ (x − c)ⱼ]``.

    For case weights ``w`` (``B × n``) the weighted sums ``w @ X`` of these ``p +
    p(p+1)/2`` columns give every member's weighted means and (upper-triangle)
    second moments in one matrix product; :meth:`moments` turns sums into means,
    sds and correlation matrices. The shift ``c`` (the column means of the data)
    only guards against cancellation; sums over row chunks, partitions or machines
    add up (:meth:`weighted_sums` streams rows in chunks of ``row_chunk``).

    Attributes
    ----------
    x : ndarray (n, p)
        The raw data (not copied).
    shift : ndarray (p,)
        Centring constant ``c``.
    n : int
        Rows (weights are rescaled to sum to ``n``, variances use ``n − 1``).
    square_scale : ndarray (p,)
        Mean of ``(x − c)²`` per column: variances below ``1e-12`` of it are zero.
    row_chunk : int
        Rows whose cross products are formed at once.
    """

    x: FloatArray
    shift: FloatArray
    n: int
    square_scale: FloatArray
    row_chunk: int
    table: FloatArray | None

    @classmethod
    def from_data(
        cls, x: FloatArray, *, memory_budget: int | None = None, shift: FloatArray | None = None
    ) -> CrossProducts:
        """Prepare ``x``; the cross-product table is kept when it fits ``memory_budget``."""
        n, p = x.shape
        c = x.mean(axis=0) if shift is None else np.asarray(shift, dtype=np.float64)
        width = p + p * (p + 1) // 2
        budget = DEFAULT_MEMORY_BUDGET if memory_budget is None else memory_budget
        row_chunk = int(max(1024, min(n, budget // (8 * 16 * width))))
        square = np.zeros(p)
        for start in range(0, n, row_chunk):
            d = x[start : start + row_chunk] - c
            square += (d * d).sum(axis=0)
        square_scale = np.maximum(square / n, np.finfo(np.float64).tiny)
        table = None
        if n * width * 8 <= budget // 4:
            table = _cross_rows(x, c)
        return cls(x=x, shift=c, n=n, square_scale=square_scale, row_chunk=row_chunk, table=table)

    @property
    def width(self) -> int:
        """Columns of the cross-product table, ``p + p(p+1)/2``."""
        p = int(self.x.shape[1])
        return p + p * (p + 1) // 2

    def rows(self, start: int, stop: int) -> FloatArray:
        """Cross-product rows ``start .. stop − 1``."""
        if self.table is not None:
            return self.table[start:stop]
        return _cross_rows(self.x[start:stop], self.shift)

    def weighted_sums(self, weights: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Total weight (B,) and weighted sums (B, width) for case weights (B, n)."""
        total = weights.sum(axis=1)
        if self.table is not None:
            return total, weights @ self.table
        out = np.zeros((weights.shape[0], self.width))
        for start in range(0, self.n, self.row_chunk):
            stop = min(start + self.row_chunk, self.n)
            out += weights[:, start:stop] @ self.rows(start, stop)
        return total, out

    def group_sums(self, weights: FloatArray, groups: int) -> tuple[FloatArray, FloatArray]:
        """Weighted sums per group, row ``i`` in group ``i mod groups``: (G,), (G, width)."""
        total = np.zeros(groups)
        out = np.zeros((groups, self.width))
        step = max(groups, self.row_chunk // groups * groups)
        for start in range(0, self.n, step):
            stop = min(start + step, self.n)
            wx = self.rows(start, stop) * weights[start:stop, None]
            w = weights[start:stop]
            full = (stop - start) // groups * groups
            if full:
                out += wx[:full].reshape(-1, groups, self.width).sum(axis=0)
                total += w[:full].reshape(-1, groups).sum(axis=0)
            rest = stop - start - full
            if rest:
                out[:rest] += wx[full:]
                total[:rest] += w[full:]
        return total, out

    def moments(
        self, total: FloatArray, sums: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Means, sds and correlation matrices (B, p, p) from weighted sums."""
        return moments_from_sums(total, sums, self.n, self.shift, self.square_scale)


def _cross_rows(x: FloatArray, shift: FloatArray) -> FloatArray:
    p = x.shape[1]
    out = np.empty((x.shape[0], p + p * (p + 1) // 2))
    d = out[:, :p]
    np.subtract(x, shift, out=d)
    start = p
    for i in range(p):  # row i of the upper triangle: no temporary of the table's size
        np.multiply(d[:, i : i + 1], d[:, i:], out=out[:, start : start + p - i])
        start += p - i
    return out


def moments_from_sums(
    total: FloatArray,
    sums: FloatArray,
    n: int,
    shift: FloatArray,
    square_scale: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Weighted means, sds and correlations from the sums of :class:`CrossProducts`.

    ``total`` (B,) is each member's total weight, ``sums`` (B, p + p(p+1)/2) its
    weighted sums of the centred columns and of their upper-triangle products.
    Weights are relative (rescaled to sum to ``n``) and variances use ``n − 1``.
    """
    p = shift.size
    iu, ju, diag, full = _triangle(p)
    inv_total = 1.0 / total
    m1 = sums[:, :p] * inv_total[:, None]
    cov = sums[:, p:] * inv_total[:, None]
    cov -= m1[:, iu] * m1[:, ju]
    cov *= n / (n - 1)
    variances = cov[:, diag]
    # the moment formula leaves rounding noise (~1e-16 of the second moment) where a
    # resample makes a column constant: treat such variances as exactly zero
    variances = np.where(variances <= 1e-12 * square_scale, 0.0, variances)
    sds = np.sqrt(variances)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_sd = np.where(sds > 0, 1.0 / sds, np.nan)
    cov *= inv_sd[:, iu]
    cov *= inv_sd[:, ju]
    cov[:, diag] = np.where(sds > 0, 1.0, np.nan)
    r = np.take(cov, full, axis=1).reshape(-1, p, p)
    return m1 + shift, sds, r


# ---------------------------------------------------------------------------
# Core
# ---------------------------------------------------------------------------


def _check_model(
    p: int,
    blocks: Sequence[Sequence[int] | NDArray[np.integer]],
    modes: Sequence[str],
    structure: NDArray[np.bool_] | Sequence[Sequence[bool]],
    scheme: str,
) -> tuple[list[IntArray], list[str], BoolArray]:
    k = len(blocks)
    if k == 0:
        raise ValueError("the model needs at least one construct (blocks is empty)")
    blks = [np.asarray(b, dtype=np.int64).ravel() for b in blocks]
    for j, b in enumerate(blks):
        if b.size == 0:
            raise ValueError(f"construct {j} has no indicator")
        if b.min() < 0 or b.max() >= p:
            raise ValueError(f"construct {j} refers to indicator columns outside 0..{p - 1}")
    allcols = np.concatenate(blks)
    if np.unique(allcols).size != allcols.size:
        raise ValueError("blocks overlap: an indicator column belongs to two constructs")
    if allcols.size != p:
        missing = sorted(set(range(p)) - {int(c) for c in allcols})
        raise ValueError(f"indicator columns {missing[:5]} belong to no construct")
    md = [str(m).upper() for m in modes]
    if len(md) != k or any(m not in _MODES for m in md):
        raise ValueError(f"modes must be {k} values from {list(_MODES)}, got {list(modes)}")
    st = np.asarray(structure, dtype=bool)
    if st.shape != (k, k):
        raise ValueError(f"structure must be ({k}, {k}), got {st.shape}")
    if np.any(np.diag(st)):
        raise ValueError("structure has a construct predicting itself")
    if scheme not in _SCHEMES:
        raise ValueError(f"scheme must be one of {list(_SCHEMES)}, got {scheme!r}")
    return blks, md, st


def _rcond(a: FloatArray) -> FloatArray:
    """Smallest over largest eigenvalue of each symmetric matrix (leading axes batched).

    Non-finite matrices give NaN.
    """
    lead = a.shape[:-2]
    flat = a.reshape(-1, a.shape[-2], a.shape[-1])
    out = np.full(flat.shape[0], np.nan)
    finite = np.all(np.isfinite(flat), axis=(1, 2))
    if np.any(finite):
        ev = np.linalg.eigvalsh(flat[finite])
        top = np.abs(ev[:, -1])
        with np.errstate(divide="ignore", invalid="ignore"):
            out[finite] = np.where(top > 0, ev[:, 0] / top, 0.0)
    return out.reshape(lead)


def _well_conditioned(a: FloatArray, pivots: FloatArray | None = None) -> BoolArray:
    """``_rcond(a) > SINGULAR_RCOND`` for symmetric ``a`` (..., q, q), mostly without eigenvalues.

    A matrix whose elimination pivots (``pivots``, (q, N) from :func:`_eliminate`) are
    all positive is positive definite, and then ``λ_min / λ_max ≥ det / ‖a‖_∞^q``
    (``det ≤ λ_min λ_max^{q−1}`` and ``λ_max ≤ ‖a‖_∞``): where that bound clears the
    threshold a hundredfold the answer is certain. Only the other matrices get
    their eigenvalues computed, so the decision is exactly that of ``_rcond``.
    """
    lead = a.shape[:-2]
    q = a.shape[-1]
    flat = a.reshape(-1, q, q)
    if pivots is None:
        at = flat.transpose(1, 2, 0).copy()  # a copy even for a batch of one
        pivots = _eliminate(at, np.zeros((q, flat.shape[0])))[1]
    norm = np.abs(flat).sum(axis=2).max(axis=1)
    with np.errstate(over="ignore", invalid="ignore"):
        det = np.prod(pivots, axis=0)
        sure = np.all(pivots > 0, axis=0) & (det > 100.0 * SINGULAR_RCOND * norm**q)
    out = sure.copy()
    unsure = np.flatnonzero(~sure)
    if unsure.size:
        out[unsure] = _rcond(flat[unsure]) > SINGULAR_RCOND
    return np.asarray(out.reshape(lead), dtype=np.bool_)


def _eliminate(at: FloatArray, bt: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Solve ``N`` symmetric systems stored batch-last, in place (no pivoting).

    ``at`` (q, q, N) and ``bt`` (q, N) are overwritten. Gaussian elimination without
    pivoting is stable for the positive (semi)definite correlation matrices solved
    here; an exactly singular one gives a zero pivot and non-finite solutions, which
    the callers flag. Returns the solutions (q, N) and the pivots (q, N).
    """
    q = at.shape[0]
    for i in range(q - 1):
        f = at[i + 1 :, i] / at[i, i]
        at[i + 1 :, i + 1 :] -= f[:, None, :] * at[i, None, i + 1 :]
        bt[i + 1 :] -= f * bt[i]
    pivots = at[np.arange(q), np.arange(q)]
    xt = np.empty_like(bt)
    for i in range(q - 1, -1, -1):
        if i + 1 < q:
            xt[i] = (bt[i] - (at[i, i + 1 :] * xt[i + 1 :]).sum(axis=0)) / pivots[i]
        else:
            xt[i] = bt[i] / pivots[i]
    return xt, pivots


def _solve(a: FloatArray, b: FloatArray) -> tuple[FloatArray, BoolArray]:
    """Batched ``solve(a, b)`` for symmetric ``a`` (..., q, q), ``b`` (..., q); failure flags."""
    q = a.shape[-1]
    lead = b.shape[:-1]
    at = a.reshape(-1, q, q).transpose(1, 2, 0).copy()
    bt = b.reshape(-1, q).T.copy()
    xt, _ = _eliminate(at, bt)
    x = xt.T.reshape(*lead, q)
    bad = ~np.all(np.isfinite(x), axis=-1)
    return np.asarray(x, dtype=np.float64), np.asarray(bad, dtype=np.bool_)


@dataclass(frozen=True)
class _Systems:
    """The regressions of one model that have ``size`` predictors (flat ``k*k`` indices).

    ``a_take`` (size, size, m_s) and ``rhs_take`` (size, m_s) locate each system's
    matrix and right-hand side in the flattened construct correlations, batch-last;
    ``coef_put`` the coefficients' places in the flattened (k, k) path matrix.
    """

    size: int
    regressions: IntArray
    a_take: IntArray
    rhs_take: IntArray
    coef_put: IntArray
    outcomes: IntArray


@dataclass(frozen=True)
class _Design:
    """Index arrays for one model, shared by every member of a batch."""

    p: int
    k: int
    blocks: list[IntArray]
    modes: list[str]
    structure: BoolArray
    mask: FloatArray  # (p, k) membership
    owner: IntArray  # (p,) construct of each indicator
    adjacent: FloatArray  # (k, k) structure | structure.T
    succ: FloatArray  # (k, k) structure.T as float (cell [i, j]: j -> i)
    dv: IntArray  # (m,) endogenous constructs
    pred: IntArray  # (m, q) predecessors of each, padded with 0
    pad: BoolArray  # (m, q) True where ``pred`` is padding
    systems: tuple[_Systems, ...]  # the regressions, grouped by number of predictors
    block_take: IntArray  # (p,) flat (k*p) position of each indicator in a (k, p) array
    single: IntArray  # indicators alone in their block (weight exactly ±1)


def _design(
    p: int,
    blocks: Sequence[Sequence[int] | NDArray[np.integer]],
    modes: Sequence[str],
    structure: NDArray[np.bool_] | Sequence[Sequence[bool]],
    scheme: str,
) -> _Design:
    blks, md, st = _check_model(p, blocks, modes, structure, scheme)
    k = len(blks)
    mask = np.zeros((p, k))
    owner = np.empty(p, dtype=np.int64)
    for j, b in enumerate(blks):
        mask[b, j] = 1.0
        owner[b] = j
    dv = np.flatnonzero(st.any(axis=0)).astype(np.int64)
    q = int(st.sum(axis=0).max()) if dv.size else 1
    pred = np.zeros((dv.size, q), dtype=np.int64)
    pad = np.ones((dv.size, q), dtype=bool)
    for m, j in enumerate(dv.tolist()):
        idx = np.flatnonzero(st[:, j])
        pred[m, : idx.size] = idx
        pad[m, : idx.size] = False
    systems = []
    sizes = st.sum(axis=0)[dv] if dv.size else np.zeros(0, dtype=np.int64)
    for s in sorted({int(v) for v in sizes}):
        regs = np.flatnonzero(sizes == s)
        preds = pred[regs, :s]  # (m_s, s)
        outs = dv[regs]
        systems.append(
            _Systems(
                size=s,
                regressions=regs.astype(np.int64),
                a_take=(preds[:, :, None] * k + preds[:, None, :]).transpose(1, 2, 0).copy(),
                rhs_take=(preds * k + outs[:, None]).T.copy(),
                coef_put=(preds.T * k + outs[None, :]).ravel().astype(np.int64),
                outcomes=outs.astype(np.int64),
            )
        )
    return _Design(
        p=p,
        k=k,
        blocks=blks,
        modes=md,
        structure=st,
        mask=mask,
        owner=owner,
        adjacent=(st | st.T).astype(np.float64),
        succ=st.T.astype(np.float64),
        dv=dv,
        pred=pred,
        pad=pad,
        systems=tuple(systems),
        block_take=(owner * p + np.arange(p)).astype(np.int64),
        single=np.array([int(b[0]) for b in blks if b.size == 1], dtype=np.int64),
    )


@functools.lru_cache(maxsize=64)
def _design_cached(
    p: int,
    blocks: tuple[tuple[int, ...], ...],
    modes: tuple[str, ...],
    shape: tuple[int, ...],
    structure: bytes,
    scheme: str,
) -> _Design:
    st = np.frombuffer(structure, dtype=bool).reshape(shape) if shape else np.zeros(0, bool)
    d = _design(p, [np.asarray(b, dtype=np.int64) for b in blocks], modes, st, scheme)
    # shared between calls: make every array read-only
    for value in vars(d).values():
        for arr in value if isinstance(value, list) else [value]:
            if isinstance(arr, np.ndarray):
                arr.flags.writeable = False
    return d


def _solve_systems(
    flat_t: FloatArray, sys_: _Systems, *, keep: bool = False
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray | None]:
    """Solve one group of regressions for every member.

    ``flat_t`` is the flattened construct correlation matrices, transposed to
    ``(k*k, B)``. Returns the solutions and the right-hand sides, ``(s, m_s·B)``
    (column ``i·B + b``: regression ``i`` of member ``b``), the pivots and, with
    ``keep``, the matrices ``(m_s·B, s, s)`` as they were (for a condition check).
    One predictor: a division; two: the closed form; more: :func:`_eliminate`.
    """
    nb = flat_t.shape[1]
    s = sys_.size
    m = sys_.regressions.size
    at = flat_t[sys_.a_take.ravel()].reshape(s, s, m * nb)
    bt = flat_t[sys_.rhs_take.ravel()].reshape(s, m * nb)
    original = np.ascontiguousarray(at.transpose(2, 0, 1)) if keep else None
    if s == 1:
        pivots = at[0].copy()
        xt = bt / pivots
    elif s == 2:
        a00, a01, a10, a11 = at[0, 0], at[0, 1], at[1, 0], at[1, 1]
        det = a00 * a11 - a01 * a10
        xt = np.empty_like(bt)
        np.divide(a11 * bt[0] - a01 * bt[1], det, out=xt[0])
        np.divide(a00 * bt[1] - a10 * bt[0], det, out=xt[1])
        pivots = np.empty_like(bt)
        pivots[0] = a00
        np.divide(det, a00, out=pivots[1])
    else:
        xt, pivots = _eliminate(at, bt.copy())
    return xt, bt, pivots, original


def _put_coefficients(out: FloatArray, xt: FloatArray, sys_: _Systems) -> None:
    """Scatter one group's solutions (s, m_s·B) into ``out`` (B, k, k)."""
    nb, k, _ = out.shape
    out.reshape(nb, k * k)[:, sys_.coef_put] = xt.reshape(-1, nb).T


def _regressions(
    rc: FloatArray, d: _Design, *, check: bool = False
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """OLS of every endogenous construct on its predecessors, from correlations ``rc``.

    All regressions with the same number of predictors are one batched solve over
    all members (:func:`_solve_systems`). Returns the coefficient matrix (B, k, k),
    R² (B, k; NaN for exogenous) and a per-member flag for a failed (or, with
    ``check``, near-singular) regression.
    """
    nb, k, _ = rc.shape
    beta = np.zeros((nb, k, k))
    r2 = np.full((nb, k), np.nan)
    bad = np.zeros(nb, dtype=bool)
    flat_t = np.ascontiguousarray(rc.reshape(nb, k * k).T)
    for sys_ in d.systems:
        m = sys_.regressions.size
        xt, bt, pivots, original = _solve_systems(flat_t, sys_, keep=check)
        bad |= ~np.all(np.isfinite(xt).reshape(sys_.size, m, nb), axis=(0, 1))
        if original is not None:
            ok = _well_conditioned(original, pivots)
            bad |= ~np.all(ok.reshape(m, nb), axis=0)
        _put_coefficients(beta, xt, sys_)
        r2[:, sys_.outcomes] = (xt * bt).sum(axis=0).reshape(m, nb).T
    return beta, r2, bad


def _inner_weights(rc: FloatArray, d: _Design, scheme: str) -> FloatArray:
    if scheme == "factorial":
        return rc * d.adjacent
    if scheme == "centroid":
        return np.sign(rc) * d.adjacent
    # path weighting: successors weighted by their correlation, predecessors by the
    # regression coefficients of the construct on all its predecessors (a failed
    # regression gives NaN, which the caller detects in the weight change)
    e = rc * d.succ
    if d.systems:
        nb, k, _ = rc.shape
        flat_t = np.ascontiguousarray(rc.reshape(nb, k * k).T)
        for sys_ in d.systems:
            _put_coefficients(e, _solve_systems(flat_t, sys_)[0], sys_)
    return e


def _nan_batch(nb: int, p: int, k: int) -> dict[str, FloatArray]:
    return {
        "outer_weights": np.full((nb, p), np.nan),
        "loadings": np.full((nb, p), np.nan),
        "cross_loadings": np.full((nb, p, k), np.nan),
        "score_correlations": np.full((nb, k, k), np.nan),
        "construct_correlations": np.full((nb, k, k), np.nan),
        "paths": np.full((nb, k, k), np.nan),
        "r2": np.full((nb, k), np.nan),
        "rho_a": np.full((nb, k), np.nan),
    }


def _iterate(
    ra: FloatArray,
    d: _Design,
    scheme: str,
    tol: float,
    max_iter: int,
    mode_b_inv: dict[int, FloatArray],
    weights: FloatArray,
    rw_all: FloatArray,
    iterations: IntArray,
    change: FloatArray,
    singular: BoolArray,
) -> None:
    """The PLS outer-weight iteration of every member, updating the arrays in place.

    Each update works on the unnormalised weights ``g`` and ``(R G)ᵀ`` (``G`` the
    block-diagonal weight matrix; stored construct-major, ``(B, k, p)``): construct
    correlations, inner weights and the next ``g`` do not depend on the scale of
    the previous iterate, so only the weights themselves are rescaled (``w = g /
    sd``, unit score variances) for the stop criterion and the results.

    The members still iterating form a working set with its own copy of their
    matrices. A member stops when its criterion is met (or its update is not finite);
    its state at that update is stored and it is no longer updated. Stopped members
    stay in the working set, their further updates discarded, until fewer than
    :data:`_COMPACT_SHARE` of it still iterate; then the set is compacted. So each
    member gets exactly the updates a separate fit would, whatever the batch.
    """
    nb, p, _ = ra.shape
    k, mask, owner = d.k, d.mask, d.owner
    work = np.flatnonzero(~singular)
    if work.size == 0:
        return
    whole = work.size == nb
    rr = ra if whole else ra[work]
    w = weights[work]
    g = w
    rwt = np.ascontiguousarray((rw_all[work]).transpose(0, 2, 1))  # (R G)ᵀ, (B, k, p)
    c = ((rwt * g[:, None, :]).reshape(-1, p) @ mask).reshape(-1, k, k)  # Gᵀ R G
    binv = {j: (inv if whole else inv[work]) for j, inv in mode_b_inv.items()}
    alive = np.ones(work.size, dtype=bool)
    gt = np.zeros((work.size, k * p))  # Gᵀ: only the block positions are ever written
    for _ in range(max_iter):
        nw = work.size
        inv_sd = 1.0 / np.sqrt(np.diagonal(c, axis1=1, axis2=2))
        rc = c * inv_sd[:, :, None]
        rc *= inv_sd[:, None, :]
        e = _inner_weights(rc, d, scheme)
        # covariance of each indicator with its own construct's inner proxy
        # (the proxy's scale cancels in the normalisation)
        e *= inv_sd[:, :, None]
        inner = np.matmul(e.transpose(0, 2, 1), rwt)  # (B, k, p)
        g = np.take(inner.reshape(nw, k * p), d.block_take, axis=1)
        for j, inv in binv.items():
            b = d.blocks[j]
            g[:, b] = (inv @ g[:, b, None])[:, :, 0]
        gt[:, d.block_take] = g
        rwt = gt.reshape(nw, k, p) @ rr
        c = ((rwt * g[:, None, :]).reshape(nw * k, p) @ mask).reshape(nw, k, k)
        scale = 1.0 / np.sqrt(np.diagonal(c, axis1=1, axis2=2))
        w_new = g * scale[:, owner]
        if d.single.size:  # g / |g| up to rounding: make it exact
            w_new[:, d.single] = np.sign(g[:, d.single])
        diff = np.abs(w_new - w).sum(axis=1)
        bad = ~np.isfinite(diff)
        stop = alive & (bad | (diff < tol))
        ids = work[alive]
        iterations[ids] += 1
        change[ids] = diff[alive]
        if stop.any():
            done = work[stop]
            weights[done] = w_new[stop]
            rw_all[done] = (rwt[stop] * scale[stop][:, :, None]).transpose(0, 2, 1)
            singular[work[stop & bad]] = True
            alive &= ~stop
        w = w_new
        n_alive = int(alive.sum())
        if n_alive == 0:
            return
        if n_alive < _COMPACT_SHARE * nw:
            keep = np.flatnonzero(alive)
            work, rr, w, rwt, c = work[keep], rr[keep], w[keep], rwt[keep], c[keep]
            binv = {j: inv[keep] for j, inv in binv.items()}
            alive = np.ones(keep.size, dtype=bool)
            gt = np.zeros((keep.size, k * p))
    # max_iter reached: keep the last update of the members still iterating
    ids = work[alive]
    weights[ids] = w[alive]
    scale = 1.0 / np.sqrt(np.diagonal(c[alive], axis1=1, axis2=2))
    rw_all[ids] = (rwt[alive] * scale[:, :, None]).transpose(0, 2, 1)


def estimate_pls_moments(
    r: FloatArray,
    blocks: Sequence[Sequence[int] | NDArray[np.integer]],
    modes: Sequence[str],
    structure: NDArray[np.bool_] | Sequence[Sequence[bool]],
    *,
    scheme: str = "path",
    tol: float = 1e-7,
    max_iter: int = 300,
    consistent: bool = False,
) -> PLSBatch:
    """Estimate a PLS path model on each of a batch of indicator correlation matrices.

    Parameters
    ----------
    r : ndarray (B, p, p) or (p, p)
        Indicator correlation matrices (a 2-D matrix is a batch of one).
    blocks : sequence of k int arrays
        Indicator columns of each construct; disjoint, together covering 0..p-1.
    modes : sequence of k str
        ``"A"`` (reflective / Mode A) or ``"B"`` (formative / Mode B).
    structure : (k, k) bool
        ``structure[i, j]``: construct i -> construct j. Must be acyclic for the
        paths to be meaningful (not checked here).
    scheme : {"path", "centroid", "factorial"}
        Inner weighting scheme.
    tol : float
        Stop when the sum of absolute outer-weight changes falls below ``tol``.
    max_iter : int
        Maximum number of outer-weight updates.
    consistent : bool
        Apply PLSc to the Mode A constructs.

    Returns
    -------
    PLSBatch

    Examples
    --------
    >>> import numpy as np
    >>> lam = np.array([0.8, 0.7, 0.9, 0.8])
    >>> r = np.outer(lam, lam) * np.array([[1, 1, .5, .5], [1, 1, .5, .5],
    ...                                    [.5, .5, 1, 1], [.5, .5, 1, 1]])
    >>> np.fill_diagonal(r, 1.0)
    >>> fit = estimate_pls_moments(r, [[0, 1], [2, 3]], ["A", "A"],
    ...                            [[False, True], [False, False]], consistent=True)
    >>> round(float(fit.paths[0, 0, 1]), 6), bool(fit.converged[0])
    (0.5, True)
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return _estimate_pls_moments(
            r,
            blocks,
            modes,
            structure,
            scheme=scheme,
            tol=tol,
            max_iter=max_iter,
            consistent=consistent,
        )


def _estimate_pls_moments(
    r: FloatArray,
    blocks: Sequence[Sequence[int] | NDArray[np.integer]],
    modes: Sequence[str],
    structure: NDArray[np.bool_] | Sequence[Sequence[bool]],
    *,
    scheme: str,
    tol: float,
    max_iter: int,
    consistent: bool,
) -> PLSBatch:
    ra = np.asarray(r, dtype=np.float64)
    if ra.ndim == 2:
        ra = ra[None]
    if ra.ndim != 3 or ra.shape[1] != ra.shape[2]:
        raise ValueError(f"r must have shape (B, p, p) or (p, p), got {np.shape(r)}")
    if max_iter < 1:
        raise ValueError(f"max_iter must be >= 1, got {max_iter}")
    if not tol > 0:
        raise ValueError(f"tol must be positive, got {tol}")
    nb, p, _ = ra.shape
    st_arr = np.asarray(structure)
    d = _design_cached(
        p,
        tuple(tuple(int(i) for i in np.asarray(b).ravel()) for b in blocks),
        tuple(str(m) for m in modes),
        st_arr.shape,
        np.asarray(st_arr, dtype=bool).tobytes(),
        scheme,
    )
    k, mask, owner = d.k, d.mask, d.owner
    kk = np.arange(k)

    singular = ~np.all(np.isfinite(ra), axis=(1, 2))
    # Mode B blocks: R_bb is fixed, so invert it once per member
    mode_b_inv: dict[int, FloatArray] = {}
    for j, b in enumerate(d.blocks):
        if d.modes[j] != "B" or b.size == 1:
            continue
        rbb = ra[:, b[:, None], b[None, :]]
        bad_b = ~_well_conditioned(rbb)
        singular |= bad_b
        inv = np.broadcast_to(np.eye(b.size), rbb.shape).copy()
        if np.any(~bad_b):
            inv[~bad_b] = np.linalg.inv(rbb[~bad_b])
        mode_b_inv[j] = inv

    weights = np.ones((nb, p))  # compact: each indicator's weight on its own construct
    iterations = np.zeros(nb, dtype=np.int64)
    change = np.full(nb, np.inf)
    rw_all = ra @ mask  # R @ W, for the final statistics
    _iterate(
        ra, d, scheme, tol, max_iter, mode_b_inv, weights, rw_all, iterations, change, singular
    )

    inadmissible = np.zeros(nb, dtype=bool)
    good = np.flatnonzero(~singular)
    if good.size:
        every = good.size == nb
        w = weights if every else weights[good]
        rw = rw_all if every else rw_all[good]
        c = mask.T @ (w[:, :, None] * rw)
        sd = np.sqrt(c[:, kk, kk])
        score_cor = c / (sd[:, :, None] * sd[:, None, :])
        cross = rw / sd[:, None, :]
        score_cor[:, kk, kk] = 1.0
        loadings = cross[:, np.arange(p), owner]
        rho = np.ones((good.size, k))
        for j, b in enumerate(d.blocks):
            if d.modes[j] != "A" or b.size < 2:
                continue
            wb = w[:, b]
            wtw = np.einsum("bq,bq->b", wb, wb)
            wsw = c[:, j, j]  # w_b' R_bb w_b
            rho[:, j] = wtw**2 * (wsw - wtw) / (wtw**2 - np.sum(wb**4, axis=1))
        rc = score_cor
        if consistent:
            rc = score_cor / np.sqrt(rho[:, :, None] * rho[:, None, :])
            rc[:, kk, kk] = 1.0
            offdiag = ~np.eye(k, dtype=bool)
            inadmissible[good] = np.any(~(rho > 0) | (rho > 1), axis=1) | np.any(
                np.abs(rc[:, offdiag]) > 1, axis=1
            )
            for j, b in enumerate(d.blocks):
                if d.modes[j] != "A":
                    continue
                wb = w[:, b]
                wtw = np.einsum("bq,bq->b", wb, wb)
                loadings[:, b] = wb * (np.sqrt(rho[:, j]) / wtw)[:, None]
        beta, r2, bad = _regressions(rc, d, check=True)
        bad |= ~np.all(np.isfinite(score_cor), axis=(1, 2))
        singular[good[bad]] = True
        found = {
            "outer_weights": w,
            "loadings": loadings,
            "cross_loadings": cross,
            "score_correlations": score_cor,
            "construct_correlations": rc,
            "paths": beta,
            "r2": r2,
            "rho_a": rho,
        }
        if every:
            out = {key: np.array(value, dtype=np.float64) for key, value in found.items()}
        else:
            out = _nan_batch(nb, p, k)
            for key, value in found.items():
                out[key][good] = value
    else:
        out = _nan_batch(nb, p, k)
    converged = (change < tol) & ~singular
    return PLSBatch(
        iterations=iterations,
        converged=np.asarray(converged, dtype=np.bool_),
        final_change=change,
        singular=np.asarray(singular, dtype=np.bool_),
        inadmissible=inadmissible,
        **out,
    )


def estimate_pls(
    x: FloatArray,
    blocks: Sequence[Sequence[int] | NDArray[np.integer]],
    modes: Sequence[str],
    structure: NDArray[np.bool_] | Sequence[Sequence[bool]],
    *,
    scheme: str = "path",
    case_weights: FloatArray | None = None,
    tol: float = 1e-7,
    max_iter: int = 300,
    consistent: bool = False,
) -> PLSEstimate:
    """Estimate a PLS path model on raw indicator data.

    Standardises the indicators with their (weighted) means and sds, fits the model
    to their (weighted) correlation matrix with :func:`estimate_pls_moments` and
    computes the construct scores ``Z @ W``.

    Parameters
    ----------
    x : ndarray (n, p)
        Raw indicator values, no NaN (missing data are handled before).
    blocks, modes, structure, scheme, tol, max_iter, consistent
        As in :func:`estimate_pls_moments`.
    case_weights : ndarray (n,), optional
        Respondent weights (>= 0): weighted means, sds and correlations.

    Returns
    -------
    PLSEstimate

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> eta = rng.normal(size=(200, 1))
    >>> x = np.hstack([eta + rng.normal(size=(200, 2)), 0.5 * eta + rng.normal(size=(200, 2))])
    >>> fit = estimate_pls(x, [[0, 1], [2, 3]], ["A", "A"], [[False, True], [False, False]])
    >>> fit.converged, fit.scores.shape
    (True, (200, 2))
    """
    xa = np.asarray(x, dtype=np.float64)
    if xa.ndim != 2:
        raise ValueError(f"x must be a 2-D array (n, p), got shape {xa.shape}")
    if not np.all(np.isfinite(xa)):
        raise ValueError("x contains NaN or infinite values; handle missing data first")
    n = xa.shape[0]
    wts = None
    if case_weights is not None:
        wts = np.asarray(case_weights, dtype=np.float64)
        if wts.shape != (n,):
            raise ValueError(f"case_weights must have shape ({n},), got {wts.shape}")
        wts = wts[None, :]
    means, sds, r = batch_correlations(xa, wts)
    fit = estimate_pls_moments(
        r,
        blocks,
        modes,
        structure,
        scheme=scheme,
        tol=tol,
        max_iter=max_iter,
        consistent=consistent,
    )
    k = fit.paths.shape[1]
    if fit.singular[0]:
        scores = np.full((n, k), np.nan)
    else:
        owner = np.empty(xa.shape[1], dtype=np.int64)
        for j, b in enumerate(blocks):
            owner[np.asarray(b, dtype=np.int64)] = j
        w = np.zeros((xa.shape[1], k))
        w[np.arange(xa.shape[1]), owner] = fit.outer_weights[0]
        scores = ((xa - means[0]) / sds[0]) @ w
    return PLSEstimate(
        outer_weights=fit.outer_weights[0],
        loadings=fit.loadings[0],
        cross_loadings=fit.cross_loadings[0],
        scores=scores,
        construct_correlations=fit.construct_correlations[0],
        paths=fit.paths[0],
        r2=fit.r2[0],
        iterations=int(fit.iterations[0]),
        converged=bool(fit.converged[0]),
        final_change=float(fit.final_change[0]),
        indicator_means=means[0],
        indicator_sds=sds[0],
        indicator_correlations=r[0],
        score_correlations=fit.score_correlations[0],
        rho_a=fit.rho_a[0],
        singular=bool(fit.singular[0]),
        inadmissible=bool(fit.inadmissible[0]),
        n_obs=n,
        scheme=scheme,
        consistent=consistent,
        tol=tol,
        max_iter=max_iter,
    )
