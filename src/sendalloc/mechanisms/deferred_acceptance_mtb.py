"""Deferred acceptance after multiple tie-breaking (DA-MTB).

Each setting breaks its tie classes with its own, independent lottery, then
child-proposing deferred acceptance runs on the strict priorities.
"""

from __future__ import annotations

from typing import Any

from sendalloc._rng import check_rng
from sendalloc.mechanisms.deferred_acceptance import deferred_acceptance_kernel
from sendalloc.problem import Allocation, Problem
from sendalloc.ties import strict_for

__all__ = ["deferred_acceptance_mtb"]


def deferred_acceptance_mtb(problem: Problem, *, rng: Any = None) -> Allocation:
    """Break ties with a separate lottery per setting, then run deferred acceptance.

    Parameters
    ----------
    problem : Problem
        Weak or strict. If :func:`~sendalloc.break_ties` already broke its ties
        with the ``"multiple"`` rule, those recorded lotteries are used.
    rng : numpy.random.Generator, int or None
        Draws the lotteries when the problem is weak and has none recorded.

    Returns
    -------
    Allocation
        For the problem given (``a.problem is problem``).

    Raises
    ------
    InvalidProblemError
        If the problem's ties were broken with the ``"single"`` rule.

    Notes
    -----
    Weakly stable and strategy-proof, like single tie-breaking, but independent
    lotteries add more artificial stability constraints: a child can lose one
    setting's lottery and win another's, leaving pairs of children who would
    both gain by swapping places ([1]_, [2]_). For a common priority order the
    tie-broken problem holds one list per setting: O(N M) time and memory.

    References
    ----------
    .. [1] Abdulkadiroglu, A., Pathak, P. A. & Roth, A. E. (2009).
       Strategy-proofness versus efficiency in matching with indifferences:
       redesigning the NYC high school match. American Economic Review 99(5),
       1954-1978.
    .. [2] Erdil, A. & Ergin, H. (2008). What's the matter with tie-breaking?
       Improving efficiency in school choice. American Economic Review 98(3),
       669-689.

    Examples
    --------
    Everyone ties everywhere and both parents want Oak first. Oak's lottery
    favours Ben, so Oak keeps Ben and Amy, rejected there, goes to Elm (a single
    lottery favouring Amy would have given her Oak):

    >>> import sendalloc as sa
    >>> p = sa.Problem.from_dicts(
    ...     {"Oak": 1, "Elm": 1},
    ...     {"amy": ["Oak", "Elm"], "ben": ["Oak", "Elm"]},
    ...     priorities=[["amy", "ben"]],
    ... )
    >>> lots = {"Oak": ["ben", "amy"], "Elm": ["amy", "ben"]}
    >>> mtb = sa.break_ties(p, "multiple", lottery=lots)
    >>> sa.allocate(mtb, "deferred_acceptance_mtb").to_dict()
    {'amy': 'Elm', 'ben': 'Oak'}
    """
    check_rng(rng)
    strict = strict_for(problem, "multiple", rng, "deferred_acceptance_mtb")
    a = deferred_acceptance_kernel(strict.capacity, strict.preferences, strict.priority)
    return Allocation._trusted(problem, a, "deferred_acceptance_mtb")
