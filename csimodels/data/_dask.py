"""Out-of-core statistics on dask DataFrames: sufficient statistics per partition, combined.

A dask DataFrame (``dask.dataframe.read_parquet("survey/")``, or
:func:`read_parquet` here) is never collected into memory. Each partition computes
small sums — weighted counts, sums and upper-triangle cross products of the
(centred) answers, or weighted value counts — as a dask task; the client adds
them up and finishes the statistics exactly as the in-memory code does, so the
numbers equal an in-memory fit of the same rows to rounding (the tests ask for
1e-10). What runs out of core:

- PLS path models, single fit and bootstrap (:func:`fit_pls`, reached through
  ``model.fit(dask_frame, ...)``): the correlation matrix comes from the combined
  cross products; a bootstrap chunk's resample counts are drawn on the client (the
  same draws as in memory, chunk sized from ``memory_budget``) and each partition
  returns its rows' weighted sums; with ``by=`` (:func:`fit_pls_by`) every segment
  is fitted from its own sums and bootstrapped over its own rows of each partition;
- item descriptions (:func:`describe`): weighted value counts per item, combined,
  give the same table as :meth:`csimodels.SurveyData.describe`.

Where the tasks run is dask's choice: with a ``dask.distributed`` ``Client``
connected (``Client("tcp://scheduler:8786")`` or a ``LocalCluster``) they run on
its workers; without one, on dask's local scheduler. Nothing here imports dask
until a dask DataFrame is passed.

Missing data follow the in-memory conventions: ``"listwise"`` drops respondents
with a missing answer (or a non-positive weight), ``"mean"`` replaces a missing
answer by the item's weighted mean (computed in a first pass).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from csimodels.errors import (
    ConvergenceWarning,
    DataQualityWarning,
    DataValidationError,
    InvalidParameterError,
    format_offenders,
)
from csimodels.results import Frame, Result, warn_and_note
from csimodels.sem._pls_engine import _cross_rows, _triangle, moments_from_sums

if TYPE_CHECKING:
    from csimodels.data.describe import DescriptionResult
    from csimodels.sem.model import PathModelBase

__all__ = [
    "DaskCrossProducts",
    "OutOfCorePLSResult",
    "describe",
    "fit_pls",
    "is_dask_frame",
    "read_parquet",
]

FloatArray = NDArray[np.float64]

#: Rows of a partition whose cross products a task forms at once.
ROW_CHUNK = 16_384


def is_dask_frame(obj: object) -> bool:
    """Whether ``obj`` is a dask DataFrame (checked without importing dask).

    Examples
    --------
    >>> import pandas as pd
    >>> is_dask_frame(pd.DataFrame({"a": [1]}))
    False
    """
    module = type(obj).__module__ or ""
    return module.split(".")[0] in ("dask", "dask_expr") and hasattr(obj, "to_delayed")


def read_parquet(path: str, **kwargs: Any) -> Any:
    """``dask.dataframe.read_parquet`` (a directory of parquet files, read lazily).

    Needs the ``dask`` extra (``pip install "csimodels[dask]"``).
    """
    import dask.dataframe as dd

    return dd.read_parquet(path, **kwargs)


def _dask() -> Any:
    """The dask package (imported on first use; typed as Any)."""
    import importlib

    return importlib.import_module("dask")


def _compute(tasks: Sequence[Any]) -> list[Any]:
    return list(_dask().compute(*tasks))


def _share(array: FloatArray) -> Any:
    """``array`` as one graph input: scattered to a distributed cluster when a client is
    active (released as soon as the returned future is dropped), a delayed literal
    otherwise."""
    try:
        from distributed import get_client

        client: Any = get_client()
    except (ImportError, ValueError):
        return _dask().delayed(array, pure=False)
    return client.scatter(array, hash=False)


def _partitions(ddf: Any, columns: Sequence[str]) -> list[Any]:
    missing = [c for c in columns if c not in ddf.columns]
    if missing:
        raise DataValidationError(
            f"column {format_offenders(missing)} not found in the dask DataFrame; its "
            f"columns are {format_offenders([str(c) for c in ddf.columns])}"
        )
    return list(ddf[list(columns)].to_delayed())


def _delayed(fn: Any) -> Any:
    from csimodels.data._validate import in_partition

    return _dask().delayed(in_partition(fn), pure=True)


# ---------------------------------------------------------------------------
# per-partition work (plain functions on pandas frames: what the workers run)
# ---------------------------------------------------------------------------


def _raw(
    part: pd.DataFrame, items: Sequence[str], weight: str | None, codes: tuple[float, ...]
) -> tuple[FloatArray, FloatArray]:
    x = part[list(items)].to_numpy(dtype=np.float64, copy=True)
    if codes:
        x[np.isin(x, codes)] = np.nan
    w = np.ones(len(part)) if weight is None else part[weight].to_numpy(dtype=np.float64)
    return x, w


def _first_pass(
    part: pd.DataFrame, items: Sequence[str], weight: str | None, codes: tuple[float, ...]
) -> dict[str, Any]:
    x, w = _raw(part, items, weight, codes)
    valid = ~np.isnan(x)
    xz = np.where(valid, x, 0.0)
    complete = valid.all(axis=1) & (w > 0)
    return {
        "rows": x.shape[0],
        "complete": int(complete.sum()),
        "valid": valid.sum(axis=0),
        "weight_valid": (w[:, None] * valid).sum(axis=0),
        "weighted_sum": (w[:, None] * xz).sum(axis=0),
        "min": np.where(valid.any(axis=0), np.nanmin(np.where(valid, x, np.inf), axis=0), np.nan),
        "max": np.where(valid.any(axis=0), np.nanmax(np.where(valid, x, -np.inf), axis=0), np.nan),
        "bad_weight": bool(np.any(~np.isfinite(w)) or np.any(w < 0)),
    }


def _prepared(
    part: pd.DataFrame,
    items: Sequence[str],
    weight: str | None,
    codes: tuple[float, ...],
    missing: str,
    fill: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    x, w = _raw(part, items, weight, codes)
    isna = np.isnan(x)
    if missing == "listwise":
        keep = ~isna.any(axis=1) & (w > 0)
        return x[keep], w[keep]
    if isna.any():
        x = np.where(isna, fill[None, :], x)
    return x, w


def _sums(
    part: pd.DataFrame,
    items: Sequence[str],
    weight: str | None,
    codes: tuple[float, ...],
    missing: str,
    fill: FloatArray,
    shift: FloatArray,
    counts: FloatArray | None,
    columns: tuple[int, int] | None = None,
) -> tuple[FloatArray, FloatArray, FloatArray, int]:
    """Total weight (B,), weighted cross-product sums (B, width), Σ (x − c)² (p,), rows used.

    The partition's cross products are formed :data:`ROW_CHUNK` rows at a time, so
    a task holds little more than its partition.
    """
    x, w = _prepared(part, items, weight, codes, missing, fill)
    p = x.shape[1]
    if counts is not None and columns is not None:
        counts = counts[:, columns[0] : columns[1]]
    case = w[None, :] if counts is None else counts * w[None, :]
    sums = np.zeros((case.shape[0], p + p * (p + 1) // 2))
    square = np.zeros(p)
    for start in range(0, x.shape[0], ROW_CHUNK):
        rows = _cross_rows(x[start : start + ROW_CHUNK], shift)
        sums += case[:, start : start + ROW_CHUNK] @ rows
        d = rows[:, :p]
        square += (d * d).sum(axis=0)
    return case.sum(axis=1), sums, square, x.shape[0]


def _group_sums(
    part: pd.DataFrame,
    items: Sequence[str],
    weight: str | None,
    codes: tuple[float, ...],
    missing: str,
    fill: FloatArray,
    shift: FloatArray,
    offset: int,
    groups: int,
) -> tuple[FloatArray, FloatArray]:
    x, w = _prepared(part, items, weight, codes, missing, fill)
    p = x.shape[1]
    member = (offset + np.arange(x.shape[0])) % groups
    out = np.zeros((groups, p + p * (p + 1) // 2))
    for start in range(0, x.shape[0], ROW_CHUNK):
        stop = start + ROW_CHUNK
        rows = _cross_rows(x[start:stop], shift) * w[start:stop, None]
        for j in range(rows.shape[1]):
            out[:, j] += np.bincount(member[start:stop], weights=rows[:, j], minlength=groups)
    total = np.bincount(member, weights=w, minlength=groups)
    return np.asarray(total, dtype=np.float64), np.asarray(out, dtype=np.float64)


def _value_counts(
    part: pd.DataFrame, items: Sequence[str], weight: str | None, codes: tuple[float, ...]
) -> dict[str, tuple[FloatArray, FloatArray, FloatArray]]:
    x, w = _raw(part, items, weight, codes)
    out = {}
    for j, name in enumerate(items):
        col = x[:, j]
        valid = ~np.isnan(col)
        values, inverse = np.unique(col[valid], return_inverse=True)
        out[name] = (
            np.asarray(values, dtype=np.float64),
            np.bincount(inverse, minlength=values.size).astype(np.float64),
            np.asarray(np.bincount(inverse, weights=w[valid], minlength=values.size), np.float64),
        )
    return out


# ---------------------------------------------------------------------------
# combined sums
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DaskCrossProducts:
    """Weighted cross-product sums over the partitions of a dask DataFrame.

    The out-of-core counterpart of :class:`~csimodels.sem._pls_engine.CrossProducts`
    (same methods, so :func:`~csimodels.sem.bootstrap.bootstrap_sums` runs on
    either). Case weights passed to :meth:`weighted_sums` are multiplied by the
    respondent weights inside each partition.

    Attributes
    ----------
    parts : list
        One dask delayed pandas frame per partition (only the model's columns).
    items : tuple of str
    weight : str or None
    codes : tuple of float
        Answer codes treated as missing.
    missing : {"listwise", "mean"}
    fill : ndarray (p,)
        Weighted item means used for mean replacement.
    shift : ndarray (p,)
        Centring constant of the cross products.
    sizes : tuple of int
        Rows used per partition (after listwise deletion).
    n_rows : int
        Rows in the data before listwise deletion.
    """

    parts: list[Any]
    items: tuple[str, ...]
    weight: str | None
    codes: tuple[float, ...]
    missing: str
    fill: FloatArray
    shift: FloatArray
    sizes: tuple[int, ...]
    n_rows: int
    square_scale: FloatArray

    @classmethod
    def from_frame(
        cls,
        ddf: Any,
        items: Sequence[str],
        *,
        weight: str | None = None,
        missing: str = "listwise",
        missing_codes: Sequence[float] = (),
        scale: Mapping[str, tuple[float, float]] | None = None,
    ) -> DaskCrossProducts:
        """Validate the data (one pass over the partitions) and prepare the sums."""
        if missing not in ("listwise", "mean"):
            raise InvalidParameterError(
                f"missing={missing!r} is not available out of core; choose 'listwise' or 'mean'"
            )
        columns = [*items, *([weight] if weight else [])]
        parts = _partitions(ddf, columns)
        codes = tuple(float(c) for c in missing_codes)
        first = _compute([_delayed(_first_pass)(p, list(items), weight, codes) for p in parts])
        if any(f["bad_weight"] for f in first):
            raise DataValidationError(
                f"weight column {weight!r} has negative or non-finite values; weights must be "
                "finite and non-negative"
            )
        valid = np.sum([f["valid"] for f in first], axis=0)
        empty = [items[int(j)] for j in np.flatnonzero(valid == 0)]
        if empty:
            raise DataValidationError(
                f"item {format_offenders(empty)} has no answers in these data; drop it"
            )
        lo = np.nanmin([f["min"] for f in first], axis=0)
        hi = np.nanmax([f["max"] for f in first], axis=0)
        if scale is not None:
            outside = [
                f"{name} ({lo[j]:g}..{hi[j]:g} outside {scale[name][0]:g}..{scale[name][1]:g})"
                for j, name in enumerate(items)
                if lo[j] < scale[name][0] or hi[j] > scale[name][1]
            ]
            if outside:
                raise DataValidationError(
                    f"answers outside the declared scale: {format_offenders(outside)}; declare "
                    "missing codes (missing_codes=...) or the right scale"
                )
        fill = np.sum([f["weighted_sum"] for f in first], axis=0) / np.sum(
            [f["weight_valid"] for f in first], axis=0
        )
        if missing == "listwise":
            sizes = tuple(int(f["complete"]) for f in first)
            if sum(sizes) == 0:
                raise DataValidationError(
                    f"no respondent has answers to all of {format_offenders(list(items))} "
                    "(listwise deletion left an empty dataset); use missing='mean'"
                )
        else:
            sizes = tuple(int(f["rows"]) for f in first)
        made = cls(
            parts=parts,
            items=tuple(items),
            weight=weight,
            codes=codes,
            missing=missing,
            fill=fill,
            shift=fill.copy(),
            sizes=sizes,
            n_rows=int(sum(f["rows"] for f in first)),
            square_scale=np.ones(len(items)),
        )
        return made

    @property
    def n(self) -> int:
        """Rows used."""
        return int(sum(self.sizes))

    @property
    def width(self) -> int:
        """Columns of the cross products, ``p + p(p+1)/2``."""
        p = len(self.items)
        return p + p * (p + 1) // 2

    def _args(self) -> tuple[Any, ...]:
        return (list(self.items), self.weight, self.codes, self.missing, self.fill, self.shift)

    def weighted_sums(self, weights: FloatArray | None) -> tuple[FloatArray, FloatArray]:
        """Total weight (B,) and sums (B, width) for case weights (B, n) (None: one member).

        Partition ``k`` gets columns ``offset_k .. offset_k + size_k − 1`` of ``weights``.
        """
        offsets = np.concatenate([[0], np.cumsum(self.sizes)])
        # the case weights enter the graph once (one key, no copy per partition);
        # each task takes its own columns
        shared = None if weights is None else _share(weights)
        tasks = [
            _delayed(_sums)(part, *self._args(), shared, (int(offsets[k]), int(offsets[k + 1])))
            for k, part in enumerate(self.parts)
        ]
        done = _compute(tasks)
        del shared, tasks  # a scattered array is released with its future
        total = np.sum([d[0] for d in done], axis=0)
        sums = np.sum([d[1] for d in done], axis=0)
        return total, sums

    def square_sums(self) -> FloatArray:
        """Σ (x − c)² per item over the rows used (for the zero-variance threshold)."""
        done = _compute([_delayed(_sums)(p, *self._args(), None, None) for p in self.parts])
        return np.asarray(np.sum([d[2] for d in done], axis=0), dtype=np.float64)

    def group_sums(self, weights: FloatArray, groups: int) -> tuple[FloatArray, FloatArray]:
        """Weighted sums per jackknife group (row ``i`` in group ``i mod groups``).

        ``weights`` is ignored: the respondent weights are applied in the partitions.
        """
        offsets = np.concatenate([[0], np.cumsum(self.sizes)])
        done = _compute(
            [
                _delayed(_group_sums)(part, *self._args(), int(offsets[k]), groups)
                for k, part in enumerate(self.parts)
            ]
        )
        return np.sum([d[0] for d in done], axis=0), np.sum([d[1] for d in done], axis=0)

    def moments(
        self, total: FloatArray, sums: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Means, sds and correlation matrices from weighted sums (as in memory)."""
        return moments_from_sums(total, sums, self.n, self.shift, self.square_scale)


def correlations(
    ddf: Any,
    items: Sequence[str],
    *,
    weight: str | None = None,
    missing: str = "listwise",
    missing_codes: Sequence[float] = (),
) -> tuple[FloatArray, FloatArray, FloatArray, DaskCrossProducts]:
    """Weighted means, sds and the correlation matrix of ``items`` (out of core).

    Examples
    --------
    >>> import numpy as np, pandas as pd, dask.dataframe as dd
    >>> df = pd.DataFrame({"a": [1.0, 2, 4, 5], "b": [2.0, 1, 5, 4]})
    >>> m, s, r, _ = correlations(dd.from_pandas(df, npartitions=2), ["a", "b"])
    >>> bool(np.isclose(r[0, 1], np.corrcoef(df.a, df.b)[0, 1]))
    True
    """
    cp = DaskCrossProducts.from_frame(
        ddf, items, weight=weight, missing=missing, missing_codes=missing_codes
    )
    cp = _with_square_scale(cp)
    means, sds, r = cp.moments(*cp.weighted_sums(None))
    return means[0], sds[0], r[0], cp


def _with_square_scale(cp: DaskCrossProducts) -> DaskCrossProducts:
    from dataclasses import replace

    scale = np.maximum(cp.square_sums() / max(cp.n, 1), np.finfo(np.float64).tiny)
    return replace(cp, square_scale=scale)


# ---------------------------------------------------------------------------
# PLS
# ---------------------------------------------------------------------------


class OutOfCorePLSResult(Result):
    """A PLS path model fitted to a dask DataFrame (no per-respondent tables).

    The same estimates as :class:`~csimodels.sem.pls.PLSResult`, computed from the
    combined sufficient statistics; construct scores and per-respondent indices,
    which have one row per respondent, are not kept.

    Attributes
    ----------
    outer : DataFrame, index (construct, indicator)
        ``mode``, ``weight``, ``loading``, ``index_weight``, ``mean``, ``sd``,
        ``scale_min``, ``scale_max``.
    paths : DataFrame, index (from, to)
        ``estimate`` (with a bootstrap also ``std_error``, ``t``, ``p_value``,
        ``ci_lower``, ``ci_upper``).
    effects : DataFrame, index (from, to)
        ``direct``, ``indirect``, ``total``.
    r2 : DataFrame, index construct
        ``r2``, ``r2_adjusted`` (and bootstrap columns).
    reliability : DataFrame
        ``alpha``, ``rho_a``, ``rho_c``, ``ave``.
    construct_correlations : DataFrame
    indices : DataFrame, index construct
        ``index`` (0–100, the index of the mean answers) and ``label``.
    srmr : float
    iterations : int
    converged : bool
    bootstrap : PLSBootstrap or None

    Examples
    --------
    >>> import csimodels as csi, dask.dataframe as dd
    >>> d = csi.datasets.load_example("acsi_demo")
    >>> ddf = dd.from_pandas(d.frame, npartitions=3)
    >>> res = csi.ACSI(indicators=d.constructs).fit(ddf, scale=(1, 10))
    >>> type(res).__name__, res.settings["n"] == len(d.frame)
    ('OutOfCorePLSResult', True)
    """

    outer: Frame
    paths: Frame
    effects: Frame
    r2: Frame
    reliability: Frame
    construct_correlations: Frame
    indices: Frame
    srmr: float
    iterations: int
    converged: bool
    bootstrap: Any = None

    _title: ClassVar[str] = "PLS path model (out of core)"

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        s = self.settings
        header: list[tuple[str, object]] = [
            ("Model", s.get("model")),
            ("Method", "PLS-PM" + (" (consistent, PLSc)" if s.get("consistent") else "")),
            ("Data", f"dask DataFrame, {s.get('partitions')} partitions"),
            ("Respondents used", s.get("n")),
            ("Missing data", s.get("missing")),
            ("Weights", s.get("weight") or "none"),
            ("Iterations", f"{self.iterations} ({'converged' if self.converged else 'NOT'})"),
            ("SRMR", f"{self.srmr:.4f}"),
        ]
        if self.bootstrap is not None:
            header.append(("Inference", f"bootstrap, {self.bootstrap.n_resamples} resamples"))
        return header, {
            "Path coefficients": self.paths,
            "R²": self.r2,
            "Reliability and convergent validity": self.reliability,
            "0–100 indices": self.indices,
        }


def fit_pls(
    model: PathModelBase,
    ddf: Any,
    *,
    scale: Any = None,
    weight: str | None = None,
    missing_codes: Sequence[float] = (),
    bootstrap: int = 0,
    random_state: int | None = None,
    level: float = 0.95,
    sign_change: str = "none",
    chunk_size: int | None = None,
    memory_budget: int | None = None,
) -> OutOfCorePLSResult:
    """Fit ``model`` by PLS to a dask DataFrame, optionally with a bootstrap.

    ``scale`` is ``(min, max)`` for every indicator or a dict per indicator (needed
    for the 0–100 indices and checked against the answers). With the same rows in
    the same order, the numbers equal ``model.fit(frame, ...)`` in memory,
    including the bootstrap draws for the same ``random_state``.
    """
    from csimodels.sem.bootstrap import check_memory_budget

    memory_budget = check_memory_budget(memory_budget)
    if bootstrap:
        _check_resampling(bootstrap, chunk_size, sign_change, level)
    spec = model.to_spec()
    items = list(spec.indicators)
    bounds = _scale_bounds(scale, items, type(model).__name__)
    cp = DaskCrossProducts.from_frame(
        ddf,
        items,
        weight=weight,
        missing=model.missing,
        missing_codes=missing_codes,
        scale=bounds,
    )
    cp = _with_square_scale(cp)
    means, sds, r = (v[0] for v in cp.moments(*cp.weighted_sums(None)))
    return _pls_from_moments(
        model,
        bounds,
        weight,
        means,
        sds,
        r,
        n=cp.n,
        n_rows=cp.n_rows,
        partitions=len(cp.parts),
        cp=cp,
        bootstrap=bootstrap,
        random_state=random_state,
        level=level,
        sign_change=sign_change,
        chunk_size=chunk_size,
        memory_budget=memory_budget,
    )


def _check_resampling(
    bootstrap: int, chunk_size: int | None, sign_change: str, level: float
) -> None:
    """The bootstrap settings checked as in memory (before any pass over the data)."""
    from csimodels.sem.bootstrap import check_bootstrap_arguments, check_level

    check_bootstrap_arguments(
        bootstrap, 0, None, 1 if chunk_size is None else chunk_size, sign_change
    )
    check_level(level)


def _pls_from_moments(
    model: PathModelBase,
    bounds: Mapping[str, tuple[float, float]],
    weight: str | None,
    means: FloatArray,
    sds: FloatArray,
    r: FloatArray,
    *,
    n: int,
    n_rows: int,
    partitions: int,
    cp: DaskCrossProducts | None = None,
    bootstrap: int = 0,
    random_state: int | None = None,
    level: float = 0.95,
    sign_change: str = "none",
    chunk_size: int | None = None,
    memory_budget: int | None = None,
) -> OutOfCorePLSResult:
    """The out-of-core PLS result from a sample's weighted means, sds and correlations
    (and, with ``bootstrap``, the resamples' sums from ``cp``)."""
    from csimodels.inference import resolve_random_state
    from csimodels.sem import _design as design
    from csimodels.sem import _pls_assess as assess
    from csimodels.sem._pls_engine import estimate_pls_moments
    from csimodels.sem.bootstrap import bootstrap_sums, summarise
    from csimodels.sem.index import index_weights

    spec = model.to_spec()
    items = list(spec.indicators)
    names = list(spec.construct_names)
    pos = {c: i for i, c in enumerate(names)}
    blocks = design.blocks(spec)
    structure = design.structure(spec)
    modes = design.modes(spec)
    fit = estimate_pls_moments(
        r,
        blocks,
        modes,
        structure,
        scheme=model.scheme,
        tol=model.tol,
        max_iter=model.max_iter,
        consistent=model.consistent,
    )
    if fit.singular[0]:
        from csimodels.errors import EstimationError

        raise EstimationError(
            f"{type(model).__name__}: a correlation matrix the algorithm must invert is "
            "singular (perfectly collinear constructs or indicators)"
        )
    w, loadings, paths_m, r2v = (
        fit.outer_weights[0],
        fit.loadings[0],
        fit.paths[0],
        fit.r2[0],
    )
    lower = np.array([bounds[i][0] for i in items])
    upper = np.array([bounds[i][1] for i in items])
    v = index_weights(w, sds, blocks)
    notes: list[str] = []
    if not fit.converged[0]:
        warn_and_note(
            notes,
            f"PLS did not converge in {int(fit.iterations[0])} iterations (tolerance "
            f"{model.tol:g}); raise max_iter or check the model",
            ConvergenceWarning,
        )
    if np.any(v < 0):
        bad = [items[j] for j in np.flatnonzero(v < 0)]
        warn_and_note(
            notes,
            f"negative index weights for {format_offenders(bad)}: the 0–100 index of their "
            "construct is not a convex combination of its items",
            DataQualityWarning,
        )
    index = np.array(
        [100 * (v[b] @ means[b] - v[b] @ lower[b]) / (v[b] @ (upper[b] - lower[b])) for b in blocks]
    )
    construct_of = [c.name for c in spec.constructs for _ in c.indicators]
    outer = pd.DataFrame(
        {
            "mode": [spec.get_construct(c).mode for c in construct_of],
            "weight": w,
            "loading": loadings,
            "index_weight": v,
            "mean": means,
            "sd": sds,
            "scale_min": lower,
            "scale_max": upper,
        },
        index=pd.MultiIndex.from_arrays([construct_of, items], names=["construct", "indicator"]),
    )
    paths = pd.DataFrame(
        [{"from": a, "to": b, "estimate": paths_m[pos[a], pos[b]]} for a, b in spec.paths]
    ).set_index(["from", "to"])
    total = np.asarray(assess.total_effects(paths_m), dtype=np.float64)
    reach = np.asarray(assess.total_effects(structure.astype(np.float64))) != 0
    effects = pd.DataFrame(
        [
            {
                "from": names[i],
                "to": names[j],
                "direct": paths_m[i, j],
                "indirect": total[i, j] - paths_m[i, j],
                "total": total[i, j],
            }
            for i in range(len(names))
            for j in range(len(names))
            if i != j and reach[i, j]
        ],
        columns=["from", "to", "direct", "indirect", "total"],
    ).set_index(["from", "to"])
    endo = [c for c in names if structure[:, pos[c]].any()]
    adj = assess.adjusted_r2(r2v, structure, n)
    r2 = pd.DataFrame(
        {"r2": [r2v[pos[c]] for c in endo], "r2_adjusted": [adj[pos[c]] for c in endo]},
        index=pd.Index(endo, name="construct"),
    )
    rel = assess.reliability(r, w, loadings, blocks, modes)
    labels = {c.name: c.label or c.name for c in spec.constructs}
    indices = pd.DataFrame(
        {"index": index, "label": [labels[c] for c in names]},
        index=pd.Index(names, name="construct"),
    )
    settings: dict[str, Any] = {
        "model": type(model).__name__,
        "method": "pls",
        "scheme": model.scheme,
        "consistent": model.consistent,
        "missing": model.missing,
        "weight": weight,
        "n": n,
        "n_used": n,
        "n_rows": n_rows,
        "partitions": partitions,
    }
    boot = None
    if bootstrap:
        from csimodels.sem.bootstrap import _fit_moments

        assert cp is not None  # the resamples' sums come from the partitions

        _check_resampling(bootstrap, chunk_size, sign_change, level)
        random_state = resolve_random_state(random_state, owner=f"{type(model).__name__}.fit")
        layout = design.statistic_layout(spec, lower, upper)
        pls_settings = design.engine_settings(model)
        estimate = _fit_moments(means[None], sds[None], r[None], layout, pls_settings)[0][0]
        draws = bootstrap_sums(
            cp,
            None,
            estimate,
            layout,
            pls_settings,
            n_resamples=bootstrap,
            random_state=random_state,
            chunk_size=chunk_size,
            sign_change=sign_change,
            memory_budget=memory_budget,
        )
        failed = sum(draws.n_failed.values())
        if failed == bootstrap:
            from csimodels.errors import EstimationError

            raise EstimationError(
                f"all {bootstrap} bootstrap resamples failed ({draws.n_failed}); the model is "
                "too fragile for these data"
            )
        if failed:
            warn_and_note(
                notes,
                f"{failed} of {bootstrap} bootstrap resamples failed and were excluded; "
                f"inference uses the {bootstrap - failed} others",
                ConvergenceWarning,
            )
        boot = summarise(
            draws,
            layout,
            level=level,
            n_resamples=bootstrap,
            settings={"random_state": random_state, "sign_change": sign_change},
        )
        from csimodels.sem.pls import attach_bootstrap

        paths, indices, r2 = attach_bootstrap(boot, paths, indices, r2)
        settings.update(
            {
                "bootstrap": bootstrap,
                "random_state": random_state,
                "level": level,
                "inference": f"bootstrap ({bootstrap} resamples of respondents; standard "
                f"deviation of the draws, {level:.0%} percentile intervals, t with "
                f"{bootstrap - 1} df)",
            }
        )
    else:
        settings["inference"] = "none"
    return OutOfCorePLSResult(
        outer=outer,
        paths=paths,
        effects=effects,
        r2=r2,
        reliability=pd.DataFrame(
            rel,
            columns=pd.Index(["alpha", "rho_a", "rho_c", "ave"]),
            index=pd.Index(names, name="construct"),
        ),
        construct_correlations=pd.DataFrame(
            fit.construct_correlations[0], index=pd.Index(names), columns=pd.Index(names)
        ),
        indices=indices,
        srmr=float(assess.srmr(r, loadings, fit.construct_correlations[0], blocks, modes)),
        iterations=int(fit.iterations[0]),
        converged=bool(fit.converged[0]),
        bootstrap=boot,
        settings=settings,
        notes=tuple(notes) + (() if boot is None else boot.notes),
    )


def _segment_first(
    items: Sequence[str],
    weight: str | None,
    codes: tuple[float, ...],
    part: pd.DataFrame,
    key: object,
) -> dict[str, FloatArray]:
    x, w = _raw(part, items, weight, codes)
    valid = ~np.isnan(x)
    return {
        "weight_valid": (w[:, None] * valid).sum(axis=0),
        "weighted_sum": (w[:, None] * np.where(valid, x, 0.0)).sum(axis=0),
    }


def _segment_sums(
    items: Sequence[str],
    weight: str | None,
    codes: tuple[float, ...],
    missing: str,
    fills: Mapping[Any, FloatArray],
    default_fill: FloatArray,
    shift: FloatArray,
    part: pd.DataFrame,
    key: object,
) -> dict[str, Any]:
    from csimodels.data._dask_tasks import POSITION

    fill = fills.get(key, default_fill)
    total, sums, square, used = _sums(part, items, weight, codes, missing, fill, shift, None)
    # rows used per partition (the task's partition number is in its row positions), so
    # that a segment's resample counts can be split over the partitions
    number = int(part[POSITION].iloc[0]) >> 40
    return {
        "total": total, "sums": sums, "square": square, "n": used, "rows": len(part),
        "sizes": {number: used},
    }  # fmt: skip


def fit_pls_by(
    model: PathModelBase,
    ddf: Any,
    *,
    by: Any,
    scale: Any = None,
    weight: str | None = None,
    missing_codes: Sequence[float] = (),
    min_segment_size: int | None = None,
    on_error: str = "skip",
    bootstrap: int = 0,
    random_state: int | None = None,
    level: float = 0.95,
    sign_change: str = "none",
    chunk_size: int | None = None,
    memory_budget: int | None = None,
) -> Any:
    """PLS per segment of a dask DataFrame: every segment's cross products in one pass.

    The pooled fit is :func:`fit_pls`'s; each segment's weighted cross products are
    summed per partition (grouped by the ``by`` columns inside the task, missing
    answers imputed with the segment's own means for ``missing="mean"``, as in
    memory) and the segment is fitted from its moments. Returns a
    :class:`~csimodels.results.SegmentedResult` of :class:`OutOfCorePLSResult`, with
    the ``indices``, ``paths`` and ``r2`` overview tables of an in-memory ``by=`` fit.

    With ``bootstrap``, the pooled fit and every fitted segment are bootstrapped with
    the same ``random_state`` (as ``fit(frame, by=..., bootstrap=...)`` seeds each
    segment in memory): a segment's resample counts, drawn on the client for its
    rows, go to the partitions, each of which sums its rows of that segment
    (:func:`~csimodels.data._dask_tasks.segment_partitions`) — one pass over the
    partitions per chunk of resamples and segment; no row is collected.
    """
    from functools import partial

    from csimodels.data._dask_tasks import (
        fit_statistics,
        partition_statistics,
        segment_partitions,
    )
    from csimodels.errors import EstimationError
    from csimodels.segments import as_by, segment_label
    from csimodels.sem import _design as design
    from csimodels.sem.bootstrap import check_memory_budget

    memory_budget = check_memory_budget(memory_budget)
    if bootstrap:
        _check_resampling(bootstrap, chunk_size, sign_change, level)
    owner = f"{type(model).__name__}.fit"
    if on_error not in ("skip", "raise"):
        raise InvalidParameterError(
            f"parameter 'on_error' of {owner} must be 'skip' or 'raise', got {on_error!r}"
        )
    columns = as_by(by, owner=owner)
    spec = model.to_spec()
    items = list(spec.indicators)
    bounds = _scale_bounds(scale, items, type(model).__name__)
    cp = _with_square_scale(
        DaskCrossProducts.from_frame(
            ddf, items, weight=weight, missing=model.missing, missing_codes=missing_codes,
            scale=bounds,
        )
    )  # fmt: skip
    means, sds, r = (v[0] for v in cp.moments(*cp.weighted_sums(None)))
    resampling: dict[str, Any] = {
        "bootstrap": bootstrap, "random_state": random_state, "level": level,
        "sign_change": sign_change, "chunk_size": chunk_size, "memory_budget": memory_budget,
    }  # fmt: skip
    pooled = _pls_from_moments(
        model, bounds, weight, means, sds, r, n=cp.n, n_rows=cp.n_rows, partitions=len(cp.parts),
        cp=cp, **resampling,
    )  # fmt: skip
    needed = [*items, *([weight] if weight else [])]
    fills: dict[Any, FloatArray] = {}
    if model.missing == "mean":
        first = partition_statistics(
            ddf, needed, partial(_segment_first, items, weight, cp.codes), owner=owner, by=columns
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            fills = {k: s["weighted_sum"] / s["weight_valid"] for k, (_, s) in first.items()}
    groups = partition_statistics(
        ddf,
        needed,
        partial(_segment_sums, items, weight, cp.codes, model.missing, fills, cp.fill, cp.shift),
        owner=owner,
        by=columns,
        positions=True,
    )
    key_of = {segment_label(key): key for key in groups}

    def finish(stats: dict[str, Any], segment: str | None) -> OutOfCorePLSResult:
        n = int(stats["n"])
        if n < 2 or not stats["total"][0] > 0:
            raise DataValidationError(
                f"{owner}: segment {segment!r} has {n} respondents with complete answers and "
                "a positive weight; PLS needs at least 2"
            )
        square_scale = np.maximum(stats["square"] / n, np.finfo(np.float64).tiny)
        m, sd, corr = (
            v[0]
            for v in moments_from_sums(stats["total"], stats["sums"], n, cp.shift, square_scale)
        )
        if not np.isfinite(corr).all():
            bad = [items[j] for j in np.flatnonzero(~(sd > 0))]
            raise EstimationError(
                f"{owner}: segment {segment!r}: indicator {format_offenders(bad)} has no "
                "variance in this segment"
            )
        segment_cp = None
        if bootstrap:
            key = key_of[str(segment)]
            segment_cp = DaskCrossProducts(
                parts=segment_partitions(ddf, needed, columns, key),
                items=cp.items,
                weight=weight,
                codes=cp.codes,
                missing=model.missing,
                fill=fills.get(key, cp.fill),
                shift=cp.shift,
                sizes=tuple(int(stats["sizes"].get(k, 0)) for k in range(len(cp.parts))),
                n_rows=int(stats["rows"]),
                square_scale=square_scale,
            )
        return _pls_from_moments(
            model, bounds, weight, m, sd, corr, n=n, n_rows=int(stats["rows"]),
            partitions=len(cp.parts), cp=segment_cp, **(resampling if bootstrap else {}),
        )  # fmt: skip

    minimum = (
        design.default_min_segment_size(spec) if min_segment_size is None else min_segment_size
    )
    out = fit_statistics(
        groups,
        finish,
        by=columns,
        owner=owner,
        min_segment_size=minimum,
        on_error="raise" if on_error == "raise" else "skip",
        pooled=pooled,
        settings={
            "model": type(model).__name__,
            "method": "pls",
            "scheme": model.scheme,
            "consistent": model.consistent,
            "details": True,
        },
    )
    fitted = {k: v for k, v in out.segments.items() if isinstance(v, OutOfCorePLSResult)}
    if not fitted:
        return out
    names = list(spec.construct_names)
    indices = pd.DataFrame(
        {label: res.indices["index"] for label, res in fitted.items()}
    ).T.reindex(columns=names)
    indices.index.name, indices.columns.name = "segment", "construct"
    paths = pd.DataFrame({label: res.paths["estimate"] for label, res in fitted.items()})
    paths.columns.name = "segment"
    r2 = pd.DataFrame({label: res.r2["r2"] for label, res in fitted.items()})
    r2.columns.name = "segment"
    return out.model_copy(update={"overview": {"indices": indices, "paths": paths, "r2": r2}})


def _scale_bounds(scale: Any, items: Sequence[str], owner: str) -> dict[str, tuple[float, float]]:
    if isinstance(scale, tuple) and len(scale) == 2:
        return {i: (float(scale[0]), float(scale[1])) for i in items}
    if isinstance(scale, Mapping):
        unknown = [i for i in items if i not in scale]
        if not unknown:
            return {i: (float(scale[i][0]), float(scale[i][1])) for i in items}
    raise InvalidParameterError(
        f"{owner}.fit on a dask DataFrame needs scale=(min, max) or a dict with every "
        f"indicator's (min, max) (for the 0–100 indices); got {scale!r}"
    )


# ---------------------------------------------------------------------------
# describe
# ---------------------------------------------------------------------------


def describe(
    ddf: Any,
    items: Sequence[str],
    *,
    weight: str | None = None,
    scale: Any = None,
    missing_codes: Sequence[float] = (),
    box: int = 2,
) -> DescriptionResult:
    """Describe items of a dask DataFrame, as :meth:`csimodels.SurveyData.describe`.

    Each partition returns the weighted and unweighted counts of every answer
    value; every statistic of the description (mean, sd, skewness, median, mode,
    boxes, frequencies) is a function of these combined counts.

    Examples
    --------
    >>> import pandas as pd, dask.dataframe as dd
    >>> df = pd.DataFrame({"Q": [1.0, 2, 5, 5]})
    >>> row = describe(dd.from_pandas(df, npartitions=2), ["Q"], scale=(1, 5)).table.loc["Q"]
    >>> float(row["mean"]), float(row["top_box"])
    (3.25, 0.5)
    """
    from csimodels.data._dask_tasks import as_dask_source
    from csimodels.data.describe import DescriptionResult

    ddf = as_dask_source(ddf, owner="describe")
    if ddf is None:
        raise DataValidationError(
            "describe out of core takes a dask DataFrame or a parquet path; for a pandas "
            "DataFrame use SurveyData.from_frame(...).describe()"
        )
    if not isinstance(box, int) or box < 1:
        raise DataValidationError(f"box must be a positive integer, got {box!r}")
    bounds = None if scale is None else _scale_bounds(scale, items, "describe")
    columns = [*items, *([weight] if weight else [])]
    parts = _partitions(ddf, columns)
    codes = tuple(float(c) for c in missing_codes)
    done = _compute(
        [_delayed(_value_counts)(p, list(items), weight, codes) for p in parts]
        + [_delayed(len)(p) for p in parts]
    )
    per_part, lengths = done[: len(parts)], done[len(parts) :]
    n_rows = int(sum(lengths))
    rows, freq_rows, count_rows = [], {}, {}
    for name in items:
        values = np.unique(np.concatenate([d[name][0] for d in per_part]))
        count = np.zeros(values.size)
        wsum = np.zeros(values.size)
        for d in per_part:
            v, c, s = d[name]
            at = np.searchsorted(values, v)
            count[at] += c
            wsum[at] += s
        stats_ = _stats_from_counts(values, count, wsum, weighted=weight is not None)
        lo_hi = None if bounds is None else bounds[name]
        grid = (
            list(np.arange(lo_hi[0], lo_hi[1] + 1, dtype=np.float64))
            if lo_hi is not None and float(lo_hi[0]).is_integer() and float(lo_hi[1]).is_integer()
            else values.tolist()
        )
        total = wsum.sum()
        share = pd.Series(0.0, index=pd.Index(grid, dtype=np.float64))
        counts = pd.Series(0, index=pd.Index(grid, dtype=np.float64), dtype=np.int64)
        if total > 0:
            share.loc[values] = wsum / total
        counts.loc[values] = count.astype(np.int64)
        freq_rows[name], count_rows[name] = share, counts
        if lo_hi is not None and total > 0:
            top = float(wsum[values > lo_hi[1] - box].sum() / total)
            bottom = float(wsum[values < lo_hi[0] + box].sum() / total)
        else:
            top = bottom = float("nan")
        n_valid = int(count.sum())
        rows.append(
            {
                "item": name,
                "label": name,
                "n": n_valid,
                "missing": n_rows - n_valid,
                "missing_share": (n_rows - n_valid) / n_rows if n_rows else float("nan"),
                **stats_,
                "mode": float(values[np.argmax(wsum)]) if values.size else float("nan"),
                "min": float(values[0]) if values.size else float("nan"),
                "max": float(values[-1]) if values.size else float("nan"),
                "top_box": top,
                "bottom_box": bottom,
            }
        )
    table = pd.DataFrame(rows).set_index("item")
    order = [
        "label", "n", "missing", "missing_share", "mean", "sd", "variance", "median",
        "mode", "min", "max", "skewness", "top_box", "bottom_box",
    ]  # fmt: skip
    table = table[order]
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
            "n_respondents": n_rows,
            "n_items": len(items),
            "weight": weight,
            "box": box,
            "missing": "available answers per item",
            "partitions": len(parts),
        },
    )


def _stats_from_counts(
    values: FloatArray, count: FloatArray, wsum: FloatArray, *, weighted: bool
) -> dict[str, float]:
    """Mean, variance, sd, skewness and median of a weighted value table.

    The formulas of :mod:`csimodels._stats` (weights rescaled to sum to the number
    of valid answers, ``n − 1`` variance, adjusted Fisher–Pearson skewness; the
    unweighted median as ``numpy.quantile``, the weighted one as its cumulative
    rule) written for ``(value, count, weight)`` cells.
    """
    nan = float("nan")
    n = float(count.sum())
    total = float(wsum.sum())
    if n == 0 or total <= 0:
        return {"mean": nan, "sd": nan, "variance": nan, "median": nan, "skewness": nan}
    rel = wsum * (n / total)  # relative weights of each cell, summing to n
    mean = float(rel @ values / n)
    d = values - mean
    constant = values.size == 1
    variance = nan if n < 2 else (0.0 if constant else float(rel @ d**2 / (n - 1)))
    if n < 3 or constant:
        skew = nan
    else:
        m2 = float(rel @ d**2 / n)
        m3 = float(rel @ d**3 / n)
        skew = nan if m2 <= 0 else m3 / m2**1.5 * np.sqrt(n * (n - 1)) / (n - 2)
    if not weighted:
        cum = np.cumsum(count)
        pos = 0.5 * (n - 1)
        lo, hi = int(np.floor(pos)), int(np.ceil(pos))
        a = values[np.searchsorted(cum, lo, side="right")]
        b = values[np.searchsorted(cum, hi, side="right")]
        median = float(a + (b - a) * (pos - lo))
    else:
        share = np.cumsum(rel) / rel.sum()
        idx = min(int(np.searchsorted(share, 0.5 - 1e-12)), values.size - 1)
        if np.isclose(share[idx], 0.5) and idx + 1 < values.size:
            median = float((values[idx] + values[idx + 1]) / 2)
        else:
            median = float(values[idx])
    return {
        "mean": mean,
        "sd": float(np.sqrt(variance)),
        "variance": variance,
        "median": median,
        "skewness": float(skew),
    }


_ = _triangle  # the cross-product layout is the engine's (see CrossProducts)
