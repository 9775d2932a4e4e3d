"""The named random streams of a Monte Carlo run, in one place.

Run ``r`` of a simulation with root ``seed`` draws from
``SeedSequence(seed, spawn_key=(*key, r))`` (``key`` is ``()`` for
:func:`~sendalloc.simulate`, the same as ``SeedSequence(seed).spawn(runs)[r]``,
and a variant's hash words for a sweep without common random numbers). Within a
run each use of randomness has its own stream, a child of the run's sequence
named in :data:`STREAMS`, so that adding a stream (or a policy, or a mechanism)
never changes the numbers of the others:

- ``instance``: samples the round's children and places (every mode; in a
  projection, year 0);
- ``mechanism``: the generator handed to each policy (every policy gets a fresh
  generator on the same stream: common random numbers); in-year, year ``y``'s
  batches draw from the sub-stream ``y``;
- ``leavers``: pupils leaving during year ``y`` (sub-stream ``y``);
- ``caseload``: the caseload and the new sample of projected year ``y >= 1``;
- ``assumptions``: the run's draw of the scenario's uncertain assumptions
  (``uncertainty="assumptions"``: one uniform per dimension of the
  :class:`~sendalloc.scenario.AssumptionSpace`);
- ``layout``: the run's layout seed (``uncertainty="layout"``).

A new stream (say, one that draws a run's uncertain scenario parameters) takes
the next free number; the numbers of the existing streams stay as they are.

The root is what the user passed as ``seed`` (:func:`root_seed`): an int ``s``
is the root ``SeedSequence(s)``; a :class:`~numpy.random.SeedSequence` is used
as the root as it is (run ``r`` is ``SeedSequence(entropy, spawn_key=(*its_key,
r))``, the same as ``its.spawn(runs)[r]`` for a sequence never spawned from, and
it is not changed); a :class:`~numpy.random.Generator` is *spawned*, not drawn
from: the root is a new child of its bit generator's seed sequence (what
``Generator.spawn`` does), so its stream of numbers is untouched and a second
call gets new, independent streams; None is a root of fresh entropy from the
operating system. A result records its root as an int (the first and last
cases) or as a SeedSequence; passed back as ``seed``, either gives the same
numbers.

Streams 4 (``assumptions``) and 5 (``layout``) draw a run's uncertain
parameters and layout (``simulate(..., uncertainty=...)``); a run that draws
nothing from them gives the numbers it gave before they existed.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, TypeAlias

import numpy as np

__all__ = [
    "BOOTSTRAP",
    "DEFAULT_POOL_SIZE",
    "STREAMS",
    "Root",
    "SeedLike",
    "child",
    "generator",
    "root_seed",
    "run_streams",
    "seed_json",
    "seed_text",
    "stream",
]

#: What a Monte Carlo entry point takes as ``seed``.
SeedLike: TypeAlias = (
    int | np.integer[Any] | np.random.SeedSequence | np.random.Generator | None
)
#: A run's root as a result records it: an int, or a SeedSequence.
Root: TypeAlias = int | np.random.SeedSequence

#: numpy's default ``pool_size`` of a SeedSequence.
DEFAULT_POOL_SIZE = 4

_EXPECT = (
    "expected a non-negative integer, a numpy.random.SeedSequence, a "
    "numpy.random.Generator or None"
)

#: The streams of a run, by name: the last word of their spawn key.
STREAMS: Mapping[str, int] = MappingProxyType(
    {
        "instance": 0,
        "mechanism": 1,
        "leavers": 2,
        "caseload": 3,
        "assumptions": 4,
        "layout": 5,
    }
)

#: Spawn key word of the bootstrap stream of
#: :func:`sendalloc.capacity.places_needed`, a child of the root (not of a run):
#: far above any run number.
BOOTSTRAP = 2**31


def root_seed(seed: object, name: str = "seed") -> Root:
    """The root of a Monte Carlo run from a ``seed`` argument, as a result records it.

    Parameters
    ----------
    seed : int, SeedSequence, Generator or None
        An int ``>= 0`` (returned as it is); a SeedSequence (a copy is
        returned, as an int if it is ``SeedSequence(int)`` itself); a Generator
        (a new child of its bit generator's seed sequence, as
        ``Generator.spawn`` makes: the generator's state is not drawn from);
        None (a SeedSequence of fresh entropy, returned as its int entropy).
    name : str, default "seed"
        The argument's name, for the message.

    Returns
    -------
    int or SeedSequence
        Passed back as ``seed``, it gives the same runs.

    Raises
    ------
    TypeError
        For a value of another type (a float, a string, a bool), or a Generator
        whose bit generator has no seed sequence to spawn from.
    ValueError
        For a negative int.

    Examples
    --------
    >>> root_seed(5)
    5
    >>> root_seed(np.random.SeedSequence(5))
    5
    >>> root_seed(np.random.SeedSequence(5, spawn_key=(2,)))
    SeedSequence(
        entropy=5,
        spawn_key=(2,),
    )
    >>> g = np.random.default_rng(5)
    >>> before = g.bit_generator.state
    >>> root_seed(g).spawn_key, root_seed(g).spawn_key  # a new child each time
    ((0,), (1,))
    >>> g.bit_generator.state == before
    True
    >>> isinstance(root_seed(None), int)
    True
    >>> root_seed(-1)
    Traceback (most recent call last):
    ...
    ValueError: seed: expected a non-negative integer, a ... got -1
    """
    if isinstance(seed, np.random.Generator):
        parent = getattr(seed.bit_generator, "seed_seq", None)
        if not isinstance(parent, np.random.SeedSequence):
            raise TypeError(
                f"{name}: the Generator's bit generator has no SeedSequence to "
                "spawn streams from (it was built from a state); pass an int or "
                "a numpy.random.SeedSequence"
            )
        return _record(parent.spawn(1)[0])
    if seed is None:
        return _record(np.random.SeedSequence())
    if isinstance(seed, np.random.SeedSequence):
        return _record(seed)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"{name}: {_EXPECT}, got {seed!r}")
    if seed < 0:
        raise ValueError(f"{name}: {_EXPECT}, got {seed!r}")
    return int(seed)


def _record(seq: np.random.SeedSequence) -> Root:
    """A never-spawned copy of ``seq``, or its int entropy for ``SeedSequence(int)``."""
    entropy = seq.entropy
    if (
        isinstance(entropy, int | np.integer)
        and not seq.spawn_key
        and seq.pool_size == DEFAULT_POOL_SIZE
    ):
        return int(entropy)
    return np.random.SeedSequence(
        entropy, spawn_key=tuple(seq.spawn_key), pool_size=seq.pool_size
    )


def seed_json(root: Root) -> int | dict[str, Any]:
    """A root as JSON: the int, or ``{"entropy", "spawn_key"[, "pool_size"]}``.

    ``SeedSequence(**seed_json(root))`` rebuilds a SeedSequence root (the
    entropy is an int or a list of ints; ``spawn_key`` a list of ints).

    Examples
    --------
    >>> seed_json(3)
    3
    >>> seed_json(np.random.SeedSequence(3, spawn_key=(0, 7)))
    {'entropy': 3, 'spawn_key': [0, 7]}
    """
    if isinstance(root, int):
        return root
    entropy = root.entropy
    doc: dict[str, Any] = {
        "entropy": (
            int(entropy)
            if isinstance(entropy, int | np.integer)
            else [int(x) for x in np.asarray(entropy).ravel()]
        ),
        "spawn_key": [int(k) for k in root.spawn_key],
    }
    if root.pool_size != DEFAULT_POOL_SIZE:
        doc["pool_size"] = int(root.pool_size)
    return doc


def seed_text(root: Root) -> str:
    """A root on one line, as Python that rebuilds it (numpy imported as ``np``).

    Examples
    --------
    >>> seed_text(3)
    '3'
    >>> seed_text(np.random.SeedSequence(3, spawn_key=(0, 7)))
    'np.random.SeedSequence(3, spawn_key=(0, 7))'
    """
    if isinstance(root, int):
        return str(root)
    doc = seed_json(root)
    assert isinstance(doc, dict)
    pool = f", pool_size={doc['pool_size']}" if "pool_size" in doc else ""
    return (
        f"np.random.SeedSequence({doc['entropy']!r}, "
        f"spawn_key={tuple(doc['spawn_key'])!r}{pool})"
    )


def child(root: Root, *key: int) -> np.random.SeedSequence:
    """The sequence of ``root`` with ``key`` appended to its spawn key.

    Examples
    --------
    >>> child(7, 2).spawn_key
    (2,)
    >>> child(np.random.SeedSequence(7, spawn_key=(1,)), 2).spawn_key
    (1, 2)
    """
    if isinstance(root, int):
        return np.random.SeedSequence(root, spawn_key=key)
    return np.random.SeedSequence(
        root.entropy, spawn_key=(*root.spawn_key, *key), pool_size=root.pool_size
    )


def run_streams(
    seed: Root, start: int, stop: int, key: tuple[int, ...] = ()
) -> list[np.random.SeedSequence]:
    """The root sequences of runs ``start..stop-1``.

    Run ``r`` is ``child(seed, *key, r)``: for an int seed,
    ``SeedSequence(seed, spawn_key=(*key, r))``; with ``key=()`` exactly
    ``SeedSequence(seed).spawn(stop)[r]`` (and ``seed.spawn(stop)[r]`` for a
    SeedSequence never spawned from).

    Examples
    --------
    >>> a = run_streams(7, 0, 3)
    >>> b = np.random.SeedSequence(7).spawn(3)
    >>> [x.generate_state(2).tolist() == y.generate_state(2).tolist()
    ...  for x, y in zip(a, b)]
    [True, True, True]
    >>> root = np.random.SeedSequence(7, spawn_key=(4,))
    >>> c = run_streams(root, 0, 3)
    >>> d = np.random.SeedSequence(7, spawn_key=(4,)).spawn(3)
    >>> [x.generate_state(2).tolist() == y.generate_state(2).tolist()
    ...  for x, y in zip(c, d)]
    [True, True, True]
    """
    return [child(seed, *key, r) for r in range(start, stop)]


def stream(run: np.random.SeedSequence, name: str, *sub: int) -> np.random.SeedSequence:
    """The sequence of stream ``name`` of a run (and of its sub-stream ``sub``).

    Examples
    --------
    >>> run = np.random.SeedSequence(0, spawn_key=(4,))
    >>> stream(run, "mechanism", 2).spawn_key
    (4, 1, 2)
    """
    return np.random.SeedSequence(
        run.entropy,
        spawn_key=(*run.spawn_key, STREAMS[name], *sub),
        pool_size=run.pool_size,
    )


def generator(run: np.random.SeedSequence, name: str, *sub: int) -> np.random.Generator:
    """A fresh generator on :func:`stream` ``(run, name, *sub)``."""
    return np.random.default_rng(stream(run, name, *sub))
