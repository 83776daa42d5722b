"""Engine: factor rotations (varimax, quartimax, promax, oblimin, geomin).

* varimax: Kaiser's criterion by the SVD iteration of R's ``stats::varimax``.
* quartimax, oblimin, geomin: gradient projection (Jennrich 2001, 2002; Bernaards and
  Jennrich 2005, the algorithm of GPArotation's GPForth / GPFoblq).
* promax: Hendrickson and White (1964) on a varimax solution, power m, with the factor
  correlations from the rotation matrix (psych's ``Promax``).

Kaiser normalisation (rows scaled to unit length before rotating, scaled back after)
is chosen by the caller; :data:`PSYCH_NORMALIZE` records what psych's ``fa()`` does.
Plain ndarrays in and out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

ORTHOGONAL_ROTATIONS: tuple[str, ...] = ("none", "varimax", "quartimax")
OBLIQUE_ROTATIONS: tuple[str, ...] = ("promax", "oblimin", "geomin")
ROTATIONS: tuple[str, ...] = ORTHOGONAL_ROTATIONS + OBLIQUE_ROTATIONS
PSYCH_NORMALIZE: dict[str, bool] = {
    "none": False,
    "varimax": True,  # stats::varimax(normalize = TRUE)
    "quartimax": False,  # GPArotation::quartimax(normalize = FALSE)
    "promax": True,  # psych::kaiser(L, rotate = "Promax")
    "oblimin": False,  # GPArotation::oblimin(normalize = FALSE)
    "geomin": False,  # GPArotation::geominQ(normalize = FALSE)
}
"""Whether psych's ``fa(rotate=...)`` Kaiser-normalises each rotation."""


@dataclass(frozen=True)
class Rotation:
    """A rotated solution: pattern loadings, factor correlations and status."""

    loadings: FloatArray  # p x k pattern
    phi: FloatArray | None  # k x k factor correlations (oblique) or None
    converged: bool
    iterations: int


_STALL_STEPS = 20
_STALL_RELATIVE = 1e-13
_STALL_GRADIENT = 1e-6
"""Gradient projection stops when the gradient norm is below ``tol``, or at the limit of
double precision while the norm is below 1e-6: the criterion has not improved by more
than 1e-13 (relative) for 20 steps, or the line search has shrunk its step below 1e-12
(in double precision the norm cannot always go much below ~1e-8)."""

Criterion = Callable[[FloatArray], tuple[float, FloatArray]]


def _quartimax(lam: FloatArray) -> tuple[float, FloatArray]:
    return float(-np.sum(lam**4) / 4.0), -(lam**3)


def _oblimin(gamma: float) -> Criterion:
    def crit(lam: FloatArray) -> tuple[float, FloatArray]:
        p, k = lam.shape
        x = (lam**2) @ (1.0 - np.eye(k))
        if gamma != 0.0:
            x = x - (gamma / p) * x.sum(axis=0, keepdims=True)
        return float(np.sum(lam**2 * x) / 4.0), lam * x

    return crit


def _geomin(delta: float) -> Criterion:
    def crit(lam: FloatArray) -> tuple[float, FloatArray]:
        k = lam.shape[1]
        l2 = lam**2 + delta
        pro = np.exp(np.log(l2).sum(axis=1) / k)
        return float(pro.sum()), (2.0 / k) * (lam / l2) * pro[:, None]

    return crit


def _gpa_orthogonal(
    a: FloatArray, crit: Criterion, tol: float, max_iter: int
) -> tuple[FloatArray, bool, int]:
    k = a.shape[1]
    t = np.eye(k)
    f, gq = crit(a @ t)
    g = a.T @ gq
    alpha = 1.0
    converged = False
    it = 0
    stalled = 0
    for it in range(max_iter + 1):  # noqa: B007
        m = t.T @ g
        gp = g - t @ ((m + m.T) / 2.0)
        s = float(np.sqrt(np.sum(gp**2)))
        if s < tol or ((stalled >= _STALL_STEPS or alpha < 1e-12) and s < _STALL_GRADIENT):
            converged = True
            break
        alpha *= 2.0
        for _ in range(11):
            u, _sv, vt = np.linalg.svd(t - alpha * gp)
            t_new = u @ vt
            f_new, gq_new = crit(a @ t_new)
            if f_new < f - 0.5 * s**2 * alpha:
                break
            alpha /= 2.0
        stalled = stalled + 1 if f - f_new <= _STALL_RELATIVE * abs(f) else 0
        t, f, g = t_new, f_new, a.T @ gq_new
    return a @ t, converged, it


def _gpa_oblique(
    a: FloatArray, crit: Criterion, tol: float, max_iter: int
) -> tuple[FloatArray, FloatArray, bool, int]:
    k = a.shape[1]
    t = np.eye(k)
    lam = a @ np.linalg.inv(t).T
    f, gq = crit(lam)
    g = -(lam.T @ gq @ np.linalg.inv(t)).T
    alpha = 1.0
    converged = False
    it = 0
    stalled = 0
    for it in range(max_iter + 1):  # noqa: B007
        gp = g - t * np.sum(t * g, axis=0, keepdims=True)
        s = float(np.sqrt(np.sum(gp**2)))
        if s < tol or ((stalled >= _STALL_STEPS or alpha < 1e-12) and s < _STALL_GRADIENT):
            converged = True
            break
        alpha *= 2.0
        for _ in range(11):
            x = t - alpha * gp
            t_new = x / np.sqrt(np.sum(x**2, axis=0, keepdims=True))
            t_inv = np.linalg.inv(t_new)
            lam = a @ t_inv.T
            f_new, gq_new = crit(lam)
            if f - f_new > 0.5 * s**2 * alpha:
                break
            alpha /= 2.0
        stalled = stalled + 1 if f - f_new <= _STALL_RELATIVE * abs(f) else 0
        t, f = t_new, f_new
        g = -(lam.T @ gq_new @ t_inv).T
    return lam, t.T @ t, converged, it


def _varimax(x: FloatArray, tol: float, max_iter: int) -> tuple[FloatArray, FloatArray, bool, int]:
    """Kaiser's varimax by R's SVD iteration (no normalisation here)."""
    p, k = x.shape
    t = np.eye(k)
    d = 0.0
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007
        z = x @ t
        b = x.T @ (z**3 - z * (np.sum(z**2, axis=0) / p))
        u, sv, vt = np.linalg.svd(b)
        t = u @ vt
        d_past, d = d, float(sv.sum())
        if d < d_past * (1.0 + tol):
            converged = True
            break
    return x @ t, t, converged, it


def _row_norms(a: FloatArray) -> FloatArray:
    h: FloatArray = np.sqrt(np.sum(a**2, axis=1))
    h[h == 0] = 1.0
    return h


def _promax(
    a: FloatArray, power: float, tol: float, max_iter: int
) -> tuple[FloatArray, FloatArray, bool, int]:
    # psych::Promax: Kaiser-normalised varimax, target Q = x|x|^(m-1), least squares U,
    # columns rescaled, Phi = U^-1 U^-T (rotation matrix including the varimax part).
    h = _row_norms(a)
    xv, tv, conv, it = _varimax(a / h[:, None], tol, max_iter)
    x = xv * h[:, None]
    q = x * np.abs(x) ** (power - 1.0)
    u = np.linalg.lstsq(x, q, rcond=None)[0]
    d = np.diag(np.linalg.inv(u.T @ u))
    u = u * np.sqrt(d)[None, :]
    z = x @ u
    full = tv @ u
    ui = np.linalg.inv(full)
    return z, ui @ ui.T, conv, it


def rotate(
    loadings: FloatArray,
    method: str,
    *,
    normalize: bool,
    tol: float,
    max_iter: int,
    power: float = 4.0,
    gamma: float = 0.0,
    delta: float = 0.01,
) -> Rotation:
    """Rotate ``loadings`` (p x k). With one factor (or ``"none"``) nothing happens."""
    k = loadings.shape[1]
    if method == "none" or k < 2:
        return Rotation(loadings.copy(), None, True, 0)
    h = _row_norms(loadings) if normalize else np.ones(loadings.shape[0])
    a = loadings / h[:, None]
    phi: FloatArray | None = None
    # varimax's own criterion is the relative change of its objective, which moves
    # with the square of the gradient norm
    vtol = max(tol**2, 1e-15)
    if method == "varimax":
        out, _t, conv, it = _varimax(a, vtol, max_iter)
    elif method == "quartimax":
        out, conv, it = _gpa_orthogonal(a, _quartimax, tol, max_iter)
    elif method == "promax":
        out, phi, conv, it = _promax(a, power, vtol, max_iter)
    elif method == "oblimin":
        out, phi, conv, it = _gpa_oblique(a, _oblimin(gamma), tol, max_iter)
    elif method == "geomin":
        out, phi, conv, it = _gpa_oblique(a, _geomin(delta), tol, max_iter)
    else:
        raise ValueError(method)
    return Rotation(out * h[:, None], phi, conv, it)


def sign_and_order(
    loadings: FloatArray, phi: FloatArray | None
) -> tuple[FloatArray, FloatArray | None, NDArray[np.intp]]:
    """psych's convention: columns sum positive, ordered by variance explained."""
    s = np.sign(loadings.sum(axis=0))
    s[s == 0] = 1.0
    lam = loadings * s
    if phi is not None:
        phi = phi * np.outer(s, s)
        ss = np.diag(phi @ lam.T @ lam)
    else:
        ss = np.sum(lam**2, axis=0)
    order = np.argsort(-ss, kind="stable")
    lam = lam[:, order]
    if phi is not None:
        phi = phi[np.ix_(order, order)]
    return lam, phi, order
