"""CB-SEM speaks lavaan (issue 15): the public ``csi.CBSEM`` against lavaan 0.6-14.

Golden files: tests/fixtures/lavaan/syntax, written by
tests/fixtures/lavaan/make_syntax_fixtures.R (parameterEstimates merged with
standardizedSolution, every fitMeasures value, lavTestLRT of the invariance ladders;
lavaan's solutions polished to tight convergence). Estimates, standard errors,
standardised estimates with their delta-method standard errors, and fit measures are
compared to 1e-5 relative (absolute 1e-7 near zero).
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest

import csimodels as csi
from csimodels.errors import DataValidationError, InvalidParameterError, SpecificationError
from csimodels.sem import chi2_difference

FIX = Path(__file__).resolve().parent / "fixtures" / "lavaan" / "syntax"
SCRIPT = (FIX.parent / "make_syntax_fixtures.R").read_text()
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
REL = 1e-5
ABS = 1e-7


def _model(name: str) -> str:
    """A model exactly as the fixture script wrote it for lavaan."""
    match = re.search(rf'^{name} <- "(.*?)"', SCRIPT, flags=re.S | re.M)
    assert match is not None, name
    return match.group(1)


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
    return _read("holzinger_swineford39_data.csv")


def _quiet(model: csi.CBSEM, data: pd.DataFrame, **kw: Any) -> csi.CBSEMResult:
    res, _ = model.fit_collect(data, **kw)
    return res


#: lavaan fit measures csimodels reports under the same name.
MEASURES = (
    "npar",
    "fmin",
    "chisq",
    "df",
    "pvalue",
    "baseline.chisq",
    "baseline.df",
    "cfi",
    "tli",
    "logl",
    "unrestricted.logl",
    "aic",
    "bic",
    "ntotal",
    "rmsea",
    "rmsea.ci.lower",
    "rmsea.ci.upper",
    "rmsea.pvalue",
    "srmr",
)
ROBUST = (
    "chisq.scaled",
    "pvalue.scaled",
    "chisq.scaling.factor",
    "baseline.chisq.scaled",
    "baseline.chisq.scaling.factor",
    "cfi.scaled",
    "tli.scaled",
    "rmsea.scaled",
    "cfi.robust",
    "tli.robust",
    "rmsea.robust",
    "rmsea.ci.lower.robust",
    "rmsea.ci.upper.robust",
)


def _merge(case: str, res: csi.CBSEMResult) -> pd.DataFrame:
    """lavaan's rows (columns prefixed ``lav_``) beside ours, one row per parameter."""
    lav = pd.read_csv(FIX / f"{case}_pe.csv", keep_default_na=False, na_values=["NA"])
    key = ["lhs", "op", "rhs", "group"]
    lav = lav.rename(columns={c: f"lav_{c}" for c in lav.columns if c not in key})
    both = lav.merge(res.parameters, on=key, how="outer", indicator=True)
    assert (both["_merge"] == "both").all(), both.loc[both["_merge"] != "both", key]
    return both


def _check_column(merged: pd.DataFrame, ours: str, theirs: str) -> None:
    rows = merged
    if ours in ("std_error", "z", "ci_lower", "ci_upper"):
        rows = merged[merged["free"]]  # lavaan: se 0 / NA for fixed parameters
    a = rows[ours].to_numpy(dtype=float)
    b = rows[f"lav_{theirs}"].to_numpy(dtype=float)
    finite = np.isfinite(b) & (np.abs(b) > 0)
    assert finite.sum() > 0
    assert np.isfinite(a[finite]).all()
    # an interval bound near zero inherits the absolute error of estimate and SE
    atol = 1e-5 * float(np.nanmedian(np.abs(b))) if ours.startswith("ci_") else ABS
    np.testing.assert_allclose(a[finite], b[finite], rtol=REL, atol=atol)


def _check_fit(case: str, res: csi.CBSEMResult, robust: bool) -> None:
    lav = pd.read_csv(FIX / f"{case}_fm.csv").set_index("measure")["value"]
    ours = res.fit_measures["value"]
    for name in MEASURES + (ROBUST if robust else ()):
        assert float(ours[name]) == pytest.approx(float(lav[name]), rel=REL, abs=ABS), name


class CheckLavaan:
    """Compare one fit with one lavaan case (``<case>_pe.csv``, ``<case>_fm.csv``)."""

    case: ClassVar[str]
    syntax: ClassVar[str]
    data_name: ClassVar[str] = "hs"
    model_kw: ClassVar[dict[str, Any]] = {}
    fit_kw: ClassVar[dict[str, Any]] = {}
    robust: ClassVar[bool] = False

    @pytest.fixture(scope="class")
    @classmethod
    def res(cls, pd_data: pd.DataFrame, hs_data: pd.DataFrame) -> csi.CBSEMResult:
        data = pd_data if cls.data_name == "pd" else hs_data
        if cls.data_name == "hs_w":
            data = hs_data.assign(w=1 + (np.arange(len(hs_data)) % 3) / 2)
        return _quiet(csi.CBSEM(cls.syntax, **cls.model_kw), data, **cls.fit_kw)

    @pytest.fixture(scope="class")
    @classmethod
    def merged(cls, res: csi.CBSEMResult) -> pd.DataFrame:
        return _merge(cls.case, res)

    def test_converged(self, res: csi.CBSEMResult) -> None:
        assert res.converged and res.max_gradient < 1e-8

    def test_free_and_labels(self, merged: pd.DataFrame) -> None:
        body = merged[merged["op"] != ":="]
        assert ((body["lav_free"] > 0) == body["free"]).all()
        labelled = merged[merged["lav_label"].astype(str) != ""]
        assert (labelled["lav_label"].astype(str) == labelled["label"]).all()

    @pytest.mark.parametrize(
        ("ours", "theirs"),
        [
            ("estimate", "est"),
            ("std_error", "se"),
            ("z", "z"),
            ("ci_lower", "ci.lower"),
            ("ci_upper", "ci.upper"),
            ("std_estimate", "est.std"),
            ("std_std_error", "std.se"),
        ],
    )
    def test_column(self, merged: pd.DataFrame, ours: str, theirs: str) -> None:
        _check_column(merged, ours, theirs)

    def test_fit_measures(self, res: csi.CBSEMResult) -> None:
        _check_fit(self.case, res, self.robust)


class TestPoliticalDemocracyLabels(CheckLavaan):
    """Equal loadings by shared labels across time, labelled paths, ``:=`` effects."""

    case = "pd_labels"
    syntax = _model("pd_labels")
    data_name = "pd"

    def test_defined_effects(self, res: csi.CBSEMResult) -> None:
        p = res.parameters.set_index("lhs")
        path = res.parameters.set_index(["lhs", "op", "rhs"])["estimate"]
        indirect = path[("dem60", "~", "ind60")] * path[("dem65", "~", "dem60")]
        assert p.loc["indirect", "estimate"] == pytest.approx(indirect, rel=1e-12)
        assert res.settings["n_equality_constraints"] == 3
        assert int(res.fit_measures.loc["df", "value"]) == 38

    def test_summary_shows_defined_parameters(self, res: csi.CBSEMResult) -> None:
        assert "Defined parameters" in res.summary().as_text()


class TestPoliticalDemocracyMLR(CheckLavaan):
    case = "pd_mlr"
    syntax = _model("pd_model")
    data_name = "pd"
    fit_kw: ClassVar[dict[str, Any]] = {"estimator": "MLR"}
    robust = True


class TestHolzingerSwinefordMLR(CheckLavaan):
    case = "hs_mlr"
    syntax = _model("hs_model")
    fit_kw: ClassVar[dict[str, Any]] = {"estimator": "MLR"}
    robust = True


class TestSamplingWeightsMLR(CheckLavaan):
    """lavaan's ``sampling.weights`` with MLR: weighted moments, survey sandwich."""

    case = "hs_weights_mlr"
    syntax = _model("hs_model")
    data_name = "hs_w"
    fit_kw: ClassVar[dict[str, Any]] = {"estimator": "MLR", "weight": "w"}
    robust = True

    def test_ml_with_weights_is_robust_as_in_lavaan(self, hs_data: pd.DataFrame) -> None:
        data = hs_data.assign(w=1 + (np.arange(len(hs_data)) % 3) / 2)
        ml = _quiet(csi.CBSEM(self.syntax), data, weight="w")
        mlr = _quiet(csi.CBSEM(self.syntax), data, weight="w", estimator="MLR")
        pd.testing.assert_frame_equal(ml.parameters, mlr.parameters)
        assert ml.settings["se"] == "robust.huber.white"


class TestSamplingWeightsByGroup(CheckLavaan):
    """Sampling weights by school: normalised over the whole sample (lavaan's
    ``sampling.weights.normalization = "total"``)."""

    case = "hs_group_weights_mlr"
    syntax = _model("hs_model")
    data_name = "hs_w"
    fit_kw: ClassVar[dict[str, Any]] = {"estimator": "MLR", "weight": "w", "group": "school"}
    robust = True


class TestObservedCovariates(CheckLavaan):
    """``dem60 ~ x1 + x2`` with observed x: lavaan's fixed.x (the covariates' moments
    are given: not parameters, and the baseline keeps their covariance)."""

    case = "pd_covariates"
    syntax = _model("pd_covariates")
    data_name = "pd"


class TestObservedCovariatesMLR(CheckLavaan):
    case = "pd_covariates_mlr"
    syntax = _model("pd_covariates")
    data_name = "pd"
    fit_kw: ClassVar[dict[str, Any]] = {"estimator": "MLR"}
    robust = True


class TestFixedValues(CheckLavaan):
    """``0.6*x2`` fixed, ``NA*x4`` freed, ``start()``, a fixed variance and covariance."""

    case = "hs_fixed"
    syntax = _model("hs_fixed")


class TestStdLv(CheckLavaan):
    case = "hs_stdlv"
    syntax = _model("hs_model")
    model_kw: ClassVar[dict[str, Any]] = {"std_lv": True}


class TestStructuralWithIntercept(CheckLavaan):
    """Two purely dependent factors (residual covariance added as sem() does) and
    ``x1 ~ 1`` (which turns on the mean structure)."""

    case = "hs_sem"
    syntax = _model("hs_sem")


STEPS = {
    "configural": (),
    "metric": ("loadings",),
    "scalar": ("loadings", "intercepts"),
    "strict": ("loadings", "intercepts", "residuals"),
}


@pytest.mark.parametrize("estimator", ["ML", "MLR"])
@pytest.mark.parametrize("step", list(STEPS))
def test_multigroup_steps_match_lavaan(hs_data: pd.DataFrame, step: str, estimator: str) -> None:
    case = f"hs_group_{estimator.lower()}_{step}"

    res = _quiet(
        csi.CBSEM(_model("hs_model")),
        hs_data,
        estimator=estimator,
        group="school",
        group_equal=STEPS[step],
    )
    merged = _merge(case, res)
    for ours, theirs in [
        ("estimate", "est"),
        ("std_estimate", "est.std"),
        ("std_error", "se"),
        ("std_std_error", "std.se"),
    ]:
        _check_column(merged, ours, theirs)
    _check_fit(case, res, estimator == "MLR")
    assert res.group_labels == ["Pasteur", "Grant-White"]


def test_partial_invariance_matches_lavaan(hs_data: pd.DataFrame) -> None:
    res = _quiet(
        csi.CBSEM(_model("hs_model")),
        hs_data,
        group="school",
        group_equal=["loadings", "intercepts"],
        group_partial=["x3 ~ 1", "visual =~ x2"],
    )
    merged = _merge("hs_group_partial", res)
    _check_column(merged, "estimate", "est")
    _check_column(merged, "std_error", "se")
    fm = pd.read_csv(FIX / "hs_group_partial_fm.csv").set_index("measure")["value"]
    assert float(res.fit_measures.loc["chisq", "value"]) == pytest.approx(fm["chisq"], rel=REL)


@pytest.mark.parametrize("estimator", ["ML", "MLR"])
def test_invariance_ladder_matches_lavtestlrt(hs_data: pd.DataFrame, estimator: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        inv = csi.measurement_invariance(
            csi.CBSEM(_model("hs_model")), hs_data, group="school", estimator=estimator
        )
    lrt = pd.read_csv(FIX / f"hs_group_{estimator.lower()}_lrt.csv")
    steps = inv.steps
    np.testing.assert_allclose(steps["df"], lrt["Df"], rtol=0)
    np.testing.assert_allclose(steps["chisq_diff"][1:], lrt["Chisq diff"][1:], rtol=REL)
    np.testing.assert_allclose(steps["p_value_diff"][1:], lrt["Pr(>Chisq)"][1:], rtol=1e-4)
    assert list(steps["verdict"]) == ["baseline", "holds", "does not hold", "holds"]
    assert steps.loc["scalar", "chi2_rejects"]
    assert csi.result_from_json(inv.to_json()) == inv


def test_invariance_ladder_size_and_power() -> None:
    """Simulation: the scalar step's χ² difference test rejects about 5% of invariant
    data sets and nearly all data sets with one shifted intercept (0.5 SD, n = 250 per
    group). 40 replications each; the binomial 99.9% band for 5% of 40 is 0–7."""
    rng = np.random.default_rng(20261201)
    model = csi.CBSEM("F =~ a + b + c + d")
    rejected = {"invariant": 0, "shifted": 0}
    for kind in rejected:
        for _ in range(40):
            frames = []
            for g, mean in (("A", 0.0), ("B", 0.3)):
                f = rng.normal(mean, 1.0, size=(250, 1))
                x = 3.0 + f @ np.array([[1.0, 0.8, 0.7, 0.6]]) + rng.normal(size=(250, 4)) * 0.6
                if kind == "shifted" and g == "B":
                    x[:, 2] += 0.5
                df = pd.DataFrame(x, columns=["a", "b", "c", "d"])
                df["g"] = g
                frames.append(df)
            data = pd.concat(frames, ignore_index=True)
            inv = csi.measurement_invariance(model, data, group="g", steps=("metric", "scalar"))
            rejected[kind] += bool(inv.steps.loc["scalar", "chi2_rejects"])
    assert rejected["invariant"] <= 7
    assert rejected["shifted"] >= 36


def test_chi2_difference_of_nested_labels_matches_direct_fits(hs_data: pd.DataFrame) -> None:
    free = _quiet(csi.CBSEM(_model("hs_model")), hs_data)
    equal = _quiet(
        csi.CBSEM("visual =~ x1 + a*x2 + a*x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"),
        hs_data,
    )
    test = chi2_difference(equal, free)
    assert test["df_diff"] == 1
    diff = float(equal.fit.loc["chi2", "value"] - free.fit.loc["chi2", "value"])
    assert test["chi2_diff"] == pytest.approx(diff)
    with pytest.raises(SpecificationError, match="restricted model first"):
        chi2_difference(free, equal)


# ---------------------------------------------------------------------------------------
# one engine for the presets, results, contract
# ---------------------------------------------------------------------------------------


def test_presets_and_cbsem_share_the_engine() -> None:
    data = csi.datasets.load_example("acsi_demo")
    acsi = csi.ACSI(indicators=data.constructs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        preset = acsi.fit(data, method="cbsem")
        direct = csi.CBSEM(acsi.to_spec()).fit(data)
    pd.testing.assert_frame_equal(preset.parameters, direct.parameters)
    pd.testing.assert_frame_equal(preset.indices, direct.indices)
    assert "=~" in preset.syntax


def test_pure_cfa_and_covariances_are_accepted(hs_data: pd.DataFrame) -> None:
    res = _quiet(csi.CBSEM("visual =~ x1 + x2 + x3 + x4\nx1 ~~ x3"), hs_data)
    assert ("x1", "~~", "x3") in res.estimates.index
    assert int(res.fit.loc["df", "value"]) == 1


def test_json_round_trip_and_no_mutation(hs_data: pd.DataFrame) -> None:
    before = hs_data.copy()
    res = _quiet(csi.CBSEM(_model("hs_model")), hs_data, group="school", group_equal=["loadings"])
    pd.testing.assert_frame_equal(hs_data, before)
    back = csi.result_from_json(res.to_json())
    assert back == res
    json.loads(res.to_json())
    assert res.estimates.index.names == ["group", "lhs", "op", "rhs"]


def test_weight_none_overrides_the_survey_weight() -> None:
    data = csi.datasets.load_example("acsi_demo")
    spec = csi.ACSI(indicators=data.constructs).to_spec()
    with pytest.raises(InvalidParameterError, match="fit\\(weight=None\\)"):
        csi.CBSEM(spec).fit(data, estimator="DWLS")
    res, _ = csi.CBSEM(spec).fit_collect(data, estimator="DWLS", weight=None)
    assert res.settings["weight"] is None and res.settings["estimator"] == "DWLS"
    assert data.weight == "weight"  # the caller's SurveyData is unchanged


# ---------------------------------------------------------------------------------------
# bad input: each error names the line of syntax or the parameter
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("syntax", "pattern"),
    [
        ("f =~ x1 + x2 + x3\nf <~ x4", r"line 2 .*composites"),
        ("f =~ x1 + x2 + x3\nx1 | t1", r"line 2 .*ordered="),
        ("f =~ x1 + x2 + x3\nx4 x5", r"line 2 .*no operator"),
        ("f =~ x1 + 0.5**x2", r"line 1 .*empty modifier"),
        ("f =~ x1 + x2 + x3\nab := a*b", r"line 2 .*'a' is not a parameter label"),
        ("f =~ x1 + a*x2 + x3\nx4 ~ a*x1", r"label 'a' is used for different kinds"),
        ("f =~ x1 + x2 + x3\nf =~ x1", r"line 2 .*declared twice"),
        ("f =~ x1 + x2 + x3\nx1 ~ x1", r"line 2 .*regressed on itself"),
        ("f =~ x1 + a*x2 + b*x3\na > c", r"line 2 .*'c' is not a parameter label"),
        ("f =~ x1 + x2 + x1*x3", r"label 'x1' is also a variable name"),
        ("f =~ x1 + x2 + x3\nf ~~ g", r"line 2 \('f ~~ g'\): variable 'g' .*neither a latent"),
        ("f =~ x1 + x2 + x9", r"line 1 .*variable 'x9' .*nor a column of the data"),
        ("   ", r"empty"),
    ],
)
def test_bad_syntax_names_the_line(syntax: str, pattern: str) -> None:
    with pytest.raises(SpecificationError, match=pattern):
        csi.CBSEM(syntax).fit(pd.DataFrame({f"x{i}": [1.0, 2.0] for i in range(1, 5)}))


def test_unidentified_model_names_parameters(hs_data: pd.DataFrame) -> None:
    with pytest.raises(SpecificationError, match=r"not identified.*f =~ x1"):
        _quiet(csi.CBSEM("f =~ NA*x1 + x2 + x3 + x4"), hs_data)


def test_group_smaller_than_parameters_is_named(hs_data: pd.DataFrame) -> None:
    pasteur = hs_data[hs_data["school"] == "Pasteur"]
    small = pd.concat([pasteur, hs_data[hs_data["school"] == "Grant-White"].iloc[:20]])
    with pytest.raises(DataValidationError, match=r"group 'Grant-White': 20 respondents"):
        _quiet(csi.CBSEM(_model("hs_model")), small, group="school")


@pytest.mark.parametrize(
    ("kw", "pattern"),
    [
        ({"estimator": "MLM"}, r"'estimator'.*got 'MLM'"),
        ({"group_equal": ["loading"]}, r"group_equal.*'loading'"),
        ({"group": "school", "estimator": "GLS"}, r"does not fit several groups"),
        ({"ordered": ["x1"]}, r"does not take ordinal items"),
        ({"ordered": ["x99"]}, r"'x99'"),
        ({"missing": "pairwise"}, r"'missing'"),
        ({"level": 1.5}, r"'level'"),
        ({"estimator": "GLS", "group": None, "meanstructure_probe": True}, r"unexpected"),
    ],
)
def test_bad_options_are_refused(hs_data: pd.DataFrame, kw: dict[str, Any], pattern: str) -> None:
    if kw.pop("meanstructure_probe", False):
        with pytest.raises(InvalidParameterError, match="mean structure"):
            csi.CBSEM(_model("hs_model"), meanstructure=True).fit(hs_data, **kw)
        return
    with pytest.raises(InvalidParameterError, match=pattern):
        csi.CBSEM(_model("hs_model")).fit(hs_data, **kw)


def test_bad_constructor_arguments() -> None:
    with pytest.raises(InvalidParameterError, match="std_lv"):
        csi.CBSEM("f =~ a + b + c", std_lv="maybe")
    with pytest.raises(InvalidParameterError, match="twice"):
        csi.CBSEM("f =~ a + b + c", syntax="f =~ a + b + c")
    with pytest.raises(SpecificationError, match="line 1"):
        csi.CBSEM("f =~ a + + b")


# ---------------------------------------------------------------------------------------
# bootstrap
# ---------------------------------------------------------------------------------------


def _captured_estimation(model: csi.CBSEM, data: pd.DataFrame) -> Any:
    """The internal Estimation of a fit (to drive the bootstrap engine directly)."""
    from csimodels.sem import _cbsem_estimate as ce
    from csimodels.sem._cbsem_partable import build_partable
    from csimodels.sem._cbsem_syntax import parse_syntax

    parsed = parse_syntax(str(model.syntax))
    table = build_partable(parsed)
    items = table.observed
    x = data[items].to_numpy(dtype=float)
    return ce.estimate(table, [ce.GroupData("1", x, None)], list(items), "ML", conditions=[])


def test_batched_draws_equal_a_loop_of_single_fits(pd_data: pd.DataFrame) -> None:
    from csimodels.sem import _cbsem_bootstrap as cbb
    from csimodels.sem.cbsem import _fit_syntax

    syntax = _model("pd_model")
    est = _captured_estimation(csi.CBSEM(syntax), pd_data)
    idx = cbb.draw_indices(7, 12, est.n)
    draws = cbb.refit_draws(est, idx, gtol=1e-9)  # the single fits' tolerance
    assert draws.ok.all()
    items = list(est.table.observed)
    for b in range(idx.shape[0]):
        sample = pd_data[items].iloc[idx[b]].reset_index(drop=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            single = _fit_syntax(syntax, sample)
        free = single.parameters[single.parameters["free"]]
        ours = draws.theta[b][[r.free - 1 for r in est.table.rows if r.free]]
        np.testing.assert_allclose(ours, free["estimate"].to_numpy(), rtol=1e-6, atol=1e-6)


def test_bootstrap_matches_lavaan_within_monte_carlo_error(pd_data: pd.DataFrame) -> None:
    """lavaan: 1000 draws; ours: 500. The SE of an SE from B draws is about SE/√(2B):
    together ≈ 3.9% here, so every ratio within 15% and the median within 4%."""
    res = _quiet(
        csi.CBSEM(_model("pd_model")),
        pd_data,
        inference=csi.inference.Bootstrap(n=500, random_state=11),
    )
    lav = pd.read_csv(FIX / "pd_boot_se.csv")
    p = res.parameters.set_index(["lhs", "op", "rhs"])
    ratios = np.array(
        [float(p.loc[(r.lhs, r.op, r.rhs), "std_error"]) / r.se for r in lav.itertuples()]
    )
    assert ratios.size == 31
    assert np.all(np.abs(ratios - 1) < 0.15)
    assert abs(np.median(ratios) - 1) < 0.04
    assert res.settings["inference"] == "bootstrap" and res.settings["random_state"] == 11
    free = res.parameters[res.parameters["free"]]
    assert (free["ci_lower"] < free["estimate"]).all() and (
        free["ci_upper"] > free["estimate"]
    ).all()


def test_bootstrap_independent_of_chunking_and_covers_defined_effects(
    pd_data: pd.DataFrame,
) -> None:
    syntax = _model("pd_labels")
    a = _quiet(csi.CBSEM(syntax), pd_data, inference=csi.inference.Bootstrap(n=60, random_state=3))
    b = _quiet(
        csi.CBSEM(syntax),
        pd_data,
        inference=csi.inference.Bootstrap(n=60, random_state=3, chunk_size=7),
    )
    pd.testing.assert_frame_equal(a.parameters, b.parameters)
    defined = a.parameters[a.parameters["op"] == ":="]
    assert defined["std_error"].notna().all() and defined["std_std_error"].notna().all()
    bca = _quiet(
        csi.CBSEM(syntax),
        pd_data,
        inference=csi.inference.Bootstrap(n=60, random_state=3, method="bca"),
    )
    assert bca.settings["bootstrap_method"] == "bca"
    np.testing.assert_allclose(bca.parameters["std_error"], a.parameters["std_error"])
    assert not np.allclose(bca.parameters["ci_lower"].dropna(), a.parameters["ci_lower"].dropna())


def test_multigroup_bca_matches_scipy(hs_data: pd.DataFrame) -> None:
    """scipy.stats.bootstrap with two samples (the groups, resampled separately, as
    the stratified CB-SEM bootstrap) and method="BCa": given scipy's own bootstrap
    distribution, our group-wise jackknife and multi-sample acceleration reproduce its
    interval (its jackknife leaves each respondent out of its own sample)."""
    from scipy import stats

    from csimodels.sem import _cbsem_bootstrap as cbb

    data = hs_data.iloc[::3]
    keep: list[Any] = []
    csi.CBSEM("textual =~ x4 + x5 + x6").fit_collect(data, group="school", _keep=keep)
    est = keep[0]
    sizes = [fr.n for fr in est.frames]
    point = cbb.statistics(est, est.theta)
    j = 1  # textual =~ x5 in the first group

    def statistic(a: np.ndarray, b: np.ndarray) -> float:
        rows = np.concatenate([a, b]).astype(np.intp)[None, :]
        draws = cbb.refit_draws(est, rows, sizes=[a.size, b.size])
        return float(cbb.statistics(est, draws.theta[0])[j])

    sci = stats.bootstrap(
        (np.arange(sizes[0]), np.arange(sizes[0], sum(sizes))),
        statistic,
        n_resamples=99,
        method="BCa",
        confidence_level=0.9,
        vectorized=False,
        paired=False,
        random_state=np.random.default_rng(5),
    )
    jack, groups = cbb.jackknife(est)
    assert list(np.bincount(groups)) == sizes
    lo, hi = cbb.interval(
        sci.bootstrap_distribution, float(point[j]), 0.9, "bca", jack[:, j], groups
    )
    assert lo == pytest.approx(sci.confidence_interval.low, abs=1e-9)
    assert hi == pytest.approx(sci.confidence_interval.high, abs=1e-9)
    # the fit itself: BCa intervals, the same draws (and SEs) as the percentile ones
    kw: dict[str, Any] = {"group": "school"}
    pct = _quiet(
        csi.CBSEM("textual =~ x4 + x5 + x6"),
        data,
        inference=csi.inference.Bootstrap(n=40, random_state=2),
        **kw,
    )
    bca = _quiet(
        csi.CBSEM("textual =~ x4 + x5 + x6"),
        data,
        inference=csi.inference.Bootstrap(n=40, random_state=2, method="bca"),
        **kw,
    )
    assert bca.settings["bootstrap_method"] == "bca"
    np.testing.assert_allclose(bca.parameters["std_error"], pct.parameters["std_error"])
    free = bca.parameters["free"].to_numpy(dtype=bool)
    assert np.isfinite(bca.parameters["ci_lower"].to_numpy()[free]).all()
    assert not np.allclose(bca.parameters["ci_lower"][free], pct.parameters["ci_lower"][free])


def test_bootstrap_refuses_what_it_cannot_do(hs_data: pd.DataFrame) -> None:
    with pytest.raises(InvalidParameterError, match="ordinal"):
        csi.CBSEM(_model("hs_model")).fit(hs_data, ordered=True, inference=10)
    with pytest.raises(InvalidParameterError, match="'bootstrap'"):
        csi.CBSEM(_model("hs_model")).fit(hs_data, inference="many")


# ---------------------------------------------------------------------------------------
# modification indices
# ---------------------------------------------------------------------------------------

MI_CASES = {
    "pd_labels": ("pd_labels", "pd", {}, {}),
    "pd_covariates": ("pd_covariates", "pd", {}, {}),
    "hs_fixed": ("hs_fixed", "hs", {}, {}),
    "hs_stdlv": ("hs_model", "hs", {"std_lv": True}, {}),
    "hs_sem": ("hs_sem", "hs", {}, {}),
    "hs_group_ml_scalar": (
        "hs_model",
        "hs",
        {},
        {"group": "school", "group_equal": ["loadings", "intercepts"]},
    ),
}


@pytest.mark.parametrize("case", list(MI_CASES))
def test_modification_indices_match_lavaan(
    case: str, pd_data: pd.DataFrame, hs_data: pd.DataFrame
) -> None:
    """MI and EPC are score statistics: their small values carry the optimiser's
    tolerance (lavaan's estimates are ~1e-7 from ours), so they are compared to 5e-4
    relative and 2e-3 absolute; every candidate lavaan lists with MI > 1e-4 is here."""
    name, data_name, model_kw, fit_kw = MI_CASES[case]
    data = pd_data if data_name == "pd" else hs_data
    res = _quiet(csi.CBSEM(_model(name), **model_kw), data, **fit_kw)
    lav = pd.read_csv(FIX / f"{case}_mi.csv", keep_default_na=False, na_values=["NA"])
    lav = lav[lav["mi"] > 1e-4]  # lavaan keeps a marker loading at MI ~ 1e-6 (V ~ 0)
    both = lav.merge(res.modification_indices, on=["lhs", "op", "rhs", "group"], how="left")
    assert both["mi_y"].notna().all()
    assert len(res.modification_indices) <= len(lav) + 1  # (+ a marker lavaan drops)
    np.testing.assert_allclose(both["mi_y"], both["mi_x"], rtol=5e-4, atol=2e-3)
    np.testing.assert_allclose(both["epc_y"], both["epc_x"], rtol=5e-4, atol=1e-4)
    np.testing.assert_allclose(both["sepc_all"], both["sepc.all"], rtol=5e-4, atol=1e-4)


def test_by_segment_returns_the_segmented_result(hs_data: pd.DataFrame) -> None:
    model = csi.CBSEM(_model("hs_model"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = model.fit(hs_data, by="school")
    assert isinstance(res, csi.results.SegmentedResult)
    for school in ("Pasteur", "Grant-White"):
        alone = _quiet(model, hs_data[hs_data["school"] == school])
        pd.testing.assert_frame_equal(
            res.segments[school].parameters, alone.parameters, check_exact=False, rtol=1e-8
        )
        assert res.overview["fit"].loc[school, "chi2"] == pytest.approx(
            float(alone.fit.loc["chi2", "value"]), rel=1e-8
        )
    assert res.pooled is not None and res.pooled.settings["n"] == 301
    assert csi.result_from_json(res.to_json()) == res
    with pytest.raises(InvalidParameterError, match="on_error"):
        model.fit(hs_data, by="school", on_error="ignore")


def test_fits_in_threads_are_independent(hs_data: pd.DataFrame) -> None:
    """No process-global state (warning filters, shared model objects): fits run in
    threads give the same numbers as one after another."""
    from concurrent.futures import ThreadPoolExecutor

    models = [_model("hs_model"), _model("hs_fixed"), _model("hs_sem"), _model("hs_model")]
    kws: list[dict[str, Any]] = [{}, {}, {}, {"estimator": "MLR"}]
    serial = [_quiet(csi.CBSEM(m), hs_data, **kw) for m, kw in zip(models, kws, strict=True)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        pairs = list(zip(models, kws, strict=True))
        threaded = list(pool.map(lambda a: _quiet(csi.CBSEM(a[0]), hs_data, **a[1]), pairs))
    for a, b in zip(serial, threaded, strict=True):
        pd.testing.assert_frame_equal(a.parameters, b.parameters)


def test_spec_without_scales_says_indices_were_skipped() -> None:
    data = csi.datasets.load_example("acsi_demo")
    frame = data.frame[list(data.items)]
    spec = csi.ACSI(indicators=data.constructs).to_spec()
    res, found = csi.CBSEM(spec).fit_collect(frame)
    assert len(res.indices) == 0
    assert any("0–100 indices not computed" in m for m, _ in found)
    assert any("0–100 indices not computed" in n for n in res.notes)


def test_multigroup_bootstrap_resamples_within_groups(hs_data: pd.DataFrame) -> None:
    """lavaan: 1000 draws within schools; ours: 150 (MC error of an SE ≈ 5.8% for ours,
    2.2% for lavaan's): every ratio within 25%, the median within 6%."""
    from csimodels.sem import _cbsem_bootstrap as cbb

    idx = cbb.draw_indices(5, 3, 301, sizes=[156, 145])
    assert (idx[:, :156] < 156).all() and (idx[:, 156:] >= 156).all()
    res = _quiet(
        csi.CBSEM(_model("hs_model")),
        hs_data,
        group="school",
        group_equal=["loadings"],
        inference=csi.inference.Bootstrap(n=150, random_state=2),
    )
    lav = pd.read_csv(FIX / "hs_group_boot_se.csv", keep_default_na=False, na_values=["NA"])
    merged = lav.merge(res.parameters, on=["lhs", "op", "rhs", "group"])
    assert len(merged) == len(lav) == 60
    ratio = merged["std_error"] / merged["se"]
    assert (np.abs(ratio - 1) < 0.25).all()
    assert abs(np.median(ratio) - 1) < 0.06


def test_bootstrap_with_too_few_draws_gives_nan_limits_and_a_note(hs_data: pd.DataFrame) -> None:
    from csimodels.errors import ResamplingWarning

    hs = hs_data
    model = csi.CBSEM(syntax="visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6")
    with pytest.warns(ResamplingWarning, match="20 bootstrap resamples are too few for a 95%"):
        res = model.fit(hs, inference=csi.Bootstrap(n=20, random_state=1))
    free = res.parameters[res.parameters["free"]]
    assert free["ci_lower"].isna().all() and free["std_error"].notna().all()
    assert any("too few for a 95% interval" in n for n in res.notes)
