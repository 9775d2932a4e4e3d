"""Runs that draw their assumptions (or layout) per run, and how results name it."""

from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest

import sendalloc as sa
from sendalloc._engine.streams import STREAMS
from sendalloc.cli import main

SMALL = "london_borough"


def _with_ranges(name: str, ranges: dict[str, Any]) -> sa.Scenario:
    """A preset whose [uncertainty] table is ``ranges`` only."""
    d = sa.load_scenario(name).to_dict()
    d["uncertainty"] = ranges
    return sa.Scenario.from_dict(d, source=name)


def test_new_streams_take_new_numbers() -> None:
    # the existing streams keep their numbers, so the default runs are unchanged
    assert dict(STREAMS) == {
        "instance": 0,
        "mechanism": 1,
        "leavers": 2,
        "caseload": 3,
        "assumptions": 4,
        "layout": 5,
    }


def test_a_range_that_breaks_a_rule_across_keys_fails_before_running() -> None:
    sc = _with_ranges(
        "county",
        {
            "population.plans": {"low": 4000, "high": 1_000_000},
            "primary.count": {"low": 130, "high": 50_000},
        },
    )
    with pytest.raises(
        sa.InvalidScenarioError,
        match=r"values drawn from the \[uncertainty\] ranges make an invalid "
        r"scenario: .*taste draws",
    ):
        sa.simulate(sc, ["first_available"], runs=2, uncertainty="assumptions")


# ------------------------------------------------------------------ runs that draw
def test_default_is_unchanged_and_bad_values_name_the_argument() -> None:
    a = sa.simulate(SMALL, ["first_available"], runs=3, seed=5)
    b = sa.simulate(SMALL, ["first_available"], runs=3, seed=5, uncertainty="none")
    assert a.to_json() == b.to_json()
    assert a.uncertainty == "none"
    with pytest.raises(ValueError, match=r"uncertainty: expected one of 'none', "):
        sa.simulate(SMALL, runs=1, uncertainty="assumption")
    d = sa.load_scenario(SMALL).to_dict()
    del d["uncertainty"]
    bare = sa.Scenario.from_dict(d)
    with pytest.raises(sa.InvalidScenarioError, match="has none that vary"):
        sa.simulate(bare, runs=1, uncertainty="assumptions")
    # a new layout needs no ranges
    r = sa.simulate(bare, ["first_available"], runs=2, uncertainty="layout")
    assert r.interval == "95% range over simulated rounds and layouts"


def test_draws_are_reproducible_on_any_executor_and_chunking() -> None:
    mechs = ["first_available", "random_serial_dictatorship"]
    kw: dict[str, Any] = {"runs": 6, "seed": 11, "uncertainty": "assumptions+layout"}
    base = sa.simulate(SMALL, mechs, **kw)
    one = sa.simulate(SMALL, mechs, chunk_size=1, **kw)
    with ThreadPoolExecutor(2) as ex:
        pooled = sa.simulate(SMALL, mechs, executor=ex, chunk_size=4, **kw)
    with ProcessPoolExecutor(2) as ex:  # the assumption space travels by pickle
        procs = sa.simulate(SMALL, mechs, executor=ex, chunk_size=2, **kw)
    assert base.to_json() == one.to_json() == pooled.to_json() == procs.to_json()
    np.testing.assert_array_equal(base.values, pooled.values)
    other = sa.simulate(SMALL, mechs, runs=6, seed=12, uncertainty="assumptions")
    assert not np.array_equal(other.values, base.values)


def test_only_the_drawn_keys_change_a_run() -> None:
    # special.cost moves costs only: every placement of every run is as
    # without the draw, so the other streams are untouched.
    sc = _with_ranges(SMALL, {"special.cost": {"low": 20_000.0, "high": 90_000.0}})
    mechs = ["first_available"]
    plain = sa.simulate(sc, mechs, runs=5, seed=2)
    drawn = sa.simulate(sc, mechs, runs=5, seed=2, uncertainty="assumptions")
    placement = [plain.metrics.index(m) for m in ("first_preference", "unplaced")]
    np.testing.assert_array_equal(
        plain.values[:, :, placement], drawn.values[:, :, placement]
    )
    cost = plain.metrics.index("cost_per_child")
    assert not np.array_equal(plain.values[:, :, cost], drawn.values[:, :, cost])


def test_drawn_intervals_are_wider_and_every_renderer_names_them() -> None:
    mechs = ["first_available"]
    plain = sa.simulate(SMALL, mechs, runs=30, seed=3)
    drawn = sa.simulate(SMALL, mechs, runs=30, seed=3, uncertainty="assumptions")

    def width(r: sa.SimulationResult) -> float:
        c = r.summary().get("first_available", "unplaced")
        return c["ci_high"] - c["ci_low"]

    assert width(drawn) > 1.5 * width(plain)
    assert drawn.summary().uncertainty == "assumptions"
    label = "95% range over simulated rounds and assumptions"
    assert drawn.interval == label
    doc = json.loads(drawn.to_json())
    assert doc["uncertainty"] == "assumptions"
    assert doc["interval"] == label
    assert "uncertainty" not in json.loads(plain.to_json())
    head, first = drawn.to_csv().splitlines()[:2]
    assert head.endswith(",se,interval")
    assert first.endswith("," + label)
    assert plain.to_csv().splitlines()[0].endswith(",se")
    assert "mean (95% range over rounds and assumptions)." in drawn.table()
    assert "each with its own draw of the assumptions, in brackets" in (
        drawn.headline()
    )
    pytest.importorskip("pandas")
    assert set(drawn.to_frame()["interval"]) == {label}
    assert "interval" not in plain.to_frame().columns


def test_time_results_name_the_interval_too() -> None:
    sc = sa.load_scenario(SMALL).with_overrides({"mode": "in_year"})
    r = sa.simulate(sc, ["first_available"], runs=2, seed=1, uncertainty="assumptions")
    assert r.interval == "95% range over simulated runs and assumptions"
    assert "mean (95% range over runs and assumptions)." in r.table()
    assert "each with its own draw of the assumptions" in r.headline()


def test_cli_run_with_uncertainty(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "run",
            SMALL,
            "-n",
            "3",
            "-m",
            "first_available",
            "--uncertainty",
            "assumptions",
            "--no-progress",
            "--workers",
            "1",
        ]
    )
    assert code == 0
    assert "95% range over rounds and assumptions" in capsys.readouterr().out
    assert main(["run", SMALL, "--uncertainty", "everything", "--no-progress"]) == 2
    assert "--uncertainty: invalid choice" in capsys.readouterr().err
