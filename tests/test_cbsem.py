"""CB-SEM (csimodels' own engine), checked against lavaan 0.6-14 (tests/fixtures/lavaan).

The golden CSVs were written by tests/fixtures/lavaan/make_fixtures.R (``sem()``
defaults). Tolerances follow issue 5: estimates 1e-3 relative, standard errors 1e-2
relative, chi-square, CFI, TLI, RMSEA and SRMR 1e-3.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import csimodels as csi
from csimodels.errors import (
    DataQualityWarning,
    DataValidationError,
    InvalidParameterError,
    SpecificationError,
)
from csimodels.sem.cbsem import CBSEMResult, _fit_syntax, compare_pls_cbsem

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "lavaan"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"

PD_MODEL = """
ind60 =~ x1 + x2 + x3
dem60 =~ y1 + y2 + y3 + y4
dem65 =~ y5 + y6 + y7 + y8
dem60 ~ ind60
dem65 ~ ind60 + dem60
y1 ~~ y5
y2 ~~ y4 + y6
y3 ~~ y7
y4 ~~ y8
y6 ~~ y8
"""
HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
HS_ITEMS = [f"x{i}" for i in range(1, 10)]
ECSI_ITEMS = {
    "Image": ["IMAG1", "IMAG2", "IMAG3", "IMAG4", "IMAG5"],
    "Expectation": ["CUEX1", "CUEX2", "CUEX3"],
    "Quality": ["PERQ1", "PERQ2", "PERQ3", "PERQ4", "PERQ5", "PERQ6", "PERQ7"],
    "Value": ["PERV1", "PERV2"],
    "Satisfaction": ["CUSA1", "CUSA2", "CUSA3"],
    "Complaints": ["CUSCO"],
    "Loyalty": ["CUSL1", "CUSL2", "CUSL3"],
}
FIT_NAMES = {
    "chisq": "chi2",
    "cfi": "cfi",
    "tli": "tli",
    "rmsea": "rmsea",
    "srmr": "srmr",
    "rmsea.ci.lower": "rmsea_ci_lower",
    "rmsea.ci.upper": "rmsea_ci_upper",
    "baseline.chisq": "baseline_chi2",
    "df": "df",
    "aic": "aic",
    "bic": "bic",
    "logl": "loglik",
}


def _read(name: str) -> pd.DataFrame:
    path = SHARED / name
    if not path.exists():  # the same files ship with semopy's examples
        import semopy

        path = Path(semopy.__file__).parent / "examples" / name
    return pd.read_csv(path, index_col=0)


@pytest.fixture(scope="module")
def pd_data() -> pd.DataFrame:
    return _read("pd_data.csv")


@pytest.fixture(scope="module")
def hs_data() -> pd.DataFrame:
    return _read("holzinger_swineford39_data.csv")[HS_ITEMS]


def _quiet_fit_syntax(syntax: str, data: pd.DataFrame, estimator: str = "ML") -> CBSEMResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _fit_syntax(syntax, data, estimator=estimator)


def _compare(res: CBSEMResult, case: str, *, est_tol: float, se_tol: float) -> None:
    lav = pd.read_csv(FIXTURES / f"{case}_params.csv").set_index(["lhs", "op", "rhs"])
    ours = res.estimates
    if "~1" not in lav.index.get_level_values("op"):  # fixture written without means
        ours = ours[ours.index.get_level_values("op") != "~1"]
    assert len(ours) == len(lav)
    for key, row in ours.iterrows():
        ref = lav.loc[key] if key in lav.index else lav.loc[(key[2], key[1], key[0])]
        assert row["free"] == bool(ref["free"]), key
        assert row["estimate"] == pytest.approx(ref["est"], rel=est_tol, abs=1e-6), key
        assert row["std_estimate"] == pytest.approx(ref["std.all"], rel=est_tol, abs=1e-6), key
        if row["free"]:
            assert row["std_error"] == pytest.approx(ref["se"], rel=se_tol), key
            assert row["z"] == pytest.approx(ref["z"], rel=se_tol), key


def _compare_fit(res: CBSEMResult, case: str, measures: list[str], tol: float = 1e-3) -> None:
    lav = pd.read_csv(FIXTURES / f"{case}_fit.csv").set_index("measure")["value"]
    for name in measures:
        ours = float(res.fit.loc[FIT_NAMES[name], "value"])
        assert ours == pytest.approx(float(lav[name]), rel=tol, abs=1e-6), name


@pytest.fixture(scope="module")
def pd_fit(pd_data: pd.DataFrame) -> CBSEMResult:
    return _quiet_fit_syntax(PD_MODEL, pd_data)


@pytest.fixture(scope="module")
def hs_fit(hs_data: pd.DataFrame) -> CBSEMResult:
    return _quiet_fit_syntax(HS_MODEL, hs_data)


def test_political_democracy_matches_lavaan(pd_fit: CBSEMResult) -> None:
    _compare(pd_fit, "pd_ml", est_tol=1e-3, se_tol=1e-2)
    _compare_fit(pd_fit, "pd_ml", list(FIT_NAMES))
    assert pd_fit.converged and pd_fit.max_gradient < 1e-6


def test_holzinger_swineford_matches_lavaan(hs_fit: CBSEMResult) -> None:
    _compare(hs_fit, "hs_ml", est_tol=1e-3, se_tol=1e-2)
    _compare_fit(hs_fit, "hs_ml", list(FIT_NAMES))
    r2 = pd.read_csv(FIXTURES / "hs_ml_r2.csv").set_index("variable")["r2"]
    for item in HS_ITEMS:
        assert float(hs_fit.r2.loc[item, "r2"]) == pytest.approx(float(r2[item]), rel=1e-3)


def test_factor_scores_match_lavpredict(hs_fit: CBSEMResult) -> None:
    ref = pd.read_csv(FIXTURES / "hs_ml_scores.csv")
    ours = hs_fit.scores[["visual", "textual", "speed"]].to_numpy()
    np.testing.assert_allclose(ours, ref.to_numpy(), rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("estimator", ["GLS", "ULS", "WLS", "DWLS"])
def test_other_estimators_match_lavaan(hs_data: pd.DataFrame, estimator: str) -> None:
    # lavaan uses the N - 1 covariance and chi2 = 2 (N - 1) F for these estimators
    res = _quiet_fit_syntax(HS_MODEL, hs_data, estimator)
    _compare(res, f"hs_{estimator.lower()}", est_tol=1e-3, se_tol=1e-2)
    _compare_fit(res, f"hs_{estimator.lower()}", ["chisq", "cfi", "tli", "rmsea", "srmr"])
    assert np.isnan(res.fit.loc["aic", "value"])


def test_fiml_matches_lavaan_missing_ml(hs_data: pd.DataFrame) -> None:
    data = hs_data.reset_index(drop=True).copy()
    i = np.arange(len(data))
    data.loc[i % 7 == 0, "x1"] = np.nan
    data.loc[i % 11 == 3, "x5"] = np.nan
    data.loc[i % 13 == 5, "x9"] = np.nan
    before = data.copy()
    res = _quiet_fit_syntax(HS_MODEL, data, "FIML")
    pd.testing.assert_frame_equal(data, before)
    _compare(res, "hs_fiml", est_tol=1e-3, se_tol=1e-2)
    _compare_fit(res, "hs_fiml", list(FIT_NAMES))


@pytest.fixture(scope="module")
def ecsi_records(mobi: pd.DataFrame) -> tuple[CBSEMResult, list[warnings.WarningMessage]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = csi.ECSI(indicators=ECSI_ITEMS).fit(mobi, method="cbsem", scale=(1, 10))
    return res, list(caught)


def test_ecsi_mobi_chi2_and_flat_likelihood_warning(
    ecsi_records: tuple[CBSEMResult, list[warnings.WarningMessage]],
) -> None:
    res, caught = ecsi_records
    lav = pd.read_csv(FIXTURES / "ecsi_ml_fit.csv").set_index("measure")["value"]
    assert abs(float(res.fit.loc["chi2", "value"]) - float(lav["chisq"])) < 0.5
    assert float(res.fit.loc["df", "value"]) == float(lav["df"])
    messages = [str(w.message) for w in caught if issubclass(w.category, DataQualityWarning)]
    flat = [m for m in messages if "nearly flat" in m]
    assert flat and "Satisfaction ~" in flat[0]
    assert any("Expectation–Quality" in m for m in messages)  # latent r = 0.995
    assert any("beyond ±1" in m and "Loyalty ~ Image" in m for m in messages)
    assert set(messages) <= set(res.notes)
    assert "CUSCO ~~ 0*CUSCO" in res.syntax  # single indicator, fixed error variance
    assert res.settings["estimator"] == "ML"


def test_ecsi_tables_and_indices(
    ecsi_records: tuple[CBSEMResult, list[warnings.WarningMessage]], mobi: pd.DataFrame
) -> None:
    res, _ = ecsi_records
    assert list(res.paths.index) == list(csi.ECSI(indicators=ECSI_ITEMS).to_spec().paths)
    weights = res.loadings["index_weight"].groupby(level="construct").sum()
    np.testing.assert_allclose(weights.to_numpy(), 1.0)
    # the index of a single-indicator construct is its item rescaled to 0-100
    expected = (mobi["CUSCO"].mean() - 1) / 9 * 100
    assert float(res.indices.loc["Complaints", "index"]) == pytest.approx(expected)
    assert res.indices["index"].between(0, 100).all()
    assert res.r2.loc["CUSCO", "r2"] == pytest.approx(1.0)


def test_json_round_trip_and_summary(pd_fit: CBSEMResult) -> None:
    again = CBSEMResult.from_json(pd_fit.to_json())
    assert again == pd_fit
    text = str(pd_fit.summary())
    assert "RMSEA" in text and "Structural paths" in text


def test_acsi_demo_and_comparison_table() -> None:
    data = csi.datasets.load_example("acsi_demo")
    acsi = csi.ACSI(indicators=data.constructs)
    frame_before = data.frame.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cb = acsi.fit(data, method="cbsem")
        pls = acsi.fit(data)
    pd.testing.assert_frame_equal(data.frame, frame_before)
    table = compare_pls_cbsem(pls, cb)
    assert table.loc[("path", "Quality", "Satisfaction"), "pls"] == pytest.approx(
        float(pls.paths.loc[("Quality", "Satisfaction"), "estimate"])
    )
    np.testing.assert_allclose(table["difference"], table["cbsem"] - table["pls"])
    assert cb.converged


def test_simulated_truth_is_recovered() -> None:
    # one-factor-per-construct model with known loadings and path 0.6 (standardised)
    rng = np.random.default_rng(7)
    n = 4000
    xi = rng.normal(size=n)
    eta = 0.6 * xi + np.sqrt(1 - 0.36) * rng.normal(size=n)
    lam = 0.8
    cols = {}
    for k in range(3):
        cols[f"a{k}"] = lam * xi + np.sqrt(1 - lam**2) * rng.normal(size=n)
        cols[f"b{k}"] = lam * eta + np.sqrt(1 - lam**2) * rng.normal(size=n)
    df = pd.DataFrame(cols)
    spec = csi.ModelSpec.from_syntax("A =~ a0 + a1 + a2; B =~ b0 + b1 + b2; B ~ A")
    res = csi.PathModel(spec=spec).fit(df, method="cbsem")
    est = float(res.paths.loc[("A", "B"), "std_estimate"])
    se = float(res.paths.loc[("A", "B"), "std_error"])
    assert abs(est - 0.6) < 0.03 and se > 0
    assert res.loadings["std_estimate"].between(0.76, 0.84).all()
    assert float(res.fit.loc["rmsea", "value"]) < 0.03


# -- bad input ---------------------------------------------------------------------------


def test_formative_construct_rejected_suggesting_pls() -> None:
    spec = csi.ModelSpec.from_syntax("A <~ a0 + a1; B =~ b0 + b1; B ~ A")
    df = pd.DataFrame(
        np.random.default_rng(0).normal(size=(50, 4)), columns=["a0", "a1", "b0", "b1"]
    )
    with pytest.raises(SpecificationError, match=r"'A' is formative.*method='pls'"):
        csi.PathModel(spec=spec).fit(df, method="cbsem")


def test_unknown_estimator_lists_valid_ones() -> None:
    data = csi.datasets.load_example("acsi_demo")
    with pytest.raises(InvalidParameterError, match=r"'DWLS', 'FIML', 'GLS'.*got 'MLM'"):
        csi.ACSI(indicators=data.constructs).fit(data, method="cbsem", estimator="MLM")


def test_weighted_data_rejected_by_unweighted_estimators() -> None:
    data = csi.datasets.load_example("acsi_demo")
    with pytest.raises(
        InvalidParameterError, match=r"'DWLS' of continuous items does not take.*'weight'"
    ):
        csi.ACSI(indicators=data.constructs).fit(data, method="cbsem", estimator="DWLS")


def test_fewer_respondents_than_parameters(hs_data: pd.DataFrame) -> None:
    with pytest.raises(DataValidationError, match=r"15 respondents for 21 free parameters"):
        _fit_syntax(HS_MODEL, hs_data.iloc[:15])


def test_non_positive_definite_covariance_names_items(hs_data: pd.DataFrame) -> None:
    data = hs_data.copy()
    data["x3"] = data["x1"] + data["x2"]
    with pytest.raises(DataValidationError, match=r"not positive definite.*'x1'.*'x3'"):
        _fit_syntax(HS_MODEL, data)


def test_constant_indicator_is_named(hs_data: pd.DataFrame) -> None:
    data = hs_data.copy()
    data["x5"] = 3.0
    with pytest.raises(DataValidationError, match=r"indicator 'x5' has no variance"):
        _fit_syntax(HS_MODEL, data)


def test_unidentified_model_is_rejected(hs_data: pd.DataFrame) -> None:
    # a two-indicator factor alone is not identified (1 df short)
    with pytest.raises(SpecificationError, match=r"not identified"):
        _fit_syntax("F =~ x1 + x2", hs_data[["x1", "x2"]])
    # df >= 0, but a single indicator with a free error variance: the factor variance
    # and the error variance trade off, one direction leaves Σ unchanged
    with pytest.raises(SpecificationError, match=r"not identified(?=.*'G ~~ G')(?=.*'x4 ~~ x4')"):
        _fit_syntax("F =~ x1 + x2 + x3\nG =~ x4", hs_data[["x1", "x2", "x3", "x4"]])


def test_heywood_case_is_named() -> None:
    # three indicators, one with a near-perfect and an impossible correlation pattern
    rng = np.random.default_rng(3)
    f = rng.normal(size=300)
    df = pd.DataFrame(
        {
            "a": f + 0.05 * rng.normal(size=300),
            "b": 0.3 * f + rng.normal(size=300),
            "c": 0.3 * f + rng.normal(size=300),
        }
    )
    df["a"] = df["a"] + 0.9 * (df["b"] + df["c"])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = _fit_syntax("F =~ a + b + c", df)
    heywood = [str(w.message) for w in caught if "Heywood" in str(w.message)]
    assert heywood and "a ~~ a" in heywood[0]
    assert heywood[0] in res.notes


def test_cbsem_by_segment_equals_separate_fits() -> None:
    data = csi.datasets.load_example("acsi_demo")
    model = csi.ACSI(indicators=data.constructs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        by_region = model.fit(data, method="cbsem", by="region")
        for region, part in data.groups("region"):
            alone = model.fit(part, method="cbsem")
            assert by_region.segments[str(region)] == alone
            assert by_region.fit.loc[region, "chi2"] == alone.fit.loc["chi2", "value"]
            np.testing.assert_array_equal(
                by_region.paths[str(region)].to_numpy(), alone.paths["std_estimate"].to_numpy()
            )
            np.testing.assert_array_equal(
                by_region.indices.loc[region].to_numpy(), alone.indices["index"].to_numpy()
            )
    assert isinstance(by_region, csi.SegmentedResult)
    assert list(by_region.status["status"]) == ["fitted"] * 4
    assert by_region.pooled == model.fit(data, method="cbsem")
    assert csi.result_from_json(by_region.to_json()) == by_region


def test_cbsem_small_segments_are_flagged() -> None:
    data = csi.datasets.load_example("acsi_demo")
    frame = data.frame.assign(store=["big"] * 3950 + ["tiny"] * 50)
    survey = csi.SurveyData.from_frame(
        frame, items=list(data.items), scale=(1, 10), segments=["store"], weight="weight"
    )
    model = csi.ACSI(indicators=data.constructs)
    with pytest.warns(csi.errors.DataQualityWarning, match="segment 'tiny' has 50"):
        res = model.fit(survey, method="cbsem", by="store", min_segment_size=100)
    assert list(res.segments) == ["big"]
    assert res.status.loc["tiny", "status"] == "too_small"
