"""Charts of the exploratory results, built on csimodels.plotting."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from csimodels.plotting import (
    axes_for,
    check_plot_options,
    display_labels,
    use_language,
)

if TYPE_CHECKING:
    from csimodels.explore.efa import EFAResult
    from csimodels.explore.segmentation import SegmentationResult

_TEXT = {
    "en": {
        "scree": "Scree plot",
        "factor": "Factor",
        "eigen": "Eigenvalue",
        "observed": "Observed",
        "random": "Random data ({q:.0%} quantile)",
        "kaiser": "Eigenvalue = 1",
        "loadings": "Factor loadings",
        "profiles": "Segment profiles",
        "mean": "Mean answer",
        "segment": "Segment",
        "choice": "Choice of k",
        "k": "Number of segments k",
    },
    "zh": {
        "scree": "碎石图",
        "factor": "因子",
        "eigen": "特征值",
        "observed": "实际数据",
        "random": "随机数据（{q:.0%} 分位数）",
        "kaiser": "特征值 = 1",
        "loadings": "因子载荷",
        "profiles": "细分群体画像",
        "mean": "平均得分",
        "segment": "群体",
        "choice": "k 的选择",
        "k": "群体数 k",
    },
}


def plot_efa(res: EFAResult, kind: str | None, *, ax: Any, language: str, labels: str) -> Any:
    chosen = check_plot_options(
        kind=kind,
        kinds=("scree", "loadings"),
        language=language,
        labels=labels,
        owner="EFAResult",
    )
    t = _TEXT[language]
    with use_language(language):
        if chosen == "scree":
            fig, ax = axes_for(ax)
            ev = res.eigenvalues["eigenvalue"]
            x = np.asarray(ev.index)
            ax.plot(x, ev.to_numpy(), marker="o", label=t["observed"])
            if res.parallel is not None:
                ax.plot(
                    x,
                    res.parallel["simulated_pc_quantile"].to_numpy(),
                    marker="x",
                    linestyle="--",
                    label=t["random"].format(q=res.settings["parallel_quantile"]),
                )
            ax.axhline(1.0, color="grey", linewidth=0.8, linestyle=":", label=t["kaiser"])
            k = int(res.settings["n_factors"])
            ax.axvline(k + 0.5, color="grey", linewidth=0.6)
            ax.set_xlabel(t["factor"])
            ax.set_ylabel(t["eigen"])
            ax.set_xticks(x)
            ax.set_title(t["scree"])
            ax.legend()
            return ax
        load = res.loadings
        p, k = load.shape
        fig, ax = axes_for(ax, figsize=(1.2 + 0.9 * k + 2.0, 1.0 + 0.32 * p))
        im = ax.imshow(load.to_numpy(), cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto")
        names = display_labels(
            list(load.index),
            labels,
            res.settings.get("labels")
            and dict(zip(res.settings["items"], res.settings["labels"], strict=True)),
        )
        ax.set_yticks(range(p), names)
        factor_names = list(load.columns)
        if labels == "label":
            suggested = res.factor_names["suggested_name"]
            factor_names = [f"{f}\n{suggested[f]}" if suggested[f] else f for f in load.columns]
        ax.set_xticks(range(k), factor_names)
        for i in range(p):
            for j in range(k):
                v = float(load.to_numpy()[i, j])
                ax.text(
                    j,
                    i,
                    f"{v:.2f}",
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if abs(v) > 0.6 else "black",
                )
        fig.colorbar(im, ax=ax, shrink=0.8)
        ax.set_title(t["loadings"])
        return ax


def plot_segments(
    res: SegmentationResult, kind: str | None, *, ax: Any, language: str, labels: str
) -> Any:
    chosen = check_plot_options(
        kind=kind,
        kinds=("profiles", "choice"),
        language=language,
        labels=labels,
        owner="SegmentationResult",
    )
    t = _TEXT[language]
    with use_language(language):
        _, ax = axes_for(ax, figsize=(7.0, 4.2))
        if chosen == "choice":
            curve = res.selection
            col = res.settings["criterion"]
            ax.plot(curve.index.to_numpy(), curve[col].to_numpy(), marker="o")
            ax.axvline(int(res.settings["n_segments"]), color="grey", linewidth=0.8)
            ax.set_xlabel(t["k"])
            ax.set_ylabel(col)
            ax.set_title(t["choice"])
            return ax
        prof = res.profiles
        items = list(res.settings["items"])
        mapping = dict(zip(items, res.settings["labels"], strict=True))
        x = np.arange(len(items))
        for seg in prof.index:
            share = float(prof.loc[seg, "share"])
            ax.plot(
                x,
                prof.loc[seg, items].to_numpy(dtype=float),
                marker="o",
                label=f"{t['segment']} {seg} ({share:.0%})",
            )
        ax.set_xticks(x, display_labels(items, labels, mapping), rotation=45, ha="right")
        ax.set_ylabel(t["mean"])
        ax.set_title(t["profiles"])
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
        return ax
