"""Sensitivity of the proposal's outcome to list length and travel limits.

Research question: the only figure quoted for the tailored list is five
settings (unverified); travel norms are 45 minutes (primary) and 75 minutes
(secondary) each way. How do first-preference and on-list placement, and the
share whose favourite setting is left off the list, change with them?

    python examples/list_length_sensitivity.py [SCENARIO] [--runs N]
"""

from __future__ import annotations

import argparse
import os

import sendalloc as sa

LENGTHS = (1, 2, 3, 5, 8)
TRAVEL = ((30.0, 45.0), (45.0, 75.0), (60.0, 100.0))  # minutes: primary, secondary


def row(result: sa.SimulationResult, mech: str) -> str:
    s = result.summary()
    cells = []
    for metric in (
        "first_preference",
        "any_preference",
        "placed_on_list",
        "off_list_wish",
    ):
        c = s.get(mech, metric)
        lo, hi = 100 * c["ci_low"], 100 * c["ci_high"]
        cells.append(f"{100 * c['mean']:5.1f} ({lo:3.0f}-{hi:3.0f})")
    km = s.get(mech, "mean_distance_km")["mean"]
    return "  ".join(cells) + f"  {km:6.1f}"


HEADER = "first pref %     ranked %         on list %        favourite off %   km"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default="county")
    parser.add_argument(
        "--runs", type=int, default=int(os.environ.get("SENDALLOC_EXAMPLE_RUNS", 300))
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    base = sa.load_scenario(args.scenario)
    mech = "first_available"

    print(f"{base.name}: first-available allocation; mean (95% range over rounds)")
    print(f"\nlist length  {HEADER}")
    for k in LENGTHS:
        scen = base.with_overrides({"lists.max_length": k})
        r = sa.simulate(scen, [mech], runs=args.runs, seed=args.seed)
        print(f"{k:>11}  {row(r, mech)}")

    print(f"\ntravel min   {HEADER}")
    for primary, secondary in TRAVEL:
        scen = base.with_overrides(
            {
                "lists.travel_minutes_primary": primary,
                "lists.travel_minutes_secondary": secondary,
            }
        )
        r = sa.simulate(scen, [mech], runs=args.runs, seed=args.seed)
        print(f"{primary:>4.0f}/{secondary:<6.0f}  {row(r, mech)}")


if __name__ == "__main__":
    main()
