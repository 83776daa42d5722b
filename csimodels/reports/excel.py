"""Every result to an Excel workbook: one sheet per table, at full precision.

One generic writer serves every result class (``Result.to_excel`` calls
:func:`write_excel`). It walks the result's fields:

- each table (``Frame`` / ``SeriesTable`` field) becomes a sheet whose first row is
  the table's title (the title ``summary()`` gives it when it shows it, otherwise the
  field's name), the header on row 3 (frozen, with the index columns), the values
  at full precision with the number format ``summary()`` uses (``0.0000``);
- item and construct labels are written next to the codes when the result (or the
  caller, ``labels=``) knows them;
- a nested result (a bootstrap, MICOM, a repaired matrix) contributes its tables
  with its title as a prefix;
- a dict of results (the segments of a segmented result, the nodes of an AHP
  hierarchy) is written one sheet per table with the segment as the first column
  (``segments="column"``) or one sheet per segment (``segments="sheet"``);
- the first sheet is the summary header; the last holds the notes and settings.

Respondent- and draw-level tables (construct scores, bootstrap draws) are left out
unless ``raw=True``; the notes sheet lists what was left out.

Examples
--------
>>> import tempfile, pathlib, openpyxl
>>> import csimodels as csi
>>> res = csi.datasets.load_example("acsi_demo").describe()
>>> path = pathlib.Path(tempfile.mkdtemp()) / "describe.xlsx"
>>> _ = res.to_excel(path)
>>> openpyxl.load_workbook(path).sheetnames[:2]
['Summary', 'Items']
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import re
import unicodedata
from collections.abc import Iterator, Mapping
from copy import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np
import pandas as pd

from csimodels.errors import InvalidParameterError
from csimodels.reports._i18n import Language, check_language, tr

if TYPE_CHECKING:
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.worksheet.worksheet import Worksheet  # type: ignore[import-untyped]

    from csimodels.results import Result

__all__ = [
    "HEADER_ROW",
    "RAW_TABLES",
    "ExcelTable",
    "excel_tables",
    "read_sheet_table",
    "result_labels",
    "write_excel",
]

HEADER_ROW = 3
"""Row (1-based) of the column headers on every table sheet; the title is row 1."""

RAW_TABLES = frozenset(
    {
        "scores",
        "respondent_indices",
        "draws",
        "permutation_draws",
        "bootstrap_draws",
        "respondent_categories",
        "jackknife",
    }
)
"""Respondent- or draw-level tables, written only with ``raw=True``."""

_GROUP_COLUMN = {"nodes": "node", "group_bootstrap": "group"}
_CODE_FIELDS = ("construct_labels", "labels", "item_labels", "dimension_labels")
_FLOAT_FORMAT = "0.0000"
_INVALID_SHEET = re.compile(r"[\[\]\:\*\?\/\\]")


@dataclass
class ExcelTable:
    """One table to write: where it came from, its title and its frame.

    Attributes
    ----------
    key : str
        The field path (``"paths"``, ``"bootstrap.table"``, ``"results/paths"``).
    title : str
        The title written on row 1.
    frame : DataFrame
        The table at full precision (a Series is made a one-column frame).
    segment : str or None
        The segment it belongs to when written one sheet per segment.

    Examples
    --------
    >>> ExcelTable("x", "X", pd.DataFrame({"a": [1.0]})).title
    'X'
    """

    key: str
    title: str
    frame: pd.DataFrame
    segment: str | None = None
    group_column: str | None = field(default=None, repr=False)


def _as_frame(table: pd.DataFrame | pd.Series) -> pd.DataFrame:
    if isinstance(table, pd.Series):
        name = table.name if table.name is not None else "value"
        return table.to_frame(name=str(name))
    return table


_FIELD_TITLES = {
    "outer": "Outer model",
    "htmt": "HTMT",
    "fornell_larcker": "Fornell–Larcker criterion",
    "r2": "R²",
    "cfa_fit": "CFA fit",
    "cfa_loadings": "CFA loadings",
}


def _humanise(name: str) -> str:
    if name in _FIELD_TITLES:
        return _FIELD_TITLES[name]
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _same_table(shown: pd.DataFrame, full: pd.DataFrame) -> bool:
    if shown is full:
        return True
    try:
        if not shown.index.equals(full.index):
            return False
        cols = list(shown.columns)
        if not set(cols) <= set(full.columns):
            return False
        return bool(shown.equals(full[cols]))
    except (TypeError, ValueError, KeyError):
        return False


def _part_of(shown: pd.DataFrame, full: pd.DataFrame) -> bool:
    """``shown`` is some rows and columns of ``full`` (a summary's excerpt)."""
    try:
        if shown.index.nlevels != full.index.nlevels:
            return False
        if not (set(shown.columns) <= set(full.columns)) or not shown.index.isin(full.index).all():
            return False
        if shown.index.has_duplicates or full.index.has_duplicates:
            return False
        return bool(shown.equals(full.loc[shown.index, list(shown.columns)]))
    except (TypeError, ValueError, KeyError, AssertionError):
        return False


def _summary_tables(result: Result) -> dict[str, pd.DataFrame]:
    try:
        _, tables = result._summary_parts()
    except Exception:  # a summary that cannot be built must not stop the export
        return {}
    return {str(k): _as_frame(v) for k, v in tables.items()}


def _is_result(value: object) -> bool:
    from csimodels.results import Result

    return isinstance(value, Result)


def _result_dict(value: object) -> dict[str, Result] | None:
    from csimodels.results import Result

    if isinstance(value, Mapping) and value and all(isinstance(v, Result) for v in value.values()):
        return {str(k): v for k, v in value.items()}
    return None


def _group_column(result: Result, name: str) -> str:
    if name in _GROUP_COLUMN:
        return _GROUP_COLUMN[name]
    by = getattr(result, "by", None)
    if isinstance(by, str) and by:
        return by
    if isinstance(by, (list, tuple)) and by:
        return " × ".join(str(b) for b in by)
    return "segment"


def _own_tables(
    result: Result, *, raw: bool, omitted: list[str], prefix: str, key_prefix: str
) -> Iterator[ExcelTable]:
    """The result's direct tables and those of nested results (not segment dicts)."""
    shown = _summary_tables(result)
    used: set[str] = set()
    for name in type(result).model_fields:
        if name in ("settings", "notes", "csimodels_version"):
            continue
        value = getattr(result, name)
        key = f"{key_prefix}{name}"
        if isinstance(value, (pd.DataFrame, pd.Series)):
            if name in RAW_TABLES and not raw:
                omitted.append(key)
                continue
            frame = _as_frame(value)
            title = next(
                (t for t, s in shown.items() if t not in used and _same_table(s, frame)), None
            )
            if title is not None:
                used.add(title)
            else:
                title = _humanise(name)
            yield ExcelTable(key, prefix + title, frame)
        elif _is_result(value):
            if name == "pooled" and _result_dict(getattr(result, "segments", None)):
                continue  # written as the first segment of the combined tables
            nested: Result = value
            sub = f"{prefix}{nested._title} — "
            yield from _own_tables(
                nested, raw=raw, omitted=omitted, prefix=sub, key_prefix=f"{key}."
            )
    fields = [
        _as_frame(v)
        for v in (getattr(result, n) for n in type(result).model_fields)
        if isinstance(v, (pd.DataFrame, pd.Series))
    ]
    for title, frame in shown.items():
        if title not in used and not any(_part_of(frame, f) for f in fields):
            yield ExcelTable(f"{key_prefix}summary:{title}", prefix + title, frame)


def excel_tables(
    result: Result,
    *,
    segments: Literal["column", "sheet"] = "column",
    raw: bool = False,
) -> tuple[list[ExcelTable], list[str]]:
    """The tables :func:`write_excel` writes, in order, and the keys it leaves out.

    Parameters
    ----------
    result : Result
    segments : {"column", "sheet"}
        Segment results combined into one table with the segment as first column,
        or kept apart (one sheet per segment).
    raw : bool
        Include respondent- and draw-level tables.

    Returns
    -------
    tables : list of ExcelTable
    omitted : list of str
        Keys of the raw tables left out.

    Examples
    --------
    >>> import csimodels as csi
    >>> res = csi.datasets.load_example("acsi_demo").describe()
    >>> [t.key for t in excel_tables(res)[0]]
    ['table', 'frequencies', 'counts']
    """
    if segments not in ("column", "sheet"):
        raise InvalidParameterError(
            f"parameter 'segments' of to_excel must be 'column' or 'sheet', got {segments!r}"
        )
    omitted: list[str] = []
    tables = list(_own_tables(result, raw=raw, omitted=omitted, prefix="", key_prefix=""))
    for name in type(result).model_fields:
        group = _result_dict(getattr(result, name))
        if group is None:
            continue
        column = _group_column(result, name)
        per_segment: dict[str, list[ExcelTable]] = {}
        pooled = getattr(result, "pooled", None) if name == "segments" else None
        if _is_result(pooled):
            from csimodels.results import POOLED

            group = {POOLED: cast("Result", pooled), **group}
        for seg, sub in group.items():
            per_segment[seg] = list(
                _own_tables(sub, raw=raw, omitted=[], prefix="", key_prefix=f"{name}/")
            )
        if segments == "sheet":
            for seg, items in per_segment.items():
                for t in items:
                    tables.append(
                        ExcelTable(t.key, t.title, t.frame, segment=seg, group_column=column)
                    )
            continue
        order: list[str] = []
        titles: dict[str, str] = {}
        parts: dict[str, dict[str, pd.DataFrame]] = {}
        for seg, items in per_segment.items():
            for t in items:
                if t.key not in parts:
                    order.append(t.key)
                    titles[t.key] = t.title
                    parts[t.key] = {}
                parts[t.key][seg] = t.frame
        for key in order:
            combined = pd.concat(parts[key], names=[column], sort=False)
            tables.append(
                ExcelTable(key, f"{titles[key]} {tr('by segment', 'en')}", combined, None, column)
            )
    sub_omitted = sorted(
        {f"{n}/{k}" for n in type(result).model_fields for k in _raw_keys(result, n, raw)}
    )
    return tables, omitted + sub_omitted


def _raw_keys(result: Result, name: str, raw: bool) -> list[str]:
    group = _result_dict(getattr(result, name))
    if group is None or raw:
        return []
    first = next(iter(group.values()))
    return [
        k
        for k, v in type(first).model_fields.items()
        if k in RAW_TABLES and isinstance(getattr(first, k), (pd.DataFrame, pd.Series))
    ]


def result_labels(result: Result) -> dict[str, str]:
    """Human labels of codes the result knows (constructs, items, dimensions).

    Examples
    --------
    >>> import csimodels as csi
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> res = csi.ACSI(indicators=data.constructs).fit(data)
    >>> result_labels(res)["Quality"]
    '感知质量'
    """
    labels: dict[str, str] = {}
    spec = getattr(result, "spec", None)
    for c in getattr(spec, "constructs", ()) or ():
        name, label = getattr(c, "name", None), getattr(c, "label", None)
        if isinstance(name, str) and isinstance(label, str) and label:
            labels[name] = label
    for name in _CODE_FIELDS:
        value = getattr(result, name, None)
        if isinstance(value, Mapping):
            labels.update({str(k): str(v) for k, v in value.items() if isinstance(v, str)})
    for name in ("items", "dimensions"):
        frame = getattr(result, name, None)
        if isinstance(frame, pd.DataFrame) and "label" in frame.columns:
            for code, label in frame["label"].items():
                if isinstance(code, str) and isinstance(label, str):
                    labels.setdefault(code, label)
    return {k: v for k, v in labels.items() if v and v != k}


def _with_labels(frame: pd.DataFrame, labels: Mapping[str, str]) -> pd.DataFrame:
    """Index levels as columns, with a label column after each level that has labels."""
    flat = frame.copy()
    if isinstance(flat.columns, pd.MultiIndex):
        flat.columns = pd.Index([" / ".join(str(p) for p in c) for c in flat.columns])
    else:
        flat.columns = pd.Index([str(c) for c in flat.columns])
    names = [
        str(n) if n is not None else ("index" if flat.index.nlevels == 1 else f"level_{i}")
        for i, n in enumerate(flat.index.names)
    ]
    names = [n if n not in flat.columns else f"{n} " for n in names]
    out = pd.DataFrame(index=range(len(flat)))
    has_label = "label" in flat.columns
    for level, name in enumerate(names):
        values = flat.index.get_level_values(level)
        out[name] = list(values)
        if not labels:
            continue
        hits = [labels.get(v) if isinstance(v, str) else None for v in values]
        if any(h is not None for h in hits):
            if flat.index.nlevels == 1 and has_label:
                continue  # the table carries its labels already
            col = "label" if flat.index.nlevels == 1 else f"{name} label"
            if col in flat.columns or col in out.columns:
                continue
            out[col] = [h if h is not None else v for h, v in zip(hits, values, strict=True)]
    for c in flat.columns:
        out[c] = flat[c].to_numpy()
    return out


def _cell(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isnan(v):
            return None
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return v
    if isinstance(value, pd.Timestamp):
        if pd.isna(value):
            return None
        value = value.to_pydatetime()
    if isinstance(value, _dt.datetime) and value.microsecond % 1000:
        # Excel keeps milliseconds: a finer timestamp is written as text, exactly
        return str(value)
    if isinstance(value, (_dt.datetime, _dt.date, str)):
        return value
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def _exact(cell: Any, value: float) -> None:
    """Store a float so that it reads back bit for bit.

    openpyxl writes numbers with 16 significant digits, which does not always give
    the same double back; the shortest round-trip repr (at most 17 digits) does, and
    Excel and LibreOffice read it as the same double.
    """
    if float(f"{value:.16g}") != value:
        cell._value = repr(value)
        cell.data_type = "n"


def _text_width(text: str) -> int:
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _sheet_name(title: str, taken: set[str]) -> str:
    base = _INVALID_SHEET.sub("-", title).strip("'") or "Sheet"
    base = base[:31]
    name, i = base, 2
    while name.lower() in taken:
        suffix = f" ({i})"
        name = base[: 31 - len(suffix)] + suffix
        i += 1
    taken.add(name.lower())
    return name


def _write_block(
    ws: Worksheet,
    table: pd.DataFrame,
    *,
    start_row: int,
    title: str,
    n_index: int,
    language: Language,
    widths: dict[int, int],
) -> int:
    """Write title, header and values from ``start_row``; return the next free row."""
    from openpyxl.styles import Alignment, Font, PatternFill  # type: ignore[import-untyped]

    ws.cell(row=start_row, column=1, value=title).font = Font(bold=True, size=13)
    header_row = start_row + 2
    fill = PatternFill("solid", fgColor="DDE6F0")
    bold = Font(bold=True)
    centre = Alignment(horizontal="center", vertical="center", wrap_text=False)
    for j, col in enumerate(table.columns, start=1):
        header = _header(str(col), language)
        c = ws.cell(row=header_row, column=j, value=header)
        c.font = bold
        c.fill = fill
        c.alignment = centre
        widths[j] = max(widths.get(j, 0), _text_width(header) + 2)
    # a cell's style is copied from the first cell styled alike: assigning a font or a
    # number format looks it up in the workbook's style lists, which is slow per cell
    styled: dict[tuple[str, bool], Any] = {}
    for j, col in enumerate(table.columns, start=1):
        series = table[col]
        is_float = pd.api.types.is_float_dtype(series.dtype)
        is_int = pd.api.types.is_integer_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
            series.dtype
        )
        values = series.tolist()
        for i, raw_value in enumerate(values):
            value = _cell(raw_value)
            c = ws.cell(row=header_row + 1 + i, column=j, value=value)
            if isinstance(value, float):
                _exact(c, value)
            if isinstance(value, float) or (is_float and value is not None):
                fmt = _FLOAT_FORMAT
            elif is_int:
                fmt = "0"
            else:
                fmt = ""
            key = (fmt, j <= n_index)
            if key != ("", False):
                if key in styled:
                    c._style = copy(styled[key])
                else:
                    if fmt:
                        c.number_format = fmt
                    if j <= n_index:
                        c.font = bold
                    styled[key] = c._style
            if i < 300:
                if isinstance(value, float):
                    shown = f"{value:.4f}"
                else:
                    shown = "" if value is None else str(value)
                widths[j] = max(widths.get(j, 0), min(_text_width(shown) + 2, 60))
    return header_row + 1 + len(table) + 1


def _set_widths(ws: Worksheet, widths: Mapping[int, int]) -> None:
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    for j, w in widths.items():
        ws.column_dimensions[get_column_letter(j)].width = max(8, min(w, 60))


def _key_value_sheet(
    ws: Worksheet, title: str, rows: list[tuple[str, Any]], heads: tuple[str, str]
) -> None:
    from openpyxl.styles import Font, PatternFill

    ws.cell(row=1, column=1, value=title).font = Font(bold=True, size=13)
    fill = PatternFill("solid", fgColor="DDE6F0")
    for j, h in enumerate(heads, start=1):
        c = ws.cell(row=HEADER_ROW, column=j, value=h)
        c.font = Font(bold=True)
        c.fill = fill
    widths = {1: _text_width(heads[0]) + 2, 2: _text_width(heads[1]) + 2}
    for i, (k, v) in enumerate(rows, start=HEADER_ROW + 1):
        ws.cell(row=i, column=1, value=k).font = Font(bold=True)
        value = _cell(v) if not isinstance(v, (list, tuple, dict)) else _json(v)
        c = ws.cell(row=i, column=2, value=value)
        if isinstance(value, float):
            _exact(c, value)
            c.number_format = _FLOAT_FORMAT
        widths[1] = max(widths[1], _text_width(str(k)) + 2)
        widths[2] = max(widths[2], min(_text_width(str(value)) + 2, 90))
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=1)
    _set_widths(ws, widths)
    ws.column_dimensions["B"].width = max(10, min(widths[2], 90))


def _json(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(value)


def _scalar_rows(result: Result) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    for name in type(result).model_fields:
        if name in ("settings", "notes", "csimodels_version"):
            continue
        value = getattr(result, name)
        if isinstance(value, (bool, int, float, str, np.floating, np.integer)) and not isinstance(
            value, pd.DataFrame
        ):
            rows.append((name, value))
        elif isinstance(value, tuple) and all(isinstance(v, (str, int, float)) for v in value):
            rows.append((name, ", ".join(str(v) for v in value)))
        elif hasattr(value, "describe") and type(value).__name__ == "MissingDataReport":
            rows.append((name, value.describe()))
    return rows


def _open_book(path_or_writer: Any) -> tuple[Workbook, Path | None, Any]:
    from openpyxl import Workbook

    if isinstance(path_or_writer, pd.ExcelWriter):
        if path_or_writer.engine != "openpyxl":
            raise InvalidParameterError(
                "parameter 'path_or_writer' of to_excel must be a path or a "
                f"pd.ExcelWriter(engine='openpyxl'), got engine {path_or_writer.engine!r}"
            )
        book = path_or_writer.book
        return book, None, path_or_writer
    if isinstance(path_or_writer, Workbook):
        return path_or_writer, None, None
    if isinstance(path_or_writer, (str, Path)):
        path = Path(path_or_writer)
        if path.suffix.lower() not in (".xlsx", ".xlsm"):
            raise InvalidParameterError(
                f"parameter 'path_or_writer' of to_excel must name an .xlsx file, got {str(path)!r}"
            )
        check_writable(path, owner="to_excel")
        book = Workbook()
        book.remove(book.active)
        return book, path, None
    raise InvalidParameterError(
        "parameter 'path_or_writer' of to_excel must be a path, a pd.ExcelWriter or an "
        f"openpyxl Workbook, got {type(path_or_writer).__name__}"
    )


def check_writable(path: Path, *, owner: str) -> None:
    """Fail early, naming the path, when a file cannot be written there.

    Examples
    --------
    >>> check_writable(Path("/nonexistent-dir/x.xlsx"), owner="to_excel")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    csimodels.errors.InvalidParameterError: parameter 'path' of to_excel ...
    """
    parent = path.parent if str(path.parent) else Path(".")
    if path.exists() and path.is_dir():
        raise InvalidParameterError(
            f"parameter 'path' of {owner} must be a file, got the directory {str(path)!r}"
        )
    if not parent.is_dir():
        raise InvalidParameterError(
            f"parameter 'path' of {owner} must be in an existing directory, got {str(path)!r} "
            f"({str(parent)!r} does not exist); create it first"
        )
    import os

    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise InvalidParameterError(
            f"parameter 'path' of {owner} must be writable, got {str(path)!r} "
            "(permission denied); choose another location"
        )


def write_excel(
    result: Result,
    path_or_writer: Any,
    *,
    language: Language = "en",
    segments: Literal["column", "sheet"] = "column",
    raw: bool = False,
    labels: Mapping[str, str] | None = None,
    sheet_prefix: str = "",
) -> Path | None:
    """Write a result to an Excel workbook (what ``Result.to_excel`` does).

    Parameters
    ----------
    result : Result
    path_or_writer : str, Path, pd.ExcelWriter or openpyxl Workbook
        An ``.xlsx`` path, or an open writer (``engine="openpyxl"``) / workbook to add
        sheets to.
    language : {"en", "zh"}
        Language of the library's own words (titles, headers); codes and labels are
        written as they are.
    segments : {"column", "sheet"}
        Segment results: one sheet per table with the segment as first column, or
        one sheet per segment.
    raw : bool
        Also write respondent- and draw-level tables.
    labels : dict of str to str, optional
        More labels of codes (item labels of a survey, say); the result's own
        labels are used in any case.
    sheet_prefix : str
        Put before every sheet name (a report writes its sections as ``"1 ..."``,
        ``"2 ..."`` into one workbook).

    Returns
    -------
    Path or None
        The file written (None when writing into a writer or workbook).

    Examples
    --------
    >>> import tempfile, pathlib, openpyxl
    >>> import csimodels as csi
    >>> res = csi.datasets.load_example("acsi_demo").describe()
    >>> path = write_excel(res, pathlib.Path(tempfile.mkdtemp()) / "d.xlsx", language="zh")
    >>> openpyxl.load_workbook(path).sheetnames[0]
    '概要'
    """
    lang = check_language(language, owner="to_excel")
    book, path, _writer = _open_book(path_or_writer)
    tables, omitted = excel_tables(result, segments=segments, raw=raw)
    label_map = {**result_labels(result), **dict(labels or {})}
    taken = {ws.title.lower() for ws in book.worksheets}

    def sheet(title: str) -> str:
        return _sheet_name(sheet_prefix + title, taken)

    header, _ = ([], {}) if not hasattr(result, "_summary_parts") else result._summary_parts()
    summary_rows: list[tuple[str, Any]] = [
        (tr(str(k), lang), v if isinstance(v, (int, float, str, bool)) else str(v))
        for k, v in header
    ]
    summary_rows.extend(_scalar_rows(result))
    summary_rows.append((tr("csimodels version", lang), result.csimodels_version))
    ws = book.create_sheet(sheet(tr("Summary", lang)))
    _key_value_sheet(
        ws, tr(result._title, lang), summary_rows, (tr("Item", lang), tr("Value", lang))
    )

    by_segment: dict[str, list[ExcelTable]] = {}
    for t in tables:
        if t.segment is not None:
            by_segment.setdefault(t.segment, []).append(t)
            continue
        frame = _with_labels(t.frame, label_map)
        n_index = len(frame.columns) - len(t.frame.columns)
        ws = book.create_sheet(sheet(tr(t.title, lang)))
        widths: dict[int, int] = {}
        _write_block(
            ws,
            frame,
            start_row=1,
            title=_title(t.title, lang),
            n_index=n_index,
            language=lang,
            widths=widths,
        )
        ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=n_index + 1)
        _set_widths(ws, widths)
    for seg, items in by_segment.items():
        column = items[0].group_column or "segment"
        ws = book.create_sheet(sheet(f"{tr(column, lang)} {seg}"))
        row = 1
        widths = {}
        for t in items:
            frame = _with_labels(t.frame, label_map)
            n_index = len(frame.columns) - len(t.frame.columns)
            row = _write_block(
                ws,
                frame,
                start_row=row,
                title=f"{seg}: {_title(t.title, lang)}",
                n_index=n_index,
                language=lang,
                widths=widths,
            )
            row += 1
        ws.freeze_panes = ws.cell(row=1, column=2)
        _set_widths(ws, widths)

    notes_rows: list[tuple[str, Any]] = [
        (f"[{i}]", note) for i, note in enumerate(result.notes, start=1)
    ]
    notes_rows.extend((str(k), v) for k, v in result.settings.items())
    if omitted:
        notes_rows.append(
            (tr("Omitted tables", lang), ", ".join(omitted) + " (raw=True writes them)")
        )
    ws = book.create_sheet(sheet(tr("Notes and settings", lang)))
    _key_value_sheet(
        ws, tr("Notes and settings", lang), notes_rows, (tr("Setting", lang), tr("Value", lang))
    )

    if path is not None:
        try:
            book.save(path)
        except OSError as err:
            raise InvalidParameterError(
                f"parameter 'path' of to_excel must be writable, got {str(path)!r} ({err})"
            ) from err
    return path


def _header(name: str, language: Language) -> str:
    if language == "zh" and name.endswith(" label"):
        return f"{tr(name[: -len(' label')], language)}标签"
    return tr(name, language)


def _title(title: str, language: Language) -> str:
    parts = title.split(" — ")
    out = " — ".join(tr(p, language) for p in parts)
    if out.endswith(" by segment"):
        out = out[: -len(" by segment")]
        out = f"{tr(out, language)} {tr('by segment', language)}"
    return out


def read_sheet_table(ws: Worksheet, *, start_row: int = 1) -> tuple[str, pd.DataFrame]:
    """Read back one block written by :func:`write_excel` (title, header, values).

    Used by the tests and handy for checking a workbook: the values come back at the
    precision written (full precision) with empty cells as NaN.

    Examples
    --------
    >>> from openpyxl import Workbook
    >>> wb = Workbook(); ws = wb.active
    >>> ws["A1"] = "T"; ws["A3"] = "x"; ws["A4"] = 1.5
    >>> read_sheet_table(ws)[1]["x"].tolist()
    [1.5]
    """
    title = str(ws.cell(row=start_row, column=1).value)
    header_row = start_row + 2
    headers: list[str] = []
    j = 1
    while ws.cell(row=header_row, column=j).value is not None:
        headers.append(str(ws.cell(row=header_row, column=j).value))
        j += 1
    rows: list[list[Any]] = []
    i = header_row + 1
    while i <= ws.max_row and any(
        ws.cell(row=i, column=k).value is not None for k in range(1, len(headers) + 1)
    ):
        rows.append([ws.cell(row=i, column=k).value for k in range(1, len(headers) + 1)])
        i += 1
    frame = pd.DataFrame(rows, columns=pd.Index(headers), dtype=object)
    return title, frame.replace({None: np.nan})
