"""Reliability and item analysis: Cronbach's alpha (raw, standardised, with intervals),
McDonald's omega total, item–total correlations, alpha if item deleted, inter-item
correlations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from pydantic import Field

from csimodels._lazy import lazy_module
from csimodels._settings import Settings
from csimodels.data._dask_tasks import as_dask_source
from csimodels.data.survey import SurveyData
from csimodels.errors import (
    DataQualityWarning,
    DataValidationError,
    InvalidParameterError,
    format_offenders,
)
from csimodels.explore import _extraction as ext
from csimodels.explore._dask import prepare_out_of_core, refuse_by
from csimodels.explore._factorability import smc
from csimodels.explore._prepare import Prepared, prepare, to_survey
from csimodels.explore.efa import max_identified_factors
from csimodels.results import Frame, Result, SegmentedResult, warn_and_note
from csimodels.segments import fit_by

stats = lazy_module("scipy.stats")

__all__ = ["Reliability", "ReliabilityResult"]

FloatArray = NDArray[np.float64]


def _alpha_parts(c: FloatArray) -> tuple[float, float, float]:
    """(raw alpha, standardised alpha, average inter-item correlation) of a covariance."""
    k = c.shape[0]
    d = np.sqrt(np.diag(c))
    r = c / np.outer(d, d)
    raw = (1.0 - np.trace(c) / c.sum()) * k / (k - 1.0)
    std = (1.0 - k / r.sum()) * k / (k - 1.0)
    avg = (r.sum() - k) / (k * (k - 1.0))
    return float(raw), float(std), float(avg)


def _alpha_ase(c: FloatArray, n: int) -> float:
    """Duhachek and Iacobucci's (2004) asymptotic standard error of alpha (psych's ase)."""
    k = c.shape[0]
    s = c.sum()
    q = (2.0 * k**2 / ((k - 1.0) ** 2 * s**3)) * (
        s * (np.trace(c @ c) + np.trace(c) ** 2) - 2.0 * np.trace(c) * (c @ c).sum()
    )
    return float(np.sqrt(q / n))


def _omega_total(r: FloatArray, n_factors: int) -> tuple[float, bool]:
    """ω total = 1 − Σu² / ΣR with u² from a minres factor solution (psych's omega)."""
    ex = ext.minres(r, n_factors, tol=1e-12, max_iter=10_000)
    u2 = 1.0 - ex.communalities
    return float(1.0 - u2.sum() / r.sum()), ex.converged


class Reliability(Settings):
    """Internal consistency and item analysis of one or more scales.

    For each scale: Cronbach's alpha on covariances (raw) and on correlations
    (standardised), its confidence interval (Feldt 1965, and Duhachek–Iacobucci's
    asymptotic standard error), McDonald's omega total from a minimum-residual factor
    solution, Guttman's λ6, the average inter-item correlation; per item: mean, sd,
    item–total correlation, corrected item–total correlation (item against the sum of
    the others), alpha and standardised alpha if the item is deleted. The numbers are
    those of R psych's ``alpha()`` and ``omega()``.

    Attributes
    ----------
    level : float
        Confidence level of the alpha interval (0.95).
    omega_factors : int
        Group factors of the omega solution (1: the scale is one factor; psych's
        ``omega()`` default is 3, which needs at least 6 items).
    min_item_total : float
        Items whose corrected item–total correlation is below this are flagged (0.3).
    missing : {"listwise", "mean"}
        Respondents with a missing answer are dropped (per scale), or missing answers
        replaced by the item mean.

    Examples
    --------
    >>> import csimodels as csi
    >>> sim = csi.explore.simulate_factor_data(n=400, random_state=2)
    >>> res = csi.Reliability().fit(sim.data, scales={"A": ["A1", "A2", "A3", "A4"]})
    >>> bool(res.scales.loc["A", "alpha"] > 0.7)
    True
    """

    level: float = Field(default=0.95, gt=0.0, lt=1.0)
    omega_factors: int = Field(default=1, ge=1)
    min_item_total: float = Field(default=0.3, ge=-1.0, le=1.0)
    missing: Literal["listwise", "mean"] = "listwise"

    def fit(
        self,
        data: SurveyData | pd.DataFrame,
        *,
        items: Sequence[str] | None = None,
        scales: Mapping[str, Sequence[str]] | None = None,
        weight: str | None = None,
        by: str | Sequence[str] | None = None,
        on_error: Literal["skip", "raise"] = "skip",
        n_jobs: int = 1,
        **data_options: Any,
    ) -> ReliabilityResult | SegmentedResult:
        """Analyse the scales of ``data``.

        Parameters
        ----------
        data : SurveyData, DataFrame, dask DataFrame or parquet path
            One row per respondent; not modified. A dask DataFrame or a parquet path
            is analysed out of core from per-partition covariance sums (``items`` or
            ``scales`` required; no ``by``).
        items : list of str, optional
            One scale made of these items.
        scales : dict of name to items, optional
            Several scales. Default: ``items`` as one scale named ``"scale"``, else the
            survey's constructs, else all its items as one scale.
        weight : str, optional
            Respondent-weight column of a DataFrame (weighted covariances).
        by : str or list of str, optional
            Segment column(s): one result per segment and the pooled one.

        Raises
        ------
        DataValidationError
            A scale with fewer than 2 items, a constant item, fewer respondents than
            items, unknown columns.
        """
        owner = "Reliability.fit"
        if items is not None and scales is not None:
            raise DataValidationError(f"{owner}: give items or scales, not both")
        wanted: list[str] | None = None
        if scales is not None:
            wanted = list(dict.fromkeys(i for v in scales.values() for i in v))
        elif items is not None:
            wanted = list(items)
        source = as_dask_source(data, owner=owner)
        if source is not None:
            if by is not None:
                raise refuse_by(owner)
            if wanted is None:
                raise InvalidParameterError(
                    f"{owner} on a dask DataFrame or parquet path needs items= or scales= "
                    "(the item columns of each scale)"
                )
        segs = [] if by is None else ([by] if isinstance(by, str) else list(by))
        survey = (
            None
            if source is not None
            else to_survey(
                data, wanted, owner=owner, weight=weight, segments=segs, options=data_options
            )
        )
        if scales is not None:
            plan = {str(k): list(v) for k, v in scales.items()}
        elif items is not None:
            plan = {"scale": list(items)}
        elif survey is not None and survey.constructs:
            plan = {k: list(v) for k, v in survey.constructs.items()}
        else:
            assert survey is not None
            plan = {"scale": list(survey.items)}
        if source is not None:
            preps: dict[str, Prepared] = {}
            labels: dict[str, str] = {}
            for name, scale_items in plan.items():
                preps[name], found = prepare_out_of_core(
                    source,
                    scale_items,
                    owner=f"{owner} (scale {name!r})",
                    missing=self.missing,
                    weight=weight,
                    options=data_options,
                    check_singular=False,
                )
                labels |= found
            return self._from_prepared(preps, labels, weight, plan)
        assert survey is not None
        if by is not None:
            return fit_by(
                survey,
                by,
                lambda part: self._fit(part, plan),
                owner=owner,
                min_segment_size=max(len(v) for v in plan.values()) + 2,
                on_error=on_error,
                n_jobs=n_jobs,
                pooled=self._fit(survey, plan),
                headline=("scales",),
                settings={"model": "Reliability"},
            )
        return self._fit(survey, plan)

    def _fit(self, survey: SurveyData, plan: dict[str, list[str]]) -> ReliabilityResult:
        owner = "Reliability.fit"
        preps = {
            name: prepare(
                survey,
                items,
                owner=f"{owner} (scale {name!r})",
                missing=self.missing,
                check_singular=False,
            )
            for name, items in plan.items()
        }
        return self._from_prepared(preps, survey.labels(), survey.weight, plan)

    def _from_prepared(
        self,
        preps: Mapping[str, Prepared],
        labels: dict[str, str],
        weight: str | None,
        plan: dict[str, list[str]],
    ) -> ReliabilityResult:
        """The analysis from each scale's item correlations (in memory or out of core)."""
        notes: list[str] = []
        scale_rows: list[dict[str, Any]] = []
        item_frames: list[pd.DataFrame] = []
        correlations: dict[str, pd.DataFrame] = {}
        z = stats.norm.ppf(0.5 + self.level / 2.0)
        for name, items in plan.items():
            prep = preps[name]
            r, means, sds, n = prep.correlation, prep.means, prep.sds, prep.n
            k = len(items)
            c = r * np.outer(sds, sds)
            raw, std, avg = _alpha_parts(c)
            ase = _alpha_ase(c, n)
            df1, df2 = n - 1.0, (n - 1.0) * (k - 1.0)
            lo = 1.0 - (1.0 - raw) * stats.f.ppf(0.5 + self.level / 2.0, df1, df2)
            hi = 1.0 - (1.0 - raw) * stats.f.ppf(0.5 - self.level / 2.0, df1, df2)
            if k >= 3 and self.omega_factors <= max_identified_factors(k, "minres"):
                omega, omega_ok = _omega_total(r, self.omega_factors)
            else:
                omega, omega_ok = float("nan"), True
                notes.append(
                    f"scale {name!r}: omega with {self.omega_factors} factor(s) needs more "
                    f"than {k} items; not computed"
                )
            # the respondents' mean score: its mean and sd from the item means and covariances
            t_mean = float(means.mean())
            t_sd = float(np.sqrt(c.sum()) / k)
            lambda6 = float(1.0 - (k - smc(r).sum()) / r.sum())
            scale_rows.append(
                {
                    "scale": name,
                    "n_items": k,
                    "n": n,
                    "alpha": raw,
                    "alpha_std": std,
                    "ci_lower": lo,
                    "ci_upper": hi,
                    "ase": ase,
                    "ase_ci_lower": raw - z * ase,
                    "ase_ci_upper": raw + z * ase,
                    "omega_total": omega,
                    "lambda6": lambda6,
                    "average_r": avg,
                    "mean": t_mean,
                    "sd": t_sd,
                }
            )
            # item statistics
            tot_c = c.sum()
            raw_r = np.empty(k)
            r_drop = np.empty(k)
            a_drop = np.full(k, np.nan)
            s_drop = np.full(k, np.nan)
            avg_drop = np.full(k, np.nan)
            for i in range(k):
                keep = np.arange(k) != i
                cov_it = c[i].sum()
                raw_r[i] = cov_it / np.sqrt(c[i, i] * tot_c)
                rest = c[np.ix_(keep, keep)]
                r_drop[i] = (cov_it - c[i, i]) / np.sqrt(c[i, i] * rest.sum())
                if k > 2:
                    a_drop[i], s_drop[i], avg_drop[i] = _alpha_parts(rest)
                else:
                    a_drop[i] = s_drop[i] = float("nan")
            std_r = r.sum(axis=0) / np.sqrt(r.sum())
            frame = pd.DataFrame(
                {
                    "label": pd.array([labels.get(i, i) for i in items], dtype="str"),
                    "mean": means,
                    "sd": sds,
                    "item_total": raw_r,
                    "item_total_std": std_r,
                    "item_total_corrected": r_drop,
                    "alpha_if_deleted": a_drop,
                    "alpha_std_if_deleted": s_drop,
                    "average_r_if_deleted": avg_drop,
                    "flag_low_item_total": r_drop < self.min_item_total,
                },
                index=pd.MultiIndex.from_arrays([[name] * k, items], names=["scale", "item"]),
            )
            item_frames.append(frame)
            correlations[name] = pd.DataFrame(
                r, index=pd.Index(items, name="item"), columns=pd.Index(items)
            )
            low = [items[i] for i in np.flatnonzero(r_drop < self.min_item_total)]
            if low:
                warn_and_note(
                    notes,
                    f"scale {name!r}: item {format_offenders(low)} has a corrected item-total "
                    f"correlation below {self.min_item_total} (reverse-coded, or measuring "
                    "something else?)",
                    DataQualityWarning,
                )
            better = [items[i] for i in np.flatnonzero(a_drop > raw + 1e-12)]
            if better:
                notes.append(
                    f"scale {name!r}: alpha rises if {format_offenders(better)} is deleted"
                )
            if not omega_ok:
                notes.append(f"scale {name!r}: the omega factor solution did not converge")
        scales_tab = pd.DataFrame(scale_rows).set_index("scale")
        return ReliabilityResult(
            scales=scales_tab,
            items=pd.concat(item_frames),
            correlations=correlations,
            settings={
                "model": "Reliability",
                "level": self.level,
                "omega_factors": self.omega_factors,
                "min_item_total": self.min_item_total,
                "missing": self.missing,
                "weight": weight,
                "n_used": int(scales_tab["n"].min()),
                "scales": {k: list(v) for k, v in plan.items()},
            },
            notes=tuple(notes),
        )


class ReliabilityResult(Result):
    """Reliability of each scale and statistics of each item.

    Attributes
    ----------
    scales : DataFrame, index scale
        ``n_items``, ``n`` respondents, ``alpha`` (raw, on covariances),
        ``alpha_std`` (on correlations), ``ci_lower``/``ci_upper`` (Feldt's interval
        at ``level``), ``ase`` (asymptotic standard error) with
        ``ase_ci_lower``/``ase_ci_upper`` (alpha ± z·ase), ``omega_total``
        (McDonald's ω total, 1 − Σu²/ΣR), ``lambda6`` (Guttman's λ6 from the SMCs),
        ``average_r`` (mean inter-item correlation), ``mean`` and ``sd`` of the
        respondents' mean score.
    items : DataFrame, index (scale, item)
        ``label``, ``mean``, ``sd``, ``item_total`` (correlation of the item with the
        scale score, psych's raw.r), ``item_total_std`` (the same from correlations,
        std.r), ``item_total_corrected`` (with the sum of the other items, r.drop),
        ``alpha_if_deleted``, ``alpha_std_if_deleted``, ``average_r_if_deleted``, and
        ``flag_low_item_total`` (corrected correlation below ``min_item_total``).
    correlations : dict of scale to DataFrame
        The inter-item correlation matrix of each scale.

    Examples
    --------
    >>> import csimodels as csi
    >>> sim = csi.explore.simulate_factor_data(n=400, random_state=2)
    >>> res = csi.Reliability().fit(sim.data, items=["B1", "B2", "B3", "B4"])
    >>> res.items.loc["scale"].shape[0]
    4
    """

    scales: Frame
    items: Frame
    correlations: dict[str, Frame] = Field(default_factory=dict)

    _title: ClassVar[str] = "Reliability and item analysis"

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        s = self.settings
        header: list[tuple[str, object]] = [
            ("Scales", len(self.scales)),
            ("Respondents used", s.get("n_used")),
            ("Confidence level", s.get("level")),
            ("Omega factors", s.get("omega_factors")),
            ("Weighted", "yes (" + str(s["weight"]) + ")" if s.get("weight") else "no"),
        ]
        cols = [
            "n_items",
            "n",
            "alpha",
            "alpha_std",
            "ci_lower",
            "ci_upper",
            "omega_total",
            "average_r",
        ]
        item_cols = ["mean", "sd", "item_total_corrected", "alpha_if_deleted"]
        return header, {"Scales": self.scales[cols], "Items": self.items[item_cols]}
