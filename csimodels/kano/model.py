"""The Kano model: settings, validation of answers, and the fit that builds a KanoResult."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import ConfigDict, Field, model_validator

from csimodels._settings import Settings
from csimodels.data._dask_tasks import (
    POSITION,
    as_dask_source,
    fit_statistics,
    partition_statistics,
    refuse_rows,
)
from csimodels.data._validate import rows_with_values
from csimodels.data.survey import SurveyData
from csimodels.errors import (
    DataQualityWarning,
    DataValidationError,
    format_offenders,
)
from csimodels.kano import _engine as eng
from csimodels.kano._definitions import (
    ANSWERS,
    CATEGORIES,
    CATEGORY_NAMES,
    CONTINUOUS_SCORES,
    KANO_LABELS,
    KANO_TABLES,
    TIE_PRIORITY,
    normalise_label,
)
from csimodels.kano.result import KanoResult
from csimodels.results import SegmentedResult, warn_and_note
from csimodels.segments import as_by, fit_by

__all__ = ["Kano"]

FONG_DEFAULT_CRITICAL_VALUE = 1.65
"""The critical value printed in Fong (1996): 1.65 (about z at α = 0.10, two-sided)."""

_ANSWER_TITLES = ("Like", "Must-be", "Neutral", "Live-with", "Dislike")
_QUADRANT_LETTERS = np.array([["I", "M"], ["A", "O"]])  # [high y][high x]


def _fmt_code(c: float) -> str:
    return str(int(c)) if float(c).is_integer() else str(c)


#: Fewer answers than this to a feature give a warning (unstable classification).
MIN_RESPONDENTS = 30


@dataclass(frozen=True)
class KanoStatistics:
    """What a Kano fit needs from the respondents, additive over rows (and partitions).

    Attributes
    ----------
    tallies : CellTallies
        Counts and weighted sums per feature and answer-pair cell.
    screening : DataFrame
        The respondents removed for too many Questionable answers.
    n_respondents : int
    n_screened : int
    """

    tallies: eng.CellTallies
    screening: pd.DataFrame
    n_respondents: int
    n_screened: int


def _partition_statistics(
    model: Kano,
    weight: str | None,
    missing_codes: tuple[Any, ...],
    part: pd.DataFrame,
    key: object = (),
) -> KanoStatistics | None:
    """One dask partition's Kano statistics (validated as an in-memory fit would be)."""
    if len(part) == 0:
        return None
    survey, answers, importance = model._prepare(
        part, None, weight, list(missing_codes), check_answered=False
    )
    raw = None if weight is None else survey.frame[weight].to_numpy(dtype=np.float64)
    stats, categories = model._tally(survey.frame.index, answers, importance, raw)
    if POSITION in part.columns:  # to put the screened respondents back in row order
        screened = model._screened(categories)
        screening = stats.screening.assign(**{POSITION: part[POSITION].to_numpy()[screened]})
        stats = KanoStatistics(stats.tallies, screening, stats.n_respondents, stats.n_screened)
    return stats


class Kano(Settings):
    """Kano classification of product or service features from paired questions.

    Each feature is asked twice: the functional question ("if the product has this
    feature, how do you feel?") and the dysfunctional one ("if it does not?"), each
    answered Like, Must-be, Neutral, Live-with or Dislike. The evaluation table maps each
    answer pair to Attractive (A), One-dimensional (O), Must-be (M), Indifferent (I),
    Reverse (R) or Questionable (Q); each feature is classified by the mode, with the
    M > O > A > I rule for ties, and described by category and total strength, Fong's
    test, the Better/Worse coefficients and DuMouchel's continuous analysis.

    Attributes
    ----------
    features : dict of str to (str, str)
        Feature name → (functional column, dysfunctional column).
    codes : tuple of 5 numbers
        The answer codes of Like, Must-be, Neutral, Live-with and Dislike, in that
        order (default 1, 2, 3, 4, 5).
    labels : dict of str to str or int, optional
        Answer labels → answer (``"like"``, ``"must-be"``, ``"neutral"``,
        ``"live-with"``, ``"dislike"`` or its position 1–5). Default: the built-in
        English and Chinese labels of :data:`KANO_LABELS` (Like / Must-be / Neutral /
        Live-with / Dislike, "I like it"..., 喜欢 / 理所当然 / 无所谓 / 能忍受 / 不喜欢).
        Labels match ignoring case, spaces, '-' and '_'.
    table : str or 5 x 5 nested sequence of category letters
        A name from :data:`KANO_TABLES` (default ``"berger1993"``) or a table of
        letters A/O/M/I/R/Q, rows = functional answer, columns = dysfunctional answer,
        both in the order Like, Must-be, Neutral, Live-with, Dislike.
    tie_threshold : float
        Categories whose share is within this of the largest share are tied; the tie
        goes to the first of M, O, A, I, R, Q. 0 (default) applies the rule to exact
        ties only.
    fong_alpha, fong_critical_value : float, optional
        Fong's test uses the critical value ``fong_critical_value``, or the two-sided
        normal quantile z(1 − α/2) for ``fong_alpha``; default 1.65, Fong's value.
    better_worse_cut : float or "mean"
        Where the Better–Worse diagram is cut into quadrants: a value (default 0.5) or
        ``"mean"`` (the mean Better and mean \\|Worse\\| over features).
    continuous_cut : float or "mean"
        Where the continuous-analysis plot is cut: a value on the score scale
        (default 2, the middle of the 0–4 region Berger et al. 1993 plot) or ``"mean"``.
    max_questionable_share : float
        Respondents whose share of Questionable answers (over the features they
        answered) exceeds this are removed and reported. Default 1 (nobody removed).
    importance : dict of str to str
        Optional feature → column of the respondent's self-stated importance.
    importance_scale : (min, max), optional
        Declared scale of the importance answers (values outside raise).
    weight_by_importance : bool
        With importance columns, weight each respondent's continuous scores by the stated
        importance (default True).

    Examples
    --------
    >>> import pandas as pd
    >>> from csimodels.kano import Kano
    >>> df = pd.DataFrame({"pay_f": ["Like", "Like", "Must-be", "Neutral"],
    ...                    "pay_d": ["Dislike", "Neutral", "Dislike", "Dislike"]})
    >>> res = Kano(features={"mobile payment": ("pay_f", "pay_d")}).fit(df)
    >>> res.shares.loc["mobile payment", ["A", "O", "M"]].tolist()
    [0.25, 0.25, 0.5]
    >>> res.classification.loc["mobile payment", "combined"]
    'M/O'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    features: dict[str, tuple[str, str]]
    codes: tuple[float, float, float, float, float] = (1.0, 2.0, 3.0, 4.0, 5.0)
    labels: dict[str, str | int] | None = None
    table: str | tuple[tuple[str, ...], ...] = "berger1993"
    tie_threshold: float = Field(default=0.0, ge=0.0, lt=1.0)
    fong_alpha: float | None = Field(default=None, gt=0.0, lt=1.0)
    fong_critical_value: float | None = Field(default=None, gt=0.0)
    better_worse_cut: float | Literal["mean"] = 0.5
    continuous_cut: float | Literal["mean"] = 2.0
    max_questionable_share: float = Field(default=1.0, ge=0.0, le=1.0)
    importance: dict[str, str] = Field(default_factory=dict)
    importance_scale: tuple[float, float] | None = None
    weight_by_importance: bool = True

    @model_validator(mode="after")
    def _check(self) -> Kano:
        _validate_features(self.features, self.importance)
        if len(set(self.codes)) != 5 or not all(math.isfinite(c) for c in self.codes):
            raise ValueError(f"codes must be 5 distinct finite numbers, got {self.codes}")
        self.table_indices()  # validates the table
        self.label_map()  # validates the labels
        if self.fong_alpha is not None and self.fong_critical_value is not None:
            raise ValueError("give fong_alpha or fong_critical_value, not both")
        if self.importance_scale is not None:
            lo, hi = self.importance_scale
            if not (math.isfinite(lo) and math.isfinite(hi)) or lo >= hi or lo < 0:
                raise ValueError(
                    f"importance_scale must be (min, max) with 0 <= min < max, got "
                    f"{self.importance_scale}"
                )
        return self

    # -- resolved settings ---------------------------------------------------------
    def table_indices(self) -> NDArray[np.int64]:
        """The evaluation table as a 5 x 5 array of category indices (A=0 ... Q=5).

        Examples
        --------
        >>> Kano(features={"x": ("f", "d")}).table_indices()[0].tolist()
        [5, 0, 0, 0, 1]
        """
        if isinstance(self.table, str):
            if self.table not in KANO_TABLES:
                raise ValueError(
                    f"table={self.table!r} is not a known Kano evaluation table; choose one of "
                    f"{format_offenders(sorted(KANO_TABLES))} or pass a 5 x 5 table of letters"
                )
            cells = KANO_TABLES[self.table]
        else:
            cells = self.table
        if len(cells) != 5 or any(len(row) != 5 for row in cells):
            raise ValueError(
                "a Kano evaluation table needs 5 rows (functional answer) of 5 cells "
                "(dysfunctional answer), in the order Like, Must-be, Neutral, Live-with, Dislike"
            )
        out = np.empty((5, 5), dtype=np.int64)
        for r, row in enumerate(cells):
            for c, cell in enumerate(row):
                letter = str(cell).strip().upper()
                if letter not in CATEGORIES:
                    raise ValueError(
                        f"table cell ({_ANSWER_TITLES[r]}, {_ANSWER_TITLES[c]}) is {cell!r}; "
                        "expected one of 'A', 'O', 'M', 'I', 'R', 'Q'"
                    )
                out[r, c] = CATEGORIES.index(letter)
        return out

    def evaluation_table(self) -> pd.DataFrame:
        """The evaluation table as a labelled DataFrame (rows functional, columns dysfunctional).

        Examples
        --------
        >>> Kano(features={"x": ("f", "d")}).evaluation_table().loc["Must-be", "Dislike"]
        'M'
        """
        idx = self.table_indices()
        letters = np.array(CATEGORIES)[idx]
        frame = pd.DataFrame(
            letters, index=pd.Index(_ANSWER_TITLES), columns=pd.Index(_ANSWER_TITLES)
        )
        frame.index.name = "functional"
        frame.columns.name = "dysfunctional"
        return frame

    def label_map(self) -> dict[str, int]:
        """Normalised answer label → answer index (0 = Like ... 4 = Dislike).

        Examples
        --------
        >>> Kano(features={"x": ("f", "d")}).label_map()["理所当然"]
        1
        """
        if self.labels is None:
            source: dict[str, str | int] = {
                k: v for table in KANO_LABELS.values() for k, v in table.items()
            }
        else:
            source = dict(self.labels)
        out: dict[str, int] = {}
        for label, answer in source.items():
            if isinstance(answer, bool):
                index = -1
            elif isinstance(answer, int):
                index = answer - 1 if 1 <= answer <= 5 else -1
            else:
                key = normalise_label(str(answer)).replace(" ", "-")
                index = ANSWERS.index(key) if key in ANSWERS else -1
            if index < 0:
                raise ValueError(
                    f"labels maps {label!r} to {answer!r}; expected one of "
                    f"{format_offenders(list(ANSWERS))} or a position 1-5"
                )
            norm_label = normalise_label(str(label))
            if norm_label in out and out[norm_label] != index:
                raise ValueError(f"labels maps {label!r} to two different answers")
            out[norm_label] = index
        return out

    def critical_value(self) -> float:
        """Fong's critical value in use.

        Examples
        --------
        >>> Kano(features={"x": ("f", "d")}).critical_value()
        1.65
        >>> round(Kano(features={"x": ("f", "d")}, fong_alpha=0.05).critical_value(), 4)
        1.96
        """
        from scipy.stats import norm

        if self.fong_critical_value is not None:
            return float(self.fong_critical_value)
        if self.fong_alpha is not None:
            return float(norm.ppf(1.0 - self.fong_alpha / 2.0))
        return FONG_DEFAULT_CRITICAL_VALUE

    # -- fitting -----------------------------------------------------------------------
    def fit(
        self,
        data: SurveyData | pd.DataFrame | Any,
        *,
        by: str | Sequence[str] | None = None,
        weight: str | None = None,
        missing_codes: Sequence[Any] = (),
        keep_respondents: bool = False,
        on_error: Literal["skip", "raise"] = "skip",
    ) -> KanoResult | SegmentedResult:
        """Classify every feature.

        Parameters
        ----------
        data : SurveyData, DataFrame, dask DataFrame or parquet path
            One row per respondent. A DataFrame may hold codes or labels (mapped with
            ``labels`` before validation); a SurveyData holds codes. Not modified. A
            dask DataFrame, or a parquet file or directory (str or Path, read lazily
            with ``dask.dataframe.read_parquet``), is fitted out of core: each
            partition is validated and tallied as a dask task, and the tallies are
            added (the same numbers as in memory; ``keep_respondents`` is refused).
        by : str or list of str, optional
            Segment (or period) column(s): a :class:`~csimodels.results.SegmentedResult`
            with the pooled result, one per segment, and ``overview["categories"]``
            (segment, feature) × n, category, combined, better, worse, quadrant,
            functional_mean, dysfunctional_mean.
        weight : str, optional
            Respondent weight column of a DataFrame (a SurveyData brings its own).
        missing_codes : list
            Codes or labels meaning "no answer" in the Kano and importance columns
            (e.g. ``[0, "不知道"]``); they become missing. A feature is used for a
            respondent only when both of its answers are present.
        keep_respondents : bool
            Keep the per-respondent category table in the result.
        on_error : {"skip", "raise"}
            With ``by``: a failing segment is recorded (``"skip"``) or raises.

        Returns
        -------
        KanoResult

        Raises
        ------
        DataValidationError
            An answer that is not one of the five options, an unmapped label (naming
            the feature, column, row and value), a missing column, or a feature without
            any respondent answering both questions.

        Warns
        -----
        DataQualityWarning
            A feature classified Reverse or Questionable, or without applicable
            Better/Worse coefficients; also recorded in ``notes``.

        Examples
        --------
        >>> import pandas as pd
        >>> from csimodels.kano import Kano
        >>> df = pd.DataFrame({"f": [1, 1, 2, 2], "d": [4, 4, 5, 5],
        ...                    "region": ["N", "N", "S", "S"]})
        >>> res = Kano(features={"F": ("f", "d")}).fit(df, by="region")
        >>> res.overview["categories"]["category"].tolist()
        ['A', 'M']
        """
        source = as_dask_source(data, owner="Kano.fit")
        if source is not None:
            return self._fit_dask(
                source,
                by=by,
                weight=weight,
                missing_codes=missing_codes,
                keep_respondents=keep_respondents,
                on_error=on_error,
            )
        survey, answers, importance = self._prepare(data, by, weight, missing_codes)
        result = self._fit_survey(survey, answers, importance, keep_respondents=keep_respondents)
        if by is None:
            return result
        columns = as_by(by, owner="Kano.fit")

        def one(part: SurveyData) -> KanoResult:
            positions = survey.frame.index.get_indexer(part.frame.index)
            return self._fit_survey(
                part,
                answers[:, :, positions],
                None if importance is None else importance[:, positions],
                keep_respondents=False,
                require_answers=False,
            )

        segmented = fit_by(
            survey,
            columns,
            one,
            owner="Kano.fit",
            on_error=on_error,
            pooled=result,
            headline=("classification",),
            settings={"model": "Kano"},
        )
        return _with_overview(segmented)

    def _fit_dask(
        self,
        source: Any,
        *,
        by: str | Sequence[str] | None,
        weight: str | None,
        missing_codes: Sequence[Any],
        keep_respondents: bool,
        on_error: Literal["skip", "raise"],
    ) -> KanoResult | SegmentedResult:
        """Kano out of core: cell tallies per partition (and segment), added, then classified."""
        owner = "Kano.fit"
        if keep_respondents:
            raise refuse_rows(
                owner,
                "keep_respondents=True",
                "use classify_respondents on a pandas sample (ddf.head(n) or a partition)",
            )
        if isinstance(missing_codes, (str, bytes)) or not isinstance(missing_codes, Sequence):
            raise DataValidationError(
                f"missing_codes must be a list of codes or labels, got {missing_codes!r}"
            )
        columns = as_by(by, owner=owner) if by is not None else ()
        needed = [*self._columns(), *([weight] if weight else [])]
        groups = partition_statistics(
            source,
            needed,
            partial(_partition_statistics, self, weight, tuple(missing_codes)),
            owner=owner,
            by=columns,
            positions=True,
        )
        if all(stats is None for _, stats in groups.values()):
            raise DataValidationError(f"{owner}: the dask DataFrame has no rows")

        def finish(stats: KanoStatistics | None, segment: str | None) -> KanoResult:
            if stats is None:
                raise DataValidationError(f"{owner}: segment {segment!r} has no rows")
            screening = stats.screening.sort_values(POSITION, kind="stable")
            in_order = KanoStatistics(
                stats.tallies,
                screening.drop(columns=POSITION),
                stats.n_respondents,
                stats.n_screened,
            )
            return self._finish(in_order, weight=weight, require_answers=segment is None)

        out = fit_statistics(
            groups,
            finish,
            by=columns,
            owner=owner,
            on_error=on_error,
            headline=("classification",),
            settings={"model": "Kano"},
        )
        return _with_overview(out) if columns else out

    def classify_respondents(
        self, data: SurveyData | pd.DataFrame, *, missing_codes: Sequence[Any] = ()
    ) -> pd.DataFrame:
        """The category of every respondent and feature (no screening applied).

        Returns
        -------
        DataFrame
            Index: the data's row labels; one column per feature holding the category
            letter (A, O, M, I, R, Q), missing where a respondent did not answer both
            questions.

        Examples
        --------
        >>> import pandas as pd
        >>> from csimodels.kano import Kano
        >>> df = pd.DataFrame({"f": ["喜欢", "无所谓"], "d": ["不喜欢", "无所谓"]})
        >>> Kano(features={"F": ("f", "d")}).classify_respondents(df)["F"].tolist()
        ['O', 'I']
        """
        survey, answers, _ = self._prepare(data, None, None, missing_codes)
        categories = eng.classify(answers[0], answers[1], eng.category_lookup(self.table_indices()))
        return self._respondent_frame(categories, survey.frame.index)

    # -- preparation ---------------------------------------------------------------------
    def _columns(self) -> list[str]:
        cols = [c for pair in self.features.values() for c in pair]
        return cols + list(self.importance.values())

    def _prepare(
        self,
        data: SurveyData | pd.DataFrame,
        by: str | Sequence[str] | None,
        weight: str | None,
        missing_codes: Sequence[Any],
        *,
        check_answered: bool = True,
    ) -> tuple[SurveyData, NDArray[np.int8], NDArray[np.float64] | None]:
        if isinstance(missing_codes, (str, bytes)) or not isinstance(missing_codes, Sequence):
            raise DataValidationError(
                f"missing_codes must be a list of codes or labels, got {missing_codes!r}"
            )
        codes = np.array(self.codes, dtype=np.float64)
        answer_cols = [c for pair in self.features.values() for c in pair]
        if isinstance(data, SurveyData):
            if weight is not None and weight != data.weight:
                raise DataValidationError(
                    f"weight={weight!r} given with a SurveyData whose weight column is "
                    f"{data.weight!r}; declare the weight when building the SurveyData"
                )
            missing_cols = sorted(c for c in self._columns() if c not in data.items)
            if missing_cols:
                raise DataValidationError(
                    f"Kano column {format_offenders(missing_cols)} is not an item of this "
                    f"survey; its items are {format_offenders(sorted(data.items))}"
                )
            source = data.frame
            survey = data
        elif isinstance(data, pd.DataFrame):
            needed = self._columns()
            absent = sorted({c for c in needed if c not in data.columns})
            if absent:
                raise DataValidationError(
                    f"Kano column {format_offenders(absent)} not found in data "
                    f"({self._owners(absent)}); available columns: "
                    f"{format_offenders(sorted(map(str, data.columns)))}"
                )
            if data.columns.duplicated().any():
                dupes = sorted(map(str, data.columns[data.columns.duplicated()].unique()))
                raise DataValidationError(
                    f"data has duplicated column names: {format_offenders(dupes)}; "
                    "column names must be unique"
                )
            source = data
            survey = None
        else:
            raise DataValidationError(
                f"data must be a csimodels.SurveyData or a pandas DataFrame, "
                f"got {type(data).__name__}"
            )
        # answers: labels mapped to codes, codes checked, missing codes made NaN; a
        # column already holding valid codes is passed on untouched (no copy)
        label_map = self.label_map()
        mapped: dict[str, NDArray[np.float64]] = {}
        present: dict[str, NDArray[np.bool_]] = {}
        for feature, (fcol, dcol) in self.features.items():
            for role, col in (("functional", fcol), ("dysfunctional", dcol)):
                out, ok = self._answers_to_codes(
                    source[col], feature, role, col, codes, missing_codes, label_map
                )
                if out is not None:
                    mapped[col] = out
                present[col] = ok
        for feature, icol in self.importance.items():
            mapped[icol] = _importance_values(source[icol], feature, icol, missing_codes)
        for feature, (fcol, dcol) in self.features.items():
            if check_answered and not (present[fcol] & present[dcol]).any():
                raise DataValidationError(
                    f"Kano feature {feature!r} has no valid answers: no respondent answered "
                    f"both its functional column {fcol!r} and its dysfunctional column "
                    f"{dcol!r}; check the columns or drop the feature"
                )
        if survey is None:
            assert isinstance(data, pd.DataFrame)
            columns: dict[str, Any] = {
                c: mapped[c] if c in mapped else data[c].to_numpy() for c in self._columns()
            }
            by_cols = [] if by is None else ([by] if isinstance(by, str) else list(by))
            for c in (weight, *by_cols):
                if c is None or c in columns:
                    continue
                if c not in data.columns:
                    raise DataValidationError(
                        f"column {c!r} (the {'weight' if c == weight else 'by'} column) not "
                        f"found in data; available columns: "
                        f"{format_offenders(sorted(map(str, data.columns)))}"
                    )
                columns[c] = data[c].to_numpy()
            frame = pd.DataFrame(columns, index=data.index)
            scale: dict[str, tuple[float, float]] = dict.fromkeys(
                answer_cols, (float(codes.min()), float(codes.max()))
            )
            if self.importance_scale is not None:
                scale.update(dict.fromkeys(self.importance.values(), self.importance_scale))
            survey = SurveyData.coerce(
                frame,
                items=self._columns(),
                scale=scale,
                weight=weight,
                segments=by_cols,
            )
            mapped = {}  # the survey's frame now holds the cleaned answers
        frame_values = survey.frame

        def values(col: str) -> NDArray[np.float64]:
            if col in mapped:
                return mapped[col]
            return frame_values[col].to_numpy(dtype=np.float64)

        answers = np.empty((2, len(self.features), survey.n_respondents), dtype=np.int8)
        for j, (fcol, dcol) in enumerate(self.features.values()):
            answers[0, j] = eng.answer_indices(values(fcol), codes)
            answers[1, j] = eng.answer_indices(values(dcol), codes)
        importance = None
        if self.importance:
            importance = np.full((len(self.features), survey.n_respondents), np.nan)
            for j, feature in enumerate(self.features):
                if feature in self.importance:
                    importance[j] = values(self.importance[feature])
        return survey, answers, importance

    def _owners(self, columns: Sequence[str]) -> str:
        owners: list[str] = []
        for feature, (fcol, dcol) in self.features.items():
            for role, col in (("functional", fcol), ("dysfunctional", dcol)):
                if col in columns:
                    owners.append(f"{role} column of feature {feature!r}")
        for feature, icol in self.importance.items():
            if icol in columns:
                owners.append(f"importance column of feature {feature!r}")
        return format_offenders(owners).replace("'", "") if len(owners) > 1 else owners[0]

    def _answers_to_codes(
        self,
        column: pd.Series,
        feature: str,
        role: str,
        name: str,
        codes: NDArray[np.float64],
        missing_codes: Sequence[Any],
        label_map: Mapping[str, int],
    ) -> tuple[NDArray[np.float64] | None, NDArray[np.bool_]]:
        """Check one answer column; map labels and missing codes.

        Returns the column as float codes (NaN = no answer), or None when the column
        already holds valid codes and can be used as it is, and which rows have an answer.
        """
        missing_num = {float(m) for m in missing_codes if _is_number(m)}
        dtype = column.dtype
        if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
            x = column.to_numpy()
            if x.dtype.kind not in "iuf":
                x = column.to_numpy(dtype=np.float64, na_value=np.nan)
            nan = np.isnan(x) if x.dtype.kind == "f" else np.zeros(x.shape, dtype=bool)
            is_missing = np.isin(x, list(missing_num)) if missing_num else None
            ok = np.isin(x, codes)
            answered = ok.copy()
            ok |= nan
            if is_missing is not None:
                ok |= is_missing
            if ok.all():
                if is_missing is not None and is_missing.any():
                    out = x.astype(np.float64)
                    out[is_missing] = np.nan
                    return out, answered
                return None, answered
        missing_norm = {normalise_label(m) for m in missing_codes if isinstance(m, str)}
        missing_num = {float(m) for m in missing_codes if _is_number(m)}
        positions, uniques = pd.factorize(column, use_na_sentinel=True)
        mapped = np.full(len(uniques), np.nan)
        bad_kind = np.zeros(len(uniques), dtype=np.int8)  # 1 = unmapped label, 2 = bad code
        for u, value in enumerate(uniques):
            if _is_number(value):
                v = float(value)
                if v in missing_num or math.isnan(v):
                    continue
                if v in codes:
                    mapped[u] = v
                else:
                    bad_kind[u] = 2
            elif isinstance(value, str):
                key = normalise_label(value)
                if key in missing_norm:
                    continue
                if key in label_map:
                    mapped[u] = codes[label_map[key]]
                else:
                    bad_kind[u] = 1
            else:
                bad_kind[u] = 2
        out = np.full(positions.shape[0], np.nan)
        present = positions >= 0
        out[present] = mapped[positions[present]]
        if bad_kind.any():
            values = column.to_numpy(dtype=object)
            bad_rows = np.zeros(positions.shape[0], dtype=bool)
            bad_rows[present] = bad_kind[positions[present]] > 0
            kinds = set(bad_kind[bad_kind > 0].tolist())
            n_bad = int(bad_rows.sum())
            plural = "s" if n_bad > 1 else ""
            what = (
                f"unmapped label{plural}"
                if kinds == {1}
                else f"answer{plural} outside the five options"
                if kinds == {2}
                else f"answer{plural} that {'are' if plural else 'is'} not a Kano option"
            )
            code_list = ", ".join(
                f"{_fmt_code(c)} = {t}" for c, t in zip(self.codes, _ANSWER_TITLES, strict=True)
            )
            raise DataValidationError(
                f"Kano feature {feature!r}: {role} column {name!r} has {n_bad} "
                f"{what} "
                f"({rows_with_values(column.index, bad_rows, values)}); expected codes "
                f"{code_list} or their labels (e.g. 'Like', '喜欢'); map other labels with "
                "Kano(labels={...}) or declare non-answers with missing_codes=[...]"
            )
        return out, ~np.isnan(out)

    # -- the fit of one group --------------------------------------------------------------
    def _fit_survey(
        self,
        survey: SurveyData,
        answers: NDArray[np.int8],
        importance: NDArray[np.float64] | None,
        *,
        keep_respondents: bool,
        require_answers: bool = True,
    ) -> KanoResult:
        stats, categories = self._tally(survey.frame.index, answers, importance, survey.weights())
        return self._finish(
            stats,
            weight=survey.weight,
            require_answers=require_answers,
            respondent_categories=(
                self._respondent_frame(categories, survey.frame.index) if keep_respondents else None
            ),
        )

    def _tally(
        self,
        rows: pd.Index,
        answers: NDArray[np.int8],
        importance: NDArray[np.float64] | None,
        weights: NDArray[np.float64] | None,
    ) -> tuple[KanoStatistics, NDArray[np.int8]]:
        """Screen respondents and tally the answer-pair cells (additive over rows)."""
        lookup = eng.category_lookup(self.table_indices())
        keys = eng.cell_keys(answers[0], answers[1])
        categories = lookup[keys]
        answered, questionable = eng.questionable_per_respondent(categories, CATEGORIES.index("Q"))
        with np.errstate(invalid="ignore", divide="ignore"):
            q_share = questionable / answered
        screened = self._screened(categories)
        keep = ~screened
        screening = pd.DataFrame(
            {
                "answered": answered[screened],
                "questionable": questionable[screened],
                "questionable_share": q_share[screened],
            },
            index=rows[screened],
        )
        screening.index.name = "respondent"
        kept_w = None if weights is None else weights[keep]
        everyone = bool(keep.all())
        kept_importance = None
        if importance is not None:
            kept_importance = importance if everyone else importance[:, keep]
        tallies = eng.tally_cells(keys if everyone else keys[:, keep], kept_w, kept_importance)
        stats = KanoStatistics(
            tallies=tallies,
            screening=screening,
            n_respondents=len(rows),
            n_screened=int(screened.sum()),
        )
        return stats, categories

    def _screened(self, categories: NDArray[np.int8]) -> NDArray[np.bool_]:
        """Respondents whose share of Questionable answers exceeds the threshold."""
        answered, questionable = eng.questionable_per_respondent(categories, CATEGORIES.index("Q"))
        with np.errstate(invalid="ignore", divide="ignore"):
            q_share = questionable / answered
        out: NDArray[np.bool_] = np.nan_to_num(q_share, nan=0.0) > self.max_questionable_share
        return out

    def _finish(
        self,
        stats: KanoStatistics,
        *,
        weight: str | None,
        require_answers: bool = True,
        respondent_categories: pd.DataFrame | None = None,
    ) -> KanoResult:
        """The KanoResult from the (combined) cell tallies."""
        notes: list[str] = []
        features = list(self.features)
        index = pd.Index(features, name="feature")
        lookup = eng.category_lookup(self.table_indices())
        tallies, screening = stats.tallies, stats.screening
        n_screened = stats.n_screened
        importance_given = tallies.importance_weights is not None
        counts = eng.categories_from_cells(tallies.counts, lookup)
        wcounts = eng.categories_from_cells(tallies.weights, lookup)
        n = counts.sum(axis=1)
        totals = wcounts.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            shares = wcounts / totals[:, None]
        shares[totals <= 0] = np.nan
        empty = (n == 0) | (totals <= 0)
        if empty.any():
            names = [features[j] for j in np.flatnonzero(empty)]
            if require_answers:
                raise DataValidationError(
                    f"Kano feature {format_offenders(names)} has no valid answers after "
                    f"screening ({n_screened} respondents removed for a questionable "
                    f"share above {self.max_questionable_share}) or no positive weight; raise "
                    "max_questionable_share or drop the feature"
                )
            warn_and_note(
                notes,
                f"feature {format_offenders(names)} has no valid answers in this group; "
                "its classification is not applicable (NaN)",
                DataQualityWarning,
            )
        few = np.flatnonzero((n > 0) & (n < MIN_RESPONDENTS))
        if few.size:
            shown = format_offenders([f"{features[j]} (n = {int(n[j])})" for j in few])
            warn_and_note(
                notes,
                f"Kano: feature {shown} classified from fewer than {MIN_RESPONDENTS} "
                "respondents; the category shares and the classification are unstable at "
                "this size",
                DataQualityWarning,
            )
        priority = np.array([CATEGORIES.index(c) for c in TIE_PRIORITY], dtype=np.int64)
        a, o, m, i = (CATEGORIES.index(c) for c in "AOMI")
        decision = eng.decide(
            np.nan_to_num(shares, nan=0.0),
            np.where(empty, 0, n),
            priority=priority,
            tie_threshold=self.tie_threshold,
            critical_value=self.critical_value(),
            a_o_m_i=(a, o, m, i),
        )

        def letter(idx: NDArray[np.int64]) -> list[Any]:
            return [None if k < 0 else CATEGORIES[k] for k in idx.tolist()]

        first = letter(decision.first)
        second = letter(decision.second)
        combined = [
            None if f is None else (f if sig else f"{f}/{s}")
            for f, s, sig in zip(first, second, decision.fong_significant.tolist(), strict=True)
        ]
        counts_frame = pd.DataFrame(counts, index=index, columns=pd.Index(CATEGORIES))
        counts_frame["n"] = n
        shares_frame = pd.DataFrame(shares, index=index, columns=pd.Index(CATEGORIES))
        classification = pd.DataFrame(
            {
                "n": n,
                "category": first,
                "category_name": [None if f is None else CATEGORY_NAMES[f] for f in first],
                "mode": letter(decision.mode),
                "second": second,
                "category_strength": decision.category_strength,
                "total_strength": decision.total_strength,
                "fong_statistic": decision.fong_statistic,
                "fong_bound": decision.fong_bound,
                "fong_significant": decision.fong_significant,
                "combined": combined,
            },
            index=index,
        )
        for feature, cat in zip(features, first, strict=True):
            if cat in ("R", "Q"):
                warn_and_note(
                    notes,
                    f"feature {feature!r} is classified {CATEGORY_NAMES[cat]} ({cat}): "
                    + (
                        "respondents prefer its absence, or the functional and "
                        "dysfunctional columns are swapped"
                        if cat == "R"
                        else "most answer pairs contradict each other; check the question "
                        "wording and the answer codes"
                    ),
                    DataQualityWarning,
                )
        # Better-Worse
        better, worse = decision.better, decision.worse
        na_bw = [features[j] for j in np.flatnonzero(np.isnan(better) & ~empty)]
        if na_bw:
            warn_and_note(
                notes,
                f"Better/Worse not applicable for {format_offenders(na_bw)}: every answer "
                "pair is Reverse or Questionable (A + O + M + I = 0)",
                DataQualityWarning,
            )
        better_cut, worse_cut = _cuts(self.better_worse_cut, better, -worse)
        bw = pd.DataFrame({"better": better, "worse": worse}, index=index)
        bw_quadrants = _quadrants(-worse, better, worse_cut, better_cut)
        bw["quadrant"] = bw_quadrants
        bw["quadrant_name"] = [None if q is None else CATEGORY_NAMES[q] for q in bw_quadrants]
        # continuous analysis
        use_importance = importance_given and self.weight_by_importance
        cont = eng.continuous_from_cells(
            tallies,
            np.array(CONTINUOUS_SCORES["functional"]),
            np.array(CONTINUOUS_SCORES["dysfunctional"]),
            weight_by_importance=use_importance,
        )
        continuous = pd.DataFrame(
            {
                "n": cont[:, 0].astype(np.int64),
                "functional_mean": cont[:, 1],
                "functional_sd": cont[:, 2],
                "dysfunctional_mean": cont[:, 3],
                "dysfunctional_sd": cont[:, 4],
                "importance_mean": cont[:, 5],
            },
            index=index,
        )
        undefined = [
            c
            for c in ("functional_sd", "dysfunctional_sd", "importance_mean")
            if continuous[c].isna().any()
        ]
        if undefined:
            why = []
            if "importance_mean" in undefined:
                why.append("importance_mean needs importance answers (importance=...)")
            if {"functional_sd", "dysfunctional_sd"} & set(undefined):
                why.append("a standard deviation needs at least 2 answers")
            notes.append(f"continuous analysis: n/a values ({'; '.join(why)})")
        functional_cut, dysfunctional_cut = _cuts(self.continuous_cut, cont[:, 1], cont[:, 3])
        c_quadrants = _quadrants(cont[:, 3], cont[:, 1], dysfunctional_cut, functional_cut)
        continuous["quadrant"] = c_quadrants
        continuous["quadrant_name"] = [
            None if q is None else CATEGORY_NAMES[q] for q in c_quadrants
        ]
        settings: dict[str, Any] = {
            "method": "Kano evaluation table, mode with M > O > A > I tie rule",
            "features": {k: list(v) for k, v in self.features.items()},
            "codes": list(self.codes),
            "labels": "built-in English and Chinese" if self.labels is None else dict(self.labels),
            "table": self.table if isinstance(self.table, str) else "custom",
            "evaluation_table": self.evaluation_table().to_numpy().tolist(),
            "tie_threshold": self.tie_threshold,
            "fong_critical_value": self.critical_value(),
            "fong_alpha": self.fong_alpha,
            "better_worse_cut": self.better_worse_cut,
            "better_cut": better_cut,
            "worse_cut": worse_cut,
            "continuous_cut": self.continuous_cut,
            "functional_cut": functional_cut,
            "dysfunctional_cut": dysfunctional_cut,
            "continuous_scores": {k: list(v) for k, v in CONTINUOUS_SCORES.items()},
            "importance": dict(self.importance),
            "importance_weighted": bool(use_importance),
            "max_questionable_share": self.max_questionable_share,
            "n_respondents": int(stats.n_respondents),
            "n_screened": int(n_screened),
            "n_used": int(stats.n_respondents - n_screened),
            "inference": "Fong's test of the top two categories; shares of answers",
            "n_features": len(features),
            "weight": weight,
            "weighted_counts": "weighted shares; Fong's test on weighted counts rescaled to n",
            "missing": "a feature is used for a respondent when both answers are present",
        }
        return KanoResult(
            counts=counts_frame,
            shares=shares_frame,
            classification=classification,
            better_worse=bw,
            continuous=continuous,
            screening=screening,
            respondent_categories=respondent_categories,
            settings=settings,
            notes=tuple(notes),
        )

    def _respondent_frame(self, categories: NDArray[np.int8], rows: pd.Index) -> pd.DataFrame:
        letters = np.array([*CATEGORIES, None], dtype=object)
        frame = pd.DataFrame(
            {f: letters[categories[j]] for j, f in enumerate(self.features)}, index=rows
        )
        frame.index.name = "respondent"
        frame.columns.name = "feature"
        return frame


def _with_overview(segmented: SegmentedResult) -> SegmentedResult:
    """The per-segment overview table of a Kano ``fit(by=...)``."""
    rows = {
        label: sub.classification[["n", "category", "combined"]]
        .join(sub.better_worse[["better", "worse", "quadrant"]])
        .join(sub.continuous[["functional_mean", "dysfunctional_mean"]])
        for label, sub in segmented.segments.items()
        if isinstance(sub, KanoResult)
    }
    overview = {"categories": pd.concat(rows, names=["segment", "feature"])} if rows else {}
    return segmented.model_copy(update={"overview": overview, "headline": ()})


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.number)) and not isinstance(value, (bool, np.bool_))


def _importance_values(
    column: pd.Series, feature: str, name: str, missing_codes: Sequence[Any]
) -> NDArray[np.float64]:
    """Importance answers as floats (missing codes → NaN); must be numbers >= 0."""
    missing_num = [float(m) for m in missing_codes if _is_number(m)]
    if pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype):
        values: Any = column.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
        out = np.array(values, dtype=np.float64)
        out[np.isin(out, missing_num)] = np.nan
        bad = ~np.isnan(out) & ((out < 0) | ~np.isfinite(out))
    else:
        values = column.to_numpy(dtype=object)
        out = np.full(len(values), np.nan)
        bad = np.zeros(len(values), dtype=bool)
        missing_str = {m for m in missing_codes if isinstance(m, str)}
        for r, v in enumerate(values):  # only for non-numeric columns (rare)
            if v is None or (isinstance(v, float) and math.isnan(v)) or v in missing_str:
                continue
            if _is_number(v) and math.isfinite(float(v)) and float(v) >= 0:
                out[r] = float(v) if float(v) not in missing_num else np.nan
            else:
                bad[r] = True
    if bad.any():
        raise DataValidationError(
            f"Kano feature {feature!r}: importance column {name!r} has {int(bad.sum())} "
            f"invalid value{'s' if bad.sum() > 1 else ''} "
            f"({rows_with_values(column.index, bad, values)}); expected numbers >= 0 "
            "(declare non-answers with missing_codes=[...])"
        )
    return out


def _validate_features(
    features: Mapping[str, tuple[str, str]], importance: Mapping[str, str]
) -> None:
    if not features:
        raise ValueError(
            "features is empty; give at least one feature: {name: (functional, dysfunctional)}"
        )
    owner: dict[str, str] = {}
    for feature, (fcol, dcol) in features.items():
        if fcol == dcol:
            raise ValueError(
                f"feature {feature!r} uses column {fcol!r} for both its functional and "
                "dysfunctional question; give two different columns"
            )
        for col in (fcol, dcol):
            if col in owner:
                raise ValueError(
                    f"column {col!r} is used by both feature {owner[col]!r} and feature "
                    f"{feature!r}; each answer column belongs to one feature"
                )
            owner[col] = feature
    unknown = sorted(f for f in importance if f not in features)
    if unknown:
        raise ValueError(
            f"importance names {format_offenders(unknown)}, which "
            f"{'is not a feature' if len(unknown) == 1 else 'are not features'}"
        )
    for feature, col in importance.items():
        if col in owner:
            raise ValueError(
                f"importance column {col!r} of feature {feature!r} is also an answer column "
                f"of feature {owner[col]!r}"
            )
    icols = list(importance.values())
    dupes = sorted({c for c in icols if icols.count(c) > 1})
    if dupes:
        raise ValueError(
            f"importance column {format_offenders(dupes)} is given for several features"
        )


def _cuts(cut: float | str, y: NDArray[np.float64], x: NDArray[np.float64]) -> tuple[float, float]:
    """(y cut, x cut): the fixed value twice, or the means over features."""
    if cut == "mean":
        with np.errstate(invalid="ignore"):
            return float(np.nanmean(y)) if np.isfinite(y).any() else math.nan, (
                float(np.nanmean(x)) if np.isfinite(x).any() else math.nan
            )
    value = float(cut)
    return value, value


def _quadrants(
    x: NDArray[np.float64], y: NDArray[np.float64], x_cut: float, y_cut: float
) -> list[str | None]:
    out: list[str | None] = []
    for xv, yv in zip(x.tolist(), y.tolist(), strict=True):
        if math.isnan(xv) or math.isnan(yv) or math.isnan(x_cut) or math.isnan(y_cut):
            out.append(None)
        else:
            out.append(str(_QUADRANT_LETTERS[int(yv >= y_cut), int(xv >= x_cut)]))
    return out
