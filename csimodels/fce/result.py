"""Result classes of fuzzy comprehensive evaluation."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import PlainSerializer

from csimodels.fce.grades import GradeSet
from csimodels.results import SEGMENT_PLOTS, Frame, Result, SegmentedResult, SeriesTable

FloatArray = NDArray[np.float64]

__all__ = ["FCEResult", "FCESegmentResult", "FCETreeResult"]


def _json_float(value: float) -> float | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


JsonFloat = Annotated[float, PlainSerializer(_json_float, when_used="json")]
"""A float field written as strict JSON (NaN and infinities as strings)."""


# -- results --------------------------------------------------------------------------------
class FCEResult(Result):
    """One fuzzy comprehensive evaluation: B = A ∘ R and its verdicts.

    Attributes
    ----------
    weights : Series
        The weight vector A used, indexed by factor (after validation).
    membership : DataFrame
        The membership matrix R, factors × grades.
    table : DataFrame, one row per grade (in grade order)
        ``score``: the grade's score cⱼ (NaN if unscored); ``rank``: 1, 2, ..., m;
        ``b_raw``: bⱼ as composed by the operator; ``b``: normalised, b̄ⱼ = bⱼ / Σ b.
    verdict : tuple of str
        The grade(s) of maximum membership; more than one when tied (never broken).
    tie : bool
        Whether the maximum membership is tied.
    validity : float
        Validity index α of the maximum-membership principle (:func:`validity_index`).
    validity_level : str
        ``"fully valid"`` (α ≥ 1), ``"fairly valid"`` (0.5 ≤ α < 1), ``"low validity"``
        (0 < α < 0.5) or ``"invalid"`` (α = 0).
    score : float
        S = Σⱼ b̄ⱼ cⱼ (NaN when the grades have no scores).
    rank_position : float
        Rank-weighted position Σⱼ b̄ⱼᵏ·j / Σⱼ b̄ⱼᵏ (加权平均原则), 1 = first grade.
    rank_grade : str
        The grade nearest to ``rank_position``.
    rank_weighted_score : float
        Σⱼ b̄ⱼᵏ cⱼ / Σⱼ b̄ⱼᵏ: the score with memberships raised to the power k
        (``settings["rank_exponent"]``); equals ``score`` when k = 1.

    Examples
    --------
    >>> from csimodels.fce import FCE
    >>> fce = FCE(grades={"好": 90, "中": 70, "差": 50})
    >>> res = fce.evaluate([0.5, 0.5], [[0.6, 0.4, 0.0], [0.2, 0.6, 0.2]])
    >>> res.b.round(3).tolist(), res.verdict, round(res.score, 2)
    ([0.4, 0.5, 0.1], ('中',), 76.0)
    """

    weights: SeriesTable
    membership: Frame
    table: Frame
    verdict: tuple[str, ...]
    tie: bool
    validity: JsonFloat
    validity_level: str
    score: JsonFloat
    rank_position: JsonFloat
    rank_grade: str
    rank_weighted_score: JsonFloat

    _title: ClassVar[str] = "Fuzzy comprehensive evaluation"

    @property
    def b(self) -> pd.Series:
        """Normalised grade vector b̄ (Series indexed by grade)."""
        return self.table["b"].rename("b")

    @property
    def b_raw(self) -> pd.Series:
        """Grade vector B as composed, before normalisation."""
        return self.table["b_raw"].rename("b_raw")

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        s = self.settings
        header: list[tuple[str, object]] = [
            ("Node", s.get("node", "(single level)")),
            ("Operator", f"{s.get('operator_symbol')} ({s.get('operator')})"),
            ("Factors", len(self.weights)),
            ("Verdict", " = ".join(self.verdict) + (" (tie)" if self.tie else "")),
            ("Validity index", f"{self.validity:.4f} ({self.validity_level})"),
            (
                "Score S",
                "n/a (grades not scored)" if math.isnan(self.score) else f"{self.score:.4f}",
            ),
            (
                "Rank position",
                f"{self.rank_position:.4f} (nearest: {self.rank_grade}; "
                f"k = {s.get('rank_exponent')})",
            ),
        ]
        r = self.membership.copy()
        r.insert(0, "weight", self.weights.to_numpy())
        return header, {"Grade vector B": self.table, "Weights and membership matrix R": r}

    def plot_data(self) -> pd.DataFrame:
        """Stacked-bar data: one row (``overall``), one column per grade, values b̄ⱼ."""
        return pd.DataFrame(
            [self.table["b"].to_numpy()],
            index=pd.Index([str(self.settings.get("node", "overall"))], name="node"),
            columns=pd.Index(list(self.table.index), name="grade"),
        )

    def plot(
        self,
        kind: Literal["stacked"] | None = None,
        *,
        ax: Any = None,
        language: Literal["en", "zh"] = "en",
        labels: Literal["code", "label"] = "code",
    ) -> Any:
        """Stacked horizontal bar of b̄ by grade (needs matplotlib); returns the Axes."""
        return _plot_checked(self, self.plot_data(), kind, ax, language, labels)


class FCETreeResult(Result):
    """A multi-level evaluation: every node's B, verdict and score.

    Attributes
    ----------
    root : str
        Name of the top node.
    table : DataFrame, one row per node (top-down, depth first)
        ``parent`` (empty for the root); ``level`` (0 for the root); ``weight``: the
        node's weight in its parent (NaN for the root); ``global_weight``: product of
        the weights on the path from the root; ``operator``; one column per grade with
        the node's normalised b̄; ``score``; ``verdict`` (ties joined by " = ");
        ``tie``; ``validity``; ``rank_position``.
    b_raw : DataFrame
        Nodes × grades, each node's B before normalisation.
    nodes : dict of str to FCEResult
        The full single-level result of each node (its R holds the children's b̄ as
        rows).

    Examples
    --------
    >>> from csimodels.fce import FCE, FCETree, GradeSet
    >>> g = GradeSet(["好", "差"], scores=[1, 0])
    >>> tree = FCETree("总体", weights=[0.5, 0.5], children=[
    ...     FCETree("A", weights=[1.0], membership=[[0.8, 0.2]]),
    ...     FCETree("B", weights=[1.0], membership=[[0.4, 0.6]])])
    >>> FCE(grades=g).evaluate_tree(tree).overall.b.round(2).tolist()
    [0.6, 0.4]
    """

    root: str
    table: Frame
    b_raw: Frame
    nodes: dict[str, FCEResult]

    _title: ClassVar[str] = "Multi-level fuzzy comprehensive evaluation"

    @property
    def overall(self) -> FCEResult:
        """The root node's result."""
        return self.nodes[self.root]

    @property
    def b(self) -> pd.DataFrame:
        """Nodes × grades, normalised b̄."""
        return self.table[list(self.settings["grades"])]

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        top = self.overall
        header: list[tuple[str, object]] = [
            ("Root", self.root),
            ("Nodes", len(self.nodes)),
            ("Default operator", self.settings.get("operator")),
            ("Verdict", " = ".join(top.verdict) + (" (tie)" if top.tie else "")),
            ("Validity index", f"{top.validity:.4f} ({top.validity_level})"),
            ("Score S", "n/a" if math.isnan(top.score) else f"{top.score:.4f}"),
        ]
        return header, {"Nodes": self.table}

    def plot_data(self) -> pd.DataFrame:
        """Stacked-bar data: one row per node, one column per grade, values b̄ⱼ."""
        out = self.b.copy()
        out.columns.name = "grade"
        out.index.name = "node"
        return out

    def plot(
        self,
        kind: Literal["stacked"] | None = None,
        *,
        ax: Any = None,
        language: Literal["en", "zh"] = "en",
        labels: Literal["code", "label"] = "code",
    ) -> Any:
        """Stacked horizontal bars of b̄ per node (needs matplotlib); returns the Axes."""
        return _plot_checked(self, self.plot_data(), kind, ax, language, labels)


#: Removed in 0.2: ``by=`` returns the generic :class:`~csimodels.results.SegmentedResult`
#: (the per-segment table is ``overview["evaluation"]``, the whole sample ``pooled``).
FCESegmentResult = SegmentedResult


def _plot_checked(
    result: Result, data: pd.DataFrame, kind: Any, ax: Any, language: str, labels: str
) -> Any:
    """The common plot options checked, then the stacked bars in ``language``."""
    from csimodels.plotting import check_plot_options, use_language

    check_plot_options(
        kind=kind, kinds=("stacked",), language=language, labels=labels, owner=type(result).__name__
    )
    with use_language(language):
        return _plot_stacked(data, ax, language)


def _plot_segments(result: SegmentedResult, kind: Any, ax: Any, language: str, labels: str) -> Any:
    """Stacked horizontal bars of b̄ per segment (the whole sample first)."""
    grades = list(result.settings["grades"])
    data = result.overview["evaluation"][grades].copy()
    data.columns.name = "grade"
    return _plot_checked(result, data, kind, ax, language, labels)


SEGMENT_PLOTS["FCEResult"] = _plot_segments
SEGMENT_PLOTS["FCETreeResult"] = _plot_segments


def _plot_stacked(data: pd.DataFrame, ax: Any, language: str = "en") -> Any:
    from csimodels.plotting import pyplot

    plt = pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.5 + 0.45 * len(data)))
    left = np.zeros(len(data))
    labels = [str(i) for i in data.index]
    for grade in data.columns:
        values = data[grade].to_numpy(dtype=np.float64)
        ax.barh(labels, values, left=left, label=str(grade))
        left = left + values
    ax.set_xlim(0, 1)
    zh = language == "zh"
    ax.set_xlabel("隶属度 b̄" if zh else "membership b̄")
    ax.set_title("模糊综合评价" if zh else "Fuzzy comprehensive evaluation")
    ax.invert_yaxis()
    ax.legend(title="等级" if zh else "grade", loc="lower right", fontsize="small")
    return ax


def _summary_row(res: FCEResult, grades: GradeSet, *, extra: Mapping[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = dict(extra)
    for g, v in zip(grades.labels, res.table["b"].to_numpy(), strict=True):
        row[g] = float(v)
    row.update(
        {
            "score": res.score,
            "verdict": " = ".join(res.verdict),
            "tie": res.tie,
            "validity": res.validity,
            "rank_position": res.rank_position,
        }
    )
    return row
