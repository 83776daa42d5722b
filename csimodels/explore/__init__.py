"""Exploratory analysis for building and checking instruments.

Factorability (KMO, Bartlett), the number of factors (eigenvalues, Kaiser, parallel
analysis, MAP), exploratory factor analysis (:class:`EFA`), reliability and item
analysis (:class:`Reliability`), data-quality screening (:class:`ScreenResponses`)
and customer segmentation (:class:`Segmentation`).

Examples
--------
>>> import csimodels as csi
>>> sim = csi.explore.simulate_factor_data(n=300, random_state=0)
>>> csi.EFA(n_factors=3).fit(sim.data).settings["extraction"]
'minres'
"""

from csimodels.explore.efa import EFA, EXTRACTIONS, FACTOR_RULES, ROTATIONS, EFAResult, kmo_label
from csimodels.explore.reliability import Reliability, ReliabilityResult
from csimodels.explore.screening import SCREENING_CRITERIA, ScreeningResult, ScreenResponses
from csimodels.explore.segmentation import Segmentation, SegmentationResult
from csimodels.explore.simulate import (
    FactorSimulation,
    SegmentSimulation,
    simulate_factor_data,
    simulate_segments,
)

__all__ = [
    "EFA",
    "EXTRACTIONS",
    "FACTOR_RULES",
    "ROTATIONS",
    "SCREENING_CRITERIA",
    "EFAResult",
    "FactorSimulation",
    "Reliability",
    "ReliabilityResult",
    "ScreenResponses",
    "ScreeningResult",
    "SegmentSimulation",
    "Segmentation",
    "SegmentationResult",
    "kmo_label",
    "simulate_factor_data",
    "simulate_segments",
]
