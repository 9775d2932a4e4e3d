"""``sendalloc run``: simulate a scenario and print (or write) the results."""

from __future__ import annotations

import argparse
import textwrap
from typing import TextIO

from sendalloc._cli.common import (
    Outputs,
    check_plot_path,
    compile_notice,
    make_executor,
    mechanism_names,
    open_scenario,
    progress_bar,
    worker_count,
)

__all__ = ["run_command"]


def run_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sendalloc.simulate import simulate

    mechs = mechanism_names(args.mechanism)
    outputs = Outputs(json=args.json, csv=args.csv, plot=args.plot)
    outputs.check()
    if args.plot:
        check_plot_path(args.plot)
    scen = open_scenario(args.scenario)
    overrides: dict[str, object] = {}
    if args.mode:
        overrides["mode"] = args.mode
    if args.years:
        overrides["dynamics.years"] = args.years
    if overrides:
        scen = scen.with_overrides(overrides)
    quiet = args.no_progress
    with compile_notice(err, quiet):
        executor = make_executor(
            worker_count(args.workers, args.runs),
            lambda: simulate(scen, mechs, runs=1, seed=args.seed),
            mechs,
            [scen],
        )
        progress = None if quiet else progress_bar(err, str(scen.name))
        try:
            result = simulate(
                scen,
                mechs,
                runs=args.runs,
                seed=args.seed,
                executor=executor,
                progress=progress,
                uncertainty=args.uncertainty,
            )
        finally:
            if executor is not None:
                executor.shutdown(cancel_futures=True)
    # Files first: a reader of standard output that goes away early (| head)
    # must not cost them.
    for opt, write in (
        ("json", result.to_json),
        ("csv", result.to_csv),
        ("plot", result.plot),
    ):
        if opt in outputs.paths:
            outputs.write(opt, write)
            err.write(f"wrote {outputs.paths[opt]}\n")
    out.write(textwrap.fill(result.headline(), width=88) + "\n\n")
    out.write(result.table() + "\n")
    return 0
