"""Ordinal CB-SEM (polychoric correlations, DWLS / WLSMV / WLS), checked against lavaan 0.6-14.

The golden CSVs were written by tests/fixtures/lavaan/make_ordinal_fixtures.R:
``lavCor(data, ordered = names(data))`` for the thresholds and polychorics,
``lavInspect(fit, "gamma")`` for their asymptotic covariance, and ``cfa()`` / ``sem()``
with ``ordered = names(data)`` and ``estimator = "DWLS"`` (standard SEs and test),
``"WLSMV"`` (robust.sem SEs, scaled-shifted test) and ``"WLS"``. The data are the
Holzinger-Swineford tests cut into 4-5 ordered categories in R and stored as integer
codes (hs_ordinal_data.csv), so both programs read the same numbers. Issue 5 asks for
estimates within 1e-3 and standard errors within 1e-2 relative; the agreement is far
closer and the tests assert 1e-4.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import csimodels as csi
from csimodels.errors import DataQualityWarning, DataValidationError, InvalidParameterError
from csimodels.sem._cbsem_ordinal import bvn_cdf, ordinal_moments
from csimodels.sem.cbsem import CBSEMResult, _fit_syntax, fit_cbsem

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "lavaan"
CFA = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
SEM = CFA + "\ntextual ~ visual\nspeed ~ visual + textual"
ITEMS = [f"x{i}" for i in range(1, 10)]
FIT_NAMES = {
    "chisq": "chi2",
    "df": "df",
    "pvalue": "p_value",
    "baseline.chisq": "baseline_chi2",
    "baseline.df": "baseline_df",
    "cfi": "cfi",
    "tli": "tli",
    "rmsea": "rmsea",
    "rmsea.ci.lower": "rmsea_ci_lower",
    "rmsea.ci.upper": "rmsea_ci_upper",
    "srmr": "srmr",
    "npar": "n_parameters",
    "fmin": "fmin",
}
SCALED_NAMES = {
    "chisq.scaled": "chi2_scaled",
    "pvalue.scaled": "p_value_scaled",
    "chisq.scaling.factor": "scaling_factor",
    "shift.parameter": "shift",
    "baseline.chisq.scaled": "baseline_chi2_scaled",
    "cfi.scaled": "cfi_scaled",
    "tli.scaled": "tli_scaled",
    "rmsea.scaled": "rmsea_scaled",
}


@pytest.fixture(scope="module")
def hs_ord() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "hs_ordinal_data.csv")


def _spec() -> csi.ModelSpec:
    return csi.ModelSpec.from_syntax(SEM.replace("\n", "; "))


def _quiet(syntax: str, data: pd.DataFrame, estimator: str) -> CBSEMResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _fit_syntax(syntax, data, estimator=estimator, ordinal=True)


# -- the sample statistics ------------------------------------------------------------------


def test_bivariate_normal_cdf_matches_scipy() -> None:
    rng = np.random.default_rng(1)
    h, k = rng.normal(scale=1.5, size=(2, 60))
    r = rng.uniform(-0.999, 0.999, size=60)
    ref = [
        stats.multivariate_normal(cov=[[1, c], [c, 1]]).cdf([a, b])
        for a, b, c in zip(h, k, r, strict=True)
    ]
    np.testing.assert_allclose(bvn_cdf(h, k, r), ref, atol=1e-10)
    # infinite limits reduce to the univariate normal
    assert float(bvn_cdf(np.array(np.inf), np.array(0.3), np.array(0.5))) == pytest.approx(
        stats.norm.cdf(0.3)
    )
    assert float(bvn_cdf(np.array(-np.inf), np.array(0.3), np.array(0.5))) == 0.0


@pytest.mark.parametrize("case", ["hs_ordinal", "ord_edge"])
def test_thresholds_and_polychorics_match_lavcor(case: str) -> None:
    data = pd.read_csv(FIXTURES / f"{case}_data.csv")
    items = list(data.columns)
    m = ordinal_moments(data.to_numpy(dtype=float), items)
    ref_r = pd.read_csv(FIXTURES / f"{case}_polychoric.csv", index_col=0).loc[items, items]
    np.testing.assert_allclose(m.correlation, ref_r.to_numpy(), atol=1e-6)
    ref_t = pd.read_csv(FIXTURES / f"{case}_thresholds.csv")
    assert m.threshold_names == list(ref_t["threshold"])
    np.testing.assert_allclose(np.concatenate(m.thresholds), ref_t["value"], atol=1e-10)
    if case == "ord_edge":
        # b1 x b2 has one empty cell: lavaan's 0.5 correction (margins kept) reproduced
        assert m.adjusted == [("b1", "b2")]
        assert ("c7", "x4") in m.empty_cells  # larger table: reported, nothing added


def test_asymptotic_covariance_matches_lavaan_gamma(hs_ord: pd.DataFrame) -> None:
    m = ordinal_moments(hs_ord.to_numpy(dtype=float), ITEMS)
    ref = pd.read_csv(FIXTURES / "hs_ordinal_gamma.csv", index_col=0)
    assert list(ref.columns[:33]) == m.threshold_names
    np.testing.assert_allclose(m.gamma, ref.to_numpy(), rtol=1e-5, atol=1e-7)


# -- the model ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "estimator", "syntax"),
    [
        ("hs_ord_dwls", "DWLS", CFA),
        ("hs_ord_wlsmv", "WLSMV", CFA),
        ("hs_ord_wls", "WLS", CFA),
        ("hs_ord_sem_wlsmv", "WLSMV", SEM),
    ],
)
def test_ordinal_fits_match_lavaan(
    hs_ord: pd.DataFrame, case: str, estimator: str, syntax: str
) -> None:
    res = _quiet(syntax, hs_ord, estimator)
    lav = pd.read_csv(FIXTURES / f"{case}_params.csv").set_index(["lhs", "op", "rhs"])
    ours = res.estimates
    assert len(ours) == len(lav)  # loadings, (co)variances and the 33 thresholds
    for key, row in ours.iterrows():
        ref = lav.loc[key] if key in lav.index else lav.loc[(key[2], key[1], key[0])]
        assert row["free"] == bool(ref["free"]), key
        assert row["estimate"] == pytest.approx(ref["est"], rel=1e-4, abs=1e-6), key
        assert row["std_estimate"] == pytest.approx(ref["std.all"], rel=1e-4, abs=1e-6), key
        if row["free"]:
            assert row["std_error"] == pytest.approx(ref["se"], rel=1e-4), key
            assert row["z"] == pytest.approx(ref["z"], rel=1e-4), key
        else:  # residual variances of the latent responses: 1 - R², no SE (as lavaan)
            assert np.isnan(row["std_error"])
    fit = pd.read_csv(FIXTURES / f"{case}_fit.csv").set_index("measure")["value"]
    names = dict(FIT_NAMES)
    if estimator == "WLSMV":
        names.update(SCALED_NAMES)
    else:
        assert np.isnan(res.fit.loc["chi2_scaled", "value"])
    for theirs, mine in names.items():
        value = float(res.fit.loc[mine, "value"])
        assert value == pytest.approx(float(fit[theirs]), rel=1e-5, abs=1e-8), theirs
    assert res.settings["se"] == ("robust.sem" if estimator == "WLSMV" else "standard")
    assert res.converged


def test_public_api_ordinal_fit(hs_ord: pd.DataFrame) -> None:
    spec = _spec()
    before = hs_ord.copy()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = csi.PathModel(spec=spec).fit(
            hs_ord, method="cbsem", estimator="DWLS", ordinal=True, scale=(1, 5)
        )
    pd.testing.assert_frame_equal(hs_ord, before)  # nothing the caller passed is mutated
    ref = _quiet(SEM, hs_ord, "DWLS")
    np.testing.assert_allclose(
        res.estimates["estimate"], ref.estimates.loc[res.estimates.index, "estimate"]
    )
    assert res.settings["ordinal"] is True and res.settings["estimator"] == "DWLS"
    # the sample moments and thresholds are in the result
    lav_r = pd.read_csv(FIXTURES / "hs_ordinal_polychoric.csv", index_col=0)
    np.testing.assert_allclose(res.polychoric.loc[ITEMS, ITEMS], lav_r.loc[ITEMS, ITEMS], atol=1e-6)
    assert res.thresholds.loc[("x1", "t1"), "estimate"] == pytest.approx(-1.0529611, abs=1e-6)
    np.testing.assert_allclose(res.thresholds["estimate"], res.thresholds["sample"])
    assert res.scores.isna().all().all()  # factor scores of ordinal items: not computed
    assert res.indices["index"].between(0, 100).all()
    # the empty cells of the HS tables are named (lavaan says nothing by default)
    empty = [str(w.message) for w in caught if "empty cells" in str(w.message)]
    assert empty and "'x3 × x6'" in empty[0] and empty[0] in res.notes
    again = CBSEMResult.from_json(res.to_json())
    assert again == res
    text = str(res.summary())
    assert "polychoric" in text and "Thresholds" in text


def test_wlsmv_summary_reports_scaled_test(hs_ord: pd.DataFrame) -> None:
    res = _quiet(CFA, hs_ord, "WLSMV")
    assert "Scaled-shifted chi-square" in str(res.summary())
    assert CBSEMResult.from_json(res.to_json()) == res


def test_cut_normal_factor_model_recovers_true_loadings() -> None:
    # Likert answers made by cutting a normal two-factor model at skewed thresholds:
    # ordinal DWLS recovers the latent-response loadings; treating the 1-5 codes as
    # continuous (ML) attenuates every standardised loading (Muthén & Kaplan 1985).
    rng = np.random.default_rng(11)
    n = 2000
    xi = rng.normal(size=n)
    eta = 0.6 * xi + np.sqrt(1 - 0.36) * rng.normal(size=n)
    lam = np.array([0.85, 0.75, 0.65])
    cuts = [-0.3, 0.4, 1.0, 1.6]
    cols = {}
    for k in range(3):
        for name, factor in (("a", xi), ("b", eta)):
            ystar = lam[k] * factor + np.sqrt(1 - lam[k] ** 2) * rng.normal(size=n)
            cols[f"{name}{k}"] = 1 + np.digitize(ystar, cuts)
    df = pd.DataFrame(cols)
    spec = csi.ModelSpec.from_syntax("A =~ a0 + a1 + a2; B =~ b0 + b1 + b2; B ~ A")
    model = csi.PathModel(spec=spec)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ordinal = model.fit(df, method="cbsem", estimator="DWLS", ordinal=True, scale=(1, 5))
        continuous = model.fit(df, method="cbsem", scale=(1, 5))
    truth = np.tile(lam, 2)
    order = [("A", "a0"), ("A", "a1"), ("A", "a2"), ("B", "b0"), ("B", "b1"), ("B", "b2")]
    ord_std = ordinal.loadings.loc[order, "std_estimate"].to_numpy()
    cont_std = continuous.loadings.loc[order, "std_estimate"].to_numpy()
    # sampling SD of a standardised loading here is about 0.012
    assert np.abs(ord_std - truth).max() < 0.035
    assert abs((ord_std - truth).mean()) < 0.015
    assert (cont_std < truth - 0.025).all()  # every loading attenuated
    assert (cont_std - truth).mean() < -0.04
    assert float(ordinal.paths.loc[("A", "B"), "std_estimate"]) == pytest.approx(0.6, abs=0.03)
    assert float(ordinal.fit.loc["rmsea", "value"]) < 0.03
    # thresholds recovered too
    est = ordinal.thresholds["estimate"].to_numpy().reshape(6, 4)
    np.testing.assert_allclose(est, np.tile(cuts, (6, 1)), atol=0.1)


@settings(max_examples=20, deadline=None)
@given(
    rho=st.floats(-0.8, 0.8),
    seed=st.integers(0, 10_000),
    shift=st.integers(-3, 20),
)
def test_polychoric_invariances(rho: float, seed: int, shift: int) -> None:
    rng = np.random.default_rng(seed)
    z = rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], size=400)
    x = np.digitize(z, [-0.8, 0.1, 0.9]).astype(float)
    base = ordinal_moments(x, ["a", "b"]).correlation[0, 1]
    # any increasing recoding of the answers gives the same statistics
    moved = ordinal_moments(x * 2 + shift, ["a", "b"]).correlation[0, 1]
    assert moved == pytest.approx(base, abs=1e-10)
    # reversing one item flips the sign
    flipped = x.copy()
    flipped[:, 1] = -flipped[:, 1]
    assert ordinal_moments(flipped, ["a", "b"]).correlation[0, 1] == pytest.approx(-base, abs=1e-8)


# -- bad input --------------------------------------------------------------------------------


def test_non_integer_answers_name_the_item(hs_ord: pd.DataFrame) -> None:
    data = hs_ord.astype(float)
    data.loc[5, "x4"] = 2.5
    with pytest.raises(DataValidationError, match=r"ordinal item 'x4' has non-integer.*2\.5"):
        csi.PathModel(spec=_spec()).fit(data, method="cbsem", estimator="DWLS", ordinal=True)


def test_too_many_categories_name_the_item(hs_ord: pd.DataFrame) -> None:
    data = hs_ord.copy()
    data["x7"] = np.arange(len(data)) % 12
    with pytest.raises(DataValidationError, match=r"'x7 \(12 categories\)'.*more than 10"):
        _fit_syntax(CFA, data, estimator="DWLS", ordinal=True)


def test_single_category_names_the_item(hs_ord: pd.DataFrame) -> None:
    data = hs_ord.copy()
    data["x2"] = 3
    with pytest.raises(DataValidationError, match=r"ordinal item 'x2' has a single observed"):
        _fit_syntax(CFA, data, estimator="DWLS", ordinal=True)


def test_unused_scale_category_is_reported(hs_ord: pd.DataFrame) -> None:
    data = hs_ord.copy()
    data.loc[data["x1"] == 3, "x1"] = 2  # nobody answers 3 on the 1-5 scale
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = csi.PathModel(spec=_spec()).fit(
            data, method="cbsem", estimator="DWLS", ordinal=True, scale=(1, 5)
        )
    unused = [w for w in caught if "nobody chose" in str(w.message)]
    assert unused and issubclass(unused[0].category, DataQualityWarning)
    assert "'x1 (3)'" in str(unused[0].message)
    assert len(res.thresholds.loc["x1"]) == 3  # four observed categories


def test_identical_binary_items_are_refused() -> None:
    rng = np.random.default_rng(0)
    a = (rng.normal(size=200) > 0).astype(float)
    x = np.column_stack([a, a, (rng.normal(size=200) > 0).astype(float)])
    with pytest.raises(DataValidationError, match=r"'b0' and 'b1' have two empty cells"):
        ordinal_moments(x, ["b0", "b1", "b2"])


@pytest.mark.parametrize("estimator", ["ML", "GLS", "FIML"])
def test_estimators_without_ordinal_support(hs_ord: pd.DataFrame, estimator: str) -> None:
    with pytest.raises(InvalidParameterError, match=rf"'{estimator}' does not take ordinal"):
        _fit_syntax(CFA, hs_ord, estimator=estimator, ordinal=True)


def test_wlsmv_needs_ordinal(hs_ord: pd.DataFrame) -> None:
    with pytest.raises(InvalidParameterError, match=r"'WLSMV' is for ordinal items"):
        _fit_syntax(CFA, hs_ord, estimator="WLSMV")


def test_ordinal_with_pls_is_refused(hs_ord: pd.DataFrame) -> None:
    with pytest.raises(InvalidParameterError, match=r"ordinal=True is available with method"):
        csi.PathModel(spec=_spec()).fit(hs_ord, ordinal=True)


def test_constant_weights_equal_the_unweighted_ordinal_fit(hs_ord: pd.DataFrame) -> None:
    # sampling weights (lavaan's sampling.weights, tests/test_cbsem_weighted.py) are
    # rescaled to sum to N: a constant weight changes nothing
    data = hs_ord.assign(w=2.5)
    survey = csi.SurveyData.from_frame(data, weight="w", scale=(1, 5))
    model = csi.PathModel(spec=_spec())
    weighted = fit_cbsem(model, model.to_spec(), survey, estimator="WLSMV", ordinal=True)
    unweighted = survey.model_copy(update={"weight": None})
    plain = fit_cbsem(model, model.to_spec(), unweighted, estimator="WLSMV", ordinal=True)
    assert weighted.settings["weight"] == "w" and plain.settings["weight"] is None
    for col in ("estimate", "std_error"):
        np.testing.assert_allclose(weighted.parameters[col], plain.parameters[col], rtol=1e-9)


def test_single_indicator_construct_is_its_latent_response(hs_ord: pd.DataFrame) -> None:
    # B =~ x4 with x4 ~~ 0*x4 (what ModelSpec does for one indicator): B is x4's latent
    # response, so B ~ A must equal lavaan's regression of the ordinal x4 on the factor
    # (lavaan itself cannot fit the single-indicator form: its B ~~ B is not identified).
    spec = csi.ModelSpec.from_syntax("A =~ x1 + x2 + x3; B =~ x4; B ~ A")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = csi.PathModel(spec=spec).fit(
            hs_ord[["x1", "x2", "x3", "x4"]], method="cbsem", estimator="WLSMV", ordinal=True
        )
    assert not [w for w in caught if "nearly flat" in str(w.message)]
    lav = pd.read_csv(FIXTURES / "hs_ord_single_wlsmv_params.csv").set_index(["lhs", "op", "rhs"])
    path = res.paths.loc[("A", "B")]
    ref = lav.loc[("x4", "~", "visual")]
    assert path["estimate"] == pytest.approx(ref["est"], rel=1e-5)
    assert path["std_error"] == pytest.approx(ref["se"], rel=1e-5)
    assert path["std_estimate"] == pytest.approx(ref["std.all"], rel=1e-5)
    # B's residual variance is 1 - R², fixed like lavaan's x4 ~~ x4
    var_b = res.estimates.loc[("B", "~~", "B")]
    assert not var_b["free"] and np.isnan(var_b["std_error"])
    assert var_b["estimate"] == pytest.approx(lav.loc[("x4", "~~", "x4"), "est"], rel=1e-5)
    fit = pd.read_csv(FIXTURES / "hs_ord_single_wlsmv_fit.csv").set_index("measure")["value"]
    for theirs, mine in [
        ("chisq", "chi2"),
        ("chisq.scaled", "chi2_scaled"),
        ("npar", "n_parameters"),
    ]:
        assert float(res.fit.loc[mine, "value"]) == pytest.approx(float(fit[theirs]), rel=1e-5)
