"""The shared result family: exact JSON round trips, summaries, equality."""

from __future__ import annotations

import json
import math
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import csimodels as csi
from csimodels._tables import table_from_payload, table_to_payload
from csimodels.errors import CSIModelsError
from csimodels.results import Frame, MissingDataReport, Result, SeriesTable


class ToyResult(Result):
    table: Frame
    vector: SeriesTable
    missing: MissingDataReport | None = None
    _title: ClassVar[str] = "Toy"

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        return [("Rows", len(self.table))], {"Table": self.table, "Vector": self.vector}


def toy() -> ToyResult:
    table = pd.DataFrame(
        {
            "estimate": [0.1 + 0.2, math.nan, math.inf, -math.inf, 1e-300],
            "n": np.array([1, 2, 3, 4, 5], dtype=np.int64),
            "flag": [True, False, True, False, True],
            "label": ["感知质量", "a", "b", "c", "d"],
        },
        index=pd.MultiIndex.from_tuples(
            [("Image", "IMAG1"), ("Image", "IMAG2"), ("质量", "Q1"), ("质量", "Q2"), ("x", "y")],
            names=["construct", "item"],
        ),
    )
    vector = pd.Series([1 / 3, 2 / 3], index=pd.Index(["甲", "乙"], name="factor"), name="weight")
    return ToyResult(
        table=table,
        vector=vector,
        settings={"method": "toy", "seed": 3, "level": 0.95, "bounds": (1, 10), "nan": math.nan},
        notes=("a note",),
        missing=MissingDataReport(strategy="mean", n_rows=5, n_rows_used=5, n_values_imputed=2),
    )


def test_json_round_trip_is_exact() -> None:
    res = toy()
    text = res.to_json()
    json.loads(text)  # strict JSON (no bare NaN)
    assert "NaN" in text and "感知质量" in text
    back = ToyResult.from_json(text)
    pd.testing.assert_frame_equal(back.table, res.table, check_exact=True)
    pd.testing.assert_series_equal(back.vector, res.vector, check_exact=True)
    assert back.table["estimate"].iloc[0] == 0.1 + 0.2  # bit-exact float
    assert back == res
    assert csi.result_from_json(text) == res
    assert back.missing == res.missing
    assert back.settings["bounds"] == [1, 10]


def test_from_json_refuses_another_type() -> None:
    desc = csi.datasets.load_example("acsi_demo").describe()
    with pytest.raises(
        CSIModelsError, match="cannot read a 'DescriptionResult' payload as ToyResult"
    ):
        ToyResult.from_json(desc.to_json())


def test_summary_text_html_and_notes() -> None:
    res = toy()
    text = str(res)
    assert text.splitlines()[0].strip() == "Toy"
    assert "Rows:" in text and "[1] a note" in text
    assert "0.3000" in text  # rounded only for display
    assert res.table["estimate"].iloc[0] != 0.3
    html = res._repr_html_()
    assert "<table" in html and "a note" in html
    assert repr(res).startswith("<ToyResult at ")
    assert res.summary(precision=2).as_text().count("0.30") >= 1


def test_results_are_frozen() -> None:
    res = toy()
    with pytest.raises(Exception, match="frozen"):
        res.notes = ()  # type: ignore[misc]


def test_equality_detects_differences() -> None:
    a = toy()
    b = ToyResult(
        table=a.table.assign(estimate=a.table["estimate"] + 1), vector=a.vector, settings=a.settings
    )
    assert a != b
    assert hash(a) == hash(toy())


@settings(max_examples=50, deadline=None)
@given(
    values=hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=5),
        elements=st.floats(allow_nan=True, allow_infinity=True),
    )
)
def test_any_float_table_round_trips(values: np.ndarray) -> None:
    frame = pd.DataFrame(values, columns=[f"c{j}" for j in range(values.shape[1])])
    back = table_from_payload(json.loads(json.dumps(table_to_payload(frame), allow_nan=False)))
    assert isinstance(back, pd.DataFrame)
    pd.testing.assert_frame_equal(back, frame, check_exact=True)


def test_categorical_and_empty_tables() -> None:
    frame = pd.DataFrame({"grade": pd.Categorical(["优秀", "良好"]), "x": [1.0, 2.0]})
    back = table_from_payload(table_to_payload(frame))
    assert list(back["grade"]) == ["优秀", "良好"]
    empty = pd.DataFrame({"x": pd.Series([], dtype=float)})
    back_empty = table_from_payload(table_to_payload(empty))
    assert back_empty.shape == (0, 1)


@settings(max_examples=50, deadline=None)
@given(
    texts=st.lists(st.one_of(st.none(), st.sampled_from(["NaN", "a", "区域", "", "Infinity"])),
                   min_size=1, max_size=6)
)  # fmt: skip
def test_text_columns_with_missing_values_round_trip(texts: list[str | None]) -> None:
    # a missing text cell must come back missing, and the text "NaN" must stay text
    frame = pd.DataFrame(
        {"s": pd.Series(texts, dtype="string"), "t": pd.Series(texts, dtype="str")}
    )
    back = table_from_payload(json.loads(json.dumps(table_to_payload(frame), allow_nan=False)))
    assert isinstance(back, pd.DataFrame)
    pd.testing.assert_frame_equal(back, frame, check_exact=True)


def test_missing_data_report_sentences() -> None:
    assert (
        "mean replacement: 3"
        in MissingDataReport(
            strategy="mean", n_rows=9, n_rows_used=9, n_values_imputed=3
        ).describe()
    )
    assert "pairwise" in MissingDataReport(strategy="pairwise", n_rows=9, n_rows_used=9).describe()


@pytest.mark.parametrize("method", ["holm", "bonferroni", "fdr_bh"])
def test_p_adjustment_equals_statsmodels(method: str) -> None:
    from statsmodels.stats.multitest import multipletests

    from csimodels._stats import adjust_p_values

    rng = np.random.default_rng(3)
    for size in (1, 2, 7, 40):
        p = rng.uniform(0, 0.2, size) ** 2
        p[rng.random(size) < 0.2] = p[0]  # ties
        expected = multipletests(p, method=method)[1]
        np.testing.assert_allclose(adjust_p_values(p, method), expected, rtol=1e-12)
        with_nan = np.append(p, np.nan)
        got = adjust_p_values(with_nan, method)
        assert np.isnan(got[-1])
        np.testing.assert_allclose(got[:-1], expected, rtol=1e-12)


def test_unknown_p_adjustment_is_refused() -> None:
    from csimodels._stats import adjust_p_values
    from csimodels.errors import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="p_adjust='sidak' is not a multiple"):
        adjust_p_values(np.array([0.1]), "sidak")


def test_fiml_missing_data_sentence() -> None:
    report = MissingDataReport(strategy="fiml", n_rows=10, n_rows_used=9, n_rows_dropped=1)
    assert report.describe() == (
        "full-information maximum likelihood: every observed answer of 9 of 10 respondents "
        "used (1 without any answer dropped)"
    )
