"""Retention: customer statuses, frequency classes, churn rates, retention curves and
cohorts from a visit log (the churn management of the seed's sample report 6)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator

from csimodels._settings import Settings
from csimodels.errors import DataQualityWarning, DataValidationError, InvalidParameterError
from csimodels.events import _plots
from csimodels.events._engine import (
    churn_durations,
    cohort_counts,
    customer_state,
    period_churn,
    status_over_time,
)
from csimodels.events._frames import EventsResult
from csimodels.events._groups import PeriodCode, event_groups, period_grid
from csimodels.events._kinds import ACTIVITY_KINDS, EVENT_KINDS, month_numbers, months_between
from csimodels.events._segments import fit_parts, split_events
from csimodels.events._survival import kaplan_meier, wilson_interval
from csimodels.events.data import CustomerEvents
from csimodels.results import Frame, SegmentedResult, warn_and_note

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["CLASS_LABELS", "STATUSES", "Retention", "RetentionResult"]

#: Customer statuses by time since the last activity (before the 1st, 2nd, 3rd window).
STATUSES: tuple[str, ...] = ("active", "marginal", "churned", "lost")
#: Frequency classes, most frequent first.
CLASS_LABELS: tuple[str, ...] = ("A", "B", "C", "D")


class RetentionResult(EventsResult):
    """Statuses, classes, churn rates, retention curves and cohorts of a visit log.

    Team and segment columns (of the customer's latest activity, unless said otherwise)
    break every table down; tables without them have one group ``"(all)"``.

    Attributes
    ----------
    customers : DataFrame, index customer id
        ``first_activity``, ``last_activity`` (timestamps); ``n_activities``;
        ``recent_activities`` (in the ``class_window`` months up to ``as_of``);
        ``months_since_last``; ``status`` (active / marginal / churned / lost);
        ``frequency_class`` (A–D); ``months_active`` (the lifetime of the retention
        curve: months from the first activity to the last before churning, censored
        at ``as_of − window``; NaN when not yet at risk); ``churned`` (the churn was
        observed); ``revenue`` (sum of amounts of activities, when the
        log has amounts); the team and segment of the last activity.
    status_counts : DataFrame, index team × segments
        Customers ``active``, ``marginal``, ``churned``, ``lost`` at ``as_of``;
        ``customers`` (all four); ``managed`` (all but lost, the seed's "effective
        managed customers"); ``share_marginal`` and ``share_churned`` of ``managed``.
    class_counts : DataFrame, index team × segments
        Customers in classes ``A``, ``B``, ``C``, ``D`` and ``customers``.
    churn_rates : DataFrame, index (period, team, segments...)
        Period-over-period churn: ``base`` = customers with an activity in the
        previous period (in the group of their last activity there), ``churned`` = of
        them, those without activity in the period; ``churn_rate`` = churned / base;
        ``ci_lower``/``ci_upper``: Wilson interval at ``level``. Complete periods only.
    churn_total : DataFrame, index period
        The same over all groups.
    status_trend : DataFrame, index (period, team, segments...)
        Customers in each status at the end of each period (at ``as_of`` for the
        last one): ``active``, ``marginal``, ``churned``, ``lost``, ``managed``,
        ``share_marginal``, ``share_churned`` (of managed). Customers appear from their
        first activity on, in the group of their latest activity.
    survival : DataFrame
        Kaplan–Meier retention curve of the time from the first activity to the last
        one before churning (a gap of the ``churn_status`` window): ``group`` (the
        ``curves_by`` value, or "(all)"), ``time`` (months), ``n_risk``, ``n_events``,
        ``survival``, ``std_error`` (Greenwood), ``ci_lower``/``ci_upper`` (log–log).
    retention_at : DataFrame, index (group, months)
        The curve read at the window lengths: ``survival``, ``std_error``,
        ``ci_lower``, ``ci_upper``, ``n_risk``.
    cohort_sizes : DataFrame, index cohort
        ``customers``: customers whose first activity fell in the cohort period.
    cohorts : DataFrame, index cohort, columns 0, 1, 2... (periods since the first)
        Share of the cohort with an activity in that period (NaN where the period had
        not ended by ``as_of``).

    Examples
    --------
    >>> import csimodels as csi
    >>> sim = csi.datasets.simulate_customer_events(n_customers=300, random_state=1)
    >>> res = csi.Retention().fit(sim.events)
    >>> sorted(res.status_counts.columns)[:3]
    ['active', 'churned', 'customers']
    """

    customers: Frame
    status_counts: Frame
    class_counts: Frame
    churn_rates: Frame
    churn_total: Frame
    status_trend: Frame
    survival: Frame
    retention_at: Frame
    cohort_sizes: Frame
    cohorts: Frame

    _title: ClassVar[str] = "Customer retention and churn"

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        s = self.settings
        header: list[tuple[str, object]] = [
            ("As of", s.get("as_of")),
            ("Events used", s.get("n_events_used")),
            ("Customers", s.get("n_customers")),
            ("Activity kinds", ", ".join(s.get("activity_kinds", ()))),
            ("Windows (months)", " / ".join(str(w) for w in s.get("windows", ()))),
            ("Class thresholds", s.get("class_description")),
            ("Churn event", f"{s.get('churn_status')} ({s.get('churn_window')} months)"),
            ("Level", s.get("level")),
        ]
        tables: dict[str, Any] = {
            "Status at as_of": self.status_counts,
            "Frequency classes": self.class_counts,
            "Churn rate per period": self.churn_total,
            "Retention curve at the windows": self.retention_at,
        }
        return header, tables

    def plot(
        self,
        kind: Literal["survival", "status_trend", "churn", "cohorts"] | None = None,
        *,
        ax: Axes | None = None,
        language: Literal["en", "zh"] = "en",
        labels: Literal["code", "label"] = "code",
    ) -> Axes:
        """Retention curves, the status KPI trend, churn rates or the cohort heat map.

        Parameters
        ----------
        kind : {"survival", "status_trend", "churn", "cohorts"}
            Default ``"survival"``: Kaplan–Meier curves with their intervals.
        ax : matplotlib Axes, optional
        language : {"en", "zh"}
            Language of titles and axis labels.
        labels : {"code", "label"}
            Kept for the shared signature (groups are shown by their labels).

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import csimodels as csi
        >>> sim = csi.datasets.simulate_customer_events(n_customers=200, random_state=2)
        >>> ax = csi.Retention().fit(sim.events).plot("survival")
        >>> ax.get_ylabel()
        'Share still active'
        """
        axes: Axes = _plots.plot_retention(self, kind, ax=ax, language=language, labels=labels)
        return axes


class Retention(Settings):
    """Customer statuses, frequency classes, churn rates, retention curves and cohorts.

    A customer's status at a date depends on the time since the last activity (by
    default a visit or a purchase): *active* before the first window (6 months),
    *marginal* from it, *churned* from the second (12 months) and *lost* (permanently)
    from the third (24 months), as the seed's churn management for car service
    prescribes. Frequency classes count activities in the ``class_window`` months up to
    ``as_of``: A at least ``class_thresholds[0]`` (4), B at least the second (2), C at
    least the third (1), D none.

    Attributes
    ----------
    windows : (int, int, int)
        Months without activity after which a customer is marginal, churned, lost;
        strictly increasing.
    class_thresholds : (int, int, int)
        Minimum activities for classes A, B, C (strictly decreasing, the last >= 1).
    class_window : int
        Months counted for the frequency classes (default 12: "visits per year").
    activity_kinds : tuple of str
        Event kinds that count as activity.
    churn_status : {"marginal", "churned", "lost"}
        The status whose window defines churn for the retention curve.
    period : {"M", "Q", "Y"}
        Periods of the status trend (the seed's monthly churn KPI: "M").
    churn_period : {"M", "Q", "Y"}
        Periods of the period-over-period churn rate (the seed's annual churn rate:
        "Y").
    cohort_period : {"M", "Q", "Y"}
        Periods of the cohort table.
    level : float
        Confidence level of the intervals.

    Notes
    -----
    The retention curve is the Kaplan–Meier estimate of the customer lifetime *T*,
    the months from the first activity to the last one before the first gap of the
    churn window *w*. A customer whose last activity is at least *w* months before
    ``as_of`` has churned (event at *T*); otherwise *T* is censored at ``as_of − w``
    (what is known: no churn has yet been observed up to there). Customers whose first
    activity is later than ``as_of − w`` are not yet at risk and are counted in a note.
    Standard errors are Greenwood's; intervals are log–log,
    ``S^{exp(± z se / (S log S))}``.

    Examples
    --------
    >>> import csimodels as csi
    >>> sim = csi.datasets.simulate_customer_events(n_customers=300, random_state=1)
    >>> res = csi.Retention(windows=(6, 12, 24)).fit(sim.events)
    >>> int(res.status_counts["customers"].sum())
    300
    """

    windows: tuple[int, int, int] = (6, 12, 24)
    class_thresholds: tuple[int, int, int] = (4, 2, 1)
    class_window: int = Field(12, ge=1)
    activity_kinds: tuple[str, ...] = ACTIVITY_KINDS
    churn_status: Literal["marginal", "churned", "lost"] = "churned"
    period: PeriodCode = "M"
    churn_period: PeriodCode = "Y"
    cohort_period: PeriodCode = "Q"
    level: float = Field(0.95, gt=0, lt=1)

    @field_validator("windows")
    @classmethod
    def _increasing(cls, value: tuple[int, int, int]) -> tuple[int, int, int]:
        if value[0] < 1 or any(b <= a for a, b in itertools.pairwise(value)):
            raise InvalidParameterError(
                f"parameter 'windows' of Retention must be three strictly increasing "
                f"positive numbers of months (e.g. (6, 12, 24)), got {value!r}"
            )
        return value

    @field_validator("class_thresholds")
    @classmethod
    def _decreasing(cls, value: tuple[int, int, int]) -> tuple[int, int, int]:
        if value[-1] < 1 or any(b >= a for a, b in itertools.pairwise(value)):
            raise InvalidParameterError(
                f"parameter 'class_thresholds' of Retention must be three strictly "
                f"decreasing activity counts, the last at least 1 (e.g. (4, 2, 1)), got "
                f"{value!r}"
            )
        return value

    @field_validator("activity_kinds")
    @classmethod
    def _kinds(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return check_activity_kinds(value, "Retention")

    def fit(
        self,
        events: CustomerEvents | pd.DataFrame,
        *,
        curves_by: str | None = None,
        by: str | Sequence[str] | None = None,
        min_segment_size: int = 30,
        on_error: Literal["skip", "raise"] = "skip",
        **from_frame_options: Any,
    ) -> RetentionResult | SegmentedResult:
        """Statuses, classes, churn rates, curves and cohorts of the log.

        Parameters
        ----------
        events : CustomerEvents or DataFrame
            The log; a DataFrame is validated by
            :meth:`CustomerEvents.from_frame` with ``from_frame_options``.
        curves_by : str, optional
            A team or segment column: one retention curve per value (of the
            customer's first activity). The other tables are always broken down by
            team × segments.
        by : str or list of str, optional
            Team or segment column(s): the whole analysis refitted on the events of each
            segment, returned as a :class:`~csimodels.results.SegmentedResult` (with the
            pooled result and a status table).
        min_segment_size : int
            With ``by``: segments with fewer customers are not fitted.
        on_error : {"skip", "raise"}
            With ``by``: a failing segment is recorded (``"skip"``) or raises.

        Returns
        -------
        RetentionResult, or SegmentedResult with ``by``

        Raises
        ------
        DataValidationError
            No activity events, or ``curves_by`` is not a team or segment column.
        """
        log = CustomerEvents.coerce(events, **from_frame_options)
        if by is not None:
            columns = [by] if isinstance(by, str) else list(by)
            pooled = self._fit(log, curves_by)
            parts = split_events(
                log, columns, lambda part: self._fit(part, curves_by), "Retention.fit"
            )
            return fit_parts(
                parts,
                columns,
                owner="Retention.fit",
                unit="customers",
                min_segment_size=min_segment_size,
                on_error=on_error,
                pooled=pooled,
                headline=("status_counts", "churn_total"),
                settings=dict(pooled.settings),
            )
        return self._fit(log, curves_by)

    def _fit(self, log: CustomerEvents, curves_by: str | None) -> RetentionResult:
        notes: list[str] = list(log.notes)
        act = log.kind_mask(self.activity_kinds)
        if not act.any():
            raise DataValidationError(
                f"Retention: the log has no events of the activity kinds "
                f"{list(self.activity_kinds)}; it holds {log.kind_counts().index.tolist()}"
            )
        groups_all = event_groups(log)
        if curves_by is not None and curves_by not in log.group_columns():
            raise DataValidationError(
                f"Retention.fit: curves_by={curves_by!r} is not a team or segment column of the "
                "events; "
                f"choose from {log.group_columns() or 'none (pass team= or segments=)'}"
            )
        cust_all = log.customer_codes()
        cust = cust_all[act]
        t = log.times()[act]
        gcodes = groups_all.codes[act]
        amount = log.frame[log.amount].to_numpy()[act] if log.amount else None
        n_cust = log.n_customers
        as_of = int(log.as_of.value)
        state = customer_state(
            cust,
            t,
            gcodes,
            amount,
            n_cust,
            as_of,
            self.windows,
            self.class_window,
            self.class_thresholds,
        )
        n_without = int((~state.has_activity).sum())
        if n_without:
            warn_and_note(
                notes,
                f"{n_without} customers have no activity ({', '.join(self.activity_kinds)}) "
                "in the log and are left out of the retention tables",
                DataQualityWarning,
            )
        window = self.windows[STATUSES.index(self.churn_status) - 1]
        months = month_numbers(t)
        durations, event, at_risk, returned = churn_durations(
            cust, t, n_cust, as_of, window, months=months
        )
        customers = self._customer_table(log, state, groups_all)
        has = state.has_activity
        customers["months_active"] = np.where(at_risk[has], durations[has], np.nan)
        customers["churned"] = event[has]
        names = [str(n) for n in groups_all.index([]).names]
        status_counts = self._status_counts(customers, names)
        class_counts = self._class_counts(customers, names)

        trend_grid = period_grid(int(t.min()), as_of, self.period)
        trend = status_over_time(cust, t, months, gcodes, groups_all.n, trend_grid, self.windows)
        status_trend = self._trend_table(trend, trend_grid.labels, groups_all)

        churn_grid = period_grid(int(t.min()), as_of, self.churn_period)
        base, churned = period_churn(
            cust, churn_grid.of_months(months), gcodes, groups_all.n, len(churn_grid.labels)
        )
        churn_rates, churn_total = self._churn_tables(base, churned, churn_grid, groups_all)
        if not churn_grid.complete[-1]:
            notes.append(
                f"the last {self.churn_period} period ({churn_grid.labels[-1]}) had not "
                "ended by as_of; its churn rate is left out"
            )

        n_recent = int((state.has_activity & ~at_risk).sum())
        if n_recent:
            notes.append(
                f"{n_recent} customers had their first activity less than {window} months "
                "before as_of and are not yet at risk of churn in the retention curve"
            )
        if int(returned.sum()):
            notes.append(
                f"{int(returned.sum())} customers came back after churning; the curve "
                "counts their first churn"
            )
        curve_groups = self._curve_groups(log, act, curves_by, n_cust)
        survival, retention_at = self._curves(durations, event, at_risk, curve_groups)

        cohort_grid = period_grid(int(t.min()), as_of, self.cohort_period)
        counts = cohort_counts(cust, cohort_grid.of_months(months), len(cohort_grid.labels))
        cohort_sizes, cohorts = self._cohort_tables(counts, cohort_grid)

        settings: dict[str, Any] = {
            **self.model_dump(mode="json"),
            "model": "Retention",
            "as_of": str(log.as_of),
            "n_events": log.n_events,
            "n_events_used": int(act.sum()),
            "n_customers": int(state.has_activity.sum()),
            "n_used": int(state.has_activity.sum()),
            "churn_window": window,
            "curves_by": curves_by,
            "inference": "Wilson intervals of churn rates; Greenwood errors and log-log "
            "intervals of the Kaplan-Meier curve",
            "weight": None,
            "class_description": (
                f"A >= {self.class_thresholds[0]}, B >= {self.class_thresholds[1]}, "
                f"C >= {self.class_thresholds[2]}, D below, activities in "
                f"{self.class_window} months"
            ),
            "groups": list(log.group_columns()),
        }
        return RetentionResult(
            customers=customers,
            status_counts=status_counts,
            class_counts=class_counts,
            churn_rates=churn_rates,
            churn_total=churn_total,
            status_trend=status_trend,
            survival=survival,
            retention_at=retention_at,
            cohort_sizes=cohort_sizes,
            cohorts=cohorts,
            settings=settings,
            notes=tuple(notes),
        )

    # -- tables ------------------------------------------------------------------------
    def _customer_table(self, log: CustomerEvents, state: Any, groups: Any) -> pd.DataFrame:
        has = state.has_activity
        ids = log.customer_ids()[has]
        as_of = int(log.as_of.value)
        table = pd.DataFrame(
            {
                "first_activity": state.first[has].view("datetime64[ns]"),
                "last_activity": state.last[has].view("datetime64[ns]"),
                "n_activities": state.n_total[has],
                "recent_activities": state.n_recent[has],
                "months_since_last": months_between(
                    state.last[has], np.full(int(has.sum()), as_of, dtype=np.int64)
                ),
                "status": pd.Categorical.from_codes(
                    state.status[has], categories=pd.Index(list(STATUSES))
                ),
                "frequency_class": pd.Categorical.from_codes(
                    state.frequency_class[has], categories=pd.Index(list(CLASS_LABELS))
                ),
            },
            index=pd.Index(ids, name=log.customer),
        )
        if log.amount:
            table["revenue"] = state.amount_total[has]
        if groups.columns:
            gidx = groups.index(state.group[has])
            for col in groups.columns:
                table[col] = (
                    gidx.get_level_values(col).to_numpy()
                    if isinstance(gidx, pd.MultiIndex)
                    else gidx.to_numpy()
                )
        return table

    def _group_keys(self, customers: pd.DataFrame, names: list[str]) -> pd.DataFrame:
        if names == ["group"]:
            return customers.assign(group="(all)")
        return customers

    def _status_counts(self, customers: pd.DataFrame, names: list[str]) -> pd.DataFrame:
        frame = self._group_keys(customers, names)
        counts = (
            frame.groupby([*names, "status"], observed=False, sort=True)
            .size()
            .unstack("status")
            .reindex(columns=list(STATUSES), fill_value=0)
        )
        counts = counts.astype(np.int64)
        counts.columns = pd.Index(list(STATUSES))
        counts = counts[counts.sum(axis=1) > 0]
        counts["customers"] = counts[list(STATUSES)].sum(axis=1)
        counts["managed"] = counts["customers"] - counts["lost"]
        with np.errstate(divide="ignore", invalid="ignore"):
            counts["share_marginal"] = counts["marginal"] / counts["managed"]
            counts["share_churned"] = counts["churned"] / counts["managed"]
        return counts

    def _class_counts(self, customers: pd.DataFrame, names: list[str]) -> pd.DataFrame:
        frame = self._group_keys(customers, names)
        counts = (
            frame.groupby([*names, "frequency_class"], observed=False, sort=True)
            .size()
            .unstack("frequency_class")
            .reindex(columns=list(CLASS_LABELS), fill_value=0)
            .astype(np.int64)
        )
        counts.columns = pd.Index(list(CLASS_LABELS))
        counts = counts[counts.sum(axis=1) > 0]
        counts["customers"] = counts[list(CLASS_LABELS)].sum(axis=1)
        return counts

    def _trend_table(self, trend: np.ndarray, labels: tuple[str, ...], groups: Any) -> pd.DataFrame:
        n_groups, _n_status, n_eval = trend.shape
        g_idx = np.repeat(np.arange(n_groups), n_eval)
        p_idx = np.tile(np.arange(n_eval), n_groups)
        data = {s: trend[:, j, :].reshape(-1) for j, s in enumerate(STATUSES)}
        frame = pd.DataFrame(data)
        gi = groups.index(g_idx)
        keys = (
            gi.to_frame(index=False)
            if isinstance(gi, pd.MultiIndex)
            else pd.DataFrame({gi.name: gi.to_numpy()})
        )
        keys.insert(0, "period", np.asarray(labels, dtype=object)[p_idx])
        frame.index = pd.MultiIndex.from_frame(keys)
        total = frame.sum(axis=1)
        frame = frame[total > 0].copy()
        frame["managed"] = frame["active"] + frame["marginal"] + frame["churned"]
        with np.errstate(divide="ignore", invalid="ignore"):
            frame["share_marginal"] = frame["marginal"] / frame["managed"]
            frame["share_churned"] = frame["churned"] / frame["managed"]
        return frame.sort_index(level=list(range(1, frame.index.nlevels)), sort_remaining=False)

    def _churn_tables(
        self, base: np.ndarray, churned: np.ndarray, grid: Any, groups: Any
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        keep = grid.complete.copy()
        keep[0] = False  # no previous period
        periods = np.flatnonzero(keep)
        labels = np.asarray(grid.labels, dtype=object)
        rows_g = np.repeat(np.arange(groups.n), periods.size)
        rows_p = np.tile(periods, groups.n)
        b = base[rows_g, rows_p].astype(np.float64)
        c = churned[rows_g, rows_p].astype(np.float64)
        lo, hi = wilson_interval(c, b, self.level)
        gi = groups.index(rows_g)
        keys = (
            gi.to_frame(index=False)
            if isinstance(gi, pd.MultiIndex)
            else pd.DataFrame({gi.name: gi.to_numpy()})
        )
        keys.insert(0, "period", labels[rows_p])
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = c / b
        rates = pd.DataFrame(
            {
                "base": b.astype(np.int64),
                "churned": c.astype(np.int64),
                "churn_rate": rate,
                "ci_lower": lo,
                "ci_upper": hi,
            },
            index=pd.MultiIndex.from_frame(keys),
        )
        rates = rates[rates["base"] > 0]
        tb = base[:, periods].sum(axis=0).astype(np.float64)
        tc = churned[:, periods].sum(axis=0).astype(np.float64)
        tlo, thi = wilson_interval(tc, tb, self.level)
        with np.errstate(divide="ignore", invalid="ignore"):
            trate = tc / tb
        total = pd.DataFrame(
            {
                "base": tb.astype(np.int64),
                "churned": tc.astype(np.int64),
                "churn_rate": trate,
                "ci_lower": tlo,
                "ci_upper": thi,
            },
            index=pd.Index(labels[periods], name="period"),
        )
        return rates, total

    def _curve_groups(
        self, log: CustomerEvents, act: np.ndarray, by: str | None, n_cust: int
    ) -> tuple[np.ndarray, list[object]]:
        if by is None:
            return np.zeros(n_cust, dtype=np.int64), ["(all)"]
        cat = log.frame[by].cat
        codes = np.asarray(cat.codes, dtype=np.int64)[act]
        cust = log.customer_codes()[act]
        first = np.concatenate([[True], cust[1:] != cust[:-1]])
        per_customer = np.full(n_cust, -1, dtype=np.int64)
        per_customer[cust[first]] = codes[first]
        return per_customer, [_plain(c) for c in cat.categories]

    def _curves(
        self,
        durations: np.ndarray,
        event: np.ndarray,
        at_risk: np.ndarray,
        curve_groups: tuple[np.ndarray, list[object]],
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        codes, names = curve_groups
        pieces: list[pd.DataFrame] = []
        reads: list[pd.DataFrame] = []
        for j, name in enumerate(names):
            mask = at_risk & (codes == j)
            if not mask.any():
                continue
            km = kaplan_meier(durations[mask], event[mask], self.level)
            piece = pd.DataFrame(
                {
                    "group": name,
                    "time": km.time,
                    "n_risk": km.n_risk.astype(np.int64),
                    "n_events": km.n_events.astype(np.int64),
                    "survival": km.survival,
                    "std_error": km.std_error,
                    "ci_lower": km.ci_lower,
                    "ci_upper": km.ci_upper,
                }
            )
            pieces.append(piece)
            reads.append(_read_curve(piece, list(self.windows), name, durations[mask]))
        survival = pd.concat(pieces, ignore_index=True) if pieces else _empty_curve()
        retention_at = (
            pd.concat(reads)
            if reads
            else pd.DataFrame(columns=["survival", "std_error", "ci_lower", "ci_upper", "n_risk"])
        )
        return survival, retention_at

    def _cohort_tables(self, counts: np.ndarray, grid: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
        sizes = counts[:, 0]
        n = counts.shape[0]
        keep = sizes > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            shares = counts / sizes[:, None]
        # cell (c, k) is the period c + k: NaN when it is after the last complete period
        complete = np.asarray(grid.complete)
        pos = np.arange(n)[:, None] + np.arange(n)[None, :]
        valid = pos < n
        ok = np.zeros_like(valid)
        ok[valid] = complete[pos[valid]]
        shares = np.where(ok, shares, np.nan)
        labels = pd.Index(list(grid.labels), name="cohort")
        cohorts = pd.DataFrame(shares, index=labels, columns=pd.RangeIndex(n, name="periods_since"))
        cohorts = cohorts[keep]
        sizes_frame = pd.DataFrame({"customers": sizes.astype(np.int64)}, index=labels)[keep]
        return sizes_frame, cohorts


def check_activity_kinds(value: tuple[str, ...], owner: str) -> tuple[str, ...]:
    """Activity kinds must be known event kinds, at least one."""
    unknown = sorted(k for k in value if k not in EVENT_KINDS)
    if not value or unknown:
        raise InvalidParameterError(
            f"parameter 'activity_kinds' of {owner} must list event kinds among "
            f"{', '.join(repr(k) for k in EVENT_KINDS)}, got {value!r}"
        )
    return tuple(value)


def _plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value


def _empty_curve() -> pd.DataFrame:
    return pd.DataFrame(
        {
            c: pd.Series(dtype=float)
            for c in (
                "group",
                "time",
                "n_risk",
                "n_events",
                "survival",
                "std_error",
                "ci_lower",
                "ci_upper",
            )
        }
    )


def _read_curve(
    piece: pd.DataFrame, months: list[int], name: object, durations: np.ndarray
) -> pd.DataFrame:
    """The step function read at ``months`` (the last event time at or before each)."""
    times = piece["time"].to_numpy()
    rows = []
    for m in months:
        j = int(np.searchsorted(times, m, side="right")) - 1
        n_risk = int(np.sum(durations >= m))
        if j < 0:
            rows.append((1.0, 0.0, np.nan, np.nan, n_risk))
        else:
            r = piece.iloc[j]
            rows.append((r["survival"], r["std_error"], r["ci_lower"], r["ci_upper"], n_risk))
    return pd.DataFrame(
        rows,
        columns=["survival", "std_error", "ci_lower", "ci_upper", "n_risk"],
        index=pd.MultiIndex.from_tuples([(name, m) for m in months], names=["group", "months"]),
    )
