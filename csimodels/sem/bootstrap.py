"""Batched bootstrap of PLS path models: every resample at once, in chunks.

A resample is a vector of counts (how often each respondent is drawn). The counts,
times the respondent weights, are case weights; :func:`batch_correlations` turns a
chunk of them into weighted means, standard deviations and correlation matrices in
one matrix product, and :func:`estimate_pls_moments` runs the PLS algorithm on all of
them at once. No resampled data set is ever built and there is no Python loop per
resample.

Reproducibility: resample ``b`` is drawn from its own random stream, spawned from
``random_state`` for fixed blocks of :data:`DRAW_BLOCK` resamples, so the draws — and
so every number — do not depend on ``chunk_size`` or ``n_jobs``.

Inference (Davison & Hinkley 1997; Efron 1987):

- standard error: the standard deviation of the draws (n − 1), as seminr and SmartPLS;
- ``t = estimate / std_error``, two-sided ``p`` from Student's t with ``B − 1`` degrees
  of freedom (SmartPLS);
- percentile interval: the ``α/2`` and ``1 − α/2`` quantiles of the draws (linear
  interpolation, as ``numpy.quantile`` and ``scipy.stats.bootstrap``);
- BCa: bias correction ``z0 = Φ⁻¹(#{θ*_b < θ̂} / B)``, acceleration
  ``a = Σ (θ̄ − θ_(i))³ / (6 [Σ (θ̄ − θ_(i))²]^{3/2})`` from the jackknife values
  ``θ_(i)`` (leave-one-out; with more than :data:`MAX_JACKKNIFE` respondents, a
  delete-a-group jackknife over that many groups), and quantile levels
  ``Φ(z0 + (z0 + z_α) / (1 − a (z0 + z_α)))``.

Sign changes (Tenenhaus et al. 2005): ``"none"`` (default, as seminr), ``"construct"``
(a construct's weights, loadings and paths flip when that brings its loadings closer
to the original ones) and ``"individual"`` (each weight, loading and path takes the
sign of the original estimate).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from csimodels.errors import InvalidParameterError, format_offenders
from csimodels.inference import check_resample_count
from csimodels.results import Frame, Result
from csimodels.sem._pls_assess import total_effects
from csimodels.sem._pls_engine import PLSBatch, batch_correlations, estimate_pls_moments

__all__ = [
    "DRAW_BLOCK",
    "MAX_JACKKNIFE",
    "BootstrapDraws",
    "PLSBootstrap",
    "StatisticLayout",
    "batched_index",
    "bca_interval",
    "draw_in_blocks",
    "draw_resamples",
    "percentile_interval",
    "run_bootstrap",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

DRAW_BLOCK = 64
MAX_JACKKNIFE = 500
MAX_RESAMPLES = 200_000
SIGN_CHANGES = ("none", "construct", "individual")


@dataclass(frozen=True)
class StatisticLayout:
    """Which statistics one bootstrap row holds, in which columns.

    ``labels`` are ``(kind, name)`` pairs: kinds ``weight``, ``loading``, ``path``,
    ``indirect``, ``total``, ``r2``, ``htmt``, ``index``.
    """

    blocks: tuple[IntArray, ...]
    modes: tuple[str, ...]
    structure: NDArray[np.bool_]
    items: tuple[str, ...]
    constructs: tuple[str, ...]
    paths: tuple[tuple[int, int], ...]
    effects: tuple[tuple[int, int], ...]
    endogenous: tuple[int, ...]
    htmt_pairs: tuple[tuple[int, int], ...]
    lower: FloatArray
    upper: FloatArray

    @property
    def labels(self) -> list[tuple[str, str]]:
        """Column labels of the statistic matrix."""
        c = self.constructs
        out = [("weight", i) for i in self.items] + [("loading", i) for i in self.items]
        out += [("path", f"{c[a]} -> {c[b]}") for a, b in self.paths]
        out += [("indirect", f"{c[a]} -> {c[b]}") for a, b in self.effects]
        out += [("total", f"{c[a]} -> {c[b]}") for a, b in self.effects]
        out += [("r2", c[j]) for j in self.endogenous]
        out += [("htmt", f"{c[a]} ~ {c[b]}") for a, b in self.htmt_pairs]
        out += [("index", name) for name in c]
        return out

    @property
    def fixed_by_construction(self) -> NDArray[np.bool_]:
        """Which statistics are constant by construction (one per label).

        The weight and the loading of a single-indicator construct are exactly 1 in
        every sample; their resampled values differ from 1 by rounding alone, so a
        standard error, t or p-value of them would only measure the BLAS kernel.
        """
        single = {self.items[int(b[0])] for b in self.blocks if len(b) == 1}
        return np.array(
            [kind in ("weight", "loading") and name in single for kind, name in self.labels],
            dtype=np.bool_,
        )


def draw_resamples(
    random_state: int | np.random.SeedSequence | None, n: int, start: int, stop: int
) -> IntArray:
    """Row indices of resamples ``start .. stop - 1`` (shape ``(stop - start, n)``).

    Resamples are generated in fixed blocks of :data:`DRAW_BLOCK`, each from a stream
    spawned from ``random_state``, so any range gives the same rows for the same
    resample numbers.

    Examples
    --------
    >>> a = draw_resamples(7, 10, 0, 100)
    >>> bool((draw_resamples(7, 10, 40, 70) == a[40:70]).all())
    True
    """
    return draw_in_blocks(
        random_state, start, stop, lambda rng: rng.integers(0, n, size=(DRAW_BLOCK, n))
    )


def draw_in_blocks(
    random_state: int | np.random.SeedSequence | None,
    start: int,
    stop: int,
    draw_block: Callable[[np.random.Generator], IntArray],
) -> IntArray:
    """Rows ``start .. stop - 1`` of a stream of random index rows drawn in fixed blocks.

    Block ``b`` (rows ``b·DRAW_BLOCK`` to ``(b + 1)·DRAW_BLOCK − 1``) comes from
    ``draw_block`` called with a generator spawned from ``random_state`` for that
    block alone, so a row depends only on its number: resamples and permutations are
    the same whatever the chunk size or the number of jobs.

    Examples
    --------
    >>> import numpy as np
    >>> rows = draw_in_blocks(1, 3, 5, lambda rng: rng.integers(0, 9, size=(DRAW_BLOCK, 2)))
    >>> rows.shape
    (2, 2)
    """
    root = (
        random_state
        if isinstance(random_state, np.random.SeedSequence)
        else np.random.SeedSequence(random_state)
    )
    parts = []
    for block in range(start // DRAW_BLOCK, (stop - 1) // DRAW_BLOCK + 1):
        seq = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, block))
        rows = draw_block(np.random.default_rng(seq))
        lo = max(start - block * DRAW_BLOCK, 0)
        hi = min(stop - block * DRAW_BLOCK, DRAW_BLOCK)
        parts.append(rows[lo:hi])
    return np.concatenate(parts).astype(np.int64)


def _counts(indices: IntArray, n: int) -> FloatArray:
    b = indices.shape[0]
    flat = (indices + (np.arange(b) * n)[:, None]).ravel()
    return np.bincount(flat, minlength=b * n).reshape(b, n).astype(np.float64)


def _statistics(
    layout: StatisticLayout, fit: PLSBatch, means: FloatArray, sds: FloatArray, r: FloatArray
) -> FloatArray:
    """The statistic matrix (B, q) of a batch, in ``layout.labels`` order.

    Members that failed (singular, e.g. a constant resampled column) give NaN or inf
    here; they are excluded afterwards, so numpy's warnings about them are silenced.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return _statistics_unchecked(layout, fit, means, sds, r)


def _statistics_unchecked(
    layout: StatisticLayout, fit: PLSBatch, means: FloatArray, sds: FloatArray, r: FloatArray
) -> FloatArray:
    b = fit.paths.shape[0]
    cols: list[FloatArray] = [fit.outer_weights, fit.loadings]
    if layout.paths:
        src, dst = np.array(layout.paths).T
        cols.append(fit.paths[:, src, dst])
    if layout.effects:
        total = np.asarray(total_effects(fit.paths), dtype=np.float64)
        src, dst = np.array(layout.effects).T
        cols.append(total[:, src, dst] - fit.paths[:, src, dst])
        cols.append(total[:, src, dst])
    if layout.endogenous:
        cols.append(fit.r2[:, list(layout.endogenous)])
    if layout.htmt_pairs:
        cols.append(_batched_htmt(np.abs(r), layout))
    cols.append(batched_index(fit.outer_weights, means, sds, layout))
    return np.concatenate([c.reshape(b, -1) for c in cols], axis=1)


def _batched_htmt(abs_r: FloatArray, layout: StatisticLayout) -> FloatArray:
    mono = {}
    for j in {j for pair in layout.htmt_pairs for j in pair}:
        blk = layout.blocks[j]
        q = blk.size
        sub = abs_r[:, blk][:, :, blk]
        mono[j] = (sub.sum(axis=(1, 2)) - np.trace(sub, axis1=1, axis2=2)) / (q * (q - 1))
    out = np.empty((abs_r.shape[0], len(layout.htmt_pairs)))
    for col, (i, j) in enumerate(layout.htmt_pairs):
        hetero = abs_r[:, layout.blocks[i]][:, :, layout.blocks[j]].mean(axis=(1, 2))
        out[:, col] = hetero / np.sqrt(mono[i] * mono[j])
    return out


def batched_index(
    weights: FloatArray, means: FloatArray, sds: FloatArray, layout: StatisticLayout
) -> FloatArray:
    """0–100 index of every construct for B sets of weights, means and sds, (B, k)."""
    raw = weights / sds
    out = np.empty((weights.shape[0], len(layout.blocks)))
    for j, blk in enumerate(layout.blocks):
        v = raw[:, blk]
        lo = v @ layout.lower[blk]
        span = v @ (layout.upper[blk] - layout.lower[blk])
        out[:, j] = ((v * means[:, blk]).sum(axis=1) - lo) / span * 100.0
    return out


def _sign_correct(
    draws: FloatArray, estimate: FloatArray, layout: StatisticLayout, mode: str
) -> FloatArray:
    if mode == "none":
        return draws
    p = len(layout.items)
    n_paths = len(layout.paths)
    n_eff = len(layout.effects)
    signed = slice(0, 2 * p + n_paths + 2 * n_eff)
    out = draws.copy()
    if mode == "individual":
        out[:, signed] = np.abs(draws[:, signed]) * np.sign(estimate[signed])
        return out
    # construct-level: flip a construct when that brings its loadings closer
    k = len(layout.blocks)
    flip = np.ones((draws.shape[0], k))
    for j, blk in enumerate(layout.blocks):
        boot = draws[:, p + blk]
        orig = estimate[p + blk]
        away = np.abs((orig - boot).sum(axis=1))
        toward = np.abs((orig + boot).sum(axis=1))
        flip[away > toward, j] = -1.0
    owner = np.empty(p, dtype=np.int64)
    for j, blk in enumerate(layout.blocks):
        owner[blk] = j
    out[:, :p] *= flip[:, owner]
    out[:, p : 2 * p] *= flip[:, owner]
    start = 2 * p
    for col, (a, b) in enumerate(layout.paths):
        out[:, start + col] *= flip[:, a] * flip[:, b]
    start += n_paths
    for col, (a, b) in enumerate(layout.effects):
        out[:, start + col] *= flip[:, a] * flip[:, b]
        out[:, start + n_eff + col] *= flip[:, a] * flip[:, b]
    return out


@dataclass(frozen=True)
class BootstrapDraws:
    """Raw output of :func:`run_bootstrap`.

    Attributes
    ----------
    estimate : ndarray (q,)
        Statistics on the original sample.
    draws : ndarray (B_ok, q)
        Statistics of the resamples that succeeded, in resample order.
    resample_ids : ndarray (B_ok,)
        Which resample numbers succeeded.
    n_failed : dict
        Failed resamples by reason (``not_converged``, ``singular``, ``inadmissible``).
    jackknife : ndarray (G, q)
        Jackknife statistics for the BCa acceleration.
    """

    estimate: FloatArray
    draws: FloatArray
    resample_ids: IntArray
    n_failed: dict[str, int]
    jackknife: FloatArray


def _fit_weights(
    x: FloatArray, case_weights: FloatArray, layout: StatisticLayout, settings: dict[str, Any]
) -> tuple[FloatArray, PLSBatch]:
    means, sds, r = batch_correlations(x, case_weights)
    fit = estimate_pls_moments(
        r,
        list(layout.blocks),
        list(layout.modes),
        layout.structure,
        scheme=settings["scheme"],
        tol=settings["tol"],
        max_iter=settings["max_iter"],
        consistent=settings["consistent"],
    )
    return _statistics(layout, fit, means, sds, r), fit


def _chunk(
    x: FloatArray,
    base_weights: FloatArray,
    layout: StatisticLayout,
    settings: dict[str, Any],
    indices: IntArray,
) -> tuple[FloatArray, NDArray[np.bool_], NDArray[np.bool_], NDArray[np.bool_]]:
    counts = _counts(indices, x.shape[0]) * base_weights
    stats_, fit = _fit_weights(x, counts, layout, settings)
    return stats_, fit.converged, fit.singular, fit.inadmissible


def run_bootstrap(
    x: FloatArray,
    base_weights: FloatArray | None,
    layout: StatisticLayout,
    settings: dict[str, Any],
    *,
    n_resamples: int,
    random_state: int | None,
    resamples: IntArray | None = None,
    chunk_size: int = 500,
    n_jobs: int | None = None,
    sign_change: str = "none",
) -> BootstrapDraws:
    """Bootstrap every statistic of ``layout`` (see the module docstring).

    ``settings`` holds the PLS settings (scheme, tol, max_iter, consistent);
    ``resamples`` (B, n) replaces the random draws with explicit row indices.
    """
    n = x.shape[0]
    w0 = np.ones(n) if base_weights is None else np.asarray(base_weights, dtype=np.float64)
    estimate = _fit_weights(x, w0[None, :], layout, settings)[0][0]
    seed = np.random.SeedSequence(random_state)
    starts = list(range(0, n_resamples, chunk_size))

    def rows(start: int) -> IntArray:
        stop = min(start + chunk_size, n_resamples)
        if resamples is not None:
            return np.asarray(resamples[start:stop], dtype=np.int64)
        return draw_resamples(seed, n, start, stop)

    if n_jobs is not None and n_jobs != 1 and len(starts) > 1:
        from joblib import Parallel, delayed

        parts = Parallel(n_jobs=n_jobs)(
            delayed(_chunk)(x, w0, layout, settings, rows(s)) for s in starts
        )
    else:
        parts = [_chunk(x, w0, layout, settings, rows(s)) for s in starts]
    all_stats = np.concatenate([p[0] for p in parts])
    converged = np.concatenate([p[1] for p in parts])
    singular = np.concatenate([p[2] for p in parts])
    inadmissible = np.concatenate([p[3] for p in parts])
    # HTMT may be undefined in a resample (a block without correlation); it is then
    # NaN in that draw only, and its intervals use the draws where it exists
    core = np.array([kind != "htmt" for kind, _ in layout.labels])
    finite = np.isfinite(all_stats[:, core]).all(axis=1)
    ok = converged & ~singular & ~inadmissible & finite
    n_failed = {
        "not_converged": int((~converged & ~singular).sum()),
        "singular": int(singular.sum()),
        "inadmissible": int((inadmissible & converged & ~singular).sum()),
        "non_finite": int((converged & ~singular & ~inadmissible & ~finite).sum()),
    }
    draws = _sign_correct(all_stats[ok], estimate, layout, sign_change)
    jackknife = _jackknife(x, w0, layout, settings, chunk_size)
    return BootstrapDraws(
        estimate=estimate,
        draws=draws,
        resample_ids=np.flatnonzero(ok).astype(np.int64),
        n_failed=n_failed,
        jackknife=jackknife,
    )


def _jackknife(
    x: FloatArray,
    w0: FloatArray,
    layout: StatisticLayout,
    settings: dict[str, Any],
    chunk_size: int,
) -> FloatArray:
    n = x.shape[0]
    groups = min(n, MAX_JACKKNIFE)
    member = np.arange(n) % groups
    out = []
    for start in range(0, groups, chunk_size):
        g = np.arange(start, min(start + chunk_size, groups))
        keep = (member[None, :] != g[:, None]).astype(np.float64) * w0
        out.append(_fit_weights(x, keep, layout, settings)[0])
    return np.concatenate(out)


def percentile_interval(draws: FloatArray, level: float) -> tuple[FloatArray, FloatArray]:
    """Percentile interval of each column of ``draws``.

    Examples
    --------
    >>> import numpy as np
    >>> lo, hi = percentile_interval(np.arange(101.0)[:, None], 0.9)
    >>> float(lo[0]), float(hi[0])
    (5.0, 95.0)
    """
    alpha = (1 - level) / 2
    q = np.full((2, draws.shape[1]), np.nan)
    some = np.isfinite(draws).any(axis=0)  # statistics undefined in every draw stay NaN
    if some.any():
        q[:, some] = np.nanquantile(draws[:, some], [alpha, 1 - alpha], axis=0)
    return q[0], q[1]


def bca_interval(
    draws: FloatArray, estimate: FloatArray, jackknife: FloatArray, level: float
) -> tuple[FloatArray, FloatArray]:
    """Bias-corrected and accelerated interval of each column (Efron 1987).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> d = rng.normal(size=(4000, 1))
    >>> lo, hi = bca_interval(d, np.zeros(1), rng.normal(size=(50, 1)) * 0, 0.95)
    >>> bool(abs(lo[0] + 1.96) < 0.1 and abs(hi[0] - 1.96) < 0.1)
    True
    """
    valid = np.isfinite(draws)
    b = valid.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z0 = stats.norm.ppf((draws < estimate).sum(axis=0) / b)
        dev = jackknife.mean(axis=0) - jackknife
        num = (dev**3).sum(axis=0)
        den = 6.0 * ((dev**2).sum(axis=0)) ** 1.5
        accel = np.where(den > 0, num / den, 0.0)
        alpha = (1 - level) / 2
        bounds = []
        for z_alpha in (stats.norm.ppf(alpha), stats.norm.ppf(1 - alpha)):
            adj = stats.norm.cdf(z0 + (z0 + z_alpha) / (1 - accel * (z0 + z_alpha)))
            bounds.append(adj)
    lower = np.full(draws.shape[1], np.nan)
    upper = np.full(draws.shape[1], np.nan)
    for j in range(draws.shape[1]):
        column = draws[valid[:, j], j]
        if column.size == 0:
            continue
        if np.ptp(column) <= 1e-12 * max(1.0, float(np.abs(column).max())):
            # degenerate distribution (e.g. the weight of a single item)
            lower[j] = upper[j] = column[0]
        elif np.isfinite(bounds[0][j]) and np.isfinite(bounds[1][j]):
            lower[j] = np.quantile(column, bounds[0][j])
            upper[j] = np.quantile(column, bounds[1][j])
    return lower, upper


def make_layout(
    blocks: Sequence[IntArray],
    modes: Sequence[str],
    structure: NDArray[np.bool_],
    items: Sequence[str],
    constructs: Sequence[str],
    spec_paths: Sequence[tuple[int, int]],
    lower: FloatArray,
    upper: FloatArray,
) -> StatisticLayout:
    """Build the statistic layout for a model (effects: pairs with a directed route)."""
    k = len(constructs)
    reach = np.asarray(total_effects(structure.astype(np.float64)), dtype=np.float64) != 0
    effects = tuple((i, j) for i in range(k) for j in range(k) if i != j and reach[i, j])
    endogenous = tuple(j for j in range(k) if structure[:, j].any())
    multi = [j for j in range(k) if len(blocks[j]) > 1]
    htmt_pairs = tuple((i, j) for i in multi for j in multi if i < j)
    return StatisticLayout(
        blocks=tuple(np.asarray(b, dtype=np.int64) for b in blocks),
        modes=tuple(modes),
        structure=structure,
        items=tuple(items),
        constructs=tuple(constructs),
        paths=tuple(spec_paths),
        effects=effects,
        endogenous=endogenous,
        htmt_pairs=htmt_pairs,
        lower=lower,
        upper=upper,
    )


class PLSBootstrap(Result):
    """Bootstrap inference for every estimate of a PLS path model.

    Attributes
    ----------
    table : DataFrame, index (kind, name)
        ``estimate`` (original sample), ``boot_mean``, ``std_error``, ``t``, ``p_value``,
        ``ci_lower``/``ci_upper`` (percentile, at ``level``) and ``bca_lower``/
        ``bca_upper``. Kinds: ``weight``, ``loading``, ``path``, ``indirect``,
        ``total``, ``r2``, ``htmt``, ``index``; names are items, constructs or
        ``"A -> B"`` / ``"A ~ B"`` pairs.
    draws : DataFrame, resamples x statistics
        The raw draws of the successful resamples (index: resample number), columns as
        the rows of :attr:`table`; intervals at other levels come from them without
        refitting (:meth:`conf_int`).
    jackknife : DataFrame
        Jackknife statistics used for the BCa acceleration.
    n_resamples, n_failed : int, dict
        Resamples requested, and failed ones by reason (they are excluded).
    level : float

    Examples
    --------
    >>> import csimodels as csi
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> res = csi.ACSI(indicators=data.constructs).fit(data, bootstrap=200, random_state=1)
    >>> bool(res.bootstrap.table.loc[("path", "Quality -> Satisfaction"), "std_error"] < 0.05)
    True
    """

    table: Frame
    draws: Frame
    jackknife: Frame
    n_resamples: int
    n_failed: dict[str, int]
    level: float

    _title: ClassVar[str] = "PLS bootstrap"

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        header: list[tuple[str, object]] = [
            ("Resamples", self.n_resamples),
            ("Failed (excluded)", sum(self.n_failed.values())),
            ("Sign changes", self.settings.get("sign_change")),
            ("Level", self.level),
            ("Seed", self.settings.get("random_state")),
        ]
        return header, {"Bootstrap estimates": self.table}

    def conf_int(self, level: float = 0.95, *, method: str = "percentile") -> pd.DataFrame:
        """Confidence intervals at any level from the stored draws (no refit).

        Parameters
        ----------
        level : float in (0, 1)
        method : {"percentile", "bca"}

        Returns
        -------
        DataFrame indexed like :attr:`table` with ``ci_lower`` and ``ci_upper``.
        """
        check_level(level)
        draws = self.draws.to_numpy()
        if not check_resample_count(draws.shape[0], level, owner="PLSBootstrap.conf_int", notes=[]):
            nan = np.full(draws.shape[1], np.nan)
            return pd.DataFrame({"ci_lower": nan, "ci_upper": nan}, index=self.table.index)
        if method == "percentile":
            lo, hi = percentile_interval(draws, level)
        elif method == "bca":
            lo, hi = bca_interval(
                draws, self.table["estimate"].to_numpy(), self.jackknife.to_numpy(), level
            )
        else:
            raise InvalidParameterError(
                f"method={method!r} is not an interval method; choose 'bca' or 'percentile'"
            )
        return pd.DataFrame({"ci_lower": lo, "ci_upper": hi}, index=self.table.index)


def check_level(level: float) -> None:
    """Raise unless ``0 < level < 1``."""
    if not isinstance(level, (int, float)) or not 0 < level < 1:
        raise InvalidParameterError(f"level must be in (0, 1), e.g. 0.95; got {level!r}")


def check_bootstrap_arguments(
    n_resamples: int, n: int, resamples: Any, chunk_size: int, sign_change: str
) -> IntArray | None:
    """Validate the bootstrap arguments; return the explicit resample matrix, if any."""
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, (int, np.integer)):
        raise InvalidParameterError(
            f"bootstrap must be a whole number of resamples, got {n_resamples!r}"
        )
    if resamples is None and not 1 <= n_resamples <= MAX_RESAMPLES:
        raise InvalidParameterError(
            f"bootstrap must be between 1 and {MAX_RESAMPLES:,} resamples, got {n_resamples}"
        )
    if not isinstance(chunk_size, (int, np.integer)) or chunk_size < 1:
        raise InvalidParameterError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    if sign_change not in SIGN_CHANGES:
        raise InvalidParameterError(
            f"sign_change={sign_change!r} is not a sign-change option; choose one of "
            "'construct', 'individual', 'none'"
        )
    if resamples is None:
        return None
    idx = np.asarray(resamples)
    if idx.ndim != 2 or idx.shape[1] != n:
        raise InvalidParameterError(
            f"resamples must be a (B, {n}) matrix of row positions (one row per resample, "
            f"{n} respondents used), got shape {idx.shape}"
        )
    if not np.issubdtype(idx.dtype, np.integer) or idx.min() < 0 or idx.max() >= n:
        raise InvalidParameterError(f"resamples must hold integer row positions in [0, {n - 1}]")
    return idx.astype(np.int64)


def _column_stat(
    draws: FloatArray, stat: Callable[[FloatArray], FloatArray], *, minimum: int
) -> FloatArray:
    """``stat`` of the columns with at least ``minimum`` finite draws; NaN elsewhere."""
    out = np.full(draws.shape[1], np.nan)
    enough = np.isfinite(draws).sum(axis=0) >= minimum
    if enough.any():
        out[enough] = stat(draws[:, enough])
    return out


def summarise(
    draws: BootstrapDraws,
    layout: StatisticLayout,
    *,
    level: float,
    n_resamples: int,
    settings: dict[str, Any],
) -> PLSBootstrap:
    """Turn raw draws into the labelled :class:`PLSBootstrap` result."""
    labels = pd.MultiIndex.from_tuples(layout.labels, names=["kind", "name"])
    d = draws.draws
    ok = d.shape[0]
    est = draws.estimate
    with np.errstate(divide="ignore", invalid="ignore"):
        se = _column_stat(d, lambda c: np.nanstd(c, axis=0, ddof=1), minimum=2)
        t = est / se
    p = 2 * stats.t.sf(np.abs(t), df=max(ok - 1, 1))
    lo, hi = percentile_interval(d, level) if ok else (np.full(est.shape, np.nan),) * 2
    blo, bhi = bca_interval(d, est, draws.jackknife, level) if ok else (lo, hi)
    count_notes: list[str] = []
    if not check_resample_count(ok, level, owner="PLS bootstrap", notes=count_notes):
        lo, hi, blo, bhi = (np.full(est.shape, np.nan),) * 4
    fixed = layout.fixed_by_construction
    notes: tuple[str, ...] = tuple(count_notes)
    if fixed.any():
        se, t, p = (np.where(fixed, np.nan, x) for x in (se, t, p))
        lo, hi, blo, bhi = (np.where(fixed, est, x) for x in (lo, hi, blo, bhi))
        names = sorted({name for (_, name), f in zip(layout.labels, fixed, strict=True) if f})
        notes += (
            f"the weight and loading of single-indicator constructs ({format_offenders(names)}) "
            "are 1 by construction: no standard error, t or p-value (NaN); the interval is "
            "the estimate",
        )
    table = pd.DataFrame(
        {
            "estimate": est,
            "boot_mean": _column_stat(d, lambda c: np.nanmean(c, axis=0), minimum=1),
            "std_error": se,
            "t": t,
            "p_value": p,
            "ci_lower": lo,
            "ci_upper": hi,
            "bca_lower": blo,
            "bca_upper": bhi,
        },
        index=labels,
    )
    return PLSBootstrap(
        table=table,
        draws=pd.DataFrame(d, index=pd.Index(draws.resample_ids, name="resample"), columns=labels),
        jackknife=pd.DataFrame(draws.jackknife, columns=labels),
        n_resamples=n_resamples,
        n_failed=draws.n_failed,
        level=level,
        settings=settings,
        notes=notes,
    )
