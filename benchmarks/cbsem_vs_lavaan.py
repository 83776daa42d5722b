# ruff: noqa: E402  (BLAS thread variables must be set before numpy is imported)
"""Benchmark: CB-SEM fits by csimodels (own model algebra and solver) against lavaan.

The same three ML fits as the parity tests — political democracy (with residual
covariances), the three-factor Holzinger–Swineford CFA and ECSI on mobi — timed in one
run: csimodels in this process, lavaan 0.6 through ``Rscript`` (time measured inside
R around ``sem()``, so R's start-up is not counted). Each fit is repeated
``--repeat`` times and the median reported, with χ² from both to show they are the
same fits. Also times semopy's own default fit (SLSQP) for reference. Prints the
ratios; nothing is asserted. Without Rscript/lavaan only the Python side is timed.

BLAS threads are limited to one (see below): with a multithreaded BLAS on a busy
2-core machine the ECSI fit took 1.3 s instead of 0.13 s.

Second part (issue 15): MLR fits of PD and HS (time, and the Yuan–Bentler χ² from
both), and the bootstrap: ``--boot`` draws (default 1,000) on PD, one core each,
csimodels' batched bootstrap against lavaan's ``se = "bootstrap"``; prints the time
ratio and the ratios of the bootstrap standard errors (ours / lavaan's: both are Monte
Carlo estimates of the same quantity, so they agree within a few percent).

Third part: MLR with FIML (``estimator="MLR", missing="fiml"``; lavaan's ``missing =
"ml"``) on the incomplete PD and HS data of the constraint fixtures
(``tests/fixtures/lavaan/constraints/*_missing.csv``), and two fits with inequality
constraints (PD with a binding ``a > 1.5``, HS with a binding ``ab := a*b; ab > 0.6``),
timed against lavaan with χ² (scaled for MLR) from both. lavaan's time is ``sem()``
alone; csimodels' fit also computes the robust CFI/RMSEA, standardised SEs and
modification indices.

Fourth part: ordinal items. The HS CFA with x1-x3 ordinal and x4-x9 continuous
(tests/fixtures/lavaan/mixed/hs_mixed_data.csv) by WLSMV (polyserial correlations,
the joint Γ, the fit: time and the scaled χ² from both), and ``--ord-boot`` bootstrap
draws (default 500) of its DWLS fit, each draw recomputing the two-step statistics,
against lavaan's ``se = "bootstrap"``.

Run: ``python benchmarks/cbsem_vs_lavaan.py [--repeat 5] [--boot 1000] [--ord-boot 500]
[--data ../shared/data]``
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

import numpy as np
import pandas as pd

import csimodels as csi
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


R_ROBUST = """
suppressPackageStartupMessages(library(lavaan))
rd <- function(f) {{ d <- read.csv(file.path("{data}", f), check.names = FALSE);
  if (names(d)[1] == "") d <- d[, -1]; d }}
pd <- rd("pd_data.csv"); hs <- rd("holzinger_swineford39_data.csv")
for (case in list(list("pd", "{pd}", pd), list("hs", "{hs}", hs))) {{
  fit <- sem(case[[2]], data = case[[3]], estimator = "MLR")
  times <- numeric({repeat})
  for (r in seq_len({repeat})) {{
    t0 <- proc.time()[["elapsed"]]
    fit <- sem(case[[2]], data = case[[3]], estimator = "MLR")
    times[r] <- proc.time()[["elapsed"]] - t0
  }}
  cat("mlr", case[[1]], median(times), fitMeasures(fit, "chisq.scaled"), "\\n")
}}
if ({boot} > 0) {{
  set.seed(1)
  t0 <- proc.time()[["elapsed"]]
  fit <- sem("{pd}", data = pd, se = "bootstrap", bootstrap = {boot})
  el <- proc.time()[["elapsed"]] - t0
  pe <- parameterEstimates(fit)
  pe <- pe[pe$se > 0, ]
  cat("boot", el, "\\n")
  for (i in seq_len(nrow(pe))) cat("se", pe$lhs[i], pe$op[i], pe$rhs[i], pe$se[i], "\\n")
}}
"""


def run_r(rscript: str, script: str) -> list[str]:
    """Run an R script through ``Rscript``; its standard output, line by line."""
    with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as fh:
        fh.write(script)
        path = fh.name
    run = subprocess.run([rscript, path], capture_output=True, text=True, check=False)
    Path(path).unlink(missing_ok=True)
    return run.stdout.strip().splitlines()


def robust_and_bootstrap(args: argparse.Namespace, pd_data: pd.DataFrame, hs: pd.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours: dict[str, tuple[float, float]] = {}
        for name, syntax, data in (("pd", PD, pd_data), ("hs", HS, hs)):
            model = csi.CBSEM(syntax)
            model.fit(data, estimator="MLR")
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                res = model.fit(data, estimator="MLR")
                times.append(time.perf_counter() - t0)
            ours[name] = (statistics.median(times), float(res.fit.loc["chi2_scaled", "value"]))
        boot_res = None
        boot_s = float("nan")
        if args.boot > 0:
            t0 = time.perf_counter()
            boot_res = csi.CBSEM(PD).fit(
                pd_data, inference=csi.inference.Bootstrap(n=args.boot, random_state=1)
            )
            boot_s = time.perf_counter() - t0
    lavaan: dict[str, tuple[float, float]] = {}
    lav_boot_s = float("nan")
    lav_se: dict[tuple[str, str, str], float] = {}
    rscript = shutil.which("Rscript")
    if rscript is not None:
        script = R_ROBUST.format(
            data=str(args.data.resolve()), pd=PD, hs=HS, repeat=args.repeat, boot=args.boot
        )
        for line in run_r(rscript, script):
            parts = line.split()
            if parts[0] == "mlr":
                lavaan[parts[1]] = (float(parts[2]), float(parts[3]))
            elif parts[0] == "boot":
                lav_boot_s = float(parts[1])
            elif parts[0] == "se":
                lav_se[(parts[1], parts[2], parts[3])] = float(parts[4])
    print()
    print(
        f"{'MLR':6} {'csimodels s':>12} {'lavaan s':>10} {'ratio':>7} "
        f"{'chi2.scaled ours':>17} {'lavaan':>10}"
    )
    for name, (seconds, chi2) in ours.items():
        lav_s, lav_chi2 = lavaan.get(name, (float("nan"), float("nan")))
        print(
            f"{name:6} {seconds:12.4f} {lav_s:10.4f} {lav_s / seconds:7.2f} "
            f"{chi2:17.4f} {lav_chi2:10.4f}"
        )
    if boot_res is not None:
        print()
        print(
            f"bootstrap, PD, {args.boot} draws, one core: csimodels {boot_s:.2f} s "
            f"({boot_res.settings['n_failed']} failed), lavaan {lav_boot_s:.2f} s, "
            f"ratio {lav_boot_s / boot_s:.1f}"
        )
        if lav_se:
            p = boot_res.parameters
            ratios = []
            for (lhs, op, rhs), se in lav_se.items():
                row = p[(p["lhs"] == lhs) & (p["op"] == op) & (p["rhs"] == rhs)]
                if len(row) == 0:
                    row = p[(p["lhs"] == rhs) & (p["op"] == op) & (p["rhs"] == lhs)]
                ratios.append(float(row["std_error"].iloc[0]) / se)
            r = np.asarray(ratios)
            print(
                f"bootstrap SE ratio ours/lavaan over {r.size} parameters: median "
                f"{np.median(r):.3f}, min {r.min():.3f}, max {r.max():.3f} (Monte Carlo "
                f"error of an SE from {args.boot} draws ≈ {1 / np.sqrt(2 * args.boot):.3f})"
            )


CONSTRAINED = {
    "pd_ineq": (
        PD.replace("y1 + y2", "y1 + a*y2")
        .replace("dem60 ~ ind60", "dem60 ~ p1*ind60")
        .replace("dem65 ~ ind60 + dem60", "dem65 ~ p2*ind60 + p3*dem60")
        + "\nindirect := p1*p3\na > 1.5\nindirect > 0\np2 > 0\na + p2 > 1"
    ),
    "hs_ineq": HS.replace("x1 + x2 + x3", "x1 + a*x2 + b*x3") + "\nab := a*b\nab > 0.6\nb < 2",
}

R_FIML = """
suppressPackageStartupMessages(library(lavaan))
rd <- function(f) {{ d <- read.csv(file.path("{data}", f), check.names = FALSE);
  if (names(d)[1] == "") d <- d[, -1]; d }}
fx <- function(f) read.csv(file.path("{fixtures}", f))
cases <- list(
  list("mlr_fiml", "pd", "{pd}", fx("pd_missing.csv"), "MLR", "ml"),
  list("mlr_fiml", "hs", "{hs}", fx("hs_missing.csv"), "MLR", "ml"),
  list("ineq", "pd_ineq", "{pd_ineq}", rd("pd_data.csv"), "ML", "listwise"),
  list("ineq", "hs_ineq", "{hs_ineq}", rd("holzinger_swineford39_data.csv"), "ML", "listwise")
)
for (cs in cases) {{
  run <- function() sem(cs[[3]], data = cs[[4]], estimator = cs[[5]], missing = cs[[6]])
  fit <- suppressWarnings(run())
  times <- numeric({repeat})
  for (r in seq_len({repeat})) {{
    t0 <- proc.time()[["elapsed"]]
    fit <- suppressWarnings(run())
    times[r] <- proc.time()[["elapsed"]] - t0
  }}
  stat <- if (cs[[5]] == "MLR") "chisq.scaled" else "chisq"
  cat(cs[[1]], cs[[2]], median(times), fitMeasures(fit, stat), "\n")
}}
"""


def fiml_and_constraints(args: argparse.Namespace, pd_data: pd.DataFrame, hs: pd.DataFrame) -> None:
    fixtures = ROOT / "tests" / "fixtures" / "lavaan" / "constraints"
    runs = [
        ("mlr_fiml", "pd", PD, pd.read_csv(fixtures / "pd_missing.csv"), "MLR", "fiml"),
        ("mlr_fiml", "hs", HS, pd.read_csv(fixtures / "hs_missing.csv"), "MLR", "fiml"),
        ("ineq", "pd_ineq", CONSTRAINED["pd_ineq"], pd_data, "ML", "listwise"),
        ("ineq", "hs_ineq", CONSTRAINED["hs_ineq"], hs, "ML", "listwise"),
    ]
    ours: dict[str, tuple[float, float]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _, name, syntax, data, estimator, missing in runs:
            model = csi.CBSEM(syntax)
            model.fit(data, estimator=estimator, missing=missing)
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                res = model.fit(data, estimator=estimator, missing=missing)
                times.append(time.perf_counter() - t0)
            stat = "chi2_scaled" if estimator == "MLR" else "chi2"
            ours[name] = (statistics.median(times), float(res.fit.loc[stat, "value"]))
    lavaan: dict[str, tuple[float, float]] = {}
    rscript = shutil.which("Rscript")
    if rscript is not None:
        script = R_FIML.format(
            data=str(args.data.resolve()),
            fixtures=str(fixtures),
            pd=PD,
            hs=HS,
            pd_ineq=CONSTRAINED["pd_ineq"],
            hs_ineq=CONSTRAINED["hs_ineq"],
            repeat=args.repeat,
        )
        for line in run_r(rscript, script):
            parts = line.split()
            if len(parts) == 4 and parts[0] in ("mlr_fiml", "ineq"):
                lavaan[parts[1]] = (float(parts[2]), float(parts[3]))
    print()
    print(
        f"{'MLR+FIML / inequality':22} {'csimodels s':>12} {'lavaan s':>10} {'ratio':>7} "
        f"{'chi2 ours':>11} {'lavaan':>10}"
    )
    for kind, name, *_ in runs:
        seconds, chi2 = ours[name]
        lav_s, lav_chi2 = lavaan.get(name, (float("nan"), float("nan")))
        label = f"{name} ({'MLR+FIML' if kind == 'mlr_fiml' else 'ML, < >'})"
        print(
            f"{label:22} {seconds:12.4f} {lav_s:10.4f} {lav_s / seconds:7.2f} "
            f"{chi2:11.4f} {lav_chi2:10.4f}"
        )


R_ORDINAL = r"""
suppressPackageStartupMessages(library(lavaan))
d <- read.csv("{path}")[, paste0("x", 1:9)]
m <- "{hs}"
ord <- c("x1", "x2", "x3")
fit <- cfa(m, data = d, ordered = ord, estimator = "WLSMV")
times <- numeric({repeat})
for (i in seq_len({repeat})) {{
  t0 <- proc.time()[["elapsed"]]
  fit <- cfa(m, data = d, ordered = ord, estimator = "WLSMV")
  times[i] <- proc.time()[["elapsed"]] - t0
}}
cat("fit", median(times), fitMeasures(fit, "chisq.scaled"), "\n")
if ({boot} > 0) {{
  set.seed(1)
  t0 <- proc.time()[["elapsed"]]
  b <- cfa(m, data = d, ordered = ord, estimator = "DWLS", se = "bootstrap", bootstrap = {boot})
  cat("boot", proc.time()[["elapsed"]] - t0, "\n")
}}
"""


def ordinal_part(args: argparse.Namespace) -> None:
    path = ROOT / "tests" / "fixtures" / "lavaan" / "mixed" / "hs_mixed_data.csv"
    data = pd.read_csv(path)[[f"x{i}" for i in range(1, 10)]]
    ordered = ["x1", "x2", "x3"]
    model = csi.CBSEM(HS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(data, estimator="WLSMV", ordered=ordered)
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            res = model.fit(data, estimator="WLSMV", ordered=ordered)
            times.append(time.perf_counter() - t0)
        boot_s = float("nan")
        if args.ord_boot > 0:
            t0 = time.perf_counter()
            model.fit(
                data,
                estimator="DWLS",
                ordered=ordered,
                inference=csi.inference.Bootstrap(n=args.ord_boot, random_state=1),
            )
            boot_s = time.perf_counter() - t0
    ours = (statistics.median(times), float(res.fit_measures.loc["chisq.scaled", "value"]))
    lav_fit = (float("nan"), float("nan"))
    lav_boot = float("nan")
    rscript = shutil.which("Rscript")
    if rscript is not None:
        script = R_ORDINAL.format(
            path=str(path), hs=HS.replace("\n", "\\n"), repeat=args.repeat, boot=args.ord_boot
        )
        with tempfile.NamedTemporaryFile("w", suffix=".R", delete=False) as fh:
            fh.write(script)
            rpath = fh.name
        run = subprocess.run([rscript, rpath], capture_output=True, text=True, check=False)
        Path(rpath).unlink(missing_ok=True)
        for line in run.stdout.strip().splitlines():
            parts = line.split()
            if parts and parts[0] == "fit":
                lav_fit = (float(parts[1]), float(parts[2]))
            elif parts and parts[0] == "boot":
                lav_boot = float(parts[1])
    print()
    print(
        f"mixed ordinal WLSMV (HS, x1-x3 ordinal): csimodels {ours[0]:.4f} s, lavaan "
        f"{lav_fit[0]:.4f} s, ratio {lav_fit[0] / ours[0]:.2f}; chisq.scaled {ours[1]:.4f} "
        f"vs {lav_fit[1]:.4f}"
    )
    if args.ord_boot > 0:
        print(
            f"ordinal bootstrap, {args.ord_boot} draws, one core: csimodels {boot_s:.2f} s, "
            f"lavaan {lav_boot:.2f} s, ratio {lav_boot / boot_s:.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--boot", type=int, default=1000)
    parser.add_argument("--ord-boot", type=int, default=500)
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
    robust_and_bootstrap(args, cases["pd"][1], cases["hs"][1])
    fiml_and_constraints(args, cases["pd"][1], cases["hs"][1])
    ordinal_part(args)


if __name__ == "__main__":
    main()
