"""The short generated reading of each report section, in English or Chinese.

A reading states the section's main numbers in words, e.g. "Satisfaction index
72.5 (95 % CI 71.8–73.2), up 1.3 points on 2025Q3; the largest lever is Quality:
one more index point is worth 0.48 points of satisfaction". Every number comes
from the result's tables, rounded only for the text; the same numbers are kept
unrounded in :attr:`Reading.facts`.

Examples
--------
>>> from csimodels.ahp import AHP
>>> res = AHP().fit({("Price", "Quality"): 1 / 3})
>>> print(read_section("ahp", res, language="en").text.replace(". ", ".\\n"))
Quality carries the largest weight (75.0 %), then Price (25.0 %).
The judgments are consistent (a 2 × 2 matrix is always consistent).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from csimodels.data.steps import describe_steps
from csimodels.errors import SpecificationError

__all__ = ["READERS", "Reading", "headline_target", "read_section"]


@dataclass(frozen=True)
class Reading:
    """A section's reading: the text and the numbers it states.

    Attributes
    ----------
    text : str
        One paragraph in the report's language.
    facts : dict
        The stated numbers at full precision (``index``, ``ci_lower``, ``lever``...);
        the batch cover ranks segments on ``index``.

    Examples
    --------
    >>> Reading("x", {"index": 70.0}).facts["index"]
    70.0
    """

    text: str
    facts: dict[str, Any] = field(default_factory=dict)


def _f(x: Any, digits: int = 1) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:.{digits}f}"


def _pct(x: Any, digits: int = 1) -> str:
    return f"{100 * x:.{digits}f} %"


def _signed(x: Any, digits: int = 1) -> str:
    return f"{x:+.{digits}f}"


def _name(code: str, labels: Mapping[str, str], language: str) -> str:
    """A construct or item in words: its label in Chinese reports, code (label) otherwise."""
    label = labels.get(code)
    if not label or label == code:
        return code
    return label if language == "zh" else f"{code} ({label})"


def headline_target(result: Any) -> str:
    """The construct a CSI model's reading leads with: the one most paths lead to.

    Examples
    --------
    >>> import csimodels as csi
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> headline_target(csi.ACSI(indicators=data.constructs).fit(data))
    'Satisfaction'
    """
    counts = pd.Series([str(b) for _, b in result.paths.index]).value_counts(sort=False)
    return str(counts[counts == counts.max()].index[-1])


# -- sections ---------------------------------------------------------------------------


def _read_data(result: Any, language: str, **_: Any) -> Reading:
    table = result.table
    n = int(result.settings.get("n_respondents", int((table["n"] + table["missing"]).max())))
    k = len(table)
    best = str(table["mean"].idxmax())
    worst = str(table["mean"].idxmin())
    missing = float(table["missing"].sum() / (table["n"] + table["missing"]).sum())
    labels = {str(i): str(v) for i, v in table["label"].items()}
    facts = {
        "n_respondents": n,
        "n_items": k,
        "best_item": best,
        "best_mean": float(table.loc[best, "mean"]),
        "worst_item": worst,
        "worst_mean": float(table.loc[worst, "mean"]),
        "missing_share": missing,
    }
    if language == "zh":
        text = (
            f"共 {n} 位受访者回答了 {k} 个题项；得分最高的是{_name(best, labels, language)}"
            f"（均值 {_f(facts['best_mean'], 2)}），最低的是{_name(worst, labels, language)}"
            f"（均值 {_f(facts['worst_mean'], 2)}）；缺失回答占 {_pct(missing)}。"
        )
    else:
        text = (
            f"{n} respondents answered {k} items. The highest-rated item is "
            f"{_name(best, labels, language)} with a mean of {_f(facts['best_mean'], 2)}, "
            f"the lowest {_name(worst, labels, language)} with {_f(facts['worst_mean'], 2)}; "
            f"{_pct(missing)} of the answers are missing."
        )
    steps = describe_steps(
        result.settings.get("data_steps") or [], "zh" if language == "zh" else "en"
    )
    if steps:
        facts["data_steps"] = steps
        text += (
            "数据准备：" + "；".join(steps) + "。"
            if language == "zh"
            else " Preparation: " + "; ".join(steps) + "."
        )
    return Reading(text, facts)


def _levers(result: Any, target: str) -> pd.DataFrame:
    table: pd.DataFrame = result.ipma(target)
    return table.sort_values("importance", ascending=False, kind="stable")


def _read_index(
    result: Any,
    language: str,
    *,
    target: str | None = None,
    previous: tuple[str, float] | None = None,
    **_: Any,
) -> Reading:
    target = target or headline_target(result)
    labels = dict(getattr(result, "construct_labels", {}) or {})
    if target not in result.indices.index:
        known = ", ".join(repr(str(c)) for c in result.indices.index)
        raise SpecificationError(f"no construct named {target!r} in the index model; {known}")
    row = result.indices.loc[target]
    index = float(row["index"])
    lo = float(row["ci_lower"]) if "ci_lower" in row.index else float("nan")
    hi = float(row["ci_upper"]) if "ci_upper" in row.index else float("nan")
    level = float(result.settings.get("level", 0.95) or 0.95)
    r2_table = result.r2
    if "kind" in r2_table.columns:
        r2_table = r2_table[r2_table["kind"] == "construct"]
    r2 = float(r2_table.loc[target, "r2"]) if target in r2_table.index else float("nan")
    facts: dict[str, Any] = {
        "target": target,
        "index": index,
        "ci_lower": lo,
        "ci_upper": hi,
        "r2": r2,
        "target_label": labels.get(target, target),
    }
    name = _name(target, labels, language)
    parts: list[str] = []
    has_ci = math.isfinite(lo) and math.isfinite(hi)
    if language == "zh":
        ci = f"（{level:.0%} 置信区间 {_f(lo)}–{_f(hi)}）" if has_ci else ""
        parts.append(f"{name}指数为 {_f(index)}{ci}")
    else:
        ci = f" ({level:.0%} CI {_f(lo)}–{_f(hi)})" if has_ci else ""
        parts.append(f"{name} index {_f(index)}{ci}")
    if previous is not None:
        period, value = previous
        change = index - float(value)
        facts["previous_period"] = period
        facts["previous_index"] = float(value)
        facts["change"] = change
        if language == "zh":
            word = "上升" if change > 0 else "下降" if change < 0 else "持平"
            parts.append(f"较 {period} {word} {_f(abs(change))} 分")
        else:
            word = "up" if change > 0 else "down" if change < 0 else "unchanged"
            amount = f" {_f(abs(change))} points" if change != 0 else ""
            parts.append(f"{word}{amount} on {period}")
    if hasattr(result, "ipma"):
        lev = _levers(result, target)
        if len(lev):
            top = str(lev.index[0])
            worth = float(lev.iloc[0]["importance"])
            facts["lever"] = top
            facts["lever_importance"] = worth
            tname = _name(top, labels, language)
            if language == "zh":
                parts.append(
                    f"影响最大的驱动因素是{tname}：其指数每提高 1 分，{name}提高 {_f(worth, 2)} 分"
                )
            else:
                parts.append(
                    f"the largest lever is {tname}: one more index point is worth "
                    f"{_f(worth, 2)} points of {target.lower()}"
                )
    if math.isfinite(r2):
        parts.append(
            f"模型解释了{name} {_pct(r2, 0)} 的变异"
            if language == "zh"
            else f"the model explains {_pct(r2, 0)} of its variance"
        )
    if language == "zh":
        text = "，".join(parts[:2]) + ("；" + "；".join(parts[2:]) if len(parts) > 2 else "") + "。"
    else:
        text = ", ".join(parts[:2]) + ("; " + "; ".join(parts[2:]) if len(parts) > 2 else "") + "."
        text = text[0].upper() + text[1:]
    return Reading(text, facts)


def _read_drivers(result: Any, language: str, *, target: str | None = None, **_: Any) -> Reading:
    if hasattr(result, "ipma"):
        target = target or headline_target(result)
        labels = dict(getattr(result, "construct_labels", {}) or {})
        table = _levers(result, target)
        mean_perf = float(table["performance"].mean())
        mean_imp = float(table["importance"].mean())
        # fix first: the most important driver in the lower-right quadrant (importance
        # above the drivers' mean, performance below theirs); failing that, the
        # weakest performer among the important drivers
        important = table[table["importance"] >= mean_imp]
        quadrant = important[important["performance"] < mean_perf]
        if len(quadrant):
            first = str(quadrant.index[0])
        else:
            first = str(important["performance"].idxmin())
        row: Any = table.loc[first]
        facts = {
            "target": target,
            "fix_first": first,
            "importance": float(row["importance"]),
            "performance": float(row["performance"]),
            "mean_performance": mean_perf,
            "mean_importance": mean_imp,
        }
        below = float(row["performance"]) < mean_perf
        name = _name(first, labels, language)
        tname = _name(target, labels, language)
        ranking = ("、" if language == "zh" else ", ").join(
            f"{_name(str(i), labels, language)} {_f(float(r['importance']), 2)}"
            for i, r in table.iterrows()
        )
        # enough decimals that "above the average" never reads "70.9, above 70.9"
        digits = next((d for d in (1, 2, 3) if _f(facts["performance"], d) != _f(mean_perf, d)), 4)
        perf, avg = _f(facts["performance"], digits), _f(mean_perf, digits)
        if language == "zh":
            text = (
                f"优先改进{name}：其对{tname}的重要性为 {_f(facts['importance'], 2)}"
                f"（每提高 1 分带来的指数提升），表现为 {perf}，"
                f"{'低于' if below else '高于'}各驱动因素的平均表现 {avg}。"
                f"重要性排序：{ranking}。"
            )
        else:
            text = (
                f"Fix {name} first: it is worth {_f(facts['importance'], 2)} index points of "
                f"{tname} per point and performs at {perf}, "
                f"{'below' if below else 'above'} the drivers' average of {avg}. "
                f"Importance: {ranking}."
            )
        return Reading(text, facts)
    if hasattr(result, "priorities"):  # ImportancePerformanceResult
        order = result.priorities()
        first = str(order.index[0])
        row = order.iloc[0]
        label = str(row.get("label", first))
        facts = {
            "fix_first": first,
            "importance": float(row["importance"]),
            "performance": float(row["performance"]),
        }
        if language == "zh":
            text = (
                f"优先改进 {first}（{label}）：重要性 {_f(facts['importance'], 3)}，"
                f"表现 {_f(facts['performance'], 2)}。"
            )
        else:
            text = (
                f"Fix {first} ({label}) first: importance {_f(facts['importance'], 3)}, "
                f"performance {_f(facts['performance'], 2)}."
            )
        return Reading(text, facts)
    if hasattr(result, "importance") and hasattr(result, "performance"):  # DriverAnalysis
        method = str(result.importance.columns[-1])
        imp = result.importance[method].sort_values(ascending=False, kind="stable")
        first = str(imp.index[0])
        labels = dict(getattr(result, "labels", {}) or {})
        overall = str(result.settings.get("overall", ""))
        drow: Any = result.table.loc[(method, first)]
        dfacts: dict[str, Any] = {
            "method": method,
            "top": first,
            "importance": float(imp.iloc[0]),
            "ci_lower": float(drow.get("ci_lower", np.nan)),
            "ci_upper": float(drow.get("ci_upper", np.nan)),
            "performance": float(result.performance[first]),
            "r2": float(result.r2),
        }
        name = _name(first, labels, language)
        oname = _name(overall, labels, language)
        ci = ""
        if math.isfinite(dfacts["ci_lower"]) and math.isfinite(dfacts["ci_upper"]):
            ci = f"{_f(dfacts['ci_lower'], 3)}–{_f(dfacts['ci_upper'], 3)}"
        if language == "zh":
            text = (
                f"对{oname}影响最大的是{name}（{method} 重要性 {_f(dfacts['importance'], 3)}"
                + (f"，95% 置信区间 {ci}" if ci else "")
                + f"），其均值为 {_f(dfacts['performance'], 2)}；模型 R² = {_f(dfacts['r2'], 3)}。"
            )
        else:
            text = (
                f"The strongest driver of {oname} is {name} ({method} importance "
                f"{_f(dfacts['importance'], 3)}"
                + (f", 95 % CI {ci}" if ci else "")
                + f"), with a mean of {_f(dfacts['performance'], 2)}; R² = {_f(dfacts['r2'], 3)}."
            )
        return Reading(text, dfacts)
    raise SpecificationError(
        f"a drivers section needs a PLS, driver-analysis or importance-performance result, "
        f"got {type(result).__name__}"
    )


def _read_servqual(result: Any, language: str, **_: Any) -> Reading:
    dims = result.dimensions
    worst = str(dims["estimate"].idxmin())
    row = dims.loc[worst]
    overall = float(dims["estimate"].mean())
    negative = int((dims["ci_upper"] < 0).sum()) if "ci_upper" in dims.columns else 0
    facts = {
        "largest_gap": worst,
        "gap": float(row["estimate"]),
        "ci_lower": float(row.get("ci_lower", np.nan)),
        "ci_upper": float(row.get("ci_upper", np.nan)),
        "mean_gap": overall,
        "n_negative": negative,
    }
    label = str(row.get("label", worst))
    name = label if language == "zh" else (worst if label == worst else f"{worst} ({label})")
    if language == "zh":
        text = (
            f"各维度平均差距（感知 − 期望）为 {_signed(overall, 2)}；差距最大的是{name}"
            f"（{_signed(facts['gap'], 2)}，95% 置信区间 {_f(facts['ci_lower'], 2)} 至 "
            f"{_f(facts['ci_upper'], 2)}）；{len(dims)} 个维度中有 {negative} 个显著低于期望。"
        )
    else:
        text = (
            f"The mean gap (perception − expectation) over the dimensions is "
            f"{_signed(overall, 2)}; the largest shortfall is {name} "
            f"({_signed(facts['gap'], 2)}, 95 % CI {_f(facts['ci_lower'], 2)} to "
            f"{_f(facts['ci_upper'], 2)}); {negative} of {len(dims)} dimensions fall "
            "significantly short of expectations."
        )
    return Reading(text, facts)


_KANO_EN = {
    "M": "must-be",
    "O": "one-dimensional",
    "A": "attractive",
    "I": "indifferent",
    "R": "reverse",
    "Q": "questionable",
}
_KANO_ZH = {
    "M": "必备型",
    "O": "期望型",
    "A": "魅力型",
    "I": "无差异型",
    "R": "反向型",
    "Q": "可疑",
}


def _read_kano(result: Any, language: str, **_: Any) -> Reading:
    cls = result.classification["category"].astype(str)
    counts = cls.value_counts()
    bw = result.better_worse
    delight = str(bw["better"].idxmax())
    facts = {
        "n_features": len(cls),
        **{f"n_{k}": int(v) for k, v in counts.items()},
        "top_better": delight,
        "better": float(bw.loc[delight, "better"]),
    }
    names = _KANO_ZH if language == "zh" else _KANO_EN
    order = [c for c in ("M", "O", "A", "I", "R", "Q") if c in counts.index]
    if language == "zh":
        parts = "，".join(f"{names[c]} {int(counts[c])} 个" for c in order)
        text = (
            f"{len(cls)} 项功能中：{parts}；提升满意度最多的是“{delight}”"
            f"（Better 系数 {_f(facts['better'], 2)}）。"
        )
    else:
        parts = ", ".join(f"{int(counts[c])} {names[c]}" for c in order)
        text = (
            f"Of {len(cls)} features: {parts}. The strongest satisfier is {delight} "
            f"(better coefficient {_f(facts['better'], 2)})."
        )
    return Reading(text, facts)


def _read_ahp(result: Any, language: str, **_: Any) -> Reading:
    hierarchy = hasattr(result, "global_weights")
    w = (result.global_weights if hierarchy else result.weights).sort_values(
        ascending=False, kind="stable"
    )
    first, second = str(w.index[0]), str(w.index[1]) if len(w) > 1 else None
    cr = float(result.hierarchy_cr if hierarchy else result.cr)
    threshold = 0.1 if hierarchy else float(result.threshold)
    n = len(w) if not hierarchy else 0
    facts: dict[str, Any] = {
        "top": first,
        "top_weight": float(w.iloc[0]),
        "cr": cr,
        "threshold": threshold,
    }
    if second is not None:
        facts["second"] = second
        facts["second_weight"] = float(w.iloc[1])
    trivial = not hierarchy and n <= 2
    consistent = cr <= threshold or trivial
    if language == "zh":
        then = f"，其次是{second}（{_pct(facts['second_weight'])}）" if second else ""
        verdict = (
            "判断矩阵为 2 × 2，始终一致"
            if trivial
            else f"一致性比率 CR = {_f(cr, 3)}，{'低于' if consistent else '高于'}阈值 "
            f"{_f(threshold, 2)}：判断{'一致' if consistent else '不一致，需复核'}"
        )
        text = f"{first}的权重最大（{_pct(facts['top_weight'])}）{then}。{verdict}。"
    else:
        then = f", then {second} ({_pct(facts['second_weight'])})" if second else ""
        verdict = (
            "The judgments are consistent (a 2 × 2 matrix is always consistent)"
            if trivial
            else f"Consistency ratio {_f(cr, 3)}, {'below' if consistent else 'above'} the "
            f"{_f(threshold, 2)} threshold: the judgments are "
            f"{'consistent' if consistent else 'inconsistent and should be revised'}"
        )
        text = f"{first} carries the largest weight ({_pct(facts['top_weight'])}){then}. {verdict}."
    return Reading(text, facts)


def _read_fce(result: Any, language: str, **_: Any) -> Reading:
    top = result.overall if hasattr(result, "overall") and hasattr(result, "nodes") else result
    b = top.b
    verdict = " = ".join(top.verdict)
    best = float(b.max())
    facts = {
        "verdict": verdict,
        "membership": best,
        "score": float(top.score),
        "validity": float(top.validity),
    }
    if language == "zh":
        text = (
            f"综合评价等级为“{verdict}”（隶属度 {_f(best, 3)}），综合得分 {_f(facts['score'])}；"
            f"最大隶属度原则有效性指标 {_f(facts['validity'], 2)}（{top.validity_level}）。"
        )
    else:
        text = (
            f"The evaluation grades it {verdict} (membership {_f(best, 3)}), score "
            f"{_f(facts['score'])}; the maximum-membership verdict has validity index "
            f"{_f(facts['validity'], 2)} ({top.validity_level})."
        )
    return Reading(text, facts)


def _read_trends(
    result: Any,
    language: str,
    *,
    segment: str | None = None,
    labels: Mapping[str, str] | None = None,
    **_: Any,
) -> Reading:
    table = result.table
    last = result.periods[-1]
    prev = result.periods[-2] if len(result.periods) > 1 else None
    seg = segment if segment is not None else str(table.index.get_level_values(0)[0])
    series = result.series[0]
    row = table.loc[(seg, series, last)]
    names = dict(labels or {})
    shown = _name(series, names, language)
    facts: dict[str, Any] = {
        "period": last,
        "series": series,
        "segment": seg,
        "estimate": float(row["estimate"]),
        "change": float(row["change"]),
        "n_alerts": len(result.alerts),
    }
    alerts = result.alerts
    if language == "zh":
        change = (
            f"，较 {prev} {'上升' if row['change'] > 0 else '下降'} "
            f"{_f(abs(float(row['change'])))} 分"
            if prev is not None and math.isfinite(float(row["change"]))
            else ""
        )
        text = f"{last} 期{shown}为 {_f(facts['estimate'])}{change}；共 {len(alerts)} 条预警"
        if len(alerts):
            a = alerts.iloc[0]
            kind = "下降" if a["kind"] == "drop" else "上升"
            where = "" if str(a["segment"]) == "all" else f" {a['segment']} 的"
            text += (
                f"，最严重的是{where}{_name(str(a['series']), names, language)}在 "
                f"{a['period']} 的{kind}（{_signed(float(a['magnitude']))} 分）"
            )
        text += "。"
    else:
        change = (
            f", {'up' if row['change'] > 0 else 'down'} {_f(abs(float(row['change'])))} points on "
            f"{prev}"
            if prev is not None and math.isfinite(float(row["change"]))
            else ""
        )
        text = f"In {last}, {shown} is {_f(facts['estimate'])}{change}; {len(alerts)} alerts"
        if len(alerts):
            a = alerts.iloc[0]
            where = "" if str(a["segment"]) == "all" else f" in {a['segment']}"
            text += (
                f", the most severe a {a['kind']} of {_name(str(a['series']), names, language)}"
                f"{where} in {a['period']} ({_signed(float(a['magnitude']))} points)"
            )
        text += "."
    return Reading(text, facts)


READERS: dict[str, Callable[..., Reading]] = {
    "data": _read_data,
    "index": _read_index,
    "drivers": _read_drivers,
    "servqual": _read_servqual,
    "kano": _read_kano,
    "ahp": _read_ahp,
    "fce": _read_fce,
    "trends": _read_trends,
}
"""Section kind → reading function."""


def read_section(kind: str, result: Any, *, language: str = "en", **context: Any) -> Reading:
    """The reading of one section (``kind`` is a key of :data:`READERS`).

    ``context`` passes what the result alone does not know: ``target`` (the index
    model's headline construct), ``previous=(period, index)`` for the change on the
    last period, ``segment`` for a trend reading.

    Examples
    --------
    >>> import csimodels as csi
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> res = csi.ACSI(indicators=data.constructs).fit(data)
    >>> read_section("index", res, previous=("2025Q3", 69.0)).facts["change"] > 0
    True
    """
    if kind not in READERS:
        raise SpecificationError(
            f"no section kind {kind!r}; choose one of {', '.join(map(repr, sorted(READERS)))}"
        )
    return READERS[kind](result, "zh" if language == "zh" else "en", **context)
