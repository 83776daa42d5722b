"""Comparisons of CB-SEM fits: PLS versus CB-SEM on the same model, nested models by
the χ² difference test (scaled for MLR), and the measurement-invariance ladder across
groups (configural → metric → scalar → strict) with ΔCFI / ΔRMSEA verdicts.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd
from scipy import stats

from csimodels.errors import SpecificationError
from csimodels.results import Frame, Result

if TYPE_CHECKING:
    from csimodels.sem.cbsem import CBSEMResult
    from csimodels.sem.pls import PLSResult

__all__ = ["InvarianceResult", "chi2_difference", "compare_pls_cbsem"]


def compare_pls_cbsem(pls_result: PLSResult, cbsem_result: CBSEMResult) -> pd.DataFrame:
    """Side-by-side standardised estimates of the same model by PLS and CB-SEM.

    Parameters
    ----------
    pls_result : PLSResult
    cbsem_result : CBSEMResult
        Fits of the same constructs and paths.

    Returns
    -------
    DataFrame indexed by (kind, from, to), kind "path" (construct → construct) or
    "loading" (construct → indicator): ``pls`` (PLS standardised path / loading),
    ``cbsem`` (CB-SEM completely standardised estimate), ``difference`` (cbsem − pls),
    ``cbsem_p_value``.

    Examples
    --------
    >>> import csimodels as csi
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> acsi = csi.ACSI(indicators=data.constructs)
    >>> table = compare_pls_cbsem(acsi.fit(data), acsi.fit(data, method="cbsem"))
    >>> list(table.columns)
    ['pls', 'cbsem', 'difference', 'cbsem_p_value']
    """
    spec_cb = cbsem_result.spec
    spec_pls = pls_result.spec
    if spec_cb is None or set(spec_cb.paths) != set(spec_pls.paths):
        raise SpecificationError(
            "compare_pls_cbsem needs fits of the same model: the PLS and CB-SEM results "
            "have different structural paths"
        )
    if {c.name: c.indicators for c in spec_cb.constructs} != {
        c.name: c.indicators for c in spec_pls.constructs
    }:
        raise SpecificationError(
            "compare_pls_cbsem needs fits of the same model: the constructs' indicators differ"
        )
    rows = []
    for a, b in spec_pls.paths:
        rows.append(
            {
                "kind": "path",
                "from": a,
                "to": b,
                "pls": _cell(pls_result.paths, (a, b), "estimate"),
                "cbsem": _cell(cbsem_result.paths, (a, b), "std_estimate"),
                "cbsem_p_value": _cell(cbsem_result.paths, (a, b), "p_value"),
            }
        )
    for c in spec_pls.constructs:
        for item in c.indicators:
            key = (c.name, item)
            rows.append(
                {
                    "kind": "loading",
                    "from": c.name,
                    "to": item,
                    "pls": _cell(pls_result.outer, key, "loading"),
                    "cbsem": _cell(cbsem_result.loadings, key, "std_estimate"),
                    "cbsem_p_value": _cell(cbsem_result.loadings, key, "p_value"),
                }
            )
    table = pd.DataFrame(rows).set_index(["kind", "from", "to"])
    table.insert(2, "difference", table["cbsem"] - table["pls"])
    return table[["pls", "cbsem", "difference", "cbsem_p_value"]]


def _cell(frame: pd.DataFrame, key: tuple[str, str], column: str) -> float:
    return float(np.asarray(frame.loc[key, column], dtype=np.float64))
