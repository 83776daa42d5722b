"""Base class of every model's settings: frozen, typed, with csimodels error messages."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from csimodels.errors import CSIModelsError, InvalidParameterError

__all__ = ["Settings"]


def _describe_error(error: Any, model: str) -> str:
    loc = ".".join(str(p) for p in error.get("loc", ())) or "(model)"
    given = error.get("input")
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "literal_error" and "expected" in ctx:
        expected = str(ctx["expected"])
    elif kind == "extra_forbidden":
        return f"{model} has no parameter {loc!r}"
    elif kind == "missing":
        return f"parameter {loc!r} of {model} is required"
    elif kind in ("value_error", "assertion_error"):
        message = str(error.get("msg", "")).replace("Value error, ", "")
        message = message.replace("Assertion failed, ", "")
        where = "" if loc == "(model)" else f" (parameter {loc!r})"
        return f"{model}{where}: {message}"
    else:
        expected = str(error.get("msg", "a valid value")).replace("Input should be ", "")
        expected = expected.replace("Value error, ", "")
    return f"parameter {loc!r} of {model} must be {expected}, got {given!r}"


class Settings(BaseModel):
    """Frozen pydantic model whose validation errors are :class:`InvalidParameterError`.

    A csimodels error raised by a validator (e.g. a :class:`SpecificationError`) is
    re-raised as it is, instead of being wrapped by pydantic.

    Examples
    --------
    >>> class Demo(Settings):
    ...     level: float = 0.95
    >>> Demo(level="high")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    csimodels.errors.InvalidParameterError: parameter 'level' of Demo must be a valid number...
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as err:
            for error in err.errors():
                original = (error.get("ctx") or {}).get("error")
                if isinstance(original, CSIModelsError):
                    raise original from None
            messages = [_describe_error(e, type(self).__name__) for e in err.errors()]
            raise InvalidParameterError("; ".join(messages)) from None
