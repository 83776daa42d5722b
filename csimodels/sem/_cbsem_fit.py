"""Global fit of a CB-SEM solution on lavaan's scale: χ², baseline, CFI, TLI, RMSEA, SRMR, IC.

Every index here is computed by csimodels from the discrepancy ``F`` (lavaan's
``fmin``), the sample and implied moments, with lavaan 0.6's definitions:

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
from typing import Any

import numpy as np
from numpy.typing import NDArray

from csimodels._lazy import lazy_module

stats = lazy_module("scipy.stats")

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


def group_loglik(frame: Any, sigma: FloatArray, mu: FloatArray) -> float:
    """Normal log-likelihood of one group's complete data (ML moments, divisor N)."""
    n = frame.n_w
    s_ml = frame.s if frame.estimator == "ML" else frame.s * (n - 1) / n
    sign, logdet = np.linalg.slogdet(sigma)
    if sign <= 0:
        return float("nan")
    inv = np.linalg.inv(sigma)
    value = frame.p * math.log(2 * math.pi) + logdet + float(np.sum(s_ml * inv))
    if frame.meanstructure:
        d = frame.mean - mu
        value += float(d @ inv @ d)
    return float(-0.5 * n * value)


def global_fit(est: Any) -> tuple[dict[str, float], list[FloatArray]]:
    """The fit table (:data:`FIT_MEASURES`) of an estimation, and each group's matrix
    of standardised residuals."""
    from csimodels.sem import _cbsem_engine as engine
    from csimodels.sem._cbsem_estimate import dependent_variances
    from csimodels.sem._cbsem_robust import ordinal_baseline_design, projected_fmin

    estimator = est.estimator
    theta = est.theta
    n, n_eff, f = est.n, est.n_eff, est.f
    frames = est.frames
    base_df = sum(fr.p * (fr.p - 1) // 2 for fr in frames)
    resid: list[FloatArray] = []
    srmr_sq = 0.0
    if estimator == "FIML":
        # lavaan (missing = "ml"): per group, the EM h1 and the closed-form baseline;
        # χ² and log-likelihoods are sums over groups, SRMR the n_g/N-weighted mean
        chi2 = base_chi2 = unrestricted = srmr_value = 0.0
        loglik = -n * f
        for frame in frames:
            mu_sat, s_sat, sat_f = _saturated_fiml(frame)
            f_g = f if len(frames) == 1 else frame.evaluate(theta, need=0)[0]
            chi2 += 2 * frame.n * (f_g - sat_f)
            base_chi2 += 2 * frame.n * (_baseline_fiml(frame) - sat_f)
            unrestricted += -frame.n * sat_f
            sigma, mu, _ = frame.sigma(theta)
            value, r = srmr(s_sat, sigma, mu_sat, mu)
            resid.append(r)
            srmr_value += frame.n / n * value
    elif est.ordinal is not None:
        chi2 = 2 * n_eff * f
        base_chi2 = 0.0
        srmr_value = 0.0
        for frame in frames:
            w = frame.n_w / n
            base_f = projected_fmin(frame.moments, frame.wmat, ordinal_baseline_design(frame))
            base_chi2 += 2 * (frame.n_w - 1) * base_f  # lavaan: Σ 2 (n_g − 1) F_g
            sigma, mu, _ = frame.sigma(theta)
            model, _ = frame._ordinal_model(theta, sigma, mu, None, None)
            implied = np.zeros_like(sigma)
            implied[frame.vech] = model[frame.n_thresholds :]
            implied = implied + np.triu(implied, 1).T
            # lavaan (categorical): Bentler's residuals without the mean part and with
            # the diagonal (the continuous items' variances) counted as zero
            value, r = srmr(frame.s, implied)
            m = r.shape[0] * (r.shape[0] + 1) / 2
            srmr_value += w * math.sqrt(max(value**2 - float(np.sum(np.diag(r) ** 2)) / m, 0.0))
            resid.append(r)
        loglik = unrestricted = float("nan")
    else:
        chi2 = 2 * n_eff * f
        base_chi2 = 0.0
        loglik = unrestricted = 0.0
        fixed_x = _fixed_x_positions(est)
        for frame in frames:
            w = frame.n_w / n
            if fixed_x:
                bf = _baseline_fmin_fixed_x(frame.s, fixed_x)
                x_ll = _marginal_loglik(frame, fixed_x)
            else:
                bf = baseline_fmin(
                    frame.estimator, frame.s, getattr(frame, "wmat", None), frame.vech
                )
                x_ll = 0.0
            base_chi2 += 2 * n_eff * w * bf
            sigma, mu, _ = frame.sigma(theta)
            loglik += group_loglik(frame, sigma, mu) - x_ll
            unrestricted += group_loglik(frame, frame.s_ml(), frame.mean) - x_ll
            value, r = srmr(
                frame.s,
                sigma,
                frame.mean if frame.meanstructure else None,
                mu if frame.meanstructure else None,
            )
            srmr_sq += w * value**2 if len(frames) > 1 else value**2
            resid.append(r)
        srmr_value = math.sqrt(srmr_sq) if len(frames) == 1 else _multigroup_srmr(est, resid)
    n_dep = 0
    if est.ordinal is not None:
        dep = dependent_variances(est.table, frames[0])
        n_dep = len(
            {
                r.free
                for r in est.table.rows
                if r.free and r.op == "~~" and r.lhs == r.rhs and r.lhs in dep
            }
        )
    n_x = len(_fixed_x_positions(est))
    if n_x:
        # lavaan (fixed.x): the covariates' (co)variances and means are not parameters
        per_group = n_x * (n_x + 1) // 2 + (n_x if frames[0].meanstructure else 0)
        n_dep += per_group * len(frames)
        base_df -= len(frames) * n_x * (n_x - 1) // 2
    measures = fit_measures(
        chi2=float(chi2),
        df=est.df,
        baseline_chi2=float(base_chi2),
        baseline_df=base_df,
        n_eff=n_eff,
        estimator={"MLR": "ML", "ULSMV": "ULS"}.get(estimator, estimator),
        srmr_value=float(srmr_value),
        loglik=float(loglik),
        n=n,
        q=est.q - n_dep,
        fmin=float(f * (n_eff / n) if estimator not in ("ML", "MLR", "FIML") else f),
    )
    if estimator == "FIML":
        measures["fmin"] = float(chi2 / (2 * n))
    if len(frames) > 1:
        # lavaan: RMSEA of a multigroup model is multiplied by sqrt(G)
        g = len(frames)
        for key in ("rmsea", "rmsea_ci_lower", "rmsea_ci_upper"):
            measures[key] *= math.sqrt(g)
        close = (
            float(stats.ncx2.sf(chi2, est.df, n_eff * est.df * 0.05**2 / g))
            if est.df > 0
            else float("nan")
        )
        measures["rmsea_p_value"] = close
    measures["unrestricted_loglik"] = float(unrestricted)
    del engine
    return measures, resid


def _fixed_x_positions(est: Any) -> list[int]:
    """Positions of lavaan's ``ov.x`` (exogenous observed covariates) for ML/MLR fits of
    complete data, whose moments lavaan takes as given (``fixed.x = TRUE``)."""
    if est.estimator not in ("ML", "MLR") or est.ordinal is not None:
        return []
    ov_x = list(getattr(est.table, "ov_x", []))
    observed = list(est.frames[0].observed)
    return [observed.index(v) for v in ov_x if v in observed]


def _baseline_fmin_fixed_x(s: FloatArray, xpos: list[int]) -> float:
    """ML ``F`` of lavaan's baseline with fixed covariates: free variances, the
    covariates' covariance block as observed, all other covariances zero."""
    p = s.shape[0]
    rest = [j for j in range(p) if j not in xpos]
    logdet_b = float(np.sum(np.log(np.diag(s)[rest]))) + float(
        np.linalg.slogdet(s[np.ix_(xpos, xpos)])[1]
    )
    return 0.5 * (logdet_b - float(np.linalg.slogdet(s)[1]))


def _marginal_loglik(frame: Any, xpos: list[int]) -> float:
    """Saturated normal log-likelihood of the covariates alone (lavaan's logl with
    fixed.x is conditional on them: the joint minus this)."""
    n = frame.n_w
    sxx = frame.s_ml()[np.ix_(xpos, xpos)]
    k = len(xpos)
    return float(-0.5 * n * (k * math.log(2 * math.pi) + np.linalg.slogdet(sxx)[1] + k))


def _multigroup_srmr(est: Any, resid: list[FloatArray]) -> float:
    """lavaan's SRMR of several groups: the n_g/N-weighted mean of the group SRMRs."""
    total = 0.0
    for frame, r in zip(est.frames, resid, strict=True):
        low = np.tril_indices_from(r)
        values = r[low]
        if frame.meanstructure:
            _, mu, _ = frame.sigma(est.theta)
            values = np.concatenate([values, (frame.mean - mu) / np.sqrt(np.diag(frame.s))])
        total += frame.n_w / est.n * float(np.sqrt(np.mean(values**2)))
    return total


def _saturated_fiml(frame: Any) -> tuple[FloatArray, FloatArray, float]:
    """FIML fit of the unrestricted model (free means and covariances), as lavaan's h1."""
    from csimodels.sem._cbsem_engine import saturated_em

    cached = getattr(frame, "_saturated", None)
    if cached is None:
        cached = saturated_em(frame.x, weights=frame.weights_raw)
        frame._saturated = cached  # the robust (MLR) test reuses it
    mu, sigma, f = cached
    return mu, sigma, f


def _baseline_fiml(frame: Any) -> float:
    """Independence model by FIML: each variable's own mean and variance (closed form;
    weighted with sampling weights)."""
    n = frame.n
    total = 0.0
    for j, (size, _, var) in enumerate(independence_moments(frame)):
        del j
        total += size * (math.log(2 * math.pi) + math.log(var) + 1.0)
    return float(0.5 * total / n)


def independence_moments(frame: Any) -> list[tuple[float, float, float]]:
    """Per variable: (sum of weights of the observed values, their mean, their variance
    with divisor the sum) — the FIML estimates of the independence model."""
    w = frame.weights_raw
    scaled = np.ones(frame.n) if w is None else w * (frame.n / float(np.sum(w)))
    out = []
    for j in range(frame.p):
        col = frame.x[:, j]
        ok = ~np.isnan(col)
        wj = scaled[ok]
        size = float(wj.sum())
        mean = float(wj @ col[ok]) / size
        var = float(wj @ (col[ok] - mean) ** 2) / size
        out.append((size, mean, var))
    return out


#: lavaan's ``fitMeasures()`` name of each row of the fit table.
LAVAAN_NAMES: dict[str, str] = {
    "chi2": "chisq",
    "df": "df",
    "p_value": "pvalue",
    "baseline_chi2": "baseline.chisq",
    "baseline_df": "baseline.df",
    "cfi": "cfi",
    "tli": "tli",
    "rmsea": "rmsea",
    "rmsea_ci_lower": "rmsea.ci.lower",
    "rmsea_ci_upper": "rmsea.ci.upper",
    "rmsea_p_value": "rmsea.pvalue",
    "srmr": "srmr",
    "loglik": "logl",
    "unrestricted_loglik": "unrestricted.logl",
    "aic": "aic",
    "bic": "bic",
    "n": "ntotal",
    "n_parameters": "npar",
    "fmin": "fmin",
    "chi2_scaled": "chisq.scaled",
    "df_scaled": "df.scaled",
    "p_value_scaled": "pvalue.scaled",
    "scaling_factor": "chisq.scaling.factor",
    "shift": "chisq.shift.parameters",
    "baseline_chi2_scaled": "baseline.chisq.scaled",
    "baseline_scaling_factor": "baseline.chisq.scaling.factor",
    "cfi_scaled": "cfi.scaled",
    "tli_scaled": "tli.scaled",
    "rmsea_scaled": "rmsea.scaled",
    "cfi_robust": "cfi.robust",
    "tli_robust": "tli.robust",
    "rmsea_robust": "rmsea.robust",
    "rmsea_ci_lower_robust": "rmsea.ci.lower.robust",
    "rmsea_ci_upper_robust": "rmsea.ci.upper.robust",
}
