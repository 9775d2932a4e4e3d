"""sendalloc.executors: pools whose workers die with their parent; compile notices."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import sendalloc as sa
from sendalloc.executors import compiling, precompile_kernels, process_pool

LINUX = sys.platform.startswith("linux")


def test_pool_gives_the_serial_numbers() -> None:
    serial = sa.simulate("london_borough", "first_available", runs=6, seed=3)
    with process_pool(2) as pool:
        pooled = sa.simulate(
            "london_borough", "first_available", runs=6, seed=3, executor=pool
        )
    np.testing.assert_array_equal(serial.values, pooled.values)


def test_warm_up_runs_in_the_parent_before_the_workers() -> None:
    calls: list[int] = []
    pool = process_pool(1, warm_up=lambda: calls.append(os.getpid()))
    try:
        assert calls == [os.getpid()]
        assert pool.submit(os.getpid).result(timeout=60) != os.getpid()
    finally:
        pool.shutdown()


def _set_env(key: str, value: str) -> None:
    os.environ[key] = value


def test_user_initializer_still_runs() -> None:
    with process_pool(1, initializer=_set_env, initargs=("X_T", "1")) as pool:
        assert pool.submit(os.getenv, "X_T").result(timeout=60) == "1"


def test_bad_worker_count() -> None:
    with pytest.raises(ValueError, match="max_workers: expected a positive integer"):
        process_pool(0)


def test_compiling_notices_a_compile_once_and_not_a_loaded_kernel(
    tmp_path: Path,
) -> None:
    p = sa.Problem.from_lists([1], [[0], [0]])
    sa.allocate(p, "boston")  # compiled or loaded now
    seen: list[str] = []
    with compiling(lambda: seen.append("x")):
        sa.allocate(p, "boston")
    assert seen == []
    # A fresh process with an empty cache compiles, and is noticed once.
    code = textwrap.dedent(
        """
        import sendalloc as sa
        from sendalloc.executors import compiling
        seen = []
        p = sa.Problem.from_lists([1], [[0], [0]])
        with compiling(lambda: seen.append(1)):
            sa.allocate(p, "first_available")
            sa.allocate(p, "boston")
        print(len(seen))
        """
    )
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "empty-cache")}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert out.stdout.strip() == "1"


# --------------------------------------------------------------------------- orphans
def _children(pid: int) -> set[int]:
    kids: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text()
        kids.update(int(x) for x in text.split())
    return kids


def _running(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (waiting to be reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _kill_parent_and_watch(argv: list[str], workers: int) -> list[int]:
    """Start ``argv``, SIGKILL it once its workers run; return workers still alive."""
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 240
        kids: set[int] = set()
        while time.monotonic() < deadline and len(kids) < workers:
            assert proc.poll() is None, "the run ended before its workers started"
            kids = {k for k in _children(proc.pid) if _running(k)}
            time.sleep(0.2)
        assert len(kids) >= workers, "workers never started"
        time.sleep(1.0)  # let them take work
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_running(k) for k in kids):
            time.sleep(0.1)
        alive = [k for k in kids if _running(k)]
    finally:
        for k in _children(proc.pid) if proc.poll() is None else ():
            os.kill(k, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
    for k in alive:  # do not leave them behind whatever the test says
        os.kill(k, signal.SIGKILL)
    return alive


@pytest.mark.skipif(not LINUX, reason="reads /proc to find the workers")
@pytest.mark.parametrize(
    "command",
    [
        ["run", "london_borough", "--runs", "1000000", "-m", "first_available"],
        [
            "sweep",
            "london_borough",
            "--set",
            "lists.max_length=3,4",
            "--runs",
            "500000",
            "-m",
            "first_available",
        ],
    ],
    ids=["run", "sweep"],
)
def test_workers_exit_when_the_command_is_killed(command: list[str]) -> None:
    argv = [sys.executable, "-m", "sendalloc", *command, "--workers", "2"]
    argv += ["--no-progress"]
    assert _kill_parent_and_watch(argv, workers=2) == []


@pytest.mark.skipif(not LINUX, reason="reads /proc to find the workers")
def test_library_pool_workers_exit_when_their_parent_is_killed() -> None:
    code = textwrap.dedent(
        """
        import time
        from sendalloc.executors import process_pool
        pool = process_pool(2)
        futures = [pool.submit(time.sleep, 600) for _ in range(2)]
        time.sleep(600)
        """
    )
    assert _kill_parent_and_watch([sys.executable, "-c", code], workers=2) == []


# --------------------------------------------------------------------------- precompile
def test_precompile_rejects_unknown_mechanisms() -> None:
    with pytest.raises(ValueError, match="unknown mechanism 'nope'; valid names: "):
        precompile_kernels(["nope"])


@pytest.mark.skipif(not LINUX, reason="forks helper processes on Linux only")
def test_precompile_shares_a_cold_start_and_forks_nothing_when_warm(
    tmp_path: Path,
) -> None:
    code = textwrap.dedent(
        """
        import multiprocessing, os
        forks = []
        os.register_at_fork(after_in_parent=lambda: forks.append(1))
        import sendalloc as sa
        from sendalloc.executors import precompile_kernels
        precompile_kernels(["max_placement", "boston"], processes=2)
        p = sa.Problem.from_lists([1, 1], [[0, 1], [0], [1, 0]])
        print(len(forks), len(multiprocessing.active_children()),
              sa.allocate(p, "max_placement").assignment.tolist())
        """
    )
    env = {
        **os.environ,
        "NUMBA_CACHE_DIR": str(tmp_path / "cache"),
        "NUMBA_DEBUG_CACHE": "1",
    }

    def run() -> tuple[list[str], list[str]]:
        out = subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
        lines = out.stdout.splitlines()
        saved = [ln for ln in lines if ln.startswith("[cache] data saved")]
        return lines[-1].split(maxsplit=2), saved

    (forks, children, assignment), saved = run()
    assert (forks, children) == ("1", "0")  # one helper, gone when done
    assert assignment == "[0, -1, 1]"
    # Each unit compiled by one process: max_placement's helpers on their own.
    names = [ln.rsplit("/", 1)[-1] for ln in saved]
    assert len(names) == len(set(names)), names
    assert any("_exchange" in n for n in names)
    (forks, children, assignment), saved = run()
    assert (forks, children, saved) == ("0", "0", [])  # warm: loads, forks nothing
    assert assignment == "[0, -1, 1]"


@pytest.mark.skipif(not LINUX, reason="forks helper processes on Linux only")
def test_precompile_runs_each_further_unit_once_beside_the_rules(
    tmp_path: Path,
) -> None:
    # The in-year event kernel is such a unit (sendalloc._engine.modes.compile_tasks):
    # on a cold cache it is compiled by one of the processes, once, and so is
    # every rule's kernel.
    code = textwrap.dedent(
        f"""
        import os
        from sendalloc._engine.modes import compile_tasks
        from sendalloc.executors import precompile_kernels
        import sendalloc as sa
        log = {str(tmp_path / "units")!r}
        def unit():
            with open(log, "a") as f:
                f.write(f"{{os.getpid()}}\\n")
        year = sa.load_scenario("county").with_overrides({{"mode": "in_year"}})
        tasks = compile_tasks(year, ["boston"])
        precompile_kernels([unit, *tasks, "boston", "max_placement"], processes=2)
        """
    )
    env = {
        **os.environ,
        "NUMBA_CACHE_DIR": str(tmp_path / "cache"),
        "NUMBA_DEBUG_CACHE": "1",
    }
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    assert len((tmp_path / "units").read_text().splitlines()) == 1
    saved = [
        ln.rsplit("/", 1)[-1]
        for ln in out.stdout.splitlines()
        if ln.startswith("[cache] data saved")
    ]
    assert len(saved) == len(set(saved)), saved
    assert any("year_kernel" in n for n in saved)
