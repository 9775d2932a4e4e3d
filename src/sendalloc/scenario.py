"""Scenarios: a frozen specification, read from TOML, that samples instances.

A :class:`Scenario` describes one local authority: how many plans it has, who
needs a placement decision this round, where children live, which settings
exist (as generated *groups* or a GIAS file), the tailored-list rules, how
parents rank and how the LA processes children. :meth:`Scenario.sample` draws
one round of decisions and returns an :class:`Instance` whose ``problem`` any
mechanism can solve. The shipped presets live in ``sendalloc/scenarios/``; see
``docs/modelling.md`` for every modelling choice and its source.
"""

from __future__ import annotations

import functools
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sendalloc._arrays import largest_remainder
from sendalloc._arrays import plain as _plain
from sendalloc.errors import InvalidScenarioError
from sendalloc.io import read_children, read_gias
from sendalloc.lists import ListRules
from sendalloc.lists import candidate_pairs as _candidate_pairs
from sendalloc.lists import select_pairs as _select_pairs
from sendalloc.population import KINDS, NEEDS, Children, Settings
from sendalloc.population import KeyedError as _KeyedError
from sendalloc.population import bad as _bad
from sendalloc.preferences import (
    ORDERS,
    PRIORITIES,
    PreferenceModel,
    priority_classes,
    processing_order,
    setting_priority,
)
from sendalloc.preferences import draw_on_pairs as _draw_on_pairs
from sendalloc.problem import Problem
from sendalloc.ties import break_ties

__all__ = [
    "AllocationSpec",
    "CapacityPlan",
    "DataSpec",
    "DynamicsSpec",
    "GeographySpec",
    "Instance",
    "PopulationSpec",
    "PreferencesSpec",
    "Scenario",
    "SettingGroup",
    "free_places",
    "list_scenarios",
    "load_scenario",
]

_N = len(NEEDS)


# --------------------------------------------------------------------------- converters
def _num(v: Any, key: str) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not np.isfinite(v):
        raise _bad(key, v, "expected a finite number")
    return float(v)


def _int(v: Any, key: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise _bad(key, v, "expected an integer")
    return int(v)


def _boolean(v: Any, key: str) -> bool:
    if not isinstance(v, bool):
        raise _bad(key, v, "expected true or false")
    return v


def _string(v: Any, key: str) -> str:
    if not isinstance(v, str):
        raise _bad(key, v, "expected a string")
    return v


def _seq(v: Any, key: str) -> list[Any]:
    if isinstance(v, str | bytes | Mapping) or not isinstance(v, list | tuple):
        raise _bad(key, v, "expected an array")
    return list(v)


def _floats(v: Any, key: str) -> tuple[float, ...]:
    return tuple(_num(x, f"{key}.{i}") for i, x in enumerate(_seq(v, key)))


def _ints(v: Any, key: str) -> tuple[int, ...]:
    return tuple(_int(x, f"{key}.{i}") for i, x in enumerate(_seq(v, key)))


def _int_pairs(v: Any, key: str) -> tuple[tuple[int, ...], ...]:
    out = tuple(_ints(x, f"{key}.{i}") for i, x in enumerate(_seq(v, key)))
    for i, p in enumerate(out):
        if len(p) != 2:
            raise _bad(f"{key}.{i}", list(p), "expected [low, high]")
    return out


def _bands(v: Any, key: str) -> tuple[tuple[float, ...], ...]:
    out = tuple(_floats(x, f"{key}.{i}") for i, x in enumerate(_seq(v, key)))
    for i, b in enumerate(out):
        if len(b) != 3 or b[0] != int(b[0]) or b[1] != int(b[1]) or b[1] < b[0]:
            raise _bad(f"{key}.{i}", list(b), "expected [first age, last age, weight]")
    return out


def _need_map(v: Any, key: str) -> tuple[float, ...]:
    if not isinstance(v, Mapping):
        raise _bad(key, v, "expected a table of need code = number")
    out = [0.0] * _N
    for code, x in v.items():
        if code not in NEEDS:
            raise _bad(
                f"{key}.{code}", x, f"unknown need code; expected {', '.join(NEEDS)}"
            )
        out[NEEDS.index(code)] = _num(x, f"{key}.{code}")
    return tuple(out)


def _enc_need_map(t: tuple[float, ...]) -> dict[str, float]:
    return {c: v for c, v in zip(NEEDS, t, strict=True) if v != 0}


def _profiles(v: Any, key: str) -> tuple[tuple[str, ...], ...]:
    out = []
    for i, row in enumerate(_seq(v, key)):
        codes = tuple(
            _string(c, f"{key}.{i}.{j}") for j, c in enumerate(_seq(row, f"{key}.{i}"))
        )
        for j, c in enumerate(codes):
            if c not in NEEDS:
                raise _bad(f"{key}.{i}.{j}", c, f"unknown need code; expected {NEEDS}")
        out.append(codes)
    return tuple(out)


def _taste(v: Any, key: str) -> tuple[tuple[str, float], ...]:
    if not isinstance(v, Mapping):
        raise _bad(key, v, "expected a table of kind = number")
    for k in v:
        if k not in KINDS:
            raise _bad(f"{key}.{k}", v[k], f"unknown kind; expected one of {KINDS}")
    return tuple((str(k), _num(x, f"{key}.{k}")) for k, x in v.items())


def _need_taste(
    v: Any, key: str
) -> tuple[tuple[str, tuple[tuple[str, float], ...]], ...]:
    if not isinstance(v, Mapping):
        raise _bad(key, v, "expected a table of need code = {kind = number}")
    for c in v:
        if c not in NEEDS:
            raise _bad(f"{key}.{c}", v[c], f"unknown need code; expected {NEEDS}")
    return tuple((str(c), _taste(x, f"{key}.{c}")) for c, x in v.items())


def _spec(
    conv: Callable[[Any, str], Any], enc: Callable[[Any], Any] | None = None
) -> Any:
    return {"conv": conv, "enc": enc}


def _f(
    default: Any = MISSING,
    conv: Callable[[Any, str], Any] | None = None,
    enc: Callable[[Any], Any] | None = None,
) -> Any:
    md = {} if conv is None else _spec(conv, enc)
    if default is MISSING:
        return field(metadata=md)
    return field(default=default, metadata=md)


def _check_share(obj: Any, *keys: str) -> None:
    for k in keys:
        v = getattr(obj, k)
        if not 0 <= v <= 1:
            raise _bad(k, v, "expected a share in [0, 1]")


def _check_nonneg(obj: Any, *keys: str) -> None:
    for k in keys:
        v = getattr(obj, k)
        if v < 0:
            raise _bad(k, v, "expected >= 0")


def _weights(w: tuple[float, ...], n: int, key: str) -> NDArray[np.float64]:
    if not w:
        return np.full(n, 1.0 / n)
    a = np.asarray(w, dtype=np.float64)
    if a.shape != (n,) or (a < 0).any() or a.sum() <= 0:
        raise _bad(key, list(w), f"expected {n} non-negative weights, not all 0")
    return np.asarray(a / a.sum())


# --------------------------------------------------------------------------- specs
@dataclass(frozen=True, slots=True)
class PopulationSpec:
    """Who needs a placement decision this round (TOML section ``[population]``).

    The round's children are new plans (``plans * new_plan_rate``, Poisson)
    plus phase transfers (``plans * school_age_share * transfer_share``,
    Poisson). Need, age, severity and whether specialist provision is needed
    are drawn per child; see ``docs/modelling.md``.
    """

    plans: int = _f(conv=_int)
    school_age_share: float = _f(conv=_num)
    new_plan_rate: float = _f(conv=_num)
    transfer_share: float = _f(conv=_num)
    need_mix: tuple[float, ...] = _f(conv=_need_map, enc=_enc_need_map)
    new_plan_age_bands: tuple[tuple[float, ...], ...] = _f(conv=_bands)
    specialist_share_new: float = _f(conv=_num)
    specialist_share_transfer: float = _f(conv=_num)
    transfer_ages: tuple[int, ...] = _f((11, 16), _ints)
    transfer_weights: tuple[float, ...] = _f((), _floats)
    transfer_days: tuple[int, ...] = _f((46, 90), _ints)
    need_mix_new_older: tuple[float, ...] = _f((), _need_map, _enc_need_map)
    new_older_from_age: int = _f(10, _int)
    specialist_log_odds: tuple[float, ...] = _f((0.0,) * _N, _need_map, _enc_need_map)

    def __post_init__(self) -> None:
        if self.plans < 1:
            raise _bad("plans", self.plans, "expected >= 1")
        _check_share(
            self,
            "school_age_share",
            "specialist_share_new",
            "specialist_share_transfer",
        )
        _check_nonneg(self, "new_plan_rate", "transfer_share")
        _weights(self.need_mix, _N, "need_mix")
        if self.need_mix_new_older:
            _weights(self.need_mix_new_older, _N, "need_mix_new_older")
        _weights(
            tuple(b[2] for b in self.new_plan_age_bands),
            len(self.new_plan_age_bands),
            "new_plan_age_bands",
        )
        for i, b in enumerate(self.new_plan_age_bands):
            if not 0 <= b[0] <= b[1] <= 25:
                raise _bad(f"new_plan_age_bands.{i}", list(b), "ages must lie in 0..25")
        n = len(self.transfer_ages)
        if n == 0 or any(not 0 < a <= 25 for a in self.transfer_ages):
            raise _bad(
                "transfer_ages", list(self.transfer_ages), "expected ages in 1..25"
            )
        _weights(self.transfer_weights, n, "transfer_weights")
        if len(self.transfer_days) != n or any(
            not 1 <= d <= 365 for d in self.transfer_days
        ):
            raise _bad(
                "transfer_days",
                list(self.transfer_days),
                f"expected {n} days of the year in 1..365, one per transfer age",
            )


@dataclass(frozen=True, slots=True)
class GeographySpec:
    """The LA's area (TOML section ``[geography]``): a square of towns.

    Children live around ``towns`` population centres (normal spread
    ``town_sd_km``) or, with probability ``rural_share``, anywhere in the
    square. Out-of-area settings lie in a band ``out_of_area_ring_km`` wide
    around the square. ``layout_seed`` fixes the towns and the generated
    settings for every sample (None: drawn afresh each sample).
    """

    centre_km: tuple[float, ...] = _f(conv=_floats)
    half_width_km: float = _f(conv=_num)
    towns: int = _f(conv=_int)
    town_sd_km: float = _f(conv=_num)
    rural_share: float = _f(conv=_num)
    out_of_area_ring_km: float = _f(conv=_num)
    layout_seed: int | None = _f(None, _int)

    def __post_init__(self) -> None:
        if len(self.centre_km) != 2:
            raise _bad(
                "centre_km", list(self.centre_km), "expected [easting, northing]"
            )
        if self.half_width_km <= 0:
            raise _bad("half_width_km", self.half_width_km, "expected > 0")
        if self.towns < 1:
            raise _bad("towns", self.towns, "expected >= 1")
        _check_nonneg(self, "town_sd_km", "out_of_area_ring_km")
        _check_share(self, "rural_share")


@dataclass(frozen=True, slots=True)
class SettingGroup:
    """A group of generated settings of one kind (a top-level TOML table).

    ``count`` settings; capacity uniform on ``capacity = [low, high]``, scaled
    by ``1 + capacity_growth``; on roll ``capacity * Normal(fill_mean,
    fill_sd)`` (before growth); age range and designation profiles shared out
    in proportion to their weights (largest remainder, then shuffled); cost
    ``cost`` times a mean-one lognormal of log-sd ``cost_sd``; a share
    ``in_area_share`` inside the LA.
    """

    kind: str = _f(conv=_string)
    count: int = _f(conv=_int)
    capacity: tuple[int, ...] = _f(conv=_ints)
    fill_mean: float = _f(conv=_num)
    ages: tuple[tuple[int, ...], ...] = _f(conv=_int_pairs)
    cost: float = _f(conv=_num)
    fill_sd: float = _f(0.0, _num)
    age_weights: tuple[float, ...] = _f((), _floats)
    needs: tuple[tuple[str, ...], ...] = _f(((),), _profiles)
    needs_weights: tuple[float, ...] = _f((), _floats)
    cost_sd: float = _f(0.0, _num)
    in_area_share: float = _f(1.0, _num)
    near_towns: bool = _f(True, _boolean)
    quality_sd: float = _f(0.0, _num)
    capacity_growth: float = _f(0.0, _num)
    label: str = _f("", _string)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise _bad("kind", self.kind, f"expected one of {', '.join(KINDS)}")
        _check_nonneg(
            self, "count", "fill_mean", "fill_sd", "cost", "cost_sd", "quality_sd"
        )
        c = self.capacity
        if len(c) != 2 or not 0 <= c[0] <= c[1]:
            raise _bad(
                "capacity", list(c), "expected [low, high] with 0 <= low <= high"
            )
        if not self.ages:
            raise _bad("ages", [], "expected at least one [min_age, max_age]")
        for i, (lo, hi) in enumerate(self.ages):
            if not 0 <= lo <= hi <= 25:
                raise _bad(
                    f"ages.{i}", [lo, hi], "expected 0 <= min_age <= max_age <= 25"
                )
        _weights(self.age_weights, len(self.ages), "age_weights")
        if not self.needs:
            raise _bad("needs", [], "expected at least one profile ([] = any need)")
        _weights(self.needs_weights, len(self.needs), "needs_weights")
        _check_share(self, "in_area_share")
        if self.capacity_growth <= -1:
            raise _bad("capacity_growth", self.capacity_growth, "expected > -1")


@dataclass(frozen=True, slots=True)
class PreferencesSpec:
    """Parents' random-utility model (TOML ``[preferences]``); see PreferenceModel."""

    distance_weight: float = _f(0.1, _num)
    quality_weight: float = _f(0.5, _num)
    noise_scale: float = _f(1.0, _num)
    truncation_probability: float = _f(0.0, _num)
    kind_taste: tuple[tuple[str, float], ...] = _f((), _taste, dict)
    need_taste: tuple[tuple[str, tuple[tuple[str, float], ...]], ...] = _f(
        (), _need_taste, lambda t: {c: dict(r) for c, r in t}
    )

    def __post_init__(self) -> None:
        self.model()

    def model(self) -> PreferenceModel:
        """The :class:`~sendalloc.preferences.PreferenceModel` this spec describes."""
        taste = PreferenceModel.taste_from_mapping(
            dict(self.kind_taste), {c: dict(r) for c, r in self.need_taste}
        )
        return PreferenceModel(
            distance_weight=self.distance_weight,
            kind_taste=taste,
            quality_weight=self.quality_weight,
            noise_scale=self.noise_scale,
            truncation_probability=self.truncation_probability,
        )


@dataclass(frozen=True, slots=True)
class AllocationSpec:
    """Processing order, priorities, fallback, transport (TOML ``[allocation]``)."""

    order: str = _f("plan_day", _string)
    priority: str = _f("order", _string)
    fallback: bool = _f(True, _boolean)
    transport_cost_per_km: float = _f(0.0, _num)
    # With priority = "classes": the distance bands and how ties are broken.
    distance_bands_km: tuple[float, ...] = _f((2.0, 5.0, 10.0), _floats)
    tie_break: str = _f("single", _string)

    def __post_init__(self) -> None:
        if self.order not in ORDERS:
            raise _bad("order", self.order, f"expected one of {', '.join(ORDERS)}")
        if self.priority not in PRIORITIES:
            raise _bad(
                "priority", self.priority, f"expected one of {', '.join(PRIORITIES)}"
            )
        _check_nonneg(self, "transport_cost_per_km")
        bands = self.distance_bands_km
        if not bands or any(b <= 0 for b in bands) or list(bands) != sorted(set(bands)):
            raise _bad(
                "distance_bands_km", list(bands), "expected increasing distances > 0"
            )
        if self.tie_break not in ("single", "multiple"):
            raise _bad("tie_break", self.tie_break, "expected 'single' or 'multiple'")


@dataclass(frozen=True, slots=True)
class DataSpec:
    """Real data instead of generation (TOML ``[data]``); paths relative to the file.

    ``settings``: a GIAS all-establishments CSV (:func:`sendalloc.io.read_gias`)
    filtered to ``la_codes`` (in area) and ``neighbour_la_codes`` (out of
    area). ``children``: a children CSV (:func:`sendalloc.io.read_children`).
    """

    settings: str = _f("", _string)
    children: str = _f("", _string)
    la_codes: tuple[int, ...] = _f((), _ints)
    neighbour_la_codes: tuple[int, ...] = _f((), _ints)


#: Values of the top-level ``mode`` key (see docs/dynamics.md).
MODES: tuple[str, ...] = ("annual", "in_year", "multi_year")
#: ``dynamics.batch``: arrivals placed at once, held for a batch, or consulted.
BATCHES: tuple[str, ...] = ("none", "monthly", "termly", "consultation")
#: ``dynamics.waiting``: what happens to a child with no listed place.
WAITING: tuple[str, ...] = ("auto", "wait", "fallback", "out_of_list")
#: ``dynamics.wait_order``: how a waiting list is served.
WAIT_ORDERS: tuple[str, ...] = ("first_come", "severity")


@dataclass(frozen=True, slots=True)
class CapacityPlan:
    """Places added at a date (one entry of ``[[dynamics.capacity_plans]]``).

    ``setting`` is a setting id or a setting-group key (the places are then
    shared out over the group's settings by largest remainder); ``year`` is
    1-based; ``day`` a day of the year (default 244, 1 September). With
    ``opens = true`` the settings have no places at all until that date.
    """

    year: int = _f(conv=_int)
    setting: str = _f(conv=_string)
    places: int = _f(conv=_int)
    day: int = _f(244, _int)
    opens: bool = _f(False, _boolean)

    def __post_init__(self) -> None:
        if self.year < 1:
            raise _bad("year", self.year, "expected a year >= 1")
        if not 1 <= self.day <= 365:
            raise _bad("day", self.day, "expected a day of the year in 1..365")
        if self.places < 0:
            raise _bad("places", self.places, "expected >= 0")
        if not self.setting:
            raise _bad("setting", self.setting, "expected a setting id or group key")


def _capacity_plans(v: Any, key: str) -> tuple[CapacityPlan, ...]:
    return tuple(
        _build(CapacityPlan, x, f"{key}.{i}") for i, x in enumerate(_seq(v, key))
    )


@dataclass(frozen=True, slots=True)
class DynamicsSpec:
    """In-year and multi-year dynamics (TOML ``[dynamics]``; docs/dynamics.md).

    Used when the scenario's ``mode`` is ``"in_year"`` or ``"multi_year"``.
    ``batch``: new plans placed the day they arrive (``none``), held for a
    ``monthly`` or ``termly`` batch, or put through the current system's
    one-setting-at-a-time ``consultation`` of ``consultation_days`` per
    setting. ``waiting``: a child with no ranked place waits for one
    (``wait``), gets the LA's fallback from the list (``fallback``, waiting if
    none is free) or an ``out_of_list`` placement costing ``out_of_list_cost``;
    ``auto`` follows ``allocation.fallback``. ``wait_order``: waiting lists
    served ``first_come`` or by ``severity``. ``moving_up``: placed children
    take a place they ranked higher when one frees. ``leave_rate``: share of
    pupils on roll who leave during a year. ``years`` and
    ``new_plan_growth``: the multi-year projection. ``capacity_plans``: places
    added at dates.
    """

    batch: str = _f("none", _string)
    consultation_days: int = _f(15, _int)
    waiting: str = _f("auto", _string)
    wait_order: str = _f("first_come", _string)
    moving_up: bool = _f(False, _boolean)
    leave_rate: float = _f(0.08, _num)
    out_of_list_cost: float = _f(62500.0, _num)
    years: int = _f(5, _int)
    new_plan_growth: float = _f(0.0, _num)
    capacity_plans: tuple[CapacityPlan, ...] = _f(
        (), _capacity_plans, lambda t: [_encode(p) for p in t]
    )

    def __post_init__(self) -> None:
        for name, allowed in (
            ("batch", BATCHES),
            ("waiting", WAITING),
            ("wait_order", WAIT_ORDERS),
        ):
            if getattr(self, name) not in allowed:
                raise _bad(
                    name, getattr(self, name), f"expected one of {', '.join(allowed)}"
                )
        if not 1 <= self.consultation_days <= 365:
            raise _bad("consultation_days", self.consultation_days, "expected 1..365")
        _check_share(self, "leave_rate")
        _check_nonneg(self, "out_of_list_cost")
        if not 1 <= self.years <= 50:
            raise _bad("years", self.years, "expected 1..50")
        if self.new_plan_growth <= -1:
            raise _bad("new_plan_growth", self.new_plan_growth, "expected > -1")


_SECTIONS: dict[str, type] = {
    "population": PopulationSpec,
    "geography": GeographySpec,
    "lists": ListRules,
    "preferences": PreferencesSpec,
    "allocation": AllocationSpec,
    "data": DataSpec,
    "dynamics": DynamicsSpec,
}


def _build(cls: type, d: Any, path: str) -> Any:
    if not isinstance(d, Mapping):
        raise _KeyedError(path, f"{path}: expected a table, got {d!r}")
    fs = {f.name: f for f in fields(cls)}
    for k in d:
        if k not in fs:
            raise _KeyedError(
                f"{path}.{k}",
                f"{path}.{k}: unknown key; expected one of {', '.join(fs)}",
            )
    kw: dict[str, Any] = {}
    for name, f in fs.items():
        if name not in d:
            if f.default is MISSING:
                raise _KeyedError(path, f"{path}: missing required key {name!r}")
            continue
        v = d[name]
        conv = f.metadata.get("conv")
        if conv is None:  # plain field of a class from another module
            default = f.default
            if isinstance(default, bool):
                conv = _boolean
            elif isinstance(default, int):
                conv = _int
            elif isinstance(default, float):
                conv = _num
            else:
                conv = _string
        try:
            kw[name] = conv(v, name)
        except _KeyedError as e:
            raise _KeyedError(f"{path}.{e.key}", f"{path}.{e.message}") from None
    try:
        return cls(**kw)
    except _KeyedError as e:
        raise _KeyedError(f"{path}.{e.key}", f"{path}.{e.message}") from None


def _encode(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(obj):
        v = getattr(obj, f.name)
        if v is None:
            continue
        enc = f.metadata.get("enc")
        if enc is not None:
            v = enc(v)
        out[f.name] = _plain(v)
    return out


# --------------------------------------------------------------------------- Instance
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
        Annual home-to-school transport cost per km of one-way distance, GBP
        (from SEND transport costs per child, DOMAIN.md section 2.7).
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

    def __repr__(self) -> str:
        return (
            f"Instance(children={self.children.n}, settings={self.settings.n}, "
            f"free_places={int(self.problem.capacity.sum())}, "
            f"off_list_wishes={int(self.off_list_wish.sum())})"
        )


def free_places(
    settings: Settings, transfer_ages: tuple[int, ...] = (11, 16)
) -> NDArray[np.int32]:
    """Free places for the round: ``max(0, capacity - on_roll + leavers)``.

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
    ages = np.arange(26)
    lo, hi = settings.min_age[:, None], settings.max_age[:, None]
    inside = (ages >= lo) & (ages <= hi)
    leaving = (ages == hi) | np.isin(ages + 1, np.asarray(transfer_ages))[None, :]
    frac = (inside & leaving).sum(axis=1) / np.maximum(inside.sum(axis=1), 1)
    leavers = np.rint(settings.on_roll * frac)
    free = settings.capacity.astype(np.int64) - settings.on_roll + leavers
    return np.asarray(np.maximum(free, 0), dtype=np.int32)


# --------------------------------------------------------------------------- sampling
def _largest_remainder(weights: NDArray[np.float64], n: int) -> NDArray[np.int64]:
    return largest_remainder(weights * n, n)


@dataclass(frozen=True, slots=True, eq=False)
class _Layout:
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
) -> NDArray[np.float64]:
    """Points in the LA: around a town, or uniform where ``rural``."""
    h = geo.half_width_km
    centre = np.asarray(geo.centre_km)
    t = rng.choice(len(tw), size=n, p=tw)
    xy = towns[t] + rng.normal(0.0, geo.town_sd_km, size=(n, 2))
    uni = centre + rng.uniform(-h, h, size=(n, 2))
    is_rural = rng.random(n) < rural if isinstance(rural, float) else rural
    xy = np.where(is_rural[:, None], uni, xy)
    return np.asarray(np.clip(xy, centre - h, centre + h))


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
) -> _Layout:
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
        xy[:n_in] = _points(n_in, geo, towns, tw, 0.0 if g.near_towns else 1.0, rng)
        xy[n_in:] = _ring(c - n_in, geo, rng)
        cap0 = rng.integers(g.capacity[0], g.capacity[1] + 1, size=c)
        fill = np.maximum(rng.normal(g.fill_mean, g.fill_sd, size=c), 0.0)
        roll = np.rint(cap0 * fill).astype(np.int64)
        cap = np.rint(cap0 * (1.0 + g.capacity_growth)).astype(np.int64)
        age_i = rng.permutation(
            np.repeat(
                np.arange(len(g.ages)),
                _largest_remainder(
                    _weights(g.age_weights, len(g.ages), "age_weights"), c
                ),
            )
        )
        need_i = rng.permutation(
            np.repeat(
                np.arange(len(g.needs)),
                _largest_remainder(
                    _weights(g.needs_weights, len(g.needs), "needs_weights"), c
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
    arr = {k: np.concatenate(v) for k, v in cols.items() if k not in ("id", "name")}
    if not cols["id"]:
        raise InvalidScenarioError(
            "the scenario generates no settings (all counts are 0)"
        )
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
    return _Layout(settings, _freeze(free_places(settings, transfer_ages)), towns, tw)


def _freeze(a: NDArray[Any]) -> NDArray[Any]:
    a.flags.writeable = False
    return a


@functools.lru_cache(maxsize=64)
def _cached_layout(
    geo: GeographySpec,
    groups: tuple[tuple[str, SettingGroup], ...],
    transfer_ages: tuple[int, ...],
    data: DataSpec | None,
    base_dir: str,
) -> _Layout:
    rng = np.random.default_rng(geo.layout_seed)
    return _layout_from(geo, groups, transfer_ages, data, base_dir, rng)


def _layout_from(
    geo: GeographySpec,
    groups: tuple[tuple[str, SettingGroup], ...],
    transfer_ages: tuple[int, ...],
    data: DataSpec | None,
    base_dir: str,
    rng: np.random.Generator,
) -> _Layout:
    if data is not None and data.settings:
        settings = read_gias(
            Path(base_dir, data.settings),
            la_codes=data.la_codes or None,
            neighbour_la_codes=data.neighbour_la_codes or None,
        )
        towns, tw = _towns(geo, rng)
        return _Layout(
            settings, _freeze(free_places(settings, transfer_ages)), towns, tw
        )
    return _generate_layout(geo, groups, transfer_ages, rng)


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
    w = _weights(
        tuple(b[2] for b in pop.new_plan_age_bands), len(pop.new_plan_age_bands), ""
    )
    for (lo, hi, _), wb in zip(pop.new_plan_age_bands, w, strict=True):
        span = np.arange(int(lo), int(hi) + 1)
        ages.append(span)
        p.append(np.full(span.size, wb / span.size))
    new_ages, new_p = np.concatenate(ages), np.concatenate(p)
    mix = _weights(pop.need_mix, _N, "need_mix")
    older = _weights(pop.need_mix_new_older, _N, "") if pop.need_mix_new_older else mix
    frac_older = float(new_p[new_ages >= pop.new_older_from_age].sum())
    mix_new = (1 - frac_older) * mix + frac_older * older
    odds = np.asarray(pop.specialist_log_odds)
    a_new = _logit_shift(pop.specialist_share_new, mix_new, odds)
    a_tr = _logit_shift(pop.specialist_share_transfer, mix, odds)
    ps = 1.0 / (1.0 + np.exp(-(np.array([[a_new], [a_tr]]) + odds[None, :])))
    cdf = np.cumsum(np.vstack([mix, older]), axis=1)
    cdf[:, -1] = 1.0
    tw = _weights(pop.transfer_weights, len(pop.transfer_ages), "transfer_weights")
    return _PopTables(new_ages, new_p / new_p.sum(), cdf, ps, tw)


def _sample_children(
    pop: PopulationSpec, geo: GeographySpec, lay: _Layout, rng: np.random.Generator
) -> Children:
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
    xy = _points(n, geo, lay.towns, lay.town_weights, geo.rural_share, rng)
    ids = _child_ids(n)
    return Children._trusted(
        ids, need, age, xy[:, 0], xy[:, 1], day, severity, specialist, transfer
    )


_CHILD_IDS: list[tuple[str, ...]] = [()]


def _child_ids(n: int) -> tuple[str, ...]:
    """``("c00000", "c00001", ...)``, length ``n``: a slice of one growing pool."""
    pool = _CHILD_IDS[0]
    if len(pool) < n:
        pool = tuple(f"c{i:05d}" for i in range(max(n, 2 * len(pool), 1024)))
        _CHILD_IDS[0] = pool
    return pool[:n]


# --------------------------------------------------------------------------- Scenario
@dataclass(frozen=True, slots=True)
class Scenario:
    """A frozen scenario specification; :meth:`sample` draws instances.

    Read one with :func:`load_scenario` (a preset name or a path),
    :meth:`from_toml` or :meth:`from_dict`. Top-level TOML keys: ``name``,
    ``description``, ``mode`` (``"annual"``, the default, ``"in_year"`` or
    ``"multi_year"``: see :mod:`sendalloc.dynamic`), the sections
    ``[population]``, ``[geography]``, ``[lists]``, ``[preferences]``,
    ``[allocation]``, ``[data]``, ``[dynamics]``; every other
    table is a :class:`SettingGroup` and must have a ``kind``. Unknown keys are
    errors.

    Examples
    --------
    >>> import sendalloc as sa
    >>> sc = sa.load_scenario("county")
    >>> inst = sc.sample(1)
    >>> inst.problem.n_settings == inst.settings.n
    True
    >>> sc.with_overrides({"lists.max_length": 3}).lists.max_length
    3
    """

    name: str
    description: str
    geography: GeographySpec
    groups: tuple[tuple[str, SettingGroup], ...] = ()
    population: PopulationSpec | None = None
    lists: ListRules = field(default_factory=ListRules)
    preferences: PreferencesSpec = field(default_factory=PreferencesSpec)
    allocation: AllocationSpec = field(default_factory=AllocationSpec)
    data: DataSpec | None = None
    mode: str = "annual"
    dynamics: DynamicsSpec = field(default_factory=DynamicsSpec)
    source: str = field(default="<dict>", compare=False)
    base_dir: str = field(default=".", compare=False)

    # ------------------------------------------------------------------ reading
    @classmethod
    def from_dict(
        cls,
        d: Mapping[str, Any],
        *,
        source: str = "<dict>",
        base_dir: str | None = None,
    ) -> Scenario:
        """Build and validate a scenario from a nested mapping (parsed TOML).

        Parameters
        ----------
        d : mapping
            As read from a scenario TOML file.
        source : str, default "<dict>"
            Named in error messages.
        base_dir : str, optional
            Directory that ``[data]`` paths are relative to (default ``.``).

        Returns
        -------
        Scenario

        Raises
        ------
        InvalidScenarioError
            Naming the source and the dotted key.
        """
        try:
            return cls._from_mapping(d, source, base_dir or ".")
        except _KeyedError as e:
            raise InvalidScenarioError(f"{source}: {e.message}") from None

    @classmethod
    def _from_mapping(
        cls, d: Mapping[str, Any], source: str, base_dir: str
    ) -> Scenario:
        if not isinstance(d, Mapping):
            raise _KeyedError("", f"expected a table, got {type(d).__name__}")
        kw: dict[str, Any] = {}
        groups: list[tuple[str, SettingGroup]] = []
        for key, v in d.items():
            if key in ("name", "description"):
                kw[key] = _string(v, key)
            elif key == "mode":
                kw[key] = _string(v, key)
                if v not in MODES:
                    raise _bad(key, v, f"expected one of {', '.join(MODES)}")
            elif key in _SECTIONS:
                kw[key] = _build(_SECTIONS[key], v, key)
            elif isinstance(v, Mapping) and "kind" in v:
                groups.append((key, _build(SettingGroup, v, key)))
            else:
                raise _KeyedError(
                    key,
                    f"{key}: unknown key; expected name, description, mode, "
                    f"{', '.join(_SECTIONS)} or a setting group table with a kind",
                )
        for req in ("name", "geography"):
            if req not in kw:
                raise _KeyedError("", f"missing required key {req!r}")
        kw.setdefault("description", "")
        data: DataSpec | None = kw.get("data")
        if not groups and not (data and data.settings):
            raise _KeyedError("", "no setting groups and no [data] settings file")
        if kw.get("population") is None and not (data and data.children):
            raise _KeyedError("", "missing [population] (or a [data] children file)")
        return cls(groups=tuple(groups), source=source, base_dir=base_dir, **kw)

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str]) -> Scenario:
        """Read a scenario TOML file.

        Raises
        ------
        InvalidScenarioError
            For invalid TOML or an invalid spec, naming the file, the line and
            the column of the offending key.
        """
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as e:
            raise InvalidScenarioError(
                f"{p}: cannot read scenario file ({e})"
            ) from None
        return cls._from_text(text, str(p), str(p.parent))

    @classmethod
    def _from_text(cls, text: str, source: str, base_dir: str) -> Scenario:
        try:
            d = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            m = re.search(r"\(at line (\d+), column (\d+)\)", str(e))
            where = f"{m.group(1)}:{m.group(2)}" if m else "?"
            msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(e))
            raise InvalidScenarioError(
                f"{source}:{where}: invalid TOML: {msg}"
            ) from None
        try:
            return cls._from_mapping(d, source, base_dir)
        except _KeyedError as e:
            loc = _locate(text, [p for p in e.key.split(".") if p])
            where = f"{loc[0]}:{loc[1]}" if loc else "1:1"
            raise InvalidScenarioError(f"{source}:{where}: {e.message}") from None

    def to_dict(self) -> dict[str, Any]:
        """The spec as plain nested dicts and lists; round-trips with :meth:`from_dict`.

        Examples
        --------
        >>> import sendalloc as sa
        >>> sc = sa.load_scenario("county")
        >>> sa.Scenario.from_dict(sc.to_dict()) == sc
        True
        """
        out: dict[str, Any] = {"name": self.name, "description": self.description}
        if self.mode != "annual":
            out["mode"] = self.mode
        for key in _SECTIONS:
            v = getattr(self, key)
            if v is not None and not (key == "dynamics" and v == DynamicsSpec()):
                out[key] = _encode(v)
        for key, g in self.groups:
            out[key] = _encode(g)
        return out

    def with_overrides(self, overrides: Mapping[str, object]) -> Scenario:
        """A new, validated scenario with dotted keys replaced.

        Parameters
        ----------
        overrides : mapping of str to value
            Dotted TOML keys, e.g. ``{"lists.max_length": 3,
            "special.capacity_growth": 0.1}``.

        Raises
        ------
        InvalidScenarioError
            For an unknown key or an invalid value.
        """
        d = self.to_dict()
        for key, value in overrides.items():
            parts = str(key).split(".")
            node: Any = d
            for i, p in enumerate(parts[:-1]):
                nxt = node.get(p) if isinstance(node, dict) else None
                if nxt is None:
                    if p in _SECTIONS and i == 0:
                        nxt = node[p] = {}
                    else:
                        raise InvalidScenarioError(
                            f"{self.source} with overrides: {key}: unknown key "
                            f"({'.'.join(parts[: i + 1])} is not a table of the "
                            "scenario)"
                        )
                elif not isinstance(nxt, dict):
                    raise InvalidScenarioError(
                        f"{self.source} with overrides: {key}: "
                        f"{'.'.join(parts[: i + 1])} is not a table"
                    )
                node = nxt
            node[parts[-1]] = value
        return Scenario.from_dict(
            d, source=f"{self.source} with overrides", base_dir=self.base_dir
        )

    # ------------------------------------------------------------------ sampling
    def _layout(self, rng: np.random.Generator) -> _Layout:
        ages = self.population.transfer_ages if self.population else (11, 16)
        if self.geography.layout_seed is not None:
            return _cached_layout(
                self.geography, self.groups, ages, self.data, self.base_dir
            )
        return _layout_from(
            self.geography, self.groups, ages, self.data, self.base_dir, rng
        )

    def settings(self, rng: np.random.Generator | int | None = None) -> Settings:
        """The settings table (fixed if ``geography.layout_seed`` is set)."""
        return self._layout(np.random.default_rng(rng)).settings

    def sample(self, rng: np.random.Generator | int | None = None) -> Instance:
        """Draw one round of placement decisions.

        Parameters
        ----------
        rng : numpy.random.Generator, int or None
            Normalised with :func:`numpy.random.default_rng`.

        Returns
        -------
        Instance

        Notes
        -----
        Steps: settings (cached per ``layout_seed``) and their free places;
        children (new plans and phase transfers); distances, eligibility and
        tailored lists; utilities, rankings and wishes; processing order and
        setting priorities; :meth:`Problem.from_arrays`. The lists and
        preferences are those of :func:`~sendalloc.lists.tailored_lists` and
        :func:`~sendalloc.preferences.draw_preferences`, bit for bit and from
        the same draws, but worked out only at each child's candidate settings
        (O(P) for P candidate pairs) besides one O(N M) Gumbel draw.
        """
        g = np.random.default_rng(rng)
        lay = self._layout(g)
        st = lay.settings
        if self.data is not None and self.data.children:
            children = _read_children_cached(
                str(Path(self.base_dir, self.data.children))
            )
        else:
            assert self.population is not None
            children = _sample_children(self.population, self.geography, lay, g)
        # The dense pipeline (distance_matrix, eligibility, tailored_lists,
        # candidates, draw_preferences) evaluated only at each child's candidate
        # settings: the same draws and the same float operations, so the same
        # numbers, at about a fifth of the work.
        pairs = _candidate_pairs(children, st, self.lists)
        lists, listed_at = _select_pairs(
            pairs, st, self.lists.order, self.lists.max_length
        )
        prefs, wish, srt = _draw_on_pairs(
            children, st, lists, listed_at, pairs, self.preferences.model(), g
        )
        listed = lists >= 0
        d_list = np.full(lists.shape, np.nan)
        d_list[listed] = pairs.distance[listed_at[listed]]
        on_list = ((lists == wish[:, None]) & listed).any(axis=1)
        off = (wish >= 0) & ~on_list
        order = processing_order(children, self.allocation.order, g)
        pv = prefs >= 0
        d_pref = np.where(pv, np.take_along_axis(d_list, srt, axis=1), np.nan)
        spec = self.allocation
        weak = spec.priority == "classes"
        prio: NDArray[np.int64] | None
        if weak:
            prio = priority_classes(
                prefs, children, st, d_pref, bands_km=spec.distance_bands_km
            )
        else:
            prio = setting_priority(prefs, children, d_pref, spec.priority, g)
        problem = Problem.from_arrays(
            lay.free,
            prefs,
            priority=prio,
            order=order,
            child_ids=children.id,
            setting_ids=st.id,
            ties=weak,
        )
        if weak:
            # Classes tie: break them with a lottery recorded on the problem, so
            # strict rules run on the broken ties and stable improvement cycles
            # can still see the classes.
            problem = break_ties(problem, spec.tie_break, rng=g)
        return Instance(
            problem=problem,
            children=children,
            settings=st,
            lists=_freeze(lists),
            wish=_freeze(wish),
            off_list_wish=_freeze(off),
            distance_km=_freeze(d_list),
            fallback=self.allocation.fallback,
            transport_cost_per_km=self.allocation.transport_cost_per_km,
        )


@functools.lru_cache(maxsize=16)
def _read_children_cached(path: str) -> Children:
    return read_children(path)


# ---------------------------------------------------------------------- locating keys
_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?")
_KEYLINE = re.compile(r"^\s*([A-Za-z0-9_\-\.\"' ]+?)\s*=")


def _split_key(k: str) -> list[str]:
    return [p.strip().strip("\"'") for p in k.split(".")]


def _locate(text: str, path: list[str]) -> tuple[int, int] | None:
    """Best-effort line and column (1-based) of a dotted key in TOML text."""
    table: list[str] = []
    best: tuple[int, int, int] | None = None
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0]
        if not line.strip():
            continue
        mh = _HEADER.match(line)
        if mh:
            table = _split_key(mh.group(1))
            if path[: len(table)] == table and (best is None or len(table) > best[0]):
                best = (len(table), lineno, mh.start(1) + 1)
            continue
        mk = _KEYLINE.match(line)
        if not mk:
            continue
        full = table + _split_key(mk.group(1))
        if path[: len(full)] != full or (best is not None and len(full) <= best[0]):
            continue
        depth, col, pos = len(full), mk.start(1) + 1, mk.end()
        for sub in path[depth:]:
            ms = re.compile(r"\b" + re.escape(sub) + r"\s*=").search(line, pos)
            if ms is None:
                break
            depth, col, pos = depth + 1, ms.start() + 1, ms.end()
        best = (depth, lineno, col)
    return None if best is None else (best[1], best[2])


# --------------------------------------------------------------------------- presets
def _preset_dir() -> Any:
    return resources.files("sendalloc").joinpath("scenarios")


def load_scenario(name_or_path: str | os.PathLike[str]) -> Scenario:
    """Load a shipped preset by name, or a scenario TOML file by path.

    Parameters
    ----------
    name_or_path : str or os.PathLike
        A preset name from :func:`list_scenarios` (``"county"``,
        ``"london_borough"``, ``"large_county"``) or a path to a ``.toml`` file.

    Returns
    -------
    Scenario

    Raises
    ------
    InvalidScenarioError
        If no such preset or file exists, or the file is invalid.

    Examples
    --------
    >>> import sendalloc as sa
    >>> sa.load_scenario("london_borough").name
    'london_borough'
    """
    s = os.fspath(name_or_path)
    if isinstance(name_or_path, os.PathLike) or s.endswith(".toml") or os.sep in s:
        return Scenario.from_toml(s)
    res = _preset_dir().joinpath(f"{s}.toml")
    if not res.is_file():
        raise InvalidScenarioError(
            f"unknown scenario {s!r}; presets are "
            f"{', '.join(sorted(list_scenarios()))}, "
            "or give a path to a .toml file"
        )
    with resources.as_file(res) as p:
        return Scenario._from_text(p.read_text(encoding="utf-8"), str(p), str(p.parent))


def list_scenarios() -> dict[str, str]:
    """The shipped presets: name -> one-line description.

    Examples
    --------
    >>> import sendalloc as sa
    >>> sorted(sa.list_scenarios())
    ['county', 'large_county', 'london_borough']
    """
    out: dict[str, str] = {}
    for res in sorted(_preset_dir().iterdir(), key=lambda r: r.name):
        if res.name.endswith(".toml"):
            d = tomllib.loads(res.read_text(encoding="utf-8"))
            out[res.name[:-5]] = str(d.get("description", "")).strip().splitlines()[0]
    return out
