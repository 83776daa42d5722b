"""Group codes (team × segments) and calendar periods of events, shared by the models."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from csimodels.errors import DataValidationError, format_offenders
from csimodels.events.data import CustomerEvents

IntArray = NDArray[np.int64]

__all__ = ["PERIODS", "Groups", "PeriodGrid", "event_groups", "period_grid"]

PeriodCode = Literal["M", "Q", "Y"]
#: Calendar periods a table can be cut by: months, quarters, years.
PERIODS: tuple[str, ...] = ("M", "Q", "Y")
_MONTHS = {"M": 1, "Q": 3, "Y": 12}

ALL = "(all)"


@dataclass(frozen=True)
class Groups:
    """One integer code per event for the cross-classification of ``columns``."""

    codes: IntArray
    columns: tuple[str, ...]
    labels: tuple[tuple[object, ...], ...]
    """The label tuple of each code (``(ALL,)`` when there are no group columns)."""

    @property
    def n(self) -> int:
        return len(self.labels)

    def index(self, codes: Sequence[int] | IntArray) -> pd.Index:
        """An index of group labels for ``codes`` (named after the columns)."""
        names = list(self.columns) if self.columns else ["group"]
        take = np.asarray(codes, dtype=np.int64)
        arrays = []
        for j in range(len(names)):
            column = np.empty(len(self.labels), dtype=object)
            column[:] = [label[j] for label in self.labels]
            arrays.append(column[take])
        if len(names) == 1:
            return pd.Index(arrays[0], name=names[0])
        multi: pd.Index = pd.MultiIndex.from_arrays(arrays, names=names)
        return multi


def event_groups(events: CustomerEvents, columns: Sequence[str] | None = None) -> Groups:
    """Codes of the team × segment cross-classification of each event."""
    cols = tuple(events.group_columns() if columns is None else columns)
    unknown = [c for c in cols if c not in events.group_columns()]
    if unknown:
        raise DataValidationError(
            f"{format_offenders(unknown)} is not a team or segment column of the events; "
            f"choose from {format_offenders(events.group_columns()) or 'none'}"
        )
    n = events.n_events
    if not cols:
        return Groups(np.zeros(n, dtype=np.int64), (), ((ALL,),))
    cats = [events.frame[c].cat for c in cols]
    combined = np.zeros(n, dtype=np.int64)
    for cat in cats:
        combined = combined * np.int64(len(cat.categories)) + np.asarray(cat.codes, np.int64)
    # dense codes of the combinations present (a counting pass, no sort)
    seen = np.bincount(combined) > 0
    present = np.flatnonzero(seen)
    remap = np.cumsum(seen) - 1
    codes = remap[combined]
    labels: list[tuple[object, ...]] = []
    for value in present.tolist():
        parts: list[object] = []
        for cat in reversed(cats):
            size = len(cat.categories)
            parts.append(_plain(cat.categories[value % size]))
            value //= size
        labels.append(tuple(reversed(parts)))
    return Groups(np.asarray(codes, dtype=np.int64), cols, tuple(labels))


def _plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


@dataclass(frozen=True)
class PeriodGrid:
    """Calendar periods from the first event's to ``as_of``'s."""

    freq: str
    first: int
    labels: tuple[str, ...]
    ends: IntArray
    """The instant each period is evaluated at: its last nanosecond, or ``as_of``."""
    complete: NDArray[np.bool_]
    """Whether the period ended by ``as_of``."""

    @property
    def months_per(self) -> int:
        """Calendar months in one period."""
        return _MONTHS[self.freq]

    def of(self, times: IntArray) -> IntArray:
        """Period position (0 = the first period) of int64 nanosecond times."""
        return _period_number(times, self.freq) - self.first

    def of_months(self, months: IntArray) -> IntArray:
        """Period position of calendar month numbers (see ``month_numbers``)."""
        return np.asarray(np.floor_divide(months, self.months_per) - self.first, np.int64)


def _period_number(times: IntArray, freq: str) -> IntArray:
    months = times.view("datetime64[ns]").astype("datetime64[M]").astype(np.int64)
    return np.asarray(np.floor_divide(months, _MONTHS[freq]), dtype=np.int64)


def period_grid(start: int, as_of: int, freq: str) -> PeriodGrid:
    """The periods covering ``[start, as_of]`` at frequency ``freq`` ("M", "Q" or "Y")."""
    first = int(_period_number(np.array([start], dtype=np.int64), freq)[0])
    last = int(_period_number(np.array([as_of], dtype=np.int64), freq)[0])
    numbers = np.arange(first, last + 1, dtype=np.int64)
    starts_next = ((numbers + 1) * _MONTHS[freq]).astype("datetime64[M]").astype("datetime64[ns]")
    ends = starts_next.astype(np.int64) - 1
    complete = ends <= as_of
    ends = np.minimum(ends, as_of)
    month0 = (numbers * _MONTHS[freq]).astype("datetime64[M]")
    pandas_freq = {"M": "M", "Q": "Q", "Y": "Y"}[freq]
    labels = tuple(
        str(p) for p in pd.PeriodIndex(month0.astype("datetime64[ns]"), freq=pandas_freq)
    )
    return PeriodGrid(freq, first, labels, np.asarray(ends, np.int64), np.asarray(complete))
