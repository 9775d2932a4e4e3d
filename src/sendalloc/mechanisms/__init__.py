"""Allocation rules, each a pure function ``f(problem, *, rng=None) -> Allocation``.

Every rule lives in its own module named after it and is registered in
:data:`MECHANISMS`; :func:`allocate` reaches any of them by name, or runs a
user's own callable with the same signature.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from sendalloc._rng import check_rng
from sendalloc.mechanisms.adaptive_boston import adaptive_boston
from sendalloc.mechanisms.boston import boston
from sendalloc.mechanisms.deferred_acceptance import deferred_acceptance
from sendalloc.mechanisms.deferred_acceptance_mtb import deferred_acceptance_mtb
from sendalloc.mechanisms.deferred_acceptance_stb import deferred_acceptance_stb
from sendalloc.mechanisms.first_available import first_available
from sendalloc.mechanisms.max_placement import max_placement
from sendalloc.mechanisms.random_serial_dictatorship import random_serial_dictatorship
from sendalloc.mechanisms.setting_proposing_deferred_acceptance import (
    setting_proposing_deferred_acceptance,
)
from sendalloc.mechanisms.stable_improvement_cycles import (
    stable_improvement_cycles,
)
from sendalloc.mechanisms.top_trading_cycles import top_trading_cycles
from sendalloc.problem import Allocation, Problem

__all__ = [
    "MECHANISMS",
    "Mechanism",
    "adaptive_boston",
    "allocate",
    "boston",
    "deferred_acceptance",
    "deferred_acceptance_mtb",
    "deferred_acceptance_stb",
    "first_available",
    "max_placement",
    "random_serial_dictatorship",
    "setting_proposing_deferred_acceptance",
    "stable_improvement_cycles",
    "top_trading_cycles",
]

Mechanism = Callable[..., Allocation]

#: Every built-in mechanism by name (read-only).
MECHANISMS: Mapping[str, Mechanism] = MappingProxyType(
    {
        "first_available": first_available,
        "random_serial_dictatorship": random_serial_dictatorship,
        "boston": boston,
        "adaptive_boston": adaptive_boston,
        "deferred_acceptance": deferred_acceptance,
        "setting_proposing_deferred_acceptance": setting_proposing_deferred_acceptance,
        "top_trading_cycles": top_trading_cycles,
        "max_placement": max_placement,
        "deferred_acceptance_stb": deferred_acceptance_stb,
        "deferred_acceptance_mtb": deferred_acceptance_mtb,
        "stable_improvement_cycles": stable_improvement_cycles,
    }
)


#: Names a user may try that are policies, not mechanisms, with what to do.
_NOT_MECHANISMS: Mapping[str, str] = MappingProxyType(
    {
        "status_quo": "'status_quo' is today's statutory process, not a mechanism: "
        "it needs the whole sampled round (settings' kinds and costs, the "
        "parents' requests), not only a Problem. Run it with "
        "sa.simulate(scenario, ['status_quo', 'first_available']) or on one "
        "round with sa.status_quo.place(scenario.sample(seed))",
    }
)


def allocate(
    problem: Problem, mechanism: str | Mechanism, *, rng: Any = None
) -> Allocation:
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
    >>> sa.allocate(p, "status_quo")
    Traceback (most recent call last):
    ...
    ValueError: 'status_quo' is today's statutory process, not a mechanism: ...
    """
    if not isinstance(problem, Problem):
        raise TypeError(f"problem: expected a Problem, got {type(problem).__name__}")
    check_rng(rng)
    if isinstance(mechanism, str):
        try:
            fn = MECHANISMS[mechanism]
        except KeyError:
            if mechanism in _NOT_MECHANISMS:
                raise ValueError(_NOT_MECHANISMS[mechanism]) from None
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
