"""The FCE model, its single-level, multi-level and per-segment results."""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, PlainSerializer

from csimodels.data.survey import SurveyData
from csimodels.errors import DataValidationError, SpecificationError, format_offenders
from csimodels.fce.grades import GradeSet
from csimodels.fce.membership import (
    GradesArg,
    _check_matrix,
    _frame,
    membership_from_matrix,
    membership_from_survey,
)
from csimodels.fce.operators import FCEOperator, get_operator
from csimodels.results import Frame, Result, SeriesTable

__all__ = [
    "FCE",
    "FCEResult",
    "FCESegmentResult",
    "FCETree",
    "FCETreeResult",
    "validity_index",
]

FloatArray = NDArray[np.float64]
WEIGHT_SUM_ATOL = 1e-6
_TIE_RTOL = 1e-9
_TIE_ATOL = 1e-12


def _json_float(value: float) -> float | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


JsonFloat = Annotated[float, PlainSerializer(_json_float, when_used="json")]
"""A float field written as strict JSON (NaN and infinities as strings)."""


# -- engine -------------------------------------------------------------------------------
def validity_index(b: Sequence[float] | FloatArray) -> float:
    """Validity index α of the maximum-membership principle.

    With the normalised grade vector b̄ over ``m`` grades, its largest entry β and
    second largest γ (equal to β when the maximum is tied)::

        α = (m·β − 1) / (2·γ·(m − 1))

    α = 0 when every grade has the same membership (the principle says nothing),
    α = +∞ when one grade takes everything (γ = 0). The usual reading: α ≥ 1 the
    verdict is fully valid; 0.5 ≤ α < 1 fairly valid; 0 < α < 0.5 of low validity;
    α = 0 invalid.

    Reference: the index of the maximum-membership principle's validity
    (最大隶属原则有效度) as given in the Chinese FCE literature, e.g. 杜栋, 庞庆华,
    吴炎《现代综合评价方法与案例精选》(清华大学出版社), chapter on fuzzy
    comprehensive evaluation.

    Examples
    --------
    >>> round(validity_index([0.2, 0.5, 0.3, 0.0]), 6)
    0.555556
    >>> validity_index([0.25, 0.25, 0.25, 0.25])
    0.0
    >>> validity_index([0.0, 1.0, 0.0])
    inf
    """
    arr = np.asarray(b, dtype=np.float64)
    total = arr.sum()
    if arr.ndim != 1 or arr.size < 2 or not np.isfinite(total) or total <= 0:
        return math.nan
    bn = arr / total
    m = bn.size
    top = np.sort(bn)[::-1]
    beta, gamma = float(top[0]), float(top[1])
    num = m * beta - 1.0
    if abs(num) < 1e-12:
        return 0.0
    if gamma <= 0:
        return math.inf
    return float(num / (2.0 * gamma * (m - 1)))


def _validity_level(alpha: float) -> str:
    if math.isnan(alpha):
        return "not applicable"
    if alpha >= 1:
        return "fully valid"
    if alpha >= 0.5:
        return "fairly valid"
    if alpha > 0:
        return "low validity"
    return "invalid"


def _verdict(
    b: FloatArray, scores: FloatArray | None, labels: Sequence[str], k: float
) -> dict[str, Any]:
    total = float(b.sum())
    if not total > 0:
        raise DataValidationError(
            "the composed grade vector B is all zeros, so it cannot be normalised; "
            "check the weights and the membership matrix"
        )
    bn = b / total
    top = float(bn.max())
    tied = np.flatnonzero(np.isclose(bn, top, rtol=_TIE_RTOL, atol=_TIE_ATOL))
    ranks = np.arange(1, bn.size + 1, dtype=np.float64)
    bk = bn**k
    position = float(bk @ ranks / bk.sum())
    score = math.nan if scores is None else float(bn @ scores)
    rank_score = math.nan if scores is None else float(bk @ scores / bk.sum())
    alpha = validity_index(bn)
    return {
        "b": bn,
        "verdict": tuple(labels[int(i)] for i in tied),
        "tie": bool(tied.size > 1),
        "validity": alpha,
        "validity_level": _validity_level(alpha),
        "score": score,
        "rank_position": position,
        "rank_grade": labels[min(max(math.floor(position + 0.5), 1), len(labels)) - 1],
        "rank_weighted_score": rank_score,
    }


# -- weights ------------------------------------------------------------------------------
def _weights_series(weights: Any, where: str) -> pd.Series | np.ndarray:
    """A Series (labelled) or ndarray (positional) from whatever the caller passed."""
    if weights is None:
        raise DataValidationError(f"{where}: weights are missing; give one weight per factor")
    inner = getattr(weights, "weights", None)
    if not isinstance(weights, (pd.Series, np.ndarray, list, tuple, Mapping)) and isinstance(
        inner, pd.Series
    ):
        return inner
    if isinstance(weights, pd.Series):
        return weights
    if isinstance(weights, Mapping):
        return pd.Series(dict(weights), dtype=object)
    if isinstance(weights, (str, bytes)):
        raise DataValidationError(f"{where}: weights must be numbers, got {weights!r}")
    try:
        arr = np.array(weights, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataValidationError(
            f"{where}: weights must be a Series, dict, array of numbers, or a result with a "
            f"'weights' Series (e.g. an AHP result); got {type(weights).__name__}"
        ) from None
    if arr.ndim != 1:
        raise DataValidationError(f"{where}: weights must be 1-dimensional, got shape {arr.shape}")
    return arr


def _validate_weights(
    weights: Any, factors: Sequence[Any], *, normalize: bool, where: str = "weights"
) -> FloatArray:
    """Weights aligned with ``factors``: non-negative, finite, summing to one."""
    raw = _weights_series(weights, where)
    if isinstance(raw, pd.Series):
        labels = list(raw.index)
        missing = [f for f in factors if f not in labels]
        extra = [lab for lab in labels if lab not in factors]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"no weight for factor {format_offenders(missing)}")
            if extra:
                parts.append(f"weight given for unknown factor {format_offenders(extra)}")
            raise DataValidationError(
                f"{where}: weight labels must match the factors {format_offenders(factors)}: "
                + "; ".join(parts)
            )
        if raw.index.has_duplicates:
            dup = raw.index[raw.index.duplicated()].unique().tolist()
            raise DataValidationError(f"{where}: factor {format_offenders(dup)} weighted twice")
        try:
            a = raw.loc[list(factors)].to_numpy(dtype=np.float64)
        except (TypeError, ValueError):
            raise DataValidationError(f"{where}: weights must be numbers") from None
    else:
        if raw.size != len(factors):
            raise DataValidationError(
                f"{where}: {raw.size} weights for {len(factors)} factors "
                f"({format_offenders(factors)}); give one weight per factor"
            )
        a = raw.astype(np.float64, copy=True)
    bad = [f for f, v in zip(factors, a, strict=True) if not np.isfinite(v) or v < 0]
    if bad:
        shown = ", ".join(
            f"{f!r}: {a[list(factors).index(f)]:g}" if isinstance(f, str) else f"{f}"
            for f in bad[:5]
        )
        raise DataValidationError(
            f"{where}: weights must be finite and >= 0; got {shown}"
            f"{f' and {len(bad) - 5} more' if len(bad) > 5 else ''}"
        )
    total = float(a.sum())
    if total <= 0:
        raise DataValidationError(f"{where}: weights are all zero")
    if abs(total - 1.0) > WEIGHT_SUM_ATOL:
        if not normalize:
            raise DataValidationError(
                f"{where}: weights sum to {total:.6g}, not 1; pass normalize_weights=True "
                "to divide them by their sum"
            )
        a = a / total
    return np.asarray(a, dtype=np.float64)


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

    def plot(self, ax: Any = None) -> Any:
        """Stacked horizontal bar of b̄ by grade (needs matplotlib); returns the Axes."""
        return _plot_stacked(self.plot_data(), ax)


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

    def plot(self, ax: Any = None) -> Any:
        """Stacked horizontal bars of b̄ per node (needs matplotlib); returns the Axes."""
        return _plot_stacked(self.plot_data(), ax)


class FCESegmentResult(Result):
    """One evaluation per segment (``by=``) plus the whole sample.

    Attributes
    ----------
    by : str
        The segment column.
    table : DataFrame, one row per segment then ``(all)``
        ``n_respondents``; one column per grade with the normalised b̄ of the top
        node; ``score``; ``verdict`` (ties joined by " = "); ``tie``; ``validity``;
        ``rank_position``.
    overall : FCEResult or FCETreeResult
        The evaluation on all respondents.
    segments : dict of str to FCEResult or FCETreeResult
        The evaluation of each segment (keys are the segment labels as text).

    Examples
    --------
    >>> df = pd.DataFrame({"速度": [1, 2, 2, 1], "态度": [2, 2, 1, 1],
    ...                    "store": ["s1", "s1", "s2", "s2"]})
    >>> data = SurveyData.from_frame(df, items=["速度", "态度"], segments=["store"])
    >>> res = FCE(grades=["好", "差"]).evaluate_survey(data, [0.5, 0.5], by="store")
    >>> res.table.loc["s2", "好"]
    np.float64(0.75)
    """

    by: str
    table: Frame
    overall: FCEResult | FCETreeResult
    segments: dict[str, FCEResult | FCETreeResult]

    _title: ClassVar[str] = "Fuzzy comprehensive evaluation by segment"

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        header: list[tuple[str, object]] = [
            ("Segments", f"{len(self.segments)} ({self.by})"),
            ("Operator", self.settings.get("operator")),
        ]
        return header, {"Segments": self.table}

    def plot_data(self) -> pd.DataFrame:
        """Stacked-bar data: one row per segment, one column per grade, values b̄ⱼ."""
        out = self.table[list(self.settings["grades"])].copy()
        out.columns.name = "grade"
        return out

    def plot(self, ax: Any = None) -> Any:
        """Stacked horizontal bars of b̄ per segment (needs matplotlib); returns the Axes."""
        return _plot_stacked(self.plot_data(), ax)


def _plot_stacked(data: pd.DataFrame, ax: Any) -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("plotting needs matplotlib: pip install 'csimodels[plot]'") from err
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.5 + 0.45 * len(data)))
    left = np.zeros(len(data))
    labels = [str(i) for i in data.index]
    for grade in data.columns:
        values = data[grade].to_numpy(dtype=np.float64)
        ax.barh(labels, values, left=left, label=str(grade))
        left = left + values
    ax.set_xlim(0, 1)
    ax.set_xlabel("membership b̄")
    ax.invert_yaxis()
    ax.legend(title="grade", loc="lower right", fontsize="small")
    return ax


# -- the tree ---------------------------------------------------------------------------------
class FCETree(BaseModel):
    """A node of a multi-level evaluation: a factor group with its weights.

    A node's factors are the rows of its own ``membership`` matrix (or of the survey
    ``items``), followed by its ``children``, whose normalised grade vectors become
    rows of the node's membership matrix.

    Attributes
    ----------
    name : str
        Node label (any language); unique in the tree.
    weights : Series, dict, array, or an object with a ``weights`` Series
        One weight per factor. A Series or dict is matched to factors by label; an
        array by position. An AHP result (anything with a ``weights`` Series) works
        directly. None: taken from ``evaluate_tree(..., weights=hierarchy)``.
    membership : DataFrame or array, optional
        The node's own factors × grades (a DataFrame's index labels the factors).
    items : list of str, or dict of column to factor label, optional
        Survey columns whose answers give the node's own factors' memberships
        (``evaluate_tree(..., data=...)``).
    children : tuple of FCETree
        Sub-groups.
    operator : str, optional
        Composition operator at this node; None uses the model's.

    Examples
    --------
    >>> leaf = FCETree("态度", weights=[1.0], membership=[[0.2, 0.8]])
    >>> FCETree("总体", weights={"态度": 1.0}, children=[leaf]).factor_labels()
    ['态度']
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    name: str
    weights: Any = None
    membership: Any = None
    items: tuple[str, ...] | dict[str, str] | None = None
    children: tuple[FCETree, ...] = ()
    operator: str | None = None

    def __init__(
        self,
        name: str,
        *,
        weights: Any = None,
        membership: Any = None,
        items: Sequence[str] | Mapping[str, str] | None = None,
        children: Sequence[FCETree] = (),
        operator: str | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise SpecificationError(f"a factor group needs a non-empty name, got {name!r}")
        kids = tuple(children)
        bad = [type(c).__name__ for c in kids if not isinstance(c, FCETree)]
        if bad:
            raise SpecificationError(
                f"factor group {name!r}: children must be FCETree nodes, "
                f"got {format_offenders(bad)}"
            )
        if membership is None and not items and not kids:
            raise SpecificationError(
                f"factor group {name!r} is empty: give it a membership matrix, survey items "
                "or children"
            )
        if membership is not None and items:
            raise SpecificationError(
                f"factor group {name!r}: give either membership= or items=, not both"
            )
        if operator is not None:
            operator = get_operator(operator).name
        if isinstance(membership, pd.DataFrame):
            membership = membership.copy()
        elif membership is not None:
            membership = np.array(membership, dtype=np.float64)
        if isinstance(weights, pd.Series):
            weights = weights.copy()
        elif isinstance(weights, np.ndarray):
            weights = weights.copy()
        elif isinstance(weights, Mapping):
            weights = dict(weights)
        elif isinstance(weights, list):
            weights = list(weights)
        items_v: tuple[str, ...] | dict[str, str] | None
        if items is None:
            items_v = None
        elif isinstance(items, Mapping):
            items_v = dict(items)
        elif isinstance(items, str):
            raise SpecificationError(f"factor group {name!r}: items must be a list, not a string")
        else:
            items_v = tuple(items)
        names = [c.name for c in kids]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise SpecificationError(
                f"factor group {name!r} has several children named {format_offenders(dupes)}"
            )
        super().__init__(
            name=name,
            weights=weights,
            membership=membership,
            items=items_v,
            children=kids,
            operator=operator,
        )

    def factor_labels(self) -> list[Any]:
        """Labels of this node's factors: own rows (membership or items), then children."""
        own: list[Any] = []
        if isinstance(self.membership, pd.DataFrame):
            own = list(self.membership.index)
        elif self.membership is not None:
            own = [f"u{i + 1}" for i in range(np.asarray(self.membership).shape[0])]
        elif isinstance(self.items, dict):
            own = list(self.items.values())
        elif self.items:
            own = list(self.items)
        return own + [c.name for c in self.children]

    def walk(self) -> list[tuple[FCETree, FCETree | None, int]]:
        """Every node top-down, depth first, as ``(node, parent, level)``."""
        out: list[tuple[FCETree, FCETree | None, int]] = []

        def visit(node: FCETree, parent: FCETree | None, level: int) -> None:
            out.append((node, parent, level))
            for child in node.children:
                visit(child, node, level + 1)

        visit(self, None, 0)
        return out


# -- the model --------------------------------------------------------------------------------
class FCE(BaseModel):
    """Fuzzy comprehensive evaluation (模糊综合评价) settings.

    Attributes
    ----------
    grades : GradeSet
        The grade set (a mapping of label to score or a list of labels also works).
    operator : str
        Composition operator, a key of :data:`FCE_OPERATORS` or its symbol:
        ``"weighted_average"`` M(·, +) (default), ``"min_max"`` M(∧, ∨),
        ``"product_max"`` M(·, ∨), ``"min_bounded_sum"`` M(∧, ⊕).
    normalize_weights : bool
        Divide weights by their sum; without it weights not summing to one are an error.
    normalize_membership : bool
        Divide rows of a membership matrix passed to ``evaluate`` by their sums.
    rank_exponent : float
        k of the rank-weighted verdict Σ b̄ⱼᵏ·j / Σ b̄ⱼᵏ (k = 1 or 2 in the literature).
    propagate : {"normalized", "raw"}
        Which grade vector of a child becomes its row in the parent's matrix.

    Examples
    --------
    >>> fce = FCE(grades={"优秀": 95, "良好": 80, "一般": 60, "不合格": 35})
    >>> r = [[0.2, 0.6, 0.2, 0.0], [0.4, 0.6, 0.0, 0.0]]
    >>> res = fce.evaluate({"速度": 0.5, "态度": 0.5},
    ...                    pd.DataFrame(r, index=["速度", "态度"], columns=list(fce.grades.labels)))
    >>> res.b.round(2).tolist(), res.verdict, round(res.score, 1)
    ([0.3, 0.6, 0.1, 0.0], ('良好',), 82.5)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    grades: GradeSet
    operator: str = "weighted_average"
    normalize_weights: bool = False
    normalize_membership: bool = False
    rank_exponent: float = 2.0
    propagate: Literal["normalized", "raw"] = "normalized"

    def __init__(
        self,
        grades: GradesArg,
        operator: str = "weighted_average",
        normalize_weights: bool = False,
        normalize_membership: bool = False,
        rank_exponent: float = 2.0,
        propagate: Literal["normalized", "raw"] = "normalized",
    ) -> None:
        gs = GradeSet.coerce(grades)
        op = get_operator(operator).name
        try:
            k = float(rank_exponent)
        except (TypeError, ValueError):
            k = math.nan
        if not (math.isfinite(k) and k > 0):
            raise SpecificationError(f"rank_exponent must be a number > 0, got {rank_exponent!r}")
        if propagate not in ("normalized", "raw"):
            raise SpecificationError(f"propagate must be 'normalized' or 'raw', got {propagate!r}")
        super().__init__(
            grades=gs,
            operator=op,
            normalize_weights=bool(normalize_weights),
            normalize_membership=bool(normalize_membership),
            rank_exponent=k,
            propagate=propagate,
        )

    # -- single level -----------------------------------------------------------------
    def evaluate(
        self, weights: Any, membership: pd.DataFrame | Any, *, operator: str | None = None
    ) -> FCEResult:
        """Evaluate one factor group: B = A ∘ R, then the verdicts.

        Parameters
        ----------
        weights : Series, dict, array, or an object with a ``weights`` Series
            A (e.g. an ``AHPResult``). Labelled weights are matched to R's factors.
        membership : DataFrame (factors × grades) or array-like
            R; validated as in :func:`membership_from_matrix`.
        operator : str, optional
            Override the model's operator for this call.

        Raises
        ------
        DataValidationError
            Bad R or weights (naming the cell, factor or label).

        Examples
        --------
        >>> fce = FCE(grades=["好", "中", "差"], operator="min_max")
        >>> fce.evaluate([0.6, 0.4], [[0.2, 0.7, 0.1], [0.5, 0.3, 0.2]]).b_raw.tolist()
        [0.4, 0.6, 0.2]
        """
        r = membership_from_matrix(membership, self.grades, normalize=self.normalize_membership)
        a = _validate_weights(weights, list(r.index), normalize=self.normalize_weights)
        op = get_operator(operator or self.operator)
        return self._compose(a, r, op, node=None)

    def _compose(
        self, a: FloatArray, r: pd.DataFrame, op: FCEOperator, *, node: str | None
    ) -> FCEResult:
        values = r.to_numpy(dtype=np.float64)
        b_raw = op.compose(a, values)
        notes: list[str] = []
        scores = None if self.grades.scores is None else np.asarray(self.grades.scores)
        v = _verdict(b_raw, scores, self.grades.labels, self.rank_exponent)
        table = pd.DataFrame(
            {
                "score": scores if scores is not None else np.full(self.grades.n, np.nan),
                "rank": np.arange(1, self.grades.n + 1, dtype=np.int64),
                "b_raw": b_raw,
                "b": v["b"],
            },
            index=pd.Index(list(self.grades.labels), name="grade"),
        )
        settings: dict[str, Any] = {
            "operator": op.name,
            "operator_symbol": op.symbol,
            "operator_formula": op.formula,
            "grades": list(self.grades.labels),
            "grade_scores": None if scores is None else list(self.grades.scores or ()),
            "normalize_weights": self.normalize_weights,
            "normalize_membership": self.normalize_membership,
            "rank_exponent": self.rank_exponent,
            "n_factors": len(a),
        }
        if node is not None:
            settings["node"] = node
        return FCEResult(
            weights=pd.Series(a, index=pd.Index(list(r.index), name="factor"), name="weight"),
            membership=r.copy(),
            table=table,
            verdict=v["verdict"],
            tie=v["tie"],
            validity=v["validity"],
            validity_level=v["validity_level"],
            score=v["score"],
            rank_position=v["rank_position"],
            rank_grade=v["rank_grade"],
            rank_weighted_score=v["rank_weighted_score"],
            settings=settings,
            notes=tuple(notes),
        )

    # -- survey data --------------------------------------------------------------------
    def evaluate_survey(
        self,
        data: SurveyData | pd.DataFrame,
        weights: Any,
        *,
        items: Sequence[str] | Mapping[str, str] | None = None,
        codes: Mapping[Any, str] | None = None,
        weight: str | None = None,
        by: str | None = None,
        segments: Sequence[str] = (),
    ) -> FCEResult | FCESegmentResult:
        """Evaluate from survey answers (one column per factor), optionally per segment.

        R is built by :func:`membership_from_survey` (respondent weights honoured).

        Parameters
        ----------
        data : SurveyData or DataFrame
        weights : Series, dict, array or AHP-like result
        items, codes, weight :
            As in :func:`membership_from_survey`.
        by : str, optional
            Segment or period column: one evaluation per segment plus the whole sample.
        segments : list of str
            Segment columns of a DataFrame (a SurveyData declares its own).

        Examples
        --------
        >>> df = pd.DataFrame({"速度": [1, 2, 2, 2, 3], "态度": [1, 1, 2, 2, 2]})
        >>> res = FCE(grades=["好", "中", "差"]).evaluate_survey(df, [0.5, 0.5])
        >>> res.b.round(2).tolist()
        [0.3, 0.6, 0.1]
        """
        survey = _coerce_survey(data, items, codes, self.grades, weight, segments, by)

        def run(d: SurveyData) -> FCEResult:
            r = membership_from_survey(d, self.grades, items=items, codes=codes)
            a = _validate_weights(weights, list(r.index), normalize=self.normalize_weights)
            return self._compose(a, r, get_operator(self.operator), node=None)

        if by is None:
            return run(survey)
        return self._by_segment(survey, by, run)

    def _by_segment(self, survey: SurveyData, by: str, run: Any) -> FCESegmentResult:
        results: dict[str, Any] = {}
        counts: dict[str, int] = {}
        for label, part in survey.groups(by):
            key = str(label)
            results[key] = run(part)
            counts[key] = part.n_respondents
        overall = run(survey)
        counts["(all)"] = survey.n_respondents
        rows = []
        for key, res in [*results.items(), ("(all)", overall)]:
            top = res.overall if isinstance(res, FCETreeResult) else res
            rows.append(_summary_row(top, self.grades, extra={"n_respondents": counts[key]}))
        table = pd.DataFrame(rows, index=pd.Index([*results, "(all)"], name=by))
        return FCESegmentResult(
            by=by,
            table=table,
            overall=overall,
            segments=results,
            settings={
                "operator": self.operator,
                "grades": list(self.grades.labels),
                "by": by,
            },
        )

    # -- multi-level --------------------------------------------------------------------
    def evaluate_tree(
        self,
        tree: FCETree,
        *,
        weights: Any = None,
        data: SurveyData | pd.DataFrame | None = None,
        codes: Mapping[Any, str] | None = None,
        weight: str | None = None,
        by: str | None = None,
        segments: Sequence[str] = (),
    ) -> FCETreeResult | FCESegmentResult:
        """Evaluate a tree of factor groups bottom-up.

        Each node's R stacks its own factors' rows and its children's grade vectors
        (normalised unless ``propagate="raw"``); each node uses its own operator or
        the model's.

        Parameters
        ----------
        tree : FCETree
        weights : object with ``weights_of(node_name) -> Series``, optional
            E.g. an AHP hierarchy result: supplies the weights of nodes that have none.
        data : SurveyData or DataFrame, optional
            Survey answers for nodes defined by ``items``.
        codes, weight, segments :
            As in :meth:`evaluate_survey`.
        by : str, optional
            One tree evaluation per segment of ``data``.

        Raises
        ------
        SpecificationError
            Duplicate node names, nodes with items but no data, missing weights.
        DataValidationError
            Bad matrices or weights, naming the node.

        Examples
        --------
        >>> g = GradeSet(["好", "差"], scores=[100, 0])
        >>> leaf = FCETree("A", weights=[0.5, 0.5], membership=[[1.0, 0.0], [0.5, 0.5]])
        >>> res = FCE(grades=g).evaluate_tree(FCETree("top", weights=[1.0], children=[leaf]))
        >>> res.table.loc["top", "score"]
        np.float64(75.0)
        """
        nodes = tree.walk()
        names = [n.name for n, _, _ in nodes]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise SpecificationError(
                f"node names must be unique in the tree; {format_offenders(dupes)} appears "
                "more than once"
            )
        clash = sorted(set(self.grades.labels) & set(_TREE_COLUMNS))
        if clash:
            raise SpecificationError(
                f"grade label {format_offenders(clash)} clashes with a column of the node table"
            )
        needs_data = [n.name for n, _, _ in nodes if n.items]
        if needs_data and data is None:
            raise SpecificationError(
                f"node {format_offenders(needs_data)} reads survey items; pass data=..."
            )
        survey = (
            _coerce_survey(data, _tree_items(nodes), codes, self.grades, weight, segments, by)
            if data is not None
            else None
        )
        if by is not None and survey is None:
            raise SpecificationError("by= needs data=... (a survey with that segment column)")

        def run(d: SurveyData | None) -> FCETreeResult:
            return self._evaluate_tree(tree, nodes, weights, d, codes)

        if by is None:
            return run(survey)
        assert survey is not None
        return self._by_segment(survey, by, run)

    def _evaluate_tree(
        self,
        tree: FCETree,
        nodes: list[tuple[FCETree, FCETree | None, int]],
        hierarchy: Any,
        survey: SurveyData | None,
        codes: Mapping[Any, str] | None,
    ) -> FCETreeResult:
        results: dict[str, FCEResult] = {}

        def solve(node: FCETree) -> FCEResult:
            for child in node.children:
                solve(child)
            where = f"node {node.name!r}"
            blocks: list[pd.DataFrame] = []
            if node.membership is not None:
                try:
                    own = membership_from_matrix(
                        node.membership, self.grades, normalize=self.normalize_membership
                    )
                except DataValidationError as err:
                    raise DataValidationError(f"{where}: {err}") from None
                blocks.append(own)
            elif node.items:
                assert survey is not None
                try:
                    own = membership_from_survey(survey, self.grades, items=node.items, codes=codes)
                except DataValidationError as err:
                    raise DataValidationError(f"{where}: {err}") from None
                blocks.append(own)
            if node.children:
                rows = np.vstack(
                    [
                        results[c.name]
                        .table["b" if self.propagate == "normalized" else "b_raw"]
                        .to_numpy()
                        for c in node.children
                    ]
                )
                labels = [c.name for c in node.children]
                checked = _check_matrix(
                    rows,
                    labels,
                    self.grades.labels,
                    normalize=False,
                    check_sums=self.propagate == "normalized",
                    where=f"{where} children",
                )
                blocks.append(_frame(checked, labels, self.grades.labels))
            r = pd.concat(blocks) if len(blocks) > 1 else blocks[0]
            if r.index.has_duplicates:
                dup = r.index[r.index.duplicated()].unique().tolist()
                raise SpecificationError(
                    f"{where}: factor {format_offenders(dup)} appears both as a row and a child"
                )
            w = node.weights
            if w is None:
                if hierarchy is None or not hasattr(hierarchy, "weights_of"):
                    raise SpecificationError(
                        f"{where} has no weights; give FCETree(weights=...) or "
                        "evaluate_tree(weights=<AHP hierarchy result>)"
                    )
                try:
                    w = hierarchy.weights_of(node.name)
                except (KeyError, ValueError) as err:
                    raise SpecificationError(
                        f"{where}: the weights object has no weights for this node ({err})"
                    ) from None
            a = _validate_weights(
                w, list(r.index), normalize=self.normalize_weights, where=f"{where} weights"
            )
            op = get_operator(node.operator or self.operator)
            res = self._compose(a, r, op, node=node.name)
            results[node.name] = res
            return res

        solve(tree)
        rows = []
        index = []
        global_w: dict[str, float] = {}
        for node, parent, level in nodes:
            if parent is None:
                local = math.nan
                global_w[node.name] = 1.0
            else:
                pres = results[parent.name]
                local = float(pres.weights.loc[node.name])
                global_w[node.name] = global_w[parent.name] * local
            res = results[node.name]
            extra = {
                "parent": "" if parent is None else parent.name,
                "level": level,
                "weight": local,
                "global_weight": global_w[node.name],
                "operator": res.settings["operator"],
            }
            rows.append(_summary_row(res, self.grades, extra=extra))
            index.append(node.name)
        table = pd.DataFrame(rows, index=pd.Index(index, name="node"))
        b_raw = pd.DataFrame(
            [results[n].table["b_raw"].to_numpy() for n in index],
            index=pd.Index(index, name="node"),
            columns=pd.Index(list(self.grades.labels), name="grade"),
        )
        return FCETreeResult(
            root=tree.name,
            table=table,
            b_raw=b_raw,
            nodes=results,
            settings={
                "operator": self.operator,
                "grades": list(self.grades.labels),
                "grade_scores": None if self.grades.scores is None else list(self.grades.scores),
                "propagate": self.propagate,
                "normalize_weights": self.normalize_weights,
                "rank_exponent": self.rank_exponent,
                "n_nodes": len(index),
            },
        )


_TREE_COLUMNS = (
    "parent",
    "level",
    "weight",
    "global_weight",
    "operator",
    "n_respondents",
    "score",
    "verdict",
    "tie",
    "validity",
    "rank_position",
)


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


def _tree_items(nodes: list[tuple[FCETree, FCETree | None, int]]) -> list[str]:
    out: list[str] = []
    for node, _, _ in nodes:
        if node.items:
            out.extend(node.items.keys() if isinstance(node.items, dict) else node.items)
    return out


def _coerce_survey(
    data: SurveyData | pd.DataFrame,
    items: Sequence[str] | Mapping[str, str] | None,
    codes: Mapping[Any, str] | None,
    grades: GradeSet,
    weight: str | None,
    segments: Sequence[str],
    by: str | None,
) -> SurveyData:
    if isinstance(data, SurveyData):
        return data
    if not isinstance(data, pd.DataFrame):
        raise DataValidationError(
            f"data must be a csimodels.SurveyData or a pandas DataFrame, got {type(data).__name__}"
        )
    segs = list(segments)
    if by is not None and by not in segs:
        segs.append(by)
    names: list[Hashable]
    if items is None:
        names = [c for c in data.columns if c != weight and c not in segs]
    else:
        names = list(items.keys() if isinstance(items, Mapping) else items)
    # text answers equal to grade labels become grade codes (a copy; the caller's frame is kept)
    from csimodels.fce.membership import _first_codes, _resolve_codes

    text_map = {lab: float(c) for c, lab in _first_codes(_resolve_codes(codes, grades)).items()}
    converted = {
        str(col): data[col].map(lambda v: text_map.get(v, v) if isinstance(v, str) else v)
        for col in names
        if col in data.columns
        and (data[col].dtype == object or pd.api.types.is_string_dtype(data[col].dtype))
    }
    df = data.assign(**converted) if converted else data
    return SurveyData.coerce(df, items=[str(n) for n in names], weight=weight, segments=segs)


FCETree.model_rebuild()
