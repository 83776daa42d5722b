"""SurveyData: validation, missing codes, reverse coding, weights, segments, description.

Oracles: pandas and numpy for unweighted statistics (``Series.mean/std/median/skew``,
``DataFrame.corr``) and ``numpy.cov(aweights=...)`` for weighted covariances.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import csimodels as csi
from csimodels.errors import DataQualityWarning, DataValidationError


@pytest.fixture
def survey_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "SAT1": [7, 9, 99, 10, 4, 8],
            "SAT2": [6, 8, 7, 10, 3, 99],
            "NEG": [2, 1, 5, 1, 8, 3],
            "w": [1.0, 2.0, 1.0, 0.5, 1.5, 1.0],
            "region": ["N", "N", "S", "S", "S", "N"],
            "city": ["a", "b", "c", "c", "d", "a"],
            "quarter": ["Q1", "Q2", "Q1", "Q2", "Q1", "Q2"],
        },
        index=[10, 11, 12, 13, 14, 15],
    )


def build(df: pd.DataFrame, **kwargs: object) -> csi.SurveyData:
    defaults: dict[str, object] = {
        "items": ["SAT1", "SAT2", "NEG"],
        "scale": (1, 10),
        "missing_codes": [99],
        "weight": "w",
        "segments": ["region", "city"],
        "period": "quarter",
    }
    defaults.update(kwargs)
    return csi.SurveyData.from_frame(df, **defaults)  # type: ignore[arg-type]


# -- construction -------------------------------------------------------------------


def test_missing_codes_become_nan_and_shares_are_reported(survey_frame: pd.DataFrame) -> None:
    data = build(survey_frame)
    assert np.isnan(data.frame.loc[12, "SAT1"])
    assert np.isnan(data.frame.loc[15, "SAT2"])
    shares = data.missing_shares()
    assert shares["SAT1"] == pytest.approx(1 / 6)
    assert shares["NEG"] == 0


def test_caller_frame_is_not_modified(survey_frame: pd.DataFrame) -> None:
    before = survey_frame.copy(deep=True)
    data = build(survey_frame, reverse=["NEG"])
    data.describe()
    data.item_matrix(missing="mean")
    pd.testing.assert_frame_equal(survey_frame, before)
    # and the survey does not share memory with the caller's frame
    frame = data.frame
    frame.loc[10, "SAT1"] = -1
    pd.testing.assert_frame_equal(survey_frame, before)
    assert data.frame.loc[10, "SAT1"] != -1  # nor can its own frame be edited


def test_reverse_coding(survey_frame: pd.DataFrame) -> None:
    data = build(survey_frame, reverse=["NEG"])
    expected = 1 + 10 - survey_frame["NEG"].to_numpy(dtype=float)
    np.testing.assert_array_equal(data.frame["NEG"].to_numpy(), expected)
    assert data.item_info["NEG"].reverse_coded


def test_chinese_labels_travel(survey_frame: pd.DataFrame) -> None:
    data = build(
        survey_frame,
        labels={"SAT1": "总体满意度"},
        constructs={"满意度": ["SAT1", "SAT2"]},
        construct_labels={"满意度": "顾客满意度"},
    )
    desc = data.describe()
    assert desc.table.loc["SAT1", "label"] == "总体满意度"
    again = csi.result_from_json(desc.to_json())
    assert again == desc
    assert "总体满意度" in str(desc.summary())


def test_from_csv(tmp_path: object, survey_frame: pd.DataFrame) -> None:
    path = f"{tmp_path}/survey.csv"
    survey_frame.to_csv(path, index=False)
    data = csi.SurveyData.from_csv(path, items=["SAT1", "SAT2"], scale=(1, 10), missing_codes=[99])
    assert data.n_respondents == 6


def test_from_excel(tmp_path: object, survey_frame: pd.DataFrame) -> None:
    pytest.importorskip("openpyxl")
    path = f"{tmp_path}/survey.xlsx"
    survey_frame.to_excel(path, index=False)
    data = csi.SurveyData.from_excel(path, items=["SAT1"], scale=(1, 10), missing_codes=[99])
    assert data.missing_shares()["SAT1"] == pytest.approx(1 / 6)


def test_string_missing_codes() -> None:
    df = pd.DataFrame({"Q": [1, "DK", 3]}, dtype=object)
    data = csi.SurveyData.from_frame(df, scale=(1, 5), missing_codes=["DK"])
    assert data.frame["Q"].isna().tolist() == [False, True, False]


def test_per_item_scales_and_codes() -> None:
    df = pd.DataFrame({"A": [1, 5, 0], "B": [1, 10, 99]})
    data = csi.SurveyData.from_frame(
        df, scale={"A": (1, 5), "B": (1, 10)}, missing_codes={"A": [0], "B": [99]}
    )
    assert data.scale_of("A") == csi.Scale(min=1, max=5)
    assert data.frame.isna().sum().tolist() == [1, 1]


# -- validation errors ----------------------------------------------------------------


def test_non_numeric_values_name_column_and_rows() -> None:
    df = pd.DataFrame({"Q1": [1, 2, 3], "Q2": [1, "seven", "n/a"]}, index=["r1", "r2", "r3"])
    with pytest.raises(DataValidationError) as err:
        csi.SurveyData.from_frame(df, scale=(1, 10))
    msg = str(err.value)
    assert "column 'Q2'" in msg
    assert "row 'r2': 'seven'" in msg and "row 'r3': 'n/a'" in msg
    assert "missing_codes" in msg


def test_numeric_strings_are_not_guessed() -> None:
    df = pd.DataFrame({"Q": ["1", "2"]})
    with pytest.raises(DataValidationError, match="column 'Q' has 2 non-numeric values"):
        csi.SurveyData.from_frame(df, scale=(1, 5))


def test_out_of_scale_values_suggest_missing_code() -> None:
    df = pd.DataFrame({"SAT2": [1, 99] + [5] * 20 + [99]})
    with pytest.raises(DataValidationError) as err:
        csi.SurveyData.from_frame(df, scale=(1, 10))
    msg = str(err.value)
    assert "column 'SAT2' has 2 values outside the scale [1, 10]" in msg
    assert "row 1: 99" in msg and "row 22: 99" in msg
    assert "missing_codes=[99]" in msg


def test_at_most_five_rows_are_listed() -> None:
    df = pd.DataFrame({"Q": [0] * 12})
    with pytest.raises(DataValidationError, match=r"row 4: 0 and 7 more"):
        csi.SurveyData.from_frame(df, scale=(1, 5))


def test_infinite_values_rejected() -> None:
    df = pd.DataFrame({"Q": [1.0, np.inf]})
    with pytest.raises(DataValidationError, match="column 'Q' has infinite values"):
        csi.SurveyData.from_frame(df)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"items": ["SAT1", "NOPE"]}, "item column 'NOPE' not found in data"),
        ({"items": ["SAT1", "SAT1"]}, "items lists 'SAT1' more than once"),
        ({"weight": "weights"}, "column 'weights' not found"),
        ({"segments": ["country"]}, "column 'country' not found"),
        ({"labels": {"XX": "label"}}, "labels for item 'XX' not found"),
        ({"reverse": ["XX"]}, "reverse-coded item 'XX' not found"),
        (
            {"constructs": {"A": ["SAT1"], "B": ["SAT1", "SAT2"]}},
            "item 'SAT1' is listed under both 'A' and 'B'",
        ),
        ({"constructs": {"A": []}}, "construct 'A' has no items"),
        ({"constructs": {"A": ["ZZ"]}}, "construct 'A' lists 'ZZ', which is not an item"),
        ({"construct_labels": {"Q": "x"}}, "construct_labels names 'Q'"),
        ({"items": ["SAT1", "w"]}, "column 'w' is both an item and a weight"),
        ({"scale": (10, 1)}, "finite bounds with min < max, got [10.0, 1.0]"),
        ({"scale": {"XX": (1, 5)}}, "scale names 'XX', which is not an item"),
        ({"missing_codes": 99}, "missing_codes must be a list"),
    ],
)
def test_bad_arguments(survey_frame: pd.DataFrame, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(DataValidationError) as err:
        build(survey_frame, **kwargs)
    assert message in str(err.value)


def test_reverse_needs_a_scale(survey_frame: pd.DataFrame) -> None:
    with pytest.raises(DataValidationError, match="reverse-coded item 'NEG' has no declared scale"):
        csi.SurveyData.from_frame(survey_frame, items=["NEG"], reverse=["NEG"])


def test_duplicated_columns_in_frame() -> None:
    df = pd.DataFrame([[1, 2]], columns=["Q", "Q"])
    with pytest.raises(DataValidationError, match="duplicated column names: 'Q'"):
        csi.SurveyData.from_frame(df)


def test_duplicated_row_labels() -> None:
    df = pd.DataFrame({"Q": [1, 2]}, index=[0, 0])
    with pytest.raises(DataValidationError, match="duplicated row labels: 0"):
        csi.SurveyData.from_frame(df)


def test_empty_frame_and_wrong_type() -> None:
    with pytest.raises(DataValidationError, match="no rows"):
        csi.SurveyData.from_frame(pd.DataFrame({"Q": []}))
    with pytest.raises(DataValidationError, match="must be a pandas DataFrame, got list"):
        csi.SurveyData.from_frame([[1, 2]])  # type: ignore[arg-type]
    with pytest.raises(DataValidationError, match="SurveyData or a pandas DataFrame, got dict"):
        csi.SurveyData.coerce({"Q": [1]})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ([1.0, -1.0, 1.0], "weight column 'w' has 1 invalid value (row 1: -1)"),
        ([1.0, np.nan, 1.0], "weight column 'w' has 1 invalid value (row 1: nan)"),
        ([1.0, np.inf, 1.0], "weight column 'w' has 1 invalid value"),
        ([1.0, "heavy", 1.0], "row 1: 'heavy'"),
        ([0.0, 0.0, 0.0], "weight column 'w' is zero for every respondent"),
    ],
)
def test_bad_weights(weights: list[object], message: str) -> None:
    df = pd.DataFrame({"Q": [1, 2, 3], "w": weights})
    with pytest.raises(DataValidationError) as err:
        csi.SurveyData.from_frame(df, weight="w", scale=(1, 5))
    assert message in str(err.value)


def test_segments_missing_and_not_hierarchical(survey_frame: pd.DataFrame) -> None:
    df = survey_frame.copy()
    df.loc[11, "region"] = None
    with pytest.raises(DataValidationError, match="segment column 'region' has 1 missing value"):
        build(df)
    df = survey_frame.copy()
    df.loc[12, "city"] = "a"  # city 'a' now under N and S
    with pytest.raises(DataValidationError) as err:
        build(df)
    assert "city 'a' appears under region 'N', 'S'" in str(err.value)


def test_item_with_no_valid_answers() -> None:
    df = pd.DataFrame({"Q": [99, 99], "R": [1, 2]})
    with pytest.raises(DataValidationError, match="column 'Q' has no valid answers"):
        csi.SurveyData.from_frame(df, scale=(1, 5), missing_codes=[99])


def test_constant_item_warns() -> None:
    df = pd.DataFrame({"Q": [3, 3, 3], "R": [1, 2, 3]})
    with pytest.warns(DataQualityWarning, match="item 'Q' is constant"):
        csi.SurveyData.from_frame(df, scale=(1, 5))


def test_non_string_item_names() -> None:
    with pytest.raises(DataValidationError, match="item column names must be strings"):
        csi.SurveyData.from_frame(pd.DataFrame({0: [1, 2]}))


# -- missing-data strategies ------------------------------------------------------------


def test_item_matrix_strategies(survey_frame: pd.DataFrame) -> None:
    data = build(survey_frame)
    lw = data.item_matrix(missing="listwise")
    assert lw.report.n_rows_dropped == 2 and lw.values.shape == (4, 3)
    assert list(lw.rows) == [10, 11, 13, 14]
    mean = data.item_matrix(["SAT1"], missing="mean")
    w = survey_frame["w"].to_numpy()
    x = survey_frame["SAT1"].to_numpy(dtype=float)
    keep = x != 99
    assert mean.values[2, 0] == pytest.approx(np.average(x[keep], weights=w[keep]))
    assert mean.report.n_values_imputed == 1
    pw = data.item_matrix(missing="pairwise")
    assert np.isnan(pw.values).sum() == 2


def test_listwise_to_empty_and_bad_strategy() -> None:
    df = pd.DataFrame({"A": [1, np.nan], "B": [np.nan, 2]})
    data = csi.SurveyData.from_frame(df, scale=(1, 5))
    with pytest.raises(DataValidationError, match="listwise deletion left an empty dataset"):
        data.item_matrix(missing="listwise")
    with pytest.raises(DataValidationError, match="missing='drop' is not a missing-data strategy"):
        data.item_matrix(missing="drop")
    with pytest.raises(DataValidationError, match="item 'C' not in this survey"):
        data.item_matrix(["C"])


# -- segments -------------------------------------------------------------------------------


def test_groups_and_subset(survey_frame: pd.DataFrame) -> None:
    data = build(survey_frame)
    groups = dict(data.groups("region"))
    assert sorted(groups) == ["N", "S"]
    assert groups["N"].n_respondents == 3
    assert groups["N"].item_info == data.item_info
    periods = dict(data.groups("quarter"))
    assert sum(p.n_respondents for p in periods.values()) == 6
    with pytest.raises(DataValidationError, match="by='store' is not a segment or period"):
        list(data.groups("store"))
    sub = data.subset(data.frame["region"] == "S")
    assert sub.n_respondents == 3
    with pytest.raises(DataValidationError, match="the subset has no respondents"):
        data.subset(data.frame["region"] == "X")


# -- description against pandas / numpy ------------------------------------------------------


def test_describe_unweighted_matches_pandas(survey_frame: pd.DataFrame) -> None:
    data = build(survey_frame, weight=None)
    desc = data.describe()
    for item in ["SAT1", "SAT2", "NEG"]:
        s = survey_frame[item].replace(99, np.nan)
        row = desc.table.loc[item]
        assert row["n"] == s.count()
        assert row["mean"] == pytest.approx(s.mean())
        assert row["sd"] == pytest.approx(s.std())
        assert row["variance"] == pytest.approx(s.var())
        assert row["median"] == pytest.approx(s.median())
        assert row["skewness"] == pytest.approx(s.skew())
        assert row["mode"] == s.mode().min()
        assert row["min"] == s.min() and row["max"] == s.max()
        # top-2-box on a 1-10 scale: answers 9 and 10
        assert row["top_box"] == pytest.approx((s >= 9).sum() / s.count())
        assert row["bottom_box"] == pytest.approx((s <= 2).sum() / s.count())
        counts = s.value_counts()
        for value, count in counts.items():
            assert desc.counts.loc[item, float(value)] == count
            assert desc.frequencies.loc[item, float(value)] == pytest.approx(count / s.count())
    assert list(desc.frequencies.columns) == [float(v) for v in range(1, 11)]


def test_describe_weighted_matches_numpy(survey_frame: pd.DataFrame) -> None:
    data = build(survey_frame)
    desc = data.describe()
    w = survey_frame["w"].to_numpy()
    x = survey_frame["SAT1"].to_numpy(dtype=float)
    keep = x != 99
    mean = np.average(x[keep], weights=w[keep])
    assert desc.table.loc["SAT1", "mean"] == pytest.approx(mean)
    # relative weights rescaled to n: variance = sum w (x - m)^2 / (n - 1)
    wn = w[keep] * keep.sum() / w[keep].sum()
    var = np.sum(wn * (x[keep] - mean) ** 2) / (keep.sum() - 1)
    assert desc.table.loc["SAT1", "variance"] == pytest.approx(var)
    top = w[keep][x[keep] >= 9].sum() / w[keep].sum()
    assert desc.table.loc["SAT1", "top_box"] == pytest.approx(top)


def test_weights_scale_invariance(survey_frame: pd.DataFrame) -> None:
    a = build(survey_frame).describe()
    df = survey_frame.assign(w=survey_frame["w"] * 37.5)
    b = build(df).describe()
    pd.testing.assert_frame_equal(a.table, b.table)
    pd.testing.assert_frame_equal(a.frequencies, b.frequencies)


def test_correlations_against_pandas_and_numpy() -> None:
    sim = csi.datasets.simulate_csi_survey("scsi", n=300, missing_rate=0.05, random_state=4)
    df = sim.frame[list(sim.data.items)]
    data = csi.SurveyData.from_frame(df, scale=(1, 10))
    pd.testing.assert_frame_equal(data.correlations(), df.corr(), check_names=False)
    complete = df.dropna()
    data_c = csi.SurveyData.from_frame(complete, scale=(1, 10))
    pd.testing.assert_frame_equal(
        data_c.correlations(method="spearman"), complete.corr(method="spearman"), check_names=False
    )
    w = np.random.default_rng(0).uniform(0.5, 2, complete.shape[0])
    data_w = csi.SurveyData.from_frame(complete.assign(w=w), weight="w", scale=(1, 10))
    cov = np.cov(complete.to_numpy().T, aweights=w)
    d = np.sqrt(np.diag(cov))
    np.testing.assert_allclose(data_w.correlations().to_numpy(), cov / np.outer(d, d), atol=1e-12)
    with pytest.raises(DataValidationError, match="method='kendall' is not a correlation method"):
        data.correlations(method="kendall")


def test_describe_without_scale_has_no_box_shares() -> None:
    data = csi.SurveyData.from_frame(pd.DataFrame({"Q": [1.5, 2.5, 2.5]}))
    row = data.describe().table.loc["Q"]
    assert np.isnan(row["top_box"]) and np.isnan(row["bottom_box"])
    with pytest.raises(DataValidationError, match="box must be a positive integer"):
        data.describe(box=0)


# -- properties of the validators ---------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(min_value=2, max_value=40),
    k=st.integers(min_value=1, max_value=5),
    bad_value=st.sampled_from([0, 11, 12.5, -3, 1000]),
    seed=st.integers(min_value=0, max_value=10_000),
)
def test_any_off_scale_cell_is_named(n: int, k: int, bad_value: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(rng.integers(1, 11, size=(n, k)), columns=[f"Q{j}" for j in range(k)])
    row, col = int(rng.integers(n)), int(rng.integers(k))
    df = df.astype(float)
    df.iloc[row, col] = bad_value
    with pytest.raises(DataValidationError) as err:
        csi.SurveyData.from_frame(df, scale=(1, 10))
    msg = str(err.value)
    assert f"column 'Q{col}'" in msg
    assert f"row {row}:" in msg


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(st.integers(min_value=1, max_value=7), min_size=3, max_size=30),
    factor=st.floats(min_value=0.01, max_value=100),
)
def test_describe_weight_scaling_property(values: list[int], factor: float) -> None:
    rng = np.random.default_rng(len(values))
    w = rng.uniform(0.1, 3, len(values))
    df = pd.DataFrame({"Q": values, "w": w})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        a = csi.SurveyData.from_frame(df, weight="w", scale=(1, 7)).describe().table
        b = (
            csi.SurveyData.from_frame(df.assign(w=w * factor), weight="w", scale=(1, 7))
            .describe()
            .table
        )
    num = a.columns.drop("label")
    np.testing.assert_allclose(
        a[num].to_numpy(dtype=float), b[num].to_numpy(dtype=float), rtol=1e-9, equal_nan=True
    )


def test_data_card_states_the_roles_and_items() -> None:
    SurveyData = csi.SurveyData
    df = pd.DataFrame(
        {
            "Q1": [1, 2, 3, 99],
            "Q2": [5, 4, 3, 2],
            "w": [1.0, 1.0, 2.0, 2.0],
            "region": ["N", "N", "S", "S"],
        }
    )
    data = SurveyData.from_frame(
        df, scale=(1, 5), weight="w", segments=["region"], missing_codes=[99], reverse=["Q2"]
    )
    card = data.summary()
    header = dict(card.header)
    # Kish (1965): n_eff = (sum w)^2 / sum w^2 = 36 / 10
    assert header["Weight"] == "w (Kish effective n 4)"
    assert header["Segment region"] == "2 values"
    items = card.tables["Items"]
    assert items.loc["Q1", "missing_share"] == 0.25
    assert bool(items.loc["Q2", "reverse_coded"]) and items.loc["Q2", "scale"] == "1–5"
    assert "Respondents" in repr(data) and "frame=" not in repr(data)
    assert "<table" in data._repr_html_()
    wide = SurveyData.from_frame(pd.DataFrame({f"Q{i}": [1.0, 2.0] for i in range(60)}))
    shown = wide.summary(max_items=40)
    assert len(shown.tables["Items"]) == 40 and shown.notes == ["20 more items are not listed"]


def test_preparation_record_counts_what_was_recoded_and_left_out() -> None:
    df = pd.DataFrame({"Q1": [1, 99, 3, 99, 2], "Q2": [5, 4, 98, 2, 1], "Q3": [2, 2, 3, 4, np.nan]})
    data = csi.SurveyData.from_frame(
        df, scale=(1, 5), missing_codes={"Q1": [99], "Q2": [98]}, reverse=["Q3"]
    )
    codes, reverse = data.steps
    # three answers carry a missing-value code; Q3's NaN was missing before
    assert codes.counts == {"answers": int((df[["Q1", "Q2"]] >= 98).sum().sum())}
    assert codes.items == ("Q1", "Q2") and reverse.items == ("Q3",)
    kept = data.subset(data.frame["Q2"] > 1, reason="answered Q2")
    assert kept.steps[-1].describe() == "kept 3 of 5 respondents: answered Q2"
    assert kept.steps[:2] == data.steps and data.subset([0, 1]).steps == data.steps
    assert "Preparation" in kept.summary().tables
    none = csi.data.DataStep(kind="screening", n_before=5, n_after=5)
    assert none.describe() == "screening excluded none of the 5 respondents"
    assert none.describe("zh") == "筛查未剔除任何受访者（共 5 位）"
    steps = kept.describe().settings["data_steps"]
    assert [s["kind"] for s in steps] == ["missing_codes", "reverse", "subset"]
    for bad in ("", "   ", 3):
        with pytest.raises(DataValidationError, match="reason must be a non-empty text"):
            data.subset([0, 1], reason=bad)  # type: ignore[arg-type]
    with pytest.raises(DataValidationError, match="DataStep"):
        csi.data.steps.DataStep(kind="dropped", n_before=1, n_after=1)  # type: ignore[arg-type]
