"""The Kano engine: vectorised numpy over respondents, one pass per feature at most.

Conventions: answers are indices 0..4 (Like, Must-be, Neutral, Live-with, Dislike) and
``MISSING_ANSWER`` (5) for no answer; categories are indices 0..5 in the order
A, O, M, I, R, Q and ``MISSING_CATEGORY`` (6). Arrays of answers and categories are laid
out feature-major, shape ``(n_features, n_respondents)``, so that each feature is a
contiguous row. No pandas, no pydantic, no warnings here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
SmallArray = NDArray[np.int8]

MISSING_ANSWER = 5
MISSING_CATEGORY = 6
N_CATEGORIES = 6
_EXACT = 1e-12


def category_lookup(table_indices: IntArray) -> SmallArray:
    """A flat 6 x 6 lookup (answer index 5 = missing) from a 5 x 5 table of category indices."""
    lut = np.full((6, 6), MISSING_CATEGORY, dtype=np.int8)
    lut[:5, :5] = table_indices
    return lut.ravel()


def answer_indices(values: FloatArray, codes: FloatArray) -> SmallArray:
    """Map answer codes (already validated: each value is a code or NaN) to indices 0..4, 5.

    ``codes[i]`` is the code of answer ``i`` (Like first). Consecutive integer codes use
    arithmetic; other codings use a sorted search. Both are vectorised.
    """
    low = codes.min()
    offsets = codes - low
    if np.array_equal(np.sort(offsets), np.arange(5.0)):
        lut = np.full(6, MISSING_ANSWER, dtype=np.int8)  # position 5: missing
        lut[offsets.astype(np.int64)] = np.arange(5, dtype=np.int8)
        shifted = values - low
        np.copyto(shifted, 5.0, where=np.isnan(shifted))
        position = shifted.astype(np.int8)
        consecutive: SmallArray = lut[position]
        return consecutive
    out = np.full(values.shape, MISSING_ANSWER, dtype=np.int8)
    present = ~np.isnan(values)
    order = np.argsort(codes)
    pos = np.searchsorted(codes[order], values[present])
    out[present] = order[pos].astype(np.int8)
    return out


def classify(functional: SmallArray, dysfunctional: SmallArray, lookup: SmallArray) -> SmallArray:
    """Category index of every (respondent, feature): ``lookup[6 f + d]``."""
    key = functional.astype(np.int16) * 6 + dysfunctional
    out: SmallArray = lookup[key]
    return out


def cell_keys(functional: SmallArray, dysfunctional: SmallArray) -> NDArray[np.int16]:
    """Answer-pair cell of every (feature, respondent): ``6 f + d`` in 0..35 (35 = both missing)."""
    out: NDArray[np.int16] = functional.astype(np.int16) * 6 + dysfunctional
    return out


@dataclass(frozen=True)
class CellTallies:
    """Per feature and answer-pair cell (shape ``(n_features, 36)``) sums over respondents."""

    counts: IntArray  # respondents
    weights: FloatArray  # sum of respondent weights (counts when unweighted)
    importance_weights: FloatArray | None  # sum of weight x importance (importance given)
    importance_counts: IntArray | None  # respondents with an importance answer
    importance_base: FloatArray | None  # sum of weights of respondents with importance


def tally_cells(
    keys: NDArray[np.int16], weights: FloatArray | None, importance: FloatArray | None
) -> CellTallies:
    """One vectorised ``bincount`` pass per feature over the 36 answer-pair cells."""
    k = keys.shape[0]
    counts = np.zeros((k, 36), dtype=np.int64)
    wsum = np.zeros((k, 36), dtype=np.float64)
    imp_w = imp_n = imp_base = None
    if importance is not None:
        imp_w = np.zeros((k, 36), dtype=np.float64)
        imp_n = np.zeros((k, 36), dtype=np.int64)
        imp_base = np.zeros((k, 36), dtype=np.float64)
    for j in range(k):  # one vectorised pass per feature
        row = keys[j]
        counts[j] = np.bincount(row, minlength=36)
        wsum[j] = counts[j] if weights is None else np.bincount(row, weights, minlength=36)
        if importance is not None:
            assert imp_w is not None and imp_n is not None and imp_base is not None
            imp = importance[j]
            given = ~np.isnan(imp)
            sub = row[given]
            w_given = None if weights is None else weights[given]
            imp_n[j] = np.bincount(sub, minlength=36)
            imp_base[j] = imp_n[j] if w_given is None else np.bincount(sub, w_given, minlength=36)
            wx = imp[given] if w_given is None else imp[given] * w_given
            imp_w[j] = np.bincount(sub, wx, minlength=36)
    return CellTallies(counts, wsum, imp_w, imp_n, imp_base)


def categories_from_cells(cell_values: NDArray[Any], lookup: SmallArray) -> NDArray[Any]:
    """Sum cell tallies ``(n_features, 36)`` into the six categories ``(n_features, 6)``."""
    onehot = np.zeros((36, N_CATEGORIES), dtype=cell_values.dtype)
    valid = lookup < N_CATEGORIES
    onehot[np.flatnonzero(valid), lookup[valid]] = 1
    out: NDArray[Any] = cell_values @ onehot
    return out


def questionable_per_respondent(categories: SmallArray, q_index: int) -> tuple[IntArray, IntArray]:
    """Per respondent: number of answered features and number classified Questionable."""
    answered = (categories != MISSING_CATEGORY).sum(axis=0, dtype=np.int64)
    questionable = (categories == q_index).sum(axis=0, dtype=np.int64)
    return answered, questionable


@dataclass(frozen=True)
class Decision:
    """Per-feature classification (arrays of length n_features; -1 = not applicable)."""

    first: IntArray
    second: IntArray
    mode: IntArray
    category_strength: FloatArray
    total_strength: FloatArray
    fong_a: FloatArray
    fong_b: FloatArray
    fong_statistic: FloatArray
    fong_bound: FloatArray
    fong_significant: NDArray[np.bool_]
    better: FloatArray
    worse: FloatArray


def decide(
    shares: FloatArray,
    n: IntArray,
    *,
    priority: IntArray,
    tie_threshold: float,
    critical_value: float,
    a_o_m_i: tuple[int, int, int, int],
) -> Decision:
    """Mode with the priority rule, strengths, Fong's test and Better/Worse.

    ``priority`` lists category indices from most to least preferred in a tie.
    A category is a candidate when its share is within ``tie_threshold`` of the largest
    share; the most preferred candidate is the feature's category. Fong's test compares
    the chosen category with the largest other one on counts rescaled to ``n``.
    """
    k = shares.shape[0]
    rank_of = np.empty(N_CATEGORIES, dtype=np.int64)
    rank_of[priority] = np.arange(N_CATEGORIES)
    top = shares.max(axis=1, initial=0.0)
    candidates = shares >= (top - tie_threshold - _EXACT)[:, None]
    # most preferred candidate: the smallest priority rank among candidates
    ranks = np.where(candidates, rank_of[None, :], N_CATEGORIES)
    first = priority[np.minimum(ranks.min(axis=1), N_CATEGORIES - 1)]
    # the exact mode (priority among exact ties only)
    exact = shares >= (top - _EXACT)[:, None]
    mode = priority[np.where(exact, rank_of[None, :], N_CATEGORIES).min(axis=1)]
    # second: largest share among the others, ties by priority
    rows = np.arange(k)
    others = shares.copy()
    others[rows, first] = -np.inf
    top_other = others.max(axis=1)
    second_cands = others >= (top_other - _EXACT)[:, None]
    second = priority[np.where(second_cands, rank_of[None, :], N_CATEGORIES).min(axis=1)]
    ordered = -np.sort(-shares, axis=1)
    category_strength = ordered[:, 0] - ordered[:, 1]
    a, o, m, i = a_o_m_i
    total_strength = shares[:, a] + shares[:, o] + shares[:, m]
    nf = n.astype(np.float64)
    fa = shares[rows, first] * nf
    fb = shares[rows, second] * nf
    statistic = np.abs(fa - fb)
    with np.errstate(invalid="ignore", divide="ignore"):
        bound = critical_value * np.sqrt((fa + fb) * (2 * nf - fa - fb) / (2 * nf))
        denom = shares[:, a] + shares[:, o] + shares[:, m] + shares[:, i]
        better = (shares[:, a] + shares[:, o]) / denom
        worse = -(shares[:, o] + shares[:, m]) / denom
    better[denom <= 0] = np.nan
    worse[denom <= 0] = np.nan
    significant = statistic >= bound
    empty = n == 0
    for arr in (category_strength, total_strength, fa, fb, statistic, bound, better, worse):
        arr[empty] = np.nan
    for iarr in (first, second, mode):
        iarr[empty] = -1
    significant[empty] = False
    return Decision(
        first=first,
        second=second,
        mode=mode,
        category_strength=category_strength,
        total_strength=total_strength,
        fong_a=fa,
        fong_b=fb,
        fong_statistic=statistic,
        fong_bound=bound,
        fong_significant=significant,
        better=better,
        worse=worse,
    )


def continuous_from_cells(
    tallies: CellTallies,
    functional_scores: FloatArray,
    dysfunctional_scores: FloatArray,
    *,
    weight_by_importance: bool,
) -> FloatArray:
    """Per feature: n, functional mean and sd, dysfunctional mean and sd, importance mean.

    Returns shape ``(n_features, 6)``. Only cells with both answers count. The score is
    constant within a cell, so the weighted mean is ``Σ W_c s_c / Σ W_c`` and the sample
    variance (relative weights rescaled to sum to n, n − 1 denominator, as
    :func:`csimodels._stats.weighted_var`) is ``n / (n − 1) · Σ W_c (s_c − m)² / Σ W_c``.
    With ``weight_by_importance`` the cell weights are the sums of weight × importance
    over respondents who stated an importance; the importance mean is always the
    (respondent-weighted) mean of the stated importance.
    """
    f_cell = np.full(36, np.nan)
    d_cell = np.full(36, np.nan)
    for fa in range(5):
        for da in range(5):
            f_cell[fa * 6 + da] = functional_scores[fa]
            d_cell[fa * 6 + da] = dysfunctional_scores[da]
    valid = ~np.isnan(f_cell)
    fs, ds = f_cell[valid], d_cell[valid]
    if weight_by_importance:
        assert tallies.importance_weights is not None and tallies.importance_counts is not None
        w = tallies.importance_weights[:, valid]
        n = tallies.importance_counts[:, valid].sum(axis=1)
    else:
        w = tallies.weights[:, valid]
        n = tallies.counts[:, valid].sum(axis=1)
    total = w.sum(axis=1)
    out = np.full((w.shape[0], 6), np.nan)
    out[:, 0] = n
    with np.errstate(invalid="ignore", divide="ignore"):
        for col, scores in ((1, fs), (3, ds)):
            mean = (w @ scores) / total
            ss = (w * (scores[None, :] - mean[:, None]) ** 2).sum(axis=1) / total
            var = np.where(n >= 2, ss * n / (n - 1), np.nan)
            ok = total > 0
            out[:, col] = np.where(ok, mean, np.nan)
            out[:, col + 1] = np.where(ok, np.sqrt(var), np.nan)
        if tallies.importance_weights is not None and tallies.importance_base is not None:
            base = tallies.importance_base[:, valid].sum(axis=1)
            imp_total = tallies.importance_weights[:, valid].sum(axis=1)
            out[:, 5] = np.where(base > 0, imp_total / base, np.nan)
    return out
