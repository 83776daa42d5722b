# ruff: noqa: E402  (BLAS thread variables must be set before numpy is imported)
"""Benchmark: CB-SEM fits by csimodels (semopy algebra, own solver) against lavaan.

The same three ML fits as the parity tests — political democracy (with residual
covariances), the three-factor Holzinger–Swineford CFA and ECSI on mobi — timed in one
run: csimodels in this process, lavaan 0.6 through ``Rscript`` (time measured inside
R around ``sem()``, so R's start-up is not counted). Each fit is repeated
``--repeat`` times and the median reported, with χ² from both to show they are the
same fits. Also times semopy's own default fit (SLSQP) for reference. Prints the
ratios; nothing is asserted. Without Rscript/lavaan only the Python side is timed.

BLAS threads are limited to one (see below): with a multithreaded BLAS on a busy
2-core machine the ECSI fit took 1.3 s instead of 0.13 s.

Run: ``python benchmarks/cbsem_vs_lavaan.py [--repeat 5] [--data ../shared/data]``
"""

from __future__ import annotations

import os

# Small (p < 30) matrices: multithreaded BLAS only adds overhead, and on a shared
# machine oversubscription makes timings erratic. Set before numpy is imported;
# override by exporting the variables yourself.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
import warnings
from pathlib import Path

import pandas as pd

from csimodels.sem.cbsem import _fit_syntax

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_SCRIPT = ROOT / "tests" / "fixtures" / "lavaan" / "make_fixtures.R"

PD = """ind60 =~ x1 + x2 + x3
dem60 =~ y1 + y2 + y3 + y4
dem65 =~ y5 + y6 + y7 + y8
dem60 ~ ind60
dem65 ~ ind60 + dem60
y1 ~~ y5
y2 ~~ y4 + y6
y3 ~~ y7
y4 ~~ y8
y6 ~~ y8"""
HS = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
ECSI = """Image =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
Expectation =~ CUEX1 + CUEX2 + CUEX3
Quality =~ PERQ1 + PERQ2 + PERQ3 + PERQ4 + PERQ5 + PERQ6 + PERQ7
Value =~ PERV1 + PERV2
Satisfaction =~ CUSA1 + CUSA2 + CUSA3
Complaints =~ CUSCO
Loyalty =~ CUSL1 + CUSL2 + CUSL3
Expectation ~ Image
Quality ~ Expectation
Value ~ Expectation + Quality
Satisfaction ~ Image + Expectation + Quality + Value
Complaints ~ Satisfaction
Loyalty ~ Image + Satisfaction + Complaints"""
# csimodels fixes a single indicator's error variance explicitly (lavaan does it itself)
ECSI_PY = ECSI.replace("Complaints =~ CUSCO", "Complaints =~ CUSCO\nCUSCO ~~ 0*CUSCO")

R_TEMPLATE = """
suppressPackageStartupMessages(library(lavaan))
rd <- function(f) {{ d <- read.csv(file.path("{data}", f), check.names = FALSE);
  if (names(d)[1] == "") d <- d[, -1]; d }}
cases <- list(
  pd = list(model = "{pd}", data = rd("pd_data.csv")),
  hs = list(model = "{hs}", data = rd("holzinger_swineford39_data.csv")),
  ecsi = list(model = "{ecsi}", data = rd("mobi.csv"))
)
for (name in names(cases)) {{
  cs <- cases[[name]]
  fit <- sem(cs$model, data = cs$data)  # warm-up
  times <- numeric({repeat})
  for (r in seq_len({repeat})) {{
    t0 <- proc.time()[["elapsed"]]
    fit <- sem(cs$model, data = cs$data)
    times[r] <- proc.time()[["elapsed"]] - t0
  }}
  cat(name, median(times), fitMeasures(fit, "chisq"), "\\n")
}}
"""


def time_python(
    cases: dict[str, tuple[str, pd.DataFrame]], repeat: int
) -> dict[str, tuple[float, float]]:
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, (syntax, data) in cases.items():
            res = _fit_syntax(syntax, data)  # warm-up (imports)
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                res = _fit_syntax(syntax, data)
                times.append(time.perf_counter() - t0)
            out[name] = (statistics.median(times), float(res.fit.loc["chi2", "value"]))
    return out


def time_semopy_default(
    cases: dict[str, tuple[str, pd.DataFrame]], repeat: int
) -> dict[str, float]:
    import semopy

    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, (syntax, data) in cases.items():
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                semopy.Model(syntax).fit(data)
                times.append(time.perf_counter() - t0)
            out[name] = statistics.median(times)
    return out


def time_lavaan(data_dir: Path, repeat: int) -> dict[str, tuple[float, float]] | None:
    rscript = shutil.which("Rscript")
    if rscript is None:
        return None
    script = R_TEMPLATE.format(data=str(data_dir.resolve()), pd=PD, hs=HS, ecsi=ECSI, repeat=repeat)
    with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as fh:
        fh.write(script)
        path = fh.name
    run = subprocess.run([rscript, path], capture_output=True, text=True, check=False)
    Path(path).unlink(missing_ok=True)
    if run.returncode != 0:
        print("lavaan run failed:", run.stderr.strip().splitlines()[-1:])
        return None
    out = {}
    for line in run.stdout.strip().splitlines():
        name, seconds, chi2 = line.split()
        out[name] = (float(seconds), float(chi2))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args()
    rd = lambda f: pd.read_csv(args.data / f, index_col=0)  # noqa: E731
    mobi = pd.read_csv(args.data / "mobi.csv")
    cases = {
        "pd": (PD, rd("pd_data.csv")),
        "hs": (HS, rd("holzinger_swineford39_data.csv")[[f"x{i}" for i in range(1, 10)]]),
        "ecsi": (ECSI_PY, mobi),
    }
    ours = time_python(cases, args.repeat)
    semopy_default = time_semopy_default(cases, args.repeat)
    lavaan = time_lavaan(args.data, args.repeat)
    print(
        f"{'model':6} {'csimodels s':>12} {'lavaan s':>10} {'ratio':>7} "
        f"{'semopy SLSQP s':>15} {'chi2 ours':>11} {'chi2 lavaan':>12}"
    )
    for name, (seconds, chi2) in ours.items():
        if lavaan and name in lavaan:
            lav_s, lav_chi2 = lavaan[name]
            ratio = f"{lav_s / seconds:7.2f}"
            lav_txt, lav_chi = f"{lav_s:10.4f}", f"{lav_chi2:12.4f}"
        else:
            ratio, lav_txt, lav_chi = "    n/a", "       n/a", "         n/a"
        print(
            f"{name:6} {seconds:12.4f} {lav_txt} {ratio} {semopy_default[name]:15.4f} "
            f"{chi2:11.4f} {lav_chi}"
        )
    print("ratio = lavaan time / csimodels time (> 1: csimodels faster)")


if __name__ == "__main__":
    main()
