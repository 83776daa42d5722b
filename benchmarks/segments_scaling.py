"""Scaling of per-segment CSI fits: segments x respondents x resamples.

National programmes fit one model per store. This script simulates ACSI surveys with
many stores, fits the model per store with the combined tables computed in one
batched engine run (``details=False``) and with full per-store results
(``details=True``), and bootstraps a few stores, printing the time of each
configuration. A plain loop of single fits (``details=True``) is the baseline the
batched path is compared with. Nothing is asserted.

Run: ``python benchmarks/segments_scaling.py``.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import time  # noqa: E402
import warnings  # noqa: E402

import csimodels as csi  # noqa: E402


def survey(n_stores: int, per_store: int) -> csi.SurveyData:
    shifts = {f"store{i:04d}": (i % 20 - 10) * 0.03 for i in range(n_stores)}
    return csi.datasets.simulate_csi_survey(
        "acsi",
        n=n_stores * per_store,
        segment_levels=("store",),
        segment_shifts=shifts,
        random_state=1,
    ).data


def timed(label: str, fn: object) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    elapsed = time.perf_counter() - start
    print(f"{label:<58} {elapsed:8.2f} s")
    return elapsed


def main() -> None:
    warnings.simplefilter("ignore")
    print("ACSI (14 indicators, 6 constructs), one core")
    for n_stores, per_store in [(100, 500), (1000, 500), (1000, 100)]:
        data = survey(n_stores, per_store)
        model = csi.ACSI(indicators=data.constructs)
        batched = timed(
            f"{n_stores} stores x {per_store} respondents, batched (details=False)",
            lambda data=data, model=model: model.fit(data, by="store", details=False),
        )
        if n_stores <= 100:
            full = timed(
                f"{n_stores} stores x {per_store} respondents, full results per store",
                lambda data=data, model=model: model.fit(data, by="store"),
            )
            print(f"{'':<58} ratio full / batched: {full / batched:.1f}x")
    data = survey(20, 500)
    model = csi.ACSI(indicators=data.constructs)
    for resamples in (200, 1000):
        timed(
            f"20 stores x 500 respondents, {resamples} resamples each",
            lambda resamples=resamples: model.fit(
                data, by="store", bootstrap=resamples, random_state=1
            ),
        )


if __name__ == "__main__":
    main()
