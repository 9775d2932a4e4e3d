"""The ``[dynamics]`` section and the modes of a scenario (docs/dynamics.md).

The top-level ``mode`` (:data:`MODES`) chooses what a run simulates: one
annual round, a year of events (``in_year``) or a projection over years
(``multi_year``). :class:`DynamicsSpec` holds the ``[dynamics]`` keys those
modes read, and :class:`CapacityPlan` one entry of
``[[dynamics.capacity_plans]]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sendalloc._keys import check_ranges
from sendalloc.population import bad
from sendalloc.scenario.converters import (
    array,
    boolean,
    build_section,
    encode_section,
    integer,
    number,
    spec_field,
    string,
)
from sendalloc.scenario.sections import MAX_PLACES

__all__ = [
    "BATCHES",
    "MAX_YEARS",
    "MODES",
    "WAITING",
    "WAIT_ORDERS",
    "CapacityPlan",
    "DynamicsSpec",
    "read_capacity_plans",
]


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

    year: int = spec_field(
        conv=integer,
        low=1,
        high=MAX_YEARS,
        doc="Year of the projection the places are added in (1-based).",
        rule="at most `dynamics.years`",
    )
    setting: str = spec_field(
        conv=string,
        doc="A setting id or a setting-group key (checked when the year is run).",
        rule="not empty",
    )
    places: int = spec_field(conv=integer, low=0, high=MAX_PLACES, doc="Places added.")
    day: int = spec_field(
        244, integer, low=1, high=365, doc="Day of the year (244: 1 Sep)."
    )
    opens: bool = spec_field(
        False, boolean, doc="The settings have no places at all before then."
    )

    def __post_init__(self) -> None:
        check_ranges(self)
        if not self.setting:
            raise bad("setting", self.setting, "expected a setting id or group key")


def read_capacity_plans(v: Any, key: str) -> tuple[CapacityPlan, ...]:
    """The ``[[dynamics.capacity_plans]]`` array of tables, as capacity plans."""
    return tuple(
        build_section(CapacityPlan, x, f"{key}.{i}")
        for i, x in enumerate(array(v, key))
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
    plans ceasing during a year (the caseload's leavers in a projection, and
    the pupils leaving a specialist setting, all of whom have plans);
    ``mobility_rate``: share of the pupils on a general setting's roll (most of
    them without a plan) who leave during a year. ``years`` and
    ``new_plan_growth``: the multi-year projection. ``capacity_plans``: places
    added at dates. ``assessment_days`` and ``assessment_cv``: the days from a
    request for an assessment to the plan day, log-normal with that mean and
    coefficient of variation; they date the request of each new plan (the
    share of plans whose setting is named within 20 weeks of it) and change
    no allocation.
    """

    batch: str = spec_field(
        "none", string, choices=BATCHES, doc="When new plans are placed."
    )
    consultation_days: int = spec_field(
        15,
        integer,
        low=1,
        high=365,
        doc="Days a setting takes to answer a consultation.",
    )
    assessment_days: float = spec_field(
        120.0,
        number,
        low=0.0,
        high=730.0,
        doc="Mean days from the request for an assessment to the plan day "
        "(the assessment and the draft plan, before a setting is named).",
    )
    assessment_cv: float = spec_field(
        0.4,
        number,
        low=0.0,
        high=3.0,
        low_open=True,
        doc="Coefficient of variation of those days (log-normal).",
    )
    waiting: str = spec_field(
        "auto",
        string,
        choices=WAITING,
        doc="What happens to a child with no ranked place.",
    )
    wait_order: str = spec_field(
        "first_come", string, choices=WAIT_ORDERS, doc="How waiting lists are served."
    )
    moving_up: bool = spec_field(
        False, boolean, doc="Placed children move to a place they ranked higher."
    )
    leave_rate: float = spec_field(
        0.078,
        number,
        low=0.0,
        high=1.0,
        doc="Share of plans ceasing during a year: the caseload's leavers, and "
        "the pupils leaving a specialist setting's roll.",
    )
    mobility_rate: float = spec_field(
        0.05,
        number,
        low=0.0,
        high=1.0,
        doc="Share of the pupils on a general setting's roll (mainstream, "
        "general college, AP) leaving during a year.",
    )
    out_of_list_cost: float = spec_field(
        62500.0,
        number,
        low=0.0,
        high=10_000_000.0,
        doc="Annual cost of an out-of-list place, GBP.",
    )
    years: int = spec_field(5, integer, low=1, high=MAX_YEARS, doc="Years projected.")
    new_plan_growth: float = spec_field(
        0.038,
        number,
        low=-1.0,
        high=1.0,
        low_open=True,
        doc="Yearly growth of the new-plan rate in a projection.",
        rule="`population.new_plan_rate` grown over `years` at most 1",
    )
    capacity_plans: tuple[CapacityPlan, ...] = spec_field(
        (),
        read_capacity_plans,
        lambda t: [encode_section(p) for p in t],
        doc="Places added at dates: an array of tables (below).",
    )

    def __post_init__(self) -> None:
        check_ranges(self)
        for i, p in enumerate(self.capacity_plans):
            if p.year > self.years:
                raise bad(
                    f"capacity_plans.{i}.year",
                    p.year,
                    f"expected a year of the projection, 1..{self.years} "
                    "(dynamics.years)",
                )
