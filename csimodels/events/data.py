"""CustomerEvents: the one gate through which every events model receives a log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import ConfigDict

from csimodels._pydantic import NoLegacyAPI
from csimodels.data.scale import _Validated
from csimodels.errors import DataValidationError, format_offenders
from csimodels.events import _validate as v
from csimodels.events._kinds import CASE_KINDS, EVENT_KINDS
from csimodels.events._order import event_order

__all__ = ["CustomerEvents"]

_KIND_CODE = {k: i for i, k in enumerate(EVENT_KINDS)}
_OPENED = _KIND_CODE["complaint_opened"]


class CustomerEvents(NoLegacyAPI, _Validated):
    """A validated log of customer events: visits, purchases, complaints and their handling.

    Build it with :meth:`from_frame`. The log is checked once (named rows, duplicates,
    future timestamps, unknown kinds, complaint handling before its complaint, events
    before a customer's first appearance), sorted by customer and time, and kept with
    compact codes, so that the models (:class:`~csimodels.events.Retention`,
    :class:`~csimodels.events.ComplaintAnalysis`,
    :class:`~csimodels.events.SatisfactionValue`) work on ten million events in seconds.
    The caller's frame is never modified.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per event, sorted by customer, time and kind; the index holds the
        caller's row labels. Columns under the caller's names: the customer id
        (categorical), the time (``datetime64[ns]``), the kind (categorical over
        :data:`EVENT_KINDS`), and when given the team, the segments, the amount
        (float64, NaN = none), the complaint case id and the complaint reason.
    customer, time, kind : str
        Names of the customer-id, time and kind columns.
    team : str or None
        The team (front desk, service advisor group) serving the event.
    segments : tuple of str
        Segment columns (region, store, customer type...).
    amount, case, reason : str or None
        Money amount, complaint case id and complaint reason columns.
    as_of : pandas.Timestamp
        The date the log runs to: statuses and censoring are measured at it.
    notes : tuple of str
        What was done to the log (sorted, duplicates dropped...).

    Examples
    --------
    >>> import pandas as pd, csimodels as csi
    >>> df = pd.DataFrame({
    ...     "cid": ["c1", "c1", "c2", "c2"],
    ...     "date": ["2024-01-05", "2024-06-01", "2024-02-01", "2024-02-03"],
    ...     "what": ["来厂", "来厂", "来厂", "投诉"],
    ...     "ticket": [None, None, None, "T1"]})
    >>> ev = csi.CustomerEvents.from_frame(
    ...     df, customer="cid", time="date", kind="what", case="ticket",
    ...     kinds={"来厂": "visit", "投诉": "complaint_opened"}, as_of="2024-12-31")
    >>> ev.n_events, ev.n_customers
    (4, 2)
    >>> ev.kind_counts().to_dict()
    {'visit': 3, 'complaint_opened': 1}
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True, extra="forbid")

    frame: pd.DataFrame
    customer: str
    time: str
    kind: str
    team: str | None = None
    segments: tuple[str, ...] = ()
    amount: str | None = None
    case: str | None = None
    reason: str | None = None
    as_of: pd.Timestamp
    notes: tuple[str, ...] = ()

    # -- construction --------------------------------------------------------------
    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        *,
        customer: str,
        time: str,
        kind: str,
        team: str | None = None,
        segments: Sequence[str] = (),
        amount: str | None = None,
        case: str | None = None,
        reason: str | None = None,
        kinds: Mapping[Any, str] | None = None,
        as_of: object = None,
        first_seen: str | pd.Series | Mapping[Any, object] | None = None,
        duplicates: Literal["raise", "drop"] = "raise",
    ) -> CustomerEvents:
        """Validate a DataFrame of events (one row per event) and wrap it.

        Parameters
        ----------
        df : pandas.DataFrame
            One row per event, in any order. Its row labels name the rows in messages.
        customer : str
            Customer-id column (any hashable ids; no missing values).
        time : str
            Event-time column (datetimes or text such as ``"2025-03-01 09:30"``).
        kind : str
            Event-kind column. After ``kinds=`` relabelling every value must be one of
            :data:`EVENT_KINDS`: ``visit``, ``purchase``, ``complaint_opened``,
            ``complaint_replied``, ``complaint_resolved``, ``complaint_reopened``,
            ``compensation``.
        team : str, optional
            Team serving the event (the front-desk group of the seed's churn KPI).
        segments : list of str
            Segment columns (region, store, customer type...); no missing values.
        amount : str, optional
            Money amount of the event (revenue of a visit, a compensation paid).
        case : str, optional
            Complaint case id: needed as soon as the log holds complaint events; every
            case has exactly one ``complaint_opened`` event, all its events belong to
            one customer and none is earlier than the opening.
        reason : str, optional
            Complaint reason (read on ``complaint_opened`` events).
        kinds : dict, optional
            Relabelling of the kind column, e.g. ``{"来厂": "visit", "投诉":
            "complaint_opened"}``; values not listed must already be event kinds.
        as_of : date, optional
            The date the log runs to. Events after it raise. Default: the latest
            event (recorded in :attr:`notes`); events later than the current clock
            raise either way.
        first_seen : str, Series or dict, optional
            Each customer's first appearance (registration date): a column of ``df``
            or a mapping from customer id to date. Events before it raise.
        duplicates : {"raise", "drop"}
            What to do with events repeated exactly (same customer, time, kind and
            case): raise naming the rows (default), or keep one and record a note.

        Raises
        ------
        DataValidationError
            Naming the column, the first offending rows and what was expected.
        """
        segments = tuple(segments) if not isinstance(segments, str) else (segments,)
        first_seen_col = first_seen if isinstance(first_seen, str) else None
        roles: dict[str, str | Sequence[str] | None] = {
            "customer": customer,
            "time": time,
            "kind": kind,
            "team": team,
            "segments": segments,
            "amount": amount,
            "case": case,
            "reason": reason,
            "first_seen": first_seen_col,
        }
        df = v.check_log_columns(df, roles)
        if duplicates not in ("raise", "drop"):
            raise DataValidationError(f"duplicates= must be 'raise' or 'drop', got {duplicates!r}")
        index = df.index
        v.check_no_missing(df[customer], "customer", customer, "every event needs its customer id")
        times = v.to_times(df[time], time)
        kind_codes = v.to_kind_codes(df[kind], kind, kinds, EVENT_KINDS)
        for name in ([team] if team else []) + list(segments):
            v.check_no_missing(
                df[name],
                "team" if name == team else "segment",
                name,
                "fill them (e.g. 'unknown') or drop the rows",
            )
        amounts = v.to_amounts(df[amount], amount) if amount is not None else None
        notes: list[str] = []

        # as_of and timestamps in the future
        now = pd.Timestamp.now().value
        if as_of is None:
            late = times > now
            if late.any():
                raise DataValidationError(
                    f"time column {time!r} has {int(late.sum())} events in the future "
                    f"({v.rows_message(index, late, df[time].to_numpy(dtype=object))}); "
                    "correct the times or drop the rows"
                )
            stamp = pd.Timestamp(int(times.max()))
            notes.append(f"as_of not given: the log is taken to run to its latest event, {stamp}")
        else:
            stamp = v.to_timestamp(as_of, "as_of")
            late = times > stamp.value
            if late.any():
                raise DataValidationError(
                    f"time column {time!r} has {int(late.sum())} events after as_of={stamp} "
                    f"({v.rows_message(index, late, df[time].to_numpy(dtype=object))}); "
                    "events cannot lie in the future of the log: correct the times, drop "
                    "the rows or pass a later as_of"
                )

        # compact codes, then one sort by customer, time, kind
        cust_cat = pd.Categorical(df[customer])
        cust_codes = np.asarray(cust_cat.codes, dtype=np.int64)
        case_codes: NDArray[np.int64] | None = None
        case_cat: pd.Categorical | None = None
        is_case_kind = np.isin(kind_codes, [_KIND_CODE[k] for k in CASE_KINDS])
        if case is not None:
            case_cat = pd.Categorical(df[case])
            case_codes = np.asarray(case_cat.codes, dtype=np.int64)
            no_case = is_case_kind & (case_codes < 0)
            if no_case.any():
                raise DataValidationError(
                    f"case column {case!r} is empty on {int(no_case.sum())} complaint "
                    f"events ({v.rows_message(index, no_case)}); every complaint event "
                    "needs the id of its case"
                )
        elif is_case_kind.any():
            raise DataValidationError(
                f"the log has {int(is_case_kind.sum())} complaint events "
                f"({v.rows_message(index, is_case_kind)}) but no case column; pass "
                "case='...' naming the complaint (ticket) id column, so that replies and "
                "resolutions can be linked to their complaint"
            )
        order, in_order = event_order(cust_codes, int(cust_cat.categories.size), times, kind_codes)
        if not in_order:
            notes.append("the events were not in customer and time order; they were sorted")
        s_cust = cust_codes[order]
        s_time = times[order]
        s_kind = kind_codes[order]
        same = (
            (s_cust[1:] == s_cust[:-1]) & (s_time[1:] == s_time[:-1]) & (s_kind[1:] == s_kind[:-1])
        )
        if case_codes is not None:
            s_case = case_codes[order]
            other_case = s_case[1:] != s_case[:-1]
            if np.any(same & other_case):
                # several cases share customer, time and kind: order them by case too
                order = np.lexsort((case_codes, kind_codes, times, cust_codes)).astype(np.intp)
                s_case = case_codes[order]
                other_case = s_case[1:] != s_case[:-1]
            same &= ~other_case
        if same.any():
            dup_sorted = np.concatenate([[False], same])
            if duplicates == "raise":
                mask = np.zeros(order.size, dtype=bool)
                mask[order[dup_sorted]] = True
                raise DataValidationError(
                    f"the log has {int(same.sum())} duplicated events (same customer, time, "
                    f"kind{' and case' if case else ''} as an earlier row: "
                    f"{v.rows_message(index, mask)}); remove them, or pass "
                    "duplicates='drop' to keep one of each"
                )
            notes.append(
                f"{int(same.sum())} duplicated events (same customer, time, kind"
                f"{' and case' if case else ''}) were dropped"
            )
            order = order[~dup_sorted]

        # complaint cases: one opening, one customer, nothing before the opening
        if case_codes is not None and case_cat is not None and case is not None:
            _check_cases(index, order, case_codes, kind_codes, times, cust_codes, case_cat, case)

        # first appearance
        if first_seen is not None:
            _check_first_seen(df, index, first_seen, customer, times, cust_cat)

        columns: dict[str, Any] = {
            customer: pd.Categorical.from_codes(cust_codes[order], categories=cust_cat.categories),
            time: times[order].view("datetime64[ns]"),
            kind: pd.Categorical.from_codes(
                kind_codes[order].astype(np.int64), categories=pd.Index(list(EVENT_KINDS))
            ),
        }
        for name in ([team] if team else []) + list(segments):
            cat = pd.Categorical(df[name])
            columns[name] = pd.Categorical.from_codes(
                np.asarray(cat.codes)[order], categories=cat.categories
            )
        if amounts is not None and amount is not None:
            columns[amount] = amounts[order]
        if case_cat is not None and case_codes is not None and case is not None:
            columns[case] = pd.Categorical.from_codes(
                case_codes[order], categories=case_cat.categories
            )
        if reason is not None:
            rcat = pd.Categorical(df[reason])
            columns[reason] = pd.Categorical.from_codes(
                np.asarray(rcat.codes)[order], categories=rcat.categories
            )
        frame = pd.DataFrame(columns, index=index[order])
        return cls(
            frame=frame,
            customer=customer,
            time=time,
            kind=kind,
            team=team,
            segments=segments,
            amount=amount,
            case=case,
            reason=reason,
            as_of=stamp,
            notes=tuple(notes),
        )

    @classmethod
    def coerce(cls, events: CustomerEvents | pd.DataFrame, **kwargs: Any) -> CustomerEvents:
        """Return ``events`` if it is a CustomerEvents, else validate it with :meth:`from_frame`.

        Examples
        --------
        >>> import pandas as pd, csimodels as csi
        >>> df = pd.DataFrame({"c": [1], "t": ["2024-01-01"], "k": ["visit"]})
        >>> csi.CustomerEvents.coerce(df, customer="c", time="t", kind="k").n_events
        1
        """
        if isinstance(events, CustomerEvents):
            if kwargs:
                raise DataValidationError(
                    "events is already a CustomerEvents; the column arguments "
                    f"{format_offenders(sorted(kwargs))} apply only to a DataFrame"
                )
            return events
        if isinstance(events, pd.DataFrame):
            return cls.from_frame(events, **kwargs)
        raise DataValidationError(
            "events must be a csimodels.CustomerEvents or a pandas DataFrame, got "
            f"{type(events).__name__}"
        )

    # -- accessors -----------------------------------------------------------------
    @property
    def n_events(self) -> int:
        """Number of events in the log."""
        return int(self.frame.shape[0])

    @property
    def n_customers(self) -> int:
        """Number of distinct customers in the log."""
        return int(self.frame[self.customer].cat.categories.size)

    def customer_ids(self) -> pd.Index:
        """The customer ids, in the order of :meth:`customer_codes`."""
        ids: pd.Index = pd.Index(self.frame[self.customer].cat.categories, name=self.customer)
        return ids

    def customer_codes(self) -> NDArray[np.int64]:
        """Customer of each event as an integer code (0 .. n_customers − 1)."""
        return np.asarray(self.frame[self.customer].cat.codes, dtype=np.int64)

    def times(self) -> NDArray[np.int64]:
        """Event times as int64 nanoseconds since the epoch."""
        return np.asarray(self.frame[self.time].to_numpy().view(np.int64))

    def kind_codes(self) -> NDArray[np.int8]:
        """Kind of each event as a code into :data:`EVENT_KINDS`."""
        return np.asarray(self.frame[self.kind].cat.codes, dtype=np.int8)

    def kind_mask(self, kinds: Sequence[str]) -> NDArray[np.bool_]:
        """Which events are of one of ``kinds``."""
        return np.isin(self.kind_codes(), [_KIND_CODE[k] for k in kinds])

    def kind_counts(self) -> pd.Series:
        """Number of events of each kind present in the log."""
        counts = self.frame[self.kind].value_counts(sort=False)
        return counts[counts > 0].rename("n")

    def group_columns(self) -> list[str]:
        """Team then segment columns (the breakdown of every events table)."""
        return ([self.team] if self.team else []) + list(self.segments)

    def subset(self, mask: NDArray[np.bool_]) -> CustomerEvents:
        """The events where ``mask`` is true (same metadata).

        Examples
        --------
        >>> import pandas as pd, csimodels as csi
        >>> df = pd.DataFrame({"c": [1, 2], "t": ["2024-01-01", "2024-02-01"],
        ...                    "k": ["visit", "visit"]})
        >>> ev = csi.CustomerEvents.from_frame(df, customer="c", time="t", kind="k")
        >>> ev.subset(ev.customer_codes() == 0).n_events
        1
        """
        frame = self.frame[np.asarray(mask, dtype=bool)].copy()
        for col in [self.customer, *([self.case] if self.case else [])]:
            frame[col] = frame[col].cat.remove_unused_categories()
        return self.model_copy(update={"frame": frame})


def _check_cases(
    index: pd.Index,
    order: NDArray[np.int64],
    case_codes: NDArray[np.int64],
    kind_codes: NDArray[np.int8],
    times: NDArray[np.int64],
    cust_codes: NDArray[np.int64],
    case_cat: pd.Categorical,
    case: str,
) -> None:
    kept = order[case_codes[order] >= 0]
    if kept.size == 0:
        return
    codes = case_codes[kept]
    n_cases = int(case_cat.categories.size)
    opened = kind_codes[kept] == _OPENED
    n_open = np.bincount(codes[opened], minlength=n_cases)
    labels = case_cat.categories
    for count, what in ((0, "no complaint_opened event"), (2, "more than one complaint_opened")):
        bad = n_open == 0 if count == 0 else n_open > 1
        bad &= np.bincount(codes, minlength=n_cases) > 0
        if bad.any():
            names = [labels[int(i)] for i in np.flatnonzero(bad)]
            raise DataValidationError(
                f"complaint case{'s' if len(names) > 1 else ''} {format_offenders(names)} "
                f"in column {case!r} {'have' if len(names) > 1 else 'has'} {what}; each "
                "case needs exactly one opening event"
            )
    open_time = np.zeros(n_cases, dtype=np.int64)
    open_time[codes[opened]] = times[kept][opened]
    open_cust = np.full(n_cases, -1, dtype=np.int64)
    open_cust[codes[opened]] = cust_codes[kept][opened]
    other_cust = cust_codes[kept] != open_cust[codes]
    if other_cust.any():
        mask = np.zeros(index.size, dtype=bool)
        mask[kept[other_cust]] = True
        raise DataValidationError(
            f"{int(other_cust.sum())} complaint events belong to another customer than "
            f"the one who opened the case ({v.rows_message(index, mask)}); a case belongs "
            "to one customer: check the case ids"
        )
    early = (times[kept] < open_time[codes]) & ~opened
    if early.any():
        mask = np.zeros(index.size, dtype=bool)
        mask[kept[early]] = True
        kinds = np.asarray(EVENT_KINDS)[kind_codes[kept[early]]]
        which = format_offenders(sorted(set(map(str, kinds))))
        raise DataValidationError(
            f"{int(early.sum())} complaint events ({which}) are earlier than the opening "
            f"of their case ({v.rows_message(index, mask)}); a reply or resolution cannot "
            "come before its complaint: check the times"
        )


def _check_first_seen(
    df: pd.DataFrame,
    index: pd.Index,
    first_seen: str | pd.Series | Mapping[Any, object],
    customer: str,
    times: NDArray[np.int64],
    cust_cat: pd.Categorical,
) -> None:
    if isinstance(first_seen, str):
        since = v.to_times(df[first_seen], first_seen)
        label = f"column {first_seen!r}"
    else:
        mapping = first_seen if isinstance(first_seen, pd.Series) else pd.Series(dict(first_seen))
        dates = v.to_times(mapping.reset_index(drop=True), "first_seen")
        lookup = pd.Series(dates, index=mapping.index)
        if lookup.index.has_duplicates:
            raise DataValidationError("first_seen= lists some customers more than once")
        ids = cust_cat.categories
        found = ids.isin(lookup.index)
        if not found.all():
            absent = [ids[int(i)] for i in np.flatnonzero(~found)]
            raise DataValidationError(
                f"first_seen= has no date for customer {format_offenders(absent)} of the "
                "log; give every customer's first appearance"
            )
        per_customer = lookup.reindex(ids).to_numpy(dtype=np.int64)
        since = per_customer[np.asarray(cust_cat.codes)]
        label = "first_seen="
    early = times < since
    if early.any():
        raise DataValidationError(
            f"{int(early.sum())} events are earlier than their customer's first appearance "
            f"({label}; {v.rows_message(index, early, df[customer].to_numpy(dtype=object))}); "
            "check the times or the first-appearance dates"
        )
