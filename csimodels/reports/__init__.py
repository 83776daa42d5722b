"""Reports a manager reads: every result to Excel, and Excel/PDF/HTML reports.

Examples
--------
>>> from csimodels.reports import write_excel
>>> callable(write_excel)
True
"""

from __future__ import annotations

from csimodels.reports.excel import excel_tables, read_sheet_table, write_excel

__all__ = ["excel_tables", "read_sheet_table", "write_excel"]
