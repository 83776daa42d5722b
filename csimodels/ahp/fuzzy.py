"""Fuzzy AHP with triangular fuzzy numbers: Buckley (1985) and Chang (1996).

A judgment is a triangular fuzzy number ``(l, m, u)`` with ``0 < l ≤ m ≤ u``; its
reciprocal is ``(1/u, 1/m, 1/l)``. Crisp judgments can be fuzzified with ``spread``:
``k → (max(1, k − spread), k, min(scale_max, k + spread))`` for ``k ≥ 1`` and ``1 → (1, 1, 1)``.

* Buckley's geometric mean (default): ``r_i = (Π_j l_ij, Π_j m_ij, Π_j u_ij)^(1/n)``,
  fuzzy weight ``(r_i^l / Σ r^u, r_i^m / Σ r^m, r_i^u / Σ r^l)``, defuzzified by the
  centroid ``(l + m + u) / 3`` and normalised.
* Chang's extent analysis: ``S_i = Σ_j M_ij ⊗ (Σ_i Σ_j M_ij)⁻¹``; the degree of
  possibility ``V(S_i ≥ S_k)`` is 1 if ``m_i ≥ m_k``, 0 if ``l_k ≥ u_i``, else
  ``(l_k − u_i) / ((m_i − u_i) − (m_k − l_k))``; ``d_i = min_k V(S_i ≥ S_k)``,
  normalised. It can give criteria a weight of exactly 0 whatever their judgments
  (Wang, Luo & Hua 2008), which is warned about.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import ConfigDict, Field

from csimodels._settings import Settings
from csimodels.ahp._model import AHP, AHPResult
from csimodels.errors import (
    ConsistencyWarning,
    DataValidationError,
    format_offenders,
)
from csimodels.results import Frame, Result, SeriesTable, warn_and_note

__all__ = ["FuzzyAHP", "FuzzyAHPResult"]

FloatArray = NDArray[np.float64]


class FuzzyAHPResult(Result):
    """Fuzzy and crisp priorities from triangular fuzzy judgments.

    Attributes
    ----------
    weights : Series
        Crisp priorities (sum to 1).
    fuzzy_weights : DataFrame
        ``lower``, ``middle``, ``upper`` of each element's fuzzy weight (Buckley) or
        of its fuzzy synthetic extent ``S_i`` (Chang).
    middle : AHPResult
        Crisp AHP on the middle values ``m_ij``: its ``cr`` is the consistency check.

    Examples
    --------
    >>> import csimodels as csi
    >>> res = csi.ahp.FuzzyAHP().fit({("a", "b"): (2, 3, 4)})
    >>> res.weights.round(4).to_dict()
    {'a': 0.7424, 'b': 0.2576}
    """

    weights: SeriesTable
    fuzzy_weights: Frame
    middle: AHPResult

    _title: ClassVar[str] = "Fuzzy AHP"

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        header: list[tuple[str, object]] = [
            ("Method", self.settings.get("method")),
            ("CR of middle values", f"{self.middle.cr:.4f}"),
        ]
        table = self.fuzzy_weights.assign(weight=self.weights)
        return header, {"Priorities": table}


class FuzzyAHP(Settings):
    """Fuzzy AHP on triangular fuzzy judgments.

    Attributes
    ----------
    method : {"buckley", "chang"}
        Buckley's geometric mean (default) or Chang's extent analysis.
    spread : float
        Fuzzification of crisp judgments (see the module description).
    ahp : AHP
        Settings of the crisp check on the middle values (RI table, threshold).

    References
    ----------
    1. Buckley, J.J. (1985). Fuzzy hierarchical analysis. *Fuzzy Sets and Systems* 17, 233–247.
    2. Chang, D.-Y. (1996). Applications of the extent analysis method on fuzzy AHP.
       *EJOR* 95, 649–655.
    3. Wang, Y.-M., Luo, Y. & Hua, Z. (2008). On the extent analysis method for fuzzy
       AHP and its applications. *EJOR* 186, 735–747.

    Examples
    --------
    >>> import warnings, csimodels as csi
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     res = csi.ahp.FuzzyAHP(method="chang").fit({("a", "b"): (2, 3, 4)})
    >>> res.weights.to_dict()        # Chang's method gives b a weight of exactly 0
    {'a': 1.0, 'b': 0.0}
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: Literal["buckley", "chang"] = "buckley"
    spread: float = Field(default=1.0, ge=0.0)
    ahp: AHP = Field(default_factory=AHP)

    def fit(
        self,
        judgments: Mapping[tuple[Hashable, Hashable], Any] | FloatArray,
        *,
        labels: Sequence[Hashable] | None = None,
    ) -> FuzzyAHPResult:
        """Fuzzy and crisp priorities.

        Parameters
        ----------
        judgments : mapping of pairs, or array (n, n, 3)
            A pair maps to a ``(l, m, u)`` triple or to a crisp number (fuzzified with
            ``spread``); one value per pair (its reciprocal is implied).
        labels : sequence, optional
            Element names (array input) or their order (mapping input).

        Raises
        ------
        DataValidationError
            Non-positive values, ``l ≤ m ≤ u`` violated, non-reciprocal pairs, a
            non-unit diagonal, or missing pairs (naming the pair).
        """
        where = f"FuzzyAHP ({self.method})"
        tfn, names = self._matrix(judgments, labels, where)
        notes: list[str] = []
        middle = self.ahp._fit_checked(
            self.ahp._check(tfn[:, :, 1], names, where), f"{where}, middle values"
        )
        notes.extend(f"middle values: {n}" for n in middle.notes)
        if self.method == "buckley":
            fw, crisp = _buckley(tfn)
        else:
            fw, crisp = _chang(tfn)
            zero = [str(names[k]) for k in np.nonzero(crisp <= 0)[0]]
            if zero:
                warn_and_note(
                    notes,
                    f"{where}: extent analysis gives {format_offenders(zero)} a weight of 0 "
                    "because the degree of possibility is 0, whatever their judgments "
                    "(Wang, Luo & Hua 2008); consider method='buckley'",
                    ConsistencyWarning,
                )
        index = pd.Index(list(names), name="element")
        fuzzy = pd.DataFrame(fw, index=index, columns=["lower", "middle", "upper"])
        return FuzzyAHPResult(
            weights=pd.Series(crisp, index=index, name="weight"),
            fuzzy_weights=fuzzy,
            middle=middle,
            settings={
                "method": self.method,
                "spread": self.spread,
                "ahp": self.ahp.settings_dict(),
            },
            notes=tuple(notes),
        )

    def _fuzzify(self, x: float) -> tuple[float, float, float]:
        if np.isclose(x, 1.0):
            return (1.0, 1.0, 1.0)
        cap = self.ahp.scale_max
        if x > 1:
            return (max(1.0, x - self.spread), x, min(cap, x + self.spread))
        lo, mid, hi = self._fuzzify(1.0 / x)
        return (1.0 / hi, 1.0 / mid, 1.0 / lo)

    def _matrix(
        self, judgments: Any, labels: Sequence[Hashable] | None, where: str
    ) -> tuple[FloatArray, tuple[Hashable, ...]]:
        if isinstance(judgments, Mapping):
            order: list[Hashable] = list(labels) if labels is not None else []
            for key in judgments:
                if not (isinstance(key, tuple) and len(key) == 2):
                    raise DataValidationError(
                        f"{where}: keys must be (first, second) pairs, got {key!r}"
                    )
                for x in key:
                    if x not in order:
                        if labels is not None:
                            raise DataValidationError(
                                f"{where}: {x!r} is not among labels {list(labels)!r}"
                            )
                        order.append(x)
            n = len(order)
            pos = {x: k for k, x in enumerate(order)}
            t = np.full((n, n, 3), np.nan)
            t[np.arange(n), np.arange(n)] = 1.0
            for (a, b), value in judgments.items():
                tri = self._triple(value, (a, b), where)
                i, j = pos[a], pos[b]
                if i == j:
                    continue
                t[i, j] = tri
            names = tuple(order)
        else:
            try:
                t = np.array(judgments, dtype=np.float64)
            except (TypeError, ValueError) as err:
                raise DataValidationError(
                    f"{where}: judgments must be a mapping of pairs or an (n, n, 3) array of "
                    f"numbers; got {type(judgments).__name__} ({err})"
                ) from None
            if t.ndim != 3 or t.shape[0] != t.shape[1] or t.shape[2] != 3:
                raise DataValidationError(
                    f"{where}: a fuzzy judgment array must have shape (n, n, 3); got {t.shape}"
                )
            n = t.shape[0]
            names = tuple(labels) if labels is not None else tuple(f"C{k + 1}" for k in range(n))
            if len(names) != n:
                raise DataValidationError(f"{where}: {len(names)} labels for {n} elements")
            for i in range(n):
                for j in range(n):
                    if not np.isnan(t[i, j]).all():
                        self._triple(tuple(t[i, j]), (names[i], names[j]), where)
        n = len(names)
        diag_bad = [str(names[k]) for k in range(n) if not np.allclose(t[k, k], 1.0)]
        if diag_bad:
            raise DataValidationError(
                f"{where}: an element compared with itself must be (1, 1, 1); see "
                f"{format_offenders(diag_bad)}"
            )
        for i in range(n):
            for j in range(i + 1, n):
                have_ij, have_ji = not np.isnan(t[i, j]).any(), not np.isnan(t[j, i]).any()
                if have_ij and not have_ji:
                    t[j, i] = 1.0 / t[i, j][::-1]
                elif have_ji and not have_ij:
                    t[i, j] = 1.0 / t[j, i][::-1]
                elif not have_ij:
                    raise DataValidationError(
                        f"{where}: judgment ({names[i]!r}, {names[j]!r}) is missing; fuzzy AHP "
                        "needs every pair"
                    )
                else:
                    recip = 1.0 / t[j, i][::-1]
                    tol = self.ahp.reciprocal_tolerance
                    if np.any(np.abs(t[i, j] * (1.0 / recip) - 1.0) > tol):
                        raise DataValidationError(
                            f"{where}: ({names[i]!r}, {names[j]!r}) = {tuple(t[i, j])} is not the "
                            f"reciprocal (1/u, 1/m, 1/l) of ({names[j]!r}, {names[i]!r}) = "
                            f"{tuple(t[j, i])}"
                        )
        return t, names

    def _triple(self, value: Any, pair: tuple[Hashable, Hashable], where: str) -> FloatArray:
        if isinstance(value, (int, float, np.number)):
            x = float(value)
            if not x > 0:
                raise DataValidationError(
                    f"{where}: judgment {pair!r} = {value!r} must be positive"
                )
            return np.array(self._fuzzify(x))
        try:
            tri = np.array(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise DataValidationError(
                f"{where}: judgment {pair!r} = {value!r} is neither a number nor an "
                "(l, m, u) triple"
            ) from None
        if tri.shape != (3,):
            raise DataValidationError(
                f"{where}: judgment {pair!r} = {value!r} must be an (l, m, u) triple"
            )
        if not (tri > 0).all() or not (tri[0] <= tri[1] <= tri[2]):
            raise DataValidationError(
                f"{where}: judgment {pair!r} = {tuple(tri.tolist())} must satisfy 0 < l ≤ m ≤ u"
            )
        return tri


def _buckley(t: FloatArray) -> tuple[FloatArray, FloatArray]:
    r = np.exp(np.log(t).mean(axis=1))  # (n, 3): geometric means of l, m, u per row
    total = r.sum(axis=0)
    fw = np.column_stack([r[:, 0] / total[2], r[:, 1] / total[1], r[:, 2] / total[0]])
    centroid = fw.mean(axis=1)
    return fw, centroid / centroid.sum()


def _possibility(si: FloatArray, sk: FloatArray) -> float:
    """Degree of possibility V(S_i ≥ S_k) of two triangular fuzzy numbers."""
    if si[1] >= sk[1]:
        return 1.0
    if sk[0] >= si[2]:
        return 0.0
    return float((sk[0] - si[2]) / ((si[1] - si[2]) - (sk[1] - sk[0])))


def _chang(t: FloatArray) -> tuple[FloatArray, FloatArray]:
    rows = t.sum(axis=1)  # (n, 3)
    total = rows.sum(axis=0)
    s = np.column_stack([rows[:, 0] / total[2], rows[:, 1] / total[1], rows[:, 2] / total[0]])
    n = t.shape[0]
    d = np.array([min(_possibility(s[i], s[k]) for k in range(n) if k != i) for i in range(n)])
    if d.sum() <= 0:
        raise DataValidationError("FuzzyAHP (chang): every degree of possibility is 0")
    return s, d / d.sum()
