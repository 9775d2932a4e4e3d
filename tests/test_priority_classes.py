"""Priority classes in scenarios: weak priorities, recorded lotteries, SIC."""

from __future__ import annotations

import numpy as np
import pytest

import sendalloc as sa
from sendalloc import Children, Settings
from sendalloc.preferences import priority_classes, setting_priority
from sendalloc.ties import is_weakly_stable


def test_priority_classes_by_designation_then_band() -> None:
    s = Settings.from_columns(
        id=["asd", "semh", "any"],
        kind=["special"] * 3,
        needs=[["ASD"], ["SEMH"], []],
        min_age=[4] * 3,
        max_age=[18] * 3,
        capacity=[10] * 3,
        x_km=[0.0] * 3,
        y_km=[0.0] * 3,
    )
    c = Children.from_columns(
        id=["a", "b"],
        need=["ASD", "SEMH"],
        age=[8, 8],
        x_km=[0.0, 0.0],
        y_km=[0.0, 0.0],
        plan_day=[1, 1],
        severity=[0.5, 0.5],
    )
    prefs = np.array([[0, 1, 2], [0, 2, -1]], dtype=np.int32)
    d = np.array([[2.0, 2.5, 30.0], [11.0, 0.1, np.nan]])
    got = priority_classes(prefs, c, s, d, bands_km=(2.0, 5.0))
    # B = 3 bands. Child a (ASD): asd designated, 2.0 km -> band 0 -> 0; semh not
    # designated, 2.5 km -> band 1 -> 3 + 1 = 4; "any" takes every need, 30 km ->
    # band 2 -> 2. Child b (SEMH): asd not designated, 11 km -> 3 + 2 = 5; "any",
    # 0.1 km -> 0.
    assert got.tolist() == [[0, 4, 2], [5, 0, -1]]


def test_priority_classes_looked_after_first_everywhere() -> None:
    s = Settings.from_columns(
        id=["asd", "semh", "any"],
        kind=["special"] * 3,
        needs=[["ASD"], ["SEMH"], []],
        min_age=[4] * 3,
        max_age=[18] * 3,
        capacity=[10] * 3,
        x_km=[0.0] * 3,
        y_km=[0.0] * 3,
    )
    c = Children.from_columns(
        id=["a", "b", "l"],
        need=["ASD", "SEMH", "SEMH"],
        age=[8, 8, 8],
        x_km=[0.0] * 3,
        y_km=[0.0] * 3,
        plan_day=[1, 1, 1],
        severity=[0.5, 0.5, 0.5],
        looked_after=[False, False, True],
    )
    prefs = np.array([[0, 1, 2], [0, 2, -1], [0, 1, 2]], dtype=np.int32)
    d = np.array([[2.0, 2.5, 30.0], [11.0, 0.1, np.nan], [30.0, 30.0, 4.0]])
    got = priority_classes(prefs, c, s, d, bands_km=(2.0, 5.0))
    # B = 3, so 2B = 6 is added for every child not looked after. Child a (ASD):
    # asd designated, 2.0 km, band 0 -> 6 + 0 = 6; semh not designated, 2.5 km,
    # band 1 -> 6 + 3 + 1 = 10; "any", 30 km, band 2 -> 6 + 2 = 8. Child b
    # (SEMH): asd not designated, 11 km -> 6 + 3 + 2 = 11; "any", 0.1 km -> 6.
    # Child l (SEMH, looked after): asd not designated, 30 km -> 3 + 2 = 5;
    # semh designated, 30 km -> 2; "any", 4 km, band 1 -> 1.
    assert got.tolist() == [[6, 10, 8], [11, 6, -1], [5, 2, 1]]
    # l is first at every setting it ranks, though farthest and (at asd) not
    # designated; the others keep their order among themselves.
    for j in range(s.n):
        rows, cols = np.nonzero(prefs == j)
        k = got[rows, cols]
        assert k[rows == 2].max() < k[rows != 2].min()
    # without the looked-after child the classes are those of the old rule
    plain = Children.from_columns(
        id=["a", "b", "l"],
        need=["ASD", "SEMH", "SEMH"],
        age=[8, 8, 8],
        x_km=[0.0] * 3,
        y_km=[0.0] * 3,
        plan_day=[1, 1, 1],
        severity=[0.5, 0.5, 0.5],
    )
    got = priority_classes(prefs, plain, s, d, bands_km=(2.0, 5.0))
    assert got.tolist() == [[0, 4, 2], [5, 0, -1], [5, 2, 1]]


def test_setting_priority_refuses_classes() -> None:
    c = Children.from_columns(
        id=["a"],
        need=["ASD"],
        age=[8],
        x_km=[0.0],
        y_km=[0.0],
        plan_day=[1],
        severity=[0.5],
    )
    prefs = np.array([[0]], dtype=np.int32)
    with pytest.raises(ValueError, match="use priority_classes"):
        setting_priority(
            prefs, c, np.zeros((1, 1)), "classes", np.random.default_rng(0)
        )


@pytest.fixture(scope="module")
def classes_scenario() -> sa.Scenario:
    return sa.load_scenario("london_borough").with_overrides(
        {"allocation.priority": "classes", "allocation.tie_break": "multiple"}
    )


def test_sample_records_lottery_and_classes(classes_scenario: sa.Scenario) -> None:
    inst = classes_scenario.sample(3)
    p = inst.problem
    assert not p.is_weak  # strict rules can run on it
    assert p.lottery is not None
    assert p.lottery.rule == "multiple"
    klass = p.lottery.priority_class
    valid = p.preferences >= 0
    assert (klass[~valid] == -1).all()
    assert klass[valid].min() == 0
    assert len(np.unique(klass[valid])) > 1
    # the broken priorities refine the classes: a better class always wins
    for s in range(p.n_settings):
        rows, cols = np.nonzero(p.preferences == s)
        if len(rows) < 2:
            continue
        order = np.argsort(p.priority[rows, cols])
        assert (np.diff(klass[rows, cols][order]) >= 0).all()


def test_classes_scenario_mechanisms(classes_scenario: sa.Scenario) -> None:
    inst = classes_scenario.sample(5)
    p = inst.problem
    da = sa.allocate(p, "deferred_acceptance")
    mtb = sa.allocate(p, "deferred_acceptance_mtb")
    sic = sa.allocate(p, "stable_improvement_cycles")
    # the recorded lottery is the one DA-MTB uses
    np.testing.assert_array_equal(da.assignment, mtb.assignment)
    assert is_weakly_stable(p, da)
    assert is_weakly_stable(p, sic)
    placed = da.rank >= 0
    assert (sic.rank[placed] >= 0).all()
    assert (sic.rank[placed] <= da.rank[placed]).all()


def test_classes_same_seed_same_problem(classes_scenario: sa.Scenario) -> None:
    a, b = classes_scenario.sample(9).problem, classes_scenario.sample(9).problem
    np.testing.assert_array_equal(a.priority, b.priority)


@pytest.mark.parametrize(
    ("key", "value", "pattern"),
    [
        ("allocation.tie_break", "random", "expected 'single' or 'multiple'"),
        ("allocation.distance_bands_km", [5.0, 2.0], "expected increasing distances"),
        ("allocation.distance_bands_km", [], "expected increasing distances"),
    ],
)
def test_bad_class_settings(key: str, value: object, pattern: str) -> None:
    with pytest.raises(sa.InvalidScenarioError, match=pattern):
        sa.load_scenario("county").with_overrides({key: value})


def test_envy_metric_judges_classes_not_lottery(classes_scenario: sa.Scenario) -> None:
    # Stable improvement cycles is weakly stable: no child is passed over for a
    # child of a worse class. Judged by the lottery-broken priorities it would
    # show envy wherever a cycle crossed a tie; judged by the classes, none.
    from sendalloc import metrics
    from sendalloc.properties import justified_envy

    crossed = 0
    for seed in range(6):
        inst = classes_scenario.sample(seed)
        sic = sa.allocate(inst.problem, "stable_improvement_cycles")
        out = metrics.evaluate(inst, sic)
        assert out.as_dict()["justified_envy"] == 0.0
        crossed += int(justified_envy(inst.problem, sic).sum())
        fa = metrics.evaluate(inst, sa.allocate(inst.problem, "first_available"))
        assert fa.as_dict()["justified_envy"] > 0.0
    assert crossed > 0  # the lottery-broken priorities do see envy
