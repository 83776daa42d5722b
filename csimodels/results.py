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

import html
import json
import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any, ClassVar, Self

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, PlainValidator

from csimodels._pydantic import NoLegacyAPI
from csimodels._tables import table_from_payload, table_to_payload
from csimodels._version import __version__
from csimodels.errors import CSIModelsError

__all__ = [
    "POOLED",
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
        assert isinstance(frame, pd.DataFrame)
        return frame
    raise TypeError(f"expected a pandas DataFrame, got {type(value).__name__}")


def _validate_series(value: Any) -> pd.Series:
    if isinstance(value, pd.Series):
        return value
    if isinstance(value, dict) and value.get("kind") == "series":
        series = table_from_payload(value)
        assert isinstance(series, pd.Series)
        return series
    raise TypeError(f"expected a pandas Series, got {type(value).__name__}")


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
    strategy : {"listwise", "mean", "pairwise", "none"}
        The strategy applied.
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
        return f"no missing answers; {self.n_rows_used} respondents used"


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
        return f"{x:.{self.precision}f}"

    def as_text(self) -> str:
        """The report as plain text."""
        blocks: list[str] = []
        body: list[str] = []
        for name, table in self.tables.items():
            frame = table.to_frame() if isinstance(table, pd.Series) else table
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
            frame = table.to_frame() if isinstance(table, pd.Series) else table
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


_RESULT_TYPES: dict[str, type[Result]] = {}


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
        _RESULT_TYPES[cls.__name__] = cls

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
        """A JSON-ready dict: ``{"result_type": <class name>, **fields}``.

        Tables use the format documented in ``docs/results.md``.
        """
        payload = self.model_dump(mode="json")
        payload["settings"] = _json_safe(payload.get("settings", {}))
        return {"result_type": type(self).__name__, **payload}

    def to_json(self, *, indent: int | None = None) -> str:
        """Strict JSON text; :meth:`from_json` gives back an equal result."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent, allow_nan=False)

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> Self:
        """Rebuild a result written by :meth:`to_dict`."""
        data = dict(payload)
        kind = data.pop("result_type", cls.__name__)
        target = _RESULT_TYPES.get(str(kind))
        if target is None or not issubclass(target, cls):
            raise CSIModelsError(
                f"cannot read a {kind!r} payload as {cls.__name__}; "
                "use csimodels.results.result_from_json for any result type"
            )
        return target.model_validate(data)

    @classmethod
    def from_json(cls, text: str) -> Self:
        """Rebuild a result written by :meth:`to_json`."""
        return cls.from_dict(json.loads(text))

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
    headline: tuple[str, ...] = ()

    _title: ClassVar[str] = "Results by segment"

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

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        fitted = int((self.status["status"] == "fitted").sum())
        header: list[tuple[str, object]] = [
            *([("Model", self.settings["model"])] if self.settings.get("model") else []),
            ("Segments by", " × ".join(self.by)),
            ("Segments fitted", f"{fitted} of {len(self.status)}"),
        ]
        tables: dict[str, Any] = {"Segments": self.status}
        for name in self.headline:
            if self.segments:
                tables[name] = self.table(name)
        return header, tables
