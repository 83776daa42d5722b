"""Speed and scale: the batched bootstrap against a slow loop, streaming, memory budget.

Oracles:
- a slow, independent loop: every resample's data set is built row by row
  (``x[rows]``), standardised, and fitted by a textbook data-level PLS (path
  weighting, one construct at a time, written here and sharing no code with the
  engine); the standard deviations of its statistics over the resamples are the
  reference for the bootstrap's standard errors (1e-12);
- the in-memory computation: a run with a tiny memory budget (respondents streamed
  in row chunks, resample rows drawn one at a time, a few resamples per chunk)
  gives the same draws (1e-10);
- the memory budget itself: a fit in a subprocess on 300,000 respondents, whose
  peak resident memory above a plain fit must stay within the budget (plus a
  margin); the numbers are the operating system's, not the library's.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from typing import Any

import numpy as np
import pandas as pd
import pytest
from test_pls_engine import BLOCKS, ECSI_ITEMS, ECSI_PATHS, ITEMS, NAMES, STRUCTURE

import csimodels as csi
from csimodels.errors import InvalidParameterError
from csimodels.sem.bootstrap import (
    draw_resamples,
    make_layout,
    resample_counts,
    run_bootstrap,
)

SETTINGS = {"scheme": "path", "tol": 1e-7, "max_iter": 300, "consistent": False}


def _slow_pls(x: np.ndarray) -> dict[str, np.ndarray]:
    """Textbook PLS (Mode A, path weighting) on a data matrix, construct by construct."""
    n = x.shape[0]
    means, sds = x.mean(axis=0), x.std(axis=0, ddof=1)
    z = (x - means) / sds
    k = len(BLOCKS)
    preds = [list(np.flatnonzero(STRUCTURE[:, j])) for j in range(k)]
    succs = [list(np.flatnonzero(STRUCTURE[j, :])) for j in range(k)]
    w = [np.ones(len(b)) for b in BLOCKS]

    def scores(weights: list[np.ndarray]) -> np.ndarray:
        y = np.column_stack([z[:, b] @ wb for b, wb in zip(BLOCKS, weights, strict=True)])
        return (y - y.mean(axis=0)) / y.std(axis=0, ddof=1)

    for _ in range(300):
        y = scores(w)
        ry = np.corrcoef(y, rowvar=False)
        new = []
        for j, b in enumerate(BLOCKS):
            proxy = np.zeros(n)
            if preds[j]:
                beta = np.linalg.solve(ry[np.ix_(preds[j], preds[j])], ry[preds[j], j])
                for i, coef in zip(preds[j], beta, strict=True):
                    proxy += coef * y[:, i]
            for i in succs[j]:
                proxy += ry[i, j] * y[:, i]
            wb = np.array([np.sum(z[:, a] * proxy) / (n - 1) for a in b])
            new.append(wb / (z[:, b] @ wb).std(ddof=1))
        change = sum(float(np.abs(a - c).sum()) for a, c in zip(new, w, strict=True))
        w = new
        if change < 1e-7:
            break
    y = scores(w)
    ry = np.corrcoef(y, rowvar=False)
    paths = np.zeros((k, k))
    r2 = np.full(k, np.nan)
    for j in range(k):
        if preds[j]:
            beta = np.linalg.solve(ry[np.ix_(preds[j], preds[j])], ry[preds[j], j])
            paths[preds[j], j] = beta
            r2[j] = beta @ ry[preds[j], j]
    loadings = np.concatenate(
        [[np.corrcoef(z[:, a], y[:, j])[0, 1] for a in b] for j, b in enumerate(BLOCKS)]
    )
    index = []
    for b, wb in zip(BLOCKS, w, strict=True):
        raw = wb / sds[b]
        index.append(100 * (raw @ means[b] - raw.sum()) / (raw.sum() * 9.0))
    return {
        "weight": np.concatenate(w),
        "loading": loadings,
        "paths": paths,
        "r2": r2,
        "index": np.array(index),
    }


@pytest.fixture(scope="module")
def x(mobi: pd.DataFrame) -> np.ndarray:
    return mobi[ITEMS].to_numpy(dtype=float)


def test_standard_errors_match_a_slow_independent_loop(mobi: pd.DataFrame, x: np.ndarray) -> None:
    n_boot = 120
    res = csi.ECSI(indicators=ECSI_ITEMS).fit(
        mobi, scale=(1, 10), bootstrap=n_boot, random_state=21
    )
    rows = draw_resamples(21, len(x), 0, n_boot)
    slow = [_slow_pls(x[r]) for r in rows]
    table = res.bootstrap.table
    draws = res.bootstrap.draws
    assert len(draws) == n_boot
    for kind in ("weight", "loading"):
        ref = np.array([s[kind] for s in slow])
        for j, item in enumerate(ITEMS):
            if len(next(b for b in BLOCKS if j in b)) == 1:
                continue  # fixed at 1: no standard error by design
            np.testing.assert_allclose(draws[(kind, item)], ref[:, j], atol=1e-10)
            assert table.loc[(kind, item), "std_error"] == pytest.approx(
                ref[:, j].std(ddof=1), abs=1e-12
            )
    for a, b in ECSI_PATHS:
        i, j = NAMES.index(a), NAMES.index(b)
        ref = np.array([s["paths"][i, j] for s in slow])
        np.testing.assert_allclose(draws[("path", f"{a} -> {b}")], ref, atol=1e-10)
        assert table.loc[("path", f"{a} -> {b}"), "std_error"] == pytest.approx(
            ref.std(ddof=1), abs=1e-12
        )
    for j, name in enumerate(NAMES):
        ref = np.array([s["index"][j] for s in slow])
        assert table.loc[("index", name), "std_error"] == pytest.approx(ref.std(ddof=1), abs=1e-11)
        if STRUCTURE[:, j].any():
            ref = np.array([s["r2"][j] for s in slow])
            assert table.loc[("r2", name), "std_error"] == pytest.approx(ref.std(ddof=1), abs=1e-12)


def _acsi_frame(n: int, seed: int) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    structure = csi.sem.CSI_STRUCTURES["acsi"]
    items = {c: list(structure.items[c]) for c in structure.constructs}
    rng = np.random.default_rng(seed)
    k = len(items)
    latent = rng.normal(size=(n, k)) @ np.linalg.cholesky(0.5 * np.eye(k) + 0.5).T
    cols = {}
    for j, c in enumerate(items):
        for item in items[c]:
            raw = 6 + 1.6 * (latent[:, j] + 0.7 * rng.normal(size=n))
            cols[item] = np.clip(np.rint(raw), 1, 10)
    return pd.DataFrame(cols), items


@pytest.mark.determinism
def test_streaming_gives_the_in_memory_numbers() -> None:
    frame, items = _acsi_frame(2100, 4)
    model = csi.ACSI(indicators=items)
    spec = model.to_spec()
    names = list(spec.construct_names)
    pos = {c: i for i, c in enumerate(names)}
    blocks = [np.array([spec.indicators.index(i) for i in c.indicators]) for c in spec.constructs]
    structure = np.zeros((len(names), len(names)), dtype=bool)
    for a, b in spec.paths:
        structure[pos[a], pos[b]] = True
    layout = make_layout(
        blocks,
        ["A"] * len(names),
        structure,
        list(spec.indicators),
        names,
        [(pos[a], pos[b]) for a, b in spec.paths],
        np.ones(len(spec.indicators)),
        np.full(len(spec.indicators), 10.0),
    )
    data = frame[list(spec.indicators)].to_numpy(dtype=float)
    weights = np.random.default_rng(5).lognormal(size=len(data))
    common = {"n_resamples": 40, "random_state": 8}
    in_memory = run_bootstrap(data, weights, layout, SETTINGS, **common)
    # 1 MiB: cross products streamed in row chunks, resample rows drawn one by one,
    # 11 resamples per chunk (not aligned with the blocks of 64 draws)
    streamed = run_bootstrap(data, weights, layout, SETTINGS, memory_budget=2**20, **common)
    np.testing.assert_allclose(streamed.draws, in_memory.draws, rtol=0, atol=1e-10)
    np.testing.assert_allclose(streamed.jackknife, in_memory.jackknife, rtol=0, atol=1e-10)
    np.testing.assert_array_equal(streamed.resample_ids, in_memory.resample_ids)
    # and the fit through the public API agrees with the same budget
    res = model.fit(frame, scale=(1, 10), bootstrap=30, random_state=8, memory_budget=2**20)
    ref = model.fit(frame, scale=(1, 10), bootstrap=30, random_state=8)
    pd.testing.assert_frame_equal(
        res.bootstrap.table, ref.bootstrap.table, check_exact=False, rtol=0, atol=1e-10
    )


def test_row_by_row_draws_are_the_block_draws() -> None:
    for n in (7, 251):
        rows = draw_resamples(3, n, 5, 150)
        expected = np.stack([np.bincount(r, minlength=n) for r in rows]).astype(float)
        np.testing.assert_array_equal(resample_counts(3, n, 5, 150), expected)
        np.testing.assert_array_equal(resample_counts(3, n, 5, 150, memory_budget=64), expected)


@pytest.mark.parametrize("budget", [0, 1000, -5, 2.5, True, "lots", "2 XB", "0.5MB"])
def test_bad_memory_budget(mobi: pd.DataFrame, budget: object) -> None:
    with pytest.raises(InvalidParameterError, match=r"'memory_budget' of .* must be a whole"):
        csi.ECSI(indicators=ECSI_ITEMS).fit(
            mobi,
            scale=(1, 10),
            bootstrap=10,
            memory_budget=budget,  # type: ignore[arg-type]
        )


_MEMORY_SCRIPT = textwrap.dedent(
    """
    import json, os, resource, sys
    sys.path.insert(0, {tests!r})
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    import numpy as np
    import csimodels as csi
    from test_scaling import _acsi_frame

    frame, items = _acsi_frame({n}, 1)
    model = csi.ACSI(indicators=items)
    model.fit(frame, scale=(1, 10))
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    res = model.fit(frame, scale=(1, 10), bootstrap={b}, random_state=0,
                    memory_budget={budget})
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({{"base": base, "peak": peak, "ok": len(res.bootstrap.draws)}}))
    """
)


def test_memory_budget_is_respected_in_a_subprocess() -> None:
    from pathlib import Path

    n, b, budget = 300_000, 40, 64 * 2**20
    script = _MEMORY_SCRIPT.format(tests=str(Path(__file__).parent), n=n, b=b, budget=budget)
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[1],  # this checkout's csimodels
    )
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["ok"] == b
    # the whole bootstrap (counts, cross-product rows, draws, batch arrays) must fit
    # in the budget; the margin covers allocator slack and the small result tables
    assert found["peak"] - found["base"] <= 1.25 * budget + 16 * 2**20, found


# ---------------------------------------------------------------------------
# out of core on dask: a LocalCluster in this process (threads), partitions combined
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dask_client() -> Any:
    distributed = pytest.importorskip("dask.distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def gappy(mobi: pd.DataFrame) -> pd.DataFrame:
    frame = mobi[ITEMS].astype(float).copy()
    rng = np.random.default_rng(12)
    holes = rng.random(frame.shape) < 0.02
    frame = frame.mask(holes)
    frame["w"] = rng.lognormal(sigma=0.4, size=len(frame))
    return frame


@pytest.mark.parametrize("missing", ["mean", "listwise"])
def test_dask_pls_equals_the_in_memory_fit(
    dask_client: Any, gappy: pd.DataFrame, missing: str
) -> None:
    import dask.dataframe as dd

    model = csi.ECSI(indicators=ECSI_ITEMS, missing=missing)
    ddf = dd.from_pandas(gappy, npartitions=4)
    kwargs = {"scale": (1, 10), "weight": "w", "bootstrap": 60, "random_state": 3}
    ours = model.fit(ddf, **kwargs)
    ref = model.fit(gappy, **kwargs)
    assert type(ours).__name__ == "OutOfCorePLSResult"
    assert ours.settings["n"] == ref.missing.n_rows_used
    for name in ("paths", "r2", "indices"):
        mine, theirs = getattr(ours, name), getattr(ref, name)
        cols = [c for c in mine.columns if c != "label"]
        pd.testing.assert_frame_equal(
            mine[cols], theirs[cols], check_exact=False, rtol=0, atol=1e-10
        )
    for col in ("weight", "loading", "index_weight", "mean", "sd"):
        np.testing.assert_allclose(ours.outer[col], ref.outer[col], rtol=0, atol=1e-10)
    pd.testing.assert_frame_equal(
        ours.reliability, ref.reliability, check_exact=False, rtol=0, atol=1e-10
    )
    assert ours.srmr == pytest.approx(ref.srmr, abs=1e-10)
    np.testing.assert_allclose(
        ours.bootstrap.draws.to_numpy(), ref.bootstrap.draws.to_numpy(), rtol=0, atol=1e-10
    )
    np.testing.assert_allclose(
        ours.bootstrap.jackknife.to_numpy(), ref.bootstrap.jackknife.to_numpy(), atol=1e-10
    )
    assert "out of core" in str(ours.summary())
    assert csi.result_from_json(ours.to_json()) == ours


@pytest.mark.parametrize("weight", [None, "w"])
def test_dask_describe_equals_in_memory(
    dask_client: Any, gappy: pd.DataFrame, weight: str | None
) -> None:
    import dask.dataframe as dd

    from csimodels.data._dask import describe

    items = ITEMS[:6]
    ref = csi.SurveyData.from_frame(gappy, items=items, scale=(1, 10), weight=weight).describe()
    ours = describe(dd.from_pandas(gappy, npartitions=3), items, weight=weight, scale=(1, 10))
    numeric = [c for c in ref.table.columns if c != "label"]
    pd.testing.assert_frame_equal(
        ours.table[numeric], ref.table[numeric], check_exact=False, rtol=0, atol=1e-10,
        check_dtype=False,
    )  # fmt: skip
    pd.testing.assert_frame_equal(ours.frequencies, ref.frequencies, rtol=0, atol=1e-12)
    pd.testing.assert_frame_equal(ours.counts, ref.counts)


def test_dask_bad_input(dask_client: Any, gappy: pd.DataFrame) -> None:
    import dask.dataframe as dd

    from csimodels.errors import DataValidationError

    ddf = dd.from_pandas(gappy.drop(columns=["CUSL2"]), npartitions=2)
    model = csi.ECSI(indicators=ECSI_ITEMS)
    with pytest.raises(DataValidationError, match="'CUSL2' not found"):
        model.fit(ddf, scale=(1, 10))
    ddf = dd.from_pandas(gappy, npartitions=2)
    with pytest.raises(InvalidParameterError, match="needs scale"):
        model.fit(ddf)
    with pytest.raises(DataValidationError, match="outside the declared scale"):
        model.fit(ddf, scale=(1, 5))
    with pytest.raises(InvalidParameterError, match=r"resamples= \(explicit row"):
        model.fit(ddf, scale=(1, 10), resamples=np.zeros((2, len(gappy)), dtype=np.int64))
