"""Seeds: an int, a SeedSequence, a Generator or None, everywhere runs are drawn.

A Generator is spawned from, never drawn from; a SeedSequence is read, never
changed; None draws fresh entropy; and whatever was passed, the result's ``seed``
passed back reproduces the run byte for byte.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

import sendalloc as sa
from sendalloc._engine.store import SPEC_FILE
from sendalloc.capacity import gap_summary, places_needed
from sendalloc.sweep import SweepStoreError
from test_simulate import ToyScenario

MECHS = ["first_available", "deferred_acceptance"]


def sim(seed: Any, **kw: Any) -> sa.SimulationResult:
    return sa.simulate(ToyScenario(), MECHS, runs=kw.pop("runs", 4), seed=seed, **kw)


def test_an_int_and_its_seed_sequence_are_the_same_root() -> None:
    a = sim(5)
    b = sim(np.random.SeedSequence(5))
    assert a.seed == b.seed == 5
    assert a.to_json() == b.to_json()
    assert json.loads(a.to_json())["seed"] == 5


def test_a_seed_sequence_is_the_root_unchanged() -> None:
    ss = np.random.SeedSequence(11, spawn_key=(3,))
    r = sim(ss)
    assert ss.n_children_spawned == 0  # read, never spawned from
    assert isinstance(r.seed, np.random.SeedSequence)
    assert (r.seed.entropy, r.seed.spawn_key) == (11, (3,))
    # Run r draws from the sequence's r-th child: the same numbers as spawning.
    explicit = sim(np.random.SeedSequence(11, spawn_key=(3,)))
    assert r.to_json() == explicit.to_json()
    assert r.to_json() != sim(11).to_json()
    doc = json.loads(r.to_json())
    assert doc["seed"] == {"entropy": 11, "spawn_key": [3]}
    again = sim(np.random.SeedSequence(**doc["seed"]))
    assert again.to_json() == r.to_json()


def test_a_generator_is_spawned_not_drawn_from() -> None:
    g = np.random.default_rng(42)
    state = g.bit_generator.state
    first = sim(g)
    second = sim(g)
    assert g.bit_generator.state == state  # the caller's stream is untouched
    assert g.random() == np.random.default_rng(42).random()
    # Each call spawns a new child: independent runs, each reproducible.
    assert first.to_json() != second.to_json()
    assert isinstance(first.seed, np.random.SeedSequence)
    assert first.seed.spawn_key == (0,)
    assert second.seed.spawn_key == (1,)
    assert sim(first.seed).to_json() == first.to_json()
    assert sim(np.random.default_rng(42)).to_json() == first.to_json()


def test_none_draws_fresh_entropy_and_records_it() -> None:
    a, b = sim(None), sim(None)
    assert isinstance(a.seed, int)
    assert a.seed != b.seed
    assert a.to_json() != b.to_json()
    assert sim(a.seed).to_json() == a.to_json()
    assert json.loads(a.to_json())["seed"] == a.seed


@pytest.mark.parametrize(
    ("seed", "exc", "match"),
    [
        (-1, ValueError, r"seed: expected a non-negative integer.*got -1"),
        ("7", TypeError, r"seed: expected .*got '7'"),
        (1.5, TypeError, r"seed: expected .*got 1.5"),
        (True, TypeError, r"seed: expected .*got True"),
        (np.random.RandomState(1), TypeError, r"seed: expected"),
        (
            np.random.Generator(np.random.RandomState(1)._bit_generator),
            TypeError,
            r"seed: the Generator's bit generator has no SeedSequence",
        ),
    ],
)
def test_bad_seeds_name_the_argument(seed: Any, exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        sim(seed, runs=1)
    with pytest.raises(exc, match=match):
        sa.sweep("london_borough", {}, mechanisms=MECHS, runs=1, seed=seed)
    with pytest.raises(exc, match=match):
        gap_summary(ToyScenario(), runs=1, seed=seed)


def test_sweep_takes_every_kind_of_seed() -> None:
    base = sa.load_scenario("london_borough")
    grid = {"lists.max_length": [3, 5]}
    kw: dict[str, Any] = {"mechanisms": ["first_available"], "runs": 2}
    g = np.random.default_rng(9)
    state = g.bit_generator.state
    res = sa.sweep(base, grid, seed=g, **kw)
    assert g.bit_generator.state == state
    assert isinstance(res.seed, np.random.SeedSequence)
    again = sa.sweep(base, grid, seed=res.seed, **kw)
    assert again.to_csv() == res.to_csv()
    # With common random numbers a variant is simulate() with the same root.
    one = sa.simulate(
        base.with_overrides({"lists.max_length": 5}),
        ["first_available"],
        runs=2,
        seed=res.seed,
    )
    cell = res.get({"lists.max_length": 5}, "first_available", "placed_on_list")
    assert cell == one.summary().get("first_available", "placed_on_list")
    fresh = sa.sweep(base, grid, seed=None, **kw)
    assert isinstance(fresh.seed, int)
    assert sa.sweep(base, grid, seed=fresh.seed, **kw).to_csv() == fresh.to_csv()


def test_a_store_resumes_with_the_recorded_root(tmp_path: Any) -> None:
    base = sa.load_scenario("london_borough")
    grid = {"lists.max_length": [3, 5]}
    kw: dict[str, Any] = {"mechanisms": ["first_available"], "runs": 2}
    store = tmp_path / "s.csv"
    ss = np.random.SeedSequence(8, spawn_key=(1, 2))
    res = sa.sweep(base, grid, seed=ss, store=store, **kw)
    spec = json.loads((store / SPEC_FILE).read_text())["spec"]
    assert spec["seed"] == {"entropy": 8, "spawn_key": [1, 2]}
    again = sa.sweep(base, grid, seed=res.seed, store=store, **kw)
    assert again.to_csv() == res.to_csv()
    with pytest.raises(SweepStoreError, match="seed"):
        sa.sweep(base, grid, seed=8, store=store, **kw)


def test_capacity_functions_take_and_record_seeds() -> None:
    g = np.random.default_rng(3)
    state = g.bit_generator.state
    s = gap_summary(ToyScenario(), runs=3, seed=g)
    assert g.bit_generator.state == state
    t = gap_summary(ToyScenario(), runs=3, seed=s.seed)
    np.testing.assert_array_equal(s.bound, t.bound)
    assert gap_summary(ToyScenario(), runs=3, seed=None).seed != s.seed
    # Same rounds as simulate() with the same root (common random numbers).
    r = sa.simulate(ToyScenario(), ["first_available"], runs=3, seed=s.seed)
    np.testing.assert_allclose(
        s.first_available, r.metric("placed_on_list", "first_available")
    )
    p = places_needed("london_borough", 0.95, runs=3, seed=None, n_boot=20)
    q = places_needed("london_borough", 0.95, runs=3, seed=p.seed, n_boot=20)
    assert (p.extra, p.ci_low, p.ci_high) == (q.extra, q.ci_low, q.ci_high)
