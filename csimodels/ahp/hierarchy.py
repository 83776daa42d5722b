"""AHP hierarchies: goal → criteria → sub-criteria → (optionally) alternatives."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import ConfigDict, Field

from csimodels._settings import Settings
from csimodels.ahp._matrix import Judgments
from csimodels.ahp._model import AHP, AHPResult
from csimodels.errors import DataValidationError, SpecificationError, format_offenders
from csimodels.results import Frame, Result, SeriesTable

__all__ = ["AHPHierarchy", "AHPHierarchyResult"]

NodeJudgments = Judgments | tuple[Any, Sequence[Hashable]]


class AHPHierarchyResult(Result):
    """Local and global priorities of every node of an AHP hierarchy.

    Attributes
    ----------
    tree : DataFrame, one row per node of the criteria tree (goal included)
        Index ``node``; ``parent`` (empty for the goal); ``level`` (goal 0);
        ``local_weight`` (priority among its siblings); ``global_weight`` (product of
        local weights up to the goal; the leaves' global weights sum to 1);
        ``is_leaf``; ``n_children``; ``lambda_max``, ``ci``, ``cr`` and ``consistent``
        of the node's own comparison matrix (of its children, or of the alternatives
        for a leaf with alternatives; NaN/True when the node has no matrix).
    global_weights : Series
        Global weights of the leaf criteria (sum to 1).
    alternative_priorities : DataFrame or None
        Alternatives × leaf criteria: local priorities of the alternatives under each
        leaf (divided by the column maximum under ideal synthesis).
    scores : Series or None
        Overall priorities of the alternatives, summing to 1.
    hierarchy_cr : float
        Saaty's consistency ratio of the whole hierarchy,
        ``Σ g_k CI_k / Σ g_k RI_k`` over the nodes with n ≥ 3 (``g_k``: global weight).
    nodes : dict of str to AHPResult
        The fit of each node's matrix.

    Examples
    --------
    >>> import csimodels as csi
    >>> h = csi.ahp.AHPHierarchy(goal="service")
    >>> res = h.fit({"service": {("speed", "staff"): 3},
    ...              "staff": {("courtesy", "competence"): 1}})
    >>> res.global_weights.round(3).to_dict()
    {'speed': 0.75, 'courtesy': 0.125, 'competence': 0.125}
    >>> res.weights_of("staff").to_dict()
    {'courtesy': 0.5, 'competence': 0.5}
    """

    tree: Frame
    global_weights: SeriesTable
    alternative_priorities: Frame | None = None
    scores: SeriesTable | None = None
    hierarchy_cr: float
    nodes: dict[str, AHPResult]

    _title: ClassVar[str] = "AHP hierarchy"

    def weights_of(self, node: str) -> pd.Series:
        """Local weights of the children of ``node`` (alternatives, for a leaf criterion).

        Raises
        ------
        SpecificationError
            If ``node`` has no comparison matrix.
        """
        if node not in self.nodes:
            raise SpecificationError(
                f"AHPHierarchyResult: node {node!r} has no children compared; nodes with "
                f"weights: {format_offenders(sorted(self.nodes), limit=10)}"
            )
        return self.nodes[node].weights.copy()

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        s = self.settings
        header: list[tuple[str, object]] = [
            ("Goal", s.get("goal")),
            ("Nodes", len(self.tree)),
            ("Priority method", s.get("ahp", {}).get("method")),
            ("RI table", s.get("ahp", {}).get("ri_table")),
            ("Synthesis", s.get("synthesis")),
            ("Hierarchy CR", f"{self.hierarchy_cr:.4f}"),
        ]
        cols = ["parent", "level", "local_weight", "global_weight", "cr", "consistent"]
        tables: dict[str, Any] = {"Tree": self.tree[cols]}
        if self.scores is not None:
            tables["Alternatives"] = self.scores
        return header, tables

    def plot(
        self,
        kind: Literal["priorities", "consistency"] | None = None,
        *,
        ax: Any = None,
        language: Literal["en", "zh"] = "en",
        labels: Literal["code", "label"] = "code",
    ) -> Any:
        """Global priorities (default), or every node's CR against its threshold.

        Returns the matplotlib Axes.

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> from csimodels.fce._demo import field_service_example
        >>> ahp, _ = field_service_example()
        >>> len(ahp.plot("consistency").get_yticklabels()) == len(ahp.nodes)
        True
        """
        from csimodels.reports.charts import ahp_chart

        return ahp_chart(self, kind, ax=ax, language=language, labels=labels)


class AHPHierarchy(Settings):
    """A hierarchy of pairwise comparisons, from the goal down to the alternatives.

    Each node that has children carries one judgment matrix comparing them; the tree
    is read from the judgments: the goal's matrix names the criteria, a criterion's
    matrix names its sub-criteria, and so on. With ``alternatives``, every leaf
    criterion must carry a matrix comparing exactly those alternatives.

    Attributes
    ----------
    goal : str
        Name of the root node (its matrix compares the top-level criteria).
    alternatives : tuple of str
        Alternatives compared under every leaf criterion (empty: criteria only).
    synthesis : {"distributive", "ideal"}
        Distributive mode weights the alternatives' local priorities as they are;
        ideal mode first divides them by the best alternative's under each criterion
        (Saaty's ideal mode, which prevents rank reversal when an alternative is
        added); both report overall scores normalised to sum to 1.
    ahp : AHP
        Settings used for every node (method, RI table, threshold, completion...).

    Examples
    --------
    Wikipedia's "choosing a leader" (criteria: experience, education, charisma, age):

    >>> import csimodels as csi
    >>> crit = ["exp", "edu", "cha", "age"]
    >>> judg = {
    ...     "goal": ([[1, 4, 3, 7], [1/4, 1, 1/3, 3], [1/3, 3, 1, 5], [1/7, 1/3, 1/5, 1]], crit),
    ...     "exp": {("Tom", "Dick"): 1/4, ("Tom", "Harry"): 4, ("Dick", "Harry"): 9},
    ...     "edu": {("Tom", "Dick"): 3, ("Tom", "Harry"): 1/5, ("Dick", "Harry"): 1/7},
    ...     "cha": {("Tom", "Dick"): 5, ("Tom", "Harry"): 9, ("Dick", "Harry"): 4},
    ...     "age": {("Tom", "Dick"): 1/3, ("Tom", "Harry"): 5, ("Dick", "Harry"): 9},
    ... }
    >>> h = csi.ahp.AHPHierarchy(alternatives=("Tom", "Dick", "Harry"))
    >>> h.fit(judg).scores.round(3).to_dict()     # Wikipedia: .358, .493, .149
    {'Tom': 0.358, 'Dick': 0.493, 'Harry': 0.149}
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    goal: str = "goal"
    alternatives: tuple[str, ...] = ()
    synthesis: Literal["distributive", "ideal"] = "distributive"
    ahp: AHP = Field(default_factory=AHP)

    def fit(self, judgments: Mapping[str, NodeJudgments]) -> AHPHierarchyResult:
        """Fit every node's matrix and combine the priorities down the tree.

        Parameters
        ----------
        judgments : mapping of node name to judgments
            For each node with children: a mapping of pairs, a labelled DataFrame or a
            ``(matrix, labels)`` tuple (see :meth:`AHP.fit`).

        Raises
        ------
        DataValidationError
            When the goal has no judgments, a node appears under two parents or has
            judgments but no parent, a leaf lacks the alternatives' matrix (or compares
            other elements), or any node's matrix fails :meth:`AHP.fit`'s checks.
        """
        where = "AHPHierarchy"
        if not isinstance(judgments, Mapping) or self.goal not in judgments:
            raise DataValidationError(
                f"{where}: no judgments for the goal {self.goal!r}; pass a mapping "
                f"{{{self.goal!r}: <criteria judgments>, <criterion>: <its children>...}}"
            )
        alts = list(self.alternatives)
        if len(set(alts)) != len(alts):
            dup = sorted({a for a in alts if alts.count(a) > 1})
            raise DataValidationError(f"{where}: duplicated alternatives {format_offenders(dup)}")
        nodes: dict[str, AHPResult] = {}
        parent: dict[str, str | None] = {self.goal: None}
        level: dict[str, int] = {self.goal: 0}
        order: list[str] = [self.goal]
        queue = [self.goal]
        while queue:
            node = queue.pop(0)
            if node not in judgments:
                continue
            res = self._fit_node(node, judgments[node])
            nodes[node] = res
            children = [str(c) for c in res.weights.index]
            is_alt_matrix = bool(alts) and set(children) == set(alts)
            if is_alt_matrix:
                continue
            clash = sorted(set(children) & set(alts))
            if clash:
                raise DataValidationError(
                    f"{where}: node {node!r} compares {format_offenders(clash)}, which are "
                    "alternatives, together with criteria; compare either criteria or all "
                    "the alternatives under a node"
                )
            for c in children:
                if c in parent:
                    raise DataValidationError(
                        f"{where}: node {c!r} appears under {parent[c]!r} and under {node!r}; "
                        "each criterion needs a unique name and a single parent"
                    )
                parent[c] = node
                level[c] = level[node] + 1
                order.append(c)
                queue.append(c)
        orphans = sorted(str(k) for k in judgments if k not in parent)
        if orphans:
            raise DataValidationError(
                f"{where}: judgments for {format_offenders(orphans)}, which no node above "
                f"compares; every node except the goal {self.goal!r} must be a child of another"
            )
        children_of: dict[str, list[str]] = {k: [] for k in order}
        for k in order[1:]:
            p = parent[k]
            assert p is not None
            children_of[p].append(k)
        leaves = [k for k in order if not children_of[k]]
        if alts:
            lacking = [k for k in leaves if k not in nodes]
            if lacking:
                raise DataValidationError(
                    f"{where}: leaf criteria {format_offenders(lacking)} have no judgments "
                    f"comparing the alternatives {format_offenders(alts)}"
                )
        glob: dict[str, float] = {self.goal: 1.0}
        local: dict[str, float] = {self.goal: 1.0}
        for k in order[1:]:
            p = parent[k]
            assert p is not None
            local[k] = float(nodes[p].weights.loc[k])
            glob[k] = glob[p] * local[k]
        rows = []
        for k in order:
            r = nodes.get(k)
            rows.append(
                {
                    "node": k,
                    "parent": parent[k] or "",
                    "level": level[k],
                    "local_weight": local[k],
                    "global_weight": glob[k],
                    "is_leaf": not children_of[k],
                    "n_children": len(children_of[k]),
                    "lambda_max": r.lambda_max if r else np.nan,
                    "ci": r.ci if r else np.nan,
                    "cr": r.cr if r else np.nan,
                    "consistent": r.consistent if r else True,
                }
            )
        tree = pd.DataFrame(rows).set_index("node")
        num = sum(glob[k] * r.ci for k, r in nodes.items() if r.n >= 3)
        den = sum(glob[k] * r.ri for k, r in nodes.items() if r.n >= 3)
        hierarchy_cr = float(num / den) if den > 0 else 0.0
        gw = pd.Series([glob[k] for k in leaves], index=pd.Index(leaves, name="criterion"))
        gw.name = "global_weight"
        alt_prior: pd.DataFrame | None = None
        scores: pd.Series | None = None
        if alts:
            alt_prior = pd.DataFrame(
                {k: nodes[k].weights.reindex(alts).to_numpy() for k in leaves},
                index=pd.Index(alts, name="alternative"),
            )
            alt_prior.columns.name = "criterion"
            if self.synthesis == "ideal":
                alt_prior = alt_prior / alt_prior.max(axis=0)
            raw = alt_prior.to_numpy() @ gw.to_numpy()
            scores = pd.Series(raw / raw.sum(), index=alt_prior.index, name="score")
        notes = [f"node {k!r}: {note}" for k, r in nodes.items() for note in r.notes]
        return AHPHierarchyResult(
            tree=tree,
            global_weights=gw,
            alternative_priorities=alt_prior,
            scores=scores,
            hierarchy_cr=hierarchy_cr,
            nodes=nodes,
            settings={
                "goal": self.goal,
                "alternatives": alts,
                "synthesis": self.synthesis,
                "ahp": self.ahp.settings_dict(),
            },
            notes=tuple(notes),
        )

    def _fit_node(self, node: str, value: NodeJudgments) -> AHPResult:
        where = f"AHPHierarchy node {node!r}"
        labels: Sequence[Hashable] | None = None
        judg: Any = value
        if isinstance(value, tuple) and len(value) == 2 and not isinstance(value[0], str):
            judg, labels = value
        elif not isinstance(value, (Mapping, pd.DataFrame)):
            raise DataValidationError(
                f"{where}: give a mapping of pairs, a labelled DataFrame or a "
                "(matrix, labels) tuple; a bare matrix has no element names"
            )
        checked = self.ahp._check(judg, labels, where)
        return self.ahp._fit_checked(checked, where)
