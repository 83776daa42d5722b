"""Batched bootstrap of a CB-SEM fit (lavaan's ``se = "bootstrap"``).

Each draw resamples respondents with replacement and refits the model by Fisher
scoring, started at the full-sample estimates. For single-group ML/MLR fits the draws
of a chunk are fitted together: their sample covariance matrices, model matrices,
implied covariances, gradients and information matrices are stacked arrays, one
scoring step updates every draw at once (a draw that has converged stops moving).
Other fits loop over the draws with the ordinary engine; ordinal fits recompute
their thresholds, polychoric (polyserial) correlations and weight matrix from every
resample (a resample that loses an answer category fails). A draw whose fit does not
converge (or reaches an inadmissible point) is counted as failed and left out, as
lavaan does. With inequality constraints every draw solves the constrained problem
(the active-set solver from the draw's unconstrained minimum); a draw whose
constrained solve does not converge fails.

Each draw's respondents come from its own generator (``SeedSequence(seed).spawn``), so
the draws do not depend on ``chunk_size`` or ``n_jobs``; :func:`draw_indices` gives
the resample matrix, and :func:`refit_draws` fitted on a given matrix reproduces a
loop of single fits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from csimodels._lazy import lazy_module
from csimodels.sem import _cbsem_engine as engine
from csimodels.sem._cbsem_estimate import Estimation
from csimodels.sem._cbsem_tables import defined_values, row_values, standardized

stats = lazy_module("scipy.stats")

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]

__all__ = ["BootDraws", "draw_indices", "interval", "refit_draws"]


@dataclass
class BootDraws:
    """Bootstrap draws of the free parameters (failed draws are NaN rows)."""

    theta: FloatArray  # draws x q
    ok: NDArray[np.bool_]
    iterations: int


def draw_indices(
    seed: int, n_draws: int, n: int, start: int = 0, sizes: list[int] | None = None
) -> IntArray:
    """Respondent indices of draws ``start .. start + n_draws - 1`` (draws × n).

    With ``sizes`` (multigroup: the groups' sizes, rows stacked group by group) each
    group is resampled within itself (lavaan's stratified bootstrap)."""
    children = np.random.SeedSequence(seed).spawn(start + n_draws)[start:]
    out = np.empty((n_draws, n), dtype=np.intp)
    for k, child in enumerate(children):
        rng = np.random.default_rng(child)
        if sizes is None:
            out[k] = rng.integers(0, n, size=n)
        else:
            offset = 0
            for size in sizes:
                out[k, offset : offset + size] = offset + rng.integers(0, size, size=size)
                offset += size
    return out


def refit_draws(
    est: Estimation,
    indices: IntArray,
    *,
    gtol: float = 1e-6,
    sizes: list[int] | None = None,
) -> BootDraws:
    """Fit the model to each resample ``x[indices[b]]``.

    ``indices`` are positions in the groups' stacked rows; each row of ``indices``
    holds ``sizes[g]`` rows of group g in group order (default: the groups' sizes; a
    jackknife row has one fewer in one group).

    A draw has converged when the largest absolute gradient of F is below ``gtol``
    (1e-6: the draws' estimates are then exact to about 1e-6, far inside the Monte
    Carlo error of any bootstrap statistic; the full-sample fit uses 1e-9)."""
    frame = est.frames[0]
    batched = (
        len(est.frames) == 1
        and frame.estimator == "ML"
        and not frame.meanstructure
        and est.ordinal is None
        and frame.weights_raw is None
        and not est.table.inequalities
    )
    if batched:
        return _batched_ml(est, indices, gtol=gtol)
    return _loop(est, indices, gtol=gtol, sizes=sizes)


def _loop(
    est: Estimation, indices: IntArray, *, gtol: float, sizes: list[int] | None = None
) -> BootDraws:
    frame0 = est.frames[0]
    q = est.theta.size
    theta = np.full((indices.shape[0], q), np.nan)
    ok = np.zeros(indices.shape[0], dtype=bool)
    iters = 0
    # where each group's rows start in the stacked data, and in a row of ``indices``
    base = np.cumsum([0, *(fr.n for fr in est.frames)])
    offsets = np.cumsum([0, *(sizes or [fr.n for fr in est.frames])])
    x_all = np.vstack([fr.x for fr in est.frames])
    for b in range(indices.shape[0]):
        objective: engine.ModelFrame | engine.MultiFrame
        if est.ordinal is not None:
            # the two-step sample statistics are recomputed from every resample
            from csimodels.sem._cbsem_ordinal_groups import resample_objective

            rows = [indices[b][offsets[g] : offsets[g + 1]] for g in range(len(est.frames))]
            xs = [x_all[r] for r in rows]
            ws = [
                None if fr.weights_raw is None else fr.weights_raw[r - base[g]]
                for g, (fr, r) in enumerate(zip(est.frames, rows, strict=True))
            ]
            found = resample_objective(est, xs, ws)
            if found is None:
                continue
            objective = found
        elif len(est.frames) == 1:
            x = frame0.x[indices[b]]
            w = None if frame0.weights_raw is None else frame0.weights_raw[indices[b]]
            objective = engine.ModelFrame(
                est.ram, x, list(frame0.observed), est.estimator, w, est.ordinal, group=0
            )
        else:
            frames = []
            for g, fr in enumerate(est.frames):
                rows = indices[b][offsets[g] : offsets[g + 1]]
                w = None
                if fr.weights_raw is not None:
                    w = fr.weights_raw[rows - base[g]]
                frames.append(
                    engine.ModelFrame(
                        est.ram, x_all[rows], list(fr.observed), est.estimator, w, None, g
                    )
                )
            objective = engine.MultiFrame(frames)
        try:
            with np.errstate(all="ignore"):
                t, it, conv, g_max, solver = engine.optimise(objective, est.theta.copy(), gtol=gtol)
                if conv and est.table.inequalities:
                    # inequality constraints: the draw's own constrained minimum (the
                    # active-set solver from its unconstrained one, as a single fit)
                    from csimodels.sem._cbsem_constraints import fit_inequalities

                    notes: list[tuple[str, type[Warning]]] = []
                    t, _, _, extra, conv, _, _ = fit_inequalities(
                        objective, t, est.table, conv, g_max, solver, notes
                    )
                    it += extra
        except (np.linalg.LinAlgError, ValueError):
            continue
        iters += it
        if conv and np.all(np.isfinite(t)):
            theta[b] = t
            ok[b] = True
    return BootDraws(theta, ok, iters)


def _batched_ml(
    est: Estimation, indices: IntArray, *, gtol: float, max_iter: int = 200
) -> BootDraws:
    ram = est.ram
    frame = est.frames[0]
    x = frame.x
    nb, n = indices.shape
    p, m, q = ram.p, ram.m, ram.n_free
    xb = x[indices]  # draws x n x p
    mean = xb.mean(axis=1, keepdims=True)
    dev = xb - mean
    s = np.matmul(dev.transpose(0, 2, 1), dev) / n
    _, s_logdet = np.linalg.slogdet(s)
    gr = ram.groups[0]
    la, ls = gr.a_free, gr.s_free
    pa = np.zeros((la.par.size, q))
    pa[np.arange(la.par.size), la.par] = 1.0
    ps = np.zeros((ls.par.size, q))
    ps[np.arange(ls.par.size), ls.par] = 1.0
    diag_s = ls.rows == ls.cols
    eye = np.eye(m)

    def evaluate(theta: FloatArray, need: int) -> tuple[FloatArray, FloatArray, FloatArray]:
        k = theta.shape[0]
        a = np.broadcast_to(gr.a, (k, m, m)).copy()
        sm = np.broadcast_to(gr.s, (k, m, m)).copy()
        a[:, la.rows, la.cols] = theta[:, la.par]
        sm[:, ls.rows, ls.cols] = theta[:, ls.par]
        sm[:, ls.cols, ls.rows] = theta[:, ls.par]
        with np.errstate(all="ignore"):
            binv = np.linalg.inv(eye - a)
            c = binv @ sm @ binv.transpose(0, 2, 1)
            sigma = c[:, :p, :p]
            sg, logdet = np.linalg.slogdet(sigma)
            bad = ~(sg > 0)
            sigma_safe = np.where(bad[:, None, None], np.eye(p), sigma)
            inv = np.linalg.inv(sigma_safe)
            f = 0.5 * (logdet + (s_cur * inv).sum(axis=(1, 2)) - ld_cur - p)
        f = np.where(bad | ~np.isfinite(f) | (f < -1e-8), np.inf, f)
        if need == 0:
            return f, np.empty(0), np.empty(0)
        fb = binv[:, :p, :]  # k x p x m
        ta = fb[:, :, la.rows].transpose(0, 2, 1)[:, :, :, None] * c[:, la.cols, :p][:, :, None, :]
        ta = ta + ta.transpose(0, 1, 3, 2)
        u = fb[:, :, ls.rows].transpose(0, 2, 1)
        v = fb[:, :, ls.cols].transpose(0, 2, 1)
        ts = u[:, :, :, None] * v[:, :, None, :]
        ts = np.where(diag_s[None, :, None, None], ts, ts + ts.transpose(0, 1, 3, 2))
        pp = p * p
        d = (
            np.matmul(ta.reshape(k, -1, pp).transpose(0, 2, 1), pa)
            + np.matmul(ts.reshape(k, -1, pp).transpose(0, 2, 1), ps)
        ).transpose(0, 2, 1)  # k x q x p*p
        amat = inv - inv @ s_cur @ inv
        g = 0.5 * np.matmul(d, amat.reshape(k, pp, 1))[:, :, 0]
        d = d.reshape(k, q, p, p)
        w = np.matmul(inv[:, None, :, :], d)  # k x q x p x p
        wf = w.reshape(k, q, p * p)
        wt = w.transpose(0, 1, 3, 2).reshape(k, q, p * p)
        h = 0.5 * np.matmul(wf, wt.transpose(0, 2, 1))
        return f, g, h

    theta = np.broadcast_to(est.theta, (nb, q)).copy()
    active = np.ones(nb, dtype=bool)
    ok = np.zeros(nb, dtype=bool)
    iters = 0
    s_cur, ld_cur = s, s_logdet
    f, g, h = evaluate(theta, 2)
    damping = np.full(nb, 1e-4)
    for _ in range(max_iter):
        gmax = np.max(np.abs(g), axis=1)
        done = active & (gmax < gtol) & np.isfinite(f)
        ok |= done
        active &= ~done
        if not active.any():
            break
        iters += 1
        idx = np.flatnonzero(active)
        s_cur, ld_cur = s[idx], s_logdet[idx]
        hd = h[idx]
        scale = np.sqrt(np.maximum(np.abs(np.diagonal(hd, axis1=1, axis2=2)), 1e-300))
        hs = hd / (scale[:, :, None] * scale[:, None, :]) + damping[idx, None, None] * np.eye(q)
        try:
            step = np.linalg.solve(hs, (g[idx] / scale)[:, :, None])[:, :, 0] / scale
        except np.linalg.LinAlgError:
            step = np.zeros((idx.size, q))
            for j in range(idx.size):
                step[j] = np.linalg.lstsq(hs[j], g[idx[j]] / scale[j], rcond=None)[0] / scale[j]
        cand = theta[idx] - step
        fc, gc, hc = evaluate(cand, 2)
        better = np.isfinite(fc) & (fc <= f[idx])
        acc = idx[better]
        change = f[acc] - fc[better]
        theta[acc], f[acc], g[acc], h[acc] = cand[better], fc[better], gc[better], hc[better]
        damping[acc] = np.maximum(damping[acc] / 10.0, 1e-12)
        # a step that no longer lowers F near a tiny gradient: converged (round-off)
        flat = acc[(change <= 1e-15 * np.maximum(1.0, np.abs(f[acc])))]
        near = flat[np.max(np.abs(g[flat]), axis=1) < 1e3 * gtol]
        ok[near] = True
        active[near] = False
        rej = idx[~better]
        damping[rej] *= 10.0
        stuck = rej[damping[rej] > 1e12]
        near = stuck[np.max(np.abs(g[stuck]), axis=1) < 1e3 * gtol]
        ok[near] = True
        active[stuck] = False
    theta[~ok] = np.nan
    return BootDraws(theta, ok, iters)


def acceleration(jack: FloatArray, groups: IntArray | None = None) -> float:
    """The BCa acceleration from jackknife values (Efron 1987); with several groups
    (``groups``: each value's group, the stratified bootstrap resamples within groups)
    Efron & Tibshirani's (1993, eq. 15.36) multi-sample form, as
    ``scipy.stats.bootstrap``: with ``U_gi = (n_g − 1)(mean_g − θ_gi)``,
    ``a = Σ_g Σ_i U³/n_g³ / (6 (Σ_g Σ_i U²/n_g²)^1.5)`` (one group: the usual
    ``Σ d³ / (6 (Σ d²)^1.5)``). Non-finite values (failed refits) are left out."""
    labels = np.zeros(jack.size, dtype=np.intp) if groups is None else np.asarray(groups)
    num = den = 0.0
    for g in np.unique(labels):
        jk = jack[(labels == g) & np.isfinite(jack)]
        if jk.size < 2:
            continue
        u = (jk.size - 1) * (jk.mean() - jk)
        num += float(np.sum(u**3)) / jk.size**3
        den += float(np.sum(u**2)) / jk.size**2
    return num / (6.0 * den**1.5) if den > 0 else 0.0


def interval(
    draws: FloatArray,
    estimate: float,
    level: float,
    method: str,
    jack: FloatArray | None,
    groups: IntArray | None = None,
) -> tuple[float, float]:
    """Percentile or BCa interval of one parameter's draws (finite draws only);
    ``groups``: the group of each jackknife value (multigroup fits)."""
    v = draws[np.isfinite(draws)]
    if v.size < 2:
        return float("nan"), float("nan")
    alpha = (1 - level) / 2
    if method == "percentile" or jack is None:
        lo, hi = np.quantile(v, [alpha, 1 - alpha])
        return float(lo), float(hi)
    prop = float(np.mean(v < estimate))
    if prop <= 0 or prop >= 1:
        lo, hi = np.quantile(v, [alpha, 1 - alpha])
        return float(lo), float(hi)
    z0 = float(stats.norm.ppf(prop))
    acc = acceleration(jack, groups)
    out = []
    for a in (alpha, 1 - alpha):
        za = float(stats.norm.ppf(a))
        adj = stats.norm.cdf(z0 + (z0 + za) / (1 - acc * (z0 + za)))
        out.append(float(np.quantile(v, adj)))
    return out[0], out[1]


def statistics(est: Estimation, theta: FloatArray) -> FloatArray:
    """Per draw: every parameter-table row's value, then defined parameters, then the
    standardised values (same layout as :func:`~._cbsem_tables.standardized`)."""
    values = row_values(est, theta)
    parts = [values]
    if est.extra_rows:
        parts.append(np.asarray(theta[[r.position for r in est.extra_rows]], dtype=np.float64))
    if est.table.defined:
        parts.append(defined_values(est, values))
    parts.append(standardized(est, theta))
    return np.concatenate(parts)


def run(
    est: Estimation, *, n_draws: int, seed: int, chunk_size: int | None, n_jobs: int
) -> tuple[FloatArray, int, int]:
    """All draws' statistics (draws × statistics; failed draws NaN), the number of
    failed draws and the scoring iterations used."""
    sizes = [fr.n for fr in est.frames]
    n = sum(sizes)
    size = chunk_size or max(1, min(n_draws, 200))
    starts = list(range(0, n_draws, size))

    def chunk(start: int) -> BootDraws:
        idx = draw_indices(
            seed, min(size, n_draws - start), n, start, sizes if len(sizes) > 1 else None
        )
        return refit_draws(est, idx)

    if n_jobs == 1 or len(starts) == 1:
        parts = [chunk(s) for s in starts]
    else:
        from joblib import Parallel, delayed

        parts = Parallel(n_jobs=n_jobs)(delayed(chunk)(s) for s in starts)
    theta = np.vstack([p.theta for p in parts])
    ok = np.concatenate([p.ok for p in parts])
    width = statistics(est, est.theta).size
    out = np.full((n_draws, width), np.nan)
    for b in np.flatnonzero(ok):
        out[b] = statistics(est, theta[b])
    return out, int((~ok).sum()), sum(p.iterations for p in parts)


def jackknife(est: Estimation) -> tuple[FloatArray, IntArray]:
    """Leave-one-out statistics (n × statistics, failed refits NaN) for the BCa
    acceleration, and each row's group: in a multigroup fit every respondent is left
    out of its own group in turn (the jackknife of the stratified bootstrap)."""
    sizes = [fr.n for fr in est.frames]
    n = sum(sizes)
    width = statistics(est, est.theta).size
    out = np.full((n, width), np.nan)
    groups = np.repeat(np.arange(len(sizes)), sizes).astype(np.intp)
    start = 0
    for g, size in enumerate(sizes):
        idx = np.array([np.delete(np.arange(n), start + i) for i in range(size)], dtype=np.intp)
        fewer = list(sizes)
        fewer[g] -= 1
        draws = refit_draws(est, idx, sizes=fewer if len(sizes) > 1 else None)
        for b in np.flatnonzero(draws.ok):
            out[start + b] = statistics(est, draws.theta[b])
        start += size
    return out, groups


def sd(draws: FloatArray) -> float:
    v = draws[np.isfinite(draws)]
    return float(np.std(v, ddof=1)) if v.size > 1 else float("nan")
