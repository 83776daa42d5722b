"""Base class of every model's settings: frozen, typed, with csimodels error messages."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, ValidationError

from csimodels._pydantic import NoLegacyAPI, Replaceable
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


class Settings(NoLegacyAPI, Replaceable, BaseModel):
    """Frozen pydantic model whose validation errors are :class:`InvalidParameterError`.

    A csimodels error raised by a validator (e.g. a :class:`SpecificationError`) is
    re-raised as it is, instead of being wrapped by pydantic. A model is also plain
    configuration: :meth:`to_config` / :meth:`from_config` turn it into a JSON-ready
    dict and back, and :meth:`json_schema` describes that dict, so a service can
    receive its models as configuration.

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
        except TypeError as err:
            # a nested model given a dict whose keys are not strings ("keywords must be
            # strings"): pydantic passes the dict on as keyword arguments
            raise InvalidParameterError(
                f"{type(self).__name__}: a nested setting got an invalid value ({err})"
            ) from None

    def to_config(self) -> dict[str, Any]:
        """The settings as a JSON-ready dict; :meth:`from_config` rebuilds the model.

        Examples
        --------
        >>> from csimodels.inference import Bootstrap
        >>> Bootstrap(n=200).to_config()["n"]
        200
        """
        # "model_type" can never be a field name (pydantic reserves the model_ prefix)
        return {"model_type": type(self).__name__, **self.model_dump(mode="json")}

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | str) -> Self:
        """Build the model from a dict (or JSON text) written by :meth:`to_config`.

        Examples
        --------
        >>> from csimodels.inference import Bootstrap
        >>> Bootstrap.from_config('{"n": 300, "level": 0.9}').level
        0.9
        """
        if isinstance(config, str):
            try:
                config = json.loads(config)
            except json.JSONDecodeError as err:
                raise InvalidParameterError(
                    f"{cls.__name__}.from_config: not valid JSON ({err.msg} at line "
                    f"{err.lineno}, column {err.colno})"
                ) from None
        if not isinstance(config, Mapping):
            raise InvalidParameterError(
                f"{cls.__name__}.from_config takes a dict of settings, got {type(config).__name__}"
            )
        data = dict(config)
        name = data.pop("model_type", cls.__name__)
        if name != cls.__name__:
            raise InvalidParameterError(f"the configuration is for {name!r}, not {cls.__name__}")
        return cls(**data)

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The JSON schema of :meth:`to_config`'s dict.

        Examples
        --------
        >>> from csimodels.inference import Bootstrap
        >>> Bootstrap.json_schema()["properties"]["level"]["exclusiveMaximum"]
        1.0
        """
        return cls.model_json_schema(mode="validation")
