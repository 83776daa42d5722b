"""Cost of read-only data: copy-on-access ``SurveyData.frame`` and result tables.

Times, in one run, (a) one access to ``data.frame`` and to a result table with the
copy-on-write protection and with plain attribute access (the descriptors removed), and
(b) whole fits (ECSI on mobi by PLS, a 24-item description, an AHP fit) both ways, and
prints the ratios. Run: ``python benchmarks/read_only_tables.py``.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

import csimodels as csi
from csimodels.data.survey import SurveyData
from csimodels.results import _table_fields, _TableCopy

MOBI = Path(__file__).resolve().parents[2] / "shared" / "data" / "mobi.csv"


def best_of(fn: Callable[[], Any], repeat: int = 5, number: int = 1) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return min(times)


def protected_classes() -> list[tuple[type, str]]:
    out: list[tuple[type, str]] = [(SurveyData, "frame")]
    stack = list(csi.Result.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        out.extend((cls, name) for name in _table_fields(cls) if name in cls.__dict__)
    return out


def unprotect(pairs: list[tuple[type, str]]) -> None:
    for cls, name in pairs:
        if isinstance(cls.__dict__.get(name), _TableCopy):
            delattr(cls, name)


def protect(pairs: list[tuple[type, str]]) -> None:
    for cls, name in pairs:
        setattr(cls, name, _TableCopy(name))


def main() -> None:
    warnings.simplefilter("ignore")
    mobi = pd.read_csv(MOBI) if MOBI.exists() else csi.datasets.load_example("acsi_demo").frame
    data = SurveyData.from_frame(mobi, scale=(1, 10)) if MOBI.exists() else None
    data = data or csi.datasets.load_example("acsi_demo")
    ecsi_items = {
        "Image": ["IMAG1", "IMAG2", "IMAG3", "IMAG4", "IMAG5"],
        "Expectation": ["CUEX1", "CUEX2", "CUEX3"],
        "Quality": ["PERQ1", "PERQ2", "PERQ3", "PERQ4", "PERQ5", "PERQ6", "PERQ7"],
        "Value": ["PERV1", "PERV2"],
        "Satisfaction": ["CUSA1", "CUSA2", "CUSA3"],
        "Complaints": ["CUSCO"],
        "Loyalty": ["CUSL1", "CUSL2", "CUSL3"],
    }
    ahp = csi.AHP()
    matrix = [[1, 3, 5, 7], [1 / 3, 1, 3, 5], [1 / 5, 1 / 3, 1, 3], [1 / 7, 1 / 5, 1 / 3, 1]]
    res = ahp.fit(matrix)
    work: dict[str, Callable[[], Any]] = {
        "data.frame (one access)": lambda: data.frame,
        "result.weights (one access)": lambda: res.weights,
        "describe() of 24 items": data.describe,
        "AHP fit, n = 4": lambda: ahp.fit(matrix),
    }
    if MOBI.exists():
        model = csi.ECSI(indicators=ecsi_items)
        work["ECSI fit on mobi (PLS)"] = lambda: model.fit(data)
        work["ECSI on mobi, 200 bootstrap resamples"] = lambda: model.fit(
            data, bootstrap=200, random_state=1
        )
    pairs = protected_classes()
    print(f"{'operation':<40} {'read-only':>12} {'plain':>12} {'ratio':>7}")
    for name, fn in work.items():
        number = 2000 if "access" in name else 1
        protect(pairs)
        guarded = best_of(fn, number=number)
        unprotect(pairs)
        plain = best_of(fn, number=number)
        protect(pairs)
        print(f"{name:<40} {guarded * 1e6:10.1f}us {plain * 1e6:10.1f}us {guarded / plain:7.2f}")


if __name__ == "__main__":
    main()
