"""progress=True draws a tqdm.auto bar; a callable is called; anything else is refused.

One class (``sendalloc._engine.runner.Progress``) reports for every entry point, so
each entry point is checked for reaching it and the class for what it does.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np
import pytest

import sendalloc as sa
from sendalloc._engine.runner import Progress
from sendalloc.dynamic import simulate_dynamic
from test_simulate import ToyScenario

tqdm_auto = pytest.importorskip("tqdm.auto")

MECHS = ["first_available"]


class FakeBar:
    """Stands in for ``tqdm.auto.tqdm`` and records what it is told."""

    made: list[FakeBar] = []  # noqa: RUF012 - a record shared by the test

    def __init__(self, *, total: int, desc: str | None, unit: str) -> None:
        self.total, self.desc, self.unit = total, desc, unit
        self.n = 0
        self.closed = False
        FakeBar.made.append(self)

    def update(self, k: int) -> None:
        self.n += k

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def bars(monkeypatch: pytest.MonkeyPatch) -> list[FakeBar]:
    FakeBar.made = []
    monkeypatch.setattr(tqdm_auto, "tqdm", FakeBar)
    return FakeBar.made


def test_simulate_draws_one_tqdm_auto_bar(bars: list[FakeBar]) -> None:
    sa.simulate(ToyScenario(), MECHS, runs=7, seed=1, progress=True, chunk_size=3)
    (bar,) = bars
    assert (bar.total, bar.n, bar.desc, bar.unit) == (7, 7, "toy", "run")
    assert bar.closed


def test_the_bar_counts_the_same_runs_as_a_callback(bars: list[FakeBar]) -> None:
    seen: list[tuple[int, int]] = []
    a = sa.simulate(ToyScenario(), MECHS, runs=5, seed=2, chunk_size=2)
    b = sa.simulate(
        ToyScenario(),
        MECHS,
        runs=5,
        seed=2,
        chunk_size=2,
        progress=lambda d, t: seen.append((d, t)),
    )
    assert seen == [(2, 5), (4, 5), (5, 5)]
    assert a.to_json() == b.to_json()
    assert not bars  # a callback draws no bar
    sa.simulate(ToyScenario(), MECHS, runs=2, seed=2, progress=False)
    assert not bars


def test_sweep_and_the_time_engines_draw_a_bar(bars: list[FakeBar]) -> None:
    grid = {"lists.max_length": [3, 5]}
    sa.sweep("london_borough", grid, mechanisms=MECHS, runs=2, seed=0, progress=True)
    sc = sa.load_scenario("london_borough").with_overrides({"mode": "in_year"})
    simulate_dynamic(sc, MECHS, tuple(MECHS), runs=2, seed=0, progress=True)
    sweep_bar, year_bar = bars
    assert (sweep_bar.total, sweep_bar.n) == (4, 4)
    assert sweep_bar.desc == "london_borough: 2 variants"
    assert (year_bar.total, year_bar.n) == (2, 2)
    assert sweep_bar.closed
    assert year_bar.closed


def test_a_resumed_sweep_starts_its_bar_at_the_stored_runs(
    bars: list[FakeBar], tmp_path: Any
) -> None:
    kw: dict[str, Any] = {"mechanisms": MECHS, "runs": 4, "chunk_size": 2}
    store = tmp_path / "s.csv"
    sa.sweep("london_borough", {"lists.max_length": [3]}, store=store, **kw)
    sa.sweep(
        "london_borough", {"lists.max_length": [3]}, store=store, progress=True, **kw
    )
    (bar,) = bars
    assert (bar.total, bar.n) == (4, 4)
    assert bar.closed


def test_the_bar_is_closed_when_a_run_fails(bars: list[FakeBar]) -> None:
    def broken(problem: sa.Problem, *, rng: Any = None) -> sa.Allocation:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        sa.simulate(ToyScenario(), [broken], runs=3, seed=0, progress=True)
    (bar,) = bars
    assert bar.closed
    assert bar.n == 0


def test_a_real_bar_is_written_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    sa.simulate(ToyScenario(), MECHS, runs=3, seed=0, progress=True)
    err = capsys.readouterr().err
    assert "toy" in err
    assert "3/3" in err


@pytest.mark.parametrize("bad", ["yes", 1, 0.5, np.int64(1)])
def test_other_values_are_refused(bad: Any) -> None:
    with pytest.raises(TypeError, match=r"progress: expected True .*got"):
        sa.simulate(ToyScenario(), MECHS, runs=1, progress=bad)
    with pytest.raises(TypeError, match=r"progress: expected True"):
        sa.sweep("london_borough", {}, mechanisms=MECHS, runs=1, progress=bad)


def test_without_tqdm_the_error_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    calls: list[int] = []

    class Watched(ToyScenario):
        def sample(self, rng: np.random.Generator) -> Any:
            calls.append(1)
            return super().sample(rng)

    with pytest.raises(ImportError, match=r"pip install 'sendalloc\[progress\]'"):
        sa.simulate(Watched(), MECHS, runs=2, progress=True)
    assert not calls  # refused before any work
    with pytest.raises(ImportError, match=r"sendalloc\[progress\]"):
        sa.sweep("london_borough", {}, mechanisms=MECHS, runs=1, progress=True)
    # A callback needs no tqdm.
    sa.simulate(ToyScenario(), MECHS, runs=1, progress=lambda d, t: None)


def test_progress_reports_and_closes() -> None:
    seen: list[tuple[int, int]] = []
    with Progress(lambda d, t: seen.append((d, t)), 4) as p:
        p.advance(1, report=False)
        p.advance(1)
        p.report()
    assert seen == [(2, 4), (2, 4)]
