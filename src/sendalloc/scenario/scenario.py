"""The :class:`Scenario`: a frozen specification, read from TOML, that samples rounds.

It reads and validates a scenario (:meth:`Scenario.from_toml`,
:meth:`Scenario.from_dict`), writes it back (:meth:`Scenario.to_dict`), changes
keys (:meth:`Scenario.with_overrides`) and draws one round of placement
decisions (:meth:`Scenario.sample`). The sections it holds are in
:mod:`sendalloc.scenario.sections` and :mod:`sendalloc.scenario.dynamics`.
"""

from __future__ import annotations

import html
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sendalloc._rng import as_generator
from sendalloc.errors import InvalidScenarioError
from sendalloc.lists import ListRules, candidate_pairs, select_pairs
from sendalloc.population import KINDS, KeyedError, Settings, bad
from sendalloc.preferences import (
    draw_on_pairs,
    priority_classes,
    processing_order,
    setting_priority,
)
from sendalloc.problem import Problem
from sendalloc.scenario.annotations import (
    FITTED,
    NOT_SOURCES,
    NOTES,
    Uncertainty,
    annotate,
    carry_notes,
)
from sendalloc.scenario.converters import build_section, encode_section, string
from sendalloc.scenario.dynamics import MODES, DynamicsSpec
from sendalloc.scenario.reading import SECTIONS, check_across, locate, toml_text
from sendalloc.scenario.sampling import (
    Instance,
    Layout,
    freeze,
    layout,
    read_children_cached,
    sample_children,
    staying_on_roll,
)
from sendalloc.scenario.sections import (
    MAX_CELLS,
    AllocationSpec,
    CostsSpec,
    DataSpec,
    GeographySpec,
    PopulationSpec,
    PreferencesSpec,
    SettingGroup,
    StatusQuoSpec,
)
from sendalloc.ties import break_ties

__all__ = ["Scenario"]


@dataclass(frozen=True, slots=True)
class Scenario:
    """A frozen scenario specification; :meth:`sample` draws instances.

    Read one with :func:`load_scenario` (a preset name or a path),
    :meth:`from_toml` or :meth:`from_dict`. Top-level TOML keys: ``name``,
    ``description``, ``mode`` (``"annual"``, the default, ``"in_year"`` or
    ``"multi_year"``: see :mod:`sendalloc.dynamic`), the sections
    ``[population]``, ``[geography]``, ``[lists]``, ``[preferences]``,
    ``[allocation]``, ``[data]``, ``[dynamics]``, ``[status_quo]`` (today's
    statutory process, docs/status-quo.md), ``[costs]`` (capital cost of new
    places); every other
    table is a :class:`SettingGroup` and must have a ``kind``. Unknown keys are
    errors.

    Two optional tables annotate the numbers (every preset has them; see
    ``docs/modelling.md``): ``[cite]`` maps a dotted key (``"special.fill_mean"``)
    to a source id of :mod:`sendalloc.sources`, a list of ids (a derived figure;
    ``"assumption"`` may be one of them) or ``"assumption"``; ``[uncertainty]``
    maps a dotted key of a number (or an array of numbers) to ``{ low = ...,
    high = ..., dist = "uniform" }``, which must contain the value. They are
    kept as :attr:`citations` and :attr:`uncertainty` (read-only mappings;
    :class:`Uncertainty` values). :meth:`with_overrides` keeps both except for
    the keys it changes.

    Examples
    --------
    >>> import sendalloc as sa
    >>> sc = sa.load_scenario("county")
    >>> sc
    Scenario('county', annual: 4,000 plans; ... settings (mainstream ...)
    >>> inst = sc.sample(1)
    >>> inst.problem.n_settings == inst.settings.n
    True
    >>> sc.with_overrides({"lists.max_length": 3}).lists.max_length
    3
    >>> sc.citations["population.new_plan_rate"]
    'new-plan-rate-start'
    >>> sc.uncertainty["lists.speed_kmh"]
    Uncertainty(low=20.0, high=40.0, dist='uniform')
    """

    name: str
    description: str
    geography: GeographySpec
    groups: tuple[tuple[str, SettingGroup], ...] = ()
    population: PopulationSpec | None = None
    lists: ListRules = field(default_factory=ListRules)
    preferences: PreferencesSpec = field(default_factory=PreferencesSpec)
    allocation: AllocationSpec = field(default_factory=AllocationSpec)
    data: DataSpec | None = None
    mode: str = "annual"
    dynamics: DynamicsSpec = field(default_factory=DynamicsSpec)
    status_quo: StatusQuoSpec = field(default_factory=StatusQuoSpec)
    costs: CostsSpec = field(default_factory=CostsSpec)
    source: str = field(default="<dict>", compare=False)
    base_dir: str = field(default=".", compare=False)
    citations: Mapping[str, str | tuple[str, ...]] = field(
        default_factory=dict, hash=False, repr=False
    )
    uncertainty: Mapping[str, Uncertainty] = field(
        default_factory=dict, hash=False, repr=False
    )

    # ------------------------------------------------------------------ reading
    @classmethod
    def from_dict(
        cls,
        d: Mapping[str, Any],
        *,
        source: str = "<dict>",
        base_dir: str | None = None,
    ) -> Scenario:
        """Build and validate a scenario from a nested mapping (parsed TOML).

        Parameters
        ----------
        d : mapping
            As read from a scenario TOML file.
        source : str, default "<dict>"
            Named in error messages.
        base_dir : str, optional
            Directory that ``[data]`` paths are relative to (default ``.``).

        Returns
        -------
        Scenario

        Raises
        ------
        InvalidScenarioError
            Naming the source and the dotted key.
        """
        try:
            return cls._from_mapping(d, source, base_dir or ".")
        except KeyedError as e:
            raise InvalidScenarioError(f"{source}: {e.message}") from None

    @classmethod
    def _from_mapping(
        cls, d: Mapping[str, Any], source: str, base_dir: str
    ) -> Scenario:
        if not isinstance(d, Mapping):
            raise KeyedError("", f"expected a table, got {type(d).__name__}")
        kw: dict[str, Any] = {}
        groups: list[tuple[str, SettingGroup]] = []
        notes: dict[str, Any] = {}
        for key, v in d.items():
            if key in NOTES:
                notes[key] = v
            elif key in ("name", "description"):
                kw[key] = string(v, key)
            elif key == "mode":
                kw[key] = string(v, key)
                if v not in MODES:
                    raise bad(key, v, f"expected one of {', '.join(MODES)}")
            elif key in SECTIONS:
                kw[key] = build_section(SECTIONS[key], v, key)
            elif isinstance(v, Mapping) and "kind" in v:
                groups.append((key, build_section(SettingGroup, v, key)))
            else:
                raise KeyedError(
                    key,
                    f"{key}: unknown key; expected name, description, mode, "
                    f"{', '.join(SECTIONS)}, {', '.join(NOTES)} or a setting "
                    "group table with a kind",
                )
        for req in ("name", "geography"):
            if req not in kw:
                raise KeyedError("", f"missing required key {req!r}")
        kw.setdefault("description", "")
        data: DataSpec | None = kw.get("data")
        if not groups and not (data and data.settings):
            raise KeyedError("", "no setting groups and no [data] settings file")
        if kw.get("population") is None and not (data and data.children):
            raise KeyedError("", "missing [population] (or a [data] children file)")
        check_across(kw, groups)
        sc = cls(groups=tuple(groups), source=source, base_dir=base_dir, **kw)
        if not notes:
            return sc
        citations, uncertainty = annotate(sc.key_tree(), notes)
        return replace(sc, citations=citations, uncertainty=uncertainty)

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str]) -> Scenario:
        """Read a scenario TOML file.

        The file must be UTF-8, as TOML requires; a byte-order mark at the start
        (as Windows editors write) is accepted and ignored.

        Raises
        ------
        InvalidScenarioError
            For a file that cannot be read or is not UTF-8 (naming the line and
            column of the first byte that is not), invalid TOML or an invalid
            spec, naming the file, the line and the column of the offending key.
        """
        p = Path(path)
        return cls._from_text(toml_text(p), str(p), str(p.parent))

    @classmethod
    def _from_text(cls, text: str, source: str, base_dir: str) -> Scenario:
        try:
            d = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            m = re.search(r"\(at line (\d+), column (\d+)\)", str(e))
            where = f"{m.group(1)}:{m.group(2)}" if m else "?"
            msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(e))
            raise InvalidScenarioError(
                f"{source}:{where}: invalid TOML: {msg}"
            ) from None
        try:
            return cls._from_mapping(d, source, base_dir)
        except KeyedError as e:
            loc = locate(text, [p for p in e.key.split(".") if p])
            where = f"{loc[0]}:{loc[1]}" if loc else "1:1"
            raise InvalidScenarioError(f"{source}:{where}: {e.message}") from None

    def to_dict(self) -> dict[str, Any]:
        """The spec as plain nested dicts and lists; round-trips with :meth:`from_dict`.

        Examples
        --------
        >>> import sendalloc as sa
        >>> sc = sa.load_scenario("county")
        >>> sa.Scenario.from_dict(sc.to_dict()) == sc
        True
        """
        out: dict[str, Any] = {"name": self.name, "description": self.description}
        if self.mode != "annual":
            out["mode"] = self.mode
        for key in SECTIONS:
            v = getattr(self, key)
            if v is not None and v != _OMITTED_AT_DEFAULT.get(key):
                out[key] = encode_section(v)
        for key, g in self.groups:
            out[key] = encode_section(g)
        if self.citations:
            out["cite"] = {
                k: v if isinstance(v, str) else list(v)
                for k, v in self.citations.items()
            }
        if self.uncertainty:
            out["uncertainty"] = {k: u.to_dict() for k, u in self.uncertainty.items()}
        return out

    def with_overrides(self, overrides: Mapping[str, object]) -> Scenario:
        """A new, validated scenario with dotted keys replaced.

        Parameters
        ----------
        overrides : mapping of str to value
            Dotted TOML keys, e.g. ``{"lists.max_length": 3,
            "special.capacity_growth": 0.1}``.

        Raises
        ------
        InvalidScenarioError
            For an unknown key or an invalid value.

        Notes
        -----
        The citations and uncertainty ranges of the keys not overridden are
        kept; those of an overridden key, of the keys under it and of the
        tables above it are dropped, as the value is no longer the cited one.
        """
        d = self.to_dict()
        for note in NOTES:
            d.pop(note, None)
        for key, value in overrides.items():
            parts = str(key).split(".")
            node: Any = d
            for i, p in enumerate(parts[:-1]):
                nxt = node.get(p) if isinstance(node, dict) else None
                if nxt is None:
                    if p in SECTIONS and i == 0:
                        nxt = node[p] = {}
                    else:
                        raise InvalidScenarioError(
                            f"{self.source} with overrides: {key}: unknown key "
                            f"({'.'.join(parts[: i + 1])} is not a table of the "
                            "scenario)"
                        )
                elif not isinstance(nxt, dict):
                    raise InvalidScenarioError(
                        f"{self.source} with overrides: {key}: "
                        f"{'.'.join(parts[: i + 1])} is not a table"
                    )
                node = nxt
            node[parts[-1]] = value
        new = Scenario.from_dict(
            d, source=f"{self.source} with overrides", base_dir=self.base_dir
        )
        citations, uncertainty = carry_notes(
            self.citations,
            self.uncertainty,
            new.key_tree(),
            [str(k) for k in overrides],
        )
        return replace(new, citations=citations, uncertainty=uncertainty)

    def key_tree(self) -> dict[str, Any]:
        """Every key of the scenario with its value, defaults included.

        :meth:`to_dict` leaves out sections that hold their defaults (and adds
        the ``[cite]`` and ``[uncertainty]`` notes); this tree has every section
        and no notes: what a dotted key such as ``"status_quo.appeal_days"``
        names.

        Returns
        -------
        dict

        Examples
        --------
        >>> import sendalloc as sa
        >>> sa.load_scenario("county").key_tree()["dynamics"]["batch"]
        'none'
        """
        tree = self.to_dict()
        for note in NOTES:
            tree.pop(note, None)
        tree["dynamics"] = encode_section(self.dynamics)
        tree["status_quo"] = encode_section(self.status_quo)
        tree["costs"] = encode_section(self.costs)
        return tree

    # ------------------------------------------------------------------ display
    def __repr__(self) -> str:
        """One line: name, mode, plans, settings by kind, how many notes.

        Kinds are abbreviated (``RP`` resourced provision, ``NMSS``
        non-maintained special, ``ISS`` independent special, ``AP`` alternative
        provision); the full spec is :meth:`to_dict`.
        """
        if self.population is not None:
            who = f"{self.population.plans:,} plans"
        else:
            who = f"children from {_file_name(self.data, 'children')}"
        if self.data is not None and self.data.settings:
            where = f"settings from {_file_name(self.data, 'settings')}"
        else:
            counts = _kind_counts(self.groups)
            kinds = ", ".join(f"{_KIND_SHORT[k]} {n:,}" for k, n in counts.items())
            where = f"{sum(counts.values()):,} settings ({kinds})"
        return (
            f"Scenario({_clip(self.name, 40)!r}, {self.mode}: {who}; {where}; "
            f"{len(self.citations)} cited, {len(self.uncertainty)} uncertain)"
        )

    def _repr_html_(self) -> str:
        """A compact HTML table for Jupyter: the scenario at a glance."""
        e = html.escape
        rows = [("scenario", e(self.name))]
        if self.description:
            rows.append(("description", e(self.description.strip().splitlines()[0])))
        mode = self.mode
        if mode == "multi_year":
            mode += f" ({self.dynamics.years} years)"
        elif mode == "in_year":
            mode += f" (batch: {self.dynamics.batch})"
        rows.append(("mode", e(mode)))
        if self.population is not None:
            pop = self.population
            who = (
                f"{pop.plans:,} EHC plans; about {pop.round_size():,.0f} children "
                "need a placement decision each round"
            )
        else:
            who = f"children read from {_file_name(self.data, 'children')}"
        rows.append(("population", e(who)))
        ids = [(c,) if isinstance(c, str) else c for c in self.citations.values()]
        sourced = sum(any(s not in NOT_SOURCES for s in c) for c in ids)
        fitted = sum(FITTED in c and all(s in NOT_SOURCES for s in c) for c in ids)
        rows.append(
            (
                "numbers",
                f"{len(self.citations)} cited: {sourced} to a source, "
                + (f"{fitted} fitted, " if fitted else "")
                + f"{len(self.citations) - sourced - fitted} assumptions; "
                f"{len(self.uncertainty)} with an uncertainty range",
            )
        )
        out = ['<table class="sendalloc-scenario">', "<tbody>"]
        for key, value in rows:
            out.append(
                f'<tr><th style="text-align:left">{key}</th>'
                f'<td colspan="4" style="text-align:left">{value}</td></tr>'
            )
        out.append("</tbody>")
        if self.data is not None and self.data.settings:
            where = f"read from {_file_name(self.data, 'settings')}"
            out += [
                "<tbody>",
                f'<tr><th style="text-align:left">settings</th>'
                f'<td colspan="4" style="text-align:left">{e(where)}</td></tr>',
                "</tbody>",
            ]
        else:
            out += [
                "<tbody>",
                "<tr><th>setting group</th><th>kind</th><th>settings</th>"
                "<th>places each</th><th>places in all (mean)</th></tr>",
            ]
            total = 0.0
            for key, g in self.groups:
                grow = 1.0 + g.capacity_growth
                lo, hi = round(g.capacity[0] * grow), round(g.capacity[1] * grow)
                places = g.count * (g.capacity[0] + g.capacity[1]) / 2 * grow
                total += places
                out.append(
                    f"<tr><td>{e(key)}</td><td>{e(g.kind)}</td><td>{g.count:,}</td>"
                    f"<td>{lo:,}-{hi:,}</td><td>{places:,.0f}</td></tr>"
                )
            n = sum(g.count for _, g in self.groups)
            out += [
                f"<tr><th>all</th><td></td><th>{n:,}</th><td></td>"
                f"<th>{total:,.0f}</th></tr>",
                "</tbody>",
            ]
        out.append("</table>")
        return "\n".join(out)

    # ------------------------------------------------------------------ sampling
    def _transfer_ages(self) -> tuple[int, ...]:
        return self.population.transfer_ages if self.population else (11, 16)

    def _layout(self, rng: np.random.Generator) -> Layout:
        ages = self._transfer_ages()
        return layout(self.geography, self.groups, ages, self.data, self.base_dir, rng)

    def settings(self, rng: np.random.Generator | int | None = None) -> Settings:
        """The settings table (fixed if ``geography.layout_seed`` is set)."""
        return self._layout(as_generator(rng)).settings

    def sample(self, rng: np.random.Generator | int | None = None) -> Instance:
        """Draw one round of placement decisions.

        Parameters
        ----------
        rng : numpy.random.Generator, int or None
            Normalised with :func:`numpy.random.default_rng`.

        Returns
        -------
        Instance

        Notes
        -----
        Steps: settings (cached per ``layout_seed``) and their free places;
        children (new plans and phase transfers); distances, eligibility and
        tailored lists; utilities, rankings and wishes; processing order and
        setting priorities; the free places other authorities' children take
        (``geography.in_area_taken``, ``out_of_area_taken``);
        :meth:`Problem.from_arrays`. The lists and
        preferences are those of :func:`~sendalloc.lists.tailored_lists` and
        :func:`~sendalloc.preferences.draw_preferences`, bit for bit and from
        the same draws, but worked out only at each child's candidate settings
        (O(P) for P candidate pairs) besides one O(N M) Gumbel draw.
        """
        g = as_generator(rng)
        lay = self._layout(g)
        st = lay.settings
        if self.data is not None and self.data.children:
            children = read_children_cached(
                str(Path(self.base_dir, self.data.children))
            )
        else:
            assert self.population is not None
            children = sample_children(self.population, self.geography, lay, g)
        if children.n * st.n > MAX_CELLS:
            raise InvalidScenarioError(
                f"{self.source}: {children.n:,} children against {st.n:,} settings "
                f"need {children.n * st.n:,} taste draws, more than MAX_CELLS = "
                f"{MAX_CELLS:,} (about 1 GB); use fewer plans or settings"
            )
        # The dense pipeline (distance_matrix, eligibility, tailored_lists,
        # candidates, draw_preferences) evaluated only at each child's candidate
        # settings: the same draws and the same float operations, so the same
        # numbers, at about a fifth of the work.
        pairs = candidate_pairs(children, st, self.lists)
        lists, listed_at = select_pairs(
            pairs, st, self.lists.order, self.lists.max_length
        )
        model = self.preferences.model()
        prefs, wish, srt = draw_on_pairs(
            children, st, lists, listed_at, pairs, model, g
        )
        listed = lists >= 0
        d_list = np.full(lists.shape, np.nan)
        d_list[listed] = pairs.distance[listed_at[listed]]
        on_list = ((lists == wish[:, None]) & listed).any(axis=1)
        off = (wish >= 0) & ~on_list
        order = processing_order(children, self.allocation.order, g)
        pv = prefs >= 0
        d_pref = np.where(pv, np.take_along_axis(d_list, srt, axis=1), np.nan)
        spec = self.allocation
        weak = spec.priority == "classes"
        prio: NDArray[np.int64] | None
        if weak:
            prio = priority_classes(
                prefs, children, st, d_pref, bands_km=spec.distance_bands_km
            )
        else:
            prio = setting_priority(prefs, children, d_pref, spec.priority, g)
        # Cross-border competition: other authorities' children take a share of
        # each setting's free places, from a stream of its own (one draw from g
        # whatever the shares, so the children above stay the same).
        share = freeze(self.geography.taken_share(st.in_area))
        taken_rng = np.random.default_rng(int(g.integers(0, 2**63)))
        taken = freeze(taken_rng.binomial(lay.free, share).astype(np.int32))
        problem = Problem.from_arrays(
            lay.free - taken,
            prefs,
            priority=prio,
            order=order,
            child_ids=children.id,
            setting_ids=st.id,
            ties=weak,
        )
        if weak:
            # Classes tie: break them with a lottery recorded on the problem, so
            # strict rules run on the broken ties and stable improvement cycles
            # can still see the classes.
            problem = break_ties(problem, spec.tie_break, rng=g)
        return Instance(
            problem=problem,
            children=children,
            settings=st,
            lists=freeze(lists),
            wish=freeze(wish),
            off_list_wish=freeze(off),
            distance_km=freeze(d_list),
            fallback=self.allocation.fallback,
            transport_cost_per_km=self.allocation.transport_cost_per_km,
            transport_within_walking=self.allocation.transport_within_walking,
            cross_border_share=share,
            cross_border_taken=taken,
            roll=freeze(staying_on_roll(st, self._transfer_ages())),
            kind_taste=freeze(np.array(model.kind_taste, dtype=np.float64)),
            status_quo=self.status_quo,
        )


#: Sections :meth:`Scenario.to_dict` leaves out when they hold their defaults.
_OMITTED_AT_DEFAULT: dict[str, object] = {
    "dynamics": DynamicsSpec(),
    "status_quo": StatusQuoSpec(),
    "costs": CostsSpec(),
}

#: Short names of setting kinds, for :meth:`Scenario.__repr__`.
_KIND_SHORT: dict[str, str] = {
    "mainstream": "mainstream",
    "resourced_provision": "RP",
    "special": "special",
    "non_maintained_special": "NMSS",
    "independent_special": "ISS",
    "alternative_provision": "AP",
    "post16": "post16",
}


def _kind_counts(groups: tuple[tuple[str, SettingGroup], ...]) -> dict[str, int]:
    """Generated settings by kind, in the order of ``KINDS``, kinds present only."""
    counts = dict.fromkeys(KINDS, 0)
    for _, g in groups:
        counts[g.kind] += g.count
    return {k: n for k, n in counts.items() if n}


def _clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, an ellipsis marking the cut."""
    return text if len(text) <= width else text[: width - 1] + "…"


def _file_name(data: DataSpec | None, which: str) -> str:
    """The file name (not the path) of ``data.settings`` or ``data.children``."""
    path = getattr(data, which, "") if data is not None else ""
    return _clip(Path(path).name, 40)
