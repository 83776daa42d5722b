"""CB-SEM tables: the lavaan-style parameter table (estimates, standard errors, intervals,
completely standardised estimates with delta-method standard errors, ``:=`` defined
parameters), and the per-group matrices (latent covariances, implied covariances, R²).

Pure functions of an :class:`~._cbsem_estimate.Estimation`; labels are the user's.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from csimodels._lazy import lazy_module
from csimodels.sem._cbsem_estimate import Estimation, dependent_variances
from csimodels.sem._cbsem_syntax import evaluate_expression

special = lazy_module("scipy.special")
stats = lazy_module("scipy.stats")

FloatArray = NDArray[np.float64]

__all__ = ["group_matrices", "parameter_frame", "row_values", "standardized"]

PARAMETER_COLUMNS = [
    "lhs",
    "op",
    "rhs",
    "group",
    "label",
    "free",
    "estimate",
    "std_error",
    "z",
    "p_value",
    "ci_lower",
    "ci_upper",
    "std_estimate",
    "std_std_error",
]


def row_values(est: Estimation, theta: FloatArray) -> FloatArray:
    """Value of every row of the parameter table (fixed or free) at ``theta``."""
    return np.array(
        [theta[r.free - 1] if r.free else r.value for r in est.table.rows], dtype=np.float64
    )


def _label_values(est: Estimation, values: FloatArray) -> dict[str, float]:
    out: dict[str, float] = {}
    for r, v in zip(est.table.rows, values, strict=True):
        if r.label and r.label not in out:
            out[r.label] = float(v)
    return out


def defined_values(est: Estimation, values: FloatArray) -> FloatArray:
    """``:=`` parameters evaluated on the row values (or on standardised ones)."""
    names = _label_values(est, values)
    out = []
    for name, expr, _ in est.table.defined:
        with np.errstate(all="ignore"):
            v = evaluate_expression(expr, names)
        names[name] = v
        out.append(v)
    return np.asarray(out, dtype=np.float64)


def group_matrices(
    est: Estimation, theta: FloatArray, group: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``(S, C, μ_all)``: parameter matrix S, implied covariance C of every variable and
    the implied means of every variable, for ``group`` (0-based)."""
    a, s, m = est.ram.matrices(theta, group)
    b = np.linalg.inv(np.eye(est.ram.m) - a)
    c = b @ s @ b.T
    return s, c, b @ m


def standardized(est: Estimation, theta: FloatArray) -> FloatArray:
    """lavaan's ``std.all`` of every row (then thresholds, then defined parameters)."""
    pos = est.ram.position
    values = row_values(est, theta)
    std = np.full(values.size, np.nan)
    cache = [group_matrices(est, theta, g) for g in range(est.table.n_groups)]
    with np.errstate(all="ignore"):
        for k, r in enumerate(est.table.rows):
            s, c, _ = cache[r.group - 1]
            v = values[k]
            if r.op == "~1":
                sd = (
                    math.sqrt(c[pos[r.lhs], pos[r.lhs]])
                    if c[pos[r.lhs], pos[r.lhs]] > 0
                    else np.nan
                )
                std[k] = v / sd
                continue
            a, b = pos[r.lhs], pos[r.rhs]
            sda = math.sqrt(c[a, a]) if c[a, a] > 0 else np.nan
            sdb = math.sqrt(c[b, b]) if c[b, b] > 0 else np.nan
            if r.op == "=~":
                std[k] = v * sda / sdb
            elif r.op == "~":
                std[k] = v * sdb / sda
            elif a == b:
                std[k] = v / c[a, a]
            else:
                prod = s[a, a] * s[b, b]
                std[k] = v / math.sqrt(prod) if prod > 0 else np.nan
    parts = [std]
    if est.extra_rows:
        # thresholds and continuous items' means divided by the item's implied SD
        # (1 for an ordinal item of the first group); scale factors as they are
        extra = np.array([theta[x.position] for x in est.extra_rows], dtype=np.float64)
        for k, x in enumerate(est.extra_rows):
            if x.op == "~*~":
                extra[k] = 1.0  # lavaan's std.all of a scale factor
            else:
                c = cache[x.group - 1][1]
                extra[k] /= math.sqrt(c[pos[x.lhs], pos[x.lhs]])
        parts.append(extra)
    if est.table.defined:
        parts.append(defined_values(est, std))
    return np.concatenate(parts)


def _jacobian(func: Any, theta: FloatArray) -> FloatArray:
    """Central-difference Jacobian of ``func`` at ``theta`` (columns: parameters)."""
    base = func(theta)
    jac = np.empty((base.size, theta.size))
    for j in range(theta.size):
        h = 1e-6 * max(1.0, abs(float(theta[j])))
        up = theta.copy()
        up[j] += h
        down = theta.copy()
        down[j] -= h
        jac[:, j] = (func(up) - func(down)) / (2 * h)
    return jac


def parameter_frame(
    est: Estimation, group_labels: list[str], *, level: float = 0.95
) -> pd.DataFrame:
    """The lavaan-style parameter table (:data:`PARAMETER_COLUMNS`)."""
    theta = est.theta
    table = est.table
    values = row_values(est, theta)
    se_all = est.se
    dependent = dependent_variances(table, est.frames[0]) if est.ordinal is not None else set()
    zq = float(stats.norm.ppf(0.5 + level / 2))
    std = standardized(est, theta)
    ok = not est.singular_info
    # lavaan's fixed.x: the covariates' moments carry no sampling variance
    fixed_x = set(table.ov_x) if est.estimator in ("ML", "MLR") and est.ordinal is None else set()
    vcov = est.vcov.copy()
    for r in table.rows:
        if r.free and (
            (r.op == "~~" and r.lhs in fixed_x and r.rhs in fixed_x)
            or (r.op == "~1" and r.lhs in fixed_x)
        ):
            vcov[r.free - 1, :] = 0.0
            vcov[:, r.free - 1] = 0.0
    if ok:
        jac = _jacobian(lambda t: standardized(est, t), theta)
        with np.errstate(all="ignore"):
            std_se = np.sqrt(np.abs(np.einsum("ij,jk,ik->i", jac, vcov, jac)))
    else:
        std_se = np.full(std.size, np.nan)
    # parameters an active inequality constraint pins down have no sampling variance
    pinned_free = _pinned_positions(est)
    rows: list[dict[str, Any]] = []
    for k, r in enumerate(table.rows):
        free = bool(r.free) and not (r.op == "~~" and r.lhs == r.rhs and r.lhs in dependent)
        if (r.op == "~~" and r.lhs in fixed_x and r.rhs in fixed_x) or (
            r.op == "~1" and r.lhs in fixed_x
        ):
            free = False  # lavaan's fixed.x: the covariates' sample moments
        se = float(se_all[r.free - 1]) if free and ok else float("nan")
        if r.free and (r.free - 1) in pinned_free:
            se = float("nan")
        rows.append(
            _row(
                r.lhs,
                r.op,
                r.rhs,
                r.group,
                r.label,
                free,
                float(values[k]),
                se,
                float(std[k]),
                float(std_se[k]),
                zq,
            )
        )
    n_rows = len(table.rows)
    for k, x in enumerate(est.extra_rows):
        rows.append(
            _row(
                x.lhs,
                x.op,
                x.rhs,
                x.group,
                "",
                True,
                float(theta[x.position]),
                float(se_all[x.position]) if ok else float("nan"),
                float(std[n_rows + k]),
                float(std_se[n_rows + k]),
                zq,
            )
        )
    n_rows += len(est.extra_rows)
    if table.defined:
        dvals = defined_values(est, values)

        def dfun(t: FloatArray) -> FloatArray:
            return defined_values(est, row_values(est, t))

        if ok:
            dj = _jacobian(dfun, theta)
            with np.errstate(all="ignore"):
                d_se = np.sqrt(np.abs(np.einsum("ij,jk,ik->i", dj, vcov, dj)))
            if est.active_jacobian is not None:
                from csimodels.sem._cbsem_constraints import pinned

                d_se[pinned(est.active_jacobian, dj)] = np.nan
        else:
            d_se = np.full(dvals.size, np.nan)
        for k, (name, expr, _) in enumerate(table.defined):
            rows.append(
                _row(
                    name,
                    ":=",
                    "".join(expr.split()),
                    0,
                    name,
                    True,
                    float(dvals[k]),
                    float(d_se[k]),
                    float(std[n_rows + k]),
                    float(std_se[n_rows + k]),
                    zq,
                )
            )
    out = pd.DataFrame(rows, columns=PARAMETER_COLUMNS)
    if table.n_groups > 1:
        out.insert(4, "group_label", [group_labels[g - 1] if g else "" for g in out["group"]])
    return out


def _pinned_positions(est: Estimation) -> set[int]:
    """Free parameters that the active inequality constraints determine."""
    if est.active_jacobian is None:
        return set()
    from csimodels.sem._cbsem_constraints import pinned

    flags = pinned(est.active_jacobian, np.eye(est.active_jacobian.shape[1]))
    return {int(k) for k in np.flatnonzero(flags)}


def _row(
    lhs: str,
    op: str,
    rhs: str,
    group: int,
    label: str,
    free: bool,
    estimate: float,
    se: float,
    std: float,
    std_se: float,
    zq: float,
) -> dict[str, Any]:
    if not free or not math.isfinite(se) or se <= 0:
        se = float("nan")
    z = estimate / se if math.isfinite(se) else float("nan")
    return {
        "lhs": lhs,
        "op": op,
        "rhs": rhs,
        "group": group,
        "label": label,
        "free": free,
        "estimate": estimate,
        "std_error": se,
        "z": z,
        "p_value": float(2 * special.ndtr(-abs(z))) if math.isfinite(z) else float("nan"),
        "ci_lower": estimate - zq * se if math.isfinite(se) else float("nan"),
        "ci_upper": estimate + zq * se if math.isfinite(se) else float("nan"),
        "std_estimate": std,
        "std_std_error": std_se if math.isfinite(std_se) else float("nan"),
    }
