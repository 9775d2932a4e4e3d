"""The capacity gap of one instance: a maximum flow and its minimum cut.

Public names are re-exported by :mod:`sendalloc.capacity`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from sendalloc.population import KINDS, NEEDS

if TYPE_CHECKING:
    from sendalloc.metrics import InstanceLike

__all__ = ["CapacityGap", "capacity_gap", "max_flow_bound"]


# --------------------------------------------------------------------------- max flow
def max_flow_bound(
    capacity: NDArray[Any], lists: NDArray[Any]
) -> tuple[int, NDArray[np.int32], NDArray[np.bool_], NDArray[np.bool_]]:
    """Maximum number of children placeable on their lists, and a minimum cut.

    Parameters
    ----------
    capacity : ndarray of int, shape (M,)
        Free places per setting.
    lists : ndarray of int, shape (N, K)
        Settings each child may be placed at, -1 padded.

    Returns
    -------
    placed : int
        The maximum flow: the most children that can be placed at once.
    assignment : ndarray of int32, shape (N,)
        One placement achieving it (-1 = unplaced); not unique.
    cut_children, cut_settings : ndarray of bool, shapes (N,) and (M,)
        The source side of the minimum cut closest to the source: the settings
        whose places are all used and cannot be freed by moving anyone (the
        bottleneck), and the children whose every listed setting is among them
        (including children with nothing on their list).
        ``cut_children.sum() - capacity[cut_settings].sum()`` children go
        without a place in every maximum placement.

    Notes
    -----
    Network source -> child (1) -> listed setting (1) -> sink (capacity),
    solved with :func:`scipy.sparse.csgraph.maximum_flow` (Dinic). The cut is
    the set reachable from the source in the residual network. O(E sqrt(V))
    for this unit-capacity bipartite network, E = N K.

    Examples
    --------
    >>> import numpy as np
    >>> placed, a, kids, places = max_flow_bound(np.array([1, 2]),
    ...     np.array([[0, -1], [0, -1], [0, 1], [1, -1]]))
    >>> placed, kids.tolist(), places.tolist()
    (3, [True, True, False, False], [True, False])
    """
    # scipy.sparse costs ~0.2 s to import: only when a bound is computed.
    import scipy.sparse as sp
    from scipy.sparse.csgraph import breadth_first_order, maximum_flow

    cap = np.asarray(capacity, dtype=np.int64)
    lst = np.asarray(lists, dtype=np.int64)
    n, m = lst.shape[0], cap.shape[0]
    src, sink = 0, n + m + 1
    rows_c, cols_c = np.nonzero(lst >= 0)
    setting = lst[rows_c, cols_c]
    has = np.zeros(n, dtype=bool)
    has[rows_c] = True
    kids = np.flatnonzero(has)
    places = np.flatnonzero(cap > 0)
    u = np.concatenate([np.full(kids.size, src), 1 + rows_c, 1 + n + places])
    v = np.concatenate([1 + kids, 1 + n + setting, np.full(places.size, sink)])
    c = np.concatenate([np.ones(kids.size + rows_c.size), cap[places]]).astype(np.int32)
    size = n + m + 2
    graph = sp.csr_matrix((c, (u, v)), shape=(size, size), dtype=np.int32)
    res = maximum_flow(graph, src, sink)
    flow = res.flow.tocsr()
    residual = (graph - flow).tocsr()
    residual.data[residual.data < 0] = 0
    residual.eliminate_zeros()
    reach = np.zeros(size, dtype=bool)
    reach[
        breadth_first_order(residual, src, directed=True, return_predecessors=False)
    ] = True
    # Read the placement off the child -> setting edges that carry flow.
    sub = flow[1 : n + 1, n + 1 : n + m + 1].tocoo()
    assign = np.full(n, -1, dtype=np.int32)
    pos = sub.data > 0
    assign[sub.row[pos]] = sub.col[pos]
    # Children with nothing on their list are unplaceable: count them in the cut.
    kids_cut = reach[1 : n + 1] | ~has
    return int(res.flow_value), assign, kids_cut, reach[n + 1 : n + m + 1]


@dataclass(frozen=True, slots=True)
class CapacityGap:
    """The capacity bound of one instance.

    Attributes
    ----------
    n_children : int
    max_placed : int
        Most children that can be placed at once on their lists (or rankings).
    assignment : ndarray of int32, shape (N,)
        One placement achieving ``max_placed``.
    cut_children : ndarray of bool, shape (N,)
        Children competing for the bottleneck places (see :func:`max_flow_bound`).
    cut_settings : ndarray of bool, shape (M,)
        The bottleneck settings.
    excess_by_need : ndarray of int64, shape (13,)
        Children in the cut, by need (``NEEDS`` order).
    bottleneck_places_by_kind : ndarray of int64, shape (7,)
        Free places at bottleneck settings, by kind (``KINDS`` order).
    bottleneck_ids : tuple of str
        Labels of the bottleneck settings.
    """

    n_children: int
    max_placed: int
    assignment: NDArray[np.int32]
    cut_children: NDArray[np.bool_]
    cut_settings: NDArray[np.bool_]
    excess_by_need: NDArray[np.int64]
    bottleneck_places_by_kind: NDArray[np.int64]
    bottleneck_ids: tuple[str, ...]

    @property
    def gap(self) -> int:
        """Children who cannot be placed whatever the rule: N - max_placed."""
        return self.n_children - self.max_placed

    @property
    def bound(self) -> float:
        """``max_placed`` as a share of all children (NaN for an empty round)."""
        return self.max_placed / self.n_children if self.n_children else math.nan


def capacity_gap(instance: InstanceLike, *, on: str = "lists") -> CapacityGap:
    """Maximum-flow bound and bottlenecks of one instance.

    Parameters
    ----------
    instance : Instance
        Supplies ``problem.capacity`` (free places), ``lists`` or
        ``problem.preferences``, ``children.need`` and ``settings.kind``/``id``.
    on : {"lists", "preferences"}
        Place children anywhere on their tailored list (the bound for
        ``placed_on_list``) or only at settings the parent ranked (the bound
        for ``any_preference``; :data:`max_placement` attains it).

    Returns
    -------
    CapacityGap

    Examples
    --------
    >>> import numpy as np
    >>> import sendalloc as sa
    >>> from types import SimpleNamespace as NS
    >>> inst = NS(problem=sa.Problem.from_lists([1, 2], [[0], [0], [1], [1]]),
    ...           lists=np.array([[0, -1], [0, -1], [0, 1], [1, -1]]),
    ...           children=NS(need=np.array([0, 0, 2, 2])),
    ...           settings=NS(kind=np.array([2, 0]), id=("Oak", "Elm")))
    >>> g = capacity_gap(inst)
    >>> g.max_placed, g.gap, g.bottleneck_ids, g.excess_by_need[:3].tolist()
    (3, 1, ('Oak',), [2, 0, 0])
    """
    if on == "lists":
        lists = np.asarray(instance.lists)
    elif on == "preferences":
        lists = np.asarray(instance.problem.preferences)
    else:
        raise ValueError(f"on: expected 'lists' or 'preferences', got {on!r}")
    cap = np.asarray(instance.problem.capacity)
    placed, assign, kids, places = max_flow_bound(cap, lists)
    need = np.asarray(instance.children.need, dtype=np.int64)
    kind = np.asarray(instance.settings.kind, dtype=np.int64)
    ids = tuple(str(x) for x in getattr(instance.settings, "id", range(cap.shape[0])))
    return CapacityGap(
        n_children=int(lists.shape[0]),
        max_placed=placed,
        assignment=assign,
        cut_children=kids,
        cut_settings=places,
        excess_by_need=np.bincount(need[kids], minlength=len(NEEDS)).astype(np.int64),
        bottleneck_places_by_kind=np.bincount(
            kind[places], weights=cap[places], minlength=len(KINDS)
        ).astype(np.int64),
        bottleneck_ids=tuple(ids[i] for i in np.flatnonzero(places).tolist()),
    )
