"""From diagnosis to plan: what-if, the least-cost improvement plan, plan versus actual.

After the importance–performance map says *what* to fix, planning says *how much,
where and at what cost*: :func:`what_if` predicts the target index when drivers
move; :class:`ImprovementPlan` finds the least total cost of driver improvements
(per segment × driver) that brings the target index to a goal; and
:meth:`PlanResult.evaluate` compares next period's survey with the plan.

Examples
--------
>>> import csimodels as csi
>>> data = csi.datasets.load_example("acsi_demo")
>>> res = csi.ACSI(indicators=data.constructs).fit(data)
>>> plan = csi.ImprovementPlan(goal=1.5, costs={"Quality": 10.0, "Value": 4.0}).fit(res)
>>> plan.status
'optimal'
"""

from csimodels.planning.costs import ConvexCost, CostCurve, PiecewiseCost, cost_of
from csimodels.planning.evaluate import evaluate_plan
from csimodels.planning.plan import ImprovementPlan
from csimodels.planning.result import PlanEvaluation, PlanResult, WhatIfResult
from csimodels.planning.what_if import what_if

__all__ = [
    "ConvexCost",
    "CostCurve",
    "ImprovementPlan",
    "PiecewiseCost",
    "PlanEvaluation",
    "PlanResult",
    "WhatIfResult",
    "cost_of",
    "evaluate_plan",
    "what_if",
]
