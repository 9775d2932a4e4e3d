"""Allocation rules, each a pure function ``f(problem, *, rng=None) -> Allocation``.

Every rule lives in its own module named after it and is registered in
:data:`MECHANISMS`; :func:`allocate` reaches any of them by name, or runs a
user's own callable with the same signature.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from sendalloc.mechanisms.first_available import first_available
from sendalloc.mechanisms.random_serial_dictatorship import random_serial_dictatorship
from sendalloc.problem import Allocation, Problem

__all__ = [
    "MECHANISMS",
    "Mechanism",
    "allocate",
    "first_available",
    "random_serial_dictatorship",
]

Mechanism = Callable[..., Allocation]

#: Every built-in mechanism by name (read-only).
MECHANISMS: Mapping[str, Mechanism] = MappingProxyType(
    {
        "first_available": first_available,
        "random_serial_dictatorship": random_serial_dictatorship,
    }
)


def allocate(problem: Problem, mechanism: str | Mechanism, *, rng: Any = None) -> Allocation:
    """Run an allocation rule on a problem.

    Parameters
    ----------
    problem : Problem
    mechanism : str or callable
        A name from :data:`MECHANISMS`, or a callable
        ``f(problem, *, rng=None) -> Allocation``.
    rng : numpy.random.Generator, int or None
        Passed to the mechanism; only randomised rules use it.

    Returns
    -------
    Allocation

    Raises
    ------
    ValueError
        If ``mechanism`` is an unknown name; the message lists the valid names.
    TypeError
        If ``mechanism`` is neither a name nor callable, or the callable does not
        return an Allocation.

    Examples
    --------
    >>> import sendalloc as sa
    >>> p = sa.Problem.from_lists([1], [[0], [0]], order=[1, 0])
    >>> sa.allocate(p, "first_available").assignment
    array([-1,  0], dtype=int32)
    >>> sa.allocate(p, "first_come")
    Traceback (most recent call last):
    ...
    ValueError: unknown mechanism 'first_come'; valid names: ...
    """
    if not isinstance(problem, Problem):
        raise TypeError(f"problem: expected a Problem, got {type(problem).__name__}")
    if isinstance(mechanism, str):
        try:
            fn = MECHANISMS[mechanism]
        except KeyError:
            raise ValueError(
                f"unknown mechanism {mechanism!r}; valid names: "
                + ", ".join(sorted(MECHANISMS))
            ) from None
    elif callable(mechanism):
        fn = mechanism
    else:
        raise TypeError(
            f"mechanism: expected a name or a callable, got {type(mechanism).__name__}"
        )
    result = fn(problem, rng=rng)
    if not isinstance(result, Allocation):
        raise TypeError(
            f"mechanism {getattr(fn, '__name__', fn)!r} returned "
            f"{type(result).__name__}, expected an Allocation "
            "(use Allocation.from_assignment)"
        )
    return result
