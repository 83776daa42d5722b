"""The "what to fix first" section of the ``csimodels demo`` report."""

from __future__ import annotations

_ATTRIBUTES = ("QUAL1", "QUAL2", "QUAL3", "VAL1", "VAL2", "EXP1", "EXP2", "EXP3")


def demo_section() -> str:
    """What to fix first on the ``acsi_demo`` survey: drivers, quadrants, asymmetry.

    Fits a driver analysis of SAT1 on eight attributes (LMG and Johnson weights, 200
    bootstrap resamples), places the attributes in the importance–performance matrix
    (crosshairs at the means) and runs a penalty–reward analysis; returns the report
    as text.

    Examples
    --------
    >>> text = demo_section()
    >>> "What to fix first" in text
    True
    """
    import csimodels as csi
    from csimodels.importance.drivers import DriverAnalysis, DriverAnalysisResult
    from csimodels.importance.matrix import ImportancePerformance, ImportancePerformanceResult
    from csimodels.importance.penalty import PenaltyReward, PenaltyRewardResult

    data = csi.datasets.load_example("acsi_demo")
    drivers = DriverAnalysis(
        attributes=_ATTRIBUTES,
        overall="SAT1",
        methods=("correlation", "slope", "lmg", "johnson"),
    ).fit(data, bootstrap=200, random_state=2025)
    assert isinstance(drivers, DriverAnalysisResult)
    matrix = ImportancePerformance(method="lmg").from_drivers(drivers)
    assert isinstance(matrix, ImportancePerformanceResult)
    asym = PenaltyReward(attributes=_ATTRIBUTES, overall="SAT1").fit(data)
    assert isinstance(asym, PenaltyRewardResult)
    order = matrix.priorities()
    lines = [
        f"What to fix first: drivers of SAT1 ({data.item_info['SAT1'].label}) among "
        f"{len(_ATTRIBUTES)} attributes, {drivers.n_used} respondents, "
        f"R² = {drivers.r2:.3f}.",
        "",
        f"{'rank':>4}  {'attribute':<9} {'label':<10} {'LMG':>7} {'95% CI':>17} "
        f"{'mean':>6}  quadrant",
    ]
    lmg = drivers.table.xs("lmg", level="method")
    lower = lmg["ci_lower"].to_dict()
    upper = lmg["ci_upper"].to_dict()
    for attr, row in order.iterrows():
        ci = f"[{lower[attr]:.3f}, {upper[attr]:.3f}]"
        lines.append(
            f"{int(row['priority']):>4}  {attr!s:<9} {row['label']!s:<10} "
            f"{row['importance']:>7.4f} {ci:>17} {row['performance']:>6.2f}  "
            f"{row['quadrant_label']} ({row['quadrant_label_zh']})"
        )
    first = order.index[0]
    slope = drivers.importance.loc[first, "slope"]
    lines += [
        "",
        f"Fix first: {first} ({order.loc[first, 'label']}) — one more point on it is worth "
        f"{slope:.3f} points of SAT1, the others held fixed.",
        "",
        f"Penalty–reward (low band ≤ {asym.table['low_max'].iloc[0]:g}, high band ≥ "
        f"{asym.table['high_min'].iloc[0]:g}; classes by impact asymmetry, ±0.2):",
    ]
    for attr, row in asym.table.iterrows():
        lines.append(
            f"  {attr!s:<6} penalty {row['penalty']:+.3f}  reward {row['reward']:+.3f}  "
            f"IA {row['impact_asymmetry']:+.2f}  {row['factor_class_label']}"
        )
    return "\n".join(lines)
