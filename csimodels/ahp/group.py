"""Group AHP: many respondents' pairwise judgments (survey coding) aggregated.

Survey data hold one column per pair of criteria, coded on a signed scale: with
``coding="signed_9"`` a value ``v`` in −9..−2, 1, 2..9 (−1 and 1 both mean "equal")
says that the pair's first element is ``v`` times as important as the second when
``v > 0`` and that the second is ``|v|`` times as important when ``v < 0`` (swap with
``positive_favours="second"``); ``coding="signed_8"`` uses −8..8 with 0 for "equal"
and ``|v| + 1`` as the ratio.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import ConfigDict, Field

from csimodels._settings import Settings
from csimodels.ahp._consistency import consistency_threshold
from csimodels.ahp._matrix import CheckedMatrix
from csimodels.ahp._model import AHP, AHPResult
from csimodels.ahp._priorities import PRIORITY_METHODS, perron
from csimodels.data.survey import SurveyData
from csimodels.errors import (
    DataQualityWarning,
    DataValidationError,
    format_offenders,
)
from csimodels.results import Frame, Result, SeriesTable, warn_and_note

__all__ = ["AHPGroup", "AHPGroupResult", "batch_consistency"]

FloatArray = NDArray[np.float64]


def batch_consistency(
    matrices: FloatArray, *, method: str = "eigenvector", ri: float
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Weights, λmax, CI and CR of a stack of ``(m, n, n)`` matrices in one eigen call.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.array([[[1, 2, 4], [1 / 2, 1, 2], [1 / 4, 1 / 2, 1]]] * 2)
    >>> w, lam, ci, cr = batch_consistency(a, ri=0.58)
    >>> w[0].round(4).tolist(), lam.round(10).tolist(), cr.round(10).tolist()
    ([0.5714, 0.2857, 0.1429], [3.0, 3.0], [0.0, 0.0])
    """
    n = matrices.shape[-1]
    lam, w = perron(matrices)
    if method != "eigenvector":
        w = PRIORITY_METHODS[method](matrices)
    if n <= 2:
        zero = np.zeros(lam.shape)
        return w, lam, zero, zero
    ci = np.maximum((lam - n) / (n - 1), 0.0)
    return w, lam, ci, ci / ri


class AHPGroupResult(Result):
    """Group priorities from many respondents' judgments.

    Attributes
    ----------
    weights : Series
        Group priorities of the criteria (sum to 1): of the aggregated matrix (AIJ) or
        aggregated individual priorities (AIP).
    group : AHPResult
        Fit of the aggregated matrix (weighted geometric mean of the included
        respondents' matrices): its ``cr`` is the group's CR (under AIP too, where it
        describes the pooled judgments).
    respondents : DataFrame, one row per respondent (the data's row labels)
        ``lambda_max``, ``ci``, ``cr`` and ``consistent`` of the respondent's matrix,
        ``included`` (used in the aggregation), ``weight`` (survey weight, 1 if none),
        then the respondent's priority of each criterion (columns named after them);
        respondents with missing answers are absent (see notes).
    n_respondents : int
        Respondents with complete answers.
    n_included : int
        Respondents used in the aggregation.

    Examples
    --------
    >>> import pandas as pd, csimodels as csi
    >>> df = pd.DataFrame({"price_vs_quality": [3, 3, -3], "price_vs_speed": [5, 3, 1],
    ...                    "quality_vs_speed": [2, 1, 3]})
    >>> res = csi.ahp.AHPGroup().fit(df)
    >>> res.n_included, round(float(res.weights.sum()), 12)
    (3, 1.0)
    """

    weights: SeriesTable
    group: AHPResult
    respondents: Frame
    n_respondents: int
    n_included: int

    _title: ClassVar[str] = "Group AHP"

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        s = self.settings
        header: list[tuple[str, object]] = [
            ("Respondents", f"{self.n_included} used of {self.n_respondents}"),
            ("Aggregation", s.get("aggregation")),
            ("Priority method", s.get("ahp", {}).get("method")),
            ("Group CR", f"{self.group.cr:.4f} ({s.get('ahp', {}).get('ri_table')})"),
            (
                "Individual CR above threshold",
                f"{int((~self.respondents['consistent']).sum())} respondents",
            ),
        ]
        return header, {"Group priorities": self.weights}


class AHPGroup(Settings):
    """Group AHP on survey data with one column per pair of criteria.

    Attributes
    ----------
    ahp : AHP
        Settings for the individual and group matrices (method, RI table, threshold).
    aggregation : {"aij", "aip"}
        Aggregate individual judgments (weighted geometric mean of the matrices, the
        only aggregation that keeps the group matrix reciprocal; Forman & Peniwati
        1998) or individual priorities.
    aip_mean : {"geometric", "arithmetic"}
        Mean used by AIP (geometric means are renormalised to sum to 1).
    coding : {"signed_9", "signed_8"}
        Survey coding of a pair (see the module description).
    positive_favours : {"first", "second"}
        Which element of a pair a positive answer favours.
    exclude_inconsistent : bool
        Leave out respondents whose CR exceeds the threshold of ``ahp``.
    separator : str
        Splits column names into the pair when ``pairs`` is not given
        (``"price_vs_quality"`` → ``("price", "quality")``).

    Examples
    --------
    >>> import pandas as pd, csimodels as csi
    >>> df = pd.DataFrame({"q1": [3, 5], "q2": [5, 7], "q3": [2, 3]})
    >>> pairs = {"q1": ("a", "b"), "q2": ("a", "c"), "q3": ("b", "c")}
    >>> res = csi.ahp.AHPGroup(aggregation="aip").fit(df, pairs=pairs)
    >>> res.weights.idxmax()
    'a'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    ahp: AHP = Field(default_factory=AHP)
    aggregation: Literal["aij", "aip"] = "aij"
    aip_mean: Literal["geometric", "arithmetic"] = "geometric"
    coding: Literal["signed_9", "signed_8"] = "signed_9"
    positive_favours: Literal["first", "second"] = "first"
    exclude_inconsistent: bool = False
    separator: str = "_vs_"

    def fit(
        self,
        data: SurveyData | pd.DataFrame,
        pairs: Mapping[str, tuple[str, str]] | None = None,
        *,
        weight: str | None = None,
    ) -> AHPGroupResult:
        """Individual CRs and group priorities, vectorised over respondents.

        Parameters
        ----------
        data : SurveyData or DataFrame
            One row per respondent; the pair columns coded as ``coding`` says.
        pairs : mapping of column to (first, second), optional
            Which pair each column compares; default: split the column names of all
            columns at ``separator``.
        weight : str, optional
            Column of respondent weights (a SurveyData's own weight column otherwise).

        Raises
        ------
        DataValidationError
            Unknown, non-numeric or off-coding pair columns (naming column and rows),
            pairs given twice, criteria not all compared, non-positive weights.
        """
        where = "AHPGroup"
        if isinstance(data, SurveyData):
            frame = data.frame
            w_all = data.weights() if weight is None else None
        elif isinstance(data, pd.DataFrame):
            frame = data
            w_all = None
        else:
            raise DataValidationError(
                f"{where}: data must be a SurveyData or a DataFrame, got {type(data).__name__}"
            )
        if weight is not None:
            if weight not in frame.columns:
                raise DataValidationError(f"{where}: weight column {weight!r} not found")
            w_all = pd.to_numeric(frame[weight], errors="coerce").to_numpy(dtype=np.float64)
            bad = np.nonzero(~(w_all > 0))[0]
            if bad.size:
                bad_rows = frame.index[bad].tolist()
                raise DataValidationError(
                    f"{where}: weight column {weight!r} must be positive; rows "
                    f"{format_offenders(bad_rows)} are not"
                )
        pairs_ = self._pairs(frame, pairs, weight, where)
        columns = list(pairs_)
        criteria: list[str] = []
        for a, b in pairs_.values():
            for x in (a, b):
                if x not in criteria:
                    criteria.append(x)
        n = len(criteria)
        self._check_design(pairs_, criteria, where)
        raw = self._values(frame, columns, where)
        complete = ~np.isnan(raw).any(axis=1)
        notes: list[str] = []
        n_dropped = int((~complete).sum())
        if n_dropped:
            warn_and_note(
                notes,
                f"{where}: {n_dropped} respondent(s) with missing answers left out "
                f"(rows {format_offenders(frame.index[np.nonzero(~complete)[0]].tolist())})",
                DataQualityWarning,
            )
        raw = raw[complete]
        rows = frame.index[np.nonzero(complete)[0]]
        w = np.ones(raw.shape[0]) if w_all is None else np.asarray(w_all)[complete]
        if raw.shape[0] == 0:
            raise DataValidationError(f"{where}: no respondent answered every pair")
        ratio = self._ratios(raw)
        index = {c: k for k, c in enumerate(criteria)}
        mats = np.ones((raw.shape[0], n, n))
        for col_k, col in enumerate(columns):
            a, b = pairs_[col]
            i, j = index[a], index[b]
            mats[:, i, j] = ratio[:, col_k]
            mats[:, j, i] = 1.0 / ratio[:, col_k]
        ahp = self.ahp
        ri = ahp._ri(n) if n > 2 else 0.0
        ind_w, lam, ci, cr = _batched(mats, ahp.method, ri)
        threshold = consistency_threshold(n, ahp.threshold)
        consistent = cr <= threshold
        included = consistent if self.exclude_inconsistent else np.ones_like(consistent)
        if not included.any():
            raise DataValidationError(
                f"{where}: no respondent has CR ≤ {threshold:.2f}; lower the bar "
                "(threshold=...) or set exclude_inconsistent=False"
            )
        wi = w[included] / w[included].sum()
        group_matrix = np.exp(np.einsum("r,rij->ij", wi, np.log(mats[included])))
        group = ahp._fit_checked(_checked(group_matrix, criteria), f"{where} (group matrix)")
        if self.aggregation == "aij":
            gw = group.weights.to_numpy()
        elif self.aip_mean == "geometric":
            g = np.exp(wi @ np.log(ind_w[included]))
            gw = g / g.sum()
        else:
            gw = wi @ ind_w[included]
        respondents = pd.DataFrame(
            {
                "lambda_max": lam,
                "ci": ci,
                "cr": cr,
                "consistent": consistent.astype(bool),
                "included": included.astype(bool),
                "weight": w,
            },
            index=rows,
        )
        for k, c in enumerate(criteria):
            respondents[c] = ind_w[:, k]
        weights = pd.Series(gw, index=pd.Index(criteria, name="element"), name="weight")
        return AHPGroupResult(
            weights=weights,
            group=group,
            respondents=respondents,
            n_respondents=int(raw.shape[0]),
            n_included=int(included.sum()),
            settings={
                "ahp": ahp.settings_dict(),
                "aggregation": self.aggregation,
                "aip_mean": self.aip_mean,
                "coding": self.coding,
                "positive_favours": self.positive_favours,
                "exclude_inconsistent": self.exclude_inconsistent,
                "threshold_value": threshold,
                "pairs": {k: list(v) for k, v in pairs_.items()},
                "weight": weight,
            },
            notes=tuple(notes + [f"group matrix: {note}" for note in group.notes]),
        )

    # -- helpers -------------------------------------------------------------------
    def _pairs(
        self,
        frame: pd.DataFrame,
        pairs: Mapping[str, tuple[str, str]] | None,
        weight: str | None,
        where: str,
    ) -> dict[str, tuple[str, str]]:
        if pairs is None:
            out: dict[str, tuple[str, str]] = {}
            bad = []
            for col in frame.columns:
                if col == weight:
                    continue
                parts = str(col).split(self.separator)
                if len(parts) != 2 or not all(parts):
                    bad.append(str(col))
                else:
                    out[str(col)] = (parts[0], parts[1])
            if bad:
                raise DataValidationError(
                    f"{where}: column(s) {format_offenders(bad)} are not named "
                    f"'<first>{self.separator}<second>'; pass pairs={{column: (first, second)}}"
                )
            return out
        missing = sorted(str(c) for c in pairs if c not in frame.columns)
        if missing:
            raise DataValidationError(
                f"{where}: pair column(s) {format_offenders(missing)} not found in the data"
            )
        out = {}
        for col, pair in pairs.items():
            if not (isinstance(pair, tuple) and len(pair) == 2 and pair[0] != pair[1]):
                raise DataValidationError(
                    f"{where}: pairs[{col!r}] must be a (first, second) tuple of two different "
                    f"criteria, got {pair!r}"
                )
            out[str(col)] = (str(pair[0]), str(pair[1]))
        return out

    def _check_design(
        self, pairs: Mapping[str, tuple[str, str]], criteria: list[str], where: str
    ) -> None:
        seen: dict[frozenset[str], str] = {}
        for col, (a, b) in pairs.items():
            key = frozenset((a, b))
            if key in seen:
                raise DataValidationError(
                    f"{where}: columns {seen[key]!r} and {col!r} both compare {a!r} and {b!r}"
                )
            seen[key] = col
        n = len(criteria)
        if len(seen) != n * (n - 1) // 2:
            lacking = [
                f"({a!r}, {b!r})"
                for k, a in enumerate(criteria)
                for b in criteria[k + 1 :]
                if frozenset((a, b)) not in seen
            ]
            raise DataValidationError(
                f"{where}: the survey must compare every pair of the {n} criteria; missing "
                f"{', '.join(lacking[:5])}"
                + (f" and {len(lacking) - 5} more" if len(lacking) > 5 else "")
            )

    def _values(self, frame: pd.DataFrame, columns: list[str], where: str) -> FloatArray:
        out = np.empty((len(frame), len(columns)))
        allowed = (
            {float(v) for v in range(-9, 10) if v != 0}
            if self.coding == "signed_9"
            else {float(v) for v in range(-8, 9)}
        )
        hint = (
            "−9..−1 and 1..9 (0 is not a code; for a −8..8 survey pass coding='signed_8')"
            if self.coding == "signed_9"
            else "−8..8"
        )
        for k, col in enumerate(columns):
            s = frame[col]
            if not (pd.api.types.is_numeric_dtype(s) or s.isna().all()):
                raise DataValidationError(f"{where}: pair column {col!r} is not numeric")
            x = s.to_numpy(dtype=np.float64, na_value=np.nan)
            bad = ~np.isnan(x) & ~np.isin(x, list(allowed))
            if bad.any():
                idx = np.nonzero(bad)[0]
                shown = [f"row {frame.index[r]!r}: {x[r]:g}" for r in idx[:5]]
                raise DataValidationError(
                    f"{where}: pair column {col!r} has {idx.size} value(s) off the coding "
                    f"{hint} ({'; '.join(shown)}{' ...' if idx.size > 5 else ''})"
                )
            out[:, k] = x
        return out

    def _ratios(self, raw: FloatArray) -> FloatArray:
        if self.coding == "signed_9":
            mag = np.maximum(np.abs(raw), 1.0)
        else:
            mag = np.abs(raw) + 1.0
        ratio = np.where(raw >= 0, mag, 1.0 / mag)
        return ratio if self.positive_favours == "first" else 1.0 / ratio


def _batched(
    mats: FloatArray, method: str, ri: float, chunk: int = 20_000
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    parts = [
        batch_consistency(mats[s : s + chunk], method=method, ri=ri)
        for s in range(0, mats.shape[0], chunk)
    ]
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        np.concatenate([p[2] for p in parts]),
        np.concatenate([p[3] for p in parts]),
    )


def _checked(values: FloatArray, labels: list[str]) -> CheckedMatrix:
    return CheckedMatrix(
        values=values, labels=tuple(labels), max_reciprocal_deviation=0.0, off_scale=()
    )
