"""Nothing escapes, nothing is silently wrong (issue 13).

Two halves:

* targeted tests, one per case of the issue: resampling sizes, seeds, periods,
  validated data that stays valid, JSON loading as a security boundary, numerical
  edges, thread safety, arguments of the wrong kind; each asserts the error class and
  the words of its message (or the warning and the note);
* a property-based suite (hypothesis) over the public entry points: generated bad and
  edge inputs (frames, weights, specs, matrices, JSON payloads) must give a valid
  result or a ``CSIModelsError`` — never another exception, never a mutated input,
  never a non-finite number without a note. ``PROBE`` counts the inputs tried and the
  raw exceptions seen; ``test_zz_property_counts`` prints them.
"""

from __future__ import annotations

import copy
import json
import math
import os
import threading
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pydantic
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import csimodels as csi
from csimodels import results as res_mod
from csimodels.data._periods import order_periods
from csimodels.datasets.kano import simulate_kano_survey
from csimodels.datasets.servqual import simulate_servqual_survey
from csimodels.errors import (
    CSIModelsError,
    DataQualityWarning,
    DataValidationError,
    InvalidParameterError,
    ResamplingWarning,
    ResultFormatError,
    SpecificationError,
)
from csimodels.inference import check_resample_count, min_resamples_for_interval
from csimodels.sem import mga

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

ACSI_ITEMS = csi.sem.CSI_STRUCTURES["acsi"].items


@pytest.fixture(scope="module")
def acsi_frame() -> pd.DataFrame:
    return csi.datasets.simulate_csi_survey("acsi", n=150, weights=True, random_state=11).frame


@pytest.fixture(scope="module")
def acsi() -> csi.ACSI:
    return csi.ACSI(indicators=ACSI_ITEMS)


def quiet(fn: Callable[[], Any]) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn()


# =====================================================================================
# resampling sizes
# =====================================================================================


def test_min_resamples_for_an_interval_is_where_each_tail_gets_a_draw() -> None:
    # by definition: the smallest n with n * (1 - level) / 2 >= 1
    for level in (0.5, 0.8, 0.9, 0.95, 0.99, 0.999):
        n = min_resamples_for_interval(level)
        assert n * (1 - level) / 2 >= 1 - 1e-9
        assert (n - 1) * (1 - level) / 2 < 1 - 1e-9


def test_check_resample_count_refuses_bad_counts_and_levels() -> None:
    with pytest.raises(InvalidParameterError, match="number of bootstrap resamples of demo"):
        check_resample_count(-1, 0.95, owner="demo", notes=[])
    with pytest.raises(InvalidParameterError, match="parameter 'level' of demo"):
        check_resample_count(100, 1.5, owner="demo", notes=[])
    notes: list[str] = []
    with pytest.warns(ResamplingWarning, match="no p-value can be below 1/11"):
        assert check_resample_count(10, None, owner="demo", notes=notes, what="permutations")
    assert len(notes) == 1
    assert check_resample_count(1000, 0.99, owner="demo", notes=notes)
    assert len(notes) == 1


def test_pls_bootstrap_too_few_for_the_interval_gives_nan_limits(
    acsi: csi.ACSI, acsi_frame: pd.DataFrame
) -> None:
    with pytest.warns(ResamplingWarning, match="20 bootstrap resamples are too few for a 95%"):
        res = acsi.fit(acsi_frame, scale=(1, 10), bootstrap=20, random_state=3)
    assert res.paths[["ci_lower", "ci_upper"]].isna().all().all()
    assert res.paths["std_error"].notna().all()  # a standard error still exists
    assert any("the interval limits are NaN" in n for n in res.notes)


def test_pls_bootstrap_small_count_warns_but_keeps_limits(
    acsi: csi.ACSI, acsi_frame: pd.DataFrame
) -> None:
    with pytest.warns(ResamplingWarning, match="only 60 bootstrap resamples"):
        res = acsi.fit(acsi_frame, scale=(1, 10), bootstrap=60, random_state=3)
    assert res.paths[["ci_lower", "ci_upper"]].notna().all().all()
    assert any("imprecise below 100" in n for n in res.notes)


def test_driver_analysis_bootstrap_too_few(acsi_frame: pd.DataFrame) -> None:
    model = csi.DriverAnalysis(attributes=["QUAL1", "VAL1"], overall="SAT1")
    with pytest.warns(ResamplingWarning, match="10 bootstrap resamples are too few"):
        res = model.fit(acsi_frame, bootstrap=10, random_state=1)
    assert res.table[["ci_lower", "ci_upper"]].isna().all().all()
    assert any("interval limits are NaN" in n for n in res.notes)
    with pytest.warns(ResamplingWarning, match="too few for a 90% interval"):
        assert res.conf_int(0.9).isna().all().all()


def test_micom_too_few_permutations(acsi: csi.ACSI, acsi_frame: pd.DataFrame) -> None:
    frame = acsi_frame.assign(g=np.where(np.arange(len(acsi_frame)) % 2 == 0, "a", "b"))
    with pytest.warns(ResamplingWarning, match="MICOM: 15 permutations are too few for a 95%"):
        res = mga.micom(
            acsi,
            frame,
            by="g",
            scale=(1, 10),
            n_permutations=15,
            random_state=2,
            min_group_size=30,
        )
    assert res.table[["mean_ci_lower", "variance_ci_upper"]].isna().all().all()
    assert res.table["p_mean"].notna().all()


# =====================================================================================
# seeds
# =====================================================================================

BAD_SEEDS = [-1, 1.5, "7", True, object(), 2**64]


@pytest.mark.parametrize("seed", BAD_SEEDS, ids=repr)
def test_bad_seeds_are_refused_everywhere(
    seed: Any, acsi: csi.ACSI, acsi_frame: pd.DataFrame
) -> None:
    frame = acsi_frame.assign(g=np.arange(len(acsi_frame)) % 2)
    calls = {
        "ACSI.fit": lambda: acsi.fit(acsi_frame, scale=(1, 10), bootstrap=5, random_state=seed),
        "ACSI.predict": lambda: acsi.predict(acsi_frame, scale=(1, 10), random_state=seed),
        "compare_groups": lambda: mga.compare_groups(
            acsi, frame, by="g", scale=(1, 10), n_permutations=5, random_state=seed
        ),
        "micom": lambda: mga.micom(
            acsi, frame, by="g", scale=(1, 10), n_permutations=5, random_state=seed
        ),
        "simulate_csi_survey": lambda: csi.datasets.simulate_csi_survey(
            "acsi", n=5, random_state=seed
        ),
        "DriverAnalysis.fit": lambda: csi.DriverAnalysis(attributes=["QUAL1"], overall="SAT1").fit(
            acsi_frame, bootstrap=5, random_state=seed
        ),
    }
    for owner, call in calls.items():
        with pytest.raises(
            InvalidParameterError,
            match=rf"parameter 'random_state' of {owner} must be a non-negative int, a numpy "
            "Generator or None",
        ):
            quiet(call)


def test_recorded_seed_reproduces_pls_mga_drivers_predict(
    acsi: csi.ACSI, acsi_frame: pd.DataFrame
) -> None:
    frame = acsi_frame.assign(g=np.arange(len(acsi_frame)) % 2)
    fits: dict[str, Callable[[Any], Any]] = {
        "pls": lambda s: acsi.fit(acsi_frame, scale=(1, 10), bootstrap=40, random_state=s),
        "mga": lambda s: mga.compare_groups(
            acsi,
            frame,
            by="g",
            scale=(1, 10),
            n_permutations=40,
            bootstrap=40,
            random_state=s,
            min_group_size=30,
        ),
        "drivers": lambda s: csi.DriverAnalysis(attributes=["QUAL1", "VAL1"], overall="SAT1").fit(
            acsi_frame, bootstrap=40, random_state=s
        ),
        "predict": lambda s: acsi.predict(acsi_frame, scale=(1, 10), n_folds=3, random_state=s),
    }
    for name, fit in fits.items():
        first = quiet(lambda fit=fit: fit(None))
        seed = first.settings["random_state"]
        assert isinstance(seed, int) and seed >= 0, name
        again = quiet(lambda fit=fit, seed=seed: fit(seed))
        assert again == first, name
        # survives JSON and is passed back from there too (MGA recorded a str before)
        back = csi.result_from_json(first.to_json()).settings["random_state"]
        assert quiet(lambda fit=fit, back=back: fit(back)) == first, name


def test_a_generator_is_a_seed(acsi_frame: pd.DataFrame) -> None:
    def fit(rng: np.random.Generator) -> Any:
        return quiet(
            lambda: csi.DriverAnalysis(attributes=["QUAL1"], overall="SAT1").fit(
                acsi_frame, bootstrap=40, random_state=rng
            )
        )

    a, b = fit(np.random.default_rng(5)), fit(np.random.default_rng(5))
    assert a == b and isinstance(a.settings["random_state"], int)


# =====================================================================================
# periods
# =====================================================================================


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["10", "9", "1", "2"], ("1", "2", "9", "10")),
        (["2024Q2", "2023Q4", "2024Q1", "2023Q10x"][:3], ("2023Q4", "2024Q1", "2024Q2")),
        (["2024-Q2", "2024 Q1", "2023-Q4"], ("2023-Q4", "2024 Q1", "2024-Q2")),
        (["Q2 2024", "Q1 2025", "Q4 2023"], ("Q4 2023", "Q2 2024", "Q1 2025")),
        (["2024-10", "2024-9", "2023-12"], ("2023-12", "2024-9", "2024-10")),
        (["Q3", "Q1", "q2"], ("Q1", "q2", "Q3")),
        (["2024-03-31", "2023-12-31"], ("2023-12-31", "2024-03-31")),
        ([10, 2, 1.5], (1.5, 2, 10)),
    ],
)
def test_periods_in_their_real_order(values: list[Any], expected: tuple[Any, ...]) -> None:
    frame = pd.DataFrame({"SAT": np.arange(len(values)) % 10 + 1.0, "p": values})
    data = csi.SurveyData.from_frame(frame, items=["SAT"], period="p")
    assert data.period_order() == expected
    assert tuple(label for label, _ in data.groups("p")) == expected


def test_pandas_periods_datetimes_and_ordered_categoricals() -> None:
    periods = pd.PeriodIndex(["2024Q3", "2024Q1", "2023Q4"], freq="Q")
    frame = pd.DataFrame({"SAT": [1.0, 2.0, 3.0], "p": periods})
    order = csi.SurveyData.from_frame(frame, items=["SAT"], period="p").period_order()
    assert [str(p) for p in order] == ["2023Q4", "2024Q1", "2024Q3"]
    dates = pd.to_datetime(["2024-05-01", "2023-01-01", "2024-01-01"])
    frame = pd.DataFrame({"SAT": [1.0, 2.0, 3.0], "p": dates})
    order = csi.SurveyData.from_frame(frame, items=["SAT"], period="p").period_order()
    assert [d.year for d in order] == [2023, 2024, 2024]
    cat = pd.Categorical(
        ["late", "early", "mid"], categories=["early", "mid", "late"], ordered=True
    )
    frame = pd.DataFrame({"SAT": [1.0, 2.0, 3.0], "p": cat})
    data = csi.SurveyData.from_frame(frame, items=["SAT"], period="p")
    assert data.period_order() == ("early", "mid", "late")
    assert isinstance(data.frame["p"].dtype, pd.CategoricalDtype)  # dtype kept


def test_mixed_period_types_and_formats_are_refused() -> None:
    frame = pd.DataFrame({"SAT": [1.0, 2.0, 3.0], "p": pd.Series([1, "2", 3], dtype=object)})
    with pytest.raises(
        DataValidationError, match=r"period column 'p' mixes value types: int \(1, 3\), str \('2'\)"
    ):
        csi.SurveyData.from_frame(frame, items=["SAT"], period="p")
    frame = pd.DataFrame({"SAT": [1.0, 2.0], "p": ["2024Q1", "2024-04"]})
    with pytest.raises(
        DataValidationError,
        match=r"mixes label formats: months \('YYYY-MM'\) \('2024-04'\), quarters",
    ):
        csi.SurveyData.from_frame(frame, items=["SAT"], period="p")
    frame = pd.DataFrame({"SAT": [1.0, 2.0], "p": ["1", "01"]})
    with pytest.raises(
        DataValidationError, match=r"writes one period in several ways \('01', '1'\)"
    ):
        csi.SurveyData.from_frame(frame, items=["SAT"], period="p").period_order()
    frame = pd.DataFrame({"SAT": [1.0, 2.0], "p": [[1], [2]]})
    with pytest.raises(DataValidationError, match="holds values that are not labels"):
        csi.SurveyData.from_frame(frame, items=["SAT"], period="p")


def test_text_periods_have_no_order_to_guess() -> None:
    frame = pd.DataFrame({"SAT": [1.0, 2.0], "p": ["spring", "autumn"]})
    data = csi.SurveyData.from_frame(frame, items=["SAT"], period="p")
    with pytest.raises(DataValidationError, match=r"no recognisable order .*ordered categorical"):
        data.period_order()
    with pytest.raises(DataValidationError, match="this survey has no period column"):
        csi.SurveyData.from_frame(frame, items=["SAT"]).period_order()


def test_respondents_without_a_period_are_counted_not_dropped_silently() -> None:
    frame = pd.DataFrame({"SAT": [1.0, 2.0, 3.0, 4.0], "p": ["2024Q1", None, "2024Q2", np.nan]})
    with pytest.warns(
        DataQualityWarning, match=r"period column 'p' is missing for 2 of 4 respondents \(row 1"
    ):
        data = csi.SurveyData.from_frame(frame, items=["SAT"], period="p")
    assert data.n_without_period == 2
    assert data.n_respondents == 4  # kept for analyses that do not use the period
    assert data.period_order() == ("2024Q1", "2024Q2")


def test_order_periods_on_a_plain_series() -> None:
    assert order_periods(pd.Series(["2", "10", "1"]), "w") == ("1", "2", "10")


# =====================================================================================
# validated data stays valid; frozen results stay frozen
# =====================================================================================


def test_survey_frame_cannot_be_edited_past_validation() -> None:
    data = csi.SurveyData.from_frame(pd.DataFrame({"Q": [1, 2, 3]}), scale=(1, 5))
    view = data.frame
    view["Q"] = 99.0  # a whole column
    view.loc[0, "Q"] = -5.0  # a cell
    assert data.frame["Q"].tolist() == [1.0, 2.0, 3.0]
    assert data.describe().table.loc["Q", "max"] == 3
    with pytest.raises(ValueError, match="read-only"):
        data.frame["Q"].to_numpy()[0] = 42.0  # the arrays themselves are read-only


def test_result_tables_are_read_only() -> None:
    res = csi.AHP().fit([[1, 3], [1 / 3, 1]], labels=["a", "b"])
    w = res.weights
    w.iloc[0] = 0.0
    w["c"] = 1.0
    assert res.weights.tolist() == [0.75, 0.25]
    with pytest.raises(ValueError, match="read-only"):
        res.matrix.to_numpy()[0, 0] = 5.0
    with pytest.raises(Exception, match="frozen"):
        res.weights = w  # type: ignore[misc]


# =====================================================================================
# JSON loading as a security boundary
# =====================================================================================


@pytest.fixture(scope="module")
def ahp_payload() -> dict[str, Any]:
    res = quiet(lambda: csi.AHP().fit([[1, 3, 5], [1 / 3, 1, 2], [1 / 5, 1 / 2, 1]]))
    return json.loads(res.to_json())


def _load(payload: Any) -> Any:
    return csi.result_from_json(json.dumps(payload))


@pytest.mark.parametrize(
    ("mutate", "words"),
    [
        (lambda d: d.update(cr="Infinity"), "cr must be finite and >= 0, got inf"),
        (lambda d: d.update(weights={}), r"field 'weights': expected a table \(kind 'series'\)"),
        (lambda d: d.update(weights={"a": 1.0}), "field 'weights': expected a table"),
        (lambda d: d["weights"].update(data=[]), "0 values for an index of 3 labels"),
        (
            lambda d: (d["weights"].update(data=[]), d["weights"]["index"].update(values=[])),
            "weights are empty",
        ),
        (lambda d: d["weights"].update(data=[0.5, 0.5, 0.5]), "weights must sum to 1"),
        (lambda d: d.pop("n"), "missing field 'n'"),
        (lambda d: d.update(surprise=1), "unexpected field 'surprise'"),
        (lambda d: d.update(n="three"), "field 'n': Input should be a valid integer"),
        (lambda d: d.update(notes=[1]), r"field 'notes\[0\]'"),
        (lambda d: d.update(settings=None), "field 'settings'"),
        (
            lambda d: d["weights"].update(dtype="int8,(200000000,)i1"),
            r"dtype 'int8,\(200000000,\)i1' is not allowed",
        ),
        (lambda d: d["weights"].update(dtype="float64", data=["x", 1, 2]), "'x' is not a number"),
        (lambda d: d["matrix"]["index"].update(values=[1, 2, 3]), "dtype str needs strings"),
        (lambda d: d["matrix"].update(kind="series"), "field 'matrix'"),
        (lambda d: d["matrix"].update(data=[[1.0]]), "3 columns, 3 dtypes and 1 data lists"),
        (
            lambda d: d["weights"].update(index=None),
            "table.index: expected an object, got NoneType",
        ),
        (lambda d: d.update(result_type="os.system"), "'os.system', which is not a registered"),
        (lambda d: d.update(result_type=["AHPResult"]), "'result_type' must be a string"),
        (lambda d: d.pop("result_type"), "missing field 'result_type'"),
    ],
)
def test_malformed_payloads_raise_result_format_error(
    ahp_payload: dict[str, Any], mutate: Callable[[dict[str, Any]], Any], words: str
) -> None:
    payload = copy.deepcopy(ahp_payload)
    mutate(payload)
    with pytest.raises(ResultFormatError, match=words):
        _load(payload)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("null", "the top level must be an object with a 'result_type' field, got null"),
        ("[1, 2]", "got list"),
        ("{", "invalid JSON at line 1, column 2"),
        ("[" * 5000 + "]" * 5000, "nested deeper than 64 levels"),
        (b"\xff\xfe", "not UTF-8 text"),
    ],
)
def test_malformed_json_text(text: Any, words: str) -> None:
    with pytest.raises(ResultFormatError, match=words):
        csi.result_from_json(text)
    with pytest.raises(ResultFormatError, match="expected text, got int"):
        csi.result_from_json(5)  # type: ignore[arg-type]


def test_deep_nesting_in_settings_and_size_cap(
    ahp_payload: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    payload = copy.deepcopy(ahp_payload)
    deep: Any = 1
    for _ in range(100):
        deep = [deep]
    payload["settings"]["deep"] = deep
    with pytest.raises(ResultFormatError, match="nested deeper than 64 levels"):
        _load(payload)
    monkeypatch.setattr(res_mod, "MAX_JSON_CHARS", 100)
    with pytest.raises(ResultFormatError, match="characters exceed the limit of 100"):
        _load(ahp_payload)


def test_a_user_class_named_like_a_library_result_does_not_shadow_it(
    ahp_payload: dict[str, Any],
) -> None:
    class AHPResult(csi.Result):  # a user's own class, same name as the library's
        pass

    loaded = _load(ahp_payload)
    assert type(loaded) is csi.AHPResult
    # a payload naming the bare class (older versions) also resolves to the library's
    older = {**ahp_payload, "result_type": "AHPResult"}
    assert type(_load(older)) is csi.AHPResult
    mine = {"result_type": f"{AHPResult.__module__}.{AHPResult.__qualname__}"}
    assert type(_load(mine)) is AHPResult
    # a class claiming the library's module name does not replace the library's class
    fake = type("AHPResult", (csi.Result,), {"__module__": "csimodels.ahp._model"})
    assert fake is not csi.AHPResult
    assert type(_load(ahp_payload)) is csi.AHPResult


def test_round_trips_stay_exact_with_every_table_dtype() -> None:
    desc = csi.datasets.load_example("acsi_demo").describe()
    assert csi.result_from_json(desc.to_json()) == desc
    assert desc.to_dict()["result_type"] == "csimodels.data.describe.DescriptionResult"


# =====================================================================================
# numerical edges
# =====================================================================================


def test_huge_weights_are_rescaled_before_summing() -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(1, 11, 40).astype(float)
    w = rng.uniform(0.5, 2.0, 40)
    base = csi.SurveyData.from_frame(pd.DataFrame({"Q": x, "w": w}), weight="w", scale=(1, 10))
    huge = csi.SurveyData.from_frame(
        pd.DataFrame({"Q": x, "w": w / w.max() * 1e308}), weight="w", scale=(1, 10)
    )
    a, b = base.describe().table.loc["Q"], huge.describe().table.loc["Q"]
    # oracle: numpy's weighted mean on the unscaled weights
    assert b["mean"] == pytest.approx(np.average(x, weights=w), rel=1e-12)
    assert b["median"] == a["median"] and np.isfinite(b["sd"])
    assert b["sd"] == pytest.approx(a["sd"], rel=1e-12)
    assert float(huge.weights().sum()) < 41  # finite, relative weights


def test_a_segment_whose_weights_are_all_zero_is_named() -> None:
    frame = pd.DataFrame(
        {"Q": [1.0, 2.0, 3.0, 4.0], "w": [1.0, 2.0, 0.0, 0.0], "region": ["N", "N", "S", "S"]}
    )
    data = csi.SurveyData.from_frame(frame, weight="w", segments=["region"])
    parts = dict(data.groups("region"))
    with pytest.raises(
        DataValidationError,
        match="weight column 'w' is zero for every respondent of segment region='S'",
    ):
        parts["S"].weights()
    assert parts["N"].weights() is not None


@pytest.mark.parametrize("value", [1e101, 1e-120, 1e308])
def test_extreme_judgments_are_a_clear_error(value: float) -> None:
    with pytest.raises(DataValidationError, match=r"judgments beyond 1e100 .* cannot be computed"):
        csi.AHP(allow_off_scale=True).fit([[1, value], [1 / value, 1]])


def test_extreme_answers_are_a_clear_error_or_a_result(
    acsi: csi.ACSI, acsi_frame: pd.DataFrame
) -> None:
    items = [i for v in ACSI_ITEMS.values() for i in v]
    for factor in (1e300, 1e-300):
        frame = acsi_frame.assign(**{c: acsi_frame[c] * factor for c in items})
        try:
            res = quiet(lambda frame=frame: acsi.fit(frame))
        except CSIModelsError:
            continue
        assert np.isfinite(res.paths["estimate"]).all()


def test_kano_and_servqual_on_very_few_respondents_warn() -> None:
    sim = simulate_kano_survey(n=12, random_state=3)
    with pytest.warns(DataQualityWarning, match="classified from fewer than 30 respondents"):
        res = csi.Kano(features=sim.features).fit(sim.frame)
    assert any("fewer than 30 respondents" in n for n in res.notes)
    sq = simulate_servqual_survey(n=8, random_state=3)
    with pytest.warns(DataQualityWarning, match=r"SERVQUAL: only 8 respondent\(s\) used"):
        res2 = csi.SERVQUAL().fit(sq.frame)
    assert any("unstable below 30 respondents" in n for n in res2.notes)


def test_grade_scores_against_the_grade_order_are_refused() -> None:
    with pytest.raises(
        DataValidationError,
        match=r"grade scores must run with the grade order .* 'good': 60, 'fair': 80, .*"
        r"breaks at 'good' -> 'fair'",
    ):
        csi.GradeSet(["excellent", "good", "fair", "poor"], scores=[95, 60, 80, 35])
    with pytest.raises(DataValidationError, match="grade scores must run with the grade order"):
        csi.GradeSet.from_scores({"a": 1, "b": 1})
    assert csi.GradeSet(["low", "high"], scores=[0, 1]).scores == (0.0, 1.0)


def test_lambda_max_completion_off_the_scale_is_noted() -> None:
    # Bozóki et al. (2010): the optimal completion is not bounded by the 1-9 scale;
    # here a_13 = a_12 * a_23 = 9 * 9 would be consistent, and the optimum leaves [1/9, 9]
    m = [[1, 9, np.nan], [1 / 9, 1, 9], [np.nan, 1 / 9, 1]]
    res = quiet(lambda: csi.AHP(completion="lambda_max").fit(m, labels=["a", "b", "c"]))
    completed = res.matrix.loc["a", "c"]
    assert completed > 9
    assert any("('a', 'c') = " in n and "lie off the scale [1/9, 9]" in n for n in res.notes), (
        res.notes
    )


# =====================================================================================
# arguments of the wrong kind
# =====================================================================================


def test_a_bare_string_is_not_a_list_of_items() -> None:
    data = csi.datasets.load_example("acsi_demo")
    with pytest.raises(
        DataValidationError,
        match="correlations: items must be a list of item names, got the string 'pearson'; "
        "to choose the method, pass method='pearson'",
    ):
        data.correlations("pearson")  # type: ignore[arg-type]
    with pytest.raises(DataValidationError, match=r"describe: .* \(for one item: \['SAT1'\]\)"):
        data.describe("SAT1")  # type: ignore[arg-type]
    with pytest.raises(DataValidationError, match="item_matrix: items must be a list"):
        data.item_matrix("SAT1")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"items": "Q"}, r"items must be a list of column names, not one string; .*\['Q'\]"),
        ({"items": 5}, "items must be a list of column names, got int"),
        ({"items": [["Q"]]}, r"items must hold column names \(strings\)"),
        ({"reverse": "Q", "scale": (1, 5)}, "reverse must be a list of column names"),
        ({"segments": "r"}, "segments must be a list of column names, not one string"),
        ({"weight": ["w"]}, r"weight must be one column name \(a string\), got \['w'\]"),
        ({"period": 3}, "period must be one column name"),
        ({"labels": ["a"]}, "labels must be a dict"),
        ({"constructs": ["Q"]}, "constructs must be a dict"),
        ({"constructs": {"A": "Q"}}, r"constructs\['A'\] must be a list of item names"),
        ({"missing_codes": [[99]]}, "missing_codes must hold single codes"),
        ({"missing_codes": 99}, "missing_codes must be a list of codes"),
    ],
)
def test_from_frame_arguments_of_the_wrong_kind(kwargs: dict[str, Any], words: str) -> None:
    frame = pd.DataFrame({"Q": [1, 2], "R": [2, 3], "r": ["a", "b"], "w": [1.0, 2.0]})
    with pytest.raises(DataValidationError, match=words):
        csi.SurveyData.from_frame(frame, **kwargs)


def test_subset_with_bad_rows_is_named() -> None:
    data = csi.SurveyData.from_frame(pd.DataFrame({"Q": [1, 2, 3]}))
    with pytest.raises(DataValidationError, match="subset: row label 'zz' not in these data"):
        data.subset(["zz"])
    with pytest.raises(DataValidationError, match=r"one value per respondent \(3\)"):
        data.subset(np.array([True]))


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: csi.ModelSpec.from_syntax(None), "from_syntax needs the model syntax as a string"),
        (lambda: csi.ModelSpec.from_syntax(b"A =~ a"), "got bytes"),
        (lambda: csi.ModelSpec.from_mapping(None, []), "indicators must be a dict"),
        (
            lambda: csi.ModelSpec.from_mapping({"A": ["a"], "B": ["b"]}, [("A",)]),
            r"paths\[0\] must be a \(from, to\) pair of construct names, got \('A',\)",
        ),
        (
            lambda: csi.ModelSpec.from_mapping({"A": ["a"], "B": ["b"]}, "AB"),
            r"paths must be a list of \(from, to\) pairs",
        ),
        (
            lambda: csi.ModelSpec.from_mapping({"A": [1], "B": ["b"]}, [("A", "B")]),
            r"indicators of 'A' must be column names \(strings\)",
        ),
        (
            lambda: csi.ModelSpec.from_mapping({"A": ["a"]}, [], modes=["A"]),
            "modes must be a dict keyed by construct",
        ),
    ],
)
def test_model_spec_builders_name_the_wrong_argument(call: Callable[[], Any], words: str) -> None:
    with pytest.raises(SpecificationError, match=words):
        call()


# =====================================================================================
# safe from threads
# =====================================================================================


@dataclass
class ThreadCase:
    name: str
    fit: Callable[[], Any]
    compare: Callable[[Any], Any] = field(default=lambda r: r.to_json())


def _thread_cases() -> list[ThreadCase]:
    acsi_frame = csi.datasets.simulate_csi_survey("acsi", n=120, random_state=4).frame
    acsi = csi.ACSI(indicators=ACSI_ITEMS)
    kano = simulate_kano_survey(n=25, random_state=2)  # few respondents: warns
    sq = simulate_servqual_survey(n=25, random_state=2)
    bad = [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]
    return [
        ThreadCase(
            "PLS", lambda: acsi.fit(acsi_frame, scale=(1, 10), bootstrap=30, random_state=1)
        ),
        ThreadCase("AHP", lambda: csi.AHP().fit(bad)),
        ThreadCase("AHP.repair", lambda: csi.AHP().repair(bad)),
        ThreadCase("Kano", lambda: csi.Kano(features=kano.features).fit(kano.frame)),
        ThreadCase("SERVQUAL", lambda: csi.SERVQUAL().fit(sq.frame)),
        ThreadCase(
            "DriverAnalysis",
            lambda: csi.DriverAnalysis(attributes=["QUAL1", "QUAL2"], overall="SAT1").fit(
                acsi_frame, bootstrap=20, random_state=2
            ),
        ),
        ThreadCase(
            "FCE",
            lambda: csi.FCE(grades={"good": 1.0, "poor": 0.0}).evaluate(
                [0.6, 0.4], [[0.7, 0.3], [0.2, 0.8]]
            ),
        ),
        ThreadCase(
            "MICOM",
            lambda: mga.micom(
                acsi,
                acsi_frame.assign(g=np.arange(120) % 2),
                by="g",
                scale=(1, 10),
                n_permutations=20,
                random_state=3,
                min_group_size=30,
            ),
        ),
    ]


def _other_helpers_cases() -> list[Any]:
    """CB-SEM and trends (both once set process-global warning filters)."""
    frame = csi.datasets.simulate_csi_survey("acsi", n=200, random_state=4).frame
    spec = csi.ModelSpec.from_syntax("Q =~ QUAL1 + QUAL2 + QUAL3; S =~ SAT1 + SAT2 + SAT3; S ~ Q")
    trend = csi.datasets.simulate_csi_survey(
        "scsi", n=600, periods={"Q1": 0.0, "Q2": 0.0, "Q3": 0.0}, weights=True, random_state=2
    ).frame
    return [
        ThreadCase("CB-SEM", lambda: csi.PathModel(spec=spec).fit(frame, method="cbsem")),
        ThreadCase(
            "TrendMonitor",
            lambda: csi.TrendMonitor(series=["SAT2", "SAT1"]).fit(
                trend, scale=(1, 10), weight="weight", period="period"
            ),
        ),
    ]


@pytest.mark.parametrize(
    "case", [*_thread_cases(), *_other_helpers_cases()], ids=lambda c: getattr(c, "name", "")
)
def test_fit_from_eight_threads_gives_the_serial_numbers_warnings_and_notes(
    case: ThreadCase,
) -> None:
    with warnings.catch_warnings(record=True) as serial_log:
        warnings.simplefilter("always")
        serial = case.fit()
    expected = Counter((w.category, str(w.message)) for w in serial_log)
    outputs: list[Any] = [None] * 8
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def work(k: int) -> None:
        try:
            barrier.wait()
            outputs[k] = case.fit()
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    with warnings.catch_warnings(record=True) as log:
        warnings.simplefilter("always")
        threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors, errors
    for out in outputs:
        assert case.compare(out) == case.compare(serial)
        assert out.notes == serial.notes
    seen = Counter((w.category, str(w.message)) for w in log)
    assert seen == Counter({k: 8 * v for k, v in expected.items()})


# =====================================================================================
# the property-based suite
# =====================================================================================


@dataclass
class Probe:
    tried: int = 0
    raw: list[str] = field(default_factory=list)
    silent: list[str] = field(default_factory=list)


PROBE = Probe()
# CSIMODELS_COUNT_ONLY=1 records problems instead of failing (to count them on an old tree)
COUNT_ONLY = os.environ.get("CSIMODELS_COUNT_ONLY") == "1"
PROPS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    derandomize=True,
    database=None,
)


def _snapshot(value: Any) -> Any:
    if isinstance(value, (pd.DataFrame, pd.Series)):
        return value.copy(deep=True)
    if isinstance(value, np.ndarray):
        return value.copy()
    try:
        return copy.deepcopy(value)
    except Exception:  # pragma: no cover - an object that cannot be copied
        return value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, pd.DataFrame):
        return isinstance(b, pd.DataFrame) and a.equals(b) and list(a.columns) == list(b.columns)
    if isinstance(a, pd.Series):
        return isinstance(b, pd.Series) and a.equals(b)
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    if isinstance(a, np.random.Generator):
        # a seed Generator is consumed by design; only its type must stay
        return isinstance(b, np.random.Generator)
    if type(a).__eq__ is object.__eq__:
        return True  # no value to compare
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b):
        return all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
        return all(_same(a[k], b[k]) for k in a)
    try:
        return bool(a == b) or (a != a and b != b)
    except Exception:
        return True


def _non_finite_tables(result: Any) -> list[str]:
    out = []
    for name in type(result).model_fields:
        value = getattr(result, name)
        if isinstance(value, pd.Series):
            value = value.to_frame()
        if isinstance(value, pd.DataFrame):
            numeric = value.select_dtypes(include=[np.floating])
            if numeric.size and not np.isfinite(numeric.to_numpy()).all():
                out.append(name)
    return out


def check_call(fn: Callable[..., Any], *args: Any, notes_rule: bool = True, **kwargs: Any) -> Any:
    """Call ``fn``; anything but a result or a CSIModelsError fails (and is counted).

    ``notes_rule=False`` skips "no non-finite number without a note" (an edited JSON
    payload may carry any valid number, NaN included, and drop the notes).
    """
    PROBE.tried += 1
    before = [_snapshot(a) for a in args] + [_snapshot(v) for v in kwargs.values()]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = fn(*args, **kwargs)
    except CSIModelsError:
        out = None
    except Exception as err:
        PROBE.raw.append(f"{getattr(fn, '__qualname__', fn)}: {type(err).__name__}: {err}")
        if COUNT_ONLY:
            return None
        raise
    after = list(args) + list(kwargs.values())
    problems = []
    if not all(_same(b, a) for b, a in zip(before, after, strict=True)):
        problems.append(f"{getattr(fn, '__qualname__', fn)}: mutated its input")
    if isinstance(out, csi.Result):
        bad = _non_finite_tables(out)
        if bad and not out.notes and notes_rule:
            problems.append(f"{type(out).__name__}: non-finite numbers in {bad} without a note")
        try:
            if csi.result_from_json(out.to_json()) != out:
                problems.append(f"{type(out).__name__}: JSON round trip differs")
        except Exception as err:
            problems.append(f"{type(out).__name__}: JSON round trip raised {err!r}")
    if problems:
        PROBE.silent.extend(problems)
        assert COUNT_ONLY, problems
    return out


cell = st.one_of(
    st.integers(-3, 12),
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.sampled_from([1e308, -1e308, 1e-308, 0.5, 99, "n/a", "", " 3", True, None]),
)
names = st.sampled_from(["Q1", "Q2", "Q3", "w", "seg", "p"])


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    n_rows = draw(st.integers(0, 8))
    cols = draw(st.lists(names, min_size=1, max_size=5, unique=True))
    data = {c: draw(st.lists(cell, min_size=n_rows, max_size=n_rows)) for c in cols}
    frame = pd.DataFrame(data, index=pd.RangeIndex(n_rows))
    if draw(st.booleans()):
        for c in cols:
            numeric = pd.to_numeric(frame[c], errors="coerce")
            if numeric.notna().all():
                frame[c] = numeric.astype(float)
    return frame


@PROPS
@given(
    frame=frames(),
    scale=st.sampled_from([None, (1, 10), (0, 100), (5, 1), (np.nan, 3), "1-5", (1, np.inf)]),
    codes=st.sampled_from([(), [99], ["n/a"], [np.nan], {"Q1": [99]}, "99"]),
    weight=st.sampled_from([None, "w", "Q9"]),
    period=st.sampled_from([None, "p"]),
    segments=st.sampled_from([(), ["seg"], "seg"]),
)
def test_property_survey_data(
    frame: pd.DataFrame, scale: Any, codes: Any, weight: Any, period: Any, segments: Any
) -> None:
    data = check_call(
        csi.SurveyData.from_frame,
        frame,
        scale=scale,
        missing_codes=codes,
        weight=weight,
        period=period,
        segments=segments,
    )
    if data is None:
        return
    check_call(data.describe)
    check_call(data.correlations, method="spearman")
    check_call(data.item_matrix, missing="mean")
    if data.period is not None:
        check_call(data.period_order)
    if data.segments:
        for _, part in check_call(lambda: list(data.groups(data.segments[0]))) or []:
            check_call(part.weights)


judgment = st.one_of(
    st.sampled_from([1, 2, 3, 5, 7, 9, 1 / 3, 1 / 9, 0.0, -1.0, np.nan, np.inf, 1e308, 1e-308]),
    st.floats(min_value=1e-6, max_value=1e6),
)


@st.composite
def matrices(draw: st.DrawFn) -> Any:
    n = draw(st.integers(0, 6))
    kind = draw(st.sampled_from(["reciprocal", "raw", "mapping", "frame", "other"]))
    if kind == "other":
        return draw(st.sampled_from([None, "abc", 5, [[1, 2], [0.5]], np.ones((2, 2, 2)), {}]))
    if kind == "raw":
        return np.array(draw(st.lists(judgment, min_size=n * n, max_size=n * n)), dtype=float)
    a = np.ones((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            a[i, j] = draw(judgment)
            a[j, i] = 1 / a[i, j] if a[i, j] not in (0.0,) and np.isfinite(a[i, j]) else np.nan
    if kind == "mapping":
        labels = [f"c{i}" for i in range(n)]
        return {(labels[i], labels[j]): a[i, j] for i in range(n) for j in range(i + 1, n)}
    if kind == "frame":
        labels = [f"c{i}" for i in range(n)]
        return pd.DataFrame(a, index=labels, columns=labels)
    return a


@PROPS
@given(
    m=matrices(),
    completion=st.sampled_from(["error", "lambda_max", "harker"]),
    off=st.booleans(),
    method=st.sampled_from(["eigenvector", "geometric", "column_average"]),
)
def test_property_ahp(m: Any, completion: str, off: bool, method: str) -> None:
    if isinstance(m, np.ndarray) and m.ndim == 1:
        k = math.isqrt(m.size)
        m = m.reshape(k, k)
    model = csi.AHP(completion=completion, allow_off_scale=off, method=method)  # type: ignore[arg-type]
    check_call(model.fit, m)
    check_call(model.repair, m)
    check_call(csi.FuzzyAHP().fit, m)


@PROPS
@given(
    weights=st.one_of(
        st.lists(judgment, min_size=0, max_size=4),
        st.sampled_from(["a", None, {"x": 1.0}, {"f0": 1e308, "f1": 1e308}]),
    ),
    rows=st.lists(st.lists(judgment, min_size=3, max_size=3), min_size=0, max_size=4),
    operator=st.sampled_from(["weighted_average", "min_max", "product_max", "bogus"]),
    normalize=st.booleans(),
)
def test_property_fce(weights: Any, rows: Any, operator: str, normalize: bool) -> None:
    membership = (
        pd.DataFrame(rows, index=[f"f{i}" for i in range(len(rows))], columns=["A", "B", "C"])
        if rows
        else rows
    )
    fce = check_call(
        lambda: csi.FCE(
            grades={"A": 90, "B": 70, "C": 40},
            operator=operator,
            normalize_weights=normalize,
            normalize_membership=normalize,
        )
    )
    if fce is not None:
        check_call(fce.evaluate, weights, membership)
    check_call(csi.GradeSet, ["A", "B", "C"][: max(len(rows), 1)], scores=weights or None)


tokens = st.sampled_from(
    ["A", "B", "a1", "b1", "=~", "<~", "~", "~~", "+", ";", "\n", "#", " ", "A", "=~", "a2"]
)


@PROPS
@given(
    text=st.one_of(st.lists(tokens, max_size=14).map(" ".join), st.sampled_from([None, 5, b"x"])),
    mapping=st.one_of(
        st.dictionaries(
            st.sampled_from(["A", "B", 3]),
            st.one_of(st.lists(st.sampled_from(["a1", "b1", 1]), max_size=3), st.just("a1")),
            max_size=3,
        ),
        st.sampled_from([None, "A", [("A", "a1")]]),
    ),
    paths=st.one_of(
        st.lists(
            st.tuples(st.sampled_from(["A", "B", "C"]), st.sampled_from(["A", "B"])), max_size=3
        ),
        st.sampled_from(["AB", None, [("A",)], [("A", "B", "C")], [[1, 2]]]),
    ),
)
def test_property_model_spec(text: Any, mapping: Any, paths: Any) -> None:
    spec = check_call(csi.ModelSpec.from_syntax, text)
    if spec is not None:
        assert csi.ModelSpec.from_syntax(spec.to_syntax()) == spec
    check_call(csi.ModelSpec.from_mapping, mapping, paths)


@pytest.fixture(scope="module")
def payloads() -> list[str]:
    data = csi.datasets.load_example("acsi_demo")
    out = quiet(
        lambda: [
            data.describe(),
            csi.AHP().fit([[1, 3, 5], [1 / 3, 1, 2], [1 / 5, 1 / 2, 1]]),
            csi.FCE(grades={"good": 1.0, "poor": 0.0}).evaluate([0.5, 0.5], [[1, 0], [0.3, 0.7]]),
        ]
    )
    return [r.to_json() for r in out]


json_value = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.floats(allow_nan=False),
        st.text(max_size=5),
        st.sampled_from(["NaN", "Infinity", "float64", "int8,(9,)i1"]),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(node, list):
        for k, v in enumerate(node[:4]):
            out.extend(_paths(v, (*prefix, k)))
    return out


@settings(PROPS, max_examples=300)
@given(data=st.data(), which=st.integers(0, 2), action=st.sampled_from(["replace", "delete"]))
def test_property_json_payloads(
    payloads: list[str], data: st.DataObject, which: int, action: str
) -> None:
    original = json.loads(payloads[which])
    payload = copy.deepcopy(original)
    paths = _paths(payload)
    path = data.draw(st.sampled_from(paths))
    value = data.draw(json_value)
    if not path:
        payload = value
    else:
        parent = payload
        for key in path[:-1]:
            parent = parent[key]
        if action == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif action == "delete" and isinstance(parent, list):
            parent.pop(path[-1])
        else:
            parent[path[-1]] = value
    text = json.dumps(payload)
    out = check_call(csi.result_from_json, text, notes_rule=False)
    if out is not None and payload == original:
        assert out == csi.result_from_json(payloads[which])


@pytest.fixture(scope="module")
def small_frames() -> dict[str, pd.DataFrame]:
    return {
        "acsi": csi.datasets.simulate_csi_survey("acsi", n=60, weights=True, random_state=5).frame,
        "kano": simulate_kano_survey(n=30, random_state=5).frame,
        "servqual": simulate_servqual_survey(n=30, random_state=5).frame,
    }


@settings(PROPS, max_examples=80)
@given(
    data=st.data(),
    family=st.sampled_from(["pls", "drivers", "kano", "servqual"]),
    rows=st.integers(0, 60),
    edit=st.sampled_from(["none", "constant", "nan", "huge", "text", "zero_weight", "neg"]),
    boot=st.sampled_from([0, 1, 3, 45]),
    seed=st.sampled_from([None, 0, 3, -1, 2.5]),
)
def test_property_model_fits(
    small_frames: dict[str, pd.DataFrame],
    data: st.DataObject,
    family: str,
    rows: int,
    edit: str,
    boot: int,
    seed: Any,
) -> None:
    source = {"pls": "acsi", "drivers": "acsi"}.get(family, family)
    frame = small_frames[source].head(rows).copy()
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    if numeric and len(frame):
        col = data.draw(st.sampled_from(numeric))
        if edit == "constant":
            frame[col] = frame[col].iloc[0]
        elif edit == "nan":
            frame.loc[frame.index[0], col] = np.nan
        elif edit == "huge":
            frame[col] = frame[col] * 1e300
        elif edit == "text":
            frame[col] = frame[col].astype(object)
            frame.loc[frame.index[0], col] = "?"
        elif edit == "zero_weight" and "weight" in frame:
            frame["weight"] = 0.0
        elif edit == "neg":
            frame[col] = -frame[col]
    if family == "pls":
        model = csi.ACSI(indicators=ACSI_ITEMS)
        check_call(model.fit, frame, scale=None, bootstrap=boot, random_state=seed)
    elif family == "drivers":
        drivers = check_call(
            lambda: csi.DriverAnalysis(attributes=["QUAL1", "VAL1"], overall="SAT1")
        )
        if drivers is not None:
            check_call(drivers.fit, frame, bootstrap=boot, random_state=seed)
    elif family == "kano":
        features = simulate_kano_survey(n=5, random_state=5).features
        check_call(csi.Kano(features=features).fit, frame)
    else:
        check_call(csi.SERVQUAL().fit, frame)


ODD_VALUES: list[Any] = [
    None, 0, -1, 5, 2.5, math.nan, math.inf, 1e308, True, "", "abc", "Q1", b"Q1", [], [["Q1"]],
    ["Q1", "Q1"], ["nope"], ("Q1",), {}, {"Q1": 1}, {"A": "Q1"}, {("Q1",): 2}, [("A",)],
    [[1, 2], [0.5]], np.array([1.0, np.nan]), np.ones((2, 2, 2)), pd.Series([1.0, 2.0]),
    pd.DataFrame({"x": [1]}), object(), np.random.default_rng(0), 10**30,
]  # fmt: skip


def _odd_calls() -> dict[str, Callable[[Any], Any]]:
    frame = pd.DataFrame(
        {"Q1": [1.0, 2.0, 3.0], "Q2": [3.0, 2.0, 2.0], "w": [1.0, 2.0, 1.0], "r": ["a", "a", "b"]}
    )
    data = csi.SurveyData.from_frame(
        frame, items=["Q1", "Q2"], scale=(1, 5), weight="w", segments=["r"]
    )
    acsi = csi.datasets.simulate_csi_survey("acsi", n=40, random_state=2).frame
    model = csi.ACSI(indicators=ACSI_ITEMS)
    m = [[1, 3], [1 / 3, 1]]
    calls: dict[str, Callable[[Any], Any]] = {
        f"from_frame({k}=)": (
            lambda v, k=k: csi.SurveyData.from_frame(frame.copy(), **{k: v})  # type: ignore[misc]
        )
        for k in (
            "items", "scale", "missing_codes", "reverse", "labels", "constructs",
            "construct_labels", "weight", "segments", "period",
        )
    }  # fmt: skip
    calls.update(
        {
            "from_frame(df)": lambda v: csi.SurveyData.from_frame(v),
            "coerce": lambda v: csi.SurveyData.coerce(v),
            "describe(items)": lambda v: data.describe(v),
            "describe(box)": lambda v: data.describe(box=v),
            "correlations(items)": lambda v: data.correlations(v),
            "correlations(method)": lambda v: data.correlations(method=v),
            "item_matrix(items)": lambda v: data.item_matrix(v),
            "item_matrix(missing)": lambda v: data.item_matrix(missing=v),
            "subset": lambda v: data.subset(v),
            "groups": lambda v: list(data.groups(v)),
            "scale_of": lambda v: data.scale_of(v),
            "from_syntax": lambda v: csi.ModelSpec.from_syntax(v),
            "from_mapping(indicators)": lambda v: csi.ModelSpec.from_mapping(v, []),
            "from_mapping(paths)": lambda v: csi.ModelSpec.from_mapping({"A": ["a"]}, v),
            "ACSI(indicators)": lambda v: csi.ACSI(indicators=v),
            "ACSI.fit(scale)": lambda v: model.fit(acsi, scale=v),
            "ACSI.fit(weight)": lambda v: model.fit(acsi, weight=v),
            "ACSI.fit(bootstrap)": lambda v: model.fit(acsi, bootstrap=v, random_state=1),
            "ACSI.fit(random_state)": lambda v: model.fit(acsi, bootstrap=3, random_state=v),
            "ACSI.fit(level)": lambda v: model.fit(acsi, bootstrap=3, random_state=1, level=v),
            "ACSI.fit(by)": lambda v: model.fit(acsi, by=v),
            "AHP(threshold)": lambda v: csi.AHP(threshold=v),
            "AHP(random_state)": lambda v: csi.AHP(random_state=v),
            "AHP(scale_max)": lambda v: csi.AHP(scale_max=v),
            "AHP.fit": lambda v: csi.AHP().fit(v),
            "AHP.fit(labels)": lambda v: csi.AHP().fit(m, labels=v),
            "AHP.fit(value)": lambda v: csi.AHP(allow_off_scale=True).fit([[1, v], [1, 1]]),
            "AHP.repair": lambda v: csi.AHP().repair(v),
            "FuzzyAHP.fit": lambda v: csi.FuzzyAHP().fit(v),
            "GradeSet(labels)": lambda v: csi.GradeSet(v),
            "GradeSet(scores)": lambda v: csi.GradeSet(["a", "b"], scores=v),
            "FCE(grades)": lambda v: csi.FCE(grades=v),
            "FCE(operator)": lambda v: csi.FCE(grades=["a", "b"], operator=v),
            "FCE.evaluate(weights)": lambda v: csi.FCE(grades=["a", "b"]).evaluate(
                v, [[0.5, 0.5], [0.2, 0.8]]
            ),
            "FCE.evaluate(membership)": lambda v: csi.FCE(grades=["a", "b"]).evaluate([1.0], v),
            "Kano(features)": lambda v: csi.Kano(features=v),
            "DriverAnalysis(attributes)": lambda v: csi.DriverAnalysis(
                attributes=v, overall="SAT1"
            ),
            "DriverAnalysis(overall)": lambda v: csi.DriverAnalysis(
                attributes=["QUAL1"], overall=v
            ),
            "DriverAnalysis.fit(by)": lambda v: csi.DriverAnalysis(
                attributes=["QUAL1"], overall="SAT1"
            ).fit(acsi, by=v),
            "SERVQUAL.fit": lambda v: csi.SERVQUAL().fit(v),
            "Kano.fit": lambda v: csi.Kano(features={"f": ("a", "b")}).fit(v),
            "Bootstrap(n)": lambda v: csi.Bootstrap(n=v),
            "Bootstrap(random_state)": lambda v: csi.Bootstrap(random_state=v),
            "result_from_json": lambda v: csi.result_from_json(v),
            "Result.from_dict": lambda v: csi.Result.from_dict(v),
        }
    )
    return calls


ODD_CALLS = _odd_calls()


@settings(PROPS, max_examples=800)
@given(name=st.sampled_from(sorted(ODD_CALLS)), value=st.sampled_from(ODD_VALUES))
def test_property_arguments_of_the_wrong_kind(name: str, value: Any) -> None:
    call = ODD_CALLS[name]
    call.__qualname__ = name
    check_call(call, value)


def _set_column(payload: dict[str, Any], table: str, column: str, values: Any) -> None:
    frame = payload[table]
    position = frame["columns"]["values"].index(column)
    frame["data"][position] = values(frame["data"][position])


def test_invariants_of_the_table_vocabulary_and_of_kano_are_checked_on_load(
    acsi_frame: pd.DataFrame,
) -> None:
    drivers = quiet(
        lambda: csi.DriverAnalysis(attributes=["QUAL1", "VAL1"], overall="SAT1").fit(
            acsi_frame, bootstrap=50, random_state=1
        )
    )
    good = json.loads(drivers.to_json())
    assert _load(good) == drivers
    cases = [
        ("p_value", lambda v: [1.5, *v[1:]], "column 'p_value' must lie in \\[0, 1\\]"),
        ("std_error", lambda v: [-1.0, *v[1:]], "column 'std_error' must not be negative"),
        ("ci_lower", lambda v: [1e9, *v[1:]], "ci_lower must not exceed ci_upper"),
    ]
    for column, change, words in cases:
        payload = copy.deepcopy(good)
        _set_column(payload, "table", column, change)
        with pytest.raises(ResultFormatError, match=words):
            _load(payload)
    sim = simulate_kano_survey(n=40, random_state=1)
    kano = quiet(lambda: csi.Kano(features=sim.features).fit(sim.frame))
    payload = json.loads(kano.to_json())
    _set_column(payload, "shares", "A", lambda v: [x * 0.5 for x in v])
    with pytest.raises(ResultFormatError, match="the category shares of a feature must sum to 1"):
        _load(payload)


def _public_models() -> list[Any]:
    out = []
    for name in sorted(csi.__all__):
        cls = getattr(csi, name)
        if isinstance(cls, type) and issubclass(cls, pydantic.BaseModel):
            if issubclass(cls, csi.Result):
                continue
            out.append(pytest.param(cls, id=name))
    return out


_REQUIRED: dict[str, dict[str, Any]] = {"FCETree": {"name": "group", "membership": [[1.0]]}}


@pytest.mark.parametrize("cls", _public_models())
def test_every_public_model_refuses_odd_settings_with_a_csimodels_error(cls: type) -> None:
    base = _REQUIRED.get(cls.__name__, {})
    for field_name in cls.model_fields:  # type: ignore[attr-defined]
        for value in ODD_VALUES:
            call = lambda v, f=field_name: cls(**{**base, f: v})  # noqa: E731
            call.__qualname__ = f"{cls.__name__}({field_name}=)"
            check_call(call, value)


@pytest.mark.parametrize("kind", ["csimodels.__main__.X", "csimodels.cli.Result", "os.path.X"])
def test_a_payload_never_chooses_which_module_is_imported(kind: str) -> None:
    import sys

    before = set(sys.modules)
    with pytest.raises(ResultFormatError, match="not a registered csimodels result type"):
        csi.result_from_json(json.dumps({"result_type": kind}))
    assert "csimodels.__main__" not in sys.modules  # importing it would run the CLI
    assert not {"csimodels.__main__", "csimodels.cli"} & (set(sys.modules) - before)


def test_zz_property_counts(capsys: pytest.CaptureFixture[str]) -> None:
    """Report how many inputs the property suite tried (run with ``-s`` to see it)."""
    with capsys.disabled():
        print(
            f"\nproperty suite: {PROBE.tried} inputs tried, {len(PROBE.raw)} raw exceptions, "
            f"{len(PROBE.silent)} silent problems"
        )
        kinds = Counter(line.split(":")[0] + ": " + line.split(":")[1] for line in PROBE.raw)
        for line, k in sorted(kinds.items()):
            print(f"   {k:4d} x {line}")
        for line, k in sorted(Counter(PROBE.silent).items()):
            print(f"   {k:4d} x {line}")
    assert PROBE.raw == [] or COUNT_ONLY
