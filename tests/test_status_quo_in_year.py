"""Today's statutory process in the year (status_quo, in-year): hand-worked
timelines, a plain-Python reference of the process, properties, and the policy
in ``simulate(mode="in_year")``."""

from __future__ import annotations

import heapq
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sendalloc as sa
from sendalloc import status_quo as sq
from sendalloc._engine import events as events_module
from sendalloc._engine.eventkernel import year_kernel
from sendalloc._engine.year import initial_places, resolve_plans
from sendalloc.dynamic import (
    DYNAMIC_METRICS,
    IN_YEAR_PROCESS_METRICS,
    Statutory,
    StatutoryOutcome,
    run_year,
    statutory_inputs,
)
from sendalloc.scenario import StatusQuoSpec

CONSULT = 15
NO_REFUSAL = StatusQuoSpec(refusal_at_full=0.0)


def statutory(
    wish: list[int],
    m: int,
    *,
    extra: list[int] | None = None,
    tribunal_extra: list[int] | None = None,
    capacity: list[int] | None = None,
    params: StatusQuoSpec = NO_REFUSAL,
    u: Any = None,
    k: int = 1,
    tribunal_days: int = 30,
) -> Statutory:
    """One need, one kind, every cost 1 (so only fullness moves a refusal)."""
    n = len(wish)
    ex = np.asarray(extra if extra is not None else [0] * m, dtype=np.int64)
    return Statutory(
        wish=np.asarray(wish, dtype=np.int64),
        wish_cost=np.ones(n),
        list_cost=np.ones((n, k)),
        need=np.zeros(n, dtype=np.int64),
        kind=np.zeros(m, dtype=np.int64),
        capacity=np.asarray(capacity if capacity is not None else [10] * m, np.int64),
        extra=ex,
        tribunal_extra=np.asarray(
            tribunal_extra if tribunal_extra is not None else ex, dtype=np.int64
        ),
        taste=np.zeros((1, 1)),
        params=sq.kernel_params(params),
        u=np.full((n, 3), 0.5) if u is None else np.asarray(u, dtype=np.float64),
        tribunal_days=tribunal_days,
    )


# ------------------------------------------------------------------ hand-worked
def test_request_named_after_the_consultation() -> None:
    p = sa.Problem.from_dicts({"Oak": 1, "Elm": 1}, {"amy": ["Oak"], "ben": ["Oak"]})
    y = run_year(
        p,
        [10, 20],
        lists=[[0, 1], [0, 1]],
        consultation_days=CONSULT,
        statutory=statutory([1, 0], 2, k=2),
    )
    assert isinstance(y, StatutoryOutcome)
    # Amy asked for Elm (not her first ranked): named on day 25; Ben gets Oak.
    assert y.assignment.tolist() == [1, 0]
    assert y.first_day.tolist() == [25, 35]
    assert y.process["request"].tolist() == [sq.Request.GRANTED] * 2
    assert not y.process["over_capacity"].any()


def test_full_must_admit_school_is_named_over_capacity_up_to_its_tolerance() -> None:
    # Oak is full (0 free) and takes 1 beyond; the third parent's request
    # cannot be admitted and the LA names its own choice, Elm.
    p = sa.Problem.from_dicts({"Oak": 0, "Elm": 3}, {c: ["Oak"] for c in "abc"})
    y = run_year(
        p,
        [10, 20, 30],
        lists=[[1]] * 3,
        statutory=statutory([0, 0, 0], 2, extra=[1, 0]),
    )
    assert y.assignment.tolist() == [0, 1, 1]
    assert y.process["request"].tolist() == [1, 3, 3]
    assert y.process["over_capacity"].tolist() == [True, False, False]
    assert y.free_end.tolist() == [-1, 1]


def test_refusal_appeal_and_tribunal_move_the_child_and_free_the_place() -> None:
    # Amy asks for Oak (full, must admit); the LA refuses (u=0 < p), names Elm,
    # she appeals (u=0) and wins (u=0) 30 days after the reply. Ben waits for
    # Elm (it had one place) and takes it when she leaves.
    p = sa.Problem.from_dicts({"Oak": 0, "Elm": 1}, {"amy": ["Oak"], "ben": ["Elm"]})
    always = StatusQuoSpec(refusal_at_full=1.0, appeal_probability=1.0)
    y = run_year(
        p,
        [10, 11],
        lists=[[1], [1]],
        statutory=statutory(
            [0, 1], 2, extra=[1, 0], params=always, u=[[0, 0, 0], [0.9, 0.9, 0.9]]
        ),
    )
    pr = y.process
    assert pr["request"].tolist() == [sq.Request.REFUSED, sq.Request.NO_PLACE]
    assert pr["appealed"].tolist() == [True, False]
    assert pr["tribunal"].tolist() == [sq.Tribunal.PARENT, sq.Tribunal.NONE]
    assert pr["decision_day"].tolist() == [25 + 30, -1]
    assert y.assignment.tolist() == [0, 1]
    assert y.first_day.tolist() == [25, 55]  # Ben waited for Amy's place
    assert pr["over_capacity"].tolist() == [True, False]


def test_no_batches_under_the_statutory_process() -> None:
    p = sa.Problem.from_dicts({"Oak": 2}, {"amy": ["Oak"], "ben": ["Oak"]})

    def boom(problem: sa.Problem, *, rng: Any = None) -> Any:
        raise AssertionError("no batch under the statutory process")

    y = run_year(
        p,
        [40, 40],
        transfer=[True, True],
        mechanism=boom,
        batch="monthly",
        statutory=statutory([0, 0], 1),
    )
    assert y.first_day.tolist() == [55, 55]


def test_bad_statutory_inputs_are_named() -> None:
    p = sa.Problem.from_dicts({"Oak": 1}, {"amy": ["Oak"]})
    bad = statutory([0], 1)
    with pytest.raises(ValueError, match=r"statutory\.u"):
        run_year(p, [1], statutory=_with(bad, u=np.zeros((2, 3))))
    with pytest.raises(ValueError, match=r"statutory\.wish"):
        run_year(p, [1], statutory=_with(bad, wish=np.array([3])))
    with pytest.raises(ValueError, match=r"statutory\.tribunal_days"):
        run_year(p, [1], statutory=_with(bad, tribunal_days=0))


def _with(s: Statutory, **kw: Any) -> Statutory:
    return Statutory(**{**_fields(s), **kw})


def _fields(s: Statutory) -> dict[str, Any]:
    return {f: getattr(s, f) for f in Statutory.__dataclass_fields__}


# ------------------------------------------------------------ plain reference
def reference_year(
    free0: np.ndarray,
    prefs: np.ndarray,
    lists: np.ndarray,
    arrival: list[int],
    order: list[int],
    leave_day: list[int],
    leave_setting: list[int],
    consult: int,
    s: Statutory,
) -> dict[str, list[int]]:
    """The statutory year written plainly: one priority queue of events, dicts
    of state, waiting children served first come (then processing order)."""
    n = len(arrival)
    free = [int(x) for x in free0]
    cap = [int(x) for x in s.capacity]
    posn = {c: k for k, c in enumerate(order)}
    where = [-1] * n
    status = ["new"] * n
    joined = [0] * n
    first_day = [-1] * n
    request = [-1] * n
    over = [0] * n
    appealed = [0] * n
    tribunal = [0] * n
    decided = [-1] * n
    p = s.params
    queue: list[tuple[int, int, int]] = []
    for j, d in enumerate(leave_day):
        queue.append((d, 1, j))
    for i in range(n):
        queue.append((arrival[i], 5, posn[i]))
    heapq.heapify(queue)

    def ranked(i: int) -> list[int]:
        return [int(x) for x in prefs[i] if x >= 0]

    def put(i: int, t: int, day: int) -> None:
        if status[i] == "placed":
            free[where[i]] += 1
        free[t] -= 1
        where[i] = t
        status[i] = "placed"
        over[i] = 0
        if first_day[i] < 0:
            first_day[i] = day

    def serve(t: int, day: int) -> None:
        while free[t] > 0:
            waiting = [i for i in range(n) if status[i] == "waiting" and t in ranked(i)]
            if not waiting:
                return
            put(min(waiting, key=lambda i: (joined[i], posn[i])), t, day)

    while queue:
        day, typ, ident = heapq.heappop(queue)
        if day > 365:
            break
        if typ == 1:
            t = leave_setting[ident]
            free[t] += 1
            serve(t, day)
        elif typ == 5:
            i = order[ident]
            status[i] = "consulting"
            heapq.heappush(queue, (day + consult, 2, ident))
        elif typ == 2:
            i = order[ident]
            row = [int(x) for x in lists[i] if x >= 0]
            lc = dict(zip(row, s.list_cost[i], strict=False))
            free_ones = [t for t in row if free[t] > 0]
            room = [t for t in row if free[t] > -s.extra[t]]
            c = free_ones[0] if free_ones else (room[0] if room else -1)
            r = int(s.wish[i])
            named, code = c, 0
            if r >= 0:
                if r == c:
                    code = 1
                elif free[r] <= -s.extra[r]:
                    code = 3
                else:
                    x = p[0]
                    if cap[r] > 0:
                        x += p[1] * ((cap[r] - free[r] + 1) / cap[r] - 1.0)
                    if c >= 0:
                        x += p[2] * (
                            np.log(max(s.wish_cost[i], 1.0)) - np.log(max(lc[c], 1.0))
                        )
                    with np.errstate(over="ignore"):  # exp(inf): p = 0
                        p_refuse = 1.0 / (1.0 + np.exp(-x))
                    code = 2 if s.u[i, 0] < p_refuse else 1
                if code == 1:
                    named = r
            request[i] = code
            if named >= 0:
                was_full = free[named] <= 0
                put(i, named, day)
                over[i] = int(was_full)
            else:
                status[i] = "waiting"
                joined[i] = day
            if code >= 2:
                n_, kr = s.need[i], s.kind[r]
                worse = c < 0 or s.taste[n_, s.kind[c]] < s.taste[n_, kr]
                if s.u[i, 1] < (p[4] if worse else p[3]):
                    appealed[i] = 1
                    heapq.heappush(queue, (day + s.tribunal_days, 6, ident))
        else:
            i = order[ident]
            r = int(s.wish[i])
            v = s.u[i, 2]
            res = 1 if v < p[5] else 2 if v < p[6] else 3 if v < p[7] else 4
            if res <= 2 and not (status[i] == "placed" and where[i] == r):
                if free[r] > -s.tribunal_extra[r]:
                    was_full = free[r] <= 0
                    old = where[i] if status[i] == "placed" else -1
                    put(i, r, day)
                    over[i] = int(was_full)
                    if old >= 0:
                        serve(old, day)
                else:
                    res = 3
            tribunal[i] = res
            decided[i] = day
    return {
        "assignment": [where[i] if status[i] == "placed" else -1 for i in range(n)],
        "first_day": first_day,
        "request": request,
        "over_capacity": [int(over[i] and status[i] == "placed") for i in range(n)],
        "appealed": appealed,
        "tribunal": tribunal,
        "decision_day": decided,
        "free_end": free,
    }


@st.composite
def years(draw: st.DrawFn) -> dict[str, Any]:
    m = draw(st.integers(1, 4))
    n = draw(st.integers(1, 9))
    free0 = np.array([draw(st.integers(-2, 3)) for _ in range(m)], dtype=np.int64)
    prefs = np.full((n, 3), -1, dtype=np.int64)
    lists = np.full((n, 3), -1, dtype=np.int64)
    for i in range(n):
        for row in (prefs, lists):
            ss = draw(st.lists(st.integers(0, m - 1), max_size=3, unique=True))
            row[i, : len(ss)] = ss
    arrival = [draw(st.integers(1, 365)) for _ in range(n)]
    order = list(draw(st.permutations(range(n))))
    j = draw(st.integers(0, 4))
    leave_day = [draw(st.integers(1, 365)) for _ in range(j)]
    leave_setting = [draw(st.integers(0, m - 1)) for _ in range(j)]
    shares = draw(st.lists(st.floats(0.01, 1.0), min_size=4, max_size=4))
    params = StatusQuoSpec(
        refusal_at_full=draw(st.floats(0.0, 1.0)),
        refusal_fullness_slope=draw(st.floats(0.0, 40.0)),
        refusal_cost_slope=draw(st.floats(0.0, 10.0)),
        appeal_probability=draw(st.floats(0.0, 1.0)),
        appeal_probability_worse_kind=draw(st.floats(0.0, 1.0)),
        tribunal_parent_preference=shares[0],
        tribunal_la_concedes=shares[1],
        tribunal_la_preference=shares[2],
        tribunal_other=shares[3],
    )
    extra = [draw(st.integers(0, 2)) for _ in range(m)]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    s = Statutory(
        wish=np.array([draw(st.integers(-1, m - 1)) for _ in range(n)], np.int64),
        wish_cost=rng.choice([0.0, 6000.0, 60000.0], n),
        list_cost=rng.choice([0.0, 6000.0, 60000.0], (n, 3)),
        need=rng.integers(0, 2, n).astype(np.int64),
        kind=rng.integers(0, 3, m).astype(np.int64),
        capacity=np.array([draw(st.integers(0, 6)) for _ in range(m)], np.int64),
        extra=np.array(extra, np.int64),
        tribunal_extra=np.array([e + draw(st.integers(0, 2)) for e in extra]),
        taste=rng.integers(-1, 2, (2, 3)).astype(np.float64),
        params=sq.kernel_params(params),
        u=rng.random((n, 3)),
        tribunal_days=draw(st.sampled_from([1, 30, 274])),
    )
    return {
        "free0": free0,
        "prefs": prefs,
        "lists": lists,
        "arrival": arrival,
        "order": order,
        "leave_day": leave_day,
        "leave_setting": leave_setting,
        "consult": draw(st.sampled_from([1, 15, 40])),
        "s": s,
    }


def random_case(seed: int, n: int = 30, m: int = 4) -> dict[str, Any]:
    """A year of ``n`` children over ``m`` settings, drawn with numpy."""
    g = np.random.default_rng(seed)
    rows = [g.permutation(m)[:3] for _ in range(2 * n)]
    prefs = np.array(rows[:n], dtype=np.int64)
    lists = np.array(rows[n:], dtype=np.int64)
    spec = StatusQuoSpec(refusal_at_full=0.3, appeal_probability=0.5)
    s = Statutory(
        wish=g.integers(-1, m, n).astype(np.int64),
        wish_cost=g.choice([6000.0, 60000.0], n),
        list_cost=g.choice([6000.0, 60000.0], (n, 3)),
        need=np.zeros(n, dtype=np.int64),
        kind=g.integers(0, 2, m).astype(np.int64),
        capacity=np.full(m, 5, dtype=np.int64),
        extra=np.ones(m, dtype=np.int64),
        tribunal_extra=np.full(m, 2, dtype=np.int64),
        taste=np.array([[0.0, 1.0]]),
        params=sq.kernel_params(spec),
        u=g.random((n, 3)),
        tribunal_days=40,
    )
    return {
        "free0": g.integers(-1, 3, m).astype(np.int64),
        "prefs": prefs,
        "lists": lists,
        "arrival": g.integers(1, 366, n).tolist(),
        "order": g.permutation(n).tolist(),
        "leave_day": g.integers(1, 366, 6).tolist(),
        "leave_setting": g.integers(0, m, 6).tolist(),
        "consult": 15,
        "s": s,
    }


def run_case(case: dict[str, Any], **kw: Any) -> StatutoryOutcome:
    m = case["free0"].size
    problem = sa.Problem.from_arrays(
        np.zeros(m, dtype=np.int64), case["prefs"], order=case["order"]
    )
    y = run_year(
        problem,
        case["arrival"],
        lists=case["lists"],
        free=case["free0"],
        leave_day=case["leave_day"],
        leave_setting=case["leave_setting"],
        consultation_days=case["consult"],
        statutory=case["s"],
        **kw,
    )
    assert isinstance(y, StatutoryOutcome)
    return y


@settings(max_examples=300, deadline=None)
@given(years())
def test_kernel_matches_the_plain_python_reference(case: dict[str, Any]) -> None:
    y = run_case(case)
    ref = reference_year(**case)
    pr = y.process
    assert y.assignment.tolist() == ref["assignment"]
    assert y.first_day.tolist() == ref["first_day"]
    assert y.free_end.tolist() == ref["free_end"]
    assert pr["request"].tolist() == ref["request"]
    assert pr["over_capacity"].astype(int).tolist() == ref["over_capacity"]
    assert pr["appealed"].astype(int).tolist() == ref["appealed"]
    assert pr["tribunal"].tolist() == ref["tribunal"]
    assert pr["decision_day"].tolist() == ref["decision_day"]


@settings(max_examples=300, deadline=None)
@given(years())
def test_every_child_is_accounted_for(case: dict[str, Any]) -> None:
    """Each child is placed, waiting or in consultation; codes are consistent."""
    y = run_case(case)
    pr = y.process
    R, T = sq.Request, sq.Tribunal
    a, status = y.assignment, y.status
    consulting = status == 2
    # Undecided exactly while in consultation; a decided child is placed or waits.
    assert ((pr["request"] == -1) == consulting).all()
    assert np.isin(status[~consulting], (3, 4)).all()
    assert ((a >= 0) == (status == 4)).all()
    no_wish = case["s"].wish < 0
    assert (pr["request"][no_wish & ~consulting] == R.NO_REQUEST).all()
    granted = pr["request"] == R.GRANTED
    assert (a[granted] == case["s"].wish[granted]).all()
    assert (pr["refused"] == (pr["request"] >= R.REFUSED)).all()
    assert not (pr["appealed"] & ~pr["refused"]).any()
    assert not (pr["won"] & ~pr["appealed"]).any()
    assert (a[pr["won"]] == case["s"].wish[pr["won"]]).all()
    assert ((pr["decision_day"] >= 0) == (pr["tribunal"] != T.NONE)).all()
    # Places balance: free at the end = free at the start + leavers - placed.
    m = case["free0"].size
    placed = np.bincount(a[a >= 0], minlength=m)
    left = np.bincount(np.asarray(case["leave_setting"], int), minlength=m)
    assert (y.free_end == case["free0"] + left - placed).all()


@settings(max_examples=300, deadline=None)
@given(years())
def test_over_capacity_namings_never_exceed_the_tolerance(case: dict[str, Any]) -> None:
    """No naming takes a setting below -tribunal_extra free places (-extra for
    the LA's, 0 where it need not admit), unless it started lower: a theorem
    (each place taken needs free > -tolerance; free never falls otherwise)."""
    s = case["s"]
    # Leavers only raise free places, so check the year without them too,
    # where the bound is tightest.
    for c in (case, {**case, "leave_day": [], "leave_setting": []}):
        y = run_case(c)
        assert (y.free_end >= np.minimum(c["free0"], -s.tribunal_extra)).all()
    # No appeals: the LA's tolerance bounds everything.
    u = s.u.copy()
    u[:, 1] = 1.0
    no_appeal = Statutory(**{**_fields(s), "u": u})
    y = run_case({**case, "s": no_appeal, "leave_day": [], "leave_setting": []})
    assert not y.process["appealed"].any()
    assert (y.free_end >= np.minimum(case["free0"], -s.extra)).all()


@settings(max_examples=200, deadline=None)
@given(years())
def test_without_refusal_and_fullness_every_request_is_named(
    case: dict[str, Any],
) -> None:
    """Refusal never happens and every setting has room for everyone: each
    parent gets the setting they asked for, at the LA's reply."""
    s, n = case["s"], len(case["arrival"])
    never = StatusQuoSpec(refusal_at_full=0.0)
    roomy = Statutory(**{**_fields(s), "params": sq.kernel_params(never)})
    free0 = np.full(case["free0"].size, n, dtype=np.int64)
    y = run_case({**case, "s": roomy, "free0": free0})
    decided = y.process["request"] >= 0
    has = s.wish >= 0
    assert (y.assignment[decided & has] == s.wish[decided & has]).all()
    assert not y.process["refused"].any()
    assert not y.process["over_capacity"].any()
    late = np.asarray(case["arrival"]) + case["consult"] > 365
    assert (decided == ~late).all()
    reply = np.asarray(case["arrival"]) + case["consult"]
    assert (y.first_day[decided & has] == reply[decided & has]).all()


def test_compiled_kernel_matches_its_python_source(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for seed in range(3):
        case = random_case(seed)
        a = run_case(case, trace=True)
        with monkeypatch.context() as mp:
            mp.setattr(events_module, "_year_kernel", year_kernel.py_func)
            b = run_case(case, trace=True)
        assert a.process["request"].size == 30
        for f in ("assignment", "first_day", "free_end", "status", "trace"):
            np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
        for k in a.process:
            np.testing.assert_array_equal(a.process[k], b.process[k])


# ----------------------------------------------------------------- the policy
IN_YEAR = sa.load_scenario("london_borough").with_overrides({"mode": "in_year"})


def test_simulate_in_year_runs_status_quo_beside_a_mechanism() -> None:
    r = sa.simulate(IN_YEAR, ["status_quo", "first_available"], runs=3, seed=2)
    assert r.metrics == DYNAMIC_METRICS + IN_YEAR_PROCESS_METRICS
    s = r.summary()
    for m in IN_YEAR_PROCESS_METRICS[1:-1]:  # today's process only
        assert np.isnan(s.get("first_available", m)["mean"])
        assert 0.0 <= s.get("status_quo", m)["mean"] <= 1.0
    for pol in ("status_quo", "first_available"):  # every policy
        assert 0.0 < s.get(pol, "plans_within_20_weeks")["mean"] < 1.0
    assert s.get("status_quo", "request_refused")["mean"] > 0
    assert s.get("status_quo", "named_over_capacity")["mean"] > 0
    # Everyone waits for the LA's reply: nobody is named on the plan's day.
    assert s.get("status_quo", "placed_by_deadline")["mean"] == 0.0
    assert s.get("status_quo", "waited")["mean"] == 1.0


def test_adding_status_quo_leaves_the_mechanisms_in_year_numbers_alone() -> None:
    alone = sa.simulate(IN_YEAR, ["first_available"], runs=3, seed=4)
    beside = sa.simulate(IN_YEAR, ["status_quo", "first_available"], runs=3, seed=4)
    k = len(DYNAMIC_METRICS)
    np.testing.assert_array_equal(beside.values[:, 1:, :k], alone.values)
    for g in alone.groups:
        np.testing.assert_array_equal(beside.groups[g][:, 1:], alone.groups[g])


def test_same_seed_same_bytes_on_one_and_two_workers() -> None:
    mechs = ["status_quo", "first_available"]
    a = sa.simulate(IN_YEAR, mechs, runs=4, seed=3)
    with ProcessPoolExecutor(2) as ex:
        b = sa.simulate(IN_YEAR, mechs, runs=4, seed=3, executor=ex, chunk_size=1)
    assert a.to_json() == b.to_json()


def test_process_draws_come_from_their_own_stream() -> None:
    """The tier-2 inputs: the instance's request and costs, its own uniforms."""
    inst = IN_YEAR.sample(0)
    plans = resolve_plans(IN_YEAR, inst.settings)
    cap = initial_places(inst.settings, plans).cap
    a = statutory_inputs(inst, inst.status_quo, cap, np.random.default_rng(1))
    b = statutory_inputs(inst, inst.status_quo, cap, np.random.default_rng(1))
    np.testing.assert_array_equal(a.u, b.u)
    np.testing.assert_array_equal(a.wish, inst.wish)
    la, tribunal = sq.extra_places(inst.settings, inst.status_quo, cap)
    np.testing.assert_array_equal(a.extra, la)
    np.testing.assert_array_equal(a.tribunal_extra, tribunal)
    assert (tribunal >= la).all()
    assert (la > 0).any()
    assert a.tribunal_days == round(inst.status_quo.appeal_days)
