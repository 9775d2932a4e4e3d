"""The [uncertainty] table: distributions of its ranges, their checks, and the
assumption space that turns it into a unit cube of independent draws."""

from __future__ import annotations

import dataclasses
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats

import sendalloc as sa
from sendalloc.scenario import AssumptionSpace, Uncertainty, theme

SMALL = "london_borough"


def _preset_text(name: str) -> str:
    return (
        resources.files("sendalloc")
        .joinpath(f"scenarios/{name}.toml")
        .read_text(encoding="utf-8")
    )


def _with_ranges(name: str, ranges: dict[str, Any]) -> sa.Scenario:
    """A preset whose [uncertainty] table is ``ranges`` only."""
    d = sa.load_scenario(name).to_dict()
    d["uncertainty"] = ranges
    return sa.Scenario.from_dict(d, source=name)


# ------------------------------------------------------------------ distributions
@pytest.mark.parametrize(
    ("unc", "frozen"),
    [
        (Uncertainty(2.0, 6.0), stats.uniform(2.0, 4.0)),
        (
            Uncertainty(2.0, 6.0, "triangular", mode=3.0),
            stats.triang(0.25, loc=2.0, scale=4.0),
        ),
        (
            Uncertainty(2.0, 6.0, "beta", alpha=2.0, beta=5.0),
            stats.beta(2.0, 5.0, loc=2.0, scale=4.0),
        ),
        (
            Uncertainty(2.0, 6.0, "truncnormal", mean=3.0, sd=1.5),
            stats.truncnorm(-1 / 1.5, 3 / 1.5, loc=3.0, scale=1.5),
        ),
        (Uncertainty(2.0, 6.0, "loguniform"), stats.loguniform(2.0, 6.0)),
    ],
    ids=["uniform", "triangular", "beta", "truncnormal", "loguniform"],
)
def test_quantiles_follow_the_named_distribution(unc: Uncertainty, frozen: Any) -> None:
    u = np.linspace(0.0, 1.0, 41)
    got = np.array([unc.quantiles(x)[0] for x in u])
    np.testing.assert_allclose(got, frozen.ppf(u), rtol=1e-9, atol=1e-9)
    assert got[0] == 2.0
    assert got[-1] == 6.0
    assert (np.diff(got) >= 0).all()


def test_whole_numbers_are_equally_likely_and_stay_in_range() -> None:
    unc = Uncertainty(3.0, 8.0, integer=True)
    # six whole numbers: each owns a sixth of [0, 1]
    edges = [(j + 0.5) / 6 for j in range(6)]
    assert [unc.at(x) for x in edges] == [3, 4, 5, 6, 7, 8]
    assert unc.at(0.0) == 3
    assert unc.at(1.0) == 8
    assert unc.at(1 / 6 - 1e-9) == 3
    assert unc.at(1 / 6 + 1e-9) == 4
    assert isinstance(unc.at(0.5), int)


def test_arrays_draw_element_by_element_and_keep_fixed_elements() -> None:
    unc = Uncertainty((95.0, 155.0), (125.0, 185.0), integer=True)
    assert unc.at([0.0, 1.0]) == (95, 185)
    assert unc.at(0.5) == (110, 170)
    fixed = Uncertainty(((4.0, 5.0, 1.0),), ((4.0, 5.0, 3.0),))
    assert fixed.varying() == (2,)
    assert fixed.at([0.9, 0.9, 0.5]) == ((4.0, 5.0, 2.0),)


def test_quantiles_reject_values_outside_the_unit_interval() -> None:
    with pytest.raises(ValueError, match=r"quantiles: expected values in \[0, 1\]"):
        Uncertainty(0.0, 1.0).quantiles(1.5)


def test_distributions_round_trip_through_toml_tables() -> None:
    sc = _with_ranges(
        SMALL,
        {
            "lists.speed_kmh": {"low": 8.0, "high": 16.0, "dist": "triangular"},
            "preferences.noise_scale": {
                "low": 0.5,
                "high": 2.0,
                "dist": "loguniform",
                "link": "taste",
            },
            "preferences.distance_weight": {
                "low": 0.1,
                "high": 1.0,
                "dist": "beta",
                "alpha": 2,
                "beta": 2,
                "link": "taste",
            },
            "preferences.quality_weight": {
                "low": 0.0,
                "high": 1.0,
                "dist": "truncnormal",
                "sd": 0.2,
            },
        },
    )
    u = sc.uncertainty["lists.speed_kmh"]
    assert u.mode == sc.lists.speed_kmh  # the mode defaults to the value
    assert repr(u) == (
        f"Uncertainty(low=8.0, high=16.0, dist='triangular', mode={u.mode!r})"
    )
    assert sc.uncertainty["preferences.quality_weight"].mean == 0.5
    assert sa.Scenario.from_dict(sc.to_dict()) == sc
    assert sc.to_dict()["uncertainty"]["preferences.noise_scale"]["link"] == "taste"


# ------------------------------------------------------------------ bad ranges
SPEED = '"lists.speed_kmh" = { low = 20.0, high = 40.0, dist = "uniform" }'
CAPACITY = (
    '"special.capacity" = { low = [95, 155], high = [125, 185], dist = "uniform" }'
)
NOISE = '"preferences.noise_scale" = { low = 0.5, high = 2.0, dist = "uniform" }'


@pytest.mark.parametrize(
    ("old", "new", "match"),
    [
        (
            SPEED,
            '"lists.speed_kmh" = { low = 20.0, high = 250.0 }',
            r"high = 250 is outside the valid values of lists\.speed_kmh, \(0, 200\]",
        ),
        (
            NOISE,
            '"preferences.noise_scale" = { low = 0.0, high = 2.0 }',
            r"low = 0 is outside the valid values of preferences\.noise_scale, "
            r"\(0, 100\]",
        ),
        (
            CAPACITY,
            '"special.capacity" = { low = [95, 120], high = [130, 185] }',
            r"entry 0 may be drawn above entry 1 \(high 130 > low 120\)",
        ),
        (
            CAPACITY,
            '"special.capacity" = { low = [95.5, 155], high = [125, 185] }',
            "holds whole numbers, so its bounds must be whole numbers",
        ),
        (
            SPEED,
            '"lists.speed_kmh" = { low = 20.0, high = 40.0, dist = "triangular", '
            "mode = 45.0 }",
            r"mode = 45\.0 is not inside \[low, high\]",
        ),
        (
            SPEED,
            '"lists.speed_kmh" = { low = 20.0, high = 40.0, dist = "beta", alpha = 2 }',
            r"beta = None: expected a number > 0 \(dist = 'beta'\)",
        ),
        (
            SPEED,
            '"lists.speed_kmh" = { low = 20.0, high = 40.0, dist = "beta", '
            "alpha = -1, beta = 2 }",
            r"alpha = -1: expected a number > 0",
        ),
        (
            SPEED,
            '"lists.speed_kmh" = { low = 20.0, high = 40.0, dist = "truncnormal" }',
            r"sd = None: expected a number > 0 \(dist = 'truncnormal'\)",
        ),
        (
            SPEED,
            '"lists.speed_kmh" = { low = 20.0, high = 40.0, dist = "uniform", sd = 2 }',
            r"unknown key 'sd' for dist = 'uniform'; expected low, high, dist, link",
        ),
        (
            '"post16_specialist.count" = { low = 0, high = 3, dist = "uniform" }',
            '"post16_specialist.count" = { low = 0, high = 3, dist = "loguniform" }',
            "dist = 'loguniform' needs low at least 1 for whole numbers",
        ),
        (
            SPEED,
            '"lists.speed_kmh" = { low = 20.0, high = 40.0, link = 3 }',
            r"link = 3: expected a name",
        ),
        (
            SPEED,
            '"lists.speed_kmh" = { low = 20.0, high = 40.0, link = "lists.speed" }',
            r"link = 'lists\.speed': expected a name of letters, digits, _ or - "
            r"\(no dots",
        ),
    ],
)
def test_bad_range_names_key_file_and_rule(
    tmp_path: Path, old: str, new: str, match: str
) -> None:
    text = _preset_text("county")
    assert text.count(old) == 1, old
    p = tmp_path / "my_la.toml"
    p.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(sa.InvalidScenarioError, match=match) as e:
        sa.load_scenario(p)
    assert str(e.value).startswith(f"{p}:")


def test_every_preset_range_is_valid_at_both_ends() -> None:
    for name in sa.list_scenarios():
        space = AssumptionSpace(sa.load_scenario(name))
        space.check()
        assert len(space) > len(space.keys) >= 70


# ------------------------------------------------------------------ the space
def test_space_dimensions_are_independent_unless_linked() -> None:
    county = sa.load_scenario("county")
    space = AssumptionSpace(county)
    # the same key in two setting groups: two independent dimensions
    assert "primary.fill_sd" in space.names
    assert "secondary.fill_sd" in space.names
    assert "primary.capacity.0" in space.names
    assert "primary.capacity.1" in space.names
    assert len(set(space.names)) == len(space)
    rng = np.random.default_rng(0)
    vals = [space.values(rng.random(len(space))) for _ in range(200)]
    a = [v["primary.fill_sd"] for v in vals]
    b = [v["secondary.fill_sd"] for v in vals]
    assert abs(np.corrcoef(a, b)[0, 1]) < 0.2

    linked = _with_ranges(
        "county",
        {
            "primary.fill_sd": {"low": 0.04, "high": 0.12, "link": "fill"},
            "secondary.fill_sd": {"low": 0.04, "high": 0.12, "link": "fill"},
            "special.capacity": {"low": [95, 155], "high": [125, 185], "link": "sc"},
            "lists.speed_kmh": {"low": 20.0, "high": 40.0},
        },
    )
    ls = AssumptionSpace(linked)
    assert ls.names == ("fill", "sc", "lists.speed_kmh")
    assert ls.groups("key") == ("fill", "sc", "lists.speed_kmh")
    v = ls.values([0.25, 1.0, np.nan])
    assert v == {
        "primary.fill_sd": pytest.approx(0.06),
        "secondary.fill_sd": pytest.approx(0.06),
        "special.capacity": (125, 185),
    }


def test_nan_keeps_the_scenario_value_and_the_space_has_no_notes() -> None:
    sc = sa.load_scenario(SMALL)
    space = AssumptionSpace(sc)
    u = np.full(len(space), np.nan)
    same = space.scenario_at(u)
    assert same == dataclasses.replace(sc, citations={}, uncertainty={})
    k = space.names.index("special.capacity.1")
    u[k] = 0.0
    cap = space.values(u)["special.capacity"]
    assert (
        cap[0] == sc.groups[[n for n, _ in sc.groups].index("special")][1].capacity[0]
    )
    assert cap[1] == int(sc.uncertainty["special.capacity"].low[1])  # type: ignore[index]
    with pytest.raises(ValueError, match=r"u: expected shape \("):
        space.values([0.5])


def test_groups_by_key_theme_dimension_or_patterns() -> None:
    space = AssumptionSpace(sa.load_scenario("county"))
    assert space.groups(None) == space.names
    assert space.groups("dimension") == space.names
    # one group per entry, a link's entries together: the county's tied
    # fullness of special schools and units is one group of two keys
    linked = {"special.fill_mean", "resourced_provision.fill_mean"}
    assert set(space.groups("key")) == (set(space.keys) - linked) | {
        "tied_special_fill_mean"
    }
    themes = set(space.groups("theme"))
    assert {"costs", "places per setting", "parents' preferences"} <= themes
    assert theme("post16_college.cost") == "costs"
    by = space.groups({"supply": ["*.count", "*.capacity"], "rest": ["*"]})
    assert by[space.names.index("primary.capacity.0")] == "supply"
    assert by[space.names.index("lists.speed_kmh")] == "rest"
    with pytest.raises(ValueError, match=r"no pattern matches population\."):
        space.groups({"supply": ["*.count"]})
    with pytest.raises(ValueError, match="expected a list of key patterns"):
        space.groups({"supply": "*.count"})
    with pytest.raises(ValueError, match="expected one of key, theme, dimension"):
        space.groups("themes")
