"""KanoResult: per-feature Kano classification, strengths, Fong's test, Better-Worse and
continuous analysis, with plot data and an optional matplotlib plot."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
import pandas as pd

from csimodels.errors import DataValidationError
from csimodels.results import Frame, Result

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["KanoResult"]

PlotKind = Literal["better_worse", "continuous"]


class KanoResult(Result):
    """The Kano classification of each feature of a feature survey.

    All tables are indexed by feature (the names given in ``Kano(features=...)``).
    Shares, means and strengths are weighted when the survey has respondent weights;
    ``counts`` are always plain counts of respondents.

    Attributes
    ----------
    counts : DataFrame
        Columns ``A``, ``O``, ``M``, ``I``, ``R``, ``Q``: number of respondents whose
        answer pair the evaluation table puts in each category; ``n``: respondents with
        both answers (after screening).
    shares : DataFrame
        The same six categories as (weighted) shares of ``n``; rows sum to 1.
    classification : DataFrame
        ``n``; ``category``: the category by mode, ties and near-ties (shares within
        ``tie_threshold`` of the largest) resolved by M > O > A > I (then R, Q);
        ``category_name`` (e.g. "Must-be"); ``mode``: the category by exact mode (ties by
        the same priority, no threshold); ``second``: the largest other category;
        ``category_strength``: largest share minus second largest share;
        ``total_strength``: share A + O + M; ``fong_statistic``: |a − b| for the counts
        of ``category`` and ``second``; ``fong_bound``:
        c · √((a + b)(2n − a − b) / (2n)); ``fong_significant``: statistic ≥ bound;
        ``combined``: ``category`` when significant, else ``"category/second"``
        (e.g. "M/O").
    better_worse : DataFrame
        ``better`` = (A + O) / (A + O + M + I); ``worse`` = −(O + M) / (A + O + M + I);
        ``quadrant`` (A, O, M or I) and ``quadrant_name`` in the Better–Worse diagram
        (high Better and high \\|Worse\\| = O, high Better only = A, high \\|Worse\\| only
        = M, neither = I; "high" means at or above the cut recorded in
        ``settings["better_cut"]`` and ``settings["worse_cut"]``).
    continuous : DataFrame
        DuMouchel's continuous analysis: ``n`` pairs used; ``functional_mean``,
        ``functional_sd``, ``dysfunctional_mean``, ``dysfunctional_sd`` (scores
        Like 4, Must-be 2, Neutral 0, Live-with −1, Dislike −2 for the functional
        answer and −2, −1, 0, 2, 4 for the dysfunctional one; sd with n − 1; weighted by
        respondent weight × stated importance when importance weighting is on);
        ``importance_mean`` (NaN without importance columns); ``quadrant`` and
        ``quadrant_name`` (high functional and high dysfunctional = O, functional only
        = A, dysfunctional only = M, neither = I, cut at ``settings["functional_cut"]``
        and ``settings["dysfunctional_cut"]``).
    screening : DataFrame
        One row per respondent removed for too many Questionable answers (index: row
        label): ``answered`` features, ``questionable`` count, ``questionable_share``.
    respondent_categories : DataFrame or None
        With ``fit(..., keep_respondents=True)``: one row per respondent (screened ones
        included), one column per feature, the category letter (missing when a feature
        was not answered).

    Examples
    --------
    >>> import pandas as pd
    >>> from csimodels.kano import Kano
    >>> df = pd.DataFrame({"f": [1, 1, 2, 4], "d": [5, 5, 5, 3]})
    >>> res = Kano(features={"Wi-Fi": ("f", "d")}).fit(df)
    >>> res.counts.loc["Wi-Fi", ["O", "M", "I"]].tolist()
    [2, 1, 1]
    >>> res.classification.loc["Wi-Fi", "category"]
    'O'
    """

    counts: Frame
    shares: Frame
    classification: Frame
    better_worse: Frame
    continuous: Frame
    screening: Frame
    respondent_categories: Frame | None = None

    _title: ClassVar[str] = "Kano classification"

    def _check_invariants(self) -> None:
        shares = self.__dict__["shares"]
        counts = self.__dict__["counts"]
        classification = self.__dict__["classification"]
        if not shares.index.equals(counts.index) or not shares.index.equals(classification.index):
            raise ValueError("counts, shares and classification must list the same features")
        values = shares.to_numpy(dtype=np.float64, na_value=np.nan)
        finite = np.isfinite(values)
        if (values[finite] < -1e-12).any() or (values[finite] > 1 + 1e-12).any():
            raise ValueError("category shares must lie in [0, 1]")
        rows = np.isfinite(values).all(axis=1)
        if rows.any() and (np.abs(values[rows].sum(axis=1) - 1) > 1e-6).any():
            raise ValueError("the category shares of a feature must sum to 1")
        known = set(shares.columns) | {None}
        if (
            "category" in classification
            and not set(classification["category"].where(classification["category"].notna(), None))
            <= known
        ):
            raise ValueError("classification names a category that has no share column")

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        s = self.settings
        header: list[tuple[str, object]] = [
            ("Features", s.get("n_features")),
            ("Respondents", s.get("n_respondents")),
            (
                "Screened out",
                f"{s.get('n_screened')} (questionable share > {s.get('max_questionable_share')})",
            ),
            ("Weighted", "yes (" + str(s["weight"]) + ")" if s.get("weight") else "no"),
            ("Evaluation table", s.get("table")),
            ("Tie rule", f"M > O > A > I, near-tie threshold {s.get('tie_threshold')}"),
            ("Fong's test critical value", f"{s.get('fong_critical_value', float('nan')):.4f}"),
            (
                "Better-Worse cut",
                f"Better {s.get('better_cut', float('nan')):.4f}, "
                f"|Worse| {s.get('worse_cut', float('nan')):.4f}",
            ),
        ]
        tables: dict[str, Any] = {
            "Classification": self.classification[
                [
                    "n",
                    "category",
                    "combined",
                    "category_strength",
                    "total_strength",
                    "fong_significant",
                ]
            ].join(self.better_worse[["better", "worse", "quadrant"]]),
            "Category shares": self.shares,
            "Continuous analysis": self.continuous[
                ["functional_mean", "dysfunctional_mean", "importance_mean", "quadrant"]
            ],
        }
        return header, tables

    # -- plots -----------------------------------------------------------------------
    def plot_data(self, kind: PlotKind = "better_worse") -> pd.DataFrame:
        """Coordinates for the Better–Worse diagram or the continuous-analysis plot.

        Parameters
        ----------
        kind : {"better_worse", "continuous"}
            ``"better_worse"``: x = \\|Worse\\| (dissatisfaction), y = Better
            (satisfaction). ``"continuous"``: x = mean dysfunctional score, y = mean
            functional score (Berger et al. 1993, figure of the continuous analysis).

        Returns
        -------
        DataFrame
            Indexed by feature: ``x``, ``y``, ``quadrant``, ``category`` (the
            discrete classification), ``x_cut`` and ``y_cut`` (the quadrant lines),
            and ``size`` (mean stated importance, or NaN).

        Examples
        --------
        >>> import pandas as pd
        >>> from csimodels.kano import Kano
        >>> df = pd.DataFrame({"f": [1, 1, 2, 4], "d": [5, 5, 5, 3]})
        >>> pdata = Kano(features={"Wi-Fi": ("f", "d")}).fit(df).plot_data()
        >>> pdata.loc["Wi-Fi", ["x", "y"]].tolist()
        [0.75, 0.5]
        """
        if kind == "better_worse":
            bw = self.better_worse
            out = pd.DataFrame(
                {
                    "x": -bw["worse"],
                    "y": bw["better"],
                    "quadrant": bw["quadrant"],
                    "category": self.classification["category"],
                    "x_cut": float(self.settings["worse_cut"]),
                    "y_cut": float(self.settings["better_cut"]),
                    "size": self.continuous["importance_mean"],
                }
            )
        elif kind == "continuous":
            c = self.continuous
            out = pd.DataFrame(
                {
                    "x": c["dysfunctional_mean"],
                    "y": c["functional_mean"],
                    "quadrant": c["quadrant"],
                    "category": self.classification["category"],
                    "x_cut": float(self.settings["dysfunctional_cut"]),
                    "y_cut": float(self.settings["functional_cut"]),
                    "size": c["importance_mean"],
                }
            )
        else:
            raise DataValidationError(
                f"kind={kind!r} is not a Kano plot; choose 'better_worse' or 'continuous'"
            )
        out.index.name = "feature"
        return out

    def plot(
        self,
        kind: PlotKind | None = None,
        *,
        ax: Axes | None = None,
        language: Literal["en", "zh"] = "en",
        labels: Literal["code", "label"] = "code",
    ) -> Axes:
        """Draw the Better–Worse diagram (default) or the continuous-analysis plot.

        Needs the ``plot`` extra (``pip install 'csimodels[plot]'``); matplotlib is
        imported only when this is called. ``language="zh"`` writes the Chinese
        category names (魅力 / 期望 / 必备 / 无差异).

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import pandas as pd
        >>> from csimodels.kano import Kano
        >>> df = pd.DataFrame({"f": [1, 1, 2, 4], "d": [5, 5, 5, 3]})
        >>> ax = Kano(features={"Wi-Fi": ("f", "d")}).fit(df).plot()
        >>> ax.get_xlabel()
        '|Worse| (dissatisfaction if absent)'
        """
        from csimodels.plotting import axes_for, check_plot_options, use_language

        chosen = check_plot_options(
            kind=kind,
            kinds=("better_worse", "continuous"),
            language=language,
            labels=labels,
            owner=type(self).__name__,
        )
        data = self.plot_data(chosen)  # type: ignore[arg-type]
        zh = language == "zh"
        with use_language(language):
            _, axes = axes_for(ax, figsize=(6, 5))
            axes.scatter(data["x"], data["y"], zorder=3)
            for label, row in data.iterrows():
                if np.isfinite(row["x"]) and np.isfinite(row["y"]):
                    axes.annotate(
                        str(label), (row["x"], row["y"]), textcoords="offset points",
                        xytext=(4, 4), fontsize=8,
                    )  # fmt: skip
            x_cut = float(data["x_cut"].iloc[0]) if len(data) else 0.0
            y_cut = float(data["y_cut"].iloc[0]) if len(data) else 0.0
            axes.axvline(x_cut, color="grey", lw=0.8)
            axes.axhline(y_cut, color="grey", lw=0.8)
            if chosen == "better_worse":
                axes.set_xlim(0, 1)
                axes.set_ylim(0, 1)
                axes.set_xlabel(
                    "|Worse|（缺失时的不满意）" if zh else "|Worse| (dissatisfaction if absent)"
                )
                axes.set_ylabel(
                    "Better（具备时的满意）" if zh else "Better (satisfaction if present)"
                )
            else:
                axes.set_xlim(-2, 4)
                axes.set_ylim(-2, 4)
                axes.set_xlabel("反向问题得分（均值）" if zh else "Dysfunctional score (mean)")
                axes.set_ylabel("正向问题得分（均值）" if zh else "Functional score (mean)")
            corners = {"A": (0.02, 0.98), "O": (0.98, 0.98), "I": (0.02, 0.02), "M": (0.98, 0.02)}
            names = (
                {"A": "魅力", "O": "期望", "M": "必备", "I": "无差异"}
                if zh
                else {"A": "Attractive", "O": "One-dimensional", "M": "Must-be", "I": "Indifferent"}
            )
            for letter, (cx, cy) in corners.items():
                axes.text(
                    cx, cy, names[letter], transform=axes.transAxes, fontsize=8, color="grey",
                    ha="left" if cx < 0.5 else "right", va="top" if cy > 0.5 else "bottom",
                )  # fmt: skip
            if chosen == "better_worse":
                axes.set_title("Better-Worse 系数图" if zh else "Better-Worse diagram")
            else:
                axes.set_title("连续型分析" if zh else "Continuous analysis")
        result: Axes = axes
        return result
