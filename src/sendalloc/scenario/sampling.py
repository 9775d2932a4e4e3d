"""Sampling a scenario: the settings' layout, the children, and the Instance they make.

:class:`Instance` is one sampled round of placement decisions (what
:meth:`Scenario.sample <sendalloc.scenario.Scenario.sample>` returns), and
:func:`free_places` the places settings have free for it. :func:`layout` draws
(or reads) the settings and the towns; :func:`sample_children` draws the round's
children from the ``[population]`` section, or :func:`read_children_cached`
reads them from a ``[data]`` file.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sendalloc._arrays import largest_remainder
from sendalloc.errors import InvalidScenarioError
from sendalloc.io import read_children, read_gias
from sendalloc.population import KINDS, NEEDS, Children, Settings
from sendalloc.problem import Problem
from sendalloc.scenario.converters import normalised_weights
from sendalloc.scenario.sections import (
    DataSpec,
    GeographySpec,
    PopulationSpec,
    SettingGroup,
    StatusQuoSpec,
)

__all__ = [
    "Instance",
    "Layout",
    "free_places",
    "freeze",
    "layout",
    "read_children_cached",
    "sample_children",
    "staying_on_roll",
]

_N = len(NEEDS)


@dataclass(frozen=True, slots=True, eq=False)
class Instance:
    """One sampled round of placement decisions.

    Attributes
    ----------
    problem : Problem
        ``capacity`` = free places this round; ``preferences`` = parents'
        rankings (a subset of each child's list, in the parent's order);
        ``priority`` and ``order`` per the scenario's allocation rules. Setting
        indices are those of ``settings``, child indices those of ``children``.
    children : Children
    settings : Settings
    lists : ndarray of int32, shape (N, K)
        Tailored lists in the LA's order, -1 padded.
    wish : ndarray of int32, shape (N,)
        The parent's favourite setting overall (may be off the list), -1 if none.
    off_list_wish : ndarray of bool, shape (N,)
        The favourite is not on the list: the tribunal risk.
    distance_km : ndarray of float64, shape (N, K)
        Distance from each child to each listed setting (nan at padding).
    fallback : bool
        The scenario's LA-fallback switch (what happens to children with no
        listed place is decided by the simulation; default True in presets).
    transport_cost_per_km : float
        Annual home-to-school transport cost per km of one-way distance of a
        child the LA transports, GBP (from SEND transport costs per child
        transported: sources ``ccn-2024-county-send-transport-per-child``,
        ``isos-2024-send-transport-per-child``).
    transport_within_walking : float
        Share transported of the children placed at a specialist setting within
        the statutory walking distance; beyond it every such child is, and no
        child at a general setting is
        (:func:`sendalloc.metrics.transport_weight`).
    cross_border_share : ndarray of float64, shape (M,), or None
        Share of each setting's free places that other authorities' children
        take (:meth:`GeographySpec.taken_share
        <sendalloc.scenario.GeographySpec.taken_share>`); None: none.
    cross_border_taken : ndarray of int32, shape (M,), or None
        The places they took this round, ``Binomial(free, cross_border_share)``:
        ``problem.capacity`` is the free places less these.
    roll : ndarray of int64, shape (M,), optional
        Pupils on each setting's roll who stay into the round (on roll less
        expected leavers, :func:`staying_on_roll`): ``problem.capacity`` is
        ``max(0, settings.capacity - roll)`` less ``cross_border_taken``. May
        exceed the capacity. None in a stand-in instance: readers then take
        ``capacity - free places``.
    kind_taste : ndarray of float64, shape (len(NEEDS), len(KINDS)), optional
        The parents' taste for each kind of setting by the child's need (the
        scenario's preference model): what "a worse kind for them" means to
        today's process.
    status_quo : StatusQuoSpec
        The scenario's ``[status_quo]`` section: the parameters of today's
        statutory process (:mod:`sendalloc.status_quo`).
    """

    problem: Problem
    children: Children
    settings: Settings
    lists: NDArray[np.int32]
    wish: NDArray[np.int32]
    off_list_wish: NDArray[np.bool_]
    distance_km: NDArray[np.float64]
    fallback: bool
    transport_cost_per_km: float
    transport_within_walking: float = 0.5
    cross_border_share: NDArray[np.float64] | None = None
    cross_border_taken: NDArray[np.int32] | None = None
    roll: NDArray[np.int64] | None = None
    kind_taste: NDArray[np.float64] | None = None
    status_quo: StatusQuoSpec = field(default_factory=StatusQuoSpec)

    def __repr__(self) -> str:
        return (
            f"Instance(children={self.children.n}, settings={self.settings.n}, "
            f"free_places={int(self.problem.capacity.sum())}, "
            f"off_list_wishes={int(self.off_list_wish.sum())})"
        )


def staying_on_roll(
    settings: Settings, transfer_ages: tuple[int, ...] = (11, 16)
) -> NDArray[np.int64]:
    """Pupils on each roll who stay into the round: ``on_roll - leavers``.

    ``leavers`` are the expected leavers, ``round(on_roll * f)``: with pupils
    spread evenly over the setting's year groups, ``f`` is the share of its
    year groups that leave it or re-enter the round: the top year group, and
    each year group about to make a phase transfer (age ``a`` with ``a + 1`` in
    ``transfer_ages``), whose children are themselves in the round.

    Parameters
    ----------
    settings : Settings
    transfer_ages : tuple of int
        Ages at which children transfer phase.

    Returns
    -------
    ndarray of int64, shape (M,)

    Examples
    --------
    >>> from sendalloc import Settings
    >>> from sendalloc.scenario.sampling import staying_on_roll
    >>> s = Settings.from_columns(id=["p", "s"], kind=["special"] * 2,
    ...     min_age=[4, 11], max_age=[10, 15], capacity=[140, 100],
    ...     on_roll=[147, 90], x_km=[0.0] * 2, y_km=[0.0] * 2)
    >>> staying_on_roll(s)     # 147 - 21, 90 - 18
    array([126,  72])
    """
    ages = np.arange(26)
    lo, hi = settings.min_age[:, None], settings.max_age[:, None]
    inside = (ages >= lo) & (ages <= hi)
    leaving = (ages == hi) | np.isin(ages + 1, np.asarray(transfer_ages))[None, :]
    frac = (inside & leaving).sum(axis=1) / np.maximum(inside.sum(axis=1), 1)
    leavers = np.rint(settings.on_roll * frac)
    return np.asarray(settings.on_roll - leavers, dtype=np.int64)


def free_places(
    settings: Settings, transfer_ages: tuple[int, ...] = (11, 16)
) -> NDArray[np.int32]:
    """Free places for the round: ``max(0, capacity - on_roll + leavers)``.

    ``on_roll - leavers`` is :func:`staying_on_roll`: the pupils who stay.

    Parameters
    ----------
    settings : Settings
    transfer_ages : tuple of int
        Ages at which children transfer phase.

    Returns
    -------
    ndarray of int32, shape (M,)

    Examples
    --------
    >>> from sendalloc import Settings
    >>> from sendalloc.scenario import free_places
    >>> s = Settings.from_columns(id=["p", "s", "x"], kind=["special"] * 3,
    ...     min_age=[4, 11, 4], max_age=[10, 15, 18], capacity=[140, 100, 150],
    ...     on_roll=[147, 90, 200], x_km=[0.0] * 3, y_km=[0.0] * 3)
    >>> free_places(s)     # 140-147+21, 100-90+18, max(0, 150-200+40)
    array([14, 28,  0], dtype=int32)
    """
    free = settings.capacity.astype(np.int64) - staying_on_roll(settings, transfer_ages)
    return np.asarray(np.maximum(free, 0), dtype=np.int32)


def _largest_remainder(weights: NDArray[np.float64], n: int) -> NDArray[np.int64]:
    return largest_remainder(weights * n, n)


@dataclass(frozen=True, slots=True, eq=False)
class Layout:
    """The settings of a sample, their free places, and the towns children live near."""

    settings: Settings
    free: NDArray[np.int32]
    towns: NDArray[np.float64]  # (T, 2)
    town_weights: NDArray[np.float64]


def _towns(
    geo: GeographySpec, rng: np.random.Generator
) -> tuple[NDArray[Any], NDArray[Any]]:
    h = geo.half_width_km
    xy = np.asarray(geo.centre_km) + rng.uniform(-0.8 * h, 0.8 * h, size=(geo.towns, 2))
    w = rng.dirichlet(np.full(geo.towns, 2.0))
    return xy, w


def _points(
    n: int,
    geo: GeographySpec,
    towns: NDArray[Any],
    tw: NDArray[Any],
    rural: NDArray[np.bool_] | float,
    rng: np.random.Generator,
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Points in the LA: around a town, or uniform where ``rural``.

    Returns the points, shape (n, 2), and which were placed uniformly: drawn
    with probability ``rural`` when it is a number, else ``rural`` itself.
    """
    h = geo.half_width_km
    centre = np.asarray(geo.centre_km)
    t = rng.choice(len(tw), size=n, p=tw)
    xy = towns[t] + rng.normal(0.0, geo.town_sd_km, size=(n, 2))
    uni = centre + rng.uniform(-h, h, size=(n, 2))
    is_rural = rng.random(n) < rural if isinstance(rural, float) else rural
    xy = np.where(is_rural[:, None], uni, xy)
    return np.asarray(np.clip(xy, centre - h, centre + h)), np.asarray(is_rural)


def _ring(n: int, geo: GeographySpec, rng: np.random.Generator) -> NDArray[np.float64]:
    """Points in the band just outside the LA's square (out-of-area settings)."""
    h = geo.half_width_km
    r = h + rng.uniform(0.0, max(geo.out_of_area_ring_km, 1e-9), size=n)
    t = rng.uniform(-1.0, 1.0, size=n) * r
    side = rng.integers(0, 4, size=n)
    x = np.select([side == 0, side == 1], [r, -r], t)
    y = np.select([side == 2, side == 3], [r, -r], t)
    return np.asarray(np.column_stack([x, y]) + np.asarray(geo.centre_km))


def _generate_layout(
    geo: GeographySpec,
    groups: tuple[tuple[str, SettingGroup], ...],
    transfer_ages: tuple[int, ...],
    rng: np.random.Generator,
) -> Layout:
    towns, tw = _towns(geo, rng)
    cols: dict[str, list[Any]] = {
        k: []
        for k in (
            "id",
            "name",
            "kind",
            "needs",
            "min_age",
            "max_age",
            "capacity",
            "on_roll",
            "x_km",
            "y_km",
            "cost",
            "in_area",
            "quality",
        )
    }
    for key, g in groups:
        c = g.count
        if c == 0:
            continue
        n_in = round(c * g.in_area_share)
        inside = np.zeros(c, dtype=np.bool_)
        inside[:n_in] = True
        xy = np.empty((c, 2))
        xy[:n_in] = _points(n_in, geo, towns, tw, 0.0 if g.near_towns else 1.0, rng)[0]
        xy[n_in:] = _ring(c - n_in, geo, rng)
        cap0 = rng.integers(g.capacity[0], g.capacity[1] + 1, size=c)
        fill = np.maximum(rng.normal(g.fill_mean, g.fill_sd, size=c), 0.0)
        roll = np.rint(cap0 * fill).astype(np.int64)
        cap = np.rint(cap0 * (1.0 + g.capacity_growth)).astype(np.int64)
        age_i = rng.permutation(
            np.repeat(
                np.arange(len(g.ages)),
                _largest_remainder(
                    normalised_weights(g.age_weights, len(g.ages), "age_weights"), c
                ),
            )
        )
        need_i = rng.permutation(
            np.repeat(
                np.arange(len(g.needs)),
                _largest_remainder(
                    normalised_weights(g.needs_weights, len(g.needs), "needs_weights"),
                    c,
                ),
            )
        )
        profiles = np.zeros((len(g.needs), _N), dtype=np.bool_)
        for p, codes in enumerate(g.needs):
            profiles[p, [NEEDS.index(x) for x in codes]] = True
        ages = np.asarray(g.ages)
        s = g.cost_sd
        cost = (
            g.cost * rng.lognormal(-0.5 * s * s, s, size=c)
            if s > 0
            else np.full(c, g.cost)
        )
        label = g.label or key.replace("_", " ")
        cols["id"] += [f"{key}-{i + 1:03d}" for i in range(c)]
        cols["name"] += [f"{label} {i + 1}" for i in range(c)]
        cols["kind"].append(np.full(c, KINDS.index(g.kind)))
        cols["needs"].append(profiles[need_i])
        cols["min_age"].append(ages[age_i, 0])
        cols["max_age"].append(ages[age_i, 1])
        cols["capacity"].append(cap)
        cols["on_roll"].append(roll)
        cols["x_km"].append(xy[:, 0])
        cols["y_km"].append(xy[:, 1])
        cols["cost"].append(cost)
        cols["in_area"].append(inside)
        cols["quality"].append(rng.normal(0.0, g.quality_sd, size=c))
    if not cols["id"]:
        raise InvalidScenarioError(
            "the scenario generates no settings (every setting group has count = 0)"
        )
    arr = {k: np.concatenate(v) for k, v in cols.items() if k not in ("id", "name")}
    settings = Settings.from_columns(
        id=cols["id"],
        name=cols["name"],
        kind=arr["kind"].astype(np.int8),
        needs=np.concatenate(cols["needs"]),
        min_age=arr["min_age"],
        max_age=arr["max_age"],
        capacity=arr["capacity"],
        on_roll=arr["on_roll"],
        x_km=arr["x_km"],
        y_km=arr["y_km"],
        cost=arr["cost"],
        in_area=arr["in_area"],
        quality=arr["quality"],
    )
    return Layout(settings, freeze(free_places(settings, transfer_ages)), towns, tw)


def freeze(a: NDArray[Any]) -> NDArray[Any]:
    """``a``, made read-only in place."""
    a.flags.writeable = False
    return a


@functools.lru_cache(maxsize=64)
def _cached_layout(
    geo: GeographySpec,
    groups: tuple[tuple[str, SettingGroup], ...],
    transfer_ages: tuple[int, ...],
    data: DataSpec | None,
    base_dir: str,
) -> Layout:
    rng = np.random.default_rng(geo.layout_seed)
    return _layout_from(geo, groups, transfer_ages, data, base_dir, rng)


def _layout_from(
    geo: GeographySpec,
    groups: tuple[tuple[str, SettingGroup], ...],
    transfer_ages: tuple[int, ...],
    data: DataSpec | None,
    base_dir: str,
    rng: np.random.Generator,
) -> Layout:
    if data is not None and data.settings:
        settings = read_gias(
            Path(base_dir, data.settings),
            la_codes=data.la_codes or None,
            neighbour_la_codes=data.neighbour_la_codes or None,
        )
        towns, tw = _towns(geo, rng)
        return Layout(settings, freeze(free_places(settings, transfer_ages)), towns, tw)
    return _generate_layout(geo, groups, transfer_ages, rng)


def layout(
    geo: GeographySpec,
    groups: tuple[tuple[str, SettingGroup], ...],
    transfer_ages: tuple[int, ...],
    data: DataSpec | None,
    base_dir: str,
    rng: np.random.Generator,
) -> Layout:
    """The settings (generated or read from ``[data]``), free places and towns.

    With ``geo.layout_seed`` set, the same layout for every sample (drawn from
    that seed once and cached; ``rng`` is not drawn from); otherwise drawn
    from ``rng``.
    """
    if geo.layout_seed is not None:
        return _cached_layout(geo, groups, transfer_ages, data, base_dir)
    return _layout_from(geo, groups, transfer_ages, data, base_dir, rng)


def _logit_shift(target: float, weights: NDArray[Any], odds: NDArray[Any]) -> float:
    """Intercept ``a`` with ``sum(weights * expit(a + odds)) == target`` (bisection)."""
    lo, hi = -40.0, 40.0
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if float(weights @ (1.0 / (1.0 + np.exp(-(mid + odds))))) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


@dataclass(frozen=True, slots=True, eq=False)
class _PopTables:
    new_ages: NDArray[np.int64]
    new_age_p: NDArray[np.float64]
    cdf: NDArray[np.float64]  # (2, 13): caseload mix, mix of older new plans
    p_specialist: NDArray[np.float64]  # (2, 13): new plans, transfers
    transfer_p: NDArray[np.float64]


@functools.lru_cache(maxsize=64)
def _pop_tables(pop: PopulationSpec) -> _PopTables:
    ages, p = [], []
    w = normalised_weights(
        tuple(b[2] for b in pop.new_plan_age_bands), len(pop.new_plan_age_bands), ""
    )
    for (lo, hi, _), wb in zip(pop.new_plan_age_bands, w, strict=True):
        span = np.arange(int(lo), int(hi) + 1)
        ages.append(span)
        p.append(np.full(span.size, wb / span.size))
    new_ages, new_p = np.concatenate(ages), np.concatenate(p)
    mix = normalised_weights(pop.need_mix, _N, "need_mix")
    older = (
        normalised_weights(pop.need_mix_new_older, _N, "")
        if pop.need_mix_new_older
        else mix
    )
    frac_older = float(new_p[new_ages >= pop.new_older_from_age].sum())
    mix_new = (1 - frac_older) * mix + frac_older * older
    odds = np.asarray(pop.specialist_log_odds)
    share_new, share_tr = pop.specialist_need()
    a_new = _logit_shift(share_new, mix_new, odds)
    a_tr = _logit_shift(share_tr, mix, odds)
    ps = 1.0 / (1.0 + np.exp(-(np.array([[a_new], [a_tr]]) + odds[None, :])))
    cdf = np.cumsum(np.vstack([mix, older]), axis=1)
    cdf[:, -1] = 1.0
    tw = normalised_weights(
        pop.transfer_weights, len(pop.transfer_ages), "transfer_weights"
    )
    return _PopTables(new_ages, new_p / new_p.sum(), cdf, ps, tw)


def sample_children(
    pop: PopulationSpec, geo: GeographySpec, lay: Layout, rng: np.random.Generator
) -> Children:
    """The children of one round: new plans and phase transfers (``[population]``)."""
    t = _pop_tables(pop)
    n_new = int(rng.poisson(pop.plans * pop.new_plan_rate))
    n_tr = int(rng.poisson(pop.plans * pop.school_age_share * pop.transfer_share))
    n = n_new + n_tr
    transfer = np.zeros(n, dtype=np.bool_)
    transfer[n_new:] = True
    age = np.empty(n, dtype=np.int64)
    age[:n_new] = rng.choice(t.new_ages, size=n_new, p=t.new_age_p)
    tr_i = rng.choice(len(pop.transfer_ages), size=n_tr, p=t.transfer_p)
    age[n_new:] = np.asarray(pop.transfer_ages)[tr_i]
    day = np.empty(n, dtype=np.int64)
    day[:n_new] = rng.integers(1, 366, size=n_new)
    day[n_new:] = np.asarray(pop.transfer_days)[tr_i]
    mix_row = (~transfer & (age >= pop.new_older_from_age)).astype(np.int64)
    need = (rng.random(n)[:, None] > t.cdf[mix_row]).sum(axis=1)
    need = np.minimum(need, _N - 1)
    severity = rng.random(n)
    specialist = severity >= 1.0 - t.p_specialist[transfer.astype(np.int64), need]
    xy, rural = _points(n, geo, lay.towns, lay.town_weights, geo.rural_share, rng)
    ids = _child_ids(n)
    return Children._trusted(
        ids,
        need,
        age,
        xy[:, 0],
        xy[:, 1],
        day,
        severity,
        specialist,
        transfer,
        rural=rural,
    )


_CHILD_IDS: list[tuple[str, ...]] = [()]


def _child_ids(n: int) -> tuple[str, ...]:
    """``("c00000", "c00001", ...)``, length ``n``: a slice of one growing pool."""
    pool = _CHILD_IDS[0]
    if len(pool) < n:
        pool = tuple(f"c{i:05d}" for i in range(max(n, 2 * len(pool), 1024)))
        _CHILD_IDS[0] = pool
    return pool[:n]


@functools.lru_cache(maxsize=16)
def read_children_cached(path: str) -> Children:
    """:func:`~sendalloc.io.read_children` of ``path``, read once per path."""
    return read_children(path)
