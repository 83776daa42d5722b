"""Covariance-based SEM per segment for the CSI presets: one CB-SEM fit per region.

``ACSI(...).fit(data, method="cbsem", by="region")`` returns the library's one
:class:`~csimodels.results.SegmentedResult` (as :class:`~csimodels.CBSEM` does): the
pooled fit, one :class:`~csimodels.sem.cbsem.CBSEMResult` per segment, the status
table, and the overview tables ``fit`` (segments × χ², df, p, CFI, TLI, RMSEA, SRMR),
``paths`` (completely standardised paths, one column per segment) and ``indices``
(segments × constructs, 0–100).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import pandas as pd

from csimodels.data.survey import SurveyData
from csimodels.results import SegmentedResult
from csimodels.segments import fit_by
from csimodels.sem.cbsem import CBSEMResult, fit_cbsem_collect
from csimodels.sem.spec import ModelSpec

if TYPE_CHECKING:
    from csimodels.sem.model import PathModelBase

__all__ = ["FIT_COLUMNS", "SegmentedCBSEMResult", "fit_cbsem_by_segment"]

FIT_COLUMNS = ["chi2", "df", "p_value", "cfi", "tli", "rmsea", "srmr"]

#: Removed in 0.2: ``by=`` returns the generic SegmentedResult (``results`` became
#: ``segments``, the status table ``segments`` became ``status``; ``fit``, ``paths`` and
#: ``indices`` are in ``overview``). Kept as an alias for isinstance checks.
SegmentedCBSEMResult = SegmentedResult


def fit_cbsem_by_segment(
    model: PathModelBase,
    spec: ModelSpec,
    data: SurveyData,
    *,
    by: str | Sequence[str],
    estimator: str = "ML",
    ordinal: bool = False,
    min_segment_size: int | None = None,
    on_error: Literal["skip", "raise"] = "skip",
) -> SegmentedResult:
    """Fit ``spec`` by CB-SEM in each segment of ``by`` (see ``PathModelBase.fit``).

    Segments with fewer respondents than ``min_segment_size`` (default: the same
    ten-times rule as PLS, at least one more respondent than indicators) are not
    fitted; a segment the model cannot be fitted to is recorded as failed.

    Examples
    --------
    >>> import csimodels as csi
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> res = csi.ACSI(indicators=data.constructs).fit(data, method="cbsem", by="region")
    >>> list(res.overview["fit"].columns)
    ['chi2', 'df', 'p_value', 'cfi', 'tli', 'rmsea', 'srmr']
    """
    from csimodels.sem import _design as design

    minimum = (
        design.default_min_segment_size(spec) if min_segment_size is None else min_segment_size
    )
    names = list(spec.construct_names)

    def fit_one(part: SurveyData) -> CBSEMResult:
        res, found = fit_cbsem_collect(model, spec, part, estimator=estimator, ordinal=ordinal)
        for message, category in found:
            warnings.warn(message, category, stacklevel=4)
        return res

    out = fit_by(
        data,
        by,
        fit_one,
        owner=f"{type(model).__name__}.fit",
        min_segment_size=minimum,
        on_error=on_error,
        pooled=fit_one(data),
        settings={
            "model": type(model).__name__,
            "method": "cbsem",
            "estimator": estimator,
            "ordinal": ordinal,
        },
    )
    fitted = {k: v for k, v in out.segments.items() if isinstance(v, CBSEMResult)}
    if not fitted:
        return out
    labels = list(fitted)
    fit = pd.DataFrame(
        [fitted[lab].fit["value"].reindex(FIT_COLUMNS).to_numpy() for lab in labels],
        index=pd.Index(labels, name="segment"),
        columns=pd.Index(FIT_COLUMNS),
    )
    paths = pd.concat({lab: fitted[lab].paths["std_estimate"] for lab in labels}, axis=1)
    paths.columns.name = "segment"
    indices = pd.DataFrame(
        [
            fitted[lab].indices["index"].reindex(names).to_numpy()
            if len(fitted[lab].indices)
            else [float("nan")] * len(names)
            for lab in labels
        ],
        index=pd.Index(labels, name="segment"),
        columns=pd.Index(names, name="construct"),
    )
    return out.model_copy(update={"overview": {"fit": fit, "paths": paths, "indices": indices}})
