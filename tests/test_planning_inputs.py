"""Planning inputs and paths: indicator levers, chains between constructs, mixed costs,
per-segment bootstrap intervals, evaluation against other inputs, driver-table checks.

Oracles: the same plan written as a driver table or as an explicit ``linprog``; a 1-D
brute force for a mixed (tiered + convex) cost; the per-resample arithmetic of the
bootstrap draws.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

import csimodels as csi
from csimodels.errors import DataValidationError, SpecificationError
from csimodels.planning import ConvexCost, ImprovementPlan, PiecewiseCost
from csimodels.results import result_from_json


@pytest.fixture(scope="module")
def demo():
    return csi.datasets.load_example("acsi_demo")


@pytest.fixture(scope="module")
def acsi(demo):
    return csi.ACSI(indicators=demo.constructs).fit(demo)


def test_indicator_levers_equal_the_same_driver_table(acsi):
    ipma = acsi.ipma("Satisfaction", level="indicator")
    rng = np.random.default_rng(2)
    costs = {i: float(c) for i, c in zip(ipma.index, rng.uniform(1, 5, len(ipma)), strict=True)}
    plan = ImprovementPlan(goal=2.5, costs=costs, max_change=6.0).fit(acsi)
    assert plan.settings["levers"] == "indicator"
    frame = pd.DataFrame(
        {
            "driver": ipma.index,
            "importance": ipma["importance"].to_numpy(),
            "performance": ipma["performance"].to_numpy(),
            "target_level": float(acsi.indices.loc["Satisfaction", "index"]),
        }
    )
    ref = ImprovementPlan(goal=2.5, costs=costs, max_change=6.0).fit(frame)
    assert plan.overview["total_cost"] == pytest.approx(ref.overview["total_cost"], rel=1e-12)
    np.testing.assert_allclose(plan.allocation["change"], ref.allocation["change"], atol=1e-9)


def test_chains_keep_downstream_drivers_on_the_scale(acsi):
    # Pushing Quality raises Value by chain = TE(Quality → Value) on 0–100; with both
    # levers cheap and a large goal, Value's predicted score must stop at 100. Oracle:
    # the LP written out by hand, with the chain row x_V + chain · x_Q <= 100 − P_V.
    imp = acsi.ipma("Satisfaction")["importance"]
    chain = acsi.ipma("Value")["importance"]["Quality"]
    perf = acsi.indices["index"]
    costs = {"Quality": 3.0, "Value": 1.0}
    goal = 14.0
    plan = ImprovementPlan(goal=goal, costs=costs).fit(acsi)
    room_q, room_v = 100 - perf["Quality"], 100 - perf["Value"]
    ref = optimize.linprog(
        [3.0, 1.0],
        A_ub=[[-imp["Quality"], -imp["Value"]], [chain, 1.0], [imp["Quality"], imp["Value"]]],
        b_ub=[-goal, room_v, 100 - perf["Satisfaction"]],
        bounds=[(0, room_q), (0, room_v)],
        method="highs",
    )
    x = plan.allocation.xs("(all)", level="segment")
    assert plan.overview["total_cost"] == pytest.approx(ref.fun, rel=1e-9)
    np.testing.assert_allclose(x.loc[["Quality", "Value"], "change"], ref.x, atol=1e-8)
    assert x.loc["Value", "predicted"] == pytest.approx(100.0)
    assert "Value ≤ 100 (all)" in plan.constraints.index


def test_mixed_tiers_and_convex_against_1d_brute_force():
    # D0 tiered, D1 convex, one goal row: x1 follows from x0 on the goal line, so a fine
    # 1-D grid over x0 gives the optimum to grid accuracy.
    a0, a1, goal = 0.4, 0.3, 3.0
    tiers = PiecewiseCost(breaks=(3.0,), rates=(2.0, 6.0))
    curve = ConvexCost(rate=0.4, exponent=1.5, linear=1.0)
    frame = pd.DataFrame(
        {
            "driver": ["D0", "D1"],
            "importance": [a0, a1],
            "performance": [90.0, 80.0],
            "target_level": 70.0,
        }
    )
    plan = ImprovementPlan(goal=goal, costs={"D0": tiers, "D1": curve}).fit(frame)
    assert plan.settings["solver"] == "slsqp"
    x0 = np.linspace(0, 10, 200_001)
    x1 = (goal - a0 * x0) / a1
    ok = (x1 >= 0) & (x1 <= 20)
    cost = np.array([tiers.cost(v) for v in x0[ok][::50]])  # coarse pass
    i = int(np.argmin(cost + np.array([curve.cost(v) for v in x1[ok][::50]])))
    lo, hi = max(0, i - 2) * 50, min(ok.sum() - 1, (i + 2) * 50)
    fine = [
        tiers.cost(u) + curve.cost(v) for u, v in zip(x0[ok][lo:hi], x1[ok][lo:hi], strict=True)
    ]
    assert plan.overview["total_cost"] == pytest.approx(min(fine), rel=1e-6)
    assert plan.overview["kkt_stationarity"] < 1e-6


def test_costs_as_a_frame_and_seed_weights_per_segment(demo):
    by = csi.ACSI(indicators=demo.constructs).fit(demo, by="region")
    segs = by.labels
    costs = pd.DataFrame(
        {"Quality": [10.0, 12.0, 8.0, 15.0], "Value": [5.0, 4.0, 6.0, 5.0]},
        index=pd.Index(segs, name="region"),
    )
    revenue = {"East": 40.0, "North": 25.0, "South": 20.0, "West": 15.0}
    plan = ImprovementPlan(goal=1.0, costs=costs, segment_weights=revenue).fit(by)
    np.testing.assert_allclose(plan.segments["weight"], [0.40, 0.25, 0.20, 0.15])
    idx = {s: by[s].indices.loc["Satisfaction", "index"] for s in segs}
    assert plan.overview["current"] == pytest.approx(sum(revenue[s] * idx[s] for s in segs) / 100)
    assert plan.overview["uplift"] == pytest.approx(1.0)
    assert result_from_json(plan.to_json()) == plan


@pytest.mark.filterwarnings("ignore::csimodels.errors.ResamplingWarning")  # 60 resamples
def test_segmented_bootstrap_interval_combines_segment_draws(demo):
    by = csi.ACSI(indicators=demo.constructs).fit(
        demo, by="region", bootstrap=csi.Bootstrap(n=60, random_state=3)
    )
    plan = ImprovementPlan(
        goal=1.0, costs={"Quality": 10.0, "Value": 5.0}, segment_weights="equal"
    ).fit(by)
    lo, hi = plan.overview["uplift_ci_lower"], plan.overview["uplift_ci_upper"]
    assert lo < 1.0 < hi
    # Oracle: the plan's uplift in each resample is the weighted sum of the segments'
    # pushes times that resample's IPMA importance (the bootstrap records it with the
    # resample's own standard deviations; tests/test_bootstrap.py checks those draws
    # against refits of the resampled rows); segment draws are paired by resample.
    total = np.zeros(60)
    for s in by.labels:
        draws = by[s].bootstrap.draws
        x = plan.allocation.xs(s, level="segment")["change"]
        for d in ("Quality", "Value"):
            total += 0.25 * x[d] * draws[("importance", f"{d} -> Satisfaction")].to_numpy()
    ref_lo, ref_hi = np.quantile(total, [0.025, 0.975])
    assert lo == pytest.approx(ref_lo, rel=1e-10)
    assert hi == pytest.approx(ref_hi, rel=1e-10)


def test_evaluate_a_driver_analysis_plan(demo):
    da = csi.DriverAnalysis(attributes=["QUAL1", "VAL1"], overall="SAT1", methods=["slope"]).fit(
        demo
    )
    plan = ImprovementPlan(goal=1.0, costs={"QUAL1": 2.0, "VAL1": 3.0}, scale=(1, 10)).fit(da)
    frame = demo.frame.copy()
    frame["QUAL1"] = frame["QUAL1"].clip(upper=9.0)
    same = plan.evaluate(demo)
    assert same.targets.loc["(all)", "realised"] == pytest.approx(0.0, abs=1e-9)
    assert any("baseline's sampling error is unknown" in n for n in same.notes)
    # one answer point on a 1–10 scale is 100/9 index points
    shifted = demo.frame.copy()
    shifted["SAT1"] = shifted["SAT1"] - 1.0
    ev = plan.evaluate(demo.model_copy(update={"frame": shifted}))
    assert ev.targets.loc["(all)", "realised"] == pytest.approx(-100 / 9, abs=1e-9)


def test_evaluate_against_next_periods_fitted_result(demo, acsi):
    plan = ImprovementPlan(goal=1.0, costs={"Quality": 10.0}).fit(acsi)
    ev = plan.evaluate(acsi)
    np.testing.assert_allclose(ev.drivers["realised"], 0.0, atol=1e-9)
    assert ev.targets.loc["(all)", "difference"] == pytest.approx(-1.0)


def test_driver_table_checks():
    good = pd.DataFrame(
        {
            "driver": ["a", "b"],
            "importance": [0.2, 0.3],
            "performance": [70.0, 80.0],
            "target_level": 60.0,
        }
    )
    plan = ImprovementPlan(goal=1.0, costs=1.0)
    with pytest.raises(DataValidationError, match="outside"):
        plan.fit(good.assign(performance=[70.0, 120.0]))
    with pytest.raises(DataValidationError, match="finite numbers"):
        plan.fit(good.assign(importance=[0.2, np.nan]))
    with pytest.raises(DataValidationError, match="twice"):
        plan.fit(pd.concat([good, good.iloc[:1]]))
    with pytest.raises(DataValidationError, match="same on every row"):
        plan.fit(good.assign(segment="x", target_level=[60.0, 61.0]))
    with pytest.raises(DataValidationError, match="every segment needs a row"):
        plan.fit(pd.concat([good.assign(segment="x"), good.iloc[:1].assign(segment="y")]))
    with pytest.raises(DataValidationError, match="'n' column"):
        plan.fit(pd.concat([good.assign(segment="x"), good.assign(segment="y")]))
    two = pd.concat([good.assign(segment="x", n=10), good.assign(segment="y", n=30)])
    with pytest.raises(SpecificationError, match="unknown segment 'z'"):
        ImprovementPlan(goal=1.0, costs=1.0, segment_budgets={"z": 3.0}).fit(two)
    with pytest.raises(DataValidationError, match="below the current"):
        ImprovementPlan(
            goal={"x": 50.0, "y": 70.0}, goal_type="level", scope="segment", costs=1.0
        ).fit(two)
    with pytest.raises(SpecificationError, match="give none for segment"):
        ImprovementPlan(goal=1.0, costs={"x": {"a": 1.0}}).fit(two)
    ok = ImprovementPlan(goal=1.0, costs=1.0).fit(two)
    np.testing.assert_allclose(ok.segments["weight"], [0.25, 0.75])


def test_large_convex_plans_use_refined_secants(monkeypatch):
    # Above SLSQP_MAX_VARIABLES a convex plan that bisection cannot solve (a binding
    # segment budget) is solved over refined secant tiers; it must match SLSQP.
    from csimodels.planning import _solver

    rng = np.random.default_rng(5)
    s_n, d_n = 6, 4
    frame = pd.DataFrame(
        {
            "segment": np.repeat([f"S{i}" for i in range(s_n)], d_n),
            "driver": np.tile([f"D{j}" for j in range(d_n)], s_n),
            "importance": rng.uniform(0.05, 0.4, s_n * d_n),
            "performance": rng.uniform(60, 90, s_n * d_n),
            "target_level": np.repeat(rng.uniform(60, 75, s_n), d_n),
            "n": np.repeat(rng.integers(50, 300, s_n), d_n),
        }
    )
    costs = {
        f"S{i}": {f"D{j}": ConvexCost(rate=float(rng.uniform(0.2, 2))) for j in range(d_n)}
        for i in range(s_n)
    }
    plan = ImprovementPlan(goal=3.0, costs=costs, segment_budgets={"S0": 0.5, "S1": 0.3})
    exact = plan.fit(frame)
    assert exact.settings["solver"] == "slsqp"
    monkeypatch.setattr(_solver, "SLSQP_MAX_VARIABLES", 5)
    approx = plan.fit(frame)
    assert "secant" in approx.settings["solver"]
    assert any("secant tiers" in n for n in approx.notes)
    assert approx.overview["total_cost"] == pytest.approx(exact.overview["total_cost"], rel=1e-4)
    assert np.all(approx.segments["cost"].iloc[:2] <= [0.5 + 1e-9, 0.3 + 1e-9])
    np.testing.assert_allclose(approx.allocation["change"], exact.allocation["change"], atol=0.02)
