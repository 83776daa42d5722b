"""The inference objects every family takes: :class:`Bootstrap` and :class:`Permutation`.

A model's ``fit`` takes its resampling as one of these objects (a plain int is
shorthand for the number of draws), so the same words mean the same thing in PLS,
CB-SEM, driver analysis and group comparisons. Seeds go through
:func:`resolve_random_state`: a seed left as None is drawn, used and recorded, so
every result can be reproduced from its own settings.

Examples
--------
>>> from csimodels.inference import Bootstrap, as_bootstrap
>>> as_bootstrap(500, owner="ECSI.fit").n
500
>>> Bootstrap(n=2000, level=0.9, random_state=1).level
0.9
"""

from __future__ import annotations

import math
import numbers
import re
from typing import Any, Literal

import numpy as np
from pydantic import Field, field_validator

from csimodels._settings import Settings
from csimodels.errors import InvalidParameterError, ResamplingWarning

__all__ = [
    "MAX_RESAMPLES",
    "MIN_MEMORY_BUDGET",
    "SMALL_RESAMPLES",
    "Bootstrap",
    "Permutation",
    "as_bootstrap",
    "as_permutation",
    "check_resample_count",
    "memory_budget_of",
    "min_resamples_for_interval",
    "parse_memory_budget",
    "resample_count_condition",
    "resolve_random_state",
    "validate_random_state",
]

#: Largest number of resamples or permutations accepted (memory is streamed, but a
#: typo such as ``10**9`` should fail at once, not after hours).
MAX_RESAMPLES = 200_000

_SEED_BOUND = 2**63

#: Below this many resamples or permutations a warning says the inference is imprecise.
SMALL_RESAMPLES = 100

#: Smallest memory budget accepted, in bytes (1 MiB).
MIN_MEMORY_BUDGET = 1 << 20

_UNITS = {
    "": 1, "b": 1,
    "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
    "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40,
}  # fmt: skip
_BUDGET = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([kmgt]i?b|b)?\s*$", re.IGNORECASE)


def parse_memory_budget(
    value: object, *, owner: str = "fit", name: str = "memory_budget"
) -> int | None:
    """A memory budget in bytes: a whole number, or a size such as ``"512MB"`` or ``"2GiB"``.

    Decimal units (``KB``, ``MB``, ``GB``, ``TB``: powers of 1000) and binary ones
    (``KiB``, ``MiB``, ``GiB``, ``TiB``: powers of 1024) are understood, in any case;
    None stays None (the engine's default, about 1 GiB).

    Raises
    ------
    InvalidParameterError
        Not a number of bytes or a size, or below :data:`MIN_MEMORY_BUDGET` (1 MiB).

    Examples
    --------
    >>> parse_memory_budget("512MB"), parse_memory_budget("1 GiB"), parse_memory_budget(2**21)
    (512000000, 1073741824, 2097152)
    >>> parse_memory_budget("lots")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    csimodels.errors.InvalidParameterError: parameter 'memory_budget' of fit must be ...
    """
    if value is None:
        return None
    size: float | None = None
    if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)):
        size = float(int(value))
    elif isinstance(value, str):
        match = _BUDGET.match(value)
        if match is not None:
            size = float(match.group(1)) * _UNITS[(match.group(2) or "").lower()]
    if size is None or not math.isfinite(size) or size < MIN_MEMORY_BUDGET:
        raise InvalidParameterError(
            f"parameter {name!r} of {owner} must be a whole number of bytes of at least "
            f"{MIN_MEMORY_BUDGET:,} (1 MiB) or a size such as '512MB' or '2GiB', got {value!r}"
        )
    return int(size)


def memory_budget_of(request: object, memory_budget: object, *, owner: str) -> int | None:
    """The memory budget of a fit: the Bootstrap's or the ``fit`` argument's (parsed).

    Giving both with different values is a contradiction and raises; giving one (or
    the same value twice) uses it; None leaves the engine's default.

    Examples
    --------
    >>> boot = Bootstrap(n=10, memory_budget="64MiB")
    >>> memory_budget_of(boot, None, owner="demo")
    67108864
    >>> memory_budget_of(boot, "32MiB", owner="demo")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    csimodels.errors.InvalidParameterError: demo: memory_budget is given twice, as ...
    """
    given = parse_memory_budget(memory_budget, owner=owner)
    carried = request.memory_budget if isinstance(request, Bootstrap) else None
    if carried is not None and given is not None and carried != given:
        raise InvalidParameterError(
            f"{owner}: memory_budget is given twice, as Bootstrap(memory_budget={carried:,}) "
            f"and fit(memory_budget={given:,}); give it once (the Bootstrap's travels with "
            "the rest of the resampling settings)"
        )
    return carried if carried is not None else given


def resolve_random_state(value: object, *, owner: str, name: str = "random_state") -> int:
    """The seed to use and record: ``value`` checked, or one drawn when it is None.

    Parameters
    ----------
    value : int, numpy.random.Generator or None
        A non-negative int is used as it is; a Generator gives one draw (so passing
        the same Generator state gives the same seed); None draws a fresh seed from
        the operating system.
    owner : str
        The caller named in the error message (``"ECSI.fit"``).
    name : str
        The parameter's name in the message.

    Returns
    -------
    int
        A non-negative seed below 2**63, to be recorded as ``settings["random_state"]``;
        passing it back reproduces the numbers.

    Raises
    ------
    InvalidParameterError
        A negative number, a float, a bool, a string or any other object.

    Examples
    --------
    >>> resolve_random_state(7, owner="demo")
    7
    >>> import numpy as np
    >>> a = resolve_random_state(np.random.default_rng(3), owner="demo")
    >>> a == resolve_random_state(np.random.default_rng(3), owner="demo")
    True
    >>> resolve_random_state(-1, owner="demo")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    csimodels.errors.InvalidParameterError: parameter 'random_state' of demo must be ..., got -1
    """
    if value is None:
        return int(np.random.SeedSequence().generate_state(1, np.uint64)[0] % _SEED_BOUND)
    if isinstance(value, np.random.Generator):
        return int(value.integers(0, _SEED_BOUND))
    if (
        isinstance(value, numbers.Integral)
        and not isinstance(value, (bool, np.bool_))
        and 0 <= int(value) < _SEED_BOUND
    ):
        return int(value)
    raise InvalidParameterError(
        f"parameter {name!r} of {owner} must be a non-negative int, a numpy Generator or "
        f"None, got {value!r}"
    )


def validate_random_state(
    value: object, *, owner: str, name: str = "random_state"
) -> int | np.random.Generator | None:
    """Check a seed without using it (for models that take ``random_state`` as a setting).

    Accepts what :func:`resolve_random_state` accepts and returns it unchanged (a
    Generator is not drawn from), so the error appears when the model is built.

    Examples
    --------
    >>> validate_random_state(3, owner="demo")
    3
    >>> validate_random_state("3", owner="demo")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    csimodels.errors.InvalidParameterError: parameter 'random_state' of demo must be ..., got '3'
    """
    if value is None or isinstance(value, np.random.Generator):
        return value
    return resolve_random_state(value, owner=owner, name=name)


class Bootstrap(Settings):
    """Bootstrap resampling: how many draws, which interval, which seed, how parallel.

    Attributes
    ----------
    n : int
        Number of resamples (0 switches the bootstrap off).
    level : float
        Confidence level of the intervals, in (0, 1).
    method : {"percentile", "bca"}
        The interval reported as ``ci_lower``/``ci_upper``.
    random_state : int or None
        Seed; None draws one, which the result records.
    n_jobs : int
        Parallel jobs through joblib (-1 for all cores). Numbers do not depend on it.
    chunk_size : int or None
        Resamples per batch (None: sized by the engine). Numbers do not depend on it.
    memory_budget : int or None
        Bytes the streaming bootstrap's working arrays aim to stay within: an int, or
        a size such as ``"512MB"`` / ``"2GiB"`` (stored as bytes); None: the engine's
        default (about 1 GiB). Numbers do not depend on it. ``fit(memory_budget=...)``
        still works; giving both with different values raises.

    Examples
    --------
    >>> Bootstrap(n=1000, memory_budget="256MiB").memory_budget
    268435456
    >>> Bootstrap(n=1000, method="bca").method
    'bca'
    >>> Bootstrap(n=-5)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    csimodels.errors.InvalidParameterError: parameter 'n' of Bootstrap must be greater ... 0, got -5
    """

    n: int = Field(default=1000, ge=0, le=MAX_RESAMPLES)
    level: float = Field(default=0.95, gt=0.0, lt=1.0)
    method: Literal["percentile", "bca"] = "percentile"
    random_state: int | None = Field(default=None, ge=0)
    n_jobs: int = 1
    chunk_size: int | None = Field(default=None, ge=1)
    memory_budget: int | None = None

    @field_validator("memory_budget", mode="before")
    @classmethod
    def _parse_budget(cls, value: Any) -> int | None:
        return parse_memory_budget(value, owner="Bootstrap")


class Permutation(Settings):
    """Permutation resampling for group comparisons.

    Attributes
    ----------
    n : int
        Number of permutations.
    random_state : int or None
        Seed; None draws one, which the result records.
    n_jobs : int
        Parallel jobs through joblib. Numbers do not depend on it.
    chunk_size : int or None
        Permutations per batch. Numbers do not depend on it.

    Examples
    --------
    >>> Permutation(n=999, random_state=2).n
    999
    """

    n: int = Field(default=1000, ge=1, le=MAX_RESAMPLES)
    random_state: int | None = Field(default=None, ge=0)
    n_jobs: int = 1
    chunk_size: int | None = Field(default=None, ge=1)


def as_bootstrap(value: object, *, owner: str) -> Bootstrap | None:
    """A :class:`Bootstrap` from the shorthand a ``fit`` accepts (None, 0, an int, or one).

    Examples
    --------
    >>> as_bootstrap(None, owner="demo") is None, as_bootstrap(0, owner="demo") is None
    (True, True)
    >>> as_bootstrap(200, owner="demo").n
    200
    >>> as_bootstrap("many", owner="demo")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    csimodels.errors.InvalidParameterError: parameter 'bootstrap' of demo must be ..., got 'many'
    """
    if value is None:
        return None
    if isinstance(value, Bootstrap):
        return value if value.n > 0 else None
    if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)):
        if int(value) == 0:
            return None
        if not 0 < int(value) <= MAX_RESAMPLES:
            raise InvalidParameterError(
                f"parameter 'bootstrap' of {owner} must be between 0 and {MAX_RESAMPLES:,} "
                f"resamples, got {value!r}"
            )
        return Bootstrap(n=int(value))
    raise InvalidParameterError(
        f"parameter 'bootstrap' of {owner} must be None, a number of resamples or a "
        f"csimodels.Bootstrap, got {value!r}"
    )


def as_permutation(value: object, *, owner: str) -> Permutation:
    """A :class:`Permutation` from an int shorthand or a Permutation.

    Examples
    --------
    >>> as_permutation(499, owner="demo").n
    499
    """
    if isinstance(value, Permutation):
        return value
    if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)):
        if not 0 < int(value) <= MAX_RESAMPLES:
            raise InvalidParameterError(
                f"parameter 'permutations' of {owner} must be between 1 and {MAX_RESAMPLES:,}, "
                f"got {value!r}"
            )
        return Permutation(n=int(value))
    raise InvalidParameterError(
        f"parameter 'permutations' of {owner} must be a number of permutations or a "
        f"csimodels.Permutation, got {value!r}"
    )


def min_resamples_for_interval(level: float) -> int:
    """Fewest draws for which a two-sided percentile interval at ``level`` exists.

    Each tail holds ``(1 − level) / 2`` of the draws; with fewer than
    ``2 / (1 − level)`` draws a tail holds no draw at all and the "limit" is just the
    smallest or largest draw.

    Examples
    --------
    >>> min_resamples_for_interval(0.95), min_resamples_for_interval(0.99)
    (40, 200)
    """
    return math.ceil(2.0 / (1.0 - level) - 1e-9)


def check_resample_count(
    n: int,
    level: float | None,
    *,
    owner: str,
    notes: list[str],
    what: str = "bootstrap resamples",
) -> bool:
    """Check that ``n`` draws support the inference asked for; warn and note if not.

    Parameters
    ----------
    n : int
        Resamples (or permutations) that succeeded.
    level : float or None
        Confidence level of the intervals to be formed from them (None when only
        p-values are formed, as in permutation tests).
    owner : str
        The caller named in the message (``"ECSI.fit"``).
    notes : list of str
        The result's notes; the warning is appended.
    what : str
        What the draws are, for the message (``"permutations"``).

    Returns
    -------
    bool
        False when an interval at ``level`` cannot be formed from ``n`` draws (fewer
        than :func:`min_resamples_for_interval`): the caller reports NaN limits.

    Warns
    -----
    ResamplingWarning
        Fewer draws than the interval needs (limits NaN), or fewer than
        :data:`SMALL_RESAMPLES` (imprecise).

    Examples
    --------
    >>> import warnings
    >>> notes: list[str] = []
    >>> with warnings.catch_warnings(record=True):
    ...     ok = check_resample_count(20, 0.95, owner="demo", notes=notes)
    >>> ok, notes[0][:59]
    (False, 'demo: 20 bootstrap resamples are too few for a 95% interval')
    >>> check_resample_count(2000, 0.95, owner="demo", notes=notes)
    True
    """
    from csimodels.results import warn_and_note

    ok, message = resample_count_condition(n, level, owner=owner, what=what)
    if message is not None:
        warn_and_note(notes, message, ResamplingWarning)
    return ok


def resample_count_condition(
    n: int, level: float | None, *, owner: str, what: str = "bootstrap resamples"
) -> tuple[bool, str | None]:
    """The test of :func:`check_resample_count` without the warning: ``(ok, message)``.

    For engines that collect their conditions and warn once at the end.

    Examples
    --------
    >>> resample_count_condition(2000, 0.95, owner="demo")
    (True, None)
    """
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, numbers.Integral) or n < 0:
        raise InvalidParameterError(
            f"the number of {what} of {owner} must be a non-negative int, got {n!r}"
        )
    if level is not None and not (isinstance(level, numbers.Real) and 0 < level < 1):
        raise InvalidParameterError(
            f"parameter 'level' of {owner} must be in (0, 1), e.g. 0.95; got {level!r}"
        )
    n = int(n)
    if level is not None:
        needed = min_resamples_for_interval(float(level))
        if n < needed:
            return False, (
                f"{owner}: {n} {what} are too few for a {level:.0%} interval (each tail "
                f"needs a draw: at least {needed}); the interval limits are NaN; use "
                "1000 or more"
            )
    if n < SMALL_RESAMPLES:
        floor = (
            f"; no p-value can be below 1/{n + 1} = {1 / (n + 1):.3g}"
            if what == "permutations"
            else ""
        )
        return True, (
            f"{owner}: only {n} {what}; standard errors, intervals and p-values are "
            f"imprecise below {SMALL_RESAMPLES}{floor}; use 1000 or more"
        )
    return True, None
