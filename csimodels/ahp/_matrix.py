"""Turning judgments (matrix, labelled frame, mapping of pairs) into a checked matrix.

Orientation, everywhere in :mod:`csimodels.ahp`: ``a[i, j]`` says how many times more
important (preferred, likely...) row element ``i`` is than column element ``j``; the
pair ``("price", "quality"): 3`` therefore means "price is 3 times as important as
quality" and sets ``a[price, quality] = 3`` and ``a[quality, price] = 1/3``.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from csimodels.errors import DataValidationError, format_offenders

FloatArray = NDArray[np.float64]

__all__ = ["CheckedMatrix", "Judgments", "check_judgments", "connected_components"]

Judgments = pd.DataFrame | NDArray[Any] | Sequence[Sequence[float]] | Mapping[tuple[Any, Any], Any]
"""What :meth:`AHP.fit` accepts: an ``(n, n)`` array or nested list (with ``labels``), a
DataFrame whose index and columns are the same labels, or a mapping of pairs."""


@dataclass(frozen=True)
class CheckedMatrix:
    """A validated judgment matrix.

    Attributes
    ----------
    values : ndarray (n, n)
        Positive, unit diagonal, exactly reciprocal; NaN marks a missing pair.
    labels : tuple
        Element labels, in matrix order.
    max_reciprocal_deviation : float
        Largest ``|a_ij · a_ji − 1|`` found in the input (0 if exactly reciprocal);
        pairs within the tolerance were reconciled to ``sqrt(a_ij / a_ji)``.
    off_scale : list of str
        Cells outside the scale (allowed only with ``allow_off_scale=True``).
    """

    values: FloatArray
    labels: tuple[Hashable, ...]
    max_reciprocal_deviation: float
    off_scale: tuple[str, ...]

    @property
    def missing_pairs(self) -> list[tuple[int, int]]:
        """Upper-triangle positions of missing judgments."""
        i, j = np.triu_indices(len(self.labels), k=1)
        mask = np.isnan(self.values[i, j])
        return list(zip(i[mask].tolist(), j[mask].tolist(), strict=True))


def _cell(labels: Sequence[Hashable], i: int, j: int) -> str:
    return f"({labels[i]!r}, {labels[j]!r})"


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def _from_mapping(
    judgments: Mapping[Any, Any], labels: Sequence[Hashable] | None, where: str
) -> tuple[FloatArray, tuple[Hashable, ...]]:
    order: list[Hashable] = list(labels) if labels is not None else []
    bad_keys = [k for k in judgments if not (isinstance(k, tuple) and len(k) == 2)]
    if bad_keys:
        raise DataValidationError(
            f"{where}: a mapping of judgments needs (first, second) pairs as keys; got "
            f"{format_offenders([repr(k) for k in bad_keys])}; "
            "write e.g. {('price', 'quality'): 3}"
        )
    seen: list[Hashable] = []
    for a, b in judgments:
        for x in (a, b):
            if x not in seen:
                seen.append(x)
    if labels is None:
        order = seen
    else:
        unknown = [x for x in seen if x not in order]
        if unknown:
            raise DataValidationError(
                f"{where}: judgments name {format_offenders(sorted(map(str, unknown)))}, "
                f"which {'is' if len(unknown) == 1 else 'are'} not among labels "
                f"{format_offenders([str(x) for x in order], limit=10)}; "
                "fix the labels or the pairs"
            )
    n = len(order)
    index = {x: k for k, x in enumerate(order)}
    a = np.full((n, n), np.nan)
    np.fill_diagonal(a, 1.0)
    given: dict[tuple[int, int], float] = {}
    for (x, y), value in judgments.items():
        try:
            v = float(value)
        except (TypeError, ValueError):
            raise DataValidationError(
                f"{where}: judgment {(x, y)!r} = {value!r} is not a number"
            ) from None
        i, j = index[x], index[y]
        if i == j:
            if not np.isclose(v, 1.0):
                raise DataValidationError(
                    f"{where}: judgment {(x, y)!r} = {_fmt(v)} compares an element with "
                    "itself; it must be 1 (or be left out)"
                )
            continue
        given[(i, j)] = v
        a[i, j] = v
    return a, tuple(order)


def _from_frame(
    frame: pd.DataFrame, labels: Sequence[Hashable] | None, where: str
) -> tuple[FloatArray, tuple[Hashable, ...]]:
    rows, cols = list(frame.index), list(frame.columns)
    for name, seq in (("index", rows), ("columns", cols)):
        dup = sorted({str(x) for x in seq if seq.count(x) > 1})
        if dup:
            raise DataValidationError(
                f"{where}: duplicated labels in the {name}: {format_offenders(dup)}"
            )
    if set(rows) != set(cols):
        only_rows = sorted(str(x) for x in set(rows) - set(cols))
        only_cols = sorted(str(x) for x in set(cols) - set(rows))
        raise DataValidationError(
            f"{where}: the judgment frame's index and columns must hold the same labels; "
            f"only in the index: {format_offenders(only_rows) or 'none'}; only in the columns: "
            f"{format_offenders(only_cols) or 'none'}"
        )
    order = rows
    if labels is not None:
        if set(labels) != set(rows) or len(labels) != len(rows):
            raise DataValidationError(
                f"{where}: labels {format_offenders([str(x) for x in labels], limit=10)} do not "
                f"match the frame's labels {format_offenders([str(x) for x in rows], limit=10)}"
            )
        order = list(labels)
    sub = frame.loc[order, order]
    non_numeric = [str(c) for c in sub.columns if not pd.api.types.is_numeric_dtype(sub[c])]
    if non_numeric:
        raise DataValidationError(
            f"{where}: column(s) {format_offenders(sorted(non_numeric))} of the judgment frame "
            "are not numeric; use numbers (1/3 as 0.3333...) and NaN for a missing judgment"
        )
    return sub.to_numpy(dtype=np.float64, na_value=np.nan, copy=True), tuple(order)


def _from_array(
    judgments: Any, labels: Sequence[Hashable] | None, where: str
) -> tuple[FloatArray, tuple[Hashable, ...]]:
    try:
        a = np.array(judgments, dtype=np.float64)
    except (TypeError, ValueError):
        raise DataValidationError(
            f"{where}: the judgment matrix is not numeric; "
            "use numbers and NaN for a missing judgment"
        ) from None
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise DataValidationError(
            f"{where}: the judgment matrix must be square (n × n); got shape {a.shape}"
        )
    n = a.shape[0]
    if labels is None:
        order: tuple[Hashable, ...] = tuple(f"C{k + 1}" for k in range(n))
    else:
        order = tuple(labels)
        if len(order) != n:
            raise DataValidationError(
                f"{where}: {len(order)} labels given for a {n} × {n} matrix; give one label per row"
            )
    return a, order


def check_judgments(
    judgments: Judgments,
    labels: Sequence[Hashable] | None = None,
    *,
    reciprocal_tolerance: float = 0.05,
    scale_max: float = 9.0,
    allow_off_scale: bool = False,
    where: str = "AHP",
) -> CheckedMatrix:
    """Validate judgments and return the reciprocal matrix (NaN where a pair is missing).

    Checks, each failing with a :class:`~csimodels.errors.DataValidationError` naming
    the cells: square shape and matching labels; numbers only; no infinities; strictly
    positive values; a unit diagonal; reciprocity ``a_ji = 1 / a_ij`` within
    ``reciprocal_tolerance`` (relative: ``|a_ij · a_ji − 1|``); values on
    ``[1/scale_max, scale_max]`` (unless ``allow_off_scale``). When only one of
    ``a_ij``/``a_ji`` is given (upper-triangle input), the other is its reciprocal.

    Examples
    --------
    >>> m = check_judgments({("price", "quality"): 3})
    >>> m.labels, m.values.round(4).tolist()
    (('price', 'quality'), [[1.0, 3.0], [0.3333, 1.0]])
    """
    if labels is not None:
        if isinstance(labels, (str, bytes)) or not hasattr(labels, "__iter__"):
            raise DataValidationError(
                f"{where}: labels must be a list of element names, got {labels!r}"
            )
        labels = list(labels)
        bad = [
            x
            for x in labels
            if not isinstance(x, (str, int, np.integer)) or isinstance(x, (bool, np.bool_))
        ]
        if bad:
            raise DataValidationError(
                f"{where}: labels must be names (strings or integers), got "
                f"{format_offenders([repr(b) for b in bad])}"
            )
        dup = sorted({str(x) for x in labels if labels.count(x) > 1})
        if dup:
            raise DataValidationError(f"{where}: duplicated labels {format_offenders(dup)}")
    if isinstance(judgments, pd.DataFrame):
        a, order = _from_frame(judgments, labels, where)
    elif isinstance(judgments, Mapping):
        a, order = _from_mapping(judgments, labels, where)
    else:
        a, order = _from_array(judgments, labels, where)
    n = a.shape[0]
    if n == 0:
        raise DataValidationError(
            f"{where}: the judgment matrix is empty; compare at least one pair"
        )

    finite_or_nan = np.isfinite(a) | np.isnan(a)
    if not finite_or_nan.all():
        raise DataValidationError(
            f"{where}: infinite judgments at {_plain_cells(order, a, ~finite_or_nan)}"
        )
    nonpositive = ~np.isnan(a) & (a <= 0)
    if nonpositive.any():
        raise DataValidationError(
            f"{where}: judgments must be positive ratios; found "
            f"{_plain_cells(order, a, nonpositive)}; "
            "for 'j is 3 times as important as i' write 1/3 in cell (i, j)"
        )
    with np.errstate(divide="ignore"):
        extreme = ~np.isnan(a) & (np.abs(np.log10(np.where(np.isnan(a), 1.0, a))) > 100)
    if extreme.any():
        raise DataValidationError(
            f"{where}: judgments beyond 1e100 (or below 1e-100) cannot be computed with: "
            f"{_plain_cells(order, a, extreme)}; a judgment is a ratio of importance on a "
            "scale such as 1 to 9"
        )
    diag = np.diag(a)
    bad_diag = np.isnan(diag) | (np.abs(diag - 1.0) > reciprocal_tolerance)
    if bad_diag.any():
        mask = np.zeros_like(a, dtype=bool)
        mask[np.arange(n), np.arange(n)] = bad_diag
        raise DataValidationError(
            f"{where}: the diagonal must be 1 (an element compared with itself); found "
            f"{_plain_cells(order, a, mask)}"
        )
    a = a.copy()
    np.fill_diagonal(a, 1.0)
    # upper-triangle (or lower-triangle) input: the missing half is the reciprocal
    only_ij = ~np.isnan(a) & np.isnan(a.T)
    a[only_ij.T] = 1.0 / a.T[only_ij.T]
    both = ~np.isnan(a) & ~np.isnan(a.T)
    dev = np.where(both, np.abs(a * a.T - 1.0), 0.0)
    bad_recip = np.triu(dev > reciprocal_tolerance, k=1)
    if bad_recip.any():
        i, j = np.nonzero(bad_recip)
        items = [
            f"{_cell(order, r, c)} = {_fmt(a[r, c])} but {_cell(order, c, r)} = {_fmt(a[c, r])}"
            for r, c in zip(i.tolist(), j.tolist(), strict=True)
        ]
        raise DataValidationError(
            f"{where}: the matrix is not reciprocal (a_ji must be 1 / a_ij, relative tolerance "
            f"{reciprocal_tolerance:g}): {'; '.join(items[:5])}"
            + (f" and {len(items) - 5} more" if len(items) > 5 else "")
            + "; fix the judgments or pass them as one value per pair"
        )
    max_dev = float(dev.max()) if n > 1 else 0.0
    if max_dev > 0:
        upper = np.sqrt(a / a.T)
        a = np.where(both, upper, a)
    tol = 1.0 + max(reciprocal_tolerance, 1e-9)
    off = ~np.isnan(a) & ((a > scale_max * tol) | (a < 1.0 / (scale_max * tol)))
    off_upper = off & (a > 1)
    off_scale: tuple[str, ...] = ()
    if off_upper.any():
        if not allow_off_scale:
            raise DataValidationError(
                f"{where}: judgments off the scale [1/{scale_max:g}, {scale_max:g}]: "
                f"{_plain_cells(order, a, off_upper)}; rescale them, or pass "
                "allow_off_scale=True (and scale_max=...) to accept another scale"
            )
        i, j = np.nonzero(off_upper)
        off_scale = tuple(
            f"{_cell(order, r, c)} = {_fmt(a[r, c])}"
            for r, c in zip(i.tolist(), j.tolist(), strict=True)
        )
    return CheckedMatrix(
        values=a, labels=order, max_reciprocal_deviation=max_dev, off_scale=off_scale
    )


def _plain_cells(order: Sequence[Hashable], a: FloatArray, mask: NDArray[np.bool_]) -> str:
    i, j = np.nonzero(mask)
    items = [
        f"{_cell(order, r, c)} = {_fmt(a[r, c])}"
        for r, c in zip(i.tolist(), j.tolist(), strict=True)
    ]
    shown = ", ".join(items[:5])
    return shown + (f" and {len(items) - 5} more" if len(items) > 5 else "")


def connected_components(known: NDArray[np.bool_]) -> list[list[int]]:
    """Connected components of the comparison graph (``known[i, j]``: pair compared)."""
    n = known.shape[0]
    seen = [False] * n
    comps: list[list[int]] = []
    for s in range(n):
        if seen[s]:
            continue
        stack, comp = [s], []
        seen[s] = True
        while stack:
            k = stack.pop()
            comp.append(k)
            for t in np.nonzero(known[k])[0].tolist():
                if not seen[t]:
                    seen[t] = True
                    stack.append(t)
        comps.append(sorted(comp))
    return comps
