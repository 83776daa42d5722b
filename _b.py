import numpy as np, time
from csimodels.trends.forecasting import run_forecasts
rng=np.random.default_rng(1)
m,n=10000,12
h=np.full((m,n),4.0)
y=70+np.cumsum(rng.normal(0,1,(m,n)),1)+rng.normal(0,2,(m,n))
for model in ("local_level","drift"):
    t=time.time(); fc=run_forecasts(y,np.sqrt(h),model=model,horizon=1,level=0.95); print(model, time.time()-t)
