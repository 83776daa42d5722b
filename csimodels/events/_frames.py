"""Tables of the events results in the form that the exact JSON encoding gives back.

Text labels held as ``object`` become pandas' ``str`` dtype and timestamps
microseconds (what the decoder infers), so that ``result_from_json(res.to_json())``
equals ``res`` table for table.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pydantic import field_validator

from csimodels.results import Result

__all__ = ["EventsResult", "canonical"]


def _labels(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.MultiIndex):
        levels = [_labels(index.get_level_values(i)) for i in range(index.nlevels)]
        multi: pd.Index = pd.MultiIndex.from_arrays(levels, names=index.names)
        return multi
    if index.dtype == object and len(index) and all(isinstance(v, str) for v in index):
        text: pd.Index = pd.Index(index.astype("str"), name=index.name)
        return text
    if isinstance(index.dtype, pd.CategoricalDtype):
        return _labels(pd.Index(index.astype(object), name=index.name))
    return index


def canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with str labels, microsecond timestamps and plain index dtypes.

    Examples
    --------
    >>> f = canonical(pd.DataFrame({"t": pd.to_datetime(["2024-01-01"])},
    ...                            index=pd.Index(["a"], dtype=object)))
    >>> str(f["t"].dtype), str(f.index.dtype)
    ('datetime64[us]', 'str')
    """
    out = frame.copy()
    for name in out.columns:
        col = out[name]
        if pd.api.types.is_datetime64_dtype(col.dtype):
            out[name] = col.astype("datetime64[us]")
        elif col.dtype == object:
            values = col.to_numpy()
            if len(values) and all(isinstance(v, str) for v in values):
                out[name] = col.astype("str")
    out.index = _labels(out.index)
    out.columns = (
        _labels(out.columns) if not isinstance(out.columns, pd.RangeIndex) else (out.columns)
    )
    return out


def is_all_str(values: np.ndarray) -> bool:
    """Whether every value is a Python str."""
    return bool(len(values)) and all(isinstance(v, str) for v in values)


class EventsResult(Result):
    """Base of the events results: every table is kept in :func:`canonical` form.

    Examples
    --------
    >>> issubclass(EventsResult, Result)
    True
    """

    @field_validator("*", mode="after")
    @classmethod
    def _canonical_tables(cls, value: Any) -> Any:
        return canonical(value) if isinstance(value, pd.DataFrame) else value
