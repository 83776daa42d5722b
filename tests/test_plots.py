"""Charts: what is drawn equals the result's numbers, read back from the artists.

Each check reads the matplotlib objects (bar widths, line data, tick labels, texts)
and compares them with the result's tables; Chinese text renders without missing
glyphs when a CJK font is installed, and a clear FontWarning says so when none is.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from csimodels import plotting  # noqa: E402
from csimodels.errors import FontWarning, InvalidParameterError, SpecificationError  # noqa: E402
from csimodels.reports._examples import example_result  # noqa: E402
from csimodels.reports.charts import (  # noqa: E402
    mga_plot_data,
    segment_ranking,
    segmented_index_chart,
)

_CACHE: dict[str, Any] = {}

CJK = plotting.cjk_font()
needs_cjk = pytest.mark.skipif(CJK is None, reason="no CJK font installed (fonts-noto-cjk)")


def ex(name: str) -> Any:
    if name not in _CACHE:
        _CACHE[name] = example_result(name)
    return _CACHE[name]


@pytest.fixture(autouse=True)
def _close() -> Any:
    yield
    plt.close("all")


def _bar_widths(ax: Any) -> list[float]:
    return [float(p.get_width()) for p in ax.patches]


def _render(ax: Any) -> list[str]:
    """Draw the figure to PNG and return the text of font warnings raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plotting.figure_png(ax.figure)
    return [str(w.message) for w in caught if "Glyph" in str(w.message)]


# -- SERVQUAL radar: the whole circle, every spoke ---------------------------------------


@pytest.mark.parametrize(
    ("name", "series"),
    [
        ("SERVQUALResult", ["expectation", "perception"]),
        ("ZoneOfToleranceResult", ["adequate", "desired", "perception"]),
        ("SERVPERFResult", ["estimate"]),
    ],
)
def test_radar_is_a_full_circle_with_every_spoke(name: str, series: list[str]) -> None:
    res = ex(name)
    ax = res.plot("radar")
    dims = res.dimensions
    lo, hi = ax.get_xlim()
    assert lo == pytest.approx(0.0) and hi == pytest.approx(2 * np.pi)
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks == [str(d) for d in dims.index]
    assert "Tangibles" in ticks
    theta = np.asarray(ax.get_xticks())
    assert np.allclose(theta, 2 * np.pi * np.arange(len(dims)) / len(dims))
    # clockwise from the top
    assert ax.get_theta_offset() == pytest.approx(np.pi / 2) and ax.get_theta_direction() == -1
    lines = ax.get_lines()
    assert len(lines) == len(series)
    for line, col in zip(lines, series, strict=True):
        x, y = line.get_data()
        assert len(x) == len(dims) + 1 and x[0] == x[-1] and y[0] == y[-1]  # closed
        assert np.array_equal(np.asarray(y[:-1], float), dims[col].to_numpy(float))


def test_radar_with_labels_names_the_dimensions() -> None:
    res = ex("SERVQUALResult")
    ax = res.plot("radar", labels="label", language="zh")
    assert [t.get_text() for t in ax.get_xticklabels()] == list(res.dimensions["label"])


# -- penalty-reward: signs as estimated ----------------------------------------------------


def test_penalty_reward_bars_keep_their_sign() -> None:
    res = ex("PenaltyRewardResult")
    table = res.table.copy()
    first = table.index[0]
    table.loc[first, "penalty"] = 0.3  # a positive penalty must be drawn positive
    flipped = res.model_copy(update={"table": table})
    ax = flipped.plot()
    order = flipped.plot_data().index
    widths = _bar_widths(ax)
    n = len(order)
    pen, rew = widths[:n], widths[n:]
    assert pen == list(flipped.table.loc[order, "penalty"].astype(float))
    assert rew == list(flipped.table.loc[order, "reward"].astype(float))
    assert pen[list(order).index(first)] == pytest.approx(0.3)


# -- PLS / CB-SEM path diagrams --------------------------------------------------------------


def _stars(p: float) -> str:
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


def test_pls_path_diagram_shows_every_path_with_stars_and_r2() -> None:
    res = ex("PLSResult")
    ax = res.plot("paths")
    texts = [t.get_text() for t in ax.texts]
    for (_a, _b), row in res.paths.iterrows():
        assert f"{row['estimate']:.2f}{_stars(row['p_value'])}" in texts
    for name, row in res.r2.iterrows():
        assert f"{name}\nR² = {row['r2']:.2f}" in texts
    arrows = [p for p in ax.patches if type(p).__name__ == "FancyArrowPatch"]
    assert len(arrows) == len(res.paths)


def test_cbsem_path_diagram_uses_standardised_paths() -> None:
    res = ex("CBSEMResult")
    ax = res.plot("paths", labels="label")
    texts = [t.get_text() for t in ax.texts]
    for _, row in res.paths.iterrows():
        assert f"{row['std_estimate']:.2f}{_stars(row['p_value'])}" in texts
    assert any(res.construct_labels["Satisfaction"] in t for t in texts)


def _overlaps(boxes: list[Any]) -> list[tuple[int, int]]:
    return [
        (i, j)
        for i in range(len(boxes))
        for j in range(i + 1, len(boxes))
        if boxes[i].overlaps(boxes[j])
    ]


def test_path_diagram_labels_do_not_overlap() -> None:
    for name in ("PLSResult", "CBSEMResult"):
        ax = ex(name).plot("paths", labels="label", language="zh")
        fig = ax.figure
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        edge_labels = [t for t in ax.texts if t.get_bbox_patch() is not None]
        boxes = [t.get_window_extent(renderer) for t in edge_labels]
        assert _overlaps(boxes) == []


def test_ipma_points_are_the_ipma_table() -> None:
    res = ex("PLSResult")
    ax = res.plot("ipma", target="Satisfaction")
    table = res.ipma("Satisfaction")
    points = ax.collections[0].get_offsets()
    assert np.array_equal(np.asarray(points[:, 0]), table["importance"].to_numpy())
    assert np.array_equal(np.asarray(points[:, 1]), table["performance"].to_numpy())
    fig = ax.figure
    fig.canvas.draw()
    boxes = [t.get_window_extent(fig.canvas.get_renderer()) for t in ax.texts[: len(table)]]
    assert _overlaps(boxes) == []


def test_indices_bars_with_bootstrap_intervals() -> None:
    res = ex("PLSResult")
    ax = res.plot("indices")
    assert _bar_widths(ax) == list(res.indices["index"].astype(float))
    bars = next(c for c in ax.containers if type(c).__name__ == "BarContainer")
    seg = bars.errorbar.lines[2][0].get_segments()
    lo = [s[0][0] for s in seg]
    hi = [s[1][0] for s in seg]
    assert np.allclose(lo, res.indices["ci_lower"]) and np.allclose(hi, res.indices["ci_upper"])


# -- segments ----------------------------------------------------------------------------


def test_segment_ranking_orders_segments_best_first() -> None:
    res = ex("SegmentedPLSResult")
    ax = res.plot("ranking")  # the construct most paths lead to: Satisfaction
    want = pd.Series(
        {s: r.indices.loc["Satisfaction", "index"] for s, r in res.segments.items()}
    ).sort_values(ascending=False)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(want.index)
    dots = [ln for ln in ax.get_lines() if ln.get_marker() == "o"]
    assert [float(ln.get_xdata()[0]) for ln in dots] == list(want.astype(float))
    assert ax.get_title().endswith("Satisfaction")
    with pytest.raises(SpecificationError, match="no construct named 'Nope'"):
        segmented_index_chart(res, "ranking", construct="Nope")


def test_segment_ranking_draws_the_intervals() -> None:
    table = pd.DataFrame(
        {"estimate": [70.0, 72.5, 71.0], "ci_lower": [69.0, 71.5, 70.2], "ci_upper": [71, 73, 72]},
        index=["A", "B", "C"],
    )
    ax = segment_ranking(table)
    whiskers = [ln for ln in ax.get_lines() if ln.get_xdata()[0] != ln.get_xdata()[-1]]
    got = sorted((float(w.get_xdata()[0]), float(w.get_xdata()[1])) for w in whiskers)
    assert got == [(69.0, 71.0), (70.2, 72.0), (71.5, 73.0)]


def test_segment_bars_and_radar() -> None:
    res = ex("SegmentedPLSResult")
    ax = res.plot("bar")
    heights = [float(p.get_height()) for p in ax.patches]
    want = [v for r in res.segments.values() for v in r.indices["index"]]
    assert heights == want  # segment by segment, each segment's own indices
    ax = res.plot("radar", labels="label")
    assert [ln.get_label() for ln in ax.get_lines()] == list(res.segments)
    assert ax.get_xlim() == pytest.approx((0.0, 2 * np.pi))


# -- MGA ---------------------------------------------------------------------------------


def test_mga_differences_and_intervals() -> None:
    res = ex("MultigroupResult")
    data = mga_plot_data(res, "path")
    paths = res.table.xs("path", level="kind")
    assert np.array_equal(data["difference"].to_numpy(), paths["difference"].to_numpy())
    # the percentile interval of independent bootstrap differences is close to the
    # normal interval from the two groups' bootstrap standard errors
    se = np.sqrt(paths["std_error_1"] ** 2 + paths["std_error_2"] ** 2)
    width = data["ci_upper"] - data["ci_lower"]
    assert np.allclose(width, 2 * 1.959964 * se, rtol=0.35)
    centre = (data["ci_upper"] + data["ci_lower"]) / 2
    assert np.allclose(centre, paths["difference"], atol=2 * se.max())
    ax = res.plot("paths")
    assert _bar_widths(ax) == list(paths["difference"].astype(float))


# -- AHP, describe ---------------------------------------------------------------------------


def test_ahp_priorities_and_consistency() -> None:
    res = ex("AHPResult")
    ax = res.plot()
    w = res.weights.sort_values(ascending=False)
    assert _bar_widths(ax) == list(w.astype(float))
    assert f"CR = {res.cr:.3f}" in ax.get_title()
    ax = res.plot("consistency")
    assert _bar_widths(ax) == [res.cr]
    thresholds = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
    assert float(thresholds[0].get_xdata()[0]) == res.threshold


def test_describe_bars_and_pie() -> None:
    res = ex("DescriptionResult")
    ax = res.plot("bar")
    n_items, n_values = res.frequencies.shape
    widths = np.array(_bar_widths(ax)).reshape(n_values, n_items).T
    assert np.allclose(widths, res.frequencies.to_numpy())
    assert np.allclose(widths.sum(axis=1), 1.0)
    ax = res.plot("pie", item="SAT1")
    shares = res.frequencies.loc["SAT1"]
    wedges = [p for p in ax.patches if type(p).__name__ == "Wedge"]
    assert len(wedges) == int((shares > 0).sum())
    spans = np.array([(w.theta2 - w.theta1) / 360 for w in wedges])
    assert np.allclose(spans, shares[shares > 0].to_numpy())
    with pytest.raises(InvalidParameterError, match="parameter 'item'"):
        res.plot("pie", item="NOPE")


# -- options and fonts ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "PLSResult",
        "CBSEMResult",
        "SegmentedPLSResult",
        "MultigroupResult",
        "AHPResult",
        "AHPHierarchyResult",
        "DescriptionResult",
        "SERVQUALResult",
        "PenaltyRewardResult",
    ],
)
def test_bad_plot_options_are_refused(name: str) -> None:
    res = ex(name)
    with pytest.raises(InvalidParameterError, match="parameter 'kind'"):
        res.plot("no-such-chart")
    with pytest.raises(InvalidParameterError, match="parameter 'language'"):
        res.plot(language="fr")
    with pytest.raises(InvalidParameterError, match="parameter 'labels'"):
        res.plot(labels="names")


_ALL_CHARTS = [
    ("PLSResult", {"kind": "paths"}),
    ("PLSResult", {"kind": "indices"}),
    ("PLSResult", {"kind": "ipma"}),
    ("CBSEMResult", {"kind": "paths"}),
    ("SegmentedPLSResult", {"kind": "bar"}),
    ("SegmentedPLSResult", {"kind": "radar"}),
    ("SegmentedPLSResult", {"kind": "ranking"}),
    ("MultigroupResult", {"kind": "paths"}),
    ("AHPResult", {"kind": "priorities"}),
    ("AHPHierarchyResult", {"kind": "consistency"}),
    ("DescriptionResult", {"kind": "bar"}),
    ("DescriptionResult", {"kind": "pie"}),
    ("SERVQUALResult", {"kind": "radar"}),
    ("ZoneOfToleranceResult", {"kind": "bar"}),
    ("PenaltyRewardResult", {}),
]


@needs_cjk
@pytest.mark.parametrize(("name", "kw"), _ALL_CHARTS)
def test_chinese_renders_without_missing_glyphs(name: str, kw: dict[str, Any]) -> None:
    res = ex(name)
    for language in ("zh", "en"):  # English charts may show Chinese labels too
        with warnings.catch_warnings():
            warnings.simplefilter("error", FontWarning)
            ax = res.plot(language=language, labels="label", **kw)
        assert _render(ax) == []


def test_a_clear_warning_when_no_cjk_font(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plotting, "cjk_font", lambda: None)
    res = ex("AHPResult")
    with pytest.warns(FontWarning, match="fonts-noto-cjk"):
        res.plot(language="zh")
