"""The sort of an event log by customer, time and kind, fast for ten million events.

``numpy.lexsort`` over three keys takes several seconds on ten million events; this
sorts once by a composite (time, kind) key and then by customer with a stable
counting sort (customers are dense integer codes), which gives the same order.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["event_order"]

IntArray = NDArray[np.int64]


def _stable_by_code(codes: IntArray, n_codes: int) -> NDArray[np.intp]:
    """Stable order of ``codes`` (0 .. n_codes − 1) by counting sort."""
    try:
        from pandas._libs import algos  # type: ignore[attr-defined]

        order, _ = algos.groupsort_indexer(codes.astype(np.intp, copy=False), n_codes)
        return np.asarray(order, dtype=np.intp)
    except (ImportError, AttributeError, TypeError):  # pragma: no cover - other pandas
        return np.argsort(codes, kind="stable")


def event_order(
    cust: IntArray,
    n_customers: int,
    times: IntArray,
    kinds: NDArray[np.integer[Any]],
) -> tuple[NDArray[np.intp], bool]:
    """Order by customer, time and kind; and whether the input was already in customer
    and time order. Ties (same customer, time and kind) keep no particular order.

    Examples
    --------
    >>> c = np.array([1, 0, 0]); t = np.array([5, 9, 2]); k = np.array([0, 0, 1])
    >>> order, was_sorted = event_order(c, 2, t, k)
    >>> order.tolist(), was_sorted
    ([2, 1, 0], False)
    """
    kind64 = kinds.astype(np.int64)
    n = cust.size
    dc = np.diff(cust)
    dt = np.diff(times)
    by_customer_time = bool(np.all((dc > 0) | ((dc == 0) & (dt >= 0))))
    identity = np.arange(n, dtype=np.intp)
    if by_customer_time and bool(np.all((dc > 0) | (dt > 0) | (np.diff(kind64) >= 0))):
        order = identity
    else:
        low = int(times.min()) if n else 0
        span = int(times.max()) - low if n else 0
        if span < (2**63 - 1) // 8:
            by_time = np.argsort((times - low) * 8 + kind64)
            order = by_time[_stable_by_code(cust[by_time], n_customers)]
        else:  # a span of more than 36 years in nanoseconds: the general sort
            order = np.lexsort((kind64, times, cust)).astype(np.intp)
    return order, by_customer_time
