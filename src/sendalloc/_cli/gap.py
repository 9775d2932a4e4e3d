"""``sendalloc gap``: the capacity gap and the places that would close it."""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from sendalloc._cli.common import (
    Outputs,
    UsageError,
    compile_notice,
    open_scenario,
)

__all__ = ["gap_command"]


def gap_command(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sendalloc.capacity import (
        TARGET_METRICS,
        gap_summary,
        gap_to_csv,
        gap_to_dict,
        places_needed,
    )

    if args.metric not in TARGET_METRICS:
        raise UsageError(
            f"--metric: expected one of {', '.join(TARGET_METRICS)}, "
            f"got {args.metric!r}"
        )
    outputs = Outputs(json=args.json, csv=args.csv)
    outputs.check()
    scen = open_scenario(args.scenario)
    need: Any
    with compile_notice(err, quiet=False):
        summary = gap_summary(scen, runs=args.runs, seed=args.seed)
        try:
            need = places_needed(
                scen,
                args.target,
                metric=args.metric,
                by=args.by,
                group=args.group,
                runs=args.runs,
                seed=args.seed,
            )
        except ValueError as exc:
            need = {
                "metric": args.metric,
                "target": args.target,
                "group": args.group,
                "error": str(exc),
            }
    if args.json:
        text = json.dumps(gap_to_dict(summary, [need]), indent=2, allow_nan=False)

        def write_json(path: str) -> None:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text + "\n")

        outputs.write("json", write_json)
        err.write(f"wrote {args.json}\n")
    if args.csv:
        table = gap_to_csv(summary, [need])

        def write_csv(path: str) -> None:
            with open(path, "w", encoding="utf-8", newline="") as f:
                f.write(table)

        outputs.write("csv", write_csv)
        err.write(f"wrote {args.csv}\n")
    out.write(summary.text() + "\n\n")
    if isinstance(need, dict):
        out.write(f"Places needed: {need['error']}\n")
    else:
        out.write(need.text() + "\n")
    return 0
