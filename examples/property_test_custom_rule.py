"""Write a new allocation rule, property-test it, and let hypothesis find a flaw.

The rule: "severity first" - children are served in order of their position in
a common priority list (say, severity of need), each taking the first setting on
their parent's list with a free place, but a parent who ranks only ONE setting
is served before everyone else (a local authority might think this helps
families with one suitable school). We check it with sendalloc.testing:

* it is feasible, stays within lists and is non-wasteful (true);
* it is strategy-proof (false: hypothesis finds a parent who gains by
  truncating their list to one setting, and prints the minimal case);
* the Boston rule is manipulable too, found the same way.

Run:  python examples/property_test_custom_rule.py
"""

from __future__ import annotations

import sys

import numpy as np
from hypothesis import find, settings

import sendalloc as sa
from sendalloc.testing import (
    assert_strategyproof,
    check_mechanism,
    strategies,
)


def single_choice_first(problem: sa.Problem, *, rng: object = None) -> sa.Allocation:
    """Serial dictatorship in ``problem.order``, one-setting lists served first."""
    one = problem.list_length == 1
    order = np.concatenate(
        [problem.order[one[problem.order]], problem.order[~one[problem.order]]]
    )
    remaining = problem.capacity.astype(np.int64).copy()
    assignment = np.full(problem.n_children, -1)
    for i in order:
        for s in problem.preferences[i]:
            if s >= 0 and remaining[s] > 0:
                remaining[s] -= 1
                assignment[i] = s
                break
    return sa.Allocation.from_assignment(
        problem, assignment, mechanism="single_choice_first"
    )


def manipulable(mechanism: str | object) -> sa.Problem:
    """The smallest problem in which some parent gains by misreporting."""

    def gains(problem: sa.Problem) -> bool:
        try:
            assert_strategyproof(mechanism, problem)  # type: ignore[arg-type]
        except AssertionError:
            return True
        return False

    return find(
        strategies.problems(max_children=3, max_settings=3),
        gains,
        settings=settings(database=None, deadline=None, max_examples=2000),
    )


def main() -> int:
    print("1. The properties the rule should have:")
    check_mechanism(
        single_choice_first,
        ["feasible", "within_lists", "non_wasteful", "label_invariant"],
        max_examples=50,
    )
    print("   feasible, within lists, non-wasteful, label-invariant: passed\n")

    print("2. Is it strategy-proof? hypothesis searches for a counter-example:")
    try:
        check_mechanism(single_choice_first, ["strategyproof"], max_examples=200)
    except AssertionError as err:
        print("   found one (minimal after shrinking):")
        print("   " + str(err).replace("\n", "\n   ") + "\n")
    else:
        print("   no counter-example found (unexpected)")
        return 1

    mechanisms = ["boston"] if "boston" in sa.MECHANISMS else []
    for name in mechanisms:
        print(f"3. The {name} rule, searched the same way:")
        p = manipulable(name)
        try:
            assert_strategyproof(name, p)
        except AssertionError as err:
            print("   " + str(err).replace("\n", "\n   "))
    if not mechanisms:
        print("3. (the boston rule is not registered in this version; skipped)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
