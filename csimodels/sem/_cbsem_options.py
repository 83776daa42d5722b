"""CB-SEM options: the estimators and what each takes (one place for the checks)."""

from __future__ import annotations

from csimodels.errors import InvalidParameterError, format_offenders

__all__ = [
    "CBSEM_ESTIMATORS",
    "MULTIGROUP_ESTIMATORS",
    "ORDINAL_ESTIMATORS",
    "ROBUST_ORDINAL_ESTIMATORS",
    "check_estimator",
]

CBSEM_ESTIMATORS: dict[str, str] = {
    "ML": "maximum likelihood on the covariance matrix (divisor N), listwise deletion",
    "MLR": "maximum likelihood estimates with Huber–White (sandwich) standard errors "
    "and the Yuan–Bentler scaled chi-square (Mplus variant), as lavaan's "
    "estimator='MLR'; listwise deletion, or with missing='fiml' FIML estimates with "
    "robust SEs from the casewise scores (lavaan's missing='ml')",
    "GLS": "generalised least squares, weight S⁻¹ (divisor N − 1), listwise deletion",
    "ULS": "unweighted least squares (divisor N − 1), listwise deletion",
    "WLS": "weighted least squares with the full asymptotic (ADF) weight matrix "
    "(ordinal=True: the inverse asymptotic covariance of thresholds and polychorics)",
    "DWLS": "diagonally weighted least squares (diagonal of the ADF weight matrix; "
    "ordinal=True: of the polychorics' asymptotic covariance), standard errors from the "
    "expected information",
    "WLSMV": "ordinal=True only: DWLS estimates with robust (sandwich) standard errors "
    "and the scaled-and-shifted chi-square (lavaan's default for ordinal items)",
    "ULSMV": "ordinal=True only: ULS estimates (identity weight matrix) with robust "
    "(sandwich) standard errors and the scaled-and-shifted chi-square (lavaan's ULSMV)",
    "FIML": "full-information maximum likelihood on incomplete data (saturated means); "
    "with respondent weights the weighted likelihood with robust SEs and test, as "
    "lavaan's sampling.weights",
}
"""Estimators of :class:`CBSEM` and :func:`fit_cbsem` and what each does."""

#: Estimators that take ordinal items (``ordinal=True``).
ORDINAL_ESTIMATORS = ("DWLS", "ULS", "WLS", "WLSMV", "ULSMV")
#: Ordinal estimators with robust (sandwich) SEs and the scaled-and-shifted test.
ROBUST_ORDINAL_ESTIMATORS = ("WLSMV", "ULSMV")
#: Estimators that fit several groups at once.
MULTIGROUP_ESTIMATORS = ("ML", "MLR", "FIML")


def check_estimator(estimator: str, ordinal: bool = False) -> str:
    key = str(estimator).upper()
    if key not in CBSEM_ESTIMATORS:
        raise InvalidParameterError(
            f"parameter 'estimator' of fit(method='cbsem') must be one of "
            f"{format_offenders(sorted(CBSEM_ESTIMATORS), limit=10)}, got {estimator!r}"
        )
    if not isinstance(ordinal, bool):
        raise InvalidParameterError(
            f"parameter 'ordinal' of fit(method='cbsem') must be True or False, got {ordinal!r}"
        )
    if ordinal and key not in ORDINAL_ESTIMATORS:
        raise InvalidParameterError(
            f"estimator {key!r} does not take ordinal items: with ordinal=True use one of "
            f"{format_offenders(sorted(ORDINAL_ESTIMATORS))} (the model is fitted to "
            "polychoric correlations, which have no likelihood of their own)"
        )
    if key in ROBUST_ORDINAL_ESTIMATORS and not ordinal:
        plain = "'DWLS' / 'WLS'" if key == "WLSMV" else "'ULS'"
        raise InvalidParameterError(
            f"estimator {key!r} is for ordinal items: pass ordinal=True (integer-coded "
            f"answers with at most 10 categories), or use {plain} for continuous items"
        )
    return key
