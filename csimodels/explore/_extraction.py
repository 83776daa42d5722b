"""Engine: factor extraction from a correlation matrix (pca, pa, minres, ml).

The algorithms are those of R psych's ``principal()`` and ``fa()`` (Revelle), run to
convergence: principal axis iterates communalities from the SMCs until their sum moves
less than ``tol``; minres and ml minimise their criterion over the uniquenesses with
L-BFGS-B on the bounds psych uses ([0.005, max(SMC, 1)]) and analytic gradients, with
tight tolerances. Loadings come back unrotated, columns signed so that they sum to a
positive number. Plain ndarrays in and out; status flags instead of warnings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from csimodels._lazy import lazy_module
from csimodels.explore._factorability import smc

optimize = lazy_module("scipy.optimize")

FloatArray = NDArray[np.float64]

EXTRACTIONS: tuple[str, ...] = ("pca", "pa", "minres", "ml")
UNIQUENESS_LOWER_BOUND = 0.005
"""The lower bound psych puts on uniquenesses in minres and ml (a Heywood case sits on it)."""


@dataclass(frozen=True)
class Extraction:
    """Unrotated loadings and what the fit found."""

    loadings: FloatArray  # p x k
    communalities: FloatArray  # p
    converged: bool
    iterations: int
    objective: float
    at_bound: tuple[int, ...]  # items whose uniqueness sits on the lower bound


def _top(r: FloatArray, k: int) -> tuple[FloatArray, FloatArray]:
    """The k largest eigenvalues (descending) and their eigenvectors."""
    from scipy.linalg import eigh

    p = r.shape[0]
    values, vectors = eigh(r, subset_by_index=[p - k, p - 1])
    return values[::-1], vectors[:, ::-1]


def _signed(loadings: FloatArray) -> FloatArray:
    s = np.sign(loadings.sum(axis=0))
    s[s == 0] = 1.0
    out: FloatArray = loadings * s
    return out


def principal_components(r: FloatArray, k: int) -> Extraction:
    """Loadings of the first k principal components: ``V_k diag(√λ_k)``."""
    values, vectors = _top(r, k)
    loadings = _signed(vectors * np.sqrt(np.clip(values, 0.0, None)))
    h2 = (loadings**2).sum(axis=1)
    return Extraction(loadings, h2, True, 0, float(r.shape[0] - h2.sum()), ())


def principal_axis(r: FloatArray, k: int, *, tol: float, max_iter: int) -> Extraction:
    """Iterated principal axis factoring from SMC starting communalities."""
    rr = r.copy()
    h2 = smc(r)
    np.fill_diagonal(rr, h2)
    total = float(h2.sum())
    converged = False
    it = 0
    loadings = np.zeros((r.shape[0], k))
    for it in range(1, max_iter + 1):  # noqa: B007
        values, vectors = _top(rr, k)
        if np.any(values < 0):
            break
        loadings = vectors * np.sqrt(values)
        h2 = (loadings**2).sum(axis=1)
        new_total = float(h2.sum())
        np.fill_diagonal(rr, h2)
        change = abs(total - new_total)
        total = new_total
        if change < tol:
            converged = True
            break
    loadings = _signed(loadings)
    resid = r - loadings @ loadings.T
    np.fill_diagonal(resid, 0.0)
    return Extraction(loadings, h2, converged, it, float((resid**2).sum() / 2.0), ())


def _minres_loadings(r: FloatArray, psi: FloatArray, k: int) -> FloatArray:
    s = r.copy()
    np.fill_diagonal(s, 1.0 - psi)
    values, vectors = _top(s, k)
    return np.asarray(vectors * np.sqrt(np.clip(values, 0.0, None)), dtype=np.float64)


def _minres_objective(psi: FloatArray, r: FloatArray, k: int) -> tuple[float, FloatArray]:
    # For fixed ψ the best Λ (top eigenpairs of S = R − Ψ) leaves E = S − V_k E_k V_k';
    # f(ψ) = ½‖E‖² = ½(‖S‖² − Σ_{j≤k} e_j²). Its gradient is −diag(E) = diag(ΛΛ' + Ψ − R)
    # (psych's FAgr.minres); at the optimum diag(E) = 0, so the minimiser is also the one
    # of the off-diagonal residual criterion psych reports. Only the top k eigenpairs
    # are computed.
    s = r.copy()
    np.fill_diagonal(s, np.diag(r) - psi)
    values, vectors = _top(s, k)
    f = float(0.5 * (np.sum(s**2) - np.sum(values**2)))
    diag_e = np.diag(s) - (vectors**2) @ values
    return f, np.asarray(-diag_e, dtype=np.float64)


def _ml_loadings(r: FloatArray, psi: FloatArray, k: int) -> FloatArray:
    sq = np.sqrt(psi)
    s_star = r / np.outer(sq, sq)
    values, vectors = _top(s_star, k)
    lam = vectors * np.sqrt(np.clip(values - 1.0, 0.0, None))
    return np.asarray(lam * sq[:, None], dtype=np.float64)


def _ml_objective(psi: FloatArray, r: FloatArray, k: int) -> tuple[float, FloatArray]:
    # f(ψ) = −Σ_{j>k} (ln e_j − e_j) + k − p, e the eigenvalues of S* = Ψ^-½ R Ψ^-½
    # (psych's FAfn), computed as ln|S*| − tr S* minus the top k terms (a Cholesky
    # factor and k eigenpairs instead of a full eigendecomposition); gradient
    # diag(ΛΛ' + Ψ − R)/ψ² (psych's FAgr).
    p = r.shape[0]
    sq = np.sqrt(psi)
    s_star = r / np.outer(sq, sq)
    values, vectors = _top(s_star, k)
    try:
        chol = np.linalg.cholesky(s_star)
        logdet = 2.0 * float(np.sum(np.log(np.diag(chol))))
    except np.linalg.LinAlgError:
        return float("inf"), np.zeros(p)
    rest = (logdet - float(np.sum(np.log(values)))) - (
        float(np.trace(s_star)) - float(np.sum(values))
    )
    f = float(-(rest - k + p))
    lam = vectors * np.sqrt(np.clip(values - 1.0, 0.0, None)) * sq[:, None]
    g = (lam**2).sum(axis=1) + psi - np.diag(r)
    return f, g / psi**2


def _optimise(
    fun: object, r: FloatArray, k: int, start: FloatArray, upper: float, tol: float, max_iter: int
) -> tuple[FloatArray, bool, int, float]:
    p = r.shape[0]
    bounds = [(UNIQUENESS_LOWER_BOUND, upper)] * p
    res = optimize.minimize(
        fun,
        np.clip(start, UNIQUENESS_LOWER_BOUND, upper),
        args=(r, k),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"ftol": 1e-16, "gtol": tol, "maxiter": max_iter, "maxcor": 20},
    )
    psi = np.asarray(res.x, dtype=np.float64)
    # L-BFGS-B may stop on ftol at machine precision with a tiny projected gradient;
    # judge convergence on the projected gradient itself.
    grad = np.asarray(res.jac, dtype=np.float64)
    free = (psi > UNIQUENESS_LOWER_BOUND + 1e-12) & (psi < upper - 1e-12)
    pg = np.where(free, grad, 0.0)
    converged = bool(np.max(np.abs(pg), initial=0.0) < max(tol * 100, 1e-6))
    return psi, converged, int(res.nit), float(res.fun)


def minres(r: FloatArray, k: int, *, tol: float, max_iter: int) -> Extraction:
    """Minimum residual (unweighted least squares) factoring."""
    s = smc(r)
    upper = max(float(s.max()), 1.0)
    psi, converged, it, f = _optimise(_minres_objective, r, k, 1.0 - s, upper, tol, max_iter)
    lam = _signed(_minres_loadings(r, psi, k))
    at_bound = tuple(int(i) for i in np.flatnonzero(psi <= UNIQUENESS_LOWER_BOUND + 1e-9))
    return Extraction(lam, (lam**2).sum(axis=1), converged, it, f, at_bound)


def maximum_likelihood(r: FloatArray, k: int, *, tol: float, max_iter: int) -> Extraction:
    """Maximum likelihood factoring (psych's criterion and bounds)."""
    s = smc(r)
    upper = max(float(s.max()), 1.0)
    psi, converged, it, f = _optimise(_ml_objective, r, k, 1.0 - s, upper, tol, max_iter)
    lam = _signed(_ml_loadings(r, psi, k))
    at_bound = tuple(int(i) for i in np.flatnonzero(psi <= UNIQUENESS_LOWER_BOUND + 1e-9))
    return Extraction(lam, (lam**2).sum(axis=1), converged, it, f, at_bound)


def extract(r: FloatArray, k: int, method: str, *, tol: float, max_iter: int) -> Extraction:
    """Dispatch on the extraction name."""
    if method == "pca":
        return principal_components(r, k)
    if method == "pa":
        return principal_axis(r, k, tol=tol, max_iter=max_iter)
    if method == "minres":
        return minres(r, k, tol=tol, max_iter=max_iter)
    if method == "ml":
        return maximum_likelihood(r, k, tol=tol, max_iter=max_iter)
    raise ValueError(method)


def ml_fit_statistics(r: FloatArray, loadings: FloatArray, n: float) -> tuple[float, int, float]:
    """Bartlett-corrected ML χ² of the k-factor model, its df, and the objective F.

    χ² = (n − 1 − (2p + 5)/6 − 2k/3) · F with F = tr(Σ⁻¹R) − ln|Σ⁻¹R| − p, as in psych.
    """
    p, k = loadings.shape
    sigma = loadings @ loadings.T
    np.fill_diagonal(sigma, 1.0)
    m = np.linalg.solve(sigma, r)
    _sign, logdet = np.linalg.slogdet(m)
    f = float(np.trace(m) - logdet - p)
    df = ((p - k) ** 2 - (p + k)) // 2
    chisq = (n - 1.0 - (2.0 * p + 5.0) / 6.0 - 2.0 * k / 3.0) * f
    return float(chisq), int(df), f
