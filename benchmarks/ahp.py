"""Benchmark: 10,000 respondents' 9 × 9 AHP matrices, priorities and CR for each.

csimodels (``AHPGroup`` on survey-coded data: one batched eigen-decomposition) against
AHPy 2.1 (one ``ahpy.Compare`` per respondent), in the same run, on the same data.
AHPy is timed on a sample of respondents (``--ahpy-sample``, default all) and its
time scaled to 10,000 if sampled. Prints the ratio; nothing is asserted.

Run: ``python benchmarks/ahp.py [--respondents 10000] [--ahpy-sample 10000]``
"""

from __future__ import annotations

import argparse
import itertools
import time
import warnings

import numpy as np
import pandas as pd

from csimodels.ahp import AHP, AHPGroup


def make_survey(n_respondents: int, n_criteria: int, seed: int = 1) -> pd.DataFrame:
    """Judgments near a true weight vector with respondent noise, on the −9..9 coding."""
    rng = np.random.default_rng(seed)
    names = [f"c{k + 1}" for k in range(n_criteria)]
    true = rng.dirichlet(np.full(n_criteria, 2.0))
    cols = {}
    for i, j in itertools.combinations(range(n_criteria), 2):
        ratio = true[i] / true[j] * np.exp(rng.normal(0, 0.4, n_respondents))
        mag = np.clip(np.rint(np.where(ratio >= 1, ratio, 1 / ratio)), 1, 9)
        cols[f"{names[i]}_vs_{names[j]}"] = np.where(ratio >= 1, mag, -mag).astype(int)
    return pd.DataFrame(cols)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--respondents", type=int, default=10_000)
    parser.add_argument("--criteria", type=int, default=9)
    parser.add_argument("--ahpy-sample", type=int, default=None)
    args = parser.parse_args()
    df = make_survey(args.respondents, args.criteria)
    model = AHPGroup(ahp=AHP(ri_table="donegan_dodd_1991"))
    warnings.simplefilter("ignore")
    model.fit(df.head(50))  # warm-up
    t0 = time.perf_counter()
    res = model.fit(df)
    t_ours = time.perf_counter() - t0
    print(
        f"csimodels: {args.respondents} respondents x {args.criteria} criteria, "
        f"CR for each in {t_ours:.3f} s"
    )
    try:
        import ahpy
    except ImportError:
        print("AHPy not installed (pip install ahpy); no ratio")
        return
    sample = args.respondents if args.ahpy_sample is None else min(args.ahpy_sample, len(df))
    pairs = [tuple(c.split("_vs_")) for c in df.columns]
    values = df.to_numpy()
    t0 = time.perf_counter()
    crs = []
    for r in range(sample):
        row = values[r]
        comps = {p: (float(v) if v > 0 else 1.0 / -v) for p, v in zip(pairs, row, strict=True)}
        crs.append(ahpy.Compare(f"r{r}", comps, precision=10, random_index="dd").consistency_ratio)
    t_ahpy = (time.perf_counter() - t0) * args.respondents / sample
    diff = np.max(np.abs(np.asarray(crs) - res.respondents["cr"].to_numpy()[:sample]))
    print(
        f"AHPy 2.1:  {sample} Compare objects, {t_ahpy:.3f} s"
        + ("" if sample == args.respondents else f" (scaled to {args.respondents})")
    )
    print(f"max |CR difference| over the sample: {diff:.2e} (same Donegan & Dodd RI)")
    print(f"speed ratio AHPy / csimodels: {t_ahpy / t_ours:.1f}x")


if __name__ == "__main__":
    main()
