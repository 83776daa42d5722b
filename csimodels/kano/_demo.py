"""The Kano section of ``csimodels demo``."""

from __future__ import annotations

from csimodels.kano.result import KanoResult

__all__ = ["demo_section"]


def demo_section() -> str:
    """The Kano section of ``csimodels demo``: a simulated feature survey, classified.

    Simulates 800 customers of a mobile-banking app answering 8 feature pairs with
    Chinese labels (two regions, respondent weights, a few careless respondents),
    classifies the features, and reports the classification next to the true
    categories of the simulation.

    Examples
    --------
    >>> text = demo_section()
    >>> "true category" in text
    True
    """
    from csimodels.datasets.kano import simulate_kano_survey
    from csimodels.results import SegmentedResult

    sim = simulate_kano_survey(n=800, answers="chinese", random_state=2025)
    model = sim.model(max_questionable_share=0.5)
    res = model.fit(sim.frame, weight="weight", by="region")
    assert isinstance(res, SegmentedResult) and isinstance(res.pooled, KanoResult)
    pooled = res.pooled
    table = pooled.classification[["category", "combined", "category_strength"]].join(
        pooled.better_worse[["better", "worse"]]
    )
    table.insert(0, "true category", sim.true_categories)
    agree = int((table["category"] == table["true category"]).sum())
    lines = [
        f"Simulated feature survey: {sim.frame.shape[0]} respondents, "
        f"{len(sim.features)} features, answers as Chinese labels (喜欢 ... 不喜欢), "
        f"weights, regions {', '.join(map(str, res.segments))}.",
        f"Screened out (Questionable share > 0.5): {pooled.settings['n_screened']} respondents.",
        f"Recovered the true category for {agree} of {len(table)} features.",
        "",
        table.to_string(float_format=lambda x: f"{x:.3f}"),
        "",
        "By region:",
        res.overview["categories"][["category", "combined", "better", "worse"]].to_string(
            float_format=lambda x: f"{x:.3f}"
        ),
    ]
    return "\n".join(lines)
