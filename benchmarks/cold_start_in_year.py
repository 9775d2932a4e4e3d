"""Cold start of the in-year engine: compile time of the event kernel and of a run.

    python benchmarks/cold_start_in_year.py                  # every row below
    python benchmarks/cold_start_in_year.py --skip-cli       # kernel rows only
    python benchmarks/cold_start_in_year.py --baseline-src /tmp/old/src

Each cold measurement runs in a fresh process with a fresh, empty
``NUMBA_CACHE_DIR``; the warm one repeats it in a fresh process over the cache
the cold one left. Compile overhead is cold minus warm, measured in the same
run. Rows:

- ``kernel``: the first ``run_year`` call of a process (a two-child year with
  no batch, so no mechanism is compiled), cold and warm (loaded from the
  cache). Beside it the same for the kernel as it was before it was split into
  helpers (``tests/legacy_events.py``), as the baseline.
- ``county year``: one in-year county year (``simulate_instance_year``,
  first_available, the scenario's dynamics), after warm-up: best of
  ``--repeat``, the whole year and the time inside the event kernel alone;
  new kernel and old.
- ``cli``: ``sendalloc run county --mode in_year --no-progress`` (by default
  1000 runs, default mechanisms, one worker per core; ``--cli-runs`` and
  ``--cli-workers`` change them: fewer runs make the compile overhead less
  noisy on a loaded machine), cold and warm; with ``--baseline-src`` first the
  same command on that copy of ``src/`` (for example ``git archive e1ac0a6 src
  | tar -x -C /tmp/old``), so its ratio is against a baseline measured in the
  same run.

With ``--mechanisms-cached`` each cold in-year command runs after an annual
``sendalloc run county --runs 4 --workers 1`` on the same fresh cache, which
compiles the mechanisms' kernels: its overhead is then the event kernel's.

Kernel rows give wall and CPU seconds of the process (CPU is steadier when
other work shares the machine).

The target of issue 15: compile overhead of the in-year command under 5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGET_OVERHEAD_S = 5.0


# ------------------------------------------------------------------ in a child
def _use_legacy() -> None:
    """Put the pre-split kernel (tests/legacy_events.py) in place of the new one."""
    sys.path.insert(0, str(ROOT / "tests"))
    import legacy_events  # type: ignore[import-not-found]
    from sendalloc._engine import year

    year.run_events = legacy_events.run_events  # type: ignore[attr-defined]


def child_kernel(which: str) -> dict[str, float]:
    import sendalloc as sa
    from sendalloc.dynamic import run_year

    if which == "old":
        _use_legacy()
    p = sa.Problem.from_lists([1, 0], [[0, 1], [1]])
    args = {"leave_day": [20], "leave_setting": [0]}
    t, c = time.perf_counter(), time.process_time()
    run_year(p, [5, 9], **args)  # type: ignore[arg-type]
    first, first_cpu = time.perf_counter() - t, time.process_time() - c
    t = time.perf_counter()
    run_year(p, [5, 9], **args)  # type: ignore[arg-type]
    second = time.perf_counter() - t
    return {"first_call": first, "first_cpu": first_cpu, "second_call": second}


def child_year(which: str, repeat: int) -> dict[str, float]:
    import sendalloc as sa
    from sendalloc._engine import events
    from sendalloc.dynamic import simulate_instance_year

    module: Any = events
    if which == "old":
        _use_legacy()
        import legacy_events

        module = legacy_events
    kernel = module._year_kernel
    inside = [0.0]

    def timed(*args: Any) -> Any:
        t = time.perf_counter()
        out = kernel(*args)
        inside[0] += time.perf_counter() - t
        return out

    module._year_kernel = timed
    sc = sa.load_scenario("county")
    insts = [sc.sample(seed) for seed in range(3)]
    for inst in insts:  # warm-up: compile, caches
        simulate_instance_year(inst, sc, rng=0)
    best_year, best_kernel = float("inf"), float("inf")
    for _ in range(repeat):
        inside[0] = 0.0
        t = time.perf_counter()
        for inst in insts:
            simulate_instance_year(inst, sc, rng=0)
        best_year = min(best_year, (time.perf_counter() - t) / len(insts))
        best_kernel = min(best_kernel, inside[0] / len(insts))
    return {"year": best_year, "kernel": best_kernel}


# ----------------------------------------------------------------- the parent
def _child(args: list[str], cache: str, pythonpath: str | None = None) -> Any:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", *args]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _timed_command(cmd: list[str], cache: str, pythonpath: str | None) -> float:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    t = time.perf_counter()
    subprocess.run(cmd, env=env, capture_output=True, check=True)
    return time.perf_counter() - t


def kernel_rows() -> list[dict[str, Any]]:
    rows = []
    for which in ("old", "new"):
        with tempfile.TemporaryDirectory(prefix="numba-cold-") as cache:
            cold = _child(["kernel", which], cache)
            warm = _child(["kernel", which], cache)
        rows.append(
            {
                "what": f"event kernel, first call ({which} kernel)",
                "cold_s": cold["first_call"],
                "warm_s": warm["first_call"],
                "overhead_s": cold["first_call"] - warm["first_call"],
                "cold_cpu_s": cold["first_cpu"],
                "warm_cpu_s": warm["first_cpu"],
                "overhead_cpu_s": cold["first_cpu"] - warm["first_cpu"],
            }
        )
    return rows


def year_rows(repeat: int) -> list[dict[str, Any]]:
    rows = []
    for which in ("old", "new"):
        with tempfile.TemporaryDirectory(prefix="numba-warm-") as cache:
            r = _child(["year", which, str(repeat)], cache)
        rows.append(
            {
                "what": f"county year, after warm-up ({which} kernel)",
                "year_s": r["year"],
                "kernel_s": r["kernel"],
            }
        )
    return rows


def cli_rows(
    baseline_src: str | None, runs: int, workers: int | None, mechanisms_cached: bool
) -> list[dict[str, Any]]:
    cmd = [sys.executable, "-m", "sendalloc", "run", "county"]
    cmd += ["--mode", "in_year", "--no-progress", "--runs", str(runs)]
    if workers:
        cmd += ["--workers", str(workers)]
    shown = " ".join(cmd[3:])
    rows = []
    sources: list[tuple[str, str | None]] = [("this tree", None)]
    if baseline_src:
        sources.insert(0, (f"baseline {baseline_src}", baseline_src))
    for label, src in sources:
        with tempfile.TemporaryDirectory(prefix="numba-cold-") as cache:
            if mechanisms_cached:
                annual = [*cmd[:5], "--runs", "4", "--workers", "1", "--no-progress"]
                _timed_command(annual, cache, src)
            cold = _timed_command(cmd, cache, src)
            warm = _timed_command(cmd, cache, src)
        note = ", mechanisms cached" if mechanisms_cached else ""
        rows.append(
            {
                "what": f"`sendalloc {shown}` ({label}{note})",
                "cold_s": cold,
                "warm_s": warm,
                "overhead_s": cold - warm,
            }
        )
    return rows


def format_rows(rows: list[dict[str, Any]]) -> str:
    lines = []
    for r in rows:
        if "cold_cpu_s" in r:
            lines.append(
                f"{r['what']:<62} cold {r['cold_s']:7.2f} s  warm {r['warm_s']:6.2f} s"
                f"  overhead {r['overhead_s']:6.2f} s"
                f"  (CPU {r['cold_cpu_s']:.2f} / {r['warm_cpu_s']:.2f}"
                f" / {r['overhead_cpu_s']:.2f} s)"
            )
        elif "cold_s" in r:
            lines.append(
                f"{r['what']:<62} cold {r['cold_s']:7.2f} s  warm {r['warm_s']:6.2f} s"
                f"  overhead {r['overhead_s']:6.2f} s"
            )
        else:
            lines.append(
                f"{r['what']:<62} year {r['year_s'] * 1e3:7.1f} ms"
                f"  kernel {r['kernel_s'] * 1e3:6.1f} ms"
            )
    by = {r["what"]: r for r in rows}
    pairs = [
        ("event kernel, first call", "overhead_s", "compile overhead"),
        ("event kernel, first call", "overhead_cpu_s", "compile overhead (CPU)"),
        ("county year, after warm-up", "kernel_s", "kernel time"),
        ("county year, after warm-up", "year_s", "year time"),
    ]
    for stem, key, label in pairs:
        old, new = by.get(f"{stem} (old kernel)"), by.get(f"{stem} (new kernel)")
        if old and new:
            lines.append(f"ratio new/old, {label}: {new[key] / old[key]:.2f}")
    for r in rows:
        what = r["what"]
        if what.startswith("`sendalloc") and "this tree)" in what:
            ok = r["overhead_s"] < TARGET_OVERHEAD_S
            lines.append(
                f"in-year command compile overhead {r['overhead_s']:.1f} s: "
                f"{'meets' if ok else 'misses'} the {TARGET_OVERHEAD_S:.0f} s target"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-cli", action="store_true")
    parser.add_argument("--cli-runs", type=int, default=1000)
    parser.add_argument("--cli-workers", type=int, default=None)
    parser.add_argument("--mechanisms-cached", action="store_true")
    parser.add_argument("--skip-kernel", action="store_true", help="CLI rows only")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--baseline-src", help="a copy of an older src/ to compare")
    parser.add_argument("--json", help="also write the rows as JSON")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, which, *rest = args.child
        if kind == "kernel":
            print(json.dumps(child_kernel(which)))
        else:
            print(json.dumps(child_year(which, int(rest[0]))))
        return 0
    rows = [] if args.skip_kernel else kernel_rows() + year_rows(args.repeat)
    if not args.skip_cli:
        rows += cli_rows(
            args.baseline_src, args.cli_runs, args.cli_workers, args.mechanisms_cached
        )
    print(format_rows(rows))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
