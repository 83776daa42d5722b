"""Survey data: the shared dataset abstraction, scales and item metadata."""

from csimodels.data.describe import DescriptionResult, describe_out_of_core
from csimodels.data.scale import ItemInfo, Scale
from csimodels.data.steps import DataStep
from csimodels.data.survey import MISSING_STRATEGIES, ItemMatrix, SurveyData

__all__ = [
    "MISSING_STRATEGIES",
    "DataStep",
    "DescriptionResult",
    "ItemInfo",
    "ItemMatrix",
    "Scale",
    "SurveyData",
    "describe_out_of_core",
]
