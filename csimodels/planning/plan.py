"""The least-cost improvement plan that reaches a target index."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

from csimodels._settings import Settings
from csimodels.errors import (
    DataValidationError,
    EstimationError,
    SpecificationError,
    format_offenders,
)
from csimodels.inference import check_resample_count
from csimodels.planning import _solver as solver
from csimodels.planning._inputs import DriverTable, build_table, is_pls, segment_results
from csimodels.planning.costs import ConvexCost, CostCurve, PiecewiseCost
from csimodels.planning.result import PlanResult

__all__ = ["ImprovementPlan"]

_ROOM_TOL = 1e-9


def _check_cost_value(value: Any, where: str) -> None:
    if isinstance(value, (PiecewiseCost, ConvexCost)):
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(
            f"the cost of {where} must be a number (cost per point), a PiecewiseCost or a "
            f"ConvexCost, got {value!r}"
        )
    if not math.isfinite(value) or value < 0:
        raise ValueError(
            f"the cost of {where} must be a finite non-negative cost per point, got {value!r}"
        )


class ImprovementPlan(Settings):
    """Least total cost of driver improvements that brings the target index to a goal.

    The plan pushes drivers (constructs or indicators of a PLS model, attributes of a
    driver analysis, or the rows of a driver table) by ``x`` points on their 0–100
    scores. Each point of a driver is worth its IPMA importance in target points
    (:meth:`csimodels.PLSResult.ipma`), and costs what its cost curve says. The plan
    minimises the total cost subject to the predicted target reaching the goal,
    overall (segments weighted) or in every segment, with the room each driver has
    left, caps, budgets and fixed or forbidden levers. This is the annual plan of
    the practice guides: the least extra resource per region × indicator that reaches
    the target uplift, with the predicted scores and each one's share of the
    resources (以追加资源投入最少为原则).

    Attributes
    ----------
    goal : float or dict of str to float
        The uplift (points) or the level (0–100) to reach; per segment (a dict by
        segment label) when ``scope="segment"``.
    costs : float, dict, or DataFrame
        Cost of each driver: one number (a linear cost per point for every driver);
        a dict driver → cost curve (a number, :class:`PiecewiseCost` or
        :class:`ConvexCost`), the same in every segment; a dict segment → (driver →
        curve); or a DataFrame (segments × drivers) of costs per point. Drivers left
        out are not levers (they stay where they are).
    target : str, optional
        The target construct of a PLS model (default ``"Satisfaction"``).
    goal_type : {"uplift", "level"}
    scope : {"overall", "segment"}
        ``"overall"``: the weighted mean of the segments' target indices reaches the
        goal; ``"segment"``: every segment reaches it.
    levers : {"construct", "indicator"}, optional
        For PLS models: plan on constructs or on indicators (default: from the names in
        ``costs``; constructs for a single number).
    max_change : float or dict of str to float, optional
        Cap on the push of every driver (or of the drivers named), in points. The room
        is ``min(100 − performance, cap)``.
    fixed : dict of str to float
        Drivers pushed by exactly this many points in every segment (committed work).
    forbidden : tuple of str
        Drivers that must not move.
    budget : float, optional
        Cap on the total cost.
    segment_budgets : dict of str to float, optional
        Cap on the cost in each named segment.
    segment_weights : {"respondents", "equal"} or dict of str to float
        How segments add up to the overall index: by respondents, equally, or by your
        weights R_j (revenue, customers, ...) normalised as R_j / Σ R_i.
    scale : (float, float), optional
        The rating scale, needed for a driver analysis (which records none).
    frontier_points : int
        Points on the cost–uplift frontier (0 for none).

    Examples
    --------
    >>> import csimodels as csi
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> res = csi.ACSI(indicators=data.constructs).fit(data)
    >>> plan = csi.ImprovementPlan(goal=2.0, costs={"Quality": 10.0, "Value": 4.0}).fit(res)
    >>> imp = res.ipma("Satisfaction")["importance"]
    >>> # the cheaper point of Satisfaction: Value costs 4 / 0.264, Quality 10 / 0.483
    >>> x = plan.allocation.loc[("(all)", "Value"), "change"]
    >>> bool(abs(x - 2 / imp["Value"]) < 1e-9)
    True
    """

    goal: float | dict[str, float]
    costs: float | dict[str, Any]
    target: str | None = None
    goal_type: Literal["uplift", "level"] = "uplift"
    scope: Literal["overall", "segment"] = "overall"
    levers: Literal["construct", "indicator"] | None = None
    max_change: float | dict[str, float] | None = None
    fixed: dict[str, float] = Field(default_factory=dict)
    forbidden: tuple[str, ...] = ()
    budget: float | None = None
    segment_budgets: dict[str, float] | None = None
    segment_weights: Literal["respondents", "equal"] | dict[str, float] = "respondents"
    scale: tuple[float, float] | None = None
    frontier_points: int = 11

    @field_validator("costs", mode="before")
    @classmethod
    def _costs_frame(cls, value: Any) -> Any:
        if isinstance(value, pd.DataFrame):
            return {
                str(seg): {str(d): float(v) for d, v in row.items()}
                for seg, row in value.to_dict(orient="index").items()
            }
        return value

    @model_validator(mode="after")
    def _check(self) -> ImprovementPlan:
        costs = self.costs
        if isinstance(costs, Mapping):
            if not costs:
                raise ValueError("costs is empty; give at least one driver a cost")
            nested = [isinstance(v, Mapping) for v in costs.values()]
            if any(nested) and not all(nested):
                raise ValueError(
                    "costs mixes drivers and segments; give either driver → cost, or "
                    "segment → (driver → cost)"
                )
            for key, value in costs.items():
                if isinstance(value, Mapping):
                    for d, v in value.items():
                        _check_cost_value(v, f"driver {d!r} in segment {key!r}")
                else:
                    _check_cost_value(value, f"driver {key!r}")
        else:
            _check_cost_value(costs, "every driver")
        goals = self.goal.values() if isinstance(self.goal, Mapping) else [self.goal]
        if any(not math.isfinite(g) for g in goals):
            raise ValueError(f"goal must be finite, got {self.goal!r}")
        if isinstance(self.goal, Mapping) and self.scope != "segment":
            raise ValueError("a goal per segment (a dict) needs scope='segment'")
        if self.goal_type == "uplift" and any(g < 0 for g in goals):
            raise ValueError(
                f"an uplift goal must be >= 0 (a goal below the current level is not an "
                f"improvement), got {self.goal!r}"
            )
        if self.goal_type == "level" and any(g > 100 or g < 0 for g in goals):
            raise ValueError(f"a level goal is a 0–100 index, got {self.goal!r}")
        caps = (
            self.max_change.values() if isinstance(self.max_change, Mapping) else [self.max_change]
        )
        if any(c is not None and (not math.isfinite(c) or c < 0) for c in caps):
            raise ValueError(f"max_change must be >= 0 points, got {self.max_change!r}")
        bad_fixed = sorted(k for k, v in self.fixed.items() if not math.isfinite(v) or v < 0)
        if bad_fixed:
            raise ValueError(f"fixed pushes must be >= 0 points; {format_offenders(bad_fixed)}")
        clash = sorted(set(self.fixed) & set(self.forbidden))
        if clash:
            raise ValueError(f"{format_offenders(clash)} is both fixed and forbidden")
        if self.budget is not None and (not math.isfinite(self.budget) or self.budget < 0):
            raise ValueError(f"budget must be a finite cost >= 0, got {self.budget!r}")
        if self.segment_budgets is not None:
            bad = sorted(
                k for k, v in self.segment_budgets.items() if not math.isfinite(v) or v < 0
            )
            if bad:
                raise ValueError(f"segment budgets of {format_offenders(bad)} must be >= 0")
        if isinstance(self.segment_weights, Mapping):
            bad = sorted(
                k for k, v in self.segment_weights.items() if not math.isfinite(v) or v < 0
            )
            if bad:
                raise ValueError(f"segment weights of {format_offenders(bad)} must be >= 0")
            if sum(self.segment_weights.values()) <= 0:
                raise ValueError("segment weights must not all be zero")
        if self.frontier_points < 0 or self.frontier_points == 1:
            raise ValueError(f"frontier_points must be 0 or >= 2, got {self.frontier_points}")
        return self

    # ---------------------------------------------------------------------------------
    def fit(self, result: Any) -> PlanResult:
        """Solve the plan on a fitted result (or a driver table).

        Parameters
        ----------
        result : PLSResult, SegmentedPLSResult, SegmentedResult, DriverAnalysisResult or DataFrame
            The effects to plan with. A per-segment result gives a plan per segment.
            A DataFrame is a driver table: columns ``driver``, ``importance``
            (target points per driver point), ``performance`` (0–100),
            ``target_level`` (the segment's current 0–100 index), optional
            ``segment`` and ``n``.

        Returns
        -------
        PlanResult
            ``status="infeasible"`` (not an exception) when no plan reaches the goal:
            the result says why and how far the constraints allow.

        Raises
        ------
        SpecificationError
            A cost, cap, fixed or forbidden lever for an unknown driver or segment; a
            result without the effects a plan needs.
        DataValidationError
            A goal above 100 or below the current level; a lever already at the scale
            maximum; a fixed push beyond a driver's room.
        """
        table = build_table(
            result,
            target=self.target,
            levers=self._lever_kind(result),
            scale=self.scale,
            where="ImprovementPlan",
        )
        return _solve_plan(self, table)

    def _lever_kind(self, result: Any) -> str:
        if self.levers is not None:
            return self.levers
        one = result
        parts = segment_results(result) if not isinstance(result, pd.DataFrame) else None
        if parts is not None and parts[0]:
            one = next(iter(parts[0].values()))
        if not is_pls(one):
            return "construct"
        names: list[str] = list(self.fixed) + list(self.forbidden)
        if isinstance(self.costs, Mapping):
            for k, v in self.costs.items():
                names.extend(v.keys() if isinstance(v, Mapping) else [k])
        if isinstance(self.max_change, Mapping):
            names.extend(self.max_change)
        indicators = set(one.spec.indicators)
        constructs = set(one.spec.construct_names)
        kinds = {
            "indicator" if n in indicators else "construct"
            for n in names
            if n in indicators | constructs
        }
        if len(kinds) > 1:
            raise SpecificationError(
                "ImprovementPlan: the names in costs/fixed/forbidden/max_change mix constructs "
                "and indicators; plan on one level (levers='construct' or 'indicator')"
            )
        return kinds.pop() if kinds else "construct"


# ---------------------------------------------------------------------------------------
# building and solving the problem
# ---------------------------------------------------------------------------------------


def _unknown(kind: str, names: list[str], known: list[str], what: str) -> None:
    bad = [n for n in names if n not in known]
    if bad:
        raise SpecificationError(
            f"ImprovementPlan: {what} names unknown {kind} {format_offenders(sorted(bad))}; "
            f"known {kind}s: {format_offenders(known)}"
        )


def _curves(plan: ImprovementPlan, table: DriverTable) -> list[list[CostCurve | None]]:
    segs, drivers = table.segments, table.drivers
    costs = plan.costs
    if not isinstance(costs, Mapping):
        return [[float(costs)] * len(drivers) for _ in segs]
    if all(isinstance(v, Mapping) for v in costs.values()):
        _unknown("segment", [str(k) for k in costs], segs, "costs")
        missing = [s for s in segs if s not in costs]
        if missing:
            raise SpecificationError(
                f"ImprovementPlan: costs per segment give none for segment(s) "
                f"{format_offenders(missing)}; give every segment its costs"
            )
        out = []
        for s in segs:
            row = costs[s]
            _unknown("driver", [str(k) for k in row], drivers, f"costs of segment {s!r}")
            out.append([row.get(d) for d in drivers])
        return out
    _unknown("driver", [str(k) for k in costs], drivers, "costs")
    return [[costs.get(d) for d in drivers] for _ in segs]


def _segment_weights(plan: ImprovementPlan, table: DriverTable) -> np.ndarray:
    segs = table.segments
    spec = plan.segment_weights
    if len(segs) == 1 and not isinstance(spec, Mapping):
        return np.ones(1)
    if isinstance(spec, Mapping):
        _unknown("segment", [str(k) for k in spec], segs, "segment_weights")
        missing = [s for s in segs if s not in spec]
        if missing:
            raise SpecificationError(
                f"ImprovementPlan: segment_weights gives no weight to {format_offenders(missing)}"
            )
        raw = np.array([float(spec[s]) for s in segs])
    elif spec == "equal":
        raw = np.ones(len(segs))
    else:
        raw = table.n.copy()
        if not np.all(np.isfinite(raw)):
            raise DataValidationError(
                "ImprovementPlan: segment_weights='respondents' needs the respondents of each "
                "segment (an 'n' column in the driver table); add it, or use 'equal' or a dict"
            )
    if raw.sum() <= 0:
        raise DataValidationError("ImprovementPlan: the segment weights are all zero")
    return np.asarray(raw / raw.sum(), dtype=np.float64)


def _goal(
    plan: ImprovementPlan, table: DriverTable, weights: np.ndarray, notes: list[str]
) -> np.ndarray:
    segs = table.segments
    level = table.target_level
    tgt = table.target
    if plan.scope == "overall":
        current = float(weights @ level)
        g = float(plan.goal) if not isinstance(plan.goal, Mapping) else math.nan
        need = g if plan.goal_type == "uplift" else g - current
        if plan.goal_type == "level" and need < 0:
            raise DataValidationError(
                f"ImprovementPlan: the goal level {g:g} is below the current {tgt} index "
                f"{current:.2f}; a plan raises the index: give a goal above {current:.2f}"
            )
        if current + need > 100 + 1e-12:
            raise DataValidationError(
                f"ImprovementPlan: the goal takes the {tgt} index to {current + need:.2f}, above "
                "the scale maximum 100"
            )
        return np.array([need])
    given: np.ndarray
    if isinstance(plan.goal, Mapping):
        _unknown("segment", [str(k) for k in plan.goal], segs, "goal")
        missing = [s for s in segs if s not in plan.goal]
        if missing:
            raise SpecificationError(
                f"ImprovementPlan: the goal per segment gives none for {format_offenders(missing)}"
            )
        given = np.array([float(plan.goal[s]) for s in segs])
        explicit = True
    else:
        given = np.full(len(segs), float(plan.goal))
        explicit = False
    needs = given if plan.goal_type == "uplift" else given - level
    over = [s for s, v in zip(segs, level + needs, strict=True) if v > 100 + 1e-12]
    if over:
        raise DataValidationError(
            f"ImprovementPlan: the goal takes the {tgt} index of {format_offenders(over)} above "
            "the scale maximum 100"
        )
    below = [f"{s} ({lv:.2f})" for s, lv, n in zip(segs, level, needs, strict=True) if n < 0]
    if below and (explicit or len(below) == len(segs)):
        raise DataValidationError(
            f"ImprovementPlan: the goal level is below the current {tgt} index of "
            f"{format_offenders(below)}; give goals above the current levels"
        )
    if below:
        notes.append(
            f"{len(below)} segment(s) are already above the goal level and need no uplift: "
            f"{format_offenders(below)}"
        )
    return np.asarray(np.maximum(needs, 0.0), dtype=np.float64)


def _bounds(
    plan: ImprovementPlan,
    table: DriverTable,
    curves: list[list[CostCurve | None]],
    notes: list[str],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    segs, drivers = table.segments, table.drivers
    room = np.clip(100.0 - table.performance, 0.0, None)
    lever = np.array([[c is not None for c in row] for row in curves])
    _unknown("driver", list(plan.forbidden), drivers, "forbidden")
    _unknown("driver", list(plan.fixed), drivers, "fixed")
    cap = np.full(room.shape, np.inf)
    if isinstance(plan.max_change, Mapping):
        _unknown("driver", list(plan.max_change), drivers, "max_change")
        for d, v in plan.max_change.items():
            cap[:, drivers.index(d)] = v
    elif plan.max_change is not None:
        cap[:] = plan.max_change
    for d in plan.forbidden:
        lever[:, drivers.index(d)] = False
    upper = np.where(lever, np.minimum(room, cap), 0.0)
    lower = np.zeros(room.shape)
    for d, v in plan.fixed.items():
        j = drivers.index(d)
        short = [
            f"{s} (room {room[i, j]:.2f})" for i, s in enumerate(segs) if v > room[i, j] + 1e-12
        ]
        if short:
            raise DataValidationError(
                f"ImprovementPlan: the fixed push of {v:g} points on {d!r} goes past the scale "
                f"maximum in {format_offenders(short)}"
            )
        lower[:, j] = v
        upper[:, j] = v
    named: list[str] = []
    if isinstance(plan.costs, Mapping):
        for k, v in plan.costs.items():
            named.extend(v.keys() if isinstance(v, Mapping) else [k])
    named = [d for d in dict.fromkeys(named) if d not in plan.forbidden and d not in plan.fixed]
    at_max = [d for d in named if np.all(room[:, drivers.index(d)] <= _ROOM_TOL)]
    if at_max:
        perf = {d: float(table.performance[:, drivers.index(d)].max()) for d in at_max}
        raise DataValidationError(
            "ImprovementPlan: "
            + ", ".join(f"{d!r} (performance {perf[d]:.2f})" for d in at_max[:5])
            + " is already at the scale maximum 100 everywhere: no room to improve; remove it "
            "from costs"
        )
    stuck = int(np.sum(lever & (room <= _ROOM_TOL)))
    if stuck:
        notes.append(f"{stuck} segment × driver lever(s) are at the scale maximum (no room)")
    return lower, upper, lever


def _tiers(curves: list[list[CostCurve | None]], shape: tuple[int, int]) -> dict[str, np.ndarray]:
    s_n, d_n = shape
    k = 1
    for row in curves:
        for c in row:
            if isinstance(c, PiecewiseCost):
                k = max(k, len(c.rates))
    start = np.zeros((s_n, d_n, k))
    end = np.zeros((s_n, d_n, k))
    rate = np.zeros((s_n, d_n, k))
    convex = np.zeros(shape, dtype=bool)
    lin = np.zeros(shape)
    crate = np.ones(shape)
    expo = np.full(shape, 2.0)
    for s, row in enumerate(curves):
        for d, c in enumerate(row):
            if c is None:
                end[s, d, 0] = np.inf
            elif isinstance(c, PiecewiseCost):
                edges = (0.0, *c.breaks, np.inf)
                n = len(c.rates)
                start[s, d, :n] = edges[:-1]
                end[s, d, :n] = edges[1:]
                rate[s, d, :n] = c.rates
                start[s, d, n:] = np.inf
                end[s, d, n:] = np.inf
            elif isinstance(c, ConvexCost):
                convex[s, d] = True
                lin[s, d], crate[s, d], expo[s, d] = c.linear, c.rate, c.exponent
                end[s, d, 0] = np.inf
            else:
                end[s, d, 0] = np.inf
                rate[s, d, 0] = float(c)
                start[s, d, 1:] = np.inf
                end[s, d, 1:] = np.inf
    return {
        "tier_start": start,
        "tier_end": end,
        "tier_rate": rate,
        "convex": convex,
        "convex_linear": lin,
        "convex_rate": crate,
        "convex_exponent": expo,
    }


def _marginal(problem: solver.Problem, x: np.ndarray) -> np.ndarray:
    """Cost of the next point of every cell at pushes ``x`` (NaN where at room)."""
    inside = (x[..., None] >= problem.tier_start) & (x[..., None] < problem.tier_end)
    tier = np.where(inside, problem.tier_rate, 0.0).sum(axis=-1)
    xc = np.maximum(x, 0.0)
    curve = problem.convex_linear + problem.convex_rate * problem.convex_exponent * xc ** (
        problem.convex_exponent - 1
    )
    out = np.where(problem.convex, curve, tier)
    return np.where(x < problem.upper - 1e-9, out, np.nan)


def _solve_plan(plan: ImprovementPlan, table: DriverTable) -> PlanResult:
    notes = list(table.notes)
    segs, drivers = table.segments, table.drivers
    shape = (len(segs), len(drivers))
    curves = _curves(plan, table)
    weights = _segment_weights(plan, table)
    need = _goal(plan, table, weights, notes)
    lower, upper, lever = _bounds(plan, table, curves, notes)
    seg_budget = None
    if plan.segment_budgets is not None:
        _unknown("segment", list(plan.segment_budgets), segs, "segment_budgets")
        seg_budget = np.array([plan.segment_budgets.get(s, np.inf) for s in segs], dtype=float)
    problem = solver.Problem(
        importance=table.importance,
        weights=weights,
        lower=lower,
        upper=upper,
        level_room=np.clip(100.0 - table.performance, 0.0, None),
        target_room=np.clip(100.0 - table.target_level, 0.0, None),
        scope=plan.scope,
        goal=need,
        budget=np.inf if plan.budget is None else float(plan.budget),
        segment_budget=seg_budget,
        chains=table.chains,
        **_tiers(curves, shape),
    )
    try:
        sol = solver.solve(problem)
        reach = solver.solve(problem, objective="uplift", certify=sol.status != "optimal")
    except RuntimeError as err:
        raise EstimationError(f"ImprovementPlan: the solver failed: {err}") from None
    max_uplift = float(weights @ problem.uplift(reach.x))
    reason = ""
    shown = sol
    if sol.status != "optimal":
        reason = _diagnose(plan, problem, reach, table, weights)
        shown = reach
    x = shown.x
    costs = shown.cost
    total = float(costs.sum())
    level_change = problem.level_change(x)
    marginal = _marginal(problem, x)
    uplift_s = problem.uplift(x)
    current = float(weights @ table.target_level)
    uplift = float(weights @ uplift_s)
    goal_mult = (
        sol.multipliers.get("goal", np.array([np.nan]))
        if sol.status == "optimal"
        else np.array([np.nan])
    )
    overall_mult = float(goal_mult[0]) if plan.scope == "overall" else math.nan
    idx = pd.MultiIndex.from_product([segs, drivers], names=["segment", "driver"])
    share = costs / total if total > 0 else np.zeros(shape)
    allocation = pd.DataFrame(
        {
            "label": [table.labels.get(d, d) for _ in segs for d in drivers],
            "lever": lever.ravel() | (lower.ravel() > 0),
            "performance": table.performance.ravel(),
            "importance": table.importance.ravel(),
            "room": upper.ravel(),
            "change": x.ravel(),
            "predicted": (table.performance + level_change).ravel(),
            "cost": costs.ravel(),
            "share": share.ravel(),
            "marginal_cost": marginal.ravel(),
            "at_room": (lever & (x >= upper - 1e-9) & (upper > 0)).ravel(),
        },
        index=idx,
    )
    seg_cost = costs.sum(axis=1)
    if plan.scope == "segment":
        seg_goal = table.target_level + need
        seg_mult = goal_mult if goal_mult.size == len(segs) else np.full(len(segs), np.nan)
    else:
        seg_goal = np.full(len(segs), np.nan)
        seg_mult = np.full(len(segs), overall_mult)
    segments = pd.DataFrame(
        {
            "weight": weights,
            "n": table.n,
            "current": table.target_level,
            "goal": seg_goal,
            "predicted": table.target_level + uplift_s,
            "uplift": uplift_s,
            "cost": seg_cost,
            "share": seg_cost / total if total > 0 else np.zeros(len(segs)),
            "marginal_cost": seg_mult,
        },
        index=pd.Index(segs, name="segment"),
    )
    lo_ci, hi_ci = _uplift_interval(table, weights, x, notes)
    goal_level = (
        current + float(weights @ need) if plan.scope == "segment" else current + float(need[0])
    )
    kkt = sol.kkt if sol.status == "optimal" else reach.kkt
    overview = pd.Series(
        {
            "current": current,
            "goal": goal_level,
            "predicted": current + uplift,
            "uplift": uplift,
            "uplift_ci_lower": lo_ci,
            "uplift_ci_upper": hi_ci,
            "total_cost": total,
            "marginal_cost": overall_mult,
            "points_per_unit_cost": 1.0 / overall_mult if overall_mult > 0 else math.nan,
            "max_uplift": max_uplift,
            "kkt_stationarity": kkt.get("stationarity", math.nan),
            "kkt_sign": kkt.get("sign", math.nan),
            "kkt_primal": kkt.get("primal", math.nan),
        },
        name="value",
    )
    constraints = _constraint_table(plan, problem, shown, sol.status == "optimal", segs, drivers)
    frontier = _frontier(plan, problem, weights, current, max_uplift)
    chains = None
    if table.chains is not None:
        chains = pd.DataFrame(
            table.chains.reshape(-1, len(drivers)),
            index=pd.MultiIndex.from_product([segs, drivers], names=["segment", "from"]),
            columns=pd.Index(drivers),
        )
    settings = {
        "source": table.source,
        "target": table.target,
        "levers": table.levers,
        "goal": plan.goal,
        "goal_type": plan.goal_type,
        "scope": plan.scope,
        "budget": plan.budget,
        "segment_budgets": plan.segment_budgets,
        "segment_weights": plan.segment_weights,
        "max_change": plan.max_change,
        "fixed": dict(plan.fixed),
        "forbidden": list(plan.forbidden),
        "costs": _json_ready(plan.costs),
        "solver": shown.solver,
        "by": list(table.by),
        "level": table.level,
        "inference": "bootstrap percentile" if any(d is not None for d in table.draws) else "none",
        "scale": list(plan.scale) if plan.scale is not None else None,
        "performance_se": table.performance_se.ravel().tolist(),
        "target_se": table.target_se.tolist(),
    }
    if "secant" in shown.solver:
        notes.append(
            "convex cost curves were solved as a linear programme over refined secant tiers "
            f"(too many levers for SLSQP); {shown.message}"
        )
    if reason:
        notes.append(f"the goal cannot be reached: {reason}")
    return PlanResult(
        status=sol.status,
        reason=reason,
        target=table.target,
        allocation=allocation,
        segments=segments,
        overview=overview,
        constraints=constraints,
        frontier=frontier,
        chains=chains,
        measurement=table.measurement,
        settings=_json_ready(settings),
        notes=tuple(notes),
    )


def _json_ready(value: Any) -> Any:
    if type(value) is float:
        return value if math.isfinite(value) else None
    if isinstance(value, Settings):
        return {"curve": type(value).__name__, **value.model_dump()}
    if isinstance(value, Mapping):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _uplift_interval(
    table: DriverTable, weights: np.ndarray, x: np.ndarray, notes: list[str]
) -> tuple[float, float]:
    draws = table.draws
    if not draws or any(d is None for d in draws):
        return math.nan, math.nan
    b = min(d.shape[0] for d in draws if d is not None)
    if b < 2 or not check_resample_count(b, table.level, owner="ImprovementPlan", notes=notes):
        return math.nan, math.nan
    total = np.zeros(b)
    for s, d in enumerate(draws):
        assert d is not None
        total += weights[s] * (d[:b] @ x[s])
    lo, hi = np.quantile(total, [(1 - table.level) / 2, (1 + table.level) / 2])
    return float(lo), float(hi)


def _constraint_table(
    plan: ImprovementPlan,
    p: solver.Problem,
    sol: solver.Solution,
    optimal: bool,
    segs: list[str],
    drivers: list[str],
) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    x = sol.x
    cost = sol.cost
    mult = sol.multipliers
    up = p.uplift(x)

    def add(name: str, kind: str, seg: str, binding: bool, price: float, slack: float) -> None:
        rows.append(
            {
                "constraint": name,
                "kind": kind,
                "segment": seg,
                "binding": bool(binding),
                "shadow_price": float(price),
                "slack": float(slack),
            }
        )

    if optimal:
        g = mult.get("goal", np.full(p.goal.size, np.nan))
        if p.scope == "overall":
            slack = float(p.weights @ up - p.goal[0])
            add("goal", "goal", "", slack <= 1e-7 * (1 + abs(p.goal[0])), g[0], slack)
        else:
            for s, name in enumerate(segs):
                slack = float(up[s] - p.goal[s])
                add(
                    f"goal {name}",
                    "goal",
                    name,
                    slack <= 1e-7 * (1 + p.goal[s]),
                    g[s] if s < g.size else np.nan,
                    slack,
                )
    if np.isfinite(p.budget):
        slack = p.budget - float(cost.sum())
        price = float(mult.get("budget", np.array([0.0]))[0]) if not optimal else 0.0
        add("budget", "budget", "", slack <= 1e-7 * (1 + p.budget), price, slack)
    if p.segment_budget is not None:
        sb_mult = mult.get("segment_budget")
        for s, name in enumerate(segs):
            if np.isfinite(p.segment_budget[s]):
                slack = float(p.segment_budget[s] - cost[s].sum())
                price = (
                    float(sb_mult[s])
                    if sb_mult is not None and sb_mult.size == len(segs)
                    else np.nan
                )
                add(
                    f"budget {name}",
                    "segment_budget",
                    name,
                    slack <= 1e-7 * (1 + p.segment_budget[s]),
                    price,
                    slack,
                )
    cap_mult = mult.get("target_cap")
    for s, name in enumerate(segs):
        slack = float(p.target_room[s] - up[s])
        if slack <= 1e-7:
            price = (
                float(cap_mult[s])
                if cap_mult is not None and cap_mult.size == len(segs)
                else np.nan
            )
            add(f"target ≤ 100 {name}", "target_cap", name, True, price, slack)
    if p.chains is not None:
        lv = p.level_change(x)
        lv_mult = mult.get("level_cap")
        for s, name in enumerate(segs):
            for d, drv in enumerate(drivers):
                slack = float(p.level_room[s, d] - lv[s, d])
                if slack <= 1e-7 and x[s].sum() > 0:
                    k = s * len(drivers) + d
                    price = (
                        float(lv_mult[k]) if lv_mult is not None and lv_mult.size > k else np.nan
                    )
                    add(f"{drv} ≤ 100 {name}", "level_cap", name, True, price, slack)
    at_room = (x >= p.upper - 1e-9) & (p.upper > p.lower)
    for s, d in zip(*np.nonzero(at_room), strict=True):
        add(f"room {drivers[d]} {segs[s]}", "room", segs[s], True, np.nan, 0.0)
    frame = pd.DataFrame(
        rows, columns=["constraint", "kind", "segment", "binding", "shadow_price", "slack"]
    )
    return frame.set_index("constraint")


def _frontier(
    plan: ImprovementPlan, p: solver.Problem, weights: np.ndarray, current: float, max_uplift: float
) -> pd.DataFrame:
    cols = ["uplift", "level", "cost", "marginal_cost"]
    if plan.frontier_points == 0 or not math.isfinite(max_uplift):
        return pd.DataFrame(columns=cols, dtype=float)
    start = float(weights @ p.uplift(p.lower))
    grid = np.linspace(start, max(max_uplift, start), plan.frontier_points)
    rows = []
    for u in grid:
        # the last point sits on the edge of the feasible set: back off by rounding only
        goal = min(u, max_uplift * (1 - 1e-12)) if u == grid[-1] else u
        sol = solver.solve(p.with_goal(np.array([goal]), scope="overall"), certify=False)
        if sol.status != "optimal":
            rows.append((u, current + u, math.nan, math.nan))
            continue
        m = sol.multipliers.get("goal", np.array([math.nan]))
        rows.append((u, current + u, float(sol.cost.sum()), float(m[0])))
    return pd.DataFrame(rows, columns=cols)


def _diagnose(
    plan: ImprovementPlan,
    p: solver.Problem,
    reach: solver.Solution,
    table: DriverTable,
    weights: np.ndarray,
) -> str:
    """Why the goal cannot be reached: the most reachable and the binding constraints."""
    segs, drivers = table.segments, table.drivers
    x = reach.x
    parts: list[str] = []
    if plan.scope == "overall":
        best = float(weights @ p.uplift(x))
        parts.append(
            f"the goal needs an uplift of {p.goal[0]:.4g} points but at most {best:.4g} is "
            "reachable within the constraints"
        )
    else:
        solo = solver.solve(
            solver._replace(p, budget=np.inf, weights=np.ones(len(segs)) / len(segs)),
            objective="uplift",
        )
        best_s = p.uplift(solo.x)
        short = [
            f"{s} (needs {g:.3g}, at most {b:.3g})"
            for s, g, b in zip(segs, p.goal, best_s, strict=True)
            if b < g - 1e-9
        ]
        if short:
            parts.append(f"segment goals out of reach: {format_offenders(short)}")
        else:
            relaxed = solver.solve(p.relaxed_budgets())
            if relaxed.status == "optimal":
                parts.append(
                    f"every segment can reach its goal, but the least cost of that, "
                    f"{relaxed.cost.sum():.6g}, exceeds the budget of {p.budget:.6g}"
                )
    binding: list[str] = []
    if np.isfinite(p.budget) and reach.cost.sum() >= p.budget * (1 - 1e-7):
        price = reach.multipliers.get("budget")
        extra = (
            f"; one more unit of budget buys {float(price[0]):.4g} index points"
            if price is not None and price.size
            else ""
        )
        binding.append(f"the budget of {p.budget:.6g} binds{extra}")
    if p.segment_budget is not None:
        tight = [
            s
            for s, b, c in zip(segs, p.segment_budget, reach.cost.sum(axis=1), strict=True)
            if np.isfinite(b) and c >= b * (1 - 1e-7)
        ]
        if tight:
            binding.append(f"the budgets of {format_offenders(tight)} bind")
    movable = p.upper > p.lower
    at_room = movable & (x >= p.upper - 1e-9)
    if at_room.any():
        names = sorted({drivers[d] for d in np.nonzero(at_room)[1]})
        binding.append(
            f"{int(at_room.sum())} of {int(movable.sum())} segment × driver levers are at their "
            f"room (100 − performance or the cap): {format_offenders(names)}"
        )
    if not movable.any():
        binding.append("no driver may move (no lever has room)")
    caps = [s for s, r, u in zip(segs, p.target_room, p.uplift(x), strict=True) if u >= r - 1e-9]
    if caps:
        binding.append(f"the target reaches 100 in {format_offenders(caps)}")
    return "; ".join(parts + binding)
