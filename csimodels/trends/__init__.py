"""Trend monitoring and early warning for repeated satisfaction surveys and KPIs.

Satisfaction programmes survey every month or quarter, per region, city or store.
:class:`TrendMonitor` turns those waves into one table per (segment, series, period):
the 0–100 score, its standard error, the change since the previous period with a
two-sample test, a control-chart statistic (EWMA, tabular CUSUM or Shewhart) with its
limits, and optionally forecasts with prediction intervals from trend models in which
each period's sampling variance is known measurement error (``forecast=``), refitted
at every period so that an actual outside its interval is an anomaly and a steady
trend is not. Hierarchies (``fit(data, hierarchy=["region", "store"])``) are
monitored at every node, and their forecasts made coherent (``reconcile=``).
:class:`KPIMonitor` charts other indicators: complaint rates (p- and u-charts),
durations (log-scale charts) and any value series. Alerts from every rule share one
table with tiers (:class:`AlertTier`), thresholds (:class:`Threshold`) and owners
(:class:`Route`); :func:`backtest` reviews how well the warnings work.

Examples
--------
>>> import csimodels as csi
>>> from csimodels.trends import TrendMonitor
>>> data = csi.datasets.load_example("acsi_demo")
>>> res = TrendMonitor(series=["SAT1", "Satisfaction"]).fit(data, by="region")
>>> res.periods
('2025Q1', '2025Q2', '2025Q3', '2025Q4')
>>> list(res.table.index.names)
['segment', 'series', 'period']
>>> again = TrendMonitor.result_type().from_json(res.to_json())
>>> again == res
True
"""

from csimodels.trends._demo import demo_section
from csimodels.trends._engine import CONTROL_CHARTS
from csimodels.trends._forecast import FORECAST_MODELS, MIN_PERIODS
from csimodels.trends._reconcile import RECONCILIATION_METHODS
from csimodels.trends.alerts import (
    ALERT_RULES,
    DEFAULT_TIERS,
    DEFAULT_TIERS_ZH,
    AlertTier,
    Route,
    Threshold,
)
from csimodels.trends.backtest import BacktestResult, backtest, propose_threshold
from csimodels.trends.kpi import KPIMonitor, KPIResult
from csimodels.trends.model import TrendMonitor
from csimodels.trends.result import TrendResult

__all__ = [
    "ALERT_RULES",
    "CONTROL_CHARTS",
    "DEFAULT_TIERS",
    "DEFAULT_TIERS_ZH",
    "FORECAST_MODELS",
    "MIN_PERIODS",
    "RECONCILIATION_METHODS",
    "AlertTier",
    "BacktestResult",
    "KPIMonitor",
    "KPIResult",
    "Route",
    "Threshold",
    "TrendMonitor",
    "TrendResult",
    "backtest",
    "demo_section",
    "propose_threshold",
]
