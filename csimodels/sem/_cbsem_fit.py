"""Global fit of a CB-SEM solution on lavaan's scale: χ², baseline, CFI, TLI, RMSEA, SRMR, IC.

semopy reports no SRMR and AIC/BIC on another scale; every index here is computed by
csimodels from the discrepancy ``F`` (lavaan's ``fmin``), the sample and implied
moments, with lavaan 0.6's definitions:

* χ² = 2 n F with n = N for ML/FIML and N − 1 for GLS/ULS/WLS/DWLS (FIML: the
  likelihood-ratio statistic against the saturated model);
* CFI = 1 − max(χ² − df, 0) / max(χ² − df, χ²_b − df_b, 0); TLI = (χ²_b/df_b − χ²/df)
  / (χ²_b/df_b − 1), with the baseline (independence) model fitted by the same
  estimator;
* RMSEA = √(max(χ² − df, 0) / (n df)), its 90% interval by inverting the noncentral χ²
  distribution, and the p-value of close fit (H0: RMSEA ≤ 0.05);
* SRMR (Bentler): the root mean square of (s_ij − σ_ij)/√(s_ii s_jj) over the
  p(p+1)/2 non-duplicated elements (FIML adds the standardised mean residuals);
* log-likelihood, AIC = −2 logL + 2q and BIC = −2 logL + q log N (ML and FIML only).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

FIT_MEASURES = (
    "chi2",
    "df",
    "p_value",
    "baseline_chi2",
    "baseline_df",
    "cfi",
    "tli",
    "rmsea",
    "rmsea_ci_lower",
    "rmsea_ci_upper",
    "rmsea_p_value",
    "srmr",
    "loglik",
    "aic",
    "bic",
    "n",
    "n_parameters",
    "fmin",
)


def baseline_fmin(
    estimator: str,
    s: FloatArray,
    wmat: FloatArray | None,
    vech: tuple[NDArray[np.intp], NDArray[np.intp]],
) -> float:
    """``F`` of the independence model (free variances, zero covariances)."""
    p = s.shape[0]
    if estimator == "ML":
        return 0.5 * float(np.sum(np.log(np.diag(s))) - np.linalg.slogdet(s)[1])
    if estimator == "GLS":
        a = np.linalg.inv(s)
        d = np.linalg.solve(a * a, np.diag(a))
        r = (s - np.diag(d)) @ a
        return 0.25 * float(np.sum(r * r.T))
    diff_full = s.copy()
    if estimator == "ULS":
        np.fill_diagonal(diff_full, 0.0)
        return 0.5 * float(np.sum(diff_full[vech] ** 2))
    assert wmat is not None
    sv = s[vech]
    e = (vech[0] == vech[1]).astype(float)
    cols = np.flatnonzero(e)
    design = np.zeros((sv.size, p))
    design[cols, np.arange(p)] = 1.0
    dv = np.linalg.solve(design.T @ wmat @ design, design.T @ wmat @ sv)
    diff = sv - design @ dv
    return 0.5 * float(diff @ wmat @ diff)


def rmsea_interval(chi2: float, df: int, n: float, level: float = 0.90) -> tuple[float, float]:
    """lavaan's RMSEA confidence interval (noncentrality inversion)."""
    from scipy import optimize, stats

    if df <= 0 or not math.isfinite(chi2):
        return float("nan"), float("nan")
    upper_q = 1 - (1 - level) / 2
    lower_q = (1 - level) / 2

    def ncp_for(q: float) -> float:
        if stats.chi2.cdf(chi2, df) < q:
            return 0.0
        hi = max(chi2, 1.0)
        while stats.ncx2.cdf(chi2, df, hi) > q:
            hi *= 2.0
        return float(optimize.brentq(lambda lam: stats.ncx2.cdf(chi2, df, lam) - q, 0.0, hi))

    lo = ncp_for(upper_q)
    hi = ncp_for(lower_q)
    return math.sqrt(lo / (n * df)), math.sqrt(hi / (n * df))


def srmr(
    s: FloatArray,
    sigma: FloatArray,
    mean: FloatArray | None = None,
    mu: FloatArray | None = None,
) -> tuple[float, FloatArray]:
    """Bentler's SRMR and the matrix of standardised residuals."""
    sd = np.sqrt(np.diag(s))
    resid = (s - sigma) / np.outer(sd, sd)
    low = np.tril_indices_from(resid)
    values = resid[low]
    if mean is not None and mu is not None:
        values = np.concatenate([values, (mean - mu) / sd])
    return float(np.sqrt(np.mean(values**2))), resid


def fit_measures(
    *,
    chi2: float,
    df: int,
    baseline_chi2: float,
    baseline_df: int,
    n_eff: float,
    estimator: str,
    srmr_value: float,
    loglik: float,
    n: int,
    q: int,
    fmin: float,
) -> dict[str, float]:
    """The fit table as a dict keyed by :data:`FIT_MEASURES`."""
    from scipy import stats

    p_value = float(stats.chi2.sf(chi2, df)) if df > 0 and estimator != "ULS" else float("nan")
    if df == 0:
        p_value = float("nan")
    num = max(chi2 - df, 0.0)
    den = max(chi2 - df, baseline_chi2 - baseline_df, 0.0)
    cfi = 1.0 - num / den if den > 0 else 1.0
    if df > 0 and baseline_df > 0:
        tli = (baseline_chi2 / baseline_df - chi2 / df) / (baseline_chi2 / baseline_df - 1.0)
        rmsea = math.sqrt(num / (n_eff * df))
        lo, hi = rmsea_interval(chi2, df, n_eff)
        close = float(stats.ncx2.sf(chi2, df, n_eff * df * 0.05**2))
    else:
        tli = rmsea = lo = hi = close = float("nan")
    has_ll = estimator in ("ML", "FIML")
    return {
        "chi2": chi2,
        "df": float(df),
        "p_value": p_value,
        "baseline_chi2": baseline_chi2,
        "baseline_df": float(baseline_df),
        "cfi": cfi,
        "tli": tli,
        "rmsea": rmsea,
        "rmsea_ci_lower": lo,
        "rmsea_ci_upper": hi,
        "rmsea_p_value": close,
        "srmr": srmr_value,
        "loglik": loglik if has_ll else float("nan"),
        "aic": -2 * loglik + 2 * q if has_ll else float("nan"),
        "bic": -2 * loglik + q * math.log(n) if has_ll else float("nan"),
        "n": float(n),
        "n_parameters": float(q),
        "fmin": fmin,
    }
