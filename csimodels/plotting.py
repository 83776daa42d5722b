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
            rc["font.family"] = "sans-serif"
            rc["font.sans-serif"] = [family, "DejaVu Sans"]
            rc["axes.unicode_minus"] = False
    with plt.rc_context(rc):
        yield rc


def axes_for(ax: Any = None, *, figsize: tuple[float, float] = (6.4, 4.2)) -> tuple[Any, Any]:
    """``(figure, axes)``: the caller's axes, or a new figure of ``figsize``.

    Examples
    --------
    >>> fig, ax = axes_for(figsize=(3, 2))
    >>> fig.get_size_inches().tolist()
    [3.0, 2.0]
    >>> pyplot().close(fig)
    """
    if ax is not None:
        return ax.figure, ax
    plt = pyplot()
    fig, new = plt.subplots(figsize=figsize, layout="constrained")
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
