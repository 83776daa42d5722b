"""Tests of csimodels.kano (Kano classification) and csimodels.datasets.kano (simulator).

References used for the expected numbers (all derived on paper in the comments):

- Berger, C. et al. (1993), "Kano's methods for understanding customer-defined quality",
  Center for Quality of Management Journal 2(4): the evaluation table (their table 1),
  the Better/Worse "customer satisfaction coefficient" (attributed there to Timko):
  Better = (A + O) / (A + O + M + I), Worse = -(O + M) / (A + O + M + I), and DuMouchel's
  continuous analysis (functional scores 4, 2, 0, -1, -2; dysfunctional -2, -1, 0, 2, 4).
- Fong, D. (1996), Center for Quality of Management Journal 5(3): the two top categories
  differ when |a - b| >= 1.65 * sqrt((a + b)(2n - a - b) / (2n)).
- Lee, M. C. and Newcomb, J. F. (1997), Quality Management Journal 4(3): category
  strength (share of the first minus the second category) and total strength (A + O + M).
"""

from __future__ import annotations

import copy
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import csimodels as csi
from csimodels.datasets.kano import SimulatedKanoSurvey, simulate_kano_survey
from csimodels.errors import DataQualityWarning, DataValidationError, SpecificationError
from csimodels.kano import KANO_TABLES, Kano, KanoResult, demo_section

ANS = ["Like", "Must-be", "Neutral", "Live-with", "Dislike"]

# Berger et al. (1993), table 1, typed from the publication (rows functional answer,
# columns dysfunctional answer; both Like, Must-be, Neutral, Live-with, Dislike).
BERGER = {
    "Like": "Q A A A O",
    "Must-be": "R I I I M",
    "Neutral": "R I I I M",
    "Live-with": "R I I I M",
    "Dislike": "R R R R Q",
}
BERGER_CELLS = [(f, d, BERGER[f].split()[j]) for f in ANS for j, d in enumerate(ANS)]

# one representative answer pair (codes) per category, from the table above
PAIR = {"A": (1, 3), "O": (1, 5), "M": (2, 5), "I": (3, 3), "R": (5, 1), "Q": (1, 1)}


def frame_from_counts(**features: dict[str, int]) -> pd.DataFrame:
    """A survey where feature k has the given number of respondents per category."""
    columns: dict[str, list[float]] = {}
    n = max(sum(c.values()) for c in features.values())
    for name, counts in features.items():
        f: list[float] = []
        d: list[float] = []
        for cat, k in counts.items():
            f += [PAIR[cat][0]] * k
            d += [PAIR[cat][1]] * k
        f += [np.nan] * (n - len(f))
        d += [np.nan] * (n - len(d))
        columns[f"{name}_f"] = f
        columns[f"{name}_d"] = d
    return pd.DataFrame(columns)


def model_for(*names: str, **kwargs: object) -> Kano:
    return Kano(features={n: (f"{n}_f", f"{n}_d") for n in names}, **kwargs)  # type: ignore[arg-type]


def fit_quiet(model: Kano, data: object, **kwargs: object) -> KanoResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return model.fit(data, **kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# the evaluation table
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("functional", "dysfunctional", "expected"), BERGER_CELLS)
def test_berger_table_cell(functional: str, dysfunctional: str, expected: str) -> None:
    model = Kano(features={"x": ("f", "d")})
    assert model.evaluation_table().loc[functional, dysfunctional] == expected
    # the same cell through the whole pipeline, with labels and with codes
    df = pd.DataFrame({"f": [functional], "d": [dysfunctional]})
    assert model.classify_respondents(df).loc[0, "x"] == expected
    codes = pd.DataFrame({"f": [ANS.index(functional) + 1], "d": [ANS.index(dysfunctional) + 1]})
    assert model.classify_respondents(codes).loc[0, "x"] == expected


def test_registry_and_custom_table() -> None:
    assert sorted(KANO_TABLES) == ["berger1993"]
    # a custom table: everything Indifferent except (Like, Dislike) = O
    custom = [["I"] * 5 for _ in range(5)]
    custom[0][4] = "O"
    model = Kano(features={"x": ("f", "d")}, table=custom)
    df = pd.DataFrame({"f": [1, 2, 1], "d": [5, 5, 1]})
    assert model.classify_respondents(df)["x"].tolist() == ["O", "I", "I"]
    res = fit_quiet(model, df)
    assert res.settings["table"] == "custom"
    assert res.settings["evaluation_table"][0][4] == "O"


# --------------------------------------------------------------------------------------
# hand-tallied features
# --------------------------------------------------------------------------------------
def test_clear_mode_strengths_fong_better_worse() -> None:
    # 10 respondents: 6 M, 2 O, 1 A, 1 I
    df = frame_from_counts(lock={"M": 6, "O": 2, "A": 1, "I": 1})
    res = model_for("lock").fit(df)
    row = res.classification.loc["lock"]
    assert res.counts.loc["lock", ["A", "O", "M", "I", "R", "Q", "n"]].tolist() == [
        1,
        2,
        6,
        1,
        0,
        0,
        10,
    ]
    assert row["category"] == "M" and row["mode"] == "M" and row["second"] == "O"
    assert row["category_name"] == "Must-be"
    assert row["category_strength"] == pytest.approx(0.6 - 0.2)  # Lee & Newcomb
    assert row["total_strength"] == pytest.approx(0.1 + 0.2 + 0.6)
    # Fong: a = 6, b = 2, n = 10: |6 - 2| = 4 >= 1.65 sqrt(8 * 12 / 20) = 3.61497
    assert row["fong_statistic"] == pytest.approx(4.0)
    assert row["fong_bound"] == pytest.approx(1.65 * math.sqrt(4.8))
    assert row["fong_bound"] == pytest.approx(3.614969, abs=1e-6)
    assert bool(row["fong_significant"]) and row["combined"] == "M"
    # Better = (1 + 2) / 10, Worse = -(2 + 6) / 10
    assert res.better_worse.loc["lock", "better"] == pytest.approx(0.3)
    assert res.better_worse.loc["lock", "worse"] == pytest.approx(-0.8)
    assert res.better_worse.loc["lock", "quadrant"] == "M"  # Better < 0.5, |Worse| >= 0.5


def test_tie_resolved_by_priority_and_fong_not_significant() -> None:
    df = frame_from_counts(
        mo={"O": 4, "M": 4, "A": 2},  # tie O/M -> M (M > O)
        ai={"A": 3, "I": 3, "O": 1, "M": 1},  # tie A/I -> A (A > I)
        oa={"A": 4, "O": 4, "I": 2},  # tie A/O -> O (O > A)
    )
    res = model_for("mo", "ai", "oa").fit(df)
    c = res.classification
    assert c.loc["mo", "category"] == "M" and c.loc["mo", "second"] == "O"
    assert c.loc["ai", "category"] == "A" and c.loc["ai", "second"] == "I"
    assert c.loc["oa", "category"] == "O" and c.loc["oa", "second"] == "A"
    # equal counts: |4 - 4| = 0 < bound, so the labels combine
    assert c.loc["mo", "combined"] == "M/O"
    assert c.loc["mo", "fong_bound"] == pytest.approx(1.65 * math.sqrt(8 * 12 / 20))
    assert c.loc["mo", "category_strength"] == pytest.approx(0.0)


def test_fong_not_significant_with_clear_mode() -> None:
    # 5 A, 3 O, 2 I: A is the mode, but |5 - 3| = 2 < 1.65 sqrt(8 * 12 / 20) = 3.615
    # 17 A, 3 O of 20: |17 - 3| = 14 >= 1.65 sqrt(20 * 20 / 40) = 5.2178
    df = frame_from_counts(a={"A": 5, "O": 3, "I": 2}, b={"A": 17, "O": 3})
    c = model_for("a", "b").fit(df).classification
    assert c.loc["a", "category"] == "A"
    assert not c.loc["a", "fong_significant"] and c.loc["a", "combined"] == "A/O"
    assert c.loc["b", "fong_bound"] == pytest.approx(1.65 * math.sqrt(20 * 20 / 40))
    assert c.loc["b", "fong_significant"] and c.loc["b", "combined"] == "A"
    # a larger critical value (alpha = 0.01, z = 2.5758) keeps b significant:
    # 14 >= 2.5758 * 3.1623 = 8.145
    c01 = model_for("a", "b", fong_alpha=0.01).fit(df).classification
    assert c01.loc["b", "fong_bound"] == pytest.approx(2.5758293 * math.sqrt(10), rel=1e-6)
    # an explicit critical value of 5 makes the 5-vs-3 difference even less significant
    c5 = model_for("a", "b", fong_critical_value=5.0).fit(df).classification
    assert c5.loc["a", "fong_bound"] == pytest.approx(5 * math.sqrt(4.8))


def test_near_tie_threshold() -> None:
    # shares: A 0.35, M 0.30, O 0.20, I 0.15 (n = 20)
    df = frame_from_counts(x={"A": 7, "M": 6, "O": 4, "I": 3})
    plain = model_for("x").fit(df).classification.loc["x"]
    assert plain["category"] == "A" and plain["category_strength"] == pytest.approx(0.05)
    near = model_for("x", tie_threshold=0.06).fit(df).classification.loc["x"]
    assert near["category"] == "M" and near["mode"] == "A" and near["second"] == "A"
    # within 0.2 of the top, M still wins (M > O > A)
    assert model_for("x", tie_threshold=0.2).fit(df).classification.loc["x", "category"] == "M"


def test_reverse_and_questionable_in_shares_not_in_better_worse() -> None:
    # A 2, O 3, M 1, I 2, R 1, Q 1 (n = 10): Better = 5/8, Worse = -4/8
    df = frame_from_counts(x={"A": 2, "O": 3, "M": 1, "I": 2, "R": 1, "Q": 1})
    res = model_for("x").fit(df)
    assert res.shares.loc["x"].tolist() == pytest.approx([0.2, 0.3, 0.1, 0.2, 0.1, 0.1])
    assert res.better_worse.loc["x", "better"] == pytest.approx(5 / 8)
    assert res.better_worse.loc["x", "worse"] == pytest.approx(-4 / 8)
    assert res.better_worse.loc["x", "quadrant"] == "O"  # 0.625 >= 0.5 and 0.5 >= 0.5


def test_reverse_feature_warns_and_notes() -> None:
    df = frame_from_counts(x={"R": 5, "A": 1})
    with pytest.warns(DataQualityWarning, match="'x' is classified Reverse"):
        res = model_for("x").fit(df)
    assert any("Reverse" in note for note in res.notes)
    assert "Notes:" in str(res.summary())


def test_better_worse_not_applicable() -> None:
    df = frame_from_counts(x={"Q": 2, "R": 2}, y={"A": 4})
    with pytest.warns(DataQualityWarning, match="Better/Worse not applicable for 'x'"):
        res = model_for("x", "y").fit(df)
    assert np.isnan(res.better_worse.loc["x", "better"])
    assert pd.isna(res.better_worse.loc["x", "quadrant"])


def test_quadrant_cut_at_means() -> None:
    # x: Better 0.3, |Worse| 0.8; y: Better 1.0, |Worse| 0.0 -> means 0.65 and 0.4
    df = frame_from_counts(x={"M": 6, "O": 2, "A": 1, "I": 1}, y={"A": 10})
    res = model_for("x", "y", better_worse_cut="mean").fit(df)
    assert res.settings["better_cut"] == pytest.approx(0.65)
    assert res.settings["worse_cut"] == pytest.approx(0.4)
    assert res.better_worse["quadrant"].tolist() == ["M", "A"]
    pdata = res.plot_data("better_worse")
    assert pdata.loc["x", "x"] == pytest.approx(0.8) and pdata.loc["x", "y_cut"] == 0.65


# --------------------------------------------------------------------------------------
# continuous analysis
# --------------------------------------------------------------------------------------
def test_continuous_scores_by_hand() -> None:
    df = pd.DataFrame(
        {
            "f": ["Like", "Like", "Must-be", "Neutral"],  # scores 4, 4, 2, 0
            "d": ["Dislike", "Live-with", "Dislike", "Neutral"],  # scores 4, 2, 4, 0
            "imp": [1, 3, 2, 2],
        }
    )
    res = Kano(features={"x": ("f", "d")}).fit(df)
    row = res.continuous.loc["x"]
    assert row["functional_mean"] == pytest.approx(2.5)
    # sum of squares about 2.5: 2.25 + 2.25 + 0.25 + 6.25 = 11, sd = sqrt(11 / 3)
    assert row["functional_sd"] == pytest.approx(math.sqrt(11 / 3))
    assert row["dysfunctional_mean"] == pytest.approx(2.5)
    assert row["dysfunctional_sd"] == pytest.approx(math.sqrt(11 / 3))
    assert row["quadrant"] == "O"  # both >= 2
    assert np.isnan(row["importance_mean"])
    # importance-weighted: weights 1, 3, 2, 2 (sum 8): functional (4 + 12 + 4 + 0) / 8 = 2.5,
    # dysfunctional (4 + 6 + 8 + 0) / 8 = 2.25; mean importance 8 / 4 = 2
    weighted = Kano(features={"x": ("f", "d")}, importance={"x": "imp"}).fit(df)
    wrow = weighted.continuous.loc["x"]
    assert wrow["functional_mean"] == pytest.approx(2.5)
    assert wrow["dysfunctional_mean"] == pytest.approx(2.25)
    assert wrow["importance_mean"] == pytest.approx(2.0)
    # weighted sd (weights rescaled to sum to n = 4, denominator n - 1):
    w = np.array([1, 3, 2, 2]) * 4 / 8
    dys = np.array([4, 2, 4, 0])
    assert wrow["dysfunctional_sd"] == pytest.approx(math.sqrt((w * (dys - 2.25) ** 2).sum() / 3))
    off = Kano(features={"x": ("f", "d")}, importance={"x": "imp"}, weight_by_importance=False)
    orow = off.fit(df).continuous.loc["x"]
    assert orow["dysfunctional_mean"] == pytest.approx(2.5) and orow["importance_mean"] == 2.0


def test_continuous_quadrants_and_mean_cut() -> None:
    # M-like feature: functional Must-be (2), dysfunctional Dislike (4) -> (x=4, y=2): O at cut 2
    # A-like feature: functional Like (4), dysfunctional Neutral (0) -> (x=0, y=4): A
    df = pd.DataFrame({"m_f": [2, 3], "m_d": [5, 5], "a_f": [1, 1], "a_d": [3, 3]})
    res = model_for("m", "a").fit(df)
    # m: functional scores 2, 0 -> mean 1 < 2; dysfunctional 4, 4 -> 4: Must-be
    assert res.continuous.loc["m", "functional_mean"] == pytest.approx(1.0)
    assert res.continuous["quadrant"].tolist() == ["M", "A"]
    pdata = res.plot_data("continuous")
    assert pdata.loc["a", ["x", "y"]].tolist() == [0.0, 4.0]
    cut = model_for("m", "a", continuous_cut="mean").fit(df)
    assert cut.settings["functional_cut"] == pytest.approx(2.5)
    assert cut.settings["dysfunctional_cut"] == pytest.approx(2.0)


# --------------------------------------------------------------------------------------
# labels and codes
# --------------------------------------------------------------------------------------
def test_english_chinese_and_variant_labels_agree_with_codes() -> None:
    codes = pd.DataFrame({"f": [1, 2, 3, 4, 5, 1], "d": [5, 5, 3, 1, 5, 2]})
    english = codes.replace(dict(enumerate(ANS, start=1)))
    chinese = codes.replace(
        dict(enumerate(["喜欢", "理所当然", "无所谓", "能忍受", "不喜欢"], start=1))
    )
    variants = pd.DataFrame(
        {
            "f": ["I like it", "must be", "NEUTRAL", "live_with", " Dislike ", "like"],
            "d": ["dislike", "Dislike", "I am neutral", "喜欢", "不喜欢", "I expect it"],
        }
    )
    model = Kano(features={"x": ("f", "d")})
    expected = model.classify_respondents(codes)
    for frame in (english, chinese, variants):
        pd.testing.assert_frame_equal(model.classify_respondents(frame), expected)


def test_custom_labels_and_codes() -> None:
    df = pd.DataFrame({"f": ["very good", "okay", "bad"], "d": ["bad", "bad", "okay"]})
    model = Kano(
        features={"x": ("f", "d")}, labels={"very good": "like", "okay": 3, "bad": "dislike"}
    )
    assert model.classify_respondents(df)["x"].tolist() == ["O", "M", "R"]
    # reversed codes: 5 = Like ... 1 = Dislike
    rev = pd.DataFrame({"f": [5, 4], "d": [1, 1]})
    model = Kano(features={"x": ("f", "d")}, codes=(5, 4, 3, 2, 1))
    assert model.classify_respondents(rev)["x"].tolist() == ["O", "M"]
    # non-consecutive codes (searchsorted path)
    odd = pd.DataFrame({"f": [10, 20], "d": [50, 50]})
    model = Kano(features={"x": ("f", "d")}, codes=(10, 20, 30, 40, 50))
    assert model.classify_respondents(odd)["x"].tolist() == ["O", "M"]


def test_missing_answers_and_missing_codes() -> None:
    df = pd.DataFrame(
        {"f": ["Like", None, "不知道", "Must-be", 9], "d": ["Dislike", "Dislike", "Dislike", 5, 5]}
    )
    res = Kano(features={"x": ("f", "d")}).fit(df, missing_codes=["不知道", 9])
    assert res.counts.loc["x", "n"] == 2  # rows 0 and 3 have both answers
    assert res.counts.loc["x", ["O", "M"]].tolist() == [1, 1]
    cats = Kano(features={"x": ("f", "d")}).classify_respondents(df, missing_codes=["不知道", 9])
    assert cats["x"].isna().tolist() == [False, True, True, False, True]


# --------------------------------------------------------------------------------------
# bad input
# --------------------------------------------------------------------------------------
def test_answer_outside_the_five_options() -> None:
    df = pd.DataFrame({"f": [1, 2, 6], "d": [5, 5, 5]})
    with pytest.raises(DataValidationError) as err:
        Kano(features={"Wi-Fi": ("f", "d")}).fit(df)
    msg = str(err.value)
    assert "Kano feature 'Wi-Fi'" in msg and "functional column 'f'" in msg
    assert "outside the five options" in msg and "row 2: 6" in msg


def test_unmapped_label_names_feature_column_row_value() -> None:
    df = pd.DataFrame(
        {"f": ["Like", "Like"], "d": ["Dislike", "Maybe"]}, index=pd.Index(["r1", "r2"])
    )
    with pytest.raises(DataValidationError) as err:
        Kano(features={"会员积分": ("f", "d")}).fit(df)
    msg = str(err.value)
    assert "Kano feature '会员积分'" in msg and "dysfunctional column 'd'" in msg
    assert "unmapped label" in msg and "row 'r2': 'Maybe'" in msg
    assert "labels={...}" in msg


def test_labels_of_the_wrong_language_set_are_unmapped() -> None:
    df = pd.DataFrame({"f": ["喜欢"], "d": ["不喜欢"]})
    model = Kano(features={"x": ("f", "d")}, labels={"Like": "like", "Dislike": "dislike"})
    with pytest.raises(DataValidationError, match=r"unmapped label \(row 0: '喜欢'\)"):
        model.fit(df)


def test_surveydata_value_not_a_code() -> None:
    df = pd.DataFrame({"f": [1.0, 2.5], "d": [5.0, 5.0]})
    data = csi.SurveyData.from_frame(df, scale=(1, 5))
    with pytest.raises(DataValidationError, match=r"column 'f' has 1 answer outside.*row 1: 2\.5"):
        Kano(features={"x": ("f", "d")}).fit(data)


def test_same_column_twice() -> None:
    with pytest.raises(SpecificationError, match="feature 'x' uses column 'q1' for both"):
        Kano(features={"x": ("q1", "q1")})
    assert issubclass(SpecificationError, ValueError)


def test_column_shared_by_two_features() -> None:
    with pytest.raises(SpecificationError, match="column 'b' is used by both feature 'x'"):
        Kano(features={"x": ("a", "b"), "y": ("b", "c")})


def test_feature_without_valid_answers() -> None:
    df = pd.DataFrame({"f": [1, np.nan], "d": [np.nan, 5], "g": [1, 1], "h": [5, 5]})
    with pytest.raises(DataValidationError) as err:
        Kano(features={"camera": ("f", "d"), "ok": ("g", "h")}).fit(df)
    msg = str(err.value)
    assert "Kano feature 'camera' has no valid answers" in msg
    assert "'f'" in msg and "'d'" in msg
    # all answers missing
    df2 = pd.DataFrame({"f": [np.nan, np.nan], "d": [np.nan, np.nan]})
    with pytest.raises(DataValidationError, match="'camera' has no valid answers"):
        Kano(features={"camera": ("f", "d")}).fit(df2)


def test_feature_without_answers_after_screening() -> None:
    df = frame_from_counts(x={"Q": 3})
    with pytest.raises(DataValidationError, match="'x' has no valid answers after screening"):
        fit_quiet(model_for("x", max_questionable_share=0.5), df)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"table": "kano2001"}, r"table='kano2001' is not a known.*'berger1993'"),
        ({"table": [["A"] * 5] * 4}, "needs 5 rows"),
        ({"table": [["A"] * 5] * 4 + [["A", "A", "A", "A", "X"]]}, r"\(Dislike, Dislike\)"),
        ({"codes": (1, 2, 3, 4, 4)}, "5 distinct"),
        ({"labels": {"yes": "maybe"}}, "labels maps 'yes' to 'maybe'"),
        ({"labels": {"yes": 7}}, "labels maps 'yes' to 7"),
        ({"fong_alpha": 0.05, "fong_critical_value": 2.0}, "not both"),
        ({"tie_threshold": -0.1}, "tie_threshold"),
        ({"max_questionable_share": 1.5}, "max_questionable_share"),
        ({"importance": {"nope": "imp"}}, "importance names 'nope'"),
        ({"importance": {"x": "f"}}, "importance column 'f' of feature 'x'"),
        ({"importance_scale": (5, 1)}, "importance_scale"),
        ({"better_worse_cut": "median"}, "better_worse_cut"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_bad_settings(kwargs: dict[str, object], pattern: str) -> None:
    with pytest.raises(SpecificationError, match=pattern):
        Kano(features={"x": ("f", "d")}, **kwargs)  # type: ignore[arg-type]


def test_empty_features() -> None:
    with pytest.raises(SpecificationError, match="features is empty"):
        Kano(features={})


def test_missing_columns_and_bad_data() -> None:
    df = pd.DataFrame({"f": [1], "d": [5]})
    with pytest.raises(DataValidationError, match=r"column 'g' not found.*functional column of"):
        Kano(features={"x": ("f", "d"), "y": ("g", "d2")}).fit(df.assign(d2=5))
    with pytest.raises(DataValidationError, match=r"must be a csimodels\.SurveyData"):
        Kano(features={"x": ("f", "d")}).fit([[1, 5]])  # type: ignore[arg-type]
    with pytest.raises(DataValidationError, match="'w' \\(the weight column\\) not found"):
        Kano(features={"x": ("f", "d")}).fit(df, weight="w")
    with pytest.raises(DataValidationError, match="missing_codes must be a list"):
        Kano(features={"x": ("f", "d")}).fit(df, missing_codes="99")  # type: ignore[arg-type]
    data = csi.SurveyData.from_frame(df, scale=(1, 5))
    with pytest.raises(DataValidationError, match="Kano column 'g' is not an item"):
        Kano(features={"y": ("g", "f")}).fit(data)
    with pytest.raises(DataValidationError, match="weight='w' given with a SurveyData"):
        Kano(features={"x": ("f", "d")}).fit(data, weight="w")


def test_bad_importance_and_weights() -> None:
    df = pd.DataFrame({"f": [1, 1], "d": [5, 5], "imp": [3, -1], "w": [1.0, -2.0]})
    with pytest.raises(DataValidationError, match=r"importance column 'imp'.*row 1: -1"):
        Kano(features={"x": ("f", "d")}, importance={"x": "imp"}).fit(df)
    with pytest.raises(DataValidationError, match="weight column 'w'"):
        Kano(features={"x": ("f", "d")}).fit(df, weight="w")
    with pytest.raises(DataValidationError, match=r"column 'imp' has 1 value outside the scale"):
        Kano(features={"x": ("f", "d")}, importance={"x": "imp"}, importance_scale=(1, 2)).fit(
            df.assign(imp=[3, 1])
        )


def test_plot_data_bad_kind() -> None:
    res = fit_quiet(model_for("x"), frame_from_counts(x={"A": 2}))
    with pytest.raises(DataValidationError, match="kind='bubble'"):
        res.plot_data("bubble")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# screening, respondents, weights, segments
# --------------------------------------------------------------------------------------
def test_questionable_screening_report() -> None:
    df = pd.DataFrame(
        {
            "a_f": [1, 1, 1, 2],
            "a_d": [1, 5, 5, 5],  # row 0: Q
            "b_f": [5, 1, 1, 2],
            "b_d": [5, 3, 3, 5],  # row 0: Q
            "c_f": [1, np.nan, 1, 2],
            "c_d": [5, np.nan, 1, 5],  # row 0: O; row 2: Q
        },
        index=pd.Index(["p", "q", "r", "s"]),
    )
    res = model_for("a", "b", "c", max_questionable_share=0.5).fit(df)
    # row p: 2 Q of 3 answered (0.667 > 0.5) -> screened; row r: 1 of 3 -> kept
    assert res.screening.index.tolist() == ["p"]
    assert res.screening.loc["p"].tolist() == pytest.approx([3, 2, 2 / 3])
    assert res.settings["n_screened"] == 1
    assert res.counts["n"].tolist() == [3, 3, 2]
    none = model_for("a", "b", "c").fit(df)
    assert none.screening.empty and none.counts["n"].tolist() == [4, 4, 3]


def test_respondent_table_and_vectorised_engine_against_a_loop() -> None:
    rng = np.random.default_rng(3)
    f = rng.integers(1, 6, size=(300, 4)).astype(float)
    d = rng.integers(1, 6, size=(300, 4)).astype(float)
    f[rng.random(f.shape) < 0.1] = np.nan
    df = pd.DataFrame(
        {**{f"x{j}_f": f[:, j] for j in range(4)}, **{f"x{j}_d": d[:, j] for j in range(4)}}
    )
    model = model_for(*(f"x{j}" for j in range(4)))
    res = fit_quiet(model, df, keep_respondents=True)
    assert res.respondent_categories is not None
    # the oracle: a plain loop over respondents through the typed table
    for j in range(4):
        expected = []
        counts = dict.fromkeys("AOMIRQ", 0)
        for i in range(300):
            if np.isnan(f[i, j]):
                expected.append(None)
                continue
            cat = BERGER[ANS[int(f[i, j]) - 1]].split()[int(d[i, j]) - 1]
            expected.append(cat)
            counts[cat] += 1
        got = res.respondent_categories[f"x{j}"].tolist()
        assert [None if (g is None or g != g) else g for g in got] == expected
        assert res.counts.loc[f"x{j}", list("AOMIRQ")].tolist() == list(counts.values())
        assert res.counts.loc[f"x{j}", "n"] == sum(counts.values())


def test_integer_weights_equal_replicated_rows() -> None:
    df = pd.DataFrame({"f": [1, 1, 2, 3, 1, 5], "d": [5, 3, 5, 3, 4, 1], "w": [2, 1, 3, 1, 2, 1]})
    model = Kano(features={"x": ("f", "d")})
    weighted = fit_quiet(model, df, weight="w")
    replicated = fit_quiet(model, df.loc[df.index.repeat(df["w"])].reset_index(drop=True))
    pd.testing.assert_frame_equal(weighted.shares, replicated.shares)
    pd.testing.assert_frame_equal(weighted.better_worse, replicated.better_worse)
    for col in ("category", "category_strength", "total_strength"):
        assert weighted.classification.loc["x", col] == pytest.approx(
            replicated.classification.loc["x", col]
        )
    assert weighted.continuous.loc["x", "functional_mean"] == pytest.approx(
        replicated.continuous.loc["x", "functional_mean"]
    )
    # counts stay counts of respondents
    assert weighted.counts.loc["x", "n"] == 6 and replicated.counts.loc["x", "n"] == 10
    # scaling all weights changes nothing
    scaled = fit_quiet(model, df.assign(w=df["w"] * 7.5), weight="w")
    pd.testing.assert_frame_equal(scaled.shares, weighted.shares)
    pd.testing.assert_frame_equal(scaled.classification, weighted.classification)


def test_by_segment_equals_fitting_each_segment() -> None:
    sim = simulate_kano_survey(n=600, random_state=11)
    model = sim.model()
    res = fit_quiet(model, sim.frame, weight="weight", by="region")
    assert isinstance(res, csi.SegmentedResult)
    assert sorted(res.segments) == ["North", "South"]
    for label in ("North", "South"):
        sub = sim.frame[sim.frame["region"] == label]
        alone = fit_quiet(model, sub, weight="weight")
        pd.testing.assert_frame_equal(res.segments[label].shares, alone.shares)
        pd.testing.assert_frame_equal(res.segments[label].classification, alone.classification)
        assert res.overview["categories"].loc[label, "category"].tolist() == (
            alone.classification["category"].tolist()
        )
    assert res.settings["by"] == ["region"]
    assert "categories" in str(res)


def test_surveydata_input_matches_dataframe() -> None:
    sim = simulate_kano_survey(n=400, random_state=5)
    cols = [c for pair in sim.features.values() for c in pair] + list(sim.importance.values())
    scale = {c: (1, 5) for pair in sim.features.values() for c in pair}
    scale.update({c: (1, 9) for c in sim.importance.values()})
    data = csi.SurveyData.from_frame(
        sim.frame, items=cols, scale=scale, weight="weight", segments=["region"]
    )
    a = fit_quiet(sim.model(), data, by="region")
    b = fit_quiet(sim.model(), sim.frame, weight="weight", by="region")
    pd.testing.assert_frame_equal(a.classification, b.classification)
    pd.testing.assert_frame_equal(a.continuous, b.continuous)
    pd.testing.assert_frame_equal(a.overview["categories"], b.overview["categories"])


def test_inputs_not_mutated_and_json_round_trip() -> None:
    sim = simulate_kano_survey(n=300, answers="chinese", missing_rate=0.05, random_state=4)
    frame = sim.frame.copy(deep=True)
    model = sim.model(max_questionable_share=0.5)
    before = model.model_dump()
    res = fit_quiet(
        model, sim.frame, weight="weight", by="region", keep_respondents=True, missing_codes=[]
    )
    pd.testing.assert_frame_equal(sim.frame, frame)
    assert model.model_dump() == before
    again = csi.SegmentedResult.from_json(res.to_json())
    assert again == res
    assert csi.result_from_json(res.to_json()) == res
    assert again.segments["North"].classification.equals(res.segments["North"].classification)
    assert again.pooled.respondent_categories is not None
    assert KanoResult.from_json(res.pooled.to_json()) == res.pooled
    # Chinese labels in data and feature names survive
    zh = Kano(features={"扫码支付": ("f", "d")}).fit(
        pd.DataFrame({"f": ["喜欢", "理所当然"], "d": ["不喜欢", "不喜欢"]})
    )
    assert KanoResult.from_json(zh.to_json()).classification.index.tolist() == ["扫码支付"]


def test_summary_html_and_plot() -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sim = simulate_kano_survey(n=300, random_state=2)
    res = fit_quiet(sim.model(), sim.frame, weight="weight")
    text = str(res)
    assert "Kano classification" in text and "fingerprint login" in text
    assert "<h4>Kano classification</h4>" in res._repr_html_()
    for kind in ("better_worse", "continuous"):
        ax = res.plot(kind)  # type: ignore[arg-type]
        assert len(ax.collections[0].get_offsets()) == len(sim.features)
        plt.close(ax.figure)


# --------------------------------------------------------------------------------------
# the simulator: true categories recovered
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def big_sim() -> SimulatedKanoSurvey:
    return simulate_kano_survey(n=20000, random_state=2024)


def test_simulator_truth_recovered(big_sim: SimulatedKanoSurvey) -> None:
    res = fit_quiet(
        big_sim.model(max_questionable_share=0.5), big_sim.frame, weight="weight", by="region"
    )
    pd.testing.assert_series_equal(
        res.classification["category"], big_sim.true_categories, check_names=False
    )
    # straight-liners (all Questionable) are exactly the screened respondents
    assert sorted(res.screening.index) == sorted(big_sim.careless[big_sim.careless].index)
    # shares among attentive respondents estimate the true population shares
    np.testing.assert_allclose(res.shares.to_numpy(), big_sim.true_shares.to_numpy(), atol=0.02)
    tbw = big_sim.true_better_worse()
    np.testing.assert_allclose(res.better_worse["better"], tbw["better"], atol=0.02)
    np.testing.assert_allclose(res.better_worse["worse"], tbw["worse"], atol=0.02)
    for seg in ("North", "South"):
        got = res.segments[seg].classification["category"]
        assert got.tolist() == big_sim.segment_true_categories.loc[seg].tolist()


def test_weights_matter_as_simulated(big_sim: SimulatedKanoSurvey) -> None:
    # North is over-sampled (0.6 vs 0.4 of the population): the unweighted mix is
    # 0.6 North + 0.4 South, where 'AI assistant' is Attractive, not Indifferent.
    shares = big_sim.segment_true_shares
    smp = big_sim.segment_shares["sample"]
    mix = (
        smp["North"] * shares.loc[("North", "AI assistant")]
        + smp["South"] * shares.loc[("South", "AI assistant")]
    )
    assert mix.idxmax() == "A" and big_sim.true_categories["AI assistant"] == "I"
    res = fit_quiet(big_sim.model(max_questionable_share=0.5), big_sim.frame)
    assert res.classification.loc["AI assistant", "category"] == "A"


def test_simulated_continuous_means(big_sim: SimulatedKanoSurvey) -> None:
    # expected functional/dysfunctional scores: pairs are uniform over each category's
    # cells of the Berger table, so E[score] = sum_c p_c * mean score over c's cells
    fs = dict(zip(ANS, [4, 2, 0, -1, -2], strict=True))
    ds = dict(zip(ANS, [-2, -1, 0, 2, 4], strict=True))
    cells: dict[str, list[tuple[str, str]]] = {c: [] for c in "AOMIRQ"}
    for fa, da, cat in BERGER_CELLS:
        cells[cat].append((fa, da))
    res = fit_quiet(
        big_sim.model(max_questionable_share=0.5, weight_by_importance=False),
        big_sim.frame,
        weight="weight",
    )
    for feature in big_sim.features:
        p = big_sim.true_shares.loc[feature]
        ef = sum(p[c] * np.mean([fs[a] for a, _ in cells[c]]) for c in "AOMIRQ")
        ed = sum(p[c] * np.mean([ds[b] for _, b in cells[c]]) for c in "AOMIRQ")
        assert res.continuous.loc[feature, "functional_mean"] == pytest.approx(ef, abs=0.06)
        assert res.continuous.loc[feature, "dysfunctional_mean"] == pytest.approx(ed, abs=0.06)


def test_simulator_reproducible_and_label_sets() -> None:
    a = simulate_kano_survey(n=100, random_state=9)
    b = simulate_kano_survey(n=100, random_state=9)
    pd.testing.assert_frame_equal(a.frame, b.frame)
    zh = simulate_kano_survey(n=100, answers="chinese", random_state=9)
    en = simulate_kano_survey(n=100, answers="english", random_state=9)
    model = a.model()
    codes_cat = model.classify_respondents(a.frame)
    pd.testing.assert_frame_equal(model.classify_respondents(zh.frame), codes_cat)
    pd.testing.assert_frame_equal(model.classify_respondents(en.frame), codes_cat)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"n": 0}, "n must be a positive integer"),
        ({"features": {}}, "features is empty"),
        ({"features": {"x": "Z"}}, "true category 'Z'"),
        ({"features": {"x": {"East": "A"}}}, "segments are"),
        ({"clarity": 1.2}, "clarity"),
        ({"answers": "french"}, "answers='french'"),
        ({"segments": {"N": (0.0, 1.0)}}, "positive"),
    ],
)
def test_simulator_bad_arguments(kwargs: dict[str, object], pattern: str) -> None:
    with pytest.raises(DataValidationError, match=pattern):
        simulate_kano_survey(**kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------------------
answers_strategy = st.lists(
    st.tuples(st.integers(1, 5), st.integers(1, 5), st.integers(1, 4)), min_size=1, max_size=40
)


@settings(max_examples=60, deadline=None)
@given(answers_strategy, st.randoms(use_true_random=False))
def test_properties(rows: list[tuple[int, int, int]], rnd: object) -> None:
    df = pd.DataFrame(rows, columns=pd.Index(["f", "d", "w"]))
    model = Kano(features={"x": ("f", "d")})
    res = fit_quiet(model, df, weight="w")
    shares = res.shares.loc["x"]
    assert shares.sum() == pytest.approx(1.0)
    c = res.classification.loc["x"]
    # the chosen category has the largest share (no near-tie threshold)
    assert shares[c["category"]] == pytest.approx(shares.max())
    assert 0 <= c["category_strength"] <= 1 and 0 <= c["total_strength"] <= 1
    bw = res.better_worse.loc["x"]
    if not np.isnan(bw["better"]):
        assert 0 <= bw["better"] <= 1 and -1 <= bw["worse"] <= 0
    # row order does not matter
    shuffled = df.sample(frac=1.0, random_state=1).reset_index(drop=True)
    again = fit_quiet(model, shuffled, weight="w")
    np.testing.assert_allclose(again.shares.to_numpy(), res.shares.to_numpy(), atol=1e-12)
    assert again.classification.loc["x", "category"] == c["category"]
    _ = copy.copy(rnd)


def test_demo_section() -> None:
    text = demo_section()
    assert "Recovered the true category" in text
    assert "By region" in text
