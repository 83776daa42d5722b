"""Exploratory factor analysis: factorability, number of factors, extraction, rotation,
factor scores, flags, suggested names and the hand-off to a confirmatory ModelSpec."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from csimodels._settings import Settings
from csimodels.data._dask_tasks import as_dask_source
from csimodels.data.survey import SurveyData
from csimodels.errors import (
    ConvergenceWarning,
    DataQualityWarning,
    InvalidParameterError,
    SpecificationError,
    format_offenders,
)
from csimodels.explore import _extraction as ext
from csimodels.explore import _factorability as fz
from csimodels.explore import _rotation as rot
from csimodels.explore._dask import prepare_out_of_core, refuse_by
from csimodels.explore._prepare import Prepared, prepare, to_survey
from csimodels.explore._scores import SCORE_METHODS, score_weights, suggest_name
from csimodels.inference import MAX_RESAMPLES, resolve_random_state
from csimodels.results import Frame, Result, SegmentedResult, SeriesTable, warn_and_note
from csimodels.segments import fit_by

if TYPE_CHECKING:
    from csimodels.sem.spec import ModelSpec

__all__ = ["EFA", "EXTRACTIONS", "FACTOR_RULES", "ROTATIONS", "EFAResult", "kmo_label"]

EXTRACTIONS = ext.EXTRACTIONS
ROTATIONS = rot.ROTATIONS
FACTOR_RULES: tuple[str, ...] = ("parallel", "kaiser", "map")

_KMO_LABELS = (
    (0.9, "marvelous"),
    (0.8, "meritorious"),
    (0.7, "middling"),
    (0.6, "mediocre"),
    (0.5, "miserable"),
    (-np.inf, "unacceptable"),
)


def kmo_label(value: float) -> str:
    """Kaiser's (1974) verbal rating of a KMO / MSA value.

    Examples
    --------
    >>> kmo_label(0.86), kmo_label(0.42)
    ('meritorious', 'unacceptable')
    """
    for bound, label in _KMO_LABELS:
        if value >= bound:
            return label
    return "unacceptable"


def max_identified_factors(p: int, extraction: str) -> int:
    """Most factors the data identify: p components; for common factors the Ledermann
    bound (the largest k with ((p − k)² − (p + k)) / 2 ≥ 0)."""
    if extraction == "pca":
        return p
    k = 0
    while ((p - (k + 1)) ** 2 - (p + k + 1)) >= 0:
        k += 1
    return k


class EFA(Settings):
    """Exploratory factor analysis of a battery of items, as practitioners report it.

    Fitting checks factorability (KMO per item and overall, Bartlett's test of
    sphericity), decides how many factors to keep when ``n_factors`` is None
    (Horn's parallel analysis by default, or Kaiser's eigenvalue-above-one rule or
    Velicer's MAP), extracts them (principal components, principal axis, minimum
    residual or maximum likelihood), rotates them (varimax, quartimax, promax, oblimin,
    geomin), and reports loadings (pattern and structure), communalities,
    uniquenesses, factor correlations, variance explained, factor-score weights,
    cross-loading and low-communality flags, and a suggested name per factor from
    the labels of its top-loading items. The algorithms are those of R psych's
    ``fa()`` and ``principal()``, run to convergence (psych's defaults stop early).

    Attributes
    ----------
    n_factors : int, optional
        Factors to extract; None decides by ``factor_rule``.
    extraction : {"minres", "pa", "ml", "pca"}
        Minimum residual (psych's default), principal axis (iterated from SMCs),
        maximum likelihood, or principal components (SPSS's default "principal
        components" extraction).
    rotation : {"oblimin", "promax", "varimax", "quartimax", "geomin", "none"}
        Oblique rotations (oblimin, promax, geomin) give factor correlations ``phi``.
    normalize : bool, optional
        Kaiser normalisation (rows scaled to unit length while rotating). None does
        what psych's ``fa()`` does: normalised varimax and promax, raw quartimax,
        oblimin and geomin.
    factor_rule : {"parallel", "kaiser", "map"}
        How ``n_factors=None`` is decided: parallel analysis on component eigenvalues
        (Horn 1965; the observed eigenvalue must exceed the ``parallel_quantile`` of
        eigenvalues of random normal data of the same size), eigenvalues above 1
        (Kaiser 1960) or the minimum average partial (Velicer 1976).
    parallel_draws : int
        Random data sets simulated for parallel analysis (0 skips it, unless the rule
        needs it). Draws are Wishart matrices, batched, so the cost does not grow with
        the number of respondents.
    parallel_quantile : float
        Quantile of the simulated eigenvalues compared (0.95, Glorfeld 1995; 0.5 is
        close to Horn's mean).
    max_factors : int, optional
        Largest number of factors the rules may suggest (default: the data's limit).
    promax_power, oblimin_gamma, geomin_delta : float
        Rotation parameters (4, 0 = quartimin, 0.01).
    tol, max_iter : float, int
        Extraction convergence: change of the communality sum (pa) or projected
        gradient (minres, ml); iteration limit.
    rotation_tol : float
        Rotation convergence: gradient norm of the rotation criterion.
    loading_cutoff : float
        A loading is salient at or above this in absolute value (0.4).
    cross_loading_cutoff : float
        An item cross-loads when its second largest absolute loading reaches this (0.3).
    communality_cutoff : float
        An item has low communality below this (0.4).
    missing : {"listwise", "pairwise", "mean"}
        Missing answers: complete respondents only, pairwise-complete correlations,
        or item-mean replacement.

    Examples
    --------
    >>> import csimodels as csi
    >>> sim = csi.explore.simulate_factor_data(n=500, random_state=1)
    >>> res = csi.EFA(rotation="varimax").fit(sim.data, random_state=3)
    >>> res.settings["n_factors"], res.settings["n_factors_rule"]
    (3, 'parallel')
    >>> bool(res.kmo.loc["(overall)", "msa"] > 0.7)
    True
    """

    n_factors: int | None = Field(default=None, ge=1)
    extraction: Literal["minres", "pa", "ml", "pca"] = "minres"
    rotation: Literal["oblimin", "promax", "varimax", "quartimax", "geomin", "none"] = "oblimin"
    normalize: bool | None = None
    factor_rule: Literal["parallel", "kaiser", "map"] = "parallel"
    parallel_draws: int = Field(default=100, ge=0, le=MAX_RESAMPLES)
    parallel_quantile: float = Field(default=0.95, gt=0.0, lt=1.0)
    max_factors: int | None = Field(default=None, ge=1)
    promax_power: float = Field(default=4.0, gt=1.0)
    oblimin_gamma: float = 0.0
    geomin_delta: float = Field(default=0.01, gt=0.0)
    tol: float = Field(default=1e-12, gt=0.0)
    rotation_tol: float = Field(default=1e-8, gt=0.0)
    max_iter: int = Field(default=10_000, ge=1)
    loading_cutoff: float = Field(default=0.4, gt=0.0, lt=1.0)
    cross_loading_cutoff: float = Field(default=0.3, gt=0.0, lt=1.0)
    communality_cutoff: float = Field(default=0.4, gt=0.0, lt=1.0)
    missing: Literal["listwise", "pairwise", "mean"] = "listwise"

    @model_validator(mode="after")
    def _check(self) -> EFA:
        if self.factor_rule == "parallel" and self.n_factors is None and self.parallel_draws < 10:
            raise ValueError(
                "factor_rule='parallel' with n_factors=None needs parallel_draws >= 10, got "
                f"{self.parallel_draws}; pass n_factors or more draws"
            )
        return self

    def fit(
        self,
        data: SurveyData | pd.DataFrame,
        *,
        items: Sequence[str] | None = None,
        weight: str | None = None,
        by: str | Sequence[str] | None = None,
        random_state: int | np.random.Generator | None = None,
        on_error: Literal["skip", "raise"] = "skip",
        n_jobs: int = 1,
        **data_options: Any,
    ) -> EFAResult | SegmentedResult:
        """Fit the factor model to ``items`` of ``data``.

        Parameters
        ----------
        data : SurveyData, DataFrame, dask DataFrame or parquet path
            One row per respondent; a DataFrame goes through
            :meth:`SurveyData.coerce` with ``data_options``. Not modified. A dask
            DataFrame or a parquet path is fitted out of core from per-partition
            correlation sums (``items`` required; no ``by``); the result equals the
            in-memory fit of the same rows.
        items : list of str, optional
            The battery (default: every item of the survey).
        weight : str, optional
            Respondent-weight column of a DataFrame (weighted correlations).
        by : str or list of str, optional
            Segment column(s): a :class:`~csimodels.results.SegmentedResult` with the
            pooled fit and one per segment, each fitted as it would be alone (with
            ``n_factors=None`` each segment applies the rule itself; pass ``n_factors``
            for solutions with the same number of factors).
        random_state : int or Generator, optional
            Seed of the parallel analysis (drawn and recorded when None).
        on_error, n_jobs : optional
            With ``by``: failure policy and joblib jobs of the segment fits.

        Raises
        ------
        DataValidationError
            Fewer respondents than items, a constant item, duplicated or linearly
            dependent items (named), missing columns.
        SpecificationError
            More factors than the data identify.

        Warns
        -----
        DataQualityWarning
            Heywood cases, low KMO, Bartlett's test not significant.
        ConvergenceWarning
            Extraction or rotation stopped at ``max_iter``.
        """
        owner = "EFA.fit"
        seed = resolve_random_state(random_state, owner=owner)
        source = as_dask_source(data, owner=owner)
        if source is not None:
            if by is not None:
                raise refuse_by(owner)
            prep, labels = prepare_out_of_core(
                source,
                items,
                owner=owner,
                missing=self.missing,
                weight=weight,
                options=data_options,
                min_items=3,
            )
            return self._from_prepared(prep, labels, weight, seed)
        segs = [] if by is None else ([by] if isinstance(by, str) else list(by))
        survey = to_survey(
            data, items, owner=owner, weight=weight, segments=segs, options=data_options
        )
        chosen = list(survey.items if items is None else items)
        if by is not None:
            return fit_by(
                survey,
                by,
                lambda part: self._fit(part, chosen, seed),
                owner=owner,
                min_segment_size=len(chosen) + 2,
                on_error=on_error,
                n_jobs=n_jobs,
                pooled=self._fit(survey, chosen, seed),
                headline=("variance",),
                settings={"model": "EFA"},
            )
        return self._fit(survey, chosen, seed)

    # -- the fit ---------------------------------------------------------------------
    def _fit(self, survey: SurveyData, items: list[str], seed: int) -> EFAResult:
        owner = "EFA.fit"
        prep = prepare(survey, items, owner=owner, missing=self.missing, min_items=3)
        return self._from_prepared(prep, survey.labels(), survey.weight, seed)

    def _from_prepared(
        self, prep: Prepared, labels: dict[str, str], weight: str | None, seed: int
    ) -> EFAResult:
        """The fit from the item correlations (in memory or out of core alike)."""
        notes: list[str] = []
        if prep.report.n_rows_dropped:
            notes.append(prep.report.describe())
        r, n, names = prep.correlation, prep.n, list(prep.items)
        p = len(names)
        item_labels = [labels.get(i, i) for i in names]
        limit = max_identified_factors(p, self.extraction)
        if self.n_factors is not None and self.n_factors > limit:
            raise SpecificationError(
                f"EFA: n_factors={self.n_factors} is more than {p} items identify with "
                f"extraction={self.extraction!r} (at most {limit}: the model needs "
                "((p - k)^2 - (p + k)) / 2 >= 0 degrees of freedom); ask for fewer factors"
            )
        max_k = min(limit, self.max_factors or limit, p - 1)
        max_k = max(max_k, 1)

        # factorability
        k_stats = fz.kmo(r)
        bart = fz.bartlett(r, n)
        kmo_tab = pd.DataFrame(
            {
                "msa": [*k_stats.msa.tolist(), k_stats.overall],
                "rating": [kmo_label(v) for v in [*k_stats.msa.tolist(), k_stats.overall]],
            },
            index=pd.Index([*names, "(overall)"], name="item"),
        )
        if k_stats.overall < 0.6:
            warn_and_note(
                notes,
                f"KMO = {k_stats.overall:.3f} ({kmo_label(k_stats.overall)}): the items share "
                "little common variance; a factor analysis may not be meaningful",
                DataQualityWarning,
            )
        low_msa = [names[j] for j in np.flatnonzero(k_stats.msa < 0.5)]
        if low_msa:
            warn_and_note(
                notes,
                f"item {format_offenders(low_msa)} has MSA below 0.5; consider dropping it",
                DataQualityWarning,
            )
        if bart.p_value > 0.05:
            warn_and_note(
                notes,
                f"Bartlett's test of sphericity is not significant (p = {bart.p_value:.3g}): "
                "the correlation matrix may be an identity matrix",
                DataQualityWarning,
            )

        # number of factors
        ev = fz.eigenvalues(r)
        red = fz.reduced_eigenvalues(r)
        map_values = fz.map_test(r, max(1, min(p - 1, 20)))
        parallel_tab: pd.DataFrame | None = None
        pc_q = fa_q = None
        draws = self.parallel_draws
        if draws > 0:
            pcs, fas = fz.parallel_analysis(n, p, draws, seed)
            pc_q = np.quantile(pcs, self.parallel_quantile, axis=0)
            fa_q = np.quantile(fas, self.parallel_quantile, axis=0)
            parallel_tab = pd.DataFrame(
                {
                    "observed_pc": ev,
                    "simulated_pc_mean": pcs.mean(axis=0),
                    "simulated_pc_quantile": pc_q,
                    "observed_fa": red,
                    "simulated_fa_mean": fas.mean(axis=0),
                    "simulated_fa_quantile": fa_q,
                },
                index=pd.RangeIndex(1, p + 1, name="factor"),
            )
        rules = _factor_rules(ev, red, pc_q, fa_q, map_values, max_k)
        if self.n_factors is not None:
            k = self.n_factors
            rule_used = "given"
        else:
            suggested = int(rules["n_factors"].to_dict()[self.factor_rule])
            k = max(1, suggested)
            rule_used = self.factor_rule
            if suggested == 0:
                notes.append(
                    f"the {self.factor_rule} rule suggests no factor; one factor was extracted"
                )
        eig_tab = pd.DataFrame(
            {
                "eigenvalue": ev,
                "proportion": ev / p,
                "cumulative": np.cumsum(ev) / p,
                "reduced_eigenvalue": red,
            },
            index=pd.RangeIndex(1, p + 1, name="factor"),
        )

        # extraction and rotation
        ex = ext.extract(r, k, self.extraction, tol=self.tol, max_iter=self.max_iter)
        if not ex.converged:
            warn_and_note(
                notes,
                f"{self.extraction} extraction did not converge in {ex.iterations} "
                f"iterations; raise max_iter or check the items",
                ConvergenceWarning,
            )
        normalize = rot.PSYCH_NORMALIZE[self.rotation] if self.normalize is None else self.normalize
        rt = rot.rotate(
            ex.loadings,
            self.rotation,
            normalize=normalize,
            tol=self.rotation_tol,
            max_iter=self.max_iter,
            power=self.promax_power,
            gamma=self.oblimin_gamma,
            delta=self.geomin_delta,
        )
        if not rt.converged:
            warn_and_note(
                notes,
                f"{self.rotation} rotation did not converge in {rt.iterations} iterations",
                ConvergenceWarning,
            )
        lam, phi, _ = rot.sign_and_order(rt.loadings, rt.phi)
        h2 = ex.communalities
        heywood = [names[j] for j in np.flatnonzero(h2 >= 1.0 - 1e-9)]
        heywood += [names[j] for j in ex.at_bound if names[j] not in heywood]
        if heywood:
            warn_and_note(
                notes,
                f"Heywood case: item {format_offenders(heywood)} has a communality of 1 or "
                "more (or a uniqueness on its lower bound 0.005); the solution is improper "
                "(too many factors, too few items per factor or a near-duplicate item)",
                DataQualityWarning,
            )

        factors = [f"F{j + 1}" for j in range(k)]
        idx = pd.Index(names, name="item")
        fidx = pd.Index(factors, name="factor")
        ph = np.eye(k) if phi is None else phi
        structure = lam @ ph
        ss = np.diag(ph @ lam.T @ lam)
        variance = pd.DataFrame(
            {
                "ss_loadings": ss,
                "proportion": ss / p,
                "cumulative": np.cumsum(ss) / p,
                "proportion_explained": ss / ss.sum(),
                "cumulative_proportion": np.cumsum(ss) / ss.sum(),
            },
            index=fidx,
        )

        # flags and names
        absl = np.abs(lam)
        order = np.argsort(-absl, axis=1, kind="stable")
        primary = order[:, 0]
        first = absl[np.arange(p), primary]
        second = absl[np.arange(p), order[:, 1]] if k > 1 else np.zeros(p)
        item_tab = pd.DataFrame(
            {
                "label": pd.array(item_labels, dtype="str"),
                "factor": pd.array([factors[j] for j in primary], dtype="str"),
                "loading": lam[np.arange(p), primary],
                "second_loading": second if k > 1 else np.full(p, np.nan),
                "communality": h2,
                "salient": first >= self.loading_cutoff,
                "cross_loading": second >= self.cross_loading_cutoff,
                "low_communality": h2 < self.communality_cutoff,
            },
            index=idx,
        )
        name_rows = []
        for j in range(k):
            candidates = np.flatnonzero((primary == j) & (first >= self.loading_cutoff))
            mine = [int(i) for i in candidates[np.argsort(-absl[candidates, j], kind="stable")]]
            top = mine[:3]
            name_rows.append(
                {
                    "suggested_name": suggest_name([item_labels[i] for i in top]) if top else "",
                    "items": ", ".join(names[i] for i in mine),
                    "top_labels": " | ".join(item_labels[i] for i in top),
                    "n_items": len(mine),
                }
            )
        names_tab = pd.DataFrame(name_rows, index=fidx)
        for col in ("suggested_name", "items", "top_labels"):
            names_tab[col] = names_tab[col].astype("str")
        empty = [f for f, row in zip(factors, name_rows, strict=True) if row["n_items"] == 0]
        if empty:
            notes.append(
                f"factor {format_offenders(empty)} has no item loading at least "
                f"{self.loading_cutoff} as its largest loading; consider fewer factors"
            )

        # scores
        weights: dict[str, pd.DataFrame] = {}
        for method in SCORE_METHODS:
            with np.errstate(divide="ignore", invalid="ignore"):
                wts = score_weights(r, lam, phi, method)
            weights[method] = pd.DataFrame(wts, index=idx, columns=fidx)

        resid = r - lam @ ph @ lam.T
        np.fill_diagonal(resid, 0.0)
        fit_stats: dict[str, float] = {
            "rmsr": float(np.sqrt((resid**2).sum() / (p * (p - 1)))),
            "objective": ex.objective,
        }
        if self.extraction == "ml":
            chisq, dof, fobj = ext.ml_fit_statistics(r, ex.loadings, n)
            from scipy import stats as _st

            fit_stats |= {
                "chisq": chisq,
                "df": float(dof),
                "p_value": float(_st.chi2.sf(chisq, dof)) if dof > 0 else float("nan"),
                "ml_objective": fobj,
            }
        corr = pd.DataFrame(r, index=idx, columns=idx.rename(None))
        pvals = pd.DataFrame(fz.correlation_p_values(r, n), index=idx, columns=idx.rename(None))

        settings: dict[str, Any] = {
            "model": "EFA",
            "n_factors": k,
            "n_factors_rule": rule_used,
            "extraction": self.extraction,
            "rotation": self.rotation,
            "normalize": normalize,
            "oblique": phi is not None,
            "factor_rule": self.factor_rule,
            "parallel_draws": draws,
            "parallel_quantile": self.parallel_quantile,
            "random_state": seed,
            "missing": self.missing,
            "n_used": n,
            "n_items": p,
            "weight": weight,
            "items": names,
            "labels": item_labels,
            "loading_cutoff": self.loading_cutoff,
            "cross_loading_cutoff": self.cross_loading_cutoff,
            "communality_cutoff": self.communality_cutoff,
            "promax_power": self.promax_power,
            "oblimin_gamma": self.oblimin_gamma,
            "geomin_delta": self.geomin_delta,
            "extraction_iterations": ex.iterations,
            "extraction_converged": ex.converged,
            "rotation_iterations": rt.iterations,
            "rotation_converged": rt.converged,
            "determinant": float(np.exp(bart.log_det)),
            "log_determinant": bart.log_det,
            "kmo": k_stats.overall,
        }
        return EFAResult(
            loadings=pd.DataFrame(lam, index=idx, columns=fidx),
            structure=pd.DataFrame(structure, index=idx, columns=fidx),
            unrotated=pd.DataFrame(ex.loadings, index=idx, columns=fidx),
            communalities=pd.Series(h2, index=idx, name="communality"),
            uniquenesses=pd.Series(1.0 - h2, index=idx, name="uniqueness"),
            phi=None if phi is None else pd.DataFrame(phi, index=fidx, columns=fidx.rename(None)),
            kmo=kmo_tab,
            bartlett=pd.Series(
                {"chisq": bart.chisq, "df": float(bart.df), "p_value": bart.p_value},
                name="bartlett",
            ),
            eigenvalues=eig_tab,
            parallel=parallel_tab,
            map=pd.DataFrame(
                {"average_partial": map_values},
                index=pd.RangeIndex(1, map_values.size + 1, name="components"),
            ),
            n_factors_rules=rules,
            variance=variance,
            items=item_tab,
            factor_names=names_tab,
            regression_weights=weights["regression"],
            bartlett_weights=weights["bartlett"],
            item_means=pd.Series(prep.means, index=idx, name="mean"),
            item_sds=pd.Series(prep.sds, index=idx, name="sd"),
            correlation=corr,
            correlation_p_values=pvals,
            fit_statistics=pd.Series(fit_stats, name="fit"),
            settings=settings,
            notes=tuple(notes),
        )


def _factor_rules(
    ev: np.ndarray,
    red: np.ndarray,
    pc_q: np.ndarray | None,
    fa_q: np.ndarray | None,
    map_values: np.ndarray,
    max_k: int,
) -> pd.DataFrame:
    def leading(mask: np.ndarray) -> int:
        # the number of leading True values (the rule stops at the first failure)
        stop = np.flatnonzero(~mask)
        return int(stop[0]) if stop.size else int(mask.size)

    rows: dict[str, dict[str, Any]] = {}
    kaiser = min(leading(ev > 1.0), max_k)
    rows["kaiser"] = {
        "n_factors": kaiser,
        "reason": f"{leading(ev > 1.0)} eigenvalue(s) of the correlation matrix above 1",
    }
    if pc_q is not None and fa_q is not None:
        n_pc = leading(ev > pc_q)
        n_fa = leading(red > fa_q)
        rows["parallel"] = {
            "n_factors": min(n_pc, max_k),
            "reason": f"{n_pc} component eigenvalue(s) above those of random data",
        }
        rows["parallel_fa"] = {
            "n_factors": min(n_fa, max_k),
            "reason": f"{n_fa} reduced (common-factor) eigenvalue(s) above those of random data",
        }
    finite = np.flatnonzero(np.isfinite(map_values[:max_k]))
    if finite.size:
        best = int(finite[np.argmin(map_values[finite])]) + 1
        rows["map"] = {
            "n_factors": best,
            "reason": f"the average squared partial correlation is smallest after {best} "
            "component(s)",
        }
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "rule"
    out["n_factors"] = out["n_factors"].astype("int64")
    out["reason"] = out["reason"].astype("str")
    return out


class EFAResult(Result):
    """The exploratory factor analysis of a battery of items.

    Factor columns are ``F1``…``Fk``, ordered by variance explained, each signed so
    that its loadings sum to a positive number (psych's convention).

    Attributes
    ----------
    loadings : DataFrame, items x factors
        Rotated loadings (the pattern matrix of an oblique rotation).
    structure : DataFrame, items x factors
        Item–factor correlations, ``loadings @ phi`` (equal to ``loadings`` when
        orthogonal).
    unrotated : DataFrame, items x factors
        Loadings before rotation.
    communalities, uniquenesses : Series, index item
        h² (the common variance of each item, invariant under rotation) and 1 − h².
    phi : DataFrame or None
        Factor correlations of an oblique rotation.
    kmo : DataFrame
        ``msa`` per item and ``"(overall)"`` (the Kaiser–Meyer–Olkin measure), with
        Kaiser's ``rating`` (marvelous ≥ 0.9, meritorious, middling, mediocre,
        miserable, unacceptable < 0.5).
    bartlett : Series
        Bartlett's test of sphericity: ``chisq``, ``df``, ``p_value``.
    eigenvalues : DataFrame, index 1..p
        ``eigenvalue`` of the correlation matrix, its ``proportion`` and
        ``cumulative`` share of the p items' variance, and the ``reduced_eigenvalue``
        (SMCs on the diagonal), the scree data.
    parallel : DataFrame or None
        Parallel analysis: observed and simulated (mean and ``parallel_quantile``)
        eigenvalues of components (``*_pc``) and of the reduced matrix (``*_fa``).
    map : DataFrame
        Velicer's MAP: ``average_partial`` squared correlation after removing 1, 2…
        components.
    n_factors_rules : DataFrame, index rule
        What each rule suggests (``n_factors``) and why (``reason``): ``kaiser``,
        ``parallel`` (components), ``parallel_fa`` (reduced matrix), ``map``.
    variance : DataFrame, index factor
        ``ss_loadings`` (diag(Φ Λ'Λ) when oblique), ``proportion`` of total variance,
        ``cumulative``, ``proportion_explained`` (of the common variance),
        ``cumulative_proportion``.
    items : DataFrame, index item
        ``label``, primary ``factor`` and its ``loading``, ``second_loading`` (largest
        other absolute loading), ``communality``, and flags ``salient`` (primary
        loading ≥ ``loading_cutoff``), ``cross_loading`` (second ≥
        ``cross_loading_cutoff``), ``low_communality`` (h² < ``communality_cutoff``).
    factor_names : DataFrame, index factor
        ``suggested_name`` (common stem of the labels of the top three items whose
        largest salient loading is on the factor), ``items`` assigned to it,
        ``top_labels``, ``n_items``.
    regression_weights, bartlett_weights : DataFrame, items x factors
        Factor-score weights for standardised answers (Thurstone's regression and
        Bartlett's weighted least squares).
    item_means, item_sds : Series
        The means and standard deviations used to standardise answers for scoring.
    correlation, correlation_p_values : DataFrame
        The item correlation matrix and the two-sided p-values of its cells.
    fit_statistics : Series
        ``rmsr`` (root mean square off-diagonal residual), ``objective`` of the
        extraction; for ML also ``chisq`` (Bartlett-corrected, as psych), ``df``,
        ``p_value``, ``ml_objective``.

    Examples
    --------
    >>> import csimodels as csi
    >>> sim = csi.explore.simulate_factor_data(n=400, random_state=2)
    >>> res = csi.EFA(n_factors=3, rotation="promax").fit(sim.data)
    >>> res.loadings.shape, res.phi.shape
    ((12, 3), (3, 3))
    """

    loadings: Frame
    structure: Frame
    unrotated: Frame
    communalities: SeriesTable
    uniquenesses: SeriesTable
    phi: Frame | None = None
    kmo: Frame
    bartlett: SeriesTable
    eigenvalues: Frame
    parallel: Frame | None = None
    map: Frame
    n_factors_rules: Frame
    variance: Frame
    items: Frame
    factor_names: Frame
    regression_weights: Frame
    bartlett_weights: Frame
    item_means: SeriesTable
    item_sds: SeriesTable
    correlation: Frame
    correlation_p_values: Frame
    fit_statistics: SeriesTable

    _title: ClassVar[str] = "Exploratory factor analysis"

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        s = self.settings
        b = self.bartlett
        header: list[tuple[str, object]] = [
            ("Items", s.get("n_items")),
            ("Respondents used", s.get("n_used")),
            ("Extraction", s.get("extraction")),
            (
                "Rotation",
                f"{s.get('rotation')}"
                + (" (Kaiser-normalised)" if s.get("normalize") else "")
                + (" oblique" if s.get("oblique") else ""),
            ),
            ("Factors", f"{s.get('n_factors')} ({s.get('n_factors_rule')})"),
            ("KMO", f"{s.get('kmo', float('nan')):.4f} ({kmo_label(float(s.get('kmo', 0)))})"),
            (
                "Bartlett's test",
                f"chi2 = {b['chisq']:.2f}, df = {int(b['df'])}, p = {b['p_value']:.3g}",
            ),
            ("Random state", s.get("random_state")),
        ]
        loadings = self.loadings.copy()
        loadings["h2"] = self.communalities
        tables: dict[str, Any] = {
            "Loadings" + (" (pattern)" if self.phi is not None else ""): loadings,
            "Variance explained": self.variance,
            "Number of factors": self.n_factors_rules,
            "Suggested names": self.factor_names[["suggested_name", "items"]],
        }
        if self.phi is not None:
            tables["Factor correlations"] = self.phi
        flagged = self.items[
            self.items["cross_loading"] | self.items["low_communality"] | ~self.items["salient"]
        ]
        if len(flagged):
            tables["Flagged items"] = flagged
        return header, tables

    # -- scores ----------------------------------------------------------------------
    def scores(
        self,
        data: SurveyData | pd.DataFrame,
        *,
        method: Literal["regression", "bartlett"] = "regression",
        **data_options: Any,
    ) -> pd.DataFrame:
        """Factor scores of respondents: standardised answers times the score weights.

        Answers are standardised with the fitted ``item_means`` and ``item_sds`` (so
        scores of new respondents are on the scale of the fitted sample); a respondent
        with a missing answer gets NaN scores.

        Parameters
        ----------
        data : SurveyData or DataFrame
            Must hold the fitted items.
        method : {"regression", "bartlett"}
            Thurstone's regression scores or Bartlett's.

        Returns
        -------
        DataFrame
            One row per respondent (the data's row labels), one column per factor.

        Examples
        --------
        >>> import csimodels as csi
        >>> sim = csi.explore.simulate_factor_data(n=300, random_state=4)
        >>> res = csi.EFA(n_factors=3).fit(sim.data)
        >>> res.scores(sim.data).shape
        (300, 3)
        """
        if method not in SCORE_METHODS:
            raise InvalidParameterError(
                f"parameter 'method' of EFAResult.scores must be 'regression' or 'bartlett', "
                f"got {method!r}"
            )
        items = list(self.loadings.index)
        survey = to_survey(data, items, owner="EFAResult.scores", options=data_options)
        x = survey.frame[items].to_numpy(dtype=np.float64)
        z = (x - self.item_means.to_numpy()) / self.item_sds.to_numpy()
        w = (
            self.regression_weights if method == "regression" else self.bartlett_weights
        ).to_numpy()
        out = z @ w
        return pd.DataFrame(out, index=survey.frame.index, columns=self.loadings.columns)

    # -- hand-off --------------------------------------------------------------------
    def assignment(self, *, min_loading: float | None = None) -> dict[str, list[str]]:
        """Items by factor: each item to the factor of its largest absolute loading,
        when that loading reaches ``min_loading`` (default the fit's loading cutoff).

        Examples
        --------
        >>> import csimodels as csi
        >>> sim = csi.explore.simulate_factor_data(n=400, random_state=2)
        >>> res = csi.EFA(n_factors=3, rotation="varimax").fit(sim.data)
        >>> sorted(len(v) for v in res.assignment().values())
        [4, 4, 4]
        """
        cut = float(self.settings["loading_cutoff"] if min_loading is None else min_loading)
        absl = self.loadings.abs()
        out: dict[str, list[str]] = {f: [] for f in self.loadings.columns}
        for item in self.loadings.index:
            f = str(absl.loc[item].idxmax())
            if absl.loc[item, f] >= cut:
                out[f].append(str(item))
        return {f: v for f, v in out.items() if v}

    def to_spec(
        self,
        paths: Sequence[tuple[str, str]] = (),
        *,
        names: Mapping[str, str] | None = None,
        min_loading: float | None = None,
    ) -> ModelSpec:
        """The confirmatory hand-off: a :class:`~csimodels.sem.ModelSpec` from the pattern.

        Each factor becomes a reflective construct measured by the items assigned to
        it (:meth:`assignment`); items without a salient loading are left out.

        Parameters
        ----------
        paths : list of (str, str)
            Structural paths between the constructs (by their final names). A model
            with several constructs needs paths: csimodels' ModelSpec connects every
            construct.
        names : dict of factor to str, optional
            Construct names (default: ``F1``… renamed by nothing); the suggested names
            are in ``factor_names`` and become the construct labels.
        min_loading : float, optional
            Salience cut-off (default the fit's ``loading_cutoff``).

        Examples
        --------
        >>> import csimodels as csi
        >>> sim = csi.explore.simulate_factor_data(n=400, random_state=2)
        >>> res = csi.EFA(n_factors=3, rotation="varimax").fit(sim.data)
        >>> spec = res.to_spec([("F1", "F2"), ("F3", "F2")])
        >>> [len(c.indicators) for c in spec.constructs]
        [4, 4, 4]
        """
        from csimodels.sem.spec import ModelSpec

        rename = dict(names or {})
        unknown = sorted(set(rename) - set(self.loadings.columns))
        if unknown:
            raise SpecificationError(
                f"names has {format_offenders(unknown)}, which are not factors of this "
                f"solution ({format_offenders(list(self.loadings.columns))})"
            )
        groups = self.assignment(min_loading=min_loading)
        if not groups:
            raise SpecificationError(
                "no item has a salient loading; lower min_loading to build a specification"
            )
        indicators = {rename.get(f, f): items for f, items in groups.items()}
        if len(indicators) > 1 and not paths:
            raise SpecificationError(
                f"the solution has {len(indicators)} constructs "
                f"({format_offenders(list(indicators))}); pass paths=[(from, to), ...] "
                "connecting them (or use to_syntax() for the measurement model alone)"
            )
        labels = {
            rename.get(f, f): str(self.factor_names.loc[f, "suggested_name"])
            for f in groups
            if str(self.factor_names.loc[f, "suggested_name"])
        }
        return ModelSpec.from_mapping(indicators, list(paths), labels=labels)

    def to_syntax(
        self, *, names: Mapping[str, str] | None = None, min_loading: float | None = None
    ) -> str:
        """The measurement model as lavaan-style lines (``F1 =~ a + b + c``).

        Examples
        --------
        >>> import csimodels as csi
        >>> sim = csi.explore.simulate_factor_data(n=400, random_state=2)
        >>> print(csi.EFA(n_factors=3, rotation="varimax").fit(sim.data).to_syntax())
        F1 =~ A1 + A2 + A3 + A4
        F2 =~ B1 + B2 + B3 + B4
        F3 =~ C1 + C2 + C3 + C4
        """
        rename = dict(names or {})
        groups = self.assignment(min_loading=min_loading)
        return "\n".join(f"{rename.get(f, f)} =~ {' + '.join(v)}" for f, v in groups.items())

    # -- plots -----------------------------------------------------------------------
    def plot(
        self,
        kind: Literal["scree", "loadings"] | None = None,
        *,
        ax: Any = None,
        language: Literal["en", "zh"] = "en",
        labels: Literal["code", "label"] = "code",
    ) -> Any:
        """Scree plot (eigenvalues with the parallel-analysis line) or loading heat map.

        Examples
        --------
        >>> import csimodels as csi
        >>> sim = csi.explore.simulate_factor_data(n=300, random_state=4)
        >>> ax = csi.EFA(n_factors=3).fit(sim.data).plot("loadings")
        >>> ax.get_title()
        'Factor loadings'
        """
        from csimodels.explore import _plots

        return _plots.plot_efa(self, kind, ax=ax, language=language, labels=labels)
