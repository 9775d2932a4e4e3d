"""``sendalloc sensitivity``: its arguments and its handler."""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from sendalloc._cli.common import (
    DEFAULT_SCENARIO,
    DOCS_URL,
    Outputs,
    UsageError,
    check_plot_path,
    compile_notice,
    make_executor,
    mechanism_names,
    open_scenario,
    positive_int,
    progress_bar,
    require,
    seed_type,
    worker_count,
)

__all__ = ["add_sensitivity_parser", "sensitivity_command"]


def add_sensitivity_parser(sub: Any) -> None:
    se = sub.add_parser(
        "sensitivity",
        help="rank the scenario's uncertain assumptions (Sobol or Morris)",
        description="Global sensitivity analysis of the scenario's [uncertainty] "
        "ranges (needs the sensitivity extra: SALib).",
        epilog=f"The method and the county's ranking: {DOCS_URL}sensitivity/",
    )
    se.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO)
    se.add_argument("--method", choices=("sobol", "morris"), default="sobol")
    se.add_argument(
        "--measure",
        action="append",
        metavar="M",
        help="metric, or metric[by=group], e.g. unplaced[need=SLD] (repeatable; "
        "default unplaced)",
    )
    se.add_argument("--mechanism", "-m", default="first_available", metavar="NAME")
    se.add_argument(
        "--samples",
        type=positive_int,
        default=None,
        help="Sobol base samples, a power of 2 (default 64); Morris trajectories "
        "(default 20)",
    )
    se.add_argument(
        "--runs", "-n", type=positive_int, default=4, help="rounds per evaluation (4)"
    )
    se.add_argument(
        "--groups",
        choices=("key", "theme", "dimension"),
        default="key",
        help="what the indices are of: each [uncertainty] entry (default), each "
        "theme, or each number drawn",
    )
    se.add_argument(
        "--parameter",
        action="append",
        metavar="PATTERN",
        help="vary only the keys matching this pattern (repeatable; e.g. 'lists.*')",
    )
    se.add_argument("--seed", "-s", type=seed_type, default=0, help="default 0")
    se.add_argument("--workers", "-w", type=positive_int, default=None)
    se.add_argument("--top", type=positive_int, default=25, help="rows shown (25)")
    se.add_argument("--json", metavar="PATH", help="write the indices as JSON")
    se.add_argument("--csv", metavar="PATH", help="write the indices as CSV")
    se.add_argument("--plot", metavar="PATH", help="write the tornado figure")
    se.add_argument("--no-progress", action="store_true", help="no progress bar")


def sensitivity_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sendalloc.sensitivity import sensitivity
    from sendalloc.simulate import simulate

    require("SALib", "sensitivity", "sendalloc sensitivity")
    outputs = Outputs(json=args.json, csv=args.csv, plot=args.plot)
    outputs.check()
    if args.plot:
        check_plot_path(args.plot)
    mechanism_names([args.mechanism])
    scen = open_scenario(args.scenario)
    quiet = args.no_progress
    with compile_notice(err, quiet):
        # a sensitivity analysis is thousands of runs: a process per core
        executor = make_executor(
            worker_count(args.workers, 1000),
            lambda: simulate(scen, [args.mechanism], runs=1, seed=args.seed),
            [args.mechanism],
            [scen],
        )
        label = f"{scen.name}: {args.method}"
        progress = None if quiet else progress_bar(err, label)
        try:
            result = sensitivity(
                scen,
                args.measure,
                method=args.method,
                mechanism=args.mechanism,
                samples=args.samples,
                runs=args.runs,
                groups=args.groups,
                parameters=args.parameter,
                seed=args.seed,
                executor=executor,
                progress=progress,
            )
        except ImportError as exc:
            raise UsageError(str(exc)) from None
        finally:
            if executor is not None:
                executor.shutdown(cancel_futures=True)
    for opt, write in (
        ("json", result.to_json),
        ("csv", result.to_csv),
        ("plot", result.plot),
    ):
        if opt in outputs.paths:
            outputs.write(opt, write)
            err.write(f"wrote {outputs.paths[opt]}\n")
    out.write(result.table(top=args.top) + "\n")
    return 0
