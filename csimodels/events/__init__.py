"""Customer events: retention and churn from visit logs, complaint analytics, and the
link from satisfaction to retention and revenue.

Examples
--------
>>> import csimodels as csi
>>> sim = csi.datasets.simulate_customer_events(n_customers=200, random_state=1)
>>> res = csi.Retention().fit(sim.events)
>>> list(res.status_counts.columns[:4])
['active', 'marginal', 'churned', 'lost']
"""

from csimodels.events._kinds import ACTIVITY_KINDS, CASE_KINDS, EVENT_KINDS
from csimodels.events.complaints import ComplaintAnalysis, ComplaintResult
from csimodels.events.data import CustomerEvents
from csimodels.events.retention import CLASS_LABELS, STATUSES, Retention, RetentionResult
from csimodels.events.value import SatisfactionValue, SatisfactionValueResult

__all__ = [
    "ACTIVITY_KINDS",
    "CASE_KINDS",
    "CLASS_LABELS",
    "EVENT_KINDS",
    "STATUSES",
    "ComplaintAnalysis",
    "ComplaintResult",
    "CustomerEvents",
    "Retention",
    "RetentionResult",
    "SatisfactionValue",
    "SatisfactionValueResult",
]
