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

from csimodels import (
    ahp,
    datasets,
    errors,
    events,
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
from csimodels._version import __version__
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
from csimodels.data import DescriptionResult, ItemInfo, Scale, SurveyData
from csimodels.events import (
    ComplaintAnalysis,
    ComplaintResult,
    CustomerEvents,
    Retention,
    RetentionResult,
    SatisfactionValue,
    SatisfactionValueResult,
)
from csimodels.fce import FCE, FCEResult, FCETree, FCETreeResult, GradeSet
from csimodels.importance import (
    DriverAnalysis,
    DriverAnalysisResult,
    ImportancePerformance,
    ImportancePerformanceResult,
    PenaltyReward,
    PenaltyRewardResult,
)
from csimodels.inference import Bootstrap, Permutation
from csimodels.kano import Kano, KanoResult
from csimodels.planning import (
    ConvexCost,
    ImprovementPlan,
    PiecewiseCost,
    PlanEvaluation,
    PlanResult,
    WhatIfResult,
)
from csimodels.results import Result, SegmentedResult, Summary, result_from_json
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
from csimodels.sem._cbsem_compare import InvarianceResult, measurement_invariance
from csimodels.sem.cbsem import CBSEM, CBSEMResult
from csimodels.servqual import (
    SERVPERF,
    SERVQUAL,
    Instrument,
    SERVPERFResult,
    SERVQUALResult,
    ZoneOfTolerance,
    ZoneOfToleranceResult,
)
from csimodels.trends import KPIMonitor, KPIResult, TrendMonitor, TrendResult

__all__ = [
    "ACSI",
    "AHP",
    "CBSEM",
    "CCSI",
    "ECSI",
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
    "Result",
    "Retention",
    "RetentionResult",
    "SERVPERFResult",
    "SERVQUALResult",
    "SatisfactionValue",
    "SatisfactionValueResult",
    "Scale",
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
    "fce",
    "importance",
    "inference",
    "kano",
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
