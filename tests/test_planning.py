"""What-if and the least-cost improvement plan (csimodels.planning).

Oracles: plans small enough to solve by hand; brute force over a grid and over the
vertices of the linear programme; an independent formulation of the piecewise-linear
cost (epigraph LP); the closed-form optimum of a quadratic cost; the KKT conditions
checked here from the allocation; and simulations with known true effects (the CSI
simulator's paths, a regression with known slopes).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

import csimodels as csi
from csimodels.errors import DataValidationError, InvalidParameterError, SpecificationError
from csimodels.planning import ConvexCost, ImprovementPlan, PiecewiseCost, what_if
from csimodels.results import result_from_json


def table(importance, performance, target_level, segments=None, n=None):
    """A driver table: rows segment × driver."""
    importance = np.atleast_2d(np.asarray(importance, dtype=float))
    performance = np.broadcast_to(np.asarray(performance, dtype=float), importance.shape)
    s_n, d_n = importance.shape
    single = segments is None and s_n == 1
    segments = segments or [f"S{i}" for i in range(s_n)]
    levels = np.broadcast_to(np.asarray(target_level, dtype=float), (s_n,))
    rows = []
    for i, s in enumerate(segments):
        for j in range(d_n):
            row = {
                "segment": s,
                "driver": f"D{j}",
                "importance": importance[i, j],
                "performance": performance[i, j],
                "target_level": levels[i],
            }
            if n is not None:
                row["n"] = n[i]
            rows.append(row)
    frame = pd.DataFrame(rows)
    return frame.drop(columns="segment") if single else frame


@pytest.fixture(scope="module")
def demo():
    return csi.datasets.load_example("acsi_demo")


@pytest.fixture(scope="module")
def acsi(demo):
    return csi.ACSI(indicators=demo.constructs).fit(demo)


@pytest.fixture(scope="module")
def acsi_by_region(demo):
    return csi.ACSI(indicators=demo.constructs).fit(demo, by="region")


# ---------------------------------------------------------------------------------------
# plans solved by hand
# ---------------------------------------------------------------------------------------


def test_two_drivers_linear_by_hand():
    # importance 0.5 and 0.3, costs 10 and 4 per point, room 10 each (performance 90).
    # Cost per target point: 10 / 0.5 = 20 and 4 / 0.3 = 13.33, so D1 first: its full
    # room gives 3 points for 40; the 4th point comes from D0: 2 points for 20.
    t = table([[0.5, 0.3]], [90.0, 90.0], 70.0)
    plan = ImprovementPlan(goal=4.0, costs={"D0": 10.0, "D1": 4.0}).fit(t)
    alloc = plan.allocation.xs("(all)", level="segment")
    assert plan.status == "optimal"
    np.testing.assert_allclose(alloc["change"], [2.0, 10.0], atol=1e-9)
    assert plan.overview["total_cost"] == pytest.approx(60.0)
    assert plan.overview["predicted"] == pytest.approx(74.0)
    np.testing.assert_allclose(alloc["share"], [20 / 60, 40 / 60])
    # the next goal point comes from D0 at 20 per point
    assert plan.overview["marginal_cost"] == pytest.approx(20.0)
    assert plan.overview["points_per_unit_cost"] == pytest.approx(1 / 20)
    assert bool(alloc.loc["D1", "at_room"]) and not bool(alloc.loc["D0", "at_room"])
    # goal as a level: the same plan
    level = ImprovementPlan(goal=74.0, goal_type="level", costs={"D0": 10.0, "D1": 4.0}).fit(t)
    np.testing.assert_allclose(level.allocation["change"], plan.allocation["change"])


def test_shadow_price_equals_finite_difference():
    rng = np.random.default_rng(4)
    t = table(rng.uniform(0.1, 0.6, (3, 4)), rng.uniform(60, 85, (3, 4)), [70, 72, 68])
    costs = {f"D{j}": float(c) for j, c in enumerate(rng.uniform(1, 9, 4))}
    base = ImprovementPlan(goal=3.0, costs=costs, segment_weights="equal").fit(t)
    up = ImprovementPlan(goal=3.0 + 1e-4, costs=costs, segment_weights="equal").fit(t)
    slope = (up.overview["total_cost"] - base.overview["total_cost"]) / 1e-4
    assert slope == pytest.approx(base.overview["marginal_cost"], rel=1e-6)


# ---------------------------------------------------------------------------------------
# brute force (3 drivers × 2 segments) and alternative formulations
# ---------------------------------------------------------------------------------------

IMP = np.array([[0.4, 0.2, 0.5], [0.3, 0.5, 0.2]])
PERF = np.full((2, 3), 96.0)  # room 4 everywhere
TIERS = {  # breaks at 2 points, increasing marginal cost
    ("S0", "D0"): PiecewiseCost(breaks=(2.0,), rates=(6.0, 10.0)),
    ("S0", "D1"): PiecewiseCost(breaks=(2.0,), rates=(2.0, 8.0)),
    ("S0", "D2"): PiecewiseCost(breaks=(2.0,), rates=(7.0, 9.0)),
    ("S1", "D0"): PiecewiseCost(breaks=(2.0,), rates=(3.0, 12.0)),
    ("S1", "D1"): PiecewiseCost(breaks=(2.0,), rates=(5.0, 6.0)),
    ("S1", "D2"): PiecewiseCost(breaks=(2.0,), rates=(1.0, 9.0)),
}


def _nested(tiers):
    out: dict[str, dict[str, PiecewiseCost]] = {}
    for (s, d), c in tiers.items():
        out.setdefault(s, {})[d] = c
    return out


def _grid_min(goal, weights, step=0.5, scope="overall"):
    """Least cost over every grid point meeting the goal (vectorised brute force)."""
    values = np.arange(0, 4 + 1e-9, step)
    grid = np.array(list(itertools.product(values, repeat=6)))  # S0D0 S0D1 S0D2 S1D0 ...
    cost = np.zeros(len(grid))
    for k, c in enumerate(TIERS.values()):
        x = grid[:, k]
        cost += c.rates[0] * np.minimum(x, 2) + c.rates[1] * np.maximum(x - 2, 0)
    up = grid[:, :3] @ IMP[0], grid[:, 3:] @ IMP[1]
    if scope == "overall":
        ok = weights[0] * up[0] + weights[1] * up[1] >= goal - 1e-9
    else:
        ok = (up[0] >= goal[0] - 1e-9) & (up[1] >= goal[1] - 1e-9)
    best = np.argmin(np.where(ok, cost, np.inf))
    return cost[best], grid[best]


def _vertex_min(goal_coef, goal, tiers_lo_hi_rate):
    """Least cost over the vertices of {lo <= y <= hi, coef·y >= goal}: all variables at a
    bound except at most one, which meets the goal exactly."""
    lo, hi, rate = tiers_lo_hi_rate
    n = len(rate)
    best = math.inf
    for bits in itertools.product([0, 1], repeat=n):
        y = np.where(np.array(bits) == 1, hi, lo)
        if goal_coef @ y >= goal - 1e-12:
            best = min(best, float(rate @ y))
        for free in range(n):
            if goal_coef[free] <= 0:
                continue
            z = y.copy()
            z[free] = (goal - (goal_coef @ y - goal_coef[free] * y[free])) / goal_coef[free]
            if lo[free] - 1e-12 <= z[free] <= hi[free] + 1e-12:
                best = min(best, float(rate @ z))
    return best


def test_brute_force_grid_and_vertices_overall_goal():
    t = table(IMP, PERF, [60.0, 64.0], segments=["S0", "S1"], n=[300, 100])
    weights = np.array([0.75, 0.25])  # respondents
    goal = 1.5
    plan = ImprovementPlan(goal=goal, costs=_nested(TIERS)).fit(t)
    assert plan.status == "optimal"
    np.testing.assert_allclose(plan.segments["weight"], weights)
    grid_cost, _ = _grid_min(goal, weights)
    assert plan.overview["total_cost"] == pytest.approx(grid_cost, abs=1e-9)
    # vertices: tier variables (2 per cell, width 2 each)
    coef, rate = [], []
    for (s, d), c in TIERS.items():
        i, j = int(s[1]), int(d[1])
        for r in c.rates:
            coef.append(weights[i] * IMP[i, j])
            rate.append(r)
    lohi = (np.zeros(12), np.full(12, 2.0), np.array(rate))
    vertex = _vertex_min(np.array(coef), goal, lohi)
    assert plan.overview["total_cost"] == pytest.approx(vertex, abs=1e-9)


def test_brute_force_grid_segment_goals():
    t = table(IMP, PERF, [60.0, 64.0], segments=["S0", "S1"])
    plan = ImprovementPlan(
        goal={"S0": 62.0, "S1": 65.5},
        goal_type="level",
        scope="segment",
        costs=_nested(TIERS),
        segment_weights="equal",
    ).fit(t)
    grid_cost, _ = _grid_min(np.array([2.0, 1.5]), None, scope="segment")
    assert plan.overview["total_cost"] == pytest.approx(grid_cost, abs=1e-9)
    np.testing.assert_allclose(plan.segments["predicted"], [62.0, 65.5], atol=1e-9)


def test_piecewise_equals_epigraph_formulation():
    # The same plan written as min Σ t_sd with t_sd >= every affine piece of the cost
    # curve (an independent LP, not the tier formulation the library uses).
    rng = np.random.default_rng(11)
    s_n, d_n = 4, 5
    imp = rng.uniform(0.05, 0.5, (s_n, d_n))
    perf = rng.uniform(70, 90, (s_n, d_n))
    curves = {
        f"S{i}": {
            f"D{j}": PiecewiseCost(
                breaks=(3.0, 7.0), rates=tuple(np.sort(rng.uniform(1, 10, 3)).round(3))
            )
            for j in range(d_n)
        }
        for i in range(s_n)
    }
    w = rng.uniform(1, 5, s_n)
    t = table(imp, perf, 70.0)
    goal = 4.0
    plan = ImprovementPlan(
        goal=goal, costs=curves, segment_weights={f"S{i}": float(w[i]) for i in range(s_n)}
    ).fit(t)
    wn = w / w.sum()  # R_j / ΣR_i
    n = s_n * d_n
    # variables: x (n), t (n)
    c = np.concatenate([np.zeros(n), np.ones(n)])
    rows, rhs = [], []
    for k in range(n):
        i, j = divmod(k, d_n)
        cv = curves[f"S{i}"][f"D{j}"]
        edges = (0.0, *cv.breaks)
        offset = 0.0
        for m, r in enumerate(cv.rates):
            # piece m: cost = offset + r (x − edges[m]) for x in its tier
            row = np.zeros(2 * n)
            row[k], row[n + k] = r, -1.0
            rows.append(row)
            rhs.append(r * edges[m] - offset)
            if m < len(cv.breaks):
                offset += r * (edges[m + 1] - edges[m])
    goal_row = np.concatenate([-(wn[:, None] * imp).ravel(), np.zeros(n)])
    rows.append(goal_row)
    rhs.append(-goal)
    room = (100 - perf).ravel()
    bounds = [(0, r) for r in room] + [(0, None)] * n
    ref = optimize.linprog(
        c, A_ub=np.array(rows), b_ub=np.array(rhs), bounds=bounds, method="highs"
    )
    assert ref.status == 0
    assert plan.overview["total_cost"] == pytest.approx(ref.fun, rel=1e-9)
    np.testing.assert_allclose(plan.segments["weight"], wn)


def test_quadratic_cost_closed_form_and_slsqp():
    # min Σ c_j x_j² s.t. Σ a_j x_j >= G: x_j = λ a_j / (2 c_j), λ = 2G / Σ a_j² / c_j
    a = np.array([0.5, 0.3, 0.2])
    cq = np.array([2.0, 1.0, 4.0])
    goal = 3.0
    t = table([a], [50.0, 50.0, 50.0], 60.0)
    costs = {f"D{j}": ConvexCost(rate=float(cq[j]), exponent=2.0) for j in range(3)}
    plan = ImprovementPlan(goal=goal, costs=costs).fit(t)
    lam = 2 * goal / np.sum(a**2 / cq)
    expected = lam * a / (2 * cq)
    np.testing.assert_allclose(plan.allocation["change"], expected, rtol=1e-10)
    assert plan.overview["marginal_cost"] == pytest.approx(lam, rel=1e-9)
    assert plan.overview["kkt_stationarity"] < 1e-8
    # a cap that binds: compare with trust-constr on the explicit problem
    capped = ImprovementPlan(goal=goal, costs=costs, max_change={"D1": 2.0}).fit(t)
    ref = optimize.minimize(
        lambda x: float(cq @ x**2),
        np.ones(3),
        jac=lambda x: 2 * cq * x,
        bounds=[(0, 50), (0, 2), (0, 50)],
        constraints=[optimize.LinearConstraint(a[None, :], goal, np.inf)],
        method="trust-constr",
        options={"gtol": 1e-12, "xtol": 1e-12, "maxiter": 5000},
    )
    np.testing.assert_allclose(capped.allocation["change"], ref.x, atol=1e-6)
    assert capped.allocation.loc[("(all)", "D1"), "change"] == pytest.approx(2.0)


@pytest.mark.filterwarnings("ignore:delta_grad == 0.0")  # trust-constr, the oracle
def test_convex_with_segment_budget_uses_slsqp_and_kkt():
    # A segment budget binds, so the bisection shortcut does not apply; the result must
    # match an independent trust-constr solve and satisfy the KKT conditions.
    a = np.array([[0.5, 0.4], [0.3, 0.2]])
    t = table(a, 50.0, [60.0, 60.0])
    costs = {"D0": ConvexCost(rate=1.0), "D1": ConvexCost(rate=2.0, linear=1.0)}
    plan = ImprovementPlan(
        goal=2.0, costs=costs, segment_weights="equal", segment_budgets={"S0": 4.0}
    ).fit(t)
    assert plan.status == "optimal"
    assert plan.settings["solver"] == "slsqp"
    assert plan.segments.loc["S0", "cost"] == pytest.approx(4.0, abs=1e-6)

    def cost(x):
        x = x.reshape(2, 2)
        return float((x[:, 0] ** 2).sum() + (x[:, 1] + 2 * x[:, 1] ** 2).sum())

    def seg0(x):
        return 4.0 - (x[0] ** 2 + x[1] + 2 * x[1] ** 2)

    ref = optimize.minimize(
        cost,
        np.full(4, 1.0),
        bounds=[(0, 50)] * 4,
        constraints=[
            optimize.LinearConstraint((0.5 * a).ravel()[None, :], 2.0, np.inf),
            optimize.NonlinearConstraint(seg0, 0, np.inf),
        ],
        method="trust-constr",
        options={"gtol": 1e-10, "xtol": 1e-12, "maxiter": 5000},
    )
    np.testing.assert_allclose(plan.allocation["change"], ref.x, atol=1e-5)
    assert plan.overview["kkt_stationarity"] < 1e-6
    assert plan.overview["kkt_sign"] < 1e-6


def test_kkt_conditions_from_the_allocation():
    # For linear costs: reduced cost r = rate − λ w a + μ_s a (λ: the goal's multiplier,
    # μ_s: the multiplier of segment s's "target ≤ 100" row when it binds) is 0 on
    # levers strictly inside their room, >= 0 at zero and <= 0 at the room; checked here
    # from the published allocation and shadow prices, not the library's certificate.
    rng = np.random.default_rng(7)
    s_n, d_n = 60, 8
    imp = rng.uniform(0.02, 0.6, (s_n, d_n))
    rates = rng.uniform(1, 20, (s_n, d_n))
    t = table(
        imp,
        rng.uniform(55, 95, (s_n, d_n)),
        rng.uniform(60, 80, s_n),
        n=rng.integers(50, 400, s_n),
    )
    costs = {f"S{i}": {f"D{j}": float(rates[i, j]) for j in range(d_n)} for i in range(s_n)}
    plan = ImprovementPlan(goal=5.0, costs=costs).fit(t)
    lam = plan.overview["marginal_cost"]
    w = plan.segments["weight"].to_numpy()
    caps = plan.constraints[plan.constraints["kind"] == "target_cap"]
    assert len(caps) >= 1  # cheap, heavy segments are pushed to 100 here
    mu = np.zeros(s_n)
    for _, row in caps.iterrows():
        mu[int(row["segment"][1:])] = row["shadow_price"]
    assert np.all(mu >= 0)
    x = plan.allocation["change"].to_numpy().reshape(s_n, d_n)
    room = plan.allocation["room"].to_numpy().reshape(s_n, d_n)
    r = rates - lam * w[:, None] * imp + mu[:, None] * imp
    inside = (x > 1e-9) & (x < room - 1e-9)
    assert inside.any()
    assert np.all(np.abs(r[inside]) < 1e-9 * rates.max())
    assert np.all(r[x <= 1e-9] >= -1e-9)
    assert np.all(r[x >= room - 1e-9] <= 1e-9)
    # complementary slackness: a segment below 100 has no cap multiplier
    predicted = plan.segments["predicted"].to_numpy()
    assert np.all(mu[predicted < 100 - 1e-9] == 0)
    assert plan.overview["kkt_stationarity"] < 1e-9
    assert plan.overview["kkt_primal"] < 1e-9


def test_frontier_is_monotone_and_convex(acsi):
    plan = ImprovementPlan(
        goal=2.0,
        costs={
            "Quality": PiecewiseCost(breaks=(3.0,), rates=(8.0, 20.0)),
            "Value": 4.0,
            "Expectations": ConvexCost(rate=0.5, linear=5.0),
        },
        frontier_points=9,
    ).fit(acsi)
    f = plan.frontier
    assert len(f) == 9 and f["cost"].iloc[0] == pytest.approx(0.0, abs=1e-9)
    assert np.all(np.diff(f["uplift"]) > 0)
    assert np.all(np.diff(f["cost"]) >= -1e-7)
    slopes = np.diff(f["cost"]) / np.diff(f["uplift"])
    assert np.all(np.diff(slopes) >= -1e-4 * slopes.max())  # convex in the uplift
    assert f["uplift"].iloc[-1] == pytest.approx(plan.overview["max_uplift"], rel=1e-9)
    # the plan's own point lies on the frontier (interpolated between grid points)
    on_curve = np.interp(plan.overview["uplift"], f["uplift"], f["cost"])
    assert plan.overview["total_cost"] <= on_curve + 1e-6


# ---------------------------------------------------------------------------------------
# constraints, infeasibility, weights
# ---------------------------------------------------------------------------------------


def test_infeasible_goal_is_a_result_with_the_reason():
    # max reachable = Σ a · room = 0.5·10 + 0.3·10 = 8
    t = table([[0.5, 0.3]], [90.0, 90.0], 70.0)
    plan = ImprovementPlan(goal=9.0, costs={"D0": 10.0, "D1": 4.0}).fit(t)
    assert plan.status == "infeasible"
    assert plan.overview["max_uplift"] == pytest.approx(8.0)
    assert "at most 8" in plan.reason and "room" in plan.reason
    np.testing.assert_allclose(plan.allocation["change"], [10.0, 10.0])
    assert any("cannot be reached" in n for n in plan.notes)
    assert result_from_json(plan.to_json()) == plan


def test_budget_binds_and_buys_index_points():
    # budget 30: D1 (13.33 per point) first: 30 buys 30/4 = 7.5 points of D1 → 2.25
    # target points; one more unit of budget buys 0.3 / 4 = 0.075 points.
    t = table([[0.5, 0.3]], [90.0, 90.0], 70.0)
    plan = ImprovementPlan(goal=4.0, costs={"D0": 10.0, "D1": 4.0}, budget=30.0).fit(t)
    assert plan.status == "infeasible"
    assert plan.overview["max_uplift"] == pytest.approx(2.25)
    assert "budget of 30 binds" in plan.reason and "0.075" in plan.reason
    assert plan.constraints.loc["budget", "shadow_price"] == pytest.approx(0.075)
    ok = ImprovementPlan(goal=2.0, costs={"D0": 10.0, "D1": 4.0}, budget=30.0).fit(t)
    assert ok.status == "optimal" and not bool(ok.constraints.loc["budget", "binding"])


def test_segment_budget_moves_effort_to_the_other_segment():
    t = table([[0.5, 0.3], [0.5, 0.3]], 80.0, 70.0, segments=["A", "B"])
    costs = {"A": {"D0": 1.0, "D1": 50.0}, "B": {"D0": 2.0, "D1": 50.0}}
    free = ImprovementPlan(goal=4.0, costs=costs, segment_weights="equal").fit(t)
    # cheapest: A's D0 (2 per weighted point) to its room 20 → 5 points
    assert free.allocation.loc[("A", "D0"), "change"] == pytest.approx(16.0)
    capped = ImprovementPlan(
        goal=4.0, costs=costs, segment_weights="equal", segment_budgets={"A": 10.0}
    ).fit(t)
    # A spends 10 → 10 points of D0 → 2.5 weighted; the rest (1.5) from B's D0: 6 points
    assert capped.allocation.loc[("A", "D0"), "change"] == pytest.approx(10.0)
    assert capped.allocation.loc[("B", "D0"), "change"] == pytest.approx(6.0)
    assert bool(capped.constraints.loc["budget A", "binding"])


def test_fixed_forbidden_and_caps():
    t = table([[0.5, 0.3, 0.4]], [90.0, 90.0, 80.0], 70.0)
    costs = {"D0": 10.0, "D1": 4.0, "D2": 1.0}
    plan = ImprovementPlan(
        goal=4.0, costs=costs, fixed={"D0": 1.0}, forbidden=("D2",), max_change={"D1": 5.0}
    ).fit(t)
    x = plan.allocation["change"].to_numpy()
    # D0 fixed at 1 (0.5 points), D2 forbidden, D1 capped at 5 (1.5 points): the rest
    # of the goal (2 points) cannot come from anywhere → infeasible, max 2
    assert plan.status == "infeasible"
    assert plan.overview["max_uplift"] == pytest.approx(2.0)
    np.testing.assert_allclose(x, [1.0, 5.0, 0.0])
    ok = ImprovementPlan(goal=1.5, costs=costs, fixed={"D0": 1.0}, forbidden=("D2",)).fit(t)
    np.testing.assert_allclose(ok.allocation["change"], [1.0, 10 / 3, 0.0])
    assert ok.overview["total_cost"] == pytest.approx(10.0 + 4 * 10 / 3)


def test_seed_weights_rj_over_sum_ri():
    # Sample report 2 of the seed: weights R_j normalised as R_j / ΣR_i.
    t = table([[0.5], [0.25]], 80.0, [70.0, 60.0], segments=["East", "West"])
    plan = ImprovementPlan(
        goal=1.0, costs={"D0": 1.0}, segment_weights={"East": 3.0, "West": 1.0}
    ).fit(t)
    np.testing.assert_allclose(plan.segments["weight"], [0.75, 0.25])
    assert plan.overview["current"] == pytest.approx(0.75 * 70 + 0.25 * 60)
    # East: 0.75·0.5 = 0.375 weighted points per unit of cost, West 0.0625: East first
    assert plan.allocation.loc[("East", "D0"), "change"] == pytest.approx(1 / 0.375)


def test_segment_goal_level_already_reached_needs_nothing():
    t = table([[0.5], [0.5]], 80.0, [70.0, 75.0], segments=["A", "B"])
    plan = ImprovementPlan(goal=72.0, goal_type="level", scope="segment", costs={"D0": 1.0}).fit(
        t.assign(n=10)
    )
    np.testing.assert_allclose(plan.segments["uplift"], [2.0, 0.0], atol=1e-9)
    assert any("already above" in n for n in plan.notes)


# ---------------------------------------------------------------------------------------
# what-if
# ---------------------------------------------------------------------------------------


def test_what_if_construct_and_indicator_level(acsi):
    imp = acsi.ipma("Satisfaction")["importance"]
    w = acsi.what_if({"Quality": 3.0, "Value": 2.0})
    assert w.change == pytest.approx(3 * imp["Quality"] + 2 * imp["Value"], rel=1e-12)
    # Quality also raises Value along Quality → Value
    chain = acsi.ipma("Value")["importance"]["Quality"]
    assert w.drivers.loc["Value", "predicted"] == pytest.approx(
        acsi.indices.loc["Value", "index"] + 2.0 + 3.0 * chain
    )
    items = acsi.ipma("Satisfaction", level="indicator")["importance"]
    wi = what_if(acsi, {"QUAL1": 4.0, "VAL2": -1.0})
    assert wi.change == pytest.approx(4 * items["QUAL1"] - items["VAL2"], rel=1e-12)
    # capped at the scale maximum
    big = acsi.what_if({"Quality": 50.0})
    room = 100 - acsi.indices.loc["Quality", "index"]
    assert big.drivers.loc["Quality", "change"] == pytest.approx(room)
    assert bool(big.drivers.loc["Quality", "capped"])
    assert big.change == pytest.approx(room * imp["Quality"])
    assert result_from_json(big.to_json()) == big


@pytest.mark.filterwarnings("ignore::csimodels.errors.ResamplingWarning")  # 25 resamples
def test_what_if_bootstrap_interval_matches_refits():
    # Oracle: refit the model on the resamples themselves and take the IPMA importance
    # of each refit; the what-if draws are the bootstrap's recorded importance, which
    # uses each resample's own standard deviations, so the two agree to rounding.
    sim = csi.datasets.simulate_csi_survey("acsi", n=400, random_state=5)
    model = csi.ACSI(indicators=sim.data.constructs)
    rng = np.random.default_rng(0)
    resamples = rng.integers(0, 400, (25, 400))
    res = model.fit(sim.data, resamples=resamples, bootstrap=25)
    w = res.what_if({"Quality": 3.0, "Value": 2.0}, level=0.9)
    refit = []
    frame = sim.data.frame
    for rows in resamples:
        part = sim.data.model_copy(update={"frame": frame.iloc[rows].reset_index(drop=True)})
        imp = model.fit(part).ipma("Satisfaction")["importance"]
        refit.append(3 * imp["Quality"] + 2 * imp["Value"])
    refit = np.array(refit)
    ours = res.bootstrap.draws  # same resamples in the same order
    assert len(ours) == 25
    lo, hi = np.quantile(refit, [0.05, 0.95])
    assert w.prediction["ci_lower"].iloc[0] == pytest.approx(lo, rel=1e-9)
    assert w.prediction["ci_upper"].iloc[0] == pytest.approx(hi, rel=1e-9)
    assert w.prediction["std_error"].iloc[0] == pytest.approx(refit.std(ddof=1), rel=1e-9)


def test_what_if_on_segments(acsi_by_region):
    w = what_if(acsi_by_region, {"Quality": 2.0}, segment="North")
    imp = acsi_by_region["North"].ipma("Satisfaction")["importance"]["Quality"]
    assert w.change == pytest.approx(2 * imp)
    with pytest.raises(SpecificationError, match="no fitted segment 'Nowhere'"):
        what_if(acsi_by_region, {"Quality": 2.0}, segment="Nowhere")


def test_driver_analysis_simulation_recovers_true_uplift():
    # y = 1 + 0.4 x1 + 0.25 x2 + 0.1 x3 + e on one 1–10 scale: the slope is the true
    # index points of y per index point of x.
    rng = np.random.default_rng(21)
    n = 3000
    x = rng.normal(5.5, 1.0, (n, 3))
    y = 1 + x @ np.array([0.4, 0.25, 0.1]) + rng.normal(0, 0.6, n)
    df = pd.DataFrame(np.column_stack([x, y]), columns=["A1", "A2", "A3", "OV"])
    da = csi.DriverAnalysis(attributes=["A1", "A2", "A3"], overall="OV", methods=["slope"]).fit(
        df, bootstrap=200, random_state=3
    )
    w = da.what_if({"A1": 5.0, "A2": 5.0}, scale=(1, 10))
    truth = 5 * 0.4 + 5 * 0.25
    se = float(w.prediction["std_error"].iloc[0])
    assert abs(w.change - truth) < 3 * se
    # the interval is the percentile interval of the slope draws combined
    draws = da.bootstrap_draws[[("slope", "A1"), ("slope", "A2")]].to_numpy() @ [5.0, 5.0]
    assert w.prediction["ci_lower"].iloc[0] == pytest.approx(np.quantile(draws, 0.025))
    plan = ImprovementPlan(goal=2.0, costs={"A1": 3.0, "A2": 1.0, "A3": 1.0}, scale=(1, 10)).fit(da)
    xs = plan.allocation["change"].to_numpy()
    true_uplift = xs @ np.array([0.4, 0.25, 0.1])
    lo, hi = plan.overview["uplift_ci_lower"], plan.overview["uplift_ci_upper"]
    assert lo < 2.0 < hi
    assert abs(true_uplift - 2.0) < 3 * (hi - lo) / (2 * 1.96)  # within 3 bootstrap SEs


# ---------------------------------------------------------------------------------------
# simulation with the CSI simulator: the planned uplift is the true one
# ---------------------------------------------------------------------------------------


def test_planned_shifts_raise_the_true_index_by_the_planned_uplift():
    # Continuous answers centre + spread (λη + noise) on a 1–10 scale (no clipping), equal
    # loadings: pushing construct d's disturbance so that its index rises x_d points
    # raises the Satisfaction index by Σ_d x_d TE_true(d → Satisfaction) (the simulator's
    # generating equations; TE = (I − B)⁻¹). PLSc estimates the latent effects.
    sim = csi.datasets.simulate_csi_survey(
        "acsi", n=3000, loadings=0.9, centre=5.5, spread=0.75, discrete=False, random_state=3
    )
    data = csi.SurveyData.from_frame(
        sim.frame, items=list(sim.data.items), scale=(1, 10), constructs=sim.data.constructs
    )
    res = csi.ACSI(indicators=data.constructs, consistent=True).fit(
        data, bootstrap=csi.Bootstrap(n=200, random_state=1)
    )
    plan = ImprovementPlan(
        goal=3.0,
        costs={
            "Expectations": ConvexCost(rate=1.0),
            "Quality": ConvexCost(rate=1.5),
            "Value": ConvexCost(rate=0.5),
        },
    ).fit(res)
    constructs = ["Expectations", "Quality", "Value", "Satisfaction", "Complaints", "Loyalty"]
    beta = np.zeros((6, 6))
    for (a, b), v in sim.paths.items():
        beta[constructs.index(a), constructs.index(b)] = v
    te = np.linalg.inv(np.eye(6) - beta)
    x = plan.allocation.xs("(all)", level="segment")["change"]
    assert (x[["Expectations", "Quality", "Value"]] > 0.5).all()  # all three used
    true_uplift = sum(x[d] * te[constructs.index(d), 3] for d in x.index)
    lo, hi = plan.overview["uplift_ci_lower"], plan.overview["uplift_ci_upper"]
    assert plan.overview["uplift"] == pytest.approx(3.0)
    assert lo < true_uplift < hi
    assert abs(true_uplift - 3.0) < 0.25  # within sampling error (half-width ~0.2)


# ---------------------------------------------------------------------------------------
# per-segment plans on a fitted SegmentedResult, evaluation next period
# ---------------------------------------------------------------------------------------


def test_segmented_pls_plan_and_json(acsi_by_region):
    plan = ImprovementPlan(goal=1.0, costs={"Quality": 10.0, "Value": 5.0}, scope="segment").fit(
        acsi_by_region
    )
    assert list(plan.segments.index) == ["East", "North", "South", "West"]
    for seg in plan.segments.index:
        own = ImprovementPlan(goal=1.0, costs={"Quality": 10.0, "Value": 5.0}).fit(
            acsi_by_region[seg]
        )
        assert plan.segments.loc[seg, "cost"] == pytest.approx(own.overview["total_cost"])
    again = result_from_json(plan.to_json())
    assert again == plan
    assert "Improvement plan" in str(plan.summary())


def test_evaluate_against_shifted_data_and_welch(demo, acsi):
    # Next period = this survey with every Quality item raised by 0.9 answer points
    # (= 10 index points; no answer reaches 10 after the clip below, so it is exact).
    frame = demo.frame.copy()
    items = ["QUAL1", "QUAL2", "QUAL3"]
    base = frame[items].clip(upper=9.0)
    frame[items] = base
    before = demo.model_copy(update={"frame": frame})
    res = csi.ACSI(indicators=demo.constructs).fit(before)
    plan = ImprovementPlan(goal=2.0, costs={"Quality": 1.0}).fit(res)
    after = frame.copy()
    after[items] = base + 0.9
    ev = plan.evaluate(before.model_copy(update={"frame": after}))
    d = ev.drivers.xs("(all)", level="segment")
    assert d.loc["Quality", "realised"] == pytest.approx(10.0, abs=1e-9)
    assert d.loc["Value", "realised"] == pytest.approx(0.0, abs=1e-9)
    t = ev.targets.loc["(all)"]
    assert t["realised"] == pytest.approx(0.0, abs=1e-9)  # satisfaction items unchanged
    push = plan.allocation.loc[("(all)", "Quality"), "change"]
    imp = plan.allocation.loc[("(all)", "Quality"), "importance"]
    # the target gap (−2) is explained by Quality's excess push, the rest unexplained
    assert d.loc["Quality", "gap_contribution"] == pytest.approx(imp * (10.0 - push))
    assert t["explained_by_drivers"] + t["unexplained"] == pytest.approx(t["difference"])
    # z test of Quality's realised − planned change against Welch's t on respondents
    ri_old = res.respondent_indices["Quality"].to_numpy()
    ri_new = ri_old + 10.0  # the same respondents, each 10 points up
    planned = d.loc["Quality", "planned"]
    welch = stats.ttest_ind(ri_new - planned, ri_old, equal_var=False)
    if res.settings.get("weight") is None:
        assert d.loc["Quality", "z"] == pytest.approx(welch.statistic, rel=1e-9)
    assert result_from_json(ev.to_json()) == ev


def test_plot_frontier_and_allocation(acsi_by_region):
    import matplotlib

    matplotlib.use("Agg")
    plan = ImprovementPlan(goal=1.0, costs={"Quality": 10.0, "Value": 5.0}).fit(acsi_by_region)
    ax = plan.plot()
    assert ax.get_xlabel().startswith("uplift of Satisfaction")
    ax2 = plan.plot("allocation", language="zh", labels="label")
    assert ax2.get_xlabel() == "成本"
    with pytest.raises(InvalidParameterError, match="kind"):
        plan.plot("pie")
    import matplotlib.pyplot as plt

    plt.close("all")


# ---------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------


def test_bad_inputs(acsi, acsi_by_region):
    t = table([[0.5, 0.3]], [90.0, 100.0], 70.0)
    with pytest.raises(SpecificationError, match="unknown driver 'Price'"):
        ImprovementPlan(goal=1.0, costs={"Price": 3.0}).fit(acsi)
    with pytest.raises(SpecificationError, match="unknown segment 'Mars'"):
        ImprovementPlan(goal=1.0, costs={"Mars": {"Quality": 1.0}}).fit(acsi_by_region)
    with pytest.raises(InvalidParameterError, match=r"driver .Quality..*non-negative"):
        ImprovementPlan(goal=1.0, costs={"Quality": -2.0})
    with pytest.raises(InvalidParameterError, match="rates must not decrease"):
        PiecewiseCost(breaks=(2.0,), rates=(5.0, 1.0))
    with pytest.raises(DataValidationError, match="above the scale maximum 100"):
        ImprovementPlan(goal=40.0, costs=1.0).fit(acsi)
    with pytest.raises(InvalidParameterError, match="a level goal is a 0–100 index"):
        ImprovementPlan(goal=120.0, goal_type="level", costs=1.0)
    with pytest.raises(DataValidationError, match="below the current Satisfaction index"):
        ImprovementPlan(goal=50.0, goal_type="level", costs=1.0).fit(acsi)
    with pytest.raises(InvalidParameterError, match="uplift goal must be >= 0"):
        ImprovementPlan(goal=-1.0, costs=1.0)
    with pytest.raises(DataValidationError, match=r"'D1' .*already at the scale maximum"):
        ImprovementPlan(goal=1.0, costs={"D0": 1.0, "D1": 1.0}).fit(t)
    with pytest.raises(DataValidationError, match="fixed push of 20 points on 'D0'"):
        ImprovementPlan(goal=1.0, costs={"D0": 1.0}, fixed={"D0": 20.0}).fit(t)
    # a result without the needed effects
    da = csi.DriverAnalysis(attributes=["QUAL1", "VAL1"], overall="SAT1", methods=["lmg"]).fit(
        _small_frame()
    )
    with pytest.raises(SpecificationError, match="no 'slope' estimates"):
        ImprovementPlan(goal=1.0, costs=1.0, scale=(1, 10)).fit(da)
    with pytest.raises(DataValidationError, match="pass scale="):
        what_if(da, {"QUAL1": 1.0})
    with pytest.raises(SpecificationError, match="has no drivers"):
        ImprovementPlan(goal=1.0, costs=1.0, target="Expectations").fit(acsi)
    with pytest.raises(SpecificationError, match="no construct named 'Happiness'"):
        acsi.what_if({"Quality": 1.0}, target="Happiness")
    with pytest.raises(SpecificationError, match="has no effect on 'Satisfaction'"):
        acsi.what_if({"Loyalty": 1.0})
    with pytest.raises(SpecificationError, match="neither a construct nor an indicator"):
        acsi.what_if({"Price": 1.0})
    with pytest.raises(InvalidParameterError, match="must be a finite number"):
        acsi.what_if({"Quality": float("nan")})
    with pytest.raises(SpecificationError, match="no driver effects"):
        ImprovementPlan(goal=1.0, costs=1.0).fit(csi.datasets.load_example("acsi_demo").describe())
    with pytest.raises(DataValidationError, match="lacks column"):
        ImprovementPlan(goal=1.0, costs=1.0).fit(pd.DataFrame({"driver": ["a"]}))
    with pytest.raises(SpecificationError, match="segment_weights gives no weight"):
        ImprovementPlan(goal=1.0, costs=1.0, segment_weights={"East": 1.0}).fit(acsi_by_region)
    with pytest.raises(InvalidParameterError, match="needs scope='segment'"):
        ImprovementPlan(goal={"East": 1.0}, costs=1.0)


def _small_frame():
    rng = np.random.default_rng(1)
    x = rng.integers(1, 11, (200, 2)).astype(float)
    y = np.clip(np.rint(0.5 * x.sum(axis=1) / 2 + rng.normal(0, 1, 200)), 1, 10)
    return pd.DataFrame({"QUAL1": x[:, 0], "VAL1": x[:, 1], "SAT1": y})


def test_plan_does_not_mutate_inputs():
    t = table([[0.5, 0.3]], [90.0, 90.0], 70.0)
    copy = t.copy()
    costs = {"D0": 10.0, "D1": 4.0}
    plan = ImprovementPlan(goal=4.0, costs=costs)
    plan.fit(t)
    pd.testing.assert_frame_equal(t, copy)
    assert costs == {"D0": 10.0, "D1": 4.0}
