"""Charts of the events results, drawn with csimodels.plotting (matplotlib on demand)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from csimodels.errors import DataValidationError
from csimodels.plotting import PALETTE, axes_for, check_plot_options, use_language

if TYPE_CHECKING:
    from csimodels.events.complaints import ComplaintResult
    from csimodels.events.retention import RetentionResult
    from csimodels.events.value import SatisfactionValueResult

__all__ = ["plot_complaints", "plot_retention", "plot_value"]

_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "survival_title": "Retention curve (Kaplan–Meier)",
        "survival_x": "Months since first activity",
        "survival_y": "Share still active",
        "trend_title": "Churned share of managed customers",
        "trend_y": "Share churned",
        "period": "Period",
        "churn_title": "Churn rate per period",
        "churn_y": "Churn rate",
        "cohort_title": "Cohort retention",
        "cohort_x": "Periods since first activity",
        "cohort_y": "Cohort",
        "pareto_title": "Complaint reasons (Pareto)",
        "pareto_y": "Complaints",
        "cumulative": "Cumulative share",
        "rate_title": "Complaints per 1,000",
        "rate_y": "Rate per 1,000",
        "kpi_title": "Complaint handling",
        "kpi_y": "Hours (median)",
        "reply": "first reply",
        "resolution": "resolution",
        "level_title": "Retention by satisfaction level",
        "level_x": "Satisfaction level",
        "level_y": "Share retained",
        "value_title": "Predicted retention by satisfaction index",
        "value_x": "Satisfaction index",
    },
    "zh": {
        "survival_title": "客户保持曲线(Kaplan–Meier)",
        "survival_x": "首次来店后的月数",
        "survival_y": "仍活跃客户比例",
        "trend_title": "管理客户中的流失比例",
        "trend_y": "流失比例",
        "period": "期间",
        "churn_title": "各期客户流失率",
        "churn_y": "流失率",
        "cohort_title": "客户群组保持率",
        "cohort_x": "首次来店后的期数",
        "cohort_y": "群组",
        "pareto_title": "投诉原因(帕累托图)",
        "pareto_y": "投诉数",
        "cumulative": "累计比例",
        "rate_title": "每千人投诉率",
        "rate_y": "每千人投诉数",
        "kpi_title": "投诉处理时效",
        "kpi_y": "小时(中位数)",
        "reply": "首次回复",
        "resolution": "解决",
        "level_title": "各满意度等级的客户保持率",
        "level_x": "满意度等级",
        "level_y": "保持率",
        "value_title": "满意度指数与预测保持率",
        "value_x": "满意度指数",
    },
}


def _group_label(key: Any) -> str:
    if isinstance(key, tuple):
        return " × ".join(str(k) for k in key)
    return str(key)


def plot_retention(
    result: RetentionResult, kind: str | None, *, ax: Any, language: str, labels: str
) -> Any:
    chosen = check_plot_options(
        kind=kind,
        kinds=("survival", "status_trend", "churn", "cohorts"),
        language=language,
        labels=labels,
        owner="RetentionResult",
    )
    text = _TEXT[language]
    with use_language(language):
        _, axes = axes_for(ax, figsize=(7.0, 4.2))
        if chosen == "survival":
            curve = result.survival
            if curve.empty:
                raise DataValidationError("no customer is at risk: the retention curve is empty")
            for j, (name, part) in enumerate(curve.groupby("group", sort=False)):
                color = PALETTE[j % len(PALETTE)]
                x = np.concatenate([[0.0], part["time"].to_numpy()])
                y = np.concatenate([[1.0], part["survival"].to_numpy()])
                axes.step(x, y, where="post", color=color, label=str(name))
                lo = np.concatenate([[1.0], part["ci_lower"].to_numpy()])
                hi = np.concatenate([[1.0], part["ci_upper"].to_numpy()])
                axes.fill_between(x, lo, hi, step="post", color=color, alpha=0.2, linewidth=0)
            axes.set_ylim(0, 1.02)
            axes.set_xlabel(text["survival_x"])
            axes.set_ylabel(text["survival_y"])
            axes.set_title(text["survival_title"])
            if curve["group"].nunique() > 1:
                axes.legend()
        elif chosen in ("status_trend", "churn"):
            trend = chosen == "status_trend"
            _period_lines(
                axes,
                result.status_trend if trend else result.churn_rates,
                "share_churned" if trend else "churn_rate",
                text,
                ylabel=text["trend_y" if trend else "churn_y"],
                title=text["trend_title" if trend else "churn_title"],
            )
        else:
            shares = result.cohorts.to_numpy(dtype=float)
            image = axes.imshow(shares, aspect="auto", cmap="Blues", vmin=0, vmax=1)
            axes.set_yticks(np.arange(shares.shape[0]))
            axes.set_yticklabels(list(result.cohorts.index))
            from matplotlib.ticker import MaxNLocator

            axes.xaxis.set_major_locator(MaxNLocator(integer=True))
            axes.set_xlabel(text["cohort_x"])
            axes.set_ylabel(text["cohort_y"])
            axes.set_title(text["cohort_title"])
            axes.figure.colorbar(image, ax=axes)
    return axes


def _period_lines(
    axes: Any, table: pd.DataFrame, column: str, text: dict[str, str], *, ylabel: str, title: str
) -> None:
    """One line per group over the periods of ``table[column]`` (index period, groups...)."""
    group_levels = list(table.index.names[1:])
    wide = table[column].unstack(group_levels) if group_levels else table[column]
    periods = list(dict.fromkeys(table.index.get_level_values("period")))
    wide = wide.reindex(periods)
    frame = wide if isinstance(wide, pd.DataFrame) else wide.to_frame()
    x = np.arange(len(periods))
    for j, col in enumerate(frame.columns):
        axes.plot(
            x,
            frame[col].to_numpy(dtype=float),
            marker="o",
            markersize=3,
            color=PALETTE[j % len(PALETTE)],
            label=_group_label(col),
        )
    _period_ticks(axes, x, [str(p) for p in periods], text)
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    if frame.shape[1] > 1:
        axes.legend(fontsize="small")


def _period_ticks(axes: Any, x: Any, periods: list[str], text: dict[str, str]) -> None:
    """At most about twelve period ticks, rotated."""
    step = max(1, len(periods) // 12)
    axes.set_xticks(x[::step])
    axes.set_xticklabels(periods[::step], rotation=45)
    axes.set_xlabel(text["period"])


def plot_complaints(
    result: ComplaintResult, kind: str | None, *, ax: Any, language: str, labels: str
) -> Any:
    chosen = check_plot_options(
        kind=kind,
        kinds=("pareto", "rates", "handling"),
        language=language,
        labels=labels,
        owner="ComplaintResult",
    )
    text = _TEXT[language]
    with use_language(language):
        _, axes = axes_for(ax, figsize=(7.0, 4.2))
        if chosen == "pareto":
            table = result.reasons
            if table.empty:
                raise DataValidationError("the log has no complaint reasons to chart")
            x = np.arange(len(table))
            colors = [PALETTE[0] if v else "#B0B0B0" for v in table["vital_few"]]
            axes.bar(x, table["complaints"].to_numpy(), color=colors)
            axes.set_xticks(x)
            axes.set_xticklabels([str(r) for r in table.index], rotation=30, ha="right")
            axes.set_ylabel(text["pareto_y"])
            twin = axes.twinx()
            twin.plot(x, table["cumulative_share"].to_numpy(), color=PALETTE[3], marker="o")
            twin.axhline(0.8, color="grey", linestyle="--", linewidth=0.8)
            twin.set_ylim(0, 1.05)
            twin.set_ylabel(text["cumulative"])
            axes.set_title(text["pareto_title"])
        elif chosen == "rates":
            _period_lines(
                axes,
                result.rates,
                "rate",
                text,
                ylabel=text["rate_y"],
                title=text["rate_title"],
            )
        else:
            table = result.handling_by_period
            x = np.arange(len(table))
            axes.plot(
                x,
                table["median_hours_to_reply"].to_numpy(dtype=float),
                marker="o",
                color=PALETTE[0],
                label=text["reply"],
            )
            axes.plot(
                x,
                table["median_hours_to_resolution"].to_numpy(dtype=float),
                marker="s",
                color=PALETTE[1],
                label=text["resolution"],
            )
            _period_ticks(axes, x, [str(p) for p in table.index], text)
            axes.set_ylabel(text["kpi_y"])
            axes.set_title(text["kpi_title"])
            axes.legend()
    return axes


def plot_value(
    result: SatisfactionValueResult, kind: str | None, *, ax: Any, language: str, labels: str
) -> Any:
    chosen = check_plot_options(
        kind=kind,
        kinds=("levels", "curve"),
        language=language,
        labels=labels,
        owner="SatisfactionValueResult",
    )
    text = _TEXT[language]
    with use_language(language):
        _, axes = axes_for(ax, figsize=(6.4, 4.2))
        if chosen == "levels":
            table = result.retention_by_level
            x = np.arange(len(table))
            y = table["retention"].to_numpy(dtype=float)
            err = np.vstack([y - table["ci_lower"].to_numpy(), table["ci_upper"].to_numpy() - y])
            axes.bar(x, y, color=PALETTE[0], yerr=err, capsize=3)
            axes.set_xticks(x)
            axes.set_xticklabels([str(i) for i in table.index])
            axes.set_ylim(0, 1.05)
            axes.set_xlabel(text["level_x"])
            axes.set_ylabel(text["level_y"])
            axes.set_title(text["level_title"])
        else:
            curve = result.curve
            axes.plot(curve["index"], curve["retention"], color=PALETTE[0])
            axes.fill_between(
                curve["index"],
                curve["ci_lower"],
                curve["ci_upper"],
                color=PALETTE[0],
                alpha=0.2,
                linewidth=0,
            )
            axes.set_ylim(0, 1.02)
            axes.set_xlabel(text["value_x"])
            axes.set_ylabel(text["level_y"])
            axes.set_title(text["value_title"])
    return axes
