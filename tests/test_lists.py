import numpy as np
import pytest

import sendalloc as sa
from sendalloc.lists import ListRules, candidates, eligibility, tailored_lists

KINDS = [
    "mainstream",
    "special",
    "special",
    "independent_special",
    "resourced_provision",
    "alternative_provision",
    "special",
]


@pytest.fixture
def settings():
    return sa.Settings.from_columns(
        id=[f"s{i}" for i in range(7)],
        kind=KINDS,
        needs=[[], [], ["ASD"], [], ["HI"], [], []],
        min_age=[4, 4, 4, 4, 4, 4, 11],
        max_age=[10, 18, 18, 18, 18, 18, 18],
        capacity=[100] * 7,
        x_km=[1.0, 5.0, 3.0, 2.0, 4.0, 0.5, 60.0],
        y_km=[0.0] * 7,
        cost=[6e3, 25e3, 24e3, 62e3, 16e3, 18e3, 25e3],
        in_area=[True, True, True, False, True, True, True],
    )


def _kids(need, age, specialist):
    n = len(need)
    return sa.Children.from_columns(
        id=[f"c{i}" for i in range(n)],
        need=need,
        age=age,
        x_km=[0.0] * n,
        y_km=[0.0] * n,
        plan_day=[1] * n,
        severity=[0.5] * n,
        specialist=specialist,
    )


def test_need_kind_age_and_travel(settings):
    kids = _kids(
        ["ASD", "SEMH", "HI", "SEMH"], [8, 8, 8, 12], [True, True, True, False]
    )
    ok = eligibility(kids, settings, ListRules(speed_kmh=30.0))
    # ASD specialist: any-need special, ASD special, independent; not mainstream/AP
    assert ok[0].tolist() == [False, True, True, True, False, False, False]
    # SEMH specialist: not the ASD-designated special, not the HI unit
    assert ok[1].tolist() == [False, True, False, True, False, False, False]
    assert ok[2].tolist() == [False, True, False, True, True, False, False]
    # not specialist, age 12: the primary is too young for them; nothing general left
    assert not ok[3].any()
    # A secondary-age specialist SEMH child meets every rule of the secondary
    # special at 60 km but travel: beyond 75 min at 30 km/h (37.5 km) ...
    far = _kids(["SEMH"], [12], [True])
    assert not eligibility(far, settings, ListRules(speed_kmh=30.0))[0, 6]
    # ... within it at 60 km/h (75 km), so travel alone excluded it.
    assert eligibility(far, settings, ListRules(speed_kmh=60.0))[0, 6]


def test_rule_switches(settings):
    kids = _kids(["ASD", "SEMH"], [8, 8], [True, False])
    no_ind = eligibility(kids, settings, ListRules(include_independent=False))
    assert not no_ind[:, 3].any()
    no_out = eligibility(kids, settings, ListRules(include_out_of_area=False))
    assert not no_out[:, 3].any()
    ms = eligibility(kids, settings, ListRules(mainstream_for_specialist=True))
    assert ms[0, 0]
    assert ms[0, 1]
    ap = eligibility(kids, settings, ListRules(include_alternative_provision=True))
    assert ap[:, 5].all()
    cand = candidates(kids, settings, ListRules(include_independent=False))
    assert cand[0, 3]
    assert not cand[0, 0]
    assert cand[1, 0]


def test_lists_order_and_padding(settings):
    kids = _kids(["ASD", "SEMH"], [8, 8], [True, True])
    near = tailored_lists(kids, settings, ListRules(max_length=5))
    assert near.dtype == np.int32
    assert near.shape == (2, 5)
    assert near[0].tolist() == [3, 2, 1, -1, -1]
    assert near[1].tolist() == [3, 1, -1, -1, -1]
    cheap = tailored_lists(kids, settings, ListRules(order="cheapest", max_length=2))
    assert cheap[0].tolist() == [2, 1]
    short = tailored_lists(kids, settings, ListRules(max_length=1))
    assert short[:, 0].tolist() == [3, 3]


def test_lists_match_brute_force():
    rng = np.random.default_rng(3)
    m, n = 40, 60
    s = sa.Settings.from_columns(
        id=[f"s{i}" for i in range(m)],
        kind=rng.integers(0, 7, m).astype(np.int8),
        needs=rng.random((m, 13)) < 0.2,
        min_age=rng.integers(0, 12, m),
        max_age=rng.integers(12, 25, m),
        capacity=[5] * m,
        x_km=rng.uniform(0, 50, m),
        y_km=rng.uniform(0, 50, m),
        cost=rng.choice([1e3, 2e3, 3e3], m),
        in_area=rng.random(m) < 0.8,
    )
    c = sa.Children.from_columns(
        id=[f"c{i}" for i in range(n)],
        need=rng.integers(0, 13, n).astype(np.int8),
        age=rng.integers(0, 25, n),
        x_km=rng.uniform(0, 50, n),
        y_km=rng.uniform(0, 50, n),
        plan_day=[1] * n,
        severity=rng.random(n),
        specialist=rng.random(n) < 0.5,
    )
    for order in ("nearest", "cheapest"):
        rules = ListRules(max_length=4, order=order)
        got = tailored_lists(c, s, rules)
        ok = eligibility(c, s, rules)
        d = np.hypot(c.x_km[:, None] - s.x_km, c.y_km[:, None] - s.y_km)
        for i in range(n):
            js = [j for j in range(m) if ok[i, j]]
            if order == "nearest":
                js.sort(key=lambda j: (d[i, j], j))
            else:
                js.sort(key=lambda j: (s.cost[j], d[i, j], j))
            want = (js[:4] + [-1] * 4)[:4]
            assert got[i].tolist() == want


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"max_length": 0}, "max_length = 0"),
        ({"speed_kmh": -1.0}, "speed_kmh = -1.0"),
        ({"order": "random"}, "order = 'random'"),
        ({"include_independent": 1}, "include_independent = 1"),
    ],
)
def test_rules_validation(kw, match):
    with pytest.raises(sa.InvalidScenarioError, match=match):
        ListRules(**kw)
