import numpy as np, pandas as pd, time, warnings
import csimodels as csi
def frame(seed, stores=6, periods=12, n=80, trend=0.15, drop=0.0, drop_store="S4", drop_at=10):
    rng=np.random.default_rng(seed)
    parts=[]
    labels=[f"{2023+i//4}Q{i%4+1}" for i in range(periods)]
    for s in range(stores):
        st=f"S{s+1}"
        for t,p in enumerate(labels):
            mu=6.5+trend*t - (drop if (st==drop_store and t>=drop_at) else 0)
            x=np.clip(np.rint(mu+1.6*rng.standard_normal(n)),1,10)
            parts.append(pd.DataFrame({"SAT":x,"store":st,"region":"N" if s<stores//2 else "S","quarter":p}))
    return pd.concat(parts, ignore_index=True)
df=frame(1, drop=1.5)
data=csi.SurveyData.from_frame(df, items=["SAT"], scale=(1,10), segments=["region","store"], period="quarter")
t=time.time()
res=csi.TrendMonitor(series=["SAT"], forecast="local_linear", horizon=2).fit(data, by="store")
print(time.time()-t)
print(res.alerts[["segment","period","rule","tier","magnitude","severity"]].to_string())
print(res.forecasts.xs("S4").tail(5))
t=time.time()
res=csi.TrendMonitor(series=["SAT"], forecast="auto", reconcile="mint_shrink", horizon=1).fit(data, hierarchy=["region","store"])
print(time.time()-t)
print(res.forecasts.xs("2026Q1", level="period"))
print(res.settings.get("shrinkage_lambda"))
