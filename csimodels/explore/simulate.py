"""Simulated surveys with a known structure, for examples and tests of csimodels.explore."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from csimodels.data.survey import SurveyData
from csimodels.inference import resolve_random_state

__all__ = ["FactorSimulation", "SegmentSimulation", "simulate_factor_data", "simulate_segments"]

_LABELS = {
    "A": "服务态度",
    "B": "产品质量",
    "C": "价格感知",
    "D": "品牌形象",
    "E": "售后服务",
    "F": "网点环境",
}


@dataclass(frozen=True)
class FactorSimulation:
    """A simulated battery and the truth behind it.

    Attributes
    ----------
    data : SurveyData
        The answers (items ``A1``…, ``B1``…; Chinese labels such as "服务态度1").
    loadings : DataFrame
        The true standardised loadings (items x factors).
    phi : DataFrame
        The true factor correlations.
    """

    data: SurveyData
    loadings: pd.DataFrame
    phi: pd.DataFrame


def simulate_factor_data(
    n: int = 500,
    *,
    n_factors: int = 3,
    items_per_factor: int = 4,
    loading: float | Sequence[float] = 0.7,
    factor_correlation: float = 0.3,
    random_state: int | np.random.Generator | None = None,
) -> FactorSimulation:
    """Answers from a simple-structure factor model with known loadings.

    Item j of factor f is ``λ_j F_f + √(1 − λ_j²) e``; factors are standard normal
    with equal correlations ``factor_correlation``.

    Examples
    --------
    >>> sim = simulate_factor_data(n=200, random_state=1)
    >>> sim.data.items[:3], sim.data.labels()["A1"]
    (('A1', 'A2', 'A3'), '服务态度1')
    """
    seed = resolve_random_state(random_state, owner="simulate_factor_data")
    rng = np.random.default_rng(seed)
    k, m = n_factors, items_per_factor
    lam = np.broadcast_to(np.asarray(loading, dtype=float), (m,))
    letters = [chr(ord("A") + f) for f in range(k)]
    phi = np.full((k, k), factor_correlation)
    np.fill_diagonal(phi, 1.0)
    f = rng.multivariate_normal(np.zeros(k), phi, size=n)
    cols: dict[str, np.ndarray] = {}
    true = np.zeros((k * m, k))
    labels: dict[str, str] = {}
    for a, letter in enumerate(letters):
        for j in range(m):
            name = f"{letter}{j + 1}"
            cols[name] = lam[j] * f[:, a] + np.sqrt(1 - lam[j] ** 2) * rng.standard_normal(n)
            true[a * m + j, a] = lam[j]
            labels[name] = f"{_LABELS.get(letter, letter)}{j + 1}"
    frame = pd.DataFrame(cols)
    names = list(cols)
    fidx = pd.Index([f"F{a + 1}" for a in range(k)], name="factor")
    return FactorSimulation(
        data=SurveyData.from_frame(frame, labels=labels),
        loadings=pd.DataFrame(true, index=pd.Index(names, name="item"), columns=fidx),
        phi=pd.DataFrame(phi, index=fidx, columns=fidx),
    )


@dataclass(frozen=True)
class SegmentSimulation:
    """Respondents drawn from known clusters.

    Attributes
    ----------
    data : SurveyData
        Item answers ``Q1``… on a 1–10 scale.
    truth : Series
        The true cluster of each respondent (0, 1, …).
    centers : DataFrame
        The cluster means (clusters x items).
    """

    data: SurveyData
    truth: pd.Series
    centers: pd.DataFrame


def simulate_segments(
    n: int = 600,
    *,
    n_segments: int = 3,
    n_items: int = 6,
    separation: float = 2.0,
    noise: float = 1.0,
    random_state: int | np.random.Generator | None = None,
) -> SegmentSimulation:
    """Respondents from ``n_segments`` well-separated satisfaction profiles.

    Each segment's mean answer is 5.5 ± ``separation`` per item (profiles differing on
    at least a third of the items), plus normal noise of sd ``noise``, clipped to 1–10.

    Examples
    --------
    >>> sim = simulate_segments(n=90, random_state=0)
    >>> sim.truth.value_counts().sort_index().tolist()
    [30, 30, 30]
    """
    seed = resolve_random_state(random_state, owner="simulate_segments")
    rng = np.random.default_rng(seed)
    # profiles of +1/-1 (above / below average) that differ on at least a third of
    # the items from one another, scaled by ``separation``
    for _ in range(1000):
        signs = rng.choice([-1.0, 1.0], size=(n_segments, n_items))
        diff = (signs[:, None, :] != signs[None, :, :]).sum(axis=2)
        if n_segments < 2 or diff[np.triu_indices(n_segments, 1)].min() >= n_items / 3:
            break
    centers = 5.5 + separation * signs
    truth = np.repeat(np.arange(n_segments), -(-n // n_segments))[:n]
    x = centers[truth] + noise * rng.standard_normal((n, n_items))
    x = np.clip(x, 1.0, 10.0)
    names = [f"Q{j + 1}" for j in range(n_items)]
    frame = pd.DataFrame(x, columns=names)
    return SegmentSimulation(
        data=SurveyData.from_frame(frame, scale=(1, 10)),
        truth=pd.Series(truth, index=frame.index, name="segment"),
        centers=pd.DataFrame(centers, columns=pd.Index(names)),
    )
