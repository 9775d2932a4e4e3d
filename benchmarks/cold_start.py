"""Cold start: ``sendalloc run county`` with an empty numba cache, then warm.

    python benchmarks/cold_start.py                      # annual and in-year
    python benchmarks/cold_start.py --modes annual --runs 1000

A cold run is a first run after install (or after a numba or sendalloc
upgrade): numba compiles every kernel the run needs. Each cold measurement
gets a fresh, empty ``NUMBA_CACHE_DIR`` (numba then ignores the cache beside
the package); the warm run that follows reuses it, so the difference is the
compile overhead of that run, measured against a baseline of the same run on
the same machine at the same time. Both are wall-clock times of the whole
command, start-up included, and CPU times (user + system of the command and
every process it starts, workers and compile helpers included): on a loaded
machine the wall-clock overhead swings by seconds from one run to the next,
the CPU overhead much less. ``python benchmarks/compile_table.py`` shows where
the compile time goes, function by function.

``benchmarks/run.py`` shows these as rows with ``measure_cold_start()``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["TARGETS", "measure_cold_start"]

#: Compile overhead (cold minus warm, seconds) the issue sets for each mode.
TARGETS = {"annual": 4.0, "in_year": 5.0}


def _command(python: str) -> list[str]:
    cli = Path(python).with_name("sendalloc")
    return [str(cli)] if cli.exists() else [python, "-m", "sendalloc"]


def _children_cpu() -> float:
    """User + system CPU seconds of this process's finished children."""
    t = os.times()
    return t.children_user + t.children_system


def _timed(cmd: list[str], cache: str) -> tuple[float, float, str]:
    """Wall and CPU seconds of ``cmd`` (and its children), and its stderr."""
    env = {**os.environ, "NUMBA_CACHE_DIR": cache}
    cpu = _children_cpu()
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return time.perf_counter() - start, _children_cpu() - cpu, proc.stderr


def measure_cold_start(
    mode: str = "annual",
    *,
    runs: int = 1000,
    scenario: str = "county",
    python: str = sys.executable,
) -> dict[str, Any]:
    """Time ``sendalloc run SCENARIO --mode MODE`` cold, then warm.

    Parameters
    ----------
    mode : {"annual", "in_year", "multi_year"}
    runs : int, default 1000
        Simulated rounds (the command's default).
    scenario : str, default "county"
    python : str, default sys.executable
        An interpreter with sendalloc installed.

    Returns
    -------
    dict
        ``cold`` and ``warm`` seconds, ``overhead`` (cold - warm), the same
        in CPU seconds (``cold_cpu``, ``warm_cpu``, ``overhead_cpu``; zero
        where the platform does not report children's CPU time), and
        ``said_compiling``: whether the cold run printed its notice.
    """
    cmd = [*_command(python), "run", scenario, "--mode", mode, "--runs", str(runs)]
    cache = tempfile.mkdtemp(prefix="sendalloc-cold-")
    try:
        cold, cold_cpu, err = _timed(cmd, cache)  # progress on: the notice
        warm, warm_cpu, _ = _timed([*cmd, "--no-progress"], cache)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return {
        "mode": mode,
        "cold": cold,
        "warm": warm,
        "overhead": cold - warm,
        "cold_cpu": cold_cpu,
        "warm_cpu": warm_cpu,
        "overhead_cpu": cold_cpu - warm_cpu,
        "said_compiling": "compiling kernels (first run only)" in err,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default="annual,in_year")
    parser.add_argument("--runs", type=int, default=1000)
    args = parser.parse_args(argv)
    for mode in args.modes.split(","):
        r = measure_cold_start(mode, runs=args.runs)
        target = TARGETS.get(mode)
        print(
            f"{mode:9s} cold {r['cold']:6.1f} s  warm {r['warm']:6.1f} s  "
            f"overhead {r['overhead']:5.1f} s"
            + (f" (target < {target:g} s)" if target else "")
        )
        print(
            f"{'':9s} CPU  {r['cold_cpu']:6.1f} s  warm {r['warm_cpu']:6.1f} s  "
            f"overhead {r['overhead_cpu']:5.1f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
