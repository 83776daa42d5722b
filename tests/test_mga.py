"""PLS multigroup analysis: permutation test, PLS-MGA and MICOM.

References checked:
- an independent, slow computation: for each permutation, each group is fitted with
  ``estimate_pls`` on its raw (permuted) rows; the differences, the MICOM statistics
  (scores formed explicitly, correlated with ``np.corrcoef``) and the p-values equal the
  batched ones;
- Henseler's PLS-MGA formula evaluated by hand (double loop) on small synthetic
  bootstrap distributions, and seminr's ``henseler_p`` / ``estimate_pls_mga`` (with the
  same resample indices) on ECSI / mobi;
- simulations with known truth: a random split of one population gives ~uniform
  permutation p-values (5 % rejections at 5 %) and MICOM invariance; groups simulated
  with different paths are told apart.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator

import joblib
import numpy as np
import pandas as pd
import pytest
from test_pls_engine import ECSI_ITEMS, ECSI_PATHS, NAMES

import csimodels as csi
from csimodels.errors import (
    CSIModelsWarning,
    DataValidationError,
    InvalidParameterError,
)
from csimodels.results import result_from_json
from csimodels.sem import mga
from csimodels.sem._mga_engine import draw_permutations
from csimodels.sem._pls_engine import estimate_pls
from csimodels.sem.structures import CSI_STRUCTURES

ACSI_ITEMS = {c: list(v) for c, v in CSI_STRUCTURES["acsi"].items.items()}


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CSIModelsWarning)
        yield


def two_groups(
    n1: int,
    n2: int,
    *,
    paths1: dict[tuple[str, str], float] | None = None,
    paths2: dict[tuple[str, str], float] | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Two simulated ACSI surveys stacked, with a ``grp`` column ("A" then "B")."""
    a = csi.datasets.simulate_csi_survey("acsi", n=n1, paths=paths1, random_state=seed).frame
    b = csi.datasets.simulate_csi_survey("acsi", n=n2, paths=paths2, random_state=seed + 7).frame
    return pd.concat([a.assign(grp="A"), b.assign(grp="B")], ignore_index=True)


@pytest.fixture(scope="module")
def acsi() -> csi.ACSI:
    return csi.ACSI(indicators=ACSI_ITEMS)


@pytest.fixture(scope="module")
def small() -> pd.DataFrame:
    return two_groups(70, 90, seed=3)


# ---------------------------------------------------------------------------------------
# independent slow computation
# ---------------------------------------------------------------------------------------


def _design(model: csi.ACSI) -> tuple[list[str], list[np.ndarray], np.ndarray, list[tuple]]:
    spec = model.to_spec()
    names = list(spec.construct_names)
    blocks, start = [], 0
    for c in spec.constructs:
        blocks.append(np.arange(start, start + len(c.indicators)))
        start += len(c.indicators)
    structure = np.zeros((len(names), len(names)), dtype=bool)
    for a, b in spec.paths:
        structure[names.index(a), names.index(b)] = True
    return list(spec.indicators), blocks, structure, list(spec.paths)


def _slow_stats(x: np.ndarray, blocks: list, structure: np.ndarray, paths: list, names: list):
    fit = estimate_pls(x, blocks, ["A"] * len(blocks), structure)
    path_values = [fit.paths[names.index(a), names.index(b)] for a, b in paths]
    return np.array(path_values), fit.outer_weights, fit.r2


@pytest.mark.determinism
def test_permutation_p_values_match_a_slow_loop(acsi: csi.ACSI, small: pd.DataFrame) -> None:
    items, blocks, structure, paths = _design(acsi)
    names = list(acsi.to_spec().construct_names)
    x = small[items].to_numpy(dtype=float)
    first = (small["grp"] == "A").to_numpy()
    perms = draw_permutations(42, len(small), 0, 60)
    with _quiet():
        res = mga.compare_groups(
            acsi, small, by="grp", scale=(1, 10), permutations=perms, bootstrap=0
        )
    assert res.groups == ("A", "B") and res.n == {"A": 70, "B": 90}

    obs = [_slow_stats(x[m], blocks, structure, paths, names) for m in (first, ~first)]
    d_obs = [o1 - o2 for o1, o2 in zip(obs[0], obs[1], strict=True)]
    diffs: list[list[np.ndarray]] = [[], [], []]
    cs, mds, lvrs = [], [], []
    # pooled standardised data and the pooled model's scores, formed explicitly
    z = (x - x.mean(axis=0)) / x.std(axis=0, ddof=1)
    pooled = estimate_pls(x, blocks, ["A"] * len(blocks), structure)

    def micom_stats(member: np.ndarray, w1: np.ndarray, w2: np.ndarray):
        c = [np.corrcoef(z[:, b] @ w1[b], z[:, b] @ w2[b])[0, 1] for b in blocks]
        s1, s2 = pooled.scores[member], pooled.scores[~member]
        md = s1.mean(axis=0) - s2.mean(axis=0)
        lvr = np.log(s1.var(axis=0, ddof=1)) - np.log(s2.var(axis=0, ddof=1))
        return np.array(c), md, lvr

    c_obs, md_obs, lvr_obs = micom_stats(first, obs[0][1], obs[1][1])
    for perm in perms:
        member = first[perm]
        g1 = _slow_stats(x[member], blocks, structure, paths, names)
        g2 = _slow_stats(x[~member], blocks, structure, paths, names)
        for k in range(3):
            diffs[k].append(g1[k] - g2[k])
        c, md, lvr = micom_stats(member, g1[1], g2[1])
        cs.append(c)
        mds.append(md)
        lvrs.append(lvr)

    def slow_p(d: np.ndarray, draws: np.ndarray) -> np.ndarray:
        return (1 + (np.abs(draws) >= np.abs(d) - 1e-12).sum(axis=0)) / (1 + len(draws))

    table = res.table
    path_keys = [("path", f"{a} -> {b}") for a, b in paths]
    np.testing.assert_allclose(table.loc[path_keys, "difference"], d_obs[0], atol=1e-10)
    np.testing.assert_allclose(
        res.permutation_draws[path_keys].to_numpy(), np.array(diffs[0]), atol=1e-10
    )
    np.testing.assert_array_equal(
        table.loc[path_keys, "p_permutation"], slow_p(d_obs[0], np.array(diffs[0]))
    )
    weight_keys = [("weight", i) for i in items]
    expected = slow_p(d_obs[1], np.array(diffs[1]))
    # the weight of a single-item construct is 1 by construction: not tested (NaN)
    single = np.array([any(j in b and len(b) == 1 for b in blocks) for j in range(len(items))])
    expected[single] = np.nan
    np.testing.assert_array_equal(table.loc[weight_keys, "p_permutation"], expected)
    assert single.any() and any("single-indicator constructs" in n for n in res.notes)
    endo = [j for j in range(len(names)) if structure[:, j].any()]
    r2_keys = [("r2", names[j]) for j in endo]
    np.testing.assert_array_equal(
        table.loc[r2_keys, "p_permutation"],
        slow_p(d_obs[2][endo], np.array(diffs[2])[:, endo]),
    )
    # MICOM: statistics and p-values
    mic = res.micom.table
    np.testing.assert_allclose(mic["c"], c_obs, atol=1e-10)
    np.testing.assert_allclose(mic["mean_difference"], md_obs, atol=1e-10)
    np.testing.assert_allclose(mic["log_variance_ratio"], lvr_obs, atol=1e-10)
    cs_a = np.array(cs)
    np.testing.assert_allclose(res.micom.draws["c"].to_numpy(), cs_a, atol=1e-10)
    p_c = (1 + (cs_a <= c_obs + 1e-12).sum(axis=0)) / (1 + len(cs_a))
    np.testing.assert_array_equal(mic["p_compositional"], p_c)
    np.testing.assert_array_equal(mic["p_mean"], slow_p(md_obs, np.array(mds)))
    np.testing.assert_array_equal(mic["p_variance"], slow_p(lvr_obs, np.array(lvrs)))


def test_group_estimates_equal_separate_fits(acsi: csi.ACSI, small: pd.DataFrame) -> None:
    with _quiet():
        res = mga.compare_groups(
            acsi, small, by="grp", scale=(1, 10), n_permutations=20, bootstrap=30, random_state=5
        )
        for g, col in (("A", "estimate_1"), ("B", "estimate_2")):
            part = small[small["grp"] == g].drop(columns="grp")
            alone = acsi.fit(
                part, scale=(1, 10), bootstrap=30, random_state=res.settings["bootstrap_seeds"][g]
            )
            ours = res.table.loc["path", col]
            theirs = alone.paths["estimate"]
            np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), atol=1e-10)
            np.testing.assert_allclose(
                res.table.loc["index", col].to_numpy(), alone.indices["index"], atol=1e-9
            )
            # the group bootstrap is the separate fit's bootstrap with the recorded seed
            pd.testing.assert_frame_equal(
                res.group_bootstrap[g].draws, alone.bootstrap.draws, check_exact=False, atol=1e-10
            )


@pytest.mark.determinism
def test_chunk_size_and_jobs_do_not_change_numbers(acsi: csi.ACSI, small: pd.DataFrame) -> None:
    kw = dict(by="grp", scale=(1, 10), n_permutations=70, bootstrap=20, random_state=9)
    with _quiet():
        a = mga.compare_groups(acsi, small, chunk_size=250, **kw)
        b = mga.compare_groups(acsi, small, chunk_size=6, **kw)
        # the joblib code path; threads avoid starting processes in the test suite
        with joblib.parallel_config(backend="threading"):
            c = mga.compare_groups(acsi, small, chunk_size=30, n_jobs=2, **kw)
    for other in (b, c):
        pd.testing.assert_frame_equal(a.table, other.table, check_exact=False, atol=1e-12)
        pd.testing.assert_frame_equal(
            a.micom.table, other.micom.table, check_exact=False, atol=1e-12
        )
    assert a.settings["random_state"] == 9


@pytest.mark.determinism
def test_seed_recorded_and_reproducible(acsi: csi.ACSI, small: pd.DataFrame) -> None:
    with _quiet():
        a = mga.micom(acsi, small, by="grp", scale=(1, 10), n_permutations=25)
        again = mga.micom(
            acsi, small, by="grp", scale=(1, 10), n_permutations=25,
            random_state=int(a.settings["random_state"]),
        )  # fmt: skip
    pd.testing.assert_frame_equal(a.table, again.table)


# ---------------------------------------------------------------------------------------
# PLS-MGA formula
# ---------------------------------------------------------------------------------------


def _hand_henseler(b1: np.ndarray, b2: np.ndarray) -> float:
    """The formula of Sarstedt, Henseler & Ringle (2011), written out as a double loop."""
    m1, m2 = b1.mean(), b2.mean()
    total = 0.0
    for bj in b1:
        for bi in b2:
            arg = 2 * m1 - bj - 2 * m2 + bi
            total += 1.0 if arg > 0 else (0.5 if arg == 0 else 0.0)
    return 1 - total / (len(b1) * len(b2))


def test_henseler_p_by_hand() -> None:
    b1 = np.array([0.42, 0.55, 0.31, 0.60, 0.48])
    b2 = np.array([0.20, 0.35, 0.28, 0.41, 0.12, 0.30])
    got = mga.henseler_p(b1[:, None], b2[:, None])[0]
    assert got == pytest.approx(_hand_henseler(b1, b2), abs=1e-15)
    # worked by hand: means 0.472 and 0.27667, so Θ counts the pairs with
    # b2_i > b1_j - 0.390667: 6 + 5 + 6 + 4 + 6 = 27 of the 30 pairs, p = 1 - 27/30
    assert got == pytest.approx(0.1, abs=1e-12)
    # a statistic fixed at the same value in both groups: every pair ties -> 0.5
    assert mga.henseler_p(np.ones((4, 1)), np.ones((3, 1)))[0] == 0.5
    # swapping the groups mirrors the one-sided p-value
    rng = np.random.default_rng(0)
    d1, d2 = rng.normal(0.3, 0.1, (40, 3)), rng.normal(0.2, 0.1, (35, 3))
    for j in range(3):
        assert mga.henseler_p(d1, d2)[j] == pytest.approx(_hand_henseler(d1[:, j], d2[:, j]))
    np.testing.assert_allclose(mga.henseler_p(d1, d2) + mga.henseler_p(d2, d1), 1.0)


def test_henseler_p_matches_seminr_function() -> None:
    seminr_mga = pytest.importorskip("seminr.mga")
    rng = np.random.default_rng(1)
    for shift in (0.0, 0.05, 0.2):
        b1, b2 = rng.normal(0.4 + shift, 0.08, 300), rng.normal(0.4, 0.1, 300)
        assert mga.henseler_p(b1[:, None], b2[:, None])[0] == pytest.approx(
            seminr_mga.henseler_p(b1, b2), abs=1e-12
        )


def test_pls_mga_matches_seminr_with_same_resamples(mobi: pd.DataFrame) -> None:
    seminr = pytest.importorskip("seminr")
    rng = np.random.default_rng(2)
    mask = rng.random(len(mobi)) < 0.5
    n1, n2 = int(mask.sum()), int((~mask).sum())
    idx1 = rng.integers(0, n1, size=(80, n1))
    idx2 = rng.integers(0, n2, size=(80, n2))
    mm = seminr.constructs(*[seminr.composite(c, ECSI_ITEMS[c]) for c in NAMES])
    sm = seminr.relationships(*[seminr.paths(a, b) for a, b in ECSI_PATHS])
    model = seminr.estimate_pls(mobi, mm, sm)
    rows = seminr.mga.estimate_pls_mga(
        model, mask, nboot=80, group1_indices=idx1, group2_indices=idx2
    )
    data = mobi.assign(grp=np.where(mask, "g1", "g2"))
    with _quiet():
        res = mga.compare_groups(
            csi.ECSI(indicators=ECSI_ITEMS), data, by="grp", groups=("g1", "g2"),
            scale=(1, 10), n_permutations=10, resamples=(idx1, idx2),
        )  # fmt: skip
    assert res.settings["bootstrap"] == 80 and res.group_bootstrap is not None
    for row in rows:
        ours = res.table.loc[("path", f"{row.source} -> {row.target}")]
        assert ours["estimate_1"] == pytest.approx(row.group1_beta, abs=1e-6)
        assert ours["estimate_2"] == pytest.approx(row.group2_beta, abs=1e-6)
        assert ours["p_mga_one_sided"] == pytest.approx(row.pls_mga_p, abs=1e-12)
        assert ours["p_mga"] == pytest.approx(2 * min(row.pls_mga_p, 1 - row.pls_mga_p))
        boot_mean = res.group_bootstrap["g1"].table.loc[
            ("path", f"{row.source} -> {row.target}"), "boot_mean"
        ]
        assert boot_mean == pytest.approx(row.group1_beta_mean, abs=1e-6)


# ---------------------------------------------------------------------------------------
# simulations with known truth
# ---------------------------------------------------------------------------------------


def test_random_split_gives_uniform_p_values_and_invariance(acsi: csi.ACSI) -> None:
    p_values, compositional, full = [], [], []
    for rep in range(60):
        frame = csi.datasets.simulate_csi_survey("acsi", n=240, random_state=100 + rep).frame
        frame["grp"] = np.random.default_rng(rep).permutation(np.arange(240) % 2)
        with _quiet():
            res = mga.compare_groups(
                acsi, frame, by="grp", scale=(1, 10), n_permutations=99, bootstrap=0,
                random_state=rep, min_group_size=30,
            )  # fmt: skip
        p_values.append(res.table.loc["path", "p_permutation"].to_numpy())
        compositional.append(res.micom.table["compositional_invariance"].to_numpy())
        full.append((res.micom.table["verdict"] == "full invariance").to_numpy())
    p = np.concatenate(p_values)
    # under the null, P(p <= 0.05) = 5/100 exactly with 99 permutations (+1 correction)
    assert 0.025 < (p <= 0.05).mean() < 0.085
    assert 0.44 < p.mean() < 0.56
    # MICOM: step 2 rejected at about the 5 % level, and invariance is the rule
    assert np.mean(~np.concatenate(compositional)) < 0.08
    assert np.mean(np.concatenate(full)) > 0.8


def test_different_true_paths_are_detected(acsi: csi.ACSI) -> None:
    truth = dict(CSI_STRUCTURES["acsi"].true_paths)
    other = {**truth, ("Quality", "Satisfaction"): -0.05, ("Value", "Satisfaction"): 0.45}
    data = two_groups(500, 500, paths1=truth, paths2=other, seed=11)
    with _quiet():
        res = mga.compare_groups(
            acsi, data, by="grp", scale=(1, 10), n_permutations=300, bootstrap=300,
            random_state=4,
        )  # fmt: skip
    row = res.table.loc[("path", "Quality -> Satisfaction")]
    assert row["difference"] > 0.15  # true difference 0.50, attenuated by PLS
    assert row["p_permutation"] < 0.01
    assert row["p_mga"] < 0.01 and row["p_mga_one_sided"] < 0.01  # group A larger
    unchanged = res.table.loc[("path", "Satisfaction -> Loyalty")]
    assert unchanged["p_permutation"] > 0.01
    # same measurement model in both groups: the composites barely differ
    assert (res.micom.table["c"] > 0.999).all()


# ---------------------------------------------------------------------------------------
# result, input handling
# ---------------------------------------------------------------------------------------


def test_result_round_trip_summary_and_no_mutation(acsi: csi.ACSI, small: pd.DataFrame) -> None:
    before = small.copy()
    with _quiet():
        res = mga.compare_groups(
            acsi, small, by="grp", scale=(1, 10), n_permutations=30, bootstrap=25, random_state=1
        )
    pd.testing.assert_frame_equal(small, before)
    again = result_from_json(res.to_json())
    assert again == res and isinstance(again, mga.MultigroupResult)
    assert mga.MICOMResult.from_json(res.micom.to_json()) == res.micom
    text = str(res)
    assert "'A' (n=70) vs 'B' (n=90)" in text and "MICOM" in text
    assert "Path coefficients" in text and "Quality -> Satisfaction" in text
    assert "full invariance" in str(res.micom) or "partial invariance" in str(res.micom)
    assert res.settings["n_permutations"] == 30 and res.settings["bootstrap"] == 25
    # 10 permutations cannot reach p < 0.05 (1/11 > 0.05): said in a warning and a note
    with pytest.warns(csi.errors.DataQualityWarning, match="smallest attainable"):
        few = mga.micom(acsi, small, by="grp", scale=(1, 10), n_permutations=10, random_state=1)
    assert any("smallest attainable p-value is 0.0909" in n for n in few.notes)


def test_weighted_groups_match_weighted_fits(acsi: csi.ACSI) -> None:
    frame = two_groups(80, 80, seed=21)
    frame["w"] = np.random.default_rng(0).uniform(0.5, 2.0, len(frame))
    with _quiet():
        res = mga.compare_groups(
            acsi, frame, by="grp", scale=(1, 10), weight="w", n_permutations=20, bootstrap=0
        )
        alone = acsi.fit(frame[frame["grp"] == "B"].drop(columns="grp"), scale=(1, 10), weight="w")
    np.testing.assert_allclose(
        res.table.loc["path", "estimate_2"], alone.paths["estimate"], atol=1e-10
    )
    assert res.table["p_mga"].isna().all() and res.group_bootstrap is None


def test_bad_input(acsi: csi.ACSI, small: pd.DataFrame) -> None:
    kw = dict(scale=(1, 10), n_permutations=20, bootstrap=0)
    with pytest.raises(DataValidationError, match=r"group 'C' not found in column 'grp'.*'A', 'B'"):
        mga.compare_groups(acsi, small, by="grp", groups=("A", "C"), **kw)
    with pytest.raises(InvalidParameterError, match="groups names 'A' twice"):
        mga.compare_groups(acsi, small, by="grp", groups=("A", "A"), **kw)
    with pytest.raises(InvalidParameterError, match="groups must be two group labels"):
        mga.compare_groups(acsi, small, by="grp", groups=("A",), **kw)
    three = small.assign(grp=np.arange(len(small)) % 3)
    with pytest.raises(DataValidationError, match=r"'grp' has 3 groups \(0, 1, 2\); pass groups="):
        mga.compare_groups(acsi, three, by="grp", **kw)
    tiny = small.copy()
    tiny.loc[tiny.index[:65], "grp"] = "B"
    with pytest.raises(
        DataValidationError, match=r"group grp='A' has 5 respondents.*fewer than 30"
    ):
        mga.compare_groups(acsi, tiny, by="grp", **kw)
    for bad in (0, -1, 10**7, 2.5, True):
        with pytest.raises(InvalidParameterError, match="n_permutations must be"):
            mga.compare_groups(acsi, small, by="grp", scale=(1, 10), n_permutations=bad)
    with pytest.raises(InvalidParameterError, match="bootstrap must be between 0 and"):
        mga.compare_groups(acsi, small, by="grp", scale=(1, 10), bootstrap=-5)
    with pytest.raises(InvalidParameterError, match=r"level must be in \(0, 1\)"):
        mga.micom(acsi, small, by="grp", scale=(1, 10), level=1.5)
    with pytest.raises(
        InvalidParameterError, match="parameter 'random_state' of micom must be a non-negative int"
    ):
        mga.micom(acsi, small, by="grp", scale=(1, 10), random_state="seed")  # type: ignore[arg-type]
    perms = draw_permutations(1, len(small), 0, 5)
    perms[3, 0] = perms[3, 1]
    with pytest.raises(InvalidParameterError, match=r"rows 3 of permutations are not permutations"):
        mga.micom(acsi, small, by="grp", scale=(1, 10), permutations=perms)
    with pytest.raises(InvalidParameterError, match=r"must be a \(P, 160\) matrix"):
        mga.micom(acsi, small, by="grp", scale=(1, 10), permutations=perms[:, :10])
    with pytest.raises(InvalidParameterError, match=r"resamples\[1\] \(group grp='B'\) must be"):
        mga.compare_groups(
            acsi, small, by="grp", scale=(1, 10), n_permutations=20,
            resamples=(np.zeros((4, 70), dtype=int), np.zeros((4, 70), dtype=int)),
        )  # fmt: skip
    with pytest.raises(InvalidParameterError, match="sign_change='flip'"):
        mga.compare_groups(acsi, small, by="grp", sign_change="flip", **kw)
    with pytest.raises(DataValidationError, match="'region' is not a segment"):
        data = csi.SurveyData.from_frame(small, items=[i for v in ACSI_ITEMS.values() for i in v],
                                         scale=(1, 10), segments=["grp"])  # fmt: skip
        mga.micom(acsi, data, by="region")


def test_missing_answers_are_handled_on_the_pooled_groups(acsi: csi.ACSI) -> None:
    frame = two_groups(90, 90, seed=8)
    frame.loc[[3, 50, 120], "SAT2"] = np.nan
    with _quiet():
        res = mga.micom(acsi, frame, by="grp", scale=(1, 10), n_permutations=30, random_state=2)
        listwise = mga.micom(
            acsi.model_copy(update={"missing": "listwise"}), frame, by="grp", scale=(1, 10),
            n_permutations=30, random_state=2,
        )  # fmt: skip
    assert "mean replacement: 3 missing answers" in res.settings["missing"]
    assert listwise.n == {"A": 88, "B": 89}
    with pytest.raises(DataValidationError, match="region"):
        mga.micom(acsi, frame, by="region", scale=(1, 10))
