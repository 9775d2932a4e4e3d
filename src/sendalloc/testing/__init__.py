"""Property-based testing of allocation rules (needs the ``testing`` extra).

``sendalloc.testing`` ships what sendalloc's own tests use, so that anyone who
writes an allocation rule can test it the same way:

* :mod:`sendalloc.testing.strategies`: hypothesis strategies for problems and
  allocations.
* ``assert_<property>(problem, allocation)``: assertions whose failure message
  prints the small counter-example (the blocking pair, the improving exchange).
* ``assert_strategyproof`` and ``assert_label_invariant``: assertions about a
  mechanism on one problem.
* :func:`check_mechanism`: all of the above under hypothesis, for use inside a
  pytest test.

Install with ``pip install "sendalloc[testing]"``; ``import sendalloc`` itself
never imports hypothesis.

Examples
--------
>>> from sendalloc.testing import check_mechanism
>>> check_mechanism("first_available", ["feasible", "stable"], max_examples=20,
...                 priorities="none")
"""

from __future__ import annotations

try:
    import hypothesis
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "sendalloc.testing needs hypothesis; install it with "
        "pip install 'sendalloc[testing]'"
    ) from exc

from collections.abc import Callable, Iterable
from typing import Any

from sendalloc.mechanisms import MECHANISMS
from sendalloc.problem import Allocation, Problem
from sendalloc.testing import strategies
from sendalloc.testing._assertions import (
    MechanismLike,
    assert_feasible,
    assert_label_invariant,
    assert_non_wasteful,
    assert_pareto_efficient,
    assert_stable,
    assert_strategyproof,
    assert_within_lists,
    run_mechanism,
)

__all__ = [
    "PROPERTIES",
    "assert_feasible",
    "assert_label_invariant",
    "assert_non_wasteful",
    "assert_pareto_efficient",
    "assert_stable",
    "assert_strategyproof",
    "assert_within_lists",
    "check_mechanism",
    "strategies",
]

_ALLOCATION_CHECKS: dict[str, Callable[[Problem, Allocation | Any], None]] = {
    "feasible": assert_feasible,
    "within_lists": assert_within_lists,
    "stable": assert_stable,
    "non_wasteful": assert_non_wasteful,
    "pareto_efficient": assert_pareto_efficient,
}
_MECHANISM_CHECKS: dict[str, Callable[..., None]] = {
    "strategyproof": assert_strategyproof,
    "label_invariant": assert_label_invariant,
}

#: Property names :func:`check_mechanism` understands, in the order it checks them.
PROPERTIES: tuple[str, ...] = (*_ALLOCATION_CHECKS, *_MECHANISM_CHECKS)


def check_mechanism(
    mechanism: MechanismLike,
    properties: Iterable[str] = PROPERTIES,
    *,
    max_examples: int = 100,
    seed: int = 0,
    **problem_kwargs: Any,
) -> None:
    """Check that a mechanism has the given properties on generated problems.

    Runs the mechanism under hypothesis on problems from
    :func:`sendalloc.testing.strategies.problems` and checks each property with
    the matching ``assert_*``; if one fails, hypothesis shrinks the problem and
    the :class:`AssertionError` of the minimal counter-example is raised.

    Parameters
    ----------
    mechanism : str or callable
        A name from :data:`sendalloc.MECHANISMS`, or a callable
        ``f(problem, *, rng=None) -> Allocation`` (build the result with
        ``Allocation.from_assignment``).
    properties : iterable of str
        Any of :data:`PROPERTIES`: ``"feasible"``, ``"within_lists"``,
        ``"stable"``, ``"non_wasteful"``, ``"pareto_efficient"``,
        ``"strategyproof"``, ``"label_invariant"``. Default: all of them.
    max_examples : int, default 100
        Problems to try (hypothesis ``max_examples``).
    seed : int, default 0
        Every run of the mechanism gets ``numpy.random.default_rng(seed)``.
    **problem_kwargs
        Passed to :func:`~sendalloc.testing.strategies.problems`
        (``max_children``, ``priorities``, ...).

    Raises
    ------
    AssertionError
        The minimal counter-example found, as printed by the ``assert_*``.
    ValueError
        If a property name is unknown (the message lists the valid ones), or
        ``mechanism`` is an unknown name.
    hypothesis.errors.InvalidArgument
        If ``problem_kwargs`` are invalid.

    Notes
    -----
    Strategy-proofness is searched over every reordering and truncation of
    each child's list, so keep ``max_list`` small (the default 3 gives 16
    reports per child). Hypothesis runs without a deadline (numba compiles
    kernels on first call), without the example database and without its
    explain phase, so each call is reproducible from ``seed`` alone.

    Examples
    --------
    >>> from sendalloc.testing import check_mechanism
    >>> check_mechanism("first_available", ["feasible", "strategyproof"],
    ...                 max_examples=10, max_children=3)
    >>> check_mechanism("first_available", ["envy_free"])
    Traceback (most recent call last):
    ...
    ValueError: unknown property 'envy_free'; valid names: feasible, within_lists, ...
    """
    if isinstance(properties, str):
        properties = (properties,)
    props = list(properties)
    for name in props:
        if name not in PROPERTIES:
            raise ValueError(
                f"unknown property {name!r}; valid names: " + ", ".join(PROPERTIES)
            )
    if isinstance(mechanism, str) and mechanism not in MECHANISMS:
        raise ValueError(
            f"unknown mechanism {mechanism!r}; valid names: "
            + ", ".join(sorted(MECHANISMS))
        )
    if not isinstance(mechanism, str) and not callable(mechanism):
        raise TypeError(
            f"mechanism: expected a name or a callable, got {type(mechanism).__name__}"
        )
    if (
        isinstance(max_examples, bool)
        or not isinstance(max_examples, int)
        or max_examples < 1
    ):
        raise ValueError(f"max_examples={max_examples!r}: expected an integer >= 1")
    strategy = strategies.problems(**problem_kwargs)
    alloc_checks = [_ALLOCATION_CHECKS[p] for p in props if p in _ALLOCATION_CHECKS]
    mech_checks = [_MECHANISM_CHECKS[p] for p in props if p in _MECHANISM_CHECKS]

    @hypothesis.settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=True,
        # The explain phase only annotates the failure with which parts of the
        # example could vary; the assertion's message already says what failed,
        # and explaining costs more than generating and shrinking together.
        phases=[
            hypothesis.Phase.explicit,
            hypothesis.Phase.generate,
            hypothesis.Phase.shrink,
        ],
        suppress_health_check=[hypothesis.HealthCheck.too_slow],
    )
    @hypothesis.given(problem=strategy)
    def run(problem: Problem) -> None:
        assignment = run_mechanism(mechanism, problem, seed)
        for check in alloc_checks:
            check(problem, assignment)
        for mcheck in mech_checks:
            mcheck(mechanism, problem, seed=seed)

    run()
