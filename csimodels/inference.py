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

import numbers
from typing import Literal

import numpy as np
from pydantic import Field

from csimodels._settings import Settings
from csimodels.errors import InvalidParameterError

__all__ = [
    "MAX_RESAMPLES",
    "Bootstrap",
    "Permutation",
    "as_bootstrap",
    "as_permutation",
    "resolve_random_state",
]

#: Largest number of resamples or permutations accepted (memory is streamed, but a
#: typo such as ``10**9`` should fail at once, not after hours).
MAX_RESAMPLES = 10_000_000

_SEED_BOUND = 2**63


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

    Examples
    --------
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
                f"parameter 'bootstrap' of {owner} must be between 0 and {MAX_RESAMPLES} "
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
                f"parameter 'permutations' of {owner} must be between 1 and {MAX_RESAMPLES}, "
                f"got {value!r}"
            )
        return Permutation(n=int(value))
    raise InvalidParameterError(
        f"parameter 'permutations' of {owner} must be a number of permutations or a "
        f"csimodels.Permutation, got {value!r}"
    )
