"""ComplaintAnalysis on a log small enough to count by hand; Poisson intervals against
statsmodels; handling satisfaction with unknown cases counted; bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import csimodels as csi
from csimodels.errors import DataQualityWarning, DataValidationError, InvalidParameterError

ROWS = [
    ("a", "2024-01-05 09:00", "visit", "North", None, None, None),
    ("a", "2024-02-10 09:00", "visit", "North", None, None, None),
    ("b", "2024-01-20 08:00", "visit", "North", None, None, None),
    ("c", "2024-02-15 07:00", "visit", "South", None, None, None),
    ("c", "2024-03-10 07:00", "visit", "South", None, None, None),
    # T1: reply after 10 h, resolution after 48 h, compensated 50
    ("a", "2024-01-05 10:00", "complaint_opened", "North", "T1", "price", None),
    ("a", "2024-01-05 20:00", "complaint_replied", "North", "T1", None, None),
    ("a", "2024-01-07 10:00", "complaint_resolved", "North", "T1", None, None),
    ("a", "2024-01-07 12:00", "compensation", "North", "T1", None, 50.0),
    # T2: reply after 48 h, resolution after 120 h, re-opened
    ("b", "2024-01-20 09:00", "complaint_opened", "North", "T2", "waiting", None),
    ("b", "2024-01-22 09:00", "complaint_replied", "North", "T2", None, None),
    ("b", "2024-01-25 09:00", "complaint_resolved", "North", "T2", None, None),
    ("b", "2024-01-26 09:00", "complaint_reopened", "North", "T2", None, None),
    # T3: reply after 4 h, never resolved (its 72 h SLA has elapsed by as_of)
    ("c", "2024-02-15 08:00", "complaint_opened", "South", "T3", "waiting", None),
    ("c", "2024-02-15 12:00", "complaint_replied", "South", "T3", None, None),
    # T4: opened 4 h before as_of: nothing is decided yet
    ("c", "2024-03-31 20:00", "complaint_opened", "South", "T4", "waiting", None),
]
LOG = pd.DataFrame(ROWS, columns=["cid", "t", "kind", "region", "case", "reason", "amount"])


@pytest.fixture(scope="module")
def events() -> csi.CustomerEvents:
    return csi.CustomerEvents.from_frame(
        LOG,
        customer="cid",
        time="t",
        kind="kind",
        segments=["region"],
        case="case",
        reason="reason",
        amount="amount",
        as_of="2024-04-01",
    )


@pytest.fixture(scope="module")
def hand(events: csi.CustomerEvents) -> csi.ComplaintResult:
    return csi.ComplaintAnalysis().fit(events)


def test_cases_by_hand(hand: csi.ComplaintResult) -> None:
    cases = hand.cases
    assert cases["hours_to_reply"].tolist()[:3] == [10.0, 48.0, 4.0]
    assert np.isnan(cases.loc["T4", "hours_to_reply"])
    assert cases.loc["T1", "hours_to_resolution"] == 48.0
    assert cases.loc["T2", "hours_to_resolution"] == 120.0
    assert cases["reply_within_sla"].tolist()[:3] == [1.0, 0.0, 1.0]
    assert cases["resolution_within_sla"].tolist()[:3] == [1.0, 0.0, 0.0]
    assert cases.loc[["T4"], ["reply_within_sla", "resolution_within_sla"]].isna().all(axis=None)
    assert cases["open"].tolist() == [False, True, True, True]
    assert cases["compensation"].tolist() == [50.0, 0.0, 0.0, 0.0]
    assert cases["reopened"].tolist() == [0, 1, 0, 0]


def test_handling_kpis_by_hand(hand: csi.ComplaintResult) -> None:
    h = hand.handling.loc["(all)"]
    assert h["cases"] == 4 and h["replied"] == 3 and h["resolved"] == 2
    assert h["median_hours_to_reply"] == 10.0
    assert h["mean_hours_to_reply"] == pytest.approx(62 / 3)
    assert h["share_reply_within_sla"] == pytest.approx(2 / 3)  # T4 undecided
    assert h["median_hours_to_resolution"] == 84.0
    assert h["share_resolution_within_sla"] == pytest.approx(1 / 3)
    assert h["share_reopened"] == 0.25
    assert h["open"] == 3
    assert h["share_compensated"] == 0.25
    assert h["compensation_total"] == 50.0 and h["compensation_per_case"] == 12.5
    assert hand.handling_by_period.loc["2024-01", "cases"] == 2
    assert hand.handling_by_reason.loc["waiting", "cases"] == 3


def test_pareto_by_hand(events: csi.CustomerEvents, hand: csi.ComplaintResult) -> None:
    reasons = hand.reasons
    assert reasons.index.tolist() == ["waiting", "price"]
    assert reasons["complaints"].tolist() == [3, 1]
    assert reasons["cumulative_share"].tolist() == [0.75, 1.0]
    assert reasons["vital_few"].tolist() == [True, True]
    cut = csi.ComplaintAnalysis(vital_share=0.7).fit(events).reasons
    assert cut["vital_few"].tolist() == [True, False]


def test_rates_by_hand(events: csi.CustomerEvents, hand: csi.ComplaintResult) -> None:
    # Jan: T1, T2 / {a, b}; Feb: T3 / {a, c}; Mar: T4 / {c}
    rates = hand.rates
    assert rates.loc[["2024-01", "2024-02", "2024-03"], "complaints"].tolist() == [2, 1, 1]
    assert rates.loc[["2024-01", "2024-02", "2024-03"], "base"].tolist() == [2, 2, 1]
    assert rates.loc[["2024-01", "2024-02", "2024-03"], "rate"].tolist() == [1000, 500, 1000]
    by = csi.ComplaintAnalysis(rate_basis="visits").fit(events, rates_by="region").rates
    assert by.loc[("2024-02", "North"), ["complaints", "base", "rate"]].tolist() == [0, 1, 0]
    assert by.loc[("2024-02", "South"), ["complaints", "base", "rate"]].tolist() == [1, 1, 1000]


def test_rate_interval_is_exact_poisson(hand: csi.ComplaintResult) -> None:
    from statsmodels.stats.rates import confint_poisson

    row = hand.rates.loc["2024-01"]
    lo, hi = confint_poisson(2, 2, method="exact-c", alpha=0.05)
    assert row["ci_lower"] == pytest.approx(lo * 1000, rel=1e-10)
    assert row["ci_upper"] == pytest.approx(hi * 1000, rel=1e-10)


def test_handling_satisfaction_and_unknown_cases(events: csi.CustomerEvents) -> None:
    survey = pd.DataFrame({"ticket": ["T1", "T2", "T9"], "score": [5, 2, 4]})
    with pytest.warns(DataQualityWarning, match="1 surveyed cases are not complaints.*'T9'"):
        res = csi.ComplaintAnalysis().fit(
            events, survey=survey, survey_case="ticket", score="score"
        )
    sat = res.handling_satisfaction
    assert sat.loc[("all", "all"), "n"] == 2 and sat.loc[("all", "all"), "mean"] == 3.5
    assert sat.loc[("reply_within_sla", "1.0"), "mean"] == 5.0
    assert sat.loc[("reply_within_sla", "0.0"), "mean"] == 2.0
    assert res.cases.loc["T1", "score"] == 5.0 and np.isnan(res.cases.loc["T3", "score"])
    assert any("T9" in n for n in res.notes)
    assert csi.result_from_json(res.to_json()) == res


def test_survey_problems(events: csi.CustomerEvents) -> None:
    model = csi.ComplaintAnalysis()
    dup = pd.DataFrame({"case": ["T1", "T1"], "score": [5, 4]})
    with pytest.raises(DataValidationError, match="'T1' more than once"):
        model.fit(events, survey=dup, score="score")
    with pytest.raises(DataValidationError, match="pass score="):
        model.fit(events, survey=dup)
    with pytest.raises(DataValidationError, match="no column 'rating'"):
        model.fit(events, survey=dup, score="rating")
    text = pd.DataFrame({"case": ["T1"], "score": ["good"]})
    with pytest.raises(DataValidationError, match="not numbers"):
        model.fit(events, survey=text, score="score")


def test_log_without_complaints_and_bad_settings() -> None:
    visits = LOG[LOG["kind"] == "visit"]
    with pytest.raises(DataValidationError, match="no complaint_opened events"):
        csi.ComplaintAnalysis().fit(visits, customer="cid", time="t", kind="kind")
    with pytest.raises(InvalidParameterError):
        csi.ComplaintAnalysis(rate_basis="calls")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError):
        csi.ComplaintAnalysis(reply_sla_hours=0)


def test_simulated_handling_and_plots() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sim = csi.datasets.simulate_customer_events(n_customers=1500, random_state=5)
    res = csi.ComplaintAnalysis(reply_sla_hours=24).fit(
        sim.events, survey=sim.handling, score="score"
    )
    # replies are exponential with mean 12 h: P(reply <= 24 h) = 1 - exp(-2)
    h = res.handling.loc["(all)"]
    share, n = h["share_reply_within_sla"], h["cases"]
    assert abs(share - (1 - np.exp(-2))) < 4 * np.sqrt(share * (1 - share) / n)
    assert csi.result_from_json(res.to_json()) == res
    for kind in ("pareto", "rates", "handling"):
        assert res.plot(kind, language="zh").get_title()  # type: ignore[arg-type]
    plt.close("all")


def test_customers_switching_groups_within_a_period_count_once() -> None:
    # customer a visits North, South, North in January: one customer in each region
    log = pd.DataFrame(
        {
            "c": ["a", "a", "a", "a"],
            "t": ["2024-01-02", "2024-01-05", "2024-01-09", "2024-01-10"],
            "k": ["visit", "visit", "visit", "complaint_opened"],
            "region": ["North", "South", "North", "North"],
            "case": [None, None, None, "T1"],
        }
    )
    with pytest.warns(DataQualityWarning, match="no reason"):
        res = csi.ComplaintAnalysis().fit(
            log,
            customer="c",
            time="t",
            kind="k",
            segments=["region"],
            case="case",
            as_of="2024-03-01",
            rates_by="region",
        )
    assert res.rates.loc[("2024-01", "North"), ["complaints", "base"]].tolist() == [1, 1]
    assert res.rates.loc[("2024-01", "South"), ["complaints", "base"]].tolist() == [0, 1]


def test_by_region_refits_each_region(events: csi.CustomerEvents) -> None:
    res = csi.ComplaintAnalysis().fit(events, by="region", min_segment_size=1)
    assert res.status["status"].tolist() == ["fitted", "fitted"]
    assert res["North"].handling.loc["(all)", "cases"] == 2  # T1, T2
    assert res["South"].handling.loc["(all)", "cases"] == 2  # T3, T4
