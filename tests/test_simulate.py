"""Simulated surveys reproduce their true structure within sampling error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import csimodels as csi
from csimodels.datasets import implied_latent_correlations, simulate_csi_survey
from csimodels.errors import DataValidationError
from csimodels.sem.structures import CSI_STRUCTURES


@pytest.mark.parametrize("model", sorted(CSI_STRUCTURES))
def test_continuous_item_correlations_match_truth(model: str) -> None:
    n = 20_000
    sim = simulate_csi_survey(model, n=n, discrete=False, random_state=11)
    observed = sim.frame[list(sim.data.items)].corr().to_numpy()
    truth = sim.item_correlations.to_numpy()
    # sampling sd of r is (1 - rho^2)/sqrt(n); allow 4.5 sd for the largest of ~100 cells
    tolerance = 4.5 * (1 - truth**2) / np.sqrt(n) + 1e-12
    assert np.all(np.abs(observed - truth) <= tolerance)


def test_latent_structure_is_the_published_one() -> None:
    structure = CSI_STRUCTURES["acsi"]
    assert structure.paths == (
        ("Expectations", "Quality"),
        ("Expectations", "Value"),
        ("Expectations", "Satisfaction"),
        ("Quality", "Value"),
        ("Quality", "Satisfaction"),
        ("Value", "Satisfaction"),
        ("Satisfaction", "Complaints"),
        ("Satisfaction", "Loyalty"),
        ("Complaints", "Loyalty"),
    )
    assert len(CSI_STRUCTURES["ccsi"].paths) == 11
    assert len(CSI_STRUCTURES["ecsi"].paths) == 12
    assert len(CSI_STRUCTURES["scsi"].paths) == 6


def test_implied_correlations_by_tracing_rules() -> None:
    # A -> B -> C with A -> C: r_AC = c + a*b (Wright's path tracing)
    a, b, c = 0.5, 0.4, 0.3
    r, r2 = implied_latent_correlations(
        ["A", "B", "C"], {("A", "B"): a, ("B", "C"): b, ("A", "C"): c}
    )
    assert r[0, 1] == pytest.approx(a)
    assert r[0, 2] == pytest.approx(c + a * b)
    assert r[1, 2] == pytest.approx(b + a * c)
    assert r2[2] == pytest.approx(b * r[1, 2] + c * r[0, 2])
    with pytest.raises(DataValidationError, match="explain"):
        implied_latent_correlations(["A", "B"], {("A", "B"): 1.2})
    with pytest.raises(DataValidationError, match="against the causal order"):
        implied_latent_correlations(["A", "B"], {("B", "A"): 0.2})


def test_discrete_answers_lie_on_the_scale_and_keep_the_structure() -> None:
    sim = simulate_csi_survey("ecsi", n=20_000, random_state=5)
    x = sim.frame[list(sim.data.items)].to_numpy()
    assert np.all((x >= 1) & (x <= 10)) and np.all(x == np.rint(x))
    observed = np.corrcoef(x.T)
    truth = sim.item_correlations.to_numpy()
    off = ~np.eye(len(truth), dtype=bool)
    # rounding to 10 points and clipping attenuate correlations a little, never inflate them
    assert np.all(observed[off] <= truth[off] + 0.03)
    assert np.all(observed[off] >= 0.9 * truth[off] - 0.03)


def test_segment_and_period_shifts_are_recovered() -> None:
    shifts = {("N", "a"): 0.4, ("N", "b"): 0.0, ("S", "c"): -0.4}
    sim = simulate_csi_survey(
        "scsi",
        n=30_000,
        segment_levels=("region", "city"),
        segment_shifts=shifts,
        periods={"Q1": 0.0, "Q2": 0.2},
        discrete=False,
        random_state=9,
    )
    frame = sim.frame
    spread = 9 / 6  # default: one latent sd spans a sixth of the 1-10 range
    lam = 0.85
    for item in ["SAT1", "EXP1"]:
        construct = "Satisfaction" if item.startswith("SAT") else "Expectations"
        means = frame.groupby("city")[item].mean()
        for city in ("a", "c"):
            expected = (
                spread
                * lam
                * (
                    sim.segment_shifts.loc[("city", city), construct]
                    - sim.segment_shifts.loc[("city", "b"), construct]
                )
            )
            # standard error of a difference of two means of 10,000 answers (sd ~1.6): 0.023
            assert means[city] - means["b"] == pytest.approx(expected, abs=4 * 0.023)
        pmeans = frame.groupby("period")[item].mean()
        expected_p = spread * lam * sim.segment_shifts.loc[("period", "Q2"), construct]
        # two periods of 15,000 answers: standard error 0.019
        assert pmeans["Q2"] - pmeans["Q1"] == pytest.approx(expected_p, abs=4 * 0.019)
    # the satisfaction shift equals the exogenous shift times the total effect of
    # Expectations on Satisfaction: 0.20 + 0.45 * 0.55
    assert sim.segment_shifts.loc[("city", "a"), "Satisfaction"] == pytest.approx(
        0.4 * (0.20 + 0.45 * 0.55)
    )
    assert sim.data.segments == ("region", "city")


def test_reproducible_missing_codes_and_weights() -> None:
    a = simulate_csi_survey(
        "ccsi", n=200, missing_rate=0.1, missing_code=99, weights=True, random_state=3
    )
    b = simulate_csi_survey(
        "ccsi", n=200, missing_rate=0.1, missing_code=99, weights=True, random_state=3
    )
    pd.testing.assert_frame_equal(a.frame, b.frame)
    items = list(a.data.items)
    assert (a.frame[items] == 99).to_numpy().mean() == pytest.approx(0.1, abs=0.02)
    assert a.data.frame[items].isna().to_numpy().mean() == pytest.approx(0.1, abs=0.02)
    assert a.data.weight == "weight" and (a.frame["weight"] > 0).all()
    c = simulate_csi_survey("ccsi", n=200, random_state=4)
    assert not c.frame.equals(a.frame)


def test_chinese_construct_labels() -> None:
    sim = simulate_csi_survey("ccsi", n=50, random_state=1)
    assert sim.data.construct_labels["Image"] == "品牌形象"
    assert sim.data.construct_labels["Satisfaction"] == "顾客满意度"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model": "xcsi"}, "model='xcsi' is not a CSI structure; choose one of 'acsi'"),
        ({"n": 1}, "n must be an integer >= 2"),
        ({"missing_rate": 1.0}, "missing_rate must be in [0, 1)"),
        ({"loadings": 1.2}, "must be in (0, 1)"),
        ({"paths": {("Loyalty", "Image"): 0.3}}, "paths 'Loyalty->Image' are not in the ACSI"),
        ({"segment_levels": ("region", "city"), "segment_shifts": {"N": 0.1}}, "has 1 level(s)"),
    ],
)
def test_bad_simulation_arguments(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"model": "acsi", "n": 100, "random_state": 0}
    args.update(kwargs)
    with pytest.raises(DataValidationError) as err:
        simulate_csi_survey(**args)  # type: ignore[arg-type]
    assert message in str(err.value)


def test_example_dataset() -> None:
    data = csi.datasets.load_example("acsi_demo")
    assert data.n_respondents == 4000
    assert data.weight == "weight" and data.period == "period"
    assert sorted(data.frame["region"].unique()) == ["East", "North", "South", "West"]
    assert data.frame["city"].nunique() == 8
    assert data.item_info["SAT1"].label.startswith("顾客满意度")
    # 99 was declared a missing code
    assert 0.01 < data.missing_shares().mean() < 0.03
    with pytest.raises(DataValidationError, match="no example named 'mobi'"):
        csi.datasets.load_example("mobi")
