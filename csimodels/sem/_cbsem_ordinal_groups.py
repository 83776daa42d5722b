"""Ordinal items in several groups (lavaan's delta parameterisation, ``group=``).

Each group has its own thresholds, polychoric correlations and Γ (two-step, per
group, as lavaan). The categories must be the same in every group (lavaan refuses a
group in which a category observed elsewhere is empty). With ``group_equal``
containing ``"thresholds"`` the thresholds are shared, and — lavaan's rule for the
delta parameterisation — the scale factors ``Δ`` of the latent responses and the
latent means are free in the later groups: ``τ*_g = Δ_g (τ − Λα_g)`` and
``Σ*_g = Δ_g Σ_g Δ_g``.

Here the extra parameters that are not rows of the parameter table (thresholds, the
continuous items' means of a mixed fit, the scale factors) get their place in θ,
after the table's free parameters.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from csimodels.errors import DataValidationError, format_offenders
from csimodels.sem._cbsem_ordinal import OrdinalMoments
from csimodels.sem._cbsem_partable import ParTable, _renumber

FloatArray = NDArray[np.float64]

__all__ = ["ExtraRow", "check_group_categories", "fix_ordinal_intercepts", "place_extras"]


@dataclass(frozen=True)
class ExtraRow:
    """A parameter outside the parameter table: a threshold (``|``), a continuous
    item's mean (``~1``) or a scale factor (``~*~``), of one group (1-based)."""

    lhs: str
    op: str
    rhs: str
    group: int
    position: int  # 0-based index into θ


def place_extras(
    frames: Sequence[Any], n_free: int, *, equal_thresholds: bool
) -> tuple[list[ExtraRow], FloatArray, list[str]]:
    """Give every frame the θ positions of its thresholds (shared across groups when
    ``equal_thresholds``) and, in the later groups of such a fit, of its scale factors.

    Returns the extra rows (every group), their start values and readable names.
    """
    pos = n_free
    rows: list[ExtraRow] = []
    start: list[float] = []
    names: list[str] = []
    shared: dict[tuple[str, str], int] = {}
    multi = len(frames) > 1
    for g, fr in enumerate(frames):
        th_names: list[str] = fr.th_names
        owners: list[str] = fr.th_owner
        sample: FloatArray = fr.sample_th
        index = []
        for k, (name, owner) in enumerate(zip(th_names, owners, strict=True)):
            is_mean = name.endswith("~1")
            if is_mean and fr.meanstructure:
                index.append(-1)  # the intercept row of the parameter table serves
                continue
            rhs = "" if is_mean else name.rsplit("|", 1)[1]
            key = (owner, rhs)
            if equal_thresholds and not is_mean and key in shared:
                at = shared[key]
            else:
                at = pos
                pos += 1
                shared[key] = at
                start.append(float(sample[k]))
                text = f"{owner} ~ 1" if is_mean else f"{owner}|{rhs}"
                names.append(text + (f" (group {g + 1})" if multi else ""))
            index.append(at)
            rows.append(ExtraRow(owner, "~1" if is_mean else "|", rhs, g + 1, at))
        fr.th_index = np.asarray(index, dtype=np.intp)
        fr.delta_index = None
    if equal_thresholds:
        for g, fr in enumerate(frames[1:], start=2):
            observed: list[str] = fr.observed
            numeric = dict(zip(fr.ordinal.items, fr.ordinal.is_numeric, strict=True))
            scales = np.full(len(observed), -1, dtype=np.intp)
            for j, v in enumerate(observed):
                if numeric[v]:
                    continue  # continuous items have no scale factor
                scales[j] = pos
                rows.append(ExtraRow(v, "~*~", v, g, pos))
                names.append(f"{v} ~*~ {v} (group {g})")
                start.append(1.0)
                pos += 1
            fr.delta_index = scales
    for fr in frames:
        fr.n_total = pos
    return rows, np.asarray(start, dtype=np.float64), names


def fix_ordinal_intercepts(table: ParTable, ordinal_items: set[str]) -> None:
    """Ordinal items' intercepts are zero (their thresholds carry the location)."""
    for row in table.rows:
        if row.op == "~1" and row.lhs in ordinal_items:
            row.free = 0
            row.value = 0.0
    _renumber(table, {})


def check_group_categories(moments: list[OrdinalMoments], labels: list[str]) -> None:
    """Every group must have observed every category of every ordinal item."""
    union: dict[str, set[float]] = {}
    for m in moments:
        for item, lv, num in zip(m.items, m.levels, m.is_numeric, strict=True):
            if not num:
                union.setdefault(item, set()).update(lv)
    bad = []
    for m, label in zip(moments, labels, strict=True):
        for item, lv, num in zip(m.items, m.levels, m.is_numeric, strict=True):
            if num:
                continue
            gone = sorted(union[item] - set(lv))
            if gone:
                shown = ", ".join(f"{v:g}" for v in gone)
                bad.append(f"{item} in group {label} (no {shown})")
    if bad:
        raise DataValidationError(
            f"ordinal item {format_offenders(bad)}: a category observed in another group "
            "is empty in this one, so the groups' thresholds do not correspond (lavaan "
            "refuses this too); merge the rare categories or drop the item"
        )


def group_shares(frames: Sequence[Any]) -> FloatArray:
    """lavaan's weights of the groups' discrepancies for ordinal items: (n_g − 1)/(N − G)
    (so that χ² = Σ 2 (n_g − 1) F_g; with sampling weights n_g is the group's sum of
    weights normalised over all groups to N)."""
    sizes = np.array([fr.n_w for fr in frames], dtype=np.float64)
    return np.asarray((sizes - 1) / (sizes.sum() - len(frames)), dtype=np.float64)


def resample_objective(
    est: Any, xs: list[FloatArray], ws: Sequence[FloatArray | None] | None = None
) -> Any | None:
    """The objective of an ordinal fit on resampled answers ``xs`` (one array per group,
    columns in the model's observed order) and their sampling weights ``ws`` (raw,
    or None): thresholds, polychoric (polyserial) correlations and Γ recomputed, the
    weights normalised over the resample to sum to N (lavaan's "total"), the parameter
    layout of ``est`` kept. None when a resample lost a category (the draw fails, as in
    lavaan)."""
    from csimodels.sem import _cbsem_engine as engine
    from csimodels.sem import _cbsem_ordinal as ordm
    from csimodels.sem._cbsem_mixed import mixed_moments

    raw = list(ws) if ws is not None else [None] * len(xs)
    scaled: list[FloatArray | None] = list(raw)
    if all(w is not None for w in raw):
        total = sum(float(np.sum(w)) for w in raw if w is not None)
        n_all = sum(x.shape[0] for x in xs)
        scaled = [None if w is None else w * (n_all / total) for w in raw]
    frames = []
    for g, (fr, x) in enumerate(zip(est.frames, xs, strict=True)):
        base: OrdinalMoments = fr.ordinal
        wg = scaled[g]
        try:
            with np.errstate(all="ignore"):
                if base.n_numeric:
                    om = mixed_moments(x, list(base.items), base.is_numeric, None, wg)
                else:
                    om = ordm.ordinal_moments(x, list(base.items), None, wg)
        except (DataValidationError, np.linalg.LinAlgError):
            return None
        if om.levels != base.levels:
            return None
        frame = engine.ModelFrame(est.ram, x, list(fr.observed), est.estimator, raw[g], om, g)
        if wg is not None:
            frame.n_w = float(np.sum(wg))
        frames.append(frame)
    place_extras(
        frames, est.table.n_free, equal_thresholds=any(r.op == "~*~" for r in est.extra_rows)
    )
    if len(frames) == 1:
        return frames[0]
    multi = engine.MultiFrame(frames)
    multi.share = group_shares(frames)
    return multi


def satorra_2000(general: Any, restricted: Any) -> dict[str, float]:
    """Scaled-and-shifted χ² difference of two nested least-squares fits (lavaan's
    ``lavTestLRT`` for WLSMV: ``method = "satorra.2000"``, ``scaled.shifted = TRUE``).

    ``A`` spans the directions of the general model's parameters that the restricted
    model fixes (the orthogonal complement of ``H = Δ₁⁺ Δ₀``, lavaan's ``A.method =
    "delta"``); with ``P`` the general model's expected information (groups weighted
    by n_g/N), ``M = P⁻¹A'(AP⁻¹A')⁻¹AP⁻¹`` and ``U = V Δ₁ M Δ₁' V`` (V the weight
    matrices), ``tr1 = Σ_g (n_g/N) tr(U_g Γ_g)`` and ``tr2 = tr((U Γ)²)`` over the
    stacked groups (Γ_g weighted by n_g/N): ``a = √(m / tr2)``, ``b = m − a tr1`` and
    ``T = a (T₀ − T₁) + b`` on ``m`` df, ``T₀, T₁`` the standard χ² of the restricted
    and the general model. Returns ``chi2_diff``, ``df_diff``, ``p_value``,
    ``scaling_factor`` (1/a) and ``shift`` (b).
    """
    from scipy import stats

    m = int(restricted.df - general.df)
    t1 = _chi2(general)
    t0 = _chi2(restricted)
    d1 = np.vstack([fr.moment_jacobian(general.theta) for fr in general.frames])
    d0 = np.vstack([fr.moment_jacobian(restricted.theta) for fr in restricted.frames])
    h = np.linalg.pinv(d1) @ d0
    u, sv, _ = np.linalg.svd(h, full_matrices=True)
    rank = int(np.sum(sv > sv[0] * 1e-10)) if sv.size else 0
    a_mat = u[:, rank:].T
    n = general.n
    shares = [fr.n_w / n for fr in general.frames]
    blocks = [fr.moment_jacobian(general.theta) for fr in general.frames]
    info = sum(
        s * (d.T @ fr.wmat @ d) for s, d, fr in zip(shares, blocks, general.frames, strict=True)
    )
    p_inv = np.linalg.inv(info)
    mid = p_inv @ a_mat.T @ np.linalg.pinv(a_mat @ p_inv @ a_mat.T) @ a_mat @ p_inv
    tr1 = 0.0
    for s, d, fr in zip(shares, blocks, general.frames, strict=True):
        tr1 += s * float(np.trace(fr.wmat @ fr.gamma @ fr.wmat @ d @ mid @ d.T))
    sizes = [fr.wmat.shape[0] for fr in general.frames]
    total = sum(sizes)
    v = np.zeros((total, total))
    g = np.zeros((total, total))
    at = 0
    for s, fr, k in zip(shares, general.frames, sizes, strict=True):
        v[at : at + k, at : at + k] = fr.wmat
        g[at : at + k, at : at + k] = s * fr.gamma
        at += k
    ug = v @ d1 @ mid @ d1.T @ v @ g
    tr2 = float(np.sum(ug * ug.T))
    a = math.sqrt(m / tr2) if tr2 > 0 else float("nan")
    b = m - a * tr1
    stat = (t0 - t1) * a + b
    return {
        "chi2_diff": stat,
        "df_diff": float(m),
        "p_value": float(stats.chi2.sf(stat, m)) if stat >= 0 else float("nan"),
        "scaling_factor": 1.0 / a,
        "shift": b,
    }


def _chi2(est: Any) -> float:
    """The standard χ² of a least-squares fit, Σ 2 (n_g − 1) F_g (as the fit table)."""
    return float(2 * est.n_eff * est.f)
