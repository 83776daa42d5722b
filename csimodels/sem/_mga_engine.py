"""Private engine of the PLS multigroup analysis (ndarrays in, ndarrays out).

A permutation reassigns the group labels of the pooled respondents (group sizes are
kept). Each permutation is two case-weight vectors over the pooled rows (the respondent
weights times the membership of each permuted group), so a chunk of ``m`` permutations
is ``2m`` weight vectors that :func:`~csimodels.sem._pls_engine.batch_correlations`
turns into ``2m`` correlation matrices and
:func:`~csimodels.sem._pls_engine.estimate_pls_moments` fits at once: no permuted data
set is built and there is no Python loop per permutation.

From the same fits come the MICOM statistics (Henseler, Ringle & Sarstedt 2016):

- step 2, the correlation ``c`` between the composite scores computed on the pooled,
  standardised data with the weights of the first and of the second group,
  ``c = w₁' R w₂ / sqrt(w₁' R w₁ · w₂' R w₂)`` (``R`` the pooled indicator correlation
  matrix of the construct's block, so no score is ever formed);
- step 3, the difference of the (weighted) means and the log-ratio of the (weighted)
  variances of the pooled composite scores between the two groups.

The engine neither warns nor raises on numerical trouble: it returns status flags that
the public layer (:mod:`csimodels.sem.mga`) turns into notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from csimodels.sem._pls_engine import CrossProducts
from csimodels.sem.bootstrap import (
    DRAW_BLOCK,
    StatisticLayout,
    _fit_cross_products,
    _fit_weights,
    check_memory_budget,
    draw_in_blocks,
)

__all__ = [
    "PermutationDraws",
    "composite_correlations",
    "draw_permutations",
    "group_moments",
    "henseler_p",
    "permutation_p",
    "run_permutations",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

#: Relative tolerance under which a permuted statistic counts as tied with the observed
#: one (as ``scipy.stats.permutation_test``): rounding noise must not break exact ties.
TIE_RTOL = 100 * np.finfo(np.float64).eps


def draw_permutations(
    random_state: int | np.random.SeedSequence | None, n: int, start: int, stop: int
) -> IntArray:
    """Permutations ``start .. stop - 1`` of ``0..n-1`` (shape ``(stop - start, n)``).

    Drawn in fixed blocks of :data:`~csimodels.sem.bootstrap.DRAW_BLOCK`, each from a
    stream spawned from ``random_state`` (as the bootstrap resamples), so a permutation
    depends only on its number, never on the chunk size or the number of jobs.

    Examples
    --------
    >>> a = draw_permutations(3, 8, 0, 100)
    >>> bool((draw_permutations(3, 8, 70, 90) == a[70:90]).all())
    True
    >>> sorted(a[5].tolist()) == list(range(8))
    True
    """
    base = np.broadcast_to(np.arange(n, dtype=np.int64), (DRAW_BLOCK, n))
    return draw_in_blocks(random_state, start, stop, lambda rng: rng.permuted(base, axis=1))


def composite_correlations(
    w1: FloatArray, w2: FloatArray, r: FloatArray, blocks: tuple[IntArray, ...]
) -> FloatArray:
    """MICOM step 2: correlation of the scores ``Z w₁`` and ``Z w₂`` per construct.

    ``w1``, ``w2`` are ``(B, p)`` outer weights (on standardised indicators) of the two
    groups, ``r`` the ``(p, p)`` pooled indicator correlation matrix; ``Z`` is the
    pooled standardised data, so ``cor(Z w₁, Z w₂) = w₁'Rw₂ / sqrt(w₁'Rw₁ w₂'Rw₂)``.
    Returns ``(B, k)``.

    Examples
    --------
    >>> import numpy as np
    >>> r = np.array([[1.0, 0.5], [0.5, 1.0]])
    >>> c = composite_correlations(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]), r,
    ...                            (np.array([0, 1]),))
    >>> float(c[0, 0])
    0.5
    """
    out = np.empty((w1.shape[0], len(blocks)))
    for j, blk in enumerate(blocks):
        a, b = w1[:, blk], w2[:, blk]
        rb = r[np.ix_(blk, blk)]
        ra, rb_ = a @ rb, b @ rb
        num = np.einsum("bq,bq->b", ra, b)
        den = np.sqrt(np.einsum("bq,bq->b", ra, a) * np.einsum("bq,bq->b", rb_, b))
        with np.errstate(divide="ignore", invalid="ignore"):
            out[:, j] = num / den
    return out


def group_moments(scores: FloatArray, weights: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Weighted means and variances of ``scores`` (n, k) for ``(B, n)`` case weights.

    Weights are relative (rescaled to sum to the number of rows with positive weight,
    ``n_g``) and variances use ``n_g − 1``, as :mod:`csimodels._stats`; unit weights on a
    subset give the subset's sample mean and variance.

    Examples
    --------
    >>> import numpy as np
    >>> s = np.array([[1.0], [2.0], [4.0], [8.0]])
    >>> m, v = group_moments(s, np.array([[1.0, 1.0, 1.0, 0.0]]))
    >>> float(m[0, 0]), bool(np.isclose(v[0, 0], np.var([1, 2, 4], ddof=1)))
    (2.3333333333333335, True)
    """
    total = weights.sum(axis=1, keepdims=True)
    count = (weights > 0).sum(axis=1, keepdims=True)
    means = weights @ scores / total
    centred = weights @ (scores * scores) / total - means * means
    variances = np.maximum(centred, 0.0) * count / (count - 1)
    return means, variances


def permutation_p(
    observed: FloatArray, draws: FloatArray, *, side: str = "two-sided"
) -> FloatArray:
    """Permutation p-values with the +1 correction of Phipson & Smyth (2010).

    ``p = (1 + #{b : T_b at least as extreme as T}) / (1 + P)`` over the ``P`` finite
    draws of each column. ``side="two-sided"`` counts ``|T_b| >= |T|``, ``"less"``
    counts ``T_b <= T``. Ties within :data:`TIE_RTOL` (relative) count as extreme.

    Examples
    --------
    >>> import numpy as np
    >>> float(permutation_p(np.array([2.0]), np.array([[0.5], [-3.0], [1.0], [2.5]]))[0])
    0.6
    """
    valid = np.isfinite(draws)
    count = valid.sum(axis=0)
    tol = TIE_RTOL * np.abs(observed)
    with np.errstate(invalid="ignore"):
        if side == "two-sided":
            extreme = np.abs(draws) >= np.abs(observed) - tol
        elif side == "less":
            extreme = draws <= observed + tol
        else:
            raise ValueError(f"side must be 'two-sided' or 'less', got {side!r}")
    hits = (extreme & valid).sum(axis=0)
    p = (1.0 + hits) / (1.0 + count)
    return np.where(np.isfinite(observed) & (count > 0), p, np.nan)


def henseler_p(draws_1: FloatArray, draws_2: FloatArray) -> FloatArray:
    """Henseler's PLS-MGA one-sided p-value of ``θ₁ > θ₂`` for every column.

    ``p = 1 − (1 / (J₁ J₂)) Σ_j Σ_i Θ(2 θ̄₁ − θ₁ⱼ − 2 θ̄₂ + θ₂ᵢ)`` (Henseler, Ringle &
    Sinkovics 2009; Sarstedt, Henseler & Ringle 2011) over the finite bootstrap draws
    ``θ₁ⱼ`` (``J₁``) and ``θ₂ᵢ`` (``J₂``) of the two groups, ``θ̄`` their means, ``Θ`` the
    unit step with ``Θ(0) = 1/2`` (so a statistic that is constant and equal in both
    groups gets 0.5). An argument within :data:`TIE_RTOL` of zero, relative to the
    largest draw in magnitude, is a tie: draws that differ by rounding alone (which
    depends on the BLAS kernel and the chunking) must not decide the p-value. Pairs
    are counted by sorting, in ``O(J log J)``.

    Examples
    --------
    >>> import numpy as np
    >>> float(henseler_p(np.array([[0.1], [0.3]]), np.array([[0.2], [0.6]]))[0])
    0.75
    """
    q = draws_1.shape[1]
    out = np.full(q, np.nan)
    for j in range(q):
        a = draws_1[:, j][np.isfinite(draws_1[:, j])]
        b = draws_2[:, j][np.isfinite(draws_2[:, j])]
        if a.size == 0 or b.size == 0:
            continue
        lhs = 2.0 * a.mean() - a - 2.0 * b.mean()  # Θ(lhs_j + b_i)
        tol = TIE_RTOL * max(float(np.abs(a).max()), float(np.abs(b).max()))
        bs = np.sort(b)
        right = np.searchsorted(bs, -lhs + tol, side="right")
        left = np.searchsorted(bs, -lhs - tol, side="left")
        theta = (b.size - right).sum() + 0.5 * (right - left).sum()
        out[j] = 1.0 - theta / (a.size * b.size)
    return out


@dataclass(frozen=True)
class PermutationDraws:
    """Raw output of :func:`run_permutations` (successful permutations only).

    Attributes
    ----------
    differences : ndarray (P_ok, q)
        Group-1 minus group-2 statistics (layout order) of each permutation.
    composite_correlation : ndarray (P_ok, k)
        MICOM step 2 ``c`` of each permutation.
    mean_difference, log_variance_ratio : ndarray (P_ok, k)
        MICOM step 3 statistics of each permutation (pooled scores).
    permutation_ids : ndarray (P_ok,)
        Which permutation numbers succeeded.
    n_failed : dict
        Failed permutations by reason.
    """

    differences: FloatArray
    composite_correlation: FloatArray
    mean_difference: FloatArray
    log_variance_ratio: FloatArray
    permutation_ids: IntArray
    n_failed: dict[str, int]


def group_statistics(
    x: FloatArray,
    w0: FloatArray,
    first: BoolArray,
    layout: StatisticLayout,
    settings: dict[str, Any],
    r_pooled: FloatArray,
    scores: FloatArray,
    cross: CrossProducts | None = None,
) -> dict[str, NDArray[Any]]:
    """Statistics of both groups for ``m`` memberships ``first`` (m, n) in one batch.

    Returns ``stats`` (2m, q: first the m group-1 fits, then the m group-2 fits), the
    MICOM statistics (m, k) and the status flags of each of the 2m fits. ``cross``
    (the pooled rows' :class:`~csimodels.sem._pls_engine.CrossProducts`) is reused
    across chunks when given.
    """
    m = first.shape[0]
    cw = np.concatenate([first * w0, ~first * w0])
    if cross is None:
        stats, fit = _fit_weights(x, cw, layout, settings)
    else:
        stats, fit = _fit_cross_products(cross, cw, layout, settings)
    with np.errstate(divide="ignore", invalid="ignore"):
        c = composite_correlations(
            fit.outer_weights[:m], fit.outer_weights[m:], r_pooled, layout.blocks
        )
        means, variances = group_moments(scores, cw)
        lvr = np.log(variances[:m]) - np.log(variances[m:])
    return {
        "stats": stats,
        "c": c,
        "mean_difference": means[:m] - means[m:],
        "log_variance_ratio": lvr,
        "converged": fit.converged,
        "singular": fit.singular,
        "inadmissible": fit.inadmissible,
    }


def _chunk(
    x: FloatArray,
    w0: FloatArray,
    first: BoolArray,
    layout: StatisticLayout,
    settings: dict[str, Any],
    r_pooled: FloatArray,
    scores: FloatArray,
    cross: CrossProducts,
    perms: IntArray,
) -> dict[str, NDArray[Any]]:
    m = perms.shape[0]
    out = group_statistics(x, w0, first[perms], layout, settings, r_pooled, scores, cross)
    stats = out.pop("stats")
    out["differences"] = stats[:m] - stats[m:]
    for flag in ("converged", "singular", "inadmissible"):
        both = out[flag]
        out[flag] = (both[:m] & both[m:]) if flag == "converged" else (both[:m] | both[m:])
    return out


def run_permutations(
    x: FloatArray,
    w0: FloatArray,
    first: BoolArray,
    layout: StatisticLayout,
    settings: dict[str, Any],
    r_pooled: FloatArray,
    scores: FloatArray,
    *,
    n_permutations: int,
    seed: np.random.SeedSequence,
    permutations: IntArray | None = None,
    chunk_size: int = 250,
    n_jobs: int | None = None,
    memory_budget: int | None = None,
) -> PermutationDraws:
    """All permutations, in chunks of ``chunk_size`` (see the module docstring).

    ``first`` marks the rows of the first group; in permutation ``b`` respondent ``i``
    takes the group of respondent ``perm[b, i]``. A chunk holds two case-weight
    vectors and a permutation per permutation: it is made smaller when it would
    not fit half of ``memory_budget`` bytes (default
    :data:`~csimodels.sem._pls_engine.DEFAULT_MEMORY_BUDGET`), and the pooled rows'
    cross products are formed once (streamed by row chunks when they do not fit).
    Neither changes a number.
    """
    n = x.shape[0]
    budget = check_memory_budget(memory_budget)
    cross = CrossProducts.from_data(x, memory_budget=budget)
    per_permutation = 8 * (4 * n + 4 * cross.width + 32 * x.shape[1] ** 2)
    chunk_size = int(max(1, min(chunk_size, (budget // 2) // per_permutation)))
    starts = list(range(0, n_permutations, chunk_size))

    def rows(start: int) -> IntArray:
        stop = min(start + chunk_size, n_permutations)
        if permutations is not None:
            return np.asarray(permutations[start:stop], dtype=np.int64)
        return draw_permutations(seed, n, start, stop)

    args = (x, w0, first, layout, settings, r_pooled, scores, cross)
    if n_jobs is not None and n_jobs != 1 and len(starts) > 1:
        from joblib import Parallel, delayed

        parts = Parallel(n_jobs=n_jobs)(delayed(_chunk)(*args, rows(s)) for s in starts)
    else:
        parts = [_chunk(*args, rows(s)) for s in starts]
    cat = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    converged, singular, inadmissible = cat["converged"], cat["singular"], cat["inadmissible"]
    core = np.array([kind != "htmt" for kind, _ in layout.labels])
    finite = np.isfinite(cat["differences"][:, core]).all(axis=1)
    ok = converged & ~singular & ~inadmissible & finite
    n_failed = {
        "not_converged": int((~converged & ~singular).sum()),
        "singular": int(singular.sum()),
        "inadmissible": int((inadmissible & converged & ~singular).sum()),
        "non_finite": int((converged & ~singular & ~inadmissible & ~finite).sum()),
    }
    return PermutationDraws(
        differences=cat["differences"][ok],
        composite_correlation=cat["c"][ok],
        mean_difference=cat["mean_difference"][ok],
        log_variance_ratio=cat["log_variance_ratio"][ok],
        permutation_ids=np.flatnonzero(ok).astype(np.int64),
        n_failed=n_failed,
    )
