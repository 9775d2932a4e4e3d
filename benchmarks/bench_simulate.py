"""Benchmark of the Monte Carlo engine: the default ``sendalloc run``.

    python benchmarks/bench_simulate.py                 # county, 1000 runs, 2 workers
    python benchmarks/bench_simulate.py --runs 200 --workers 1 --scenario county

Reports (1) the per-run cost split (CPU time): sampling an instance, and for each
default mechanism the allocation plus fallback plus metrics (and today's process,
``status_quo``, with its metrics; not in the total, as it is not a default), measured
serially on a few instances after warm-up; (2) the wall time of ``simulate`` with the
requested number of worker processes, including starting the pool; (3) optionally the
wall time of the ``sendalloc run`` command itself (``--cli``). The target is the
default run (county, 1000 runs, default mechanisms) in at most 15 s on a
2-core machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np

import sendalloc as sa
from sendalloc.metrics import Context, la_fallback, outcome_arrays, process_values
from sendalloc.properties import justified_envy
from sendalloc.simulate import DEFAULT_MECHANISMS

TARGET_S = 15.0


def _cpu() -> float:
    """CPU seconds of this process and its reaped children (pool workers)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def per_run_costs(scenario: sa.scenario.Scenario, n: int = 20) -> None:
    mechs = [m for m in DEFAULT_MECHANISMS if m in sa.MECHANISMS]
    insts = [scenario.sample(i) for i in range(3)]  # warm-up: numba, caches
    for inst in insts:
        for m in mechs:
            sa.allocate(inst.problem, m, rng=0)
    t = time.process_time()
    insts = [scenario.sample(np.random.default_rng(i)) for i in range(n)]
    sample_ms = (time.process_time() - t) / n * 1e3
    print(f"per run: sample {sample_ms:6.2f} ms")
    total = sample_ms
    for m in mechs:
        t = time.process_time()
        for inst in insts:
            p = inst.problem
            a = sa.allocate(p, m, rng=0)
            fin = la_fallback(inst, a) if inst.fallback else a.assignment
            outcome_arrays(inst, a.assignment, fin, justified_envy(p, a))
        ms = (time.process_time() - t) / n * 1e3
        t = time.process_time()
        for inst in insts:
            sa.allocate(inst.problem, m, rng=0)
        alloc = (time.process_time() - t) / n * 1e3
        total += ms
        print(f"         {m:<38} {ms:6.2f} ms (allocation alone {alloc:5.2f} ms)")
    # Today's process (status_quo): the two kernels, then its metrics.
    for inst in insts[:3]:
        sa.status_quo.place(inst, rng=0)
    t = time.process_time()
    for inst in insts:
        out = sa.status_quo.place(inst, rng=0)
        envy = justified_envy(inst.problem, out.final)
        outcome_arrays(inst, out.final, out.final, envy)
        process_values(inst, out.final, out.columns())
    ms = (time.process_time() - t) / n * 1e3
    print(f"         {'status_quo (+ process metrics)':<38} {ms:6.2f} ms")
    t = time.process_time()
    for inst in insts:
        Context.of(inst)
    ctx = (time.process_time() - t) / n * 1e3
    print(f"         metrics context (once per run)         {ctx:6.2f} ms")
    print(f"         total                                  {total:6.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="county")
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--cli", action="store_true", help="also time `sendalloc run`")
    args = parser.parse_args()

    scenario = sa.load_scenario(args.scenario)
    mechs = [m for m in DEFAULT_MECHANISMS if m in sa.MECHANISMS]
    print(f"scenario {scenario.name}, runs {args.runs}, workers {args.workers}")
    print(f"mechanisms: {', '.join(mechs)}")
    per_run_costs(scenario)

    cpu0 = _cpu()
    t = time.perf_counter()
    if args.workers > 1:
        with ProcessPoolExecutor(args.workers) as ex:
            result = sa.simulate(scenario, runs=args.runs, seed=0, executor=ex)
    else:
        result = sa.simulate(scenario, runs=args.runs, seed=0)
    wall = time.perf_counter() - t
    cpu = _cpu() - cpu0
    print(
        f"simulate: {cpu:.2f} s CPU over all processes; on {args.workers} idle "
        f"cores that is {cpu / args.workers:.2f} s (load average now "
        f"{os.getloadavg()[0]:.2f}: other work slows the wall time below)"
    )
    print(
        f"simulate: {wall:.2f} s wall ({wall / args.runs * 1e3:.2f} ms per run); "
        f"target {TARGET_S:.0f} s for 1000 runs: "
        + ("met" if wall * 1000 / args.runs <= TARGET_S else "MISSED")
    )
    fp = result.summary().get(result.mechanisms[0], "first_preference")["mean"]
    print(f"check: {result.mechanisms[0]} first_preference mean {fp:.4f}")

    if args.cli:
        cmd = [sys.executable, "-m", "sendalloc", "run", args.scenario]
        cmd += ["--runs", str(args.runs), "--no-progress"]
        cmd += ["--workers", str(args.workers)]
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        print(f"`{' '.join(cmd[1:])}`: {time.perf_counter() - t:.2f} s wall")


if __name__ == "__main__":
    main()
