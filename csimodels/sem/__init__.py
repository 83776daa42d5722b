"""Structural equation models of customer satisfaction (PLS path modelling).

The national index models are presets (:class:`ACSI`, :class:`SCSI`, :class:`ECSI`,
:class:`CCSI`); any other model is a :class:`PathModel` built from a :class:`ModelSpec`.
"""

from csimodels.sem._cbsem_compare import InvarianceResult, chi2_difference, measurement_invariance
from csimodels.sem.cbsem import (
    CBSEM,
    CBSEM_ESTIMATORS,
    CBSEMResult,
    compare_pls_cbsem,
    fit_cbsem,
)
from csimodels.sem.cbsem_segments import SegmentedCBSEMResult
from csimodels.sem.mga import MICOMResult, MultigroupResult, compare_groups, micom
from csimodels.sem.pls import PLSResult, SegmentedPLSResult
from csimodels.sem.predict import PLSPredictResult
from csimodels.sem.presets import ACSI, CCSI, CCSI_VARIANTS, ECSI, SCSI, CSIPreset, PathModel
from csimodels.sem.spec import Construct, ModelSpec
from csimodels.sem.structures import CSI_STRUCTURES, CSIStructure

__all__ = [
    "ACSI",
    "CBSEM",
    "CBSEM_ESTIMATORS",
    "CCSI",
    "CCSI_VARIANTS",
    "CSI_STRUCTURES",
    "ECSI",
    "SCSI",
    "CBSEMResult",
    "CSIPreset",
    "CSIStructure",
    "Construct",
    "InvarianceResult",
    "MICOMResult",
    "ModelSpec",
    "MultigroupResult",
    "PLSPredictResult",
    "PLSResult",
    "PathModel",
    "SegmentedCBSEMResult",
    "SegmentedPLSResult",
    "chi2_difference",
    "compare_groups",
    "compare_pls_cbsem",
    "fit_cbsem",
    "measurement_invariance",
    "micom",
]
