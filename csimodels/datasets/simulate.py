"""Simulated CSI surveys with known true parameters.

The generating model is a recursive structural model on standardised latent
variables. For construct j with predecessors P(j) and true paths β,
``η_j = μ_j + Σ_{i∈P(j)} β_ij (η_i − μ_i) + ζ_j`` with ``Var(ζ_j) = 1 − β' R_PP β`` so that
every construct has unit variance (R is the latent correlation matrix, built in causal
order). Each item is ``y = λ (η − μ) + √(1 − λ²) ε`` plus the item's mean. Answers on a
rating scale are ``round(centre + spread · (y + shift))`` clipped to the scale, where
``shift`` is the segment's and the period's true level difference, added to every
exogenous construct and propagated along the paths (so a segment's satisfaction level
differs by its total effect).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from csimodels.data.survey import SurveyData
from csimodels.errors import DataValidationError, format_offenders
from csimodels.inference import validate_random_state
from csimodels.sem.structures import CSI_STRUCTURES

__all__ = ["SimulatedSurvey", "implied_latent_correlations", "simulate_csi_survey"]

RandomState = int | np.random.Generator | None


@dataclass(frozen=True)
class SimulatedSurvey:
    """A simulated survey and the true parameters that generated it.

    Attributes
    ----------
    data : SurveyData
        The answers, validated, with scale, labels, constructs, segments and period.
    frame : DataFrame
        The same answers as a plain DataFrame (missing answers as NaN or the code).
    paths : Series
        True standardised path coefficients, indexed by ``(from, to)``.
    loadings : Series
        True standardised loadings of the continuous item responses, indexed by item.
    latent_correlations : DataFrame
        True correlations between constructs.
    item_correlations : DataFrame
        True correlations between the continuous (not yet rounded) item responses.
    r2 : Series
        True R² of each endogenous construct.
    segment_shifts : DataFrame
        True shift (latent standard deviations) of each construct's mean in each
        segment of the finest simulated level and period.
    """

    data: SurveyData
    frame: pd.DataFrame
    paths: pd.Series
    loadings: pd.Series
    latent_correlations: pd.DataFrame
    item_correlations: pd.DataFrame
    r2: pd.Series
    segment_shifts: pd.DataFrame = field(repr=False)


def implied_latent_correlations(
    constructs: Sequence[str], paths: Mapping[tuple[str, str], float]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Latent correlations and R² implied by standardised recursive paths.

    ``constructs`` must be in causal order. Raises if a construct's R² reaches 1.

    Examples
    --------
    >>> r, r2 = implied_latent_correlations(["A", "B"], {("A", "B"): 0.6})
    >>> float(r[0, 1]), float(r2[1])
    (0.6, 0.36)
    """
    k = len(constructs)
    pos = {c: i for i, c in enumerate(constructs)}
    beta = np.zeros((k, k))
    for (src, dst), value in paths.items():
        if pos[src] >= pos[dst]:
            raise DataValidationError(
                f"path {src} -> {dst} goes against the causal order {list(constructs)}"
            )
        beta[pos[src], pos[dst]] = value
    r = np.eye(k)
    r2 = np.zeros(k)
    for j in range(k):
        preds = np.flatnonzero(beta[:, j])
        if preds.size == 0:
            continue
        b = beta[preds, j]
        explained = float(b @ r[np.ix_(preds, preds)] @ b)
        if explained >= 1:
            raise DataValidationError(
                f"the paths into {constructs[j]!r} explain {explained:.3f} of its variance; "
                "standardised paths must leave R² below 1"
            )
        r2[j] = explained
        for i in range(j):
            r[i, j] = r[j, i] = float(r[i, preds] @ b)
    return r, r2


def simulate_csi_survey(
    model: str = "acsi",
    *,
    n: int = 1000,
    scale: tuple[int, int] = (1, 10),
    paths: Mapping[tuple[str, str], float] | None = None,
    loadings: float | Mapping[str, float] = 0.85,
    centre: float | None = None,
    spread: float | None = None,
    segment_levels: Sequence[str] = ("segment",),
    segment_shifts: Mapping[str | tuple[str, ...], float] | None = None,
    periods: Mapping[str, float] | None = None,
    missing_rate: float = 0.0,
    missing_code: float | None = None,
    weights: bool = False,
    discrete: bool = True,
    random_state: RandomState = None,
) -> SimulatedSurvey:
    """Simulate respondents' answers from a CSI structure with known parameters.

    Parameters
    ----------
    model : {"acsi", "scsi", "ecsi", "ccsi"}
        Which published structure generates the data.
    n : int
        Number of respondents.
    scale : (int, int)
        The rating scale (1–10 by default).
    paths : dict of (from, to) to float, optional
        True standardised paths; default the structure's ``true_paths``.
    loadings : float or dict of item to float
        True standardised loadings (0 < λ < 1).
    centre, spread : float, optional
        Where a standardised response of 0 lands on the scale and how many points one
        standard deviation spans (default: 70 % of the way up, a sixth of the range).
    segment_levels : list of str
        Names of the segment columns, coarse to fine (e.g. ``("region", "city")``).
    segment_shifts : dict of segment path to float, optional
        One entry per finest segment, keyed by its path through the levels, e.g.
        ``{("North", "Harbin"): 0.3, ("South", "Guangzhou"): -0.2}`` (a plain label
        when there is one level). Respondents are spread evenly over the segments and
        a segment's shift (in latent SDs) is added to the exogenous constructs.
    periods : dict of period label to shift, optional
        Adds a ``period`` column in the same way.
    missing_rate : float
        Share of answers removed completely at random.
    missing_code : float, optional
        Write removed answers as this code (e.g. 99) instead of NaN.
    weights : bool
        Add a ``weight`` column of log-normal respondent weights (independent of the
        answers, so weighting changes no true parameter).
    discrete : bool
        Round and clip onto the scale (True) or return the continuous responses.
    random_state : int or numpy Generator

    Returns
    -------
    SimulatedSurvey

    Examples
    --------
    >>> import csimodels as csi
    >>> sim = csi.datasets.simulate_csi_survey("scsi", n=500, random_state=1)
    >>> sim.data.n_respondents, float(sim.paths.loc[("Value", "Satisfaction")])
    (500, 0.55)
    """
    key = str(model).lower()
    if key not in CSI_STRUCTURES:
        raise DataValidationError(
            f"model={model!r} is not a CSI structure; choose one of "
            f"{format_offenders(sorted(CSI_STRUCTURES))}"
        )
    if not isinstance(n, (int, np.integer)) or n < 2:
        raise DataValidationError(f"n must be an integer >= 2, got {n!r}")
    if not 0 <= missing_rate < 1:
        raise DataValidationError(f"missing_rate must be in [0, 1), got {missing_rate!r}")
    lo, hi = scale
    if not lo < hi:
        raise DataValidationError(f"scale must be (min, max) with min < max, got {scale!r}")
    structure = CSI_STRUCTURES[key]
    true_paths = dict(structure.true_paths if paths is None else paths)
    unknown = sorted(f"{a}->{b}" for a, b in true_paths if (a, b) not in structure.paths)
    if unknown:
        raise DataValidationError(
            f"paths {format_offenders(unknown)} are not in the {key.upper()} structure"
        )
    constructs = list(structure.constructs)
    items = [i for c in constructs for i in structure.items[c]]
    lam = {
        i: float(loadings if isinstance(loadings, (int, float)) else loadings.get(i, 0.85))
        for i in items
    }
    bad = sorted(i for i, v in lam.items() if not 0 < v < 1)
    if bad:
        raise DataValidationError(f"loadings of {format_offenders(bad)} must be in (0, 1)")

    rng = np.random.default_rng(validate_random_state(random_state, owner="simulate_csi_survey"))
    r, r2 = implied_latent_correlations(constructs, true_paths)
    k = len(constructs)
    pos = {c: i for i, c in enumerate(constructs)}
    beta = np.zeros((k, k))
    for (src, dst), value in true_paths.items():
        beta[pos[src], pos[dst]] = value
    exogenous: NDArray[np.bool_] = np.asarray(~beta.any(axis=0), dtype=bool)

    # Segment and period design: respondents spread evenly, shifts on exogenous means.
    levels = list(segment_levels)
    design: dict[str, NDArray[np.str_]] = {}
    shift = np.zeros(n)
    leaf_shifts: dict[tuple[str, ...], float] = {}
    for path_key, value in (segment_shifts or {}).items():
        path = (path_key,) if isinstance(path_key, str) else tuple(path_key)
        if len(path) != len(levels):
            raise DataValidationError(
                f"segment {path_key!r} has {len(path)} level(s) but segment_levels "
                f"names {len(levels)}: {levels}"
            )
        leaf_shifts[path] = float(value)
    if leaf_shifts:
        leaves = list(leaf_shifts)
        which = rng.permutation(np.arange(n) % len(leaves))
        for depth, column in enumerate(levels):
            design[column] = np.asarray([leaf[depth] for leaf in leaves])[which]
        shift += np.asarray([leaf_shifts[leaf] for leaf in leaves])[which]
    if periods:
        labels = list(periods)
        which = rng.permutation(np.arange(n) % len(labels))
        design["period"] = np.asarray(labels)[which]
        shift += np.asarray([periods[label] for label in labels])[which]

    zeta = rng.standard_normal((n, k)) * np.sqrt(1 - r2)
    eta = np.zeros((n, k))
    for j in range(k):
        eta[:, j] = eta @ beta[:, j] + zeta[:, j] + (shift if exogenous[j] else 0.0)
    total_effect = np.linalg.inv(np.eye(k) - beta)  # row: from, column: to

    lam_vec = np.array([lam[i] for i in items])
    owner = np.array([pos[c] for c in constructs for _ in structure.items[c]])
    noise = rng.standard_normal((n, len(items))) * np.sqrt(1 - lam_vec**2)
    y = eta[:, owner] * lam_vec + noise
    centre_ = lo + 0.7 * (hi - lo) if centre is None else centre
    spread_ = (hi - lo) / 6 if spread is None else spread
    answers = centre_ + spread_ * y
    if discrete:
        answers = np.clip(np.rint(answers), lo, hi)
    frame = pd.DataFrame(answers, columns=pd.Index(items))
    if missing_rate > 0:
        holes = rng.random(answers.shape) < missing_rate
        frame = frame.mask(holes, np.nan if missing_code is None else missing_code)
    for column, assigned in design.items():
        frame[column] = assigned
    if weights:
        frame["weight"] = np.round(rng.lognormal(0.0, 0.3, n), 4)

    implied_items = np.outer(lam_vec, lam_vec) * r[np.ix_(owner, owner)]
    np.fill_diagonal(implied_items, 1.0)
    seg_cols = [c for c in design if c != "period"]
    data = SurveyData.from_frame(
        frame,
        items=items,
        scale=(lo, hi) if discrete else None,
        missing_codes=[] if missing_code is None else [missing_code],
        labels={
            i: f"{structure.chinese_labels[c]} {i[-1]}"
            for c in constructs
            for i in structure.items[c]
        },
        constructs={c: structure.items[c] for c in constructs},
        construct_labels=structure.chinese_labels,
        weight="weight" if weights else None,
        segments=seg_cols,
        period="period" if periods else None,
    )
    propagated = total_effect[exogenous].sum(axis=0)
    shifts_rows: dict[tuple[str, str], NDArray[np.float64]] = {}
    for path, value in leaf_shifts.items():
        shifts_rows[(levels[-1], path[-1])] = value * propagated
    for label, value in (periods or {}).items():
        shifts_rows[("period", label)] = value * propagated
    segment_shifts_frame = pd.DataFrame(shifts_rows, index=pd.Index(constructs)).T
    return SimulatedSurvey(
        data=data,
        frame=frame,
        paths=pd.Series(true_paths, name="true_path").rename_axis(["from", "to"]),
        loadings=pd.Series(lam, name="true_loading"),
        latent_correlations=pd.DataFrame(r, index=constructs, columns=constructs),
        item_correlations=pd.DataFrame(implied_items, index=items, columns=items),
        r2=pd.Series(r2[~exogenous], index=pd.Index(constructs)[~exogenous], name="true_r2"),
        segment_shifts=segment_shifts_frame,
    )
