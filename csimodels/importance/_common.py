"""Helpers shared by the importance models: input gate, settings checks, randomness."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from csimodels.data.survey import SurveyData
from csimodels.errors import DataValidationError, SpecificationError, format_offenders

RandomState = int | np.random.Generator | None


def check_names(model: str, attributes: Sequence[str], overall: str | None) -> None:
    """Attributes non-empty, unique, strings, and distinct from the overall item."""
    if isinstance(attributes, str):
        raise SpecificationError(
            f"{model}: attributes must be a list of column names, not one string "
            f"({attributes!r}); write attributes=[{attributes!r}]"
        )
    if len(attributes) == 0:
        raise SpecificationError(f"{model}: attributes is empty; name at least one column")
    seen: set[str] = set()
    dupes = sorted({a for a in attributes if a in seen or seen.add(a)})  # type: ignore[func-returns-value]
    if dupes:
        raise SpecificationError(
            f"{model}: attributes lists {format_offenders(dupes)} more than once; "
            "each attribute must appear once"
        )
    if overall is not None and overall in attributes:
        raise SpecificationError(
            f"{model}: the overall item {overall!r} is also listed among the attributes; "
            "an item cannot explain itself, remove it from attributes"
        )


def coerce_survey(
    model: str,
    data: SurveyData | pd.DataFrame,
    attributes: Sequence[str],
    overall: str | None,
    *,
    by: str | None,
    weight: str | None,
    extra: Sequence[str] = (),
) -> SurveyData:
    """Wrap a DataFrame (explicit arguments only) and check every named column exists."""
    columns = [*attributes, *([overall] if overall is not None else []), *extra]
    for name, value in (("by", by), ("weight", weight)):
        if value is not None and not isinstance(value, str):
            raise DataValidationError(
                f"{model}: {name} must be one column name (a string), got {value!r}"
            )
    if isinstance(data, pd.DataFrame):
        _check_present(model, list(data.columns), attributes, overall, extra)
        if weight is not None and weight not in data.columns:
            raise DataValidationError(
                f"{model}: weight column {weight!r} not found in the data; available "
                f"columns: {format_offenders(sorted(map(str, data.columns)))}"
            )
        if by is not None and by not in data.columns:
            raise DataValidationError(
                f"{model}: by={by!r} is not a column of the data; available "
                f"columns: {format_offenders(sorted(map(str, data.columns)))}"
            )
        return SurveyData.coerce(
            data, items=columns, weight=weight, segments=[by] if by is not None else []
        )
    if not isinstance(data, SurveyData):
        raise DataValidationError(
            f"{model}: data must be a csimodels.SurveyData or a pandas DataFrame, "
            f"got {type(data).__name__}"
        )
    if weight is not None and weight != data.weight:
        raise DataValidationError(
            f"{model}: weight={weight!r} given but the SurveyData's weight column is "
            f"{data.weight!r}; declare the weight when building the SurveyData"
        )
    _check_present(model, list(data.items), attributes, overall, extra)
    return data


def _check_present(
    model: str,
    available: Sequence[Any],
    attributes: Sequence[str],
    overall: str | None,
    extra: Sequence[str],
) -> None:
    if overall is not None and overall not in available:
        raise DataValidationError(
            f"{model}: the overall item {overall!r} is not in the data; available "
            f"items: {format_offenders(sorted(map(str, available)))}"
        )
    missing = sorted(a for a in [*attributes, *extra] if a not in available)
    if missing:
        raise DataValidationError(
            f"{model}: attribute {format_offenders(missing)} not in the data; available "
            f"items: {format_offenders(sorted(map(str, available)))}"
        )


def make_rng(random_state: RandomState) -> np.random.Generator:
    """A Generator from a seed, an existing Generator, or fresh entropy."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    return np.random.default_rng(random_state)


def describe_seed(random_state: RandomState) -> int | str | None:
    """What the result records as the seed."""
    if isinstance(random_state, np.random.Generator):
        return "numpy Generator"
    return random_state
