"""sendalloc: simulate allocation rules for SEND placements in England.

The public API. ``import sendalloc as sa`` and see :func:`allocate`,
:class:`Problem` and :mod:`sendalloc.properties`.
"""

from __future__ import annotations

from sendalloc import (
    capacity,
    dynamic,
    metrics,
    properties,
    sources,
    status_quo,
    ties,
)
from sendalloc._version import VERSION as __version__
from sendalloc.dynamic import DynamicResult
from sendalloc.errors import InvalidProblemError, InvalidScenarioError, SendallocError
from sendalloc.mechanisms import MECHANISMS, allocate
from sendalloc.population import Children, Settings
from sendalloc.problem import Allocation, Problem, TieBreak, Unplaced
from sendalloc.scenario import Instance, Scenario, list_scenarios, load_scenario
from sendalloc.sensitivity import SensitivityResult, sensitivity
from sendalloc.simulate import POLICIES, SimulationResult, simulate
from sendalloc.sweep import SweepResult, sweep
from sendalloc.ties import break_ties

__all__ = [
    "MECHANISMS",
    "POLICIES",
    "Allocation",
    "Children",
    "DynamicResult",
    "Instance",
    "InvalidProblemError",
    "InvalidScenarioError",
    "Problem",
    "Scenario",
    "SendallocError",
    "SensitivityResult",
    "Settings",
    "SimulationResult",
    "SweepResult",
    "TieBreak",
    "Unplaced",
    "__version__",
    "allocate",
    "break_ties",
    "capacity",
    "dynamic",
    "list_scenarios",
    "load_scenario",
    "metrics",
    "properties",
    "sensitivity",
    "simulate",
    "sources",
    "status_quo",
    "sweep",
    "ties",
]
