"""Process metrics of one round: what the status quo's process costs.

Public names are re-exported by :mod:`sendalloc.metrics`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from sendalloc._metrics.common import PROCESS_METRICS
from sendalloc.population import KINDS
from sendalloc.problem import Problem

__all__ = ["ProcessInstanceLike", "process_values", "rolls_after"]


class _ProcessSettings(Protocol):
    @property
    def kind(self) -> NDArray[Any]: ...
    @property
    def capacity(self) -> NDArray[Any]: ...


class ProcessInstanceLike(Protocol):
    """What :func:`process_values` reads from an instance (a ``scenario.Instance``)."""

    @property
    def problem(self) -> Problem: ...
    @property
    def settings(self) -> _ProcessSettings: ...


def rolls_after(instance: Any, final: NDArray[Any]) -> NDArray[np.int64]:
    """Pupils on each setting's roll after the round, shape (M,).

    Those staying on roll (``instance.roll``, else capacity minus the free
    places), the pupils other authorities placed there this round
    (``instance.cross_border_taken``, when the instance has it) and the round's
    placements ``final`` (setting per child, -1 none). The process metrics and
    :mod:`sendalloc.calibrate` measure fullness on this one count. O(N + M).

    Examples
    --------
    >>> import numpy as np
    >>> import sendalloc as sa
    >>> from types import SimpleNamespace as NS
    >>> p = sa.Problem.from_lists([1, 0], [[0], [0]])
    >>> inst = NS(problem=p, settings=NS(capacity=np.array([2, 4])),
    ...           roll=np.array([1, 5]), cross_border_taken=np.array([0, 1]))
    >>> rolls_after(inst, np.array([0, -1])).tolist()
    [2, 6]
    """
    final = np.asarray(final, dtype=np.int64)
    cap = np.asarray(instance.settings.capacity, dtype=np.int64)
    roll_attr = getattr(instance, "roll", None)
    if roll_attr is None:
        roll = cap - instance.problem.capacity.astype(np.int64)
    else:
        roll = np.asarray(roll_attr, dtype=np.int64)
    taken = np.bincount(final[final >= 0], minlength=cap.shape[0])
    after = roll + taken
    other = getattr(instance, "cross_border_taken", None)
    if other is not None:
        after = after + np.asarray(other, dtype=np.int64)
    return np.asarray(after, dtype=np.int64)


def process_values(
    instance: ProcessInstanceLike,
    final: NDArray[Any],
    extra: Mapping[str, NDArray[Any]] | None = None,
) -> NDArray[np.float64]:
    """The :data:`PROCESS_METRICS` of one placement of one instance.

    Parameters
    ----------
    instance : Instance
        Reads ``problem`` (free places), ``settings`` (``capacity``,
        ``kind``) and ``roll`` (pupils staying on roll; without it,
        ``capacity - free places``).
    final : ndarray of int, shape (N,)
        The placements after every stage (-1 none).
    extra : mapping of str to ndarray, optional
        A process's per-child outcomes (:data:`PROCESS_COLUMNS`). Without it
        (a mechanism), the day's placement is ``final``, and the refusal and
        appeal metrics are NaN.

    Returns
    -------
    ndarray of float64, shape (len(PROCESS_METRICS),)

    Notes
    -----
    Shares are of all N children in the round:

    - ``request_refused``, ``appealed``, ``appeal_won``: the request was refused
      (by the LA, or the setting could not admit); the parent appealed; the
      tribunal named the requested setting.
    - ``named_over_capacity``: the final placement took a place beyond the
      setting's free places (from ``extra``; without it, counted per setting
      as placements beyond the free places, 0 for any mechanism).
    - ``unplaced_on_day``: no place on the day the plan is final.

    After the round each setting holds ``roll``, the pupils other authorities
    placed there this round (``cross_border_taken``, when the instance has it)
    and its placements:
    ``special_at_or_over_capacity`` and ``special_over_capacity`` are the
    shares of state special schools (kind ``special``) with at least, and more
    than, as many pupils as places; ``special_places_over`` their pupils beyond
    capacity per place; ``pupils_over_capacity_<kind>`` the pupils beyond
    capacity at settings of each kind (a count). O(N + M).

    Examples
    --------
    >>> import numpy as np
    >>> import sendalloc as sa
    >>> from types import SimpleNamespace as NS
    >>> p = sa.Problem.from_lists([1, 0], [[0], [0]])
    >>> places = NS(kind=np.array([2, 2]), capacity=np.array([2, 4]))
    >>> inst = NS(problem=p, settings=places, roll=np.array([1, 5]))
    >>> values = process_values(inst, np.array([0, -1])).tolist()
    >>> v = dict(zip(PROCESS_METRICS, values))
    >>> v["unplaced_on_day"], v["special_at_or_over_capacity"]
    (0.5, 1.0)
    >>> v["special_places_over"]
    0.1666...
    >>> bool(np.isnan(v["appealed"]))
    True
    """
    problem = instance.problem
    n = problem.n_children
    final = np.asarray(final, dtype=np.int64)
    settings = instance.settings
    cap = np.asarray(settings.capacity, dtype=np.int64)
    kind = np.asarray(settings.kind, dtype=np.int64)
    free = problem.capacity.astype(np.int64)
    m = cap.shape[0]
    placed = final >= 0
    taken = np.bincount(final[placed], minlength=m)
    n_f = float(n) if n else np.nan
    v: dict[str, float] = {}
    if extra is None:
        day = final
        nan = float("nan")
        v["request_refused"] = v["appealed"] = v["appeal_won"] = nan
        v["named_over_capacity"] = float(np.maximum(taken - free, 0).sum()) / n_f
    else:
        day = np.asarray(extra["day"], dtype=np.int64)
        v["request_refused"] = float(np.count_nonzero(extra["refused"])) / n_f
        v["appealed"] = float(np.count_nonzero(extra["appealed"])) / n_f
        v["appeal_won"] = float(np.count_nonzero(extra["won"])) / n_f
        v["named_over_capacity"] = float(np.count_nonzero(extra["over_capacity"])) / n_f
    v["unplaced_on_day"] = float(np.count_nonzero(day < 0)) / n_f
    after = rolls_after(instance, final)
    beyond = np.maximum(after - cap, 0)
    special = (kind == KINDS.index("special")) & (cap > 0)
    n_special = int(special.sum())
    places = float(cap[special].sum())
    v["special_at_or_over_capacity"] = (
        float(np.count_nonzero(after[special] >= cap[special])) / n_special
        if n_special
        else np.nan
    )
    v["special_over_capacity"] = (
        float(np.count_nonzero(after[special] > cap[special])) / n_special
        if n_special
        else np.nan
    )
    v["special_places_over"] = (
        float(beyond[special].sum()) / places if places > 0 else np.nan
    )
    by_kind = np.bincount(kind, weights=beyond, minlength=len(KINDS))
    for k, name in enumerate(KINDS):
        v[f"pupils_over_capacity_{name}"] = float(by_kind[k])
    return np.array([v[name] for name in PROCESS_METRICS], dtype=np.float64)
