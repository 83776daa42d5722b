"""Answer scales and per-item metadata."""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from csimodels.errors import CSIModelsError, DataValidationError

__all__ = ["ItemInfo", "Scale"]


class _Validated(BaseModel):
    """Direct construction raises :class:`DataValidationError`, not pydantic's error."""

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as err:
            from csimodels._settings import _describe_error

            for error in err.errors():
                original = (error.get("ctx") or {}).get("error")
                if isinstance(original, CSIModelsError):
                    raise original from None
            name = type(self).__name__
            messages = [_describe_error(e, name) for e in err.errors(include_url=False)]
            raise DataValidationError("; ".join(messages)) from None
        except TypeError as err:  # e.g. a nested dict with non-string keys
            raise DataValidationError(f"{type(self).__name__}: {err}") from None


class Scale(_Validated):
    """The declared answer scale of an item, e.g. a 1–10 rating.

    Attributes
    ----------
    min, max : float
        The lowest and highest possible answers (the 0–100 index is anchored on them).
    value_labels : dict, optional
        Labels of answer codes, e.g. ``{1: "very dissatisfied", 10: "very satisfied"}``.

    Examples
    --------
    >>> Scale(min=1, max=10).reverse(3)
    8.0
    >>> Scale.coerce((1, 5)).points()
    [1.0, 2.0, 3.0, 4.0, 5.0]
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    min: float
    max: float
    value_labels: dict[float, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_bounds(self) -> Scale:
        if not (math.isfinite(self.min) and math.isfinite(self.max)) or self.min >= self.max:
            raise ValueError(
                f"a scale needs finite bounds with min < max, got [{self.min}, {self.max}]"
            )
        return self

    @classmethod
    def coerce(cls, value: Any) -> Scale:
        """Accept a Scale, a ``(min, max)`` pair or a ``{"min":..,"max":..}`` dict."""
        if isinstance(value, Scale):
            return value
        if isinstance(value, dict):
            return cls.model_validate(value)
        lo, hi = value
        return cls(min=float(lo), max=float(hi))

    def reverse(self, x: float) -> float:
        """Reverse-code one answer: ``min + max − x``."""
        return self.min + self.max - x

    def points(self) -> list[float]:
        """The integer answer points of the scale (empty if the bounds are not integers)."""
        if float(self.min).is_integer() and float(self.max).is_integer():
            return [float(v) for v in range(int(self.min), int(self.max) + 1)]
        return []

    def describe(self) -> str:
        """``[min, max]`` with integers shown without decimals."""

        def fmt(v: float) -> str:
            return str(int(v)) if float(v).is_integer() else str(v)

        return f"[{fmt(self.min)}, {fmt(self.max)}]"


class ItemInfo(_Validated):
    """What the library knows about one item (survey question) column.

    Examples
    --------
    >>> ItemInfo(name="SAT1", label="总体满意度", scale=Scale(min=1, max=10)).label
    '总体满意度'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    label: str
    scale: Scale | None = None
    reverse_coded: bool = False
