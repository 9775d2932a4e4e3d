"""Benchmark suite: every mechanism at every size it can handle, in one run.

    python benchmarks/run.py                      # sizes 1e3 .. 1e6, prints a table
    python benchmarks/run.py --sizes 1000,10000   # a subset
    python benchmarks/run.py --yardstick ./refalloc   # also time the plain-C reference

Times are the best of ``--repeat`` runs after a warm-up (numba compiles on the
first call, done before anything is measured). Each size runs in a fresh
process. Memory is the process's peak resident set while building the problem
or running the mechanism (Linux ``VmHWM``, reset before each measurement), and
``extra`` is that peak less the resident set before the problem was built (the
interpreter, numba and the input arrays): the problem plus the mechanism.
Ratios are against baselines measured in the same run: the plain-C yardstick
when ``--yardstick`` is given, and a plain-Python deferred acceptance.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))  # for tests.reference, the plain-Python baseline

from instances import make_instance  # noqa: E402

import sendalloc as sa  # noqa: E402

# Largest size each mechanism is run at, if it cannot run at every size.
LIMITS: dict[str, int] = {}
DEFAULT_SIZES = (1_000, 10_000, 100_000, 1_000_000)


# --------------------------------------------------------------------------- tools
def _reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _rss_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def _peak_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def to_problem(inst: Any) -> sa.Problem:
    return sa.Problem.from_arrays(
        inst.capacity, inst.preferences, priority=inst.priority, order=inst.order
    )


def run_yardstick(binary: str, inst: Any, rule: str) -> tuple[float, np.ndarray]:
    """Time the C reference on the same instance; return (seconds, assignment)."""
    n, width = inst.preferences.shape
    with tempfile.TemporaryDirectory() as d:
        Path(d, "meta.txt").write_text(f"{n} {inst.capacity.shape[0]} {width}\n")
        for name, arr in (
            ("prefs", inst.preferences),
            ("cap", inst.capacity),
            ("order", inst.order),
            ("score", inst.priority),
        ):
            np.ascontiguousarray(arr, dtype=np.int32).tofile(Path(d, f"{name}.i32"))
        out = subprocess.run(
            [binary, rule, d], capture_output=True, text=True, check=True
        )
        assign = np.fromfile(Path(d, f"assign_{rule}.i32"), dtype=np.int32)
    return float(out.stdout.strip()), assign


# --------------------------------------------------------------------------- suite
def bench_size(n: int, args: argparse.Namespace) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    inst = make_instance(n, seed=args.seed)
    tiny = to_problem(make_instance(200, seed=1))
    for name in args.mechanisms:  # compile or load every kernel before measuring
        sa.allocate(tiny, name, rng=0)
    to_problem(make_instance(7_000, seed=1))  # and from_arrays' (large problems)
    base = _rss_mib()  # the interpreter, numba and the input arrays
    _reset_peak()
    t_build, problem = best_of(lambda: to_problem(inst), args.repeat)
    build_row = {
        "n": n,
        "what": "Problem.from_arrays",
        "seconds": t_build,
        "peak_mib": _peak_mib(),
        "extra_mib": _peak_mib() - base,
    }
    rows.append(build_row)
    if n >= 100_000:
        # Baseline in the same run: the numpy builder the fast path replaced
        # (frozen in tests/reference_from_arrays.py; identical results).
        from tests.reference_from_arrays import reference_from_arrays

        given = {"priority": inst.priority, "order": inst.order}
        secs, _ = best_of(
            lambda: reference_from_arrays(inst.capacity, inst.preferences, **given),
            args.repeat,
        )
        build_row["speedup_of_sendalloc"] = secs / t_build
        rows.append(
            {"n": n, "what": "previous from_arrays (baseline)", "seconds": secs}
        )
        # A yardstick on this machine in this run: numpy's sort of one int64
        # per slot in one piece. The compiled builder sorts as many keys, in
        # up to 64 groups of settings (about 0.6 of this time), and also reads
        # the input and writes five arrays of that size.
        keys = inst.priority.astype(np.int64).ravel()
        secs, _ = best_of(lambda: np.sort(keys), args.repeat)
        del keys
        build_row["x_numpy_sort"] = t_build / secs
        rows.append(
            {"n": n, "what": "numpy sort of N L int64 (yardstick)", "seconds": secs}
        )
    c_times: dict[str, float] = {}
    c_assign: dict[str, np.ndarray] = {}
    if args.yardstick:
        for rule in ("sd", "da"):
            c_times[rule], c_assign[rule] = run_yardstick(args.yardstick, inst, rule)
            rows.append(
                {"n": n, "what": f"C yardstick {rule}", "seconds": c_times[rule]}
            )
    results: dict[str, sa.Allocation] = {}
    for name in args.mechanisms:
        if n > LIMITS.get(name, 10**9):
            continue
        _reset_peak()
        secs, alloc = best_of(
            lambda name=name: sa.allocate(problem, name, rng=0), args.repeat
        )
        results[name] = alloc
        row: dict[str, Any] = {
            "n": n,
            "what": name,
            "seconds": secs,
            "peak_mib": _peak_mib(),
            "extra_mib": _peak_mib() - base,
            "placed": int(alloc.placed.sum()),
        }
        rule = {"first_available": "sd", "deferred_acceptance": "da"}.get(name)
        if rule in c_times:
            row["vs_C"] = secs / c_times[rule]
            row["identical_to_C"] = bool(
                np.array_equal(alloc.assignment, c_assign[rule])
            )
        rows.append(row)
    if n <= args.python_limit and "deferred_acceptance" in results:
        from tests.reference import deferred_acceptance as python_da

        secs, ref = best_of(lambda: python_da(problem), 1)
        same = np.array_equal(
            np.asarray(ref), results["deferred_acceptance"].assignment
        )
        rows.append(
            {
                "n": n,
                "what": "plain-Python DA (baseline)",
                "seconds": secs,
                "identical": same,
                "speedup_of_sendalloc": secs / _row(rows, n, "deferred_acceptance"),
            }
        )
    if n <= 10_000:
        da = results.get("deferred_acceptance")
        da_secs = _row(rows, n, "deferred_acceptance") if da is not None else 1.0
        rows.extend(bench_matching(problem, n, da, da_secs))
    if "deferred_acceptance" in results:
        da = results["deferred_acceptance"]
        for vname in ("is_feasible", "blocking_pairs", "is_pareto_efficient"):
            fn = getattr(sa.properties, vname, None)
            if fn is None:
                continue
            secs, _ = best_of(lambda fn=fn: fn(problem, da), 1)
            rows.append({"n": n, "what": f"properties.{vname}", "seconds": secs})
    return rows


def _row(rows: list[dict[str, Any]], n: int, what: str) -> float:
    return next(r["seconds"] for r in rows if r["n"] == n and r["what"] == what)


def bench_matching(
    problem: sa.Problem, n: int, da: sa.Allocation | None, da_seconds: float
) -> list[dict[str, Any]]:
    """The `matching` package's HospitalResident, when installed (not a dependency)."""
    try:
        from matching.games import HospitalResident
    except ImportError:
        return []
    # `matching` cannot hold a hospital with no places; dropping those settings
    # (and the slots that rank them) leaves deferred acceptance unchanged.
    open_ = problem.capacity > 0
    prefs = problem.preferences
    res_prefs = {
        i: [int(s) for s in row if s >= 0 and open_[s]] for i, row in enumerate(prefs)
    }
    res_prefs = {i: r for i, r in res_prefs.items() if r}  # nor one with no list
    hosp_prefs = {
        s: [int(c) for c in lst]
        for s, lst in enumerate(problem.priority_lists)
        if open_[s]
    }
    caps = {s: int(c) for s, c in enumerate(problem.capacity) if c > 0}
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 10 * n + 1000))
    try:
        game = HospitalResident.create_from_dictionaries(res_prefs, hosp_prefs, caps)
        t = time.perf_counter()
        matching = game.solve(optimal="resident")
        secs = time.perf_counter() - t
    finally:
        sys.setrecursionlimit(old)
    got = np.full(n, -1, dtype=np.int64)
    for hospital, residents in matching.items():
        for r in residents:
            got[r.name] = hospital.name
    row: dict[str, Any] = {"n": n, "what": "matching.HospitalResident", "seconds": secs}
    if da is not None:
        row["identical"] = bool(np.array_equal(got, da.assignment))
        row["speedup_of_sendalloc"] = secs / da_seconds
    return [row]


def bench_simulate(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Monte Carlo throughput: serial, a process pool, and the default command.

    ``benchmarks/bench_simulate.py`` splits the per-run cost further.
    """
    from concurrent.futures import ProcessPoolExecutor

    scenario = sa.load_scenario("county")
    sa.simulate(scenario, runs=4, seed=0)  # compile kernels, warm caches
    rows: list[dict[str, Any]] = []
    t = time.perf_counter()
    sa.simulate(scenario, runs=args.runs, seed=0)
    secs = time.perf_counter() - t
    what = "simulate county, default mechanisms, serial"
    rows.append({"n": args.runs, "what": what, "seconds": secs})
    workers = os.cpu_count() or 1
    t = time.perf_counter()
    with ProcessPoolExecutor(workers) as pool:
        sa.simulate(scenario, runs=args.runs, seed=0, executor=pool)
    secs = time.perf_counter() - t
    what = f"simulate county, default mechanisms, {workers} processes"
    rows.append({"n": args.runs, "what": what, "seconds": secs})
    cli = Path(sys.executable).with_name("sendalloc")
    if cli.exists():  # the whole command, start-up included: the 15 s target
        cmd = [str(cli), "run", "county", "--runs", str(args.runs), "--no-progress"]
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        secs = time.perf_counter() - t
        rows.append({"n": args.runs, "what": "`sendalloc run county`", "seconds": secs})
        # The HTML report with its defaults (the simulation and 100 rounds of
        # places needed), start-up and the page included: the 60 s target.
        with tempfile.TemporaryDirectory() as d:
            page = str(Path(d) / "county.html")
            cmd = [str(cli), "report", "county", "--runs", str(args.runs)]
            t = time.perf_counter()
            subprocess.run(
                [*cmd, "--no-progress", "-o", page], capture_output=True, check=True
            )
            secs = time.perf_counter() - t
        what = "`sendalloc report county`"
        rows.append({"n": args.runs, "what": what, "seconds": secs})
    for r in rows:
        r["runs_per_second"] = args.runs / r["seconds"]
    return rows


def bench_cold_start(args: argparse.Namespace) -> list[dict[str, Any]]:
    """First run with an empty numba cache against the warm run that follows.

    One fresh ``NUMBA_CACHE_DIR`` per mode (``benchmarks/cold_start.py``).
    """
    from cold_start import TARGETS, measure_cold_start

    rows: list[dict[str, Any]] = []
    for mode in ("annual", "in_year"):
        r = measure_cold_start(mode, runs=args.runs)
        cmd = f"`sendalloc run county --mode {mode}`"
        rows.append({"n": args.runs, "what": f"{cmd} cold", "seconds": r["cold"]})
        rows.append({"n": args.runs, "what": f"{cmd} warm", "seconds": r["warm"]})
        rows.append(
            {
                "n": args.runs,
                "what": f"compile overhead, {mode} (cold - warm)",
                "limit_seconds": TARGETS[mode],
                "seconds": r["overhead"],
                "overhead_vs_warm": r["overhead"] / r["warm"],
                "said_compiling": r["said_compiling"],
            }
        )
        # Informational: the CPU of every process of both commands (compiling
        # in two processes, about twice the wall-clock overhead). The target
        # is the wall-clock row's; this row carried it too until 6 December
        # 2026, against a sum it does not bound.
        rows.append(
            {
                "n": args.runs,
                "what": f"compile overhead, {mode} (cold - warm), CPU seconds",
                "cpu_of": "all processes; the target is on the wall-clock row",
                "seconds": r["overhead_cpu"],
                "cold_cpu_seconds": r["cold_cpu"],
                "warm_cpu_seconds": r["warm_cpu"],
            }
        )
    return rows


# The targets of the performance issue, judged on the rows of one run.
SAME_CLASS = ("boston", "adaptive_boston", "random_serial_dictatorship")
UNDER_10S = ("top_trading_cycles", "setting_proposing_deferred_acceptance")


def judge(rows: list[dict[str, Any]]) -> None:
    """Add ``target`` and ``met`` to the rows the issue sets a target for."""
    c_da = {r["n"]: r["seconds"] for r in rows if r["what"] == "C yardstick da"}
    for r in rows:
        n, what, secs = r["n"], r["what"], r["seconds"]
        target: str | None = None
        met: bool | None = None
        if n == 1_000_000 and what in ("first_available", "deferred_acceptance"):
            target = "<= 2x C"
            met = r["vs_C"] <= 2.0 if "vs_C" in r else None
        elif n == 1_000_000 and what in SAME_CLASS:
            target = "<= 2x C deferred acceptance"
            met = secs <= 2 * c_da[n] if n in c_da else None
        elif n == 1_000_000 and what in UNDER_10S:
            target, met = "< 10 s", secs < 10
        elif n == 100_000 and what == "max_placement":
            target, met = "< 60 s", secs < 60
        elif n == 1_000_000 and what == "Problem.from_arrays":
            target, met = "< 0.15 s", secs < 0.15
        elif "limit_seconds" in r:
            target = f"< {r['limit_seconds']:g} s"
            met = secs < r["limit_seconds"]
        elif n == 1_000_000 and what.startswith("properties."):
            target, met = "seconds (< 5 s)", secs < 5
        elif what == "`sendalloc run county`" and n == 1000:
            target, met = "<= 15 s", secs <= 15
        elif what == "`sendalloc report county`" and n == 1000:
            target, met = "< 60 s", secs < 60
        elif what == "import sendalloc":
            target, met = "< 0.3 s", secs < 0.3
        if n == 1_000_000 and "extra_mib" in r:
            mem_ok = r["extra_mib"] < 1024
            target = f"{target}; < 1 GiB" if target else "< 1 GiB"
            met = mem_ok if met is None else (met and mem_ok)
        if target is not None:
            r["target"] = target
            r["met"] = "n/a (no C run)" if met is None else ("yes" if met else "NO")


def format_table(rows: list[dict[str, Any]]) -> str:
    judge(rows)
    cols = [
        "n",
        "what",
        "seconds",
        "peak MiB",
        "extra MiB",
        "vs C",
        "same as C",
        "target",
        "met",
        "notes",
    ]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        notes = []
        keys = ("speedup_of_sendalloc", "x_numpy_sort", "identical", "runs_per_second")
        for key in (*keys, "overhead_vs_warm", "said_compiling", "cpu_of"):
            if key in r:
                v = r[key]
                notes.append(f"{key}={v:.3g}" if isinstance(v, float) else f"{key}={v}")
        cells = [
            f"{r['n']:,}",
            r["what"],
            f"{r['seconds']:.4f}",
            f"{r['peak_mib']:.0f}" if "peak_mib" in r else "",
            f"{r['extra_mib']:.0f}" if "extra_mib" in r else "",
            f"{r['vs_C']:.2f}x" if "vs_C" in r else "",
            str(r.get("identical_to_C", "")),
            r.get("target", ""),
            r.get("met", ""),
            ", ".join(notes),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default=",".join(str(s) for s in DEFAULT_SIZES))
    ap.add_argument("--mechanisms", default=",".join(sa.MECHANISMS))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--runs", type=int, default=1000, help="Monte Carlo runs (0: skip)")
    ap.add_argument("--python-limit", type=int, default=100_000)
    ap.add_argument("--yardstick", help="path to a compiled plain-C refalloc binary")
    ap.add_argument("--json", help="also write the rows here")
    ap.add_argument("--one-size", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    args.sizes = [int(float(s)) for s in args.sizes.split(",") if s]
    args.mechanisms = [m for m in args.mechanisms.split(",") if m]
    if args.yardstick:
        args.yardstick = os.path.abspath(args.yardstick)
    rows: list[dict[str, Any]] = []
    if args.one_size:
        # A child process measuring one size: rows go to stdout as JSON.
        print(json.dumps(bench_size(args.sizes[0], args), default=str))
        return 0
    for n in args.sizes:
        # Each size in a fresh process, so that memory left behind by one size
        # (allocators rarely give it back) does not count against the next.
        cmd = [sys.executable, __file__, "--one-size", "--sizes", str(n)]
        cmd += ["--mechanisms", ",".join(args.mechanisms), "--runs", "0"]
        cmd += ["--repeat", str(args.repeat), "--seed", str(args.seed)]
        cmd += ["--python-limit", str(args.python_limit)]
        if args.yardstick:
            cmd += ["--yardstick", args.yardstick]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        rows.extend(json.loads(out.stdout.strip().splitlines()[-1]))
        print(f"done n={n:,}", file=sys.stderr)
    from import_time import measure_import_time

    secs = measure_import_time()
    rows.append({"n": 1, "what": "import sendalloc", "seconds": secs})
    if args.runs:
        rows.extend(bench_simulate(args))
        rows.extend(bench_cold_start(args))
    print(format_table(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
