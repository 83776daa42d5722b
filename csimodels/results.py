"""The result family shared by every csimodels model.

A result is a frozen pydantic object. Its tables are labelled pandas objects kept at
full precision; ``summary()`` renders them (rounded for display only) as text or HTML;
``to_json()``/``from_json()`` round-trip exactly, tables included. Every result carries
the settings that produced it and the library version, so a published number can be
traced back to how it was computed.

Examples
--------
>>> import csimodels as csi
>>> data = csi.datasets.load_example("acsi_demo")
>>> desc = data.describe()
>>> again = csi.results.result_from_json(desc.to_json())
>>> again == desc
True
"""

from __future__ import annotations

import functools
import html
import json
import math
import sys
import typing
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Annotated, Any, ClassVar, Self

import numpy as np
import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticUndefined

from csimodels._pydantic import NoLegacyAPI
from csimodels._tables import table_from_payload, table_to_payload
from csimodels._version import __version__
from csimodels.errors import CSIModelsError, ResultFormatError

__all__ = [
    "POOLED",
    "SEGMENT_PLOTS",
    "AnyResult",
    "Frame",
    "MissingDataReport",
    "Result",
    "SegmentedResult",
    "SeriesTable",
    "Summary",
    "result_from_json",
    "warn_and_note",
]


def _validate_frame(value: Any) -> pd.DataFrame:
    if isinstance(value, pd.DataFrame):
        return value
    if isinstance(value, dict) and value.get("kind") == "frame":
        frame = table_from_payload(value)
        if isinstance(frame, pd.DataFrame):
            return frame
    raise ResultFormatError(f"expected a table (kind 'frame'), got {_kind_of(value)}")


def _validate_series(value: Any) -> pd.Series:
    if isinstance(value, pd.Series):
        return value
    if isinstance(value, dict) and value.get("kind") == "series":
        series = table_from_payload(value)
        if isinstance(series, pd.Series):
            return series
    raise ResultFormatError(f"expected a table (kind 'series'), got {_kind_of(value)}")


def _kind_of(value: Any) -> str:
    if isinstance(value, dict):
        return f"an object of kind {value['kind']!r}" if "kind" in value else "an object"
    return "null" if value is None else type(value).__name__


Frame = Annotated[
    pd.DataFrame,
    PlainValidator(_validate_frame),
    PlainSerializer(table_to_payload, when_used="json"),
]
"""A pandas DataFrame field of a result, serialised exactly to JSON."""

SeriesTable = Annotated[
    pd.Series,
    PlainValidator(_validate_series),
    PlainSerializer(table_to_payload, when_used="json"),
]
"""A pandas Series field of a result, serialised exactly to JSON."""


def _json_safe(value: Any) -> Any:
    """Settings may hold NaN or tuples; make them strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


class MissingDataReport(BaseModel):
    """How missing answers were handled before a model saw the data.

    Attributes
    ----------
    strategy : {"listwise", "mean", "pairwise", "fiml", "none"}
        The strategy applied (``"fiml"``: full-information maximum likelihood, every
        observed answer used).
    n_rows : int
        Respondents before handling.
    n_rows_used : int
        Respondents the model used.
    n_rows_dropped : int
        Respondents removed (listwise deletion).
    n_values_imputed : int
        Cells replaced (mean replacement).

    Examples
    --------
    >>> MissingDataReport(strategy="listwise", n_rows=10, n_rows_used=8,
    ...                   n_rows_dropped=2, n_values_imputed=0).describe()
    'listwise deletion: 8 of 10 respondents used (2 dropped)'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    strategy: str
    n_rows: int
    n_rows_used: int
    n_rows_dropped: int = 0
    n_values_imputed: int = 0

    def describe(self) -> str:
        """One sentence describing what was done."""
        if self.strategy == "listwise":
            return (
                f"listwise deletion: {self.n_rows_used} of {self.n_rows} respondents used "
                f"({self.n_rows_dropped} dropped)"
            )
        if self.strategy == "mean":
            return (
                f"mean replacement: {self.n_values_imputed} missing answers replaced by the "
                f"item mean; {self.n_rows_used} respondents used"
            )
        if self.strategy == "pairwise":
            return f"pairwise deletion over {self.n_rows} respondents"
        if self.strategy == "fiml":
            dropped = (
                f" ({self.n_rows_dropped} without any answer dropped)"
                if self.n_rows_dropped
                else ""
            )
            return (
                f"full-information maximum likelihood: every observed answer of "
                f"{self.n_rows_used} of {self.n_rows} respondents used{dropped}"
            )
        return f"no missing answers; {self.n_rows_used} respondents used"


def _is_count_name(column: object) -> bool:
    """Columns that hold counts, ranks or degrees of freedom, by the library's names."""
    name = str(column[-1] if isinstance(column, tuple) else column).lower()
    return (
        name in {"n", "df", "rank", "count", "priority", "n_items", "n_used"}
        or name.startswith(("n_", "rank_", "count_"))
        or name.endswith(("_n", "_count", "_rank"))
    )


class Summary:
    """A rendered report: header pairs, named tables and numbered notes.

    ``str(summary)`` is the plain-text report; in a notebook it displays as HTML.
    Tables are kept at full precision in :attr:`tables`; only the rendering rounds.

    Examples
    --------
    >>> import pandas as pd
    >>> s = Summary("Demo", [("Method", "test")], {"Table": pd.DataFrame({"x": [1.23456]})})
    >>> "1.2346" in str(s)
    True
    """

    def __init__(
        self,
        title: str,
        header: Sequence[tuple[str, object]],
        tables: Mapping[str, pd.DataFrame | pd.Series],
        notes: Iterable[str] = (),
        *,
        precision: int = 4,
    ) -> None:
        self.title = title
        self.header = list(header)
        self.tables = dict(tables)
        self.notes = list(notes)
        self.precision = precision

    def _format_float(self, x: float) -> str:
        text = f"{x:.{self.precision}f}"
        # rounding a tiny negative number must not print a signed zero
        return text[1:] if text.startswith("-") and not text.strip("-0.") else text

    @staticmethod
    def _display(table: pd.DataFrame | pd.Series) -> pd.DataFrame:
        """The table as shown: counts, ranks and degrees of freedom print as integers."""
        frame = table.to_frame() if isinstance(table, pd.Series) else table
        integer_like = [
            c
            for c in frame.columns
            if _is_count_name(c)
            and pd.api.types.is_float_dtype(frame[c].dtype)
            and bool(np.all(np.isnan(v := frame[c].to_numpy()) | (v == np.round(v))))
            and bool(np.nanmax(np.abs(frame[c].to_numpy()), initial=0.0) < 2**53)
        ]
        if not integer_like:
            return frame
        shown = frame.copy()
        for c in integer_like:
            shown[c] = [("n/a" if np.isnan(v) else str(int(v))) for v in frame[c].to_numpy()]
        return shown

    def as_text(self) -> str:
        """The report as plain text."""
        blocks: list[str] = []
        body: list[str] = []
        for name, table in self.tables.items():
            frame = self._display(table)
            rendered = frame.to_string(float_format=self._format_float, na_rep="n/a")
            body.append(f"{name}\n{'-' * len(name)}\n{rendered}")
        width = max([len(self.title), 60, *(len(line) for b in body for line in b.split("\n"))])
        width = min(width, 120)
        blocks.append(self.title.center(width))
        blocks.append("=" * width)
        if self.header:
            key_width = max(len(k) for k, _ in self.header)
            blocks.extend(f"{k + ':':<{key_width + 1}} {v}" for k, v in self.header)
            blocks.append("=" * width)
        for b in body:
            blocks.append(b)
            blocks.append("")
        if self.notes:
            blocks.append("Notes:")
            blocks.extend(f"[{i}] {note}" for i, note in enumerate(self.notes, start=1))
        return "\n".join(blocks).rstrip() + "\n"

    def as_html(self) -> str:
        """The report as an HTML fragment (what notebooks display)."""
        parts = [f"<h4>{html.escape(self.title)}</h4>"]
        if self.header:
            rows = "".join(
                f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
                f"<td style='text-align:left'>{html.escape(str(v))}</td></tr>"
                for k, v in self.header
            )
            parts.append(f"<table>{rows}</table>")
        for name, table in self.tables.items():
            frame = self._display(table)
            parts.append(f"<h5>{html.escape(name)}</h5>")
            parts.append(frame.to_html(float_format=self._format_float, na_rep="n/a"))
        if self.notes:
            items = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
            parts.append(f"<p>Notes:</p><ol>{items}</ol>")
        return "\n".join(parts)

    def __str__(self) -> str:
        return self.as_text()

    def __repr__(self) -> str:
        return self.as_text()

    def _repr_html_(self) -> str:
        return self.as_html()


#: Result classes by module-qualified name (``"csimodels.ahp._model.AHPResult"``).
_RESULT_TYPES: dict[str, type[Result]] = {}
#: The library's own result classes by bare class name (payloads of older versions).
_LIBRARY_TYPES: dict[str, type[Result]] = {}
_PACKAGE_DIR = __file__.rsplit("/", 1)[0].rsplit("\\", 1)[0]

#: Limits of what :func:`result_from_json` reads (a payload beyond them is refused).
MAX_JSON_CHARS = 200_000_000
MAX_JSON_DEPTH = 64


def _qualified_name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _is_library_class(cls: type) -> bool:
    """Defined in a module of this package (by its file, not by a name it claims)."""
    module = sys.modules.get(cls.__module__)
    path = str(getattr(module, "__file__", "") or "")
    return cls.__module__.split(".")[0] == "csimodels" and path.startswith(_PACKAGE_DIR)


def _register(cls: type[Result]) -> None:
    name = _qualified_name(cls)
    known = _RESULT_TYPES.get(name)
    if known is not None and known is not cls and _is_library_class(known):
        return  # a library class is never replaced by another class claiming its name
    _RESULT_TYPES[name] = cls
    if _is_library_class(cls):
        _LIBRARY_TYPES.setdefault(cls.__name__, cls)


def _load_library_type(kind: str) -> type[Result] | None:
    """A library result class whose module is not imported yet (the API loads lazily).

    Only the library's own public modules (the fixed table of the lazy API) are ever
    imported; a name from the payload is never imported as such (``csimodels.__main__``
    would run the command line). A qualified name imports the public modules that
    contain it; a bare class name (payloads of older versions) loads every family.
    """
    import importlib

    import csimodels

    if "." in kind:
        module = kind.rsplit(".", 1)[0]
        allowed = {*csimodels._PUBLIC.values(), *(f"csimodels.{m}" for m in csimodels._SUBMODULES)}
        for candidate in sorted(allowed):
            if module == candidate or module.startswith(candidate + "."):
                importlib.import_module(candidate)
        if kind in _RESULT_TYPES:
            return _RESULT_TYPES[kind]
        if module.split(".")[0] != "csimodels":
            return None
    csimodels.load_all()
    return _RESULT_TYPES.get(kind) if "." in kind else _LIBRARY_TYPES.get(kind)


def _resolve_type(kind: Any) -> type[Result]:
    if not isinstance(kind, str):
        raise ResultFormatError(
            f"result JSON: field 'result_type' must be a string, got {_kind_of(kind)}"
        )
    target = _RESULT_TYPES.get(kind) if "." in kind else _LIBRARY_TYPES.get(kind)
    if target is None:
        target = _load_library_type(kind)
    if target is None:
        raise ResultFormatError(
            f"result JSON: field 'result_type' names {kind[:200]!r}, which is not a "
            "registered csimodels result type"
        )
    return target


def _depth_ok(value: Any, limit: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return False
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return True


def _format_loc(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _validation_message(err: ValidationError, cls: type) -> str:
    first = err.errors(include_url=False)[0]
    loc = _format_loc([p for p in first["loc"] if p not in ("function-plain",)])
    msg = str(first["msg"]).removeprefix("Value error, ")
    problem = {
        "missing": "missing field",
        "extra_forbidden": "unexpected field",
    }.get(first["type"])
    more = err.error_count() - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more > 0 else ""
    if problem:
        return f"{cls.__name__} payload: {problem} {loc!r}{tail}"
    if not first["loc"]:
        return f"{cls.__name__} payload: {msg}{tail}"
    return f"{cls.__name__} payload: field {loc!r}: {msg}{tail}"


class Result(NoLegacyAPI, BaseModel):
    """Base class of every csimodels result.

    Subclasses declare their tables as :data:`Frame` / :data:`SeriesTable` fields
    and implement :meth:`_summary_parts`. Everything else (text, HTML, JSON, equality)
    is defined here once.

    Attributes
    ----------
    settings : dict
        Every setting that produced the result (method, options, seed...).
    notes : tuple of str
        Conditions detected while fitting (each warning raised is also a note).
    csimodels_version : str
        The library version that computed the result.

    Examples
    --------
    >>> import csimodels as csi
    >>> res = csi.datasets.load_example("acsi_demo").describe()
    >>> res.summary().title
    'Survey description'
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True, extra="forbid")

    settings: dict[str, Any] = Field(default_factory=dict)
    notes: tuple[str, ...] = ()
    csimodels_version: str = __version__

    _title: ClassVar[str] = "Result"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _register(cls)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        _protect_tables(cls)

    @model_validator(mode="after")
    def _run_invariants(self) -> Self:
        for name in _table_fields(type(self)):
            table = self.__dict__.get(name)
            if isinstance(table, (pd.DataFrame, pd.Series)):
                _check_table_vocabulary(name, table)
        self._check_invariants()
        return self

    def _check_invariants(self) -> None:
        """Raise ``ValueError`` when the fields contradict each other (subclasses extend).

        Runs whenever a result is built, so also on every JSON load: a payload edited
        into an impossible result (an infinite CR, empty weights) is refused.
        """

    # -- display -------------------------------------------------------------------
    def _summary_parts(
        self,
    ) -> tuple[list[tuple[str, object]], dict[str, pd.DataFrame | pd.Series]]:
        """Header pairs and tables for :meth:`summary`; subclasses override."""
        return [], {}

    def summary(self, *, precision: int = 4) -> Summary:
        """A readable report of the result (header, tables, numbered notes).

        Parameters
        ----------
        precision : int
            Decimals shown for floats; the result itself is never rounded.
        """
        header, tables = self._summary_parts()
        header = [*header, ("csimodels version", self.csimodels_version)]
        return Summary(self._title, header, tables, self.notes, precision=precision)

    def __str__(self) -> str:
        return self.summary().as_text()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} at {hex(id(self))}>\n{self.summary().as_text()}"

    def _repr_html_(self) -> str:
        return self.summary().as_html()

    # -- export --------------------------------------------------------------------
    def to_excel(
        self,
        path_or_writer: Any,
        *,
        language: str = "en",
        segments: str = "column",
        raw: bool = False,
        labels: Mapping[str, str] | None = None,
    ) -> Any:
        """Write every table to an Excel workbook (one sheet per table, full precision).

        See :func:`csimodels.reports.excel.write_excel` for the layout and options
        (``language="en" | "zh"``, ``segments="column" | "sheet"``, ``raw``, ``labels``).
        Returns the path written, or None when given a writer or workbook.

        Examples
        --------
        >>> import tempfile, pathlib, openpyxl
        >>> import csimodels as csi
        >>> res = csi.datasets.load_example("acsi_demo").describe()
        >>> path = res.to_excel(pathlib.Path(tempfile.mkdtemp()) / "describe.xlsx")
        >>> openpyxl.load_workbook(path)["Items"]["A1"].value
        'Items'
        """
        from csimodels.reports.excel import write_excel

        return write_excel(
            self,
            path_or_writer,
            language=language,  # type: ignore[arg-type]
            segments=segments,  # type: ignore[arg-type]
            raw=raw,
            labels=labels,
        )

    # -- serialisation -------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: ``{"result_type": <module-qualified class name>, **fields}``.

        Tables use the format documented in ``docs/results.md``.
        """
        payload = self.model_dump(mode="json")
        payload["settings"] = _json_safe(payload.get("settings", {}))
        return {"result_type": _qualified_name(type(self)), **payload}

    def to_json(self, *, indent: int | None = None) -> str:
        """Strict JSON text; :meth:`from_json` gives back an equal result."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent, allow_nan=False)

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> Self:
        """Rebuild a result written by :meth:`to_dict`.

        The class is looked up by its module-qualified name among registered result
        classes (a bare name only among the library's own), never imported by name;
        fields, tables and the result's invariants are validated.

        Raises
        ------
        ResultFormatError
            For anything malformed, naming the field.
        """
        if not isinstance(payload, Mapping):
            raise ResultFormatError(
                "result JSON: the top level must be an object with a 'result_type' field, "
                f"got {_kind_of(payload)}"
            )
        data = dict(payload)
        if "result_type" not in data:
            raise ResultFormatError("result JSON: missing field 'result_type'")
        kind = data.pop("result_type")
        target = _resolve_type(kind)
        if not issubclass(target, cls):
            raise ResultFormatError(
                f"cannot read a {target.__name__!r} payload as {cls.__name__}; "
                "use csimodels.results.result_from_json for any result type"
            )
        if not _depth_ok(data, MAX_JSON_DEPTH):
            raise ResultFormatError(f"result JSON: nested deeper than {MAX_JSON_DEPTH} levels")
        try:
            return target.model_validate(data)
        except ValidationError as err:
            raise ResultFormatError(_validation_message(err, target)) from None
        except ResultFormatError:
            raise
        except (TypeError, ValueError, KeyError, IndexError, OverflowError) as err:
            raise ResultFormatError(f"{target.__name__} payload: {err}") from None

    @classmethod
    def from_json(cls, text: str | bytes) -> Self:
        """Rebuild a result written by :meth:`to_json` (see :meth:`from_dict`)."""
        return cls.from_dict(_load_json(text))

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Result)
        return self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(self.to_json())


def result_from_json(text: str) -> Result:
    """Rebuild any csimodels result from its JSON text.

    Examples
    --------
    >>> import csimodels as csi
    >>> res = csi.datasets.load_example("acsi_demo").describe()
    >>> type(csi.results.result_from_json(res.to_json())).__name__
    'DescriptionResult'
    """
    return Result.from_json(text)


def _load_json(text: Any) -> Any:
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as err:
            raise ResultFormatError(f"result JSON: not UTF-8 text ({err})") from None
    if not isinstance(text, str):
        raise ResultFormatError(f"result JSON: expected text, got {type(text).__name__}")
    if len(text) > MAX_JSON_CHARS:
        raise ResultFormatError(
            f"result JSON: {len(text)} characters exceed the limit of {MAX_JSON_CHARS}"
        )
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ResultFormatError(
            f"result JSON: invalid JSON at line {err.lineno}, column {err.colno}: {err.msg}"
        ) from None
    except RecursionError:
        raise ResultFormatError(
            f"result JSON: nested deeper than {MAX_JSON_DEPTH} levels"
        ) from None


def _float_column(table: pd.DataFrame, column: str) -> Any:
    col = table[column]
    if isinstance(col, pd.DataFrame) or not pd.api.types.is_numeric_dtype(col.dtype):
        return None
    return col.to_numpy(dtype="float64", na_value=math.nan)


def _check_table_vocabulary(name: str, table: pd.DataFrame | pd.Series) -> None:
    """Invariants of the shared table vocabulary, whatever the result.

    ``p_value``-like columns lie in [0, 1], ``std_error`` is not negative, and
    ``ci_lower <= ci_upper`` wherever both are numbers (NaN is always allowed).
    """
    if isinstance(table, pd.Series) or table.columns.has_duplicates:
        return
    tol = 1e-9
    for column in table.columns:
        if not isinstance(column, str):
            continue
        if column.startswith("p_") or column == "p_value":
            values = _float_column(table, column)
            if values is not None:
                finite = values[~np.isnan(values)]
                if ((finite < -tol) | (finite > 1 + tol)).any():
                    raise ValueError(f"table {name!r}: column {column!r} must lie in [0, 1]")
        if column == "std_error":
            values = _float_column(table, column)
            if values is not None and (values[~np.isnan(values)] < -tol).any():
                raise ValueError(f"table {name!r}: column 'std_error' must not be negative")
    if "ci_lower" in table.columns and "ci_upper" in table.columns:
        lo, hi = _float_column(table, "ci_lower"), _float_column(table, "ci_upper")
        if lo is not None and hi is not None:
            both = ~np.isnan(lo) & ~np.isnan(hi)
            if (lo[both] > hi[both] + tol * np.maximum(1.0, np.abs(hi[both]))).any():
                raise ValueError(f"table {name!r}: ci_lower must not exceed ci_upper")


def _is_table_validator(meta: Any) -> bool:
    return isinstance(meta, PlainValidator) and meta.func in (_validate_frame, _validate_series)


def _mentions_table(annotation: Any) -> bool:
    if any(_is_table_validator(m) for m in getattr(annotation, "__metadata__", ())):
        return True
    return any(_mentions_table(a) for a in typing.get_args(annotation))


@functools.cache
def _table_fields(cls: type[BaseModel]) -> list[str]:
    return [
        name
        for name, info in cls.model_fields.items()
        if any(_is_table_validator(m) for m in info.metadata) or _mentions_table(info.annotation)
    ]


class _TableCopy:
    """Data descriptor: each access to a table field returns a copy-on-write copy.

    Results are frozen; so are their tables: editing what ``result.table`` returned
    never changes the result (pandas copy-on-write makes the copy cost nothing until
    it is written to).
    """

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            # pydantic reads class attributes as field defaults: this one is not
            return PydanticUndefined
        value = obj.__dict__[self.name]
        if isinstance(value, (pd.DataFrame, pd.Series)):
            return value.copy(deep=False)
        return value

    def __set__(self, obj: Any, value: Any) -> None:
        raise AttributeError(f"result field {self.name!r} is read-only (results are frozen)")


def _protect_tables(cls: type[BaseModel]) -> None:
    for name in _table_fields(cls):
        if not isinstance(cls.__dict__.get(name), _TableCopy):
            setattr(cls, name, _TableCopy(name))


def warn_and_note(notes: list[str], message: str, category: type[Warning]) -> None:
    """Issue ``message`` as a warning of ``category`` and record it as a result note.

    Models call this instead of ``warnings.warn`` so that the condition is both seen
    at fit time and kept in the result (``summary()`` prints it as a numbered note),
    without touching global warning filters (thread safe).

    Examples
    --------
    >>> import warnings
    >>> from csimodels.errors import DataQualityWarning
    >>> notes: list[str] = []
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     warn_and_note(notes, "item 'Q1' is constant", DataQualityWarning)
    >>> notes
    ["item 'Q1' is constant"]
    """
    warnings.warn(message, category, stacklevel=3)
    notes.append(message)


# -- the one segmented result --------------------------------------------------------


def _validate_result(value: Any) -> Result:
    if isinstance(value, Result):
        return value
    if isinstance(value, Mapping):
        return Result.from_dict(value)
    raise TypeError(f"expected a csimodels result, got {type(value).__name__}")


AnyResult = Annotated[
    Result,
    PlainValidator(_validate_result),
    PlainSerializer(lambda r: r.to_dict(), when_used="json"),
]
"""A nested result of any csimodels type, serialised with its ``result_type``."""

#: Label of the pooled result in combined tables.
POOLED = "(pooled)"

#: Charts comparing segments, by the class name of the segment results: each takes
#: ``(segmented_result, kind, ax, language, labels)`` and returns the Axes/Figure.
#: Families register theirs (e.g. the FCE stacked bars of b̄ by segment).
SEGMENT_PLOTS: dict[str, Callable[..., Any]] = {}


class SegmentedResult(Result):
    """One result per segment (and the pooled one), from any model's ``fit(data, by=...)``.

    Attributes
    ----------
    by : tuple of str
        The segment columns (several for a cross-classification).
    pooled : Result or None
        The fit on all respondents, when it was asked for.
    segments : dict of str to Result
        The fitted segments, by label (for several columns, the values joined by
        ``" × "``).
    status : DataFrame, index segment
        One row per segment: the value of each ``by`` column, ``n`` respondents,
        ``status`` (``"fitted"``, ``"too_small"`` or ``"failed"``) and ``reason``.
    overview : dict of str to DataFrame
        Wide tables comparing the segments (for a PLS model: ``indices`` with a row
        per segment, ``paths`` and ``r2`` with a column per segment); also reachable
        as attributes (``result.indices``). Any other attribute is the pooled
        result's (``result.dimensions`` of a SERVQUAL fit is the pooled table).
    headline : tuple of str
        Names of the tables that :meth:`summary` shows combined across segments.

    Examples
    --------
    >>> import csimodels as csi
    >>> from csimodels.segments import fit_by
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> by_region = fit_by(data, "region", lambda part: part.describe(), owner="describe")
    >>> by_region.labels
    ['East', 'North', 'South', 'West']
    >>> by_region.table("table").index.names[0]
    'segment'
    """

    by: tuple[str, ...]
    pooled: AnyResult | None = None
    segments: dict[str, AnyResult]
    status: Frame
    overview: dict[str, Frame] = Field(default_factory=dict)
    headline: tuple[str, ...] = ()

    _title: ClassVar[str] = "Results by segment"

    def __getattr__(self, name: str) -> Any:
        # an overview table first (``res.indices``), then the pooled result's own
        # attribute (``res.dimensions`` is the pooled dimension table)
        if not name.startswith("_"):
            overview = self.__dict__.get("overview") or {}
            if name in overview:
                return overview[name]
            pooled = self.__dict__.get("pooled")
            if pooled is not None and hasattr(pooled, name):
                return getattr(pooled, name)
        return super().__getattr__(name)  # type: ignore[misc]

    @property
    def labels(self) -> list[str]:
        """Labels of the fitted segments, in segment order."""
        return list(self.segments)

    def __getitem__(self, label: str) -> Result:
        """The result of one segment (``POOLED`` for the pooled one)."""
        if label == POOLED and self.pooled is not None:
            return self.pooled
        if label not in self.segments:
            known = list(self.segments)
            raise KeyError(
                f"no fitted segment {label!r}; fitted: {', '.join(map(repr, known[:5]))}"
                + (f" and {len(known) - 5} more" if len(known) > 5 else "")
            )
        return self.segments[label]

    def table(self, name: str, *, pooled: bool = True) -> pd.DataFrame:
        """One table of every fitted segment, stacked with a leading ``segment`` level.

        Parameters
        ----------
        name : str
            A table attribute of the segment results (``"paths"``, ``"indices"``...).
        pooled : bool
            Put the pooled result's table first, labelled ``"(pooled)"``.
        """
        parts: dict[str, pd.DataFrame] = {}
        sources = [(POOLED, self.pooled)] if pooled and self.pooled is not None else []
        sources += list(self.segments.items())
        for label, res in sources:
            assert res is not None
            value = getattr(res, name, None)
            if callable(value) and not isinstance(value, (pd.DataFrame, pd.Series)):
                value = value()
            if isinstance(value, pd.Series):
                value = value.to_frame()
            if not isinstance(value, pd.DataFrame):
                raise CSIModelsError(
                    f"{type(res).__name__} has no table {name!r}; tables are fields holding "
                    "a DataFrame or Series"
                )
            parts[label] = value
        if not parts:
            raise CSIModelsError("no segment was fitted, so there is no table to combine")
        first = next(iter(parts.values()))
        return pd.concat(parts, names=["segment", *[n for n in first.index.names]])

    def plot(
        self,
        kind: str | None = None,
        *,
        ax: Any = None,
        language: str = "en",
        labels: str = "code",
    ) -> Any:
        """A chart comparing the segments when the family has one, else the pooled chart.

        One segment's chart is ``result.segments[label].plot()``.

        Raises
        ------
        CSIModelsError
            Neither a segment chart nor a pooled result with a chart.
        """
        first = self.pooled if self.pooled is not None else next(iter(self.segments.values()), None)
        plotter = SEGMENT_PLOTS.get(type(first).__name__)
        if plotter is not None:
            return plotter(self, kind, ax, language, labels)
        if self.pooled is None or not hasattr(self.pooled, "plot"):
            raise CSIModelsError(
                f"no chart compares segments of {type(first).__name__}; plot one of them: "
                "result.segments[label].plot()"
            )
        options: dict[str, Any] = {"ax": ax, **({} if kind is None else {"kind": kind})}
        if language != "en" or labels != "code":  # families without these keep working
            options.update(language=language, labels=labels)
        return self.pooled.plot(**options)

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        fitted = int((self.status["status"] == "fitted").sum())
        header: list[tuple[str, object]] = [
            *([("Model", self.settings["model"])] if self.settings.get("model") else []),
            ("Segments by", " × ".join(self.by)),
            ("Segments fitted", f"{fitted} of {len(self.status)}"),
        ]
        tables: dict[str, Any] = {"Segments": self.status, **self.overview}
        for name in self.headline:
            if self.segments and name not in self.overview:
                tables[name] = self.table(name)
        return header, tables
