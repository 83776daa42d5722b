"""Multigroup FIML (``missing="fiml"`` with ``group=``) against lavaan 0.6-14.

Golden files: tests/fixtures/lavaan/fiml_groups, written by
tests/fixtures/lavaan/make_fiml_group_fixtures.R: the Holzinger–Swineford CFA by school
with about 10 % of the values missing (``hs_group_missing.csv``: the rows of
constraints/hs_missing.csv with their school), ``missing = "ml"``, ML and MLR,
configural, scalar and partially scalar; lavTestLRT of configural → metric → scalar →
strict. Estimates, standard errors, standardised estimates and fit measures (the
Yuan–Bentler scaled χ² and lavaan's FIML-corrected robust CFI/TLI/RMSEA for MLR) to
1e-5 relative.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
import pytest
from test_cbsem_constraints import CheckLavaan

import csimodels as csi
from csimodels.errors import InvalidParameterError

FIX = Path(__file__).resolve().parent / "fixtures" / "lavaan" / "fiml_groups"
SCRIPT = (FIX.parent / "make_fiml_group_fixtures.R").read_text()
MODEL = re.search(r'^hs_model <- "(.*?)"', SCRIPT, flags=re.S | re.M).group(1)  # type: ignore[union-attr]
REL = 1e-5


def _data() -> pd.DataFrame:
    return pd.read_csv(FIX / "hs_group_missing.csv")


class CheckGroups(CheckLavaan):
    model = "hs_model"
    data_name = "hs_missing"
    fix = FIX
    gtol = 1e-6

    @pytest.fixture(scope="class")
    @classmethod
    def res(cls) -> csi.CBSEMResult:
        res, _ = csi.CBSEM(MODEL).fit_collect(_data(), group="school", **cls.fit_kw)
        return res


class TestConfiguralML(CheckGroups):
    case = "hs_configural_ml"
    fit_kw: ClassVar[dict[str, Any]] = {"missing": "fiml"}


class TestScalarML(CheckGroups):
    case = "hs_scalar_ml"
    fit_kw: ClassVar[dict[str, Any]] = {
        "missing": "fiml",
        "group_equal": ("loadings", "intercepts"),
    }


class TestConfiguralMLR(CheckGroups):
    case = "hs_configural_mlr"
    fit_kw: ClassVar[dict[str, Any]] = {"missing": "fiml", "estimator": "MLR"}
    robust = True


class TestScalarMLR(CheckGroups):
    case = "hs_scalar_mlr"
    fit_kw: ClassVar[dict[str, Any]] = {
        "missing": "fiml",
        "estimator": "MLR",
        "group_equal": ("loadings", "intercepts"),
    }
    robust = True


class TestPartialScalarMLR(CheckGroups):
    case = "hs_partial_mlr"
    fit_kw: ClassVar[dict[str, Any]] = {
        "missing": "fiml",
        "estimator": "MLR",
        "group_equal": ("loadings", "intercepts"),
        "group_partial": ("x3 ~ 1",),
    }
    robust = True


@pytest.fixture(scope="module", params=["ML", "MLR"])
def ladder(request: pytest.FixtureRequest) -> tuple[str, Any]:
    from csimodels.sem import measurement_invariance

    est = str(request.param)
    res = measurement_invariance(
        csi.CBSEM(MODEL), _data(), group="school", estimator=est, missing="fiml"
    )
    return est, res


def test_invariance_ladder_is_lavtestlrts(ladder: tuple[str, Any]) -> None:
    est, res = ladder
    lav = pd.read_csv(FIX / f"{est.lower()}_lrt.csv")
    steps = res.steps
    assert list(steps.index) == ["configural", "metric", "scalar", "strict"]
    assert steps["df"].tolist() == lav["Df"].tolist()
    for k, fit in enumerate(res.fits.values()):
        fm = fit.fit_measures["value"]
        assert fm["chisq"] == pytest.approx(lav["Chisq"][k], rel=REL)
        assert fm["aic"] == pytest.approx(lav["AIC"][k], rel=REL)
        assert fm["bic"] == pytest.approx(lav["BIC"][k], rel=REL)
    later = lav.iloc[1:]
    assert steps["df_diff"].iloc[1:].tolist() == later["Df diff"].tolist()
    # MLR: lavTestLRT's satorra.bentler.2001 scaled difference
    assert steps["chisq_diff"].iloc[1:].to_numpy() == pytest.approx(
        later["Chisq diff"].to_numpy(), rel=REL
    )
    assert steps["p_value_diff"].iloc[1:].to_numpy() == pytest.approx(
        later["Pr(>Chisq)"].to_numpy(), rel=REL
    )
    assert res.settings["missing"] == "fiml"


def test_invariance_steps_report_the_scaled_chi2(ladder: tuple[str, Any]) -> None:
    est, res = ladder
    name = "chisq.scaled" if est == "MLR" else "chisq"
    for step in ("configural", "scalar"):
        lav = pd.read_csv(FIX / f"hs_{step}_{est.lower()}_fm.csv").set_index("measure")
        assert res.steps.loc[step, "chisq"] == pytest.approx(lav.loc[name, "value"], rel=REL)


def test_fiml_groups_refuse_weights_and_ordinal_items() -> None:
    data = _data().assign(w=1.0)
    with pytest.raises(InvalidParameterError, match="weight column 'w'"):
        csi.CBSEM(MODEL).fit(data, group="school", missing="fiml", weight="w")
    from csimodels.sem import measurement_invariance

    with pytest.raises(InvalidParameterError, match=r"measurement_invariance.*ordinal items"):
        measurement_invariance(
            csi.CBSEM(MODEL),
            _data(),
            group="school",
            estimator="WLSMV",
            ordered=True,
            missing="fiml",
        )
    with pytest.raises(InvalidParameterError, match=r"'missing' of measurement_invariance"):
        measurement_invariance(csi.CBSEM(MODEL), _data(), group="school", missing="pairwise")
