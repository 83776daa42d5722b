"""EFA of a large battery: csimodels against R psych in one run.

    python benchmarks/explore_efa.py [n_respondents] [n_items]

Times, on simulated data with 10 factors (default 100,000 respondents x 200 items):
the data gate plus a minres/oblimin EFA with 10 factors; parallel analysis with 1,000
draws; and R psych's ``fa(x, 10, fm = "minres", rotate = "oblimin")`` on data of the same
size simulated in R (psych's ``fa.parallel`` is timed with 20 draws and scaled to 1,000,
since it simulates and factors full data sets). Prints times and ratios; asserts
nothing.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import csimodels as csi

R_SCRIPT = r"""
suppressMessages(library(psych))
args <- commandArgs(trailingOnly = TRUE)
n <- as.integer(args[1]); p <- as.integer(args[2]); k <- 10
set.seed(1)
f <- matrix(rnorm(n * k), n, k)
lam <- matrix(0, p, k)
for (j in 1:p) lam[j, (j - 1) %% k + 1] <- 0.6
x <- f %*% t(lam) + 0.8 * matrix(rnorm(n * p), n, p)
t0 <- proc.time()[["elapsed"]]
fit <- fa(x, k, fm = "minres", rotate = "oblimin", warnings = FALSE)
t1 <- proc.time()[["elapsed"]]
pa <- fa.parallel(x[1:min(n, 20000), ], n.iter = 20, plot = FALSE, fa = "pc")
t2 <- proc.time()[["elapsed"]]
cat(sprintf("%.4f %.4f\n", t1 - t0, (t2 - t1) * 50))
"""


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    p = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    k = 10
    rng = np.random.default_rng(0)
    lam = np.zeros((p, k))
    lam[np.arange(p), np.arange(p) % k] = 0.6
    x = rng.standard_normal((n, k)) @ lam.T + 0.8 * rng.standard_normal((n, p))
    df = pd.DataFrame(x, columns=[f"V{j}" for j in range(p)])

    t0 = time.perf_counter()
    res = csi.EFA(n_factors=k, rotation="oblimin", parallel_draws=0).fit(df)
    t_efa = time.perf_counter() - t0
    t0 = time.perf_counter()
    res_pa = csi.EFA(rotation="oblimin", parallel_draws=1000).fit(df, random_state=1)
    t_pa = time.perf_counter() - t0 - t_efa
    print(f"data {n:,} x {p}, {k} factors")
    print(f"csimodels EFA (gate + minres + oblimin): {t_efa:8.2f} s")
    print(
        f"csimodels parallel analysis, 1,000 draws: {t_pa:8.2f} s "
        f"(suggests {res_pa.settings['n_factors']} factors)"
    )
    assert res.loadings.shape == (p, k)

    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "bench.R"
        script.write_text(R_SCRIPT)
        try:
            out = subprocess.run(
                ["Rscript", str(script), str(n), str(p)],
                capture_output=True,
                text=True,
                check=True,
                timeout=3600,
            )
        except (OSError, subprocess.SubprocessError) as err:
            print(f"R psych not run: {err}")
            return
    r_fa, r_pa = (float(v) for v in out.stdout.split()[-2:])
    print(f"psych fa():                              {r_fa:8.2f} s  (ratio {r_fa / t_efa:.1f}x)")
    print(
        f"psych fa.parallel, scaled to 1,000 draws on 20,000 rows: {r_pa:8.2f} s "
        f"(ratio {r_pa / max(t_pa, 1e-9):.1f}x)"
    )


if __name__ == "__main__":
    main()
