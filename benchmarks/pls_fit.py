"""Time the native PLS engine against seminr's ``estimate_pls`` on ECSI / mobi.

Runs in one process: a single ECSI fit (path weighting, Mode A) by csimodels'
engine and by seminr 0.2.1, each repeated and reported as the median; then the
batched core on 5,000 bootstrap resamples (resample counts -> weighted
correlation matrices -> all PLS problems at once). Prints the ratio; nothing is
asserted. Run: ``python benchmarks/pls_fit.py``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from csimodels.sem._pls_engine import batch_correlations, estimate_pls, estimate_pls_moments

ITEMS = {
    "Image": ["IMAG1", "IMAG2", "IMAG3", "IMAG4", "IMAG5"],
    "Expectation": ["CUEX1", "CUEX2", "CUEX3"],
    "Quality": [f"PERQ{i}" for i in range(1, 8)],
    "Value": ["PERV1", "PERV2"],
    "Satisfaction": ["CUSA1", "CUSA2", "CUSA3"],
    "Complaints": ["CUSCO"],
    "Loyalty": ["CUSL1", "CUSL2", "CUSL3"],
}
PATHS = [
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


def _median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(repeat: int = 30, n_boot: int = 5000) -> None:
    path = Path(__file__).resolve().parents[2] / "shared" / "data" / "mobi.csv"
    mobi = pd.read_csv(path)
    names = list(ITEMS)
    cols = [i for c in names for i in ITEMS[c]]
    x = mobi[cols].to_numpy(dtype=float)
    blocks, start = [], 0
    for c in names:
        blocks.append(np.arange(start, start + len(ITEMS[c])))
        start += len(ITEMS[c])
    structure = np.zeros((len(names), len(names)), dtype=bool)
    for a, b in PATHS:
        structure[names.index(a), names.index(b)] = True
    modes = ["A"] * len(names)

    import seminr

    mm = seminr.constructs(*[seminr.composite(c, ITEMS[c]) for c in names])
    sm = seminr.relationships(*[seminr.paths(a, b) for a, b in PATHS])

    def ours() -> object:
        return estimate_pls(x, blocks, modes, structure)

    def theirs() -> object:
        return seminr.estimate_pls(mobi, mm, sm)

    ours()
    theirs()  # warm up both
    t_seminr = _median_time(theirs, repeat)
    t_ours = _median_time(ours, repeat)
    fit = ours()
    print(f"ECSI/mobi single fit (median of {repeat}), Image->Expectation = {fit.paths[0, 1]:.6f}")
    print(f"  seminr 0.2.1 estimate_pls : {t_seminr * 1e3:8.3f} ms")
    print(f"  csimodels engine          : {t_ours * 1e3:8.3f} ms")
    print(f"  speed-up                  : {t_seminr / t_ours:8.1f}x")

    rng = np.random.default_rng(1)
    n = x.shape[0]
    draws = rng.integers(0, n, size=(n_boot, n))
    counts = np.zeros((n_boot, n))
    np.add.at(counts, (np.arange(n_boot)[:, None], draws), 1.0)

    def moments() -> object:
        return batch_correlations(x, counts)

    _, _, r = batch_correlations(x, counts)

    def core() -> object:
        return estimate_pls_moments(r, blocks, modes, structure)

    t_mom = _median_time(moments, 3)
    t_core = _median_time(core, 3)
    batch = estimate_pls_moments(r, blocks, modes, structure)
    print(f"Batched bootstrap, B = {n_boot} resamples (median of 3)")
    print(f"  resample counts -> correlation matrices : {t_mom:6.3f} s")
    print(f"  PLS on all {n_boot} matrices at once      : {t_core:6.3f} s")
    print(f"  total                                   : {t_mom + t_core:6.3f} s")
    print(
        f"  converged: {int(batch.converged.sum())}/{n_boot}, max updates {batch.iterations.max()}"
    )
    print(
        f"  seminr would need about {t_seminr * n_boot:.0f} s for the same resamples "
        f"({t_seminr * n_boot / (t_mom + t_core):.0f}x)"
    )


if __name__ == "__main__":
    main()
