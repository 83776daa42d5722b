"""EFA against R psych + GPArotation (golden files from tests/fixtures/psych/make_fixtures.R,
made with every step run to convergence), simulations with known structure, bad input."""

from __future__ import annotations

import itertools
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import csimodels as csi
from csimodels.errors import (
    DataQualityWarning,
    DataValidationError,
    InvalidParameterError,
    SpecificationError,
)
from csimodels.explore import _extraction as ext
from csimodels.explore import _factorability as fz
from tests.conftest import SHARED_DATA

FIXTURES = Path(__file__).parent / "fixtures" / "psych"


@pytest.fixture(autouse=True, scope="module")
def _one_thread() -> Any:
    # these problems are tiny: BLAS/OpenMP threads only add contention on a busy machine
    import sklearn.cluster  # noqa: F401  (load its OpenMP runtime before limiting it)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


DATASETS = {"mobi": "mobi.csv", "hs": "holzinger_swineford39_data.csv"}


def _matrix(d: dict[str, Any]) -> np.ndarray:
    return np.array(d["values"], dtype=float)


def _max_diff_up_to_order_and_sign(a: np.ndarray, b: np.ndarray) -> float:
    """Smallest max |a P S − b| over column permutations P and sign flips S."""
    best = np.inf
    for perm in itertools.permutations(range(a.shape[1])):
        c = a[:, perm]
        s = np.sign((c * b).sum(axis=0))
        s[s == 0] = 1
        best = min(best, float(np.abs(c * s - b).max()))
    return best


def _phi_diff(phi: np.ndarray, ref: np.ndarray, lam: np.ndarray, ref_lam: np.ndarray) -> float:
    """Compare factor correlations after aligning factors by the loadings."""
    best, best_perm, best_sign = np.inf, None, None
    for perm in itertools.permutations(range(lam.shape[1])):
        c = lam[:, perm]
        s = np.sign((c * ref_lam).sum(axis=0))
        s[s == 0] = 1
        d = float(np.abs(c * s - ref_lam).max())
        if d < best:
            best, best_perm, best_sign = d, perm, s
    assert best_perm is not None and best_sign is not None
    p = phi[np.ix_(best_perm, best_perm)] * np.outer(best_sign, best_sign)
    return float(np.abs(p - ref).max())


@pytest.fixture(scope="module", params=sorted(DATASETS))
def case(request: pytest.FixtureRequest) -> tuple[dict[str, Any], pd.DataFrame]:
    name = request.param
    fx = json.loads((FIXTURES / f"{name}.json").read_text())
    df = pd.read_csv(SHARED_DATA / DATASETS[name])[fx["items"]]
    return fx, df


def _fit(df: pd.DataFrame, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return csi.EFA(parallel_draws=0, **kwargs).fit(df, random_state=0)


class TestFactorabilityAgainstPsych:
    def test_kmo_and_bartlett(self, case: tuple[dict[str, Any], pd.DataFrame]) -> None:
        fx, df = case
        res = _fit(df, n_factors=1)
        msa = res.kmo["msa"]
        assert abs(msa["(overall)"] - fx["kmo"]["overall"]) < 1e-6  # psych::KMO()$MSA
        np.testing.assert_allclose(msa.iloc[:-1], fx["kmo"]["msa"], atol=1e-6, rtol=0)
        b = fx["bartlett"]  # psych::cortest.bartlett(cor(x), n = nrow(x))
        assert res.bartlett["chisq"] == pytest.approx(b["chisq"], rel=1e-9, abs=1e-6)
        assert res.bartlett["df"] == b["df"]
        assert res.bartlett["p_value"] == pytest.approx(b["p_value"], rel=1e-6, abs=1e-300)

    def test_map_eigenvalues_and_smc(self, case: tuple[dict[str, Any], pd.DataFrame]) -> None:
        fx, df = case
        res = _fit(df, n_factors=1)
        np.testing.assert_allclose(res.map["average_partial"].iloc[:8], fx["map"], atol=1e-10)
        r = res.correlation.to_numpy()
        np.testing.assert_allclose(fz.smc(r), fx["smc"], atol=1e-10)
        any_case = next(c for c in fx["efa"].values() if c["fm"] == "pa")
        np.testing.assert_allclose(res.eigenvalues["eigenvalue"], any_case["e_values"], atol=1e-10)


ROTATIONS = ["none", "varimax", "quartimax", "promax", "oblimin", "geomin"]


class TestEFAAgainstPsych:
    """fa(fm = pa/minres/ml) and principal() × none/varimax/quartimax/promax/oblimin/geomin."""

    @pytest.mark.parametrize("extraction", ["pca", "pa", "minres", "ml"])
    def test_loadings_communalities_phi(
        self, case: tuple[dict[str, Any], pd.DataFrame], extraction: str
    ) -> None:
        fx, df = case
        for key, ref in fx["efa"].items():
            if ref["fm"] != extraction:
                continue
            k = ref["nfactors"]
            # pca and pa have closed-form or fixed-point updates run to 1e-12 in both; psych's
            # minres/ml stop where R's optim (L-BFGS-B, factr 1e7) does, ~1e-5 away
            tol = 1e-6 if extraction in ("pca", "pa") else 1e-4
            first = None
            for rotation in ROTATIONS:
                # geomin's criterion is flat near its optimum: GPArotation stops (eps 1e-7)
                # about 2e-6 from it on mobi
                tol_r = max(tol, 1e-5) if rotation == "geomin" else tol
                res = _fit(df, n_factors=k, extraction=extraction, rotation=rotation)
                rr = ref["rotations"][rotation]
                lam = res.loadings.to_numpy()
                assert _max_diff_up_to_order_and_sign(lam, _matrix(rr["loadings"])) < tol_r, (
                    key,
                    rotation,
                )
                np.testing.assert_allclose(
                    res.communalities, ref["communality"], atol=tol_r / 4, err_msg=key
                )
                np.testing.assert_allclose(
                    res.uniquenesses, ref["uniquenesses"], atol=tol_r / 4, err_msg=key
                )
                np.testing.assert_allclose(
                    np.sort(res.variance["ss_loadings"])[::-1],
                    rr["ss"],
                    atol=10 * tol_r,
                    err_msg=key,
                )
                if "phi" in rr:
                    assert res.phi is not None
                    d = _phi_diff(
                        res.phi.to_numpy(), _matrix(rr["phi"]), lam, _matrix(rr["loadings"])
                    )
                    assert d < 10 * tol_r, (key, rotation)
                else:
                    assert res.phi is None
                first = first or res
            assert first is not None

    def test_oblimin_pipeline_and_structure(
        self, case: tuple[dict[str, Any], pd.DataFrame]
    ) -> None:
        # psych's own fa(rotate = "oblimin", eps = 1e-7): pattern, Phi, structure, Vaccounted
        fx, df = case
        pipe = fx["fa_oblimin_pipeline"]
        res = _fit(df, n_factors=pipe["nfactors"], extraction="minres", rotation="oblimin")
        ref = _matrix(pipe["loadings"])
        assert _max_diff_up_to_order_and_sign(res.loadings.to_numpy(), ref) < 1e-4
        assert (
            _max_diff_up_to_order_and_sign(res.structure.to_numpy(), _matrix(pipe["structure"]))
            < 1e-4
        )
        va = _matrix(pipe["vaccounted"])  # rows: SS loadings, Proportion Var, ...
        np.testing.assert_allclose(res.variance["ss_loadings"], va[0], atol=1e-4)
        np.testing.assert_allclose(res.variance["cumulative_proportion"], va[4], atol=1e-5)

    def test_minres_and_ml_are_more_converged_than_psych(
        self, case: tuple[dict[str, Any], pd.DataFrame]
    ) -> None:
        fx, df = case
        r = fz.weighted_correlation(df.to_numpy(float))[0]
        for fm, fun in (("minres", ext._minres_objective), ("ml", ext._ml_objective)):
            ref = fx["efa"][f"{fm}_3"] if f"{fm}_3" in fx["efa"] else fx["efa"][f"{fm}_2"]
            k = ref["nfactors"]
            ours = ext.extract(r, k, fm, tol=1e-12, max_iter=10_000)
            f_ours = fun(1.0 - ours.communalities, r, k)[0]
            f_psych = fun(1.0 - np.array(ref["communality"]), r, k)[0]
            assert f_ours <= f_psych + 1e-15
            assert ours.converged

    def test_ml_chi_square_and_rms(self, case: tuple[dict[str, Any], pd.DataFrame]) -> None:
        fx, df = case
        for ref in fx["efa"].values():
            if ref["fm"] == "ml":
                res = _fit(df, n_factors=ref["nfactors"], extraction="ml", rotation="none")
                fit = ref["fit"]
                assert res.fit_statistics["df"] == fit["dof"]
                assert res.fit_statistics["chisq"] == pytest.approx(fit["statistic"], rel=1e-4)
            if ref["fm"] in ("pa", "pca"):
                res = _fit(df, n_factors=ref["nfactors"], extraction=ref["fm"], rotation="none")
                assert res.fit_statistics["rmsr"] == pytest.approx(ref["rms"], abs=1e-8)

    def test_factor_scores(self, case: tuple[dict[str, Any], pd.DataFrame]) -> None:
        # psych::factor.scores(x, f, Phi, method = "Thurstone" / "Bartlett")
        fx, df = case
        sc = fx["scores"]
        res = _fit(df, n_factors=sc["nfactors"], extraction=sc["fm"], rotation="oblimin")
        ref_lam = _matrix(sc["loadings"])
        lam = res.loadings.to_numpy()
        perm_sign = None
        for perm in itertools.permutations(range(lam.shape[1])):
            s = np.sign((lam[:, perm] * ref_lam).sum(axis=0))
            if np.abs(lam[:, perm] * s - ref_lam).max() < 1e-4:
                perm_sign = (list(perm), s)
        assert perm_sign is not None
        perm, s = perm_sign
        for method, key in (("regression", "regression"), ("bartlett", "bartlett")):
            ours = res.scores(df, method=method).to_numpy()[:, perm] * s
            np.testing.assert_allclose(ours, _matrix(sc[key]), atol=1e-3)
            w = res.regression_weights if method == "regression" else res.bartlett_weights
            np.testing.assert_allclose(
                w.to_numpy()[:, perm] * s, _matrix(sc[f"{key}_weights"]), atol=1e-4
            )


class TestSimulatedStructure:
    def test_parallel_analysis_recovers_the_number_of_factors(self) -> None:
        for k, seed in ((2, 1), (3, 2), (4, 3)):
            sim = csi.explore.simulate_factor_data(
                n=400, n_factors=k, items_per_factor=4, loading=0.65, random_state=seed
            )
            res = csi.EFA(rotation="oblimin").fit(sim.data, random_state=seed)
            assert res.settings["n_factors"] == k
            assert res.n_factors_rules.loc["parallel", "n_factors"] == k

    def test_loadings_recovered_within_sampling_error(self) -> None:
        sim = csi.explore.simulate_factor_data(
            n=3000, loading=[0.8, 0.7, 0.6, 0.5], factor_correlation=0.3, random_state=5
        )
        res = csi.EFA(n_factors=3, extraction="ml", rotation="oblimin").fit(sim.data)
        d = _max_diff_up_to_order_and_sign(res.loadings.to_numpy(), sim.loadings.to_numpy())
        assert d < 0.06  # SE of a loading at n = 3000 is about 0.015
        assert res.phi is not None
        off = res.phi.to_numpy()[np.triu_indices(3, 1)]
        np.testing.assert_allclose(off, 0.3, atol=0.06)
        # suggested names come from the Chinese labels of the top-loading items
        assert set(res.factor_names["suggested_name"]) == {"服务态度", "产品质量", "价格感知"}

    def test_parallel_analysis_is_seeded_and_batched(self) -> None:
        sim = csi.explore.simulate_factor_data(n=300, random_state=1)
        a = csi.EFA(parallel_draws=200).fit(sim.data, random_state=11)
        b = csi.EFA(parallel_draws=200).fit(sim.data, random_state=11)
        assert a == b
        assert csi.result_from_json(a.to_json()) == a
        # the Wishart draws (Bartlett decomposition) have the distribution of the
        # definition: eigenvalues of correlation matrices of n x p normal data
        pcs, fas = fz.parallel_analysis(60, 8, 2000, 7)
        assert pcs.shape == fas.shape == (2000, 8)
        np.testing.assert_allclose(pcs.sum(axis=1), 8.0, atol=1e-9)  # trace = p
        rng = np.random.default_rng(3)
        direct = np.array(
            [
                np.linalg.eigvalsh(np.corrcoef(rng.standard_normal((60, 8)), rowvar=False))[::-1]
                for _ in range(2000)
            ]
        )
        # Monte Carlo standard errors of these means are about 0.004
        np.testing.assert_allclose(pcs.mean(axis=0), direct.mean(axis=0), atol=0.02)
        np.testing.assert_allclose(
            np.quantile(pcs, 0.95, axis=0), np.quantile(direct, 0.95, axis=0), atol=0.04
        )

    def test_to_spec_and_flags(self) -> None:
        sim = csi.explore.simulate_factor_data(n=500, random_state=2)
        res = csi.EFA(n_factors=3, rotation="varimax").fit(sim.data)
        groups = res.assignment()
        assert sorted(sorted(v) for v in groups.values()) == [
            ["A1", "A2", "A3", "A4"],
            ["B1", "B2", "B3", "B4"],
            ["C1", "C2", "C3", "C4"],
        ]
        f = list(groups)
        spec = res.to_spec([(f[0], f[1]), (f[2], f[1])])
        assert {c.label for c in spec.constructs} == {"服务态度", "产品质量", "价格感知"}
        with pytest.raises(SpecificationError, match="pass paths"):
            res.to_spec()
        assert not res.items["cross_loading"].any()
        assert res.items["salient"].all()

    def test_heywood_case_warned(self) -> None:
        rng = np.random.default_rng(0)
        f = rng.standard_normal(300)
        df = pd.DataFrame(
            {
                "a": f + 0.01 * rng.standard_normal(300),
                "b": f + rng.standard_normal(300),
                "c": rng.standard_normal(300) + 0.3 * f,
                "d": rng.standard_normal(300),
                "e": rng.standard_normal(300) + 0.5 * f,
            }
        )
        with pytest.warns(DataQualityWarning, match="Heywood"):
            res = csi.EFA(n_factors=1, extraction="ml", parallel_draws=0).fit(df)
        assert any("Heywood" in n for n in res.notes)

    def test_by_segment(self) -> None:
        sim = csi.explore.simulate_factor_data(n=600, random_state=3)
        frame = sim.data.frame.assign(region=np.repeat(["N", "S"], 300))
        res = csi.EFA(rotation="varimax", parallel_draws=50).fit(
            frame, by="region", random_state=1, labels=sim.data.labels()
        )
        assert isinstance(res, csi.SegmentedResult)
        assert res.labels == ["N", "S"]
        assert res.segments["N"].settings["n_factors"] == 3
        alone = csi.EFA(rotation="varimax", parallel_draws=50).fit(
            frame[frame["region"] == "N"],
            random_state=1,
            labels=sim.data.labels(),
            items=list(sim.data.items),
        )
        pd.testing.assert_frame_equal(res.segments["N"].loadings, alone.loadings)
        assert csi.result_from_json(res.to_json()) == res

    def test_plots(self, tmp_path: Path) -> None:
        import matplotlib

        matplotlib.use("Agg")
        sim = csi.explore.simulate_factor_data(n=400, random_state=2)
        res = csi.EFA(rotation="promax").fit(sim.data, random_state=1)
        ax = res.plot("scree")
        assert ax.get_title() == "Scree plot"
        ax.figure.savefig(tmp_path / "scree.png")
        ax = res.plot("loadings", language="zh", labels="label")
        assert ax.get_title() == "因子载荷"
        ax.figure.savefig(tmp_path / "loadings.png")
        import matplotlib.pyplot as plt

        plt.close("all")


class TestBadInput:
    def test_fewer_respondents_than_items(self) -> None:
        df = pd.DataFrame(np.random.default_rng(0).normal(size=(5, 8)), columns=list("abcdefgh"))
        with pytest.raises(DataValidationError, match="more respondents than items"):
            csi.EFA(n_factors=1).fit(df)

    def test_constant_item_named(self) -> None:
        df = pd.DataFrame(np.random.default_rng(0).normal(size=(50, 4)), columns=list("abcd"))
        df["c"] = 3.0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)
            with pytest.raises(DataValidationError, match="'c' is constant"):
                csi.EFA(n_factors=1).fit(df)

    def test_duplicated_item_named(self) -> None:
        df = pd.DataFrame(np.random.default_rng(0).normal(size=(50, 4)), columns=list("abcd"))
        df["e"] = df["b"]
        with pytest.raises(DataValidationError, match="'b' and 'e' are perfectly correlated"):
            csi.EFA(n_factors=1).fit(df)

    def test_singular_matrix_names_the_items(self) -> None:
        df = pd.DataFrame(np.random.default_rng(0).normal(size=(50, 4)), columns=list("abcd"))
        df["total"] = df["a"] + df["b"] + df["c"]
        with pytest.raises(DataValidationError, match="singular") as err:
            csi.EFA(n_factors=1).fit(df)
        for name in ("'a'", "'b'", "'c'", "'total'"):
            assert name in str(err.value)
        assert "'d'" not in str(err.value)

    def test_too_many_factors(self) -> None:
        sim = csi.explore.simulate_factor_data(n=200, random_state=0)
        with pytest.raises(SpecificationError, match="n_factors=9 is more than 12 items"):
            csi.EFA(n_factors=9).fit(sim.data)

    def test_unknown_rotation_and_extraction(self) -> None:
        with pytest.raises(InvalidParameterError, match="'rotation'"):
            csi.EFA(rotation="equimax")  # type: ignore[arg-type]
        with pytest.raises(InvalidParameterError, match="'extraction'"):
            csi.EFA(extraction="alpha")  # type: ignore[arg-type]

    def test_missing_item_and_wrong_type(self) -> None:
        sim = csi.explore.simulate_factor_data(n=200, random_state=0)
        with pytest.raises(DataValidationError, match="'Z9'"):
            csi.EFA(n_factors=1).fit(sim.data.frame, items=["A1", "A2", "Z9"])
        with pytest.raises(DataValidationError):
            csi.EFA(n_factors=1).fit(np.zeros((5, 5)))  # type: ignore[arg-type]

    def test_fit_does_not_mutate(self) -> None:
        sim = csi.explore.simulate_factor_data(n=200, random_state=0)
        frame = sim.data.frame.copy()
        before = frame.copy()
        model = csi.EFA(n_factors=2)
        dump = model.model_dump()
        model.fit(frame)
        pd.testing.assert_frame_equal(frame, before)
        assert model.model_dump() == dump

    def test_frequency_weights_equal_replicated_rows(self) -> None:
        sim = csi.explore.simulate_factor_data(n=200, random_state=4)
        frame = sim.data.frame.copy()
        w = np.random.default_rng(0).integers(1, 4, len(frame))
        weighted = csi.EFA(n_factors=3, parallel_draws=0).fit(frame.assign(w=w), weight="w")
        replicated = csi.EFA(n_factors=3, parallel_draws=0).fit(
            frame.loc[frame.index.repeat(w)].reset_index(drop=True)
        )
        np.testing.assert_allclose(
            weighted.correlation.to_numpy(), replicated.correlation.to_numpy(), atol=1e-12
        )
        np.testing.assert_allclose(weighted.loadings, replicated.loadings, atol=1e-8)

    def test_pairwise_missing_matches_complete_data_when_none_missing(self) -> None:
        sim = csi.explore.simulate_factor_data(n=300, random_state=0)
        a = csi.EFA(n_factors=3, parallel_draws=0).fit(sim.data)
        b = csi.EFA(n_factors=3, parallel_draws=0, missing="pairwise").fit(sim.data)
        np.testing.assert_allclose(a.loadings, b.loadings, atol=1e-10)
        frame = sim.data.frame.copy()
        frame.iloc[::7, 2] = np.nan
        c = csi.EFA(n_factors=3, parallel_draws=0, missing="pairwise").fit(frame)
        r = frame.corr().to_numpy()  # pandas' pairwise-complete Pearson
        np.testing.assert_allclose(c.correlation.to_numpy(), r, atol=1e-12)
