"""Retention: statuses, classes, churn rates, status trend and cohorts counted by hand on
a small log; Kaplan–Meier against statsmodels' SurvfuncRight and R survival's log–log
intervals; bad settings."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import csimodels as csi
from csimodels.errors import DataQualityWarning, DataValidationError, InvalidParameterError
from csimodels.events._kinds import DAYS_PER_MONTH

FIXTURES = Path(__file__).parent / "fixtures" / "events"

# c1, c2 in team X; c3, c4, c5 in team Y; c6 only complained (no activity).
HAND_LOG = pd.DataFrame(
    [
        ("c1", "2024-11-01", "visit", "X", None),
        ("c1", "2024-12-15", "visit", "X", None),
        ("c2", "2024-01-15", "visit", "X", None),
        ("c2", "2024-02-01", "purchase", "X", None),
        ("c2", "2024-03-01", "visit", "X", None),
        ("c2", "2024-05-01", "visit", "X", None),
        ("c3", "2022-06-01", "visit", "Y", None),
        ("c3", "2023-05-01", "visit", "Y", None),
        ("c4", "2022-01-01", "visit", "Y", None),
        ("c4", "2022-12-31", "visit", "Y", None),
        ("c5", "2024-07-01", "visit", "Y", None),
        ("c6", "2024-09-01", "complaint_opened", "Y", "T1"),
    ],
    columns=["cid", "date", "kind", "team", "ticket"],
)


@pytest.fixture(scope="module")
def hand() -> csi.RetentionResult:
    events = csi.CustomerEvents.from_frame(
        HAND_LOG,
        customer="cid",
        time="date",
        kind="kind",
        team="team",
        case="ticket",
        as_of="2025-01-01",
    )
    with pytest.warns(DataQualityWarning, match="1 customers have no activity"):
        return csi.Retention(churn_period="Y", cohort_period="Q").fit(events)


def test_statuses_by_hand(hand: csi.RetentionResult) -> None:
    # last activity -> months to 2025-01-01: c1 0.5 active; c2 8 marginal; c3 20 churned;
    # c4 24 (2022-12-31 + 24 months = 2024-12-31 <= as_of) lost; c5 exactly 6 marginal
    status = hand.customers["status"].astype(str).to_dict()
    assert status == {
        "c1": "active",
        "c2": "marginal",
        "c3": "churned",
        "c4": "lost",
        "c5": "marginal",
    }
    counts = hand.status_counts
    assert counts.loc["X", ["active", "marginal", "churned", "lost"]].tolist() == [1, 1, 0, 0]
    assert counts.loc["Y", ["active", "marginal", "churned", "lost"]].tolist() == [0, 1, 1, 1]
    assert counts.loc["Y", "managed"] == 2
    assert counts.loc["Y", "share_churned"] == pytest.approx(0.5)
    assert "c6" not in hand.customers.index


def test_classes_by_hand(hand: csi.RetentionResult) -> None:
    # activities after 2024-01-01: c1 2 (B), c2 4 (A: "4 or more"), c3 0, c4 0 (D), c5 1 (C)
    classes = hand.customers["frequency_class"].astype(str).to_dict()
    assert classes == {"c1": "B", "c2": "A", "c3": "D", "c4": "D", "c5": "C"}
    assert hand.class_counts.loc["Y", ["A", "B", "C", "D"]].tolist() == [0, 0, 1, 2]
    assert hand.customers.loc["c2", "recent_activities"] == 4


def test_churn_rates_by_hand(hand: csi.RetentionResult) -> None:
    # 2023: of {c3, c4} (active in 2022) c4 did not come back -> 1/2;
    # 2024: of {c3} (active in 2023) nobody came back -> 1/1; 2025 is incomplete
    total = hand.churn_total
    assert total.index.tolist() == ["2023", "2024"]
    assert total["base"].tolist() == [2, 1]
    assert total["churned"].tolist() == [1, 1]
    assert total["churn_rate"].tolist() == [0.5, 1.0]
    assert hand.churn_rates.loc[("2023", "Y"), "churn_rate"] == 0.5
    assert any("2025" in n for n in hand.notes)


def test_churn_interval_is_wilson(hand: csi.RetentionResult) -> None:
    from statsmodels.stats.proportion import proportion_confint

    lo, hi = proportion_confint(1, 2, alpha=0.05, method="wilson")
    row = hand.churn_total.loc["2023"]
    assert row["ci_lower"] == pytest.approx(lo, abs=1e-12)
    assert row["ci_upper"] == pytest.approx(hi, abs=1e-12)


def test_status_trend_by_hand(hand: csi.RetentionResult) -> None:
    trend = hand.status_trend
    # end of June 2024: c2 active (last 2024-05-01); c3 churned (2023-05-01 + 12 <= );
    # c4 churned (2022-12-31 + 12 <= , + 24 >); c1 and c5 not customers yet
    june = trend.xs("2024-06", level="period")
    assert june.loc["X", ["active", "marginal", "churned", "lost"]].tolist() == [1, 0, 0, 0]
    assert june.loc["Y", ["active", "marginal", "churned", "lost"]].tolist() == [0, 0, 2, 0]
    # the last period is evaluated at as_of: it equals the status counts
    last = trend.xs("2025-01", level="period")[["active", "marginal", "churned", "lost"]]
    expected = hand.status_counts[["active", "marginal", "churned", "lost"]]
    pd.testing.assert_frame_equal(last, expected, check_names=False, check_dtype=False)


def test_cohorts_by_hand(hand: csi.RetentionResult) -> None:
    # c4's cohort 2022Q1: active in 2022Q1 and 2022Q4 only
    row = hand.cohorts.loc["2022Q1"]
    assert row[[0, 1, 2, 3, 4]].tolist() == [1.0, 0.0, 0.0, 1.0, 0.0]
    assert hand.cohort_sizes["customers"].sum() == 5
    # cells after the last complete quarter (2024Q4) are undefined
    assert np.isnan(hand.cohorts.loc["2024Q4", 1])


def test_lifetimes_by_hand(hand: csi.RetentionResult) -> None:
    # churn window 12 months, cutoff as_of - 12 = 2024-01-01: c1, c2, c5 came later
    life = hand.customers["months_active"]
    assert life[["c1", "c2", "c5"]].isna().all()
    assert life["c3"] == pytest.approx(334 / DAYS_PER_MONTH)  # 2022-06-01 .. 2023-05-01
    assert life["c4"] == pytest.approx(364 / DAYS_PER_MONTH)
    assert hand.customers.loc[["c3", "c4"], "churned"].all()


def test_a_gap_of_the_window_is_a_churn_and_a_return() -> None:
    log = pd.DataFrame(
        {"c": ["a", "a", "a"], "t": ["2020-01-10", "2021-01-10", "2021-03-01"], "k": ["visit"] * 3}
    )
    res = csi.Retention().fit(log, customer="c", time="t", kind="k", as_of="2024-01-01")
    # exactly 12 months without a visit: churned at the first visit (lifetime 0), returned
    assert res.customers.loc["a", "months_active"] == 0.0
    assert res.customers.loc["a", "churned"]
    assert any("came back after churning" in n for n in res.notes)


@pytest.fixture(scope="module")
def simulated() -> csi.RetentionResult:
    sim = csi.datasets.simulate_customer_events(n_customers=2000, random_state=11)
    return csi.Retention().fit(sim.events, curves_by="team")


def test_kaplan_meier_equals_statsmodels(simulated: csi.RetentionResult) -> None:
    from statsmodels.duration.survfunc import SurvfuncRight

    customers = simulated.customers.dropna(subset=["months_active"])
    for team, part in customers.groupby("team"):
        oracle = SurvfuncRight(
            part["months_active"].to_numpy(), part["churned"].to_numpy(dtype=float)
        )
        mine = simulated.survival[simulated.survival["group"] == team]
        np.testing.assert_array_equal(mine["time"].to_numpy(), oracle.surv_times)
        np.testing.assert_allclose(mine["survival"], oracle.surv_prob, rtol=0, atol=1e-12)
        np.testing.assert_allclose(mine["std_error"], oracle.surv_prob_se, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(mine["n_risk"].to_numpy(), oracle.n_risk)
        np.testing.assert_array_equal(mine["n_events"].to_numpy(), oracle.n_events)


def test_kaplan_meier_intervals_equal_r_survival() -> None:
    # fixture: tests/fixtures/events/make_fixtures.R, survfit(conf.type = "log-log")
    data = pd.read_csv(FIXTURES / "survival_data.csv")
    oracle = pd.read_csv(FIXTURES / "km_loglog.csv")
    from csimodels.events._survival import kaplan_meier

    km = kaplan_meier(data["time"].to_numpy(), data["event"].to_numpy(bool), 0.95)
    np.testing.assert_allclose(km.time, oracle["time"], rtol=1e-12)
    np.testing.assert_allclose(km.survival, oracle["surv"], rtol=0, atol=1e-12)
    defined = oracle["lower"].notna().to_numpy() & (oracle["surv"] > 0).to_numpy()
    np.testing.assert_allclose(km.ci_lower[defined], oracle["lower"][defined], atol=1e-10)
    np.testing.assert_allclose(km.ci_upper[defined], oracle["upper"][defined], atol=1e-10)


def test_simulated_retention_recovers_the_lifetime_distribution(
    simulated: csi.RetentionResult,
) -> None:
    # lifetimes are exponential with hazard h_i; the mean true S(12) over the customers
    # at risk must lie in the KM interval at 12 months (pooled over teams: 3 curves)
    sim = csi.datasets.simulate_customer_events(n_customers=2000, random_state=11)
    at = simulated.retention_at.xs(12, level="months")
    customers = simulated.customers.dropna(subset=["months_active"])
    for team, row in at.iterrows():
        ids = customers.index[customers["team"] == team]
        truth = float(sim.true_retention(12.0)[ids].mean())
        assert row["ci_lower"] <= truth <= row["ci_upper"]


def test_result_round_trips_and_summarises(simulated: csi.RetentionResult) -> None:
    again = csi.result_from_json(simulated.to_json())
    assert again == simulated
    text = str(simulated.summary())
    assert "Status at as_of" in text and "Churn rate per period" in text


@pytest.mark.parametrize(
    "settings",
    [
        {"windows": (12, 6, 24)},
        {"windows": (6, 6, 24)},
        {"windows": (0, 6, 24)},
        {"class_thresholds": (2, 4, 1)},
        {"class_thresholds": (4, 2, 0)},
        {"activity_kinds": ("visits",)},
        {"level": 1.5},
        {"period": "W"},
    ],
)
def test_bad_settings_raise(settings: dict[str, object]) -> None:
    with pytest.raises(InvalidParameterError):
        csi.Retention(**settings)  # type: ignore[arg-type]


def test_non_increasing_windows_message() -> None:
    with pytest.raises(InvalidParameterError, match="strictly increasing"):
        csi.Retention(windows=(12, 6, 24))


def test_bad_by_and_no_activity() -> None:
    events = csi.CustomerEvents.from_frame(
        HAND_LOG,
        customer="cid",
        time="date",
        kind="kind",
        team="team",
        case="ticket",
        as_of="2025-01-01",
    )
    with pytest.raises(DataValidationError, match="curves_by='region'"):
        csi.Retention().fit(events, curves_by="region")
    with pytest.raises(DataValidationError, match="no events of the activity kinds"):
        csi.Retention(activity_kinds=("compensation",)).fit(events)


def test_caller_frame_is_not_modified() -> None:
    before = HAND_LOG.copy()
    csi.Retention().fit(
        HAND_LOG.iloc[:11],
        customer="cid",
        time="date",
        kind="kind",
        team="team",
        as_of="2025-01-01",
    )
    pd.testing.assert_frame_equal(HAND_LOG, before)


@pytest.mark.parametrize("kind", ["survival", "status_trend", "churn", "cohorts"])
def test_plots(simulated: csi.RetentionResult, kind: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    ax = simulated.plot(kind, language="zh")  # type: ignore[arg-type]
    assert ax.get_title()
    import matplotlib.pyplot as plt

    plt.close("all")


def test_by_team_refits_each_team_and_flags_small_ones() -> None:
    sim = csi.datasets.simulate_customer_events(
        n_customers=600, teams=("A", "B", "tiny"), random_state=2
    )
    frame = sim.frame[~((sim.frame["team"] == "tiny") & (sim.frame["customer"] > "C000050"))]
    events = csi.CustomerEvents.from_frame(
        frame,
        customer="customer",
        time="time",
        kind="kind",
        team="team",
        segments=["region"],
        amount="amount",
        case="case",
        reason="reason",
        as_of="2025-12-31",
    )
    with pytest.warns(DataQualityWarning, match="'tiny' has .* fewer than 30"):
        res = csi.Retention().fit(events, by="team")
    assert isinstance(res, csi.results.SegmentedResult)
    assert res.status["status"].to_dict() == {"A": "fitted", "B": "fitted", "tiny": "too_small"}
    alone = csi.Retention().fit(events.subset((events.frame["team"] == "A").to_numpy()))
    pd.testing.assert_frame_equal(res["A"].status_counts, alone.status_counts)
    assert res.pooled is not None and res.pooled.settings["n_customers"] == events.n_customers
    assert csi.result_from_json(res.to_json()) == res


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_status_trend_and_lifetimes_equal_a_brute_force(seed: int) -> None:
    # random visits (month ends, times of day), as_of in mid-month: every month end's
    # statuses and every lifetime recomputed customer by customer with pandas DateOffset
    rng = np.random.default_rng(seed)
    n = 300
    start = pd.Timestamp("2021-01-31 18:00")
    offsets = rng.integers(0, 4 * 365 * 24, n)
    times = start + pd.to_timedelta(offsets, unit="h")
    times = times.where(rng.random(n) > 0.1, times.normalize() + pd.offsets.MonthEnd(0))
    log = pd.DataFrame(
        {
            "c": rng.choice([f"c{i}" for i in range(25)], n),
            "t": times,
            "k": "visit",
            "team": rng.choice(["X", "Y"], n),
        }
    ).drop_duplicates(["c", "t"])
    as_of = pd.Timestamp("2025-02-14 12:00")
    res = csi.Retention(windows=(3, 7, 12)).fit(
        log, customer="c", time="t", kind="k", team="team", as_of=as_of
    )
    trend = res.status_trend
    for label in dict.fromkeys(trend.index.get_level_values("period")):
        period = pd.Period(label, freq="M")
        at = min(period.end_time.as_unit("ns"), as_of)
        seen = log[log["t"] <= at].sort_values("t").groupby("c").tail(1)
        expected: dict[tuple[str, str], int] = {}
        for _, row in seen.iterrows():
            status = sum(row["t"] + pd.DateOffset(months=w) <= at for w in (3, 7, 12))
            key = (row["team"], STATUS_NAMES[status])
            expected[key] = expected.get(key, 0) + 1
        got = trend.xs(label, level="period")
        for team in ("X", "Y"):
            for name in STATUS_NAMES:
                value = int(got.loc[team, name]) if team in got.index else 0
                assert value == expected.get((team, name), 0), (label, team, name)
    cutoff = as_of - pd.DateOffset(months=7)
    for cid, part in log.sort_values("t").groupby("c"):
        t = list(part["t"])
        gaps = (a for a, b in itertools.pairwise(t) if a + pd.DateOffset(months=7) <= b)
        end = next(gaps, None)
        churned = end is not None or t[-1] <= cutoff
        end = end if end is not None else (t[-1] if churned else cutoff)
        got = res.customers.loc[cid]
        if t[0] > cutoff:
            assert np.isnan(got["months_active"])
            continue
        assert bool(got["churned"]) == churned
        assert got["months_active"] == pytest.approx(
            (end - t[0]) / pd.Timedelta(days=1) / DAYS_PER_MONTH, abs=1e-9
        )


STATUS_NAMES = ("active", "marginal", "churned", "lost")
