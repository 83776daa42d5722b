"""Private PLSpredict engine (Shmueli et al. 2016, 2019), as seminr's ``predict_pls``.

k-fold cross-validation: the rows are shuffled (``order``), cut into ``n_folds``
contiguous folds of the shuffled order (R's ``cut(seq_len(n), breaks = k)``), and
for each fold the model is re-estimated on the other folds. All ``n_folds``
training fits are one call of the batched core on the training-set correlation
matrices (0/1 row weights), so the folds cost about one fit.

Predictions for the held-out rows (technique ``"DA"``, direct antecedents):
the held-out indicators are standardised with the training means and sds,
scored with the training outer weights, each endogenous construct is predicted
from its predecessors' scores with the training paths (constructs that are never
a target keep their scores), and each indicator of an endogenous construct is
predicted as ``loading × predicted score × sd + mean``. Technique ``"EA"``
(earliest antecedents) propagates the scores of the purely exogenous constructs
through the structural model instead. In-sample predictions are the average over
the ``n_folds − 1`` fits in which a row was used for training.

Benchmark (LM): each indicator of an endogenous construct is regressed, with an
intercept, on the raw indicators of the construct's predecessors (DA) or of the
purely exogenous constructs (EA), on the training rows, and predicted for the
held-out rows. Metrics: RMSE and MAE of the out-of-sample (and in-sample)
residuals per predicted indicator.

References
----------
Shmueli, G., Ray, S., Velasquez Estrada, J. M., & Chatla, S. B. (2016). The elephant
in the room: predictive performance of PLS models. *Journal of Business Research*,
69(10), 4552–4564. Shmueli, G., Sarstedt, M., Hair, J. F., et al. (2019). Predictive
model assessment in PLS-SEM: guidelines for using PLSpredict. *European Journal of
Marketing*, 53(11), 2322–2347.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from csimodels.sem._pls_engine import batch_correlations, estimate_pls_moments

__all__ = ["PLSPrediction", "cut_folds", "predict_pls"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
_TECHNIQUES = ("DA", "EA")


@dataclass(frozen=True)
class PLSPrediction:
    """Cross-validated predictions of the indicators of the endogenous constructs.

    Attributes
    ----------
    indicators : ndarray (m,) of int
        Columns of ``x`` predicted (the indicators of endogenous constructs, in
        construct order).
    actual : ndarray (n, m)
        Their observed values.
    pls_out_of_sample, lm_out_of_sample : ndarray (n, m)
        Out-of-sample predictions by the PLS model and by the LM benchmark.
    pls_in_sample, lm_in_sample : ndarray (n, m)
        In-sample predictions, averaged over the fits that trained on the row.
    pls_rmse, pls_mae, lm_rmse, lm_mae : ndarray (m,)
        Out-of-sample RMSE and MAE (weighted when case weights were given).
    pls_rmse_in_sample, pls_mae_in_sample, lm_rmse_in_sample, lm_mae_in_sample : ndarray (m,)
        The same in sample.
    folds : ndarray (n,) of int
        Fold (0-based) in which each row was held out.
    converged, singular : ndarray (n_folds,) of bool
        Status of each training fit (a singular fit's predictions are NaN).
    """

    indicators: IntArray
    actual: FloatArray
    pls_out_of_sample: FloatArray
    lm_out_of_sample: FloatArray
    pls_in_sample: FloatArray
    lm_in_sample: FloatArray
    pls_rmse: FloatArray
    pls_mae: FloatArray
    lm_rmse: FloatArray
    lm_mae: FloatArray
    pls_rmse_in_sample: FloatArray
    pls_mae_in_sample: FloatArray
    lm_rmse_in_sample: FloatArray
    lm_mae_in_sample: FloatArray
    folds: IntArray
    converged: BoolArray
    singular: BoolArray


def cut_folds(n: int, n_folds: int) -> IntArray:
    """Fold (0-based) of each position 1..n, as R's ``cut(seq_len(n), breaks = n_folds)``.

    Examples
    --------
    >>> cut_folds(10, 3).tolist()
    [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
    """
    inner = 1 + np.arange(1, n_folds) * (n - 1) / n_folds
    pos = np.arange(1, n + 1)
    return np.asarray(np.searchsorted(inner, pos, side="left"), dtype=np.int64)


def _topological(structure: BoolArray) -> list[int]:
    k = structure.shape[0]
    done: BoolArray = np.asarray(~structure.any(axis=0), dtype=np.bool_)  # purely exogenous
    order: list[int] = []
    n_endogenous = int(structure.any(axis=0).sum())
    while len(order) < n_endogenous:
        progressed = False
        for j in range(k):
            if not done[j] and np.all(done[structure[:, j]]):
                order.append(j)
                done[j] = True
                progressed = True
        if not progressed:
            raise ValueError("the structural model has a cycle")
    return order


def _weighted_metrics(res: FloatArray, w: FloatArray) -> tuple[FloatArray, FloatArray]:
    ww = w / w.sum()
    rmse = np.sqrt(ww @ res**2)
    mae = ww @ np.abs(res)
    return np.asarray(rmse, dtype=np.float64), np.asarray(mae, dtype=np.float64)


def predict_pls(
    x: FloatArray,
    blocks: Sequence[Sequence[int] | NDArray[np.integer]],
    modes: Sequence[str],
    structure: NDArray[np.bool_] | Sequence[Sequence[bool]],
    *,
    n_folds: int = 10,
    technique: str = "DA",
    order: Sequence[int] | NDArray[np.integer] | None = None,
    random_state: int | np.random.Generator | None = None,
    scheme: str = "path",
    case_weights: FloatArray | None = None,
    tol: float = 1e-7,
    max_iter: int = 300,
    consistent: bool = False,
) -> PLSPrediction:
    """k-fold PLSpredict with the linear-model benchmark.

    Parameters
    ----------
    x, blocks, modes, structure, scheme, tol, max_iter, consistent
        As in :func:`csimodels.sem._pls_engine.estimate_pls`.
    n_folds : int
        Number of folds (2..n; n is leave-one-out).
    technique : {"DA", "EA"}
        Direct or earliest antecedents.
    order : permutation of 0..n-1, optional
        Row order before cutting the folds; default a permutation drawn with
        ``numpy.random.default_rng(random_state)`` (the same draw as seminr's
        ``predict_pls(seed=random_state)``).
    case_weights : ndarray (n,), optional
        Respondent weights: weighted training fits, weighted least squares for the
        benchmark and weighted RMSE/MAE.

    Returns
    -------
    PLSPrediction

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> eta = rng.normal(size=(200, 1))
    >>> x = np.hstack([eta + rng.normal(size=(200, 2)), eta + rng.normal(size=(200, 2))])
    >>> pred = predict_pls(x, [[0, 1], [2, 3]], "AA", [[False, True], [False, False]],
    ...                    n_folds=5, random_state=0)
    >>> pred.indicators.tolist(), bool(np.all(pred.pls_rmse < x[:, 2:].std(axis=0)))
    ([2, 3], True)
    """
    xa = np.asarray(x, dtype=np.float64)
    if xa.ndim != 2 or not np.all(np.isfinite(xa)):
        raise ValueError("x must be a finite 2-D array (n, p); handle missing data first")
    n, p = xa.shape
    if not isinstance(n_folds, (int, np.integer)) or not 2 <= n_folds <= n:
        raise ValueError(f"n_folds must be an integer between 2 and {n}, got {n_folds!r}")
    if technique not in _TECHNIQUES:
        raise ValueError(f"technique must be one of {list(_TECHNIQUES)}, got {technique!r}")
    st = np.asarray(structure, dtype=bool)
    blks = [np.asarray(b, dtype=np.int64).ravel() for b in blocks]
    k = len(blks)
    if order is None:
        perm = np.random.default_rng(random_state).permutation(n)
    else:
        perm = np.asarray(order, dtype=np.int64)
        if perm.shape != (n,) or not np.array_equal(np.sort(perm), np.arange(n)):
            raise ValueError(f"order must be a permutation of 0..{n - 1}")
    w = np.ones(n) if case_weights is None else np.asarray(case_weights, dtype=np.float64)
    if w.shape != (n,) or not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError(f"case_weights must be {n} finite non-negative values")

    folds = np.empty(n, dtype=np.int64)
    folds[perm] = cut_folds(n, int(n_folds))
    train = folds[None, :] != np.arange(n_folds)[:, None]  # (F, n)
    means, sds, r = batch_correlations(xa, train * w[None, :])
    fit = estimate_pls_moments(
        r,
        blks,
        modes,
        st,
        scheme=scheme,
        tol=tol,
        max_iter=max_iter,
        consistent=consistent,
    )

    owner = np.empty(p, dtype=np.int64)
    for j, b in enumerate(blks):
        owner[b] = j
    endo = np.flatnonzero(st.any(axis=0))
    indicators = np.concatenate([blks[j] for j in endo]) if endo.size else np.zeros(0, np.int64)
    exo_only = ~st.any(axis=0)
    ea_order = _topological(st) if technique == "EA" else []

    # scores of every row under every fold's model: (F, n, k)
    z = (xa[None, :, :] - means[:, None, :]) / sds[:, None, :]
    wmat = np.zeros((n_folds, p, k))
    wmat[:, np.arange(p), owner] = fit.outer_weights
    scores = z @ wmat
    if technique == "DA":
        pred = scores @ fit.paths
        pred[:, :, exo_only] = scores[:, :, exo_only]
    else:
        pred = np.where(exo_only, scores, 0.0)
        for j in ea_order:
            pred[:, :, j] = np.einsum("fnk,fk->fn", pred, fit.paths[:, :, j])
    lam = fit.loadings[:, indicators]  # (F, m)
    items = (
        pred[:, :, owner[indicators]] * lam[:, None, :] * sds[:, None, indicators]
        + means[:, None, indicators]
    )  # (F, n, m)

    # LM benchmark: per endogenous construct, WLS of its items on predictor items
    lm = np.full((n_folds, n, indicators.size), np.nan)
    col = 0
    for j in endo.tolist():
        sources = np.flatnonzero(st[:, j]) if technique == "DA" else np.flatnonzero(exo_only)
        xs = np.column_stack([np.ones(n), *(xa[:, blks[c]] for c in sources)])
        ys = xa[:, blks[j]]
        for f in range(n_folds):
            sw = np.sqrt(w * train[f])
            beta = np.linalg.lstsq(xs * sw[:, None], ys * sw[:, None], rcond=None)[0]
            lm[f, :, col : col + blks[j].size] = xs @ beta
        col += blks[j].size

    rows = np.arange(n)
    actual = xa[:, indicators]
    pls_oos = items[folds, rows]
    lm_oos = lm[folds, rows]
    pls_is = (items * train[:, :, None]).sum(axis=0) / (n_folds - 1)
    lm_is = (lm * train[:, :, None]).sum(axis=0) / (n_folds - 1)
    pls_rmse, pls_mae = _weighted_metrics(actual - pls_oos, w)
    lm_rmse, lm_mae = _weighted_metrics(actual - lm_oos, w)
    pls_rmse_is, pls_mae_is = _weighted_metrics(actual - pls_is, w)
    lm_rmse_is, lm_mae_is = _weighted_metrics(actual - lm_is, w)
    return PLSPrediction(
        indicators=np.asarray(indicators, dtype=np.int64),
        actual=actual,
        pls_out_of_sample=pls_oos,
        lm_out_of_sample=lm_oos,
        pls_in_sample=pls_is,
        lm_in_sample=lm_is,
        pls_rmse=pls_rmse,
        pls_mae=pls_mae,
        lm_rmse=lm_rmse,
        lm_mae=lm_mae,
        pls_rmse_in_sample=pls_rmse_is,
        pls_mae_in_sample=pls_mae_is,
        lm_rmse_in_sample=lm_rmse_is,
        lm_mae_in_sample=lm_mae_is,
        folds=folds,
        converged=fit.converged,
        singular=fit.singular,
    )
