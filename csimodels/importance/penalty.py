"""Penalty–reward contrast analysis and the impact-asymmetry index."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal, NamedTuple

import numpy as np
import pandas as pd
from pydantic import ConfigDict, Field

from csimodels._settings import Settings
from csimodels.data.survey import SurveyData
from csimodels.errors import (
    DataQualityWarning,
    DataValidationError,
    EstimationError,
    SpecificationError,
    format_offenders,
)
from csimodels.importance._common import check_names, coerce_survey
from csimodels.results import Frame, MissingDataReport, Result, SegmentedResult, warn_and_note
from csimodels.segments import as_by, fit_by, label_of

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["FACTOR_CLASSES", "FactorClass", "PenaltyReward", "PenaltyRewardResult"]


class FactorClass(NamedTuple):
    """A three-factor class of an attribute (Kano-style; Matzler & Sauerwein 2002).

    Attributes
    ----------
    label : str
        English name.
    label_zh : str
        Chinese name.
    description : str
        What the class means for satisfaction.
    """

    label: str
    label_zh: str
    description: str


FACTOR_CLASSES: dict[str, FactorClass] = {
    "basic": FactorClass(
        "basic factor",
        "基本型因素",
        "dissatisfier: low performance hurts, high performance adds little",
    ),
    "performance": FactorClass(
        "performance factor",
        "期望型因素",
        "hybrid: satisfaction moves with performance in both directions",
    ),
    "excitement": FactorClass(
        "excitement factor",
        "兴奋型因素",
        "satisfier: high performance delights, low performance hurts little",
    ),
    "indifferent": FactorClass(
        "indifferent",
        "无差异因素",
        "neither penalty nor reward is significant (significance rule only)",
    ),
    "not_classified": FactorClass(
        "not classified",
        "无法分类",
        "a performance band is empty, so penalty or reward cannot be estimated",
    ),
}
"""Factor classes by key (see :class:`FactorClass`)."""


class PenaltyRewardResult(Result):
    """Penalty, reward, impact asymmetry and factor class of each attribute.

    Attributes
    ----------
    table : DataFrame, one row per attribute
        ``label``; ``low_max``/``high_min``: the band cut-offs; ``n_low``/``n_high``:
        respondents in the low / high band (unweighted) and ``share_low``/``share_high``
        their (weighted) shares; ``penalty``: change of the overall item when the
        attribute is in the low band instead of the middle (usually negative), with
        ``penalty_std_error`` and ``penalty_p_value``; ``reward``: the same for the high
        band, with ``reward_std_error`` and ``reward_p_value``; ``rioss``: range of
        impact on overall satisfaction ``|penalty| + |reward|``; ``sgp`` = ``|reward|
        / rioss`` and ``dgp`` = ``|penalty| / rioss`` (satisfaction- and
        dissatisfaction-generating potentials); ``impact_asymmetry`` = ``sgp − dgp``
        in [−1, 1]; ``factor_class`` (a key of :data:`FACTOR_CLASSES`),
        ``factor_class_label`` and ``factor_class_zh``; ``thin_band``: True when a
        band has fewer than ``min_band`` respondents (estimate unreliable, or NaN
        when the band is empty).
    coefficients : DataFrame, index (attribute, band)
        The dummy regression: ``estimate``, ``std_error``, ``t``, ``p_value``,
        ``ci_lower``, ``ci_upper``, ``n`` (respondents in the band); an empty band
        has NaN.
    r2 : float
        R² of the dummy regression.
    intercept : float
        Expected overall item with every attribute in its middle band.
    n_used : int
        Respondents used.
    missing : MissingDataReport or None
        Missing-data handling.

    Examples
    --------
    >>> import csimodels as csi
    >>> from csimodels.importance import PenaltyReward
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> res = PenaltyReward(attributes=["QUAL1", "QUAL2", "VAL1"], overall="SAT1").fit(data)
    >>> bool(((res.table["impact_asymmetry"].abs()) <= 1).all())
    True
    """

    table: Frame
    coefficients: Frame
    r2: float
    intercept: float
    n_used: int
    missing: MissingDataReport | None = None

    _title: ClassVar[str] = "Penalty–reward contrast analysis"

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        s = self.settings
        header: list[tuple[str, object]] = [
            ("Overall item", s.get("overall")),
            ("Respondents used", self.n_used),
            ("R² of dummy regression", f"{self.r2:.4f}"),
            ("Classification", s.get("classification_rule")),
            ("Missing data", self.missing.describe() if self.missing else "n/a"),
            ("Weighted", "yes (" + str(s["weight"]) + ")" if s.get("weight") else "no"),
        ]
        cols = [
            "n_low",
            "n_high",
            "penalty",
            "penalty_p_value",
            "reward",
            "reward_p_value",
            "impact_asymmetry",
            "factor_class",
        ]
        tables: dict[str, Any] = {"Attributes": self.table[cols]}
        return header, tables

    def plot_data(self) -> pd.DataFrame:
        """Penalty and reward per attribute, sorted by impact asymmetry.

        Examples
        --------
        >>> import csimodels as csi
        >>> from csimodels.importance import PenaltyReward
        >>> data = csi.datasets.load_example("acsi_demo")
        >>> res = PenaltyReward(attributes=["QUAL1", "VAL1"], overall="SAT1").fit(data)
        >>> list(res.plot_data().columns)
        ['label', 'penalty', 'reward', 'impact_asymmetry', 'factor_class']
        """
        cols = ["label", "penalty", "reward", "impact_asymmetry", "factor_class"]
        return self.table[cols].sort_values("impact_asymmetry", kind="stable")

    def plot(
        self,
        kind: Literal["bars"] | None = None,
        *,
        ax: Axes | None = None,
        language: Literal["en", "zh"] = "en",
        labels: Literal["code", "label"] = "code",
    ) -> Axes:
        """Penalty and reward of each attribute as signed bars (needs matplotlib).

        Each coefficient is drawn with its sign: a penalty is usually negative (a low
        rating lowers the overall item) and drawn to the left; a positive penalty is
        drawn to the right, as estimated. Stars mark p < .05 / .01 / .001.

        Examples
        --------
        >>> import csimodels as csi, matplotlib
        >>> matplotlib.use("Agg")
        >>> from csimodels.importance import PenaltyReward
        >>> data = csi.datasets.load_example("acsi_demo")
        >>> res = PenaltyReward(attributes=["QUAL1", "VAL1"], overall="SAT1").fit(data)
        >>> res.plot().get_xlabel()
        'Effect on the overall item (points)'
        """
        from csimodels.plotting import check_plot_options
        from csimodels.reports.charts import penalty_chart

        check_plot_options(
            kind=kind, kinds=("bars",), language=language, labels=labels, owner="PenaltyReward"
        )
        ax_out: Axes = penalty_chart(self, ax=ax, language=language, labels=labels)
        return ax_out


class PenaltyReward(Settings):
    """Penalty–reward contrast analysis with impact-asymmetry classification.

    Each attribute's answers are split into a low band (``≤ low_max``), a middle
    band (the reference) and a high band (``≥ high_min``); the overall item is
    regressed on the low and high dummies of all attributes together (Brandt 1987;
    Matzler & Sauerwein 2002). The low-band coefficient is the *penalty* (what a poor
    rating costs), the high-band one the *reward* (what an excellent one adds).
    Their asymmetry classes each attribute as a basic, performance or excitement
    factor.

    Attributes
    ----------
    attributes : tuple of str
        Attribute columns.
    overall : str
        Overall-satisfaction column.
    low_max, high_min : float, optional
        Band cut-offs. Default from each attribute's declared scale, by thirds of its
        range: low ≤ min + (max − min)/3, high ≥ max − (max − min)/3 (1–5 scale: 1–2
        and 4–5; 1–10 scale: 1–4 and 7–10).
    classify : {"asymmetry", "significance"}
        ``"asymmetry"``: impact-asymmetry index ≤ −``asymmetry_threshold`` → basic,
        ≥ ``asymmetry_threshold`` → excitement, else performance. ``"significance"``:
        only penalty significant (at ``alpha``) → basic, only reward → excitement, both
        → performance, neither → indifferent.
    asymmetry_threshold : float
        Threshold on the impact-asymmetry index (default 0.2).
    alpha : float
        Significance level of the tests and the 1 − alpha intervals.
    min_band : int
        Bands with fewer respondents are flagged as thin (default 30).
    missing : {"listwise", "mean"}
        Missing-answer strategy.

    Notes
    -----
    ``overall = b₀ + Σ_j (penalty_j · low_j + reward_j · high_j) + e``, by (weighted)
    least squares; standard errors are the classical ones with respondent weights
    scaled to the sample size. Impact asymmetry (Mikulić & Prebežac 2008):
    ``RIOSS = |penalty| + |reward|``, ``SGP = |reward| / RIOSS``,
    ``DGP = |penalty| / RIOSS``, ``IA = SGP − DGP``.

    References
    ----------
    1. Brandt, D. R. (1987). A procedure for identifying value-enhancing service
       components using customer satisfaction survey data. In *Add Value to Your
       Service*, AMA, 61–65.
    2. Matzler, K. & Sauerwein, E. (2002). The factor structure of customer
       satisfaction. *International Journal of Service Industry Management* 13(4),
       314–332.
    3. Mikulić, J. & Prebežac, D. (2008). Prioritizing improvement of service
       attributes using impact range-performance analysis and impact-asymmetry
       analysis. *Managing Service Quality* 18(6), 559–576.

    Examples
    --------
    >>> import csimodels as csi
    >>> from csimodels.importance import PenaltyReward
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> res = PenaltyReward(attributes=["QUAL1", "QUAL2", "QUAL3"], overall="SAT1").fit(data)
    >>> res.table[["low_max", "high_min"]].iloc[0].tolist()
    [4.0, 7.0]
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    attributes: tuple[str, ...]
    overall: str
    low_max: float | None = None
    high_min: float | None = None
    classify: Literal["asymmetry", "significance"] = "asymmetry"
    asymmetry_threshold: float = Field(default=0.2, ge=0.0, lt=1.0)
    alpha: float = Field(default=0.05, gt=0.0, lt=1.0)
    min_band: int = Field(default=30, ge=1)
    missing: Literal["listwise", "mean"] = "listwise"

    _name: ClassVar[str] = "PenaltyReward"

    def fit(
        self,
        data: SurveyData | pd.DataFrame,
        *,
        by: str | Sequence[str] | None = None,
        weight: str | None = None,
        on_error: Literal["skip", "raise"] = "skip",
        n_jobs: int = 1,
        **data_options: Any,
    ) -> PenaltyRewardResult | SegmentedResult:
        """Estimate penalties and rewards (overall, and per segment with ``by``).

        Parameters
        ----------
        data : SurveyData or DataFrame
            The answers (a DataFrame goes through the one data gate).
        by : str or list of str, optional
            Segment column(s): a :class:`~csimodels.results.SegmentedResult` with the
            pooled analysis, one per segment and the factor class of every attribute
            by segment (``overview["factor_class"]``). Every segment uses the pooled
            band cut-offs.
        weight : str, optional
            Respondent-weight column of a DataFrame.
        on_error, n_jobs : optional
            With ``by``: the failure policy and the joblib jobs.
        **data_options
            Other :meth:`SurveyData.from_frame` options for a DataFrame.

        Raises
        ------
        SpecificationError
            Bad attribute list; ``low_max ≥ high_min``; no cut-offs and no declared
            scale.
        DataValidationError
            Missing columns, the overall item or an attribute without variance, too few
            respondents.
        EstimationError
            Collinear band dummies (e.g. two attributes always in the same band).

        Warns
        -----
        DataQualityWarning
            Thin or empty bands; a segment that cannot be analysed (skipped).
        """
        check_names(self._name, self.attributes, self.overall)
        survey = coerce_survey(
            self._name, data, self.attributes, self.overall, by=by, weight=weight, **data_options
        )
        cuts = self._cutoffs(survey)
        pooled = self._fit_one(survey, cuts, segment=None)
        if by is None:
            return pooled
        columns = as_by(by, owner=f"{self._name}.fit")
        segmented = fit_by(
            survey,
            columns,
            lambda part: self._fit_one(part, cuts, segment=label_of(part, columns)),
            owner=f"{self._name}.fit",
            min_segment_size=2,
            on_error=on_error,
            n_jobs=n_jobs,
            pooled=pooled,
            settings={"model": self._name},
        )
        rows = {
            label: r.table["factor_class"]
            for label, r in segmented.segments.items()
            if isinstance(r, PenaltyRewardResult)
        }
        overview = {"factor_class": pd.DataFrame(rows).T.rename_axis("segment")} if rows else {}
        return segmented.model_copy(update={"overview": overview})

    def _cutoffs(self, data: SurveyData) -> dict[str, tuple[float, float]]:
        if (
            self.low_max is not None
            and self.high_min is not None
            and not self.low_max < self.high_min
        ):
            raise SpecificationError(
                f"{self._name}: low_max={self.low_max:g} must be below high_min="
                f"{self.high_min:g}, leaving a middle band as the reference"
            )
        out: dict[str, tuple[float, float]] = {}
        no_scale: list[str] = []
        for a in self.attributes:
            scale = data.item_info[a].scale
            if scale is None and (self.low_max is None or self.high_min is None):
                no_scale.append(a)
                continue
            third = 0.0 if scale is None else (scale.max - scale.min) / 3
            lo = self.low_max if self.low_max is not None else scale.min + third  # type: ignore[union-attr]
            hi = self.high_min if self.high_min is not None else scale.max - third  # type: ignore[union-attr]
            if scale is not None and scale.points():
                lo = math.floor(lo + 1e-9) if self.low_max is None else lo
                hi = math.ceil(hi - 1e-9) if self.high_min is None else hi
            if not lo < hi:
                raise SpecificationError(
                    f"{self._name}: attribute {a!r}: low band ≤ {lo:g} and high band ≥ "
                    f"{hi:g} leave no middle band; set low_max and high_min"
                )
            out[a] = (float(lo), float(hi))
        if no_scale:
            raise SpecificationError(
                f"{self._name}: attribute {format_offenders(sorted(no_scale))} has no "
                "declared scale to derive the bands from; pass low_max= and high_min= "
                "(e.g. low_max=2, high_min=4 on a 1-5 scale) or declare the scale"
            )
        return out

    def _fit_one(
        self, data: SurveyData, cuts: dict[str, tuple[float, float]], *, segment: str | None
    ) -> PenaltyRewardResult:
        from scipy import stats

        where = self._name + (f" (segment {segment!r})" if segment is not None else "")
        attrs = list(self.attributes)
        p = len(attrs)
        im = data.item_matrix([*attrs, self.overall], missing=self.missing)
        x = im.values[:, :p]
        y = im.values[:, p]
        n = x.shape[0]
        w = np.ones(n) if im.weights is None else im.weights * (n / im.weights.sum())
        if np.ptp(y) == 0:
            raise DataValidationError(
                f"{where}: the overall item {self.overall!r} is constant on the {n} "
                "respondents used; penalties and rewards against it are undefined"
            )
        flat = [attrs[j] for j in range(p) if np.ptp(x[:, j]) == 0]
        if flat:
            raise DataValidationError(
                f"{where}: attribute {format_offenders(flat)} has no variance on the {n} "
                "respondents used; drop it from attributes"
            )
        notes: list[str] = []
        columns: list[np.ndarray] = [np.ones(n)]
        slots: list[tuple[str, str] | None] = [None]
        counts: dict[tuple[str, str], int] = {}
        shares: dict[tuple[str, str], float] = {}
        empty: list[str] = []
        thin: list[str] = []
        for j, a in enumerate(attrs):
            lo, hi = cuts[a]
            for band, mask in (("low", x[:, j] <= lo), ("high", x[:, j] >= hi)):
                c = int(mask.sum())
                counts[(a, band)] = c
                shares[(a, band)] = float(w[mask].sum() / w.sum())
                if c == 0:
                    empty.append(f"{a} ({band})")
                    continue
                if c < self.min_band:
                    thin.append(f"{a} ({band}: {c})")
                columns.append(mask.astype(np.float64))
                slots.append((a, band))
        if empty:
            warn_and_note(
                notes,
                f"{where}: empty band for {', '.join(empty)}; its coefficient is not "
                "applicable (NaN) and the attribute is not classified",
                DataQualityWarning,
            )
        if thin:
            warn_and_note(
                notes,
                f"{where}: thin band (fewer than {self.min_band} respondents) for "
                f"{', '.join(thin)}; those estimates are unreliable",
                DataQualityWarning,
            )
        design = np.column_stack(columns)
        k = design.shape[1]
        if n <= k:
            raise DataValidationError(
                f"{where}: {n} respondents for {k} regression terms (intercept and band "
                f"dummies of {p} attributes); need more respondents than terms"
            )
        sw = np.sqrt(w)
        xw = design * sw[:, None]
        yw = y * sw
        gram = xw.T @ xw
        if np.linalg.matrix_rank(gram) < k:
            raise EstimationError(
                f"{where}: the band dummies are collinear (some attributes always fall in "
                "the same band together, or a middle band is empty); widen the bands or "
                "drop an attribute"
            )
        coef, *_ = np.linalg.lstsq(xw, yw, rcond=None)
        resid = yw - xw @ coef
        dof = n - k
        sigma2 = float(resid @ resid / dof)
        cov = sigma2 * np.linalg.inv(gram)
        se = np.sqrt(np.diag(cov))
        tval = coef / se
        pval = 2 * stats.t.sf(np.abs(tval), dof)
        tcrit = stats.t.ppf(1 - self.alpha / 2, dof)
        ybar = float(w @ y / w.sum())
        r2 = 1 - float(resid @ resid) / float(w @ (y - ybar) ** 2)

        by_slot = {slot: i for i, slot in enumerate(slots) if slot is not None}
        coef_rows = []
        fitted: dict[tuple[str, str], list[float]] = {}
        for a in attrs:
            for band in ("low", "high"):
                i = by_slot.get((a, band))
                vals = (
                    [
                        coef[i],
                        se[i],
                        tval[i],
                        pval[i],
                        coef[i] - tcrit * se[i],
                        coef[i] + tcrit * se[i],
                    ]
                    if i is not None
                    else [np.nan] * 6
                )
                fitted[(a, band)] = [float(v) for v in vals]
                coef_rows.append([*vals, counts[(a, band)]])
        coefficients = pd.DataFrame(
            coef_rows,
            columns=["estimate", "std_error", "t", "p_value", "ci_lower", "ci_upper", "n"],
            index=pd.MultiIndex.from_product([attrs, ["low", "high"]], names=["attribute", "band"]),
        )
        coefficients["n"] = coefficients["n"].astype(np.int64)

        labels = data.labels()
        rows = []
        wrong_sign: list[str] = []
        for a in attrs:
            pen = fitted[(a, "low")]
            rew = fitted[(a, "high")]
            penalty, reward = pen[0], rew[0]
            rioss = abs(penalty) + abs(reward)
            with np.errstate(invalid="ignore", divide="ignore"):
                sgp = abs(reward) / rioss if rioss > 0 else np.nan
                dgp = abs(penalty) / rioss if rioss > 0 else np.nan
            ia = sgp - dgp
            if penalty > 0 or reward < 0:
                wrong_sign.append(a)
            cls = self._classify(ia, pen[3], rew[3])
            rows.append(
                {
                    "label": labels.get(a, a),
                    "low_max": cuts[a][0],
                    "high_min": cuts[a][1],
                    "n_low": counts[(a, "low")],
                    "n_high": counts[(a, "high")],
                    "share_low": shares[(a, "low")],
                    "share_high": shares[(a, "high")],
                    "penalty": penalty,
                    "penalty_std_error": pen[1],
                    "penalty_p_value": pen[3],
                    "reward": reward,
                    "reward_std_error": rew[1],
                    "reward_p_value": rew[3],
                    "rioss": rioss,
                    "sgp": sgp,
                    "dgp": dgp,
                    "impact_asymmetry": ia,
                    "factor_class": cls,
                    "factor_class_label": FACTOR_CLASSES[cls].label,
                    "factor_class_zh": FACTOR_CLASSES[cls].label_zh,
                    "thin_band": min(counts[(a, "low")], counts[(a, "high")]) < self.min_band,
                }
            )
        if wrong_sign:
            notes.append(
                f"unexpected sign (penalty > 0 or reward < 0) for "
                f"{format_offenders(wrong_sign)}; the asymmetry index uses absolute values"
            )
        table = pd.DataFrame(rows, index=pd.Index(attrs, name="attribute"))
        rule = (
            f"impact asymmetry (threshold ±{self.asymmetry_threshold:g})"
            if self.classify == "asymmetry"
            else f"significance of penalty and reward (alpha {self.alpha:g})"
        )
        settings = {
            "overall": self.overall,
            "attributes": attrs,
            "low_max": self.low_max,
            "high_min": self.high_min,
            "bands": {a: list(c) for a, c in cuts.items()},
            "classify": self.classify,
            "classification_rule": rule,
            "asymmetry_threshold": self.asymmetry_threshold,
            "alpha": self.alpha,
            "min_band": self.min_band,
            "missing": self.missing,
            "weight": data.weight,
            "segment": segment,
            "n_used": n,
            "inference": "OLS on band dummies: t tests of the penalty and reward coefficients",
        }
        return PenaltyRewardResult(
            table=table,
            coefficients=coefficients,
            r2=r2,
            intercept=float(coef[0]),
            n_used=n,
            missing=im.report,
            settings=settings,
            notes=tuple(notes),
        )

    def _classify(self, ia: float, p_penalty: float, p_reward: float) -> str:
        if not np.isfinite(ia):
            return "not_classified"
        if self.classify == "asymmetry":
            if ia <= -self.asymmetry_threshold:
                return "basic"
            if ia >= self.asymmetry_threshold:
                return "excitement"
            return "performance"
        sig_p = p_penalty < self.alpha
        sig_r = p_reward < self.alpha
        if sig_p and sig_r:
            return "performance"
        if sig_p:
            return "basic"
        if sig_r:
            return "excitement"
        return "indifferent"
