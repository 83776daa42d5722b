"""SERVQUAL, SERVPERF and the zone of tolerance on a dask DataFrame: one pass of sums.

Each partition goes through the family's own validation (:func:`prepare`, with the
survey-wide checks left for the combined counts) and turns its kept respondents into
row-level scores — item gaps, dimension scores, the overall scores, the
importance-weighted products, the dimension-complete answers behind Cronbach's alpha —
whose weighted power sums (:func:`~csimodels.servqual._engine.moment_sums`) add up over
partitions. The delta-method SE of the aggregate weighted score is a quadratic form in
the shares and gaps, so its cross products are summed too and the SE follows for any
mean share and gap: one pass over the data, for the pooled result and every ``by=``
segment at once. The numbers equal the in-memory fit to rounding. The zone of
tolerance sums the same power sums of its row-level arrays (MSA, MSS, the three
batteries and the below/within/above indicators, per item and per dimension score).

Needs the rows, so refused: the Wilcoxon signed-rank test (ranks of all respondents)
and the confirmatory factor analysis (fit CB-SEM out of core with
``csimodels.CBSEM(...).fit(dask_frame)`` instead).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from csimodels.data._dask_tasks import (
    POSITION,
    add_statistics,
    fit_statistics,
    partition_statistics,
    refuse_rows,
)
from csimodels.results import MissingDataReport
from csimodels.servqual import _engine as eng
from csimodels.servqual._prepare import EXCLUSION_COLUMNS, Prepared, survey_notes

if TYPE_CHECKING:
    from csimodels.servqual.gap import SERVQUAL, _Scores
    from csimodels.servqual.servperf import SERVPERF
    from csimodels.servqual.zone import ZoneOfTolerance

__all__ = ["fit_dask", "score_columns"]

Key = tuple[Hashable, ...]

#: Respondents whose row-level scores a task forms at once.
ROW_CHUNK = 8192


def score_columns(
    e: np.ndarray, p: np.ndarray, shares: np.ndarray | None, owner: np.ndarray, n_dims: int
) -> dict[str, np.ndarray]:
    """The row-level scores whose (weighted) means and SEs a SERVQUAL result reports.

    NaN marks a respondent left out of a score, exactly as the in-memory ``_score``
    leaves them out; every column then enters :func:`moment_sums`.
    """
    g = p - e
    dim_g = eng.dimension_scores(g, owner, n_dims)[0]
    complete = ~np.isnan(dim_g).any(axis=1)
    nan = np.nan
    with np.errstate(invalid="ignore"):
        cols: dict[str, np.ndarray] = {
            "g": g,
            "e": e,
            "p": p,
            "dim_g": dim_g,
            "dim_e": eng.dimension_scores(e, owner, n_dims)[0],
            "dim_p": eng.dimension_scores(p, owner, n_dims)[0],
            "unweighted": np.where(complete, dim_g.mean(axis=1), nan)[:, None],
            "item_mean": np.nanmean(g, axis=1)[:, None],
        }
    if shares is not None:
        has = ~np.isnan(shares).any(axis=1)
        ok = complete & has
        s_ok = np.where(ok[:, None], shares, nan)
        g_ok = np.where(ok[:, None], dim_g, nan)
        cols["per_respondent"] = np.where(ok, (shares * dim_g).sum(axis=1), nan)[:, None]
        cols["s_ok"] = s_ok
        cols["g_ok"] = g_ok
        cols["sg_ok"] = s_ok * g_ok
        cols["shares"] = np.where(has[:, None], shares, nan)
    for name, x in (("e", e), ("p", p), ("g", g)):
        items = np.full_like(x, nan)
        sums = np.full((x.shape[0], n_dims), nan)
        for d in range(n_dims):
            at = owner == d
            done = ~np.isnan(x[:, at]).any(axis=1)
            items[done[:, None] & at[None, :]] = x[done[:, None] & at[None, :]]
            sums[done, d] = x[done][:, at].sum(axis=1)
        cols[f"alpha_{name}_items"] = items
        cols[f"alpha_{name}_sum"] = sums
    return cols


def _influence_sums(shares: np.ndarray, dim_g: np.ndarray, w: np.ndarray | None) -> dict[str, Any]:
    """Cross products of ``z = (shares, gaps, 1)`` on the rows with both (the
    delta-method influence of the aggregate score is linear in z)."""
    ok = ~np.isnan(dim_g).any(axis=1) & ~np.isnan(shares).any(axis=1)
    z = np.column_stack([shares[ok], dim_g[ok], np.ones(int(ok.sum()))])
    wk = np.ones(z.shape[0]) if w is None else w[ok]
    return {
        "n": float(z.shape[0]),
        "w": float(wk.sum()),
        "w2": float((wk * wk).sum()),
        "wz": wk @ z,
        "w2z": (wk * wk) @ z,
        "w2zz": (z * (wk * wk)[:, None]).T @ z,
    }


def _partition(
    model: Any, weight: str | None, options: Mapping[str, Any], part: pd.DataFrame, key: Key
) -> dict[str, Any] | None:
    if len(part) == 0:
        return None
    prep: Prepared = model._prepare(part, None, weight, options, partition=True)
    n_dims = len(model.instrument.dimensions)
    p_all = prep.batteries["perception"]
    e_all = prep.batteries.get("expectation", np.zeros_like(p_all))
    out: dict[str, Any] = {"counts": prep.counts, "exclusions": prep.exclusions}
    if "adequate" in prep.batteries:
        return {**out, **_zone_sums(prep, n_dims)}
    # the scores are formed ROW_CHUNK respondents at a time: a task holds little more
    # than its partition
    for start in range(0, max(p_all.shape[0], 1), ROW_CHUNK):
        rows = slice(start, start + ROW_CHUNK)
        w = None if prep.weights is None else prep.weights[rows]
        shares = None if prep.importance is None else prep.importance[rows]
        cols = score_columns(e_all[rows], p_all[rows], shares, prep.owner, n_dims)
        piece: dict[str, Any] = {"sums": {k: eng.moment_sums(x, w) for k, x in cols.items()}}
        if shares is not None:
            piece["influence"] = _influence_sums(shares, cols["dim_g"], w)
        out = add_statistics(out, piece) if "sums" in out else {**out, **piece}
    return out


def _zone_sums(prep: Prepared, n_dims: int) -> dict[str, Any]:
    """A partition's zone-of-tolerance sums: the moment sums of every array of
    :func:`~csimodels.servqual.zone.zone_rows`, for items (``item_``) and dimension
    scores (``dim_``), and the counts of inverted zones (pairs, respondents)."""
    from csimodels.servqual.zone import zone_rows

    p_all, d_all, a_all = (prep.batteries[k] for k in ("perception", "desired", "adequate"))
    out: dict[str, Any] = {}
    for start in range(0, max(p_all.shape[0], 1), ROW_CHUNK):
        rows = slice(start, start + ROW_CHUNK)
        w = None if prep.weights is None else prep.weights[rows]
        p, d, a = p_all[rows], d_all[rows], a_all[rows]
        with np.errstate(invalid="ignore"):
            flipped = d < a
        sums: dict[str, Any] = {}
        for prefix, batteries in (
            ("item_", (p, a, d)),
            ("dim_", tuple(eng.dimension_scores(x, prep.owner, n_dims)[0] for x in (p, a, d))),
        ):
            for name, x in zone_rows(*batteries).items():
                sums[prefix + name] = eng.moment_sums(x, w)
        piece = {
            "sums": sums,
            "inverted": np.array([flipped.sum(), flipped.any(axis=1).sum()], dtype=np.int64),
        }
        out = add_statistics(out, piece) if out else piece
    return out


# ---------------------------------------------------------------------------
# from the combined sums to the result's pieces
# ---------------------------------------------------------------------------


def _one(sums: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: np.atleast_1d(v) for k, v in sums.items()}


def scores_from_sums(
    stats: dict[str, Any], *, n_dims: int, owner: np.ndarray, level: float
) -> _Scores:
    """The in-memory ``_Scores`` of a sample, from its combined sums."""
    from csimodels.servqual.gap import _Scores, overall_table

    s = stats["sums"]
    mean = eng.means_from_sums
    item = eng.stats_from_sums(s["g"], level)
    item_e, item_p = mean(s["e"]), mean(s["p"])
    if bool(np.any(s["g"]["n"] < stats["counts"].n_kept)):  # some gap missing
        dim_e, dim_p = mean(s["dim_e"]), mean(s["dim_p"])
    else:  # complete answers: the mean of dimension scores is the mean of item means
        dim_e = np.array([item_e[owner == d].mean() for d in range(n_dims)])
        dim_p = np.array([item_p[owner == d].mean() for d in range(n_dims)])
    rows: dict[str, list[float]] = {}
    for name in ("unweighted", "item_mean"):
        rows[name] = eng.stats_from_sums(_one(s[name]), level).first_row()
    n_imp = contrib_pr = contrib_ag = np.full(n_dims, np.nan)
    if "per_respondent" in s:
        rows["weighted_per_respondent"] = eng.stats_from_sums(
            _one(s["per_respondent"]), level
        ).first_row()
        inf = stats["influence"]
        n_ok = int(inf["n"])
        sbar, gbar = mean(s["s_ok"]), mean(s["g_ok"])
        if n_ok >= 2:
            estimate = float(sbar @ gbar)
            v = np.concatenate([gbar, sbar, [-2.0 * estimate]])
            m = float(v @ inf["wz"]) / inf["w"]
            ssw = max(
                float(v @ inf["w2zz"] @ v) - 2 * m * float(v @ inf["w2z"]) + m * m * inf["w2"],
                0.0,
            )
            se = float(np.sqrt(n_ok / (n_ok - 1) * ssw) / inf["w"])
            crit = float(sps.t.ppf(0.5 + level / 2, n_ok - 1))
            t = estimate / se if se > 0 else float("nan")
            pv = float(2 * sps.t.sf(abs(t), n_ok - 1)) if se > 0 else float("nan")
            rows["weighted_aggregate"] = [
                estimate, se, estimate - crit * se, estimate + crit * se, t, pv, n_ok,
            ]  # fmt: skip
        else:
            rows["weighted_aggregate"] = [np.nan] * 6 + [n_ok]
        if n_ok:
            n_imp = mean(s["shares"])
            contrib_pr = mean(s["sg_ok"])
            contrib_ag = sbar * gbar
    return _Scores(
        item_e=item_e,
        item_p=item_p,
        item=item,
        dim_e=dim_e,
        dim_p=dim_p,
        dim=eng.stats_from_sums(s["dim_g"], level),
        importance=n_imp,
        contrib_per_respondent=contrib_pr,
        contrib_aggregate=contrib_ag,
        overall=overall_table(rows),
    )


def alphas_from_sums(
    stats: dict[str, Any], battery: str, *, n_dims: int, owner: np.ndarray
) -> np.ndarray:
    """Cronbach's alpha of every dimension on its complete answers (as in memory)."""
    items = stats["sums"][f"alpha_{battery}_items"]
    total = stats["sums"][f"alpha_{battery}_sum"]
    item_var = eng.variances_from_sums(items)
    sum_var = eng.variances_from_sums(total)
    out = np.full(n_dims, np.nan)
    for d in range(n_dims):
        k = int((owner == d).sum())
        if k >= 2 and total["n"][d] >= 2 and sum_var[d] > 0:
            out[d] = k / (k - 1) * (1.0 - item_var[owner == d].sum() / sum_var[d])
    return out


def prepared_from_sums(model: Any, stats: dict[str, Any], weight: str | None) -> Prepared:
    """A :class:`Prepared` without rows: what a result needs besides the scores."""
    from csimodels.servqual._prepare import importance_columns

    counts = stats["counts"]
    exclusions = stats["exclusions"].sort_values(POSITION, kind="stable")
    exclusions = exclusions.drop(columns=POSITION)[EXCLUSION_COLUMNS]
    inst = model.instrument
    dims = list(inst.dimensions)
    notes: list[str] = []
    survey_notes(
        notes,
        counts,
        exclusions,
        model=type(model).__name__,
        missing=model.missing,
        points_total=getattr(model, "points_total", 100.0),
    )
    owner = np.array([dims.index(inst.dimension_of(i)) for i in inst.items], dtype=np.intp)
    report = MissingDataReport(
        strategy=model.missing,
        n_rows=counts.n_rows,
        n_rows_used=counts.n_kept,
        n_rows_dropped=counts.n_rows - counts.n_kept,
    )
    return Prepared(
        batteries={},
        importance=None,
        weights=None,
        rows=pd.Index([]),
        groups=None,
        owner=owner,
        columns={role: inst.columns(code) for role, code in model._batteries().items()},
        importance_columns=importance_columns(
            inst, getattr(model, "importance", None), type(model).__name__
        ),
        scale=model.scale,
        report=report,
        exclusions=exclusions,
        notes=notes,
        reversed_items=[i for i in inst.items if i in inst.reverse_scored],
        counts=counts,
    )


def fit_dask(
    model: SERVQUAL | SERVPERF | ZoneOfTolerance,
    ddf: Any,
    *,
    by: Any,
    weight: str | None,
    on_error: Any,
    options: Mapping[str, Any],
) -> Any:
    """``SERVQUAL(...).fit(dask_frame)`` / SERVPERF / ZoneOfTolerance: the pooled result,
    or segments."""
    from csimodels.segments import as_by
    from csimodels.servqual._prepare import importance_columns

    name = type(model).__name__
    owner = f"{name}.fit"
    if getattr(model, "test", "t") == "wilcoxon":
        raise refuse_rows(owner, "test='wilcoxon' (ranks of all respondents)", "use test='t'")
    if getattr(model, "confirmatory", "none") != "none":
        raise refuse_rows(
            owner,
            "confirmatory= (a factor analysis of the item scores)",
            "fit the dimension structure with csimodels.CBSEM(...).fit(dask_frame), which "
            "runs from the moments out of core",
        )
    columns = () if by is None else as_by(by, owner=owner)
    inst = model.instrument
    needed = [c for code in model._batteries().values() for c in inst.columns(code)]
    needed += importance_columns(inst, getattr(model, "importance", None), name)
    needed += [weight] if weight else []
    groups = partition_statistics(
        ddf,
        needed,
        partial(_partition, model, weight, dict(options)),
        owner=owner,
        by=columns,
        positions=True,
    )

    def finish(stats: dict[str, Any] | None, segment: str | None) -> Any:
        from csimodels.errors import DataValidationError

        if stats is None:
            raise DataValidationError(f"{owner}: segment {segment!r} has no rows")
        prep = prepared_from_sums(model, stats, weight)
        return model._from_sums(prep, stats, weight)

    return fit_statistics(
        groups,
        finish,
        by=columns,
        owner=owner,
        min_segment_size=2,
        on_error=on_error,
        headline=("dimensions",),
        settings={"model": name},
    )
