"""Exceptions raised by sendalloc.

Every exception subclasses a builtin so that callers who do not know sendalloc can
still catch it (``except ValueError``). Messages name the argument, what was expected
and the value received.
"""

from __future__ import annotations

__all__ = ["InvalidProblemError", "InvalidScenarioError", "SendallocError"]


class SendallocError(Exception):
    """Base class of every error sendalloc raises on purpose."""


class InvalidProblemError(SendallocError, ValueError):
    """A :class:`~sendalloc.Problem` or an allocation was given malformed input.

    Examples
    --------
    >>> import sendalloc as sa
    >>> sa.Problem.from_lists([1, -1], [[0]])
    Traceback (most recent call last):
    ...
    sendalloc.errors.InvalidProblemError: capacity[1] = -1: capacities must be >= 0
    """


class InvalidScenarioError(SendallocError, ValueError):
    """A scenario specification or data file is malformed.

    The message names the file, and where it can, the line and the column.
    """
