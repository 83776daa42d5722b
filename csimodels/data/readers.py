"""Readers for the files practitioners have: SPSS ``.sav``, Stata ``.dta`` and Excel
sheets whose second row holds the item labels.

Each reader returns a :class:`SurveyFile` (the answers plus the metadata the file
carries); :meth:`SurveyFile.to_survey` merges that metadata with the caller's
``from_frame`` options (the caller's explicit options win), so a questionnaire exported
from SPSS needs no manual mapping. SPSS and Stata need the ``spss`` extra (pyreadstat);
Excel needs the ``excel`` extra (openpyxl).

Examples
--------
>>> import os, tempfile, pandas as pd
>>> from csimodels.data.readers import read_excel_labelled
>>> path = os.path.join(tempfile.mkdtemp(), "survey.xlsx")
>>> pd.DataFrame([["总体满意度", "质量"], [7, 8], [9, 6]], columns=["SAT", "QUAL"]).to_excel(
...     path, index=False)
>>> read_excel_labelled(path).labels
{'SAT': '总体满意度', 'QUAL': '质量'}
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from csimodels.errors import DataValidationError, OptionalDependencyError

if TYPE_CHECKING:
    from csimodels.data.survey import SurveyData

__all__ = ["SurveyFile", "read_excel_labelled", "read_spss", "read_stata"]


@dataclass(frozen=True)
class SurveyFile:
    """Answers read from a file, with the metadata the file carried.

    Attributes
    ----------
    frame : DataFrame
        The answers (codes as numbers; user-missing codes kept as they are).
    labels : dict of column to str
        Variable labels (columns without a label are absent).
    value_labels : dict of column to dict of code to str
        Value labels (e.g. ``{"SAT": {1: "很不满意", 99: "不知道"}}``).
    missing_codes : dict of column to list
        User-missing codes declared in the file.
    source : str
        The file read.
    """

    frame: pd.DataFrame
    labels: dict[str, str] = field(default_factory=dict)
    value_labels: dict[str, dict[Any, str]] = field(default_factory=dict)
    missing_codes: dict[str, list[Any]] = field(default_factory=dict)
    source: str = ""

    def to_survey(self, **options: Any) -> SurveyData:
        """A :class:`SurveyData` from the file, with ``from_frame`` ``options``.

        Variable labels become item labels and user-missing codes become missing
        codes (per item); explicit ``labels`` override the file's, explicit
        ``missing_codes`` are added to them. Value labels of segment and period columns
        replace their codes (``region`` 1/2 becomes "North"/"South"), so segments read
        as their labels; item answers stay numeric.
        """
        from csimodels.data.survey import SurveyData

        opts = dict(options)
        frame = self.frame.copy()
        segments = opts.get("segments") or ()
        segments = [segments] if isinstance(segments, str) else list(segments)
        period = opts.get("period")
        for col in [*segments, *([period] if period else [])]:
            mapping = self.value_labels.get(col)
            if mapping and col in frame.columns:
                frame[col] = frame[col].map(lambda v, m=mapping: m.get(v, v))
        special = set(segments) | {c for c in (opts.get("weight"), period) if c}
        items = opts.get("items")
        item_list = [c for c in frame.columns if c not in special] if items is None else list(items)
        labels = {k: v for k, v in self.labels.items() if k in item_list and v}
        labels.update(dict(opts.pop("labels", None) or {}))
        given = opts.pop("missing_codes", ())
        codes: dict[str, list[Any]] = {
            k: list(v) for k, v in self.missing_codes.items() if k in item_list
        }
        if isinstance(given, Mapping):
            for k, v in given.items():
                codes[str(k)] = [*codes.get(str(k), []), *v]
        elif given:
            if isinstance(given, (str, bytes)) or not isinstance(given, Sequence):
                raise DataValidationError(
                    f"missing_codes must be a list of codes or a dict of item to list, "
                    f"got {given!r}"
                )
            for item in item_list:
                codes[item] = [*codes.get(item, []), *given]
        codes = {k: sorted(set(v), key=str) for k, v in codes.items() if v}
        return SurveyData.from_frame(frame, labels=labels, missing_codes=codes, **opts)


def _pyreadstat() -> Any:
    try:
        import pyreadstat
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise OptionalDependencyError(
            "reading SPSS and Stata files needs pyreadstat: pip install 'csimodels[spss]'"
        ) from err
    return pyreadstat


def _user_missing(frame: pd.DataFrame, ranges: Mapping[str, Any]) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for col, spans in (ranges or {}).items():
        if col not in frame.columns:
            continue
        codes: list[Any] = []
        values = pd.to_numeric(frame[col], errors="coerce")
        for span in spans:
            lo, hi = span.get("lo"), span.get("hi")
            if lo is None or hi is None:
                continue
            if lo == hi:
                codes.append(lo)
            else:  # a range: the codes observed in it, and its ends
                inside = values[(values >= lo) & (values <= hi)].dropna().unique().tolist()
                codes.extend([lo, hi, *inside])
        norm = []
        for c in codes:
            if isinstance(c, float) and np.isfinite(c) and float(c).is_integer():
                c = int(c)
            norm.append(c)
        if norm:
            out[str(col)] = sorted(set(norm), key=str)
    return out


def _from_meta(frame: pd.DataFrame, meta: Any, source: str, with_missing: bool) -> SurveyFile:
    labels = {str(k): str(v) for k, v in (meta.column_names_to_labels or {}).items() if v}
    value_labels: dict[str, dict[Any, str]] = {}
    for col, mapping in (meta.variable_value_labels or {}).items():
        norm: dict[Any, str] = {}
        for code, text in mapping.items():
            if isinstance(code, float) and float(code).is_integer():
                norm[int(code)] = str(text)
                norm[float(code)] = str(text)
            else:
                norm[code] = str(text)
        value_labels[str(col)] = norm
    missing = _user_missing(frame, meta.missing_ranges) if with_missing else {}
    return SurveyFile(frame, labels, value_labels, missing, source)


def read_spss(path: str | os.PathLike[str]) -> SurveyFile:
    """Read an SPSS ``.sav``/``.zsav`` file with its labels and user-missing codes.

    Examples
    --------
    >>> from csimodels.data.readers import read_spss
    >>> read_spss  # doctest: +ELLIPSIS
    <function read_spss at ...>
    """
    prs = _pyreadstat()
    frame, meta = prs.read_sav(os.fspath(path), user_missing=True)
    return _from_meta(frame, meta, os.fspath(path), with_missing=True)


def read_stata(path: str | os.PathLike[str]) -> SurveyFile:
    """Read a Stata ``.dta`` file with its variable and value labels.

    Stata's missing values (``.``, ``.a``–``.z``) are read as missing answers.

    Examples
    --------
    >>> from csimodels.data.readers import read_stata
    >>> read_stata  # doctest: +ELLIPSIS
    <function read_stata at ...>
    """
    prs = _pyreadstat()
    frame, meta = prs.read_dta(os.fspath(path))
    return _from_meta(frame, meta, os.fspath(path), with_missing=False)


def read_excel_labelled(path: str | os.PathLike[str], *, sheet_name: str | int = 0) -> SurveyFile:
    """Read an Excel sheet whose first row holds column names and second row labels.

    Examples
    --------
    See the module example.
    """
    try:
        import openpyxl  # type: ignore[import-untyped]  # noqa: F401
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise OptionalDependencyError(
            "reading Excel files needs openpyxl: pip install 'csimodels[excel]'"
        ) from err
    raw = pd.read_excel(path, sheet_name=sheet_name)
    if raw.shape[0] < 1:
        raise DataValidationError(
            f"{os.fspath(path)}: the sheet has no label row (row 2) under the column names"
        )
    label_row = raw.iloc[0]
    labels = {str(c): str(v) for c, v in label_row.items() if isinstance(v, str) and v.strip()}
    body = raw.iloc[1:].reset_index(drop=True)
    columns: dict[str, Any] = {}
    for col in body.columns:
        converted = pd.to_numeric(body[col], errors="coerce")
        if converted.notna().sum() == body[col].notna().sum():
            columns[str(col)] = converted.astype(np.float64)
        else:
            columns[str(col)] = body[col].infer_objects()
    return SurveyFile(pd.DataFrame(columns), labels, {}, {}, os.fspath(path))
