"""Sufficient statistics per partition (and per segment) of a dask DataFrame, combined.

The shared layer of every family that fits out of core (Kano, SERVQUAL/SERVPERF,
driver analysis, CB-SEM from moments): a family gives a function that turns one
pandas partition — or one segment of it — into small additive statistics (counts,
weighted sums, cross products); :func:`partition_statistics` runs it as one dask task
per partition (grouped by the ``by=`` columns inside the task, so every segment's
statistics come from the same single pass), and adds the results with
:func:`add_statistics`. :func:`fit_statistics` then builds the pooled result and, with
``by=``, the :class:`~csimodels.results.SegmentedResult` through
:func:`csimodels.segments.fit_parts` — the same status table, size rule and failure
policy as in memory.

:func:`as_dask_source` is the data gate's dask counterpart: a dask DataFrame as it is,
or a parquet file or directory path read lazily with ``dask.dataframe.read_parquet``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from csimodels.data._validate import in_partition
from csimodels.errors import DataValidationError, InvalidParameterError, format_offenders

__all__ = [
    "POSITION",
    "add_statistics",
    "as_dask_source",
    "fit_statistics",
    "is_parquet_path",
    "partition_statistics",
    "refuse_rows",
    "segment_partitions",
    "segment_rows",
]

_INSTALL = 'pip install "csimodels[dask]"'

#: Column added to each partition (with ``positions=True``) holding the row's place in
#: the whole frame, so that tables of flagged respondents can be put back in row order.
POSITION = "__csimodels_position__"


def is_parquet_path(data: object) -> bool:
    """Whether ``data`` is a path (str or pathlib.Path) that ``fit`` should read as parquet.

    Examples
    --------
    >>> is_parquet_path("survey/"), is_parquet_path(3)
    (True, False)
    """
    return isinstance(data, (str, os.PathLike))


def _import_dask_dataframe(owner: str) -> Any:
    import importlib

    try:
        return importlib.import_module("dask.dataframe")
    except ImportError as err:
        raise DataValidationError(
            f"{owner}: reading a parquet path out of core needs dask, which is not installed "
            f"({err}); install it with {_INSTALL}, or read the file with pandas.read_parquet "
            "and pass the DataFrame"
        ) from err


def _check_parquet(path: Path, owner: str) -> None:
    if not path.exists():
        raise DataValidationError(
            f"{owner}: the data path {str(path)!r} does not exist; give a parquet file or a "
            "directory of parquet files (or a DataFrame)"
        )
    if path.is_dir():
        files = [p for p in path.rglob("*") if p.is_file() and not p.name.startswith((".", "_"))]
        if not files:
            raise DataValidationError(
                f"{owner}: the directory {str(path)!r} holds no data files; expected parquet "
                "files (as written by DataFrame.to_parquet or dask's to_parquet)"
            )
        bad = sorted(p.name for p in files if not _has_parquet_magic(p))
        if bad:
            raise DataValidationError(
                f"{owner}: {format_offenders(bad)} in {str(path)!r} is not a parquet file; the "
                "directory must hold parquet files only (read CSV or Excel with "
                "SurveyData.from_csv / from_excel instead)"
            )
        return
    if not _has_parquet_magic(path):
        raise DataValidationError(
            f"{owner}: {str(path)!r} is not a parquet file (its first bytes are not 'PAR1'); "
            "pass a parquet file or directory, or read the file with pandas (read_csv, "
            "read_excel, SurveyData.from_csv) and pass the DataFrame"
        )


def _has_parquet_magic(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(4) == b"PAR1"
    except OSError:
        return False


def as_dask_source(data: object, *, owner: str) -> Any:
    """A dask DataFrame for ``data`` when it is one or a parquet path; otherwise None.

    Parameters
    ----------
    data : object
        What the caller passed to ``fit``: a dask DataFrame is returned as it is; a
        ``str`` or ``pathlib.Path`` naming a parquet file or a directory of parquet
        files is read lazily with ``dask.dataframe.read_parquet`` (nothing is loaded
        until a task runs); anything else gives None (the in-memory gate takes it).
    owner : str
        The caller named in messages (``"Kano.fit"``).

    Raises
    ------
    DataValidationError
        A path that does not exist, that is not parquet, or dask not installed.

    Examples
    --------
    >>> import pandas as pd
    >>> as_dask_source(pd.DataFrame({"a": [1]}), owner="demo") is None
    True
    >>> as_dask_source("no/such/dir", owner="demo")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    csimodels.errors.DataValidationError: demo: the data path 'no/such/dir' does not exist; ...
    """
    from csimodels.data._dask import is_dask_frame

    if is_dask_frame(data):
        return data
    if not is_parquet_path(data):
        return None
    path = Path(os.fspath(str(data) if isinstance(data, str) else data))  # type: ignore[call-overload]
    _check_parquet(path, owner)
    dd = _import_dask_dataframe(owner)
    try:
        return dd.read_parquet(str(path))
    except Exception as err:  # pyarrow / fsspec errors: say which file and what to do
        raise DataValidationError(
            f"{owner}: the parquet data at {str(path)!r} could not be read ({err}); check that "
            "every file has the same columns"
        ) from err


def refuse_rows(owner: str, what: str, remedy: str) -> InvalidParameterError:
    """The error for an option that needs the respondents' rows, not their statistics.

    Examples
    --------
    >>> str(refuse_rows("Kano.fit", "keep_respondents=True", "collect a sample"))[:29]
    'Kano.fit on a dask DataFrame:'
    """
    return InvalidParameterError(
        f"{owner} on a dask DataFrame: {what} needs the respondents' rows, which are never "
        f"collected out of core; {remedy}"
    )


# ---------------------------------------------------------------------------
# adding statistics
# ---------------------------------------------------------------------------


def add_statistics(a: Any, b: Any) -> Any:
    """The sum of two partitions' statistics, field by field.

    Arrays and numbers are added; dicts, tuples and dataclasses are added member by
    member (a dict key present in one only is kept as it is); DataFrames (tables of
    flagged respondents) are stacked; None stays None.

    Examples
    --------
    >>> import numpy as np
    >>> add_statistics({"n": 2, "s": np.array([1.0, 2])}, {"n": 3, "s": np.array([1.0, 1])})
    {'n': 5, 's': array([2., 3.])}
    """
    if a is None:
        return b
    if b is None:
        return a
    if isinstance(a, pd.DataFrame):
        return pd.concat([a, b]) if len(b) else a
    if isinstance(a, dict):
        out = dict(a)
        for key, value in b.items():
            out[key] = add_statistics(out[key], value) if key in out else value
        return out
    if isinstance(a, tuple) and not hasattr(a, "_fields"):
        return tuple(add_statistics(x, y) for x, y in zip(a, b, strict=True))
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return dataclasses.replace(
            a,
            **{
                f.name: add_statistics(getattr(a, f.name), getattr(b, f.name))
                for f in dataclasses.fields(a)
            },
        )
    if isinstance(a, (bool, str)):
        return a
    return a + b


# ---------------------------------------------------------------------------
# per-partition tasks
# ---------------------------------------------------------------------------


def _columns_present(ddf: Any, columns: Sequence[str], owner: str) -> None:
    missing = [c for c in columns if c not in ddf.columns]
    if missing:
        raise DataValidationError(
            f"{owner}: column {format_offenders(missing)} not found in the dask DataFrame; its "
            f"columns are {format_offenders([str(c) for c in ddf.columns])}"
        )


def _partition_task(
    part: pd.DataFrame,
    fn: Callable[[pd.DataFrame, tuple[Hashable, ...]], Any],
    by: tuple[str, ...],
    number: int | None = None,
) -> dict[tuple[Hashable, ...], tuple[int, Any]]:
    """One partition's ``{segment key: (rows, statistics)}`` (``()`` without ``by``)."""
    if number is not None:
        part = part.assign(**{POSITION: (number << 40) + np.arange(len(part), dtype=np.int64)})
    if not by:
        return {(): (len(part), fn(part, ()))}
    from csimodels.data._validate import check_segments

    check_segments(part, by)  # as in memory: every respondent needs a segment
    out: dict[tuple[Hashable, ...], tuple[int, Any]] = {}
    for values, sub in part.groupby(list(by), sort=False, observed=True):
        key = values if isinstance(values, tuple) else (values,)
        plain = tuple(v.item() if isinstance(v, np.generic) else v for v in key)
        out[plain] = (len(sub), fn(sub, plain))
    return out


def partition_statistics(
    ddf: Any,
    columns: Sequence[str],
    fn: Callable[[pd.DataFrame, tuple[Hashable, ...]], Any],
    *,
    owner: str,
    by: Sequence[str] = (),
    positions: bool = False,
) -> dict[tuple[Hashable, ...], tuple[int, Any]]:
    """Run ``fn`` on every partition (every segment of it, with ``by``) and add them up.

    ``fn(frame, key)`` takes a pandas frame holding ``columns`` (and the ``by``
    columns) and its segment key (``()`` without ``by``), and returns additive
    statistics (see :func:`add_statistics`). With ``positions`` the frame also holds
    the column :data:`POSITION` (each row's place in the whole frame, increasing in
    row order). Each partition is one dask task
    (on a ``dask.distributed`` cluster when a client is connected, else dask's local
    scheduler); only the statistics travel back.

    Returns ``{segment values: (rows, statistics)}``; without ``by`` the only key is
    ``()``. A missing segment value raises, as in memory.

    Examples
    --------
    >>> import pandas as pd, dask.dataframe as dd
    >>> df = pd.DataFrame({"x": [1.0, 2, 3, 4], "g": ["a", "b", "a", "b"]})
    >>> out = partition_statistics(dd.from_pandas(df, npartitions=2), ["x"],
    ...                            lambda p, key: float(p["x"].sum()), owner="demo", by=["g"])
    >>> sorted(out.items())
    [(('a',), (2, 4.0)), (('b',), (2, 6.0))]
    """
    import importlib

    dask: Any = importlib.import_module("dask")
    by = tuple(by)
    needed = list(dict.fromkeys([*columns, *by]))
    _columns_present(ddf, needed, owner)
    parts = ddf[needed].to_delayed()
    task = dask.delayed(in_partition(_partition_task), pure=True)
    done = dask.compute(*[task(p, fn, by, k if positions else None) for k, p in enumerate(parts)])
    total: dict[tuple[Hashable, ...], tuple[int, Any]] = {}
    for piece in done:
        for key, (rows, stats) in piece.items():
            if key in total:
                n0, s0 = total[key]
                total[key] = (n0 + rows, add_statistics(s0, stats))
            else:
                total[key] = (rows, stats)
    return total


def segment_rows(part: pd.DataFrame, by: Sequence[str], key: tuple[Hashable, ...]) -> pd.DataFrame:
    """The rows of ``part`` in the segment ``key`` of the ``by`` columns, in row order.

    Examples
    --------
    >>> df = pd.DataFrame({"x": [1, 2, 3], "g": ["a", "b", "a"]})
    >>> segment_rows(df, ["g"], ("a",))["x"].tolist()
    [1, 3]
    """
    keep = np.ones(len(part), dtype=bool)
    for column, value in zip(by, key, strict=True):
        keep &= (part[column] == value).to_numpy(dtype=bool, na_value=False)
    return part[keep]


def segment_partitions(
    ddf: Any, columns: Sequence[str], by: Sequence[str], key: tuple[Hashable, ...]
) -> list[Any]:
    """One dask delayed pandas frame per partition: the segment ``key``'s rows of ``columns``.

    What a per-segment bootstrap streams over: partition ``k`` of the segment holds
    the segment's rows of partition ``k`` (none, possibly), in row order, so the
    segment's resample counts split over the partitions as an in-memory fit of the
    segment's rows would number them. Nothing is computed here.

    Examples
    --------
    >>> import dask, dask.dataframe as dd
    >>> df = pd.DataFrame({"x": [1, 2, 3, 4], "g": ["a", "b", "a", "a"]})
    >>> parts = segment_partitions(dd.from_pandas(df, npartitions=2), ["x"], ["g"], ("a",))
    >>> [p["x"].tolist() for p in dask.compute(*parts)]
    [[1], [3, 4]]
    """
    import importlib

    dask: Any = importlib.import_module("dask")
    needed = list(dict.fromkeys([*columns, *by]))
    _columns_present(ddf, needed, "segment_partitions")
    task = dask.delayed(segment_rows, pure=True)
    return [task(p, tuple(by), tuple(key)) for p in ddf[needed].to_delayed()]


def pooled_statistics(groups: Mapping[tuple[Hashable, ...], tuple[int, Any]]) -> tuple[int, Any]:
    """All segments added: the pooled statistics.

    Examples
    --------
    >>> pooled_statistics({("a",): (2, 1.0), ("b",): (3, 2.0)})
    (5, 3.0)
    """
    rows, stats = 0, None
    for n, s in groups.values():
        rows += n
        stats = add_statistics(stats, s)
    return rows, stats


def fit_statistics(
    groups: Mapping[tuple[Hashable, ...], tuple[int, Any]],
    finish: Callable[[Any, str | None], Any],
    *,
    by: Sequence[str] | None,
    owner: str,
    min_segment_size: int = 2,
    on_error: Literal["skip", "raise"] = "skip",
    pooled: Any = None,
    headline: Sequence[str] = (),
    settings: dict[str, Any] | None = None,
    size: Callable[[int, Any], int] | None = None,
    pooled_stats: Any = None,
) -> Any:
    """The result from combined statistics: pooled, or a SegmentedResult with ``by``.

    ``finish(statistics, segment_label_or_None)`` builds one result. Segments are
    sorted by their values (as :func:`csimodels.segments.split_by` sorts them) and go
    through :func:`csimodels.segments.fit_parts`, so the status table, the size rule
    (``size(rows, statistics)`` respondents, default the rows) and the failure policy
    are those of an in-memory ``fit(by=...)``. The pooled result is built from
    ``pooled_stats`` when given (statistics that do not add up over segments), else
    from the sum of all groups.
    """
    from functools import partial

    from csimodels.segments import fit_parts, segment_label

    if pooled is None:
        stats = pooled_statistics(groups)[1] if pooled_stats is None else pooled_stats
        pooled = finish(stats, None)
    if not by:
        return pooled
    keys = sorted(groups, key=_sort_key)
    if not keys:
        raise DataValidationError(f"{owner}: no respondent has a value of {' × '.join(by)}")
    from csimodels.data._validate import check_segments

    # the hierarchy rule of the in-memory gate, across partitions (each task checked its own)
    check_segments(pd.DataFrame(keys, columns=list(by)), list(by))
    count = size or (lambda rows, stats: rows)
    parts = [
        (key, count(*groups[key]), partial(finish, groups[key][1], segment_label(key)))
        for key in keys
    ]
    return fit_parts(
        parts,
        list(by),
        owner=owner,
        min_segment_size=min_segment_size,
        on_error=on_error,
        pooled=pooled,
        headline=headline,
        settings=settings,
    )


def _sort_key(key: tuple[Hashable, ...]) -> tuple[Any, ...]:
    return tuple((0, v) if isinstance(v, (int, float)) else (1, str(v)) for v in key)
