"""Sweeps: seeding, executors (a real dask LocalCluster), the store and resuming."""

from __future__ import annotations

import importlib
import json
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import sendalloc as sa
from sendalloc._cli.sweep import _grid_values
from sendalloc._engine import store as store_module
from sendalloc.cli import main
from sendalloc.metrics import METRICS
from sendalloc.sweep import SweepStoreError

# The module itself: the attribute sendalloc.sweep is the function.
sweep_module = importlib.import_module("sendalloc.sweep")
REAL_RUN_UNIT = sweep_module._run_unit

SCEN = "london_borough"
MECHS = ["first_available", "boston"]
GRID = {"special.capacity_growth": [0, 0.2], "lists.max_length": [2, 5]}
RUNS = 12
CHUNK = 5  # 3 units per variant (5, 5, 2 runs): 12 units in all


def run(**kw: Any) -> sa.SweepResult:
    scenario = kw.pop("scenario", SCEN)
    grid = kw.pop("grid", GRID)
    args: dict[str, Any] = {
        "mechanisms": MECHS,
        "runs": RUNS,
        "seed": 7,
        "chunk_size": CHUNK,
        **kw,
    }
    return sa.sweep(scenario, grid, **args)


@pytest.fixture(scope="module")
def reference() -> sa.SweepResult:
    """The uninterrupted serial run every other execution must reproduce."""
    return run()


def same(a: sa.SweepResult, b: sa.SweepResult) -> None:
    assert a.variants == b.variants
    assert a.mechanisms == b.mechanisms
    for name in ("mean", "ci_low", "ci_high", "se", "n"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), name)
    assert a.to_csv() == b.to_csv()


# --------------------------------------------------------------------------- seeding
def test_variant_rows_equal_simulate_of_the_variant(reference: sa.SweepResult) -> None:
    base = sa.load_scenario(SCEN)
    variant = {"special.capacity_growth": 0.2, "lists.max_length": 2}
    one = sa.simulate(base.with_overrides(variant), MECHS, runs=RUNS, seed=7)
    s = one.summary()
    for mech in MECHS:
        for metric in METRICS:
            got = reference.get(variant, mech, metric)
            want = s.get(mech, metric)
            assert got == pytest.approx(want, nan_ok=True, rel=0, abs=0)


@pytest.mark.parametrize("common", [True, False])
def test_variant_numbers_do_not_depend_on_the_rest_of_the_grid(common: bool) -> None:
    full = run(common_random_numbers=common)
    # Keys in the other order, values reversed, a different chunk size.
    flipped = run(
        grid={"lists.max_length": [5, 2], "special.capacity_growth": [0.2, 0.0]},
        chunk_size=4,
        common_random_numbers=common,
    )
    alone = run(
        grid={"special.capacity_growth": [0.2], "lists.max_length": [5]},
        common_random_numbers=common,
    )
    v = {"special.capacity_growth": 0.2, "lists.max_length": 5}
    for mech in MECHS:
        for metric in ("first_preference", "placed_on_list", "mean_distance_km"):
            cell = full.get(v, mech, metric)
            assert flipped.get(v, mech, metric) == cell
            assert alone.get(v, mech, metric) == cell


def test_stream_modes_differ_only_in_the_streams() -> None:
    crn = run(grid={"lists.max_length": [2, 5]})
    own = run(grid={"lists.max_length": [2, 5]}, common_random_numbers=False)
    assert not np.array_equal(crn.mean, own.mean)
    # Without overrides both modes are simulate's own streams.
    a = run(grid={}, runs=4)
    b = run(grid={}, runs=4, common_random_numbers=False)
    same(a, b)
    assert a.variants == ((),)


def test_process_pool_gives_identical_results(reference: sa.SweepResult) -> None:
    with ProcessPoolExecutor(max_workers=2) as ex:
        same(run(executor=ex), reference)


# --------------------------------------------------------------------------- dask
def test_dask_local_cluster_identical_to_serial(
    reference: sa.SweepResult, tmp_path: Path
) -> None:
    # A real cluster of two worker processes, one thread each: the tasks are
    # pickled to other interpreters, as on a cluster. Starting it takes about
    # a second; the dashboard on a free port.
    # Imported, not importorskip'd: CI installs the dask extra (make test), and
    # this test must fail there rather than be skipped.
    import distributed

    serial_csv = tmp_path / "serial.csv"
    dask_csv = tmp_path / "dask.csv"
    cli = ["sweep", SCEN, "--runs", "8", "--seed", "3", "--no-progress"]
    cli += ["--set", "lists.max_length=2,5", "-m", "first_available"]
    assert main([*cli, "--workers", "1", "--csv", str(serial_csv)]) == 0
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        same(run(executor=client.get_executor()), reference)
        # The CLI pointed at the scheduler's address: identical numbers.
        address = cluster.scheduler_address
        assert main([*cli, "--scheduler", address, "--csv", str(dask_csv)]) == 0
        assert len(client.scheduler_info()["workers"]) == 2
    assert dask_csv.read_text() == serial_csv.read_text()


# --------------------------------------------------------------------------- store
class Flaky:
    """Stands in for the unit runner: records units, fails one unit once."""

    def __init__(self, fail_at: tuple[int, int] | None) -> None:
        self.real = REAL_RUN_UNIT
        self.fail_at = fail_at
        self.calls: list[Any] = []

    def __call__(
        self, scen: Any, mechs: Any, entropy: int, key: Any, a: int, b: int
    ) -> Any:
        # Identify the variant by its (capacity_growth, max_length) values.
        d = scen.to_dict()
        unit = (
            (d["special"]["capacity_growth"], d["lists"]["max_length"]),
            a,
        )
        self.calls.append(unit)
        if unit == self.fail_at:
            raise RuntimeError("unit failed on purpose")
        return self.real(scen, mechs, entropy, key, a, b)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
@pytest.mark.parametrize("pool", [False, True])
def test_interrupted_sweep_resumes_nothing_lost_nothing_twice(
    reference: sa.SweepResult,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
    pool: bool,
) -> None:
    store = tmp_path / f"results.{fmt}"
    first = Flaky(fail_at=((0.2, 2), 5))  # variant 3 of 4, its second unit
    monkeypatch.setattr(sweep_module, "_run_unit", first)
    ex = ThreadPoolExecutor(max_workers=2) if pool else None
    try:
        with pytest.raises(RuntimeError, match="unit failed on purpose") as info:
            run(store=store, executor=ex)
    finally:
        if ex is not None:
            ex.shutdown()
    assert any("run the same sweep again to resume" in n for n in info.value.__notes__)
    stored = sorted(p.name for p in store.glob(f"part-*.{fmt}"))
    assert 0 < len(stored) < 12
    seen = set(first.calls) - {first.fail_at}
    assert len(stored) == len(seen)  # every unit that finished was stored

    second = Flaky(fail_at=None)
    monkeypatch.setattr(sweep_module, "_run_unit", second)
    ticks: list[tuple[int, int]] = []
    resumed = run(store=store, progress=lambda d, t: ticks.append((d, t)))
    assert not set(second.calls) & seen  # nothing recomputed
    assert len(second.calls) == len(set(second.calls)) == 12 - len(seen)
    assert len(list(store.glob(f"part-*.{fmt}"))) == 12  # nothing lost
    stored_runs = sum((5, 5, 2)[int(name.split("-c")[1][:5])] for name in stored)
    assert ticks[0] == (stored_runs, 48)
    assert ticks[-1] == (48, 48)
    same(resumed, reference)

    third = Flaky(fail_at=None)
    monkeypatch.setattr(sweep_module, "_run_unit", third)
    same(run(store=store), reference)  # all from the store
    assert third.calls == []


def test_store_layout_is_a_readable_parquet_dataset(tmp_path: Path) -> None:
    import pandas as pd

    store = tmp_path / "results.parquet"
    res = run(store=store, grid={"lists.max_length": [2, 5]})
    df = pd.read_parquet(store)
    assert len(df) == 2 * RUNS * len(MECHS)
    assert list(df.columns[:4]) == ["lists.max_length", "variant", "run", "mechanism"]
    one = df[(df["lists.max_length"] == 5) & (df["mechanism"] == "boston")]
    assert one["first_preference"].mean() == pytest.approx(
        res.get({"lists.max_length": 5}, "boston", "first_preference")["mean"]
    )
    spec = json.loads((store / "_sendalloc_sweep.json").read_text())
    assert spec["format"] == "parquet"
    assert spec["spec"]["runs"] == RUNS
    assert spec["spec"]["chunk_size"] == CHUNK


def test_csv_store_when_pyarrow_is_missing(
    reference: sa.SweepResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "pyarrow_available", lambda: False)
    store = tmp_path / "results"
    same(run(store=store), reference)
    assert len(list(store.glob("part-*.csv"))) == 12
    same(run(store=store), reference)
    with pytest.raises(SweepStoreError, match=r"Parquet needs pyarrow"):
        run(store=tmp_path / "new.parquet")


def test_a_half_written_unit_is_ignored(
    reference: sa.SweepResult, tmp_path: Path
) -> None:
    # A sweep killed while writing leaves only a temporary file behind.
    store = tmp_path / "results.csv"
    run(store=store)
    part = store / "part-v00002-c00001.csv"
    text = part.read_text()
    part.unlink()
    (store / f".tmp-999-{part.name}").write_text(text[: len(text) // 2])
    same(run(store=store), reference)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"runs": 5}, "runs"),
        ({"seed": 8}, "seed"),
        ({"chunk_size": 3}, "chunk_size"),
        ({"mechanisms": ["first_available"]}, "mechanisms"),
        ({"grid": {"lists.max_length": [2, 5]}}, "grid"),
        ({"scenario": "county"}, "scenario"),
        ({"common_random_numbers": False}, "common_random_numbers"),
    ],
)
def test_store_from_another_spec_is_refused(
    tmp_path: Path, change: dict[str, Any], field: str
) -> None:
    store = tmp_path / "results.csv"
    base: dict[str, Any] = {"runs": 4, "chunk_size": 2}
    run(store=store, **base)
    before = sorted(os.listdir(store))
    with pytest.raises(
        SweepStoreError, match=rf"holds a different sweep .*\b{field}\b"
    ):
        run(store=store, **{**base, **change})
    assert sorted(os.listdir(store)) == before  # untouched


def test_store_version_is_part_of_the_spec(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "results.csv"
    run(store=store, runs=2, chunk_size=2)
    monkeypatch.setattr(sweep_module, "VERSION", "9.9.9")
    with pytest.raises(SweepStoreError, match="sendalloc_version"):
        run(store=store, runs=2, chunk_size=2)


def test_store_path_that_is_not_a_store(tmp_path: Path) -> None:
    f = tmp_path / "file.parquet"
    f.write_text("x")
    with pytest.raises(SweepStoreError, match="is a file"):
        run(store=f, runs=2)
    d = tmp_path / "other"
    d.mkdir()
    (d / "notes.txt").write_text("mine")
    with pytest.raises(SweepStoreError, match="not a sendalloc sweep store"):
        run(store=d, runs=2)
    bad = tmp_path / "bad.csv"
    bad.mkdir()
    (bad / "_sendalloc_sweep.json").write_text("{")
    with pytest.raises(SweepStoreError, match="unreadable"):
        run(store=bad, runs=2)


def test_worker_with_another_version_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = sweep_module._run_unit
    monkeypatch.setattr(sweep_module, "_run_unit", lambda *a: ("0.0.1", real(*a)[1]))
    with pytest.raises(RuntimeError, match=r"worker runs sendalloc 0\.0\.1"):
        run(runs=2)


# --------------------------------------------------------------------------- input
@pytest.mark.parametrize(
    ("grid", "exc", "match"),
    [
        ([("lists.max_length", [2])], TypeError, "expected a mapping"),
        ({"lists.max_length": 3}, TypeError, "expected a list of values"),
        ({"lists.max_length": "35"}, TypeError, "expected a list of values"),
        ({"lists.max_length": []}, ValueError, "at least one value"),
        ({"lists.max_length": [3, 3.0]}, ValueError, "duplicate values"),
        ({"lists.max_length": [object()]}, TypeError, r"grid\['lists.max_length'\]"),
        ({"lists.max_length": [float("nan")]}, ValueError, "finite"),
        ({"lists.max_lenght": [3]}, sa.InvalidScenarioError, "max_lenght"),
        ({"lists.max_length": [0]}, sa.InvalidScenarioError, "max_length"),
        ({"special.capacity_growth": [-1]}, sa.InvalidScenarioError, "> -1"),
    ],
)
def test_bad_grids_fail_before_any_work(
    tmp_path: Path, grid: Any, exc: type[Exception], match: str
) -> None:
    store = tmp_path / "results.csv"
    with pytest.raises(exc, match=match):
        sa.sweep(SCEN, grid, runs=2, store=store)
    assert not store.exists()


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"runs": 0}, "runs"),
        ({"seed": -1}, "seed"),
        ({"chunk_size": 0}, "chunk_size"),
        ({"mechanisms": ["first_come"]}, "unknown mechanism"),
    ],
)
def test_bad_arguments(kw: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        sa.sweep(SCEN, {}, **{"runs": 2, **kw})


# --------------------------------------------------------------------------- result
def test_result_tidy_table_and_frame(reference: sa.SweepResult) -> None:
    rows = reference.rows()
    assert len(rows) == 4 * len(MECHS) * len(METRICS)
    assert list(rows[0]) == [
        "special.capacity_growth",
        "lists.max_length",
        "mechanism",
        "metric",
        "mean",
        "ci_low",
        "ci_high",
        "se",
        "n",
    ]
    pd = pytest.importorskip("pandas")
    df = reference.to_frame()
    assert isinstance(df, pd.DataFrame)
    assert df.shape == (len(rows), 9)
    head = reference.to_csv().splitlines()[0]
    assert head == ",".join(rows[0])
    assert "0.2,5,boston,first_preference," in reference.to_csv()
    assert "lists.max_length" in reference.table()
    with pytest.raises(ValueError, match="not in the grid"):
        reference.get(
            {"special.capacity_growth": 0.5, "lists.max_length": 2},
            "boston",
            "unplaced",
        )
    with pytest.raises(ValueError, match="expected a value for each"):
        reference.get({"lists.max_length": 2}, "boston", "unplaced")
    assert "variants=4" in repr(reference)


def test_plot_line_with_band(reference: sa.SweepResult, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    fig = reference.plot(x="special.capacity_growth", y="placed_on_list")
    # hue = mechanism; the other key (two values) gives two panels.
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == 2
    assert len(visible[0].get_lines()) == len(MECHS)
    fig = reference.plot(
        x="special.capacity_growth",
        y="first_preference",
        hue="lists.max_length",
        band="se",
        path=tmp_path / "f.png",
    )
    assert (tmp_path / "f.png").stat().st_size > 0
    with pytest.raises(ValueError, match="x: expected a grid key"):
        reference.plot(x="runs", y="unplaced")
    with pytest.raises(ValueError, match="hue"):
        reference.plot(x="lists.max_length", y="unplaced", hue="lists.max_length")
    with pytest.raises(ValueError, match="unknown metric"):
        reference.plot(x="lists.max_length", y="happiness")


# --------------------------------------------------------------------------- CLI
def test_cli_grid_values() -> None:
    assert _grid_values("0,0.1,0.2") == [0, 0.1, 0.2]
    assert _grid_values("nearest, 'cheapest'") == ["nearest", "cheapest"]
    assert _grid_values("true,false") == [True, False]
    assert _grid_values("[5,10],[10,20]") == [[5, 10], [10, 20]]


@pytest.mark.parametrize(
    ("argv", "match"),
    [
        (["--set", "lists.max_length"], "expected KEY=V1,V2"),
        (["--set", "a=1", "--set", "a=2"], "given twice"),
        (["--set", "lists.nope=1,2"], "nope"),
        (["--workers", "2", "--scheduler", "x:1"], "not allowed with"),
    ],
)
def test_cli_sweep_errors(
    argv: list[str], match: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sweep", SCEN, "--runs", "2", "--no-progress", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sendalloc: error:")
    assert match in err
    assert err.count("\n") == 1


def test_cli_sweep_killed_resumes_where_it_stopped(tmp_path: Path) -> None:
    # A real kill (SIGKILL) of `sendalloc sweep` midway; the same command then
    # computes only the missing units and prints the uninterrupted numbers.
    store = tmp_path / "results.parquet"
    out = tmp_path / "out.csv"
    cmd = [sys.executable, "-m", "sendalloc", "sweep", SCEN, "--runs", "40"]
    cmd += [
        "--set",
        "lists.max_length=1,2,3,5",
        "--set",
        "special.capacity_growth=0,0.2",
    ]
    cmd += ["--chunk-size", "4", "--workers", "1", "--no-progress", "--seed", "5"]
    cmd += ["--store", str(store), "--csv", str(out), "-m", "first_available"]
    total = 8 * 10
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if len(list(store.glob("part-*"))) >= 5:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.01)
    proc.wait(timeout=60)
    assert proc.stderr is not None
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL, "the sweep ended before it was killed"
    kept = len(list(store.glob("part-*")))
    assert 5 <= kept < total
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    assert len(list(store.glob("part-*"))) == total
    want = sa.sweep(
        SCEN,
        {"lists.max_length": [1, 2, 3, 5], "special.capacity_growth": [0, 0.2]},
        mechanisms=["first_available"],
        runs=40,
        seed=5,
    )
    assert out.read_text() == want.to_csv()


def test_example_script_runs() -> None:
    script = Path(__file__).resolve().parent.parent / "examples" / "sweep_capacity.py"
    env = {**os.environ, "SENDALLOC_EXAMPLE_RUNS": "4", "MPLBACKEND": "Agg"}
    proc = subprocess.run(
        [sys.executable, str(script), "london_borough"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "special.capacity_growth" in proc.stdout


def test_public_names_documented() -> None:
    assert sweep_module.__doc__
    assert list(sweep_module.__all__) == sorted(sweep_module.__all__)
    for name in sweep_module.__all__:
        obj = getattr(sweep_module, name)
        if callable(obj) or isinstance(obj, type):
            assert obj.__doc__, name
    assert sa.sweep is sweep_module.sweep
    assert sa.SweepResult is sweep_module.SweepResult


# --------------------------------------------------------------------------- modes
MODE_GRID = {"mode": ["annual", "in_year", "multi_year"], "dynamics.years": [2]}


@pytest.fixture(scope="module")
def by_mode() -> sa.SweepResult:
    """One variant per mode, two chunks each."""
    return sa.sweep(
        SCEN,
        MODE_GRID,
        mechanisms=["first_available", "random_serial_dictatorship"],
        runs=3,
        seed=2,
        chunk_size=2,
    )


@pytest.mark.parametrize("mode", ["annual", "in_year", "multi_year"])
def test_each_mode_row_equals_simulate_of_the_variant(
    by_mode: sa.SweepResult, mode: str
) -> None:
    variant = {"mode": mode, "dynamics.years": 2}
    one = sa.simulate(
        sa.load_scenario(SCEN).with_overrides(variant),
        ["first_available", "random_serial_dictatorship"],
        runs=3,
        seed=2,
    )
    assert type(one).__name__ == (
        "SimulationResult" if mode == "annual" else "DynamicResult"
    )
    s = one.summary()
    for mech in one.mechanisms:
        for metric in one.metrics:
            got = by_mode.get(variant, mech, metric)
            assert got == pytest.approx(s.get(mech, metric), nan_ok=True, rel=0, abs=0)
    rows = [r for r in by_mode.rows() if r["mode"] == mode]
    assert {r["metric"] for r in rows} == set(one.metrics)  # its mode's metrics only
    assert len(rows) == len(one.metrics) * 2


def test_modes_give_their_own_metrics(by_mode: sa.SweepResult) -> None:
    assert by_mode.modes == ("annual", "in_year", "multi_year")
    metrics = set(by_mode.metrics)
    assert {"first_preference", "waited", "carried_over"} <= metrics
    annual = {"mode": "annual", "dynamics.years": 2}
    in_year = {"mode": "in_year", "dynamics.years": 2}
    # A metric the variant's mode does not measure is undefined there.
    assert math.isnan(by_mode.get(annual, "first_available", "waited")["mean"])
    assert math.isnan(by_mode.get(in_year, "first_available", "unplaced")["mean"])
    waited = by_mode.get(in_year, "first_available", "waited")["mean"]
    assert 0 < waited < 1
    # The table shows each mode's headline columns, "-" where undefined.
    text = by_mode.table()
    assert "first_preference_at_arrival" in text
    assert "placed_on_list" in text
    pd = pytest.importorskip("pandas")
    frame = by_mode.to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert set(frame[frame["mode"] == "in_year"]["metric"]) >= {"waited", "moved"}


def test_in_year_sweep_of_batches_differs_by_batch(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The bug of issue 12: this printed the annual figures, the same twice.
    argv = ["sweep", SCEN, "--runs", "3", "--seed", "1", "--no-progress"]
    argv += ["--set", "mode=in_year", "--set", "dynamics.batch=none,monthly"]
    argv += ["-m", "first_available", "--workers", "1"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    head, _, none, monthly = out.splitlines()[:4]
    assert "first_preference_at_arrival" in head
    assert "placed_on_list" not in head
    assert none.split()[:2] == ["in_year", "none"]
    assert monthly.split()[:2] == ["in_year", "monthly"]
    assert none.split()[3:] != monthly.split()[3:]
    want = sa.simulate(
        sa.load_scenario(SCEN).with_overrides(
            {"mode": "in_year", "dynamics.batch": "monthly"}
        ),
        ["first_available"],
        runs=3,
        seed=1,
    ).summary()
    days = want.get("first_available", "mean_days_waiting")["mean"]
    assert f"{days:.4g}" in monthly


def test_store_of_a_mixed_mode_sweep_resumes_identically(tmp_path: Path) -> None:
    store = tmp_path / "modes.csv"
    kw: dict[str, Any] = {"mechanisms": ["first_available"], "runs": 2, "seed": 2}
    grid = {"mode": ["annual", "in_year"]}
    first = sa.sweep(SCEN, grid, store=store, **kw)
    header = (store / "part-v00001-c00000.csv").read_text().splitlines()[0]
    assert header.split(",")[4:] == list(first.metrics)  # every metric of the sweep
    again = sa.sweep(SCEN, grid, store=store, **kw)
    same(first, again)


# ------------------------------------------------------------------ store: races
def _race(monkeypatch: pytest.MonkeyPatch, other: Callable[[], object]) -> None:
    """Run ``other`` (a whole sweep) inside the next store opening, at the worst
    moment: after it found no spec and an empty directory, before it writes its
    own spec."""
    real = store_module.Store._new_format

    def racing(p: Path) -> str:
        monkeypatch.setattr(store_module.Store, "_new_format", staticmethod(real))
        other()
        return real(p)

    monkeypatch.setattr(store_module.Store, "_new_format", staticmethod(racing))


def test_a_second_sweep_losing_the_race_for_a_new_store_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two sweeps start on the same new store; the other one writes its spec
    # first. This one must not overwrite it and add its parts under the other's
    # spec: it is refused, and the store holds the other sweep alone.
    store = tmp_path / "results.csv"
    kw: dict[str, Any] = {"store": store, "runs": 2, "chunk_size": 2}
    other: list[sa.SweepResult] = []
    _race(monkeypatch, lambda: other.append(run(grid={"lists.max_length": [2]}, **kw)))
    with pytest.raises(SweepStoreError, match=r"holds a different sweep .*\bgrid\b"):
        run(grid={"lists.max_length": [5]}, **kw)
    assert len(other) == 1
    same(run(grid={"lists.max_length": [2]}, **kw), other[0])
    spec = json.loads((store / "_sendalloc_sweep.json").read_text())
    assert spec["spec"]["grid"] == [["lists.max_length", [2]]]


def test_the_same_sweep_losing_the_race_shares_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "results.csv"
    kw: dict[str, Any] = {
        "store": store,
        "runs": 2,
        "chunk_size": 2,
        "grid": {"lists.max_length": [2]},
    }
    other: list[sa.SweepResult] = []
    _race(monkeypatch, lambda: other.append(run(**kw)))
    same(run(**kw), other[0])


# ------------------------------------------------------------------ store: parts
def _store_with_parts(tmp_path: Path, fmt: str) -> tuple[Path, sa.SweepResult]:
    store = tmp_path / f"results.{fmt}"
    res = run(store=store, grid={"lists.max_length": [2, 5]}, runs=4, chunk_size=2)
    return store, res


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_part_of_another_variant_is_refused(tmp_path: Path, fmt: str) -> None:
    store, _ = _store_with_parts(tmp_path, fmt)
    # Same runs, same mechanisms, but variant 0's numbers under variant 1's name.
    wrong = store / f"part-v00001-c00000.{fmt}"
    wrong.write_bytes((store / f"part-v00000-c00000.{fmt}").read_bytes())
    with pytest.raises(SweepStoreError, match=rf"{wrong.name} does not hold variant 1"):
        run(store=store, grid={"lists.max_length": [2, 5]}, runs=4, chunk_size=2)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("cut", [1, 4, 200])
def test_a_truncated_part_is_refused_naming_the_file(
    tmp_path: Path, fmt: str, cut: int
) -> None:
    store, _ = _store_with_parts(tmp_path, fmt)
    part = store / f"part-v00001-c00001.{fmt}"
    data = part.read_bytes()
    part.write_bytes(data[: len(data) - cut])  # cut inside the last number, or more
    with pytest.raises(SweepStoreError, match=rf"{part.name} is damaged or truncated"):
        run(store=store, grid={"lists.max_length": [2, 5]}, runs=4, chunk_size=2)


def test_stale_temporary_parts_are_removed_on_resume(tmp_path: Path) -> None:
    store, res = _store_with_parts(tmp_path, "csv")
    dead = store / ".tmp-999999999-part-v00000-c00000.csv"  # no such process
    alive = store / f".tmp-{os.getppid()}-part-v00000-c00001.csv"  # still running
    dead.write_text("half a unit")
    alive.write_text("being written")
    same(run(store=store, grid={"lists.max_length": [2, 5]}, runs=4, chunk_size=2), res)
    assert not dead.exists()
    assert alive.exists()
