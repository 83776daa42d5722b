"""Sample moments standing in for a group's rows: CB-SEM fitted from moments alone.

The estimators that need only the (weighted) means and covariance matrix — ML
without respondent weights, GLS and ULS — give the same estimates, standard errors
and fit measures from :class:`SampleMoments` as from the rows they summarise; the
engine takes one wherever it takes a group's answer matrix (``GroupData.x``). This
is how CB-SEM runs out of core (:mod:`csimodels.sem._cbsem_dask`): the moments come
from per-partition sums of a dask DataFrame. Per-respondent outputs (factor scores,
respondent indices) are not available from moments and are left empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

__all__ = ["SampleMoments"]


@dataclass(frozen=True)
class SampleMoments:
    """The sufficient statistics of one group's complete answers.

    Attributes
    ----------
    n : int
        Respondents (rows) summarised.
    mean : ndarray (p,)
        (Weighted) means.
    cov : ndarray (p, p)
        (Weighted) covariance matrix with divisor the total weight (lavaan's ML
        moments; the engine rescales by n / (n − 1) where an estimator asks for it).

    Examples
    --------
    >>> import numpy as np
    >>> m = SampleMoments(n=10, mean=np.zeros(2), cov=np.eye(2))
    >>> m.shape, m.select([1, 0]).mean.shape
    ((10, 2), (2,))
    """

    n: int
    mean: FloatArray
    cov: FloatArray

    @property
    def shape(self) -> tuple[int, int]:
        """``(n, p)``, as the answer matrix it stands for."""
        return (self.n, int(self.mean.size))

    def select(self, order: Sequence[int]) -> SampleMoments:
        """The moments of the columns ``order`` (in that order)."""
        idx = np.asarray(order, dtype=np.intp)
        return SampleMoments(self.n, self.mean[idx], self.cov[np.ix_(idx, idx)])

    def sd(self) -> FloatArray:
        """Standard deviations (divisor the total weight)."""
        return np.asarray(np.sqrt(np.clip(np.diag(self.cov), 0.0, None)), dtype=np.float64)

    def correlation(self) -> FloatArray:
        """The correlation matrix."""
        sd = self.sd()
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(self.cov / np.outer(sd, sd), dtype=np.float64)
