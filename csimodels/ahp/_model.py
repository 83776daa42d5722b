"""The AHP model (one judgment matrix) and its results."""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import ConfigDict, Field, field_validator

from csimodels._settings import Settings
from csimodels.ahp._consistency import (
    RI_TABLES,
    consistency_threshold,
    random_index,
    ri_table,
)
from csimodels.ahp._incomplete import harker_completion, lambda_max_completion
from csimodels.ahp._matrix import CheckedMatrix, Judgments, check_judgments, connected_components
from csimodels.ahp._priorities import PRIORITY_METHODS, geometric_consistency_index, perron
from csimodels.ahp._repair import diagnose, repair
from csimodels.errors import (
    ConsistencyWarning,
    ConvergenceWarning,
    DataQualityWarning,
    DataValidationError,
)
from csimodels.results import Frame, Result, SeriesTable, warn_and_note

__all__ = ["AHP", "AHPRepairResult", "AHPResult"]

FloatArray = np.ndarray[Any, np.dtype[np.float64]]


def _label_series(values: list[Hashable]) -> pd.Series:
    """Labels as a column (pandas infers str/int; an empty column is str)."""
    return pd.Series(values) if values else pd.Series([], dtype="str")


class AHPResult(Result):
    """Priorities and consistency of one pairwise-comparison matrix.

    Attributes
    ----------
    weights : Series
        Priority of each element (index: the labels, name ``"weight"``), summing to 1,
        by the method in ``settings["method"]``.
    lambda_max : float
        Perron (principal) eigenvalue of :attr:`matrix`, whatever the method.
    ci : float
        Consistency index ``(λmax − n) / (n − 1)`` (0 for ``n ≤ 2``).
    ri : float
        Random index of the table in ``settings["ri_table"]`` for this ``n``.
    cr : float
        Consistency ratio ``CI / RI``; 0 for ``n ≤ 2``, where every reciprocal
        matrix is consistent (see the note).
    gci : float
        Geometric consistency index of Aguarón & Moreno-Jiménez (2003), computed with
        the row-geometric-mean weights (None for ``n ≤ 2``); its usual thresholds are
        0.31 (n = 3), 0.35 (n = 4) and 0.37 (n > 4).
    threshold : float
        The CR acceptance threshold applied for this ``n``.
    consistent : bool
        ``cr <= threshold``.
    n : int
        Number of elements compared.
    matrix : DataFrame
        The reciprocal matrix used (missing judgments completed, near-reciprocal pairs
        reconciled), labelled by element; ``matrix.loc[i, j]`` is how many times more
        important ``i`` is than ``j``.
    diagnosis : DataFrame, one row per pair, most inconsistent first
        ``row``, ``column``: the pair (i, j); ``judgment``: ``a_ij``;
        ``consistent_value``: ``w_i / w_j``, the value that would agree with the
        priorities; ``error_ratio``: ``a_ij · w_j / w_i`` (1 when consistent);
        ``log_error``: ``|ln error_ratio|``, the ranking key; ``suggested``: the
        scale value nearest ``consistent_value``; ``completed``: whether the judgment
        was missing and completed.

    Examples
    --------
    >>> import csimodels as csi
    >>> res = csi.ahp.AHP().fit([[1, 3], [1 / 3, 1]], labels=["price", "quality"])
    >>> res.weights.round(4).to_dict(), res.cr
    ({'price': 0.75, 'quality': 0.25}, 0.0)
    """

    weights: SeriesTable
    lambda_max: float
    ci: float
    ri: float
    cr: float
    gci: float | None
    threshold: float
    consistent: bool
    n: int
    matrix: Frame
    diagnosis: Frame

    _title: ClassVar[str] = "AHP priorities"

    def _check_invariants(self) -> None:
        w = self.__dict__["weights"]
        values = w.to_numpy(dtype=np.float64, na_value=np.nan) if len(w) else np.empty(0)
        if values.size < 1:
            raise ValueError("weights are empty; a priority vector has n >= 1 entries")
        if not np.isfinite(values).all() or (values < 0).any():
            raise ValueError("weights must be finite and non-negative")
        if abs(values.sum() - 1.0) > 1e-6:
            raise ValueError(f"weights must sum to 1, got {values.sum():.6g}")
        if not w.index.is_unique:
            raise ValueError("weight labels must be unique")
        if self.n != values.size or self.__dict__["matrix"].shape != (self.n, self.n):
            raise ValueError(
                f"n = {self.n} but {values.size} weights and a "
                f"{self.__dict__['matrix'].shape} matrix"
            )
        matrix = self.__dict__["matrix"].to_numpy(dtype=np.float64, na_value=np.nan)
        if not np.isfinite(matrix).all() or (matrix <= 0).any():
            raise ValueError("the judgment matrix must hold finite positive ratios")
        for name in ("lambda_max", "ci", "ri", "cr", "threshold"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be finite and >= 0, got {value!r}")
        if self.gci is not None and not math.isfinite(self.gci):
            raise ValueError(f"gci must be finite, got {self.gci!r}")
        if self.consistent != (self.cr <= self.threshold):
            raise ValueError(
                f"consistent={self.consistent} contradicts cr={self.cr!r} and "
                f"threshold={self.threshold!r}"
            )

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        s = self.settings
        header: list[tuple[str, object]] = [
            ("Elements", self.n),
            ("Priority method", s.get("method")),
            ("lambda_max", f"{self.lambda_max:.4f}"),
            ("CI", f"{self.ci:.4f}"),
            ("RI", f"{self.ri:.4f} ({s.get('ri_table')})"),
            ("CR", f"{self.cr:.4f} (threshold {self.threshold:.2f})"),
            ("Consistent", "yes" if self.consistent else "no"),
        ]
        tables: dict[str, Any] = {"Priorities": self.weights}
        if self.n > 2:
            tables["Most inconsistent judgments"] = self.diagnosis.head(5)
        return header, tables

    def plot(
        self,
        kind: Literal["priorities", "consistency"] | None = None,
        *,
        ax: Any = None,
        language: Literal["en", "zh"] = "en",
        labels: Literal["code", "label"] = "code",
    ) -> Any:
        """Priorities as bars with the CR in the title (default), or the CR against its threshold.

        Returns the matplotlib Axes.

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> from csimodels.ahp import AHP
        >>> res = AHP().fit({("a", "b"): 3, ("a", "c"): 5, ("b", "c"): 2})
        >>> res.plot("consistency").get_title()
        'Consistency ratio'
        """
        from csimodels.reports.charts import ahp_chart

        return ahp_chart(self, kind, ax=ax, language=language, labels=labels)


class AHPRepairResult(Result):
    """Outcome of :meth:`AHP.repair`: the original fit, the repaired fit, the change log.

    Attributes
    ----------
    original : AHPResult
        The fit of the judgments as given (never modified).
    repaired : AHPResult
        The fit of the revised matrix (``repaired.matrix``).
    changes : DataFrame, one row per revised judgment, in order
        ``row``, ``column``: the pair; ``old``, ``new``: the judgment before and after;
        ``cr_before``, ``cr_after``: CR before and after the revision.
    acceptable : bool
        Whether the repaired CR is within the threshold.

    Examples
    --------
    >>> import warnings, csimodels as csi
    >>> bad = [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]      # a circular triad
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     rep = csi.ahp.AHP().repair(bad)
    >>> rep.acceptable, rep.original.cr > 0.1 >= rep.repaired.cr
    (True, True)
    """

    original: AHPResult
    repaired: AHPResult
    changes: Frame
    acceptable: bool

    _title: ClassVar[str] = "AHP inconsistency repair"

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        header: list[tuple[str, object]] = [
            ("CR before", f"{self.original.cr:.4f}"),
            ("CR after", f"{self.repaired.cr:.4f} (threshold {self.repaired.threshold:.2f})"),
            ("Judgments revised", len(self.changes)),
            ("Acceptable", "yes" if self.acceptable else "no"),
        ]
        weights = pd.DataFrame(
            {"original": self.original.weights, "repaired": self.repaired.weights}
        )
        return header, {"Changes": self.changes, "Priorities": weights}


class AHP(Settings):
    """The Analytic Hierarchy Process for one pairwise-comparison matrix.

    Attributes
    ----------
    method : {"eigenvector", "geometric", "column_average"}
        How priorities are derived (see :data:`PRIORITY_METHODS`). ``λmax`` always
        comes from the Perron eigenvalue, whichever method gives the weights.
    ri_table : str
        Random-index table (see :data:`RI_TABLES`); default ``"saaty_1980"``.
    ri_simulations : int
        Random matrices per size when ``ri_table="simulated"``.
    random_state : int
        Seed of the simulated RI table.
    threshold : float or "saaty"
        CR acceptance threshold: a number (default 0.10), or ``"saaty"`` for Saaty's
        size-dependent 0.05 (n = 3), 0.08 (n = 4), 0.10 (n ≥ 5).
    strict : bool
        Raise instead of warning when CR exceeds the threshold.
    reciprocal_tolerance : float
        Accepted relative deviation ``|a_ij · a_ji − 1|`` (0.05 lets 0.33 or 0.13 stand for
        1/3 or 1/8 typed with two decimals); accepted pairs are reconciled to
        ``sqrt(a_ij / a_ji)``.
    scale_max : float
        Judgments must lie on ``[1/scale_max, scale_max]`` (Saaty: 9).
    allow_off_scale : bool
        Accept judgments off that scale with a warning instead of an error.
    completion : {"error", "lambda_max", "harker"}
        What to do with missing judgments: refuse (default), the λmax-optimal
        completion (Bozóki et al. 2010) or Harker's (1987) method.

    Notes
    -----
    ``CI = (λmax − n) / (n − 1)``, ``CR = CI / RI(n)``; ``λmax ≥ n`` with equality
    exactly when the judgments are consistent (``a_ij a_jk = a_ik``).

    References
    ----------
    1. Saaty, T.L. (1980). *The Analytic Hierarchy Process*. McGraw-Hill.
    2. Saaty, T.L. (2003). Decision-making with the AHP: why is the principal
       eigenvector necessary. *EJOR* 145, 85–91.
    3. Harker, P.T. (1987). Incomplete pairwise comparisons in the analytic hierarchy
       process. *Mathematical Modelling* 9(11), 837–848.
    4. Bozóki, S., Fülöp, J. & Rónyai, L. (2010). On optimal completion of incomplete
       pairwise comparison matrices. *Mathematical and Computer Modelling* 52, 318–333.

    Examples
    --------
    Wikipedia's "choosing a leader" criteria (experience, education, charisma, age):

    >>> import csimodels as csi
    >>> m = [[1, 4, 3, 7], [1/4, 1, 1/3, 3], [1/3, 3, 1, 5], [1/7, 1/3, 1/5, 1]]
    >>> res = csi.ahp.AHP().fit(m, labels=["experience", "education", "charisma", "age"])
    >>> res.weights.round(4).tolist()       # Wikipedia: .5476, .1266, .2699, .0559
    [0.5476, 0.1266, 0.2699, 0.0559]
    >>> round(res.lambda_max, 3), res.consistent
    (4.118, True)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: Literal["eigenvector", "geometric", "column_average"] = "eigenvector"
    ri_table: str = "saaty_1980"
    ri_simulations: int = Field(default=20_000, ge=100)
    random_state: int = Field(default=0, ge=0)
    threshold: float | Literal["saaty"] = 0.10
    strict: bool = False
    reciprocal_tolerance: float = Field(default=0.05, ge=0.0, lt=1.0)
    scale_max: float = Field(default=9.0, gt=1.0)
    allow_off_scale: bool = False
    completion: Literal["error", "lambda_max", "harker"] = "error"

    @field_validator("ri_table")
    @classmethod
    def _known_table(cls, value: str) -> str:
        ri_table(value)
        return value

    @field_validator("threshold")
    @classmethod
    def _positive_threshold(cls, value: float | str) -> float | str:
        if not isinstance(value, str) and not 0 < value < 1:
            raise ValueError(f"threshold must be in (0, 1) or 'saaty', got {value!r}")
        return value

    # -- public --------------------------------------------------------------------
    def fit(self, judgments: Judgments, *, labels: Sequence[Hashable] | None = None) -> AHPResult:
        """Priorities, λmax, CI, RI, CR and a diagnosis of the judgments.

        Parameters
        ----------
        judgments : array (n, n), DataFrame, or mapping of pairs
            ``a[i, j]`` = how many times more important ``i`` is than ``j``. A mapping
            ``{(i, j): value}`` needs one value per pair (its reciprocal is implied);
            an array may give only the upper triangle (NaN elsewhere). NaN marks a
            missing judgment (see ``completion``).
        labels : sequence, optional
            Element names (array input: default ``C1..Cn``; mapping input: the order
            of the elements; frame input: a reordering of its labels).

        Returns
        -------
        AHPResult

        Raises
        ------
        DataValidationError
            For a matrix that is not square, not positive, without a unit diagonal,
            not reciprocal, off the scale, with labels that do not match, with
            missing judgments (unless ``completion`` says how to complete them) or a
            disconnected comparison graph; and, with ``strict=True``, when CR exceeds
            the threshold.

        Warns
        -----
        ConsistencyWarning
            CR above the threshold.
        """
        checked = self._check(judgments, labels)
        return self._fit_checked(checked)

    def repair(
        self,
        judgments: Judgments,
        *,
        labels: Sequence[Hashable] | None = None,
        max_changes: int | None = None,
        to_scale: bool = True,
    ) -> AHPRepairResult:
        """Revise the most inconsistent judgments, one at a time, until CR is acceptable.

        Opt-in: :meth:`fit` never changes a judgment. At each step the pair with the
        largest ``|ln(a_ij w_j / w_i)|`` is set to the scale value nearest
        ``w_i / w_j`` (or to ``w_i / w_j`` itself with ``to_scale=False``).

        Parameters
        ----------
        max_changes : int, optional
            At most this many revisions (default: twice the number of pairs).
        to_scale : bool
            Keep revised judgments on the integer scale.

        Examples
        --------
        >>> import warnings, csimodels as csi
        >>> m = {("a", "b"): 2, ("a", "c"): 1 / 5, ("b", "c"): 7}
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     rep = csi.ahp.AHP().repair(m)
        >>> rep.changes[["row", "column", "old", "new"]].to_dict("records")[0]["row"]
        'a'
        """
        checked = self._check(judgments, labels)
        lenient = self.model_copy(update={"strict": False})
        original = lenient._fit_checked(checked)
        a = original.matrix.to_numpy(dtype=np.float64)
        n = a.shape[0]
        threshold = consistency_threshold(n, self.threshold)
        ri = self._ri(n)
        weigh = PRIORITY_METHODS[self.method]

        def cr_of(m: FloatArray) -> float:
            if n <= 2:
                return 0.0
            lam = float(perron(m)[0])
            return max((lam - n) / (n - 1), 0.0) / ri

        limit = n * (n - 1) if max_changes is None else int(max_changes)
        revised, changes, ok = repair(
            a, weigh, cr_of, threshold, max_changes=limit, to_scale=to_scale,
            scale_max=self.scale_max,
        )  # fmt: skip
        labels_ = list(checked.labels)
        log = pd.DataFrame(
            {
                "row": _label_series([labels_[c.i] for c in changes]),
                "column": _label_series([labels_[c.j] for c in changes]),
                "old": pd.Series([c.old for c in changes], dtype=np.float64),
                "new": pd.Series([c.new for c in changes], dtype=np.float64),
                "cr_before": pd.Series([c.cr_before for c in changes], dtype=np.float64),
                "cr_after": pd.Series([c.cr_after for c in changes], dtype=np.float64),
            }
        )
        log.index = pd.RangeIndex(1, len(changes) + 1, name="step")
        revised_checked = CheckedMatrix(
            values=revised, labels=checked.labels, max_reciprocal_deviation=0.0, off_scale=()
        )
        # the repaired fit's own CR condition is reported once, below (no second warning)
        repaired = lenient._fit_checked(revised_checked, emit=False)
        notes: list[str] = []
        if not ok:
            warn_and_note(
                notes,
                f"AHP repair: CR is still {repaired.cr:.4f} > {threshold:.2f} after "
                f"{len(changes)} revision(s); revisit the judgments with the experts",
                ConsistencyWarning,
            )
        return AHPRepairResult(
            original=original,
            repaired=repaired,
            changes=log,
            acceptable=ok,
            settings={**original.settings, "max_changes": limit, "to_scale": to_scale},
            notes=tuple(notes),
        )

    # -- internals -----------------------------------------------------------------
    def _check(
        self, judgments: Judgments, labels: Sequence[Hashable] | None, where: str = "AHP"
    ) -> CheckedMatrix:
        return check_judgments(
            judgments,
            labels,
            reciprocal_tolerance=self.reciprocal_tolerance,
            scale_max=self.scale_max,
            allow_off_scale=self.allow_off_scale,
            where=where,
        )

    def _ri(self, n: int) -> float:
        return random_index(
            n, self.ri_table, n_matrices=self.ri_simulations, random_state=self.random_state
        )

    def settings_dict(self) -> dict[str, Any]:
        """The model's settings plus the RI table's citation (recorded in every result)."""
        out: dict[str, Any] = self.model_dump(mode="json")
        out["ri_citation"] = RI_TABLES[self.ri_table].citation
        return out

    def _fit_checked(
        self, checked: CheckedMatrix, where: str = "AHP", *, emit: bool = True
    ) -> AHPResult:
        notes: list[str] = []

        def note(message: str, category: type[Warning]) -> None:
            # emit=False records the condition without warning (thread safe: no filters)
            if emit:
                warn_and_note(notes, message, category)
            else:
                notes.append(message)

        a = checked.values
        labels = list(checked.labels)
        n = a.shape[0]
        if checked.max_reciprocal_deviation > 0:
            notes.append(
                f"near-reciprocal pairs reconciled to sqrt(a_ij / a_ji) (largest "
                f"|a_ij·a_ji − 1| = {checked.max_reciprocal_deviation:.4g})"
            )
        if checked.off_scale:
            note(
                f"{where}: judgments off the scale [1/{self.scale_max:g}, {self.scale_max:g}] "
                f"accepted (allow_off_scale=True): {', '.join(checked.off_scale[:5])}",
                DataQualityWarning,
            )
        missing = checked.missing_pairs
        completed_mask = np.zeros((n, n), dtype=bool)
        if missing:
            a = self._complete(a, labels, missing, notes, where, note)
            for i, j in missing:
                completed_mask[i, j] = completed_mask[j, i] = True
        lam_arr, eig_w = perron(a)
        lam = float(lam_arr)
        w = eig_w if self.method == "eigenvector" else PRIORITY_METHODS[self.method](a)
        if n <= 2:
            ci, ri, cr = 0.0, 0.0, 0.0
            notes.append(
                f"n = {n}: every reciprocal matrix of this size is consistent, so CI = CR = 0 "
                "(RI = 0; no ratio is formed)"
            )
        else:
            ci = max((lam - n) / (n - 1), 0.0)
            ri = self._ri(n)
            cr = ci / ri
        gci = float(geometric_consistency_index(a)) if n > 2 else None
        threshold = consistency_threshold(n, self.threshold)
        d = diagnose(a, w, self.scale_max)
        ii = d["i"].astype(int)
        jj = d["j"].astype(int)
        diagnosis = pd.DataFrame(
            {
                "row": _label_series([labels[k] for k in ii]),
                "column": _label_series([labels[k] for k in jj]),
                "judgment": d["judgment"],
                "consistent_value": d["consistent_value"],
                "error_ratio": d["error_ratio"],
                "log_error": d["log_error"],
                "suggested": d["suggested"],
                "completed": completed_mask[ii, jj].astype(bool),
            }
        )
        diagnosis.index = pd.RangeIndex(1, len(diagnosis) + 1, name="rank")
        consistent = bool(cr <= threshold)
        if not consistent:
            worst = diagnosis.iloc[0]
            message = (
                f"{where}: CR = {cr:.4f} exceeds the threshold {threshold:.2f} (RI table "
                f"{self.ri_table}, n = {n}); the most inconsistent judgment is "
                f"({worst['row']!r}, {worst['column']!r}) = {worst['judgment']:.4g} where the "
                f"priorities imply {worst['consistent_value']:.4g}; see result.diagnosis, or "
                "AHP.repair() for a revised matrix"
            )
            if self.strict:
                raise DataValidationError(message + " (strict=True)")
            note(message, ConsistencyWarning)
        index = pd.Index(labels, name="element")
        matrix = pd.DataFrame(a, index=index, columns=pd.Index(labels, name="element"))
        settings = self.settings_dict()
        settings.update({"threshold_value": threshold, "n_missing": len(missing)})
        return AHPResult(
            weights=pd.Series(w, index=index, name="weight"),
            lambda_max=lam,
            ci=ci,
            ri=ri,
            cr=cr,
            gci=gci,
            threshold=threshold,
            consistent=consistent,
            n=n,
            matrix=matrix,
            diagnosis=diagnosis,
            settings=settings,
            notes=tuple(notes),
        )

    def _complete(
        self,
        a: FloatArray,
        labels: list[Hashable],
        missing: list[tuple[int, int]],
        notes: list[str],
        where: str,
        note: Callable[[str, type[Warning]], None],
    ) -> FloatArray:
        pairs = [f"({labels[i]!r}, {labels[j]!r})" for i, j in missing]
        shown = ", ".join(pairs[:5]) + (f" and {len(pairs) - 5} more" if len(pairs) > 5 else "")
        if self.completion == "error":
            raise DataValidationError(
                f"{where}: {len(missing)} judgment(s) missing: {shown}; give them, or pass "
                "completion='lambda_max' (Bozóki et al. 2010) or completion='harker' (Harker 1987)"
            )
        known = ~np.isnan(a)
        comps = connected_components(known)
        if len(comps) > 1:
            groups = " | ".join("{" + ", ".join(repr(labels[k]) for k in c) + "}" for c in comps)
            raise DataValidationError(
                f"{where}: the comparison graph is not connected, so the missing judgments "
                f"cannot be completed; unlinked groups: {groups}; compare at least one element "
                "of each group with another group"
            )
        if self.completion == "harker":
            _, full = harker_completion(a)
            notes.append(
                f"{len(missing)} missing judgment(s) completed by Harker's method: {shown}"
            )
            return self._note_off_scale(full, labels, missing, notes, where)
        full, converged, iterations = lambda_max_completion(a)
        notes.append(
            f"{len(missing)} missing judgment(s) completed by the lambda_max-optimal "
            f"completion: {shown}"
        )
        if not converged:
            note(
                f"{where}: the lambda_max-optimal completion did not converge in "
                f"{iterations} iterations",
                ConvergenceWarning,
            )
        return self._note_off_scale(full, labels, missing, notes, where)

    def _note_off_scale(
        self,
        full: FloatArray,
        labels: list[Hashable],
        missing: list[tuple[int, int]],
        notes: list[str],
        where: str,
    ) -> FloatArray:
        off = [
            f"({labels[i]!r}, {labels[j]!r}) = {full[i, j]:.4g}"
            for i, j in missing
            if not (1 / self.scale_max - 1e-12 <= full[i, j] <= self.scale_max + 1e-12)
        ]
        if off:
            notes.append(
                f"{where}: the completed judgment(s) {', '.join(off[:5])}"
                f"{f' and {len(off) - 5} more' if len(off) > 5 else ''} lie off the scale "
                f"[1/{self.scale_max:g}, {self.scale_max:g}]: the optimal completion is not "
                "bounded by the scale; elicit these judgments if they matter"
            )
        return full
