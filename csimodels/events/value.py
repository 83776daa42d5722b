"""SatisfactionValue: join survey answers to later behaviour and price one index point.

The seed's table of one-year retention by satisfaction level (very satisfied 92–97 %
... very dissatisfied 0–5 %) computed from the user's own data with intervals; a
logistic or Cox model of retention on the satisfaction index and drivers; and what
one index point is worth in retained customers and revenue.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator

from csimodels._settings import Settings
from csimodels.data.survey import SurveyData
from csimodels.errors import (
    ConvergenceWarning,
    DataQualityWarning,
    DataValidationError,
    EstimationError,
    InvalidParameterError,
    format_offenders,
)
from csimodels.events import _plots
from csimodels.events import _validate as v
from csimodels.events._engine import churn_durations
from csimodels.events._frames import EventsResult
from csimodels.events._kinds import ACTIVITY_KINDS, add_months
from csimodels.events._segments import fit_parts, split_frame
from csimodels.events._survival import CoxFit, cox_fit, logit_fit, wilson_interval
from csimodels.events._value_boot import bootstrap_draws, cox_point_values, logit_point_values
from csimodels.events.data import CustomerEvents
from csimodels.events.retention import check_activity_kinds
from csimodels.inference import Bootstrap, as_bootstrap, resolve_random_state
from csimodels.results import Frame, SegmentedResult, warn_and_note

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["SatisfactionValue", "SatisfactionValueResult"]


class SatisfactionValueResult(EventsResult):
    """Retention by satisfaction, the retention model and the value of one index point.

    Attributes
    ----------
    join : DataFrame, index step
        ``customers`` at each step of the survey-to-log join: ``survey_rows``,
        ``duplicate_surveys`` (later surveys of a customer, left out),
        ``missing_answers`` (no satisfaction or driver value, left out),
        ``unknown_customers`` (ids not in the log, left out), ``matched``,
        ``too_recent`` (survey less than ``horizon + churn_window`` months before
        ``as_of``, so that retention at the horizon is not yet known), ``analysed``,
        ``log_customers_not_surveyed``.
    customers : DataFrame, index customer id
        The analysed customers: ``survey_time``, ``satisfaction``, drivers, ``level``,
        ``months_active`` (months from the survey to the last activity before
        churning, censored at ``as_of − churn_window``), ``churned`` (event observed),
        ``retained`` (active beyond the horizon: 1/0, NaN when not yet known),
        ``revenue_in_horizon`` (amounts in the horizon after the survey).
    retention_by_level : DataFrame, index level
        ``n``, ``retained``, ``retention`` (share), ``ci_lower``/``ci_upper`` (Wilson),
        ``mean_satisfaction``.
    coefficients : DataFrame, index term
        ``estimate``, ``std_error``, ``z``, ``p_value``, ``ci_lower``, ``ci_upper`` and
        ``odds_ratio`` (logit: ``const``, the index, drivers) or ``hazard_ratio``
        (Cox: the index and drivers; estimates are log hazard ratios).
    value : DataFrame, index quantity
        ``retention_per_point`` (average change in the probability of being retained at
        the horizon per index point), ``customers_per_point`` (× the customer base),
        ``revenue_per_point`` (× the revenue of a retained customer, when known), and
        ``retention`` (mean predicted retention): ``estimate``, ``std_error``
        (delta method), ``ci_lower``, ``ci_upper``.
    curve : DataFrame
        Predicted retention at the horizon over the observed index range, drivers at
        their means: ``index``, ``retention``, ``ci_lower``, ``ci_upper``.
    fit_statistics : DataFrame, index statistic
        ``value``: observations, events or retained, log-likelihood, null
        log-likelihood, likelihood-ratio statistic and its p value, iterations.
    bootstrap_draws : DataFrame
        With ``fit(..., bootstrap=...)``: one row per draw (customers resampled, the
        model refitted), one column per coefficient and per quantity of ``value``;
        NaN rows for draws the model could not fit. Empty otherwise.

    Examples
    --------
    >>> import csimodels as csi
    >>> sim = csi.datasets.simulate_customer_events(n_customers=1500, random_state=4)
    >>> res = csi.SatisfactionValue(horizon=12).fit(
    ...     sim.events, sim.survey, customer="customer", time="survey_date",
    ...     satisfaction="satisfaction", level_column="level")
    >>> bool(res.coefficients.loc["satisfaction", "estimate"] > 0)
    True
    """

    join: Frame
    customers: Frame
    retention_by_level: Frame
    coefficients: Frame
    value: Frame
    curve: Frame
    fit_statistics: Frame
    bootstrap_draws: Frame

    _title: ClassVar[str] = "Satisfaction and retention: the value of one index point"

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        s = self.settings
        header: list[tuple[str, object]] = [
            ("Model", s.get("model_description")),
            ("As of", s.get("as_of")),
            ("Horizon (months)", s.get("horizon")),
            ("Churn window (months)", s.get("churn_window")),
            ("Customers analysed", s.get("n_used")),
            ("Customer base", s.get("customer_base")),
            ("Revenue per retained customer", s.get("revenue_per_customer")),
            ("Level", s.get("level")),
        ]
        tables: dict[str, Any] = {
            "Survey join": self.join,
            "Retention by satisfaction level": self.retention_by_level,
            "Coefficients": self.coefficients,
            "Value of one index point": self.value,
        }
        return header, tables

    def plot(
        self,
        kind: Literal["levels", "curve"] | None = None,
        *,
        ax: Axes | None = None,
        language: Literal["en", "zh"] = "en",
        labels: Literal["code", "label"] = "code",
    ) -> Axes:
        """Retention by satisfaction level (bars with intervals) or the predicted curve.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import csimodels as csi
        >>> sim = csi.datasets.simulate_customer_events(n_customers=800, random_state=4)
        >>> res = csi.SatisfactionValue().fit(sim.events, sim.survey, customer="customer",
        ...     time="survey_date", satisfaction="satisfaction", level_column="level")
        >>> res.plot("levels").get_ylabel()
        'Share retained'
        """
        axes: Axes = _plots.plot_value(self, kind, ax=ax, language=language, labels=labels)
        return axes


class SatisfactionValue(Settings):
    """What satisfaction is worth: retention after the survey by satisfaction level, a
    retention model on the index and drivers, and the value of one index point.

    Each surveyed customer is followed from the survey (which counts as an activity):
    the customer is *retained at the horizon* when still active ``horizon`` months
    later, i.e. the last activity before the first gap of ``churn_window`` months
    comes after the horizon. That is known only for surveys at least ``horizon +
    churn_window`` months before ``as_of``; later ones are counted and left out of the
    logistic model and the level table (the Cox model uses them, censored).

    Attributes
    ----------
    horizon : int
        Months after the survey at which retention is read (12: "one year later").
    churn_window : int
        Months without activity that make a customer churned.
    model : {"logit", "cox"}
        Logistic regression of retained-at-horizon, or a Cox proportional-hazards model
        of the months active after the survey (Breslow ties), read at the horizon.
    activity_kinds : tuple of str
        Event kinds that count as activity.
    levels : tuple of float, optional
        Cut points of the satisfaction index into levels for the level table (e.g.
        ``(40, 55, 70, 85)`` gives five levels); default: the ``level_column`` given
        to :meth:`fit`, or the distinct index values when there are at most 11.
    customer_base : int, optional
        Customers the value per point is scaled to (default: the customers analysed).
    revenue_per_customer : float, optional
        Revenue of one retained customer; default: the mean amount in the horizon
        after the survey of the customers retained at the horizon (needs amounts).
    level : float
        Confidence level.

    Notes
    -----
    Logit: ``P(retained) = Λ(b0 + b x + g'z)``; one index point is worth the average
    marginal effect ``mean_i p_i (1 − p_i) b`` (statsmodels' ``get_margeff(at=
    "overall")``), with a delta-method standard error. Cox: the hazard of leaving is
    ``h0(t) exp(b (x − x̄) + g'(z − z̄))``; the retention at the horizon is
    ``S_i = exp(−H0(h) exp(η_i))`` with Breslow's ``H0``; one point is worth
    ``mean_i ∂S_i/∂x = −b mean_i S_i H0(h) exp(η_i)``, with a delta-method error over
    the coefficients and ``H0`` (Tsiatis's variance of ``H0``). Customers per point
    multiply by the customer base; revenue per point by the revenue of a retained
    customer (its sampling error added as an independent term).

    Examples
    --------
    >>> import csimodels as csi
    >>> sim = csi.datasets.simulate_customer_events(n_customers=1500, random_state=4)
    >>> res = csi.SatisfactionValue(model="cox").fit(
    ...     sim.events, sim.survey, customer="customer", time="survey_date",
    ...     satisfaction="satisfaction")
    >>> bool(0.9 < res.coefficients.loc["satisfaction", "hazard_ratio"] < 1.0)  # truth 0.9704
    True
    """

    horizon: int = Field(12, ge=1)
    churn_window: int = Field(12, ge=1)
    model: Literal["logit", "cox"] = "logit"
    activity_kinds: tuple[str, ...] = ACTIVITY_KINDS
    levels: tuple[float, ...] | None = None
    customer_base: int | None = Field(None, ge=1)
    revenue_per_customer: float | None = Field(None, ge=0)
    level: float = Field(0.95, gt=0, lt=1)

    @field_validator("activity_kinds")
    @classmethod
    def _kinds(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return check_activity_kinds(value, "SatisfactionValue")

    @field_validator("levels")
    @classmethod
    def _cuts(cls, value: tuple[float, ...] | None) -> tuple[float, ...] | None:
        if value is not None and (not value or any(b <= a for a, b in itertools.pairwise(value))):
            raise InvalidParameterError(
                f"parameter 'levels' of SatisfactionValue must be strictly increasing cut "
                f"points of the index (e.g. (40, 55, 70, 85)), got {value!r}"
            )
        return value

    def fit(
        self,
        events: CustomerEvents | pd.DataFrame,
        survey: pd.DataFrame | SurveyData,
        *,
        customer: str | None,
        satisfaction: str,
        time: str | None = None,
        survey_date: object = None,
        drivers: Sequence[str] = (),
        level_column: str | None = None,
        by: str | Sequence[str] | None = None,
        min_segment_size: int = 100,
        on_error: Literal["skip", "raise"] = "skip",
        bootstrap: Bootstrap | int | None = None,
        random_state: int | np.random.Generator | None = None,
        **from_frame_options: Any,
    ) -> SatisfactionValueResult | SegmentedResult:
        """Join the survey to the log and estimate what satisfaction is worth.

        Parameters
        ----------
        events : CustomerEvents or DataFrame
            The log (a DataFrame is validated with ``from_frame_options``).
        survey : DataFrame or SurveyData
            One row per survey answer. Not modified.
        customer : str or None
            The survey's customer-id column (None: the row labels are the ids).
        satisfaction : str
            The satisfaction index (or score) column.
        time : str, optional
            The survey-date column; or give one ``survey_date`` for every answer.
        survey_date : date, optional
            The date of a survey without a date column.
        drivers : list of str
            Further numeric columns entering the model (e.g. price perception).
        level_column : str, optional
            Satisfaction levels for the level table (e.g. a 1–5 overall rating).
        by : str or list of str, optional
            Survey column(s) (region, store...): the analysis refitted on the answers of
            each segment, as a :class:`~csimodels.results.SegmentedResult` — what one
            index point is worth in each region.
        min_segment_size : int
            With ``by``: segments with fewer survey answers are not fitted.
        on_error : {"skip", "raise"}
            With ``by``: a failing segment is recorded (``"skip"``) or raises.
        bootstrap : Bootstrap or int, optional
            Resample the analysed customers and refit: the standard errors and
            percentile intervals of the coefficients and of the value table then come
            from the draws (``settings["inference"] = "bootstrap"``).
        random_state : int, Generator or None
            Seed of the bootstrap (a Bootstrap's own seed wins); None draws one, which
            the result records.

        Returns
        -------
        SatisfactionValueResult, or SegmentedResult with ``by``

        Raises
        ------
        DataValidationError
            Missing columns, non-numeric answers, survey dates after ``as_of``, no
            surveyed customer in the log, or too few customers with a known outcome.
        EstimationError
            The model cannot be estimated (no variation in the outcome).
        """
        log = CustomerEvents.coerce(events, **from_frame_options)
        frame = survey.frame if isinstance(survey, SurveyData) else survey
        if not isinstance(frame, pd.DataFrame):
            raise DataValidationError(
                f"survey must be a DataFrame or a SurveyData, got {type(survey).__name__}"
            )
        drivers = [drivers] if isinstance(drivers, str) else list(drivers)

        request = as_bootstrap(bootstrap, owner="SatisfactionValue.fit")
        seed: int | None = None
        if request is not None:
            if request.method != "percentile":
                raise InvalidParameterError(
                    "SatisfactionValue.fit: the bootstrap gives percentile intervals; pass "
                    f"Bootstrap(method='percentile'), got method={request.method!r}"
                )
            seed = resolve_random_state(
                request.random_state if request.random_state is not None else random_state,
                owner="SatisfactionValue.fit",
            )

        def fit_one(part: pd.DataFrame) -> SatisfactionValueResult:
            return self._fit(
                log,
                part,
                customer,
                satisfaction,
                time,
                survey_date,
                drivers,
                level_column,
                request,
                seed,
            )

        if by is not None:
            columns = [by] if isinstance(by, str) else list(by)
            pooled = fit_one(frame)
            parts, n_missing = split_frame(frame, columns, fit_one, "SatisfactionValue.fit")
            return fit_parts(
                parts,
                columns,
                owner="SatisfactionValue.fit",
                min_segment_size=min_segment_size,
                on_error=on_error,
                pooled=pooled,
                headline=("value", "coefficients"),
                settings=dict(pooled.settings),
                unit="survey answers",
                n_missing=n_missing,
            )
        return fit_one(frame)

    def _fit(
        self,
        log: CustomerEvents,
        frame: pd.DataFrame,
        customer: str | None,
        satisfaction: str,
        time: str | None,
        survey_date: object,
        drivers: list[str],
        level_column: str | None,
        request: Bootstrap | None = None,
        seed: int | None = None,
    ) -> SatisfactionValueResult:
        notes: list[str] = list(log.notes)
        if frame.shape[0] == 0:
            raise DataValidationError("survey has no rows")
        needed = [c for c in (customer, satisfaction, time, level_column) if c] + drivers
        missing_cols = sorted({c for c in needed if c not in frame.columns})
        if missing_cols:
            raise DataValidationError(
                f"survey has no column {format_offenders(missing_cols)}; available columns: "
                f"{format_offenders(sorted(map(str, frame.columns)))}"
            )
        if len(set(needed)) != len(needed):
            raise DataValidationError(
                f"the survey columns {needed} name a column twice; each plays one role"
            )
        ids = frame[customer] if customer else pd.Series(frame.index, index=frame.index)
        v.check_no_missing(ids, "customer", str(customer or "index"), "every answer needs its id")
        if time is not None:
            when = v.to_times(frame[time], time)
        elif survey_date is not None:
            when = np.full(frame.shape[0], v.to_timestamp(survey_date, "survey_date").value)
        else:
            raise DataValidationError(
                "SatisfactionValue.fit: pass time='...' (the survey-date column) or "
                "survey_date='YYYY-MM-DD'; retention is measured from the survey"
            )
        as_of = int(log.as_of.value)
        late = when > as_of
        if late.any():
            raise DataValidationError(
                f"{int(late.sum())} survey dates are after the log's as_of={log.as_of} "
                f"({v.rows_message(frame.index, late)}); behaviour after a survey must be in "
                "the log"
            )
        numeric: dict[str, np.ndarray] = {}
        for col in [satisfaction, *drivers]:
            raw = frame[col]
            values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
            bad = (np.isnan(values) & raw.notna().to_numpy()) | np.isinf(values)
            if bad.any():
                raise DataValidationError(
                    f"survey column {col!r} has {int(bad.sum())} values that are not finite "
                    f"numbers ({v.rows_message(frame.index, bad, raw.to_numpy(dtype=object))})"
                )
            numeric[col] = values
        level_values = frame[level_column].to_numpy() if level_column else None

        counts: dict[str, int] = {"survey_rows": int(frame.shape[0])}
        # one survey per customer: the earliest
        table = pd.DataFrame({"id": ids.to_numpy(), "when": when, **numeric})
        if level_values is not None:
            table["level"] = level_values
        table = table.sort_values("when", kind="stable")
        dup = table["id"].duplicated(keep="first").to_numpy()
        counts["duplicate_surveys"] = int(dup.sum())
        if dup.any():
            notes.append(
                f"{int(dup.sum())} later surveys of customers surveyed before are left out "
                "(each customer is followed from the first survey)"
            )
        table = table[~dup]
        incomplete = table[[satisfaction, *drivers]].isna().any(axis=1).to_numpy().copy()
        if level_values is not None:
            incomplete |= table["level"].isna().to_numpy()
        counts["missing_answers"] = int(incomplete.sum())
        if incomplete.any():
            warn_and_note(
                notes,
                f"{int(incomplete.sum())} surveyed customers have no answer for "
                f"{', '.join([satisfaction, *drivers])} and are left out",
                DataQualityWarning,
            )
        table = table[~incomplete]
        code = log.customer_ids().get_indexer(pd.Index(table["id"]))
        unknown = code < 0
        counts["unknown_customers"] = int(unknown.sum())
        if unknown.all():
            raise DataValidationError(
                f"none of the {len(table)} surveyed customers is in the event log (survey "
                f"ids such as {format_offenders(table['id'].head(3).tolist())}; log ids such "
                f"as {format_offenders(log.customer_ids()[:3].tolist())}); check that both "
                "use the same ids and types (e.g. '001' vs 1)"
            )
        if unknown.any():
            shown = format_offenders(sorted(map(str, table["id"][unknown])))
            warn_and_note(
                notes,
                f"{int(unknown.sum())} surveyed customers are not in the event log and are "
                f"left out ({shown})",
                DataQualityWarning,
            )
        table = table[~unknown].assign(code=code[~unknown])
        counts["matched"] = len(table)
        counts["log_customers_not_surveyed"] = int(log.n_customers - len(table))

        # follow each customer from the survey
        n_cust = log.n_customers
        act = log.kind_mask(self.activity_kinds)
        cust = log.customer_codes()[act]
        t = log.times()[act]
        origin = np.full(n_cust, -1, dtype=np.int64)
        origin[table["code"].to_numpy()] = table["when"].to_numpy()
        durations, event, at_risk, _ = churn_durations(
            cust, t, n_cust, as_of, self.churn_window, origin=origin
        )
        codes = table["code"].to_numpy()
        cutoff = add_months(np.array([as_of], dtype=np.int64), -self.churn_window)[0]
        horizon_end = add_months(table["when"].to_numpy(), self.horizon)
        known = horizon_end <= cutoff
        risk = at_risk[codes]
        months = np.where(risk, durations[codes], np.nan)
        retained = np.where(known, (durations[codes] > self.horizon).astype(float), np.nan)
        counts["too_recent"] = int((~known).sum())
        if (~known).any():
            notes.append(
                f"{int((~known).sum())} customers were surveyed less than "
                f"{self.horizon + self.churn_window} months (horizon + churn window) before "
                "as_of: their retention at the horizon is not yet known"
                + (" (the Cox model uses them, censored)" if self.model == "cox" else "")
            )
        revenue = self._revenue(log, act, table, codes)
        out = pd.DataFrame(
            {
                "survey_time": table["when"].to_numpy().view("datetime64[ns]"),
                satisfaction: table[satisfaction].to_numpy(),
                **{d: table[d].to_numpy() for d in drivers},
                "months_active": months,
                "churned": np.where(risk, event[codes], False),
                "retained": retained,
                "revenue_in_horizon": revenue,
            },
            index=pd.Index(table["id"].to_numpy(), name=customer or "customer"),
        )
        out.insert(2 + len(drivers), "level", self._levels(table, satisfaction, level_column))
        use = known if self.model == "logit" else risk
        counts["analysed"] = int(use.sum())
        if use.sum() < len(drivers) + 10:
            raise DataValidationError(
                f"SatisfactionValue: only {int(use.sum())} surveyed customers have a known "
                f"outcome; the {self.model} model needs more (surveys at least "
                f"{self.horizon + self.churn_window} months before as_of for the logit)"
            )
        by_level = self._by_level(out[known], satisfaction)
        x = table[[satisfaction, *drivers]].to_numpy(dtype=float)
        terms = [satisfaction, *drivers]
        base = self.customer_base or int(use.sum())
        rev_mean, rev_se = self._revenue_per_customer(out, known, log)
        if self.model == "logit":
            coefs, value, curve, stats_ = self._logit(
                x[use], retained[use], terms, base, rev_mean, rev_se, notes
            )
        else:
            coefs, value, curve, stats_ = self._cox(
                x[use],
                months[use],
                out["churned"].to_numpy()[use],
                terms,
                base,
                rev_mean,
                rev_se,
                notes,
            )
        draws = pd.DataFrame()
        if request is not None and seed is not None:
            coefs, value, draws = self._bootstrap(
                request,
                seed,
                x[use],
                retained[use],
                months[use],
                out["churned"].to_numpy()[use],
                out,
                known,
                use,
                coefs,
                value,
                base,
                notes,
            )
        join = pd.DataFrame({"customers": pd.Series(counts)}).reindex(
            [
                "survey_rows",
                "duplicate_surveys",
                "missing_answers",
                "unknown_customers",
                "matched",
                "too_recent",
                "analysed",
                "log_customers_not_surveyed",
            ]
        )
        join.index.name = "step"
        join["customers"] = join["customers"].astype(np.int64)
        description = (
            f"logistic regression of retained {self.horizon} months after the survey"
            if self.model == "logit"
            else "Cox proportional hazards (Breslow ties) of the months active after the survey"
        )
        settings: dict[str, Any] = {
            **self.model_dump(mode="json"),
            "model_name": "SatisfactionValue",
            "model_description": description,
            "as_of": str(log.as_of),
            "satisfaction": satisfaction,
            "drivers": drivers,
            "n_used": int(use.sum()),
            "customer_base": base,
            "inference": (
                "delta method; Wilson intervals by level"
                if request is None
                else f"bootstrap ({request.n} resamples of customers; percentile intervals)"
            ),
            "bootstrap": None if request is None else request.model_dump(mode="json"),
            "random_state": seed,
            "weight": None,
            "revenue_per_customer": rev_mean,
        }
        return SatisfactionValueResult(
            join=join,
            customers=out,
            retention_by_level=by_level,
            coefficients=coefs,
            value=value,
            curve=curve,
            fit_statistics=stats_,
            bootstrap_draws=draws,
            settings=settings,
            notes=tuple(notes),
        )

    # -- pieces ------------------------------------------------------------------------
    def _levels(
        self, table: pd.DataFrame, satisfaction: str, level_column: str | None
    ) -> np.ndarray:
        x = table[satisfaction].to_numpy(dtype=float)
        if self.levels is not None:
            return np.asarray(np.digitize(x, np.asarray(self.levels)) + 1)
        if level_column is not None:
            return np.asarray(table["level"].to_numpy())
        distinct = np.unique(x)
        if distinct.size <= 11:
            return x
        return np.full(x.size, np.nan)

    def _by_level(self, known: pd.DataFrame, sat_col: str) -> pd.DataFrame:
        if known["level"].isna().all():
            return pd.DataFrame(
                columns=["n", "retained", "retention", "ci_lower", "ci_upper", "mean_satisfaction"]
            )
        grouped = known.groupby("level", sort=True)
        n = grouped.size().astype(np.int64)
        kept = grouped["retained"].sum().astype(np.int64)
        lo, hi = wilson_interval(
            np.asarray(kept.to_numpy(), dtype=np.float64),
            np.asarray(n.to_numpy(), dtype=np.float64),
            self.level,
        )
        return pd.DataFrame(
            {
                "n": n,
                "retained": kept,
                "retention": kept / n,
                "ci_lower": lo,
                "ci_upper": hi,
                "mean_satisfaction": grouped[sat_col].mean(),
            }
        )

    def _revenue(
        self, log: CustomerEvents, act: np.ndarray, table: pd.DataFrame, codes: np.ndarray
    ) -> np.ndarray:
        if log.amount is None:
            return np.full(len(table), np.nan)
        cust = log.customer_codes()[act]
        t = log.times()[act]
        amount = np.nan_to_num(log.frame[log.amount].to_numpy()[act])
        start = np.full(log.n_customers, np.iinfo(np.int64).max, dtype=np.int64)
        start[codes] = table["when"].to_numpy()
        end = np.full(log.n_customers, np.iinfo(np.int64).min, dtype=np.int64)
        end[codes] = add_months(table["when"].to_numpy(), self.horizon)
        inside = (t > start[cust]) & (t <= end[cust])
        totals = np.bincount(cust[inside], weights=amount[inside], minlength=log.n_customers)
        return np.asarray(totals[codes], dtype=np.float64)

    def _bootstrap(
        self,
        request: Bootstrap,
        seed: int,
        x: np.ndarray,
        retained: np.ndarray,
        months: np.ndarray,
        churned: np.ndarray,
        out: pd.DataFrame,
        known: np.ndarray,
        use: np.ndarray,
        coefs: pd.DataFrame,
        value: pd.DataFrame,
        base: int,
        notes: list[str],
    ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        from scipy import stats

        kept = (known & (out["retained"].to_numpy() == 1))[use]
        revenue = np.where(kept, out["revenue_in_horizon"].to_numpy()[use], np.nan)
        fixed = self.revenue_per_customer
        h = float(self.horizon)
        event = churned.astype(bool)

        def statistic(idx: np.ndarray) -> np.ndarray:
            if self.model == "logit":
                y = retained[idx]
                if np.all(y == y[0]):
                    raise ValueError("one outcome only")
                core = logit_point_values(x[idx], y)
            else:
                if not event[idx].any():
                    raise ValueError("no event")
                core = cox_point_values(x[idx], months[idx], event[idx], h)
            rev = fixed if fixed is not None else float(np.nanmean(revenue[idx]))
            return np.concatenate([core, [rev]])

        k = len(coefs)
        width = k + 3
        with np.errstate(all="ignore"):
            raw = bootstrap_draws(
                statistic,
                int(x.shape[0]),
                width,
                n=request.n,
                seed=seed,
                n_jobs=request.n_jobs,
                chunk_size=request.chunk_size,
            )
        failed = int(np.isnan(raw[:, 0]).sum())
        if failed:
            warn_and_note(
                notes,
                f"{failed} of {request.n} bootstrap draws could not be fitted and are left out",
                ConvergenceWarning,
            )
        ame, ret, rev = raw[:, k], raw[:, k + 1], raw[:, k + 2]
        columns = {str(t): raw[:, j] for j, t in enumerate(coefs.index)}
        columns |= {"retention_per_point": ame, "customers_per_point": ame * base}
        if "revenue_per_point" in value.index:
            columns["revenue_per_point"] = ame * base * rev
        columns["retention"] = ret
        draws = pd.DataFrame(columns)
        draws.index.name = "draw"
        lo_q, hi_q = 50 * (1 - request.level), 50 * (1 + request.level)

        def spread(table: pd.DataFrame) -> pd.DataFrame:
            table = table.copy()
            values = draws[[str(i) for i in table.index]].to_numpy()
            with np.errstate(all="ignore"):
                table["std_error"] = np.nanstd(values, axis=0, ddof=1)
                table["ci_lower"] = np.nanpercentile(values, lo_q, axis=0)
                table["ci_upper"] = np.nanpercentile(values, hi_q, axis=0)
            return table

        coefs = spread(coefs)
        with np.errstate(divide="ignore", invalid="ignore"):
            coefs["z"] = coefs["estimate"] / coefs["std_error"]
        coefs["p_value"] = 2 * stats.norm.sf(np.abs(coefs["z"].to_numpy()))
        return coefs, spread(value), draws

    def _revenue_per_customer(
        self, out: pd.DataFrame, known: np.ndarray, log: CustomerEvents
    ) -> tuple[float | None, float]:
        if self.revenue_per_customer is not None:
            return float(self.revenue_per_customer), 0.0
        if log.amount is None:
            return None, float("nan")
        kept = known & (out["retained"].to_numpy() == 1)
        values = out["revenue_in_horizon"].to_numpy()[kept]
        if values.size < 2:
            return None, float("nan")
        return float(np.mean(values)), float(np.std(values, ddof=1) / np.sqrt(values.size))

    def _value_table(
        self,
        ame: float,
        ame_se: float,
        mean_retention: float,
        retention_se: float,
        base: int,
        rev: float | None,
        rev_se: float,
    ) -> pd.DataFrame:
        from scipy import stats

        z = float(stats.norm.ppf(0.5 + self.level / 2))
        rows = {
            "retention_per_point": (ame, ame_se),
            "customers_per_point": (ame * base, ame_se * base),
        }
        if rev is not None:
            est = ame * base * rev
            se = float(np.sqrt((base * rev * ame_se) ** 2 + (base * ame * rev_se) ** 2))
            rows["revenue_per_point"] = (est, se)
        rows["retention"] = (mean_retention, retention_se)
        table = pd.DataFrame(
            [(e, s, e - z * s, e + z * s) for e, s in rows.values()],
            columns=["estimate", "std_error", "ci_lower", "ci_upper"],
            index=pd.Index(list(rows), name="quantity"),
        )
        return table

    def _coefficient_table(
        self, params: np.ndarray, cov: np.ndarray, terms: list[str], ratio: str
    ) -> pd.DataFrame:
        from scipy import stats

        z = float(stats.norm.ppf(0.5 + self.level / 2))
        se = np.sqrt(np.diag(cov))
        with np.errstate(divide="ignore", invalid="ignore"):
            zs = params / se
        table = pd.DataFrame(
            {
                "estimate": params,
                "std_error": se,
                "z": zs,
                "p_value": 2 * stats.norm.sf(np.abs(zs)),
                "ci_lower": params - z * se,
                "ci_upper": params + z * se,
                ratio: np.exp(params),
            },
            index=pd.Index(terms, name="term"),
        )
        return table

    def _grid(self, x: np.ndarray) -> np.ndarray:
        return np.linspace(float(np.min(x[:, 0])), float(np.max(x[:, 0])), 41)

    def _logit(
        self,
        x: np.ndarray,
        y: np.ndarray,
        terms: list[str],
        base: int,
        rev: float | None,
        rev_se: float,
        notes: list[str],
    ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        from scipy import special, stats

        if np.all(y == y[0]):
            raise EstimationError(
                "SatisfactionValue: every analysed customer has the same outcome "
                f"(retained = {int(y[0])}); the logistic model cannot be estimated"
            )
        design = np.column_stack([np.ones(x.shape[0]), x])
        fit = logit_fit(design, y)
        if not fit.converged:
            warn_and_note(
                notes,
                f"the logistic fit did not converge in {fit.iterations} iterations",
                ConvergenceWarning,
            )
        if fit.separated:
            warn_and_note(
                notes,
                "some fitted probabilities are 0 or 1 (quasi-separation); standard errors "
                "are unreliable",
                ConvergenceWarning,
            )
        coefs = self._coefficient_table(fit.params, fit.cov, ["const", *terms], "odds_ratio")
        p = fit.fitted
        w = p * (1 - p)
        b = fit.params[1]
        ame = float(np.mean(w) * b)
        grad = b * np.mean((w * (1 - 2 * p))[:, None] * design, axis=0)
        grad[1] += float(np.mean(w))
        ame_se = float(np.sqrt(grad @ fit.cov @ grad))
        # mean predicted retention and its delta-method error
        g_ret = np.mean(w[:, None] * design, axis=0)
        value = self._value_table(
            ame,
            ame_se,
            float(np.mean(p)),
            float(np.sqrt(g_ret @ fit.cov @ g_ret)),
            base,
            rev,
            rev_se,
        )
        grid = self._grid(x)
        means = x.mean(axis=0)
        rows = np.column_stack([np.ones(grid.size), grid, np.tile(means[1:], (grid.size, 1))])
        eta = rows @ fit.params
        se = np.sqrt(np.einsum("ij,jk,ik->i", rows, fit.cov, rows))
        zq = float(stats.norm.ppf(0.5 + self.level / 2))
        curve = pd.DataFrame(
            {
                "index": grid,
                "retention": special.expit(eta),
                "ci_lower": special.expit(eta - zq * se),
                "ci_upper": special.expit(eta + zq * se),
            }
        )
        lr = 2 * (fit.loglik - fit.loglik_null)
        stats_ = _stat_table(
            {
                "observations": float(x.shape[0]),
                "retained": float(np.sum(y)),
                "log_likelihood": fit.loglik,
                "null_log_likelihood": fit.loglik_null,
                "lr_statistic": lr,
                "lr_p_value": float(stats.chi2.sf(lr, x.shape[1])),
                "iterations": float(fit.iterations),
            }
        )
        return coefs, value, curve, stats_

    def _cox(
        self,
        x: np.ndarray,
        months: np.ndarray,
        event: np.ndarray,
        terms: list[str],
        base: int,
        rev: float | None,
        rev_se: float,
        notes: list[str],
    ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        from scipy import stats

        event = event.astype(bool)
        if not event.any():
            raise EstimationError(
                "SatisfactionValue: no analysed customer has churned yet; the Cox model "
                "cannot be estimated"
            )
        means = x.mean(axis=0)
        xc = x - means
        fit = cox_fit(months, event, xc)
        if not fit.converged:
            warn_and_note(
                notes,
                f"the Cox fit did not converge in {fit.iterations} iterations",
                ConvergenceWarning,
            )
        coefs = self._coefficient_table(fit.params, fit.cov, terms, "hazard_ratio")
        h = float(self.horizon)
        h0, dh0, var_h0 = _baseline_at(fit, h)
        eta = xc @ fit.params
        u = h0 * np.exp(eta)
        s = np.exp(-u)
        b = fit.params[0]
        ame = float(np.mean(-s * u) * b)
        # delta method over (beta, H0)
        dfdu = -b * s * (1 - u)
        du_db = u[:, None] * xc + np.exp(eta)[:, None] * dh0[None, :]
        grad_b = np.mean(dfdu[:, None] * du_db, axis=0)
        grad_b[0] += float(np.mean(-s * u))
        grad_h = float(np.mean(dfdu * np.exp(eta)))
        ame_se = float(np.sqrt(grad_b @ fit.cov @ grad_b + grad_h**2 * var_h0))
        # mean retention: d S / d u = -S
        gr_b = np.mean((-s)[:, None] * du_db, axis=0)
        gr_h = float(np.mean(-s * np.exp(eta)))
        ret_se = float(np.sqrt(gr_b @ fit.cov @ gr_b + gr_h**2 * var_h0))
        value = self._value_table(ame, ame_se, float(np.mean(s)), ret_se, base, rev, rev_se)
        grid = self._grid(x)
        rows = np.column_stack([grid - means[0], np.zeros((grid.size, x.shape[1] - 1))])
        eta_g = rows @ fit.params
        q = rows + (dh0 / h0)[None, :] if h0 > 0 else rows
        var_log = np.einsum("ij,jk,ik->i", q, fit.cov, q) + (var_h0 / h0**2 if h0 > 0 else 0)
        log_h = np.log(h0) + eta_g if h0 > 0 else np.full(grid.size, -np.inf)
        zq = float(stats.norm.ppf(0.5 + self.level / 2))
        sd = np.sqrt(var_log)
        curve = pd.DataFrame(
            {
                "index": grid,
                "retention": np.exp(-np.exp(log_h)),
                "ci_lower": np.exp(-np.exp(log_h + zq * sd)),
                "ci_upper": np.exp(-np.exp(log_h - zq * sd)),
            }
        )
        lr = 2 * (fit.loglik - fit.loglik_null)
        stats_ = _stat_table(
            {
                "observations": float(x.shape[0]),
                "events": float(np.sum(event)),
                "log_likelihood": fit.loglik,
                "null_log_likelihood": fit.loglik_null,
                "lr_statistic": lr,
                "lr_p_value": float(stats.chi2.sf(lr, x.shape[1])),
                "iterations": float(fit.iterations),
            }
        )
        return coefs, value, curve, stats_


def _baseline_at(fit: CoxFit, h: float) -> tuple[float, np.ndarray, float]:
    """Breslow H0(h), its derivative in the coefficients and its variance Σ d / S0²."""
    upto = fit.event_times <= h
    h0 = float(np.sum(fit.baseline_hazard[upto]))
    dh0 = -np.sum(fit.baseline_hazard[upto, None] * fit.risk_x[upto], axis=0)
    var = float(np.sum(fit.n_events[upto] / fit.risk_sums[upto] ** 2))
    return h0, dh0, var


def _stat_table(values: dict[str, float]) -> pd.DataFrame:
    table = pd.DataFrame({"value": pd.Series(values, dtype=float)})
    table.index.name = "statistic"
    return table
