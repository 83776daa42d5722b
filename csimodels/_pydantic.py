"""Keep pydantic's legacy (v1) API off the library's public objects.

pydantic v2 still exposes deprecated methods (``construct``, ``json``, ``dict``,
``copy``, ``parse_obj``...) on every model. On a csimodels object they are traps:
``data.construct(...)`` builds an empty, unvalidated SurveyData, and ``res.json()``
returns a different JSON from ``res.to_json()``. :class:`NoLegacyAPI` hides them:
accessing one raises AttributeError naming the csimodels method to use.

Examples
--------
>>> import csimodels as csi
>>> hasattr(csi.Bootstrap(), "json")
False
"""

from __future__ import annotations

from typing import Any, Self

__all__ = ["LEGACY_METHODS", "NoLegacyAPI", "Replaceable"]

#: pydantic v1 method -> what to use on a csimodels object instead.
LEGACY_METHODS: dict[str, str] = {
    "construct": "the class's own constructor",
    "copy": "replace(...) (validated) or model_copy(update=...)",
    "dict": "to_dict() (results) or to_config() (models)",
    "json": "to_json()",
    "parse_obj": "from_dict() / from_config()",
    "parse_raw": "from_json()",
    "parse_file": "from_json(open(path).read())",
    "from_orm": "the class's own constructor",
    "schema": "json_schema()",
    "schema_json": "json_schema()",
    "validate": "the class's own constructor",
    "update_forward_refs": "nothing (not needed)",
}


class _Hidden:
    """A class attribute that does not exist, with a hint to the right method."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        cls = owner.__name__ if owner is not None else type(obj).__name__
        raise AttributeError(
            f"{cls} has no attribute {self.name!r} (pydantic's deprecated API is not part "
            f"of csimodels); use {LEGACY_METHODS[self.name]}"
        )


class NoLegacyAPI:
    """Mixin (before ``BaseModel``) that hides pydantic's deprecated methods."""

    construct = _Hidden()
    copy = _Hidden()
    dict = _Hidden()
    json = _Hidden()
    parse_obj = _Hidden()
    parse_raw = _Hidden()
    parse_file = _Hidden()
    from_orm = _Hidden()
    schema = _Hidden()
    schema_json = _Hidden()
    validate = _Hidden()
    update_forward_refs = _Hidden()


class Replaceable:
    """Mixin (before ``BaseModel``) giving a validated ``replace(**changes)``.

    pydantic's ``model_copy(update=...)`` copies without validating anything, so
    ``model.model_copy(update={"tol": -1})`` would make a model the constructor
    refuses; ``replace`` goes through the constructor and its csimodels errors.

    Examples
    --------
    >>> import csimodels as csi
    >>> csi.Bootstrap(n=200).replace(level=0.9).level
    0.9
    >>> csi.Bootstrap(n=200).replace(level="high")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    csimodels.errors.InvalidParameterError: parameter 'level' of Bootstrap must be ...
    """

    def replace(self, **changes: Any) -> Self:
        """A copy with some settings changed, validated like the constructor."""
        # the settings given when it was built, so that defaults stay defaults (and a
        # deprecated argument left out is not passed again); no class annotation for
        # it here, or pydantic would take it for a field of every model
        fields_set: set[str] = getattr(self, "model_fields_set")  # noqa: B009
        given = {name: getattr(self, name) for name in fields_set}
        return type(self)(**{**given, **changes})
