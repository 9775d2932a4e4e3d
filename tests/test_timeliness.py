"""The share of new plans named within 20 weeks of the request: the metric, and
the in-year fit of the assessment time to it (sendalloc.calibrate.fit_in_year)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sendalloc as sa
from sendalloc import calibrate as cal
from sendalloc._engine.timemetrics import STATUTORY_DAYS, named_within_limit
from sendalloc.dynamic import IN_YEAR_PROCESS_METRICS


def _year(arrivals: list[int], leave_days: list[int], capacity: int = 1) -> object:
    n = len(arrivals)
    p = sa.Problem.from_dicts({"Oak": capacity}, {f"c{i}": ["Oak"] for i in range(n)})
    return sa.dynamic.run_year(
        p, arrivals, leave_day=leave_days, leave_setting=[0] * len(leave_days)
    )


@settings(max_examples=30, deadline=None)
@given(
    mean=st.floats(20.0, 300.0),
    cv=st.floats(0.05, 1.5),
    wait=st.integers(0, 200),
)
def test_the_share_is_the_log_normal_probability(
    mean: float, cv: float, wait: int
) -> None:
    """One child named ``wait`` days after the plan day counts P(A <= 140 - wait)
    for A log-normal with that mean and coefficient of variation: checked
    against a large sample of A drawn with numpy's own log-normal."""
    y = _year([10, 11], [11 + wait])  # the second child waits `wait` days
    named, base = named_within_limit(y, np.array([False, True]), mean, cv)
    assert base == 1.0
    sigma = math.sqrt(math.log1p(cv * cv))
    a = np.random.default_rng(1).lognormal(
        math.log(mean) - sigma**2 / 2, sigma, 200_000
    )
    assert abs(a.mean() / mean - 1) < 0.02 + 0.02 * cv  # the sample has that mean
    expected = float((a <= STATUTORY_DAYS - wait).mean())
    assert named == pytest.approx(expected, abs=0.005)


def test_unplaced_late_and_transferring_children_are_handled() -> None:
    # c0 placed on arrival; c1 never placed; c2 arrives too late to be followed
    # for 20 weeks in the year; c3 is a phase transfer (no assessment)
    y = _year([5, 6, 300, 7], [], capacity=1)
    named, base = named_within_limit(
        y, np.array([True, True, True, False]), 100.0, 0.01
    )
    assert (named, base) == (pytest.approx(1.0), 2.0)
    # no new plans: no share
    none = named_within_limit(y, np.zeros(4, dtype=bool), 100.0, 0.3)
    assert none == (0.0, 0.0)
    # an assessment longer than the limit: nobody in time
    assert named_within_limit(y, np.ones(4, dtype=bool), 400.0, 0.01)[0] < 1e-9


def test_in_year_results_report_the_share_for_every_policy() -> None:
    sc = sa.load_scenario("london_borough").with_overrides({"mode": "in_year"})
    r = sa.simulate(sc, ["status_quo", "first_available"], runs=4, seed=3)
    assert IN_YEAR_PROCESS_METRICS[-1] == "plans_within_20_weeks"
    sq = r.metric("plans_within_20_weeks", "status_quo")
    fa = r.metric("plans_within_20_weeks", "first_available")
    assert np.all((sq > 0) & (sq < 1))
    assert np.all((fa > 0) & (fa < 1))
    # a longer assessment leaves less of the 20 weeks, for every policy, and
    # changes no allocation
    longer = sa.simulate(
        sc.with_overrides({"dynamics.assessment_days": 160.0}),
        ["status_quo", "first_available"],
        runs=4,
        seed=3,
    )
    assert np.all(longer.metric("plans_within_20_weeks", "status_quo") < sq)
    assert np.all(longer.metric("plans_within_20_weeks", "first_available") < fa)
    for m in ("mean_days_waiting", "first_preference_year_end", "appealed"):
        for pol in ("status_quo", "first_available"):
            np.testing.assert_array_equal(longer.metric(m, pol), r.metric(m, pol))


def test_fit_in_year_recovers_a_known_assessment_time() -> None:
    """Simulate the share at 100 days, then fit to that share: 100 days back."""
    sc = sa.load_scenario("london_borough").with_overrides(
        {"dynamics.assessment_days": 100.0}
    )
    (t,) = cal.IN_YEAR_TARGETS
    m = cal.measure(sc, [t], runs=6, seed=11).get(t.name)
    target = cal.Target(t.name, m, t.sources, t.measure, t.tolerance, mode="in_year")
    start = sc.with_overrides({"dynamics.assessment_days": 180.0})
    f = cal.fit_in_year(
        start, "dynamics.assessment_days", (30.0, 365.0), target, runs=6, seed=11
    )
    assert f.solved
    assert f.start == 180.0
    assert f.estimate == pytest.approx(100.0, abs=0.2)
    assert f.value == pytest.approx(m, abs=1e-3)
    assert f.derivative < 0
    assert f.low < f.estimate < f.high
    assert f.scenario.dynamics.assessment_days == f.estimate


def test_fit_in_year_says_when_no_value_in_the_bounds_meets_the_target() -> None:
    (t,) = cal.IN_YEAR_TARGETS
    never = cal.Target(t.name, 0.999, t.sources, t.measure, t.tolerance, mode="in_year")
    f = cal.fit_in_year(
        sa.load_scenario("london_borough"),
        "dynamics.assessment_days",
        (30.0, 365.0),
        never,
        runs=3,
        seed=0,
    )
    assert not f.solved
    assert f.estimate == 30.0


def test_fit_in_year_names_a_key_the_scenario_lacks() -> None:
    (t,) = cal.IN_YEAR_TARGETS
    with pytest.raises(sa.InvalidScenarioError, match=r"dynamics\.assessment_weeks"):
        cal.fit_in_year(
            sa.load_scenario("london_borough"),
            "dynamics.assessment_weeks",
            (1.0, 50.0),
            t,
            runs=2,
            seed=0,
        )
