"""Analytic Hierarchy Process: priorities with consistency checks, repair, hierarchies.

See ``docs/ahp.md`` for the guide.
"""

from csimodels.ahp._consistency import RI_TABLES, RandomIndexTable, random_index
from csimodels.ahp._model import AHP, AHPRepairResult, AHPResult
from csimodels.ahp._priorities import PRIORITY_METHODS

__all__ = [
    "AHP",
    "PRIORITY_METHODS",
    "RI_TABLES",
    "AHPRepairResult",
    "AHPResult",
    "RandomIndexTable",
    "random_index",
]
