"""KPIMonitor: complaint rates, response times and other indicators next to the scores.

Early warning watches more than the survey score: the complaint rate and the
after-sales response time are the usual companions (seed 000, §5.2). Each kind gets
the chart suited to it (Montgomery 2009):

- ``kind="rate"``: events out of trials per period (complaints per order) on a
  **p-chart**, or events per unit of exposure (complaints per 1,000 service hours)
  on a **u-chart**, with limits that vary with each period's size;
- ``kind="duration"``: case durations (response, resolution times), skewed and
  positive, charted on the **log scale** (x-bar of log durations with the pooled
  within-period standard deviation; estimates are geometric means);
- ``kind="value"``: any KPI series, one value per (segment, period) or the mean of
  several, on an **individuals chart** (moving-range sigma over the baseline).

Alerts share the tables, tiers, thresholds and routes of :class:`TrendMonitor`.

Examples
--------
>>> import pandas as pd
>>> from csimodels.trends import KPIMonitor
>>> df = pd.DataFrame({"month": ["01", "02", "03", "04", "05"],
...                    "complaints": [20, 22, 18, 21, 45],
...                    "orders": [1000, 1100, 950, 1000, 1000]})
>>> res = KPIMonitor(kind="rate", name="complaints", baseline=4).fit(
...     df, period="month", events="complaints", trials="orders")
>>> res.alerts[["period", "rule", "kind"]].values.tolist()
[['05', 'p_chart', 'rise']]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import Field

from csimodels._lazy import lazy_module
from csimodels._settings import Settings
from csimodels.errors import DataQualityWarning, DataValidationError, format_offenders
from csimodels.results import Frame, Result, warn_and_note
from csimodels.segments import as_by, segment_label
from csimodels.trends._engine import D2, chart
from csimodels.trends.alerts import (
    DEFAULT_TIERS,
    AlertTier,
    Route,
    Threshold,
    check_series_names,
    rank_alerts,
    threshold_alerts,
)
from csimodels.trends.forecasting import (
    forecast_alert_rows,
    forecast_frame,
    future_labels,
    run_forecasts,
)
from csimodels.trends.result import _MonitorTables

stats = lazy_module("scipy.stats")

__all__ = ["KPIMonitor", "KPIResult"]

FloatArray = NDArray[np.float64]


class KPIResult(_MonitorTables, Result):
    """Per-period KPI values, chart and alerts of a :class:`KPIMonitor`.

    Attributes
    ----------
    table : DataFrame, index (segment, series, period)
        ``n``: trials (p-chart), exposure (u-chart), cases (duration) or rows
        (value); ``events`` (rate only, else NaN); ``estimate``: the rate, the
        geometric mean duration, or the mean value; ``std_error``: its in-control
        standard error (rate: ``sqrt(p̄(1 − p̄)/n)`` or ``sqrt(ū/n)``; duration: of the
        mean log duration); ``ci_lower``/``ci_upper`` (a normal interval at ``level``
        on the chart's scale, back-transformed for durations); ``target``: the centre
        line (p̄, ū, geometric mean or mean of the baseline); ``z``: standardised
        distance to it; ``chart_statistic`` (z for Shewhart, E_t for EWMA, in sigma
        units); ``lower_limit``/``upper_limit`` (sigma units);
        ``lower_control``/``upper_control``: the limits on the KPI's own scale
        (Shewhart: p̄ ± L·sqrt(p̄(1 − p̄)/n), the lower clipped at 0; durations
        back-transformed); ``signal``; ``baseline``.
    alerts : DataFrame
        As :attr:`TrendResult.alerts` (rules ``"p_chart"``, ``"u_chart"``,
        ``"shewhart"``, ``"ewma"``, ``"threshold"``, ``"forecast"``).
    forecasts : DataFrame or None
        As :attr:`TrendResult.forecasts` (with ``forecast=``).
    periods, future_periods, baseline, series : tuple of str
    by : str or None

    Examples
    --------
    >>> import pandas as pd
    >>> from csimodels.trends import KPIMonitor
    >>> df = pd.DataFrame({"q": ["1", "1", "2", "2", "3"], "hours": [2.0, 8.0, 3.0, 5.0, 30.0]})
    >>> res = KPIMonitor(kind="duration", name="response", baseline=2).fit(
    ...     df, period="q", value="hours")
    >>> round(float(res.table["estimate"].iloc[0]), 6)   # geometric mean of 2 and 8
    4.0
    """

    table: Frame
    alerts: Frame
    forecasts: Frame | None = None
    periods: tuple[str, ...]
    future_periods: tuple[str, ...] = ()
    baseline: tuple[str, ...]
    series: tuple[str, ...]
    by: str | None = None

    _title: ClassVar[str] = "KPI monitoring and early warning"

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        s = self.settings
        header: list[tuple[str, object]] = [
            ("Indicator", f"{self.series[0]} ({s.get('kind')})"),
            ("Chart", s.get("chart_description")),
            ("Segments", self.by or "none"),
            ("Periods", " < ".join(self.periods)),
            ("Baseline", ", ".join(self.baseline)),
            ("Alerts", len(self.alerts)),
        ]
        last = self.periods[-1]
        latest = self.table.xs(last, level="period")[
            ["n", "estimate", "target", "lower_control", "upper_control", "signal"]
        ]
        tables: dict[str, Any] = {f"Latest period ({last})": latest}
        if len(self.alerts):
            tables["Alerts"] = self.alerts.set_index(["segment", "series", "period"])[
                ["kind", "rule", "tier", "estimate", "reference", "severity"]
            ].head(20)
        return header, tables


class KPIMonitor(Settings):
    """Chart a business KPI per period and segment: rates, durations or values.

    Attributes
    ----------
    kind : {"rate", "duration", "value"}
        What the KPI is (see the module docstring).
    name : str
        The indicator's name (the ``series`` of its rows and alerts), e.g.
        ``"complaint_rate"``.
    baseline : int
        The first ``k`` periods set the centre line and sigma; charts run after them.
    chart : {"shewhart", "ewma"}
        Shewhart limits (p-/u-chart, x-bar or individuals chart) or an EWMA of the
        standardised points.
    width : float
        Limit width L (3: the 3-sigma limits).
    ewma_lambda : float
        EWMA smoothing (with ``chart="ewma"``; exact time-varying limits).
    level : float
        Level of the per-period intervals.
    forecast : {"local_level", "local_linear", "drift", "auto"} or None
        Rolling-origin forecasts as in :class:`TrendMonitor` (the in-control standard
        error is the known measurement error); None: none.
    forecast_level, horizon : float, int
        Forecast interval level and periods forecast past the last.
    thresholds, tiers, routes
        As in :class:`TrendMonitor` (thresholds on the KPI's own scale, e.g.
        ``Threshold(series="complaint_rate", above=0.02)``).

    Notes
    -----
    p-chart: centre :math:`\\bar p = \\sum D_i / \\sum n_i` over the baseline,
    limits :math:`\\bar p \\pm L \\sqrt{\\bar p (1-\\bar p) / n_i}` (lower limit
    at least 0); u-chart: :math:`\\bar u = \\sum c_i / \\sum n_i`, limits
    :math:`\\bar u \\pm L \\sqrt{\\bar u / n_i}` (Montgomery 2009, §7.2.1 and §7.3.1,
    variable sample size). Durations: :math:`y = \\log d`; centre and pooled
    within-period SD :math:`s_p` from the baseline cases; limits
    :math:`\\bar{\\bar y} \\pm L s_p / \\sqrt{n_i}` (x-bar chart, §6.3) and their
    exponentials on the original scale. Values: individuals chart with
    :math:`\\sigma = \\overline{MR} / 1.128` over the baseline (§6.4).

    References
    ----------
    1. Montgomery, D. C. (2009). *Introduction to Statistical Quality Control*
       (6th ed.). Wiley.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"week": [1, 2, 3, 4], "c": [3, 4, 2, 12],
    ...                    "hours": [400.0, 420.0, 380.0, 400.0]})
    >>> res = KPIMonitor(kind="rate", name="complaints", baseline=3).fit(
    ...     df, period="week", events="c", exposure="hours")
    >>> res.settings["chart_description"].startswith("u-chart")
    True
    """

    kind: Literal["rate", "duration", "value"]
    name: str = Field(min_length=1)
    baseline: int = Field(default=4, ge=1)
    chart: Literal["shewhart", "ewma"] = "shewhart"
    width: float = Field(default=3.0, gt=0.0)
    ewma_lambda: float = Field(default=0.2, gt=0.0, le=1.0)
    level: float = Field(default=0.95, gt=0.0, lt=1.0)
    forecast: Literal["local_level", "local_linear", "drift", "auto"] | None = None
    forecast_level: float = Field(default=0.95, gt=0.0, lt=1.0)
    horizon: int = Field(default=1, ge=1, le=24)
    thresholds: tuple[Threshold, ...] = ()
    tiers: tuple[AlertTier, ...] | None = None
    routes: tuple[Route, ...] = ()

    def fit(
        self,
        data: pd.DataFrame,
        *,
        period: str,
        by: str | Sequence[str] | None = None,
        events: str | None = None,
        trials: str | None = None,
        exposure: str | None = None,
        value: str | None = None,
    ) -> KPIResult:
        """Chart the KPI in a table of records or per-period aggregates.

        Parameters
        ----------
        data : DataFrame
            One row per record or per (segment, period); rows of a cell are summed
            (counts) or pooled (durations, values). Not modified.
        period : str
            Period column, ordered as :meth:`SurveyData.period_order` orders periods
            (numbers numerically, 'YYYYQn', 'YYYY-MM', dates, ordered categoricals).
        by : str or list of str, optional
            Segment column(s).
        events : str
            ``kind="rate"``: event counts (non-negative integers).
        trials, exposure : str
            ``kind="rate"``: trials (p-chart: events ≤ trials) or exposure (u-chart:
            > 0); exactly one.
        value : str
            ``kind="duration"`` (> 0) or ``"value"``: the measured column.

        Raises
        ------
        DataValidationError
            Missing columns; negative or non-integer counts, events above trials,
            zero exposure, durations ≤ 0, non-numeric values; too few periods.
        SpecificationError
            A threshold, tier or route naming another indicator.
        """
        owner = "KPIMonitor"
        check_series_names(owner, self.tiers or (), self.thresholds, self.routes, [self.name])
        if not isinstance(data, pd.DataFrame):
            raise DataValidationError(
                f"{owner}: data must be a pandas DataFrame, got {type(data).__name__}"
            )
        by_cols = as_by(by, owner=f"{owner}.fit") if by is not None else ()
        roles = self._roles(events, trials, exposure, value)
        needed = [period, *by_cols, *roles.values()]
        missing = [c for c in needed if c not in data.columns]
        if missing:
            raise DataValidationError(
                f"{owner}: column {format_offenders(missing)} not found; available columns: "
                f"{format_offenders(sorted(map(str, data.columns)))}"
            )
        if data.shape[0] == 0:
            raise DataValidationError(f"{owner}: the data have no rows")
        notes: list[str] = []
        frame = data[needed].copy()
        no_period = frame[period].isna().to_numpy()
        if no_period.any():
            warn_and_note(
                notes,
                f"{int(no_period.sum())} rows have no {period!r} label and are left out",
                DataQualityWarning,
            )
        frame = frame[~no_period]
        cols = {role: self._numeric(frame, col, role) for role, col in roles.items()}
        order = self._order(frame[period], period)
        if len(order) <= self.baseline:
            raise DataValidationError(
                f"{owner}: {len(order)} periods and baseline={self.baseline} leave none to "
                f"monitor; it needs at least {self.baseline + 1} periods"
            )
        pcode = np.asarray(
            pd.Series(frame[period].astype(str)).map({p: i for i, p in enumerate(order)}),
            dtype=np.intp,
        )
        if by_cols:
            keys = frame[list(by_cols)]
            bad = keys.isna().any(axis=1).to_numpy()
            if bad.any():
                warn_and_note(
                    notes,
                    f"{int(bad.sum())} rows have no {'/'.join(by_cols)} label; left out",
                    DataQualityWarning,
                )
            labels = np.array(
                [segment_label(tuple(r)) for r in keys.itertuples(index=False, name=None)],
                dtype=object,
            )
            segments = sorted(set(labels[~bad]))
            pos = {s: i for i, s in enumerate(segments)}
            scode = np.array(
                [-1 if b else pos[lab] for lab, b in zip(labels, bad, strict=True)], dtype=np.intp
            )
        else:
            segments = ["all"]
            scode = np.zeros(len(frame), dtype=np.intp)
        n_seg, n_per = len(segments), len(order)
        ok = scode >= 0
        cell = scode * n_per + pcode
        size = n_seg * n_per
        return self._assemble(cols, cell[ok], ok, size, segments, order, notes, by_cols)

    # -- validation ------------------------------------------------------------------
    def _roles(
        self, events: str | None, trials: str | None, exposure: str | None, value: str | None
    ) -> dict[str, str]:
        owner = "KPIMonitor"
        if self.kind == "rate":
            if events is None or (trials is None) == (exposure is None):
                raise DataValidationError(
                    f"{owner}(kind='rate'): pass events='<count column>' and one of "
                    "trials='<column>' (p-chart) or exposure='<column>' (u-chart)"
                )
            return (
                {"events": events, "trials": trials}
                if trials
                else {
                    "events": events,
                    "exposure": str(exposure),
                }
            )
        if value is None:
            raise DataValidationError(
                f"{owner}(kind={self.kind!r}): pass value='<column>' naming the measured column"
            )
        return {"value": value}

    def _numeric(self, frame: pd.DataFrame, col: str, role: str) -> FloatArray:
        owner = "KPIMonitor"
        series = frame[col]
        if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
            raise DataValidationError(f"{owner}: column {col!r} ({role}) is not numeric")
        x = series.to_numpy(dtype=np.float64)
        rows = frame.index

        def refuse(mask: NDArray[np.bool_], what: str) -> None:
            if mask.any():
                raise DataValidationError(
                    f"{owner}: column {col!r} ({role}) has {int(mask.sum())} {what} (rows "
                    f"{format_offenders(list(rows[mask]))})"
                )

        refuse(~np.isfinite(x), "missing or infinite values")
        if role in ("events", "trials"):
            refuse(x < 0, "negative counts")
            refuse(x != np.round(x), "non-integer counts")
        if role == "exposure":
            refuse(x <= 0, "exposures of zero or less (a u-chart divides by exposure)")
        if role == "value" and self.kind == "duration":
            refuse(x <= 0, "durations of zero or less (charted on the log scale)")
        return x

    @staticmethod
    def _order(labels: pd.Series, column: str) -> list[str]:
        """The periods in their real order (as SurveyData orders them)."""
        from csimodels.data._periods import order_periods

        return [str(v) for v in order_periods(labels, column)]

    # -- assembly --------------------------------------------------------------------
    def _assemble(
        self,
        cols: dict[str, FloatArray],
        cell: NDArray[np.intp],
        ok: NDArray[np.bool_],
        size: int,
        segments: list[str],
        order: list[str],
        notes: list[str],
        by_cols: tuple[str, ...],
    ) -> KPIResult:
        n_seg, n_per = len(segments), len(order)
        base = np.arange(n_per) < self.baseline
        L = self.width
        events = np.full(size, np.nan)
        rule = "shewhart" if self.chart == "shewhart" else "ewma"
        with np.errstate(invalid="ignore", divide="ignore"):
            if self.kind == "rate":
                ev = np.bincount(cell, weights=cols["events"][ok], minlength=size)
                if "trials" in cols:
                    nn = np.bincount(cell, weights=cols["trials"][ok], minlength=size)
                    over = ev > nn
                    if over.any():
                        raise DataValidationError(
                            f"KPIMonitor: {int(over.sum())} (segment, period) cell(s) have "
                            "more events than trials; a p-chart needs events <= trials "
                            "(use exposure= for a u-chart)"
                        )
                    chart_name = "p_chart"
                else:
                    nn = np.bincount(cell, weights=cols["exposure"][ok], minlength=size)
                    chart_name = "u_chart"
                events = ev
                ev2, nn2 = ev.reshape(n_seg, n_per), nn.reshape(n_seg, n_per)
                est = ev2 / nn2
                centre = ev2[:, base].sum(axis=1) / nn2[:, base].sum(axis=1)
                if chart_name == "p_chart":
                    sd = np.sqrt(centre[:, None] * (1 - centre[:, None]) / nn2)
                    desc = f"p-chart, centre = baseline p, limits p +/- {L:g} sqrt(p(1-p)/n)"
                else:
                    sd = np.sqrt(centre[:, None] / nn2)
                    desc = f"u-chart, centre = baseline u, limits u +/- {L:g} sqrt(u/n)"
                if self.chart == "shewhart":
                    rule = chart_name
                stat_scale, n_out = est, nn2
                centre_out = np.broadcast_to(centre[:, None], est.shape)
                lower_c = np.maximum(centre_out - L * sd, 0.0)
                upper_c = centre_out + L * sd
                ci = (est - self._z() * sd, est + self._z() * sd)
                z = (est - centre_out) / sd
                meas_se = sd
                y_fc = np.asarray(est, dtype=np.float64)
            elif self.kind == "duration":
                logs = np.log(cols["value"][ok])
                n_ = np.bincount(cell, minlength=size).astype(float)
                s1 = np.bincount(cell, weights=logs, minlength=size)
                mean = s1 / n_
                ss = np.bincount(cell, weights=(logs - mean[cell]) ** 2, minlength=size)
                n2, m2, ss2 = (a.reshape(n_seg, n_per) for a in (n_, mean, ss))
                centre = (m2[:, base] * n2[:, base]).sum(axis=1) / n2[:, base].sum(axis=1)
                df_within = (n2[:, base] - 1).clip(min=0).sum(axis=1)
                sp = np.sqrt(ss2[:, base].sum(axis=1) / df_within)
                if np.any(~(sp > 0)):
                    warn_and_note(
                        notes,
                        "a segment's baseline has no within-period variation of durations "
                        "(or one case per period); its chart is undefined",
                        DataQualityWarning,
                    )
                sp = np.where(sp > 0, sp, np.nan)
                sd = sp[:, None] / np.sqrt(n2)
                centre_out = np.broadcast_to(centre[:, None], m2.shape)
                z = (m2 - centre_out) / sd
                stat_scale = np.exp(m2)
                n_out = n2
                lower_c = np.exp(centre_out - L * sd)
                upper_c = np.exp(centre_out + L * sd)
                ci = (np.exp(m2 - self._z() * sd), np.exp(m2 + self._z() * sd))
                centre_out = np.exp(centre_out)
                desc = (
                    f"x-bar chart of log durations (pooled baseline SD), limits "
                    f"+/- {L:g} s/sqrt(n); estimates are geometric means"
                )
                meas_se = sd
                y_fc = np.asarray(m2, dtype=np.float64)
            else:
                v = cols["value"][ok]
                n_ = np.bincount(cell, minlength=size).astype(float)
                mean = np.bincount(cell, weights=v, minlength=size) / n_
                n2, m2 = n_.reshape(n_seg, n_per), mean.reshape(n_seg, n_per)
                mr = np.abs(np.diff(m2[:, base], axis=1))
                okm = ~np.isnan(mr)
                sigma = np.where(okm, mr, 0.0).sum(axis=1) / okm.sum(axis=1) / D2
                if np.any(~(sigma > 0)):
                    warn_and_note(
                        notes,
                        "sigma could not be estimated (baseline=1, or a zero moving range) "
                        "for some segments; their chart is undefined",
                        DataQualityWarning,
                    )
                sigma = np.where(sigma > 0, sigma, np.nan)
                sd = np.broadcast_to(sigma[:, None], m2.shape)
                centre = np.nanmean(np.where(base[None, :], m2, np.nan), axis=1)
                centre_out = np.broadcast_to(centre[:, None], m2.shape)
                z = (m2 - centre_out) / sd
                stat_scale, n_out = m2, n2
                lower_c, upper_c = centre_out - L * sd, centre_out + L * sd
                ci = (m2 - self._z() * sd, m2 + self._z() * sd)
                desc = f"individuals chart, sigma = baseline moving range / 1.128, L = {L:g}"
                meas_se = np.full(m2.shape, np.nan)
                y_fc = np.asarray(m2, dtype=np.float64)
        z = np.where(base[None, :], np.nan, z)
        cstat, lo, hi, signal, _, _ = chart(
            z, self.chart, ewma_lambda=self.ewma_lambda, ewma_width=L, shewhart_width=L
        )
        kinds = np.array(["drop", "", "rise"], dtype=object)
        index = pd.MultiIndex.from_product(
            [segments, [self.name], order], names=["segment", "series", "period"]
        )
        empty_cell = n_out == 0
        if empty_cell.any():
            warn_and_note(
                notes,
                f"{int(empty_cell.sum())} (segment, period) cell(s) have no records",
                DataQualityWarning,
            )
        table = pd.DataFrame(
            {
                "n": n_out.ravel(),
                "events": events,
                "estimate": stat_scale.ravel(),
                "std_error": np.asarray(sd).ravel(),
                "ci_lower": ci[0].ravel(),
                "ci_upper": ci[1].ravel(),
                "baseline": np.broadcast_to(base, (n_seg, n_per)).ravel(),
                "target": np.asarray(centre_out).ravel(),
                "z": z.ravel(),
                "chart_statistic": cstat.ravel(),
                "lower_limit": lo.ravel(),
                "upper_limit": hi.ravel(),
                "lower_control": np.where(base[None, :], np.nan, lower_c).ravel(),
                "upper_control": np.where(base[None, :], np.nan, upper_c).ravel(),
                "signal": kinds[signal.ravel() + 1].astype(str),
            },
            index=index,
        )
        rows: list[dict[str, Any]] = []
        for s, t in zip(*np.nonzero(signal), strict=True):
            sign = int(signal[s, t])
            value = float(cstat[s, t])
            limit = float(hi[s, t] if sign > 0 else lo[s, t])
            rows.append(
                {
                    "segment": segments[s],
                    "series": self.name,
                    "period": order[t],
                    "kind": "rise" if sign > 0 else "drop",
                    "rule": rule,
                    "estimate": float(stat_scale[s, t]),
                    "reference": float(np.asarray(centre_out)[s, t]),
                    "magnitude": float(stat_scale[s, t] - np.asarray(centre_out)[s, t]),
                    "statistic": value,
                    "limit": limit,
                    "p_value": math.nan,
                    "severity": abs(value) / abs(limit),
                }
            )
        rows += threshold_alerts(table, self.thresholds)
        forecasts = None
        future: list[str] = []
        if self.forecast is not None:
            with np.errstate(all="ignore"):
                mode = "estimated" if self.kind == "value" else "sampling"
                fc = run_forecasts(
                    np.asarray(y_fc, dtype=float),
                    np.asarray(meas_se, dtype=float),
                    model=self.forecast,
                    horizon=self.horizon,
                    level=self.forecast_level,
                    variance_mode=mode,
                )
            future = future_labels(order, self.horizon)
            full_index = pd.MultiIndex.from_product(
                [segments, [self.name], [*order, *future]], names=["segment", "series", "period"]
            )
            actual = np.concatenate([np.asarray(y_fc), np.full((n_seg, self.horizon), np.nan)], 1)
            forecasts = forecast_frame(fc, actual, full_index, self.forecast_level, order)
            if self.kind == "duration":  # back to hours, minutes...: geometric means
                for c in ("forecast", "lower", "upper", "actual"):
                    forecasts[c] = np.exp(forecasts[c])
            fc_rows = forecast_alert_rows(forecasts, self.forecast_level)
            rows += fc_rows
            if fc.too_short:
                notes.append(f"{fc.too_short} forecasts were not made: too few periods before them")
        alerts = rank_alerts(rows, self.tiers or DEFAULT_TIERS, self.routes, [*order, *future])
        settings = self.model_dump(mode="json")
        settings.update(
            by=list(by_cols),
            chart_description=desc,
            periods=list(order),
            n_used=int(ok.sum()),
            inference=None,
        )
        return KPIResult(
            table=table,
            alerts=alerts,
            forecasts=forecasts,
            periods=tuple(order),
            future_periods=tuple(future),
            baseline=tuple(order[: self.baseline]),
            series=(self.name,),
            by=" × ".join(by_cols) if by_cols else None,
            settings=settings,
            notes=tuple(notes),
        )

    def _z(self) -> float:
        return float(stats.norm.ppf(0.5 + self.level / 2))
