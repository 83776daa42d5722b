"""Batched PLS bootstrap.

Oracles:
- seminr 0.2.1 ``bootstrap_model(model, indices=...)``: with the same resample indices,
  the same per-resample path coefficients, loadings, weights and total effects and the
  same bootstrap standard deviations (ECSI / mobi);
- ``scipy.stats.bootstrap(method="BCa")`` on a path coefficient: given scipy's own
  bootstrap distribution and our jackknife, our BCa formula reproduces scipy's
  interval;
- coverage by simulation: PLSc on data with known paths (PLSc is consistent), 95 %
  percentile intervals cover the truth in about 95 % of replications.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from test_pls_engine import BLOCKS, ECSI_ITEMS, ECSI_PATHS, ITEMS, NAMES, STRUCTURE

import csimodels as csi
from csimodels.errors import ConvergenceWarning, EstimationError, InvalidParameterError
from csimodels.sem._pls_engine import estimate_pls
from csimodels.sem.bootstrap import bca_interval, draw_resamples

seminr = pytest.importorskip("seminr")

TOL = 1e-6


@pytest.fixture(scope="module")
def ecsi() -> csi.ECSI:
    return csi.ECSI(indicators=ECSI_ITEMS)


def test_same_resamples_as_seminr(mobi: pd.DataFrame, ecsi: csi.ECSI) -> None:
    rng = np.random.default_rng(11)
    idx = rng.integers(0, len(mobi), size=(60, len(mobi)))
    mm = seminr.constructs(*[seminr.composite(c, ECSI_ITEMS[c]) for c in NAMES])
    sm = seminr.relationships(*[seminr.paths(a, b) for a, b in ECSI_PATHS])
    model = seminr.estimate_pls(mobi, mm, sm)
    boot = seminr.bootstrap_model(model, indices=idx)
    assert boot.fails == 0
    res = ecsi.fit(mobi, scale=(1, 10), resamples=idx)
    draws = res.bootstrap.draws
    assert list(draws.index) == list(range(60))
    for a, b in ECSI_PATHS:
        ours = draws[("path", f"{a} -> {b}")].to_numpy()
        theirs = np.array([m.get(a, b) for m in boot.boot_paths])
        np.testing.assert_allclose(ours, theirs, atol=TOL)
        sd = res.bootstrap.table.loc[("path", f"{a} -> {b}"), "std_error"]
        assert sd == pytest.approx(np.std(theirs, ddof=1), abs=TOL)
        total = np.array([m.get(a, b) for m in boot.boot_total_paths])
        np.testing.assert_allclose(draws[("total", f"{a} -> {b}")], total, atol=TOL)
    owner = {i: c for c in NAMES for i in ECSI_ITEMS[c]}
    for item in ITEMS:
        loads = np.array([m.get(item, owner[item]) for m in boot.boot_loadings])
        np.testing.assert_allclose(draws[("loading", item)], loads, atol=TOL)
        weights = np.array([m.get(item, owner[item]) for m in boot.boot_weights])
        np.testing.assert_allclose(draws[("weight", item)], weights, atol=TOL)


def test_bca_matches_scipy(mobi: pd.DataFrame, ecsi: csi.ECSI) -> None:
    x = mobi[ITEMS].to_numpy(dtype=float)
    modes = ["A"] * len(NAMES)
    i, j = NAMES.index("Quality"), NAMES.index("Satisfaction")

    def path(rows: np.ndarray) -> float:
        return float(estimate_pls(x[rows.astype(int)], BLOCKS, modes, STRUCTURE).paths[i, j])

    sci = stats.bootstrap(
        (np.arange(len(x)),),
        path,
        n_resamples=199,
        method="BCa",
        confidence_level=0.9,
        vectorized=False,
        random_state=np.random.default_rng(3),
    )
    res = ecsi.fit(mobi, scale=(1, 10), bootstrap=20, random_state=1)
    column = ("path", "Quality -> Satisfaction")
    jackknife = res.bootstrap.jackknife[column].to_numpy()[:, None]
    estimate = res.bootstrap.table.loc[column, "estimate"]
    assert estimate == pytest.approx(path(np.arange(len(x))), abs=1e-12)
    lo, hi = bca_interval(sci.bootstrap_distribution[:, None], np.array([estimate]), jackknife, 0.9)
    assert lo[0] == pytest.approx(sci.confidence_interval.low, abs=1e-9)
    assert hi[0] == pytest.approx(sci.confidence_interval.high, abs=1e-9)


def test_percentile_coverage_by_simulation() -> None:
    structure = csi.sem.CSI_STRUCTURES["scsi"]
    loadings = {
        i: (0.99 if len(items) == 1 else 0.8) for items in structure.items.values() for i in items
    }
    covered = []
    for rep in range(40):
        sim = csi.datasets.simulate_csi_survey(
            "scsi", n=300, discrete=False, loadings=loadings, random_state=1000 + rep
        )
        data = csi.SurveyData.from_frame(
            sim.frame, items=list(sim.data.items), scale=(-30, 40), constructs=sim.data.constructs
        )
        res = csi.SCSI(indicators=data.constructs, consistent=True).fit(
            data, bootstrap=300, random_state=rep
        )
        for (a, b), truth in sim.paths.items():
            lo, hi = res.paths.loc[(a, b), ["ci_lower", "ci_upper"]]
            covered.append(lo <= truth <= hi)
    rate = float(np.mean(covered))
    # 240 intervals; a correct 95 % interval gives a rate within about +-4 points
    assert 0.88 <= rate <= 0.99, rate


@pytest.mark.determinism
def test_chunks_jobs_and_seeds_do_not_change_numbers(mobi: pd.DataFrame, ecsi: csi.ECSI) -> None:
    a = ecsi.fit(mobi, scale=(1, 10), bootstrap=150, random_state=5, chunk_size=150)
    b = ecsi.fit(mobi, scale=(1, 10), bootstrap=150, random_state=5, chunk_size=7)
    c = ecsi.fit(mobi, scale=(1, 10), bootstrap=150, random_state=5, chunk_size=40, n_jobs=2)
    pd.testing.assert_frame_equal(
        a.bootstrap.draws, b.bootstrap.draws, check_exact=False, atol=1e-12
    )
    pd.testing.assert_frame_equal(
        a.bootstrap.draws, c.bootstrap.draws, check_exact=False, atol=1e-12
    )
    d = ecsi.fit(mobi, scale=(1, 10), bootstrap=150, random_state=6)
    assert not np.allclose(a.bootstrap.draws.to_numpy(), d.bootstrap.draws.to_numpy())
    idx = draw_resamples(5, len(mobi), 0, 150)
    e = ecsi.fit(mobi, scale=(1, 10), resamples=idx)
    pd.testing.assert_frame_equal(
        a.bootstrap.draws, e.bootstrap.draws, check_exact=False, atol=1e-12
    )


def test_ipma_importance_draws_equal_single_fits_of_each_resample(
    mobi: pd.DataFrame, ecsi: csi.ECSI
) -> None:
    # the IPMA importance and the index weights of a resample use that resample's own
    # standard deviations: each draw equals ipma() of a plain fit on the resampled rows
    # (ipma() regresses the respondents' 0-100 scores on their construct scores, an
    # independent route to the same number)
    rng = np.random.default_rng(5)
    idx = rng.integers(0, len(mobi), size=(4, len(mobi)))
    with pytest.warns(csi.errors.ResamplingWarning, match="too few"):
        res = ecsi.fit(mobi, scale=(1, 10), resamples=idx)
    table, draws = res.bootstrap.table, res.bootstrap.draws
    refits = [(ecsi.fit(mobi.iloc[i].reset_index(drop=True), scale=(1, 10)), b)
              for b, i in enumerate(idx)]  # fmt: skip
    for fit, row in [(res, None), *refits]:
        for target in ("Satisfaction", "Loyalty"):
            ipma = fit.ipma(target)
            for driver, imp in ipma["importance"].items():
                key = ("importance", f"{driver} -> {target}")
                got = table.loc[key, "estimate"] if row is None else draws[key].iloc[row]
                assert got == pytest.approx(imp, rel=1e-9)
        shares = fit.ipma("Loyalty", level="indicator")["weight"]
        if row is None:
            # ipma() of the bootstrapped fit: the SE over the refits' importances
            for level in ("construct", "indicator"):
                boot = fit.ipma("Loyalty", level=level)
                refit = np.array([f.ipma("Loyalty", level=level)["importance"] for f, _ in refits])
                np.testing.assert_allclose(boot["std_error"], refit.std(axis=0, ddof=1), rtol=1e-9)
                assert boot["ci_lower"].isna().all()  # 4 draws: too few for an interval
        for item, share in shares.items():
            got = (
                table.loc[("index_weight", item), "estimate"]
                if row is None
                else draws[("index_weight", item)].iloc[row]
            )
            assert got == pytest.approx(share, rel=1e-9)


def test_result_tables_and_round_trip(mobi: pd.DataFrame, ecsi: csi.ECSI) -> None:
    res = ecsi.fit(mobi, scale=(1, 10), bootstrap=100, random_state=2)
    for column in ["std_error", "t", "p_value", "ci_lower", "ci_upper"]:
        assert column in res.paths.columns
    # a 0-100 index (or an R²) against zero is no test: error and interval only
    assert ["std_error", "ci_lower", "ci_upper"] == list(res.indices.columns[-3:])
    assert "t" not in res.indices.columns and "p_value" not in res.r2.columns
    row = res.bootstrap.table.loc[("path", "Image -> Expectation")]
    assert row["t"] == pytest.approx(row["estimate"] / row["std_error"])
    assert row["p_value"] == pytest.approx(2 * stats.t.sf(abs(row["t"]), df=99))
    assert set(res.bootstrap.table.index.get_level_values("kind")) == {
        "weight", "loading", "path", "indirect", "total", "r2", "htmt", "index",
        "index_weight", "importance",
    }  # fmt: skip
    wide = res.conf_int(0.9)
    narrow = res.conf_int(0.5)
    with pytest.warns(csi.errors.ResamplingWarning, match="too few for a 99% interval"):
        assert res.conf_int(0.99).isna().all().all()  # 100 draws: 0.5 per tail
    assert (wide["ci_lower"] <= narrow["ci_lower"]).all()
    bca = res.conf_int(0.95, method="bca")
    assert bca.loc[["path", "total", "index", "r2"]].notna().all().all()
    single = bca.loc[("weight", "CUSCO")]
    assert single["ci_lower"] == single["ci_upper"] == 1.0
    assert "Inference:" in str(res.summary()) and "100 resamples" in str(res.summary())
    assert csi.result_from_json(res.to_json()) == res


def test_failed_resamples_are_counted() -> None:
    rng = np.random.default_rng(0)
    n = 25
    eta = rng.normal(size=n)
    df = pd.DataFrame(
        {
            "a1": np.clip(np.rint(5 + 2 * eta + rng.normal(size=n)), 1, 10),
            "a2": np.clip(np.rint(5 + 2 * eta + rng.normal(size=n)), 1, 10),
            "b1": np.clip(np.rint(5 + 2 * eta + rng.normal(size=n)), 1, 10),
            "b2": np.r_[np.full(n - 1, 5.0), 9.0],  # one respondent differs
        }
    )
    spec = csi.ModelSpec.from_syntax("A =~ a1 + a2; B =~ b1 + b2; B ~ A")
    with pytest.warns(ConvergenceWarning, match=r"bootstrap resamples failed and were excluded"):
        res = csi.PathModel(spec=spec).fit(df, scale=(1, 10), bootstrap=200, random_state=1)
    failed = res.bootstrap.n_failed["singular"]
    # exactly the resamples that miss the one odd respondent make b2 constant
    idx = draw_resamples(1, n, 0, 200)
    assert failed == int((idx != n - 1).all(axis=1).sum())
    assert len(res.bootstrap.draws) == 200 - sum(res.bootstrap.n_failed.values())
    assert "failed and were excluded" in res.notes[-1]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"bootstrap": -5}, "'bootstrap' of ECSI.fit must be between 0 and 200,000 resamples"),
        ({"bootstrap": 10**7}, "'bootstrap' of ECSI.fit must be between 0 and 200,000"),
        ({"bootstrap": 2.5}, "'bootstrap' of ECSI.fit must be None, a number of resamples or a"),
        ({"bootstrap": 10, "level": 1.5}, "level must be in (0, 1)"),
        ({"bootstrap": 10, "level": 0}, "level must be in (0, 1)"),
        ({"bootstrap": 10, "sign_change": "flip"}, "sign_change='flip' is not a sign-change"),
        ({"bootstrap": 10, "chunk_size": 0}, "chunk_size must be a positive integer"),
        ({"resamples": np.zeros((3, 5), dtype=int)}, "resamples must be a (B, 250) matrix"),
        ({"resamples": np.full((3, 250), 250)}, "resamples must hold integer row positions"),
    ],
)
def test_bad_bootstrap_arguments(
    mobi: pd.DataFrame, ecsi: csi.ECSI, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidParameterError) as err:
        ecsi.fit(mobi, scale=(1, 10), **kwargs)  # type: ignore[arg-type]
    assert message in str(err.value)


def test_conf_int_needs_bootstrap(mobi: pd.DataFrame, ecsi: csi.ECSI) -> None:
    res = ecsi.fit(mobi, scale=(1, 10))
    with pytest.raises(EstimationError, match="fit with bootstrap=5000"):
        res.conf_int()


def test_sign_change_options(mobi: pd.DataFrame, ecsi: csi.ECSI) -> None:
    none = ecsi.fit(mobi, scale=(1, 10), bootstrap=100, random_state=4)
    individual = ecsi.fit(
        mobi, scale=(1, 10), bootstrap=100, random_state=4, sign_change="individual"
    )
    construct = ecsi.fit(
        mobi, scale=(1, 10), bootstrap=100, random_state=4, sign_change="construct"
    )
    est = none.bootstrap.table["estimate"]
    signed = individual.bootstrap.draws.loc[:, ["weight", "loading", "path"]]
    assert (np.sign(signed) == np.sign(est.loc[["weight", "loading", "path"]])).all().all()
    # on this well-determined model no construct flips: construct-level equals none
    pd.testing.assert_frame_equal(none.bootstrap.draws, construct.bootstrap.draws)
    # R², HTMT and indices are sign-free
    for kind in ["r2", "htmt", "index"]:
        pd.testing.assert_frame_equal(none.bootstrap.draws[kind], individual.bootstrap.draws[kind])


def test_construct_sign_change_flips_a_reversed_construct() -> None:
    from csimodels.sem.bootstrap import _sign_correct, make_layout

    layout = make_layout(
        [np.array([0, 1]), np.array([2, 3])],
        ["A", "A"],
        np.array([[False, True], [False, False]]),
        ["a1", "a2", "b1", "b2"],
        ["A", "B"],
        [(0, 1)],
        np.ones(4),
        np.full(4, 10.0),
    )
    labels = layout.labels
    estimate = np.zeros(len(labels))
    col = {lab: i for i, lab in enumerate(labels)}
    for item, w, lam in [("a1", 0.6, 0.8), ("a2", 0.5, 0.7), ("b1", 0.55, 0.9), ("b2", 0.5, 0.8)]:
        estimate[col[("weight", item)]] = w
        estimate[col[("loading", item)]] = lam
    estimate[col[("path", "A -> B")]] = 0.5
    draw = estimate.copy()
    for item in ("a1", "a2"):  # construct A came out reversed in this resample
        draw[col[("weight", item)]] *= -1
        draw[col[("loading", item)]] *= -1
    draw[col[("path", "A -> B")]] = -0.45
    fixed = _sign_correct(draw[None, :], estimate, layout, "construct")[0]
    assert fixed[col[("loading", "a1")]] == pytest.approx(0.8)
    assert fixed[col[("path", "A -> B")]] == pytest.approx(0.45)
    assert fixed[col[("loading", "b1")]] == pytest.approx(0.9)
