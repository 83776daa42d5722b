"""The model algebra of CB-SEM: RAM matrices from a parameter table, Σ(θ), μ(θ) and their
derivatives (csimodels' own; no semopy).

Every variable (observed first, then latent) is a node. ``A`` holds the directed
effects (``A[x, f] = λ`` for ``f =~ x``, ``A[y, x] = β`` for ``y ~ x``), ``S`` the
(residual) variances and covariances, ``M`` the intercepts and means. With
``B = (I − A)⁻¹`` and the filter ``F = [I_p 0]``::

    Σ = F B S B' F'          μ = F B M

and, for an entry ``(i, j)`` of ``A``, ``∂Σ = (FB)_{·i} (C F')_{j·} + transpose`` with
``C = B S B'``; for ``S``, ``(FB)_{·i}(FB)_{·j}' + transpose`` (once on the diagonal);
``∂μ = (FB)_{·i} (BM)_j`` for ``A`` and ``(FB)_{·i}`` for ``M``. A free parameter that
several entries share (labels, ``group_equal``) is the sum of their derivatives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from csimodels.sem._cbsem_partable import ParRow, ParTable

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


@dataclass
class _Locations:
    rows: IntArray
    cols: IntArray
    par: IntArray  # 0-based free index


@dataclass
class _Group:
    a: FloatArray
    s: FloatArray
    m: FloatArray
    a_free: _Locations
    s_free: _Locations
    m_free: _Locations


def _locations(entries: list[tuple[int, int, int]]) -> _Locations:
    if not entries:
        empty = np.zeros(0, dtype=np.intp)
        return _Locations(empty, empty.copy(), empty.copy())
    arr = np.asarray(entries, dtype=np.intp)
    return _Locations(arr[:, 0], arr[:, 1], arr[:, 2])


class RamModel:
    """Σ(θ), μ(θ) and ∂Σ/∂θ, ∂μ/∂θ of every group of a :class:`ParTable`."""

    def __init__(self, table: ParTable) -> None:
        self.table = table
        self.observed = list(table.observed)
        self.latent = list(table.latent)
        self.variables = self.observed + self.latent
        self.p = len(self.observed)
        self.m = len(self.variables)
        self.n_free = table.n_free
        self.meanstructure = table.meanstructure
        pos = {v: i for i, v in enumerate(self.variables)}
        self.position = pos
        self.groups: list[_Group] = []
        for g in range(1, table.n_groups + 1):
            a = np.zeros((self.m, self.m))
            s = np.zeros((self.m, self.m))
            mv = np.zeros(self.m)
            af: list[tuple[int, int, int]] = []
            sf: list[tuple[int, int, int]] = []
            mf: list[tuple[int, int, int]] = []
            for row in table.rows:
                if row.group != g:
                    continue
                if row.op == "=~":
                    i, j = pos[row.rhs], pos[row.lhs]
                    target, store = a, af
                elif row.op == "~":
                    i, j = pos[row.lhs], pos[row.rhs]
                    target, store = a, af
                elif row.op == "~~":
                    i, j = pos[row.lhs], pos[row.rhs]
                    target, store = s, sf
                else:
                    i, j = pos[row.lhs], 0
                    if row.free:
                        mf.append((i, 0, row.free - 1))
                    else:
                        mv[i] = row.value
                    continue
                if row.free:
                    store.append((i, j, row.free - 1))
                else:
                    target[i, j] = row.value
                    if target is s:
                        s[j, i] = row.value
            self.groups.append(_Group(a, s, mv, _locations(af), _locations(sf), _locations(mf)))

    def matrices(
        self, theta: FloatArray, group: int = 0
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """``(A, S, M)`` of ``group`` (0-based) at ``theta``."""
        gr = self.groups[group]
        a = gr.a.copy()
        s = gr.s.copy()
        m = gr.m.copy()
        t = theta[: self.n_free]
        a[gr.a_free.rows, gr.a_free.cols] = t[gr.a_free.par]
        s[gr.s_free.rows, gr.s_free.cols] = t[gr.s_free.par]
        s[gr.s_free.cols, gr.s_free.rows] = t[gr.s_free.par]
        m[gr.m_free.rows] = t[gr.m_free.par]
        return a, s, m

    def implied(
        self, theta: FloatArray, group: int = 0
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """``(Σ, μ, B, C)``: implied moments of the observed variables, ``(I − A)⁻¹``
        and the implied covariance ``C = B S B'`` of every variable."""
        a, s, m = self.matrices(theta, group)
        b = np.linalg.inv(np.eye(self.m) - a)
        c = b @ s @ b.T
        p = self.p
        sigma = np.asarray(c[:p, :p], dtype=np.float64)
        mu = np.asarray((b @ m)[:p], dtype=np.float64)
        return sigma, mu, np.asarray(b, dtype=np.float64), np.asarray(c, dtype=np.float64)

    def jacobian(
        self, theta: FloatArray, group: int = 0, cache: tuple[FloatArray, FloatArray] | None = None
    ) -> tuple[FloatArray, FloatArray]:
        """``(∂Σ/∂θ, ∂μ/∂θ)``: arrays of shape (q, p, p) and (q, p) for ``group``."""
        gr = self.groups[group]
        p, q = self.p, self.n_free
        if cache is None:
            _, _, b, c = self.implied(theta, group)
        else:
            b, c = cache
        fb = b[:p, :]  # p x m
        dsig = np.zeros((q, p, p))
        dmu = np.zeros((q, p))
        loc = gr.a_free
        if loc.par.size:
            t = fb[:, loc.rows].T[:, :, None] * c[loc.cols, :p][:, None, :]
            np.add.at(dsig, loc.par, t + t.transpose(0, 2, 1))
            if self.meanstructure:
                _, _, mvec = self.matrices(theta, group)
                bm = b @ mvec
                np.add.at(dmu, loc.par, fb[:, loc.rows].T * bm[loc.cols][:, None])
        loc = gr.s_free
        if loc.par.size:
            u = fb[:, loc.rows].T
            v = fb[:, loc.cols].T
            t = u[:, :, None] * v[:, None, :]
            sym = t + t.transpose(0, 2, 1)
            diag = loc.rows == loc.cols
            sym[diag] = t[diag]
            np.add.at(dsig, loc.par, sym)
        loc = gr.m_free
        if loc.par.size:
            np.add.at(dmu, loc.par, fb[:, loc.rows].T)
        return dsig, dmu


def start_values(ram: RamModel, covs: list[FloatArray], means: list[FloatArray]) -> FloatArray:
    """Composite-based starting values (close to the solution for CSI-type models).

    Per group and construct, the first principal component of its indicators'
    correlation matrix gives loadings (scaled so that a fixed loading keeps its value)
    and the latent variance; composites weighted to estimate the latent variables give
    the latent covariances, hence regression paths (least squares) and residual
    variances; indicator residual variances are what the loadings leave of the
    observed variance (at least 10% of it); residual covariances start at zero;
    intercepts at the sample means. User ``start()`` values win. A parameter shared by
    several groups starts at the mean of its group values.
    """
    table = ram.table
    q = ram.n_free
    total = np.zeros(q)
    count = np.zeros(q)
    p = ram.p
    obs_pos = {v: i for i, v in enumerate(ram.observed)}
    for g in range(table.n_groups):
        s = covs[g]
        rows = [r for r in table.rows if r.group == g + 1]
        values: dict[tuple[str, str, str], float] = {}
        lat_var: dict[str, float] = {}
        weights: dict[str, FloatArray] = {}
        for f in ram.latent:
            loads = [r for r in rows if r.op == "=~" and r.lhs == f]
            items = [r for r in loads if r.rhs in obs_pos]
            if not items:
                for r in loads:
                    values[(r.lhs, r.op, r.rhs)] = (
                        1.0 if r.free == 0 else (r.value if r.free == 0 else 1.0)
                    )
                lat_var[f] = 0.05
                continue
            idx = [obs_pos[r.rhs] for r in items]
            block = s[np.ix_(idx, idx)]
            sd = np.sqrt(np.maximum(np.diag(block), 1e-12))
            corr = block / np.outer(sd, sd)
            vals, vecs = np.linalg.eigh(corr)
            u = vecs[:, -1] * math.sqrt(max(vals[-1], 1e-8))
            if u.sum() < 0:
                u = -u
            raw = u * sd
            fixed = [k for k, r in enumerate(items) if r.free == 0]
            scale = 1.0
            if fixed:
                k = fixed[0]
                target = items[k].value
                if abs(raw[k]) > 1e-8 and target != 0:
                    scale = target / raw[k]
            else:
                var_row = next(
                    (r for r in rows if r.op == "~~" and r.lhs == f and r.rhs == f), None
                )
                if var_row is not None and var_row.free == 0 and var_row.value > 0:
                    scale = 1.0 / math.sqrt(var_row.value)
            for k, r in enumerate(items):
                values[(r.lhs, r.op, r.rhs)] = float(raw[k] * scale)
            lat_var[f] = 1.0 / scale**2
            w = np.zeros(p)
            lam = raw * scale
            wv = u / sd
            denom = float(wv @ lam)
            if abs(denom) > 1e-12:
                w[idx] = wv / denom
            weights[f] = w
        lat = ram.latent
        k = len(lat)
        phi = np.eye(k)
        for i, a in enumerate(lat):
            phi[i, i] = lat_var[a]
            for j, b in enumerate(lat):
                if i != j and a in weights and b in weights:
                    phi[i, j] = float(weights[a] @ s @ weights[b])
        for _ in range(20):
            if k == 0 or np.linalg.eigvalsh(phi)[0] > 1e-6 * np.max(np.diag(phi)):
                break
            d = np.diag(phi).copy()
            phi *= 0.9
            np.fill_diagonal(phi, d)
        lpos = {v: i for i, v in enumerate(lat)}
        resid_var: dict[str, float] = {}
        for y in lat:
            preds = [r.rhs for r in rows if r.op == "~" and r.lhs == y and r.rhs in lpos]
            if preds:
                pi = [lpos[name] for name in preds]
                coef = np.linalg.solve(phi[np.ix_(pi, pi)], phi[pi, lpos[y]])
                for name, bv in zip(preds, coef, strict=True):
                    values[(y, "~", name)] = float(bv)
                resid = phi[lpos[y], lpos[y]] - float(coef @ phi[pi, lpos[y]])
                resid_var[y] = max(resid, 0.1 * phi[lpos[y], lpos[y]])
            else:
                resid_var[y] = phi[lpos[y], lpos[y]]
        # implied indicator variance from the loadings
        implied = np.zeros(p)
        for f in lat:
            for r in rows:
                if r.op == "=~" and r.lhs == f and r.rhs in obs_pos:
                    lam_v = values.get((r.lhs, r.op, r.rhs), r.value)
                    implied[obs_pos[r.rhs]] += lam_v**2 * phi[lpos[f], lpos[f]]
        mean = means[g]
        for r in rows:
            key = (r.lhs, r.op, r.rhs)
            if not r.free:
                continue
            if not math.isnan(r.value) and r.user:
                v = r.value
            elif key in values:
                v = values[key]
            elif r.op == "~~" and r.lhs == r.rhs:
                if r.lhs in obs_pos:
                    kk = obs_pos[r.lhs]
                    v = max(s[kk, kk] - implied[kk], 0.1 * s[kk, kk])
                else:
                    v = resid_var.get(r.lhs, 0.05)
            elif r.op == "~~":
                if (
                    r.lhs in lpos
                    and r.rhs in lpos
                    and r.lhs not in _endogenous(rows)
                    and r.rhs not in _endogenous(rows)
                ):
                    v = float(phi[lpos[r.lhs], lpos[r.rhs]])
                else:
                    v = 0.0
            elif r.op == "~1":
                v = float(mean[obs_pos[r.lhs]]) if r.lhs in obs_pos else 0.0
            elif r.op == "=~":
                v = 1.0
            else:
                v = 0.0
            if math.isfinite(v):
                total[r.free - 1] += v
                count[r.free - 1] += 1
    return np.asarray(np.where(count > 0, total / np.maximum(count, 1), 0.0), dtype=np.float64)


def _endogenous(rows: list[ParRow]) -> set[str]:
    return {r.lhs for r in rows if r.op == "~"}
