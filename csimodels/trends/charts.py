"""Charts of trend and KPI results, on the shared plotting layer."""

from __future__ import annotations

from typing import Any

import numpy as np

from csimodels.plotting import (
    PALETTE,
    axes_for,
    check_plot_options,
    cjk_font,
    pyplot,
    use_language,
)

__all__ = ["plot_trend"]

_TEXT = {
    "en": {
        "score": "score (0-100)",
        "target": "target",
        "forecast": "forecast",
        "band": "forecast interval",
        "alert": "alert",
        "stat": "{chart} statistic (sigma units)",
        "value": "value",
    },
    "zh": {
        "score": "得分 (0-100)",
        "target": "目标",
        "forecast": "预测",
        "band": "预测区间",
        "alert": "预警",
        "stat": "{chart} 统计量 (σ)",
        "value": "数值",
    },
}


def _forecast_layer(ax: Any, frame: Any, x: Any, text: dict[str, str]) -> None:
    if "forecast" not in frame.columns:
        return
    f = frame["forecast"].to_numpy(dtype=float)
    lo = frame["lower"].to_numpy(dtype=float)
    hi = frame["upper"].to_numpy(dtype=float)
    ok = ~np.isnan(f)
    if not ok.any():
        return
    ax.fill_between(x[ok], lo[ok], hi[ok], color=PALETTE[5], alpha=0.25, label=text["band"])
    ax.plot(x[ok], f[ok], linestyle=":", marker=".", color=PALETTE[5], label=text["forecast"])
    if "reconciled" in frame.columns:
        r = frame["reconciled"].to_numpy(dtype=float)
        rk = ~np.isnan(r)
        if rk.any():
            ax.plot(
                x[rk], r[rk], marker="D", linestyle="none", color=PALETTE[2], label="reconciled"
            )
    out = frame["outside"].fillna(False).to_numpy(dtype=bool)
    est = frame["estimate"].to_numpy(dtype=float)
    if out.any():
        ax.scatter(
            x[out],
            est[out],
            s=90,
            facecolors="none",
            edgecolors=PALETTE[3],
            linewidths=2,
            zorder=4,
            label=text["alert"],
        )


def plot_trend(
    result: Any,
    kind: str | None,
    *,
    segment: str | None,
    series: str | None,
    ax: Any,
    language: str,
    labels: str,
) -> Any:
    """Draw a TrendResult or KPIResult chart (see their ``plot``)."""
    owner = type(result).__name__
    chosen = check_plot_options(
        kind=kind,
        kinds=("monitor", "forecast", "chart"),
        language=language,
        labels=labels,
        owner=owner,
    )
    frame = result.plot_data(segment, series)
    seg, ser = result._segment_series(segment, series)
    name = ser
    if labels == "label":
        name = result.settings.get("labels", {}).get(ser, ser)
    text = _TEXT[language]
    chart_name = result.settings.get("chart") or "chart"
    x = np.arange(len(frame))
    ticks = [str(p) for p in frame.index]
    ylabel = text["score"] if owner == "TrendResult" else text["value"]
    with use_language(language):
        if chosen == "monitor":
            plt = pyplot()
            if ax is not None:
                top, bottom = ax
                fig = top.figure
            else:
                fig, (top, bottom) = plt.subplots(
                    2, 1, sharex=True, figsize=(7, 5), layout="constrained"
                )
            axes = [top, bottom]
        else:
            fig, single = axes_for(ax, figsize=(7, 3.6))
            axes = [single]
        if chosen in ("monitor", "forecast"):
            a0 = axes[0]
            est = frame["estimate"].to_numpy(dtype=float)
            lo = est - frame["ci_lower"].to_numpy(dtype=float)
            hi = frame["ci_upper"].to_numpy(dtype=float) - est
            a0.errorbar(x, est, yerr=[lo, hi], marker="o", capsize=3, color=PALETTE[0], label=name)
            if "target" in frame.columns and frame["target"].notna().any():
                a0.plot(x, frame["target"], linestyle="--", color="grey", label=text["target"])
            _forecast_layer(a0, frame, x, text)
            a0.set_ylabel(ylabel)
            a0.set_title(f"{name} - {seg}")
            a0.legend(loc="best", fontsize="small")
            a0.set_xticks(x, ticks, rotation=45 if len(ticks) > 6 else 0)
        if chosen in ("monitor", "chart"):
            a1 = axes[-1]
            a1.plot(x, frame["chart_statistic"], marker="o", color=PALETTE[0])
            a1.plot(x, frame["upper_limit"], linestyle="--", color=PALETTE[3])
            a1.plot(x, frame["lower_limit"], linestyle="--", color=PALETTE[3])
            hit = (frame["signal"].fillna("") != "").to_numpy()
            a1.scatter(x[hit], frame["chart_statistic"].to_numpy()[hit], color=PALETTE[3], zorder=3)
            a1.set_ylabel(text["stat"].format(chart=chart_name))
            a1.set_xticks(x, ticks, rotation=45 if len(ticks) > 6 else 0)
        family = cjk_font() if language == "zh" else None
        if family is not None:
            # generic families are resolved when the figure is drawn, which may be after
            # the rc context ends (savefig later): pin the CJK font on every text
            from matplotlib.text import Text

            for item in fig.findobj(Text):
                item.set_fontfamily([family, "DejaVu Sans"])
    if chosen == "monitor":
        return fig
    return axes[0]
