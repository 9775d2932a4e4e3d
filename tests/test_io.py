import logging
import re
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
    ("column", "value", "reason", "match"),
    [
        (
            "TypeOfEstablishment (name)",
            "Castle",
            "unknown_type",
            "unknown establishment type",
        ),
        ("SEN1 (name)", "XYZ - Something", "unknown_sen", "unknown SEN provision"),
        ("StatutoryLowAge", "four", "bad_age", "expected a whole number"),
        ("StatutoryLowAge", "", "no_age", "expected an age"),
        ("StatutoryHighAge", "1", "age_range_reversed", r"expected an age >= "),
        ("EstablishmentStatus (name)", "Ajar", "unknown_status", "unknown status"),
        (
            "TypeOfResourcedProvision (name)",
            "Pod",
            "unknown_resourced_provision",
            "unknown type",
        ),
        ("Easting", "", "no_location", "expected metres"),
        ("Northing", "0", "no_location", "expected metres"),
        ("Easting", "352100000", "no_location", "expected metres"),
        ("SchoolCapacity", "1e10", "places_out_of_range", "at most 2,147,483,647"),
        ("NumberOfPupils", "2147483648", "places_out_of_range", "at most"),
        ("NumberOfPupils", "12.5", "bad_places", "whole number >= 0"),
    ],
)
def test_gias_unusable_row_is_skipped_and_reported(
    tmp_path, column, value, reason, match
):
    """Issue 15: one unusable row no longer stops the read; it is reported with
    its line and column, and ``strict=True`` gives the old error."""
    path, col = _mutate(tmp_path, column, 3, value)
    where = rf"g\.csv:4:{col}: {re.escape(column)} = {re.escape(repr(value))}: "
    with pytest.raises(sa.InvalidScenarioError, match=where + f".*{match}"):
        read_gias(path, strict=True)
    s, report = read_gias(path, return_report=True)
    assert "100003" not in s.id  # line 4 is URN 100003
    assert report.counts() == {reason: 1}
    assert report.lines(reason) == (4,)
    (issue,) = report.skipped
    assert (issue.line, issue.column, issue.position, issue.value) == (
        4,
        column,
        col,
        value,
    )
    assert re.search(where + f".*{match}", issue.where(str(path)))
    assert report.rows == report.establishments + sum(report.filtered.values()) + 1
    assert report.settings == s.n


def test_gias_skipped_rows_are_logged(tmp_path, caplog):
    path, col = _mutate(tmp_path, "Easting", 3, "")
    with caplog.at_level(logging.WARNING, logger="sendalloc.io"):
        s = read_gias(path)
    assert "100003" not in s.id
    (rec,) = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert f"g.csv:4:{col}: Easting = ''" in rec.getMessage()
    assert "skipped 1: no location" in rec.getMessage()


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
        read_gias(path, strict=True)
    s, report = read_gias(path, return_report=True)
    assert report.lines("bad_places") == (3,)
    # the row is skipped whole: the school and its unit and provision
    assert not any(i.startswith("100002") for i in s.id)


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


def _header_and_row(drop=(), twice=()):
    import csv

    with open(GIAS, encoding="cp1252", newline="") as f:
        rows = list(csv.reader(f))
    keep = [i for i, h in enumerate(rows[0]) if h not in drop]
    extra = [rows[0].index(h) for h in twice]
    return [[r[i] for i in keep + extra] for r in rows]


@pytest.mark.parametrize(
    "column",
    [
        "TypeOfResourcedProvision (name)",  # silently dropped every unit
        "SEN1 (name)",
        "SEN5 (name)",  # silently made special schools take any need
        "SEN13 (name)",
        "SenUnitCapacity",
        "StatutoryHighAge",
    ],
)
def test_gias_missing_column_is_named(tmp_path, column):
    import csv

    p = tmp_path / "g.csv"
    with open(p, "w", encoding="cp1252", newline="") as f:
        csv.writer(f).writerows(_header_and_row(drop=(column,)))
    with pytest.raises(
        sa.InvalidScenarioError,
        match=rf"g\.csv:1:1: missing column {re.escape(repr(column))}$",
    ):
        read_gias(p)


def test_gias_missing_columns_all_named(tmp_path):
    import csv

    p = tmp_path / "g.csv"
    with open(p, "w", encoding="cp1252", newline="") as f:
        csv.writer(f).writerows(_header_and_row(drop=("SEN2 (name)", "Easting")))
    with pytest.raises(
        sa.InvalidScenarioError,
        match=r"missing columns 'Easting', 'SEN2 \(name\)'",
    ):
        read_gias(p)


@pytest.mark.parametrize("column", ["NumberOfPupils", "Postcode"])
def test_gias_column_given_twice(tmp_path, column):
    """A repeated column silently used the last copy; now it is an error."""
    import csv

    rows = _header_and_row(twice=(column,))
    p = tmp_path / "g.csv"
    with open(p, "w", encoding="cp1252", newline="") as f:
        csv.writer(f).writerows(rows)
    first = rows[0].index(column) + 1
    n = len(rows[0])
    with pytest.raises(
        sa.InvalidScenarioError,
        match=rf"g\.csv:1:{n}: column {re.escape(repr(column))} given twice "
        rf"\(columns {first} and {n}\)",
    ):
        read_gias(p)


def test_gias_duplicate_urn_names_both_lines(tmp_path):
    path, col = _mutate(tmp_path, "URN", 7, "100002")
    with pytest.raises(
        sa.InvalidScenarioError,
        match=rf"g\.csv:8:{col}: URN = '100002': duplicate URN \(also on line 3\)",
    ):
        read_gias(path)


def test_gias_duplicate_urn_even_on_a_closed_row(tmp_path):
    path, _ = _mutate(tmp_path, "URN", 6, "100001")  # line 7 is the closed school
    with pytest.raises(sa.InvalidScenarioError, match=r"g\.csv:7:1: .*also on line 2"):
        read_gias(path)


def test_gias_wrong_number_of_fields(tmp_path):
    p = tmp_path / "g.csv"
    lines = GIAS.read_bytes().split(b"\r\n")
    lines[4] += b",extra"
    p.write_bytes(b"\r\n".join(lines))
    with pytest.raises(sa.InvalidScenarioError, match=r"g\.csv:5:1: 48 fields"):
        read_gias(p)


def test_gias_ages_capped_at_25(tmp_path):
    path, _ = _mutate(tmp_path, "StatutoryHighAge", 7, "99")  # the FE college
    s, report = read_gias(path, return_report=True)
    i = s.id.index("100007")
    assert (s.min_age[i], s.max_age[i]) == (16, 25)
    assert report.notes["age_capped"] == (8,)
    for hi, last in (("26", 25), ("25", 24), ("16", 16)):
        path, _ = _mutate(tmp_path, "StatutoryHighAge", 7, hi)
        s = read_gias(path)
        assert s.max_age[s.id.index("100007")] == last


def _encoded(tmp_path, encoding, text="St Mary\u2019s"):
    import csv

    with open(GIAS, encoding="cp1252", newline="") as f:
        rows = list(csv.reader(f))
    rows[1][rows[0].index("EstablishmentName")] = text
    p = tmp_path / "g.csv"
    with open(p, "w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(rows)
    return p


@pytest.mark.parametrize(
    ("encoding", "found"),
    [("utf-8-sig", "utf-8-sig"), ("utf-8", "utf-8"), ("cp1252", "cp1252")],
)
def test_gias_encoding_detected(tmp_path, encoding, found):
    p = _encoded(tmp_path, encoding, "St Mary\u2019s Caf\u00e9")
    s, report = read_gias(p, return_report=True)
    assert report.encoding == found
    assert s.name[s.id.index("100001")] == "St Mary\u2019s Caf\u00e9"


def test_gias_explicit_encoding_still_works(tmp_path):
    p = _encoded(tmp_path, "cp1252")
    assert "St Mary\u2019s" in read_gias(p, encoding="cp1252").name
    bom = _encoded(tmp_path, "utf-8-sig")
    assert "St Mary\u2019s" in read_gias(bom, encoding="utf-8").name
    with pytest.raises(
        sa.InvalidScenarioError,
        match=r"g\.csv:1:1: the file starts with a UTF-8 byte-order mark but "
        r"encoding = 'cp1252'",
    ):
        read_gias(bom, encoding="cp1252")
    with pytest.raises(sa.InvalidScenarioError, match="unknown encoding"):
        read_gias(p, encoding="klingon")


def test_gias_undecodable_byte_names_line(tmp_path):
    p = tmp_path / "g.csv"
    lines = GIAS.read_bytes().split(b"\r\n")
    lines[2] = lines[2].replace(b"Brookfield", b"Brook\x81field")  # not cp1252
    p.write_bytes(b"\r\n".join(lines))
    with pytest.raises(
        sa.InvalidScenarioError, match=r"g\.csv:3:\d+: byte 0x81 is not valid cp1252"
    ):
        read_gias(p)


def test_read_report_lines_rejects_unknown_reason():
    _, report = read_gias(GIAS, return_report=True)
    with pytest.raises(ValueError, match="reason = 'nope': expected one of no_urn"):
        report.lines("nope")
    assert str(report) == report.summary()
    assert report.notes == {"no_places": (8,), "roll_blank": (5,)}


_CHILD_HEADER = "id,need,age,x_km,y_km,plan_day,severity\n"


@pytest.mark.parametrize(
    ("row", "match"),
    [
        ("a,ASD,4,352100,430.0,1,0.5", r":2:4: x_km = '352100': .*looks like metres"),
        ("a,ASD,4,352.1,430200,1,0.5", r":2:5: y_km = '430200': .*looks like metres"),
        ("a,ASD,4,-3,430,1,0.5", r":2:4: x_km = '-3': .*outside the British"),
        ("a,ASD,4,3e9,430,1,0.5", r":2:4: x_km = '3e9': .*outside the British"),
        ("a,ASD,4,nan,430,1,0.5", r":2:4: x_km = 'nan': expected a number"),
    ],
)
def test_read_children_metres_refused(tmp_path, row, match):
    p = tmp_path / "c.csv"
    p.write_text(_CHILD_HEADER + row + "\n", encoding="utf-8")
    with pytest.raises(sa.InvalidScenarioError, match=match):
        read_children(p)


def test_read_children_column_given_twice(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text(
        "id,need,age,x_km,y_km,plan_day,severity,age\na,ASD,4,1,1,1,0.5,5\n",
        encoding="utf-8",
    )
    with pytest.raises(
        sa.InvalidScenarioError,
        match=r"c\.csv:1:8: column 'age' given twice \(columns 3 and 8\)",
    ):
        read_children(p)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "cp1252"])
def test_read_children_encodings(tmp_path, encoding):
    p = tmp_path / "c.csv"
    p.write_text(_CHILD_HEADER + "Zo\u00eb,ASD,4,352,430,1,0.5\n", encoding=encoding)
    assert read_children(p).id == ("Zo\u00eb",)
