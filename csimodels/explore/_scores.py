"""Engine: factor-score weights (regression / Thurstone, Bartlett) and naming helpers."""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

SCORE_METHODS: tuple[str, ...] = ("regression", "bartlett")


def score_weights(
    r: FloatArray, loadings: FloatArray, phi: FloatArray | None, method: str
) -> FloatArray:
    """Weights W (items x factors) such that scores = Z W for standardised answers Z.

    * regression (Thurstone 1935): W = R⁻¹ Λ Φ;
    * Bartlett (1937): W = U⁻² Λ (Λ' U⁻² Λ)⁻¹ with U² = 1 − diag(Λ Φ Λ').
    """
    k = loadings.shape[1]
    ph = np.eye(k) if phi is None else phi
    if method == "regression":
        return np.asarray(np.linalg.solve(r, loadings @ ph), dtype=np.float64)
    u2 = 1.0 - np.einsum("ij,jk,ik->i", loadings, ph, loadings)
    inv_u2 = 1.0 / u2
    lw = loadings * inv_u2[:, None]
    return np.asarray(lw @ np.linalg.inv(loadings.T @ lw), dtype=np.float64)


_TRAILING = re.compile(r"[\s\d_\-.:：、，,()（）\[\]#]+$")


def _stem(label: str) -> str:
    return _TRAILING.sub("", label.strip())


def suggest_name(labels: Sequence[str], *, min_length: int = 2) -> str:
    """A name for a factor from the labels of its top-loading items (in loading order).

    The longest common prefix of the labels, stripped of trailing digits and
    punctuation, when it has at least ``min_length`` characters ("感知质量1",
    "感知质量2" → "感知质量"; "PERQ1", "PERQ2" → "PERQ"); otherwise the first two labels
    joined by " / ".
    """
    if not labels:
        return ""
    prefix = labels[0]
    for lab in labels[1:]:
        n = 0
        while n < min(len(prefix), len(lab)) and prefix[n] == lab[n]:
            n += 1
        prefix = prefix[:n]
    stem = _stem(prefix)
    if len(stem) >= min_length and (len(labels) > 1 or stem != labels[0].strip()):
        return stem
    if len(labels) == 1:
        return _stem(labels[0]) or labels[0]
    return " / ".join(_stem(lab) or lab for lab in labels[:2])
