"""Plan versus actual: next period's survey against the plan.

The new survey is scored with the plan's own measurement (the same index weights
and scale bounds as the baseline), so realised and planned changes use one
yardstick. Each driver's realised change is compared with its planned change
(push plus induced moves) with a two-sided z test on both periods' sampling error
(independent samples); the target's gap between realised and planned uplift is
split into the part explained by drivers that moved differently than planned,
``Σ_d importance_d · (implied push_d − planned push_d)``, and the rest.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from csimodels._lazy import lazy_module
from csimodels.data.survey import SurveyData
from csimodels.errors import DataValidationError, InvalidParameterError, format_offenders
from csimodels.planning._inputs import OVERALL, build_table
from csimodels.planning.result import PlanEvaluation, PlanResult
from csimodels.results import Result
from csimodels.segments import segment_label, split_by

stats = lazy_module("scipy.stats")

__all__ = ["evaluate_plan"]


def _weighted_mean_se(values: np.ndarray, weights: np.ndarray | None) -> tuple[float, float]:
    """Mean and its standard error (Kish effective n for weights)."""
    ok = np.isfinite(values)
    v = values[ok]
    if v.size == 0:
        return float("nan"), float("nan")
    if weights is None:
        mean = float(v.mean())
        se = float(v.std(ddof=1) / np.sqrt(v.size)) if v.size > 1 else float("nan")
        return mean, se
    w = weights[ok]
    mean = float(np.average(v, weights=w))
    n_eff = w.sum() ** 2 / (w**2).sum()
    var = float(np.average((v - mean) ** 2, weights=w)) * n_eff / max(n_eff - 1, 1)
    return mean, float(np.sqrt(var / n_eff))


def _score_pls(
    part: SurveyData, meas: dict[str, Any], drivers: list[str], target: str, levers: str
) -> tuple[np.ndarray, np.ndarray, float, float]:
    items = meas["indicator"]
    matrix = part.item_matrix(items, missing=meas.get("missing", "listwise"))
    x = matrix.values
    w = matrix.weights
    lo = np.asarray(meas["scale_min"])
    hi = np.asarray(meas["scale_max"])
    v = np.asarray(meas["index_weight"])
    owner = np.asarray(meas["construct"])

    def construct_index(name: str) -> np.ndarray:
        cols = owner == name
        vv = v[cols]
        out = ((x[:, cols] - lo[cols]) @ vv) / (vv @ (hi[cols] - lo[cols])) * 100.0
        return np.asarray(out, dtype=np.float64)

    perf = np.empty(len(drivers))
    se = np.empty(len(drivers))
    for j, d in enumerate(drivers):
        if levers == "indicator":
            k = items.index(d)
            scores = (x[:, k] - lo[k]) / (hi[k] - lo[k]) * 100.0
        else:
            scores = construct_index(d)
        perf[j], se[j] = _weighted_mean_se(scores, w)
    t_mean, t_se = _weighted_mean_se(construct_index(target), w)
    return perf, se, t_mean, t_se


def _score_drivers(
    part: SurveyData, scale: list[float], drivers: list[str], target: str, missing: Any
) -> tuple[np.ndarray, np.ndarray, float, float]:
    lo, hi = scale
    # the driver analysis's own missing-data strategy, so the baseline is reproduced
    matrix = part.item_matrix([*drivers, target], missing=str(missing or "listwise"))
    x = (matrix.values - lo) / (hi - lo) * 100.0
    w = matrix.weights
    out = [_weighted_mean_se(x[:, j], w) for j in range(len(drivers) + 1)]
    return (
        np.array([m for m, _ in out[:-1]]),
        np.array([s for _, s in out[:-1]]),
        out[-1][0],
        out[-1][1],
    )


def _realised(plan: PlanResult, new: Any) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """New performance (segment × driver) and new target level (segment), with SEs."""
    segs = list(plan.segments.index)
    drivers = list(dict.fromkeys(plan.allocation.index.get_level_values("driver")))
    s = plan.settings
    if isinstance(new, Result) or (isinstance(new, pd.DataFrame) and s["source"] == "DataFrame"):
        table = build_table(
            new,
            target=plan.target if s["source"] != "DataFrame" else None,
            levers=s["levers"] if s["levers"] in ("construct", "indicator") else "construct",
            scale=s.get("scale"),
            where="evaluate",
        )
        missing = [d for d in drivers if d not in table.drivers]
        if missing:
            raise DataValidationError(
                f"evaluate: the new result has no driver(s) {format_offenders(missing)} of the plan"
            )
        cols = [table.drivers.index(d) for d in drivers]
        rows = {}
        trows = {}
        for i, seg in enumerate(table.segments):
            rows[seg] = (table.performance[i, cols], table.performance_se[i, cols])
            trows[seg] = (table.target_level[i], table.target_se[i])
        described = f"a {type(new).__name__}"
    else:
        if isinstance(new, pd.DataFrame):
            items = _needed_items(plan, drivers)
            data = SurveyData.coerce(new, items=items, segments=list(s.get("by") or []))
        elif isinstance(new, SurveyData):
            data = new
        else:
            raise DataValidationError(
                f"evaluate: new must be next period's survey (SurveyData or DataFrame) or a "
                f"fitted result, got {type(new).__name__}"
            )
        by = list(s.get("by") or [])
        if by:
            parts = {segment_label(v): p for v, p in split_by(data, by, owner="evaluate")[0]}
        else:
            parts = {OVERALL: data}
        rows, trows = {}, {}
        for seg in segs:
            if seg not in parts:
                continue
            if (
                s["source"] in ("PLSResult", "SegmentedPLSResult", "SegmentedResult")
                and plan.measurement
            ):
                meas = plan.measurement[seg]
                perf, se, tm, ts = _score_pls(parts[seg], meas, drivers, plan.target, s["levers"])
            else:
                scale = (plan.measurement or {}).get("scale")
                if scale is None:
                    raise DataValidationError(
                        "evaluate: this plan does not record how to score new data; pass a "
                        "fitted result of the new period instead"
                    )
                perf, se, tm, ts = _score_drivers(
                    parts[seg], scale, drivers, plan.target, plan.measurement.get("missing")
                )
            rows[seg] = (perf, se)
            trows[seg] = (tm, ts)
        described = f"{data.n_respondents} respondents"
    absent = [seg for seg in segs if seg not in rows]
    if len(absent) == len(segs):
        raise DataValidationError(
            f"evaluate: none of the plan's segments ({format_offenders(segs)}) is in the new data"
        )
    perf_frame = pd.DataFrame(
        [
            (seg, d, *((rows[seg][0][j], rows[seg][1][j]) if seg in rows else (np.nan, np.nan)))
            for seg in segs
            for j, d in enumerate(drivers)
        ],
        columns=["segment", "driver", "value", "se"],
    ).set_index(["segment", "driver"])
    target = pd.DataFrame(
        [(seg, *(trows[seg] if seg in trows else (np.nan, np.nan))) for seg in segs],
        columns=["segment", "value", "se"],
    ).set_index("segment")
    return perf_frame, target, described


def _needed_items(plan: PlanResult, drivers: list[str]) -> list[str]:
    if plan.measurement and "scale" not in plan.measurement:
        first = next(iter(plan.measurement.values()))
        return list(first["indicator"])
    return [*drivers, plan.target]


def _combine_se(new: np.ndarray, old: np.ndarray) -> np.ndarray:
    old0 = np.where(np.isfinite(old), old, 0.0)
    return np.asarray(np.sqrt(new**2 + old0**2), dtype=np.float64)


def evaluate_plan(plan: PlanResult, new: Any, *, level: float = 0.95) -> PlanEvaluation:
    """Compare the realised changes of next period with the plan.

    Parameters
    ----------
    plan : PlanResult
    new : SurveyData, DataFrame or a fitted result
        Next period's survey (with the plan's segment columns), or next period's
        fitted result of the same kind (then its own index weights score it).
    level : float
        Level of the intervals.

    Returns
    -------
    PlanEvaluation

    Examples
    --------
    >>> import csimodels as csi
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> res = csi.ACSI(indicators=data.constructs).fit(data)
    >>> plan = csi.ImprovementPlan(goal=1.0, costs={"Quality": 10.0}).fit(res)
    >>> ev = csi.planning.evaluate_plan(plan, data)
    >>> round(float(ev.targets.loc["(all)", "difference"]), 6)  # nothing done: -1
    -1.0
    """
    if not (isinstance(level, (int, float)) and 0 < level < 1):
        raise InvalidParameterError(f"evaluate: level must be in (0, 1), got {level!r}")
    perf, target, described = _realised(plan, new)
    alloc = plan.allocation
    segs = list(plan.segments.index)
    drivers = list(dict.fromkeys(alloc.index.get_level_values("driver")))
    s_n, d_n = len(segs), len(drivers)
    base = alloc["performance"].to_numpy().reshape(s_n, d_n)
    planned_level = (alloc["predicted"] - alloc["performance"]).to_numpy().reshape(s_n, d_n)
    push = alloc["change"].to_numpy().reshape(s_n, d_n)
    imp = alloc["importance"].to_numpy().reshape(s_n, d_n)
    stored = plan.settings.get("performance_se") or [None] * (s_n * d_n)
    old_se = np.array([np.nan if v is None else float(v) for v in stored]).reshape(s_n, d_n)
    new_val = perf["value"].to_numpy().reshape(s_n, d_n)
    new_se = perf["se"].to_numpy().reshape(s_n, d_n)
    realised = new_val - base
    se = _combine_se(new_se, old_se)
    zcrit = float(stats.norm.ppf(0.5 + level / 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (realised - planned_level) / se
    p = 2 * stats.norm.sf(np.abs(z))
    implied = realised.copy()
    if plan.chains is not None:
        chains = plan.chains.to_numpy().reshape(s_n, d_n, d_n)
        for i in range(s_n):
            if np.all(np.isfinite(realised[i])):
                implied[i] = np.linalg.solve(np.eye(d_n) + chains[i].T, realised[i])
    gap = imp * (implied - push)
    drivers_frame = pd.DataFrame(
        {
            "planned": planned_level.ravel(),
            "realised": realised.ravel(),
            "difference": (realised - planned_level).ravel(),
            "std_error": se.ravel(),
            "z": z.ravel(),
            "p_value": p.ravel(),
            "ci_lower": (realised - zcrit * se).ravel(),
            "ci_upper": (realised + zcrit * se).ravel(),
            "gap_contribution": gap.ravel(),
        },
        index=alloc.index,
    )
    t_old = plan.segments["current"].to_numpy()
    t_old_se = np.asarray(
        [np.nan if v is None else v for v in plan.settings.get("target_se") or [np.nan] * s_n],
        dtype=float,
    )
    t_new = target["value"].to_numpy()
    t_real = t_new - t_old
    t_plan = plan.segments["uplift"].to_numpy()
    t_se = _combine_se(target["se"].to_numpy(), t_old_se)
    explained = gap.sum(axis=1)
    rows = pd.DataFrame(
        {
            "planned": t_plan,
            "realised": t_real,
            "difference": t_real - t_plan,
            "std_error": t_se,
            "explained_by_drivers": explained,
            "unexplained": t_real - t_plan - explained,
        },
        index=pd.Index(segs, name="segment"),
    )
    if s_n > 1:
        w = plan.segments["weight"].to_numpy()
        ok = np.isfinite(t_real)
        wn = w[ok] / w[ok].sum()
        overall = {
            "planned": float(wn @ t_plan[ok]),
            "realised": float(wn @ t_real[ok]),
            "std_error": float(np.sqrt(np.sum((wn * t_se[ok]) ** 2))),
            "explained_by_drivers": float(wn @ explained[ok]),
        }
        overall["difference"] = overall["realised"] - overall["planned"]
        overall["unexplained"] = overall["difference"] - overall["explained_by_drivers"]
        rows.loc["overall"] = pd.Series(overall)
    with np.errstate(divide="ignore", invalid="ignore"):
        rows["z"] = rows["difference"] / rows["std_error"]
    rows["p_value"] = 2 * stats.norm.sf(np.abs(rows["z"].to_numpy(dtype=float)))
    rows["ci_lower"] = rows["realised"] - zcrit * rows["std_error"]
    rows["ci_upper"] = rows["realised"] + zcrit * rows["std_error"]
    rows = rows[
        [
            "planned",
            "realised",
            "difference",
            "std_error",
            "z",
            "p_value",
            "ci_lower",
            "ci_upper",
            "explained_by_drivers",
            "unexplained",
        ]
    ]
    notes: list[str] = []
    if not np.isfinite(old_se).all():
        notes.append(
            "the baseline's sampling error is unknown for some drivers (a driver analysis or a "
            "driver table); their intervals and tests use the new period's error only"
        )
    missing = [seg for seg in segs if not np.isfinite(target.loc[seg, "value"])]
    if missing:
        notes.append(f"segments absent from the new data: {format_offenders(missing)}")
    return PlanEvaluation(
        drivers=drivers_frame,
        targets=rows,
        settings={
            "target": plan.target,
            "new": described,
            "level": level,
            "test": "two-sided z test of realised = planned, independent samples",
        },
        notes=tuple(notes),
    )
