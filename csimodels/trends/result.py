"""TrendResult: the tables of a TrendMonitor fit, with drill-down and alert history."""

from __future__ import annotations

from typing import Any, ClassVar

import pandas as pd

from csimodels.errors import DataValidationError, format_offenders
from csimodels.results import Frame, Result

__all__ = ["TrendResult"]


class _MonitorTables:
    """Methods shared by TrendResult and KPIResult (tables indexed segment/series/period)."""

    table: pd.DataFrame
    alerts: pd.DataFrame
    forecasts: pd.DataFrame | None
    periods: tuple[str, ...]
    future_periods: tuple[str, ...]
    series: tuple[str, ...]
    settings: dict[str, Any]

    def estimates(self, column: str = "estimate") -> pd.DataFrame:
        """One column of :attr:`table` as a periods × (segment, series) frame.

        Examples
        --------
        >>> import csimodels as csi
        >>> from csimodels.trends import TrendMonitor
        >>> data = csi.datasets.load_example("acsi_demo")
        >>> TrendMonitor(series=["SAT1", "SAT2"]).fit(data).estimates().shape
        (4, 2)
        """
        if column not in self.table.columns:
            raise DataValidationError(
                f"column={column!r} is not a column of the trend table; choose one of "
                f"{format_offenders(sorted(map(str, self.table.columns)))}"
            )
        wide = self.table[column].unstack(["segment", "series"])
        return wide.reindex(list(self.periods))

    def _segment_series(self, segment: str | None, series: str | None) -> tuple[str, str]:
        segments = list(dict.fromkeys(self.table.index.get_level_values("segment")))
        seg = segments[0] if segment is None else str(segment)
        ser = self.series[0] if series is None else str(series)
        if seg not in segments:
            raise DataValidationError(
                f"segment {seg!r} is not in this result; segments: {format_offenders(segments)}"
            )
        if ser not in self.series:
            raise DataValidationError(
                f"series {ser!r} is not in this result; series: {format_offenders(self.series)}"
            )
        return seg, ser

    def plot_data(self, segment: str | None = None, series: str | None = None) -> pd.DataFrame:
        """The rows of :attr:`table` for one (segment, series), in period order.

        Defaults: the first segment and the first series. With forecasts, the
        forecast columns are joined (``forecast``, ``lower``, ``upper``...), future
        periods included.

        Examples
        --------
        >>> import csimodels as csi
        >>> from csimodels.trends import TrendMonitor
        >>> data = csi.datasets.load_example("acsi_demo")
        >>> TrendMonitor(series=["SAT1"]).fit(data).plot_data().index.tolist()
        ['2025Q1', '2025Q2', '2025Q3', '2025Q4']
        """
        seg, ser = self._segment_series(segment, series)
        rows = self.table.xs((seg, ser), level=("segment", "series"))
        assert isinstance(rows, pd.DataFrame)
        rows = rows.reindex(list(self.periods))
        if self.forecasts is not None:
            fc = self.forecasts.xs((seg, ser), level=("segment", "series"))
            assert isinstance(fc, pd.DataFrame)
            fc = fc.drop(columns=["actual", "z"]).rename(columns={"std_error": "forecast_se"})
            rows = rows.join(fc, how="outer").reindex([*self.periods, *self.future_periods])
        return rows

    def alert_history(self, segment: str) -> pd.DataFrame:
        """Every alert of one segment (and of the nodes below it), in period order.

        Examples
        --------
        >>> import csimodels as csi
        >>> from csimodels.trends import TrendMonitor
        >>> res = TrendMonitor(series=["SAT1"]).fit(csi.datasets.load_example("acsi_demo"))
        >>> list(res.alert_history("all").columns[:3])
        ['segment', 'series', 'period']
        """
        seg, _ = self._segment_series(segment, None)
        a = self.alerts
        mask = (a["segment"] == seg) | a["segment"].str.startswith(f"{seg}/")
        if seg == "all" and self.settings.get("hierarchy"):
            mask = a["segment"] == a["segment"]
        pos = {p: i for i, p in enumerate([*self.periods, *self.future_periods])}
        part = a[mask].copy()
        part["_p"] = part["period"].map(pos)
        return (
            part.sort_values(["_p", "segment", "rule"], kind="stable")
            .drop(columns="_p")
            .reset_index(drop=True)
        )

    def plot(
        self,
        kind: str | None = None,
        *,
        segment: str | None = None,
        series: str | None = None,
        ax: Any = None,
        language: str = "en",
        labels: str = "code",
    ) -> Any:
        """Charts of one (segment, series).

        ``kind="monitor"`` (default): a Figure with two panels, the score with its
        interval and target (and the forecast band when forecasts were made), and the
        control chart with its limits. ``"forecast"``: one Axes, the scores with the
        one-step forecast band, future forecasts and the alerts marked. ``"chart"``:
        the control chart alone.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import csimodels as csi
        >>> from csimodels.trends import TrendMonitor
        >>> res = TrendMonitor(series=["SAT1"]).fit(csi.datasets.load_example("acsi_demo"))
        >>> fig = res.plot()
        >>> fig.axes[1].get_ylabel()
        'ewma statistic (sigma units)'
        """
        from csimodels.trends.charts import plot_trend

        return plot_trend(
            self, kind, segment=segment, series=series, ax=ax, language=language, labels=labels
        )


class TrendResult(_MonitorTables, Result):
    """Per-period scores, changes, control chart, forecasts and alerts of a TrendMonitor.

    Attributes
    ----------
    table : DataFrame, index (segment, series, period)
        ``n``: respondents with an answer (unweighted; NaN for an index table);
        ``n_effective``: Kish effective sample size ``(Σw)²/Σw²`` (= ``n`` unweighted);
        ``weight_sum``: Σw of those respondents (= ``n`` unweighted);
        ``estimate``: mean score on 0–100 (or top-box share in percent);
        ``std_error``: its standard error (linearisation, see Notes of
        :class:`TrendMonitor`); ``ci_lower``/``ci_upper``: normal interval at ``level``;
        ``change``: estimate minus the previous period's; ``change_std_error``;
        ``statistic``: Welch t (or z) of the change (NaN when its standard error is
        0); ``df``: Welch–Satterthwaite degrees of freedom (infinite for z);
        ``p_value`` (two-sided) and ``p_value_adjusted`` (after ``p_adjust``);
        ``baseline``: True for baseline periods; ``target`` and ``sigma``: the chart's
        centre and the standard deviation used to standardise the period (0–100
        points; NaN outside the monitored periods, and when it is 0); ``z``:
        ``(estimate − target)/sigma``; ``chart_statistic``: the chart's statistic in
        sigma units (Shewhart: z; EWMA: E_t; CUSUM: C+ when C+ ≥ C−, else −C−);
        ``lower_limit``/``upper_limit``: its control limits; ``cusum_upper`` and
        ``cusum_lower`` (C+ and C−, CUSUM only, else NaN); ``signal``: ``"drop"``,
        ``"rise"`` or ``""``.
    alerts : DataFrame, one row per alert, highest tier and most severe first
        ``segment``, ``series``, ``period``; ``kind`` (``"drop"``/``"rise"``); ``rule``
        (the chart name, ``"period_over_period"``, ``"forecast"`` or
        ``"threshold"``); ``tier`` (the highest :class:`AlertTier` met, ``""`` if
        none); ``owner`` and ``action`` (first matching :class:`Route`, else ``""``);
        ``estimate``; ``reference`` (chart target, previous estimate, forecast or
        threshold); ``magnitude`` = estimate − reference; ``statistic`` (chart
        statistic, t, forecast z, or the estimate for a threshold); ``limit`` (the
        limit crossed, with the sign of the alert); ``p_value`` (adjusted change test;
        two-sided normal p of a forecast z; NaN for charts and thresholds);
        ``severity`` = |statistic| / |limit| (≥ 1; 1 for a threshold); ``n_rules``:
        distinct rules flagging the same (segment, series, period).
    targets : DataFrame, index (segment, series)
        ``target``, ``target_std_error``, ``sigma`` (the baseline sigma, or NaN when
        sigma comes from each period's standard error), ``n_baseline`` respondents.
    forecasts : DataFrame or None, index (segment, series, period)
        With ``forecast=``: one row per observed and future period: ``model`` (``""``:
        too little history), ``fitted_through`` (last period the fit used),
        ``forecast``, ``std_error`` (of the predicted observed score, sampling error
        included), ``lower``/``upper`` (interval at ``forecast_level``), ``actual``
        (NaN for future periods), ``outside`` (actual outside the interval), ``z`` =
        (actual − forecast)/std_error; with ``reconcile=`` also ``reconciled``,
        ``reconciled_lower``, ``reconciled_upper`` (future periods).
    segments : DataFrame, index segment
        ``level`` (the hierarchy column, or the ``by`` columns) and ``parent``.
    periods, future_periods, baseline, series : tuple of str
        Period order, forecast periods past the last, baseline periods, series.
    by : str or None
        Segment column(s) (``None``: one segment labelled ``"all"``).

    Examples
    --------
    >>> import csimodels as csi
    >>> from csimodels.trends import TrendMonitor
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> res = TrendMonitor(series=["SAT1"], chart="shewhart").fit(data)
    >>> int(res.table.loc[("all", "SAT1", "2025Q2"), "n"]) > 900
    True
    """

    table: Frame
    alerts: Frame
    targets: Frame
    forecasts: Frame | None = None
    segments: Frame | None = None
    periods: tuple[str, ...]
    future_periods: tuple[str, ...] = ()
    baseline: tuple[str, ...]
    series: tuple[str, ...]
    by: str | None = None

    _title: ClassVar[str] = "Trend monitoring and early warning"

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        s = self.settings
        chart = s.get("chart")
        params = {
            "ewma": f"lambda = {s.get('ewma_lambda')}, L = {s.get('ewma_width')}, "
            f"{s.get('ewma_limits')} limits",
            "cusum": f"k = {s.get('cusum_k')}, h = {s.get('cusum_h')} (sigma units)",
            "shewhart": f"L = {s.get('shewhart_width')}",
            None: "none",
        }[chart]
        header: list[tuple[str, object]] = [
            ("Series", ", ".join(self.series)),
            ("Statistic", s.get("statistic_description")),
            (
                "Segments",
                self.by
                or (
                    "hierarchy: " + " > ".join(s.get("hierarchy") or [])
                    if s.get("hierarchy")
                    else "none (all respondents)"
                ),
            ),
            ("Periods", " < ".join(self.periods)),
            ("Baseline", ", ".join(self.baseline)),
            ("Chart", f"{chart} ({params})" if chart else "none"),
            ("Sigma", s.get("sigma_description")),
            (
                "Change test",
                f"{s.get('test')} two-sided, alpha = {s.get('alpha')}, "
                f"p adjustment: {s.get('p_adjust')}",
            ),
        ]
        if self.forecasts is not None:
            header.append(
                (
                    "Forecast",
                    f"{s.get('forecast')}, {s.get('forecast_level')} intervals, rolling "
                    f"origin, measurement variance: {s.get('observation_variance')}",
                )
            )
            if s.get("reconciliation"):
                header.append(("Reconciliation", s.get("reconciliation")))
        header.append(("Alerts", len(self.alerts)))
        last = self.periods[-1]
        latest = self.table.xs(last, level="period")[
            ["n", "estimate", "std_error", "change", "p_value", "chart_statistic", "signal"]
        ]
        tables: dict[str, Any] = {f"Latest period ({last})": latest}
        if self.forecasts is not None and self.future_periods:
            nxt = self.future_periods[0]
            cols = ["model", "forecast", "lower", "upper"]
            if "reconciled" in self.forecasts.columns:
                cols.append("reconciled")
            tables[f"Forecast ({nxt})"] = self.forecasts.xs(nxt, level="period")[cols].head(30)
        if len(self.alerts):
            tables["Alerts"] = self.alerts.set_index(["segment", "series", "period"])[
                ["kind", "rule", "tier", "magnitude", "statistic", "limit", "severity"]
            ].head(20)
        return header, tables

    def drill_down(self, segment: str, series: str, period: str) -> pd.DataFrame:
        """The nodes directly below ``segment`` at ``period``: what drives its change.

        Needs a fit with ``hierarchy=``. Columns: ``estimate``, ``change``, ``share``
        (of the parent's weight in this period), ``contribution`` = share ×
        (estimate − parent's previous estimate) summed over children equals the
        parent's change when the children's shares do not move; ``signal`` and the
        child's alert count that period (``alerts``). Sorted by contribution.

        Examples
        --------
        >>> import csimodels as csi
        >>> from csimodels.trends import TrendMonitor
        >>> data = csi.datasets.load_example("acsi_demo")
        >>> res = TrendMonitor(series=["SAT1"]).fit(data, hierarchy=["region"])
        >>> res.drill_down("all", "SAT1", "2025Q4").shape[0]
        4
        """
        if self.segments is None or not self.settings.get("hierarchy"):
            raise DataValidationError(
                "drill_down needs a fit with hierarchy=[...] (nested segment columns)"
            )
        seg, ser = self._segment_series(segment, series)
        if period not in self.periods:
            raise DataValidationError(
                f"period {period!r} is not in this result; periods: "
                f"{format_offenders(self.periods)}"
            )
        children = [str(c) for c in self.segments.index[self.segments["parent"] == seg]]
        if not children:
            raise DataValidationError(f"segment {seg!r} has no nodes below it")
        t = self.table
        pos = self.periods.index(period)
        prev = self.periods[pos - 1] if pos > 0 else None
        rows = t.loc[[(c, ser, period) for c in children]]
        wsum = rows["weight_sum"].to_numpy(dtype=float)
        share = wsum / wsum.sum()
        out = pd.DataFrame(
            {
                "estimate": rows["estimate"].to_numpy(),
                "change": rows["change"].to_numpy(),
                "n": rows["n"].to_numpy(),
                "share": share,
                "signal": rows["signal"].to_numpy(),
            },
            index=pd.Index(children, name="segment"),
        )
        if prev is not None:
            parent_prev = float(t["estimate"].loc[(seg, ser, prev)])
            out["contribution"] = out["share"] * (out["estimate"] - parent_prev)
        else:
            out["contribution"] = float("nan")
        a = self.alerts
        counts = a[(a["series"] == ser) & (a["period"] == period)]["segment"].value_counts()
        out["alerts"] = [int(counts.get(c, 0)) for c in children]
        return out.sort_values("contribution", kind="stable")
