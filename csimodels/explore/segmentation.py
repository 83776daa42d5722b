"""Customer segmentation: k-means and Gaussian mixtures (scikit-learn) on standardised
satisfaction or driver profiles, with k chosen by silhouette or BIC."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from csimodels._settings import Settings
from csimodels.data.survey import SurveyData
from csimodels.errors import DataValidationError, format_offenders
from csimodels.explore._prepare import to_survey
from csimodels.inference import resolve_random_state
from csimodels.results import Frame, Result, SeriesTable

__all__ = ["Segmentation", "SegmentationResult"]


class Segmentation(Settings):
    """Segments of respondents with similar answer profiles.

    Answers are standardised per item (unless ``standardize=False``) and clustered by
    k-means (scikit-learn ``KMeans``, respondent weights honoured) or a Gaussian
    mixture (``GaussianMixture``). With ``n_segments=None`` every k in ``k_range`` is
    fitted and the best by ``criterion`` is kept (largest mean silhouette, or smallest
    BIC); the whole curve is reported. Segments are numbered 1…k by decreasing size.

    Attributes
    ----------
    method : {"kmeans", "gmm"}
        k-means or Gaussian mixture.
    n_segments : int, optional
        Number of segments; None chooses by ``criterion`` over ``k_range``.
    k_range : (int, int)
        Smallest and largest k tried (2, 8).
    criterion : {"silhouette", "bic"}, optional
        Default silhouette for k-means, BIC for mixtures.
    standardize : bool
        Cluster z-scores of the items (True) or raw answers.
    n_init : int
        Random starts per k (10).
    covariance_type : {"full", "diag", "tied", "spherical"}
        Covariance of the mixture components.
    silhouette_sample : int
        Respondents used for the silhouette (a seeded sample above this; 5000).

    Examples
    --------
    >>> import csimodels as csi
    >>> sim = csi.explore.simulate_segments(n=300, random_state=1)
    >>> res = csi.Segmentation().fit(sim.data, random_state=2)
    >>> res.settings["n_segments"]
    3
    """

    method: Literal["kmeans", "gmm"] = "kmeans"
    n_segments: int | None = Field(default=None, ge=1)
    k_range: tuple[int, int] = (2, 8)
    criterion: Literal["silhouette", "bic"] | None = None
    standardize: bool = True
    n_init: int = Field(default=10, ge=1)
    covariance_type: Literal["full", "diag", "tied", "spherical"] = "full"
    silhouette_sample: int = Field(default=5000, ge=100)

    @model_validator(mode="after")
    def _check(self) -> Segmentation:
        lo, hi = self.k_range
        if lo < 2 or hi < lo:
            raise ValueError(f"k_range must be (min, max) with 2 <= min <= max, got {self.k_range}")
        if self.method == "kmeans" and self.criterion == "bic":
            raise ValueError("criterion='bic' needs method='gmm' (k-means has no likelihood)")
        return self

    def fit(
        self,
        data: SurveyData | pd.DataFrame,
        *,
        items: Sequence[str] | None = None,
        weight: str | None = None,
        random_state: int | np.random.Generator | None = None,
        **data_options: Any,
    ) -> SegmentationResult:
        """Segment the respondents of ``data`` on ``items``.

        Respondents with a missing answer among ``items`` are not segmented (their
        segment is missing).

        Raises
        ------
        DataValidationError
            Fewer respondents than ``k`` (or the largest k tried), constant items.
        """
        from sklearn.cluster import KMeans
        from sklearn.metrics import silhouette_score
        from sklearn.mixture import GaussianMixture

        owner = "Segmentation.fit"
        seed = resolve_random_state(random_state, owner=owner)
        survey = to_survey(data, items, owner=owner, weight=weight, options=data_options)
        names = list(survey.items if items is None else items)
        mat = survey.item_matrix(names, missing="listwise")
        x, w = mat.values, mat.weights
        n = x.shape[0]
        mean = x.mean(axis=0) if w is None else np.average(x, axis=0, weights=w)
        sd = np.sqrt(np.average((x - mean) ** 2, axis=0, weights=None if w is None else w))
        const = [names[j] for j in np.flatnonzero(sd <= 1e-12)]
        if const:
            raise DataValidationError(
                f"{owner}: item {format_offenders(const)} is constant; drop it from items"
            )
        z = (x - mean) / sd if self.standardize else x.copy()
        ks = (
            [self.n_segments]
            if self.n_segments is not None
            else list(range(self.k_range[0], self.k_range[1] + 1))
        )
        if n <= max(ks):
            raise DataValidationError(
                f"{owner}: {n} complete respondents cannot form {max(ks)} segments; "
                "lower k_range or n_segments"
            )
        criterion = self.criterion or ("silhouette" if self.method == "kmeans" else "bic")
        notes: list[str] = []
        if self.method == "gmm" and w is not None:
            notes.append("Gaussian mixtures ignore respondent weights (k-means uses them)")
        rng = np.random.default_rng(seed)
        sample = (
            rng.choice(n, self.silhouette_sample, replace=False)
            if n > self.silhouette_sample
            else np.arange(n)
        )
        rows: list[dict[str, Any]] = []
        fits: dict[int, np.ndarray] = {}
        centers_by_k: dict[int, np.ndarray] = {}
        for k in ks:
            if self.method == "kmeans":
                km = KMeans(n_clusters=k, n_init=self.n_init, random_state=seed).fit(
                    z, sample_weight=w
                )
                lab = km.labels_
                row: dict[str, Any] = {"k": k, "inertia": float(km.inertia_)}
                centers_by_k[k] = km.cluster_centers_
            else:
                gm = GaussianMixture(
                    n_components=k,
                    covariance_type=self.covariance_type,
                    n_init=self.n_init,
                    random_state=seed,
                ).fit(z)
                lab = gm.predict(z)
                row = {
                    "k": k,
                    "bic": float(gm.bic(z)),
                    "aic": float(gm.aic(z)),
                    "converged": bool(gm.converged_),
                }
                centers_by_k[k] = gm.means_
            uniq = np.unique(lab[sample])
            row["silhouette"] = (
                float(silhouette_score(z[sample], lab[sample])) if uniq.size > 1 else float("nan")
            )
            rows.append(row)
            fits[k] = lab
        selection = pd.DataFrame(rows).set_index("k")
        if self.n_segments is not None:
            best = self.n_segments
        elif criterion == "silhouette":
            best = int(selection.index[int(np.nanargmax(selection["silhouette"].to_numpy()))])
        else:
            best = int(selection.index[int(np.nanargmin(selection["bic"].to_numpy()))])
        lab = fits[best]
        # number segments 1..k by decreasing size (ties by first appearance)
        counts = np.bincount(lab, minlength=best)
        order = np.argsort(-counts, kind="stable")
        relabel = np.empty(best, dtype=np.int64)
        relabel[order] = np.arange(1, best + 1)
        seg = relabel[lab]
        centers = centers_by_k[best][order]
        assignment = pd.Series(
            pd.array(np.full(survey.n_respondents, pd.NA), dtype="Int64"),
            index=survey.frame.index,
            name="segment",
        )
        assignment.loc[mat.rows] = seg
        labels = survey.labels()
        prof_rows = []
        ww = np.ones(n) if w is None else w
        for s in range(1, best + 1):
            m = seg == s
            prow: dict[str, Any] = {
                "size": int(m.sum()),
                "share": float(ww[m].sum() / ww.sum()),
            }
            means = np.average(x[m], axis=0, weights=ww[m])
            prow |= dict(zip(names, means.tolist(), strict=True))
            idx_vals = []
            for j, item in enumerate(names):
                sc = survey.item_info[item].scale
                if sc is not None:
                    idx_vals.append((means[j] - sc.min) / (sc.max - sc.min) * 100.0)
            prow["index"] = float(np.mean(idx_vals)) if len(idx_vals) == len(names) else np.nan
            zc = (means - mean) / sd
            hi = [labels.get(names[j], names[j]) for j in np.argsort(-zc)[:2] if zc[j] > 0.25]
            lo = [labels.get(names[j], names[j]) for j in np.argsort(zc)[:2] if zc[j] < -0.25]
            desc = []
            if hi:
                desc.append("high " + ", ".join(hi))
            if lo:
                desc.append("low " + ", ".join(lo))
            prow["label"] = "; ".join(desc) if desc else "average"
            prof_rows.append(prow)
        profiles = pd.DataFrame(prof_rows, index=pd.Index(range(1, best + 1), name="segment"))
        profiles["label"] = profiles["label"].astype("str")
        centers_tab = pd.DataFrame(
            centers,
            index=pd.Index(range(1, best + 1), name="segment"),
            columns=pd.Index(names),
        )
        if n < survey.n_respondents:
            notes.append(
                f"{survey.n_respondents - n} respondents with missing answers were not segmented"
            )
        return SegmentationResult(
            assignments=assignment,
            profiles=profiles,
            centers=centers_tab,
            selection=selection,
            settings={
                "model": "Segmentation",
                "method": self.method,
                "n_segments": best,
                "criterion": criterion,
                "k_range": list(self.k_range),
                "standardize": self.standardize,
                "n_init": self.n_init,
                "covariance_type": self.covariance_type,
                "random_state": seed,
                "items": names,
                "labels": [labels.get(i, i) for i in names],
                "n_used": n,
                "weight": survey.weight,
            },
            notes=tuple(notes),
        )


class SegmentationResult(Result):
    """Segments of respondents and their profiles.

    Attributes
    ----------
    assignments : Series, index row
        Segment (1…k, by decreasing size; missing for respondents not segmented).
    profiles : DataFrame, index segment
        ``size`` (respondents), ``share`` (weighted), the mean answer to each item,
        ``index`` (mean of the item means on 0–100, when every item has a declared
        scale) and a ``label`` naming the items the segment rates highest and lowest
        (relative to everyone, at least 0.25 sd away).
    centers : DataFrame, index segment
        Cluster centres in the clustered space (z-scores when standardised).
    selection : DataFrame, index k
        The choice curve: ``silhouette`` for every k, and ``inertia`` (k-means) or
        ``bic``, ``aic``, ``converged`` (mixtures).

    Examples
    --------
    >>> import csimodels as csi
    >>> sim = csi.explore.simulate_segments(n=300, random_state=1)
    >>> res = csi.Segmentation(n_segments=3).fit(sim.data, random_state=2)
    >>> int(res.profiles["size"].sum())
    300
    """

    assignments: SeriesTable
    profiles: Frame
    centers: Frame
    selection: Frame

    _title: ClassVar[str] = "Segmentation"

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        s = self.settings
        header: list[tuple[str, object]] = [
            ("Method", s.get("method")),
            ("Segments", s.get("n_segments")),
            ("Chosen by", s.get("criterion")),
            ("Respondents used", s.get("n_used")),
            ("Standardised", s.get("standardize")),
            ("Random state", s.get("random_state")),
        ]
        return header, {"Profiles": self.profiles, "Choice of k": self.selection}

    def with_segments(self, data: SurveyData, *, column: str = "segment") -> SurveyData:
        """``data`` with the segments as a segment column, ready for ``by=column``.

        Examples
        --------
        >>> import csimodels as csi
        >>> sim = csi.explore.simulate_segments(n=300, random_state=1)
        >>> res = csi.Segmentation(n_segments=3).fit(sim.data, random_state=2)
        >>> data = res.with_segments(sim.data)
        >>> [label for label, _ in data.groups("segment")]
        [1, 2, 3]
        """
        if not isinstance(data, SurveyData):
            raise DataValidationError(
                f"SegmentationResult.with_segments needs a SurveyData, got {type(data).__name__}"
            )
        if column in data.frame.columns:
            raise DataValidationError(
                f"SegmentationResult.with_segments: column {column!r} already exists; "
                "pass column='another_name'"
            )
        missing = self.assignments.index.difference(data.frame.index)
        if len(missing):
            raise DataValidationError(
                "SegmentationResult.with_segments: rows "
                f"{format_offenders(list(missing))} of the segmentation are not in these data"
            )
        frame = data.frame.copy()
        frame[column] = self.assignments.reindex(frame.index).to_numpy()
        return data.model_copy(update={"frame": frame, "segments": (*data.segments, column)})

    def plot(
        self,
        kind: Literal["profiles", "choice"] | None = None,
        *,
        ax: Any = None,
        language: Literal["en", "zh"] = "en",
        labels: Literal["code", "label"] = "code",
    ) -> Any:
        """Segment profiles (mean answer per item) or the choice-of-k curve.

        Examples
        --------
        >>> import csimodels as csi
        >>> sim = csi.explore.simulate_segments(n=300, random_state=1)
        >>> ax = csi.Segmentation(n_segments=3).fit(sim.data, random_state=2).plot()
        >>> ax.get_title()
        'Segment profiles'
        """
        from csimodels.explore import _plots

        return _plots.plot_segments(self, kind, ax=ax, language=language, labels=labels)
