"""Benchmark: one report per region for 50 regions (PDF, HTML and xlsx) in one call.

A simulated ACSI survey of 50 regions × 200 respondents over two quarters; each
region's report fits the ACSI model by PLS on the latest quarter (200 bootstrap
resamples), the previous quarter's index for the change, describes the data,
draws the path diagram, indices and IPMA charts, and writes the three files; a
cover ranks the regions.

Peer, in the same run: pandas ``DataFrame.to_excel`` writing the same result
tables (no titles, labels, formats or charts) for every region, the floor of any
Excel export; and the model fits alone, the floor of any report. Prints times
and ratios; nothing is asserted.

Run: ``python benchmarks/reports.py [--regions 50] [--n 200] [--jobs 2]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd

import csimodels as csi
from csimodels.reports import write_reports
from csimodels.reports.config import ReportConfig, _subset


def make_survey(regions: int, n: int, seed: int = 7) -> csi.SurveyData:
    shifts = {f"R{k:02d}": 0.02 * ((k * 37) % 21 - 10) for k in range(regions)}
    sim = csi.datasets.simulate_csi_survey(
        "acsi",
        n=regions * n,
        segment_levels=("region",),
        segment_shifts=shifts,
        periods={"2025Q3": 0.0, "2025Q4": 0.05},
        random_state=seed,
    )
    return sim.data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--regions", type=int, default=50)
    parser.add_argument("--n", type=int, default=200, help="respondents per region")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--bootstrap", type=int, default=200)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    data = make_survey(args.regions, args.n)
    config = {
        "report": {
            "title": "区域客户满意度报告",
            "language": "zh",
            "sections": ["data", "index", "drivers"],
            "min_segment_size": 30,
        },
        "index": {"model": "ACSI", "bootstrap": args.bootstrap, "random_state": 1},
    }
    cfg = ReportConfig.from_dict(config)
    print(
        f"{args.regions} regions x {args.n} respondents (2 quarters), "
        f"{args.bootstrap} bootstrap resamples, PDF + HTML + xlsx, {args.jobs} jobs"
    )

    import os

    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    out = Path(tempfile.mkdtemp())
    start, cpu = time.perf_counter(), time.process_time()
    res = write_reports(data, cfg, by="region", out=out, n_jobs=args.jobs)
    batch = time.perf_counter() - start
    cpu = time.process_time() - cpu
    written = int((res.table["status"] == "written").sum())
    files = sum(len(f.split(";")) for f in res.table["files"] if f) + len(res.cover)
    print(
        f"csimodels write_reports: {batch:.1f} s for {written} reports + cover "
        f"({files} files; {batch / args.regions:.2f} s per region)"
    )
    if args.jobs == 1:  # the CPU time of a parallel run is in the workers
        print(f"  CPU time {cpu:.1f} s ({cpu / args.regions:.2f} s per region)")

    # floors, serially: the model fits alone, and pandas writing the tables
    model = csi.ACSI(indicators=data.constructs)
    t0, c0 = time.perf_counter(), time.process_time()
    fits = {}
    for label in sorted(data.frame["region"].unique()):
        part = _subset(data, "region", label)
        last = _subset(part, "period", "2025Q4")
        fits[label] = model.fit(last, bootstrap=args.bootstrap, random_state=1)
        model.fit(_subset(part, "period", "2025Q3"))
    fit_time = time.perf_counter() - t0
    fit_cpu = time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    peer = Path(tempfile.mkdtemp())
    for label, r in fits.items():
        with pd.ExcelWriter(peer / f"{label}.xlsx", engine="openpyxl") as writer:
            for name in ("outer", "paths", "effects", "r2", "reliability", "htmt", "indices"):
                getattr(r, name).to_excel(writer, sheet_name=name)
    pandas_time = time.perf_counter() - t0
    pandas_cpu = time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    for label, r in fits.items():
        r.to_excel(peer / f"{label}-csi.xlsx")
    ours = time.perf_counter() - t0
    ours_cpu = time.process_time() - c0
    print(
        f"model fits alone (serial): {fit_time:.1f} s, CPU {fit_cpu:.1f} s; "
        f"report / fits = {batch / fit_time:.1f}x wall"
        + (f", {cpu / fit_cpu:.1f}x CPU" if args.jobs == 1 else "")
    )
    print(
        f"Excel of the PLS results, {len(fits)} regions: csimodels to_excel {ours:.1f} s, "
        f"pandas to_excel {pandas_time:.1f} s (ratio {ours / pandas_time:.2f}; CPU "
        f"{ours_cpu:.1f} s vs {pandas_cpu:.1f} s, ratio {ours_cpu / pandas_cpu:.2f})"
    )


if __name__ == "__main__":
    main()
