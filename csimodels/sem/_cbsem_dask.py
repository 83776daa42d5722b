"""CB-SEM on a dask DataFrame: weighted moments per partition, combined, then the engine.

Two passes over the partitions (one dask task each; segments grouped inside the task
with ``by=``): the first validates each partition through CB-SEM's data gate and gives
a centre for the cross products; the second gives, over the complete answers with a
positive weight (listwise deletion, as in memory), the respondent count, the total
weight, ``Σ w (x − c)`` and ``Σ w (x − c)(x − c)ᵀ``. Added over partitions these give
the weighted means and the covariance matrix with divisor the total weight — the ML
moments — which the engine takes as :class:`~csimodels.sem._cbsem_moments.SampleMoments`
in place of the rows. ML (unweighted), GLS and ULS need nothing else, so the estimates,
standard errors and fit measures equal an in-memory fit of the same rows to rounding.

Multigroup ML (``group=``, with ``group_equal`` / ``group_partial``) takes each
group's moments, the groups in the order the data show them. Everything that needs
the rows is refused with a message saying what to do: weighted ML (lavaan's sampling
weights make it MLR, a sandwich over respondents), MLR, FIML, WLS/DWLS (the
fourth-moment weight matrix), ordinal items and the bootstrap.
Factor scores and per-respondent indices are not kept (the 0–100 index of the mean
answers is, when the scales are known).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from csimodels.data._dask_tasks import (
    _sort_key,
    fit_statistics,
    partition_statistics,
    pooled_statistics,
    refuse_rows,
)
from csimodels.errors import DataValidationError, InvalidParameterError, format_offenders
from csimodels.results import MissingDataReport
from csimodels.sem._cbsem_moments import SampleMoments

if TYPE_CHECKING:
    from csimodels.results import SegmentedResult
    from csimodels.sem._cbsem_result import CBSEMResult
    from csimodels.sem.cbsem import CBSEM

__all__ = ["MOMENT_ESTIMATORS", "dask_moments", "fit_dask"]

#: Estimators fitted from the moments alone (out of core).
MOMENT_ESTIMATORS = ("ML", "GLS", "ULS")

Key = tuple[Hashable, ...]
OWNER = "CBSEM.fit"


def _answers(
    items: list[str], weight: str | None, part: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray | None]:
    from csimodels.sem._cbsem_run import coerce

    survey = coerce(part, items, None, weight)  # the in-memory gate, on one partition
    x = survey.frame[items].to_numpy(dtype=np.float64)
    w = None if weight is None else survey.frame[weight].to_numpy(dtype=np.float64)
    return x, w


def _complete(x: np.ndarray, w: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    keep = ~np.isnan(x).any(axis=1)
    if w is not None:
        keep &= w > 0
    return x[keep], (np.ones(int(keep.sum())) if w is None else w[keep])


def _first(
    items: list[str], weight: str | None, part: pd.DataFrame, key: Key
) -> dict[str, Any] | None:
    if len(part) == 0:
        return None
    x = _complete(*_answers(items, weight, part))[0]
    return {"n": x.shape[0], "sum": x.sum(axis=0)}


def _second(
    items: list[str], weight: str | None, centre: np.ndarray, part: pd.DataFrame, key: Key
) -> dict[str, Any] | None:
    if len(part) == 0:
        return None
    x, w = _complete(*_answers(items, weight, part))
    d = x - centre
    return {
        "n": x.shape[0],
        "total": float(w.sum()),
        "s1": w @ d,
        "s2": (d * w[:, None]).T @ d,
    }


def _moments(stats: dict[str, Any] | None, centre: np.ndarray) -> SampleMoments | None:
    if stats is None or stats["n"] == 0 or not stats["total"] > 0:
        return None
    shift = stats["s1"] / stats["total"]
    cov = stats["s2"] / stats["total"] - np.outer(shift, shift)
    return SampleMoments(n=int(stats["n"]), mean=centre + shift, cov=(cov + cov.T) / 2)


def dask_moments(
    ddf: Any,
    items: list[str],
    *,
    weight: str | None,
    by: Sequence[str] = (),
    order: str = "sorted",
) -> tuple[dict[Key, tuple[int, SampleMoments | None]], SampleMoments | None]:
    """The weighted ML moments of ``items`` (listwise), per segment and pooled.

    Returns ``({segment key: (rows, moments)}, pooled moments)``; without ``by`` the
    only key is ``()``. Moments are None where no complete answer remains. The keys
    are in the order the partitions first show them (``order="appearance"``, the
    order of a multigroup model's groups, as ``pandas.unique``), or sorted.

    Examples
    --------
    >>> import numpy as np, pandas as pd, dask.dataframe as dd
    >>> df = pd.DataFrame({"a": [1.0, 2, 4, 5], "b": [2.0, 1, 5, 4]})
    >>> _, m = dask_moments(dd.from_pandas(df, npartitions=2), ["a", "b"], weight=None)
    >>> bool(np.allclose(m.cov, np.cov(df.to_numpy(), rowvar=False, bias=True)))
    True
    """
    columns = [*items, *([weight] if weight else [])]
    first = partition_statistics(ddf, columns, partial(_first, items, weight), owner=OWNER, by=by)
    _, pooled_first = pooled_statistics(first)
    if pooled_first is None:
        raise DataValidationError(f"{OWNER}: the dask DataFrame has no rows")
    centre = pooled_first["sum"] / max(pooled_first["n"], 1)
    second = partition_statistics(
        ddf, columns, partial(_second, items, weight, centre), owner=OWNER, by=by
    )
    pooled_second = pooled_statistics(second)[1]
    keys = list(second) if order == "appearance" else sorted(second, key=_sort_key)
    groups = {k: (second[k][0], _moments(second[k][1], centre)) for k in keys}
    return groups, _moments(pooled_second, centre)


def _check_options(options: dict[str, Any], weight: str | None) -> str:
    from csimodels.sem._cbsem_options import check_estimator

    estimator = str(options["estimator"]).upper()
    if options["missing"] in ("fiml", "ml"):
        estimator = "FIML"
    ordered = options["ordered"]
    if (ordered if isinstance(ordered, bool) else len(ordered) > 0) is not False:
        raise refuse_rows(
            OWNER,
            "ordinal items (polychoric correlations and their weight matrix)",
            "fit a pandas sample (ddf.sample(frac=...).compute()), or treat the items as "
            "continuous",
        )
    check_estimator(estimator, False)
    if estimator not in MOMENT_ESTIMATORS:
        raise refuse_rows(
            OWNER,
            f"estimator {estimator!r} (robust standard errors, casewise likelihood or a "
            "fourth-moment weight matrix)",
            f"use one of {format_offenders(list(MOMENT_ESTIMATORS))}, which need only the "
            "moments, or fit a pandas sample",
        )
    if estimator == "ML" and weight is not None:
        raise refuse_rows(
            OWNER,
            "ML with respondent weights (lavaan's sampling weights make it MLR, a sandwich "
            "over respondents)",
            "use estimator='GLS' or 'ULS' (weighted moments), or weight=None",
        )
    if options["inference"] is not None and options["inference"] != 0:
        raise refuse_rows(
            OWNER,
            "the bootstrap (each draw refits resampled respondents)",
            "use the analytic standard errors, or bootstrap a pandas sample",
        )
    if options["group"] is not None and estimator != "ML":
        raise InvalidParameterError(
            f"estimator {estimator!r} does not fit several groups here; use 'ML' with "
            f"group={options['group']!r}"
        )
    level = options["level"]
    if not (isinstance(level, float | int) and 0 < float(level) < 1):
        raise InvalidParameterError(
            f"parameter 'level' of {OWNER} must be between 0 and 1, got {level!r}"
        )
    return estimator


def _fit_moments(
    model: CBSEM,
    moments: SampleMoments | None,
    rows: int,
    *,
    estimator: str,
    weight: str | None,
    level: float,
    model_name: str = "CBSEM",
    scales: tuple[np.ndarray, np.ndarray] | None = None,
    group: str | None = None,
    groups: dict[Key, SampleMoments] | None = None,
    group_equal: tuple[str, ...] = (),
    group_partial: tuple[tuple[str, str, str], ...] = (),
) -> CBSEMResult:
    """One CBSEMResult from moments: the engine, with the moments in place of the rows."""
    from csimodels.sem._cbsem_build import build_result
    from csimodels.sem._cbsem_estimate import GroupData, estimate
    from csimodels.sem._cbsem_partable import build_partable
    from csimodels.sem._cbsem_run import Conditions, emit, observed_names

    parsed, zero, syntax, spec = model._parsed()
    items = observed_names(parsed)
    if moments is None:
        raise DataValidationError(
            f"no respondent has answers to all of {format_offenders(items)} (listwise "
            "deletion left an empty dataset)"
        )
    multi = group is not None
    if multi:
        assert groups is not None
        labels = [str(k[0]) for k in groups]
        if len(labels) < 2:
            raise DataValidationError(
                f"group column {group!r} has a single value ({labels[0]!r}): nothing to compare"
            )
    ms = model.meanstructure if model.meanstructure is not None else multi
    if ms and estimator != "ML":
        raise InvalidParameterError(
            f"a mean structure (intercepts, '~ 1', or groups) is available with ML, MLR "
            f"and FIML; estimator {estimator!r} fits covariances only"
        )
    table = build_partable(
        parsed, n_groups=len(groups) if multi and groups else 1, std_lv=model.std_lv,
        meanstructure=bool(ms), group_equal=group_equal, group_partial=group_partial,
        zero_residual=zero,
    )  # fmt: skip
    if table.meanstructure and estimator != "ML":
        raise InvalidParameterError(
            f"intercepts ('~ 1') are available with ML, MLR and FIML; estimator "
            f"{estimator!r} fits covariances only"
        )
    conditions: Conditions = []
    if multi and groups:
        data = [GroupData(str(k[0]), cast(Any, m), None) for k, m in groups.items()]
    else:
        data = [GroupData("1", cast(Any, moments), None)]
    est = estimate(table, data, items, estimator, ordinal=None, conditions=conditions)
    report = MissingDataReport(
        strategy="listwise", n_rows=rows, n_rows_used=moments.n, n_rows_dropped=rows - moments.n
    )
    result = build_result(
        est,
        syntax=syntax,
        spec=spec,
        x=moments,
        columns=items,
        rows=pd.Index([]),
        report=report,
        weights=None,
        scales=scales,
        weight_name=weight,
        model_name=model_name,
        group_labels=[g.label for g in data],
        group=group,
        group_equal=group_equal,
        std_lv=model.std_lv,
        level=level,
        conditions=conditions,
    )
    emit(conditions)
    out: CBSEMResult = result.model_copy(
        update={"settings": {**result.settings, "data": "dask DataFrame (moments)"}}
    )
    return out


def fit_dask(
    model: CBSEM,
    ddf: Any,
    options: dict[str, Any],
    *,
    by: str | Sequence[str] | None,
    min_segment_size: int | None,
    on_error: str,
    model_name: str = "CBSEM",
    scale: Any = None,
) -> CBSEMResult | SegmentedResult:
    """``CBSEM(...).fit(dask_frame, ...)``: the pooled fit, or one per segment with ``by``.

    ``model_name`` and ``scale`` (``(min, max)`` or a dict per indicator, for the 0–100
    indices of a CSI model's constructs) come from ``model.fit(..., method="cbsem")``.
    """
    from csimodels.segments import as_by
    from csimodels.sem._cbsem_run import observed_names

    weight = options["weight"]
    weight = None if weight is ... else weight
    if weight is not None and not isinstance(weight, str):
        raise InvalidParameterError(
            f"parameter 'weight' of {OWNER} must be a column name or None, got {weight!r}"
        )
    estimator = _check_options(options, weight)
    if on_error not in ("skip", "raise"):
        raise InvalidParameterError(
            f"parameter 'on_error' of {OWNER} must be 'skip' or 'raise', got {on_error!r}"
        )
    columns = () if by is None else as_by(by, owner=OWNER)
    parsed, _, _, _ = model._parsed()
    items = observed_names(parsed)
    scales = None
    if scale is not None:
        from csimodels.data._dask import _scale_bounds

        bounds = _scale_bounds(scale, items, model_name)
        scales = (
            np.array([bounds[i][0] for i in items]),
            np.array([bounds[i][1] for i in items]),
        )
    group = options["group"]
    group_moments: dict[Key, SampleMoments] | None = None
    equal: tuple[str, ...] = ()
    partial_keys: tuple[tuple[str, str, str], ...] = ()
    if group is not None:
        from csimodels.sem._cbsem_partable import GROUP_EQUAL
        from csimodels.sem._cbsem_run import partial_key

        if by is not None:
            raise InvalidParameterError(
                f"{OWNER} on a dask DataFrame: give group= or by=, not both"
            )
        equal = tuple(str(v) for v in options["group_equal"])
        unknown = sorted(set(equal) - set(GROUP_EQUAL))
        if unknown:
            raise InvalidParameterError(
                f"parameter 'group_equal' of {OWNER}: {format_offenders(unknown)} unknown; "
                f"use any of {format_offenders(sorted(GROUP_EQUAL), limit=10)}"
            )
        per_group, _ = dask_moments(ddf, items, weight=weight, by=(group,), order="appearance")
        group_moments = {k: m for k, (_, m) in per_group.items() if m is not None}
        partial_keys = tuple(partial_key(str(v)) for v in options["group_partial"])
    groups, pooled = dask_moments(ddf, items, weight=weight, by=columns)
    rows = sum(n for n, _ in groups.values())
    fit = partial(
        _fit_moments,
        model,
        estimator=estimator,
        weight=weight,
        level=options["level"],
        model_name=model_name,
        scales=scales,
        group=group,
        groups=group_moments,
        group_equal=equal,
        group_partial=partial_keys,
    )
    if not columns:
        return fit(pooled, rows)
    from csimodels.sem.cbsem import segment_overview

    out = fit_statistics(
        {k: (n, (n, m)) for k, (n, m) in groups.items()},
        lambda counted, label: fit(counted[1], counted[0]),
        by=columns,
        owner=OWNER,
        min_segment_size=max(2, len(items) + 1) if min_segment_size is None else min_segment_size,
        on_error="raise" if on_error == "raise" else "skip",
        pooled=fit(pooled, rows),
        headline=("fit",),
        settings={"model": model_name, "method": "cbsem", "estimator": estimator},
    )
    segmented: SegmentedResult = segment_overview(out)
    return segmented
