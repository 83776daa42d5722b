"""A report: sections (a result, its charts and a generated reading) to xlsx, PDF, HTML.

Examples
--------
>>> import tempfile, pathlib
>>> import csimodels as csi
>>> from csimodels.reports import Report, ReportTemplate
>>> data = csi.datasets.load_example("acsi_demo")
>>> res = csi.ACSI(indicators=data.constructs).fit(data)
>>> report = Report({"data": data.describe(), "index": res},
...                 template=ReportTemplate(title="ACSI 2025", language="zh"))
>>> report.sections[1].reading.text[:13]
'顾客满意度指数为 70.2'
>>> out = pathlib.Path(tempfile.mkdtemp())
>>> [p.suffix for p in report.write(out / "acsi", formats=("html", "pdf", "xlsx"))]
['.html', '.pdf', '.xlsx']
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import math
import re
import string
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from csimodels._version import __version__
from csimodels.errors import InvalidParameterError, SpecificationError
from csimodels.reports._i18n import tr
from csimodels.reports.excel import check_writable, write_excel
from csimodels.reports.reading import Reading, headline_target, read_section
from csimodels.reports.template import (
    DEFAULT_HTML_TEMPLATE,
    SECTION_KINDS,
    ReportTemplate,
    check_html_template,
)
from csimodels.results import Result

__all__ = [
    "FORMATS",
    "SECTION_TITLES",
    "Block",
    "Chart",
    "Document",
    "Report",
    "Section",
    "render_html",
]

FORMATS = ("pdf", "html", "xlsx")
"""Output formats of :meth:`Report.write`."""

SECTION_TITLES: dict[str, str] = {
    "data": "Data description",
    "index": "Index model",
    "drivers": "Drivers: what to fix first",
    "servqual": "SERVQUAL",
    "kano": "Kano",
    "ahp": "AHP",
    "fce": "FCE",
    "trends": "Trends and alerts",
}
"""Default (English) title of each section kind; Chinese titles come from the vocabulary."""

_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")
_MAX_ROWS = 25
_DPI = 110  # charts are printed at 3/4 of their size: 147 dpi on the page
_MAX_COLS = 9


@dataclass(frozen=True)
class Chart:
    """A rendered chart: its caption and PNG bytes.

    Attributes
    ----------
    caption : str
    png : bytes

    Examples
    --------
    >>> Chart("x", b"\\x89PNG").caption
    'x'
    """

    caption: str
    png: bytes


@dataclass
class Section:
    """One section of a report: a result, its reading, charts and display tables.

    Attributes
    ----------
    kind : str
        One of :data:`~csimodels.reports.template.SECTION_KINDS`.
    result : Result
        The fitted result shown.
    title : str
        The heading (default: the kind's title in the report language).
    context : dict
        What the reading needs beyond the result: ``target``, ``previous``,
        ``segment`` (see :func:`~csimodels.reports.reading.read_section`).
    reading : Reading
        The generated text and its numbers (set by :class:`Report`).

    Examples
    --------
    >>> from csimodels.ahp import AHP
    >>> s = Section("ahp", AHP().fit({("a", "b"): 2}))
    >>> s.title
    'AHP'
    """

    kind: str
    result: Result
    title: str = ""
    context: dict[str, Any] = field(default_factory=dict)
    reading: Reading = field(default_factory=lambda: Reading(""))
    _charts: dict[tuple[str, str], list[Chart]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in SECTION_KINDS:
            raise SpecificationError(
                f"section {self.kind!r} is not a report section; choose from "
                + ", ".join(repr(k) for k in SECTION_KINDS)
            )
        if not isinstance(self.result, Result):
            raise InvalidParameterError(
                f"section {self.kind!r} needs a csimodels result, got {type(self.result).__name__}"
            )
        if not self.title:
            self.title = SECTION_TITLES[self.kind]

    def charts(self, language: str, labels: str) -> list[Chart]:
        """The section's charts rendered to PNG (cached per language and label mode)."""
        key = (language, labels)
        if key not in self._charts:
            self._charts[key] = _render_charts(self, language, labels)
        return self._charts[key]

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables the section shows: those of the result's ``summary()`` (for a
        drivers section on a PLS result, the importance–performance table)."""
        if self.kind == "drivers" and hasattr(self.result, "ipma"):
            target = self.context.get("target") or headline_target(self.result)
            ipma = self.result.ipma(target).sort_values("importance", ascending=False)
            return {"Importance–performance map": ipma}
        try:
            _, tables = self.result._summary_parts()
        except Exception:  # a summary that cannot be built must not stop the report
            return {}
        out: dict[str, pd.DataFrame] = {}
        for name, t in tables.items():
            frame = t.to_frame() if isinstance(t, pd.Series) else t
            if isinstance(frame, pd.DataFrame) and len(frame):
                out[str(name)] = frame
        return out


@dataclass
class Block:
    """One titled part of a rendered document (a section, or the cover's ranking).

    Attributes
    ----------
    title : str
    reading : str
    charts : list of Chart
    tables : dict of str to DataFrame
    anchor : str

    Examples
    --------
    >>> Block("T", "text").charts
    []
    """

    title: str
    reading: str
    charts: list[Chart] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    anchor: str = ""


@dataclass
class Document:
    """What the HTML and PDF writers lay out: title, subtitle, template and blocks.

    Attributes
    ----------
    title : str
    subtitle : str
    template : ReportTemplate
    blocks : list of Block

    Examples
    --------
    >>> Document("T", "", ReportTemplate(), [Block("A", "x")]).needs_cjk()
    False
    """

    title: str
    subtitle: str
    template: ReportTemplate
    blocks: list[Block]

    def needs_cjk(self) -> bool:
        """True when the document has Chinese text (or is in Chinese)."""
        if self.template.language == "zh":
            return True
        texts = [self.title, self.subtitle]
        for b in self.blocks:
            texts += [b.title, b.reading, *(c.caption for c in b.charts)]
            texts += [
                t.to_string(max_rows=_MAX_ROWS, max_cols=_MAX_COLS) for t in b.tables.values()
            ]
            texts += list(b.tables)
        return any(_CJK.search(t) for t in texts)


def render_html(doc: Document) -> str:
    """One self-contained HTML page (charts and logo embedded as data URIs).

    Examples
    --------
    >>> page = render_html(Document("T", "sub", ReportTemplate(), [Block("A", "x")]))
    >>> "<h2>1. A</h2>" in page
    True
    """
    t = doc.template
    lang = t.language
    body: list[str] = []
    contents: list[str] = []
    for i, b in enumerate(doc.blocks, start=1):
        anchor = b.anchor or f"s{i}"
        contents.append(f'<li><a href="#{anchor}">{html.escape(b.title)}</a></li>')
        parts = [f'<section id="{anchor}">', f"<h2>{i}. {html.escape(b.title)}</h2>"]
        if b.reading:
            parts.append(f'<p class="reading">{html.escape(b.reading)}</p>')
        for chart in b.charts:
            data = base64.b64encode(chart.png).decode("ascii")
            parts.append(
                f'<figure><img alt="{html.escape(chart.caption)}" '
                f'src="data:image/png;base64,{data}"><figcaption>'
                f"{html.escape(chart.caption)}</figcaption></figure>"
            )
        for name, table in b.tables.items():
            parts.append(f"<h3>{html.escape(tr(name, lang))}</h3>")
            parts.append(_html_table(table, lang))
        parts.append("</section>")
        body.append("\n".join(parts))
    logo = ""
    if t.logo:
        mime = "png" if t.logo.lower().endswith(".png") else "jpeg"
        data = base64.b64encode(Path(t.logo).read_bytes()).decode("ascii")
        logo = f'<img class="logo" alt="logo" src="data:image/{mime};base64,{data}">'
    source = (
        Path(t.html_template).read_text(encoding="utf-8")
        if t.html_template
        else DEFAULT_HTML_TEMPLATE
    )
    check_html_template(source, where=t.html_template or "the default HTML template")
    values = {
        "title": html.escape(doc.title),
        "subtitle": html.escape(doc.subtitle),
        "logo": logo,
        "sections": "\n".join(body),
        "contents": f"<ol>{''.join(contents)}</ol>",
        "css": _CSS.replace("PRIMARY", t.primary).replace("ACCENT", t.accent),
        "language": "zh-CN" if lang == "zh" else "en",
        "primary": t.primary,
        "accent": t.accent,
        "generated": html.escape(f"{tr('Generated by csimodels', lang)} {__version__}"),
    }
    return string.Template(source).substitute(values)


def _close(fig: Any) -> None:
    from csimodels.plotting import pyplot

    pyplot().close(fig)


def _png(ax: Any) -> bytes:
    from csimodels.plotting import figure_png

    fig = ax.figure if hasattr(ax, "figure") else ax
    try:
        return figure_png(fig, dpi=_DPI)
    finally:
        _close(fig)


def _render_charts(section: Section, language: str, labels: str) -> list[Chart]:
    res: Any = section.result
    kind = section.kind
    name = type(res).__name__
    target = section.context.get("target")
    out: list[Chart] = []

    def add(caption: str, ax: Any) -> None:
        out.append(Chart(tr(caption, "zh" if language == "zh" else "en"), _png(ax)))

    opts = {"language": language, "labels": labels}
    if name == "SegmentedResult":
        pooled = res.pooled
        inner = type(pooled).__name__ if pooled is not None else ""
        if kind == "index" and inner in ("PLSResult", "CBSEMResult"):
            add("Structural model", pooled.plot("paths", **opts))
            add("Indices by segment", res.plot("bar", **opts))
            add("Segment ranking", res.plot("ranking", **opts))
            return out
        if pooled is not None:  # the pooled result's charts, then the segment chart
            out.extend(
                _render_charts(Section(kind, pooled, context=section.context), language, labels)
            )
        return out
    if kind == "data" and name == "DescriptionResult":
        add("Answers", res.plot("bar", **opts))
    elif kind == "index" and name in ("PLSResult", "CBSEMResult"):
        add("Structural model", res.plot("paths", **opts))
        add("0–100 indices", res.plot("indices", **opts))
    elif kind == "drivers" and name == "PLSResult":
        add("Importance–performance map", res.plot("ipma", target=target, **opts))
    elif kind == "servqual" and name in (
        "SERVQUALResult",
        "SERVPERFResult",
        "ZoneOfToleranceResult",
    ):
        add("Service quality gaps", res.plot("radar", **opts))
        add("Dimensions", res.plot("bar", **opts))
    elif kind == "ahp" and name in ("AHPResult", "AHPHierarchyResult"):
        add("AHP priorities", res.plot("priorities", **opts))
    elif kind == "trends" and name == "TrendResult":
        segment = section.context.get("segment")
        add("Trends and alerts", res.plot(segment=segment, language=language, labels=labels))
    elif hasattr(res, "plot"):
        from csimodels.plotting import use_language

        try:  # the family's own chart (Kano, FCE, importance-performance...), drawn
            # with the language's fonts whether or not it takes a language
            with use_language(language):
                try:
                    ax = res.plot(language=language)
                except TypeError:
                    ax = res.plot()
        except Exception as err:  # a chart that cannot be drawn is reported, not fatal
            warnings.warn(f"no chart for the {kind} section: {err}", stacklevel=3)
            return out
        ax = ax[0] if isinstance(ax, tuple) else ax
        add(SECTION_TITLES[kind], ax)
    return out


def _reading_basis(section: Section) -> Any:
    """The result a reading is about: a segmented result is read on its pooled fit."""
    res: Any = section.result
    if type(res).__name__ == "SegmentedResult":
        if res.pooled is None:
            raise SpecificationError(
                f"the {section.kind} section got a result by segment without a pooled fit; "
                "fit with the pooled result (or pass one segment's result)"
            )
        return res.pooled
    return res


def _coerce_sections(
    sections: Mapping[str, Result] | Iterable[Section | tuple[str, Result]],
) -> list[Section]:
    items: list[Section] = []
    pairs: Iterable[Any] = sections.items() if isinstance(sections, Mapping) else sections
    for item in pairs:
        if isinstance(item, Section):
            items.append(item)
        elif isinstance(item, tuple) and len(item) == 2:
            items.append(Section(str(item[0]), item[1]))
        else:
            raise InvalidParameterError(
                "parameter 'sections' of Report must map section kinds to results (or be a "
                f"list of Section objects), got an item of type {type(item).__name__}"
            )
    return items


class Report:
    """A report a manager reads: sections in the template's order, to xlsx, PDF, HTML.

    Parameters
    ----------
    sections : dict of kind to Result, or list of Section
        The results shown (``{"data": describe, "index": pls, "drivers": pls, ...}``);
        a kind given twice keeps the last.
    template : ReportTemplate, optional
        Title, logo, colours, language and section order.
    segment : str, optional
        The segment the report is about (shown in the subtitle).
    context : dict, optional
        Reading context shared by the sections (``target``, ``previous``).

    Attributes
    ----------
    sections : list of Section
        In the template's order, with their readings.

    Examples
    --------
    >>> from csimodels.ahp import AHP
    >>> r = Report({"ahp": AHP().fit({("Price", "Quality"): 3})})
    >>> [s.kind for s in r.sections], r.sections[0].reading.facts["top"]
    (['ahp'], 'Price')
    """

    def __init__(
        self,
        sections: Mapping[str, Result] | Iterable[Section | tuple[str, Result]],
        *,
        template: ReportTemplate | None = None,
        segment: str | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> None:
        self.template = template or ReportTemplate()
        if not isinstance(self.template, ReportTemplate):
            raise InvalidParameterError(
                "parameter 'template' of Report must be a ReportTemplate, got "
                f"{type(template).__name__}"
            )
        self.segment = segment
        given = {s.kind: s for s in _coerce_sections(sections)}
        if not given:
            raise InvalidParameterError("a Report needs at least one section")
        unused = [k for k in given if k not in self.template.sections]
        if unused:
            raise SpecificationError(
                f"the template's sections {list(self.template.sections)} leave out "
                f"{', '.join(map(repr, unused))}; add them to the template's sections"
            )
        shared = dict(context or {})
        self.sections: list[Section] = []
        lang = self.template.language
        for kind in self.template.sections:
            if kind not in given:
                continue
            s = given[kind]
            ctx = {**shared, **s.context}
            basis = _reading_basis(s)
            if kind in ("index", "drivers") and "target" not in ctx and hasattr(basis, "paths"):
                ctx["target"] = headline_target(basis)
            if kind != "index":
                ctx.pop("previous", None)
            if kind != "trends":
                ctx.pop("segment", None)
                ctx.pop("labels", None)
            s.context = ctx
            s.title = tr(s.title, lang)
            s.reading = read_section(kind, basis, language=lang, **ctx)
            self.sections.append(s)

    # -- facts -----------------------------------------------------------------------------
    def headline(self) -> dict[str, Any]:
        """The index section's facts (``target``, ``index``, ``ci_lower``, ``ci_upper``...).

        Examples
        --------
        >>> from csimodels.ahp import AHP
        >>> Report({"ahp": AHP().fit({("a", "b"): 2})}).headline()
        {}
        """
        for s in self.sections:
            if s.kind == "index":
                return dict(s.reading.facts)
        return {}

    @property
    def title(self) -> str:
        """The title, with the segment when the report is about one."""
        return self.template.title

    def _subtitle(self) -> str:
        lang = self.template.language
        parts = [self.template.subtitle] if self.template.subtitle else []
        if self.segment is not None:
            parts.append(f"{tr('Segment', lang)}: {self.segment}")
        parts.append(_dt.date.today().isoformat())
        return " | ".join(parts)

    # -- writing ---------------------------------------------------------------------------
    def write(self, path: str | Path, *, formats: Sequence[str] | None = None) -> list[Path]:
        """Write the report; the format follows the suffix, or ``formats`` for a stem.

        Parameters
        ----------
        path : str or Path
            ``report.pdf`` / ``.html`` / ``.xlsx``, or a stem (``out/east``) with
            ``formats``.
        formats : list of {"pdf", "html", "xlsx"}, optional

        Returns
        -------
        list of Path
            The files written.
        """
        p = Path(path)
        if formats is None:
            suffix = p.suffix.lower().lstrip(".")
            if suffix not in FORMATS:
                raise InvalidParameterError(
                    f"parameter 'path' of Report.write must end in .pdf, .html or .xlsx (or "
                    f"give formats=), got {str(p)!r}"
                )
            targets = [p]
        else:
            bad = [f for f in formats if f not in FORMATS]
            if bad:
                raise InvalidParameterError(
                    f"parameter 'formats' of Report.write must list 'pdf', 'html' or 'xlsx', "
                    f"got {bad}"
                )
            targets = [p.with_name(p.name + "." + f) for f in formats]
        for t in targets:
            check_writable(t, owner="Report.write")
        written = []
        for t in targets:
            suffix = t.suffix.lower()
            if suffix == ".html":
                t.write_text(self.to_html(), encoding="utf-8")
            elif suffix == ".pdf":
                self.write_pdf(t)
            else:
                self.write_excel(t)
            written.append(t)
        return written

    # HTML and PDF ------------------------------------------------------------------------
    def document(self) -> Document:
        """The report as a :class:`Document` (what the HTML and PDF writers lay out)."""
        t = self.template
        blocks = [
            Block(
                s.title,
                s.reading.text,
                s.charts(t.language, t.labels),
                s.tables(),
                anchor=f"s{i}-{s.kind}",
            )
            for i, s in enumerate(self.sections, start=1)
        ]
        return Document(self.title, self._subtitle(), t, blocks)

    def to_html(self) -> str:
        """The report as one self-contained HTML page (charts and logo embedded).

        Examples
        --------
        >>> from csimodels.ahp import AHP
        >>> page = Report({"ahp": AHP().fit({("a", "b"): 2})}).to_html()
        >>> page.startswith("<!DOCTYPE html>") and "data:image/png;base64," in page
        True
        """
        return render_html(self.document())

    def write_pdf(self, path: str | Path) -> Path:
        """Write the report as PDF (reportlab; Chinese text in STSong-Light or the
        template's TrueType font)."""
        from csimodels.reports._pdf import write_pdf

        p = Path(path)
        check_writable(p, owner="Report.write_pdf")
        write_pdf(self.document(), p)
        return p

    # Excel --------------------------------------------------------------------------------
    def write_excel(self, path: str | Path) -> Path:
        """Write the report as a workbook: a report sheet (readings and charts), then
        every section's tables at full precision (sheets prefixed by the section number).
        """
        from openpyxl import Workbook  # type: ignore[import-untyped]
        from openpyxl.drawing.image import Image  # type: ignore[import-untyped]
        from openpyxl.styles import Alignment, Font  # type: ignore[import-untyped]

        p = Path(path)
        check_writable(p, owner="Report.write_excel")
        t = self.template
        lang = t.language
        book = Workbook()
        ws = book.active
        ws.title = tr("Report", lang)
        ws.column_dimensions["A"].width = 110
        ws["A1"] = self.title
        ws["A1"].font = Font(bold=True, size=16, color=t.primary.lstrip("#"))
        ws["A2"] = self._subtitle()
        row = 4
        for i, s in enumerate(self.sections, start=1):
            c = ws.cell(row=row, column=1, value=f"{i}. {s.title}")
            c.font = Font(bold=True, size=13, color=t.primary.lstrip("#"))
            row += 1
            c = ws.cell(row=row, column=1, value=s.reading.text)
            c.alignment = Alignment(wrap_text=True, vertical="top")
            ws.row_dimensions[row].height = 15 * max(2, math.ceil(len(s.reading.text) / 95))
            row += 2
            for chart in s.charts(lang, t.labels):
                img = Image(io.BytesIO(chart.png))
                scale = min(1.0, 720 / img.width)
                img.width, img.height = img.width * scale, img.height * scale
                ws.add_image(img, f"A{row}")
                row += int(img.height / 20) + 2
        done: dict[int, int] = {}
        for i, s in enumerate(self.sections, start=1):
            if id(s.result) in done:  # drivers on the index model's result: written once
                continue
            done[id(s.result)] = i
            write_excel(s.result, book, language=lang, sheet_prefix=f"{i} ")
        try:
            book.save(p)
        except OSError as err:
            raise InvalidParameterError(
                f"parameter 'path' of Report.write_excel must be writable, got {str(p)!r} ({err})"
            ) from err
        return p


def _display(table: pd.DataFrame) -> pd.DataFrame:
    shown = table.iloc[:_MAX_ROWS, :_MAX_COLS]
    if isinstance(shown.columns, pd.MultiIndex):
        shown = shown.copy()
        shown.columns = pd.Index([" / ".join(map(str, c)) for c in shown.columns])
    return shown


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "–"
        if value.is_integer() and abs(value) >= 100:
            return f"{value:.0f}"  # counts
        return f"{value:.4f}" if abs(value) < 1000 else f"{value:.1f}"
    return str(value)


def _html_table(table: pd.DataFrame, language: str) -> str:
    shown = _display(table)
    lang = "zh" if language == "zh" else "en"
    shown = shown.rename(columns=lambda c: tr(str(c), lang))
    shown.index = shown.index.set_names(
        [tr(str(n), lang) if n is not None else None for n in shown.index.names]
    )
    note = ""
    if len(table) > _MAX_ROWS or table.shape[1] > _MAX_COLS:
        note = (
            f'<p class="note">{len(table)} × {table.shape[1]}; the workbook holds the full '
            "table.</p>"
        )
    return (
        str(
            shown.to_html(
                float_format=lambda x: _fmt(float(x)), na_rep="–", border=0, classes="table"
            )
        )
        + note
    )


_CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",
Helvetica,Arial,sans-serif;margin:0 auto;max-width:1000px;padding:24px;color:#222;
line-height:1.5}
header{border-bottom:4px solid PRIMARY;margin-bottom:16px;overflow:hidden}
header h1{color:PRIMARY;margin:0 0 4px 0}
.logo{float:right;max-height:56px}
.subtitle{color:#555;margin:0 0 12px 0}
nav ol{columns:2;color:#333}
h2{color:PRIMARY;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:36px}
h3{font-size:1em;color:#333;margin:18px 0 6px 0}
.reading{background:#f6f8fb;border-left:4px solid ACCENT;padding:10px 14px}
figure{margin:12px 0;text-align:center}
figure img{max-width:100%;height:auto}
figcaption{font-size:.85em;color:#555}
table.table{border-collapse:collapse;font-size:.82em;margin-bottom:8px}
table.table th{background:PRIMARY;color:#fff;padding:3px 8px;text-align:right}
table.table td{padding:2px 8px;text-align:right;border-bottom:1px solid #eee}
.note{font-size:.8em;color:#777}
footer{margin-top:40px;color:#888;font-size:.8em;border-top:1px solid #ddd;padding-top:8px}
"""
