"""PDF output of a report with reportlab (the ``pdf`` extra).

Chinese text uses reportlab's built-in CID font STSong-Light (Adobe-GB1; viewers
supply the glyphs, so no font file is needed), or the template's TrueType font,
which is embedded. The text stays text: it can be searched and extracted.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from csimodels.errors import InvalidParameterError, OptionalDependencyError
from csimodels.reports._i18n import tr
from csimodels.reports.report import _DPI

if TYPE_CHECKING:
    from csimodels.reports.report import Document

__all__ = ["pdf_fonts", "write_pdf"]

CID_FONT = "STSong-Light"
_ASCII_RUN = re.compile(r"[!-~](?:[ -~]*[!-~])?")
_NON_LATIN = re.compile(r"[^\x00-\u024f\u2000-\u206f\u2190-\u22ff]")


def _cid_safe(text: str) -> str:
    """Characters STSong-Light lacks, replaced by ones it has (the middle dot)."""
    return text.replace("\u00b7", "\u30fb")


def _clip(text: str, width: int = 28) -> str:
    """Table cells stay on one line: long text is cut with an ellipsis."""
    return text if len(text) <= width else text[: width - 1] + "…"


def _reportlab() -> None:
    try:
        import reportlab  # noqa: F401
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise OptionalDependencyError(
            'PDF reports need reportlab: pip install "csimodels[pdf]"'
        ) from err


def pdf_fonts(*, cjk: bool, font: str | None = None) -> tuple[str, str]:
    """Register and return ``(regular, bold)`` font names for a report.

    Without Chinese text: Helvetica. With it: the given TrueType file (embedded), or
    the CID font STSong-Light (regular and bold alike).

    Examples
    --------
    >>> pdf_fonts(cjk=False)
    ('Helvetica', 'Helvetica-Bold')
    >>> pdf_fonts(cjk=True)
    ('STSong-Light', 'STSong-Light')
    """
    _reportlab()
    from reportlab.pdfbase import pdfmetrics

    if font is not None:
        from reportlab.pdfbase.ttfonts import TTFError, TTFont

        name = "CSI-" + Path(font).stem
        if name not in pdfmetrics.getRegisteredFontNames():
            try:
                pdfmetrics.registerFont(TTFont(name, font))
            except (TTFError, OSError) as err:
                raise InvalidParameterError(
                    f"the template's font {font!r} cannot be embedded ({err}); give a TrueType "
                    "(.ttf, glyf outlines) font, or leave it out to use STSong-Light"
                ) from err
        return name, name
    if not cjk:
        return "Helvetica", "Helvetica-Bold"
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if CID_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CID_FONT))
    return CID_FONT, CID_FONT


def _table_data(table: pd.DataFrame, language: str) -> list[list[str]]:
    from csimodels.reports.report import _display, _fmt

    shown = _display(table)
    lang = "zh" if language == "zh" else "en"
    names = [tr(str(n), lang) if n is not None else "" for n in shown.index.names]
    header = [*names, *(tr(str(c), "zh" if language == "zh" else "en") for c in shown.columns)]
    rows = []
    for idx, row in shown.iterrows():
        keys = list(idx) if isinstance(idx, tuple) else [idx]
        rows.append([*(str(k) for k in keys), *(_fmt(v) for v in row.tolist())])
    return [header, *rows]


def write_pdf(report: Document, path: Path) -> None:
    """Lay the report out on A4 pages: header with logo, sections, page numbers."""
    _reportlab()
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        Image,
        KeepTogether,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )
    from reportlab.platypus.flowables import HRFlowable

    t = report.template
    lang = t.language
    regular, bold = pdf_fonts(cjk=report.needs_cjk(), font=t.font)
    primary = colors.HexColor(t.primary)
    accent = colors.HexColor(t.accent)
    cjk = regular != "Helvetica"
    wrap = "CJK" if cjk else None
    base = ParagraphStyle("body", fontName=regular, fontSize=9.5, leading=14, wordWrap=wrap)
    h1 = ParagraphStyle(
        "h1", parent=base, fontName=bold, fontSize=20, leading=26, textColor=primary, spaceAfter=4
    )
    h2 = ParagraphStyle(
        "h2",
        parent=base,
        fontName=bold,
        fontSize=14,
        leading=19,
        textColor=primary,
        spaceBefore=10,
        spaceAfter=4,
    )
    h3 = ParagraphStyle(
        "h3", parent=base, fontName=bold, fontSize=10, leading=14, spaceBefore=6, spaceAfter=2
    )
    reading = ParagraphStyle(
        "reading",
        parent=base,
        backColor=colors.HexColor("#F4F7FB"),
        borderColor=accent,
        borderWidth=0,
        borderPadding=6,
        leftIndent=6,
        rightIndent=6,
        spaceBefore=4,
        spaceAfter=10,
    )
    small = ParagraphStyle(
        "small", parent=base, fontSize=7.5, leading=10, textColor=colors.HexColor("#555555")
    )
    width = A4[0] - 36 * mm

    def esc(text: str) -> str:
        out = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        if regular == CID_FONT:
            out = _cid_safe(out)
            # the CID font's Latin glyphs are poorly spaced: Latin runs in Helvetica
            out = _ASCII_RUN.sub(lambda m: f'<font name="Helvetica">{m.group(0)}</font>', out)
        # superscript two (R², f²) is not in every CJK font
        return out.replace("²", "<super>2</super>")

    story: list[Any] = [
        Paragraph(esc(report.title), h1),
        Paragraph(esc(report.subtitle), small),
        HRFlowable(width="100%", thickness=2, color=primary, spaceBefore=4, spaceAfter=8),
    ]
    for i, s in enumerate(report.blocks, start=1):
        story.append(Paragraph(f"{i}. {esc(s.title)}", h2))
        if s.reading:
            story.append(Paragraph(esc(s.reading), reading))
        for chart in s.charts:
            img = Image(io.BytesIO(chart.png))
            # print charts at 3/4 of their size, at most the text width and 110 mm high
            natural = 0.75 * 72 / _DPI
            scale = min(natural, width / img.imageWidth, 110 * mm / img.imageHeight)
            img.drawWidth, img.drawHeight = img.imageWidth * scale, img.imageHeight * scale
            story.append(KeepTogether([img, Paragraph(esc(chart.caption), small)]))
            story.append(Spacer(1, 4))
        for name, table in s.tables.items():
            data = _table_data(table, lang)
            cells = [[_clip(c) for c in row] for row in data]
            tbl = Table(cells, repeatRows=1, hAlign="LEFT")
            style = [
                ("FONTNAME", (0, 0), (-1, -1), "Helvetica"),
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("FONTSIZE", (0, 0), (-1, -1), 7.2),
                ("LEADING", (0, 0), (-1, -1), 8.6),
                ("TEXTCOLOR", (0, 0), (-1, -1), colors.HexColor("#333333")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E3ECF5")),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, primary),
                ("LINEBELOW", (0, -1), (-1, -1), 0.4, colors.HexColor("#BBBBBB")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ]
            if cjk:  # cells with Chinese text in the CJK font, the others in Helvetica
                for i, row in enumerate(cells):
                    for j, cell in enumerate(row):
                        if _NON_LATIN.search(cell):
                            style.append(("FONTNAME", (j, i), (j, i), regular))
            tbl.setStyle(TableStyle(style))
            story.append(Paragraph(esc(tr(name, lang)), h3))
            story.append(tbl)
            if len(table) > len(data) - 1:
                story.append(
                    Paragraph(
                        esc(
                            f"{len(data) - 1} / {len(table)} "
                            + (
                                "行；完整表格见 Excel 工作簿。"
                                if lang == "zh"
                                else "rows shown; the workbook holds the full table."
                            )
                        ),
                        small,
                    )
                )
    logo = t.logo

    def page(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setStrokeColor(primary)
        canvas.setLineWidth(0.6)
        canvas.line(18 * mm, 14 * mm, A4[0] - 18 * mm, 14 * mm)
        canvas.setFont(regular, 7.5)
        canvas.setFillColor(colors.HexColor("#666666"))
        title = _cid_safe(report.title) if regular == CID_FONT else report.title
        canvas.drawString(18 * mm, 9.5 * mm, title[:90])
        canvas.drawRightString(A4[0] - 18 * mm, 9.5 * mm, str(doc.page))
        if logo:
            canvas.drawImage(
                logo,
                A4[0] - 18 * mm - 30 * mm,
                A4[1] - 16 * mm,
                width=30 * mm,
                height=10 * mm,
                preserveAspectRatio=True,
                anchor="ne",
                mask="auto",
            )
        canvas.restoreState()

    doc = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
        title=report.title,
        author="csimodels",
        lang="zh-CN" if lang == "zh" else "en",
    )
    try:
        doc.build(story, onFirstPage=page, onLaterPages=page)
    except OSError as err:
        raise InvalidParameterError(
            f"parameter 'path' of Report.write_pdf must be writable, got {str(path)!r} ({err})"
        ) from err
