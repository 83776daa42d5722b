"""Benchmark: Kano classification of 1 million respondents x 30 features.

Times, in one run and on the same data:

1. ``csimodels.kano.Kano.fit`` end to end on the DataFrame (validation, SurveyData,
   classification of every respondent and feature, counts, shares, tie rule, Fong's
   test, Better/Worse, continuous analysis); ``SurveyData.from_frame`` alone (most of
   the end-to-end time: it converts and stacks 60 float64 columns); ``Kano.fit`` on an
   already built SurveyData; and the vectorised classification core alone;
2. a straightforward pandas implementation, as found in tutorials: per feature, join the
   two answers into a string key, ``map`` it through the evaluation table, then
   ``value_counts``;
3. a pandas ``crosstab`` per feature (5 x 5 answer table summed per category), which only
   counts and does not classify each respondent.

All three give the same counts (checked). Prints times and ratios (never asserted).

Usage: ``python benchmarks/kano.py [--n 1000000] [--features 30]``
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from csimodels.data import SurveyData
from csimodels.errors import DataQualityWarning
from csimodels.kano import CATEGORIES, KANO_TABLES, Kano
from csimodels.kano import _engine as eng


def make_data(n: int, k: int, seed: int = 1) -> tuple[pd.DataFrame, dict[str, tuple[str, str]]]:
    rng = np.random.default_rng(seed)
    # answers 1..5 with a little structure (not uniform) so all categories occur
    p = np.array([0.35, 0.15, 0.25, 0.1, 0.15])
    cols: dict[str, np.ndarray] = {}
    features: dict[str, tuple[str, str]] = {}
    for j in range(k):
        cols[f"F{j}_f"] = rng.choice(np.arange(1, 6, dtype=np.int8), size=n, p=p)
        cols[f"F{j}_d"] = rng.choice(np.arange(1, 6, dtype=np.int8), size=n, p=p[::-1])
        features[f"feature {j}"] = (f"F{j}_f", f"F{j}_d")
    return pd.DataFrame(cols), features


def pandas_string_map(df: pd.DataFrame, features: dict[str, tuple[str, str]]) -> pd.DataFrame:
    table = KANO_TABLES["berger1993"]
    lookup = {f"{i + 1}-{j + 1}": table[i][j] for i in range(5) for j in range(5)}
    rows = {}
    for name, (fc, dc) in features.items():
        key = df[fc].astype(str) + "-" + df[dc].astype(str)
        cats = key.map(lookup)
        rows[name] = cats.value_counts().reindex(list(CATEGORIES), fill_value=0)
    return pd.DataFrame(rows).T


def pandas_crosstab(df: pd.DataFrame, features: dict[str, tuple[str, str]]) -> pd.DataFrame:
    table = np.array(KANO_TABLES["berger1993"])
    rows = {}
    for name, (fc, dc) in features.items():
        ct = pd.crosstab(df[fc], df[dc]).reindex(index=range(1, 6), columns=range(1, 6))
        ct = ct.fillna(0).to_numpy()
        rows[name] = pd.Series({c: int(ct[table == c].sum()) for c in CATEGORIES})
    return pd.DataFrame(rows).T


def timed(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=30)
    args = parser.parse_args()
    df, features = make_data(args.n, args.features)
    model = Kano(features=features)
    print(f"Kano benchmark: {args.n:,} respondents x {args.features} features")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        res, t_fit = timed(model.fit, df)
        cols = [c for pair in features.values() for c in pair]
        survey, t_survey = timed(SurveyData.from_frame, df, items=cols, scale=(1, 5))
        res_survey, t_fit_survey = timed(model.fit, survey)
    assert res_survey.counts.equals(res.counts)

    # the classification core alone: codes -> answer indices -> answer-pair cells -> counts
    def core() -> np.ndarray:
        codes = np.array(model.codes)
        f = np.stack(
            [eng.answer_indices(df[c].to_numpy(np.float64), codes) for c, _ in features.values()]
        )
        d = np.stack(
            [eng.answer_indices(df[c].to_numpy(np.float64), codes) for _, c in features.values()]
        )
        lookup = eng.category_lookup(model.table_indices())
        tallies = eng.tally_cells(eng.cell_keys(f, d), None, None)
        counts = eng.categories_from_cells(tallies.counts, lookup)
        return counts

    core_counts, t_core = timed(core)
    ref, t_pandas = timed(pandas_string_map, df, features)
    ct, t_crosstab = timed(pandas_crosstab, df, features)

    ours = res.counts[list(CATEGORIES)]
    assert (ours.to_numpy() == ref[list(CATEGORIES)].to_numpy()).all()
    assert (ours.to_numpy() == ct[list(CATEGORIES)].to_numpy()).all()
    assert (ours.to_numpy() == core_counts).all()
    print("counts identical across all implementations: yes")
    print(f"csimodels Kano.fit (end to end):        {t_fit:8.3f} s")
    print(f"  of which SurveyData.from_frame (alone):  {t_survey:8.3f} s")
    print(f"csimodels Kano.fit on a built SurveyData: {t_fit_survey:7.3f} s")
    print(f"csimodels classification core:          {t_core:8.3f} s")
    print(f"pandas string key + map + value_counts:  {t_pandas:8.3f} s")
    print(f"pandas crosstab per feature (counts only): {t_crosstab:6.3f} s")
    print(f"ratio pandas map / Kano.fit:      {t_pandas / t_fit:6.1f}x")
    print(f"ratio pandas map / fit(SurveyData): {t_pandas / t_fit_survey:4.1f}x")
    print(f"ratio pandas map / core:          {t_pandas / t_core:6.1f}x")
    print(f"ratio pandas crosstab / Kano.fit: {t_crosstab / t_fit:6.1f}x")


if __name__ == "__main__":
    main()
