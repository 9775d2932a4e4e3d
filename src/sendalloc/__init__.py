"""sendalloc: how achievable is first-available-place allocation of SEND placements?

The public API. ``import sendalloc as sa`` and see :func:`allocate`,
:class:`Problem` and :mod:`sendalloc.properties`.
"""

from __future__ import annotations

from sendalloc import properties
from sendalloc.errors import InvalidProblemError, InvalidScenarioError, SendallocError
from sendalloc.mechanisms import MECHANISMS, allocate
from sendalloc.problem import Allocation, Problem, Unplaced

__version__ = "0.1.0"

__all__ = [
    "MECHANISMS",
    "Allocation",
    "InvalidProblemError",
    "InvalidScenarioError",
    "Problem",
    "SendallocError",
    "Unplaced",
    "__version__",
    "allocate",
    "properties",
]
