"""The CSI section of ``csimodels demo``."""

from __future__ import annotations

import csimodels as csi


def demo_section() -> str:
    """ACSI on the bundled example survey: indices, paths, R², reliability, regions.

    Examples
    --------
    >>> "Satisfaction" in demo_section()
    True
    """
    sim = csi.datasets.load_example_with_truth("acsi_demo")
    data = sim.data
    acsi = csi.ACSI(indicators=data.constructs)
    res = acsi.fit(data, bootstrap=1000, random_state=2025)
    by_region = acsi.fit(data, by="region")
    paths = res.paths[["estimate", "std_error", "ci_lower", "ci_upper"]].assign(
        true_value=sim.paths.to_numpy()
    )
    lines = [
        "ACSI by PLS path modelling on 'acsi_demo' (respondent weights, mean replacement)",
        "",
        res.summary().as_text(),
        "Estimated vs. true (simulated) paths — PLS attenuates paths measured with error:",
        paths.round(3).to_string(),
        "",
        "0–100 indices with 95% bootstrap intervals (1,000 resamples):",
        res.indices[["index", "std_error", "ci_lower", "ci_upper"]].round(2).to_string(),
        "",
        "0–100 indices by region:",
        by_region.indices.round(1).to_string(),
        "",
        "What drives Satisfaction (IPMA: importance = points of satisfaction per index point):",
        res.ipma("Satisfaction").round(3).to_string(),
    ]
    return "\n".join(lines)
