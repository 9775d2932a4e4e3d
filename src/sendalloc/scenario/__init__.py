"""Scenarios: a frozen specification, read from TOML, that samples instances.

A :class:`Scenario` describes one local authority: how many plans it has, who
needs a placement decision this round, where children live, which settings
exist (as generated *groups* or a GIAS file), the tailored-list rules, how
parents rank and how the LA processes children. :meth:`Scenario.sample` draws
one round of decisions and returns an :class:`Instance` whose ``problem`` any
mechanism can solve. The shipped presets live in ``sendalloc/scenarios/``; see
``docs/modelling.md`` for every modelling choice and its source.

Modules, each importing only those listed before it:

- ``converters``: TOML values to section fields and back; :func:`spec_field`
  declares a field with its valid values.
- ``sections``: the sections that set the simulated LA (``[population]``,
  ``[geography]``, ``[preferences]``, ``[allocation]``, ``[data]``,
  ``[status_quo]``, setting groups) and the limits of their keys.
- ``dynamics``: the ``mode`` values and the ``[dynamics]`` section.
- ``reading``: the table of sections, a file's text, the rules across keys,
  the line and column of a key.
- ``annotations``: the ``[cite]`` and ``[uncertainty]`` tables.
- ``describe``: :func:`describe_keys`, every key as Markdown.
- ``sampling``: the settings' layout, the children, :class:`Instance`,
  :func:`free_places`, :func:`staying_on_roll`.
- ``scenario``: :class:`Scenario`.
- ``assumptions``: :class:`AssumptionSpace`, the ``[uncertainty]`` table as a
  unit cube of independent draws, and scenarios drawn from it.
- ``presets``: :func:`load_scenario`, :func:`list_scenarios`.
"""

from sendalloc.scenario.annotations import (
    ASSUMPTION,
    DISTRIBUTIONS,
    FITTED,
    NOT_SOURCES,
    Uncertainty,
)
from sendalloc.scenario.assumptions import (
    GROUP_BY,
    THEMES,
    AssumptionSpace,
    Dimension,
    theme,
)
from sendalloc.scenario.describe import describe_keys
from sendalloc.scenario.dynamics import (
    BATCHES,
    MAX_YEARS,
    MODES,
    WAIT_ORDERS,
    WAITING,
    CapacityPlan,
    DynamicsSpec,
)
from sendalloc.scenario.presets import list_scenarios, load_scenario
from sendalloc.scenario.reading import ACROSS_RULES
from sendalloc.scenario.sampling import Instance, free_places, staying_on_roll
from sendalloc.scenario.scenario import Scenario
from sendalloc.scenario.sections import (
    MAX_CELLS,
    MAX_GROUP_COUNT,
    MAX_PLACES,
    MAX_PLANS,
    MUST_ADMIT_KINDS,
    AllocationSpec,
    CostsSpec,
    DataSpec,
    GeographySpec,
    PopulationSpec,
    PreferencesSpec,
    SettingGroup,
    StatusQuoSpec,
)

__all__ = [
    "ACROSS_RULES",
    "ASSUMPTION",
    "BATCHES",
    "DISTRIBUTIONS",
    "FITTED",
    "GROUP_BY",
    "MAX_CELLS",
    "MAX_GROUP_COUNT",
    "MAX_PLACES",
    "MAX_PLANS",
    "MAX_YEARS",
    "MODES",
    "MUST_ADMIT_KINDS",
    "NOT_SOURCES",
    "THEMES",
    "WAITING",
    "WAIT_ORDERS",
    "AllocationSpec",
    "AssumptionSpace",
    "CapacityPlan",
    "CostsSpec",
    "DataSpec",
    "Dimension",
    "DynamicsSpec",
    "GeographySpec",
    "Instance",
    "PopulationSpec",
    "PreferencesSpec",
    "Scenario",
    "SettingGroup",
    "StatusQuoSpec",
    "Uncertainty",
    "describe_keys",
    "free_places",
    "list_scenarios",
    "load_scenario",
    "staying_on_roll",
    "theme",
]
