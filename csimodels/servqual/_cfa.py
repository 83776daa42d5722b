"""Opt-in confirmatory factor analysis of an instrument's dimension structure (semopy).

semopy's default optimiser (SLSQP) can stop early without saying so; this check uses
the trust-region solver (``solver="trust-constr"``), which matches lavaan closely on
the classic examples, and checks convergence itself. SRMR (which semopy lacks) is
computed here from the sample and model-implied covariance matrices.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from csimodels.errors import ConvergenceWarning, DataQualityWarning
from csimodels.results import warn_and_note
from csimodels.servqual.instruments import Instrument


def run_cfa(
    x: NDArray[np.float64], inst: Instrument, owner: NDArray[np.intp], notes: list[str]
) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """Fit one factor per dimension (ML, complete rows); fit indices and std. loadings."""
    import semopy

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
    model = semopy.Model(desc)
    res = model.fit(frame, solver="trust-constr")
    if not bool(getattr(res, "success", True)):
        warn_and_note(
            notes,
            f"confirmatory factor analysis: the optimiser did not converge ({res.message}); "
            "its fit indices are unreliable",
            ConvergenceWarning,
        )
    st = semopy.calc_stats(model).iloc[0]
    sigma = np.asarray(model.calc_sigma()[0], dtype=np.float64)
    order = list(model.vars["observed"])
    s = np.cov(frame[order].to_numpy(), rowvar=False, bias=True)
    scale = np.sqrt(np.diag(s))
    resid = (s - sigma) / np.outer(scale, scale)
    low = np.tril_indices_from(resid)
    srmr = float(np.sqrt(np.mean(resid[low] ** 2)))
    fit = pd.DataFrame(
        {
            "value": [
                float(st["chi2"]),
                float(st["DoF"]),
                float(st["chi2 p-value"]),
                float(st["CFI"]),
                float(st["TLI"]),
                float(st["RMSEA"]),
                srmr,
                float(complete.shape[0]),
            ]
        },
        index=pd.Index(
            ["chi2", "dof", "p_value", "cfi", "tli", "rmsea", "srmr", "n"], name="index"
        ),
    )
    est = model.inspect(std_est=True)
    load = est[(est["op"] == "~") & est["rval"].isin(factors) & est["lval"].isin(names)]
    item_of = dict(zip(names, inst.items, strict=True))
    dim_of = dict(zip(factors, dims, strict=True))
    loadings = pd.DataFrame(
        {
            "dimension": pd.array([dim_of[f] for f in load["rval"]], dtype="str"),
            "estimate": load["Est. Std"].to_numpy(dtype=np.float64),
        },
        index=pd.Index([item_of[v] for v in load["lval"]], name="item", dtype="str"),
    )
    return fit, loadings
