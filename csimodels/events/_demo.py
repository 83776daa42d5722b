"""The customer-events section of ``csimodels demo``."""

from __future__ import annotations

__all__ = ["demo_section"]


def demo_section() -> str:
    """Churn and retention from a simulated service-visit log.

    Examples
    --------
    >>> "churn" in demo_section()
    True
    """
    from csimodels.datasets.events import simulate_customer_events
    from csimodels.events.retention import Retention, RetentionResult

    sim = simulate_customer_events(n_customers=2000, random_state=2025)
    res = Retention().fit(sim.events)
    assert isinstance(res, RetentionResult)
    lines = [
        f"Simulated service log: {sim.events.n_events:,} events of 2,000 customers.",
        "Status at 6 / 12 / 24 months without a visit: active, marginal, churned, lost; "
        "yearly churn rate with Wilson intervals:",
        res.churn_total.round(4).to_string(),
        "",
        res.summary().as_text(),
    ]
    return "\n".join(lines)
