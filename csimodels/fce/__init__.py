"""Fuzzy comprehensive evaluation (模糊综合评价).

A factor set, a grade set (:class:`GradeSet`), a membership matrix R (built by the
``membership_from_*`` functions), a weight vector A (given, or an AHP result) and a
composition operator from :data:`FCE_OPERATORS` give B = A ∘ R and its verdicts
(:class:`FCE`, :class:`FCEResult`); :class:`FCETree` evaluates several levels.

Examples
--------
>>> from csimodels.fce import FCE
>>> fce = FCE(grades={"优秀": 95, "良好": 80, "一般": 60, "不合格": 35})
>>> res = fce.evaluate([0.5, 0.5], [[0.2, 0.6, 0.2, 0.0], [0.4, 0.6, 0.0, 0.0]])
>>> res.verdict, round(res.score, 2)
(('良好',), 82.5)
"""

from csimodels.fce._demo import (
    FIELD_SERVICE_GRADES,
    FIELD_SERVICE_JUDGMENTS,
    demo_section,
    field_service_answers,
    field_service_example,
    field_service_tree,
)
from csimodels.fce._engine import validity_index
from csimodels.fce.functions import (
    FallingHalfTrapezoid,
    Gaussian,
    MembershipFunction,
    RisingHalfTrapezoid,
    Trapezoidal,
    Triangular,
    threshold_functions,
)
from csimodels.fce.grades import GradeSet
from csimodels.fce.membership import (
    grade_counts,
    membership_from_counts,
    membership_from_indicators,
    membership_from_matrix,
    membership_from_survey,
)
from csimodels.fce.model import FCE, FCETree
from csimodels.fce.operators import FCE_OPERATORS, FCEOperator, get_operator
from csimodels.fce.result import FCEResult, FCESegmentResult, FCETreeResult  # noqa: F401

__all__ = [
    "FCE",
    "FCE_OPERATORS",
    "FIELD_SERVICE_GRADES",
    "FIELD_SERVICE_JUDGMENTS",
    "FCEOperator",
    "FCEResult",
    "FCETree",
    "FCETreeResult",
    "FallingHalfTrapezoid",
    "Gaussian",
    "GradeSet",
    "MembershipFunction",
    "RisingHalfTrapezoid",
    "Trapezoidal",
    "Triangular",
    "demo_section",
    "field_service_answers",
    "field_service_example",
    "field_service_tree",
    "get_operator",
    "grade_counts",
    "membership_from_counts",
    "membership_from_indicators",
    "membership_from_matrix",
    "membership_from_survey",
    "threshold_functions",
    "validity_index",
]
