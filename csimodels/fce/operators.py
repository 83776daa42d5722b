"""Composition operators of fuzzy comprehensive evaluation, B = A ∘ R.

Each operator combines a weight vector ``a`` (length n) with a membership
matrix ``R`` (n factors × m grades) into a grade vector ``b`` (length m):

=====================  =========  ==========================================
name                   symbol     bⱼ
=====================  =========  ==========================================
``min_max``            M(∧, ∨)    maxᵢ min(aᵢ, rᵢⱼ)
``product_max``        M(·, ∨)    maxᵢ aᵢ rᵢⱼ
``min_bounded_sum``    M(∧, ⊕)    min(1, Σᵢ min(aᵢ, rᵢⱼ))
``weighted_average``   M(·, +)    Σᵢ aᵢ rᵢⱼ  (the default)
=====================  =========  ==========================================

The first two are "main-factor" operators (only the dominant factor counts for
each grade); M(·, +) uses every factor in proportion to its weight.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from csimodels.errors import SpecificationError, format_offenders

__all__ = ["FCE_OPERATORS", "FCEOperator", "get_operator"]

FloatArray = NDArray[np.float64]


def _min_max(a: FloatArray, r: FloatArray) -> FloatArray:
    return np.asarray(np.max(np.minimum(a[:, None], r), axis=0), dtype=np.float64)


def _product_max(a: FloatArray, r: FloatArray) -> FloatArray:
    return np.asarray(np.max(a[:, None] * r, axis=0), dtype=np.float64)


def _min_bounded_sum(a: FloatArray, r: FloatArray) -> FloatArray:
    return np.asarray(np.minimum(1.0, np.sum(np.minimum(a[:, None], r), axis=0)), dtype=np.float64)


def _weighted_average(a: FloatArray, r: FloatArray) -> FloatArray:
    return np.asarray(a @ r, dtype=np.float64)


@dataclass(frozen=True)
class FCEOperator:
    """A named composition operator.

    Attributes
    ----------
    name : str
        Registry key, e.g. ``"weighted_average"``.
    symbol : str
        Conventional notation, e.g. ``"M(·, +)"``.
    formula : str
        bⱼ as a formula.
    main_factor : bool
        True for the operators in which only the dominant factor decides each bⱼ.
    compose : callable
        ``compose(a, R) -> b`` on ndarrays.

    Examples
    --------
    >>> import numpy as np
    >>> op = FCE_OPERATORS["min_max"]
    >>> op.compose(np.array([0.6, 0.4]), np.array([[0.2, 0.8], [0.5, 0.5]])).tolist()
    [0.4, 0.6]
    """

    name: str
    symbol: str
    formula: str
    main_factor: bool
    compose: Callable[[FloatArray, FloatArray], FloatArray]


FCE_OPERATORS: dict[str, FCEOperator] = {
    "min_max": FCEOperator("min_max", "M(∧, ∨)", "bⱼ = maxᵢ min(aᵢ, rᵢⱼ)", True, _min_max),
    "product_max": FCEOperator("product_max", "M(·, ∨)", "bⱼ = maxᵢ aᵢ·rᵢⱼ", True, _product_max),
    "min_bounded_sum": FCEOperator(
        "min_bounded_sum", "M(∧, ⊕)", "bⱼ = min(1, Σᵢ min(aᵢ, rᵢⱼ))", False, _min_bounded_sum
    ),
    "weighted_average": FCEOperator(
        "weighted_average", "M(·, +)", "bⱼ = Σᵢ aᵢ·rᵢⱼ", False, _weighted_average
    ),
}
"""The composition operators, by name (symbols such as ``"M(·, +)"`` are accepted too)."""

_ALIASES: dict[str, str] = {}
for _op in FCE_OPERATORS.values():
    _ALIASES[_op.symbol.replace(" ", "")] = _op.name
_ALIASES.update(
    {
        "M(min,max)": "min_max",
        "M(*,max)": "product_max",
        "M(min,+)": "min_bounded_sum",
        "M(min,⊕)": "min_bounded_sum",
        "M(*,+)": "weighted_average",
    }
)


def get_operator(name: str) -> FCEOperator:
    """Look an operator up by name or symbol.

    Raises
    ------
    SpecificationError
        For an unknown name, listing the valid ones.

    Examples
    --------
    >>> get_operator("M(·, ∨)").name
    'product_max'
    >>> get_operator("weighted_average").symbol
    'M(·, +)'
    """
    if isinstance(name, FCEOperator):
        return name
    if isinstance(name, str):
        if name in FCE_OPERATORS:
            return FCE_OPERATORS[name]
        key = name.replace(" ", "")
        if key in _ALIASES:
            return FCE_OPERATORS[_ALIASES[key]]
    raise SpecificationError(
        f"unknown FCE operator {name!r}; choose one of "
        f"{format_offenders(sorted(FCE_OPERATORS), limit=10)} "
        "(or a symbol such as 'M(·, +)')"
    )
