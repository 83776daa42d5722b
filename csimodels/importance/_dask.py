"""Driver analysis on a dask DataFrame: weighted correlation sums per partition, added.

Two passes over the partitions (one dask task per partition, segments grouped inside
the task): the first validates each partition through the data gate and gives the
centre of the cross products and the weighted item means (the fill values of
``missing="mean"``); the second gives the weighted sums of
:func:`csimodels.importance._engine.correlation_sums` about that centre, which add up
over partitions to the sums of the whole data, so the correlations equal the in-memory
ones to rounding. Nothing here collects rows.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from csimodels.data._dask_tasks import add_statistics, partition_statistics, pooled_statistics
from csimodels.errors import DataValidationError, format_offenders
from csimodels.importance import _engine as eng
from csimodels.importance._common import coerce_survey
from csimodels.results import MissingDataReport

if TYPE_CHECKING:
    from csimodels.importance.drivers import DriverAnalysis, DriverMoments

__all__ = ["driver_moments", "resampler"]

Key = tuple[Hashable, ...]


def _answers(
    model: DriverAnalysis, weight: str | None, options: Mapping[str, Any], part: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray | None]:
    """A partition validated by the data gate: answers (after missing codes) and raw weights."""
    names = [*model.attributes, model.overall]
    survey = coerce_survey(
        model._name, part, model.attributes, model.overall, by=None, weight=weight, **options
    )
    x = survey.frame[names].to_numpy(dtype=np.float64, copy=True)
    w = None if weight is None else survey.frame[weight].to_numpy(dtype=np.float64)
    return x, w


def _first(
    model: DriverAnalysis,
    weight: str | None,
    options: Mapping[str, Any],
    part: pd.DataFrame,
    key: Key,
) -> dict[str, Any] | None:
    if len(part) == 0:
        return None
    x, w = _answers(model, weight, options, part)
    valid = ~np.isnan(x)
    xz = np.where(valid, x, 0.0)
    wv = valid if w is None else valid * w[:, None]
    return {
        "valid": valid.sum(axis=0),
        "sum": xz.sum(axis=0),
        "weight_valid": wv.sum(axis=0, dtype=np.float64),
        "weighted_sum": (wv * xz).sum(axis=0),
    }


def _used(
    model: DriverAnalysis, x: np.ndarray, w: np.ndarray | None, fill: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray | None, dict[str, Any]]:
    """The rows an analysis uses (listwise deletion or mean imputation, as in memory)."""
    n = x.shape[0]
    isna = np.isnan(x)
    out: dict[str, Any] = {"rows": n, "dropped": 0, "imputed": 0}
    if model.missing == "listwise":
        keep = ~isna.any(axis=1)
        if w is not None:
            keep &= w > 0
        x = x[keep]
        w = None if w is None else w[keep]
        out["dropped"] = int(n - keep.sum())
    elif model.missing == "mean":
        assert fill is not None
        out["imputed"] = int(isna.sum())
        x = np.where(isna, fill[None, :], x)
    return x, w, out


def _second(
    model: DriverAnalysis,
    weight: str | None,
    options: Mapping[str, Any],
    centre: np.ndarray,
    fills: Mapping[Key, np.ndarray],
    part: pd.DataFrame,
    key: Key,
) -> dict[str, Any] | None:
    if len(part) == 0:
        return None
    x, w, out = _used(model, *_answers(model, weight, options, part), fills.get(key))
    base = np.ones(x.shape[0]) if w is None else w
    out["sums"] = eng.correlation_sums(
        x, base[None, :], centre, pairwise=model.missing == "pairwise"
    )
    if model.missing == "pairwise":
        out["counts"] = eng.pairwise_counts(x)
    out["positive"] = int(x.shape[0] if w is None else np.count_nonzero(w > 0))
    ok = ~np.isnan(x) & (base > 0)[:, None]
    out["mean_num"] = np.where(ok, x * base[:, None], 0.0).sum(axis=0)
    out["mean_den"] = np.where(ok, base[:, None], 0.0).sum(axis=0)
    return out


def _resample_part(
    model: DriverAnalysis,
    weight: str | None,
    options: Mapping[str, Any],
    centre: np.ndarray,
    fill: np.ndarray | None,
    counts: np.ndarray,
    columns: tuple[int, int],
    part: pd.DataFrame,
) -> dict[str, np.ndarray] | None:
    """One partition's correlation sums for a chunk of resamples (its columns of counts)."""
    if len(part) == 0:
        return None
    x, w, _ = _used(model, *_answers(model, weight, options, part), fill)
    base = np.ones(x.shape[0]) if w is None else w
    freq = counts[:, columns[0] : columns[1]] * base[None, :]
    return eng.correlation_sums(x, freq, centre, pairwise=model.missing == "pairwise")


def _used_rows(
    model: DriverAnalysis,
    weight: str | None,
    options: Mapping[str, Any],
    fill: np.ndarray | None,
    part: pd.DataFrame,
) -> int:
    if len(part) == 0:
        return 0
    return int(_used(model, *_answers(model, weight, options, part), fill)[0].shape[0])


def resampler(
    model: DriverAnalysis,
    ddf: Any,
    *,
    weight: str | None,
    options: Mapping[str, Any],
    centre: np.ndarray,
    fill: np.ndarray | None,
    segment: tuple[Sequence[str], Key] | None = None,
) -> tuple[int, Any]:
    """``(n, correlations_of_counts)`` for the bootstrap of a dask DataFrame.

    The resample counts (B, n) are drawn on the client from the same stream as in
    memory; partition ``k`` gets its columns (its used rows, in row order), multiplies
    them by its respondent weights and returns the correlation sums; one pass over
    the partitions per chunk of resamples. With ``segment`` (the ``by`` columns and
    one segment's values) every partition uses only its rows of that segment
    (``fill``: the segment's means), as the segment's in-memory bootstrap does.
    """
    from csimodels.data._dask import _compute, _delayed, _share
    from csimodels.data._dask_tasks import segment_partitions

    names = [*model.attributes, model.overall]
    columns = [*names, *([weight] if weight else [])]
    if segment is None:
        parts = list(ddf[columns].to_delayed())
    else:
        parts = segment_partitions(ddf, columns, segment[0], segment[1])
    sizes = _compute([_delayed(_used_rows)(model, weight, dict(options), fill, p) for p in parts])
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)

    def correlations(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        shared = _share(counts)
        tasks = [
            _delayed(_resample_part)(
                model,
                weight,
                dict(options),
                centre,
                fill,
                shared,
                (int(offsets[k]), int(offsets[k + 1])),
                part,
            )
            for k, part in enumerate(parts)
        ]
        total: Any = None
        for piece in _compute(tasks):
            total = add_statistics(total, piece)
        del shared
        return eng.correlations_from_sums(total)

    return int(offsets[-1]), correlations


def _moments(
    model: DriverAnalysis, stats: dict[str, Any], weight: str | None, labels: Mapping[str, str]
) -> DriverMoments:
    from csimodels.importance.drivers import DriverMoments

    names = [*model.attributes, model.overall]
    p = len(model.attributes)
    corr, var = eng.correlations_from_sums(stats["sums"])
    n = int(stats["rows"])
    if model.missing == "pairwise":
        counts = stats["counts"]
        n_used = int(counts.min())
        n_pair = counts[:p, p].astype(np.float64)
        report = MissingDataReport(strategy="pairwise", n_rows=n, n_rows_used=n)
    else:
        n_used = int(stats["positive"])
        n_pair = np.full(p, float(n_used))
        if model.missing == "listwise":
            report = MissingDataReport(
                strategy="listwise",
                n_rows=n,
                n_rows_used=n - int(stats["dropped"]),
                n_rows_dropped=int(stats["dropped"]),
            )
        else:
            report = MissingDataReport(
                strategy="mean", n_rows=n, n_rows_used=n, n_values_imputed=int(stats["imputed"])
            )
    with np.errstate(invalid="ignore", divide="ignore"):
        means = stats["mean_num"] / stats["mean_den"]
    return DriverMoments(
        corr=corr,
        var=var,
        n_used=n_used,
        n_pair=n_pair,
        means=np.asarray(means, dtype=np.float64),
        report=report,
        labels={k: str(labels.get(k, k)) for k in names},
        weight=weight,
    )


def _check_answers(model: DriverAnalysis, first: dict[str, Any], where: str) -> None:
    names = [*model.attributes, model.overall]
    if model.missing == "listwise":
        return
    empty = [names[j] for j in np.flatnonzero(first["valid"] == 0)]
    if empty:
        raise DataValidationError(
            f"{where}: item {format_offenders(empty)} has no answers in these data; drop it"
        )


def driver_moments(
    model: DriverAnalysis,
    ddf: Any,
    *,
    by: Sequence[str],
    weight: str | None,
    options: Mapping[str, Any],
) -> tuple[
    dict[Key, tuple[int, DriverMoments]], DriverMoments, tuple[Any, dict[Key, np.ndarray] | None]
]:
    """``({segment key: (rows, DriverMoments)}, pooled DriverMoments, (centre, fills))``.

    Without ``by`` the only key is ``()``; ``centre`` and the ``fills`` (the weighted
    means that ``missing="mean"`` imputes, per segment key and ``()`` for the pooled
    analysis; None for the other strategies) are what a bootstrap's partitions use
    (:func:`resampler`).
    """
    owner = f"{model._name}.fit"
    names = [*model.attributes, model.overall]
    columns = [*names, *([weight] if weight else [])]
    labels = dict(options.get("labels") or {})
    first = partition_statistics(
        ddf, columns, partial(_first, model, weight, dict(options)), owner=owner, by=by
    )
    rows, pooled_first = pooled_statistics(first)
    if pooled_first is None:
        raise DataValidationError(f"{owner}: the dask DataFrame has no rows")
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = np.where(
            pooled_first["valid"] > 0, pooled_first["sum"] / pooled_first["valid"], 0.0
        )

    def fill_of(stats: dict[str, Any]) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(stats["weighted_sum"] / stats["weight_valid"], dtype=np.float64)

    fills = {k: fill_of(s) for k, (_, s) in first.items() if s is not None}
    fills[()] = fill_of(pooled_first)
    second = partition_statistics(
        ddf,
        columns,
        partial(_second, model, weight, dict(options), centre, fills),
        owner=owner,
        by=by,
    )
    if by and model.missing == "mean":
        # the pooled analysis imputes the pooled means, a segment its own
        pooled_second = partition_statistics(
            ddf,
            columns,
            partial(_second, model, weight, dict(options), centre, {(): fills[()]}),
            owner=owner,
        )[()][1]
    else:
        pooled_second = pooled_statistics(second)[1]
    out: dict[Key, tuple[int, DriverMoments]] = {}
    _check_answers(model, pooled_first, model._name)
    if model.missing == "listwise" and pooled_second["rows"] == pooled_second["dropped"]:
        raise DataValidationError(
            f"no respondent has answers to all of {format_offenders(names)} (listwise "
            "deletion left an empty dataset); use missing='mean' or fewer items"
        )
    pooled = _moments(model, pooled_second, weight, labels)
    used_fills = fills if model.missing == "mean" else None
    if not by:
        return {(): (rows, pooled)}, pooled, (centre, used_fills)
    for key, (n, stats) in second.items():
        out[key] = (n, _moments(model, stats, weight, labels))
    return out, pooled, (centre, used_fills)
