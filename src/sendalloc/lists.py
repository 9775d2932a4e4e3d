"""Tailored lists: which settings the LA lists for each child, and in what order.

A setting goes on child ``i``'s list when it can meet the child's need, takes
the child's age, is within the travel limit, and is a kind the rules allow;
the LA then keeps the first ``max_length`` in its own order (nearest first or
cheapest first). Everything is computed on (N, M) arrays at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from sendalloc._keys import KeyRange, check_ranges
from sendalloc.population import (
    KINDS,
    PHASES,
    Children,
    Settings,
    bad,
)

__all__ = [
    "LIST_ORDERS",
    "ListRules",
    "candidates",
    "distance_matrix",
    "eligibility",
    "tailored_lists",
]

LIST_ORDERS: tuple[str, ...] = ("nearest", "cheapest")
"""The LA's orders within a list: nearest first, or cheapest first (then nearest)."""

_MAINSTREAM = KINDS.index("mainstream")
_POST16 = KINDS.index("post16")
_AP = KINDS.index("alternative_provision")
_ISS = KINDS.index("independent_special")


def _range(**kw: Any) -> dict[str, KeyRange]:
    """Field metadata: the key's valid values (see sendalloc._keys)."""
    return {"range": KeyRange(**kw)}


@dataclass(frozen=True, slots=True)
class ListRules:
    """The LA's rules for building tailored lists.

    Parameters
    ----------
    max_length : int, default 5
        Most settings on a list. Five is the only figure quoted (source
        ``php-law-2022-five-placements``, unverified).
    travel_minutes_primary, travel_minutes_secondary : float, default 45, 75
        Longest journey each way for the primary (and early-years) and the
        secondary (and post-16) phase (sources ``slough-htst-journey-primary``
        and ``slough-htst-journey-secondary``).
    speed_kmh : float, default 30
        Straight-line km covered per hour of travel, converting minutes to km.
        An assumption (no source gives a door-to-door speed).
    include_independent : bool, default True
        Whether independent special schools may be listed (PQ 6840: lists "may
        still include ... independent or out of borough provision").
    include_out_of_area : bool, default True
        Whether settings outside the LA may be listed.
    include_alternative_provision : bool, default False
        Whether AP may be listed (it is not a placement chosen to meet a need).
    mainstream_for_specialist : bool, default False
        Whether mainstream settings are also listed for children who need
        specialist provision (the presumption of mainstream read strictly).
    order : {"nearest", "cheapest"}, default "nearest"
        The LA's order within a list.

    Examples
    --------
    >>> from sendalloc.lists import ListRules
    >>> r = ListRules(speed_kmh=24.0)
    >>> r.travel_limit_km
    array([18., 18., 30., 30.])
    >>> ListRules(max_length=0)
    Traceback (most recent call last):
    ...
    sendalloc.population.KeyedError: max_length = 0: expected an integer >= 1
    """

    max_length: int = field(
        default=5,
        metadata=_range(low=1, high=50, doc="Most settings on a list."),
    )
    travel_minutes_primary: float = field(
        default=45.0,
        metadata=_range(
            low=0.0,
            high=600.0,
            low_open=True,
            doc="Longest journey each way, primary and early years, minutes.",
        ),
    )
    travel_minutes_secondary: float = field(
        default=75.0,
        metadata=_range(
            low=0.0,
            high=600.0,
            low_open=True,
            doc="Longest journey each way, secondary and post-16, minutes.",
        ),
    )
    speed_kmh: float = field(
        default=30.0,
        metadata=_range(
            low=0.0,
            high=200.0,
            low_open=True,
            doc="Straight-line km covered per hour of travel.",
        ),
    )
    include_independent: bool = field(
        default=True, metadata=_range(doc="Independent special schools may be listed.")
    )
    include_out_of_area: bool = field(
        default=True, metadata=_range(doc="Settings outside the LA may be listed.")
    )
    include_alternative_provision: bool = field(
        default=False, metadata=_range(doc="Alternative provision may be listed.")
    )
    mainstream_for_specialist: bool = field(
        default=False,
        metadata=_range(
            doc="Mainstream settings are also listed for children needing "
            "specialist provision."
        ),
    )
    order: Literal["nearest", "cheapest"] = field(
        default="nearest",
        metadata=_range(choices=LIST_ORDERS, doc="The LA's order within a list."),
    )

    def __post_init__(self) -> None:
        if not isinstance(self.max_length, int) or isinstance(self.max_length, bool):
            raise bad("max_length", self.max_length, "expected an integer >= 1")
        if self.max_length < 1:
            raise bad("max_length", self.max_length, "expected an integer >= 1")
        for key in ("travel_minutes_primary", "travel_minutes_secondary", "speed_kmh"):
            v = getattr(self, key)
            if isinstance(v, bool) or not isinstance(v, int | float) or not v > 0:
                raise bad(key, v, "expected a number > 0")
        for key in (
            "include_independent",
            "include_out_of_area",
            "include_alternative_provision",
            "mainstream_for_specialist",
        ):
            if not isinstance(getattr(self, key), bool):
                raise bad(key, getattr(self, key), "expected true or false")
        if self.order not in LIST_ORDERS:
            raise bad("order", self.order, f"expected one of {', '.join(LIST_ORDERS)}")
        check_ranges(self)

    @property
    def travel_limit_km(self) -> NDArray[np.float64]:
        """Longest straight-line distance by phase (:data:`PHASES` order), km."""
        mins = np.array(
            [self.travel_minutes_primary] * 2 + [self.travel_minutes_secondary] * 2
        )
        assert mins.shape == (len(PHASES),)
        return np.asarray(mins / 60.0 * self.speed_kmh, dtype=np.float64)


def distance_matrix(children: Children, settings: Settings) -> NDArray[np.float64]:
    """Straight-line distance from each child's home to each setting, km.

    Returns
    -------
    ndarray of float64, shape (N, M)

    Examples
    --------
    >>> from sendalloc import Children, Settings
    >>> from sendalloc.lists import distance_matrix
    >>> s = Settings.from_columns(id=["a"], kind=["special"], min_age=[4],
    ...     max_age=[18], capacity=[10], x_km=[3.0], y_km=[4.0])
    >>> c = Children.from_columns(id=["x"], need=["ASD"], age=[7], x_km=[0.0],
    ...     y_km=[0.0], plan_day=[1], severity=[0.5])
    >>> distance_matrix(c, s)
    array([[5.]])
    """
    dx = np.subtract.outer(children.x_km, settings.x_km)
    dy = np.subtract.outer(children.y_km, settings.y_km)
    np.multiply(dx, dx, out=dx)
    np.multiply(dy, dy, out=dy)
    dx += dy
    return np.sqrt(dx, out=dx)


def _meets_need_and_age(children: Children, settings: Settings) -> NDArray[np.bool_]:
    designated = np.asarray(settings.needs.any(axis=1))
    need_ok = settings.needs.T[children.need] | ~designated[None, :]
    age = children.age[:, None]
    return np.asarray(
        need_ok
        & (settings.min_age[None, :] <= age)
        & (age <= settings.max_age[None, :])
    )


def eligibility(
    children: Children,
    settings: Settings,
    rules: ListRules,
    *,
    distance: NDArray[np.float64] | None = None,
) -> NDArray[np.bool_]:
    """Which settings may go on each child's list, before the length cap.

    Parameters
    ----------
    children : Children
    settings : Settings
    rules : ListRules
    distance : ndarray of float64, shape (N, M), optional
        From :func:`distance_matrix`, if already computed.

    Returns
    -------
    ndarray of bool, shape (N, M)

    Notes
    -----
    Setting ``j`` is eligible for child ``i`` when all of these hold:

    * need: ``j`` is designated for the child's primary need, or has no
      designation (takes any need);
    * age: ``min_age[j] <= age[i] <= max_age[j]``;
    * kind: a child who needs specialist provision gets specialist settings
      (:attr:`Settings.specialist`), plus general ones (mainstream and general
      post-16) if ``mainstream_for_specialist``; any other child gets general
      settings only; AP only if ``include_alternative_provision``;
      independent special schools only if ``include_independent``;
      out-of-area settings only if ``include_out_of_area``;
    * travel: distance at most :attr:`ListRules.travel_limit_km` for the phase.

    Cost O(N M).
    """
    d = distance_matrix(children, settings) if distance is None else distance
    ok = _meets_need_and_age(children, settings)
    spec = settings.specialist
    general = (settings.kind == _MAINSTREAM) | ((settings.kind == _POST16) & ~spec)
    child_spec = children.specialist[:, None]
    if rules.mainstream_for_specialist:
        kind_ok = np.where(child_spec, (spec | general)[None, :], general[None, :])
    else:
        kind_ok = np.where(child_spec, spec[None, :], general[None, :])
    if rules.include_alternative_provision:
        kind_ok = kind_ok | (settings.kind == _AP)[None, :]
    allowed = np.ones(settings.n, dtype=np.bool_)
    if not rules.include_independent:
        allowed &= settings.kind != _ISS
    if not rules.include_out_of_area:
        allowed &= settings.in_area
    limit = rules.travel_limit_km[children.phase]
    return np.asarray(ok & kind_ok & allowed[None, :] & (d <= limit[:, None]))


def candidates(
    children: Children, settings: Settings, rules: ListRules
) -> NDArray[np.bool_]:
    """Settings a parent may wish for, on the list or not, shape (N, M).

    The settings that meet the child's need and age and are of a kind that
    suits them (the need and kind rules of :func:`eligibility`: parents are
    assumed to share the LA's judgement of whether specialist provision is
    needed), but anywhere, independent or not, with no travel limit and no
    length cap. These are the settings a parent could ask for under CFA 2014
    s38 (source ``cfa-2014-s38-request``); a favourite among them that is not on
    the list is an
    off-list request.
    """
    wide = ListRules(  # no travel limit: the distances passed below are all 0
        max_length=rules.max_length,
        travel_minutes_primary=600.0,
        travel_minutes_secondary=600.0,
        speed_kmh=rules.speed_kmh,
        include_alternative_provision=rules.include_alternative_provision,
        mainstream_for_specialist=rules.mainstream_for_specialist,
    )
    return eligibility(children, settings, wide, distance=np.zeros((children.n, 1)))


def _select(
    key: NDArray[np.int64], eligible: NDArray[np.bool_], k: int
) -> NDArray[np.int32]:
    """Per row, the indices of the ``k`` smallest eligible keys, in order.

    ``key`` holds non-negative integers. Each key is packed with its column
    index into one int64 (ties go to the lower index), so one vectorised
    ``np.sort`` of the rows does the work (faster than ``argpartition``).
    """
    n, m = key.shape
    k = min(k, m)
    if n == 0 or k == 0:
        return np.full((n, k), -1, dtype=np.int32)
    bits = max(1, int(m).bit_length())
    limit = np.int64(1) << np.int64(62 - bits)
    if key.size and int(key.max()) >= limit:
        raise ValueError("list keys too large to pack")  # pragma: no cover
    packed = (key << np.int64(bits)) | np.arange(m, dtype=np.int64)[None, :]
    sentinel = np.iinfo(np.int64).max
    packed[~eligible] = sentinel
    top = np.sort(packed, axis=1)[:, :k]
    mask = np.int64((1 << bits) - 1)
    return np.where(top == sentinel, -1, top & mask).astype(np.int32)


def _order_key(
    settings: Settings, distance: NDArray[np.float64], order: str
) -> NDArray[np.int64]:
    """Integer sort keys for the LA's order: metres, or cost level then metres."""
    metres = np.rint(distance * 1000.0).astype(np.int64)
    if order == "nearest":
        return metres
    level = np.unique(settings.cost, return_inverse=True)[1].astype(np.int64)
    span = int(metres.max()) + 1 if metres.size else 1
    return np.asarray(level[None, :] * span + metres)


def tailored_lists(
    children: Children,
    settings: Settings,
    rules: ListRules,
    *,
    distance: NDArray[np.float64] | None = None,
    eligible: NDArray[np.bool_] | None = None,
) -> NDArray[np.int32]:
    """Each child's tailored list, in the LA's order.

    Parameters
    ----------
    children : Children
    settings : Settings
    rules : ListRules
    distance : ndarray of float64, shape (N, M), optional
        From :func:`distance_matrix`, if already computed.
    eligible : ndarray of bool, shape (N, M), optional
        From :func:`eligibility`, if already computed.

    Returns
    -------
    ndarray of int32, shape (N, K)
        ``K = min(rules.max_length, M)``; row ``i`` holds setting indices in the
        LA's order (nearest first, or cheapest first with ties nearest first),
        padded with -1. A row of -1 means nothing can meet the need within the
        rules.

    Notes
    -----
    O(N M) with ``argpartition``: no per-child loop.

    Examples
    --------
    >>> from sendalloc import Children, Settings
    >>> from sendalloc.lists import ListRules, tailored_lists
    >>> s = Settings.from_columns(
    ...     id=["far", "near", "asd", "main"],
    ...     kind=["special", "special", "special", "mainstream"],
    ...     needs=[[], [], ["ASD"], []], min_age=[4] * 4, max_age=[18] * 4,
    ...     capacity=[100] * 4, x_km=[20.0, 2.0, 1.0, 0.5], y_km=[0.0] * 4,
    ... )
    >>> c = Children.from_columns(
    ...     id=["amy", "ben", "cat"], need=["SEMH", "ASD", "SEMH"], age=[11] * 3,
    ...     x_km=[0.0] * 3, y_km=[0.0] * 3, plan_day=[1] * 3,
    ...     severity=[0.9, 0.9, 0.1], specialist=[True, True, False],
    ... )
    >>> tailored_lists(c, s, ListRules(max_length=3))
    array([[ 1,  0, -1],
           [ 2,  1,  0],
           [ 3, -1, -1]], dtype=int32)
    """
    d = distance_matrix(children, settings) if distance is None else distance
    ok = (
        eligibility(children, settings, rules, distance=d)
        if eligible is None
        else eligible
    )
    return _select(_order_key(settings, d, rules.order), ok, rules.max_length)


# ------------------------------------------------------------- sparse sample path
@dataclass(frozen=True, slots=True, eq=False)
class Pairs:
    """Each child's candidate settings (:func:`candidates`) as flat pairs.

    Pairs are in row-major order: child ``i`` owns ``start[i]:start[i + 1]``,
    its settings ascending, exactly the order of ``np.nonzero(candidates(...))``.
    ``distance`` is bit-for-bit :func:`distance_matrix` at the pairs and
    ``eligible`` is :func:`eligibility` there (eligible settings are always
    candidates). Used by :meth:`sendalloc.Scenario.sample`, which then touches
    only the pairs (about a fifth of the (N, M) matrix in the presets) instead
    of every (child, setting) entry.
    """

    count: NDArray[np.int64]  # (N,)
    start: NDArray[np.int64]  # (N + 1,)
    row: NDArray[np.intp]  # (P,)
    col: NDArray[np.intp]  # (P,)
    distance: NDArray[np.float64]  # (P,)
    eligible: NDArray[np.bool_]  # (P,)


def _kind_table(settings: Settings, rules: ListRules) -> NDArray[np.bool_]:
    """Kind rule of :func:`eligibility` by child: row 0 general, row 1 specialist."""
    spec = settings.specialist
    general = (settings.kind == _MAINSTREAM) | ((settings.kind == _POST16) & ~spec)
    table = np.stack(
        [general, (spec | general) if rules.mainstream_for_specialist else spec]
    )
    if rules.include_alternative_provision:
        table |= (settings.kind == _AP)[None, :]
    return table


def candidate_pairs(children: Children, settings: Settings, rules: ListRules) -> Pairs:
    """The candidate pairs, their distances and eligibility, without (N, M) arrays.

    Candidacy depends on the child only through (need, age, specialist), so it
    is worked out once per such type present and expanded to the children.
    Every value equals the dense functions' at the same entry: the same
    elementwise float64 operations run on fewer entries.

    Examples
    --------
    >>> import numpy as np
    >>> import sendalloc as sa
    >>> from sendalloc.lists import (ListRules, candidate_pairs, candidates,
    ...     distance_matrix, eligibility)
    >>> sc = sa.load_scenario("london_borough")
    >>> g = np.random.default_rng(3)
    >>> st = sc.settings()
    >>> ch = sc.sample(g).children
    >>> rules = ListRules(include_independent=False, include_out_of_area=False)
    >>> p = candidate_pairs(ch, st, rules)
    >>> d = distance_matrix(ch, st)
    >>> rows, cols = np.nonzero(candidates(ch, st, rules))
    >>> bool((p.row == rows).all() and (p.col == cols).all())
    True
    >>> bool((p.distance == d[rows, cols]).all())
    True
    >>> bool((p.eligible == eligibility(ch, st, rules, distance=d)[rows, cols]).all())
    True
    """
    n, m = children.n, settings.n
    need = children.need.astype(np.int64)
    age = children.age.astype(np.int64)
    spec = children.specialist.astype(np.int64)
    if n:
        lo = int(age.min())
        key = (need * (int(age.max()) - lo + 1) + (age - lo)) * 2 + spec
        _, first, inv = np.unique(key, return_index=True, return_inverse=True)
    else:
        first = inv = np.zeros(0, dtype=np.intp)
    t_age = age[first][:, None]
    designated = np.asarray(settings.needs.any(axis=1))
    tmask = settings.needs.T[need[first]] | ~designated[None, :]
    tmask &= settings.min_age[None, :] <= t_age
    tmask &= t_age <= settings.max_age[None, :]
    tmask &= _kind_table(settings, rules)[spec[first]]
    tcount = tmask.sum(axis=1, dtype=np.int64)
    tcol = np.nonzero(tmask)[1]
    tstart = np.zeros(tcount.shape[0] + 1, dtype=np.int64)
    np.cumsum(tcount, out=tstart[1:])
    count = tcount[inv]
    start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(count, out=start[1:])
    p = int(start[-1])
    row = np.repeat(np.arange(n, dtype=np.intp), count)
    src = np.arange(p, dtype=np.intp)
    src += np.repeat(tstart[:-1][inv] - start[:-1], count)
    col = tcol[src]
    # distance_matrix's operations, entry by entry
    dx = np.repeat(children.x_km, count)
    dx -= settings.x_km[col]
    dy = np.repeat(children.y_km, count)
    dy -= settings.y_km[col]
    np.multiply(dx, dx, out=dx)
    np.multiply(dy, dy, out=dy)
    dx += dy
    d = np.sqrt(dx, out=dx)
    limit = rules.travel_limit_km[children.phase]
    eligible = d <= np.repeat(limit, count)
    allowed = np.ones(m, dtype=np.bool_)
    if not rules.include_independent:
        allowed &= settings.kind != _ISS
    if not rules.include_out_of_area:
        allowed &= settings.in_area
    if not allowed.all():
        eligible &= allowed[col]
    return Pairs(count, start, row, col, d, eligible)


def select_pairs(
    pairs: Pairs, settings: Settings, order: str, k: int
) -> tuple[NDArray[np.int32], NDArray[np.intp]]:
    """Tailored lists from candidate pairs, as :func:`tailored_lists` gives them.

    Returns the lists, shape (N, min(k, M)), and the pair index of each listed
    entry (-1 at padding). The eligible pairs are sorted once by (child, key,
    setting), packed into one int64 when it fits (else by ``np.lexsort``), and
    each child's first ``k`` taken: the same order as :func:`_select` on
    :func:`_order_key` (nearest: metres; cheapest: cost level, then metres;
    ties to the lower setting).

    Examples
    --------
    >>> import numpy as np
    >>> import sendalloc as sa
    >>> from sendalloc.lists import (ListRules, candidate_pairs, select_pairs,
    ...     tailored_lists)
    >>> sc = sa.load_scenario("london_borough")
    >>> st = sc.settings()
    >>> ch = sc.sample(5).children
    >>> for order in ("nearest", "cheapest"):
    ...     r = ListRules(max_length=4, order=order)
    ...     got, at = select_pairs(candidate_pairs(ch, st, r), st, order, 4)
    ...     print(bool((got == tailored_lists(ch, st, r)).all()))
    True
    True
    """
    n, m = pairs.count.shape[0], settings.n
    k = min(k, m)
    ei = np.flatnonzero(pairs.eligible)
    if n == 0 or k == 0 or ei.size == 0:
        return np.full((n, k), -1, dtype=np.int32), np.full((n, k), -1, dtype=np.intp)
    erow = pairs.row[ei]
    ecount = np.bincount(erow, minlength=n)
    estart = np.zeros(n, dtype=np.intp)
    np.cumsum(ecount[:-1], out=estart[1:])
    key = np.rint(pairs.distance[ei] * 1000.0).astype(np.int64)
    if order == "cheapest":
        level = np.unique(settings.cost, return_inverse=True)[1].astype(np.int64)
        key |= level[pairs.col[ei]] << np.int64(int(key.max()).bit_length())
    j = np.arange(k)
    has = j[None, :] < ecount[:, None]
    take = np.where(has, estart[:, None] + j[None, :], 0)
    kbits = int(key.max()).bit_length()
    pbits = int(ecount.max() - 1).bit_length()
    if int(n - 1).bit_length() + kbits + pbits <= 62 and int(key.min()) >= 0:
        # (child, key, position among the child's eligible pairs) in one int64
        packed = erow.astype(np.int64) << np.int64(kbits)
        packed |= key
        packed <<= np.int64(pbits)
        packed += np.arange(ei.size, dtype=np.int64)
        packed -= np.repeat(estart, ecount)
        ranked = np.sort(packed)[take] & np.int64((1 << pbits) - 1)
        ranked += estart[:, None]
    else:  # pragma: no cover - keys too wide to pack
        ranked = np.lexsort((key, erow))[take]
    at = ei[np.where(has, ranked, 0)]
    return np.where(has, pairs.col[at], -1).astype(np.int32), np.where(has, at, -1)
