"""The least-cost plan as an optimisation problem, on ndarrays (no pandas, no warnings).

Decision: ``x[s, d] >= 0``, the push (points on the 0–100 scale) given to driver
``d`` in segment ``s``. The predicted target uplift of segment ``s`` is
``sum_d a[s, d] x[s, d]``; a push also raises the drivers it leads to by
``chains[s, u, d] x[s, u]``.

Minimise ``sum_sd cost_sd(x_sd)`` subject to

* the goal: ``sum_s w_s sum_d a_sd x_sd >= G`` (overall) or
  ``sum_d a_sd x_sd >= G_s`` for every segment;
* the target stays on its scale: ``sum_d a_sd x_sd <= 100 - T_s``;
* bounds ``lower_sd <= x_sd <= upper_sd`` (room, caps, fixed and forbidden levers);
* driver levels stay on their scale: ``x_sd + sum_u chains[s, u, d] x_su <= level_room_sd``
  (only when there are chains);
* budgets: total cost ``<= B``, segment cost ``<= B_s``.

Linear and piecewise-linear costs give a linear programme (one variable per tier;
cheaper tiers fill first because rates do not decrease) solved with HiGHS. Convex
curves are solved exactly by bisection on the goal multiplier when nothing else
binds, and otherwise with SLSQP. Every solution is checked against the KKT
conditions by :func:`kkt_check`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from csimodels._lazy import lazy_module

optimize = lazy_module("scipy.optimize")
sparse = lazy_module("scipy.sparse")

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

ROW_KINDS = ("goal", "target_cap", "budget", "segment_budget", "level_cap")


@dataclass(frozen=True)
class Problem:
    """A plan problem; shapes ``(S, D)`` unless noted, ``K`` tiers per cell."""

    importance: FloatArray
    weights: FloatArray  # (S,), sum to one
    lower: FloatArray
    upper: FloatArray
    level_room: FloatArray
    target_room: FloatArray  # (S,)
    tier_start: FloatArray  # (S, D, K)
    tier_end: FloatArray  # (S, D, K), inf allowed
    tier_rate: FloatArray  # (S, D, K)
    convex: BoolArray  # (S, D): cells with a convex curve (their tiers are unused)
    convex_linear: FloatArray
    convex_rate: FloatArray
    convex_exponent: FloatArray
    scope: str  # "overall" or "segment"
    goal: FloatArray  # (1,) or (S,): uplift required
    budget: float = np.inf
    segment_budget: FloatArray | None = None  # (S,), inf = none
    chains: FloatArray | None = None  # (S, D, D): push of u raises level of d

    @property
    def shape(self) -> tuple[int, int]:
        s, d = self.importance.shape
        return int(s), int(d)

    def cell_cost(self, x: FloatArray) -> FloatArray:
        """Cost of each cell at pushes ``x`` (S, D)."""
        with np.errstate(invalid="ignore"):  # unused tiers run from inf to inf
            width = np.nan_to_num(self.tier_end - self.tier_start, nan=0.0)
            filled = np.clip(x[..., None] - self.tier_start, 0.0, width)
            tiers = np.where(filled > 0, filled * self.tier_rate, 0.0).sum(axis=-1)
        xc = np.maximum(x, 0.0)
        curve = self.convex_linear * xc + self.convex_rate * xc**self.convex_exponent
        return np.where(self.convex, curve, tiers)

    def uplift(self, x: FloatArray) -> FloatArray:
        """Predicted target uplift of each segment."""
        return np.asarray((self.importance * x).sum(axis=1), dtype=np.float64)

    def level_change(self, x: FloatArray) -> FloatArray:
        """Predicted change of each driver's level: the push plus what it induces."""
        if self.chains is None:
            return x.copy()
        return np.asarray(x + np.einsum("sud,su->sd", self.chains, x), dtype=np.float64)

    def with_goal(self, goal: FloatArray, scope: str | None = None) -> Problem:
        """The same constraints with another goal."""
        return _replace(self, goal=np.asarray(goal, dtype=np.float64), scope=scope or self.scope)

    def relaxed_budgets(self) -> Problem:
        """The same problem without any budget cap."""
        return _replace(self, budget=np.inf, segment_budget=None)


def _replace(p: Problem, **changes: Any) -> Problem:
    values = {f: getattr(p, f) for f in p.__dataclass_fields__}
    values.update(changes)
    return Problem(**values)


@dataclass
class Solution:
    """What a solver returns."""

    status: str  # "optimal" or "infeasible"
    x: FloatArray
    cost: FloatArray
    objective: float
    multipliers: dict[str, FloatArray] = field(default_factory=dict)
    kkt: dict[str, float] = field(default_factory=dict)
    solver: str = ""
    message: str = ""


# ---------------------------------------------------------------------------------------
# the linear programme
# ---------------------------------------------------------------------------------------


@dataclass
class _LP:
    c: FloatArray
    a_ub: Any
    b_ub: FloatArray
    lo: FloatArray
    hi: FloatArray
    cell: NDArray[np.int64]  # variable -> flat cell s * D + d
    rows: list[tuple[str, int]]  # (kind, segment or -1) per constraint row
    coef_goal: FloatArray  # per variable: contribution to the goal row(s)


def _tier_bounds(p: Problem) -> tuple[FloatArray, FloatArray]:
    """Lower and upper bound of every tier variable (S, D, K)."""
    start, end = p.tier_start, p.tier_end
    up = np.clip(np.minimum(end, p.upper[..., None]) - start, 0.0, None)
    low = np.clip(np.minimum(end, p.lower[..., None]) - start, 0.0, None)
    return np.minimum(low, up), up


def build_lp(p: Problem, *, objective: str = "cost") -> _LP:
    """The LP in tier variables; ``objective="uplift"`` maximises the weighted uplift."""
    s_n, d_n = p.shape
    lo3, hi3 = _tier_bounds(p)
    keep = (hi3 > 0) | (lo3 > 0)
    keep &= ~p.convex[..., None]
    # keep one (empty) variable per cell so every cell exists
    s_idx, d_idx, k_idx = np.nonzero(keep)
    cell = (s_idx * d_n + d_idx).astype(np.int64)
    rate = p.tier_rate[s_idx, d_idx, k_idx]
    lo = lo3[s_idx, d_idx, k_idx]
    hi = hi3[s_idx, d_idx, k_idx]
    a = p.importance[s_idx, d_idx]
    w = p.weights[s_idx]
    nvar = cell.size
    var = np.arange(nvar)
    blocks: list[Any] = []
    rhs: list[FloatArray] = []
    rows: list[tuple[str, int]] = []

    def add(
        kind: str,
        seg: NDArray[np.int64],
        row_of: NDArray[np.int64],
        coef: FloatArray,
        n_rows: int,
        b: FloatArray,
    ) -> None:
        m = sparse.csr_matrix((coef, (row_of, var[seg] if seg.size else seg)), shape=(n_rows, nvar))
        blocks.append(m)
        rhs.append(b)
        rows.extend((kind, int(i)) for i in range(n_rows))

    everything = var
    if objective == "cost":
        if p.scope == "overall":
            add("goal", everything, np.zeros(nvar, dtype=np.int64), -w * a, 1, -p.goal[:1])
        else:
            add("goal", everything, s_idx.astype(np.int64), -a, s_n, -p.goal)
    add("target_cap", everything, s_idx.astype(np.int64), a, s_n, p.target_room.copy())
    if np.isfinite(p.budget):
        add("budget", everything, np.zeros(nvar, dtype=np.int64), rate, 1, np.array([p.budget]))
    if p.segment_budget is not None and np.isfinite(p.segment_budget).any():
        add(
            "segment_budget",
            everything,
            s_idx.astype(np.int64),
            rate,
            s_n,
            np.where(np.isfinite(p.segment_budget), p.segment_budget, 1e300),
        )
    if p.chains is not None and np.any(p.chains != 0):
        # row (s, d): x_sd + sum_u chains[s, u, d] x_su <= level_room_sd
        coef_full = p.chains[s_idx, d_idx, :]  # (nvar, D): effect of var's push on each d
        coef_full = coef_full.copy()
        coef_full[var, d_idx] += 1.0
        nz_v, nz_d = np.nonzero(coef_full)
        m = sparse.csr_matrix(
            (coef_full[nz_v, nz_d], (s_idx[nz_v] * d_n + nz_d, nz_v)), shape=(s_n * d_n, nvar)
        )
        blocks.append(m)
        rhs.append(p.level_room.ravel().copy())
        rows.extend(("level_cap", int(i)) for i in range(s_n * d_n))
    a_ub = sparse.vstack(blocks).tocsr()
    c = rate.copy() if objective == "cost" else -(w * a)
    return _LP(
        c=c,
        a_ub=a_ub,
        b_ub=np.concatenate(rhs),
        lo=lo,
        hi=hi,
        cell=cell,
        rows=rows,
        coef_goal=(w * a) if p.scope == "overall" else a,
    )


def _cells(lp: _LP, z: FloatArray, shape: tuple[int, int]) -> FloatArray:
    x = np.bincount(lp.cell, weights=z, minlength=shape[0] * shape[1])
    return np.asarray(x.reshape(shape), dtype=np.float64)


def solve_lp(p: Problem, *, objective: str = "cost", certify: bool = True) -> Solution:
    """Solve the (piecewise-)linear plan with HiGHS; ``objective="uplift"`` maximises.

    HiGHS's dual simplex returns a vertex with its duals (the shadow prices);
    ``certify`` adds the KKT residuals of the solution (:func:`kkt_check`).
    """
    lp = build_lp(p, objective=objective)
    shape = p.shape
    if lp.c.size == 0:
        x = np.zeros(shape)
        feasible = objective != "cost" or bool(np.all(p.goal <= 0))
        return Solution(
            status="optimal" if feasible else "infeasible",
            x=x,
            cost=np.zeros(shape),
            objective=0.0,
            solver="none (no lever can move)",
        )
    res = optimize.linprog(
        lp.c,
        A_ub=lp.a_ub,
        b_ub=lp.b_ub,
        bounds=np.column_stack([lp.lo, lp.hi]),
        method="highs-ds",
    )
    if res.status == 2:
        return Solution(
            status="infeasible",
            x=np.zeros(shape),
            cost=np.zeros(shape),
            objective=np.nan,
            solver="highs",
            message=str(res.message),
        )
    if res.status != 0:
        raise RuntimeError(f"HiGHS stopped: {res.message}")
    z = np.asarray(res.x, dtype=np.float64)
    x = _cells(lp, z, shape)
    marg = np.asarray(res.ineqlin.marginals, dtype=np.float64)
    kinds = np.array([k for k, _ in lp.rows])
    multipliers = {k: -marg[kinds == k] for k in ROW_KINDS if np.any(kinds == k)}
    kkt = kkt_check(lp.c, lp.a_ub, lp.b_ub, z, lp.lo, lp.hi) if certify else {}
    return Solution(
        status="optimal",
        x=x,
        cost=p.cell_cost(x),
        objective=float(res.fun),
        multipliers=multipliers,
        kkt=kkt,
        solver="highs",
        message=str(res.message),
    )


# ---------------------------------------------------------------------------------------
# KKT certificate
# ---------------------------------------------------------------------------------------


def kkt_check(
    grad: FloatArray,
    a: Any,
    b: FloatArray,
    z: FloatArray,
    lo: FloatArray,
    hi: FloatArray,
    *,
    tol: float = 1e-7,
) -> dict[str, float]:
    """KKT residuals of ``min f(z)`` s.t. ``a z <= b``, ``lo <= z <= hi`` at ``z``.

    ``grad`` is the objective gradient at ``z``; ``a`` the constraint Jacobian at
    ``z`` (for non-linear constraints). Multipliers of the active constraints are
    found by non-negative least squares on the free coordinates; coordinates at a
    bound must then show a reduced gradient of the right sign.

    Returns ``stationarity`` (largest reduced gradient on free coordinates, relative
    to the largest gradient), ``sign`` (largest reduced gradient of the wrong sign at
    a bound, relative), ``primal`` (largest constraint violation) and ``n_active``.
    """
    a = sparse.csr_matrix(a)
    scale = max(1.0, float(np.abs(grad).max(initial=0.0)))
    slack = b - a @ z
    bscale = 1.0 + np.abs(b)
    primal = float(max(0.0, (-slack / bscale).max(initial=0.0)))
    primal = max(primal, float(np.maximum(lo - z, 0).max(initial=0.0)))
    primal = max(primal, float(np.maximum(z - hi, 0).max(initial=0.0)))
    zscale = 1.0 + np.abs(z)
    active = np.flatnonzero(slack <= tol * 1e2 * bscale)
    at_lo = z <= lo + tol * zscale
    at_hi = z >= hi - tol * zscale
    free = ~(at_lo | at_hi)
    act = a[active]  # sparse (n_active, n)
    act_t = act.T.tocsr()
    mu = np.zeros(active.size)
    if active.size and free.any():
        block = act_t[np.flatnonzero(free)].toarray()  # (n_free, n_active): small at a vertex
        mu, _ = optimize.nnls(block, -grad[free], maxiter=50 * max(active.size, 1))
    only_lo = at_lo & ~at_hi
    only_hi = at_hi & ~at_lo
    if active.size and not free.any():
        # every coordinate at a bound: multipliers that make the signs right, if any
        rows = np.concatenate([np.flatnonzero(only_lo), np.flatnonzero(only_hi)])
        sign = np.concatenate([np.ones(only_lo.sum()), -np.ones(only_hi.sum())])
        block = act_t[rows].toarray() * sign[:, None]
        target = np.minimum(-grad[rows] * sign, 0.0)
        mu, _ = optimize.nnls(block, target, maxiter=50 * max(active.size, 1))
    reduced = grad + act_t @ mu
    stationarity = float(np.abs(reduced[free]).max(initial=0.0)) / scale
    wrong = max(
        float(np.maximum(-reduced[only_lo], 0).max(initial=0.0)),
        float(np.maximum(reduced[only_hi], 0).max(initial=0.0)),
    )
    return {
        "stationarity": stationarity,
        "sign": wrong / scale,
        "primal": primal,
        "n_active": float(active.size),
    }


# ---------------------------------------------------------------------------------------
# convex curves
# ---------------------------------------------------------------------------------------


def _convex_push(p: Problem, price: FloatArray) -> FloatArray:
    """Cost-minimising push of every convex cell at marginal value ``price`` (S, D)."""
    e = p.convex_exponent
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        base = (price - p.convex_linear) / (p.convex_rate * e)
        x = np.where(base > 0, np.power(np.maximum(base, 0), 1.0 / (e - 1.0)), 0.0)
    x = np.where(np.isfinite(x), x, np.inf)
    return np.clip(x, p.lower, p.upper)


def _bisect_convex(p: Problem) -> tuple[FloatArray, FloatArray] | None:
    """Exact optimum for pure convex cells and goal rows only; None if unreachable."""
    s_n, _ = p.shape
    overall = p.scope == "overall"
    coef = p.importance * (p.weights[:, None] if overall else 1.0)
    price_coef = np.maximum(coef, 0.0)

    def push(lam_goal: FloatArray) -> FloatArray:
        lam = np.repeat(lam_goal, s_n) if overall else lam_goal
        x = _convex_push(p, price_coef * lam[:, None])
        return np.where(p.upper > p.lower, x, p.lower)

    def reach(lam_goal: FloatArray) -> FloatArray:
        per_segment = (coef * push(lam_goal)).sum(axis=1)
        out = per_segment.sum(keepdims=True) if overall else per_segment
        return np.asarray(out, dtype=np.float64)

    n_goal = 1 if overall else s_n
    need = p.goal - 1e-12 * (1 + np.abs(p.goal))
    if np.any(reach(np.full(n_goal, np.inf)) < need):
        return None
    low = np.zeros(n_goal)
    high = np.ones(n_goal)
    for _ in range(400):
        short = reach(high) < p.goal
        if not short.any():
            break
        high = np.where(short, high * 4.0, high)
    done = reach(low) >= p.goal
    for _ in range(200):
        mid = 0.5 * (low + high)
        ok = reach(mid) >= p.goal
        high = np.where(ok, mid, high)
        low = np.where(ok, low, mid)
        if np.all(high - low <= 1e-15 * high):
            break
    lam = np.where(done, 0.0, high)
    return push(lam), lam


def solve_convex(p: Problem, *, maxiter: int = 500, certify: bool = True) -> Solution:
    """Minimise a plan with convex (and possibly tiered) costs.

    ``certify=False`` (frontier points) accepts the refined-secant solution without the
    SLSQP polish.

    Pure convex cells with goal rows only are solved exactly by bisection on the goal
    multiplier(s); if that solution breaks another constraint (a target cap, a budget,
    a level cap), SLSQP solves the whole problem from there.
    """
    shape = p.shape
    pure = bool(np.all(p.convex | (p.upper <= p.lower))) and (
        p.chains is None or not np.any(p.chains)
    )
    if pure:
        found = _bisect_convex(p.relaxed_budgets())
        if found is None:
            return Solution(
                "infeasible", np.zeros(shape), np.zeros(shape), np.nan, solver="bisection"
            )
        x, lam = found
        costs = p.cell_cost(x)
        ok = bool(np.all(p.uplift(x) <= p.target_room + 1e-9))
        if ok and np.isfinite(p.budget) and costs.sum() > p.budget * (1 + 1e-12):
            return Solution(
                "infeasible",
                x,
                costs,
                float(costs.sum()),
                solver="bisection",
                message="the least cost exceeds the budget",
            )
        if ok and p.segment_budget is not None:
            ok = bool(np.all(costs.sum(axis=1) <= p.segment_budget * (1 + 1e-12)))
        if ok:
            sol = Solution(
                status="optimal",
                x=x,
                cost=costs,
                objective=float(costs.sum()),
                multipliers={"goal": lam},
                solver="bisection on the goal multiplier",
            )
            sol.kkt = convex_kkt(p, x)
            return sol
    if solve_lp(_linearised(p).relaxed_budgets(), certify=False).status != "optimal":
        return Solution(
            "infeasible",
            np.zeros(shape),
            np.zeros(shape),
            np.nan,
            solver="highs",
            message="the goal is out of reach of the rooms and caps",
        )
    secant = _solve_secant(p)
    if _n_smooth(p) > SLSQP_MAX_VARIABLES or not certify or secant.status != "optimal":
        return secant
    # SLSQP from the secant plan (within a fraction of a point of the optimum)
    polished = _slsqp(p, secant.x, maxiter=maxiter)
    if polished.status != "optimal" or polished.objective > secant.objective * (1 + 1e-9):
        return secant
    return polished


SLSQP_MAX_VARIABLES = 400
"""Above this many variables a convex plan that bisection cannot solve is solved as a
linear programme over secant tiers of the curves (SLSQP's dense steps grow as n³)."""

SECANT_TIERS = 12
SECANT_PASSES = 4


def _n_smooth(p: Problem) -> int:
    """Variables of the smooth (SLSQP) formulation."""
    curves = int(np.count_nonzero(p.convex & (p.upper > 0)))
    tiers = int(np.count_nonzero(~p.convex[..., None] & (_tier_bounds(p)[1] > 0)))
    return curves + tiers


def _secant_problem(p: Problem, edges: FloatArray, cells: NDArray[np.int64]) -> Problem:
    """``p`` with the convex curves of ``cells`` replaced by secants between ``edges``."""
    s_n, d_n = p.shape
    k_old = p.tier_start.shape[-1]
    n_tiers = edges.shape[1] - 1
    k = max(k_old, n_tiers)
    start = np.full((s_n, d_n, k), np.inf)
    end = np.full((s_n, d_n, k), np.inf)
    rate = np.zeros((s_n, d_n, k))
    start[..., :k_old], end[..., :k_old], rate[..., :k_old] = (
        p.tier_start,
        p.tier_end,
        p.tier_rate,
    )
    s_idx, d_idx = cells[:, 0], cells[:, 1]
    lin = p.convex_linear[s_idx, d_idx][:, None]
    crate = p.convex_rate[s_idx, d_idx][:, None]
    expo = p.convex_exponent[s_idx, d_idx][:, None]
    f = lin * edges + crate * edges**expo
    width = np.diff(edges, axis=1)
    slope = lin + crate * expo * edges[:, :-1] ** (expo - 1)  # for empty tiers
    with np.errstate(divide="ignore", invalid="ignore"):
        secant = np.where(width > 0, np.diff(f, axis=1) / width, slope)
    start[s_idx, d_idx, :n_tiers] = edges[:, :-1]
    end[s_idx, d_idx, :n_tiers] = edges[:, 1:]
    end[s_idx, d_idx, n_tiers - 1] = np.inf  # the room bound caps the last tier
    rate[s_idx, d_idx, :n_tiers] = np.maximum.accumulate(secant, axis=1)
    start[s_idx, d_idx, n_tiers:] = np.inf
    return _replace(
        p, convex=np.zeros_like(p.convex), tier_start=start, tier_end=end, tier_rate=rate
    )


def _solve_secant(p: Problem, objective: str = "cost") -> Solution:
    """Convex curves replaced by secants, refined around the solution, solved by HiGHS.

    Pass 1 splits each curve's room into ``SECANT_TIERS`` equal tiers; every next pass
    splits the two tiers around the last solution as finely again, so after
    ``SECANT_PASSES`` passes the resolution is ``room / 12 · (2 / 12)²``. Secants lie
    above the curve, so the plan stays within every budget; the reported cost is the
    true curve's at the returned pushes.
    """
    cells = np.argwhere(p.convex & (p.upper > 0)).astype(np.int64)
    room = p.upper[cells[:, 0], cells[:, 1]]
    n = SECANT_TIERS
    edges = np.linspace(0.0, 1.0, n + 1)[None, :] * room[:, None]
    half = room / n
    sol = Solution("infeasible", np.zeros(p.shape), np.zeros(p.shape), np.nan)
    approx = p
    # the most reachable uplift needs the curves only through the budgets: two passes
    for _ in range(SECANT_PASSES if objective == "cost" else 2):
        approx = _secant_problem(p, edges, cells)
        sol = solve_lp(approx, objective=objective)
        if sol.status != "optimal":
            return sol
        x = sol.x[cells[:, 0], cells[:, 1]]
        low = np.clip(x - half, 0.0, room)
        high = np.clip(x + half, 0.0, room)
        half = (high - low) / n  # the next window: one of the new tiers either side
        inner = low[:, None] + (high - low)[:, None] * np.linspace(0.0, 1.0, n + 1)[None, :]
        edges = np.column_stack([np.zeros(len(cells)), inner, room])
    true_cost = p.cell_cost(sol.x)
    gap = float(np.max(approx.cell_cost(sol.x) - true_cost, initial=0.0))
    sol.cost = true_cost
    sol.objective = float(true_cost.sum())
    sol.solver = f"highs over refined secant tiers of the convex curves ({SECANT_PASSES} passes)"
    sol.message = f"secant approximation: cost within {gap:.3g} per lever of the curve"
    return sol


def _linearised(p: Problem) -> Problem:
    """The same constraints with every convex curve replaced by a free linear cost
    (feasibility of the linear constraints does not depend on the costs)."""
    tier_start = p.tier_start.copy()
    tier_end = p.tier_end.copy()
    tier_rate = p.tier_rate.copy()
    tier_start[p.convex, 0] = 0.0
    tier_end[p.convex, 0] = np.inf
    tier_rate[p.convex, 0] = 0.0
    if tier_start.shape[-1] > 1:
        tier_start[p.convex, 1:] = np.inf
        tier_end[p.convex, 1:] = np.inf
    return _replace(
        p,
        convex=np.zeros_like(p.convex),
        tier_start=tier_start,
        tier_end=tier_end,
        tier_rate=tier_rate,
    )


def _layout(
    p: Problem,
) -> tuple[NDArray[np.int64], FloatArray, FloatArray, FloatArray, BoolArray]:
    """Variables of the smooth formulation: one per convex cell, one per tier."""
    d_n = p.shape[1]
    lo3, hi3 = _tier_bounds(p)
    keep = ((hi3 > 0) | (lo3 > 0)) & ~p.convex[..., None]
    s_t, d_t, k_t = np.nonzero(keep)
    s_c, d_c = np.nonzero(p.convex & (p.upper > 0))
    cell = np.concatenate([s_c * d_n + d_c, s_t * d_n + d_t]).astype(np.int64)
    lo = np.concatenate([p.lower[s_c, d_c], lo3[s_t, d_t, k_t]])
    hi = np.concatenate([p.upper[s_c, d_c], hi3[s_t, d_t, k_t]])
    rate = np.concatenate([np.zeros(s_c.size), p.tier_rate[s_t, d_t, k_t]])
    is_curve = np.concatenate([np.ones(s_c.size, bool), np.zeros(s_t.size, bool)])
    return cell, lo, hi, rate, is_curve


def _smooth_parts(p: Problem) -> dict[str, Any]:
    s_n, d_n = p.shape
    cell, lo, hi, rate, is_curve = _layout(p)
    seg = cell // d_n
    lin = p.convex_linear.ravel()[cell]
    crate = p.convex_rate.ravel()[cell]
    expo = p.convex_exponent.ravel()[cell]

    def cost_vec(z: FloatArray) -> FloatArray:
        zc = np.maximum(z, 0.0)
        return np.where(is_curve, lin * zc + crate * zc**expo, rate * z)

    def grad_vec(z: FloatArray) -> FloatArray:
        zc = np.maximum(z, 0.0)
        return np.where(is_curve, lin + crate * expo * zc ** (expo - 1), rate)

    a = p.importance.ravel()[cell]
    w = p.weights[seg]
    rows: list[FloatArray] = []
    rhs: list[float] = []
    kinds: list[tuple[str, int]] = []
    n = cell.size
    if p.scope == "overall":
        rows.append(-(w * a))
        rhs.append(-float(p.goal[0]))
        kinds.append(("goal", 0))
    else:
        for s in range(s_n):
            rows.append(np.where(seg == s, -a, 0.0))
            rhs.append(-float(p.goal[s]))
            kinds.append(("goal", s))
    for s in range(s_n):
        rows.append(np.where(seg == s, a, 0.0))
        rhs.append(float(p.target_room[s]))
        kinds.append(("target_cap", s))
    if p.chains is not None and np.any(p.chains):
        d_of = cell % d_n
        for s in range(s_n):
            for d in range(d_n):
                coef = np.where(seg == s, p.chains[s, d_of, d], 0.0)
                coef = coef + np.where(cell == s * d_n + d, 1.0, 0.0)
                rows.append(coef)
                rhs.append(float(p.level_room[s, d]))
                kinds.append(("level_cap", s * d_n + d))
    a_lin = np.vstack(rows) if rows else np.zeros((0, n))
    return {
        "cell": cell,
        "seg": seg,
        "lo": lo,
        "hi": hi,
        "cost_vec": cost_vec,
        "grad_vec": grad_vec,
        "a_lin": a_lin,
        "b_lin": np.asarray(rhs),
        "kinds": kinds,
    }


def _slsqp(p: Problem, start: FloatArray | None, *, maxiter: int) -> Solution:
    shape = p.shape
    s_n, d_n = shape
    parts = _smooth_parts(p)
    cell, seg, lo, hi = parts["cell"], parts["seg"], parts["lo"], parts["hi"]
    cost_vec, grad_vec = parts["cost_vec"], parts["grad_vec"]
    a_lin, b_lin = parts["a_lin"], parts["b_lin"]
    n = cell.size
    if n == 0:
        ok = bool(np.all(p.goal <= 0))
        return Solution(
            "optimal" if ok else "infeasible",
            np.zeros(shape),
            np.zeros(shape),
            0.0,
            solver="none (no lever can move)",
        )
    seg_onehot = np.zeros((s_n, n))
    seg_onehot[seg, np.arange(n)] = 1.0
    cons: list[dict[str, Any]] = [
        {"type": "ineq", "fun": lambda z: b_lin - a_lin @ z, "jac": lambda z: -a_lin}
    ]
    if np.isfinite(p.budget):
        cons.append(
            {
                "type": "ineq",
                "fun": lambda z: np.array([p.budget - cost_vec(z).sum()]),
                "jac": lambda z: -grad_vec(z)[None, :],
            }
        )
    sb = p.segment_budget
    if sb is not None and np.isfinite(sb).any():
        fin = np.flatnonzero(np.isfinite(sb))
        cons.append(
            {
                "type": "ineq",
                "fun": lambda z: sb[fin] - seg_onehot[fin] @ cost_vec(z),
                "jac": lambda z: -seg_onehot[fin] * grad_vec(z)[None, :],
            }
        )
    if start is not None:
        z0 = _start_from_cells(p, parts, start)
    else:
        z0 = np.where(np.isfinite(hi), 0.5 * (lo + hi), lo + 1.0)
    bounds = list(zip(lo, hi, strict=True))

    def run(start: FloatArray, ftol: float) -> Any:
        return optimize.minimize(
            lambda z: float(cost_vec(z).sum()),
            start,
            jac=grad_vec,
            bounds=bounds,
            constraints=cons,
            method="SLSQP",
            options={"maxiter": maxiter, "ftol": ftol},
        )

    def violation(z: FloatArray) -> float:
        v = float(np.maximum(a_lin @ z - b_lin, 0).max(initial=0.0))
        c = cost_vec(z)
        if np.isfinite(p.budget):
            v = max(v, float(c.sum() - p.budget) / (1 + abs(p.budget)))
        if sb is not None and np.isfinite(sb).any():
            fin = np.flatnonzero(np.isfinite(sb))
            v = max(v, float(np.max((seg_onehot[fin] @ c - sb[fin]) / (1 + np.abs(sb[fin])))))
        return v

    res = run(z0, 1e-14)
    z = np.clip(np.asarray(res.x, dtype=np.float64), lo, hi)
    if res.status != 0:  # often a line search stalled at the optimum: polish once
        again = run(z, 1e-12)
        z2 = np.clip(np.asarray(again.x, dtype=np.float64), lo, hi)
        if violation(z2) <= violation(z) + 1e-12:
            res, z = again, z2
    x = np.bincount(cell, weights=z, minlength=s_n * d_n).reshape(shape).astype(np.float64)
    costs = p.cell_cost(x)
    if violation(z) > 1e-6:
        return Solution(
            "infeasible", x, costs, float(costs.sum()), solver="slsqp", message=str(res.message)
        )
    sol = Solution(
        "optimal", x, costs, float(costs.sum()), solver="slsqp", message=str(res.message)
    )
    # Jacobian of every constraint at z for the certificate
    jac_rows = [a_lin]
    rhs = [b_lin - 0.0]
    val = [a_lin @ z]
    if np.isfinite(p.budget):
        jac_rows.append(grad_vec(z)[None, :])
        rhs.append(np.array([p.budget]))
        val.append(np.array([cost_vec(z).sum()]))
    if sb is not None and np.isfinite(sb).any():
        fin = np.flatnonzero(np.isfinite(sb))
        jac_rows.append(seg_onehot[fin] * grad_vec(z)[None, :])
        rhs.append(sb[fin])
        val.append(seg_onehot[fin] @ cost_vec(z))
    jac = np.vstack(jac_rows)
    # linearised constraints at z: jac z' <= jac z + (rhs - val)
    b_eff = jac @ z + (np.concatenate(rhs) - np.concatenate(val))
    sol.kkt = kkt_check(grad_vec(z), jac, b_eff, z, lo, hi, tol=1e-6)
    goal_rows = [i for i, (k, _) in enumerate(parts["kinds"]) if k == "goal"]
    sol.multipliers = {"goal": _goal_multipliers(grad_vec(z), jac, b_eff, z, lo, hi, goal_rows)}
    return sol


def _goal_multipliers(
    grad: FloatArray,
    jac: FloatArray,
    b: FloatArray,
    z: FloatArray,
    lo: FloatArray,
    hi: FloatArray,
    goal_rows: list[int],
) -> FloatArray:
    slack = b - jac @ z
    active = np.flatnonzero(slack <= 1e-5 * (1 + np.abs(b)))
    zscale = 1 + np.abs(z)
    free = ~((z <= lo + 1e-6 * zscale) | (z >= hi - 1e-6 * zscale))
    out = np.zeros(len(goal_rows))
    if active.size and free.any():
        mu, _ = optimize.nnls(jac[active][:, free].T, -grad[free])
        full = np.zeros(jac.shape[0])
        full[active] = mu
        out = full[goal_rows]
    return out


def _start_from_cells(p: Problem, parts: dict[str, Any], x: FloatArray) -> FloatArray:
    cell = parts["cell"]
    lo, hi = parts["lo"], parts["hi"]
    z = np.zeros(cell.size)
    flat = x.ravel()
    remaining = flat.copy()
    for v in range(cell.size):  # small problems only reach SLSQP
        take = min(max(remaining[cell[v]], lo[v]), hi[v])
        z[v] = take
        remaining[cell[v]] -= take
    return z


def convex_kkt(p: Problem, x: FloatArray) -> dict[str, float]:
    """KKT residuals of a pure-convex solution with goal rows only."""
    parts = _smooth_parts(p)
    cell = parts["cell"]
    z = x.ravel()[cell]
    a_goal = parts["a_lin"][[i for i, (k, _) in enumerate(parts["kinds"]) if k == "goal"]]
    b_goal = parts["b_lin"][[i for i, (k, _) in enumerate(parts["kinds"]) if k == "goal"]]
    return kkt_check(parts["grad_vec"](z), a_goal, b_goal, z, parts["lo"], parts["hi"], tol=1e-9)


def solve(p: Problem, *, objective: str = "cost", certify: bool = True) -> Solution:
    """Dispatch: HiGHS for (piecewise-)linear costs, the convex solver otherwise."""
    curved = bool(np.any(p.convex & (p.upper > 0)))
    if objective == "uplift":
        budgets = np.isfinite(p.budget) or (
            p.segment_budget is not None and bool(np.isfinite(p.segment_budget).any())
        )
        if not curved:
            return solve_lp(p, objective="uplift", certify=certify)
        if not budgets:  # the most reachable does not depend on the costs then
            sol = solve_lp(_linearised(p), objective="uplift", certify=certify)
            sol.cost = p.cell_cost(sol.x)
            sol.objective = float(sol.cost.sum())
            return sol
        # the budgets bind through the curves: refined secants (a linear programme)
        return _solve_secant(p, objective="uplift")
    if not curved:
        return solve_lp(p, certify=certify)
    return solve_convex(p, certify=certify)
