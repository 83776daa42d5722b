"""Verdicts of a grade vector and validation of weight vectors (ndarray engine)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from csimodels.errors import DataValidationError, format_offenders

FloatArray = NDArray[np.float64]

__all__ = ["validity_index"]

WEIGHT_SUM_ATOL = 1e-6
_TIE_RTOL = 1e-9
_TIE_ATOL = 1e-12


# -- engine -------------------------------------------------------------------------------
def validity_index(b: Sequence[float] | FloatArray) -> float:
    """Validity index α of the maximum-membership principle.

    With the normalised grade vector b̄ over ``m`` grades, its largest entry β and
    second largest γ (equal to β when the maximum is tied)::

        α = (m·β − 1) / (2·γ·(m − 1))

    α = 0 when every grade has the same membership (the principle says nothing),
    α = +∞ when one grade takes everything (γ = 0). The usual reading: α ≥ 1 the
    verdict is fully valid; 0.5 ≤ α < 1 fairly valid; 0 < α < 0.5 of low validity;
    α = 0 invalid.

    Reference: the index of the maximum-membership principle's validity
    (最大隶属原则有效度) as given in the Chinese FCE literature, e.g. 杜栋, 庞庆华,
    吴炎《现代综合评价方法与案例精选》(清华大学出版社), chapter on fuzzy
    comprehensive evaluation.

    Examples
    --------
    >>> round(validity_index([0.2, 0.5, 0.3, 0.0]), 6)
    0.555556
    >>> validity_index([0.25, 0.25, 0.25, 0.25])
    0.0
    >>> validity_index([0.0, 1.0, 0.0])
    inf
    """
    arr = np.asarray(b, dtype=np.float64)
    total = arr.sum()
    if arr.ndim != 1 or arr.size < 2 or not np.isfinite(total) or total <= 0:
        return math.nan
    bn = arr / total
    m = bn.size
    top = np.sort(bn)[::-1]
    beta, gamma = float(top[0]), float(top[1])
    num = m * beta - 1.0
    if abs(num) < 1e-12:
        return 0.0
    if gamma <= 0:
        return math.inf
    return float(num / (2.0 * gamma * (m - 1)))


def _validity_level(alpha: float) -> str:
    if math.isnan(alpha):
        return "not applicable"
    if alpha >= 1:
        return "fully valid"
    if alpha >= 0.5:
        return "fairly valid"
    if alpha > 0:
        return "low validity"
    return "invalid"


def _verdict(
    b: FloatArray, scores: FloatArray | None, labels: Sequence[str], k: float
) -> dict[str, Any]:
    total = float(b.sum())
    if not total > 0:
        raise DataValidationError(
            "the composed grade vector B is all zeros, so it cannot be normalised; "
            "check the weights and the membership matrix"
        )
    bn = b / total
    top = float(bn.max())
    tied = np.flatnonzero(np.isclose(bn, top, rtol=_TIE_RTOL, atol=_TIE_ATOL))
    ranks = np.arange(1, bn.size + 1, dtype=np.float64)
    bk = bn**k
    position = float(bk @ ranks / bk.sum())
    score = math.nan if scores is None else float(bn @ scores)
    rank_score = math.nan if scores is None else float(bk @ scores / bk.sum())
    alpha = validity_index(bn)
    return {
        "b": bn,
        "verdict": tuple(labels[int(i)] for i in tied),
        "tie": bool(tied.size > 1),
        "validity": alpha,
        "validity_level": _validity_level(alpha),
        "score": score,
        "rank_position": position,
        "rank_grade": labels[min(max(math.floor(position + 0.5), 1), len(labels)) - 1],
        "rank_weighted_score": rank_score,
    }


# -- weights ------------------------------------------------------------------------------
def _weights_series(weights: Any, where: str) -> pd.Series | np.ndarray:
    """A Series (labelled) or ndarray (positional) from whatever the caller passed."""
    if weights is None:
        raise DataValidationError(f"{where}: weights are missing; give one weight per factor")
    inner = getattr(weights, "weights", None)
    if not isinstance(weights, (pd.Series, np.ndarray, list, tuple, Mapping)) and isinstance(
        inner, pd.Series
    ):
        return inner
    if isinstance(weights, pd.Series):
        return weights
    if isinstance(weights, Mapping):
        return pd.Series(dict(weights), dtype=object)
    if isinstance(weights, (str, bytes)):
        raise DataValidationError(f"{where}: weights must be numbers, got {weights!r}")
    try:
        arr = np.array(weights, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataValidationError(
            f"{where}: weights must be a Series, dict, array of numbers, or a result with a "
            f"'weights' Series (e.g. an AHP result); got {type(weights).__name__}"
        ) from None
    if arr.ndim != 1:
        raise DataValidationError(f"{where}: weights must be 1-dimensional, got shape {arr.shape}")
    return arr


def _validate_weights(
    weights: Any, factors: Sequence[Any], *, normalize: bool, where: str = "weights"
) -> FloatArray:
    """Weights aligned with ``factors``: non-negative, finite, summing to one."""
    raw = _weights_series(weights, where)
    if isinstance(raw, pd.Series):
        labels = list(raw.index)
        missing = [f for f in factors if f not in labels]
        extra = [lab for lab in labels if lab not in factors]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"no weight for factor {format_offenders(missing)}")
            if extra:
                parts.append(f"weight given for unknown factor {format_offenders(extra)}")
            raise DataValidationError(
                f"{where}: weight labels must match the factors {format_offenders(factors)}: "
                + "; ".join(parts)
            )
        if raw.index.has_duplicates:
            dup = raw.index[raw.index.duplicated()].unique().tolist()
            raise DataValidationError(f"{where}: factor {format_offenders(dup)} weighted twice")
        try:
            a = raw.loc[list(factors)].to_numpy(dtype=np.float64)
        except (TypeError, ValueError):
            raise DataValidationError(f"{where}: weights must be numbers") from None
    else:
        if raw.size != len(factors):
            raise DataValidationError(
                f"{where}: {raw.size} weights for {len(factors)} factors "
                f"({format_offenders(factors)}); give one weight per factor"
            )
        a = raw.astype(np.float64, copy=True)
    bad = [f for f, v in zip(factors, a, strict=True) if not np.isfinite(v) or v < 0]
    if bad:
        shown = ", ".join(
            f"{f!r}: {a[list(factors).index(f)]:g}" if isinstance(f, str) else f"{f}"
            for f in bad[:5]
        )
        raise DataValidationError(
            f"{where}: weights must be finite and >= 0; got {shown}"
            f"{f' and {len(bad) - 5} more' if len(bad) > 5 else ''}"
        )
    total = float(a.sum())
    if total <= 0:
        raise DataValidationError(f"{where}: weights are all zero")
    if abs(total - 1.0) > WEIGHT_SUM_ATOL:
        if not normalize:
            raise DataValidationError(
                f"{where}: weights sum to {total:.6g}, not 1; pass normalize_weights=True "
                "to divide them by their sum"
            )
        a = a / total
    return np.asarray(a, dtype=np.float64)
