"""Private assessment statistics for PLS path models, on ndarrays.

Every function takes the arrays :mod:`csimodels.sem._pls_engine` returns (the
indicator correlation matrix ``r`` (p, p), the blocks of indicator columns, outer
weights and loadings (p,), construct correlations (k, k), the boolean structure
(k, k) with ``structure[i, j]`` for a path i -> j) and returns ndarrays. The
definitions are seminr's (R seminr / seminr 0.2.1, against which the tests check),
written out in each docstring. Where a statistic does not apply the value is NaN
(seminr prints 1 instead in the cases marked "seminr: 1"); callers add a note.

References
----------
Henseler, J., Ringle, C. M., & Sarstedt, M. (2015). A new criterion for assessing
discriminant validity in variance-based SEM. *JAMS*, 43, 115–135 (HTMT).
Dijkstra, T. K., & Henseler, J. (2015). Consistent partial least squares path
modeling. *MIS Quarterly*, 39(2), 297–316 (rho_A).
Hair, J. F., Hult, G. T. M., Ringle, C. M., & Sarstedt, M. (2022). *A Primer on
PLS-SEM* (3rd ed.). Sage (f², VIF, rho_C, AVE).
Henseler, J., Dijkstra, T. K., Sarstedt, M., et al. (2014). Common beliefs and
reality about PLS. *Organizational Research Methods*, 17(2), 182–209 (SRMR).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from csimodels.sem._pls_engine import SINGULAR_RCOND, PLSEstimate, estimate_pls_moments

__all__ = [
    "PLSAssessment",
    "adjusted_r2",
    "assess_model",
    "ave",
    "cronbach_alpha",
    "f_squared",
    "fornell_larcker",
    "htmt",
    "implied_correlations",
    "indirect_effects",
    "inner_vif",
    "outer_vif",
    "reliability",
    "rho_a",
    "rho_c",
    "srmr",
    "total_effects",
]

FloatArray = NDArray[np.float64]
Blocks = Sequence[Sequence[int] | NDArray[np.integer]]


def _blocks(blocks: Blocks) -> list[NDArray[np.int64]]:
    return [np.asarray(b, dtype=np.int64).ravel() for b in blocks]


def _owner(blocks: list[NDArray[np.int64]], p: int) -> NDArray[np.int64]:
    owner = np.full(p, -1, dtype=np.int64)
    for j, b in enumerate(blocks):
        owner[b] = j
    return owner


def total_effects(paths: FloatArray) -> FloatArray:
    """Total effects ``T = B + B² + B³ + … = (I − B)⁻¹ − I`` of a recursive model.

    ``paths[..., i, j]`` is the direct effect of construct i on j; leading axes are
    batched (e.g. bootstrap draws). seminr sums the powers until they vanish, which
    for an acyclic model is the same matrix.

    Examples
    --------
    >>> import numpy as np
    >>> b = np.array([[0, .5, .2], [0, 0, .4], [0, 0, 0]])
    >>> round(float(total_effects(b)[0, 2]), 12)
    0.4
    """
    b = np.asarray(paths, dtype=np.float64)
    eye = np.eye(b.shape[-1])
    return np.asarray(np.linalg.inv(eye - b) - eye, dtype=np.float64)


def indirect_effects(paths: FloatArray) -> FloatArray:
    """Total indirect effects: total effects minus the direct paths.

    Examples
    --------
    >>> import numpy as np
    >>> b = np.array([[0, .5, .2], [0, 0, .4], [0, 0, 0]])
    >>> round(float(indirect_effects(b)[0, 2]), 12)
    0.2
    """
    b = np.asarray(paths, dtype=np.float64)
    return total_effects(b) - b


def cronbach_alpha(r: FloatArray, blocks: Blocks) -> FloatArray:
    """Standardised Cronbach's alpha per construct, from the item correlations.

    ``alpha = q/(q − 1) · (1 − q / Σ R_bb)`` for a block of q ≥ 2 indicators
    (seminr computes it on the standardised data, so it is the standardised alpha);
    NaN for single-indicator constructs (seminr: 1).

    Examples
    --------
    >>> import numpy as np
    >>> r = np.array([[1, .5, .5], [.5, 1, .5], [.5, .5, 1]])
    >>> cronbach_alpha(r, [[0, 1, 2]])
    array([0.75])
    """
    ra = np.asarray(r, dtype=np.float64)
    out = np.full(len(blocks), np.nan)
    for j, b in enumerate(_blocks(blocks)):
        q = b.size
        if q >= 2:
            out[j] = q / (q - 1) * (1 - q / ra[np.ix_(b, b)].sum())
    return out


def rho_a(
    r: FloatArray, outer_weights: FloatArray, blocks: Blocks, modes: Sequence[str]
) -> FloatArray:
    """Dijkstra–Henseler rho_A per construct.

    With ``w`` the construct's outer weights (scaled to a unit-variance score) and
    ``S = R_bb``: ``rho_A = (w'w)² · w'(S − diag S)w / w'(ww' − diag(ww'))w``.
    NaN for single-indicator and Mode B constructs (seminr: 1, which is what PLSc
    uses for them).

    Examples
    --------
    >>> import numpy as np
    >>> from csimodels.sem._pls_engine import estimate_pls_moments
    >>> lam = np.array([.9, .8, .7])
    >>> lam6 = np.tile(lam, 2)
    >>> r6 = np.kron([[1, .5], [.5, 1]], np.ones((3, 3))) * np.outer(lam6, lam6)
    >>> np.fill_diagonal(r6, 1)
    >>> fit = estimate_pls_moments(r6, [[0, 1, 2], [3, 4, 5]], "AA", [[0, 1], [0, 0]])
    >>> rho = rho_a(r6, fit.outer_weights[0], [[0, 1, 2], [3, 4, 5]], "AA")
    >>> # population value: reliability of the composite with weights ∝ λ
    >>> bool(np.allclose(rho, (lam @ lam) ** 2 / (lam @ r6[:3, :3] @ lam)))
    True
    """
    ra = np.asarray(r, dtype=np.float64)
    w = np.asarray(outer_weights, dtype=np.float64)
    out = np.full(len(blocks), np.nan)
    for j, b in enumerate(_blocks(blocks)):
        if b.size < 2 or str(modes[j]).upper() != "A":
            continue
        wb = w[b]
        s = ra[np.ix_(b, b)]
        wtw = wb @ wb
        num = wb @ s @ wb - np.sum(np.diag(s) * wb**2)
        den = wtw**2 - np.sum(wb**4)
        out[j] = wtw**2 * num / den
    return out


def rho_c(loadings: FloatArray, blocks: Blocks) -> FloatArray:
    """Composite reliability ``(Σλ)² / ((Σλ)² + Σ(1 − λ²))`` from each block's loadings.

    A single-indicator construct (loading ±1) gets 1, as in seminr.

    Examples
    --------
    >>> import numpy as np
    >>> rho_c(np.array([.8, .8]), [[0, 1]]).round(6)
    array([0.780488])
    """
    lam = np.asarray(loadings, dtype=np.float64)
    out = np.empty(len(blocks))
    for j, b in enumerate(_blocks(blocks)):
        s = lam[b].sum() ** 2
        out[j] = s / (s + np.sum(1 - lam[b] ** 2))
    return out


def ave(loadings: FloatArray, blocks: Blocks) -> FloatArray:
    """Average variance extracted: the mean squared loading of each block.

    Examples
    --------
    >>> import numpy as np
    >>> ave(np.array([.8, .6]), [[0, 1]])
    array([0.5])
    """
    lam = np.asarray(loadings, dtype=np.float64)
    return np.array([np.mean(lam[b] ** 2) for b in _blocks(blocks)])


def reliability(
    r: FloatArray,
    outer_weights: FloatArray,
    loadings: FloatArray,
    blocks: Blocks,
    modes: Sequence[str],
) -> FloatArray:
    """The reliability table, (k, 4): alpha, rho_A, rho_C, AVE (seminr's column order).

    Pass the PLSc loadings for a consistent model (seminr computes rho_C and AVE from
    the model's loadings, which are the consistent ones after PLSc).

    Examples
    --------
    >>> import numpy as np
    >>> r = np.array([[1, .64], [.64, 1]])
    >>> w = np.full(2, 1 / np.sqrt(3.28))  # unit-variance composite: w'Rw = 1
    >>> rel = reliability(r, w, np.array([.8, .8]), [[0, 1]], "A")
    >>> rel.round(4).tolist()
    [[0.7805, 0.7805, 0.7805, 0.64]]
    """
    return np.column_stack(
        [
            cronbach_alpha(r, blocks),
            rho_a(r, outer_weights, blocks, modes),
            rho_c(loadings, blocks),
            ave(loadings, blocks),
        ]
    )


def htmt(r: FloatArray, blocks: Blocks) -> FloatArray:
    """Heterotrait–monotrait ratio of correlations, (k, k), symmetric.

    ``HTMT_ij = mean|r_ab| (a in i, b in j) / sqrt(m_i m_j)`` with ``m_i`` the mean
    absolute correlation between different indicators of block i (seminr uses
    absolute correlations). NaN on the diagonal and for any pair involving a
    single-indicator construct (seminr: monotrait mean taken as 1).

    Examples
    --------
    >>> import numpy as np
    >>> r = np.array([[1, .6, .3, .3], [.6, 1, .3, .3], [.3, .3, 1, .6], [.3, .3, .6, 1]])
    >>> round(float(htmt(r, [[0, 1], [2, 3]])[0, 1]), 12)
    0.5
    """
    ra = np.abs(np.asarray(r, dtype=np.float64))
    blks = _blocks(blocks)
    k = len(blks)
    mono = np.full(k, np.nan)
    for j, b in enumerate(blks):
        q = b.size
        if q >= 2:
            sub = ra[np.ix_(b, b)]
            mono[j] = (sub.sum() - np.trace(sub)) / (q * (q - 1))
    out = np.full((k, k), np.nan)
    for i in range(k):
        for j in range(i + 1, k):
            hetero = ra[np.ix_(blks[i], blks[j])].mean()
            with np.errstate(divide="ignore", invalid="ignore"):
                out[i, j] = out[j, i] = hetero / np.sqrt(mono[i] * mono[j])
    return out


def outer_vif(r: FloatArray, blocks: Blocks) -> FloatArray:
    """VIF of each indicator on the other indicators of its block: ``diag(R_bb⁻¹)``.

    A single indicator has VIF 1. Every indicator of a block whose correlation matrix
    is singular (perfectly collinear indicators) gets ``inf``; NaN for non-finite input.

    Examples
    --------
    >>> import numpy as np
    >>> outer_vif(np.array([[1, .6], [.6, 1]]), [[0, 1]]).round(4)
    array([1.5625, 1.5625])
    """
    ra = np.asarray(r, dtype=np.float64)
    out = np.full(ra.shape[0], np.nan)
    for b in _blocks(blocks):
        sub = ra[np.ix_(b, b)]
        if not np.all(np.isfinite(sub)):
            continue
        ev = np.linalg.eigvalsh(sub)
        if ev[0] <= SINGULAR_RCOND * abs(ev[-1]):
            out[b] = np.inf
        else:
            out[b] = np.diag(np.linalg.inv(sub))
    return out


def inner_vif(construct_correlations: FloatArray, structure: NDArray[np.bool_]) -> FloatArray:
    """VIF of each predecessor in the regression of each endogenous construct, (k, k).

    ``vif[i, j] = [ (R_PP)⁻¹ ]_ii`` with P the predecessors of j; NaN where there is
    no path; 1 for a construct's only predecessor (seminr: NaN). seminr uses the
    correlations of the construct scores (also for PLSc).

    Examples
    --------
    >>> import numpy as np
    >>> rc = np.array([[1, .5, .4], [.5, 1, .3], [.4, .3, 1]])
    >>> s = np.array([[0, 0, 1], [0, 0, 1], [0, 0, 0]], dtype=bool)
    >>> inner_vif(rc, s)[:, 2].round(4)
    array([1.3333, 1.3333,    nan])
    """
    rc = np.asarray(construct_correlations, dtype=np.float64)
    st = np.asarray(structure, dtype=bool)
    k = st.shape[0]
    out = np.full((k, k), np.nan)
    for j in range(k):
        pred = np.flatnonzero(st[:, j])
        if pred.size == 1:
            out[pred, j] = 1.0
            continue
        if pred.size == 0:
            continue
        try:
            out[pred, j] = np.diag(np.linalg.inv(rc[np.ix_(pred, pred)]))
        except np.linalg.LinAlgError:
            pass
    return out


def adjusted_r2(r2: FloatArray, structure: NDArray[np.bool_], n: int) -> FloatArray:
    """Adjusted R²: ``1 − (1 − R²)(n − 1)/(n − m − 1)`` with m predecessors.

    Examples
    --------
    >>> import numpy as np
    >>> adjusted_r2(np.array([np.nan, .5]), np.array([[0, 1], [0, 0]], bool), 101)
    array([  nan, 0.495])
    """
    m = np.asarray(structure, dtype=bool).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(
            1 - (1 - np.asarray(r2, dtype=np.float64)) * (n - 1) / (n - m - 1), dtype=np.float64
        )


def f_squared(
    r: FloatArray,
    blocks: Blocks,
    modes: Sequence[str],
    structure: NDArray[np.bool_],
    r2: FloatArray,
    *,
    scheme: str = "path",
    tol: float = 1e-7,
    max_iter: int = 300,
    consistent: bool = False,
) -> FloatArray:
    """Cohen's f² of every path, by re-estimating the model without it (as seminr).

    ``f²_ij = (R²_j − R²_j(without i→j)) / (1 − R²_j)``, (k, k), NaN where there is no
    path. The reduced model is estimated with the same settings; constructs left
    without any path are dropped from it, and when j is left without predecessors
    its R² is 0. ``r2`` is the full model's R² (the PLSc R² for a consistent model).

    Examples
    --------
    >>> import numpy as np
    >>> r = np.array([[1, .5], [.5, 1]])
    >>> f_squared(r, [[0], [1]], "AA", np.array([[0, 1], [0, 0]], bool), np.array([np.nan, .25]))
    array([[       nan, 0.33333333],
           [       nan,        nan]])
    """
    ra = np.asarray(r, dtype=np.float64)
    st = np.asarray(structure, dtype=bool)
    blks = _blocks(blocks)
    k = st.shape[0]
    r2a = np.asarray(r2, dtype=np.float64)
    out = np.full((k, k), np.nan)
    for i, j in zip(*np.nonzero(st), strict=True):
        reduced = st.copy()
        reduced[i, j] = False
        r2_without = 0.0
        if reduced[:, j].any():
            keep = np.flatnonzero(reduced.any(axis=0) | reduced.any(axis=1))
            cols = np.concatenate([blks[c] for c in keep])
            sub_blocks, start = [], 0
            for c in keep:
                sub_blocks.append(np.arange(start, start + blks[c].size))
                start += blks[c].size
            fit = estimate_pls_moments(
                ra[np.ix_(cols, cols)],
                sub_blocks,
                [modes[int(c)] for c in keep],
                reduced[np.ix_(keep, keep)],
                scheme=scheme,
                tol=tol,
                max_iter=max_iter,
                consistent=consistent,
            )
            r2_without = float(fit.r2[0, int(np.flatnonzero(keep == j)[0])])
        out[i, j] = (r2a[j] - r2_without) / (1 - r2a[j])
    return out


def fornell_larcker(construct_correlations: FloatArray, ave_values: FloatArray) -> FloatArray:
    """Fornell–Larcker matrix: construct correlations off the diagonal, √AVE on it.

    Discriminant validity holds for a construct when its √AVE exceeds its
    correlations with every other construct.

    Examples
    --------
    >>> import numpy as np
    >>> fornell_larcker(np.array([[1, .5], [.5, 1]]), np.array([.64, .49]))
    array([[0.8, 0.5],
           [0.5, 0.7]])
    """
    out = np.array(construct_correlations, dtype=np.float64, copy=True)
    np.fill_diagonal(out, np.sqrt(np.asarray(ave_values, dtype=np.float64)))
    return out


def implied_correlations(
    r: FloatArray,
    loadings: FloatArray,
    construct_correlations: FloatArray,
    blocks: Blocks,
    modes: Sequence[str],
) -> FloatArray:
    """Indicator correlations implied by the saturated measurement model, (p, p).

    Between indicators a (construct i) and b (construct j ≠ i): ``λ_a λ_b ρ_ij``.
    Within a Mode A block: ``λ_a λ_b`` (common factor); within a Mode B block: the
    observed correlations (a composite leaves them free). Unit diagonal. For a
    Mode B composite ``λ = R_bb w``, so ``λ_a λ_b ρ_ij`` is also the composite
    model's implied correlation (Henseler et al. 2014).

    Examples
    --------
    >>> import numpy as np
    >>> implied_correlations(np.eye(2), np.array([.8, .7]), np.array([[1, .5], [.5, 1]]),
    ...                      [[0], [1]], "AA").round(3).tolist()
    [[1.0, 0.28], [0.28, 1.0]]
    """
    ra = np.asarray(r, dtype=np.float64)
    lam = np.asarray(loadings, dtype=np.float64)
    rc = np.asarray(construct_correlations, dtype=np.float64)
    blks = _blocks(blocks)
    owner = _owner(blks, ra.shape[0])
    implied = np.outer(lam, lam) * rc[np.ix_(owner, owner)]
    for j, b in enumerate(blks):
        if str(modes[j]).upper() == "B":
            implied[np.ix_(b, b)] = ra[np.ix_(b, b)]
    np.fill_diagonal(implied, 1.0)
    return implied


def srmr(
    r: FloatArray,
    loadings: FloatArray,
    construct_correlations: FloatArray,
    blocks: Blocks,
    modes: Sequence[str],
) -> float:
    """Standardised root mean square residual of the saturated model (as SmartPLS).

    ``SRMR = sqrt( Σ_{a ≤ b} (r_ab − σ_ab)² / (p(p + 1)/2) )`` with σ from
    :func:`implied_correlations` (the construct correlations left free, i.e. the
    saturated structural model). seminr has no PLS SRMR. Pass the PLSc loadings and
    disattenuated correlations for a consistent model.

    Examples
    --------
    >>> import numpy as np
    >>> r = np.array([[1, .3], [.3, 1]])
    >>> srmr(r, np.array([1., 1.]), np.array([[1, .3], [.3, 1]]), [[0], [1]], "AA")
    0.0
    """
    ra = np.asarray(r, dtype=np.float64)
    implied = implied_correlations(ra, loadings, construct_correlations, blocks, modes)
    iu = np.triu_indices(ra.shape[0])
    return float(np.sqrt(np.mean((ra[iu] - implied[iu]) ** 2)))


@dataclass(frozen=True)
class PLSAssessment:
    """Every assessment statistic of one fitted model (see :func:`assess_model`).

    Attributes
    ----------
    total_effects, indirect_effects : ndarray (k, k)
        ``[i, j]``: total / total indirect effect of construct i on j.
    r2_adjusted : ndarray (k,)
        Adjusted R² (NaN for exogenous constructs).
    alpha, rho_a, rho_c, ave : ndarray (k,)
        Reliability (NaN where not applicable; see the functions of the same name).
    htmt : ndarray (k, k)
        Heterotrait–monotrait ratios (NaN diagonal and single-indicator pairs).
    fornell_larcker : ndarray (k, k)
        Construct correlations with √AVE on the diagonal.
    outer_vif : ndarray (p,)
        Indicator VIFs within their block.
    inner_vif : ndarray (k, k)
        Predecessor VIFs per endogenous construct (NaN where there is no path).
    f2 : ndarray (k, k)
        Cohen's f² per path (NaN where there is no path).
    srmr : float
        SRMR of the saturated model.
    """

    total_effects: FloatArray
    indirect_effects: FloatArray
    r2_adjusted: FloatArray
    alpha: FloatArray
    rho_a: FloatArray
    rho_c: FloatArray
    ave: FloatArray
    htmt: FloatArray
    fornell_larcker: FloatArray
    outer_vif: FloatArray
    inner_vif: FloatArray
    f2: FloatArray
    srmr: float


def assess_model(
    r: FloatArray,
    blocks: Blocks,
    modes: Sequence[str],
    structure: NDArray[np.bool_],
    est: PLSEstimate,
    *,
    n_obs: int | None = None,
) -> PLSAssessment:
    """Compute every assessment statistic of a fit from :func:`estimate_pls`.

    ``r`` is the indicator correlation matrix the model was fitted to
    (``est.indicator_correlations``). f² re-estimates the reduced models with the
    fit's own settings (``est.scheme``, ``est.consistent``, ``est.tol``,
    ``est.max_iter``). The inner VIFs use the score correlations, as seminr does
    (also for PLSc); Fornell–Larcker, SRMR use ``est.construct_correlations``
    (disattenuated for PLSc) and rho_C/AVE ``est.loadings`` (consistent for PLSc).

    Examples
    --------
    >>> import numpy as np
    >>> from csimodels.sem._pls_engine import estimate_pls
    >>> rng = np.random.default_rng(1)
    >>> eta = rng.normal(size=(300, 1))
    >>> x = np.hstack([eta + rng.normal(size=(300, 2)), eta + rng.normal(size=(300, 2))])
    >>> s = np.array([[False, True], [False, False]])
    >>> est = estimate_pls(x, [[0, 1], [2, 3]], "AA", s)
    >>> q = assess_model(est.indicator_correlations, [[0, 1], [2, 3]], "AA", s, est)
    >>> bool(np.isclose(q.f2[0, 1], est.r2[1] / (1 - est.r2[1])))
    True
    """
    st = np.asarray(structure, dtype=bool)
    n = est.n_obs if n_obs is None else int(n_obs)
    ave_values = ave(est.loadings, blocks)
    return PLSAssessment(
        total_effects=total_effects(est.paths),
        indirect_effects=indirect_effects(est.paths),
        r2_adjusted=adjusted_r2(est.r2, st, n),
        alpha=cronbach_alpha(r, blocks),
        rho_a=rho_a(r, est.outer_weights, blocks, modes),
        rho_c=rho_c(est.loadings, blocks),
        ave=ave_values,
        htmt=htmt(r, blocks),
        fornell_larcker=fornell_larcker(est.construct_correlations, ave_values),
        outer_vif=outer_vif(r, blocks),
        inner_vif=inner_vif(est.score_correlations, st),
        f2=f_squared(
            r,
            blocks,
            modes,
            st,
            est.r2,
            scheme=est.scheme,
            tol=est.tol,
            max_iter=est.max_iter,
            consistent=est.consistent,
        ),
        srmr=srmr(r, est.loadings, est.construct_correlations, blocks, modes),
    )
