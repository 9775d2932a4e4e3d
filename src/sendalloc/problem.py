"""The allocation problem and its solution, as validated, read-only arrays.

A :class:`Problem` holds everything a mechanism may look at: the free places per
setting, each parent's ranking, each setting's priority over children and the
local authority's processing order. It is validated once, at construction, and
frozen; mechanisms are pure functions of it. An :class:`Allocation` is a
mechanism's answer: the setting each child is placed at (or none), with the rank
the parent gave it and, for unplaced children, the reason.

This module is the front door; the classes, their constructors and the input
checks live in ``sendalloc._problem``.
"""

from __future__ import annotations

from sendalloc._problem.allocation import Allocation, Unplaced
from sendalloc._problem.convert import INDEX as INDEX
from sendalloc._problem.convert import as_int_array as as_int_array
from sendalloc._problem.model import Problem, TieBreak
from sendalloc._problem.plists import align_priorities as align_priorities

__all__ = ["Allocation", "Problem", "TieBreak", "Unplaced"]
