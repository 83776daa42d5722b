"""Covariance-based SEM per segment: one CB-SEM fit per region, city or store."""

from __future__ import annotations

import warnings
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import pandas as pd

from csimodels.data.survey import SurveyData
from csimodels.results import Frame, Result
from csimodels.sem._segments import split_segments
from csimodels.sem.cbsem import CBSEMResult, fit_cbsem_collect
from csimodels.sem.spec import ModelSpec

if TYPE_CHECKING:
    from csimodels.sem.model import PathModelBase

__all__ = ["SegmentedCBSEMResult", "fit_cbsem_by_segment"]

FIT_COLUMNS = ["chi2", "df", "p_value", "cfi", "tli", "rmsea", "srmr"]


class SegmentedCBSEMResult(Result):
    """One CB-SEM result per segment, with combined tables.

    Attributes
    ----------
    by : str
        The segment column.
    results : dict of str to CBSEMResult
        Per estimated segment (keys: the segment labels as strings).
    segments : DataFrame, index segment
        ``n`` respondents and ``status`` ("estimated" or "too small: flagged, not
        estimated").
    fit : DataFrame, segments x measures
        χ² (``chi2``, ``df``, ``p_value``), ``cfi``, ``tli``, ``rmsea``, ``srmr``.
    paths : DataFrame, index (from, to), one column per segment
        Completely standardised path coefficients (comparable across segments).
    indices : DataFrame, segments x constructs
        0–100 index of each construct (empty columns when scales are unknown).

    Examples
    --------
    >>> import csimodels as csi
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> res = csi.ACSI(indicators=data.constructs).fit(data, method="cbsem", by="region")
    >>> list(res.fit.columns)
    ['chi2', 'df', 'p_value', 'cfi', 'tli', 'rmsea', 'srmr']
    """

    by: str
    results: dict[str, CBSEMResult]
    segments: Frame
    fit: Frame
    paths: Frame
    indices: Frame

    _title: ClassVar[str] = "CB-SEM by segment"

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        header: list[tuple[str, object]] = [
            ("Model", self.settings.get("model")),
            ("Estimator", self.settings.get("estimator")),
            ("Segments by", self.by),
            ("Segments estimated", f"{len(self.results)} of {len(self.segments)}"),
            ("Minimum segment size", self.settings.get("min_segment_size")),
        ]
        return header, {
            "Segments": self.segments,
            "Global fit": self.fit,
            "Standardised paths": self.paths,
            "0–100 indices": self.indices,
        }

    def plot(
        self,
        kind: Literal["bar", "radar", "ranking"] | None = None,
        *,
        ax: Any = None,
        language: Literal["en", "zh"] = "en",
        labels: Literal["code", "label"] = "code",
        construct: str | None = None,
    ) -> Any:
        """Indices by segment: grouped bars (default), a radar, or a ranking of one construct.

        Returns the matplotlib Axes.

        Examples
        --------
        >>> import matplotlib, warnings; matplotlib.use("Agg")
        >>> import csimodels as csi
        >>> data = csi.datasets.load_example("acsi_demo")
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     res = csi.ACSI(indicators=data.constructs).fit(data, method="cbsem", by="region")
        >>> res.plot("radar").name
        'polar'
        """
        from csimodels.reports.charts import segmented_index_chart

        return segmented_index_chart(
            self, kind, ax=ax, language=language, labels=labels, construct=construct
        )


def fit_cbsem_by_segment(
    model: PathModelBase,
    spec: ModelSpec,
    data: SurveyData,
    *,
    by: str,
    estimator: str = "ML",
    ordinal: bool = False,
    min_segment_size: int | None = None,
) -> SegmentedCBSEMResult:
    """Fit ``spec`` by CB-SEM in each segment of ``by`` (see ``PathModelBase.fit``).

    Segments with fewer respondents than ``min_segment_size`` (default: the same
    ten-times rule as PLS, at least one more respondent than indicators) are flagged
    and not estimated; a segment the model cannot be fitted to raises, naming it.
    """
    from csimodels.sem.pls import _default_min_segment_size

    minimum = _default_min_segment_size(spec) if min_segment_size is None else min_segment_size
    parts, status_rows, conditions = split_segments(data, by, minimum)
    results: dict[str, CBSEMResult] = {}
    labels: list[Hashable] = []
    for label, part in parts:
        res, found = fit_cbsem_collect(model, spec, part, estimator=estimator, ordinal=ordinal)
        conditions.extend((f"segment {by}={label!r}: {m}", c) for m, c in found)
        results[str(label)] = res
        labels.append(label)
    for message, category in conditions:
        warnings.warn(message, category, stacklevel=3)
    fit = pd.DataFrame(
        [results[str(lab)].fit["value"].reindex(FIT_COLUMNS).to_numpy() for lab in labels],
        index=pd.Index(labels, name=by),
        columns=pd.Index(FIT_COLUMNS),
    )
    paths = pd.concat({str(lab): results[str(lab)].paths["std_estimate"] for lab in labels}, axis=1)
    names = list(spec.construct_names)
    indices = pd.DataFrame(
        [
            results[str(lab)].indices["index"].reindex(names).to_numpy()
            if len(results[str(lab)].indices)
            else [float("nan")] * len(names)
            for lab in labels
        ],
        index=pd.Index(labels, name=by),
        columns=pd.Index(names),
    )
    return SegmentedCBSEMResult(
        by=by,
        results=results,
        segments=pd.DataFrame(status_rows).set_index("segment"),
        fit=fit,
        paths=paths,
        indices=indices,
        settings={
            "model": type(model).__name__,
            "method": "cbsem",
            "estimator": estimator,
            "ordinal": ordinal,
            "by": by,
            "min_segment_size": minimum,
        },
        notes=tuple(message for message, _ in conditions),
    )
