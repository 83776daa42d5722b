"""Sampling weights with ordinal and mixed items, and ordinal ULS / ULSMV, in CB-SEM,
checked against lavaan 0.6-14.

The golden CSVs in tests/fixtures/lavaan/weighted/ were written by
tests/fixtures/lavaan/make_weighted_fixtures.R: a weight per Holzinger-Swineford row
(``runif(301, 0.3, 2.5)`` rounded to 3 decimals, ``set.seed(20261201)``,
``hs_weights.csv``), lavaan's weighted sample statistics (``lavInspect(fit,
"wls.obs")`` and ``"gamma"``), and ``cfa(..., ordered = ..., sampling.weights = "w")``
fits of the all-ordinal and the mixed HS data (DWLS, WLSMV, WLS; by school with the
invariance ladder), the unweighted and weighted ULS / ULSMV fits, and the bundled
weighted example (``acsi_demo``) with every item ordinal. lavaan rescales the weights
to sum to N over all groups (``sampling.weights.normalization = "total"``).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from test_cbsem_mixed import GROUP_EQUAL, SCALED
from test_cbsem_mixed import MEASURES as MIXED_MEASURES

import csimodels as csi
from csimodels.errors import DataValidationError, InvalidParameterError
from csimodels.sem._cbsem_mixed import mixed_moments
from csimodels.sem._cbsem_ordinal import ordinal_moments
from csimodels.sem.cbsem import CBSEMResult

LAVAAN = Path(__file__).resolve().parent / "fixtures" / "lavaan"
FIXTURES = LAVAAN / "weighted"
ITEMS = [f"x{i}" for i in range(1, 10)]
ORD = ["x1", "x2", "x3"]
CFA = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
#: lavaan's p-value of a ULS χ² is NA (its distribution is not χ²)
MEASURES = [m for m in MIXED_MEASURES if m != "pvalue"]


@pytest.fixture(scope="module")
def hs_ord() -> pd.DataFrame:
    d = pd.read_csv(LAVAAN / "hs_ordinal_data.csv")
    w = pd.read_csv(FIXTURES / "hs_weights.csv")
    return d.assign(w=w["w"], school=w["school"])


@pytest.fixture(scope="module")
def hs_mixed() -> pd.DataFrame:
    d = pd.read_csv(LAVAAN / "mixed" / "hs_mixed_data.csv")
    return d.assign(w=pd.read_csv(FIXTURES / "hs_weights.csv")["w"])


def _lavaan_weights() -> np.ndarray:
    w = pd.read_csv(FIXTURES / "hs_weights.csv")["w"].to_numpy(dtype=float)
    return np.asarray(w * (w.size / w.sum()))


def _fit(data: Any, estimator: str, ordered: Any, **kw: Any) -> CBSEMResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res: CBSEMResult = csi.CBSEM(kw.pop("syntax", CFA)).fit(
            data, estimator=estimator, ordered=ordered, **kw
        )
    return res


def _compare(
    res: CBSEMResult,
    case: str,
    robust: bool,
    skip: tuple[str, ...] = (),
    params: pd.DataFrame | None = None,
) -> None:
    """Every parameter (estimate, SE, standardised estimate) and the fit measures
    against lavaan's ``case``; ``params``: the parameter table in lavaan's form."""
    pe = pd.read_csv(FIXTURES / f"{case}_pe.csv", keep_default_na=False, na_values=["NA"])
    lav = pe.set_index(["lhs", "op", "rhs", "group"])
    fm = pd.read_csv(FIXTURES / f"{case}_fm.csv").set_index("measure")["value"]
    params = res.parameters if params is None else params
    if "group" not in params.columns:
        params = params.assign(group=1)
    compared = 0
    for _, row in params.iterrows():
        names = {row["lhs"], row["rhs"]}
        if names & set(skip):
            continue
        key = (row["lhs"], row["op"], row["rhs"], row["group"])
        if key not in lav.index:
            key = (key[2], key[1], key[0], key[3])
        ref = lav.loc[key]
        assert row["free"] == bool(ref["free"] > 0), key
        assert row["estimate"] == pytest.approx(ref["est"], rel=1e-5, abs=1e-8), key
        assert row["std_estimate"] == pytest.approx(ref["est.std"], rel=1e-5, abs=1e-8), key
        if row["free"]:
            assert row["std_error"] == pytest.approx(ref["se"], rel=1e-5), key
        else:  # the ordinal items' residual variances: 1 - R², no SE (as lavaan)
            assert np.isnan(row["std_error"])
        compared += 1
    assert compared >= 30
    if not skip:  # every free lavaan parameter is ours (thresholds, intercepts included)
        assert int(params["free"].sum()) == int((lav["free"] > 0).sum())
    ours = res.fit_measures["value"]
    for name in MEASURES + (SCALED if robust else []):
        assert float(ours[name]) == pytest.approx(float(fm[name]), rel=1e-5, abs=1e-8), name
    if robust:
        assert float(ours["chisq.shift.parameters"]) == pytest.approx(
            float(fm["shift.parameter"]), rel=1e-5
        )
    assert res.converged


# -- the weighted sample statistics -----------------------------------------------------------


def test_weighted_ordinal_statistics_match_lavaan(hs_ord: pd.DataFrame) -> None:
    w = _lavaan_weights()
    m = ordinal_moments(hs_ord[ITEMS].to_numpy(dtype=float), ITEMS, weights=w)
    obs = pd.read_csv(FIXTURES / "hs_ord_w_wls_obs.csv")
    assert m.threshold_names == [v for v in obs["moment"] if "|" in v]
    # weighted thresholds (Φ⁻¹ of weighted proportions) and polychorics (weighted tables)
    np.testing.assert_allclose(m.vector, obs["value"], rtol=1e-6, atol=1e-9)
    gamma = pd.read_csv(FIXTURES / "hs_ord_w_gamma.csv", index_col=0).to_numpy()
    np.testing.assert_allclose(m.gamma, gamma, rtol=1e-5, atol=1e-7)
    # the weights matter: the unweighted statistics are elsewhere
    plain = ordinal_moments(hs_ord[ITEMS].to_numpy(dtype=float), ITEMS)
    assert np.max(np.abs(plain.vector - m.vector)) > 0.01


def test_weighted_mixed_statistics_match_lavaan(hs_mixed: pd.DataFrame) -> None:
    w = _lavaan_weights()
    m = mixed_moments(
        hs_mixed[ITEMS].to_numpy(dtype=float), ITEMS, [False] * 3 + [True] * 6, None, w
    )
    obs = pd.read_csv(FIXTURES / "hs_mixed_w_wls_obs.csv")
    sign = np.where(obs["moment"].str.endswith("~1"), -1.0, 1.0)  # lavaan keeps −means
    np.testing.assert_allclose(m.vector, obs["value"].to_numpy() * sign, rtol=1e-6, atol=1e-9)
    gamma = pd.read_csv(FIXTURES / "hs_mixed_w_gamma.csv", index_col=0).to_numpy()
    np.testing.assert_allclose(m.gamma, gamma * np.outer(sign, sign), rtol=1e-5, atol=1e-7)
    # the continuous items' means and variances are the weighted ones (divisor Σ w)
    x = hs_mixed[ITEMS[3:]].to_numpy(dtype=float)
    mean = np.average(x, axis=0, weights=w)
    np.testing.assert_allclose(m.vector[15:21], np.average((x - mean) ** 2, axis=0, weights=w))


def test_integer_weights_estimate_as_repeated_rows(hs_mixed: pd.DataFrame) -> None:
    # an independent check of the point estimates: weight 2 is a respondent counted
    # twice (thresholds, means, variances, polychoric and polyserial correlations and
    # the model estimates); Γ differs (sampling weights are not frequencies)
    w = np.tile([1.0, 2.0, 1.0], 101)[: len(hs_mixed)]
    data = hs_mixed[ITEMS].assign(w=w)
    repeated = pd.concat([hs_mixed[ITEMS], hs_mixed[ITEMS][w == 2]], ignore_index=True)
    num = [False] * 3 + [True] * 6
    a = mixed_moments(data[ITEMS].to_numpy(dtype=float), ITEMS, num, None, w * len(w) / w.sum())
    b = mixed_moments(repeated.to_numpy(dtype=float), ITEMS, num)
    np.testing.assert_allclose(a.vector, b.vector, rtol=1e-8, atol=1e-10)
    # ULS (identity weight matrix) depends on the sample statistics only
    fa = _fit(data, "ULS", ORD, weight="w")
    fb = _fit(repeated, "ULS", ORD)
    np.testing.assert_allclose(
        fa.parameters["estimate"], fb.parameters["estimate"], rtol=1e-6, atol=1e-8
    )
    assert fa.settings["weight"] == "w" and fb.settings["weight"] is None


# -- the weighted models ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "estimator", "data"),
    [
        ("hs_ord_w_dwls", "DWLS", "ord"),
        ("hs_ord_w_wlsmv", "WLSMV", "ord"),
        ("hs_ord_w_wls", "WLS", "ord"),
        ("hs_mixed_w_dwls", "DWLS", "mixed"),
        ("hs_mixed_w_wlsmv", "WLSMV", "mixed"),
        ("hs_mixed_w_wls", "WLS", "mixed"),
        ("hs_mixed_w_ulsmv", "ULSMV", "mixed"),
    ],
)
def test_weighted_fits_match_lavaan(
    hs_ord: pd.DataFrame, hs_mixed: pd.DataFrame, case: str, estimator: str, data: str
) -> None:
    frame = hs_ord[[*ITEMS, "w"]] if data == "ord" else hs_mixed
    before = frame.copy()
    res = _fit(frame, estimator, True if data == "ord" else ORD, weight="w")
    pd.testing.assert_frame_equal(frame, before)
    _compare(res, case, robust=estimator.endswith("MV"))
    assert res.settings["weight"] == "w"
    assert res.settings["se"] == ("robust.sem" if estimator.endswith("MV") else "standard")


@pytest.mark.parametrize(
    ("prefix", "step"),
    [
        ("hs_ordgroup_w", "configural"),
        ("hs_ordgroup_w", "metric"),
        ("hs_ordgroup_w", "scalar"),
        ("hs_mixedgroup_w", "configural"),
        ("hs_mixedgroup_w", "scalar"),
    ],
)
def test_weighted_groups_match_lavaan(
    hs_ord: pd.DataFrame, hs_mixed: pd.DataFrame, prefix: str, step: str
) -> None:
    # by school, the weights normalised over the whole sample (lavaan's "total"): a
    # group's size in the discrepancy and χ² is its sum of weights on that scale
    mixed = prefix == "hs_mixedgroup_w"
    data = hs_mixed.assign(school=hs_ord["school"]) if mixed else hs_ord
    survey = csi.SurveyData.from_frame(data, items=ITEMS, weight="w", segments=["school"])
    res = _fit(
        survey, "WLSMV", ORD if mixed else True, group="school", group_equal=GROUP_EQUAL[step]
    )
    assert res.group_labels == ["Pasteur", "Grant-White"]
    _compare(res, f"{prefix}_{step}", robust=True)
    assert CBSEMResult.from_json(res.to_json()) == res


def test_weighted_ordinal_invariance_ladder_matches_lavaan(hs_ord: pd.DataFrame) -> None:
    # lavTestLRT of the weighted WLSMV ladder: the scaled-and-shifted difference tests
    # (satorra.2000) with the groups' sums of weights as their sizes
    survey = csi.SurveyData.from_frame(hs_ord, items=ITEMS, weight="w", segments=["school"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = csi.measurement_invariance(
            csi.CBSEM(CFA), survey, group="school", estimator="WLSMV", ordered=True
        )
    lrt = pd.read_csv(FIXTURES / "hs_ordgroup_w_lrt.csv").set_index("model")
    steps = res.steps
    for step in ("metric", "scalar"):
        assert steps.loc[step, "chisq_diff"] == pytest.approx(lrt.loc[step, "Chisq diff"], rel=1e-5)
        assert steps.loc[step, "df_diff"] == lrt.loc[step, "Df diff"]
        assert steps.loc[step, "p_value_diff"] == pytest.approx(
            lrt.loc[step, "Pr(>Chisq)"], rel=1e-4
        )
    for step in ("configural", "metric", "scalar"):
        chi2 = float(res.fits[step].fit.loc["chi2", "value"])
        assert chi2 == pytest.approx(lrt.loc[step, "Chisq"], rel=1e-5)
        assert res.fits[step].settings["weight"] == "w"


def test_weight_none_fits_the_survey_unweighted(hs_ord: pd.DataFrame) -> None:
    survey = csi.SurveyData.from_frame(hs_ord[[*ITEMS, "w"]], items=ITEMS, weight="w")
    weighted = _fit(survey, "WLSMV", True)
    plain = _fit(survey, "WLSMV", True, weight=None)
    reference = _fit(hs_ord[ITEMS], "WLSMV", True)
    assert weighted.settings["weight"] == "w" and plain.settings["weight"] is None
    np.testing.assert_allclose(plain.parameters["estimate"], reference.parameters["estimate"])
    diff = weighted.parameters["estimate"].to_numpy() - plain.parameters["estimate"].to_numpy()
    assert np.max(np.abs(diff)) > 0.01


def test_bundled_weighted_example_fits_ordinal_as_lavaan() -> None:
    # acsi_demo (a SurveyData with a weight column), all 14 items ordinal, WLSMV. lavaan
    # cannot identify Complaints =~ COMP1 with COMP1 ~~ 0*COMP1, so its equivalent model
    # regresses the ordinal COMP1 itself; the fit, and every block but Loyalty (whose
    # predictor is then an ordinal item, which lavaan scales differently), agree.
    data = csi.datasets.load_example("acsi_demo")
    fixture = pd.read_csv(FIXTURES / "acsi_demo_complete.csv")
    complete = data.frame[list(fixture.columns)].dropna()
    assert np.array_equal(complete.to_numpy(), fixture.to_numpy()), (
        "acsi_demo changed: rerun make_weighted_fixtures.R after exporting its complete cases"
    )
    acsi = csi.ACSI(indicators=data.constructs)
    res = _fit(data, "WLSMV", True, syntax=acsi.to_spec())
    assert res.settings["weight"] == "weight"
    assert res.settings["n_used"] == len(fixture)
    renamed = res.parameters.replace(
        {"lhs": {"Complaints": "COMP1"}, "rhs": {"Complaints": "COMP1"}}
    )
    renamed = renamed[~((renamed["lhs"] == "COMP1") & (renamed["op"] == "=~"))]
    _compare(
        res,
        "acsi_demo_w_wlsmv",
        robust=True,
        skip=("Loyalty", "LOY1", "LOY2", "COMP1"),
        params=renamed,
    )
    path = renamed.set_index(["lhs", "op", "rhs"]).loc[("COMP1", "~", "Satisfaction")]
    lav = pd.read_csv(FIXTURES / "acsi_demo_w_wlsmv_pe.csv").set_index(["lhs", "op", "rhs"])
    assert path["estimate"] == pytest.approx(
        lav.loc[("COMP1", "~", "Satisfaction"), "est"], rel=1e-5
    )
    # the PathModel route takes the survey's weights too
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        via = acsi.fit(data, method="cbsem", estimator="WLSMV", ordinal=True)
    assert via.settings["weight"] == "weight"


# -- ordinal ULS and ULSMV ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "estimator", "data"),
    [
        ("hs_ord_uls", "ULS", "ord"),
        ("hs_ord_ulsmv", "ULSMV", "ord"),
        ("hs_mixed_uls", "ULS", "mixed"),
        ("hs_mixed_ulsmv", "ULSMV", "mixed"),
    ],
)
def test_ordinal_uls_matches_lavaan(
    hs_ord: pd.DataFrame, hs_mixed: pd.DataFrame, case: str, estimator: str, data: str
) -> None:
    frame = hs_ord[ITEMS] if data == "ord" else hs_mixed[ITEMS]
    res = _fit(frame, estimator, True if data == "ord" else ORD)
    _compare(res, case, robust=estimator == "ULSMV")
    assert np.isnan(float(res.fit_measures.loc["pvalue", "value"]))  # lavaan: NA for ULS
    if estimator == "ULSMV":
        assert res.settings["test"] == "scaled.shifted"
        assert CBSEMResult.from_json(res.to_json()) == res


def test_ordinal_ulsmv_groups_match_lavaan(hs_ord: pd.DataFrame) -> None:
    res = _fit(
        hs_ord[[*ITEMS, "school"]],
        "ULSMV",
        True,
        group="school",
        group_equal=["loadings", "thresholds"],
    )
    _compare(res, "hs_ordgroup_ulsmv_scalar", robust=True)


# -- the bootstrap of weighted ordinal fits ----------------------------------------------------


def test_weighted_ordinal_draws_equal_single_weighted_fits(hs_mixed: pd.DataFrame) -> None:
    from csimodels.sem import _cbsem_bootstrap as cbb

    keep: list[Any] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        csi.CBSEM(CFA).fit_collect(hs_mixed, estimator="DWLS", ordered=ORD, weight="w", _keep=keep)
    est = keep[0]
    idx = cbb.draw_indices(11, 3, est.n)
    draws = cbb.refit_draws(est, idx, gtol=1e-9)
    assert draws.ok.all()
    for b in range(idx.shape[0]):
        sample = hs_mixed.iloc[idx[b]].reset_index(drop=True)
        single = _fit(sample, "DWLS", ORD, weight="w")
        ours = cbb.statistics(est, draws.theta[b])[: len(single.parameters)]
        np.testing.assert_allclose(
            ours, single.parameters["estimate"].to_numpy(), rtol=1e-6, atol=1e-7
        )


# -- bad input ----------------------------------------------------------------------------------


def test_category_with_only_zero_weights_is_named(hs_ord: pd.DataFrame) -> None:
    x = hs_ord[ITEMS].to_numpy(dtype=float)
    w = np.where(x[:, 1] == 1, 0.0, 1.0)  # everyone who answers x2 = 1 has weight 0
    with pytest.raises(DataValidationError, match=r"ordinal item 'x2 \(category 1\)'.*weight zero"):
        ordinal_moments(x, ITEMS, weights=w * len(w) / w.sum())
    # the data gate leaves respondents of weight zero out, so in a fit x2 has one
    # category (and one threshold) fewer
    data = hs_ord[[*ITEMS, "w"]].assign(w=hs_ord["w"] * w)
    res = _fit(data, "WLSMV", True, weight="w")
    assert res.settings["n_used"] == int((w > 0).sum())
    assert len(res.thresholds.loc["x2"]) == 3


def test_continuous_dwls_with_weights_is_refused(hs_mixed: pd.DataFrame) -> None:
    with pytest.raises(InvalidParameterError, match=r"'DWLS' of continuous items.*'w'"):
        csi.CBSEM(CFA).fit(hs_mixed, estimator="DWLS", weight="w")


def test_ulsmv_needs_ordinal_items(hs_mixed: pd.DataFrame) -> None:
    with pytest.raises(InvalidParameterError, match=r"'ULSMV' is for ordinal items.*'ULS'"):
        csi.CBSEM(CFA).fit(hs_mixed[ITEMS], estimator="ULSMV")
