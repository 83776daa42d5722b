"""Grade sets (评语集): ordered grade labels in any language, with optional scores."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from csimodels.errors import DataValidationError, format_offenders

__all__ = ["GradeSet"]


class GradeSet(BaseModel):
    """An ordered set of evaluation grades (评语集), optionally scored.

    The order is the grades' rank order: the first grade has rank 1. It is used
    by the rank-weighted verdict and to read survey answers coded 1, 2, ..., m.

    Attributes
    ----------
    labels : tuple of str
        Grade labels in rank order, in any language (e.g. ``优秀, 良好, 一般, 不合格``).
    scores : tuple of float or None
        One score per grade (e.g. ``95, 80, 60, 35``) for the score verdict
        ``S = Σ b̄ⱼ cⱼ``; None if the grades are not scored. Scores must be strictly
        monotone along the grade order (scores that run against it are refused).

    Examples
    --------
    >>> g = GradeSet(["优秀", "良好", "一般", "不合格"], scores=[95, 80, 60, 35])
    >>> g.n, g.score_of("良好")
    (4, 80.0)
    >>> GradeSet.from_scores({"good": 1.0, "poor": 0.0}).labels
    ('good', 'poor')
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    labels: tuple[str, ...]
    scores: tuple[float, ...] | None = None

    def __init__(
        self,
        labels: Sequence[str] | None = None,
        scores: Sequence[float] | None = None,
        **kwargs: Any,
    ) -> None:
        if kwargs:
            unknown = sorted(kwargs)
            raise DataValidationError(
                f"GradeSet got unknown argument {format_offenders(unknown)}; "
                "it takes labels and scores"
            )
        labels_t, scores_t = _check_grades(labels, scores)
        super().__init__(labels=labels_t, scores=scores_t)

    @classmethod
    def from_scores(cls, scores: Mapping[str, float]) -> GradeSet:
        """Grades from an ordered mapping of label to score.

        Examples
        --------
        >>> GradeSet.from_scores({"优秀": 95, "良好": 80}).scores
        (95.0, 80.0)
        """
        if not isinstance(scores, Mapping):
            raise DataValidationError(
                f"from_scores takes a mapping of grade label to score, got {type(scores).__name__}"
            )
        return cls(list(scores), list(scores.values()))

    @classmethod
    def coerce(cls, grades: GradeSet | Mapping[str, float] | Sequence[str]) -> GradeSet:
        """A GradeSet from a GradeSet, a label-to-score mapping or a list of labels.

        Examples
        --------
        >>> GradeSet.coerce(["high", "low"]).scores is None
        True
        """
        if isinstance(grades, GradeSet):
            return grades
        if isinstance(grades, Mapping):
            return cls.from_scores(grades)
        return cls(grades)

    @property
    def n(self) -> int:
        """Number of grades."""
        return len(self.labels)

    def with_scores(self, scores: Sequence[float]) -> GradeSet:
        """The same grades with a (new) score vector.

        Examples
        --------
        >>> GradeSet(["A", "B"]).with_scores([1, 0]).scores
        (1.0, 0.0)
        """
        return GradeSet(self.labels, scores)

    def score_of(self, label: str) -> float:
        """The score of one grade (NaN if the grades are not scored)."""
        pos = self.position(label)
        return math.nan if self.scores is None else self.scores[pos]

    def position(self, label: str) -> int:
        """0-based position of a grade label; unknown labels raise, listing the grades."""
        try:
            return self.labels.index(label)
        except ValueError:
            raise DataValidationError(
                f"{label!r} is not a grade; the grades are {format_offenders(self.labels)}"
            ) from None


def _check_grades(
    labels: Sequence[str] | None, scores: Sequence[float] | None
) -> tuple[tuple[str, ...], tuple[float, ...] | None]:
    if labels is None or isinstance(labels, (str, bytes)) or not isinstance(labels, Sequence):
        raise DataValidationError(
            "grade labels must be a list of strings such as ['优秀', '良好', '一般'], "
            f"got {labels!r}"
        )
    labels_t = tuple(labels)
    bad = [lab for lab in labels_t if not isinstance(lab, str) or not lab.strip()]
    if bad:
        raise DataValidationError(
            f"grade labels must be non-empty strings; got {format_offenders(bad)}"
        )
    if len(labels_t) < 2:
        raise DataValidationError(
            f"a grade set needs at least 2 grades, got {len(labels_t)} "
            f"({format_offenders(labels_t)})"
        )
    dupes = sorted({lab for lab in labels_t if labels_t.count(lab) > 1})
    if dupes:
        raise DataValidationError(
            f"grade labels must be unique; {format_offenders(dupes)} appears more than once"
        )
    if scores is None:
        return labels_t, None
    if isinstance(scores, (str, bytes)) or not isinstance(scores, Sequence):
        raise DataValidationError(
            f"grade scores must be a list of numbers, one per grade; got {scores!r}"
        )
    if len(scores) != len(labels_t):
        raise DataValidationError(
            f"grade-score vector has {len(scores)} values for {len(labels_t)} grades "
            f"({format_offenders(labels_t)}); give one score per grade"
        )
    out: list[float] = []
    for lab, s in zip(labels_t, scores, strict=True):
        try:
            value = float(s)
        except (TypeError, ValueError):
            raise DataValidationError(
                f"score of grade {lab!r} must be a number, got {s!r}"
            ) from None
        if not math.isfinite(value):
            raise DataValidationError(f"score of grade {lab!r} must be finite, got {s!r}")
        out.append(value)
    steps = [b - a for a, b in itertools.pairwise(out)]
    if not (all(d < 0 for d in steps) or all(d > 0 for d in steps)):
        k = next((i for i, d in enumerate(steps) if d == 0 or (d > 0) != (steps[0] > 0)), 0)
        raise DataValidationError(
            "grade scores must run with the grade order (strictly decreasing from the first "
            "grade, e.g. 95, 80, 60, 35, or strictly increasing); got "
            + ", ".join(f"{lab!r}: {v:g}" for lab, v in zip(labels_t, out, strict=True))
            + f" (the order breaks at {labels_t[k]!r} -> {labels_t[k + 1]!r}); list the "
            "grades in rank order with their scores"
        )
    return labels_t, tuple(out)
