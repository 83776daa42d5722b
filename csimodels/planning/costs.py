"""Cost curves of raising a driver: linear, piecewise linear, convex.

A cost curve gives the resources needed to raise a driver by ``x`` points on its
0–100 scale. Marginal cost may rise with the size of the push (the first points
are the cheapest): a :class:`PiecewiseCost` keeps the plan a linear programme, a
:class:`ConvexCost` makes it a smooth convex one. A plain number is a linear cost
per point.

Examples
--------
>>> from csimodels.planning import ConvexCost, PiecewiseCost
>>> PiecewiseCost(breaks=(2.0,), rates=(10.0, 30.0)).cost(3.0)
50.0
>>> ConvexCost(rate=2.0, exponent=2.0).cost(3.0)
18.0
"""

from __future__ import annotations

import math
from typing import Self

from pydantic import model_validator

from csimodels._settings import Settings

__all__ = ["ConvexCost", "CostCurve", "PiecewiseCost", "cost_of"]


class PiecewiseCost(Settings):
    """Increasing marginal cost as tiers: ``rates[k]`` per point between two breaks.

    The first ``breaks[0]`` points cost ``rates[0]`` each, the points from
    ``breaks[0]`` to ``breaks[1]`` cost ``rates[1]`` each, and so on; the last rate
    applies beyond the last break. Rates must not decrease (a convex curve), so the
    least-cost plan stays a linear programme in which cheaper tiers fill first.

    Attributes
    ----------
    breaks : tuple of float
        Increasing tier ends in points of the driver's 0–100 scale (> 0).
    rates : tuple of float
        Cost per point in each tier, one more than ``breaks``, non-negative and
        non-decreasing.

    Examples
    --------
    >>> c = PiecewiseCost(breaks=(2.0, 5.0), rates=(10.0, 20.0, 40.0))
    >>> c.cost(1.0), c.cost(4.0), c.cost(6.0)
    (10.0, 60.0, 120.0)
    >>> c.marginal(4.0)
    20.0
    """

    breaks: tuple[float, ...]
    rates: tuple[float, ...]

    @model_validator(mode="after")
    def _check(self) -> Self:
        if len(self.rates) != len(self.breaks) + 1:
            raise ValueError(
                f"rates must have one more entry than breaks ({len(self.breaks)} breaks, "
                f"{len(self.rates)} rates)"
            )
        if any(not math.isfinite(r) or r < 0 for r in self.rates):
            raise ValueError(f"rates must be finite and non-negative, got {list(self.rates)}")
        if any(b2 <= b1 for b1, b2 in zip((0.0, *self.breaks), self.breaks, strict=False)):
            raise ValueError(f"breaks must be positive and increasing, got {list(self.breaks)}")
        if any(r2 < r1 for r1, r2 in zip(self.rates, self.rates[1:], strict=False)):
            raise ValueError(
                f"rates must not decrease (increasing marginal cost keeps the plan convex), "
                f"got {list(self.rates)}"
            )
        return self

    def cost(self, points: float) -> float:
        """Cost of raising the driver by ``points``."""
        total = 0.0
        start = 0.0
        for end, rate in zip((*self.breaks, math.inf), self.rates, strict=True):
            total += rate * max(0.0, min(points, end) - start)
            start = end
        return total

    def marginal(self, points: float) -> float:
        """Cost of one more point at ``points`` (the rate of the tier it falls in)."""
        for end, rate in zip(self.breaks, self.rates, strict=False):
            if points < end:
                return rate
        return self.rates[-1]


class ConvexCost(Settings):
    """A smooth convex cost curve ``linear · x + rate · x ** exponent``.

    Attributes
    ----------
    rate : float
        Scale of the curved part (> 0).
    exponent : float
        Curvature (> 1; 2 is quadratic).
    linear : float
        Cost per point of the linear part (>= 0).

    Examples
    --------
    >>> c = ConvexCost(rate=1.0, exponent=2.0, linear=5.0)
    >>> c.cost(2.0), c.marginal(2.0)
    (14.0, 9.0)
    """

    rate: float
    exponent: float = 2.0
    linear: float = 0.0

    @model_validator(mode="after")
    def _check(self) -> Self:
        if not math.isfinite(self.rate) or self.rate <= 0:
            raise ValueError(f"rate must be positive, got {self.rate!r}")
        if not math.isfinite(self.exponent) or self.exponent <= 1:
            raise ValueError(
                f"exponent must be above 1 (use a number or PiecewiseCost for linear "
                f"costs), got {self.exponent!r}"
            )
        if not math.isfinite(self.linear) or self.linear < 0:
            raise ValueError(f"linear must be finite and non-negative, got {self.linear!r}")
        return self

    def cost(self, points: float) -> float:
        """Cost of raising the driver by ``points``."""
        x = max(points, 0.0)
        return float(self.linear * x + self.rate * x**self.exponent)

    def marginal(self, points: float) -> float:
        """Derivative of the cost at ``points``."""
        x = max(points, 0.0)
        return float(self.linear + self.rate * self.exponent * x ** (self.exponent - 1))


CostCurve = float | PiecewiseCost | ConvexCost
"""One driver's cost: a number (linear cost per point), tiers, or a convex curve."""


def cost_of(curve: CostCurve, points: float) -> float:
    """Cost of ``points`` under any :data:`CostCurve`.

    Examples
    --------
    >>> cost_of(12.5, 2.0)
    25.0
    """
    if isinstance(curve, (PiecewiseCost, ConvexCost)):
        return curve.cost(points)
    return float(curve) * max(points, 0.0)
