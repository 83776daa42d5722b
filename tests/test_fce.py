"""Fuzzy comprehensive evaluation: hand-computed operators, verdicts, trees, surveys.

Every expected number below is computed by hand in the comment next to it (the
formulas are those of the issue: M(∧,∨) bⱼ = maxᵢ min(aᵢ, rᵢⱼ); M(·,∨) bⱼ = maxᵢ aᵢrᵢⱼ;
M(∧,⊕) bⱼ = min(1, Σᵢ min(aᵢ, rᵢⱼ)); M(·,+) bⱼ = Σᵢ aᵢrᵢⱼ), never copied from output.
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import csimodels as csi
from csimodels.data.survey import SurveyData
from csimodels.errors import DataValidationError, InvalidParameterError, SpecificationError
from csimodels.fce import (
    FCE,
    FCE_OPERATORS,
    FIELD_SERVICE_GRADES,
    FallingHalfTrapezoid,
    FCEResult,
    FCETree,
    FCETreeResult,
    Gaussian,
    GradeSet,
    RisingHalfTrapezoid,
    Trapezoidal,
    Triangular,
    demo_section,
    field_service_answers,
    field_service_example,
    field_service_tree,
    get_operator,
    grade_counts,
    membership_from_counts,
    membership_from_indicators,
    membership_from_matrix,
    membership_from_survey,
    threshold_functions,
    validity_index,
)
from csimodels.results import result_from_json

G3 = ["好", "中", "差"]

# Example 1: every operator agrees on 中.
A1 = [0.5, 0.3, 0.2]
R1 = [[0.1, 0.6, 0.3], [0.7, 0.2, 0.1], [0.0, 0.4, 0.6]]
EXPECTED_1 = {
    # 0.5·(.1,.6,.3) + 0.3·(.7,.2,.1) + 0.2·(0,.4,.6)
    "weighted_average": [0.26, 0.44, 0.30],
    # min rows: (.1,.5,.3), (.3,.2,.1), (0,.2,.2) -> column max
    "min_max": [0.3, 0.5, 0.3],
    # products: (.05,.30,.15), (.21,.06,.03), (0,.08,.12) -> column max
    "product_max": [0.21, 0.30, 0.15],
    # column sums of the min rows, capped at 1
    "min_bounded_sum": [0.4, 0.9, 0.6],
}

# Example 2: a heavy factor that says 好 against two light ones that say 差.
A2 = [0.6, 0.2, 0.2]
R2 = [[0.5, 0.3, 0.2], [0.0, 0.2, 0.8], [0.1, 0.1, 0.8]]
EXPECTED_2 = {
    # (.30+0+.02, .18+.04+.02, .12+.16+.16)
    "weighted_average": ([0.32, 0.24, 0.44], ("差",)),
    # min rows (.5,.3,.2), (0,.2,.2), (.1,.1,.2)
    "min_max": ([0.5, 0.3, 0.2], ("好",)),
    # products (.30,.18,.12), (0,.04,.16), (.02,.02,.16)
    "product_max": ([0.30, 0.18, 0.16], ("好",)),
    # sums of the min rows: (.6, .6, .6): a three-way tie
    "min_bounded_sum": ([0.6, 0.6, 0.6], ("好", "中", "差")),
}


# -- operators ------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(EXPECTED_1))
def test_every_operator_by_hand(name: str) -> None:
    res = FCE(grades=G3, operator=name).evaluate(A1, R1)
    raw = np.array(EXPECTED_1[name])
    np.testing.assert_allclose(res.b_raw.to_numpy(), raw, atol=1e-12)
    np.testing.assert_allclose(res.b.to_numpy(), raw / raw.sum(), atol=1e-12)
    assert res.verdict == ("中",)
    assert not res.tie
    assert res.settings["operator"] == name
    assert res.settings["operator_symbol"] == FCE_OPERATORS[name].symbol


@pytest.mark.parametrize("name", sorted(EXPECTED_2))
def test_operators_disagree_and_tie(name: str) -> None:
    b, verdict = EXPECTED_2[name]
    res = FCE(grades=G3, operator=name).evaluate(A2, R2)
    np.testing.assert_allclose(res.b_raw.to_numpy(), b, atol=1e-12)
    assert res.verdict == verdict
    assert res.tie == (len(verdict) > 1)


def test_main_factor_and_weighted_average_verdicts_differ() -> None:
    wa = FCE(grades=G3).evaluate(A2, R2)
    mm = FCE(grades=G3, operator="M(∧, ∨)").evaluate(A2, R2)
    assert wa.verdict == ("差",) and mm.verdict == ("好",)


def test_tie_is_reported_never_broken() -> None:
    # 0.5·(.6,.4,0) + 0.5·(.2,.4,.4) = (.4, .4, .2): 好 and 中 tie.
    res = FCE(grades=G3).evaluate([0.5, 0.5], [[0.6, 0.4, 0.0], [0.2, 0.4, 0.4]])
    assert res.verdict == ("好", "中") and res.tie
    # α = (3·0.4 − 1) / (2·0.4·(3 − 1)) = 0.2 / 1.6
    assert res.validity == pytest.approx(0.125, abs=1e-12)
    assert res.validity_level == "low validity"
    assert "好 = 中 (tie)" in str(res)
    # the uniform three-way tie of example 2 under M(∧,⊕): β = 1/3, so α = 0
    tied = FCE(grades=G3, operator="min_bounded_sum").evaluate(A2, R2)
    assert tied.validity == 0.0 and tied.validity_level == "invalid"


def test_operator_registry_and_aliases() -> None:
    assert set(FCE_OPERATORS) == {"min_max", "product_max", "min_bounded_sum", "weighted_average"}
    assert get_operator("M(·,+)").name == "weighted_average"
    assert get_operator("M(∧, ⊕)").name == "min_bounded_sum"
    assert FCE(grades=G3).operator == "weighted_average"
    with pytest.raises(
        SpecificationError,
        match=r"unknown FCE operator 'max_min'.*'min_bounded_sum', 'min_max', "
        r"'product_max', 'weighted_average'",
    ):
        FCE(grades=G3, operator="max_min")


# -- verdicts ---------------------------------------------------------------------------
def test_verdicts_by_hand() -> None:
    res = FCE(grades={"好": 90, "中": 70, "差": 50}).evaluate(A1, R1)
    # b̄ = (.26, .44, .30): S = .26·90 + .44·70 + .30·50 = 23.4 + 30.8 + 15 = 69.2
    assert res.score == pytest.approx(69.2, abs=1e-12)
    # α = (3·.44 − 1) / (2·.30·2) = .32 / 1.2
    assert res.validity == pytest.approx(0.32 / 1.2, abs=1e-12)
    # k = 2: Σ b² = .0676 + .1936 + .09 = .3512; Σ j·b² = .0676 + .3872 + .27 = .7248
    assert res.rank_position == pytest.approx(0.7248 / 0.3512, abs=1e-12)
    assert res.rank_grade == "中"
    # Σ b²·c / Σ b² = (.0676·90 + .1936·70 + .09·50) / .3512
    assert res.rank_weighted_score == pytest.approx(
        (0.0676 * 90 + 0.1936 * 70 + 0.09 * 50) / 0.3512, abs=1e-12
    )
    k1 = FCE(grades={"好": 90, "中": 70, "差": 50}, rank_exponent=1).evaluate(A1, R1)
    # with k = 1 the rank-weighted score is S, the position Σ j·b̄ⱼ = .26 + .88 + .9
    assert k1.rank_weighted_score == pytest.approx(69.2, abs=1e-12)
    assert k1.rank_position == pytest.approx(2.04, abs=1e-12)


def test_unscored_grades_give_nan_score() -> None:
    res = FCE(grades=G3).evaluate(A1, R1)
    assert math.isnan(res.score) and math.isnan(res.rank_weighted_score)
    assert "not scored" in str(res)


def test_validity_index_definition() -> None:
    assert validity_index([0.2, 0.5, 0.3, 0.0]) == pytest.approx((4 * 0.5 - 1) / (2 * 0.3 * 3))
    assert validity_index([0.0, 1.0, 0.0]) == math.inf
    assert validity_index([1, 1, 1, 1]) == 0.0
    # unnormalised input is normalised first: (2, 6, 2) -> (.2, .6, .2)
    assert validity_index([2, 6, 2]) == pytest.approx((3 * 0.6 - 1) / (2 * 0.2 * 2))
    assert math.isnan(validity_index([0.0, 0.0]))


# -- properties -----------------------------------------------------------------------
def _simplex(draw: st.DrawFn, n: int) -> np.ndarray:
    raw = np.array(draw(st.lists(st.floats(0.01, 1.0), min_size=n, max_size=n)))
    return raw / raw.sum()


@st.composite
def problems(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(1, 6))
    m = draw(st.integers(2, 5))
    a = _simplex(draw, n)
    r = np.vstack([_simplex(draw, m) for _ in range(n)])
    return a, r


@settings(max_examples=60, deadline=None)
@given(problems())
def test_weighted_average_b_sums_to_one(problem: tuple[np.ndarray, np.ndarray]) -> None:
    a, r = problem
    grades = [f"g{j}" for j in range(r.shape[1])]
    res = FCE(grades=grades).evaluate(a, r)
    assert res.b_raw.sum() == pytest.approx(1.0, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(problems(), st.sampled_from(sorted(FCE_OPERATORS)), st.randoms(use_true_random=False))
def test_permutation_invariance_and_range(
    problem: tuple[np.ndarray, np.ndarray], name: str, rnd: object
) -> None:
    a, r = problem
    grades = [f"g{j}" for j in range(r.shape[1])]
    perm = np.arange(len(a))
    rnd.shuffle(perm)  # type: ignore[attr-defined]
    fce = FCE(grades=grades, operator=name)
    base = fce.evaluate(a, r)
    shuffled = fce.evaluate(a[perm], r[perm])
    np.testing.assert_allclose(base.b_raw.to_numpy(), shuffled.b_raw.to_numpy(), atol=1e-12)
    b = base.b_raw.to_numpy()
    assert np.all(b >= 0) and np.all(b <= 1 + 1e-12)
    assert np.all(base.b.to_numpy() <= 1 + 1e-12)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-50, 150), min_size=1, max_size=8))
def test_threshold_functions_partition_unity(xs: list[float]) -> None:
    fns = threshold_functions([90, 80, 60, 35], ["优秀", "良好", "一般", "不合格"])
    total = sum(f(np.array(xs)) for f in fns.values())
    np.testing.assert_allclose(total, 1.0, atol=1e-12)


# -- membership ---------------------------------------------------------------------------
def test_membership_functions_by_hand() -> None:
    # triangle (60, 75, 90): at 70 rising (70−60)/15; at 85 falling (90−85)/15
    assert Triangular(60, 75, 90)(70) == pytest.approx(10 / 15)
    assert Triangular(60, 75, 90)(85) == pytest.approx(5 / 15)
    assert Triangular(60, 75, 90)([50, 95]).tolist() == [0.0, 0.0]
    assert Trapezoidal(0, 10, 20, 40)([5, 15, 30, 45]).tolist() == [0.5, 1.0, 0.5, 0.0]
    assert Gaussian(80, 10)(90) == pytest.approx(math.exp(-0.5))
    assert RisingHalfTrapezoid(80, 90)([70, 82, 95]).tolist() == pytest.approx([0, 0.2, 1])
    assert FallingHalfTrapezoid(60, 70)([50, 67, 75]).tolist() == pytest.approx([1, 0.3, 0])
    # a right triangle (b == c) is 1 at its peak and 0 beyond
    assert Triangular(0, 10, 10)([5, 10, 11]).tolist() == [0.5, 1.0, 0.0]


def test_membership_function_bad_parameters() -> None:
    with pytest.raises(DataValidationError, match=r"Triangular needs a <= b <= c.*a=5, b=3, c=9"):
        Triangular(5, 3, 9)
    with pytest.raises(DataValidationError, match=r"Gaussian: sigma must be > 0, got 0"):
        Gaussian(1, 0)
    with pytest.raises(DataValidationError, match=r"RisingHalfTrapezoid: a must be finite"):
        RisingHalfTrapezoid(float("nan"), 1)


def test_membership_from_indicators_thresholds() -> None:
    grades = ["优", "良", "中", "差"]
    values = pd.Series({"一次修复率": 84.0, "响应时长": 3.0})
    r = membership_from_indicators(
        values, grades, thresholds={"一次修复率": [90, 80, 70, 60], "响应时长": [1, 2, 4, 8]}
    )
    # 84 between 80 (良) and 90 (优): 优 (84−80)/10 = .4, 良 .6
    assert r.loc["一次修复率"].tolist() == pytest.approx([0.4, 0.6, 0, 0])
    # lower is better: 3 h between 2 (良) and 4 (中): 良 (4−3)/2 = .5, 中 .5
    assert r.loc["响应时长"].tolist() == pytest.approx([0, 0.5, 0.5, 0])
    # beyond the ends: full membership of the end grades
    ends = membership_from_indicators({"x": 99.0, "y": 10.0}, grades, thresholds=[90, 80, 70, 60])
    assert ends.loc["x"].tolist() == [1, 0, 0, 0] and ends.loc["y"].tolist() == [0, 0, 0, 1]


def test_membership_from_indicators_custom_functions() -> None:
    fns = {"好": Gaussian(90, 5), "差": Gaussian(60, 5)}
    with pytest.raises(
        DataValidationError,
        match=r"memberships from indicators: rows must sum to 1 but 'x' sums to",
    ):
        membership_from_indicators({"x": 85.0}, ["好", "差"], functions=fns)
    r = membership_from_indicators({"x": 85.0}, ["好", "差"], functions=fns, normalize=True)
    g, p = math.exp(-0.5), math.exp(-0.5 * 25)
    assert r.loc["x"].tolist() == pytest.approx([g / (g + p), p / (g + p)])
    with pytest.raises(
        DataValidationError, match=r"factor 'x' must cover the grades.*missing '差'"
    ):
        membership_from_indicators({"x": 85.0}, ["好", "差"], functions={"好": fns["好"]})
    with pytest.raises(DataValidationError, match="exactly one of thresholds= or functions="):
        membership_from_indicators({"x": 85.0}, ["好", "差"])
    with pytest.raises(
        DataValidationError, match=r"thresholds must be strictly increasing or strictly decreasing"
    ):
        threshold_functions([1, 3, 2], G3)
    with pytest.raises(DataValidationError, match=r"thresholds have 2 values for 3 grades"):
        threshold_functions([1, 3], G3)


def test_membership_from_matrix_labels_and_normalize() -> None:
    df = pd.DataFrame([[0.2, 0.8], [0.25, 0.25]], index=["速度", "态度"], columns=["好", "差"])
    r = membership_from_matrix(df, ["好", "差"], normalize=True)
    assert r.loc["态度"].tolist() == [0.5, 0.5]
    assert df.loc["态度", "好"] == 0.25  # caller's frame untouched
    # columns in another order are put in grade order
    r2 = membership_from_matrix(df[["差", "好"]].iloc[:1], ["好", "差"])
    assert r2.columns.tolist() == ["好", "差"] and r2.loc["速度", "好"] == 0.2


def test_membership_from_survey_weighted() -> None:
    df = pd.DataFrame(
        {
            "speed": [1, 2, 2, 3, np.nan],
            "attitude": ["良好", "优秀", "良好", "良好", "一般"],
            "w": [1.0, 1.0, 2.0, 1.0, 5.0],
        }
    )
    grades = ["优秀", "良好", "一般"]
    unweighted = membership_from_survey(df.drop(columns="w"), grades)
    assert unweighted.loc["speed"].tolist() == pytest.approx([0.25, 0.5, 0.25])
    assert unweighted.loc["attitude"].tolist() == pytest.approx([0.2, 0.6, 0.2])
    weighted = membership_from_survey(df, grades, weight="w")
    # speed: weights 1 (优秀), 1 + 2 (良好), 1 (一般) of 5; the missing answer is skipped
    assert weighted.loc["speed"].tolist() == pytest.approx([0.2, 0.6, 0.2])
    # attitude: 1, 1 + 2 + 1, 5 of 10
    assert weighted.loc["attitude"].tolist() == pytest.approx([0.1, 0.4, 0.5])
    counts = grade_counts(df, grades, weight="w", weighted=False)
    assert counts.loc["attitude"].tolist() == [1, 3, 1]
    assert df["attitude"].iloc[0] == "良好"  # caller's frame untouched
    # SurveyData with its own weight column, items renamed to factor labels, custom codes
    data = SurveyData.from_frame(df.drop(columns="attitude"), weight="w")
    r = membership_from_survey(
        data, grades, items={"speed": "响应速度"}, codes={1: "优秀", 2: "良好", 3: "一般"}
    )
    assert r.index.tolist() == ["响应速度"]
    assert r.loc["响应速度"].tolist() == pytest.approx([0.2, 0.6, 0.2])


def test_membership_from_survey_bad_codes() -> None:
    df = pd.DataFrame({"speed": [1, 2, 7, 9]})
    with pytest.raises(
        DataValidationError,
        match=r"column 'speed' has 2 answers that are not grade codes \(row 2: 7, row 3: 9\)",
    ):
        membership_from_survey(df, G3)


def test_membership_from_counts() -> None:
    counts = pd.DataFrame({"好": [1, 0], "中": [3, 4], "差": [1, 1]}, index=["A", "B"])
    assert membership_from_counts(counts).loc["B"].tolist() == pytest.approx([0, 0.8, 0.2])
    with pytest.raises(DataValidationError, match=r"counts must be >= 0; got \('A', '中'\) = -3"):
        membership_from_counts(counts.assign(中=[-3, 4]))


# -- weights -------------------------------------------------------------------------------
class _FakeAHP:
    """Anything with a ``weights`` Series works as weights (duck typing)."""

    def __init__(self, weights: pd.Series) -> None:
        self.weights = weights


def test_weights_matched_by_label_and_duck_typed() -> None:
    r = pd.DataFrame(R1, index=["x", "y", "z"], columns=G3)
    w = pd.Series({"z": 0.2, "x": 0.5, "y": 0.3})
    fce = FCE(grades=G3)
    res = fce.evaluate(w, r)
    np.testing.assert_allclose(res.b_raw.to_numpy(), EXPECTED_1["weighted_average"], atol=1e-12)
    assert res.weights.index.tolist() == ["x", "y", "z"]
    assert fce.evaluate(_FakeAHP(w), r) == res
    assert fce.evaluate({"x": 0.5, "y": 0.3, "z": 0.2}, r) == res


def test_weights_normalised_on_request() -> None:
    fce = FCE(grades=G3, normalize_weights=True)
    res = fce.evaluate([5, 3, 2], R1)
    np.testing.assert_allclose(res.weights.to_numpy(), A1)


# -- bad input -------------------------------------------------------------------------------
def test_bad_membership_matrices() -> None:
    fce = FCE(grades=G3)
    with pytest.raises(
        DataValidationError, match=r"entries outside \[0, 1\]: \('u2', '中'\) = -0.2"
    ):
        fce.evaluate(A1, [[0.1, 0.6, 0.3], [0.7, -0.2, 0.5], [0.0, 0.4, 0.6]])
    with pytest.raises(
        DataValidationError,
        match=r"has 2 columns for 3 grades .*expected shape \(n_factors, 3\), got \(3, 2\)",
    ):
        fce.evaluate(A1, [[0.5, 0.5]] * 3)
    with pytest.raises(DataValidationError, match=r"must be 2-dimensional"):
        fce.evaluate(A1, [0.2, 0.3, 0.5])
    with pytest.raises(
        DataValidationError, match=r"rows must sum to 1 but 'u1' sums to 0.9; pass normalize=True"
    ):
        fce.evaluate(A1, [[0.1, 0.5, 0.3], [0.7, 0.2, 0.1], [0.0, 0.4, 0.6]])
    with pytest.raises(DataValidationError, match=r"factor 'u3' has no membership in any grade"):
        fce.evaluate(A1, [[0.1, 0.6, 0.3], [0.7, 0.2, 0.1], [0.0, 0.0, 0.0]])
    with pytest.raises(
        DataValidationError, match=r"missing grade column '差'; unknown column 'bad'"
    ):
        fce.evaluate(A1, pd.DataFrame(R1, columns=["好", "中", "bad"]))


def test_bad_weights() -> None:
    fce = FCE(grades=G3)
    with pytest.raises(DataValidationError, match=r"2 weights for 3 factors \('u1', 'u2', 'u3'\)"):
        fce.evaluate([0.5, 0.5], R1)
    with pytest.raises(
        DataValidationError, match=r"weights must be finite and >= 0; got 'u2': -0.3"
    ):
        fce.evaluate([0.5, -0.3, 0.8], R1)
    with pytest.raises(
        DataValidationError, match=r"weights sum to 0.9, not 1; pass normalize_weights=True"
    ):
        fce.evaluate([0.5, 0.3, 0.1], R1)
    r = pd.DataFrame(R1, index=["x", "y", "z"], columns=G3)
    with pytest.raises(
        DataValidationError, match=r"no weight for factor 'z'; weight given for unknown factor 'q'"
    ):
        fce.evaluate(pd.Series({"x": 0.5, "y": 0.3, "q": 0.2}), r)


def test_bad_grades() -> None:
    with pytest.raises(
        DataValidationError,
        match=r"grade-score vector has 3 values for 4 grades \('优秀', '良好', '一般', '不合格'\)",
    ):
        GradeSet(["优秀", "良好", "一般", "不合格"], scores=[95, 80, 60])
    with pytest.raises(DataValidationError, match=r"grade labels must be unique; '好' appears"):
        GradeSet(["好", "好"])
    with pytest.raises(DataValidationError, match="at least 2 grades"):
        GradeSet(["好"])
    with pytest.raises(DataValidationError, match=r"score of grade '差' must be finite"):
        GradeSet(["好", "差"], scores=[1, float("inf")])


def test_empty_factor_group() -> None:
    with pytest.raises(
        SpecificationError,
        match=r"factor group '服务态度' is empty: give it a membership matrix, "
        r"survey items or children",
    ):
        FCETree("服务态度", weights=[1.0])
    with pytest.raises(SpecificationError, match=r"several children named 'A'"):
        leaf = FCETree("A", weights=[1.0], membership=[[1.0, 0.0]])
        FCETree("top", weights=[0.5, 0.5], children=[leaf, leaf])


def test_tree_errors_name_the_node() -> None:
    g = GradeSet(["好", "差"])
    bad = FCETree("技术能力", weights=[0.5, 0.5], membership=[[0.5, 0.6], [0.5, 0.5]])
    with pytest.raises(
        DataValidationError,
        match=r"node '技术能力': membership matrix R: rows must sum to 1 but 'u1' sums to 1.1",
    ):
        FCE(grades=g).evaluate_tree(FCETree("top", weights=[1.0], children=[bad]))
    short = FCETree("响应速度", weights=[1.0], membership=[[0.5, 0.5], [0.5, 0.5]])
    with pytest.raises(
        DataValidationError, match=r"node '响应速度' weights: 1 weights for 2 factors"
    ):
        FCE(grades=g).evaluate_tree(short)
    noweights = FCETree("top", membership=[[0.5, 0.5]])
    with pytest.raises(SpecificationError, match=r"node 'top' has no weights"):
        FCE(grades=g).evaluate_tree(noweights)


# -- multi-level ---------------------------------------------------------------------------------
def test_tree_two_levels_by_hand() -> None:
    g = GradeSet(["好", "中", "差"], scores=[90, 70, 50])
    left = FCETree("L", weights=A1, membership=R1)  # b̄ = (.26, .44, .30)
    right = FCETree("R", weights=A2, membership=R2, operator="min_max")  # (.5,.3,.2)/1.0
    top = FCETree("top", weights={"L": 0.4, "R": 0.6}, children=[left, right])
    res = FCE(grades=g).evaluate_tree(top)
    # top: 0.4·(.26,.44,.30) + 0.6·(.5,.3,.2) = (.104+.3, .176+.18, .12+.12)
    np.testing.assert_allclose(res.overall.b.to_numpy(), [0.404, 0.356, 0.24], atol=1e-12)
    assert res.overall.score == pytest.approx(0.404 * 90 + 0.356 * 70 + 0.24 * 50)
    t = res.table
    assert t.index.tolist() == ["top", "L", "R"]
    assert t.loc["R", "operator"] == "min_max" and t.loc["top", "operator"] == "weighted_average"
    assert t.loc["L", "global_weight"] == pytest.approx(0.4)
    assert t.loc["R", "parent"] == "top" and t.loc["R", "level"] == 1
    assert math.isnan(t.loc["top", "weight"])
    assert t.loc["L", "verdict"] == "中" and t.loc["R", "verdict"] == "好"
    np.testing.assert_allclose(res.b_raw.loc["R"].to_numpy(), [0.5, 0.3, 0.2])
    assert res.plot_data().shape == (3, 3)


def test_tree_with_own_rows_and_children() -> None:
    g = GradeSet(["好", "差"])
    child = FCETree("sub", weights=[0.5, 0.5], membership=[[1.0, 0.0], [0.0, 1.0]])
    own = pd.DataFrame([[0.8, 0.2]], index=["direct"], columns=["好", "差"])
    top = FCETree("top", weights={"direct": 0.5, "sub": 0.5}, membership=own, children=[child])
    res = FCE(grades=g).evaluate_tree(top)
    # top R rows: direct (.8,.2), sub (.5,.5) -> (.65, .35)
    assert res.overall.b.tolist() == pytest.approx([0.65, 0.35])
    assert res.overall.membership.index.tolist() == ["direct", "sub"]


class _FakeHierarchy:
    def __init__(self, weights: dict[str, pd.Series]) -> None:
        self._w = weights

    def weights_of(self, node: str) -> pd.Series:
        if node not in self._w:
            raise SpecificationError(f"no node {node!r}")
        return self._w[node]


def test_tree_weights_from_a_hierarchy_object() -> None:
    g = GradeSet(["好", "差"])
    leaf = FCETree(
        "A",
        membership=pd.DataFrame([[1.0, 0.0], [0.0, 1.0]], index=["a1", "a2"], columns=["好", "差"]),
    )
    other = FCETree("B", weights=[1.0], membership=[[0.5, 0.5]])
    top = FCETree("top", children=[leaf, other])
    h = _FakeHierarchy(
        {"top": pd.Series({"A": 0.75, "B": 0.25}), "A": pd.Series({"a1": 0.6, "a2": 0.4})}
    )
    res = FCE(grades=g).evaluate_tree(top, weights=h)
    # A: (.6, .4); top: .75·(.6,.4) + .25·(.5,.5) = (.575, .425)
    assert res.overall.b.tolist() == pytest.approx([0.575, 0.425])
    assert res.table.loc["A", "global_weight"] == pytest.approx(0.75)


def test_tree_from_survey_by_segment() -> None:
    df = pd.DataFrame(
        {
            "q1": [1, 1, 2, 2],
            "q2": [1, 2, 2, 2],
            "q3": [1, 1, 1, 2],
            "store": ["s1", "s1", "s2", "s2"],
        }
    )
    g = GradeSet(["好", "差"], scores=[100, 0])
    tree = FCETree(
        "top",
        weights=[0.5, 0.5],
        children=[
            FCETree("X", weights=[0.5, 0.5], items=["q1", "q2"]),
            FCETree("Y", weights=[1.0], items={"q3": "态度"}),
        ],
    )
    res = FCE(grades=g).evaluate_tree(tree, data=df, by="store", segments=["store"])
    assert isinstance(res, csi.SegmentedResult)
    table = res.overview["evaluation"]
    # s1: X rows q1 (1, 0), q2 (.5, .5) -> (.75, .25); Y (1, 0); top (.875, .125)
    assert table.loc["s1", "好"] == pytest.approx(0.875)
    # s2: X (0, 1) and (0, 1) -> (0, 1); Y (.5, .5); top (.25, .75)
    assert table.loc["s2", "score"] == pytest.approx(25.0)
    # all: X q1 (.5,.5), q2 (.25,.75) -> (.375,.625); Y (.75,.25); top (.5625, .4375)
    assert table.loc["(pooled)", "好"] == pytest.approx(0.5625)
    assert table.loc["(pooled)", "n_respondents"] == 4
    assert table.loc["s1", "n_respondents"] == 2
    seg = res.segments["s1"]
    assert isinstance(seg, FCETreeResult)
    assert seg.nodes["Y"].membership.index.tolist() == ["态度"]
    again = result_from_json(res.to_json())
    assert again == res
    with pytest.raises(SpecificationError, match=r"node 'X', 'Y' reads survey items; pass data"):
        FCE(grades=g).evaluate_tree(tree)


def test_evaluate_survey_by_segment() -> None:
    df = pd.DataFrame(
        {"速度": [1, 2, 2, 1], "态度": [2, 2, 1, 1], "store": ["s1", "s1", "s2", "s2"]}
    )
    res = FCE(grades={"好": 1, "差": 0}).evaluate_survey(df, [0.5, 0.5], by="store")
    assert isinstance(res, csi.SegmentedResult)
    table = res.overview["evaluation"]
    # s1: 速度 (.5,.5), 态度 (0,1) -> (.25,.75); s2: (.5,.5), (1,0) -> (.75,.25)
    assert table.loc["s1", "好"] == pytest.approx(0.25)
    assert table.loc["s2", "verdict"] == "好"
    assert table.loc["(pooled)", "tie"]  # (.5, .5) overall: a tie, reported
    ax = res.plot(language="zh")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["(pooled)", "s1", "s2"]
    matplotlib.pyplot.close("all")
    assert result_from_json(res.to_json()) == res


# -- results -------------------------------------------------------------------------------
def test_json_round_trip_and_summary() -> None:
    res = FCE(grades={"优秀": 95, "良好": 80, "一般": 60}).evaluate(A1, R1)
    again = FCEResult.from_json(res.to_json())
    assert again == res
    pd.testing.assert_frame_equal(again.table, res.table)
    text = str(res)
    assert "M(·, +)" in text and "Validity index" in text
    assert "<table" in res._repr_html_()


def test_infinite_validity_round_trips() -> None:
    res = FCE(grades=G3).evaluate([1.0], [[0.0, 1.0, 0.0]])
    assert res.validity == math.inf and res.validity_level == "fully valid"
    assert FCEResult.from_json(res.to_json()).validity == math.inf


def test_inputs_not_mutated() -> None:
    r = pd.DataFrame(R1, index=["x", "y", "z"], columns=G3)
    w = pd.Series({"x": 5.0, "y": 3.0, "z": 2.0})
    r0, w0 = r.copy(), w.copy()
    fce = FCE(grades=G3, normalize_weights=True, normalize_membership=True)
    fce.evaluate(w, r)
    tree = FCETree("t", weights=w, membership=r)
    fce.evaluate_tree(tree)
    pd.testing.assert_frame_equal(r, r0)
    pd.testing.assert_series_equal(w, w0)
    arr = np.array(R1)
    fce.evaluate(A1, arr)
    np.testing.assert_array_equal(arr, np.array(R1))


def test_model_is_frozen_and_plot() -> None:
    fce = FCE(grades=G3)
    with pytest.raises(Exception, match="frozen"):
        fce.operator = "min_max"  # type: ignore[misc]
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # CJK glyphs missing from the default font
        ax = fce.evaluate(A1, R1).plot()
    assert ax.get_xlim() == (0.0, 1.0)


# -- the field-service example (issue 9) ----------------------------------------------------
def _field_service_by_hand() -> list[Fraction]:
    """The final B in exact fractions, from the counts and the AHP weights by hand.

    AHP: every judgment matrix is consistent, so its principal eigenvector is any
    normalised column: top (响应速度, 技术能力, 服务态度) = (2, 4, 1)/7 from
    a12 = 1/2, a13 = 2, a23 = 4; 响应速度 2:1 -> (2, 1)/3; 技术能力 (4, 2, 1)/7;
    服务态度 3:1 -> (3, 1)/4. Counts of 优秀/良好/一般/不合格 among 5 evaluators.
    """
    f = Fraction
    counts = {
        "响应速度": ([f(2, 3), f(1, 3)], [[3, 2, 0, 0], [2, 3, 0, 0]]),
        "技术能力": ([f(4, 7), f(2, 7), f(1, 7)], [[0, 4, 1, 0], [1, 4, 0, 0], [0, 4, 1, 0]]),
        "服务态度": ([f(3, 4), f(1, 4)], [[1, 3, 1, 0], [2, 2, 1, 0]]),
    }
    top = {"响应速度": f(2, 7), "技术能力": f(4, 7), "服务态度": f(1, 7)}
    b = [f(0)] * 4
    for name, (w, rows) in counts.items():
        sub = [sum(wi * f(r[j], 5) for wi, r in zip(w, rows, strict=True)) for j in range(4)]
        b = [bj + top[name] * sj for bj, sj in zip(b, sub, strict=True)]
    return b


def test_field_service_hand_check() -> None:
    b = _field_service_by_hand()
    assert sum(b) == 1
    # the printed B, to three decimals
    assert [round(float(x), 3) for x in b] == [0.221, 0.669, 0.110, 0.0]
    s = sum(bj * c for bj, c in zip(b, [95, 80, 60, 35], strict=True))
    assert round(float(s), 3) == 81.107  # the source's unrounded score
    assert 0.221 * 95 + 0.669 * 80 + 0.110 * 60 == pytest.approx(81.115)  # from the rounded B


def test_field_service_with_explicit_weights() -> None:
    """The same tree with the weights typed in (no AHP), from the evaluators' sheet."""
    w = {
        "现场服务质量": {"响应速度": 2 / 7, "技术能力": 4 / 7, "服务态度": 1 / 7},
        "响应速度": {"到场及时性": 2 / 3, "故障修复时长": 1 / 3},
        "技术能力": {"故障诊断准确性": 4 / 7, "一次修复率": 2 / 7, "操作规范性": 1 / 7},
        "服务态度": {"礼貌热情": 3 / 4, "沟通解释": 1 / 4},
    }
    tree = FCETree(
        "现场服务质量",
        weights=w["现场服务质量"],
        children=[FCETree(k, weights=w[k], items=list(w[k])) for k in list(w)[1:]],
    )
    answers = field_service_answers()
    before = answers.copy()
    res = FCE(grades=FIELD_SERVICE_GRADES).evaluate_tree(tree, data=answers)
    assert isinstance(res, FCETreeResult)
    expected = [float(x) for x in _field_service_by_hand()]
    np.testing.assert_allclose(res.overall.b.to_numpy(), expected, atol=1e-12)
    assert res.overall.score == pytest.approx(
        float(
            sum(bj * c for bj, c in zip(_field_service_by_hand(), [95, 80, 60, 35], strict=True))
        ),
        abs=1e-12,
    )
    # 技术能力: 4/7·(0,.8,.2) + 2/7·(.2,.8,0) + 1/7·(0,.8,.2) = (.4, 5.6, 1)/7
    np.testing.assert_allclose(
        res.b.loc["技术能力"].to_numpy(), [0.4 / 7, 0.8, 1 / 7, 0], atol=1e-12
    )
    # validity of the top verdict: (4·β − 1) / (2·γ·3) with β = b̄(良好), γ = b̄(优秀)
    beta, gamma = expected[1], expected[0]
    assert res.overall.validity == pytest.approx((4 * beta - 1) / (6 * gamma), abs=1e-12)
    pd.testing.assert_frame_equal(answers, before)
    assert result_from_json(res.to_json()) == res


def test_field_service_with_ahp_hierarchy() -> None:
    """Integration: weights straight from csimodels.ahp (AHPHierarchyResult.weights_of)."""
    ahp, res = field_service_example()
    np.testing.assert_allclose(
        ahp.weights_of("现场服务质量").to_numpy(), [2 / 7, 4 / 7, 1 / 7], atol=1e-9
    )
    expected = [float(x) for x in _field_service_by_hand()]
    np.testing.assert_allclose(res.overall.b.to_numpy(), expected, atol=1e-9)
    assert round(res.overall.score, 3) == 81.107
    assert res.overall.verdict == ("良好",)
    # an AHPResult (weights Series) works as a node's weights too
    from csimodels.ahp import AHP

    top = AHP().fit(
        {("响应速度", "技术能力"): 0.5, ("响应速度", "服务态度"): 2, ("技术能力", "服务态度"): 4}
    )
    tree = field_service_tree()
    tree2 = tree.model_copy(update={"weights": top})
    res2 = FCE(grades=FIELD_SERVICE_GRADES).evaluate_tree(
        tree2, weights=ahp, data=field_service_answers()
    )
    assert isinstance(res2, FCETreeResult)
    np.testing.assert_allclose(res2.overall.b.to_numpy(), expected, atol=1e-9)


def test_demo_section() -> None:
    text = demo_section()
    assert "81.107" in text and "81.115" in text and "(0.221, 0.669, 0.110, 0.000)" in text


def test_unscored_result_round_trips() -> None:
    res = FCE(grades=G3).evaluate(A1, R1)
    again = FCEResult.from_json(res.to_json())
    assert math.isnan(again.score) and again == res


def test_bad_model_settings_and_tree_names() -> None:
    with pytest.raises(
        SpecificationError, match=r"parameter 'rank_exponent' of FCE must be a number > 0, got -1"
    ):
        FCE(grades=G3, rank_exponent=-1)
    with pytest.raises(
        InvalidParameterError, match=r"parameter 'propagate' of FCE must be 'normalized' or 'raw'"
    ):
        FCE(grades=G3, propagate="sideways")  # type: ignore[arg-type]
    # unknown settings and wrong kinds: the one parameter error, never a TypeError
    with pytest.raises(InvalidParameterError, match=r"FCE has no parameter 'weights'"):
        FCE(grades=G3, weights=[1.0])
    with pytest.raises(InvalidParameterError, match=r"parameter 'operator' of FCE must be an"):
        FCE(G3, operator=3)
    assert FCE(G3) == FCE(grades=G3)
    assert FCE.from_config(FCE(G3, operator="min_max").to_config()).operator == "min_max"
    leaf = FCETree("A", weights=[1.0], membership=[[1.0, 0.0, 0.0]])
    mid = FCETree("B", weights=[1.0], children=[leaf])
    top = FCETree("A", weights=[1.0], children=[mid])
    with pytest.raises(SpecificationError, match=r"node names must be unique in the tree; 'A'"):
        FCE(grades=G3).evaluate_tree(top)
    with pytest.raises(SpecificationError, match=r"factor group 'x': give either membership="):
        FCETree("x", weights=[1.0], membership=[[1.0, 0.0, 0.0]], items=["q"])


def test_raw_propagation_keeps_unnormalised_rows() -> None:
    g = GradeSet(["好", "中", "差"])
    child = FCETree("c", weights=A2, membership=R2, operator="min_max")  # raw (.5, .3, .2)
    top = FCETree("top", weights=[1.0], children=[child])
    raw = FCE(grades=g, propagate="raw").evaluate_tree(top)
    assert raw.overall.membership.loc["c"].tolist() == pytest.approx([0.5, 0.3, 0.2])
    child1 = FCETree("c", weights=A1, membership=R1, operator="min_max")  # raw (.3, .5, .3)
    raw1 = FCE(grades=g, propagate="raw").evaluate_tree(
        FCETree("top", weights=[1.0], children=[child1])
    )
    # the raw row sums to 1.1: allowed as an upper row when propagating raw vectors
    assert raw1.overall.membership.loc["c"].tolist() == pytest.approx([0.3, 0.5, 0.3])
    norm1 = FCE(grades=g).evaluate_tree(FCETree("top", weights=[1.0], children=[child1]))
    assert norm1.overall.membership.loc["c"].tolist() == pytest.approx([3 / 11, 5 / 11, 3 / 11])
