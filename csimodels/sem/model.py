"""The settings and ``fit`` shared by every path model (custom or preset)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import EllipsisType
from typing import TYPE_CHECKING, Any, Literal, overload

import pandas as pd
from pydantic import Field

from csimodels._settings import Settings
from csimodels.data.survey import SurveyData
from csimodels.errors import InvalidParameterError
from csimodels.inference import Bootstrap, as_bootstrap, memory_budget_of, resolve_random_state
from csimodels.segments import as_by

if TYPE_CHECKING:
    from csimodels.data._dask import OutOfCorePLSResult
    from csimodels.results import SegmentedResult
    from csimodels.sem.cbsem import CBSEMResult
    from csimodels.sem.mga import MICOMResult, MultigroupResult
    from csimodels.sem.pls import PLSResult
    from csimodels.sem.predict import PLSPredictResult
    from csimodels.sem.spec import ModelSpec

__all__ = ["PathModelBase"]


class PathModelBase(Settings):
    """Estimation settings of a PLS path model; subclasses supply :meth:`to_spec`.

    Attributes
    ----------
    scheme : {"path", "centroid", "factorial"}
        Inner weighting scheme (default "path", as SmartPLS and seminr).
    consistent : bool
        Consistent PLS (PLSc, Dijkstra & Henseler 2015) for reflective constructs.
    missing : {"mean", "listwise"}
        Missing-answer strategy (mean replacement by default, as the reference software).
    tol : float
        Stop when the sum of absolute outer-weight changes falls below it (1e-7).
    max_iter : int
        Iteration cap (300); stopping there raises a ConvergenceWarning.
    """

    scheme: Literal["path", "centroid", "factorial"] = "path"
    consistent: bool = False
    missing: Literal["mean", "listwise"] = "mean"
    tol: float = Field(default=1e-7, gt=0, lt=1)
    max_iter: int = Field(default=300, ge=1, le=100_000)

    def to_spec(self) -> ModelSpec:  # pragma: no cover - abstract
        """The model specification (constructs, indicators, paths)."""
        raise NotImplementedError

    @overload
    def fit(
        self,
        data: SurveyData | pd.DataFrame,
        *,
        method: Literal["pls"] = "pls",
        by: None = None,
        scale: Any = None,
        weight: str | EllipsisType | None = ...,
        missing_codes: Any = (),
        reverse: Sequence[str] = (),
        labels: Mapping[str, str] | None = None,
        period: str | None = None,
        min_segment_size: int | None = None,
        on_error: Literal["skip", "raise"] = "skip",
        details: bool = True,
        bootstrap: int | Bootstrap = 0,
        random_state: int | None = None,
        level: float = 0.95,
        sign_change: str = "none",
        resamples: Any = None,
        chunk_size: int = 500,
        n_jobs: int | None = None,
        memory_budget: int | str | None = None,
        estimator: str = "ML",
        ordinal: bool = False,
    ) -> PLSResult: ...

    @overload
    def fit(
        self,
        data: SurveyData | pd.DataFrame,
        *,
        method: Literal["pls"] = "pls",
        by: str | Sequence[str],
        scale: Any = None,
        weight: str | EllipsisType | None = ...,
        missing_codes: Any = (),
        reverse: Sequence[str] = (),
        labels: Mapping[str, str] | None = None,
        period: str | None = None,
        min_segment_size: int | None = None,
        on_error: Literal["skip", "raise"] = "skip",
        details: bool = True,
        bootstrap: int | Bootstrap = 0,
        random_state: int | None = None,
        level: float = 0.95,
        sign_change: str = "none",
        resamples: Any = None,
        chunk_size: int = 500,
        n_jobs: int | None = None,
        memory_budget: int | str | None = None,
        estimator: str = "ML",
        ordinal: bool = False,
    ) -> SegmentedResult: ...

    @overload
    def fit(
        self,
        data: SurveyData | pd.DataFrame,
        *,
        method: Literal["cbsem"],
        by: None = None,
        scale: Any = None,
        weight: str | EllipsisType | None = ...,
        missing_codes: Any = (),
        reverse: Sequence[str] = (),
        labels: Mapping[str, str] | None = None,
        period: str | None = None,
        min_segment_size: int | None = None,
        on_error: Literal["skip", "raise"] = "skip",
        details: bool = True,
        bootstrap: int | Bootstrap = 0,
        random_state: int | None = None,
        level: float = 0.95,
        sign_change: str = "none",
        resamples: Any = None,
        chunk_size: int = 500,
        n_jobs: int | None = None,
        estimator: str = "ML",
        ordinal: bool = False,
    ) -> CBSEMResult: ...

    @overload
    def fit(
        self,
        data: SurveyData | pd.DataFrame,
        *,
        method: Literal["cbsem"],
        by: str,
        scale: Any = None,
        weight: str | EllipsisType | None = ...,
        missing_codes: Any = (),
        reverse: Sequence[str] = (),
        labels: Mapping[str, str] | None = None,
        period: str | None = None,
        min_segment_size: int | None = None,
        on_error: Literal["skip", "raise"] = "skip",
        details: bool = True,
        bootstrap: int | Bootstrap = 0,
        random_state: int | None = None,
        level: float = 0.95,
        sign_change: str = "none",
        resamples: Any = None,
        chunk_size: int = 500,
        n_jobs: int | None = None,
        estimator: str = "ML",
        ordinal: bool = False,
    ) -> SegmentedResult: ...

    def fit(
        self,
        data: SurveyData | pd.DataFrame,
        *,
        method: Literal["pls", "cbsem"] = "pls",
        by: str | Sequence[str] | None = None,
        scale: Any = None,
        weight: str | EllipsisType | None = ...,
        missing_codes: Any = (),
        reverse: Sequence[str] = (),
        labels: Mapping[str, str] | None = None,
        period: str | None = None,
        min_segment_size: int | None = None,
        on_error: Literal["skip", "raise"] = "skip",
        details: bool = True,
        bootstrap: int | Bootstrap = 0,
        random_state: int | None = None,
        level: float = 0.95,
        sign_change: str = "none",
        resamples: Any = None,
        chunk_size: int = 500,
        n_jobs: int | None = None,
        memory_budget: int | str | None = None,
        estimator: str = "ML",
        ordinal: bool = False,
    ) -> PLSResult | SegmentedResult | CBSEMResult | OutOfCorePLSResult:
        """Estimate the model by PLS path modelling (default) or covariance-based SEM.

        Parameters
        ----------
        data : SurveyData, DataFrame or dask DataFrame
            The answers. A DataFrame is wrapped with ``SurveyData.from_frame`` using the
            model's indicators as items and the explicit ``scale`` and ``weight``. A dask
            DataFrame, or a parquet file or directory, is fitted out of core (PLS with
            or without a bootstrap, PLS ``by=`` with or without a bootstrap per
            segment, and ``method="cbsem"`` from moments; see
            :mod:`csimodels.data._dask` and ``docs/scaling.md``).
        by : str or list of str, optional
            A segment (or period) column, or several for a cross-classification: a
            :class:`~csimodels.results.SegmentedResult` with one result per segment,
            a status table and overview tables.
        scale : (min, max) or dict, optional
            Answer scale for a DataFrame (needed for the 0–100 indices). With a
            SurveyData it must agree with the declared scales (or be omitted).
        weight : str or None, optional
            Respondent weight column of a DataFrame (with a SurveyData it must be the
            declared one). ``weight=None`` fits a weighted SurveyData without its
            weights (for an estimator that cannot take them, e.g. CB-SEM's WLS of
            continuous items); the
            result's ``settings["weight"]`` is then None.
        missing_codes, reverse, labels, period : optional
            As in :meth:`SurveyData.from_frame`, for a DataFrame (refused with a
            SurveyData, which has them applied already).
        on_error : {"skip", "raise"}
            With ``by``: a segment whose fit fails is recorded in the status table
            (``"skip"``) or stops the fit (``"raise"``).
        min_segment_size : int, optional
            With ``by``: segments with fewer respondents are flagged, not estimated.
            Default: ten times the largest number of arrows pointing at a construct
            (structural paths, or indicators of a formative construct), and more than
            the number of indicators.
        details : bool
            With ``by``: also keep every segment's full :class:`PLSResult` (True), or only
            the combined tables, computed for all segments in one batched run (False:
            thousands of segments in seconds).

        bootstrap : int or Bootstrap
            Number of bootstrap resamples (0: none), or a :class:`~csimodels.Bootstrap`
            carrying the number, level, seed, jobs and chunk size. Adds standard errors, t, p and
            percentile intervals to ``paths``, ``r2`` and ``indices``, and the full
            table (weights, loadings, effects, HTMT, BCa intervals) as
            ``result.bootstrap``. See :mod:`csimodels.sem.bootstrap`.
        random_state : int, optional
            Seed of the resamples; the numbers do not depend on ``chunk_size`` or
            ``n_jobs``.
        level : float
            Confidence level of the intervals (0.95).
        sign_change : {"none", "construct", "individual"}
            Sign-change correction of the resamples (Tenenhaus et al. 2005).
        resamples : array (B, n), optional
            Explicit row positions of each resample (replaces ``bootstrap`` and
            ``random_state``), to repeat a run exactly or compare with other software.
        chunk_size : int
            Resamples computed at once (bounds memory: about ``chunk_size × p² × 8``
            bytes).
        n_jobs : int, optional
            Run bootstrap chunks, and with ``by`` the segments, in parallel through
            joblib; ``joblib.parallel_config(backend="dask")`` runs them on a dask
            cluster. Numbers do not depend on it.
        memory_budget : int or str, optional
            Bytes the bootstrap's working arrays aim to stay within (default about
            1 GB), or a size such as ``"512MB"``: fewer resamples per chunk, and
            respondents streamed in row chunks, when the data are large. Numbers do not
            depend on it. It can travel in ``Bootstrap(memory_budget=...)`` instead;
            giving both with different values raises.
        method : {"pls", "cbsem"}
            PLS path modelling, or covariance-based SEM (the library's engine; reflective
            constructs only; see :func:`csimodels.sem.cbsem.fit_cbsem`).
        estimator : str
            With ``method="cbsem"``: the estimator ("ML", "GLS", "ULS", "DWLS", "WLS",
            "WLSMV", "ULSMV", "FIML").
        ordinal : bool
            With ``method="cbsem"``: treat the indicators as ordinal (integer codes, at
            most 10 categories) and fit the model to their polychoric correlations
            (estimators "DWLS", "WLSMV", "WLS", "ULS", "ULSMV"); see ``docs/cbsem.md``.

        Returns
        -------
        PLSResult (SegmentedResult with ``by``), or CBSEMResult
        (SegmentedResult with ``by``) for ``method="cbsem"``.
        """
        from csimodels.sem.pls import BootstrapRequest, fit_pls, fit_pls_by_segment

        if method not in ("pls", "cbsem"):
            raise InvalidParameterError(
                f"parameter 'method' of {type(self).__name__}.fit must be 'pls' or 'cbsem', "
                f"got {method!r}"
            )
        if ordinal and method != "cbsem":
            raise InvalidParameterError(
                "ordinal=True is available with method='cbsem' (polychoric correlations); "
                "PLS treats the answers as metric"
            )
        from csimodels.data._dask_tasks import as_dask_source

        source = as_dask_source(data, owner=f"{type(self).__name__}.fit")
        if source is not None:  # out of core: sufficient statistics per partition
            from csimodels.data._dask import fit_pls as fit_pls_dask

            if method == "cbsem":
                from csimodels.sem._cbsem_dask import fit_dask
                from csimodels.sem.cbsem import CBSEM

                if bootstrap or resamples is not None:
                    raise InvalidParameterError(
                        "bootstrap= and resamples= apply to method='pls'; a CB-SEM bootstrap "
                        "needs the respondents' rows (not available out of core)"
                    )
                return fit_dask(
                    CBSEM(self.to_spec()),
                    source,
                    {
                        "estimator": estimator, "group": None, "ordered": ordinal,
                        "missing": "listwise", "weight": None if weight is ... else weight,
                        "inference": None, "level": 0.95,
                    },
                    by=by,
                    min_segment_size=min_segment_size,
                    on_error=on_error,
                    model_name=type(self).__name__,
                    scale=scale,
                )  # fmt: skip
            if resamples is not None:
                raise InvalidParameterError(
                    f"{type(self).__name__}.fit on a dask DataFrame: resamples= (explicit row "
                    "positions) needs the rows in memory; use bootstrap= with a random_state"
                )
            request = as_bootstrap(bootstrap, owner=f"{type(self).__name__}.fit")
            memory_budget = memory_budget_of(
                bootstrap, memory_budget, owner=f"{type(self).__name__}.fit"
            )
            if request is not None and isinstance(bootstrap, Bootstrap):
                level = request.level
                if request.random_state is not None:
                    random_state = request.random_state
                chunk_size = request.chunk_size or chunk_size
            if request is not None:
                random_state = resolve_random_state(random_state, owner=type(self).__name__)
            resampling: dict[str, Any] = {
                "bootstrap": 0 if request is None else request.n,
                "random_state": random_state,
                "level": level,
                "sign_change": sign_change,
                "chunk_size": chunk_size,
                "memory_budget": memory_budget,
            }
            if by is not None:  # every segment (and the pooled fit) bootstrapped alike
                from csimodels.data._dask import fit_pls_by

                segmented: SegmentedResult = fit_pls_by(
                    self,
                    source,
                    by=by,
                    scale=scale,
                    weight=None if weight is ... else weight,
                    missing_codes=missing_codes,
                    min_segment_size=min_segment_size,
                    on_error=on_error,
                    **resampling,
                )
                return segmented
            return fit_pls_dask(
                self,
                source,
                scale=scale,
                weight=None if weight is ... else weight,
                missing_codes=missing_codes,
                **resampling,
            )
        spec = self.to_spec()
        owner = f"{type(self).__name__}.fit"
        unweighted = weight is None and isinstance(data, SurveyData) and data.weight is not None
        survey = _as_survey(
            data,
            spec,
            owner=owner,
            scale=scale,
            weight=None if weight is ... or weight is None else weight,
            by=by,
            missing_codes=missing_codes,
            reverse=reverse,
            labels=labels,
            period=period,
        )
        if unweighted:  # weight=None: this fit ignores the survey's weights
            survey = survey.model_copy(update={"weight": None})
        request = as_bootstrap(bootstrap, owner=owner)
        memory_budget = memory_budget_of(bootstrap, memory_budget, owner=owner)
        if request is not None and isinstance(bootstrap, Bootstrap):
            level = request.level
            random_state = (
                request.random_state if request.random_state is not None else random_state
            )
            chunk_size = request.chunk_size or chunk_size
            n_jobs = request.n_jobs if request.n_jobs != 1 else n_jobs
        n_boot = 0 if request is None else request.n
        if n_boot and resamples is None:
            random_state = resolve_random_state(random_state, owner=owner)
        if method == "cbsem":
            if n_boot or resamples is not None:
                raise InvalidParameterError(
                    "bootstrap= and resamples= apply to method='pls'; for a CB-SEM bootstrap "
                    "fit the same model with csimodels.CBSEM(model.to_spec()).fit(data, "
                    "inference=Bootstrap(...))"
                )
            if by is not None:
                from csimodels.sem.cbsem_segments import fit_cbsem_by_segment

                return fit_cbsem_by_segment(
                    self,
                    spec,
                    survey,
                    by=by,
                    estimator=estimator,
                    ordinal=ordinal,
                    min_segment_size=min_segment_size,
                    on_error=on_error,
                )
            from csimodels.sem.cbsem import fit_cbsem

            return fit_cbsem(self, spec, survey, estimator=estimator, ordinal=ordinal)
        boot = BootstrapRequest(
            n_resamples=n_boot,
            random_state=random_state,
            level=level,
            sign_change=sign_change,
            resamples=resamples,
            chunk_size=chunk_size,
            n_jobs=n_jobs,
            memory_budget=memory_budget,
        )
        if by is not None and not details and (n_boot or resamples is not None):
            raise InvalidParameterError(
                "bootstrap needs each segment's own result: use details=True with by= and "
                "bootstrap="
            )
        if by is None:
            return fit_pls(self, spec, survey, boot)
        return fit_pls_by_segment(
            self,
            spec,
            survey,
            by=by,
            min_segment_size=min_segment_size,
            boot=boot,
            details=details,
            on_error=on_error,
        )

    def predict(
        self,
        data: SurveyData | pd.DataFrame,
        *,
        n_folds: int = 10,
        technique: str = "DA",
        random_state: int | None = None,
        scale: Any = None,
        weight: str | None = None,
    ) -> PLSPredictResult:
        """PLSpredict: k-fold out-of-sample prediction of the endogenous indicators.

        Each fold's model is estimated on the other folds; the held-out respondents'
        endogenous indicators are predicted from their exogenous indicators
        (``technique="DA"``: through the direct antecedents, as seminr) and compared
        with a linear-model benchmark (Shmueli et al. 2016, 2019). Folds come from a
        permutation drawn with ``numpy.random.default_rng(random_state)``, the same as
        seminr's ``predict_pls(seed=...)``.

        Returns
        -------
        PLSPredictResult
        """
        from csimodels.sem.predict import predict_model

        spec = self.to_spec()
        survey = _as_survey(
            data, spec, owner=f"{type(self).__name__}.predict", scale=scale, weight=weight, by=None
        )
        seed = resolve_random_state(random_state, owner=f"{type(self).__name__}.predict")
        return predict_model(
            self, spec, survey, n_folds=n_folds, technique=technique, random_state=seed
        )

    def compare_groups(self, data: SurveyData | pd.DataFrame, **options: Any) -> MultigroupResult:
        """Compare two segments: MICOM, permutation test and PLS-MGA.

        See :func:`csimodels.sem.mga.compare_groups` for the options (``by``,
        ``groups``, ``n_permutations``, ``bootstrap``, ``random_state``...).

        Examples
        --------
        >>> import csimodels as csi
        >>> data = csi.datasets.load_example("acsi_demo")
        >>> cmp = csi.ACSI(indicators=data.constructs).compare_groups(
        ...     data, by="region", groups=("North", "West"), n_permutations=99,
        ...     bootstrap=99, random_state=1)
        >>> "p_permutation" in cmp.table.columns
        True
        """
        from csimodels.sem.mga import compare_groups

        return compare_groups(self, data, **options)

    def micom(self, data: SurveyData | pd.DataFrame, **options: Any) -> MICOMResult:
        """Measurement invariance of composites (MICOM steps 2 and 3) between two segments.

        See :func:`csimodels.sem.mga.micom` for the options.
        """
        from csimodels.sem.mga import micom

        return micom(self, data, **options)


def _as_survey(
    data: SurveyData | pd.DataFrame,
    spec: ModelSpec,
    *,
    owner: str,
    scale: Any,
    weight: str | None,
    by: str | Sequence[str] | None,
    missing_codes: Any = (),
    reverse: Sequence[str] = (),
    labels: Mapping[str, str] | None = None,
    period: str | None = None,
) -> SurveyData:
    """The data gate for path models: the spec's indicators must be columns/items."""
    if isinstance(data, SurveyData):
        spec.check_columns(data.items, where="the survey's items")
    elif isinstance(data, pd.DataFrame):
        spec.check_columns([str(c) for c in data.columns])
    segments = [] if by is None else list(as_by(by, owner=owner))
    return SurveyData.coerce(
        data,
        owner=owner,
        items=list(spec.indicators),
        scale=scale,
        weight=weight,
        segments=segments,
        missing_codes=missing_codes,
        reverse=reverse,
        labels=labels,
        period=period,
    )
