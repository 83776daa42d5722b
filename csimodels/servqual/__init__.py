"""SERVQUAL service-quality measurement: gap scores, zone of tolerance, SERVPERF.

Service quality is the gap between what customers expect and what they perceive, on
five dimensions (Parasuraman, Zeithaml & Berry 1988): tangibles (有形性), reliability
(可靠性), responsiveness (响应性), assurance (保证性) and empathy (移情性).

- :class:`SERVQUAL`: item and dimension gaps P − E with intervals and paired tests,
  unweighted and importance-weighted overall scores (per respondent and aggregate),
  Cronbach's alpha, priorities, per-segment tables, optional CFA.
- :class:`ZoneOfTolerance`: adequate (A) and desired (D) expectations; MSA = P − A,
  MSS = P − D, and each item's position below, within or above the zone
  (Parasuraman, Zeithaml & Berry 1994).
- :class:`SERVPERF`: performance-only scores (Cronin & Taylor 1992).
- :class:`Instrument`, :data:`SERVQUAL_1988`, :data:`SERVQUAL_1991`,
  :data:`INSTRUMENTS`: item banks as data.
"""

from csimodels.servqual._demo import demo_section
from csimodels.servqual.gap import CORRECTIONS, SERVQUAL, SERVQUALResult
from csimodels.servqual.instruments import (
    INSTRUMENTS,
    SERVQUAL_1988,
    SERVQUAL_1991,
    Instrument,
    resolve_instrument,
)
from csimodels.servqual.servperf import SERVPERF, SERVPERFResult
from csimodels.servqual.zone import ZoneOfTolerance, ZoneOfToleranceResult

__all__ = [
    "CORRECTIONS",
    "INSTRUMENTS",
    "SERVPERF",
    "SERVQUAL",
    "SERVQUAL_1988",
    "SERVQUAL_1991",
    "Instrument",
    "SERVPERFResult",
    "SERVQUALResult",
    "ZoneOfTolerance",
    "ZoneOfToleranceResult",
    "demo_section",
    "resolve_instrument",
]
