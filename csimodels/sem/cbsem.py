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
* :mod:`._cbsem_compare` — PLS versus CB-SEM, χ² difference tests, invariance,
  modification indices;
* :mod:`._cbsem_bootstrap` — the batched bootstrap;
* :mod:`._cbsem_options`, :mod:`._cbsem_run`, :mod:`._cbsem_build`,
  :mod:`._cbsem_result` — estimator checks, the data gate and orchestration, result
  assembly, the result object.

Examples
--------
>>> import csimodels as csi
>>> data = csi.datasets.load_example("acsi_demo")
>>> res = csi.ACSI(indicators=data.constructs).fit(data, method="cbsem")
>>> float(res.fit.loc["cfi", "value"]) > 0.9
True
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from csimodels._settings import Settings
from csimodels.data._dask_tasks import as_dask_source
from csimodels.data.survey import SurveyData
from csimodels.errors import DataValidationError, InvalidParameterError, format_offenders
from csimodels.inference import Bootstrap, as_bootstrap
from csimodels.results import SegmentedResult
from csimodels.sem import _cbsem_robust as robust
from csimodels.sem._cbsem_compare import compare_pls_cbsem
from csimodels.sem._cbsem_options import (
    CBSEM_ESTIMATORS,
    MULTIGROUP_ESTIMATORS,
    ORDINAL_ESTIMATORS,
    check_estimator,
)
from csimodels.sem._cbsem_partable import GROUP_EQUAL, spec_to_statements, spec_to_syntax
from csimodels.sem._cbsem_result import CBSEMResult
from csimodels.sem._cbsem_run import (
    coerce,
    emit,
    fit_survey,
    fit_syntax,
    observed_names,
    partial_key,
)
from csimodels.sem._cbsem_syntax import ParsedModel, parse_syntax
from csimodels.sem.spec import ModelSpec

if TYPE_CHECKING:
    from csimodels.sem.model import PathModelBase

__all__ = [
    "CBSEM",
    "CBSEM_ESTIMATORS",
    "GROUP_EQUAL",
    "MULTIGROUP_ESTIMATORS",
    "ORDINAL_ESTIMATORS",
    "ORDINAL_FIT_MEASURES",
    "CBSEMResult",
    "compare_pls_cbsem",
    "demo_section",
    "fit_cbsem",
]

Conditions = list[tuple[str, type[Warning]]]

#: Extra rows of the fit table of an ordinal fit (NaN unless the test is robust).
ORDINAL_FIT_MEASURES = robust.ORDINAL_FIT_MEASURES
#: Kept for the tests and benchmarks: fit lavaan syntax on a plain DataFrame.
_fit_syntax = fit_syntax
_check_estimator = check_estimator

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
        labels, or a label fixed to a number), ``<`` and ``>`` (inequality
        constraints on labels and defined parameters, e.g. ``a > 0``, ``ab < 1``;
        binding ones are treated as equalities for the standard errors, χ² and df
        are unchanged, as lavaan); modifiers ``0.5*x`` (fixed), ``NA*x``
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
        data : SurveyData, DataFrame, dask DataFrame or parquet path
            One column per observed variable of the model (and the ``group`` column).
            A dask DataFrame or a parquet file or directory is fitted out of core from
            its weighted moments (ML without weights, GLS, ULS; multigroup ML; the
            same numbers), see :mod:`csimodels.sem._cbsem_dask`.
        estimator : str
            One of :data:`CBSEM_ESTIMATORS` ("ML", "MLR", "GLS", "ULS", "WLS",
            "DWLS", "WLSMV", "ULSMV", "FIML").
        group : str, optional
            Column whose values define groups: a multigroup model (ML or MLR, or with
            ordinal items DWLS/WLSMV/WLS/ULS/ULSMV), with a mean structure, the latent means
            fixed at zero in the first group.
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
            observed variable; estimators "DWLS", "WLSMV", "WLS", "ULS", "ULSMV".
            A subset:
            the other items are continuous (polyserial correlations, lavaan's mixed
            two-step statistics). With ``group=``, ``group_equal`` may also hold
            "thresholds" (scale factors and latent means then free in later groups).
        missing : {"listwise", "fiml"}
            "fiml" (lavaan's "ml") is full-information ML: with ``estimator="ML"`` the
            same as ``estimator="FIML"``; with ``estimator="MLR"`` robust
            (Huber–White) standard errors from the casewise scores and the
            Yuan–Bentler scaled χ², as lavaan's ``estimator="MLR", missing="ml"``.
        weight : str or None
            Respondent weight column; None fits unweighted even when the SurveyData
            declares a weight. Default: the SurveyData's weight. Sampling weights as
            lavaan's ``sampling.weights`` (ML becomes MLR; ordinal estimators use
            weighted thresholds, correlations and Γ); refused by WLS/DWLS of
            continuous items.
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
        source = as_dask_source(data, owner="CBSEM.fit")
        if source is not None:  # out of core: weighted moments per partition
            from csimodels.sem._cbsem_dask import fit_dask

            return fit_dask(
                self, source, options, by=by, min_segment_size=min_segment_size, on_error=on_error
            )
        if by is not None:
            return self._fit_by(data, by, options, min_segment_size, on_error, n_jobs)
        result, conditions = self.fit_collect(data, **options)
        emit(conditions)
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
        items = observed_names(parsed)
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
            emit(found)
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
        return segment_overview(out)

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
        _keep: list[object] | None = None,
    ) -> tuple[CBSEMResult, Conditions]:
        """:meth:`fit` returning the conditions found instead of warning (``_keep``,
        internal: receives the estimation, for tests that need its matrices)."""
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
        robust_fiml = False
        if missing in ("fiml", "ml"):
            asked = str(estimator).upper()
            if asked not in ("ML", "MLR", "FIML"):
                raise InvalidParameterError(
                    f"parameter 'missing' of CBSEM.fit: missing='fiml' is full-information "
                    f"maximum likelihood; use estimator='ML' (or 'FIML') or 'MLR' with it, "
                    f"not {estimator!r}"
                )
            robust_fiml = asked == "MLR"
        parsed, zero, syntax, spec = self._parsed()
        observed = observed_names(parsed)
        ordered_items: tuple[str, ...] = ()
        if isinstance(ordered, bool):
            ordinal = ordered
        else:
            items = [str(v) for v in ordered]
            unknown = sorted(set(items) - set(observed))
            if unknown:
                raise InvalidParameterError(
                    f"parameter 'ordered' of CBSEM.fit names {format_offenders(unknown)}, "
                    "which are not observed variables of the model"
                )
            ordinal = bool(items)
            # a strict subset: the other items are continuous (polyserial correlations)
            ordered_items = tuple(v for v in observed if v in items)
            if len(ordered_items) == len(observed):
                ordered_items = ()
        key = check_estimator(est_key, ordinal)
        equal = tuple(str(v) for v in group_equal)
        unknown_eq = sorted(set(equal) - set(GROUP_EQUAL) - {"thresholds"})
        if unknown_eq:
            raise InvalidParameterError(
                f"parameter 'group_equal' of CBSEM.fit: {format_offenders(unknown_eq)} "
                f"unknown; use any of {format_offenders(sorted(GROUP_EQUAL), limit=10)}"
            )
        partial = tuple(partial_key(str(v)) for v in group_partial)
        survey = coerce(data, observed, group, weight, parsed)
        return fit_survey(
            parsed,
            zero,
            syntax,
            spec,
            survey,
            estimator=key,
            ordinal=ordinal,
            ordered=ordered_items,
            group=group,
            group_equal=equal,
            group_partial=partial,
            std_lv=self.std_lv,
            meanstructure=self.meanstructure,
            model_name="CBSEM",
            level=float(level),
            boot=boot,
            keep=_keep,
            robust=robust_fiml,
        )


def segment_overview(out: SegmentedResult) -> SegmentedResult:
    """The overview tables of a ``fit(by=...)``: fit measures and standardised estimates."""
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
    estimator : {"ML", "MLR", "GLS", "ULS", "WLS", "DWLS", "WLSMV", "ULSMV", "FIML"}
        See :data:`CBSEM_ESTIMATORS`. All but FIML delete incomplete respondents
        listwise; FIML uses every answer.
    ordinal : bool
        Treat every indicator as ordinal (integer-coded, at most 10 categories): the
        model is fitted to polychoric correlations and thresholds (lavaan's
        ``ordered=``, delta parameterisation) with ``estimator`` "DWLS", "WLSMV",
        "WLS", "ULS" or "ULSMV". See ``docs/cbsem.md``.

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
    emit(conditions)
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
    key = check_estimator(estimator, ordinal)
    parsed, zero = spec_to_statements(spec)
    return fit_survey(
        parsed,
        zero,
        spec_to_syntax(spec),
        spec,
        survey,
        estimator=key,
        ordinal=ordinal,
        model_name=type(model).__name__,
    )


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
