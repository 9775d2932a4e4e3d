import numpy as np
import pytest

import sendalloc as sa
from sendalloc.population import (
    KINDS,
    NEEDS,
    PHASES,
    SPECIALIST_KINDS,
    kind_index,
    need_index,
    phase_of_age,
)


def _settings(**kw):
    cols = dict(
        id=["a", "b"],
        kind=["special", "post16"],
        min_age=[4, 16],
        max_age=[18, 24],
        capacity=[100, 50],
        x_km=[0.0, 1.0],
        y_km=[0.0, 1.0],
    )
    cols.update(kw)
    return sa.Settings.from_columns(**cols)


def test_vocabulary():
    assert len(NEEDS) == 13
    assert NEEDS[0] == "ASD"
    assert NEEDS[-1] == "OTH"
    assert PHASES == ("early_years", "primary", "secondary", "post16")
    assert KINDS[0] == "mainstream"
    assert len(KINDS) == 7
    assert "mainstream" not in SPECIALIST_KINDS
    assert "alternative_provision" not in SPECIALIST_KINDS
    assert need_index("spld") == 3
    assert kind_index("post16") == 6
    with pytest.raises(sa.InvalidScenarioError, match="unknown need code 'XYZ'"):
        need_index("XYZ")


def test_phase_of_age():
    ages = np.arange(0, 26)
    ph = phase_of_age(ages)
    assert ph.dtype == np.int8
    assert (ph[ages < 5] == 0).all()
    assert (ph[(ages >= 5) & (ages <= 10)] == 1).all()
    assert (ph[(ages >= 11) & (ages <= 15)] == 2).all()
    assert (ph[ages >= 16] == 3).all()


def test_settings_columns_frozen_and_specialist():
    s = _settings(needs=[[], ["ASD"]])
    assert s.n == 2
    assert s.kind.dtype == np.int8
    assert s.needs.shape == (2, 13)
    assert s.capacity.dtype == np.int32
    assert s.x_km.dtype == np.float64
    assert not s.kind.flags.writeable
    assert not s.needs.flags.writeable
    assert s.specialist.tolist() == [True, True]  # designated post16 is specialist
    assert _settings().specialist.tolist() == [True, False]
    assert (s.on_roll == s.capacity).all()
    assert s.in_area.all()


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"kind": ["special", "castle"]}, r"Settings.kind\[1\] = 'castle'"),
        ({"capacity": [1, -1]}, r"Settings.capacity\[1\] = -1: expected >= 0"),
        ({"max_age": [3, 24]}, r"Settings.max_age\[0\] = 3"),
        ({"x_km": [0.0, np.nan]}, r"Settings.x_km\[1\] = nan"),
        ({"id": ["a", "a"]}, r"Settings.id\[1\] = 'a': duplicate"),
        ({"needs": [["ASD"], ["ZZ"]]}, r"Settings.needs\[1\]: unknown need code 'ZZ'"),
        ({"capacity": [1.5, 2]}, r"Settings.capacity\[0\] = 1.5: expected an integer"),
        ({"min_age": [4]}, r"Settings.min_age: expected shape \(2,\)"),
    ],
)
def test_settings_errors(kw, match):
    with pytest.raises(sa.InvalidScenarioError, match=match):
        _settings(**kw)


def _children(**kw):
    cols = dict(
        id=["x", "y"],
        need=["ASD", "PMLD"],
        age=[4, 11],
        x_km=[0.0, 1.0],
        y_km=[0.0, 1.0],
        plan_day=[1, 365],
        severity=[0.0, 1.0],
    )
    cols.update(kw)
    return sa.Children.from_columns(**cols)


def test_children_columns():
    c = _children(specialist=[0, 1])
    assert c.n == 2
    assert c.need.tolist() == [0, 6]
    assert c.phase.tolist() == [0, 2]
    assert c.specialist.tolist() == [False, True]
    assert not c.transfer.any()
    assert c.age.dtype == np.int16
    assert c.plan_day.dtype == np.int16
    assert not c.severity.flags.writeable
    assert c.looked_after.dtype == np.bool_
    assert c.looked_after.tolist() == [False, False]  # default: none
    assert not c.looked_after.flags.writeable


def test_children_looked_after():
    c = _children(looked_after=[1, 0])
    assert c.looked_after.tolist() == [True, False]
    assert not c.looked_after.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        c.looked_after[1] = True
    src = np.array([False, True])
    c = _children(looked_after=src)
    src[0] = True  # the table holds its own copy
    assert c.looked_after.tolist() == [False, True]


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"need": ["ASD", "XX"]}, r"Children.need\[1\] = 'XX'"),
        ({"plan_day": [0, 3]}, r"Children.plan_day\[0\] = 0"),
        ({"severity": [0.5, 1.5]}, r"Children.severity\[1\] = 1.5"),
        ({"age": [4, 30]}, r"Children.age\[1\] = 30"),
        ({"specialist": [0, 2]}, r"Children.specialist\[1\] = 2"),
        (
            {"looked_after": [0, 2]},
            r"Children.looked_after\[1\] = 2: expected a boolean",
        ),
        ({"looked_after": [0.5, 1]}, r"Children.looked_after\[0\] = 0.5"),
        ({"looked_after": ["yes", "no"]}, r"Children.looked_after: expected numbers"),
        ({"looked_after": [True]}, r"Children.looked_after: expected shape \(2,\)"),
    ],
)
def test_children_errors(kw, match):
    with pytest.raises(sa.InvalidScenarioError, match=match):
        _children(**kw)


def test_children_rural():
    c = _children()
    assert c.rural.dtype == np.bool_
    assert c.rural.tolist() == [False, False]  # default: none
    assert not c.rural.flags.writeable
    c = _children(rural=[0, 1])
    assert c.rural.tolist() == [False, True]
    assert not c.rural.flags.writeable
    with pytest.raises(sa.InvalidScenarioError, match=r"Children.rural\[1\] = 2"):
        _children(rural=[0, 2])
    with pytest.raises(
        sa.InvalidScenarioError, match=r"Children.rural: expected shape"
    ):
        _children(rural=[True])


def test_children_constructor_without_rural_still_builds():
    # Tables built by the dataclass constructor before `rural` existed.
    c = _children()
    kw = {
        k: getattr(c, k)
        for k in [
            "id",
            "need",
            "age",
            "x_km",
            "y_km",
            "plan_day",
            "severity",
            "specialist",
            "transfer",
            "looked_after",
        ]
    }
    d = sa.Children(**kw)
    assert d.rural.tolist() == [False, False]
    assert not d.rural.flags.writeable
