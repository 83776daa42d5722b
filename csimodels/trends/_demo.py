"""The trends section of ``csimodels demo``."""

from __future__ import annotations

from csimodels.trends.model import TrendMonitor

__all__ = ["demo_section"]


def demo_section() -> str:
    """Trend monitoring on the ``acsi_demo`` survey: scores by region, alerts.

    Tracks the Satisfaction construct and the SAT1 item per region over the four
    quarters with an EWMA chart (baseline 2025Q1) and Welch tests of each quarter's
    change; returns the report as text.

    Examples
    --------
    >>> text = demo_section()
    >>> "Satisfaction" in text and "alerts" in text
    True
    """
    import csimodels as csi

    data = csi.datasets.load_example("acsi_demo")
    res = TrendMonitor(series=["Satisfaction", "SAT1"]).fit(data, by="region")
    wide = res.estimates().xs("Satisfaction", axis=1, level="series")
    lines = [
        "Satisfaction (满意度, 0-100) by region and quarter, weighted; EWMA chart "
        "(lambda 0.2, L 3, exact limits) against the 2025Q1 baseline, Welch test of "
        "each quarter's change:",
        "",
        wide.round(2).to_string(),
        "",
    ]
    latest = res.table.xs(res.periods[-1], level="period")
    lines.append(f"Latest quarter {res.periods[-1]} (change vs previous quarter):")
    for key, row in latest.iterrows():
        seg, ser = (str(part) for part in key)  # type: ignore[union-attr]
        lines.append(
            f"  {seg:<6} {ser:<13} {row['estimate']:6.2f} ± {row['std_error']:.2f}  "
            f"change {row['change']:+5.2f} (p = {row['p_value']:.3f})  "
            f"EWMA {row['chart_statistic']:+.3f} / ±{row['upper_limit']:.3f}"
            f"{'  ' + row['signal'].upper() if row['signal'] else ''}"
        )
    lines += ["", f"{len(res.alerts)} alerts, most severe first:"]
    for _, a in res.alerts.head(8).iterrows():
        detail = (
            f"p = {a['p_value']:.4f}"
            if a["rule"] == "period_over_period"
            else f"statistic {a['statistic']:+.3f} vs limit {a['limit']:+.3f}"
        )
        lines.append(
            f"  {a['period']} {a['segment']:<6} {a['series']:<13} {a['kind']:<4} "
            f"{a['rule']:<18} {a['magnitude']:+6.2f} points  {detail}"
        )
    return "\n".join(lines)
