"""SERVPERF (Cronin & Taylor 1992): performance-only service-quality scores."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from pydantic import ConfigDict

from csimodels._stats import cronbach_alpha
from csimodels.data.survey import SurveyData
from csimodels.results import Frame, MissingDataReport, Result, SegmentedResult
from csimodels.servqual._prepare import Prepared, base_settings
from csimodels.servqual.gap import InstrumentModel, _plot, _rank, _score, _Scores
from csimodels.servqual.instruments import SERVQUAL_1991, Instrument

__all__ = ["SERVPERF", "SERVPERFResult"]

_STATS = ["estimate", "std_error", "ci_lower", "ci_upper", "n"]


class SERVPERFResult(Result):
    """Performance-only (SERVPERF) scores.

    Attributes
    ----------
    items : DataFrame, one row per item
        ``dimension``, ``label``, ``estimate`` (mean perception), ``std_error``,
        ``ci_lower``, ``ci_upper``, ``n``.
    dimensions : DataFrame, one row per dimension
        ``label``, ``n_items``, ``estimate`` (mean of respondents' dimension scores),
        ``std_error``, ``ci_lower``, ``ci_upper``, ``n``, ``importance`` (mean share),
        ``weighted_per_respondent`` and ``weighted_aggregate`` (share × score, summing
        to the overall weighted scores).
    overall : DataFrame
        ``unweighted``, ``item_mean``, ``weighted_per_respondent`` and
        ``weighted_aggregate`` scores with ``estimate``, ``std_error``, ``ci_lower``,
        ``ci_upper``, ``n`` (defined as in
        :class:`~csimodels.servqual.SERVQUALResult`, on performance instead of gaps).
    reliability : DataFrame
        ``n_items`` and Cronbach's alpha of the ``perception`` items per dimension.
    priorities : DataFrame, most urgent first
        ``label``, ``estimate``, ``shortfall`` (scale maximum − estimate),
        ``importance``, ``weighted_shortfall`` (shortfall × importance), ``rank_score``
        (1 = lowest performance), ``rank_weighted`` (1 = largest weighted shortfall).
    exclusions : DataFrame
    missing : MissingDataReport

    Examples
    --------
    >>> from csimodels.datasets.servqual import simulate_servqual_survey
    >>> from csimodels.servqual import SERVPERF
    >>> sim = simulate_servqual_survey(n=300, random_state=4)
    >>> res = SERVPERF(importance="I_{dimension}").fit(sim.data)
    >>> res.priorities.index[0]
    'Reliability'
    """

    items: Frame
    dimensions: Frame
    overall: Frame
    reliability: Frame
    priorities: Frame
    exclusions: Frame
    missing: MissingDataReport

    _title: ClassVar[str] = "SERVPERF performance scores"

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        s = self.settings
        header: list[tuple[str, object]] = [
            ("Instrument", s["instrument"]),
            ("Respondents", f"{s['n_used']} used of {s['n_respondents']}"),
            ("Missing answers", self.missing.describe()),
            ("Weighted", f"yes ({s['weight']})" if s.get("weight") else "no"),
            ("Scale", f"[{s['scale'][0]:g}, {s['scale'][1]:g}], level {s['level']}"),
        ]
        return header, {
            "Dimensions": self.dimensions[["label", *_STATS, "importance"]],
            "Overall scores": self.overall,
            "Cronbach's alpha": self.reliability,
            "Priorities": self.priorities,
        }

    def plot(
        self,
        kind: Literal["bar", "radar"] | None = None,
        *,
        ax: Any = None,
        language: Literal["en", "zh"] = "en",
        labels: Literal["code", "label"] = "code",
    ) -> Any:
        """Dimension scores as bars with intervals, or on a full-circle radar chart.

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> from csimodels.datasets.servqual import simulate_servqual_survey
        >>> from csimodels.servqual import SERVPERF
        >>> res = SERVPERF().fit(simulate_servqual_survey(n=60, random_state=4).data)
        >>> res.plot().get_xlabel()
        'Performance (P)'
        """
        frame = self.dimensions.assign(perception=self.dimensions["estimate"])
        return _plot(
            frame,
            kind,
            ax,
            "Performance (P)",
            ("perception",),
            language=language,
            labels=labels,
            title="Performance (P)",
        )


class SERVPERF(InstrumentModel):
    """Performance-only service quality (Cronin & Taylor 1992), optionally weighted.

    Attributes
    ----------
    instrument : Instrument or str
        Item bank (default the 1991 SERVQUAL); reverse-scored items are reversed.
    perception : str
        Battery code of the performance columns (``"P"``).
    importance : str or dict, optional
        Importance-point columns per dimension (pattern with ``{dimension}`` or dict).
    points_total, normalize_points : float, bool
        As in :class:`~csimodels.servqual.SERVQUAL`.
    weighting : {"per_respondent", "aggregate"}
        Which weighted score ranks the priorities (both are reported).
    scale : (float, float)
        Answer scale (1–7).
    level : float
        Confidence level.
    missing : {"listwise", "pairwise"}

    Examples
    --------
    >>> import pandas as pd
    >>> from csimodels.servqual import Instrument, SERVPERF
    >>> inst = Instrument(name="two", dimensions={"Speed": ("1",), "Care": ("2",)})
    >>> df = pd.DataFrame({"P1": [4, 6], "P2": [7, 5], "I_Speed": [50, 20], "I_Care": [50, 80]})
    >>> res = SERVPERF(instrument=inst, importance="I_{dimension}").fit(df)
    >>> res.overall["estimate"].round(6).to_dict()   # (5.5+5.2)/2 and .35*5+.65*6
    {'unweighted': 5.5, 'item_mean': 5.5, 'weighted_per_respondent': 5.35,
     'weighted_aggregate': 5.65}
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    instrument: Instrument = SERVQUAL_1991
    perception: str = "P"
    importance: str | dict[str, str] | None = None
    points_total: float = 100.0
    normalize_points: bool = False
    weighting: Literal["per_respondent", "aggregate"] = "per_respondent"
    scale: tuple[float, float] = (1.0, 7.0)
    level: float = 0.95
    missing: Literal["listwise", "pairwise"] = "listwise"

    def fit(
        self,
        data: SurveyData | pd.DataFrame,
        *,
        by: str | Sequence[str] | None = None,
        weight: str | None = None,
        on_error: Literal["skip", "raise"] = "skip",
        n_jobs: int = 1,
        **data_options: Any,
    ) -> SERVPERFResult | SegmentedResult:
        """Score the performance battery.

        Parameters
        ----------
        data : SurveyData, DataFrame, dask DataFrame or parquet path
            The P answers (and importance points); a DataFrame goes through the gate;
            a dask DataFrame or parquet path is scored out of core (the same numbers).
        by : str or list of str, optional
            Segment column(s): a :class:`~csimodels.results.SegmentedResult`.
        weight : str, optional
            Respondent-weight column of a DataFrame.
        on_error, n_jobs : optional
            With ``by``: the failure policy and the joblib jobs.
        **data_options
            Other :meth:`SurveyData.from_frame` options for a DataFrame.

        Examples
        --------
        >>> from csimodels.datasets.servqual import simulate_servqual_survey
        >>> from csimodels.servqual import SERVPERF
        >>> res = SERVPERF().fit(simulate_servqual_survey(n=100, random_state=4).data)
        >>> list(res.overall.index)[:2]
        ['unweighted', 'item_mean']
        """
        prep = self._prepared_or_fitted(
            data, self.fit, by=by, weight=weight, on_error=on_error, n_jobs=n_jobs,
            options=data_options,
        )  # fmt: skip
        if not isinstance(prep, Prepared):
            return prep  # type: ignore[return-value]
        dims = list(self.instrument.dimensions)
        p = prep.batteries["perception"]
        w = prep.weights
        sc = _score(np.zeros_like(p), p, prep.importance, w, prep.owner, len(dims), self.level, "t")
        alphas = np.array([cronbach_alpha(p[:, prep.owner == d], w) for d in range(len(dims))])
        weight_name = data.weight if isinstance(data, SurveyData) else weight
        return self._result(prep, sc, alphas, weight_name)

    def _batteries(self) -> dict[str, str]:
        return {"perception": self.perception}

    def _from_sums(self, prep: Prepared, stats: dict[str, Any], weight: str | None) -> Result:
        """The result from the combined sums of a dask DataFrame (no rows)."""
        from csimodels.servqual._dask import alphas_from_sums, scores_from_sums

        n_dims = len(self.instrument.dimensions)
        sc = scores_from_sums(stats, n_dims=n_dims, owner=prep.owner, level=self.level)
        alphas = alphas_from_sums(stats, "p", n_dims=n_dims, owner=prep.owner)
        return self._result(prep, sc, alphas, weight)

    def _result(
        self, prep: Prepared, sc: _Scores, alphas: np.ndarray, weight_name: str | None
    ) -> SERVPERFResult:
        inst = self.instrument
        dims = list(inst.dimensions)
        stats = {
            "estimate": sc.item.mean,
            "std_error": sc.item.std_error,
            "ci_lower": sc.item.ci_lower,
            "ci_upper": sc.item.ci_upper,
            "n": sc.item.n,
        }
        items = pd.DataFrame(
            {
                "dimension": pd.array([inst.dimension_of(i) for i in inst.items], dtype="str"),
                "label": pd.array([inst.label_of_item(i) for i in inst.items], dtype="str"),
                **stats,
            },
            index=pd.Index(list(inst.items), name="item", dtype="str"),
        )
        dimensions = pd.DataFrame(
            {
                "label": pd.array([inst.label_of_dimension(d) for d in dims], dtype="str"),
                "n_items": np.array([len(inst.dimensions[d]) for d in dims], dtype=np.int64),
                "estimate": sc.dim.mean,
                "std_error": sc.dim.std_error,
                "ci_lower": sc.dim.ci_lower,
                "ci_upper": sc.dim.ci_upper,
                "n": sc.dim.n,
                "importance": sc.importance,
                "weighted_per_respondent": sc.contrib_per_respondent,
                "weighted_aggregate": sc.contrib_aggregate,
            },
            index=pd.Index(dims, name="dimension", dtype="str"),
        )
        overall = sc.overall[_STATS].copy()
        reliability = pd.DataFrame(
            {
                "n_items": dimensions["n_items"],
                "perception": alphas,
            }
        )
        prio = dimensions[["label", "estimate"]].copy()
        prio["shortfall"] = self.scale[1] - prio["estimate"]
        if self.weighting == "per_respondent":
            # mean of share x (max - score) = mean share x max - weighted contribution
            prio["importance"] = dimensions["importance"]
            prio["weighted_shortfall"] = (
                dimensions["importance"] * self.scale[1] - dimensions["weighted_per_respondent"]
            )
        else:
            prio["importance"] = dimensions["importance"]
            prio["weighted_shortfall"] = dimensions["importance"] * prio["shortfall"]
        prio["rank_score"] = _rank(prio["estimate"])
        prio["rank_weighted"] = _rank(-prio["weighted_shortfall"])
        has_imp = bool(prep.importance_columns)
        prio = prio.sort_values(
            ["rank_weighted" if has_imp else "rank_score", "rank_score"], kind="stable"
        )
        settings = {
            **base_settings(
                "SERVPERF",
                inst,
                prep,
                scale=self.scale,
                level=self.level,
                missing=self.missing,
                weight=weight_name,
            ),
            "importance": prep.importance_columns,
            "points_total": self.points_total,
            "normalize_points": self.normalize_points,
            "weighting": self.weighting,
        }
        return SERVPERFResult(
            items=items,
            dimensions=dimensions,
            overall=overall,
            reliability=reliability,
            priorities=prio,
            exclusions=prep.exclusions,
            missing=prep.report,
            settings=settings,
            notes=tuple(prep.notes),
        )
