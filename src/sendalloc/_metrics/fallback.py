"""The LA's second stage: unplaced children offered free places on their list.

Public names are re-exported by :mod:`sendalloc.metrics`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from sendalloc._metrics.common import InstanceLike
from sendalloc.mechanisms.first_available import serial_dictatorship_kernel
from sendalloc.problem import Allocation

__all__ = ["fallback_assignment", "la_fallback"]


# --------------------------------------------------------------------------- fallback
def la_fallback(
    instance: InstanceLike, allocation: Allocation | NDArray[Any]
) -> NDArray[np.int32]:
    """Offer unplaced children any free place on their tailored list.

    The local authority's second stage: after the mechanism, children still
    without a place are taken in the LA's processing order (``problem.order``),
    and each is given the first setting on their tailored list, in the list's
    own (LA) order, that still has a free place.

    Parameters
    ----------
    instance : Instance
        Supplies ``problem`` (capacity, order) and ``lists``, shape (N, K).
    allocation : Allocation or ndarray of int, shape (N,)
        The mechanism's assignment (-1 = unplaced). Not modified.

    Returns
    -------
    ndarray of int32, shape (N,)
        The final assignment: the mechanism's placements unchanged, plus the
        fallback placements.

    Notes
    -----
    Serial dictatorship over the remaining places with the tailored lists as
    preferences, restricted to the unplaced children. It never moves a child the
    mechanism placed. O(N K). The stage runs whatever the scenario's
    ``fallback`` switch says; :func:`evaluate` consults the switch.

    Examples
    --------
    >>> import numpy as np
    >>> import sendalloc as sa
    >>> from types import SimpleNamespace
    >>> p = sa.Problem.from_lists([1, 1], [[0], [0]])  # both parents rank only 0
    >>> inst = SimpleNamespace(problem=p, lists=np.array([[0, 1], [0, 1]]))
    >>> a = sa.allocate(p, "first_available")
    >>> a.assignment, la_fallback(inst, a)
    (array([ 0, -1], dtype=int32), array([0, 1], dtype=int32))
    """
    problem = instance.problem
    assign = np.asarray(
        allocation.assignment if isinstance(allocation, Allocation) else allocation,
        dtype=np.int32,
    )
    return fallback_assignment(problem.capacity, problem.order, instance.lists, assign)


def fallback_assignment(
    capacity: NDArray[Any],
    order: NDArray[Any],
    lists: NDArray[Any],
    assign: NDArray[Any],
) -> NDArray[np.int32]:
    """The kernel tier of :func:`la_fallback`: plain arrays in, final assignment out.

    Parameters
    ----------
    capacity : ndarray of int, shape (M,)
    order : ndarray of int, shape (N,)
        The LA's processing order.
    lists : ndarray of int, shape (N, K)
        Tailored lists, -1 padded.
    assign : ndarray of int, shape (N,)
        The mechanism's assignment (-1 = unplaced).

    Returns
    -------
    ndarray of int32, shape (N,)
    """
    assign = np.asarray(assign, dtype=np.int32)
    unplaced = assign < 0
    if not unplaced.any():
        return assign.copy()
    cap = np.asarray(capacity)
    used = np.bincount(assign[~unplaced], minlength=cap.shape[0])
    free = np.maximum(cap.astype(np.int64) - used, 0).astype(np.int32)
    lst = np.asarray(lists, dtype=np.int32)
    masked = np.ascontiguousarray(np.where(unplaced[:, None], lst, -1), dtype=np.int32)
    # Read-only, as a Problem's arrays are: numba compiles one version per
    # writeable flag, and each costs compile time on a cold start.
    free.flags.writeable = masked.flags.writeable = False
    extra = serial_dictatorship_kernel(free, masked, np.asarray(order, dtype=np.int32))
    return np.where(unplaced, extra, assign).astype(np.int32)
