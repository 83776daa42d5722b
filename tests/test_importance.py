"""Tests of csimodels.importance: driver analysis, quadrant matrix, penalty–reward.

Every number is checked against an independent computation written here (numpy
least squares on the raw data, brute-force averaging over all orders of entry,
Johnson's original SVD procedure) or against a simulation with known truth.
"""

from __future__ import annotations

import itertools
import math
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import csimodels as csi
from csimodels.errors import (
    DataQualityWarning,
    DataValidationError,
    EstimationError,
    InvalidParameterError,
    SpecificationError,
)
from csimodels.importance import (
    FACTOR_CLASSES,
    IMPORTANCE_METHODS,
    QUADRANTS,
    DriverAnalysis,
    DriverAnalysisResult,
    ImportancePerformance,
    ImportancePerformanceResult,
    PenaltyReward,
    PenaltyRewardResult,
    demo_section,
)
from csimodels.importance import _engine as eng

matplotlib.use("Agg")

# The worked example of the issue: predictor correlations and criterion correlations.
RXX = np.array([[1.0, 0.6, 0.3], [0.6, 1.0, 0.2], [0.3, 0.2, 1.0]])
RXY = np.array([0.5, 0.45, 0.3])
ALL_METHODS = ("correlation", "beta", "slope", "pratt", "lmg", "johnson")


def exact_sample(corr: np.ndarray, n: int, seed: int, names: list[str]) -> pd.DataFrame:
    """Data whose sample correlation matrix is exactly ``corr`` (whitened noise)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, corr.shape[0]))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False))).T
    x = z @ np.linalg.cholesky(corr).T
    return pd.DataFrame(x * [1.5, 2.0, 0.7, 1.2][: corr.shape[0]] + 5.0, columns=names)


def joint(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    p = rxx.shape[0]
    out = np.eye(p + 1)
    out[:p, :p] = rxx
    out[:p, p] = out[p, :p] = rxy
    return out


def r2_of(rxx: np.ndarray, rxy: np.ndarray, subset: tuple[int, ...]) -> float:
    if not subset:
        return 0.0
    idx = list(subset)
    return float(rxy[idx] @ np.linalg.solve(rxx[np.ix_(idx, idx)], rxy[idx]))


def brute_force_lmg(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """Average R² increment of each predictor over all p! orders of entry."""
    p = rxx.shape[0]
    total = np.zeros(p)
    orders = list(itertools.permutations(range(p)))
    for order in orders:
        for pos, j in enumerate(order):
            before = tuple(sorted(order[:pos]))
            total[j] += r2_of(rxx, rxy, (*before, j)) - r2_of(rxx, rxy, before)
    return total / len(orders)


def johnson_svd(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Johnson (2000) as published: X = PΔQᵀ, Z = PQᵀ, regress y on Z and X on Z."""
    n = x.shape[0]
    xs = (x - x.mean(0)) / x.std(0, ddof=1) / math.sqrt(n - 1)  # unit-length columns
    ys = (y - y.mean()) / y.std(ddof=1) / math.sqrt(n - 1)
    p_, _d, qt = np.linalg.svd(xs, full_matrices=False)
    z = p_ @ qt
    beta = np.linalg.lstsq(z, ys, rcond=None)[0]
    lam = np.linalg.lstsq(z, xs, rcond=None)[0]  # (k, j): regression of X_j on Z_k
    return (lam.T**2) @ (beta**2)


@pytest.fixture(scope="module")
def demo() -> csi.SurveyData:
    return csi.datasets.load_example("acsi_demo")


@pytest.fixture(scope="module")
def example_frame() -> pd.DataFrame:
    return exact_sample(joint(RXX, RXY), 400, 7, ["A", "B", "C", "Y"])


# -- reference numbers --------------------------------------------------------------
class TestReferenceExample:
    """Issue 10's example: R² = 0.308376, β = (0.31443, 0.22938, 0.15979)."""

    def test_engine_matches_hand_solution(self) -> None:
        beta_hand = np.linalg.solve(RXX, RXY)  # independent: normal equations
        beta, r2 = eng.standardized_coefficients(RXX[None], RXY[None])
        np.testing.assert_allclose(beta[0], beta_hand, atol=1e-14)
        np.testing.assert_allclose(beta[0], [0.31443, 0.22938, 0.15979], atol=5e-6)
        assert r2[0] == pytest.approx(0.308376, abs=5e-7)
        assert r2[0] == pytest.approx(float(RXY @ beta_hand), abs=1e-14)

    def test_lmg_equals_brute_force_and_sums_to_r2(self) -> None:
        lmg = eng.lmg_exact(RXX[None], RXY[None])[0]
        np.testing.assert_allclose(lmg, brute_force_lmg(RXX, RXY), atol=1e-14)
        assert lmg.sum() == pytest.approx(0.308376, abs=5e-7)

    def test_johnson_sums_to_r2_and_matches_svd_procedure(self, example_frame) -> None:
        w = eng.johnson_weights(RXX[None], RXY[None])[0]
        assert w.sum() == pytest.approx(0.308376, abs=5e-7)
        x = example_frame[["A", "B", "C"]].to_numpy()
        y = example_frame["Y"].to_numpy()
        np.testing.assert_allclose(w, johnson_svd(x, y), atol=1e-10)

    def test_two_predictors_lmg_equals_johnson(self) -> None:
        rxx, rxy = RXX[:2, :2], RXY[:2]
        lmg = eng.lmg_exact(rxx[None], rxy[None])[0]
        jw = eng.johnson_weights(rxx[None], rxy[None])[0]
        np.testing.assert_allclose(lmg, jw, atol=1e-14)
        np.testing.assert_allclose(lmg, brute_force_lmg(rxx, rxy), atol=1e-14)

    def test_public_api_on_data_with_that_correlation(self, example_frame) -> None:
        res = DriverAnalysis(attributes=["A", "B", "C"], overall="Y", methods=ALL_METHODS).fit(
            example_frame
        )
        imp = res.importance
        np.testing.assert_allclose(imp["correlation"], RXY, atol=1e-12)
        np.testing.assert_allclose(imp["beta"], [0.31443, 0.22938, 0.15979], atol=5e-6)
        assert res.r2 == pytest.approx(0.308376, abs=5e-7)
        for m in ("lmg", "johnson", "pratt"):
            assert imp[m].sum() == pytest.approx(res.r2, abs=1e-12)
            np.testing.assert_allclose(res.table.xs(m, level="method")["share"].sum(), 1.0)
        np.testing.assert_allclose(imp["lmg"], brute_force_lmg(RXX, RXY), atol=1e-12)
        np.testing.assert_allclose(imp["pratt"], imp["beta"] * imp["correlation"], atol=1e-14)

    def test_slope_and_standard_errors_match_ols_on_raw_data(self, example_frame) -> None:
        res = DriverAnalysis(attributes=["A", "B", "C"], overall="Y").fit(example_frame)
        x = np.column_stack([np.ones(400), example_frame[["A", "B", "C"]].to_numpy()])
        y = example_frame["Y"].to_numpy()
        b, *_ = np.linalg.lstsq(x, y, rcond=None)
        resid = y - x @ b
        sigma2 = resid @ resid / (400 - 4)
        se = np.sqrt(np.diag(sigma2 * np.linalg.inv(x.T @ x)))
        slope = res.table.xs("slope", level="method")
        np.testing.assert_allclose(slope["estimate"], b[1:], rtol=1e-10)
        np.testing.assert_allclose(slope["std_error"], se[1:], rtol=1e-8)
        pvals = 2 * stats.t.sf(np.abs(b[1:] / se[1:]), 400 - 4)
        np.testing.assert_allclose(slope["p_value"], pvals, rtol=1e-6)
        beta = res.table.xs("beta", level="method")
        np.testing.assert_allclose(beta["t"], slope["t"], rtol=1e-10)
        corr = res.table.xs("correlation", level="method")
        for j, a in enumerate(["A", "B", "C"]):
            ref = stats.pearsonr(example_frame[a], y)
            assert corr.loc[a, "p_value"] == pytest.approx(ref.pvalue, rel=1e-8)
            ci = ref.confidence_interval(0.95)
            assert corr.loc[a, "ci_lower"] == pytest.approx(ci.low, rel=1e-8)
            assert corr.loc[a, "ci_upper"] == pytest.approx(ci.high, rel=1e-8)
            assert res.vif.iloc[j] == pytest.approx(np.linalg.inv(RXX)[j, j], rel=1e-10)


@settings(max_examples=40, deadline=None)
@given(
    p=st.integers(min_value=2, max_value=6),
    seed=st.integers(min_value=0, max_value=10_000),
)
def test_decompositions_sum_to_r2_and_are_order_invariant(p: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(p + 1, p + 3))
    cov = a @ a.T
    d = np.sqrt(np.diag(cov))
    corr = cov / np.outer(d, d)
    rxx, rxy = corr[:p, :p], corr[:p, p]
    _, r2 = eng.standardized_coefficients(rxx[None], rxy[None])
    lmg = eng.lmg_exact(rxx[None], rxy[None])[0]
    jw = eng.johnson_weights(rxx[None], rxy[None])[0]
    assert lmg.sum() == pytest.approx(r2[0], abs=1e-10)
    assert jw.sum() == pytest.approx(r2[0], abs=1e-10)
    assert (lmg >= -1e-12).all() and (jw >= -1e-12).all()
    perm = rng.permutation(p)
    lmg_perm = eng.lmg_exact(rxx[np.ix_(perm, perm)][None], rxy[perm][None])[0]
    np.testing.assert_allclose(lmg_perm, lmg[perm], atol=1e-12)
    if p <= 4:
        np.testing.assert_allclose(lmg, brute_force_lmg(rxx, rxy), atol=1e-12)


def test_sampled_lmg_is_seeded_and_close_to_exact() -> None:
    rng = np.random.default_rng(3)
    a = rng.normal(size=(6, 9))
    cov = a @ a.T
    d = np.sqrt(np.diag(cov))
    corr = cov / np.outer(d, d)
    rxx, rxy = corr[:5, :5][None], corr[:5, 5][None]
    exact = eng.lmg_exact(rxx, rxy)[0]
    s1 = eng.lmg_sampled(rxx, rxy, 20_000, np.random.default_rng(1))[0]
    s2 = eng.lmg_sampled(rxx, rxy, 20_000, np.random.default_rng(1))[0]
    np.testing.assert_array_equal(s1, s2)
    np.testing.assert_allclose(s1, exact, atol=0.01 * exact.sum())
    assert s1.sum() == pytest.approx(exact.sum(), abs=1e-12)  # every order sums to R²


def test_sampling_beyond_max_exact_through_the_model(example_frame) -> None:
    model = DriverAnalysis(
        attributes=["A", "B", "C"],
        overall="Y",
        methods=["lmg"],
        max_exact=2,
        n_permutations=4000,
        random_state=5,
    )
    with pytest.raises(SpecificationError, match="n_permutations=2000"):
        model.model_copy(update={"n_permutations": 0}).fit(example_frame)
    res = model.fit(example_frame)
    assert res.settings["lmg"] == "sampled (4000)"
    assert any("approximated" in n for n in res.notes)
    np.testing.assert_allclose(res.importance["lmg"], brute_force_lmg(RXX, RXY), atol=0.01)
    assert model.fit(example_frame) == res


# -- weights, missing data, bootstrap --------------------------------------------------
def test_integer_weights_equal_duplicated_rows() -> None:
    rng = np.random.default_rng(11)
    n = 300
    x = rng.normal(size=(n, 3))
    y = x @ [0.5, 0.3, 0.1] + rng.normal(size=n)
    df = pd.DataFrame(np.column_stack([x, y]), columns=["A", "B", "C", "Y"])
    reps = rng.integers(1, 4, size=n)
    df["w"] = reps.astype(float)
    dup = df.loc[np.repeat(df.index, reps)].reset_index(drop=True).drop(columns="w")
    model = DriverAnalysis(attributes=["A", "B", "C"], overall="Y", methods=ALL_METHODS)
    weighted = model.fit(df, weight="w")
    plain = model.fit(dup)
    pd.testing.assert_frame_equal(weighted.importance, plain.importance, rtol=1e-10)
    pd.testing.assert_series_equal(weighted.performance, plain.performance, rtol=1e-12)
    # WLS by hand: sqrt(w)-scaled least squares gives the same slopes
    xd = np.column_stack([np.ones(n), x]) * np.sqrt(reps)[:, None]
    b = np.linalg.lstsq(xd, y * np.sqrt(reps), rcond=None)[0]
    np.testing.assert_allclose(weighted.importance["slope"], b[1:], rtol=1e-10)
    assert weighted.settings["weight"] == "w"


def test_missing_strategies_are_recorded_and_pairwise_matches_pandas() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(500, 4))
    x[:, 3] += x[:, :3].sum(axis=1)
    df = pd.DataFrame(x, columns=["A", "B", "C", "Y"])
    df.iloc[rng.choice(500, 40, replace=False), 0] = np.nan
    df.iloc[rng.choice(500, 30, replace=False), 3] = np.nan
    model = DriverAnalysis(attributes=["A", "B", "C"], overall="Y", methods=["correlation"])
    listwise = model.fit(df)
    assert listwise.missing is not None and listwise.missing.strategy == "listwise"
    assert listwise.n_used == int(df.dropna().shape[0])
    pairwise = model.model_copy(update={"missing": "pairwise"}).fit(df)
    assert pairwise.missing is not None and pairwise.missing.strategy == "pairwise"
    np.testing.assert_allclose(pairwise.correlations.to_numpy(), df.corr().to_numpy(), atol=1e-12)
    mean = model.model_copy(update={"missing": "mean"}).fit(df)
    assert mean.missing is not None and mean.missing.n_values_imputed == 70


def test_bootstrap_is_seeded_and_intervals_are_sensible(example_frame) -> None:
    model = DriverAnalysis(
        attributes=["A", "B", "C"],
        overall="Y",
        methods=ALL_METHODS,
        bootstrap=300,
        random_state=42,
    )
    res = model.fit(example_frame)
    again = model.fit(example_frame)
    assert res == again
    assert res.bootstrap_draws is not None and res.bootstrap_draws.shape == (300, 18)
    t = res.table
    assert (t["ci_lower"] <= t["estimate"]).all() and (t["estimate"] <= t["ci_upper"]).all()
    # bootstrap SE of a correlation is close to the analytic sqrt((1 - r²)/(n - 2))
    corr = t.xs("correlation", level="method")
    analytic = np.sqrt((1 - corr["estimate"] ** 2) / 398)
    np.testing.assert_allclose(corr["std_error"], analytic, rtol=0.25)
    narrow = res.conf_int(0.5)
    wide = res.conf_int(0.99)
    assert ((narrow["ci_upper"] - narrow["ci_lower"]) < (wide["ci_upper"] - wide["ci_lower"])).all()
    np.testing.assert_allclose(res.conf_int()["ci_lower"], t["ci_lower"].to_numpy())
    # the same draws recomputed by resampling rows directly (independent route)
    rng = np.random.default_rng(0)
    idx = rng.integers(0, 400, size=(200, 400))
    direct = np.array([np.corrcoef(example_frame.to_numpy()[i].T)[:3, 3] for i in idx])
    # distributions agree: same mean and SD to Monte Carlo error
    np.testing.assert_allclose(direct.std(0, ddof=1), corr["std_error"], rtol=0.25)


def test_bootstrap_frequencies_match_index_resampling() -> None:
    rng1, rng2 = np.random.default_rng(9), np.random.default_rng(9)
    freq = eng.bootstrap_frequencies(50, np.ones(50), 7, rng1)
    draws = rng2.integers(0, 50, size=(7, 50))
    for b in range(7):
        np.testing.assert_array_equal(freq[b], np.bincount(draws[b], minlength=50))
    x = np.random.default_rng(1).normal(size=(50, 3))
    corr, _ = eng.batched_correlations(x, freq)
    for b in range(7):
        np.testing.assert_allclose(corr[b], np.corrcoef(x[draws[b]].T), atol=1e-12)


# -- simulation with known truth -------------------------------------------------------
def test_known_effects_are_ranked_correctly_by_every_method() -> None:
    rng = np.random.default_rng(2024)
    n, p = 4000, 4
    cov = np.full((p, p), 0.3) + 0.7 * np.eye(p)
    x = rng.multivariate_normal(np.zeros(p), cov, size=n)
    effects = np.array([0.5, 0.3, 0.15, 0.05])
    y = x @ effects + rng.normal(scale=0.8, size=n)
    ratings = np.clip(np.round(5.5 + 1.5 * x), 1, 10)
    overall = np.clip(np.round(5.5 + 1.5 * y), 1, 10)
    names = ["D1", "D2", "D3", "D4"]
    df = pd.DataFrame(ratings, columns=names).assign(SAT=overall)
    res = DriverAnalysis(attributes=names, overall="SAT", methods=ALL_METHODS).fit(df)
    for m in ALL_METHODS:
        assert res.ranking(m).index.tolist() == names, m
    assert res.ranking("shapley").index.tolist() == names


def test_segments_equal_separate_fits(demo) -> None:
    model = DriverAnalysis(attributes=["QUAL1", "QUAL2", "VAL1"], overall="SAT1")
    res = model.fit(demo, by="region")
    assert isinstance(res, csi.SegmentedResult)
    assert res.by == ("region",) and sorted(res.segments) == ["East", "North", "South", "West"]
    north = model.fit(demo.subset(demo.frame["region"] == "North"))
    pd.testing.assert_frame_equal(res.segments["North"].importance, north.importance)
    table = res.overview["correlation"]  # the first method, segments x attributes
    assert table.loc["North", "QUAL2"] == north.importance.loc["QUAL2", "correlation"]
    lmg = res.table("importance")["lmg"]
    assert lmg.loc[("North", "QUAL2")] == north.importance.loc["QUAL2", "lmg"]
    pooled = model.fit(demo)
    pd.testing.assert_frame_equal(res.pooled.importance, pooled.importance)


def test_small_segment_is_skipped_with_a_note() -> None:
    rng = np.random.default_rng(4)
    df = pd.DataFrame(rng.normal(size=(60, 3)), columns=["A", "B", "Y"])
    df["seg"] = ["big"] * 57 + ["tiny"] * 3
    with pytest.warns(DataQualityWarning, match="segment 'tiny' has 3 respondents, fewer than 4"):
        res = DriverAnalysis(attributes=["A", "B"], overall="Y").fit(df, by="seg")
    assert list(res.segments) == ["big"]
    assert res.status.loc["tiny", "status"] == "too_small"
    assert any("tiny" in n for n in res.notes)


# -- bad input ---------------------------------------------------------------------------
class TestBadInput:
    def frame(self) -> pd.DataFrame:
        rng = np.random.default_rng(0)
        return pd.DataFrame(rng.integers(1, 6, size=(40, 4)).astype(float), columns=list("ABCY"))

    def test_attribute_without_variance(self) -> None:
        df = self.frame().assign(B=3.0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)
            with pytest.raises(DataValidationError, match=r"attribute 'B' has no variance"):
                DriverAnalysis(attributes=["A", "B", "C"], overall="Y").fit(df)

    def test_fewer_respondents_than_attributes(self) -> None:
        df = self.frame().iloc[:4]
        with pytest.raises(
            DataValidationError, match=r"4 respondents used for 3 attributes.*at least 5"
        ):
            DriverAnalysis(attributes=["A", "B", "C"], overall="Y").fit(df)

    def test_overall_item_missing(self) -> None:
        with pytest.raises(DataValidationError, match=r"overall item 'SAT' is not in the data"):
            DriverAnalysis(attributes=["A", "B"], overall="SAT").fit(self.frame())

    def test_overall_item_constant(self) -> None:
        df = self.frame().assign(Y=5.0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)
            with pytest.raises(DataValidationError, match=r"overall item 'Y' is constant"):
                DriverAnalysis(attributes=["A", "B"], overall="Y").fit(df)

    def test_attribute_column_missing(self, demo) -> None:
        with pytest.raises(DataValidationError, match=r"attribute 'QUAL9' not in the data"):
            DriverAnalysis(attributes=["QUAL1", "QUAL9"], overall="SAT1").fit(demo)

    def test_unknown_method_lists_valid_names(self) -> None:
        with pytest.raises(SpecificationError, match=r"unknown importance method 'anova'.*'beta'"):
            DriverAnalysis(attributes=["A"], overall="Y", methods=["anova"]).fit(self.frame())

    def test_overall_among_attributes_and_duplicates(self) -> None:
        with pytest.raises(SpecificationError, match=r"overall item 'Y' is also listed"):
            DriverAnalysis(attributes=["A", "Y"], overall="Y").fit(self.frame())
        with pytest.raises(SpecificationError, match=r"lists 'A' more than once"):
            DriverAnalysis(attributes=["A", "A"], overall="Y").fit(self.frame())
        with pytest.raises(InvalidParameterError, match=r"parameter 'attributes' of Driver"):
            DriverAnalysis(attributes="A", overall="Y")  # type: ignore[arg-type]

    def test_collinear_attributes(self) -> None:
        df = self.frame()
        df["D"] = df["A"] + df["B"]
        with pytest.raises(EstimationError, match=r"perfectly collinear"):
            DriverAnalysis(attributes=["A", "B", "D"], overall="Y").fit(df)

    def test_weight_given_for_surveydata(self, demo) -> None:
        with pytest.raises(DataValidationError, match=r"weight='w2' contradicts the SurveyData"):
            DriverAnalysis(attributes=["QUAL1"], overall="SAT1").fit(demo, weight="w2")

    def test_bad_settings_are_pydantic_errors(self) -> None:
        with pytest.raises(ValueError, match="bootstrap"):
            DriverAnalysis(attributes=["A"], overall="Y", bootstrap=-1)
        with pytest.raises(ValueError, match="level"):
            DriverAnalysis(attributes=["A"], overall="Y", level=1.5)

    def test_conf_int_without_bootstrap(self) -> None:
        res = DriverAnalysis(attributes=["A", "B"], overall="Y").fit(self.frame())
        with pytest.raises(SpecificationError, match="no bootstrap draws"):
            res.conf_int()
        with pytest.raises(SpecificationError, match="method 'pratt' was not estimated"):
            res.estimates("pratt")


def test_nothing_is_mutated_and_json_round_trips(demo) -> None:
    df = demo.frame.copy()
    before = df.copy()
    model = DriverAnalysis(attributes=["QUAL1", "QUAL2", "VAL1"], overall="SAT1")
    dumped = model.model_dump()
    res = model.fit(df, by="region", weight="weight", bootstrap=20, random_state=1)
    pd.testing.assert_frame_equal(df, before)
    assert model.model_dump() == dumped
    back = csi.SegmentedResult.from_json(res.to_json())
    assert back == res
    assert back.segments["East"].bootstrap_draws is not None
    assert type(back.segments["East"]) is DriverAnalysisResult
    assert "Driver analysis" in str(res.pooled)
    # the old constructor spelling still works, with a DeprecationWarning
    with pytest.warns(DeprecationWarning, match="pass bootstrap and random_state to fit"):
        old = DriverAnalysis(attributes=["QUAL1"], overall="SAT1", bootstrap=20, random_state=1)
    assert old.fit(demo).settings["random_state"] == 1
    assert "<h4>" in res._repr_html_()


def test_registry_and_plots(demo) -> None:
    assert set(ALL_METHODS) == set(IMPORTANCE_METHODS)
    res = DriverAnalysis(
        attributes=["QUAL1", "VAL1"], overall="SAT1", bootstrap=20, random_state=0
    ).fit(demo)
    data = res.plot_data("lmg")
    assert data["estimate"].is_monotonic_decreasing
    ax = res.plot(method="johnson")
    assert len(ax.patches) == 2
    matplotlib.pyplot.close("all")


# -- importance–performance matrix --------------------------------------------------------
class TestMatrix:
    imp = pd.Series({"speed": 4.6, "price": 4.1, "decor": 2.9, "menu": 2.5})
    perf = pd.Series({"speed": 2.6, "price": 4.2, "decor": 4.4, "menu": 2.4})

    def test_quadrants_on_midpoint_crosshairs(self) -> None:
        res = ImportancePerformance(
            crosshair="midpoint", importance_scale=(1, 5), performance_scale=(1, 5)
        ).evaluate(self.imp, self.perf)
        t = res.table
        assert t["quadrant"].to_dict() == {
            "speed": "concentrate_here",
            "price": "keep_up_the_good_work",
            "decor": "possible_overkill",
            "menu": "low_priority",
        }
        assert t.loc["speed", "quadrant_label"] == "Concentrate here"
        assert t.loc["menu", "quadrant_label_zh"] == "次要改进区"
        assert res.importance_crosshair == 3.0 and res.performance_crosshair == 3.0
        np.testing.assert_allclose(t["gap"], self.imp - self.perf)
        # same scale: raw units; distance from (3, 3) by hand
        assert t.loc["speed", "distance"] == pytest.approx(math.hypot(1.6, -0.4))
        assert t.loc["decor", "diagonal_distance"] == pytest.approx((-0.1 - 1.4) / math.sqrt(2))
        # quadrant order: concentrate here, low priority, keep up, overkill
        assert res.priorities().index.tolist() == ["speed", "menu", "price", "decor"]
        assert res.priorities(quadrant="possible_overkill").index.tolist() == ["decor"]

    def test_mean_median_and_explicit_crosshairs(self) -> None:
        mean = ImportancePerformance(crosshair="mean").evaluate(self.imp, self.perf)
        assert mean.importance_crosshair == pytest.approx(self.imp.mean())
        assert mean.performance_crosshair == pytest.approx(self.perf.mean())
        med = ImportancePerformance(crosshair="median").evaluate(self.imp, self.perf)
        assert med.importance_crosshair == pytest.approx(self.imp.median())
        fixed = ImportancePerformance(importance_crosshair=4.0).evaluate(self.imp, self.perf)
        assert fixed.importance_crosshair == 4.0
        assert fixed.performance_crosshair == pytest.approx(self.perf.mean())
        # different scales: standardised units and no raw gap
        assert mean.table["gap"].isna().all()
        u = (self.imp - self.imp.mean()) / self.imp.std()
        v = (self.perf - self.perf.mean()) / self.perf.std()
        np.testing.assert_allclose(mean.table["standardised_gap"], u - v)
        np.testing.assert_allclose(mean.table["distance"], np.hypot(u, v))

    def test_diagonal_priority(self) -> None:
        res = ImportancePerformance(diagonal=True).evaluate(self.imp, self.perf)
        gap = res.table["standardised_gap"]
        assert res.priorities().index.tolist() == gap.sort_values(ascending=False).index.tolist()
        data = res.plot_data()
        assert "diagonal" in data.attrs
        ax = res.plot(language="zh")
        assert ax.get_xlabel() == "表现"  # the axis names follow language= too
        matplotlib.pyplot.close("all")

    def test_any_series_pair_is_accepted_and_not_mutated(self) -> None:
        imp = pd.Series({"Quality": 0.42, "Value": 0.31, "Expectations": 0.12})
        perf = pd.Series({"Value": 71.0, "Quality": 78.5, "Expectations": 80.2})
        imp_before, perf_before = imp.copy(), perf.copy()
        res = ImportancePerformance().evaluate(imp, perf, source="IPMA total effects")
        pd.testing.assert_series_equal(imp, imp_before)
        pd.testing.assert_series_equal(perf, perf_before)
        assert res.table.index.tolist() == ["Quality", "Value", "Expectations"]
        assert res.table.loc["Value", "quadrant"] == "concentrate_here"
        assert ImportancePerformanceResult.from_json(res.to_json()) == res

    def test_errors(self) -> None:
        model = ImportancePerformance()
        with pytest.raises(DataValidationError, match=r"'menu' has importance but no performance"):
            model.evaluate(self.imp, self.perf.drop("menu"))
        with pytest.raises(
            DataValidationError, match=r"importance of attribute 'decor' is missing"
        ):
            model.evaluate(self.imp.replace(2.9, np.nan), self.perf)
        with pytest.raises(DataValidationError, match="needs at least 2"):
            model.evaluate(self.imp[:1], self.perf[:1])
        with pytest.raises(SpecificationError, match=r"needs importance_scale=\(min, max\)"):
            ImportancePerformance(crosshair="midpoint", performance_scale=(1, 5)).evaluate(
                self.imp, self.perf
            )
        with pytest.raises(
            DataValidationError, match=r"performance of 'price', 'decor' lies outside the declared"
        ):
            ImportancePerformance(performance_scale=(1, 4)).evaluate(self.imp, self.perf)
        with pytest.raises(SpecificationError, match="unknown quadrant"):
            model.evaluate(self.imp, self.perf).priorities(quadrant="top")

    def test_from_drivers_and_segments(self, demo) -> None:
        drivers = DriverAnalysis(
            attributes=["QUAL1", "QUAL2", "VAL1", "VAL2"], overall="SAT1", methods=["lmg", "beta"]
        ).fit(demo, by="region")
        res = ImportancePerformance(method="shapley").from_drivers(drivers)
        pd.testing.assert_series_equal(
            res.pooled.table["importance"], drivers.pooled.importance["lmg"], check_names=False
        )
        pd.testing.assert_series_equal(
            res.pooled.table["performance"], drivers.pooled.performance, check_names=False
        )
        assert sorted(res.segments) == ["East", "North", "South", "West"]
        assert res.table("table")["quadrant_label"].unstack().shape == (5, 4)
        assert csi.result_from_json(res.to_json()) == res
        pooled = ImportancePerformance(method="shapley").from_drivers(drivers.pooled)
        assert pooled.table.loc["QUAL1", "label"] == "感知质量 1"
        assert ImportancePerformanceResult.from_json(pooled.to_json()) == pooled
        with pytest.raises(SpecificationError, match="method='johnson' is not in the driver"):
            ImportancePerformance(method="johnson").from_drivers(drivers)

    def test_fit_with_stated_importance_columns(self) -> None:
        rng = np.random.default_rng(8)
        n = 200
        df = pd.DataFrame(
            {
                "P1": rng.integers(1, 6, n),
                "P2": rng.integers(3, 6, n),
                "I1": rng.integers(4, 6, n),
                "I2": rng.integers(1, 3, n),
                "seg": rng.choice(["a", "b"], n),
            }
        ).astype({"P1": float, "P2": float, "I1": float, "I2": float})
        survey = csi.SurveyData.from_frame(df, scale=(1, 5), segments=["seg"])
        res = ImportancePerformance(crosshair="midpoint").fit(
            survey, importance={"P1": "I1", "P2": "I2"}, by="seg"
        )
        pooled = res.pooled
        np.testing.assert_allclose(pooled.table["importance"], [df["I1"].mean(), df["I2"].mean()])
        np.testing.assert_allclose(pooled.table["performance"], [df["P1"].mean(), df["P2"].mean()])
        np.testing.assert_allclose(
            pooled.table["gap"], pooled.table["importance"] - pooled.table["performance"]
        )
        part = df[df["seg"] == "a"]
        np.testing.assert_allclose(
            res.segments["a"].table["importance"], [part["I1"].mean(), part["I2"].mean()]
        )
        assert pooled.settings["importance_scale"] == [1.0, 5.0]
        # stated values given directly
        res2 = ImportancePerformance().fit(survey, importance={"P1": 4.5, "P2": 2.0})
        assert res2.table["importance"].tolist() == [4.5, 2.0]

    def test_fit_with_a_driver_model(self, demo) -> None:
        model = DriverAnalysis(attributes=["QUAL1", "QUAL2", "VAL1"], overall="SAT1")
        res = ImportancePerformance().fit(demo, importance=model)
        drivers = model.fit(demo)
        np.testing.assert_allclose(res.table["importance"], drivers.importance["lmg"], rtol=1e-12)
        # performance: weighted mean of every available answer (not only listwise rows)
        for a in ["QUAL1", "QUAL2", "VAL1"]:
            ok = demo.frame[a].notna()
            ref = np.average(demo.frame.loc[ok, a], weights=demo.frame.loc[ok, "weight"])
            assert res.table.loc[a, "performance"] == pytest.approx(ref, rel=1e-12)


# -- penalty–reward -------------------------------------------------------------------------
def asymmetric_survey(n: int = 3000, seed: int = 5) -> pd.DataFrame:
    """Three attributes on 1-5: a pure penalty, a symmetric (linear) and a pure reward."""
    rng = np.random.default_rng(seed)
    att = rng.integers(1, 6, size=(n, 3)).astype(float)
    basic = -1.2 * (att[:, 0] <= 2)
    linear = 0.5 * (att[:, 1] - 3)
    excite = 1.2 * (att[:, 2] >= 4)
    y = 3.0 + basic + linear + excite + rng.normal(scale=0.6, size=n)
    return pd.DataFrame(att, columns=["must", "linear", "delight"]).assign(SAT=y)


class TestPenaltyReward:
    def test_classes_from_simulation(self) -> None:
        df = asymmetric_survey()
        res = PenaltyReward(
            attributes=["must", "linear", "delight"], overall="SAT", low_max=2, high_min=4
        ).fit(df)
        t = res.table
        assert t["factor_class"].to_dict() == {
            "must": "basic",
            "linear": "performance",
            "delight": "excitement",
        }
        assert t.loc["must", "factor_class_zh"] == FACTOR_CLASSES["basic"].label_zh
        # true effects: penalty -1.2 / reward 0 for 'must'; ±0.75 (mean of 1 and 0.5 steps) linear
        assert t.loc["must", "penalty"] == pytest.approx(-1.2, abs=0.1)
        assert t.loc["must", "reward"] == pytest.approx(0.0, abs=0.1)
        assert t.loc["delight", "reward"] == pytest.approx(1.2, abs=0.1)
        assert t.loc["linear", "penalty"] == pytest.approx(-0.75, abs=0.1)
        assert t.loc["linear", "reward"] == pytest.approx(0.75, abs=0.1)
        sig = PenaltyReward(
            attributes=["must", "linear", "delight"],
            overall="SAT",
            low_max=2,
            high_min=4,
            classify="significance",
        ).fit(df)
        assert sig.table["factor_class"].tolist() == ["basic", "performance", "excitement"]

    def test_coefficients_and_asymmetry_match_independent_ols(self) -> None:
        df = asymmetric_survey(600, 9)
        res = PenaltyReward(
            attributes=["must", "linear", "delight"], overall="SAT", low_max=2, high_min=4
        ).fit(df)
        cols = [np.ones(600)]
        for a in ["must", "linear", "delight"]:
            cols += [(df[a] <= 2).to_numpy(float), (df[a] >= 4).to_numpy(float)]
        x = np.column_stack(cols)
        y = df["SAT"].to_numpy()
        b = np.linalg.lstsq(x, y, rcond=None)[0]
        resid = y - x @ b
        se = np.sqrt(np.diag(resid @ resid / (600 - 7) * np.linalg.inv(x.T @ x)))
        np.testing.assert_allclose(res.coefficients["estimate"], b[1:], rtol=1e-10)
        np.testing.assert_allclose(res.coefficients["std_error"], se[1:], rtol=1e-8)
        assert res.intercept == pytest.approx(b[0])
        t = res.table
        pen, rew = t["penalty"].abs(), t["reward"].abs()
        np.testing.assert_allclose(t["impact_asymmetry"], (rew - pen) / (rew + pen))
        np.testing.assert_allclose(t["sgp"] + t["dgp"], 1.0)
        assert res.r2 == pytest.approx(1 - resid @ resid / ((y - y.mean()) ** 2).sum())

    def test_default_bands_from_scale_thin_and_empty_bands(self) -> None:
        df = asymmetric_survey(400, 1)
        df["rare"] = np.where(np.arange(400) < 10, 1.0, 3.0)  # low band thin, high band empty
        survey = csi.SurveyData.from_frame(
            df,
            scale={"must": (1, 5), "linear": (1, 5), "delight": (1, 5), "rare": (1, 5)},
            items=["must", "linear", "delight", "rare", "SAT"],
        )
        with pytest.warns(DataQualityWarning) as record:
            res = PenaltyReward(attributes=["must", "linear", "rare"], overall="SAT").fit(survey)
        messages = [str(r.message) for r in record]
        assert any("empty band for rare (high)" in m for m in messages)
        assert any("thin band" in m and "rare (low: 10)" in m for m in messages)
        t = res.table
        assert t.loc["must", "low_max"] == 2.0 and t.loc["must", "high_min"] == 4.0
        assert bool(t.loc["rare", "thin_band"]) and not bool(t.loc["must", "thin_band"])
        assert t.loc["rare", "factor_class"] == "not_classified"
        assert np.isnan(res.coefficients.loc[("rare", "high"), "estimate"])
        assert any("thin band" in n for n in res.notes)

    def test_errors(self) -> None:
        df = asymmetric_survey(200)
        with pytest.raises(SpecificationError, match=r"'must'.*no declared scale.*low_max="):
            PenaltyReward(attributes=["must"], overall="SAT").fit(df)
        with pytest.raises(SpecificationError, match=r"low_max=4 must be below high_min=2"):
            PenaltyReward(attributes=["must"], overall="SAT", low_max=4, high_min=2).fit(df)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)
            with pytest.raises(DataValidationError, match=r"overall item 'SAT' is constant"):
                PenaltyReward(attributes=["must"], overall="SAT", low_max=2, high_min=4).fit(
                    df.assign(SAT=1.0)
                )
            with pytest.raises(DataValidationError, match=r"attribute 'must' has no variance"):
                PenaltyReward(
                    attributes=["must", "linear"], overall="SAT", low_max=2, high_min=4
                ).fit(df.assign(must=3.0))
        with pytest.raises(DataValidationError, match=r"overall item 'OVR' is not in the data"):
            PenaltyReward(attributes=["must"], overall="OVR", low_max=2, high_min=4).fit(df)
        with pytest.raises(EstimationError, match="collinear"):
            PenaltyReward(attributes=["must", "copy"], overall="SAT", low_max=2, high_min=4).fit(
                df.assign(copy=df["must"])
            )

    def test_segments_round_trip_and_plot(self, demo) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)
            res = PenaltyReward(attributes=["QUAL1", "QUAL2", "VAL1"], overall="SAT1").fit(
                demo, by="region"
            )
        assert res.overview["factor_class"].shape == (4, 3)
        assert csi.SegmentedResult.from_json(res.to_json()) == res
        assert PenaltyRewardResult.from_json(res.pooled.to_json()) == res.pooled
        # every segment uses the pooled band cut-offs
        assert res.segments["East"].settings["bands"]["QUAL1"] == [4.0, 7.0]
        assert "Penalty–reward" in str(res.pooled)
        res.pooled.plot()
        matplotlib.pyplot.close("all")


def test_quadrant_registry_is_complete() -> None:
    cells = {(q.high_importance, q.high_performance) for q in QUADRANTS.values()}
    assert len(cells) == 4
    assert {q.label_zh for q in QUADRANTS.values()} == {
        "急需改进区",
        "竞争优势区",
        "次要改进区",
        "锦上添花区",
    }


def test_demo_section() -> None:
    text = demo_section()
    assert "What to fix first" in text and "Fix first:" in text
    assert "急需改进区" in text or "次要改进区" in text


def test_johnson_matches_relativeimp_oracle(demo) -> None:
    """relativeImp 0.0.2 (PyPI) implements Johnson (2000) on unweighted correlations."""
    relative_imp = pytest.importorskip("relativeImp")
    attrs = ["QUAL1", "QUAL2", "QUAL3", "VAL1", "VAL2"]
    df = demo.frame[[*attrs, "SAT1"]].dropna().reset_index(drop=True)
    ours = DriverAnalysis(attributes=attrs, overall="SAT1", methods=["johnson"]).fit(df)
    peer = relative_imp.relativeImp(df, "SAT1", list(attrs)).set_index("driver")
    np.testing.assert_allclose(ours.importance["johnson"], peer["rawRelaImpt"], atol=1e-12)
