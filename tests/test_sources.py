"""The source table, docs/sources.md, and the citations of every preset."""

from __future__ import annotations

import re
import tomllib
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

import sendalloc as sa
from sendalloc.scenario import NOT_SOURCES
from sendalloc.sources import (
    STATUSES,
    TOPICS,
    load_sources,
    recompute,
    render_markdown,
    source,
)

ROOT = Path(__file__).resolve().parents[1]
PRESETS = ["county", "london_borough", "large_county"]
TABLE = load_sources()

# Numbers of a preset that are not quantities and need no citation.
NOT_QUANTITIES = {
    "geography.layout_seed": "a seed",
    "geography.centre_km": "the map origin; outcomes do not depend on it",
}


# Numbers the presets take from the defaults of the in-year and multi-year modes.
DYNAMICS_DEFAULTS = [
    "dynamics.consultation_days",
    "dynamics.leave_rate",
    "dynamics.mobility_rate",
    "dynamics.out_of_list_cost",
    "dynamics.new_plan_growth",
]


def _preset_text(name: str) -> str:
    return (
        resources.files("sendalloc")
        .joinpath(f"scenarios/{name}.toml")
        .read_text(encoding="utf-8")
    )


# --------------------------------------------------------------------- the table
def test_table_is_well_formed() -> None:
    assert len(TABLE) > 100
    assert {s.status for s in TABLE.values()} == set(STATUSES)
    assert {s.topic for s in TABLE.values()} == set(TOPICS)
    for sid, s in TABLE.items():
        assert s.id == sid
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", sid), sid
        if s.status != "derived":
            assert s.publisher, sid
            assert s.title, sid
        if s.url:
            assert s.url.startswith(("http://", "https://")), sid


def test_status_of_key_figures() -> None:
    assert source("ees-ehcp-2025-caseload").status == "verified"
    assert source("php-law-2022-five-placements").status == "unverified"
    assert source("scap-2023-special-places").status == "secondary"
    assert source("new-plan-rate").status == "derived"


def _rounding(value: int | float) -> float:
    """Half a unit in the last place written (4,170 -> 5; 0.153 -> 0.0005)."""
    if isinstance(value, int):
        digits = str(value)
        return 10 ** (len(digits) - len(digits.rstrip("0"))) / 2
    return 10.0 ** Decimal(repr(value)).as_tuple().exponent / 2  # type: ignore[operator]


def test_derived_values_follow_from_their_inputs() -> None:
    checked = 0
    for sid, s in TABLE.items():
        got = recompute(sid)
        if got is None:
            continue
        assert isinstance(s.value, int | float), sid
        assert abs(got - s.value) <= _rounding(s.value) * (1 + 1e-9), (
            f"{sid}: recorded {s.value}, formula gives {got}"
        )
        checked += 1
    assert checked >= 30


def test_recompute_catches_a_wrong_derived_value(tmp_path: Path) -> None:
    text = (ROOT / "src/sendalloc/data/sources.toml").read_text(encoding="utf-8")
    broken = text.replace("value = 0.153\n", "value = 0.135\n", 1)
    assert broken != text
    p = tmp_path / "sources.toml"
    p.write_text(broken, encoding="utf-8")
    table = load_sources(p)
    got = recompute("new-plan-rate", table)
    assert got is not None
    assert abs(got - 0.135) > _rounding(0.135)


def test_unknown_id_lists_near_matches() -> None:
    with pytest.raises(KeyError, match="did you mean new-plan-rate"):
        source("new-plan-rates")
    with pytest.raises(KeyError, match="unknown source id 'zzz'"):
        source("zzz")
    with pytest.raises(KeyError, match="did you mean"):
        recompute("new-plan-rat")


def test_sources_are_frozen() -> None:
    s = source("new-plan-rate")
    with pytest.raises(AttributeError):
        s.value = 0.2  # type: ignore[misc]
    with pytest.raises(TypeError):
        TABLE["x"] = s  # type: ignore[index]


GOOD = """
[a-b]
topic = "caseload"
figure = "f"
value = 10
unit = "plans"
period = "2025"
publisher = "p"
title = "t"
url = ""
status = "verified"

[c-d]
topic = "caseload"
figure = "g"
value = 5.0
unit = "plans"
period = "2025"
publisher = "sendalloc"
title = "Derived"
url = ""
status = "derived"
derived_from = ["a-b"]
arithmetic = "10 / 2"
formula = "{a-b} / 2"
"""


@pytest.mark.parametrize(
    ("old", "new", "match"),
    [
        ('[a-b]\ntopic = "caseload"', '[a-b]\ntopic = "nowhere"', "topic = 'nowhere'"),
        ('status = "verified"', 'status = "checked"', "status = 'checked'"),
        ('figure = "f"\n', "", "missing required field 'figure'"),
        (
            'url = ""\nstatus = "verified"',
            'url = ""\nsize = 3\nstatus = "verified"',
            "unknown field 'size'",
        ),
        ("[a-b]", "[A_b]", "kebab-case"),
        (
            'derived_from = ["a-b"]',
            'derived_from = ["a-b", "a-c"]',
            "unknown id 'a-c'; did you mean a-b",
        ),
        (
            'derived_from = ["a-b"]',
            "derived_from = []",
            "needs derived_from and arithmetic",
        ),
        (
            'formula = "{a-b} / 2"',
            'formula = "{e-f} / 2"',
            "'e-f', which is not in derived_from",
        ),
        ("value = 10\n", "value = 10\nlow = 11\nhigh = 20\n", "outside"),
        ("value = 10\n", "low = 3\nhigh = 2\n", "low = 3 > high = 2"),
        ("value = 10\n", "", "expected a value, or a range"),
        ("value = 10\n", "value = true\n", "expected a number or a string"),
        (
            'status = "verified"',
            'status = "verified"\narithmetic = "x"',
            "only a derived entry",
        ),
        (
            '[c-d]\ntopic = "caseload"',
            '[c-d]\ntopic = "caseload"\n[c-d.x]',
            "invalid TOML|expected a string|unknown field",
        ),
    ],
)
def test_malformed_table_is_an_error(
    tmp_path: Path, old: str, new: str, match: str
) -> None:
    p = tmp_path / "t.toml"
    p.write_text(GOOD, encoding="utf-8")
    assert set(load_sources(p)) == {"a-b", "c-d"}
    assert GOOD.count(old) == 1, old
    p.write_text(GOOD.replace(old, new), encoding="utf-8")
    with pytest.raises(ValueError, match=match) as e:
        load_sources(p)
    assert str(p) in str(e.value)


def test_derivation_cycle_is_an_error(tmp_path: Path) -> None:
    text = GOOD.replace(
        'title = "t"\nurl = ""\nstatus = "verified"',
        'title = "t"\nurl = ""\nstatus = "derived"\n'
        'derived_from = ["c-d"]\narithmetic = "x"',
    )
    p = tmp_path / "t.toml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(
        ValueError, match=r"cycle: (a-b -> c-d -> a-b|c-d -> a-b -> c-d)"
    ):
        load_sources(p)


def test_formula_on_a_non_number_is_an_error(tmp_path: Path) -> None:
    p = tmp_path / "t.toml"
    p.write_text(GOOD.replace("value = 10\n", 'value = "ten"\n'), encoding="utf-8")
    with pytest.raises(ValueError, match="'a-b', which has no numeric value"):
        recompute("c-d", load_sources(p))
    p.write_text(GOOD.replace('"{a-b} / 2"', '"__import__({a-b})"'), encoding="utf-8")
    with pytest.raises(ValueError, match="unsupported expression"):
        recompute("c-d", load_sources(p))
    assert recompute("a-b", load_sources(p)) is None


# ----------------------------------------------------------------- docs/sources.md
def test_docs_sources_md_is_up_to_date() -> None:
    page = (ROOT / "docs/sources.md").read_text(encoding="utf-8")
    assert page == render_markdown(), (
        "docs/sources.md is out of date with src/sendalloc/data/sources.toml: "
        "run `make sources-doc`"
    )


def test_rendered_page_shows_every_entry() -> None:
    page = render_markdown()
    for sid in TABLE:
        assert page.count(f'<a id="{sid}"></a>') == 1, sid
    assert "| `new-plan-rate` |" not in page  # ids carry an anchor
    assert "638,700 plans in January 2025 = 15.3% (from" in page
    # an unverified entry that nothing derives from is never named as a basis
    assert "rests on unverified `php-law-2022-five-placements`" not in page
    # unit-rp-places-national derives from the unverified unit size
    assert "rests on unverified `unit-rp-places-each`" in page
    assert "15.3% a year" in page  # shares rendered as percentages
    assert "£62,500 a year" in page
    # a derived figure resting on an unverified one says so
    assert "rests on unverified `cairneagle-2024-independent-special-share`" in page


def test_rendering_follows_the_table(tmp_path: Path) -> None:
    p = tmp_path / "t.toml"
    p.write_text(GOOD, encoding="utf-8")
    page = render_markdown(load_sources(p))
    assert '<a id="a-b"></a>`a-b`' in page
    assert "10 / 2 (from [`a-b`](#a-b))" in page
    assert "2 entries" in page


_LINK = re.compile(r"sources\.md#([A-Za-z0-9_-]+)")


def test_links_to_sources_resolve() -> None:
    files = [
        ROOT / "README.md",
        *(ROOT / "docs").glob("*.md"),
        *(ROOT / "src").rglob("*.py"),
    ]
    files += list((ROOT / "src").rglob("*.toml"))
    found = 0
    for f in files:
        for sid in _LINK.findall(f.read_text(encoding="utf-8")):
            assert sid in TABLE, f"{f}: link to unknown source {sid!r}"
            found += 1
    assert found >= 20


# Source ids named in docstrings and comments: ``kebab-case-with-a-digit-or-hyphen``.
_NAMED = re.compile(r"``([a-z0-9]+(?:-[a-z0-9]+)+)``")


def test_ids_named_in_code_resolve() -> None:
    found = 0
    for f in (ROOT / "src").rglob("*.py"):
        for sid in _NAMED.findall(f.read_text(encoding="utf-8")):
            assert sid in TABLE, f"{f}: names unknown source {sid!r}"
            found += 1
    assert found >= 8


def test_no_reference_to_files_outside_the_repository() -> None:
    """No file may cite a facts file that is not in the repository."""
    banned = [("DOM" + "AIN").encode(), "\u00a7".encode()]
    files = [ROOT / "README.md"]
    for d in ("src", "docs", "tests", "examples", "benchmarks"):
        files += [f for f in (ROOT / d).rglob("*") if f.is_file()]
    files = [f for f in files if "__pycache__" not in f.parts]
    assert len(files) > 50
    for f in files:
        data = f.read_bytes()
        for b in banned:
            assert b not in data, f"{f} contains {b!r}"


# ------------------------------------------------------------ preset citations
def _leaves(d: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out += _leaves(v, key + ".")
        else:
            out.append((key, v))
    return out


def _is_numeric(v: Any) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, int | float):
        return True
    return isinstance(v, list) and any(_is_numeric(x) for x in v)


def _needs_no_citation(key: str, groups: set[str]) -> bool:
    group, _, rest = key.partition(".")
    return key in NOT_QUANTITIES or (group in groups and rest == "ages")


def citation_problems(text: str, where: str = "<preset>") -> list[str]:
    """Every broken rule of a preset's [cite] and [uncertainty] tables."""
    raw = tomllib.loads(text)
    cite: dict[str, Any] = raw.pop("cite", {})
    ranges: dict[str, Any] = raw.pop("uncertainty", {})
    groups = {k for k, v in raw.items() if isinstance(v, dict) and "kind" in v}
    problems = []
    for key, c in cite.items():
        for sid in [c] if isinstance(c, str) else c:
            if sid not in NOT_SOURCES and sid not in TABLE:
                problems.append(f"{where}: cite {key!r}: unknown source id {sid!r}")
    for key, value in _leaves(
        {k: v for k, v in raw.items() if k not in ("name", "description", "mode")}
    ):
        if not _is_numeric(value) or _needs_no_citation(key, groups):
            continue
        parts = key.split(".")
        cited = [
            ".".join(parts[:i])
            for i in range(len(parts), 0, -1)
            if ".".join(parts[:i]) in cite
        ]
        if not cited:
            problems.append(f"{where}: {key} = {value!r} has no citation")
            continue
        c = cite[cited[0]]
        for token, what in (("assumption", "an assumption"), ("fitted", "fitted")):
            if token in ([c] if isinstance(c, str) else c) and key not in ranges:
                problems.append(
                    f"{where}: {key} is {what} without an [uncertainty] range"
                )
    return problems


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_number_is_cited(name: str) -> None:
    text = _preset_text(name)
    assert citation_problems(text, name) == []
    sc = sa.load_scenario(name)
    # the in-year and multi-year defaults the presets rely on are cited too
    for key in DYNAMICS_DEFAULTS:
        assert key in sc.citations, (name, key)
    assert len(sc.citations) >= 90
    assert len(sc.uncertainty) >= 70
    for key, c in sc.citations.items():
        for sid in [c] if isinstance(c, str) else c:
            assert sid in NOT_SOURCES or source(sid).id == sid, (name, key)


@pytest.mark.parametrize("name", PRESETS)
def test_citation_check_fails_on_a_broken_preset(name: str) -> None:
    text = _preset_text(name)
    # a citation that does not resolve
    bad_id = text.replace(
        '"population.new_plan_rate" = "new-plan-rate-start"',
        '"population.new_plan_rate" = "new-plan-rte"',
    )
    assert bad_id != text
    assert citation_problems(bad_id) == [
        "<preset>: cite 'population.new_plan_rate': unknown source id 'new-plan-rte'"
    ]
    # a number with no citation
    uncited = re.sub(r'\n"special\.cost" = [^\n]+', "", text)
    assert uncited != text
    assert citation_problems(uncited) == [
        "<preset>: special.cost = 25000.0 has no citation"
    ]
    added = text.replace("[lists]\n", "[lists]\nmax_length_extra = 3\n", 1)
    assert any(
        "lists.max_length_extra = 3 has no citation" in p
        for p in citation_problems(added)
    )
    # an assumption without a range
    unranged = re.sub(r'\n"lists\.speed_kmh" = \{[^\n]+', "", text)
    assert unranged != text
    assert citation_problems(unranged) == [
        "<preset>: lists.speed_kmh is an assumption without an [uncertainty] range"
    ]
    unranged_leaf = re.sub(
        r'\n"preferences\.kind_taste\.resourced_provision" = \{[^\n]+', "", text
    )
    assert citation_problems(unranged_leaf) == [
        "<preset>: preferences.kind_taste.resourced_provision is an assumption "
        "without an [uncertainty] range"
    ]
    # a fitted value without a range
    unranged_fit = re.sub(
        r'\n"status_quo\.over_capacity_tolerance" = \{[^\n]+', "", text
    )
    assert unranged_fit != text
    assert citation_problems(unranged_fit) == [
        "<preset>: status_quo.over_capacity_tolerance is fitted without an "
        "[uncertainty] range"
    ]


def test_seeds_and_ages_need_no_citation() -> None:
    problems = citation_problems(_preset_text("county"))
    assert problems == []
    raw = tomllib.loads(_preset_text("county"))
    assert "geography.layout_seed" not in raw["cite"]
    assert "special.ages" not in raw["cite"]


# ------------------------------------------- [cite] and [uncertainty] in scenarios
CAPACITY_RANGE = (
    '"special.capacity" = { low = [95, 155], high = [125, 185], dist = "uniform" }'
)


def _county_with(tmp_path: Path, old: str, new: str) -> Path:
    text = _preset_text("county")
    assert text.count(old) == 1, old
    p = tmp_path / "my_la.toml"
    p.write_text(text.replace(old, new), encoding="utf-8")
    return p


@pytest.mark.parametrize(
    ("old", "new", "match"),
    [
        (
            '"population.new_plan_rate" = "new-plan-rate-start"',
            '"population.new_plan_rat" = "new-plan-rate"',
            r'cite\."population\.new_plan_rat": unknown key',
        ),
        (
            '"population.new_plan_rate" = "new-plan-rate-start"',
            '"population.new_plan_rate" = 3',
            r'cite\."population\.new_plan_rate" = 3: expected a source id',
        ),
        (
            '"population.new_plan_rate" = "new-plan-rate-start"',
            '"population.new_plan_rate" = "New Plan Rate"',
            "'New Plan Rate' is not a source id",
        ),
        (
            '"population.new_plan_rate" = "new-plan-rate-start"',
            '"population.new_plan_rate" = ["new-plan-rate", "new-plan-rate"]',
            "an id is repeated",
        ),
        (
            '"lists.speed_kmh" = { low = 20.0, high = 40.0, dist = "uniform" }',
            '"lists.speed_kmh" = { low = 31.0, high = 40.0, dist = "uniform" }',
            r'uncertainty\."lists\.speed_kmh": \[low, high\] = \[31\.0, 40\.0\] does '
            r"not contain the value 30\.0",
        ),
        (
            '"lists.speed_kmh" = { low = 20.0, high = 40.0, dist = "uniform" }',
            '"lists.speed_kmh" = { low = 40.0, high = 20.0, dist = "uniform" }',
            r"low = 40\.0 > high = 20\.0",
        ),
        (
            '"lists.speed_kmh" = { low = 20.0, high = 40.0, dist = "uniform" }',
            '"lists.speed_kmh" = { low = 20.0, high = 40.0, dist = "gamma" }',
            "dist = 'gamma': expected one of uniform",
        ),
        (
            '"lists.speed_kmh" = { low = 20.0, high = 40.0, dist = "uniform" }',
            '"lists.speed_kmh" = { low = 20.0, dist = "uniform" }',
            "missing 'high'",
        ),
        (
            '"lists.speed_kmh" = { low = 20.0, high = 40.0, dist = "uniform" }',
            '"lists.speed_kmh" = { low = 20.0, high = 40.0, mode = 30.0 }',
            "unknown key 'mode'",
        ),
        (
            '"lists.speed_kmh" = { low = 20.0, high = 40.0, dist = "uniform" }',
            '"lists.spead_kmh" = { low = 20.0, high = 40.0, dist = "uniform" }',
            r'uncertainty\."lists\.spead_kmh": unknown key',
        ),
        (
            '"lists.speed_kmh" = { low = 20.0, high = 40.0, dist = "uniform" }',
            '"lists.order" = { low = 20.0, high = 40.0, dist = "uniform" }',
            "the value 'nearest' is not a number",
        ),
        (
            CAPACITY_RANGE,
            '"special.capacity" = { low = 95, high = [125, 185], dist = "uniform" }',
            "low = 95: expected a number or array shaped like the value",
        ),
        (
            CAPACITY_RANGE,
            CAPACITY_RANGE.replace("155", "175"),
            "does not contain the value",
        ),
    ],
)
def test_bad_citation_or_range_names_key_and_file(
    tmp_path: Path, old: str, new: str, match: str
) -> None:
    p = _county_with(tmp_path, old, new)
    with pytest.raises(sa.InvalidScenarioError, match=match) as e:
        sa.load_scenario(p)
    msg = str(e.value)
    assert msg.startswith(f"{p}:")
    line = int(msg.split(":")[1])
    assert new.split(" =")[0] in p.read_text(encoding="utf-8").splitlines()[line - 1]


def test_user_scenario_needs_no_citations() -> None:
    d = sa.load_scenario("county").to_dict()
    del d["cite"], d["uncertainty"]
    sc = sa.Scenario.from_dict(d)
    assert sc.citations == {}
    assert sc.uncertainty == {}
    assert "cite" not in sc.to_dict()
    bad = dict(d, cite={"population.plans": ["x-y", 3]})
    with pytest.raises(
        sa.InvalidScenarioError, match=r'<dict>: cite\."population\.plans"'
    ):
        sa.Scenario.from_dict(bad)
    with pytest.raises(sa.InvalidScenarioError, match="cite: expected a table"):
        sa.Scenario.from_dict(dict(d, cite=["x"]))


def test_citations_round_trip_and_survive_overrides() -> None:
    sc = sa.load_scenario("county")
    assert sa.Scenario.from_dict(sc.to_dict()) == sc
    assert sc.citations["special.fill_sd"] == (
        "scap-2023-special-fill-ratio",
        "scap-2023-special-at-or-over-capacity",
    )
    assert sc.citations["special.fill_mean"] == "fitted"
    assert sc.citations["population.transfer_weights"] == (
        "phase-split-primary",
        "phase-split-secondary",
    )
    u = sc.uncertainty["special.capacity"]
    assert (u.low, u.high, u.dist) == ((95.0, 155.0), (125.0, 185.0), "uniform")
    # an override outside a range is allowed; the key loses its citation and range
    o = sc.with_overrides({"lists.speed_kmh": 99.0, "special.capacity_growth": 0.1})
    assert o.lists.speed_kmh == 99.0
    assert "lists.speed_kmh" not in o.citations
    assert "lists.speed_kmh" not in o.uncertainty
    kept = {k: v for k, v in sc.citations.items() if k != "lists.speed_kmh"}
    assert o.citations == kept
    assert set(o.uncertainty) == set(sc.uncertainty) - {"lists.speed_kmh"}
    assert sa.Scenario.from_dict(o.to_dict()) == o
    # overriding a table drops the notes of the keys under it; a leaf, its table's
    o2 = sc.with_overrides({"preferences.kind_taste": {"special": 1.0}})
    assert not any(k.startswith("preferences.kind_taste") for k in o2.citations)
    assert not any(k.startswith("preferences.kind_taste") for k in o2.uncertainty)
    o3 = sc.with_overrides({"preferences.kind_taste.special": 1.0})
    assert "preferences.kind_taste" not in o3.citations
    assert "preferences.kind_taste.special" not in o3.uncertainty
    assert "preferences.kind_taste.alternative_provision" in o3.uncertainty
    # hashing ignores the notes, as equal scenarios must hash alike
    assert hash(sc) == hash(sa.Scenario.from_dict(sc.to_dict()))
