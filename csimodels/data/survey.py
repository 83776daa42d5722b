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
from pydantic import BaseModel, ConfigDict

from csimodels._pydantic import NoLegacyAPI
from csimodels._stats import weighted_mean
from csimodels.data import _validate as v
from csimodels.data.scale import ItemInfo, Scale
from csimodels.errors import DataQualityWarning, DataValidationError, format_offenders
from csimodels.results import MissingDataReport

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


class SurveyData(NoLegacyAPI, BaseModel):
    """Survey answers with their metadata: scales, labels, constructs, weights, segments.

    Build it with :meth:`from_frame` or :meth:`from_csv`; every model accepts it (or
    a plain DataFrame together with explicit arguments). Construction validates the
    answers once, replaces missing-value codes by NaN and applies reverse coding
    (``x → min + max − x``); the caller's frame is never modified.

    Attributes
    ----------
    frame : pandas.DataFrame
        The cleaned answers (items as float64), with weight, segment and period columns.
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
    constructs: dict[str, tuple[str, ...]] = {}
    construct_labels: dict[str, str] = {}
    weight: str | None = None
    segments: tuple[str, ...] = ()
    period: str | None = None
    missing_codes: tuple[Any, ...] = ()

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
            Period column (e.g. quarter) for trend analyses.

        Raises
        ------
        DataValidationError
            Naming the column, the first offending rows and what was expected.

        Warns
        -----
        DataQualityWarning
            For items whose answers are all the same.
        """
        df = v.check_frame(df)
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
        for name in item_list:
            col = v.to_numeric_item(df[name], name, codes[name], scales[name])
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
            columns[period] = df[period].to_numpy(copy=True)
        frame = pd.DataFrame(columns, index=df.index.copy())
        for name in item_list:
            values = columns[name]
            valid = values[~np.isnan(values)]
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
    def coerce(cls, data: SurveyData | pd.DataFrame, **kwargs: Any) -> SurveyData:
        """Return ``data`` if it is a SurveyData, else validate it with :meth:`from_frame`.

        Models call this so that a plain DataFrame works wherever a SurveyData does,
        with the same explicit arguments (never guessed).

        Examples
        --------
        >>> import pandas as pd, csimodels as csi
        >>> csi.SurveyData.coerce(pd.DataFrame({"Q": [1, 2]}), scale=(1, 5)).items
        ('Q',)
        """
        if isinstance(data, SurveyData):
            return data
        if isinstance(data, pd.DataFrame):
            return cls.from_frame(data, **kwargs)
        raise DataValidationError(
            f"data must be a csimodels.SurveyData or a pandas DataFrame, got {type(data).__name__}"
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
        """The respondent weights (a copy), or None."""
        if self.weight is None:
            return None
        return self.frame[self.weight].to_numpy(dtype=np.float64, copy=True)

    def missing_shares(self) -> pd.Series:
        """Share of missing answers per item (after missing codes became NaN)."""
        return self.frame[list(self.items)].isna().mean().rename("missing_share")

    def _check_items(self, items: Sequence[str]) -> None:
        unknown = sorted(str(i) for i in items if i not in self.item_info)
        if unknown:
            raise DataValidationError(
                f"item {format_offenders(unknown)} not in this survey; "
                f"its items are {format_offenders(sorted(self.items))}"
            )

    # -- subsets and segments ------------------------------------------------------
    def subset(self, rows: pd.Index | NDArray[np.bool_] | Sequence[Hashable]) -> SurveyData:
        """The same survey restricted to some rows (labels or a boolean mask).

        Examples
        --------
        >>> import csimodels as csi
        >>> data = csi.datasets.load_example("acsi_demo")
        >>> data.subset(data.frame["region"] == "North").n_respondents > 0
        True
        """
        if isinstance(rows, (np.ndarray, pd.Series)) and rows.dtype == bool:
            frame = self.frame.loc[np.asarray(rows)]
        else:
            frame = self.frame.loc[list(rows)]
        if frame.shape[0] == 0:
            raise DataValidationError("the subset has no respondents")
        return self.model_copy(update={"frame": frame})

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
        if by not in allowed:
            raise DataValidationError(
                f"by={by!r} is not a segment or period column of this survey; "
                "choose one of "
                + (format_offenders(sorted(allowed)) or "none (declare segments=...)")
            )
        for label, frame in self.frame.groupby(by, sort=True, observed=True):
            yield label, self.model_copy(update={"frame": frame})

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
        names = list(self.items if items is None else items)
        self._check_items(names)
        if missing not in MISSING_STRATEGIES:
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


def _resolve_scales(scale: ScaleArg, items: Sequence[str]) -> dict[str, Scale | None]:
    try:
        if scale is None:
            return dict.fromkeys(items)
        if isinstance(scale, Mapping):
            unknown = sorted(str(k) for k in scale if k not in items)
            if unknown:
                raise DataValidationError(
                    f"scale names {format_offenders(unknown)}, which "
                    f"{'is not an item' if len(unknown) == 1 else 'are not items'}"
                )
            return {i: Scale.coerce(scale[i]) if i in scale else None for i in items}
        sc = Scale.coerce(scale)
        return dict.fromkeys(items, sc)
    except (TypeError, ValueError) as err:
        if isinstance(err, DataValidationError):
            raise
        raise DataValidationError(
            f"scale must be (min, max) with min < max, a Scale, or a dict of item to scale; "
            f"got {scale!r} ({err})"
        ) from err


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
