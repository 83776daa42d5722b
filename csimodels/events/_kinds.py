"""The vocabulary of customer events and the calendar helpers every events module shares."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = [
    "ACTIVITY_KINDS",
    "CASE_KINDS",
    "DAYS_PER_MONTH",
    "EVENT_KINDS",
    "add_months",
    "month_numbers",
    "months_between",
]

#: Every event kind a :class:`~csimodels.events.CustomerEvents` log may hold.
EVENT_KINDS: tuple[str, ...] = (
    "visit",
    "purchase",
    "complaint_opened",
    "complaint_replied",
    "complaint_resolved",
    "complaint_reopened",
    "compensation",
)

#: Kinds that belong to a complaint case (they need a case id).
CASE_KINDS: tuple[str, ...] = (
    "complaint_opened",
    "complaint_replied",
    "complaint_resolved",
    "complaint_reopened",
    "compensation",
)

#: Kinds that count as a customer's activity (coming to the shop) by default.
ACTIVITY_KINDS: tuple[str, ...] = ("visit", "purchase")

#: The mean length of a Gregorian month in days (365.2425 / 12); durations in months.
DAYS_PER_MONTH = 365.2425 / 12

_NS_PER_DAY = 86_400 * 10**9


def months_between(start: NDArray[np.int64], end: NDArray[np.int64]) -> NDArray[np.float64]:
    """Durations in mean months between int64 nanosecond timestamps.

    Examples
    --------
    >>> t = pd.to_datetime(["2024-01-01", "2025-01-01"]).as_unit("ns").asi8
    >>> round(float(months_between(t[:1], t[1:])[0]), 4)
    12.0249
    """
    return np.asarray((end - start) / (_NS_PER_DAY * DAYS_PER_MONTH), dtype=np.float64)


def month_numbers(times: NDArray[np.int64]) -> NDArray[np.int64]:
    """Calendar month of int64 nanosecond timestamps, counted from 1970-01 (= 0).

    ``add_months(t, k)`` always falls in month ``month_numbers(t) + k``.

    Examples
    --------
    >>> t = pd.to_datetime(["1970-01-31", "2024-03-01"]).as_unit("ns").asi8
    >>> month_numbers(t).tolist()
    [0, 650]
    """
    return np.asarray(times.view("datetime64[ns]").astype("datetime64[M]"), dtype=np.int64)


def add_months(times: NDArray[np.int64], months: int) -> NDArray[np.int64]:
    """Calendar-month shift of int64 nanosecond timestamps (Jan 31 + 1 month = Feb 28/29).

    The rule of ``pandas.DateOffset(months=...)``: the day of the month is kept,
    clipped to the length of the target month, and so is the time of day.

    Examples
    --------
    >>> t = pd.to_datetime(["2024-01-31", "2024-08-15"]).as_unit("ns").asi8
    >>> pd.to_datetime(add_months(t, 1)).strftime("%Y-%m-%d").tolist()
    ['2024-02-29', '2024-09-15']
    """
    if months == 0:
        return np.array(times, dtype=np.int64, copy=True)
    # pandas' vectorised month shift (faster than numpy's datetime casts)
    shifted = pd.DatetimeIndex(times.view("datetime64[ns]")) + pd.DateOffset(months=months)
    return np.asarray(shifted.as_unit("ns").asi8, dtype=np.int64)
