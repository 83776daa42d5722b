"""Tests of csimodels.trends: scores, change tests, control charts, alerts.

References used:
- Shewhart ±3σ chart: per-point false-alarm probability 2·Φ(−3) = 0.0027, ARL0 = 370.4
  (Montgomery 2009, *Introduction to Statistical Quality Control*, 6th ed., §5.3).
- Two-sided tabular CUSUM, k = 1/2, h = 5: in-control ARL0 = 465
  (Montgomery 2009, Table 9.3 "ARL performance of the tabular CUSUM with k = 1/2").
- EWMA λ = 0.2, L = 2.962 (asymptotic limits): ARL0 = 500
  (Lucas & Saccucci 1990, Technometrics 32(1):1–12; reproduced in Montgomery 2009,
  Table 9.11).
- Welch test: scipy.stats.ttest_ind(equal_var=False); BH adjustment:
  scipy.stats.false_discovery_control.
"""

from __future__ import annotations

import itertools
import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import csimodels as csi
from csimodels.errors import (
    DataQualityWarning,
    DataValidationError,
    InvalidParameterError,
    SpecificationError,
)
from csimodels.results import result_from_json
from csimodels.trends import CONTROL_CHARTS, TrendMonitor, TrendResult, demo_section
from csimodels.trends._engine import adjust_p as _adjust
from csimodels.trends._engine import cell_stats as _cell_stats
from csimodels.trends._engine import cusum as _cusum
from csimodels.trends._engine import ewma as _ewma
from csimodels.trends._engine import shewhart as _shewhart

PERIODS = [f"{y}Q{q}" for y in (2024, 2025) for q in (1, 2, 3, 4)]
STORES = ["S1", "S2", "S3", "S4", "S5", "S6"]


def make_frame(
    seed: int,
    *,
    drop: float = 0.0,
    drop_store: str = "S4",
    drop_from: str = "2025Q2",
    n: int = 150,
    weights: bool = False,
) -> pd.DataFrame:
    """Stores × quarters of 1–10 answers with known means; optional lasting drop."""
    rng = np.random.default_rng(seed)
    parts = []
    for store in STORES:
        for period in PERIODS:
            shift = -drop if (store == drop_store and period >= drop_from) else 0.0
            latent = 7.2 + shift + 1.5 * rng.standard_normal((n, 2))
            block = pd.DataFrame(np.clip(np.rint(latent), 1, 10), columns=["SAT", "REC"])
            block["store"] = store
            block["region"] = "North" if store in ("S1", "S2", "S3") else "South"
            block["quarter"] = period
            if weights:
                block["w"] = rng.lognormal(0.0, 0.5, n)
            parts.append(block)
    return pd.concat(parts, ignore_index=True)


def survey(frame: pd.DataFrame, weights: bool = False) -> csi.SurveyData:
    return csi.SurveyData.from_frame(
        frame,
        items=["SAT", "REC"],
        scale=(1, 10),
        segments=["region", "store"],
        period="quarter",
        weight="w" if weights else None,
        constructs={"Loyalty": ["SAT", "REC"]},
    )


def run_lengths(signal: np.ndarray) -> np.ndarray:
    hit = signal != 0
    assert hit.any(axis=1).all(), "a run did not signal: lengthen the simulated horizon"
    return hit.argmax(axis=1) + 1.0


def simulate_arl(chart: str, n_runs: int, horizon: int, seed: int, **kw: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_runs // 500):
        z = rng.standard_normal((500, horizon))
        if chart == "ewma":
            stat, upper = _ewma(z, kw["lam"], kw["width"], bool(kw["exact"]))
            signal = np.abs(stat) > upper
        else:
            plus, minus = _cusum(z, kw["k"], kw["h"])
            signal = (plus > kw["h"]) | (minus > kw["h"])
        out.append(run_lengths(signal.astype(int)))
    return np.concatenate(out)


# -- (2) in-control behaviour of the charts against published values ------------------


def test_shewhart_false_alarm_rate_is_nominal() -> None:
    rng = np.random.default_rng(1)
    z = rng.standard_normal((400, 5000))
    stat, upper = _shewhart(z, 3.0)
    rate = float((np.abs(stat) > upper).mean())
    nominal = 2 * stats.norm.sf(3.0)  # 0.0027
    se = math.sqrt(nominal * (1 - nominal) / z.size)
    assert abs(rate - nominal) < 4 * se
    assert abs(nominal - 0.0027) < 1e-4


def test_cusum_in_control_arl_matches_montgomery_table_9_3() -> None:
    rl = simulate_arl("cusum", 3000, 6000, seed=2, k=0.5, h=5.0)
    se = rl.std(ddof=1) / math.sqrt(rl.size)
    assert abs(rl.mean() - 465.0) < 4 * se, (rl.mean(), se)


def test_ewma_asymptotic_in_control_arl_matches_lucas_saccucci() -> None:
    rl = simulate_arl("ewma", 3000, 6000, seed=3, lam=0.2, width=2.962, exact=0.0)
    se = rl.std(ddof=1) / math.sqrt(rl.size)
    assert abs(rl.mean() - 500.0) < 4 * se, (rl.mean(), se)


def test_ewma_exact_limits_signal_no_later_and_arl_close() -> None:
    # Same random numbers: exact limits are narrower, so each run signals no later.
    exact = simulate_arl("ewma", 2000, 6000, seed=4, lam=0.2, width=2.962, exact=1.0)
    asym = simulate_arl("ewma", 2000, 6000, seed=4, lam=0.2, width=2.962, exact=0.0)
    assert (exact <= asym).all()
    assert exact.mean() < asym.mean()
    se = exact.std(ddof=1) / math.sqrt(exact.size)
    # the early narrow limits cost a few percent of ARL0 at most
    assert 500.0 * 0.9 - 4 * se < exact.mean() < 500.0 + 4 * se


def test_ewma_exact_limits_are_the_standard_deviation_of_the_statistic() -> None:
    # Var(E_t) = λ/(2−λ)·(1 − (1−λ)^{2t}) for iid N(0, 1) points (Montgomery eq. 9.24)
    rng = np.random.default_rng(5)
    z = rng.standard_normal((200_000, 8))
    stat, upper = _ewma(z, 0.2, 1.0, True)
    empirical = stat.std(axis=0)
    np.testing.assert_allclose(empirical, upper[0], rtol=0.01)


def test_chart_engines_match_a_plain_loop() -> None:
    z = np.array([[0.3, -1.2, np.nan, 2.5, -0.4, 1.8]])
    lam, e, es, count = 0.3, 0.0, [], 0
    cp = cm = 0.0
    cps, cms = [], []
    for x in z[0]:
        if np.isnan(x):
            es.append(np.nan)
            cps.append(np.nan)
            cms.append(np.nan)
            continue
        count += 1
        e = lam * x + (1 - lam) * e
        es.append(e)
        cp = max(0.0, x - 0.5 + cp)
        cm = max(0.0, -x - 0.5 + cm)
        cps.append(cp)
        cms.append(cm)
    stat, _ = _ewma(z, lam, 3.0, True)
    np.testing.assert_allclose(stat[0], es, equal_nan=True)
    plus, minus = _cusum(z, 0.5, 5.0)
    np.testing.assert_allclose(plus[0], cps, equal_nan=True)
    np.testing.assert_allclose(minus[0], cms, equal_nan=True)


# -- (1) a known drop in one store ------------------------------------------------------


@pytest.mark.parametrize("chart", ["ewma", "cusum", "shewhart"])
def test_known_drop_alerts_at_that_store_and_period(chart: str) -> None:
    data = survey(make_frame(11, drop=1.0))
    res = TrendMonitor(series=["SAT"], baseline=4, chart=chart).fit(data, by="store")
    charted = res.alerts[res.alerts["rule"] == chart]
    at_store = charted[charted["segment"] == "S4"]
    assert set(at_store["kind"]) == {"drop"}
    first = min(at_store["period"])
    expected = {"2025Q2"} if chart != "cusum" else {"2025Q2", "2025Q3"}
    assert first in expected
    # the drop is about 0.95 scale points = 10.6 on 0-100
    assert at_store["magnitude"].between(-14, -7).all()
    # elsewhere: 20 in-control points; even at a 1 % per-point rate, more than 2 alarms
    # would have probability < 0.002
    assert (charted["segment"] != "S4").sum() <= 2
    # the change test sees the drop at 2025Q2 in S4
    pop = res.alerts[(res.alerts["rule"] == "period_over_period") & (res.alerts["segment"] == "S4")]
    assert "2025Q2" in set(pop.loc[pop["kind"] == "drop", "period"])
    # severity ordering; a limit has the sign of the alert
    rank = res.alerts["tier"].map({"critical": 0, "warning": 1, "watch": 2})
    assert rank.is_monotonic_increasing
    for _, part in res.alerts.groupby("tier"):
        assert part["severity"].is_monotonic_decreasing
    assert ((res.alerts["limit"] < 0) == (res.alerts["kind"] == "drop")).all()
    assert (res.alerts["severity"] >= 1).all()


def test_in_control_false_alarm_rates_at_survey_level() -> None:
    """30 in-control replications: Shewhart per-point and change-test rates are nominal."""
    shewhart_hits = pop_hits = pop_tests = points = 0
    for seed in range(30):
        frame = make_frame(100 + seed, n=120)
        res = TrendMonitor(series=["SAT"], baseline=4, chart="shewhart").fit(
            frame, scale=(1, 10), period="quarter", by="store"
        )
        t = res.table
        points += int(t["z"].notna().sum())
        shewhart_hits += int((t["signal"] != "").sum())
        pop_tests += int(t["p_value"].notna().sum())
        pop_hits += int((t["p_value"] < 0.05).sum())
    assert points == 30 * 6 * 4 and pop_tests == 30 * 6 * 7
    # sigma includes the target's own standard error, so each point is N(0, 1) marginally
    assert shewhart_hits <= stats.binom.ppf(0.999, points, 0.0027)
    lo, hi = stats.binom.ppf([0.0005, 0.9995], pop_tests, 0.05)
    assert lo <= pop_hits <= hi, pop_hits


# -- (3) means and standard errors by hand ------------------------------------------


def test_unweighted_means_and_standard_errors_match_pandas() -> None:
    frame = make_frame(7, n=40)
    res = TrendMonitor(series=["SAT", "Loyalty"]).fit(survey(frame), by="region")
    score = (frame[["SAT", "REC"]] - 1) / 9 * 100
    frame = frame.assign(SAT100=score["SAT"], LOY100=score.mean(axis=1))
    g = frame.groupby(["region", "quarter"])
    for col, series in (("SAT100", "SAT"), ("LOY100", "Loyalty")):
        got = res.table.xs(series, level="series")
        expected_mean = g[col].mean()
        expected_se = g[col].sem()
        for (region, quarter), value in expected_mean.items():
            row = got.loc[(region, quarter)]
            assert row["estimate"] == pytest.approx(value, rel=1e-12)
            assert row["std_error"] == pytest.approx(expected_se[(region, quarter)], rel=1e-10)
            assert row["n"] == g[col].count()[(region, quarter)]
            assert row["n_effective"] == pytest.approx(row["n"])
    # target: pooled baseline (first quarter) respondents
    base = frame[frame["quarter"] == "2024Q1"].groupby("region")["SAT100"]
    targets = res.targets.xs("SAT", level="series")
    np.testing.assert_allclose(targets["target"], base.mean().to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(targets["target_std_error"], base.sem().to_numpy(), rtol=1e-10)


def test_weighted_means_and_linearised_standard_errors() -> None:
    frame = make_frame(8, n=60, weights=True)
    res = TrendMonitor(series=["SAT"]).fit(survey(frame, weights=True))
    for quarter, block in frame.groupby("quarter"):
        x = (block["SAT"].to_numpy() - 1) / 9 * 100
        w = block["w"].to_numpy()
        m = np.sum(w * x) / np.sum(w)
        n = x.size
        var = n / (n - 1) * np.sum(w**2 * (x - m) ** 2) / np.sum(w) ** 2
        row = res.table.loc[("all", "SAT", quarter)]
        assert row["estimate"] == pytest.approx(m, rel=1e-12)
        assert row["std_error"] == pytest.approx(math.sqrt(var), rel=1e-10)
        assert row["n_effective"] == pytest.approx(np.sum(w) ** 2 / np.sum(w**2), rel=1e-12)


def test_linearised_standard_error_matches_monte_carlo_spread() -> None:
    # fixed unequal weights, iid answers: the SE estimates the sampling SD of the mean
    rng = np.random.default_rng(9)
    reps, n = 4000, 200
    w = np.tile(rng.lognormal(0.0, 0.7, n), reps)
    x = rng.normal(50.0, 20.0, reps * n)
    cells = np.repeat(np.arange(reps), n)
    _, _, mean, se = _cell_stats(x, w, cells, reps)
    true_sd = 20.0 * math.sqrt(np.sum(w[:n] ** 2)) / np.sum(w[:n])
    assert mean.std(ddof=1) == pytest.approx(true_sd, rel=0.05)
    assert float(np.mean(se)) == pytest.approx(true_sd, rel=0.01)


def test_top_box_share() -> None:
    frame = make_frame(12, n=50)
    res = TrendMonitor(series=["SAT"], statistic="top_box", box=2).fit(survey(frame))
    share = frame.assign(top=frame["SAT"] >= 9).groupby("quarter")["top"].mean() * 100
    got = res.table.xs(("all", "SAT"), level=("segment", "series"))["estimate"]
    np.testing.assert_allclose(got.to_numpy(), share.reindex(PERIODS).to_numpy(), rtol=1e-12)


# -- (4) the change test ------------------------------------------------------------------


def test_welch_change_test_matches_scipy() -> None:
    frame = make_frame(13, n=35)
    frame.loc[frame["quarter"] == "2024Q3", "SAT"] = np.clip(
        frame.loc[frame["quarter"] == "2024Q3", "SAT"] - 1, 1, 10
    )
    res = TrendMonitor(series=["SAT"]).fit(survey(frame), by="store")
    for store in ("S1", "S5"):
        for prev, cur in itertools.pairwise(PERIODS):
            a = frame.loc[(frame["store"] == store) & (frame["quarter"] == cur), "SAT"]
            b = frame.loc[(frame["store"] == store) & (frame["quarter"] == prev), "SAT"]
            ref = stats.ttest_ind((a - 1) / 9 * 100, (b - 1) / 9 * 100, equal_var=False)
            row = res.table.loc[(store, "SAT", cur)]
            assert row["statistic"] == pytest.approx(ref.statistic, rel=1e-9)
            assert row["p_value"] == pytest.approx(ref.pvalue, rel=1e-8)
            assert row["df"] == pytest.approx(ref.df, rel=1e-9)
    assert res.table.loc[("S1", "SAT", "2024Q1"), ["change", "p_value"]].isna().all()


def test_z_change_test_and_p_adjustment() -> None:
    frame = make_frame(14, n=30)
    data = survey(frame)
    z = TrendMonitor(series=["SAT", "REC"], test="z").fit(data, by="store")
    t = z.table.dropna(subset=["p_value"])
    np.testing.assert_allclose(
        t["p_value"], 2 * stats.norm.sf(np.abs(t["change"] / t["change_std_error"]))
    )
    bh = TrendMonitor(series=["SAT", "REC"], test="z", p_adjust="fdr_bh").fit(data, by="store")
    tb = bh.table.dropna(subset=["p_value"])
    np.testing.assert_allclose(
        tb["p_value_adjusted"], stats.false_discovery_control(tb["p_value"].to_numpy())
    )
    # Holm by its definition
    p = np.array([0.01, 0.04, 0.03, np.nan, 0.005])
    order = [4, 0, 2, 1]
    m = 4
    expected = np.full(5, np.nan)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        expected[i] = running
    np.testing.assert_allclose(_adjust(p, "holm"), expected)


# -- index tables ---------------------------------------------------------------------------


def test_fit_indices_from_a_csi_model_fit_by_period() -> None:
    data = csi.datasets.load_example("acsi_demo")
    fitted = csi.ACSI(indicators=data.constructs).fit(data, by="period", details=False)
    indices = fitted.indices.copy()
    before = indices.copy()
    se = pd.DataFrame(0.8, index=indices.index, columns=indices.columns)
    res = TrendMonitor(series=["Satisfaction"], chart="shewhart").fit_indices(
        indices, std_errors=se
    )
    assert indices.equals(before)
    t = res.table.xs(("all", "Satisfaction"), level=("segment", "series"))
    np.testing.assert_allclose(t["estimate"], indices["Satisfaction"].to_numpy())
    target = indices["Satisfaction"].iloc[0]
    sigma = math.sqrt(0.8**2 + 0.8**2)
    np.testing.assert_allclose(t["z"].iloc[1:], (indices["Satisfaction"].iloc[1:] - target) / sigma)
    change = indices["Satisfaction"].diff().iloc[1:] / sigma
    np.testing.assert_allclose(t["p_value"].iloc[1:], 2 * stats.norm.sf(np.abs(change)))
    assert any("z test" in n for n in res.notes)
    # segments as a MultiIndex, sigma from the baseline moving range
    wide = pd.concat({"A": indices, "B": indices + 1.0}, names=["segment", "period"])
    res2 = TrendMonitor(series=["Loyalty"], baseline=2, sigma="baseline").fit_indices(wide)
    mr = abs(indices["Loyalty"].iloc[1] - indices["Loyalty"].iloc[0]) / 1.128
    np.testing.assert_allclose(res2.targets["sigma"], [mr, mr])


# -- bad input -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small() -> pd.DataFrame:
    return make_frame(21, n=20)


def test_unknown_period_labels(small: pd.DataFrame) -> None:
    with pytest.raises(DataValidationError, match=r"period '2026Q1' in periods= is not in"):
        TrendMonitor(series=["SAT"], periods=[*PERIODS, "2026Q1"]).fit(survey(small))
    with pytest.raises(DataValidationError, match=r"'2025Q4' of the period column 'quarter'"):
        TrendMonitor(series=["SAT"], periods=PERIODS[:-1]).fit(survey(small))


def test_single_period(small: pd.DataFrame) -> None:
    one = small[small["quarter"] == "2024Q1"]
    with pytest.raises(DataValidationError, match=r"has 1 period \('2024Q1'\).*at least two"):
        TrendMonitor(series=["SAT"]).fit(one, scale=(1, 10), period="quarter")


def test_missing_series_column(small: pd.DataFrame) -> None:
    with pytest.raises(DataValidationError, match=r"column 'NPS' not found"):
        TrendMonitor(series=["SAT", "NPS"]).fit(small, scale=(1, 10), period="quarter")
    with pytest.raises(DataValidationError, match=r"series 'NPS' is neither an item nor"):
        TrendMonitor(series=["NPS"]).fit(survey(small))
    with pytest.raises(DataValidationError, match=r"series 'NPS' not in the columns of indices"):
        TrendMonitor(series=["NPS"], sigma=1.0).fit_indices(pd.DataFrame({"A": [1.0, 2.0]}))


def test_non_numeric(small: pd.DataFrame) -> None:
    bad = small.assign(SAT=small["SAT"].astype(str).replace("5.0", "five"))
    with pytest.raises(DataValidationError, match="'SAT'"):
        TrendMonitor(series=["SAT"]).fit(bad, scale=(1, 10), period="quarter")
    table = pd.DataFrame({"A": ["x", "y"]}, index=["p1", "p2"])
    with pytest.raises(DataValidationError, match=r"column 'A' of indices is not numeric"):
        TrendMonitor(series=["A"], sigma=1.0).fit_indices(table)


def test_empty_segment_cell_is_reported(small: pd.DataFrame) -> None:
    thin = small[~((small["store"] == "S2") & (small["quarter"] == "2025Q1"))]
    with pytest.warns(DataQualityWarning, match=r"S2/SAT/2025Q1"):
        res = TrendMonitor(series=["SAT"], min_n=5).fit(survey(thin), by="store")
    row = res.table.loc[("S2", "SAT", "2025Q1")]
    assert row["n"] == 0 and math.isnan(row["estimate"]) and row["signal"] == ""
    assert any("S2/SAT/2025Q1" in n for n in res.notes)
    # the chart skips the missing quarter and goes on
    assert not math.isnan(res.table.loc[("S2", "SAT", "2025Q2"), "chart_statistic"])
    with pytest.warns(DataQualityWarning, match=r"fewer than min_n = 30"):
        TrendMonitor(series=["SAT"]).fit(survey(small), by="store")


def test_baseline_not_in_data(small: pd.DataFrame) -> None:
    with pytest.raises(DataValidationError, match=r"baseline period '2023Q4' is not in the data"):
        TrendMonitor(series=["SAT"], baseline=["2023Q4"]).fit(survey(small))
    with pytest.raises(DataValidationError, match=r"baseline=8 leaves no period to monitor"):
        TrendMonitor(series=["SAT"], baseline=8).fit(survey(small))
    with pytest.raises(DataValidationError, match=r"includes the last period '2025Q4'"):
        TrendMonitor(series=["SAT"], baseline=["2025Q4"]).fit(survey(small))
    with pytest.raises(SpecificationError, match=r"sigma='baseline'.*at least 2 baseline"):
        TrendMonitor(series=["SAT"], sigma="baseline").fit(survey(small))


def test_bad_settings_and_other_inputs(small: pd.DataFrame) -> None:
    with pytest.raises(InvalidParameterError, match=r"'chart'.*'ewma', 'cusum' or 'shewhart'"):
        TrendMonitor(series=["SAT"], chart="xbar")
    with pytest.raises(SpecificationError, match=r"not one string \('SAT'\)"):
        TrendMonitor(series="SAT")
    with pytest.raises(SpecificationError, match=r"lists 'SAT' more than once"):
        TrendMonitor(series=["SAT", "SAT"])
    with pytest.raises(SpecificationError, match=r"positive number of 0-100 points"):
        TrendMonitor(series=["SAT"], sigma=-1.0)
    with pytest.raises(InvalidParameterError, match=r"'ewma_lambda'"):
        TrendMonitor(series=["SAT"], ewma_lambda=0.0)
    with pytest.raises(DataValidationError, match=r"pass scale=\(min, max\)"):
        TrendMonitor(series=["SAT"]).fit(small, period="quarter")
    with pytest.raises(DataValidationError, match=r"pass period='<column>'"):
        TrendMonitor(series=["SAT"]).fit(small, scale=(1, 10))
    with pytest.raises(DataValidationError, match=r"by='city' is not a segment column"):
        TrendMonitor(series=["SAT"]).fit(survey(small), by="city")
    no_scale = csi.SurveyData.from_frame(small, items=["SAT", "REC"], period="quarter")
    with pytest.raises(DataValidationError, match=r"item 'SAT' has no declared scale"):
        TrendMonitor(series=["SAT"]).fit(no_scale)
    with pytest.raises(SpecificationError, match=r"needs the standard errors"):
        TrendMonitor(series=["A"]).fit_indices(pd.DataFrame({"A": [1.0, 2.0]}))


# -- behaviour -------------------------------------------------------------------------------


def test_period_order_numeric_and_explicit() -> None:
    frame = make_frame(31, n=20)
    frame["month"] = frame["quarter"].map({p: i + 1 for i, p in enumerate(PERIODS)}) + 2
    res = TrendMonitor(series=["SAT"]).fit(frame, scale=(1, 10), period="month")
    assert res.periods == tuple(str(i) for i in range(3, 11))  # 10 after 9, not after 1
    order = tuple(reversed(PERIODS))
    res2 = TrendMonitor(series=["SAT"], periods=order).fit(survey(frame.drop(columns="month")))
    assert res2.periods == order
    assert res2.table.index.get_level_values("period")[:8].tolist() == list(order)


def test_nothing_mutated_and_json_round_trip(small: pd.DataFrame) -> None:
    frame = small.copy()
    model = TrendMonitor(series=["SAT", "REC"], chart="cusum", baseline=2)
    dumped = model.model_dump()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        res = model.fit(frame, scale=(1, 10), period="quarter", by="store")
    pd.testing.assert_frame_equal(frame, small)
    assert model.model_dump() == dumped
    again = result_from_json(res.to_json())
    assert isinstance(again, TrendResult) and again == res
    pd.testing.assert_frame_equal(again.table, res.table)
    pd.testing.assert_frame_equal(again.alerts, res.alerts)
    json.loads(res.to_json())  # strict JSON
    text = str(res.summary())
    assert "Trend monitoring" in text and "cusum" in text


def test_empty_alerts_round_trip() -> None:
    frame = make_frame(41, n=30)
    res = TrendMonitor(series=["SAT"], chart="shewhart", shewhart_width=50.0, alpha=1e-12).fit(
        frame, scale=(1, 10), period="quarter"
    )
    assert res.alerts.empty
    assert TrendResult.from_json(res.to_json()) == res
    assert "Alerts" in str(res.summary())


def test_plot_and_plot_data() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    frame = make_frame(51, n=30)
    res = TrendMonitor(series=["SAT"], baseline=4).fit(survey(frame), by="store")
    data = res.plot_data("S3", "SAT")
    assert data.index.tolist() == PERIODS
    assert data["z"].iloc[:4].isna().all() and data["z"].iloc[4:].notna().all()
    fig = res.plot(segment="S3", series="SAT")
    assert len(fig.axes[1].lines) == 3
    plt.close("all")
    with pytest.raises(DataValidationError, match=r"segment 'S9' is not in this result"):
        res.plot_data("S9")
    wide = res.estimates("chart_statistic")
    assert wide.shape == (8, 6)
    with pytest.raises(DataValidationError, match=r"column='nope'"):
        res.estimates("nope")


def test_registry_and_demo_section() -> None:
    assert sorted(CONTROL_CHARTS) == ["cusum", "ewma", "shewhart"]
    text = demo_section()
    assert "Satisfaction" in text and "alerts" in text
