"""``sendalloc report``: its arguments and its handler."""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from sendalloc._cli.common import (
    DEFAULT_SCENARIO,
    DOCS_URL,
    Outputs,
    UsageError,
    compile_notice,
    make_executor,
    mechanism_names,
    open_scenario,
    positive_int,
    progress_bar,
    seed_type,
    share_type,
    worker_count,
)

__all__ = ["add_report_parser", "report_command"]


def _targets(text: str) -> tuple[float, ...]:
    """``0.9,0.95`` (or percentages, or ``none``) as a tuple of shares."""
    if text.strip().lower() == "none":
        return ()
    return tuple(share_type(part) for part in text.split(","))


def add_report_parser(sub: Any) -> None:
    rep = sub.add_parser(
        "report",
        help="write the achievability report: one self-contained HTML page",
        description="Simulate a scenario and write one HTML page that needs no "
        "network to read: the verdict, today versus the proposal, the children "
        "who need specialist provision by need and phase, the places needed, "
        "the assumptions with their sources, and how to reproduce it.",
        epilog=f"The report explained: {DOCS_URL}report/",
    )
    rep.add_argument(
        "scenario",
        nargs="?",
        default=DEFAULT_SCENARIO,
        help=f"preset name or TOML path (default: {DEFAULT_SCENARIO})",
    )
    rep.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help="the HTML page (default: SCENARIO.html in the current directory)",
    )
    rep.add_argument("--json", metavar="PATH", help="also write the page's data")
    rep.add_argument(
        "--runs", "-n", type=positive_int, default=1000, help="default 1000"
    )
    rep.add_argument("--seed", "-s", type=seed_type, default=0, help="default 0")
    rep.add_argument(
        "--mechanism",
        "-m",
        action="append",
        metavar="NAME",
        help="rule to run (repeatable; default: the proposal and the main "
        "alternatives)",
    )
    rep.add_argument(
        "--gap-target",
        type=_targets,
        default=(0.9,),
        metavar="T[,T...]",
        help="share(s) of the --gap-group children to place on their lists, for "
        "the places needed and what they cost (default 0.9; 'none' to skip)",
    )
    rep.add_argument(
        "--gap-group",
        choices=("specialist", "all", "not_specialist"),
        default="specialist",
        help="the children the gap targets are for (default specialist: those who "
        "need specialist provision)",
    )
    rep.add_argument(
        "--gap-runs",
        type=positive_int,
        default=100,
        help="rounds for the places needed (default 100)",
    )
    rep.add_argument(
        "--workers",
        "-w",
        type=positive_int,
        default=None,
        help="worker processes (default: one per core for 200+ runs)",
    )
    rep.add_argument(
        "--sensitivity",
        metavar="PATH",
        help="draw the tornado from this sensitivity analysis (the JSON that "
        "'sendalloc sensitivity SCENARIO --json PATH' writes; its first measure)",
    )
    rep.add_argument("--no-progress", action="store_true", help="no progress bar")


def _read_sensitivity(path: str, scenario: str) -> dict[str, Any]:
    """The report's sensitivity document from ``sendalloc sensitivity --json``."""
    from sendalloc.report import sensitivity_entry

    where = f"--sensitivity {path}"
    hint = "write one with: sendalloc sensitivity SCENARIO --json PATH"
    with open(path, encoding="utf-8") as f:
        try:
            doc = json.load(f)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise UsageError(f"{where}: not JSON ({exc}); {hint}") from None
    try:
        entry = sensitivity_entry(doc)
    except ValueError as exc:
        raise UsageError(f"{where}: {exc}; {hint}") from None
    of = doc.get("scenario")
    if of is not None and of != scenario:
        raise UsageError(
            f"{where}: an analysis of scenario {of!r}, the report is of {scenario!r}"
        )
    return entry


def report_command(args: argparse.Namespace, err: TextIO) -> int:
    import re

    from sendalloc.report import achievability_report, write_report
    from sendalloc.simulate import simulate

    mechs = mechanism_names(args.mechanism)
    scen = open_scenario(args.scenario)
    output = args.output or re.sub(r"[^A-Za-z0-9_.-]+", "_", scen.name) + ".html"
    outputs = Outputs(output=output, json=args.json)
    outputs.check()
    sensitivity = (
        None
        if args.sensitivity is None
        else _read_sensitivity(args.sensitivity, scen.name)
    )
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
            doc = achievability_report(
                scen,
                runs=args.runs,
                seed=args.seed,
                mechanisms=mechs,
                gap_targets=args.gap_target,
                gap_group=args.gap_group,
                gap_runs=args.gap_runs,
                executor=executor,
                progress=progress,
                sensitivity=sensitivity,
            )
        finally:
            if executor is not None:
                executor.shutdown(cancel_futures=True)
    outputs.write("output", lambda path: write_report(doc, path))
    err.write(f"wrote {output}\n")
    if args.json:
        outputs.write("json", lambda path: write_report(doc, None, json_path=path))
        err.write(f"wrote {args.json}\n")
    return 0
