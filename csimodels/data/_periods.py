"""The real order of period labels (quarters, months, dates, numbers).

A period column may hold pandas ``Period`` or datetime values, an ordered categorical,
numbers, or text in one recognised format: numeric strings (``'1'``, ``'2'``, ``'10'``),
quarters (``'2024Q1'``, ``'2024-Q1'``, ``'2024 Q1'``), months (``'2024-03'``,
``'2024/3'``) or ISO dates (``'2024-03-31'``). Labels are ordered by what they mean,
never alphabetically (``'10'`` comes after ``'9'``, ``'2024Q10'`` is not a quarter).
Quarters without a year (``'Q1'`` ... ``'Q4'``) are ordered within one year. A column
mixing kinds or types (``1`` and ``'2'``, ``'2024Q1'`` and ``'2024-04'``) is
refused, naming the offending values.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from csimodels.errors import DataValidationError, format_offenders

__all__ = ["PERIOD_FORMATS", "check_period_column", "order_periods"]

_NUMBER = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$")
_QUARTER = re.compile(r"^\s*(\d{4})\s*[-/ _]?\s*[Qq]([1-4])\s*$")
_QUARTER_FIRST = re.compile(r"^\s*[Qq]([1-4])\s*[-/ _]?\s*(\d{4})\s*$")
_QUARTER_ONLY = re.compile(r"^\s*[Qq]([1-4])\s*$")
_MONTH = re.compile(r"^\s*(\d{4})\s*[-/.]\s*(\d{1,2})\s*$")
_DATE = re.compile(r"^\s*\d{4}-\d{2}-\d{2}([ T].*)?$")

#: Human names of the recognised kinds of period label (used in messages).
PERIOD_FORMATS: dict[str, str] = {
    "number": "numbers",
    "quarter": "quarters ('YYYYQn')",
    "quarter_of_year": "quarters without a year ('Q1'...'Q4')",
    "month": "months ('YYYY-MM')",
    "date": "dates",
    "period": "pandas Periods",
    "text": "other text",
}


def _classify(value: Any) -> tuple[str, Any]:
    """(kind, sort key) of one non-missing label."""
    if isinstance(value, pd.Period):
        return f"period[{value.freqstr}]", value.ordinal
    if isinstance(value, (pd.Timestamp, _dt.datetime, _dt.date, np.datetime64)):
        return "date", pd.Timestamp(value).value
    if isinstance(value, (bool, np.bool_)):
        return "text", str(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return "number", float(value)
    if isinstance(value, str):
        if _NUMBER.match(value):
            return "number", float(value)
        m = _QUARTER.match(value)
        if m:
            return "quarter", (int(m.group(1)), int(m.group(2)))
        m = _QUARTER_FIRST.match(value)
        if m:
            return "quarter", (int(m.group(2)), int(m.group(1)))
        m = _QUARTER_ONLY.match(value)
        if m:
            return "quarter_of_year", int(m.group(1))
        m = _MONTH.match(value)
        if m and 1 <= int(m.group(2)) <= 12:
            return "month", (int(m.group(1)), int(m.group(2)))
        if _DATE.match(value):
            try:
                return "date", pd.Timestamp(value).value
            except (ValueError, TypeError):
                pass
        return "text", value
    return "text", str(value)


def _kind_name(kind: str) -> str:
    if kind.startswith("period["):
        return f"pandas Periods of frequency {kind[7:-1]}"
    return PERIOD_FORMATS.get(kind, kind)


def check_period_column(values: pd.Series, column: str) -> None:
    """Refuse a period column that mixes types or formats (the offending values named).

    Examples
    --------
    >>> import pandas as pd
    >>> check_period_column(pd.Series(["2024Q1", "2024Q2"]), "quarter")
    >>> try:
    ...     check_period_column(pd.Series([1, "2"], dtype=object), "wave")
    ... except DataValidationError as err:
    ...     print(str(err).split(";")[0])
    period column 'wave' mixes value types: int (1), str ('2')
    """
    dtype = values.dtype
    if isinstance(
        dtype, (pd.PeriodDtype, pd.CategoricalDtype)
    ) or pd.api.types.is_datetime64_any_dtype(dtype):
        if isinstance(dtype, pd.CategoricalDtype) and not dtype.ordered:
            check_period_column(pd.Series(np.asarray(values, dtype=object)), column)
        return
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        return
    raw = values.to_numpy(dtype=object)
    unhashable = [v for v in raw if not isinstance(v, Hashable)]
    if unhashable:
        raise DataValidationError(
            f"period column {column!r} holds values that are not labels "
            f"({format_offenders([repr(u) for u in unhashable[:3]])}); a period is one "
            "number, string, date or pandas Period per respondent"
        )
    uniques = [v for v in pd.unique(raw) if not _is_missing(v)]
    by_type: dict[str, list[Any]] = {}
    for v in uniques:
        t = "str" if isinstance(v, str) else type(v).__name__
        if isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)):
            t = "int"
        elif isinstance(v, (float, np.floating)):
            t = "float"
        by_type.setdefault(t, []).append(v)
    numeric_types = {"int", "float"}
    if len(by_type) > 1 and not set(by_type) <= numeric_types:
        parts = ", ".join(
            f"{t} ({format_offenders(sorted(vs, key=str), limit=3)})"
            for t, vs in sorted(by_type.items())
        )
        raise DataValidationError(
            f"period column {column!r} mixes value types: {parts}; use one type for every "
            "period label (e.g. all strings like '2024Q1', or pandas Periods)"
        )
    by_kind: dict[str, list[Any]] = {}
    for v in uniques:
        by_kind.setdefault(_classify(v)[0], []).append(v)
    if len(by_kind) > 1:
        parts = ", ".join(
            f"{_kind_name(k)} ({format_offenders(sorted(vs, key=str), limit=3)})"
            for k, vs in sorted(by_kind.items())
        )
        raise DataValidationError(
            f"period column {column!r} mixes label formats: {parts}; write every period "
            "in one format (numbers, 'YYYYQn', 'YYYY-MM' or dates)"
        )


def _is_missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def order_periods(values: pd.Series, column: str) -> tuple[Hashable, ...]:
    """The distinct period labels of ``values`` in their real order (missing left out).

    Raises
    ------
    DataValidationError
        For mixed types or formats, or text labels with no recognisable order.

    Examples
    --------
    >>> import pandas as pd
    >>> order_periods(pd.Series(["10", "2", "1", "2"]), "wave")
    ('1', '2', '10')
    >>> order_periods(pd.Series(["2024Q2", "2023Q4", "2024Q1"]), "quarter")
    ('2023Q4', '2024Q1', '2024Q2')
    """
    check_period_column(values, column)
    dtype = values.dtype
    present = values[values.notna()]
    if isinstance(dtype, pd.CategoricalDtype) and dtype.ordered:
        seen = set(present.unique())
        return tuple(c for c in dtype.categories if c in seen)
    uniques = list(pd.unique(present.to_numpy(dtype=object)))
    if isinstance(dtype, pd.PeriodDtype) or pd.api.types.is_datetime64_any_dtype(dtype):
        return tuple(sorted(uniques))
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        return tuple(sorted(uniques, key=float))
    keyed = [(_classify(v), v) for v in uniques]
    kinds = {k for (k, _), _ in keyed}
    if kinds == {"text"}:
        raise DataValidationError(
            f"period column {column!r} holds labels with no recognisable order "
            f"({format_offenders(sorted(map(str, uniques)))}); use numbers, 'YYYYQn', "
            "'YYYY-MM', dates or pandas Periods, make the column an ordered categorical "
            "(pd.Categorical(values, categories=[...], ordered=True)), or give the order "
            "explicitly where the analysis takes it"
        )
    ordered = sorted(keyed, key=lambda kv: kv[0][1])
    keys = [kv[0][1] for kv in ordered]
    dupes = [ordered[i][1] for i in range(1, len(keys)) if keys[i] == keys[i - 1]]
    if dupes:
        same = [v for (_, key), v in ordered if key in {_classify(d)[1] for d in dupes}]
        raise DataValidationError(
            f"period column {column!r} writes one period in several ways "
            f"({format_offenders(sorted(map(str, same)))}); write each period one way"
        )
    return tuple(v for _, v in ordered)
