"""Validation shared by the exploratory models: the data gate, item checks, correlations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from csimodels.data.survey import SurveyData
from csimodels.errors import DataValidationError, format_offenders
from csimodels.explore._factorability import weighted_correlation
from csimodels.results import MissingDataReport

FloatArray = NDArray[np.float64]

MISSING_OPTIONS = ("listwise", "pairwise", "mean")


@dataclass(frozen=True)
class Prepared:
    """Checked item answers and their correlation matrix."""

    survey: SurveyData | None  # None out of core (no rows collected)
    items: tuple[str, ...]
    values: FloatArray | None  # rows used (NaN only with pairwise); None out of core
    weights: FloatArray | None
    rows: pd.Index
    correlation: FloatArray
    means: FloatArray
    sds: FloatArray
    n: int  # respondents behind the correlations (smallest pairwise count if pairwise)
    report: MissingDataReport


def to_survey(
    data: SurveyData | pd.DataFrame,
    items: Sequence[str] | None,
    *,
    owner: str,
    weight: str | None = None,
    segments: Sequence[str] = (),
    options: Mapping[str, Any] | None = None,
) -> SurveyData:
    """The one data gate, with ``items`` checked against the survey."""
    if not isinstance(data, (SurveyData, pd.DataFrame)):
        refuse_out_of_core(data, owner)
        # the gate's own message for anything else: the type expected
        SurveyData.coerce(data, owner=owner)
    if isinstance(items, str):
        raise DataValidationError(f"{owner}: items must be a list of column names, not one string")
    opts = dict(options or {})
    if isinstance(data, pd.DataFrame):
        if data.shape[0] == 0:
            raise DataValidationError(f"{owner}: the data have no rows")
        if items is not None:
            missing = [c for c in items if c not in data.columns]
            if missing:
                raise DataValidationError(
                    f"{owner}: item column {format_offenders(missing)} not in the data; "
                    f"its columns are {format_offenders(sorted(map(str, data.columns)))}"
                )
        return SurveyData.coerce(
            data,
            owner=owner,
            items=None if items is None else list(items),
            weight=weight,
            segments=list(segments),
            **opts,
        )
    survey = SurveyData.coerce(data, owner=owner, weight=weight, segments=list(segments), **opts)
    if items is not None:
        survey._check_items(list(items))
    return survey


def refuse_out_of_core(data: object, owner: str) -> None:
    """Refuse a dask DataFrame or a parquet path for a fit that needs the respondents' rows.

    EFA and Reliability fit out of core (their own ``fit`` takes the dask route before
    this gate); screening, segmentation and factor scores need each respondent's answers.
    """
    from csimodels.data._dask import is_dask_frame
    from csimodels.data._dask_tasks import is_parquet_path

    if is_dask_frame(data):
        what, remedy = "a dask DataFrame", "collect it first (ddf.compute(), or a sample: "
        remedy += "ddf.sample(frac=0.1).compute())"
    elif is_parquet_path(data):
        what, remedy = f"a path ({str(data)!r})", "read it first (pandas.read_parquet)"
    else:
        return
    raise DataValidationError(
        f"{owner}: data is {what}; {owner.split('.')[0]} needs each respondent's answers "
        "(its rows), which are never collected out of core (only EFA and Reliability among "
        f"the exploratory models fit from per-partition sums); {remedy}"
    )


def pairwise_correlation(
    x: FloatArray, w: FloatArray | None
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Pairwise-complete (weighted) Pearson correlations, as R's ``cor(use="pairwise")``.

    Returns (correlation, means, sds, pairwise counts).
    """
    mask = ~np.isnan(x)
    m = mask.astype(np.float64)
    x0 = np.where(mask, x, 0.0)
    ww = np.ones(x.shape[0]) if w is None else w
    wm = m * ww[:, None]
    wx = x0 * ww[:, None]
    n_ij = wm.T @ m
    s_ij = wx.T @ m  # sum of x_i over rows where j is present too
    ss_ij = (wx * x0).T @ m
    sxy = wx.T @ x0
    counts = m.T @ m
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = (sxy - s_ij * s_ij.T / n_ij) / (n_ij - 1.0)
        var_i = (ss_ij - s_ij**2 / n_ij) / (n_ij - 1.0)
        r = cov / np.sqrt(var_i * var_i.T)
    r = (r + r.T) / 2.0
    np.fill_diagonal(r, 1.0)
    total = wm.sum(axis=0)
    means = (wx.sum(axis=0)) / total
    var = ((wx * x0).sum(axis=0) - total * means**2) / (total - 1.0)
    return r, means, np.sqrt(np.maximum(var, 0.0)), counts


def prepare(
    survey: SurveyData,
    items: Sequence[str] | None,
    *,
    owner: str,
    missing: str,
    min_items: int = 2,
    check_singular: bool = True,
) -> Prepared:
    """Item answers after the missing-data strategy, checked, with their correlations."""
    names = check_names(list(survey.items if items is None else items), owner, min_items)
    mat = survey.item_matrix(names, missing=missing)
    x, w = mat.values, mat.weights
    p = len(names)
    if missing == "pairwise":
        r, means, sds, counts = pairwise_correlation(x, w)
        n = int(counts.min())
    else:
        means = np.zeros(p)
        sds = np.zeros(p)
        n = int(x.shape[0])
        if n >= 2:
            r, means, sds = _safe_correlation(x, w)
        else:
            r = np.eye(p)
    check_prepared(
        names, r, means, sds, n, owner=owner, missing=missing, check_singular=check_singular
    )
    return Prepared(
        survey=survey,
        items=tuple(names),
        values=x,
        weights=w,
        rows=mat.rows,
        correlation=r,
        means=means,
        sds=sds,
        n=n,
        report=mat.report,
    )


def check_names(names: list[str], owner: str, min_items: int) -> list[str]:
    """Enough items, none listed twice."""
    if len(names) < min_items:
        raise DataValidationError(
            f"{owner} needs at least {min_items} items, got {len(names)}"
            + (f" ({format_offenders(names)})" if names else "")
        )
    dupes = sorted({i for i in names if names.count(i) > 1})
    if dupes:
        raise DataValidationError(f"{owner}: item {format_offenders(dupes)} is listed twice")
    return names


def check_prepared(
    names: Sequence[str],
    r: FloatArray,
    means: FloatArray,
    sds: FloatArray,
    n: int,
    *,
    owner: str,
    missing: str,
    check_singular: bool = True,
) -> None:
    """The survey-wide checks of item correlations (in memory and out of core alike)."""
    p = len(names)
    if n <= p:
        raise DataValidationError(
            f"{owner} needs more respondents than items: {n} respondent(s) "
            f"{'with answers to every pair of' if missing == 'pairwise' else 'answered all'} "
            f"{p} items; add respondents, drop items or use missing='pairwise'"
        )
    constant = [names[j] for j in range(p) if not (sds[j] > 1e-12 * max(1.0, abs(means[j])))]
    if constant:
        raise DataValidationError(
            f"{owner}: item {format_offenders(constant)} is constant (no variance among the "
            "respondents used), so it cannot correlate with anything; drop it from items"
        )
    if not np.all(np.isfinite(r)):
        bad = sorted({names[i] for i, _ in zip(*np.nonzero(~np.isfinite(r)), strict=True)})
        raise DataValidationError(
            f"{owner}: correlations of item {format_offenders(bad)} are undefined (too few "
            "respondents answered both items of a pair); use missing='listwise' or drop them"
        )
    if check_singular:
        check_not_singular(r, names, owner=owner)


def _safe_correlation(
    x: FloatArray, w: FloatArray | None
) -> tuple[FloatArray, FloatArray, FloatArray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        return weighted_correlation(x, w)


def check_not_singular(r: FloatArray, names: Sequence[str], *, owner: str) -> None:
    """Refuse a (numerically) singular correlation matrix, naming the dependent items."""
    p = len(names)
    # identical (or perfectly correlated) pairs first: the usual cause, and the clearest
    off = np.abs(r - np.eye(p))
    i, j = np.nonzero(np.triu(off >= 1.0 - 1e-10, 1))
    if i.size:
        pairs = [f"{names[int(a)]!r} and {names[int(b)]!r}" for a, b in zip(i, j, strict=True)]
        shown = "; ".join(pairs[:5]) + (f" and {len(pairs) - 5} more" if len(pairs) > 5 else "")
        raise DataValidationError(
            f"{owner}: items {shown} are perfectly correlated (duplicated "
            "or one a copy of the other), so the correlation matrix is singular; drop one "
            "of each pair"
        )
    values, vectors = np.linalg.eigh(r)
    if values[0] < -1e-8 * max(1.0, values[-1]):
        raise DataValidationError(
            f"{owner}: the correlation matrix of the items is not positive definite "
            f"(smallest eigenvalue {values[0]:.3g}), as pairwise deletion can produce; "
            "use missing='listwise' or missing='mean'"
        )
    if values[0] < 1e-10 * max(1.0, values[-1]):
        v = np.abs(vectors[:, 0])
        involved = [names[k] for k in np.argsort(-v) if v[k] > 0.05]
        raise DataValidationError(
            f"{owner}: the correlation matrix of the items is singular (smallest eigenvalue "
            f"{values[0]:.2e}): items {format_offenders(involved)} are linearly dependent "
            "(one is a sum or average of others); drop one of them"
        )
