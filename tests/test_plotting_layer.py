"""The plotting layer: CJK font resolution, the style, the option check, the guard."""

from __future__ import annotations

import warnings

import matplotlib
import pytest

matplotlib.use("Agg")

from csimodels import plotting
from csimodels.errors import FontWarning, InvalidParameterError


def test_chinese_text_renders_even_when_saved_after_the_context() -> None:
    if plotting.cjk_font() is None:
        pytest.skip("no CJK font installed (Debian: fonts-noto-cjk)")
    with plotting.use_language("zh"):
        fig, ax = plotting.axes_for(figsize=(3, 2))
        ax.set_title("满意度指数")
        ax.bar(["质量", "价值"], [1, 2])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.canvas.draw()  # the glyphs are looked up here, outside the context
    assert not [w for w in caught if "Glyph" in str(w.message)]
    assert ax.title.get_fontname() == plotting.cjk_font()
    plotting.pyplot().close(fig)


def test_missing_cjk_font_warns_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plotting, "cjk_font", lambda: None)
    with pytest.warns(FontWarning, match="no font with Chinese glyphs is installed"):
        with plotting.use_language("zh"):
            pass


def test_english_charts_use_the_palette() -> None:
    with plotting.use_language("en") as rc:
        colours = rc["axes.prop_cycle"].by_key()["color"]
    assert tuple(colours) == plotting.PALETTE


def test_plot_options_are_checked() -> None:
    with pytest.raises(InvalidParameterError, match=r"parameter .language. of X\.plot must be"):
        plotting.check_plot_options(
            kind=None, kinds=("bar",), language="fr", labels="code", owner="X"
        )
    with pytest.raises(InvalidParameterError, match=r"parameter .labels. of X\.plot must be"):
        plotting.check_plot_options(
            kind=None, kinds=("bar",), language="en", labels="names", owner="X"
        )
    assert plotting.display_labels(["A"], "label", {"A": "甲"}) == ["甲"]
