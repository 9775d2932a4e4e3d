"""The achievability measures: what "how achievable is the proposal?" is measured by.

Every measure sendalloc reports a verdict on is named here, once: its name, how
it is labelled, its unit, which way is better, its definition, and which
metric measures it in each mode (:data:`MEASURES`). The text table, the
headline, the JSON and CSV documents and the HTML report all take their
measures from this table, and each is reported for the children who need
specialist provision (the *target group*, the children the proposal is for:
:data:`sendalloc.metrics.TARGET_GROUPS`) and for every child, separately, and
by need, phase and urban or rural area (the breakdowns of
:data:`sendalloc.metrics.GROUPINGS`).

Shares are of the children in the group (of every child needing a placement
decision in the round, for "all"). A measure is defined for every rule and for
today's process (``status_quo``), so that the two can be compared on the same
simulated children. Where today's process and a rule differ in what they can
do (today's process may name a setting off the tailored list, or over its
capacity; a rule may not), the definition says how the measure reads each.

The table, in the documentation's words, is docs/measures.md (written from
:func:`render_markdown`).

Examples
--------
>>> from sendalloc.measures import MEASURES, measure
>>> [m.name for m in MEASURES][:3]
['ranked_on_day', 'first_preference', 'favourite']
>>> m = measure("ranked_on_day")
>>> m.metric("annual"), m.metric("in_year")
('any_preference_on_day', 'any_preference_at_arrival')
>>> m.unit, m.better
('share', 'higher')
>>> measure("days_waiting").modes
('in_year', 'multi_year')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = [
    "HEADLINE_MEASURES",
    "MEASURES",
    "MODES",
    "UNITS",
    "Measure",
    "measure",
    "measures_for",
    "render_markdown",
]

#: The simulation modes a measure may be measured in.
MODES: tuple[str, ...] = ("annual", "in_year", "multi_year")
#: Units of a measure: a share of children (shown in %), days, pounds a year
#: (GBP), a count, or kilometres.
UNITS: tuple[str, ...] = ("share", "days", "gbp", "count", "km")


@dataclass(frozen=True, slots=True)
class Measure:
    """One achievability measure.

    Attributes
    ----------
    name : str
        Its name (stable: used in documents and on the command line).
    label : str
        How tables and figures label it ("A setting the parent ranked, the day
        the plan is final").
    short : str
        A short label for narrow text tables.
    unit : str
        One of :data:`UNITS`.
    better : {"higher", "lower"}
        Which way is better for the children.
    definition : str
        What it counts, for a rule and for today's process.
    metrics : mapping of str to str
        The metric that measures it in each mode it is measured in (a key of
        a result's ``metrics`` and of its breakdowns' columns).
    """

    name: str
    label: str
    short: str
    unit: str
    better: str
    definition: str
    metrics: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"{self.name}: unit {self.unit!r} not in {UNITS}")
        if self.better not in ("higher", "lower"):
            raise ValueError(f"{self.name}: better must be 'higher' or 'lower'")
        bad = [m for m in self.metrics if m not in MODES]
        if bad:
            raise ValueError(f"{self.name}: unknown modes {bad}")
        object.__setattr__(self, "metrics", MappingProxyType(dict(self.metrics)))

    @property
    def modes(self) -> tuple[str, ...]:
        """The modes that measure it, in :data:`MODES` order."""
        return tuple(m for m in MODES if m in self.metrics)

    def metric(self, mode: str = "annual") -> str:
        """The metric that measures it in ``mode``.

        Raises
        ------
        ValueError
            If ``mode`` does not measure it.
        """
        try:
            return self.metrics[mode]
        except KeyError:
            raise ValueError(
                f"measure {self.name!r} is not measured in the {mode!r} mode; "
                f"it is in: {', '.join(self.modes)}"
            ) from None

    def to_dict(self, mode: str = "annual") -> dict[str, Any]:
        """The measure as the report document's ``measures`` entries hold it.

        Returns
        -------
        dict
            ``{"name", "metric", "label", "unit", "better", "definition"}``,
            ``metric`` the one of ``mode``.
        """
        return {
            "name": self.name,
            "metric": self.metric(mode),
            "label": self.label,
            "unit": self.unit,
            "better": self.better,
            "definition": self.definition,
        }


_IN_TIME = ("in_year", "multi_year")

#: Every achievability measure, in the order the reports show them.
MEASURES: tuple[Measure, ...] = (
    Measure(
        name="ranked_on_day",
        label="A setting the parent ranked, the day the plan is final",
        short="ranked, plan final",
        unit="share",
        better="higher",
        definition=(
            "Placed, on the day the plan is final, at a setting the parent ranked "
            "from the tailored list. For today's process, before any appeal (a "
            "request the LA grants is ranked when it is on the list; an off-list "
            "request is not). In-year and over several years, placed at a ranked "
            "setting on the day the plan is final, which for a phase transfer is "
            "its statutory deadline (15 February for a transfer to secondary "
            "school, 31 March for the others): a child who waits is not counted."
        ),
        metrics={
            "annual": "any_preference_on_day",
            "in_year": "any_preference_at_arrival",
            "multi_year": "any_preference_at_arrival",
        },
    ),
    Measure(
        name="first_preference",
        label="The parent's first preference",
        short="first preference",
        unit="share",
        better="higher",
        definition=(
            "Placed at the setting the parent ranked first on the tailored list, "
            "after every stage (the LA's fallback; for today's process, appeals); "
            "in-year, held at the year's end."
        ),
        metrics={
            "annual": "first_preference",
            "in_year": "first_preference_year_end",
            "multi_year": "first_preference_year_end",
        },
    ),
    Measure(
        name="favourite",
        label="The parent's favourite setting, on or off the list",
        short="favourite (any list)",
        unit="share",
        better="higher",
        definition=(
            "Placed at the parent's favourite setting overall, which may be off "
            "the tailored list, after every stage. It compares today's process, "
            "where a parent asks for their favourite and may get it off the list, "
            "with a rule, which places only on the list (an off-list favourite "
            "counts as not met)."
        ),
        metrics={"annual": "favourite"},
    ),
    Measure(
        name="no_ranked_place",
        label="No setting the parent ranked",
        short="no ranked place",
        unit="share",
        better="lower",
        definition=(
            "Not placed at a setting the parent ranked, after every stage: without "
            "a place, placed by the LA's fallback at an unranked setting of the "
            "list, or (today's process) placed off the list. One minus the share "
            "at a ranked setting."
        ),
        metrics={"annual": "no_ranked_place"},
    ),
    Measure(
        name="unplaced",
        label="No place",
        short="no place",
        unit="share",
        better="lower",
        definition=(
            "Without any place after every stage. A rule places only on the "
            "tailored list, so under a rule this is the share with no listed "
            "place; today's process may place off the list, so under it this is "
            "the share with no place at all. In-year, still waiting at the "
            "year's end."
        ),
        metrics={
            "annual": "unplaced",
            "in_year": "waiting_year_end",
            "multi_year": "waiting_year_end",
        },
    ),
    Measure(
        name="over_capacity_namings",
        label="Over-capacity namings (made today; needed under a rule)",
        short="over capacity",
        unit="share",
        better="lower",
        definition=(
            "Today's process: children whose setting was named beyond its free "
            "places (a maintained school or academy named in a plan must admit). "
            "A rule: children who would need one to get a listed place, that is "
            "without a place on their (non-empty) tailored list, every setting of "
            "which is full after the round."
        ),
        metrics={"annual": "over_capacity_namings"},
    ),
    Measure(
        name="days_waiting",
        label="Days without a place",
        short="days waiting",
        unit="days",
        better="lower",
        definition=(
            "Days from the plan being final to the first place, per child (a child "
            "still waiting is counted to the year's end). Only the in-year and "
            "multi-year modes follow time."
        ),
        metrics={"in_year": "mean_days_waiting", "multi_year": "mean_days_waiting"},
    ),
    Measure(
        name="cost_per_child",
        label="Cost per child placed (a year)",
        short="cost per child £k",
        unit="gbp",
        better="lower",
        definition=(
            "The annual cost of the placements (the setting's cost per place: "
            "place funding and top-up, from the scenario's cited costs; plus "
            "transport for the children the LA transports) per child placed."
        ),
        metrics={
            "annual": "cost_per_child",
            "in_year": "cost_per_child",
            "multi_year": "cost_per_child",
        },
    ),
)

#: The measures the headline states, in order.
HEADLINE_MEASURES: tuple[str, ...] = ("ranked_on_day", "first_preference", "unplaced")

_BY_NAME: Mapping[str, Measure] = MappingProxyType({m.name: m for m in MEASURES})


def measure(name: str) -> Measure:
    """The measure called ``name``.

    Raises
    ------
    ValueError
        For an unknown name, listing the valid ones.
    """
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ValueError(
            f"unknown measure {name!r}; valid: {', '.join(_BY_NAME)}"
        ) from None


def measures_for(mode: str = "annual") -> tuple[Measure, ...]:
    """The measures a simulation in ``mode`` measures, in :data:`MEASURES` order.

    Examples
    --------
    >>> [m.name for m in measures_for("in_year")]
    ['ranked_on_day', 'first_preference', 'unplaced', 'days_waiting', 'cost_per_child']
    """
    if mode not in MODES:
        raise ValueError(f"mode: expected one of {', '.join(MODES)}, got {mode!r}")
    return tuple(m for m in MEASURES if mode in m.metrics)


def render_markdown() -> str:
    """The measures as the Markdown table of docs/measures.md.

    Returns
    -------
    str
    """
    rows = [
        "| measure | label | unit | better | annual metric | in-year metric | "
        "definition |",
        "|---|---|---|---|---|---|---|",
    ]
    for m in MEASURES:
        cells = [
            f"`{m.name}`",
            m.label,
            m.unit,
            m.better,
            f"`{m.metrics['annual']}`" if "annual" in m.metrics else "–",
            f"`{m.metrics['in_year']}`" if "in_year" in m.metrics else "–",
            m.definition,
        ]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows) + "\n"
