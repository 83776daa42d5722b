"""Exceptions and warnings raised by csimodels.

Every error a caller can trigger derives from :class:`CSIModelsError`; the ones caused
by the caller's input also derive from :class:`ValueError`, so generic handlers still
catch them. Numerical trouble that does not make a number wrong is reported with one
of the warning classes, which the result also records as a note.

Examples
--------
>>> import csimodels as csi
>>> issubclass(csi.errors.DataValidationError, ValueError)
True
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = [
    "CSIModelsError",
    "CSIModelsWarning",
    "ConsistencyWarning",
    "ConvergenceWarning",
    "DataQualityWarning",
    "DataValidationError",
    "EstimationError",
    "FontWarning",
    "InvalidParameterError",
    "OptionalDependencyError",
    "ResamplingWarning",
    "ResultFormatError",
    "SpecificationError",
    "format_offenders",
]


class CSIModelsError(Exception):
    """Base class of every exception raised by csimodels.

    Examples
    --------
    >>> from csimodels.errors import CSIModelsError, EstimationError
    >>> issubclass(EstimationError, CSIModelsError)
    True
    """


class DataValidationError(CSIModelsError, ValueError):
    """The data passed in are not what the model needs.

    The message names the column, row or cell at fault, what was found and what
    was expected.

    Examples
    --------
    >>> import pandas as pd, csimodels as csi
    >>> try:
    ...     csi.SurveyData.from_frame(pd.DataFrame({"Q1": [1, 12]}), scale=(1, 10))
    ... except csi.errors.DataValidationError as err:
    ...     print(str(err).split(";")[0])
    column 'Q1' has 1 value outside the scale [1, 10] (row 1: 12)
    """


class SpecificationError(CSIModelsError, ValueError):
    """A model specification is inconsistent (unknown items, cycles, duplicates...).

    Examples
    --------
    >>> from csimodels.errors import SpecificationError
    >>> issubclass(SpecificationError, ValueError)
    True
    """


class InvalidParameterError(SpecificationError):
    """A model setting has an invalid value (unknown option, out of range, wrong type).

    A kind of :class:`SpecificationError` (the model is mis-specified by its settings).

    The message names the parameter, the model, what was expected and the value given.

    Examples
    --------
    >>> import csimodels as csi
    >>> try:
    ...     csi.ACSI(indicators={}, scheme="fastest")
    ... except csi.errors.InvalidParameterError as err:
    ...     print(err)
    parameter 'scheme' of ACSI must be 'path', 'centroid' or 'factorial', got 'fastest'
    """


class EstimationError(CSIModelsError):
    """Estimation failed (singular matrices, no solution) and no number can be given.

    Examples
    --------
    >>> from csimodels.errors import EstimationError
    >>> str(EstimationError("singular"))
    'singular'
    """


class ResultFormatError(CSIModelsError, ValueError):
    """A serialised result (JSON text or dict) is malformed or was tampered with.

    Raised by :func:`csimodels.results.result_from_json` and ``Result.from_dict`` for
    invalid JSON, a payload that is too large or too deeply nested, an unknown result
    type, a missing, extra or mistyped field, a table that cannot be decoded, or a
    result whose own invariants do not hold. The message names the field.

    Examples
    --------
    >>> import csimodels as csi
    >>> try:
    ...     csi.result_from_json("null")
    ... except csi.errors.ResultFormatError as err:
    ...     print(err)
    result JSON: the top level must be an object with a 'result_type' field, got null
    """


class OptionalDependencyError(CSIModelsError, ImportError):
    """A feature needs an optional extra that is not installed (the message names it).

    Examples
    --------
    >>> from csimodels.errors import OptionalDependencyError
    >>> issubclass(OptionalDependencyError, ImportError)
    True
    """


class CSIModelsWarning(UserWarning):
    """Base class of every warning issued by csimodels.

    Examples
    --------
    >>> import warnings
    >>> from csimodels.errors import CSIModelsWarning
    >>> warnings.simplefilter("ignore", CSIModelsWarning)
    """


class ConvergenceWarning(CSIModelsWarning):
    """An iterative algorithm stopped before meeting its convergence criterion.

    Examples
    --------
    >>> from csimodels.errors import ConvergenceWarning, CSIModelsWarning
    >>> issubclass(ConvergenceWarning, CSIModelsWarning)
    True
    """


class ConsistencyWarning(CSIModelsWarning):
    """Judgments are inconsistent beyond the accepted threshold (e.g. AHP CR > 0.10).

    Examples
    --------
    >>> from csimodels.errors import ConsistencyWarning, CSIModelsWarning
    >>> issubclass(ConsistencyWarning, CSIModelsWarning)
    True
    """


class DataQualityWarning(CSIModelsWarning):
    """The data allow estimation but something deserves attention (constant items...).

    Examples
    --------
    >>> from csimodels.errors import DataQualityWarning, CSIModelsWarning
    >>> issubclass(DataQualityWarning, CSIModelsWarning)
    True
    """


class FontWarning(CSIModelsWarning):
    """No installed font can draw the chart's text (e.g. Chinese labels without a CJK font).

    Examples
    --------
    >>> from csimodels.errors import FontWarning, CSIModelsWarning
    >>> issubclass(FontWarning, CSIModelsWarning)
    True
    """


class ResamplingWarning(CSIModelsWarning):
    """Too few bootstrap resamples or permutations for the inference asked for.

    Below the count an interval needs (both tails must hold draws) its limits are NaN;
    below 100 the standard errors, intervals and p-values are imprecise.

    Examples
    --------
    >>> from csimodels.errors import ResamplingWarning, CSIModelsWarning
    >>> issubclass(ResamplingWarning, CSIModelsWarning)
    True
    """


def format_offenders(items: Iterable[object], *, limit: int = 5) -> str:
    """Format offending labels for a message: at most ``limit``, then how many more.

    Labels are kept in the order given (callers pass row positions in data order
    or sorted names).

    Examples
    --------
    >>> format_offenders([3, 8, 17, 20, 21, 40, 41])
    '3, 8, 17, 20, 21 and 2 more'
    >>> format_offenders(["SAT1"])
    "'SAT1'"
    """
    seq: Sequence[object] = list(items)
    shown = ", ".join(repr(x) if isinstance(x, str) else str(x) for x in seq[:limit])
    extra = len(seq) - limit
    return f"{shown} and {extra} more" if extra > 0 else shown
