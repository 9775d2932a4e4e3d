"""Policies: what a Monte Carlo run applies to each simulated round.

A policy is anything with a ``name`` and the two methods of :class:`Policy`:
``place`` decides an annual round from the whole sampled
:class:`~sendalloc.scenario.Instance` (settings' kinds, costs, fullness, the
parents' off-list favourites: all of it, not only the
:class:`~sendalloc.Problem`), and ``allocate`` decides one batch of an in-year
round from its :class:`~sendalloc.Problem`. The engines call nothing else, so a
rule that is not a mechanism (today's statutory process, say) runs beside the
mechanisms by being a policy.

The common case is :class:`MechanismPolicy`: a mechanism (a name from
:data:`~sendalloc.MECHANISMS` or a callable ``f(problem, *, rng)``) followed by
the scenario's LA fallback. :data:`POLICIES` names the policies that are not
mechanisms: ``status_quo``, today's statutory process (:class:`StatusQuoPolicy`).
:func:`resolve_policies` turns what a user passes to :func:`~sendalloc.simulate`
into policies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Protocol,
    cast,
    runtime_checkable,
)

import numpy as np
from numpy.typing import NDArray

from sendalloc import status_quo
from sendalloc.mechanisms import MECHANISMS, allocate
from sendalloc.metrics import fallback_assignment
from sendalloc.problem import Allocation, Problem
from sendalloc.scenario.sections import StatusQuoSpec

if TYPE_CHECKING:
    from sendalloc.metrics import InstanceLike

__all__ = [
    "BASELINE",
    "DEFAULT_MECHANISMS",
    "DEFAULT_MODES",
    "POLICIES",
    "PROPOSAL",
    "MechanismPolicy",
    "Placement",
    "Policy",
    "StatusQuoPolicy",
    "default_policies",
    "reports_process",
    "resolve_policies",
    "statutory_params",
]

#: The rule the reports are about: the proposal, "the first available place in
#: order of the parent's preference".
PROPOSAL = "first_available"
#: Today's statutory process, shown beside the proposal.
BASELINE = "status_quo"

#: Rules :func:`~sendalloc.simulate` runs when none are named, in report
#: order: today's statutory process (``status_quo``, a policy), the proposal,
#: the main alternatives and the planner's benchmark. Names registered in
#: neither :data:`~sendalloc.MECHANISMS` nor :data:`POLICIES` are skipped, and
#: so is a policy that does not run in the scenario's mode.
DEFAULT_MECHANISMS: tuple[str, ...] = (
    BASELINE,
    PROPOSAL,
    "random_serial_dictatorship",
    "boston",
    "deferred_acceptance",
    "top_trading_cycles",
    "max_placement",
)
#: Default rules that are defaults only in some modes. ``max_placement`` is the
#: planner's optimum of one round; in the in-year and multi-year modes it would
#: optimise each day's batch without knowing the arrivals and leavers to come,
#: which is not the planner's optimum of the year, so it is no yardstick there
#: (it still runs there when named).
DEFAULT_MODES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"max_placement": ("annual",)}
)


@dataclass(frozen=True, slots=True, eq=False)
class Placement:
    """What a policy did with one annual round.

    Attributes
    ----------
    assignment : ndarray of int, shape (N,)
        The rule's own placements (-1 = none): what justified envy is judged on.
    final : ndarray of int, shape (N,)
        The placements after every stage (the LA's fallback, appeals): what
        the outcome metrics measure. The same array as ``assignment`` when
        there is no later stage.
    extra : mapping of str to ndarray, optional
        Per-child outcomes of a process, each shape (N,), by name (for today's
        process :meth:`~sendalloc.status_quo.StatusQuoOutcome.columns`: the
        day's placement, granted, refused, named over capacity, appealed,
        won, ...); they feed :data:`~sendalloc.metrics.PROCESS_METRICS`.
        None for a mechanism.
    """

    assignment: NDArray[Any]
    final: NDArray[Any]
    extra: Mapping[str, NDArray[Any]] | None = None


@runtime_checkable
class Policy(Protocol):
    """What the engines apply to each simulated round.

    Implementations must be picklable (an executor may run them in other
    processes) and must draw only from the ``rng`` they are given.
    """

    @property
    def name(self) -> str:
        """The policy's name in results (a column of every table)."""
        ...

    def place(self, instance: InstanceLike, rng: np.random.Generator) -> Placement:
        """Decide an annual round of a sampled instance."""
        ...

    def allocate(self, problem: Problem, *, rng: Any = None) -> Allocation:
        """Decide one batch of an in-year round (a mechanism's signature)."""
        ...


@dataclass(frozen=True, slots=True)
class MechanismPolicy:
    """A mechanism, then the scenario's LA fallback (if it has one switched on).

    Parameters
    ----------
    rule : str or callable
        A name from :data:`~sendalloc.MECHANISMS`, or a callable
        ``f(problem, *, rng=None) -> Allocation``.
    """

    rule: str | Callable[..., Allocation]

    @property
    def name(self) -> str:
        """The mechanism's name (a callable's ``__name__``)."""
        if isinstance(self.rule, str):
            return self.rule
        return str(getattr(self.rule, "__name__", repr(self.rule)))

    def place(self, instance: InstanceLike, rng: np.random.Generator) -> Placement:
        """The mechanism on ``instance.problem``, then the fallback if switched on."""
        problem = instance.problem
        a = allocate(problem, self.rule, rng=rng).assignment
        if not instance.fallback:
            return Placement(a, a)
        final = fallback_assignment(problem.capacity, problem.order, instance.lists, a)
        return Placement(a, final)

    def allocate(self, problem: Problem, *, rng: Any = None) -> Allocation:
        """The mechanism on one batch."""
        return allocate(problem, self.rule, rng=rng)


@dataclass(frozen=True, slots=True)
class StatusQuoPolicy:
    """Today's statutory process as a policy (:mod:`sendalloc.status_quo`).

    Parameters
    ----------
    params : StatusQuoSpec, optional
        The process's parameters; default (None) each instance's own, that is
        its scenario's ``[status_quo]`` section.

    Notes
    -----
    In the annual mode :meth:`place` decides the round with
    :func:`sendalloc.status_quo.place`; ``assignment`` and ``final`` are both
    the placements after appeals (the LA's own choice is a step of the
    process, not a fallback after it, and justified envy is judged on where
    children end up), and ``extra`` holds every per-child outcome, the
    placement on the day the plan is final among them.

    In the in-year mode the engine runs the process as the year's arrival
    policy (``statutory``: :func:`statutory_params`; the event kernel's
    request, reply and tribunal events, docs/status-quo.md): every child
    arrives alone, so there are no batches and :meth:`allocate`, which a
    batch would call, raises.

    Examples
    --------
    >>> import sendalloc as sa
    >>> r = sa.simulate("london_borough", ["status_quo", "first_available"],
    ...                 runs=3, seed=1)
    >>> r.mechanisms
    ('status_quo', 'first_available')
    >>> s = r.summary()
    >>> 0 < s.get("status_quo", "favourite")["mean"] <= 1
    True
    >>> s.get("first_available", "appealed")["mean"]   # no appeals in a mechanism
    nan

    In-year (the scenario's ``mode``), beside the process metrics:

    >>> sc = sa.load_scenario("london_borough").with_overrides({"mode": "in_year"})
    >>> r = sa.simulate(sc, ["status_quo", "first_available"], runs=2, seed=1)
    >>> s = r.summary()
    >>> 0 <= s.get("status_quo", "appealed")["mean"] < 1
    True
    >>> s.get("first_available", "appealed")["mean"]
    nan
    """

    params: StatusQuoSpec | None = None
    #: The policy reports per-child process outcomes (``Placement.extra``).
    process: ClassVar[bool] = True
    #: The modes it runs in.
    modes: ClassVar[tuple[str, ...]] = ("annual", "in_year")
    #: In-year, the engine runs it as the statutory arrival policy.
    statutory: ClassVar[bool] = True

    @property
    def name(self) -> str:
        """``"status_quo"``."""
        return "status_quo"

    def place(self, instance: InstanceLike, rng: np.random.Generator) -> Placement:
        """Today's process on one round: placements after appeals, and extra."""
        inst = cast("status_quo.InstanceLike", instance)
        out = status_quo.place(inst, rng=rng, params=self.params)
        return Placement(out.final, out.final, out.columns())

    def allocate(self, problem: Problem, *, rng: Any = None) -> Allocation:
        """Not available: today's process needs the whole instance.

        Raises
        ------
        ValueError
            Always, saying how to run it.
        """
        raise ValueError(
            "status_quo is today's statutory process, not a mechanism: it needs "
            "the whole sampled round (settings' kinds and costs, the parents' "
            "requests), not only a Problem, and has no batches; run it with "
            "sa.simulate(scenario, ['status_quo', ...]) (annual or in-year) or "
            "sa.status_quo.place(instance)"
        )


#: Policies that are not mechanisms, by name: what a name in ``mechanisms=``
#: may also be (read-only).
POLICIES: Mapping[str, Policy] = MappingProxyType({"status_quo": StatusQuoPolicy()})


def reports_process(policies: Iterable[Policy]) -> bool:
    """Whether a policy of ``policies`` reports per-child process outcomes.

    The annual engine then measures every policy of the run on
    :data:`~sendalloc.metrics.PROCESS_METRICS` as well.
    """
    return any(bool(getattr(p, "process", False)) for p in policies)


def statutory_params(policy: Policy, instance: Any) -> StatusQuoSpec | None:
    """The ``[status_quo]`` section an in-year run of ``policy`` uses, or None.

    None for a policy that is not today's process (``statutory`` false): a
    mechanism, which allocates the year's batches. For today's process, its
    ``params``, else ``instance.status_quo`` (its scenario's section), else
    the defaults.

    Examples
    --------
    >>> statutory_params(MechanismPolicy("boston"), None) is None
    True
    >>> statutory_params(StatusQuoPolicy(), None) == StatusQuoSpec()
    True
    """
    if not getattr(policy, "statutory", False):
        return None
    params = getattr(policy, "params", None)
    if params is None:
        params = getattr(instance, "status_quo", None) or StatusQuoSpec()
    if not isinstance(params, StatusQuoSpec):
        raise TypeError(
            f"{policy.name}.params: expected a StatusQuoSpec, "
            f"got {type(params).__name__}"
        )
    return params


def default_policies(modes: Iterable[str] = ("annual",)) -> tuple[Policy, ...]:
    """The policies of :data:`DEFAULT_MECHANISMS` that run in every one of ``modes``.

    A rule of :data:`DEFAULT_MODES` is a default only in the modes it lists.

    Examples
    --------
    >>> [p.name for p in default_policies()][:2]
    ['status_quo', 'first_available']
    >>> "max_placement" in [p.name for p in default_policies(["in_year"])]
    False
    """
    wanted = tuple(modes)
    out: list[Policy] = []
    for name in DEFAULT_MECHANISMS:
        if name in POLICIES:
            policy = POLICIES[name]
        elif name in MECHANISMS:
            policy = MechanismPolicy(name)
        else:
            continue
        runs_in = getattr(policy, "modes", None)
        runs_here = runs_in is None or all(m in runs_in for m in wanted)
        default_here = all(m in DEFAULT_MODES.get(name, wanted) for m in wanted)
        if runs_here and default_here:
            out.append(policy)
    return tuple(out)


def resolve_policies(
    mechanisms: Iterable[str | Callable[..., Allocation] | Policy] | str | None,
    *,
    modes: Iterable[str] = ("annual",),
) -> tuple[Policy, ...]:
    """Policies from names, callables or policies; checks names and duplicates.

    ``None`` gives :data:`DEFAULT_MECHANISMS` (those that run in every one of
    ``modes``: :func:`default_policies`). A name must be in
    :data:`~sendalloc.MECHANISMS` or :data:`POLICIES`; an object with
    ``name``, ``place`` and ``allocate`` is taken as a :class:`Policy`; any
    other callable is a mechanism.

    Raises
    ------
    ValueError
        For no policies, an unknown name (listing the valid ones) or two
        policies of the same name.
    TypeError
        For anything else.
    """
    if mechanisms is None:
        return default_policies(modes)
    given: list[Any]
    given = [mechanisms] if isinstance(mechanisms, str) else list(mechanisms)
    if not given:
        raise ValueError("mechanisms: expected at least one mechanism")
    out: list[Policy] = []
    for m in given:
        if isinstance(m, str):
            if m in POLICIES:
                out.append(POLICIES[m])
            elif m in MECHANISMS:
                out.append(MechanismPolicy(m))
            else:
                raise ValueError(
                    f"unknown mechanism {m!r}; valid names: "
                    + ", ".join(sorted(MECHANISMS))
                    + "; policies: "
                    + ", ".join(sorted(POLICIES))
                )
        elif isinstance(m, Policy):
            out.append(m)
        elif callable(m):
            out.append(MechanismPolicy(m))
        else:
            raise TypeError(
                f"mechanisms: expected names or callables, got {type(m).__name__}"
            )
    names = [p.name for p in out]
    if len(set(names)) != len(names):
        raise ValueError(f"mechanisms: duplicate names in {names}")
    return tuple(out)
