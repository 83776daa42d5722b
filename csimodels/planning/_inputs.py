"""What a plan needs from a fitted result: effects, performance, levels, draws.

Everything is put on the 0–100 scale of the IPMA: ``importance[s, d]`` index points
of the target per point of driver ``d`` in segment ``s``; ``performance`` the
driver's 0–100 score; ``target_level`` the target's 0–100 index.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from csimodels.errors import DataValidationError, SpecificationError, format_offenders
from csimodels.results import POOLED, Result

FloatArray = NDArray[np.float64]

OVERALL = "(all)"
"""Segment label of a plan on one, unsegmented result."""

TABLE_COLUMNS = ("driver", "importance", "performance", "target_level")


@dataclass(frozen=True)
class DriverTable:
    """The plan's inputs, per segment × driver (all on the 0–100 scale).

    ``chains[s, u, d]``: index points of driver ``d`` per point pushed on driver ``u``
    (construct-level PLS plans only). ``draws[s]``: bootstrap draws of the
    importance, ``(B, D)``, when the fit has them. ``measurement`` holds what is
    needed to score new data the same way (for ``evaluate``).
    """

    source: str
    target: str
    levers: str  # "construct", "indicator", "attribute" or "table"
    segments: list[str]
    drivers: list[str]
    labels: dict[str, str]
    importance: FloatArray
    performance: FloatArray
    performance_se: FloatArray
    target_level: FloatArray
    target_se: FloatArray
    n: FloatArray
    chains: FloatArray | None = None
    draws: list[FloatArray | None] = field(default_factory=list)
    level: float = 0.95
    by: tuple[str, ...] = ()
    measurement: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------
# PLS
# ---------------------------------------------------------------------------------------


def _index_slopes(result: Any) -> pd.Series:
    """0–100 index points per standard deviation of each construct score.

    ``index_j = a_j + b_j · score_j`` with ``b_j = 100 / Σ_i (w_i / sd_i)(max_i − min_i)``
    over the construct's indicators (outer weights ``w`` on standardised indicators).
    """
    outer = result.outer
    w = outer["weight"].to_numpy(dtype=np.float64)
    raw = w / outer["sd"].to_numpy(dtype=np.float64)
    span = (outer["scale_max"] - outer["scale_min"]).to_numpy(dtype=np.float64)
    constructs = outer.index.get_level_values("construct")
    denom = pd.Series(raw * span).groupby(np.asarray(constructs), sort=False).sum()
    return 100.0 / denom


def _indicator_shares(result: Any) -> pd.Series:
    """Weight of each indicator in its construct's 0–100 index (sum to one)."""
    outer = result.outer
    w = outer["weight"].to_numpy(dtype=np.float64)
    raw = w / outer["sd"].to_numpy(dtype=np.float64)
    span = (outer["scale_max"] - outer["scale_min"]).to_numpy(dtype=np.float64)
    constructs = np.asarray(outer.index.get_level_values("construct"))
    part = pd.Series(raw * span, index=outer.index.get_level_values("indicator"))
    totals = part.groupby(constructs, sort=False).transform("sum")
    return pd.Series(part / totals.to_numpy())


def default_target(result: Any, target: str | None) -> str:
    """The named target, or "Satisfaction" when the model has it."""
    names = list(result.spec.construct_names)
    if target is None:
        if "Satisfaction" in names:
            return "Satisfaction"
        raise SpecificationError(
            "name the target construct (target=...); this model has no construct called "
            f"'Satisfaction' (constructs: {format_offenders(names)})"
        )
    if target not in names:
        raise SpecificationError(
            f"no construct named {target!r} in the model; constructs: {format_offenders(names)}"
        )
    return target


def _pls_effects(result: Any, target: str) -> tuple[list[str], FloatArray, FloatArray]:
    """Driver constructs of ``target``, their 0–100 total effects and the chain matrix."""
    effects = result.effects
    pairs = list(effects.index)
    drivers = [src for (src, dst) in pairs if dst == target]
    if not drivers:
        raise SpecificationError(
            f"construct {target!r} has no drivers in this model (no construct has a total "
            "effect on it); pick an endogenous construct as the target"
        )
    order = [c for c in result.spec.construct_names if c in drivers]
    slope = _index_slopes(result)
    total = effects["total"]
    imp = np.array([float(total.loc[(d, target)]) * slope[target] / slope[d] for d in order])
    k = len(order)
    chains = np.zeros((k, k))
    for i, u in enumerate(order):
        for j, d in enumerate(order):
            if (u, d) in total.index:
                chains[i, j] = float(total.loc[(u, d)]) * slope[d] / slope[u]
    return order, imp, chains


def _pls_draws(
    result: Any, target: str, order: list[str], items: list[str] | None
) -> FloatArray | None:
    """Bootstrap draws of the importance (B, D), or None without draws.

    The bootstrap records each resample's IPMA importance and index weights, computed
    with that resample's own standard deviations.
    """
    boot = getattr(result, "bootstrap", None)
    if boot is None:
        return None
    draws = boot.draws
    imp = draws.loc[:, [("importance", f"{d} -> {target}") for d in order]].to_numpy(np.float64)
    if items is None:
        return np.asarray(imp, dtype=np.float64)
    outer = result.outer
    construct_of = dict(
        zip(
            outer.index.get_level_values("indicator"),
            outer.index.get_level_values("construct"),
            strict=True,
        )
    )
    pos = {d: i for i, d in enumerate(order)}
    shares = draws.loc[:, [("index_weight", i) for i in items]].to_numpy(np.float64)
    return np.asarray(shares * imp[:, [pos[construct_of[i]] for i in items]], dtype=np.float64)


def _respondent_se(frame: pd.DataFrame, column: str) -> float:
    values = frame[column].to_numpy(dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size < 2:
        return float("nan")
    return float(values.std(ddof=1) / np.sqrt(values.size))


def pls_segment(result: Any, target: str, levers: str) -> dict[str, Any]:
    """One PLS result's drivers, effects, performance and draws."""
    order, imp, chains = _pls_effects(result, target)
    n = float(result.missing.n_rows_used)
    labels = dict(result.construct_labels)
    boot = getattr(result, "bootstrap", None)
    level = float(boot.level) if boot is not None else 0.95
    target_level = float(result.indices.loc[target, "index"])
    target_se = _respondent_se(result.respondent_indices, target)
    if levers == "construct":
        perf = np.array([float(result.indices.loc[d, "index"]) for d in order])
        perf_se = np.array([_respondent_se(result.respondent_indices, d) for d in order])
        return {
            "drivers": order,
            "importance": imp,
            "performance": perf,
            "performance_se": perf_se,
            "chains": chains,
            "target_level": target_level,
            "target_se": target_se,
            "n": n,
            "draws": _pls_draws(result, target, order, None),
            "labels": labels,
            "level": level,
        }
    outer = result.outer
    share = _indicator_shares(result)
    items: list[str] = []
    imps: list[float] = []
    perf_l: list[float] = []
    se_l: list[float] = []
    for j, d in enumerate(order):
        block = outer.loc[d]
        for item in block.index:
            span = float(block.loc[item, "scale_max"] - block.loc[item, "scale_min"])
            items.append(item)
            imps.append(float(share[item]) * imp[j])
            perf_l.append(
                float((block.loc[item, "mean"] - block.loc[item, "scale_min"]) / span * 100)
            )
            se_l.append(float(block.loc[item, "sd"]) / np.sqrt(n) / span * 100)
    return {
        "drivers": items,
        "importance": np.array(imps),
        "performance": np.array(perf_l),
        "performance_se": np.array(se_l),
        "chains": None,
        "target_level": target_level,
        "target_se": target_se,
        "n": n,
        "draws": _pls_draws(result, target, order, items),
        "labels": {**labels, **{i: i for i in items}},
        "level": level,
    }


def _measurement(result: Any) -> dict[str, Any]:
    outer = result.outer
    return {
        "construct": [str(c) for c in outer.index.get_level_values("construct")],
        "indicator": [str(i) for i in outer.index.get_level_values("indicator")],
        "index_weight": [float(v) for v in outer["index_weight"]],
        "scale_min": [float(v) for v in outer["scale_min"]],
        "scale_max": [float(v) for v in outer["scale_max"]],
        "missing": str(result.settings.get("missing", "listwise")),
    }


# ---------------------------------------------------------------------------------------
# driver analysis
# ---------------------------------------------------------------------------------------


def check_scale(scale: Any, where: str) -> tuple[float, float]:
    """``(min, max)`` of the rating scale, validated."""
    try:
        lo, hi = (float(v) for v in scale)
    except (TypeError, ValueError):
        raise DataValidationError(
            f"{where}: scale must be (min, max) of the rating scale, e.g. (1, 10); got {scale!r}"
        ) from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise DataValidationError(
            f"{where}: scale must be (min, max) with min < max, got {scale!r}"
        )
    return lo, hi


def driver_segment(result: Any, scale: tuple[float, float] | None, where: str) -> dict[str, Any]:
    """One driver analysis's slopes on the 0–100 scale."""
    if scale is None:
        raise DataValidationError(
            f"{where}: a driver analysis does not record the rating scale; pass "
            "scale=(min, max), e.g. scale=(1, 10), to put drivers and the overall item on 0–100"
        )
    lo, hi = check_scale(scale, where)
    if "slope" not in result.methods:
        raise SpecificationError(
            f"{where}: the driver analysis has no 'slope' estimates (methods "
            f"{list(result.methods)}); what-if and plans need the unstandardised slopes: "
            "fit DriverAnalysis(..., methods=[..., 'slope'])"
        )
    attrs = [str(a) for a in result.importance.index]
    slope = result.importance["slope"].to_numpy(dtype=np.float64)
    perf = (result.performance.to_numpy(dtype=np.float64) - lo) / (hi - lo) * 100
    draws = None
    if result.bootstrap_draws is not None:
        cols = [("slope", a) for a in attrs]
        draws = result.bootstrap_draws.loc[:, cols].to_numpy(dtype=np.float64)
        draws = draws[np.isfinite(draws).all(axis=1)]
    return {
        "drivers": attrs,
        "importance": slope,  # same scale for attributes and overall: slope is 0–100 per 0–100
        "performance": perf,
        "performance_se": np.full(len(attrs), np.nan),
        "chains": None,
        "target_level": (result.overall_mean - lo) / (hi - lo) * 100,
        "target_se": float("nan"),
        "n": float(result.n_used),
        "draws": draws,
        "labels": dict(result.labels),
        "level": float(result.settings.get("level", 0.95)),
    }


# ---------------------------------------------------------------------------------------
# dispatch
# ---------------------------------------------------------------------------------------


def is_pls(result: Any) -> bool:
    return type(result).__name__ == "PLSResult"


def is_driver(result: Any) -> bool:
    return type(result).__name__ == "DriverAnalysisResult"


def segment_results(result: Any) -> tuple[dict[str, Any], tuple[str, ...]] | None:
    """The per-segment results of a segmented result, or None for a single one."""
    name = type(result).__name__
    if name == "SegmentedResult":
        return dict(result.segments), tuple(result.by)
    if name == "SegmentedPLSResult":
        return dict(result.results), (str(result.by),)
    legacy = getattr(result, "segments", None)  # a driver analysis that carries segments
    if is_driver(result) and legacy:
        return dict(legacy), (str(result.by),)
    return None


def pick_segment(result: Any, segment: str | None) -> Any:
    """One segment's result (or the result itself when ``segment`` is None)."""
    parts = segment_results(result)
    if segment is None:
        if parts is not None and not is_driver(result):
            pooled = getattr(result, "pooled", None)
            if pooled is not None:
                return pooled
            raise SpecificationError(
                f"this {type(result).__name__} has no pooled result; name a segment "
                f"(segment=...), one of {format_offenders(list(parts[0]))}"
            )
        return result
    if parts is None:
        raise SpecificationError(
            f"segment={segment!r} given but this {type(result).__name__} has no segments; "
            "fit with by=... first, or leave segment out"
        )
    if segment == POOLED and getattr(result, "pooled", None) is not None:
        return result.pooled
    if segment not in parts[0]:
        raise SpecificationError(
            f"no fitted segment {segment!r}; fitted segments: {format_offenders(list(parts[0]))}"
        )
    return parts[0][segment]


def extract_one(
    result: Any, *, target: str | None, levers: str, scale: Any, where: str
) -> tuple[str, dict[str, Any]]:
    """Target name and the driver data of one (unsegmented) result."""
    if is_pls(result):
        tgt = default_target(result, target)
        return tgt, pls_segment(result, tgt, levers)
    if is_driver(result):
        overall = str(result.settings.get("overall"))
        if target is not None and target != overall:
            raise SpecificationError(
                f"{where}: target={target!r} but the driver analysis explains {overall!r}"
            )
        return overall, driver_segment(result, scale, where)
    raise SpecificationError(
        f"{where}: a {type(result).__name__} has no driver effects to plan with; pass a fitted "
        "PLS result (csi.ACSI(...).fit), a DriverAnalysisResult with 'slope', their "
        "per-segment results, or a driver table (DataFrame with columns "
        f"{', '.join(TABLE_COLUMNS)})"
    )


def build_table(
    source: Any, *, target: str | None, levers: str, scale: Any, where: str
) -> DriverTable:
    """Collect every segment's driver data into one :class:`DriverTable`."""
    if isinstance(source, pd.DataFrame):
        return table_from_frame(source, target=target, where=where)
    if not isinstance(source, Result):
        raise SpecificationError(
            f"{where}: fit takes a fitted result or a driver table (DataFrame), got "
            f"{type(source).__name__}"
        )
    parts = segment_results(source)
    notes: list[str] = []
    if parts is None:
        tgt, one = extract_one(source, target=target, levers=levers, scale=scale, where=where)
        singles = {OVERALL: (source, one)}
        by: tuple[str, ...] = ()
    else:
        results, by = parts
        if not results:
            raise SpecificationError(f"{where}: the segmented result has no fitted segment")
        singles = {}
        tgt = ""
        for label, res in results.items():
            tgt, one = extract_one(
                res, target=target, levers=levers, scale=scale, where=f"{where} (segment {label!r})"
            )
            singles[str(label)] = (res, one)
        status = getattr(source, "status", None)
        if isinstance(status, pd.DataFrame) and "status" in status.columns:
            skipped = [str(s) for s, v in status["status"].items() if v != "fitted"]
            if skipped:
                notes.append(
                    f"{len(skipped)} segment(s) were not fitted and are not planned: "
                    f"{format_offenders(skipped)}"
                )
    first = next(iter(singles.values()))[1]
    drivers = first["drivers"]
    for label, (_, one) in singles.items():
        if one["drivers"] != drivers:
            raise SpecificationError(
                f"{where}: segment {label!r} has drivers {format_offenders(one['drivers'])}, "
                f"other segments {format_offenders(drivers)}; plan segments of the same model"
            )
    labels = list(singles)
    chains = None
    if first["chains"] is not None and any(np.any(o["chains"]) for _, o in singles.values()):
        chains = np.stack([o["chains"] for _, o in singles.values()])
    measurement: dict[str, Any] = {}
    if is_pls(next(iter(singles.values()))[0]):
        measurement = {label: _measurement(res) for label, (res, _) in singles.items()}
    elif scale is not None:
        first_result = next(iter(singles.values()))[0]
        measurement = {
            "scale": list(check_scale(scale, where)),
            "missing": str(first_result.settings.get("missing", "listwise")),
        }
    return DriverTable(
        source=type(source).__name__,
        target=tgt,
        levers=levers if is_pls(next(iter(singles.values()))[0]) else "attribute",
        segments=labels,
        drivers=list(drivers),
        labels={k: str(v) for k, v in first["labels"].items()},
        importance=np.stack([o["importance"] for _, o in singles.values()]),
        performance=np.stack([o["performance"] for _, o in singles.values()]),
        performance_se=np.stack([o["performance_se"] for _, o in singles.values()]),
        target_level=np.array([o["target_level"] for _, o in singles.values()], dtype=np.float64),
        target_se=np.array([o["target_se"] for _, o in singles.values()], dtype=np.float64),
        n=np.array([o["n"] for _, o in singles.values()], dtype=np.float64),
        chains=chains,
        draws=[o["draws"] for _, o in singles.values()],
        level=float(first["level"]),
        by=by,
        measurement=measurement,
        notes=notes,
    )


def table_from_frame(frame: pd.DataFrame, *, target: str | None, where: str) -> DriverTable:
    """A driver table given directly: one row per (segment,) driver.

    Columns ``driver``, ``importance`` (target points per driver point, 0–100),
    ``performance`` (0–100), ``target_level`` (the segment's current 0–100 target
    index, the same on every row of a segment); optional ``segment`` and ``n``
    (respondents, for ``segment_weights="respondents"``).
    """
    missing = [c for c in TABLE_COLUMNS if c not in frame.columns]
    if missing:
        raise DataValidationError(
            f"{where}: the driver table lacks column(s) {format_offenders(missing)}; it needs "
            f"{', '.join(TABLE_COLUMNS)} (plus optional 'segment' and 'n')"
        )
    df = frame.reset_index(drop=True)
    seg_col = (
        df["segment"].astype(str) if "segment" in df.columns else pd.Series(OVERALL, index=df.index)
    )
    for col in ("importance", "performance", "target_level", *(["n"] if "n" in df.columns else [])):
        values = pd.to_numeric(df[col], errors="coerce")
        bad = list(df.index[~np.isfinite(values.to_numpy(dtype=np.float64))])
        if bad:
            raise DataValidationError(
                f"{where}: column {col!r} of the driver table must be finite numbers; rows "
                f"{format_offenders(bad)} are not"
            )
        df[col] = values.astype(np.float64)
    for col in ("performance", "target_level"):
        out = list(df.index[(df[col] < 0) | (df[col] > 100)])
        if out:
            raise DataValidationError(
                f"{where}: column {col!r} is on the 0–100 scale; rows {format_offenders(out)} "
                "are outside [0, 100]"
            )
    df["segment"] = seg_col
    dup = df.duplicated(["segment", "driver"])
    if dup.any():
        rows = [f"{s}/{d}" for s, d in df.loc[dup, ["segment", "driver"]].itertuples(index=False)]
        raise DataValidationError(
            f"{where}: the driver table lists segment/driver {format_offenders(rows)} twice"
        )
    segments = list(dict.fromkeys(df["segment"]))
    drivers = [str(d) for d in dict.fromkeys(df["driver"])]
    wide = df.pivot(index="segment", columns="driver")
    if wide["importance"].isna().to_numpy().any():
        holes = wide["importance"].stack(future_stack=True)
        gaps = [f"{s}/{d}" for (s, d), v in holes.items() if pd.isna(v)]
        raise DataValidationError(
            f"{where}: every segment needs a row for every driver; missing {format_offenders(gaps)}"
        )
    level_spread = df.groupby("segment", sort=False)["target_level"].agg(["min", "max"])
    uneven = list(level_spread.index[level_spread["max"] - level_spread["min"] > 1e-12])
    if uneven:
        raise DataValidationError(
            f"{where}: target_level must be the same on every row of a segment; it varies in "
            f"{format_offenders(uneven)}"
        )

    def grid(col: str) -> FloatArray:
        return wide[col].loc[segments, drivers].to_numpy(dtype=np.float64)

    n = (
        df.groupby("segment", sort=False)["n"].first().loc[segments].to_numpy(np.float64)
        if "n" in df.columns
        else np.full(len(segments), np.nan)
    )
    return DriverTable(
        source="DataFrame",
        target=target or "target",
        levers="table",
        segments=[str(s) for s in segments],
        drivers=drivers,
        labels={d: d for d in drivers},
        importance=grid("importance"),
        performance=grid("performance"),
        performance_se=np.full((len(segments), len(drivers)), np.nan),
        target_level=level_spread.loc[segments, "min"].to_numpy(dtype=np.float64),
        target_se=np.full(len(segments), np.nan),
        n=n,
        draws=[None] * len(segments),
    )
