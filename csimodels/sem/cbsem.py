"""Covariance-based SEM (CB-SEM) in lavaan's model syntax, matched to lavaan 0.6.

:class:`CBSEM` takes a model in lavaan syntax (or a :class:`ModelSpec`) and fits it
with ``fit(data, estimator=..., group=..., group_equal=[...], ...)``; the CSI presets'
``fit(method="cbsem")`` go through the same engine. The parts, one job each:

* :mod:`._cbsem_syntax` — the lavaan syntax parser and the parameter table;
* :mod:`._cbsem_ram` — the model algebra Σ(θ), μ(θ) and derivatives;
* :mod:`._cbsem_engine` — sample moments, discrepancy functions, the optimiser;
* :mod:`._cbsem_estimate` — estimation and standard errors;
* :mod:`._cbsem_robust` — MLR sandwich and Yuan–Bentler test, WLSMV test;
* :mod:`._cbsem_fit` — χ², CFI, TLI, RMSEA, SRMR, information criteria;
* :mod:`._cbsem_tables` — the lavaan-style parameter table, standardised SEs, ``:=``;
* :mod:`._cbsem_diagnostics` — data checks, identification, improper solutions;
* :mod:`._cbsem_compare` — PLS versus CB-SEM, χ² difference tests, invariance.

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
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import Field

from csimodels._lazy import lazy_module
from csimodels._settings import Settings
from csimodels.data.survey import SurveyData
from csimodels.errors import (
    DataQualityWarning,
    DataValidationError,
    InvalidParameterError,
    SpecificationError,
    format_offenders,
)
from csimodels.inference import Bootstrap, as_bootstrap, resolve_random_state
from csimodels.results import SEGMENT_PLOTS, Frame, MissingDataReport, Result
from csimodels.sem import _cbsem_fit as fitm
from csimodels.sem import _cbsem_robust as robust
from csimodels.sem._cbsem_compare import compare_pls_cbsem, modification_indices
from csimodels.sem._cbsem_diagnostics import diagnose, ordinal_moments
from csimodels.sem._cbsem_estimate import Estimation, GroupData, estimate
from csimodels.sem._cbsem_syntax import (
    GROUP_EQUAL,
    ParsedModel,
    build_partable,
    parse_syntax,
    spec_to_statements,
    spec_to_syntax,
)
from csimodels.sem._cbsem_tables import group_matrices, parameter_frame
from csimodels.sem.index import index_weights, respondent_indices
from csimodels.sem.spec import ModelSpec

stats = lazy_module("scipy.stats")

if TYPE_CHECKING:
    from csimodels.sem.model import PathModelBase

__all__ = [
    "CBSEM",
    "CBSEM_ESTIMATORS",
    "GROUP_EQUAL",
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
    "MLR": "maximum likelihood estimates with Huber–White (sandwich) standard errors "
    "and the Yuan–Bentler scaled chi-square (Mplus variant), as lavaan's "
    "estimator='MLR'; listwise deletion",
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
"""Estimators of :class:`CBSEM` and :func:`fit_cbsem` and what each does."""

#: Estimators that take ordinal items (``ordinal=True``).
ORDINAL_ESTIMATORS = ("DWLS", "ULS", "WLS", "WLSMV")
#: Extra rows of the fit table of an ordinal fit (NaN unless the test is robust).
ORDINAL_FIT_MEASURES = robust.ORDINAL_FIT_MEASURES
#: Estimators that fit several groups at once.
MULTIGROUP_ESTIMATORS = ("ML", "MLR")


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


# ---------------------------------------------------------------------------------------
# the public model
# ---------------------------------------------------------------------------------------


class CBSEM(Settings):
    """A covariance-based structural equation model in lavaan's model syntax.

    The constructor says what is estimated (the model and its identification);
    :meth:`fit` takes the data, the estimator, the groups and the inference.

    Attributes
    ----------
    syntax : str or ModelSpec
        The model (also the first positional argument), in lavaan model syntax:
        ``=~`` (loadings), ``~`` (regressions), ``~~`` (variances and covariances),
        ``~ 1`` (intercepts and means), ``:=`` (defined parameters, e.g. indirect
        effects ``ab := a*b``), ``==`` (equality of two
        labels, or a label fixed to a number); modifiers ``0.5*x`` (fixed), ``NA*x``
        (free), ``a*x`` (label; parameters sharing a label are equal),
        ``start(0.5)*x``, ``c(a1, a2)*x`` (one per group). Or a :class:`ModelSpec`
        (every construct reflective, every path a regression).
    std_lv : bool
        Identify each latent variable by fixing its (residual) variance to one and
        freeing every loading (lavaan's ``std.lv = TRUE``); default: the first
        loading of each factor is fixed to one.
    meanstructure : bool or None
        Model intercepts and means. None (default): as lavaan — on with groups,
        FIML or ``~ 1`` terms, off otherwise.

    Examples
    --------
    >>> import csimodels as csi
    >>> hs = csi.datasets.load_example("holzinger_swineford") if False else None
    >>> model = csi.CBSEM("visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6")
    >>> model.std_lv
    False
    """

    syntax: str | ModelSpec
    std_lv: bool = False
    meanstructure: bool | None = None

    def __init__(self, syntax: str | ModelSpec | None = None, /, **data: Any) -> None:
        if syntax is not None:
            if "syntax" in data:
                raise InvalidParameterError(
                    "CBSEM got the model twice (positionally and as syntax=...)"
                )
            data["syntax"] = syntax
        super().__init__(**data)
        if isinstance(self.syntax, str):
            parse_syntax(self.syntax)  # bad syntax fails here, naming the line

    def _parsed(self) -> tuple[ParsedModel, tuple[str, ...], str, ModelSpec | None]:
        if isinstance(self.syntax, ModelSpec):
            parsed, zero = spec_to_statements(self.syntax)
            return parsed, zero, spec_to_syntax(self.syntax), self.syntax
        return parse_syntax(self.syntax), (), self.syntax, None

    def fit(
        self,
        data: SurveyData | pd.DataFrame,
        *,
        estimator: str = "ML",
        group: str | None = None,
        group_equal: Sequence[str] = (),
        group_partial: Sequence[str] = (),
        ordered: bool | Sequence[str] = False,
        missing: str = "listwise",
        weight: str | object | None = ...,
        inference: int | Bootstrap | None = None,
        level: float = 0.95,
        by: str | Sequence[str] | None = None,
        min_segment_size: int | None = None,
        on_error: str = "skip",
        n_jobs: int = 1,
    ) -> Any:
        """Fit the model.

        Parameters
        ----------
        data : SurveyData or DataFrame
            One column per observed variable of the model (and the ``group`` column).
        estimator : str
            One of :data:`CBSEM_ESTIMATORS` ("ML", "MLR", "GLS", "ULS", "WLS",
            "DWLS", "WLSMV", "FIML").
        group : str, optional
            Column whose values define groups: a multigroup model (ML or MLR), with a
            mean structure, the latent means fixed at zero in the first group.
        group_equal : sequence of str
            Parameters held equal across groups, any of :data:`GROUP_EQUAL`
            ("loadings", "intercepts", "means", "residuals", "residual.covariances",
            "lv.variances", "lv.covariances", "regressions"). With equal intercepts
            the latent means are free in the other groups (lavaan's rule).
        group_partial : sequence of str
            Exceptions to ``group_equal`` in syntax form (``"visual =~ x2"``,
            ``"x3 ~ 1"``): partial invariance.
        ordered : bool or sequence of str
            Ordinal items (integer codes, at most 10 categories): True or every
            observed variable; estimators "DWLS", "WLSMV", "WLS", "ULS".
        missing : {"listwise", "fiml"}
            "fiml" is the same as ``estimator="FIML"``.
        weight : str or None
            Respondent weight column; None fits unweighted even when the SurveyData
            declares a weight. Default: the SurveyData's weight.
        inference : int or Bootstrap, optional
            Bootstrap the fit (lavaan's ``se = "bootstrap"``): respondents resampled
            with replacement, the model refitted per draw (batched Fisher scoring for
            single-group ML/MLR); ``std_error`` becomes the SD of the draws and
            ``ci_lower``/``ci_upper`` the percentile or BCa interval at the
            Bootstrap's ``level``, for every parameter, standardised estimate and
            defined effect. Failed draws are counted (``settings["n_failed"]``).
            An int is the number of draws.
        level : float
            Confidence level of ``ci_lower`` / ``ci_upper``.
        by : str or list of str, optional
            Segment column(s): the model is fitted in every segment (a
            cross-classification for several columns) and a
            :class:`~csimodels.results.SegmentedResult` is returned, with the pooled
            fit, one CBSEMResult per segment, the status table and ``overview``
            tables ``fit`` (χ², df, CFI, TLI, RMSEA, SRMR per segment) and
            ``std_estimates`` (completely standardised loadings and paths, one column
            per segment). For comparing parameters across groups with a test use
            ``group=`` instead.
        min_segment_size : int, optional
            Segments with fewer respondents are not fitted (default: one more than
            the number of observed variables).
        on_error : {"skip", "raise"}
            A segment that cannot be fitted is recorded as failed, or raises.
        n_jobs : int
            Segments fitted in parallel (joblib); numbers do not depend on it.

        Returns
        -------
        CBSEMResult, or SegmentedResult with ``by``

        Raises
        ------
        SpecificationError
            Bad syntax (naming the line), unidentified models (naming parameters).
        DataValidationError
            Too few respondents, singular covariance matrices (naming the group).
        InvalidParameterError
            Unknown estimator, group_equal keyword, or an option the estimator does
            not take.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> import csimodels as csi
        >>> rng = np.random.default_rng(1)
        >>> f = rng.normal(size=(300, 1))
        >>> df = pd.DataFrame(f @ [[1.0, 0.8, 0.6]] + rng.normal(scale=0.6, size=(300, 3)),
        ...                   columns=["a", "b", "c"])
        >>> res = csi.CBSEM("F =~ a + b + c").fit(df)
        >>> int(res.fit_measures.loc["df", "value"])
        0
        """
        options: dict[str, Any] = {
            "estimator": estimator,
            "group": group,
            "group_equal": group_equal,
            "group_partial": group_partial,
            "ordered": ordered,
            "missing": missing,
            "weight": weight,
            "inference": inference,
            "level": level,
        }
        if by is not None:
            return self._fit_by(data, by, options, min_segment_size, on_error, n_jobs)
        result, conditions = self.fit_collect(data, **options)
        _emit(conditions)
        return result

    def _fit_by(
        self,
        data: SurveyData | pd.DataFrame,
        by: str | Sequence[str],
        options: dict[str, Any],
        min_segment_size: int | None,
        on_error: str,
        n_jobs: int,
    ) -> Any:
        from csimodels.segments import fit_by

        if on_error not in ("skip", "raise"):
            raise InvalidParameterError(
                f"parameter 'on_error' of CBSEM.fit must be 'skip' or 'raise', got {on_error!r}"
            )
        columns = [by] if isinstance(by, str) else [str(b) for b in by]
        parsed, _, _, _ = self._parsed()
        items = _observed_names(parsed)
        if isinstance(data, SurveyData):
            survey = data
        elif isinstance(data, pd.DataFrame):
            missing_cols = [c for c in [*items, *columns] if c not in data.columns]
            if missing_cols:
                raise DataValidationError(
                    f"CBSEM.fit: column {format_offenders(missing_cols)} is not in the data"
                )
            keep = list(dict.fromkeys([*items, *columns]))
            survey = SurveyData.coerce(data[keep], items=items, segments=columns)
        else:
            raise DataValidationError(
                f"data must be a SurveyData or a pandas DataFrame, got {type(data).__name__}"
            )
        if min_segment_size is None:
            min_segment_size = max(2, len(items) + 1)

        def fit_one(part: SurveyData) -> CBSEMResult:
            res, found = self.fit_collect(part, **options)
            _emit(found)
            return res

        pooled = fit_one(survey)
        out = fit_by(
            survey,
            columns,
            fit_one,
            owner="CBSEM.fit",
            min_segment_size=min_segment_size,
            on_error="raise" if on_error == "raise" else "skip",
            n_jobs=n_jobs,
            pooled=pooled,
            headline=("fit",),
            settings={"model": "CBSEM", "method": "cbsem", "estimator": options["estimator"]},
        )
        measures = ["chi2", "df", "p_value", "cfi", "tli", "rmsea", "srmr"]
        fitted = {k: v for k, v in out.segments.items() if isinstance(v, CBSEMResult)}
        fits = {label: res.fit["value"].reindex(measures) for label, res in fitted.items()}
        fit_table = pd.DataFrame(fits).T
        fit_table.index.name = "segment"
        std = {}
        for label, res in fitted.items():
            body = res.parameters[res.parameters["op"].isin(["=~", "~"])]
            std[label] = pd.Series(
                body["std_estimate"].to_numpy(),
                index=pd.MultiIndex.from_frame(body[["lhs", "op", "rhs"]]),
            )
        overview = {"fit": fit_table}
        if std:
            overview["std_estimates"] = pd.DataFrame(std)
        return out.model_copy(update={"overview": overview})

    def fit_collect(
        self,
        data: SurveyData | pd.DataFrame,
        *,
        estimator: str = "ML",
        group: str | None = None,
        group_equal: Sequence[str] = (),
        group_partial: Sequence[str] = (),
        ordered: bool | Sequence[str] = False,
        missing: str = "listwise",
        weight: str | object | None = ...,
        inference: int | Bootstrap | None = None,
        level: float = 0.95,
    ) -> tuple[CBSEMResult, Conditions]:
        """:meth:`fit` returning the conditions found instead of warning."""
        if missing not in ("listwise", "fiml", "ml"):
            raise InvalidParameterError(
                f"parameter 'missing' of CBSEM.fit must be 'listwise' or 'fiml', got {missing!r}"
            )
        boot = as_bootstrap(inference, owner="CBSEM.fit")
        if not (isinstance(level, float | int) and 0 < float(level) < 1):
            raise InvalidParameterError(
                f"parameter 'level' of CBSEM.fit must be between 0 and 1, got {level!r}"
            )
        est_key = "FIML" if missing in ("fiml", "ml") else estimator
        if boot is not None and group is not None and boot.method == "bca":
            raise InvalidParameterError(
                "parameter 'inference' of CBSEM.fit: BCa intervals of a multigroup fit are "
                "not available; use Bootstrap(method='percentile')"
            )
        wants_ordinal = ordered if isinstance(ordered, bool) else len(ordered) > 0
        if boot is not None and wants_ordinal:
            raise InvalidParameterError(
                "parameter 'inference' of CBSEM.fit: the bootstrap of ordinal fits is not "
                "available yet; use estimator='WLSMV' for robust standard errors"
            )
        parsed, zero, syntax, spec = self._parsed()
        observed_names = _observed_names(parsed)
        if isinstance(ordered, bool):
            ordinal = ordered
        else:
            items = [str(v) for v in ordered]
            unknown = sorted(set(items) - set(observed_names))
            if unknown:
                raise InvalidParameterError(
                    f"parameter 'ordered' of CBSEM.fit names {format_offenders(unknown)}, "
                    "which are not observed variables of the model"
                )
            rest = [v for v in observed_names if v not in items]
            if items and rest:
                raise InvalidParameterError(
                    "parameter 'ordered' of CBSEM.fit: mixed continuous and ordinal items "
                    f"are not supported yet ({format_offenders(rest)} would be continuous); "
                    "declare every observed variable ordered, or none"
                )
            ordinal = bool(items)
        key = _check_estimator(est_key, ordinal)
        equal = tuple(str(v) for v in group_equal)
        unknown_eq = sorted(set(equal) - set(GROUP_EQUAL))
        if unknown_eq:
            raise InvalidParameterError(
                f"parameter 'group_equal' of CBSEM.fit: {format_offenders(unknown_eq)} "
                f"unknown; use any of {format_offenders(sorted(GROUP_EQUAL), limit=10)}"
            )
        partial = tuple(_partial_key(str(v)) for v in group_partial)
        survey = _coerce(data, observed_names, group, weight)
        return _fit_survey(
            parsed,
            zero,
            syntax,
            spec,
            survey,
            estimator=key,
            ordinal=ordinal,
            group=group,
            group_equal=equal,
            group_partial=partial,
            std_lv=self.std_lv,
            meanstructure=self.meanstructure,
            model_name="CBSEM",
            level=float(level),
            boot=boot,
        )


def _observed_names(parsed: ParsedModel) -> list[str]:
    latent = {n for s in parsed.statements if s.op == "=~" for n in s.lhs}
    out: list[str] = []
    for s in parsed.statements:
        for name in [*s.lhs, *(t.name for t in s.terms)]:
            if name != "1" and name not in latent and name not in out:
                out.append(name)
    return out


def _partial_key(text: str) -> tuple[str, str, str]:
    parsed = parse_syntax(text)
    s = parsed.statements[0]
    t = s.terms[0]
    if s.op == "~" and t.name == "1":
        return (s.lhs[0], "~1", "")
    return (s.lhs[0], s.op, t.name)


def _coerce(
    data: SurveyData | pd.DataFrame, items: list[str], group: str | None, weight: object
) -> SurveyData:
    if isinstance(data, SurveyData):
        survey = data
        if weight is not ... and weight != survey.weight:
            if weight is not None and (
                not isinstance(weight, str) or weight not in survey.frame.columns
            ):
                raise DataValidationError(f"weight column {weight!r} is not a column of the data")
            # this fit only: the caller's SurveyData is not changed
            survey = survey.model_copy(update={"weight": weight})
    elif isinstance(data, pd.DataFrame):
        missing_cols = [c for c in [*items, *([group] if group else [])] if c not in data.columns]
        if missing_cols:
            raise SpecificationError(
                f"variable {format_offenders(missing_cols)} of the model is neither a latent "
                "variable (left of '=~') nor a column of the data"
            )
        cols = list(dict.fromkeys([*items, *([group] if group else [])]))
        w = weight if isinstance(weight, str) else None
        if w is not None:
            cols.append(w)
        survey = SurveyData.coerce(
            data[cols], items=items, weight=w, segments=[group] if group else ()
        )
    else:
        raise DataValidationError(
            f"data must be a SurveyData or a pandas DataFrame, got {type(data).__name__}"
        )
    return survey


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

    The same engine as :class:`CBSEM` (``CBSEM(spec).fit(survey, ...)``).

    Parameters
    ----------
    model : PathModelBase
        The path model (its name and settings are recorded).
    spec : ModelSpec
        Reflective constructs only; a formative construct raises
        :class:`SpecificationError` suggesting PLS.
    survey : SurveyData
    estimator : {"ML", "MLR", "GLS", "ULS", "WLS", "DWLS", "WLSMV", "FIML"}
        See :data:`CBSEM_ESTIMATORS`. All but FIML delete incomplete respondents
        listwise; FIML uses every answer.
    ordinal : bool
        Treat every indicator as ordinal (integer-coded, at most 10 categories): the
        model is fitted to polychoric correlations and thresholds (lavaan's
        ``ordered=``, delta parameterisation) with ``estimator`` "DWLS", "WLSMV",
        "WLS" or "ULS". See ``docs/cbsem.md``.

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
    parsed, zero = spec_to_statements(spec)
    return _fit_survey(
        parsed,
        zero,
        spec_to_syntax(spec),
        spec,
        survey,
        estimator=key,
        ordinal=ordinal,
        model_name=type(model).__name__,
    )


def _emit(conditions: Conditions) -> None:
    for message, category in conditions:
        warnings.warn(message, category, stacklevel=4)


def _fit_survey(
    parsed: ParsedModel,
    zero: tuple[str, ...],
    syntax: str,
    spec: ModelSpec | None,
    survey: SurveyData,
    *,
    estimator: str,
    ordinal: bool,
    group: str | None = None,
    group_equal: tuple[str, ...] = (),
    group_partial: tuple[tuple[str, str, str], ...] = (),
    std_lv: bool = False,
    meanstructure: bool | None = None,
    model_name: str = "CBSEM",
    level: float = 0.95,
    boot: Bootstrap | None = None,
) -> tuple[CBSEMResult, Conditions]:
    items = _observed_names(parsed)
    missing_cols = [c for c in items if c not in survey.items]
    if missing_cols:
        raise SpecificationError(
            f"variable {format_offenders(missing_cols)} of the model is neither a latent "
            "variable (left of '=~') nor an item of the data"
        )
    fiml = estimator == "FIML"
    matrix = survey.item_matrix(items, missing="pairwise" if fiml else "listwise")
    x = np.asarray(matrix.values, dtype=np.float64)
    report = matrix.report
    rows, w = pd.Index(matrix.rows), matrix.weights
    if fiml:
        empty: NDArray[np.bool_] = np.asarray(np.isnan(x).all(axis=1), dtype=bool)
        if empty.any():
            x = x[~empty]
            rows = rows[~empty]
            w = None if w is None else w[~empty]
        report = MissingDataReport(
            strategy="none" if not np.isnan(x).any() else "pairwise",
            n_rows=report.n_rows,
            n_rows_used=int(x.shape[0]),
            n_rows_dropped=int(empty.sum()),
        )
    if w is not None and (estimator in ("FIML", "WLS", "DWLS", "WLSMV") or ordinal):
        raise InvalidParameterError(
            f"estimator {estimator!r} does not take respondent weights (its weight matrix or "
            f"casewise likelihood is unweighted); use estimator='ML', 'GLS' or 'ULS' "
            f"(weighted moments), or fit(weight=None) to ignore the weight column "
            f"{survey.weight!r}"
        )
    if w is not None and estimator == "ML":
        # lavaan's sampling.weights: ML estimates on the weighted moments, robust
        # (Huber-White) standard errors and the Yuan-Bentler test, i.e. MLR
        estimator = "MLR"
    scales = _scale_bounds(items, survey)
    groups: list[GroupData]
    labels: list[str]
    if group is None:
        groups = [GroupData("1", x, w)]
        labels = ["1"]
    else:
        if estimator not in MULTIGROUP_ESTIMATORS:
            raise InvalidParameterError(
                f"estimator {estimator!r} does not fit several groups here; use one of "
                f"{format_offenders(list(MULTIGROUP_ESTIMATORS))} with group={group!r}"
            )
        if ordinal:
            raise InvalidParameterError("ordinal items with group= are not supported yet")
        frame = survey.frame
        if group not in frame.columns:
            raise DataValidationError(f"group column {group!r} is not a column of the data")
        values = frame.loc[rows, group]
        if values.isna().any():
            bad = [str(r) for r in rows[values.isna().to_numpy()]]
            raise DataValidationError(
                f"group column {group!r} is missing for rows {format_offenders(bad)}; "
                "drop them or give them a group"
            )
        uniq = list(pd.unique(values))
        if len(uniq) < 2:
            raise DataValidationError(
                f"group column {group!r} has a single value ({uniq[0]!r}): nothing to compare"
            )
        groups = []
        labels = []
        gv = values.to_numpy()
        for u in uniq:
            mask = gv == u
            groups.append(GroupData(str(u), x[mask], None if w is None else w[mask]))
            labels.append(str(u))
    ms = meanstructure
    if ms is None:
        ms = group is not None or fiml
    if ms and (estimator not in ("ML", "MLR", "FIML") or ordinal):
        raise InvalidParameterError(
            f"a mean structure (intercepts, '~ 1', or groups) is available with ML, MLR "
            f"and FIML; estimator {estimator!r} fits covariances only"
        )
    table = build_partable(
        parsed,
        n_groups=len(groups),
        std_lv=std_lv,
        meanstructure=ms,
        group_equal=group_equal,
        group_partial=group_partial,
        zero_residual=zero,
    )
    if table.meanstructure and (estimator not in ("ML", "MLR", "FIML") or ordinal):
        raise InvalidParameterError(
            f"intercepts ('~ 1') are available with ML, MLR and FIML; estimator "
            f"{estimator!r} fits covariances only"
        )
    conditions: Conditions = []
    om = None
    if ordinal:
        scale_map: dict[str, tuple[float, float]] = {}
        if scales is not None:
            for j, item in enumerate(items):
                scale_map[item] = (float(scales[0][j]), float(scales[1][j]))
        om = ordinal_moments(x, items, list(table.observed), scale_map, conditions)
    est = estimate(table, groups, items, estimator, ordinal=om, conditions=conditions)
    result = _build_result(
        est,
        syntax=syntax,
        spec=spec,
        x=x,
        columns=items,
        rows=rows,
        report=report,
        weights=w,
        scales=scales,
        weight_name=survey.weight,
        model_name=model_name,
        group_labels=labels,
        group=group,
        group_equal=group_equal,
        std_lv=std_lv,
        level=level,
        conditions=conditions,
        boot=boot,
    )
    return result, conditions


def _scale_bounds(items: list[str], survey: SurveyData) -> tuple[FloatArray, FloatArray] | None:
    lower = np.empty(len(items))
    upper = np.empty(len(items))
    for j, item in enumerate(items):
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
    """Fit a model written in lavaan syntax on a plain DataFrame (tests, benchmarks).

    The same engine as :class:`CBSEM`; rows with a missing answer are deleted (except
    for FIML); no 0–100 indices (answer scales unknown).
    """
    key = _check_estimator(estimator, ordinal)
    parsed = parse_syntax(syntax)
    items = _observed_names(parsed)
    missing_cols = [c for c in items if c not in data.columns]
    if missing_cols:
        raise SpecificationError(
            f"variable {format_offenders(missing_cols)} of the model is not a column of the data"
        )
    x_all = data[items].to_numpy(dtype=np.float64)
    n_rows = int(x_all.shape[0])
    if key != "FIML":
        keep = ~np.isnan(x_all).any(axis=1)
        x = x_all[keep]
        rows = data.index[keep]
    else:
        x, rows = x_all, data.index
    report = MissingDataReport(
        strategy="listwise" if key != "FIML" else "pairwise",
        n_rows=n_rows,
        n_rows_used=int(x.shape[0]),
        n_rows_dropped=n_rows - int(x.shape[0]),
    )
    table = build_partable(parsed, meanstructure=key == "FIML")
    conditions: Conditions = []
    om = ordinal_moments(x, items, list(table.observed), {}, conditions) if ordinal else None
    est = estimate(table, [GroupData("1", x, None)], items, key, ordinal=om, conditions=conditions)
    result = _build_result(
        est,
        syntax=syntax,
        spec=None,
        x=x,
        columns=items,
        rows=pd.Index(rows),
        report=report,
        weights=None,
        scales=None,
        weight_name=None,
        model_name=model_name,
        group_labels=["1"],
        group=None,
        group_equal=(),
        std_lv=False,
        level=0.95,
        conditions=conditions,
    )
    _emit(conditions)
    return result


LEGACY_COLUMNS = ["free", "estimate", "std_error", "z", "p_value", "std_estimate"]


def _build_result(
    est: Estimation,
    *,
    syntax: str,
    spec: ModelSpec | None,
    x: FloatArray,
    columns: list[str],
    rows: pd.Index,
    report: MissingDataReport,
    weights: FloatArray | None,
    scales: tuple[FloatArray, FloatArray] | None,
    weight_name: str | None,
    model_name: str,
    group_labels: list[str],
    group: str | None,
    group_equal: tuple[str, ...],
    std_lv: bool,
    level: float,
    conditions: Conditions,
    boot: Bootstrap | None = None,
) -> CBSEMResult:
    table = est.table
    estimator = est.estimator
    multi = table.n_groups > 1
    measures, resid = fitm.global_fit(est)
    names_fit = list(fitm.FIT_MEASURES)
    if est.ordinal is not None:
        frame0 = est.frames[0]
        measures.update(
            robust.ordinal_robust_measures(
                frame0,
                frame0.moment_jacobian(est.theta),
                chi2=measures["chi2"],
                df=est.df,
                base_chi2=measures["baseline_chi2"],
                base_df=int(measures["baseline_df"]),
                n=est.n,
                robust=estimator == "WLSMV" and not est.singular_info,
            )
        )
        names_fit += list(ORDINAL_FIT_MEASURES)
    if estimator == "MLR":
        measures.update(robust.mlr_measures(est, measures))
        names_fit += list(robust.MLR_FIT_MEASURES)
    fit_table = pd.DataFrame(
        {"value": [measures[k] for k in names_fit]},
        index=pd.Index(names_fit, name="measure"),
    )
    lavaan_keys = [*names_fit, "unrestricted_loglik"]
    fit_measures = pd.DataFrame(
        {"value": [measures[k] for k in lavaan_keys]},
        index=pd.Index([fitm.LAVAAN_NAMES.get(k, k) for k in lavaan_keys], name="measure"),
    )
    params = parameter_frame(est, group_labels, level=level)
    boot_settings: dict[str, Any] = {}
    if boot is not None:
        params, boot_settings = _apply_bootstrap(est, params, boot, conditions)
    body = params[params["op"] != ":="]
    keys = ["group", "lhs", "op", "rhs"] if multi else ["lhs", "op", "rhs"]
    estimates = body.set_index(keys)[LEGACY_COLUMNS]
    if (params["op"] == ":=").any():
        defined = params[params["op"] == ":="].set_index(["lhs", "op", "rhs"])[LEGACY_COLUMNS]
        if multi:
            defined.index = pd.MultiIndex.from_tuples([(0, *k) for k in defined.index], names=keys)
        estimates = pd.concat([estimates, defined])
    construct_order = list(spec.construct_names) if spec is not None else list(table.latent)

    load = body[body["op"] == "=~"]
    path = body[body["op"] == "~"]
    if multi:
        load_rows = load.set_index(["group", "lhs", "rhs"])[LEGACY_COLUMNS]
        load_rows.index.names = ["group", "construct", "indicator"]
        path_rows = path.set_index(["group", "rhs", "lhs"])[LEGACY_COLUMNS]
        path_rows.index.names = ["group", "from", "to"]
    else:
        load_rows = load.set_index(["lhs", "rhs"])[LEGACY_COLUMNS]
        load_rows.index.names = ["construct", "indicator"]
        path_rows = path.set_index(["rhs", "lhs"])[LEGACY_COLUMNS]
        path_rows.index.names = ["from", "to"]
        if spec is not None:
            path_rows = path_rows.reindex(
                pd.MultiIndex.from_tuples(spec.paths, names=["from", "to"])
            )
            order = [(c.name, i) for c in spec.constructs for i in c.indicators]
            load_rows = load_rows.reindex(
                pd.MultiIndex.from_tuples(order, names=["construct", "indicator"])
            )
    latent = list(table.latent)
    observed = list(table.observed)
    pos = est.ram.position
    lat_idx = [pos[v] for v in latent]
    obs_idx = [pos[v] for v in observed]
    r2_parts, lat_covs, lat_cors, sigmas, resids = [], [], [], [], []
    endogenous = {r.lhs for r in table.rows if r.op == "~"}
    for g in range(table.n_groups):
        s_mat, c_mat, _ = group_matrices(est, est.theta, g)
        r2_rows = []
        for v in [*latent, *observed]:
            if v in latent and v not in endogenous:
                continue
            k = pos[v]
            r2_rows.append(
                {
                    "variable": v,
                    "r2": 1 - s_mat[k, k] / c_mat[k, k] if c_mat[k, k] > 0 else np.nan,
                    "kind": "construct" if v in latent else "indicator",
                }
            )
        r2g = pd.DataFrame(r2_rows, columns=["variable", "r2", "kind"]).set_index("variable")
        r2_parts.append(r2g)
        lat_cov = c_mat[np.ix_(lat_idx, lat_idx)]
        sd = np.sqrt(np.clip(np.diag(lat_cov), 1e-300, None))
        lat_cor = lat_cov / np.outer(sd, sd)
        lat_covs.append(pd.DataFrame(lat_cov, index=latent, columns=latent))
        lat_cors.append(pd.DataFrame(lat_cor, index=latent, columns=latent))
        sigma = c_mat[np.ix_(obs_idx, obs_idx)]
        sigmas.append(pd.DataFrame(sigma, index=observed, columns=observed))
        resids.append(pd.DataFrame(resid[g], index=observed, columns=observed))
        prefix = f"group {group_labels[g]!r}: " if multi else ""
        sub = body[body["group"] == g + 1].set_index(["lhs", "op", "rhs"])
        found: Conditions = []
        keep = [k for k in range(est.q) if k not in _dependent_positions(est)]
        diagnose(
            found,
            estimates=sub,
            latent_names=latent,
            lat_cov=lat_cov,
            lat_cor=lat_cor,
            sigma=sigma,
            observed_names=observed,
            vcov=est.vcov[np.ix_(keep, keep)],
            free_names=[est.names[k] for k in keep],
            singular_info=est.singular_info,
        )
        for message, category in found:
            entry = (prefix + message, category)
            if g == 0 or not (
                message.startswith("the information matrix") or "nearly flat" in message
            ):
                conditions.append(entry)

    def stack(parts: list[pd.DataFrame]) -> pd.DataFrame:
        if not multi:
            return parts[0]
        return pd.concat(parts, keys=list(range(1, len(parts) + 1)), names=["group"])

    r2 = stack(r2_parts)
    threshold_table = pd.DataFrame()
    polychoric = pd.DataFrame()
    if est.ordinal is not None:
        frame0 = est.frames[0]
        th = params[params["op"] == "|"]
        threshold_table = pd.DataFrame(
            {
                "item": th["lhs"].to_numpy(),
                "threshold": th["rhs"].to_numpy(),
                "sample": np.asarray(frame0.sample_th, dtype=np.float64),
                "estimate": th["estimate"].to_numpy(),
                "std_error": th["std_error"].to_numpy(),
            }
        ).set_index(["item", "threshold"])
        polychoric = pd.DataFrame(frame0.s.copy(), index=observed, columns=observed)
    labels = (
        {c.name: c.label or c.name for c in spec.constructs}
        if spec is not None
        else {v: v for v in latent}
    )
    scores, indices, resp_idx = _scores_and_indices(
        est,
        spec=spec,
        x=x,
        columns=columns,
        rows=rows,
        weights=weights,
        scales=scales,
        construct_order=construct_order,
        labels=labels,
        load_rows=load_rows,
        conditions=conditions,
    )
    settings: dict[str, Any] = {
        "model": model_name,
        "method": "cbsem",
        "estimator": estimator,
        "engine": "csimodels RAM model algebra, Fisher scoring (lavaan 0.6 conventions)",
        "solver": est.solver,
        "gtol": 1e-9,
        "start": "composite-based (first principal component per construct)",
        "missing": "fiml" if estimator == "FIML" else "listwise",
        "weight": weight_name,
        "n": est.n,
        "n_used": est.n,
        "index": "own-indicator factor-score (regression-method) weights on the answers, "
        "normalised to sum to one; declared scale bounds",
        "information": "observed" if estimator in ("FIML", "MLR") else "expected",
        "ordinal": est.ordinal is not None,
        "se": est.se_type,
        "test": {"WLSMV": "scaled.shifted", "MLR": "yuan.bentler.mplus"}.get(estimator, "standard"),
        "inference": est.se_type,
        "level": level,
        "std_lv": std_lv,
        "meanstructure": table.meanstructure,
        "group": group,
        "group_equal": list(group_equal),
        "n_groups": table.n_groups,
        "n_equality_constraints": table.n_equalities,
    }
    settings.update(boot_settings)
    mod_indices = pd.DataFrame()
    if estimator in ("ML", "MLR") and not est.singular_info:
        mod_indices = modification_indices(est, group_labels)
    if multi:
        settings["group_sizes"] = {
            lab: fr.n for lab, fr in zip(group_labels, est.frames, strict=True)
        }
    if est.ordinal is not None:
        settings["moments"] = (
            "thresholds and polychoric correlations (two-step; Muthén 1984 asymptotic "
            "covariance), delta parameterisation"
        )
        settings["empty_cell_correction"] = (
            "2x2 tables with one empty cell: 0.5 added keeping the margins (lavaan's "
            "zero.add); larger tables: none"
        )
    return CBSEMResult(
        spec=spec,
        syntax=syntax,
        aliases={},
        construct_labels=labels,
        estimates=estimates,
        paths=path_rows,
        loadings=load_rows,
        r2=r2,
        fit=fit_table,
        latent_covariances=stack(lat_covs),
        latent_correlations=stack(lat_cors),
        implied_covariance=stack(sigmas),
        residuals=stack(resids),
        scores=scores,
        indices=indices,
        respondent_indices=resp_idx,
        iterations=est.iterations,
        converged=est.converged,
        max_gradient=est.max_gradient,
        missing=report,
        settings=settings,
        notes=tuple(m for m, _ in conditions),
        thresholds=threshold_table,
        polychoric=polychoric,
        parameters=params,
        fit_measures=fit_measures,
        group_labels=group_labels,
        modification_indices=mod_indices,
    )


def _apply_bootstrap(
    est: Estimation, params: pd.DataFrame, boot: Bootstrap, conditions: Conditions
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Bootstrap SEs and intervals on every row of the parameter table."""
    from csimodels.errors import ConvergenceWarning
    from csimodels.sem import _cbsem_bootstrap as cbb

    seed = resolve_random_state(boot.random_state, owner="CBSEM.fit")
    draws, n_failed, iterations = cbb.run(
        est, n_draws=boot.n, seed=seed, chunk_size=boot.chunk_size, n_jobs=boot.n_jobs
    )
    jack = cbb.jackknife(est) if boot.method == "bca" else None
    k = len(params)
    point = cbb.statistics(est, est.theta)
    out = params.copy()
    zq = float(stats.norm.ppf(0.5 + boot.level / 2))
    del zq
    se, lo, hi, sse = (np.full(k, np.nan) for _ in range(4))
    for j in range(k):
        if not bool(out["free"].iloc[j]):
            continue
        se[j] = cbb.sd(draws[:, j])
        lo[j], hi[j] = cbb.interval(
            draws[:, j],
            float(point[j]),
            boot.level,
            boot.method,
            None if jack is None else jack[:, j],
        )
        sse[j] = cbb.sd(draws[:, k + j])
    out["std_error"] = se
    with np.errstate(all="ignore"):
        z = out["estimate"].to_numpy(dtype=float) / se
    out["z"] = z
    out["p_value"] = np.where(np.isfinite(z), 2 * stats.norm.sf(np.abs(z)), np.nan)
    out["ci_lower"] = lo
    out["ci_upper"] = hi
    out["std_std_error"] = np.where(out["free"].to_numpy(dtype=bool), sse, out["std_std_error"])
    if n_failed:
        conditions.append(
            (
                f"{n_failed} of {boot.n} bootstrap draws did not converge and were left out "
                "(as lavaan does); the bootstrap statistics use the others",
                ConvergenceWarning,
            )
        )
    settings = {
        "inference": "bootstrap",
        "se": "bootstrap",
        "bootstrap": boot.n,
        "bootstrap_method": boot.method,
        "level": boot.level,
        "random_state": seed,
        "n_failed": n_failed,
        "bootstrap_iterations": iterations,
    }
    return out, settings


def _dependent_positions(est: Estimation) -> set[int]:
    if est.ordinal is None:
        return set()
    from csimodels.sem._cbsem_estimate import dependent_variances

    dep = dependent_variances(est.table, est.frames[0])
    return {
        r.free - 1
        for r in est.table.rows
        if r.free and r.op == "~~" and r.lhs == r.rhs and r.lhs in dep
    }


def _scores_and_indices(
    est: Estimation,
    *,
    spec: ModelSpec | None,
    x: FloatArray,
    columns: list[str],
    rows: pd.Index,
    weights: FloatArray | None,
    scales: tuple[FloatArray, FloatArray] | None,
    construct_order: list[str],
    labels: dict[str, str],
    load_rows: pd.DataFrame,
    conditions: Conditions,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Factor scores (regression method) and the 0–100 indices of a single-group fit."""
    scores = pd.DataFrame(index=rows, columns=pd.Index(construct_order), dtype=float)
    indices = pd.DataFrame(
        {"index": pd.Series(dtype=float), "label": pd.Series(dtype=object)},
        index=pd.Index([], name="construct"),
    )
    resp_idx = pd.DataFrame(index=rows, columns=pd.Index(construct_order), dtype=float)
    load_rows["index_weight"] = np.nan
    if est.table.n_groups > 1 or not est.table.latent:
        return scores, indices, resp_idx
    estimator = est.estimator
    frame = est.frames[0]
    table = est.table
    pos = est.ram.position
    latent = list(table.latent)
    observed = list(table.observed)
    _, c_mat, mu_all = group_matrices(est, est.theta, 0)
    obs_idx = [pos[v] for v in observed]
    lat_idx = [pos[v] for v in latent]
    sigma = c_mat[np.ix_(obs_idx, obs_idx)]
    if not bool(np.linalg.eigvalsh(sigma)[0] > 0):
        return scores, indices, resp_idx
    obs_pos = {v: i for i, v in enumerate(observed)}
    wfs = c_mat[np.ix_(lat_idx, obs_idx)] @ np.linalg.inv(sigma)  # latent x observed
    xo = x[:, [columns.index(c) for c in observed]]
    if estimator != "FIML" and est.ordinal is None:
        sc = (xo - frame.mean) @ wfs.T
        scores = pd.DataFrame(sc, index=rows, columns=pd.Index(latent))[construct_order]
    if spec is None:
        return scores, indices, resp_idx
    blocks = []
    start = 0
    for c in spec.constructs:
        blocks.append(np.arange(start, start + len(c.indicators), dtype=np.int64))
        start += len(c.indicators)
    item_order = list(spec.indicators)
    item_pos = [obs_pos[i] for i in item_order]
    raw = np.empty(len(item_order))
    for j, c in enumerate(spec.constructs):
        lat_j = latent.index(c.name)
        raw[blocks[j]] = wfs[lat_j, [item_pos[b] for b in blocks[j]]]
    v = index_weights(raw, np.ones_like(raw), blocks)
    load_rows["index_weight"] = v
    bad = [item_order[j] for j in np.flatnonzero(v < 0)]
    if bad:
        conditions.append(
            (
                f"negative factor-score weights for {format_offenders(bad)}: the "
                "0–100 index of their construct is not a convex combination of its items",
                DataQualityWarning,
            )
        )
    if scales is None:
        conditions.append(
            (
                "0–100 indices not computed: the answer scales of the indicators are "
                "unknown; pass a SurveyData with scale=(min, max) (or "
                "SurveyData.from_frame(df, scale=...)) to get them",
                DataQualityWarning,
            )
        )
        return scores, indices, resp_idx
    lower, upper = scales
    lower = lower[[columns.index(i) for i in item_order]]
    upper = upper[[columns.index(i) for i in item_order]]
    xi = x[:, [columns.index(i) for i in item_order]]
    missing_any: NDArray[np.bool_] = np.asarray(np.isnan(xi).any(axis=1), dtype=bool)
    filled = np.where(np.isnan(xi), 0.0, xi)
    per = respondent_indices(filled, v, lower, upper, blocks)
    names = list(spec.construct_names)
    if estimator == "FIML":
        # the index is linear: the index of the FIML means is the mean index
        mu_items = mu_all[[pos[i] for i in item_order]]
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
    return scores, indices, resp_idx


# ---------------------------------------------------------------------------------------
# demo
# ---------------------------------------------------------------------------------------


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
    cb, _ = fit_cbsem_collect(acsi, acsi.to_spec(), data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
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


def _rebuild() -> None:
    from csimodels.sem import _cbsem_compare

    _cbsem_compare.InvarianceResult.model_rebuild(_types_namespace={"CBSEMResult": CBSEMResult})


_rebuild()
