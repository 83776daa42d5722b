"""Forecasts, KPI charts, tiers, reconciliation and back-testing of csimodels.trends.

Oracles:
- statsmodels 0.14 ``UnobservedComponents`` ("llevel", "lltrend"): same model, same
  series, same parameters -> same filter, log-likelihood and forecasts (1e-8);
  its MLE with an estimated or a fixed constant measurement variance.
- statsmodels ``MLEModel`` with a time-varying ``obs_cov`` set by hand (the survey's
  sampling variances), and a plain-Python Kalman loop written here.
- statsmodels ``SARIMAX(0, 1, 0)`` with a drift term (the drift point forecast);
  Hyndman & Athanasopoulos, FPP3 §5.5 (its interval).
- MinT: the direct formula S (S' W^-1 S)^-1 S' W^-1 y with W the shrunk covariance of
  hts::MinT (``shrink.estim``), written with dense N x N matrices.
- p- and u-chart limits: Montgomery (2009), §7.2.1 and §7.3.1, by hand.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

import csimodels as csi
from csimodels.errors import DataQualityWarning, DataValidationError, SpecificationError
from csimodels.trends import (
    AlertTier,
    KPIMonitor,
    KPIResult,
    Route,
    Threshold,
    TrendMonitor,
    TrendResult,
    backtest,
    propose_threshold,
)
from csimodels.trends._forecast import (
    drift_forecast,
    fit_structural,
    kalman_filter,
    state_space,
)
from csimodels.trends._reconcile import reconcile, shrinkage_lambda

UC = {"local_level": "llevel", "local_linear": "lltrend"}


def _series(seed: int, n: int = 30) -> np.ndarray:
    rng = np.random.default_rng(seed)
    level = 70 + np.cumsum(rng.normal(0, 1.0, n)) + 0.1 * np.arange(n)
    return level + rng.normal(0, 1.5, n)


# -- the filter and the MLE against statsmodels ---------------------------------------


@pytest.mark.parametrize("model", ["local_level", "local_linear"])
def test_filter_and_forecasts_equal_statsmodels_at_its_parameters(model: str) -> None:
    y = _series(1)
    res = sm.tsa.UnobservedComponents(y, UC[model]).fit(disp=False)
    system = state_space(model, irregular=True)
    horizon = 4
    yy = np.concatenate([y, np.full(horizon, np.nan)])[None]
    ll, f, fv, _, _ = kalman_filter(yy, np.zeros_like(yy), system, res.params[None])
    assert ll[0] == pytest.approx(res.llf, abs=1e-8)
    np.testing.assert_allclose(f[0, : y.size], res.filter_results.forecasts[0], atol=1e-8)
    np.testing.assert_allclose(
        fv[0, : y.size], res.filter_results.forecasts_error_cov[0, 0], rtol=1e-9
    )
    fc = res.get_forecast(horizon)
    np.testing.assert_allclose(f[0, y.size :], fc.predicted_mean, atol=1e-8)
    np.testing.assert_allclose(fv[0, y.size :], fc.var_pred_mean, rtol=1e-9)


@pytest.mark.parametrize("model", ["local_level", "local_linear"])
def test_mle_with_estimated_measurement_variance_matches_statsmodels(model: str) -> None:
    y = _series(2)
    res = sm.tsa.UnobservedComponents(y, UC[model]).fit(disp=False, maxiter=2000)
    params, ll, conv = fit_structural(
        y[None], np.zeros((1, y.size)), state_space(model, irregular=True)
    )
    assert conv[0]
    assert ll[0] >= res.llf - 1e-7  # ours is at least as high: a maximum
    assert ll[0] == pytest.approx(res.llf, abs=1e-5)
    big = res.params > 1e-3
    np.testing.assert_allclose(params[0][big], res.params[big], rtol=2e-3)


def test_seasonal_filter_and_mle_match_statsmodels() -> None:
    rng = np.random.default_rng(3)
    n = 24
    season = np.tile([1.5, -0.5, -2.0, 1.0], 6)
    y = 70 + np.cumsum(rng.normal(0, 0.6, n)) + season + rng.normal(0, 1, n)
    res = sm.tsa.UnobservedComponents(y, "llevel", seasonal=4).fit(disp=False, maxiter=2000)
    system = state_space("local_level", seasonal=4, irregular=True)
    yy = np.concatenate([y, np.full(4, np.nan)])[None]
    ll, f, fv, _, _ = kalman_filter(yy, np.zeros_like(yy), system, res.params[None])
    assert ll[0] == pytest.approx(res.llf, abs=1e-8)
    np.testing.assert_allclose(f[0, n:], res.get_forecast(4).predicted_mean, atol=1e-8)
    np.testing.assert_allclose(fv[0, n:], res.get_forecast(4).var_pred_mean, rtol=1e-8)
    _, ll_max, _ = fit_structural((y - y[0])[None], np.zeros((1, n)), system)
    assert ll_max[0] == pytest.approx(res.llf, abs=1e-4)


def test_mle_with_known_constant_measurement_variance_matches_statsmodels() -> None:
    y = _series(3, n=24)
    c = 2.25
    mod = sm.tsa.UnobservedComponents(y, "llevel")
    res = mod.fit_constrained({"sigma2.irregular": c}, disp=False)
    params, ll, _ = fit_structural(y[None], np.full((1, y.size), c), state_space("local_level"))
    assert ll[0] == pytest.approx(res.llf, abs=1e-6)
    assert params[0, 0] == pytest.approx(res.params[1], rel=1e-3)


class _KnownNoise(sm.tsa.statespace.MLEModel):  # type: ignore[misc]
    """statsmodels' own filter with a time-varying known observation variance."""

    def __init__(self, endog: np.ndarray, h: np.ndarray, trend: bool) -> None:
        k = 2 if trend else 1
        super().__init__(endog, k_states=k, k_posdef=k)
        self.k = k
        self["design"] = np.array([[1.0, 0.0][:k]])
        self["transition"] = np.array([[1.0, 1.0], [0.0, 1.0]])[:k, :k]
        self["selection"] = np.eye(k)
        self["obs_cov"] = h.reshape(1, 1, -1)
        self.initialize_approximate_diffuse(1e6)
        self.loglikelihood_burn = k

    @property
    def param_names(self) -> list[str]:
        return ["level", "slope"][: self.k]

    @property
    def start_params(self) -> np.ndarray:
        return np.ones(self.k)

    def transform_params(self, unconstrained: np.ndarray) -> np.ndarray:
        return unconstrained**2

    def untransform_params(self, constrained: np.ndarray) -> np.ndarray:
        return constrained**0.5

    def update(self, params: np.ndarray, **kwargs: object) -> None:
        params = super().update(params, **kwargs)
        self["state_cov"] = np.diag(params)


@pytest.mark.parametrize("model", ["local_level", "local_linear"])
def test_time_varying_known_variance_matches_statsmodels_mlemodel(model: str) -> None:
    rng = np.random.default_rng(4)
    n = 16
    sizes = rng.integers(30, 400, n)  # a store with 40 interviews is noisier
    h = 20.0**2 / sizes
    y = 70 + np.cumsum(rng.normal(0, 1.2, n)) + rng.normal(0, np.sqrt(h))
    oracle = _KnownNoise(y, h, model == "local_linear")
    res = oracle.fit(disp=False, maxiter=2000)
    system = state_space(model)
    ll, f, fv, _, _ = kalman_filter(y[None], h[None], system, res.params[None])
    assert ll[0] == pytest.approx(res.llf, abs=1e-8)
    np.testing.assert_allclose(f[0], res.filter_results.forecasts[0], atol=1e-8)
    np.testing.assert_allclose(fv[0], res.filter_results.forecasts_error_cov[0, 0], rtol=1e-9)
    _, ll_max, _ = fit_structural(y[None], h[None], system)
    assert ll_max[0] >= res.llf - 1e-7
    assert ll_max[0] == pytest.approx(res.llf, abs=1e-5)


def test_hand_built_kalman_loop_on_a_small_example() -> None:
    y = np.array([71.0, 72.5, np.nan, 73.1, 75.0, 74.2])
    h = np.array([4.0, 1.0, 2.0, 9.0, 0.5, 2.5])
    q_level, q_slope = 0.8, 0.05
    t_mat = np.array([[1.0, 1.0], [0.0, 1.0]])
    z = np.array([1.0, 0.0])
    a, p = np.zeros(2), 1e6 * np.eye(2)
    ll, preds, pvars = 0.0, [], []
    for t in range(6):
        f = z @ p @ z + h[t]
        preds.append(z @ a)
        pvars.append(f)
        if not np.isnan(y[t]):
            v = y[t] - z @ a
            k = p @ z / f
            if t >= 2:
                ll += -0.5 * (math.log(2 * math.pi) + math.log(f) + v * v / f)
            a = a + k * v
            p = p - np.outer(k, z @ p)
        a = t_mat @ a
        p = t_mat @ p @ t_mat.T + np.diag([q_level, q_slope])
    got = kalman_filter(y[None], h[None], state_space("local_linear"), np.array([[0.8, 0.05]]))
    assert got[0][0] == pytest.approx(ll, abs=1e-10)
    np.testing.assert_allclose(got[1][0], preds, atol=1e-9)
    np.testing.assert_allclose(got[2][0], pvars, rtol=1e-9)  # 1e6 diffuse prior: rounding


def test_drift_forecast_matches_statsmodels_and_fpp3() -> None:
    y = _series(5, n=12)
    point, sd, _ = drift_forecast(y[None], 3)
    res = sm.tsa.SARIMAX(y, order=(0, 1, 0), trend="c").fit(disp=False)
    np.testing.assert_allclose(point[0], res.forecast(3), rtol=1e-6)
    b = (y[-1] - y[0]) / 11
    s2 = np.sum((np.diff(y) - b) ** 2) / 10
    h = np.arange(1, 4)
    np.testing.assert_allclose(sd[0], np.sqrt(s2 * h * (1 + h / 11)), rtol=1e-12)


# -- the monitor's forecasts on survey data --------------------------------------------

QUARTERS = [f"{2023 + i // 4}Q{i % 4 + 1}" for i in range(12)]


def store_frame(
    seed: int,
    *,
    stores: int = 6,
    n: int = 80,
    trend: float = 0.15,
    drop: float = 0.0,
    drop_at: int = 10,
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    parts = []
    for s in range(stores):
        store = f"S{s + 1}"
        for t, quarter in enumerate(QUARTERS):
            mu = 6.5 + trend * t - (drop if (store == "S4" and t >= drop_at) else 0.0)
            x = np.clip(np.rint(mu + 1.6 * rng.standard_normal(n)), 1, 10)
            parts.append(
                pd.DataFrame(
                    {
                        "SAT": x,
                        "store": store,
                        "region": "N" if s < stores // 2 else "S",
                        "quarter": quarter,
                    }
                )
            )
    return pd.concat(parts, ignore_index=True)


def store_survey(frame: pd.DataFrame) -> csi.SurveyData:
    return csi.SurveyData.from_frame(
        frame, items=["SAT"], scale=(1, 10), segments=["region", "store"], period="quarter"
    )


def test_a_steady_trend_is_no_forecast_alarm_but_a_drop_is() -> None:
    data = store_survey(store_frame(1, drop=1.5))
    res = TrendMonitor(series=["SAT"], forecast="local_linear", horizon=2).fit(data, by="store")
    fc_alerts = res.alerts[res.alerts["rule"] == "forecast"]
    assert ("S4", "2025Q3") in set(zip(fc_alerts["segment"], fc_alerts["period"], strict=True))
    # the steady rise of 0.15 points a quarter (1.7 on 0-100) sets off the flat-baseline
    # EWMA chart in most stores, but the forecast rule stays quiet there
    ewma = res.alerts[res.alerts["rule"] == "ewma"]
    assert ewma["segment"].nunique() >= 5
    assert len(fc_alerts[fc_alerts["segment"] != "S4"]) <= 2
    f = res.forecasts
    assert list(f.columns[:8]) == [
        "model",
        "fitted_through",
        "forecast",
        "std_error",
        "lower",
        "upper",
        "actual",
        "outside",
    ]
    assert res.future_periods == ("2026Q1", "2026Q2")
    fut = f.xs("2026Q2", level="period")
    assert fut["actual"].isna().all() and (fut["model"] == "local_linear").all()
    # the first periods have too little history for a local linear trend (needs 6)
    assert (f.xs(("S1", "SAT"))["model"].iloc[:6] == "").all()
    assert any("needs 6 observed periods" in n for n in res.notes)
    assert result_roundtrip(res)


def result_roundtrip(res: TrendResult | KPIResult) -> bool:
    again = csi.result_from_json(res.to_json())
    return bool(again == res)


def test_interval_width_follows_the_sample_size() -> None:
    frame = store_frame(2, n=40, trend=0.0)
    big = store_frame(3, n=400, trend=0.0)
    big["store"] = big["store"] + "x"
    data = store_survey(pd.concat([frame, big], ignore_index=True))
    res = TrendMonitor(series=["SAT"], forecast="local_level").fit(data, by="store")
    width = (res.forecasts["upper"] - res.forecasts["lower"]).xs("2026Q1", level="period")
    small_w = width[[s for s in width.index.get_level_values(0) if not s.endswith("x")]]
    big_w = width[[s for s in width.index.get_level_values(0) if s.endswith("x")]]
    assert small_w.min() > big_w.max()


def test_in_control_coverage_is_nominal() -> None:
    """Local level + known sampling noise, 20 periods, 1500 series: one-step coverage."""
    rng = np.random.default_rng(6)
    m, n = 1500, 20
    h = np.full((m, n), 4.0) * rng.uniform(0.5, 2.0, (m, 1))
    level = 70 + np.cumsum(rng.normal(0, 1.0, (m, n)), axis=1)
    y = level + rng.normal(0, np.sqrt(h))
    from csimodels.trends.forecasting import run_forecasts

    fc = run_forecasts(y[:, :-1], np.sqrt(h[:, :-1]), model="local_level", horizon=1, level=0.9)
    # the future forecast of the last period, with its own (known) sampling variance
    f = fc.forecast[:, -1]
    sd = np.sqrt(fc.sd[:, -1] ** 2 - h[:, -2] + h[:, -1])
    inside = np.abs(y[:, -1] - f) <= stats.norm.ppf(0.95) * sd
    se = math.sqrt(0.9 * 0.1 / m)
    assert abs(inside.mean() - 0.9) < 4 * se, inside.mean()


def test_ets_equals_statsmodels_etsmodel() -> None:
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    from csimodels.trends.forecasting import run_forecasts

    y = _series(7, n=12)
    fc = run_forecasts(
        y[None],
        np.full((1, 12), np.nan),
        model="ets",
        horizon=2,
        level=0.95,
        variance_mode="estimated",
    )
    res = ETSModel(pd.Series(y), error="add", trend="add").fit(disp=False, maxiter=1000)
    frame = res.get_prediction(start=12, end=13).summary_frame(alpha=0.05)
    np.testing.assert_allclose(fc.forecast[0, 12:], frame["mean"], rtol=1e-10)
    np.testing.assert_allclose(
        fc.forecast[0, 12:] + stats.norm.ppf(0.975) * fc.sd[0, 12:], frame["pi_upper"], rtol=1e-10
    )


# -- the hierarchy ----------------------------------------------------------------------


def _mint_direct(base: np.ndarray, shares: np.ndarray, errors: np.ndarray) -> np.ndarray:
    """hts::MinT shrink.estim and the MinT formula, with dense matrices."""
    n_t = errors.shape[0]
    covm = errors.T @ errors / n_t
    sd = np.sqrt(np.diag(covm))
    corm = covm / np.outer(sd, sd)
    xs = errors / sd
    v = (1 / (n_t * (n_t - 1))) * ((xs**2).T @ (xs**2) - (1 / n_t) * (xs.T @ xs) ** 2)
    np.fill_diagonal(v, 0.0)
    d = (corm - np.eye(len(sd))) ** 2
    lam = max(min(v.sum() / d.sum(), 1.0), 0.0)
    w = lam * np.diag(np.diag(covm)) + (1 - lam) * covm
    s = np.vstack([shares, np.eye(shares.shape[1])])
    wi = np.linalg.inv(w)
    return s @ np.linalg.solve(s.T @ wi @ s, s.T @ wi @ base), lam  # type: ignore[return-value]


def test_mint_shrink_equals_the_direct_formula() -> None:
    rng = np.random.default_rng(8)
    shares = np.array(
        [[0.2, 0.3, 0.1, 0.25, 0.15], [0.4, 0.6, 0.0, 0.0, 0.0], [0.0, 0.0, 0.2, 0.5, 0.3]]
    )
    n = 8
    errors = rng.normal(size=(10, n)) @ rng.normal(size=(n, n)) * 0.5
    base = rng.normal(70, 3, n)
    var = rng.uniform(1, 4, n)
    rec, _, lam = reconcile(base, var, shares, "mint_shrink", errors=errors)
    expected, lam_direct = _mint_direct(base, shares, errors)
    assert lam == pytest.approx(lam_direct, rel=1e-12)
    np.testing.assert_allclose(rec, expected, rtol=1e-10)
    np.testing.assert_allclose(shares @ rec[3:], rec[:3], rtol=1e-10)  # coherent
    lam2, _ = shrinkage_lambda(errors)
    assert lam2 == pytest.approx(lam_direct, rel=1e-12)
    bu, bu_var, _ = reconcile(base, var, shares, "bottom_up")
    np.testing.assert_allclose(bu[3:], base[3:])
    np.testing.assert_allclose(bu[:3], shares @ base[3:])
    np.testing.assert_allclose(bu_var[:3], shares**2 @ var[3:])
    ols, _, _ = reconcile(base, var, shares, "ols")
    s = np.vstack([shares, np.eye(5)])
    np.testing.assert_allclose(ols, s @ np.linalg.lstsq(s, base, rcond=None)[0], rtol=1e-10)


def test_hierarchy_monitoring_is_coherent_and_drills_down() -> None:
    data = store_survey(store_frame(9, drop=1.5))
    res = TrendMonitor(series=["SAT"], forecast="auto", reconcile="mint_shrink").fit(
        data, hierarchy=["region", "store"]
    )
    t = res.table
    segs = list(res.segments.index)
    assert segs[:3] == ["all", "N", "S"] and "S/S4" in segs
    # the region's score is the weight-share mean of its stores' (same respondents)
    for q in ("2023Q1", "2025Q4"):
        stores = t.xs(q, level="period").loc[["S/S4", "S/S5", "S/S6"]]
        w = stores["weight_sum"] / stores["weight_sum"].sum()
        assert float((w * stores["estimate"]).sum()) == pytest.approx(
            float(t.loc[("S", "SAT", q), "estimate"]), rel=1e-12
        )
    fut = res.forecasts.xs("2026Q1", level="period")
    rec = fut["reconciled"]
    stores = [s for s in segs if s.startswith("S/")]
    wl = t.xs("2025Q4", level="period").loc[stores, "weight_sum"]
    w = (wl / wl.sum()).to_numpy()
    assert float(rec.loc["S"].iloc[0]) == pytest.approx(
        float(np.dot(w, rec.loc[stores].to_numpy())), rel=1e-9
    )
    assert 0.0 <= res.settings["shrinkage_lambda"] <= 1.0
    drill = res.drill_down("S", "SAT", "2025Q3")
    assert drill.index[0] == "S/S4"  # the store that drives the region's drop
    hist = res.alert_history("S")
    assert set(hist["segment"]) <= {"S", "S/S4", "S/S5", "S/S6"}


# -- tiers, thresholds, routing --------------------------------------------------------


def test_tiers_thresholds_and_routes() -> None:
    data = store_survey(store_frame(1, drop=1.5))
    tiers = (
        AlertTier(name="关注"),
        AlertTier(name="预警", min_rules=2),
        AlertTier(name="严重", min_rules=2, min_magnitude=10.0, kinds=("drop",)),
    )
    routes = (
        Route(owner="南区经理", action="一周内到店", segments=("S4",), tiers=("严重",)),
        Route(owner="总部"),
    )
    res = TrendMonitor(
        series=["SAT"],
        forecast="local_linear",
        thresholds=(Threshold(series="SAT", below=62.0),),
        tiers=tiers,
        routes=routes,
    ).fit(data, by="store")
    a = res.alerts
    assert list(a.columns[:8]) == [
        "segment",
        "series",
        "period",
        "kind",
        "rule",
        "tier",
        "owner",
        "action",
    ]
    top = a.iloc[0]
    assert top["tier"] == "严重" and top["segment"] == "S4" and top["owner"] == "南区经理"
    order = a["tier"].map({"严重": 0, "预警": 1, "关注": 2})
    assert order.is_monotonic_increasing
    thr = a[a["rule"] == "threshold"]
    est = res.table["estimate"]
    expected = {(s, p) for (s, _, p), v in est.items() if v < 62.0}
    assert set(zip(thr["segment"], thr["period"], strict=True)) == expected
    assert (a.loc[a["tier"] != "严重", "owner"] == "总部").all()
    n_rules = a.groupby(["segment", "period"])["rule"].nunique()
    got = a.set_index(["segment", "period"])["n_rules"]
    assert (got == n_rules.reindex(got.index)).all()


def test_tier_rule_naming_an_unknown_indicator_is_refused() -> None:
    data = store_survey(store_frame(1, stores=2))
    with pytest.raises(SpecificationError, match=r"tier 'hot' names indicator 'NPS'"):
        TrendMonitor(series=["SAT"], tiers=(AlertTier(name="hot", series=("NPS",)),)).fit(data)
    with pytest.raises(SpecificationError, match=r"threshold .*'complaints'"):
        TrendMonitor(series=["SAT"], thresholds=(Threshold(series="complaints", above=1),)).fit(
            data
        )
    with pytest.raises(SpecificationError, match=r"rule 'gut' is unknown"):
        AlertTier(name="x", rules=("gut",))
    with pytest.raises(SpecificationError, match=r"give below=..., above="):
        Threshold(series="SAT")
    with pytest.raises(SpecificationError, match=r"reconcile='bottom_up' needs fit"):
        TrendMonitor(series=["SAT"], forecast="drift", reconcile="bottom_up").fit(data)


# -- contract: by in fit, deprecation, period notes, zero variance ---------------------


def test_by_in_the_constructor_is_deprecated_but_works() -> None:
    data = store_survey(store_frame(1, stores=2, n=40))
    with pytest.warns(DeprecationWarning, match=r"fit\(data, by='store'\)"):
        old = TrendMonitor(series=["SAT"], by="store")
    new = TrendMonitor(series=["SAT"]).fit(data, by="store")
    pd.testing.assert_frame_equal(old.fit(data).table, new.table)
    with pytest.raises(SpecificationError, match="disagree"):
        old.fit(data, by="region")


def test_cross_classified_by() -> None:
    data = store_survey(store_frame(1, stores=4, n=40))
    res = TrendMonitor(series=["SAT"]).fit(data, by=["region", "store"])
    assert "N × S1" in set(res.table.index.get_level_values("segment"))


def test_respondents_without_a_period_are_counted_in_a_note() -> None:
    frame = store_frame(1, stores=2, n=40)
    frame.loc[frame.index[:7], "quarter"] = None
    with pytest.warns(DataQualityWarning, match=r"7 respondents have no 'quarter' label"):
        res = TrendMonitor(series=["SAT"]).fit(store_survey(frame))
    assert any("7 respondents" in n for n in res.notes)


def test_zero_within_period_variance_gives_an_undefined_statistic() -> None:
    frame = store_frame(1, stores=2, n=40)
    for q in ("2023Q1", "2023Q3"):
        frame.loc[(frame["store"] == "S1") & (frame["quarter"] == q), "SAT"] = 8.0
    with pytest.warns(DataQualityWarning, match=r"no within-period variation"):
        res = TrendMonitor(series=["SAT"], chart="shewhart").fit(store_survey(frame), by="store")
    row = res.table.loc[("S1", "SAT", "2023Q3")]
    assert row["std_error"] == 0.0 and math.isnan(row["z"]) and row["signal"] == ""
    assert np.isfinite(res.alerts["statistic"]).all()
    assert res.alerts["statistic"].abs().max() < 100


def test_no_global_warning_filter_on_the_fit_path() -> None:
    data = store_survey(store_frame(1, stores=2, n=40))
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        before = list(warnings.filters)
        TrendMonitor(series=["SAT"], forecast="auto").fit(data, by="store")
        assert warnings.filters == before


# -- KPI charts -------------------------------------------------------------------------


def test_p_chart_limits_equal_montgomery() -> None:
    rng = np.random.default_rng(10)
    n = rng.integers(800, 1200, 12)
    d = rng.binomial(n, 0.02)
    df = pd.DataFrame({"m": [f"2025-{i:02d}" for i in range(1, 13)], "d": d, "n": n})
    res = KPIMonitor(kind="rate", name="complaints", baseline=6).fit(
        df, period="m", events="d", trials="n"
    )
    pbar = d[:6].sum() / n[:6].sum()
    t = res.table.xs(("all", "complaints"))
    ucl = pbar + 3 * np.sqrt(pbar * (1 - pbar) / n)
    lcl = np.maximum(pbar - 3 * np.sqrt(pbar * (1 - pbar) / n), 0)
    np.testing.assert_allclose(t["upper_control"].iloc[6:], ucl[6:], rtol=1e-12)
    np.testing.assert_allclose(t["lower_control"].iloc[6:], lcl[6:], rtol=1e-12)
    np.testing.assert_allclose(t["estimate"], d / n, rtol=1e-12)
    flagged = set(res.alerts.loc[res.alerts["rule"] == "p_chart", "period"])
    expected = {df["m"][i] for i in range(6, 12) if d[i] / n[i] > ucl[i] or d[i] / n[i] < lcl[i]}
    assert flagged == expected


def test_u_chart_limits_and_a_jump_alert() -> None:
    c = np.array([8, 11, 9, 10, 12, 9, 30])
    hours = np.array([1000.0, 1200.0, 950.0, 1100.0, 1000.0, 1050.0, 1000.0])
    df = pd.DataFrame({"w": range(1, 8), "c": c, "h": hours, "store": "A"})
    res = KPIMonitor(kind="rate", name="complaints", baseline=6).fit(
        df, period="w", events="c", exposure="h", by="store"
    )
    ubar = c[:6].sum() / hours[:6].sum()
    t = res.table.xs(("A", "complaints"))
    np.testing.assert_allclose(
        t["upper_control"].iloc[6], ubar + 3 * np.sqrt(ubar / hours[6]), rtol=1e-12
    )
    a = res.alerts
    assert a["rule"].tolist() == ["u_chart"] and a["period"].tolist() == ["7"]


def test_duration_chart_on_the_log_scale() -> None:
    rng = np.random.default_rng(11)
    parts = []
    for t in range(10):
        scale = 1.0 if t < 9 else 1.8  # response times up 80 % in the last week
        parts.append(pd.DataFrame({"week": t + 1, "hours": scale * rng.lognormal(1.0, 0.6, 60)}))
    df = pd.concat(parts, ignore_index=True)
    res = KPIMonitor(kind="duration", name="response_hours", baseline=6).fit(
        df, period="week", value="hours"
    )
    t = res.table.xs(("all", "response_hours"))
    logs = np.log(df["hours"])
    g = logs.groupby(df["week"])
    np.testing.assert_allclose(t["estimate"], np.exp(g.mean()).to_numpy(), rtol=1e-12)
    base = df["week"] <= 6
    sp = math.sqrt(
        sum(((logs[df["week"] == w] - g.mean()[w]) ** 2).sum() for w in range(1, 7))
        / (base.sum() - 6)
    )
    centre = logs[base].mean()
    np.testing.assert_allclose(
        t["upper_control"].iloc[9], math.exp(centre + 3 * sp / math.sqrt(60)), rtol=1e-12
    )
    assert "10" in set(res.alerts["period"])


def test_kpi_bad_inputs() -> None:
    df = pd.DataFrame({"p": [1, 2, 3], "d": [1, -2, 3], "n": [10, 10, 10], "e": [1.0, 0.0, 2.0]})
    with pytest.raises(DataValidationError, match=r"'d' \(events\) has 1 negative counts"):
        KPIMonitor(kind="rate", name="c", baseline=1).fit(df, period="p", events="d", trials="n")
    df2 = df.assign(d=[1.5, 2, 3])
    with pytest.raises(DataValidationError, match=r"non-integer counts"):
        KPIMonitor(kind="rate", name="c", baseline=1).fit(df2, period="p", events="d", trials="n")
    with pytest.raises(DataValidationError, match=r"exposures of zero or less"):
        KPIMonitor(kind="rate", name="c", baseline=1).fit(
            df.assign(d=[1, 2, 3]), period="p", events="d", exposure="e"
        )
    with pytest.raises(DataValidationError, match=r"durations of zero or less"):
        KPIMonitor(kind="duration", name="t", baseline=1).fit(df, period="p", value="e")
    with pytest.raises(DataValidationError, match=r"more events than trials"):
        KPIMonitor(kind="rate", name="c", baseline=1).fit(
            df.assign(d=[1, 20, 3]), period="p", events="d", trials="n"
        )
    with pytest.raises(DataValidationError, match=r"needs at least 4 periods"):
        KPIMonitor(kind="value", name="v", baseline=3).fit(df, period="p", value="n")
    with pytest.raises(SpecificationError, match=r"names indicator 'other'"):
        KPIMonitor(
            kind="value", name="v", baseline=1, thresholds=(Threshold(series="other", above=1),)
        ).fit(df, period="p", value="n")


def test_kpi_threshold_and_value_chart_round_trip() -> None:
    df = pd.DataFrame({"q": range(1, 9), "v": [80, 81, 79, 80, 82, 78, 70, 81.0]})
    res = KPIMonitor(
        kind="value",
        name="nps",
        baseline=4,
        thresholds=(Threshold(series="nps", below=75),),
        forecast="drift",
    ).fit(df, period="q", value="v")
    rules = set(res.alerts.loc[res.alerts["period"] == "7", "rule"])
    assert rules == {"shewhart", "threshold", "forecast"}
    assert res.alerts.iloc[0]["tier"] == "critical"
    assert result_roundtrip(res)
    assert "KPI monitoring" in str(res.summary())


# -- back-testing -----------------------------------------------------------------------


def test_backtest_detection_and_false_alarms() -> None:
    data = store_survey(store_frame(12, trend=0.0, drop=1.5, drop_at=9))
    res = TrendMonitor(series=["SAT"], forecast="local_level", chart="shewhart").fit(
        data, by="store"
    )
    changes = pd.DataFrame({"segment": ["S4"], "series": ["SAT"], "start": ["2025Q2"]})
    bt = backtest(res, changes)
    det = bt.detections.set_index("rule")
    assert det.loc["forecast", "detected"] and det.loc["forecast", "delay"] == 0.0
    assert bt.rates.loc["forecast", "false_alarm_rate"] < 0.2
    assert bt.coverage.loc["(all)", "forecasts"] > 20
    prop = propose_threshold(res, 0.05, changes=changes)
    assert 0 < prop["forecast_level"] < 1
    assert csi.result_from_json(bt.to_json()) == bt
    with pytest.raises(DataValidationError, match=r"'2030Q1' is not a period"):
        backtest(res, changes.assign(start="2030Q1"))


def test_plots_with_the_forecast_band(tmp_path: object) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = store_survey(store_frame(1, drop=1.5))
    res = TrendMonitor(series=["SAT"], forecast="local_linear", horizon=2).fit(data, by="store")
    ax = res.plot("forecast", segment="S4", language="zh")
    assert len(ax.collections) >= 2  # the band and the alert marks
    fig = res.plot(segment="S4")
    assert len(fig.axes) == 2
    plt.close("all")


def test_a_missing_period_inside_a_series_is_noted_and_skipped() -> None:
    frame = store_frame(13, stores=2, n=60)
    frame = frame[~((frame["store"] == "S1") & (frame["quarter"] == "2024Q2"))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        res = TrendMonitor(series=["SAT"], forecast="local_level").fit(
            store_survey(frame), by="store"
        )
    assert any("missing inside a series" in n for n in res.notes)
    f = res.forecasts.xs(("S1", "SAT"))
    assert math.isnan(f.loc["2024Q2", "actual"]) and not f.loc["2024Q2", "outside"]
    # the next period is still forecast, from the periods that were observed
    assert f.loc["2024Q3", "model"] == "local_level"
    assert np.isfinite(f.loc["2024Q3", "forecast"])
