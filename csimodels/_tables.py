"""Exact JSON encoding of pandas tables, used by every result.

Format (documented in ``docs/results.md``): a table is a JSON object::

    {"kind": "frame" | "series",
     "name": <series name or null>,
     "index":   {"names": [...], "dtype": "...", "values": [...] | [[level values]...]},
     "columns": {...same shape as index...}          # frames only
     "dtypes":  ["float64", "int64", "bool", "str", "object", "category", ...],
     "data":    [[column 0 values...], [column 1 values...], ...]}

Floats are written with Python's shortest round-trip repr, so a decode gives
bit-identical numbers; NaN and the infinities are written as the strings
``"NaN"``, ``"Infinity"`` and ``"-Infinity"`` so that the output is strict JSON.
Missing values in non-float columns are ``null``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from csimodels.errors import ResultFormatError

_SPECIAL = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _encode_scalar(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, tuple):
        return [_encode_scalar(v) for v in value]
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)


def _decode_float(value: Any, where: str) -> float:
    if value is None:
        return math.nan
    if isinstance(value, str):
        if value not in _SPECIAL:
            raise ResultFormatError(
                f"{where}: {value!r} is not a number (floats are numbers or "
                "'NaN', 'Infinity', '-Infinity')"
            )
        return _SPECIAL[value]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ResultFormatError(f"{where}: expected a number, got {type(value).__name__}")
    return float(value)


#: The only dtypes a payload may name: a dtype string is never handed to numpy unless
#: it is one of these (``"int8,(200000000,)i1"`` would allocate hundreds of MB).
FLOAT_DTYPES = frozenset({"float16", "float32", "float64"})
INT_DTYPES = frozenset(
    {"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "bool"}
)
NULLABLE_DTYPES = frozenset(
    {"Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64", "Float32",
     "Float64", "boolean"}
)  # fmt: skip
DATETIME_DTYPES = frozenset(f"datetime64[{u}]" for u in ("s", "ms", "us", "ns"))
DTYPES = frozenset(
    {*FLOAT_DTYPES, *INT_DTYPES, *NULLABLE_DTYPES, *DATETIME_DTYPES, "str", "string",
     "object", "category"}
)  # fmt: skip
#: Largest number of cells (or index labels) one table of a payload may hold.
MAX_TABLE_CELLS = 20_000_000


def _check_dtype(dtype: Any, where: str) -> str:
    if not isinstance(dtype, str) or dtype not in DTYPES:
        raise ResultFormatError(
            f"{where}: dtype {dtype!r} is not allowed; expected one of {', '.join(sorted(DTYPES))}"
        )
    return dtype


def _check_list(raw: Any, where: str) -> list[Any]:
    if not isinstance(raw, list):
        raise ResultFormatError(f"{where}: expected a list, got {type(raw).__name__}")
    if len(raw) > MAX_TABLE_CELLS:
        raise ResultFormatError(f"{where}: {len(raw)} values exceed the limit of {MAX_TABLE_CELLS}")
    return raw


def _encode_values(values: pd.Series | pd.Index) -> tuple[str, list[Any]]:
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return "category", [_encode_scalar(v) for v in values.astype(object)]
    name = str(dtype)
    if name not in DTYPES:
        name = "object"
    if name in ("str", "string"):
        # a missing string is NaN under pandas' str dtype: it must come back missing,
        # not as the text "NaN"
        return name, [None if pd.isna(v) else _encode_scalar(v) for v in values.tolist()]
    return name, [_encode_scalar(v) for v in values.tolist()]


def _decode_values(dtype: Any, raw: Any, where: str = "table") -> Any:
    dtype = _check_dtype(dtype, where)
    raw = _check_list(raw, where)
    try:
        if dtype in FLOAT_DTYPES:
            return np.array([_decode_float(v, where) for v in raw], dtype=dtype)
        if dtype in INT_DTYPES:
            bad = [
                v
                for v in raw
                if not isinstance(v, (int, bool)) or (dtype != "bool") == isinstance(v, bool)
            ]
            if bad:
                raise ResultFormatError(
                    f"{where}: dtype {dtype} needs {'booleans' if dtype == 'bool' else 'integers'}"
                    f", got {bad[0]!r}"
                )
            return np.array(raw, dtype=dtype)
        if dtype in NULLABLE_DTYPES:
            return pd.array(raw, dtype=dtype)
        if dtype == "category":
            return pd.Categorical([_decode_object(v, where) for v in raw])
        if dtype in DATETIME_DTYPES:
            if any(v is not None and not isinstance(v, str) for v in raw):
                raise ResultFormatError(f"{where}: datetimes must be ISO strings or null")
            return pd.to_datetime(raw).as_unit(dtype[len("datetime64[") : -1])
        if dtype in ("str", "string"):
            if any(v is not None and not isinstance(v, str) for v in raw):
                raise ResultFormatError(f"{where}: dtype {dtype} needs strings or null")
            return pd.array(raw, dtype=dtype)
        return np.array([_decode_object(v, where) for v in raw] if raw else [], dtype=object)
    except ResultFormatError:
        raise
    except (TypeError, ValueError, OverflowError) as err:
        raise ResultFormatError(f"{where}: values do not fit dtype {dtype} ({err})") from err


def _decode_object(value: Any, where: str = "table") -> Any:
    if isinstance(value, list):
        return tuple(_decode_object(v, where) for v in value)
    if isinstance(value, str) and value in _SPECIAL:
        return _SPECIAL[value]
    if isinstance(value, dict):
        raise ResultFormatError(f"{where}: a table cell cannot be an object")
    return value


def _encode_index(index: pd.Index) -> dict[str, Any]:
    if isinstance(index, pd.MultiIndex):
        levels = [index.get_level_values(i) for i in range(index.nlevels)]
        encoded = [_encode_values(level) for level in levels]
        return {
            "names": [_encode_scalar(n) for n in index.names],
            "dtype": [d for d, _ in encoded],
            "values": [v for _, v in encoded],
            "multi": True,
        }
    dtype, values = _encode_values(index)
    return {"names": [_encode_scalar(index.name)], "dtype": dtype, "values": values}


def _field(payload: Any, key: str, where: str) -> Any:
    if not isinstance(payload, dict):
        raise ResultFormatError(f"{where}: expected an object, got {type(payload).__name__}")
    if key not in payload:
        raise ResultFormatError(f"{where}: missing field {key!r}")
    return payload[key]


def _check_keys(payload: dict[str, Any], allowed: set[str], where: str) -> None:
    extra = sorted(set(payload) - allowed)
    if extra:
        raise ResultFormatError(f"{where}: unexpected field {', '.join(map(repr, extra))}")


def _decode_index(payload: Any, where: str = "index") -> pd.Index:
    names = _check_list(_field(payload, "names", where), f"{where}.names")
    dtype = _field(payload, "dtype", where)
    values = _field(payload, "values", where)
    _check_keys(payload, {"names", "dtype", "values", "multi"}, where)
    if any(isinstance(n, (dict, list)) for n in names):
        raise ResultFormatError(f"{where}.names: names must be strings, numbers or null")
    if payload.get("multi"):
        dtypes = _check_list(dtype, f"{where}.dtype")
        levels = _check_list(values, f"{where}.values")
        if not (len(names) == len(dtypes) == len(levels)) or not levels:
            raise ResultFormatError(
                f"{where}: a multi-index needs as many names, dtypes and value lists "
                f"(got {len(names)}, {len(dtypes)}, {len(levels)})"
            )
        arrays = [
            pd.Index(_decode_values(d, v, f"{where}.values[{k}]"))
            for k, (d, v) in enumerate(zip(dtypes, levels, strict=True))
        ]
        if len({len(a) for a in arrays}) > 1:
            raise ResultFormatError(f"{where}: the levels of a multi-index differ in length")
        multi: pd.Index = pd.MultiIndex.from_arrays(arrays, names=names)
        return multi
    if len(names) != 1:
        raise ResultFormatError(f"{where}.names: expected one name, got {len(names)}")
    if isinstance(dtype, str) and dtype.startswith("int") and values == []:
        return pd.RangeIndex(0, name=names[0])
    decoded: Any = _decode_values(dtype, values, f"{where}.values")
    index: pd.Index = pd.Index(decoded, name=names[0])
    return index


def table_to_payload(table: pd.DataFrame | pd.Series) -> dict[str, Any]:
    """Encode a DataFrame or Series as a JSON-ready dict (see the module docstring).

    Examples
    --------
    >>> import pandas as pd
    >>> table_to_payload(pd.Series([1.5], index=["a"], name="w"))["data"]
    [1.5]
    """
    if isinstance(table, pd.Series):
        dtype, data = _encode_values(table)
        return {
            "kind": "series",
            "name": _encode_scalar(table.name),
            "index": _encode_index(table.index),
            "dtype": dtype,
            "data": data,
        }
    encoded = [_encode_values(table.iloc[:, j]) for j in range(table.shape[1])]
    return {
        "kind": "frame",
        "index": _encode_index(table.index),
        "columns": _encode_index(table.columns),
        "dtypes": [d for d, _ in encoded],
        "data": [v for _, v in encoded],
    }


def table_from_payload(payload: Any, where: str = "table") -> pd.DataFrame | pd.Series:
    """Decode what :func:`table_to_payload` wrote.

    Raises
    ------
    ResultFormatError
        For a payload that is not such a table (naming the part at fault).

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.Series([1.5, float("nan")], index=["a", "b"], name="w")
    >>> table_from_payload(table_to_payload(s)).equals(s)
    True
    """
    kind = _field(payload, "kind", where)
    index = _decode_index(_field(payload, "index", where), f"{where}.index")
    if kind == "series":
        _check_keys(payload, {"kind", "name", "index", "dtype", "data"}, where)
        values = _decode_values(
            _field(payload, "dtype", where), _field(payload, "data", where), f"{where}.data"
        )
        if len(values) != len(index):
            raise ResultFormatError(
                f"{where}: {len(values)} values for an index of {len(index)} labels"
            )
        name = payload.get("name")
        if isinstance(name, dict):
            raise ResultFormatError(f"{where}.name: expected a string, number or null")
        return pd.Series(values, index=index, name=_decode_object(name, where))
    if kind != "frame":
        raise ResultFormatError(f"{where}.kind: expected 'frame' or 'series', got {kind!r}")
    _check_keys(payload, {"kind", "index", "columns", "dtypes", "data"}, where)
    columns = _decode_index(_field(payload, "columns", where), f"{where}.columns")
    dtypes = _check_list(_field(payload, "dtypes", where), f"{where}.dtypes")
    data_lists = _check_list(_field(payload, "data", where), f"{where}.data")
    if not (len(dtypes) == len(data_lists) == len(columns)):
        raise ResultFormatError(
            f"{where}: {len(columns)} columns, {len(dtypes)} dtypes and {len(data_lists)} "
            "data lists; they must agree"
        )
    if len(index) * max(len(columns), 1) > MAX_TABLE_CELLS:
        raise ResultFormatError(f"{where}: more than {MAX_TABLE_CELLS} cells")
    data = {}
    for j, (d, v) in enumerate(zip(dtypes, data_lists, strict=True)):
        col = _decode_values(d, v, f"{where}.data[{j}]")
        if len(col) != len(index):
            raise ResultFormatError(
                f"{where}.data[{j}]: {len(col)} values for an index of {len(index)} labels"
            )
        data[j] = col
    frame = pd.DataFrame(data, index=index)
    frame.columns = columns
    return frame
