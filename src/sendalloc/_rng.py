"""One place that turns an ``rng`` argument into a Generator, or says why not."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["as_generator", "check_rng"]

_EXPECT = (
    "expected None, a seed (an int >= 0 or a sequence of them), a "
    "numpy.random.SeedSequence, BitGenerator or Generator"
)


def as_generator(rng: Any, name: str = "rng") -> np.random.Generator:
    """``numpy.random.default_rng(rng)``, with an error naming the argument.

    Parameters
    ----------
    rng : None, int, sequence of int, SeedSequence, BitGenerator or Generator
    name : str, default "rng"
        The argument's name, for the message.

    Raises
    ------
    TypeError
        For a value of the wrong type (a string, a float): ``rng = 'x': expected
        None, a seed ...``.
    ValueError
        For a negative seed.

    Examples
    --------
    >>> from sendalloc._rng import as_generator
    >>> int(as_generator(3).integers(10))
    8
    >>> as_generator("x")
    Traceback (most recent call last):
    ...
    TypeError: rng = 'x': expected None, a seed (an int >= 0 or a sequence of ...
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, str | bytes | float | complex) or (
        isinstance(rng, np.generic) and not isinstance(rng, np.integer)
    ):
        raise TypeError(f"{name} = {rng!r}: {_EXPECT}")
    try:
        return np.random.default_rng(rng)
    except TypeError:
        raise TypeError(f"{name} = {rng!r}: {_EXPECT}") from None
    except ValueError as e:
        raise ValueError(f"{name} = {rng!r}: {_EXPECT} ({e})") from None


def check_rng(rng: Any, name: str = "rng") -> None:
    """Raise as :func:`as_generator` would, without building a Generator.

    For functions that take ``rng`` but draw nothing (deterministic rules): a
    wrong ``rng`` is still an error naming the argument, at the cost of an
    ``isinstance`` for the common values.

    Examples
    --------
    >>> from sendalloc._rng import check_rng
    >>> check_rng(None), check_rng(5)
    (None, None)
    >>> check_rng(-2, "seed")
    Traceback (most recent call last):
    ...
    ValueError: seed = -2: expected None, a seed (an int >= 0 or a sequence of ...
    """
    if rng is None or isinstance(
        rng, np.random.Generator | np.random.BitGenerator | np.random.SeedSequence
    ):
        return
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool) and rng >= 0:
        return
    as_generator(rng, name)
