"""The importance–performance (importance–satisfaction) quadrant matrix."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal, NamedTuple

import numpy as np
import pandas as pd
from pydantic import ConfigDict

from csimodels._settings import Settings
from csimodels._stats import weighted_mean, weighted_quantile
from csimodels.data.survey import SurveyData
from csimodels.errors import (
    DataQualityWarning,
    DataValidationError,
    SpecificationError,
    format_offenders,
)
from csimodels.importance._common import coerce_survey
from csimodels.importance.drivers import (
    DriverAnalysis,
    DriverAnalysisResult,
    resolve_methods,
)
from csimodels.results import Frame, Result, SegmentedResult, warn_and_note
from csimodels.segments import as_by, fit_by, label_of

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from csimodels.sem.pls import PLSResult

__all__ = ["QUADRANTS", "ImportancePerformance", "ImportancePerformanceResult", "Quadrant"]


class Quadrant(NamedTuple):
    """One cell of the importance–performance matrix (Martilla & James 1977).

    Attributes
    ----------
    label : str
        English name.
    label_zh : str
        Chinese name as used in 满意度重要性矩阵 reports.
    high_importance, high_performance : bool
        Position relative to the crosshairs.
    action : str
        What the quadrant asks management to do.
    order : int
        Improvement order used for the priority ranking (1 first).
    """

    label: str
    label_zh: str
    high_importance: bool
    high_performance: bool
    action: str
    order: int


QUADRANTS: dict[str, Quadrant] = {
    "concentrate_here": Quadrant("Concentrate here", "急需改进区", True, False, "improve first", 1),
    "keep_up_the_good_work": Quadrant(
        "Keep up the good work", "竞争优势区", True, True, "maintain", 3
    ),
    "low_priority": Quadrant("Low priority", "次要改进区", False, False, "improve later", 2),
    "possible_overkill": Quadrant(
        "Possible overkill", "锦上添花区", False, True, "consider reallocating effort", 4
    ),
}
"""The four quadrants by key (see :class:`Quadrant`)."""

Crosshair = Literal["mean", "median", "midpoint"]


class ImportancePerformanceResult(Result):
    """Quadrant, distances, gap and priority of each attribute.

    Attributes
    ----------
    table : DataFrame, one row per attribute
        ``label``; ``importance``, ``performance`` (as given or computed);
        ``quadrant`` (a key of :data:`QUADRANTS`), ``quadrant_label`` (English),
        ``quadrant_label_zh`` (Chinese); ``importance_offset`` and
        ``performance_offset``: signed distances to the crosshairs in the axes' own
        units; ``distance``: Euclidean distance from the crosshair point in plotting
        units (see ``settings["axis_units"]``); ``gap``: importance − performance
        (only when both are on the same declared scale, else NaN);
        ``standardised_gap``: importance offset − performance offset in plotting
        units (positive: importance exceeds performance); ``diagonal_distance``:
        signed distance to the iso-priority diagonal (``standardised_gap / √2``,
        positive above the line); ``priority``: 1 = fix first.
    importance_crosshair, performance_crosshair : float
        Where the crosshairs are (see ``settings["crosshair"]``).
    importance_unit, performance_unit : float
        The plotting unit of each axis: 1 on a common declared scale, else the
        standard deviation of the values across attributes.

    Examples
    --------
    >>> import pandas as pd
    >>> from csimodels.importance import ImportancePerformance
    >>> imp = pd.Series({"speed": 4.6, "price": 4.1, "decor": 2.9, "menu": 2.5})
    >>> perf = pd.Series({"speed": 2.6, "price": 4.2, "decor": 4.4, "menu": 2.4})
    >>> res = ImportancePerformance(crosshair="midpoint", importance_scale=(1, 5),
    ...                             performance_scale=(1, 5)).evaluate(imp, perf)
    >>> res.table["quadrant_label_zh"].to_dict()
    {'speed': '急需改进区', 'price': '竞争优势区', 'decor': '锦上添花区', 'menu': '次要改进区'}
    """

    table: Frame
    importance_crosshair: float
    performance_crosshair: float
    importance_unit: float
    performance_unit: float

    _title: ClassVar[str] = "Importance–performance matrix"

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        s = self.settings
        header: list[tuple[str, object]] = [
            ("Importance", s.get("importance_source")),
            ("Crosshairs", s.get("crosshair")),
            (
                "Crosshair values",
                f"importance {self.importance_crosshair:.4g}, "
                f"performance {self.performance_crosshair:.4g}",
            ),
            ("Axis units", s.get("axis_units")),
            ("Priority", s.get("priority")),
        ]
        cols = [
            "importance",
            "performance",
            "quadrant_label",
            "quadrant_label_zh",
            "standardised_gap",
            "priority",
        ]
        tables: dict[str, Any] = {
            "Attributes (by priority)": self.table.sort_values("priority")[cols]
        }
        return header, tables

    def priorities(self, *, quadrant: str | None = None) -> pd.DataFrame:
        """Attributes in priority order (optionally only one quadrant).

        Examples
        --------
        >>> import pandas as pd
        >>> from csimodels.importance import ImportancePerformance
        >>> imp = pd.Series({"a": 0.3, "b": 0.1, "c": 0.2})
        >>> res = ImportancePerformance().evaluate(imp, pd.Series({"a": 6.0, "b": 8.0, "c": 9.0}))
        >>> res.priorities().index[0]
        'a'
        """
        frame = self.table.sort_values("priority", kind="stable")
        if quadrant is not None:
            if quadrant not in QUADRANTS:
                raise SpecificationError(
                    f"unknown quadrant {quadrant!r}; choose among "
                    f"{', '.join(repr(q) for q in sorted(QUADRANTS))}"
                )
            frame = frame[frame["quadrant"] == quadrant]
        return frame

    def plot_data(self) -> pd.DataFrame:
        """Points, crosshairs and diagonal of the matrix plot.

        Columns ``x`` (performance), ``y`` (importance), ``label``, ``quadrant``;
        the crosshairs are in ``attrs["crosshairs"]`` and, when the diagonal is on,
        two points of the iso-priority line in ``attrs["diagonal"]``.

        Examples
        --------
        >>> import pandas as pd
        >>> from csimodels.importance import ImportancePerformance
        >>> res = ImportancePerformance().evaluate(
        ...     pd.Series({"a": 0.3, "b": 0.1}), pd.Series({"a": 6.0, "b": 8.0}))
        >>> res.plot_data().attrs["crosshairs"]
        {'x': 7.0, 'y': 0.2}
        """
        frame = pd.DataFrame(
            {
                "x": self.table["performance"],
                "y": self.table["importance"],
                "label": self.table["label"],
                "quadrant": self.table["quadrant"],
            }
        )
        frame.attrs["crosshairs"] = {
            "x": self.performance_crosshair,
            "y": self.importance_crosshair,
        }
        if self.settings.get("diagonal"):
            xs = np.array([frame["x"].min(), frame["x"].max()])
            ys = self.importance_crosshair + (xs - self.performance_crosshair) * (
                self.importance_unit / self.performance_unit
            )
            frame.attrs["diagonal"] = {"x": xs.tolist(), "y": ys.tolist()}
        return frame

    def plot(
        self,
        kind: Literal["matrix"] | None = None,
        *,
        ax: Axes | None = None,
        language: Literal["en", "zh"] = "en",
        labels: Literal["code", "label"] = "code",
    ) -> Axes:
        """Scatter plot of the matrix with crosshairs, quadrant names and the diagonal.

        Importance is on the vertical axis and performance on the horizontal one, as in
        Martilla & James (1977). ``language="zh"`` writes the Chinese quadrant names;
        ``labels="label"`` names the points by their labels.

        Examples
        --------
        >>> import pandas as pd, matplotlib
        >>> matplotlib.use("Agg")
        >>> from csimodels.importance import ImportancePerformance
        >>> res = ImportancePerformance(diagonal=True).evaluate(
        ...     pd.Series({"a": 0.3, "b": 0.1}), pd.Series({"a": 6.0, "b": 8.0}))
        >>> res.plot().get_ylabel()
        'Importance'
        """
        from csimodels.plotting import PALETTE, axes_for, check_plot_options, use_language

        check_plot_options(
            kind=kind,
            kinds=("matrix",),
            language=language,
            labels=labels,
            owner=type(self).__name__,
        )
        data = self.plot_data()
        zh = language == "zh"
        colours = {
            "concentrate_here": PALETTE[3],
            "keep_up_the_good_work": PALETTE[2],
            "low_priority": PALETTE[0],
            "possible_overkill": PALETTE[1],
        }
        with use_language(language):
            _, axes = axes_for(ax, figsize=(7, 5.5))
            for key, part in data.groupby("quadrant", sort=False):
                q = QUADRANTS[str(key)]
                axes.scatter(
                    part["x"],
                    part["y"],
                    color=colours[str(key)],
                    label=q.label_zh if zh else q.label,
                    zorder=3,
                )
            for name, row in data.iterrows():
                text = str(row["label"]) if labels == "label" and row["label"] else str(name)
                axes.annotate(
                    text, (row["x"], row["y"]), textcoords="offset points", xytext=(4, 4),
                    fontsize=8,
                )  # fmt: skip
            cross = data.attrs["crosshairs"]
            axes.axvline(cross["x"], color="grey", lw=1, ls="--")
            axes.axhline(cross["y"], color="grey", lw=1, ls="--")
            if "diagonal" in data.attrs:
                d = data.attrs["diagonal"]
                line = "等优先级线" if zh else "iso-priority line"
                axes.plot(d["x"], d["y"], color="black", lw=1, ls=":", label=line)
            axes.set_xlabel("表现" if zh else "Performance")
            axes.set_ylabel("重要性" if zh else "Importance")
            axes.set_title(str(self.settings.get("importance_source", "")))
            axes.legend(fontsize=8, loc="best")
        result: Axes = axes
        return result


class ImportancePerformance(Settings):
    """Importance–performance analysis: the four-quadrant matrix and a priority ranking.

    Places each attribute by its importance (vertical) and performance (horizontal)
    relative to crosshairs, names its quadrant (:data:`QUADRANTS`, English and
    Chinese) and ranks what to fix first. Importance may be stated (a rating per
    attribute) or derived (:class:`DriverAnalysis`); any pair of Series labelled by
    attribute can be placed with :meth:`evaluate` (e.g. PLS total effects and construct
    indices for an IPMA).

    Attributes
    ----------
    crosshair : {"mean", "median", "midpoint"}
        Where the crosshairs sit on each axis: the mean or median of the attributes'
        values, or the midpoint of the declared scale (needs that axis's scale).
    importance_crosshair, performance_crosshair : float, optional
        Explicit crosshair values that override ``crosshair`` on one axis.
    importance_scale, performance_scale : (min, max), optional
        Declared scales of the axes (needed for ``"midpoint"``; values outside raise).
        When both are equal the axes share units and ``gap`` = importance −
        performance is reported.
    diagonal : bool
        Draw the iso-priority diagonal and rank priorities by the signed distance to
        it (above the line: importance exceeds performance). Without it, priorities
        follow the quadrants (concentrate here, low priority, keep up the good work,
        possible overkill), then the standardised gap within a quadrant.
    method : str
        Which derived-importance method of a :class:`DriverAnalysisResult` to use.

    Notes
    -----
    Plotting units: on a common declared scale the raw units; otherwise each axis is
    divided by the standard deviation of its values across attributes, so that a
    45° iso-priority line through the crosshairs compares like with like (Bacon 2003;
    Abalo, Varela & Manzano 2007). An attribute exactly on a crosshair counts as high
    on that axis.

    References
    ----------
    1. Martilla, J. A. & James, J. C. (1977). Importance–performance analysis. *Journal
       of Marketing* 41(1), 77–79.
    2. Bacon, D. R. (2003). A comparison of approaches to importance–performance
       analysis. *International Journal of Market Research* 45(1), 55–71.
    3. Abalo, J., Varela, J. & Manzano, V. (2007). Importance values for
       importance–performance analysis. *Journal of Business Research* 60(2), 115–121.

    Examples
    --------
    >>> import csimodels as csi
    >>> from csimodels.importance import DriverAnalysis, ImportancePerformance
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> drivers = DriverAnalysis(attributes=["QUAL1", "QUAL2", "QUAL3", "VAL1", "VAL2"],
    ...                          overall="SAT1").fit(data)
    >>> ipa = ImportancePerformance(method="lmg").from_drivers(drivers)
    >>> set(ipa.table["quadrant"]) <= set(csi.importance.QUADRANTS)
    True
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    crosshair: Crosshair = "mean"
    importance_crosshair: float | None = None
    performance_crosshair: float | None = None
    importance_scale: tuple[float, float] | None = None
    performance_scale: tuple[float, float] | None = None
    diagonal: bool = False
    method: str = "lmg"

    _name: ClassVar[str] = "ImportancePerformance"

    # -- entry points --------------------------------------------------------------
    def evaluate(
        self,
        importance: pd.Series | Mapping[str, float],
        performance: pd.Series | Mapping[str, float],
        *,
        labels: Mapping[str, str] | None = None,
        source: str = "given importance",
    ) -> ImportancePerformanceResult:
        """Build the matrix from importance and performance values per attribute.

        Parameters
        ----------
        importance, performance : Series or dict, indexed by attribute
            Must name the same attributes (at least two); order follows ``importance``.
        labels : dict, optional
            Human labels of the attributes (default their names).
        source : str
            Describes where the importance came from (kept in the settings).

        Raises
        ------
        DataValidationError
            Attributes that do not match, non-finite values, values outside a declared
            scale, fewer than two attributes.
        SpecificationError
            ``crosshair="midpoint"`` without the scale of an axis.
        """
        imp = _as_series(importance, "importance", self._name)
        perf = _as_series(performance, "performance", self._name)
        only_i = sorted(str(a) for a in imp.index if a not in perf.index)
        only_p = sorted(str(a) for a in perf.index if a not in imp.index)
        if only_i or only_p:
            parts = []
            if only_i:
                parts.append(f"{format_offenders(only_i)} has importance but no performance")
            if only_p:
                parts.append(f"{format_offenders(only_p)} has performance but no importance")
            raise DataValidationError(
                f"{self._name}: the attributes of importance and performance differ: "
                + "; ".join(parts)
                + "; pass values for the same attributes"
            )
        if imp.size < 2:
            raise DataValidationError(
                f"{self._name}: {imp.size} attribute given; a quadrant matrix needs at least 2"
            )
        perf = perf.reindex(imp.index)
        return self._evaluate(imp, perf, dict(labels or {}), source)

    def from_drivers(
        self, result: DriverAnalysisResult | SegmentedResult
    ) -> ImportancePerformanceResult | SegmentedResult:
        """The matrix of a driver analysis: its derived importance and attribute means.

        Uses ``result.importance[self.method]`` and ``result.performance``; a
        per-segment driver analysis (a SegmentedResult) gives a SegmentedResult of
        matrices (pooled and per segment).
        """
        if isinstance(result, SegmentedResult):
            matrices = {
                label: self.from_drivers(seg)  # type: ignore[arg-type]
                for label, seg in result.segments.items()
            }
            pooled = None if result.pooled is None else self.from_drivers(result.pooled)  # type: ignore[arg-type]
            return result.model_copy(
                update={"segments": matrices, "pooled": pooled, "overview": {}}
            )
        method = self._driver_method(result)
        source = f"derived importance ({method}) against {result.settings.get('overall')}"
        return self.evaluate(
            result.importance[method],
            result.performance,
            labels=result.labels,
            source=source,
        )

    def from_ipma(
        self, result: PLSResult, target: str, *, level: str = "construct"
    ) -> ImportancePerformanceResult:
        """The matrix of a CSI model's IPMA (:meth:`csimodels.PLSResult.ipma`).

        Importance is each driver's unstandardised total effect on ``target`` (0–100
        scale), performance its 0–100 index; the IPMA itself is computed by the PLS
        result, this only places it in the quadrants.

        Examples
        --------
        >>> import csimodels as csi
        >>> data = csi.datasets.load_example("acsi_demo")
        >>> res = csi.ACSI(indicators=data.constructs).fit(data)
        >>> m = csi.ImportancePerformance().from_ipma(res, "Satisfaction")
        >>> sorted(m.table.index)
        ['Expectations', 'Quality', 'Value']
        """
        ipma = result.ipma(target, level=level)
        labels = (
            {c: str(ipma.loc[c, "label"]) for c in ipma.index} if level == "construct" else None
        )
        return self.evaluate(
            ipma["importance"],
            ipma["performance"],
            labels=labels,
            source=f"IPMA of {result.settings.get('model')} on {target} ({level} level)",
        )

    def fit(
        self,
        data: SurveyData | pd.DataFrame,
        *,
        importance: pd.Series
        | Mapping[str, float]
        | Mapping[str, str]
        | DriverAnalysis
        | DriverAnalysisResult,
        attributes: list[str] | tuple[str, ...] | None = None,
        by: str | Sequence[str] | None = None,
        weight: str | None = None,
    ) -> ImportancePerformanceResult | SegmentedResult:
        """Build the matrix from survey answers (performance = mean rating).

        Parameters
        ----------
        data : SurveyData or DataFrame
            The answers; not modified.
        importance
            * a Series or dict attribute → number: stated importance values;
            * a dict attribute → column: stated-importance rating columns, whose
              (weighted) means are the importance (per segment with ``by``);
            * a :class:`DriverAnalysis`: fitted on ``data`` (per segment with ``by``);
            * a :class:`DriverAnalysisResult`: its importance (its segments' with
              ``by`` when it was fitted with the same ``by``).
        attributes : list of str, optional
            Attributes to place (default those of ``importance``).
        by : str or list of str, optional
            Segment column(s): a :class:`~csimodels.results.SegmentedResult` with the
            pooled matrix and one per segment.
        weight : str, optional
            Respondent-weight column, for a plain DataFrame only.
        """
        kind, attrs, columns = self._importance_kind(importance, attributes)
        survey = coerce_survey(self._name, data, attrs, None, by=by, weight=weight, extra=columns)
        perf_scale = self.performance_scale or _common_scale(survey, attrs)
        imp_scale = self.importance_scale
        if kind == "columns" and imp_scale is None:
            imp_scale = _common_scale(survey, columns)
        model = self.model_copy(
            update={"performance_scale": perf_scale, "importance_scale": imp_scale}
        )
        drivers: DriverAnalysisResult | SegmentedResult | None = None
        if isinstance(importance, DriverAnalysis):
            drivers = importance.fit(survey, by=by)
        elif isinstance(importance, (DriverAnalysisResult, SegmentedResult)):
            drivers = importance
        notes: list[str] = []

        def one(part: SurveyData, segment: str | None) -> ImportancePerformanceResult:
            perf = _means(part, attrs)
            if kind == "columns":
                assert isinstance(importance, Mapping)
                imp = pd.Series(
                    [_means(part, [str(importance[a])]).iloc[0] for a in attrs],
                    index=pd.Index(attrs),
                )
                source = "stated importance (mean rating of " + ", ".join(columns) + ")"
            elif drivers is not None:
                src = drivers
                if isinstance(drivers, SegmentedResult):
                    src = drivers.segments.get(str(segment), drivers.pooled)  # type: ignore[assignment]
                assert isinstance(src, DriverAnalysisResult)
                method = model._driver_method(src)
                imp = src.importance[method].reindex(attrs)
                source = f"derived importance ({method}) against {src.settings.get('overall')}"
            else:
                imp = _as_series(importance, "importance", self._name).reindex(attrs)
                source = "stated importance (given values)"
            return model.evaluate(imp, perf, labels=part.labels(), source=source)

        pooled = one(survey, None)
        if by is None:
            return pooled
        columns_by = as_by(by, owner=f"{self._name}.fit")
        if isinstance(drivers, DriverAnalysisResult) and kind != "columns":
            warn_and_note(
                notes,
                f"the driver analysis has no segments by {by!r}; every segment uses the "
                "pooled derived importance with its own performance",
                DataQualityWarning,
            )
        segmented = fit_by(
            survey,
            columns_by,
            lambda part: one(part, label_of(part, columns_by)),
            owner=f"{self._name}.fit",
            pooled=pooled,
            settings={"model": self._name},
        )
        return segmented.model_copy(update={"notes": tuple(notes) + segmented.notes})

    # -- internals -----------------------------------------------------------------
    def _driver_method(self, result: DriverAnalysisResult) -> str:
        method = resolve_methods([self.method], model=self._name)[0]
        if method not in result.importance.columns:
            raise SpecificationError(
                f"{self._name}: method={self.method!r} is not in the driver analysis, which "
                f"estimated {', '.join(repr(str(c)) for c in result.importance.columns)}; "
                "pass one of those as method="
            )
        return method

    def _importance_kind(
        self, importance: Any, attributes: list[str] | tuple[str, ...] | None
    ) -> tuple[str, list[str], list[str]]:
        if isinstance(importance, DriverAnalysis):
            attrs = list(importance.attributes)
            return "drivers", _select(attrs, attributes, self._name), [importance.overall]
        if isinstance(importance, DriverAnalysisResult):
            attrs = [str(a) for a in importance.importance.index]
            return "drivers", _select(attrs, attributes, self._name), []
        if isinstance(importance, (pd.Series, Mapping)):
            keys = [str(k) for k in importance.keys()]
            values = (
                list(importance.values())
                if isinstance(importance, Mapping)
                else list(importance.to_numpy())
            )
            attrs = _select(keys, attributes, self._name)
            if values and all(isinstance(v, str) for v in values):
                cols = [str(importance[a]) for a in attrs]
                return "columns", attrs, cols
            return "stated", attrs, []
        raise SpecificationError(
            f"{self._name}: importance must be a Series or dict of values, a dict of "
            "attribute to importance-rating column, a DriverAnalysis or a "
            f"DriverAnalysisResult; got {type(importance).__name__}"
        )

    def _crosshair(
        self,
        values: pd.Series,
        axis: str,
        explicit: float | None,
        scale: tuple[float, float] | None,
    ) -> tuple[float, str]:
        if explicit is not None:
            if not math.isfinite(explicit):
                raise SpecificationError(
                    f"{self._name}: {axis}_crosshair must be finite, got {explicit!r}"
                )
            return float(explicit), f"{axis}: given value"
        if self.crosshair == "midpoint":
            if scale is None:
                hint = (
                    " (derived importance has no scale: pass importance_crosshair=... or "
                    "use crosshair='mean')"
                    if axis == "importance"
                    else ""
                )
                raise SpecificationError(
                    f"{self._name}: crosshair='midpoint' needs {axis}_scale=(min, max) for "
                    f"the {axis} axis{hint}"
                )
            return (scale[0] + scale[1]) / 2, f"{axis}: scale midpoint"
        arr = values.to_numpy(dtype=np.float64)
        if self.crosshair == "mean":
            return float(arr.mean()), f"{axis}: mean of attributes"
        return weighted_quantile(arr, 0.5), f"{axis}: median of attributes"

    def _evaluate(
        self, imp: pd.Series, perf: pd.Series, labels: dict[str, str], source: str
    ) -> ImportancePerformanceResult:
        notes: list[str] = []
        for name, values, scale in (
            ("importance", imp, self.importance_scale),
            ("performance", perf, self.performance_scale),
        ):
            if scale is not None:
                lo, hi = scale
                if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
                    raise SpecificationError(
                        f"{self._name}: {name}_scale must be (min, max) with min < max, "
                        f"got {scale!r}"
                    )
                outside = [str(a) for a, v in values.items() if v < lo or v > hi]
                if outside:
                    raise DataValidationError(
                        f"{self._name}: {name} of {format_offenders(outside)} lies outside "
                        f"the declared {name}_scale [{lo:g}, {hi:g}]; check the values or "
                        "the scale"
                    )
        ci, ci_how = self._crosshair(
            imp, "importance", self.importance_crosshair, self.importance_scale
        )
        cp, cp_how = self._crosshair(
            perf, "performance", self.performance_crosshair, self.performance_scale
        )
        same_scale = (
            self.importance_scale is not None
            and self.performance_scale is not None
            and tuple(self.importance_scale) == tuple(self.performance_scale)
        )
        iv = imp.to_numpy(dtype=np.float64)
        pv = perf.to_numpy(dtype=np.float64)
        if same_scale:
            ui = up = 1.0
            units = "raw (common declared scale)"
        else:
            ui = float(np.std(iv, ddof=1))
            up = float(np.std(pv, ddof=1))
            units = "each axis divided by its standard deviation across attributes"
            for axis, value in (("importance", ui), ("performance", up)):
                if not value > 0:
                    warn_and_note(
                        notes,
                        f"every attribute has the same {axis}; that axis cannot be "
                        "standardised and is used in raw units",
                        DataQualityWarning,
                    )
            ui = ui if ui > 0 else 1.0
            up = up if up > 0 else 1.0
        off_i = iv - ci
        off_p = pv - cp
        u, v = off_i / ui, off_p / up
        keys = [
            _quadrant_key(bool(a >= 0), bool(b >= 0)) for a, b in zip(off_i, off_p, strict=True)
        ]
        std_gap = u - v
        if self.diagonal:
            order = np.lexsort((np.arange(iv.size), -std_gap))
            priority_how = "signed distance to the iso-priority diagonal"
        else:
            q_order = np.array([QUADRANTS[k].order for k in keys])
            order = np.lexsort((np.arange(iv.size), -std_gap, q_order))
            priority_how = "quadrant order, then standardised gap"
        priority = np.empty(iv.size, dtype=np.int64)
        priority[order] = np.arange(1, iv.size + 1)
        gap = iv - pv if same_scale else np.full(iv.size, np.nan)
        if not same_scale:
            notes.append(
                "gap (importance − performance) is not applicable: the axes are not on one "
                "declared scale; standardised_gap compares them in standard-deviation units"
            )
        names = [str(a) for a in imp.index]
        table = pd.DataFrame(
            {
                "label": [labels.get(a, a) for a in names],
                "importance": iv,
                "performance": pv,
                "quadrant": keys,
                "quadrant_label": [QUADRANTS[k].label for k in keys],
                "quadrant_label_zh": [QUADRANTS[k].label_zh for k in keys],
                "importance_offset": off_i,
                "performance_offset": off_p,
                "distance": np.hypot(u, v),
                "gap": gap,
                "standardised_gap": std_gap,
                "diagonal_distance": std_gap / math.sqrt(2.0),
                "priority": priority,
            },
            index=pd.Index(imp.index, name="attribute"),
        )
        settings = {
            "crosshair": f"{ci_how}; {cp_how}",
            "crosshair_option": self.crosshair,
            "importance_scale": list(self.importance_scale) if self.importance_scale else None,
            "performance_scale": (list(self.performance_scale) if self.performance_scale else None),
            "diagonal": self.diagonal,
            "axis_units": units,
            "priority": priority_how,
            "importance_source": source,
        }
        return ImportancePerformanceResult(
            table=table,
            importance_crosshair=ci,
            performance_crosshair=cp,
            importance_unit=ui,
            performance_unit=up,
            settings=settings,
            notes=tuple(notes),
        )


def _quadrant_key(high_importance: bool, high_performance: bool) -> str:
    for key, q in QUADRANTS.items():
        if q.high_importance == high_importance and q.high_performance == high_performance:
            return key
    raise AssertionError("unreachable")  # pragma: no cover


def _as_series(values: Any, what: str, model: str) -> pd.Series:
    if isinstance(values, Mapping) and not isinstance(values, pd.Series):
        values = pd.Series(dict(values), dtype=object)
    if not isinstance(values, pd.Series):
        raise DataValidationError(
            f"{model}: {what} must be a pandas Series or a dict indexed by attribute, got "
            f"{type(values).__name__}"
        )
    if values.index.has_duplicates:
        dupes = sorted({str(a) for a in values.index[values.index.duplicated()]})
        raise DataValidationError(
            f"{model}: {what} lists attribute {format_offenders(dupes)} more than once"
        )
    out = pd.to_numeric(values, errors="coerce").astype(np.float64)
    bad = [str(a) for a, v in out.items() if not np.isfinite(v)]
    if bad:
        raise DataValidationError(
            f"{model}: {what} of attribute {format_offenders(bad)} is missing or not a "
            "finite number; give a number for every attribute"
        )
    return out.copy()


def _select(
    available: list[str], attributes: list[str] | tuple[str, ...] | None, model: str
) -> list[str]:
    if attributes is None:
        return available
    unknown = sorted(str(a) for a in attributes if a not in available)
    if unknown:
        raise DataValidationError(
            f"{model}: attribute {format_offenders(unknown)} has no importance; importance "
            f"covers {format_offenders(sorted(available))}"
        )
    return list(attributes)


def _means(data: SurveyData, columns: list[str]) -> pd.Series:
    w = data.weights()
    values = [weighted_mean(data.frame[c].to_numpy(dtype=np.float64), w) for c in columns]
    bad = [c for c, v in zip(columns, values, strict=True) if not np.isfinite(v)]
    if bad:
        raise DataValidationError(
            f"column {format_offenders(bad)} has no answers in these data; its mean is undefined"
        )
    return pd.Series(values, index=pd.Index(columns), dtype=np.float64)


def _common_scale(data: SurveyData, columns: list[str]) -> tuple[float, float] | None:
    scales = {
        (s.min, s.max) if (s := data.item_info[c].scale) is not None else None for c in columns
    }
    if len(scales) == 1:
        only = scales.pop()
        return only
    return None
