"""Engines on plain ndarrays: Kaplan–Meier, Cox proportional hazards (Breslow ties),
logistic regression and Wilson intervals.

No pandas, no pydantic, no warnings: each function returns numbers and a status that
the public layer turns into tables and notes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

__all__ = [
    "CoxFit",
    "KaplanMeier",
    "LogitFit",
    "cox_fit",
    "kaplan_meier",
    "logit_fit",
    "wilson_interval",
]


@dataclass(frozen=True)
class KaplanMeier:
    """Kaplan–Meier estimate at the distinct event times (``time`` ascending)."""

    time: FloatArray
    n_risk: FloatArray
    n_events: FloatArray
    survival: FloatArray
    std_error: FloatArray
    ci_lower: FloatArray
    ci_upper: FloatArray


def kaplan_meier(time: FloatArray, event: NDArray[np.bool_], level: float) -> KaplanMeier:
    """Product-limit estimate with Greenwood standard errors and log–log intervals.

    ``S(t) = Π_{t_j <= t} (1 − d_j / n_j)``; ``se = S √(Σ d_j / (n_j (n_j − d_j)))``;
    the interval is ``S^{exp(± z se / (S |log S|))}`` (R ``survfit(conf.type =
    "log-log")``), undefined (NaN) where S is 0 or 1.
    """
    from scipy import stats

    utime, rank = np.unique(time, return_inverse=True)
    m = utime.size
    d = np.bincount(rank, weights=event.astype(np.float64), minlength=m)
    at = np.bincount(rank, minlength=m).astype(np.float64)
    n = np.cumsum(at[::-1])[::-1]
    keep = d > 0
    utime, d, n = utime[keep], d[keep], n[keep]
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1.0 - d / n)
        green = np.cumsum(d / (n * (n - d)))
        se = surv * np.sqrt(green)
        z = float(stats.norm.ppf(0.5 + level / 2))
        log_s = np.log(surv)
        half = z * np.sqrt(green) / np.abs(log_s)
        lower = surv ** np.exp(half)
        upper = surv ** np.exp(-half)
    undefined = ~np.isfinite(half) | (surv <= 0) | (surv >= 1)
    lower = np.where(undefined, np.nan, lower)
    upper = np.where(undefined, np.nan, upper)
    se = np.where(np.isfinite(se), se, np.nan)

    def f(a: NDArray[np.generic]) -> FloatArray:
        return np.asarray(a, dtype=np.float64)

    return KaplanMeier(f(utime), f(n), f(d), f(surv), f(se), f(lower), f(upper))


def wilson_interval(
    successes: FloatArray, trials: FloatArray, level: float
) -> tuple[FloatArray, FloatArray]:
    """Wilson score interval of a binomial proportion (NaN where there are no trials)."""
    from scipy import stats

    z = float(stats.norm.ppf(0.5 + level / 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = successes / trials
        denom = 1 + z**2 / trials
        centre = (p + z**2 / (2 * trials)) / denom
        half = z * np.sqrt(p * (1 - p) / trials + z**2 / (4 * trials**2)) / denom
    bad = trials <= 0
    return np.where(bad, np.nan, centre - half), np.where(bad, np.nan, centre + half)


@dataclass(frozen=True)
class LogitFit:
    """Maximum-likelihood logistic regression."""

    params: FloatArray
    cov: FloatArray
    fitted: FloatArray
    loglik: float
    loglik_null: float
    iterations: int
    converged: bool
    separated: bool


def logit_fit(x: FloatArray, y: FloatArray, *, tol: float = 1e-12, max_iter: int = 100) -> LogitFit:
    """Newton–Raphson on the log-likelihood of ``P(y = 1) = 1 / (1 + exp(−x b))``.

    ``x`` holds the constant column. Stops when the largest step is below ``tol``
    (relative to 1 + |b|); ``separated`` flags fitted probabilities within 1e-10 of 0 or 1.
    """
    from scipy import special

    n, k = x.shape
    beta = np.zeros(k)
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 (the count is reported)
        eta = x @ beta
        p = special.expit(eta)
        w = p * (1 - p)
        grad = x.T @ (y - p)
        hess = (x * w[:, None]).T @ x
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            break
        beta = beta + step
        if np.max(np.abs(step) / (1 + np.abs(beta))) < tol:
            converged = True
            break
    eta = x @ beta
    p = special.expit(eta)
    hess = (x * (p * (1 - p))[:, None]).T @ x
    try:
        cov = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        cov = np.full((k, k), np.nan)
    loglik = float(np.sum(y * special.log_expit(eta) + (1 - y) * special.log_expit(-eta)))
    ybar = float(np.mean(y))
    loglik_null = (
        float(n * (ybar * np.log(ybar) + (1 - ybar) * np.log(1 - ybar))) if 0 < ybar < 1 else 0.0
    )
    separated = bool(np.any((p < 1e-10) | (p > 1 - 1e-10)))
    return LogitFit(beta, cov, p, loglik, loglik_null, it, converged, separated)


@dataclass(frozen=True)
class CoxFit:
    """Cox proportional-hazards fit (Breslow ties) and its Breslow baseline."""

    params: FloatArray
    cov: FloatArray
    loglik: float
    loglik_null: float
    iterations: int
    converged: bool
    event_times: FloatArray
    baseline_hazard: FloatArray
    """Breslow increments ``d_j / Σ_{risk} exp(x b)`` at ``event_times`` (x centred)."""
    risk_sums: FloatArray
    """``Σ_{risk} exp(x b)`` at each event time."""
    risk_x: FloatArray
    """``Σ_{risk} x exp(x b) / Σ_{risk} exp(x b)`` at each event time, shape (m, k)."""
    n_events: FloatArray


def _cox_pieces(
    x: FloatArray, beta: FloatArray, rank: NDArray[np.intp], event: FloatArray, m: int
) -> tuple[float, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Log partial likelihood, gradient and Hessian (Breslow) at ``beta``."""
    eta = x @ beta
    shift = float(np.max(eta))
    r = np.exp(eta - shift)
    k = x.shape[1]
    # sums over subjects whose time has rank >= j (the risk set at distinct time j)
    s0 = np.cumsum(np.bincount(rank, weights=r, minlength=m)[::-1])[::-1]
    s1 = np.empty((m, k))
    for a in range(k):
        s1[:, a] = np.cumsum(np.bincount(rank, weights=r * x[:, a], minlength=m)[::-1])[::-1]
    s2 = np.empty((m, k, k))
    for a in range(k):
        for b in range(a, k):
            col = np.cumsum(np.bincount(rank, weights=r * x[:, a] * x[:, b], minlength=m)[::-1])[
                ::-1
            ]
            s2[:, a, b] = col
            s2[:, b, a] = col
    d = np.bincount(rank, weights=event, minlength=m)
    xd = x[event > 0].T @ np.ones(int(np.sum(event > 0))) if k else np.zeros(0)
    has = d > 0
    log_s0 = np.log(s0[has]) + shift
    loglik = float(np.sum(eta[event > 0]) - np.sum(d[has] * log_s0))
    mean = s1[has] / s0[has, None]
    grad = xd - np.sum(d[has, None] * mean, axis=0)
    second = s2[has] / s0[has, None, None] - mean[:, :, None] * mean[:, None, :]
    hess = -np.sum(d[has, None, None] * second, axis=0)

    def f(a: NDArray[np.generic]) -> FloatArray:
        return np.asarray(a, dtype=np.float64)

    return (
        loglik,
        f(grad),
        f(hess),
        f(d[has]),
        f(s0[has] * np.exp(shift)),
        f(mean),
        f(has.astype(np.float64)),
    )


def cox_fit(
    time: FloatArray,
    event: NDArray[np.bool_],
    x: FloatArray,
    *,
    tol: float = 1e-12,
    max_iter: int = 100,
) -> CoxFit:
    """Newton–Raphson on the Breslow partial likelihood (no constant column in ``x``)."""
    utime, rank = np.unique(time, return_inverse=True)
    m = utime.size
    ev = event.astype(np.float64)
    k = x.shape[1]
    beta = np.zeros(k)
    loglik0, grad, hess, *_ = _cox_pieces(x, beta, rank, ev, m)
    loglik = loglik0
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 (the count is reported)
        try:
            step = np.linalg.solve(-hess, grad)
        except np.linalg.LinAlgError:
            break
        new = beta + step
        new_loglik, new_grad, new_hess, *_ = _cox_pieces(x, new, rank, ev, m)
        halvings = 0
        while new_loglik < loglik - 1e-10 and halvings < 30:
            step /= 2
            new = beta + step
            new_loglik, new_grad, new_hess, *_ = _cox_pieces(x, new, rank, ev, m)
            halvings += 1
        beta, loglik, grad, hess = new, new_loglik, new_grad, new_hess
        if np.max(np.abs(step) / (1 + np.abs(beta))) < tol:
            converged = True
            break
    try:
        cov = np.linalg.inv(-hess)
    except np.linalg.LinAlgError:
        cov = np.full((k, k), np.nan)
    _, _, _, d, s0, mean, has = _cox_pieces(x, beta, rank, ev, m)
    times = utime[has > 0]
    cov64: FloatArray = np.asarray(cov, dtype=np.float64)
    return CoxFit(beta, cov64, loglik, loglik0, it, converged, times, d / s0, s0, mean, d)
