"""Today's statutory process (status_quo): hand-worked rounds, properties, a
plain-Python reference, and the policy beside the mechanisms."""

from __future__ import annotations

import dataclasses
import math
from types import SimpleNamespace as NS
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reference
import sendalloc as sa
from sendalloc import status_quo as sq
from sendalloc.metrics import METRICS, PROCESS_METRICS, process_values
from sendalloc.population import KINDS
from sendalloc.scenario import StatusQuoSpec

K = {k: i for i, k in enumerate(KINDS)}
#: Nothing random: refusal, appeal and the tribunal as the test sets them.
NEVER = {"refusal_at_full": 0.0, "appeal_probability": 0.0}


#: The must-admit kinds without the independent sector: an independent school
#: that is not approved under s41 (or a user's reading of the law) admits only
#: with a free place.
STATE_ONLY = ("mainstream", "resourced_provision", "special", "alternative_provision")


def spec(**kw: Any) -> StatusQuoSpec:
    return StatusQuoSpec(**{"appeal_probability_worse_kind": 0.0, **NEVER, **kw})


def hand(
    places: list[tuple[str, int, int, float]],
    children: list[tuple[int, list[int]]],
    *,
    params: StatusQuoSpec,
    order: list[int] | None = None,
    taste: np.ndarray | None = None,
    plan_day: list[int] | None = None,
) -> NS:
    """A stand-in round: places are (kind, capacity, roll, cost); children are
    (wish, tailored list in the LA's order); every distance 1 km."""
    m, n = len(places), len(children)
    kinds = [p[0] for p in places]
    cap = np.array([p[1] for p in places])
    roll = np.array([p[2] for p in places])
    settings_ = sa.Settings.from_columns(
        id=[f"s{j}" for j in range(m)],
        kind=kinds,
        min_age=[4] * m,
        max_age=[18] * m,
        capacity=cap,
        on_roll=roll,
        x_km=[0.0] * m,
        y_km=[0.0] * m,
        cost=[p[3] for p in places],
    )
    width = max(1, max(len(lst) for _, lst in children))
    lists = np.full((n, width), -1, dtype=np.int32)
    for i, (_, lst) in enumerate(children):
        lists[i, : len(lst)] = lst
    free = np.maximum(cap - roll, 0).astype(np.int32)
    problem = sa.Problem.from_arrays(
        free, lists, order=np.arange(n) if order is None else np.array(order)
    )
    return NS(
        problem=problem,
        children=NS(
            need=np.zeros(n, dtype=np.int8),
            phase=np.ones(n, dtype=np.int8),
            plan_day=np.array(plan_day or [10] * n),
            x_km=np.zeros(n),
            y_km=np.ones(n),
        ),
        settings=settings_,
        lists=lists,
        wish=np.array([w for w, _ in children], dtype=np.int32),
        off_list_wish=np.zeros(n, dtype=bool),
        distance_km=np.where(lists >= 0, 1.0, np.nan),
        fallback=False,
        transport_cost_per_km=0.0,
        roll=roll,
        kind_taste=np.zeros((13, 7)) if taste is None else taste,
        status_quo=params,
    )


def with_(inst: NS, **kw: Any) -> NS:
    return NS(**{**vars(inst), **kw})


# ------------------------------------------------------------------ hand-worked
def test_full_maintained_special_school_is_named_over_capacity() -> None:
    # A special school with 10 places and 10 pupils (no free place), and an
    # independent school with a free place that the LA would name.
    inst = hand(
        [("special", 10, 10, 25000.0), ("independent_special", 5, 2, 60000.0)],
        [(0, [1, 0]), (0, [1, 0])],
        params=spec(over_capacity_tolerance=0.1),  # room for 1 beyond 10
    )
    out = sq.place(inst, rng=0)
    assert out.day.tolist() == [0, 1]
    assert [sq.Request(c) for c in out.request] == [
        sq.Request.GRANTED,  # named over capacity: a maintained school must admit
        sq.Request.NO_PLACE,  # the tolerance is used up
    ]
    assert out.over_capacity_on_day.tolist() == [True, False]
    assert out.refused.tolist() == [False, True]
    values = process_values(inst, out.final).tolist()
    v = dict(zip(PROCESS_METRICS, values, strict=True))
    assert v["special_over_capacity"] == 1.0
    assert v["pupils_over_capacity_special"] == 1.0
    assert v["special_places_over"] == pytest.approx(0.1)


def test_independent_school_refuses_when_full() -> None:
    # Never refused by the LA; the independent school (not one that must
    # admit here) has no free place.
    inst = hand(
        [("independent_special", 5, 5, 60000.0), ("mainstream", 30, 10, 6000.0)],
        [(0, [0, 1])],
        params=spec(over_capacity_tolerance=1.0, must_admit_kinds=STATE_ONLY),
    )
    out = sq.place(inst, rng=0)
    assert out.request.tolist() == [sq.Request.NO_PLACE]
    assert out.day.tolist() == [1]  # the LA's own choice
    assert not out.over_capacity_on_day.any()
    # With one free place it admits.
    roomy = hand(
        [("independent_special", 5, 4, 60000.0), ("mainstream", 30, 10, 6000.0)],
        [(0, [0, 1])],
        params=spec(),
    )
    assert sq.place(roomy, rng=0).day.tolist() == [0]
    # Unless the must-admit kinds say it must (a user's choice of law).
    forced = hand(
        [("independent_special", 5, 5, 60000.0), ("mainstream", 30, 10, 6000.0)],
        [(0, [0, 1])],
        params=spec(
            over_capacity_tolerance=1.0,
            must_admit_kinds=("mainstream", "independent_special"),
        ),
    )
    assert sq.place(forced, rng=0).day.tolist() == [0]
    # By default (s43) a named s41 independent school must admit.
    s43 = hand(
        [("independent_special", 5, 5, 60000.0), ("mainstream", 30, 10, 6000.0)],
        [(0, [0, 1])],
        params=spec(over_capacity_tolerance=1.0),
    )
    assert sq.place(s43, rng=0).day.tolist() == [0]


def test_refusal_then_a_won_appeal() -> None:
    # The parent asks for a special school off the list; the LA always refuses,
    # names mainstream (a kind this parent likes less), the parent appeals and
    # the tribunal finds for them 163 days after the plan.
    taste = np.zeros((13, 7))
    taste[:, K["special"]] = 1.0
    params = spec(
        refusal_at_full=1.0,
        appeal_probability_worse_kind=1.0,
        tribunal_parent_preference=1.0,
        tribunal_la_concedes=0.0,
        tribunal_la_preference=0.0,
        tribunal_other=0.0,
        appeal_days=153.0,
    )
    inst = hand(
        [("mainstream", 30, 10, 6000.0), ("special", 100, 50, 25000.0)],
        [(1, [0])],
        params=params,
        taste=taste,
    )
    out = sq.place(inst, rng=0)
    assert out.request.tolist() == [sq.Request.REFUSED]
    assert out.day.tolist() == [0]
    assert out.appealed.tolist() == [True]
    assert out.tribunal.tolist() == [sq.Tribunal.PARENT]
    assert out.won.tolist() == [True]
    assert out.final.tolist() == [1]
    assert out.decision_day.tolist() == [163]
    # The LA's preference: the LA's choice stands.
    lose = dataclasses.replace(
        params, tribunal_parent_preference=0.0, tribunal_la_preference=1.0
    )
    out = sq.place(with_(inst, status_quo=lose), rng=0)
    assert out.tribunal.tolist() == [sq.Tribunal.LA]
    assert out.final.tolist() == [0]
    # A parent who likes the LA's choice as well appeals at the lower propensity.
    same = dataclasses.replace(params, appeal_probability_worse_kind=0.0)
    out = sq.place(with_(inst, kind_taste=np.zeros((13, 7))), params=same)
    assert not out.appealed.any()


def test_tribunal_cannot_name_a_school_with_no_place() -> None:
    params = spec(
        refusal_at_full=1.0,
        appeal_probability=1.0,
        tribunal_parent_preference=1.0,
        tribunal_la_concedes=0.0,
        tribunal_la_preference=0.0,
        tribunal_other=0.0,
        must_admit_kinds=STATE_ONLY,
    )
    inst = hand(
        [("mainstream", 30, 10, 6000.0), ("independent_special", 10, 10, 60000.0)],
        [(1, [0])],
        params=params,
    )
    out = sq.place(inst, rng=0)
    assert out.request.tolist() == [sq.Request.NO_PLACE]
    assert out.tribunal.tolist() == [sq.Tribunal.LA]
    assert out.final.tolist() == [0]
    # The tribunal's tolerance, wider than the LA's, lets it name a full
    # special school the LA would not.
    inst = hand(
        [("mainstream", 30, 10, 6000.0), ("special", 10, 10, 25000.0)],
        [(1, [0])],
        params=dataclasses.replace(
            params, over_capacity_tolerance=0.0, tribunal_tolerance=0.1
        ),
    )
    out = sq.place(inst, rng=0)
    assert out.request.tolist() == [sq.Request.NO_PLACE]
    assert out.final.tolist() == [1]
    assert out.over_capacity.tolist() == [True]


def test_no_wish_gets_the_las_choice_over_capacity_when_nothing_is_free() -> None:
    inst = hand(
        [("special", 10, 10, 25000.0), ("independent_special", 5, 5, 6e4)],
        [(-1, [1, 0]), (-1, [1, 0]), (-1, [1])],
        params=spec(over_capacity_tolerance=0.1),
    )
    out = sq.place(inst, rng=0)
    assert out.request.tolist() == [sq.Request.NO_REQUEST] * 3
    assert out.day.tolist() == [0, -1, -1]
    assert out.over_capacity.tolist() == [True, False, False]
    assert not out.appealed.any()


def test_refusal_rises_with_fullness_and_cost() -> None:
    """The share refused, over many children, follows the logistic."""

    def refused(roll: int, cost: float) -> float:
        kids = [(1, [0, 1])] * 400
        inst = hand(
            [("mainstream", 10_000, 0, 6000.0), ("special", 1000, roll, cost)],
            kids,
            params=spec(
                refusal_at_full=0.5,
                refusal_fullness_slope=10.0,
                refusal_cost_slope=2.0,
            ),
        )
        out = sq.place(inst, rng=1)
        return float(out.refused.mean())

    # 400 children take the school from `roll` to `roll + 400` of 1000 places.
    low, high = refused(100, 6000.0), refused(500, 6000.0)
    assert low < 0.01 < 0.05 < high
    # Costlier: ln(6000 e / 6000) = 1, two log-odds more.
    assert refused(500, 6000.0 * math.e) > high + 0.1


# ------------------------------------------------------------------- properties
@st.composite
def rounds(draw: st.DrawFn) -> tuple[NS, StatusQuoSpec, int]:
    m = draw(st.integers(1, 6))
    places = []
    for _ in range(m):
        kind = draw(st.sampled_from((*KINDS[:5], "post16")))
        cap = draw(st.integers(0, 6))
        roll = draw(st.integers(0, cap + 3))
        cost = draw(st.sampled_from([0.0, 6000.0, 25000.0, 60000.0]))
        places.append((kind, cap, roll, cost))
    n = draw(st.integers(1, 14))
    children = []
    for _ in range(n):
        lst = draw(st.lists(st.integers(0, m - 1), max_size=4, unique=True))
        wish = draw(st.integers(-1, m - 1))
        children.append((wish, lst))
    order = draw(st.permutations(range(n)))
    shares = draw(st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4))
    if sum(shares) <= 0:
        shares = [0.0, 0.0, 0.0, 1.0]
    params = StatusQuoSpec(
        refusal_at_full=draw(st.floats(0.0, 1.0)),
        refusal_fullness_slope=draw(st.floats(0.0, 40.0)),
        refusal_cost_slope=draw(st.floats(0.0, 10.0)),
        over_capacity_tolerance=draw(st.sampled_from([0.0, 0.1, 0.5, 2.0])),
        tribunal_tolerance=draw(st.sampled_from([0.0, 0.2, 1.0])),
        appeal_probability=draw(st.floats(0.0, 1.0)),
        appeal_probability_worse_kind=draw(st.floats(0.0, 1.0)),
        tribunal_parent_preference=shares[0],
        tribunal_la_concedes=shares[1],
        tribunal_la_preference=shares[2],
        tribunal_other=shares[3],
    )
    taste = np.asarray(
        draw(st.lists(st.integers(-1, 1), min_size=13 * 7, max_size=13 * 7)), float
    ).reshape(13, 7)
    inst = hand(
        places,
        children,
        params=params,
        order=list(order),
        taste=taste,
        plan_day=[draw(st.integers(1, 365)) for _ in range(n)],
    )
    return inst, params, draw(st.integers(0, 2**32 - 1))


def _limits(inst: NS, params: StatusQuoSpec, tol: float) -> np.ndarray:
    cap = np.asarray(inst.settings.capacity)
    must = sq.must_admit(inst.settings, params)
    limit = np.where(must, cap + np.floor(tol * cap).astype(np.int64), cap)
    return np.maximum(limit, inst.roll)


@settings(max_examples=300, deadline=None)
@given(rounds())
def test_every_child_is_accounted_for(case: tuple[NS, StatusQuoSpec, int]) -> None:
    inst, _, seed = case
    out = sq.place(inst, rng=seed)
    n = inst.problem.n_children
    R, T = sq.Request, sq.Tribunal
    codes = out.request
    assert set(codes.tolist()) <= set(R)
    assert ((codes == R.NO_REQUEST) == (out.requested < 0)).all()
    assert (out.day[out.granted] == out.requested[out.granted]).all()
    assert (out.day[out.refused] != out.requested[out.refused]).all()
    assert int(out.granted.sum() + out.refused.sum() + (codes == 0).sum()) == n
    # Only a refused parent appeals; an appeal ends one way or another.
    assert not (out.appealed & ~out.refused).any()
    assert ((out.tribunal != T.NONE) == out.appealed).all()
    assert (out.final[~out.appealed] == out.day[~out.appealed]).all()
    assert (out.final[out.won] == out.requested[out.won]).all()
    lost = out.appealed & ~out.won
    assert (out.final[lost] == out.day[lost]).all()
    assert ((out.decision_day >= 0) == out.appealed).all()
    # Every placement is a setting on the list or the one requested.
    for i in range(n):
        for s in (int(out.day[i]), int(out.final[i])):
            assert s == -1 or s in inst.lists[i] or s == out.requested[i]


@settings(max_examples=300, deadline=None)
@given(rounds())
def test_no_setting_exceeds_capacity_plus_tolerance(
    case: tuple[NS, StatusQuoSpec, int],
) -> None:
    inst, params, seed = case
    out = sq.place(inst, rng=seed)
    m = inst.problem.n_settings
    free = inst.problem.capacity.astype(np.int64)
    cap = np.asarray(inst.settings.capacity)
    for placed, tol in (
        (out.day, params.over_capacity_tolerance),
        (out.final, max(params.over_capacity_tolerance, params.tribunal_tolerance)),
    ):
        taken = np.bincount(placed[placed >= 0], minlength=m)
        assert (inst.roll + taken <= _limits(inst, params, tol)).all()
        must = sq.must_admit(inst.settings, params)
        assert (taken[~must] <= free[~must]).all()
    # On the day, the children named over capacity are those beyond the free
    # places (nobody has left yet).
    day = np.bincount(out.day[out.day >= 0], minlength=m)
    flagged = np.bincount(out.day[out.over_capacity_on_day], minlength=m)
    assert (flagged == np.maximum(day - free, 0)).all()
    # After appeals, a setting's over-capacity children never exceed its excess.
    final = np.bincount(out.final[out.final >= 0], minlength=m)
    flagged = np.bincount(out.final[out.over_capacity], minlength=m)
    excess = np.maximum(inst.roll + final - np.maximum(cap, inst.roll), 0)
    assert (flagged >= excess).all()


@settings(max_examples=200, deadline=None)
@given(rounds())
def test_without_refusal_and_with_unlimited_tolerance_every_wish_is_met(
    case: tuple[NS, StatusQuoSpec, int],
) -> None:
    inst, params, seed = case
    params = dataclasses.replace(
        params,
        refusal_at_full=0.0,
        over_capacity_tolerance=100.0,
        must_admit_kinds=KINDS,
        specialist_post16_must_admit=True,
    )
    cap = np.asarray(inst.settings.capacity)
    out = sq.place(inst, rng=seed, params=params)
    wants = out.requested >= 0
    # (a setting with no places at all cannot take anyone beyond them)
    possible = wants & (cap[np.maximum(out.requested, 0)] > 0)
    assert (out.day[possible] == out.requested[possible]).all()
    assert not out.appealed[possible].any()


@settings(max_examples=300, deadline=None)
@given(rounds())
def test_kernels_match_the_plain_python_reference(
    case: tuple[NS, StatusQuoSpec, int],
) -> None:
    inst, params, seed = case
    out = sq.place(inst, rng=seed)
    a = sq.prepare(inst, params)
    u = np.random.default_rng(seed).random((inst.problem.n_children, 3))
    want = reference.status_quo(
        order=a.order.tolist(),
        wish=a.wish.tolist(),
        lists=a.lists.tolist(),
        list_cost=a.list_cost.tolist(),
        wish_cost=a.wish_cost.tolist(),
        need=a.need.tolist(),
        kind=a.kind.tolist(),
        capacity=a.capacity.tolist(),
        roll=np.asarray(inst.roll).tolist(),
        must_admit=sq.must_admit(inst.settings, params).tolist(),
        tolerance=params.over_capacity_tolerance,
        tribunal_tolerance=params.tribunal_tolerance,
        taste=a.taste.tolist(),
        refusal_at_full=params.refusal_at_full,
        fullness_slope=params.refusal_fullness_slope,
        cost_slope=params.refusal_cost_slope,
        appeal_same=params.appeal_probability,
        appeal_worse=params.appeal_probability_worse_kind,
        shares=params.tribunal_shares().tolist(),
        u=u.tolist(),
    )
    assert out.day.tolist() == want["day"]
    assert out.final.tolist() == want["final"]
    assert out.request.tolist() == want["request"]
    assert out.over_capacity_on_day.tolist() == want["over_day"]
    assert out.over_capacity.tolist() == want["over"]
    assert out.appealed.tolist() == want["appealed"]
    assert out.tribunal.tolist() == want["tribunal"]


def test_compiled_kernels_match_their_python_source() -> None:
    inst = sa.load_scenario("london_borough").sample(3)
    params = dataclasses.replace(inst.status_quo, appeal_probability=0.5)
    a = sq.prepare(inst, params)
    n = a.wish.shape[0]
    u = np.random.default_rng(4).random((n, 3))
    outs = []
    for req, app in (
        (sq.request_kernel, sq.appeal_kernel),
        (sq.request_kernel.py_func, sq.appeal_kernel.py_func),  # type: ignore[attr-defined]
    ):
        free, over_used = a.free.copy(), a.over_used.copy()
        placed = np.full(n, -1, np.int64)
        code = np.zeros(n, np.int8)
        over = np.zeros(n, np.bool_)
        appealed = np.zeros(n, np.bool_)
        req(a.order, a.wish, a.lists, a.list_cost, a.wish_cost, a.need, a.kind,
            a.capacity, a.base, a.room, a.taste, a.params, u, free, over_used,
            placed, code, over, appealed)  # fmt: skip
        tribunal = np.zeros(n, np.int8)
        app(a.order[appealed[a.order]], a.wish, a.capacity, a.base,
            a.tribunal_room, a.params, u, free, over_used, placed, over,
            tribunal)  # fmt: skip
        outs.append((placed, code, over, appealed, tribunal, free, over_used))
    assert outs[0][3].sum() > 0  # some appeals were decided
    for x, y in zip(*outs, strict=True):
        np.testing.assert_array_equal(x, y)


def test_same_seed_same_outcome() -> None:
    inst = sa.load_scenario("london_borough").sample(5)
    a, b = sq.place(inst, rng=9), sq.place(inst, rng=9)
    for name, col in a.columns().items():
        np.testing.assert_array_equal(col, b.columns()[name], err_msg=name)
    c = sq.place(inst, rng=10)
    assert not all(
        np.array_equal(col, c.columns()[name]) for name, col in a.columns().items()
    )


def test_outcome_is_read_only_and_has_a_repr() -> None:
    out = sq.place(sa.load_scenario("london_borough").sample(5), rng=1)
    with pytest.raises(ValueError, match="read-only"):
        out.final[0] = 3
    assert repr(out).startswith("StatusQuoOutcome(children=")


def test_place_checks_params() -> None:
    inst = sa.load_scenario("london_borough").sample(5)
    with pytest.raises(TypeError, match="params: expected a StatusQuoSpec, got dict"):
        sq.place(inst, params={"refusal_at_full": 0.1})  # type: ignore[arg-type]


def test_kernel_params() -> None:
    p = sq.kernel_params(StatusQuoSpec(refusal_at_full=1.0, tribunal_other=0.0))
    assert p[0] == math.inf
    assert p[5:].tolist() == pytest.approx([0.31 / 0.68, 0.55 / 0.68, 1.0])
    assert len(p) == len(sq.PARAMS)


# ------------------------------------------------------------ the [status_quo] keys
def test_section_is_read_checked_and_overridable() -> None:
    sc = sa.load_scenario("county")
    assert sc.status_quo == sc.sample(0).status_quo
    moved = sc.with_overrides({"status_quo.refusal_at_full": 0.6})
    assert moved.status_quo.refusal_at_full == 0.6
    assert sa.Scenario.from_dict(moved.to_dict()) == moved
    assert "status_quo.refusal_at_full" not in moved.citations
    assert "status_quo.appeal_days" in moved.citations
    with pytest.raises(sa.InvalidScenarioError, match=r"status_quo.refusal_at_full"):
        sc.with_overrides({"status_quo.refusal_at_full": 1.5})
    with pytest.raises(sa.InvalidScenarioError, match="tribunal_\\* shares are all 0"):
        sc.with_overrides(
            {
                f"status_quo.tribunal_{k}": 0.0
                for k in ("parent_preference", "la_concedes", "la_preference", "other")
            }
        )
    with pytest.raises(sa.InvalidScenarioError, match=r"must_admit_kinds\.1"):
        sc.with_overrides({"status_quo.must_admit_kinds": ["special", "school"]})
    with pytest.raises(sa.InvalidScenarioError, match=r"status_quo\.typo: unknown key"):
        sc.with_overrides({"status_quo.typo": 1})


# ------------------------------------------------------------------- the policy
def test_simulate_runs_status_quo_beside_the_mechanisms() -> None:
    sc = "london_borough"
    r = sa.simulate(sc, ["status_quo", "first_available", "boston"], runs=6, seed=2)
    assert r.metrics == METRICS + PROCESS_METRICS
    s = r.summary()
    for m in ("request_refused", "appealed", "appeal_won"):
        assert s.get("status_quo", m)["mean"] >= 0
        assert math.isnan(s.get("first_available", m)["mean"])
    assert s.get("first_available", "named_over_capacity")["mean"] == 0.0
    assert s.get("status_quo", "favourite_on_day")["mean"] > 0.5
    # The fallback belongs to the mechanisms: the LA's choice is a step of the
    # process, so status_quo places nobody "by the fallback".
    assert s.get("status_quo", "placed_by_fallback")["mean"] == 0.0
    assert "status quo" in r.table()
    # Today's process is named beside the proposal in the headline.
    assert "under today's statutory process" in r.headline()


def test_adding_status_quo_leaves_the_mechanisms_numbers_alone() -> None:
    """Common random numbers: the mechanisms see the same rounds and draws."""
    mechs = ["random_serial_dictatorship", "first_available"]
    alone = sa.simulate("london_borough", mechs, runs=5, seed=7)
    beside = sa.simulate("london_borough", ["status_quo", *mechs], runs=5, seed=7)
    k = len(METRICS)
    np.testing.assert_array_equal(beside.values[:, 1:, :k], alone.values)
    np.testing.assert_array_equal(beside.rank_profile[:, 1:], alone.rank_profile)
    for g in alone.groups:
        np.testing.assert_array_equal(beside.groups[g][:, 1:], alone.groups[g])


def test_simulation_with_status_quo_is_reproducible() -> None:
    mechs = ["status_quo", "first_available"]
    a = sa.simulate("london_borough", mechs, runs=6, seed=3)
    b = sa.simulate("london_borough", mechs, runs=6, seed=3, chunk_size=1)
    assert a.to_json() == b.to_json()


def test_status_quo_is_found_in_one_guess() -> None:
    assert "status_quo" in sa.POLICIES
    assert "status_quo" not in sa.MECHANISMS
    p = sa.Problem.from_lists([1], [[0]])
    with pytest.raises(ValueError, match=r"sa\.simulate\(scenario, \['status_quo'"):
        sa.allocate(p, "status_quo")
    with pytest.raises(ValueError, match="policies: status_quo"):
        sa.simulate("london_borough", ["status_qou"], runs=1)
    with pytest.raises(ValueError, match="not a mechanism"):
        sa.POLICIES["status_quo"].allocate(p)


def test_status_quo_in_multi_year_is_a_clear_error() -> None:
    sc = sa.load_scenario("london_borough").with_overrides({"mode": "multi_year"})
    with pytest.raises(ValueError, match="status_quo runs in the annual and in_year"):
        sa.simulate(sc, ["status_quo"], runs=1)


def test_sweep_with_status_quo() -> None:
    res = sa.sweep(
        "london_borough",
        {"status_quo.refusal_at_full": [0.0, 1.0]},
        mechanisms=["status_quo", "first_available"],
        runs=3,
        seed=1,
    )
    refused = [
        res.get({"status_quo.refusal_at_full": v}, "status_quo", "request_refused")
        for v in (0.0, 1.0)
    ]
    assert refused[0]["mean"] < refused[1]["mean"]
    metrics = {r["metric"] for r in res.rows()}
    assert set(PROCESS_METRICS) <= metrics


def test_cli_runs_status_quo(capsys: pytest.CaptureFixture[str]) -> None:
    from sendalloc.cli import main

    code = main(
        [
            "run",
            "london_borough",
            "--mechanisms",
            "status_quo,first_available",
            "--runs",
            "3",
            "--no-progress",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "status quo" in out
    assert "request refused %" in out
    assert main(["run", "london_borough", "-m", "status_qo", "--no-progress"]) == 2
    assert "policies: status_quo" in capsys.readouterr().err


def test_cli_runs_status_quo_on_worker_processes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The pool compiles the mechanisms' kernels first; status_quo is not one."""
    from sendalloc.cli import main

    args = ["run", "london_borough", "-m", "status_quo", "-m", "first_available"]
    code = main([*args, "--runs", "4", "--workers", "2", "--no-progress"])
    assert code == 0, capsys.readouterr().err
    assert "request refused %" in capsys.readouterr().out


def test_defaults_hold_status_quo_only_in_the_modes_it_runs_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sendalloc._engine import policies

    def names(modes: tuple[str, ...]) -> list[str]:
        return [p.name for p in policies.default_policies(modes)]

    assert names(("annual",))[:2] == ["status_quo", "first_available"]
    assert names(("in_year",))[:2] == ["status_quo", "first_available"]
    # Today's process does not run multi-year (yet): those defaults go without it.
    assert "status_quo" not in names(("multi_year",))
    assert "status_quo" not in names(("annual", "multi_year"))  # a sweep over both
    sc = sa.load_scenario("london_borough").with_overrides(
        {"mode": "multi_year", "dynamics.years": 2}
    )
    r = sa.simulate(sc, runs=1, seed=1)
    assert r.mechanisms[0] == "first_available"
    assert "status_quo" not in r.mechanisms
    # ... and picks it up once its policy runs there.
    cls = type(sa.POLICIES["status_quo"])
    monkeypatch.setattr(cls, "modes", ("annual", "in_year", "multi_year"))
    assert names(("multi_year",))[:2] == ["status_quo", "first_available"]
