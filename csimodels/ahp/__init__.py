"""Analytic Hierarchy Process: priorities with consistency checks, repair, hierarchies.

See ``docs/ahp.md`` for the guide.
"""

from csimodels.ahp._consistency import RI_TABLES, RandomIndexTable, random_index
from csimodels.ahp._demo import demo_section
from csimodels.ahp._model import AHP, AHPRepairResult, AHPResult
from csimodels.ahp._priorities import PRIORITY_METHODS
from csimodels.ahp.fuzzy import FuzzyAHP, FuzzyAHPResult
from csimodels.ahp.group import AHPGroup, AHPGroupResult, batch_consistency
from csimodels.ahp.hierarchy import AHPHierarchy, AHPHierarchyResult
from csimodels.ahp.sensitivity import SensitivityResult, weight_sensitivity

__all__ = [
    "AHP",
    "PRIORITY_METHODS",
    "RI_TABLES",
    "AHPGroup",
    "AHPGroupResult",
    "AHPHierarchy",
    "AHPHierarchyResult",
    "AHPRepairResult",
    "AHPResult",
    "FuzzyAHP",
    "FuzzyAHPResult",
    "RandomIndexTable",
    "SensitivityResult",
    "batch_consistency",
    "demo_section",
    "random_index",
    "weight_sensitivity",
]
