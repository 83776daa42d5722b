"""PLSpredict: out-of-sample predictive power of a PLS path model (Shmueli et al. 2016)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from csimodels.errors import InvalidParameterError
from csimodels.results import Frame, MissingDataReport, Result
from csimodels.sem._pls_predict import predict_pls

if TYPE_CHECKING:
    from csimodels.data.survey import SurveyData
    from csimodels.sem.model import PathModelBase
    from csimodels.sem.spec import ModelSpec

__all__ = ["PLSPredictResult", "predict_model"]


class PLSPredictResult(Result):
    """k-fold PLSpredict of every indicator of the endogenous constructs.

    Attributes
    ----------
    table : DataFrame, index indicator
        ``construct``; out-of-sample ``pls_rmse``, ``pls_mae`` and the linear-model
        benchmark's ``lm_rmse``, ``lm_mae`` (each indicator regressed on all indicators
        of the exogenous constructs); ``rmse_difference`` (PLS − LM; negative favours
        PLS); in-sample ``pls_rmse_in_sample`` and ``lm_rmse_in_sample``.
    predictive_power : str
        Shmueli et al. (2019): "high" when PLS beats the benchmark's RMSE on every
        indicator, "medium" on a majority, "low" on a minority, "none" on none.
    missing : MissingDataReport

    Examples
    --------
    >>> import csimodels as csi
    >>> data = csi.datasets.load_example("acsi_demo")
    >>> pred = csi.ACSI(indicators=data.constructs).predict(data, n_folds=5, random_state=1)
    >>> pred.predictive_power in {"high", "medium", "low", "none"}
    True
    """

    table: Frame
    predictive_power: str
    missing: MissingDataReport

    _title: ClassVar[str] = "PLSpredict"

    def _summary_parts(self) -> tuple[list[tuple[str, object]], dict[str, Any]]:
        s = self.settings
        header: list[tuple[str, object]] = [
            ("Model", s.get("model")),
            ("Folds", s.get("n_folds")),
            ("Technique", s.get("technique")),
            ("Seed", s.get("random_state")),
            ("Predictive power", self.predictive_power),
        ]
        return header, {"Out-of-sample prediction errors": self.table}


def predict_model(
    model: PathModelBase,
    spec: ModelSpec,
    data: SurveyData,
    *,
    n_folds: int,
    technique: str,
    random_state: int | None,
) -> PLSPredictResult:
    """Run PLSpredict for ``model`` on ``data`` (see ``PathModelBase.predict``)."""
    from csimodels.sem import _design as design

    if technique not in ("DA", "EA"):
        raise InvalidParameterError(
            f"technique={technique!r} is not a PLSpredict technique; choose 'DA' (direct "
            "antecedents) or 'EA' (earliest antecedents)"
        )
    matrix = data.item_matrix(list(spec.indicators), missing=model.missing)
    design.check_estimable(spec, matrix, type(model).__name__)
    n = matrix.values.shape[0]
    if not isinstance(n_folds, (int, np.integer)) or not 2 <= n_folds <= n:
        raise InvalidParameterError(f"n_folds must be an integer in [2, {n}], got {n_folds!r}")
    blocks = design.blocks(spec)
    modes = ["A" if c.mode == "reflective" else "B" for c in spec.constructs]
    pred = predict_pls(
        matrix.values,
        blocks,
        modes,
        design.structure(spec),
        n_folds=int(n_folds),
        technique=technique,
        random_state=random_state,
        scheme=model.scheme,
        case_weights=matrix.weights,
        tol=model.tol,
        max_iter=model.max_iter,
        consistent=model.consistent,
    )
    items = list(spec.indicators)
    owner = {i: c.name for c in spec.constructs for i in c.indicators}
    names = [items[j] for j in pred.indicators]
    table = pd.DataFrame(
        {
            "construct": [owner[i] for i in names],
            "pls_rmse": pred.pls_rmse,
            "pls_mae": pred.pls_mae,
            "lm_rmse": pred.lm_rmse,
            "lm_mae": pred.lm_mae,
            "rmse_difference": pred.pls_rmse - pred.lm_rmse,
            "pls_rmse_in_sample": pred.pls_rmse_in_sample,
            "lm_rmse_in_sample": pred.lm_rmse_in_sample,
        },
        index=pd.Index(names, name="indicator"),
    )
    wins = int((table["rmse_difference"] < 0).sum())
    total = len(table)
    power = "high" if wins == total else "medium" if wins > total / 2 else "low" if wins else "none"
    return PLSPredictResult(
        table=table,
        predictive_power=power,
        missing=matrix.report,
        settings={
            "model": type(model).__name__,
            "n_folds": int(n_folds),
            "technique": technique,
            "random_state": random_state,
            "benchmark": "linear model on the exogenous constructs' indicators",
        },
    )
