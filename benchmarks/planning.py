"""Benchmark: the least-cost improvement plan for 500 stores × 10 drivers.

csimodels' ``ImprovementPlan.fit`` (validation, the linear programme, the most
reachable uplift, the tables and the KKT certificate) is timed against the bare
solver on the same problem: one ``scipy.optimize.linprog(method="highs")`` call on
a hand-built LP, the peer any planning code would end up calling. The two optima
are checked to agree and the time ratio is printed (never asserted). Piecewise-
linear (three tiers) and convex (quadratic) costs and the cost–uplift frontier are
timed too.

Run: python benchmarks/planning.py [n_stores] [n_drivers]
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import sys
import time

import numpy as np
import pandas as pd
from scipy import optimize, sparse

from csimodels.planning import ConvexCost, ImprovementPlan, PiecewiseCost


def problem(n_stores: int, n_drivers: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(2026)
    imp = rng.uniform(0.02, 0.3, (n_stores, n_drivers))
    perf = rng.uniform(55, 92, (n_stores, n_drivers))
    level = rng.uniform(60, 80, n_stores)
    n = rng.integers(80, 600, n_stores)
    stores = [f"store{i:04d}" for i in range(n_stores)]
    drivers = [f"D{j}" for j in range(n_drivers)]
    rows = pd.DataFrame(
        {
            "segment": np.repeat(stores, n_drivers),
            "driver": np.tile(drivers, n_stores),
            "importance": imp.ravel(),
            "performance": perf.ravel(),
            "target_level": np.repeat(level, n_drivers),
            "n": np.repeat(n, n_drivers),
        }
    )
    rates = rng.uniform(1, 20, (n_stores, n_drivers))
    return rows, rates


def bare_linprog(rows: pd.DataFrame, rates: np.ndarray, goal: float) -> tuple[float, float]:
    """The same LP (overall goal, rooms, target ≤ 100) built by hand for linprog."""
    t0 = time.perf_counter()
    s_n, d_n = rates.shape
    imp = rows["importance"].to_numpy().reshape(s_n, d_n)
    perf = rows["performance"].to_numpy().reshape(s_n, d_n)
    level = rows["target_level"].to_numpy().reshape(s_n, d_n)[:, 0]
    n = rows["n"].to_numpy().reshape(s_n, d_n)[:, 0]
    w = n / n.sum()
    goal_row = sparse.csr_matrix(-(w[:, None] * imp).ravel()[None, :])
    seg = np.repeat(np.arange(s_n), d_n)
    caps = sparse.csr_matrix((imp.ravel(), (seg, np.arange(s_n * d_n))), shape=(s_n, s_n * d_n))
    res = optimize.linprog(
        rates.ravel(),
        A_ub=sparse.vstack([goal_row, caps]).tocsr(),
        b_ub=np.concatenate([[-goal], 100 - level]),
        bounds=np.column_stack([np.zeros(s_n * d_n), (100 - perf).ravel()]),
        method="highs",
    )
    return time.perf_counter() - t0, float(res.fun)


def timed(plan: ImprovementPlan, rows: pd.DataFrame, repeat: int = 3) -> tuple[float, object]:
    best = np.inf
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = plan.fit(rows)
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(n_stores: int = 500, n_drivers: int = 10) -> None:
    rows, rates = problem(n_stores, n_drivers)
    stores = list(dict.fromkeys(rows["segment"]))
    drivers = list(dict.fromkeys(rows["driver"]))
    linear = {
        s: {d: float(rates[i, j]) for j, d in enumerate(drivers)} for i, s in enumerate(stores)
    }
    goal = 3.0
    print(f"{n_stores} stores × {n_drivers} drivers, overall goal +{goal} points")

    bare = min(bare_linprog(rows, rates, goal)[0] for _ in range(3))
    _, bare_cost = bare_linprog(rows, rates, goal)
    t_lin, plan = timed(ImprovementPlan(goal=goal, costs=linear, frontier_points=0), rows)
    cost = float(plan.overview["total_cost"])  # type: ignore[attr-defined]
    assert abs(cost - bare_cost) <= 1e-7 * bare_cost, (cost, bare_cost)
    print(f"  bare linprog (HiGHS)              {bare * 1e3:8.1f} ms   cost {bare_cost:.6f}")
    print(
        f"  ImprovementPlan.fit, linear       {t_lin * 1e3:8.1f} ms   cost {cost:.6f}   "
        f"ratio {t_lin / bare:.2f}× the bare solver"
    )
    kkt = plan.overview["kkt_stationarity"]  # type: ignore[attr-defined]
    print(f"      KKT stationarity residual {kkt:.1e}")

    t_front, _ = timed(ImprovementPlan(goal=goal, costs=linear, frontier_points=11), rows, 1)
    print(f"  ... with an 11-point frontier     {t_front * 1e3:8.1f} ms")

    rng = np.random.default_rng(1)
    tiers = {
        s: {
            d: PiecewiseCost(breaks=(3.0, 8.0), rates=tuple(np.sort(rng.uniform(1, 20, 3))))
            for d in drivers
        }
        for s in stores
    }
    t_pw, _ = timed(ImprovementPlan(goal=goal, costs=tiers, frontier_points=0), rows)
    print(f"  piecewise linear (3 tiers)        {t_pw * 1e3:8.1f} ms")

    convex = {
        s: {
            d: ConvexCost(rate=float(rates[i, j]) / 10, exponent=2.0) for j, d in enumerate(drivers)
        }
        for i, s in enumerate(stores)
    }
    t_cv, cplan = timed(ImprovementPlan(goal=goal, costs=convex, frontier_points=0), rows)
    print(
        f"  convex (quadratic, bisection)     {t_cv * 1e3:8.1f} ms   solver "
        f"{cplan.settings['solver']}"  # type: ignore[attr-defined]
    )
    segment = ImprovementPlan(goal=1.0, costs=linear, scope="segment", frontier_points=0)
    t_seg, _ = timed(segment, rows)
    print(f"  a goal in every store (linear)    {t_seg * 1e3:8.1f} ms")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(*args)
