"""Data-quality screening of respondents: straight-lining, long strings, low
intra-individual variability, speeders, duplicates and near-duplicates, multivariate
outliers, too many missing answers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import Field

from csimodels._lazy import lazy_module
from csimodels._settings import Settings
from csimodels.data.steps import DataStep
from csimodels.data.survey import SurveyData
from csimodels.errors import DataQualityWarning, DataValidationError, format_offenders
from csimodels.explore._prepare import to_survey
from csimodels.results import Frame, Result, warn_and_note

stats = lazy_module("scipy.stats")

__all__ = ["SCREENING_CRITERIA", "ScreenResponses", "ScreeningResult"]

FloatArray = NDArray[np.float64]

SCREENING_CRITERIA: tuple[str, ...] = (
    "too_many_missing",
    "straight_lining",
    "long_string",
    "low_variability",
    "speeder",
    "duplicate",
    "near_duplicate",
    "outlier",
)
"""The screening rules, in the order they are reported."""


def _longest_run(x: FloatArray) -> NDArray[np.int64]:
    """Longest run of identical consecutive answers per row (missing answers break runs)."""
    n, p = x.shape
    best = np.ones(n, dtype=np.int64)
    cur = np.ones(n, dtype=np.int64)
    for j in range(1, p):
        same = (x[:, j] == x[:, j - 1]) & ~np.isnan(x[:, j])
        cur = np.where(same, cur + 1, 1)
        best = np.maximum(best, cur)
    best[np.all(np.isnan(x), axis=1)] = 0
    return best


def _duplicates(
    x: FloatArray, near_share: float, max_n: int
) -> tuple[NDArray[np.intp], NDArray[np.intp], FloatArray, bool]:
    """For each row: the first earlier row with identical answers (−1 if none), the
    earlier row with the largest share of equal answers, and that share.

    Exact duplicates compare answers including missing positions. Near-duplicates
    compare every pair (chunked); skipped (last flag False) above ``max_n`` rows.
    """
    n, p = x.shape
    key = pd.DataFrame(np.where(np.isnan(x), -np.inf, x))
    first = key.groupby(list(key.columns), sort=False, dropna=False).ngroup().to_numpy()
    first_row = pd.Series(np.arange(n)).groupby(first).transform("min").to_numpy()
    exact = np.where(first_row < np.arange(n), first_row, -1)
    nearest = np.full(n, -1, dtype=np.intp)
    share = np.zeros(n)
    if n > max_n:
        return exact.astype(np.intp), nearest, share, False
    filled = x  # NaN never equals NaN: a missing answer matches nothing
    chunk = max(1, int(2_000_000 // max(n * p, 1)))
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        eq = (filled[start:stop, None, :] == filled[None, :, :]).mean(axis=2)
        rows = np.arange(start, stop)
        # compare only with earlier respondents
        eq[np.arange(n)[None, :] >= rows[:, None]] = -1.0
        j = np.argmax(eq, axis=1)
        s = eq[np.arange(stop - start), j]
        nearest[start:stop] = np.where(s >= 0, j, -1)
        share[start:stop] = np.maximum(s, 0.0)
    return exact.astype(np.intp), nearest, share, True


class ScreenResponses(Settings):
    """Flag careless, invalid, duplicated and outlying respondents of a battery.

    Rules (each can be switched off by listing the others in ``criteria``):

    * ``too_many_missing``: more than ``max_missing_share`` of the items unanswered;
    * ``straight_lining``: the same answer to every answered item (at least
      ``min_answered`` of them);
    * ``long_string``: a run of identical consecutive answers covering at least
      ``long_string_share`` of the items (Johnson 2005);
    * ``low_variability``: intra-individual response variability (the standard
      deviation of a respondent's answers, Dunn et al. 2018) below ``min_irv``
      (off unless set; straight-liners have 0);
    * ``speeder``: completion time below ``speeder_fraction`` of the median time
      (needs ``fit(..., duration="column")``);
    * ``duplicate``: identical answers to every item as an earlier respondent;
    * ``near_duplicate``: at least ``near_duplicate_share`` of the answers equal to an
      earlier respondent's (and not an exact duplicate);
    * ``outlier``: Mahalanobis distance D² above the χ²(p) quantile at
      1 − ``outlier_alpha`` (complete respondents only).

    Attributes
    ----------
    criteria : tuple of str
        Rules applied (default all of :data:`SCREENING_CRITERIA`).
    exclude : tuple of str, optional
        Rules whose flags exclude a respondent from the cleaned data (default: the
        applied rules except ``outlier`` and ``low_variability``, which are reported
        for review).
    max_missing_share, long_string_share, speeder_fraction : float
        Thresholds (0.5, 0.8, 0.3).
    min_irv : float, optional
        IRV threshold for ``low_variability`` (None: rule reported but never set).
    near_duplicate_share : float
        Share of equal answers making a near-duplicate (0.95).
    outlier_alpha : float
        Tail probability of the Mahalanobis cut-off (0.001).
    min_answered : int
        Fewest answered items for the straight-lining rule (3).
    near_duplicate_max_n : int
        Above this many respondents the O(n²) near-duplicate search is skipped (noted).

    Examples
    --------
    >>> import pandas as pd, csimodels as csi
    >>> df = pd.DataFrame({"Q1": [5, 3, 4, 2, 4, 3], "Q2": [5, 4, 2, 2, 5, 1],
    ...                    "Q3": [5, 2, 3, 4, 4, 2], "Q4": [5, 1, 5, 3, 3, 4]})
    >>> res = csi.ScreenResponses(criteria=("straight_lining",)).fit(df, scale=(1, 5))
    >>> res.excluded.index.tolist()
    [0]
    """

    criteria: tuple[
        Literal[
            "too_many_missing",
            "straight_lining",
            "long_string",
            "low_variability",
            "speeder",
            "duplicate",
            "near_duplicate",
            "outlier",
        ],
        ...,
    ] = SCREENING_CRITERIA  # type: ignore[assignment]
    exclude: tuple[str, ...] | None = None
    max_missing_share: float = Field(default=0.5, ge=0.0, lt=1.0)
    long_string_share: float = Field(default=0.8, gt=0.0, le=1.0)
    min_irv: float | None = Field(default=None, ge=0.0)
    speeder_fraction: float = Field(default=0.3, gt=0.0, lt=1.0)
    near_duplicate_share: float = Field(default=0.95, gt=0.0, le=1.0)
    outlier_alpha: float = Field(default=0.001, gt=0.0, lt=1.0)
    min_answered: int = Field(default=3, ge=2)
    near_duplicate_max_n: int = Field(default=20_000, ge=2)

    def _excluding(self) -> tuple[str, ...]:
        if self.exclude is None:
            return tuple(c for c in self.criteria if c not in ("outlier", "low_variability"))
        unknown = sorted(set(self.exclude) - set(self.criteria))
        if unknown:
            raise DataValidationError(
                f"ScreenResponses: exclude names {format_offenders(unknown)}, which "
                f"{'is' if len(unknown) == 1 else 'are'} not among the applied criteria "
                f"({format_offenders(list(self.criteria))})"
            )
        return tuple(self.exclude)

    def fit(
        self,
        data: SurveyData | pd.DataFrame,
        *,
        items: Sequence[str] | None = None,
        duration: str | None = None,
        **data_options: Any,
    ) -> ScreeningResult:
        """Screen the respondents of ``data`` on ``items``.

        Parameters
        ----------
        data : SurveyData or DataFrame
            One row per respondent; not modified.
        items : list of str, optional
            The battery (default all items).
        duration : str, optional
            Column with each respondent's completion time (any unit); needed for the
            speeder rule. With a DataFrame it is read from the frame; with a SurveyData
            from its frame (declare it as a segment or keep it as an item).

        Raises
        ------
        DataValidationError
            Unknown columns, a non-numeric or negative duration, fewer than 2 items.
        """
        owner = "ScreenResponses.fit"
        excluding = self._excluding()
        if isinstance(data, pd.DataFrame) and duration is not None:
            if duration not in data.columns:
                raise DataValidationError(f"{owner}: duration column {duration!r} not in the data")
            dur_raw = data[duration]
            if items is None:
                items = [
                    c
                    for c in data.columns
                    if c != duration and c not in _role_columns(data_options)
                ]
        else:
            dur_raw = None
        survey = to_survey(data, items, owner=owner, options=data_options)
        if dur_raw is None and duration is not None:
            if duration not in survey.frame.columns:
                raise DataValidationError(
                    f"{owner}: duration column {duration!r} not in the SurveyData's frame"
                )
            dur_raw = survey.frame[duration]
        names = [i for i in (survey.items if items is None else items) if i != duration]
        if len(names) < 2:
            raise DataValidationError(f"{owner} needs at least 2 items, got {len(names)}")
        x = survey.frame[names].to_numpy(dtype=np.float64)
        n, p = x.shape
        rows = survey.frame.index
        notes: list[str] = []
        answered = (~np.isnan(x)).sum(axis=1)
        miss_share = 1.0 - answered / p
        with np.errstate(invalid="ignore", divide="ignore"):
            irv = np.nanstd(np.where(answered[:, None] > 0, x, 0.0), axis=1, ddof=0)
        irv = np.where(answered > 0, irv, np.nan)
        flags: dict[str, NDArray[np.bool_]] = {}
        flags["too_many_missing"] = miss_share > self.max_missing_share
        rng_ = np.nanmax(np.where(answered[:, None] > 0, x, -np.inf), axis=1) - np.nanmin(
            np.where(answered[:, None] > 0, x, np.inf), axis=1
        )
        flags["straight_lining"] = (answered >= self.min_answered) & (rng_ == 0)
        runs = _longest_run(x)
        flags["long_string"] = runs >= np.ceil(self.long_string_share * p)
        flags["low_variability"] = (
            (irv < self.min_irv) & (answered >= self.min_answered)
            if self.min_irv is not None
            else np.zeros(n, dtype=bool)
        )
        # speeders
        dur = np.full(n, np.nan)
        if duration is not None and dur_raw is not None:
            vals = pd.to_numeric(dur_raw.reindex(rows), errors="coerce")
            bad = vals.isna() & dur_raw.reindex(rows).notna()
            if bad.any():
                raise DataValidationError(
                    f"{owner}: duration column {duration!r} has non-numeric values (rows "
                    f"{format_offenders(list(rows[bad.to_numpy()]))})"
                )
            dur = vals.to_numpy(dtype=np.float64)
            if np.nanmin(dur) < 0:
                neg = list(rows[np.flatnonzero(dur < 0)])
                raise DataValidationError(
                    f"{owner}: duration column {duration!r} has negative times (rows "
                    f"{format_offenders(neg)})"
                )
            median = float(np.nanmedian(dur))
            flags["speeder"] = dur < self.speeder_fraction * median
        else:
            median = float("nan")
            flags["speeder"] = np.zeros(n, dtype=bool)
            if "speeder" in self.criteria:
                notes.append("speeder rule not applied: pass duration='column'")
        exact, nearest, share, searched = _duplicates(
            x, self.near_duplicate_share, self.near_duplicate_max_n
        )
        flags["duplicate"] = exact >= 0
        flags["near_duplicate"] = (share >= self.near_duplicate_share) & ~flags["duplicate"]
        if not searched and "near_duplicate" in self.criteria:
            notes.append(f"near-duplicate search skipped: {n} respondents > near_duplicate_max_n")
        # Mahalanobis
        d2 = np.full(n, np.nan)
        complete = ~np.isnan(x).any(axis=1)
        cut = float(stats.chi2.ppf(1.0 - self.outlier_alpha, p))
        if complete.sum() > p + 1:
            xc = x[complete]
            mu = xc.mean(axis=0)
            cov = np.cov(xc, rowvar=False)
            inv = np.linalg.pinv(cov, hermitian=True)
            dev = xc - mu
            d2[complete] = np.einsum("ij,jk,ik->i", dev, inv, dev)
            flags["outlier"] = np.nan_to_num(d2, nan=0.0) > cut
        else:
            flags["outlier"] = np.zeros(n, dtype=bool)
            if "outlier" in self.criteria:
                notes.append("outlier rule not applied: too few complete respondents")
        for c in SCREENING_CRITERIA:
            if c not in self.criteria:
                flags[c] = np.zeros(n, dtype=bool)
        excluded_mask = np.zeros(n, dtype=bool)
        for c in excluding:
            excluded_mask |= flags[c]
        labels_of = [str(r) for r in rows]
        table = pd.DataFrame(
            {
                "answered": answered.astype(np.int64),
                "missing_share": miss_share,
                "irv": irv,
                "longest_run": runs,
                "duration": dur,
                "nearest_share": share,
                "mahalanobis": d2,
                **{c: flags[c] for c in SCREENING_CRITERIA},
                "excluded": excluded_mask,
            },
            index=rows,
        )
        table.index.name = "row"
        table.insert(
            5,
            "duplicate_of",
            pd.Series([labels_of[j] if j >= 0 else "" for j in exact], index=rows, dtype="str"),
        )
        table.insert(
            6,
            "nearest_row",
            pd.Series([labels_of[j] if j >= 0 else "" for j in nearest], index=rows, dtype="str"),
        )
        rules = {
            "too_many_missing": f"more than {self.max_missing_share:.0%} of items unanswered",
            "straight_lining": "the same answer to every answered item",
            "long_string": f"a run of identical answers over >= {self.long_string_share:.0%} "
            "of items",
            "low_variability": "no threshold set (min_irv=None)"
            if self.min_irv is None
            else f"IRV below {self.min_irv}",
            "speeder": f"time below {self.speeder_fraction:.0%} of the median ({median:g})",
            "duplicate": "identical answers to an earlier respondent",
            "near_duplicate": f">= {self.near_duplicate_share:.0%} of answers equal to an "
            "earlier respondent's",
            "outlier": f"Mahalanobis D2 > chi2({p}) quantile {1 - self.outlier_alpha} = {cut:.2f}",
        }
        summary = pd.DataFrame(
            {
                "applied": [c in self.criteria for c in SCREENING_CRITERIA],
                "excludes": [c in excluding for c in SCREENING_CRITERIA],
                "n_flagged": [int(flags[c].sum()) for c in SCREENING_CRITERIA],
                "share": [float(flags[c].mean()) for c in SCREENING_CRITERIA],
                "rule": pd.array([rules[c] for c in SCREENING_CRITERIA], dtype="str"),
            },
            index=pd.Index(SCREENING_CRITERIA, name="criterion"),
        )
        ex_rows = table.index[excluded_mask]
        reasons = [
            ", ".join(c for c in excluding if flags[c][i]) for i in np.flatnonzero(excluded_mask)
        ]
        excluded = pd.DataFrame({"reasons": pd.array(reasons, dtype="str")}, index=ex_rows)
        excluded.index.name = "row"
        if excluded_mask.any():
            counts = ", ".join(f"{c}: {int(flags[c].sum())}" for c in excluding if flags[c].any())
            warn_and_note(
                notes,
                f"{int(excluded_mask.sum())} of {n} respondents flagged for exclusion ({counts})",
                DataQualityWarning,
            )
        if excluded_mask.all():
            notes.append("every respondent is flagged; the cleaned data would be empty")
        return ScreeningResult(
            flags=table,
            criteria=summary,
            excluded=excluded,
            settings={
                "model": "ScreenResponses",
                "items": names,
                "duration": duration,
                "criteria": list(self.criteria),
                "exclude": list(excluding),
                "n_respondents": n,
                "n_excluded": int(excluded_mask.sum()),
                "n_used": int(n - excluded_mask.sum()),
                "median_duration": median,
                "outlier_cutoff": cut,
            },
            notes=tuple(notes),
        )

    def clean(
        self,
        data: SurveyData | pd.DataFrame,
        *,
        items: Sequence[str] | None = None,
        duration: str | None = None,
        **data_options: Any,
    ) -> tuple[ScreeningResult, SurveyData]:
        """Screen and return ``(report, SurveyData without the excluded respondents)``.

        Examples
        --------
        >>> import pandas as pd, csimodels as csi
        >>> df = pd.DataFrame({"Q1": [5, 3, 4, 2], "Q2": [5, 4, 2, 2], "Q3": [5, 2, 3, 4]})
        >>> report, kept = csi.ScreenResponses(criteria=("straight_lining",)).clean(df)
        >>> kept.n_respondents, report.settings["n_excluded"]
        (3, 1)
        """
        report = self.fit(data, items=items, duration=duration, **data_options)
        kept_items = None if isinstance(data, SurveyData) else report.settings["items"]
        survey = to_survey(data, kept_items, owner="ScreenResponses.clean", options=data_options)
        return report, report.apply(survey)


def _role_columns(options: dict[str, Any]) -> set[str]:
    out: set[str] = set()
    for key in ("weight", "period"):
        if options.get(key):
            out.add(str(options[key]))
    segs = options.get("segments") or ()
    out |= {segs} if isinstance(segs, str) else set(segs)
    return out


class ScreeningResult(Result):
    """Which respondents each screening rule flags, and which are excluded.

    Attributes
    ----------
    flags : DataFrame, index row (the data's row labels)
        Per respondent: ``answered`` items, ``missing_share``, ``irv`` (sd of the
        respondent's answers), ``longest_run`` of identical consecutive answers,
        ``duration``, ``duplicate_of`` (row label, as text, of the earlier identical
        respondent; empty if none), ``nearest_row`` and ``nearest_share`` (the earlier
        respondent with most equal answers, empty if none, and that share),
        ``mahalanobis`` D²; one boolean column per rule of :data:`SCREENING_CRITERIA`;
        ``excluded``.
    criteria : DataFrame, index criterion
        ``applied``, ``excludes`` (its flags exclude), ``n_flagged``, ``share``, ``rule``.
    excluded : DataFrame, index row
        The excluded respondents and the ``reasons`` (rules that flagged them).

    Examples
    --------
    >>> import pandas as pd, csimodels as csi
    >>> df = pd.DataFrame({"Q1": [1, 2, 2, 4], "Q2": [3, 1, 1, 2], "Q3": [2, 5, 5, 1]})
    >>> res = csi.ScreenResponses(criteria=("duplicate",)).fit(df)
    >>> res.flags["duplicate_of"].tolist()
    ['', '', '1', '']
    """

    flags: Frame
    criteria: Frame
    excluded: Frame

    _title: ClassVar[str] = "Response screening"

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        s = self.settings
        header: list[tuple[str, object]] = [
            ("Respondents", s.get("n_respondents")),
            ("Items", len(s.get("items", []))),
            ("Excluded", s.get("n_excluded")),
            ("Kept", s.get("n_used")),
            ("Duration column", s.get("duration") or "none"),
        ]
        tables: dict[str, Any] = {"Criteria": self.criteria}
        if len(self.excluded):
            tables["Excluded respondents"] = self.excluded.head(50)
        return header, tables

    def apply(self, data: SurveyData) -> SurveyData:
        """``data`` without the excluded respondents (matched by row label).

        Raises
        ------
        DataValidationError
            If ``data`` lacks rows of this screening, or every respondent is excluded.
        """
        if not isinstance(data, SurveyData):
            raise DataValidationError(
                f"ScreeningResult.apply needs a SurveyData, got {type(data).__name__}"
            )
        rows = self.flags.index
        missing = rows.difference(data.frame.index)
        if len(missing):
            raise DataValidationError(
                f"ScreeningResult.apply: rows {format_offenders(list(missing))} of the "
                "screening are not in these data; apply it to the data it screened"
            )
        keep = ~data.frame.index.isin(self.excluded.index)
        if not keep.any():
            raise DataValidationError(
                "ScreeningResult.apply: every respondent is excluded; nothing is left"
            )
        flags, out = self.flags, self.flags["excluded"].to_numpy(dtype=bool)
        excluding = self.criteria.index[self.criteria["excludes"].to_numpy(dtype=bool)]
        by_rule = {
            str(rule): int((flags[rule].to_numpy(dtype=bool) & out).sum())
            for rule in excluding
            if (flags[rule].to_numpy(dtype=bool) & out).any()
        }
        step = DataStep(
            kind="screening",
            n_before=int(data.frame.shape[0]),
            n_after=int(keep.sum()),
            counts=by_rule,
        )
        return data.subset(keep, step=step)
