"""The demo report: every section on the library's example data, in one call.

``csimodels demo --report out/`` writes ``out/demo_report.pdf``, ``.html`` and
``.xlsx`` (and ``--by region`` adds one report per region with a cover).
"""

from __future__ import annotations

import warnings
from pathlib import Path

from csimodels.reports.config import ReportConfig, build_report
from csimodels.reports.report import Report, Section
from csimodels.reports.template import ReportTemplate

__all__ = ["DEMO_CONFIG", "demo_report", "write_demo_report"]

DEMO_CONFIG: dict[str, dict[str, object]] = {
    "report": {"sections": ["data", "index", "drivers", "trends"]},
    "index": {"model": "ACSI", "bootstrap": 500, "random_state": 20251},
    "trends": {"series": ["Satisfaction", "SAT1"]},
}
"""The configuration of the survey-driven sections of the demo report."""


def demo_report(language: str = "en") -> Report:
    """The demo report: the example survey's sections plus SERVQUAL, Kano, AHP and FCE.

    Examples
    --------
    >>> r = demo_report("zh")  # doctest: +SKIP
    >>> [s.kind for s in r.sections]  # doctest: +SKIP
    ['data', 'index', 'drivers', 'servqual', 'kano', 'ahp', 'fce', 'trends']
    """
    import csimodels as csi
    from csimodels.reports._examples import example_result

    zh = language == "zh"
    template = ReportTemplate(
        title="客户满意度分析报告（示例）" if zh else "Customer satisfaction report (demo)",
        subtitle="acsi_demo · 2025Q4",
        language="zh" if zh else "en",
    )
    data = csi.datasets.load_example("acsi_demo")
    with warnings.catch_warnings():  # the notes are kept in each result
        warnings.simplefilter("ignore")
        cfg = ReportConfig.from_dict(DEMO_CONFIG)
        survey = build_report(data, cfg)
        extra = [
            Section("servqual", example_result("SERVQUALResult")),
            Section("kano", example_result("KanoResult")),
            Section("ahp", example_result("AHPResult")),
            Section("fce", example_result("FCETreeResult")),
        ]
    sections = [Section(s.kind, s.result, context=s.context) for s in survey.sections]
    return Report(
        [*sections, *extra],
        template=template,
    )


def write_demo_report(out: str | Path, *, language: str = "en") -> list[Path]:
    """Write the demo report to ``out/demo_report.{pdf,html,xlsx}``; returns the files.

    Examples
    --------
    >>> import tempfile
    >>> files = write_demo_report(tempfile.mkdtemp())  # doctest: +SKIP
    """
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    return demo_report(language).write(folder / "demo_report", formats=("pdf", "html", "xlsx"))
