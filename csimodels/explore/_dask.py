"""EFA and reliability on a dask DataFrame: item correlation sums per partition, added.

Two passes over the partitions (one dask task each, nothing but sums travels back):
the first validates each partition through the data gate and gives the answer counts,
the centre of the cross products, the weighted item means (the fill values of
``missing="mean"``) and the largest weight (the power-of-two rescaling of
:meth:`SurveyData.weights`); the second gives the weighted sums of
:func:`csimodels.importance._engine.correlation_sums` (the same sums as the driver
analysis) about that centre. From them come the correlation matrix, the item means
and standard deviations and the number of respondents that an in-memory
:func:`csimodels.explore._prepare.prepare` gives, checked by the same rules.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from csimodels.data._dask_tasks import partition_statistics, pooled_statistics
from csimodels.errors import DataValidationError, InvalidParameterError, format_offenders
from csimodels.explore._prepare import Prepared, check_names, check_prepared, to_survey
from csimodels.importance import _engine as eng
from csimodels.results import MissingDataReport

__all__ = ["prepare_out_of_core", "refuse_by"]


class _Largest:
    """A statistic that combines by taking the larger value (the top weight)."""

    def __init__(self, value: float) -> None:
        self.value = value

    def __add__(self, other: _Largest) -> _Largest:
        return _Largest(max(self.value, other.value))


def refuse_by(owner: str) -> InvalidParameterError:
    """The error for ``by=`` out of core (not supported for the exploratory families)."""
    return InvalidParameterError(
        f"{owner} on a dask DataFrame or parquet path: by= is not supported out of core; fit "
        "each segment's rows (ddf[ddf['region'] == 'East']) or collect the data "
        "(ddf.compute()) for fit(..., by=...)"
    )


def _answers(
    items: Sequence[str], owner: str, weight: str | None, options: Mapping[str, Any], part: Any
) -> tuple[np.ndarray, np.ndarray | None, dict[str, str]]:
    # partition_statistics runs this with the gate in partition mode: an item nobody in
    # this partition answered is NaN here, and the survey-wide checks judge the whole data
    survey = to_survey(part, list(items), owner=owner, weight=weight, options=options)
    x = survey.frame[list(items)].to_numpy(dtype=np.float64)
    w = None if weight is None else survey.frame[weight].to_numpy(dtype=np.float64, copy=True)
    return x, w, survey.labels()


def _first(
    items: Sequence[str],
    owner: str,
    weight: str | None,
    options: Mapping[str, Any],
    part: pd.DataFrame,
    key: tuple[Hashable, ...],
) -> dict[str, Any] | None:
    if len(part) == 0:
        return None
    x, w, labels = _answers(items, owner, weight, options, part)
    valid = ~np.isnan(x)
    xz = np.where(valid, x, 0.0)
    wv = valid.astype(np.float64) if w is None else valid * w[:, None]
    return {
        "valid": valid.sum(axis=0),
        "sum": xz.sum(axis=0),
        "weight_valid": wv.sum(axis=0),
        "weighted_sum": (wv * xz).sum(axis=0),
        "top": _Largest(0.0 if w is None or not w.size else float(w.max())),
        "labels": labels,
    }


def _second(
    items: Sequence[str],
    owner: str,
    weight: str | None,
    options: Mapping[str, Any],
    missing: str,
    centre: np.ndarray,
    exponent: int,
    fill: np.ndarray,
    part: pd.DataFrame,
    key: tuple[Hashable, ...],
) -> dict[str, Any] | None:
    if len(part) == 0:
        return None
    x, w, _ = _answers(items, owner, weight, options, part)
    if w is not None:
        w = np.ldexp(w, -exponent)  # as SurveyData.weights() rescales them: exactly
    isna = np.isnan(x)
    out: dict[str, Any] = {"rows": x.shape[0], "dropped": 0, "imputed": 0}
    if missing == "listwise":
        keep = ~isna.any(axis=1)
        if w is not None:
            keep &= w > 0
        out["dropped"] = int(x.shape[0] - keep.sum())
        x = x[keep]
        w = None if w is None else w[keep]
    elif missing == "mean":
        out["imputed"] = int(isna.sum())
        x = np.where(isna, fill[None, :], x)
    base = np.ones(x.shape[0]) if w is None else w
    out["used"] = int(x.shape[0])
    out["sums"] = eng.correlation_sums(x, base[None, :], centre, pairwise=missing == "pairwise")
    if missing == "pairwise":
        out["counts"] = eng.pairwise_counts(x)
    return out


def prepare_out_of_core(
    ddf: Any,
    items: Sequence[str] | None,
    *,
    owner: str,
    missing: str,
    weight: str | None,
    options: Mapping[str, Any],
    min_items: int = 2,
    check_singular: bool = True,
) -> tuple[Prepared, dict[str, str]]:
    """The :class:`Prepared` correlations of ``items`` of a dask DataFrame, and item labels.

    ``values`` and ``survey`` are None (no rows are collected); the correlation
    matrix, means, standard deviations, ``n`` and the missing-data report equal the
    in-memory :func:`~csimodels.explore._prepare.prepare` of the same rows.
    """
    if items is None or isinstance(items, str):
        raise InvalidParameterError(
            f"{owner} on a dask DataFrame or parquet path needs items= (a list of the item "
            "columns); without it the items would be guessed from the rows"
        )
    names = check_names(list(items), owner, min_items)
    p = len(names)
    columns = [*names, *([weight] if weight else [])]
    opts = dict(options)
    first = partition_statistics(
        ddf, columns, partial(_first, tuple(names), owner, weight, opts), owner=owner
    )
    rows, stats1 = pooled_statistics(first)
    if stats1 is None:
        raise DataValidationError(f"{owner}: the data have no rows")
    if weight is not None and not stats1["top"].value > 0:
        raise DataValidationError(
            f"weight column {weight!r} is zero for every respondent of these data; a group "
            "without weight cannot be estimated: leave it out or fix its weights"
        )
    if missing != "listwise":
        empty = [names[j] for j in np.flatnonzero(stats1["valid"] == 0)]
        if empty:
            raise DataValidationError(
                f"item {format_offenders(empty)} has no answers in these data; drop it"
            )
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = np.where(stats1["valid"] > 0, stats1["sum"] / stats1["valid"], 0.0)
        fill = np.asarray(stats1["weighted_sum"] / stats1["weight_valid"], dtype=np.float64)
    exponent = int(np.frexp(stats1["top"].value)[1]) if weight is not None else 0
    second = partition_statistics(
        ddf,
        columns,
        partial(_second, tuple(names), owner, weight, opts, missing, centre, exponent, fill),
        owner=owner,
    )
    stats = pooled_statistics(second)[1]
    if missing == "listwise" and stats["used"] == 0:
        raise DataValidationError(
            f"no respondent has answers to all of {format_offenders(names)} "
            "(listwise deletion left an empty dataset); use missing='mean' or fewer items"
        )
    sums = stats["sums"]
    corr, _ = eng.correlations_from_sums(sums)
    r = corr[0]
    if missing == "pairwise":
        n = int(stats["counts"].min())
        idx = np.arange(p)
        total = sums["w_pair"].reshape(p, p)[idx, idx]
        mean_c = sums["s_x"].reshape(p, p)[idx, idx] / total
        second_moment = sums["s_xx"].reshape(p, p)[idx, idx] / total
    else:
        n = int(stats["used"])
        total = np.full(p, float(sums["total"][0]))
        mean_c = sums["s1"][0] / total
        second_moment = np.diagonal(sums["s2"][0].reshape(p, p)) / total
    with np.errstate(invalid="ignore", divide="ignore"):
        var = (second_moment - mean_c**2) * total / (total - 1.0)
    means = centre + mean_c
    sds = np.sqrt(np.maximum(var, 0.0))
    if n >= 2 or missing == "pairwise":
        r = (r + r.T) / 2.0
        np.fill_diagonal(r, 1.0)
    else:
        r, means, sds = np.eye(p), np.zeros(p), np.zeros(p)
    check_prepared(
        names, r, means, sds, n, owner=owner, missing=missing, check_singular=check_singular
    )
    if missing == "listwise":
        report = MissingDataReport(
            strategy="listwise",
            n_rows=rows,
            n_rows_used=rows - int(stats["dropped"]),
            n_rows_dropped=int(stats["dropped"]),
        )
    elif missing == "mean":
        report = MissingDataReport(
            strategy="mean", n_rows=rows, n_rows_used=rows, n_values_imputed=int(stats["imputed"])
        )
    else:
        report = MissingDataReport(strategy="pairwise", n_rows=rows, n_rows_used=rows)
    prepared = Prepared(
        survey=None,
        items=tuple(names),
        values=None,
        weights=None,
        rows=pd.RangeIndex(0),
        correlation=r,
        means=means,
        sds=sds,
        n=n,
        report=report,
    )
    return prepared, dict(stats1["labels"])
