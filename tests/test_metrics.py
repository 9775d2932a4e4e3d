"""Every metric on a hand-worked instance; expected values worked out in comments.

The instance (N = 5 children, M = 3 settings, processing order 0..4):

    setting  kind                    free places  cost/place
    A = 0    mainstream (0)          1            10,000
    B = 1    special (2)             1            25,000
    C = 2    independent_special (4) 3            60,000

    child need(idx)  phase(idx)    tailored list (LA order)  ranking   distances km
    c0    ASD (0)    primary (1)   [B, A, C]                 [B, A]    [2, 1, 10]
    c1    ASD (0)    primary (1)   [B, C]                    [B, C]    [3, 12]
    c2    SEMH (2)   secondary (2) [A, C, B]                 [B]       [1, 9, 4]
    c3    SEMH (2)   secondary (2) [A]                       [A]       [2]
    c4    SLCN (1)   secondary (2) []                        []        []

    priorities: A ranks [c3, c0]; B ranks [c2, c0, c1]; C ranks [c1]
    favourite off the list: c1 and c4.   ages: 6, 9, 12, 13, 14.
    transport: 100 GBP per km a year for a child the LA transports: at a
    specialist setting (B, C) beyond the walking distance (3.2 km under 8,
    4.8 km from 8), and half of those within it; none at A (mainstream).

first_available (order 0..4, ignores priorities):
    c0 -> B (rank 0); c1 -> B full -> C (rank 1); c2 -> B full -> unplaced;
    c3 -> A (rank 0); c4 ranked nothing -> unplaced.
    stage 1 = [B, C, -1, A, -1]; free after it: A 0, B 0, C 2.
LA fallback (unplaced in order, first free setting on the list in LA order):
    c2: A full, C free -> C.  c4: empty list -> unplaced.
    final = [B, C, C, A, -1].
Justified envy (stage 1): c2 is unplaced, ranks B, and B holds c0 whom B ranks
    below c2 -> envy. c1 at rank 1 would prefer B, but B ranks c1 below c0 -> none.
"""

from __future__ import annotations

from types import SimpleNamespace as NS

import numpy as np
import pytest

import sendalloc as sa
from sendalloc.metrics import GROUP_METRICS, METRICS, evaluate, la_fallback

A, B, C = 0, 1, 2


def make_instance(fallback: bool = True) -> NS:
    problem = sa.Problem.from_lists(
        [1, 1, 3],
        [[B, A], [B, C], [B], [A], []],
        priorities=[[3, 0], [2, 0, 1], [1]],
    )
    children = NS(
        need=np.array([0, 0, 2, 2, 1], dtype=np.int8),
        phase=np.array([1, 1, 2, 2, 2], dtype=np.int8),
        age=np.array([6, 9, 12, 13, 14]),
        x_km=np.zeros(5),
        y_km=np.zeros(5),
    )
    settings = NS(
        kind=np.array([0, 2, 4], dtype=np.int8),
        cost=np.array([10_000.0, 25_000.0, 60_000.0]),
        x_km=np.zeros(3),
        y_km=np.zeros(3),
        specialist=np.array([False, True, True]),
    )
    nan = np.nan
    return NS(
        problem=problem,
        children=children,
        settings=settings,
        lists=np.array(
            [[B, A, C], [B, C, -1], [A, C, B], [A, -1, -1], [-1, -1, -1]],
            dtype=np.int32,
        ),
        distance_km=np.array(
            [[2, 1, 10], [3, 12, nan], [1, 9, 4], [2, nan, nan], [nan, nan, nan]],
            dtype=float,
        ),
        off_list_wish=np.array([False, True, False, False, True]),
        fallback=fallback,
        transport_cost_per_km=100.0,
        transport_within_walking=0.5,
    )


@pytest.fixture
def outcome() -> sa.metrics.Outcome:
    inst = make_instance()
    return evaluate(inst, sa.allocate(inst.problem, "first_available"))


def test_fallback_stage() -> None:
    inst = make_instance()
    a = sa.allocate(inst.problem, "first_available")
    assert a.assignment.tolist() == [B, C, -1, A, -1]
    assert la_fallback(inst, a).tolist() == [B, C, C, A, -1]


def test_scalar_metrics(outcome: sa.metrics.Outcome) -> None:
    v = outcome.as_dict()
    assert list(v) == list(METRICS)
    expected = {
        "first_preference": 2 / 5,  # c0 (B), c3 (A)
        "top3_preference": 3 / 5,  # + c1 at rank 2
        "any_preference": 3 / 5,  # c2's place C was not ranked
        "placed_on_list": 4 / 5,  # everyone but c4
        "placed_by_fallback": 1 / 5,  # c2
        "unplaced": 1 / 5,  # c4
        "mean_rank": (1 + 2 + 1) / 3,  # 1-based ranks of c0, c1, c3
        "justified_envy": 1 / 5,  # c2
        "off_list_wish": 2 / 5,  # c1, c4
        "mean_distance_km": (2 + 12 + 9 + 2) / 4,  # c0@B, c1@C, c2@C, c3@A
        # places 25k + 60k + 60k + 10k; transport 100 * (0.5 * 2 + 12 + 9): c0 is
        # 2 km from B (within 3.2 km: half), c1 and c2 beyond, c3 at mainstream
        "annual_cost": 155_000 + 2_200,
        "cost_per_child": 157_200 / 4,
        "transport_cost_per_child": 2_200 / 4,
        "transported": (0.5 + 1 + 1 + 0) / 4,
        "specialist_fill": 3 / 4,  # B 1 of 1, C 2 of 3
        "children": 5,
    }
    for k, want in expected.items():
        assert v[k] == pytest.approx(want), k


def test_rank_profile(outcome: sa.metrics.Outcome) -> None:
    # widest ranking has 2 entries: rank 1 for c0, c3; rank 2 for c1.
    np.testing.assert_allclose(outcome.rank_profile, [2 / 5, 1 / 5])


def test_without_fallback() -> None:
    inst = make_instance(fallback=False)
    v = evaluate(inst, sa.allocate(inst.problem, "first_available")).as_dict()
    assert v["placed_on_list"] == pytest.approx(3 / 5)
    assert v["placed_by_fallback"] == 0
    assert v["unplaced"] == pytest.approx(2 / 5)
    # c2 no longer travels 9 km to C: (2 + 12 + 2) / 3
    assert v["mean_distance_km"] == pytest.approx(16 / 3)
    assert v["specialist_fill"] == pytest.approx(2 / 4)
    # the switch can be overridden per call
    v2 = evaluate(inst, sa.allocate(inst.problem, "first_available"), fallback=True)
    assert v2.as_dict()["placed_on_list"] == pytest.approx(4 / 5)


def _row(outcome: sa.metrics.Outcome, by: str, group: str) -> dict[str, float]:
    return outcome.group_dict(by)[group]


def test_by_need(outcome: sa.metrics.Outcome) -> None:
    asd = _row(outcome, "need", "ASD")  # c0, c1
    assert asd["children"] == 2
    assert asd["first_preference"] == pytest.approx(1 / 2)
    assert asd["top3_preference"] == pytest.approx(1.0)
    assert asd["placed_on_list"] == pytest.approx(1.0)
    assert asd["mean_rank"] == pytest.approx(1.5)
    assert asd["off_list_wish"] == pytest.approx(1 / 2)
    assert asd["mean_distance_km"] == pytest.approx(7.0)  # (2 + 12) / 2
    # c0 half-transported 2 km (100), c1 12 km (1,200)
    assert asd["annual_cost"] == pytest.approx(25_100 + 61_200)
    semh = _row(outcome, "need", "SEMH")  # c2, c3
    assert semh["any_preference"] == pytest.approx(1 / 2)
    assert semh["placed_by_fallback"] == pytest.approx(1 / 2)
    assert semh["justified_envy"] == pytest.approx(1 / 2)
    assert semh["mean_distance_km"] == pytest.approx(5.5)  # (9 + 2) / 2
    # c3 at a mainstream school: no SEND transport
    assert semh["annual_cost"] == pytest.approx(60_900 + 10_000)
    slcn = _row(outcome, "need", "SLCN")  # c4
    assert slcn["unplaced"] == 1
    assert np.isnan(slcn["mean_rank"])
    assert np.isnan(slcn["mean_distance_km"])
    empty = _row(outcome, "need", "VI")
    assert empty["children"] == 0
    assert np.isnan(empty["first_preference"])
    assert empty["annual_cost"] == 0
    # every child counted once
    assert outcome.groups["need"][:, 0].sum() == 5


def test_by_phase(outcome: sa.metrics.Outcome) -> None:
    sec = _row(outcome, "phase", "secondary")  # c2, c3, c4
    assert sec["children"] == 3
    assert sec["first_preference"] == pytest.approx(1 / 3)
    assert sec["placed_on_list"] == pytest.approx(2 / 3)
    assert sec["unplaced"] == pytest.approx(1 / 3)
    assert sec["mean_rank"] == pytest.approx(1.0)
    assert sec["off_list_wish"] == pytest.approx(1 / 3)
    assert _row(outcome, "phase", "primary")["children"] == 2
    assert np.isnan(_row(outcome, "phase", "primary")["fill_rate"])


def test_by_kind(outcome: sa.metrics.Outcome) -> None:
    # grouped by the kind of the parent's first-ranked setting
    special = _row(outcome, "kind", "special")  # c0, c1, c2 ranked B first
    assert special["children"] == 3
    assert special["first_preference"] == pytest.approx(1 / 3)
    assert special["any_preference"] == pytest.approx(2 / 3)
    assert special["mean_rank"] == pytest.approx(1.5)
    assert special["mean_distance_km"] == pytest.approx(23 / 3)
    assert special["annual_cost"] == pytest.approx(25_100 + 61_200 + 60_900)
    assert special["fill_rate"] == pytest.approx(1.0)  # B: 1 of 1
    main = _row(outcome, "kind", "mainstream")  # c3
    assert main["first_preference"] == 1
    assert main["fill_rate"] == pytest.approx(1.0)  # A: 1 of 1
    ind = _row(outcome, "kind", "independent_special")  # nobody ranked C first
    assert ind["children"] == 0
    assert ind["fill_rate"] == pytest.approx(2 / 3)  # C: 2 of 3
    nopref = _row(outcome, "kind", "no_preference")  # c4
    assert nopref["children"] == 1
    assert nopref["unplaced"] == 1
    assert outcome.groups["kind"][:, 0].sum() == 5
    assert outcome.groups["kind"].shape == (8, len(GROUP_METRICS))


def test_by_target() -> None:
    # The target group: children who need specialist provision (c0, c1, c4).
    inst = make_instance()
    inst.children.specialist = np.array([True, True, False, False, True])
    out = evaluate(inst, sa.allocate(inst.problem, "first_available"))
    spec = _row(out, "target", "specialist")
    assert spec["children"] == 3
    assert spec["first_preference"] == pytest.approx(1 / 3)  # c0
    assert spec["top3_preference"] == pytest.approx(2 / 3)  # c0, c1
    assert spec["unplaced"] == pytest.approx(1 / 3)  # c4
    assert spec["mean_distance_km"] == pytest.approx(7.0)  # (2 + 12) / 2
    other = _row(out, "target", "not_specialist")  # c2, c3
    assert other["children"] == 2
    assert other["first_preference"] == pytest.approx(1 / 2)  # c3
    assert other["placed_by_fallback"] == pytest.approx(1 / 2)  # c2
    assert other["unplaced"] == 0
    assert out.groups["target"].shape == (2, len(GROUP_METRICS))
    assert sa.metrics.TARGET_GROUPS == ("specialist", "not_specialist")
    # Without the flag (a stand-in), both groups are empty and the other
    # breakdowns are the same.
    bare = evaluate(make_instance(), sa.allocate(inst.problem, "first_available"))
    assert bare.groups["target"][:, 0].tolist() == [0, 0]
    assert np.isnan(_row(bare, "target", "specialist")["first_preference"])
    for by in ("need", "phase", "kind"):
        np.testing.assert_array_equal(bare.groups[by], out.groups[by])


def test_target_group_of_a_sampled_round() -> None:
    # On a real round, the target rows are the metrics of the children whose
    # Children.specialist flag is set, and the two groups add up to the round.
    sc = sa.load_scenario("london_borough")
    inst = sc.sample(3)
    a = sa.allocate(inst.problem, "first_available")
    out = evaluate(inst, a)
    final = la_fallback(inst, a) if inst.fallback else a.assignment
    spec = np.asarray(inst.children.specialist)
    assert 0 < spec.sum() < spec.size
    first = inst.problem.preferences[:, 0]
    row = _row(out, "target", "specialist")
    assert row["children"] == spec.sum()
    assert row["first_preference"] == pytest.approx(
        np.mean((final == first)[spec] & (final[spec] >= 0))
    )
    assert row["unplaced"] == pytest.approx(np.mean(final[spec] < 0))
    sizes = out.groups["target"][:, 0]
    assert sizes.sum() == out.as_dict()["children"]


def test_other_mechanism_envy() -> None:
    # Deferred acceptance with these priorities: B takes c2 over c0 and c1, so
    # c0 -> A, c1 -> C, c2 -> B, c3 loses A to c0? No: A ranks c3 above c0, so
    # c0 is rejected from A as well... c0 -> nowhere (ranked only B, A).
    inst = make_instance()
    if "deferred_acceptance" not in sa.MECHANISMS:
        pytest.skip("deferred_acceptance not registered yet")
    a = sa.allocate(inst.problem, "deferred_acceptance")
    assert a.assignment.tolist() == [-1, C, B, A, -1]
    v = evaluate(inst, a).as_dict()
    assert v["justified_envy"] == 0  # DA is stable
    # fallback: c0's list [B, A, C]; only C has places left (3 - 1 = 2)
    assert v["placed_by_fallback"] == pytest.approx(1 / 5)


def test_empty_round() -> None:
    inst = make_instance()
    p = sa.Problem.from_lists([1, 1, 3], [])
    inst.problem = p
    inst.children = NS(
        need=np.zeros(0, np.int8),
        phase=np.zeros(0, np.int8),
        age=np.zeros(0, np.int16),
        x_km=np.zeros(0),
        y_km=np.zeros(0),
    )
    inst.lists = np.zeros((0, 3), np.int32)
    inst.distance_km = np.zeros((0, 3))
    inst.off_list_wish = np.zeros(0, bool)
    out = evaluate(inst, sa.allocate(p, "first_available"))
    v = out.as_dict()
    assert v["children"] == 0
    assert np.isnan(v["first_preference"])
    assert v["annual_cost"] == 0
    assert np.isnan(v["transported"])  # of no child placed


def test_top_three_stops_at_the_third_choice() -> None:
    # Four children rank the same four settings (one place each) in the same
    # order; first_available gives child k their (k+1)-th choice. The top three
    # are ranks 1-3: child 3, at their fourth choice, is not in them.
    n = 4
    problem = sa.Problem.from_lists([1] * n, [[0, 1, 2, 3]] * n)
    lists = np.tile(np.arange(n, dtype=np.int32), (n, 1))
    inst = NS(
        problem=problem,
        children=NS(
            need=np.zeros(n, np.int8),
            phase=np.ones(n, np.int8),
            x_km=np.zeros(n),
            y_km=np.zeros(n),
        ),
        settings=NS(
            kind=np.zeros(n, np.int8),
            cost=np.ones(n),
            x_km=np.zeros(n),
            y_km=np.zeros(n),
        ),
        lists=lists,
        distance_km=np.ones((n, n)),
        off_list_wish=np.zeros(n, bool),
        fallback=False,
        transport_cost_per_km=0.0,
    )
    a = sa.allocate(problem, "first_available")
    assert a.rank.tolist() == [0, 1, 2, 3]
    out = evaluate(inst, a)
    assert out.as_dict()["top3_preference"] == 3 / 4
    assert out.as_dict()["first_preference"] == 1 / 4
    assert out.rank_profile.tolist() == [1 / 4] * 4
    asd = out.group_dict("need")["ASD"]
    assert asd["top3_preference"] == 3 / 4


def test_transport_charged_only_to_transported_children() -> None:
    """Transport is charged per child the LA transports (pq-142506-walking-distance:
    the statutory walking distance; SEND transport does not depend on it), not to
    every child placed: a child at a mainstream setting pays none, whatever the
    distance; a child at a specialist setting pays beyond the walking distance
    for their age, and ``transport_within_walking`` of it within."""
    inst = make_instance()
    final = np.array([A, B, B, C, C])
    inst.distance_km = np.array(
        [[9, 9, 9], [3, 3, 3], [4, 4, 4], [4, 4, 4], [6, 6, 6]], dtype=float
    )
    inst.lists = np.array([[A, B, C]] * 5, dtype=np.int32)
    # ages 6, 9, 12, 13, 14: walking distance 3.2, 4.8, 4.8, 4.8, 4.8 km
    for within, want in [(0.0, [0, 0, 0, 0, 1]), (0.5, [0, 0.5, 0.5, 0.5, 1])]:
        inst.transport_within_walking = within
        out = sa.metrics.outcome_arrays(inst, final, final, np.zeros(5, bool))
        v = out.as_dict()
        assert v["transported"] == pytest.approx(sum(want) / 5)
        km = float(np.dot(want, [9, 3, 4, 4, 6]))
        assert v["transport_cost_per_child"] == pytest.approx(100 * km / 5)
        place = 10_000 + 2 * 25_000 + 2 * 60_000
        assert v["annual_cost"] == pytest.approx(place + 100 * km)
    # the 3 km child aged 6 is within 2 miles; at 4 km (beyond) they are carried
    inst.transport_within_walking = 0.0
    inst.distance_km[1] = 4.0
    out = sa.metrics.outcome_arrays(inst, final, final, np.zeros(5, bool))
    assert out.as_dict()["transported"] == pytest.approx(1 / 5)  # age 9: 4.8 km
    inst.children.age = np.array([6, 6, 12, 13, 14])
    out = sa.metrics.outcome_arrays(inst, final, final, np.zeros(5, bool))
    assert out.as_dict()["transported"] == pytest.approx(2 / 5)
    # an instance with no transport rule charges every child placed
    del inst.transport_within_walking
    out = sa.metrics.outcome_arrays(inst, final, final, np.zeros(5, bool))
    assert out.as_dict()["transported"] == 1.0


# ------------------------------------------------------------- achievability measures
# The parents' favourites overall (may be off the list): c0 and c2 want B, c3
# wants A, and the two whose favourite is off their list (c1: list [B, C];
# c4: empty list) want A.
WISH = np.array([B, A, B, A, A])


def test_measures_of_a_rule() -> None:
    # first_available then the fallback: final = [B, C, C, A, -1].
    inst = make_instance()
    inst.wish = WISH
    v = evaluate(inst, sa.allocate(inst.problem, "first_available")).as_dict()
    # A rule decides on the day the plan is final: no later stage.
    assert v["any_preference_on_day"] == pytest.approx(3 / 5)  # c0, c1, c3
    assert v["no_ranked_place"] == pytest.approx(2 / 5)  # c2 (fallback), c4
    assert v["favourite"] == pytest.approx(2 / 5)  # c0 at B, c3 at A
    assert v["favourite_on_day"] == v["favourite"]
    # Over-capacity namings needed: only c4 has no listed place, and c4's list
    # is empty, so no naming could place them on it.
    assert v["over_capacity_namings"] == 0
    # Without the parents' favourites the favourite measures are undefined.
    bare = evaluate(make_instance(), sa.allocate(inst.problem, "first_available"))
    assert np.isnan(bare.as_dict()["favourite"])
    assert np.isnan(bare.group_dict("need")["ASD"]["favourite"])


def test_over_capacity_namings_needed() -> None:
    # One setting S (1 place) and a second T (1 place); no fallback.
    #   k0 lists [S] and ranks [S]: placed at S.
    #   k1 lists [S] and ranks [S]: unplaced, and S, all of k1's list, is full:
    #      k1 would need S named over capacity -> counted.
    #   k2 lists [S, T] and ranks [S]: unplaced, but T on the list is free: the
    #      LA could name T without exceeding it -> not counted.
    #   k3 lists nothing: no naming could give a listed place -> not counted.
    S, T = 0, 1
    problem = sa.Problem.from_lists([1, 1], [[S], [S], [S], []])
    inst = NS(
        problem=problem,
        children=NS(
            need=np.zeros(4, np.int8),
            phase=np.ones(4, np.int8),
            x_km=np.zeros(4),
            y_km=np.zeros(4),
        ),
        settings=NS(
            kind=np.array([2, 2], np.int8),
            cost=np.ones(2),
            x_km=np.zeros(2),
            y_km=np.zeros(2),
        ),
        lists=np.array([[S, -1], [S, -1], [S, T], [-1, -1]], np.int32),
        distance_km=np.ones((4, 2)),
        off_list_wish=np.zeros(4, bool),
        wish=np.array([S, S, S, -1]),
        fallback=False,
        transport_cost_per_km=0.0,
    )
    out = evaluate(inst, sa.allocate(problem, "first_available"))
    assert out.as_dict()["over_capacity_namings"] == pytest.approx(1 / 4)
    # With the fallback, k2 takes T; k1 still needs a naming.
    out = evaluate(inst, sa.allocate(problem, "first_available"), fallback=True)
    assert out.as_dict()["over_capacity_namings"] == pytest.approx(1 / 4)
    assert out.as_dict()["no_ranked_place"] == pytest.approx(3 / 4)  # k1, k2, k3
    # A process that names settings over capacity says which children it named.
    final = np.array([S, S, T, -1])
    named = np.array([False, True, False, False])
    out = sa.metrics.outcome_arrays(
        inst, final, final, np.zeros(4, bool), over_capacity=named
    )
    assert out.as_dict()["over_capacity_namings"] == pytest.approx(1 / 4)
    assert out.as_dict()["unplaced"] == pytest.approx(1 / 4)  # k3


def test_measures_of_a_process_with_a_later_stage() -> None:
    # Today's process: on the day the plan is final c0 is at A (ranked second,
    # not the favourite B), c1 at its off-list favourite A, c2 nowhere, c3 at A,
    # c4 nowhere. After appeals c0 is at B (won) and c2 at C.
    inst = make_instance()
    inst.wish = WISH
    day = np.array([A, A, -1, A, -1])
    final = np.array([B, A, C, A, -1])
    named = np.array([False, True, False, True, False])  # A had one place
    out = sa.metrics.outcome_arrays(
        inst, final, final, np.zeros(5, bool), day=day, over_capacity=named
    )
    v = out.as_dict()
    assert v["any_preference_on_day"] == pytest.approx(2 / 5)  # c0 (A), c3 (A)
    assert v["any_preference"] == pytest.approx(2 / 5)  # c0 (B), c3 (A)
    assert v["no_ranked_place"] == pytest.approx(3 / 5)  # c1 off list, c2, c4
    assert v["favourite_on_day"] == pytest.approx(2 / 5)  # c1, c3
    assert v["favourite"] == pytest.approx(3 / 5)  # c0, c1, c3
    assert v["over_capacity_namings"] == pytest.approx(2 / 5)
    assert v["placed_on_list"] == pytest.approx(3 / 5)  # c1's A is off its list
    asd = out.group_dict("need")["ASD"]  # c0, c1
    assert asd["favourite_on_day"] == pytest.approx(1 / 2)
    assert asd["favourite"] == pytest.approx(1.0)
    assert asd["any_preference_on_day"] == pytest.approx(1 / 2)


def test_cost_per_child_by_group(outcome: sa.metrics.Outcome) -> None:
    # ASD (c0 at B, c1 at C): 25,100 + 61,200 over the two placed.
    assert _row(outcome, "need", "ASD")["cost_per_child"] == pytest.approx(43_150)
    # SLCN (c4, unplaced): undefined.
    assert np.isnan(_row(outcome, "need", "SLCN")["cost_per_child"])


def test_area_and_breakdowns_within_the_target_group() -> None:
    # Target group c0, c1, c4; rural c1, c3, c4.
    inst = make_instance()
    inst.children.specialist = np.array([True, True, False, False, True])
    inst.children.rural = np.array([False, True, False, True, True])
    out = evaluate(inst, sa.allocate(inst.problem, "first_available"))
    rural = _row(out, "area", "rural")  # c1 (C), c3 (A), c4 (none)
    assert rural["children"] == 3
    assert rural["first_preference"] == pytest.approx(1 / 3)  # c3
    assert rural["unplaced"] == pytest.approx(1 / 3)  # c4
    assert _row(out, "area", "urban")["children"] == 2
    # Within the target group only: c0 (ASD, primary, urban), c1 (ASD, primary,
    # rural), c4 (SLCN, secondary, rural).
    asd = _row(out, "target_need", "ASD")
    assert asd["children"] == 2
    assert asd["first_preference"] == pytest.approx(1 / 2)  # c0
    assert _row(out, "target_need", "SEMH")["children"] == 0  # c2, c3: not target
    sec = _row(out, "target_phase", "secondary")  # c4 only
    assert sec["children"] == 1
    assert sec["unplaced"] == 1
    t_rural = _row(out, "target_area", "rural")  # c1, c4
    assert t_rural["children"] == 2
    assert t_rural["top3_preference"] == pytest.approx(1 / 2)  # c1
    for by in ("target_need", "target_phase", "target_area"):
        assert out.groups[by][:, 0].sum() == 3
    # A stand-in without the columns: the breakdowns that read them are empty.
    bare = evaluate(make_instance(), sa.allocate(inst.problem, "first_available"))
    for by in ("area", "target_need", "target_phase", "target_area"):
        assert bare.groups[by][:, 0].sum() == 0, by


@pytest.mark.parametrize("seed", [3, 11])
def test_every_breakdown_sums_to_the_whole(seed: int) -> None:
    # On a sampled round: in each breakdown the groups' children add up to the
    # round (to the target group, within it), and each share metric, weighted
    # by the groups' sizes, adds up to its overall value (its target-group
    # value, within it); so does annual cost. The county has rural children.
    sc = sa.load_scenario("county")
    inst = sc.sample(seed)
    a = sa.allocate(inst.problem, "first_available")
    out = evaluate(inst, a)
    whole = out.as_dict()
    target = out.group_dict("target")["specialist"]
    shares = [
        m
        for m in GROUP_METRICS
        if m in sa.metrics.METRICS
        and m not in ("children", "mean_rank", "mean_distance_km", "cost_per_child")
        and m != "annual_cost"
    ]
    assert "over_capacity_namings" in shares
    assert "favourite" in shares
    assert 0 < inst.children.rural.sum() < inst.children.rural.size
    for by in sa.metrics.GROUPINGS:
        ref = target if by.startswith("target_") else whole
        table = out.groups[by]
        size = table[:, GROUP_METRICS.index("children")]
        assert size.sum() == ref["children"], by
        for m in shares:
            col = np.nan_to_num(table[:, GROUP_METRICS.index(m)])
            assert np.dot(size, col) == pytest.approx(ref[m] * ref["children"]), (by, m)
        cost = table[:, GROUP_METRICS.index("annual_cost")].sum()
        assert cost == pytest.approx(ref["annual_cost"]), by
