from pathlib import Path

import numpy as np
import pytest

import sendalloc as sa
from sendalloc.io import read_children, read_gias
from sendalloc.population import KINDS, NEEDS

DATA = Path(__file__).parent / "data"
GIAS = DATA / "gias_small.csv"


def test_gias_real_layout():
    s = read_gias(GIAS, la_codes=[888], neighbour_la_codes=[890])
    ids = s.id
    # closed school, independent mainstream and other LAs are dropped
    assert "100006" not in ids
    assert "100008" not in ids
    assert "100011" not in ids
    kind = dict(zip(ids, s.kind_names, strict=True))
    assert kind["100001"] == "mainstream"
    assert kind["100001-RP"] == "resourced_provision"
    assert kind["100002-RP"] == kind["100002-UNIT"] == "resourced_provision"
    assert kind["100003"] == "special"
    assert kind["100004"] == "independent_special"
    assert kind["100005"] == "alternative_provision"
    assert kind["100007"] == "post16"
    assert kind["100009"] == "non_maintained_special"
    assert kind["100010"] == "special"
    i = ids.index("100001-RP")
    assert s.capacity[i] == 10
    assert s.on_roll[i] == 9
    assert s.needs[i, NEEDS.index("ASD")]
    assert s.needs[i, NEEDS.index("SLCN")]
    j = ids.index("100002-UNIT")
    assert s.capacity[j] == 12
    assert s.on_roll[j] == 11
    assert s.needs[j, NEEDS.index("HI")]
    m = ids.index("100001")
    assert not s.needs[m].any()  # the mainstream school itself takes any need
    assert (s.min_age[m], s.max_age[m]) == (4, 10)
    assert s.x_km[m] == pytest.approx(352.1)
    assert s.y_km[m] == pytest.approx(430.2)
    sp = ids.index("100010")
    assert s.needs[sp, NEEDS.index("SPLD")]
    assert s.needs[sp, NEEDS.index("MLD")]
    assert not s.in_area[sp]
    assert s.in_area[m]
    # a blank roll is unknown: assumed full, not empty; blank both gives 0
    assert s.capacity[ids.index("100004")] == 45
    assert s.on_roll[ids.index("100004")] == 45
    assert s.capacity[ids.index("100007")] == 0
    assert s.on_roll[ids.index("100007")] == 0
    assert "St Mary\u2019s" in s.name[m]  # Windows-1252 curly apostrophe
    assert s.cost[ids.index("100003")] == 25_000.0


def test_gias_filters():
    everything = read_gias(GIAS)
    assert "100011" in everything.id
    assert everything.in_area.all()
    with_closed = read_gias(GIAS, open_only=False)
    assert "100006" in with_closed.id
    cheap = read_gias(GIAS, cost_by_kind={"special": 1.0})
    assert cheap.cost[cheap.id.index("100003")] == 1.0
    assert KINDS[everything.kind[everything.id.index("100011")]] == "mainstream"


def _mutate(tmp_path, column, row, value):
    import csv

    with open(GIAS, encoding="cp1252", newline="") as f:
        rows = list(csv.reader(f))
    col = rows[0].index(column)
    rows[row][col] = value
    out = tmp_path / "g.csv"
    with open(out, "w", encoding="cp1252", newline="") as f:
        csv.writer(f).writerows(rows)
    return out, col + 1


@pytest.mark.parametrize(
    ("column", "value", "match"),
    [
        ("TypeOfEstablishment (name)", "Castle", "unknown establishment type"),
        ("SEN1 (name)", "XYZ - Something", "unknown SEN provision type"),
        ("StatutoryLowAge", "four", "expected a whole number"),
        ("EstablishmentStatus (name)", "Ajar", "unknown status"),
        ("TypeOfResourcedProvision (name)", "Pod", "unknown type"),
        ("Easting", "", "expected a number"),
    ],
)
def test_gias_errors_name_line_and_column(tmp_path, column, value, match):
    path, col = _mutate(tmp_path, column, 3, value)
    with pytest.raises(sa.InvalidScenarioError, match=rf"g\.csv:4:{col}: .*{match}"):
        read_gias(path)


@pytest.mark.parametrize(
    ("row", "column", "value", "uid", "places"),
    [
        # (CSV row, column, new value, setting id, (capacity, on roll))
        (1, "NumberOfPupils", "", "100001", (420, 420)),  # blank roll: full
        (1, "SchoolCapacity", "", "100001", (401, 401)),  # blank capacity: the roll
        (1, "ResourcedProvisionOnRoll", "", "100001-RP", (10, 10)),
        (1, "ResourcedProvisionCapacity", "", "100001-RP", (9, 9)),
        (2, "SenUnitOnRoll", "", "100002-UNIT", (12, 12)),
        (2, "SenUnitCapacity", "", "100002-UNIT", (11, 11)),
        (2, "ResourcedProvisionOnRoll", "0", "100002-RP", (8, 0)),  # 0 is 0
    ],
)
def test_gias_blank_roll_is_assumed_full(tmp_path, row, column, value, uid, places):
    path, _ = _mutate(tmp_path, column, row, value)
    s = read_gias(path)
    i = s.id.index(uid)
    assert (s.capacity[i], s.on_roll[i]) == places


@pytest.mark.parametrize(
    "column", ["NumberOfPupils", "SchoolCapacity", "SenUnitOnRoll", "SenUnitCapacity"]
)
def test_gias_negative_places_refused(tmp_path, column):
    path, col = _mutate(tmp_path, column, 2, "-3")
    with pytest.raises(
        sa.InvalidScenarioError, match=rf"g\.csv:3:{col}: {column} = '-3': .*>= 0"
    ):
        read_gias(path)


def test_gias_missing_column(tmp_path):
    p = tmp_path / "g.csv"
    p.write_text("URN,EstablishmentName\n1,x\n", encoding="cp1252")
    with pytest.raises(sa.InvalidScenarioError, match=r"g\.csv:1:1: missing column"):
        read_gias(p)


def test_read_children():
    c = read_children(DATA / "children_small.csv")
    assert c.id == ("A1", "A2", "A3", "A4")
    assert [NEEDS[k] for k in c.need] == ["ASD", "PMLD", "SEMH", "HI"]
    assert c.specialist.tolist() == [False, True, True, False]
    assert c.transfer.tolist() == [False, True, True, True]
    assert c.plan_day.tolist() == [120, 46, 46, 90]
    assert np.allclose(c.severity, [0.2, 0.97, 0.6, 0.5])
    assert not c.looked_after.any()  # no looked_after column: all false


def test_read_children_looked_after():
    # the column sits mid-header: columns may come in any order
    c = read_children(DATA / "children_looked_after.csv")
    assert c.id == ("L1", "L2", "L3", "L4", "L5", "L6")
    # 1, 0, TRUE, blank, Yes, no
    assert c.looked_after.tolist() == [True, False, True, False, True, False]
    assert c.specialist.tolist() == [False, True, False, False, True, False]
    assert not c.transfer.any()  # no transfer column
    assert c.plan_day.tolist() == [120, 46, 200, 46, 90, 15]
    assert not c.looked_after.flags.writeable


_LA_HEADER = "id,need,age,x_km,y_km,plan_day,severity,looked_after\n"


@pytest.mark.parametrize("value", ["maybe", "2", "-1", "0.5", "looked after", "x"])
def test_read_children_bad_looked_after(tmp_path, value):
    p = tmp_path / "c.csv"
    p.write_text(
        _LA_HEADER + "a,ASD,4,0,0,1,0.5,1\n" + f"b,ASD,4,0,0,1,0.5,{value}\n",
        encoding="utf-8",
    )
    with pytest.raises(
        sa.InvalidScenarioError,
        match=rf"c\.csv:3:8: looked_after = '{value}': expected true/false",
    ):
        read_children(p)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        (
            "id,need,age,x_km,y_km,plan_day,severity\na,ZZ,4,0,0,1,0.5\n",
            r":2:2: need = 'ZZ'",
        ),
        (
            "id,need,age,x_km,y_km,plan_day,severity\na,ASD,4,0,0,400,0.5\n",
            r":2:6: plan_day",
        ),
        (
            "id,need,age,x_km,y_km,plan_day,severity,colour\n",
            r":1:8: unknown column 'colour'",
        ),
        ("id,need,age,x_km,y_km,plan_day\n", r":1:1: missing column 'severity'"),
        (
            "id,need,age,x_km,y_km,plan_day,severity\na,ASD,4,0,0,1,0.5\na,ASD,4,0,0,1,0.5\n",
            r":3:1: id = 'a': duplicate id \(also on line 2\)",
        ),
        (
            "id,need,age,x_km,y_km,plan_day,severity,specialist\na,ASD,4,0,0,1,0.5,maybe\n",
            r":2:8: specialist = 'maybe'",
        ),
        (
            "id,looked_after,need,age,x_km,y_km,plan_day,severity\na,no,ASD,4,0,0,1,0.5\n"
            "b,nope,ASD,4,0,0,1,0.5\n",
            r"c\.csv:3:2: looked_after = 'nope'",
        ),
    ],
)
def test_children_errors(tmp_path, text, match):
    p = tmp_path / "c.csv"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(sa.InvalidScenarioError, match=match):
        read_children(p)
