"""Completing matrices with missing judgments (engine, ndarrays only).

* Harker (1987): replace each missing ``a_ij`` by 0 and add the number of missing
  entries of row ``i`` to its diagonal; the Perron vector of that matrix is the
  priority vector, and the missing ratios are completed as ``w_i / w_j``.
* λmax-optimal completion (Bozóki, Fülöp & Rónyai 2010): choose the missing values
  that minimise the Perron root of the completed matrix. With ``a_ij = exp(x)`` the
  Perron root is a convex function of ``x`` (ibid., Theorem 3), so a quasi-Newton
  search with the analytic gradient ``∂λ/∂x_ij = (l_i r_j a_ij − l_j r_i a_ji) / lᵀr``
  (``l``, ``r``: left and right Perron vectors) finds the unique optimum when the
  comparison graph is connected.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from csimodels.ahp._priorities import perron

FloatArray = NDArray[np.float64]

__all__ = ["harker_completion", "lambda_max_completion"]


def harker_completion(a: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Harker's method: ``(weights, completed matrix)`` for a matrix with NaN gaps.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[1, 2, np.nan], [0.5, 1, 2], [np.nan, 0.5, 1]])
    >>> w, full = harker_completion(a)
    >>> w.round(6).tolist(), round(float(full[0, 2]), 6)
    ([0.571429, 0.285714, 0.142857], 4.0)
    """
    missing = np.isnan(a)
    c = np.where(missing, 0.0, a)
    c[np.diag_indices_from(c)] = 1.0 + missing.sum(axis=1)
    _, w = perron(c)
    full = np.where(missing, w[:, None] / w[None, :], a)
    return w, full


def lambda_max_completion(a: FloatArray, *, max_iter: int = 500) -> tuple[FloatArray, bool, int]:
    """λmax-optimal completion: ``(completed matrix, converged, iterations)``.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[1, 2, np.nan], [0.5, 1, 2], [np.nan, 0.5, 1]])
    >>> full, ok, _ = lambda_max_completion(a)
    >>> round(float(full[0, 2]), 6), ok          # the consistent value 2 × 2
    (4.0, True)
    """
    from scipy.optimize import minimize

    n = a.shape[0]
    iu, ju = np.triu_indices(n, k=1)
    gap = np.isnan(a[iu, ju])
    gi, gj = iu[gap], ju[gap]
    if gi.size == 0:
        return a.copy(), True, 0
    base = np.where(np.isnan(a), 1.0, a)
    # start from Harker's completion (already a good point)
    _, start = harker_completion(a)
    x0 = np.log(start[gi, gj])

    def build(x: FloatArray) -> FloatArray:
        m = base.copy()
        m[gi, gj] = np.exp(x)
        m[gj, gi] = np.exp(-x)
        return m

    def f(x: FloatArray) -> tuple[float, FloatArray]:
        m = build(x)
        values, right = np.linalg.eig(m)
        k = int(np.argmax(values.real))
        r = np.abs(right[:, k].real)
        lv, left = np.linalg.eig(m.T)
        kl = int(np.argmax(lv.real))
        left_vec = np.abs(left[:, kl].real)
        scale = float(left_vec @ r)
        grad = (left_vec[gi] * r[gj] * m[gi, gj] - left_vec[gj] * r[gi] * m[gj, gi]) / scale
        return float(values.real[k]), grad

    res = minimize(f, x0, jac=True, method="BFGS", options={"gtol": 1e-10, "maxiter": max_iter})
    # BFGS may report precision loss at an optimum reached to machine precision
    converged = bool(res.success) or float(np.max(np.abs(res.jac))) < 1e-7
    return build(np.asarray(res.x, dtype=np.float64)), converged, int(res.nit)
