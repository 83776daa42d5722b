"""The Kano engine: vectorised numpy over respondents, one pass per feature at most.

Conventions: answers are indices 0..4 (Like, Must-be, Neutral, Live-with, Dislike) and
``MISSING_ANSWER`` (5) for no answer; categories are indices 0..5 in the order
A, O, M, I, R, Q and ``MISSING_CATEGORY`` (6). Arrays of answers and categories are laid
out feature-major, shape ``(n_features, n_respondents)``, so that each feature is a
contiguous row. No pandas, no pydantic, no warnings here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from csimodels._stats import weighted_mean, weighted_var

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
    out = np.full(values.shape, MISSING_ANSWER, dtype=np.int8)
    present = ~np.isnan(values)
    low = codes.min()
    offsets = codes - low
    if np.array_equal(np.sort(offsets), np.arange(5.0)):
        lut = np.empty(5, dtype=np.int8)
        lut[offsets.astype(np.int64)] = np.arange(5, dtype=np.int8)
        out[present] = lut[(values[present] - low).astype(np.int64)]
        return out
    order = np.argsort(codes)
    pos = np.searchsorted(codes[order], values[present])
    out[present] = order[pos].astype(np.int8)
    return out


def classify(functional: SmallArray, dysfunctional: SmallArray, lookup: SmallArray) -> SmallArray:
    """Category index of every (respondent, feature): ``lookup[6 f + d]``."""
    key = functional.astype(np.int16) * 6 + dysfunctional
    out: SmallArray = lookup[key]
    return out


def tally(categories: SmallArray, weights: FloatArray | None) -> tuple[IntArray, FloatArray]:
    """Unweighted and weighted counts of the six categories, shape ``(n_features, 6)``."""
    k = categories.shape[0]
    counts = np.zeros((k, N_CATEGORIES), dtype=np.int64)
    wcounts = np.zeros((k, N_CATEGORIES), dtype=np.float64)
    for j in range(k):  # one vectorised pass per feature
        row = categories[j]
        counts[j] = np.bincount(row, minlength=7)[:N_CATEGORIES]
        if weights is None:
            wcounts[j] = counts[j]
        else:
            wcounts[j] = np.bincount(row, weights=weights, minlength=7)[:N_CATEGORIES]
    return counts, wcounts


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


def continuous_scores(
    functional: SmallArray,
    dysfunctional: SmallArray,
    weights: FloatArray | None,
    importance: FloatArray | None,
    functional_scores: FloatArray,
    dysfunctional_scores: FloatArray,
    *,
    weight_by_importance: bool,
) -> FloatArray:
    """Per feature: n, functional mean and sd, dysfunctional mean and sd, importance mean.

    Returns shape ``(n_features, 6)``. Pairs with a missing answer are skipped. With
    ``importance`` (shape ``(n_features, n_respondents)``, NaN = not given) its mean is
    reported; with ``weight_by_importance`` each pair is also weighted by the respondent
    weight times the stated importance, and pairs without an importance answer are skipped.
    """
    k = functional.shape[0]
    out = np.full((k, 6), np.nan)
    f_lut = np.append(functional_scores, np.nan)
    d_lut = np.append(dysfunctional_scores, np.nan)
    for j in range(k):
        f = f_lut[functional[j]]
        d = d_lut[dysfunctional[j]]
        valid = ~(np.isnan(f) | np.isnan(d))
        w = None if weights is None else weights
        imp_mean = np.nan
        if importance is not None:
            imp = importance[j]
            imp_mean = weighted_mean(np.where(valid, imp, np.nan), w)
            if weight_by_importance:
                valid &= ~np.isnan(imp)
                w = imp if w is None else w * imp
        fv = np.where(valid, f, np.nan)
        dv = np.where(valid, d, np.nan)
        if w is not None:
            w = np.where(valid, w, 0.0)
            if not (w > 0).any():
                out[j, 0] = int(valid.sum())
                out[j, 5] = imp_mean
                continue
        out[j] = (
            valid.sum(),
            weighted_mean(fv, w),
            np.sqrt(weighted_var(fv, w)),
            weighted_mean(dv, w),
            np.sqrt(weighted_var(dv, w)),
            imp_mean,
        )
    return out
