"""The covariance-based SEM engine: objectives, information and solver (csimodels' own).

The model algebra (Σ(θ), μ(θ) and their derivatives) is :mod:`._cbsem_ram`; here are
the sample moments and discrepancy functions of one group (:class:`ModelFrame`), the
sum over groups (:class:`MultiFrame`) and the optimiser, all on lavaan's scale so that
results can be compared with it:

* the sample moments (ML: covariance with divisor N; GLS/ULS/WLS/DWLS: divisor N − 1,
  as lavaan; respondent weights give weighted moments);
* the discrepancy functions ``F`` with lavaan's normalisation (χ² = 2 N F);
* the optimiser: Fisher scoring (Gauss–Newton with the expected information as the
  Hessian; for ML this is the scoring method of LISREL/lavaan's ``"expected"``
  information) with a backtracking line search, started from composite-based
  values, polished until the largest absolute gradient component is below ``gtol``;
  scipy's ``trust-constr`` takes over from the best point if scoring stalls;
* standard errors from the expected information, χ² and the baseline model.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from csimodels.sem._cbsem_moments import SampleMoments
from csimodels.sem._cbsem_ordinal import OrdinalMoments
from csimodels.sem._cbsem_ram import RamModel

FloatArray = NDArray[np.float64]


def n_th_all(ordinal: OrdinalMoments) -> int:
    """Number of thresholds of every item (the offset of the polychorics in Γ)."""
    return ordinal.n_thresholds


ESTIMATORS = ("ML", "MLR", "GLS", "ULS", "WLS", "DWLS", "WLSMV", "ULSMV", "FIML")
#: estimators whose estimates are another's (robust SEs and tests in the public layer)
SAME_ESTIMATES = {"WLSMV": "DWLS", "ULSMV": "ULS", "MLR": "ML"}


class ModelFrame:
    """One group's sample moments bound to the model algebra, with objective, gradient
    and expected information (all with respect to the full free-parameter vector)."""

    def __init__(
        self,
        ram: RamModel,
        x: FloatArray | SampleMoments,
        columns: list[str],
        estimator: str,
        weights: FloatArray | None,
        ordinal: OrdinalMoments | None = None,
        group: int = 0,
    ) -> None:
        # WLSMV, ULSMV, MLR: the estimates of DWLS, ULS, ML; robust SEs and tests in
        # the public layer
        estimator = SAME_ESTIMATES.get(estimator, estimator)
        self.estimator = estimator
        self.ordinal = ordinal
        self.ram = ram
        self.group = group
        self.meanstructure = ram.meanstructure
        observed = list(ram.observed)
        self.observed = observed
        order = [columns.index(c) for c in observed]
        moments = x.select(order) if isinstance(x, SampleMoments) else None
        xo: Any = moments if isinstance(x, SampleMoments) else x[:, order]
        self.x = xo
        self.n = int(xo.shape[0])
        n = self.n
        self.weights_raw = weights
        #: the group's size in the objective: n, or with sampling weights the sum of the
        #: weights normalised over all groups to sum to N (lavaan's "total"); set by
        #: the caller for multigroup fits
        self.n_w = float(xo.shape[0])
        w: FloatArray
        if moments is not None:
            w = np.empty(0)  # out of core: the moments are given, no rows
        elif weights is None:
            w = np.full(n, 1.0 / n)
        else:
            w = weights / weights.sum()
        self.w = w
        if estimator == "FIML" and moments is None:
            mean = np.nanmean(xo, axis=0)
            filled = np.where(np.isnan(xo), mean, xo)
            s = np.cov(filled, rowvar=False, bias=True)
        elif moments is None:
            mean = w @ xo
            dev = xo - mean
            s = (dev * w[:, None]).T @ dev
            if estimator != "ML":
                s = s * n / (n - 1)
        else:  # out of core: ML moments given (divisor the total weight)
            mean = moments.mean.copy()
            s = moments.cov * (1.0 if estimator == "ML" else n / (n - 1))
        if ordinal is not None:  # the moments are the polychorics (and thresholds)
            mean = np.zeros(len(observed))
            pos = [ordinal.items.index(c) for c in observed]
            s = ordinal.cov[np.ix_(pos, pos)]
        self.mean = mean
        s = np.atleast_2d(s)
        self.s = s
        self.p = len(observed)
        self.vech = np.triu_indices(self.p)
        p = self.p
        if estimator in ("ML", "GLS"):
            self.s_inv = np.linalg.inv(s)
            self.s_logdet = float(np.linalg.slogdet(s)[1])
        if ordinal is not None:
            self._prepare_ordinal(ordinal, observed)
        elif estimator in ("WLS", "DWLS"):
            dev = xo - mean
            i, j = self.vech
            prods = dev[:, i] * dev[:, j]
            gamma = np.cov(prods, rowvar=False, bias=True)
            if estimator == "DWLS":
                self.wmat = np.diag(1.0 / np.diag(gamma))
            else:
                self.wmat = np.linalg.inv(gamma)
            self.s_vech = s[self.vech]
        if estimator == "FIML":
            self._prepare_fiml()
        self.n_free = ram.n_free
        self.n_moments = p * (p + 1) // 2 + (p if self.meanstructure else 0)
        if ordinal is not None:
            # the means of the latent responses are not moments (thresholds are)
            self.n_moments = p * (p + 1) // 2 + self.n_thresholds
        self._h1_trace: float | None = None  # cached by the robust test
        self.variance_positions = sorted(
            {
                r.free - 1
                for r in ram.table.rows
                if r.free and r.op == "~~" and r.lhs == r.rhs and r.group == group + 1
            }
        )

    # -- ordinal items -------------------------------------------------------------------
    def _prepare_ordinal(self, ordinal: OrdinalMoments, observed: list[str]) -> None:
        """Moments (thresholds, vech of the polychoric matrix), weights and Γ in that order.

        The diagonal of the polychoric matrix (all ones) is kept as a moment with unit
        weight and no sampling variance: each ordinal item's residual variance only
        enters its own diagonal element, so at the minimum Σ*_jj = 1 exactly, the
        residual variance equals 1 − (explained variance) (lavaan's delta
        parameterisation), and F, the other estimates and their standard errors are
        those of the model without diagonal moments.
        """
        perm = [ordinal.items.index(c) for c in observed]
        th_blocks = []
        start = 0
        for t in ordinal.thresholds:
            th_blocks.append(np.arange(start, start + t.size))
            start += t.size
        th_order = np.concatenate([th_blocks[j] for j in perm]).astype(np.intp)
        self.th_names = [ordinal.threshold_names[i] for i in th_order]
        self.th_owner = [observed[j] for j, k in enumerate(perm) for _ in th_blocks[k]]
        n_th = int(th_order.size)
        self.n_thresholds = n_th
        vi, vj = self.vech
        # position of each vech element in lavaan's pair order (original item order)
        pa = np.minimum(np.asarray(perm)[vi], np.asarray(perm)[vj])
        pb = np.maximum(np.asarray(perm)[vi], np.asarray(perm)[vj])
        q = len(ordinal.items)
        pair_pos = np.full((q, q), -1, dtype=np.intp)
        iu = np.triu_indices(q, 1)
        pair_pos[iu] = np.arange(iu[0].size)
        m = vi.size
        # a continuous item's variance is a moment (after the thresholds and means);
        # an ordinal item's unit diagonal is not
        numeric = np.asarray(ordinal.is_numeric, dtype=bool)
        var_pos = np.full(q, -1, dtype=np.intp)
        var_pos[numeric] = n_th_all(ordinal) + np.arange(int(numeric.sum()))
        diag_src = var_pos[np.asarray(perm)[vi]]
        off = n_th_all(ordinal) + int(numeric.sum()) + pair_pos[pa, pb]
        src = np.concatenate([th_order, np.where(vi == vj, diag_src, off)])
        total = n_th + m
        gamma = np.zeros((total, total))
        ok = np.flatnonzero(src >= 0)
        gamma[np.ix_(ok, ok)] = ordinal.gamma[np.ix_(src[ok], src[ok])]
        self.gamma = gamma
        diag_mom = n_th + np.flatnonzero(vi == vj)
        unit_mom = n_th + np.flatnonzero((vi == vj) & ~numeric[np.asarray(perm)[vi]])
        self.th_is_mean = [ordinal.threshold_names[i].endswith("~1") for i in th_order]
        self.th_mean_rows = np.asarray(self.th_is_mean, dtype=bool)
        est = self.estimator
        if est == "ULS":
            wmat = np.eye(total)
        elif est == "DWLS":
            d = np.diag(gamma).copy()
            d[unit_mom] = 1.0
            wmat = np.diag(1.0 / d)
        elif est == "WLS":
            wmat = np.zeros((total, total))
            wmat[np.ix_(ok, ok)] = np.linalg.inv(gamma[np.ix_(ok, ok)])
            wmat[unit_mom, unit_mom] = 1.0
        else:  # pragma: no cover - guarded by the public layer
            raise ValueError(f"estimator {est!r} does not take ordinal items")
        self.wmat = wmat
        self.sample_th = np.concatenate(ordinal.thresholds)[th_order]
        self.moments = np.concatenate([self.sample_th, self.s[self.vech]])
        #: each threshold's item (position in ``observed``)
        self.th_item = np.asarray(
            [j for j, k in enumerate(perm) for _ in th_blocks[k]], dtype=np.intp
        )
        # where the thresholds (and the scale factors Δ of a multigroup fit) sit in θ;
        # reset by the caller when several groups share a parameter vector
        self.th_index = np.arange(self.ram.n_free, self.ram.n_free + n_th, dtype=np.intp)
        self.delta_index: NDArray[np.intp] | None = None
        self.n_total = self.ram.n_free + n_th
        self.diag_moments = diag_mom
        #: the ordinal items' unit diagonal (weight 1, no sampling variance)
        self.unit_moments = unit_mom

    def moment_jacobian(self, theta: FloatArray) -> FloatArray:
        """Δ = ∂(model moments)/∂θ' (moments × free parameters), ordinal layout."""
        sigma, mu, cache = self.sigma(theta)
        d, dmu = self.dsigma(theta, cache)
        return self._ordinal_model(theta, sigma, mu, d, dmu)[1]

    def _ordinal_model(
        self,
        theta: FloatArray,
        sigma: FloatArray,
        mu: FloatArray,
        d: FloatArray | None,
        dmu: FloatArray | None,
    ) -> tuple[FloatArray, FloatArray]:
        """Model moments (thresholds, vech Σ*) and, when ``d`` is given, their Jacobian.

        Delta parameterisation: ``τ*_jk = Δ_j (τ_jk − μ_j)`` and ``Σ* = D Σ D`` with
        ``D = diag(Δ)``, ``μ`` the latent responses' implied means (zero unless latent
        means are free) and ``Δ`` the scale factors (1 unless free in a later group).
        """
        vi, vj = self.vech
        n_th = self.n_thresholds
        item = self.th_item
        scale = np.ones(self.p)
        has = np.zeros(self.p, dtype=bool)
        if self.delta_index is not None:
            has = self.delta_index >= 0
            scale[has] = theta[self.delta_index[has]]
        # with a mean structure a continuous item's mean is its implied mean μ_j (its
        # intercept and the latent means), not a parameter of its own
        means = self.th_mean_rows if self.meanstructure else np.zeros(n_th, dtype=bool)
        own = ~means
        tau = np.zeros(n_th)
        tau[own] = theta[self.th_index[own]]
        centred = tau - (mu[item] if self.meanstructure else 0.0)
        th_model = scale[item] * centred
        th_model[means] = mu[item[means]]
        model = np.concatenate([th_model, (sigma * np.outer(scale, scale))[vi, vj]])
        if d is None:
            return model, np.empty((0, 0))
        jac = np.zeros((model.size, self.n_total))
        rows = np.flatnonzero(own)
        jac[rows, self.th_index[rows]] += scale[item[rows]]
        pair = scale[vi] * scale[vj]
        jac[n_th:, : self.n_free] = d[:, vi, vj].T * pair[:, None]
        if self.meanstructure and dmu is not None:
            sign = np.where(means, 1.0, -scale[item])
            jac[:n_th, : self.n_free] = sign[:, None] * dmu[:, item].T
        if self.delta_index is not None:
            free_rows = rows[has[item[rows]]]
            jac[free_rows, self.delta_index[item[free_rows]]] += centred[free_rows]
            sij = sigma[vi, vj]
            k = np.arange(vi.size)
            on_i, on_j = has[vi], has[vj]
            np.add.at(jac, (n_th + k[on_i], self.delta_index[vi[on_i]]), (sij * scale[vj])[on_i])
            np.add.at(jac, (n_th + k[on_j], self.delta_index[vj[on_j]]), (sij * scale[vi])[on_j])
        return model, jac

    # -- moments ---------------------------------------------------------------------
    def _prepare_fiml(self) -> None:
        obs = ~np.isnan(self.x)
        patterns: dict[tuple[bool, ...], list[int]] = {}
        for r, row in enumerate(obs):
            patterns.setdefault(tuple(bool(v) for v in row), []).append(r)
        self.patterns = []
        #: per pattern, the respondents' sampling weights scaled to sum to N over the
        #: group (lavaan's sampling.weights); None without weights
        self.pattern_weights: list[FloatArray | None] = []
        w = self.weights_raw
        scaled = None if w is None else w * (self.n / float(np.sum(w)))
        for key, rows in patterns.items():
            idx = np.flatnonzero(np.array(key))
            if idx.size == 0:
                continue
            at = np.asarray(rows, dtype=np.intp)
            data = self.x[np.ix_(at, idx)]
            self.patterns.append((idx, data))
            self.pattern_weights.append(None if scaled is None else scaled[at])

    def s_ml(self) -> FloatArray:
        """The sample covariance matrix with divisor N."""
        if self.estimator in ("ML", "FIML"):
            return self.s
        return np.asarray(self.s * (self.n - 1) / self.n, dtype=np.float64)

    def free_count(self) -> int:
        return self.n_total if self.ordinal is not None else self.n_free

    def sigma(self, theta: FloatArray) -> tuple[FloatArray, FloatArray, Any]:
        """``(Σ, μ, cache)`` at ``theta`` (cache: what :meth:`dsigma` reuses)."""
        sigma, mu, b, c = self.ram.implied(theta, self.group)
        return sigma, mu, (b, c)

    def dsigma(self, theta: FloatArray, cache: Any) -> tuple[FloatArray, FloatArray]:
        """``(∂Σ/∂θ, ∂μ/∂θ)`` over the model's free parameters."""
        return self.ram.jacobian(theta, self.group, cache)

    # -- objective ---------------------------------------------------------------------
    def evaluate(self, theta: FloatArray, *, need: int = 2) -> tuple[float, FloatArray, FloatArray]:
        """``F`` (lavaan's fmin), its gradient and the expected-information Hessian."""
        try:
            sigma, mu, cache = self.sigma(theta)
        except np.linalg.LinAlgError:
            return np.inf, np.empty(0), np.empty((0, 0))
        if not np.all(np.isfinite(sigma)):
            return np.inf, np.empty(0), np.empty((0, 0))
        est = self.estimator
        if est == "FIML":
            return self._fiml(theta, sigma, mu, cache, need)
        if est == "ML":
            sign, logdet = np.linalg.slogdet(sigma)
            if sign <= 0:
                return np.inf, np.empty(0), np.empty((0, 0))
            inv = np.linalg.inv(sigma)
            f = 0.5 * (logdet + float(np.sum(self.s * inv)) - self.s_logdet - self.p)
            if self.meanstructure:
                dm = self.mean - mu
                f += 0.5 * float(dm @ inv @ dm)
            if not f > -1e-8:  # F_ML >= 0: a negative value is round-off on a singular Σ
                return np.inf, np.empty(0), np.empty((0, 0))
            if need == 0:
                return f, np.empty(0), np.empty((0, 0))
            d, dmu = self.dsigma(theta, cache)
            s_tot = self.s
            if self.meanstructure:
                s_tot = self.s + np.outer(dm, dm)
            a = inv - inv @ s_tot @ inv
            g = 0.5 * _trace_products(a, d)
            if self.meanstructure:
                g = g - dmu @ (inv @ dm)
            if need == 1:
                return f, g, np.empty((0, 0))
            h = 0.5 * _information(np.asarray(inv, dtype=np.float64), d)
            if self.meanstructure:
                h = h + dmu @ inv @ dmu.T
            return f, g, h
        if est == "GLS":
            r = (self.s - sigma) @ self.s_inv
            f = 0.25 * float(np.sum(r * r.T))
            if need == 0:
                return f, np.empty(0), np.empty((0, 0))
            d, _ = self.dsigma(theta, cache)
            a = self.s_inv @ (self.s - sigma) @ self.s_inv
            g = -0.5 * _trace_products(a, d)
            return f, g, 0.5 * _information(self.s_inv, d)
        if self.ordinal is not None:
            model, _ = self._ordinal_model(theta, sigma, mu, None, None)
            diff = self.moments - model
            f = 0.5 * float(diff @ self.wmat @ diff)
            if need == 0:
                return f, np.empty(0), np.empty((0, 0))
            d, dmu = self.dsigma(theta, cache)
            _, delta = self._ordinal_model(theta, sigma, mu, d, dmu)
            wd = self.wmat @ delta
            return f, -(wd.T @ diff), delta.T @ wd
        # ULS, WLS, DWLS on the non-duplicated moments
        diff = self.s[self.vech] - sigma[self.vech]
        if est == "ULS":
            f = 0.5 * float(diff @ diff)
        else:
            f = 0.5 * float(diff @ self.wmat @ diff)
        if need == 0:
            return f, np.empty(0), np.empty((0, 0))
        d, _ = self.dsigma(theta, cache)
        delta = d[:, self.vech[0], self.vech[1]].T  # moments x params
        wd = delta if est == "ULS" else self.wmat @ delta
        g = -(wd.T @ diff)
        h = delta.T @ wd
        return f, g, h

    def _fiml(
        self, theta: FloatArray, sigma: FloatArray, mu: FloatArray, cache: Any, need: int
    ) -> tuple[float, FloatArray, FloatArray]:
        total = 0.0
        q = self.n_free
        d, dmu = self.dsigma(theta, cache) if need else (None, None)
        g = np.zeros(q)
        h = np.zeros((q, q))
        for (idx, data), wp in zip(self.patterns, self.pattern_weights, strict=True):
            sub = sigma[np.ix_(idx, idx)]
            try:
                chol = np.linalg.cholesky(sub)
            except np.linalg.LinAlgError:
                return np.inf, np.empty(0), np.empty((0, 0))
            inv = np.linalg.inv(sub)
            logdet = 2.0 * float(np.log(np.diag(chol)).sum())
            dev = data - mu[idx]
            k, sp, dbar = pattern_moments(dev, wp)
            total += k * (logdet + float(np.sum(sp * inv)) + idx.size * np.log(2 * np.pi))
            if need:
                assert d is not None and dmu is not None
                ds = d[:, idx][:, :, idx]
                dm = dmu[:, idx]
                a = np.asarray(inv - inv @ sp @ inv, dtype=np.float64)
                g += k * _trace_products(a, ds)
                g += -2.0 * k * (dm @ (inv @ dbar))
                if need == 2:
                    h += k * _information(np.asarray(inv, dtype=np.float64), ds)
                    h += 2.0 * k * (dm @ inv @ dm.T)
        n = self.n
        # lavaan's fmin for FIML: -loglik / N (up to the saturated constant; see loglik)
        f = 0.5 * total / n
        return f, 0.5 * g / n, 0.5 * h / n

    def fiml_loglik(self, theta: FloatArray) -> float:
        f, _, _ = self.evaluate(theta, need=0)
        return -self.n * f


def pattern_moments(
    dev: FloatArray, weights: FloatArray | None
) -> tuple[float, FloatArray, FloatArray]:
    """``(size, mean of e e', mean of e)`` of one missing-data pattern's deviations
    (weighted: the size is the sum of the weights)."""
    if weights is None:
        k = float(dev.shape[0])
        return k, np.asarray(dev.T @ dev / k, dtype=np.float64), dev.mean(axis=0)
    k = float(np.sum(weights))
    wd = dev * weights[:, None]
    return k, np.asarray(wd.T @ dev / k, dtype=np.float64), wd.sum(axis=0) / k


def _trace_products(a: FloatArray, d: FloatArray) -> FloatArray:
    """``[tr(a d_k) for k]`` for a stack ``d`` of square matrices."""
    q = d.shape[0]
    return np.asarray(d.reshape(q, -1) @ a.T.reshape(-1), dtype=np.float64)


def _information(inv: FloatArray, d: FloatArray) -> FloatArray:
    """``[[tr(inv d_a inv d_b)]]``: the expected information kernel."""
    q = d.shape[0]
    b = np.matmul(inv, d)
    flat = b.reshape(q, -1)
    flat_t = b.transpose(0, 2, 1).reshape(q, -1)
    return np.asarray(flat @ flat_t.T, dtype=np.float64)


def optimise(
    frame: Any, x0: FloatArray, *, gtol: float = 1e-9, max_iter: int = 500
) -> tuple[FloatArray, int, bool, float, str]:
    """Fisher scoring with Levenberg–Marquardt damping; trust-constr as a fallback.

    Each step solves ``(H + λ diag H) δ = −g`` with ``H`` the expected information;
    ``λ`` shrinks tenfold after a successful step and grows tenfold after a failed one,
    so far from the optimum the steps are short gradient steps and near it they are
    full scoring steps. Stops when ``max|g| < gtol`` (``g`` the gradient of lavaan's
    ``F``), or when ``F`` no longer decreases and ``max|g| < 1000 gtol``.
    Returns ``(x, iterations, converged, max|gradient|, solver)``.
    """
    x = x0.copy()
    f, g, h = frame.evaluate(x)
    if not np.isfinite(f):
        for _ in range(20):
            x = _inflate_variances(frame, x)
            f, g, h = frame.evaluate(x)
            if np.isfinite(f):
                break
    if not np.isfinite(f):
        return x, 0, False, float("inf"), "scoring"
    it = 0
    damping = 1e-4
    stalled = 0
    for it in range(1, max_iter + 1):
        g_max = float(np.max(np.abs(g))) if g.size else 0.0
        if g_max < gtol:
            return x, it - 1, True, g_max, "scoring"
        cand = x - _solve(h, g, damping)
        fc, gc, hc = frame.evaluate(cand)
        if np.isfinite(fc) and fc <= f:
            change = f - fc
            x, f, g, h = cand, fc, gc, hc
            damping = max(damping / 10.0, 1e-12)
            if change <= 1e-15 * max(1.0, abs(f)):
                stalled += 1
                if stalled >= 3 and float(np.max(np.abs(g))) < 1e3 * gtol:
                    return x, it, True, float(np.max(np.abs(g))), "scoring"
            else:
                stalled = 0
        else:
            damping *= 10.0
            if damping > 1e12:
                break
    g_max = float(np.max(np.abs(g))) if g.size else 0.0
    if g_max < gtol:
        return x, it, True, g_max, "scoring"
    from scipy.optimize import minimize

    def fun(v: FloatArray) -> float:
        return float(frame.evaluate(v, need=0)[0])

    def jac(v: FloatArray) -> FloatArray:
        return np.asarray(frame.evaluate(v, need=1)[1], dtype=np.float64)

    def hess(v: FloatArray) -> FloatArray:
        return np.asarray(frame.evaluate(v, need=2)[2], dtype=np.float64)

    res = minimize(
        fun,
        x,
        jac=jac,
        hess=hess,
        method="trust-constr",
        options={"gtol": gtol, "xtol": 1e-14, "maxiter": 3000},
    )
    xr = np.asarray(res.x, dtype=np.float64)
    fr, gr, _ = frame.evaluate(xr, need=1)
    if np.isfinite(fr) and fr <= f:
        x, g = xr, gr
    g_max = float(np.max(np.abs(g))) if g.size else 0.0
    return x, it + int(res.nit), g_max < 1e3 * gtol, g_max, "scoring+trust-constr"


def _solve(h: FloatArray, g: FloatArray, damping: float) -> FloatArray:
    scale = np.sqrt(np.maximum(np.abs(np.diag(h)), 1e-300))
    hs = h / np.outer(scale, scale) + damping * np.eye(len(g))
    try:
        step = np.linalg.solve(hs, g / scale)
    except np.linalg.LinAlgError:
        step = np.linalg.lstsq(hs, g / scale, rcond=None)[0]
    return np.asarray(step / scale, dtype=np.float64)


def _inflate_variances(frame: Any, x: FloatArray) -> FloatArray:
    out = x.copy()
    for pos in frame.variance_positions:
        out[pos] = abs(out[pos]) * 2.0 + 0.05
    return out


class MultiFrame:
    """Several groups sharing one parameter vector: ``F = Σ_g (n_g / N) F_g`` (lavaan)."""

    def __init__(self, frames: list[ModelFrame]) -> None:
        self.frames = frames
        self.n = sum(f.n for f in frames)
        self.share = np.array([f.n_w / self.n for f in frames])
        self.n_free = frames[0].n_free
        self.n_moments = sum(f.n_moments for f in frames)
        self.estimator = frames[0].estimator
        self.variance_positions = sorted({p for f in frames for p in f.variance_positions})
        self.ordinal = frames[0].ordinal
        self.n_total = frames[0].free_count()

    def free_count(self) -> int:
        return self.n_total

    def evaluate(self, theta: FloatArray, *, need: int = 2) -> tuple[float, FloatArray, FloatArray]:
        total = 0.0
        g = np.zeros(self.n_total)
        h = np.zeros((self.n_total, self.n_total))
        for w, frame in zip(self.share, self.frames, strict=True):
            f, gg, hh = frame.evaluate(theta, need=need)
            if not np.isfinite(f):
                return np.inf, np.empty(0), np.empty((0, 0))
            total += w * f
            if need >= 1:
                g += w * gg
            if need >= 2:
                h += w * hh
        return total, g, h


def saturated_em(
    x: FloatArray,
    *,
    weights: FloatArray | None = None,
    tol: float = 1e-12,
    max_iter: int = 10_000,
) -> tuple[FloatArray, FloatArray, float]:
    """ML means and covariance of incomplete normal data by EM (lavaan's h1 for FIML).

    Iterates until the largest change of a mean or covariance is below ``tol``
    (lavaan's rule, whose default ``em.h1.tol`` is 1e-5). Returns ``(mean, covariance,
    fmin)`` with ``fmin = −logL / N`` on the scale of :meth:`ModelFrame.evaluate` for
    FIML.
    """
    n, p = x.shape
    miss = np.isnan(x)
    wv = np.ones(n) if weights is None else weights * (n / float(np.sum(weights)))
    mu = np.nanmean(x, axis=0)
    filled = np.where(miss, mu, x)
    sigma = np.cov(filled, rowvar=False, bias=True) + np.diag(np.full(p, 1e-8))
    patterns: dict[tuple[bool, ...], list[int]] = {}
    for r, row in enumerate(miss):
        patterns.setdefault(tuple(bool(v) for v in row), []).append(r)
    groups = [(np.array(k), np.array(v)) for k, v in patterns.items()]
    for _ in range(max_iter):
        t1 = np.zeros(p)
        t2 = np.zeros((p, p))
        for m_mask, rows in groups:
            o = np.flatnonzero(~m_mask)
            m = np.flatnonzero(m_mask)
            wr = wv[rows]
            xo = x[np.ix_(rows, o)]
            full = np.empty((rows.size, p))
            full[:, o] = xo
            extra = np.zeros((p, p))
            if m.size:
                inv = np.linalg.inv(sigma[np.ix_(o, o)])
                reg = sigma[np.ix_(m, o)] @ inv
                full[:, m] = mu[m] + (xo - mu[o]) @ reg.T
                extra[np.ix_(m, m)] = sigma[np.ix_(m, m)] - reg @ sigma[np.ix_(o, m)]
            t1 += wr @ full
            t2 += (full * wr[:, None]).T @ full + float(wr.sum()) * extra
        new_mu = t1 / n
        new_sigma = t2 / n - np.outer(new_mu, new_mu)
        change = max(float(np.max(np.abs(new_mu - mu))), float(np.max(np.abs(new_sigma - sigma))))
        mu, sigma = new_mu, new_sigma
        if change < tol:
            break
    f = _incomplete_fmin(groups, x, wv, mu, sigma)
    return mu, sigma, f


def _incomplete_fmin(
    groups: list[tuple[NDArray[np.bool_], NDArray[np.intp]]],
    x: FloatArray,
    wv: FloatArray,
    mu: FloatArray,
    sigma: FloatArray,
) -> float:
    """``−logL / N`` of incomplete normal data at ``(μ, Σ)`` (weights ``wv`` summing to N)."""
    ll = 0.0
    for m_mask, rows in groups:
        o = np.flatnonzero(~m_mask)
        if o.size == 0:
            continue
        wr = wv[rows]
        xo = x[np.ix_(rows, o)]
        soo = sigma[np.ix_(o, o)]
        dev = xo - mu[o]
        ll += -0.5 * (
            float(wr.sum()) * (o.size * math.log(2 * math.pi) + np.linalg.slogdet(soo)[1])
            + float(wr @ np.sum((dev @ np.linalg.inv(soo)) * dev, axis=1))
        )
    return float(-ll / x.shape[0])


def observed_information(frame: Any, x: FloatArray) -> FloatArray:
    """Hessian of ``F`` by central differences of the analytic gradient (symmetrised).

    lavaan's default information for FIML is the observed one.
    """
    k = x.size
    hess = np.empty((k, k))
    for j in range(k):
        step = 1e-5 * max(1.0, abs(x[j]))
        up = x.copy()
        up[j] += step
        down = x.copy()
        down[j] -= step
        hess[:, j] = (frame.evaluate(up, need=1)[1] - frame.evaluate(down, need=1)[1]) / (2 * step)
    return np.asarray(0.5 * (hess + hess.T), dtype=np.float64)
