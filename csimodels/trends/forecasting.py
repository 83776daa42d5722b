"""Rolling-origin forecasts of many period series, shared by TrendMonitor and KPIMonitor.

For every series (row) and every period ``t`` with enough history, the chosen model is
refitted on the periods before ``t`` and forecasts ``t`` one step ahead (so an actual
outside its interval is an anomaly, and a steady trend is not); a fit on all periods
forecasts ``horizon`` periods past the last. The measurement variance of each period
(the survey's sampling variance of the score, or a KPI's binomial/Poisson variance)
enters the state-space models as known observation noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from csimodels._lazy import lazy_module
from csimodels.trends._forecast import (
    MIN_PERIODS,
    drift_forecast,
    fit_structural,
    kalman_filter,
    state_space,
)

stats = lazy_module("scipy.stats")

FloatArray = NDArray[np.float64]

__all__ = ["ForecastArrays", "choose_model", "future_labels", "run_forecasts"]

MODEL_CODES = ("", "local_level", "local_linear", "ets", "drift")


def choose_model(requested: str, n_obs: int) -> str:
    """The model for a series with ``n_obs`` observed periods ("" = too few).

    ``"auto"``: local linear trend with 10 or more periods, local level with 4 to 9,
    drift with 3; a named model needs :data:`MIN_PERIODS` periods.

    Examples
    --------
    >>> choose_model("auto", 12), choose_model("auto", 5), choose_model("local_linear", 5)
    ('local_linear', 'local_level', '')
    """
    if requested == "auto":
        if n_obs >= 10:
            return "local_linear"
        if n_obs >= MIN_PERIODS["local_level"]:
            return "local_level"
        return "drift" if n_obs >= MIN_PERIODS["drift"] else ""
    return requested if n_obs >= MIN_PERIODS[requested] else ""


def _choose_codes(requested: str, n_obs: NDArray[np.intp]) -> NDArray[np.int8]:
    """:func:`choose_model` for many series: codes into ``MODEL_CODES`` (0: none)."""
    if requested == "auto":
        out = np.where(
            n_obs >= 10,
            MODEL_CODES.index("local_linear"),
            np.where(
                n_obs >= MIN_PERIODS["local_level"],
                MODEL_CODES.index("local_level"),
                np.where(n_obs >= MIN_PERIODS["drift"], MODEL_CODES.index("drift"), 0),
            ),
        )
    else:
        out = np.where(n_obs >= MIN_PERIODS[requested], MODEL_CODES.index(requested), 0)
    return out.astype(np.int8)


@dataclass
class ForecastArrays:
    """Forecasts of R series over P observed + H future periods (arrays (R, P + H))."""

    model: NDArray[np.int8]
    forecast: FloatArray
    sd: FloatArray
    origin: NDArray[np.intp]  # number of periods the fit used (-1: no forecast)
    too_short: int  # (series, period) targets with too little history
    seasonal_used: bool
    errors: FloatArray  # (R, P) one-step errors actual - forecast (NaN where none)


def _structural_batch(
    y: FloatArray,
    h: FloatArray,
    fit_width: int,
    model: str,
    seasonal: int | None,
    variance_mode: str,
) -> tuple[FloatArray, FloatArray]:
    """Fit each row on its first ``fit_width`` columns, then filter all columns."""
    irregular = variance_mode != "sampling"
    system = state_space(model, seasonal=seasonal, irregular=irregular)
    hh = np.zeros_like(h) if variance_mode == "estimated" else h
    # centre each row on its first observed value: the approximate diffuse prior
    # (a_1 = 0, P_1 = 1e6) then costs nothing measurable on a 0-100 scale
    first = np.array([row[~np.isnan(row)][0] if np.any(~np.isnan(row)) else 0.0 for row in y])
    yc = y - first[:, None]
    params, _, _ = fit_structural(yc[:, :fit_width], hh[:, :fit_width], system)
    _, f, fv, _, _ = kalman_filter(yc, hh, system, params)
    return f + first[:, None], fv


def _ets_one(values: FloatArray, steps: int, z: float) -> tuple[FloatArray, FloatArray]:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    # a pandas endog: statsmodels 0.14's ETS get_prediction fails on a bare ndarray
    model = ETSModel(pd.Series(values), error="add", trend="add")
    with np.errstate(all="ignore"):
        res = model.fit(disp=False, maxiter=1000)
        pred = res.get_prediction(start=values.size, end=values.size + steps - 1)
        frame = pred.summary_frame(alpha=2 * stats.norm.sf(z))
    mean = frame["mean"].to_numpy(dtype=np.float64)
    sd = (frame["pi_upper"].to_numpy(dtype=np.float64) - mean) / z
    return mean, sd


def run_forecasts(
    y: FloatArray,
    se: FloatArray,
    *,
    model: str,
    horizon: int,
    level: float,
    variance_mode: str = "sampling",
    seasonal_periods: int | None = None,
) -> ForecastArrays:
    """Rolling-origin one-step forecasts of every observed period, then ``horizon`` more.

    ``y`` (R, P) values (NaN: missing); ``se`` (R, P) their standard errors (NaN where
    unknown; with ``variance_mode="sampling"`` a missing se of an observed value makes
    the value unusable). Future periods use each row's last observed se.
    """
    r_count, p_count = y.shape
    width = p_count + horizon
    z = float(stats.norm.ppf(0.5 + level / 2))
    out_model = np.zeros((r_count, width), dtype=np.int8)
    out_f = np.full((r_count, width), np.nan)
    out_sd = np.full((r_count, width), np.nan)
    origin = np.full((r_count, width), -1, dtype=np.intp)
    h_full = np.where(np.isnan(se), np.nan, se**2)
    usable = ~np.isnan(y)
    if variance_mode != "estimated":
        usable &= ~np.isnan(h_full)
    yv = np.where(usable, y, np.nan)
    cols = np.arange(p_count)
    last_pos = np.where(usable, cols, -1).max(axis=1)
    last_h = np.where(last_pos >= 0, h_full[np.arange(r_count), np.maximum(last_pos, 0)], np.nan)
    last_h = np.nan_to_num(last_h, nan=0.0)
    counts = np.cumsum(usable, axis=1)
    too_short = 0
    seasonal_used = False
    # one batch per origin o (fit on the periods before o) and model: targets are
    # period o (o < P) or the horizon after the last period (o = P)
    for o in range(1, p_count + 1):
        steps = 1 if o < p_count else horizon
        eligible = np.ones(r_count, dtype=bool) if o == p_count else usable[:, o]
        n_obs = counts[:, o - 1]
        chosen = _choose_codes(model, n_obs) * eligible
        too_short += int(np.sum(eligible & (chosen == 0))) * steps
        targets = list(range(o, o + steps)) if o < p_count else list(range(p_count, width))
        for code in np.unique(chosen[chosen > 0]):
            name = MODEL_CODES[int(code)]
            sel_all = np.flatnonzero(chosen == code)
            seas_flags = np.zeros(sel_all.size, dtype=bool)
            if seasonal_periods is not None and name in ("local_level", "local_linear"):
                seas_flags = n_obs[sel_all] >= MIN_PERIODS[name] + 2 * seasonal_periods
            for seas in (False, True):
                rows = sel_all[seas_flags == seas]
                if rows.size == 0:
                    continue
                seasonal_used |= seas
                yb = np.concatenate([yv[rows, :o], np.full((rows.size, steps), np.nan)], axis=1)
                h_next = h_full[rows, o] if o < p_count else last_h[rows]
                hb = np.concatenate(
                    [
                        np.nan_to_num(h_full[rows, :o], nan=0.0),
                        np.repeat(np.nan_to_num(h_next, nan=0.0)[:, None], steps, axis=1),
                    ],
                    axis=1,
                )
                if name in ("local_level", "local_linear"):
                    f, fv = _structural_batch(
                        yb, hb, o, name, seasonal_periods if seas else None, variance_mode
                    )
                    f, sd = f[:, o:], np.sqrt(fv[:, o:])
                elif name == "drift":
                    f, sd, _ = drift_forecast(yb[:, :o], steps)
                else:
                    f = np.full((rows.size, steps), np.nan)
                    sd = np.full((rows.size, steps), np.nan)
                    for i in range(rows.size):
                        vals = yb[i, :o][~np.isnan(yb[i, :o])]
                        f[i], sd[i] = _ets_one(vals, steps, z)
                out_f[np.ix_(rows, targets)] = f
                out_sd[np.ix_(rows, targets)] = sd
                out_model[np.ix_(rows, targets)] = code
                origin[np.ix_(rows, targets)] = o
    errors = np.where(usable, y, np.nan) - out_f[:, :p_count]
    return ForecastArrays(
        model=out_model,
        forecast=out_f,
        sd=out_sd,
        origin=origin,
        too_short=too_short,
        seasonal_used=seasonal_used,
        errors=errors,
    )


def future_labels(order: list[str], horizon: int) -> list[str]:
    """Labels of the ``horizon`` periods after the last: pandas periods when the labels
    parse as such ('2025Q4' -> '2026Q1', '2025-12' -> '2026-01'), else ``'<last>+h'``.

    Examples
    --------
    >>> future_labels(["2025Q3", "2025Q4"], 2), future_labels(["a", "b"], 1)
    (['2026Q1', '2026Q2'], ['b+1'])
    """
    last = order[-1]
    for freq in ("Q", "M"):
        try:
            start = pd.Period(last, freq=freq)
        except (ValueError, TypeError):
            continue
        if str(start) == last or start.strftime("%Y-%m") == last:
            fmt: Any = (lambda p: str(p)) if str(start) == last else (lambda p: p.strftime("%Y-%m"))
            labels = [fmt(start + i) for i in range(1, horizon + 1)]
            if not set(labels) & set(order):
                return labels
    if all(s.lstrip("-").isdigit() for s in order):
        return [str(int(last) + i) for i in range(1, horizon + 1)]
    return [f"{last}+{i}" for i in range(1, horizon + 1)]


def forecast_frame(
    fc: ForecastArrays,
    actual: FloatArray,
    index: pd.MultiIndex,
    level: float,
    origin_labels: list[str],
) -> pd.DataFrame:
    """The ``forecasts`` table (rows in the order of ``index``)."""
    z = float(stats.norm.ppf(0.5 + level / 2))
    f = fc.forecast.ravel()
    sd = fc.sd.ravel()
    act = actual.ravel()
    lower, upper = f - z * sd, f + z * sd
    with np.errstate(invalid="ignore"):
        outside = (act < lower) | (act > upper)
    names = np.array(MODEL_CODES, dtype=object)[fc.model.ravel()]
    org = fc.origin.ravel()
    origin_text = np.array(
        ["" if o < 1 else origin_labels[o - 1] for o in org], dtype=object
    ).astype(str)
    return pd.DataFrame(
        {
            "model": names.astype(str),
            "fitted_through": origin_text,
            "forecast": f,
            "std_error": sd,
            "lower": lower,
            "upper": upper,
            "actual": act,
            "outside": outside & ~np.isnan(act) & ~np.isnan(f),
            "z": (act - f) / np.where(sd > 0, sd, np.nan),
        },
        index=index,
    )


def forecast_alert_rows(frame: pd.DataFrame, level: float) -> list[dict[str, Any]]:
    """Alert rows for actuals outside their forecast interval (rule ``"forecast"``)."""
    z = float(stats.norm.ppf(0.5 + level / 2))
    hit = frame[frame["outside"]]
    rows: list[dict[str, Any]] = []
    for key, row in hit.iterrows():
        seg, ser, per = (str(k) for k in key)  # type: ignore[attr-defined]
        stat = float(row["z"])
        rows.append(
            {
                "segment": str(seg),
                "series": str(ser),
                "period": str(per),
                "kind": "rise" if stat > 0 else "drop",
                "rule": "forecast",
                "estimate": float(row["actual"]),
                "reference": float(row["forecast"]),
                "magnitude": float(row["actual"] - row["forecast"]),
                "statistic": stat,
                "limit": z if stat > 0 else -z,
                "p_value": float(2 * stats.norm.sf(abs(stat))),
                "severity": abs(stat) / z,
            }
        )
    return rows
