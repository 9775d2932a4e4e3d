"""Scenario files and API under hostile input (issue 15): every key has a
documented valid range checked at load, naming the key and the file."""

from __future__ import annotations

import re
from dataclasses import MISSING, fields, replace
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

import sendalloc as sa
import sendalloc.scenario.scenario as scenario_mod  # Scenario.sample reads MAX_CELLS
from sendalloc._keys import KeyRange, key_range
from sendalloc.lists import ListRules
from sendalloc.scenario import (
    MAX_CELLS,
    MAX_GROUP_COUNT,
    MAX_PLANS,
    CapacityPlan,
    SettingGroup,
    describe_keys,
)
from sendalloc.scenario.reading import SECTIONS

DOCS = Path(__file__).resolve().parent.parent / "docs" / "scenario-keys.md"


def _county() -> str:
    """The county preset as a user's own file: without the [cite] and
    [uncertainty] tables, which pin the preset's values (and would reject the
    edits these tests make before the check under test is reached)."""
    text = (
        resources.files("sendalloc")
        .joinpath("scenarios/county.toml")
        .read_text("utf-8")
    )
    return text[: text.index("\n[cite]\n") + 1]


def _write(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _line_of(text: str, needle: str) -> int:
    return next(i for i, s in enumerate(text.splitlines(), 1) if needle in s)


# ------------------------------------------------------------------ encodings
def test_bom_is_accepted(tmp_path: Path) -> None:
    """A BOM (as Windows editors write) is ignored: the file reads as without."""
    p = tmp_path / "bom.toml"
    text = resources.files("sendalloc").joinpath("scenarios/county.toml").read_text()
    p.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert sa.load_scenario(p) == sa.load_scenario("county")


def test_windows_1252_names_file_line_and_column(tmp_path: Path) -> None:
    text = 'name = "x"\ndescription = "St Mary\u2019s county"\n'
    p = tmp_path / "cp.toml"
    p.write_bytes(text.encode("cp1252"))
    col = text.splitlines()[1].index("\u2019") + 1
    with pytest.raises(
        sa.InvalidScenarioError,
        match=rf"cp\.toml:2:{col}: byte 0x92 is not UTF-8; a scenario file must be",
    ):
        sa.load_scenario(p)


def test_unreadable_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(sa.InvalidScenarioError, match=r"nope\.toml: cannot read"):
        sa.load_scenario(tmp_path / "nope.toml")


# ------------------------------------------------------------------ the values
@pytest.mark.parametrize(
    ("old", "new", "key", "match"),
    [
        ("layout_seed = 2025", "layout_seed = -1", "geography.layout_seed", r"\[0, "),
        (
            "transfer_share = 0.20",
            "transfer_share = 3.0",
            "population.transfer_share",
            r"\[0, 1\]",
        ),
        (
            "new_plan_rate = 0.17",
            "new_plan_rate = 5.0",
            "population.new_plan_rate",
            r"\[0, 1\]",
        ),
        ("fill_mean = 0.924", "fill_mean = 5.0", "primary.fill_mean", r"\[0, 2\]"),
        (
            "plans = 4000",
            "plans = 1_000_000_000_000",
            "population.plans",
            r"\[1, 1_000_000\]",
        ),
        ("count = 130", "count = 1_000_000_000", "primary.count", r"\[0, 50_000\]"),
        (
            "capacity = [210, 630]",
            "capacity = [210, 6_300_000]",
            "primary.capacity.1",
            r"\[0, 100_000\]",
        ),
        ("max_length = 5", "max_length = 1000000", "lists.max_length", r"\[1, 50\]"),
        ("towns = 8", "towns = 100000", "geography.towns", r"\[1, 1_000\]"),
        (
            "kind_taste = { resourced_provision = 0.3",
            "kind_taste = { resourced_provision = 1e9",
            "preferences.kind_taste.resourced_provision",
            r"\[-100, 100\]",
        ),
        (
            "need_mix = { ASD = 31.5",
            "need_mix = { ASD = -31.5",
            "population.need_mix.ASD",
            r"\[0, inf\)",
        ),
        (
            "transfer_days = [46, 90]",
            "transfer_days = [46, 900]",
            "population.transfer_days.1",
            r"\[1, 365\]",
        ),
        (
            'order = "plan_day"',
            'order = "alphabetical"',
            "allocation.order",
            "expected one of plan_day",
        ),
    ],
)
def test_out_of_range_refused_at_load_naming_key_file_line(
    tmp_path: Path, old: str, new: str, key: str, match: str
) -> None:
    text = _county()
    assert old in text
    text = text.replace(old, new, 1)
    p = _write(tmp_path, text)
    line = _line_of(text, new)
    with pytest.raises(sa.InvalidScenarioError) as e:
        sa.load_scenario(p)
    msg = str(e.value)
    assert msg.startswith(f"{p}:{line}:"), msg
    assert f" {key} = " in msg, msg
    assert re.search(match, msg), msg


def test_every_group_count_zero(tmp_path: Path) -> None:
    """Was `need at least one array to concatenate` at sampling time."""
    text = re.sub(r"(?m)^count = \d+", "count = 0", _county())
    p = _write(tmp_path, text)
    line = _line_of(text, "count = 0")
    with pytest.raises(
        sa.InvalidScenarioError,
        match=rf"s\.toml:{line}:1: primary\.count = 0: every setting group has "
        "count = 0, so the scenario has no settings",
    ):
        sa.load_scenario(p)
    # one group left is enough
    ok = text.replace("count = 0", "count = 2", 1)
    assert sa.load_scenario(_write(tmp_path, ok)).sample(0).settings.n == 2


def test_direct_construction_with_no_settings_is_a_clear_error() -> None:
    sc = sa.load_scenario("county")
    empty = replace(sc, groups=tuple((k, replace(g, count=0)) for k, g in sc.groups))
    with pytest.raises(
        sa.InvalidScenarioError, match="every setting group has count = 0"
    ):
        empty.sample(0)


def test_sizes_refused_before_any_allocation(tmp_path: Path) -> None:
    # within each key's range, but a round of ~326,000 children against
    # 50,000+ settings would need ~1.6e10 taste draws
    sc = sa.load_scenario("county")
    with pytest.raises(
        sa.InvalidScenarioError,
        match=r"population\.plans = 1000000: a round of about 326,\d+ children "
        r"against 50,0\d\d settings needs .* taste draws, above 250,000,000",
    ):
        sc.with_overrides(
            {"population.plans": MAX_PLANS, "primary.count": MAX_GROUP_COUNT}
        )
    # the largest plans with the preset's settings is fine
    assert (
        sc.with_overrides({"population.plans": MAX_PLANS}).population.plans == MAX_PLANS
    )


def test_sample_checks_the_draw_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings read from a file are only known when sampling: checked there."""
    sc = sa.load_scenario("county")
    monkeypatch.setattr(scenario_mod, "MAX_CELLS", 1000)
    with pytest.raises(
        sa.InvalidScenarioError,
        match=r"county\.toml: .* taste draws, more than MAX_CELLS",
    ):
        sc.sample(0)


def test_capacity_plan_beyond_the_projection(tmp_path: Path) -> None:
    text = _county().replace("[dynamics]\n", "[dynamics]\nyears = 2\n", 1) + (
        '\n[[dynamics.capacity_plans]]\nyear = 1\nsetting = "special"\nplaces = 10\n'
        '[[dynamics.capacity_plans]]\nyear = 9\nsetting = "special"\nplaces = 120\n'
    )
    p = _write(tmp_path, text)
    line = _line_of(text, "year = 9")
    with pytest.raises(
        sa.InvalidScenarioError,
        match=rf"s\.toml:{line}:1: dynamics\.capacity_plans\.1\.year = 9: expected a "
        r"year of the projection, 1\.\.2 \(dynamics\.years\)",
    ):
        sa.load_scenario(p)


def test_multi_year_growth_refused(tmp_path: Path) -> None:
    sc = sa.load_scenario("county")
    grow = {"mode": "multi_year", "dynamics.new_plan_growth": 0.5, "dynamics.years": 10}
    with pytest.raises(
        sa.InvalidScenarioError,
        match=r"dynamics\.new_plan_growth = 0\.5: population\.new_plan_rate = 0\.17 "
        r"grown for 5 years reaches 1\.29",
    ):
        sc.with_overrides(grow)
    # the same dynamics in an annual scenario are never used: not refused
    assert sc.with_overrides({**grow, "mode": "annual"}).dynamics.years == 10
    big = {
        "mode": "multi_year",
        "population.plans": 400_000,
        "dynamics.years": 50,
        "dynamics.new_plan_growth": 0.01,
    }
    with pytest.raises(
        sa.InvalidScenarioError, match=r"dynamics\.years = 50: the projected caseload"
    ):
        sc.with_overrides(big)


# ------------------------------------------------------------------ arguments
@pytest.mark.parametrize("bad", ["x", 1.5, -1, object()])
def test_rng_argument_named(bad: object) -> None:
    sc = sa.load_scenario("london_borough")
    p = sa.Problem.from_lists([1], [[0], [0]])
    weak = sa.Problem.from_dicts(
        {"A": 1}, {"a": ["A"], "b": ["A"]}, priorities=[["a", "b"]]
    )
    calls = [
        lambda: sc.sample(bad),
        lambda: sc.settings(bad),
        lambda: sa.allocate(p, "first_available", rng=bad),
        lambda: sa.allocate(p, "random_serial_dictatorship", rng=bad),
        lambda: sa.break_ties(weak, "single", rng=bad),
        *(lambda f=f: f(p, rng=bad) for f in sa.MECHANISMS.values()),
    ]
    for call in calls:
        with pytest.raises(
            (TypeError, ValueError), match=r"^rng = .*: expected None, a seed"
        ):
            call()


def test_rng_argument_named_in_preferences() -> None:
    from sendalloc.preferences import processing_order

    inst = sa.load_scenario("london_borough").sample(0)
    with pytest.raises(TypeError, match=r"^rng = 'x': expected None"):
        processing_order(inst.children, "lottery", "x")  # type: ignore[arg-type]
    # a seed is as good as a Generator
    a = processing_order(inst.children, "lottery", 3)  # type: ignore[arg-type]
    b = processing_order(inst.children, "lottery", np.random.default_rng(3))
    assert (a == b).all()


@pytest.mark.parametrize("bad", [3, None, 2.5, b"county", ["county"]])
def test_load_scenario_argument_named(bad: object) -> None:
    with pytest.raises(
        TypeError, match=r"^load_scenario: name_or_path = .*: expected a preset name"
    ):
        sa.load_scenario(bad)  # type: ignore[arg-type]


# ------------------------------------------------------------ docs and checks agree
def _sections() -> list[tuple[str, type]]:
    return [
        *SECTIONS.items(),
        ("primary", SettingGroup),
        ("capacity_plans", CapacityPlan),
    ]


def test_every_key_has_a_documented_range() -> None:
    for _, cls in _sections():
        for f in fields(cls):
            r = key_range(f)
            assert isinstance(r, KeyRange), (cls.__name__, f.name)
            assert r.doc, (cls.__name__, f.name)
            typ = str(f.type)
            numeric = "float" in typ or "int" in typ
            if numeric and f.name != "capacity_plans":
                assert r.interval(), (cls.__name__, f.name)  # every number bounded
            if typ == "str" and f.name not in (
                "label",
                "settings",
                "children",
                "setting",
            ):
                assert r.choices, (cls.__name__, f.name)


def test_docs_page_is_generated_from_the_code() -> None:
    assert DOCS.read_text(encoding="utf-8") == describe_keys(), (
        "docs/scenario-keys.md is out of date; regenerate it with: python -c "
        "'import sendalloc.scenario as s; print(s.describe_keys(), end=\"\")' "
        "> docs/scenario-keys.md"
    )


def _bound_cases() -> list[tuple[str, float, float | None, bool]]:
    """(key, a value just outside a bound, the bound if closed, integer?).

    One case per documented bound of every scalar key, setting groups through
    the county's ``primary`` group and capacity plans through one plan.
    """
    out = []
    for section, cls in _sections():
        for f in fields(cls):
            r = key_range(f)
            assert r is not None
            typ = str(f.type)
            if typ not in ("int", "float", "int | None"):
                continue
            integer = typ.startswith("int")
            step = 1 if integer else 1e-6
            key = f"{section}.{f.name}"
            if r.low is not None:
                closed = None if r.low_open else r.low
                out.append(
                    (key, r.low if r.low_open else r.low - step, closed, integer)
                )
            if r.high is not None:
                closed = None if r.high_open else r.high
                out.append(
                    (key, r.high if r.high_open else r.high + step, closed, integer)
                )
    return out


def _override(key: str, value: float) -> dict[str, object]:
    section, name = key.split(".")
    if section == "capacity_plans":
        plan = {"year": 1, "setting": "special", "places": 10, name: value}
        return {"dynamics.years": 50, "dynamics.capacity_plans": [plan]}
    return {key: value}


_CASES = _bound_cases()


@pytest.mark.parametrize(("key", "value", "edge", "integer"), _CASES)
def test_each_documented_bound_is_enforced(
    key: str, value: float, edge: float | None, integer: bool
) -> None:
    """Just outside each bound the docs give, loading refuses, naming the key."""
    sc = sa.load_scenario("county")
    section, field_name = key.split(".")
    name = key
    if section == "capacity_plans":
        name = f"dynamics.capacity_plans.0.{field_name}"
    v = int(value) if integer else value
    with pytest.raises(
        sa.InvalidScenarioError, match=rf"with overrides: {re.escape(name)} = "
    ):
        sc.with_overrides(_override(key, v))


@pytest.mark.parametrize(
    ("key", "value", "edge", "integer"), [c for c in _CASES if c[2] is not None]
)
def test_each_closed_bound_is_accepted(
    key: str, value: float, edge: float, integer: bool
) -> None:
    """On a closed bound the value loads (the docs' brackets mean what they say)."""
    sc = sa.load_scenario("county")
    v = int(edge) if integer else edge
    sc.with_overrides(_override(key, v))


def test_list_rules_ranges_checked_directly() -> None:
    with pytest.raises(
        sa.InvalidScenarioError, match=r"max_length = 51: expected a value in \[1, 50\]"
    ):
        ListRules(max_length=51)
    with pytest.raises(
        sa.InvalidScenarioError,
        match=r"speed_kmh = 1000.0: expected a value in \(0, 200\]",
    ):
        ListRules(speed_kmh=1000.0)


def test_required_keys_documented_as_required() -> None:
    text = describe_keys()
    for _, cls in _sections():
        for f in fields(cls):
            row = next(s for s in text.splitlines() if s.startswith(f"| `{f.name}` |"))
            assert ("| required |" in row) == (
                f.default is MISSING and f.default_factory is MISSING
            ), row  # type: ignore[misc]


def test_presets_within_every_range() -> None:
    for name in sa.list_scenarios():
        sc = sa.load_scenario(name)
        assert sa.Scenario.from_dict(sc.to_dict()) == sc
    assert MAX_CELLS == 250_000_000
