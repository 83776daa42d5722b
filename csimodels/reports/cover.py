"""The cover of a batch of segment reports: the segments ranked, failures listed.

Examples
--------
>>> import tempfile, pathlib
>>> import pandas as pd
>>> from csimodels.reports.config import ReportBatchResult
>>> from csimodels.reports.template import ReportTemplate
>>> table = pd.DataFrame({"n": [300, 20], "status": ["written", "too_small"],
...     "reason": ["", "20 respondents"], "index": [71.2, float("nan")],
...     "ci_lower": [70.1, float("nan")], "ci_upper": [72.3, float("nan")],
...     "rank": [1.0, float("nan")], "files": ["a.pdf", ""], "seconds": [1.0, 0.0]},
...     index=pd.Index(["East", "West"], name="segment"))
>>> batch = ReportBatchResult(by="region", target="Satisfaction", table=table)
>>> files = write_cover(batch, ReportTemplate(), pathlib.Path(tempfile.mkdtemp()), ["html"])
>>> files[0].name
'cover.html'
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from csimodels.reports._i18n import tr
from csimodels.reports.report import Block, Chart, Document, _png, render_html
from csimodels.reports.template import ReportTemplate

if TYPE_CHECKING:
    from csimodels.reports.config import ReportBatchResult

__all__ = ["cover_document", "cover_reading", "write_cover"]


def cover_reading(batch: ReportBatchResult, language: str) -> str:
    """The cover's reading: how many reports, best and lowest segment, failures.

    Examples
    --------
    >>> import pandas as pd
    >>> from csimodels.reports.config import ReportBatchResult
    >>> t = pd.DataFrame({"n": [300, 280], "status": ["written", "failed"],
    ...     "reason": ["", "EstimationError: singular"], "index": [71.24, float("nan")],
    ...     "ci_lower": [70.1, float("nan")], "ci_upper": [72.3, float("nan")],
    ...     "rank": [1.0, float("nan")]}, index=pd.Index(["East", "West"], name="segment"))
    >>> text = cover_reading(ReportBatchResult(by="region", target="Satisfaction", table=t), "en")
    >>> print(text.replace(". ", ".\\n"))
    2 segments by region: 1 report written, 1 failed (West: EstimationError: singular).
    Satisfaction index: highest East 71.2 (95% CI 70.1–72.3).
    """
    t = batch.table
    written = t[t["status"] == "written"]
    failed = t[t["status"] == "failed"]
    small = t[t["status"] == "too_small"]
    zh = language == "zh"
    target = batch.target or ""
    if zh and batch.settings.get("target_label"):
        target = str(batch.settings["target_label"])
    parts: list[str] = []
    if zh:
        parts.append(
            f"按{batch.by}共 {len(t)} 个细分：已生成 {len(written)} 份报告"
            + (
                f"，{len(failed)} 个失败（"
                + "；".join(f"{i}：{r}" for i, r in failed["reason"].items())
                + "）"
                if len(failed)
                else ""
            )
            + (
                f"，{len(small)} 个样本过少（" + "、".join(map(str, small.index)) + "）"
                if len(small)
                else ""
            )
            + "。"
        )
    else:
        noun = "report" if len(written) == 1 else "reports"
        parts.append(
            f"{len(t)} segments by {batch.by}: {len(written)} {noun} written"
            + (
                f", {len(failed)} failed ("
                + "; ".join(f"{i}: {r}" for i, r in failed["reason"].items())
                + ")"
                if len(failed)
                else ""
            )
            + (
                f", {len(small)} too small (" + ", ".join(map(str, small.index)) + ")"
                if len(small)
                else ""
            )
            + "."
        )
    ranked = written.dropna(subset=["index"]).sort_values("index", ascending=False)
    if len(ranked):
        best, worst = ranked.iloc[0], ranked.iloc[-1]

        def ci(row: Any) -> str:
            lo, hi = float(row["ci_lower"]), float(row["ci_upper"])
            if math.isnan(lo) or math.isnan(hi):
                return ""
            return f"（95% 置信区间 {lo:.1f}–{hi:.1f}）" if zh else f" (95% CI {lo:.1f}–{hi:.1f})"

        if zh:
            text = f"{target}指数：最高 {ranked.index[0]} {best['index']:.1f}{ci(best)}"
            if len(ranked) > 1:
                text += f"，最低 {ranked.index[-1]} {worst['index']:.1f}{ci(worst)}"
            parts.append(text + "。")
        else:
            text = f"{target} index: highest {ranked.index[0]} {best['index']:.1f}{ci(best)}"
            if len(ranked) > 1:
                text += f", lowest {ranked.index[-1]} {worst['index']:.1f}{ci(worst)}"
            parts.append(text + ".")
    return ("" if zh else " ").join(parts)


def cover_document(batch: ReportBatchResult, template: ReportTemplate) -> Document:
    """The cover as a :class:`~csimodels.reports.report.Document`."""
    from csimodels.reports.charts import segment_ranking

    lang = template.language
    t = batch.table
    written = t[(t["status"] == "written") & t["index"].notna()]
    charts: list[Chart] = []
    if len(written):
        frame = written[["index", "ci_lower", "ci_upper"]].rename(columns={"index": "estimate"})
        name = batch.settings.get("target_label") if lang == "zh" else None
        name = name or batch.target
        title = f"{tr('Segment ranking', lang)} · {name}" if name else None
        ax = segment_ranking(frame, language=lang, title=title)
        charts.append(Chart(tr("Segment ranking", lang), _png(ax)))
    shown = t.drop(columns=[c for c in ("files", "seconds") if c in t.columns])
    shown = shown.sort_values(["rank", "status"], na_position="last")
    shown = shown.assign(  # display only: ranks as whole numbers, statuses in words
        rank=["" if r != r else f"{r:.0f}" for r in shown["rank"]],
        status=[tr(str(v), lang) for v in shown["status"]],
    )
    block = Block(
        tr("Segment ranking", lang),
        cover_reading(batch, lang),
        charts,
        {"Segments": shown},
        anchor="ranking",
    )
    subtitle = " | ".join(x for x in (template.subtitle, f"{tr('Segment', lang)}: {batch.by}") if x)
    return Document(template.title, subtitle, template, [block])


def write_cover(
    batch: ReportBatchResult, template: ReportTemplate, folder: Path, formats: Sequence[str]
) -> list[Path]:
    """Write ``cover.<format>`` for each format; returns the files."""
    from csimodels.reports._pdf import write_pdf

    doc = cover_document(batch, template)
    files: list[Path] = []
    for fmt in formats:
        path = folder / f"cover.{fmt}"
        if fmt == "html":
            path.write_text(render_html(doc), encoding="utf-8")
        elif fmt == "pdf":
            write_pdf(doc, path)
        else:
            _cover_excel(batch, doc, template, path)
        files.append(path)
    return files


def _cover_excel(
    batch: ReportBatchResult, doc: Document, template: ReportTemplate, path: Path
) -> None:
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.drawing.image import Image  # type: ignore[import-untyped]
    from openpyxl.styles import Alignment, Font  # type: ignore[import-untyped]

    from csimodels.reports.excel import write_excel

    lang = template.language
    book = Workbook()
    ws = book.active
    ws.title = tr("Segment ranking", lang)[:31]
    ws.column_dimensions["A"].width = 110
    ws["A1"] = doc.title
    ws["A1"].font = Font(bold=True, size=16, color=template.primary.lstrip("#"))
    ws["A2"] = doc.subtitle
    ws["A4"] = doc.blocks[0].reading
    ws["A4"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[4].height = 45
    for chart in doc.blocks[0].charts:
        img = Image(io.BytesIO(chart.png))
        scale = min(1.0, 720 / img.width)
        img.width, img.height = img.width * scale, img.height * scale
        ws.add_image(img, "A6")
    write_excel(batch, book, language=lang)
    book.save(path)
