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


def _decode_float(value: Any) -> float:
    if value is None:
        return math.nan
    if isinstance(value, str):
        return _SPECIAL[value]
    return float(value)


def _encode_values(values: pd.Series | pd.Index) -> tuple[str, list[Any]]:
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return "category", [_encode_scalar(v) for v in values.astype(object)]
    name = str(dtype)
    return name, [_encode_scalar(v) for v in values.tolist()]


def _decode_values(dtype: str, raw: list[Any]) -> Any:
    if dtype.startswith("float"):
        return np.array([_decode_float(v) for v in raw], dtype=dtype)
    if dtype.startswith(("int", "uint")) or dtype == "bool":
        return np.array(raw, dtype=dtype)
    if dtype == "category":
        return pd.Categorical(raw)
    if dtype.startswith("datetime64"):
        return pd.to_datetime(raw)
    if dtype in ("str", "string"):
        return pd.array(raw, dtype="str" if dtype == "str" else "string")
    return np.array([_decode_object(v) for v in raw] if raw else [], dtype=object)


def _decode_object(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_decode_object(v) for v in value)
    if isinstance(value, str) and value in _SPECIAL:
        return _SPECIAL[value]
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


def _decode_index(payload: dict[str, Any]) -> pd.Index:
    if payload.get("multi"):
        arrays = [
            pd.Index(_decode_values(d, v))
            for d, v in zip(payload["dtype"], payload["values"], strict=True)
        ]
        multi: pd.Index = pd.MultiIndex.from_arrays(arrays, names=payload["names"])
        return multi
    if payload["dtype"].startswith("int") and not payload["values"]:
        return pd.RangeIndex(0, name=payload["names"][0])
    values: Any = _decode_values(payload["dtype"], payload["values"])
    index: pd.Index = pd.Index(values, name=payload["names"][0])
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


def table_from_payload(payload: dict[str, Any]) -> pd.DataFrame | pd.Series:
    """Decode what :func:`table_to_payload` wrote.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.Series([1.5, float("nan")], index=["a", "b"], name="w")
    >>> table_from_payload(table_to_payload(s)).equals(s)
    True
    """
    index = _decode_index(payload["index"])
    if payload["kind"] == "series":
        values = _decode_values(payload["dtype"], payload["data"])
        return pd.Series(values, index=index, name=_decode_object(payload["name"]))
    columns = _decode_index(payload["columns"])
    data = {
        j: _decode_values(d, v)
        for j, (d, v) in enumerate(zip(payload["dtypes"], payload["data"], strict=True))
    }
    frame = pd.DataFrame(data, index=index)
    frame.columns = columns
    return frame
