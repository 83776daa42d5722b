"""Sensitivity of an AHP ranking to the criteria weights (one-at-a-time, proportional).

When the weight of criterion ``k`` moves from ``w_k`` to ``t``, the other weights are
rescaled proportionally, ``w_j(t) = w_j (1 − t) / (1 − w_k)``, so they still sum to 1.
Every alternative's overall score is then linear in ``t``:
``s_a(t) = s_a⁻ + t (v_ak − s_a⁻)`` with ``s_a⁻ = Σ_{j≠k} w_j v_aj / (1 − w_k)``; two
alternatives swap places where their lines cross. The table reports, for each
criterion, the interval of ``t`` around ``w_k`` over which the ranking stays the same
(the whole ranking, or only the top alternative).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from csimodels.ahp.hierarchy import AHPHierarchyResult
from csimodels.errors import DataValidationError, format_offenders
from csimodels.results import Frame, Result

__all__ = ["SensitivityResult", "weight_sensitivity"]


class SensitivityResult(Result):
    """How far each criterion weight can move before the ranking changes.

    Attributes
    ----------
    table : DataFrame, one row per criterion
        ``weight`` (current); ``lower`` and ``upper``: the weights between which the
        ranking is unchanged (others rescaled proportionally); ``decrease`` and
        ``increase``: how far the weight can fall or rise (``weight − lower``,
        ``upper − weight``); ``lower_swap`` and ``upper_swap``: the two alternatives that
        trade places at that bound ("" if none within [0, 1]).

    Examples
    --------
    >>> import pandas as pd
    >>> w = pd.Series({"price": 0.7, "quality": 0.3})
    >>> v = pd.DataFrame({"price": [0.7, 0.3], "quality": [0.2, 0.8]}, index=["A", "B"])
    >>> t = weight_sensitivity(w, v).table
    >>> round(float(t.loc["price", "lower"]), 4)       # A and B tie at w_price = 0.6
    0.6
    """

    table: Frame

    _title: ClassVar[str] = "AHP weight sensitivity"

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        header: list[tuple[str, object]] = [("Ranking kept", self.settings.get("ranking"))]
        return header, {"Weight intervals": self.table}


def weight_sensitivity(
    weights: pd.Series | AHPHierarchyResult,
    priorities: pd.DataFrame | None = None,
    *,
    ranking: Literal["full", "first"] = "full",
) -> SensitivityResult:
    """Weight intervals over which the ranking of alternatives does not change.

    Parameters
    ----------
    weights : Series or AHPHierarchyResult
        Criteria weights (summing to 1), or a hierarchy result with alternatives (its
        leaf global weights and alternative priorities are used).
    priorities : DataFrame, optional
        Alternatives × criteria local priorities (required with a Series).
    ranking : {"full", "first"}
        Keep the whole ranking, or only the best alternative.

    Raises
    ------
    DataValidationError
        Fewer than two criteria or alternatives, mismatched criteria, weights not
        summing to 1.
    """
    where = "weight_sensitivity"
    if isinstance(weights, AHPHierarchyResult):
        if weights.alternative_priorities is None:
            raise DataValidationError(
                f"{where}: the hierarchy has no alternatives; fit it with alternatives=..."
            )
        priorities = weights.alternative_priorities
        weights = weights.global_weights
    if priorities is None:
        raise DataValidationError(f"{where}: pass the alternatives' priorities (a DataFrame)")
    crit = list(weights.index)
    missing = sorted(str(c) for c in crit if c not in priorities.columns)
    extra = sorted(str(c) for c in priorities.columns if c not in crit)
    if missing or extra:
        raise DataValidationError(
            f"{where}: criteria of weights and priorities differ; not in priorities: "
            f"{format_offenders(missing) or 'none'}; not in weights: "
            f"{format_offenders(extra) or 'none'}"
        )
    if len(crit) < 2 or len(priorities) < 2:
        raise DataValidationError(f"{where}: needs at least two criteria and two alternatives")
    w = weights.to_numpy(dtype=np.float64)
    if not np.isclose(w.sum(), 1.0, atol=1e-8) or (w < 0).any():
        raise DataValidationError(
            f"{where}: weights must be non-negative and sum to 1 (sum {w.sum():.6g})"
        )
    v = priorities[crit].to_numpy(dtype=np.float64)
    alts = list(priorities.index)
    scores = v @ w
    top = int(np.argmax(scores))
    rows = []
    for k, c in enumerate(crit):
        if w[k] >= 1.0:
            rest = np.zeros(len(alts))
        else:
            rest = (scores - w[k] * v[:, k]) / (1.0 - w[k])
        slope = v[:, k] - rest
        lower, upper = 0.0, 1.0
        lower_swap = upper_swap = ""
        m = len(alts)
        for a in range(m):
            for b in range(a + 1, m):
                if ranking == "first" and top not in (a, b):
                    continue
                ds = slope[a] - slope[b]
                if abs(ds) < 1e-15:
                    continue
                t = (rest[b] - rest[a]) / ds
                if w[k] < t <= 1.0 and t < upper:
                    upper, upper_swap = float(t), f"{alts[a]} / {alts[b]}"
                if 0.0 <= t < w[k] and t > lower:
                    lower, lower_swap = float(t), f"{alts[a]} / {alts[b]}"
        rows.append(
            {
                "criterion": c,
                "weight": float(w[k]),
                "lower": lower,
                "upper": upper,
                "decrease": float(w[k]) - lower,
                "increase": upper - float(w[k]),
                "lower_swap": lower_swap,
                "upper_swap": upper_swap,
            }
        )
    table = pd.DataFrame(rows).set_index("criterion")
    return SensitivityResult(table=table, settings={"ranking": ranking, "top": str(alts[top])})
