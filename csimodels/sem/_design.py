"""The design of a path model derived from its spec: blocks, structure, checks.

Shared by the PLS fit, MGA, PLSpredict, the batched per-segment fits and the dask
path, so none of them imports another's private helpers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from csimodels.data.survey import ItemMatrix, SurveyData
from csimodels.errors import DataValidationError, format_offenders
from csimodels.sem.spec import ModelSpec

if TYPE_CHECKING:
    from csimodels.sem.bootstrap import StatisticLayout
    from csimodels.sem.model import PathModelBase

FloatArray = NDArray[np.float64]

__all__ = [
    "blocks",
    "check_estimable",
    "default_min_segment_size",
    "engine_settings",
    "indicator_scales",
    "modes",
    "statistic_layout",
    "structure",
]


def blocks(spec: ModelSpec) -> list[NDArray[np.int64]]:
    """Column positions of each construct's indicators, in spec order."""
    blocks: list[NDArray[np.int64]] = []
    start = 0
    for c in spec.constructs:
        blocks.append(np.arange(start, start + len(c.indicators), dtype=np.int64))
        start += len(c.indicators)
    return blocks


def structure(spec: ModelSpec) -> NDArray[np.bool_]:
    """The inner model as a boolean matrix: ``structure[a, b]`` for a path a → b."""
    pos = {n: i for i, n in enumerate(spec.construct_names)}
    structure = np.zeros((len(pos), len(pos)), dtype=bool)
    for a, b in spec.paths:
        structure[pos[a], pos[b]] = True
    return structure


def modes(spec: ModelSpec) -> list[str]:
    """The engine's outer mode of each construct: "A" (reflective) or "B" (formative)."""
    return ["A" if c.mode == "reflective" else "B" for c in spec.constructs]


def statistic_layout(spec: ModelSpec, lower: FloatArray, upper: FloatArray) -> StatisticLayout:
    """Which statistics a resample row holds (weights, loadings, paths, effects...)."""
    from csimodels.sem.bootstrap import make_layout

    names = list(spec.construct_names)
    pos = {c: i for i, c in enumerate(names)}
    return make_layout(
        blocks(spec),
        modes(spec),
        structure(spec),
        list(spec.indicators),
        names,
        [(pos[a], pos[b]) for a, b in spec.paths],
        lower,
        upper,
    )


def engine_settings(model: PathModelBase) -> dict[str, Any]:
    """The PLS engine's settings of a model (scheme, tolerance, iterations, PLSc)."""
    return {
        "scheme": model.scheme,
        "tol": model.tol,
        "max_iter": model.max_iter,
        "consistent": model.consistent,
    }


def default_min_segment_size(spec: ModelSpec) -> int:
    """The ten-times rule, and at least one more respondent than indicators."""
    arrows = [len(spec.predecessors(n)) for n in spec.construct_names]
    arrows += [len(c.indicators) for c in spec.constructs if c.mode == "formative"]
    return max(10 * max(arrows, default=1), len(spec.indicators) + 1)


def indicator_scales(
    spec: ModelSpec, data: SurveyData, model_name: str
) -> tuple[FloatArray, FloatArray]:
    """The declared scale bounds of every indicator (the 0–100 index needs them)."""
    lower = np.empty(len(spec.indicators))
    upper = np.empty(len(spec.indicators))
    unknown = []
    for j, item in enumerate(spec.indicators):
        scale = data.item_info[item].scale
        if scale is None:
            unknown.append(item)
            continue
        lower[j], upper[j] = scale.min, scale.max
    if unknown:
        raise DataValidationError(
            f"{model_name}: the 0–100 index needs each indicator's declared scale, unknown "
            f"for {format_offenders(unknown)}; pass scale=(min, max) to fit, or build a "
            "SurveyData with scale=..."
        )
    return lower, upper


def check_estimable(spec: ModelSpec, matrix: ItemMatrix, model_name: str) -> None:
    x = matrix.values
    n, p = x.shape
    if n <= p:
        raise DataValidationError(
            f"{model_name}: {n} respondents for {p} indicators; PLS needs more respondents "
            "than indicators (the indicator correlation matrix is singular otherwise)"
        )
    sd = x.std(axis=0)
    for c in spec.constructs:
        for item in c.indicators:
            j = matrix.items.index(item)
            if sd[j] == 0:
                raise DataValidationError(
                    f"indicator {item!r} of construct {c.name!r} has no variance (every "
                    f"answer is {x[0, j]:g}); PLS standardises indicators: drop it from the model"
                )
    r: FloatArray = np.atleast_2d(np.corrcoef(x, rowvar=False))
    for c in spec.constructs:
        idx = [matrix.items.index(i) for i in c.indicators]
        for a in range(len(idx)):
            for b in range(a + 1, len(idx)):
                if abs(r[idx[a], idx[b]]) > 1 - 1e-10 and c.mode == "formative":
                    raise DataValidationError(
                        f"indicators {c.indicators[a]!r} and {c.indicators[b]!r} of formative "
                        f"construct {c.name!r} are perfectly collinear (r = "
                        f"{r[idx[a], idx[b]]:+.6f}); Mode B weights are regression "
                        "coefficients: drop one of them"
                    )
        if c.mode == "formative" and len(idx) > 1:
            block = r[np.ix_(idx, idx)]
            if np.linalg.matrix_rank(block, tol=1e-10) < len(idx):
                raise DataValidationError(
                    f"the indicators of formative construct {c.name!r} are perfectly "
                    f"collinear (one is a linear combination of the others: "
                    f"{format_offenders(list(c.indicators))}); drop the redundant ones"
                )
