"""CB-SEM fitting from data: the data gate (SurveyData or DataFrame, weights, groups),
the parameter table, estimation, and the result. Conditions found are returned for
the caller to issue and record (:func:`emit` issues them as warnings)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from csimodels.data.survey import SurveyData
from csimodels.errors import (
    DataValidationError,
    InvalidParameterError,
    SpecificationError,
    format_offenders,
)
from csimodels.inference import Bootstrap
from csimodels.results import MissingDataReport
from csimodels.sem._cbsem_build import build_result
from csimodels.sem._cbsem_diagnostics import ordinal_moments
from csimodels.sem._cbsem_estimate import GroupData, estimate
from csimodels.sem._cbsem_options import (
    MULTIGROUP_ESTIMATORS,
    ORDINAL_ESTIMATORS,
    check_estimator,
)
from csimodels.sem._cbsem_ordinal import OrdinalMoments
from csimodels.sem._cbsem_partable import build_partable
from csimodels.sem._cbsem_result import CBSEMResult
from csimodels.sem._cbsem_syntax import ParsedModel, parse_syntax
from csimodels.sem.spec import ModelSpec

__all__ = ["emit", "fit_survey", "fit_syntax", "observed_names"]

FloatArray = NDArray[np.float64]
Conditions = list[tuple[str, type[Warning]]]


def observed_names(parsed: ParsedModel) -> list[str]:
    latent = {n for s in parsed.statements if s.op == "=~" for n in s.lhs}
    out: list[str] = []
    for s in parsed.statements:
        for name in [*s.lhs, *(t.name for t in s.terms)]:
            if name != "1" and name not in latent and name not in out:
                out.append(name)
    return out


def unknown_variable_error(parsed: ParsedModel, names: list[str], what: str) -> SpecificationError:
    """The error for variables that are neither latent nor data, naming the first line."""
    first = names[0]
    line = next(
        (
            st
            for st in parsed.statements
            if first in st.lhs or any(t.name == first for t in st.terms)
        ),
        None,
    )
    where = f"model syntax line {line.line} ({line.text.strip()!r}): " if line else ""
    return SpecificationError(
        f"{where}variable {format_offenders(names)} of the model is neither a latent "
        f"variable (left of '=~') nor {what}"
    )


def partial_key(text: str) -> tuple[str, str, str]:
    parsed = parse_syntax(text)
    s = parsed.statements[0]
    t = s.terms[0]
    if s.op == "~" and t.name == "1":
        return (s.lhs[0], "~1", "")
    return (s.lhs[0], s.op, t.name)


def coerce(
    data: SurveyData | pd.DataFrame,
    items: list[str],
    group: str | None,
    weight: object,
    parsed: ParsedModel | None = None,
) -> SurveyData:
    if isinstance(data, SurveyData):
        survey = data
        if weight is not ... and weight != survey.weight:
            if weight is not None and (
                not isinstance(weight, str) or weight not in survey.frame.columns
            ):
                raise DataValidationError(f"weight column {weight!r} is not a column of the data")
            # this fit only: the caller's SurveyData is not changed
            survey = survey.model_copy(update={"weight": weight})
    elif isinstance(data, pd.DataFrame):
        missing_cols = [c for c in items if c not in data.columns]
        if missing_cols and parsed is not None:
            raise unknown_variable_error(parsed, missing_cols, "a column of the data")
        if missing_cols:
            raise SpecificationError(
                f"variable {format_offenders(missing_cols)} of the model is neither a latent "
                "variable (left of '=~') nor a column of the data"
            )
        if group is not None and group not in data.columns:
            raise DataValidationError(f"group column {group!r} is not a column of the data")
        cols = list(dict.fromkeys([*items, *([group] if group else [])]))
        w = weight if isinstance(weight, str) else None
        if w is not None:
            cols.append(w)
        survey = SurveyData.coerce(
            data[cols], items=items, weight=w, segments=[group] if group else ()
        )
    else:
        raise DataValidationError(
            f"data must be a SurveyData or a pandas DataFrame, got {type(data).__name__}"
        )
    return survey


def emit(conditions: Conditions) -> None:
    for message, category in conditions:
        warnings.warn(message, category, stacklevel=4)


def fit_survey(
    parsed: ParsedModel,
    zero: tuple[str, ...],
    syntax: str,
    spec: ModelSpec | None,
    survey: SurveyData,
    *,
    estimator: str,
    ordinal: bool,
    ordered: tuple[str, ...] = (),
    group: str | None = None,
    group_equal: tuple[str, ...] = (),
    group_partial: tuple[tuple[str, str, str], ...] = (),
    std_lv: bool = False,
    meanstructure: bool | None = None,
    model_name: str = "CBSEM",
    level: float = 0.95,
    boot: Bootstrap | None = None,
    keep: list[object] | None = None,
    robust: bool = False,
) -> tuple[CBSEMResult, Conditions]:
    """Fit from a SurveyData; ``keep`` (internal) receives the Estimation."""
    items = observed_names(parsed)
    missing_cols = [c for c in items if c not in survey.items]
    if missing_cols:
        raise unknown_variable_error(parsed, missing_cols, "an item of the data")
    fiml = estimator == "FIML"
    matrix = survey.item_matrix(items, missing="pairwise" if fiml else "listwise")
    x = np.asarray(matrix.values, dtype=np.float64)
    report = matrix.report
    rows, w = pd.Index(matrix.rows), matrix.weights
    if fiml:
        empty: NDArray[np.bool_] = np.asarray(np.isnan(x).all(axis=1), dtype=bool)
        if empty.any():
            x = x[~empty]
            rows = rows[~empty]
            w = None if w is None else w[~empty]
        report = MissingDataReport(
            strategy="none" if not np.isnan(x).any() else "fiml",
            n_rows=report.n_rows,
            n_rows_used=int(x.shape[0]),
            n_rows_dropped=int(empty.sum()),
        )
    if w is not None and fiml and group is not None:
        raise InvalidParameterError(
            f"missing='fiml' with group={group!r} does not take respondent weights here "
            f"(weight column {survey.weight!r}); fit the groups without weights "
            "(fit(weight=None)), or one group at a time"
        )
    if w is not None and fiml:
        # lavaan's sampling.weights with missing = "ml": the weighted incomplete-data
        # likelihood, robust (Huber-White) SEs and the Yuan-Bentler test, i.e. MLR
        robust = True
    if w is not None and estimator in ("WLS", "DWLS") and not ordinal:
        raise InvalidParameterError(
            f"estimator {estimator!r} of continuous items does not take respondent weights "
            f"(its fourth-moment weight matrix is unweighted); use estimator='ML' (robust, "
            f"as lavaan's sampling.weights), 'GLS' or 'ULS' (weighted moments), ordinal "
            f"items (ordered=...), or fit(weight=None) to ignore the weight column "
            f"{survey.weight!r}"
        )
    w_scaled = None
    if w is not None and ordinal:
        # lavaan's sampling.weights.normalization = "total": the weights of every group
        # together sum to N; the two-step statistics use them on that scale
        w_scaled = np.asarray(w * (w.size / float(np.sum(w))), dtype=np.float64)
    if w is not None and estimator == "ML":
        # lavaan's sampling.weights: ML estimates on the weighted moments, robust
        # (Huber-White) standard errors and the Yuan-Bentler test, i.e. MLR
        estimator = "MLR"
    scales = _scale_bounds(items, survey)
    groups: list[GroupData]
    labels: list[str]
    masks: list[NDArray[np.bool_]] = []
    if group is None:
        groups = [GroupData("1", x, w)]
        labels = ["1"]
    else:
        allowed = ORDINAL_ESTIMATORS if ordinal else MULTIGROUP_ESTIMATORS
        if estimator not in allowed:
            raise InvalidParameterError(
                f"estimator {estimator!r} does not fit several groups here; use one of "
                f"{format_offenders(list(allowed))} with group={group!r}"
            )
        frame = survey.frame
        if group not in frame.columns:
            raise DataValidationError(f"group column {group!r} is not a column of the data")
        values = frame.loc[rows, group]
        if values.isna().any():
            bad = [str(r) for r in rows[values.isna().to_numpy()]]
            raise DataValidationError(
                f"group column {group!r} is missing for rows {format_offenders(bad)}; "
                "drop them or give them a group"
            )
        uniq = list(pd.unique(values))
        if len(uniq) < 2:
            raise DataValidationError(
                f"group column {group!r} has a single value ({uniq[0]!r}): nothing to compare"
            )
        groups = []
        labels = []
        gv = values.to_numpy()
        for u in uniq:
            mask = np.asarray(gv == u, dtype=bool)
            masks.append(mask)
            groups.append(GroupData(str(u), x[mask], None if w is None else w[mask]))
            labels.append(str(u))
    equal_thresholds = ordinal and group is not None and "thresholds" in group_equal
    equal_for_table = group_equal
    if ordinal:
        # lavaan's delta parameterisation: with equal thresholds the latent means are
        # free in the later groups (as with equal intercepts of continuous items)
        equal_for_table = tuple(v for v in group_equal if v != "thresholds")
        if equal_thresholds:
            equal_for_table += ("intercepts",)
    elif "thresholds" in group_equal:
        raise InvalidParameterError(
            "group_equal 'thresholds' is for ordinal items (ordered=...); continuous items "
            "have intercepts: use 'intercepts'"
        )
    ms = meanstructure
    if ms is None:
        ms = (group is not None and not ordinal) or fiml or equal_thresholds
    if ms and not equal_thresholds and (estimator not in ("ML", "MLR", "FIML") or ordinal):
        raise InvalidParameterError(
            f"a mean structure (intercepts, '~ 1', or groups) is available with ML, MLR "
            f"and FIML; estimator {estimator!r} fits covariances only"
        )
    table = build_partable(
        parsed,
        n_groups=len(groups),
        std_lv=std_lv,
        meanstructure=ms,
        group_equal=equal_for_table,
        group_partial=group_partial,
        zero_residual=zero,
    )
    if ordinal and table.ov_x:
        raise InvalidParameterError(
            f"observed covariate {format_offenders(list(table.ov_x))} (only right of '~') "
            "with ordinal items: lavaan then conditions the thresholds and polychorics on "
            "the covariates (conditional.x), which csimodels does not do; give the "
            "covariate its own construct ('X =~ x') or leave it out"
        )
    if equal_thresholds:
        from csimodels.sem._cbsem_ordinal_groups import fix_ordinal_intercepts

        fix_ordinal_intercepts(table, set(ordered or table.observed))
    if (
        table.meanstructure
        and not equal_thresholds
        and (estimator not in ("ML", "MLR", "FIML") or ordinal)
    ):
        raise InvalidParameterError(
            f"intercepts ('~ 1') are available with ML, MLR and FIML; estimator "
            f"{estimator!r} fits covariances only"
        )
    conditions: Conditions = []
    om: OrdinalMoments | list[OrdinalMoments] | None = None
    if ordinal:
        scale_map: dict[str, tuple[float, float]] = {}
        if scales is not None:
            for j, item in enumerate(items):
                scale_map[item] = (float(scales[0][j]), float(scales[1][j]))
        if len(groups) == 1:
            om = ordinal_moments(
                x, items, list(table.observed), scale_map, conditions, ordered, w_scaled
            )
        else:
            from csimodels.sem._cbsem_ordinal_groups import check_group_categories

            om = []
            for g, mask in zip(groups, masks, strict=True):
                found: Conditions = []
                gw = None if w_scaled is None else w_scaled[mask]
                om.append(
                    ordinal_moments(g.x, items, list(table.observed), scale_map, found, ordered, gw)
                )
                conditions.extend((f"group {g.label!r}: {m}", c) for m, c in found)
            check_group_categories(om, labels)
    est = estimate(
        table,
        groups,
        items,
        estimator,
        ordinal=om,
        equal_thresholds=equal_thresholds,
        conditions=conditions,
        robust=robust,
    )
    if keep is not None:
        keep.append(est)
    result = build_result(
        est,
        syntax=syntax,
        spec=spec,
        x=x,
        columns=items,
        rows=rows,
        report=report,
        weights=w,
        scales=scales,
        weight_name=survey.weight,
        model_name=model_name,
        group_labels=labels,
        group=group,
        group_equal=group_equal,
        std_lv=std_lv,
        level=level,
        conditions=conditions,
        boot=boot,
    )
    return result, conditions


def _scale_bounds(items: list[str], survey: SurveyData) -> tuple[FloatArray, FloatArray] | None:
    lower = np.empty(len(items))
    upper = np.empty(len(items))
    for j, item in enumerate(items):
        scale = survey.item_info[item].scale
        if scale is None:
            return None
        lower[j], upper[j] = scale.min, scale.max
    return lower, upper


def fit_syntax(
    syntax: str,
    data: pd.DataFrame,
    *,
    estimator: str = "ML",
    model_name: str = "syntax",
    ordinal: bool = False,
) -> CBSEMResult:
    """Fit a model written in lavaan syntax on a plain DataFrame (tests, benchmarks).

    The same engine as :class:`CBSEM`; rows with a missing answer are deleted (except
    for FIML); no 0–100 indices (answer scales unknown).
    """
    key = check_estimator(estimator, ordinal)
    parsed = parse_syntax(syntax)
    items = observed_names(parsed)
    missing_cols = [c for c in items if c not in data.columns]
    if missing_cols:
        raise unknown_variable_error(parsed, missing_cols, "a column of the data")
    x_all = data[items].to_numpy(dtype=np.float64)
    n_rows = int(x_all.shape[0])
    if key != "FIML":
        keep = ~np.isnan(x_all).any(axis=1)
        x = x_all[keep]
        rows = data.index[keep]
    else:
        x, rows = x_all, data.index
    report = MissingDataReport(
        strategy="listwise" if key != "FIML" else "fiml",
        n_rows=n_rows,
        n_rows_used=int(x.shape[0]),
        n_rows_dropped=n_rows - int(x.shape[0]),
    )
    table = build_partable(parsed, meanstructure=key == "FIML")
    conditions: Conditions = []
    om = ordinal_moments(x, items, list(table.observed), {}, conditions) if ordinal else None
    est = estimate(table, [GroupData("1", x, None)], items, key, ordinal=om, conditions=conditions)
    result = build_result(
        est,
        syntax=syntax,
        spec=None,
        x=x,
        columns=items,
        rows=pd.Index(rows),
        report=report,
        weights=None,
        scales=None,
        weight_name=None,
        model_name=model_name,
        group_labels=["1"],
        group=None,
        group_equal=(),
        std_lv=False,
        level=0.95,
        conditions=conditions,
    )
    emit(conditions)
    return result
