"""Review of the warnings on history: coverage, false alarms, detection delay, thresholds.

The practice guides ask for periodic review of how well the warnings work and for
thresholds adjusted to it (seed 000, §5.3). :func:`backtest` scores a fitted
:class:`TrendResult` or :class:`KPIResult` against the changes known to have happened
(``changes``: segment, series and the first changed period; injected in a simulation
or recorded by the business): forecast interval coverage and alert rates on the
unchanged (segment, series, period) cells, and, for each change, whether and how many
periods later each rule alerted. :func:`propose_threshold` turns the unchanged cells'
statistics into the limit that gives a target false-alarm rate.

Examples
--------
>>> import csimodels as csi
>>> from csimodels.trends import TrendMonitor, backtest
>>> res = TrendMonitor(series=["SAT1"], forecast="drift").fit(
...     csi.datasets.load_example("acsi_demo"), by="region")
>>> bt = backtest(res)
>>> list(bt.rates.columns)
['alerts', 'cells', 'false_alarm_rate']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from csimodels._lazy import lazy_module
from csimodels.errors import DataValidationError, format_offenders
from csimodels.results import Frame, Result
from csimodels.trends.kpi import KPIResult
from csimodels.trends.result import TrendResult

stats = lazy_module("scipy.stats")

__all__ = ["BacktestResult", "backtest", "propose_threshold"]


class BacktestResult(Result):
    """How a monitor's warnings performed on history.

    Attributes
    ----------
    coverage : DataFrame, index segment (plus ``"(all)"``)
        ``forecasts``: one-step forecasts with an actual, on unchanged cells;
        ``inside``: share of actuals inside their interval; ``nominal``: the interval
        level; ``mc_error``: binomial standard error ``sqrt(c(1 − c)/n)`` at nominal.
    rates : DataFrame, index rule
        ``alerts`` on unchanged monitored cells, ``cells`` monitored and unchanged,
        ``false_alarm_rate`` = alerts / cells (per segment-series-period).
    detections : DataFrame, one row per (change, rule)
        ``segment``, ``series``, ``start`` (first changed period), ``rule``,
        ``detected`` (bool), ``delay`` (periods from the start to the first alert of
        the rule in that segment and series at or after it; NaN if none).

    Examples
    --------
    >>> BacktestResult.__name__
    'BacktestResult'
    """

    coverage: Frame
    rates: Frame
    detections: Frame

    _title: ClassVar[str] = "Back-test of the warnings"

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        header: list[tuple[str, object]] = [
            ("Changes", self.settings.get("n_changes")),
            ("Forecast level", self.settings.get("forecast_level")),
        ]
        tables: dict[str, Any] = {"False-alarm rates": self.rates}
        if len(self.coverage):
            tables["Interval coverage"] = self.coverage.tail(1)
        if len(self.detections):
            tables["Detection by rule"] = (
                self.detections.groupby("rule")
                .agg(detected=("detected", "mean"), mean_delay=("delay", "mean"))
                .astype(float)
            )
        return header, tables


def _changed_mask(
    result: TrendResult | KPIResult, changes: pd.DataFrame | None
) -> tuple[pd.Series, list[tuple[str, str, int]]]:
    index = result.table.index
    changed = pd.Series(False, index=index)
    events: list[tuple[str, str, int]] = []
    if changes is None:
        return changed, events
    need = ["segment", "series", "start"]
    missing = [c for c in need if c not in changes.columns]
    if missing:
        raise DataValidationError(
            f"backtest: changes needs columns segment, series, start; missing "
            f"{format_offenders(missing)}"
        )
    pos = {p: i for i, p in enumerate(result.periods)}
    segs = set(index.get_level_values("segment"))
    for seg, ser, start in changes[need].itertuples(index=False, name=None):
        if str(start) not in pos:
            raise DataValidationError(
                f"backtest: change start {start!r} is not a period of the result; periods: "
                f"{format_offenders(result.periods)}"
            )
        if str(seg) not in segs or str(ser) not in result.series:
            raise DataValidationError(
                f"backtest: change at segment {seg!r} / series {ser!r} is not in the result"
            )
        events.append((str(seg), str(ser), pos[str(start)]))
        for p in result.periods[pos[str(start)] :]:
            changed.loc[(str(seg), str(ser), p)] = True
    return changed, events


def backtest(
    result: TrendResult | KPIResult,
    changes: pd.DataFrame | None = None,
    *,
    rules: Sequence[str] | None = None,
) -> BacktestResult:
    """Score the alerts and forecasts of a fitted monitor against known changes.

    Parameters
    ----------
    result : TrendResult or KPIResult
    changes : DataFrame, optional
        Columns ``segment``, ``series``, ``start``: each lasting change and its first
        period. Cells from ``start`` on count as changed; all others as unchanged.
    rules : list of str, optional
        Rules to score (default: every rule that could alert in the result).

    Returns
    -------
    BacktestResult
    """
    if not isinstance(result, (TrendResult, KPIResult)):
        raise DataValidationError(
            f"backtest takes a TrendResult or KPIResult, got {type(result).__name__}"
        )
    changed, events = _changed_mask(result, changes)
    t = result.table
    monitored = t["baseline"].to_numpy() == False  # noqa: E712
    if rules is None:
        chart = result.settings.get("chart")
        found = set(result.alerts["rule"])
        rules = sorted(found | ({str(chart)} if chart else set()))
        if result.forecasts is not None:
            rules = sorted(set(rules) | {"forecast"})
    alerts = result.alerts
    key = pd.MultiIndex.from_frame(alerts[["segment", "series", "period"]])
    unchanged_cells = monitored & ~changed.to_numpy() & t["estimate"].notna().to_numpy()
    rate_rows = {}
    for rule in rules:
        hits = pd.Series(False, index=t.index)
        sel = alerts["rule"].to_numpy() == rule
        hits.loc[key[sel].unique()] = True
        n_cells = int(unchanged_cells.sum())
        n_alerts = int((hits.to_numpy() & unchanged_cells).sum())
        rate_rows[rule] = {
            "alerts": float(n_alerts),
            "cells": float(n_cells),
            "false_alarm_rate": n_alerts / n_cells if n_cells else float("nan"),
        }
    rates = pd.DataFrame.from_dict(rate_rows, orient="index")
    rates.index.name = "rule"
    if rates.empty:
        rates = pd.DataFrame(columns=["alerts", "cells", "false_alarm_rate"], dtype=float)
    level = float(result.settings.get("forecast_level", 0.95))
    cov_rows = {}
    if result.forecasts is not None:
        fc = result.forecasts.reindex(t.index)
        usable = fc["forecast"].notna() & fc["actual"].notna() & ~changed
        for seg, part in fc[usable].groupby(level="segment", sort=False):
            cov_rows[str(seg)] = part
        cov_rows["(all)"] = fc[usable]
    coverage = pd.DataFrame(
        {
            name: {
                "forecasts": float(len(part)),
                "inside": float((~part["outside"]).mean()) if len(part) else float("nan"),
                "nominal": level,
                "mc_error": float(np.sqrt(level * (1 - level) / len(part)))
                if len(part)
                else float("nan"),
            }
            for name, part in cov_rows.items()
        }
    ).T
    if coverage.empty:
        coverage = pd.DataFrame(columns=["forecasts", "inside", "nominal", "mc_error"], dtype=float)
    coverage.index.name = "segment"
    det_rows = []
    pos = {p: i for i, p in enumerate(result.periods)}
    for ev_seg, ev_ser, start in events:
        for rule in rules:
            sel = (
                (alerts["segment"] == ev_seg)
                & (alerts["series"] == ev_ser)
                & (alerts["rule"] == rule)
            )
            times = sorted(
                pos[p] for p in alerts.loc[sel, "period"] if p in pos and pos[p] >= start
            )
            det_rows.append(
                {
                    "segment": ev_seg,
                    "series": ev_ser,
                    "start": result.periods[start],
                    "rule": rule,
                    "detected": bool(times),
                    "delay": float(times[0] - start) if times else float("nan"),
                }
            )
    detections = pd.DataFrame(
        det_rows, columns=pd.Index(["segment", "series", "start", "rule", "detected", "delay"])
    ).astype(
        {"segment": str, "series": str, "start": str, "rule": str, "detected": bool, "delay": float}
    )
    return BacktestResult(
        coverage=coverage.astype(float),
        rates=rates.astype(float),
        detections=detections,
        settings={"n_changes": len(events), "forecast_level": level, "rules": list(rules)},
    )


def propose_threshold(
    result: TrendResult | KPIResult,
    target_rate: float,
    *,
    rule: str = "forecast",
    changes: pd.DataFrame | None = None,
) -> dict[str, float]:
    """The limit that would have given ``target_rate`` false alarms on unchanged cells.

    For ``rule="forecast"`` the |z| of actual against forecast; for a chart rule
    (``"shewhart"``, ``"ewma"``, ``"cusum"``, ``"p_chart"``, ``"u_chart"``) the
    chart statistic relative to its current limit. Returns ``limit`` (in the rule's
    statistic units), the implied setting (``forecast_level`` for forecasts,
    ``width`` multiplier otherwise), the empirical quantile used and ``cells``.

    Examples
    --------
    >>> import csimodels as csi
    >>> from csimodels.trends import TrendMonitor, propose_threshold
    >>> res = TrendMonitor(series=["SAT1"], chart="shewhart").fit(
    ...     csi.datasets.load_example("acsi_demo"), by="region")
    >>> sorted(propose_threshold(res, 0.05, rule="shewhart"))
    ['cells', 'limit', 'quantile', 'width_multiplier']
    """
    if not 0.0 < target_rate < 1.0:
        raise DataValidationError(
            f"propose_threshold: target_rate must be in (0, 1), got {target_rate!r}"
        )
    changed, _ = _changed_mask(result, changes)
    t = result.table
    if rule == "forecast":
        if result.forecasts is None:
            raise DataValidationError("propose_threshold: the result has no forecasts")
        z = result.forecasts.reindex(t.index)["z"]
        vals = np.abs(z[~changed].to_numpy(dtype=float))
    else:
        if "chart_statistic" not in t.columns:  # pragma: no cover - every result has it
            raise DataValidationError("propose_threshold: no chart statistic")
        ratio = (t["chart_statistic"] / t["upper_limit"]).abs()
        vals = ratio[~changed].to_numpy(dtype=float)
    vals = vals[np.isfinite(vals)]
    if vals.size < 10:
        raise DataValidationError(
            f"propose_threshold: {vals.size} unchanged cells with a statistic; need at "
            "least 10 to estimate a quantile"
        )
    q = float(np.quantile(vals, 1.0 - target_rate))
    if rule == "forecast":
        return {
            "limit": q,
            "forecast_level": float(2 * stats.norm.cdf(q) - 1),
            "quantile": 1.0 - target_rate,
            "cells": float(vals.size),
        }
    return {
        "limit": q,
        "width_multiplier": q,
        "quantile": 1.0 - target_rate,
        "cells": float(vals.size),
    }
