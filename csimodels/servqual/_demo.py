"""The SERVQUAL section of ``csimodels demo``."""

from __future__ import annotations

from csimodels.servqual.gap import SERVQUAL, SERVQUALResult
from csimodels.servqual.zone import ZoneOfTolerance, ZoneOfToleranceResult

__all__ = ["demo_section"]


def demo_section() -> str:
    """A short SERVQUAL report on a simulated service survey (for ``csimodels demo``).

    Examples
    --------
    >>> "SERVQUAL gap analysis" in demo_section()
    True
    """
    from csimodels.datasets.servqual import simulate_servqual_survey
    from csimodels.results import SegmentedResult

    sim = simulate_servqual_survey(n=2400, weights=True, zone_of_tolerance=True, random_state=20256)
    res = SERVQUAL(importance="I_{dimension}").fit(sim.data, by="store")
    zone = ZoneOfTolerance().fit(sim.data)
    assert isinstance(res, SegmentedResult) and isinstance(res.pooled, SERVQUALResult)
    assert isinstance(zone, ZoneOfToleranceResult)
    overall = res.pooled.overall["estimate"]
    top = res.pooled.priorities.iloc[0]
    lines = [
        "Simulated SERVQUAL survey (1991 22-item instrument, 1-7 scale): 2,400 weighted "
        "respondents in 3 stores, 100-point importance allocation, desired/adequate "
        "expectations.",
        "True expected dimension gaps: "
        + ", ".join(f"{d} {v:+.3f}" for d, v in sim.expected_gaps.items()),
        f"Weighted SERVQUAL score: per respondent {overall['weighted_per_respondent']:+.4f}, "
        f"aggregate (mean weights x mean gaps) {overall['weighted_aggregate']:+.4f}; "
        f"unweighted {overall['unweighted']:+.4f}.",
        f"Top priority: {top.name} ({top['label']}), gap {top['estimate']:+.3f}, "
        f"importance {top['importance']:.1%}.",
        "",
        res.pooled.summary().as_text(),
        "Dimension gaps by store:",
        res.table("dimensions", pooled=False)["estimate"].unstack().round(3).to_string(),
        "",
        "Zone of tolerance (MSA = P - A, MSS = P - D):",
        zone.dimensions[["label", "adequate", "desired", "perception", "msa", "mss", "position"]]
        .round(3)
        .to_string(),
    ]
    return "\n".join(lines)
