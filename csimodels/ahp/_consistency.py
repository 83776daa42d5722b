"""Random consistency indices (RI tables), CI, CR and the acceptance thresholds."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from csimodels.ahp._priorities import perron
from csimodels.errors import SpecificationError

__all__ = [
    "RI_TABLES",
    "SAATY_SCALE",
    "RandomIndexTable",
    "consistency_threshold",
    "random_index",
    "simulate_random_index",
]

SAATY_SCALE: tuple[float, ...] = tuple([1 / k for k in range(9, 1, -1)] + list(range(1, 10)))
"""The 17 values of Saaty's fundamental scale: 1/9, 1/8, ..., 1/2, 1, 2, ..., 9."""


@dataclass(frozen=True)
class RandomIndexTable:
    """A published table of random consistency indices RI(n).

    Attributes
    ----------
    name : str
        Registry key.
    citation : str
        Where the values come from.
    values : mapping of int to float
        RI by matrix size n.
    formula : callable or None
        RI(n) for sizes beyond the table, when the source gives one.
    formula_text : str
        The formula as text (empty if none).

    Examples
    --------
    >>> RI_TABLES["saaty_1980"].ri(4)
    0.9
    >>> round(RI_TABLES["alonso_lamata_2006"].ri(20), 4)  # (1.7699·20 − 4.3513) / 19
    1.6339
    """

    name: str
    citation: str
    values: Mapping[int, float] = field(default_factory=dict)
    formula: Callable[[int], float] | None = None
    formula_text: str = ""

    @property
    def max_n(self) -> int:
        """Largest size covered by the table itself."""
        return max(self.values)

    def ri(self, n: int) -> float:
        """RI for an ``n × n`` matrix (0 for ``n ≤ 2``)."""
        if n <= 2:
            return 0.0
        if n in self.values:
            return float(self.values[n])
        if self.formula is not None and n > self.max_n:
            return float(self.formula(n))
        raise SpecificationError(
            f"RI table {self.name!r} has no value for n = {n} (it covers n = 1..{self.max_n}); "
            "use ri_table='alonso_lamata_2006' (formula beyond n = 15) or ri_table='simulated'"
        )


def _alonso_lamata(n: int) -> float:
    # lambda_max of random matrices fitted as 2.7699 n - 4.3513  =>  RI = (lambda - n)/(n - 1)
    return (1.7699 * n - 4.3513) / (n - 1)


RI_TABLES: dict[str, RandomIndexTable] = {
    "alonso_lamata_2006": RandomIndexTable(
        name="alonso_lamata_2006",
        citation=(
            "Alonso, J.A. & Lamata, M.T. (2006). Consistency in the analytic hierarchy "
            "process: a new approach. IJUFKS 14(4), 445-459 (100,000 matrices per size)."
        ),
        values={
            1: 0.0,
            2: 0.0,
            3: 0.5245,
            4: 0.8815,
            5: 1.1086,
            6: 1.2479,
            7: 1.3417,
            8: 1.4056,
            9: 1.4499,
            10: 1.4854,
            11: 1.5141,
            12: 1.5365,
            13: 1.5551,
            14: 1.5713,
            15: 1.5838,
        },
        formula=_alonso_lamata,
        formula_text="RI(n) = (1.7699 n - 4.3513) / (n - 1) for n > 15",
    ),
    "donegan_dodd_1991": RandomIndexTable(
        name="donegan_dodd_1991",
        citation=(
            "Donegan, H.A. & Dodd, F.J. (1991). A note on Saaty's random indexes. "
            "Mathematical and Computer Modelling 15(10), 135-137 "
            "(values as transcribed by AHPy 2.1)."
        ),
        values={
            1: 0.0,
            2: 0.0,
            3: 0.4914,
            4: 0.8286,
            5: 1.0591,
            6: 1.1797,
            7: 1.2519,
            8: 1.3171,
            9: 1.3733,
            10: 1.4055,
            11: 1.4213,
            12: 1.4497,
            13: 1.4643,
            14: 1.4822,
            15: 1.4969,
            16: 1.5078,
            17: 1.5153,
            18: 1.5262,
            19: 1.5313,
            20: 1.5371,
        },
    ),
    "saaty_1980": RandomIndexTable(
        name="saaty_1980",
        citation=(
            "Saaty, T.L. (1980). The Analytic Hierarchy Process. McGraw-Hill; the table "
            "for n = 1..15 as commonly reproduced (n = 12 is 1.48 in that table)."
        ),
        values={
            1: 0.0,
            2: 0.0,
            3: 0.58,
            4: 0.90,
            5: 1.12,
            6: 1.24,
            7: 1.32,
            8: 1.41,
            9: 1.45,
            10: 1.49,
            11: 1.51,
            12: 1.48,
            13: 1.56,
            14: 1.57,
            15: 1.59,
        },
    ),
    "saaty_2005": RandomIndexTable(
        name="saaty_2005",
        citation=(
            "Saaty, T.L. (2005). Theory and Applications of the Analytic Network Process. "
            "RWS Publications, p. 31."
        ),
        values={
            1: 0.0,
            2: 0.0,
            3: 0.52,
            4: 0.89,
            5: 1.11,
            6: 1.25,
            7: 1.35,
            8: 1.40,
            9: 1.45,
            10: 1.49,
            11: 1.52,
            12: 1.54,
            13: 1.56,
            14: 1.58,
            15: 1.59,
        },
    ),
    "simulated": RandomIndexTable(
        name="simulated",
        citation=(
            "Simulated here: mean CI of random reciprocal matrices whose upper-triangle "
            "entries are drawn uniformly from the 17 values of Saaty's scale (Saaty's "
            "own procedure), with the seed and number of matrices recorded."
        ),
        values={1: 0.0, 2: 0.0},
    ),
}
"""Random-index tables by name (``saaty_1980`` is the default of :class:`AHP`)."""


@functools.lru_cache(maxsize=256)
def simulate_random_index(n: int, n_matrices: int = 20_000, random_state: int = 0) -> float:
    """RI(n) by simulation: ``(mean λmax − n) / (n − 1)`` over random reciprocal matrices.

    Upper-triangle entries are drawn uniformly from Saaty's 17 scale values; the
    result is cached per ``(n, n_matrices, random_state)``.

    Examples
    --------
    >>> abs(simulate_random_index(5, 20_000, 1) - 1.1086) < 0.01   # Alonso & Lamata (2006)
    True
    """
    if n <= 2:
        return 0.0
    rng = np.random.default_rng(random_state)
    scale = np.asarray(SAATY_SCALE)
    iu = np.triu_indices(n, k=1)
    done = 0
    total = 0.0
    chunk = max(1, min(n_matrices, 2_000_000 // (n * n)))
    while done < n_matrices:
        m = min(chunk, n_matrices - done)
        a = np.ones((m, n, n))
        draws = scale[rng.integers(0, scale.size, size=(m, iu[0].size))]
        a[:, iu[0], iu[1]] = draws
        a[:, iu[1], iu[0]] = 1.0 / draws
        lam, _ = perron(a)
        total += float(lam.sum())
        done += m
    return (total / n_matrices - n) / (n - 1)


def random_index(
    n: int, table: str = "saaty_1980", *, n_matrices: int = 20_000, random_state: int = 0
) -> float:
    """RI(n) from a named table (``"simulated"`` uses ``n_matrices`` and ``random_state``).

    Examples
    --------
    >>> random_index(3), random_index(3, "saaty_2005"), random_index(2, "simulated")
    (0.58, 0.52, 0.0)
    """
    entry = ri_table(table)
    if entry.name == "simulated":
        return simulate_random_index(n, n_matrices, random_state)
    return entry.ri(n)


def ri_table(name: str) -> RandomIndexTable:
    """Look a table up by name; an unknown name lists the valid ones."""
    try:
        return RI_TABLES[name]
    except (KeyError, TypeError):
        raise SpecificationError(
            f"ri_table={name!r} is not a known RI table; choose one of "
            + ", ".join(repr(k) for k in sorted(RI_TABLES))
        ) from None


def consistency_threshold(n: int, threshold: float | str) -> float:
    """CR acceptance threshold: a number, or ``"saaty"``: 0.05 (n = 3), 0.08 (n = 4), 0.10.

    Examples
    --------
    >>> [consistency_threshold(n, "saaty") for n in (3, 4, 7)], consistency_threshold(7, 0.2)
    ([0.05, 0.08, 0.1], 0.2)
    """
    if threshold == "saaty":
        return 0.05 if n <= 3 else (0.08 if n == 4 else 0.10)
    return float(threshold)
