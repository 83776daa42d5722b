"""Tests of csimodels.ahp: worked examples, properties, bad input, round trips."""

from __future__ import annotations

import copy
import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar

from csimodels.ahp import (
    AHP,
    PRIORITY_METHODS,
    RI_TABLES,
    AHPGroup,
    AHPGroupResult,
    AHPHierarchy,
    AHPHierarchyResult,
    AHPRepairResult,
    AHPResult,
    FuzzyAHP,
    FuzzyAHPResult,
    SensitivityResult,
    batch_consistency,
    random_index,
    weight_sensitivity,
)
from csimodels.ahp._consistency import simulate_random_index
from csimodels.ahp._priorities import perron
from csimodels.errors import (
    ConsistencyWarning,
    DataQualityWarning,
    DataValidationError,
    SpecificationError,
)

# --------------------------------------------------------------------------------------
# Reference examples
# --------------------------------------------------------------------------------------

# Wikipedia, "Analytic hierarchy process – leader example" (criteria: experience,
# education, charisma, age; alternatives Tom, Dick, Harry). Published priorities:
# criteria .547/.127/.270/.056 (eigenvector, 4 d.p. in the issue: .5476 .1266 .2699 .0559),
# lambda_max 4.1184 (the issue), alternatives per criterion as below, and overall
# Tom .358, Dick .493, Harry .149.
LEADER_CRITERIA = ["experience", "education", "charisma", "age"]
LEADER_MATRIX = [[1, 4, 3, 7], [1 / 4, 1, 1 / 3, 3], [1 / 3, 3, 1, 5], [1 / 7, 1 / 3, 1 / 5, 1]]
LEADER_ALTERNATIVES = {
    "experience": {("Tom", "Dick"): 1 / 4, ("Tom", "Harry"): 4, ("Dick", "Harry"): 9},
    "education": {("Tom", "Dick"): 3, ("Tom", "Harry"): 1 / 5, ("Dick", "Harry"): 1 / 7},
    "charisma": {("Tom", "Dick"): 5, ("Tom", "Harry"): 9, ("Dick", "Harry"): 4},
    "age": {("Tom", "Dick"): 1 / 3, ("Tom", "Harry"): 5, ("Dick", "Harry"): 9},
}
LEADER_LOCAL = {  # Wikipedia's published local priorities (Tom, Dick, Harry)
    "experience": (0.217, 0.717, 0.066),
    "education": (0.188, 0.081, 0.731),
    "charisma": (0.743, 0.194, 0.063),
    "age": (0.265, 0.672, 0.063),
}

# Saaty, T.L. (2008). Decision making with the analytic hierarchy process. Int. J.
# Services Sciences 1(1), 83-98, Table "Which drink is consumed more in the U.S.?":
# derived priorities coffee .177, wine .019, tea .042, beer .116, soda .190, milk .129,
# water .327. AHPy 2.1's tests reproduce them and give CR 0.022 (Saaty 2005 RI,
# 3 d.p.) and 0.0235 (Donegan & Dodd RI, 4 d.p.).
DRINKS = {
    ("coffee", "wine"): 9, ("coffee", "tea"): 5, ("coffee", "beer"): 2,
    ("coffee", "soda"): 1, ("coffee", "milk"): 1, ("coffee", "water"): 1 / 2,
    ("wine", "tea"): 1 / 3, ("wine", "beer"): 1 / 9, ("wine", "soda"): 1 / 9,
    ("wine", "milk"): 1 / 9, ("wine", "water"): 1 / 9, ("tea", "beer"): 1 / 3,
    ("tea", "soda"): 1 / 4, ("tea", "milk"): 1 / 3, ("tea", "water"): 1 / 9,
    ("beer", "soda"): 1 / 2, ("beer", "milk"): 1, ("beer", "water"): 1 / 3,
    ("soda", "milk"): 2, ("soda", "water"): 1 / 2, ("milk", "water"): 1 / 3,
}  # fmt: skip
DRINKS_WEIGHTS = {
    "coffee": 0.177, "wine": 0.019, "tea": 0.042, "beer": 0.116,
    "soda": 0.190, "milk": 0.129, "water": 0.327,
}  # fmt: skip


def consistent_matrix(w: np.ndarray) -> np.ndarray:
    return np.asarray(w)[:, None] / np.asarray(w)[None, :]


def three_by_three_with_lambda(lam: float) -> np.ndarray:
    """A 3×3 reciprocal matrix with a given λmax, from Saaty's closed form for n = 3:
    λmax = 1 + δ^(1/3) + δ^(−1/3), δ = a12·a23 / a13."""
    x = ((lam - 1) + np.sqrt((lam - 1) ** 2 - 4)) / 2
    delta = x**3
    a12, a23 = 2.0, 3.0
    a13 = a12 * a23 / delta
    return np.array([[1, a12, a13], [1 / a12, 1, a23], [1 / a13, 1 / a23, 1]])


# --------------------------------------------------------------------------------------
# Worked examples
# --------------------------------------------------------------------------------------


class TestWorkedExamples:
    def test_leader_criteria_eigenvector(self) -> None:
        res = AHP().fit(LEADER_MATRIX, labels=LEADER_CRITERIA)
        np.testing.assert_allclose(
            res.weights.to_numpy(), [0.5476, 0.1266, 0.2699, 0.0559], atol=5e-5
        )
        assert res.lambda_max == pytest.approx(4.1184, abs=5e-5)
        assert res.ci == pytest.approx((res.lambda_max - 4) / 3, rel=1e-12)
        assert res.ri == 0.90
        assert res.cr == pytest.approx(res.ci / 0.90, rel=1e-12)
        assert res.consistent
        assert list(res.weights.index) == LEADER_CRITERIA
        assert res.weights.sum() == pytest.approx(1.0, abs=1e-12)

    def test_leader_numbers_come_from_the_eigenvector(self) -> None:
        # The published weights are the eigenvector's; the other methods differ at 3 d.p.
        geo = AHP(method="geometric").fit(LEADER_MATRIX).weights.to_numpy()
        col = AHP(method="column_average").fit(LEADER_MATRIX).weights.to_numpy()
        assert np.abs(geo - [0.5476, 0.1266, 0.2699, 0.0559]).max() > 1e-3
        assert np.abs(col - [0.5476, 0.1266, 0.2699, 0.0559]).max() > 1e-3
        # lambda_max is the Perron root whatever the method
        assert AHP(method="geometric").fit(LEADER_MATRIX).lambda_max == pytest.approx(
            4.1184, abs=5e-5
        )

    def test_leader_hierarchy_final_scores(self) -> None:
        judg = {"goal": (LEADER_MATRIX, LEADER_CRITERIA), **LEADER_ALTERNATIVES}
        res = AHPHierarchy(alternatives=("Tom", "Dick", "Harry")).fit(judg)
        assert res.scores is not None and res.alternative_priorities is not None
        np.testing.assert_allclose(res.scores.to_numpy(), [0.358, 0.493, 0.149], atol=5e-4)
        for crit, expected in LEADER_LOCAL.items():
            np.testing.assert_allclose(
                res.alternative_priorities[crit].to_numpy(), expected, atol=5e-4
            )
            np.testing.assert_allclose(res.weights_of(crit).to_numpy(), expected, atol=5e-4)
        np.testing.assert_allclose(
            res.weights_of("goal").to_numpy(), [0.5476, 0.1266, 0.2699, 0.0559], atol=5e-5
        )
        assert res.global_weights.sum() == pytest.approx(1.0)
        assert list(res.tree.index) == ["goal", *LEADER_CRITERIA]
        assert res.tree.loc["experience", "parent"] == "goal"
        assert res.tree.loc["experience", "level"] == 1

    def test_drinks(self) -> None:
        res = AHP(ri_table="saaty_2005").fit(DRINKS)
        for k, v in DRINKS_WEIGHTS.items():
            assert res.weights[k] == pytest.approx(v, abs=5e-4)
        assert round(res.cr, 3) == 0.022
        dd = AHP(ri_table="donegan_dodd_1991").fit(DRINKS)
        assert round(dd.cr, 4) == 0.0235
        assert res.lambda_max == dd.lambda_max

    def test_ci_cr_from_lambda_3055(self) -> None:
        a = three_by_three_with_lambda(3.055)
        res = AHP().fit(a)
        assert res.lambda_max == pytest.approx(3.055, abs=1e-9)
        assert res.ci == pytest.approx(0.0275, abs=1e-9)
        assert res.ri == 0.58
        assert res.cr == pytest.approx(0.0275 / 0.58, abs=1e-9)
        assert round(res.cr, 3) == 0.047

    def test_two_by_two_is_consistent(self) -> None:
        res = AHP().fit({("a", "b"): 7})
        assert (res.ci, res.ri, res.cr) == (0.0, 0.0, 0.0)
        assert res.consistent
        assert res.lambda_max == pytest.approx(2.0)
        assert res.gci is None
        assert any("n = 2" in n for n in res.notes)
        np.testing.assert_allclose(res.weights.to_numpy(), [7 / 8, 1 / 8])

    def test_one_element(self) -> None:
        res = AHP().fit([[1.0]], labels=["only"])
        assert res.weights.to_dict() == {"only": 1.0}
        assert res.cr == 0.0

    def test_bozoki_incomplete_example(self) -> None:
        # Bozóki, Fülöp & Rónyai (2010), example reproduced by AHPy's tests: missing
        # (c, d) completed to 0.730297106886979; weights a .3738 b .392 c .0985 d .1357.
        u = {("a", "b"): 1, ("a", "c"): 5, ("a", "d"): 2, ("b", "c"): 3, ("b", "d"): 4}
        res = AHP(completion="lambda_max").fit(u)
        assert res.matrix.loc["c", "d"] == pytest.approx(0.730297106886979, abs=1e-5)
        np.testing.assert_allclose(
            res.weights.to_numpy(), [0.3738, 0.392, 0.0985, 0.1357], atol=5e-5
        )
        # independent check: a bounded scalar search of the Perron root
        base = res.matrix.to_numpy().copy()

        def lam(x: float) -> float:
            m = base.copy()
            m[2, 3], m[3, 2] = x, 1 / x
            return float(perron(m)[0])

        best = minimize_scalar(lam, bounds=(0.01, 9), method="bounded", options={"xatol": 1e-10})
        assert res.matrix.loc["c", "d"] == pytest.approx(best.x, abs=1e-6)
        row = res.diagnosis[(res.diagnosis["row"] == "c") & (res.diagnosis["column"] == "d")]
        assert bool(row["completed"].iloc[0])
        assert res.settings["n_missing"] == 1

    def test_harker_recovers_consistent_weights(self) -> None:
        w = np.array([0.4, 0.3, 0.2, 0.1])
        a = consistent_matrix(w)
        a[0, 3] = a[3, 0] = a[1, 2] = a[2, 1] = np.nan
        for completion in ("harker", "lambda_max"):
            res = AHP(completion=completion).fit(a)
            np.testing.assert_allclose(res.weights.to_numpy(), w, atol=1e-7)
            assert res.cr == pytest.approx(0.0, abs=1e-7)

    def test_harker_matches_its_definition_on_bozoki_example(self) -> None:
        # Harker (1987): C = A with missing entries 0 and diagonal 1 + (missing in row)
        u = {("a", "b"): 1, ("a", "c"): 5, ("a", "d"): 2, ("b", "c"): 3, ("b", "d"): 4}
        res = AHP(completion="harker").fit(u)
        c = np.array([[1, 1, 5, 2], [1, 1, 3, 4], [1 / 5, 1 / 3, 2, 0], [1 / 2, 1 / 4, 0, 2]])
        vals, vecs = np.linalg.eig(c)
        v = np.abs(vecs[:, np.argmax(vals.real)].real)
        np.testing.assert_allclose(res.weights.to_numpy(), v / v.sum(), atol=1e-12)
        assert res.matrix.loc["c", "d"] == pytest.approx(v[2] / v[3])


class TestRandomIndex:
    def test_registry_and_default(self) -> None:
        assert sorted(RI_TABLES) == [
            "alonso_lamata_2006", "donegan_dodd_1991", "saaty_1980", "saaty_2005", "simulated",
        ]  # fmt: skip
        expected = [0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56,
                    1.57, 1.59]  # fmt: skip
        assert [random_index(n) for n in range(1, 16)] == expected
        assert AHP().ri_table == "saaty_1980"

    def test_alonso_lamata_formula_beyond_15(self) -> None:
        t = RI_TABLES["alonso_lamata_2006"]
        assert t.ri(15) == 1.5838
        assert t.ri(16) == pytest.approx((1.7699 * 16 - 4.3513) / 15)
        # the fitted formula agrees with the table near its end
        assert (1.7699 * 15 - 4.3513) / 14 == pytest.approx(1.5838, abs=0.005)

    def test_simulated_agrees_with_published_tables(self) -> None:
        # Simulation with Saaty's procedure vs Alonso & Lamata (100,000 matrices each)
        for n in (3, 5, 7, 9):
            sim = simulate_random_index(n, 20_000, 7)
            assert sim == pytest.approx(RI_TABLES["alonso_lamata_2006"].ri(n), abs=0.012)
        # and the formula beyond the table
        assert simulate_random_index(20, 4_000, 3) == pytest.approx(
            RI_TABLES["alonso_lamata_2006"].ri(20), abs=0.015
        )

    def test_simulated_table_is_reproducible_and_recorded(self) -> None:
        model = AHP(ri_table="simulated", ri_simulations=2_000, random_state=5)
        r1 = model.fit(LEADER_MATRIX)
        r2 = model.fit(LEADER_MATRIX)
        assert r1.ri == r2.ri
        assert r1.settings["ri_table"] == "simulated"
        assert r1.settings["random_state"] == 5
        assert "Simulated" in r1.settings["ri_citation"]

    def test_any_n_with_alonso_lamata(self) -> None:
        w = np.linspace(1, 2, 30)
        res = AHP(ri_table="alonso_lamata_2006", scale_max=9).fit(consistent_matrix(w))
        assert res.ri == pytest.approx((1.7699 * 30 - 4.3513) / 29)
        assert res.cr == pytest.approx(0.0, abs=1e-9)

    def test_threshold_saaty(self) -> None:
        a = three_by_three_with_lambda(3.055)  # CR 0.047 < 0.05
        assert AHP(threshold="saaty").fit(a).threshold == 0.05
        b = three_by_three_with_lambda(3.07)  # CR 0.060 > 0.05
        with pytest.warns(ConsistencyWarning, match=r"CR = 0\.06\d+ exceeds the threshold 0\.05"):
            res = AHP(threshold="saaty").fit(b)
        assert not res.consistent
        assert AHP(threshold="saaty").fit(LEADER_MATRIX).threshold == 0.08
        assert AHP(threshold="saaty").fit(DRINKS).threshold == 0.10

    def test_gci(self) -> None:
        # For n = 3, GCI = (1/3)·ln²(δ)·... closed form: every e_ij equals δ^(±1/3),
        # so GCI = 2/(2·1) · 3 · (ln δ / 3)² = (ln δ)² / 3.
        a = three_by_three_with_lambda(3.055)
        delta = a[0, 1] * a[1, 2] / a[0, 2]
        assert AHP().fit(a).gci == pytest.approx(np.log(delta) ** 2 / 3, rel=1e-10)
        assert AHP().fit(consistent_matrix(np.array([3.0, 2, 1]))).gci == pytest.approx(
            0, abs=1e-12
        )


# --------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------

weights_strategy = st.lists(st.floats(0.05, 20.0), min_size=1, max_size=9)


class TestProperties:
    @settings(max_examples=60, deadline=None)
    @given(weights_strategy, st.sampled_from(sorted(PRIORITY_METHODS)))
    def test_consistent_matrix_returns_its_weights(self, w: list[float], method: str) -> None:
        v = np.array(w)
        res = AHP(method=method, allow_off_scale=True, scale_max=1e6).fit(consistent_matrix(v))
        np.testing.assert_allclose(res.weights.to_numpy(), v / v.sum(), rtol=1e-9, atol=1e-12)
        assert res.lambda_max == pytest.approx(len(w), abs=1e-9)
        assert res.cr == pytest.approx(0.0, abs=1e-9)
        assert res.consistent

    @settings(max_examples=40, deadline=None)
    @given(st.integers(3, 7), st.integers(0, 10_000), st.randoms(use_true_random=False))
    def test_relabelling_invariance(self, n: int, seed: int, rnd: object) -> None:
        rng = np.random.default_rng(seed)
        scale = np.array([1 / 9, 1 / 7, 1 / 5, 1 / 3, 1, 3, 5, 7, 9])
        a = np.ones((n, n))
        iu = np.triu_indices(n, 1)
        a[iu] = scale[rng.integers(0, scale.size, iu[0].size)]
        a[(iu[1], iu[0])] = 1 / a[iu]
        labels = [f"x{k}" for k in range(n)]
        perm = rng.permutation(n)
        frame = pd.DataFrame(a, index=labels, columns=labels)
        shuffled = frame.iloc[perm, perm]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConsistencyWarning)
            for method in PRIORITY_METHODS:
                r1 = AHP(method=method).fit(frame)
                r2 = AHP(method=method).fit(shuffled)
                pd.testing.assert_series_equal(
                    r1.weights, r2.weights.loc[r1.weights.index], rtol=1e-9
                )
                assert r1.cr == pytest.approx(r2.cr, rel=1e-9, abs=1e-12)

    @settings(max_examples=60, deadline=None)
    @given(
        st.integers(1, 3),
        st.lists(st.floats(1 / 9, 9), min_size=3, max_size=3),
    )
    def test_eigenvector_equals_geometric_for_small_n(self, n: int, vals: list[float]) -> None:
        a = np.ones((n, n))
        iu = np.triu_indices(n, 1)
        a[iu] = vals[: iu[0].size]
        a[(iu[1], iu[0])] = 1 / a[iu]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConsistencyWarning)
            e = AHP().fit(a).weights.to_numpy()
            g = AHP(method="geometric").fit(a).weights.to_numpy()
        np.testing.assert_allclose(e, g, rtol=1e-9)

    def test_lambda_max_at_least_n(self) -> None:
        rng = np.random.default_rng(3)
        a = np.exp(rng.normal(0, 1, (200, 6, 6)))
        a = np.sqrt(a / np.swapaxes(a, 1, 2))
        _, lam, ci, cr = batch_consistency(a, ri=1.24)
        assert (lam >= 6 - 1e-9).all() and (ci >= 0).all()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            single = [AHP(allow_off_scale=True, scale_max=1e9).fit(m) for m in a[:5]]
            np.testing.assert_allclose([r.cr for r in single], cr[:5], rtol=1e-10)


# --------------------------------------------------------------------------------------
# Input forms, orientation, no mutation, round trips
# --------------------------------------------------------------------------------------


class TestInputs:
    def test_three_input_forms_agree(self) -> None:
        frame = pd.DataFrame(LEADER_MATRIX, index=LEADER_CRITERIA, columns=LEADER_CRITERIA)
        mapping = {
            (LEADER_CRITERIA[i], LEADER_CRITERIA[j]): LEADER_MATRIX[i][j]
            for i, j in itertools.combinations(range(4), 2)
        }
        r1 = AHP().fit(LEADER_MATRIX, labels=LEADER_CRITERIA)
        r2 = AHP().fit(frame)
        r3 = AHP().fit(mapping)
        upper = np.triu(np.array(LEADER_MATRIX)) + np.tril(np.full((4, 4), np.nan), -1)
        r4 = AHP().fit(upper, labels=LEADER_CRITERIA)
        for r in (r2, r3, r4):
            pd.testing.assert_series_equal(r.weights, r1.weights, rtol=1e-12)

    def test_mapping_orientation(self) -> None:
        res = AHP().fit({("price", "quality"): 3})
        assert res.weights["price"] == pytest.approx(0.75)
        res = AHP().fit({("quality", "price"): 3}, labels=["price", "quality"])
        assert res.weights["price"] == pytest.approx(0.25)
        assert list(res.weights.index) == ["price", "quality"]

    def test_frame_reordered_by_labels(self) -> None:
        frame = pd.DataFrame(LEADER_MATRIX, index=LEADER_CRITERIA, columns=LEADER_CRITERIA)
        frame = frame[LEADER_CRITERIA[::-1]]
        res = AHP().fit(frame, labels=["age", "charisma", "education", "experience"])
        assert res.weights["experience"] == pytest.approx(0.5476, abs=5e-5)
        assert list(res.weights.index) == ["age", "charisma", "education", "experience"]

    def test_near_reciprocal_reconciled_with_note(self) -> None:
        a = [[1, 3, 5], [0.33, 1, 2], [0.2, 0.5, 1]]
        res = AHP().fit(a)
        assert res.matrix.iloc[0, 1] == pytest.approx(np.sqrt(3 / 0.33))
        assert res.matrix.iloc[0, 1] * res.matrix.iloc[1, 0] == pytest.approx(1.0)
        assert any("reconciled" in n for n in res.notes)

    def test_nothing_mutated(self) -> None:
        a = np.array(LEADER_MATRIX)
        a[0, 2] = np.nan
        a_copy = a.copy()
        frame = pd.DataFrame(LEADER_MATRIX, index=LEADER_CRITERIA, columns=LEADER_CRITERIA)
        frame_copy = frame.copy()
        mapping = dict(DRINKS)
        mapping_copy = copy.deepcopy(mapping)
        model = AHP(completion="harker")
        dumped = model.model_dump()
        model.fit(a)
        AHP().fit(frame)
        AHP().fit(mapping)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            AHP().repair(frame)
        np.testing.assert_array_equal(a, a_copy)
        pd.testing.assert_frame_equal(frame, frame_copy)
        assert mapping == mapping_copy
        assert model.model_dump() == dumped

    def test_json_round_trips(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            results = [
                AHP().fit(LEADER_MATRIX, labels=LEADER_CRITERIA),
                AHP().fit({("a", "b"): 2}),
                AHP(completion="lambda_max").fit(
                    {("a", "b"): 1, ("a", "c"): 5, ("a", "d"): 2, ("b", "c"): 3, ("b", "d"): 4}
                ),
                AHP().repair([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]),
                AHPHierarchy(alternatives=("Tom", "Dick", "Harry")).fit(
                    {"goal": (LEADER_MATRIX, LEADER_CRITERIA), **LEADER_ALTERNATIVES}
                ),
                AHPGroup().fit(survey(30, seed=2)),
                FuzzyAHP().fit(DRINKS),
                FuzzyAHP(method="chang").fit({("a", "b"): (2, 3, 4), ("a", "c"): 2, ("b", "c"): 1}),
                weight_sensitivity(pd.Series({"a": 0.6, "b": 0.4}),
                                   pd.DataFrame({"a": [0.7, 0.3], "b": [0.2, 0.8]})),
            ]  # fmt: skip
        types = (
            AHPResult, AHPResult, AHPResult, AHPRepairResult, AHPHierarchyResult,
            AHPGroupResult, FuzzyAHPResult, FuzzyAHPResult, SensitivityResult,
        )  # fmt: skip
        for res, kind in zip(results, types, strict=True):
            assert isinstance(res, kind)
            again = type(res).from_json(res.to_json())
            assert again == res
            assert str(res)  # the summary renders
            assert res._repr_html_()


# --------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------


class TestValidation:
    def test_not_square(self) -> None:
        with pytest.raises(DataValidationError, match=r"must be square .*shape \(2, 3\)"):
            AHP().fit(np.ones((2, 3)))

    def test_empty(self) -> None:
        with pytest.raises(DataValidationError, match="empty"):
            AHP().fit(np.ones((0, 0)))

    def test_labels_length(self) -> None:
        with pytest.raises(DataValidationError, match=r"2 labels given for a 3 × 3 matrix"):
            AHP().fit(np.ones((3, 3)), labels=["a", "b"])

    def test_duplicate_labels(self) -> None:
        with pytest.raises(DataValidationError, match=r"duplicated labels 'a'"):
            AHP().fit(np.ones((2, 2)), labels=["a", "a"])

    def test_non_numeric(self) -> None:
        with pytest.raises(DataValidationError, match="not numeric"):
            AHP().fit([["1", "x"], ["y", "1"]])
        frame = pd.DataFrame({"a": [1, "x"], "b": ["y", 1]}, index=["a", "b"])
        with pytest.raises(DataValidationError, match=r"column\(s\) 'a', 'b' .* not numeric"):
            AHP().fit(frame)
        with pytest.raises(DataValidationError, match=r"\('a', 'b'\) = 'high' is not a number"):
            AHP().fit({("a", "b"): "high"})

    def test_infinite(self) -> None:
        with pytest.raises(DataValidationError, match=r"infinite judgments at \('C1', 'C2'\)"):
            AHP().fit([[1, np.inf], [0, 1]])

    def test_non_positive_names_cell(self) -> None:
        with pytest.raises(DataValidationError, match=r"positive ratios; found \('b', 'a'\) = -3"):
            AHP().fit([[1, 3], [-3, 1]], labels=["a", "b"])
        with pytest.raises(DataValidationError, match=r"\('a', 'b'\) = 0"):
            AHP().fit({("a", "b"): 0})

    def test_diagonal(self) -> None:
        with pytest.raises(
            DataValidationError, match=r"diagonal must be 1 .*found \('b', 'b'\) = 2"
        ):
            AHP().fit([[1, 3], [1 / 3, 2]], labels=["a", "b"])
        with pytest.raises(DataValidationError, match=r"\('a', 'a'\) = 2 compares an element"):
            AHP().fit({("a", "a"): 2, ("a", "b"): 3})

    def test_not_reciprocal_names_both_cells(self) -> None:
        with pytest.raises(
            DataValidationError,
            match=r"not reciprocal .*\('p', 'q'\) = 3 but \('q', 'p'\) = 0\.3",
        ):
            AHP().fit([[1, 3], [0.3, 1]], labels=["p", "q"])
        with pytest.raises(DataValidationError, match="not reciprocal"):
            AHP().fit({("a", "b"): 3, ("b", "a"): 3})
        # tolerance is a parameter
        AHP(reciprocal_tolerance=0.6).fit([[1, 3], [0.5, 1]])

    def test_off_scale(self) -> None:
        with pytest.raises(
            DataValidationError, match=r"off the scale \[1/9, 9\]: \('a', 'b'\) = 12"
        ):
            AHP().fit({("a", "b"): 12})
        with pytest.raises(DataValidationError, match=r"\('b', 'a'\) = 20"):
            AHP().fit({("a", "b"): 1 / 20})
        with pytest.warns(DataQualityWarning, match=r"accepted \(allow_off_scale=True\)"):
            res = AHP(allow_off_scale=True).fit({("a", "b"): 12})
        assert res.weights["a"] == pytest.approx(12 / 13)
        AHP(scale_max=20).fit({("a", "b"): 12})  # another scale, no warning

    def test_frame_labels_mismatch(self) -> None:
        frame = pd.DataFrame(np.ones((2, 2)), index=["a", "b"], columns=["a", "c"])
        with pytest.raises(
            DataValidationError, match=r"only in the index: 'b'; only in the columns: 'c'"
        ):
            AHP().fit(frame)
        frame = pd.DataFrame(np.ones((2, 2)), index=["a", "b"], columns=["a", "b"])
        with pytest.raises(DataValidationError, match=r"labels 'a', 'x' do not match"):
            AHP().fit(frame, labels=["a", "x"])

    def test_mapping_errors(self) -> None:
        with pytest.raises(
            DataValidationError, match=r"judgments name 'z', which is not among labels"
        ):
            AHP().fit({("a", "z"): 3}, labels=["a", "b"])
        with pytest.raises(DataValidationError, match=r"needs \(first, second\) pairs as keys"):
            AHP().fit({"a": 3})  # type: ignore[dict-item]

    def test_missing_judgments(self) -> None:
        u = {("a", "b"): 1, ("a", "c"): 5, ("b", "c"): 3}
        with pytest.raises(
            DataValidationError, match=r"1 judgment\(s\) missing: \('a', 'd'\)|missing"
        ):
            AHP().fit({**u, ("b", "d"): 2})
        with pytest.raises(
            DataValidationError, match=r"missing: \('c', 'd'\).*completion='lambda_max'"
        ):
            AHP().fit({**u, ("a", "d"): 2, ("b", "d"): 2})

    def test_disconnected(self) -> None:
        judg = {("a", "b"): 2, ("c", "d"): 3}
        with pytest.raises(
            DataValidationError, match=r"not connected.*\{'a', 'b'\} \| \{'c', 'd'\}"
        ):
            AHP(completion="harker").fit(judg)

    def test_settings(self) -> None:
        with pytest.raises(SpecificationError, match="method"):
            AHP(method="power")  # type: ignore[arg-type]
        with pytest.raises(
            SpecificationError,
            match=r"not a known RI table; choose one of 'alonso_lamata_2006', 'donegan_dodd_1991'",
        ):
            AHP(ri_table="saaty")
        with pytest.raises(SpecificationError, match=r"threshold must be in \(0, 1\)"):
            AHP(threshold=1.5)
        with pytest.raises(SpecificationError, match="AHP has no parameter 'colour'"):
            AHP(colour="red")  # type: ignore[call-arg]

    def test_table_too_small(self) -> None:
        w = np.linspace(1, 2, 16)
        with pytest.raises(SpecificationError, match=r"'saaty_1980' has no value for n = 16"):
            AHP().fit(consistent_matrix(w))

    def test_cr_warning_and_strict(self) -> None:
        bad = {("a", "b"): 9, ("b", "c"): 9, ("a", "c"): 1 / 9}
        with pytest.warns(
            ConsistencyWarning,
            match=r"CR = \d+\.\d+ exceeds the threshold 0\.10 .*most inconsistent",
        ):
            res = AHP().fit(bad)
        assert not res.consistent and res.cr > 0.1
        assert any("exceeds" in n for n in res.notes)
        with pytest.raises(DataValidationError, match=r"exceeds the threshold.*strict=True"):
            AHP(strict=True).fit(bad)


# --------------------------------------------------------------------------------------
# Diagnosis and repair
# --------------------------------------------------------------------------------------


class TestRepair:
    def test_diagnosis_ranks_the_planted_error(self) -> None:
        w = np.array([0.4, 0.25, 0.2, 0.1, 0.05])
        a = consistent_matrix(w)
        a[1, 3], a[3, 1] = 1 / 4, 4  # true value 2.5, reversed
        with pytest.warns(ConsistencyWarning):
            res = AHP().fit(a, labels=list("abcde"))
        top = res.diagnosis.iloc[0]
        assert (top["row"], top["column"]) == ("b", "d")
        # error ratios reproduce lambda_max: λ = (1/n) Σ_ij a_ij w_j / w_i
        full = res.matrix.to_numpy()
        wv = res.weights.to_numpy()
        assert (full * wv[None, :] / wv[:, None]).sum() / 5 == pytest.approx(res.lambda_max)

    def test_repair_fixes_planted_error(self) -> None:
        w = np.array([0.4, 0.25, 0.2, 0.1, 0.05])
        a = consistent_matrix(w)
        a[1, 3], a[3, 1] = 1 / 4, 4
        a_copy = a.copy()
        with pytest.warns(ConsistencyWarning):
            rep = AHP().repair(a, labels=list("abcde"), to_scale=False)
        np.testing.assert_array_equal(a, a_copy)
        assert rep.acceptable and rep.repaired.consistent
        first = rep.changes.iloc[0]
        assert (first["row"], first["column"], first["old"]) == ("b", "d", 0.25)
        assert rep.original.matrix.loc["b", "d"] == 0.25  # original left as it was
        # the change log chains: each step starts where the previous ended
        np.testing.assert_allclose(
            rep.changes["cr_before"].to_numpy()[1:], rep.changes["cr_after"].to_numpy()[:-1]
        )
        assert rep.changes["cr_after"].iloc[-1] == pytest.approx(rep.repaired.cr)

    def test_repair_on_scale_reaches_threshold(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rep = AHP().repair([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]])
        assert rep.acceptable and rep.repaired.cr <= 0.1
        scale = {float(k) for k in range(1, 10)} | {1 / k for k in range(2, 10)}
        for v in rep.changes["new"]:
            assert any(np.isclose(v, s) for s in scale)

    def test_repair_limit_warns(self) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConsistencyWarning)
            bad = AHP().fit([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]])
        assert not bad.consistent
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            rep = AHP().repair([[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]], max_changes=1)
        assert any(
            issubclass(w.category, ConsistencyWarning)
            and "still" in str(w.message)
            and "after 1 revision" in str(w.message)
            for w in caught
        )
        assert not rep.acceptable and len(rep.changes) == 1


# --------------------------------------------------------------------------------------
# Hierarchies
# --------------------------------------------------------------------------------------


class TestHierarchy:
    def test_three_levels_and_ideal_mode(self) -> None:
        judg = {
            "goal": {("service", "price"): 3},
            "service": {
                ("speed", "courtesy"): 2, ("speed", "accuracy"): 1, ("courtesy", "accuracy"): 1 / 2,
            },
            "speed": {("A", "B"): 3}, "courtesy": {("A", "B"): 1 / 2},
            "accuracy": {("A", "B"): 1}, "price": {("A", "B"): 1 / 4},
        }  # fmt: skip
        res = AHPHierarchy(alternatives=("A", "B")).fit(judg)
        gw = res.global_weights
        assert list(gw.index) == ["price", "speed", "courtesy", "accuracy"]
        assert gw["price"] == pytest.approx(0.25)
        assert gw["speed"] == pytest.approx(0.75 * 0.4)  # consistent 2:1:2 → .4 .2 .4
        assert gw.sum() == pytest.approx(1.0)
        assert res.tree.loc["speed", "level"] == 2
        assert res.tree.loc["speed", "parent"] == "service"
        v = res.alternative_priorities
        assert v is not None
        expected = v.to_numpy() @ gw.to_numpy()
        assert res.scores is not None
        np.testing.assert_allclose(res.scores.to_numpy(), expected)
        ideal = AHPHierarchy(alternatives=("A", "B"), synthesis="ideal").fit(judg)
        vi = v / v.max(axis=0)
        raw = vi.to_numpy() @ gw.to_numpy()
        assert ideal.scores is not None
        np.testing.assert_allclose(ideal.scores.to_numpy(), raw / raw.sum())
        # Saaty's hierarchic CR: every matrix consistent here → 0
        assert res.hierarchy_cr == pytest.approx(0.0, abs=1e-9)

    def test_criteria_only(self) -> None:
        res = AHPHierarchy(goal="g").fit({"g": {("a", "b"): 1}, "a": {("a1", "a2"): 3}})
        assert res.scores is None
        assert res.global_weights.to_dict() == pytest.approx({"b": 0.5, "a1": 0.375, "a2": 0.125})
        pd.testing.assert_series_equal(res.weights_of("a"), res.nodes["a"].weights)

    def test_errors(self) -> None:
        with pytest.raises(DataValidationError, match=r"no judgments for the goal 'goal'"):
            AHPHierarchy().fit({"root": {("a", "b"): 1}})
        with pytest.raises(DataValidationError, match=r"'x' appears under 'a' and under 'b'"):
            AHPHierarchy().fit(
                {"goal": {("a", "b"): 1}, "a": {("x", "y"): 1}, "b": {("x", "z"): 1}}
            )
        with pytest.raises(DataValidationError, match=r"judgments for 'zzz', which no node above"):
            AHPHierarchy().fit({"goal": {("a", "b"): 1}, "zzz": {("x", "y"): 1}})
        with pytest.raises(DataValidationError, match=r"leaf criteria 'b' have no judgments"):
            AHPHierarchy(alternatives=("A", "B")).fit(
                {"goal": {("a", "b"): 1}, "a": {("A", "B"): 2}}
            )
        with pytest.raises(
            DataValidationError, match=r"node 'goal'.*bare matrix has no element names"
        ):
            AHPHierarchy().fit({"goal": np.ones((2, 2))})
        with pytest.raises(DataValidationError, match=r"node 'a': .*off the scale"):
            AHPHierarchy().fit({"goal": {("a", "b"): 1}, "a": {("x", "y"): 30}})
        res = AHPHierarchy().fit({"goal": {("a", "b"): 1}})
        with pytest.raises(SpecificationError, match=r"node 'a' has no children compared"):
            res.weights_of("a")

    def test_node_warning_names_node(self) -> None:
        bad = {("a", "b"): 9, ("b", "c"): 9, ("a", "c"): 1 / 9}
        with pytest.warns(ConsistencyWarning, match=r"AHPHierarchy node 'goal': CR"):
            res = AHPHierarchy().fit({"goal": bad})
        assert not res.tree.loc["goal", "consistent"]


# --------------------------------------------------------------------------------------
# Group judgments
# --------------------------------------------------------------------------------------

TRUE_W = np.array([0.4, 0.3, 0.2, 0.1])
NAMES = ["price", "quality", "speed", "staff"]


def survey(n: int, seed: int = 0, noise: float = 0.3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cols = {}
    for i, j in itertools.combinations(range(4), 2):
        r = TRUE_W[i] / TRUE_W[j] * np.exp(rng.normal(0, noise, n))
        mag = np.clip(np.rint(np.where(r >= 1, r, 1 / r)), 1, 9)
        cols[f"{NAMES[i]}_vs_{NAMES[j]}"] = np.where(r >= 1, mag, -mag).astype(int)
    return pd.DataFrame(cols)


class TestGroup:
    def test_individual_results_match_single_fits(self) -> None:
        df = survey(20, seed=1)
        res = AHPGroup().fit(df)
        for r in range(3):
            row = df.iloc[r]
            judg = {}
            for col, v in row.items():
                a, b = str(col).split("_vs_")
                judg[(a, b)] = float(v) if v > 0 else 1 / -v
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                single = AHP().fit(judg, labels=NAMES)
            assert res.respondents["cr"].iloc[r] == pytest.approx(single.cr, rel=1e-10, abs=1e-14)
            np.testing.assert_allclose(
                res.respondents[NAMES].iloc[r].to_numpy(), single.weights.to_numpy(), rtol=1e-9
            )

    def test_aij_is_geometric_mean_of_matrices(self) -> None:
        df = survey(50, seed=4)
        res = AHPGroup().fit(df)
        mats = []
        for _, row in df.iterrows():
            m = np.ones((4, 4))
            for col, v in row.items():
                a, b = str(col).split("_vs_")
                i, j = NAMES.index(a), NAMES.index(b)
                m[i, j] = v if v > 0 else 1 / -v
                m[j, i] = 1 / m[i, j]
            mats.append(m)
        gm = np.exp(np.log(np.array(mats)).mean(axis=0))
        np.testing.assert_allclose(res.group.matrix.to_numpy(), gm, rtol=1e-12)
        pd.testing.assert_series_equal(res.weights, res.group.weights, check_names=False)

    def test_recovers_true_weights(self) -> None:
        # simulation with known truth: judgments scattered around TRUE_W
        for agg in ("aij", "aip"):
            res = AHPGroup(aggregation=agg).fit(survey(3000, seed=2, noise=0.2))
            np.testing.assert_allclose(res.weights.to_numpy(), TRUE_W, atol=0.02)

    def test_aip_means(self) -> None:
        df = survey(40, seed=5)
        geo = AHPGroup(aggregation="aip").fit(df)
        ari = AHPGroup(aggregation="aip", aip_mean="arithmetic").fit(df)
        ind = geo.respondents[NAMES].to_numpy()
        np.testing.assert_allclose(ari.weights.to_numpy(), ind.mean(axis=0))
        g = np.exp(np.log(ind).mean(axis=0))
        np.testing.assert_allclose(geo.weights.to_numpy(), g / g.sum())

    def test_weights_and_exclusion(self) -> None:
        df = survey(60, seed=6, noise=0.8)
        df["w"] = np.linspace(1, 3, 60)
        res = AHPGroup(exclude_inconsistent=True).fit(df, weight="w")
        inc = res.respondents["included"].to_numpy()
        assert (inc == (res.respondents["cr"] <= 0.1).to_numpy()).all()
        assert 0 < res.n_included < 60
        assert res.n_included == int(inc.sum())
        rows = res.respondents[inc]
        wi = rows["weight"].to_numpy() / rows["weight"].sum()
        logm = np.zeros((4, 4))
        for k, (_, row) in enumerate(df[inc].iterrows()):
            m = np.ones((4, 4))
            for col in df.columns[:-1]:
                a, b = col.split("_vs_")
                v = row[col]
                i, j = NAMES.index(a), NAMES.index(b)
                m[i, j] = v if v > 0 else 1 / -v
                m[j, i] = 1 / m[i, j]
            logm += wi[k] * np.log(m)
        np.testing.assert_allclose(res.group.matrix.to_numpy(), np.exp(logm), rtol=1e-10)

    def test_codings_and_orientation(self) -> None:
        df = pd.DataFrame({"a_vs_b": [0, 2, -2], "a_vs_c": [1, 1, 1], "b_vs_c": [0, 0, 0]})
        res = AHPGroup(coding="signed_8").fit(df)
        # 0 → 1, 2 → 3, −2 → 1/3: respondent 2 says a is 3× b
        assert res.respondents["a"].iloc[1] > res.respondents["b"].iloc[1]
        flipped = AHPGroup(coding="signed_8", positive_favours="second").fit(df)
        assert flipped.respondents["a"].iloc[1] < flipped.respondents["b"].iloc[1]
        same = pd.DataFrame({"a_vs_b": [1, -1]})
        r = AHPGroup().fit(same)
        np.testing.assert_allclose(r.respondents["a"].to_numpy(), [0.5, 0.5])

    def test_pairs_argument_and_survey_data(self) -> None:
        from csimodels.data.survey import SurveyData

        df = pd.DataFrame({"q1": [3, 5, 2], "q2": [5, 7, 3], "q3": [2, 3, 1]})
        pairs = {"q1": ("a", "b"), "q2": ("a", "c"), "q3": ("b", "c")}
        r1 = AHPGroup().fit(df, pairs=pairs)
        data = SurveyData.from_frame(df, scale=(-9, 9))
        r2 = AHPGroup().fit(data, pairs=pairs)
        pd.testing.assert_series_equal(r1.weights, r2.weights)

    def test_missing_answers_dropped(self) -> None:
        df = survey(10, seed=3).astype(float)
        df.iloc[2, 1] = np.nan
        with pytest.warns(
            DataQualityWarning, match=r"1 respondent\(s\) with missing answers left out \(rows 2\)"
        ):
            res = AHPGroup().fit(df)
        assert res.n_respondents == 9 and 2 not in res.respondents.index

    def test_errors(self) -> None:
        df = survey(5)
        with pytest.raises(DataValidationError, match=r"pair column\(s\) 'nope' not found"):
            AHPGroup().fit(df, pairs={"nope": ("a", "b")})
        bad = df.copy()
        bad.iloc[3, 0] = 12
        with pytest.raises(
            DataValidationError,
            match=r"'price_vs_quality' has 1 value\(s\) off the coding .*row 3: 12",
        ):
            AHPGroup().fit(bad)
        zero = df.copy()
        zero.iloc[1, 2] = 0
        with pytest.raises(DataValidationError, match=r"0 is not a code.*coding='signed_8'"):
            AHPGroup().fit(zero)
        with pytest.raises(DataValidationError, match=r"'a b' are not named '<first>_vs_<second>'"):
            AHPGroup().fit(pd.DataFrame({"a b": [1]}))
        with pytest.raises(
            DataValidationError, match=r"'a_vs_b' and 'b_vs_a' both compare 'b' and 'a'"
        ):
            AHPGroup().fit(pd.DataFrame({"a_vs_b": [1], "b_vs_a": [2]}))
        with pytest.raises(
            DataValidationError, match=r"every pair of the 3 criteria; missing \('b', 'c'\)"
        ):
            AHPGroup().fit(pd.DataFrame({"a_vs_b": [1], "a_vs_c": [2]}))
        neg = df.assign(w=[1, 1, 0, 1, 1])
        with pytest.raises(
            DataValidationError, match=r"weight column 'w' must be positive; rows 2"
        ):
            AHPGroup().fit(neg, weight="w")
        text = df.astype(str)
        with pytest.raises(
            DataValidationError, match=r"pair column 'price_vs_quality' is not numeric"
        ):
            AHPGroup().fit(text)
        with pytest.raises(SpecificationError, match="aggregation"):
            AHPGroup(aggregation="median")  # type: ignore[arg-type]

    def test_input_not_mutated(self) -> None:
        df = survey(10)
        before = df.copy()
        AHPGroup().fit(df)
        pd.testing.assert_frame_equal(df, before)


# --------------------------------------------------------------------------------------
# Fuzzy AHP
# --------------------------------------------------------------------------------------


class TestFuzzy:
    def test_buckley_two_by_two_by_hand(self) -> None:
        # a12 = (2, 3, 4): r1 = (√2, √3, 2), r2 = (1/2, 1/√3, 1/√2)
        r1 = np.array([np.sqrt(2), np.sqrt(3), 2])
        r2 = np.array([0.5, 1 / np.sqrt(3), 1 / np.sqrt(2)])
        tot = r1 + r2
        w1 = np.array([r1[0] / tot[2], r1[1] / tot[1], r1[2] / tot[0]])
        w2 = np.array([r2[0] / tot[2], r2[1] / tot[1], r2[2] / tot[0]])
        res = FuzzyAHP().fit({("a", "b"): (2, 3, 4)})
        np.testing.assert_allclose(res.fuzzy_weights.loc["a"].to_numpy(), w1)
        np.testing.assert_allclose(res.fuzzy_weights.loc["b"].to_numpy(), w2)
        c = np.array([w1.mean(), w2.mean()])
        np.testing.assert_allclose(res.weights.to_numpy(), c / c.sum())

    def test_buckley_crisp_is_geometric(self) -> None:
        res = FuzzyAHP(spread=0).fit(DRINKS)
        geo = AHP(method="geometric").fit(DRINKS)
        np.testing.assert_allclose(res.weights.to_numpy(), geo.weights.to_numpy(), rtol=1e-12)
        assert res.middle.cr == pytest.approx(AHP().fit(DRINKS).cr)

    def test_chang_extent_and_zero_weight_warning(self) -> None:
        # S1 = (3/6.5, 4/(16/3), 5/4.25), S2 = (1.25/6.5, (4/3)/(16/3), 1.5/4.25); l1 > u2
        with pytest.warns(ConsistencyWarning, match=r"gives 'b' a weight of 0"):
            res = FuzzyAHP(method="chang").fit({("a", "b"): (2, 3, 4)})
        np.testing.assert_allclose(
            res.fuzzy_weights.to_numpy(),
            [[3 / 6.5, 0.75, 5 / 4.25], [1.25 / 6.5, 0.25, 1.5 / 4.25]],
        )
        assert res.weights.to_dict() == {"a": 1.0, "b": 0.0}

    def test_chang_overlapping_degree(self) -> None:
        # Hand computation of V(S_i ≥ S_k) for overlapping extents
        t = {("a", "b"): (1 / 2, 1, 2), ("a", "c"): (1, 2, 3), ("b", "c"): (1 / 2, 1, 2)}
        res = FuzzyAHP(method="chang").fit(t)
        s = res.fuzzy_weights.to_numpy()

        def v(si: np.ndarray, sk: np.ndarray) -> float:
            if si[1] >= sk[1]:
                return 1.0
            if sk[0] >= si[2]:
                return 0.0
            return (sk[0] - si[2]) / ((si[1] - si[2]) - (sk[1] - sk[0]))

        d = np.array([min(v(s[i], s[k]) for k in range(3) if k != i) for i in range(3)])
        np.testing.assert_allclose(res.weights.to_numpy(), d / d.sum())
        assert (res.weights > 0).all()

    def test_fuzzify_crisp(self) -> None:
        res = FuzzyAHP(spread=1).fit({("a", "b"): 3, ("a", "c"): 1, ("b", "c"): 1 / 3})
        np.testing.assert_allclose(res.fuzzy_weights.sum().to_numpy()[1], 1.0)  # middles sum ~1
        assert res.middle.matrix.loc["b", "c"] == pytest.approx(1 / 3)
        # 3 → (2, 3, 4); its reciprocal 1/3 → (1/4, 1/3, 1/2)
        lo, mid, hi = FuzzyAHP(spread=1)._fuzzify(1 / 3)
        assert (lo, mid, hi) == pytest.approx((1 / 4, 1 / 3, 1 / 2))

    def test_errors(self) -> None:
        with pytest.raises(
            DataValidationError,
            match=r"\('a', 'b'\) = \(3\.0, 2\.0, 4\.0\) must satisfy 0 < l ≤ m ≤ u",
        ):
            FuzzyAHP().fit({("a", "b"): (3, 2, 4)})
        with pytest.raises(DataValidationError, match=r"\('a', 'b'\) = -1 must be positive"):
            FuzzyAHP().fit({("a", "b"): -1})
        with pytest.raises(DataValidationError, match=r"judgment \('b', 'c'\) is missing"):
            FuzzyAHP().fit({("a", "b"): 2, ("a", "c"): 3})
        with pytest.raises(DataValidationError, match=r"is not the reciprocal"):
            FuzzyAHP().fit({("a", "b"): (1, 2, 3), ("b", "a"): (1, 2, 3)})
        with pytest.raises(DataValidationError, match=r"shape \(n, n, 3\)"):
            FuzzyAHP().fit(np.ones((2, 2)))
        with pytest.raises(DataValidationError, match="must be an"):
            FuzzyAHP().fit({("a", "b"): (1, 2)})


# --------------------------------------------------------------------------------------
# Sensitivity
# --------------------------------------------------------------------------------------


class TestSensitivity:
    def test_bounds_match_brute_force_on_leader_example(self) -> None:
        judg = {"goal": (LEADER_MATRIX, LEADER_CRITERIA), **LEADER_ALTERNATIVES}
        res = AHPHierarchy(alternatives=("Tom", "Dick", "Harry")).fit(judg)
        sens = weight_sensitivity(res)
        w = res.global_weights.to_numpy()
        v = res.alternative_priorities.to_numpy()  # type: ignore[union-attr]
        base_rank = np.argsort(-(v @ w)).tolist()

        def rank_at(k: int, t: float) -> list[int]:
            wt = w * (1 - t) / (1 - w[k])
            wt[k] = t
            return np.argsort(-(v @ wt)).tolist()

        for k, crit in enumerate(LEADER_CRITERIA):
            lo, hi = sens.table.loc[crit, ["lower", "upper"]]
            inside = np.linspace(lo, hi, 50)[1:-1]
            assert all(rank_at(k, t) == base_rank for t in inside)
            if lo > 0:
                assert rank_at(k, lo - 1e-6) != base_rank
            if hi < 1:
                assert rank_at(k, hi + 1e-6) != base_rank
        assert sens.table.loc["experience", "lower_swap"] == "Tom / Dick"

    def test_first_only(self) -> None:
        w = pd.Series({"x": 0.5, "y": 0.5})
        v = pd.DataFrame({"x": [0.6, 0.3, 0.1], "y": [0.5, 0.2, 0.3]}, index=["A", "B", "C"])
        full = weight_sensitivity(w, v).table
        first = weight_sensitivity(w, v, ranking="first").table
        assert (first["upper"] >= full["upper"] - 1e-12).all()
        assert (first["lower"] <= full["lower"] + 1e-12).all()

    def test_errors(self) -> None:
        v = pd.DataFrame({"x": [0.6, 0.4], "y": [0.5, 0.5]})
        with pytest.raises(
            DataValidationError, match=r"not in priorities: 'z'; not in weights: 'y'"
        ):
            weight_sensitivity(pd.Series({"x": 0.5, "z": 0.5}), v)
        with pytest.raises(DataValidationError, match=r"sum to 1 \(sum 1\.2\)"):
            weight_sensitivity(pd.Series({"x": 0.6, "y": 0.6}), v)
        res = AHPHierarchy().fit({"goal": {("a", "b"): 1}})
        with pytest.raises(DataValidationError, match="no alternatives"):
            weight_sensitivity(res)


def test_demo_section() -> None:
    from csimodels.ahp import demo_section

    text = demo_section()
    assert "CR" in text and "Reliability" in text


def test_against_ahpy_oracle() -> None:
    # AHPy 2.1 (PyPI) as an oracle: same matrices, Donegan & Dodd RI, 10 decimals
    ahpy = pytest.importorskip("ahpy")
    rng = np.random.default_rng(11)
    scale = [1 / 9, 1 / 7, 1 / 5, 1 / 3, 1, 3, 5, 7, 9]
    names = [f"k{i}" for i in range(6)]
    for _ in range(5):
        comps = {p: float(rng.choice(scale)) for p in itertools.combinations(names, 2)}
        theirs = ahpy.Compare("x", comps, precision=10, random_index="dd")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours = AHP(ri_table="donegan_dodd_1991").fit(comps, labels=names)
        assert ours.cr == pytest.approx(theirs.consistency_ratio, abs=2e-10)
        for k in names:
            assert ours.weights[k] == pytest.approx(theirs.local_weights[k], abs=1e-8)
