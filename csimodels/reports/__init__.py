"""Reports a manager reads: every result to Excel, and Excel/PDF/HTML reports.

- :func:`write_excel` (``result.to_excel(...)``): any result to a workbook.
- :class:`Report`: sections (a result, its charts, a generated reading) in the order
  of a :class:`ReportTemplate`, written to ``.xlsx``, ``.pdf`` and ``.html``.
- :func:`build_report` / :func:`write_reports`: the sections fitted from a survey and
  a TOML configuration, one report per segment with a cover ranking the segments.

Examples
--------
>>> from csimodels.reports import Report, ReportTemplate
>>> ReportTemplate().language
'en'
"""

from __future__ import annotations

from csimodels.reports.config import ReportBatchResult, ReportConfig, build_report, write_reports
from csimodels.reports.excel import excel_tables, read_sheet_table, write_excel
from csimodels.reports.reading import Reading, read_section
from csimodels.reports.report import FORMATS, Chart, Report, Section
from csimodels.reports.template import SECTION_KINDS, ReportTemplate

__all__ = [
    "FORMATS",
    "SECTION_KINDS",
    "Chart",
    "Reading",
    "Report",
    "ReportBatchResult",
    "ReportConfig",
    "ReportTemplate",
    "Section",
    "build_report",
    "excel_tables",
    "read_section",
    "read_sheet_table",
    "write_excel",
    "write_reports",
]
