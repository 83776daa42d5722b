"""What-if: the predicted change of the target index when drivers move.

The effects are the importance of the importance–performance map (IPMA): index
points of the target per point of a driver, both on the 0–100 scale (Ringle &
Sarstedt 2016). For a PLS model they are the unstandardised total effects; at the
indicator level an indicator's effect is its construct's times the indicator's
weight in the construct's index. For a driver analysis they are the regression
slopes (the attributes and the overall item on one rating scale).

A change is an exogenous push to the driver, in points of its 0–100 score; it is
capped so that the driver stays within [0, 100]. A push on a construct also moves
the constructs it leads to (``Quality`` raises ``Value``); the predicted level of
every driver includes those induced moves, and the target's change is the sum of
each push times its total effect (so nothing is counted twice).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from csimodels.errors import InvalidParameterError, SpecificationError, format_offenders
from csimodels.inference import check_resample_count
from csimodels.planning._inputs import OVERALL, extract_one, is_pls, pick_segment
from csimodels.planning.result import WhatIfResult

__all__ = ["what_if"]


def _lever_level(result: Any, keys: list[str]) -> str:
    """``"construct"`` or ``"indicator"`` from the names of a PLS what-if."""
    constructs = set(result.spec.construct_names)
    indicators = set(result.spec.indicators)
    kinds = {
        "construct" if k in constructs else "indicator" if k in indicators else "?" for k in keys
    }
    unknown = [k for k in keys if k not in constructs and k not in indicators]
    if unknown:
        raise SpecificationError(
            f"what_if: {format_offenders(sorted(unknown))} is neither a construct nor an "
            f"indicator of the model; constructs: {format_offenders(sorted(constructs))}"
        )
    if len(kinds) > 1:
        raise SpecificationError(
            "what_if: mix of constructs and indicators in the changes; move either "
            "constructs or indicators in one what-if"
        )
    return kinds.pop()


def what_if(
    result: Any,
    changes: Mapping[str, float],
    *,
    segment: str | None = None,
    target: str | None = None,
    scale: tuple[float, float] | None = None,
    level: float | None = None,
) -> WhatIfResult:
    """Predicted change of the target index when drivers change by ``changes`` points.

    Parameters
    ----------
    result : PLSResult, SegmentedPLSResult, SegmentedResult or DriverAnalysisResult
        A fitted model with effects on the target.
    changes : dict of str to float
        Driver → change in points of its 0–100 score (constructs or indicators of a PLS
        model; attributes of a driver analysis). Negative changes are allowed. A
        change that would take a driver past 0 or 100 is capped there.
    segment : str, optional
        One segment of a per-segment result (default: the pooled result).
    target : str, optional
        The target construct of a PLS model (default ``"Satisfaction"``); a driver
        analysis always predicts its overall item.
    scale : (float, float), optional
        The rating scale of a driver analysis (it does not record one), e.g. ``(1, 10)``.
    level : float, optional
        Interval level (default: the bootstrap's level, or 0.95).

    Returns
    -------
    WhatIfResult

    Raises
    ------
    SpecificationError
        Unknown drivers, a driver with no effect on the target, a result without the
        needed effects (no ``slope`` in a driver analysis), an unknown segment.
    InvalidParameterError
        A non-finite change, an empty ``changes``, a ``level`` outside (0, 1).

    Examples
    --------
    >>> import csimodels as csi
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> res = csi.ACSI(indicators=data.constructs).fit(data)
    >>> w = csi.planning.what_if(res, {"Quality": 3, "Value": 2})
    >>> imp = res.ipma("Satisfaction")["importance"]
    >>> bool(abs(w.change - (3 * imp["Quality"] + 2 * imp["Value"])) < 1e-12)
    True
    """
    if not isinstance(changes, Mapping) or not changes:
        raise InvalidParameterError(
            "what_if: changes must be a non-empty dict of driver → change in points, "
            "e.g. {'Quality': 3}"
        )
    bad = [k for k, v in changes.items() if not _finite(v)]
    if bad:
        raise InvalidParameterError(
            f"what_if: the change of {format_offenders(sorted(map(str, bad)))} must be a "
            "finite number of points"
        )
    if level is not None and not (isinstance(level, (int, float)) and 0 < level < 1):
        raise InvalidParameterError(f"what_if: level must be in (0, 1), e.g. 0.95; got {level!r}")
    one = pick_segment(result, segment)
    keys = [str(k) for k in changes]
    levers = _lever_level(one, keys) if is_pls(one) else "attribute"
    tgt, data = extract_one(one, target=target, levers=levers, scale=scale, where="what_if")
    drivers: list[str] = data["drivers"]
    unknown = [k for k in keys if k not in drivers]
    if unknown:
        raise SpecificationError(
            f"what_if: {format_offenders(sorted(unknown))} has no effect on {tgt!r} in this "
            f"model; drivers of {tgt!r}: {format_offenders(drivers)}"
        )
    pos = {d: i for i, d in enumerate(drivers)}
    requested = np.zeros(len(drivers))
    for k, v in changes.items():
        requested[pos[str(k)]] = float(v)
    perf = data["performance"]
    applied = np.clip(requested, -perf, 100.0 - perf)
    imp = data["importance"]
    induced = applied.copy()
    if data["chains"] is not None:
        induced = applied + data["chains"].T @ applied
    change = float(imp @ applied)
    lvl = float(level if level is not None else data["level"])
    draws = data["draws"]
    se = lo = hi = float("nan")
    imp_lo = imp_hi = np.full(len(drivers), np.nan)
    notes: list[str] = []
    if draws is not None and draws.shape[0] > 1:
        deltas = draws @ applied
        se = float(np.std(deltas, ddof=1))
        if check_resample_count(int(draws.shape[0]), lvl, owner="what_if", notes=notes):
            lo, hi = (float(v) for v in np.quantile(deltas, [(1 - lvl) / 2, (1 + lvl) / 2]))
            imp_lo, imp_hi = np.quantile(draws, [(1 - lvl) / 2, (1 + lvl) / 2], axis=0)
    moved = requested != 0
    table = pd.DataFrame(
        {
            "label": [data["labels"].get(d, d) for d in drivers],
            "performance": perf,
            "change_requested": requested,
            "change": applied,
            "capped": ~np.isclose(applied, requested, rtol=0, atol=1e-12),
            "importance": imp,
            "importance_ci_lower": imp_lo,
            "importance_ci_upper": imp_hi,
            "contribution": imp * applied,
            "predicted": perf + induced,
        },
        index=pd.Index(drivers, name="driver"),
    )
    table = table[moved | (np.abs(induced) > 0)]
    current = float(data["target_level"])
    prediction = pd.DataFrame(
        {
            "current": [current],
            "estimate": [change],
            "std_error": [se],
            "ci_lower": [lo],
            "ci_upper": [hi],
            "predicted": [current + change],
        },
        index=pd.Index([tgt], name="target"),
    )
    capped = [d for d in drivers if bool(table["capped"].get(d, False))]
    if capped:
        notes.append(
            f"the change of {format_offenders(capped)} was capped so the driver stays within "
            "its scale (0–100)"
        )
    if current + change > 100:
        notes.append(
            f"the predicted {tgt} index ({current + change:.2f}) is above 100: the linear "
            "effects do not hold that far"
        )
    if draws is None:
        notes.append("no bootstrap draws in the fit: no interval (fit with bootstrap=...)")
    elif is_pls(one):
        notes.append(
            "bootstrap interval from each resample's IPMA importance (its total effects, "
            "outer weights and indicator standard deviations)"
        )
    return WhatIfResult(
        target=tgt,
        drivers=table,
        prediction=prediction,
        settings={
            "source": type(one).__name__,
            "segment": segment if segment is not None else OVERALL,
            "levers": levers,
            "level": lvl,
            "inference": "bootstrap percentile" if draws is not None else "none",
            "n_resamples": int(draws.shape[0]) if draws is not None else 0,
            "changes": {str(k): float(v) for k, v in changes.items()},
        },
        notes=tuple(notes),
    )


def _finite(value: Any) -> bool:
    try:
        return bool(np.isfinite(float(value)))
    except (TypeError, ValueError):
        return False
