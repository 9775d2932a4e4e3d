"""Where a cold start's compile time goes: one row per numba compile.

    python benchmarks/compile_table.py                   # sa.simulate("county")
    python benchmarks/compile_table.py --mechanisms max_placement --top 10
    python benchmarks/compile_table.py --mode in_year    # the in-year engine

Runs ``sa.simulate(scenario, mechanisms, runs=RUNS)`` (the scenario in
``--mode``, if given, as ``sendalloc run --mode`` does) in this process with a
fresh, empty ``NUMBA_CACHE_DIR`` and records every compile numba does (its
``numba:compile`` events): the function, the argument types it was compiled
for, and the CPU time it took, inclusive (with what it compiled on the way)
and exclusive (its own share; the exclusive times add up to the compile
total). A function compiled more than once (for several dtypes or layouts,
or numba's own ``np.empty`` and the like, compiled again for callers with
other compile options) is listed again at the end with its count. CPU time
(``time.process_time``), not wall time: the figures hold on a loaded machine.
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import shutil
import sys
import tempfile
import time
from typing import Any

__all__ = ["compile_rows"]


def compile_rows(
    scenario: str = "county",
    mechanisms: list[str] | None = None,
    runs: int = 2,
    mode: str | None = None,
) -> tuple[float, list[dict[str, Any]]]:
    """Simulate once, cold; returns ``(cpu_seconds, rows)``, one row a compile.

    Must run in a process that has not imported numba yet (the fresh cache
    directory is set before numba reads its configuration).
    """
    if "numba" in sys.modules:
        raise RuntimeError("compile_rows needs a process without numba loaded")
    cache = tempfile.mkdtemp(prefix="sendalloc-compile-table-")
    os.environ["NUMBA_CACHE_DIR"] = cache
    try:
        from numba.core import event

        stack: list[list[float]] = []
        rows: list[dict[str, Any]] = []

        class Listener(event.Listener):
            def on_start(self, ev: Any) -> None:
                stack.append([time.process_time(), 0.0])

            def on_end(self, ev: Any) -> None:
                start, inner = stack.pop()
                incl = time.process_time() - start
                if stack:
                    stack[-1][1] += incl
                data = ev.data or {}
                fn = getattr(data.get("dispatcher"), "py_func", None)
                module = getattr(fn, "__module__", "") or ""
                name = getattr(fn, "__qualname__", "?")
                rows.append(
                    {
                        "function": f"{module}:{name}",
                        "args": str(data.get("args")),
                        "inclusive": incl,
                        "exclusive": incl - inner,
                    }
                )

        event.register("numba:compile", Listener())  # type: ignore[no-untyped-call]
        import sendalloc as sa

        scen = sa.load_scenario(scenario)
        if mode is not None:
            scen = scen.with_overrides({"mode": mode})
        start = time.process_time()
        sa.simulate(scen, mechanisms, runs=runs)
        return time.process_time() - start, rows
    finally:
        shutil.rmtree(cache, ignore_errors=True)


_ARRAY = re.compile(r"Array\((\w+), (\d), '(\w)', (True|False), aligned=True\)")


def _array(m: re.Match[str]) -> str:
    dims = ", ".join([":"] * (int(m[2]) - 1) + ["::1" if m[3] == "C" else ":"])
    return ("readonly " if m[4] == "True" else "") + f"{m[1]}[{dims}]"


def _short(function: str) -> str:
    return function.replace("sendalloc.", "").replace("numba.np.arrayobj:", "np:")


def _types(args: str) -> str:
    """numba's argument types, arrays written as in signatures."""
    return _ARRAY.sub(_array, args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="county")
    parser.add_argument("--mechanisms", help="comma-separated (default: default set)")
    parser.add_argument("--mode", choices=("annual", "in_year", "multi_year"))
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    mechanisms = args.mechanisms.split(",") if args.mechanisms else None
    cpu, rows = compile_rows(args.scenario, mechanisms, args.runs, args.mode)
    total = sum(r["exclusive"] for r in rows)
    print(
        f"simulate({args.scenario!r}, runs={args.runs}, mode={args.mode}) cold: "
        f"{cpu:.2f} s CPU, "
        f"{len(rows)} compiles, {total:.2f} s CPU compiling"
    )
    print(f"{'excl s':>7} {'incl s':>7}  function  (argument types)")
    for r in sorted(rows, key=lambda r: -r["exclusive"])[: args.top]:
        print(
            f"{r['exclusive']:7.2f} {r['inclusive']:7.2f}  {_short(r['function'])}"
            f"  {_types(r['args'])[:100]}"
        )
    counts: dict[str, list[float]] = collections.defaultdict(lambda: [0, 0.0])
    for r in rows:
        counts[r["function"]][0] += 1
        counts[r["function"]][1] += r["exclusive"]
    again = {f: c for f, c in counts.items() if c[0] > 1}
    if again:
        print("compiled more than once (count, exclusive s):")
        for f, (n, s) in sorted(again.items(), key=lambda kv: -kv[1][1]):
            print(f"  {int(n):3d} {s:6.2f}  {_short(f)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
