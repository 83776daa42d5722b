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
    fce,
    importance,
    inference,
    kano,
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
from csimodels.servqual import (
    SERVPERF,
    SERVQUAL,
    Instrument,
    SERVPERFResult,
    SERVQUALResult,
    ZoneOfTolerance,
    ZoneOfToleranceResult,
)
from csimodels.trends import TrendMonitor, TrendResult

__all__ = [
    "ACSI",
    "AHP",
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
    "Instrument",
    "ItemInfo",
    "Kano",
    "KanoResult",
    "ModelSpec",
    "PLSResult",
    "PathModel",
    "PenaltyReward",
    "PenaltyRewardResult",
    "Permutation",
    "Result",
    "SERVPERFResult",
    "SERVQUALResult",
    "Scale",
    "SegmentedPLSResult",
    "SegmentedResult",
    "Summary",
    "SurveyData",
    "TrendMonitor",
    "TrendResult",
    "ZoneOfTolerance",
    "ZoneOfToleranceResult",
    "__version__",
    "ahp",
    "datasets",
    "errors",
    "fce",
    "importance",
    "inference",
    "kano",
    "plotting",
    "result_from_json",
    "results",
    "segments",
    "sem",
    "servqual",
    "trends",
]
