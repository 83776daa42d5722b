"""``fit(..., by=...)`` for the events models: a refit per segment, one SegmentedResult.

:func:`csimodels.segments.fit_by` splits a SurveyData; an event log is split here, by
team or segment columns of its events (or, for the survey join, by survey columns),
with the same status table (fitted / too_small / failed and why), failure policy and
result class.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from functools import partial
from typing import Any, Literal

import numpy as np
import pandas as pd

from csimodels.errors import (
    CSIModelsError,
    DataQualityWarning,
    DataValidationError,
    InvalidParameterError,
    format_offenders,
)
from csimodels.events.data import CustomerEvents
from csimodels.results import Result, SegmentedResult, warn_and_note
from csimodels.segments import ON_ERROR, as_by, segment_label

__all__ = ["fit_parts", "split_events", "split_frame"]

Part = tuple[tuple[Hashable, ...], int, Callable[[], Result]]


def _plain(value: Hashable) -> Hashable:
    return value.item() if isinstance(value, np.generic) else value


def split_events(
    log: CustomerEvents, by: Sequence[str], fit_one: Callable[[CustomerEvents], Result], owner: str
) -> list[Part]:
    """One part per combination of the ``by`` columns of the events (sorted)."""
    unknown = [b for b in by if b not in log.group_columns()]
    if unknown:
        raise DataValidationError(
            f"{owner}: by={format_offenders(unknown)} is not a team or segment column of the "
            f"events; choose from {format_offenders(log.group_columns()) or 'none'}"
        )
    keys = log.frame[list(by)]
    codes = np.zeros(log.n_events, dtype=np.int64)
    for col in by:
        cat = keys[col].cat
        codes = codes * np.int64(len(cat.categories)) + np.asarray(cat.codes, dtype=np.int64)
    cust = log.customer_codes()
    parts: list[Part] = []
    for code in np.unique(codes):
        mask = codes == code
        first = int(np.flatnonzero(mask)[0])
        values = tuple(_plain(keys[col].iloc[first]) for col in by)
        part = log.subset(mask)
        n = int(np.unique(cust[mask]).size)
        parts.append((values, n, partial(fit_one, part)))
    return parts


def split_frame(
    frame: pd.DataFrame, by: Sequence[str], fit_one: Callable[[pd.DataFrame], Result], owner: str
) -> tuple[list[Part], int]:
    """One part per combination of the ``by`` columns of a frame; and rows with none."""
    missing = [b for b in by if b not in frame.columns]
    if missing:
        raise DataValidationError(
            f"{owner}: by={format_offenders(missing)} is not a column of the survey; "
            f"available columns: {format_offenders(sorted(map(str, frame.columns)))}"
        )
    absent = frame[list(by)].isna().any(axis=1)
    parts: list[Part] = []
    for values, part in frame[~absent.to_numpy()].groupby(list(by), sort=True, observed=True):
        key = values if isinstance(values, tuple) else (values,)
        parts.append((tuple(_plain(v) for v in key), len(part), partial(fit_one, part)))
    return parts, int(absent.sum())


def fit_parts(
    parts: list[Part],
    by: str | Sequence[str],
    *,
    owner: str,
    min_segment_size: int,
    on_error: Literal["skip", "raise"],
    pooled: Result | None,
    headline: Sequence[str],
    settings: dict[str, Any],
    unit: str = "customers",
    n_missing: int = 0,
) -> SegmentedResult:
    """Fit every part large enough and collect the :class:`SegmentedResult`."""
    columns = as_by(by, owner=owner)
    if on_error not in ON_ERROR:
        raise InvalidParameterError(
            f"parameter 'on_error' of {owner} must be 'skip' or 'raise', got {on_error!r}"
        )
    if isinstance(min_segment_size, bool) or not isinstance(min_segment_size, int):
        raise InvalidParameterError(
            f"parameter 'min_segment_size' of {owner} must be an int, got {min_segment_size!r}"
        )
    if not parts:
        raise DataValidationError(f"{owner}: no segment of {' × '.join(columns)} has data")
    notes: list[str] = []
    if n_missing:
        warn_and_note(
            notes,
            f"{n_missing} rows have no value of {' or '.join(columns)} and are in no segment",
            DataQualityWarning,
        )
    rows: list[dict[str, Any]] = []
    results: dict[str, Result] = {}
    for values, n, thunk in parts:
        label = segment_label(values)
        row: dict[str, Any] = {"segment": label, **dict(zip(columns, values, strict=True))}
        row["n"] = n
        if n < min_segment_size:
            row |= {"status": "too_small", "reason": f"fewer than {min_segment_size} {unit}"}
            warn_and_note(
                notes,
                f"segment {label!r} has {n} {unit}, fewer than {min_segment_size}: not fitted",
                DataQualityWarning,
            )
        else:
            try:
                results[label] = thunk()
                row |= {"status": "fitted", "reason": ""}
            except CSIModelsError as err:
                if on_error == "raise":
                    raise
                reason = f"{type(err).__name__}: {err}"
                row |= {"status": "failed", "reason": reason}
                warn_and_note(notes, f"segment {label!r} failed: {reason}", DataQualityWarning)
        rows.append(row)
    status = pd.DataFrame(rows).set_index("segment")
    status["n"] = status["n"].astype("int64")
    return SegmentedResult(
        by=columns,
        pooled=pooled,
        segments=results,
        status=status,
        headline=tuple(headline),
        settings={
            **settings,
            "by": list(columns),
            "min_segment_size": min_segment_size,
            "on_error": on_error,
        },
        notes=tuple(notes),
    )
