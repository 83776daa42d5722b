"""Splitting a survey into segments for per-segment fits (PLS and CB-SEM alike)."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from csimodels.data.survey import SurveyData
from csimodels.errors import DataQualityWarning, DataValidationError

Conditions = list[tuple[str, type[Warning]]]

FLAGGED = "too small: flagged, not estimated"


def split_segments(
    data: SurveyData, by: str, minimum: int
) -> tuple[list[tuple[Hashable, SurveyData]], list[dict[str, Any]], Conditions]:
    """Segments of ``by`` large enough to estimate, a status row per segment, and a
    condition for each segment flagged as too small.

    Raises
    ------
    DataValidationError
        ``minimum`` below 2, or no segment reaching it.
    """
    if minimum < 2:
        raise DataValidationError(f"min_segment_size must be at least 2, got {minimum}")
    parts: list[tuple[Hashable, SurveyData]] = []
    status: list[dict[str, Any]] = []
    conditions: Conditions = []
    for label, part in data.groups(by):
        n = part.n_respondents
        if n < minimum:
            status.append({"segment": label, "n": n, "status": FLAGGED})
            conditions.append(
                (
                    f"segment {by}={label!r} has {n} respondents, fewer than {minimum}: "
                    "not estimated",
                    DataQualityWarning,
                )
            )
            continue
        parts.append((label, part))
        status.append({"segment": label, "n": n, "status": "estimated"})
    if not parts:
        raise DataValidationError(
            f"no segment of {by!r} has at least {minimum} respondents; lower min_segment_size "
            "or use a coarser segment"
        )
    return parts, status, conditions
