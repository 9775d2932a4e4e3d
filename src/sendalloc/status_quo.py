"""Today's statutory process: a request, refusal, a full school named, an appeal.

The baseline the proposal is compared with (docs/status-quo.md). Children and
Families Act 2014 s38-s39 and the SEND Code of Practice 9.78-9.80 (sources
``cfa-2014-s38-request``, ``cfa-2014-s39-must-name``,
``send-code-2015-9-78-9-80``): the LA takes the children of a round in its
processing order, and for each

1. the parent requests one setting: their favourite overall
   (``instance.wish``, which may be off the tailored list). A child with no
   wish gets the LA's own choice (step 4) and does not appeal;
2. the LA consults and names it unless it refuses because the placement would
   be incompatible with the efficient education of others or the efficient
   use of resources (s39(4)(b)). "Full" is not itself a ground
   (``full-school-not-a-ground``), but how full the setting is feeds "the
   efficient education of others", and its cost beside the LA's own choice
   "the efficient use of resources": the refusal probability is a logistic in
   both (:class:`~sendalloc.scenario.StatusQuoSpec`);
3. a named maintained school or academy (mainstream, resourced provision,
   state special, AP) or college must admit, even when full
   (``pq-19718-named-school-must-admit``): it is named over capacity, up to a
   tolerance (a share of its capacity). Independent and non-maintained
   special schools admit only with a free place. A request the setting
   cannot admit is refused as well;
4. after a refusal the LA names its own choice: the first setting on the
   child's tailored list, in the LA's order, with a free place; else the
   first there that must admit and is within its tolerance; else none;
5. the parent may appeal to the tribunal (more often when the LA's choice is a
   kind of setting they like less, or no place), and the tribunal decides in
   the section I outcome shares (``sendist-2025-section-i-*``) some days
   later: for the parent's preference, or the LA concedes (the requested
   setting is named, if it can admit: a must-admit setting up to its
   tribunal tolerance), or the LA's preference, or the appeal is withdrawn
   (the LA's choice stands).

In the annual mode the appeals are decided after the whole round, in the LA's
order; both the placements on the day the plan is final and those after
appeals are reported.

The code is in three tiers: :func:`place` (the documented entry point, on a
sampled :class:`~sendalloc.scenario.Instance`), :func:`prepare` (plain arrays
from the instance) and two numba kernels over plain arrays with pre-drawn
uniforms, :func:`request_kernel` (step 1-4 and the appeal decision, for the
children of a batch) and :func:`appeal_kernel` (the tribunal), whose state
arrays (free places, places taken over capacity) a caller can keep between
calls: the in-year engine runs them batch by batch.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from sendalloc._kernels.jit import kernel
from sendalloc._rng import as_generator
from sendalloc.population import KINDS, NEEDS
from sendalloc.problem import Problem
from sendalloc.scenario.sections import StatusQuoSpec

__all__ = [
    "PARAMS",
    "Arrays",
    "Request",
    "StatusQuoOutcome",
    "Tribunal",
    "appeal_kernel",
    "extra_places",
    "kernel_params",
    "must_admit",
    "place",
    "prepare",
    "request_kernel",
]


class Request(enum.IntEnum):
    """What became of a child's request (``StatusQuoOutcome.request``)."""

    #: The parent requested nothing (no wish): the LA named its own choice.
    NO_REQUEST = 0
    #: The requested setting was named.
    GRANTED = 1
    #: The LA refused it (s39(4)(b)) and named its own choice.
    REFUSED = 2
    #: The setting could not admit (no free place at an independent or
    #: non-maintained school, or its over-capacity tolerance reached); the LA
    #: named its own choice.
    NO_PLACE = 3


class Tribunal(enum.IntEnum):
    """How a child's appeal ended (``StatusQuoOutcome.tribunal``)."""

    #: No appeal.
    NONE = 0
    #: Decided for the parent's preference: the requested setting is named.
    PARENT = 1
    #: The LA conceded at the hearing: the requested setting is named.
    LA_CONCEDES = 2
    #: Decided for the LA's preference, or the parent won but the setting could
    #: not admit (a tribunal cannot name a place that is not there): the LA's
    #: choice stands.
    LA = 3
    #: Withdrawn or ended otherwise: the LA's choice stands.
    OTHER = 4


#: The entries of the kernels' ``params`` array (:func:`kernel_params`), in order.
PARAMS: tuple[str, ...] = (
    "refusal_logit_at_full",
    "refusal_fullness_slope",
    "refusal_cost_slope",
    "appeal_probability",
    "appeal_probability_worse_kind",
    "tribunal_parent_below",
    "tribunal_concedes_below",
    "tribunal_la_below",
)


def kernel_params(spec: StatusQuoSpec) -> NDArray[np.float64]:
    """The kernels' ``params`` array of a ``[status_quo]`` section (:data:`PARAMS`).

    ``refusal_at_full`` becomes its log-odds (0 and 1 give -inf and inf, so a
    refusal never or always happens); the four tribunal shares become the
    cumulative thresholds of one uniform draw, after normalising by their sum.

    Examples
    --------
    >>> from sendalloc.scenario import StatusQuoSpec
    >>> kernel_params(StatusQuoSpec(refusal_at_full=0.5)).round(2).tolist()
    [0.0, 20.0, 3.0, 0.2, 0.5, 0.31, 0.55, 0.68]
    >>> float(kernel_params(StatusQuoSpec(refusal_at_full=0.0))[0])
    -inf
    """
    p = float(spec.refusal_at_full)
    with np.errstate(divide="ignore"):
        logit = float(np.log(p) - np.log1p(-p))
    shares = spec.tribunal_shares()
    cum = np.cumsum(shares / shares.sum())
    return np.array(
        [
            logit,
            spec.refusal_fullness_slope,
            spec.refusal_cost_slope,
            spec.appeal_probability,
            spec.appeal_probability_worse_kind,
            cum[0],
            cum[1],
            cum[2],
        ],
        dtype=np.float64,
    )


# --------------------------------------------------------------------------- kernels
@kernel
def request_kernel(
    order: NDArray[np.int64],
    wish: NDArray[np.int64],
    lists: NDArray[np.int64],
    list_cost: NDArray[np.float64],
    wish_cost: NDArray[np.float64],
    need: NDArray[np.int64],
    kind: NDArray[np.int64],
    capacity: NDArray[np.int64],
    base: NDArray[np.int64],
    room: NDArray[np.int64],
    taste: NDArray[np.float64],
    params: NDArray[np.float64],
    u: NDArray[np.float64],
    free: NDArray[np.int64],
    over_used: NDArray[np.int64],
    placed: NDArray[np.int64],
    outcome: NDArray[np.int8],
    over: NDArray[np.bool_],
    appealed: NDArray[np.bool_],
) -> None:
    """Steps 1-4 and the decision to appeal, for the children of ``order``.

    Parameters
    ----------
    order : ndarray of int64, shape (T,)
        The children to decide (indices into the per-child arrays), in the
        LA's processing order.
    wish : ndarray of int64, shape (N,)
        The setting each parent requests (-1: none).
    lists : ndarray of int64, shape (N, K)
        Tailored lists in the LA's order, -1 padded.
    list_cost, wish_cost : ndarray of float64, shape (N, K) and (N,)
        The annual cost of each listed setting and of the requested one for
        the child (place and transport).
    need : ndarray of int64, shape (N,)
        Index into ``taste``'s rows.
    kind, capacity, base, room : ndarray of int64, shape (M,)
        Each setting's kind (index into ``taste``'s columns), capacity,
        ``max(pupils staying on roll, capacity)`` before any placement (so
        that the roll is ``base - free + over_used``), and ``limit - base``,
        ``limit`` being the most pupils it may hold when the LA names it
        (its capacity unless it must admit; may be negative).
    taste : ndarray of float64, shape (n_needs, n_kinds)
        The parents' taste for each kind by need; the LA's choice is "a worse
        kind" when its taste is below the requested setting's.
    params : ndarray of float64, shape (len(PARAMS),)
        From :func:`kernel_params`.
    u : ndarray of float64, shape (N, 3)
        Uniforms on [0, 1) drawn in advance: column 0 decides the refusal,
        1 the appeal, 2 the tribunal (:func:`appeal_kernel`).
    free, over_used : ndarray of int64, shape (M,)
        State, updated in place: free places left, and pupils placed beyond
        them less those who left while the setting was over capacity (so
        negative at a setting that started over capacity and lost pupils).
    placed, outcome, over, appealed : ndarray, shape (N,)
        Written for the children of ``order``: the setting named (-1 none),
        the :class:`Request` code, whether it was named over capacity, and
        whether the parent appeals.

    Notes
    -----
    A setting ``s`` admits a child with a free place (``free[s] > 0``, only
    when its roll is below its capacity) or, beyond them, while
    ``over_used[s] < room[s]`` (its roll below its limit). The refusal's
    log-odds
    are ``params[0] + params[1] * (fullness - 1) + params[2] * ln(cost of
    the request / cost of the LA's choice)``, the fullness being the roll
    with the child over the capacity, and costs below 1 taken as 1; the cost
    term is 0 when the LA has no choice of its own. O(T K).
    """
    width = lists.shape[1]
    logit0 = params[0]
    w_full = params[1]
    w_cost = params[2]
    p_same = params[3]
    p_worse = params[4]
    for t in range(order.shape[0]):
        i = order[t]
        # The LA's own choice: the first listed setting with a free place, else
        # the first that must admit and is within its tolerance.
        c = -1
        c_cost = 0.0
        for k in range(width):
            s = lists[i, k]
            if s < 0:
                break
            if free[s] > 0:
                c = s
                c_cost = list_cost[i, k]
                break
        if c < 0:
            for k in range(width):
                s = lists[i, k]
                if s < 0:
                    break
                if over_used[s] < room[s]:
                    c = s
                    c_cost = list_cost[i, k]
                    break
        r = wish[i]
        named = c
        code = 0
        if r >= 0:
            if r == c:
                code = 1
            elif free[r] <= 0 and over_used[r] >= room[r]:
                code = 3
            else:
                x = logit0
                if capacity[r] > 0:
                    roll = base[r] - free[r] + over_used[r] + 1
                    x += w_full * (roll / capacity[r] - 1.0)
                if c >= 0:
                    x += w_cost * (
                        np.log(max(wish_cost[i], 1.0)) - np.log(max(c_cost, 1.0))
                    )
                p = 1.0 / (1.0 + np.exp(-x))
                code = 2 if u[i, 0] < p else 1
            if code == 1:
                named = r
        placed[i] = named
        over[i] = False
        if named >= 0:
            if free[named] > 0:
                free[named] -= 1
            else:
                over_used[named] += 1
                over[i] = True
        outcome[i] = code
        appealed[i] = False
        if code >= 2:
            worse = c < 0 or taste[need[i], kind[c]] < taste[need[i], kind[r]]
            appealed[i] = u[i, 1] < (p_worse if worse else p_same)


@kernel
def appeal_kernel(
    appellants: NDArray[np.int64],
    wish: NDArray[np.int64],
    capacity: NDArray[np.int64],
    base: NDArray[np.int64],
    tribunal_room: NDArray[np.int64],
    params: NDArray[np.float64],
    u: NDArray[np.float64],
    free: NDArray[np.int64],
    over_used: NDArray[np.int64],
    placed: NDArray[np.int64],
    over: NDArray[np.bool_],
    tribunal: NDArray[np.int8],
) -> None:
    """Step 5: the tribunal decides the appeals of ``appellants``, in that order.

    Parameters
    ----------
    appellants : ndarray of int64, shape (A,)
        Children who appealed, in the order their appeals are decided.
    tribunal_room : ndarray of int64, shape (M,)
        ``room`` when the tribunal names the setting (at least ``room``).
    wish, capacity, base, params, u, free, over_used :
        As in :func:`request_kernel` (the state is updated in place).
    placed, over : ndarray, shape (N,)
        Each child's setting (-1 none) and whether it was named over
        capacity; updated for the children the tribunal moves.
    tribunal : ndarray of int8, shape (N,)
        Written for the appellants: the :class:`Tribunal` code.

    Notes
    -----
    One uniform (``u[i, 2]``) against the cumulative shares in ``params[5:8]``.
    When the requested setting is named, the child leaves the LA's choice
    (a setting over capacity comes one pupil nearer it; one at or under
    capacity gains a free place) and takes a free place at the requested
    setting, or one beyond them while ``over_used < tribunal_room``; a
    setting that can take neither cannot be named, and the outcome is the
    LA's preference. O(A).
    """
    below_parent = params[5]
    below_concedes = params[6]
    below_la = params[7]
    for t in range(appellants.shape[0]):
        i = appellants[t]
        r = wish[i]
        v = u[i, 2]
        if v < below_parent:
            res = 1
        elif v < below_concedes:
            res = 2
        elif v < below_la:
            res = 3
        else:
            res = 4
        if res <= 2:
            if free[r] <= 0 and over_used[r] >= tribunal_room[r]:
                res = 3
            else:
                c = placed[i]
                if c >= 0:
                    if base[c] - free[c] + over_used[c] > capacity[c]:
                        over_used[c] -= 1
                    else:
                        free[c] += 1
                if free[r] > 0:
                    free[r] -= 1
                    over[i] = False
                else:
                    over_used[r] += 1
                    over[i] = True
                placed[i] = r
        tribunal[i] = res


# --------------------------------------------------------------------------- arrays
class _Children(Protocol):
    @property
    def need(self) -> NDArray[Any]: ...
    @property
    def plan_day(self) -> NDArray[Any]: ...
    @property
    def x_km(self) -> NDArray[Any]: ...
    @property
    def y_km(self) -> NDArray[Any]: ...


class _Settings(Protocol):
    @property
    def kind(self) -> NDArray[Any]: ...
    @property
    def capacity(self) -> NDArray[Any]: ...
    @property
    def cost(self) -> NDArray[Any]: ...
    @property
    def specialist(self) -> NDArray[Any]: ...
    @property
    def x_km(self) -> NDArray[Any]: ...
    @property
    def y_km(self) -> NDArray[Any]: ...


class InstanceLike(Protocol):
    """What :func:`place` reads from an instance (a ``scenario.Instance``)."""

    @property
    def problem(self) -> Problem: ...
    @property
    def children(self) -> _Children: ...
    @property
    def settings(self) -> _Settings: ...
    @property
    def lists(self) -> NDArray[Any]: ...
    @property
    def wish(self) -> NDArray[Any]: ...
    @property
    def distance_km(self) -> NDArray[Any]: ...
    @property
    def transport_cost_per_km(self) -> float: ...


def must_admit(settings: _Settings, spec: StatusQuoSpec) -> NDArray[np.bool_]:
    """Which settings must admit a child named in a plan even when full, shape (M,).

    Those of a kind in ``spec.must_admit_kinds``, except that a ``post16``
    setting with a need designation (a specialist post-16 institution, usually
    independent) must only if ``spec.specialist_post16_must_admit``.

    Examples
    --------
    >>> from sendalloc import Settings
    >>> from sendalloc.scenario import StatusQuoSpec
    >>> s = Settings.from_columns(id=["a", "b", "c", "d"], kind=["special",
    ...     "independent_special", "post16", "post16"], min_age=[4] * 4,
    ...     max_age=[18] * 4, capacity=[10] * 4, x_km=[0.0] * 4, y_km=[0.0] * 4,
    ...     needs=[[], [], [], ["ASD"]])
    >>> must_admit(s, StatusQuoSpec()).tolist()
    [True, True, True, True]
    >>> spec = StatusQuoSpec(must_admit_kinds=("special", "post16"),
    ...     specialist_post16_must_admit=False)
    >>> must_admit(s, spec).tolist()
    [True, False, True, False]
    """
    kinds = np.asarray(settings.kind, dtype=np.int64)
    codes = [KINDS.index(k) for k in spec.must_admit_kinds]
    out = np.isin(kinds, np.asarray(codes, dtype=np.int64))
    if not spec.specialist_post16_must_admit:
        spi = (kinds == KINDS.index("post16")) & np.asarray(settings.specialist)
        out &= ~spi
    return np.asarray(out)


def extra_places(
    settings: _Settings, spec: StatusQuoSpec, capacity: NDArray[Any]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Places beyond ``capacity`` a setting takes when the LA, or a tribunal, names it.

    ``floor(over_capacity_tolerance * capacity)`` at a setting that must admit
    (:func:`must_admit`), and with the larger of it and ``tribunal_tolerance``
    when the tribunal names it; 0 at any other setting. The in-year process
    (:class:`~sendalloc._engine.events.Statutory`) names a setting beyond its
    free places while its roll is below ``capacity + extra``.

    Examples
    --------
    >>> from sendalloc import Settings
    >>> s = Settings.from_columns(id=["a", "b"], kind=["special",
    ...     "independent_special"], min_age=[4] * 2, max_age=[18] * 2,
    ...     capacity=[40, 40], x_km=[0.0] * 2, y_km=[0.0] * 2)
    >>> spec = StatusQuoSpec(must_admit_kinds=("special",))
    >>> la, tribunal = extra_places(s, spec, s.capacity)
    >>> la.tolist(), tribunal.tolist()
    ([4, 0], [10, 0])
    """
    cap = np.asarray(capacity, dtype=np.int64)
    must = must_admit(settings, spec)
    tol = max(spec.over_capacity_tolerance, 0.0)
    tt = max(spec.tribunal_tolerance, tol)
    la = np.where(must, np.floor(tol * cap), 0).astype(np.int64)
    tribunal = np.where(must, np.floor(tt * cap), 0).astype(np.int64)
    return la, tribunal


@dataclass(frozen=True, slots=True, eq=False)
class Arrays:
    """The kernels' inputs for one instance (:func:`prepare`; :func:`request_kernel`).

    ``free`` and ``over_used`` are the starting state: copy them before a
    kernel updates them.
    """

    order: NDArray[np.int64]
    wish: NDArray[np.int64]
    lists: NDArray[np.int64]
    list_cost: NDArray[np.float64]
    wish_cost: NDArray[np.float64]
    need: NDArray[np.int64]
    kind: NDArray[np.int64]
    capacity: NDArray[np.int64]
    base: NDArray[np.int64]
    room: NDArray[np.int64]
    tribunal_room: NDArray[np.int64]
    taste: NDArray[np.float64]
    params: NDArray[np.float64]
    free: NDArray[np.int64]
    over_used: NDArray[np.int64]


def prepare(instance: InstanceLike, spec: StatusQuoSpec) -> Arrays:
    """The kernels' plain arrays for one sampled instance.

    Free places are ``instance.problem.capacity``; the pupils staying on roll
    ``instance.roll`` (without one, ``capacity - free``); a must-admit setting
    (:func:`must_admit`) takes pupils up to ``capacity + floor(tolerance *
    capacity)`` (``over_capacity_tolerance``, or when the tribunal names it
    the larger of it and ``tribunal_tolerance``), any other setting up to its
    capacity, and neither beyond its roll if it already holds more. Costs
    are the setting's cost plus ``transport_cost_per_km`` times the distance
    (the listed distance, or the straight line to an off-list request).
    The parents' taste is ``instance.kind_taste`` (without one, all kinds
    alike). O(N K + M).

    Returns
    -------
    Arrays
    """
    problem = instance.problem
    settings = instance.settings
    children = instance.children
    cap = np.asarray(settings.capacity, dtype=np.int64)
    free = problem.capacity.astype(np.int64)
    roll_attr = getattr(instance, "roll", None)
    roll = cap - free if roll_attr is None else np.asarray(roll_attr, np.int64)
    base = np.maximum(roll, cap)
    must = must_admit(settings, spec)

    def room_of(tolerance: float) -> NDArray[np.int64]:
        limit = cap + np.floor(tolerance * cap).astype(np.int64)
        return np.where(must, limit, cap).astype(np.int64) - base

    room = room_of(spec.over_capacity_tolerance)
    tribunal_room = np.maximum(room, room_of(spec.tribunal_tolerance))
    lists = np.ascontiguousarray(instance.lists, dtype=np.int64)
    listed = lists >= 0
    cost = np.asarray(settings.cost, dtype=np.float64)
    per_km = float(instance.transport_cost_per_km)
    dist = np.asarray(instance.distance_km, dtype=np.float64)
    list_cost = np.where(
        listed, cost[np.maximum(lists, 0)] + per_km * np.where(listed, dist, 0.0), 0.0
    )
    wish = np.asarray(instance.wish, dtype=np.int64)
    has = wish >= 0
    w = np.maximum(wish, 0)
    hit = listed & (lists == wish[:, None])
    on_list = hit.any(axis=1)
    d_wish = np.hypot(
        np.asarray(children.x_km) - np.asarray(settings.x_km)[w],
        np.asarray(children.y_km) - np.asarray(settings.y_km)[w],
    )
    if lists.shape[1]:
        d_list = dist[np.arange(lists.shape[0]), hit.argmax(axis=1)]
        d_wish = np.where(on_list, d_list, d_wish)
    wish_cost = np.where(has, cost[w] + per_km * d_wish, 0.0)
    taste_attr = getattr(instance, "kind_taste", None)
    taste = (
        np.zeros((len(NEEDS), len(KINDS)))
        if taste_attr is None
        else np.asarray(taste_attr, dtype=np.float64)
    )
    return Arrays(
        order=problem.order.astype(np.int64),
        wish=wish,
        lists=lists,
        list_cost=np.ascontiguousarray(list_cost),
        wish_cost=np.ascontiguousarray(wish_cost),
        need=np.asarray(children.need, dtype=np.int64),
        kind=np.asarray(settings.kind, dtype=np.int64),
        capacity=cap,
        base=base,
        room=room,
        tribunal_room=tribunal_room,
        taste=np.ascontiguousarray(taste),
        params=kernel_params(spec),
        free=free,
        over_used=np.zeros(cap.shape[0], dtype=np.int64),
    )


# --------------------------------------------------------------------------- outcome
@dataclass(frozen=True, slots=True, eq=False)
class StatusQuoOutcome:
    """What today's process did with each child of one round.

    Attributes
    ----------
    requested : ndarray of int32, shape (N,)
        The setting the parent requested (their favourite; -1: none).
    day : ndarray of int32, shape (N,)
        The setting named on the day the plan is final (-1: none).
    final : ndarray of int32, shape (N,)
        The setting after appeals.
    request : ndarray of int8, shape (N,)
        A :class:`Request` code.
    over_capacity_on_day, over_capacity : ndarray of bool, shape (N,)
        The setting named on the day, and after appeals, took the child
        beyond its free places.
    appealed : ndarray of bool, shape (N,)
    tribunal : ndarray of int8, shape (N,)
        A :class:`Tribunal` code (``NONE`` without an appeal).
    decision_day : ndarray of int32, shape (N,)
        The day of the tribunal's decision (the plan's day plus
        ``appeal_days``), -1 without an appeal.
    """

    requested: NDArray[np.int32]
    day: NDArray[np.int32]
    final: NDArray[np.int32]
    request: NDArray[np.int8]
    over_capacity_on_day: NDArray[np.bool_]
    over_capacity: NDArray[np.bool_]
    appealed: NDArray[np.bool_]
    tribunal: NDArray[np.int8]
    decision_day: NDArray[np.int32]

    @property
    def granted(self) -> NDArray[np.bool_]:
        """The requested setting was named on the day, shape (N,)."""
        return np.asarray(self.request == Request.GRANTED)

    @property
    def refused(self) -> NDArray[np.bool_]:
        """The request was refused (by the LA, or the setting had no place)."""
        return np.asarray(
            (self.request == Request.REFUSED) | (self.request == Request.NO_PLACE)
        )

    @property
    def won(self) -> NDArray[np.bool_]:
        """The tribunal named the requested setting, shape (N,)."""
        return np.asarray(
            (self.tribunal == Tribunal.PARENT) | (self.tribunal == Tribunal.LA_CONCEDES)
        )

    def columns(self) -> dict[str, NDArray[Any]]:
        """The per-child columns, by name (``Placement.extra`` of the policy).

        They include :data:`sendalloc.metrics.PROCESS_COLUMNS`.
        """
        return {
            "requested": self.requested,
            "day": self.day,
            "final": self.final,
            "request": self.request,
            "granted": self.granted,
            "refused": self.refused,
            "over_capacity_on_day": self.over_capacity_on_day,
            "over_capacity": self.over_capacity,
            "appealed": self.appealed,
            "tribunal": self.tribunal,
            "won": self.won,
            "decision_day": self.decision_day,
        }

    def __repr__(self) -> str:
        n = self.requested.shape[0]
        return (
            f"StatusQuoOutcome(children={n}, granted={int(self.granted.sum())}, "
            f"refused={int(self.refused.sum())}, "
            f"over_capacity={int(self.over_capacity.sum())}, "
            f"appealed={int(self.appealed.sum())}, won={int(self.won.sum())})"
        )


def _frozen(a: NDArray[Any], dtype: Any) -> NDArray[Any]:
    out = np.asarray(a, dtype=dtype)
    out.flags.writeable = False
    return out


def place(
    instance: InstanceLike,
    *,
    rng: np.random.Generator | int | None = None,
    params: StatusQuoSpec | None = None,
) -> StatusQuoOutcome:
    """Run today's statutory process on one sampled round (annual mode).

    Parameters
    ----------
    instance : Instance
        A sampled round (:meth:`sendalloc.Scenario.sample`).
    rng : numpy.random.Generator, int or None
        Normalised with :func:`numpy.random.default_rng`; three uniforms per
        child are drawn from it, at once, before anything is decided.
    params : StatusQuoSpec, optional
        The process's parameters; default the instance's (its scenario's
        ``[status_quo]`` section).

    Returns
    -------
    StatusQuoOutcome

    Notes
    -----
    The steps are those of the module docstring: every child in the LA's
    order (:func:`request_kernel`), then every appeal in the same order
    (:func:`appeal_kernel`). On the day the plans are final no setting holds
    more than ``max(its roll, capacity + floor(over_capacity_tolerance *
    capacity))``, after appeals no more than the same with the larger of the
    two tolerances, and settings that need not admit never more than their
    free places. O(N K + M).

    Examples
    --------
    >>> import sendalloc as sa
    >>> inst = sa.load_scenario("london_borough").sample(1)
    >>> out = sa.status_quo.place(inst, rng=2)
    >>> out
    StatusQuoOutcome(children=..., granted=..., refused=..., ...)
    >>> bool((out.day[out.granted] == out.requested[out.granted]).all())
    True
    >>> bool((out.final[out.won] == out.requested[out.won]).all())
    True

    Nobody is refused when refusal never happens and tolerance is unlimited,
    except at settings that need not admit beyond their free places:

    >>> never = sa.scenario.StatusQuoSpec(refusal_at_full=0.0,
    ...     over_capacity_tolerance=100.0, must_admit_kinds=sa.population.KINDS,
    ...     specialist_post16_must_admit=True)
    >>> out = sa.status_quo.place(inst, rng=2, params=never)
    >>> bool((out.day == out.requested).all())
    True
    """
    if params is None:
        params = getattr(instance, "status_quo", None) or StatusQuoSpec()
    if not isinstance(params, StatusQuoSpec):
        raise TypeError(
            f"params: expected a StatusQuoSpec, got {type(params).__name__}"
        )
    g = as_generator(rng)
    a = prepare(instance, params)
    n = a.wish.shape[0]
    u = g.random((n, 3))
    free, over_used = a.free.copy(), a.over_used.copy()
    placed = np.full(n, -1, dtype=np.int64)
    outcome = np.zeros(n, dtype=np.int8)
    over = np.zeros(n, dtype=np.bool_)
    appealed = np.zeros(n, dtype=np.bool_)
    request_kernel(
        a.order,
        a.wish,
        a.lists,
        a.list_cost,
        a.wish_cost,
        a.need,
        a.kind,
        a.capacity,
        a.base,
        a.room,
        a.taste,
        a.params,
        u,
        free,
        over_used,
        placed,
        outcome,
        over,
        appealed,
    )
    day = placed.copy()
    over_day = over.copy()
    tribunal = np.zeros(n, dtype=np.int8)
    appellants = a.order[appealed[a.order]]
    appeal_kernel(
        appellants,
        a.wish,
        a.capacity,
        a.base,
        a.tribunal_room,
        a.params,
        u,
        free,
        over_used,
        placed,
        over,
        tribunal,
    )
    plan_day = np.asarray(instance.children.plan_day, dtype=np.int64)
    decided = np.where(appealed, plan_day + round(params.appeal_days), -1)
    return StatusQuoOutcome(
        requested=_frozen(a.wish, np.int32),
        day=_frozen(day, np.int32),
        final=_frozen(placed, np.int32),
        request=_frozen(outcome, np.int8),
        over_capacity_on_day=_frozen(over_day, np.bool_),
        over_capacity=_frozen(over, np.bool_),
        appealed=_frozen(appealed, np.bool_),
        tribunal=_frozen(tribunal, np.int8),
        decision_day=_frozen(decided, np.int32),
    )
