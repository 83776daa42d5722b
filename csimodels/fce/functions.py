"""Membership functions: triangular, trapezoidal, Gaussian and the half-trapezoids.

Each is a frozen pydantic object called on a scalar or an array of indicator values;
:func:`threshold_functions` builds the standard set from one value per grade.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import BaseModel, ConfigDict

from csimodels.errors import DataValidationError, format_offenders
from csimodels.fce.grades import GradeSet

__all__ = [
    "FallingHalfTrapezoid",
    "Gaussian",
    "MembershipFunction",
    "RisingHalfTrapezoid",
    "Trapezoidal",
    "Triangular",
    "threshold_functions",
]

FloatArray = NDArray[np.float64]
GradesArg = GradeSet | Mapping[str, float] | Sequence[str]


def _finite(name: str, **params: float) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in params.items():
        try:
            x = float(value)
        except (TypeError, ValueError):
            raise DataValidationError(f"{name}: {key} must be a number, got {value!r}") from None
        if not math.isfinite(x):
            raise DataValidationError(f"{name}: {key} must be finite, got {value!r}")
        out[key] = x
    return out


def _ordered(name: str, params: dict[str, float]) -> None:
    keys = list(params)
    vals = list(params.values())
    if any(b < a for a, b in itertools.pairwise(vals)) or vals[0] == vals[-1]:
        shown = ", ".join(f"{k}={params[k]:g}" for k in keys)
        raise DataValidationError(
            f"{name} needs {' <= '.join(keys)} with {keys[0]} < {keys[-1]}; got {shown}"
        )


def _ramp_up(x: FloatArray, a: float, b: float) -> FloatArray:
    if b == a:
        return np.where(x >= b, 1.0, 0.0)
    return np.clip((x - a) / (b - a), 0.0, 1.0)


class _MF(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def __call__(self, x: ArrayLike) -> FloatArray:
        """Membership degree(s) of ``x`` (scalar or array), in [0, 1]."""
        arr = np.asarray(x, dtype=np.float64)
        return self._evaluate(arr)

    def _evaluate(self, x: FloatArray) -> FloatArray:  # pragma: no cover - abstract
        raise NotImplementedError


class Triangular(_MF):
    """Triangular membership: 0 at ``a``, rising to 1 at ``b``, falling to 0 at ``c``.

    Attributes
    ----------
    a, b, c : float
        Feet and peak, ``a <= b <= c`` with ``a < c`` (``a == b`` or ``b == c`` gives
        a right triangle).

    Examples
    --------
    >>> Triangular(60, 75, 90)([60, 70, 75, 85]).round(4).tolist()
    [0.0, 0.6667, 1.0, 0.3333]
    """

    kind: Literal["triangular"] = "triangular"
    a: float
    b: float
    c: float

    def __init__(self, a: float, b: float, c: float, **kw: Any) -> None:
        p = _finite("Triangular", a=a, b=b, c=c)
        _ordered("Triangular", p)
        super().__init__(**p, **kw)

    def _evaluate(self, x: FloatArray) -> FloatArray:
        up = _ramp_up(x, self.a, self.b)
        down = 1.0 - _ramp_up(x, self.b, self.c) if self.c > self.b else np.where(x > self.c, 0, 1)
        inside = (x >= self.a) & (x <= self.c)
        return np.where(inside, np.minimum(up, down), 0.0).astype(np.float64)


class Trapezoidal(_MF):
    """Trapezoidal membership: 0 at ``a``, 1 on ``[b, c]``, 0 again at ``d``.

    Attributes
    ----------
    a, b, c, d : float
        ``a <= b <= c <= d`` with ``a < d``.

    Examples
    --------
    >>> Trapezoidal(0, 10, 20, 40)([5, 15, 30, 45]).tolist()
    [0.5, 1.0, 0.5, 0.0]
    """

    kind: Literal["trapezoidal"] = "trapezoidal"
    a: float
    b: float
    c: float
    d: float

    def __init__(self, a: float, b: float, c: float, d: float, **kw: Any) -> None:
        p = _finite("Trapezoidal", a=a, b=b, c=c, d=d)
        _ordered("Trapezoidal", p)
        super().__init__(**p, **kw)

    def _evaluate(self, x: FloatArray) -> FloatArray:
        up = _ramp_up(x, self.a, self.b)
        down = 1.0 - _ramp_up(x, self.c, self.d) if self.d > self.c else np.where(x > self.d, 0, 1)
        inside = (x >= self.a) & (x <= self.d)
        return np.where(inside, np.minimum(up, down), 0.0).astype(np.float64)


class Gaussian(_MF):
    """Gaussian membership ``exp(−(x − center)² / (2 sigma²))``.

    Attributes
    ----------
    center : float
        Where the membership is 1.
    sigma : float
        Spread, > 0.

    Examples
    --------
    >>> round(float(Gaussian(80, 10)(90)), 6)
    0.606531
    """

    kind: Literal["gaussian"] = "gaussian"
    center: float
    sigma: float

    def __init__(self, center: float, sigma: float, **kw: Any) -> None:
        p = _finite("Gaussian", center=center, sigma=sigma)
        if p["sigma"] <= 0:
            raise DataValidationError(f"Gaussian: sigma must be > 0, got {sigma!r}")
        super().__init__(**p, **kw)

    def _evaluate(self, x: FloatArray) -> FloatArray:
        return np.exp(-0.5 * ((x - self.center) / self.sigma) ** 2).astype(np.float64)


class RisingHalfTrapezoid(_MF):
    """Rising half-trapezoid (偏大型): 0 up to ``a``, linear to 1 at ``b``, 1 beyond.

    Attributes
    ----------
    a, b : float
        ``a < b``.

    Examples
    --------
    >>> RisingHalfTrapezoid(80, 90)([70, 85, 95]).tolist()
    [0.0, 0.5, 1.0]
    """

    kind: Literal["rising"] = "rising"
    a: float
    b: float

    def __init__(self, a: float, b: float, **kw: Any) -> None:
        p = _finite("RisingHalfTrapezoid", a=a, b=b)
        _ordered("RisingHalfTrapezoid", p)
        super().__init__(**p, **kw)

    def _evaluate(self, x: FloatArray) -> FloatArray:
        return _ramp_up(x, self.a, self.b)


class FallingHalfTrapezoid(_MF):
    """Falling half-trapezoid (偏小型): 1 up to ``a``, linear to 0 at ``b``, 0 beyond.

    Attributes
    ----------
    a, b : float
        ``a < b``.

    Examples
    --------
    >>> FallingHalfTrapezoid(60, 70)([50, 65, 75]).tolist()
    [1.0, 0.5, 0.0]
    """

    kind: Literal["falling"] = "falling"
    a: float
    b: float

    def __init__(self, a: float, b: float, **kw: Any) -> None:
        p = _finite("FallingHalfTrapezoid", a=a, b=b)
        _ordered("FallingHalfTrapezoid", p)
        super().__init__(**p, **kw)

    def _evaluate(self, x: FloatArray) -> FloatArray:
        return (1.0 - _ramp_up(x, self.a, self.b)).astype(np.float64)


MembershipFunction = (
    Triangular | Trapezoidal | Gaussian | RisingHalfTrapezoid | FallingHalfTrapezoid
)
_MF_TYPES = (Triangular, Trapezoidal, Gaussian, RisingHalfTrapezoid, FallingHalfTrapezoid)


def threshold_functions(
    thresholds: Sequence[float], grades: GradesArg
) -> dict[str, MembershipFunction]:
    """The standard membership functions from one characteristic value per grade.

    With the values sorted increasingly, ``s₁ < s₂ < … < sₘ``, the grade at ``s₁``
    gets a falling half-trapezoid (1 below ``s₁``, 0 from ``s₂``), the grade at
    ``sₘ`` a rising half-trapezoid (0 below ``sₘ₋₁``, 1 from ``sₘ``), and each
    grade in between a triangle ``(sₖ₋₁, sₖ, sₖ₊₁)``. The memberships of any value
    then sum to one. Thresholds may increase or decrease along the grade order
    (higher-is-better or lower-is-better indicators).

    Examples
    --------
    >>> f = threshold_functions([90, 80, 70, 60], ["优", "良", "中", "差"])
    >>> {g: round(float(fn(84)), 2) for g, fn in f.items()}
    {'优': 0.4, '良': 0.6, '中': 0.0, '差': 0.0}
    """
    gs = GradeSet.coerce(grades)
    try:
        s = np.asarray(thresholds, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataValidationError(
            f"thresholds must be numbers, one per grade; got {thresholds!r}"
        ) from None
    if s.ndim != 1 or s.size != gs.n:
        raise DataValidationError(
            f"thresholds have {s.size} values for {gs.n} grades "
            f"({format_offenders(gs.labels)}); give one characteristic value per grade"
        )
    if not np.all(np.isfinite(s)):
        raise DataValidationError(f"thresholds must be finite, got {s.tolist()}")
    d = np.diff(s)
    if not (np.all(d > 0) or np.all(d < 0)):
        raise DataValidationError(
            f"thresholds must be strictly increasing or strictly decreasing along the grades "
            f"{format_offenders(gs.labels)}; got {s.tolist()}"
        )
    order = np.argsort(s)
    ss = s[order]
    m = gs.n
    out: dict[str, MembershipFunction] = {}
    for k, pos in enumerate(order):
        label = gs.labels[int(pos)]
        if k == 0:
            out[label] = FallingHalfTrapezoid(ss[0], ss[1])
        elif k == m - 1:
            out[label] = RisingHalfTrapezoid(ss[m - 2], ss[m - 1])
        else:
            out[label] = Triangular(ss[k - 1], ss[k], ss[k + 1])
    return {label: out[label] for label in gs.labels}
