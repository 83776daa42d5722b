"""Simulated SERVQUAL surveys with known true gaps.

For respondent r, dimension d and item i of d, on a latent continuous scale::

    E_ri = μ_d + a_rd + ε_ri
    P_ri = μ_d + γ_d + s_store(r) + b_rd + δ_ri

with person effects ``a, b ~ N(0, person_sd²)`` (correlation ``person_correlation``)
and item noise ``ε, δ ~ N(0, item_sd²)``; γ_d is the true latent gap and s the store's
shift. Answers are ``round(·)`` clipped to the scale. Because rounding and clipping
move the means, the truth is also given on the answer scale: the exact expectation of
each rounded, clipped normal answer (``Σ_k k · P(answer = k)``), so an unbiased gap
estimator converges to :attr:`SimulatedServqual.expected_gaps`. Desired (D) and
adequate (A) expectations for the zone of tolerance follow the E equation with their
own means. Importance points are ``Multinomial(100, Dirichlet(c · shares))`` (integers
summing to 100, mean share = ``shares``), independent of the answers. For the 1988
instrument, answers to its negatively worded items are written as a respondent would
give them (``min + max − x``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from csimodels.data.survey import SurveyData
from csimodels.errors import DataValidationError, format_offenders
from csimodels.inference import validate_random_state
from csimodels.servqual.instruments import Instrument, resolve_instrument

__all__ = ["SimulatedServqual", "expected_rounded_mean", "simulate_servqual_survey"]

RandomState = int | np.random.Generator | None

DEFAULT_GAPS = {
    "Tangibles": -0.3,
    "Reliability": -1.0,
    "Responsiveness": -0.8,
    "Assurance": -0.4,
    "Empathy": -0.6,
}
DEFAULT_IMPORTANCE = {
    "Tangibles": 11.0,
    "Reliability": 32.0,
    "Responsiveness": 22.0,
    "Assurance": 19.0,
    "Empathy": 16.0,
}
DEFAULT_STORES = {"Downtown": 0.0, "Mall": -0.4, "Station": 0.3}


@dataclass(frozen=True)
class SimulatedServqual:
    """A simulated SERVQUAL survey and the truth that generated it.

    Attributes
    ----------
    data : SurveyData
        The answers (E, P, optional D and A, importance ``I_<dimension>``), validated,
        with the ``store`` segment and optional ``weight`` column.
    frame : DataFrame
        The same answers as a plain DataFrame (as respondents gave them).
    instrument : Instrument
    true_gaps : Series
        Latent dimension gaps γ_d (before rounding and clipping).
    expected_gaps : Series
        Exact expected dimension gap P − E on the answer scale, over all stores.
    expected_item_gaps : Series
        The same per item.
    expected_expectation, expected_perception : Series
        Expected dimension means of E and P on the answer scale.
    importance_shares : Series or None
        True mean importance share of each dimension (sums to 1).
    expected_overall : Series
        ``unweighted`` (mean of the expected dimension gaps) and ``weighted`` (Σ share ×
        expected gap; per-respondent and aggregate weighting share this expectation
        because importance is drawn independently of the answers).
    segment_gaps : DataFrame
        Expected dimension gap in each store (rows: stores).
    expected_msa, expected_mss : Series or None
        Expected MSA = P − A and MSS = P − D per dimension (zone of tolerance only).
    """

    data: SurveyData
    frame: pd.DataFrame
    instrument: Instrument
    true_gaps: pd.Series
    expected_gaps: pd.Series
    expected_item_gaps: pd.Series
    expected_expectation: pd.Series
    expected_perception: pd.Series
    importance_shares: pd.Series | None
    expected_overall: pd.Series
    segment_gaps: pd.DataFrame = field(repr=False)
    expected_msa: pd.Series | None = None
    expected_mss: pd.Series | None = None


def expected_rounded_mean(mean: float, sd: float, lo: int, hi: int) -> float:
    """Expectation of ``clip(round(X), lo, hi)`` for ``X ~ N(mean, sd²)``.

    Examples
    --------
    >>> round(expected_rounded_mean(4.0, 1.0, 1, 7), 10)   # symmetric: the centre
    4.0
    """
    from scipy import stats

    points = np.arange(lo, hi + 1, dtype=np.float64)
    upper = stats.norm.cdf((points + 0.5 - mean) / sd)
    lower = stats.norm.cdf((points - 0.5 - mean) / sd)
    upper[-1] = 1.0
    lower[0] = 0.0
    return float(points @ (upper - lower))


def _per_dimension(value: float | Mapping[str, float], dims: list[str], what: str) -> np.ndarray:
    if isinstance(value, Mapping):
        unknown = sorted(str(k) for k in value if k not in dims)
        missing = [d for d in dims if d not in value]
        if unknown or missing:
            raise DataValidationError(
                f"{what} must give one value per dimension {format_offenders(dims)}; "
                + (f"unknown {format_offenders(unknown)} " if unknown else "")
                + (f"missing {format_offenders(missing)}" if missing else "")
            )
        return np.array([float(value[d]) for d in dims])
    return np.full(len(dims), float(value))


def simulate_servqual_survey(
    n: int = 1000,
    *,
    instrument: Instrument | str = "servqual_1991",
    scale: tuple[int, int] = (1, 7),
    expectations: float | Mapping[str, float] = 6.0,
    gaps: float | Mapping[str, float] | None = None,
    importance: Mapping[str, float] | None = None,
    with_importance: bool = True,
    importance_concentration: float = 20.0,
    stores: Mapping[str, float] | None = None,
    zone_of_tolerance: bool = False,
    desired: float | Mapping[str, float] = 6.4,
    adequate: float | Mapping[str, float] = 4.6,
    person_sd: float = 0.6,
    item_sd: float = 0.7,
    person_correlation: float = 0.4,
    weights: bool = False,
    missing_rate: float = 0.0,
    random_state: RandomState = None,
) -> SimulatedServqual:
    """Simulate a SERVQUAL survey with known dimension gaps.

    Parameters
    ----------
    n : int
        Respondents, spread evenly over the stores.
    instrument : Instrument or str
        Item bank (default the 1991 SERVQUAL); for ``"servqual_1988"`` the negatively
        worded items are written reversed.
    scale : (int, int)
        Answer scale (1–7).
    expectations : float or dict of dimension to float
        Latent mean expectation μ_d.
    gaps : float or dict of dimension to float, optional
        Latent gaps γ_d (default: Tangibles −0.3, Reliability −1.0, Responsiveness
        −0.8, Assurance −0.4, Empathy −0.6; 0 for other instruments' dimensions).
    importance : dict of dimension to float, optional
        Mean importance points (rescaled to shares; default 11/32/22/19/16, close to
        what Parasuraman et al. 1991 report, equal shares for other instruments).
    with_importance : bool
        Add the 100-point importance columns ``I_<dimension>``.
    importance_concentration : float
        Dirichlet concentration: larger means respondents agree more.
    stores : dict of store to perception shift, optional
        Store segments (column ``store``); default Downtown 0, Mall −0.4, Station +0.3.
    zone_of_tolerance : bool
        Add desired (``D``) and adequate (``A``) batteries with latent means
        ``desired`` and ``adequate``.
    person_sd, item_sd, person_correlation : float
        Spread of person effects and item noise; correlation of a person's E and P
        effects.
    weights : bool
        Add a log-normal ``weight`` column independent of the answers.
    missing_rate : float
        Share of E/P/D/A answers removed completely at random (as NaN).
    random_state : int or numpy Generator

    Examples
    --------
    >>> sim = simulate_servqual_survey(n=300, random_state=1)
    >>> sim.data.n_respondents, sim.data.segments
    (300, ('store',))
    >>> round(float(sim.true_gaps["Reliability"]), 2)
    -1.0
    """
    inst = resolve_instrument(instrument)
    if not isinstance(n, (int, np.integer)) or n < 2:
        raise DataValidationError(f"n must be an integer >= 2, got {n!r}")
    if not 0 <= missing_rate < 1:
        raise DataValidationError(f"missing_rate must be in [0, 1), got {missing_rate!r}")
    lo, hi = int(scale[0]), int(scale[1])
    if not lo < hi:
        raise DataValidationError(f"scale must be (min, max) with min < max, got {scale!r}")
    if not (person_sd > 0 and item_sd > 0 and -1 < person_correlation < 1):
        raise DataValidationError(
            "person_sd and item_sd must be positive and person_correlation in (-1, 1)"
        )
    dims = list(inst.dimensions)
    mu = _per_dimension(expectations, dims, "expectations")
    if gaps is None:
        gap_map: float | Mapping[str, float] = {d: DEFAULT_GAPS.get(d, 0.0) for d in dims}
    else:
        gap_map = gaps
    gamma = _per_dimension(gap_map, dims, "gaps")
    if importance is None:
        importance = {d: DEFAULT_IMPORTANCE.get(d, 1.0) for d in dims}
        if set(dims) != set(DEFAULT_IMPORTANCE):
            importance = dict.fromkeys(dims, 1.0)
    imp_mean = _per_dimension(importance, dims, "importance")
    if (imp_mean <= 0).any():
        raise DataValidationError("importance means must be positive")
    shares = imp_mean / imp_mean.sum()
    store_map = dict(DEFAULT_STORES if stores is None else stores)
    if not store_map:
        raise DataValidationError("stores must name at least one store")

    rng = np.random.default_rng(
        validate_random_state(random_state, owner="simulate_servqual_survey")
    )
    items = list(inst.items)
    owner = np.array([dims.index(inst.dimension_of(i)) for i in items])
    k, n_dims = len(items), len(dims)
    store_names = list(store_map)
    which = rng.permutation(np.arange(n) % len(store_names))
    shift = np.array([store_map[s] for s in store_names])[which]

    cov = person_sd**2 * np.array([[1.0, person_correlation], [person_correlation, 1.0]])
    effects = rng.multivariate_normal(np.zeros(2), cov, size=(n, n_dims))
    a, b = effects[..., 0], effects[..., 1]
    e_lat = mu[owner] + a[:, owner] + rng.normal(0.0, item_sd, (n, k))
    p_lat = (mu + gamma)[owner] + shift[:, None] + b[:, owner] + rng.normal(0.0, item_sd, (n, k))
    batteries = {"E": e_lat, "P": p_lat}
    d_mean = a_mean = np.zeros(n_dims)
    if zone_of_tolerance:
        d_mean = _per_dimension(desired, dims, "desired")
        a_mean = _per_dimension(adequate, dims, "adequate")
        batteries["D"] = d_mean[owner] + a[:, owner] + rng.normal(0.0, item_sd, (n, k))
        batteries["A"] = a_mean[owner] + a[:, owner] + rng.normal(0.0, item_sd, (n, k))
    rev = np.array([i in inst.reverse_scored for i in items])
    columns: dict[str, np.ndarray] = {}
    for code, lat in batteries.items():
        ans = np.clip(np.rint(lat), lo, hi)
        ans[:, rev] = lo + hi - ans[:, rev]
        if missing_rate > 0:
            ans[rng.random(ans.shape) < missing_rate] = np.nan
        for j, item in enumerate(items):
            columns[inst.column(code, item)] = ans[:, j]
    frame = pd.DataFrame(columns)
    imp_cols: list[str] = []
    if with_importance:
        props = rng.dirichlet(importance_concentration * shares, size=n)
        props /= props.sum(axis=1, keepdims=True)
        points = rng.multinomial(100, props)
        for d, name in enumerate(dims):
            imp_cols.append(f"I_{name}")
            frame[f"I_{name}"] = points[:, d].astype(np.float64)
    frame["store"] = np.asarray(store_names)[which]
    if weights:
        frame["weight"] = np.round(rng.lognormal(0.0, 0.3, n), 4)

    sd = float(np.sqrt(person_sd**2 + item_sd**2))

    def expect(mean: np.ndarray) -> np.ndarray:
        return np.array([expected_rounded_mean(float(m), sd, lo, hi) for m in mean])

    exp_e = expect(mu)
    store_p = np.vstack([expect(mu + gamma + store_map[s]) for s in store_names])
    exp_p = store_p.mean(axis=0)
    exp_gap = exp_p - exp_e
    seg = pd.DataFrame(store_p - exp_e, index=pd.Index(store_names, name="store"), columns=dims)
    answer_cols = [c for c in frame.columns if c not in (*imp_cols, "store", "weight")]
    data = SurveyData.from_frame(
        frame,
        items=[*answer_cols, *imp_cols],
        scale=dict.fromkeys(answer_cols, (lo, hi)),
        labels={
            inst.column(code, i): f"{code} {inst.label_of_item(i)}"
            for code in batteries
            for i in items
        },
        constructs={d: tuple(inst.column("P", i) for i in inst.dimensions[d]) for d in dims},
        construct_labels={d: inst.label_of_dimension(d) for d in dims},
        weight="weight" if weights else None,
        segments=["store"],
    )
    idx = pd.Index(dims, name="dimension")
    msa = mss = None
    if zone_of_tolerance:
        msa = pd.Series(exp_p - expect(a_mean), index=idx, name="expected_msa")
        mss = pd.Series(exp_p - expect(d_mean), index=idx, name="expected_mss")
    return SimulatedServqual(
        data=data,
        frame=frame,
        instrument=inst,
        true_gaps=pd.Series(gamma, index=idx, name="true_gap"),
        expected_gaps=pd.Series(exp_gap, index=idx, name="expected_gap"),
        expected_item_gaps=pd.Series(
            exp_gap[owner], index=pd.Index(items, name="item"), name="expected_gap"
        ),
        expected_expectation=pd.Series(exp_e, index=idx, name="expected_expectation"),
        expected_perception=pd.Series(exp_p, index=idx, name="expected_perception"),
        importance_shares=pd.Series(shares, index=idx, name="importance_share")
        if with_importance
        else None,
        expected_overall=pd.Series(
            {"unweighted": float(exp_gap.mean()), "weighted": float(shares @ exp_gap)},
            name="expected_overall",
        ),
        segment_gaps=seg,
        expected_msa=msa,
        expected_mss=mss,
    )
