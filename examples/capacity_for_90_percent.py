"""How many extra places would place 90% of children on their tailored list?

Research question: under first-available allocation (with the LA's fallback),
what capacity, and of which kind, brings on-list placement to 90%? Also: how
far is the proposal from the most that the existing places allow (the max-flow
bound), and which settings are the bottleneck?

    python examples/capacity_for_90_percent.py [SCENARIO] [--runs N] [--target T]
"""

from __future__ import annotations

import argparse
import os

import sendalloc as sa


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default="county")
    parser.add_argument(
        "--runs", type=int, default=int(os.environ.get("SENDALLOC_EXAMPLE_RUNS", 200))
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--target", type=float, default=0.9)
    args = parser.parse_args(argv)

    scenario = sa.load_scenario(args.scenario)
    # Is the shortfall about the rule or about places?
    print(sa.capacity.gap_summary(scenario, runs=args.runs, seed=args.seed).text())
    print()
    for metric in ("placed_on_list", "any_preference"):
        for by in ("kind", "need"):
            try:
                need = sa.capacity.places_needed(
                    scenario,
                    args.target,
                    metric=metric,
                    by=by,
                    runs=args.runs,
                    seed=args.seed,
                )
            except ValueError as exc:  # target out of reach
                print(f"{metric}: {exc}")
                break
            print(need.text())
            print()


if __name__ == "__main__":
    main()
