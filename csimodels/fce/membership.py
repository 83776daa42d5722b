"""Membership matrices R (factors × grades): given, from surveys, from indicators.

Three sources, all returning a labelled DataFrame (rows: factors, columns: grades):

- :func:`membership_from_matrix`: a matrix given directly (validated);
- :func:`membership_from_survey` / :func:`membership_from_counts`: the (weighted)
  share of evaluators who put each factor in each grade;
- :func:`membership_from_indicators`: quantitative indicators through membership
  functions (:class:`Triangular`, :class:`Trapezoidal`, :class:`Gaussian`,
  :class:`RisingHalfTrapezoid`, :class:`FallingHalfTrapezoid`), or through grade
  thresholds (:func:`threshold_functions`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from csimodels.data.survey import SurveyData
from csimodels.errors import DataValidationError, format_offenders
from csimodels.fce.functions import threshold_functions
from csimodels.fce.grades import GradeSet

__all__ = [
    "grade_counts",
    "membership_from_counts",
    "membership_from_indicators",
    "membership_from_matrix",
    "membership_from_survey",
]

FloatArray = NDArray[np.float64]
GradesArg = GradeSet | Mapping[str, float] | Sequence[str]
ROW_SUM_ATOL = 1e-6


# -- validation of a membership matrix ------------------------------------------------
def _labels_or_default(labels: Sequence[Any] | None, n: int, prefix: str) -> list[Any]:
    if labels is None:
        return [f"{prefix}{i + 1}" for i in range(n)]
    return list(labels)


def _check_matrix(
    values: FloatArray,
    factors: Sequence[Any],
    grades: Sequence[str],
    *,
    normalize: bool,
    check_sums: bool = True,
    where: str = "membership matrix R",
    atol: float = ROW_SUM_ATOL,
) -> FloatArray:
    """Validate R (entries in [0, 1], rows summing to one) and return a checked copy."""
    if not np.all(np.isfinite(values)):
        bad = np.argwhere(~np.isfinite(values))
        cells = [f"({factors[i]!r}, {grades[j]!r})" for i, j in bad[:5]]
        raise DataValidationError(
            f"{where} has missing or infinite entries at {', '.join(cells)}"
            f"{' and more' if len(bad) > 5 else ''}; every cell needs a membership in [0, 1]"
        )
    bad_mask = (values < 0) | (values > 1)
    if bad_mask.any():
        bad = np.argwhere(bad_mask)
        cells = [f"({factors[i]!r}, {grades[j]!r}) = {values[i, j]:g}" for i, j in bad[:5]]
        extra = len(bad) - 5
        raise DataValidationError(
            f"{where} has entries outside [0, 1]: {', '.join(cells)}"
            f"{f' and {extra} more' if extra > 0 else ''}; memberships are degrees in [0, 1]"
        )
    sums = values.sum(axis=1)
    zero = [factors[int(i)] for i in np.flatnonzero(sums <= 0)]
    if zero:
        raise DataValidationError(
            f"{where}: factor {format_offenders(zero)} has no membership in any grade "
            "(row of zeros); every factor must belong to some grade"
        )
    if not check_sums:
        return values.copy()
    off = np.flatnonzero(np.abs(sums - 1.0) > atol)
    if off.size and not normalize:
        shown = ", ".join(f"{factors[i]!r} sums to {sums[i]:.6g}" for i in off[:5])
        raise DataValidationError(
            f"{where}: rows must sum to 1 but {shown}"
            f"{f' and {off.size - 5} more' if off.size > 5 else ''}; "
            "pass normalize=True to divide each row by its sum"
        )
    return np.asarray(values / sums[:, None], dtype=np.float64)


def _frame(values: FloatArray, factors: Sequence[Any], grades: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame(
        values,
        index=pd.Index(list(factors), name="factor"),
        columns=pd.Index(list(grades), name="grade"),
    )


def membership_from_matrix(
    matrix: ArrayLike | pd.DataFrame,
    grades: GradesArg,
    *,
    factors: Sequence[str] | None = None,
    normalize: bool = False,
    atol: float = ROW_SUM_ATOL,
) -> pd.DataFrame:
    """A membership matrix R given directly, validated and labelled.

    Parameters
    ----------
    matrix : array-like (n factors × m grades) or DataFrame
        A DataFrame's columns must be the grade labels (any order; they are put in
        grade order) and its index the factor labels.
    grades : GradeSet, mapping of label to score, or list of labels
    factors : list of str, optional
        Factor labels for an array (default ``u1, u2, ...``).
    normalize : bool
        Divide each row by its sum. Without it a row not summing to 1 (within
        ``atol``) is an error.
    atol : float
        Tolerance on row sums.

    Returns
    -------
    DataFrame
        Index ``factor``, columns ``grade``; entries rᵢⱼ in [0, 1], rows summing to 1.

    Raises
    ------
    DataValidationError
        Wrong shape, entries outside [0, 1] (naming the cells), a row of zeros, rows
        not summing to one (naming the factors).

    Examples
    --------
    >>> r = membership_from_matrix([[0.2, 0.8], [0.5, 0.5]], ["好", "差"], factors=["速度", "态度"])
    >>> r.loc["态度", "差"]
    np.float64(0.5)
    """
    gs = GradeSet.coerce(grades)
    if isinstance(matrix, pd.DataFrame):
        missing = [g for g in gs.labels if g not in matrix.columns]
        extra = [str(c) for c in matrix.columns if c not in gs.labels]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing grade column {format_offenders(missing)}")
            if extra:
                parts.append(f"unknown column {format_offenders(extra)}")
            raise DataValidationError(
                f"membership matrix columns must be the grades {format_offenders(gs.labels)}: "
                + "; ".join(parts)
            )
        if factors is not None:
            raise DataValidationError(
                "factors= is for arrays; a DataFrame's index already labels the factors"
            )
        if matrix.index.has_duplicates:
            dup = matrix.index[matrix.index.duplicated()].unique().tolist()
            raise DataValidationError(
                f"membership matrix lists factor {format_offenders(dup)} more than once"
            )
        labels = list(matrix.index)
        try:
            values = matrix[list(gs.labels)].to_numpy(dtype=np.float64, copy=True)
        except (TypeError, ValueError) as err:
            raise DataValidationError(
                f"membership matrix entries must be numbers ({err})"
            ) from None
    else:
        try:
            values = np.array(matrix, dtype=np.float64)
        except (TypeError, ValueError) as err:
            raise DataValidationError(
                f"membership matrix entries must be numbers ({err})"
            ) from None
        if values.ndim != 2:
            raise DataValidationError(
                f"membership matrix must be 2-dimensional (factors × grades), "
                f"got shape {values.shape}"
            )
        if values.shape[1] != gs.n:
            raise DataValidationError(
                f"membership matrix has {values.shape[1]} columns for {gs.n} grades "
                f"({format_offenders(gs.labels)}); expected shape (n_factors, {gs.n}), "
                f"got {values.shape}"
            )
        labels = _labels_or_default(factors, values.shape[0], "u")
        if len(labels) != values.shape[0]:
            raise DataValidationError(
                f"factors has {len(labels)} labels for {values.shape[0]} matrix rows"
            )
        if len(set(labels)) != len(labels):
            dup = sorted({str(x) for x in labels if labels.count(x) > 1})
            raise DataValidationError(f"factors lists {format_offenders(dup)} more than once")
    if values.shape[0] == 0:
        raise DataValidationError("membership matrix has no rows; expected one row per factor")
    checked = _check_matrix(values, labels, gs.labels, normalize=normalize, atol=atol)
    return _frame(checked, labels, gs.labels)


def membership_from_counts(
    counts: pd.DataFrame | ArrayLike,
    grades: GradesArg | None = None,
    *,
    factors: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Memberships as shares of (weighted) votes: rᵢⱼ = countᵢⱼ / Σⱼ countᵢⱼ.

    Parameters
    ----------
    counts : DataFrame (factors × grades) or array-like
        How many evaluators (or how much respondent weight) put each factor in each
        grade. Non-negative; a factor needs at least one vote.
    grades : GradeSet, mapping or list, optional
        Needed for an array; for a DataFrame default its columns in order.
    factors : list of str, optional
        Factor labels for an array.

    Examples
    --------
    >>> c = pd.DataFrame({"优秀": [1, 0], "良好": [3, 4], "一般": [1, 1]}, index=["A", "B"])
    >>> membership_from_counts(c).loc["A"].tolist()
    [0.2, 0.6, 0.2]
    """
    if isinstance(counts, pd.DataFrame):
        gs = GradeSet.coerce(grades if grades is not None else [str(c) for c in counts.columns])
        frame = counts
    else:
        if grades is None:
            raise DataValidationError("membership_from_counts needs grades= for an array of counts")
        gs = GradeSet.coerce(grades)
        arr = np.array(counts, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[1] != gs.n:
            raise DataValidationError(
                f"counts must have shape (n_factors, {gs.n}) for grades "
                f"{format_offenders(gs.labels)}, got {arr.shape}"
            )
        frame = pd.DataFrame(
            arr, index=_labels_or_default(factors, arr.shape[0], "u"), columns=list(gs.labels)
        )
    values = frame.to_numpy(dtype=np.float64) if list(frame.columns) == list(gs.labels) else None
    if values is None:
        missing = [g for g in gs.labels if g not in frame.columns]
        if missing:
            raise DataValidationError(
                f"counts are missing grade column {format_offenders(missing)}"
            )
        values = frame[list(gs.labels)].to_numpy(dtype=np.float64)
    labels = list(frame.index)
    neg = np.argwhere(values < 0)
    if neg.size:
        cells = [f"({labels[i]!r}, {gs.labels[j]!r}) = {values[i, j]:g}" for i, j in neg[:5]]
        raise DataValidationError(f"counts must be >= 0; got {', '.join(cells)}")
    bad = ~np.isfinite(values)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise DataValidationError(f"counts must be finite; got ({labels[i]!r}, {gs.labels[j]!r})")
    sums = values.sum(axis=1)
    empty = [labels[i] for i in np.flatnonzero(sums <= 0)]
    if empty:
        raise DataValidationError(
            f"counts: factor {format_offenders(empty)} has no votes in any grade"
        )
    shares = values / sums[:, None]
    return _frame(_check_matrix(shares, labels, gs.labels, normalize=True), labels, gs.labels)


def grade_counts(
    data: SurveyData | pd.DataFrame,
    grades: GradesArg,
    *,
    items: Sequence[str] | Mapping[str, str] | None = None,
    codes: Mapping[Any, str] | None = None,
    weight: str | None = None,
    weighted: bool = True,
) -> pd.DataFrame:
    """How many evaluators put each factor (survey item) in each grade.

    Parameters
    ----------
    data : SurveyData or DataFrame
        One row per evaluator, one column per factor. Answers are grade codes: by
        default 1, 2, ..., m for the grades in order; or any codes mapped with
        ``codes``. A DataFrame may also hold the grade labels themselves as text.
    grades : GradeSet, mapping or list
    items : list of columns, or dict of column to factor label, optional
        Default every item of the survey.
    codes : dict of answer code to grade label, optional
        E.g. ``{5: "优秀", 4: "良好", 3: "一般", 2: "不合格", 1: "不合格"}``.
    weight : str, optional
        Respondent weight column of a DataFrame (a SurveyData brings its own).
    weighted : bool
        Sum respondent weights (True) or count evaluators (False).

    Returns
    -------
    DataFrame
        Index ``factor``, columns ``grade``: the (weighted) number of evaluators.
        Missing answers are skipped factor by factor.

    Examples
    --------
    >>> df = pd.DataFrame({"速度": ["良好", "优秀", "良好"], "态度": [1, 2, 2]})
    >>> grade_counts(df, ["优秀", "良好"]).loc["速度"].tolist()
    [1.0, 2.0]
    """
    gs = GradeSet.coerce(grades)
    code_map = _resolve_codes(codes, gs)
    if isinstance(data, pd.DataFrame):
        df = data
        names = _item_names(items, [c for c in df.columns if c != weight])
        text_map = {label: float(code) for code, label in _first_codes(code_map).items()}
        converted: dict[Any, Any] = {}
        for col in names:
            if col not in df.columns:
                continue
            s = df[col]
            if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
                converted[col] = s.map(lambda v: text_map.get(v, v) if isinstance(v, str) else v)
        if converted:
            df = df.assign(**{str(k): v for k, v in converted.items()})
        survey = SurveyData.coerce(df, items=names, weight=weight)
    else:
        survey = SurveyData.coerce(data)
        if weight is not None and weight != survey.weight:
            raise DataValidationError(
                f"weight={weight!r} is for DataFrames; this SurveyData's weight column is "
                f"{survey.weight!r}"
            )
        names = _item_names(items, list(survey.items))
    survey._check_items(names)
    factor_labels = _factor_labels(items, names)
    x = survey.frame[names].to_numpy(dtype=np.float64)
    w = survey.weights() if weighted else None
    w = np.ones(x.shape[0]) if w is None else w
    code_values = np.array(sorted(code_map), dtype=np.float64)
    out = np.zeros((len(names), gs.n))
    rows = survey.frame.index
    for k, name in enumerate(names):
        col = x[:, k]
        valid = ~np.isnan(col)
        unknown = valid & ~np.isin(col, code_values)
        if unknown.any():
            pos = np.flatnonzero(unknown)
            shown = ", ".join(f"row {rows[p]!r}: {col[p]:g}" for p in pos[:5])
            raise DataValidationError(
                f"column {name!r} has {pos.size} answer{'s' if pos.size > 1 else ''} that are "
                f"not grade codes ({shown}{' and more' if pos.size > 5 else ''}); valid codes: "
                f"{format_offenders([f'{c:g}' for c in code_values], limit=10)}; "
                "pass codes={answer: grade} to map them"
            )
        if not valid.any():
            raise DataValidationError(f"column {name!r} has no answers; drop it from items")
        for code, label in code_map.items():
            hit = col == code
            out[k, gs.position(label)] += float(w[hit].sum())
    return _frame(out, factor_labels, gs.labels)


def membership_from_survey(
    data: SurveyData | pd.DataFrame,
    grades: GradesArg,
    *,
    items: Sequence[str] | Mapping[str, str] | None = None,
    codes: Mapping[Any, str] | None = None,
    weight: str | None = None,
    weighted: bool = True,
) -> pd.DataFrame:
    """Memberships from survey answers: the (weighted) share of evaluators per grade.

    ``rᵢⱼ = Σₖ wₖ [answerₖᵢ = j] / Σₖ wₖ [answerₖᵢ answered]``, respondent weights
    ``wₖ`` honoured when the survey has them. Arguments as in :func:`grade_counts`.

    Examples
    --------
    >>> df = pd.DataFrame({"速度": [1, 2, 2, 2, 3], "态度": [1, 1, 2, 2, 2]})
    >>> membership_from_survey(df, ["优秀", "良好", "一般"]).loc["速度"].tolist()
    [0.2, 0.6, 0.2]
    """
    counts = grade_counts(data, grades, items=items, codes=codes, weight=weight, weighted=weighted)
    return membership_from_counts(counts, grades)


def membership_from_indicators(
    values: pd.Series | Mapping[str, float],
    grades: GradesArg,
    *,
    thresholds: Sequence[float] | Mapping[str, Sequence[float]] | None = None,
    functions: Mapping[str, Any] | None = None,
    normalize: bool = False,
) -> pd.DataFrame:
    """Memberships of quantitative indicators through membership functions.

    Parameters
    ----------
    values : Series or dict of factor to value
        One measured value per factor (e.g. average response time in hours).
    grades : GradeSet, mapping or list
    thresholds : list of float, or dict of factor to list
        One characteristic value per grade (see :func:`threshold_functions`), for
        every factor or per factor.
    functions : dict of grade to function, or dict of factor to (dict of grade to function)
        Explicit membership functions; any callable mapping values to [0, 1].
    normalize : bool
        Divide each row by its sum (needed when the functions do not sum to one,
        e.g. Gaussians). Threshold functions always sum to one.

    Examples
    --------
    >>> r = membership_from_indicators({"响应时间": 84}, ["优", "良", "中", "差"],
    ...                                thresholds=[90, 80, 70, 60])
    >>> r.loc["响应时间"].round(2).tolist()
    [0.4, 0.6, 0.0, 0.0]
    """
    gs = GradeSet.coerce(grades)
    series = pd.Series(values) if isinstance(values, Mapping) else values
    if not isinstance(series, pd.Series):
        raise DataValidationError(
            f"values must be a Series or dict of factor to value, got {type(values).__name__}"
        )
    if series.empty:
        raise DataValidationError("values is empty; give one value per factor")
    try:
        x = series.to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        raise DataValidationError("indicator values must be numbers") from None
    factors = list(series.index)
    bad = [f for f, v in zip(factors, x, strict=True) if not math.isfinite(v)]
    if bad:
        raise DataValidationError(f"indicator {format_offenders(bad)} has no finite value")
    if (thresholds is None) == (functions is None):
        raise DataValidationError("pass exactly one of thresholds= or functions=")
    per_factor: dict[Any, Mapping[str, Any]] = {}
    if thresholds is not None:
        if isinstance(thresholds, Mapping):
            _check_factor_keys(thresholds, factors, "thresholds")
            per_factor = {f: threshold_functions(thresholds[f], gs) for f in factors}
        else:
            shared = threshold_functions(thresholds, gs)
            per_factor = dict.fromkeys(factors, shared)
    else:
        assert functions is not None
        if set(functions) <= set(gs.labels) and not set(functions) & set(factors):
            per_factor = dict.fromkeys(factors, functions)
        else:
            _check_factor_keys(functions, factors, "functions")
            per_factor = {f: functions[f] for f in factors}
    out = np.zeros((len(factors), gs.n))
    for i, f in enumerate(factors):
        fns = per_factor[f]
        missing = [g for g in gs.labels if g not in fns]
        extra = [str(g) for g in fns if g not in gs.labels]
        if missing or extra:
            raise DataValidationError(
                f"membership functions of factor {f!r} must cover the grades "
                f"{format_offenders(gs.labels)}: missing {format_offenders(missing) or 'none'}, "
                f"unknown {format_offenders(extra) or 'none'}"
            )
        for j, g in enumerate(gs.labels):
            out[i, j] = float(np.asarray(fns[g](x[i]), dtype=np.float64))
    checked = _check_matrix(
        out, factors, gs.labels, normalize=normalize, where="memberships from indicators"
    )
    return _frame(checked, factors, gs.labels)


# -- helpers ---------------------------------------------------------------------------
def _check_factor_keys(mapping: Mapping[Any, Any], factors: Sequence[Any], what: str) -> None:
    missing = [f for f in factors if f not in mapping]
    extra = [k for k in mapping if k not in factors]
    if missing or extra:
        raise DataValidationError(
            f"{what} must name every factor: missing {format_offenders(missing) or 'none'}, "
            f"unknown {format_offenders(extra) or 'none'}"
        )


def _resolve_codes(codes: Mapping[Any, str] | None, gs: GradeSet) -> dict[float, str]:
    if codes is None:
        return {float(i + 1): label for i, label in enumerate(gs.labels)}
    if not isinstance(codes, Mapping) or not codes:
        raise DataValidationError(
            f"codes must be a non-empty dict of answer code to grade label, got {codes!r}"
        )
    out: dict[float, str] = {}
    for code, label in codes.items():
        gs.position(label)
        try:
            out[float(code)] = label
        except (TypeError, ValueError):
            raise DataValidationError(f"answer code {code!r} must be a number") from None
    return out


def _first_codes(code_map: Mapping[float, str]) -> dict[float, str]:
    """One code per grade label (the smallest), to turn text answers into codes."""
    out: dict[str, float] = {}
    for code in sorted(code_map):
        out.setdefault(code_map[code], code)
    return {c: lab for lab, c in out.items()}


def _item_names(items: Sequence[str] | Mapping[str, str] | None, default: list[Any]) -> list[Any]:
    if items is None:
        return list(default)
    if isinstance(items, str):
        raise DataValidationError("items must be a list of column names, not one string")
    return list(items.keys()) if isinstance(items, Mapping) else list(items)


def _factor_labels(items: Sequence[str] | Mapping[str, str] | None, names: list[Any]) -> list[Any]:
    if isinstance(items, Mapping):
        labels = [items[n] for n in names]
        if len(set(labels)) != len(labels):
            dup = sorted({str(x) for x in labels if labels.count(x) > 1})
            raise DataValidationError(
                f"items maps several columns to factor {format_offenders(dup)}"
            )
        return labels
    return names
