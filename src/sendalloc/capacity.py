"""Capacity gap: how many children *could* be placed, what binds, what would close it.

- :func:`capacity_gap`: for one instance, the most children that could be placed
  on their tailored lists (or rankings) with the places that exist, whatever the
  allocation rule: a maximum flow. Its minimum cut names the bottleneck settings
  and the children competing for them.
- :func:`gap_summary`: the same over many simulated rounds of a scenario.
- :func:`places_needed`: how many extra places, and where, bring a metric of
  first-available allocation (with the scenario's LA fallback) up to a target,
  with a bootstrap interval; the method is in its Notes.
"""

from __future__ import annotations

from sendalloc._capacity.cost import (
    TARGET_GROUPS_OR_ALL,
    TARGET_METRICS,
    Cost,
    PlacesNeeded,
    places_needed,
)
from sendalloc._capacity.document import (
    GAP_CSV_HEADER,
    gap_to_csv,
    gap_to_dict,
)
from sendalloc._capacity.flow import (
    CapacityGap,
    capacity_gap,
    max_flow_bound,
)
from sendalloc._capacity.summary import (
    GapSummary,
    gap_summary,
)

__all__ = [
    "GAP_CSV_HEADER",
    "TARGET_GROUPS_OR_ALL",
    "TARGET_METRICS",
    "CapacityGap",
    "Cost",
    "GapSummary",
    "PlacesNeeded",
    "capacity_gap",
    "gap_summary",
    "gap_to_csv",
    "gap_to_dict",
    "max_flow_bound",
    "places_needed",
]
