"""Compare first-available allocation with the alternatives on one scenario.

Research question: how does the proposal ("allocate the first available place in
order of the parent's preference") compare with deferred acceptance, the Boston
mechanism, top trading cycles and the planner's benchmark, on the same simulated
rounds?

    python examples/compare_mechanisms.py [SCENARIO] [--runs N] [--plot PATH]
"""

from __future__ import annotations

import argparse
import os
import textwrap

import sendalloc as sa
from sendalloc.simulate import DEFAULT_MECHANISMS


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default="county")
    parser.add_argument(
        "--runs", type=int, default=int(os.environ.get("SENDALLOC_EXAMPLE_RUNS", 500))
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", help="write the figures to this path")
    args = parser.parse_args(argv)

    # The default mechanisms (the proposal, the alternatives and the planner's
    # benchmark) plus adaptive Boston.
    mechanisms = [*DEFAULT_MECHANISMS, "adaptive_boston"]
    result = sa.simulate(args.scenario, mechanisms, runs=args.runs, seed=args.seed)
    print(textwrap.fill(result.headline(), width=88))
    print()
    print(result.table())

    # Who loses most under the proposal? First preference by need, against DA.
    by_need = result.summary("need")
    base = "first_available"
    other = next(
        (m for m in ("deferred_acceptance", "boston") if m in result.mechanisms), None
    )
    print()
    print("First preference by primary need (mean over rounds):")
    header = f"{'need':<6} {'children':>9} {base:>16}"
    if other:
        header += f" {other:>20}"
    print(header)
    for need in by_need.groups:
        n = by_need.get(base, "children", need)["mean"]
        if n < 1:
            continue
        line = f"{need:<6} {n:9.1f} "
        line += f"{100 * by_need.get(base, 'first_preference', need)['mean']:15.1f}%"
        if other:
            line += (
                f" {100 * by_need.get(other, 'first_preference', need)['mean']:19.1f}%"
            )
        print(line)
    if args.plot:
        result.plot(args.plot)
        print(f"\nwrote {args.plot}")


if __name__ == "__main__":
    main()
