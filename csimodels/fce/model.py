"""The FCE model and the factor tree of a multi-level evaluation."""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, field_validator

from csimodels._settings import Settings
from csimodels.data.survey import SurveyData
from csimodels.errors import (
    DataValidationError,
    InvalidParameterError,
    SpecificationError,
    format_offenders,
)
from csimodels.fce._engine import _validate_weights, _verdict
from csimodels.fce.grades import GradeSet
from csimodels.fce.membership import (
    GradesArg,
    _check_matrix,
    _frame,
    membership_from_matrix,
    membership_from_survey,
)
from csimodels.fce.operators import FCE_OPERATORS, FCEOperator, get_operator
from csimodels.fce.result import FCEResult, FCETreeResult, _summary_row
from csimodels.results import POOLED, SegmentedResult
from csimodels.segments import fit_by

__all__ = ["FCE", "FCETree"]

FloatArray = NDArray[np.float64]


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
        if items is not None and (
            isinstance(items, (str, bytes))
            or not isinstance(items, (Sequence, Mapping))
            or not all(isinstance(i, str) for i in items)
            or (isinstance(items, Mapping) and not all(isinstance(v, str) for v in items.values()))
        ):
            raise SpecificationError(
                f"factor group {name!r}: items must be a list of column names or a dict of "
                f"column to factor label, got {items!r}"
            )
        if isinstance(children, (str, bytes)) or not isinstance(children, (Sequence, tuple)):
            raise SpecificationError(
                f"factor group {name!r}: children must be a list of FCETree nodes, "
                f"got {type(children).__name__}"
            )
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
            try:
                membership = np.array(membership, dtype=np.float64)
            except (TypeError, ValueError) as err:
                raise SpecificationError(
                    f"factor group {name!r}: membership must be a factors × grades matrix of "
                    f"numbers, got {type(membership).__name__} ({err})"
                ) from None
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
class FCE(Settings):
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

    grades: GradeSet
    operator: str = "weighted_average"
    normalize_weights: bool = False
    normalize_membership: bool = False
    rank_exponent: float = 2.0
    propagate: Literal["normalized", "raw"] = "normalized"

    def __init__(self, grades: GradesArg | None = None, /, **settings: Any) -> None:
        # the grade set may come first, unnamed: FCE(["好", "中", "差"])
        if grades is not None:
            if "grades" in settings:
                raise InvalidParameterError("FCE got the grades twice (by position and by name)")
            settings["grades"] = grades
        super().__init__(**settings)

    @field_validator("grades", mode="before")
    @classmethod
    def _grade_set(cls, value: Any) -> GradeSet:
        if isinstance(value, Mapping) and set(value) == set(GradeSet.model_fields):
            return GradeSet.model_validate(value)  # a GradeSet written by to_config
        return GradeSet.coerce(value)

    @field_validator("operator", mode="before")
    @classmethod
    def _operator_name(cls, value: Any) -> str:
        if not isinstance(value, str):
            raise InvalidParameterError(
                f"parameter 'operator' of FCE must be an operator name, one of "
                f"{', '.join(repr(k) for k in sorted(FCE_OPERATORS))}, got {value!r}"
            )
        return get_operator(value).name

    @field_validator("rank_exponent", mode="before")
    @classmethod
    def _positive_exponent(cls, value: Any) -> float:
        try:
            k = float(value)
        except (TypeError, ValueError):
            k = math.nan
        if isinstance(value, bool) or not (math.isfinite(k) and k > 0):
            raise InvalidParameterError(
                f"parameter 'rank_exponent' of FCE must be a number > 0, got {value!r}"
            )
        return k

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
    def fit(
        self,
        data: SurveyData | pd.DataFrame,
        *,
        weights: Any,
        items: Sequence[str] | Mapping[str, str] | None = None,
        codes: Mapping[Any, str] | None = None,
        weight: str | None = None,
        by: str | Sequence[str] | None = None,
        segments: Sequence[str] = (),
        on_error: Literal["skip", "raise"] = "skip",
    ) -> FCEResult | SegmentedResult:
        """The estimation-contract spelling of :meth:`evaluate_survey` (data first).

        Examples
        --------
        >>> df = pd.DataFrame({"速度": [1, 2, 2, 2, 3], "态度": [1, 1, 2, 2, 2]})
        >>> FCE(["好", "中", "差"]).fit(df, weights=[0.5, 0.5]).b.round(2).tolist()
        [0.3, 0.6, 0.1]
        """
        return self.evaluate_survey(
            data,
            weights,
            items=items,
            codes=codes,
            weight=weight,
            by=by,
            segments=segments,
            on_error=on_error,
        )

    def evaluate_survey(
        self,
        data: SurveyData | pd.DataFrame,
        weights: Any,
        *,
        items: Sequence[str] | Mapping[str, str] | None = None,
        codes: Mapping[Any, str] | None = None,
        weight: str | None = None,
        by: str | Sequence[str] | None = None,
        segments: Sequence[str] = (),
        on_error: Literal["skip", "raise"] = "skip",
    ) -> FCEResult | SegmentedResult:
        """Evaluate from survey answers (one column per factor), optionally per segment.

        R is built by :func:`membership_from_survey` (respondent weights honoured).

        Parameters
        ----------
        data : SurveyData or DataFrame
        weights : Series, dict, array or AHP-like result
        items, codes, weight :
            As in :func:`membership_from_survey`.
        by : str or list of str, optional
            Segment or period column(s): a :class:`~csimodels.results.SegmentedResult`
            with the whole sample (``pooled``), one evaluation per segment and
            ``overview["evaluation"]`` (one row per segment: b̄ by grade, score,
            verdict, tie, validity, rank position, n_respondents).
        on_error : {"skip", "raise"}
            With ``by``: a failing segment is recorded (``"skip"``) or raises.
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
        return self._by_segment(survey, by, run, on_error)

    def _by_segment(
        self, survey: SurveyData, by: str | Sequence[str], run: Any, on_error: str
    ) -> SegmentedResult:
        pooled = run(survey)
        segmented = fit_by(
            survey,
            by,
            run,
            owner="FCE",
            min_segment_size=1,
            on_error="raise" if on_error == "raise" else "skip",
            pooled=pooled,
            settings={
                "model": "FCE",
                "operator": self.operator,
                "grades": list(self.grades.labels),
            },
        )
        rows = []
        labels = [POOLED, *segmented.segments]
        for res in [pooled, *segmented.segments.values()]:
            top = res.overall if isinstance(res, FCETreeResult) else res
            n = survey.n_respondents if res is pooled else None
            rows.append(_summary_row(top, self.grades, extra={"n_respondents": n}))
        table = pd.DataFrame(rows, index=pd.Index(labels, name="segment"))
        table["n_respondents"] = [
            survey.n_respondents,
            *segmented.status.loc[list(segmented.segments), "n"].tolist(),
        ]
        table["n_respondents"] = table["n_respondents"].astype("int64")
        return segmented.model_copy(update={"overview": {"evaluation": table}})

    # -- multi-level --------------------------------------------------------------------
    def evaluate_tree(
        self,
        tree: FCETree,
        *,
        weights: Any = None,
        data: SurveyData | pd.DataFrame | None = None,
        codes: Mapping[Any, str] | None = None,
        weight: str | None = None,
        by: str | Sequence[str] | None = None,
        segments: Sequence[str] = (),
        on_error: Literal["skip", "raise"] = "skip",
    ) -> FCETreeResult | SegmentedResult:
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
        by : str or list of str, optional
            One tree evaluation per segment of ``data`` (a SegmentedResult, as in
            :meth:`evaluate_survey`).
        on_error : {"skip", "raise"}
            With ``by``: a failing segment is recorded (``"skip"``) or raises.

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
        return self._by_segment(survey, by, run, on_error)

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
    by: str | Sequence[str] | None,
) -> SurveyData:
    segs = list(segments)
    for b in [] if by is None else ([by] if isinstance(by, str) else list(by)):
        if b not in segs:
            segs.append(b)
    if not isinstance(data, pd.DataFrame):
        return SurveyData.coerce(data, owner="FCE", weight=weight, segments=segs)
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
    return SurveyData.coerce(
        df, owner="FCE", items=[str(n) for n in names], weight=weight, segments=segs
    )


FCETree.model_rebuild()
