"""Comparisons of CB-SEM fits: PLS versus CB-SEM on the same model, nested models by
the χ² difference test (scaled for MLR), and the measurement-invariance ladder across
groups (configural → metric → scalar → strict) with ΔCFI / ΔRMSEA verdicts.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from csimodels._lazy import lazy_module
from csimodels.errors import SpecificationError
from csimodels.results import Frame, Result

special = lazy_module("scipy.special")
stats = lazy_module("scipy.stats")

if TYPE_CHECKING:
    from csimodels.sem.cbsem import CBSEMResult
    from csimodels.sem.pls import PLSResult

__all__ = [
    "InvarianceResult",
    "chi2_difference",
    "compare_pls_cbsem",
    "measurement_invariance",
    "modification_indices",
]


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


# ---------------------------------------------------------------------------------------
# nested models and measurement invariance
# ---------------------------------------------------------------------------------------

#: The invariance ladder: each step's ``group_equal``.
INVARIANCE_STEPS: dict[str, tuple[str, ...]] = {
    "configural": (),
    "metric": ("loadings",),
    "scalar": ("loadings", "intercepts"),
    "strict": ("loadings", "intercepts", "residuals"),
}
#: The ladder of ordinal items (delta parameterisation): thresholds take the place of
#: intercepts, and there is no strict step.
ORDINAL_INVARIANCE_STEPS: dict[str, tuple[str, ...]] = {
    "configural": (),
    "metric": ("loadings",),
    "scalar": ("loadings", "thresholds"),
}
#: Cheung & Rensvold (2002): a step holds when CFI drops by no more than this.
DELTA_CFI_LIMIT = -0.01
#: Chen (2007): ... and RMSEA rises by no more than this.
DELTA_RMSEA_LIMIT = 0.015


def chi2_difference(restricted: CBSEMResult, general: CBSEMResult) -> dict[str, float]:
    """χ² difference test of two nested CB-SEM fits (lavaan's ``lavTestLRT``).

    ML (and the other normal-theory estimators): ``Δχ² = χ²_r − χ²_g`` on
    ``Δdf = df_r − df_g``. MLR: the Satorra–Bentler (2001) scaled difference,
    ``Δχ²_s = (χ²_r − χ²_g) / c_d`` with ``c_d = (df_r c_r − df_g c_g) / Δdf`` from the
    two fits' scaling factors (lavaan's default ``method = "satorra.bentler.2001"``).

    Parameters
    ----------
    restricted, general : CBSEMResult
        Fits of nested models to the same data (``restricted`` has more df).

    Returns
    -------
    dict with ``chi2_diff``, ``df_diff``, ``p_value`` (and ``scaling_factor`` c_d,
    NaN unless MLR).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import csimodels as csi
    >>> rng = np.random.default_rng(2)
    >>> f = rng.normal(size=(400, 1))
    >>> df = pd.DataFrame(f @ [[1.0, 0.9, 0.8, 0.7]] + rng.normal(size=(400, 4)) * 0.6,
    ...                   columns=["a", "b", "c", "d"])
    >>> free = csi.CBSEM("F =~ a + b + c + d").fit(df)
    >>> equal = csi.CBSEM("F =~ a + l*b + l*c + d").fit(df)
    >>> int(chi2_difference(equal, free)["df_diff"])
    1
    """
    fr = restricted.fit["value"]
    fg = general.fit["value"]
    df_r, df_g = float(fr["df"]), float(fg["df"])
    d_df = df_r - df_g
    if d_df <= 0:
        raise SpecificationError(
            f"chi2_difference needs the restricted model first: df {df_r:g} is not larger "
            f"than df {df_g:g} of the general model"
        )
    if restricted.settings.get("n") != general.settings.get("n"):
        raise SpecificationError(
            "chi2_difference needs fits to the same respondents (n differs: "
            f"{restricted.settings.get('n')} and {general.settings.get('n')})"
        )
    diff = float(fr["chi2"]) - float(fg["chi2"])
    scale = float("nan")
    if restricted.settings.get("estimator") == "MLR" and "scaling_factor" in fr.index:
        c_r, c_g = float(fr["scaling_factor"]), float(fg["scaling_factor"])
        if not math.isfinite(c_g):  # a saturated general model: c irrelevant
            c_g = 1.0
        scale = (df_r * c_r - df_g * c_g) / d_df
        diff = diff / scale
    p = float(stats.chi2.sf(diff, d_df)) if diff >= 0 else float("nan")
    return {"chi2_diff": diff, "df_diff": d_df, "p_value": p, "scaling_factor": scale}


class InvarianceResult(Result):
    """Measurement invariance across groups: configural → metric → scalar → strict.

    Attributes
    ----------
    group : str
        The group column.
    steps : DataFrame, index step
        Per step: ``group_equal`` (as text), ``chisq``, ``df``, ``pvalue``, ``cfi``,
        ``rmsea``, ``srmr`` (the scaled χ² and robust CFI/RMSEA for MLR), then the
        comparison with the previous step: ``chisq_diff``, ``df_diff``,
        ``p_value_diff`` (the χ² difference test, Satorra–Bentler scaled for MLR),
        ``delta_cfi``, ``delta_rmsea``, ``chi2_rejects`` (p_value_diff < alpha) and
        ``verdict``: "holds" when ΔCFI ≥ −0.010 (Cheung & Rensvold 2002) and ΔRMSEA ≤
        0.015 (Chen 2007), else "does not hold"; "baseline" for the configural step.
    fits : dict of str to CBSEMResult
        The fit of each step.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import csimodels as csi
    >>> rng = np.random.default_rng(4)
    >>> f = rng.normal(size=(400, 1))
    >>> df = pd.DataFrame(f @ [[1.0, 0.8, 0.7]] + rng.normal(size=(400, 3)) * 0.5,
    ...                   columns=["q1", "q2", "q3"])
    >>> df["year"] = np.repeat(["2025", "2026"], 200)
    >>> res = csi.measurement_invariance(csi.CBSEM("Sat =~ q1 + q2 + q3"), df, group="year",
    ...                                  steps=("configural", "metric", "scalar"))
    >>> list(res.steps["verdict"])[0]
    'baseline'
    """

    group: str
    steps: Frame
    fits: dict[str, CBSEMResult]

    _title: ClassVar[str] = "Measurement invariance (CB-SEM)"

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        header: list[tuple[str, object]] = [
            ("Groups by", self.group),
            ("Estimator", self.settings.get("estimator")),
            ("Groups", ", ".join(self.settings.get("group_labels", []))),
            ("Rule", "ΔCFI ≥ −0.010 and ΔRMSEA ≤ 0.015; χ² difference at alpha"),
        ]
        return header, {"Invariance ladder": self.steps}


def measurement_invariance(
    model: Any,
    data: Any,
    *,
    group: str,
    estimator: str = "ML",
    steps: tuple[str, ...] = ("configural", "metric", "scalar", "strict"),
    group_partial: tuple[str, ...] = (),
    alpha: float = 0.05,
    weight: Any = ...,
    ordered: bool | tuple[str, ...] | list[str] = False,
    missing: str = "listwise",
) -> InvarianceResult:
    """Fit the invariance ladder across ``group`` and test each step against the last.

    Parameters
    ----------
    model : CBSEM
    data : SurveyData or DataFrame
    group : str
        The group column (regions, years, channels...).
    estimator : {"ML", "MLR", "WLSMV", "DWLS"}
        "WLSMV"/"DWLS" with ``ordered``: ordinal items (lavaan's delta
        parameterisation); the scalar step holds the thresholds equal (the latent
        means and scale factors are then free in the later groups), the per-step χ²,
        CFI and RMSEA are the scaled ones (WLSMV) and the difference tests lavaan's
        scaled-and-shifted ``satorra.2000``; there is no strict step.
    steps : tuple of str
        Steps of :data:`INVARIANCE_STEPS`, in order.
    group_partial : tuple of str
        Parameters freed in every constrained step (partial invariance), in syntax
        form (``"x3 ~ 1"``, ``"visual =~ x2"``).
    alpha : float
        Level of the χ² difference tests.
    weight : str or None
        As in :meth:`CBSEM.fit`.
    ordered : bool or sequence of str
        Ordinal items, as in :meth:`CBSEM.fit`.
    missing : {"listwise", "fiml"}
        As in :meth:`CBSEM.fit`: "fiml" fits every step by full-information ML (with
        ``estimator="MLR"``: the Yuan–Bentler scaled χ², the FIML-corrected robust
        CFI/RMSEA and the scaled difference tests, as lavaan's ``missing = "ml"``).

    Returns
    -------
    InvarianceResult

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import csimodels as csi
    >>> rng = np.random.default_rng(3)
    >>> f = rng.normal(size=(600, 1))
    >>> df = pd.DataFrame(f @ [[1.0, 0.9, 0.8]] + rng.normal(size=(600, 3)) * 0.6,
    ...                   columns=["a", "b", "c"])
    >>> df["g"] = np.repeat(["north", "south"], 300)
    >>> res = measurement_invariance(csi.CBSEM("F =~ a + b + c"), df, group="g")
    >>> list(res.steps.index)
    ['configural', 'metric', 'scalar', 'strict']
    """
    import warnings as _w

    ordinal = ordered is True or (not isinstance(ordered, bool) and len(ordered) > 0)
    ladder = dict(INVARIANCE_STEPS)
    if missing not in ("listwise", "fiml", "ml"):
        from csimodels.errors import InvalidParameterError

        raise InvalidParameterError(
            f"parameter 'missing' of measurement_invariance must be 'listwise' or 'fiml', "
            f"got {missing!r}"
        )
    if missing != "listwise" and (ordinal or str(estimator).upper() not in ("ML", "MLR")):
        from csimodels.errors import InvalidParameterError

        raise InvalidParameterError(
            f"parameter 'missing' of measurement_invariance: missing='fiml' is "
            f"full-information ML of continuous items; use estimator='ML' or 'MLR' "
            f"without ordered= (got estimator={estimator!r}"
            + (", ordinal items)" if ordinal else ")")
        )
    if ordinal:
        from csimodels.errors import InvalidParameterError

        if str(estimator).upper() not in ("WLSMV", "DWLS"):
            raise InvalidParameterError(
                f"parameter 'estimator' of measurement_invariance: {estimator!r} does "
                "not take ordinal items; use 'WLSMV' (or 'DWLS') with ordered="
            )
        ladder = {k: v for k, v in ORDINAL_INVARIANCE_STEPS.items()}
        if "strict" in steps:
            if steps == tuple(INVARIANCE_STEPS):  # the default ladder
                steps = tuple(ladder)
            else:
                raise InvalidParameterError(
                    "parameter 'steps' of measurement_invariance: 'strict' has no "
                    "meaning with ordinal items in the delta parameterisation (their "
                    "residual variances are not parameters); use configural, metric "
                    "and scalar"
                )
    elif str(estimator).upper() in ("DWLS", "WLSMV", "WLS", "ULS"):
        from csimodels.errors import InvalidParameterError

        raise InvalidParameterError(
            f"parameter 'estimator' of measurement_invariance: {estimator!r} is for "
            "ordinal items here: pass ordered=True (or the ordinal items), or use "
            "'ML'/'MLR'"
        )
    unknown = [s for s in steps if s not in ladder]
    if unknown:
        from csimodels.errors import InvalidParameterError, format_offenders

        raise InvalidParameterError(
            f"parameter 'steps' of measurement_invariance: {format_offenders(unknown)} "
            f"unknown; use {format_offenders(list(ladder))}"
        )
    fits: dict[str, Any] = {}
    estimations: dict[str, Any] = {}
    conditions: list[tuple[str, type[Warning]]] = []
    for step in steps:
        keep: list[object] = []
        res, found = model.fit_collect(
            data,
            estimator=estimator,
            group=group,
            group_equal=ladder[step],
            group_partial=group_partial if step != "configural" else (),
            weight=weight,
            ordered=ordered,
            missing=missing,
            _keep=keep,
        )
        fits[step] = res
        estimations[step] = keep[0]
        conditions.extend((f"{step} step: {m}", c) for m, c in found)
    mlr = estimator.upper() == "MLR"
    scaled = mlr or (ordinal and estimator.upper() == "WLSMV")
    prev_step = ""
    rows = []
    prev: Any = None
    for step, res in fits.items():
        f = res.fit["value"]
        cfi_key = "cfi_robust" if mlr else "cfi_scaled" if scaled else "cfi"
        rmsea_key = "rmsea_robust" if mlr else "rmsea_scaled" if scaled else "rmsea"
        row: dict[str, Any] = {
            "group_equal": ", ".join(ladder[step]) or "none",
            "chisq": float(f["chi2_scaled"] if scaled else f["chi2"]),
            "df": float(f["df"]),
            "pvalue": float(f["p_value_scaled"] if scaled else f["p_value"]),
            "cfi": float(f[cfi_key]),
            "rmsea": float(f[rmsea_key]),
            "srmr": float(f["srmr"]),
        }
        if prev is None:
            row.update(
                {
                    "chisq_diff": np.nan,
                    "df_diff": np.nan,
                    "p_value_diff": np.nan,
                    "delta_cfi": np.nan,
                    "delta_rmsea": np.nan,
                    "chi2_rejects": False,
                    "verdict": "baseline",
                }
            )
        else:
            if ordinal and scaled:
                from csimodels.sem._cbsem_ordinal_groups import satorra_2000

                test = satorra_2000(estimations[prev_step], estimations[step])
            else:
                test = chi2_difference(res, prev[1])
            d_cfi = row["cfi"] - prev[0]["cfi"]
            d_rmsea = row["rmsea"] - prev[0]["rmsea"]
            holds = d_cfi >= DELTA_CFI_LIMIT and d_rmsea <= DELTA_RMSEA_LIMIT
            row.update(
                {
                    "chisq_diff": test["chi2_diff"],
                    "df_diff": test["df_diff"],
                    "p_value_diff": test["p_value"],
                    "delta_cfi": d_cfi,
                    "delta_rmsea": d_rmsea,
                    "chi2_rejects": bool(test["p_value"] < alpha),
                    "verdict": "holds" if holds else "does not hold",
                }
            )
        rows.append(row)
        prev = (row, res)
        prev_step = step
    table = pd.DataFrame(rows, index=pd.Index(list(fits), name="step"))
    for message, category in conditions:
        _w.warn(message, category, stacklevel=2)
    first = next(iter(fits.values()))
    return InvarianceResult(
        group=group,
        steps=table,
        fits=fits,
        settings={
            "estimator": estimator.upper(),
            "ordinal": ordinal,
            "difference_test": "satorra.2000 (scaled and shifted)"
            if ordinal and scaled
            else "satorra.bentler.2001"
            if mlr
            else "standard",
            "group_labels": list(first.group_labels),
            "alpha": alpha,
            "delta_cfi_limit": DELTA_CFI_LIMIT,
            "delta_rmsea_limit": DELTA_RMSEA_LIMIT,
            "group_partial": list(group_partial),
            "missing": "fiml" if missing in ("fiml", "ml") else missing,
            "n_used": first.settings.get("n"),
        },
        notes=tuple(m for m, _ in conditions),
    )


# ---------------------------------------------------------------------------------------
# modification indices
# ---------------------------------------------------------------------------------------


def modification_indices(est: Any, group_labels: list[str]) -> pd.DataFrame:
    """lavaan's ``modindices()``: the score test of freeing each fixed parameter.

    Candidates are the model's fixed parameters (a fixed loading, a zero covariance,
    a fixed variance, ...) and the parameters it leaves out: every loading of an
    observed variable on every latent variable, and every residual covariance
    between two observed variables. With ``g`` the gradient of lavaan's F at the
    estimates (candidates at their fixed values) and ``I`` the expected information
    of the model with the candidates added, ``MI = N g² / V`` and the expected
    parameter change ``EPC = −g / V``, ``V = I₂₂ − I₂₁ I₁₁⁻¹ I₁₂`` (one candidate at a
    time). Candidates whose freeing would not be identified (``V ≈ 0``, e.g. a marker
    loading) are left out, as lavaan does.

    Returns
    -------
    DataFrame with ``lhs``, ``op``, ``rhs``, ``group``, ``mi``, ``epc``, ``sepc_all``
    (the EPC completely standardised with the model's variances), ``p_value`` (χ²
    with 1 df), sorted as the parameter table.
    """
    import copy

    from csimodels.sem import _cbsem_engine as engine
    from csimodels.sem._cbsem_partable import ParRow
    from csimodels.sem._cbsem_ram import RamModel

    table = est.table
    aug = copy.deepcopy(table)
    q = table.n_free
    cand: list[ParRow] = []
    for row in aug.rows:
        if row.free == 0 and row.op in ("=~", "~~", "~", "~1"):
            cand.append(row)
    observed = list(table.observed)
    latent = list(table.latent)
    for g in range(1, table.n_groups + 1):
        have = {(r.lhs, r.op, r.rhs) for r in table.rows if r.group == g}
        have |= {(r.rhs, r.op, r.lhs) for r in table.rows if r.group == g and r.op == "~~"}
        for f in latent:
            for x in observed:
                if (f, "=~", x) not in have:
                    row = ParRow(f, "=~", x, g, value=0.0, kind="loadings")
                    aug.rows.append(row)
                    cand.append(row)
        fixed_x = set(table.ov_x)  # lavaan: no residual covariances with fixed covariates
        for i, a in enumerate(observed):
            for b in observed[i + 1 :]:
                if (a, "~~", b) not in have and a not in fixed_x and b not in fixed_x:
                    row = ParRow(a, "~~", b, g, value=0.0, kind="residual.covariances")
                    aug.rows.append(row)
                    cand.append(row)
    theta = list(est.theta[:q])
    for k, row in enumerate(cand):
        row.free = q + k + 1
        theta.append(row.value)
    aug.n_free = q + len(cand)
    ram = RamModel(aug)
    frames = [
        engine.ModelFrame(ram, fr.x, observed, "ML", fr.weights_raw, None, group=g)
        for g, fr in enumerate(est.frames)
    ]
    objective: Any = frames[0] if len(frames) == 1 else engine.MultiFrame(frames)
    t = np.asarray(theta, dtype=np.float64)
    _, grad, info = objective.evaluate(t)
    i11 = info[:q, :q]
    i12 = info[:q, q:]
    i22 = np.diag(info[q:, q:])
    with np.errstate(all="ignore"):
        if est.active_jacobian is not None:
            # binding inequality constraints held as equalities (lavaan's augmented
            # inverse of the information)
            from csimodels.sem._cbsem_constraints import projected_inverse

            v = i22 - np.einsum("ij,ij->j", i12, projected_inverse(i11, est.active_jacobian) @ i12)
        else:
            v = i22 - np.einsum("ij,ij->j", i12, np.linalg.solve(i11, i12))
    g2 = grad[q:]
    n = est.n
    from csimodels.sem._cbsem_tables import group_matrices

    cache = [group_matrices(est, est.theta, g) for g in range(table.n_groups)]
    pos = est.ram.position
    rows = []
    scale = max(float(np.max(np.abs(i22))), 1e-300)
    for k, row in enumerate(cand):
        if not v[k] > 1e-8 * scale:
            continue
        mi = n * g2[k] ** 2 / v[k]
        epc = -g2[k] / v[k]
        s_mat, c_mat, _ = cache[row.group - 1]
        if row.op == "~1":
            sd = math.sqrt(c_mat[pos[row.lhs], pos[row.lhs]])
            sepc = epc / sd
        else:
            a, b = pos[row.lhs], pos[row.rhs]
            if row.op == "=~":
                sepc = epc * math.sqrt(c_mat[a, a]) / math.sqrt(c_mat[b, b])
            elif row.op == "~":
                sepc = epc * math.sqrt(c_mat[b, b]) / math.sqrt(c_mat[a, a])
            elif a == b:
                sepc = epc / c_mat[a, a]
            else:
                prod = s_mat[a, a] * s_mat[b, b]
                sepc = epc / math.sqrt(prod) if prod > 0 else float("nan")
        rows.append(
            {
                "lhs": row.lhs,
                "op": row.op,
                "rhs": row.rhs,
                "group": row.group,
                "mi": float(mi),
                "epc": float(epc),
                "sepc_all": float(sepc),
                "p_value": float(special.chdtrc(1, mi)),
            }
        )
    out = pd.DataFrame(
        rows, columns=["lhs", "op", "rhs", "group", "mi", "epc", "sepc_all", "p_value"]
    )
    if table.n_groups > 1:
        out.insert(4, "group_label", [group_labels[g - 1] for g in out["group"]])
    return out
