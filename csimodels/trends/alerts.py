"""Alert tiers, business thresholds and routing shared by TrendMonitor and KPIMonitor.

An alert is one row: (segment, series, period, kind, rule, ...). :class:`Threshold`
turns an absolute business limit into alerts (rule ``"threshold"``); :class:`AlertTier`
grades alerts by the rule that raised them, the number of distinct rules that agree
on the same (segment, series, period), their severity and the size of the change;
:class:`Route` maps segment, series and tier to an owner and an action.

Examples
--------
>>> from csimodels.trends import AlertTier
>>> tiers = (AlertTier(name="关注"), AlertTier(name="预警", min_rules=2),
...          AlertTier(name="严重", min_rules=2, min_magnitude=5.0))
>>> [t.name for t in tiers]
['关注', '预警', '严重']
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field, field_validator, model_validator

from csimodels._settings import Settings
from csimodels.errors import SpecificationError, format_offenders

__all__ = [
    "ALERT_COLUMNS",
    "ALERT_RULES",
    "DEFAULT_TIERS",
    "DEFAULT_TIERS_ZH",
    "AlertTier",
    "Route",
    "Threshold",
    "empty_alerts",
    "rank_alerts",
    "threshold_alerts",
]

ALERT_RULES: tuple[str, ...] = (
    "cusum",
    "ewma",
    "forecast",
    "p_chart",
    "period_over_period",
    "shewhart",
    "threshold",
    "u_chart",
)
"""Names that may appear in the ``rule`` column of an alerts table."""

ALERT_COLUMNS: list[str] = [
    "segment",
    "series",
    "period",
    "kind",
    "rule",
    "tier",
    "owner",
    "action",
    "estimate",
    "reference",
    "magnitude",
    "statistic",
    "limit",
    "p_value",
    "severity",
    "n_rules",
]
_TEXT = {"segment", "series", "period", "kind", "rule", "tier", "owner", "action"}


class Threshold(Settings):
    """An absolute business threshold on one series: alert below ``below`` or above ``above``.

    Attributes
    ----------
    series : str
        The monitored series (a survey series of :class:`TrendMonitor`, or a KPI name).
    below, above : float, optional
        Alert when the period's estimate is below / above (e.g. index < 75, complaint
        rate > 2 %: ``Threshold(series="complaints", above=0.02)``).

    Examples
    --------
    >>> Threshold(series="Satisfaction", below=75.0).below
    75.0
    """

    series: str
    below: float | None = None
    above: float | None = None

    @model_validator(mode="after")
    def _one_side(self) -> Threshold:
        if self.below is None and self.above is None:
            raise SpecificationError(
                f"Threshold on {self.series!r}: give below=..., above=... or both"
            )
        if self.below is not None and self.above is not None and self.below >= self.above:
            raise SpecificationError(
                f"Threshold on {self.series!r}: below={self.below} must be smaller than "
                f"above={self.above}"
            )
        return self


class AlertTier(Settings):
    """One alert level and the conditions an alert must meet to reach it.

    Tiers are given lowest first; an alert gets the last (highest) tier whose
    conditions it meets, and ``""`` if it meets none (it is kept, never dropped).
    Several tiers may share a name: that is an "or" of their conditions.

    Attributes
    ----------
    name : str
        Label, e.g. ``"watch"`` / ``"warning"`` / ``"critical"`` or 关注 / 预警 / 严重.
    rules : tuple of str, optional
        Rules that qualify (see :data:`ALERT_RULES`); default any.
    kinds : tuple of {"drop", "rise"}
        Directions that qualify (default both: good and bad anomalies).
    series : tuple of str, optional
        Series (indicators) the tier applies to; default all. Unknown names are
        refused at fit time.
    min_severity : float
        Least severity (|statistic| / limit, 1 at the limit).
    min_magnitude : float
        Least |estimate − reference| in the series' units (0–100 points for scores).
    min_rules : int
        Least number of distinct rules flagging the same (segment, series, period):
        the "combined evidence" of a chart, a forecast and a threshold.

    Examples
    --------
    >>> AlertTier(name="critical", min_rules=2, min_magnitude=5.0).min_rules
    2
    """

    name: str = Field(min_length=1)
    rules: tuple[str, ...] | None = None
    kinds: tuple[Literal["drop", "rise"], ...] = ("drop", "rise")
    series: tuple[str, ...] | None = None
    min_severity: float = Field(default=1.0, ge=0.0)
    min_magnitude: float = Field(default=0.0, ge=0.0)
    min_rules: int = Field(default=1, ge=1)

    @field_validator("rules")
    @classmethod
    def _known_rules(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is not None:
            unknown = sorted(set(value) - set(ALERT_RULES))
            if unknown:
                raise SpecificationError(
                    f"AlertTier: rule {format_offenders(unknown)} is unknown; rules are "
                    f"{format_offenders(sorted(ALERT_RULES))}"
                )
        return value

    def matches(self, alerts: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.bool_]]:
        """Which rows of an alerts table meet this tier's conditions."""
        ok = np.ones(len(alerts), dtype=bool)
        if self.rules is not None:
            ok &= alerts["rule"].isin(self.rules).to_numpy()
        ok &= alerts["kind"].isin(self.kinds).to_numpy()
        if self.series is not None:
            ok &= alerts["series"].isin(self.series).to_numpy()
        ok &= alerts["severity"].to_numpy(dtype=float) >= self.min_severity - 1e-12
        ok &= np.abs(alerts["magnitude"].to_numpy(dtype=float)) >= self.min_magnitude
        ok &= alerts["n_rules"].to_numpy(dtype=float) >= self.min_rules
        return ok


class Route(Settings):
    """Who handles an alert and what they do: the first matching route wins.

    Attributes
    ----------
    owner : str
        Person or team (e.g. ``"华东区域经理"``).
    action : str
        What to do (e.g. ``"visit the store within 7 days"``).
    segments, series, tiers : tuple of str, optional
        Conditions on the alert's segment, series and tier; default any. A segment
        condition matches a hierarchy node and everything below it
        (``"North"`` matches ``"North/S1"``).

    Examples
    --------
    >>> Route(owner="north team", segments=("North",)).owner
    'north team'
    """

    owner: str
    action: str = ""
    segments: tuple[str, ...] | None = None
    series: tuple[str, ...] | None = None
    tiers: tuple[str, ...] | None = None

    def matches(self, alerts: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.bool_]]:
        """Which rows of an alerts table this route applies to."""
        ok = np.ones(len(alerts), dtype=bool)
        if self.segments is not None:
            seg = alerts["segment"].astype(str)
            hit = np.zeros(len(alerts), dtype=bool)
            for s in self.segments:
                hit |= (seg == s).to_numpy() | seg.str.startswith(f"{s}/").to_numpy()
            ok &= hit
        if self.series is not None:
            ok &= alerts["series"].isin(self.series).to_numpy()
        if self.tiers is not None:
            ok &= alerts["tier"].isin(self.tiers).to_numpy()
        return ok


DEFAULT_TIERS: tuple[AlertTier, ...] = (
    AlertTier(name="watch"),
    AlertTier(name="warning", min_rules=2),
    AlertTier(name="warning", rules=("threshold",)),
    AlertTier(name="critical", min_rules=2, min_severity=2.0),
)
"""watch: any alert; warning: two rules agree, or a threshold is crossed; critical: two
rules agree and the evidence is twice the limit."""

DEFAULT_TIERS_ZH: tuple[AlertTier, ...] = tuple(
    t.model_copy(update={"name": {"watch": "关注", "warning": "预警", "critical": "严重"}[t.name]})
    for t in DEFAULT_TIERS
)
""":data:`DEFAULT_TIERS` named 关注 / 预警 / 严重."""


def empty_alerts() -> pd.DataFrame:
    """An alerts table with no rows and the right column types."""
    frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in ALERT_COLUMNS})
    return frame.astype({c: ("str" if c in _TEXT else "float64") for c in ALERT_COLUMNS})


def check_series_names(
    owner: str,
    tiers: Sequence[AlertTier],
    thresholds: Sequence[Threshold],
    routes: Sequence[Route],
    series: Sequence[str],
) -> None:
    """Refuse tiers, thresholds or routes that name a series not monitored."""
    known = set(series)
    for what, objs in (("tier", tiers), ("threshold", thresholds), ("route", routes)):
        for obj in objs:
            names = (obj.series,) if isinstance(obj.series, str) else (obj.series or ())
            unknown = sorted(set(names) - known)
            if unknown:
                label = getattr(obj, "name", getattr(obj, "owner", ""))
                raise SpecificationError(
                    f"{owner}: {what} {label!r} names indicator {format_offenders(unknown)}, "
                    f"which is not monitored; indicators: {format_offenders(sorted(known))}"
                )


def threshold_alerts(
    table: pd.DataFrame, thresholds: Sequence[Threshold], column: str = "estimate"
) -> list[dict[str, Any]]:
    """Alert rows for every (segment, series, period) whose estimate crosses a threshold.

    ``table`` is indexed (segment, series, period). Severity of a threshold breach is 1
    (the size is in ``magnitude``, the estimate minus the threshold).
    """
    rows: list[dict[str, Any]] = []
    series_level = table.index.get_level_values("series")
    for th in thresholds:
        part = table[series_level == th.series]
        values = part[column].to_numpy(dtype=float)
        for side, limit in (("below", th.below), ("above", th.above)):
            if limit is None:
                continue
            hit = values < limit if side == "below" else values > limit
            for pos in np.flatnonzero(hit):
                seg, ser, per = part.index[int(pos)]
                est = float(values[pos])
                rows.append(
                    {
                        "segment": str(seg),
                        "series": str(ser),
                        "period": str(per),
                        "kind": "drop" if side == "below" else "rise",
                        "rule": "threshold",
                        "estimate": est,
                        "reference": float(limit),
                        "magnitude": est - float(limit),
                        "statistic": est,
                        "limit": float(limit),
                        "p_value": math.nan,
                        "severity": 1.0,
                    }
                )
    return rows


def rank_alerts(
    rows: list[dict[str, Any]],
    tiers: Sequence[AlertTier] | None,
    routes: Sequence[Route],
    period_order: Sequence[str],
) -> pd.DataFrame:
    """Build the alerts table: evidence count, tier, owner/action; ranked.

    Sorted by tier (highest first), then severity, segment, series, period, rule.
    """
    if not rows:
        return empty_alerts()
    alerts = pd.DataFrame(rows)
    key = ["segment", "series", "period"]
    alerts["n_rules"] = alerts.groupby(key)["rule"].transform("nunique").astype(float)
    rank = np.full(len(alerts), -1)
    names = np.full(len(alerts), "", dtype=object)
    for i, tier in enumerate(tiers or ()):
        hit = tier.matches(alerts)
        rank = np.where(hit, i, rank)
        names = np.where(hit, tier.name, names)
    alerts["tier"] = names.astype(str)
    owner = np.full(len(alerts), "", dtype=object)
    action = np.full(len(alerts), "", dtype=object)
    done = np.zeros(len(alerts), dtype=bool)
    for route in routes:
        hit = route.matches(alerts) & ~done
        owner = np.where(hit, route.owner, owner)
        action = np.where(hit, route.action, action)
        done |= hit
    alerts["owner"] = owner.astype(str)
    alerts["action"] = action.astype(str)
    pos = {p: i for i, p in enumerate(period_order)}
    alerts["_rank"] = rank
    alerts["_period"] = alerts["period"].map(lambda p: pos.get(p, len(pos)))
    alerts = alerts.sort_values(
        ["_rank", "severity", "segment", "series", "_period", "rule"],
        ascending=[False, False, True, True, True, True],
        kind="stable",
    ).reset_index(drop=True)
    alerts = alerts[ALERT_COLUMNS]
    return alerts.astype({c: ("str" if c in _TEXT else "float64") for c in ALERT_COLUMNS})
