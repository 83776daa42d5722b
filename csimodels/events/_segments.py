"""``fit(..., by=...)`` for the events models: a refit per segment, one SegmentedResult.

:func:`csimodels.segments.fit_by` splits a SurveyData; an event log is split here, by
team or segment columns of its events (or, for the survey join, by survey columns),
with the same status table (fitted / too_small / failed and why), failure policy and
result class.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from functools import partial

import numpy as np
import pandas as pd

from csimodels.errors import (
    DataValidationError,
    format_offenders,
)
from csimodels.events.data import CustomerEvents
from csimodels.results import Result
from csimodels.segments import Part, fit_parts

__all__ = ["fit_parts", "split_events", "split_frame"]

# the status table, failure policy and result are the library's one implementation


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
