"""The charts of the result classes, drawn with :mod:`csimodels.plotting`.

Each result's ``plot(kind=None, *, ax=None, language="en"|"zh", labels="code"|
"label")`` calls one function here; the report assembles the same charts. Every
function returns the matplotlib Axes it drew on.

Examples
--------
>>> import matplotlib; matplotlib.use("Agg")
>>> import csimodels as csi
>>> data = csi.datasets.load_example("acsi_demo")
>>> res = csi.ACSI(indicators=data.constructs).fit(data)
>>> ax = res.plot("paths", labels="label", language="zh")
>>> ax.get_title()
'结构模型 · ACSI'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from csimodels import plotting
from csimodels.errors import InvalidParameterError, SpecificationError, format_offenders
from csimodels.plotting import (
    NEGATIVE,
    NEUTRAL,
    PALETTE,
    POSITIVE,
    axes_for,
    check_plot_options,
    display_labels,
    interval_bars,
    legend_outside,
    path_diagram,
    path_figsize,
    radar,
    scatter_labelled,
    stars,
    text,
    use_language,
)

__all__ = [
    "ahp_chart",
    "cbsem_chart",
    "describe_chart",
    "mga_chart",
    "penalty_chart",
    "pls_chart",
    "segment_ranking",
    "segmented_index_chart",
    "servqual_chart",
]


def _kind(result: Any, kind: str | None, kinds: Sequence[str], language: str, labels: str) -> str:
    return check_plot_options(
        kind=kind, kinds=kinds, language=language, labels=labels, owner=type(result).__name__
    )


def _title(ax: Any, key: str, language: str, suffix: str = "") -> None:
    ax.set_title(text(key, language) + (f" · {suffix}" if suffix else ""))


def _interval_cols(frame: pd.DataFrame) -> tuple[Any, Any]:
    if {"ci_lower", "ci_upper"} <= set(frame.columns):
        return frame["ci_lower"].to_numpy(float), frame["ci_upper"].to_numpy(float)
    return None, None


# -- PLS and CB-SEM ---------------------------------------------------------------------


def _paths_edges(paths: pd.DataFrame, column: str) -> dict[tuple[str, str], tuple[float, Any]]:
    p = paths["p_value"] if "p_value" in paths.columns else None
    out: dict[tuple[str, str], tuple[float, Any]] = {}
    for key, row in paths.iterrows():
        pair: tuple[Any, Any] = key  # type: ignore[assignment]
        out[(str(pair[0]), str(pair[1]))] = (
            float(row[column]),
            None if p is None else float(p.loc[pair]),
        )
    return out


def _structural(
    ax: Any,
    nodes: list[str],
    paths: pd.DataFrame,
    column: str,
    r2: pd.DataFrame,
    labels: str,
    names: dict[str, str],
    language: str,
    model: str,
) -> Any:
    """The path diagram of ``paths[column]`` with R², titled with the model's name."""
    shown = dict(zip(nodes, display_labels(nodes, labels, names), strict=True))
    edges = [(str(a), str(b)) for a, b in paths.index]
    _, ax = axes_for(ax, figsize=path_figsize(nodes, edges))
    path_diagram(
        ax,
        nodes,
        _paths_edges(paths, column),
        r2={str(k): float(v) for k, v in r2["r2"].items()},
        names=shown,
        language=language,
    )
    _title(ax, "Structural model", language, model)
    return ax


def _index_bars(
    ax: Any, indices: pd.DataFrame, names: Sequence[str], language: str, model: str
) -> Any:
    lo, hi = _interval_cols(indices)
    interval_bars(
        ax, names, indices["index"].to_numpy(float), lo, hi, colors=POSITIVE, value_format="{:.1f}"
    )
    ax.set_xlim(0, 105)
    ax.set_xlabel(text("Index (0–100)", language))
    _title(ax, "0–100 indices", language, model)
    if lo is not None:
        ax.text(
            0.0,
            -0.16,
            text("bars: 95 % bootstrap interval", language),
            transform=ax.transAxes,
            fontsize=7,
            color="#555555",
        )
    return ax


def _ipma(ax: Any, table: pd.DataFrame, names: Sequence[str], language: str, target: str) -> Any:
    x = table["importance"].to_numpy(float)
    y = table["performance"].to_numpy(float)
    scatter_labelled(ax, x, y, list(names))
    ax.axvline(float(np.mean(x)), color=NEUTRAL, lw=0.8, ls="--")
    ax.axhline(float(np.mean(y)), color=NEUTRAL, lw=0.8, ls="--")
    ax.set_xlabel(text("Importance (index points per point)", language))
    ax.set_ylabel(text("Performance (0–100)", language))
    _title(ax, "Importance–performance map", language, target)
    ax.text(
        0.99,
        0.02,
        text("lower right: fix first", language),
        transform=ax.transAxes,
        ha="right",
        fontsize=7.5,
        color=NEGATIVE,
    )
    return ax


def pls_chart(
    result: Any,
    kind: str | None = None,
    *,
    ax: Any = None,
    language: str = "en",
    labels: str = "code",
    target: str | None = None,
) -> Any:
    """Charts of a :class:`~csimodels.sem.pls.PLSResult`.

    ``"paths"``: the structural model with path coefficients (stars from the
    bootstrap p-values when there are any) and R²; ``"indices"``: the 0–100 indices
    with their bootstrap intervals; ``"ipma"``: the importance–performance map of
    ``target`` (default: the last endogenous construct with predecessors).

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import csimodels as csi
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> res = csi.ACSI(indicators=data.constructs).fit(data)
    >>> res.plot("ipma", target="Satisfaction").get_xlabel()
    'Importance (index points per point)'
    """
    chosen = _kind(result, kind, ("paths", "indices", "ipma"), language, labels)
    model = str(result.settings.get("model") or "")
    names = result.construct_labels
    with use_language(language):
        if chosen == "paths":
            nodes = list(result.spec.construct_names)
            return _structural(
                ax, nodes, result.paths, "estimate", result.r2, labels, names, language, model
            )
        if chosen == "indices":
            idx = result.indices
            _, ax = axes_for(ax, figsize=(6.4, 0.45 * len(idx) + 1.5))
            return _index_bars(
                ax, idx, display_labels(list(idx.index), labels, names), language, model
            )
        target = target or _default_target(result)
        table = result.ipma(target)
        _, ax = axes_for(ax, figsize=(6.4, 4.6))
        shown_target = display_labels([target], labels, names)[0]
        return _ipma(
            ax, table, display_labels(list(table.index), labels, names), language, shown_target
        )


def _default_target(result: Any) -> str:
    """The construct most paths lead to (Satisfaction in the CSI models)."""
    paths = result.paths
    counts = pd.Series([b for _, b in paths.index]).value_counts(sort=False)
    best = counts[counts == counts.max()]
    return str(best.index[-1])


def cbsem_chart(
    result: Any,
    kind: str | None = None,
    *,
    ax: Any = None,
    language: str = "en",
    labels: str = "code",
) -> Any:
    """Charts of a :class:`~csimodels.sem.cbsem.CBSEMResult`: ``"paths"`` (standardised
    structural paths with z-test stars and R²) or ``"indices"``.

    Examples
    --------
    >>> import matplotlib, warnings; matplotlib.use("Agg")
    >>> import csimodels as csi
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     res = csi.ACSI(indicators=data.constructs).fit(data, method="cbsem")
    >>> res.plot().get_title()
    'Structural model · ACSI'
    """
    chosen = _kind(result, kind, ("paths", "indices"), language, labels)
    model = str(result.settings.get("model") or "")
    names = result.construct_labels
    with use_language(language):
        if chosen == "paths":
            paths = result.paths
            column = "std_estimate" if "std_estimate" in paths.columns else "estimate"
            nodes: list[str] = []
            for a, b in paths.index:
                for n in (str(a), str(b)):
                    if n not in nodes:
                        nodes.append(n)
            if result.spec is not None:
                order = [n for n in result.spec.construct_names if n in nodes]
                nodes = order + [n for n in nodes if n not in order]
            r2 = result.r2
            if "kind" in r2.columns:
                r2 = r2[r2["kind"] == "construct"]
            return _structural(ax, nodes, paths, column, r2, labels, names, language, model)
        idx = result.indices
        _, ax = axes_for(ax, figsize=(6.4, 0.45 * len(idx) + 1.5))
        return _index_bars(ax, idx, display_labels(list(idx.index), labels, names), language, model)


# -- segments ---------------------------------------------------------------------------


def segment_ranking(
    table: pd.DataFrame,
    *,
    ax: Any = None,
    language: str = "en",
    title: str | None = None,
    xlabel: str | None = None,
    value_format: str = "{:.1f}",
) -> Any:
    """Segments ranked by an estimate, best first, with their intervals.

    ``table`` is indexed by segment with ``estimate`` and, optionally, ``ci_lower``
    and ``ci_upper``. The dashed line is the mean of the segments.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> t = pd.DataFrame({"estimate": [70.0, 72.0]}, index=["A", "B"])
    >>> [x.get_text() for x in segment_ranking(t).get_yticklabels()]
    ['B', 'A']
    """
    ordered = table.sort_values("estimate", ascending=False, kind="stable")
    lo, hi = _interval_cols(ordered)
    with use_language(language):
        _, ax = axes_for(ax, figsize=(6.4, 0.38 * len(ordered) + 1.6))
        est = ordered["estimate"].to_numpy(float)
        mean = float(np.nanmean(est))
        pos = np.arange(len(est))
        finite = np.concatenate([est, *(x for x in (lo, hi) if x is not None)])
        finite = finite[np.isfinite(finite)]
        low = float(finite.min()) if len(finite) else 0.0
        high = float(finite.max()) if len(finite) else 1.0
        pad = 0.12 * (high - low or 1.0)
        ax.set_xlim(low - pad, high + 2 * pad)
        for i, v in enumerate(est):
            color = POSITIVE if v >= mean else PALETTE[1]
            if lo is not None and hi is not None and np.isfinite(lo[i]) and np.isfinite(hi[i]):
                ax.plot([lo[i], hi[i]], [i, i], color=color, lw=2.2, solid_capstyle="round")
                right = hi[i]
            else:
                right = v
            ax.plot([v], [i], "o", color=color, markersize=7, markeredgecolor="white")
            ax.text(right + 0.25 * pad, i, value_format.format(v), va="center", fontsize=8)
        ax.set_yticks(pos, [str(s) for s in ordered.index])
        ax.set_ylim(len(est) - 0.5, -0.5)
        ax.grid(axis="x", color="#eeeeee", lw=0.6)
        ax.axvline(mean, color=NEUTRAL, lw=0.8, ls="--")
        ax.set_xlabel(xlabel or text("Index (0–100)", language))
        ax.set_title(title or text("Segment ranking", language))
    return ax


def _segment_results(result: Any) -> dict[str, Any]:
    """The fitted segment results of a SegmentedResult (or a family's own by-segment)."""
    group = getattr(result, "results", None)
    if not isinstance(group, dict):
        group = result.segments
    return dict(group)


def _segment_indices(result: Any) -> pd.DataFrame:
    """Segments x constructs 0–100 indices, from each segment's own result."""
    rows = {seg: sub.indices["index"] for seg, sub in _segment_results(result).items()}
    frame = pd.DataFrame(rows).T
    frame.index.name = "segment"
    return frame


def segmented_index_chart(
    result: Any,
    kind: str | None = None,
    *,
    ax: Any = None,
    language: str = "en",
    labels: str = "code",
    construct: str | None = None,
) -> Any:
    """Charts of a PLS or CB-SEM result by segment.

    ``"bar"``: grouped bars of every construct's index in each segment; ``"radar"``:
    one polygon per segment over the constructs; ``"ranking"``: the segments ranked
    on ``construct`` (default the construct most paths lead to) with bootstrap
    intervals when the segments were fitted with a bootstrap.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import csimodels as csi
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> res = csi.ACSI(indicators=data.constructs).fit(data, by="region")
    >>> [t.get_text() for t in res.plot("ranking").get_yticklabels()]
    ['South', 'East', 'North', 'West']
    """
    chosen = _kind(result, kind, ("bar", "radar", "ranking"), language, labels)
    wide = _segment_indices(result)  # segments x constructs
    first = next(iter(_segment_results(result).values()))
    names = getattr(first, "construct_labels", {})
    constructs = [str(c) for c in wide.columns]
    shown = display_labels(constructs, labels, names)
    if chosen == "ranking":
        construct = construct or _default_target(first)
        if construct not in constructs:
            raise SpecificationError(
                f"no construct named {construct!r}; constructs: {format_offenders(constructs)}"
            )
        rows = []
        for seg, sub in _segment_results(result).items():
            row = sub.indices.loc[construct]
            rows.append(
                {
                    "segment": seg,
                    "estimate": float(row["index"]),
                    "ci_lower": float(row["ci_lower"]) if "ci_lower" in row else np.nan,
                    "ci_upper": float(row["ci_upper"]) if "ci_upper" in row else np.nan,
                }
            )
        table = pd.DataFrame(rows).set_index("segment")
        label = display_labels([construct], labels, names)[0]
        return segment_ranking(
            table,
            ax=ax,
            language=language,
            title=f"{text('Segment ranking', language)} · {label}",
        )
    with use_language(language):
        if chosen == "bar":
            _, ax = axes_for(ax, figsize=(max(6.4, 0.9 * len(constructs) + 2), 4.2))
            n_seg = len(wide)
            width = 0.8 / max(n_seg, 1)
            x = np.arange(len(constructs))
            for k, (seg_label, row) in enumerate(wide.iterrows()):
                ax.bar(
                    x + (k - (n_seg - 1) / 2) * width,
                    row.to_numpy(float),
                    width,
                    label=str(seg_label),
                    color=PALETTE[k % len(PALETTE)],
                )
            ax.set_xticks(x, shown)
            low = float(np.nanmin(wide.to_numpy(float)))
            high = float(np.nanmax(wide.to_numpy(float)))
            ax.set_ylim(max(0.0, np.floor(low / 5) * 5 - 5), min(100.0, np.ceil(high / 5) * 5 + 5))
            ax.set_ylabel(text("Index (0–100)", language))
            _title(ax, "Indices by segment", language)
            legend_outside(ax)
            return ax
        _, ax = axes_for(ax, figsize=(6.4, 5.4), polar=True)
        low = float(np.nanmin(wide.to_numpy(float)))
        high = float(np.nanmax(wide.to_numpy(float)))
        radar(
            ax,
            shown,
            {str(s): r.to_numpy(float) for s, r in wide.iterrows()},
            limits=(max(0.0, np.floor(low) - 3), min(100.0, np.ceil(high) + 1)),
        )
        _title(ax, "Indices by segment", language)
        legend_outside(ax)
        return ax


# -- MGA --------------------------------------------------------------------------------


def mga_chart(
    result: Any,
    kind: str | None = None,
    *,
    ax: Any = None,
    language: str = "en",
    labels: str = "code",
) -> Any:
    """Group differences (group 1 − group 2) of the paths or indices with intervals.

    The interval is the percentile interval of the difference of the two groups'
    independent bootstrap draws (at the result's level) when the groups were
    bootstrapped; a filled marker means PLS-MGA p < 1 − level.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import csimodels as csi
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> res = csi.sem.mga.compare_groups(csi.ACSI(indicators=data.constructs), data,
    ...     by="region", groups=("North", "West"), n_permutations=50, bootstrap=50,
    ...     random_state=1)
    >>> res.plot("indices").get_xlabel()
    'Difference (North − West)'
    """
    chosen = _kind(result, kind, ("paths", "indices"), language, labels)
    data = mga_plot_data(result, "path" if chosen == "paths" else "index")
    g1, g2 = result.groups
    with use_language(language):
        _, ax = axes_for(ax, figsize=(6.4, 0.42 * len(data) + 1.6))
        alpha = 1 - float(result.level)
        sig = data["p_mga"].to_numpy(float) < alpha
        colors = [POSITIVE if s else NEUTRAL for s in sig]
        interval_bars(
            ax,
            [str(n) for n in data.index],
            data["difference"].to_numpy(float),
            data["ci_lower"].to_numpy(float),
            data["ci_upper"].to_numpy(float),
            colors=colors,
            value_format="{:+.3f}",
            zero_line=True,
        )
        ax.set_xlabel(f"{text('Difference', language)} ({g1} − {g2})")
        _title(ax, "Group difference", language, "paths" if chosen == "paths" else "indices")
        ax.text(
            0.0,
            -0.16 if len(data) > 4 else -0.3,
            text("blue: PLS-MGA p below the level; bars: bootstrap interval", language),
            transform=ax.transAxes,
            fontsize=7,
            color="#555555",
        )
    return ax


def mga_plot_data(result: Any, kind: str) -> pd.DataFrame:
    """Differences of one kind of estimate with their bootstrap percentile intervals.

    Returns ``difference``, ``ci_lower``, ``ci_upper``, ``p_permutation``, ``p_mga``
    indexed by name.

    Examples
    --------
    >>> import csimodels as csi
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> res = csi.sem.mga.compare_groups(csi.ACSI(indicators=data.constructs), data,
    ...     by="region", groups=("North", "West"), n_permutations=50, bootstrap=50,
    ...     random_state=1)
    >>> list(mga_plot_data(res, "index").columns)
    ['difference', 'ci_lower', 'ci_upper', 'p_permutation', 'p_mga']
    """
    table: pd.DataFrame = result.table.xs(kind, level="kind")
    out: pd.DataFrame = table[["difference"]].copy()
    out["ci_lower"] = np.nan
    out["ci_upper"] = np.nan
    boots = result.group_bootstrap
    g1, g2 = result.groups
    if boots and g1 in boots and g2 in boots:
        d1, d2 = boots[g1].draws, boots[g2].draws
        n = min(len(d1), len(d2))
        alpha = (1 - float(result.level)) / 2
        for name in out.index:
            col = (kind, name)
            if col in d1.columns and col in d2.columns:
                diff = d1[col].to_numpy(float)[:n] - d2[col].to_numpy(float)[:n]
                diff = diff[np.isfinite(diff)]
                if len(diff):
                    out.loc[name, "ci_lower"] = float(np.quantile(diff, alpha))
                    out.loc[name, "ci_upper"] = float(np.quantile(diff, 1 - alpha))
    out["p_permutation"] = table["p_permutation"]
    out["p_mga"] = table["p_mga"]
    return out


# -- AHP --------------------------------------------------------------------------------


def ahp_chart(
    result: Any,
    kind: str | None = None,
    *,
    ax: Any = None,
    language: str = "en",
    labels: str = "code",
) -> Any:
    """AHP priorities as bars (``"priorities"``) or the consistency ratio against its
    threshold (``"consistency"``; for a hierarchy, one bar per node).

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from csimodels.ahp import AHP
    >>> res = AHP().fit({("a", "b"): 3, ("a", "c"): 5, ("b", "c"): 2})
    >>> [t.get_text() for t in res.plot().get_yticklabels()]
    ['a', 'b', 'c']
    """
    chosen = _kind(result, kind, ("priorities", "consistency"), language, labels)
    hierarchy = hasattr(result, "global_weights")
    weights = result.global_weights if hierarchy else result.weights
    with use_language(language):
        if chosen == "priorities":
            w = weights.sort_values(ascending=False, kind="stable")
            _, ax = axes_for(ax, figsize=(6.4, 0.4 * len(w) + 1.5))
            interval_bars(
                ax,
                [str(n) for n in w.index],
                w.to_numpy(float),
                colors=POSITIVE,
                value_format="{:.1%}",
            )
            ax.set_xlabel(text("Weight", language))
            if hierarchy:
                suffix = f"CR = {result.hierarchy_cr:.3f}"
            else:
                verdict = text("consistent" if result.consistent else "inconsistent", language)
                suffix = f"CR = {result.cr:.3f} ({verdict})"
            _title(ax, "AHP priorities", language, suffix)
            return ax
        if hierarchy:
            crs = pd.Series({k: v.cr for k, v in result.nodes.items()})
            limits = pd.Series({k: v.threshold for k, v in result.nodes.items()})
        else:
            crs = pd.Series({text("Consistency ratio", language): result.cr})
            limits = pd.Series({text("Consistency ratio", language): result.threshold})
        _, ax = axes_for(ax, figsize=(6.4, 0.45 * len(crs) + 1.5))
        bad = (crs > limits).to_numpy()
        interval_bars(
            ax,
            [str(n) for n in crs.index],
            crs.to_numpy(float),
            colors=[NEGATIVE if b else POSITIVE for b in bad],
            value_format="{:.3f}",
        )
        for i, t in enumerate(limits.to_numpy(float)):
            ax.plot([t, t], [i - 0.45, i + 0.45], color="black", lw=1.2, ls="--")
        ax.set_xlim(0, max(float(crs.max()), float(limits.max())) * 1.35)
        ax.set_xlabel(f"{text('Consistency ratio', language)} (-- {text('threshold', language)})")
        _title(ax, "Consistency ratio", language)
        return ax


# -- describe ---------------------------------------------------------------------------


def describe_chart(
    result: Any,
    kind: str | None = None,
    *,
    ax: Any = None,
    language: str = "en",
    labels: str = "code",
    item: str | None = None,
) -> Any:
    """Answer frequencies: ``"bar"`` (every item's answers as stacked shares, or one
    item's distribution with ``item=``) or ``"pie"`` (one item; the first by default).

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import csimodels as csi
    >>> res = csi.datasets.load_example("acsi_demo").describe()
    >>> res.plot("pie", item="SAT1").get_title()
    'Answers · SAT1'
    """
    chosen = _kind(result, kind, ("bar", "pie"), language, labels)
    freq = result.frequencies
    label_map = {str(k): str(v) for k, v in result.table["label"].items()}
    if item is not None and item not in freq.index:
        raise InvalidParameterError(
            f"parameter 'item' of {type(result).__name__}.plot must be one of "
            f"{format_offenders(list(freq.index))}, got {item!r}"
        )
    values = [_value_text(v) for v in freq.columns]
    plt = plotting.pyplot()
    cmap = plt.get_cmap("cividis", len(values))
    colors = [cmap(i) for i in range(len(values))]
    with use_language(language):
        if chosen == "pie" or item is not None:
            item = item or str(freq.index[0])
            shares = freq.loc[item].to_numpy(float)
            name = display_labels([item], labels, label_map)[0]
            if chosen == "pie":
                _, ax = axes_for(ax, figsize=(5.6, 4.4))
                keep = shares > 0
                wedges, _ = ax.pie(
                    shares[keep],
                    colors=[c for c, k in zip(colors, keep, strict=True) if k],
                    startangle=90,
                    counterclock=False,
                    wedgeprops={"linewidth": 0.8, "edgecolor": "white"},
                )
                for w, s in zip(wedges, shares[keep], strict=True):
                    if s >= 0.04:  # small slices are named in the legend only
                        ang = np.deg2rad((w.theta1 + w.theta2) / 2)
                        ax.text(
                            0.72 * np.cos(ang),
                            0.72 * np.sin(ang),
                            f"{s:.0%}",
                            ha="center",
                            va="center",
                            fontsize=8,
                            color="white" if (w.get_facecolor()[0] < 0.5) else "black",
                        )
                ax.legend(
                    wedges,
                    [v for v, k in zip(values, keep, strict=True) if k],
                    title=text("Answer", language),
                    loc="center left",
                    bbox_to_anchor=(1.0, 0.5),
                    fontsize=8,
                    frameon=False,
                )
                ax.set_aspect("equal")
                _title(ax, "Answers", language, name)
                return ax
            _, ax = axes_for(ax, figsize=(6.4, 3.8))
            interval_bars(
                ax, values, shares, horizontal=False, colors=colors, value_format="{:.0%}"
            )
            ax.set_xlabel(text("Answer", language))
            ax.set_ylabel(text("Share of answers", language))
            _title(ax, "Answers", language, name)
            return ax
        _, ax = axes_for(ax, figsize=(7.2, 0.34 * len(freq) + 1.8))
        names = display_labels([str(i) for i in freq.index], labels, label_map)
        left = np.zeros(len(freq))
        for j, v in enumerate(values):
            share = freq.iloc[:, j].to_numpy(float)
            ax.barh(
                np.arange(len(freq)),
                share,
                left=left,
                color=colors[j],
                label=v,
                edgecolor="white",
                linewidth=0.4,
            )
            left += share
        ax.set_yticks(np.arange(len(freq)), names)
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda x, _: f"{x:.0%}"))
        ax.set_xlabel(text("Share of answers", language))
        _title(ax, "Answers", language)
        legend_outside(ax, ncol=min(len(values), 10))
        return ax


def _value_text(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


# -- SERVQUAL family and penalty–reward --------------------------------------------------


def servqual_chart(
    dims: pd.DataFrame,
    kind: str,
    *,
    ax: Any,
    language: str,
    labels: str,
    bar_label: str,
    series: Sequence[str],
    title: str,
) -> Any:
    """Dimension bars with intervals, or a full-circle radar of the dimension means.

    ``dims`` is indexed by dimension with ``label``, ``estimate``, ``ci_lower``,
    ``ci_upper`` and the ``series`` columns. The radar has one spoke per dimension,
    clockwise from the top, over the whole circle.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from csimodels.datasets.servqual import simulate_servqual_survey
    >>> from csimodels.servqual import SERVQUAL
    >>> res = SERVQUAL().fit(simulate_servqual_survey(n=50, random_state=1).data)
    >>> ax = res.plot("radar")
    >>> "Tangibles" in [t.get_text() for t in ax.get_xticklabels()]
    True
    """
    names = display_labels(
        [str(d) for d in dims.index], labels, {str(k): str(v) for k, v in dims["label"].items()}
    )
    with use_language(language):
        if kind == "bar":
            _, ax = axes_for(ax, figsize=(6.4, 0.45 * len(dims) + 1.6))
            lo, hi = _interval_cols(dims)
            interval_bars(
                ax,
                names,
                dims["estimate"].to_numpy(float),
                lo,
                hi,
                value_format="{:+.2f}",
                zero_line=True,
            )
            ax.set_xlabel(text(bar_label, language))
            _title(ax, title, language)
            return ax
        _, ax = axes_for(ax, figsize=(6.0, 5.6), polar=True)
        values = dims[list(series)].to_numpy(float)
        low, high = float(np.nanmin(values)), float(np.nanmax(values))
        radar(
            ax,
            names,
            {text(s.capitalize(), language): dims[s].to_numpy(float) for s in series},
            limits=(np.floor(low - 0.5), np.ceil(high + 0.25)),
        )
        _title(ax, title, language)
        legend_outside(ax)
        return ax


def penalty_chart(result: Any, *, ax: Any, language: str, labels: str) -> Any:
    """Penalty and reward of each attribute as signed bars (what a low rating costs is
    drawn to the left when negative, a positive penalty to the right), with stars.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import csimodels as csi
    >>> from csimodels.importance import PenaltyReward
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> res = PenaltyReward(attributes=["QUAL1", "VAL1"], overall="SAT1").fit(data)
    >>> res.plot().get_xlabel()
    'Effect on the overall item (points)'
    """
    frame = result.plot_data()
    names = display_labels(
        [str(i) for i in frame.index], labels, {str(k): str(v) for k, v in frame["label"].items()}
    )
    table = result.table
    pos = np.arange(len(frame))
    with use_language(language):
        _, ax = axes_for(ax, figsize=(6.8, 0.5 * len(frame) + 1.8))
        h = 0.38
        pen = frame["penalty"].to_numpy(float)
        rew = frame["reward"].to_numpy(float)
        ax.barh(pos - h / 2, pen, h, color=NEGATIVE, label=text("Penalty (low band)", language))
        ax.barh(pos + h / 2, rew, h, color=POSITIVE, label=text("Reward (high band)", language))
        p_pen = table["penalty_p_value"] if "penalty_p_value" in table.columns else None
        p_rew = table["reward_p_value"] if "reward_p_value" in table.columns else None
        span = float(np.nanmax(np.abs(np.concatenate([pen, rew])))) or 1.0
        for i, name in enumerate(frame.index):
            for v, off, ps in ((pen[i], -h / 2, p_pen), (rew[i], h / 2, p_rew)):
                s = stars(float(ps.loc[name])) if ps is not None else ""
                ax.text(
                    v + (0.02 * span if v >= 0 else -0.02 * span),
                    i + off,
                    f"{v:+.2f}{s}",
                    va="center",
                    ha="left" if v >= 0 else "right",
                    fontsize=7.5,
                )
        ax.set_yticks(pos, names)
        ax.invert_yaxis()
        ax.axvline(0, color="black", lw=0.8)
        ax.set_xlim(-1.35 * span, 1.35 * span)
        ax.set_xlabel(text("Effect on the overall item (points)", language))
        _title(ax, "Penalty and reward", language, str(result.settings.get("overall", "")))
        legend_outside(ax)
    return ax
