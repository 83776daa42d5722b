"""Retention engines on plain ndarrays of activities sorted by customer, then time.

Times are int64 nanoseconds; customers and groups are integer codes. Every function
is vectorised over events (no Python loop per customer or per event).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from csimodels.events._groups import PeriodGrid
from csimodels.events._kinds import add_months, month_numbers, months_between

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

__all__ = [
    "CustomerState",
    "churn_durations",
    "cohort_counts",
    "customer_state",
    "period_churn",
    "status_over_time",
]

_FAR = np.iinfo(np.int64).max


def _next_same(cust: IntArray, t: IntArray) -> IntArray:
    """Time of the same customer's next activity (``_FAR`` after the last one)."""
    nxt = np.full(t.size, _FAR, dtype=np.int64)
    same = cust[1:] == cust[:-1]
    nxt[:-1][same] = t[1:][same]
    return nxt


@dataclass(frozen=True)
class CustomerState:
    """Per-customer arrays (length n_customers); -1 / NaN-like sentinels without activity."""

    has_activity: NDArray[np.bool_]
    first: IntArray
    last: IntArray
    n_total: IntArray
    n_recent: IntArray
    status: IntArray
    frequency_class: IntArray
    group: IntArray
    amount_total: FloatArray


def customer_state(
    cust: IntArray,
    t: IntArray,
    group: IntArray,
    amount: FloatArray | None,
    n_customers: int,
    as_of: int,
    windows: tuple[int, ...],
    class_window: int,
    thresholds: tuple[int, ...],
) -> CustomerState:
    """Status at ``as_of`` (number of windows elapsed since the last activity), the
    frequency class (activities in the ``class_window`` months up to ``as_of``) and the
    group of the last activity."""
    has = np.bincount(cust, minlength=n_customers) > 0
    first = np.full(n_customers, -1, dtype=np.int64)
    last = np.full(n_customers, -1, dtype=np.int64)
    grp = np.full(n_customers, -1, dtype=np.int64)
    if t.size:
        starts = np.flatnonzero(np.concatenate([[True], cust[1:] != cust[:-1]]))
        ends = np.concatenate([starts[1:], [t.size]]) - 1
        first[cust[starts]] = t[starts]
        last[cust[ends]] = t[ends]
        grp[cust[ends]] = group[ends]
    n_total = np.bincount(cust, minlength=n_customers).astype(np.int64)
    since = add_months(np.array([as_of], dtype=np.int64), -class_window)[0]
    recent = t > since
    n_recent = np.bincount(cust[recent], minlength=n_customers).astype(np.int64)
    status = np.zeros(n_customers, dtype=np.int64)
    last_known = last[has]
    for w in windows:
        status[has] += add_months(last_known, w) <= as_of
    status[~has] = -1
    cls = np.full(n_customers, len(thresholds), dtype=np.int64)
    for j in range(len(thresholds) - 1, -1, -1):
        cls[n_recent >= thresholds[j]] = j
    cls[~has] = -1
    amt = np.zeros(n_customers, dtype=np.float64)
    if amount is not None:
        amt = np.bincount(cust, weights=np.nan_to_num(amount), minlength=n_customers).astype(
            np.float64
        )
    return CustomerState(has, first, last, n_total, n_recent, status, cls, grp, amt)


def status_over_time(
    cust: IntArray,
    t: IntArray,
    months: IntArray,
    group: IntArray,
    n_groups: int,
    grid: PeriodGrid,
    windows: tuple[int, ...],
) -> IntArray:
    """Customers in each status at the end of each period, shape (n_groups, 4, n_periods).

    An activity at ``t_i`` is the customer's latest for instants in ``[t_i, next_i)``;
    in that span the customer is active until ``t_i + w1``, marginal until ``t_i + w2``,
    churned until ``t_i + w3`` and lost after; the group is that activity's. Counted
    with difference arrays over the periods. ``months`` holds the calendar month of each
    activity: ``t + w`` months lies in month ``months + w``, so a span bound's period
    follows from integer arithmetic; only bounds in a last, unfinished period are
    compared with ``as_of`` (the instant that period is evaluated at).
    """
    n_eval = grid.ends.size
    n_status = len(windows) + 1
    as_of = int(grid.ends[-1])
    open_last = not bool(grid.complete[-1])

    def position(shift: int) -> IntArray:
        # evaluation instants before the bound t + shift months (what searchsorted gives)
        pos = np.clip(grid.of_months(months + shift), 0, n_eval)
        if open_last:
            last = pos == n_eval - 1
            if last.any():
                exact = add_months(t[last], shift)
                pos[last] = np.where(exact > as_of, n_eval, n_eval - 1)
        return pos

    pos = [position(0)] + [position(w) for w in windows]
    pos.append(np.full(t.size, n_eval, dtype=np.int64))
    same = np.concatenate([cust[1:] == cust[:-1], [False]])
    next_month = np.concatenate([months[1:], [0]])
    pos_next = np.where(same, np.clip(grid.of_months(next_month), 0, n_eval), n_eval)
    size = n_groups * n_status * (n_eval + 1)
    acc = np.zeros(size, dtype=np.int64)
    for s in range(n_status):
        k_lo = pos[s]
        k_hi = np.minimum(pos[s + 1], pos_next)
        ok = k_lo < k_hi
        base = (group[ok] * n_status + s) * (n_eval + 1)
        acc += np.bincount(base + k_lo[ok], minlength=size).astype(np.int64)
        acc -= np.bincount(base + k_hi[ok], minlength=size).astype(np.int64)
    counts = np.cumsum(acc.reshape(n_groups, n_status, n_eval + 1), axis=2)[:, :, :n_eval]
    return np.asarray(counts, dtype=np.int64)


def _pairs(cust: IntArray, period: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """Unique (customer, period) pairs in order, and the position of each pair's last event."""
    change = np.concatenate([(cust[1:] != cust[:-1]) | (period[1:] != period[:-1]), [True]])
    last_pos = np.flatnonzero(change)
    return cust[last_pos], period[last_pos], last_pos


def period_churn(
    cust: IntArray, period: IntArray, group: IntArray, n_groups: int, n_periods: int
) -> tuple[IntArray, IntArray]:
    """Base and churned counts, shape (n_groups, n_periods).

    The base of period p is the customers with an activity in p − 1 (in the group of
    their last activity of p − 1); the churned are those of them with no activity in p.
    """
    pc, pp, pos = _pairs(cust, period)
    same_next = np.concatenate([pc[1:] == pc[:-1], [False]])
    next_p = np.concatenate([pp[1:], [-1]])
    retained = same_next & (next_p == pp + 1)
    target = pp + 1
    ok = target < n_periods
    g = group[pos][ok]
    idx = g * n_periods + target[ok]
    size = n_groups * n_periods
    base = np.bincount(idx, minlength=size).reshape(n_groups, n_periods)
    churned = np.bincount(idx[~retained[ok]], minlength=size).reshape(n_groups, n_periods)
    return base.astype(np.int64), churned.astype(np.int64)


def cohort_counts(cust: IntArray, period: IntArray, n_periods: int) -> IntArray:
    """Active customers by cohort (period of first activity) × periods since, (P, P)."""
    pc, pp, _ = _pairs(cust, period)
    start = np.concatenate([[True], pc[1:] != pc[:-1]])
    first_p = pp[start][np.cumsum(start) - 1]
    k = pp - first_p
    counts = np.bincount(first_p * n_periods + k, minlength=n_periods * n_periods)
    return np.asarray(counts.reshape(n_periods, n_periods), dtype=np.int64)


def churn_durations(
    cust: IntArray,
    t: IntArray,
    n_customers: int,
    as_of: int,
    window: int,
    origin: IntArray | None = None,
    months: IntArray | None = None,
) -> tuple[FloatArray, NDArray[np.bool_], NDArray[np.bool_], NDArray[np.bool_]]:
    """Months from origin to the last activity before the first churn (a gap of
    ``window`` months), per customer.

    The event is observed when the window has elapsed by ``as_of`` (a gap between two
    activities, or the last activity at least ``window`` months before ``as_of``);
    otherwise the customer is censored at ``as_of − window``. Activities before
    ``origin`` (default: the first activity) are ignored. Returns durations, event
    flags, at-risk flags (censoring time not before the origin) and returned flags
    (activity again after the churn).
    """
    has = np.bincount(cust, minlength=n_customers) > 0
    if origin is None:
        starts = np.flatnonzero(np.concatenate([[True], cust[1:] != cust[:-1]]))
        org = np.full(n_customers, -1, dtype=np.int64)
        org[cust[starts]] = t[starts]
    else:
        # the origin (a survey answer, say) counts as an activity; earlier ones do not
        org = origin
        keep = (org[cust] >= 0) & (t >= org[cust])
        with_origin = np.flatnonzero(org >= 0)
        cust = np.concatenate([cust[keep], with_origin])
        t = np.concatenate([t[keep], org[with_origin]])
        order = np.lexsort((t, cust))
        cust, t = cust[order], t[order]
        has = np.bincount(cust, minlength=n_customers) > 0
    nxt = _next_same(cust, t)
    gap = np.zeros(t.size, dtype=bool)
    inner = nxt != _FAR
    # t + window months lies in month m + window: compare months, and the exact
    # instants only where the next activity falls in that very month
    m = months if months is not None and origin is None else month_numbers(t)
    next_month = np.concatenate([m[1:], [0]])
    target = m + window
    gap[inner] = next_month[inner] > target[inner]
    tie = inner & (next_month == target)
    gap[tie] = add_months(t[tie], window) <= nxt[tie]
    churn_at = np.full(n_customers, -1, dtype=np.int64)
    if gap.any():
        gi = np.flatnonzero(gap)
        first_gap = np.concatenate([[True], cust[gi][1:] != cust[gi][:-1]])
        churn_at[cust[gi][first_gap]] = t[gi][first_gap]
    last = np.full(n_customers, -1, dtype=np.int64)
    if t.size:
        ends = np.flatnonzero(np.concatenate([cust[1:] != cust[:-1], [True]]))
        last[cust[ends]] = t[ends]
    cutoff = add_months(np.array([as_of], dtype=np.int64), -window)[0]
    returned = churn_at >= 0
    end_active = np.where(returned, churn_at, last)
    event = returned | (end_active <= cutoff)
    stop = np.where(event, end_active, cutoff)
    at_risk = has & (cutoff >= org) & (org >= 0)
    durations = months_between(org, stop)
    return durations, event & at_risk, at_risk, returned & at_risk
