"""Structural equation models of customer satisfaction (PLS path modelling, CB-SEM)."""

from csimodels.sem.structures import CSI_STRUCTURES, CSIStructure

__all__ = ["CSI_STRUCTURES", "CSIStructure"]
