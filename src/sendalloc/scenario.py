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

import codecs
import functools
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sendalloc._arrays import largest_remainder
from sendalloc._arrays import plain as _plain
from sendalloc._keys import KeyRange, check_ranges, key_range, number_text
from sendalloc._rng import as_generator
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
    "ACROSS_RULES",
    "MAX_CELLS",
    "MAX_GROUP_COUNT",
    "MAX_PLACES",
    "MAX_PLANS",
    "MAX_YEARS",
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
    "Uncertainty",
    "describe_keys",
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
    *,
    doc: str,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    choices: tuple[str, ...] = (),
    length: tuple[int, int | None] | None = None,
    labels: tuple[str, ...] = (),
    rule: str = "",
) -> Any:
    """A spec field: converter, encoder and its valid values (see sendalloc._keys)."""
    md = {} if conv is None else _spec(conv, enc)
    md["range"] = KeyRange(
        low, high, low_open, high_open, choices, length, labels, doc, rule
    )
    if default is MISSING:
        return field(metadata=md)
    return field(default=default, metadata=md)


def _weights(w: tuple[float, ...], n: int, key: str) -> NDArray[np.float64]:
    if not w:
        return np.full(n, 1.0 / n)
    a = np.asarray(w, dtype=np.float64)
    if a.shape != (n,) or (a < 0).any() or a.sum() <= 0:
        raise _bad(key, list(w), f"expected {n} non-negative weights, not all 0")
    return np.asarray(a / a.sum())


#: Largest ``population.plans``: above England's 638,700 EHC plans (January 2025).
MAX_PLANS = 1_000_000
#: Largest ``count`` of one setting group (England has about 25,000 state schools).
MAX_GROUP_COUNT = 50_000
#: Largest capacity of one generated setting and largest ``places`` of one plan.
MAX_PLACES = 100_000
#: Largest expected children in a round times settings: one draw of that many
#: float32 values (the parents' taste shocks) takes about 1 GB.
MAX_CELLS = 250_000_000


# --------------------------------------------------------------------------- specs
@dataclass(frozen=True, slots=True)
class PopulationSpec:
    """Who needs a placement decision this round (TOML section ``[population]``).

    The round's children are new plans (``plans * new_plan_rate``, Poisson)
    plus phase transfers (``plans * school_age_share * transfer_share``,
    Poisson). Need, age, severity and whether specialist provision is needed
    are drawn per child; see ``docs/modelling.md``. Valid values of every key:
    ``docs/scenario-keys.md``.
    """

    plans: int = _f(conv=_int, low=1, high=MAX_PLANS, doc="EHC plans the LA maintains.")
    school_age_share: float = _f(
        conv=_num, low=0.0, high=1.0, doc="Share of plans aged 5-15."
    )
    new_plan_rate: float = _f(
        conv=_num, low=0.0, high=1.0, doc="New plans a year, per plan maintained."
    )
    transfer_share: float = _f(
        conv=_num,
        low=0.0,
        high=1.0,
        doc="Share of school-age plans making a phase transfer this round.",
    )
    need_mix: tuple[float, ...] = _f(
        conv=_need_map,
        enc=_enc_need_map,
        low=0.0,
        labels=NEEDS,
        doc="Primary-need mix of all plans: a table of need code = weight.",
        rule="not all 0",
    )
    new_plan_age_bands: tuple[tuple[float, ...], ...] = _f(
        conv=_bands,
        low=0.0,
        length=(1, 26),
        doc="Ages of new plans: `[[first age, last age, weight], ...]`.",
        rule="ages whole, 0 <= first <= last <= 25; weights not all 0",
    )
    specialist_share_new: float = _f(
        conv=_num,
        low=0.0,
        high=1.0,
        doc="Share of new plans needing specialist provision.",
    )
    specialist_share_transfer: float = _f(
        conv=_num,
        low=0.0,
        high=1.0,
        doc="Share of phase transfers needing specialist provision.",
    )
    transfer_ages: tuple[int, ...] = _f(
        (11, 16),
        _ints,
        low=1,
        high=25,
        length=(1, 25),
        doc="Ages at which children transfer phase.",
    )
    transfer_weights: tuple[float, ...] = _f(
        (),
        _floats,
        low=0.0,
        doc="Relative size of each transfer age's cohort (`[]`: equal).",
        rule="none, or one per transfer age, not all 0",
    )
    transfer_days: tuple[int, ...] = _f(
        (46, 90),
        _ints,
        low=1,
        high=365,
        doc="Day of the year each transfer age is placed.",
        rule="one per transfer age",
    )
    need_mix_new_older: tuple[float, ...] = _f(
        (),
        _need_map,
        _enc_need_map,
        low=0.0,
        labels=NEEDS,
        doc="Need mix of new plans aged `new_older_from_age` and over "
        "(`{}`: as `need_mix`).",
        rule="not all 0 if given",
    )
    new_older_from_age: int = _f(
        10, _int, low=0, high=25, doc="Age from which `need_mix_new_older` applies."
    )
    specialist_log_odds: tuple[float, ...] = _f(
        (0.0,) * _N,
        _need_map,
        _enc_need_map,
        low=-20.0,
        high=20.0,
        labels=NEEDS,
        doc="Relative log-odds of needing specialist provision, by need.",
    )

    def __post_init__(self) -> None:
        check_ranges(self)
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
        _weights(self.transfer_weights, n, "transfer_weights")
        if len(self.transfer_days) != n:
            raise _bad(
                "transfer_days",
                list(self.transfer_days),
                f"expected {n} days of the year in 1..365, one per transfer age",
            )

    def round_size(self, plans: int | None = None) -> float:
        """Expected children in a round: new plans plus phase transfers."""
        p = self.plans if plans is None else plans
        return p * (self.new_plan_rate + self.school_age_share * self.transfer_share)


@dataclass(frozen=True, slots=True)
class GeographySpec:
    """The LA's area (TOML section ``[geography]``): a square of towns.

    Children live around ``towns`` population centres (normal spread
    ``town_sd_km``) or, with probability ``rural_share``, anywhere in the
    square. Out-of-area settings lie in a band ``out_of_area_ring_km`` wide
    around the square. ``layout_seed`` fixes the towns and the generated
    settings for every sample (None: drawn afresh each sample).
    """

    centre_km: tuple[float, ...] = _f(
        conv=_floats,
        low=0.0,
        high=1300.0,
        length=(2, 2),
        doc="Centre of the LA, `[easting, northing]`, British National Grid km.",
    )
    half_width_km: float = _f(
        conv=_num, low=0.0, high=500.0, low_open=True, doc="Half the square's side."
    )
    towns: int = _f(conv=_int, low=1, high=1000, doc="Population centres.")
    town_sd_km: float = _f(
        conv=_num, low=0.0, high=500.0, doc="Spread of homes around a town (normal sd)."
    )
    rural_share: float = _f(
        conv=_num,
        low=0.0,
        high=1.0,
        doc="Share of children living anywhere in the square.",
    )
    out_of_area_ring_km: float = _f(
        conv=_num, low=0.0, high=500.0, doc="Width of the band of out-of-area settings."
    )
    layout_seed: int | None = _f(
        None,
        _int,
        low=0,
        high=2**63 - 1,
        doc="Seed fixing towns and settings for every sample (absent: drawn "
        "afresh each sample).",
    )

    def __post_init__(self) -> None:
        check_ranges(self)


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

    kind: str = _f(conv=_string, choices=KINDS, doc="Kind of setting.")
    count: int = _f(
        conv=_int,
        low=0,
        high=MAX_GROUP_COUNT,
        doc="Settings in the group.",
        rule="at least one group above 0 (without a [data] settings file)",
    )
    capacity: tuple[int, ...] = _f(
        conv=_ints,
        low=0,
        high=MAX_PLACES,
        length=(2, 2),
        doc="Places per setting, `[low, high]` (uniform).",
        rule="low <= high",
    )
    fill_mean: float = _f(
        conv=_num, low=0.0, high=2.0, doc="Mean pupils on roll per place."
    )
    ages: tuple[tuple[int, ...], ...] = _f(
        conv=_int_pairs,
        low=0,
        high=25,
        length=(1, None),
        doc="Age ranges, `[[min_age, max_age], ...]`, shared out by `age_weights`.",
        rule="min_age <= max_age",
    )
    cost: float = _f(
        conv=_num, low=0.0, high=10_000_000.0, doc="Annual cost per place, GBP."
    )
    fill_sd: float = _f(0.0, _num, low=0.0, high=1.0, doc="Spread of the fill.")
    age_weights: tuple[float, ...] = _f(
        (),
        _floats,
        low=0.0,
        doc="Weight of each age range (`[]`: equal).",
        rule="none, or one per age range, not all 0",
    )
    needs: tuple[tuple[str, ...], ...] = _f(
        ((),),
        _profiles,
        choices=NEEDS,
        length=(1, None),
        doc="Designation profiles: lists of need codes (`[]`: any need).",
    )
    needs_weights: tuple[float, ...] = _f(
        (),
        _floats,
        low=0.0,
        doc="Weight of each profile (`[]`: equal).",
        rule="none, or one per profile, not all 0",
    )
    cost_sd: float = _f(
        0.0, _num, low=0.0, high=5.0, doc="Log-sd of costs between settings."
    )
    in_area_share: float = _f(
        1.0, _num, low=0.0, high=1.0, doc="Share of the group inside the LA."
    )
    near_towns: bool = _f(
        True, _boolean, doc="Place settings near towns (else anywhere)."
    )
    quality_sd: float = _f(
        0.0, _num, low=0.0, high=10.0, doc="Spread of the parents' quality index."
    )
    capacity_growth: float = _f(
        0.0,
        _num,
        low=-1.0,
        high=10.0,
        low_open=True,
        doc="Growth of capacity over the roll's base (0.1: 10% more places).",
    )
    label: str = _f("", _string, doc="Name of the settings (default: the table key).")

    def __post_init__(self) -> None:
        check_ranges(self)
        c = self.capacity
        if c[0] > c[1]:
            raise _bad(
                "capacity", list(c), "expected [low, high] with 0 <= low <= high"
            )
        for i, (lo, hi) in enumerate(self.ages):
            if lo > hi:
                raise _bad(
                    f"ages.{i}", [lo, hi], "expected 0 <= min_age <= max_age <= 25"
                )
        _weights(self.age_weights, len(self.ages), "age_weights")
        _weights(self.needs_weights, len(self.needs), "needs_weights")


@dataclass(frozen=True, slots=True)
class PreferencesSpec:
    """Parents' random-utility model (TOML ``[preferences]``); see PreferenceModel."""

    distance_weight: float = _f(
        0.1, _num, low=0.0, high=100.0, doc="Utility lost per km of travel."
    )
    quality_weight: float = _f(
        0.5, _num, low=0.0, high=100.0, doc="Utility per unit of quality index."
    )
    noise_scale: float = _f(
        1.0,
        _num,
        low=0.0,
        high=100.0,
        low_open=True,
        doc="Scale of the parents' idiosyncratic tastes (Gumbel).",
    )
    truncation_probability: float = _f(
        0.0, _num, low=0.0, high=1.0, doc="Chance a parent ranks only part of the list."
    )
    kind_taste: tuple[tuple[str, float], ...] = _f(
        (),
        _taste,
        dict,
        low=-100.0,
        high=100.0,
        doc="Taste for each kind over mainstream: a table of kind = utility.",
    )
    need_taste: tuple[tuple[str, tuple[tuple[str, float], ...]], ...] = _f(
        (),
        _need_taste,
        lambda t: {c: dict(r) for c, r in t},
        low=-100.0,
        high=100.0,
        doc="Adjustments by need: a table of need code = {kind = utility}.",
    )

    def __post_init__(self) -> None:
        check_ranges(self)
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

    order: str = _f(
        "plan_day", _string, choices=ORDERS, doc="Order the LA processes children in."
    )
    priority: str = _f(
        "order", _string, choices=PRIORITIES, doc="How settings rank applicants."
    )
    fallback: bool = _f(
        True, _boolean, doc="The LA places a child with no ranked place elsewhere."
    )
    transport_cost_per_km: float = _f(
        0.0,
        _num,
        low=0.0,
        high=1_000_000.0,
        doc="Annual transport cost per km of one-way distance, GBP.",
    )
    # With priority = "classes": the distance bands and how ties are broken.
    distance_bands_km: tuple[float, ...] = _f(
        (2.0, 5.0, 10.0),
        _floats,
        low=0.0,
        high=1000.0,
        low_open=True,
        length=(1, 20),
        doc="Distance bands of the `classes` priority.",
        rule="increasing",
    )
    tie_break: str = _f(
        "single",
        _string,
        choices=("single", "multiple"),
        doc="Lottery for ties in the `classes` priority: one for all settings "
        "or one per setting.",
    )

    def __post_init__(self) -> None:
        bands = self.distance_bands_km
        if not bands or list(bands) != sorted(set(bands)):
            raise _bad(
                "distance_bands_km", list(bands), "expected increasing distances > 0"
            )
        if self.tie_break not in ("single", "multiple"):
            raise _bad("tie_break", self.tie_break, "expected 'single' or 'multiple'")
        check_ranges(self)


@dataclass(frozen=True, slots=True)
class DataSpec:
    """Real data instead of generation (TOML ``[data]``); paths relative to the file.

    ``settings``: a GIAS all-establishments CSV (:func:`sendalloc.io.read_gias`)
    filtered to ``la_codes`` (in area) and ``neighbour_la_codes`` (out of
    area). ``children``: a children CSV (:func:`sendalloc.io.read_children`).
    """

    settings: str = _f(
        "", _string, doc="GIAS all-establishments CSV, relative to the TOML file."
    )
    children: str = _f("", _string, doc="Children CSV, relative to the TOML file.")
    la_codes: tuple[int, ...] = _f(
        (), _ints, low=1, high=999, doc="`LA (code)` values of the home LA."
    )
    neighbour_la_codes: tuple[int, ...] = _f(
        (), _ints, low=1, high=999, doc="LA codes whose settings are out of area."
    )

    def __post_init__(self) -> None:
        check_ranges(self)


#: Values of the top-level ``mode`` key (see docs/dynamics.md).
MODES: tuple[str, ...] = ("annual", "in_year", "multi_year")
#: ``dynamics.batch``: arrivals placed at once, held for a batch, or consulted.
BATCHES: tuple[str, ...] = ("none", "monthly", "termly", "consultation")
#: ``dynamics.waiting``: what happens to a child with no listed place.
WAITING: tuple[str, ...] = ("auto", "wait", "fallback", "out_of_list")
#: ``dynamics.wait_order``: how a waiting list is served.
WAIT_ORDERS: tuple[str, ...] = ("first_come", "severity")
#: Longest multi-year projection (``dynamics.years``).
MAX_YEARS = 50


@dataclass(frozen=True, slots=True)
class CapacityPlan:
    """Places added at a date (one entry of ``[[dynamics.capacity_plans]]``).

    ``setting`` is a setting id or a setting-group key (the places are then
    shared out over the group's settings by largest remainder); ``year`` is
    1-based; ``day`` a day of the year (default 244, 1 September). With
    ``opens = true`` the settings have no places at all until that date.
    """

    year: int = _f(
        conv=_int,
        low=1,
        high=MAX_YEARS,
        doc="Year of the projection the places are added in (1-based).",
        rule="at most `dynamics.years`",
    )
    setting: str = _f(
        conv=_string,
        doc="A setting id or a setting-group key (checked when the year is run).",
        rule="not empty",
    )
    places: int = _f(conv=_int, low=0, high=MAX_PLACES, doc="Places added.")
    day: int = _f(244, _int, low=1, high=365, doc="Day of the year (244: 1 Sep).")
    opens: bool = _f(
        False, _boolean, doc="The settings have no places at all before then."
    )

    def __post_init__(self) -> None:
        check_ranges(self)
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

    batch: str = _f("none", _string, choices=BATCHES, doc="When new plans are placed.")
    consultation_days: int = _f(
        15, _int, low=1, high=365, doc="Days a setting takes to answer a consultation."
    )
    waiting: str = _f(
        "auto",
        _string,
        choices=WAITING,
        doc="What happens to a child with no ranked place.",
    )
    wait_order: str = _f(
        "first_come", _string, choices=WAIT_ORDERS, doc="How waiting lists are served."
    )
    moving_up: bool = _f(
        False, _boolean, doc="Placed children move to a place they ranked higher."
    )
    leave_rate: float = _f(
        0.08,
        _num,
        low=0.0,
        high=1.0,
        doc="Share of pupils on roll leaving during a year.",
    )
    out_of_list_cost: float = _f(
        62500.0,
        _num,
        low=0.0,
        high=10_000_000.0,
        doc="Annual cost of an out-of-list place, GBP.",
    )
    years: int = _f(5, _int, low=1, high=MAX_YEARS, doc="Years projected.")
    new_plan_growth: float = _f(
        0.0,
        _num,
        low=-1.0,
        high=1.0,
        low_open=True,
        doc="Yearly growth of the new-plan rate in a projection.",
        rule="`population.new_plan_rate` grown over `years` at most 1",
    )
    capacity_plans: tuple[CapacityPlan, ...] = _f(
        (),
        _capacity_plans,
        lambda t: [_encode(p) for p in t],
        doc="Places added at dates: an array of tables (below).",
    )

    def __post_init__(self) -> None:
        check_ranges(self)
        for i, p in enumerate(self.capacity_plans):
            if p.year > self.years:
                raise _bad(
                    f"capacity_plans.{i}.year",
                    p.year,
                    f"expected a year of the projection, 1..{self.years} "
                    "(dynamics.years)",
                )


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


# ------------------------------------------------------------------ checks across keys
#: Rules that tie keys of different sections together, checked when a scenario
#: is read (``describe_keys`` lists them under the tables).
ACROSS_RULES: tuple[str, ...] = (
    "Without a `[data] settings` file, at least one setting group has `count` >= 1.",
    "`dynamics.capacity_plans.N.year` is at most `dynamics.years`.",
    "Expected children in a round (`plans * (new_plan_rate + school_age_share * "
    "transfer_share)`) times the number of generated settings is at most "
    f"{number_text(MAX_CELLS)} (the parents' taste draws, about 1 GB); in a "
    "`multi_year` scenario this holds in every year of the projection. "
    "Sampling checks the same limit for settings read from a `[data]` file.",
    "In a `multi_year` scenario, `population.new_plan_rate * (1 + "
    "dynamics.new_plan_growth) ** (years - 1)` is at most 1, and the expected "
    "caseload stays at most `population.plans`' upper limit.",
)


def _check_across(
    kw: Mapping[str, Any], groups: list[tuple[str, SettingGroup]]
) -> None:
    """:data:`ACROSS_RULES`, on the sections read from a scenario file."""
    data: DataSpec | None = kw.get("data")
    pop: PopulationSpec | None = kw.get("population")
    dyn: DynamicsSpec = kw.get("dynamics") or DynamicsSpec()
    generated = not (data and data.settings)
    m = sum(g.count for _, g in groups)
    if generated and m == 0:
        key = groups[0][0]
        raise _KeyedError(
            f"{key}.count",
            f"{key}.count = 0: every setting group has count = 0, so the scenario "
            "has no settings; give at least one group a count >= 1",
        )
    if pop is None:
        return
    years = dyn.years if kw.get("mode") == "multi_year" else 1
    caseload, peak_round = float(pop.plans), pop.round_size()
    for y in range(1, years):
        before = pop.new_plan_rate * (1.0 + dyn.new_plan_growth) ** (y - 1)
        rate = pop.new_plan_rate * (1.0 + dyn.new_plan_growth) ** y
        if rate > 1.0:
            raise _bad(
                "dynamics.new_plan_growth",
                dyn.new_plan_growth,
                f"population.new_plan_rate = {pop.new_plan_rate:g} grown for {y} "
                f"years reaches {rate:.3g} new plans a year per plan, above 1; "
                "lower dynamics.new_plan_growth or dynamics.years",
            )
        caseload *= 1.0 + before - dyn.leave_rate
        if caseload > MAX_PLANS:
            raise _bad(
                "dynamics.years",
                dyn.years,
                f"the projected caseload reaches about {caseload:,.0f} plans in "
                f"year {y + 1}, above {MAX_PLANS:,}; project fewer years",
            )
        grown = caseload * (rate + pop.school_age_share * pop.transfer_share)
        peak_round = max(peak_round, grown)
    if generated and peak_round * m > MAX_CELLS:
        raise _bad(
            "population.plans",
            pop.plans,
            f"a round of about {peak_round:,.0f} children against {m:,} settings "
            f"needs {peak_round * m:,.0f} taste draws, above {MAX_CELLS:,} (about "
            "1 GB); lower plans or the setting counts",
        )


def _toml_text(path: Path) -> str:
    """A scenario file's text: UTF-8, as TOML requires; a leading BOM is dropped."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InvalidScenarioError(f"{path}: cannot read scenario file ({e})") from None
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise InvalidScenarioError(
            f"{path}:{line}:{col}: byte 0x{data[e.start]:02x} is not UTF-8; a "
            "scenario file must be UTF-8 (TOML): save it as UTF-8 (it looks like "
            "Windows-1252)"
        ) from None


# ------------------------------------------------------------------ the keys, as docs
_TYPES: dict[Any, str] = {
    _int: "integer",
    _num: "number",
    _boolean: "true/false",
    _string: "string",
    _floats: "array of numbers",
    _ints: "array of integers",
    _int_pairs: "array of [integer, integer]",
    _bands: "array of [number, number, number]",
    _need_map: "table: need code = number",
    _profiles: "array of arrays of need codes",
    _taste: "table: kind = number",
    _need_taste: "table: need code = {kind = number}",
    _capacity_plans: "array of tables",
}


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, Mapping):
        return "{" + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + "}"
    if isinstance(v, tuple | list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return str(v)


def _key_rows(cls: type) -> list[str]:
    rows = []
    for f in fields(cls):
        r = key_range(f) or KeyRange()
        conv = f.metadata.get("conv")
        if conv is None:
            kind = {bool: "true/false", int: "integer", float: "number"}.get(
                type(f.default), "string"
            )
        else:
            kind = _TYPES.get(conv, "")
        if f.default is MISSING:
            default = "required"
        elif f.default is None:
            default = "absent"
        elif f.default == () and kind.startswith("table"):
            default = "`{}`"
        else:
            enc = f.metadata.get("enc")
            default = f"`{_toml_value(enc(f.default) if enc else f.default)}`"
        valid = r.describe().replace("|", "\\|")
        rows.append(f"| `{f.name}` | {kind} | {default} | {valid} | {r.doc} |")
    return rows


def describe_keys() -> str:
    """Every scenario key with its type, default and valid values, as Markdown.

    The valid values are the ranges :meth:`Scenario.from_toml` checks, read from
    the same field metadata, so this text (``docs/scenario-keys.md``) and the
    checks cannot disagree.

    Returns
    -------
    str

    Examples
    --------
    >>> from sendalloc.scenario import describe_keys
    >>> text = describe_keys()
    >>> print(next(s for s in text.splitlines() if s.startswith("| `plans`")))
    | `plans` | integer | required | [1, 1_000_000] | EHC plans the LA maintains. |
    """
    head = "| key | type | default | valid values | meaning |\n|---|---|---|---|---|"
    out = [
        "# Scenario keys",
        "",
        "<!-- Generated by sendalloc.scenario.describe_keys(); do not edit. Run:",
        "python -c 'import sendalloc.scenario as s; print(s.describe_keys(), end=\"\")'"
        " > docs/scenario-keys.md -->",
        "",
        "Every key of a scenario TOML file, with its type, default and valid values.",
        "Reading a scenario (a file, a preset, `Scenario.from_dict` or",
        "`with_overrides`) checks every value against this table and names the",
        "file, the key, and in a file its line and column. `[a, b]` includes both",
        "ends, `(a, b]` excludes `a`; a range on an array or a table applies to",
        "each of its numbers. A scenario file is UTF-8 (a byte-order mark is",
        "ignored).",
        "",
        "## Top level",
        "",
        head,
        "| `name` | string | required |  | The scenario's name. |",
        '| `description` | string | `""` |  | One line, then any detail. |',
        '| `mode` | string | `"annual"` | one of '
        + ", ".join(f"`{m}`" for m in MODES)
        + " | What a run simulates (docs/dynamics.md). |",
    ]
    for key, cls in _SECTIONS.items():
        out += ["", f"## [{key}]", "", head, *_key_rows(cls)]
    out += [
        "",
        "## Setting groups",
        "",
        "Any other table with a `kind` is a group of generated settings.",
        "",
        head,
        *_key_rows(SettingGroup),
        "",
        "## [[dynamics.capacity_plans]]",
        "",
        head,
        *_key_rows(CapacityPlan),
        "",
        "## Rules across keys",
        "",
        *(f"- {r}" for r in ACROSS_RULES),
    ]
    return "\n".join(out) + "\n"


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
        (from SEND transport costs per child: sources
        ``ccn-2024-county-send-transport-per-child``,
        ``isos-2024-send-transport-per-child``).
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

    Two optional tables annotate the numbers (every preset has them; see
    ``docs/modelling.md``): ``[cite]`` maps a dotted key (``"special.fill_mean"``)
    to a source id of :mod:`sendalloc.sources`, a list of ids (a derived figure;
    ``"assumption"`` may be one of them) or ``"assumption"``; ``[uncertainty]``
    maps a dotted key of a number (or an array of numbers) to ``{ low = ...,
    high = ..., dist = "uniform" }``, which must contain the value. They are
    kept as :attr:`citations` and :attr:`uncertainty` (read-only mappings;
    :class:`Uncertainty` values). :meth:`with_overrides` keeps both except for
    the keys it changes.

    Examples
    --------
    >>> import sendalloc as sa
    >>> sc = sa.load_scenario("county")
    >>> inst = sc.sample(1)
    >>> inst.problem.n_settings == inst.settings.n
    True
    >>> sc.with_overrides({"lists.max_length": 3}).lists.max_length
    3
    >>> sc.citations["population.new_plan_rate"]
    'new-plan-rate'
    >>> sc.uncertainty["lists.speed_kmh"]
    Uncertainty(low=20.0, high=40.0, dist='uniform')
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
    citations: Mapping[str, str | tuple[str, ...]] = field(
        default_factory=dict, hash=False, repr=False
    )
    uncertainty: Mapping[str, Uncertainty] = field(
        default_factory=dict, hash=False, repr=False
    )

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
        notes: dict[str, Any] = {}
        for key, v in d.items():
            if key in _NOTES:
                notes[key] = v
            elif key in ("name", "description"):
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
                    f"{', '.join(_SECTIONS)}, {', '.join(_NOTES)} or a setting "
                    "group table with a kind",
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
        _check_across(kw, groups)
        sc = cls(groups=tuple(groups), source=source, base_dir=base_dir, **kw)
        return _annotate(sc, notes) if notes else sc

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str]) -> Scenario:
        """Read a scenario TOML file.

        The file must be UTF-8, as TOML requires; a byte-order mark at the start
        (as Windows editors write) is accepted and ignored.

        Raises
        ------
        InvalidScenarioError
            For a file that cannot be read or is not UTF-8 (naming the line and
            column of the first byte that is not), invalid TOML or an invalid
            spec, naming the file, the line and the column of the offending key.
        """
        p = Path(path)
        return cls._from_text(_toml_text(p), str(p), str(p.parent))

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
        if self.citations:
            out["cite"] = {
                k: v if isinstance(v, str) else list(v)
                for k, v in self.citations.items()
            }
        if self.uncertainty:
            out["uncertainty"] = {k: u.to_dict() for k, u in self.uncertainty.items()}
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

        Notes
        -----
        The citations and uncertainty ranges of the keys not overridden are
        kept; those of an overridden key, of the keys under it and of the
        tables above it are dropped, as the value is no longer the cited one.
        """
        d = self.to_dict()
        for note in _NOTES:
            d.pop(note, None)
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
        new = Scenario.from_dict(
            d, source=f"{self.source} with overrides", base_dir=self.base_dir
        )
        return _carry_notes(self, new, [str(k) for k in overrides])

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
        return self._layout(as_generator(rng)).settings

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
        g = as_generator(rng)
        lay = self._layout(g)
        st = lay.settings
        if self.data is not None and self.data.children:
            children = _read_children_cached(
                str(Path(self.base_dir, self.data.children))
            )
        else:
            assert self.population is not None
            children = _sample_children(self.population, self.geography, lay, g)
        if children.n * st.n > MAX_CELLS:
            raise InvalidScenarioError(
                f"{self.source}: {children.n:,} children against {st.n:,} settings "
                f"need {children.n * st.n:,} taste draws, more than MAX_CELLS = "
                f"{MAX_CELLS:,} (about 1 GB); use fewer plans or settings"
            )
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


# ------------------------------------------------------- citations and uncertainty
#: Top-level tables that annotate a scenario's numbers rather than set them.
_NOTES: tuple[str, ...] = ("cite", "uncertainty")
#: The citation of a number no source gives.
ASSUMPTION = "assumption"
#: ``dist`` values an ``[uncertainty]`` range may have.
DISTRIBUTIONS: tuple[str, ...] = ("uniform",)
_SOURCE_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True, slots=True)
class Uncertainty:
    """The plausible range of one number of a scenario (an ``[uncertainty]`` entry).

    Attributes
    ----------
    low, high : float or nested tuple of float
        Bounds with the shape of the value: a number, or for an array such as
        ``capacity = [110, 170]`` an array of bounds, element by element.
    dist : str
        How values are spread over the range: ``"uniform"`` (each element
        independently uniform on ``[low, high]``).

    Examples
    --------
    >>> import sendalloc as sa
    >>> u = sa.load_scenario("county").uncertainty["special.capacity"]
    >>> u.low, u.high
    ((95.0, 155.0), (125.0, 185.0))
    """

    low: float | tuple[Any, ...]
    high: float | tuple[Any, ...]
    dist: str = "uniform"

    def to_dict(self) -> dict[str, Any]:
        """The entry as written in TOML: ``{"low": ..., "high": ..., "dist": ...}``."""
        return {"low": _plain(self.low), "high": _plain(self.high), "dist": self.dist}


def _lookup(tree: Mapping[str, Any], key: str) -> tuple[bool, Any]:
    node: Any = tree
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False, None
        node = node[part]
    return True, node


def _numeric(v: Any) -> Any:
    """``v`` as a float or nested tuple of floats, or None if it is not numeric."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return float(v)
    if isinstance(v, list | tuple) and v:
        out = tuple(_numeric(x) for x in v)
        return None if any(x is None for x in out) else out
    return None


def _same_shape(a: Any, b: Any) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(map(_same_shape, a, b))
    return not isinstance(a, tuple) and not isinstance(b, tuple)


def _flat(a: Any) -> list[float]:
    return [y for x in a for y in _flat(x)] if isinstance(a, tuple) else [a]


def _spec_tree(sc: Scenario) -> dict[str, Any]:
    """Every key of the scenario with its value, defaults included."""
    tree = sc.to_dict()
    for note in _NOTES:
        tree.pop(note, None)
    tree["dynamics"] = _encode(sc.dynamics)
    return tree


def _citation(key: str, v: Any) -> str | tuple[str, ...]:
    where = f'cite."{key}"'
    ids = [v] if isinstance(v, str) else v
    if not isinstance(ids, list) or not ids:
        raise _KeyedError(
            f"cite.{key}",
            f"{where} = {v!r}: expected a source id, a list of source ids or "
            f"{ASSUMPTION!r}",
        )
    for x in ids:
        if not isinstance(x, str) or not _SOURCE_ID.match(x):
            raise _KeyedError(
                f"cite.{key}",
                f"{where} = {v!r}: {x!r} is not a source id (kebab-case, as in "
                "docs/sources.md) or " + repr(ASSUMPTION),
            )
    if len(set(ids)) != len(ids):
        raise _KeyedError(f"cite.{key}", f"{where} = {v!r}: an id is repeated")
    return v if isinstance(v, str) else tuple(ids)


def _range(key: str, v: Any, value: Any) -> Uncertainty:
    where = f'uncertainty."{key}"'

    def bad(msg: str) -> _KeyedError:
        return _KeyedError(f"uncertainty.{key}", f"{where}: {msg}")

    if not isinstance(v, Mapping):
        raise bad(f"expected {{ low = ..., high = ..., dist = ... }}, got {v!r}")
    unknown = sorted(set(v) - {"low", "high", "dist"})
    if unknown:
        raise bad(f"unknown key {unknown[0]!r}; expected low, high, dist")
    for k in ("low", "high"):
        if k not in v:
            raise bad(f"missing {k!r}")
    dist = v.get("dist", "uniform")
    if dist not in DISTRIBUTIONS:
        raise bad(f"dist = {dist!r}: expected one of {', '.join(DISTRIBUTIONS)}")
    val = _numeric(value)
    if val is None:
        raise bad(f"the value {value!r} is not a number or an array of numbers")
    low, high = _numeric(v["low"]), _numeric(v["high"])
    for name, b, raw in (("low", low, v["low"]), ("high", high, v["high"])):
        if b is None or not _same_shape(b, val):
            raise bad(
                f"{name} = {raw!r}: expected a number or array shaped like the "
                f"value {value!r}"
            )
    lo, hi, x = _flat(low), _flat(high), _flat(val)
    if any(a > b for a, b in zip(lo, hi, strict=True)):
        raise bad(f"low = {v['low']!r} > high = {v['high']!r}")
    if any(not a <= c <= b for a, b, c in zip(lo, hi, x, strict=True)):
        raise bad(
            f"[low, high] = [{v['low']!r}, {v['high']!r}] does not contain the "
            f"value {value!r}"
        )
    return Uncertainty(low=low, high=high, dist=str(dist))


def _annotate(sc: Scenario, notes: Mapping[str, Any]) -> Scenario:
    """``sc`` with its ``[cite]`` and ``[uncertainty]`` tables checked and kept."""
    tree = _spec_tree(sc)
    out: dict[str, dict[str, Any]] = {"cite": {}, "uncertainty": {}}
    for note in _NOTES:
        table = notes.get(note, {})
        if not isinstance(table, Mapping):
            raise _KeyedError(note, f"{note}: expected a table, got {table!r}")
        for key, v in table.items():
            found, value = _lookup(tree, str(key))
            if not found:
                raise _KeyedError(
                    f"{note}.{key}",
                    f'{note}."{key}": unknown key ({key} is not a key of the scenario)',
                )
            out[note][str(key)] = (
                _citation(str(key), v) if note == "cite" else _range(str(key), v, value)
            )
    return replace(sc, citations=out["cite"], uncertainty=out["uncertainty"])


def _carry_notes(old: Scenario, new: Scenario, changed: list[str]) -> Scenario:
    """``new`` with ``old``'s notes, except those of the keys in ``changed``."""

    def kept(key: str) -> bool:
        return not any(
            key == c or key.startswith(c + ".") or c.startswith(key + ".")
            for c in changed
        )

    tree = _spec_tree(new)
    return replace(
        new,
        citations={
            k: v for k, v in old.citations.items() if kept(k) and _lookup(tree, k)[0]
        },
        uncertainty={
            k: u for k, u in old.uncertainty.items() if kept(k) and _lookup(tree, k)[0]
        },
    )


# ---------------------------------------------------------------------- locating keys
_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?")
_KEYLINE = re.compile(r"^\s*([A-Za-z0-9_\-\.\"' ]+?)\s*=")


def _split_key(k: str) -> list[str]:
    return [p.strip().strip("\"'") for p in k.split(".")]


def _locate(text: str, path: list[str]) -> tuple[int, int] | None:
    """Best-effort line and column (1-based) of a dotted key in TOML text."""
    table: list[str] = []
    best: tuple[int, int, int] | None = None
    arrays: dict[tuple[str, ...], int] = {}  # [[x]] tables seen, to index them
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0]
        if not line.strip():
            continue
        mh = _HEADER.match(line)
        if mh:
            table = _split_key(mh.group(1))
            if line.lstrip().startswith("[["):
                n = arrays[tuple(table)] = arrays.get(tuple(table), -1) + 1
                table = [*table, str(n)]
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
    TypeError
        If ``name_or_path`` is neither a string nor a path.

    Examples
    --------
    >>> import sendalloc as sa
    >>> sa.load_scenario("london_borough").name
    'london_borough'
    """
    if not isinstance(name_or_path, str | os.PathLike):
        raise TypeError(
            f"load_scenario: name_or_path = {name_or_path!r}: expected a preset name "
            "or a path to a .toml file (str or os.PathLike), got "
            f"{type(name_or_path).__name__}"
        )
    s = os.fspath(name_or_path)
    if not isinstance(s, str):
        raise TypeError(
            f"load_scenario: name_or_path = {name_or_path!r}: expected a str path, "
            f"got {type(s).__name__}"
        )
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
        return Scenario._from_text(_toml_text(p), str(p), str(p.parent))


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
