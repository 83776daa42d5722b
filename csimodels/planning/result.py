"""Results of the planning family: what-if, the improvement plan, plan versus actual."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from pydantic import Field

from csimodels.results import Frame, Result, SeriesTable

__all__ = ["PlanEvaluation", "PlanResult", "WhatIfResult"]


class WhatIfResult(Result):
    """The predicted change of a target index when drivers move.

    Attributes
    ----------
    target : str
        The target construct (or overall item).
    drivers : DataFrame, index driver
        The drivers moved, directly or through another one: ``label``,
        ``performance`` (current 0–100 score), ``change_requested``, ``change`` (the
        push applied, capped to keep the driver within 0–100), ``capped``,
        ``importance`` (target points per driver point) with its bootstrap
        ``importance_ci_lower``/``importance_ci_upper`` (NaN without draws),
        ``contribution`` (importance × change) and ``predicted`` (the driver's score
        after the pushes, including moves induced by upstream drivers).
    prediction : DataFrame, index target (one row)
        ``current`` 0–100 index, ``estimate`` (predicted change), ``std_error``,
        ``ci_lower``/``ci_upper`` (bootstrap percentile interval at
        ``settings["level"]``; NaN without draws) and ``predicted`` index.

    Examples
    --------
    >>> import csimodels as csi
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> res = csi.ACSI(indicators=data.constructs).fit(data)
    >>> w = res.what_if({"Quality": 3})
    >>> w.target, list(w.drivers.index)
    ('Satisfaction', ['Quality', 'Value'])
    """

    target: str
    drivers: Frame
    prediction: Frame

    _title: ClassVar[str] = "What-if"

    @property
    def change(self) -> float:
        """The predicted change of the target index (points)."""
        return float(self.prediction["estimate"].iloc[0])

    @property
    def predicted(self) -> float:
        """The predicted target index after the changes."""
        return float(self.prediction["predicted"].iloc[0])

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        s = self.settings
        header: list[tuple[str, object]] = [
            ("Target", self.target),
            ("Source", s.get("source")),
            ("Segment", s.get("segment")),
            ("Drivers", s.get("levers")),
            ("Inference", s.get("inference")),
        ]
        return header, {"Prediction": self.prediction, "Drivers": self.drivers}


class PlanResult(Result):
    """The least-cost improvement plan that reaches a target index (or why none does).

    Attributes
    ----------
    status : {"optimal", "infeasible"}
        ``"infeasible"``: no plan within the constraints reaches the goal;
        :attr:`reason` says why and :attr:`overview` gives ``max_uplift``, the most
        reachable.
    reason : str
        Why the goal cannot be reached (empty when optimal).
    target : str
        The target construct (or overall item).
    allocation : DataFrame, index (segment, driver)
        ``label``, ``lever`` (may move), ``performance`` (current 0–100),
        ``importance`` (target points per driver point), ``room`` (most points the
        driver may be pushed: 100 − performance, or the cap), ``change`` (the planned
        push, points), ``predicted`` (the driver's planned score, including moves
        induced by upstream drivers), ``cost``, ``share`` (of the total cost),
        ``marginal_cost`` (cost of the next point at the plan) and ``at_room``. For an
        infeasible goal: the plan that reaches the most.
    segments : DataFrame, index segment
        ``weight`` (in the overall index), ``n``, ``current``, ``goal`` (planned
        target level, NaN for an overall goal), ``predicted``, ``uplift``, ``cost``,
        ``share`` of the total cost, ``marginal_cost`` (cost of one more point of
        this segment's goal; for an overall goal the same overall figure).
    overview : Series
        ``current``, ``goal``, ``predicted`` (weighted over segments), ``uplift``,
        ``uplift_ci_lower``/``uplift_ci_upper`` (bootstrap, NaN without draws),
        ``total_cost``, ``marginal_cost`` (cost of one more index point),
        ``points_per_unit_cost`` (its inverse: what one more unit of budget buys),
        ``max_uplift`` (the most reachable within the constraints), ``kkt_stationarity``,
        ``kkt_sign``, ``kkt_primal`` (residuals of the optimality certificate).
    constraints : DataFrame, index constraint
        ``kind`` (goal, budget, segment_budget, target_cap, level_cap, room),
        ``segment``, ``binding``, ``shadow_price`` (change of the objective per unit of
        the constraint: cost per goal point, or for an infeasible goal index points per
        unit of budget) and ``slack``.
    frontier : DataFrame
        ``uplift`` (overall, weighted), ``level``, ``cost`` (least cost of it) and
        ``marginal_cost``, from no uplift to the most reachable.
    chains : DataFrame or None, index (segment, from), columns drivers
        Points of each driver per point pushed on ``from`` (construct-level plans).
    measurement : dict
        How driver scores were made (index weights, scale bounds), to score new data
        the same way in :meth:`evaluate`.

    Examples
    --------
    >>> import csimodels as csi
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> res = csi.ACSI(indicators=data.constructs).fit(data)
    >>> plan = csi.ImprovementPlan(goal=1.0, costs={"Quality": 10.0, "Value": 4.0}).fit(res)
    >>> plan.status, round(float(plan.overview["uplift"]), 6)
    ('optimal', 1.0)
    """

    status: str
    reason: str = ""
    target: str
    allocation: Frame
    segments: Frame
    overview: SeriesTable
    constraints: Frame
    frontier: Frame
    chains: Frame | None = None
    measurement: dict[str, Any] = Field(default_factory=dict)

    _title: ClassVar[str] = "Improvement plan"

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        s = self.settings
        o = self.overview
        header: list[tuple[str, object]] = [
            ("Target", self.target),
            ("Status", self.status + (f" ({self.reason})" if self.reason else "")),
            ("Goal", f"{s.get('goal_type')} {s.get('goal')} ({s.get('scope')})"),
            ("Segments", len(self.segments)),
            ("Solver", s.get("solver")),
            ("Current → predicted", f"{o['current']:.2f} → {o['predicted']:.2f}"),
            ("Total cost", f"{o['total_cost']:.4g}"),
        ]
        if np.isfinite(o["marginal_cost"]):
            header.append(("Marginal cost of a point", f"{o['marginal_cost']:.4g}"))
        moved = self.allocation[self.allocation["change"] > 0]
        tables: dict[str, Any] = {
            "Segments": self.segments,
            "Allocation (drivers moved)": moved[["change", "predicted", "cost", "share"]],
            "Binding constraints": self.constraints[self.constraints["binding"]],
        }
        return header, tables

    def evaluate(
        self,
        new: Any,
        *,
        level: float = 0.95,
    ) -> PlanEvaluation:
        """Plan versus actual: the realised change of every driver and target.

        ``new`` is next period's survey (``SurveyData`` or ``DataFrame``), scored
        with this plan's measurement (the same index weights and scale bounds, so the
        comparison uses one yardstick), or a fitted result of the same kind. See
        :func:`csimodels.planning.evaluate_plan`.

        Examples
        --------
        >>> import csimodels as csi
        >>> data = csi.datasets.load_example("acsi_demo")
        >>> res = csi.ACSI(indicators=data.constructs).fit(data)
        >>> plan = csi.ImprovementPlan(goal=1.0, costs={"Quality": 10.0}).fit(res)
        >>> ev = plan.evaluate(data)          # the same survey: nothing was realised
        >>> bool(abs(ev.targets.loc["(all)", "realised"]) < 1e-9)
        True
        """
        from csimodels.planning.evaluate import evaluate_plan

        return evaluate_plan(self, new, level=level)

    def plot(
        self,
        kind: str | None = None,
        *,
        ax: Any = None,
        language: str = "en",
        labels: str = "code",
    ) -> Any:
        """Chart of the plan: ``"frontier"`` (cost against uplift) or ``"allocation"``.

        Returns the matplotlib Axes.

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import csimodels as csi
        >>> data = csi.datasets.load_example("acsi_demo")
        >>> res = csi.ACSI(indicators=data.constructs).fit(data)
        >>> plan = csi.ImprovementPlan(goal=1.0, costs={"Quality": 10.0, "Value": 4.0}).fit(res)
        >>> plan.plot("allocation").get_xlabel()
        'cost'
        """
        from csimodels.planning._plot import plot_plan

        return plot_plan(self, kind=kind, ax=ax, language=language, labels=labels)


class PlanEvaluation(Result):
    """Plan versus actual, one period later.

    Attributes
    ----------
    drivers : DataFrame, index (segment, driver)
        ``planned`` (planned change of the driver's score, induced moves included),
        ``realised`` (new score − the plan's baseline), ``difference`` (realised −
        planned), ``std_error`` of the realised change (both periods' sampling error
        when known), ``z`` and ``p_value`` (two-sided test of realised = planned),
        ``ci_lower``/``ci_upper`` (interval of the realised change) and
        ``gap_contribution``: the target points by which this driver's deviation from
        the plan moved the target (importance × deviation of its implied push).
    targets : DataFrame, index segment (and ``"overall"`` for a segmented plan)
        ``planned`` uplift, ``realised`` change, ``difference``, ``std_error``, ``z``,
        ``p_value``, ``ci_lower``/``ci_upper``, ``explained_by_drivers`` (the part of
        the difference due to drivers that moved differently than planned) and
        ``unexplained`` (the rest: the model's error and everything else that changed).

    Examples
    --------
    >>> import csimodels as csi
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> res = csi.ACSI(indicators=data.constructs).fit(data)
    >>> plan = csi.ImprovementPlan(goal=1.0, costs={"Quality": 10.0}).fit(res)
    >>> list(plan.evaluate(data).targets.columns)[:3]
    ['planned', 'realised', 'difference']
    """

    drivers: Frame
    targets: Frame

    _title: ClassVar[str] = "Plan versus actual"

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        s = self.settings
        header: list[tuple[str, object]] = [
            ("Target", s.get("target")),
            ("New data", s.get("new")),
            ("Level", s.get("level")),
        ]
        return header, {"Target": self.targets, "Drivers": self.drivers}
