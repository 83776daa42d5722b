"""Mixed continuous and ordinal items in CB-SEM (``ordered=`` a subset), checked against
lavaan 0.6-14.

The golden CSVs in tests/fixtures/lavaan/mixed/ were written by
tests/fixtures/lavaan/make_mixed_fixtures.R: the Holzinger-Swineford CFA with x1-x3 cut
in R into 4 ordered categories and x4-x9 continuous (``cfa(..., ordered = c("x1",
"x2", "x3"))`` with DWLS, WLSMV and WLS), lavaan's sample statistics of that set
(``lavInspect(fit, "wls.obs")`` and ``"gamma"``), and an ECSI-like structural model on
mobi with the IMAG and CUSA items ordinal (WLSMV). lavaan keeps the continuous items'
*negative* means among its thresholds; csimodels keeps them with their sign, so those
entries (and their rows and columns of Γ) are compared after a sign change.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import csimodels as csi
from csimodels.errors import DataValidationError, InvalidParameterError
from csimodels.sem._cbsem_mixed import mixed_moments
from csimodels.sem.cbsem import CBSEMResult

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "lavaan" / "mixed"
ITEMS = [f"x{i}" for i in range(1, 10)]
CFA = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
MOBI = """
IMAG =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
CUEX =~ CUEX1 + CUEX2 + CUEX3
CUSA =~ CUSA1 + CUSA2 + CUSA3
CUSL =~ CUSL1 + CUSL2 + CUSL3
CUEX ~ IMAG
CUSA ~ IMAG + CUEX
CUSL ~ CUSA
"""
MOBI_ORDERED = [f"IMAG{i}" for i in range(1, 6)] + [f"CUSA{i}" for i in range(1, 4)]
MEASURES = [
    "npar",
    "chisq",
    "df",
    "pvalue",
    "baseline.chisq",
    "baseline.df",
    "cfi",
    "tli",
    "rmsea",
    "rmsea.ci.lower",
    "rmsea.ci.upper",
    "srmr",
]
SCALED = [
    "chisq.scaled",
    "pvalue.scaled",
    "chisq.scaling.factor",
    "baseline.chisq.scaled",
    "cfi.scaled",
    "tli.scaled",
    "rmsea.scaled",
]


@pytest.fixture(scope="module")
def hs_mixed() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "hs_mixed_data.csv")


def _fit(syntax: str, data: pd.DataFrame, estimator: str, ordered: list[str]) -> CBSEMResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res: CBSEMResult = csi.CBSEM(syntax).fit(data, estimator=estimator, ordered=ordered)
    return res


def _lavaan(case: str) -> tuple[pd.DataFrame, pd.Series]:
    pe = pd.read_csv(FIXTURES / f"{case}_pe.csv", keep_default_na=False, na_values=["NA"])
    fm = pd.read_csv(FIXTURES / f"{case}_fm.csv").set_index("measure")["value"]
    return pe.set_index(["lhs", "op", "rhs"]), fm


# -- the sample statistics ------------------------------------------------------------------


def test_mixed_sample_statistics_match_lavaan(hs_mixed: pd.DataFrame) -> None:
    m = mixed_moments(hs_mixed[ITEMS].to_numpy(dtype=float), ITEMS, [False] * 3 + [True] * 6)
    obs = pd.read_csv(FIXTURES / "hs_mixed_wls_obs.csv")
    sign = np.where(obs["moment"].str.endswith("~1"), -1.0, 1.0)
    assert m.threshold_names == list(obs["moment"][:15])
    # thresholds, means, variances, covariances, polyserial and polychoric correlations
    np.testing.assert_allclose(m.vector, obs["value"].to_numpy() * sign, rtol=1e-6, atol=1e-9)
    gamma = pd.read_csv(FIXTURES / "hs_mixed_gamma.csv", index_col=0).to_numpy()
    np.testing.assert_allclose(m.gamma, gamma * np.outer(sign, sign), rtol=1e-5, atol=1e-7)
    # the correlation scale: ordinal diagonals 1, continuous items' variances apart
    assert np.allclose(np.diag(m.correlation), 1.0)
    np.testing.assert_allclose(np.diag(m.cov)[3:], m.vector[15:21])


def test_polyserial_is_invariant_to_linear_recoding() -> None:
    rng = np.random.default_rng(3)
    z = rng.multivariate_normal([0, 0], [[1, 0.5], [0.5, 1]], size=600)
    x = np.column_stack([z[:, 0], np.digitize(z[:, 1], [-0.6, 0.2, 1.0])])
    base = mixed_moments(x, ["y", "o"], [True, False])
    moved = mixed_moments(x * [3.0, 1.0] + [10.0, 0.0], ["y", "o"], [True, False])
    flipped = mixed_moments(x * [-1.0, 1.0], ["y", "o"], [True, False])
    rho = base.correlation[0, 1]
    assert moved.correlation[0, 1] == pytest.approx(rho, abs=1e-10)
    assert flipped.correlation[0, 1] == pytest.approx(-rho, abs=1e-10)
    assert rho == pytest.approx(0.5, abs=0.06)  # the latent correlation, recovered


# -- the models -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "estimator", "syntax", "ordered", "data"),
    [
        ("hs_mixed_dwls", "DWLS", CFA, ["x1", "x2", "x3"], "hs"),
        ("hs_mixed_wlsmv", "WLSMV", CFA, ["x1", "x2", "x3"], "hs"),
        ("hs_mixed_wls", "WLS", CFA, ["x1", "x2", "x3"], "hs"),
        ("mobi_mixed_wlsmv", "WLSMV", MOBI, MOBI_ORDERED, "mobi"),
    ],
)
def test_mixed_fits_match_lavaan(
    hs_mixed: pd.DataFrame,
    mobi: pd.DataFrame,
    case: str,
    estimator: str,
    syntax: str,
    ordered: list[str],
    data: str,
) -> None:
    frame = hs_mixed[ITEMS] if data == "hs" else mobi
    res = _fit(syntax, frame, estimator, ordered)
    lav, fm = _lavaan(case)
    params = res.parameters
    # every free lavaan parameter is in the table (intercepts of the continuous items,
    # thresholds of the ordinal ones); ours has no fixed zero means or scale factors
    assert int((params["free"]).sum()) == int((lav["free"] > 0).sum())
    for _, row in params.iterrows():
        key = (row["lhs"], row["op"], row["rhs"])
        ref = lav.loc[key] if key in lav.index else lav.loc[(key[2], key[1], key[0])]
        assert row["free"] == bool(ref["free"] > 0), key
        assert row["estimate"] == pytest.approx(ref["est"], rel=1e-5, abs=1e-8), key
        assert row["std_estimate"] == pytest.approx(ref["est.std"], rel=1e-5, abs=1e-8), key
        assert row["std_std_error"] == pytest.approx(ref["std.se"], rel=1e-5, abs=1e-8), key
        if row["free"]:
            assert row["std_error"] == pytest.approx(ref["se"], rel=1e-5), key
            assert row["ci_lower"] == pytest.approx(ref["ci.lower"], rel=1e-5, abs=1e-8), key
        else:  # the ordinal items' residual variances: 1 - R², no SE (as lavaan)
            assert np.isnan(row["std_error"])
    ours = res.fit_measures["value"]
    for name in MEASURES + (SCALED if estimator == "WLSMV" else []):
        assert float(ours[name]) == pytest.approx(float(fm[name]), rel=1e-5, abs=1e-8), name
    if estimator == "WLSMV":
        assert float(res.fit.loc["shift", "value"]) == pytest.approx(
            float(fm["shift.parameter"]), rel=1e-5
        )
    assert res.converged
    assert res.settings["se"] == ("robust.sem" if estimator == "WLSMV" else "standard")


def test_mixed_result_tables_and_json(hs_mixed: pd.DataFrame) -> None:
    before = hs_mixed.copy()
    res = _fit(CFA, hs_mixed[ITEMS], "WLSMV", ["x1", "x2", "x3"])
    pd.testing.assert_frame_equal(hs_mixed, before)
    # thresholds only for the ordinal items, the correlation matrix on its scale
    assert sorted(set(res.thresholds.index.get_level_values("item"))) == ["x1", "x2", "x3"]
    np.testing.assert_allclose(res.thresholds["estimate"], res.thresholds["sample"])
    assert np.allclose(np.diag(res.polychoric.to_numpy()), 1.0)
    means = res.parameters[res.parameters["op"] == "~1"].set_index("lhs")["estimate"]
    np.testing.assert_allclose(means.loc[ITEMS[3:]], hs_mixed[ITEMS[3:]].mean(), rtol=1e-10)
    assert res.settings["ordered"] == ["x1", "x2", "x3"]
    assert "polyserial" in str(res.summary())
    assert CBSEMResult.from_json(res.to_json()) == res


# -- bad input and diagnostics ----------------------------------------------------------------


def test_ordered_item_with_one_category_is_named(hs_mixed: pd.DataFrame) -> None:
    data = hs_mixed[ITEMS].assign(x2=3)
    with pytest.raises(DataValidationError, match=r"ordinal item 'x2' has a single observed"):
        _fit(CFA, data, "DWLS", ["x1", "x2", "x3"])


def test_constant_continuous_item_is_named(hs_mixed: pd.DataFrame) -> None:
    data = hs_mixed[ITEMS].assign(x5=4.0)
    with pytest.raises(DataValidationError, match=r"continuous item 'x5' has no variance"):
        _fit(CFA, data, "DWLS", ["x1", "x2", "x3"])


def test_unknown_ordered_name_is_refused(hs_mixed: pd.DataFrame) -> None:
    with pytest.raises(InvalidParameterError, match=r"'ordered'.*'x10'"):
        csi.CBSEM(CFA).fit(hs_mixed[ITEMS], estimator="DWLS", ordered=["x1", "x10"])


def test_heywood_case_is_reported_in_the_mixed_path(hs_mixed: pd.DataFrame) -> None:
    # speed's indicators with r78 = .8, r79 = .6, r89 = .3: the one-factor solution
    # needs λ7² = r78 r79 / r89 = 1.6 > 1, so x7's residual variance is negative
    rng = np.random.default_rng(0)
    a, e1, e2 = rng.normal(size=(3, len(hs_mixed)))
    data = hs_mixed[ITEMS].copy()
    data["x7"] = a
    data["x8"] = 0.8 * a + 0.6 * e1
    data["x9"] = 0.6 * a - 0.3 * e1 + np.sqrt(0.55) * e2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = csi.CBSEM(CFA).fit(data, estimator="DWLS", ordered=["x1", "x2", "x3"])
    heywood = [str(w.message) for w in caught if "Heywood" in str(w.message)]
    assert heywood and "x7 ~~ x7" in heywood[0] and heywood[0] in res.notes


# -- ordinal items in several groups ----------------------------------------------------------

GROUP_EQUAL = {
    "configural": [],
    "metric": ["loadings"],
    "scalar": ["loadings", "thresholds"],
}


@pytest.fixture(scope="module")
def hs_ordgroup() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "hs_ordgroup_data.csv")


@pytest.mark.parametrize(
    ("prefix", "step"),
    [
        ("hs_ordgroup", "configural"),
        ("hs_ordgroup", "metric"),
        ("hs_ordgroup", "scalar"),
        ("hs_mixedgroup", "configural"),
        ("hs_mixedgroup", "metric"),
        ("hs_mixedgroup", "scalar"),
    ],
)
def test_ordinal_groups_match_lavaan(
    hs_ordgroup: pd.DataFrame, hs_mixed: pd.DataFrame, prefix: str, step: str
) -> None:
    # hs_ordgroup: the nine HS tests (all ordinal) by school, WLSMV; "scalar" shares the
    # thresholds, so lavaan frees the scale factors (x ~*~ x) and latent means of
    # Grant-White. hs_mixedgroup: x1-x3 ordinal, x4-x9 continuous, by school (with equal
    # thresholds lavaan holds the continuous items' intercepts equal too).
    mixed = prefix == "hs_mixedgroup"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = csi.CBSEM(CFA).fit(
            hs_mixed if mixed else hs_ordgroup,
            estimator="WLSMV",
            ordered=["x1", "x2", "x3"] if mixed else True,
            group="school",
            group_equal=GROUP_EQUAL[step],
        )
    pe = pd.read_csv(FIXTURES / f"{prefix}_{step}_pe.csv", keep_default_na=False, na_values=["NA"])
    lav = pe.set_index(["lhs", "op", "rhs", "group"])
    fm = pd.read_csv(FIXTURES / f"{prefix}_{step}_fm.csv").set_index("measure")["value"]
    assert res.group_labels == ["Pasteur", "Grant-White"]  # lavaan's order (first seen)
    params = res.parameters
    assert int(params["free"].sum()) == int((lav["free"] > 0).sum())
    for _, row in params.iterrows():
        key = (row["lhs"], row["op"], row["rhs"], row["group"])
        if key not in lav.index:
            key = (key[2], key[1], key[0], key[3])
        ref = lav.loc[key]
        assert row["free"] == bool(ref["free"] > 0), key
        assert row["estimate"] == pytest.approx(ref["est"], rel=1e-5, abs=1e-8), key
        assert row["std_estimate"] == pytest.approx(ref["est.std"], rel=1e-5, abs=1e-8), key
        if row["free"]:
            assert row["std_error"] == pytest.approx(ref["se"], rel=1e-5), key
    if step == "scalar":
        shared = params[(params["op"] == "|") & (params["lhs"] == "x1")]
        assert shared.groupby("rhs")["estimate"].nunique().eq(1).all()
        # scale factors of the ordinal items only (continuous items have none)
        assert (params["op"] == "~*~").sum() == (3 if mixed else 9)
    ours = res.fit_measures["value"]
    for name in MEASURES + SCALED:
        assert float(ours[name]) == pytest.approx(float(fm[name]), rel=1e-5, abs=1e-8), name
    assert float(ours["chisq.shift.parameters"]) == pytest.approx(
        float(fm["shift.parameter"]), rel=1e-5
    )
    assert res.thresholds.index.names == ["group", "item", "threshold"]
    assert CBSEMResult.from_json(res.to_json()) == res


def test_group_with_an_empty_category_is_named(hs_ordgroup: pd.DataFrame) -> None:
    data = hs_ordgroup.copy()
    gw = data["school"] == "Grant-White"
    data.loc[gw & (data["x4"] == 5), "x4"] = 4  # Grant-White: nobody in x4's top category
    with pytest.raises(DataValidationError, match=r"'x4 in group Grant-White \(no 5\)'"):
        csi.CBSEM(CFA).fit(data, estimator="WLSMV", ordered=True, group="school")


def test_too_small_ordinal_group_is_named(hs_ordgroup: pd.DataFrame) -> None:
    small = pd.concat(
        [
            hs_ordgroup[hs_ordgroup["school"] == "Pasteur"],
            hs_ordgroup[hs_ordgroup["school"] == "Grant-White"].iloc[:40],
        ]
    )
    with pytest.raises(DataValidationError, match=r"group 'Grant-White': 40 respondents"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            csi.CBSEM(CFA).fit(small, estimator="WLSMV", ordered=True, group="school")


@pytest.mark.parametrize(
    ("kw", "pattern"),
    [
        ({"ordered": False, "estimator": "ML", "group_equal": ["thresholds"]}, r"'intercepts'"),
        ({"ordered": True, "estimator": "ML"}, r"does not take ordinal"),
    ],
)
def test_unavailable_group_options_are_refused(
    hs_mixed: pd.DataFrame, kw: dict[str, object], pattern: str
) -> None:
    kw.setdefault("estimator", "WLSMV")
    with pytest.raises(InvalidParameterError, match=pattern):
        csi.CBSEM(CFA).fit(hs_mixed, group="school", **kw)  # type: ignore[arg-type]


def test_ordinal_invariance_ladder_matches_lavaan(hs_ordgroup: pd.DataFrame) -> None:
    # lavTestLRT(configural, metric, scalar) of the WLSMV fits: lavaan's scaled-and-
    # shifted difference test (satorra.2000); per step the standard χ² ("Chisq")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = csi.measurement_invariance(
            csi.CBSEM(CFA), hs_ordgroup, group="school", estimator="WLSMV", ordered=True
        )
    lrt = pd.read_csv(FIXTURES / "hs_ordgroup_lrt.csv").set_index("model")
    steps = res.steps
    assert list(steps.index) == ["configural", "metric", "scalar"]  # no strict step
    assert steps.loc["scalar", "group_equal"] == "loadings, thresholds"
    for step in ("metric", "scalar"):
        assert steps.loc[step, "chisq_diff"] == pytest.approx(lrt.loc[step, "Chisq diff"], rel=1e-5)
        assert steps.loc[step, "df_diff"] == lrt.loc[step, "Df diff"]
        assert steps.loc[step, "p_value_diff"] == pytest.approx(
            lrt.loc[step, "Pr(>Chisq)"], rel=1e-4
        )
        assert float(res.fits[step].fit.loc["chi2", "value"]) == pytest.approx(
            lrt.loc[step, "Chisq"], rel=1e-5
        )
    # per step: the scaled χ², CFI and RMSEA of the fits
    scalar = res.fits["scalar"].fit["value"]
    assert steps.loc["scalar", "chisq"] == pytest.approx(float(scalar["chi2_scaled"]))
    assert steps.loc["scalar", "cfi"] == pytest.approx(float(scalar["cfi_scaled"]))
    assert list(steps["verdict"]) == ["baseline", "holds", "does not hold"]
    assert res.settings["difference_test"].startswith("satorra.2000")


@pytest.mark.parametrize(
    ("kw", "pattern"),
    [
        ({"estimator": "WLSMV"}, r"is for ordinal items here: pass ordered"),
        ({"estimator": "ML", "ordered": True}, r"'ML' does not take ordinal"),
        (
            {"estimator": "WLSMV", "ordered": True, "steps": ("configural", "strict")},
            r"'strict' has no meaning with ordinal items",
        ),
    ],
)
def test_ordinal_ladder_bad_options(
    hs_ordgroup: pd.DataFrame, kw: dict[str, Any], pattern: str
) -> None:
    with pytest.raises(InvalidParameterError, match=pattern):
        csi.measurement_invariance(csi.CBSEM(CFA), hs_ordgroup, group="school", **kw)


# -- the bootstrap of ordinal fits ------------------------------------------------------------


def test_ordinal_bootstrap_matches_lavaan_within_monte_carlo_error(
    hs_mixed: pd.DataFrame,
) -> None:
    """lavaan: se = "bootstrap", 500 draws (seed 1), DWLS; ours: 500 draws. The SE of a
    bootstrap SE from B draws is about SE/√(2B), 3.2% each, 4.5% for the ratio of two:
    every ratio within 4 of those, their mean within 3%."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = csi.CBSEM(CFA).fit(
            hs_mixed[ITEMS],
            estimator="DWLS",
            ordered=["x1", "x2", "x3"],
            inference=csi.inference.Bootstrap(n=500, random_state=1),
        )
    lav = pd.read_csv(FIXTURES / "hs_mixed_boot_se.csv", keep_default_na=False, na_values=["NA"])
    p = res.parameters.set_index(["lhs", "op", "rhs"])
    ratios = np.array(
        [float(p.loc[(r.lhs, r.op, r.rhs), "std_error"]) / r.se for r in lav.itertuples()]
    )
    assert ratios.size == 33  # loadings, thresholds, variances, the continuous means
    assert np.all(np.abs(ratios - 1) < 0.18)
    assert abs(ratios.mean() - 1) < 0.03
    assert res.settings["inference"] == "bootstrap" and res.settings["n_failed"] == 0
    free = res.parameters[res.parameters["free"]]
    assert (free["ci_lower"] < free["estimate"]).all()
    assert (free["ci_upper"] > free["estimate"]).all()


def test_ordinal_draws_equal_a_loop_of_single_fits(hs_mixed: pd.DataFrame) -> None:
    from csimodels.sem import _cbsem_bootstrap as cbb
    from csimodels.sem import _cbsem_estimate as ce
    from csimodels.sem._cbsem_diagnostics import ordinal_moments
    from csimodels.sem._cbsem_partable import build_partable
    from csimodels.sem._cbsem_syntax import parse_syntax

    ordered = ("x1", "x2", "x3")
    table = build_partable(parse_syntax(CFA))
    items = list(table.observed)
    x = hs_mixed[items].to_numpy(dtype=float)
    om = ordinal_moments(x, items, items, {}, [], ordered)
    est = ce.estimate(table, [ce.GroupData("1", x, None)], items, "DWLS", ordinal=om, conditions=[])
    idx = cbb.draw_indices(7, 5, est.n)
    draws = cbb.refit_draws(est, idx, gtol=1e-9)  # the single fits' tolerance
    assert draws.ok.all()
    for b in range(idx.shape[0]):
        sample = hs_mixed[items].iloc[idx[b]].reset_index(drop=True)
        single = _fit(CFA, sample, "DWLS", list(ordered))
        ours = cbb.statistics(est, draws.theta[b])[: len(single.parameters)]
        np.testing.assert_allclose(
            ours, single.parameters["estimate"].to_numpy(), rtol=1e-6, atol=1e-7
        )


def test_ordinal_bootstrap_counts_draws_that_lose_a_category(
    hs_ordgroup: pd.DataFrame,
) -> None:
    # by school, with x1's top category down to three Pasteur answers: some resamples
    # lose it, those draws fail and are counted
    data = hs_ordgroup.copy()
    top = data.index[(data["x1"] == 5) & (data["school"] == "Pasteur")]
    data.loc[top[3:], "x1"] = 4
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = csi.CBSEM(CFA).fit(
            data.loc[data["school"] == "Pasteur"],
            estimator="WLSMV",
            ordered=True,
            inference=csi.inference.Bootstrap(n=40, random_state=2),
        )
    failed = res.settings["n_failed"]
    # P(a resample of 156 misses all 3): (1 - 3/156)^156 ≈ 0.05, so ~2 of 40
    assert 0 < failed < 10
    note = [str(w.message) for w in caught if "lost an answer category" in str(w.message)]
    assert note and note[0].startswith(f"{failed} of 40")
    assert res.parameters.loc[res.parameters["free"], "std_error"].notna().all()


def test_ordinal_group_bootstrap_resamples_within_groups(hs_ordgroup: pd.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = csi.CBSEM(CFA).fit(
            hs_ordgroup,
            estimator="WLSMV",
            ordered=True,
            group="school",
            group_equal=["loadings", "thresholds"],
            inference=csi.inference.Bootstrap(n=30, random_state=4),
        )
        plain = csi.CBSEM(CFA).fit(
            hs_ordgroup,
            estimator="WLSMV",
            ordered=True,
            group="school",
            group_equal=["loadings", "thresholds"],
        )
    free = res.parameters["free"].to_numpy(dtype=bool)
    se = res.parameters["std_error"].to_numpy()[free]
    ref = plain.parameters["std_error"].to_numpy()[free]
    assert np.isfinite(se).all()
    # 30 draws: each bootstrap SE within about ±40% of the robust one
    assert np.median(se / ref) == pytest.approx(1.0, abs=0.15)
    np.testing.assert_allclose(res.parameters["estimate"], plain.parameters["estimate"])


def test_observed_covariate_with_ordinal_items_is_refused(hs_mixed: pd.DataFrame) -> None:
    with pytest.raises(InvalidParameterError, match=r"covariate 'x4'.*conditional\.x"):
        csi.CBSEM("visual =~ x1 + x2 + x3\nvisual ~ x4").fit(
            hs_mixed[ITEMS], estimator="DWLS", ordered=["x1", "x2", "x3"]
        )


def test_single_continuous_indicator_keeps_its_variance(hs_mixed: pd.DataFrame) -> None:
    # T =~ x4 with x4 ~~ 0*x4: T is x4 itself, so its variance is a parameter (not the
    # 1 − R² of an ordinal latent response) and equals x4's ML variance (the moment is
    # fitted exactly: T only enters x4's variance and its covariances)
    res = _fit(
        "visual =~ x1 + x2 + x3\nT =~ x4\nx4 ~~ 0*x4\nvisual ~~ T",
        hs_mixed[ITEMS],
        "DWLS",
        ["x1", "x2", "x3"],
    )
    row = res.parameters.set_index(["lhs", "op", "rhs"]).loc[("T", "~~", "T")]
    assert bool(row["free"]) and np.isfinite(row["std_error"])
    assert row["estimate"] == pytest.approx(hs_mixed["x4"].var(ddof=0), rel=1e-8)
