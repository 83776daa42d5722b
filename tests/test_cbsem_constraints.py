"""CB-SEM inequality constraints (``<``, ``>``) and MLR with FIML against lavaan 0.6-14.

Golden files: tests/fixtures/lavaan/constraints, written by
tests/fixtures/lavaan/make_constraint_fixtures.R (parameterEstimates merged with
standardizedSolution and the partable's ``free``, every fitMeasures value, the
constraints' values and lavaan's active flags; the incomplete data sets
``pd_missing.csv`` / ``hs_missing.csv`` are written by the same script so both programs
read the same rows). Estimates, standard errors, standardised estimates with their
delta-method standard errors and fit measures are compared to 1e-5 relative.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest
from test_cbsem_lavaan import MEASURES, ROBUST, _read

import csimodels as csi
from csimodels.errors import InvalidParameterError, SpecificationError

FIX = Path(__file__).resolve().parent / "fixtures" / "lavaan" / "constraints"
SCRIPT = (FIX.parent / "make_constraint_fixtures.R").read_text()
REL = 1e-5
ABS = 1e-7


def _model(name: str) -> str:
    """A model exactly as the fixture script wrote it for lavaan."""
    match = re.search(rf'^{name} <- "(.*?)"', SCRIPT, flags=re.S | re.M)
    assert match is not None, name
    return match.group(1)


def _data(name: str) -> pd.DataFrame:
    if name == "pd":
        return _read("pd_data.csv")
    if name == "hs":
        return _read("holzinger_swineford39_data.csv")
    if name == "hs_missing_w":  # the fixture script's weights: 1, 1.5, 2 repeating by row
        data = pd.read_csv(FIX / "hs_missing.csv")
        return data.assign(w=1 + (np.arange(len(data)) % 3) / 2)
    return pd.read_csv(FIX / f"{name}.csv")


def _fit(syntax: str, data: pd.DataFrame, **kw: Any) -> csi.CBSEMResult:
    res, _ = csi.CBSEM(syntax).fit_collect(data, **kw)
    return res


class CheckLavaan:
    """One fit against one lavaan case (``<case>_pe.csv``, ``<case>_fm.csv``)."""

    case: ClassVar[str]
    model: ClassVar[str]
    data_name: ClassVar[str]
    fit_kw: ClassVar[dict[str, Any]] = {}
    robust: ClassVar[bool] = False
    #: the folder of the case's golden files
    fix: ClassVar[Path] = FIX
    #: FIML's scoring stops on a stalled discrepancy (|F| ~ 10: round-off) below 1e-6
    gtol: ClassVar[float] = 1e-8

    @pytest.fixture(scope="class")
    @classmethod
    def res(cls) -> csi.CBSEMResult:
        return _fit(_model(cls.model), _data(cls.data_name), **cls.fit_kw)

    @pytest.fixture(scope="class")
    @classmethod
    def merged(cls, res: csi.CBSEMResult) -> pd.DataFrame:
        lav = pd.read_csv(cls.fix / f"{cls.case}_pe.csv", keep_default_na=False, na_values=["NA"])
        key = ["lhs", "op", "rhs", "group"]
        lav = lav.rename(columns={c: f"lav_{c}" for c in lav.columns if c not in key})
        both = lav.merge(res.parameters, on=key, how="outer", indicator=True)
        assert (both["_merge"] == "both").all(), both.loc[both["_merge"] != "both", key]
        return both

    def test_converged(self, res: csi.CBSEMResult) -> None:
        assert res.converged and res.max_gradient < self.gtol

    @pytest.mark.parametrize(
        ("ours", "theirs"),
        [
            ("estimate", "est"),
            ("std_error", "se"),
            ("ci_lower", "ci.lower"),
            ("ci_upper", "ci.upper"),
            ("std_estimate", "est.std"),
            ("std_std_error", "std.se"),
        ],
    )
    def test_column(self, merged: pd.DataFrame, ours: str, theirs: str) -> None:
        rows = merged
        if ours in ("std_error", "ci_lower", "ci_upper"):
            # lavaan: se 0 / NA for fixed parameters and for those an active
            # constraint pins down (csimodels: NaN)
            rows = merged[merged["free"] & (merged["lav_se"].fillna(0) > 1e-6)]
        a = rows[ours].to_numpy(dtype=float)
        b = rows[f"lav_{theirs}"].to_numpy(dtype=float)
        finite = np.isfinite(b) & (np.abs(b) > 1e-10)
        assert finite.sum() > 0
        assert np.isfinite(a[finite]).all()
        atol = 1e-5 * float(np.nanmedian(np.abs(b))) if ours.startswith("ci_") else ABS
        np.testing.assert_allclose(a[finite], b[finite], rtol=REL, atol=atol)

    def test_pinned_parameters_have_no_standard_error(self, merged: pd.DataFrame) -> None:
        pinned = merged[merged["free"] & ~(merged["lav_se"].fillna(0) > 1e-6)]
        assert pinned["std_error"].isna().all()
        assert pinned["z"].isna().all()

    def test_fit_measures(self, res: csi.CBSEMResult) -> None:
        lav = pd.read_csv(self.fix / f"{self.case}_fm.csv").set_index("measure")["value"]
        ours = res.fit_measures["value"]
        for name in MEASURES + (ROBUST if self.robust else ()):
            assert float(ours[name]) == pytest.approx(float(lav[name]), rel=REL, abs=ABS), name

    def test_json_round_trip(self, res: csi.CBSEMResult) -> None:
        assert csi.result_from_json(res.to_json()) == res


class CheckConstraints(CheckLavaan):
    def test_active_set_is_lavaans(self, res: csi.CBSEMResult) -> None:
        lav = pd.read_csv(FIX / f"{self.case}_con.csv")
        ours = res.settings["inequality_constraints"]
        assert [c["active"] for c in ours] == lav["active"].tolist()
        for c, value, active in zip(ours, lav["value"], lav["active"], strict=True):
            assert c["slack"] >= 0
            if active:
                assert c["slack"] < 1e-10
            else:
                assert c["slack"] == pytest.approx(value, rel=1e-5)

    def test_modification_indices(self, res: csi.CBSEMResult) -> None:
        path = FIX / f"{self.case}_mi.csv"
        if not path.exists():
            pytest.skip("lavaan's modindices are written for ML fits")
        lav = pd.read_csv(path)
        key = ["lhs", "op", "rhs", "group"]
        both = lav.merge(res.modification_indices, on=key, how="outer")
        assert both["mi_x"].notna().all() and both["mi_y"].notna().all()
        # active constraints are held as equalities (lavaan's augmented information);
        # score statistics carry the optimiser's tolerance (the gradient at the
        # candidates is first order in θ̂'s error): 1e-4 relative, as the other MI tests
        np.testing.assert_allclose(both["mi_y"], both["mi_x"], rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(both["epc_y"], both["epc_x"], rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(both["sepc_all"], both["sepc.all"], rtol=1e-4, atol=1e-5)


class TestPoliticalDemocracyActiveBound(CheckConstraints):
    """``a > 1.5`` binds (unconstrained 1.257); three constraints, one on ``:=``, do not."""

    case = "pd_ineq"
    model = "pd_ineq"
    data_name = "pd"

    def test_summary_names_the_binding_constraint(self, res: csi.CBSEMResult) -> None:
        assert "1 of 4 binding (line 13: a > 1.5)" in res.summary().as_text()

    def test_bound_holds_and_df_is_unchanged(self, res: csi.CBSEMResult) -> None:
        p = res.parameters.set_index(["lhs", "op", "rhs"])
        assert p.loc[("dem60", "=~", "y2"), "estimate"] == 1.5
        free = _fit(_model("pd_model"), _data("pd"))
        # lavaan's rule: inequality constraints change neither df nor npar
        for name in ("df", "npar"):
            assert res.fit_measures.loc[name, "value"] == free.fit_measures.loc[name, "value"]
        assert res.fit_measures.loc["chisq", "value"] > free.fit_measures.loc["chisq", "value"]


class TestPoliticalDemocracyInactive(CheckConstraints):
    """Constraints that do not bind: the unconstrained solution, unchanged."""

    case = "pd_ineq_inactive"
    model = "pd_ineq_inactive"
    data_name = "pd"

    def test_equals_the_unconstrained_fit(self, res: csi.CBSEMResult) -> None:
        free = _fit(_model("pd_model"), _data("pd"))
        a = res.parameters[res.parameters["op"] != ":="]
        np.testing.assert_array_equal(a["estimate"], free.parameters["estimate"])
        np.testing.assert_array_equal(a["std_error"], free.parameters["std_error"])
        pd.testing.assert_frame_equal(res.fit_measures, free.fit_measures)


class TestDefinedParameterBound(CheckConstraints):
    """``ab := a*b; ab > 0.6``: a nonlinear constraint on a defined parameter binds."""

    case = "hs_ineq"
    model = "hs_ineq"
    data_name = "hs"

    def test_defined_value_on_its_bound(self, res: csi.CBSEMResult) -> None:
        row = res.parameters.set_index("lhs").loc["ab"]
        assert row["estimate"] == pytest.approx(0.6, abs=1e-12)
        assert np.isnan(row["std_error"])


class TestHeywoodBound(CheckConstraints):
    """A negative residual variance held at zero by ``e1 > 0``: no Heywood warning."""

    case = "hs_heywood"
    model = "hs_heywood"
    data_name = "hs"

    def test_no_heywood_warning(self) -> None:
        _, found = csi.CBSEM(_model("hs_heywood")).fit_collect(_data("hs"))
        assert not any("Heywood" in m for m, _ in found)
        free = _model("hs_heywood").replace("e1 > 0", "")
        _, found = csi.CBSEM(free).fit_collect(_data("hs"))
        assert any("Heywood" in m for m, _ in found)

    def test_variance_exactly_on_the_bound(self, res: csi.CBSEMResult) -> None:
        p = res.parameters.set_index(["lhs", "op", "rhs"])
        assert p.loc[("x1", "~~", "x1"), "estimate"] == 0.0


class TestHeywoodBoundMLR(CheckConstraints):
    """The same with MLR: the augmented inverse is the sandwich's bread and enters the
    Yuan–Bentler trace."""

    case = "hs_heywood_mlr"
    model = "hs_heywood"
    data_name = "hs"
    fit_kw: ClassVar[dict[str, Any]] = {"estimator": "MLR"}
    robust = True


class TestBoundAcrossGroups(CheckConstraints):
    """Group-specific labels ``c(a1, a2)*x2`` with ``a1 > a2`` (binds: one loading), by school."""

    case = "hs_group_ineq"
    model = "hs_group_ineq"
    data_name = "hs"
    fit_kw: ClassVar[dict[str, Any]] = {"group": "school"}


class TestBoundMLRFIML(CheckConstraints):
    """A binding nonlinear constraint with MLR + FIML: the augmented inverse is the
    sandwich's bread, and enters the Yuan–Bentler trace and the FIML-corrected CFI."""

    case = "hs_ineq_fiml_mlr"
    model = "hs_ineq"
    data_name = "hs_missing"
    fit_kw: ClassVar[dict[str, Any]] = {"estimator": "MLR", "missing": "fiml"}
    robust = True
    gtol = 1e-6


class TestPoliticalDemocracyMLRFIML(CheckLavaan):
    """lavaan's ``estimator = "MLR", missing = "ml"`` on PD with ~10% values missing."""

    case = "pd_fiml_mlr"
    model = "pd_model"
    data_name = "pd_missing"
    fit_kw: ClassVar[dict[str, Any]] = {"estimator": "MLR", "missing": "fiml"}
    robust = True
    gtol = 1e-6

    def test_settings(self, res: csi.CBSEMResult) -> None:
        s = res.settings
        assert (s["estimator"], s["missing"], s["se"], s["test"]) == (
            "MLR",
            "fiml",
            "robust.huber.white",
            "yuan.bentler.mplus",
        )
        assert res.missing.n_rows_used == 75


class TestHolzingerSwinefordMLRFIML(CheckLavaan):
    case = "hs_fiml_mlr"
    model = "hs_model"
    data_name = "hs_missing"
    fit_kw: ClassVar[dict[str, Any]] = {"estimator": "MLR", "missing": "ml"}
    robust = True
    gtol = 1e-6

    def test_same_estimates_as_fiml(self, res: csi.CBSEMResult) -> None:
        ml = _fit(_model("hs_model"), _data("hs_missing"), missing="fiml")
        np.testing.assert_array_equal(res.parameters["estimate"], ml.parameters["estimate"])
        assert res.fit_measures.loc["chisq", "value"] == ml.fit_measures.loc["chisq", "value"]
        assert ml.settings["se"] == "standard"


def test_scaled_difference_of_mlr_fiml_fits_is_lavtestlrts() -> None:
    from csimodels.sem import chi2_difference

    data = _data("hs_missing")
    kw: dict[str, Any] = {"estimator": "MLR", "missing": "fiml"}
    general = _fit(_model("hs_model"), data, **kw)
    restricted = _fit(_model("hs_equal"), data, **kw)
    lav = pd.read_csv(FIX / "hs_fiml_mlr_lrt.csv").iloc[1]
    out = chi2_difference(restricted, general)
    assert out["df_diff"] == lav["Df diff"]
    assert out["chi2_diff"] == pytest.approx(lav["Chisq diff"], rel=REL)
    # c_d = df_r c_r − df_g c_g multiplies the scaling factors' 1e-7 differences by ~25,
    # and the tail probability those of the statistic by x/2
    assert out["p_value"] == pytest.approx(lav["Pr(>Chisq)"], rel=1e-4)


class TestWeightsMLRFIML(CheckLavaan):
    """Sampling weights with MLR + FIML (lavaan's ``sampling.weights`` with
    ``missing = "ml"``): the weighted incomplete-data likelihood and EM, the weighted
    scores in the meat."""

    case = "hs_fiml_weights_mlr"
    model = "hs_model"
    data_name = "hs_missing_w"
    fit_kw: ClassVar[dict[str, Any]] = {"estimator": "MLR", "missing": "fiml", "weight": "w"}
    robust = True
    gtol = 1e-6

    def test_ml_with_weights_is_mlr(self, res: csi.CBSEMResult) -> None:
        # as lavaan: ML + missing = "ml" + sampling weights gives the robust SEs and test
        ml = _fit(_model("hs_model"), _data("hs_missing_w"), missing="fiml", weight="w")
        assert ml.settings["estimator"] == "MLR" and ml.settings["weight"] == "w"
        np.testing.assert_array_equal(ml.parameters["std_error"], res.parameters["std_error"])


# ---------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------

HS = "visual =~ x1 + a*x2 + b*x3\ntextual =~ x4 + x5 + x6\n"


@pytest.mark.parametrize(
    ("extra", "pattern"),
    [
        ("a > c", r"line 3 .*'c' is not a parameter label or a defined"),
        ("ab := a*b\nab > q", r"line 4 .*'q' is not"),
        ("a == 0.5\na > 1", r"line 4 \('a > 1'\).*contradicts the fixed value of 'a'"),
        ("a == 0.5\na > 0", r"line 4 .*bounds only fixed parameters"),
        ("a > 1\na < 0.5", r"lines 3 \('a > 1'\), 4 \('a < 0.5'\).*contradict each other"),
        ("a == b\na > 1\nb < 0.5", r"lines 4 .*, 5 .*contradict each other"),
        ("1 > 0", r"line 3 .*names no parameter"),
        ("ab := a*b\nab == 1", r"line 4 .*'ab' is not a parameter label.*'<' or '>'"),
    ],
)
def test_bad_inequalities_name_the_line(extra: str, pattern: str) -> None:
    with pytest.raises(SpecificationError, match=pattern):
        _fit(HS + extra, _data("hs"))


def test_inequalities_refuse_ordinal_items() -> None:
    model = csi.CBSEM(HS + "a > 0")
    ordinal = pd.read_csv(FIX.parent / "hs_ordinal_data.csv")
    with pytest.raises(InvalidParameterError, match=r"inequality.*ordinal"):
        model.fit_collect(ordinal, estimator="WLSMV", ordered=True)


def test_mlr_fiml_refusals() -> None:
    data = _data("hs_missing")
    model = csi.CBSEM(_model("hs_model"))
    with pytest.raises(InvalidParameterError, match=r"missing='fiml'.*'GLS'"):
        model.fit(data, estimator="GLS", missing="fiml")


def test_constraint_report_is_json() -> None:
    res = _fit(HS + "a > 0.9", _data("hs"))
    (entry,) = res.settings["inequality_constraints"]
    assert entry["line"] == 3 and entry["constraint"] == "a > 0.9" and entry["active"]
    json.loads(res.to_json())


def test_constrained_bootstrap_draws_equal_a_loop_of_constrained_fits() -> None:
    """Each draw solves the constrained problem: the same estimates as a single
    constrained fit of that resample (the binding 'a > 1.5' binds in the draws too)."""
    from csimodels.sem import _cbsem_bootstrap as cbb

    model = csi.CBSEM(_model("pd_ineq"))
    data = _data("pd")
    keep: list[object] = []
    model.fit_collect(data, _keep=keep)
    est: Any = keep[0]
    idx = cbb.draw_indices(7, 6, est.n)
    draws = cbb.refit_draws(est, idx, gtol=1e-9)  # the single fits' tolerance
    assert draws.ok.all()
    items = list(est.table.observed)
    positions = [r.free - 1 for r in est.table.rows if r.free and r.op != ":="]
    for b in range(idx.shape[0]):
        single = _fit(_model("pd_ineq"), data[items].iloc[idx[b]].reset_index(drop=True))
        rows = single.parameters[single.parameters["free"] & (single.parameters["op"] != ":=")]
        np.testing.assert_allclose(
            draws.theta[b][positions], rows["estimate"].to_numpy(), rtol=1e-7, atol=1e-9
        )
    a = next(r.free - 1 for r in est.table.rows if r.label == "a")
    assert np.all(draws.theta[:, a] >= 1.5 - 1e-9)
    assert np.sum(np.isclose(draws.theta[:, a], 1.5, rtol=0, atol=1e-9)) >= 1


def test_constrained_bootstrap_matches_lavaan_within_monte_carlo_error() -> None:
    """lavaan: 500 draws, each refitted by nlminb.constr; ours: 100 (the test's time).
    The SE of a bootstrap SE from B draws is about SE/√(2B): together ≈ 7.7 %, so
    every ratio within 30 % and the median within 8 %."""
    lav = pd.read_csv(FIX / "pd_ineq_boot_pe.csv")
    res, found = csi.CBSEM(_model("pd_ineq")).fit_collect(
        _data("pd"), inference=csi.Bootstrap(n=100, random_state=11)
    )
    assert res.settings["se"] == "bootstrap"
    assert res.settings["n_failed"] == 0
    assert int(lav["n_ok"].iloc[0]) == 500
    key = ["lhs", "op", "rhs"]
    both = lav.merge(res.parameters, on=key)
    both = both[both["se"] > 1e-8]
    assert len(both) >= 30
    # lavaan's bootstrap fit is at its default tolerances (the polished estimates are
    # checked to 1e-5 in TestPoliticalDemocracyActiveBound)
    np.testing.assert_allclose(both["estimate"], both["est"], rtol=1e-4, atol=1e-5)
    ratio = both["std_error"].to_numpy() / both["se"].to_numpy()
    assert np.all(np.abs(ratio - 1) < 0.30), both.loc[np.abs(ratio - 1) >= 0.30, key]
    assert abs(float(np.median(ratio)) - 1) < 0.08
    del found
