"""A mechanism's answer: :class:`Allocation`, and :class:`Unplaced` reasons.

An :class:`Allocation` holds the setting each child is placed at (or none),
with the rank the parent gave it; :attr:`Allocation.unplaced_reason` says why
an unplaced child has no place. Users import both from :mod:`sendalloc` or
:mod:`sendalloc.problem`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sendalloc._kernels.ranks import ranks_kernel
from sendalloc._problem.convert import INDEX, IntArray, as_int_array, frozen
from sendalloc._problem.model import Problem
from sendalloc.errors import InvalidProblemError

__all__ = ["Allocation", "Unplaced"]


class Unplaced(enum.IntEnum):
    """Why a child has no place in an :class:`Allocation` (``PLACED`` if they have).

    ``EMPTY_LIST``: the parent ranked no setting. ``ALL_FULL``: every setting the
    parent ranked is full. ``NOT_OFFERED``: a setting the parent ranked still has a
    free place, but the mechanism did not use it (a wasteful rule).
    """

    PLACED = 0
    EMPTY_LIST = 1
    ALL_FULL = 2
    NOT_OFFERED = 3


@dataclass(frozen=True, slots=True, eq=False)
class Allocation:
    """A mechanism's result: where each child is placed.

    Attributes
    ----------
    problem : Problem
        The problem this allocation answers.
    assignment : ndarray of int32, shape (N,)
        Setting index per child, -1 if unplaced.
    rank : ndarray of int32, shape (N,)
        0-based position of the assigned setting in the parent's ranking; -1 if
        the child is unplaced or placed at a setting the parent did not rank.
    mechanism : str
        Name of the rule that produced it.
    """

    problem: Problem
    assignment: IntArray
    rank: IntArray
    mechanism: str

    @classmethod
    def from_assignment(
        cls, problem: Problem, assignment: ArrayLike, *, mechanism: str = "custom"
    ) -> Allocation:
        """Build an allocation from an array of setting indices.

        This is how user-written rules return their answer. The array is checked
        to be well formed (shape, integers, indices in range) and ranks are
        derived; whether it is *feasible* or places children only on settings they
        ranked is a property judged by :mod:`sendalloc.properties`, not assumed.

        Parameters
        ----------
        problem : Problem
        assignment : array_like of int, shape (N,)
            Setting index per child, -1 for none. Copied, never modified.
        mechanism : str, default "custom"

        Returns
        -------
        Allocation

        Examples
        --------
        >>> import sendalloc as sa
        >>> p = sa.Problem.from_lists([1, 1], [[1, 0], [1]])
        >>> a = sa.Allocation.from_assignment(p, [0, 1])
        >>> a.rank
        array([1, 0], dtype=int32)
        """
        if not isinstance(problem, Problem):
            raise InvalidProblemError(
                f"problem: expected a Problem, got {type(problem).__name__}"
            )
        a = as_int_array(assignment, "assignment", 1, want="of shape (N,)")
        n, m = problem.n_children, problem.n_settings
        if a.shape != (n,):
            raise InvalidProblemError(
                f"assignment: expected shape ({n},), one entry per child, got {a.shape}"
            )
        bad = (a < -1) | (a >= m)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InvalidProblemError(
                f"assignment[{i}] = {int(a[i])}: not a setting index in [0, {m}) or -1"
            )
        return cls._trusted(problem, a.astype(INDEX), mechanism)

    @classmethod
    def _trusted(
        cls, problem: Problem, assignment: NDArray[Any], mechanism: str
    ) -> Allocation:
        """Wrap a kernel's output (already well formed) without re-validating it."""
        assignment = np.ascontiguousarray(assignment, dtype=INDEX)
        rank = ranks_kernel(problem.preferences, assignment)
        return cls(problem, frozen(assignment), frozen(rank), mechanism)

    @property
    def placed(self) -> NDArray[np.bool_]:
        """Whether each child has a place, shape (N,)."""
        return np.asarray(self.assignment >= 0)

    @property
    def occupancy(self) -> NDArray[np.int64]:
        """Children placed at each setting, shape (M,)."""
        a = self.assignment
        return np.bincount(a[a >= 0], minlength=self.problem.n_settings)

    @property
    def unplaced_reason(self) -> NDArray[np.int8]:
        """Why each child is unplaced, as :class:`Unplaced` codes, shape (N,).

        Examples
        --------
        >>> import sendalloc as sa
        >>> p = sa.Problem.from_lists([1], [[0], [0], []])
        >>> a = sa.allocate(p, "first_available")
        >>> [sa.Unplaced(r).name for r in a.unplaced_reason]
        ['PLACED', 'ALL_FULL', 'EMPTY_LIST']
        """
        p = self.problem
        free = p.capacity.astype(np.int64) - self.occupancy
        prefs = p.preferences
        listed = prefs >= 0
        has_free = (listed & (free[np.where(listed, prefs, 0)] > 0)).any(axis=1)
        out = np.full(p.n_children, Unplaced.ALL_FULL, dtype=np.int8)
        out[has_free] = Unplaced.NOT_OFFERED
        out[~listed.any(axis=1)] = Unplaced.EMPTY_LIST
        out[self.placed] = Unplaced.PLACED
        return out

    def to_dict(self) -> dict[Any, Any]:
        """Map each child label to its setting label, or None if unplaced.

        Examples
        --------
        >>> import sendalloc as sa
        >>> p = sa.Problem.from_dicts({"Oak": 1}, {"amy": ["Oak"], "ben": ["Oak"]})
        >>> sa.allocate(p, "first_available").to_dict()
        {'amy': 'Oak', 'ben': None}
        """
        sids = self.problem.setting_ids
        return {
            c: (sids[s] if s >= 0 else None)
            for c, s in zip(
                self.problem.child_ids, self.assignment.tolist(), strict=True
            )
        }

    def __repr__(self) -> str:
        n = self.problem.n_children
        k = int(self.placed.sum())
        return f"Allocation(mechanism={self.mechanism!r}, placed={k} of {n})"
