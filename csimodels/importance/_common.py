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
    by: str | Sequence[str] | None,
    weight: str | None,
    extra: Sequence[str] = (),
    **options: Any,
) -> SurveyData:
    """The one data gate (:meth:`SurveyData.coerce`), after checking the named columns exist."""
    columns = [*attributes, *([overall] if overall is not None else []), *extra]
    segments = [] if by is None else ([by] if isinstance(by, str) else list(by))
    if isinstance(data, pd.DataFrame):
        _check_present(model, list(data.columns), attributes, overall, extra)
        return SurveyData.coerce(
            data, owner=model, items=columns, weight=weight, segments=segments, **options
        )
    if isinstance(data, SurveyData):
        _check_present(model, list(data.items), attributes, overall, extra)
    return SurveyData.coerce(data, owner=model, weight=weight, segments=segments, **options)


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
