"""Importance–performance and driver analysis: what to fix first.

* :class:`DriverAnalysis` — derived importance of attributes for an overall item
  (correlation, regression, Pratt, LMG/Shapley, Johnson's relative weights), with
  bootstrap intervals, respondent weights and per-segment fits.
* :class:`ImportancePerformance` — the importance–performance (满意度重要性) quadrant
  matrix from stated or derived importance, or from any two Series.
* :class:`PenaltyReward` — penalty–reward contrast analysis, impact asymmetry and the
  basic / performance / excitement factor classes.

Examples
--------
>>> import csimodels as csi
>>> from csimodels.importance import DriverAnalysis, ImportancePerformance
>>> data = csi.datasets.load_example("acsi_demo")
>>> drivers = DriverAnalysis(attributes=["QUAL1", "QUAL2", "VAL1", "VAL2"],
...                          overall="SAT1").fit(data)
>>> matrix = ImportancePerformance().from_drivers(drivers)
>>> int(matrix.table["priority"].min())
1
"""

from csimodels.importance._demo import demo_section
from csimodels.importance.drivers import (
    IMPORTANCE_ALIASES,
    IMPORTANCE_METHODS,
    DriverAnalysis,
    DriverAnalysisResult,
    ImportanceMethod,
)
from csimodels.importance.matrix import (
    QUADRANTS,
    ImportancePerformance,
    ImportancePerformanceResult,
    Quadrant,
)
from csimodels.importance.penalty import (
    FACTOR_CLASSES,
    FactorClass,
    PenaltyReward,
    PenaltyRewardResult,
)

__all__ = [
    "FACTOR_CLASSES",
    "IMPORTANCE_ALIASES",
    "IMPORTANCE_METHODS",
    "QUADRANTS",
    "DriverAnalysis",
    "DriverAnalysisResult",
    "FactorClass",
    "ImportanceMethod",
    "ImportancePerformance",
    "ImportancePerformanceResult",
    "PenaltyReward",
    "PenaltyRewardResult",
    "Quadrant",
    "demo_section",
]
