"""Checks every public data-taking model must pass (in the spirit of scikit-learn's
``check_estimator``): fitting leaves the model and the caller's frame unchanged, the
same input gives the same result, the result survives a JSON round trip, and empty or
non-numeric input raises a csimodels error naming the column.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest

import csimodels as csi
from csimodels.datasets.kano import simulate_kano_survey
from csimodels.datasets.servqual import simulate_servqual_survey
from csimodels.errors import CSIModelsError, DataValidationError


@dataclass
class Case:
    name: str
    model: Any
    frame: Callable[[], pd.DataFrame]
    kwargs: dict[str, Any]
    column: str  # an answer column the model reads


def _acsi_frame() -> pd.DataFrame:
    return csi.datasets.simulate_csi_survey("acsi", n=300, weights=True, random_state=1).frame


def _servqual_frame() -> pd.DataFrame:
    return simulate_servqual_survey(n=200, random_state=1).frame


def _trend_frame() -> pd.DataFrame:
    return csi.datasets.simulate_csi_survey(
        "scsi", n=600, periods={"Q1": 0.0, "Q2": 0.0, "Q3": 0.0}, weights=True, random_state=2
    ).frame


def _kano_frame() -> pd.DataFrame:
    return simulate_kano_survey(n=300, random_state=1).frame


_ACSI_ITEMS = csi.sem.CSI_STRUCTURES["acsi"].items
_KANO = simulate_kano_survey(n=10, random_state=0)

CASES = [
    Case(
        "ACSI (PLS)",
        csi.ACSI(indicators=_ACSI_ITEMS),
        _acsi_frame,
        {"scale": (1, 10), "weight": "weight"},
        "SAT2",
    ),
    Case(
        "ACSI (PLS, bootstrap)",
        csi.ACSI(indicators=_ACSI_ITEMS),
        _acsi_frame,
        {"scale": (1, 10), "bootstrap": 30, "random_state": 4},
        "QUAL1",
    ),
    Case("SERVQUAL", csi.SERVQUAL(), _servqual_frame, {}, "P5"),
    Case(
        "Kano",
        csi.Kano(features=_KANO.features),
        _kano_frame,
        {},
        next(iter(_KANO.features.values()))[0],
    ),
    Case(
        "TrendMonitor",
        csi.TrendMonitor(series=["SAT2", "SAT1"], periods=("Q1", "Q2", "Q3")),
        _trend_frame,
        {"scale": (1, 10), "weight": "weight", "period": "period"},
        "SAT2",
    ),
    Case(
        "DriverAnalysis",
        csi.DriverAnalysis(attributes=["QUAL1", "QUAL2", "VAL1"], overall="SAT1"),
        _acsi_frame,
        {},
        "QUAL2",
    ),
]


def _factor_frame() -> pd.DataFrame:
    return csi.explore.simulate_factor_data(n=300, random_state=1).data.frame


def _segment_frame() -> pd.DataFrame:
    return csi.explore.simulate_segments(n=240, random_state=1).data.frame


_FACTOR_ITEMS = [f"{f}{i}" for f in "ABC" for i in range(1, 5)]
CASES += [
    Case(
        "EFA",
        csi.EFA(parallel_draws=20),
        _factor_frame,
        {"items": _FACTOR_ITEMS, "random_state": 1},
        "B2",
    ),
    Case("Reliability", csi.Reliability(), _factor_frame, {"items": _FACTOR_ITEMS[:4]}, "A3"),
    Case(
        "ScreenResponses",
        csi.ScreenResponses(),
        _factor_frame,
        {"items": _FACTOR_ITEMS},
        "C1",
    ),
    Case(
        "Segmentation",
        csi.Segmentation(k_range=(2, 4), n_init=2),
        _segment_frame,
        {"items": ["Q1", "Q2", "Q3", "Q4", "Q5", "Q6"], "random_state": 1},
        "Q4",
    ),
]


@pytest.fixture(params=CASES, ids=[c.name for c in CASES])
def case(request: pytest.FixtureRequest) -> Case:
    return request.param  # type: ignore[no-any-return]


def _fit(case: Case, frame: pd.DataFrame) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return case.model.fit(frame, **case.kwargs)


def test_fit_changes_neither_model_nor_data(case: Case) -> None:
    frame = case.frame()
    before = frame.copy(deep=True)
    settings = case.model.model_dump()
    _fit(case, frame)
    pd.testing.assert_frame_equal(frame, before)
    assert case.model.model_dump() == settings


def test_same_input_same_result_and_json_round_trip(case: Case) -> None:
    frame = case.frame()
    first = _fit(case, frame)
    second = _fit(case, frame)
    assert first == second
    assert csi.result_from_json(first.to_json()) == first
    assert isinstance(str(first.summary()), str) and first._repr_html_().startswith("<")


def test_non_numeric_answer_names_the_column(case: Case) -> None:
    frame = case.frame().astype({case.column: object})
    frame.loc[frame.index[3], case.column] = "n/a"
    with pytest.raises(CSIModelsError) as err:
        _fit(case, frame)
    assert isinstance(err.value, ValueError)
    assert repr(case.column) in str(err.value)


def test_empty_input_is_refused(case: Case) -> None:
    frame = case.frame().iloc[:0]
    with pytest.raises(DataValidationError):
        _fit(case, frame)


def test_missing_column_names_it(case: Case) -> None:
    frame = case.frame().drop(columns=[case.column])
    with pytest.raises(CSIModelsError) as err:
        _fit(case, frame)
    assert repr(case.column) in str(err.value)


def test_wrong_type_is_refused(case: Case) -> None:
    with pytest.raises(CSIModelsError):
        _fit(case, np.zeros((5, 5)))  # type: ignore[arg-type]


@pytest.mark.determinism
def test_models_are_safe_to_call_from_threads(case: Case) -> None:
    from concurrent.futures import ThreadPoolExecutor

    frame = case.frame()
    serial = _fit(case, frame)
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: case.model.fit(frame, **case.kwargs), range(4)))
    assert all(r == serial for r in results)
