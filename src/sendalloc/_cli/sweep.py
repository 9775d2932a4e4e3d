"""``sendalloc sweep``: its arguments (the ``--set`` grid) and its handler."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any, TextIO

from sendalloc._cli.common import (
    DOCS_URL,
    Outputs,
    UsageError,
    check_store,
    compile_notice,
    connect,
    make_executor,
    open_scenario,
    positive_int,
    progress_bar,
    seed_type,
    worker_count,
)

__all__ = ["add_sweep_parser", "sweep_command"]


def add_sweep_parser(sub: Any) -> None:
    sw = sub.add_parser(
        "sweep",
        help="simulate a grid of scenario variants (resumable, local or dask)",
        description="Simulate every combination of the --set values.",
        epilog=f"Parameter sweeps explained: {DOCS_URL}sweeps/",
    )
    sw.add_argument("scenario", help="preset name or TOML path")
    sw.add_argument(
        "--set",
        dest="grid",
        action="append",
        default=[],
        metavar="KEY=V1,V2,...",
        help="a dotted scenario key and its values (repeatable; values as in TOML)",
    )
    sw.add_argument("--mechanism", "-m", action="append", metavar="NAME")
    sw.add_argument("--runs", "-n", type=positive_int, default=1000, help="per variant")
    sw.add_argument("--seed", "-s", type=seed_type, default=0, help="default 0")
    sw.add_argument("--store", metavar="PATH", help="resumable results directory")
    sw.add_argument("--csv", metavar="PATH", help="write the summary table as CSV")
    sw.add_argument(
        "--chunk-size", type=positive_int, default=None, help="runs per unit"
    )
    where = sw.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS", help="a dask scheduler")
    where.add_argument("--workers", "-w", type=positive_int, default=None)
    sw.add_argument("--no-progress", action="store_true", help="no progress bar")


def _grid_values(text: str) -> list[Any]:
    """Split ``a,b,[c,d]`` at top-level commas; read each part as a TOML value."""
    import tomllib

    parts: list[str] = []
    depth, cur, quote = 0, "", ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts, cur = [*parts, cur], ""
            continue
        cur += ch
    out = []
    for part in [*parts, cur]:
        part = part.strip()
        try:
            out.append(tomllib.loads(f"v = {part}")["v"])
        except tomllib.TOMLDecodeError:
            out.append(part)  # a bare word: a string
    return out


def sweep_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sendalloc.simulate import simulate
    from sendalloc.sweep import sweep

    grid: dict[str, list[Any]] = {}
    for item in args.grid:
        key, eq, values = item.partition("=")
        if not eq or not key.strip() or not values.strip():
            raise UsageError(f"--set: expected KEY=V1,V2,..., got {item!r}")
        if key.strip() in grid:
            raise UsageError(f"--set: {key.strip()} given twice")
        grid[key.strip()] = _grid_values(values)
    outputs = Outputs(csv=args.csv)
    outputs.check()
    if args.store:
        check_store(args.store)
    scen = open_scenario(args.scenario)
    variants = 1
    for vals in grid.values():
        variants *= len(vals)
    close: Callable[[], object] | None = None
    executor: Executor | None = None
    quiet = args.no_progress
    with compile_notice(err, quiet):
        if args.scheduler:
            client = connect(args.scheduler)
            executor = client.get_executor()
            close = client.close
        else:
            modes = {str(m) for m in grid.get("mode", [])}

            def warm_up() -> None:  # one run of each mode the grid has
                simulate(scen, args.mechanism, runs=1, seed=args.seed)
                for mode in sorted(modes - {scen.mode}):
                    variant = scen.with_overrides({"mode": mode})
                    simulate(variant, args.mechanism, runs=1, seed=args.seed)

            workers = worker_count(args.workers, args.runs * variants)
            variants_of = [scen] + [
                scen.with_overrides({"mode": m}) for m in sorted(modes - {scen.mode})
            ]
            executor = make_executor(workers, warm_up, args.mechanism, variants_of)
        label = f"{scen.name}: {variants} variants"
        progress = None if quiet else progress_bar(err, label)
        try:
            result = sweep(
                scen,
                grid,
                mechanisms=args.mechanism,
                runs=args.runs,
                seed=args.seed,
                executor=executor,
                store=args.store,
                progress=progress,
                chunk_size=args.chunk_size,
            )
        finally:
            if close is not None:  # a dask client: its executor has no cancel_futures
                try:
                    if executor is not None:
                        executor.shutdown(wait=False)
                finally:
                    close()
            elif executor is not None:
                executor.shutdown(cancel_futures=True)
    if args.csv:
        outputs.write("csv", result.to_csv)
        err.write(f"wrote {args.csv}\n")
    out.write(result.table() + "\n")
    return 0
