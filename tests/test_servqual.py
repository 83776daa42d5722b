"""Tests of the SERVQUAL family: gap scores, weighting, inference, zone of tolerance,
SERVPERF, instruments, the simulator, and bad input.

Every expected number is derived by hand in the comments (small examples), taken from
scipy.stats (paired t, Wilcoxon, BH), or is the simulator's known truth.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

import csimodels as csi
from csimodels._stats import cronbach_alpha
from csimodels.datasets.servqual import expected_rounded_mean, simulate_servqual_survey
from csimodels.errors import (
    DataQualityWarning,
    DataValidationError,
    InvalidParameterError,
    SpecificationError,
)
from csimodels.results import result_from_json
from csimodels.servqual import (
    INSTRUMENTS,
    SERVPERF,
    SERVQUAL,
    SERVQUAL_1988,
    SERVQUAL_1991,
    Instrument,
    SERVPERFResult,
    SERVQUALResult,
    ZoneOfTolerance,
    ZoneOfToleranceResult,
    demo_section,
)
from csimodels.servqual._engine import adjust_p

# ---------------------------------------------------------------------------------
# A hand example: 3 respondents, 2 dimensions x 2 items, item 4 negatively worded.
# Answers of item 4 as given (raw); reverse-scored on 1-7 as 8 - x.
#
#            E1 E2 E3 E4(raw->scored)  P1 P2 P3 P4(raw->scored)  I_A I_B
#   r0        6  7  5  2 -> 6           5  6  5  4 -> 4          20  80
#   r1        7  6  6  1 -> 7           7  4  3  3 -> 5          50  50
#   r2        5  5  4  3 -> 5           6  5  6  2 -> 6          90  10
#
# Item gaps P - E:  item1 (-1, 0, 1) mean 0;  item2 (-1, -2, 0) mean -1;
#                   item3 (0, -3, 2) mean -1/3;  item4 (-2, -2, 1) mean -1
#   (without reverse scoring item 4 would be P4 - E4 = (2, 2, -1), mean +1).
# Dimension gaps per respondent: A = (-1, -1, 0.5), mean -0.5;
#                                B = (-1, -2.5, 1.5), mean -2/3.
# Unweighted overall per respondent: (-1, -1.75, 1), mean -7/12.
# Importance shares: A (.2, .5, .9), B (.8, .5, .1); means A 1.6/3, B 1.4/3.
# Per-respondent weighted: (.2*-1 + .8*-1, .5*-1 + .5*-2.5, .9*.5 + .1*1.5)
#                        = (-1, -1.75, 0.6), mean -2.15/3 = -0.716667.
# Aggregate weighted: 1.6/3 * -0.5 + 1.4/3 * -2/3 = -0.577778.
# Contributions per respondent: A mean(-.2, -.5, .45) = -.25/3;
#                               B mean(-.8, -1.25, .15) = -1.9/3.
# ---------------------------------------------------------------------------------

HAND = Instrument(
    name="hand",
    dimensions={"A": ("1", "2"), "B": ("3", "4")},
    dimension_labels={"A": "可靠性", "B": "移情性"},
    reverse_scored=("4",),
)


def hand_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "E1": [6, 7, 5],
            "E2": [7, 6, 5],
            "E3": [5, 6, 4],
            "E4": [2, 1, 3],
            "P1": [5, 7, 6],
            "P2": [6, 4, 5],
            "P3": [5, 3, 6],
            "P4": [4, 3, 2],
            "I_A": [20, 50, 90],
            "I_B": [80, 50, 10],
        },
        index=pd.Index(["r0", "r1", "r2"]),
    )


def hand_model(**kw: object) -> SERVQUAL:
    return SERVQUAL(instrument=HAND, importance="I_{dimension}", **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def sim() -> object:
    return simulate_servqual_survey(n=6000, weights=True, random_state=11)


# -- instruments ---------------------------------------------------------------------
def test_builtin_instruments_follow_the_published_banks() -> None:
    # PZB 1988: tangibles 1-4, reliability 5-9, responsiveness 10-13, assurance 14-17,
    # empathy 18-22; items 10-13 and 18-22 negatively worded. 1991: all positive.
    expected = {
        "Tangibles": [1, 2, 3, 4],
        "Reliability": [5, 6, 7, 8, 9],
        "Responsiveness": [10, 11, 12, 13],
        "Assurance": [14, 15, 16, 17],
        "Empathy": [18, 19, 20, 21, 22],
    }
    for inst in (SERVQUAL_1988, SERVQUAL_1991):
        assert {d: [int(i) for i in m] for d, m in inst.dimensions.items()} == expected
        assert len(inst.items) == 22
        assert inst.label_of_dimension("Empathy") == "移情性"
    assert [int(i) for i in SERVQUAL_1988.reverse_scored] == [10, 11, 12, 13, 18, 19, 20, 21, 22]
    assert SERVQUAL_1991.reverse_scored == ()
    assert INSTRUMENTS == {"servqual_1988": SERVQUAL_1988, "servqual_1991": SERVQUAL_1991}
    assert SERVQUAL_1991.columns("E")[:3] == ["E1", "E2", "E3"]
    assert SERVQUAL(instrument="servqual_1988").instrument is SERVQUAL_1988


def test_custom_instrument_with_column_pattern_and_chinese_labels() -> None:
    inst = Instrument(
        name="bank",
        dimensions={"服务": ("s1", "s2")},
        item_labels={"s1": "态度", "s2": "速度"},
        column_pattern="{item}_{battery}",
    )
    df = pd.DataFrame({"s1_exp": [5, 6], "s1_per": [4, 6], "s2_exp": [6, 7], "s2_per": [6, 5]})
    res = SERVQUAL(instrument=inst, expectation="exp", perception="per").fit(df)
    # gaps: s1 (-1, 0) mean -0.5; s2 (0, -2) mean -1; dimension (-0.5, -1) mean -0.75
    assert res.items["estimate"].to_dict() == {"s1": -0.5, "s2": -1.0}
    assert res.items.loc["s1", "label"] == "态度"
    assert res.dimensions.loc["服务", "estimate"] == pytest.approx(-0.75)
    again = result_from_json(res.to_json())
    assert again == res and again.items.loc["s2", "label"] == "速度"


# -- hand example ----------------------------------------------------------------------
def test_hand_example_gaps_reverse_scoring_and_weighting() -> None:
    res = hand_model().fit(hand_frame())
    assert res.items["estimate"].to_numpy() == pytest.approx([0.0, -1.0, -1 / 3, -1.0])
    # item 4 after reverse scoring: E (6, 7, 5) mean 6, P (4, 5, 6) mean 5
    assert res.items.loc["4", ["expectation", "perception"]].tolist() == pytest.approx([6.0, 5.0])
    assert res.dimensions["estimate"].to_numpy() == pytest.approx([-0.5, -2 / 3])
    assert res.dimensions.loc["A", "label"] == "可靠性"
    ov = res.overall["estimate"]
    assert ov["unweighted"] == pytest.approx(-7 / 12)
    assert ov["item_mean"] == pytest.approx(-7 / 12)
    assert ov["weighted_per_respondent"] == pytest.approx(-2.15 / 3)
    assert ov["weighted_aggregate"] == pytest.approx(1.6 / 3 * -0.5 + 1.4 / 3 * (-2 / 3))
    assert ov["weighted_per_respondent"] != pytest.approx(ov["weighted_aggregate"])
    assert res.dimensions["importance"].to_numpy() == pytest.approx([1.6 / 3, 1.4 / 3])
    assert res.dimensions["weighted_per_respondent"].to_numpy() == pytest.approx(
        [-0.25 / 3, -1.9 / 3]
    )
    assert res.dimensions["weighted_aggregate"].to_numpy() == pytest.approx(
        [1.6 / 3 * -0.5, 1.4 / 3 * (-2 / 3)]
    )
    # Dimension A: gaps (-1, -1, .5), s^2 = 1.5/2, se = sqrt(.75/3) = .5, t = -1, df 2
    assert res.dimensions.loc["A", "std_error"] == pytest.approx(0.5)
    assert res.dimensions.loc["A", "statistic"] == pytest.approx(-1.0)
    assert res.dimensions.loc["A", "p_value"] == pytest.approx(2 * stats.t.sf(1.0, 2))
    half = stats.t.ppf(0.975, 2) * 0.5
    assert res.dimensions.loc["A", ["ci_lower", "ci_upper"]].tolist() == pytest.approx(
        [-0.5 - half, -0.5 + half]
    )
    # priorities: B has the more negative gap and the more negative weighted gap
    assert list(res.priorities.index) == ["B", "A"]
    assert res.priorities["rank_gap"].tolist() == [1.0, 2.0]


def test_aggregate_weighting_ranks_priorities_when_chosen() -> None:
    res = hand_model(weighting="aggregate").fit(hand_frame())
    assert res.priorities["weighted_gap"].to_numpy() == pytest.approx(
        [1.4 / 3 * (-2 / 3), 1.6 / 3 * -0.5]
    )
    assert res.settings["weighting"] == "aggregate"


def test_reverse_scoring_flips_the_negatively_worded_item() -> None:
    plain = Instrument(name="plain", dimensions=HAND.dimensions)
    res = SERVQUAL(instrument=plain).fit(hand_frame())
    assert res.items.loc["4", "estimate"] == pytest.approx(1.0)  # raw (2, 2, -1)


def test_reverse_coded_surveydata_is_not_reversed_twice() -> None:
    df = hand_frame()
    data = csi.SurveyData.from_frame(
        df, scale={c: (1, 7) for c in df if c[0] in "EP"}, reverse=["E4", "P4"]
    )
    res = hand_model().fit(data)
    assert res.items.loc["4", "estimate"] == pytest.approx(-1.0)
    assert any("already reverse-coded" in n for n in res.notes)


def test_respondent_weights_hand_computed() -> None:
    df = hand_frame().assign(w=[1.0, 1.0, 2.0])
    res = hand_model().fit(df, weight="w")
    # A gaps (-1, -1, .5) with weights (1, 1, 2): mean (-1 - 1 + 1)/4 = -0.25;
    # linearised SE^2 = n/(n-1) * sum w^2 (x - m)^2 / (sum w)^2
    #                 = 3/2 * (0.5625 + 0.5625 + 4 * 0.5625) / 16 = 0.31640625
    assert res.dimensions.loc["A", "estimate"] == pytest.approx(-0.25)
    assert res.dimensions.loc["A", "std_error"] == pytest.approx(np.sqrt(0.31640625))
    # weights are relative: multiplying them changes nothing
    res10 = hand_model().fit(df.assign(w=df["w"] * 10), weight="w")
    pd.testing.assert_frame_equal(res.dimensions, res10.dimensions)
    pd.testing.assert_frame_equal(res.overall, res10.overall)


def test_hand_example_alpha_against_the_formula() -> None:
    res = hand_model().fit(hand_frame())
    # Dimension A expectation items: E1 (6, 7, 5), E2 (7, 6, 5):
    # var(E1) = 1, var(E2) = 1, var(E1 + E2) = var(13, 13, 10) = 3;
    # alpha = 2 * (1 - 2/3) = 2/3
    assert res.reliability.loc["A", "expectation"] == pytest.approx(2 / 3)
    # gap items of B: (0, -3, 2) and (-2, -2, 1): vars 19/3, 3; sum (-2, -5, 3) var 49/3
    assert res.reliability.loc["B", "gap"] == pytest.approx(2 * (1 - (19 / 3 + 3) / (49 / 3)))


def test_cronbach_alpha_matches_pingouin_style_formula() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 4)) + rng.normal(size=(50, 1))
    k = x.shape[1]
    expected = k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))
    assert cronbach_alpha(x) == pytest.approx(expected, rel=1e-12)
    x_nan = np.vstack([x, [np.nan, 1, 2, 3]])
    assert cronbach_alpha(x_nan) == pytest.approx(expected, rel=1e-12)
    assert np.isnan(cronbach_alpha(x[:, :1]))
    # integer weights equal repeated rows only in the mean; unit weights change nothing
    assert cronbach_alpha(x, np.full(50, 3.0)) == pytest.approx(expected, rel=1e-12)


# -- inference against scipy ---------------------------------------------------------
def test_paired_t_and_interval_match_scipy(sim: object) -> None:
    data = sim.data  # type: ignore[attr-defined]
    frame = sim.frame  # type: ignore[attr-defined]
    unweighted = csi.SurveyData.from_frame(
        frame.drop(columns=["weight"]),
        scale={c: (1, 7) for c in frame if c[0] in "EP"},
        segments=["store"],
    )
    res = SERVQUAL(p_adjust="none").fit(unweighted)
    for item in ("1", "9", "22"):
        ref = stats.ttest_rel(frame[f"P{item}"], frame[f"E{item}"])
        ci = ref.confidence_interval(0.95)
        row = res.items.loc[item]
        assert row["statistic"] == pytest.approx(ref.statistic, rel=1e-10)
        assert row["p_value"] == pytest.approx(ref.pvalue, rel=1e-8, abs=1e-300)
        assert [row["ci_lower"], row["ci_upper"]] == pytest.approx([ci.low, ci.high], rel=1e-10)
        assert row["p_adjusted"] == row["p_value"]
    # dimension test = paired t of the respondents' mean P vs mean E over the items
    cols = SERVQUAL_1991.dimensions["Assurance"]
    p_dim = frame[[f"P{i}" for i in cols]].mean(axis=1)
    e_dim = frame[[f"E{i}" for i in cols]].mean(axis=1)
    ref = stats.ttest_rel(p_dim, e_dim)
    assert res.dimensions.loc["Assurance", "statistic"] == pytest.approx(ref.statistic, rel=1e-10)
    assert data.weight == "weight"


def test_wilcoxon_matches_scipy() -> None:
    s = simulate_servqual_survey(n=120, random_state=5)
    res = SERVQUAL(test="wilcoxon", p_adjust="none").fit(s.frame, by=None, weight=None)
    for item in ("2", "13"):
        ref = stats.wilcoxon(s.frame[f"P{item}"] - s.frame[f"E{item}"])
        assert res.items.loc[item, "statistic"] == pytest.approx(ref.statistic)
        assert res.items.loc[item, "p_value"] == pytest.approx(ref.pvalue, rel=1e-10)


def test_wilcoxon_with_weights_says_it_is_unweighted() -> None:
    res = hand_model(test="wilcoxon").fit(hand_frame().assign(w=[1.0, 2.0, 1.0]), weight="w")
    assert any("Wilcoxon" in n and "ignore the respondent weights" in n for n in res.notes)


def test_multiple_comparison_corrections() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.005, np.nan])
    # Holm: sorted .005 .01 .03 .04 times 4 3 2 1 = .02 .03 .06 .04, running max
    assert adjust_p(p, "holm")[:4] == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert adjust_p(p, "bonferroni")[:4] == pytest.approx([0.04, 0.16, 0.12, 0.02])
    assert adjust_p(p, "fdr_bh")[:4] == pytest.approx(stats.false_discovery_control(p[:4]))
    assert np.isnan(adjust_p(p, "holm")[4])
    with pytest.warns(DeprecationWarning, match="use p_adjust"):
        model = SERVQUAL(correction="bonferroni")
    assert model.p_adjust == "bonferroni"
    res = model.fit(simulate_servqual_survey(n=80, random_state=2).data)
    assert res.items["p_adjusted"].to_numpy() == pytest.approx(
        np.minimum(1, res.items["p_value"].to_numpy() * 22)
    )


# -- simulation: known truth recovered -------------------------------------------------
def test_expected_rounded_mean_against_monte_carlo() -> None:
    rng = np.random.default_rng(1)
    draws = np.clip(np.rint(rng.normal(6.2, 0.9, 2_000_000)), 1, 7)
    assert expected_rounded_mean(6.2, 0.9, 1, 7) == pytest.approx(draws.mean(), abs=2e-3)


def test_simulated_gaps_are_recovered(sim: object) -> None:
    res = SERVQUAL(importance="I_{dimension}").fit(sim.data, by="store")  # type: ignore[attr-defined]
    truth = sim.expected_gaps  # type: ignore[attr-defined]
    z = (res.dimensions["estimate"] - truth) / res.dimensions["std_error"]
    assert (z.abs() < 4).all(), z
    inside = (res.dimensions["ci_lower"] - 0.05 < truth) & (
        truth < res.dimensions["ci_upper"] + 0.05
    )
    assert inside.all()
    items = (res.items["estimate"] - sim.expected_item_gaps) / res.items["std_error"]  # type: ignore[attr-defined]
    assert (items.abs() < 4.5).all()
    shares = sim.importance_shares  # type: ignore[attr-defined]
    assert res.dimensions["importance"].to_numpy() == pytest.approx(shares.to_numpy(), abs=0.01)
    for score in ("weighted_per_respondent", "weighted_aggregate"):
        row = res.overall.loc[score]
        assert abs(row["estimate"] - sim.expected_overall["weighted"]) < 4 * row["std_error"]  # type: ignore[attr-defined]
    row = res.overall.loc["unweighted"]
    assert abs(row["estimate"] - sim.expected_overall["unweighted"]) < 4 * row["std_error"]  # type: ignore[attr-defined]
    seg = res.table("dimensions", pooled=False)
    for store, gaps in sim.segment_gaps.iterrows():  # type: ignore[attr-defined]
        est = seg.loc[store]
        zz = (est["estimate"] - gaps) / est["std_error"]
        assert (zz.abs() < 4).all()
    assert list(res.priorities.index[:2]) == ["Reliability", "Responsiveness"]


def test_1988_instrument_reverse_scores_simulated_answers() -> None:
    s88 = simulate_servqual_survey(n=3000, instrument="servqual_1988", random_state=3)
    res = SERVQUAL(instrument="servqual_1988").fit(s88.data)
    z = (res.dimensions["estimate"] - s88.expected_gaps) / res.dimensions["std_error"]
    assert (z.abs() < 4).all()
    # scored as the 1991 bank, the reversed items give the wrong sign of the gap
    wrong = SERVQUAL(instrument="servqual_1991").fit(s88.data)
    assert (
        wrong.dimensions.loc["Empathy", "estimate"] > 0 > res.dimensions.loc["Empathy", "estimate"]
    )
    assert res.settings["reverse_scored"] == list(SERVQUAL_1988.reverse_scored)


def test_segments_equal_separate_fits(sim: object) -> None:
    model = SERVQUAL(importance="I_{dimension}")
    res = model.fit(sim.data, by="store")  # type: ignore[attr-defined]
    for store, part in sim.data.groups("store"):  # type: ignore[attr-defined]
        alone = model.fit(part)
        seg = res.table("dimensions").loc[store]
        np.testing.assert_allclose(seg["estimate"], alone.dimensions["estimate"], rtol=1e-12)
        np.testing.assert_allclose(seg["std_error"], alone.dimensions["std_error"], rtol=1e-12)
        so = res.segments[store].overall
        np.testing.assert_allclose(so["estimate"], alone.overall["estimate"], rtol=1e-12)
    # the zone of tolerance and SERVPERF take by= too, through the same segmented result
    zsim = simulate_servqual_survey(n=600, zone_of_tolerance=True, random_state=5)
    zone = ZoneOfTolerance().fit(zsim.data, by="store")
    perf = SERVPERF().fit(zsim.data, by="store")
    for store, part in zsim.data.groups("store"):
        pd.testing.assert_frame_equal(
            zone.segments[store].dimensions, ZoneOfTolerance().fit(part).dimensions
        )
        pd.testing.assert_frame_equal(perf.segments[store].overall, SERVPERF().fit(part).overall)


# -- zone of tolerance -----------------------------------------------------------------
def test_zone_of_tolerance_hand_example() -> None:
    inst = Instrument(name="z", dimensions={"S": ("1", "2")})
    df = pd.DataFrame(
        {
            "A1": [4, 5, 3],
            "D1": [6, 7, 6],
            "P1": [5, 4, 6],
            "A2": [3, 3, 3],
            "D2": [5, 5, 6],
            "P2": [6, 7, 6],
        }
    )
    res = ZoneOfTolerance(instrument=inst).fit(df)
    # item 1: P-A (1, -1, 3) mean 1; P-D (-1, -3, 0) mean -4/3; A 4, D 19/3, P 5 -> within
    # respondents: r1 below (4 < 5); r0, r2 within
    row = res.items.loc["1"]
    assert [row["msa"], row["mss"], row["tolerance"]] == pytest.approx([1.0, -4 / 3, 19 / 3 - 4])
    assert row["position"] == "within"
    assert [row["share_below"], row["share_within"], row["share_above"]] == pytest.approx(
        [1 / 3, 2 / 3, 0.0]
    )
    # item 2: P 19/3 > D 16/3 -> above; MSS (1, 2, 0) mean 1
    assert res.items.loc["2", "position"] == "above"
    assert res.items.loc["2", "mss"] == pytest.approx(1.0)
    # dimension: P (5.5, 5.5, 6) mean 17/3, A (3.5, 4, 3) mean 3.5, D (5.5, 6, 6) mean 35/6
    d = res.dimensions.loc["S"]
    assert [d["perception"], d["adequate"], d["desired"]] == pytest.approx([17 / 3, 3.5, 35 / 6])
    assert d["position"] == "within"
    assert result_from_json(res.to_json()) == res


def test_zone_of_tolerance_recovers_simulated_msa_mss() -> None:
    s = simulate_servqual_survey(n=4000, zone_of_tolerance=True, random_state=8)
    with pytest.warns(DataQualityWarning, match="desired level below the adequate level"):
        res = ZoneOfTolerance().fit(s.data)
    d = res.dimensions
    assert (((d["msa"] - s.expected_msa) / d["msa_std_error"]).abs() < 4).all()
    assert (((d["mss"] - s.expected_mss) / d["mss_std_error"]).abs() < 4).all()
    assert isinstance(result_from_json(res.to_json()), ZoneOfToleranceResult)


# -- SERVPERF --------------------------------------------------------------------------
def test_servperf_hand_example_and_simulation() -> None:
    res = SERVPERF(instrument=HAND, importance="I_{dimension}").fit(hand_frame())
    # P scored: item1 (5,7,6) item2 (6,4,5) item3 (5,3,6) item4 (4,5,6)
    # A per respondent (5.5, 5.5, 5.5), B (4.5, 4, 6); unweighted (5, 4.75, 5.75) mean 31/6
    assert res.dimensions["estimate"].to_numpy() == pytest.approx([5.5, 29 / 6])
    assert res.overall.loc["unweighted", "estimate"] == pytest.approx(31 / 6)
    # per respondent: .2*5.5+.8*4.5 = 4.7; .5*5.5+.5*4 = 4.75; .9*5.5+.1*6 = 5.55
    assert res.overall.loc["weighted_per_respondent", "estimate"] == pytest.approx(15 / 3)
    assert res.overall.loc["weighted_aggregate", "estimate"] == pytest.approx(
        1.6 / 3 * 5.5 + 1.4 / 3 * 29 / 6
    )
    assert isinstance(result_from_json(res.to_json()), SERVPERFResult)
    s = simulate_servqual_survey(n=3000, random_state=4)
    perf = SERVPERF().fit(s.data)
    z = (perf.dimensions["estimate"] - s.expected_perception) / perf.dimensions["std_error"]
    assert (z.abs() < 4).all()


# -- missing data and exclusions ---------------------------------------------------------
def test_missing_whole_dimension_listwise_and_pairwise() -> None:
    df = hand_frame().astype(float)
    df.loc["r1", ["E3", "E4"]] = np.nan  # r1 has no item pair in dimension B
    df.loc["r2", "P1"] = np.nan  # r2 lacks one pair in A
    listwise = hand_model().fit(df)
    assert listwise.missing.n_rows_used == 1
    assert listwise.exclusions.loc["r1", "scope"] == "all"
    assert listwise.exclusions.loc["r1", "missing_dimensions"] == 1
    assert listwise.exclusions.loc["r2", "missing_items"] == 1
    pairwise = hand_model(missing="pairwise").fit(df)
    assert pairwise.missing.n_rows_used == 3
    ex = pairwise.exclusions
    assert list(ex.index) == ["r1"]
    assert ex.loc["r1", "scope"] == "overall"
    assert ex.loc["r1", "reason"] == "no answered item in a dimension"
    # item 1 on r0, r1: gaps (-1, 0); dimension A for r2 = item 2 only = 0
    assert pairwise.items.loc["1", "estimate"] == pytest.approx(-0.5)
    assert pairwise.items.loc["1", "n"] == 2
    assert pairwise.dimensions.loc["A", "estimate"] == pytest.approx((-1 - 1 + 0) / 3)
    # B on r0, r2: (-1, 1.5); the overall scores use r0 and r2 only
    assert pairwise.dimensions.loc["B", "estimate"] == pytest.approx(0.25)
    assert pairwise.overall.loc["unweighted", "n"] == 2
    assert pairwise.overall.loc["unweighted", "estimate"] == pytest.approx((-1 + 0.75) / 2)
    assert any("excluded" in n for n in pairwise.notes)
    # gap mean = perception mean - expectation mean on the same respondents
    it = pairwise.items
    assert (it["perception"] - it["expectation"]).to_numpy() == pytest.approx(
        it["estimate"].to_numpy()
    )


def test_nobody_left_raises() -> None:
    df = hand_frame().astype(float)
    df["E1"] = [np.nan, np.nan, 5.0]
    df.loc["r2", "P2"] = np.nan
    with pytest.raises(DataValidationError, match="no respondent left"):
        hand_model().fit(df)


# -- bad input ---------------------------------------------------------------------------
def test_importance_points_must_sum_to_100() -> None:
    df = hand_frame()
    df.loc["r1", "I_B"] = 40  # r1 allocates 90
    with pytest.raises(
        DataValidationError, match=r"must sum to 100.*row 'r1': 90.*normalize_points"
    ):
        hand_model().fit(df)
    with pytest.warns(DataQualityWarning, match=r"row 'r1': 90.*rescaled"):
        res = hand_model(normalize_points=True).fit(df)
    # r1's shares become 50/90 and 40/90
    fixed = df.assign(I_A=[20, 100 * 50 / 90, 90], I_B=[80, 100 * 40 / 90, 10])
    ref = hand_model().fit(fixed)
    pd.testing.assert_frame_equal(res.overall, ref.overall)
    assert any("rescaled" in n for n in res.notes)


def test_zero_points_cannot_be_rescaled() -> None:
    df = hand_frame().assign(I_A=[20, 0, 90], I_B=[80, 0, 10])
    with pytest.raises(DataValidationError, match=r"row 'r1': 0.*allocate no points"):
        hand_model(normalize_points=True).fit(df)


def test_negative_importance_points_are_off_range() -> None:
    df = hand_frame().assign(I_A=[20, -10, 90], I_B=[80, 110, 10])
    with pytest.raises(DataValidationError, match=r"column 'I_A'.*importance points range.*'r1'"):
        hand_model().fit(df)


def test_dimension_without_items_is_rejected() -> None:
    with pytest.raises(SpecificationError, match=r"dimension 'Empty' has no items"):
        Instrument(name="x", dimensions={"A": ("1",), "Empty": ()})
    with pytest.raises(SpecificationError, match="more than one dimension"):
        Instrument(name="x", dimensions={"A": ("1",), "B": ("1",)})
    with pytest.raises(SpecificationError, match=r"reverse_scored names '9'"):
        Instrument(name="x", dimensions={"A": ("1",)}, reverse_scored=("9",))
    with pytest.raises(SpecificationError, match=r"placeholders \{battery\} and \{item\}"):
        Instrument(name="x", dimensions={"A": ("1",)}, column_pattern="{item}")


def test_item_with_expectation_but_no_perception() -> None:
    df = hand_frame().drop(columns=["P2"])
    with pytest.raises(
        DataValidationError,
        match=r"item '2' \(A\) has expectation column 'E2' but no perception column 'P2'",
    ):
        hand_model().fit(df)
    data = csi.SurveyData.from_frame(df, scale={c: (1, 7) for c in df if c[0] in "EP"})
    with pytest.raises(DataValidationError, match=r"no perception column 'P2'.*survey's items"):
        hand_model().fit(data)


def test_importance_columns_must_cover_the_dimensions() -> None:
    with pytest.raises(SpecificationError, match=r"no column for dimension 'B'"):
        SERVQUAL(instrument=HAND, importance={"A": "I_A"}).fit(hand_frame())
    with pytest.raises(SpecificationError, match=r"'\{dimension\}'"):
        SERVQUAL(instrument=HAND, importance="I_A").fit(hand_frame())
    with pytest.raises(DataValidationError, match=r"importance column 'I_B' not found"):
        hand_model().fit(hand_frame().drop(columns=["I_B"]))


def test_off_scale_values_are_rejected() -> None:
    df = hand_frame()
    df.loc["r2", "P3"] = 9
    with pytest.raises(DataValidationError, match=r"column 'P3'.*outside the scale \[1, 7\].*9"):
        hand_model().fit(df)
    data = csi.SurveyData.from_frame(df)  # no scale declared: the model's scale applies
    with pytest.raises(DataValidationError, match=r"column 'P3'.*row 'r2': 9"):
        hand_model().fit(data)
    other = csi.SurveyData.from_frame(hand_frame(), scale={"E1": (1, 10)})
    with pytest.raises(
        DataValidationError, match=r"column 'E1' is declared on the scale \[1, 10\]"
    ):
        hand_model().fit(other)


def test_bad_settings_are_rejected() -> None:
    with pytest.raises(SpecificationError, match=r"instrument='servqual_2000'.*servqual_1988"):
        SERVQUAL(instrument="servqual_2000")
    with pytest.raises(InvalidParameterError, match=r"'level' of SERVQUAL must be in \(0, 1\)"):
        SERVQUAL(level=1.5)
    with pytest.raises(
        InvalidParameterError, match=r"parameter 'test' of SERVQUAL must be 't' or 'wilcoxon'"
    ):
        SERVQUAL(test="z")  # type: ignore[arg-type]
    with pytest.raises(SpecificationError, match="both 'E'"):
        SERVQUAL(perception="E")
    with pytest.raises(SpecificationError, match="must differ"):
        ZoneOfTolerance(desired="A")
    with pytest.raises(SpecificationError, match="min < max"):
        SERVPERF(scale=(7, 1))
    data = simulate_servqual_survey(n=30, random_state=1).data
    with pytest.raises(DataValidationError, match=r"'region' is not a segment or period column"):
        SERVQUAL().fit(data, by="region")
    with pytest.raises(DataValidationError, match=r"weight='w' contradicts the SurveyData"):
        SERVQUAL().fit(data, weight="w")
    with pytest.raises(DataValidationError, match="got list"):
        SERVQUAL().fit([1, 2])  # type: ignore[arg-type]
    res = SERVQUAL().fit(data)
    with pytest.raises(SpecificationError, match="not a plot kind"):
        res.plot_data("pie")  # type: ignore[arg-type]


# -- contracts: no mutation, JSON, plots, CFA, demo --------------------------------------
def test_inputs_not_mutated_and_json_round_trip() -> None:
    df = hand_frame().assign(store=["a", "b", "a"])
    before = df.copy()
    model = hand_model()
    dumped = model.model_dump()
    res = model.fit(df, by="store")
    pd.testing.assert_frame_equal(df, before)
    assert model.model_dump() == dumped
    text = res.to_json()
    json.loads(text)
    again = result_from_json(text)
    assert isinstance(again, csi.SegmentedResult) and again == res
    assert isinstance(again.pooled, SERVQUALResult)
    assert again.status.loc["b", "status"] == "too_small"
    assert "SERVQUAL gap analysis" in str(res.pooled) and "<table" in res._repr_html_()


def test_plots_draw() -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    res = hand_model().fit(hand_frame())
    bar = res.plot_data("bar")
    assert list(bar.columns) == ["label", "estimate", "ci_lower", "ci_upper"]
    ax = res.plot("radar")
    assert len(ax.get_lines()) == 2
    ax = res.plot("bar")
    assert len(ax.patches) == 2


def test_confirmatory_factor_analysis_recovers_the_structure() -> None:
    inst = Instrument(
        name="nine", dimensions={"X": ("1", "2", "3"), "Y": ("4", "5", "6"), "Z": ("7", "8", "9")}
    )
    s = simulate_servqual_survey(n=400, instrument=inst, random_state=6)
    res = SERVQUAL(instrument=inst, confirmatory="perception").fit(s.data)
    fit = res.cfa_fit["value"]  # type: ignore[index]
    assert fit["dof"] == 9 * 10 / 2 - (9 + 9 + 3)  # loadings, residuals, factor covs
    assert fit["cfi"] > 0.95 and fit["rmsea"] < 0.05 and fit["srmr"] < 0.06
    # true standardised loading of a perception item: person_sd / total sd = .6/.922
    load = res.cfa_loadings["estimate"]  # type: ignore[index]
    assert load.between(0.5, 0.8).all()
    assert result_from_json(res.to_json()) == res


def test_demo_section() -> None:
    text = demo_section()
    assert "per respondent" in text and "aggregate" in text and "Zone of tolerance" in text


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    e=st.lists(st.integers(1, 7), min_size=12, max_size=12),
    p=st.lists(st.integers(1, 7), min_size=12, max_size=12),
    points=st.lists(st.integers(0, 100), min_size=3, max_size=3),
)
def test_properties_of_the_scores(e: list[int], p: list[int], points: list[int]) -> None:
    e_arr = np.array(e, dtype=float).reshape(3, 4)
    p_arr = np.array(p, dtype=float).reshape(3, 4)
    df = pd.DataFrame(
        {
            **{f"E{j + 1}": e_arr[:, j] for j in range(4)},
            **{f"P{j + 1}": p_arr[:, j] for j in range(4)},
        }
    )
    a = np.array(points, dtype=float)
    df["I_A"], df["I_B"] = a, 100 - a
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = hand_model().fit(df)
    d = res.dimensions
    np.testing.assert_allclose(d["estimate"], d["perception"] - d["expectation"], atol=1e-12)
    np.testing.assert_allclose(
        d["weighted_per_respondent"].sum(),
        res.overall.loc["weighted_per_respondent", "estimate"],
        atol=1e-12,
    )
    np.testing.assert_allclose(
        d["weighted_aggregate"].sum(), res.overall.loc["weighted_aggregate", "estimate"], atol=1e-12
    )
    gaps = res.items["estimate"].to_numpy()
    assert np.all(np.abs(gaps) <= 6)


def test_reliability_table_matches_cronbach_alpha_with_weights() -> None:
    s = simulate_servqual_survey(n=500, weights=True, random_state=9)
    res = SERVQUAL().fit(s.data)
    w = s.data.weights()
    for dim, items in SERVQUAL_1991.dimensions.items():
        e = s.frame[[f"E{i}" for i in items]].to_numpy(dtype=float)
        p = s.frame[[f"P{i}" for i in items]].to_numpy(dtype=float)
        row = res.reliability.loc[dim]
        assert row["expectation"] == pytest.approx(cronbach_alpha(e, w), rel=1e-10)
        assert row["gap"] == pytest.approx(cronbach_alpha(p - e, w), rel=1e-10)
