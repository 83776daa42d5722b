"""Bootstrap of the value of one index point: customers resampled, the model refitted.

Every draw has its own seed (spawned from the one recorded), so the numbers do not
depend on ``n_jobs`` or on how draws are chunked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from csimodels.events._survival import cox_fit, logit_fit

FloatArray = NDArray[np.float64]

__all__ = ["bootstrap_draws", "cox_point_values", "logit_point_values"]


def logit_point_values(x: FloatArray, y: FloatArray) -> FloatArray:
    """Coefficients (const first), average marginal effect of x[:, 0], mean retention."""
    design = np.column_stack([np.ones(x.shape[0]), x])
    fit = logit_fit(design, y)
    p = fit.fitted
    ame = float(np.mean(p * (1 - p)) * fit.params[1])
    return np.concatenate([fit.params, [ame, float(np.mean(p))]])


def cox_point_values(
    x: FloatArray, months: FloatArray, event: NDArray[np.bool_], h: float
) -> FloatArray:
    """Log hazard ratios, mean derivative of S(h) in x[:, 0], mean S(h)."""
    xc = x - x.mean(axis=0)
    fit = cox_fit(months, event, xc)
    upto = fit.event_times <= h
    h0 = float(np.sum(fit.baseline_hazard[upto]))
    u = h0 * np.exp(xc @ fit.params)
    s = np.exp(-u)
    ame = float(np.mean(-s * u) * fit.params[0])
    return np.concatenate([fit.params, [ame, float(np.mean(s))]])


def _run(
    statistic: Callable[[NDArray[np.intp]], FloatArray],
    seeds: list[np.random.SeedSequence],
    m: int,
    width: int,
) -> FloatArray:
    out = np.full((len(seeds), width), np.nan)
    for b, seed in enumerate(seeds):
        idx = np.random.default_rng(seed).integers(0, m, m)
        try:
            with np.errstate(all="ignore"):
                values = statistic(idx)
        except (np.linalg.LinAlgError, ValueError, FloatingPointError):
            continue
        if values.shape == (width,):
            out[b] = values
    return out


def bootstrap_draws(
    statistic: Callable[[NDArray[np.intp]], FloatArray],
    m: int,
    width: int,
    *,
    n: int,
    seed: int,
    n_jobs: int,
    chunk_size: int | None,
) -> FloatArray:
    """``n`` draws of ``statistic`` on resampled row indices, shape (n, width); NaN rows
    for draws where the model could not be estimated."""
    seeds = np.random.SeedSequence(seed).spawn(n)
    size = chunk_size or max(1, min(250, -(-n // max(1, abs(n_jobs)))))
    chunks = [seeds[a : a + size] for a in range(0, n, size)]
    if n_jobs == 1 or len(chunks) == 1:
        parts = [_run(statistic, chunk, m, width) for chunk in chunks]
    else:
        from joblib import Parallel, delayed

        parts: list[Any] = list(  # type: ignore[no-redef]
            Parallel(n_jobs=n_jobs)(delayed(_run)(statistic, c, m, width) for c in chunks)
        )
    return np.asarray(np.vstack(parts), dtype=np.float64)
