"""The space of a scenario's uncertain assumptions, and scenarios drawn from it.

A scenario's ``[uncertainty]`` table gives each uncertain number a range and a
distribution (:class:`~sendalloc.scenario.Uncertainty`). :class:`AssumptionSpace`
turns the table into *dimensions*, each one independent uniform draw ``u`` in
``[0, 1]``:

- every element of an entry whose range is more than one number, in the
  table's order (``"lists.speed_kmh"``; ``"special.capacity.0"`` and
  ``"special.capacity.1"`` for the two bounds of an array), drawn
  independently: the same key in two setting groups (``primary.fill_sd`` and
  ``secondary.fill_sd``) is two independent dimensions;
- except that the entries with the same ``link`` (and every element of each)
  share one dimension, named after the link, taken through each entry's own
  distribution: they move together, each at the same quantile of its range.

:meth:`AssumptionSpace.scenario_at` maps a point of the unit cube (one ``u``
per dimension; NaN keeps the scenario's own value) to the scenario with those
values, validated as any scenario is. The Monte Carlo engine draws one point
per run (``simulate(..., uncertainty="assumptions")``), and
:func:`sendalloc.sensitivity` samples the cube for a global sensitivity
analysis. :func:`theme` sorts the keys into themes for grouped analyses.
"""

from __future__ import annotations

import copy
import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sendalloc.errors import InvalidScenarioError
from sendalloc.scenario.annotations import Uncertainty
from sendalloc.scenario.reading import SECTIONS
from sendalloc.scenario.scenario import Scenario

__all__ = [
    "GROUP_BY",
    "THEMES",
    "AssumptionSpace",
    "Dimension",
    "theme",
]

#: Themes of the keys of a section (the first part of a dotted key), in the
#: order they are listed; ``population.specialist_log_odds`` has its own.
_SECTION_THEMES: dict[str, str] = {
    "population": "who needs a place",
    "geography": "geography",
    "lists": "list rules and travel",
    "preferences": "parents' preferences",
    "allocation": "allocation and transport",
    "dynamics": "in-year timing and growth",
}
#: Themes of the keys of a setting group, by field.
_FIELD_THEMES: dict[str, str] = {
    "count": "number of settings",
    "capacity": "places per setting",
    "capacity_growth": "places per setting",
    "fill_mean": "how full settings are",
    "fill_sd": "how full settings are",
    "in_area_share": "in or out of area",
    "needs_weights": "designations and ages",
    "age_weights": "designations and ages",
    "cost": "costs",
    "cost_sd": "costs",
    "quality_sd": "quality as parents see it",
}
#: Every theme :func:`theme` gives, in a fixed order.
THEMES: tuple[str, ...] = (
    "who needs a place",
    "specialist need by primary need",
    "geography",
    "list rules and travel",
    "parents' preferences",
    "number of settings",
    "places per setting",
    "how full settings are",
    "in or out of area",
    "designations and ages",
    "costs",
    "quality as parents see it",
    "allocation and transport",
    "in-year timing and growth",
    "other",
)
#: The named ways of grouping dimensions (see :meth:`AssumptionSpace.groups`).
GROUP_BY: tuple[str, ...] = ("key", "theme", "dimension")


def theme(key: str) -> str:
    """The theme of a dotted scenario key (one of :data:`THEMES`).

    Section keys take their section's theme (``population.specialist_log_odds``
    has its own); setting-group keys the theme of their field, whatever the
    group: ``special.fill_mean`` and ``primary.fill_sd`` are both "how full
    settings are".

    Examples
    --------
    >>> theme("lists.speed_kmh")
    'list rules and travel'
    >>> theme("population.specialist_log_odds.SLD")
    'specialist need by primary need'
    >>> theme("special.capacity")
    'places per setting'
    """
    parts = key.split(".")
    if parts[0] in SECTIONS:
        if parts[:2] == ["population", "specialist_log_odds"]:
            return "specialist need by primary need"
        return _SECTION_THEMES.get(parts[0], "other")
    return _FIELD_THEMES.get(parts[1] if len(parts) > 1 else "", "other")


@dataclass(frozen=True, slots=True)
class Dimension:
    """One independent uniform draw of an :class:`AssumptionSpace`.

    Attributes
    ----------
    name : str
        The key (a number), ``key.i`` or ``key.i.j`` (an element of an array),
        or the link's name.
    members : tuple of (str, int)
        The (key, flat element position) pairs it sets.
    key : str
        What it is grouped under with ``groups="key"``: its key, or its link.
    theme : str
        Its key's :func:`theme` (the first member's, for a link).
    """

    name: str
    members: tuple[tuple[str, int], ...]
    key: str
    theme: str


def _lookup(tree: Mapping[str, Any], key: str) -> Any:
    node: Any = tree
    for part in key.split("."):
        node = node[part]
    return node


def _flat(v: Any) -> list[float]:
    if isinstance(v, list | tuple):
        return [y for x in v for y in _flat(x)]
    return [float(v)]


def _paths(like: Any, prefix: tuple[int, ...] = ()) -> list[tuple[int, ...]]:
    """The index path of every element of a nested tuple, in flat order."""
    if isinstance(like, tuple):
        return [p for i, x in enumerate(like) for p in _paths(x, (*prefix, i))]
    return [prefix]


class AssumptionSpace:
    """The uncertain assumptions of a scenario, as a unit cube of dimensions.

    Parameters
    ----------
    scenario : Scenario
        Its :attr:`~sendalloc.Scenario.uncertainty` table is the space.

    Attributes
    ----------
    scenario : Scenario
    dimensions : tuple of Dimension
        In the table's order (a link where its first entry is).

    Examples
    --------
    >>> import sendalloc as sa
    >>> space = AssumptionSpace(sa.load_scenario("county"))
    >>> len(space.dimensions) > len(space.keys)   # arrays give one per element
    True
    >>> space.names[:2]
    ('population.transfer_share', 'population.unit_share')
    >>> u = np.full(len(space), np.nan)            # NaN keeps the preset's value
    >>> u[space.names.index("lists.speed_kmh")] = 1.0
    >>> space.values(u)
    {'lists.speed_kmh': 40.0}
    >>> space.scenario_at(u).lists.speed_kmh
    40.0
    """

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self._unc: dict[str, Uncertainty] = dict(scenario.uncertainty)
        tree = scenario.to_dict()
        for note in ("cite", "uncertainty"):
            tree.pop(note, None)
        self._plain = copy.deepcopy(tree)
        tree = scenario.key_tree()
        self._base = {
            k: np.asarray(_flat(_lookup(tree, k)), dtype=np.float64) for k in self._unc
        }
        dims: list[Dimension] = []
        links: dict[str, list[tuple[str, int]]] = {}
        link_first: dict[str, tuple[int, str]] = {}
        for key, unc in self._unc.items():
            varying = unc.varying()
            if unc.link is not None:
                if unc.link not in links:
                    links[unc.link] = []
                    link_first[unc.link] = (len(dims), key)
                    dims.append(Dimension(unc.link, (), unc.link, theme(key)))
                links[unc.link] += [(key, i) for i in varying]
                continue
            paths = _paths(unc.low)
            for i in varying:
                name = (
                    key
                    if unc.size == 1 and not isinstance(unc.low, tuple)
                    else (".".join([key, *map(str, paths[i])]))
                )
                dims.append(Dimension(name, ((key, i),), key, theme(key)))
        for link, (pos, _) in link_first.items():
            d = dims[pos]
            dims[pos] = Dimension(d.name, tuple(links[link]), d.key, d.theme)
        self.dimensions: tuple[Dimension, ...] = tuple(d for d in dims if d.members)

    def __len__(self) -> int:
        return len(self.dimensions)

    def __repr__(self) -> str:
        return (
            f"AssumptionSpace({self.scenario.name!r}: {len(self.keys)} uncertain "
            f"keys, {len(self)} dimensions)"
        )

    @property
    def names(self) -> tuple[str, ...]:
        """Each dimension's name."""
        return tuple(d.name for d in self.dimensions)

    @property
    def keys(self) -> tuple[str, ...]:
        """The uncertain keys that vary (a range wider than one number)."""
        seen: dict[str, None] = {}
        for d in self.dimensions:
            seen |= dict.fromkeys(k for k, _ in d.members)
        return tuple(seen)

    def groups(
        self, by: str | Mapping[str, Sequence[str]] | None = "key"
    ) -> tuple[str, ...]:
        """The group of each dimension, for a grouped sensitivity analysis.

        Parameters
        ----------
        by : {"key", "theme", "dimension"}, None or mapping
            ``"key"``: one group per ``[uncertainty]`` entry (or link);
            ``"theme"``: by :func:`theme`; ``"dimension"`` or None: every
            dimension its own group; a mapping of group name to key patterns
            (:mod:`fnmatch`, e.g. ``{"supply": ["*.count", "*.capacity"]}``):
            a dimension joins the first group with a pattern matching its key
            (or one of its link's keys).

        Returns
        -------
        tuple of str, one per dimension

        Raises
        ------
        ValueError
            For an unknown name, or a mapping that leaves a dimension in no
            group (naming it).
        """
        if by is None or by == "dimension":
            return self.names
        if by == "key":
            return tuple(d.key for d in self.dimensions)
        if by == "theme":
            return tuple(d.theme for d in self.dimensions)
        if isinstance(by, str) or not isinstance(by, Mapping):
            raise ValueError(
                f"groups: expected one of {', '.join(GROUP_BY)}, None or a mapping "
                f"of group name to key patterns, got {by!r}"
            )
        out = []
        for d in self.dimensions:
            keys = [k for k, _ in d.members]
            for name, patterns in by.items():
                if isinstance(patterns, str):
                    raise ValueError(
                        f"groups[{name!r}]: expected a list of key patterns, got "
                        f"{patterns!r}"
                    )
                if any(fnmatch.fnmatchcase(k, p) for k in keys for p in patterns):
                    out.append(str(name))
                    break
            else:
                raise ValueError(
                    f"groups: no pattern matches {d.name} (key {keys[0]}); every "
                    "uncertain key must be in a group"
                )
        return tuple(out)

    def values(self, u: ArrayLike) -> dict[str, Any]:
        """The values of the keys at a point of the cube, as overrides.

        Parameters
        ----------
        u : array_like of float, shape (len(self),)
            One quantile in ``[0, 1]`` per dimension; NaN keeps the scenario's
            value.

        Returns
        -------
        dict of str to value
            Every key with a dimension not NaN, its elements drawn at their
            quantiles and the rest at the scenario's values; as
            :meth:`~sendalloc.Scenario.with_overrides` takes them.
        """
        q = np.asarray(u, dtype=np.float64)
        if q.shape != (len(self),):
            raise ValueError(
                f"u: expected shape ({len(self)},), one per dimension, got {q.shape}"
            )
        per_key: dict[str, NDArray[np.float64]] = {}
        for d, x in zip(self.dimensions, q, strict=True):
            if np.isnan(x):
                continue
            for key, i in d.members:
                if key not in per_key:
                    per_key[key] = np.full(self._unc[key].size, np.nan)
                per_key[key][i] = x
        out: dict[str, Any] = {}
        for key, qk in per_key.items():
            unc = self._unc[key]
            nan = np.isnan(qk)
            drawn = unc.quantiles(np.where(nan, 0.0, qk))
            out[key] = unc.shaped(np.where(nan, self._base[key], drawn))
        return out

    def scenario_at(
        self, u: ArrayLike, extra: Mapping[str, object] | None = None
    ) -> Scenario:
        """The scenario at a point of the cube (and with ``extra`` overrides).

        It is read and checked as any scenario is. It has no ``[cite]`` or
        ``[uncertainty]`` table: its numbers are no longer the cited ones.

        Raises
        ------
        InvalidScenarioError
            If the values make an invalid scenario (a rule across keys), naming
            the scenario and the rule.
        """
        d = copy.deepcopy(self._plain)
        for key, value in (self.values(u) | dict(extra or {})).items():
            parts = key.split(".")
            node = d
            for p in parts[:-1]:
                node = node.setdefault(p, {})
            node[parts[-1]] = value
        source = f"{self.scenario.source} with drawn assumptions"
        try:
            return Scenario.from_dict(d, source=source, base_dir=self.scenario.base_dir)
        except InvalidScenarioError as e:
            raise InvalidScenarioError(
                f"{self.scenario.source}: values drawn from the [uncertainty] "
                f"ranges make an invalid scenario: {e}"
            ) from None

    def check(self) -> None:
        """Raise unless the scenario is valid at both corners of the cube.

        Every range is checked against its key's valid values when the
        scenario is read; this also checks the rules across keys (such as the
        size of a round against the settings) with every number at its low
        end, then at its high end.
        """
        for end in (0.0, 1.0):
            self.scenario_at(np.full(len(self), end))
