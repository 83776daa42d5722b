"""Priority vectors and the Perron eigenvalue of reciprocal matrices (engine, ndarrays only).

Every function accepts a single ``(n, n)`` matrix or a stack ``(..., n, n)`` and works
on the last two axes, so that many respondents' matrices are handled in one call.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

__all__ = [
    "PRIORITY_METHODS",
    "column_average_weights",
    "eigenvector_weights",
    "geometric_consistency_index",
    "geometric_weights",
    "perron",
]


def perron(matrices: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Perron root ``λmax`` and normalised Perron vector of positive matrices.

    Uses one batched ``numpy.linalg.eig`` call. For a positive matrix the Perron root
    is real, simple and has the largest real part of all eigenvalues; its eigenvector
    can be chosen positive (Perron–Frobenius), which is what is returned, scaled to
    sum to 1.

    Returns
    -------
    lambda_max : ndarray, shape (...)
    weights : ndarray, shape (..., n)

    Examples
    --------
    >>> import numpy as np
    >>> lam, w = perron(np.array([[1.0, 2.0], [0.5, 1.0]]))
    >>> round(float(lam), 12), w.round(6).tolist()
    (2.0, [0.666667, 0.333333])
    """
    a = np.asarray(matrices, dtype=np.float64)
    values, vectors = np.linalg.eig(a)
    k = np.argmax(values.real, axis=-1)
    lam = np.take_along_axis(values.real, k[..., None], axis=-1)[..., 0]
    vec = np.take_along_axis(vectors, k[..., None, None], axis=-1)[..., 0].real
    # the eigenvector has one sign; its sum is never 0 for a positive matrix
    w = vec / vec.sum(axis=-1, keepdims=True)
    return lam, np.abs(w)


def eigenvector_weights(matrices: FloatArray) -> FloatArray:
    """Saaty's principal right eigenvector, normalised to sum to 1.

    Examples
    --------
    >>> import numpy as np
    >>> eigenvector_weights(np.array([[1.0, 3.0], [1 / 3, 1.0]])).round(4).tolist()
    [0.75, 0.25]
    """
    return perron(matrices)[1]


def geometric_weights(matrices: FloatArray) -> FloatArray:
    """Row geometric means (logarithmic least squares), normalised to sum to 1.

    Examples
    --------
    >>> import numpy as np
    >>> geometric_weights(np.array([[1.0, 4.0], [0.25, 1.0]])).tolist()
    [0.8, 0.2]
    """
    a = np.asarray(matrices, dtype=np.float64)
    g = np.exp(np.log(a).mean(axis=-1))
    return np.asarray(g / g.sum(axis=-1, keepdims=True), dtype=np.float64)


def column_average_weights(matrices: FloatArray) -> FloatArray:
    """Average of the columns after dividing each column by its sum (additive normalisation).

    Examples
    --------
    >>> import numpy as np
    >>> column_average_weights(np.array([[1.0, 4.0], [0.25, 1.0]])).tolist()
    [0.8, 0.2]
    """
    a = np.asarray(matrices, dtype=np.float64)
    normalised = a / a.sum(axis=-2, keepdims=True)
    return np.asarray(normalised.mean(axis=-1), dtype=np.float64)


PRIORITY_METHODS: dict[str, Callable[[FloatArray], FloatArray]] = {
    "column_average": column_average_weights,
    "eigenvector": eigenvector_weights,
    "geometric": geometric_weights,
}
"""Priority-vector methods by name: ``"eigenvector"`` (Saaty, default), ``"geometric"``
(row geometric mean, Crawford & Williams 1985) and ``"column_average"`` (normalised
column average, Saaty's approximation)."""


def geometric_consistency_index(matrices: FloatArray) -> FloatArray:
    """Aguarón & Moreno-Jiménez's (2003) geometric consistency index.

    ``GCI = 2 / ((n − 1)(n − 2)) · Σ_{i<j} ln²(a_ij · w_j / w_i)`` with the row-geometric-mean
    weights ``w``; 0 for a consistent matrix, NaN for ``n ≤ 2``.

    Examples
    --------
    >>> import numpy as np
    >>> float(geometric_consistency_index(np.array([[1, 2, 4], [0.5, 1, 2], [0.25, 0.5, 1]])))
    0.0
    """
    a = np.asarray(matrices, dtype=np.float64)
    n = a.shape[-1]
    if n <= 2:
        return np.full(a.shape[:-2], np.nan)
    w = geometric_weights(a)
    e = np.log(a) + np.log(w)[..., None, :] - np.log(w)[..., :, None]
    iu = np.triu_indices(n, k=1)
    sq = (e[..., iu[0], iu[1]] ** 2).sum(axis=-1)
    return np.asarray(2.0 * sq / ((n - 1) * (n - 2)), dtype=np.float64)
