"""Time the events family on a log of 10 million events against pandas + statsmodels.

Run from the repository root: ``PYTHONPATH=. python benchmarks/events.py [n_events]``
(default 10,000,000). Prints the time of each step and, for the retention summary,
the ratio to the same numbers computed with pandas groupby plus statsmodels'
SurvfuncRight (the peer).
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np
import pandas as pd

import csimodels as csi

N_EVENTS = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000


def make_log(n_events: int, seed: int = 1) -> pd.DataFrame:
    """Visits and purchases of n_events / 8 customers over five years, 2 % complaints."""
    rng = np.random.default_rng(seed)
    n_cust = n_events // 8
    start = pd.Timestamp("2021-01-01").value
    span = 5 * 365 * 86_400 * 10**9
    n_case = n_events // 50
    n_act = n_events - 3 * n_case
    cust = rng.integers(0, n_cust, n_act)
    t = start + (rng.random(n_act) * span).astype(np.int64) // 10**9 * 10**9
    kinds = ["visit", "purchase", "complaint_opened", "complaint_replied", "complaint_resolved"]
    kind = (rng.random(n_act) >= 0.9).astype(np.int8)
    team_of = rng.integers(0, 4, n_cust)
    region_of = rng.integers(0, 4, n_cust)
    c_cust = rng.integers(0, n_cust, n_case)
    opened = start + (rng.random(n_case) * (span - 30 * 86_400 * 10**9)).astype(np.int64)
    replied = opened + (rng.exponential(12, n_case) * 3_600 * 10**9).astype(np.int64)
    resolved = replied + (rng.exponential(48, n_case) * 3_600 * 10**9).astype(np.int64)
    case_ids = np.arange(n_case, dtype=np.float64)
    reason = rng.integers(0, 4, n_case)
    customers = np.concatenate([cust, c_cust, c_cust, c_cust])
    frame = pd.DataFrame(
        {
            "customer": customers,
            "time": np.concatenate([t, opened, replied, resolved]).view("datetime64[ns]"),
            "kind": pd.Categorical.from_codes(
                np.concatenate([kind, np.repeat(np.int8([2, 3, 4]), n_case)]), kinds
            ),
            "amount": np.concatenate([rng.gamma(4, 75, n_act), np.full(3 * n_case, np.nan)]),
            "case": np.concatenate([np.full(n_act, np.nan), case_ids, case_ids, case_ids]),
            "reason": pd.Categorical.from_codes(
                np.concatenate([np.full(n_act, -1), reason, np.full(2 * n_case, -1)]),
                ["waiting time", "repair quality", "price", "staff attitude"],
            ),
            "team": pd.Categorical.from_codes(team_of[customers], ["A", "B", "C", "D"]),
            "region": pd.Categorical.from_codes(
                region_of[customers], ["North", "South", "East", "West"]
            ),
        }
    )
    return frame


def peer_retention(frame: pd.DataFrame, as_of: pd.Timestamp) -> None:
    """Statuses, classes and the KM curve with pandas groupby and statsmodels."""
    from statsmodels.duration.survfunc import SurvfuncRight

    act = frame[frame["kind"].isin(["visit", "purchase"])].sort_values(["customer", "time"])
    g = act.groupby("customer", sort=True)
    last = g["time"].max()
    first = g["time"].min()
    recent = act[act["time"] > as_of - pd.DateOffset(months=12)].groupby("customer").size()
    n_recent = recent.reindex(last.index, fill_value=0)
    status = sum(last + pd.DateOffset(months=w) <= as_of for w in (6, 12, 24))
    classes = np.select([n_recent >= 4, n_recent >= 2, n_recent >= 1], ["A", "B", "C"], "D")
    team = g["team"].last()
    pd.crosstab(team, status)
    pd.crosstab(team, classes)
    nxt = act.groupby("customer")["time"].shift(-1)
    gap = (act["time"] + pd.DateOffset(months=12)) <= nxt
    churn_at = act["time"].where(gap).groupby(act["customer"]).min()
    cutoff = as_of - pd.DateOffset(months=12)
    end = churn_at.reindex(last.index).fillna(last)
    event = churn_at.reindex(last.index).notna() | (end <= cutoff)
    stop = end.where(event, cutoff)
    risk = first <= cutoff
    months = (stop - first)[risk].dt.total_seconds() / 86_400 / (365.2425 / 12)
    SurvfuncRight(months.to_numpy(), event[risk].to_numpy(dtype=float))


class Clock:
    """Wall and CPU seconds of a step (CPU time is what a busy shared machine distorts
    least; numpy here runs on one core)."""

    def __enter__(self) -> Clock:
        self.wall0, self.cpu0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall0
        self.cpu = time.process_time() - self.cpu0

    def __str__(self) -> str:
        return f"{self.wall:7.2f} s wall {self.cpu:7.2f} s CPU"


def main() -> None:
    print(f"events benchmark: {N_EVENTS:,} events (load average {os.getloadavg()[0]:.1f})")
    with Clock() as c:
        frame = make_log(N_EVENTS)
    print(f"  generate log                       {c}")
    with Clock() as build:
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
            as_of="2026-01-01",
            duplicates="drop",  # random times collide now and then
        )
    print(f"  CustomerEvents (validate, sort)    {build}  ({events.n_customers:,} customers)")
    with Clock() as ret:
        retention = csi.Retention().fit(events)
    print(f"  Retention.fit                      {ret}")
    with Clock() as c:
        csi.ComplaintAnalysis().fit(events)
    print(f"  ComplaintAnalysis.fit              {c}")
    rng = np.random.default_rng(2)
    ids = retention.customers.index.to_numpy()
    chosen = rng.choice(ids, size=min(100_000, ids.size), replace=False)
    survey = pd.DataFrame(
        {
            "customer": chosen,
            "date": pd.Timestamp("2022-06-01"),
            "csi": rng.normal(70, 12, chosen.size),
        }
    )
    with Clock() as c:
        csi.SatisfactionValue(model="cox").fit(
            events, survey, customer="customer", time="date", satisfaction="csi"
        )
    print(f"  SatisfactionValue (Cox, {chosen.size:,})    {c}")
    with Clock() as peer:
        peer_retention(frame, pd.Timestamp("2026-01-01"))
    print(f"  peer: pandas groupby + SurvfuncRight {peer}  (statuses, classes, KM only)")
    print(
        f"  ratio peer / Retention.fit: {peer.wall / ret.wall:4.1f}x wall, "
        f"{peer.cpu / ret.cpu:4.1f}x CPU (Retention also gives churn rates, the monthly "
        "trend and cohorts)"
    )


if __name__ == "__main__":
    main()
