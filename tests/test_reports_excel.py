"""Every result class to Excel: open each workbook with openpyxl and check that every
sheet holds its table's values at full precision, with titles, labels next to codes,
frozen headers and the display number format of ``summary()``.

The reference for each sheet is the result's own table (the field the sheet came
from, read with ``getattr``), not the writer's intermediate frames.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest

import csimodels
import csimodels.results as results_module
from csimodels.errors import InvalidParameterError
from csimodels.reports._examples import EXAMPLE_BUILDERS, example_result
from csimodels.reports.excel import HEADER_ROW, RAW_TABLES, excel_tables, read_sheet_table
from csimodels.results import POOLED

for _m in pkgutil.walk_packages(csimodels.__path__, "csimodels."):
    if not _m.name.endswith("__main__"):
        importlib.import_module(_m.name)

_CACHE: dict[str, Any] = {}


def _example(name: str) -> Any:
    if name not in _CACHE:
        _CACHE[name] = example_result(name)
    return _CACHE[name]


def test_every_result_class_has_an_example() -> None:
    library = [
        c for c in results_module._RESULT_TYPES.values() if c.__module__.startswith("csimodels.")
    ]
    # concrete classes: a base shared by several results (EventsResult) is not exported
    names = {
        c.__name__ for c in library if not any(o is not c and issubclass(o, c) for o in library)
    }
    assert names <= set(EXAMPLE_BUILDERS)


def _resolve(result: Any, key: str) -> pd.DataFrame:
    """The table a sheet came from, straight from the result's fields."""
    if ":" in key:  # a table only summary() shows
        path, title = key.split("summary:")
        owner = result
        for part in [p for p in path.split(".") if p]:
            owner = getattr(owner, part)
        table = owner._summary_parts()[1][title]
    else:
        owner = result
        for part in key.split("."):
            owner = getattr(owner, part)
        table = owner
    return table.to_frame() if isinstance(table, pd.Series) else table


def _flat_columns(frame: pd.DataFrame) -> list[str]:
    if isinstance(frame.columns, pd.MultiIndex):
        return [" / ".join(str(p) for p in c) for c in frame.columns]
    return [str(c) for c in frame.columns]


def _assert_block_equals(sheet: pd.DataFrame, table: pd.DataFrame, *, union: int = 0) -> None:
    """Values on the sheet equal the table's at full precision, column by column.

    ``union``: the sheet combines segments whose tables have different columns; it
    holds this many value columns and the table's are picked by name.
    """
    assert len(sheet) == len(table)
    cols = _flat_columns(table)
    width = union or len(cols)
    # the value columns are the last ones of the sheet, after the index and labels
    n_lead = sheet.shape[1] - width
    values = sheet.iloc[:, n_lead:]
    if union:
        values = values[cols]
        sheet = pd.concat([sheet.iloc[:, :n_lead], values], axis=1)
    assert list(values.columns) == cols
    for j, col in enumerate(cols):
        want = table.iloc[:, j]
        got = values.iloc[:, j]
        if pd.api.types.is_numeric_dtype(want.dtype) and not pd.api.types.is_bool_dtype(want.dtype):
            w = want.to_numpy(dtype=float)
            g = np.array(
                [np.nan if (isinstance(x, float) and np.isnan(x)) else x for x in got],
                dtype=object,
            )
            finite = np.isfinite(w)
            assert np.array_equal(
                g[~finite & ~np.isinf(w)].astype(float), w[np.isnan(w)], equal_nan=True
            )
            assert np.array_equal(g[finite].astype(float), w[finite]), col  # exact
        elif pd.api.types.is_bool_dtype(want.dtype):
            assert [bool(x) for x in got] == [bool(x) for x in want], col
        else:
            for x, y in zip(got, want, strict=True):
                if y is None or y is pd.NA or y == "" or (isinstance(y, float) and np.isnan(y)):
                    assert x is None or (isinstance(x, float) and np.isnan(x))
                else:
                    assert str(x) == str(y), col

    # the index levels are the first columns, their values as written
    def text(v: Any) -> str:  # an empty cell, NaN and "" are all empty
        return "" if v is None or v == "" or (isinstance(v, float) and np.isnan(v)) else str(v)

    n_levels = table.index.nlevels
    for level in range(n_levels):
        want_idx = [text(v) for v in table.index.get_level_values(level)]
        got_cols = [c for c in sheet.columns[:n_lead] if "label" not in c]
        assert [text(v) for v in sheet[got_cols[level]]] == want_idx


@pytest.mark.parametrize("name", sorted(EXAMPLE_BUILDERS))
def test_every_result_to_excel_at_full_precision(name: str, tmp_path: Path) -> None:
    result = _example(name)
    path = result.to_excel(tmp_path / f"{name}.xlsx")
    assert path == tmp_path / f"{name}.xlsx"
    book = openpyxl.load_workbook(path)
    tables, omitted = excel_tables(result)
    assert all(k.split(".")[-1].split("/")[-1] in RAW_TABLES for k in omitted)
    sheets = book.sheetnames
    assert sheets[0] == "Summary" and sheets[-1] == "Notes and settings"
    assert len(sheets) == len(tables) + 2
    for ws_name, table in zip(sheets[1:-1], tables, strict=True):
        ws = book[ws_name]
        title, sheet = read_sheet_table(ws)
        assert title == table.title
        assert ws.freeze_panes is not None and ws.freeze_panes.endswith(str(HEADER_ROW + 1))
        if table.group_column is None:
            _assert_block_equals(sheet, _resolve(result, table.key))
        else:  # a combined segment table: each segment's rows are that segment's table
            field, sub_key = table.key.split("/")
            group = dict(getattr(result, field))
            if field == "segments" and getattr(result, "pooled", None) is not None:
                group[POOLED] = result.pooled
            seg_col = sheet.columns[0]
            n_values = len(_flat_columns(table.frame))
            for seg, sub in group.items():
                rows = sheet[sheet[seg_col].astype(str) == str(seg)].drop(columns=seg_col)
                want = _resolve(sub, sub_key)
                _assert_block_equals(rows.reset_index(drop=True), want, union=n_values)
    notes_ws = book[sheets[-1]]
    written = [
        notes_ws.cell(row=r, column=2).value for r in range(HEADER_ROW + 1, notes_ws.max_row + 1)
    ]
    for note in result.notes:
        assert note in written


def test_float_cells_use_the_summary_format_and_labels_sit_next_to_codes(tmp_path: Path) -> None:
    result = _example("PLSResult")
    path = result.to_excel(tmp_path / "pls.xlsx", language="zh")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[0] == "概要" and book.sheetnames[-1] == "说明与设置"
    ws = book["路径系数"]
    assert ws["A1"].value == "路径系数"
    header = [c.value for c in ws[HEADER_ROW]]
    assert header[:5] == ["自", "自标签", "至", "至标签", "估计值"]
    assert ws.cell(row=HEADER_ROW + 1, column=2).value == result.construct_labels["Expectations"]
    cell = ws.cell(row=HEADER_ROW + 1, column=5)
    assert cell.number_format == "0.0000"
    assert cell.value == float(result.paths["estimate"].iloc[0])  # full precision kept
    assert ws.freeze_panes == f"E{HEADER_ROW + 1}"
    assert ws.column_dimensions["B"].width >= 10  # Chinese labels count double width


def test_item_labels_passed_by_the_caller(tmp_path: Path) -> None:
    data = csimodels.datasets.load_example("acsi_demo")
    result = _example("PLSResult")
    path = result.to_excel(tmp_path / "pls.xlsx", labels=data.labels())
    ws = openpyxl.load_workbook(path)["Outer model"]
    header = [c.value for c in ws[HEADER_ROW]]
    assert header[:4] == ["construct", "construct label", "indicator", "indicator label"]
    assert ws.cell(row=HEADER_ROW + 1, column=4).value == data.labels()["EXP1"]


def test_segments_one_sheet_each(tmp_path: Path) -> None:
    result = _example("SegmentedPLSResult")
    path = result.to_excel(tmp_path / "seg.xlsx", segments="sheet")
    book = openpyxl.load_workbook(path)
    names = [n for n in book.sheetnames if n.startswith("region ")]
    pooled = [POOLED] if result.pooled is not None else []
    assert names == [f"region {s}" for s in [*pooled, *result.segments]]
    ws = book["region East"]
    # blocks stacked: the first is the outer model of East
    title, block = read_sheet_table(ws)
    assert title == "East: Outer model"
    assert np.array_equal(
        block["weight"].astype(float).to_numpy(), result.segments["East"].outer["weight"].to_numpy()
    )


def test_raw_tables_on_request(tmp_path: Path) -> None:
    sim = csimodels.datasets.simulate_csi_survey("acsi", n=150, random_state=5)
    result = csimodels.ACSI(indicators=sim.data.constructs).fit(
        sim.data, bootstrap=10, random_state=1
    )
    lean = openpyxl.load_workbook(result.to_excel(tmp_path / "a.xlsx")).sheetnames
    full = openpyxl.load_workbook(result.to_excel(tmp_path / "b.xlsx", raw=True)).sheetnames
    assert "Scores" not in lean and "Scores" in full
    ws = openpyxl.load_workbook(tmp_path / "b.xlsx")["Scores"]
    assert ws.cell(row=HEADER_ROW + 1, column=2).value == float(result.scores.iloc[0, 0])
    _, sheet = read_sheet_table(ws)
    _assert_block_equals(sheet, result.scores)


def test_into_an_open_writer(tmp_path: Path) -> None:
    result = _example("AHPResult")
    with pd.ExcelWriter(tmp_path / "w.xlsx", engine="openpyxl") as writer:
        pd.DataFrame({"x": [1]}).to_excel(writer, sheet_name="Mine")
        assert result.to_excel(writer) is None
    names = openpyxl.load_workbook(tmp_path / "w.xlsx").sheetnames
    assert names[0] == "Mine" and "Priorities" in names


def test_bad_paths_and_options(tmp_path: Path) -> None:
    result = _example("AHPResult")
    with pytest.raises(InvalidParameterError, match="does not exist"):
        result.to_excel(tmp_path / "no" / "such" / "dir.xlsx")
    with pytest.raises(InvalidParameterError, match=r"\.xlsx"):
        result.to_excel(tmp_path / "x.csv")
    with pytest.raises(InvalidParameterError, match="must be a file"):
        (tmp_path / "d.xlsx").mkdir()
        result.to_excel(tmp_path / "d.xlsx")
    with pytest.raises(InvalidParameterError, match="language"):
        result.to_excel(tmp_path / "x.xlsx", language="fr")
    with pytest.raises(InvalidParameterError, match="segments"):
        result.to_excel(tmp_path / "x.xlsx", segments="rows")
    with pytest.raises(InvalidParameterError, match="path_or_writer"):
        result.to_excel(42)
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        import os

        if not os.access(ro, os.W_OK):  # root can write anywhere
            with pytest.raises(InvalidParameterError, match="writable"):
                result.to_excel(ro / "x.xlsx")
    finally:
        ro.chmod(0o700)
