"""Validation layer of the SERVQUAL family: survey → checked, reverse-scored arrays.

Every public model of the family (SERVQUAL, SERVPERF, ZoneOfTolerance) goes through
:func:`prepare`, which resolves the instrument's columns, checks them, applies reverse
scoring and the missing-data rule, validates the importance points, and records every
respondent left out (and why) in an exclusions table.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from csimodels.data._dask_tasks import POSITION
from csimodels.data.scale import Scale
from csimodels.data.survey import SurveyData
from csimodels.errors import (
    DataQualityWarning,
    DataValidationError,
    SpecificationError,
    format_offenders,
)
from csimodels.results import MissingDataReport, warn_and_note
from csimodels.servqual.instruments import Instrument

FloatArray = NDArray[np.float64]

BATTERY_NAMES = {
    "expectation": "expectation",
    "perception": "perception",
    "desired": "desired service",
    "adequate": "adequate service",
}

ImportanceSpec = str | Mapping[str, str] | None

EXCLUSION_COLUMNS = ["scope", "reason", "missing_items", "missing_dimensions"]


@dataclass
class Prepared:
    """Checked arrays for an engine (rows: respondents kept; columns: instrument items)."""

    batteries: dict[str, FloatArray]
    importance: FloatArray | None
    weights: FloatArray | None
    rows: pd.Index
    groups: NDArray[Any] | None
    owner: NDArray[np.intp]
    columns: dict[str, list[str]]
    importance_columns: list[str]
    scale: tuple[float, float]
    report: MissingDataReport
    exclusions: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    reversed_items: list[str] = field(default_factory=list)
    survey: SurveyData | None = None
    counts: PrepareCounts | None = None


@dataclass(frozen=True)
class PrepareCounts:
    """Counts behind the survey-wide checks of :func:`prepare` (additive over partitions).

    Attributes
    ----------
    n_rows, n_kept, n_zero_weight, n_unanswered : int
    n_rescaled : int
        Respondents whose importance points were rescaled (``normalize_points``).
    rescaled_shown : tuple of str
        The first of them, as ``"row 'r': sum"`` (at most five).
    """

    n_rows: int
    n_kept: int
    n_zero_weight: int
    n_unanswered: int
    n_rescaled: int = 0
    rescaled_shown: tuple[str, ...] = ()

    def __add__(self, other: PrepareCounts) -> PrepareCounts:
        return PrepareCounts(
            self.n_rows + other.n_rows,
            self.n_kept + other.n_kept,
            self.n_zero_weight + other.n_zero_weight,
            self.n_unanswered + other.n_unanswered,
            self.n_rescaled + other.n_rescaled,
            (self.rescaled_shown + other.rescaled_shown)[:5],
        )


#: Fewer respondents than this give a warning (gap scores on very few respondents).
MIN_RESPONDENTS = 30


def importance_columns(instrument: Instrument, importance: ImportanceSpec, model: str) -> list[str]:
    """Resolve the importance columns, one per dimension (dimension order)."""
    if importance is None:
        return []
    dims = list(instrument.dimensions)
    if isinstance(importance, str):
        if "{dimension}" not in importance:
            raise SpecificationError(
                f"{model}: importance={importance!r} must be a pattern containing "
                "'{dimension}' (e.g. 'I_{dimension}') or a dict of dimension to column"
            )
        return [importance.format(dimension=d) for d in dims]
    unknown = sorted(str(k) for k in importance if k not in instrument.dimensions)
    missing = [d for d in dims if d not in importance]
    if unknown or missing:
        parts = []
        if unknown:
            parts.append(f"names {format_offenders(unknown)}, not dimensions of the instrument")
        if missing:
            parts.append(f"has no column for dimension {format_offenders(missing)}")
        raise SpecificationError(
            f"{model}: importance " + " and ".join(parts) + f"; give one column for each of "
            f"{format_offenders(dims)}"
        )
    return [importance[d] for d in dims]


def _check_columns(
    available: set[Hashable],
    instrument: Instrument,
    batteries: Mapping[str, str],
    imp_cols: Sequence[str],
    model: str,
    where: str,
) -> None:
    problems: list[str] = []
    for item in instrument.items:
        present = {r: instrument.column(c, item) for r, c in batteries.items()}
        have = [r for r, col in present.items() if col in available]
        lack = [r for r, col in present.items() if col not in available]
        if not lack:
            continue
        dim = instrument.dimension_of(item)
        if have:
            problems.append(
                f"item {item!r} ({dim}) has {BATTERY_NAMES[have[0]]} column "
                f"{present[have[0]]!r} but no {BATTERY_NAMES[lack[0]]} column {present[lack[0]]!r}"
            )
        else:
            problems.append(
                f"item {item!r} ({dim}): no column " + " or ".join(repr(present[r]) for r in lack)
            )
    missing_imp = [c for c in imp_cols if c not in available]
    if missing_imp:
        problems.append(f"importance column {format_offenders(missing_imp)} not found")
    if problems:
        shown = "; ".join(problems[:5])
        extra = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise DataValidationError(
            f"{model}: {shown}{extra} in {where}; every item needs one column per battery, "
            f"named by the instrument's column_pattern {instrument.column_pattern!r} "
            "(pass another instrument or column pattern if your columns are named differently)"
        )


def _to_survey(
    data: SurveyData | pd.DataFrame,
    cols: list[str],
    imp_cols: list[str],
    scale: tuple[float, float],
    weight: str | None,
    by: str | Sequence[str] | None,
    model: str,
    options: Mapping[str, Any],
) -> SurveyData:
    segments = [] if by is None else ([by] if isinstance(by, str) else list(by))
    if isinstance(data, pd.DataFrame):
        scales: dict[str, tuple[float, float]] = dict.fromkeys(cols, scale)
        return SurveyData.coerce(
            data,
            owner=f"{model}.fit",
            items=[*cols, *imp_cols],
            scale=scales,
            weight=weight,
            segments=segments,
            **options,
        )
    return SurveyData.coerce(
        data, owner=f"{model}.fit", weight=weight, segments=segments, **options
    )


def _rows_shown(labels: list[str], total: int) -> str:
    extra = total - len(labels)
    return ", ".join(labels) + (f" and {extra} more" if extra > 0 else "")


def _check_range(
    x: FloatArray, cols: list[str], lo: float, hi: float, rows: pd.Index, what: str
) -> None:
    bad = ~np.isnan(x) & ((x < lo) | (x > hi))
    if bad.any():
        j = int(np.flatnonzero(bad.any(axis=0))[0])
        where = np.flatnonzero(bad[:, j])
        shown = _rows_shown(
            [f"row {rows[i]!r}: {x[i, j]:g}" for i in where[:5].tolist()], where.size
        )
        raise DataValidationError(
            f"column {cols[j]!r} has {where.size} value(s) outside the {what} [{lo:g}, {hi:g}] "
            f"({shown}); declare missing codes or fix the scale"
        )


def prepare(
    data: SurveyData | pd.DataFrame,
    *,
    model: str,
    instrument: Instrument,
    batteries: Mapping[str, str],
    importance: ImportanceSpec,
    scale: tuple[float, float],
    weight: str | None,
    by: str | Sequence[str] | None,
    missing: str,
    normalize_points: bool,
    points_total: float,
    options: Mapping[str, Any] | None = None,
    partition: bool = False,
) -> Prepared:
    """Resolve, check and extract everything an engine of the family needs.

    With ``partition`` (one partition of a dask DataFrame) the survey-wide checks and
    notes (:func:`survey_notes`) are left to the caller, which runs them once on the
    combined counts.
    """
    dims = list(instrument.dimensions)
    imp_cols = importance_columns(instrument, importance, model)
    columns = {role: instrument.columns(code) for role, code in batteries.items()}
    all_cols = [c for cols in columns.values() for c in cols]
    if isinstance(data, pd.DataFrame):
        available: set[Hashable] = set(data.columns)
        where = "the DataFrame"
    elif isinstance(data, SurveyData):
        available = set(data.items)
        where = "the survey's items"
    else:  # the gate names what to do with a dask frame or a path
        SurveyData.coerce(data, owner=f"{model}.fit")
        raise DataValidationError(
            f"{model}: data must be a csimodels.SurveyData or a pandas DataFrame, "
            f"got {type(data).__name__}"
        )
    _check_columns(available, instrument, batteries, imp_cols, model, where)
    clash = sorted(set(all_cols) & set(imp_cols))
    if clash:
        raise SpecificationError(
            f"{model}: column {format_offenders(clash)} is both an answer and an importance column"
        )
    survey = _to_survey(data, all_cols, imp_cols, scale, weight, by, model, options or {})
    frame = survey.frame
    rows_all = frame.index
    lo, hi = scale
    for col in all_cols:
        sc: Scale | None = survey.item_info[col].scale
        if sc is not None and (sc.min, sc.max) != (lo, hi):
            raise DataValidationError(
                f"{model}: column {col!r} is declared on the scale {sc.describe()} but the model "
                f"uses scale=({lo:g}, {hi:g}); gaps need one scale for every battery — set "
                "scale= on the model to the survey's scale"
            )
    notes: list[str] = []
    arrays: dict[str, FloatArray] = {}
    reversed_items: list[str] = []
    already: list[str] = []
    rev_pos = [k for k, item in enumerate(instrument.items) if item in instrument.reverse_scored]
    for role, cols in columns.items():
        x = frame[cols].to_numpy(dtype=np.float64, copy=True)
        _check_range(x, cols, lo, hi, rows_all, "answer scale")
        for k in rev_pos:
            if survey.item_info[cols[k]].reverse_coded:
                already.append(cols[k])
                continue
            x[:, k] = lo + hi - x[:, k]
        arrays[role] = x
    reversed_items = [instrument.items[k] for k in rev_pos]
    if already:
        notes.append(
            f"columns {format_offenders(already)} were already reverse-coded in the SurveyData "
            "and were not reversed again"
        )
    n_all = frame.shape[0]
    k = len(instrument.items)
    owner = np.array(
        [dims.index(instrument.dimension_of(i)) for i in instrument.items], dtype=np.intp
    )

    # Item units: an item counts for a respondent only if every battery is answered.
    unit_missing = np.zeros((n_all, k), dtype=bool)
    for x in arrays.values():
        unit_missing |= np.isnan(x)
    for x in arrays.values():
        x[unit_missing] = np.nan

    imp: FloatArray | None = None
    imp_missing = np.zeros(n_all, dtype=bool)
    n_rescaled = 0
    rescaled_shown: tuple[str, ...] = ()
    if imp_cols:
        raw = frame[imp_cols].to_numpy(dtype=np.float64, copy=True)
        _check_range(raw, imp_cols, 0.0, points_total, rows_all, "importance points range")
        imp_missing = np.isnan(raw).any(axis=1)
        sums = raw.sum(axis=1)
        off = ~imp_missing & ~np.isclose(sums, points_total, rtol=0.0, atol=1e-6 * points_total)
        if off.any():
            where_off = np.flatnonzero(off)
            shown = _rows_shown(
                [f"row {rows_all[i]!r}: {sums[i]:g}" for i in where_off[:5].tolist()],
                where_off.size,
            )
            zero = ~imp_missing & (sums <= 0)
            if not normalize_points or zero.any():
                hint = (
                    f"{int(zero.sum())} of them allocate no points at all, which cannot be "
                    "rescaled; fix or drop those rows"
                    if normalize_points
                    else f"pass normalize_points=True to rescale each respondent's points to "
                    f"{points_total:g} (a warning records it)"
                )
                raise DataValidationError(
                    f"{model}: importance points in {format_offenders(imp_cols)} must sum to "
                    f"{points_total:g} for every respondent; {where_off.size} respondent(s) "
                    f"do not ({shown}); {hint}"
                )
            n_rescaled = int(where_off.size)
            rescaled_shown = tuple(
                f"row {rows_all[i]!r}: {sums[i]:g}" for i in where_off[:5].tolist()
            )
        with np.errstate(invalid="ignore", divide="ignore"):
            imp = raw / sums[:, None]
        imp[imp_missing] = np.nan

    w_all: FloatArray | None
    if partition and survey.weight is not None:  # raw: partitions must share one scale
        w_all = survey.frame[survey.weight].to_numpy(dtype=np.float64, copy=True)
    else:
        w_all = survey.weights()
    zero_weight = np.zeros(n_all, dtype=bool) if w_all is None else w_all <= 0
    n_dims = len(dims)
    dim_has = np.zeros((n_all, n_dims), dtype=bool)
    for d in range(n_dims):
        dim_has[:, d] = (~unit_missing[:, owner == d]).any(axis=1)
    missing_items = unit_missing.sum(axis=1)
    missing_dims = n_dims - dim_has.sum(axis=1)

    scope = np.full(n_all, "", dtype=object)
    reason = np.full(n_all, "", dtype=object)
    if missing == "listwise":
        drop = zero_weight | unit_missing.any(axis=1) | imp_missing
        scope[drop] = "all"
        reason[imp_missing] = "importance points missing"
        reason[unit_missing.any(axis=1)] = "incomplete item answers (listwise)"
        reason[zero_weight] = "zero weight"
        keep = ~drop
    else:
        no_answer = ~dim_has.any(axis=1)
        drop = zero_weight | no_answer
        scope[drop] = "all"
        reason[no_answer] = "no item answered"
        reason[zero_weight] = "zero weight"
        partial_dims = ~drop & (missing_dims > 0)
        scope[partial_dims] = "overall"
        reason[partial_dims] = "no answered item in a dimension"
        weighted_only = ~drop & ~partial_dims & imp_missing
        scope[weighted_only] = "weighted"
        reason[weighted_only] = "importance points missing"
        keep = ~drop
    flagged = scope != ""
    exclusions = pd.DataFrame(
        {
            "scope": pd.array(scope[flagged].astype(str), dtype="str"),
            "reason": pd.array(reason[flagged].astype(str), dtype="str"),
            "missing_items": missing_items[flagged].astype(np.int64),
            "missing_dimensions": missing_dims[flagged].astype(np.int64),
        },
        index=rows_all[flagged],
    )
    exclusions.index.name = "row"
    if partition and isinstance(data, pd.DataFrame) and POSITION in data.columns:
        # each flagged row's place in the whole frame (to restore row order)
        exclusions[POSITION] = data[POSITION].to_numpy()[flagged]
    counts = PrepareCounts(
        n_rows=n_all,
        n_kept=int(keep.sum()),
        n_zero_weight=int(zero_weight.sum()),
        n_unanswered=int(unit_missing.any(axis=1).sum()),
        n_rescaled=n_rescaled,
        rescaled_shown=rescaled_shown,
    )
    if not partition:
        survey_notes(
            notes,
            counts,
            exclusions,
            model=model,
            missing=missing,
            points_total=points_total,
        )
    report = MissingDataReport(
        strategy=missing,
        n_rows=n_all,
        n_rows_used=int(keep.sum()),
        n_rows_dropped=int(n_all - keep.sum()),
    )
    groups = frame[by].to_numpy()[keep] if isinstance(by, str) else None
    return Prepared(
        batteries={r: np.ascontiguousarray(x[keep]) for r, x in arrays.items()},
        importance=None if imp is None else imp[keep],
        weights=None if w_all is None else w_all[keep],
        rows=rows_all[keep],
        groups=groups,
        survey=survey,
        owner=owner,
        columns=columns,
        importance_columns=imp_cols,
        scale=(lo, hi),
        report=report,
        exclusions=exclusions,
        notes=notes,
        reversed_items=reversed_items,
        counts=counts,
    )


def survey_notes(
    notes: list[str],
    counts: PrepareCounts,
    exclusions: pd.DataFrame,
    *,
    model: str,
    missing: str,
    points_total: float,
) -> None:
    """The survey-wide checks and notes of :func:`prepare` (once per survey, also out of
    core where they come from the combined partitions): rescaled importance points, no
    respondent left, few respondents, the exclusions."""
    if counts.n_rescaled:
        shown = _rows_shown(list(counts.rescaled_shown), counts.n_rescaled)
        msg = (
            f"importance points of {counts.n_rescaled} respondent(s) did not sum to "
            f"{points_total:g} ({shown}) and were rescaled to {points_total:g} "
            "(normalize_points=True)"
        )
        warn_and_note(notes, msg, DataQualityWarning)
    if counts.n_kept == 0:
        raise DataValidationError(
            f"{model}: no respondent left after missing-data handling (missing={missing!r}); "
            f"{counts.n_zero_weight} have zero weight, {counts.n_unanswered} "
            "have unanswered items; use missing='pairwise' or check the data"
        )
    if counts.n_kept < MIN_RESPONDENTS:
        warn_and_note(
            notes,
            f"{model}: only {counts.n_kept} respondent(s) used; gap scores, their standard "
            f"errors and the reliability table are unstable below {MIN_RESPONDENTS} respondents",
            DataQualityWarning,
        )
    if len(exclusions):
        tally = exclusions.groupby(["scope", "reason"], sort=True).size()
        detail = "; ".join(
            f"{key[1]} ({key[0]}): {c}"
            for key, c in zip(tally.index.tolist(), tally.tolist(), strict=True)
        )
        notes.append(f"respondents excluded (scope: reason: count): {detail}")


def base_settings(
    model: str,
    instrument: Instrument,
    prep: Prepared,
    *,
    scale: tuple[float, float],
    level: float,
    missing: str,
    weight: str | None,
) -> dict[str, Any]:
    """The settings every SERVQUAL-family result records (instrument, columns, scale,
    level, missing-data strategy, weight column, respondents)."""
    return {
        "model": model,
        "instrument": instrument.name,
        "dimensions": {d: list(m) for d, m in instrument.dimensions.items()},
        "reverse_scored": list(instrument.reverse_scored),
        "columns": prep.columns,
        "scale": list(scale),
        "level": level,
        "missing": missing,
        "weight": weight,
        "n_respondents": prep.report.n_rows,
        "n_used": prep.report.n_rows_used,
    }
