"""The one plotting layer: matplotlib import guard, style, palette and CJK fonts.

Every result's ``plot(kind=None, *, ax=None, language="en"|"zh", labels="code"|
"label")`` is built on these helpers, so charts look alike and Chinese labels render
in every one of them. matplotlib is an optional extra (``pip install
"csimodels[plot]"``) and is imported only when a chart is drawn.

Chinese text needs a font with CJK glyphs. :func:`cjk_font` looks for one of the
usual families (Noto Sans/Serif CJK, Source Han, WenQuanYi, SimHei, PingFang,
Microsoft YaHei...) among matplotlib's installed fonts, or takes the one the user
names (:func:`set_cjk_font`). When none is found a :class:`~csimodels.errors.FontWarning`
says so once per chart, instead of letting matplotlib draw empty boxes.

Examples
--------
>>> from csimodels import plotting
>>> plotting.PALETTE[0]
'#0072B2'
>>> plotting.check_plot_options(kind=None, kinds=("bar",), language="zh", labels="code",
...                             owner="demo")
'bar'
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from numpy.typing import ArrayLike

from csimodels.errors import FontWarning, InvalidParameterError, OptionalDependencyError

__all__ = [
    "CJK_FAMILIES",
    "LABEL_MODES",
    "LANGUAGES",
    "PALETTE",
    "axes_for",
    "check_plot_options",
    "cjk_font",
    "display_labels",
    "pyplot",
    "set_cjk_font",
    "use_language",
]

#: Okabe & Ito (2008) colour-blind-safe palette (blue first; black last).
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#000000",
)

#: Font families with CJK glyphs, in order of preference.
CJK_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Noto Serif CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Source Han Serif SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
    "Hiragino Sans GB",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "AR PL UMing CN",
)

LANGUAGES = ("en", "zh")
LABEL_MODES = ("code", "label")

_lock = threading.Lock()
_user_font: list[str | None] = [None]
_resolved: dict[str, str | None] = {}


def pyplot() -> Any:
    """``matplotlib.pyplot``, or an error saying which extra to install.

    Examples
    --------
    >>> plt = pyplot()
    >>> hasattr(plt, "subplots")
    True
    """
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:  # pragma: no cover - exercised without the extra
        raise OptionalDependencyError(
            'charts need matplotlib: pip install "csimodels[plot]"'
        ) from err
    return plt


def set_cjk_font(family_or_path: str | None) -> str | None:
    """Use this font for Chinese text in every chart (a family name or a .ttf/.otf path).

    Returns the family name now in use (None resets to automatic resolution).

    Examples
    --------
    >>> set_cjk_font(None) is None
    True
    """
    with _lock:
        _resolved.clear()
        if family_or_path is None:
            _user_font[0] = None
            return None
        name = family_or_path
        if family_or_path.lower().endswith((".ttf", ".otf", ".ttc")):
            from matplotlib import font_manager

            font_manager.fontManager.addfont(family_or_path)
            name = font_manager.FontProperties(fname=family_or_path).get_name()
        _user_font[0] = name
        return name


def cjk_font() -> str | None:
    """The installed font family used for Chinese text, or None when there is none.

    Examples
    --------
    >>> name = cjk_font()
    >>> name is None or isinstance(name, str)
    True
    """
    with _lock:
        if "family" in _resolved:
            return _resolved["family"]
        from matplotlib import font_manager

        installed = {f.name for f in font_manager.fontManager.ttflist}
        chosen = _user_font[0]
        if chosen is None:
            chosen = next((f for f in CJK_FAMILIES if f in installed), None)
        elif chosen not in installed:
            chosen = None
        _resolved["family"] = chosen
        return chosen


@contextmanager
def use_language(language: str) -> Iterator[dict[str, Any]]:
    """Matplotlib settings for a chart in ``language`` (a CJK font for ``"zh"``).

    Use it around the drawing code; it yields the rc parameters in force. Without a
    CJK font, ``"zh"`` warns with :class:`~csimodels.errors.FontWarning` (install
    ``fonts-noto-cjk`` or call :func:`set_cjk_font`).

    Examples
    --------
    >>> with use_language("en") as rc:
    ...     "axes.prop_cycle" in rc
    True
    """
    import warnings

    from cycler import cycler

    plt = pyplot()
    rc: dict[str, Any] = {
        "axes.prop_cycle": cycler(color=list(PALETTE)),
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titleweight": "bold",
        "axes.grid": False,
        "legend.frameon": False,
        "figure.dpi": 100,
        "savefig.dpi": 150,
        "savefig.bbox": "tight",
    }
    if language == "zh":
        family = cjk_font()
        if family is None:
            warnings.warn(
                "no font with Chinese glyphs is installed, so Chinese text will show as "
                "empty boxes; install one (Debian: fonts-noto-cjk) or call "
                "csimodels.plotting.set_cjk_font('path/to/font.ttf')",
                FontWarning,
                stacklevel=3,
            )
        else:
            # name the family itself, not the generic "sans-serif": a text object keeps
            # its family list, and a generic one is resolved again when the figure is
            # saved, after this context has ended
            rc["font.family"] = [family, "DejaVu Sans"]
            rc["axes.unicode_minus"] = False
    else:
        # English charts may still show Chinese labels (data): fall back to a CJK font
        # for the glyphs DejaVu Sans lacks, when one is installed
        family = cjk_font()
        if family is not None:
            rc["font.family"] = ["DejaVu Sans", family]
    with plt.rc_context(rc):
        yield rc


def axes_for(
    ax: Any = None, *, figsize: tuple[float, float] = (6.4, 4.2), polar: bool = False
) -> tuple[Any, Any]:
    """``(figure, axes)``: the caller's axes, or a new figure of ``figsize``.

    ``polar=True`` makes the new axes polar (for :func:`radar`).

    Examples
    --------
    >>> fig, ax = axes_for(figsize=(3, 2))
    >>> fig.get_size_inches().tolist()
    [3.0, 2.0]
    >>> pyplot().close(fig)
    >>> fig, ax = axes_for(polar=True)
    >>> ax.name
    'polar'
    >>> pyplot().close(fig)
    """
    if ax is not None:
        return ax.figure, ax
    plt = pyplot()
    fig, new = plt.subplots(
        figsize=figsize, layout="constrained", subplot_kw={"projection": "polar"} if polar else None
    )
    return fig, new


def check_plot_options(
    *, kind: str | None, kinds: Sequence[str], language: str, labels: str, owner: str
) -> str:
    """Validate the common plot arguments; return the chart kind (first one by default).

    Examples
    --------
    >>> check_plot_options(kind="pie", kinds=("bar",), language="en", labels="code",
    ...                    owner="demo")
    Traceback (most recent call last):
    csimodels.errors.InvalidParameterError: parameter 'kind' of demo.plot must be 'bar', got 'pie'
    """
    chosen = kinds[0] if kind is None else kind
    for name, value, allowed in (
        ("kind", chosen, tuple(kinds)),
        ("language", language, LANGUAGES),
        ("labels", labels, LABEL_MODES),
    ):
        if value not in allowed:
            options = ", ".join(repr(a) for a in allowed)
            raise InvalidParameterError(
                f"parameter {name!r} of {owner}.plot must be {options}, got {value!r}"
            )
    return chosen


def display_labels(
    codes: Sequence[object], labels: str, mapping: Mapping[str, str] | None
) -> list[str]:
    """Text for each code: the code itself, or its label when ``labels="label"``.

    A code without a label keeps its code.

    Examples
    --------
    >>> display_labels(["SAT1", "Q2"], "label", {"SAT1": "总体满意度"})
    ['总体满意度', 'Q2']
    """
    if labels != "label" or not mapping:
        return [str(c) for c in codes]
    return [str(mapping.get(str(c)) or c) for c in codes]


# -- chart helpers shared by the result plots and the reports ------------------------

#: Colour of positive / negative / not significant elements (from :data:`PALETTE`).
POSITIVE, NEGATIVE, NEUTRAL = PALETTE[0], PALETTE[3], "#999999"

_STARS = ((0.001, "***"), (0.01, "**"), (0.05, "*"))


def stars(p_value: float | None) -> str:
    """Significance stars: ``***`` p < .001, ``**`` p < .01, ``*`` p < .05, else ``""``.

    Examples
    --------
    >>> stars(0.0004), stars(0.03), stars(0.2), stars(float("nan"))
    ('***', '*', '', '')
    """
    if p_value is None or p_value != p_value:
        return ""
    return next((s for cut, s in _STARS if p_value < cut), "")


def text(key: str, language: str) -> str:
    """A chart word in the chart's language (titles, axis labels, legends).

    Examples
    --------
    >>> text("Priority", "zh")
    '优先级'
    """
    from csimodels.reports._i18n import tr

    return tr(key, "zh" if language == "zh" else "en")


def figure_png(fig: Any, *, dpi: int = 150) -> bytes:
    """The figure as PNG bytes, for reports.

    A figure made with a constrained layout (every figure :func:`axes_for` makes) is
    saved as laid out, in one draw; any other is cropped to its tight bounding box.

    Examples
    --------
    >>> fig, ax = axes_for(figsize=(2, 2))
    >>> figure_png(fig)[:4] == b"\\x89PNG"
    True
    >>> pyplot().close(fig)
    """
    import io

    buf = io.BytesIO()
    engine = fig.get_layout_engine()
    constrained = engine is not None and type(engine).__name__ == "ConstrainedLayoutEngine"
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches=None if constrained else "tight")
    return buf.getvalue()


def spread(values: Sequence[float], min_gap: float) -> list[float]:
    """Move sorted positions apart so neighbours are at least ``min_gap`` apart.

    Used to keep point labels from overlapping: the positions keep their order and
    their mean, and move as little as the gap needs.

    Examples
    --------
    >>> spread([0.0, 0.1, 0.2, 5.0], 1.0)
    [-0.9, 0.1, 1.1, 5.0]
    """
    import numpy as np

    order = np.argsort(values, kind="stable")
    pos = np.asarray(values, dtype=float)[order].copy()
    for _ in range(200):
        moved = False
        i = 0
        while i < len(pos) - 1:
            # the cluster of labels closer than the gap, centred on its mean
            j = i
            while j < len(pos) - 1 and pos[j + 1] - pos[j] < min_gap - 1e-12:
                j += 1
            if j > i:
                centre = float(np.mean(pos[i : j + 1]))
                width = (j - i) * min_gap
                new = centre - width / 2 + min_gap * np.arange(j - i + 1)
                if not np.allclose(new, pos[i : j + 1]):
                    pos[i : j + 1] = new
                    moved = True
            i = j + 1
        if not moved:
            break
    out = np.empty_like(pos)
    out[order] = pos
    return [round(float(v), 12) for v in out]


def interval_bars(
    ax: Any,
    names: Sequence[str],
    estimate: ArrayLike,
    lower: ArrayLike | None = None,
    upper: ArrayLike | None = None,
    *,
    horizontal: bool = True,
    colors: Sequence[str] | str | None = None,
    value_format: str = "{:.2f}",
    zero_line: bool = False,
    annotate: bool = True,
) -> Any:
    """Bars with interval whiskers and the value written at each bar's end.

    Bars are drawn in the order given (top to bottom when horizontal); NaN intervals
    draw no whisker.

    Examples
    --------
    >>> fig, ax = axes_for()
    >>> _ = interval_bars(ax, ["a", "b"], [1.0, 2.0], [0.5, 1.5], [1.5, 2.5])
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['a', 'b']
    >>> pyplot().close(fig)
    """
    import numpy as np

    est = np.asarray(estimate, dtype=float)
    pos = np.arange(len(est))
    if colors is None:
        colors = [POSITIVE if v >= 0 else NEGATIVE for v in est]
    err = None
    if lower is not None and upper is not None:
        lo = np.asarray(lower, dtype=float)
        hi = np.asarray(upper, dtype=float)
        err = np.vstack([np.clip(est - lo, 0, None), np.clip(hi - est, 0, None)])
        err = np.where(np.isfinite(err), err, 0.0)
    kw = {"color": colors, "error_kw": {"elinewidth": 1.0, "capsize": 3, "ecolor": "#333333"}}
    if horizontal:
        ax.barh(pos, est, xerr=err, **kw)
        ax.set_yticks(pos, list(names))
        ax.invert_yaxis()
    else:
        ax.bar(pos, est, yerr=err, **kw)
        ax.set_xticks(pos, list(names))
    if zero_line:
        (ax.axvline if horizontal else ax.axhline)(0.0, color="black", linewidth=0.8)
    if annotate:
        ends = est if err is None else np.where(est >= 0, est + err[1], est - err[0])
        span = float(np.nanmax(np.abs(ends))) if len(ends) and np.isfinite(ends).any() else 1.0
        pad = 0.01 * (span or 1.0)
        for p, v, e in zip(pos, est, ends, strict=True):
            if not np.isfinite(v):
                continue
            label = value_format.format(v)
            off = pad if v >= 0 else -pad
            if horizontal:
                ax.text(
                    e + off, p, label, va="center", ha="left" if v >= 0 else "right", fontsize=8
                )
            else:
                ax.text(
                    p, e + off, label, ha="center", va="bottom" if v >= 0 else "top", fontsize=8
                )
        lim = ax.get_xlim() if horizontal else ax.get_ylim()
        grow = 0.12 * (lim[1] - lim[0])
        new = (lim[0] - (grow if np.nanmin(ends) < 0 else 0), lim[1] + grow)
        (ax.set_xlim if horizontal else ax.set_ylim)(new)
    return ax


def radar(
    ax: Any,
    spokes: Sequence[str],
    series: Mapping[str, ArrayLike],
    *,
    fill: bool = True,
    limits: tuple[float, float] | None = None,
) -> Any:
    """A full-circle radar chart: one spoke per name, clockwise from the top.

    ``ax`` must be polar. Each series is closed (its last point joins the first); the
    angular range is fixed to the whole circle, so no spoke is lost whatever the
    number of spokes.

    Examples
    --------
    >>> plt = pyplot()
    >>> fig, ax = plt.subplots(subplot_kw={"projection": "polar"})
    >>> _ = radar(ax, ["A", "B", "C", "D", "E"], {"x": [1, 2, 3, 4, 5]})
    >>> len(ax.get_xticks()), [round(float(v), 4) for v in ax.get_xlim()]
    (5, [0.0, 6.2832])
    >>> plt.close(fig)
    """
    import numpy as np

    n = len(spokes)
    theta = 2 * np.pi * np.arange(n) / n
    ax.set_theta_offset(np.pi / 2)
    ax.set_theta_direction(-1)
    closed = np.append(theta, theta[:1])
    for k, (name, values) in enumerate(series.items()):
        v = np.asarray(values, dtype=float)
        color = PALETTE[k % len(PALETTE)]
        ax.plot(
            closed,
            np.append(v, v[:1]),
            color=color,
            linewidth=1.8,
            label=name,
            marker="o",
            markersize=3,
        )
        if fill:
            ax.fill(closed, np.append(v, v[:1]), color=color, alpha=0.08)
    ax.set_xticks(theta, list(spokes))
    ax.set_xlim(0.0, 2 * np.pi)
    if limits is not None:
        ax.set_ylim(*limits)
    ax.tick_params(axis="y", labelsize=7)
    for label, angle in zip(ax.get_xticklabels(), theta, strict=True):
        # labels on the right of the circle align left, on the left align right
        s = np.sin(angle)
        label.set_horizontalalignment("left" if s > 0.1 else ("right" if s < -0.1 else "center"))
    return ax


def legend_outside(ax: Any, *, ncol: int | None = None) -> Any:
    """A legend under the axes, so it never covers data.

    Examples
    --------
    >>> fig, ax = axes_for()
    >>> _ = ax.plot([0, 1], label="x")
    >>> legend_outside(ax) is not None
    True
    >>> pyplot().close(fig)
    """
    handles, names = ax.get_legend_handles_labels()
    if not handles:
        return None
    return ax.legend(
        handles,
        names,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.12),
        ncol=ncol or min(len(handles), 4),
        fontsize=8,
        frameon=False,
    )


def _layers(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> dict[str, int]:
    depth = dict.fromkeys(nodes, 0)
    for _ in range(len(nodes)):
        changed = False
        for a, b in edges:
            if depth[b] < depth[a] + 1:
                depth[b] = depth[a] + 1
                changed = True
        if not changed:
            break
    return depth


def path_layout(
    nodes: Sequence[str], edges: Sequence[tuple[str, str]]
) -> dict[str, tuple[float, float]]:
    """Positions of the constructs of a path model: columns by causal depth.

    A construct's column is the length of the longest path reaching it. Several
    constructs in one column are stacked; a column with one construct alternates
    above and below the axis so that edges skipping a column do not run through it.

    Examples
    --------
    >>> path_layout(["A", "B", "C"], [("A", "B"), ("B", "C"), ("A", "C")])
    {'A': (0.0, 0.6), 'B': (2.4, -0.6), 'C': (4.8, 0.6)}
    """
    depth = _layers(nodes, edges)
    columns: dict[int, list[str]] = {}
    for n in nodes:
        columns.setdefault(depth[n], []).append(n)
    pos: dict[str, tuple[float, float]] = {}
    for d, members in sorted(columns.items()):
        x = 2.4 * d
        if len(members) == 1:
            pos[members[0]] = (x, 0.6 if d % 2 == 0 else -0.6)
            continue
        span = 1.5 * (len(members) - 1)
        for i, n in enumerate(members):
            pos[n] = (x, span / 2 - 1.5 * i)
    return pos


def path_figsize(nodes: Sequence[str], edges: Sequence[tuple[str, str]]) -> tuple[float, float]:
    """A figure size that fits :func:`path_layout` without empty bands.

    Examples
    --------
    >>> path_figsize(["A", "B"], [("A", "B")])
    (6.6, 5.6)
    """
    pos = path_layout(nodes, edges)
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    width = max(6.5, min(12.0, 1.5 * (max(xs) - min(xs) + 2.0)))
    height = width * (max(ys) - min(ys) + 2.2) / (max(xs) - min(xs) + 2.0) + 0.5
    return round(width, 2), round(max(3.5, min(height, 9.0)), 2)


def path_diagram(
    ax: Any,
    nodes: Sequence[str],
    edges: Mapping[tuple[str, str], tuple[float, float | None]],
    *,
    r2: Mapping[str, float] | None = None,
    names: Mapping[str, str] | None = None,
    language: str = "en",
) -> Any:
    """Draw a structural model: constructs as ellipses, paths as arrows.

    Each arrow carries its coefficient with significance stars; its width grows with
    the coefficient's size, blue for positive, vermillion for negative, dashed grey
    when not significant at 5 % (when p-values are given). Endogenous constructs show
    their R² under the name.

    Parameters
    ----------
    ax : matplotlib Axes
    nodes : list of str
        Construct codes.
    edges : dict of (from, to) to (coefficient, p_value or None)
    r2 : dict of str to float, optional
    names : dict of str to str, optional
        Text drawn for each construct (labels); default the code.
    language : {"en", "zh"}

    Examples
    --------
    >>> fig, ax = axes_for()
    >>> _ = path_diagram(ax, ["A", "B"], {("A", "B"): (0.5, 0.0001)}, r2={"B": 0.25})
    >>> sorted(t.get_text() for t in ax.texts)[:3]
    ['*** p < .001, ** p < .01, * p < .05; dashed: not significant', '0.50***', 'A']
    >>> pyplot().close(fig)
    """
    import numpy as np
    from matplotlib.patches import Ellipse, FancyArrowPatch

    pos = path_layout(nodes, list(edges))
    width, height = 1.75, 0.7
    shown = {n: (names or {}).get(n, n) for n in nodes}
    for n in nodes:
        x, y = pos[n]
        ax.add_patch(
            Ellipse(
                (x, y), width, height, facecolor="#EAF2FA", edgecolor=POSITIVE, lw=1.2, zorder=2
            )
        )
        label = shown[n]
        if r2 and n in r2 and np.isfinite(r2[n]):
            label += f"\nR² = {r2[n]:.2f}"
        ax.text(x, y, label, ha="center", va="center", fontsize=10, zorder=3)
    big = max((abs(c) for c, _ in edges.values()), default=1.0) or 1.0
    label_spots: list[tuple[float, float]] = []
    curve_tops: list[float] = []  # how far bent arrows reach, so the axes show them whole
    for (a, b), (coef, p) in edges.items():
        (x0, y0), (x1, y1) = pos[a], pos[b]
        significant = p is None or (p == p and p < 0.05)
        color = (POSITIVE if coef >= 0 else NEGATIVE) if significant else NEUTRAL
        rad = 0.0
        skip = abs(x1 - x0) > 2.5 and abs(y1 - y0) < 0.1
        if skip:
            rad = -0.25 if y0 > 0 else 0.25  # bend long same-row paths away from the middle
        arrow = FancyArrowPatch(
            (x0, y0),
            (x1, y1),
            arrowstyle="-|>",
            mutation_scale=12,
            connectionstyle=f"arc3,rad={rad}",
            color=color,
            lw=0.8 + 2.2 * abs(coef) / big,
            linestyle="-" if significant else "--",
            shrinkA=30,
            shrinkB=30,
            zorder=1,
        )
        ax.add_patch(arrow)
        if rad:  # the apex of the arc3 curve (its control point is rad·(dy, -dx) away)
            curve_tops.append((y0 + y1) / 2 - 0.5 * rad * (x1 - x0))
        # the label sits on the arrow, away from crossings and other labels
        for t in (0.5, 0.38, 0.62, 0.3, 0.7):
            mx, my = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
            if rad:  # the point at t of matplotlib's arc3 quadratic Bezier curve
                dx, dy = x1 - x0, y1 - y0
                mx += 2 * t * (1 - t) * rad * dy
                my -= 2 * t * (1 - t) * rad * dx
            if all(abs(mx - u) > 0.55 or abs(my - v) > 0.22 for u, v in label_spots):
                break
        label_spots.append((mx, my))
        ax.text(
            mx,
            my,
            f"{coef:.2f}{stars(p)}",
            ha="center",
            va="center",
            fontsize=9.5,
            color=color if significant else "#555555",
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.9},
            zorder=4,
        )
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    reach = [*curve_tops, *(v for _, v in label_spots)]
    ax.set_xlim(min(xs) - 1.0, max(xs) + 1.0)
    ax.set_ylim(min([min(ys) - 0.9, *(r - 0.35 for r in reach)]),
                max([max(ys) + 0.9, *(r + 0.35 for r in reach)]))  # fmt: skip
    ax.set_aspect("equal")
    ax.axis("off")
    if any(p is not None for _, p in edges.values()):
        ax.text(
            0.0,
            -0.02,
            text("*** p < .001, ** p < .01, * p < .05; dashed: not significant", language),
            transform=ax.transAxes,
            fontsize=7,
            color="#555555",
            va="top",
        )
    return ax


def scatter_labelled(
    ax: Any,
    x: ArrayLike,
    y: ArrayLike,
    names: Sequence[str],
    *,
    color: str = POSITIVE,
) -> Any:
    """Points with a text label each, labels spread apart so that they do not overlap.

    Examples
    --------
    >>> fig, ax = axes_for()
    >>> _ = scatter_labelled(ax, [0, 0.01], [1, 1.001], ["a", "b"])
    >>> len(ax.texts)
    2
    >>> pyplot().close(fig)
    """
    import numpy as np

    xs = np.asarray(x, dtype=float)
    ys = np.asarray(y, dtype=float)
    ax.scatter(xs, ys, s=36, color=color, zorder=3, edgecolor="white", linewidth=0.6)
    xr = float(np.ptp(xs)) or 1.0
    yr = float(np.ptp(ys)) or 1.0
    ax.set_xlim(xs.min() - 0.12 * xr, xs.max() + 0.35 * xr)
    ax.set_ylim(ys.min() - 0.15 * yr, ys.max() + 0.15 * yr)
    # label rows: spread vertically the labels of points close in x
    label_y = spread(list(ys), 0.075 * yr)
    for xi, yi, ly, name in zip(xs, ys, label_y, names, strict=True):
        ax.annotate(
            name,
            (xi, yi),
            xytext=(xi + 0.04 * xr, ly),
            textcoords="data",
            fontsize=8,
            va="center",
            arrowprops={"arrowstyle": "-", "color": "#999999", "lw": 0.5}
            if abs(ly - yi) > 0.02 * yr
            else None,
        )
    return ax
