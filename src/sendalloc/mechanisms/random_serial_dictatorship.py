"""Random serial dictatorship: first available place in a uniformly random order."""

from __future__ import annotations

import numpy as np

from sendalloc._rng import as_generator
from sendalloc.mechanisms.first_available import serial_dictatorship_kernel
from sendalloc.problem import INDEX, Allocation, Problem

__all__ = ["random_serial_dictatorship"]


def random_serial_dictatorship(
    problem: Problem, *, rng: np.random.Generator | int | None = None
) -> Allocation:
    """Serial dictatorship over a processing order drawn uniformly at random.

    Parameters
    ----------
    problem : Problem
    rng : numpy.random.Generator, int or None
        Source of the random order, normalised by ``numpy.random.default_rng``.

    Returns
    -------
    Allocation

    Notes
    -----
    Strategy-proof and ex-post Pareto efficient; equivalent in distribution to
    the core from random endowments [1]_. Ignores ``problem.order`` and the
    settings' priorities. O(N L) after an O(N) shuffle.

    References
    ----------
    .. [1] Abdulkadiroglu, A. & Sonmez, T. (1998). Random serial dictatorship
       and the core from random endowments in house allocation problems.
       Econometrica 66(3), 689-701.

    Examples
    --------
    >>> import sendalloc as sa
    >>> p = sa.Problem.from_lists([1], [[0], [0]])
    >>> a = sa.allocate(p, "random_serial_dictatorship", rng=1)
    >>> int(a.placed.sum())
    1
    """
    gen = as_generator(rng)
    order = gen.permutation(problem.n_children).astype(INDEX)
    order.flags.writeable = False  # as problem.order: the kernel compiles once
    a = serial_dictatorship_kernel(problem.capacity, problem.preferences, order)
    return Allocation._trusted(problem, a, "random_serial_dictatorship")
