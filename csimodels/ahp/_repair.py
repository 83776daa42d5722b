"""Inconsistency diagnosis and the opt-in repair loop (engine, ndarrays only).

The contribution of judgment ``a_ij`` to the inconsistency is measured by Saaty's
error ratio ``ε_ij = a_ij · w_j / w_i`` (Saaty 2003): it is 1 for every pair of a
consistent matrix, and ``λmax = (1/n) Σ_ij ε_ij``, so the pairs with the largest
``|ln ε_ij|`` are the ones to revisit first. The value that would make the pair agree
with the current priorities is ``w_i / w_j``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

__all__ = ["Change", "diagnose", "nearest_scale_value", "repair"]


def nearest_scale_value(x: float, scale_max: float = 9.0) -> float:
    """The nearest value of the integer ratio scale ``1/scale_max..scale_max`` (in log terms).

    Examples
    --------
    >>> nearest_scale_value(2.6), nearest_scale_value(0.3) == 1 / 3, nearest_scale_value(40.0)
    (3.0, True, 9.0)
    """
    k = max(1, math.floor(scale_max))

    def clip(m: float) -> float:
        return float(min(max(m, 1), k))

    up, down = max(x, 1.0), max(1.0 / x, 1.0)
    candidates = {1.0, clip(math.floor(up)), clip(math.ceil(up))}
    candidates |= {1.0 / clip(math.floor(down)), 1.0 / clip(math.ceil(down))}
    return min(sorted(candidates), key=lambda c: abs(math.log(c) - math.log(x)))


def diagnose(a: FloatArray, w: FloatArray, scale_max: float = 9.0) -> dict[str, FloatArray]:
    """Per upper-triangle pair: judgment, consistent value, error ratio, |ln ε|, suggestion.

    Arrays are ordered from the most to the least inconsistent pair.
    """
    n = a.shape[0]
    i, j = np.triu_indices(n, k=1)
    judgment = a[i, j]
    consistent = w[i] / w[j]
    ratio = judgment / consistent
    log_err = np.abs(np.log(ratio))
    order = np.argsort(-log_err, kind="stable")
    suggested = np.array([nearest_scale_value(float(c), scale_max) for c in consistent[order]])
    return {
        "i": i[order].astype(np.float64),
        "j": j[order].astype(np.float64),
        "judgment": judgment[order],
        "consistent_value": consistent[order],
        "error_ratio": ratio[order],
        "log_error": log_err[order],
        "suggested": suggested,
    }


@dataclass(frozen=True)
class Change:
    """One revised judgment of the repair loop."""

    i: int
    j: int
    old: float
    new: float
    cr_before: float
    cr_after: float


def repair(
    a: FloatArray,
    weights_of: Callable[[FloatArray], FloatArray],
    cr_of: Callable[[FloatArray], float],
    threshold: float,
    *,
    max_changes: int,
    to_scale: bool = True,
    scale_max: float = 9.0,
) -> tuple[FloatArray, list[Change], bool]:
    """Revise the worst judgment until ``CR ≤ threshold``: ``(revised, changes, acceptable)``.

    At each step the pair with the largest ``|ln ε_ij|`` is set to the scale value
    nearest ``w_i / w_j`` (or to ``w_i / w_j`` itself when ``to_scale=False``), its
    reciprocal updated, and the priorities recomputed. A pair whose suggestion equals
    its current value, or whose revision would not lower CR, is skipped for the next
    worst; the loop stops when no pair can lower CR.
    The input is never modified.
    """
    m = a.copy()
    changes: list[Change] = []
    cr = cr_of(m)
    while cr > threshold and len(changes) < max_changes:
        w = weights_of(m)
        d = diagnose(m, w, scale_max)
        moved = False
        for k in range(d["i"].size):
            i, j = int(d["i"][k]), int(d["j"][k])
            new = float(d["suggested"][k]) if to_scale else float(d["consistent_value"][k])
            if np.isclose(new, m[i, j], rtol=1e-12, atol=0.0):
                continue
            old = float(m[i, j])
            m[i, j], m[j, i] = new, 1.0 / new
            after = cr_of(m)
            if after >= cr:  # a revision must reduce the inconsistency; try the next pair
                m[i, j], m[j, i] = old, 1.0 / old
                continue
            changes.append(Change(i, j, old, new, cr, after))
            cr = after
            moved = True
            break
        if not moved:
            break
    return m, changes, cr <= threshold
