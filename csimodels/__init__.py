"""csimodels: customer satisfaction measurement the way the field does it.

The national satisfaction index models (ACSI, SCSI, ECSI, CCSI) by PLS path
modelling and covariance-based SEM, SERVQUAL, Kano, AHP, fuzzy comprehensive
evaluation and the analyses around them, sharing one dataset abstraction
(:class:`SurveyData`) and one family of result objects.

Examples
--------
>>> import csimodels as csi
>>> data = csi.datasets.load_example("acsi_demo")
>>> data.n_respondents
4000
"""

from csimodels import datasets, errors, results
from csimodels._version import __version__
from csimodels.data import DescriptionResult, ItemInfo, Scale, SurveyData
from csimodels.results import Result, Summary, result_from_json
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

__all__ = [
    "ACSI",
    "CCSI",
    "ECSI",
    "SCSI",
    "DescriptionResult",
    "ItemInfo",
    "ModelSpec",
    "PLSResult",
    "PathModel",
    "Result",
    "Scale",
    "SegmentedPLSResult",
    "Summary",
    "SurveyData",
    "__version__",
    "datasets",
    "errors",
    "result_from_json",
    "results",
]
