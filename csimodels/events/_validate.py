"""Checks of an event log: each raises a DataValidationError naming the column, the
first offending rows (the caller's row labels) and what was expected.

Every check is vectorised (a log of ten million events is checked in seconds); the
row-by-row formatting runs only on the few offending rows shown in a message.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from csimodels.errors import DataValidationError, format_offenders

__all__ = [
    "check_log_columns",
    "check_no_missing",
    "rows_message",
    "to_amounts",
    "to_kind_codes",
    "to_times",
    "to_timestamp",
]

MAX_ROWS_SHOWN = 5


def rows_message(index: pd.Index, mask: NDArray[np.bool_], values: Any = None) -> str:
    """``row 4: 'x', row 9: 12 and 3 more``: the first offending rows by the caller's labels."""
    positions = np.flatnonzero(mask)
    shown = []
    for p in positions[:MAX_ROWS_SHOWN]:
        label = index[p]
        where = f"row {label!r}" if isinstance(label, str) else f"row {label}"
        if values is not None:
            value = values[p]
            where += f": {value!r}" if isinstance(value, str) else f": {value}"
        shown.append(where)
    extra = positions.size - MAX_ROWS_SHOWN
    return ", ".join(shown) + (f" and {extra} more" if extra > 0 else "")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def check_log_columns(df: object, roles: Mapping[str, str | Sequence[str] | None]) -> pd.DataFrame:
    """The frame itself, its row labels and the role columns (present, named once)."""
    if not isinstance(df, pd.DataFrame):
        raise DataValidationError(f"events must be a pandas DataFrame, got {type(df).__name__}")
    if df.shape[0] == 0:
        raise DataValidationError("events has no rows; expected at least one event")
    dupes = df.columns[df.columns.duplicated()].unique().tolist()
    if dupes:
        raise DataValidationError(
            f"events has duplicated column names: {format_offenders(sorted(map(str, dupes)))}; "
            "column names must be unique"
        )
    if df.index.has_duplicates:
        dup_rows = df.index[df.index.duplicated()].unique().tolist()
        raise DataValidationError(
            f"events has duplicated row labels: {format_offenders(dup_rows[:5])}"
            f"{' and more' if len(dup_rows) > 5 else ''}; row labels name the rows in error "
            "messages: reset the index (df.reset_index(drop=True)) or make the labels unique"
        )
    used: dict[Hashable, str] = {}
    for role, names in roles.items():
        if names is None:
            continue
        listed = [names] if isinstance(names, str) else list(names)
        for name in listed:
            if not isinstance(name, str):
                raise DataValidationError(f"{role}= must name a column (a string), got {name!r}")
            if name in used:
                raise DataValidationError(
                    f"column {name!r} is given both as {used[name]}= and as {role}=; "
                    "a column can play one role only"
                )
            used[name] = role
    missing = sorted(str(c) for c in used if c not in df.columns)
    if missing:
        raise DataValidationError(
            f"column {format_offenders(missing)} not found in events; available columns: "
            f"{format_offenders(sorted(map(str, df.columns)))}"
        )
    return df


def check_no_missing(column: pd.Series, role: str, name: str, hint: str) -> None:
    """Raise when a role column has missing values."""
    missing = column.isna().to_numpy()
    if missing.any():
        raise DataValidationError(
            f"{role} column {name!r} has {_plural(int(missing.sum()), 'missing value')} "
            f"({rows_message(column.index, missing)}); {hint}"
        )


def to_timestamp(value: object, role: str) -> pd.Timestamp:
    """One timestamp argument (``as_of=``) as a timezone-naive pandas Timestamp."""
    try:
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
        stamp = stamp.as_unit("ns") if not pd.isna(stamp) else stamp
    except (TypeError, ValueError, OverflowError) as err:
        raise DataValidationError(
            f"{role}= must be a date or timestamp (e.g. '2025-12-31'), got {value!r}"
        ) from err
    if pd.isna(stamp):
        raise DataValidationError(f"{role}= must be a date, got a missing value")
    if stamp.tzinfo is not None:
        raise DataValidationError(
            f"{role}= is timezone-aware ({stamp}); give a naive local timestamp "
            "(stamp.tz_localize(None)), as the event times are"
        )
    return stamp


def to_times(column: pd.Series, name: str) -> NDArray[np.int64]:
    """An event-time column as int64 nanoseconds (naive timestamps), or raise."""
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        raise DataValidationError(
            f"time column {name!r} is timezone-aware ({column.dtype}); convert it to naive "
            f"local times first (df[{name!r}].dt.tz_localize(None))"
        )
    if pd.api.types.is_datetime64_dtype(column.dtype):
        parsed = _to_ns(column, column, name)
    else:
        try:
            parsed = pd.to_datetime(column, errors="coerce", format="mixed")
        except (TypeError, ValueError) as err:
            raise DataValidationError(
                f"time column {name!r} cannot be read as dates ({err}); expected timestamps "
                "such as '2025-03-01 09:30'"
            ) from err
        if isinstance(parsed.dtype, pd.DatetimeTZDtype):
            raise DataValidationError(
                f"time column {name!r} holds timezone-aware times; convert them to naive "
                "local times first"
            )
        parsed = _to_ns(parsed, column, name)
    missing = parsed.isna().to_numpy()
    if missing.any():
        given = column.isna().to_numpy()
        bad = missing & ~given
        if bad.any():
            raise DataValidationError(
                f"time column {name!r} has {_plural(int(bad.sum()), 'value')} that are not "
                f"dates ({rows_message(column.index, bad, column.to_numpy(dtype=object))}); "
                "expected timestamps such as '2025-03-01 09:30'"
            )
        raise DataValidationError(
            f"time column {name!r} has {_plural(int(missing.sum()), 'missing time')} "
            f"({rows_message(column.index, missing)}); every event needs its time: fill "
            "them or drop the rows"
        )
    return np.asarray(parsed.to_numpy().view(np.int64))


def _to_ns(parsed: pd.Series, column: pd.Series, name: str) -> pd.Series:
    """Nanosecond timestamps, or an error naming the rows outside their range."""
    try:
        return parsed.astype("datetime64[ns]")
    except (pd.errors.OutOfBoundsDatetime, OverflowError):
        low, high = pd.Timestamp.min, pd.Timestamp.max
        bad = ((parsed < low) | (parsed > high)).to_numpy()
        raise DataValidationError(
            f"time column {name!r} has {_plural(int(bad.sum()), 'time')} outside "
            f"{low.date()} .. {high.date()} "
            f"({rows_message(column.index, bad, column.to_numpy(dtype=object))}); "
            "correct the dates"
        ) from None


def to_kind_codes(
    column: pd.Series, name: str, mapping: Mapping[Any, str] | None, kinds: Sequence[str]
) -> NDArray[np.int8]:
    """Event kinds as codes into ``kinds`` after the user's relabelling, or raise."""
    check_no_missing(column, "kind", name, "every event needs its kind")
    codes, uniques = pd.factorize(column, sort=False)
    relabel = dict(mapping or {})
    bad_targets = sorted({str(v) for v in relabel.values() if v not in kinds})
    if bad_targets:
        raise DataValidationError(
            f"kinds= maps labels to {format_offenders(bad_targets)}, which "
            f"{'is not an event kind' if len(bad_targets) == 1 else 'are not event kinds'}; "
            f"the event kinds are {format_offenders(list(kinds))}"
        )
    lookup = {k: i for i, k in enumerate(kinds)}
    target = np.empty(len(uniques), dtype=np.int8)
    unknown: list[str] = []
    for j, label in enumerate(uniques):
        canonical = relabel.get(label, label)
        if canonical in lookup:
            target[j] = lookup[canonical]
        else:
            unknown.append(str(label))
            target[j] = -1
    out = target[codes]
    if unknown:
        bad = out < 0
        raise DataValidationError(
            f"kind column {name!r} has {_plural(int(bad.sum()), 'event')} of unknown kind "
            f"{format_offenders(sorted(unknown))} ({rows_message(column.index, bad)}); the "
            f"event kinds are {format_offenders(list(kinds), limit=len(kinds))}: map your "
            "labels with kinds={'来厂': 'visit', ...}"
        )
    return out


def to_amounts(column: pd.Series, name: str) -> NDArray[np.float64]:
    """An amount column as float64 (missing allowed: no amount), or raise."""
    if pd.api.types.is_bool_dtype(column.dtype):
        raise DataValidationError(f"amount column {name!r} is boolean; expected money amounts")
    numeric = pd.to_numeric(column, errors="coerce")
    values = numeric.to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.isnan(values) & ~column.isna().to_numpy()
    if bad.any():
        raise DataValidationError(
            f"amount column {name!r} has {_plural(int(bad.sum()), 'value')} that are not "
            f"numbers ({rows_message(column.index, bad, column.to_numpy(dtype=object))}); "
            "expected amounts of money (leave the cell empty when there is none)"
        )
    inf = np.isinf(values)
    if inf.any():
        raise DataValidationError(
            f"amount column {name!r} has infinite values ({rows_message(column.index, inf)}); "
            "expected finite amounts"
        )
    return values
