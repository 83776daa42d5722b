"""The 0–100 satisfaction index, computed the ACSI way.

For a construct with indicators i, outer weights ``w_i`` on standardised indicators
are turned into weights on the original answers, ``w̃_i = w_i / s_i`` (``s_i`` the
indicator's standard deviation), and normalised to sum to one,
``v_i = w̃_i / Σ w̃``. With each indicator's declared scale ``[min_i, max_i]``::

    index = (Σ v_i x̄_i − Σ v_i min_i) / Σ v_i (max_i − min_i) × 100

and the same with a respondent's answers ``x_i`` in place of the means for the
per-respondent index. The index is therefore the construct score rescaled to 0–100:
0 when every answer is at the bottom of its scale, 100 when every answer is at the top
(Fornell et al. 1996; Ringle & Sarstedt 2016 for the rescaled scores used by IPMA).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = ["index_weights", "respondent_indices"]

FloatArray = NDArray[np.float64]


def index_weights(
    outer_weights: FloatArray, indicator_sds: FloatArray, blocks: Sequence[NDArray[np.int64]]
) -> FloatArray:
    """Unstandardised outer weights normalised to sum to one within each block.

    Examples
    --------
    >>> import numpy as np
    >>> v = index_weights(np.array([0.6, 0.6]), np.array([1.0, 2.0]), [np.array([0, 1])])
    >>> v.round(4).tolist()
    [0.6667, 0.3333]
    """
    raw = outer_weights / indicator_sds
    out = np.empty_like(raw)
    for block in blocks:
        out[block] = raw[block] / raw[block].sum()
    return out


def respondent_indices(
    x: FloatArray,
    weights: FloatArray,
    lower: FloatArray,
    upper: FloatArray,
    blocks: Sequence[NDArray[np.int64]],
) -> FloatArray:
    """Per-respondent 0–100 index of every construct, shape (n, k).

    ``weights`` are the normalised index weights of :func:`index_weights`; ``lower``
    and ``upper`` the declared scale bounds of each indicator. The index of the mean
    answers equals the (weighted) mean of these, because the index is linear.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0, 1.0], [10.0, 10.0], [5.5, 5.5]])
    >>> respondent_indices(x, np.array([0.5, 0.5]), np.ones(2), np.full(2, 10.0),
    ...                    [np.array([0, 1])])[:, 0].tolist()
    [0.0, 100.0, 50.0]
    """
    out = np.empty((x.shape[0], len(blocks)))
    for j, block in enumerate(blocks):
        v = weights[block]
        lo = float(v @ lower[block])
        span = float(v @ (upper[block] - lower[block]))
        out[:, j] = (x[:, block] @ v - lo) / span * 100.0
    return out
