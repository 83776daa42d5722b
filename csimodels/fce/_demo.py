"""The field-service example: AHP weights + three-level FCE, and the demo section.

Five evaluators grade a technician's on-site service on seven indicators grouped
under response speed, technical ability and service attitude, on the grades
优秀 / 良好 / 一般 / 不合格 scored 95 / 80 / 60 / 35. The weights come from AHP
judgments (every matrix perfectly consistent, so the weights are exact fractions:
2/7, 4/7, 1/7 at the top). The final grade vector is
B = (0.2207, 0.6690, 0.1102, 0), printed to three decimals as
(0.221, 0.669, 0.110, 0); its score is 81.107 (81.115 from the rounded B).
The inputs are made up for this library, reconstructed to reproduce those numbers.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from csimodels.fce.grades import GradeSet
from csimodels.fce.model import FCE, FCETree
from csimodels.fce.result import FCETreeResult

__all__ = [
    "FIELD_SERVICE_GRADES",
    "FIELD_SERVICE_JUDGMENTS",
    "demo_section",
    "field_service_answers",
    "field_service_example",
    "field_service_tree",
]

FIELD_SERVICE_GRADES = GradeSet(["优秀", "良好", "一般", "不合格"], scores=[95, 80, 60, 35])
"""The grade set of the example."""

FIELD_SERVICE_JUDGMENTS: dict[str, dict[tuple[str, str], float]] = {
    "现场服务质量": {
        ("响应速度", "技术能力"): 1 / 2,
        ("响应速度", "服务态度"): 2,
        ("技术能力", "服务态度"): 4,
    },
    "响应速度": {("到场及时性", "故障修复时长"): 2},
    "技术能力": {
        ("故障诊断准确性", "一次修复率"): 2,
        ("故障诊断准确性", "操作规范性"): 4,
        ("一次修复率", "操作规范性"): 2,
    },
    "服务态度": {("礼貌热情", "沟通解释"): 3},
}
"""AHP judgments of the example (node -> pairwise comparisons of its children)."""

_GROUPS: dict[str, list[str]] = {
    "响应速度": ["到场及时性", "故障修复时长"],
    "技术能力": ["故障诊断准确性", "一次修复率", "操作规范性"],
    "服务态度": ["礼貌热情", "沟通解释"],
}

# grades given by evaluators E1..E5 to each indicator
_ANSWERS: dict[str, list[str]] = {
    "到场及时性": ["优秀", "优秀", "良好", "优秀", "良好"],
    "故障修复时长": ["良好", "优秀", "良好", "良好", "优秀"],
    "故障诊断准确性": ["良好", "良好", "一般", "良好", "良好"],
    "一次修复率": ["良好", "优秀", "良好", "良好", "良好"],
    "操作规范性": ["良好", "良好", "良好", "一般", "良好"],
    "礼貌热情": ["优秀", "良好", "良好", "一般", "良好"],
    "沟通解释": ["优秀", "良好", "优秀", "一般", "良好"],
}


def field_service_answers() -> pd.DataFrame:
    """The five evaluators' grades, one row per evaluator, one column per indicator.

    Examples
    --------
    >>> field_service_answers().shape
    (5, 7)
    """
    return pd.DataFrame(_ANSWERS, index=pd.Index([f"E{i}" for i in range(1, 6)], name="evaluator"))


def field_service_tree() -> FCETree:
    """The three-level factor tree (goal, three criteria, seven indicators).

    Weights are left empty: they come from an AHP hierarchy at evaluation time.

    Examples
    --------
    >>> field_service_tree().factor_labels()
    ['响应速度', '技术能力', '服务态度']
    """
    return FCETree(
        "现场服务质量",
        children=[FCETree(name, items=items) for name, items in _GROUPS.items()],
    )


def field_service_example() -> tuple[Any, FCETreeResult]:
    """Run the example end to end: AHP hierarchy, then the three-level FCE.

    Returns
    -------
    (AHPHierarchyResult, FCETreeResult)

    Examples
    --------
    >>> ahp, res = field_service_example()
    >>> res.overall.b.round(3).tolist(), round(res.overall.score, 3)
    ([0.221, 0.669, 0.11, 0.0], 81.107)
    """
    from csimodels.ahp import AHPHierarchy

    weights = AHPHierarchy(goal="现场服务质量").fit(FIELD_SERVICE_JUDGMENTS)
    fce = FCE(grades=FIELD_SERVICE_GRADES)
    res = fce.evaluate_tree(field_service_tree(), weights=weights, data=field_service_answers())
    assert isinstance(res, FCETreeResult)
    return weights, res


def demo_section() -> str:
    """Text report of the field-service evaluation for ``csimodels demo``.

    Examples
    --------
    >>> "81.107" in demo_section()
    True
    """
    ahp, res = field_service_example()
    top = res.overall
    b = top.b
    rounded = b.round(3)
    rounded_score = float(rounded.to_numpy() @ (FIELD_SERVICE_GRADES.scores or ()))
    cols = [*FIELD_SERVICE_GRADES.labels, "score", "verdict", "validity"]
    table = res.table[["parent", "weight", *cols]]
    lines = [
        "Fuzzy comprehensive evaluation (模糊综合评价) of an on-site service visit: five "
        "evaluators grade seven indicators under response speed, technical ability and "
        "service attitude (优秀/良好/一般/不合格 scored 95/80/60/35); weights from an AHP "
        f"hierarchy (hierarchy CR {ahp.hierarchy_cr:.3f}); operator M(·, +).",
        "",
        table.to_string(float_format=lambda x: f"{x:.4f}"),
        "",
        "Final B = (" + ", ".join(f"{v:.3f}" for v in rounded) + f"); score S = {top.score:.3f} "
        f"(from the rounded B: {rounded_score:.3f}); "
        f"verdict {' = '.join(top.verdict)}, validity index {top.validity:.3f} "
        f"({top.validity_level}).",
    ]
    return "\n".join(lines)
