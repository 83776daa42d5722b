"""The covariance-based SEM engine: semopy's model algebra, csimodels' objectives and solver.

semopy parses the model description and builds the RAM-style matrices (Beta, Lambda,
Psi, Theta), their starting values and the derivatives of the implied covariance
matrix Σ(θ) with respect to every free parameter. Everything numerical that decides
the answer is here, on lavaan's scale so that results can be compared with it:

* the sample moments (ML: covariance with divisor N; GLS/ULS/WLS/DWLS: divisor N − 1,
  as lavaan; respondent weights give weighted moments);
* the discrepancy functions ``F`` with lavaan's normalisation (χ² = 2 N F);
* the optimiser: Fisher scoring (Gauss–Newton with the expected information as the
  Hessian; for ML this is the scoring method of LISREL/lavaan's ``"expected"``
  information) with a backtracking line search, started from semopy's data-based
  values, polished until the largest absolute gradient component is below ``gtol``;
  scipy's ``trust-constr`` takes over from the best point if scoring stalls;
* standard errors from the expected information, χ² and the baseline model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from csimodels.sem._cbsem_ordinal import OrdinalMoments

FloatArray = NDArray[np.float64]


def n_th_all(ordinal: OrdinalMoments) -> int:
    """Number of thresholds of every item (the offset of the polychorics in Γ)."""
    return ordinal.n_thresholds


ESTIMATORS = ("ML", "GLS", "ULS", "WLS", "DWLS", "WLSMV", "FIML")


@dataclass
class Parameter:
    """One entry of the parameter table (free or fixed)."""

    lhs: str
    op: str
    rhs: str
    free: int  # 0 fixed, else 1-based position in the free vector
    value: float


@dataclass
class Estimate:
    """What the engine hands back to the public layer."""

    observed: list[str]
    latent: list[str]
    params: list[Parameter]
    x: FloatArray
    vcov: FloatArray
    sigma: FloatArray
    sample_cov: FloatArray
    latent_cov: FloatArray
    beta: FloatArray
    lam: FloatArray
    psi: FloatArray
    theta: FloatArray
    inner: list[str]
    fmin: float
    n: int
    iterations: int
    converged: bool
    max_gradient: float
    solver: str
    baseline_fmin: float
    baseline_df: int
    n_moments: int
    loglik: float
    baseline_loglik: float
    means: FloatArray
    flatness: float = float("nan")
    messages: list[str] = field(default_factory=list)


class ModelFrame:
    """A semopy model bound to data moments, with objective, gradient and information."""

    def __init__(
        self,
        syntax: str,
        x: FloatArray,
        columns: list[str],
        estimator: str,
        weights: FloatArray | None,
        ordinal: OrdinalMoments | None = None,
    ) -> None:
        import semopy

        if estimator == "WLSMV":
            estimator = "DWLS"  # same estimates; robust SEs and test in the public layer
        self.estimator = estimator
        self.ordinal = ordinal
        self.model = semopy.Model(syntax)
        observed = list(self.model.vars["observed"])
        self.observed = observed
        order = [columns.index(c) for c in observed]
        xo = x[:, order]
        self.x = xo
        self.n = int(xo.shape[0])
        n = self.n
        if weights is None:
            w = np.full(n, 1.0 / n)
        else:
            w = weights / weights.sum()
        self.w = w
        complete: NDArray[np.bool_] = np.asarray(~np.isnan(xo).any(axis=1), dtype=bool)
        if estimator == "FIML":
            # starting moments from complete-ish data (pairwise)
            mean = np.nanmean(xo, axis=0)
            filled = np.where(np.isnan(xo), mean, xo)
            s = np.cov(filled, rowvar=False, bias=True)
        else:
            mean = w @ xo
            dev = xo - mean
            s = (dev * w[:, None]).T @ dev
            if estimator != "ML":
                s = s * n / (n - 1)
        if ordinal is not None:  # the moments are the polychorics (and thresholds)
            mean = np.zeros(len(observed))
            pos = [ordinal.items.index(c) for c in observed]
            s = ordinal.correlation[np.ix_(pos, pos)]
        self.mean = mean
        s = np.atleast_2d(s)
        self.s = s
        frame = pd.DataFrame(
            np.where(complete[:, None], xo, np.nan) if estimator != "FIML" else xo,
            columns=pd.Index(observed),
        )
        cov_frame = pd.DataFrame(s, index=pd.Index(observed), columns=pd.Index(observed))
        self.model.load(data=frame, cov=cov_frame)
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
        self.n_free = len(self.model.param_vals)
        self.n_moments = p * (p + 1) // 2 + (p if estimator == "FIML" else 0)
        if ordinal is not None:
            self.n_moments += self.n_thresholds

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
        src = np.concatenate(
            [th_order, np.where(vi == vj, -1, n_th_all(ordinal) + pair_pos[pa, pb])]
        )
        total = n_th + m
        gamma = np.zeros((total, total))
        ok = np.flatnonzero(src >= 0)
        gamma[np.ix_(ok, ok)] = ordinal.gamma[np.ix_(src[ok], src[ok])]
        self.gamma = gamma
        diag_mom = n_th + np.flatnonzero(vi == vj)
        est = self.estimator
        if est == "ULS":
            wmat = np.eye(total)
        elif est == "DWLS":
            d = np.diag(gamma).copy()
            d[diag_mom] = 1.0
            wmat = np.diag(1.0 / d)
        elif est == "WLS":
            wmat = np.zeros((total, total))
            wmat[np.ix_(ok, ok)] = np.linalg.inv(gamma[np.ix_(ok, ok)])
            wmat[diag_mom, diag_mom] = 1.0
        else:  # pragma: no cover - guarded by the public layer
            raise ValueError(f"estimator {est!r} does not take ordinal items")
        self.wmat = wmat
        self.sample_th = np.concatenate(ordinal.thresholds)[th_order]
        self.moments = np.concatenate([self.sample_th, self.s[self.vech]])
        self.diag_moments = diag_mom

    def moment_jacobian(self, theta: FloatArray) -> FloatArray:
        """Δ = ∂(model moments)/∂θ' (moments × free parameters), ordinal layout."""
        _, m, c = self.sigma(theta)
        return self._ordinal_delta(self.dsigma(m, c))

    def _ordinal_delta(self, d: FloatArray) -> FloatArray:
        dsig = d[:, self.vech[0], self.vech[1]].T
        n_th = self.n_thresholds
        delta = np.zeros((n_th + dsig.shape[0], self.n_free + n_th))
        delta[:n_th, self.n_free :] = np.eye(n_th)
        delta[n_th:, : self.n_free] = dsig
        return delta

    # -- moments ---------------------------------------------------------------------
    def _prepare_fiml(self) -> None:
        obs = ~np.isnan(self.x)
        patterns: dict[tuple[bool, ...], list[int]] = {}
        for r, row in enumerate(obs):
            patterns.setdefault(tuple(bool(v) for v in row), []).append(r)
        self.patterns = []
        for key, rows in patterns.items():
            idx = np.flatnonzero(np.array(key))
            if idx.size == 0:
                continue
            data = self.x[np.ix_(np.asarray(rows, dtype=np.intp), idx)]
            self.patterns.append((idx, data))

    def free_count(self) -> int:
        extra = self.p if self.estimator == "FIML" else 0
        if self.ordinal is not None:
            extra = self.n_thresholds
        return self.n_free + extra

    def start(self) -> FloatArray:
        x0 = np.asarray(self.model.param_vals, dtype=np.float64).copy()
        if self.estimator == "FIML":
            x0 = np.concatenate([x0, self.mean])
        if self.ordinal is not None:
            x0 = np.concatenate([x0, self.sample_th])
        return x0

    def sigma(self, theta: FloatArray) -> tuple[FloatArray, Any, Any]:
        self.model.update_matrices(theta[: self.n_free])
        sigma, (m, c) = self.model.calc_sigma()
        return np.asarray(sigma, dtype=np.float64), m, c

    def dsigma(self, m: Any, c: Any) -> FloatArray:
        grads = self.model.calc_sigma_grad(m, c)
        if not grads:
            return np.zeros((0, self.p, self.p))
        return np.asarray(np.stack([np.asarray(g, dtype=np.float64) for g in grads]))

    # -- objective ---------------------------------------------------------------------
    def evaluate(self, theta: FloatArray, *, need: int = 2) -> tuple[float, FloatArray, FloatArray]:
        """``F`` (lavaan's fmin), its gradient and the expected-information Hessian."""
        try:
            sigma, m, c = self.sigma(theta)
        except np.linalg.LinAlgError:
            return np.inf, np.empty(0), np.empty((0, 0))
        if not np.all(np.isfinite(sigma)):
            return np.inf, np.empty(0), np.empty((0, 0))
        est = self.estimator
        if est == "FIML":
            return self._fiml(theta, sigma, m, c, need)
        if est == "ML":
            sign, logdet = np.linalg.slogdet(sigma)
            if sign <= 0:
                return np.inf, np.empty(0), np.empty((0, 0))
            inv = np.linalg.inv(sigma)
            f = 0.5 * (logdet + float(np.sum(self.s * inv)) - self.s_logdet - self.p)
            if not f > -1e-8:  # F_ML >= 0: a negative value is round-off on a singular Σ
                return np.inf, np.empty(0), np.empty((0, 0))
            if need == 0:
                return f, np.empty(0), np.empty((0, 0))
            d = self.dsigma(m, c)
            a = inv - inv @ self.s @ inv
            g = 0.5 * _trace_products(a, d)
            if need == 1:
                return f, g, np.empty((0, 0))
            return f, g, 0.5 * _information(np.asarray(inv, dtype=np.float64), d)
        if est == "GLS":
            r = (self.s - sigma) @ self.s_inv
            f = 0.25 * float(np.sum(r * r.T))
            if need == 0:
                return f, np.empty(0), np.empty((0, 0))
            d = self.dsigma(m, c)
            a = self.s_inv @ (self.s - sigma) @ self.s_inv
            g = -0.5 * _trace_products(a, d)
            return f, g, 0.5 * _information(self.s_inv, d)
        if self.ordinal is not None:
            model = np.concatenate([theta[self.n_free :], sigma[self.vech]])
            diff = self.moments - model
            f = 0.5 * float(diff @ self.wmat @ diff)
            if need == 0:
                return f, np.empty(0), np.empty((0, 0))
            delta = self._ordinal_delta(self.dsigma(m, c))
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
        d = self.dsigma(m, c)
        delta = d[:, self.vech[0], self.vech[1]].T  # moments x params
        wd = delta if est == "ULS" else self.wmat @ delta
        g = -(wd.T @ diff)
        h = delta.T @ wd
        return f, g, h

    def _fiml(
        self, theta: FloatArray, sigma: FloatArray, m: Any, c: Any, need: int
    ) -> tuple[float, FloatArray, FloatArray]:
        mu = theta[self.n_free :]
        total = 0.0
        q = self.n_free
        d = self.dsigma(m, c) if need else None
        g = np.zeros(q + self.p)
        h = np.zeros((q + self.p, q + self.p))
        for idx, data in self.patterns:
            sub = sigma[np.ix_(idx, idx)]
            try:
                chol = np.linalg.cholesky(sub)
            except np.linalg.LinAlgError:
                return np.inf, np.empty(0), np.empty((0, 0))
            inv = np.linalg.inv(sub)
            logdet = 2.0 * float(np.log(np.diag(chol)).sum())
            dev = data - mu[idx]
            k = data.shape[0]
            sp = dev.T @ dev / k
            total += k * (logdet + float(np.sum(sp * inv)) + idx.size * np.log(2 * np.pi))
            if need:
                assert d is not None
                ds = d[:, idx][:, :, idx]
                a = inv - inv @ sp @ inv
                g[:q] += k * _trace_products(a, ds)
                g[q + idx] += -2.0 * k * (inv @ dev.mean(axis=0))
                if need == 2:
                    h[:q, :q] += k * _information(np.asarray(inv, dtype=np.float64), ds)
                    h[np.ix_(q + idx, q + idx)] += 2.0 * k * inv
        n = self.n
        # lavaan's fmin for FIML: -loglik / N (up to the saturated constant; see loglik)
        f = 0.5 * total / n
        return f, 0.5 * g / n, 0.5 * h / n

    def fiml_loglik(self, theta: FloatArray) -> float:
        f, _, _ = self.evaluate(theta, need=0)
        return -self.n * f


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
    frame: ModelFrame, x0: FloatArray, *, gtol: float = 1e-9, max_iter: int = 500
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
        return frame.evaluate(v, need=0)[0]

    def jac(v: FloatArray) -> FloatArray:
        return frame.evaluate(v, need=1)[1]

    def hess(v: FloatArray) -> FloatArray:
        return frame.evaluate(v, need=2)[2]

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


def _inflate_variances(frame: ModelFrame, x: FloatArray) -> FloatArray:
    out = x.copy()
    active = [v for v in frame.model.parameters.values() if v.active]
    for pos, param in enumerate(active):
        loc = param.locations[0]
        if loc.symmetric and loc.indices[0] == loc.indices[1]:
            out[pos] = abs(out[pos]) * 2.0 + 0.05
    return out


_MATRIX_OPS = ("~", "=~", "~~", "~~")


def parameter_table(frame: ModelFrame, x: FloatArray) -> list[Parameter]:
    """Every parameter in lavaan's vocabulary (``=~``, ``~``, ``~~``), free and fixed.

    semopy keeps a loading as ``indicator ~ latent`` in Lambda; it is reported as
    ``latent =~ indicator`` here. Identity entries that semopy adds for observed
    variables in the structural part are not parameters and are left out.
    """
    model = frame.model
    frame.model.update_matrices(x[: frame.n_free])
    table: list[Parameter] = []
    position = 0
    for param in model.parameters.values():
        loc = param.locations[0]
        n = next(i for i in range(len(model.matrices)) if model.matrices[i] is loc.matrix)
        rows, cols = model.names[n]
        r, c = loc.indices
        row, col = rows[r], cols[c]
        if param.active:
            position += 1
            free = position
            value = float(x[position - 1])
        else:
            free = 0
            value = float(param.start)
        if n == 0:
            table.append(Parameter(row, "~", col, free, value))
        elif n == 1:
            table.append(Parameter(col, "=~", row, free, value))
        else:
            a, b = (row, col) if r <= c else (col, row)
            table.append(Parameter(a, "~~", b, free, value))
    return table


def start_values(frame: ModelFrame) -> FloatArray:
    """Composite-based starting values (close to the solution for CSI-type models).

    Per construct, the first principal component of its indicators' correlation
    matrix gives loadings (scaled so the fixed marker loading keeps its value) and the
    latent variance; composites weighted so that they estimate the latent variable
    give the latent covariances, hence regression paths (least squares) and residual
    variances; indicator residual variances are what the loadings leave of the
    observed variance (at least 10% of it); residual covariances start at zero.
    Parameters this cannot place keep semopy's data-based starting values.
    """
    model = frame.model
    s = frame.s
    x0 = frame.start()
    inner = list(model.names[0][0])
    obs_rows = list(model.names[1][0])
    q_inner = len(inner)
    params = [p for p in model.parameters.values()]
    mats = model.matrices

    def where(param: Any) -> tuple[int, int, int]:
        loc = param.locations[0]
        n = next(i for i in range(len(mats)) if mats[i] is loc.matrix)
        return n, int(loc.indices[0]), int(loc.indices[1])

    lam0 = np.zeros((len(obs_rows), q_inner))
    lam_free = np.zeros_like(lam0, dtype=bool)
    for param in params:
        n, r, c = where(param)
        if n == 1:
            lam_free[r, c] = True
            lam0[r, c] = param.start if not param.active else np.nan
    # identity rows semopy adds for observed variables in the structural part
    lam_fixed = np.asarray(mats[1], dtype=np.float64)
    comp_w = np.zeros((q_inner, len(obs_rows)))
    psi_diag = np.full(q_inner, np.nan)
    lam_start = lam0.copy()
    obs_index = [frame.observed.index(v) for v in obs_rows]
    for j in range(q_inner):
        rows = np.flatnonzero(lam_free[:, j])
        if rows.size == 0:
            ident = np.flatnonzero(lam_fixed[:, j] != 0)
            if ident.size == 1:
                k = obs_index[ident[0]]
                comp_w[j, ident[0]] = 1.0
                psi_diag[j] = s[k, k]
            continue
        idx = [obs_index[r] for r in rows]
        block = s[np.ix_(idx, idx)]
        sd = np.sqrt(np.diag(block))
        corr = block / np.outer(sd, sd)
        vals, vecs = np.linalg.eigh(corr)
        u = vecs[:, -1] * math.sqrt(max(vals[-1], 1e-8))
        if u.sum() < 0:
            u = -u
        raw = u * sd
        fixed = [k for k, r in enumerate(rows) if not np.isnan(lam0[r, j])]
        if fixed:
            k = fixed[0]
            target = lam0[rows[k], j]
            if abs(raw[k]) < 1e-8 or target == 0:
                continue
            scale = target / raw[k]
        else:
            scale = 1.0
        lam = raw * scale
        lam_start[rows, j] = lam
        psi_diag[j] = 1.0 / scale**2
        w = u / sd
        denom = float(w @ lam)
        if abs(denom) > 1e-12:
            comp_w[j, rows] = w / denom
    ok = ~np.isnan(psi_diag)
    s_rows = s[np.ix_(obs_index, obs_index)]
    phi = comp_w @ s_rows @ comp_w.T
    np.fill_diagonal(phi, np.where(ok, psi_diag, 1.0))
    # shrink to positive definite if needed
    for _ in range(20):
        if np.linalg.eigvalsh(phi)[0] > 1e-6 * np.max(np.diag(phi)):
            break
        d = np.diag(phi).copy()
        phi *= 0.9
        np.fill_diagonal(phi, d)
    beta = np.zeros((q_inner, q_inner))
    beta_free = np.zeros_like(beta, dtype=bool)
    for param in params:
        n, r, c = where(param)
        if n == 0 and param.active:
            beta_free[r, c] = True
    psi = np.zeros((q_inner, q_inner))
    for j in range(q_inner):
        preds = np.flatnonzero(beta_free[j])
        if preds.size and ok[j] and ok[preds].all():
            b = np.linalg.solve(phi[np.ix_(preds, preds)], phi[preds, j])
            beta[j, preds] = b
            resid = phi[j, j] - float(b @ phi[preds, j])
            psi[j, j] = max(resid, 0.1 * phi[j, j])
        else:
            psi[j, j] = phi[j, j]
    exo = [j for j in range(q_inner) if not beta_free[j].any()]
    for ea in exo:
        for eb in exo:
            if ea != eb:
                psi[ea, eb] = phi[ea, eb]
    implied = lam_start_nan_safe(lam_start) @ phi @ lam_start_nan_safe(lam_start).T
    position = 0
    for param in params:
        if not param.active:
            continue
        n, r, c = where(param)
        value = float("nan")
        if n == 0:
            value = beta[r, c]
        elif n == 1:
            value = lam_start[r, c]
        elif n == 2:
            value = psi[r, c] if ok[r] and ok[c] else float("nan")
        elif n == 3:
            if r == c:
                k = obs_index[r]
                value = max(s[k, k] - implied[r, r], 0.1 * s[k, k])
            else:
                value = 0.0
        if np.isfinite(value):
            x0[position] = value
        position += 1
    return x0


def lam_start_nan_safe(lam: FloatArray) -> FloatArray:
    """Loadings with unknown entries as zero."""
    return np.nan_to_num(lam, nan=0.0)


def saturated_em(
    x: FloatArray, *, tol: float = 1e-12, max_iter: int = 10_000
) -> tuple[FloatArray, FloatArray, float]:
    """ML means and covariance of incomplete normal data by EM (lavaan's h1 for FIML).

    Returns ``(mean, covariance, fmin)`` with ``fmin = −logL / N`` on the scale of
    :meth:`ModelFrame.evaluate` for FIML.
    """
    n, p = x.shape
    miss = np.isnan(x)
    mu = np.nanmean(x, axis=0)
    filled = np.where(miss, mu, x)
    sigma = np.cov(filled, rowvar=False, bias=True) + np.diag(np.full(p, 1e-8))
    patterns: dict[tuple[bool, ...], list[int]] = {}
    for r, row in enumerate(miss):
        patterns.setdefault(tuple(bool(v) for v in row), []).append(r)
    groups = [(np.array(k), np.array(v)) for k, v in patterns.items()]
    prev = np.inf
    f = np.inf
    for _ in range(max_iter):
        t1 = np.zeros(p)
        t2 = np.zeros((p, p))
        ll = 0.0
        for m_mask, rows in groups:
            o = np.flatnonzero(~m_mask)
            m = np.flatnonzero(m_mask)
            xo = x[np.ix_(rows, o)]
            soo = sigma[np.ix_(o, o)]
            inv = np.linalg.inv(soo)
            dev = xo - mu[o]
            ll += -0.5 * (
                rows.size * (o.size * math.log(2 * math.pi) + np.linalg.slogdet(soo)[1])
                + float(np.sum((dev @ inv) * dev))
            )
            full = np.empty((rows.size, p))
            full[:, o] = xo
            extra = np.zeros((p, p))
            if m.size:
                reg = sigma[np.ix_(m, o)] @ inv
                full[:, m] = mu[m] + dev @ reg.T
                extra[np.ix_(m, m)] = sigma[np.ix_(m, m)] - reg @ sigma[np.ix_(o, m)]
            t1 += full.sum(axis=0)
            t2 += full.T @ full + rows.size * extra
        f = -ll / n
        mu = t1 / n
        sigma = t2 / n - np.outer(mu, mu)
        if abs(prev - f) < tol:
            break
        prev = f
    return mu, sigma, f


def observed_information(frame: ModelFrame, x: FloatArray) -> FloatArray:
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
