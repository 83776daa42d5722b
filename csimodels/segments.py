"""Per-segment fits for every family: one splitter, one failure policy, one result.

Every model's ``fit(data, by=...)`` calls :func:`fit_by`, which splits the survey by
one column or a cross-classification of several, fits each segment with the same
settings, and returns a :class:`~csimodels.results.SegmentedResult` with a status
row per segment (fitted, too small, failed and why). Segment fits run through joblib,
so ``joblib.parallel_config(backend="dask")`` spreads them over a cluster.

Examples
--------
>>> import csimodels as csi
>>> from csimodels.segments import fit_by
>>> data = csi.datasets.load_example("acsi_demo")
>>> res = fit_by(data, "region", lambda part: part.describe(), owner="describe")
>>> res.status["status"].tolist()
['fitted', 'fitted', 'fitted', 'fitted']
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from functools import partial
from typing import Any, Literal

import numpy as np
import pandas as pd

from csimodels.data.survey import SurveyData
from csimodels.errors import (
    CSIModelsError,
    DataQualityWarning,
    DataValidationError,
    InvalidParameterError,
    format_offenders,
)
from csimodels.results import Result, SegmentedResult, warn_and_note

__all__ = [
    "ON_ERROR",
    "Part",
    "as_by",
    "fit_by",
    "fit_parts",
    "label_of",
    "plan_segments",
    "segment_label",
    "split_by",
    "status_table",
]

#: Failure policies of a per-segment fit: ``"skip"`` records the failure in the status
#: table and a note; ``"raise"`` stops at the first failing segment.
ON_ERROR = ("skip", "raise")

_JOIN = " × "


def as_by(by: object, *, owner: str) -> tuple[str, ...]:
    """``by`` as a tuple of column names (one name, or a list for a cross-classification).

    Examples
    --------
    >>> as_by("region", owner="demo"), as_by(["region", "channel"], owner="demo")
    (('region',), ('region', 'channel'))
    """
    if isinstance(by, str):
        return (by,)
    if isinstance(by, Sequence) and by and all(isinstance(b, str) for b in by):
        if len(set(by)) != len(by):
            raise InvalidParameterError(
                f"parameter 'by' of {owner} names a column twice: {list(by)!r}"
            )
        return tuple(by)
    raise InvalidParameterError(
        f"parameter 'by' of {owner} must be a column name or a non-empty list of column "
        f"names, got {by!r}"
    )


def segment_label(values: tuple[Hashable, ...]) -> str:
    """The text label of one segment (values joined by ``" × "``).

    Examples
    --------
    >>> segment_label(("East", "online"))
    'East × online'
    """
    return _JOIN.join(str(v) for v in values)


def label_of(part: SurveyData, by: Sequence[str]) -> str:
    """The segment label of a survey holding one segment of ``by`` (its first row's).

    Examples
    --------
    >>> import csimodels as csi
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> label_of(next(iter(data.groups("region")))[1], ["region"])
    'East'
    """
    first = part.frame.iloc[0]
    return segment_label(tuple(_plain(first[c]) for c in by))


def split_by(
    data: SurveyData, by: Sequence[str], *, owner: str
) -> tuple[list[tuple[tuple[Hashable, ...], SurveyData]], int]:
    """The segments of ``data`` by the columns ``by`` (in sorted order).

    Returns the ``(values, part)`` pairs and the number of respondents whose segment
    is missing (they are in no segment; callers note the count).

    Raises
    ------
    DataValidationError
        A column that is not a declared segment or period column of the survey.
    """
    allowed = [*data.segments, *([data.period] if data.period else [])]
    unknown = [b for b in by if b not in allowed]
    if unknown:
        raise DataValidationError(
            f"{owner}: by={format_offenders(unknown)} is not a segment or period column of "
            "this survey; choose from "
            + (format_offenders(sorted(allowed)) or "none (declare segments=... in SurveyData)")
        )
    frame = data.frame
    keys = frame[list(by)]
    missing = keys.isna().any(axis=1)
    parts: list[tuple[tuple[Hashable, ...], SurveyData]] = []
    grouped = frame[~missing.to_numpy()].groupby(list(by), sort=True, observed=True)
    for values, part in grouped:
        key = values if isinstance(values, tuple) else (values,)
        parts.append((tuple(_plain(v) for v in key), data.model_copy(update={"frame": part})))
    return parts, int(missing.sum())


def _plain(value: Hashable) -> Hashable:
    """numpy scalars as Python scalars (so labels print as ``1``, not ``np.int64(1)``)."""
    return value.item() if isinstance(value, np.generic) else value


#: One segment to fit: its ``by`` values, its size and a thunk that fits it.
Part = tuple[tuple[Hashable, ...], int, Callable[[], Result]]


def _check_policy(owner: str, min_segment_size: object, on_error: object) -> None:
    if on_error not in ON_ERROR:
        raise InvalidParameterError(
            f"parameter 'on_error' of {owner} must be 'skip' or 'raise', got {on_error!r}"
        )
    if isinstance(min_segment_size, bool) or not isinstance(min_segment_size, int):
        raise InvalidParameterError(
            f"parameter 'min_segment_size' of {owner} must be an int, got {min_segment_size!r}"
        )
    if min_segment_size < 1:
        raise InvalidParameterError(
            f"parameter 'min_segment_size' of {owner} must be at least 1, got {min_segment_size}"
        )


def _run(thunk: Callable[[], Result], on_error: str) -> Result | str:
    if on_error == "raise":
        return thunk()
    try:
        return thunk()
    except CSIModelsError as err:
        return f"{type(err).__name__}: {err}"


def fit_parts(
    parts: Sequence[Part],
    by: str | Sequence[str],
    *,
    owner: str,
    min_segment_size: int = 2,
    on_error: Literal["skip", "raise"] = "skip",
    n_jobs: int = 1,
    pooled: Result | None = None,
    headline: Sequence[str] = (),
    settings: dict[str, Any] | None = None,
    unit: str = "respondents",
    n_missing: int = 0,
    notes: Sequence[str] = (),
) -> SegmentedResult:
    """Fit already split segments and collect the :class:`SegmentedResult`.

    The core of :func:`fit_by`, for data that is not a SurveyData (an event log is
    split by its own columns): each part is ``(by values, size, thunk)``; parts smaller
    than ``min_segment_size`` (in ``unit``) are not fitted; a thunk raising a csimodels
    error is recorded as failed (``on_error="skip"``) or propagates (``"raise"``).

    Examples
    --------
    >>> import csimodels as csi
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> parts = [((r,), p.n_respondents, p.describe) for r, p in data.groups("region")]
    >>> fit_parts(parts, "region", owner="describe").labels
    ['East', 'North', 'South', 'West']
    """
    columns = as_by(by, owner=owner)
    _check_policy(owner, min_segment_size, on_error)
    if not parts:
        raise DataValidationError(f"{owner}: no segment of {' × '.join(columns)} has data")
    found = list(notes)
    if n_missing:
        warn_and_note(
            found,
            f"{n_missing} {unit} have no value of {' or '.join(columns)} and are in no segment",
            DataQualityWarning,
        )
    rows: list[dict[str, Any]] = []
    to_fit: list[tuple[str, Callable[[], Result]]] = []
    for values, n, thunk in parts:
        label = segment_label(values)
        row: dict[str, Any] = {"segment": label, **dict(zip(columns, values, strict=True))}
        row["n"] = n
        if n < min_segment_size:
            row |= {"status": "too_small", "reason": f"fewer than {min_segment_size} {unit}"}
            warn_and_note(
                found,
                f"segment {label!r} has {n} {unit}, fewer than {min_segment_size}: not fitted",
                DataQualityWarning,
            )
        else:
            row |= {"status": "fitted", "reason": ""}
            to_fit.append((label, thunk))
        rows.append(row)
    if n_jobs == 1:
        outcomes = [_run(thunk, on_error) for _, thunk in to_fit]
    else:
        from joblib import Parallel, delayed

        outcomes = list(
            Parallel(n_jobs=n_jobs)(delayed(_run)(thunk, on_error) for _, thunk in to_fit)
        )
    results: dict[str, Result] = {}
    by_label = {row["segment"]: row for row in rows}
    for (label, _), outcome in zip(to_fit, outcomes, strict=True):
        if isinstance(outcome, str):
            by_label[label] |= {"status": "failed", "reason": outcome}
            warn_and_note(found, f"segment {label!r} failed: {outcome}", DataQualityWarning)
        else:
            results[label] = outcome
    return SegmentedResult(
        by=columns,
        pooled=pooled,
        segments=results,
        status=status_table(rows),
        headline=tuple(headline),
        settings={
            **(settings or {}),
            "by": list(columns),
            "min_segment_size": min_segment_size,
            "on_error": on_error,
        },
        notes=tuple(found),
    )


def plan_segments(
    data: SurveyData,
    by: str | Sequence[str],
    *,
    owner: str,
    min_segment_size: int = 2,
) -> tuple[tuple[str, ...], list[dict[str, Any]], list[tuple[str, SurveyData]], list[str]]:
    """Split ``data`` and decide which segments are fitted.

    Returns the ``by`` columns, one status row per segment (``segment``, the ``by``
    values, ``n``, ``status``, ``reason``), the ``(label, part)`` pairs to fit, and the
    notes (respondents in no segment, segments too small), already warned about.
    Models that fit all segments in one batched run use it directly; the others go
    through :func:`fit_by`.
    """
    columns = as_by(by, owner=owner)
    _check_policy(owner, min_segment_size, "skip")
    parts, n_missing = split_by(data, columns, owner=owner)
    if not parts:
        raise DataValidationError(f"{owner}: no respondent has a value of {' × '.join(columns)}")
    notes: list[str] = []
    if n_missing:
        warn_and_note(
            notes,
            f"{n_missing} respondents have no value of {' or '.join(columns)} and are in no "
            "segment",
            DataQualityWarning,
        )
    rows: list[dict[str, Any]] = []
    to_fit: list[tuple[str, SurveyData]] = []
    for values, part in parts:
        label = segment_label(values)
        row: dict[str, Any] = {"segment": label, **dict(zip(columns, values, strict=True))}
        row["n"] = part.n_respondents
        if part.n_respondents < min_segment_size:
            row |= {"status": "too_small", "reason": f"fewer than {min_segment_size} respondents"}
            warn_and_note(
                notes,
                f"segment {label!r} has {part.n_respondents} respondents, fewer than "
                f"{min_segment_size}: not fitted",
                DataQualityWarning,
            )
        else:
            row |= {"status": "fitted", "reason": ""}
            to_fit.append((label, part))
        rows.append(row)
    return columns, rows, to_fit, notes


def status_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The status rows of :func:`plan_segments` as the ``status`` table."""
    status = pd.DataFrame(rows).set_index("segment")
    status["n"] = status["n"].astype("int64")
    return status


def fit_by(
    data: SurveyData,
    by: str | Sequence[str],
    fit_one: Callable[[SurveyData], Result],
    *,
    owner: str,
    min_segment_size: int = 2,
    on_error: Literal["skip", "raise"] = "skip",
    n_jobs: int = 1,
    pooled: Result | None = None,
    headline: Sequence[str] = (),
    overview: Callable[[list[tuple[str, SurveyData]]], dict[str, pd.DataFrame]] | None = None,
    settings: dict[str, Any] | None = None,
) -> SegmentedResult:
    """Fit ``fit_one`` on each segment of ``data`` and collect a :class:`SegmentedResult`.

    Parameters
    ----------
    data : SurveyData
        The validated survey.
    by : str or list of str
        Segment column(s); several columns give a cross-classification.
    fit_one : callable
        Fits one segment's SurveyData and returns its result.
    owner : str
        The model named in messages (``"ACSI"``).
    min_segment_size : int
        Segments with fewer respondents are not fitted (status ``"too_small"``).
    on_error : {"skip", "raise"}
        A segment whose fit raises a csimodels error is recorded as ``"failed"`` with
        the reason (``"skip"``), or the error propagates (``"raise"``).
    n_jobs : int
        Segments fitted in parallel through joblib; results do not depend on it.
    pooled : Result, optional
        The all-respondents result to keep beside the segments.
    headline : list of str
        Tables shown combined in ``summary()``.
    overview : callable, optional
        Computes wide tables comparing the fitted segments (segments as rows or
        columns) from the ``(label, part)`` pairs; kept as ``result.overview``.
    settings : dict, optional
        Settings recorded on the segmented result (the model's, typically).

    Examples
    --------
    >>> import csimodels as csi
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> res = fit_by(data, ["region", "city"], lambda p: p.describe(), owner="describe",
    ...              min_segment_size=10)
    >>> res.labels[:2]
    ['East × Hangzhou', 'East × Shanghai']
    """
    columns = as_by(by, owner=owner)
    _check_policy(owner, min_segment_size, on_error)
    parts, n_missing = split_by(data, columns, owner=owner)
    if not parts:
        raise DataValidationError(f"{owner}: no respondent has a value of {' × '.join(columns)}")
    result = fit_parts(
        [(values, part.n_respondents, partial(fit_one, part)) for values, part in parts],
        columns,
        owner=owner,
        min_segment_size=min_segment_size,
        on_error=on_error,
        n_jobs=n_jobs,
        pooled=pooled,
        headline=headline,
        settings=settings,
        n_missing=n_missing,
    )
    if overview is None or not result.segments:
        return result
    fitted = [(segment_label(values), part) for values, part in parts]
    fitted = [(label, part) for label, part in fitted if label in result.segments]
    return result.model_copy(update={"overview": overview(fitted)})
