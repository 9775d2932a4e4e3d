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

A new stream takes the next free number; the numbers of the existing streams
stay as they are, so a run that draws nothing from the last two gives the same
numbers it gave before they existed.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import numpy as np

__all__ = ["BOOTSTRAP", "STREAMS", "generator", "run_streams", "stream"]

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


def run_streams(
    seed: int, start: int, stop: int, key: tuple[int, ...] = ()
) -> list[np.random.SeedSequence]:
    """The root sequences of runs ``start..stop-1``.

    Run ``r`` is ``SeedSequence(seed, spawn_key=(*key, r))``: with ``key=()``
    exactly ``SeedSequence(seed).spawn(stop)[r]``.

    Examples
    --------
    >>> a = run_streams(7, 0, 3)
    >>> b = np.random.SeedSequence(7).spawn(3)
    >>> [x.generate_state(2).tolist() == y.generate_state(2).tolist()
    ...  for x, y in zip(a, b)]
    [True, True, True]
    """
    return [
        np.random.SeedSequence(seed, spawn_key=(*key, r)) for r in range(start, stop)
    ]


def stream(run: np.random.SeedSequence, name: str, *sub: int) -> np.random.SeedSequence:
    """The sequence of stream ``name`` of a run (and of its sub-stream ``sub``).

    Examples
    --------
    >>> run = np.random.SeedSequence(0, spawn_key=(4,))
    >>> stream(run, "mechanism", 2).spawn_key
    (4, 1, 2)
    """
    return np.random.SeedSequence(
        run.entropy, spawn_key=(*run.spawn_key, STREAMS[name], *sub)
    )


def generator(run: np.random.SeedSequence, name: str, *sub: int) -> np.random.Generator:
    """A fresh generator on :func:`stream` ``(run, name, *sub)``."""
    return np.random.default_rng(stream(run, name, *sub))
