"""Covariance-based SEM (CB-SEM) of any path model through semopy, matched to lavaan.

``model.fit(data, method="cbsem")`` estimates the same :class:`ModelSpec` (presets
included) as a covariance-structure model: every construct a reflective latent
variable, every path a regression between latent variables. The model is translated
to semopy's syntax (kept in :attr:`CBSEMResult.syntax`); semopy builds the model
matrices and their derivatives; csimodels chooses the sample moments, minimises
lavaan's discrepancy functions by Fisher scoring with its own convergence check, and
computes standard errors and every fit index itself, so the numbers match lavaan 0.6
(``sem()`` defaults) — see ``docs/cbsem.md`` and ``tests/fixtures/lavaan``.

Examples
--------
>>> import csimodels as csi
>>> data = csi.datasets.load_example("acsi_demo")
>>> res = csi.ACSI(indicators=data.constructs).fit(data, method="cbsem")
>>> float(res.fit.loc["cfi", "value"]) > 0.9
True
"""

from __future__ import annotations

import math
import warnings
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import Field
from scipy import stats

from csimodels.data.survey import SurveyData
from csimodels.errors import (
    ConvergenceWarning,
    DataQualityWarning,
    DataValidationError,
    InvalidParameterError,
    SpecificationError,
    format_offenders,
)
from csimodels.results import SEGMENT_PLOTS, Frame, MissingDataReport, Result
from csimodels.sem import _cbsem_engine as engine
from csimodels.sem import _cbsem_fit as fitm
from csimodels.sem import _cbsem_ordinal as ordm
from csimodels.sem._cbsem_syntax import spec_to_semopy
from csimodels.sem.index import index_weights, respondent_indices
from csimodels.sem.spec import ModelSpec

if TYPE_CHECKING:
    from csimodels.sem.model import PathModelBase
    from csimodels.sem.pls import PLSResult

__all__ = [
    "CBSEM_ESTIMATORS",
    "ORDINAL_ESTIMATORS",
    "ORDINAL_FIT_MEASURES",
    "CBSEMResult",
    "compare_pls_cbsem",
    "demo_section",
    "fit_cbsem",
]

FloatArray = NDArray[np.float64]
Conditions = list[tuple[str, type[Warning]]]

CBSEM_ESTIMATORS: dict[str, str] = {
    "ML": "maximum likelihood on the covariance matrix (divisor N), listwise deletion",
    "GLS": "generalised least squares, weight S⁻¹ (divisor N − 1), listwise deletion",
    "ULS": "unweighted least squares (divisor N − 1), listwise deletion",
    "WLS": "weighted least squares with the full asymptotic (ADF) weight matrix "
    "(ordinal=True: the inverse asymptotic covariance of thresholds and polychorics)",
    "DWLS": "diagonally weighted least squares (diagonal of the ADF weight matrix; "
    "ordinal=True: of the polychorics' asymptotic covariance), standard errors from the "
    "expected information",
    "WLSMV": "ordinal=True only: DWLS estimates with robust (sandwich) standard errors "
    "and the scaled-and-shifted chi-square (lavaan's default for ordinal items)",
    "FIML": "full-information maximum likelihood on incomplete data (saturated means)",
}
"""Estimators of :func:`fit_cbsem` and what each does."""

#: Estimators that take ordinal items (``ordinal=True``).
ORDINAL_ESTIMATORS = ("DWLS", "ULS", "WLS", "WLSMV")
#: Extra rows of the fit table of an ordinal fit (NaN unless the test is robust).
ORDINAL_FIT_MEASURES = (
    "chi2_scaled",
    "p_value_scaled",
    "scaling_factor",
    "shift",
    "baseline_chi2_scaled",
    "cfi_scaled",
    "tli_scaled",
    "rmsea_scaled",
)

#: Threshold on the smallest eigenvalue of the estimates' correlation matrix below
#: which the likelihood is reported as nearly flat (empirically under-identified).
FLAT_EIGENVALUE = 1e-3
#: Latent correlations beyond this are reported as near-collinear constructs.
LATENT_CORRELATION_LIMIT = 0.95


class CBSEMResult(Result):
    """A covariance-based structural equation model fitted to survey data.

    Attributes
    ----------
    spec : ModelSpec or None
        The model estimated (None when fitted from syntax directly).
    syntax : str
        The model exactly as semopy received it (see :attr:`aliases`).
    aliases : dict of str to str
        semopy-safe alias → your construct or item name (names with spaces or
        non-ASCII characters are aliased for semopy only; every table uses yours).
    construct_labels : dict of str to str
    estimates : DataFrame, index (lhs, op, rhs)
        Every parameter in lavaan's notation (``=~`` loading, ``~`` regression,
        ``~~`` (co)variance): ``free`` (False for fixed values such as marker
        loadings), ``estimate`` (unstandardised), ``std_error``, ``z``
        (estimate / std_error), ``p_value`` (two-sided, normal), ``std_estimate``
        (completely standardised, lavaan's ``std.all``). SE, z and p are NaN for fixed
        parameters.
    paths : DataFrame, index (from, to)
        The structural paths, same columns as :attr:`estimates`.
    loadings : DataFrame, index (construct, indicator)
        Same columns plus ``index_weight`` (see :attr:`indices`).
    r2 : DataFrame, index variable
        ``r2`` (share of variance explained) and ``kind`` ("construct" or
        "indicator") for endogenous constructs and every indicator.
    fit : DataFrame, index measure, column ``value``
        ``chi2``, ``df``, ``p_value``, ``baseline_chi2``, ``baseline_df``, ``cfi``,
        ``tli``, ``rmsea``, ``rmsea_ci_lower``, ``rmsea_ci_upper`` (90% interval),
        ``rmsea_p_value`` (H0: RMSEA ≤ 0.05), ``srmr``, ``loglik``, ``aic``, ``bic``
        (NaN for the least-squares estimators), ``n``, ``n_parameters``, ``fmin``
        (lavaan's minimum discrepancy).
    latent_covariances : DataFrame, constructs x constructs
        Model-implied covariances of the latent variables.
    latent_correlations : DataFrame, constructs x constructs
    implied_covariance : DataFrame, items x items
        Σ(θ̂), the model-implied covariance matrix of the indicators.
    residuals : DataFrame, items x items
        Standardised residuals (s_ij − σ_ij)/√(s_ii s_jj) that SRMR summarises.
    scores : DataFrame, respondents x constructs
        Factor scores by the regression (Thurstone) method, ΦΛ'Σ⁻¹(x − x̄), as
        lavaan's ``lavPredict()``; empty for FIML and syntax fits.
    indices : DataFrame, index construct
        ``index`` (0–100, ACSI formula of :mod:`csimodels.sem.index`) and ``label``.
        The weights are each construct's own-indicator factor-score weights (the
        block of ΦΛ'Σ⁻¹ belonging to its indicators) on the original answers,
        normalised to sum to one (``loadings["index_weight"]``). Empty when the
        answer scales are unknown.
    respondent_indices : DataFrame, respondents x constructs
    iterations : int
    converged : bool
        Whether the largest absolute gradient of the discrepancy fell below ``gtol``.
    max_gradient : float
    missing : MissingDataReport
    thresholds : DataFrame, index (item, threshold)
        Ordinal fits only (else empty): ``sample`` (step-one threshold, Φ⁻¹ of the
        cumulative proportion), ``estimate`` (model threshold; equal to ``sample`` for
        DWLS and ULS), ``std_error``. The same estimates are in :attr:`estimates` as
        ``(item, "|", "t1")``... rows, lavaan's notation.
    polychoric : DataFrame, items x items
        Ordinal fits only (else empty): the polychoric correlation matrix the model
        was fitted to (the "sample" moments; :attr:`implied_covariance` is the
        model-implied correlation matrix of the latent responses).

    Notes
    -----
    With ordinal items (``ordinal=True``) each item is the discretised version of a
    standard-normal latent response (lavaan's delta parameterisation): the model is
    fitted to the polychoric correlations and thresholds, the residual variance of an
    item is ``1 − R²`` (reported as fixed, without a standard error, as lavaan does),
    ``scores`` are not computed (NaN), and the fit table gains
    :data:`ORDINAL_FIT_MEASURES` (the scaled-and-shifted test for ``"WLSMV"``).

    Examples
    --------
    >>> import csimodels as csi
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> res = csi.ACSI(indicators=data.constructs).fit(data, method="cbsem")
    >>> list(res.paths.columns)
    ['free', 'estimate', 'std_error', 'z', 'p_value', 'std_estimate']
    """

    spec: ModelSpec | None
    syntax: str
    aliases: dict[str, str]
    construct_labels: dict[str, str]
    estimates: Frame
    paths: Frame
    loadings: Frame
    r2: Frame
    fit: Frame
    latent_covariances: Frame
    latent_correlations: Frame
    implied_covariance: Frame
    residuals: Frame
    scores: Frame
    indices: Frame
    respondent_indices: Frame
    iterations: int
    converged: bool
    max_gradient: float
    missing: MissingDataReport
    thresholds: Frame = Field(default_factory=pd.DataFrame)
    polychoric: Frame = Field(default_factory=pd.DataFrame)

    _title: ClassVar[str] = "Covariance-based SEM"

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        s = self.settings
        f = self.fit["value"]
        header: list[tuple[str, object]] = [
            ("Model", s.get("model")),
            (
                "Method",
                f"CB-SEM through semopy, estimator {s.get('estimator')}"
                + (" on polychoric correlations (ordinal items)" if s.get("ordinal") else ""),
            ),
            ("Respondents used", self.missing.n_rows_used),
            ("Missing data", self.missing.describe()),
            ("Weights", s.get("weight") or "none"),
            (
                "Optimiser",
                f"{s.get('solver')}: {self.iterations} iterations, max |gradient| "
                f"{self.max_gradient:.2e} ({'converged' if self.converged else 'NOT converged'})",
            ),
            ("Chi-square", f"{f['chi2']:.3f} on {int(f['df'])} df, p = {f['p_value']:.4g}"),
        ]
        if "chi2_scaled" in f.index and math.isfinite(float(f["chi2_scaled"])):
            header.append(
                (
                    "Scaled-shifted chi-square",
                    f"{f['chi2_scaled']:.3f} on {int(f['df'])} df, "
                    f"p = {f['p_value_scaled']:.4g} (CFI {f['cfi_scaled']:.4f}, "
                    f"RMSEA {f['rmsea_scaled']:.4f})",
                )
            )
        header += [
            ("CFI / TLI", f"{f['cfi']:.4f} / {f['tli']:.4f}"),
            (
                "RMSEA [90% CI]",
                f"{f['rmsea']:.4f} [{f['rmsea_ci_lower']:.4f}, {f['rmsea_ci_upper']:.4f}]",
            ),
            ("SRMR", f"{f['srmr']:.4f}"),
            ("AIC / BIC", f"{f['aic']:.2f} / {f['bic']:.2f}"),
        ]
        cols = ["estimate", "std_error", "z", "p_value", "std_estimate"]
        tables: dict[str, Any] = {
            "Structural paths": self.paths[cols],
            "Loadings": self.loadings[cols],
            "R²": self.r2,
        }
        if len(self.indices):
            tables["0–100 indices"] = self.indices
        if len(self.thresholds):
            tables["Thresholds"] = self.thresholds
        return header, tables

    # ---------------------------------------------------------------------------------------
    # fitting
    # ---------------------------------------------------------------------------------------

    def plot(
        self,
        kind: Literal["paths", "indices"] | None = None,
        *,
        ax: Any = None,
        language: Literal["en", "zh"] = "en",
        labels: Literal["code", "label"] = "code",
    ) -> Any:
        """Path diagram of the standardised structural paths (default) or the 0–100 indices.

        Returns the matplotlib Axes.

        Examples
        --------
        >>> import matplotlib, warnings; matplotlib.use("Agg")
        >>> import csimodels as csi
        >>> data = csi.datasets.load_example("acsi_demo")
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     res = csi.ACSI(indicators=data.constructs).fit(data, method="cbsem")
        >>> res.plot("indices").get_xlabel()
        'Index (0–100)'
        """
        from csimodels.reports.charts import cbsem_chart

        return cbsem_chart(self, kind, ax=ax, language=language, labels=labels)


def _check_estimator(estimator: str, ordinal: bool = False) -> str:
    key = str(estimator).upper()
    if key not in CBSEM_ESTIMATORS:
        raise InvalidParameterError(
            f"parameter 'estimator' of fit(method='cbsem') must be one of "
            f"{format_offenders(sorted(CBSEM_ESTIMATORS), limit=10)}, got {estimator!r}"
        )
    if not isinstance(ordinal, bool):
        raise InvalidParameterError(
            f"parameter 'ordinal' of fit(method='cbsem') must be True or False, got {ordinal!r}"
        )
    if ordinal and key not in ORDINAL_ESTIMATORS:
        raise InvalidParameterError(
            f"estimator {key!r} does not take ordinal items: with ordinal=True use one of "
            f"{format_offenders(sorted(ORDINAL_ESTIMATORS))} (the model is fitted to "
            "polychoric correlations, which have no likelihood of their own)"
        )
    if key == "WLSMV" and not ordinal:
        raise InvalidParameterError(
            "estimator 'WLSMV' is for ordinal items: pass ordinal=True (integer-coded "
            "answers with at most 10 categories), or use 'DWLS' / 'WLS' for continuous items"
        )
    return key


def fit_cbsem(
    model: PathModelBase,
    spec: ModelSpec,
    survey: SurveyData,
    *,
    estimator: str = "ML",
    ordinal: bool = False,
) -> CBSEMResult:
    """Fit ``spec`` by covariance-based SEM (called by ``model.fit(..., method="cbsem")``).

    Parameters
    ----------
    model : PathModelBase
        The path model (its name and settings are recorded).
    spec : ModelSpec
        Reflective constructs only; a formative construct raises
        :class:`SpecificationError` suggesting PLS.
    survey : SurveyData
    estimator : {"ML", "GLS", "ULS", "WLS", "DWLS", "WLSMV", "FIML"}
        See :data:`CBSEM_ESTIMATORS`. All but FIML delete incomplete respondents
        listwise; FIML uses every answer.
    ordinal : bool
        Treat every indicator as ordinal (integer-coded, at most 10 categories): the
        model is fitted to polychoric correlations and thresholds (lavaan's
        ``ordered=``, delta parameterisation) with ``estimator`` "DWLS" (standard
        errors from the expected information, as lavaan's ``estimator="DWLS"``),
        "WLSMV" (robust standard errors and scaled-shifted χ², lavaan's default for
        ordinal data), "WLS" or "ULS". See ``docs/cbsem.md``.

    Returns
    -------
    CBSEMResult

    Examples
    --------
    >>> import csimodels as csi
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> acsi = csi.ACSI(indicators=data.constructs)
    >>> res = fit_cbsem(acsi, acsi.to_spec(), data, estimator="ULS")
    >>> res.settings["estimator"]
    'ULS'
    """
    result, conditions = fit_cbsem_collect(
        model, spec, survey, estimator=estimator, ordinal=ordinal
    )
    _emit(conditions)
    return result


def fit_cbsem_collect(
    model: PathModelBase,
    spec: ModelSpec,
    survey: SurveyData,
    *,
    estimator: str = "ML",
    ordinal: bool = False,
) -> tuple[CBSEMResult, Conditions]:
    """:func:`fit_cbsem` returning the conditions found instead of warning (for callers
    that prefix and issue them themselves, such as per-segment fits)."""
    key = _check_estimator(estimator, ordinal)
    model_name = type(model).__name__
    syntax, aliases = spec_to_semopy(spec)
    items = list(spec.indicators)
    matrix = survey.item_matrix(items, missing="pairwise" if key == "FIML" else "listwise")
    x = np.asarray(matrix.values, dtype=np.float64)
    report = matrix.report
    if key == "FIML":
        empty: NDArray[np.bool_] = np.asarray(np.isnan(x).all(axis=1), dtype=bool)
        if empty.any():
            x = x[~empty]
            rows = matrix.rows[~empty]
            w = None if matrix.weights is None else matrix.weights[~empty]
        else:
            rows, w = matrix.rows, matrix.weights
        report = MissingDataReport(
            strategy="none" if not np.isnan(x).any() else "pairwise",
            n_rows=report.n_rows,
            n_rows_used=int(x.shape[0]),
            n_rows_dropped=int(empty.sum()),
        )
    else:
        rows, w = matrix.rows, matrix.weights
    if w is not None and (key in ("FIML", "WLS", "DWLS", "WLSMV") or ordinal):
        raise InvalidParameterError(
            f"estimator {key!r} does not take respondent weights (its weight matrix or "
            f"casewise likelihood is unweighted); use estimator='ML', 'GLS' or 'ULS' "
            f"(weighted moments), or data without the weight column {survey.weight!r}"
        )
    rename = {v: k for k, v in aliases.items()}
    columns = [rename.get(i, i) for i in items]
    scales = _scale_bounds(spec, survey)
    result, conditions = _estimate(
        syntax,
        x,
        columns,
        key,
        weights=w,
        rows=pd.Index(rows),
        report=report,
        model_name=model_name,
        spec=spec,
        aliases=aliases,
        scales=scales,
        weight_name=survey.weight,
        ordinal=ordinal,
    )
    return result, conditions


def _emit(conditions: Conditions) -> None:
    for message, category in conditions:
        warnings.warn(message, category, stacklevel=4)


def _scale_bounds(spec: ModelSpec, survey: SurveyData) -> tuple[FloatArray, FloatArray] | None:
    lower = np.empty(len(spec.indicators))
    upper = np.empty(len(spec.indicators))
    for j, item in enumerate(spec.indicators):
        scale = survey.item_info[item].scale
        if scale is None:
            return None
        lower[j], upper[j] = scale.min, scale.max
    return lower, upper


def _fit_syntax(
    syntax: str,
    data: pd.DataFrame,
    *,
    estimator: str = "ML",
    model_name: str = "syntax",
    ordinal: bool = False,
) -> CBSEMResult:
    """Fit a model written in semopy/lavaan syntax (residual covariances allowed).

    The same engine as :func:`fit_cbsem`; used for the lavaan parity tests on models a
    :class:`ModelSpec` cannot express. Rows with a missing answer are deleted (except
    for FIML); no 0–100 indices (answer scales unknown).
    """
    key = _check_estimator(estimator, ordinal)
    x = data.to_numpy(dtype=np.float64)
    n_rows = int(x.shape[0])
    if key != "FIML":
        keep = ~np.isnan(x).any(axis=1)
        x = x[keep]
        rows = data.index[keep]
    else:
        rows = data.index
    report = MissingDataReport(
        strategy="listwise" if key != "FIML" else "pairwise",
        n_rows=n_rows,
        n_rows_used=int(x.shape[0]),
        n_rows_dropped=n_rows - int(x.shape[0]),
    )
    result, conditions = _estimate(
        syntax,
        x,
        [str(c) for c in data.columns],
        key,
        weights=None,
        rows=pd.Index(rows),
        report=report,
        model_name=model_name,
        spec=None,
        aliases={},
        scales=None,
        weight_name=None,
        ordinal=ordinal,
    )
    _emit(conditions)
    return result


def _check_moments(
    x: FloatArray,
    columns: list[str],
    observed: list[str],
    estimator: str,
    q: int,
    ordinal: bool = False,
) -> None:
    n, p = x.shape
    if n <= q:
        raise DataValidationError(
            f"{n} respondents for {q} free parameters: covariance-based SEM needs more "
            "respondents than free parameters (and in practice many more); collect more "
            "data or simplify the model"
        )
    if estimator == "FIML" or ordinal:
        return
    if n <= p:
        raise DataValidationError(
            f"{n} respondents for {p} indicators: the sample covariance matrix is "
            "singular; covariance-based SEM needs more respondents than indicators"
        )
    order = [columns.index(c) for c in observed]
    xo = x[:, order]
    sd = xo.std(axis=0)
    constant = [observed[j] for j in np.flatnonzero(sd == 0)]
    if constant:
        raise DataValidationError(
            f"indicator {format_offenders(constant)} has no variance (every answer is the "
            "same): the sample covariance matrix is not positive definite; drop it"
        )
    s = np.cov(xo, rowvar=False)
    eig, vec = np.linalg.eigh(np.corrcoef(xo, rowvar=False))
    if eig[0] < 1e-10:
        involved = [observed[j] for j in np.flatnonzero(np.abs(vec[:, 0]) > 0.1)]
        raise DataValidationError(
            "the sample covariance matrix is not positive definite (smallest eigenvalue "
            f"of the correlation matrix {eig[0]:.2e}): indicators {format_offenders(involved)} "
            "are linearly dependent (e.g. duplicated or summed items); drop the redundant ones"
        )
    del s


def _estimate(
    syntax: str,
    x: FloatArray,
    columns: list[str],
    estimator: str,
    *,
    weights: FloatArray | None,
    rows: pd.Index,
    report: MissingDataReport,
    model_name: str,
    spec: ModelSpec | None,
    aliases: dict[str, str],
    scales: tuple[FloatArray, FloatArray] | None,
    weight_name: str | None,
    ordinal: bool = False,
) -> tuple[CBSEMResult, Conditions]:
    conditions: Conditions = []
    import semopy

    probe = semopy.Model(syntax)
    observed = list(probe.vars["observed"])
    unknown = [c for c in observed if c not in columns]
    if unknown:
        raise SpecificationError(
            f"variable {format_offenders(unknown)} of the model is not a column of the data"
        )
    q_probe = sum(1 for p in probe.parameters.values() if p.active)
    q_total = q_probe + (len(observed) if estimator == "FIML" else 0)
    om: ordm.OrdinalMoments | None = None
    if ordinal:
        om = _ordinal_moments(x, columns, observed, aliases, spec, scales, conditions)
        q_total += om.n_thresholds
    _check_moments(x, columns, observed, estimator, q_total, ordinal)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = engine.ModelFrame(syntax, x, columns, estimator, weights, om)
    q = frame.free_count()
    moments = frame.n_moments
    df = moments - q
    names_free = _free_names(frame, aliases)
    if df < 0:
        raise SpecificationError(
            f"the model has {q} free parameters but only {moments} distinct sample moments "
            f"(df = {df}): it is not identified; fix parameters or add indicators"
        )
    x0 = engine.start_values(frame)
    _check_identified(frame, x0, names_free)
    theta, iterations, converged, g_max, solver = engine.optimise(frame, x0)
    f, _, h = frame.evaluate(theta)
    if not math.isfinite(f):
        raise SpecificationError(
            "the optimiser found no admissible solution (the implied covariance matrix is "
            "not positive definite at every point tried); check the model's identification"
        )
    if not converged:
        conditions.append(
            (
                f"the {estimator} optimiser did not converge in {iterations} iterations "
                f"(largest absolute gradient {g_max:.2e}); the estimates and fit indices are "
                "not a minimum of the discrepancy function — do not report them",
                ConvergenceWarning,
            )
        )
    n = frame.n
    n_eff = float(n if estimator in ("ML", "FIML") else n - 1)
    if estimator == "FIML":
        h = engine.observed_information(frame, theta)
    try:
        vcov = np.asarray(np.linalg.inv(n_eff * h), dtype=np.float64)
        singular_info = bool(not np.all(np.isfinite(vcov)) or np.any(np.diag(vcov) < 0))
    except np.linalg.LinAlgError:
        vcov = np.asarray(np.linalg.pinv(n_eff * h), dtype=np.float64)
        singular_info = True
    vcov = np.asarray(vcov, dtype=np.float64)
    delta_hat: FloatArray | None = None
    if om is not None:
        delta_hat = frame.moment_jacobian(theta)
        if estimator == "WLSMV" and not singular_info:
            wd = frame.wmat @ delta_hat
            meat = wd.T @ frame.gamma @ wd
            h_inv = np.linalg.inv(h)
            vcov = np.asarray(h_inv @ meat @ h_inv / n_eff, dtype=np.float64)
    se_all = np.sqrt(np.abs(np.diag(vcov)))
    table = engine.parameter_table(frame, theta)
    ordinal_theta = _dependent_variances(table, frame) if om is not None else set()
    sigma, _, _ = frame.sigma(theta)
    mdl = frame.model
    beta, lam, psi, theta_m = (np.asarray(m, dtype=np.float64) for m in mdl.matrices[:4])
    inner = list(mdl.names[0][0])
    cinv = np.linalg.inv(np.eye(len(inner)) - beta)
    phi = cinv @ psi @ cinv.T
    latent = [v for v in inner if v in mdl.vars["latent"]]
    lat_idx = [inner.index(v) for v in latent]
    obs_pos = {v: i for i, v in enumerate(frame.observed)}
    inn_pos = {v: i for i, v in enumerate(inner)}

    def total_sd(v: str) -> float:
        if v in inn_pos:
            return math.sqrt(max(phi[inn_pos[v], inn_pos[v]], 0.0))
        return math.sqrt(max(sigma[obs_pos[v], obs_pos[v]], 0.0))

    rows_out = []
    for par in table:
        est = par.value
        if par.op == "=~":
            std = est * total_sd(par.lhs) / total_sd(par.rhs)
        elif par.op == "~":
            std = est * total_sd(par.rhs) / total_sd(par.lhs)
        else:
            std = est / (total_sd(par.lhs) * total_sd(par.rhs))
            if par.lhs != par.rhs and _is_residual(par.lhs, mdl) and _is_residual(par.rhs, mdl):
                var_a = _param_value(table, par.lhs, par.lhs)
                var_b = _param_value(table, par.rhs, par.rhs)
                std = est / math.sqrt(var_a * var_b) if var_a > 0 and var_b > 0 else np.nan
        free = bool(par.free)
        if par.op == "~~" and par.lhs == par.rhs and par.lhs in ordinal_theta:
            free = False  # delta parameterisation: 1 - explained variance, not a parameter
        se = float(se_all[par.free - 1]) if free else float("nan")
        z = est / se if free and se > 0 else float("nan")
        rows_out.append(
            {
                "lhs": _orig(par.lhs, aliases),
                "op": par.op,
                "rhs": _orig(par.rhs, aliases),
                "free": free,
                "estimate": est,
                "std_error": se,
                "z": z,
                "p_value": float(2 * stats.norm.sf(abs(z))) if math.isfinite(z) else np.nan,
                "std_estimate": std,
            }
        )
    threshold_table = pd.DataFrame()
    polychoric = pd.DataFrame()
    if om is not None:
        th_rows = []
        for k, (name, owner) in enumerate(zip(frame.th_names, frame.th_owner, strict=True)):
            pos = frame.n_free + k
            est = float(theta[pos])
            se = float(se_all[pos])
            z = est / se if se > 0 else float("nan")
            item = _orig(owner, aliases)
            label = name.rsplit("|", 1)[1]
            rows_out.append(
                {
                    "lhs": item,
                    "op": "|",
                    "rhs": label,
                    "free": True,
                    "estimate": est,
                    "std_error": se,
                    "z": z,
                    "p_value": float(2 * stats.norm.sf(abs(z))) if math.isfinite(z) else np.nan,
                    "std_estimate": est,
                }
            )
            th_rows.append(
                {
                    "item": item,
                    "threshold": label,
                    "sample": float(frame.sample_th[k]),
                    "estimate": est,
                    "std_error": se,
                }
            )
        threshold_table = pd.DataFrame(th_rows).set_index(["item", "threshold"])
        obs_user = [_orig(v, aliases) for v in frame.observed]
        polychoric = pd.DataFrame(frame.s.copy(), index=obs_user, columns=obs_user)
    estimates = pd.DataFrame(rows_out).set_index(["lhs", "op", "rhs"])
    latent_names = [_orig(v, aliases) for v in latent]
    observed_names = [_orig(v, aliases) for v in frame.observed]
    if spec is not None:
        construct_order = list(spec.construct_names)
    else:
        construct_order = latent_names

    # loadings and paths in the spec's order
    ops = estimates.index.get_level_values("op")
    load_rows = estimates[ops == "=~"].copy()
    load_rows.index = pd.MultiIndex.from_arrays(
        [load_rows.index.get_level_values(0), load_rows.index.get_level_values(2)],
        names=["construct", "indicator"],
    )
    path_rows = estimates[ops == "~"].copy()
    path_rows.index = pd.MultiIndex.from_arrays(
        [path_rows.index.get_level_values(2), path_rows.index.get_level_values(0)],
        names=["from", "to"],
    )
    if spec is not None:
        path_rows = path_rows.reindex(pd.MultiIndex.from_tuples(spec.paths, names=["from", "to"]))
        order = [(c.name, i) for c in spec.constructs for i in c.indicators]
        load_rows = load_rows.reindex(
            pd.MultiIndex.from_tuples(order, names=["construct", "indicator"])
        )

    # R²
    r2_rows = []
    endogenous_inner = [v for v in inner if np.any(beta[inn_pos[v]] != 0)]
    for v in endogenous_inner:
        total = phi[inn_pos[v], inn_pos[v]]
        r2_rows.append(
            {
                "variable": _orig(v, aliases),
                "r2": 1 - psi[inn_pos[v], inn_pos[v]] / total,
                "kind": "construct",
            }
        )
    for v in frame.observed:
        i = obs_pos[v]
        r2_rows.append(
            {
                "variable": _orig(v, aliases),
                "r2": 1 - theta_m[i, i] / sigma[i, i],
                "kind": "indicator",
            }
        )
    r2 = pd.DataFrame(r2_rows, columns=["variable", "r2", "kind"]).set_index("variable")

    # fit
    mean_sat: FloatArray | None = None
    mu: FloatArray | None = None
    s_fit = frame.s
    if estimator == "FIML":
        sat_f, s_fit, mean_sat = _saturated_fiml(frame)
        chi2 = 2 * n * (f - sat_f)
        base_f = _baseline_fiml(frame)
        base_chi2 = 2 * n * (base_f - sat_f)
        base_df = frame.p * (frame.p - 1) // 2
        loglik = -n * f
        mu = theta[frame.n_free :]
    elif om is not None:
        # lavaan: T = 2 (N - 1) F, as for the other least-squares estimators
        chi2 = 2 * n_eff * f
        base_design = _ordinal_baseline_design(frame)
        base_f = _projected_fmin(frame.moments, frame.wmat, base_design)
        base_chi2 = 2 * n_eff * base_f
        base_df = frame.p * (frame.p - 1) // 2
        loglik = float("nan")
    else:
        chi2 = 2 * n_eff * f
        base_f = fitm.baseline_fmin(estimator, frame.s, getattr(frame, "wmat", None), frame.vech)
        base_chi2 = 2 * n_eff * base_f
        base_df = frame.p * (frame.p - 1) // 2
        s_ml = frame.s if estimator == "ML" else frame.s * (n - 1) / n
        sign, logdet = np.linalg.slogdet(sigma)
        loglik = (
            -0.5
            * n
            * (frame.p * math.log(2 * math.pi) + logdet + np.trace(s_ml @ np.linalg.inv(sigma)))
            if sign > 0
            else float("nan")
        )
    srmr_value, resid = fitm.srmr(s_fit, sigma, mean_sat, mu)
    n_theta_fixed = sum(
        1 for p in table if p.free and p.op == "~~" and p.lhs == p.rhs and p.lhs in ordinal_theta
    )
    measures = fitm.fit_measures(
        chi2=float(chi2),
        df=df,
        baseline_chi2=float(base_chi2),
        baseline_df=base_df,
        n_eff=n_eff,
        estimator=estimator,
        srmr_value=srmr_value,
        loglik=float(loglik),
        n=n,
        q=q - n_theta_fixed,
        fmin=float(f * (n_eff / n) if estimator not in ("ML", "FIML") else f),
    )
    if estimator == "FIML":
        measures["fmin"] = float(chi2 / (2 * n))
    names_fit = list(fitm.FIT_MEASURES)
    if om is not None:
        assert delta_hat is not None
        measures.update(
            _robust_measures(
                frame,
                delta_hat,
                chi2=float(chi2),
                df=df,
                base_chi2=float(base_chi2),
                base_df=base_df,
                n=n,
                robust=estimator == "WLSMV" and not singular_info,
            )
        )
        names_fit += list(ORDINAL_FIT_MEASURES)
    fit_table = pd.DataFrame(
        {"value": [measures[k] for k in names_fit]},
        index=pd.Index(names_fit, name="measure"),
    )

    # diagnostics
    lat_cov = phi[np.ix_(lat_idx, lat_idx)]
    lat_sd = np.sqrt(np.clip(np.diag(lat_cov), 1e-300, None))
    lat_cor = lat_cov / np.outer(lat_sd, lat_sd)
    # the residual variances of ordinal items are functions of the other estimates
    # (delta parameterisation), not parameters: leave them out of the flatness check
    keep = [
        p.free - 1
        for p in table
        if p.free and not (p.op == "~~" and p.lhs == p.rhs and p.lhs in ordinal_theta)
    ] + list(range(frame.n_free, q))
    _diagnose(
        conditions,
        estimates=estimates,
        latent_names=latent_names,
        lat_cov=lat_cov,
        lat_cor=lat_cor,
        sigma=sigma,
        observed_names=observed_names,
        vcov=vcov[np.ix_(keep, keep)],
        free_names=[names_free[k] for k in keep],
        singular_info=singular_info,
    )

    # factor scores and indices
    lam_lat = lam[:, lat_idx]
    scores = pd.DataFrame(index=rows, columns=pd.Index(construct_order), dtype=float)
    indices = pd.DataFrame(
        {"index": pd.Series(dtype=float), "label": pd.Series(dtype=object)},
        index=pd.Index([], name="construct"),
    )
    resp_idx = pd.DataFrame(index=rows, columns=pd.Index(construct_order), dtype=float)
    load_rows["index_weight"] = np.nan
    labels = (
        {c.name: c.label or c.name for c in spec.constructs}
        if spec is not None
        else {v: v for v in latent_names}
    )
    sigma_ok = bool(np.linalg.eigvalsh(sigma)[0] > 0)
    if sigma_ok:
        wfs = lat_cov @ lam_lat.T @ np.linalg.inv(sigma)  # latent x observed
        xo = x[:, [columns.index(c) for c in frame.observed]]
        if estimator != "FIML" and om is None:
            centre = frame.mean
            sc = (xo - centre) @ wfs.T
            scores = pd.DataFrame(sc, index=rows, columns=pd.Index(latent_names))[construct_order]
        if spec is not None:
            blocks = []
            start = 0
            for c in spec.constructs:
                blocks.append(np.arange(start, start + len(c.indicators), dtype=np.int64))
                start += len(c.indicators)
            item_order = [rename for rename in spec.indicators]
            alias_of = {v: k for k, v in aliases.items()}
            obs_idx = [obs_pos[alias_of.get(i, i)] for i in item_order]
            raw = np.empty(len(item_order))
            for j, c in enumerate(spec.constructs):
                lat_j = latent_names.index(c.name)
                raw[blocks[j]] = wfs[lat_j, [obs_idx[b] for b in blocks[j]]]
            ones = np.ones_like(raw)
            v = index_weights(raw, ones, blocks)
            load_rows["index_weight"] = v
            bad = [item_order[j] for j in np.flatnonzero(v < 0)]
            if bad:
                conditions.append(
                    (
                        f"negative factor-score weights for {format_offenders(bad)}: the "
                        "0–100 index of their construct is not a convex combination of its "
                        "items",
                        DataQualityWarning,
                    )
                )
            if scales is not None:
                lower, upper = scales
                xi = x[:, [columns.index(alias_of.get(i, i)) for i in item_order]]
                missing_any: NDArray[np.bool_] = np.asarray(np.isnan(xi).any(axis=1), dtype=bool)
                filled = np.where(np.isnan(xi), 0.0, xi)
                per = respondent_indices(filled, v, lower, upper, blocks)
                names = list(spec.construct_names)
                if estimator == "FIML":
                    # the index is linear: the index of the FIML means is the mean index
                    assert mu is not None
                    mu_items = mu[[obs_pos[alias_of.get(i, i)] for i in item_order]]
                    mean_index = respondent_indices(mu_items[None, :], v, lower, upper, blocks)[0]
                    per[missing_any] = np.nan
                elif weights is None:
                    mean_index = per.mean(axis=0)
                else:
                    mean_index = np.average(per, axis=0, weights=weights)
                resp_idx = pd.DataFrame(per, index=rows, columns=pd.Index(names))
                indices = pd.DataFrame(
                    {"index": mean_index, "label": [labels[c] for c in names]},
                    index=pd.Index(names, name="construct"),
                )
    settings = {
        "model": model_name,
        "method": "cbsem",
        "estimator": estimator,
        "engine": f"semopy {semopy.__version__} model algebra; csimodels objective and solver",
        "solver": solver,
        "gtol": 1e-9,
        "start": "composite-based (first principal component per construct)",
        "missing": "fiml" if estimator == "FIML" else "listwise",
        "weight": weight_name,
        "n": n,
        "index": "own-indicator factor-score (regression-method) weights on the answers, "
        "normalised to sum to one; declared scale bounds",
        "information": "observed" if estimator == "FIML" else "expected",
        "ordinal": om is not None,
        "se": "robust.sem" if estimator == "WLSMV" else "standard",
        "test": "scaled.shifted" if estimator == "WLSMV" else "standard",
    }
    if om is not None:
        settings["moments"] = (
            "thresholds and polychoric correlations (two-step; Muthén 1984 asymptotic "
            "covariance), delta parameterisation"
        )
        settings["empty_cell_correction"] = (
            "2x2 tables with one empty cell: 0.5 added keeping the margins (lavaan's "
            "zero.add); larger tables: none"
        )
    result = CBSEMResult(
        spec=spec,
        syntax=syntax,
        aliases=aliases,
        construct_labels=labels,
        estimates=estimates,
        paths=path_rows,
        loadings=load_rows,
        r2=r2,
        fit=fit_table,
        latent_covariances=pd.DataFrame(lat_cov, index=latent_names, columns=latent_names),
        latent_correlations=pd.DataFrame(lat_cor, index=latent_names, columns=latent_names),
        implied_covariance=pd.DataFrame(sigma, index=observed_names, columns=observed_names),
        residuals=pd.DataFrame(resid, index=observed_names, columns=observed_names),
        scores=scores,
        indices=indices,
        respondent_indices=resp_idx,
        iterations=iterations,
        converged=converged,
        max_gradient=g_max,
        missing=report,
        settings=settings,
        notes=tuple(m for m, _ in conditions),
        thresholds=threshold_table,
        polychoric=polychoric,
    )
    return result, conditions


def _orig(name: str, aliases: dict[str, str]) -> str:
    return aliases.get(name, name)


def _is_residual(v: str, mdl: Any) -> bool:
    return v in mdl.vars["endogenous"] or v in mdl.vars["observed"]


def _param_value(table: list[engine.Parameter], a: str, b: str) -> float:
    for p in table:
        if p.op == "~~" and {p.lhs, p.rhs} == {a, b} and (a != b or p.lhs == p.rhs):
            return p.value
    return float("nan")


def _free_names(frame: engine.ModelFrame, aliases: dict[str, str]) -> list[str]:
    table = engine.parameter_table(frame, frame.start())
    names = [f"{_orig(p.lhs, aliases)} {p.op} {_orig(p.rhs, aliases)}" for p in table if p.free]
    if frame.estimator == "FIML":
        names += [f"mean of {_orig(v, aliases)}" for v in frame.observed]
    if frame.ordinal is not None:
        names += [
            f"{_orig(o, aliases)}|{n.rsplit('|', 1)[1]}"
            for n, o in zip(frame.th_names, frame.th_owner, strict=True)
        ]
    return names


def _check_identified(frame: engine.ModelFrame, x0: FloatArray, names: list[str]) -> None:
    """Local identification: the Jacobian of the implied moments must have full rank."""
    try:
        _, m, c = frame.sigma(x0)
    except np.linalg.LinAlgError:
        return
    d = frame.dsigma(m, c)
    if d.shape[0] == 0:
        return
    delta = d[:, frame.vech[0], frame.vech[1]].T
    gram = delta.T @ delta
    eig, vec = np.linalg.eigh(gram)
    tol = eig[-1] * max(delta.shape) * 1e-16 * 1e4
    rank = int(np.sum(eig > tol))
    if rank < delta.shape[1]:
        null = vec[:, : delta.shape[1] - rank].T
        weight = np.abs(null).max(axis=0)
        order = sorted(range(len(names)), key=lambda j: (-round(float(weight[j]), 6), names[j]))
        involved = [names[j] for j in order if weight[j] > 1e-6]
        raise SpecificationError(
            f"the model is not identified: {delta.shape[1] - rank} direction(s) of the "
            f"{delta.shape[1]} free parameters leave the implied covariances unchanged, "
            f"involving {format_offenders(involved)}; fix a loading or a variance per "
            "construct, or give each construct at least two indicators (three if it "
            "is alone)"
        )


def _ordinal_moments(
    x: FloatArray,
    columns: list[str],
    observed: list[str],
    aliases: dict[str, str],
    spec: ModelSpec | None,
    scales: tuple[FloatArray, FloatArray] | None,
    conditions: Conditions,
) -> ordm.OrdinalMoments:
    """Thresholds, polychorics and Γ of the model's items; data problems become warnings."""
    xo = x[:, [columns.index(c) for c in observed]]
    users = [_orig(c, aliases) for c in observed]
    scale_map: dict[str, tuple[float, float]] = {}
    if spec is not None and scales is not None:
        lower, upper = scales
        for j, item in enumerate(spec.indicators):
            scale_map[item] = (float(lower[j]), float(upper[j]))
    om = ordm.ordinal_moments(xo, users, scale_map)
    if om.unobserved:
        shown = [f"{k} ({', '.join(f'{v:g}' for v in vs)})" for k, vs in om.unobserved.items()]
        conditions.append(
            (
                f"answer categories that nobody chose inside the scale of "
                f"{format_offenders(shown)}: as in lavaan the categories are the answers "
                "observed, so each empty category is merged with its neighbour (one "
                "threshold fewer)",
                DataQualityWarning,
            )
        )
    if om.adjusted:
        shown = [f"{a} × {b}" for a, b in om.adjusted]
        conditions.append(
            (
                f"one empty cell in the 2×2 table of binary items {format_offenders(shown)}: "
                "0.5 was added to it and to its diagonal partner and taken from the other "
                "two cells (margins kept, lavaan's zero.add), otherwise the tetrachoric "
                "correlation would be ±1",
                DataQualityWarning,
            )
        )
    plain = [(a, b) for a, b in om.empty_cells if (a, b) not in om.adjusted]
    if plain:
        shown = [f"{a} × {b}" for a, b in plain]
        conditions.append(
            (
                f"empty cells in the bivariate tables of {len(plain)} item pair(s) "
                f"{format_offenders(shown)}: nothing was added to them (lavaan's default); "
                "polychoric correlations from sparse tables are less stable — consider "
                "merging rare categories",
                DataQualityWarning,
            )
        )
    if om.at_bound:
        shown = [f"{a} × {b}" for a, b in om.at_bound]
        conditions.append(
            (
                f"polychoric correlation of {format_offenders(shown)} reached the bound "
                f"±{ordm.RHO_BOUND}: the items are (nearly) the same; drop one of them",
                DataQualityWarning,
            )
        )
    if not om.converged:
        conditions.append(
            (
                "the polychoric correlations did not all converge in 200 scoring steps; "
                "the sample moments are not maximum-likelihood estimates",
                ConvergenceWarning,
            )
        )
    eig = float(np.linalg.eigvalsh(om.correlation)[0])
    if eig <= 0:
        conditions.append(
            (
                f"the polychoric correlation matrix of {format_offenders(users)} is not "
                f"positive definite (smallest eigenvalue {eig:.3g}); least-squares "
                "estimators still run, but check items with sparse tables",
                DataQualityWarning,
            )
        )
    om.items = list(observed)  # the engine works with semopy's (aliased) names
    return om


def _dependent_variances(table: list[engine.Parameter], frame: engine.ModelFrame) -> set[str]:
    """Variables whose ``v ~~ v`` is fixed by the unit variance of the latent responses.

    Delta parameterisation: an ordinal item's residual variance is 1 − (explained
    variance). When that residual variance is fixed (a single-indicator construct,
    ``x ~~ 0*x``), the construct's own (residual) variance takes its place: it is what
    makes the latent response's variance one. Neither is a parameter (lavaan shows
    them without standard errors).
    """
    free_theta = {
        p.lhs
        for p in table
        if p.op == "~~" and p.lhs == p.rhs and p.lhs in frame.observed and p.free
    }
    out = set(free_theta)
    indicators: dict[str, list[str]] = {}
    for p in table:
        if p.op == "=~" and p.rhs in frame.observed:
            indicators.setdefault(p.lhs, []).append(p.rhs)
    for latent, items in indicators.items():
        if len(items) == 1 and items[0] not in free_theta:
            out.add(latent)
    return out


def _ordinal_baseline_design(frame: engine.ModelFrame) -> FloatArray:
    """∂(moments)/∂(thresholds, variances) of the independence model (ordinal layout)."""
    n_th = frame.n_thresholds
    m = frame.vech[0].size
    design = np.zeros((n_th + m, n_th + frame.p))
    design[:n_th, :n_th] = np.eye(n_th)
    design[frame.diag_moments, n_th + np.arange(frame.p)] = 1.0
    return design


def _projected_fmin(moments: FloatArray, wmat: FloatArray, design: FloatArray) -> float:
    """``min_b ½ (m − D b)' W (m − D b)``: F of a model linear in its parameters."""
    b = np.linalg.solve(design.T @ wmat @ design, design.T @ wmat @ moments)
    resid = moments - design @ b
    return 0.5 * float(resid @ wmat @ resid)


def _scaled_shifted(
    wmat: FloatArray, gamma: FloatArray, delta: FloatArray, stat: float, df: int
) -> tuple[float, float, float]:
    """Asparouhov & Muthén (2010) scaled-and-shifted statistic, lavaan 0.6's form.

    ``U = W − WΔ(Δ'WΔ)⁻¹Δ'W``; with ``tr1 = tr(UΓ)``, ``tr2 = tr(UΓUΓ)``:
    ``a = √(df / tr2)``, shift ``b = df − a tr1``, statistic ``a T + b`` referred to
    χ²(df). Returns ``(statistic, scaling factor 1/a, shift b)``.
    """
    wd = wmat @ delta
    u = wmat - wd @ np.linalg.solve(delta.T @ wd, wd.T)
    ug = u @ gamma
    tr1 = float(np.trace(ug))
    tr2 = float(np.sum(ug * ug.T))
    a = math.sqrt(df / tr2)
    shift = df - a * tr1
    return a * stat + shift, 1.0 / a, shift


def _robust_measures(
    frame: engine.ModelFrame,
    delta: FloatArray,
    *,
    chi2: float,
    df: int,
    base_chi2: float,
    base_df: int,
    n: int,
    robust: bool,
) -> dict[str, float]:
    out = {k: float("nan") for k in ORDINAL_FIT_MEASURES}
    if not robust or df <= 0:
        return out
    t_s, scale, shift = _scaled_shifted(frame.wmat, frame.gamma, delta, chi2, df)
    tb_s, _, _ = _scaled_shifted(
        frame.wmat, frame.gamma, _ordinal_baseline_design(frame), base_chi2, base_df
    )
    num = max(t_s - df, 0.0)
    den = max(t_s - df, tb_s - base_df, 0.0)
    out.update(
        {
            "chi2_scaled": t_s,
            "p_value_scaled": float(stats.chi2.sf(t_s, df)),
            "scaling_factor": scale,
            "shift": shift,
            "baseline_chi2_scaled": tb_s,
            "cfi_scaled": 1.0 - num / den if den > 0 else 1.0,
            "tli_scaled": (tb_s / base_df - t_s / df) / (tb_s / base_df - 1.0),
            "rmsea_scaled": math.sqrt(num / ((n - 1) * df)),
        }
    )
    return out


def _saturated_fiml(frame: engine.ModelFrame) -> tuple[float, FloatArray, FloatArray]:
    """FIML fit of the unrestricted model (free means and covariances), as lavaan's h1."""
    mu, sigma, f = engine.saturated_em(frame.x)
    return f, sigma, mu


def _baseline_fiml(frame: engine.ModelFrame) -> float:
    """Independence model by FIML: each variable's own mean and variance (closed form)."""
    n = frame.n
    total = 0.0
    for j in range(frame.p):
        col = frame.x[:, j]
        obs = col[~np.isnan(col)]
        var = obs.var()
        total += obs.size * (math.log(2 * math.pi) + math.log(var) + 1.0)
    return 0.5 * total / n


def _diagnose(
    conditions: Conditions,
    *,
    estimates: pd.DataFrame,
    latent_names: list[str],
    lat_cov: FloatArray,
    lat_cor: FloatArray,
    sigma: FloatArray,
    observed_names: list[str],
    vcov: FloatArray,
    free_names: list[str],
    singular_info: bool,
) -> None:
    """Improper solutions, never silent: each finding becomes a warning and a note."""
    keys: list[tuple[str, str, str]] = [tuple(k) for k in estimates.index.tolist()]
    values = [float(v) for v in estimates["estimate"].tolist()]
    std_values = [float(v) for v in estimates["std_estimate"].tolist()]
    var_rows = [
        (lhs, est)
        for (lhs, op, rhs), est in zip(keys, values, strict=True)
        if op == "~~" and lhs == rhs and est < 0
    ]
    if var_rows:
        shown = [f"{lhs} ~~ {lhs} = {est:.4g}" for lhs, est in var_rows]
        conditions.append(
            (
                f"Heywood case: negative variance estimate(s) {format_offenders(shown)}; the "
                "solution is improper (check for too few indicators, outliers or a "
                "misspecified model)",
                DataQualityWarning,
            )
        )
    over = [
        f"{lhs} {op} {rhs} = {val:.3f}"
        for (lhs, op, rhs), val in zip(keys, std_values, strict=True)
        if op in ("=~", "~") and abs(val) > 1.0
    ]
    if over:
        conditions.append(
            (
                f"standardised estimate(s) beyond ±1: {format_offenders(over)}; with "
                "highly correlated predictors the structural estimates are unstable",
                DataQualityWarning,
            )
        )
    if lat_cov.size and np.linalg.eigvalsh(lat_cov)[0] <= 0:
        conditions.append(
            (
                "the latent covariance matrix is not positive definite (smallest eigenvalue "
                f"{np.linalg.eigvalsh(lat_cov)[0]:.3g}) for constructs "
                f"{format_offenders(latent_names)}; the solution is improper",
                DataQualityWarning,
            )
        )
    if np.linalg.eigvalsh(sigma)[0] <= 0:
        conditions.append(
            (
                "the model-implied covariance matrix of "
                f"{format_offenders(observed_names)} is not positive definite; the solution "
                "is improper",
                DataQualityWarning,
            )
        )
    k = len(latent_names)
    high = [
        f"{latent_names[i]}–{latent_names[j]} ({lat_cor[i, j]:.3f})"
        for i in range(k)
        for j in range(i + 1, k)
        if abs(lat_cor[i, j]) > LATENT_CORRELATION_LIMIT
    ]
    if high:
        conditions.append(
            (
                f"latent correlation(s) above {LATENT_CORRELATION_LIMIT}: "
                f"{format_offenders(high)}; these constructs are barely distinguishable "
                "(poor discriminant validity)",
                DataQualityWarning,
            )
        )
    if singular_info:
        conditions.append(
            (
                "the information matrix is singular at the solution: the model is "
                "empirically under-identified; standard errors are not available",
                DataQualityWarning,
            )
        )
        return
    d = np.sqrt(np.diag(vcov))
    corr = vcov / np.outer(d, d)
    eig, vec = np.linalg.eigh(corr)
    if eig[0] < FLAT_EIGENVALUE:
        weight = np.abs(vec[:, 0])
        top = [free_names[j] for j in np.argsort(-weight)[:5] if weight[j] > 0.2]
        conditions.append(
            (
                "the likelihood is nearly flat along a combination of "
                f"{format_offenders(top)} (smallest eigenvalue of the estimates' correlation "
                f"matrix {eig[0]:.2e}): quite different values of these parameters fit "
                "almost equally well, so treat them as weakly determined (empirical "
                "under-identification; another program may report other values with the "
                "same chi-square)",
                DataQualityWarning,
            )
        )


# ---------------------------------------------------------------------------------------
# comparison and demo
# ---------------------------------------------------------------------------------------


def compare_pls_cbsem(pls_result: PLSResult, cbsem_result: CBSEMResult) -> pd.DataFrame:
    """Side-by-side standardised estimates of the same model by PLS and CB-SEM.

    Parameters
    ----------
    pls_result : PLSResult
    cbsem_result : CBSEMResult
        Fits of the same constructs and paths.

    Returns
    -------
    DataFrame indexed by (kind, from, to), kind "path" (construct → construct) or
    "loading" (construct → indicator): ``pls`` (PLS standardised path / loading),
    ``cbsem`` (CB-SEM completely standardised estimate), ``difference`` (cbsem − pls),
    ``cbsem_p_value``.

    Examples
    --------
    >>> import csimodels as csi
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> acsi = csi.ACSI(indicators=data.constructs)
    >>> table = compare_pls_cbsem(acsi.fit(data), acsi.fit(data, method="cbsem"))
    >>> list(table.columns)
    ['pls', 'cbsem', 'difference', 'cbsem_p_value']
    """
    spec_cb = cbsem_result.spec
    spec_pls = pls_result.spec
    if spec_cb is None or set(spec_cb.paths) != set(spec_pls.paths):
        raise SpecificationError(
            "compare_pls_cbsem needs fits of the same model: the PLS and CB-SEM results "
            "have different structural paths"
        )
    if {c.name: c.indicators for c in spec_cb.constructs} != {
        c.name: c.indicators for c in spec_pls.constructs
    }:
        raise SpecificationError(
            "compare_pls_cbsem needs fits of the same model: the constructs' indicators differ"
        )
    rows = []
    for a, b in spec_pls.paths:
        rows.append(
            {
                "kind": "path",
                "from": a,
                "to": b,
                "pls": _cell(pls_result.paths, (a, b), "estimate"),
                "cbsem": _cell(cbsem_result.paths, (a, b), "std_estimate"),
                "cbsem_p_value": _cell(cbsem_result.paths, (a, b), "p_value"),
            }
        )
    for c in spec_pls.constructs:
        for item in c.indicators:
            key = (c.name, item)
            rows.append(
                {
                    "kind": "loading",
                    "from": c.name,
                    "to": item,
                    "pls": _cell(pls_result.outer, key, "loading"),
                    "cbsem": _cell(cbsem_result.loadings, key, "std_estimate"),
                    "cbsem_p_value": _cell(cbsem_result.loadings, key, "p_value"),
                }
            )
    table = pd.DataFrame(rows).set_index(["kind", "from", "to"])
    table.insert(2, "difference", table["cbsem"] - table["pls"])
    return table[["pls", "cbsem", "difference", "cbsem_p_value"]]


def _cell(frame: pd.DataFrame, key: tuple[str, str], column: str) -> float:
    return float(np.asarray(frame.loc[key, column], dtype=np.float64))


def demo_section() -> str:
    """ACSI on the bundled example survey by CB-SEM: fit indices and PLS versus CB-SEM.

    Examples
    --------
    >>> "CFI" in demo_section()
    True
    """
    import csimodels as csi

    data = csi.datasets.load_example("acsi_demo")
    acsi = csi.ACSI(indicators=data.constructs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cb = acsi.fit(data, method="cbsem")
        pls = acsi.fit(data)
    table = compare_pls_cbsem(pls, cb)
    lines = [
        "ACSI by covariance-based SEM (ML, listwise deletion, weighted moments) on 'acsi_demo'",
        "",
        cb.summary().as_text(),
        "PLS versus CB-SEM, standardised estimates (CB-SEM corrects for measurement error,",
        "so its paths are usually larger than PLS's):",
        table.round(3).to_string(),
    ]
    return "\n".join(lines)


def _plot_segments(result: Any, kind: str | None, ax: Any, language: str, labels: str) -> Any:
    """Indices by segment (``"bar"``, ``"radar"``, ``"ranking"``), for SegmentedResult."""
    from csimodels.reports.charts import segmented_index_chart

    return segmented_index_chart(result, kind, ax=ax, language=language, labels=labels)


SEGMENT_PLOTS["CBSEMResult"] = _plot_segments
