"""Importance–performance and driver analysis: what to fix first."""

from csimodels.importance.drivers import (
    IMPORTANCE_ALIASES,
    IMPORTANCE_METHODS,
    DriverAnalysis,
    DriverAnalysisResult,
    ImportanceMethod,
)

__all__ = [
    "IMPORTANCE_ALIASES",
    "IMPORTANCE_METHODS",
    "DriverAnalysis",
    "DriverAnalysisResult",
    "ImportanceMethod",
]
