"""The argument parser of the ``sendalloc`` command, every subcommand's arguments."""

from __future__ import annotations

import argparse

from sendalloc._cli.common import (
    DEFAULT_SCENARIO,
    DOCS_URL,
    Parser,
    positive_int,
    seed_type,
    share_type,
)
from sendalloc._cli.report import add_report_parser
from sendalloc._cli.sensitivity import add_sensitivity_parser
from sendalloc._cli.sweep import add_sweep_parser

__all__ = ["build_parser"]


def build_parser() -> argparse.ArgumentParser:
    from sendalloc import __version__

    parser = Parser(
        prog="sendalloc",
        description="Simulate allocation of SEND placements from tailored lists.",
        epilog=f"Documentation: {DOCS_URL}",
    )
    parser.add_argument(
        "--version", action="version", version=f"sendalloc {__version__}"
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    run = sub.add_parser(
        "run",
        help="simulate a scenario and compare mechanisms",
        description="Simulate many rounds of a scenario and compare mechanisms.",
        epilog=f"The output explained: {DOCS_URL}reading-results/\n"
        f"In-year and multi-year modes: {DOCS_URL}dynamics/",
    )
    run.add_argument(
        "scenario",
        nargs="?",
        default=DEFAULT_SCENARIO,
        help=f"preset name or TOML path (default: {DEFAULT_SCENARIO})",
    )
    run.add_argument(
        "--mechanism",
        "--mechanisms",
        "-m",
        action="append",
        metavar="NAME",
        help="mechanism to run, or status_quo (today's process); repeatable or "
        "comma-separated (default: first_available and the main alternatives)",
    )
    run.add_argument(
        "--runs", "-n", type=positive_int, default=1000, help="default 1000"
    )
    run.add_argument("--seed", "-s", type=seed_type, default=0, help="default 0")
    run.add_argument(
        "--workers",
        "-w",
        type=positive_int,
        default=None,
        help="worker processes (default: one per core for 200+ runs)",
    )
    run.add_argument("--json", metavar="PATH", help="write the summary as JSON")
    run.add_argument("--csv", metavar="PATH", help="write the summary as CSV")
    run.add_argument("--plot", metavar="PATH", help="write figures (PNG, PDF, SVG)")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    run.add_argument(
        "--mode",
        choices=("annual", "in_year", "multi_year"),
        help="override the scenario's mode (default: the scenario's, annual for "
        "presets)",
    )
    run.add_argument(
        "--years", type=positive_int, help="years of a multi_year projection"
    )
    run.add_argument(
        "--uncertainty",
        choices=("none", "assumptions", "layout", "assumptions+layout"),
        default="none",
        help="what each run draws besides its children: the scenario's "
        "[uncertainty] ranges, a new layout of settings, or both (default none: "
        f"ranges over simulated rounds only); see {DOCS_URL}uncertainty/",
    )

    sub.add_parser("scenarios", help="list the built-in scenarios")

    gap = sub.add_parser(
        "gap",
        help="capacity gap of a scenario: places needed and what they cost",
        description="Max-flow bound on placements, bottlenecks, and the places "
        "needed for a target (by default 90% of the children who need specialist "
        "provision placed on their lists), by kind and need, with what they cost "
        "a year and to build.",
        epilog=f"The capacity gap explained: {DOCS_URL}reading-results/",
    )
    gap.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO)
    gap.add_argument("--runs", "-n", type=positive_int, default=100, help="default 100")
    gap.add_argument("--seed", "-s", type=seed_type, default=0)
    gap.add_argument(
        "--target",
        type=share_type,
        default=0.9,
        help="target share for the places-needed search (default 0.9)",
    )
    gap.add_argument(
        "--metric",
        default="placed_on_list",
        help="metric to bring to the target (default placed_on_list)",
    )
    gap.add_argument(
        "--group",
        choices=("specialist", "all", "not_specialist"),
        default="specialist",
        help="the children the target is for (default specialist: those who need "
        "specialist provision, the children the proposal is for; all: everyone)",
    )
    gap.add_argument(
        "--by",
        choices=("kind", "need"),
        default="kind",
        help="spread the places by setting kind (default) or by children's need",
    )
    gap.add_argument("--json", metavar="PATH", help="write the answer as JSON")
    gap.add_argument("--csv", metavar="PATH", help="write the answer as CSV")
    add_sweep_parser(sub)
    add_report_parser(sub)
    add_sensitivity_parser(sub)
    return parser
