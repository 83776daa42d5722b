"""Forecast engine: Kalman filter and maximum likelihood for structural trend models.

Local level and local linear trend models (optionally with a dummy seasonal), in which
each period's observation carries a *known* measurement variance (the survey's own
sampling variance of the period's score), possibly plus an estimated irregular
variance. statsmodels' state-space models take one observation variance per model
(or a parameter to estimate), so this small filter, vectorised over many series at
once, is the library's own; tests check it against statsmodels where the variance is
constant or estimated, and against statsmodels' filter with a time-varying
``obs_cov`` built by hand.

Conventions follow statsmodels: ``a_1 = 0`` and ``P_1 = kappa I`` (approximate diffuse,
``kappa = 1e6``), the first ``burn = k_states`` periods are left out of the
log-likelihood, missing observations (NaN) skip the update. The one- and two-state
models run on plain vectors (no batched 2 x 2 matrix products, which numpy does one
BLAS call at a time).

ndarrays in, ndarrays out: no pandas, no warnings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

__all__ = [
    "FORECAST_MODELS",
    "MIN_PERIODS",
    "StateSpace",
    "drift_forecast",
    "fit_structural",
    "kalman_filter",
    "state_space",
]

FORECAST_MODELS: dict[str, str] = {
    "local_level": "random-walk level + measurement error (ETS(A,N,N)'s state-space twin)",
    "local_linear": "random-walk level and slope + measurement error",
    "ets": "statsmodels ETSModel, additive error and trend (no sampling variance)",
    "drift": "random walk with drift (Hyndman & Athanasopoulos): y_T + h (y_T - y_1)/(T - 1)",
}
"""The forecast models of :class:`~csimodels.trends.TrendMonitor`, one line each."""

MIN_PERIODS: dict[str, int] = {"local_level": 4, "local_linear": 6, "ets": 6, "drift": 3}
"""Observed periods each model needs before it forecasts (seasonal: 2 s + 2 more)."""

KAPPA = 1e6
LOG2PI = math.log(2.0 * math.pi)


@dataclass(frozen=True)
class StateSpace:
    """Time-invariant system: ``y_t = Z a_t + e_t``, ``a_{t+1} = T a_t + eta_t``.

    ``variances`` names the state positions that carry a disturbance variance
    (``eta`` is diagonal); ``irregular`` says whether an estimated irregular
    variance is added to the known measurement variance.
    """

    design: FloatArray  # (k,)
    transition: FloatArray  # (k, k)
    variances: tuple[int, ...]
    irregular: bool

    @property
    def k(self) -> int:
        return int(self.design.size)

    @property
    def n_params(self) -> int:
        return len(self.variances) + int(self.irregular)


def state_space(model: str, *, seasonal: int | None = None, irregular: bool = False) -> StateSpace:
    """The system matrices of ``"local_level"`` or ``"local_linear"`` (+ dummy seasonal)."""
    if model == "local_level":
        design = [1.0]
        trans = [[1.0]]
        variances = [0]
    else:
        design = [1.0, 0.0]
        trans = [[1.0, 1.0], [0.0, 1.0]]
        variances = [0, 1]
    k0 = len(design)
    if seasonal is not None and seasonal >= 2:
        ks = seasonal - 1
        k = k0 + ks
        t = np.zeros((k, k))
        t[:k0, :k0] = trans
        t[k0, k0:] = -1.0
        for i in range(1, ks):
            t[k0 + i, k0 + i - 1] = 1.0
        z = np.zeros(k)
        z[:k0] = design
        z[k0] = 1.0
        return StateSpace(z, t, (*variances, k0), irregular)
    return StateSpace(np.array(design), np.array(trans), tuple(variances), irregular)


def _q_matrix(system: StateSpace, params: FloatArray) -> tuple[FloatArray, FloatArray]:
    """State disturbance covariance (m, k, k) and irregular variance (m,) from params."""
    m = params.shape[0]
    q = np.zeros((m, system.k, system.k))
    offset = int(system.irregular)
    for j, pos in enumerate(system.variances):
        q[:, pos, pos] = params[:, offset + j]
    irregular = params[:, 0] if system.irregular else np.zeros(m)
    return q, irregular


def kalman_filter(
    y: FloatArray,
    h: FloatArray,
    system: StateSpace,
    params: FloatArray,
    *,
    kappa: float = KAPPA,
    burn: int | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Filter m series at once.

    Parameters
    ----------
    y : (m, n) observations, NaN = missing (the step then only predicts).
    h : (m, n) known measurement variances (0 where none).
    params : (m, p) variances: [irregular,] then one per ``system.variances``.

    Returns
    -------
    loglik : (m,) log-likelihood over observed t >= burn.
    forecast, forecast_var : (m, n) one-step predictions of y_t and their variance F_t
        (including the measurement variance ``h_t`` + irregular).
    state, state_cov : (m, k), (m, k, k) predicted state for the period after the last.
    """
    m, n = y.shape
    k = system.k
    if k == 1:
        return _filter_level(y, h, system, params, kappa=kappa, burn=1 if burn is None else burn)
    if k == 2:
        return _filter_trend(y, h, system, params, kappa=kappa, burn=2 if burn is None else burn)
    z = system.design
    t_mat = system.transition
    q, irregular = _q_matrix(system, params)
    burn = k if burn is None else burn
    a = np.zeros((m, k))
    p = np.broadcast_to(kappa * np.eye(k), (m, k, k)).copy()
    loglik = np.zeros(m)
    forecast = np.empty((m, n))
    forecast_var = np.empty((m, n))
    for t in range(n):
        yt = y[:, t]
        pz = np.einsum("mij,j->mi", p, z)  # (m, k)
        f = pz @ z + h[:, t] + irregular
        yhat = a @ z
        forecast[:, t] = yhat
        forecast_var[:, t] = f
        ok = ~np.isnan(yt)
        v = np.where(ok, yt - yhat, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            gain = np.where(ok[:, None], pz / f[:, None], 0.0)  # (m, k)
            if t >= burn:
                loglik += np.where(ok, -0.5 * (LOG2PI + np.log(f) + v * v / f), 0.0)
        a_upd = a + gain * v[:, None]
        p_upd = p - gain[:, :, None] * pz[:, None, :]
        a = np.einsum("ij,mj->mi", t_mat, a_upd)
        p = np.einsum("ij,mjk,lk->mil", t_mat, p_upd, t_mat) + q
        p = 0.5 * (p + np.swapaxes(p, 1, 2))
    return loglik, forecast, forecast_var, a, p


def _filter_level(
    y: FloatArray,
    h: FloatArray,
    system: StateSpace,
    params: FloatArray,
    *,
    kappa: float,
    burn: int,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """:func:`kalman_filter` for the one-state local level model, on plain vectors."""
    m, n = y.shape
    q, irregular = _q_matrix(system, params)
    qq = q[:, 0, 0]
    a = np.zeros(m)
    p = np.full(m, kappa)
    loglik = np.zeros(m)
    forecast = np.empty((m, n))
    forecast_var = np.empty((m, n))
    for t in range(n):
        yt = y[:, t]
        f = p + h[:, t] + irregular
        forecast[:, t] = a
        forecast_var[:, t] = f
        ok = ~np.isnan(yt)
        v = np.where(ok, yt - a, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            gain = np.where(ok, p / f, 0.0)
            if t >= burn:
                loglik += np.where(ok, -0.5 * (LOG2PI + np.log(f) + v * v / f), 0.0)
        a = a + gain * v
        p = p - gain * p + qq
    return loglik, forecast, forecast_var, a[:, None], p[:, None, None]


def _filter_trend(
    y: FloatArray,
    h: FloatArray,
    system: StateSpace,
    params: FloatArray,
    *,
    kappa: float,
    burn: int,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """:func:`kalman_filter` for the local linear trend (level, slope), elementwise."""
    m, n = y.shape
    q, irregular = _q_matrix(system, params)
    q11, q22 = q[:, 0, 0], q[:, 1, 1]
    a1 = np.zeros(m)
    a2 = np.zeros(m)
    p11 = np.full(m, kappa)
    p12 = np.zeros(m)
    p22 = np.full(m, kappa)
    loglik = np.zeros(m)
    forecast = np.empty((m, n))
    forecast_var = np.empty((m, n))
    for t in range(n):
        yt = y[:, t]
        f = p11 + h[:, t] + irregular
        forecast[:, t] = a1
        forecast_var[:, t] = f
        ok = ~np.isnan(yt)
        v = np.where(ok, yt - a1, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            k1 = np.where(ok, p11 / f, 0.0)
            k2 = np.where(ok, p12 / f, 0.0)
            if t >= burn:
                loglik += np.where(ok, -0.5 * (LOG2PI + np.log(f) + v * v / f), 0.0)
        # update: a + K v, P - K Z P (Z = [1, 0])
        u1 = a1 + k1 * v
        u2 = a2 + k2 * v
        s11 = p11 - k1 * p11
        s12 = p12 - k1 * p12
        s22 = p22 - k2 * p12
        # predict with T = [[1, 1], [0, 1]]
        a1 = u1 + u2
        a2 = u2
        p11 = s11 + 2.0 * s12 + s22 + q11
        p12 = s12 + s22
        p22 = s22 + q22
    a = np.stack([a1, a2], axis=1)
    p = np.stack([np.stack([p11, p12], axis=1), np.stack([p12, p22], axis=1)], axis=1)
    return loglik, forecast, forecast_var, a, p


def _start_scale(y: FloatArray, h: FloatArray) -> FloatArray:
    """A per-series variance scale for the search: var of first differences, floored."""
    with np.errstate(invalid="ignore", divide="ignore"):
        d = np.diff(y, axis=1)
        ok = ~np.isnan(d)
        cnt = ok.sum(axis=1)
        mean = np.where(cnt > 0, np.where(ok, d, 0.0).sum(axis=1) / np.maximum(cnt, 1), 0.0)
        var = np.where(ok, (d - mean[:, None]) ** 2, 0.0).sum(axis=1) / np.maximum(cnt, 1)
        hbar = np.where(np.isnan(y), np.nan, h)
        hm = np.nanmean(np.where(np.isnan(hbar), np.nan, hbar), axis=1) if h.size else 0.0
    hm = np.nan_to_num(hm, nan=0.0)
    scale = np.maximum(var, hm)
    return np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)


def fit_structural(
    y: FloatArray,
    h: FloatArray,
    system: StateSpace,
    *,
    kappa: float = KAPPA,
    grid: int | None = None,
    max_iter: int = 30,
    tol: float = 1e-9,
) -> tuple[FloatArray, FloatArray, NDArray[np.bool_]]:
    """Maximum-likelihood variances of m series at once.

    A grid over ``{0} ∪ scale · [e^-12, e^4]`` for each variance (``scale``: the
    variance of the series' differences, or its mean measurement variance if larger)
    finds the basin; damped Newton steps (Levenberg–Marquardt on central-difference
    derivatives) in the square roots of the variances (as statsmodels: smooth through
    0, so a variance of exactly 0 is reachable) polish it, from the best grid point,
    or from the best four when three or more variances are estimated (several basins).

    Returns
    -------
    params : (m, p) variances.
    loglik : (m,) maximised log-likelihood.
    converged : (m,) bool.
    """
    m = y.shape[0]
    npar = system.n_params
    scale = _start_scale(y, h)
    root = np.sqrt(scale)
    log_lo, log_hi = np.log(scale) - 12.0, np.log(scale) + 4.0
    everyone = np.arange(m)

    def objective(sd: FloatArray, idx: NDArray[np.intp] = everyone) -> FloatArray:
        ll = kalman_filter(y[idx], h[idx], system, sd * sd, kappa=kappa)[0]
        return np.where(np.isfinite(ll), -ll, np.inf)

    g = grid if grid is not None else {1: 25, 2: 11, 3: 7}.get(npar, 5)
    axes = np.linspace(0.0, 1.0, g)
    mesh = np.stack(np.meshgrid(*([axes] * npar), indexing="ij"), axis=-1).reshape(-1, npar)

    def grid_point(u: FloatArray) -> FloatArray:
        var = np.exp(log_lo[:, None] + (log_hi - log_lo)[:, None] * u[None, :])
        return np.sqrt(np.where(u[None, :] == 0.0, 0.0, var))

    grid_values = np.stack([objective(grid_point(u)) for u in mesh])  # (G, m)
    # starts: the best grid point; with two or more variances also the best point
    # with every variance positive (boundary and interior maxima compete), and with
    # three or more the next best points too
    ranked_all = np.argsort(grid_values, axis=0, kind="stable")
    starts = [ranked_all[0]]
    if npar >= 2:
        interior = np.flatnonzero((mesh > 0).all(axis=1))
        starts.append(interior[np.argmin(grid_values[interior], axis=0)])
    if npar >= 3:
        starts += [ranked_all[k] for k in range(1, min(3, len(mesh)))]
    eye = np.eye(npar)

    def polish(
        x: FloatArray, best: FloatArray, iterations: int, frozen: int | None = None
    ) -> tuple[FloatArray, FloatArray, NDArray[np.bool_]]:
        """Newton steps; ``frozen``: a coordinate that stays where it is."""
        x, best = x.copy(), best.copy()
        lam = np.full(m, 1e-3)
        converged = np.zeros(m, dtype=bool)
        for _ in range(iterations):
            idx = np.flatnonzero(~converged)
            if idx.size == 0:
                break
            xs, bs, lams = x[idx], best[idx], lam[idx]
            eps = (1e-5 * root[idx])[:, None]
            k = idx.size
            grad = np.zeros((k, npar))
            hess = np.zeros((k, npar, npar))
            fp = np.zeros((k, npar))
            fm = np.zeros((k, npar))
            for i in range(npar):
                fp[:, i] = objective(xs + eps * eye[i], idx)
                fm[:, i] = objective(xs - eps * eye[i], idx)
                grad[:, i] = (fp[:, i] - fm[:, i]) / (2 * eps[:, 0])
                hess[:, i, i] = (fp[:, i] - 2 * bs + fm[:, i]) / eps[:, 0] ** 2
            for i in range(npar):
                for j in range(i + 1, npar):
                    fpp = objective(xs + eps * (eye[i] + eye[j]), idx)
                    fmm = objective(xs - eps * (eye[i] + eye[j]), idx)
                    hij = (fpp - fp[:, i] - fp[:, j] + 2 * bs - fm[:, i] - fm[:, j] + fmm) / (
                        2 * eps[:, 0] ** 2
                    )
                    hess[:, i, j] = hess[:, j, i] = hij
            bad: NDArray[np.bool_] = np.asarray(
                ~np.isfinite(hess).all(axis=(1, 2)) | ~np.isfinite(grad).all(axis=1)
            )
            hess = np.where(bad[:, None, None], eye, hess)
            grad = np.where(bad[:, None], 0.0, grad)
            if frozen is not None:
                grad[:, frozen] = 0.0
                hess[:, frozen, :] = 0.0
                hess[:, :, frozen] = 0.0
                hess[:, frozen, frozen] = 1.0
            diag = np.abs(np.einsum("mii->mi", hess)) + 1e-12
            conv = np.abs(grad).max(axis=1) * root[idx] < 1e-10
            trying = ~conv
            for _attempt in range(10):
                t = np.flatnonzero(trying)
                if t.size == 0:
                    break
                damped = hess[t] + lams[t, None, None] * diag[t, :, None] * eye
                step = np.linalg.solve(damped, grad[t][:, :, None])[:, :, 0]
                cap = 10.0 * root[idx[t]][:, None]
                step = np.clip(np.where(np.isfinite(step), step, 0.0), -cap, cap)
                cand = xs[t] - step
                val = objective(cand, idx[t])
                ok = val <= bs[t]
                acc = t[ok]
                improvement = bs[acc] - val[ok]
                xs[acc] = cand[ok]
                bs[acc] = val[ok]
                lams[acc] = np.maximum(lams[acc] / 4.0, 1e-12)
                lams[t[~ok]] = np.minimum(lams[t[~ok]] * 8.0, 1e12)
                small = np.abs(step[ok]).max(axis=1) < tol * root[idx[acc]]
                flat = np.abs(grad[acc]).max(axis=1) * root[idx[acc]] < 1e-6
                conv[acc] |= small | ((improvement < 1e-11) & flat)
                conv[t[~ok]] |= lams[t[~ok]] >= 1e12
                trying[acc] = False
                trying &= ~conv
            x[idx], best[idx], lam[idx] = xs, bs, lams
            converged[idx] = conv
        return x, best, converged

    def solve_from(start: NDArray[np.intp]) -> tuple[FloatArray, FloatArray, NDArray[np.bool_]]:
        u = mesh[start]  # (m, npar)
        var = np.exp(log_lo[:, None] + (log_hi - log_lo)[:, None] * u)
        x = np.sqrt(np.where(u == 0.0, 0.0, var))
        best = grid_values[start, everyone]
        x, best, _ = polish(x, best, max_iter)
        # a variance whose maximum is at 0: set it to 0 and let the others re-adjust
        for i in range(npar):
            cand = x.copy()
            cand[:, i] = 0.0
            cand, val, _ = polish(cand, objective(cand), max_iter // 2, frozen=i)
            better = val < best
            x = np.where(better[:, None], cand, x)
            best = np.where(better, val, best)
        return polish(x, best, max_iter // 2)

    x, best, converged = solve_from(starts[0])
    for start in starts[1:]:
        xk, bk, ck = solve_from(start)
        better = bk < best - 1e-12
        x = np.where(better[:, None], xk, x)
        best = np.where(better, bk, best)
        converged = np.where(better, ck, converged)
    return x * x, -best, converged


def drift_forecast(y: FloatArray, horizon: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Random walk with drift on the observed values of each row (NaN skipped).

    Point ``y_T + j b`` with ``b = (y_T - y_1)/(T - 1)``; variance
    ``s^2 j (1 + j/(T - 1))`` with ``s^2 = sum (dy - b)^2 / (T - 2)`` (Hyndman &
    Athanasopoulos, *Forecasting: Principles and Practice*, 3rd ed., §5.5 and §5.8).
    Rows with fewer than 3 observed values give NaN.

    Returns the point forecasts, their standard deviations (m, horizon) and the
    number of values used (m,).
    """
    m, n = y.shape
    ok = ~np.isnan(y)
    used = ok.sum(axis=1).astype(np.float64)
    idx = np.arange(n)
    first_pos = np.where(ok, idx, n).min(axis=1)
    last_pos = np.where(ok, idx, -1).max(axis=1)
    rows = np.arange(m)
    valid = used >= 3
    first = np.where(valid, y[rows, np.minimum(first_pos, n - 1)], np.nan)
    last = np.where(valid, y[rows, np.maximum(last_pos, 0)], np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        b = (last - first) / (used - 1)
        # differences of consecutive observed values (gaps joined)
        filled = np.where(ok, y, np.nan)
        prev = np.full(m, np.nan)
        ss = np.zeros(m)
        for t in range(n):
            cur = filled[:, t]
            both = ~np.isnan(cur) & ~np.isnan(prev)
            ss += np.where(both, (cur - prev - b) ** 2, 0.0)
            prev = np.where(np.isnan(cur), prev, cur)
        s2 = ss / (used - 2)
    steps = np.arange(1, horizon + 1, dtype=np.float64)
    point = last[:, None] + steps[None, :] * b[:, None]
    sd = np.sqrt(s2[:, None] * steps[None, :] * (1.0 + steps[None, :] / (used[:, None] - 1)))
    point = np.where(valid[:, None], point, np.nan)
    sd = np.where(valid[:, None], sd, np.nan)
    return point, sd, used
