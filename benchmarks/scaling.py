"""Scaling: bootstrap time and peak memory against n, import time, a parquet fit on dask.

Each case runs in its own Python process (one BLAS thread), so its peak resident
memory (``ru_maxrss``) is its own:

1. ``import csimodels`` against ``import pandas, pydantic`` (best of five, byte code
   compiled beforehand);
2. ACSI (6 constructs, 14 items) on simulated answers, 1,000 bootstrap resamples, for
   n = 10⁴, 10⁵ and 10⁶ respondents with the default memory budget (1 GiB): wall and
   CPU time, time per respondent, peak memory of the process and above the data;
3. a parquet dataset of 3·10⁶ respondents (its float64 matrix is larger than the
   memory budget of 256 MiB given to the fit), written to a temporary directory and
   fitted through ``dask.dataframe.read_parquet`` on a ``LocalCluster`` (PLS with 50
   resamples, and the item description);
4. the other out-of-core families on one parquet directory of 2·10⁶ respondents
   (Kano answers for 6 features, a SERVQUAL E/P battery of 22 items with importance
   points, the 14 ACSI items; its float64 matrix, about 1.2 GB, is larger than the
   256 MiB budget): ``Kano.fit``, ``SERVQUAL.fit``, ``CBSEM.fit(estimator="ML")``
   and the ``by=`` segment fits given the parquet path, on a ``LocalCluster``; wall
   time and the process's peak memory.

5. ``by=`` on 10⁶ respondents in 20 parquet files: the PLS and driver bootstraps per
   segment (100 resamples each) and the zone of tolerance, in memory (the frame read
   with pandas) against the parquet path on a ``LocalCluster``: wall times, their
   ratio, the largest difference of one segment's draws, peak memory.

Nothing is asserted. Run:
``python benchmarks/scaling.py [--quick | --parquet | --families | --segments]``
(``--quick`` stops at n = 10⁵ and skips the parquet cases, ``--parquet`` /
``--families`` / ``--segments`` run one parquet case alone).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
from typing import Any

ENV = {
    **os.environ,
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
ENV.pop("PYTHONDONTWRITEBYTECODE", None)

SIMULATE = textwrap.dedent(
    """
    import numpy as np, pandas as pd
    import csimodels as csi

    def survey(n, seed=1):
        structure = csi.sem.CSI_STRUCTURES["acsi"]
        items = {c: list(structure.items[c]) for c in structure.constructs}
        rng = np.random.default_rng(seed)
        k = len(items)
        latent = rng.normal(size=(n, k)) @ np.linalg.cholesky(0.5 * np.eye(k) + 0.5).T
        cols = {}
        for j, c in enumerate(items):
            for item in items[c]:
                raw = 6 + 1.6 * (latent[:, j] + 0.7 * rng.normal(size=n))
                cols[item] = np.clip(np.rint(raw), 1, 10).astype(np.int8)
        return pd.DataFrame(cols), items
    """
)

BOOTSTRAP_CASE = SIMULATE + textwrap.dedent(
    """
    import json, resource, time
    frame, items = survey(@N@)
    frame = frame.astype(float)
    model = csi.ACSI(indicators=items)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    wall, cpu = time.perf_counter(), time.process_time()
    res = model.fit(frame, scale=(1, 10), bootstrap=@B@, random_state=0)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"wall": wall, "cpu": cpu, "peak": peak, "base": base,
                      "failed": sum(res.bootstrap.n_failed.values())}))
    """
)

PARQUET_WRITE = SIMULATE + textwrap.dedent(
    """
    import os
    frame, items = survey(@N@)
    os.makedirs(@PATH@, exist_ok=True)
    step = len(frame) // 30
    for i in range(30):
        frame.iloc[i * step:(i + 1) * step].to_parquet(f"@RAWPATH@/part{i:03d}.parquet")
    print("{}")
    """
)

PARQUET_FIT = SIMULATE + textwrap.dedent(
    """
    import json, resource, time
    import dask.dataframe as dd
    from dask.distributed import Client, LocalCluster
    from csimodels.data._dask import describe

    structure = csi.sem.CSI_STRUCTURES["acsi"]
    items = {c: list(structure.items[c]) for c in structure.constructs}
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                           dashboard_address=None)
    client = Client(cluster)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    ddf = dd.read_parquet(@PATH@)
    model = csi.ACSI(indicators=items)
    wall = time.perf_counter()
    res = model.fit(ddf, scale=(1, 10), bootstrap=@B@, random_state=0,
                    memory_budget=@BUDGET@)
    fit_wall = time.perf_counter() - wall
    wall = time.perf_counter()
    desc = describe(ddf, [i for c in items.values() for i in c], scale=(1, 10))
    describe_wall = time.perf_counter() - wall
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    client.close()
    cluster.close()
    print(json.dumps({"fit": fit_wall, "describe": describe_wall, "peak": peak,
                      "base": base, "n": res.settings["n"]}))
    """
)


FAMILIES_WRITE = SIMULATE + textwrap.dedent(
    """
    import os
    n = @N@
    frame, items = survey(n)
    rng = np.random.default_rng(7)
    for j in range(6):  # Kano: functional / dysfunctional answers 1..5
        frame[f"kf{j}"] = rng.integers(1, 6, n).astype(np.int8)
        frame[f"kd{j}"] = rng.integers(1, 6, n).astype(np.int8)
    gap = rng.normal(size=(n, 1))
    for i in range(1, 23):  # SERVQUAL 1991: E1..E22, P1..P22 on 1..7
        frame[f"E{i}"] = np.clip(np.rint(5.5 + rng.normal(size=n)), 1, 7).astype(np.int8)
        p = 4.8 + 0.8 * gap[:, 0] + rng.normal(size=n)
        frame[f"P{i}"] = np.clip(np.rint(p), 1, 7).astype(np.int8)
    dims = ["Tangibles", "Reliability", "Responsiveness", "Assurance", "Empathy"]
    points = rng.multinomial(100, [0.15, 0.3, 0.2, 0.2, 0.15], size=n)
    for d, name in enumerate(dims):
        frame[f"I_{name}"] = points[:, d].astype(np.int16)
    frame["region"] = np.array(["East", "North", "South", "West"])[rng.integers(0, 4, n)]
    os.makedirs(@PATH@, exist_ok=True)
    step = n // 40
    for i in range(40):
        frame.iloc[i * step:(i + 1) * step].to_parquet(f"@RAWPATH@/part{i:03d}.parquet")
    print(json.dumps({"columns": frame.shape[1] - 1}))
    """
).replace("import os", "import os, json", 1)

FAMILIES_FIT = SIMULATE + textwrap.dedent(
    """
    import json, resource, time, warnings
    from dask.distributed import Client, LocalCluster

    structure = csi.sem.CSI_STRUCTURES["acsi"]
    items = {c: list(structure.items[c]) for c in structure.constructs}
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                           dashboard_address=None)
    client = Client(cluster)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    kano = csi.Kano(features={f"F{j}": (f"kf{j}", f"kd{j}") for j in range(6)})
    servqual = csi.SERVQUAL(importance="I_{dimension}")
    syntax = "\\n".join(f"{c} =~ " + " + ".join(v) for c, v in items.items() if len(v) > 1)
    cbsem = csi.CBSEM(syntax)
    out = {}
    with warnings.catch_warnings():  # benchmark output only (not a fit path)
        warnings.simplefilter("ignore")
        for name, fit in [
            ("Kano", lambda: kano.fit(@PATH@)),
            ("Kano by region", lambda: kano.fit(@PATH@, by="region")),
            ("SERVQUAL", lambda: servqual.fit(@PATH@)),
            ("SERVQUAL by region", lambda: servqual.fit(@PATH@, by="region")),
            ("CB-SEM (ML)", lambda: cbsem.fit(@PATH@)),
            ("CB-SEM by region", lambda: cbsem.fit(@PATH@, by="region")),
        ]:
            wall = time.perf_counter()
            fit()
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            out[name] = [time.perf_counter() - wall, rss]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    client.close()
    cluster.close()
    print(json.dumps({"times": out, "peak": peak, "base": base}))
    """
)

SEGMENTS_WRITE = SIMULATE + textwrap.dedent(
    """
    import os, json
    n = @N@
    frame, items = survey(n)
    rng = np.random.default_rng(9)
    frame["region"] = np.array(["East", "North", "South", "West"])[rng.integers(0, 4, n)]
    frame["weight"] = rng.uniform(0.5, 2.0, n)
    person = rng.normal(size=n)
    for i in range(1, 23):  # zone of tolerance: A, D, P on 1..9 (SERVQUAL 1991 items)
        a = 5.0 + 0.6 * person + rng.normal(size=n)
        frame[f"A{i}"] = np.clip(np.rint(a), 1, 9).astype(np.int8)
        frame[f"D{i}"] = np.clip(np.rint(a + 2.0 + rng.normal(size=n)), 1, 9).astype(np.int8)
        frame[f"P{i}"] = np.clip(np.rint(a + 1.0 + rng.normal(size=n)), 1, 9).astype(np.int8)
    os.makedirs(@PATH@, exist_ok=True)
    step = n // 20
    for i in range(20):
        frame.iloc[i * step:(i + 1) * step].to_parquet(f"@RAWPATH@/part{i:03d}.parquet")
    print(json.dumps({"columns": frame.shape[1]}))
    """
)

SEGMENTS_FIT = SIMULATE + textwrap.dedent(
    """
    import json, resource, time, warnings
    import pandas as pd

    structure = csi.sem.CSI_STRUCTURES["acsi"]
    items = {c: list(structure.items[c]) for c in structure.constructs}
    dask = @DASK@
    if dask:
        from dask.distributed import Client, LocalCluster
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                               dashboard_address=None)
        client = Client(cluster)
        data = @PATH@
    else:
        data = pd.read_parquet(@PATH@)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    pls = csi.ACSI(indicators=items)
    drivers = csi.DriverAnalysis(attributes=items["Quality"] + items["Value"],
                                 overall=items["Satisfaction"][0])
    zone = csi.ZoneOfTolerance(scale=(1, 9))
    out, draws = {}, {}
    with warnings.catch_warnings():  # benchmark output only (not a fit path)
        warnings.simplefilter("ignore")
        for name, fit in [
            ("PLS, 100 resamples, by region", lambda: pls.fit(
                data, scale=(1, 10), weight="weight", by="region", bootstrap=100,
                random_state=0, memory_budget=@BUDGET@)),
            ("drivers, 100 resamples, by region", lambda: drivers.fit(
                data, weight="weight", by="region", bootstrap=100, random_state=0)),
            ("zone of tolerance by region", lambda: zone.fit(
                data, weight="weight", by="region")),
        ]:
            wall = time.perf_counter()
            res = fit()
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            out[name] = [time.perf_counter() - wall, rss]
            seg = res.segments["West"]
            if hasattr(seg, "bootstrap") and seg.bootstrap is not None:
                draws[name] = seg.bootstrap.draws.to_numpy().tolist()
            elif getattr(seg, "bootstrap_draws", None) is not None:
                draws[name] = seg.bootstrap_draws.to_numpy().tolist()
            else:
                draws[name] = seg.dimensions["msa"].to_numpy().tolist()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    if dask:
        client.close()
        cluster.close()
    print(json.dumps({"times": out, "peak": peak, "base": base, "draws": draws}))
    """
)


def run(template: str, **values: object) -> dict[str, Any]:
    code = template
    for key, value in values.items():
        code = code.replace(
            f"@{key.upper()}@", repr(value) if isinstance(value, str) else str(value)
        )
    code = code.replace("@RAWPATH@", str(values.get("path", "")))
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=ENV, check=True
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def import_time(statement: str) -> float:
    code = f"import time\nt = time.perf_counter()\n{statement}\nprint(time.perf_counter() - t)"
    best = float("inf")
    for _ in range(5):
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=ENV, check=True
        )
        best = min(best, float(out.stdout.strip()))
    return best


def main() -> None:
    quick = "--quick" in sys.argv
    if "--parquet" in sys.argv:
        parquet()
        return
    if "--families" in sys.argv:
        families()
        return
    if "--segments" in sys.argv:
        segments()
        return
    subprocess.run([sys.executable, "-c", "import csimodels"], env=ENV, check=True)  # byte code
    base = import_time("import pandas, pydantic")
    full = import_time("import pandas, pydantic\nimport csimodels")
    print(f"import pandas + pydantic: {base:.3f} s; + csimodels: {full - base:+.3f} s")
    print()
    print("ACSI (14 items), 1,000 bootstrap resamples, default memory budget (1 GiB), one core")
    print(f"{'n':>10} {'wall s':>8} {'cpu s':>8} {'us/resp':>8} {'peak MB':>8} {'above data':>10}")
    sizes = [10_000, 100_000] if quick else [10_000, 100_000, 1_000_000]
    for n in sizes:
        r = run(BOOTSTRAP_CASE, n=n, b=1000)
        print(
            f"{n:>10,} {r['wall']:8.2f} {r['cpu']:8.2f} {1e6 * r['cpu'] / n:8.2f} "
            f"{r['peak'] / 2**20:8.0f} {(r['peak'] - r['base']) / 2**20:10.0f}"
        )
    if quick:
        return
    print()
    parquet()
    print()
    families()
    print()
    segments()


def parquet() -> None:
    n, budget = 3_000_000, 256 * 2**20
    with tempfile.TemporaryDirectory() as tmp:
        run(PARQUET_WRITE, path=f"{tmp}/survey", n=n)
        r = run(PARQUET_FIT, path=f"{tmp}/survey", b=50, budget=budget)
    matrix_mb = n * 14 * 8 / 2**20
    print(
        f"parquet, {n:,} respondents x 14 items (float64 matrix {matrix_mb:.0f} MB > budget "
        f"{budget / 2**20:.0f} MB), dask LocalCluster (2 threads):"
    )
    print(f"  PLS + 50 bootstrap resamples: {r['fit']:.1f} s; describe: {r['describe']:.1f} s")
    print(
        f"  peak memory {r['peak'] / 2**20:.0f} MB "
        f"({(r['peak'] - r['base']) / 2**20:.0f} MB above the process before the fit)"
    )


def families(n: int = 2_000_000) -> None:
    budget = 256 * 2**20
    with tempfile.TemporaryDirectory() as tmp:
        shape = run(FAMILIES_WRITE, path=f"{tmp}/survey", n=n)
        r: dict[str, Any] = run(FAMILIES_FIT, path=f"{tmp}/survey")
    columns = int(shape["columns"])
    matrix_mb = n * columns * 8 / 2**20
    print(
        f"parquet path, {n:,} respondents x {columns} columns (float64 matrix {matrix_mb:.0f} "
        f"MB > budget {budget / 2**20:.0f} MB), 40 files, dask LocalCluster (2 threads):"
    )
    print(f"  {'fit':<20} {'wall s':>7} {'peak MB so far':>15}")
    for name, (seconds, rss) in r["times"].items():
        print(f"  {name:<20} {seconds:7.1f} {rss / 2**20:15.0f}")
    print(
        f"  peak memory {r['peak'] / 2**20:.0f} MB "
        f"({(r['peak'] - r['base']) / 2**20:.0f} MB above the process before the fits)"
    )


def segments(n: int = 1_000_000) -> None:
    """The per-segment bootstraps and the zone of tolerance, in memory and on dask."""
    import numpy as np

    budget = 256 * 2**20
    with tempfile.TemporaryDirectory() as tmp:
        shape = run(SEGMENTS_WRITE, path=f"{tmp}/survey", n=n)
        memory = run(SEGMENTS_FIT, path=f"{tmp}/survey", dask=False, budget=budget)
        dask = run(SEGMENTS_FIT, path=f"{tmp}/survey", dask=True, budget=budget)
    print(
        f"by region (4 segments), {n:,} respondents x {shape['columns']} columns, 20 parquet "
        "files; in memory (pandas.read_parquet) against the parquet path on a dask "
        "LocalCluster (2 threads)"
    )
    print(f"  {'fit':<36} {'memory s':>9} {'dask s':>8} {'ratio':>6} {'max |diff|':>11}")
    for name, (seconds, _) in dask["times"].items():
        mem_s = memory["times"][name][0]
        diff = np.nanmax(np.abs(np.array(memory["draws"][name]) - np.array(dask["draws"][name])))
        print(f"  {name:<36} {mem_s:9.1f} {seconds:8.1f} {seconds / mem_s:6.2f} {diff:11.1e}")
    for label, r in (("in memory", memory), ("dask", dask)):
        print(
            f"  {label}: peak memory {r['peak'] / 2**20:.0f} MB "
            f"({(r['peak'] - r['base']) / 2**20:.0f} MB above the process before the fits)"
        )


if __name__ == "__main__":
    main()
