"""Deferred acceptance after single tie-breaking (DA-STB).

Settings' tie classes are broken by one lottery shared by every setting, then
child-proposing deferred acceptance runs on the strict priorities. The rule used,
with a single lottery, by the New York City high school match.
"""

from __future__ import annotations

from typing import Any

from sendalloc._rng import check_rng
from sendalloc.mechanisms.deferred_acceptance import deferred_acceptance_kernel
from sendalloc.problem import Allocation, Problem
from sendalloc.ties import strict_for

__all__ = ["deferred_acceptance_stb"]


def deferred_acceptance_stb(problem: Problem, *, rng: Any = None) -> Allocation:
    """Break ties with one lottery for all settings, then run deferred acceptance.

    Parameters
    ----------
    problem : Problem
        Weak or strict. If :func:`~sendalloc.break_ties` already broke its ties
        with the ``"single"`` rule, that recorded lottery is used.
    rng : numpy.random.Generator, int or None
        Draws the lottery when the problem is weak and has none recorded.

    Returns
    -------
    Allocation
        For the problem given (``a.problem is problem``).

    Raises
    ------
    InvalidProblemError
        If the problem's ties were broken with the ``"multiple"`` rule.

    Notes
    -----
    The outcome is stable with respect to the tie-broken priorities, hence weakly
    stable with respect to the weak ones, but it need not be the child-optimal
    weakly stable allocation: the lottery adds stability constraints that the
    weak priorities do not impose ([1]_; see
    :func:`~sendalloc.mechanisms.stable_improvement_cycles`). Strategy-proof for
    parents. A strict problem is run as it is (no lottery is drawn). Time: one
    random permutation, O(N log N) to re-sort a common order (O(P log P) for
    per-setting lists of total length P), then deferred acceptance,
    O(N L log C).

    References
    ----------
    .. [1] Erdil, A. & Ergin, H. (2008). What's the matter with tie-breaking?
       Improving efficiency in school choice. American Economic Review 98(3),
       669-689.
    .. [2] Abdulkadiroglu, A., Pathak, P. A. & Roth, A. E. (2009).
       Strategy-proofness versus efficiency in matching with indifferences:
       redesigning the NYC high school match. American Economic Review 99(5),
       1954-1978.

    Examples
    --------
    Amy and Ben tie at Oak. Who wins the lottery decides how many are placed:
    Ben can only go to Oak, Amy could also go to Elm.

    >>> import sendalloc as sa
    >>> p = sa.Problem.from_dicts(
    ...     {"Oak": 1, "Elm": 1}, {"amy": ["Oak", "Elm"], "ben": ["Oak"]},
    ...     priorities={"Oak": [["amy", "ben"]], "Elm": ["amy"]},
    ... )
    >>> lucky_amy = sa.break_ties(p, "single", lottery=["amy", "ben"])
    >>> sa.allocate(lucky_amy, "deferred_acceptance_stb").to_dict()
    {'amy': 'Oak', 'ben': None}
    >>> lucky_ben = sa.break_ties(p, "single", lottery=["ben", "amy"])
    >>> sa.allocate(lucky_ben, "deferred_acceptance_stb").to_dict()
    {'amy': 'Elm', 'ben': 'Oak'}
    """
    check_rng(rng)
    strict = strict_for(problem, "single", rng, "deferred_acceptance_stb")
    a = deferred_acceptance_kernel(strict.capacity, strict.preferences, strict.priority)
    return Allocation._trusted(problem, a, "deferred_acceptance_stb")
