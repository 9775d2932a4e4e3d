"""Reading a scenario file: its tables, its text, the rules across keys, locating keys.

:data:`SECTIONS` maps each section's TOML table to its class.
:func:`toml_text` reads a file's text (UTF-8, as TOML requires);
:func:`check_across` checks the rules that tie keys of different sections
together (:data:`ACROSS_RULES`); :func:`locate` finds the line and column of a
dotted key in TOML text, so that an error names where to look.
:class:`~sendalloc.scenario.Scenario` puts these together.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sendalloc._keys import number_text
from sendalloc.errors import InvalidScenarioError
from sendalloc.lists import ListRules
from sendalloc.population import KeyedError, bad
from sendalloc.scenario.dynamics import DynamicsSpec
from sendalloc.scenario.sections import (
    MAX_CELLS,
    MAX_PLANS,
    AllocationSpec,
    CostsSpec,
    DataSpec,
    GeographySpec,
    PopulationSpec,
    PreferencesSpec,
    SettingGroup,
    StatusQuoSpec,
)

__all__ = ["ACROSS_RULES", "SECTIONS", "check_across", "locate", "toml_text"]

#: The sections of a scenario: TOML table -> the class that reads it.
SECTIONS: dict[str, type] = {
    "population": PopulationSpec,
    "geography": GeographySpec,
    "lists": ListRules,
    "preferences": PreferencesSpec,
    "allocation": AllocationSpec,
    "data": DataSpec,
    "dynamics": DynamicsSpec,
    "status_quo": StatusQuoSpec,
    "costs": CostsSpec,
}


#: Rules that tie keys of different sections together, checked when a scenario
#: is read (``describe_keys`` lists them under the tables).
ACROSS_RULES: tuple[str, ...] = (
    "Without a `[data] settings` file, at least one setting group has `count` >= 1.",
    "`dynamics.capacity_plans.N.year` is at most `dynamics.years`.",
    "Expected children in a round (`plans * (new_plan_rate + school_age_share * "
    "transfer_share)`) times the number of generated settings is at most "
    f"{number_text(MAX_CELLS)} (the parents' taste draws, about 1 GB); in a "
    "`multi_year` scenario this holds in every year of the projection. "
    "Sampling checks the same limit for settings read from a `[data]` file.",
    "In a `multi_year` scenario, `population.new_plan_rate * (1 + "
    "dynamics.new_plan_growth) ** (years - 1)` is at most 1, and the expected "
    "caseload stays at most `population.plans`' upper limit.",
)


def check_across(kw: Mapping[str, Any], groups: list[tuple[str, SettingGroup]]) -> None:
    """:data:`ACROSS_RULES`, on the sections read from a scenario file."""
    data: DataSpec | None = kw.get("data")
    pop: PopulationSpec | None = kw.get("population")
    dyn: DynamicsSpec = kw.get("dynamics") or DynamicsSpec()
    generated = not (data and data.settings)
    m = sum(g.count for _, g in groups)
    if generated and m == 0:
        key = groups[0][0]
        raise KeyedError(
            f"{key}.count",
            f"{key}.count = 0: every setting group has count = 0, so the scenario "
            "has no settings; give at least one group a count >= 1",
        )
    if pop is None:
        return
    years = dyn.years if kw.get("mode") == "multi_year" else 1
    caseload, peak_round = float(pop.plans), pop.round_size()
    for y in range(1, years):
        before = pop.new_plan_rate * (1.0 + dyn.new_plan_growth) ** (y - 1)
        rate = pop.new_plan_rate * (1.0 + dyn.new_plan_growth) ** y
        if rate > 1.0:
            raise bad(
                "dynamics.new_plan_growth",
                dyn.new_plan_growth,
                f"population.new_plan_rate = {pop.new_plan_rate:g} grown for {y} "
                f"years reaches {rate:.3g} new plans a year per plan, above 1; "
                "lower dynamics.new_plan_growth or dynamics.years",
            )
        caseload *= 1.0 + before - dyn.leave_rate
        if caseload > MAX_PLANS:
            raise bad(
                "dynamics.years",
                dyn.years,
                f"the projected caseload reaches about {caseload:,.0f} plans in "
                f"year {y + 1}, above {MAX_PLANS:,}; project fewer years",
            )
        grown = caseload * (rate + pop.school_age_share * pop.transfer_share)
        peak_round = max(peak_round, grown)
    if generated and peak_round * m > MAX_CELLS:
        raise bad(
            "population.plans",
            pop.plans,
            f"a round of about {peak_round:,.0f} children against {m:,} settings "
            f"needs {peak_round * m:,.0f} taste draws, above {MAX_CELLS:,} (about "
            "1 GB); lower plans or the setting counts",
        )


def toml_text(path: Path) -> str:
    """A scenario file's text: UTF-8, as TOML requires; a leading BOM is dropped."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InvalidScenarioError(f"{path}: cannot read scenario file ({e})") from None
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise InvalidScenarioError(
            f"{path}:{line}:{col}: byte 0x{data[e.start]:02x} is not UTF-8; a "
            "scenario file must be UTF-8 (TOML): save it as UTF-8 (it looks like "
            "Windows-1252)"
        ) from None


_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?")
_KEYLINE = re.compile(r"^\s*([A-Za-z0-9_\-\.\"' ]+?)\s*=")


def _split_key(k: str) -> list[str]:
    return [p.strip().strip("\"'") for p in k.split(".")]


def locate(text: str, path: list[str]) -> tuple[int, int] | None:
    """Best-effort line and column (1-based) of a dotted key in TOML text."""
    table: list[str] = []
    best: tuple[int, int, int] | None = None
    arrays: dict[tuple[str, ...], int] = {}  # [[x]] tables seen, to index them
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0]
        if not line.strip():
            continue
        mh = _HEADER.match(line)
        if mh:
            table = _split_key(mh.group(1))
            if line.lstrip().startswith("[["):
                n = arrays[tuple(table)] = arrays.get(tuple(table), -1) + 1
                table = [*table, str(n)]
            if path[: len(table)] == table and (best is None or len(table) > best[0]):
                best = (len(table), lineno, mh.start(1) + 1)
            continue
        mk = _KEYLINE.match(line)
        if not mk:
            continue
        full = table + _split_key(mk.group(1))
        if path[: len(full)] != full or (best is not None and len(full) <= best[0]):
            continue
        depth, col, pos = len(full), mk.start(1) + 1, mk.end()
        for sub in path[depth:]:
            ms = re.compile(r"\b" + re.escape(sub) + r"\s*=").search(line, pos)
            if ms is None:
                break
            depth, col, pos = depth + 1, ms.start() + 1, ms.end()
        best = (depth, lineno, col)
    return None if best is None else (best[1], best[2])
