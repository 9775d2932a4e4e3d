from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace as NS
from typing import Any

import numpy as np
import pytest

import sendalloc as sa
from sendalloc._engine.stats import summarise
from sendalloc.metrics import GROUP_METRICS, METRICS


@dataclass(frozen=True)
class ToyScenario:
    """A small random scenario with the Scenario interface (picklable)."""

    name: str = "toy"
    description: str = "toy scenario for tests"
    n: int = 120
    m: int = 12
    k: int = 4
    fallback: bool = True

    def sample(self, rng: np.random.Generator) -> NS:
        n, m, k = self.n, self.m, self.k
        cap = rng.integers(0, 12, size=m).astype(np.int32)
        lists = np.array([rng.choice(m, size=k, replace=False) for _ in range(n)])
        short = rng.integers(1, k + 1, size=n)
        lists[np.arange(k)[None, :] >= short[:, None]] = -1
        prefs = np.full((n, k), -1)
        for i in range(n):
            row = lists[i][lists[i] >= 0]
            r = rng.permutation(row)[: rng.integers(1, row.size + 1)]
            prefs[i, : r.size] = r
        order = rng.permutation(n)
        score = rng.permutation(n * k).reshape(n, k)
        problem = sa.Problem.from_arrays(cap, prefs, priority=score, order=order)
        dist = np.where(lists >= 0, rng.uniform(0, 20, size=(n, k)), np.nan)
        return NS(
            problem=problem,
            children=NS(
                need=rng.integers(0, 13, size=n).astype(np.int8),
                phase=rng.integers(0, 4, size=n).astype(np.int8),
                x_km=np.zeros(n),
                y_km=np.zeros(n),
            ),
            settings=NS(
                kind=rng.integers(0, 7, size=m).astype(np.int8),
                cost=rng.uniform(5000, 60000, size=m),
                x_km=np.zeros(m),
                y_km=np.zeros(m),
                id=tuple(f"S{j}" for j in range(m)),
            ),
            lists=lists.astype(np.int32),
            distance_km=dist,
            off_list_wish=rng.random(n) < 0.1,
            fallback=self.fallback,
            transport_cost_per_km=50.0,
        )


MECHS = ["first_available", "random_serial_dictatorship"]


def test_shapes_and_summary() -> None:
    r = sa.simulate(ToyScenario(), MECHS, runs=7, seed=1)
    assert r.values.shape == (7, 2, len(METRICS))
    assert r.groups["need"].shape == (7, 2, 13, len(GROUP_METRICS))
    assert r.groups["kind"].shape[2] == 8
    assert r.rank_profile.shape[:2] == (7, 2)
    s = r.summary()
    assert s.mean.shape == (2, 1, len(METRICS))
    cell = s.get("first_available", "placed_on_list")
    assert cell["ci_low"] <= cell["mean"] <= cell["ci_high"]
    # rank profile sums to any_preference, run by run
    np.testing.assert_allclose(
        r.rank_profile.sum(axis=2), r.values[:, :, METRICS.index("any_preference")]
    )
    # shares add up: on list + unplaced = 1 (every placement is on the list)
    on = r.metric("placed_on_list")
    un = r.metric("unplaced")
    np.testing.assert_allclose(on + un, 1.0)
    assert repr(r).startswith("SimulationResult(")


def test_stats_match_numpy() -> None:
    rng = np.random.default_rng(0)
    x = rng.random((50, 2, 3, 4))
    x[3, 0, 0, 0] = np.nan
    x[:, 1, 2, 3] = np.nan
    mean, lo, hi, se, n = summarise(x)
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            np.testing.assert_allclose(mean, np.nanmean(x, axis=0))
            np.testing.assert_allclose(lo, np.nanpercentile(x, 2.5, axis=0))
            np.testing.assert_allclose(hi, np.nanpercentile(x, 97.5, axis=0))
            np.testing.assert_allclose(se, np.nanstd(x, axis=0, ddof=1) / np.sqrt(n))
    assert n[0, 0, 0] == 49
    assert np.isnan(mean[1, 2, 3])


def test_common_random_numbers() -> None:
    # children per run are the same for every mechanism (same instance)
    r = sa.simulate(ToyScenario(), MECHS, runs=5, seed=2)
    ch = r.metric("children")
    np.testing.assert_array_equal(ch[:, 0], ch[:, 1])
    off = r.metric("off_list_wish")
    np.testing.assert_array_equal(off[:, 0], off[:, 1])
    # a run's numbers do not depend on how many runs there are
    r3 = sa.simulate(ToyScenario(), MECHS, runs=3, seed=2)
    np.testing.assert_array_equal(r3.values, r.values[:3])


def test_identical_for_any_executor() -> None:
    scen = ToyScenario()
    serial = sa.simulate(scen, MECHS, runs=12, seed=5).to_json()
    chunks = sa.simulate(scen, MECHS, runs=12, seed=5, chunk_size=5).to_json()
    with ThreadPoolExecutor(3) as ex:
        threads = sa.simulate(scen, MECHS, runs=12, seed=5, executor=ex).to_json()
    with ProcessPoolExecutor(2) as ex:
        procs = sa.simulate(
            scen, MECHS, runs=12, seed=5, executor=ex, chunk_size=2
        ).to_json()
    assert serial == chunks == threads == procs
    other = sa.simulate(scen, MECHS, runs=12, seed=6).to_json()
    assert other != serial


def test_progress_called_in_order() -> None:
    calls: list[tuple[int, int]] = []
    sa.simulate(
        ToyScenario(),
        ["first_available"],
        runs=5,
        seed=0,
        chunk_size=2,
        progress=lambda d, t: calls.append((d, t)),
    )
    assert calls == [(2, 5), (4, 5), (5, 5)]


def test_custom_callable_mechanism() -> None:
    def nobody(problem: sa.Problem, *, rng: Any = None) -> sa.Allocation:
        return sa.Allocation.from_assignment(problem, np.full(problem.n_children, -1))

    r = sa.simulate(ToyScenario(fallback=False), [nobody], runs=2, seed=0)
    assert r.mechanisms == ("nobody",)
    np.testing.assert_array_equal(r.metric("unplaced", "nobody"), 1.0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"runs": 0}, "runs: expected a positive integer"),
        ({"seed": -1}, "seed: expected a non-negative integer"),
        ({"mechanisms": ["first_come"]}, "unknown mechanism 'first_come'; valid names"),
        ({"mechanisms": []}, "at least one mechanism"),
        ({"chunk_size": 0}, "chunk_size"),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], match: str) -> None:
    kwargs.setdefault("mechanisms", MECHS)
    with pytest.raises(ValueError, match=match):
        sa.simulate(ToyScenario(), runs=kwargs.pop("runs", 2), **kwargs)


def test_summary_by_and_outputs(tmp_path: Any) -> None:
    r = sa.simulate(ToyScenario(), MECHS, runs=6, seed=3)
    for by in ("need", "phase", "kind", "rank"):
        s = r.summary(by)
        assert s.mean.shape[0] == 2
    with pytest.raises(ValueError, match="by: expected"):
        r.summary("colour")
    doc = json.loads(r.to_json(tmp_path / "r.json"))
    assert set(doc) >= {"sendalloc_version", "scenario", "runs", "seed", "results"}
    assert doc["results"]["first_available"]["first_preference"].keys() == {
        "mean",
        "ci_low",
        "ci_high",
        "se",
    }
    assert "ASD" in doc["by_need"]["first_available"]
    assert "1" in doc["rank_profile"]["first_available"]
    assert (tmp_path / "r.json").read_text() == r.to_json()
    csv = r.to_csv(tmp_path / "r.csv")
    assert (
        csv.splitlines()[0] == "section,mechanism,group,metric,mean,ci_low,ci_high,se"
    )
    assert (tmp_path / "r.csv").read_text() == csv
    text = r.table()
    assert "first preference" in text
    assert "first-available allocation would place" in r.headline()


def test_to_frame() -> None:
    pd = pytest.importorskip("pandas")
    r = sa.simulate(ToyScenario(), MECHS, runs=4, seed=3)
    f = r.to_frame()
    assert isinstance(f, pd.DataFrame)
    assert list(f.columns) == ["mechanism", "metric", "mean", "ci_low", "ci_high", "se"]
    assert len(f) == 2 * len(METRICS)
    g = r.to_frame("need", per_run=True)
    assert len(g) == 4 * 2 * 13 * len(GROUP_METRICS)


def test_plot(tmp_path: Any) -> None:
    pytest.importorskip("matplotlib")
    r = sa.simulate(ToyScenario(), MECHS, runs=4, seed=3)
    from matplotlib.axes import Axes

    fig = r.plot(tmp_path / "fig.png")
    # Five outcomes, where children end up, and two by-need panels.
    assert len(fig.findobj(Axes)) == 8
    assert (tmp_path / "fig.png").stat().st_size > 1000


def test_import_has_no_extras() -> None:
    code = (
        "import sys, sendalloc\n"
        "bad = [m for m in ('pandas', 'matplotlib', 'numba') if m in sys.modules]\n"
        "assert not bad, bad\n"
        "assert sendalloc.simulate and sendalloc.SimulationResult\n"
        "assert sendalloc.metrics.evaluate and sendalloc.capacity.max_flow_bound\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# ----------------------------------------------------------------- real presets
def test_preset_identical_serial_and_process_pool() -> None:
    scen = sa.load_scenario("london_borough")
    serial = sa.simulate(scen, runs=8, seed=11).to_json()
    with ProcessPoolExecutor(2) as ex:
        pooled = sa.simulate(scen, runs=8, seed=11, executor=ex).to_json()
    assert serial == pooled
    doc = json.loads(serial)
    # The default run: today's process first, then the proposal.
    assert doc["mechanisms"][:2] == ["status_quo", "first_available"]


def test_planner_never_places_fewer_than_first_available() -> None:
    if "max_placement" not in sa.MECHANISMS:
        pytest.skip("max_placement not registered yet")
    # The frozen copy of london_borough kept for the golden files (tests/golden):
    # the preset itself has since changed (cross-border competition, issue 13),
    # and the count below was measured on this copy.
    frozen = Path(__file__).resolve().parent / "golden" / "london_borough.toml"
    r = sa.simulate(
        sa.load_scenario(frozen),
        ["first_available", "max_placement"],
        runs=36,
        seed=7,
    )
    fa = r.metric("any_preference", "first_available")
    mp = r.metric("any_preference", "max_placement")
    assert (mp >= fa - 1e-12).all()
    # On london_borough first_available is wasteful relative to the optimum: a
    # child served early takes the last place a later child needed while an
    # option of their own was free. The planner places strictly more children
    # in every one of these 36 runs (by 0.2 to 3 points); ask for most of them.
    assert (mp > fa + 1e-12).mean() >= 0.9
    # The preset as it is now (fewer free places, other LAs' children taking
    # most of its neighbours'): the theorem holds whatever the preset.
    now = sa.simulate(
        "london_borough", ["first_available", "max_placement"], runs=12, seed=7
    )
    gap = now.metric("any_preference", "max_placement") - now.metric(
        "any_preference", "first_available"
    )
    assert (gap >= -1e-12).all()
    assert gap.max() > 0


def test_fallback_switch_on_a_preset() -> None:
    scen = sa.load_scenario("london_borough")
    off = scen.with_overrides({"allocation.fallback": False})
    r_on = sa.simulate(scen, ["first_available"], runs=4, seed=1)
    r_off = sa.simulate(off, ["first_available"], runs=4, seed=1)
    np.testing.assert_array_equal(
        r_off.metric("placed_on_list"), r_off.metric("any_preference")
    )
    assert (r_off.metric("placed_by_fallback") == 0).all()
    np.testing.assert_array_equal(
        r_on.metric("any_preference"), r_off.metric("any_preference")
    )
    assert (r_on.metric("placed_on_list") >= r_off.metric("placed_on_list")).all()


def test_public_names_documented() -> None:
    import importlib

    for modname in (
        "sendalloc.metrics",
        "sendalloc.simulate",
        "sendalloc.capacity",
        "sendalloc.report",
        "sendalloc.cli",
    ):
        mod = importlib.import_module(modname)
        assert mod.__doc__
        for name in mod.__all__:
            obj = getattr(mod, name)
            if callable(obj) or isinstance(obj, type):
                assert obj.__doc__, f"{modname}.{name} has no docstring"


# ----------------------------------------------------------------- stream layout
@dataclass(frozen=True)
class RecordingScenario(ToyScenario):
    """Records the state of the generator each run samples its instance from."""

    log: list[Any] = field(default_factory=list, compare=False, hash=False)

    def sample(self, rng: np.random.Generator) -> NS:
        self.log.append(("instance", rng.bit_generator.state))
        return ToyScenario.sample(self, rng)


def _state(seed: int, *key: int) -> Any:
    ss = np.random.SeedSequence(seed, spawn_key=key)
    return np.random.default_rng(ss).bit_generator.state


def test_runs_and_mechanisms_draw_their_own_streams() -> None:
    # Run r samples from SeedSequence(seed, spawn_key=(r, 0)); every mechanism
    # of run r gets a fresh generator on (r, 1): the same for each mechanism
    # (common random numbers), never the instance's, never another run's.
    scen = RecordingScenario()

    def first(problem: sa.Problem, *, rng: Any = None) -> sa.Allocation:
        scen.log.append(("first", rng.bit_generator.state))
        return sa.allocate(problem, "random_serial_dictatorship", rng=rng)

    def second(problem: sa.Problem, *, rng: Any = None) -> sa.Allocation:
        scen.log.append(("second", rng.bit_generator.state))
        return sa.allocate(problem, "random_serial_dictatorship", rng=rng)

    r = sa.simulate(scen, [first, second], runs=3, seed=9, chunk_size=2)
    want = []
    for run in range(3):
        want += [
            ("instance", _state(9, run, 0)),
            ("first", _state(9, run, 1)),
            ("second", _state(9, run, 1)),
        ]
    assert scen.log == want
    # Same stream, same draws: the two copies of the rule agree in every run.
    np.testing.assert_array_equal(r.values[:, 0], r.values[:, 1])
    # The streams are distinct: no run repeats another's instance.
    instances = [s for what, s in scen.log if what == "instance"]
    assert all(instances[i] != instances[j] for i in range(3) for j in range(i))
