"""The CB-SEM result object (tables as the public layer shows them)."""

from __future__ import annotations

import math
from typing import Any, ClassVar, Literal

import pandas as pd
from pydantic import Field

from csimodels.results import SEGMENT_PLOTS, Frame, MissingDataReport, Result
from csimodels.sem.spec import ModelSpec

__all__ = ["CBSEMResult"]


class CBSEMResult(Result):
    """A covariance-based structural equation model fitted to survey data.

    Attributes
    ----------
    spec : ModelSpec or None
        The model estimated (None when fitted from syntax).
    syntax : str
        The model in lavaan syntax (as given, or written from the ModelSpec).
    aliases : dict of str to str
        Kept for compatibility; empty (names are used as they are).
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

    parameters : DataFrame
        lavaan's ``parameterEstimates(standardized = TRUE)``: one row per parameter
        (free or fixed) and group, then thresholds and ``:=`` defined parameters, with
        columns ``lhs``, ``op``, ``rhs``, ``group`` (1, 2, ...; 0 for defined
        parameters), ``group_label`` (multigroup fits only), ``label``, ``free``,
        ``estimate``, ``std_error``, ``z``, ``p_value``, ``ci_lower``, ``ci_upper``
        (normal interval at ``settings["level"]``), ``std_estimate`` (``std.all``) and
        ``std_std_error`` (its delta-method standard error). Robust (MLR, WLSMV)
        standard errors when the estimator has them.
    fit_measures : DataFrame, index measure, column ``value``
        The fit table under lavaan's ``fitMeasures()`` names (``chisq``, ``df``,
        ``pvalue``, ``baseline.chisq``, ``cfi``, ``tli``, ``rmsea``,
        ``rmsea.ci.lower``, ``rmsea.ci.upper``, ``rmsea.pvalue``, ``srmr``, ``logl``,
        ``unrestricted.logl``, ``aic``, ``bic``, ``npar``, ``ntotal``, ``fmin``;
        MLR adds ``chisq.scaled``, ``pvalue.scaled``, ``chisq.scaling.factor``,
        ``baseline.chisq.scaled``, ``cfi.scaled``, ``tli.scaled``, ``rmsea.scaled``,
        ``cfi.robust``, ``tli.robust``, ``rmsea.robust`` and its interval).
    modification_indices : DataFrame
        lavaan's ``modindices()`` (ML and MLR fits; empty otherwise): ``lhs``,
        ``op``, ``rhs``, ``group``, ``mi`` (score test of freeing the parameter, χ²
        with 1 df, expected information), ``epc`` (expected parameter change),
        ``sepc_all`` (completely standardised), ``p_value``, for every fixed
        parameter whose freeing is identified, every missing loading and every
        missing residual covariance between observed variables.
    group_labels : list of str
        The groups of a multigroup fit, in the order of ``group`` (one entry when
        there is a single group). With several groups, :attr:`estimates`,
        :attr:`paths`, :attr:`loadings` and :attr:`r2` gain a leading ``group``
        index level, and the matrices are stacked by group.

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
    parameters: Frame = Field(default_factory=pd.DataFrame)
    fit_measures: Frame = Field(default_factory=pd.DataFrame)
    group_labels: list[str] = Field(default_factory=list)
    modification_indices: Frame = Field(default_factory=pd.DataFrame)

    _title: ClassVar[str] = "Covariance-based SEM"

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        s = self.settings
        f = self.fit["value"]
        header: list[tuple[str, object]] = [
            ("Model", s.get("model")),
            (
                "Method",
                f"CB-SEM, estimator {s.get('estimator')}"
                + (
                    (
                        " on polychoric/polyserial correlations (ordinal items "
                        + ", ".join(s["ordered"])
                        + "; the others continuous)"
                        if s.get("ordered")
                        else " on polychoric correlations (ordinal items)"
                    )
                    if s.get("ordinal")
                    else ""
                ),
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
            if s.get("estimator") == "MLR":
                kind = "Yuan–Bentler scaled chi-square"
                extra = (
                    f"scaling {f['scaling_factor']:.4f}; robust CFI {f['cfi_robust']:.4f}, "
                    f"RMSEA {f['rmsea_robust']:.4f}"
                )
            else:
                kind = "Scaled-shifted chi-square"
                extra = f"CFI {f['cfi_scaled']:.4f}, RMSEA {f['rmsea_scaled']:.4f}"
            header.append(
                (
                    kind,
                    f"{f['chi2_scaled']:.3f} on {int(f['df'])} df, "
                    f"p = {f['p_value_scaled']:.4g} ({extra})",
                )
            )
        if len(self.group_labels) > 1:
            sizes = s.get("group_sizes", {})
            groups = ", ".join(f"{g} ({sizes.get(g, '?')})" for g in self.group_labels)
            equal = ", ".join(s.get("group_equal", [])) or "none"
            header.append(("Groups", f"{s.get('group')}: {groups}; equal: {equal}"))
        if s.get("inference") == "bootstrap":
            header.append(
                (
                    "Standard errors",
                    f"bootstrap, {s.get('bootstrap')} draws ({s.get('n_failed')} failed), "
                    f"{s.get('bootstrap_method')} intervals, seed {s.get('random_state')}",
                )
            )
        else:
            header.append(("Standard errors", s.get("se")))
        constraints = s.get("inequality_constraints") or []
        if constraints:
            binding = [f"line {c['line']}: {c['constraint']}" for c in constraints if c["active"]]
            header.append(
                (
                    "Inequality constraints",
                    f"{len(binding)} of {len(constraints)} binding"
                    + (f" ({'; '.join(binding)})" if binding else ""),
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
        tables: dict[str, Any] = {}
        if len(self.paths):
            tables["Structural paths"] = self.paths[cols]
        tables["Loadings"] = self.loadings[cols]
        tables["R²"] = self.r2
        if len(self.indices):
            tables["0–100 indices"] = self.indices
        if len(self.thresholds):
            tables["Thresholds"] = self.thresholds
        if len(self.parameters) and (self.parameters["op"] == ":=").any():
            defined = self.parameters[self.parameters["op"] == ":="]
            tables["Defined parameters"] = defined.set_index("lhs")[
                ["rhs", "estimate", "std_error", "z", "p_value", "ci_lower", "ci_upper"]
            ]
        return header, tables

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


def _plot_segments(result: Any, kind: str | None, ax: Any, language: str, labels: str) -> Any:
    """Indices by segment (``"bar"``, ``"radar"``, ``"ranking"``), for SegmentedResult."""
    from csimodels.reports.charts import segmented_index_chart

    return segmented_index_chart(result, kind, ax=ax, language=language, labels=labels)


SEGMENT_PLOTS["CBSEMResult"] = _plot_segments


def _rebuild() -> None:
    from csimodels.sem import _cbsem_compare

    _cbsem_compare.InvarianceResult.model_rebuild(_types_namespace={"CBSEMResult": CBSEMResult})


_rebuild()
