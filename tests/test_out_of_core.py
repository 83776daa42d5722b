"""Out-of-core fits on dask DataFrames and parquet paths: Kano, SERVQUAL/SERVPERF, driver
analysis, CB-SEM from moments, ``by=`` segments as dask tasks, the memory budget.

Oracle: the in-memory fit of the same rows (itself checked against its own oracles in
its family's tests: worked examples, lavaan, statsmodels). The dask path computes
sufficient statistics per partition (and per segment) and combines them, so its
numbers must equal the in-memory ones to 1e-10 — exactly for counts. Each family runs
on dask's default scheduler and on a ``dask.distributed.LocalCluster`` (threads, to
stay cheap). Independent of the library: the combined CB-SEM moments are compared
with ``numpy.cov``.
"""

from __future__ import annotations

import functools
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED_DATA

import csimodels as csi
from csimodels.errors import DataValidationError, InvalidParameterError
from csimodels.importance import DriverAnalysis
from csimodels.kano import Kano

dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

TOL = 1e-10


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with warnings.catch_warnings():  # the cluster's own start-up chatter, not a fit path
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        )
        c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.fixture(params=["default", "distributed"])
def scheduler(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run the test on dask's default scheduler, then on a LocalCluster client."""
    if request.param == "distributed":
        c = request.getfixturevalue("client")
        with c.as_current():
            yield "distributed"
    else:
        yield "default"


def _close(a: pd.DataFrame, b: pd.DataFrame, *, exact: tuple[str, ...] = ()) -> None:
    assert list(a.index) == list(b.index)
    assert list(a.columns) == list(b.columns)
    for col in a.columns:
        x, y = a[col], b[col]
        if col in exact or not pd.api.types.is_float_dtype(x.dtype):
            pd.testing.assert_series_equal(x, y, check_exact=True)
        else:
            np.testing.assert_allclose(x.to_numpy(), y.to_numpy(), rtol=0, atol=TOL)


# ---------------------------------------------------------------------------
# data
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kano_frame() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 1500
    df = pd.DataFrame({f"f{j}": rng.integers(1, 6, n).astype(float) for j in range(3)})
    for j in range(3):
        df[f"d{j}"] = rng.integers(1, 6, n).astype(float)
    df.loc[df.index[::17], "f1"] = np.nan
    df.loc[df.index[::29], "d2"] = 9.0  # a missing code
    df["imp"] = rng.integers(1, 8, n).astype(float)
    df["w"] = rng.uniform(0.2, 3.0, n)
    df["region"] = rng.choice(["North", "South", "East"], n)
    return df


KANO = Kano(
    features={f"F{j}": (f"f{j}", f"d{j}") for j in range(3)},
    importance={"F0": "imp"},
    max_questionable_share=0.5,
)


def _quiet(fn: Any, *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():  # the fits' data-quality warnings (recorded as notes)
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


# ---------------------------------------------------------------------------
# Kano
# ---------------------------------------------------------------------------


def _check_kano(a: Any, b: Any) -> None:
    _close(a.counts, b.counts, exact=tuple(a.counts.columns))
    for name in ("shares", "classification", "better_worse", "continuous", "screening"):
        _close(getattr(a, name), getattr(b, name), exact=("n",))
    assert a.settings == b.settings


def test_kano_dask_equals_in_memory(kano_frame: pd.DataFrame, scheduler: str) -> None:
    before = kano_frame.copy()
    ddf = dd.from_pandas(kano_frame, npartitions=4)
    a = _quiet(KANO.fit, kano_frame, weight="w", missing_codes=[9])
    b = _quiet(KANO.fit, ddf, weight="w", missing_codes=[9])
    _check_kano(a, b)
    sa = _quiet(KANO.fit, kano_frame, weight="w", missing_codes=[9], by="region")
    sb = _quiet(KANO.fit, ddf, weight="w", missing_codes=[9], by="region")
    assert sa.labels == sb.labels == ["East", "North", "South"]
    pd.testing.assert_frame_equal(sa.status, sb.status)
    _check_kano(sa.pooled, sb.pooled)
    for label in sa.labels:
        _check_kano(sa.segments[label], sb.segments[label])
    _close(sa.overview["categories"], sb.overview["categories"], exact=("n",))
    pd.testing.assert_frame_equal(kano_frame, before)  # the caller's frame is untouched


def test_kano_dask_unweighted_cross_classification(kano_frame: pd.DataFrame) -> None:
    web = np.where(np.arange(len(kano_frame)) % 3 == 0, "/web", "/shop")
    df = kano_frame.assign(channel=kano_frame["region"] + web)
    ddf = dd.from_pandas(df, npartitions=3)
    sa = _quiet(KANO.fit, df, missing_codes=[9], by=["region", "channel"])
    sb = _quiet(KANO.fit, ddf, missing_codes=[9], by=["region", "channel"])
    assert sa.labels == sb.labels
    pd.testing.assert_frame_equal(sa.status, sb.status)
    for label in sa.labels:
        _check_kano(sa.segments[label], sb.segments[label])
    crossed = df.assign(channel=np.where(np.arange(len(df)) < 700, "web", "shop"))
    with pytest.raises(DataValidationError, match="segments must form a hierarchy"):
        KANO.fit(dd.from_pandas(crossed, npartitions=3), by=["region", "channel"])


def test_kano_dask_refusals(kano_frame: pd.DataFrame) -> None:
    ddf = dd.from_pandas(kano_frame, npartitions=2)
    with pytest.raises(InvalidParameterError, match="keep_respondents=True needs the respondents"):
        KANO.fit(ddf, keep_respondents=True)
    with pytest.raises(DataValidationError, match="'nope'"):
        Kano(features={"X": ("f0", "nope")}).fit(ddf)
    bad = kano_frame.assign(f0=kano_frame["f0"].where(kano_frame.index != 5, 7.0))
    with pytest.raises(DataValidationError, match="f0"):  # a partition's own validation
        _quiet(KANO.fit, dd.from_pandas(bad, npartitions=3), missing_codes=[9])
    holes = kano_frame.assign(region=kano_frame["region"].where(kano_frame.index != 7))
    with pytest.raises(DataValidationError, match="segment column 'region' has 1 missing"):
        _quiet(KANO.fit, dd.from_pandas(holes, npartitions=3), missing_codes=[9], by="region")


# ---------------------------------------------------------------------------
# SERVQUAL and SERVPERF
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def servqual_frame() -> pd.DataFrame:
    from csimodels.datasets.servqual import simulate_servqual_survey

    df = simulate_servqual_survey(n=600, random_state=3).data.frame.copy()
    df["w"] = np.random.default_rng(1).uniform(0.3, 2.0, len(df))
    df.loc[df.index[::31], "P3"] = np.nan
    df.loc[df.index[::37], "E7"] = np.nan
    return df


def _check_servqual(a: Any, b: Any) -> None:
    for name in ("items", "dimensions", "overall", "reliability", "priorities", "exclusions"):
        _close(getattr(a, name), getattr(b, name), exact=("n", "n_items", "rank_gap"))
    if hasattr(a, "item_priorities"):
        _close(a.item_priorities, b.item_priorities)
    assert a.missing == b.missing and a.notes == b.notes and a.settings == b.settings


@pytest.mark.parametrize("missing", ["listwise", "pairwise"])
def test_servqual_servperf_dask_equal_in_memory(servqual_frame: pd.DataFrame, missing: str) -> None:
    from csimodels.servqual import SERVPERF, SERVQUAL

    ddf = dd.from_pandas(servqual_frame, npartitions=3)
    models = [
        SERVQUAL(importance="I_{dimension}", missing=missing),
        SERVQUAL(missing=missing, weighting="aggregate"),
        SERVPERF(importance="I_{dimension}", missing=missing),
    ]
    for model in models:
        for weight in (None, "w"):
            a = _quiet(model.fit, servqual_frame, weight=weight, by="store")
            b = _quiet(model.fit, ddf, weight=weight, by="store")
            pd.testing.assert_frame_equal(a.status, b.status)
            _check_servqual(a.pooled, b.pooled)
            for label in a.labels:
                _check_servqual(a.segments[label], b.segments[label])


def test_servqual_dask_on_cluster_and_refusals(servqual_frame: pd.DataFrame, client: Any) -> None:
    from csimodels.servqual import SERVQUAL

    model = SERVQUAL(importance="I_{dimension}")
    ddf = dd.from_pandas(servqual_frame, npartitions=4)
    with client.as_current():
        b = _quiet(model.fit, ddf, weight="w")
    _check_servqual(_quiet(model.fit, servqual_frame, weight="w"), b)
    with pytest.raises(InvalidParameterError, match="test='wilcoxon'"):
        SERVQUAL(test="wilcoxon").fit(ddf)
    with pytest.raises(InvalidParameterError, match=r"csimodels\.CBSEM"):
        SERVQUAL(confirmatory="gap").fit(ddf)
    bad = servqual_frame.assign(E1=servqual_frame["E1"].where(servqual_frame.index != 4, 9.0))
    with pytest.raises(DataValidationError, match="'E1'"):
        _quiet(model.fit, dd.from_pandas(bad, npartitions=3))


@pytest.fixture(scope="module")
def zone_frame() -> pd.DataFrame:
    from csimodels.datasets.servqual import simulate_servqual_survey

    sim = simulate_servqual_survey(
        n=900, zone_of_tolerance=True, weights=True, missing_rate=0.03, random_state=2
    )
    return sim.data.frame.copy()


def _check_zone(a: Any, b: Any) -> None:
    for name in ("items", "dimensions", "exclusions"):
        _close(getattr(a, name), getattr(b, name), exact=("n", "n_items"))
    assert a.missing == b.missing and a.notes == b.notes and a.settings == b.settings


@pytest.mark.parametrize("missing", ["listwise", "pairwise"])
def test_zone_of_tolerance_dask_equals_in_memory(
    zone_frame: pd.DataFrame, missing: str, scheduler: str
) -> None:
    """MSA, MSS, positions and shares from per-partition power sums: the in-memory fit,
    pooled and per store, weighted or not (some zones inverted: the note matches)."""
    from csimodels.servqual import ZoneOfTolerance

    model = ZoneOfTolerance(missing=missing)
    before = zone_frame.copy()
    ddf = dd.from_pandas(zone_frame, npartitions=3)
    for weight in (None, "weight"):
        a = _quiet(model.fit, zone_frame, weight=weight, by="store")
        b = _quiet(model.fit, ddf, weight=weight, by="store")
        pd.testing.assert_frame_equal(a.status, b.status)
        _check_zone(a.pooled, b.pooled)
        for label in a.labels:
            _check_zone(a.segments[label], b.segments[label])
        pd.testing.assert_frame_equal(a.table("dimensions"), b.table("dimensions"))
    assert any("inverted" in note for note in b.pooled.notes)
    if missing == "listwise":  # respondents left out, listed in row order
        assert len(b.pooled.exclusions) > 0
    _check_zone(_quiet(model.fit, zone_frame), _quiet(model.fit, ddf))
    pd.testing.assert_frame_equal(zone_frame, before)


def test_zone_of_tolerance_dask_bad_input(zone_frame: pd.DataFrame, tmp_path: Path) -> None:
    from csimodels.servqual import ZoneOfTolerance

    model = ZoneOfTolerance()
    off = zone_frame.assign(A3=zone_frame["A3"].where(zone_frame.index != 7, 12.0))
    with pytest.raises(DataValidationError, match="'A3'"):
        _quiet(model.fit, dd.from_pandas(off, npartitions=3))
    with pytest.raises(DataValidationError, match="'D5'"):
        model.fit(dd.from_pandas(zone_frame.drop(columns="D5"), npartitions=2))
    with pytest.raises(DataValidationError, match="'nowhere'"):
        model.fit(dd.from_pandas(zone_frame, npartitions=2), by="nowhere")
    zone_frame.to_parquet(tmp_path / "zone.parquet")  # a parquet path, read lazily
    _check_zone(_quiet(model.fit, zone_frame), _quiet(model.fit, tmp_path / "zone.parquet"))


# ---------------------------------------------------------------------------
# driver analysis
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def acsi_frame() -> pd.DataFrame:
    df = csi.datasets.load_example("acsi_demo").frame.copy()
    rng = np.random.default_rng(5)
    df["w"] = rng.uniform(0.5, 2.0, len(df))
    df.loc[df.index[::13], "QUAL2"] = np.nan
    return df


ATTRS = ["QUAL1", "QUAL2", "QUAL3", "VAL1", "VAL2"]


def _check_drivers(a: Any, b: Any) -> None:
    _close(a.table, b.table, exact=("rank",))
    _close(a.importance, b.importance)
    _close(a.correlations, b.correlations)
    np.testing.assert_allclose(a.performance, b.performance, rtol=0, atol=TOL)
    assert a.n_used == b.n_used and a.missing == b.missing
    assert abs(a.r2 - b.r2) < TOL and a.settings == b.settings


@pytest.mark.parametrize("missing", ["listwise", "mean", "pairwise"])
def test_drivers_dask_equals_in_memory(acsi_frame: pd.DataFrame, missing: str) -> None:
    model = DriverAnalysis(attributes=ATTRS, overall="SAT1", missing=missing)
    ddf = dd.from_pandas(acsi_frame, npartitions=3)
    for weight in (None, "w"):
        a = _quiet(model.fit, acsi_frame, weight=weight, by="region", random_state=3)
        b = _quiet(model.fit, ddf, weight=weight, by="region", random_state=3)
        pd.testing.assert_frame_equal(a.status, b.status)
        _check_drivers(a.pooled, b.pooled)
        for label in a.labels:
            _check_drivers(a.segments[label], b.segments[label])
        _close(a.overview["correlation"], b.overview["correlation"])


def test_drivers_dask_on_cluster_and_refusals(acsi_frame: pd.DataFrame, client: Any) -> None:
    model = DriverAnalysis(attributes=ATTRS, overall="SAT1", methods=("beta", "lmg"))
    ddf = dd.from_pandas(acsi_frame, npartitions=4)
    with client.as_current():
        b = _quiet(model.fit, ddf, weight="w")
    _check_drivers(_quiet(model.fit, acsi_frame, weight="w"), b)
    with pytest.raises(InvalidParameterError, match="must be in"):
        model.fit(ddf, bootstrap=50, random_state=1, by="region", level=1.5)


@pytest.mark.parametrize("missing", ["listwise", "mean", "pairwise"])
def test_drivers_dask_bootstrap_streams(acsi_frame: pd.DataFrame, missing: str) -> None:
    """The resample counts go to the partitions: the same draws as in memory."""
    model = DriverAnalysis(attributes=ATTRS, overall="SAT1", missing=missing)
    ddf = dd.from_pandas(acsi_frame, npartitions=3)
    a = _quiet(model.fit, acsi_frame, weight="w", bootstrap=40, random_state=5)
    b = _quiet(model.fit, ddf, weight="w", bootstrap=40, random_state=5)
    _check_drivers(a, b)
    _close(a.bootstrap_draws, b.bootstrap_draws)


@pytest.mark.parametrize("missing", ["listwise", "mean", "pairwise"])
def test_drivers_dask_bootstrap_by_segment(
    acsi_frame: pd.DataFrame, missing: str, scheduler: str
) -> None:
    """Each segment's bootstrap streams its own rows: the in-memory segment draws (the
    segment's own random stream, its own means for mean imputation)."""
    model = DriverAnalysis(attributes=ATTRS, overall="SAT1", missing=missing)
    before = acsi_frame.copy()
    ddf = dd.from_pandas(acsi_frame, npartitions=3)
    kwargs: dict[str, Any] = {"weight": "w", "by": "region", "random_state": 8}
    a = _quiet(model.fit, acsi_frame, bootstrap=25, **kwargs)
    b = _quiet(model.fit, ddf, bootstrap=csi.Bootstrap(n=25), **kwargs)
    pd.testing.assert_frame_equal(a.status, b.status)
    for res_a, res_b in [(a.pooled, b.pooled), *((a.segments[k], b.segments[k]) for k in a.labels)]:
        _check_drivers(res_a, res_b)
        _close(res_a.bootstrap_draws, res_b.bootstrap_draws)
    pd.testing.assert_frame_equal(acsi_frame, before)


# ---------------------------------------------------------------------------
# CB-SEM from moments
# ---------------------------------------------------------------------------

HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    df = pd.read_csv(SHARED_DATA / "holzinger_swineford39_data.csv")
    df["w"] = np.random.default_rng(2).uniform(0.5, 2.0, len(df))
    return df


@pytest.fixture
def tight_optimiser(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both fits run the optimiser to max|gradient| < 1e-12 (the default 1e-9 leaves
    the estimates ~1e-8 from the optimum, which would hide a 1e-10 comparison)."""
    from csimodels.sem import _cbsem_engine as engine

    monkeypatch.setattr(engine, "optimise", functools.partial(engine.optimise, gtol=1e-12))


def _check_cbsem(a: Any, b: Any) -> None:
    num = a.parameters.select_dtypes("number").columns
    np.testing.assert_allclose(
        a.parameters[num].to_numpy(float), b.parameters[num].to_numpy(float), rtol=0, atol=TOL
    )
    fa, fb = a.fit["value"].to_numpy(float), b.fit["value"].to_numpy(float)
    np.testing.assert_allclose(fa, fb, rtol=TOL, atol=TOL)


@pytest.mark.usefixtures("tight_optimiser")
@pytest.mark.parametrize(
    ("estimator", "weight"), [("ML", None), ("GLS", None), ("ULS", None), ("GLS", "w")]
)
def test_cbsem_dask_equals_in_memory(
    hs: pd.DataFrame, estimator: str, weight: str | None, scheduler: str
) -> None:
    model = csi.CBSEM(HS_MODEL)
    ddf = dd.from_pandas(hs, npartitions=3)
    a = _quiet(model.fit, hs, estimator=estimator, weight=weight)
    b = _quiet(model.fit, ddf, estimator=estimator, weight=weight)
    _check_cbsem(a, b)
    assert b.settings["n"] == a.settings["n"] and b.missing == a.missing


@pytest.mark.usefixtures("tight_optimiser")
def test_cbsem_dask_by_segments(hs: pd.DataFrame) -> None:
    model = csi.CBSEM(HS_MODEL)
    sa = _quiet(model.fit, hs, estimator="ULS", by="school")
    sb = _quiet(model.fit, dd.from_pandas(hs, npartitions=3), estimator="ULS", by="school")
    assert sa.labels == sb.labels
    pd.testing.assert_frame_equal(sa.status, sb.status)
    for label in sa.labels:
        _check_cbsem(sa.segments[label], sb.segments[label])
    _close(sa.overview["fit"], sb.overview["fit"])


def test_cbsem_dask_multigroup(hs: pd.DataFrame) -> None:
    """Groups from per-group moments, in the order the data show them (pandas.unique).

    The multigroup optimiser stops at a gradient of about 1e-9 (it cannot reach 1e-12
    on these data), so the estimates agree to the optimiser's precision (1e-6 here),
    while the fit measures agree closely; the per-group moments themselves are
    checked against numpy below.
    """
    from csimodels.sem._cbsem_dask import dask_moments

    model = csi.CBSEM(HS_MODEL)
    ddf = dd.from_pandas(hs, npartitions=3)
    for equal in ((), ("loadings", "intercepts")):
        a = _quiet(model.fit, hs, group="school", group_equal=equal)
        b = _quiet(model.fit, ddf, group="school", group_equal=equal)
        assert list(a.parameters["group"].unique()) == list(b.parameters["group"].unique())
        num = a.parameters.select_dtypes("number").columns
        np.testing.assert_allclose(
            a.parameters[num].to_numpy(float), b.parameters[num].to_numpy(float), atol=1e-6
        )
        np.testing.assert_allclose(
            a.fit["value"].to_numpy(float), b.fit["value"].to_numpy(float), rtol=1e-8
        )
    items = [f"x{i}" for i in range(1, 10)]
    groups, _ = dask_moments(ddf, items, weight=None, by=("school",), order="appearance")
    assert [k[0] for k in groups] == list(pd.unique(hs["school"]))
    for (school,), (_, m) in groups.items():
        x = hs.loc[hs["school"] == school, items].to_numpy()
        assert m is not None
        np.testing.assert_allclose(m.cov, np.cov(x, rowvar=False, bias=True), atol=1e-12)


def test_cbsem_moments_against_numpy(hs: pd.DataFrame) -> None:
    from csimodels.sem._cbsem_dask import dask_moments

    items = [f"x{i}" for i in range(1, 10)]
    _, m = dask_moments(dd.from_pandas(hs, npartitions=4), items, weight="w")
    x, w = hs[items].to_numpy(), hs["w"].to_numpy()
    assert m is not None and m.n == len(hs)
    np.testing.assert_allclose(m.mean, np.average(x, axis=0, weights=w), atol=1e-12)
    np.testing.assert_allclose(m.cov, np.cov(x, rowvar=False, aweights=w, bias=True), atol=1e-12)


def test_cbsem_preset_on_dask_keeps_indices() -> None:
    data = csi.datasets.load_example("acsi_demo")
    model = csi.ACSI(indicators=data.constructs)
    a = _quiet(model.fit, data.frame, scale=(1, 10), method="cbsem", estimator="GLS")
    b = _quiet(
        model.fit, dd.from_pandas(data.frame, npartitions=3), scale=(1, 10), method="cbsem",
        estimator="GLS",
    )  # fmt: skip
    _close(a.indices, b.indices)
    assert b.settings["model"] == "ACSI"


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"estimator": "MLR"}, "estimator 'MLR'"),
        ({"estimator": "WLS"}, "estimator 'WLS'"),
        ({"estimator": "DWLS"}, "estimator 'DWLS'"),
        ({"missing": "fiml"}, "estimator 'FIML'"),
        ({"ordered": True, "estimator": "DWLS"}, "ordinal items"),
        ({"inference": 100}, "the bootstrap"),
        ({"weight": "w"}, "ML with respondent weights"),
        ({"group": "school", "estimator": "GLS"}, "does not fit several groups"),
        ({"estimator": "XYZ"}, "estimator"),
    ],
)
def test_cbsem_dask_refuses_row_estimators(
    hs: pd.DataFrame, options: dict[str, Any], match: str
) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        csi.CBSEM(HS_MODEL).fit(dd.from_pandas(hs, npartitions=2), **options)


# ---------------------------------------------------------------------------
# PLS by= segments
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["mean", "listwise"])
def test_pls_by_segments_on_dask(missing: str, scheduler: str) -> None:
    data = csi.datasets.load_example("acsi_demo")
    df = data.frame.copy()
    df.loc[df.index[::23], "QUAL2"] = np.nan
    model = csi.ACSI(indicators=data.constructs, missing=missing)
    a = _quiet(model.fit, df, scale=(1, 10), by="region", weight="weight")
    b = _quiet(
        model.fit, dd.from_pandas(df, npartitions=3), scale=(1, 10), by="region", weight="weight"
    )
    pd.testing.assert_frame_equal(a.status, b.status)
    for label in a.labels:
        sa, sb = a.segments[label], b.segments[label]
        for name in ("paths", "r2", "indices", "reliability"):
            x, y = getattr(sa, name), getattr(sb, name)
            _close(x[list(y.columns)], y)
        _close(sa.outer[["weight", "loading"]], sb.outer[["weight", "loading"]])
    for name in ("indices", "paths", "r2"):
        _close(a.overview[name], b.overview[name])


def _check_pls_bootstrap(a: Any, b: Any) -> None:
    for name in ("paths", "r2", "indices"):
        x, y = getattr(a, name), getattr(b, name)
        _close(x[[c for c in y.columns if c != "label"]], y.drop(columns="label", errors="ignore"))
    for name in ("draws", "jackknife", "table"):
        _close(getattr(a.bootstrap, name), getattr(b.bootstrap, name))
    assert a.settings["random_state"] == b.settings["random_state"]


@pytest.mark.parametrize("missing", ["mean", "listwise"])
def test_pls_bootstrap_by_segments_on_dask(missing: str, scheduler: str) -> None:
    """Every segment bootstrapped from its own rows of every partition, with the seed each
    in-memory segment fit uses: the in-memory draws, jackknife and intervals."""
    data = csi.datasets.load_example("acsi_demo")
    df = data.frame.iloc[::2].copy()  # 2,000 respondents, four regions
    df.loc[df.index[::23], "QUAL2"] = np.nan
    before = df.copy()
    model = csi.ACSI(indicators=data.constructs, missing=missing)
    kwargs: dict[str, Any] = {"scale": (1, 10), "by": "region", "weight": "weight"}
    a = _quiet(model.fit, df, bootstrap=csi.Bootstrap(n=25, random_state=4), **kwargs)
    ddf = dd.from_pandas(df, npartitions=3)
    b = _quiet(model.fit, ddf, bootstrap=25, random_state=4, **kwargs)
    pd.testing.assert_frame_equal(a.status, b.status)
    _check_pls_bootstrap(a.pooled, b.pooled)
    for label in a.labels:
        _check_pls_bootstrap(a.segments[label], b.segments[label])
    pd.testing.assert_frame_equal(df, before)


def test_pls_on_dask_applies_missing_codes() -> None:
    """A pooled dask fit treats the declared missing codes as missing (as in memory)."""
    data = csi.datasets.load_example("acsi_demo")
    df = data.frame.iloc[:900].copy()
    df.loc[df.index[::17], "SAT2"] = 99.0
    model = csi.ACSI(indicators=data.constructs, missing="mean")
    kwargs: dict[str, Any] = {"scale": (1, 10), "missing_codes": [99]}
    a = _quiet(model.fit, df, bootstrap=10, random_state=1, **kwargs)
    b = _quiet(model.fit, dd.from_pandas(df, npartitions=3), bootstrap=10, random_state=1, **kwargs)
    _check_pls_bootstrap(a, b)
    _close(a.outer[["mean", "sd"]], b.outer[["mean", "sd"]])


def test_pls_bootstrap_by_cross_classification_on_dask() -> None:
    """Two segment columns, a segment too small to fit, and bad bootstrap settings."""
    data = csi.datasets.load_example("acsi_demo")
    df = data.frame.iloc[:1200].copy()
    df["channel"] = df["region"] + np.where(np.arange(len(df)) % 5 == 0, "/web", "/shop")
    df.loc[df.index[:40], "channel"] = df["region"] + "/phone"  # below the minimum size
    model = csi.ACSI(indicators=data.constructs)
    kwargs: dict[str, Any] = {"scale": (1, 10), "by": ["region", "channel"], "bootstrap": 15}
    a = _quiet(model.fit, df, random_state=2, **kwargs)
    ddf = dd.from_pandas(df, npartitions=4)
    b = _quiet(model.fit, ddf, random_state=2, **kwargs)
    pd.testing.assert_frame_equal(a.status, b.status)
    assert "too_small" in set(b.status["status"])
    for label in a.labels:
        _check_pls_bootstrap(a.segments[label], b.segments[label])
    with pytest.raises(InvalidParameterError, match="bootstrap"):
        model.fit(ddf, scale=(1, 10), by="region", bootstrap=-3)
    with pytest.raises(InvalidParameterError, match="memory_budget"):
        model.fit(ddf, scale=(1, 10), by="region", bootstrap=10, memory_budget="lots")
    with pytest.raises(InvalidParameterError, match="sign_change"):
        model.fit(ddf, scale=(1, 10), by="region", bootstrap=10, sign_change="some")


# ---------------------------------------------------------------------------
# parquet paths
# ---------------------------------------------------------------------------


def test_parquet_directory_and_file(tmp_path: Path, kano_frame: pd.DataFrame) -> None:
    folder = tmp_path / "survey"
    dd.from_pandas(kano_frame, npartitions=3).to_parquet(folder)
    single = tmp_path / "survey.parquet"
    kano_frame.to_parquet(single)
    a = _quiet(KANO.fit, kano_frame.reset_index(drop=True), weight="w", missing_codes=[9])
    for source in (str(folder), folder, single):
        b = _quiet(KANO.fit, source, weight="w", missing_codes=[9])
        _close(a.counts, b.counts, exact=tuple(a.counts.columns))
        _close(a.continuous, b.continuous, exact=("n",))


def test_parquet_path_errors(tmp_path: Path, kano_frame: pd.DataFrame) -> None:
    with pytest.raises(DataValidationError, match="does not exist"):
        KANO.fit(tmp_path / "nowhere")
    csv = tmp_path / "survey.csv"
    kano_frame.to_csv(csv)
    with pytest.raises(DataValidationError, match="is not a parquet file"):
        KANO.fit(str(csv))
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    kano_frame.to_parquet(mixed / "part.0.parquet")
    (mixed / "notes.txt").write_text("not data")
    with pytest.raises(DataValidationError, match=r"'notes\.txt'"):
        DriverAnalysis(attributes=["f0", "f1"], overall="d0").fit(mixed)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataValidationError, match="holds no data files"):
        csi.CBSEM(HS_MODEL).fit(empty)


def test_path_to_an_in_memory_family(tmp_path: Path, servqual_frame: pd.DataFrame) -> None:
    with pytest.raises(DataValidationError, match="read it first"):
        csi.SurveyData.coerce(tmp_path / "survey.parquet", owner="demo")
    with pytest.raises(DataValidationError, match=r"collect it first \(ddf\.compute"):
        csi.SurveyData.coerce(dd.from_pandas(servqual_frame, npartitions=2), owner="demo")
    # the exploratory families that need rows say so (EFA and Reliability fit out of core)
    ddf = dd.from_pandas(servqual_frame.select_dtypes("number"), npartitions=2)
    with pytest.raises(DataValidationError, match=r"ScreenResponses.fit: data is a dask"):
        csi.ScreenResponses().fit(ddf)
    with pytest.raises(DataValidationError, match=r"ScreenResponses.fit: data is a path"):
        csi.ScreenResponses().fit(tmp_path / "survey.parquet")


def test_parquet_without_dask(
    tmp_path: Path, kano_frame: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "survey.parquet"
    kano_frame.to_parquet(path)
    monkeypatch.setitem(sys.modules, "dask.dataframe", None)  # as if dask were missing
    with pytest.raises(DataValidationError, match=r"pip install \"csimodels\[dask\]\""):
        KANO.fit(path)


def test_pls_and_describe_from_parquet(tmp_path: Path) -> None:
    from csimodels.data._dask import describe

    data = csi.datasets.load_example("acsi_demo")
    folder = tmp_path / "acsi"
    dd.from_pandas(data.frame, npartitions=2).to_parquet(folder)
    model = csi.ACSI(indicators=data.constructs)
    a = _quiet(model.fit, dd.from_pandas(data.frame, npartitions=2), scale=(1, 10))
    b = _quiet(model.fit, folder, scale=(1, 10))
    _close(a.paths, b.paths)
    items = list(model.to_spec().indicators)
    _close(
        describe(folder, items, scale=(1, 10), weight=data.weight).table,
        data.describe(items).table.assign(label=items),
        exact=("n", "missing"),
    )


# ---------------------------------------------------------------------------
# Bootstrap(memory_budget=...)
# ---------------------------------------------------------------------------


def test_bootstrap_memory_budget_field(mobi: pd.DataFrame) -> None:
    from test_pls_engine import ECSI_ITEMS

    from csimodels.inference import Bootstrap, parse_memory_budget

    ecsi = csi.ECSI(indicators=ECSI_ITEMS)
    tiny = Bootstrap(n=40, random_state=4, memory_budget="2MiB")
    assert tiny.memory_budget == 2 * 2**20
    assert Bootstrap.from_config(tiny.to_config()) == tiny
    a = _quiet(ecsi.fit, mobi, scale=(1, 10), bootstrap=Bootstrap(n=40, random_state=4))
    b = _quiet(ecsi.fit, mobi, scale=(1, 10), bootstrap=tiny)
    c = _quiet(ecsi.fit, mobi, scale=(1, 10), bootstrap=tiny, memory_budget=2 * 2**20)
    for r in (b, c):
        _close(a.paths, r.paths)
    with pytest.raises(InvalidParameterError, match="memory_budget is given twice"):
        ecsi.fit(mobi, scale=(1, 10), bootstrap=tiny, memory_budget="1GB")
    ddf = dd.from_pandas(mobi, npartitions=2)  # the dask bootstrap takes it too
    d = _quiet(ecsi.fit, ddf, scale=(1, 10), bootstrap=tiny.model_copy(update={"n": 20}))
    e = _quiet(ecsi.fit, mobi, scale=(1, 10), bootstrap=Bootstrap(n=20, random_state=4))
    _close(d.paths, e.paths[list(d.paths.columns)])
    with pytest.raises(InvalidParameterError, match="memory_budget is given twice"):
        ecsi.fit(ddf, scale=(1, 10), bootstrap=tiny, memory_budget="1GB")
    for bad in (0, -1, "lots", "1.5 XB", 2.5, True, "100KB"):
        with pytest.raises(InvalidParameterError, match="memory_budget"):
            Bootstrap(n=10, memory_budget=bad)
    assert parse_memory_budget("1.5GB") == 1_500_000_000
    assert parse_memory_budget("512 mib") == 512 * 2**20


# ---------------------------------------------------------------------------
# EFA and Reliability (item correlation sums)
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def factor_frame() -> pd.DataFrame:
    sim = csi.explore.simulate_factor_data(n=600, random_state=2)
    df = sim.data.frame[list(sim.data.items)].copy()
    rng = np.random.default_rng(5)
    df["w"] = rng.uniform(0.5, 3.0, len(df))
    for col in ("A1", "B2", "C3"):
        df.loc[rng.choice(len(df), 30, replace=False), col] = np.nan
    df.loc[df.index[::41], "A3"] = 99.0  # a missing code
    return df


FACTOR_ITEMS = [f"{f}{j}" for f in "ABC" for j in range(1, 5)]
SCALES = {f: [f"{f}{j}" for j in range(1, 5)] for f in "ABC"}


def _numeric_close(a: Any, b: Any, tol: float = TOL) -> None:
    if isinstance(a, pd.DataFrame):
        assert list(a.columns) == list(b.columns)
        a, b = a.select_dtypes("number"), b.select_dtypes("number")
    assert list(a.index) == list(b.index)
    np.testing.assert_allclose(a.to_numpy(float), b.to_numpy(float), rtol=0, atol=tol)


def _check_efa(a: Any, b: Any) -> None:
    # everything computed from the correlation matrix (which agrees to ~1e-16): 1e-10
    for name in (
        "correlation",
        "correlation_p_values",
        "item_means",
        "item_sds",
        "kmo",
        "bartlett",
        "eigenvalues",
        "parallel",
    ):
        _numeric_close(getattr(a, name), getattr(b, name))
    # MAP's last step partials out p - 1 components, dividing by residual variances near 0
    _numeric_close(a.map, b.map, 1e-8)
    # the iterative steps (L-BFGS-B extraction, GPA rotation) stop within their tolerance
    # at a point that moves by ~1e-9 for a 1e-16 change of the correlations: in memory too,
    # the same rows in another order move minres loadings by ~6e-9
    for name in (
        "loadings",
        "structure",
        "unrotated",
        "communalities",
        "items",
        "variance",
        "regression_weights",
        "bartlett_weights",
        "fit_statistics",
    ):
        _numeric_close(getattr(a, name), getattr(b, name), 1e-7)
    assert a.items["factor"].tolist() == b.items["factor"].tolist()
    assert a.notes == b.notes
    counts = ("extraction_iterations", "rotation_iterations")
    assert a.settings.keys() == b.settings.keys()
    for key, value in a.settings.items():
        if isinstance(value, float):
            assert value == pytest.approx(b.settings[key], rel=TOL, abs=TOL), key
        elif key not in counts:
            assert value == b.settings[key], key


@pytest.mark.parametrize(
    ("missing", "weight", "extraction"),
    [("listwise", None, "ml"), ("mean", "w", "pa"), ("pairwise", "w", "minres")],
)
def test_efa_dask_equals_in_memory(
    factor_frame: pd.DataFrame, missing: str, weight: str | None, extraction: str
) -> None:
    before = factor_frame.copy()
    model = csi.EFA(n_factors=3, missing=missing, extraction=extraction, rotation="oblimin")
    kw = {"items": FACTOR_ITEMS, "weight": weight, "random_state": 4, "missing_codes": [99]}
    a = _quiet(model.fit, factor_frame, **kw)
    ddf = dd.from_pandas(factor_frame, npartitions=4)
    b = _quiet(model.fit, ddf, **kw)
    _check_efa(a, b)
    assert b.settings["n_used"] == a.settings["n_used"]
    pd.testing.assert_frame_equal(factor_frame, before)  # the caller's frame is unchanged
    pd.testing.assert_frame_equal(ddf.compute(), before)


def test_efa_dask_correlations_against_numpy(factor_frame: pd.DataFrame) -> None:
    """The listwise correlations equal numpy's of the complete rows (an independent oracle)."""
    res = _quiet(
        csi.EFA(n_factors=3).fit,
        dd.from_pandas(factor_frame, npartitions=3),
        items=FACTOR_ITEMS,
        random_state=1,
        missing_codes=[99],
    )
    rows = factor_frame[FACTOR_ITEMS].dropna()
    rows = rows[rows["A3"] != 99.0]
    np.testing.assert_allclose(
        res.correlation.to_numpy(), np.corrcoef(rows.to_numpy().T), rtol=0, atol=TOL
    )
    np.testing.assert_allclose(res.item_sds.to_numpy(), rows.std().to_numpy(), rtol=0, atol=TOL)
    assert res.settings["n_used"] == len(rows)


def _check_reliability(a: Any, b: Any) -> None:
    # omega total comes from a minres factor solution (see _check_efa): ~1e-10
    scales_a, scales_b = a.scales.drop(columns="omega_total"), b.scales.drop(columns="omega_total")
    _numeric_close(scales_a, scales_b)
    _numeric_close(a.scales["omega_total"], b.scales["omega_total"], 1e-8)
    _numeric_close(a.items, b.items)
    assert a.items["flag_low_item_total"].tolist() == b.items["flag_low_item_total"].tolist()
    for name in a.correlations:
        _numeric_close(a.correlations[name], b.correlations[name])
    assert a.settings == b.settings
    assert a.notes == b.notes


@pytest.mark.parametrize(("missing", "weight"), [("listwise", "w"), ("mean", None)])
def test_reliability_dask_equals_in_memory(
    factor_frame: pd.DataFrame, missing: str, weight: str | None, scheduler: str
) -> None:
    model = csi.Reliability(missing=missing)
    kw = {"scales": SCALES, "weight": weight, "missing_codes": [99]}
    a = _quiet(model.fit, factor_frame, **kw)
    b = _quiet(model.fit, dd.from_pandas(factor_frame, npartitions=3), **kw)
    _check_reliability(a, b)


def test_efa_reliability_from_parquet_on_cluster(
    factor_frame: pd.DataFrame, tmp_path: Path, client: Any
) -> None:
    folder = tmp_path / "factors"
    dd.from_pandas(factor_frame, npartitions=3).to_parquet(folder)
    efa = csi.EFA(n_factors=3, extraction="ml")
    kw = {"items": FACTOR_ITEMS, "weight": "w", "random_state": 2, "missing_codes": [99]}
    with client.as_current():
        b = _quiet(efa.fit, folder, **kw)
        rb = _quiet(csi.Reliability().fit, str(folder), items=SCALES["B"], missing_codes=[99])
    _check_efa(_quiet(efa.fit, factor_frame, **kw), b)
    _check_reliability(
        _quiet(csi.Reliability().fit, factor_frame, items=SCALES["B"], missing_codes=[99]), rb
    )


def test_efa_reliability_dask_refusals(factor_frame: pd.DataFrame, tmp_path: Path) -> None:
    ddf = dd.from_pandas(factor_frame.assign(region=["N", "S"] * 300), npartitions=2)
    with pytest.raises(InvalidParameterError, match=r"EFA.fit .*by= is not supported out of"):
        csi.EFA().fit(ddf, items=FACTOR_ITEMS, by="region")
    with pytest.raises(InvalidParameterError, match=r"Reliability.fit .*by= is not supported"):
        csi.Reliability().fit(ddf, items=SCALES["A"], by="region")
    with pytest.raises(InvalidParameterError, match=r"EFA.fit .* needs items="):
        csi.EFA().fit(ddf)
    with pytest.raises(InvalidParameterError, match=r"needs items= or scales="):
        csi.Reliability().fit(ddf)
    with pytest.raises(DataValidationError, match=r"column 'nope' not found in the dask"):
        csi.EFA().fit(ddf, items=[*FACTOR_ITEMS[:3], "nope"])
    with pytest.raises(DataValidationError, match=r"'A1' is listed twice"):
        csi.EFA().fit(ddf, items=["A1", "A1", "A2"])
    with pytest.raises(DataValidationError, match=r"item 'A2' is constant"):
        csi.Reliability().fit(
            dd.from_pandas(factor_frame.assign(A2=3.0), npartitions=2), items=SCALES["A"]
        )
    with pytest.raises(DataValidationError, match=r"perfectly correlated"):
        csi.EFA().fit(
            dd.from_pandas(factor_frame.assign(A2=factor_frame["A1"]), npartitions=2),
            items=FACTOR_ITEMS,
        )
    with pytest.raises(DataValidationError, match=r"item 'A2' has no answers"):
        csi.EFA(missing="pairwise").fit(
            dd.from_pandas(factor_frame.assign(A2=np.nan), npartitions=2), items=FACTOR_ITEMS
        )
    with pytest.raises(DataValidationError, match=r"weight column 'w'"):  # per partition
        csi.EFA().fit(
            dd.from_pandas(factor_frame.assign(w=-1.0), npartitions=2),
            items=FACTOR_ITEMS,
            weight="w",
        )
    with pytest.raises(DataValidationError, match=r"needs more respondents than items"):
        csi.EFA().fit(dd.from_pandas(factor_frame.head(8), npartitions=2), items=FACTOR_ITEMS)
    # the families that need the respondents' rows say so
    for call, owner in [
        (lambda: csi.ScreenResponses().fit(ddf, items=FACTOR_ITEMS), "ScreenResponses"),
        (lambda: csi.Segmentation(n_segments=2).fit(ddf, items=FACTOR_ITEMS), "Segmentation"),
    ]:
        with pytest.raises(DataValidationError, match=rf"{owner} needs each respondent's answers"):
            call()
    res = _quiet(csi.EFA(n_factors=3).fit, factor_frame, items=FACTOR_ITEMS, random_state=1)
    with pytest.raises(DataValidationError, match=r"EFAResult needs each respondent's answers"):
        res.scores(ddf)
    with pytest.raises(DataValidationError, match=r"read it first \(pandas.read_parquet"):
        csi.Segmentation(n_segments=2).fit(tmp_path / "x.parquet", items=FACTOR_ITEMS)


def test_efa_reliability_partition_without_an_item(factor_frame: pd.DataFrame) -> None:
    """An item nobody in one partition answered is judged on the whole data."""
    frame = factor_frame.copy()
    frame.loc[frame.index[:200], "A1"] = np.nan  # all of the first partition
    ddf = dd.from_pandas(frame, npartitions=3)
    model = csi.EFA(n_factors=3, missing="pairwise", extraction="pa")
    kw = {"items": FACTOR_ITEMS, "random_state": 1, "missing_codes": [99]}
    _check_efa(_quiet(model.fit, frame, **kw), _quiet(model.fit, ddf, **kw))
    rel = csi.Reliability(missing="mean")
    kw = {"items": SCALES["A"], "weight": "w", "missing_codes": [99]}
    _check_reliability(_quiet(rel.fit, frame, **kw), _quiet(rel.fit, ddf, **kw))


# ---------------------------------------------------------------------------
# a partition in which nobody answered an item (a question added mid-year)
# ---------------------------------------------------------------------------


def _unanswered_in_first_part(frame: pd.DataFrame, column: str, parts: int = 3) -> Any:
    out = frame.copy()
    out.loc[out.index[: len(out) // parts], column] = np.nan
    return out, dd.from_pandas(out, npartitions=parts, sort=False)


def test_a_partition_without_answers_to_an_item(
    kano_frame: pd.DataFrame, servqual_frame: pd.DataFrame, acsi_frame: pd.DataFrame,
    hs: pd.DataFrame,
) -> None:  # fmt: skip
    # the gate leaves "nobody answered it" to the whole data: every family gives the
    # in-memory numbers of the same rows
    frame, ddf = _unanswered_in_first_part(kano_frame, "f0")
    options = {"weight": "w", "missing_codes": [9]}
    _check_kano(_quiet(KANO.fit, frame, **options), _quiet(KANO.fit, ddf, **options))
    frame, ddf = _unanswered_in_first_part(acsi_frame, "QUAL1")
    model = DriverAnalysis(attributes=ATTRS, overall="SAT1", missing="mean")
    _check_drivers(_quiet(model.fit, frame), _quiet(model.fit, ddf))
    frame, ddf = _unanswered_in_first_part(hs, "x1")
    # GLS: on 201 complete rows ML's optimiser stops within 1e-9 of its gradient
    # target, i.e. ~1e-8 apart, in memory as well (see tight_optimiser)
    cfa = csi.CBSEM(HS_MODEL)
    _check_cbsem(_quiet(cfa.fit, frame, estimator="GLS"), _quiet(cfa.fit, ddf, estimator="GLS"))
    from csimodels.servqual import SERVQUAL

    frame, ddf = _unanswered_in_first_part(servqual_frame, "P1")
    sq = SERVQUAL(missing="pairwise")
    _check_servqual(_quiet(sq.fit, frame), _quiet(sq.fit, ddf))
    # nobody at all: the survey-wide check still names the item
    empty = hs.assign(x1=np.nan)
    with pytest.raises(DataValidationError, match="listwise deletion left an empty dataset"):
        _quiet(csi.CBSEM(HS_MODEL).fit, dd.from_pandas(empty, npartitions=3))
