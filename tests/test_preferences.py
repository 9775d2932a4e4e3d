import numpy as np
import pytest

import sendalloc as sa
from sendalloc.lists import ListRules, candidates, distance_matrix, tailored_lists
from sendalloc.preferences import (
    PreferenceModel,
    draw_preferences,
    processing_order,
    setting_priority,
)


@pytest.fixture
def world():
    rng = np.random.default_rng(1)
    m, n = 30, 200
    s = sa.Settings.from_columns(
        id=[f"s{i}" for i in range(m)],
        kind=["special"] * 20 + ["mainstream"] * 10,
        min_age=[4] * m,
        max_age=[18] * m,
        capacity=[5] * m,
        x_km=rng.uniform(0, 20, m),
        y_km=rng.uniform(0, 20, m),
        quality=rng.normal(size=m),
    )
    c = sa.Children.from_columns(
        id=[f"c{i}" for i in range(n)],
        need=rng.integers(0, 13, n).astype(np.int8),
        age=rng.integers(4, 18, n),
        x_km=rng.uniform(0, 20, n),
        y_km=rng.uniform(0, 20, n),
        plan_day=rng.integers(1, 366, n),
        severity=rng.random(n),
        specialist=rng.random(n) < 0.7,
    )
    rules = ListRules(max_length=4)
    d = distance_matrix(c, s)
    lists = tailored_lists(c, s, rules, distance=d)
    return s, c, rules, d, lists


def test_rankings_are_permutations_of_lists(world):
    s, c, rules, d, lists = world
    model = PreferenceModel(truncation_probability=0.0)
    prefs, wish = draw_preferences(
        c, s, lists, candidates(c, s, rules), d, model, np.random.default_rng(0)
    )
    assert prefs.shape == lists.shape
    for i in range(c.n):
        assert sorted(prefs[i][prefs[i] >= 0]) == sorted(lists[i][lists[i] >= 0])
        on = lists[i][lists[i] >= 0]
        if wish[i] in on:  # the favourite overall, if listed, is ranked first
            assert prefs[i, 0] == wish[i]


def test_truncation_keeps_a_prefix(world):
    s, c, rules, d, lists = world
    model = PreferenceModel(truncation_probability=1.0)
    full, _ = draw_preferences(
        c,
        s,
        lists,
        candidates(c, s, rules),
        d,
        PreferenceModel(),
        np.random.default_rng(5),
    )
    cut, _ = draw_preferences(
        c, s, lists, candidates(c, s, rules), d, model, np.random.default_rng(5)
    )
    n_full, n_cut = (full >= 0).sum(1), (cut >= 0).sum(1)
    assert (n_cut <= n_full).all()
    assert (n_cut[n_full > 0] >= 1).all()
    assert (n_cut < n_full).any()
    # ranked settings are a prefix of the parent's full ranking
    for i in range(c.n):
        k = n_cut[i]
        assert (cut[i, :k] == full[i, :k]).all()


def test_distance_drives_rankings(world):
    s, c, rules, d, lists = world
    model = PreferenceModel(distance_weight=1.0, quality_weight=0.0, noise_scale=1e-9)
    prefs, _ = draw_preferences(
        c, s, lists, candidates(c, s, rules), d, model, np.random.default_rng(0)
    )
    assert (prefs == lists).all()  # lists are nearest first


def test_plackett_luce_first_choice_frequencies():
    # two settings, utilities 0 and log(3): first choice 3:1 (Luce's choice axiom)
    s = sa.Settings.from_columns(
        id=["a", "b"],
        kind=["special"] * 2,
        min_age=[0, 0],
        max_age=[25, 25],
        capacity=[1, 1],
        x_km=[0.0, 0.0],
        y_km=[0.0, 0.0],
        quality=[0.0, np.log(3.0)],
    )
    n = 20000
    c = sa.Children.from_columns(
        id=[str(i) for i in range(n)],
        need=np.zeros(n, np.int8),
        age=np.full(n, 8),
        x_km=np.zeros(n),
        y_km=np.zeros(n),
        plan_day=np.ones(n, int),
        severity=np.full(n, 0.5),
    )
    lists = np.tile(np.array([0, 1], np.int32), (n, 1))
    prefs, _ = draw_preferences(
        c,
        s,
        lists,
        np.ones((n, 2), bool),
        np.zeros((n, 2)),
        PreferenceModel(quality_weight=1.0),
        np.random.default_rng(2),
    )
    assert abs((prefs[:, 0] == 1).mean() - 0.75) < 0.015


def test_orders(world):
    _, c, *_ = world
    rng = np.random.default_rng(0)
    o = processing_order(c, "plan_day", rng)
    assert sorted(o.tolist()) == list(range(c.n))
    assert (np.diff(c.plan_day[o]) >= 0).all()
    o = processing_order(c, "severity", rng)
    assert (np.diff(c.severity[o]) <= 0).all()
    o = processing_order(c, "lottery", rng)
    assert sorted(o.tolist()) == list(range(c.n))
    with pytest.raises(sa.InvalidScenarioError, match="order = 'age'"):
        processing_order(c, "age", rng)


@pytest.mark.parametrize(
    "rule", ["distance", "lottery", "lottery_per_setting", "severity"]
)
def test_priorities_strict_and_accepted(world, rule):
    s, c, _, d, lists = world
    pv = lists >= 0
    dp = np.where(pv, np.take_along_axis(d, np.where(pv, lists, 0), 1), np.nan)
    prio = setting_priority(lists, c, dp, rule, np.random.default_rng(0))
    p = sa.Problem.from_arrays(np.full(s.n, 2), lists, priority=prio)
    assert p.n_children == c.n
    if rule == "distance":
        for j in range(s.n):
            kids = p.priority_lists[j]
            dist = [d[i, j] for i in kids]
            assert dist == sorted(dist)
    if rule == "severity":
        for j in range(s.n):
            sev = c.severity[p.priority_lists[j]]
            assert (np.diff(sev) <= 0).all()
    assert setting_priority(lists, c, dp, "order", np.random.default_rng(0)) is None


def test_model_validation():
    with pytest.raises(sa.InvalidScenarioError, match="truncation_probability = 2"):
        PreferenceModel(truncation_probability=2)
    with pytest.raises(sa.InvalidScenarioError, match="noise_scale = 0"):
        PreferenceModel(noise_scale=0)
    with pytest.raises(sa.InvalidScenarioError, match=r"kind_taste\.castle"):
        PreferenceModel.taste_from_mapping({"castle": 1.0})
