"""ComplaintAnalysis: complaint rates, the Pareto of reasons, handling KPIs and the
satisfaction with the handling (the complaint management of seeds 002 and 004)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator

from csimodels._settings import Settings
from csimodels.errors import DataQualityWarning, DataValidationError, format_offenders
from csimodels.events import _plots
from csimodels.events._frames import EventsResult
from csimodels.events._groups import PeriodCode, event_groups, period_grid
from csimodels.events._kinds import ACTIVITY_KINDS, EVENT_KINDS
from csimodels.events._segments import fit_parts, split_events
from csimodels.events.data import CustomerEvents
from csimodels.events.retention import check_activity_kinds
from csimodels.results import Frame, SegmentedResult, warn_and_note

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["ComplaintAnalysis", "ComplaintResult"]

_NS_PER_HOUR = 3_600 * 10**9
_K = {k: i for i, k in enumerate(EVENT_KINDS)}


class ComplaintResult(EventsResult):
    """Complaint rates, reasons, handling KPIs and handling satisfaction.

    Attributes
    ----------
    cases : DataFrame, index case id
        One row per complaint: ``customer``; ``opened``, ``first_reply``,
        ``first_resolution`` (timestamps, NaT when none); ``hours_to_reply``,
        ``hours_to_resolution`` (from the opening); ``reply_within_sla``,
        ``resolution_within_sla`` (1 within the SLA, 0 not; NaN while the SLA has not
        yet elapsed and nothing happened); ``reopened`` (times); ``open`` (re-opened after its last
        resolution, or never resolved, at ``as_of``); ``compensation`` (sum of
        amounts of compensation events; 0 when none); ``reason``, team and segments of
        the opening event; ``score`` (handling satisfaction, when surveyed).
    rates : DataFrame, index (period, rates_by columns...)
        ``complaints`` opened in the period; ``base``: distinct customers with an
        activity in the period (``rate_basis="customers"``) or activities
        (``"visits"``); ``rate`` = complaints / base × ``per``; ``ci_lower``/
        ``ci_upper``: exact Poisson (Garwood) interval of the rate at ``level`` (NaN
        when the base is 0: complaints in a period without activity).
    reasons : DataFrame, index reason (most frequent first)
        ``complaints``, ``share``, ``cumulative_share``, ``vital_few`` (the reasons
        that together reach ``vital_share`` of complaints, Pareto's "vital few").
    handling : DataFrame, one row "(all)"
        ``cases``; ``replied``; ``median_hours_to_reply``, ``mean_hours_to_reply``;
        ``share_reply_within_sla`` (of the cases whose reply SLA has elapsed);
        ``resolved``; ``median_hours_to_resolution``, ``mean_hours_to_resolution``;
        ``share_resolution_within_sla``; ``share_reopened``; ``open``;
        ``share_compensated``; ``compensation_total``, ``compensation_per_case``.
    handling_by_period, handling_by_reason : DataFrame
        The same KPIs by period of opening and by reason.
    handling_satisfaction : DataFrame, index (by, value)
        With a handling survey: ``n``, ``mean``, ``std_error``, ``ci_lower``,
        ``ci_upper`` (t interval) of the score, overall ("all") and by reply within
        SLA, resolution within SLA and reason. Empty without a survey.

    Examples
    --------
    >>> import csimodels as csi
    >>> sim = csi.datasets.simulate_customer_events(n_customers=300, random_state=1)
    >>> res = csi.ComplaintAnalysis().fit(sim.events)
    >>> res.reasons.index[0]
    'waiting time'
    """

    cases: Frame
    rates: Frame
    reasons: Frame
    handling: Frame
    handling_by_period: Frame
    handling_by_reason: Frame
    handling_satisfaction: Frame

    _title: ClassVar[str] = "Complaint analysis"

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        s = self.settings
        header: list[tuple[str, object]] = [
            ("As of", s.get("as_of")),
            ("Complaints", s.get("n_cases")),
            ("Rate", f"per {s.get('per')} {s.get('rate_basis')} per {s.get('period')} period"),
            ("Reply SLA (hours)", s.get("reply_sla_hours")),
            ("Resolution SLA (hours)", s.get("resolution_sla_hours")),
            ("Level", s.get("level")),
        ]
        tables: dict[str, Any] = {
            "Handling": self.handling.T,
            "Reasons (Pareto)": self.reasons,
        }
        if not self.handling_satisfaction.empty:
            tables["Satisfaction with the handling"] = self.handling_satisfaction
        return header, tables

    def plot(
        self,
        kind: Literal["pareto", "rates", "handling"] | None = None,
        *,
        ax: Axes | None = None,
        language: Literal["en", "zh"] = "en",
        labels: Literal["code", "label"] = "code",
    ) -> Axes:
        """The Pareto chart of reasons, complaint rates or handling times per period.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import csimodels as csi
        >>> sim = csi.datasets.simulate_customer_events(n_customers=300, random_state=1)
        >>> csi.ComplaintAnalysis().fit(sim.events).plot("pareto").get_ylabel()
        'Complaints'
        """
        axes: Axes = _plots.plot_complaints(self, kind, ax=ax, language=language, labels=labels)
        return axes


class ComplaintAnalysis(Settings):
    """Complaint rates, the Pareto of reasons, handling KPIs and handling satisfaction.

    A complaint is a case: one ``complaint_opened`` event and its replies,
    resolutions, re-openings and compensations (linked by the case id of
    :class:`CustomerEvents`).

    Attributes
    ----------
    period : {"M", "Q", "Y"}
        Periods of the rate and KPI tables.
    rate_basis : {"customers", "visits"}
        Rate per distinct active customer or per activity (visit) of the period.
    per : int
        Rate multiplier (per 1,000 by default).
    activity_kinds : tuple of str
        Event kinds counted as activities in the rate's base.
    reply_sla_hours, resolution_sla_hours : float
        Service levels for the first reply and the resolution (hours after opening).
    vital_share : float
        Pareto cut: the reasons that together reach this share are the "vital few".
    level : float
        Confidence level of the intervals.

    Examples
    --------
    >>> import csimodels as csi
    >>> sim = csi.datasets.simulate_customer_events(n_customers=300, random_state=1)
    >>> res = csi.ComplaintAnalysis(reply_sla_hours=24).fit(sim.events)
    >>> bool(0 < res.handling.loc["(all)", "share_reply_within_sla"] < 1)
    True
    """

    period: PeriodCode = "M"
    rate_basis: Literal["customers", "visits"] = "customers"
    per: int = Field(1000, ge=1)
    activity_kinds: tuple[str, ...] = ACTIVITY_KINDS
    reply_sla_hours: float = Field(24.0, gt=0)
    resolution_sla_hours: float = Field(72.0, gt=0)
    vital_share: float = Field(0.8, gt=0, le=1)
    level: float = Field(0.95, gt=0, lt=1)

    @field_validator("activity_kinds")
    @classmethod
    def _kinds(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return check_activity_kinds(value, "ComplaintAnalysis")

    def fit(
        self,
        events: CustomerEvents | pd.DataFrame,
        *,
        rates_by: str | Sequence[str] | None = None,
        survey: pd.DataFrame | None = None,
        survey_case: str | None = None,
        score: str | None = None,
        by: str | Sequence[str] | None = None,
        min_segment_size: int = 30,
        on_error: Literal["skip", "raise"] = "skip",
        **from_frame_options: Any,
    ) -> ComplaintResult | SegmentedResult:
        """Analyse the complaints of the log.

        Parameters
        ----------
        events : CustomerEvents or DataFrame
            The log (a DataFrame is validated with ``from_frame_options``).
        rates_by : str or list of str, optional
            Team or segment column(s) breaking down the rate table.
        survey : DataFrame, optional
            Satisfaction with the handling: one row per surveyed case.
        survey_case : str, optional
            The survey's case-id column (default: the log's case column name).
        score : str
            The survey's score column (needed with ``survey``).
        by : str or list of str, optional
            Team or segment column(s): the analysis refitted on the events of each
            segment, as a :class:`~csimodels.results.SegmentedResult`.
        min_segment_size : int
            With ``by``: segments with fewer customers are not fitted.
        on_error : {"skip", "raise"}
            With ``by``: a failing segment is recorded (``"skip"``) or raises.

        Returns
        -------
        ComplaintResult, or SegmentedResult with ``by``

        Raises
        ------
        DataValidationError
            No complaints in the log, a survey without its columns, duplicated cases in
            the survey, or ``rates_by`` not a team or segment column.
        """
        log = CustomerEvents.coerce(events, **from_frame_options)
        if by is not None:
            columns = [by] if isinstance(by, str) else list(by)

            def fit_one(part: CustomerEvents) -> ComplaintResult:
                sv = survey
                if survey is not None and part.case is not None:
                    col = survey_case or part.case
                    if col in survey.columns:  # the segment's own cases only
                        cases = part.frame[part.case].cat.categories
                        sv = survey[survey[col].isin(cases)]
                return self._fit(part, rates_by, sv, survey_case, score)

            pooled = fit_one(log)
            return fit_parts(
                split_events(log, columns, fit_one, "ComplaintAnalysis.fit"),
                columns,
                owner="ComplaintAnalysis.fit",
                unit="customers",
                min_segment_size=min_segment_size,
                on_error=on_error,
                pooled=pooled,
                headline=("handling", "reasons"),
                settings=dict(pooled.settings),
            )
        return self._fit(log, rates_by, survey, survey_case, score)

    def _fit(
        self,
        log: CustomerEvents,
        rates_by: str | Sequence[str] | None,
        survey: pd.DataFrame | None,
        survey_case: str | None,
        score: str | None,
    ) -> ComplaintResult:
        notes: list[str] = list(log.notes)
        by_cols = [rates_by] if isinstance(rates_by, str) else list(rates_by or [])
        bad = [b for b in by_cols if b not in log.group_columns()]
        if bad:
            raise DataValidationError(
                f"ComplaintAnalysis.fit: rates_by={format_offenders(bad)} is not a team or segment "
                f"column of the events; choose from {log.group_columns() or 'none'}"
            )
        kinds = log.kind_codes()
        if log.case is None or not (kinds == _K["complaint_opened"]).any():
            raise DataValidationError(
                "ComplaintAnalysis: the log has no complaint_opened events; map your "
                "complaint kind with kinds={...: 'complaint_opened'} and pass case="
            )
        as_of = int(log.as_of.value)
        cases = self._cases(log, kinds, as_of)
        if cases["reason"].isna().any():
            n_missing = int(cases["reason"].isna().sum())
            warn_and_note(
                notes,
                f"{n_missing} complaints have no reason; they count as '(missing)'",
                DataQualityWarning,
            )
        satisfaction = pd.DataFrame()
        if survey is not None:
            cases, satisfaction = self._survey(cases, survey, survey_case or log.case, score, notes)
        grid = period_grid(int(log.times().min()), as_of, self.period)
        cases["period"] = np.asarray(grid.labels, dtype=object)[
            grid.of(cases["opened"].to_numpy().view(np.int64))
        ]
        rates = self._rates(log, kinds, grid, by_cols)
        if not grid.complete[-1]:
            notes.append(
                f"the last period ({grid.labels[-1]}) had not ended by as_of; its rate "
                "covers part of the period"
            )
        reasons = self._pareto(cases)
        handling = _kpis(cases.assign(_all="(all)"), "_all", self)
        handling.index.name = None
        by_period = _kpis(cases, "period", self)
        by_reason = _kpis(cases.assign(reason=cases["reason"].fillna("(missing)")), "reason", self)
        settings: dict[str, Any] = {
            **self.model_dump(mode="json"),
            "model": "ComplaintAnalysis",
            "as_of": str(log.as_of),
            "n_cases": len(cases),
            "n_used": len(cases),
            "rates_by": by_cols,
            "inference": "exact Poisson (Garwood) intervals of rates; t intervals of "
            "handling scores",
            "weight": None,
        }
        return ComplaintResult(
            cases=cases.drop(columns=["period"]),
            rates=rates,
            reasons=reasons,
            handling=handling,
            handling_by_period=by_period,
            handling_by_reason=by_reason,
            handling_satisfaction=satisfaction,
            settings=settings,
            notes=tuple(notes),
        )

    def _cases(self, log: CustomerEvents, kinds: np.ndarray, as_of: int) -> pd.DataFrame:
        assert log.case is not None
        case_cat = log.frame[log.case].cat
        codes = np.asarray(case_cat.codes, dtype=np.int64)
        in_case = codes >= 0
        idx = np.flatnonzero(in_case)
        c = codes[idx]
        k = kinds[idx]
        t = log.times()[idx]
        n = len(case_cat.categories)
        far = np.iinfo(np.int64).max

        def first_of(kind: str) -> np.ndarray:
            out = np.full(n, far, dtype=np.int64)
            m = k == _K[kind]
            np.minimum.at(out, c[m], t[m])
            return out

        def last_of(kind: str) -> np.ndarray:
            out = np.full(n, -1, dtype=np.int64)
            m = k == _K[kind]
            np.maximum.at(out, c[m], t[m])
            return out

        opened = first_of("complaint_opened")
        reply = first_of("complaint_replied")
        resolution = first_of("complaint_resolved")
        last_resolution = last_of("complaint_resolved")
        last_reopen = last_of("complaint_reopened")
        reopened = np.bincount(c[k == _K["complaint_reopened"]], minlength=n)
        comp: np.ndarray = np.zeros(n)
        if log.amount is not None:
            amounts = log.frame[log.amount].to_numpy()[idx]
            m = k == _K["compensation"]
            comp = np.bincount(c[m], weights=np.nan_to_num(amounts[m]), minlength=n)
        present = opened != far
        open_rows = idx[k == _K["complaint_opened"]]
        open_codes = codes[open_rows]
        frame = log.frame

        def at_opening(column: str) -> np.ndarray:
            values = np.empty(n, dtype=object)
            values[open_codes] = frame[column].iloc[open_rows].to_numpy(dtype=object)
            return values

        hours_reply = np.where(reply != far, (reply - opened) / _NS_PER_HOUR, np.nan)
        hours_res = np.where(resolution != far, (resolution - opened) / _NS_PER_HOUR, np.nan)
        reply_due = opened + int(self.reply_sla_hours * _NS_PER_HOUR)
        res_due = opened + int(self.resolution_sla_hours * _NS_PER_HOUR)
        table = pd.DataFrame(
            {
                "customer": at_opening(log.customer),
                "opened": opened.view("datetime64[ns]"),
                "first_reply": np.where(reply != far, reply, np.iinfo(np.int64).min).view(
                    "datetime64[ns]"
                ),
                "first_resolution": np.where(
                    resolution != far, resolution, np.iinfo(np.int64).min
                ).view("datetime64[ns]"),
                "hours_to_reply": hours_reply,
                "hours_to_resolution": hours_res,
                "reply_within_sla": _sla(hours_reply, self.reply_sla_hours, reply_due, as_of),
                "resolution_within_sla": _sla(hours_res, self.resolution_sla_hours, res_due, as_of),
                "reopened": reopened.astype(np.int64),
                "open": (last_resolution < 0) | (last_reopen > last_resolution),
                "compensation": comp,
                "reason": at_opening(log.reason) if log.reason else np.full(n, None),
            },
            index=pd.Index(case_cat.categories, name=log.case),
        )
        for col in log.group_columns():
            table[col] = at_opening(col)
        out: pd.DataFrame = table[present]
        return out

    def _survey(
        self,
        cases: pd.DataFrame,
        survey: pd.DataFrame,
        case_col: str,
        score: str | None,
        notes: list[str],
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        from scipy import stats

        if not isinstance(survey, pd.DataFrame):
            raise DataValidationError(
                f"survey must be a DataFrame of handling scores, got {type(survey).__name__}"
            )
        if score is None:
            raise DataValidationError(
                "ComplaintAnalysis.fit: pass score='...' naming the survey's score column"
            )
        missing = sorted(c for c in (case_col, score) if c not in survey.columns)
        if missing:
            raise DataValidationError(
                f"survey has no column {format_offenders(missing)}; available columns: "
                f"{format_offenders(sorted(map(str, survey.columns)))} (pass survey_case= "
                "and score=)"
            )
        ids = survey[case_col]
        dup = ids.duplicated(keep=False).to_numpy()
        if dup.any():
            raise DataValidationError(
                f"survey lists case {format_offenders(sorted(set(map(str, ids[dup]))))} more "
                "than once; keep one handling score per case"
            )
        values = pd.to_numeric(survey[score], errors="coerce")
        bad = values.isna() & survey[score].notna()
        if bad.any():
            raise DataValidationError(
                f"survey column {score!r} has {int(bad.sum())} values that are not numbers "
                f"(rows {format_offenders(survey.index[bad.to_numpy()].tolist())})"
            )
        known = ids.isin(cases.index).to_numpy()
        if not known.all():
            unknown = ids[~known].astype(str).tolist()
            warn_and_note(
                notes,
                f"{int((~known).sum())} surveyed cases are not complaints of the log and are "
                f"left out ({format_offenders(sorted(unknown))})",
                DataQualityWarning,
            )
        scores = pd.Series(values.to_numpy()[known], index=ids[known].to_numpy())
        cases = cases.assign(score=scores.reindex(cases.index).to_numpy(dtype=float))
        rows: list[tuple[str, str, pd.Series]] = [("all", "all", cases["score"])]
        for col in ("reply_within_sla", "resolution_within_sla", "reason"):
            for value, part in cases.groupby(col, sort=True, dropna=True)["score"]:
                rows.append((col, str(value), part))
        out = []
        for by_name, value, part in rows:
            x = part.dropna().to_numpy(dtype=float)
            n = x.size
            mean = float(np.mean(x)) if n else np.nan
            se = float(np.std(x, ddof=1) / np.sqrt(n)) if n > 1 else np.nan
            q = float(stats.t.ppf(0.5 + self.level / 2, n - 1)) if n > 1 else np.nan
            out.append((by_name, value, n, mean, se, mean - q * se, mean + q * se))
        table = pd.DataFrame(
            out, columns=["by", "value", "n", "mean", "std_error", "ci_lower", "ci_upper"]
        ).set_index(["by", "value"])
        return cases, table

    def _rates(
        self, log: CustomerEvents, kinds: np.ndarray, grid: Any, by_cols: list[str]
    ) -> pd.DataFrame:
        from scipy import stats

        t = log.times()
        period = grid.of(t)
        n_periods = len(grid.labels)
        opened = kinds == _K["complaint_opened"]
        act = log.kind_mask(self.activity_kinds)
        groups = event_groups(log, by_cols)
        cell = period * groups.n + groups.codes  # period × group, one integer
        size = n_periods * groups.n
        complaints = np.bincount(cell[opened], minlength=size)
        if self.rate_basis == "visits":
            base = np.bincount(cell[act], minlength=size)
        else:
            # distinct customers per cell: activities are sorted by customer and time
            cust = log.customer_codes()[act]
            c_cell = cell[act]
            first = np.concatenate([[True], (cust[1:] != cust[:-1]) | (c_cell[1:] != c_cell[:-1])])
            cust, c_cell = cust[first], c_cell[first]
            same = cust[1:] == cust[:-1]
            if np.any(same & (c_cell[1:] <= c_cell[:-1])):
                # a customer came back to a group within a period: count it once
                pairs = np.unique(cust * np.int64(size) + c_cell)
                c_cell = pairs % size
            base = np.bincount(c_cell, minlength=size)
        present = np.flatnonzero((complaints > 0) | (base > 0))
        labels = np.asarray(grid.labels, dtype=object)
        p_idx, g_idx = np.divmod(present, groups.n)
        if by_cols:
            gi = groups.index(g_idx)
            keys = (
                gi.to_frame(index=False)
                if isinstance(gi, pd.MultiIndex)
                else pd.DataFrame({by_cols[0]: gi.to_numpy()})
            )
            keys.insert(0, "period", labels[p_idx])
            index: pd.Index = pd.MultiIndex.from_frame(keys)
        else:
            index = pd.Index(labels[p_idx], name="period")
        table = pd.DataFrame(
            {
                "complaints": complaints[present].astype(np.int64),
                "base": base[present].astype(np.int64),
            },
            index=index,
        )
        k = table["complaints"].to_numpy(dtype=float)
        b = table["base"].to_numpy(dtype=float)
        alpha = 1 - self.level
        with np.errstate(divide="ignore", invalid="ignore"):
            lo_count = np.where(k > 0, stats.chi2.ppf(alpha / 2, 2 * k) / 2, 0.0)
            hi_count = stats.chi2.ppf(1 - alpha / 2, 2 * (k + 1)) / 2
            table["rate"] = np.where(b > 0, k / b * self.per, np.nan)
            table["ci_lower"] = np.where(b > 0, lo_count / b * self.per, np.nan)
            table["ci_upper"] = np.where(b > 0, hi_count / b * self.per, np.nan)
        return table

    def _pareto(self, cases: pd.DataFrame) -> pd.DataFrame:
        reasons = cases["reason"].fillna("(missing)")
        counts = reasons.value_counts(sort=False)
        order = sorted(counts.index, key=lambda r: (-int(counts[r]), str(r)))
        counts = counts.reindex(order)
        share = counts / counts.sum()
        cumulative = share.cumsum()
        before = cumulative - share
        table = pd.DataFrame(
            {
                "complaints": counts.astype(np.int64),
                "share": share,
                "cumulative_share": cumulative,
                "vital_few": before < self.vital_share - 1e-12,
            }
        )
        table.index.name = "reason"
        return table


def _sla(hours: np.ndarray, sla: float, due: np.ndarray, as_of: int) -> np.ndarray:
    """1 within the SLA, 0 not; NaN while undecided (nothing yet, SLA not elapsed)."""
    done = ~np.isnan(hours)
    decided = done | (due <= as_of)
    values = np.where(done & (hours <= sla), 1.0, 0.0)
    return np.where(decided, values, np.nan)


def _kpis(cases: pd.DataFrame, key: str, model: ComplaintAnalysis) -> pd.DataFrame:
    grouped = cases.groupby(key, sort=True, observed=True)
    out = pd.DataFrame(
        {
            "cases": grouped.size(),
            "replied": grouped["hours_to_reply"].count(),
            "median_hours_to_reply": grouped["hours_to_reply"].median(),
            "mean_hours_to_reply": grouped["hours_to_reply"].mean(),
            "share_reply_within_sla": grouped["reply_within_sla"].mean(),
            "resolved": grouped["hours_to_resolution"].count(),
            "median_hours_to_resolution": grouped["hours_to_resolution"].median(),
            "mean_hours_to_resolution": grouped["hours_to_resolution"].mean(),
            "share_resolution_within_sla": grouped["resolution_within_sla"].mean(),
            "share_reopened": grouped["reopened"].apply(lambda s: float(np.mean(s > 0))),
            "open": grouped["open"].sum().astype(np.int64),
            "share_compensated": grouped["compensation"].apply(lambda s: float(np.mean(s > 0))),
            "compensation_total": grouped["compensation"].sum(),
            "compensation_per_case": grouped["compensation"].mean(),
        }
    )
    out["cases"] = out["cases"].astype(np.int64)
    out["replied"] = out["replied"].astype(np.int64)
    out["resolved"] = out["resolved"].astype(np.int64)
    return out
