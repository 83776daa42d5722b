"""Simulated Kano feature surveys with known true categories.

Generating model. Respondents belong to segments; each segment has a population share
and a (possibly different) sample share, and respondent weights are the ratio of the
two (post-stratification), so weighted estimates target the population. For segment
``s`` and feature ``f`` with true category ``c``, an attentive respondent's category is
drawn from ``p_sf``: ``clarity`` on ``c``, ``reverse_rate`` on R, ``questionable_rate``
on Q, and the rest spread evenly over the other categories among A, O, M and I (when
``c`` is R, its share is ``clarity`` and the rest is spread over A, O, M, I). The answer
pair is then drawn uniformly from the cells of the Berger et al. (1993) evaluation
table holding that category, so that the table maps it back exactly. A share
``careless_rate`` of respondents are straight-liners who give the same extreme answer
(Like or Dislike) to every question, which the table classifies Questionable.
Self-stated importance (1–9) is drawn around a mean that depends on the respondent's
category for the feature (M 8, O 7.5, A 6, Q 5, I 3.5, R 3).

The true category of a feature (overall or in a segment) is the category with the
largest expected share among attentive respondents, ties by M > O > A > I.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from csimodels.errors import DataValidationError, format_offenders
from csimodels.inference import validate_random_state
from csimodels.kano._definitions import CATEGORIES, KANO_TABLES, TIE_PRIORITY
from csimodels.kano.model import Kano

__all__ = ["DEFAULT_KANO_FEATURES", "SimulatedKanoSurvey", "simulate_kano_survey"]

RandomState = int | np.random.Generator | None

DEFAULT_KANO_FEATURES: dict[str, str | dict[str, str]] = {
    "fingerprint login": "M",
    "instant transfer": "O",
    "spending insights": "A",
    "dark mode": "I",
    "AI assistant": {"North": "A", "South": "I"},
    "fee-free withdrawals": {"North": "O", "South": "M"},
    "push promotions": "R",
    "transaction alerts": "M",
}
"""Features of the default simulated mobile-banking survey and their true categories
(one category, or one per segment)."""

_DEFAULT_SEGMENTS: dict[str, tuple[float, float]] = {"North": (0.4, 0.6), "South": (0.6, 0.4)}

_ANSWER_LABELS = {
    "english": ("Like", "Must-be", "Neutral", "Live-with", "Dislike"),
    "chinese": ("喜欢", "理所当然", "无所谓", "能忍受", "不喜欢"),
}
_IMPORTANCE_MEANS = {"A": 6.0, "O": 7.5, "M": 8.0, "I": 3.5, "R": 3.0, "Q": 5.0}


@dataclass(frozen=True)
class SimulatedKanoSurvey:
    """A simulated Kano survey and the truth that generated it.

    Attributes
    ----------
    frame : DataFrame
        One row per respondent: the segment column, ``weight``, for each feature its
        functional and dysfunctional answers (``K1_f``, ``K1_d``, ...; codes 1–5 or
        labels) and its importance (``K1_imp``, 1–9).
    features : dict of str to (str, str)
        Feature → (functional column, dysfunctional column), ready for ``Kano``.
    importance : dict of str to str
        Feature → importance column (empty without importance).
    segment_column : str
        Name of the segment column.
    true_categories : Series
        The true category of each feature in the population (target of a weighted fit).
    true_shares : DataFrame
        Expected population shares of A, O, M, I, R, Q among attentive respondents.
    segment_true_categories : DataFrame
        True category of each feature (columns) in each segment (rows).
    segment_true_shares : DataFrame
        Expected shares per (segment, feature) among attentive respondents.
    segment_shares : DataFrame
        Population and sample share of each segment (``population``, ``sample``).
    careless : Series of bool
        Which respondents are straight-liners (all answers Questionable).
    settings : dict
        The arguments of the simulation.
    """

    frame: pd.DataFrame
    features: dict[str, tuple[str, str]]
    importance: dict[str, str]
    segment_column: str
    true_categories: pd.Series
    true_shares: pd.DataFrame
    segment_true_categories: pd.DataFrame
    segment_true_shares: pd.DataFrame
    segment_shares: pd.DataFrame
    careless: pd.Series
    settings: dict[str, Any] = field(default_factory=dict)

    def model(self, **settings: Any) -> Kano:
        """A :class:`~csimodels.kano.Kano` model for this survey's columns.

        Examples
        --------
        >>> sim = simulate_kano_survey(n=50, random_state=1)
        >>> sorted(sim.model().features)[:2]
        ['AI assistant', 'dark mode']
        """
        return Kano(features=self.features, importance=self.importance, **settings)

    def true_better_worse(self) -> pd.DataFrame:
        """Better and Worse implied by the true population shares.

        Examples
        --------
        >>> sim = simulate_kano_survey(n=50, random_state=1)
        >>> bool(sim.true_better_worse().loc["instant transfer", "better"] > 0.5)
        True
        """
        s = self.true_shares
        denom = s["A"] + s["O"] + s["M"] + s["I"]
        return pd.DataFrame(
            {"better": (s["A"] + s["O"]) / denom, "worse": -(s["O"] + s["M"]) / denom}
        )


def _category_probabilities(
    category: str, clarity: float, reverse_rate: float, questionable_rate: float
) -> np.ndarray:
    p = np.zeros(6)
    idx = CATEGORIES.index
    if category == "R":
        p[idx("R")] = clarity
        p[idx("Q")] = questionable_rate
        rest = 1.0 - clarity - questionable_rate
        for c in "AOMI":
            p[idx(c)] = rest / 4
        return p
    p[idx(category)] = clarity
    p[idx("R")] = reverse_rate
    p[idx("Q")] = questionable_rate
    others = [c for c in "AOMI" if c != category]
    rest = 1.0 - clarity - reverse_rate - questionable_rate
    for c in others:
        p[idx(c)] = rest / len(others)
    return p


def _true_category(shares: np.ndarray) -> str:
    top = shares.max()
    for c in TIE_PRIORITY:
        if shares[CATEGORIES.index(c)] >= top - 1e-12:
            return c
    raise AssertionError("unreachable")  # pragma: no cover


def simulate_kano_survey(
    n: int = 1000,
    *,
    features: Mapping[str, str | Mapping[str, str]] | None = None,
    segments: Mapping[str, tuple[float, float]] | None = None,
    segment_column: str = "region",
    clarity: float = 0.6,
    reverse_rate: float = 0.02,
    questionable_rate: float = 0.02,
    careless_rate: float = 0.03,
    missing_rate: float = 0.0,
    importance: bool = True,
    answers: Literal["codes", "english", "chinese"] = "codes",
    random_state: RandomState = None,
) -> SimulatedKanoSurvey:
    """Simulate a Kano feature survey whose true categories are known.

    Parameters
    ----------
    n : int
        Respondents.
    features : dict, optional
        Feature → true category (``"A"``, ``"O"``, ``"M"``, ``"I"`` or ``"R"``), or
        feature → {segment: category}. Default :data:`DEFAULT_KANO_FEATURES`.
    segments : dict of str to (population share, sample share), optional
        Default North (0.4, 0.6) and South (0.6, 0.4): North is over-sampled and the
        weights correct it.
    segment_column : str
        Name of the segment column.
    clarity : float
        Probability that an attentive respondent's answer pair falls in the feature's
        true category.
    reverse_rate, questionable_rate : float
        Probabilities of a Reverse and a Questionable answer pair.
    careless_rate : float
        Share of straight-lining respondents (every pair Questionable).
    missing_rate : float
        Probability that any single answer is missing (NaN).
    importance : bool
        Add a 1–9 self-stated importance column per feature.
    answers : {"codes", "english", "chinese"}
        Answers as codes 1–5 (Like ... Dislike), English labels or Chinese labels.
    random_state : int or numpy Generator, optional

    Returns
    -------
    SimulatedKanoSurvey

    Examples
    --------
    >>> sim = simulate_kano_survey(n=2000, random_state=7)
    >>> sim.true_categories["fingerprint login"]
    'M'
    >>> res = sim.model().fit(sim.frame, weight="weight")
    >>> res.classification.loc["fingerprint login", "category"]
    'M'
    """
    rng = np.random.default_rng(validate_random_state(random_state, owner="simulate_kano_survey"))
    spec = dict(DEFAULT_KANO_FEATURES if features is None else features)
    seg = dict(_DEFAULT_SEGMENTS if segments is None else segments)
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise DataValidationError(f"n must be a positive integer, got {n!r}")
    if not spec:
        raise DataValidationError("features is empty; give at least one feature")
    if not seg:
        raise DataValidationError("segments is empty; give at least one segment")
    for name, value in (
        ("clarity", clarity),
        ("reverse_rate", reverse_rate),
        ("questionable_rate", questionable_rate),
        ("careless_rate", careless_rate),
        ("missing_rate", missing_rate),
    ):
        if not 0.0 <= value < 1.0:
            raise DataValidationError(f"{name} must be in [0, 1), got {value!r}")
    if clarity + reverse_rate + questionable_rate > 1.0:
        raise DataValidationError("clarity + reverse_rate + questionable_rate must be <= 1")
    if answers not in ("codes", "english", "chinese"):
        raise DataValidationError(
            f"answers={answers!r}; choose one of 'chinese', 'codes', 'english'"
        )
    seg_names = list(seg)
    pop = np.array([seg[s][0] for s in seg_names], dtype=float)
    smp = np.array([seg[s][1] for s in seg_names], dtype=float)
    if (pop <= 0).any() or (smp <= 0).any():
        raise DataValidationError("segment population and sample shares must be positive")
    pop, smp = pop / pop.sum(), smp / smp.sum()
    truth: dict[str, dict[str, str]] = {}
    for feature, given in spec.items():
        per = dict.fromkeys(seg_names, given) if isinstance(given, str) else dict(given)
        unknown = sorted(s for s in per if s not in seg)
        missing = sorted(s for s in seg_names if s not in per)
        if unknown or missing:
            raise DataValidationError(
                f"feature {feature!r} gives categories for segments "
                f"{format_offenders(sorted(per))}; the segments are "
                f"{format_offenders(seg_names)}"
            )
        bad = sorted({c for c in per.values() if c not in ("A", "O", "M", "I", "R")})
        if bad:
            raise DataValidationError(
                f"feature {feature!r} has true category {format_offenders(bad)}; "
                "choose among 'A', 'O', 'M', 'I', 'R'"
            )
        truth[feature] = per

    # cells of the Berger table per category, padded: shape (6, 9, 2)
    table = np.array([[CATEGORIES.index(c) for c in row] for row in KANO_TABLES["berger1993"]])
    cells = np.zeros((6, 9, 2), dtype=np.int64)
    n_cells = np.zeros(6, dtype=np.int64)
    for fa in range(5):
        for da in range(5):
            c = table[fa, da]
            cells[c, n_cells[c]] = (fa, da)
            n_cells[c] += 1

    segment_of = rng.choice(len(seg_names), size=n, p=smp)
    weights = (pop / smp)[segment_of]
    careless = rng.random(n) < careless_rate
    straight = np.where(rng.random(n) < 0.5, 0, 4)  # Like or Dislike
    columns: dict[str, Any] = {
        segment_column: np.array(seg_names, dtype=object)[segment_of],
        "weight": weights,
    }
    feature_cols: dict[str, tuple[str, str]] = {}
    importance_cols: dict[str, str] = {}
    seg_shares: dict[tuple[str, str], np.ndarray] = {}
    pop_shares: dict[str, np.ndarray] = {}
    labels = _ANSWER_LABELS.get(answers)
    for j, (feature, per) in enumerate(truth.items(), start=1):
        probs = np.array(
            [
                _category_probabilities(per[s], clarity, reverse_rate, questionable_rate)
                for s in seg_names
            ]
        )
        for s, p in zip(seg_names, probs, strict=True):
            seg_shares[(s, feature)] = p
        pop_shares[feature] = pop @ probs
        cum = np.cumsum(probs, axis=1)[segment_of]
        cat = (rng.random(n)[:, None] > cum[:, :-1]).sum(axis=1)
        pick = np.floor(rng.random(n) * n_cells[cat]).astype(np.int64)
        pair = cells[cat, pick]
        f_ans = np.where(careless, straight, pair[:, 0])
        d_ans = np.where(careless, straight, pair[:, 1])
        cat = np.where(careless, CATEGORIES.index("Q"), cat)
        fcol, dcol = f"K{j}_f", f"K{j}_d"
        for col, ans in ((fcol, f_ans), (dcol, d_ans)):
            miss = rng.random(n) < missing_rate
            if labels is None:
                values: Any = (ans + 1).astype(np.float64 if missing_rate > 0 else np.int64)
                if missing_rate > 0:
                    values[miss] = np.nan
            else:
                values = np.array(labels, dtype=object)[ans]
                values[miss] = None
            columns[col] = values
        feature_cols[feature] = (fcol, dcol)
        if importance:
            means = np.array([_IMPORTANCE_MEANS[c] for c in CATEGORIES])[cat]
            means = np.where(careless, rng.uniform(1, 9, n), means)
            imp = np.clip(np.rint(means + rng.normal(0.0, 1.2, n)), 1, 9)
            icol = f"K{j}_imp"
            columns[icol] = imp.astype(np.int64)
            importance_cols[feature] = icol
    frame = pd.DataFrame(columns)
    true_shares = pd.DataFrame(pop_shares, index=pd.Index(CATEGORIES)).T
    true_shares.index.name = "feature"
    seg_frame = pd.DataFrame(seg_shares, index=pd.Index(CATEGORIES)).T
    seg_frame.index.names = [segment_column, "feature"]
    seg_true = pd.DataFrame(
        {f: [_true_category(seg_shares[(s, f)]) for s in seg_names] for f in truth},
        index=pd.Index(seg_names, name=segment_column),
    )
    true_categories = pd.Series(
        {f: _true_category(pop_shares[f]) for f in truth}, name="true_category"
    )
    true_categories.index.name = "feature"
    return SimulatedKanoSurvey(
        frame=frame,
        features=feature_cols,
        importance=importance_cols,
        segment_column=segment_column,
        true_categories=true_categories,
        true_shares=true_shares,
        segment_true_categories=seg_true,
        segment_true_shares=seg_frame,
        segment_shares=pd.DataFrame(
            {"population": pop, "sample": smp}, index=pd.Index(seg_names, name=segment_column)
        ),
        careless=pd.Series(careless, name="careless"),
        settings={
            "n": n,
            "clarity": clarity,
            "reverse_rate": reverse_rate,
            "questionable_rate": questionable_rate,
            "careless_rate": careless_rate,
            "missing_rate": missing_rate,
            "answers": answers,
            "random_state": random_state if isinstance(random_state, int) else None,
        },
    )
