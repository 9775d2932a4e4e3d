"""In-year and multi-year dynamics (issue 7): timelines, equivalence, conservation."""

from __future__ import annotations

import dataclasses
import itertools
import json
from pathlib import Path

import numpy as np
import pytest

import sendalloc as sa
from sendalloc import dynamic
from sendalloc._engine import events
from sendalloc._engine import year as year_module
from sendalloc.cli import main
from sendalloc.dynamic import (
    DYNAMIC_METRICS,
    MONTHLY_METRICS,
    PROJECTION_METRICS,
    PROJECTION_YEARLY_METRICS,
    DynamicResult,
    run_year,
    simulate_instance_year,
    simulate_projection,
)
from sendalloc.population import Children

PLACED, WAITING, OUT = 4, 3, 5
SMALL = "london_borough"


def oak_elm(cap: dict[str, int], prefs: dict[str, list[str]]) -> sa.Problem:
    return sa.Problem.from_dicts(cap, prefs)


# --------------------------------------------------------------------- timelines
def test_place_frees_the_day_after_an_arrival() -> None:
    p = oak_elm({"Oak": 0}, {"amy": ["Oak"]})
    y = run_year(p, [50], leave_day=[51], leave_setting=[0], trace=True)
    assert y.assignment.tolist() == [0]
    assert y.first_day.tolist() == [51]
    assert y.days_waiting.tolist() == [1]
    assert y.trace is not None
    # arrives (state 0), waits (3), placed at Oak the next day (4)
    assert y.trace.tolist() == [
        [50, 0, -1, -1, 0],
        [50, 0, -1, -1, WAITING],
        [51, 0, -1, 0, PLACED],
    ]


def test_waiting_child_served_before_a_later_arrival() -> None:
    # Amy waits from day 10; Ben arrives on day 30, the day a place frees:
    # leavers come first within a day, and the waiting list before arrivals.
    p = oak_elm({"Oak": 0}, {"amy": ["Oak"], "ben": ["Oak"]})
    y = run_year(p, [10, 30], leave_day=[30], leave_setting=[0])
    assert y.assignment.tolist() == [0, -1]
    assert y.first_day.tolist() == [30, -1]
    assert y.status.tolist() == [PLACED, WAITING]
    assert y.days_waiting.tolist() == [20, 366 - 30]
    # A later arrival who came before the place freed is also behind Amy.
    y = run_year(p, [10, 20], leave_day=[30], leave_setting=[0])
    assert y.assignment.tolist() == [0, -1]
    # Served by severity instead: Ben (more severe) jumps the queue.
    y = run_year(
        p,
        [10, 20],
        leave_day=[30],
        leave_setting=[0],
        severity=[0.2, 0.9],
        wait_order="severity",
    )
    assert y.assignment.tolist() == [-1, 0]


def test_transfer_batch_then_in_year_arrivals() -> None:
    # Oak 2 places, Elm 2. New plan nia takes Oak on day 20; three transfers
    # share 15 February (day 46); new plans on days 60 and 61 get what is left.
    p = sa.Problem.from_dicts(
        {"Oak": 2, "Elm": 2},
        {
            "nia": ["Oak"],
            "t1": ["Oak", "Elm"],
            "t2": ["Oak", "Elm"],
            "t3": ["Oak", "Elm"],
            "ned": ["Elm", "Oak"],
            "nat": ["Elm", "Oak"],
        },
    )
    day = [20, 46, 46, 46, 60, 61]
    transfer = [False, True, True, True, False, False]
    y = run_year(p, day, transfer=transfer)
    assert y.assignment.tolist() == [0, 0, 1, 1, -1, -1]
    assert y.first_day.tolist() == [20, 46, 46, 46, -1, -1]
    # Without nia's early claim the batch would have taken both Oak places.
    y = run_year(p, [80, *day[1:]], transfer=transfer)
    assert y.assignment.tolist()[1:4] == [0, 0, 1]
    assert y.assignment.tolist()[4] == 1  # ned, day 60: the last Elm place


def test_consultation_delay_and_idle_places() -> None:
    # Oak and Elm have a place each. Amy (day 10) and Ben (day 12) both rank
    # Oak then Elm; every reply takes 15 days. Amy gets Oak on day 25; Ben hears
    # "full" from Oak on day 27 and gets Elm on day 42.
    p = oak_elm({"Oak": 1, "Elm": 1}, {"amy": ["Oak", "Elm"], "ben": ["Oak", "Elm"]})
    y = run_year(p, [10, 12], batch="consultation", consultation_days=15)
    assert y.assignment.tolist() == [0, 1]
    assert y.first_day.tolist() == [25, 42]
    # Idle place-days: Oak free and wanted from day 10 to 25 (15); Elm free and
    # wanted from day 10 to 42 (32).
    assert int(y.idle_place_days.sum()) == 15 + 32
    # by month: January days 10-31 (Oak 15, Elm 22), February days 32-41 (Elm 10)
    assert y.idle_place_days[:3].tolist() == [15 + 22, 10, 0]
    # Placed at once, nothing is idle.
    y = run_year(p, [10, 12])
    assert y.first_day.tolist() == [10, 12]
    assert int(y.idle_place_days.sum()) == 0


def test_monthly_and_termly_batches_hold_arrivals() -> None:
    p = oak_elm({"Oak": 2}, {"amy": ["Oak"], "ben": ["Oak"]})
    y = run_year(p, [10, 40], batch="monthly")
    assert y.first_day.tolist() == [31, 59]
    y = run_year(p, [10, 360], batch="termly")
    assert y.first_day.tolist() == [95, -1]  # after the last term: held at year end
    assert y.status.tolist() == [PLACED, 1]


def test_moving_up_vacancy_chain() -> None:
    # Amy ranks Oak > Elm and gets Elm; Ben waits for Elm. When a pupil leaves
    # Oak on day 20, Amy moves up and Ben takes her Elm place.
    p = oak_elm({"Oak": 0, "Elm": 1}, {"amy": ["Oak", "Elm"], "ben": ["Elm"]})
    y = run_year(p, [10, 11], leave_day=[20], leave_setting=[0], moving_up=True)
    assert y.assignment.tolist() == [0, 1]
    assert y.first_setting.tolist() == [1, 1]
    assert y.moves.tolist() == [1, 0]
    assert y.first_day.tolist() == [10, 20]
    y = run_year(p, [10, 11], leave_day=[20], leave_setting=[0])
    assert y.assignment.tolist() == [1, -1]  # no moving up: the Oak place is idle


def test_no_place_policies() -> None:
    # Only Oak is ranked and it is full; the list also has Elm.
    p = oak_elm({"Oak": 0, "Elm": 1}, {"amy": ["Oak"]})
    lists = [[0, 1]]
    assert run_year(p, [5], lists=lists).assignment.tolist() == [-1]
    fb = run_year(p, [5], lists=lists, waiting="fallback")
    assert fb.assignment.tolist() == [1]
    out = run_year(p, [5], lists=lists, waiting="out_of_list")
    assert out.assignment.tolist() == [-2]
    assert out.status.tolist() == [OUT]
    assert out.first_day.tolist() == [5]
    up = run_year(
        p,
        [5],
        lists=lists,
        waiting="out_of_list",
        moving_up=True,
        leave_day=[9],
        leave_setting=[0],
    )
    assert up.assignment.tolist() == [0]
    assert up.moves.tolist() == [1]


def test_carried_child_waits_into_year_two() -> None:
    # Year 1: Oak is full; Amy's plan is final on day 300 and she waits to the
    # year's end, 66 days (300..365). Year 2: she is carried over with arrival
    # day 300 - 365 = -65 and is on the waiting list from 1 January; a pupil
    # leaves Oak on day 30 and Amy takes the place ahead of Ben, whose plan was
    # final on day 10 of year 2. She has waited 66 + 29 = 95 days in all.
    p1 = oak_elm({"Oak": 0}, {"amy": ["Oak"]})
    y1 = run_year(p1, [300])
    assert y1.status.tolist() == [WAITING]
    assert y1.days_waiting.tolist() == [66]
    carried_day = int(y1.arrival_day[0]) - 365
    p2 = oak_elm({"Oak": 0}, {"amy": ["Oak"], "ben": ["Oak"]})
    y2 = run_year(p2, [carried_day, 10], leave_day=[30], leave_setting=[0], trace=True)
    assert y2.assignment.tolist() == [0, -1]
    assert y2.first_day.tolist() == [30, -1]
    assert y2.days_waiting.tolist() == [66 + 29, 366 - 10]
    assert y2.trace is not None
    assert y2.trace.tolist()[:2] == [[1, 0, -1, -1, 0], [1, 0, -1, -1, WAITING]]
    # A place free on 1 January goes to the carried child before any arrival.
    y = run_year(p2, [carried_day, 1], free=[1])
    assert y.assignment.tolist() == [0, -1]
    assert y.first_day.tolist() == [1, -1]
    assert y.days_waiting.tolist() == [66, 365]  # placed at once on 1 January
    # Carried children queue by plan day: Cat (day -100) before Amy (day -65).
    p3 = oak_elm({"Oak": 0}, {"amy": ["Oak"], "cat": ["Oak"]})
    y = run_year(p3, [-65, -100], leave_day=[30, 40], leave_setting=[0, 0])
    assert y.first_day.tolist() == [40, 30]
    assert y.days_waiting.tolist() == [105, 130]


def test_capacity_event_opens_places() -> None:
    p = oak_elm({"Oak": 0}, {"amy": ["Oak"], "ben": ["Oak"]})
    y = run_year(
        p, [3, 4], capacity_day=[244], capacity_setting=[0], capacity_places=[1]
    )
    assert y.first_day.tolist() == [244, -1]


def test_over_capacity_setting_frees_only_after_its_deficit() -> None:
    p = oak_elm({"Oak": 0}, {"amy": ["Oak"]})
    y = run_year(p, [1], free=[-1], leave_day=[5, 9], leave_setting=[0, 0])
    assert y.first_day.tolist() == [9]
    assert y.free_end.tolist() == [0]


def test_bad_arguments() -> None:
    p = oak_elm({"Oak": 1}, {"amy": ["Oak"]})
    with pytest.raises(ValueError, match="arrival_day\\[0\\] = 400"):
        run_year(p, [400])
    with pytest.raises(ValueError, match="batch: expected one of"):
        run_year(p, [1], batch="weekly")
    with pytest.raises(ValueError, match="waiting: expected one of"):
        run_year(p, [1], waiting="auto")
    with pytest.raises(ValueError, match="leave_setting"):
        run_year(p, [1], leave_day=[1], leave_setting=[3])


# ----------------------------------------------------------- equivalence, annual
@pytest.fixture(scope="module")
def county_instance() -> sa.Instance:
    return sa.load_scenario("county").sample(11)


def _with_days(inst: sa.Instance, day: int, transfer: bool | None) -> sa.Instance:
    c = inst.children
    tr = c.transfer if transfer is None else np.full(c.n, transfer)
    kids = Children._trusted(
        c.id,
        c.need,
        c.age,
        c.x_km,
        c.y_km,
        np.full(c.n, day),
        c.severity,
        c.specialist,
        tr,
    )
    return dataclasses.replace(inst, children=kids)


@pytest.mark.parametrize(
    ("day", "transfer", "mechanism"),
    [
        (100, False, "first_available"),  # one day of individual arrivals
        (46, None, "first_available"),  # everyone in the 15 February batch
        (46, None, "deferred_acceptance"),
        (46, None, "boston"),
    ],
)
def test_one_day_no_leavers_equals_annual(
    county_instance: sa.Instance, day: int, transfer: bool | None, mechanism: str
) -> None:
    inst = _with_days(county_instance, day, transfer)
    p = inst.problem
    y = run_year(
        p, inst.children.plan_day, transfer=inst.children.transfer, mechanism=mechanism
    )
    annual = sa.allocate(p, mechanism).assignment
    if mechanism == "boston":  # Boston wastes places; the in-year model fills
        placed = annual >= 0  # them from the waiting list, never moving anyone
        assert (y.assignment[placed] == annual[placed]).all()
    else:
        assert (y.assignment == annual).all()
    assert (y.first_day[y.assignment >= 0] == day).all()


def test_year_one_places_match_the_annual_round(county_instance: sa.Instance) -> None:
    sc = sa.load_scenario("county")
    st = county_instance.settings
    plans = year_module.resolve_plans(sc, st)
    places = year_module.initial_places(st, plans)
    frac = year_module.release_fraction(st, sc.population.transfer_ages)
    free = places.cap - (places.roll - np.rint(places.roll * frac).astype(np.int64))
    taken = county_instance.cross_border_taken  # by other LAs' children
    assert taken is not None
    assert taken.sum() > 0
    assert (np.maximum(free, 0) - taken == county_instance.problem.capacity).all()
    # and the in-year engine starts year 1 with the same places
    rng = np.random.default_rng(0)
    _, start = year_module.run_instance_year(
        county_instance,
        "first_available",
        sc.dynamics,
        "wait",
        places,
        frac,
        plans,
        0,
        rng,
        rng,
    )
    assert (np.maximum(start, 0) == county_instance.problem.capacity).all()


# ------------------------------------------------------------------ conservation
def _random_case(seed: int) -> dict[str, object]:
    rng = np.random.default_rng(seed)
    n, m = 50, 5
    prefs = []
    for _ in range(n):
        perm = rng.permutation(m)
        prefs.append(perm[: rng.integers(0, 4)].tolist())
    p = sa.Problem.from_lists(
        rng.integers(0, 4, m).tolist(), prefs, order=rng.permutation(n).tolist()
    )
    lists = np.full((n, m), -1)
    for i, r in enumerate(prefs):
        rest = [s for s in rng.permutation(m).tolist() if s not in r][:2]
        row = r + rest
        lists[i, : len(row)] = row
    j = 25
    return {
        "problem": p,
        "arrival_day": rng.integers(1, 366, n),
        "transfer": rng.random(n) < 0.3,
        "lists": lists,
        "severity": rng.random(n),
        "free": rng.integers(-2, 4, m),
        "leave_day": rng.integers(1, 366, j),
        "leave_setting": rng.integers(0, m, j),
        "capacity_day": np.array([100, 250]),
        "capacity_setting": np.array([0, 1]),
        "capacity_places": np.array([2, 1]),
    }


def _replay(case: dict[str, object], y: dynamic.YearOutcome) -> None:
    """Every child is in one state at every moment; no setting over capacity."""
    p = case["problem"]
    assert isinstance(p, sa.Problem)
    n, m = p.n_children, p.n_settings
    free0 = np.asarray(case["free"])
    arrival = np.asarray(case["arrival_day"])
    added = np.zeros((m, 367), dtype=np.int64)  # places added by day
    np.add.at(added, (case["leave_setting"], case["leave_day"]), 1)
    for s, d, k in zip(
        case["capacity_setting"],
        case["capacity_day"],
        case["capacity_places"],
        strict=True,
    ):
        added[s, d] += k
    avail = free0[:, None] + np.cumsum(added, axis=1)
    state = np.zeros(n, dtype=np.int64)  # 0 not arrived / just arrived
    where = np.full(n, -1)
    occ = np.zeros(m, dtype=np.int64)
    assert y.trace is not None
    rows = y.trace.tolist()
    for r, (day, i, frm, to, st) in enumerate(rows):
        assert day >= arrival[i]
        if st == PLACED:
            assert state[i] != PLACED or where[i] == frm
            if state[i] == PLACED:
                occ[frm] -= 1
            occ[to] += 1
            # never over capacity: at most the places made available up to today
            assert avail[to, day] - occ[to] >= 0, (r, day, to)
        state[i] = st
        where[i] = to
        last = r + 1 == len(rows) or rows[r + 1][0] != day
        if last:  # end of a day: every arrived child is in exactly one state
            arrived = arrival <= day
            assert (state[arrived] != 0).all(), day
            assert (state[~arrived] == 0).all()
    assert (state == y.status).all()
    end = np.where(state == OUT, -2, np.where(state == PLACED, where, -1))
    assert (end == y.assignment).all()
    assert (y.free_end == avail[:, 366] - occ).all()
    assert (y.free_end >= np.minimum(free0, 0)).all()


POLICIES = [
    {"batch": "none", "waiting": "wait"},
    {"batch": "none", "waiting": "fallback", "moving_up": True},
    {"batch": "monthly", "waiting": "out_of_list", "moving_up": True},
    {"batch": "termly", "waiting": "fallback", "wait_order": "severity"},
    {"batch": "consultation", "waiting": "wait", "moving_up": True},
    {"batch": "none", "waiting": "wait", "mechanism": "boston", "moving_up": True},
]


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("seed", range(6))
def test_conservation_and_capacity(seed: int, policy: dict[str, object]) -> None:
    case = _random_case(seed)
    y = run_year(**case, **policy, trace=True, rng=seed)  # type: ignore[arg-type]
    _replay(case, y)


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("seed", range(3))
def test_conservation_with_carried_children(
    seed: int, policy: dict[str, object]
) -> None:
    # A fifth of the children are carried over (arrival day <= 0): they are in
    # one state from 1 January on, and never over capacity.
    case = _random_case(seed)
    day = np.asarray(case["arrival_day"]).copy()
    day[::5] -= 365
    case["arrival_day"] = day
    y = run_year(**case, **policy, trace=True, rng=seed)  # type: ignore[arg-type]
    _replay(case, y)
    assert y.trace is not None
    carried = np.flatnonzero(day <= 0)
    first = {int(i): r for r, (_, i, _, _, _) in reversed(list(enumerate(y.trace)))}
    assert all(y.trace[first[int(i)], 0] == 1 for i in carried)
    assert (y.days_waiting[carried] >= 1 - day[carried]).all()


def test_compiled_kernel_matches_python(monkeypatch: pytest.MonkeyPatch) -> None:
    case = _random_case(99)
    day = np.asarray(case["arrival_day"]).copy()
    day[::7] -= 365  # some children carried over
    case["arrival_day"] = day
    policy = {"batch": "consultation", "waiting": "fallback", "moving_up": True}
    a = run_year(**case, **policy, trace=True)  # type: ignore[arg-type]
    monkeypatch.setattr(events, "_year_kernel", events._year_kernel.py_func)
    b = run_year(**case, **policy, trace=True)  # type: ignore[arg-type]
    assert a.trace is not None
    assert b.trace is not None
    assert (a.trace == b.trace).all()
    assert (a.idle_place_days == b.idle_place_days).all()


# ------------------------------------------------------------------- simulate
def _mode(name: str, mode: str, **dyn: object) -> sa.Scenario:
    over: dict[str, object] = {"mode": mode}
    over.update({f"dynamics.{k}": v for k, v in dyn.items()})
    return sa.load_scenario(name).with_overrides(over)


def test_simulate_in_year_is_deterministic() -> None:
    sc = _mode(SMALL, "in_year", moving_up=True)
    mechs = ["first_available", "deferred_acceptance"]
    a = sa.simulate(sc, mechs, runs=4, seed=5)
    b = sa.simulate(sc, mechs, runs=4, seed=5, chunk_size=1)
    assert isinstance(a, DynamicResult)
    assert a.metrics == DYNAMIC_METRICS
    assert a.values.shape == (4, 2, len(DYNAMIC_METRICS))
    assert a.groups["month"].shape == (4, 2, 12, len(MONTHLY_METRICS))
    assert a.to_json() == b.to_json()
    assert a.to_csv() == b.to_csv()
    c = sa.simulate(sc, mechs, runs=4, seed=6)
    assert c.to_json() != a.to_json()


def test_in_year_shares_and_counts_are_consistent() -> None:
    r = sa.simulate(_mode(SMALL, "in_year"), ["first_available"], runs=3, seed=1)
    s = r.summary()
    get = {m: s.get("first_available", m)["mean"] for m in s.metrics}
    parts = (get["placed_on_list_year_end"] + get["out_of_list_year_end"]) + get[
        "waiting_year_end"
    ]
    assert parts == pytest.approx(1.0)
    assert get["first_preference_year_end"] >= get["first_preference_at_arrival"]
    month = r.groups["month"][:, 0, :, MONTHLY_METRICS.index("arrivals")]
    assert (month.sum(axis=1) == r.metric("children", "first_available")).all()
    assert r.summary("need").groups[0] == "ASD"
    # The rank profile of the places held at the year's end adds up, run by
    # run, to the share at a ranked setting then.
    ranks = r.summary("rank")
    assert ranks.groups == tuple(str(k + 1) for k in range(r.rank_profile.shape[2]))
    assert len(ranks.groups) > 1
    np.testing.assert_allclose(
        r.rank_profile[:, 0].sum(axis=1),
        r.metric("any_preference_year_end", "first_available"),
        rtol=1e-12,
    )
    # Placed by the deadline at a ranked setting: between placed by the
    # deadline at the first preference and placed by the deadline at all, run
    # by run; and the target breakdown's two groups add up to every child.
    on_day = r.metric("any_preference_at_arrival", "first_available")
    assert (r.metric("first_preference_at_arrival", "first_available") <= on_day).all()
    assert (on_day <= r.metric("placed_by_deadline", "first_available")).all()
    assert (r.metric("first_preference_at_arrival", "first_available") < on_day).any()
    target = r.summary("target")
    assert target.groups == ("specialist", "not_specialist")
    k = target.metrics.index("children")
    assert target.mean[0, :, k].sum() == pytest.approx(get["children"])
    j = target.metrics.index("any_preference_at_arrival")
    weighted = (target.mean[0, :, k] * target.mean[0, :, j]).sum() / get["children"]
    per_run = r.groups["target"][:, 0]
    np.testing.assert_allclose(
        (per_run[:, :, k] * per_run[:, :, j]).sum(axis=1),
        on_day * r.metric("children", "first_available"),
    )
    assert 0 < weighted <= 1


def test_projection_carries_waiting_children() -> None:
    sc = _mode("county", "multi_year", years=3)
    proj = simulate_projection(sc, years=3, rng=4)
    carried_total = 0
    for y, ((inst, out), (nxt, nout)) in enumerate(itertools.pairwise(proj)):
        c, nc = inst.children, nxt.children
        # every child is in one state at the year's end
        placed, out_of_list = out.assignment >= 0, out.assignment == -2
        waiting = out.assignment == -1
        assert (placed ^ out_of_list ^ waiting).all()
        assert (out.status[waiting] <= WAITING).all()
        # the children carried into next year are exactly those still without
        # a place, less those too old for every setting they ranked
        carried = np.flatnonzero(nc.plan_day <= 0)
        carried_total += carried.size
        assert (carried == np.arange(nc.n - carried.size, nc.n)).all()
        tag = {x if "/" in x else f"{x}/y{y + 1}": i for i, x in enumerate(c.id)}
        for j in carried:
            i = tag[nc.id[j]]
            assert waiting[i]
            assert nc.age[j] == c.age[i] + 1
            assert nc.rural[j] == c.rural[i]
            assert nc.need[j] == c.need[i]
            assert nc.plan_day[j] == c.plan_day[i] - 365
            assert not nc.transfer[j]
            # days waiting accumulate: last year's censored wait, then this year's
            end = nout.first_day[j] if nout.first_day[j] >= 0 else 366
            assert nout.days_waiting[j] == out.days_waiting[i] + end - 1
            # rankings keep the settings that admit the new age, in order
            prefs = nxt.problem.preferences[j]
            prefs = prefs[prefs >= 0]
            st = inst.settings
            old = inst.problem.preferences[i]
            kept = [
                s
                for s in old[old >= 0]
                if st.min_age[s] <= c.age[i] + 1 <= st.max_age[s]
            ]
            assert prefs.tolist() == kept
        assert carried.size <= waiting.sum()  # the rest aged out
    assert carried_total > 0


def test_multi_year_counts_carried_children_once_a_year() -> None:
    sc = _mode(SMALL, "multi_year", years=3)
    r = sa.simulate(sc, ["first_available"], runs=3, seed=2)
    yr = r.groups["year"][:, 0]
    col = PROJECTION_YEARLY_METRICS.index
    children = yr[:, :, col("children")]
    carried_in = yr[:, :, col("carried_in")]
    share = yr[:, :, col("carried_over")]
    assert (carried_in[:, 0] == 0).all()
    assert np.allclose(share * children, carried_in)
    # still without a place at a year's end = carried into the next + aged out
    waiting = np.rint(yr[:, :, col("waiting_year_end")] * children)
    aged = yr[:, :, col("aged_out")]
    assert (waiting[:, :-1] == carried_in[:, 1:] + aged[:, :-1]).all()
    # the month table counts carried children as waiting, not as arrivals
    mon = r.groups["month"][:, 0]
    arrivals = mon[:, :, MONTHLY_METRICS.index("arrivals")].reshape(3, 3, 12)
    assert (arrivals.sum(axis=2) == children - carried_in).all()
    end = mon[:, :, MONTHLY_METRICS.index("waiting_month_end")].reshape(3, 3, 12)
    assert (end[:, :, 11] == waiting).all()
    # pooled: each child counted once per year in the round
    assert (r.metric("children", "first_available") == children.sum(axis=1)).all()
    days = r.metric("mean_days_waiting", "first_available")
    in_year = r.metric("mean_days_waiting_in_year", "first_available")
    assert (in_year <= days).all()


def test_multi_year_is_deterministic() -> None:
    from concurrent.futures import ThreadPoolExecutor

    sc = _mode(SMALL, "multi_year", years=3)
    mechs = ["first_available", "deferred_acceptance"]
    a = sa.simulate(sc, mechs, runs=4, seed=3)
    b = sa.simulate(sc, mechs, runs=4, seed=3, chunk_size=1)
    with ThreadPoolExecutor(2) as ex:
        c = sa.simulate(sc, mechs, runs=4, seed=3, executor=ex, chunk_size=3)
    assert a.to_json() == b.to_json() == c.to_json()
    assert a.to_csv() == b.to_csv() == c.to_csv()
    assert a.table() == c.table()


def test_annual_mode_untouched() -> None:
    r = sa.simulate(SMALL, ["first_available"], runs=2, seed=0)
    assert type(r) is sa.SimulationResult


def test_multi_year_projection_with_capacity_plan() -> None:
    sc = _mode(
        SMALL,
        "multi_year",
        years=3,
        capacity_plans=[{"year": 2, "setting": "special", "places": 40, "day": 1}],
    )
    r = sa.simulate(sc, ["first_available"], runs=3, seed=2)
    assert r.years == 3
    yr = r.groups["year"][:, 0]
    col = PROJECTION_YEARLY_METRICS.index
    caseload = yr[:, :, col("caseload")]
    assert (caseload[:, 0] == sc.population.plans).all()
    assert (caseload[:, 2] > caseload[:, 0]).all()  # 15% joiners vs 8% leavers
    places = yr[:, :, col("specialist_places")]
    assert (places[:, 1] - places[:, 0] == 0).all()  # added during year 2
    assert (places[:, 2] - places[:, 1] == 40).all()
    assert r.summary("year").groups == ("1", "2", "3")
    assert len(r.summary("month").groups) == 36
    doc = json.loads(r.to_json())
    assert doc["mode"] == "multi_year"
    assert doc["years"] == 3
    assert set(doc["by_year"]["first_available"]["2"]) == set(PROJECTION_YEARLY_METRICS)
    assert r.metrics == PROJECTION_METRICS


def test_capacity_plan_that_opens_a_setting() -> None:
    sc = _mode(SMALL, "in_year")
    inst = sc.sample(3)
    sid = inst.settings.id[0]
    sc2 = sc.with_overrides(
        {"dynamics.capacity_plans": [{"year": 1, "setting": sid, "places": 5}]}
    )
    opened = sc.with_overrides(
        {
            "dynamics.capacity_plans": [
                {"year": 1, "setting": sid, "places": 5, "opens": True}
            ]
        }
    )
    for s in (sc2, opened):
        plans = year_module.resolve_plans(s, inst.settings)
        assert plans.setting.tolist() == [0]
        assert plans.places.tolist() == [5]
    assert year_module.resolve_plans(opened, inst.settings).closed[0]
    bad = sc.with_overrides(
        {"dynamics.capacity_plans": [{"year": 1, "setting": "nowhere", "places": 5}]}
    )
    with pytest.raises(sa.InvalidScenarioError, match="'nowhere' is neither"):
        simulate_instance_year(inst, bad)


# ------------------------------------------------------------------- spec, CLI
def test_spec_errors_name_line_and_column(tmp_path: Path) -> None:
    base = sa.load_scenario("county").source
    text = Path(base).read_text()

    def with_dynamics(keys: str) -> str:  # keys added to the preset's [dynamics]
        return text.replace("\n[dynamics]\n", "\n[dynamics]\n" + keys, 1)

    p = tmp_path / "s.toml"
    p.write_text('mode = "weekly"\n' + text)
    with pytest.raises(sa.InvalidScenarioError, match=r"s\.toml:1:1: mode = 'weekly'"):
        sa.Scenario.from_toml(p)
    bad = with_dynamics('years = 3\n  batchh = "monthly"\n')
    p.write_text(bad)
    line = bad.splitlines().index('  batchh = "monthly"') + 1
    with pytest.raises(
        sa.InvalidScenarioError, match=rf"s\.toml:{line}:3: dynamics\.batchh: unknown"
    ):
        sa.Scenario.from_toml(p)
    p.write_text(with_dynamics('waiting = "queue"\n'))
    with pytest.raises(sa.InvalidScenarioError, match=r"dynamics\.waiting = 'queue'"):
        sa.Scenario.from_toml(p)
    p.write_text(
        text + '\n[[dynamics.capacity_plans]]\nyear = 1\nsetting = "x"\nplaces = -3\n'
    )
    with pytest.raises(
        sa.InvalidScenarioError, match=r"dynamics\.capacity_plans\.0\.places = -3"
    ):
        sa.Scenario.from_toml(p)
    p.write_text(
        'mode = "multi_year"\n'
        + with_dynamics('batch = "termly"\n')
        + '\n[[dynamics.capacity_plans]]\nyear = 2\nsetting = "special"\nplaces = 30\n'
    )
    sc = sa.Scenario.from_toml(p)
    assert sc.mode == "multi_year"
    assert sc.dynamics.batch == "termly"
    assert sc.dynamics.capacity_plans[0].places == 30
    assert sa.Scenario.from_dict(sc.to_dict()) == sc


def test_presets_default_to_annual() -> None:
    for name in sa.list_scenarios():
        sc = sa.load_scenario(name)
        assert sc.mode == "annual"
        assert "mode" not in sc.to_dict()


@pytest.mark.parametrize("mode", ["in_year", "multi_year"])
def test_cli_runs_county_in_every_mode(
    mode: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    js, cs = tmp_path / "r.json", tmp_path / "r.csv"
    args = ["run", "county", "--mode", mode, "--runs", "2", "--no-progress"]
    args += ["--years", "2", "--json", str(js), "--csv", str(cs)]
    assert main(args) == 0
    out, _ = capsys.readouterr()
    assert out.startswith("Under county, over ")
    assert "first preference at arrival %" in out
    assert "Month by month, first-available allocation" in out
    assert ("Year by year" in out) == (mode == "multi_year")
    doc = json.loads(js.read_text())
    assert doc["mode"] == mode
    assert {"by_month", "by_year", "by_need", "results"} <= set(doc)
    assert "by_month,first_available," in cs.read_text()


def test_cli_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")
    png = tmp_path / "r.png"
    args = ["run", SMALL, "--mode", "multi_year", "--years", "2", "--runs", "2"]
    args += ["-m", "first_available", "--no-progress", "--plot", str(png)]
    assert main(args) == 0
    assert png.stat().st_size > 1000
    args = ["run", SMALL, "--mode", "in_year", "--runs", "2", "--no-progress"]
    assert main([*args, "--plot", str(png)]) == 0
    capsys.readouterr()


def test_public_names_documented() -> None:
    from sendalloc import dynamic_report

    for mod in (dynamic, dynamic_report):
        assert len(set(mod.__all__)) == len(mod.__all__)
        for name in mod.__all__:
            obj = getattr(mod, name)
            if callable(obj):
                assert obj.__doc__, name
    assert sa.DynamicResult is DynamicResult


def test_in_year_batches_draw_the_runs_mechanism_stream() -> None:
    # Year y of run r allocates its batches with one generator on
    # SeedSequence(seed, spawn_key=(r, 1, y)), consumed batch after batch: not
    # the instance's stream (r, 0), not the leavers' (r, 2, y), not another run's.
    log: list[object] = []

    def recording(problem: sa.Problem, *, rng: object = None) -> sa.Allocation:
        assert isinstance(rng, np.random.Generator)
        log.append(rng.bit_generator.state)
        return sa.allocate(problem, "random_serial_dictatorship", rng=rng)

    def state(*key: int) -> object:
        ss = np.random.SeedSequence(4, spawn_key=key)
        return np.random.default_rng(ss).bit_generator.state

    sc = _mode(SMALL, "in_year", batch="monthly")
    sa.simulate(sc, [recording], runs=2, seed=4)
    starts = [i for i, s in enumerate(log) if s in (state(0, 1, 0), state(1, 1, 0))]
    assert starts == [0, starts[1]]
    assert 1 < starts[1] < len(log) - 1  # several batches a year
    assert log[starts[1]] == state(1, 1, 0)
    # Within a run the generator moves on from batch to batch.
    assert len({str(s) for s in log}) == len(log)
    for other in (state(0, 0), state(1, 0), state(0, 2, 0), state(1, 2, 0)):
        assert other not in log
