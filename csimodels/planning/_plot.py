"""Charts of a plan: the cost–uplift frontier and the allocation of resources."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from csimodels.plotting import (
    PALETTE,
    axes_for,
    check_plot_options,
    display_labels,
    use_language,
)

if TYPE_CHECKING:
    from csimodels.planning.result import PlanResult

KINDS = ("frontier", "allocation")
MAX_SEGMENTS = 25

_TEXT = {
    "en": {
        "uplift": "uplift of {t} (index points)",
        "cost": "cost",
        "frontier": "Least cost of each uplift",
        "plan": "the plan",
        "allocation": "Planned cost by segment and driver",
        "segment": "segment",
    },
    "zh": {
        "uplift": "{t} 提升（指数点）",
        "cost": "成本",
        "frontier": "各提升幅度的最低成本",
        "plan": "本计划",
        "allocation": "各区域、各指标的计划投入",
        "segment": "区域",
    },
}


def plot_plan(plan: PlanResult, *, kind: str | None, ax: Any, language: str, labels: str) -> Any:
    """Draw ``kind`` of ``plan`` (see :meth:`PlanResult.plot`)."""
    chosen = check_plot_options(
        kind=kind, kinds=KINDS, language=language, labels=labels, owner="PlanResult"
    )
    text = _TEXT[language]
    with use_language(language) as rc:
        if chosen == "frontier":
            out = _frontier(plan, ax, text)
        else:
            out = _allocation(plan, ax, text, labels)
        _keep_fonts(out, rc.get("font.sans-serif"))
    return out


def _keep_fonts(ax: Any, families: Any) -> None:
    """Pin the CJK font on the chart's texts, so it also renders after the rc context.

    matplotlib looks fonts up when the figure is drawn (saved or shown), by then
    outside :func:`use_language`; text without an explicit family would fall back
    to a font without Chinese glyphs.
    """
    if not families:
        return
    family = list(families)
    texts = [ax.title, ax.xaxis.label, ax.yaxis.label]
    legend = ax.get_legend()
    if legend is not None:
        texts.extend(legend.get_texts())
    for t in texts:
        t.set_fontfamily(family)
    ax.tick_params(labelfontfamily=family[0])


def _frontier(plan: PlanResult, ax: Any, text: dict[str, str]) -> Any:
    _, ax = axes_for(ax)
    f = plan.frontier
    ax.plot(f["uplift"], f["cost"], marker="o", color=PALETTE[0], lw=1.5, ms=3)
    o = plan.overview
    if plan.status == "optimal":
        ax.scatter(
            [o["uplift"]], [o["total_cost"]], color=PALETTE[3], zorder=3, label=text["plan"], s=40
        )
        ax.legend(frameon=False)
    ax.set_xlabel(text["uplift"].format(t=plan.target))
    ax.set_ylabel(text["cost"])
    ax.set_title(text["frontier"])
    ax.grid(alpha=0.3)
    return ax


def _allocation(plan: PlanResult, ax: Any, text: dict[str, str], labels: str) -> Any:
    alloc = plan.allocation
    cost = alloc["cost"].unstack("driver")
    segs = list(plan.segments.index)
    drivers = list(dict.fromkeys(alloc.index.get_level_values("driver")))
    cost = cost.loc[segs, drivers]
    used = [d for d in drivers if cost[d].sum() > 0] or drivers[:1]
    order = cost.sum(axis=1).sort_values(ascending=False).index[:MAX_SEGMENTS][::-1]
    cost = cost.loc[order, used]
    _, ax = axes_for(ax, figsize=(6.4, max(2.4, 0.35 * len(cost) + 1.5)))
    names = display_labels(
        used,
        labels,
        dict(zip(alloc.index.get_level_values("driver"), alloc["label"], strict=False)),
    )
    left = np.zeros(len(cost))
    ylabels = [str(s) for s in cost.index]
    for j, d in enumerate(used):
        values = cost[d].to_numpy(dtype=float)
        ax.barh(ylabels, values, left=left, color=PALETTE[j % len(PALETTE)], label=names[j])
        left += values
    ax.set_xlabel(text["cost"])
    if len(segs) > 1:
        ax.set_ylabel(text["segment"])
    ax.set_title(text["allocation"])
    ax.legend(frameon=False, fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax
