"""Zone of tolerance (Parasuraman, Zeithaml & Berry 1994): MSA, MSS and positions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Literal, Self

import numpy as np
import pandas as pd
from pydantic import ConfigDict, model_validator

from csimodels.data.survey import SurveyData
from csimodels.errors import DataQualityWarning, InvalidParameterError
from csimodels.results import Frame, MissingDataReport, Result, SegmentedResult, warn_and_note
from csimodels.servqual import _engine as eng
from csimodels.servqual._prepare import Prepared, base_settings
from csimodels.servqual.gap import InstrumentModel, _plot, _plot_data
from csimodels.servqual.instruments import SERVQUAL_1991, Instrument

__all__ = ["ZoneOfTolerance", "ZoneOfToleranceResult"]


class ZoneOfToleranceResult(Result):
    """Where perceived service falls relative to the zone of tolerance.

    The zone runs from the adequate (minimum acceptable, A) to the desired (D)
    service level. MSA = P − A (measure of service adequacy) and MSS = P − D (measure
    of service superiority); the position is ``"below"`` when mean P < mean A,
    ``"above"`` when mean P > mean D, else ``"within"``.

    Attributes
    ----------
    items : DataFrame, one row per item (index: item identifier)
        ``dimension``, ``label``; mean ``adequate``, ``desired`` and ``perception``;
        ``tolerance`` (D − A, the zone's width); ``msa`` with ``msa_std_error``,
        ``msa_ci_lower``, ``msa_ci_upper``; ``mss`` with ``mss_std_error``,
        ``mss_ci_lower``, ``mss_ci_upper``; ``position``; ``share_below``,
        ``share_within``, ``share_above``: share of respondents whose own perception is
        below their adequate level, within their zone, above their desired level; ``n``.
    dimensions : DataFrame, one row per dimension
        The same columns (with ``label`` and ``n_items`` instead of ``dimension``), on
        respondents' dimension scores (mean of their answered items); the shares use
        the dimension scores.
    exclusions : DataFrame
        Respondents left out, as in :class:`~csimodels.servqual.SERVQUALResult`.
    missing : MissingDataReport

    Examples
    --------
    >>> from csimodels.datasets.servqual import simulate_servqual_survey
    >>> from csimodels.servqual import ZoneOfTolerance
    >>> sim = simulate_servqual_survey(n=300, zone_of_tolerance=True, random_state=2)
    >>> res = ZoneOfTolerance().fit(sim.data)
    >>> sorted(set(res.dimensions["position"]) - {"below", "within", "above"})
    []
    """

    items: Frame
    dimensions: Frame
    exclusions: Frame
    missing: MissingDataReport

    _title: ClassVar[str] = "Zone of tolerance"

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        s = self.settings
        header: list[tuple[str, object]] = [
            ("Instrument", s["instrument"]),
            ("Respondents", f"{s['n_used']} used of {s['n_respondents']}"),
            ("Missing answers", self.missing.describe()),
            ("Weighted", f"yes ({s['weight']})" if s.get("weight") else "no"),
            ("Level", s["level"]),
        ]
        cols = ["label", "adequate", "desired", "perception", "msa", "mss", "position"]
        return header, {
            "Dimensions": self.dimensions[cols],
            "Items": self.items[["dimension", *cols[1:]]],
        }

    def plot_data(self, kind: Literal["bar", "radar"] = "bar") -> pd.DataFrame:
        """``"bar"``: MSA per dimension with its interval (``estimate`` = MSA);
        ``"radar"``: adequate, desired and perception per dimension with angles.

        Examples
        --------
        >>> from csimodels.datasets.servqual import simulate_servqual_survey
        >>> from csimodels.servqual import ZoneOfTolerance
        >>> sim = simulate_servqual_survey(n=60, zone_of_tolerance=True, random_state=2)
        >>> list(ZoneOfTolerance().fit(sim.data).plot_data("radar").columns)
        ['label', 'perception', 'adequate', 'desired', 'angle']
        """
        return _plot_data(self._bar_frame(), kind)

    def _bar_frame(self) -> pd.DataFrame:
        d = self.dimensions
        out = d[["label", "perception", "adequate", "desired"]].copy()
        out["estimate"] = d["msa"]
        out["ci_lower"] = d["msa_ci_lower"]
        out["ci_upper"] = d["msa_ci_upper"]
        return out

    def plot(
        self,
        kind: Literal["bar", "radar"] | None = None,
        *,
        ax: Any = None,
        language: Literal["en", "zh"] = "en",
        labels: Literal["code", "label"] = "code",
    ) -> Any:
        """MSA bars with intervals, or A, D and P on a full-circle radar (needs matplotlib).

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> from csimodels.datasets.servqual import simulate_servqual_survey
        >>> from csimodels.servqual import ZoneOfTolerance
        >>> sim = simulate_servqual_survey(n=60, zone_of_tolerance=True, random_state=2)
        >>> ZoneOfTolerance().fit(sim.data).plot().get_xlabel()
        'MSA (P − A)'
        """
        return _plot(
            self._bar_frame(),
            kind,
            ax,
            "MSA (P − A)",
            ("adequate", "desired", "perception"),
            language=language,
            labels=labels,
            title="Zone of tolerance",
        )


def zone_rows(p: eng.FloatArray, a: eng.FloatArray, d: eng.FloatArray) -> dict[str, eng.FloatArray]:
    """The row-level arrays whose (weighted) means a zone table reports.

    ``msa`` = P − A, ``mss`` = P − D, the three batteries, and the indicators of a
    respondent's own perception below, within or above their zone (NaN where the
    perception is missing). Additive over rows once summed, so the out-of-core fit sums
    these per partition (:func:`csimodels.servqual._engine.moment_sums`).
    """
    valid = ~np.isnan(p)
    with np.errstate(invalid="ignore"):
        return {
            "msa": p - a,
            "mss": p - d,
            "perception": p,
            "adequate": a,
            "desired": d,
            "below": np.where(valid, p < a, np.nan),
            "within": np.where(valid, (p >= a) & (p <= d), np.nan),
            "above": np.where(valid, p > d, np.nan),
        }


def zone_columns(
    stats: Callable[[str], eng.MeanStats], mean: Callable[[str], eng.FloatArray]
) -> dict[str, Any]:
    """The columns of a zone table from the statistics of :func:`zone_rows`' arrays:
    ``stats(name)`` their mean, SE and interval, ``mean(name)`` their mean (from the
    rows in memory, or from combined sums out of core)."""
    msa, mss = stats("msa"), stats("mss")
    mp, ma, md = mean("perception"), mean("adequate"), mean("desired")
    position = np.where(mp < ma, "below", np.where(mp > md, "above", "within"))
    return {
        "adequate": ma,
        "desired": md,
        "perception": mp,
        "tolerance": md - ma,
        "msa": msa.mean,
        "msa_std_error": msa.std_error,
        "msa_ci_lower": msa.ci_lower,
        "msa_ci_upper": msa.ci_upper,
        "mss": mss.mean,
        "mss_std_error": mss.std_error,
        "mss_ci_lower": mss.ci_lower,
        "mss_ci_upper": mss.ci_upper,
        "position": pd.array(position.astype(str), dtype="str"),
        "share_below": mean("below"),
        "share_within": mean("within"),
        "share_above": mean("above"),
        "n": msa.n,
    }


def _zone_table(
    p: eng.FloatArray,
    a: eng.FloatArray,
    d: eng.FloatArray,
    w: eng.FloatArray | None,
    level: float,
) -> dict[str, Any]:
    rows = zone_rows(p, a, d)
    return zone_columns(
        lambda name: eng.mean_stats(rows[name], w, level, test=False),
        lambda name: eng.column_means(rows[name], w),
    )


class ZoneOfTolerance(InstrumentModel):
    """Zone-of-tolerance analysis with adequate (A) and desired (D) expectations.

    Attributes
    ----------
    instrument : Instrument or str
        Item bank (default the 1991 SERVQUAL).
    perception, desired, adequate : str
        Battery codes for the instrument's ``column_pattern`` (``P``, ``D``, ``A``).
    scale : (float, float)
        Answer scale of the three batteries (default 1–7; the 1994 study used 1–9).
    level : float
        Confidence level of the MSA and MSS intervals.
    missing : {"listwise", "pairwise"}
        As in :class:`~csimodels.servqual.SERVQUAL`.

    Examples
    --------
    >>> import pandas as pd
    >>> from csimodels.servqual import Instrument, ZoneOfTolerance
    >>> inst = Instrument(name="one", dimensions={"Speed": ("1",)})
    >>> df = pd.DataFrame({"A1": [4, 5, 3], "D1": [6, 7, 6], "P1": [5, 4, 6]})
    >>> row = ZoneOfTolerance(instrument=inst).fit(df).items.loc["1"]
    >>> float(row["msa"]), float(row["mss"]), row["position"]
    (1.0, -1.3333333333333333, 'within')
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    instrument: Instrument = SERVQUAL_1991
    perception: str = "P"
    desired: str = "D"
    adequate: str = "A"
    scale: tuple[float, float] = (1.0, 7.0)
    level: float = 0.95
    missing: Literal["listwise", "pairwise"] = "listwise"

    @model_validator(mode="after")
    def _check_batteries(self) -> Self:
        codes = [self.perception, self.desired, self.adequate]
        if len(set(codes)) != 3:
            raise InvalidParameterError(
                f"ZoneOfTolerance: perception, desired and adequate battery codes must differ, "
                f"got {codes}"
            )
        return self

    def fit(
        self,
        data: SurveyData | pd.DataFrame,
        *,
        by: str | Sequence[str] | None = None,
        weight: str | None = None,
        on_error: Literal["skip", "raise"] = "skip",
        n_jobs: int = 1,
        **data_options: Any,
    ) -> ZoneOfToleranceResult | SegmentedResult:
        """Compute MSA, MSS and zone positions per item and dimension.

        Parameters
        ----------
        data : SurveyData, DataFrame, dask DataFrame or parquet path
            The P, D and A answers (a DataFrame goes through the one data gate). Not
            modified. A dask DataFrame, or a parquet file or directory (``str`` or
            ``Path``), is analysed out of core from per-partition sums (the same
            numbers); see ``docs/scaling.md``.
        by : str or list of str, optional
            Segment column(s): a :class:`~csimodels.results.SegmentedResult`.
        weight : str, optional
            Respondent-weight column of a DataFrame.
        on_error, n_jobs : optional
            With ``by``: the failure policy and the joblib jobs.
        **data_options
            Other :meth:`SurveyData.from_frame` options for a DataFrame.

        Warns
        -----
        DataQualityWarning
            When some respondents rate the desired level below the adequate level.

        Examples
        --------
        >>> from csimodels.datasets.servqual import simulate_servqual_survey
        >>> from csimodels.servqual import ZoneOfTolerance
        >>> sim = simulate_servqual_survey(n=300, zone_of_tolerance=True, random_state=2)
        >>> ZoneOfTolerance().fit(sim.data).dimensions.loc["Reliability", "position"]
        'within'
        """
        prep = self._prepared_or_fitted(
            data, self.fit, by=by, weight=weight, on_error=on_error, n_jobs=n_jobs,
            options=data_options,
        )  # fmt: skip
        if not isinstance(prep, Prepared):
            return prep  # type: ignore[return-value]
        dims = list(self.instrument.dimensions)
        p, d, a = (prep.batteries[k] for k in ("perception", "desired", "adequate"))
        w = prep.weights
        scores = [eng.dimension_scores(x, prep.owner, len(dims))[0] for x in (p, a, d)]
        return self._result(
            prep,
            _zone_table(p, a, d, w, self.level),
            _zone_table(scores[0], scores[1], scores[2], w, self.level),
            inverted=(int((d < a).sum()), int((d < a).any(axis=1).sum())),
            weight_name=data.weight if isinstance(data, SurveyData) else weight,
        )

    def _batteries(self) -> dict[str, str]:
        return {"perception": self.perception, "desired": self.desired, "adequate": self.adequate}

    def _from_sums(self, prep: Prepared, stats: dict[str, Any], weight: str | None) -> Result:
        """The result from the combined sums of a dask DataFrame (no rows)."""
        sums = stats["sums"]

        def table(prefix: str) -> dict[str, Any]:
            return zone_columns(
                lambda name: eng.stats_from_sums(sums[f"{prefix}{name}"], self.level, test=False),
                lambda name: eng.means_from_sums(sums[f"{prefix}{name}"]),
            )

        pairs, respondents = (int(v) for v in stats["inverted"])
        return self._result(
            prep, table("item_"), table("dim_"), inverted=(pairs, respondents), weight_name=weight
        )

    def _result(
        self,
        prep: Prepared,
        item_columns: dict[str, Any],
        dimension_columns: dict[str, Any],
        *,
        inverted: tuple[int, int],
        weight_name: str | None,
    ) -> ZoneOfToleranceResult:
        notes = list(prep.notes)
        inst = self.instrument
        dims = list(inst.dimensions)
        if inverted[0]:
            warn_and_note(
                notes,
                f"{inverted[0]} answer pair(s) rate the desired level below the adequate "
                f"level ({inverted[1]} respondents); their zone is inverted",
                DataQualityWarning,
            )
        items = pd.DataFrame(
            {
                "dimension": pd.array([inst.dimension_of(i) for i in inst.items], dtype="str"),
                "label": pd.array([inst.label_of_item(i) for i in inst.items], dtype="str"),
                **item_columns,
            },
            index=pd.Index(list(inst.items), name="item", dtype="str"),
        )
        dimensions = pd.DataFrame(
            {
                "label": pd.array([inst.label_of_dimension(x) for x in dims], dtype="str"),
                "n_items": np.array([len(inst.dimensions[x]) for x in dims], dtype=np.int64),
                **dimension_columns,
            },
            index=pd.Index(dims, name="dimension", dtype="str"),
        )
        settings = {
            **base_settings(
                "ZoneOfTolerance",
                inst,
                prep,
                scale=self.scale,
                level=self.level,
                missing=self.missing,
                weight=weight_name,
            ),
            "position_rule": "mean P below mean A: below; above mean D: above; else within",
        }
        return ZoneOfToleranceResult(
            items=items,
            dimensions=dimensions,
            exclusions=prep.exclusions,
            missing=prep.report,
            settings=settings,
            notes=tuple(notes),
        )
