"""The :class:`Problem` class (and :class:`TieBreak`, the lottery of a strict one).

A :class:`Problem` holds everything a mechanism may look at: the free places per
setting, each parent's ranking, each setting's priority over children and the
local authority's processing order, as read-only arrays. Its constructors
validate their arguments (:mod:`sendalloc._problem.builders`); the class itself
does no validation. Users import it from :mod:`sendalloc` or
:mod:`sendalloc.problem`.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sendalloc._problem import builders
from sendalloc._problem.convert import BY_INDEX, IntArray
from sendalloc.errors import InvalidProblemError

__all__ = ["Problem", "TieBreak"]


@dataclass(frozen=True, slots=True, eq=False)
class TieBreak:
    """The lottery that broke a problem's ties (see :func:`~sendalloc.break_ties`).

    A problem returned by ``break_ties`` is strict; its ``lottery`` attribute holds
    one of these so that tie-breaking mechanisms can reuse the same lottery and
    so that the weak priorities it was derived from stay available (for stable
    improvement cycles and weak-stability checks).

    Attributes
    ----------
    rule : {"single", "multiple"}
        One lottery shared by every setting, or one per setting.
    ranks : ndarray of int32, shape (N,) or (M, N)
        Lottery rank of each child, lower is better: ``ranks[i]`` for the single
        rule, ``ranks[s, i]`` at setting ``s`` for the multiple rule.
    priority_class : ndarray of int32, shape (N, L)
        The weak priorities before tie-breaking, aligned with ``preferences``:
        child ``i``'s priority class at ``preferences[i, k]`` (0 is the best
        class; -1 at padded slots).
    """

    rule: str
    ranks: IntArray
    priority_class: IntArray


# --------------------------------------------------------------------------- Problem
@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Problem:
    """An allocation problem: places, rankings, priorities and processing order.

    Build one with :meth:`from_arrays`, :meth:`from_lists` or :meth:`from_dicts`;
    the constructor itself does no validation. All arrays are read-only.

    Attributes
    ----------
    capacity : ndarray of int32, shape (M,)
        Free places at each setting.
    preferences : ndarray of int32, shape (N, L)
        Row ``i`` lists the settings child ``i``'s parent ranked, best first,
        padded with -1 at the end.
    priority : ndarray of int32, shape (N, L)
        ``priority[i, k]`` is child ``i``'s priority at setting
        ``preferences[i, k]``: lower wins. In a strict problem it is the child's
        position in the setting's priority list (no ties); in a weak problem
        (:attr:`is_weak`) it is the child's priority *class* there, 0 the best
        class, and children in one class tie. Padded slots hold -1.
    order : ndarray of int32, shape (N,)
        The local authority's processing order: ``order[0]`` is processed first.
    child_ids, setting_ids : tuple
        Labels of children and settings, used by :meth:`Allocation.to_dict`.
    priority_lists : tuple of ndarray
        For each setting, the children it ranks, highest priority first. With
        :meth:`from_arrays` these are exactly the children who list the setting;
        :meth:`from_lists` and :meth:`from_dicts` may also rank children who do not.
        Within a tie class the list holds children in index order.
    plist_class : ndarray of int32
        Aligned with ``plist_children``: each entry's priority class within its
        setting's list (equal to its position there when the problem is strict).
    lottery : TieBreak or None
        Set by :func:`~sendalloc.break_ties` on the strict problem it returns:
        the lottery used and the weak priorities it broke. None otherwise.
    """

    capacity: IntArray
    preferences: IntArray
    priority: IntArray
    order: IntArray
    child_ids: tuple[Any, ...]
    setting_ids: tuple[Any, ...]
    # Setting priority lists, in a form kernels can walk: setting s ranks
    # plist_children[plist_start[s]:plist_end[s]], best first. A common order is
    # one shared slice, so it costs O(N) not O(N * M).
    plist_children: IntArray
    plist_start: NDArray[np.int64]
    plist_end: NDArray[np.int64]
    # Priority class of each plist entry (ties share a class; strict: position).
    plist_class: IntArray
    lottery: TieBreak | None = None

    # ------------------------------------------------------------------ views
    @property
    def n_children(self) -> int:
        """Number of children, N."""
        return int(self.preferences.shape[0])

    @property
    def n_settings(self) -> int:
        """Number of settings, M."""
        return int(self.capacity.shape[0])

    @property
    def list_length(self) -> NDArray[np.intp]:
        """Number of settings each parent ranked, shape (N,)."""
        return np.asarray((self.preferences >= 0).sum(axis=1))

    @property
    def priority_lists(self) -> tuple[IntArray, ...]:
        """Each setting's priority list of children, best first (read-only views)."""
        return tuple(
            self.plist_children[a:b]
            for a, b in zip(
                self.plist_start.tolist(), self.plist_end.tolist(), strict=True
            )
        )

    @property
    def has_common_priority(self) -> bool:
        """Whether every setting ranks all children in one common order."""
        n = self.n_children
        return bool(
            self.plist_children.shape[0] == n
            and (self.plist_start == 0).all()
            and (self.plist_end == n).all()
        )

    @property
    def is_weak(self) -> bool:
        """Whether some setting ranks two children in the same priority class.

        Examples
        --------
        >>> import sendalloc as sa
        >>> caps, prefs = {"Oak": 1}, {"amy": ["Oak"], "ben": ["Oak"]}
        >>> sa.Problem.from_dicts(caps, prefs, priorities=[["amy", "ben"]]).is_weak
        True
        >>> sa.Problem.from_dicts(caps, prefs).is_weak
        False
        """
        cls_ = self.plist_class
        if cls_.shape[0] < 2:
            return False
        same = cls_[1:] == cls_[:-1]
        starts = np.zeros(cls_.shape[0] + 1, dtype=np.bool_)
        starts[self.plist_start] = True
        return bool((same & ~starts[1:-1]).any())

    def _require_strict(self, mechanism: str) -> None:
        """Refuse a weak problem in a mechanism that needs strict priorities.

        Every rule that reads ``priority`` or the priority lists as a strict
        order calls this first, so the message is the same everywhere.

        Raises
        ------
        InvalidProblemError
            If :attr:`is_weak`.
        """
        if self.is_weak:
            raise InvalidProblemError(
                f"{mechanism}: the problem has weak priorities (children tied "
                "within a setting's priority class) and this rule needs strict "
                "ones; break the ties first with sa.break_ties(problem, 'single') "
                "or 'multiple', or use 'deferred_acceptance_stb', "
                "'deferred_acceptance_mtb' or 'stable_improvement_cycles'"
            )

    def __repr__(self) -> str:
        return (
            f"Problem(n_children={self.n_children}, n_settings={self.n_settings}, "
            f"places={int(self.capacity.sum())}, "
            f"max_list={self.preferences.shape[1]})"
        )

    # ------------------------------------------------------------------ builders
    @classmethod
    def from_arrays(
        cls,
        capacity: ArrayLike,
        preferences: ArrayLike,
        *,
        priority: ArrayLike | None = None,
        order: ArrayLike | None = None,
        child_ids: Sequence[Hashable] | None = None,
        setting_ids: Sequence[Hashable] | None = None,
        ties: bool = False,
    ) -> Problem:
        """Build a problem from dense arrays (the fast path).

        Parameters
        ----------
        capacity : array_like of int, shape (M,)
            Free places per setting, each >= 0.
        preferences : array_like of int, shape (N, L)
            Each row the settings in the parent's order, best first, padded with -1
            at the end. No setting twice in a row.
        priority : array_like of int, shape (N, L), optional
            ``priority[i, k]``: child ``i``'s priority at ``preferences[i, k]``,
            lower wins. Values at padded slots are ignored. Two children who list
            the same setting may not share a value there unless ``ties`` is true.
            If omitted, every setting ranks children by ``order``.
        order : array_like of int, shape (N,), optional
            A permutation of ``range(N)``: the LA's processing order, first
            processed first. Defaults to ``0, 1, ..., N - 1``.
        child_ids, setting_ids : sequence of hashable, optional
            Unique labels; default ``range(N)`` and ``range(M)``.
        ties : bool, default False
            Allow equal ``priority`` values within a setting: children with the
            same value form one priority class (a weak problem, see
            :attr:`is_weak`); the stored ``priority`` becomes the class index
            at that setting, 0 the best.

        Returns
        -------
        Problem

        Raises
        ------
        InvalidProblemError
            If any argument is malformed; the message names the argument, the
            position and the value. The caller's arrays are never modified.

        Notes
        -----
        Each setting's priority list holds only the children who list it. The
        canonical top trading cycles rule, in which a setting may point at a child
        who did not list it, therefore sees only those children; pass full
        per-setting lists to :meth:`from_lists` to let settings rank others.
        Validation is vectorised: O(N L log(N L)).

        Examples
        --------
        >>> import sendalloc as sa
        >>> prio = [[5, 1], [2, -1]]
        >>> p = sa.Problem.from_arrays([1, 1], [[0, 1], [0, -1]], priority=prio)
        >>> p.priority_lists
        (array([1, 0], dtype=int32), array([0], dtype=int32))
        >>> sa.allocate(p, "deferred_acceptance").assignment
        array([1, 0], dtype=int32)

        With ``ties=True`` equal values share a priority class:

        >>> w = sa.Problem.from_arrays([1], [[0], [0], [0]], priority=[[7], [7], [2]],
        ...                            ties=True)
        >>> w.is_weak, w.priority.ravel().tolist()
        (True, [1, 1, 0])
        """
        return cls(
            **builders.from_arrays(
                capacity,
                preferences,
                priority=priority,
                order=order,
                child_ids=child_ids,
                setting_ids=setting_ids,
                ties=ties,
                names=BY_INDEX,
            )
        )

    @classmethod
    def from_lists(
        cls,
        capacity: Sequence[int] | ArrayLike,
        preferences: Sequence[Sequence[int]],
        *,
        priorities: Sequence[Any] | None = None,
        order: Sequence[int] | None = None,
        child_ids: Sequence[Hashable] | None = None,
        setting_ids: Sequence[Hashable] | None = None,
    ) -> Problem:
        """Build a problem from ragged lists of indices.

        Parameters
        ----------
        capacity : sequence of int, length M
            Free places per setting.
        preferences : sequence of sequence of int, length N
            ``preferences[i]``: the settings child ``i``'s parent ranked, best
            first (may be empty).
        priorities : sequence of sequence of int, or sequence of int, optional
            Either one list per setting of the children it ranks, highest priority
            first (it may include children who did not list the setting, and must
            include every child who did), or a single list of all children: a
            common priority order for every setting. Defaults to ``order``.
            An entry may be a tie class instead of one child: a nested list (or
            tuple, set, array) of children who tie, best class first. The input is
            read as one common order when any of its top-level entries is a
            single child index; so a common order made only of classes must be
            given per setting (or through :meth:`from_dicts`).
        order : sequence of int, optional
            The LA's processing order, a permutation of ``range(N)``.
        child_ids, setting_ids : sequence of hashable, optional
            Labels; default ``range(N)`` and ``range(M)``.

        Returns
        -------
        Problem

        Examples
        --------
        >>> import sendalloc as sa
        >>> plists = [[1, 0], [0, 1]]
        >>> p = sa.Problem.from_lists([1, 1], [[0, 1], [0]], priorities=plists)
        >>> sa.allocate(p, "deferred_acceptance").assignment
        array([1, 0], dtype=int32)

        A common order in which children 0 and 2 tie, both above child 1:

        >>> w = sa.Problem.from_lists([1], [[0], [0], [0]], priorities=[[0, 2], 1])
        >>> w.is_weak, w.priority.ravel().tolist()
        (True, [0, 1, 0])
        """
        return cls(
            **builders.from_lists(
                capacity,
                preferences,
                priorities=priorities,
                order=order,
                child_ids=child_ids,
                setting_ids=setting_ids,
            )
        )

    @classmethod
    def from_dicts(
        cls,
        capacity: Mapping[Hashable, int],
        preferences: Mapping[Hashable, Sequence[Hashable]],
        *,
        priorities: Mapping[Hashable, Sequence[Any]] | Sequence[Any] | None = None,
        order: Sequence[Hashable] | None = None,
    ) -> Problem:
        """Build a problem from labelled dictionaries.

        Parameters
        ----------
        capacity : mapping of setting label to int
            Free places per setting; its key order fixes the setting indices.
        preferences : mapping of child label to sequence of setting labels
            Each parent's ranking, best first; its key order fixes child indices.
        priorities : mapping or sequence of child labels, optional
            Per-setting priority lists (highest first; a setting absent from the
            mapping ranks nobody, so no child may list it), or one common order
            for every setting. Defaults to ``order``. An entry that is a list (or
            set) of child labels is a tie class: its children share one priority
            class, below the entries before it and above those after it.
        order : sequence of child labels, optional
            The LA's processing order; defaults to the order of ``preferences``.

        Returns
        -------
        Problem

        Raises
        ------
        InvalidProblemError
            If any argument is malformed. The message names the argument, the
            position and the value in the caller's labels: the same checks as
            :meth:`from_lists`, worded ``preferences['amy'][1] = 'Oak'`` rather
            than by index.

        Examples
        --------
        >>> import sendalloc as sa
        >>> p = sa.Problem.from_dicts(
        ...     capacity={"Oak": 1, "Elm": 2},
        ...     preferences={
        ...         "amy": ["Oak", "Elm"], "ben": ["Oak"], "cat": ["Elm", "Oak"]
        ...     },
        ...     priorities={"Oak": ["ben", "amy", "cat"], "Elm": ["amy", "cat", "ben"]},
        ...     order=["cat", "amy", "ben"],
        ... )
        >>> sa.allocate(p, "first_available").to_dict()
        {'amy': 'Oak', 'ben': None, 'cat': 'Elm'}

        Amy and Ben tie at Oak, both above Cat; strict rules then refuse the
        problem until the tie is broken:

        >>> w = sa.Problem.from_dicts(
        ...     {"Oak": 1}, {"amy": ["Oak"], "ben": ["Oak"], "cat": ["Oak"]},
        ...     priorities={"Oak": [["amy", "ben"], "cat"]},
        ... )
        >>> w.is_weak, w.priority.ravel().tolist()
        (True, [0, 0, 1])
        >>> strict = sa.break_ties(w, "single", lottery=["ben", "cat", "amy"])
        >>> sa.allocate(strict, "deferred_acceptance").to_dict()
        {'amy': None, 'ben': 'Oak', 'cat': None}

        Errors name labels, not indices:

        >>> sa.Problem.from_dicts({"Oak": 1}, {"amy": ["Oak"], "ben": ["Oak", "Oak"]})
        Traceback (most recent call last):
        ...
        sendalloc.errors.InvalidProblemError: preferences['ben'][1] = 'Oak': ...
        """
        return cls(
            **builders.from_dicts(
                capacity, preferences, priorities=priorities, order=order
            )
        )
