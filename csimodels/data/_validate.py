"""Validation of survey frames: each check raises a DataValidationError that names
the column, the first offending rows and what was expected."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from csimodels.data.scale import Scale
from csimodels.errors import DataValidationError, format_offenders

#: True while one partition of a larger (dask) frame goes through the gate: checks
#: that only the whole data can answer (an item nobody answered, a constant item) are
#: left to the family's survey-wide checks on the combined statistics.
_PARTITION: ContextVar[bool] = ContextVar("csimodels_partition", default=False)


def checking_partition() -> bool:
    """Whether the gate is validating one partition of a larger frame."""
    return _PARTITION.get()


def run_in_partition(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)`` with the gate in partition mode."""
    token = _PARTITION.set(True)
    try:
        return fn(*args, **kwargs)
    finally:
        _PARTITION.reset(token)


def in_partition(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` run with the gate in partition mode (for the tasks dask runs per partition).

    A ``functools.partial`` of module-level functions, so that a distributed scheduler
    can pickle it.

    Examples
    --------
    >>> in_partition(checking_partition)(), checking_partition()
    (True, False)
    """
    return functools.partial(run_in_partition, fn)


MAX_ROWS_SHOWN = 5


def rows_with_values(frame_index: pd.Index, mask: NDArray[np.bool_], values: Any) -> str:
    """``row 4: 'n/a', row 9: 12`` for the first offending rows (labels as the caller gave)."""
    positions = np.flatnonzero(mask)
    shown = [
        f"row {frame_index[p]!r}: {values[p]!r}"
        if isinstance(frame_index[p], str)
        else f"row {frame_index[p]}: {_fmt(values[p])}"
        for p in positions[:MAX_ROWS_SHOWN]
    ]
    extra = positions.size - MAX_ROWS_SHOWN
    return ", ".join(shown) + (f" and {extra} more" if extra > 0 else "")


def _fmt(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value) if isinstance(value, str) else str(value)


def check_frame(df: object, *, where: str = "data") -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise DataValidationError(f"{where} must be a pandas DataFrame, got {type(df).__name__}")
    if df.shape[0] == 0:
        raise DataValidationError(f"{where} has no rows; expected at least one respondent")
    dupes = df.columns[df.columns.duplicated()].unique().tolist()
    if dupes:
        raise DataValidationError(
            f"{where} has duplicated column names: {format_offenders(sorted(map(str, dupes)))}; "
            "column names must be unique"
        )
    if df.index.has_duplicates:
        dup_rows = df.index[df.index.duplicated()].unique().tolist()
        raise DataValidationError(
            f"{where} has duplicated row labels: {format_offenders(dup_rows)}; "
            "reset the index (df.reset_index(drop=True)) or make the labels unique"
        )
    return df


def check_columns_exist(
    df: pd.DataFrame, columns: Iterable[Hashable], *, role: str, where: str = "data"
) -> None:
    missing = sorted({str(c) for c in columns if c not in df.columns})
    if missing:
        available = format_offenders(sorted(map(str, df.columns)))
        raise DataValidationError(
            f"{role} {format_offenders(missing)} not found in {where}; "
            f"available columns: {available}"
        )


def check_no_duplicates(values: Sequence[Hashable], *, role: str) -> None:
    seen: set[Hashable] = set()
    dupes: list[str] = []
    for v in values:
        if v in seen:
            dupes.append(str(v))
        seen.add(v)
    if dupes:
        raise DataValidationError(
            f"{role} lists {format_offenders(sorted(set(dupes)))} more than once; "
            "each column may appear only once"
        )


def to_numeric_item(
    column: pd.Series, name: str, missing_codes: Sequence[Any], scale: Scale | None
) -> np.ndarray:
    """Turn one item column into float64 with missing codes as NaN, or raise."""
    code_set = set(missing_codes)
    if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype):
        out = column.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
        numeric_codes = [c for c in code_set if _is_number(c)]
        if numeric_codes:
            out[np.isin(out, numeric_codes)] = np.nan
        bad = np.zeros(out.shape[0], dtype=bool)
        values: Any = out
    else:
        # object columns (e.g. from Excel or CSV with stray text): checked cell by cell,
        # rejecting strings and booleans rather than guessing what they mean
        values = column.to_numpy(dtype=object, na_value=np.nan)
        out = np.full(len(values), np.nan)
        bad = np.zeros(len(values), dtype=bool)
        for i, v in enumerate(values):
            if v is None or (isinstance(v, float) and np.isnan(v)) or _is_code(v, code_set):
                continue
            if _is_number(v):
                out[i] = float(v)
            else:
                bad[i] = True
    if bad.any():
        hint = "declare them as missing_codes" if bad.sum() < len(values) else "map labels to codes"
        raise DataValidationError(
            f"column {name!r} has {int(bad.sum())} non-numeric "
            f"value{'s' if bad.sum() > 1 else ''} ({rows_with_values(column.index, bad, values)}); "
            f"expected numbers{' on the scale ' + scale.describe() if scale else ''}: "
            f"{hint} or pass items=[...] without this column"
        )
    inf = np.isinf(out)
    if inf.any():
        raise DataValidationError(
            f"column {name!r} has infinite values ({rows_with_values(column.index, inf, out)}); "
            "expected finite answers"
        )
    if scale is not None:
        outside = ~np.isnan(out) & ((out < scale.min) | (out > scale.max))
        if outside.any():
            n_out = int(outside.sum())
            example = out[np.flatnonzero(outside)[0]]
            raise DataValidationError(
                f"column {name!r} has {n_out} value{'s' if n_out > 1 else ''} outside the scale "
                f"{scale.describe()} ({rows_with_values(column.index, outside, out)}); "
                f"if {_fmt(example)} means 'no answer', pass missing_codes=[{_fmt(example)}]"
            )
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.number)) and not isinstance(value, (bool, np.bool_))


def _is_code(value: Any, codes: set[Any]) -> bool:
    try:
        return value in codes
    except TypeError:
        return False


def check_weights(column: pd.Series, name: str) -> np.ndarray:
    values = column.to_numpy(dtype=object, na_value=np.nan)
    numeric = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(numeric) | (numeric < 0)
    if bad.any():
        raise DataValidationError(
            f"weight column {name!r} has {int(bad.sum())} invalid "
            f"value{'s' if bad.sum() > 1 else ''} ({rows_with_values(column.index, bad, values)}); "
            "expected finite numbers >= 0"
        )
    if not (numeric > 0).any():
        raise DataValidationError(
            f"weight column {name!r} is zero for every respondent; expected some positive weights"
        )
    return numeric


def check_segments(df: pd.DataFrame, segments: Sequence[str]) -> None:
    for name in segments:
        missing = df[name].isna().to_numpy()
        if missing.any():
            raise DataValidationError(
                f"segment column {name!r} has {int(missing.sum())} missing "
                f"value{'s' if missing.sum() > 1 else ''} "
                f"({rows_with_values(df.index, missing, df[name].tolist())}); "
                "every respondent needs a segment: fill them (e.g. 'unknown') or drop the rows"
            )
    for parent, child in itertools.pairwise(segments):
        parents_per_child = df.groupby(child, observed=True, sort=True)[parent].nunique()
        ambiguous = parents_per_child[parents_per_child > 1]
        if len(ambiguous):
            label = ambiguous.index[0]
            owners = sorted(map(str, df.loc[df[child] == label, parent].unique()))
            raise DataValidationError(
                f"segments must form a hierarchy, but {child} {label!r} appears under "
                f"{parent} {format_offenders(owners)}; make the {child} labels unique "
                f"(e.g. '{owners[0]}/{label}') or list the segment columns from coarse to fine"
            )


def check_mapping_items(
    mapping: Mapping[str, Sequence[str]], items: Sequence[str], *, role: str
) -> None:
    owner: dict[str, str] = {}
    for group, members in mapping.items():
        if len(members) == 0:
            raise DataValidationError(f"{role} {group!r} has no items; give it at least one")
        unknown = sorted(m for m in members if m not in items)
        if unknown:
            raise DataValidationError(
                f"{role} {group!r} lists {format_offenders(unknown)}, which "
                f"{'is not an item' if len(unknown) == 1 else 'are not items'} of this survey"
            )
        for m in members:
            if m in owner:
                raise DataValidationError(
                    f"item {m!r} is listed under both {owner[m]!r} and {group!r}; "
                    f"an item may belong to one {role} only"
                )
            owner[m] = group


def _is_name(value: Any) -> bool:
    return isinstance(value, str)


def check_argument_kinds(
    *,
    items: Any,
    missing_codes: Any,
    reverse: Any,
    labels: Any,
    constructs: Any,
    construct_labels: Any,
    weight: Any,
    segments: Any,
    period: Any,
) -> None:
    """Refuse arguments of the wrong kind before they are read as something else.

    A bare string where a list of names is expected would be read character by
    character; a list where a dict is expected, or an unhashable column name, would
    fail deep inside pandas. Each gets a message naming the argument.
    """
    for name, value in (("weight", weight), ("period", period)):
        if value is not None and not _is_name(value):
            raise DataValidationError(f"{name} must be one column name (a string), got {value!r}")
    for name, value in (("items", items), ("reverse", reverse), ("segments", segments)):
        if value is None and name == "items":
            continue
        if isinstance(value, (str, bytes)):
            raise DataValidationError(
                f"{name} must be a list of column names, not one string; "
                f"for one column write [{value!r}]"
            )
        if isinstance(value, Mapping) or not isinstance(value, (Sequence, pd.Index, np.ndarray)):
            raise DataValidationError(
                f"{name} must be a list of column names, got {type(value).__name__}"
            )
        bad = [x for x in value if not _is_name(x)]
        if bad:
            raise DataValidationError(
                f"{name} must hold column names (strings), got "
                f"{format_offenders([repr(b) for b in bad])}"
            )
    for name, value in (
        ("labels", labels),
        ("constructs", constructs),
        ("construct_labels", construct_labels),
    ):
        if value is not None and not isinstance(value, Mapping):
            example = "{'Quality': ['Q1', 'Q2']}" if name == "constructs" else "{'Q1': '满意度'}"
            raise DataValidationError(
                f"{name} must be a dict (e.g. {example}), got {type(value).__name__}"
            )
    if constructs is not None:
        for key, members in constructs.items():
            if isinstance(members, (str, bytes)) or not isinstance(
                members, (Sequence, pd.Index, np.ndarray)
            ):
                raise DataValidationError(
                    f"constructs[{key!r}] must be a list of item names, got {members!r}"
                )
    codes = missing_codes.values() if isinstance(missing_codes, Mapping) else [missing_codes]
    for group in codes:
        if isinstance(missing_codes, Mapping) and (
            isinstance(group, (str, bytes)) or not isinstance(group, (Sequence, np.ndarray))
        ):
            raise DataValidationError(
                "missing_codes given per item needs a list of codes for each item "
                f"(e.g. {{'SAT1': [99]}}), got {group!r}"
            )
        if isinstance(group, (str, bytes)) or not isinstance(group, (Sequence, np.ndarray)):
            continue  # refused with its own message later
        unhashable = [c for c in group if not isinstance(c, Hashable)]
        if unhashable:
            raise DataValidationError(
                f"missing_codes must hold single codes (numbers or strings), got "
                f"{format_offenders([repr(c) for c in unhashable])}"
            )
