"""The improvement-plan section of ``csimodels demo``."""

from __future__ import annotations

__all__ = ["demo_section"]


def demo_section() -> str:
    """The least-cost plan that lifts the ACSI satisfaction index by 1.5 points.

    Examples
    --------
    >>> "least-cost" in demo_section()
    True
    """
    import csimodels as csi
    from csimodels.planning.plan import ImprovementPlan
    from csimodels.planning.result import PlanResult
    from csimodels.sem.pls import PLSResult

    data = csi.datasets.load_example("acsi_demo")
    fit = csi.ACSI(indicators=data.constructs).fit(data)
    assert isinstance(fit, PLSResult)
    costs = {"Quality": 10.0, "Value": 4.0, "Expectations": 8.0}
    plan = ImprovementPlan(goal=1.5, costs=costs).fit(fit)
    assert isinstance(plan, PlanResult)
    lines = [
        "The least-cost plan for +1.5 points of the Satisfaction index; cost per index point "
        + ", ".join(f"{k} {v:g}" for k, v in costs.items())
        + f" (status: {plan.status}).",
        "",
        plan.summary().as_text(),
    ]
    return "\n".join(lines)
