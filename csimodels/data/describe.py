"""Per-item description and correlations of a survey."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd

from csimodels._stats import (
    weighted_corr_pairwise,
    weighted_mean,
    weighted_quantile,
    weighted_ranks,
    weighted_skew,
    weighted_var,
)
from csimodels.errors import DataValidationError, format_offenders
from csimodels.results import Frame, Result

if TYPE_CHECKING:
    from csimodels.data.survey import SurveyData

__all__ = ["DescriptionResult", "correlation_matrix", "describe_survey"]


class DescriptionResult(Result):
    """Descriptive statistics of survey items.

    Attributes
    ----------
    table : DataFrame, one row per item
        ``label``; ``n`` valid answers; ``missing`` count and ``missing_share``;
        ``mean``, ``sd``, ``variance`` (n − 1), ``median``, ``mode`` (smallest of tied
        modes), ``min``, ``max``, ``skewness`` (adjusted Fisher–Pearson G1);
        ``top_box`` and ``bottom_box``: share of valid answers in the top / bottom
        ``box`` points of the declared scale (NaN without a scale). All weighted when
        the survey has a weight column.
    frequencies : DataFrame, one row per item
        Share of valid answers at each answer value (columns: scale points, or the
        observed values when no integer scale is declared); weighted if applicable.
    counts : DataFrame
        Unweighted counts of the same cells.

    Examples
    --------
    >>> import csimodels as csi
    >>> d = csi.datasets.load_example("acsi_demo").describe()
    >>> bool((d.frequencies.sum(axis=1).round(12) == 1).all())
    True
    """

    table: Frame
    frequencies: Frame
    counts: Frame

    _title: ClassVar[str] = "Survey description"

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        s = self.settings
        header: list[tuple[str, object]] = [
            ("Respondents", s.get("n_respondents")),
            ("Items", s.get("n_items")),
            ("Weighted", "yes (" + str(s["weight"]) + ")" if s.get("weight") else "no"),
            ("Top/bottom box", f"{s.get('box')} points"),
        ]
        cols = ["n", "missing_share", "mean", "sd", "median", "skewness", "top_box", "bottom_box"]
        return header, {"Items": self.table[["label", *cols]]}

    def plot(
        self,
        kind: Literal["bar", "pie"] | None = None,
        *,
        ax: Any = None,
        language: Literal["en", "zh"] = "en",
        labels: Literal["code", "label"] = "code",
        item: str | None = None,
    ) -> Any:
        """Answer frequencies: stacked shares of every item (default), one item's bars, or a pie.

        Returns the matplotlib Axes.

        Examples
        --------
        >>> import matplotlib; matplotlib.use("Agg")
        >>> import csimodels as csi
        >>> res = csi.datasets.load_example("acsi_demo").describe()
        >>> res.plot(labels="label", language="zh").get_title()
        '回答分布'
        """
        from csimodels.reports.charts import describe_chart

        return describe_chart(self, kind, ax=ax, language=language, labels=labels, item=item)


def describe_survey(
    data: SurveyData, items: Sequence[str] | None = None, *, box: int = 2
) -> DescriptionResult:
    """Describe each item: location, spread, shape, top/bottom box, distribution.

    Parameters
    ----------
    data : SurveyData
    items : list of str, optional
        Default all items.
    box : int
        Number of scale points counted in the top and bottom box (2: "top-2-box").

    Examples
    --------
    >>> import pandas as pd, csimodels as csi
    >>> data = csi.SurveyData.from_frame(pd.DataFrame({"Q": [1, 2, 5, 5]}), scale=(1, 5))
    >>> row = describe_survey(data).table.loc["Q"]
    >>> float(row["mean"]), float(row["top_box"])
    (3.25, 0.5)
    """
    names = data._item_names(items, "describe")
    if not isinstance(box, int) or box < 1:
        raise DataValidationError(f"box must be a positive integer, got {box!r}")
    w = data.weights()
    rows: list[dict[str, Any]] = []
    freq_rows: dict[str, pd.Series] = {}
    count_rows: dict[str, pd.Series] = {}
    frame = data.frame  # one copy-on-write view for the whole loop
    for name in names:
        x = frame[name].to_numpy(dtype=np.float64)
        valid = ~np.isnan(x)
        xv = x[valid]
        wv = np.ones_like(xv) if w is None else w[valid]
        values, inverse = np.unique(xv, return_inverse=True)
        weight_at = np.bincount(inverse, weights=wv, minlength=values.size)
        count_at = np.bincount(inverse, minlength=values.size)
        total = weight_at.sum()
        scale = data.item_info[name].scale
        points = scale.points() if scale is not None else []
        grid = points or values.tolist()
        share = pd.Series(0.0, index=pd.Index(grid, dtype=np.float64))
        counts = pd.Series(0, index=pd.Index(grid, dtype=np.float64), dtype=np.int64)
        if total > 0:
            share.loc[values] = weight_at / total
        counts.loc[values] = count_at
        freq_rows[name] = share
        count_rows[name] = counts
        if scale is not None and total > 0:
            top = float(wv[xv > scale.max - box].sum() / total)
            bottom = float(wv[xv < scale.min + box].sum() / total)
        else:
            top = bottom = float("nan")
        variance = weighted_var(x, w)
        rows.append(
            {
                "item": name,
                "label": data.item_info[name].label,
                "n": int(valid.sum()),
                "missing": int((~valid).sum()),
                "missing_share": float((~valid).mean()),
                "mean": weighted_mean(x, w),
                "sd": float(np.sqrt(variance)),
                "variance": variance,
                "median": weighted_quantile(x, 0.5, w),
                "mode": float(values[np.argmax(weight_at)]) if values.size else float("nan"),
                "min": float(xv.min()) if xv.size else float("nan"),
                "max": float(xv.max()) if xv.size else float("nan"),
                "skewness": weighted_skew(x, w),
                "top_box": top,
                "bottom_box": bottom,
            }
        )
    table = pd.DataFrame(rows).set_index("item")
    table.index.name = "item"
    notes = _undefined_notes(table) + [f"data: {step.describe()}" for step in data.steps]
    frequencies = pd.DataFrame(freq_rows).T.fillna(0.0)
    counts_frame = pd.DataFrame(count_rows).T.fillna(0).astype(np.int64)
    for f in (frequencies, counts_frame):
        f.index.name = "item"
        f.columns.name = "value"
    return DescriptionResult(
        table=table,
        frequencies=frequencies,
        counts=counts_frame,
        settings={
            "n_respondents": data.n_respondents,
            "n_items": len(names),
            "weight": data.weight,
            "box": box,
            "missing": "available answers per item",
            "data_steps": [step.model_dump(mode="json") for step in data.steps],
        },
        notes=tuple(notes),
    )


def _undefined_notes(table: pd.DataFrame) -> list[str]:
    """Say why a statistic is n/a instead of leaving a silent NaN."""
    notes = []
    reasons = [
        (["sd", "variance"], "need at least 2 answers"),
        (["skewness"], "needs at least 3 answers that are not all equal"),
        (["top_box", "bottom_box"], "need a declared scale (scale=(min, max))"),
        (["mean", "median", "mode", "min", "max"], "need at least 1 answer"),
    ]
    for columns, why in reasons:
        items = [str(i) for i in table.index[table[columns].isna().any(axis=1)]]
        if items:
            notes.append(f"{'/'.join(columns)} {why}: n/a for {format_offenders(sorted(items))}")
    return notes


def correlation_matrix(
    data: SurveyData, items: Sequence[str] | None = None, *, method: str = "pearson"
) -> pd.DataFrame:
    """Pairwise-complete item correlations, weighted when the survey has weights.

    Examples
    --------
    >>> import pandas as pd, csimodels as csi
    >>> df = pd.DataFrame({"A": [1, 2, 3, 4], "B": [1, 3, 2, 4]})
    >>> data = csi.SurveyData.from_frame(df, scale=(1, 5))
    >>> float(correlation_matrix(data, method="spearman").loc["A", "B"])
    0.8
    """
    names = data._item_names(items, "correlations")
    if not isinstance(method, str) or method not in ("pearson", "spearman"):
        raise DataValidationError(
            f"method={method!r} is not a correlation method; choose 'pearson' or 'spearman'"
        )
    w = data.weights()
    x = data.frame[names].to_numpy(dtype=np.float64)
    if method == "spearman":
        x = np.column_stack([weighted_ranks(x[:, j], w) for j in range(x.shape[1])])
    r = weighted_corr_pairwise(x, w)
    return pd.DataFrame(r, index=pd.Index(names), columns=pd.Index(names))


def describe_out_of_core(
    data: Any,
    items: Sequence[str],
    *,
    weight: str | None = None,
    scale: Any = None,
    missing_codes: Sequence[float] = (),
    box: int = 2,
) -> DescriptionResult:
    """Describe items of a dask DataFrame or a parquet file or directory.

    The same table as :meth:`csimodels.SurveyData.describe`, from answer-value counts
    computed per partition (on a ``dask.distributed`` cluster when a client is
    connected); needs ``pip install "csimodels[dask]"``.

    Examples
    --------
    >>> import pandas as pd, dask.dataframe as dd
    >>> from csimodels.data import describe_out_of_core
    >>> ddf = dd.from_pandas(pd.DataFrame({"Q": [1.0, 2, 5, 5]}), npartitions=2)
    >>> float(describe_out_of_core(ddf, ["Q"], scale=(1, 5)).table.loc["Q", "mean"])
    3.25
    """
    # a thin public entry: importing the dask layer here would load the PLS engine
    # with every `import csimodels.data`
    from csimodels.data._dask import describe

    return describe(data, items, weight=weight, scale=scale, missing_codes=missing_codes, box=box)
