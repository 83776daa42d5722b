"""Batched bootstrap of PLS path models: every resample at once, in chunks.

A resample is a vector of counts (how often each respondent is drawn). The counts,
times the respondent weights, are case weights; :func:`batch_correlations` turns a
chunk of them into weighted means, standard deviations and correlation matrices in
one matrix product, and :func:`estimate_pls_moments` runs the PLS algorithm on all of
them at once. No resampled data set is ever built and there is no Python loop per
resample.

Reproducibility: resample ``b`` is drawn from its own random stream, spawned from
``random_state`` for fixed blocks of :data:`DRAW_BLOCK` resamples, so the draws — and
so every number — do not depend on ``chunk_size``, ``n_jobs`` or ``memory_budget``.

Memory: a chunk of resamples holds its counts (``chunk × n``) and its batch of
correlation matrices within half of ``memory_budget`` (default 1 GiB); the table of
per-respondent cross products is kept when it fits a quarter of the budget and is
otherwise rebuilt in row chunks for each resample chunk; with very many
respondents, resample rows are drawn one at a time from their block's stream (the
same numbers). The jackknife subtracts each group's sums from the full sample's,
so no weight matrix over all rows is built either.

Inference (Davison & Hinkley 1997; Efron 1987):

- standard error: the standard deviation of the draws (n − 1), as seminr and SmartPLS;
- ``t = estimate / std_error``, two-sided ``p`` from Student's t with ``B − 1`` degrees
  of freedom (SmartPLS);
- percentile interval: the ``α/2`` and ``1 − α/2`` quantiles of the draws (linear
  interpolation, as ``numpy.quantile`` and ``scipy.stats.bootstrap``);
- BCa: bias correction ``z0 = Φ⁻¹(#{θ*_b < θ̂} / B)``, acceleration
  ``a = Σ (θ̄ − θ_(i))³ / (6 [Σ (θ̄ − θ_(i))²]^{3/2})`` from the jackknife values
  ``θ_(i)`` (leave-one-out; with more than :data:`MAX_JACKKNIFE` respondents, a
  delete-a-group jackknife over that many groups), and quantile levels
  ``Φ(z0 + (z0 + z_α) / (1 − a (z0 + z_α)))``.

Sign changes (Tenenhaus et al. 2005): ``"none"`` (default, as seminr), ``"construct"``
(a construct's weights, loadings and paths flip when that brings its loadings closer
to the original ones) and ``"individual"`` (each weight, loading and path takes the
sign of the original estimate).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from csimodels.errors import InvalidParameterError, format_offenders
from csimodels.inference import check_resample_count, parse_memory_budget
from csimodels.results import Frame, Result
from csimodels.sem._pls_assess import total_effects
from csimodels.sem._pls_engine import (
    DEFAULT_MEMORY_BUDGET,
    CrossProducts,
    PLSBatch,
    batch_correlations,
    estimate_pls_moments,
)

__all__ = [
    "DEFAULT_CHUNK",
    "DRAW_BLOCK",
    "MAX_JACKKNIFE",
    "BootstrapDraws",
    "PLSBootstrap",
    "StatisticLayout",
    "batched_index",
    "bca_interval",
    "bootstrap_sums",
    "check_memory_budget",
    "draw_in_blocks",
    "draw_resamples",
    "percentile_interval",
    "resample_chunk",
    "resample_counts",
    "run_bootstrap",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

DRAW_BLOCK = 64
#: Resamples per chunk when memory allows (the batched iteration runs fastest on
#: chunks that stay in the processor's cache).
DEFAULT_CHUNK = 512
MAX_JACKKNIFE = 500
#: Relative tolerance under which a resampled statistic counts as tied with the
#: original estimate (BCa bias correction).
TIE_RTOL = 100 * np.finfo(np.float64).eps
MAX_RESAMPLES = 200_000
SIGN_CHANGES = ("none", "construct", "individual")


@dataclass(frozen=True)
class StatisticLayout:
    """Which statistics one bootstrap row holds, in which columns.

    ``labels`` are ``(kind, name)`` pairs: kinds ``weight``, ``loading``, ``path``,
    ``indirect``, ``total``, ``r2``, ``htmt``, ``index``, ``index_weight`` (an
    indicator's weight in its construct's 0–100 index) and ``importance`` (the IPMA
    importance: the total effect in index points per index point).
    """

    blocks: tuple[IntArray, ...]
    modes: tuple[str, ...]
    structure: NDArray[np.bool_]
    items: tuple[str, ...]
    constructs: tuple[str, ...]
    paths: tuple[tuple[int, int], ...]
    effects: tuple[tuple[int, int], ...]
    endogenous: tuple[int, ...]
    htmt_pairs: tuple[tuple[int, int], ...]
    lower: FloatArray
    upper: FloatArray

    @property
    def labels(self) -> list[tuple[str, str]]:
        """Column labels of the statistic matrix."""
        c = self.constructs
        out = [("weight", i) for i in self.items] + [("loading", i) for i in self.items]
        out += [("path", f"{c[a]} -> {c[b]}") for a, b in self.paths]
        out += [("indirect", f"{c[a]} -> {c[b]}") for a, b in self.effects]
        out += [("total", f"{c[a]} -> {c[b]}") for a, b in self.effects]
        out += [("r2", c[j]) for j in self.endogenous]
        out += [("htmt", f"{c[a]} ~ {c[b]}") for a, b in self.htmt_pairs]
        out += [("index", name) for name in c]
        out += [("index_weight", i) for i in self.items]
        out += [("importance", f"{c[a]} -> {c[b]}") for a, b in self.effects]
        return out

    @property
    def fixed_by_construction(self) -> NDArray[np.bool_]:
        """Which statistics are constant by construction (one per label).

        The weight, the loading and the index weight of a single-indicator construct
        are exactly 1 in every sample; their resampled values differ from 1 by rounding
        alone, so a standard error, t or p-value of them would only measure the BLAS
        kernel.
        """
        single = {self.items[int(b[0])] for b in self.blocks if len(b) == 1}
        return np.array(
            [
                kind in ("weight", "loading", "index_weight") and name in single
                for kind, name in self.labels
            ],
            dtype=np.bool_,
        )


def draw_resamples(
    random_state: int | np.random.SeedSequence | None, n: int, start: int, stop: int
) -> IntArray:
    """Row indices of resamples ``start .. stop - 1`` (shape ``(stop - start, n)``).

    Resamples are generated in fixed blocks of :data:`DRAW_BLOCK`, each from a stream
    spawned from ``random_state``, so any range gives the same rows for the same
    resample numbers.

    Examples
    --------
    >>> a = draw_resamples(7, 10, 0, 100)
    >>> bool((draw_resamples(7, 10, 40, 70) == a[40:70]).all())
    True
    """
    return draw_in_blocks(
        random_state, start, stop, lambda rng: rng.integers(0, n, size=(DRAW_BLOCK, n))
    )


def draw_in_blocks(
    random_state: int | np.random.SeedSequence | None,
    start: int,
    stop: int,
    draw_block: Callable[[np.random.Generator], IntArray],
) -> IntArray:
    """Rows ``start .. stop - 1`` of a stream of random index rows drawn in fixed blocks.

    Block ``b`` (rows ``b·DRAW_BLOCK`` to ``(b + 1)·DRAW_BLOCK − 1``) comes from
    ``draw_block`` called with a generator spawned from ``random_state`` for that
    block alone, so a row depends only on its number: resamples and permutations are
    the same whatever the chunk size or the number of jobs.

    Examples
    --------
    >>> import numpy as np
    >>> rows = draw_in_blocks(1, 3, 5, lambda rng: rng.integers(0, 9, size=(DRAW_BLOCK, 2)))
    >>> rows.shape
    (2, 2)
    """
    root = (
        random_state
        if isinstance(random_state, np.random.SeedSequence)
        else np.random.SeedSequence(random_state)
    )
    parts = []
    for block in range(start // DRAW_BLOCK, (stop - 1) // DRAW_BLOCK + 1):
        seq = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, block))
        rows = draw_block(np.random.default_rng(seq))
        lo = max(start - block * DRAW_BLOCK, 0)
        hi = min(stop - block * DRAW_BLOCK, DRAW_BLOCK)
        parts.append(rows[lo:hi])
    return np.concatenate(parts).astype(np.int64)


def resample_counts(
    random_state: int | np.random.SeedSequence | None,
    n: int,
    start: int,
    stop: int,
    *,
    memory_budget: int | None = None,
) -> FloatArray:
    """How often each of ``n`` rows is drawn in resamples ``start .. stop − 1``, (B, n).

    The same resamples as :func:`draw_resamples` (``counts[b] = bincount(rows[b])``),
    without holding more than one block of row indices at once: when a block of
    :data:`DRAW_BLOCK` index rows would take more than an eighth of
    ``memory_budget``, its rows are drawn one at a time from the block's stream,
    which gives the same numbers.

    Examples
    --------
    >>> import numpy as np
    >>> rows = draw_resamples(4, 30, 10, 20)
    >>> counts = resample_counts(4, 30, 10, 20, memory_budget=1000)
    >>> bool((counts == np.stack([np.bincount(r, minlength=30) for r in rows])).all())
    True
    """
    budget = DEFAULT_MEMORY_BUDGET if memory_budget is None else memory_budget
    whole_blocks = DRAW_BLOCK * n * 8 <= budget // 8
    root = (
        random_state
        if isinstance(random_state, np.random.SeedSequence)
        else np.random.SeedSequence(random_state)
    )
    out = np.empty((stop - start, n))
    for block in range(start // DRAW_BLOCK, (stop - 1) // DRAW_BLOCK + 1):
        seq = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, block))
        rng = np.random.default_rng(seq)
        first = block * DRAW_BLOCK
        lo, hi = max(start, first), min(stop, first + DRAW_BLOCK)
        if whole_blocks:
            rows = rng.integers(0, n, size=(DRAW_BLOCK, n))
            _counts(rows[lo - first : hi - first], n, out=out[lo - start : hi - start])
            continue
        for row in range(first, hi):
            drawn = rng.integers(0, n, size=n)
            if row >= lo:
                out[row - start] = np.bincount(drawn, minlength=n)
    return out


def resample_chunk(n: int, width: int, memory_budget: int | None, requested: int | None) -> int:
    """Resamples per chunk: ``requested`` (or :data:`DEFAULT_CHUNK`) within the budget.

    A chunk holds its case weights (B × n), their weighted cross-product sums and
    the batch's correlation matrices and PLS arrays; half of ``memory_budget`` goes
    to them (the rest to the cross-product rows and the draws).

    Examples
    --------
    >>> resample_chunk(250, 324, None, None)
    512
    >>> resample_chunk(1_000_000, 119, 2**30, None)
    66
    """
    budget = DEFAULT_MEMORY_BUDGET if memory_budget is None else memory_budget
    p = int((np.sqrt(8 * width + 9) - 3) / 2)  # width = p + p(p+1)/2
    per_resample = 8 * (n + 4 * width + 16 * p * p)
    fits = max(1, (budget // 2) // per_resample)
    return int(min(DEFAULT_CHUNK if requested is None else requested, fits))


def _counts(indices: IntArray, n: int, out: FloatArray | None = None) -> FloatArray:
    """Resample counts (B, n) from row indices (B, n), a few rows' bincount at a time."""
    b = indices.shape[0]
    out = np.empty((b, n)) if out is None else out
    step = max(1, (1 << 20) // max(n, 1))  # about 8 MB of temporaries at once
    for start in range(0, b, step):
        part = indices[start : start + step]
        m = part.shape[0]
        flat = (part + (np.arange(m) * n)[:, None]).ravel()
        out[start : start + m] = np.bincount(flat, minlength=m * n).reshape(m, n)
    return out


def _statistics(
    layout: StatisticLayout, fit: PLSBatch, means: FloatArray, sds: FloatArray, r: FloatArray
) -> FloatArray:
    """The statistic matrix (B, q) of a batch, in ``layout.labels`` order.

    Members that failed (singular, e.g. a constant resampled column) give NaN or inf
    here; they are excluded afterwards, so numpy's warnings about them are silenced.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return _statistics_unchecked(layout, fit, means, sds, r)


def _statistics_unchecked(
    layout: StatisticLayout, fit: PLSBatch, means: FloatArray, sds: FloatArray, r: FloatArray
) -> FloatArray:
    b = fit.paths.shape[0]
    cols: list[FloatArray] = [fit.outer_weights, fit.loadings]
    if layout.paths:
        src, dst = np.array(layout.paths).T
        cols.append(fit.paths[:, src, dst])
    if layout.effects:
        total = np.asarray(total_effects(fit.paths), dtype=np.float64)
        src, dst = np.array(layout.effects).T
        cols.append(total[:, src, dst] - fit.paths[:, src, dst])
        cols.append(total[:, src, dst])
    if layout.endogenous:
        cols.append(fit.r2[:, list(layout.endogenous)])
    if layout.htmt_pairs:
        cols.append(_batched_htmt(np.abs(r), layout))
    cols.append(batched_index(fit.outer_weights, means, sds, layout))
    shares, slopes = _index_scaling(fit.outer_weights, sds, layout)
    cols.append(shares)
    if layout.effects:
        src, dst = np.array(layout.effects).T
        cols.append(total[:, src, dst] * slopes[:, dst] / slopes[:, src])
    return np.concatenate([c.reshape(b, -1) for c in cols], axis=1)


def _index_scaling(
    weights: FloatArray, sds: FloatArray, layout: StatisticLayout
) -> tuple[FloatArray, FloatArray]:
    """Each indicator's weight in its construct's 0–100 index, (B, p), and each
    construct's index points per standard deviation of its score, (B, k).

    ``index_j = a_j + b_j · score_j`` with ``b_j = 100 / Σ_i (w_i / sd_i)(max_i − min_i)``
    (Ringle & Sarstedt 2016); the IPMA importance of ``d`` on ``t`` is the total effect
    times ``b_t / b_d``. Both use the resample's own standard deviations.
    """
    scaled = weights / sds * (layout.upper - layout.lower)
    owner = np.empty(scaled.shape[1], dtype=np.intp)
    for j, blk in enumerate(layout.blocks):
        owner[blk] = j
    membership = np.zeros((scaled.shape[1], len(layout.blocks)))
    membership[np.arange(scaled.shape[1]), owner] = 1.0
    denom = scaled @ membership  # (B, k): each construct's sum over its indicators
    return scaled / denom[:, owner], 100.0 / denom


def _batched_htmt(abs_r: FloatArray, layout: StatisticLayout) -> FloatArray:
    """HTMT of every pair of multi-item constructs, (B, pairs), from block sums of |r|."""
    nb, p, _ = abs_r.shape
    k = len(layout.blocks)
    mask = np.zeros((p, k))
    for j, blk in enumerate(layout.blocks):
        mask[blk, j] = 1.0
    sizes = mask.sum(axis=0)
    rows = (abs_r.reshape(nb * p, p) @ mask).reshape(nb, p, k)
    sums = mask.T @ rows  # (B, k, k): sum of |r| over block i x block j
    diag = np.diagonal(abs_r, axis1=1, axis2=2) @ mask
    first, second = np.array(layout.htmt_pairs).T
    cells = np.arange(k)
    within = sums[:, cells, cells] - diag
    mono = within / (sizes * (sizes - 1.0))
    hetero = sums[:, first, second] / (sizes[first] * sizes[second])
    return np.asarray(hetero / np.sqrt(mono[:, first] * mono[:, second]), dtype=np.float64)


def batched_index(
    weights: FloatArray, means: FloatArray, sds: FloatArray, layout: StatisticLayout
) -> FloatArray:
    """0–100 index of every construct for B sets of weights, means and sds, (B, k)."""
    raw = weights / sds
    out = np.empty((weights.shape[0], len(layout.blocks)))
    for j, blk in enumerate(layout.blocks):
        v = raw[:, blk]
        lo = v @ layout.lower[blk]
        span = v @ (layout.upper[blk] - layout.lower[blk])
        out[:, j] = ((v * means[:, blk]).sum(axis=1) - lo) / span * 100.0
    return out


def _sign_correct(
    draws: FloatArray, estimate: FloatArray, layout: StatisticLayout, mode: str
) -> FloatArray:
    if mode == "none":
        return draws
    p = len(layout.items)
    n_paths = len(layout.paths)
    n_eff = len(layout.effects)
    signed = slice(0, 2 * p + n_paths + 2 * n_eff)
    out = draws.copy()
    if mode == "individual":
        out[:, signed] = np.abs(draws[:, signed]) * np.sign(estimate[signed])
        return out
    # construct-level: flip a construct when that brings its loadings closer
    k = len(layout.blocks)
    flip = np.ones((draws.shape[0], k))
    for j, blk in enumerate(layout.blocks):
        boot = draws[:, p + blk]
        orig = estimate[p + blk]
        away = np.abs((orig - boot).sum(axis=1))
        toward = np.abs((orig + boot).sum(axis=1))
        flip[away > toward, j] = -1.0
    owner = np.empty(p, dtype=np.int64)
    for j, blk in enumerate(layout.blocks):
        owner[blk] = j
    out[:, :p] *= flip[:, owner]
    out[:, p : 2 * p] *= flip[:, owner]
    start = 2 * p
    for col, (a, b) in enumerate(layout.paths):
        out[:, start + col] *= flip[:, a] * flip[:, b]
    start += n_paths
    for col, (a, b) in enumerate(layout.effects):
        out[:, start + col] *= flip[:, a] * flip[:, b]
        out[:, start + n_eff + col] *= flip[:, a] * flip[:, b]
    return out


@dataclass(frozen=True)
class BootstrapDraws:
    """Raw output of :func:`run_bootstrap`.

    Attributes
    ----------
    estimate : ndarray (q,)
        Statistics on the original sample.
    draws : ndarray (B_ok, q)
        Statistics of the resamples that succeeded, in resample order.
    resample_ids : ndarray (B_ok,)
        Which resample numbers succeeded.
    n_failed : dict
        Failed resamples by reason (``not_converged``, ``singular``, ``inadmissible``).
    jackknife : ndarray (G, q)
        Jackknife statistics for the BCa acceleration.
    """

    estimate: FloatArray
    draws: FloatArray
    resample_ids: IntArray
    n_failed: dict[str, int]
    jackknife: FloatArray


def _fit_weights(
    x: FloatArray, case_weights: FloatArray, layout: StatisticLayout, settings: dict[str, Any]
) -> tuple[FloatArray, PLSBatch]:
    means, sds, r = batch_correlations(x, case_weights)
    return _fit_moments(means, sds, r, layout, settings)


def _fit_moments(
    means: FloatArray,
    sds: FloatArray,
    r: FloatArray,
    layout: StatisticLayout,
    settings: dict[str, Any],
) -> tuple[FloatArray, PLSBatch]:
    fit = estimate_pls_moments(
        r,
        list(layout.blocks),
        list(layout.modes),
        layout.structure,
        scheme=settings["scheme"],
        tol=settings["tol"],
        max_iter=settings["max_iter"],
        consistent=settings["consistent"],
    )
    return _statistics(layout, fit, means, sds, r), fit


def _fit_cross_products(
    cp: WeightedSums, case_weights: FloatArray, layout: StatisticLayout, settings: dict[str, Any]
) -> tuple[FloatArray, PLSBatch]:
    """Statistics for case weights (B, n) through the cross-product sums of ``cp``."""
    means, sds, r = cp.moments(*cp.weighted_sums(case_weights))
    return _fit_moments(means, sds, r, layout, settings)


def _chunk(
    cp: WeightedSums,
    base_weights: FloatArray | None,
    layout: StatisticLayout,
    settings: dict[str, Any],
    counts: Callable[[], FloatArray],
) -> tuple[FloatArray, NDArray[np.bool_], NDArray[np.bool_], NDArray[np.bool_]]:
    weights = counts()
    if base_weights is not None:
        weights *= base_weights
    stats_, fit = _fit_cross_products(cp, weights, layout, settings)
    return stats_, fit.converged, fit.singular, fit.inadmissible


def run_bootstrap(
    x: FloatArray,
    base_weights: FloatArray | None,
    layout: StatisticLayout,
    settings: dict[str, Any],
    *,
    n_resamples: int,
    random_state: int | np.random.SeedSequence | None,
    resamples: IntArray | None = None,
    chunk_size: int | None = None,
    n_jobs: int | None = None,
    sign_change: str = "none",
    memory_budget: int | None = None,
) -> BootstrapDraws:
    """Bootstrap every statistic of ``layout`` (see the module docstring).

    ``settings`` holds the PLS settings (scheme, tol, max_iter, consistent);
    ``resamples`` (B, n) replaces the random draws with explicit row indices.
    Resamples are processed ``chunk_size`` at a time (default :data:`DEFAULT_CHUNK`),
    fewer when the chunk would not fit a quarter of ``memory_budget`` bytes (default
    :data:`~csimodels.sem._pls_engine.DEFAULT_MEMORY_BUDGET`); the respondents are
    streamed in row chunks when their cross products do not fit either. Neither
    changes a number.
    """
    memory_budget = check_memory_budget(memory_budget)
    n = x.shape[0]
    w0 = np.ones(n) if base_weights is None else np.asarray(base_weights, dtype=np.float64)
    estimate = _fit_weights(x, w0[None, :], layout, settings)[0][0]
    cp = CrossProducts.from_data(x, memory_budget=memory_budget)
    return bootstrap_sums(
        cp,
        None if base_weights is None else w0,
        estimate,
        layout,
        settings,
        n_resamples=n_resamples,
        random_state=random_state,
        resamples=resamples,
        chunk_size=chunk_size,
        n_jobs=n_jobs,
        sign_change=sign_change,
        memory_budget=memory_budget,
    )


class WeightedSums(Protocol):
    """What the bootstrap needs of the data: weighted cross-product sums.

    :class:`~csimodels.sem._pls_engine.CrossProducts` (an in-memory array) and
    :class:`csimodels.data._dask.DaskCrossProducts` (partitions of a dask
    DataFrame) implement it.
    """

    @property
    def n(self) -> int: ...

    @property
    def width(self) -> int: ...

    def weighted_sums(self, weights: FloatArray) -> tuple[FloatArray, FloatArray]: ...

    def group_sums(self, weights: FloatArray, groups: int) -> tuple[FloatArray, FloatArray]: ...

    def moments(
        self, total: FloatArray, sums: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]: ...


def bootstrap_sums(
    cp: WeightedSums,
    base_weights: FloatArray | None,
    estimate: FloatArray,
    layout: StatisticLayout,
    settings: dict[str, Any],
    *,
    n_resamples: int,
    random_state: int | np.random.SeedSequence | None,
    resamples: IntArray | None = None,
    chunk_size: int | None = None,
    n_jobs: int | None = None,
    sign_change: str = "none",
    memory_budget: int | None = None,
) -> BootstrapDraws:
    """:func:`run_bootstrap` on prepared weighted sums ``cp`` (see :class:`WeightedSums`).

    ``base_weights`` multiply the resample counts (None: the sums apply the
    respondent weights themselves, or there are none); ``estimate`` is the
    statistic vector of the original sample.
    """
    memory_budget = check_memory_budget(memory_budget)
    n = cp.n
    w0 = np.ones(n) if base_weights is None else base_weights
    chunk = resample_chunk(n, cp.width, memory_budget, chunk_size)
    seed = (
        random_state
        if isinstance(random_state, np.random.SeedSequence)
        else np.random.SeedSequence(random_state)
    )
    starts = list(range(0, n_resamples, chunk))
    factor = base_weights

    def counts(start: int) -> Callable[[], FloatArray]:
        stop = min(start + chunk, n_resamples)
        if resamples is not None:
            rows = np.asarray(resamples[start:stop], dtype=np.int64)
            return lambda: _counts(rows, n)
        return lambda: resample_counts(seed, n, start, stop, memory_budget=memory_budget)

    if n_jobs is not None and n_jobs != 1 and len(starts) > 1:
        from joblib import Parallel, delayed

        parts = Parallel(n_jobs=n_jobs)(
            delayed(_chunk)(cp, factor, layout, settings, counts(s)) for s in starts
        )
    else:
        parts = [_chunk(cp, factor, layout, settings, counts(s)) for s in starts]
    all_stats = np.concatenate([p[0] for p in parts])
    converged = np.concatenate([p[1] for p in parts])
    singular = np.concatenate([p[2] for p in parts])
    inadmissible = np.concatenate([p[3] for p in parts])
    del parts
    # HTMT may be undefined in a resample (a block without correlation); it is then
    # NaN in that draw only, and its intervals use the draws where it exists
    core = np.array([kind != "htmt" for kind, _ in layout.labels])
    finite = np.isfinite(all_stats[:, core]).all(axis=1)
    ok = converged & ~singular & ~inadmissible & finite
    n_failed = {
        "not_converged": int((~converged & ~singular).sum()),
        "singular": int(singular.sum()),
        "inadmissible": int((inadmissible & converged & ~singular).sum()),
        "non_finite": int((converged & ~singular & ~inadmissible & ~finite).sum()),
    }
    draws = _sign_correct(all_stats[ok], estimate, layout, sign_change)
    jackknife = _jackknife(cp, w0, layout, settings, chunk)
    return BootstrapDraws(
        estimate=estimate,
        draws=draws,
        resample_ids=np.flatnonzero(ok).astype(np.int64),
        n_failed=n_failed,
        jackknife=jackknife,
    )


def _jackknife(
    cp: WeightedSums,
    w0: FloatArray,
    layout: StatisticLayout,
    settings: dict[str, Any],
    chunk_size: int,
) -> FloatArray:
    """Leave-one-out (delete-a-group beyond :data:`MAX_JACKKNIFE` rows) statistics.

    Respondent ``i`` belongs to group ``i mod G``; each jackknife sample's sums are
    the full sample's minus its group's, so no weight matrix over all rows is built.
    """
    groups = min(cp.n, MAX_JACKKNIFE)
    total, sums = cp.weighted_sums(w0[None, :])
    group_w, group_sums = cp.group_sums(w0, groups)
    out = []
    for start in range(0, groups, chunk_size):
        part = slice(start, min(start + chunk_size, groups))
        means, sds, r = cp.moments(total - group_w[part], sums - group_sums[part])
        out.append(_fit_moments(means, sds, r, layout, settings)[0])
    return np.concatenate(out)


def _sorted_columns(draws: FloatArray) -> tuple[FloatArray, IntArray]:
    """Each column sorted (NaN last) and its number of finite values."""
    return np.sort(draws, axis=0), np.isfinite(draws).sum(axis=0)


def _quantiles(sorted_draws: FloatArray, finite: IntArray, levels: FloatArray) -> FloatArray:
    """Linear-interpolation quantiles (``numpy.quantile``'s default) of sorted columns.

    ``levels`` (..., q) gives a level per column; columns without a finite value
    give NaN.
    """
    q = sorted_draws.shape[1]
    cols = np.arange(q)
    top = np.maximum(finite - 1, 0)
    with np.errstate(invalid="ignore"):
        pos = np.clip(levels, 0.0, 1.0) * top
    ok = np.isfinite(pos) & (finite > 0)
    pos = np.where(ok, pos, 0.0)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, top)
    frac = pos - lo
    a = sorted_draws[lo, cols]
    b = sorted_draws[hi, cols]
    diff = b - a
    # numpy's lerp: exact at both ends
    out = np.where(frac >= 0.5, b - diff * (1.0 - frac), a + diff * frac)
    return np.where(ok, out, np.nan)


def percentile_interval(
    draws: FloatArray, level: float, *, presorted: tuple[FloatArray, IntArray] | None = None
) -> tuple[FloatArray, FloatArray]:
    """Percentile interval of each column of ``draws`` (NaN draws ignored).

    Examples
    --------
    >>> import numpy as np
    >>> lo, hi = percentile_interval(np.arange(101.0)[:, None], 0.9)
    >>> float(lo[0]), float(hi[0])
    (5.0, 95.0)
    """
    alpha = (1 - level) / 2
    s, finite = _sorted_columns(draws) if presorted is None else presorted
    q = draws.shape[1]
    lo = _quantiles(s, finite, np.full(q, alpha))
    hi = _quantiles(s, finite, np.full(q, 1 - alpha))
    return lo, hi


def bca_interval(
    draws: FloatArray,
    estimate: FloatArray,
    jackknife: FloatArray,
    level: float,
    *,
    presorted: tuple[FloatArray, IntArray] | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Bias-corrected and accelerated interval of each column (Efron 1987).

    The bias correction counts the draws below the estimate; a draw within
    :data:`TIE_RTOL` (relative) of it is a tie, not below: a statistic with a
    discrete distribution (the index of a single item) must not have its interval
    decided by rounding.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> d = rng.normal(size=(4000, 1))
    >>> lo, hi = bca_interval(d, np.zeros(1), rng.normal(size=(50, 1)) * 0, 0.95)
    >>> bool(abs(lo[0] + 1.96) < 0.1 and abs(hi[0] - 1.96) < 0.1)
    True
    """
    from scipy.special import ndtr, ndtri

    s, finite = _sorted_columns(draws) if presorted is None else presorted
    tol = TIE_RTOL * np.abs(estimate)
    with np.errstate(divide="ignore", invalid="ignore"):
        below = (draws < (estimate - tol)).sum(axis=0)
        z0 = ndtri(below / finite)
        dev = jackknife.mean(axis=0) - jackknife
        num = (dev**3).sum(axis=0)
        den = 6.0 * ((dev**2).sum(axis=0)) ** 1.5
        accel = np.where(den > 0, num / den, 0.0)
        alpha = (1 - level) / 2
        bounds = []
        for z_alpha in (ndtri(alpha), ndtri(1 - alpha)):
            bounds.append(ndtr(z0 + (z0 + z_alpha) / (1 - accel * (z0 + z_alpha))))
    q = draws.shape[1]
    cols = np.arange(q)
    top = np.maximum(finite - 1, 0)
    smallest, largest = s[0], s[top, cols]
    scale = np.maximum(1.0, np.maximum(np.abs(smallest), np.abs(largest)))
    # degenerate distribution (e.g. the weight of a single item): the interval is
    # that value ...
    degenerate = (finite > 0) & (largest - smallest <= 1e-12 * scale)
    usable = (finite > 0) & np.isfinite(bounds[0]) & np.isfinite(bounds[1])
    lower = np.where(usable, _quantiles(s, finite, bounds[0]), np.nan)
    upper = np.where(usable, _quantiles(s, finite, bounds[1]), np.nan)
    # ... taken as the estimate when that is the same value up to rounding
    same = np.abs(estimate - smallest) <= 1e-12 * scale
    point = np.where(same, estimate, smallest)
    lower = np.where(degenerate, point, lower)
    upper = np.where(degenerate, point, upper)
    return lower, upper


def make_layout(
    blocks: Sequence[IntArray],
    modes: Sequence[str],
    structure: NDArray[np.bool_],
    items: Sequence[str],
    constructs: Sequence[str],
    spec_paths: Sequence[tuple[int, int]],
    lower: FloatArray,
    upper: FloatArray,
) -> StatisticLayout:
    """Build the statistic layout for a model (effects: pairs with a directed route)."""
    k = len(constructs)
    reach = np.asarray(total_effects(structure.astype(np.float64)), dtype=np.float64) != 0
    effects = tuple((i, j) for i in range(k) for j in range(k) if i != j and reach[i, j])
    endogenous = tuple(j for j in range(k) if structure[:, j].any())
    multi = [j for j in range(k) if len(blocks[j]) > 1]
    htmt_pairs = tuple((i, j) for i in multi for j in multi if i < j)
    return StatisticLayout(
        blocks=tuple(np.asarray(b, dtype=np.int64) for b in blocks),
        modes=tuple(modes),
        structure=structure,
        items=tuple(items),
        constructs=tuple(constructs),
        paths=tuple(spec_paths),
        effects=effects,
        endogenous=endogenous,
        htmt_pairs=htmt_pairs,
        lower=lower,
        upper=upper,
    )


class PLSBootstrap(Result):
    """Bootstrap inference for every estimate of a PLS path model.

    Attributes
    ----------
    table : DataFrame, index (kind, name)
        ``estimate`` (original sample), ``boot_mean``, ``std_error``, ``t``, ``p_value``,
        ``ci_lower``/``ci_upper`` (percentile, at ``level``) and ``bca_lower``/
        ``bca_upper``. Kinds: ``weight``, ``loading``, ``path``, ``indirect``,
        ``total``, ``r2``, ``htmt``, ``index``; names are items, constructs or
        ``"A -> B"`` / ``"A ~ B"`` pairs.
    draws : DataFrame, resamples x statistics
        The raw draws of the successful resamples (index: resample number), columns as
        the rows of :attr:`table`; intervals at other levels come from them without
        refitting (:meth:`conf_int`).
    jackknife : DataFrame
        Jackknife statistics used for the BCa acceleration.
    n_resamples, n_failed : int, dict
        Resamples requested, and failed ones by reason (they are excluded).
    level : float

    Examples
    --------
    >>> import csimodels as csi
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> res = csi.ACSI(indicators=data.constructs).fit(data, bootstrap=200, random_state=1)
    >>> bool(res.bootstrap.table.loc[("path", "Quality -> Satisfaction"), "std_error"] < 0.05)
    True
    """

    table: Frame
    draws: Frame
    jackknife: Frame
    n_resamples: int
    n_failed: dict[str, int]
    level: float

    _title: ClassVar[str] = "PLS bootstrap"

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        header: list[tuple[str, object]] = [
            ("Resamples", self.n_resamples),
            ("Failed (excluded)", sum(self.n_failed.values())),
            ("Sign changes", self.settings.get("sign_change")),
            ("Level", self.level),
            ("Seed", self.settings.get("random_state")),
        ]
        return header, {"Bootstrap estimates": self.table}

    def conf_int(self, level: float = 0.95, *, method: str = "percentile") -> pd.DataFrame:
        """Confidence intervals at any level from the stored draws (no refit).

        Parameters
        ----------
        level : float in (0, 1)
        method : {"percentile", "bca"}

        Returns
        -------
        DataFrame indexed like :attr:`table` with ``ci_lower`` and ``ci_upper``.
        """
        check_level(level)
        draws = self.draws.to_numpy()
        if not check_resample_count(draws.shape[0], level, owner="PLSBootstrap.conf_int", notes=[]):
            nan = np.full(draws.shape[1], np.nan)
            return pd.DataFrame({"ci_lower": nan, "ci_upper": nan}, index=self.table.index)
        if method == "percentile":
            lo, hi = percentile_interval(draws, level)
        elif method == "bca":
            lo, hi = bca_interval(
                draws, self.table["estimate"].to_numpy(), self.jackknife.to_numpy(), level
            )
        else:
            raise InvalidParameterError(
                f"method={method!r} is not an interval method; choose 'bca' or 'percentile'"
            )
        return pd.DataFrame({"ci_lower": lo, "ci_upper": hi}, index=self.table.index)


def check_memory_budget(memory_budget: Any) -> int:
    """Validate a memory budget in bytes or a size such as ``"512MB"`` (None: the default).

    Examples
    --------
    >>> check_memory_budget(None) == DEFAULT_MEMORY_BUDGET
    True
    >>> check_memory_budget("64MiB")
    67108864
    """
    budget = parse_memory_budget(memory_budget)
    return DEFAULT_MEMORY_BUDGET if budget is None else budget


def check_level(level: float) -> None:
    """Raise unless ``0 < level < 1``."""
    if not isinstance(level, (int, float)) or not 0 < level < 1:
        raise InvalidParameterError(f"level must be in (0, 1), e.g. 0.95; got {level!r}")


def check_bootstrap_arguments(
    n_resamples: int, n: int, resamples: Any, chunk_size: int, sign_change: str
) -> IntArray | None:
    """Validate the bootstrap arguments; return the explicit resample matrix, if any."""
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, (int, np.integer)):
        raise InvalidParameterError(
            f"bootstrap must be a whole number of resamples, got {n_resamples!r}"
        )
    if resamples is None and not 1 <= n_resamples <= MAX_RESAMPLES:
        raise InvalidParameterError(
            f"bootstrap must be between 1 and {MAX_RESAMPLES:,} resamples, got {n_resamples}"
        )
    if not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise InvalidParameterError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    if sign_change not in SIGN_CHANGES:
        raise InvalidParameterError(
            f"sign_change={sign_change!r} is not a sign-change option; choose one of "
            "'construct', 'individual', 'none'"
        )
    if resamples is None:
        return None
    idx = np.asarray(resamples)
    if idx.ndim != 2 or idx.shape[1] != n:
        raise InvalidParameterError(
            f"resamples must be a (B, {n}) matrix of row positions (one row per resample, "
            f"{n} respondents used), got shape {idx.shape}"
        )
    if not np.issubdtype(idx.dtype, np.integer) or idx.min() < 0 or idx.max() >= n:
        raise InvalidParameterError(f"resamples must hold integer row positions in [0, {n - 1}]")
    return idx.astype(np.int64)


def _column_stat(
    draws: FloatArray, stat: Callable[[FloatArray], FloatArray], *, minimum: int
) -> FloatArray:
    """``stat`` of the columns with at least ``minimum`` finite draws; NaN elsewhere."""
    out = np.full(draws.shape[1], np.nan)
    finite = np.isfinite(draws).sum(axis=0)
    enough = finite >= minimum
    if enough.all() and (finite == draws.shape[0]).all():
        return stat(draws)  # no NaN and no column selection: no copy
    if enough.any():
        out[enough] = stat(draws[:, enough])
    return out


def summarise(
    draws: BootstrapDraws,
    layout: StatisticLayout,
    *,
    level: float,
    n_resamples: int,
    settings: dict[str, Any],
) -> PLSBootstrap:
    """Turn raw draws into the labelled :class:`PLSBootstrap` result."""
    labels = pd.MultiIndex.from_tuples(layout.labels, names=["kind", "name"])
    d = draws.draws
    ok = d.shape[0]
    est = draws.estimate
    from scipy.special import stdtr

    with np.errstate(divide="ignore", invalid="ignore"):
        se = _column_stat(d, lambda c: np.nanstd(c, axis=0, ddof=1), minimum=2)
        t = est / se
        p = 2 * stdtr(max(ok - 1, 1), -np.abs(t))
    if ok:
        presorted = _sorted_columns(d)
        lo, hi = percentile_interval(d, level, presorted=presorted)
        blo, bhi = bca_interval(d, est, draws.jackknife, level, presorted=presorted)
    else:
        lo = hi = blo = bhi = np.full(est.shape, np.nan)
    count_notes: list[str] = []
    if not check_resample_count(ok, level, owner="PLS bootstrap", notes=count_notes):
        lo, hi, blo, bhi = (np.full(est.shape, np.nan),) * 4
    fixed = layout.fixed_by_construction
    notes: tuple[str, ...] = tuple(count_notes)
    if fixed.any():
        se, t, p = (np.where(fixed, np.nan, x) for x in (se, t, p))
        lo, hi, blo, bhi = (np.where(fixed, est, x) for x in (lo, hi, blo, bhi))
        names = sorted({name for (_, name), f in zip(layout.labels, fixed, strict=True) if f})
        notes += (
            f"the weight, loading and index weight of single-indicator constructs "
            f"({format_offenders(names)}) are 1 by construction: no standard error, t or "
            "p-value (NaN); the interval is the estimate",
        )
    table = pd.DataFrame(
        {
            "estimate": est,
            "boot_mean": _column_stat(d, lambda c: np.nanmean(c, axis=0), minimum=1),
            "std_error": se,
            "t": t,
            "p_value": p,
            "ci_lower": lo,
            "ci_upper": hi,
            "bca_lower": blo,
            "bca_upper": bhi,
        },
        index=labels,
    )
    return PLSBootstrap(
        table=table,
        draws=pd.DataFrame(d, index=pd.Index(draws.resample_ids, name="resample"), columns=labels),
        jackknife=pd.DataFrame(draws.jackknife, columns=labels),
        n_resamples=n_resamples,
        n_failed=draws.n_failed,
        level=level,
        settings=settings,
        notes=notes,
    )
