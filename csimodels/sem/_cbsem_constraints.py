"""Inequality constraints of CB-SEM (lavaan's ``<`` and ``>``), as lavaan 0.6 treats them.

A constraint ``lhs > rhs`` (``lhs < rhs``) is held as ``c(θ) = lhs − rhs ≥ 0``
(``rhs − lhs ≥ 0``), lavaan's ``cin`` function; the names in it are parameter labels
or ``:=`` defined parameters, evaluated on the free-parameter vector θ.

* **Estimation.** When the unconstrained minimum satisfies every constraint it is the
  solution (the constraints are inactive and nothing changes). Otherwise an active-set
  method finds the constrained minimum: each equality-constrained subproblem is solved
  by sequential quadratic programming with the Fisher-scoring Hessian (the expected
  information, plus the curvature of nonlinear constraints weighted by their
  multipliers) and a backtracking line search on an exact-penalty merit function; a
  violated constraint joins the active set, one with a negative multiplier leaves it.
  lavaan reaches the same point by an augmented Lagrangian (``nlminb.constr``).
* **Standard errors.** As lavaan's augmented information
  (``lav_model_information_augment_invert``): active constraints are treated as
  equalities, i.e. the inverse information is ``Z (Z' I Z)⁻¹ Z'`` with ``Z`` an
  orthonormal basis of the null space of the active constraints' Jacobian; inactive
  constraints change nothing. A parameter (or defined parameter) that an active
  constraint pins down has no sampling variance: its standard error is reported as
  missing (lavaan prints NA or 0). The same bread enters MLR's sandwich and the
  Yuan–Bentler trace.
* **Test statistic.** χ², its degrees of freedom and the number of parameters are not
  changed by inequality constraints, active or not (lavaan's rule).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from csimodels.errors import SpecificationError, format_offenders
from csimodels.sem._cbsem_syntax import Statement, evaluate_expression, expression_names

FloatArray = NDArray[np.float64]

__all__ = [
    "ConstrainedFit",
    "Inequalities",
    "check_inequalities",
    "constrained_optimise",
    "constraint_report",
    "fit_inequalities",
    "pinned",
    "projected_inverse",
]

#: a constraint with ``c(θ)`` at most this far from its bound counts as binding
ACTIVE_TOL = 1e-8


def _line_error(s: Statement, message: str) -> SpecificationError:
    return SpecificationError(f"model syntax line {s.line} ({s.text.strip()!r}): {message}")


class Inequalities:
    """The inequality constraints of a parameter table as functions of θ."""

    def __init__(self, table: Any) -> None:
        self.statements: list[Statement] = list(table.inequalities)
        self.n_free = int(table.n_free)
        label_pos: dict[str, int | float] = {}
        for row in table.rows:
            if row.label and row.label not in label_pos:
                label_pos[row.label] = row.free - 1 if row.free else float(row.value)
        self._labels = label_pos
        self._defined = [(name, expr) for name, expr, _ in table.defined]
        self._linear: dict[int, bool] = {}
        self._exprs = [
            (s.lhs[0], s.expression, s.op) for s in self.statements
        ]  # c = lhs - rhs ('>') or rhs - lhs ('<')

    def __len__(self) -> int:
        return len(self.statements)

    def _names(self, theta: FloatArray) -> dict[str, float]:
        values: dict[str, float] = {}
        for label, where in self._labels.items():
            values[label] = float(theta[where]) if isinstance(where, int) else float(where)
        for name, expr in self._defined:
            with np.errstate(all="ignore"):
                values[name] = evaluate_expression(expr, values)
        return values

    def values(self, theta: FloatArray) -> FloatArray:
        """``c(θ)`` (feasible where every entry is ≥ 0)."""
        names = self._names(theta)
        out = np.empty(len(self._exprs))
        for k, (lhs, rhs, op) in enumerate(self._exprs):
            a = evaluate_expression(lhs, names)
            b = evaluate_expression(rhs, names)
            out[k] = a - b if op == ">" else b - a
        return out

    def jacobian(self, theta: FloatArray) -> FloatArray:
        """∂c/∂θ' by central differences (exact for the polynomial constraints used)."""
        from csimodels.sem._cbsem_tables import _jacobian

        return _jacobian(self.values, theta)

    def curvature(self, theta: FloatArray, weights: FloatArray, rows: list[int]) -> FloatArray:
        """``Σ_k w_k ∇²c_k(θ)`` over ``rows`` (second differences; linear constraints
        contribute nothing, the others only over the parameters they involve)."""
        q = theta.size
        out = np.zeros((q, q))
        jac = self.jacobian(theta)
        for w, k in zip(weights, rows, strict=True):
            if w == 0 or self._linear.setdefault(k, self.is_linear(k, theta)):
                continue
            idx = np.flatnonzero(np.abs(jac[k]) > 0)
            steps = {int(i): 1e-4 * max(1.0, abs(float(theta[i]))) for i in idx}

            def at(shift: dict[int, float], k: int = k) -> float:
                x = theta.copy()
                for i, v in shift.items():
                    x[i] += v
                return float(self.values(x)[k])

            for a in idx:
                for b in idx:
                    if b < a:
                        continue
                    ha, hb = steps[int(a)], steps[int(b)]
                    if a == b:
                        d2 = (at({int(a): ha}) - 2 * at({}) + at({int(a): -ha})) / ha**2
                    else:
                        d2 = (
                            at({int(a): ha, int(b): hb})
                            - at({int(a): ha, int(b): -hb})
                            - at({int(a): -ha, int(b): hb})
                            + at({int(a): -ha, int(b): -hb})
                        ) / (4 * ha * hb)
                    out[a, b] += w * d2
                    if a != b:
                        out[b, a] += w * d2
        return out

    def is_linear(self, k: int, theta: FloatArray) -> bool:
        """Whether constraint ``k`` is affine in θ (checked at three points)."""
        rng = np.random.default_rng(12345)
        pts = [theta + rng.uniform(-0.5, 0.5, theta.size) for _ in range(3)]
        with np.errstate(all="ignore"):
            jacs = [self.jacobian(p)[k] for p in pts]
            vals = [self.values(p)[k] for p in pts]
        if not all(np.all(np.isfinite(j)) for j in jacs) or not all(math.isfinite(v) for v in vals):
            return False
        scale = 1.0 + float(np.max(np.abs(jacs[0])))
        if any(float(np.max(np.abs(j - jacs[0]))) > 1e-6 * scale for j in jacs[1:]):
            return False
        pred = vals[0] + float(jacs[0] @ (pts[1] - pts[0]))
        return bool(abs(pred - vals[1]) <= 1e-6 * (1.0 + abs(vals[1])))


def check_inequalities(table: Any) -> None:
    """Refuse inequality constraints that constrain nothing consistently.

    Raises
    ------
    SpecificationError
        A constraint whose every parameter is fixed (by a fixed value or an ``==``
        constraint) and which the fixed values violate; linear constraints that no
        parameter vector satisfies together (``a > 1`` with ``a < 0``, or with
        ``a == b`` and ``b < 0``), naming their lines.
    """
    ineq = Inequalities(table)
    theta = np.ones(table.n_free)
    linear: list[int] = []
    for k, s in enumerate(ineq.statements):
        names = expression_names(s.lhs[0]) + expression_names(s.expression)
        if not names:
            raise _line_error(s, "the constraint names no parameter; label a parameter to bound")
        jac = ineq.jacobian(theta)[k] if table.n_free else np.zeros(0)
        depends = bool(np.any(np.abs(jac) > 0)) or (
            table.n_free > 0 and not ineq.is_linear(k, theta)
        )
        if not depends:
            with np.errstate(all="ignore"):
                value = float(ineq.values(theta)[k])
            fixed = sorted(n for n in names if n in ineq._labels)
            if not value >= 0:
                raise _line_error(
                    s,
                    f"the constraint contradicts the fixed value of {format_offenders(fixed)} "
                    "(fixed in the model or by an '==' constraint); drop one of them",
                )
            raise _line_error(
                s,
                f"the constraint bounds only fixed parameters ({format_offenders(fixed)}); "
                "it constrains nothing — free the parameter or drop the constraint",
            )
        if ineq.is_linear(k, theta):
            linear.append(k)
    if len(linear) < 2:
        return
    from scipy.optimize import linprog

    jac = ineq.jacobian(theta)[linear]
    offset = ineq.values(theta)[linear] - jac @ theta  # c(θ) = offset + J θ ≥ 0
    res = linprog(
        np.zeros(table.n_free),
        A_ub=-jac,
        b_ub=offset,
        bounds=[(None, None)] * table.n_free,
        method="highs",
    )
    if res.status == 2:
        lines = [ineq.statements[k] for k in linear]
        raise SpecificationError(
            "model syntax lines "
            + ", ".join(f"{s.line} ({s.text.strip()!r})" for s in lines)
            + ": no parameter values satisfy these inequality constraints together "
            "(with the model's equality constraints); they contradict each other"
        )


@dataclass
class ConstrainedFit:
    """Result of :func:`constrained_optimise`."""

    theta: FloatArray
    iterations: int
    converged: bool
    active: list[int]
    multipliers: FloatArray
    max_gradient: float  # of the Lagrangian, on the active constraints' null space
    max_violation: float


def constrained_optimise(
    frame: Any, theta0: FloatArray, ineq: Inequalities, *, max_rounds: int = 50
) -> ConstrainedFit:
    """Minimise ``F`` subject to ``c(θ) ≥ 0`` from the unconstrained minimum ``theta0``."""
    c0 = ineq.values(theta0)
    if np.all(c0 >= 0):
        _, g, _ = frame.evaluate(theta0, need=1)
        return ConstrainedFit(
            theta0, 0, True, [], np.zeros(0), float(np.max(np.abs(g))) if g.size else 0.0, 0.0
        )
    active = [int(np.argmin(c0))]
    theta = theta0.copy()
    total = 0
    lam = np.zeros(1)
    ok = False
    for _ in range(max_rounds):
        theta, lam, it, ok = _equality_sqp(frame, theta, ineq, active)
        total += it
        c = ineq.values(theta)
        inactive = [k for k in range(len(ineq)) if k not in active]
        violated = [k for k in inactive if c[k] < -ACTIVE_TOL]
        if violated:
            active.append(min(violated, key=lambda k: c[k]))
            continue
        if lam.size and float(np.min(lam)) < -1e-10:
            active.pop(int(np.argmin(lam)))
            if not active:
                # every constraint released: the unconstrained minimum is feasible
                theta = theta0.copy()
                lam = np.zeros(0)
                break
            continue
        break
    else:  # pragma: no cover - the active set cycles
        ok = False
    c = ineq.values(theta)
    _, g, _ = frame.evaluate(theta, need=1)
    grad = g.copy()
    if active:
        jac = ineq.jacobian(theta)[active]
        grad = g - jac.T @ lam
    order = np.argsort(active)
    return ConstrainedFit(
        theta=theta,
        iterations=total,
        converged=bool(ok),
        active=[active[k] for k in order],
        multipliers=np.asarray(lam[order] if active else np.zeros(0), dtype=np.float64),
        max_gradient=float(np.max(np.abs(grad))) if grad.size else 0.0,
        max_violation=float(max(0.0, -float(np.min(c)))) if c.size else 0.0,
    )


def _equality_sqp(
    frame: Any,
    theta: FloatArray,
    ineq: Inequalities,
    active: list[int],
    *,
    tol: float = 1e-11,
    max_iter: int = 200,
) -> tuple[FloatArray, FloatArray, int, bool]:
    """min F s.t. c_A(θ) = 0: SQP with the expected information as the Hessian."""
    m = len(active)
    q = theta.size
    lam = np.zeros(m)
    f, g, h = frame.evaluate(theta)
    rho = 1.0

    def merit(x: FloatArray, weight: float) -> float:
        fx = float(frame.evaluate(x, need=0)[0])
        if not math.isfinite(fx):
            return math.inf
        return fx + weight * float(np.sum(np.abs(ineq.values(x)[active])))

    for it in range(1, max_iter + 1):
        c = ineq.values(theta)[active]
        jac = ineq.jacobian(theta)[active]
        hess = h - ineq.curvature(theta, lam, active)
        kkt = np.zeros((q + m, q + m))
        kkt[:q, :q] = hess
        kkt[:q, q:] = -jac.T
        kkt[q:, :q] = jac
        rhs = np.concatenate([-g, -c])
        try:
            sol = np.linalg.solve(kkt, rhs)
        except np.linalg.LinAlgError:
            sol = np.linalg.lstsq(kkt, rhs, rcond=None)[0]
        step, lam_new = sol[:q], sol[q:]
        if not np.all(np.isfinite(sol)):
            return theta, lam, it, False
        rho = max(rho, 2.0 * float(np.max(np.abs(lam_new))) + 1e-3)
        base = merit(theta, rho)
        t = 1.0
        accepted = False
        for _ in range(40):
            cand = theta + t * step
            if merit(cand, rho) <= base + 1e-14 * max(1.0, abs(base)):
                accepted = True
                break
            t /= 2.0
        if not accepted:
            cand = theta + t * step
        theta = cand
        lam = lam_new if t == 1.0 else lam + t * (lam_new - lam)
        f, g, h = frame.evaluate(theta)
        if not math.isfinite(f):
            return theta, lam, it, False
        small_step = float(np.max(np.abs(t * step))) < tol * 10
        feasible = float(np.max(np.abs(ineq.values(theta)[active]))) < tol
        lag = g - ineq.jacobian(theta)[active].T @ lam
        if feasible and (small_step or float(np.max(np.abs(_project(lag, jac)))) < 1e-10):
            # one more multiplier estimate at the final point (least squares)
            jac = ineq.jacobian(theta)[active]
            lam = np.linalg.lstsq(jac.T, g, rcond=None)[0]
            return theta, lam, it, True
    return theta, lam, max_iter, False


def _project(v: FloatArray, jac: FloatArray) -> FloatArray:
    """``v`` projected on the null space of ``jac`` (rows: constraint gradients)."""
    if jac.shape[0] == 0:
        return v
    coef = np.linalg.lstsq(jac.T, v, rcond=None)[0]
    return np.asarray(v - jac.T @ coef, dtype=np.float64)


def null_space(jac: FloatArray) -> FloatArray:
    """Orthonormal basis (columns) of the null space of ``jac``."""
    q = jac.shape[1]
    if jac.shape[0] == 0:
        return np.eye(q)
    _, sv, vt = np.linalg.svd(jac)
    rank = int(np.sum(sv > 1e-10 * max(1.0, float(sv[0]))))
    return np.asarray(vt[rank:].T, dtype=np.float64)


def projected_inverse(info: FloatArray, jac_active: FloatArray | None) -> FloatArray:
    """Inverse information with active constraints as equalities: ``Z (Z' I Z)⁻¹ Z'``.

    lavaan's augmented information ``[[I + H'H, H'], [H, 0]]`` inverted (its top-left
    block), which equals this when ``I`` is positive definite on the null space of
    ``H``. Without active constraints: ``I⁻¹``.
    """
    if jac_active is None or jac_active.shape[0] == 0:
        return np.asarray(np.linalg.inv(info), dtype=np.float64)
    z = null_space(jac_active)
    inner = z.T @ info @ z
    return np.asarray(z @ np.linalg.inv(inner) @ z.T, dtype=np.float64)


def pinned(jac_active: FloatArray | None, gradients: FloatArray) -> NDArray[np.bool_]:
    """Which functions (rows of ``gradients``: ∂/∂θ of parameters or defined
    parameters) an active constraint pins down (gradient in its row space)."""
    k = gradients.shape[0]
    if jac_active is None or jac_active.shape[0] == 0:
        return np.zeros(k, dtype=bool)
    z = null_space(jac_active)
    norms = np.linalg.norm(gradients, axis=1)
    proj = np.linalg.norm(gradients @ z, axis=1)
    return np.asarray((norms > 0) & (proj <= 1e-7 * np.maximum(norms, 1e-300)), dtype=bool)


def _snap_bounds(theta: FloatArray, ineq: Inequalities, active: list[int]) -> FloatArray:
    """Put parameters held by an active simple bound (``e1 > 0``) exactly on it (the
    solver leaves them within round-off, possibly a hair outside)."""
    out = theta.copy()
    jac = ineq.jacobian(out)
    for k in active:
        nz = np.flatnonzero(np.abs(jac[k]) > 1e-12)
        if nz.size != 1 or not ineq.is_linear(k, out):
            continue
        j = int(nz[0])
        slope = float(jac[k, j])
        out[j] -= float(ineq.values(out)[k]) / slope
        direction = math.copysign(math.inf, slope)
        for _ in range(4):
            if float(ineq.values(out)[k]) >= 0:
                break
            out[j] = np.nextafter(out[j], direction)
    return out


def fit_inequalities(
    objective: Any,
    theta: FloatArray,
    table: Any,
    converged: bool,
    max_gradient: float,
    solver: str,
    conditions: list[tuple[str, type[Warning]]],
) -> tuple[FloatArray, FloatArray | None, list[int], int, bool, float, str]:
    """Move the unconstrained minimum ``theta`` to the constrained one.

    Returns ``(θ, Jacobian of the active constraints or None, active positions,
    iterations, converged, max |gradient of the Lagrangian|, solver)``.
    """
    from csimodels.errors import ConvergenceWarning, InvalidParameterError

    if getattr(objective, "ordinal", None) is not None:
        raise InvalidParameterError(
            "inequality constraints ('<', '>') are not available with ordinal items yet; "
            "fit the continuous items, or fix the parameter"
        )
    ineq = Inequalities(table)
    res = constrained_optimise(objective, theta, ineq)
    if not res.active:
        return theta, None, [], 0, converged, max_gradient, solver
    theta_c = _snap_bounds(res.theta, ineq, res.active)
    jac = ineq.jacobian(theta_c)[res.active]
    ok = res.converged and res.max_violation < 1e-8
    if not ok:
        lines = ", ".join(str(ineq.statements[k].line) for k in res.active)
        conditions.append(
            (
                f"the constrained optimiser did not converge (active inequality constraints "
                f"on model syntax line(s) {lines}; largest violation {res.max_violation:.2e}, "
                f"largest gradient of the Lagrangian {res.max_gradient:.2e}); the estimates "
                "are not the constrained minimum — do not report them",
                ConvergenceWarning,
            )
        )
    return (
        theta_c,
        jac,
        list(res.active),
        res.iterations,
        converged and ok,
        res.max_gradient,
        solver + "+active-set SQP",
    )


def constraint_report(est: Any) -> list[dict[str, Any]]:
    """One entry per inequality constraint: line, text, slack ``c(θ̂)`` and whether it
    binds (for ``settings["inequality_constraints"]``)."""
    if not est.table.inequalities:
        return []
    ineq = Inequalities(est.table)
    values = ineq.values(est.theta)
    out = []
    for k, s in enumerate(ineq.statements):
        active = k in est.active
        slack = float(values[k])
        if active and abs(slack) < 1e-10:
            slack = 0.0  # on the bound (round-off of a constraint on several parameters)
        out.append(
            {
                "line": int(s.line),
                "constraint": f"{s.lhs[0].strip()} {s.op} {s.expression.strip()}",
                "slack": slack,
                "active": active,
            }
        )
    return out
