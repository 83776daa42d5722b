"""Simulated customer event logs with a known retention hazard that depends on satisfaction.

Generating model. Customer *i* makes a first visit at ``F_i``, uniform over the first
``enrol_months`` after ``start``, and answers a satisfaction survey then (index
``x_i`` on 0–100, normal around ``satisfaction_mean`` and clipped; the five-point level
cuts it at 40 / 55 / 70 / 85). The customer's lifetime ``D_i`` (months from the first
visit to the last one) is exponential with hazard

    h_i = baseline_hazard · exp(log_hazard_ratio · (x_i − satisfaction_mean)
                                 + driver_effect · z_i),

``z_i`` a standard-normal driver (e.g. price perception). Between the first and the
last visit the customer comes back every ``U(gap_low, gap_high)`` months, so that while
a customer is alive no gap reaches the first churn window; the last visit is at
``F_i + D_i``. Nothing after ``as_of`` is recorded. Each visit has an amount
(gamma, mean ``mean_amount``). A visit leads to a complaint with probability
``complaint_rate``; the complaint gets a reply after an exponential number of hours
(mean 12), a resolution after a further exponential (mean 48), is re-opened with
probability 0.1, compensated with probability 0.3; a handling survey scores 1–5
(higher when the reply came within 24 hours).

Truth. ``P(D_i > h) = exp(−h_i h)``, so the retention at horizon *h* of customer *i*
is known, and so is its derivative in ``x``: ``−log_hazard_ratio · h_i h · exp(−h_i h)``
per index point.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from csimodels.errors import InvalidParameterError
from csimodels.events._kinds import DAYS_PER_MONTH
from csimodels.events.data import CustomerEvents

__all__ = ["COMPLAINT_REASONS", "SimulatedEvents", "simulate_customer_events"]

RandomState = int | np.random.Generator | None

#: Complaint reasons of the simulated log and their shares (a Pareto-like profile).
COMPLAINT_REASONS: dict[str, float] = {
    "waiting time": 0.38,
    "repair quality": 0.24,
    "price": 0.16,
    "staff attitude": 0.10,
    "parts availability": 0.07,
    "cleanliness": 0.05,
}

_NS_PER_MONTH = DAYS_PER_MONTH * 86_400 * 10**9
_NS_PER_HOUR = 3_600 * 10**9


@dataclass(frozen=True)
class SimulatedEvents:
    """A simulated log, its survey and the truth that generated them.

    Attributes
    ----------
    events : CustomerEvents
        The validated log (customer ``customer``, time ``time``, kind ``kind``, team
        ``team``, segment ``region``, amount ``amount``, case ``case``, reason
        ``reason``).
    frame : DataFrame
        The same log as a plain DataFrame.
    survey : DataFrame
        One row per customer: ``customer``, ``survey_date`` (the first visit),
        ``satisfaction`` (0–100), ``level`` (1–5), ``price`` (the driver z).
    handling : DataFrame
        Handling surveys: ``case``, ``score`` (1–5).
    customers : DataFrame, index customer
        ``first_visit``, ``lifetime_months`` (D), ``hazard`` (per month), ``team``,
        ``region``.
    truth : dict
        ``log_hazard_ratio``, ``hazard_ratio``, ``baseline_hazard``, ``driver_effect``,
        ``satisfaction_mean``, ``as_of``.

    Examples
    --------
    >>> from csimodels.datasets import simulate_customer_events
    >>> sim = simulate_customer_events(n_customers=200, random_state=1)
    >>> round(float(sim.true_retention(12.0).mean()), 2)   # P(lifetime > 12 months)
    0.6
    """

    events: CustomerEvents
    frame: pd.DataFrame
    survey: pd.DataFrame
    handling: pd.DataFrame
    customers: pd.DataFrame
    truth: dict[str, Any]

    def true_retention(self, horizon: float) -> pd.Series:
        """Each customer's true probability of staying active beyond ``horizon`` months.

        Examples
        --------
        >>> from csimodels.datasets import simulate_customer_events
        >>> sim = simulate_customer_events(n_customers=50, random_state=1)
        >>> bool(sim.true_retention(0.0).eq(1.0).all())
        True
        """
        return pd.Series(
            np.exp(-self.customers["hazard"].to_numpy() * horizon),
            index=self.customers.index,
            name="retention",
        )

    def true_value_per_point(self, horizon: float, customers: pd.Index | None = None) -> float:
        """Mean derivative of the true retention at ``horizon`` in one index point.

        Examples
        --------
        >>> from csimodels.datasets import simulate_customer_events
        >>> sim = simulate_customer_events(n_customers=50, random_state=1)
        >>> sim.true_value_per_point(12.0) > 0     # more satisfaction, more retention
        True
        """
        table = self.customers if customers is None else self.customers.loc[customers]
        lam = table["hazard"].to_numpy()
        beta = float(self.truth["log_hazard_ratio"])
        return float(np.mean(-beta * lam * horizon * np.exp(-lam * horizon)))


def _check(name: str, value: float, low: float, high: float | None = None) -> None:
    if not np.isfinite(value) or value < low or (high is not None and value > high):
        bound = f"in [{low}, {high}]" if high is not None else f">= {low}"
        raise InvalidParameterError(
            f"parameter {name!r} of simulate_customer_events must be {bound}, got {value!r}"
        )


def simulate_customer_events(
    n_customers: int = 2000,
    *,
    start: str = "2021-01-01",
    as_of: str = "2025-12-31",
    enrol_months: int = 24,
    satisfaction_mean: float = 70.0,
    satisfaction_sd: float = 12.0,
    log_hazard_ratio: float = -0.03,
    baseline_hazard: float = 1 / 24,
    driver_effect: float = 0.0,
    gap_low: float = 2.0,
    gap_high: float = 5.0,
    mean_amount: float = 300.0,
    complaint_rate: float = 0.05,
    teams: tuple[str, ...] = ("A", "B", "C"),
    regions: tuple[str, ...] = ("North", "South"),
    random_state: RandomState = None,
) -> SimulatedEvents:
    """Simulate a visit and complaint log whose churn hazard depends on satisfaction.

    Parameters
    ----------
    n_customers : int
        Customers (each with one survey at the first visit).
    start, as_of : str
        First possible first visit; the date the log runs to.
    enrol_months : int
        First visits are uniform over this many months after ``start``.
    satisfaction_mean, satisfaction_sd : float
        Normal satisfaction index (clipped to 0–100).
    log_hazard_ratio : float
        Change of the log churn hazard per index point (−0.03: each point lowers the
        hazard by 3 %).
    baseline_hazard : float
        Churn hazard per month at the mean satisfaction (1/24: mean lifetime two years).
    driver_effect : float
        Change of the log hazard per unit of the driver ``price``.
    gap_low, gap_high : float
        Months between visits while the customer is alive (uniform).
    mean_amount : float
        Mean amount of a visit.
    complaint_rate : float
        Probability that a visit leads to a complaint.
    teams, regions : tuple of str
        Labels of the teams and regions customers are assigned to (uniformly).
    random_state : int or Generator, optional

    Returns
    -------
    SimulatedEvents

    Examples
    --------
    >>> from csimodels.datasets import simulate_customer_events
    >>> sim = simulate_customer_events(n_customers=100, random_state=3)
    >>> sim.events.n_customers, round(sim.truth["hazard_ratio"], 4)
    (100, 0.9704)
    """
    if isinstance(n_customers, bool) or not isinstance(n_customers, int) or n_customers < 1:
        raise InvalidParameterError(
            "parameter 'n_customers' of simulate_customer_events must be a positive int, "
            f"got {n_customers!r}"
        )
    _check("baseline_hazard", baseline_hazard, 1e-9)
    _check("gap_low", gap_low, 0.01)
    _check("gap_high", gap_high, gap_low)
    _check("complaint_rate", complaint_rate, 0.0, 1.0)
    _check("satisfaction_sd", satisfaction_sd, 0.0)
    rng = np.random.default_rng(random_state)
    n = n_customers
    t0 = pd.Timestamp(start).value
    end = pd.Timestamp(as_of).value
    first = t0 + (rng.random(n) * enrol_months * _NS_PER_MONTH).astype(np.int64)
    first = first // 10**9 * 10**9
    sat = np.clip(rng.normal(satisfaction_mean, satisfaction_sd, n), 0, 100)
    price = rng.normal(size=n)
    hazard = baseline_hazard * np.exp(
        log_hazard_ratio * (sat - satisfaction_mean) + driver_effect * price
    )
    life = rng.exponential(1 / hazard)
    horizon = (end - first) / _NS_PER_MONTH
    cap = np.minimum(life, horizon)
    max_visits = int(np.ceil(np.max(cap) / gap_low)) + 2
    gaps = rng.uniform(gap_low, gap_high, size=(n, max_visits))
    gaps[:, 0] = 0.0
    offsets = np.cumsum(gaps, axis=1)
    alive = offsets < life[:, None]
    offsets = np.where(alive, offsets, np.nan)
    # the last visit is at the end of the lifetime
    offsets = np.column_stack([offsets, life])
    offsets[offsets > horizon[:, None]] = np.nan
    cust_idx, col = np.nonzero(~np.isnan(offsets))
    vis_time = first[cust_idx] + (offsets[cust_idx, col] * _NS_PER_MONTH).astype(np.int64)
    vis_time = vis_time // 10**9 * 10**9
    # a final visit rounded onto the previous second: keep it distinct
    n_vis = vis_time.size
    team = rng.choice(np.asarray(teams), size=n)
    region = rng.choice(np.asarray(regions), size=n)
    ids = np.asarray([f"C{i:06d}" for i in range(n)])
    amount = rng.gamma(4.0, mean_amount / 4.0, size=n_vis).round(2)

    # complaints
    has_c = rng.random(n_vis) < complaint_rate
    ci = np.flatnonzero(has_c)
    n_c = ci.size
    reasons = np.asarray(list(COMPLAINT_REASONS))
    probs = np.asarray(list(COMPLAINT_REASONS.values()))
    reason = rng.choice(reasons, size=n_c, p=probs / probs.sum())
    opened = vis_time[ci] + (rng.random(n_c) * 72 * _NS_PER_HOUR).astype(np.int64)
    reply_h = rng.exponential(12.0, n_c)
    resolve_h = reply_h + rng.exponential(48.0, n_c)
    replied = opened + (reply_h * _NS_PER_HOUR).astype(np.int64)
    resolved = opened + (resolve_h * _NS_PER_HOUR).astype(np.int64)
    reopened_flag = rng.random(n_c) < 0.1
    reopened = resolved + (rng.exponential(72.0, n_c) * _NS_PER_HOUR).astype(np.int64)
    comp_flag = rng.random(n_c) < 0.3
    comp_time = resolved + _NS_PER_HOUR
    comp_amount = rng.gamma(2.0, 50.0, n_c).round(2)
    case_ids = np.asarray([f"T{i:06d}" for i in range(n_c)])
    c_cust = cust_idx[ci]

    def block(
        mask: np.ndarray, times: np.ndarray, kind: str, amt: np.ndarray | None
    ) -> dict[str, Any]:
        return {
            "customer": ids[c_cust[mask]],
            "time": times[mask],
            "kind": np.full(int(mask.sum()), kind),
            "team": team[c_cust[mask]],
            "region": region[c_cust[mask]],
            "amount": amt[mask] if amt is not None else np.full(int(mask.sum()), np.nan),
            "case": case_ids[mask],
            "reason": np.where(kind == "complaint_opened", reason[mask], None),
        }

    every = np.ones(n_c, dtype=bool)
    blocks = [
        {
            "customer": ids[cust_idx],
            "time": vis_time,
            "kind": np.full(n_vis, "visit"),
            "team": team[cust_idx],
            "region": region[cust_idx],
            "amount": amount,
            "case": np.full(n_vis, None),
            "reason": np.full(n_vis, None),
        },
        block(every, opened, "complaint_opened", None),
        block(every, replied, "complaint_replied", None),
        block(every, resolved, "complaint_resolved", None),
        block(reopened_flag, reopened, "complaint_reopened", None),
        block(comp_flag, comp_time, "compensation", comp_amount),
    ]
    frame = pd.concat([pd.DataFrame(b) for b in blocks], ignore_index=True)
    frame = frame[frame["time"].to_numpy() <= end]
    frame["time"] = frame["time"].to_numpy().astype("datetime64[ns]")
    frame = frame.sort_values(["time", "customer"], kind="stable").reset_index(drop=True)
    events = CustomerEvents.from_frame(
        frame,
        customer="customer",
        time="time",
        kind="kind",
        team="team",
        segments=["region"],
        amount="amount",
        case="case",
        reason="reason",
        as_of=as_of,
        duplicates="drop",
    )
    cuts = np.digitize(sat, [40, 55, 70, 85]) + 1
    survey = pd.DataFrame(
        {
            "customer": ids,
            "survey_date": first.astype("datetime64[ns]"),
            "satisfaction": sat,
            "level": cuts,
            "price": price,
        }
    )
    fast = reply_h <= 24
    score = np.clip(np.round(rng.normal(np.where(fast, 4.2, 2.8), 0.8)), 1, 5).astype(np.int64)
    seen = rng.random(n_c) < 0.6
    handling = pd.DataFrame({"case": case_ids[seen], "score": score[seen]})
    handling = handling[resolved[seen] <= end].reset_index(drop=True)
    customers = pd.DataFrame(
        {
            "first_visit": first.astype("datetime64[ns]"),
            "lifetime_months": life,
            "hazard": hazard,
            "team": team,
            "region": region,
        },
        index=pd.Index(ids, name="customer"),
    )
    truth = {
        "log_hazard_ratio": log_hazard_ratio,
        "hazard_ratio": float(np.exp(log_hazard_ratio)),
        "baseline_hazard": baseline_hazard,
        "driver_effect": driver_effect,
        "satisfaction_mean": satisfaction_mean,
        "as_of": as_of,
    }
    return SimulatedEvents(events, frame, survey, handling, customers, truth)
