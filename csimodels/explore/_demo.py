"""The exploratory-analysis section of ``csimodels demo``."""

from __future__ import annotations

__all__ = ["demo_section"]


def demo_section() -> str:
    """KMO, Bartlett, the number of factors and an oblique EFA on simulated answers.

    Examples
    --------
    >>> "KMO" in demo_section()
    True
    """
    from csimodels.explore.efa import EFA, EFAResult
    from csimodels.explore.reliability import Reliability, ReliabilityResult
    from csimodels.explore.simulate import simulate_factor_data

    sim = simulate_factor_data(n=600, random_state=2025)
    efa = EFA(rotation="oblimin").fit(sim.data, random_state=2025)
    assert isinstance(efa, EFAResult)
    kmo = float(efa.kmo["msa"].mean())
    bart = efa.bartlett
    rel = Reliability().fit(sim.data)
    assert isinstance(rel, ReliabilityResult)
    lines = [
        "Simulated questionnaire: 600 respondents, 12 items, 3 correlated factors (true "
        "loadings 0.7).",
        f"KMO (mean item MSA) {kmo:.3f}; Bartlett chi2 {bart['chisq']:.1f} on "
        f"{int(bart['df'])} df, p = {bart['p_value']:.2g}.",
        f"Factors retained: {efa.settings.get('n_factors')} "
        f"(rule: {efa.settings.get('n_factors_rule')}).",
        "",
        efa.summary().as_text(),
        rel.summary().as_text(),
    ]
    return "\n".join(lines)
