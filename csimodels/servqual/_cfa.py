"""Opt-in confirmatory factor analysis of an instrument's dimension structure.

One factor per dimension, fitted by the library's own CB-SEM engine
(:class:`csimodels.CBSEM`, ML on the complete rows, lavaan's conventions and fit
indices); conditions it finds (non-convergence, Heywood cases...) become notes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from csimodels.errors import DataQualityWarning
from csimodels.results import warn_and_note
from csimodels.servqual.instruments import Instrument


def run_cfa(
    x: NDArray[np.float64], inst: Instrument, owner: NDArray[np.intp], notes: list[str]
) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """Fit one factor per dimension (ML, complete rows); fit indices and std. loadings."""
    from csimodels.sem.cbsem import CBSEM

    dims = list(inst.dimensions)
    small = [d for k, d in enumerate(dims) if int((owner == k).sum()) < 2]
    if small:
        warn_and_note(
            notes,
            f"confirmatory factor analysis not applicable: dimension(s) {small} have fewer "
            "than two items",
            DataQualityWarning,
        )
        return None, None
    names = [f"x{j}" for j in range(x.shape[1])]
    factors = [f"F{k}" for k in range(len(dims))]
    desc = "\n".join(
        f"{factors[k]} =~ " + " + ".join(names[j] for j in np.flatnonzero(owner == k))
        for k in range(len(dims))
    )
    complete = x[~np.isnan(x).any(axis=1)]
    frame = pd.DataFrame(complete, columns=pd.Index(names))
    res, conditions = CBSEM(desc).fit_collect(frame, estimator="ML")
    for message, category in conditions:
        warn_and_note(notes, f"confirmatory factor analysis: {message}", category)
    f = res.fit["value"]
    fit = pd.DataFrame(
        {
            "value": [
                float(f["chi2"]),
                float(f["df"]),
                float(f["p_value"]),
                float(f["cfi"]),
                float(f["tli"]),
                float(f["rmsea"]),
                float(f["srmr"]),
                float(complete.shape[0]),
            ]
        },
        index=pd.Index(
            ["chi2", "dof", "p_value", "cfi", "tli", "rmsea", "srmr", "n"], name="index"
        ),
    )
    load = res.loadings
    item_of = dict(zip(names, inst.items, strict=True))
    dim_of = dict(zip(factors, dims, strict=True))
    loadings = pd.DataFrame(
        {
            "dimension": pd.array(
                [dim_of[c] for c in load.index.get_level_values("construct")], dtype="str"
            ),
            "estimate": load["std_estimate"].to_numpy(dtype=np.float64),
        },
        index=pd.Index(
            [item_of[v] for v in load.index.get_level_values("indicator")],
            name="item",
            dtype="str",
        ),
    )
    return fit, loadings
