"""CB-SEM estimation: from a parameter table and the data of each group to θ̂ and its
covariance matrix (standard, robust Huber–White for MLR, WLSMV and ULSMV).

No pandas tables and no warnings here: conditions found are returned as
``(message, warning class)`` pairs for the public layer to issue and record.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from csimodels.errors import ConvergenceWarning, SpecificationError
from csimodels.sem import _cbsem_engine as engine
from csimodels.sem._cbsem_diagnostics import check_identified, check_moments
from csimodels.sem._cbsem_options import ROBUST_ORDINAL_ESTIMATORS
from csimodels.sem._cbsem_ordinal import OrdinalMoments
from csimodels.sem._cbsem_partable import ParTable
from csimodels.sem._cbsem_ram import RamModel, start_values

FloatArray = NDArray[np.float64]
Conditions = list[tuple[str, type[Warning]]]

__all__ = ["Estimation", "GroupData", "estimate", "free_names"]


@dataclass
class GroupData:
    """One group's answers (columns in ``columns`` order) and respondent weights."""

    label: str
    x: FloatArray
    weights: FloatArray | None


@dataclass
class Estimation:
    """Everything the tables and fit measures are computed from."""

    table: ParTable
    ram: RamModel
    frames: list[engine.ModelFrame]
    objective: engine.ModelFrame | engine.MultiFrame
    estimator: str
    theta: FloatArray
    f: float
    iterations: int
    converged: bool
    max_gradient: float
    solver: str
    vcov: FloatArray
    information: FloatArray
    singular_info: bool
    n: int
    n_eff: float
    q: int
    df: int
    names: list[str]
    ordinal: OrdinalMoments | None = None
    se_type: str = "standard"
    robust: dict[str, object] = field(default_factory=dict)
    #: thresholds, means and scale factors outside the parameter table
    #: (:class:`~._cbsem_ordinal_groups.ExtraRow`), every group
    extra_rows: list[Any] = field(default_factory=list)
    #: Jacobian of the binding inequality constraints (rows) at θ̂, None without any
    active_jacobian: FloatArray | None = None
    #: the active inequality constraints (positions in ``table.inequalities``)
    active: list[int] = field(default_factory=list)
    #: inverse of the information per respondent with the active constraints as
    #: equalities (lavaan's augmented inverse); ``vcov = bread / n_eff`` for standard SEs
    bread: FloatArray | None = None

    @property
    def se(self) -> FloatArray:
        return np.asarray(np.sqrt(np.abs(np.diag(self.vcov))), dtype=np.float64)


def free_names(table: ParTable, n_thresholds: list[str] | None = None) -> list[str]:
    """A readable name per free parameter (``f =~ x2``, ``y ~ x (group 2)``, ...)."""
    names = [""] * table.n_free
    for row in table.rows:
        if row.free and not names[row.free - 1]:
            rhs = "1" if row.op == "~1" else row.rhs
            op = "~" if row.op == "~1" else row.op
            text = f"{row.lhs} {op} {rhs}"
            if table.n_groups > 1:
                text += f" (group {row.group})"
            names[row.free - 1] = text
    return names + list(n_thresholds or [])


def estimate(
    table: ParTable,
    groups: list[GroupData],
    columns: list[str],
    estimator: str,
    *,
    ordinal: OrdinalMoments | list[OrdinalMoments] | None = None,
    equal_thresholds: bool = False,
    conditions: Conditions,
    robust: bool = False,
) -> Estimation:
    """Fit the model; raise for what cannot be estimated, record conditions otherwise.

    ``ordinal``: the sample statistics of ordinal items (one per group for several
    groups); ``equal_thresholds``: the groups share their thresholds (scale factors
    and latent means free in the later groups).

    ``robust`` with ``estimator="FIML"``: MLR with FIML (Huber–White SEs from the
    casewise scores of the incomplete-data likelihood).
    """
    from csimodels.sem._cbsem_ordinal_groups import group_shares, place_extras

    per_group = (
        list(ordinal)
        if isinstance(ordinal, list)
        else [ordinal] * len(groups)
        if ordinal is not None
        else None
    )
    ordinal = per_group[0] if per_group else None
    ram = RamModel(table)
    observed = ram.observed
    unknown = [c for c in observed if c not in columns]
    if unknown:
        from csimodels.errors import format_offenders

        line = next((r.line for r in table.rows if r.line and unknown[0] in (r.lhs, r.rhs)), 0)
        where = f"model syntax line {line}: " if line else ""
        raise SpecificationError(
            f"{where}variable {format_offenders(unknown)} of the model is neither a latent "
            "variable (left of '=~') nor a column of the data"
        )
    n_th = ordinal.n_thresholds * (1 if equal_thresholds else len(groups)) if ordinal else 0
    q_total = table.n_free + n_th
    for g in groups:
        check_moments(
            g.x,
            columns,
            observed,
            estimator,
            q_total,
            ordinal is not None,
            group=g.label if len(groups) > 1 else None,
        )
    frames = [
        engine.ModelFrame(
            ram, g.x, columns, estimator, g.weights, per_group[k] if per_group else None, group=k
        )
        for k, g in enumerate(groups)
    ]
    extras: list[object] = []
    extra_start = np.empty(0)
    th_names: list[str] = []
    if ordinal is not None:
        extras_, extra_start, th_names = place_extras(
            frames, table.n_free, equal_thresholds=equal_thresholds
        )
        extras = list(extras_)
    if len(frames) > 1 and all(g.weights is not None for g in groups):
        # lavaan's sampling.weights.normalization = "total": the weights of all groups
        # sum to N, so a group's size in the objective is the sum of its weights
        total = sum(float(np.sum(g.weights)) for g in groups if g.weights is not None)
        n_all = sum(fr.n for fr in frames)
        for fr, g in zip(frames, groups, strict=True):
            assert g.weights is not None
            fr.n_w = float(np.sum(g.weights)) * n_all / total
    objective: engine.ModelFrame | engine.MultiFrame = (
        frames[0] if len(frames) == 1 else engine.MultiFrame(frames)
    )
    if ordinal is not None and isinstance(objective, engine.MultiFrame):
        # lavaan weights the groups' discrepancies by n_g − 1 (χ² = Σ 2 (n_g − 1) F_g);
        # its standard errors use n_g / N (below)
        objective.share = group_shares(frames)
    q = objective.free_count()
    moments = sum(f.n_moments for f in frames)
    df = moments - q
    names = free_names(table, th_names)
    if moments - q < 0:
        raise SpecificationError(
            f"the model has {q} free parameters but only {moments} distinct sample moments "
            f"(df = {moments - q}): it is not identified; fix parameters or add indicators"
        )
    x0 = start_values(ram, [f.s for f in frames], [f.mean for f in frames])
    if ordinal is not None:
        x0 = np.concatenate([x0[: table.n_free], extra_start])
        if table.meanstructure:
            # continuous items' intercepts start at their sample means
            for fr in frames:
                sample = dict(
                    zip(
                        (o for o, m in zip(fr.th_owner, fr.th_is_mean, strict=True) if m),
                        fr.sample_th[fr.th_mean_rows],
                        strict=True,
                    )
                )
                for r in table.rows:
                    if r.op == "~1" and r.free and r.group == fr.group + 1 and r.lhs in sample:
                        x0[r.free - 1] = sample[r.lhs]
    check_identified(frames, x0, names[: table.n_free])
    theta, iterations, converged, g_max, solver = engine.optimise(objective, x0)
    active_jac = None
    active: list[int] = []
    if table.inequalities and math.isfinite(objective.evaluate(theta, need=0)[0]):
        from csimodels.sem._cbsem_constraints import fit_inequalities

        theta, active_jac, active, extra, converged, g_max, solver = fit_inequalities(
            objective, theta, table, converged, g_max, solver, conditions
        )
        iterations += extra
    f, _, h = objective.evaluate(theta)
    if not math.isfinite(f):
        raise SpecificationError(
            "the optimiser found no admissible solution (the implied covariance matrix is "
            "not positive definite at every point tried); check the model's identification"
        )
    if not converged:
        conditions.append(
            (
                f"the {estimator} optimiser did not converge in {iterations} iterations "
                f"(largest absolute gradient {g_max:.2e}); the estimates and fit indices are "
                "not a minimum of the discrepancy function — do not report them",
                ConvergenceWarning,
            )
        )
    n = sum(fr.n for fr in frames)
    # least-squares estimators: Σ_g (n_g − 1), as lavaan
    n_eff = float(n if estimator in ("ML", "MLR", "FIML") else n - len(frames))
    if estimator in ("FIML", "MLR"):
        h = engine.observed_information(objective, theta)
    try:
        if active_jac is not None:
            from csimodels.sem._cbsem_constraints import projected_inverse

            bread = projected_inverse(h, active_jac)
        else:
            bread = np.asarray(np.linalg.inv(h), dtype=np.float64)
        vcov = np.asarray(bread / n_eff, dtype=np.float64)
        singular_info = bool(
            not np.all(np.isfinite(vcov)) or np.any(np.diag(vcov) < -1e-12 * np.abs(vcov).max())
        )
    except np.linalg.LinAlgError:
        bread = np.asarray(np.linalg.pinv(h), dtype=np.float64)
        vcov = np.asarray(bread / n_eff, dtype=np.float64)
        singular_info = True
    est = Estimation(
        table=table,
        ram=ram,
        frames=frames,
        objective=objective,
        estimator=estimator,
        theta=theta,
        f=float(f),
        iterations=iterations,
        converged=converged,
        max_gradient=g_max,
        solver=solver,
        vcov=vcov,
        information=h,
        singular_info=singular_info,
        n=n,
        n_eff=n_eff,
        q=q,
        df=df,
        names=names,
        ordinal=ordinal,
        extra_rows=extras,
        active_jacobian=active_jac,
        active=active,
        bread=bread,
    )
    if ordinal is not None and not singular_info:
        meat = np.zeros_like(h)
        bread = np.zeros_like(h)
        for frame in frames:
            share = frame.n_w / n
            delta = frame.moment_jacobian(theta)
            wd = frame.wmat @ delta
            bread += share * (delta.T @ wd)
            if estimator in ROBUST_ORDINAL_ESTIMATORS:
                meat += share * (wd.T @ frame.gamma @ wd)
            else:
                # the unit diagonal of the ordinal items is not a sampled moment: only
                # the other moments carry sampling variance (lavaan's (Δ'WΔ)⁻¹ of the
                # model without them: the dependent residual variances get none)
                w0 = frame.wmat.copy()
                w0[frame.unit_moments, :] = 0.0
                w0[:, frame.unit_moments] = 0.0
                meat += share * (delta.T @ w0 @ delta)
        if estimator in ROBUST_ORDINAL_ESTIMATORS:
            est.se_type = "robust.sem"
        h_inv = np.linalg.inv(bread)
        est.vcov = np.asarray(h_inv @ meat @ h_inv / n_eff, dtype=np.float64)
    if estimator == "MLR" and not singular_info:
        from csimodels.sem._cbsem_robust import huber_white

        est.vcov = huber_white(est)
        est.se_type = "robust.huber.white"
    if estimator == "FIML" and robust and not singular_info:
        from csimodels.sem._cbsem_fiml_robust import fiml_huber_white

        est.vcov = fiml_huber_white(est)
        est.se_type = "robust.huber.white"
    return est


def dependent_variances(table: ParTable, frame: engine.ModelFrame) -> set[str]:
    """Variables whose ``v ~~ v`` is fixed by the unit variance of the latent responses.

    Delta parameterisation: an ordinal item's residual variance is 1 − (explained
    variance). When that residual variance is fixed (a single-indicator construct,
    ``x ~~ 0*x``), the construct's own (residual) variance takes its place. Neither is a
    parameter (lavaan shows them without standard errors).
    """
    if frame.ordinal is None:
        return set()
    numeric = frame.ordinal.is_numeric
    observed = {v for v, num in zip(frame.ordinal.items, numeric, strict=True) if not num}
    observed &= set(frame.observed)
    free_theta = {
        r.lhs
        for r in table.rows
        if r.op == "~~" and r.lhs == r.rhs and r.lhs in observed and r.free
    }
    out = set(free_theta)
    indicators: dict[str, list[str]] = {}
    for r in table.rows:
        if r.op == "=~" and r.rhs in observed:
            indicators.setdefault(r.lhs, []).append(r.rhs)
    for latent, items in indicators.items():
        if len(items) == 1 and items[0] in observed and items[0] not in free_theta:
            out.add(latent)
    return out
