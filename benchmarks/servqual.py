"""Benchmark: SERVQUAL scoring of 1,000,000 respondents x 22 item pairs.

csimodels (vectorised numpy, including input validation through SurveyData) is timed
against a straightforward pandas implementation of the same numbers (long format,
groupby per item, per respondent x dimension and per dimension) in the same run; the
two sets of numbers are checked to agree and the time ratio is printed (never asserted).

Run: python benchmarks/servqual.py [n_respondents]
"""

from __future__ import annotations

import os

# On a small shared machine OpenBLAS's worker threads spin against each other and make
# the skinny (n x 22) matrix products 10-40x slower; one BLAS thread is the fair setting
# for a single-process comparison with pandas (which does not use BLAS here).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import sys
import time

import numpy as np
import pandas as pd

from csimodels.datasets.servqual import simulate_servqual_survey
from csimodels.servqual import SERVQUAL, SERVQUAL_1991


def pandas_reference(df: pd.DataFrame) -> dict[str, pd.Series]:
    """Item gaps, dimension gaps and overall scores with plain pandas groupby."""
    inst = SERVQUAL_1991
    dim_of = {i: d for d, items in inst.dimensions.items() for i in items}
    e = df[[f"E{i}" for i in inst.items]].set_axis(list(inst.items), axis=1)
    p = df[[f"P{i}" for i in inst.items]].set_axis(list(inst.items), axis=1)
    long = (p - e).rename_axis(index="respondent", columns="item").stack().rename("gap")
    long = long.reset_index()
    long["dimension"] = long["item"].map(dim_of)
    by_item = long.groupby("item", sort=False)["gap"].agg(["mean", "std", "count"])
    item_t = by_item["mean"] / (by_item["std"] / np.sqrt(by_item["count"]))
    per_dim = long.groupby(["respondent", "dimension"], sort=False)["gap"].mean().unstack()
    per_dim = per_dim[list(inst.dimensions)]
    dim_mean = per_dim.mean()
    shares = df[[f"I_{d}" for d in inst.dimensions]].set_axis(list(inst.dimensions), axis=1) / 100
    weighted_pr = (per_dim * shares).sum(axis=1).mean()
    weighted_ag = (shares.mean() * dim_mean).sum()
    overall = pd.Series(
        {
            "unweighted": per_dim.mean(axis=1).mean(),
            "weighted_per_respondent": weighted_pr,
            "weighted_aggregate": weighted_ag,
        }
    )
    return {"item": by_item["mean"], "item_t": item_t, "dimension": dim_mean, "overall": overall}


def main(n: int = 1_000_000) -> None:
    print(f"simulating {n:,} respondents x 22 item pairs ...", flush=True)
    df = simulate_servqual_survey(n=n, random_state=1).frame
    model = SERVQUAL(importance="I_{dimension}")

    t0 = time.perf_counter()
    res = model.fit(df)
    t_csi = time.perf_counter() - t0
    print(f"csimodels SERVQUAL.fit (validation + scoring + tests + alpha): {t_csi:.2f} s")

    t0 = time.perf_counter()
    ref = pandas_reference(df)
    t_pd = time.perf_counter() - t0
    print(f"pandas groupby reference (gaps, t, weighted scores only):     {t_pd:.2f} s")

    np.testing.assert_allclose(res.items["estimate"], ref["item"].to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(res.items["statistic"], ref["item_t"].to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(res.dimensions["estimate"], ref["dimension"].to_numpy(), rtol=1e-10)
    for key, value in ref["overall"].items():
        np.testing.assert_allclose(res.overall.loc[key, "estimate"], value, rtol=1e-10)
    print("numbers agree (item gaps, item t, dimension gaps, overall scores)")
    print(f"ratio pandas / csimodels: {t_pd / t_csi:.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
