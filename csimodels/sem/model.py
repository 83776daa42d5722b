"""The settings and ``fit`` shared by every path model (custom or preset)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, overload

import pandas as pd
from pydantic import Field

from csimodels._settings import Settings
from csimodels.data.survey import SurveyData

if TYPE_CHECKING:
    from csimodels.sem.pls import PLSResult, SegmentedPLSResult
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
        by: None = None,
        scale: Any = None,
        weight: str | None = None,
        min_segment_size: int | None = None,
    ) -> PLSResult: ...

    @overload
    def fit(
        self,
        data: SurveyData | pd.DataFrame,
        *,
        by: str,
        scale: Any = None,
        weight: str | None = None,
        min_segment_size: int | None = None,
    ) -> SegmentedPLSResult: ...

    def fit(
        self,
        data: SurveyData | pd.DataFrame,
        *,
        by: str | None = None,
        scale: Any = None,
        weight: str | None = None,
        min_segment_size: int | None = None,
    ) -> PLSResult | SegmentedPLSResult:
        """Estimate the model by PLS path modelling.

        Parameters
        ----------
        data : SurveyData or DataFrame
            The answers. A DataFrame is wrapped with ``SurveyData.from_frame`` using the
            model's indicators as items and the explicit ``scale`` and ``weight``.
        by : str, optional
            A segment (or period) column: one result per segment plus combined tables.
        scale : (min, max) or dict, optional
            Answer scale for a DataFrame (needed for the 0–100 indices). Ignored for a
            SurveyData, which carries its own.
        weight : str, optional
            Respondent weight column of a DataFrame.
        min_segment_size : int, optional
            With ``by``: segments with fewer respondents are flagged, not estimated.
            Default: ten times the largest number of arrows pointing at a construct
            (structural paths, or indicators of a formative construct), and more than
            the number of indicators.

        Returns
        -------
        PLSResult, or SegmentedPLSResult when ``by`` is given.
        """
        from csimodels.sem.pls import fit_pls, fit_pls_by_segment

        spec = self.to_spec()
        survey = _as_survey(data, spec, scale=scale, weight=weight, by=by)
        if by is None:
            return fit_pls(self, spec, survey)
        return fit_pls_by_segment(self, spec, survey, by=by, min_segment_size=min_segment_size)


def _as_survey(
    data: SurveyData | pd.DataFrame,
    spec: ModelSpec,
    *,
    scale: Any,
    weight: str | None,
    by: str | None,
) -> SurveyData:
    if isinstance(data, SurveyData):
        spec.check_columns(data.items, where="the survey's items")
        return data
    if isinstance(data, pd.DataFrame):
        spec.check_columns([str(c) for c in data.columns])
        return SurveyData.from_frame(
            data,
            items=list(spec.indicators),
            scale=scale,
            weight=weight,
            segments=[by] if by is not None else [],
        )
    return SurveyData.coerce(data)
