"""csimodels: customer satisfaction measurement the way the field does it.

The national satisfaction index models (ACSI, SCSI, ECSI, CCSI) by PLS path
modelling, SERVQUAL, Kano, AHP, fuzzy comprehensive evaluation and the analyses
around them (importance–performance, drivers, trends and early warning), sharing
one dataset abstraction (:class:`SurveyData`) and one family of result objects.

Examples
--------
>>> import csimodels as csi
>>> data = csi.datasets.load_example("acsi_demo")
>>> data.n_respondents
4000
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from csimodels._version import __version__

# The public API is loaded on first use (PEP 562): ``import csimodels`` stays cheap,
# and ``csi.ACSI`` or ``from csimodels import ACSI`` imports the family it needs.
#: Public name -> the module that defines it.
_PUBLIC: dict[str, str] = {
    "ACSI": "csimodels.sem",
    "AHP": "csimodels.ahp",
    "AHPGroup": "csimodels.ahp",
    "AHPGroupResult": "csimodels.ahp",
    "AHPHierarchy": "csimodels.ahp",
    "AHPHierarchyResult": "csimodels.ahp",
    "AHPResult": "csimodels.ahp",
    "Bootstrap": "csimodels.inference",
    "CBSEM": "csimodels.sem.cbsem",
    "CBSEMResult": "csimodels.sem.cbsem",
    "CCSI": "csimodels.sem",
    "ComplaintAnalysis": "csimodels.events",
    "ComplaintResult": "csimodels.events",
    "ConvexCost": "csimodels.planning",
    "CustomerEvents": "csimodels.events",
    "DescriptionResult": "csimodels.data",
    "DriverAnalysis": "csimodels.importance",
    "DriverAnalysisResult": "csimodels.importance",
    "ECSI": "csimodels.sem",
    "EFA": "csimodels.explore",
    "EFAResult": "csimodels.explore",
    "FCE": "csimodels.fce",
    "FCEResult": "csimodels.fce",
    "FCETree": "csimodels.fce",
    "FCETreeResult": "csimodels.fce",
    "FuzzyAHP": "csimodels.ahp",
    "FuzzyAHPResult": "csimodels.ahp",
    "GradeSet": "csimodels.fce",
    "ImportancePerformance": "csimodels.importance",
    "ImportancePerformanceResult": "csimodels.importance",
    "ImprovementPlan": "csimodels.planning",
    "Instrument": "csimodels.servqual",
    "InvarianceResult": "csimodels.sem._cbsem_compare",
    "ItemInfo": "csimodels.data",
    "Kano": "csimodels.kano",
    "KanoResult": "csimodels.kano",
    "KPIMonitor": "csimodels.trends",
    "KPIResult": "csimodels.trends",
    "measurement_invariance": "csimodels.sem._cbsem_compare",
    "ModelSpec": "csimodels.sem",
    "PathModel": "csimodels.sem",
    "PenaltyReward": "csimodels.importance",
    "PenaltyRewardResult": "csimodels.importance",
    "Permutation": "csimodels.inference",
    "PiecewiseCost": "csimodels.planning",
    "PlanEvaluation": "csimodels.planning",
    "PlanResult": "csimodels.planning",
    "PLSResult": "csimodels.sem",
    "Reliability": "csimodels.explore",
    "ReliabilityResult": "csimodels.explore",
    "Result": "csimodels.results",
    "result_from_json": "csimodels.results",
    "Retention": "csimodels.events",
    "RetentionResult": "csimodels.events",
    "SatisfactionValue": "csimodels.events",
    "SatisfactionValueResult": "csimodels.events",
    "Scale": "csimodels.data",
    "ScreeningResult": "csimodels.explore",
    "ScreenResponses": "csimodels.explore",
    "SCSI": "csimodels.sem",
    "Segmentation": "csimodels.explore",
    "SegmentationResult": "csimodels.explore",
    "SegmentedPLSResult": "csimodels.sem",
    "SegmentedResult": "csimodels.results",
    "SERVPERF": "csimodels.servqual",
    "SERVPERFResult": "csimodels.servqual",
    "SERVQUAL": "csimodels.servqual",
    "SERVQUALResult": "csimodels.servqual",
    "Summary": "csimodels.results",
    "SurveyData": "csimodels.data",
    "TrendMonitor": "csimodels.trends",
    "TrendResult": "csimodels.trends",
    "WhatIfResult": "csimodels.planning",
    "ZoneOfTolerance": "csimodels.servqual",
    "ZoneOfToleranceResult": "csimodels.servqual",
}

#: Subpackages and modules reachable as attributes (``csi.sem``, ``csi.datasets``).
_SUBMODULES: tuple[str, ...] = (
    "ahp",
    "datasets",
    "errors",
    "events",
    "explore",
    "fce",
    "importance",
    "inference",
    "kano",
    "planning",
    "plotting",
    "results",
    "segments",
    "sem",
    "servqual",
    "trends",
)


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
    elif name in _SUBMODULES:
        value = importlib.import_module(f"csimodels.{name}")
    else:
        raise AttributeError(f"module 'csimodels' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


def load_all() -> None:
    """Import every family now (a service may want the cost at start-up, not first use).

    Examples
    --------
    >>> load_all()
    """
    for name in _SUBMODULES:
        __getattr__(name)


if TYPE_CHECKING:  # what static type checkers and IDEs see
    from csimodels import (
        ahp,
        datasets,
        errors,
        events,
        explore,
        fce,
        importance,
        inference,
        kano,
        planning,
        plotting,
        results,
        segments,
        sem,
        servqual,
        trends,
    )
    from csimodels.ahp import (
        AHP,
        AHPGroup,
        AHPGroupResult,
        AHPHierarchy,
        AHPHierarchyResult,
        AHPResult,
        FuzzyAHP,
        FuzzyAHPResult,
    )
    from csimodels.data import (
        DescriptionResult,
        ItemInfo,
        Scale,
        SurveyData,
    )
    from csimodels.events import (
        ComplaintAnalysis,
        ComplaintResult,
        CustomerEvents,
        Retention,
        RetentionResult,
        SatisfactionValue,
        SatisfactionValueResult,
    )
    from csimodels.explore import (
        EFA,
        EFAResult,
        Reliability,
        ReliabilityResult,
        ScreeningResult,
        ScreenResponses,
        Segmentation,
        SegmentationResult,
    )
    from csimodels.fce import (
        FCE,
        FCEResult,
        FCETree,
        FCETreeResult,
        GradeSet,
    )
    from csimodels.importance import (
        DriverAnalysis,
        DriverAnalysisResult,
        ImportancePerformance,
        ImportancePerformanceResult,
        PenaltyReward,
        PenaltyRewardResult,
    )
    from csimodels.inference import (
        Bootstrap,
        Permutation,
    )
    from csimodels.kano import (
        Kano,
        KanoResult,
    )
    from csimodels.planning import (
        ConvexCost,
        ImprovementPlan,
        PiecewiseCost,
        PlanEvaluation,
        PlanResult,
        WhatIfResult,
    )
    from csimodels.results import (
        Result,
        SegmentedResult,
        Summary,
        result_from_json,
    )
    from csimodels.sem import (
        ACSI,
        CCSI,
        ECSI,
        SCSI,
        ModelSpec,
        PathModel,
        PLSResult,
        SegmentedPLSResult,
    )
    from csimodels.sem._cbsem_compare import (
        InvarianceResult,
        measurement_invariance,
    )
    from csimodels.sem.cbsem import (
        CBSEM,
        CBSEMResult,
    )
    from csimodels.servqual import (
        SERVPERF,
        SERVQUAL,
        Instrument,
        SERVPERFResult,
        SERVQUALResult,
        ZoneOfTolerance,
        ZoneOfToleranceResult,
    )
    from csimodels.trends import (
        KPIMonitor,
        KPIResult,
        TrendMonitor,
        TrendResult,
    )

__all__ = [
    "ACSI",
    "AHP",
    "CBSEM",
    "CCSI",
    "ECSI",
    "EFA",
    "FCE",
    "SCSI",
    "SERVPERF",
    "SERVQUAL",
    "AHPGroup",
    "AHPGroupResult",
    "AHPHierarchy",
    "AHPHierarchyResult",
    "AHPResult",
    "Bootstrap",
    "CBSEMResult",
    "ComplaintAnalysis",
    "ComplaintResult",
    "ConvexCost",
    "CustomerEvents",
    "DescriptionResult",
    "DriverAnalysis",
    "DriverAnalysisResult",
    "EFAResult",
    "FCEResult",
    "FCETree",
    "FCETreeResult",
    "FuzzyAHP",
    "FuzzyAHPResult",
    "GradeSet",
    "ImportancePerformance",
    "ImportancePerformanceResult",
    "ImprovementPlan",
    "Instrument",
    "InvarianceResult",
    "ItemInfo",
    "KPIMonitor",
    "KPIResult",
    "Kano",
    "KanoResult",
    "ModelSpec",
    "PLSResult",
    "PathModel",
    "PenaltyReward",
    "PenaltyRewardResult",
    "Permutation",
    "PiecewiseCost",
    "PlanEvaluation",
    "PlanResult",
    "Reliability",
    "ReliabilityResult",
    "Result",
    "Retention",
    "RetentionResult",
    "SERVPERFResult",
    "SERVQUALResult",
    "SatisfactionValue",
    "SatisfactionValueResult",
    "Scale",
    "ScreenResponses",
    "ScreeningResult",
    "Segmentation",
    "SegmentationResult",
    "SegmentedPLSResult",
    "SegmentedResult",
    "Summary",
    "SurveyData",
    "TrendMonitor",
    "TrendResult",
    "WhatIfResult",
    "ZoneOfTolerance",
    "ZoneOfToleranceResult",
    "__version__",
    "ahp",
    "datasets",
    "errors",
    "events",
    "explore",
    "fce",
    "importance",
    "inference",
    "kano",
    "load_all",
    "measurement_invariance",
    "planning",
    "plotting",
    "result_from_json",
    "results",
    "segments",
    "sem",
    "servqual",
    "trends",
]
