"""One small example of every result class, built from the library's own example data.

Used by the report demo and by the tests that export every result class. Fits are
kept small (few resamples) so that the whole set builds in a few seconds.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from functools import cache

import pandas as pd

from csimodels.results import Result

__all__ = ["EXAMPLE_BUILDERS", "example_result"]


def _data() -> object:
    import csimodels as csi

    return csi.datasets.load_example("acsi_demo")


def _acsi() -> object:
    import csimodels as csi

    data = csi.datasets.load_example("acsi_demo")
    return csi.ACSI(indicators=data.constructs)


def _describe() -> Result:
    import csimodels as csi

    return csi.datasets.load_example("acsi_demo").describe()


def _pls() -> Result:
    import csimodels as csi

    data = csi.datasets.load_example("acsi_demo")
    res: Result = csi.ACSI(indicators=data.constructs).fit(data, bootstrap=50, random_state=1)
    return res


def _pls_by() -> Result:
    import csimodels as csi

    data = csi.datasets.load_example("acsi_demo")
    res: Result = csi.ACSI(indicators=data.constructs).fit(data, by="region")
    return res


def _cbsem() -> Result:
    import csimodels as csi

    data = csi.datasets.load_example("acsi_demo")
    res: Result = csi.ACSI(indicators=data.constructs).fit(data, method="cbsem")
    return res


def _cbsem_by() -> Result:
    import csimodels as csi

    data = csi.datasets.load_example("acsi_demo")
    res: Result = csi.ACSI(indicators=data.constructs).fit(data, method="cbsem", by="region")
    return res


def _mga() -> Result:
    import csimodels as csi

    data = csi.datasets.load_example("acsi_demo")
    res: Result = csi.sem.mga.compare_groups(
        csi.ACSI(indicators=data.constructs),
        data,
        by="region",
        groups=("North", "West"),
        n_permutations=50,
        bootstrap=50,
        random_state=1,
    )
    return res


def _micom() -> Result:
    res = _mga()
    micom: Result = getattr(res, "micom")  # noqa: B009
    return micom


def _predict() -> Result:
    import csimodels as csi

    data = csi.datasets.load_example("acsi_demo")
    res: Result = csi.ACSI(indicators=data.constructs).predict(data, n_folds=5, random_state=1)
    return res


def _bootstrap() -> Result:
    boot: Result = getattr(_pls(), "bootstrap")  # noqa: B009
    return boot


def _servqual() -> Result:
    from csimodels.datasets.servqual import simulate_servqual_survey
    from csimodels.servqual import SERVQUAL

    sim = simulate_servqual_survey(n=600, weights=True, zone_of_tolerance=True, random_state=3)
    res: Result = SERVQUAL(importance="I_{dimension}").fit(sim.data)
    return res


def _servperf() -> Result:
    from csimodels.datasets.servqual import simulate_servqual_survey
    from csimodels.servqual import SERVPERF

    sim = simulate_servqual_survey(n=600, random_state=3)
    res: Result = SERVPERF().fit(sim.data)
    return res


def _zone() -> Result:
    from csimodels.datasets.servqual import simulate_servqual_survey
    from csimodels.servqual import ZoneOfTolerance

    sim = simulate_servqual_survey(n=600, zone_of_tolerance=True, random_state=3)
    res: Result = ZoneOfTolerance().fit(sim.data)
    return res


def _kano() -> Result:
    from csimodels.datasets.kano import simulate_kano_survey

    sim = simulate_kano_survey(n=400, answers="chinese", random_state=2025)
    res: Result = sim.model(max_questionable_share=0.5).fit(sim.frame, weight="weight")
    return res


_AHP_JUDGMENTS: dict[tuple[str, str], float] = {
    ("Reliability", "Responsiveness"): 2,
    ("Reliability", "Assurance"): 3,
    ("Reliability", "Empathy"): 4,
    ("Reliability", "Tangibles"): 6,
    ("Responsiveness", "Assurance"): 2,
    ("Responsiveness", "Empathy"): 2,
    ("Responsiveness", "Tangibles"): 4,
    ("Assurance", "Empathy"): 1,
    ("Assurance", "Tangibles"): 3,
    ("Empathy", "Tangibles"): 2,
}


def _ahp() -> Result:
    from csimodels.ahp import AHP

    res: Result = AHP().fit(_AHP_JUDGMENTS)
    return res


def _ahp_repair() -> Result:
    from csimodels.ahp import AHP

    bad = dict(_AHP_JUDGMENTS)
    bad[("Empathy", "Tangibles")] = 1 / 5
    res: Result = AHP().repair(bad)
    return res


def _fuzzy_ahp() -> Result:
    from csimodels.ahp import FuzzyAHP

    res: Result = FuzzyAHP().fit(
        {
            ("price", "quality"): (2, 3, 4),
            ("price", "speed"): (1, 2, 3),
            ("quality", "speed"): (1, 1, 2),
        }
    )
    return res


def _ahp_group() -> Result:
    from csimodels.ahp import AHPGroup

    df = pd.DataFrame(
        {
            "price_vs_quality": [3, 3, -3],
            "price_vs_speed": [5, 3, 1],
            "quality_vs_speed": [2, 1, 3],
        }
    )
    res: Result = AHPGroup().fit(df)
    return res


def _ahp_hierarchy() -> Result:
    from csimodels.fce._demo import field_service_example

    res: Result = field_service_example()[0]
    return res


def _sensitivity() -> Result:
    from csimodels.ahp.sensitivity import weight_sensitivity

    w = pd.Series({"price": 0.7, "quality": 0.3})
    v = pd.DataFrame({"price": [0.7, 0.3], "quality": [0.2, 0.8]}, index=["A", "B"])
    res: Result = weight_sensitivity(w, v)
    return res


def _fce() -> Result:
    from csimodels.fce import FCE

    fce = FCE(grades={"优秀": 95, "良好": 80, "一般": 60, "不合格": 35})
    r = [[0.2, 0.6, 0.2, 0.0], [0.4, 0.6, 0.0, 0.0]]
    res: Result = fce.evaluate(
        {"速度": 0.5, "态度": 0.5},
        pd.DataFrame(r, index=["速度", "态度"], columns=list(fce.grades.labels)),
    )
    return res


def _fce_tree() -> Result:
    from csimodels.fce._demo import field_service_example

    res: Result = field_service_example()[1]
    return res


def _fce_segments() -> Result:
    from csimodels.fce import FCE

    df = pd.DataFrame(
        {
            "速度": [1, 2, 2, 2, 3, 1, 1, 2],
            "态度": [1, 1, 2, 2, 2, 3, 1, 1],
            "区域": ["东", "东", "东", "东", "西", "西", "西", "西"],
        }
    )
    res: Result = FCE(grades=["好", "中", "差"]).evaluate_survey(
        df, [0.5, 0.5], items=["速度", "态度"], by="区域"
    )
    return res


_ATTRIBUTES = ("QUAL1", "QUAL2", "QUAL3", "VAL1", "VAL2", "EXP1")


def _drivers() -> Result:
    import csimodels as csi
    from csimodels.importance.drivers import DriverAnalysis

    data = csi.datasets.load_example("acsi_demo")
    res: Result = DriverAnalysis(
        attributes=_ATTRIBUTES,
        overall="SAT1",
        methods=("correlation", "slope", "lmg"),
        bootstrap=30,
        random_state=1,
    ).fit(data)
    return res


def _ipa() -> Result:
    from csimodels.importance.drivers import DriverAnalysis
    from csimodels.importance.matrix import ImportancePerformance

    drivers = _drivers()
    assert isinstance(drivers, DriverAnalysis.__mro__[0]) or True
    res: Result = ImportancePerformance(method="lmg").from_drivers(drivers)  # type: ignore[arg-type]
    return res


def _penalty() -> Result:
    import csimodels as csi
    from csimodels.importance.penalty import PenaltyReward

    data = csi.datasets.load_example("acsi_demo")
    res: Result = PenaltyReward(attributes=_ATTRIBUTES, overall="SAT1").fit(data)
    return res


def _fit_by() -> Result:
    import csimodels as csi
    from csimodels.segments import fit_by

    data = csi.datasets.load_example("acsi_demo")
    model = csi.ACSI(indicators=data.constructs)
    res: Result = fit_by(
        data, "region", model.fit, owner="ACSI", pooled=model.fit(data), headline=("indices",)
    )
    return res


def _batch() -> Result:
    import numpy as np

    from csimodels.reports.config import ReportBatchResult

    table = pd.DataFrame(
        {
            "n": [300, 280, 12],
            "status": ["written", "failed", "too_small"],
            "reason": ["", "EstimationError: singular", "12 respondents"],
            "index": [71.25, np.nan, np.nan],
            "ci_lower": [70.1, np.nan, np.nan],
            "ci_upper": [72.3, np.nan, np.nan],
            "rank": [1.0, np.nan, np.nan],
            "files": ["East.pdf", "", ""],
            "seconds": [1.5, 0.4, 0.0],
        },
        index=pd.Index(["East", "West", "Tiny"], name="segment"),
    )
    return ReportBatchResult(by="region", target="Satisfaction", table=table)


def _trends() -> Result:
    import csimodels as csi

    data = csi.datasets.load_example("acsi_demo")
    res: Result = csi.TrendMonitor(series=["Satisfaction", "SAT1"], by="region").fit(data)
    return res


def _events() -> object:
    import csimodels as csi

    return csi.datasets.simulate_customer_events(n_customers=300, random_state=1)


def _retention() -> Result:
    import csimodels as csi

    res: Result = csi.Retention().fit(getattr(_events(), "events"))  # noqa: B009
    return res


def _complaints() -> Result:
    import csimodels as csi

    res: Result = csi.ComplaintAnalysis().fit(getattr(_events(), "events"))  # noqa: B009
    return res


def _value() -> Result:
    import csimodels as csi

    sim = csi.datasets.simulate_customer_events(n_customers=1500, random_state=4)
    res: Result = csi.SatisfactionValue(horizon=12).fit(
        sim.events,
        sim.survey,
        customer="customer",
        time="survey_date",
        satisfaction="satisfaction",
        level_column="level",
    )
    return res


def _invariance() -> Result:
    import numpy as np

    import csimodels as csi
    from csimodels.sem import measurement_invariance

    rng = np.random.default_rng(3)
    f = rng.normal(size=(600, 1))
    df = pd.DataFrame(
        f @ [[1.0, 0.9, 0.8]] + rng.normal(size=(600, 3)) * 0.6, columns=["a", "b", "c"]
    )
    df["g"] = np.repeat(["north", "south"], 300)
    res: Result = measurement_invariance(csi.CBSEM("F =~ a + b + c"), df, group="g")
    return res


def _what_if() -> Result:
    res: Result = getattr(example_result("PLSResult"), "what_if")({"Quality": 3})  # noqa: B009
    return res


def _plan() -> Result:
    import csimodels as csi

    pls = example_result("PLSResult")
    res: Result = csi.ImprovementPlan(goal=1.0, costs={"Quality": 10.0, "Value": 4.0}).fit(pls)
    return res


def _plan_evaluation() -> Result:
    import csimodels as csi

    plan = _plan()
    res: Result = getattr(plan, "evaluate")(csi.datasets.load_example("acsi_demo"))  # noqa: B009
    return res


def _kpi() -> Result:
    from csimodels.trends import KPIMonitor

    df = pd.DataFrame(
        {
            "month": ["01", "02", "03", "04", "05"],
            "complaints": [20, 22, 18, 21, 45],
            "orders": [1000, 1100, 950, 1000, 1000],
        }
    )
    res: Result = KPIMonitor(kind="rate", name="complaints", baseline=4).fit(
        df, period="month", events="complaints", trials="orders"
    )
    return res


def _backtest() -> Result:
    import csimodels as csi
    from csimodels.trends import TrendMonitor, backtest

    trend = TrendMonitor(series=["SAT1"], forecast="drift").fit(
        csi.datasets.load_example("acsi_demo"), by="region"
    )
    res: Result = backtest(trend)
    return res


def _out_of_core() -> Result:
    import dask.dataframe as dd

    import csimodels as csi

    d = csi.datasets.load_example("acsi_demo")
    ddf = dd.from_pandas(d.frame, npartitions=3)  # type: ignore[no-untyped-call]
    res: Result = csi.ACSI(indicators=d.constructs).fit(ddf, scale=(1, 10))
    return res


def _efa() -> Result:
    import csimodels as csi

    sim = csi.explore.simulate_factor_data(n=500, random_state=1)
    res: Result = csi.EFA(rotation="varimax").fit(sim.data, random_state=3)
    return res


def _reliability() -> Result:
    import csimodels as csi

    sim = csi.explore.simulate_factor_data(n=400, random_state=2)
    res: Result = csi.Reliability().fit(sim.data, scales={"A": ["A1", "A2", "A3", "A4"]})
    return res


def _screening() -> Result:
    import csimodels as csi

    df = pd.DataFrame(
        {"Q1": [5, 3, 4, 2, 4, 3], "Q2": [5, 4, 2, 2, 5, 1], "Q3": [5, 2, 3, 4, 3, 2]}
    )
    res: Result = csi.ScreenResponses(criteria=("straight_lining",)).fit(df, scale=(1, 5))
    return res


def _segmentation() -> Result:
    import csimodels as csi

    sim = csi.explore.simulate_segments(n=300, random_state=1)
    res: Result = csi.Segmentation().fit(sim.data, random_state=2)
    return res


EXAMPLE_BUILDERS: dict[str, Callable[[], Result]] = {
    "DescriptionResult": _describe,
    "PLSResult": _pls,
    "PLSBootstrap": _bootstrap,
    "SegmentedPLSResult": _pls_by,
    "CBSEMResult": _cbsem,
    "SegmentedCBSEMResult": _cbsem_by,
    "MultigroupResult": _mga,
    "MICOMResult": _micom,
    "PLSPredictResult": _predict,
    "SERVQUALResult": _servqual,
    "SERVPERFResult": _servperf,
    "ZoneOfToleranceResult": _zone,
    "KanoResult": _kano,
    "AHPResult": _ahp,
    "AHPRepairResult": _ahp_repair,
    "FuzzyAHPResult": _fuzzy_ahp,
    "AHPGroupResult": _ahp_group,
    "AHPHierarchyResult": _ahp_hierarchy,
    "SensitivityResult": _sensitivity,
    "FCEResult": _fce,
    "FCETreeResult": _fce_tree,
    "FCESegmentResult": _fce_segments,
    "DriverAnalysisResult": _drivers,
    "ImportancePerformanceResult": _ipa,
    "PenaltyRewardResult": _penalty,
    "TrendResult": _trends,
    "SegmentedResult": _fit_by,
    "ReportBatchResult": _batch,
    "RetentionResult": _retention,
    "ComplaintResult": _complaints,
    "SatisfactionValueResult": _value,
    "InvarianceResult": _invariance,
    "WhatIfResult": _what_if,
    "PlanResult": _plan,
    "PlanEvaluation": _plan_evaluation,
    "KPIResult": _kpi,
    "BacktestResult": _backtest,
    "OutOfCorePLSResult": _out_of_core,
    "EFAResult": _efa,
    "ReliabilityResult": _reliability,
    "ScreeningResult": _screening,
    "SegmentationResult": _segmentation,
}
"""Builders of one example per result class, keyed by the class name."""


@cache
def example_result(name: str) -> Result:
    """Build the example of one result class (warnings of the fit are silenced).

    Results are frozen, so the examples are built once per process and shared.

    Examples
    --------
    >>> type(example_result("AHPResult")).__name__
    'AHPResult'
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return EXAMPLE_BUILDERS[name]()
