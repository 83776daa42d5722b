"""The estimation contract, checked on every public model (DESIGN.md, CONTRIBUTING.md).

- every model inherits the one Settings base: an unknown or invalid setting raises
  InvalidParameterError in one format (naming the parameter and the model), and no
  pydantic text reaches the user;
- every model is plain configuration: to_config -> from_config gives an equal model,
  and json_schema describes it;
- pydantic's legacy API is hidden on models, data and results;
- fit(data, by=...) returns the one SegmentedResult, whose segments equal the
  segments fitted alone, and which round-trips through JSON;
- fit never mutates the caller's data or the model.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pytest

import csimodels as csi
from csimodels._settings import Settings
from csimodels.datasets.kano import simulate_kano_survey
from csimodels.datasets.servqual import simulate_servqual_survey
from csimodels.errors import InvalidParameterError

_ACSI = csi.sem.CSI_STRUCTURES["acsi"].items
_KANO = simulate_kano_survey(n=10, random_state=0)
_GRADES = ["好", "中", "差"]


def _public_models() -> list[type[Settings]]:
    out = []
    for name in csi.__all__:
        obj = getattr(csi, name)
        if inspect.isclass(obj) and issubclass(obj, Settings) and obj is not Settings:
            out.append(obj)
    return out


#: A valid instance of every public model (the smallest one that makes sense).
EXAMPLES: dict[str, Callable[[], Settings]] = {
    "ACSI": lambda: csi.ACSI(indicators=_ACSI),
    "SCSI": lambda: csi.SCSI(indicators=csi.sem.CSI_STRUCTURES["scsi"].items),
    "ECSI": lambda: csi.ECSI(indicators=csi.sem.CSI_STRUCTURES["ecsi"].items),
    "CCSI": lambda: csi.CCSI(indicators=csi.sem.CSI_STRUCTURES["ccsi"].items),
    "PathModel": lambda: csi.PathModel(
        spec=csi.ModelSpec.from_syntax("A =~ a1 + a2\nB =~ b1 + b2\nB ~ A")
    ),
    "ModelSpec": lambda: csi.ModelSpec.from_syntax("A =~ a1 + a2\nB =~ b1 + b2\nB ~ A"),
    "AHP": lambda: csi.AHP(),
    "AHPGroup": lambda: csi.AHPGroup(),
    "AHPHierarchy": lambda: csi.AHPHierarchy(alternatives=("Tom", "Dick", "Harry")),
    "FuzzyAHP": lambda: csi.FuzzyAHP(),
    "FCE": lambda: csi.FCE(grades=_GRADES),
    "SERVQUAL": lambda: csi.SERVQUAL(),
    "SERVPERF": lambda: csi.SERVPERF(),
    "ZoneOfTolerance": lambda: csi.ZoneOfTolerance(),
    "Kano": lambda: csi.Kano(features=_KANO.features),
    "DriverAnalysis": lambda: csi.DriverAnalysis(attributes=["QUAL1", "VAL1"], overall="SAT1"),
    "PenaltyReward": lambda: csi.PenaltyReward(attributes=["QUAL1", "VAL1"], overall="SAT1"),
    "ImportancePerformance": lambda: csi.ImportancePerformance(),
    "TrendMonitor": lambda: csi.TrendMonitor(series=["SAT1"]),
    "CBSEM": lambda: csi.CBSEM(syntax="visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6"),
    "KPIMonitor": lambda: csi.KPIMonitor(kind="rate", name="complaints"),
    "EFA": lambda: csi.EFA(n_factors=2, extraction="minres", rotation="oblimin"),
    "Reliability": lambda: csi.Reliability(),
    "ScreenResponses": lambda: csi.ScreenResponses(),
    "Segmentation": lambda: csi.Segmentation(),
    "Retention": lambda: csi.Retention(),
    "ComplaintAnalysis": lambda: csi.ComplaintAnalysis(),
    "SatisfactionValue": lambda: csi.SatisfactionValue(),
    "ImprovementPlan": lambda: csi.ImprovementPlan(goal=1.5, costs={"Quality": 10.0}),
    "ConvexCost": lambda: csi.ConvexCost(rate=2.0),
    "PiecewiseCost": lambda: csi.PiecewiseCost(breaks=(2.0,), rates=(10.0, 30.0)),
    "Bootstrap": lambda: csi.Bootstrap(n=100),
    "Permutation": lambda: csi.Permutation(n=100),
}


def _example(cls: type[Settings]) -> Settings:
    if cls.__name__ not in EXAMPLES:
        pytest.fail(f"add an example of the public model {cls.__name__} to EXAMPLES")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return EXAMPLES[cls.__name__]()


MODELS = _public_models()


def test_every_public_model_is_listed() -> None:
    # a new family that forgets the Settings base fails here, not in a user's hands
    assert len(MODELS) >= 20
    assert {m.__name__ for m in MODELS} <= set(EXAMPLES)


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_unknown_setting_is_the_one_parameter_error(cls: type[Settings]) -> None:
    example = _example(cls)
    config = {k: v for k, v in example.to_config().items() if k != "model_type"}
    with pytest.raises(InvalidParameterError) as err:
        cls(**config, no_such_option=1)
    message = str(err.value)
    assert f"{cls.__name__} has no parameter 'no_such_option'" in message
    assert "pydantic" not in message.lower() and "errors.pydantic.dev" not in message


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_invalid_value_names_parameter_and_model(cls: type[Settings]) -> None:
    example = _example(cls)
    config = {k: v for k, v in example.to_config().items() if k != "model_type"}
    # a value of the wrong kind for the first field that has a simple type
    target = next(
        (
            name
            for name, f in cls.model_fields.items()
            if f.annotation in (int, float, bool, str) or str(f.annotation) in {"int", "float"}
        ),
        None,
    )
    if target is None:
        pytest.skip(f"{cls.__name__} has no scalar setting")
    with pytest.raises(InvalidParameterError) as err:
        cls(**{**config, target: object()})
    message = str(err.value)
    assert repr(target) in message and cls.__name__ in message
    assert "pydantic" not in message.lower()


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_replace_validates_like_the_constructor(cls: type[Settings]) -> None:
    example = _example(cls)
    assert example.replace() == example
    with pytest.raises(InvalidParameterError, match=f"{cls.__name__} has no parameter 'nope'"):
        example.replace(nope=1)
    target = next(
        (name for name, f in cls.model_fields.items() if f.annotation in (int, float, bool)),
        None,
    )
    if target is not None:
        with pytest.raises(InvalidParameterError, match=repr(target)):
            example.replace(**{target: object()})


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_models_are_configuration(cls: type[Settings]) -> None:
    example = _example(cls)
    config = example.to_config()
    assert config["model_type"] == cls.__name__
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        again = cls.from_config(config)
    assert again == example
    schema = cls.json_schema()
    assert schema["type"] == "object" and set(cls.model_fields) <= set(schema["properties"])
    with pytest.raises(InvalidParameterError, match=f"not {cls.__name__}"):
        cls.from_config({**config, "model_type": "SomethingElse"})


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_no_pydantic_legacy_api(cls: type[Settings]) -> None:
    example = _example(cls)
    for name in ("json", "dict", "copy", "parse_obj", "construct", "schema"):
        assert not hasattr(example, name), name


def test_no_legacy_api_on_data_and_results() -> None:
    data = csi.datasets.load_example("acsi_demo")
    res = data.describe()
    assert not hasattr(res, "json") and not hasattr(res, "dict")
    assert data.construct("Value") == ("VAL1", "VAL2")
    with pytest.raises(csi.errors.DataValidationError, match="construct 'Nope' is not declared"):
        data.construct("Nope")


# -- by= returns the one SegmentedResult ------------------------------------------------


@dataclass
class ByCase:
    name: str
    fit: Callable[..., Any]
    data: Callable[[], Any]
    by: str
    table: str  # a table of the segment results to compare with the segment fitted alone
    extra: dict[str, Any] = field(default_factory=dict)


def _demo() -> csi.SurveyData:
    return csi.datasets.load_example("acsi_demo")


def _servqual() -> csi.SurveyData:
    return simulate_servqual_survey(n=600, zone_of_tolerance=True, random_state=5).data


def _kano() -> pd.DataFrame:
    return simulate_kano_survey(n=400, random_state=3).frame


def _fce_frame() -> pd.DataFrame:
    rng = np.random.default_rng(2)
    return pd.DataFrame(
        {
            "速度": rng.integers(1, 4, 120),
            "态度": rng.integers(1, 4, 120),
            "store": rng.choice(["s1", "s2", "s3"], 120),
        }
    )


def _factor_survey() -> pd.DataFrame:
    sim = csi.explore.simulate_factor_data(n=400, random_state=6)
    return sim.data.frame.assign(region=np.repeat(["N", "S"], 200))


BY_CASES = [
    ByCase("ACSI", csi.ACSI(indicators=_ACSI).fit, _demo, "region", "paths"),
    ByCase(
        "DriverAnalysis",
        csi.DriverAnalysis(attributes=["QUAL1", "QUAL2", "VAL1"], overall="SAT1").fit,
        _demo,
        "region",
        "importance",
    ),
    ByCase(
        "PenaltyReward",
        csi.PenaltyReward(attributes=["QUAL1", "VAL1"], overall="SAT1", min_band=5).fit,
        _demo,
        "region",
        "coefficients",
    ),
    ByCase("SERVQUAL", csi.SERVQUAL().fit, _servqual, "store", "dimensions"),
    ByCase("SERVPERF", csi.SERVPERF().fit, _servqual, "store", "overall"),
    ByCase("ZoneOfTolerance", csi.ZoneOfTolerance().fit, _servqual, "store", "dimensions"),
    ByCase(
        "Kano",
        csi.Kano(features=simulate_kano_survey(n=5, random_state=3).features).fit,
        _kano,
        "region",
        "classification",
    ),
    ByCase(
        "FCE",
        csi.FCE(grades=_GRADES).fit,
        _fce_frame,
        "store",
        "table",
        {"weights": [0.5, 0.5], "items": ["速度", "态度"]},
    ),
    ByCase(
        "EFA",
        csi.EFA(parallel_draws=30).fit,
        _factor_survey,
        "region",
        "loadings",
        {"random_state": 2, "items": [f"{f}{i}" for f in "ABC" for i in range(1, 5)]},
    ),
    ByCase(
        "Reliability",
        csi.Reliability().fit,
        _factor_survey,
        "region",
        "scales",
        {"items": ["A1", "A2", "A3", "A4"]},
    ),
]


@pytest.mark.parametrize("case", BY_CASES, ids=lambda c: c.name)
def test_by_returns_the_segmented_result(case: ByCase) -> None:
    data = case.data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = case.fit(data, by=case.by, **case.extra)
        assert isinstance(res, csi.SegmentedResult)
        assert res.by == (case.by,)
        assert set(res.status["status"]) <= {"fitted", "too_small", "failed"}
        assert list(res.status.columns[:2]) == [case.by, "n"]
        label = res.labels[0]
        frame = data.frame if isinstance(data, csi.SurveyData) else data
        alone_data = (
            data.subset(frame[case.by].astype(str) == label)
            if isinstance(data, csi.SurveyData)
            else data[data[case.by].astype(str) == label]
        )
        alone = case.fit(alone_data, **case.extra)
    pd.testing.assert_frame_equal(
        getattr(res.segments[label], case.table), getattr(alone, case.table)
    )
    stacked = res.table(case.table)
    assert stacked.index.names[0] == "segment"
    assert csi.result_from_json(res.to_json()) == res
    assert "Segments" in str(res.summary())


def test_by_refuses_an_undeclared_segment() -> None:
    data = _demo()
    with pytest.raises(csi.errors.DataValidationError, match="'channel' is not a segment"):
        csi.DriverAnalysis(attributes=["QUAL1"], overall="SAT1").fit(data, by="channel")


def test_by_accepts_a_cross_classification() -> None:
    data = _demo()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = csi.DriverAnalysis(attributes=["QUAL1", "VAL1"], overall="SAT1").fit(
            data, by=["region", "city"]
        )
    assert res.by == ("region", "city") and len(res.segments) == 8
    assert list(res.status.columns[:3]) == ["region", "city", "n"]
    assert all(" × " in label for label in res.labels)


def test_failure_policy() -> None:
    df = _demo().frame.copy()
    df.loc[df["region"] == "East", "SAT1"] = 5.0  # a constant overall item in one segment
    data = csi.SurveyData.from_frame(
        df, items=["QUAL1", "VAL1", "SAT1"], scale=(1, 10), segments=["region"]
    )
    model = csi.DriverAnalysis(attributes=["QUAL1", "VAL1"], overall="SAT1")
    with pytest.warns(csi.errors.DataQualityWarning, match="segment 'East' failed"):
        res = model.fit(data, by="region")
    assert res.status.loc["East", "status"] == "failed"
    assert "constant" in res.status.loc["East", "reason"]
    assert "East" not in res.segments
    with pytest.raises(csi.errors.DataValidationError, match="constant"):
        model.fit(data, by="region", on_error="raise")


def test_gate_refuses_contradicting_arguments() -> None:
    data = _demo()
    model = csi.ACSI(indicators=_ACSI)
    with pytest.raises(csi.errors.DataValidationError, match="weight='nonexistent' contradicts"):
        model.fit(data, weight="nonexistent")
    with pytest.raises(csi.errors.DataValidationError, match="scale= contradicts"):
        model.fit(data, scale=(1, 5))
    with pytest.raises(csi.errors.DataValidationError, match="missing_codes applies when"):
        model.fit(data, missing_codes=[99])


def test_gate_takes_every_from_frame_option_for_a_frame() -> None:
    data = _demo()
    frame = data.frame.copy()
    frame.loc[frame.index[:3], "SAT1"] = 99  # "don't know"
    model = csi.ACSI(indicators=_ACSI)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.fit(frame, scale=(1, 10), missing_codes=[99], weight="weight")
        via_data = model.fit(
            csi.SurveyData.from_frame(
                frame,
                items=[i for items in _ACSI.values() for i in items],
                scale=(1, 10),
                missing_codes=[99],
                weight="weight",
            )
        )
    pd.testing.assert_frame_equal(res.paths, via_data.paths)


def test_every_result_names_its_sample_and_inference_alike() -> None:
    data = _demo()
    sq = _servqual()
    kano = simulate_kano_survey(n=300, random_state=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = {
            "PLS": csi.ACSI(indicators=data.constructs).fit(data),
            "PLS bootstrap": csi.ACSI(indicators=data.constructs).fit(
                data, bootstrap=30, random_state=1
            ),
            "DriverAnalysis": csi.DriverAnalysis(attributes=["QUAL1"], overall="SAT1").fit(data),
            "PenaltyReward": csi.PenaltyReward(attributes=["QUAL1"], overall="SAT1").fit(data),
            "SERVQUAL": csi.SERVQUAL().fit(sq),
            "Kano": kano.model().fit(kano.frame),
        }
    for name, res in results.items():
        assert isinstance(res.settings.get("n_used"), int), name
        assert isinstance(res.settings.get("inference"), str), name
        assert "weight" in res.settings, name
    assert results["PLS bootstrap"].settings["random_state"] == 1
    assert "bootstrap (30 resamples" in results["PLS bootstrap"].settings["inference"]


def test_every_plot_has_the_one_signature() -> None:
    """plot(kind=None, *, ax=None, language="en"|"zh", labels="code"|"label", ...)."""
    csi.load_all()
    from csimodels.results import _RESULT_TYPES

    classes = {cls for name, cls in _RESULT_TYPES.items() if name.startswith("csimodels.")}
    checked = []
    for cls in sorted(classes, key=lambda c: c.__name__):
        plot = getattr(cls, "plot", None)
        if plot is None:
            continue
        params = list(inspect.signature(plot).parameters.values())[1:]
        assert params[0].name == "kind" and params[0].default is None, cls.__name__
        rest = {p.name: p for p in params[1:]}
        assert all(p.kind is p.KEYWORD_ONLY for p in params[1:]), cls.__name__
        assert {"ax", "language", "labels"} <= set(rest), cls.__name__
        assert rest["language"].default == "en" and rest["labels"].default == "code"
        checked.append(cls.__name__)
    assert len(checked) >= 20, checked


def test_weight_none_fits_a_weighted_survey_without_its_weights() -> None:
    data = _demo()
    assert data.weight is not None
    model = csi.ACSI(indicators=data.constructs)
    frame = data.frame.drop(columns=[data.weight])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        unweighted = model.fit(data, weight=None)
        plain = model.fit(
            csi.SurveyData.from_frame(
                frame, items=list(data.items), scale=(1, 10), missing_codes=[]
            )
        )
        weighted = model.fit(data)
    pd.testing.assert_frame_equal(unweighted.paths, plain.paths)
    assert unweighted.settings["weight"] is None and weighted.settings["weight"] == data.weight
    assert not np.allclose(unweighted.paths["estimate"], weighted.paths["estimate"])


def test_an_unknown_data_option_is_the_one_parameter_error() -> None:
    # families pass fit's extra keywords to the gate as data options; a model setting
    # given to fit (or a typo) is named, not a TypeError about SurveyData.coerce
    from csimodels.datasets.servqual import simulate_servqual_survey

    frame = simulate_servqual_survey(60, random_state=1).data.frame
    with pytest.raises(InvalidParameterError, match=r"SERVQUAL.fit has no parameter 'missing'"):
        csi.SERVQUAL().fit(frame, missing="pairwise")
    with pytest.raises(InvalidParameterError, match=r"demo has no parameter 'scales'"):
        csi.SurveyData.coerce(frame, owner="demo", scales=(1, 7))
