"""SurveyData: the one gate through which every model receives survey answers."""

from __future__ import annotations

import os
import warnings
from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from csimodels._pydantic import NoLegacyAPI
from csimodels._stats import weighted_mean
from csimodels.data import _validate as v
from csimodels.data._periods import check_period_column, order_periods
from csimodels.data.scale import ItemInfo, Scale, _Validated
from csimodels.data.steps import DataStep
from csimodels.errors import (
    DataQualityWarning,
    DataValidationError,
    InvalidParameterError,
    format_offenders,
)
from csimodels.results import MissingDataReport, Summary, _TableCopy

if TYPE_CHECKING:
    from csimodels.data.describe import DescriptionResult

__all__ = ["MISSING_STRATEGIES", "ItemMatrix", "SurveyData"]

MissingStrategy = Literal["listwise", "mean", "pairwise"]
MISSING_STRATEGIES: tuple[str, ...] = ("listwise", "mean", "pairwise")

ScaleArg = Scale | tuple[float, float] | Mapping[str, Scale | tuple[float, float]] | None


@dataclass(frozen=True)
class ItemMatrix:
    """Item answers ready for an engine, after missing-data handling.

    Attributes
    ----------
    values : ndarray, shape (n_used, n_items)
        float64 answers; NaN only with the ``"pairwise"`` strategy.
    weights : ndarray, shape (n_used,) or None
        Respondent weights of the rows used, if the survey has a weight column.
    rows : pandas.Index
        Row labels (from the caller's frame) of the rows used.
    items : tuple of str
        Column names, in the order of ``values``' columns.
    report : MissingDataReport
        What the missing-data strategy did.
    """

    values: NDArray[np.float64]
    weights: NDArray[np.float64] | None
    rows: pd.Index
    items: tuple[str, ...]
    report: MissingDataReport


def _protect_frame_field(cls: type[BaseModel], name: str) -> None:
    setattr(cls, name, _TableCopy(name))


class SurveyData(NoLegacyAPI, _Validated):
    """Survey answers with their metadata: scales, labels, constructs, weights, segments.

    Build it with :meth:`from_frame` or :meth:`from_csv`; every model accepts it (or
    a plain DataFrame together with explicit arguments). Construction validates the
    answers once, replaces missing-value codes by NaN and applies reverse coding
    (``x → min + max − x``); the caller's frame is never modified.

    Attributes
    ----------
    frame : pandas.DataFrame
        The cleaned answers (items as float64), with weight, segment and period columns.
        Each access returns a copy-on-write copy: editing it never changes the
        validated data (build a new SurveyData to change answers).
    items : tuple of str
        Item (question) columns.
    item_info : dict of str to ItemInfo
        Scale, label and reverse-coding flag of each item.
    constructs : dict of str to tuple of str
        Optional grouping of items into constructs or dimensions.
    construct_labels : dict of str to str
        Human labels of constructs (any language).
    weight, segments, period : column names
        Respondent weight, segment hierarchy (coarse to fine) and period columns.
    missing_codes : tuple
        Answer codes that meant "no answer" and were turned into NaN.
    steps : tuple of DataStep
        The preparation record: missing codes recoded, items reverse-coded,
        respondents excluded by a screening or a stated subset (see
        :mod:`csimodels.data.steps`).

    Examples
    --------
    >>> import pandas as pd, csimodels as csi
    >>> df = pd.DataFrame({"SAT1": [7, 9, 99, 10], "SAT2": [6, 8, 7, 10],
    ...                    "region": ["North", "North", "South", "South"]})
    >>> data = csi.SurveyData.from_frame(df, scale=(1, 10), missing_codes=[99],
    ...                                  segments=["region"], labels={"SAT1": "满意度"})
    >>> data.items, data.n_respondents
    (('SAT1', 'SAT2'), 4)
    >>> data.missing_shares().round(2).to_dict()
    {'SAT1': 0.25, 'SAT2': 0.0}
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True, extra="forbid")

    frame: pd.DataFrame
    items: tuple[str, ...]
    item_info: dict[str, ItemInfo]
    constructs: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    construct_labels: dict[str, str] = Field(default_factory=dict)
    weight: str | None = None
    segments: tuple[str, ...] = ()
    period: str | None = None
    missing_codes: tuple[Any, ...] = ()
    steps: tuple[DataStep, ...] = ()

    # -- construction --------------------------------------------------------------
    @classmethod
    def from_frame(
        cls,
        df: pd.DataFrame,
        *,
        items: Sequence[str] | None = None,
        scale: ScaleArg = None,
        missing_codes: Sequence[Any] | Mapping[str, Sequence[Any]] = (),
        reverse: Sequence[str] = (),
        labels: Mapping[str, str] | None = None,
        constructs: Mapping[str, Sequence[str]] | None = None,
        construct_labels: Mapping[str, str] | None = None,
        weight: str | None = None,
        segments: Sequence[str] = (),
        period: str | None = None,
    ) -> SurveyData:
        """Validate a DataFrame of answers and wrap it.

        Parameters
        ----------
        df : pandas.DataFrame
            One row per respondent. Not modified.
        items : list of str, optional
            Item columns. Default: every column that is not the weight, a segment or
            the period (non-numeric ones then raise, naming the column).
        scale : (min, max), Scale or dict of item to scale, optional
            The declared answer scale. Needed for the 0–100 index, top/bottom-box
            shares and reverse coding. Values outside it raise.
        missing_codes : list, or dict of item to list
            Codes meaning "no answer" (e.g. 99, 0 or "DK"); they become NaN.
        reverse : list of str
            Reverse-coded items (``x → min + max − x``; needs their scale).
        labels : dict of item to str
            Human labels (any language); default the column name.
        constructs : dict of construct to items
            Optional grouping of items; an item may belong to one construct only.
        construct_labels : dict of construct to str
            Human labels of constructs, e.g. ``{"Quality": "感知质量"}``.
        weight : str, optional
            Respondent weight column: finite, >= 0, not all zero.
        segments : list of str
            Segment columns from coarse to fine (region > province > city > store);
            each finer label must belong to exactly one coarser one.
        period : str, optional
            Period column (e.g. quarter) for trend analyses: pandas Periods or
            datetimes, an ordered categorical, numbers, or text in one format
            (``'1'``, ``'2024Q1'``, ``'2024-03'``); see :meth:`period_order`. Mixed
            types or formats raise; respondents without a period are counted in a
            warning and left out of analyses by period.

        Raises
        ------
        DataValidationError
            Naming the column, the first offending rows and what was expected.

        Warns
        -----
        DataQualityWarning
            For items whose answers are all the same, and respondents without a period.
        """
        df = v.check_frame(df)
        v.check_argument_kinds(
            items=items,
            missing_codes=missing_codes,
            reverse=reverse,
            labels=labels,
            constructs=constructs,
            construct_labels=construct_labels,
            weight=weight,
            segments=segments,
            period=period,
        )
        segments = tuple(segments)
        special = [c for c in (weight, period) if c is not None] + list(segments)
        v.check_columns_exist(df, special, role="column")
        if items is None:
            item_list = [c for c in df.columns if c not in special]
            nonstr = [c for c in item_list if not isinstance(c, str)]
            if nonstr:
                raise DataValidationError(
                    f"item column names must be strings, got {format_offenders(nonstr)}; "
                    "rename the columns (df.columns = df.columns.astype(str))"
                )
        else:
            if isinstance(items, str):
                raise DataValidationError("items must be a list of column names, not one string")
            item_list = list(items)
            v.check_no_duplicates(item_list, role="items")
            v.check_columns_exist(df, item_list, role="item column")
        if not item_list:
            raise DataValidationError("no item columns: pass items=[...] naming the answer columns")
        clash = sorted(set(item_list) & set(special))
        if clash:
            raise DataValidationError(
                f"column {format_offenders(clash)} is both an item and a weight/segment/period "
                "column; a column can play one role only"
            )

        scales = _resolve_scales(scale, item_list)
        codes = _resolve_codes(missing_codes, item_list)
        label_map = dict(labels or {})
        v.check_columns_exist(
            pd.DataFrame(columns=item_list), label_map, role="labels for item", where="items"
        )
        reverse = list(reverse)
        v.check_no_duplicates(reverse, role="reverse")
        v.check_columns_exist(
            pd.DataFrame(columns=item_list), reverse, role="reverse-coded item", where="items"
        )
        no_scale = sorted(r for r in reverse if scales[r] is None)
        if no_scale:
            raise DataValidationError(
                f"reverse-coded item {format_offenders(no_scale)} has no declared scale; "
                "pass scale=(min, max) so that x can become min + max - x"
            )
        construct_map = {k: tuple(m) for k, m in (constructs or {}).items()}
        v.check_mapping_items(construct_map, item_list, role="construct")
        c_labels = dict(construct_labels or {})
        unknown = sorted(k for k in c_labels if k not in construct_map)
        if unknown:
            raise DataValidationError(
                f"construct_labels names {format_offenders(unknown)}, which "
                "are not constructs; declare them in constructs={...} first"
            )

        columns: dict[Hashable, Any] = {}
        notes: list[str] = []
        recoded: dict[str, int] = {}
        for name in item_list:
            col = v.to_numeric_item(df[name], name, codes[name], scales[name])
            if codes[name]:
                recoded[name] = int(np.isnan(col).sum() - df[name].isna().sum())
            sc = scales[name]
            if name in reverse and sc is not None:
                col = sc.min + sc.max - col
            columns[name] = col
        if weight is not None:
            columns[weight] = v.check_weights(df[weight], weight)
        v.check_segments(df, segments)
        for name in segments:
            columns[name] = df[name].to_numpy(copy=True)
        if period is not None:
            check_period_column(df[period], period)
            columns[period] = df[period].array.copy()
            no_period = df[period].isna().to_numpy()
            if no_period.any():
                notes.append(
                    f"period column {period!r} is missing for {int(no_period.sum())} of "
                    f"{no_period.size} respondents "
                    f"({v.rows_with_values(df.index, no_period, df[period].tolist())}); "
                    "analyses by period leave them out (see SurveyData.n_without_period)"
                )
        frame = pd.DataFrame(columns, index=df.index.copy())
        partition = v.checking_partition()  # the whole data judges these two
        for name in item_list:
            values = columns[name]
            valid = values[~np.isnan(values)]
            if partition:
                continue
            if valid.size == 0:
                raise DataValidationError(
                    f"column {name!r} has no valid answers (all missing"
                    f"{' or missing codes' if codes[name] else ''}); drop it from items"
                )
            if valid.size > 1 and np.all(valid == valid[0]):
                notes.append(f"item {name!r} is constant (every answer is {valid[0]:g})")
        info = {
            name: ItemInfo(
                name=name,
                label=str(label_map.get(name, name)),
                scale=scales[name],
                reverse_coded=name in reverse,
            )
            for name in item_list
        }
        for note in notes:
            warnings.warn(note, DataQualityWarning, stacklevel=2)
        n = int(frame.shape[0])
        steps: list[DataStep] = []
        if any(recoded.values()):
            steps.append(
                DataStep(
                    kind="missing_codes",
                    n_before=n,
                    n_after=n,
                    counts={"answers": sum(recoded.values())},
                    items=tuple(k for k, c in recoded.items() if c),
                )
            )
        if reverse:
            steps.append(
                DataStep(kind="reverse", n_before=n, n_after=n, items=tuple(map(str, reverse)))
            )
        return cls(
            frame=frame,
            items=tuple(item_list),
            item_info=info,
            constructs=construct_map,
            construct_labels=c_labels,
            weight=weight,
            segments=segments,
            period=period,
            missing_codes=tuple(sorted({c for cs in codes.values() for c in cs}, key=str)),
            steps=tuple(steps),
        )

    @classmethod
    def from_csv(
        cls,
        path: str | os.PathLike[str],
        *,
        read_options: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> SurveyData:
        """Read a CSV file (``pandas.read_csv(path, **read_options)``) and validate it.

        Keyword arguments are those of :meth:`from_frame`.

        Examples
        --------
        >>> import csimodels as csi, tempfile, os
        >>> path = os.path.join(tempfile.mkdtemp(), "s.csv")
        >>> _ = open(path, "w").write("Q1,Q2\\n1,2\\n3,4\\n")
        >>> csi.SurveyData.from_csv(path, scale=(1, 5)).n_respondents
        2
        """
        df = pd.read_csv(path, **dict(read_options or {}))
        return cls.from_frame(df, **kwargs)

    @classmethod
    def from_excel(
        cls, path: str | os.PathLike[str], *, sheet_name: str | int = 0, **kwargs: Any
    ) -> SurveyData:
        """Read one sheet of an Excel workbook (needs the ``excel`` extra) and validate it.

        Examples
        --------
        >>> import csimodels as csi
        >>> csi.SurveyData.from_excel  # doctest: +ELLIPSIS
        <bound method SurveyData.from_excel of ...>
        """
        try:
            import openpyxl  # type: ignore[import-untyped]  # noqa: F401
        except ImportError as err:  # pragma: no cover - depends on the environment
            raise ImportError(
                "reading Excel files needs openpyxl: pip install 'csimodels[excel]'"
            ) from err
        df = pd.read_excel(path, sheet_name=sheet_name)
        return cls.from_frame(df, **kwargs)

    @classmethod
    def from_excel_labelled(
        cls, path: str | os.PathLike[str], *, sheet_name: str | int = 0, **kwargs: Any
    ) -> SurveyData:
        """Read an Excel sheet whose second row holds the item labels (``excel`` extra).

        Row 1 has the column names, row 2 their labels (any language), answers follow.
        See :func:`csimodels.data.readers.read_excel_labelled`; keyword arguments are
        those of :meth:`from_frame` (explicit ``labels`` override the sheet's).

        Examples
        --------
        >>> import os, tempfile, pandas as pd, csimodels as csi
        >>> path = os.path.join(tempfile.mkdtemp(), "s.xlsx")
        >>> pd.DataFrame([["满意度", "质量"], [7, 8], [9, 6]], columns=["SAT", "QUAL"]).to_excel(
        ...     path, index=False)
        >>> csi.SurveyData.from_excel_labelled(path, scale=(1, 10)).labels()["SAT"]
        '满意度'
        """
        from csimodels.data.readers import read_excel_labelled

        return read_excel_labelled(path, sheet_name=sheet_name).to_survey(**kwargs)

    @classmethod
    def from_spss(cls, path: str | os.PathLike[str], **kwargs: Any) -> SurveyData:
        """Read an SPSS ``.sav`` file (``spss`` extra): variable labels become item labels,
        user-missing values become missing codes, value labels of segment columns
        become their labels.

        See :func:`csimodels.data.readers.read_spss`; keyword arguments are those of
        :meth:`from_frame` (explicit ``labels`` override the file's; explicit
        ``missing_codes`` are added to its user-missing codes).

        Examples
        --------
        >>> import csimodels as csi
        >>> csi.SurveyData.from_spss  # doctest: +ELLIPSIS
        <bound method SurveyData.from_spss of ...>
        """
        from csimodels.data.readers import read_spss

        return read_spss(path).to_survey(**kwargs)

    @classmethod
    def from_stata(cls, path: str | os.PathLike[str], **kwargs: Any) -> SurveyData:
        """Read a Stata ``.dta`` file (``spss`` extra) with its variable labels.

        See :func:`csimodels.data.readers.read_stata`; keyword arguments are those of
        :meth:`from_frame`.

        Examples
        --------
        >>> import csimodels as csi
        >>> csi.SurveyData.from_stata  # doctest: +ELLIPSIS
        <bound method SurveyData.from_stata of ...>
        """
        from csimodels.data.readers import read_stata

        return read_stata(path).to_survey(**kwargs)

    @classmethod
    def coerce(
        cls,
        data: SurveyData | pd.DataFrame,
        *,
        owner: str = "fit",
        items: Sequence[str] | None = None,
        scale: ScaleArg = None,
        missing_codes: Sequence[Any] | Mapping[str, Sequence[Any]] = (),
        reverse: Sequence[str] = (),
        labels: Mapping[str, str] | None = None,
        constructs: Mapping[str, Sequence[str]] | None = None,
        construct_labels: Mapping[str, str] | None = None,
        weight: str | None = None,
        segments: Sequence[str] | str | None = (),
        period: str | None = None,
        **unknown: Any,
    ) -> SurveyData:
        """The one data gate: a SurveyData as it is, or a DataFrame validated by :meth:`from_frame`.

        Every model's ``fit`` calls this, so a plain DataFrame takes every option that
        :meth:`from_frame` takes (``missing_codes``, ``reverse``, ``labels``, ``weight``,
        ``segments``, ``period``...). With a SurveyData, arguments that would change
        it are refused rather than ignored: a different weight, scale or period, a
        segment it does not declare, missing codes or reverse coding (already applied
        when it was built), and items it does not have.

        Parameters
        ----------
        owner : str
            The model named in messages (``"ACSI.fit"``).
        segments : str or list of str
            Segment columns (a ``by=`` column is passed here).

        Examples
        --------
        >>> import pandas as pd, csimodels as csi
        >>> csi.SurveyData.coerce(pd.DataFrame({"Q": [1, 2]}), scale=(1, 5)).items
        ('Q',)
        >>> data = csi.datasets.load_example("acsi_demo")
        >>> csi.SurveyData.coerce(data, weight="other")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        csimodels.errors.DataValidationError: fit: weight='other' contradicts the SurveyData...
        """
        if unknown:
            # a family passes its fit's extra keywords on as data options: a typo, or a
            # model setting given to fit, is named here rather than as a TypeError
            name = sorted(unknown)[0]
            raise InvalidParameterError(
                f"{owner} has no parameter {name!r}; the data options are items, scale, "
                "missing_codes, reverse, labels, constructs, construct_labels, weight, "
                "segments and period (a model setting goes to the model's constructor)"
            )
        seg_list = [segments] if isinstance(segments, str) else list(segments or ())
        if isinstance(data, pd.DataFrame):
            return cls.from_frame(
                data,
                items=items,
                scale=scale,
                missing_codes=missing_codes,
                reverse=reverse,
                labels=labels,
                constructs=constructs,
                construct_labels=construct_labels,
                weight=weight,
                segments=seg_list,
                period=period,
            )
        if type(data).__module__.split(".")[0] in ("dask", "dask_expr"):
            raise DataValidationError(
                f"{owner}: data is a dask DataFrame; it is fitted out of core by the models "
                "that fit from per-partition statistics (PLS, CB-SEM, Kano, SERVQUAL, "
                "SERVPERF, ZoneOfTolerance, DriverAnalysis, EFA, Reliability); for this one "
                "collect it first (ddf.compute(), or a sample: ddf.sample(frac=0.1).compute())"
            )
        if isinstance(data, (str, os.PathLike)):
            raise DataValidationError(
                f"{owner}: data is a path ({str(data)!r}); a parquet path is read out of core "
                "by the models that fit from per-partition statistics (PLS, CB-SEM, Kano, "
                "SERVQUAL, SERVPERF, ZoneOfTolerance, DriverAnalysis, EFA, Reliability); for "
                "this one read it first "
                "(pandas.read_parquet, SurveyData.from_csv / from_excel)"
            )
        if not isinstance(data, SurveyData):
            raise DataValidationError(
                f"{owner}: data must be a csimodels.SurveyData or a pandas DataFrame, got "
                f"{type(data).__name__}"
            )
        data._check_arguments(
            owner,
            items=items,
            scale=scale,
            missing_codes=missing_codes,
            reverse=reverse,
            labels=labels,
            weight=weight,
            segments=seg_list,
            period=period,
        )
        return data

    def _check_arguments(
        self,
        owner: str,
        *,
        items: Sequence[str] | None,
        scale: ScaleArg,
        missing_codes: Sequence[Any] | Mapping[str, Sequence[Any]],
        reverse: Sequence[str],
        labels: Mapping[str, str] | None,
        weight: str | None,
        segments: Sequence[str],
        period: str | None,
    ) -> None:
        """Refuse explicit arguments that a SurveyData would otherwise silently ignore."""
        hint = "; build the SurveyData with it (SurveyData.from_frame(...)) or pass a DataFrame"
        if weight is not None and weight != self.weight:
            raise DataValidationError(
                f"{owner}: weight={weight!r} contradicts the SurveyData, whose weight column is "
                f"{self.weight!r}{hint}"
            )
        if period is not None and period != self.period:
            raise DataValidationError(
                f"{owner}: period={period!r} contradicts the SurveyData, whose period column "
                f"is {self.period!r}{hint}"
            )
        allowed = [*self.segments, *([self.period] if self.period else [])]
        unknown = [s for s in segments if s not in allowed]
        if unknown:
            raise DataValidationError(
                f"{owner}: {format_offenders(unknown)} is not a segment or period column of the "
                "SurveyData (declared: " + (format_offenders(allowed) or "none") + f"){hint}"
            )
        if missing_codes:
            raise DataValidationError(
                f"{owner}: missing_codes applies when a DataFrame is validated; this SurveyData "
                "already has its missing codes applied (declare them in SurveyData.from_frame)"
            )
        if reverse:
            raise DataValidationError(
                f"{owner}: reverse applies when a DataFrame is validated; this SurveyData "
                "already has its reverse coding applied (declare it in SurveyData.from_frame)"
            )
        if labels:
            raise DataValidationError(
                f"{owner}: labels apply when a DataFrame is validated; this SurveyData carries "
                "its own labels (declare them in SurveyData.from_frame)"
            )
        if items is not None:
            self._check_items(list(items))
        if scale is not None:
            wanted = _resolve_scales(scale, list(items or self.items))
            clash = []
            for i, sc in wanted.items():
                have = self.item_info[i].scale
                if sc is not None and (have is None or (have.min, have.max) != (sc.min, sc.max)):
                    declared = "none" if have is None else f"[{have.min:g}, {have.max:g}]"
                    clash.append(f"{i}: {declared} declared, [{sc.min:g}, {sc.max:g}] given")
            if clash:
                raise DataValidationError(
                    f"{owner}: scale= contradicts the SurveyData's declared scales "
                    f"({format_offenders(clash)}); a SurveyData keeps the scales it was "
                    "built with"
                )

    # -- simple properties ---------------------------------------------------------
    @property
    def n_respondents(self) -> int:
        """Number of rows (respondents)."""
        return int(self.frame.shape[0])

    def scale_of(self, item: str) -> Scale | None:
        """The declared scale of ``item`` (None if not declared)."""
        self._check_items([item])
        return self.item_info[item].scale

    def labels(self) -> dict[str, str]:
        """Item labels, e.g. ``{"SAT1": "总体满意度"}``."""
        return {k: i.label for k, i in self.item_info.items()}

    def period_order(self) -> tuple[Hashable, ...]:
        """The distinct labels of the period column in their real order.

        Pandas Periods and datetimes in time order, an ordered categorical in the order
        of its categories, numbers and numeric strings numerically (``'10'`` after
        ``'9'``), ``'YYYYQn'`` quarters and ``'YYYY-MM'`` months by date. Respondents
        without a period are left out (:attr:`n_without_period` counts them).

        Raises
        ------
        DataValidationError
            Without a period column, or for text labels with no recognisable order.

        Examples
        --------
        >>> import pandas as pd, csimodels as csi
        >>> df = pd.DataFrame({"SAT": [7, 8, 9, 6], "wave": ["10", "9", "1", "9"]})
        >>> csi.SurveyData.from_frame(df, items=["SAT"], period="wave").period_order()
        ('1', '9', '10')
        """
        if self.period is None:
            raise DataValidationError(
                "this survey has no period column; declare it with "
                "SurveyData.from_frame(..., period='<column>')"
            )
        return order_periods(self.frame[self.period], self.period)

    @property
    def n_without_period(self) -> int:
        """Respondents whose period is missing (0 without a period column).

        Examples
        --------
        >>> import pandas as pd, warnings, csimodels as csi
        >>> df = pd.DataFrame({"SAT": [7, 8, 9], "q": ["2024Q1", None, "2024Q2"]})
        >>> with warnings.catch_warnings(record=True):
        ...     data = csi.SurveyData.from_frame(df, items=["SAT"], period="q")
        >>> data.n_without_period
        1
        """
        if self.period is None:
            return 0
        return int(self.frame[self.period].isna().sum())

    def construct(self, name: str) -> tuple[str, ...]:  # type: ignore[override]
        """The items of construct ``name`` (declared with ``constructs=...``).

        Examples
        --------
        >>> import csimodels as csi
        >>> csi.datasets.load_example("acsi_demo").construct("Value")
        ('VAL1', 'VAL2')
        """
        if name not in self.constructs:
            raise DataValidationError(
                f"construct {name!r} is not declared in this survey; its constructs are "
                + (format_offenders(sorted(self.constructs)) or "none (pass constructs=...)")
            )
        return self.constructs[name]

    def weights(self) -> NDArray[np.float64] | None:
        """The respondent weights (a copy, rescaled), or None.

        Weights are relative: they are multiplied by a power of two so that the largest
        lies in [0.5, 1). That scaling is exact (every ratio of weights is unchanged,
        bit for bit) and keeps sums finite (valid weights of 1e308 do not overflow).

        Raises
        ------
        DataValidationError
            When every weight of these data is zero (e.g. in one segment), naming the
            segment.

        Examples
        --------
        >>> import pandas as pd, csimodels as csi
        >>> df = pd.DataFrame({"Q": [1, 2], "w": [1e308, 3e307]})
        >>> w = csi.SurveyData.from_frame(df, items=["Q"], weight="w").weights()
        >>> bool(w.sum() < 2), float(w[1] / w[0])
        (True, 0.3)
        """
        if self.weight is None:
            return None
        w = self.frame[self.weight].to_numpy(dtype=np.float64, copy=True)
        top = float(w.max()) if w.size else 0.0
        if not top > 0:
            raise DataValidationError(
                f"weight column {self.weight!r} is zero for every respondent of "
                f"{self._describe_rows()}; a group without weight cannot be estimated: "
                "leave it out or fix its weights"
            )
        scaled: NDArray[np.float64] = np.ldexp(w, -int(np.frexp(top)[1]))
        return scaled

    def _describe_rows(self) -> str:
        """'segment region='North'' for a subset that lies in one segment, else 'these data'."""
        frame = self.frame
        fixed = [
            f"{c}={frame[c].iloc[0]!r}"
            for c in (*self.segments, *([self.period] if self.period else []))
            if frame.shape[0] and frame[c].nunique(dropna=False) == 1
        ]
        return f"segment {', '.join(fixed)}" if fixed else f"these data ({frame.shape[0]} rows)"

    # -- display -------------------------------------------------------------------
    def summary(self, *, precision: int = 3, max_items: int | None = None) -> Summary:
        """A data card: respondents, roles, and one row per item.

        The item table gives each item's label, construct, scale, share missing
        (after missing codes became NaN) and whether it was reverse-coded; with
        ``max_items`` only the first items are listed (a note counts the rest). In a
        notebook the SurveyData itself displays as this card (first 40 items).

        Examples
        --------
        >>> import csimodels as csi
        >>> card = csi.datasets.load_example("acsi_demo").summary()
        >>> dict(card.header)["Respondents"]
        '4,000'
        >>> card.tables["Items"].loc["SAT1", "construct"]
        'Satisfaction'
        """
        frame = self.frame
        header: list[tuple[str, object]] = [
            ("Respondents", f"{self.n_respondents:,}"),
            ("Items", len(self.items)),
        ]
        if self.constructs:
            header.append(("Constructs", ", ".join(self.constructs)))
        if self.weight is not None:
            w = frame[self.weight].to_numpy(dtype=np.float64)
            total, squares = float(w.sum()), float((w * w).sum())
            kish = total * total / squares if squares > 0 else float("nan")
            header.append(("Weight", f"{self.weight} (Kish effective n {kish:,.0f})"))
        for col in self.segments:
            header.append((f"Segment {col}", f"{frame[col].nunique(dropna=True)} values"))
        if self.period is not None:
            order = self.period_order()
            span = f"{order[0]} – {order[-1]}" if order else "none"
            header.append(("Period", f"{self.period}: {len(order)} periods, {span}"))
        if self.missing_codes:
            header.append(("Missing codes", ", ".join(str(c) for c in self.missing_codes)))
        construct_of = {i: c for c, items in self.constructs.items() for i in items}
        missing = self.missing_shares()
        rows = []
        for item in self.items:
            info = self.item_info[item]
            sc = info.scale
            rows.append(
                {
                    "label": info.label,
                    "construct": construct_of.get(item, ""),
                    "scale": "" if sc is None else f"{sc.min:g}–{sc.max:g}",
                    "missing_share": float(missing[item]),
                    "reverse_coded": info.reverse_coded,
                }
            )
        items = pd.DataFrame(rows, index=pd.Index(self.items, name="item"))
        notes: list[str] = []
        if max_items is not None and len(items) > max_items:
            notes.append(f"{len(items) - max_items} more items are not listed")
            items = items.head(max_items)
        tables: dict[str, pd.DataFrame] = {"Items": items}
        if self.steps:
            tables["Preparation"] = pd.DataFrame(
                {"step": [step.describe() for step in self.steps]},
                index=pd.RangeIndex(1, len(self.steps) + 1, name="#"),
            )
        return Summary("Survey data", header, tables, notes, precision=precision)

    def __repr__(self) -> str:
        return self.summary(max_items=40).as_text()

    def __str__(self) -> str:
        return self.summary(max_items=40).as_text()

    def _repr_html_(self) -> str:
        return self.summary(max_items=40).as_html()

    def missing_shares(self) -> pd.Series:
        """Share of missing answers per item (after missing codes became NaN)."""
        return self.frame[list(self.items)].isna().mean().rename("missing_share")

    def _item_names(self, items: Sequence[str] | None, where: str) -> list[str]:
        """``items`` as a checked list (default all); a bare string is refused."""
        if items is None:
            return list(self.items)
        if isinstance(items, (str, bytes)):
            hint = (
                f"; to choose the method, pass method={items!r}"
                if items in ("pearson", "spearman")
                else f" (for one item: [{items!r}])"
            )
            raise DataValidationError(
                f"{where}: items must be a list of item names, got the string {items!r}{hint}"
            )
        if not isinstance(items, (Sequence, pd.Index, np.ndarray)) and not (
            hasattr(items, "__iter__") and not isinstance(items, Mapping)
        ):
            raise DataValidationError(
                f"{where}: items must be a list of item names, got {type(items).__name__}"
            )
        names = list(items)
        self._check_items(names)
        return names

    def _check_items(self, items: Sequence[str]) -> None:
        unknown = sorted(
            str(i) for i in items if not isinstance(i, Hashable) or i not in self.item_info
        )
        if unknown:
            raise DataValidationError(
                f"item {format_offenders(unknown)} not in this survey; "
                f"its items are {format_offenders(sorted(self.items))}"
            )

    # -- subsets and segments ------------------------------------------------------
    def subset(
        self,
        rows: pd.Index | NDArray[np.bool_] | Sequence[Hashable],
        *,
        reason: str | None = None,
        step: DataStep | None = None,
    ) -> SurveyData:
        """The same survey restricted to some rows (labels or a boolean mask).

        With ``reason`` (why respondents are left out, e.g. ``"completed interviews
        only"``) the subset is recorded in :attr:`steps`, so that describe() and the
        report state it; ``step`` records a prepared :class:`DataStep` instead.

        Examples
        --------
        >>> import csimodels as csi
        >>> data = csi.datasets.load_example("acsi_demo")
        >>> north = data.subset(data.frame["region"] == "North", reason="northern stores")
        >>> north.steps[-1].describe()
        'kept 1,000 of 4,000 respondents: northern stores'
        """
        full = self.frame
        if isinstance(rows, (np.ndarray, pd.Series)) and rows.dtype == bool:
            mask = np.asarray(rows)
            if mask.shape != (full.shape[0],):
                raise DataValidationError(
                    f"subset: a boolean mask needs one value per respondent "
                    f"({full.shape[0]}), got shape {mask.shape}"
                )
            frame = full.loc[mask]
        else:
            if isinstance(rows, (str, bytes)) or not hasattr(rows, "__iter__"):
                raise DataValidationError(
                    f"subset takes row labels (a list) or a boolean mask, got {rows!r}"
                )
            labels = list(rows)
            unknown = [r for r in labels if not isinstance(r, Hashable) or r not in full.index]
            if unknown:
                raise DataValidationError(
                    f"subset: row label {format_offenders(unknown)} not in these data"
                )
            frame = full.loc[labels]
        if frame.shape[0] == 0:
            raise DataValidationError("the subset has no respondents")
        update: dict[str, Any] = {"frame": frame}
        if reason is not None and step is not None:
            raise DataValidationError("subset: pass reason= or step=, not both")
        if reason is not None:
            if not isinstance(reason, str) or not reason.strip():
                raise DataValidationError(
                    f"subset: reason must be a non-empty text, got {reason!r}"
                )
            step = DataStep(
                kind="subset", n_before=full.shape[0], n_after=frame.shape[0], reason=reason
            )
        if step is not None:
            update["steps"] = (*self.steps, step)
        return self.model_copy(update=update)

    def groups(self, by: str) -> Iterator[tuple[Hashable, SurveyData]]:
        """Yield ``(label, SurveyData)`` for each value of a segment or period column.

        Examples
        --------
        >>> import csimodels as csi
        >>> data = csi.datasets.load_example("acsi_demo")
        >>> [label for label, _ in data.groups("region")]
        ['East', 'North', 'South', 'West']
        """
        allowed = [*self.segments, *([self.period] if self.period else [])]
        if not isinstance(by, str) or by not in allowed:
            raise DataValidationError(
                f"by={by!r} is not a segment or period column of this survey; "
                "choose one of "
                + (format_offenders(sorted(allowed)) or "none (declare segments=...)")
            )
        frame = self.frame
        if by == self.period:
            try:
                order = self.period_order()
            except DataValidationError:  # text labels: any fixed order will do here
                order = tuple(sorted(frame[by].dropna().unique(), key=str))
            for label in order:
                yield label, self.model_copy(update={"frame": frame.loc[frame[by] == label]})
            return
        for label, part in frame.groupby(by, sort=True, observed=True):
            yield label, self.model_copy(update={"frame": part})

    # -- missing data --------------------------------------------------------------
    def item_matrix(
        self, items: Sequence[str] | None = None, *, missing: str = "listwise"
    ) -> ItemMatrix:
        """Answers of ``items`` as an ndarray after a missing-data strategy.

        Parameters
        ----------
        items : list of str, optional
            Default all items.
        missing : {"listwise", "mean", "pairwise"}
            ``"listwise"`` drops respondents with any missing answer among ``items``;
            ``"mean"`` replaces a missing answer by the item's (weighted) mean;
            ``"pairwise"`` keeps NaN for models that use pairwise-complete statistics.

        Raises
        ------
        DataValidationError
            Unknown items or strategy, or no respondent left.

        Examples
        --------
        >>> import pandas as pd, numpy as np, csimodels as csi
        >>> df = pd.DataFrame({"A": [1, np.nan, 3], "B": [2, 2, 4]})
        >>> data = csi.SurveyData.from_frame(df, scale=(1, 5))
        >>> data.item_matrix(missing="mean").values[1].tolist()
        [2.0, 2.0]
        >>> data.item_matrix(missing="listwise").report.n_rows_dropped
        1
        """
        names = self._item_names(items, "item_matrix")
        if not isinstance(missing, str) or missing not in MISSING_STRATEGIES:
            raise DataValidationError(
                f"missing={missing!r} is not a missing-data strategy; "
                f"choose one of {format_offenders(list(MISSING_STRATEGIES))}"
            )
        x = self.frame[names].to_numpy(dtype=np.float64, copy=True)
        w = self.weights()
        n = x.shape[0]
        isna = np.isnan(x)
        rows = self.frame.index
        if missing == "listwise":
            keep = ~isna.any(axis=1)
            if w is not None:
                keep &= w > 0
            if not keep.any():
                raise DataValidationError(
                    f"no respondent has answers to all of {format_offenders(names)} "
                    "(listwise deletion left an empty dataset); use missing='mean' or fewer items"
                )
            report = MissingDataReport(
                strategy="listwise",
                n_rows=n,
                n_rows_used=int(keep.sum()),
                n_rows_dropped=int(n - keep.sum()),
            )
            return ItemMatrix(
                x[keep], None if w is None else w[keep], rows[keep], tuple(names), report
            )
        empty = [names[j] for j in np.flatnonzero(isna.all(axis=0))]
        if empty:
            raise DataValidationError(
                f"item {format_offenders(empty)} has no answers in these data; drop it"
            )
        if missing == "mean":
            for j in np.flatnonzero(isna.any(axis=0)):
                x[isna[:, j], j] = weighted_mean(x[:, j], w)
            report = MissingDataReport(
                strategy="mean", n_rows=n, n_rows_used=n, n_values_imputed=int(isna.sum())
            )
        else:
            report = MissingDataReport(strategy="pairwise", n_rows=n, n_rows_used=n)
        return ItemMatrix(x, w, rows, tuple(names), report)

    # -- description ---------------------------------------------------------------
    def describe(self, items: Sequence[str] | None = None, *, box: int = 2) -> DescriptionResult:
        """Per-item descriptive statistics (weighted when a weight column is set).

        See :func:`csimodels.data.describe.describe_survey`.

        Examples
        --------
        >>> import csimodels as csi
        >>> d = csi.datasets.load_example("acsi_demo").describe()
        >>> list(d.table.columns)[:4]
        ['label', 'n', 'missing', 'missing_share']
        """
        from csimodels.data.describe import describe_survey

        return describe_survey(self, items, box=box)

    def correlations(
        self, items: Sequence[str] | None = None, *, method: str = "pearson"
    ) -> pd.DataFrame:
        """Item correlation matrix, pairwise complete, weighted when weights are set.

        Parameters
        ----------
        method : {"pearson", "spearman"}
            Spearman correlations are Pearson correlations of (weighted) mid-ranks.

        Examples
        --------
        >>> import csimodels as csi
        >>> r = csi.datasets.load_example("acsi_demo").correlations(["SAT1", "SAT2"])
        >>> bool(r.loc["SAT1", "SAT2"] > 0.3)
        True
        """
        from csimodels.data.describe import correlation_matrix

        return correlation_matrix(self, items, method=method)


# Validated data stay valid: every access to ``frame`` returns a copy-on-write copy, so
# ``data.frame["SAT1"] = 99`` (or ``.iloc[...] = ...``) never reaches the validated frame.
_protect_frame_field(SurveyData, "frame")


def _resolve_scales(scale: ScaleArg, items: Sequence[str]) -> dict[str, Scale | None]:
    if scale is None:
        return dict.fromkeys(items)
    if isinstance(scale, Mapping):
        unknown = sorted(str(k) for k in scale if k not in items)
        if unknown:
            raise DataValidationError(
                f"scale names {format_offenders(unknown)}, which "
                f"{'is not an item' if len(unknown) == 1 else 'are not items'}"
            )
    try:
        if isinstance(scale, Mapping):
            return {i: Scale.coerce(scale[i]) if i in scale else None for i in items}
        sc = Scale.coerce(scale)
        return dict.fromkeys(items, sc)
    except (TypeError, ValueError) as err:
        raise DataValidationError(
            f"scale must be (min, max) with min < max, a Scale, or a dict of item to scale; "
            f"got {scale!r} ({err})"
        ) from None


def _resolve_codes(
    codes: Sequence[Any] | Mapping[str, Sequence[Any]], items: Sequence[str]
) -> dict[str, tuple[Any, ...]]:
    if isinstance(codes, Mapping):
        unknown = sorted(str(k) for k in codes if k not in items)
        if unknown:
            raise DataValidationError(
                f"missing_codes names {format_offenders(unknown)}, which are not items"
            )
        return {i: tuple(codes.get(i, ())) for i in items}
    if isinstance(codes, (str, bytes)) or not isinstance(codes, Sequence):
        raise DataValidationError(
            f"missing_codes must be a list of codes (e.g. [99]) or a dict of item to list, "
            f"got {codes!r}"
        )
    return dict.fromkeys(items, tuple(codes))
