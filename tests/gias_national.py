"""A synthetic national GIAS "all establishment data" file, in the real layout.

    python tests/gias_national.py out.csv [--rows 50000] [--seed 0] [--encoding cp1252]

`write_national` writes a file shaped like the national download (the real 139
columns in their order, every establishment type, every status, the SEN1..SEN13
names, resourced provision and SEN units, Windows-1252 names with commas, quotes
and an embedded line break) with the quirks of the real register planted in known
rows: colleges registered 16 to 99, blank ages, blank or zero coordinates, blank
LA codes, high age below low age, capacities beyond int32, unknown codes. It
returns what each row is (`Row`), so a test knows which rows must be kept, left
out or skipped, and on which line, without reading the file back.

The column names, establishment type names and codes, statuses and SEN provision
names are those of the GIAS download (get-information-schools.service.gov.uk,
"all establishment data"); everything else (names, places, locations, LA codes)
is made up. Generating 50,000 rows takes about a second.
"""

from __future__ import annotations

import argparse
import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# The header of the national download, in order (139 columns).
COLUMNS = [
    "URN", "LA (code)", "LA (name)", "EstablishmentNumber", "EstablishmentName",
    "TypeOfEstablishment (code)", "TypeOfEstablishment (name)",
    "EstablishmentTypeGroup (code)", "EstablishmentTypeGroup (name)",
    "EstablishmentStatus (code)", "EstablishmentStatus (name)",
    "ReasonEstablishmentOpened (code)", "ReasonEstablishmentOpened (name)",
    "OpenDate", "ReasonEstablishmentClosed (code)",
    "ReasonEstablishmentClosed (name)", "CloseDate", "PhaseOfEducation (code)",
    "PhaseOfEducation (name)", "StatutoryLowAge", "StatutoryHighAge",
    "Boarders (code)", "Boarders (name)", "NurseryProvision (name)",
    "OfficialSixthForm (code)", "OfficialSixthForm (name)", "Gender (code)",
    "Gender (name)", "ReligiousCharacter (code)", "ReligiousCharacter (name)",
    "ReligiousEthos (name)", "Diocese (code)", "Diocese (name)",
    "AdmissionsPolicy (code)", "AdmissionsPolicy (name)", "SchoolCapacity",
    "SpecialClasses (code)", "SpecialClasses (name)", "CensusDate",
    "NumberOfPupils", "NumberOfBoys", "NumberOfGirls", "PercentageFSM",
    "TrustSchoolFlag (code)", "TrustSchoolFlag (name)", "Trusts (code)",
    "Trusts (name)", "SchoolSponsorFlag (name)", "SchoolSponsors (name)",
    "FederationFlag (name)", "Federations (code)", "Federations (name)", "UKPRN",
    "FEHEIdentifier", "FurtherEducationType (name)", "OfstedLastInsp",
    "OfstedSpecialMeasures (code)", "OfstedSpecialMeasures (name)",
    "LastChangedDate", "Street", "Locality", "Address3", "Town", "County (name)",
    "Postcode", "SchoolWebsite", "TelephoneNum", "HeadTitle (name)",
    "HeadFirstName", "HeadLastName", "HeadPreferredJobTitle",
    "BSOInspectorateName (name)", "InspectorateReport",
    "DateOfLastInspectionVisit", "NextInspectionVisit", "TeenMoth (name)",
    "TeenMothPlaces", "CCF (name)", "SENPRU (name)", "EBD (name)", "PlacesPRU",
    "FTProv (name)", "EdByOther (name)", "Section41Approved (name)",
    *(f"SEN{i} (name)" for i in range(1, 14)),
    "TypeOfResourcedProvision (name)", "ResourcedProvisionOnRoll",
    "ResourcedProvisionCapacity", "SenUnitOnRoll", "SenUnitCapacity",
    "GOR (code)", "GOR (name)", "DistrictAdministrative (code)",
    "DistrictAdministrative (name)", "AdministrativeWard (code)",
    "AdministrativeWard (name)", "ParliamentaryConstituency (code)",
    "ParliamentaryConstituency (name)", "UrbanRural (code)", "UrbanRural (name)",
    "GSSLACode (name)", "Easting", "Northing", "MSOA (name)", "LSOA (name)",
    "InspectorateName (name)", "SENStat", "SENNoStat",
    "BoardingEstablishment (name)", "PropsName", "PreviousLA (code)",
    "PreviousLA (name)", "PreviousEstablishmentNumber", "OfstedRating (name)",
    "RSCRegion (name)", "Country (name)", "UPRN", "SiteName", "QABName (code)",
    "QABName (name)", "EstablishmentAccredited (code)",
    "EstablishmentAccredited (name)", "QABReport", "CHNumber", "MSOA (code)",
    "LSOA (code)", "FSM",
]  # fmt: skip
assert len(COLUMNS) == 139

# Establishment types, as GIAS gives them: type code | group code | the setting
# kind sendalloc should read them as (`KINDS_SHORT`; - : not a placement) | weight
# per 10,000 rows | (low age-high age) choices | type name.
_TYPES = """
 1 |  4 | ms | 1500 | 4-11 11-16 3-7 7-11 | Community school
 2 |  4 | ms |  600 | 4-11 11-18        | Voluntary aided school
 3 |  4 | ms |  400 | 4-11              | Voluntary controlled school
 5 |  4 | ms |  200 | 11-18 4-11        | Foundation school
 6 |  3 | ms |    5 | 11-18             | City technology college
 7 |  5 | sp |  200 | 2-19 11-19 4-11   | Community special school
 8 |  5 | nm |   30 | 5-19              | Non-maintained special school
10 |  5 | is |  150 | 7-19 11-18        | Other independent special school
11 |  3 |  - |  600 | 3-18 4-11         | Other independent school
12 |  5 | sp |   20 | 2-19              | Foundation special school
14 |  4 | ap |  100 | 5-16 11-16        | Pupil referral unit
15 |  4 | ms |  100 | 2-5               | Local authority nursery school
15 |  4 | ms |    2 | 2-5               | LA nursery school
18 |  1 | 16 |  100 | 16-99 14-99 16-19 | Further education
24 |  9 |  - |    5 | 10-18             | Secure units
25 |  9 |  - |    5 | 4-18              | Offshore schools
26 |  9 |  - |   10 | 4-18              | Service children's education
27 |  9 |  - |   30 | 4-18              | Miscellaneous
28 | 10 | ms |  500 | 4-11 11-18        | Academy sponsor led
29 |  2 |  - |   30 | 18-99             | Higher education institutions
30 |  6 |  - |  400 | 3-11 11-18        | Welsh establishment
31 |  1 | 16 |   20 | 16-19             | Sixth form centres
32 |  9 | 16 |   30 | 16-25 16-99       | Special post 16 institution
33 | 10 | sp |   50 | 4-19              | Academy special sponsor led
34 | 10 | ms | 1800 | 4-11 11-18 11-16  | Academy converter
35 | 11 | ms |  150 | 4-11 11-18        | Free schools
36 | 11 | sp |   30 | 4-19              | Free schools special
37 |  9 |  - |   30 | 3-18              | British schools overseas
38 | 11 | ap |   10 | 11-16             | Free schools alternative provision
39 | 11 | 16 |   10 | 16-19             | Free schools 16 to 19
40 | 11 | ms |   10 | 14-19             | University technical college
41 | 11 | ms |   10 | 14-19             | Studio schools
42 | 10 | ap |   30 | 5-16              | Academy alternative provision converter
43 | 10 | ap |   20 | 11-16             | Academy alternative provision sponsor led
44 | 10 | sp |   80 | 2-19 11-19        | Academy special converter
45 | 10 | 16 |   20 | 16-19             | Academy 16-19 converter
46 | 10 | 16 |   10 | 16-19             | Academy 16 to 19 sponsor led
49 | 13 |  - |   10 | 11-18             | Online provider
56 | 9 | - | 5 | 16-99 | Institution funded by other government department
57 | 10 |  - |    2 | 12-18             | Academy secure 16 to 19
 - |  9 |  - |  500 | 0-5               | Children's centre
 - |  9 |  - |  100 | 0-5               | Children's centre linked site
"""
KINDS_SHORT = {
    "ms": "mainstream",
    "sp": "special",
    "nm": "non_maintained_special",
    "is": "independent_special",
    "ap": "alternative_provision",
    "16": "post16",
}
GROUPS = {
    "1": "Colleges",
    "2": "Universities",
    "3": "Independent schools",
    "4": "Local authority maintained schools",
    "5": "Special schools",
    "6": "Welsh schools",
    "9": "Other types",
    "10": "Academies",
    "11": "Free Schools",
    "13": "Online provider",
}


def _types() -> dict[str, tuple[str, str, str, str | None, int, list[tuple[int, int]]]]:
    out = {}
    for row in _TYPES.strip().splitlines():
        code, group, kind, weight, ages, name = (x.strip() for x in row.split("|"))
        out[name] = (
            "" if code == "-" else code,
            group,
            GROUPS[group],
            KINDS_SHORT.get(kind),
            int(weight),
            [(int(a), int(b)) for a, b in (x.split("-") for x in ages.split())],
        )
    return out


# name: (type code, group code, group name, setting kind or None, weight, ages)
TYPES = _types()

# status name: (code, weight): about half the register is closed.
STATUSES = {
    "Open": ("1", 540),
    "Closed": ("2", 430),
    "Open, but proposed to close": ("3", 15),
    "Proposed to open": ("4", 15),
}
OPEN = {"Open", "Open, but proposed to close"}

# The SEN provision type names of the download ("SpLD" in mixed case).
SEN_NAMES = {
    "SPLD": "SpLD - Specific Learning Difficulty",
    "MLD": "MLD - Moderate Learning Difficulty",
    "SLD": "SLD - Severe Learning Difficulty",
    "PMLD": "PMLD - Profound and Multiple Learning Difficulty",
    "SEMH": "SEMH - Social, Emotional and Mental Health",
    "SLCN": "SLCN - Speech, language and Communication",
    "HI": "HI - Hearing Impairment",
    "VI": "VI - Visual Impairment",
    "MSI": "MSI - Multi-Sensory Impairment",
    "PD": "PD - Physical Disability",
    "ASD": "ASD - Autistic Spectrum Disorder",
    "OTH": "OTH - Other Difficulty/Disability",
}
SPECIAL = {"special", "non_maintained_special", "independent_special"}

# Planted quirks that make a row unusable: reason -> (column, bad value).
SKIPS: dict[str, list[tuple[str, str]]] = {
    "no_urn": [("URN", "")],
    "unknown_status": [("EstablishmentStatus (name)", "Temporarily suspended")],
    "unknown_type": [("TypeOfEstablishment (name)", "Academy hub school")],
    "no_age": [("StatutoryLowAge", ""), ("StatutoryHighAge", "")],
    "bad_age": [("StatutoryLowAge", "30"), ("StatutoryHighAge", "n/a")],
    "age_range_reversed": [("StatutoryHighAge", "1")],
    "no_location": [("Easting", ""), ("Northing", ""), ("Northing", "0")],
    "bad_places": [("SchoolCapacity", "-5"), ("NumberOfPupils", "12.5")],
    "places_out_of_range": [("SchoolCapacity", "3000000000")],
    "unknown_sen": [("SEN1 (name)", "XYZ - Not a provision type")],
    "unknown_resourced_provision": [
        ("TypeOfResourcedProvision (name)", "Enhanced provision")
    ],
}


@dataclass
class Row:
    """What one planted row is, as the generator made it."""

    line: int
    urn: str
    status: str
    kind: str | None  # None: not a placement; "?" for an unknown type
    la: int | None
    settings: int  # 1 + resourced provision + SEN unit
    skip: str | None = None  # a planted reason the reader must skip it for
    column: str = ""
    capped: bool = False  # high age above 26: last age capped at 25
    roll_blank: bool = False
    needs: frozenset[str] = field(default_factory=frozenset)


@dataclass
class National:
    """The file and its rows."""

    path: Path
    rows: list[Row]
    la_codes: list[int]

    def expected(
        self, la_codes: list[int] | None = None
    ) -> tuple[Counter[str], dict[str, list[int]], list[Row]]:
        """Rows left out by reason, lines skipped by reason, and rows kept.

        For a read with ``open_only=True`` (the default), filtered by
        ``la_codes`` (in area and neighbours together) if given.
        """
        filtered: Counter[str] = Counter()
        skipped: dict[str, list[int]] = {}
        kept = []
        for r in self.rows:
            why = None
            if r.status in STATUSES and r.status not in OPEN:
                why = "not_open"
            elif la_codes is not None and r.la is not None and r.la not in la_codes:
                why = "other_la"
            elif r.kind is None:
                why = "not_a_placement"
            if why:
                filtered[why] += 1
                continue
            reason = r.skip
            if reason is None and la_codes is not None and r.la is None:
                reason = "no_la_code"
            if reason:
                skipped.setdefault(reason, []).append(r.line)
            else:
                kept.append(r)
        return filtered, skipped, kept


def write_national(
    path: Path,
    rows: int = 50_000,
    *,
    seed: int = 0,
    encoding: str = "cp1252",
    skip_rate: float = 0.01,
) -> National:
    """Write a synthetic national file of ``rows`` rows; return its rows.

    Every establishment type and status appears; a share ``skip_rate`` of the
    rows that would be kept carries a planted unusable value (each reason of
    `SKIPS` at least once when the file is big enough), and closed rows carry
    the same blanks without being skipped (they are left out first).
    """
    rng = np.random.default_rng(seed)
    col = {c: i for i, c in enumerate(COLUMNS)}
    la_codes = sorted(rng.choice(np.arange(201, 939), size=153, replace=False).tolist())
    type_names = list(TYPES)
    w = np.array([TYPES[t][4] for t in type_names], dtype=float)
    types = rng.choice(len(type_names), size=rows, p=w / w.sum())
    types[: len(type_names)] = np.arange(len(type_names))  # each type at least once
    st_names = list(STATUSES)
    sw = np.array([STATUSES[s][1] for s in st_names], dtype=float)
    statuses = rng.choice(len(st_names), size=rows, p=sw / sw.sum())
    statuses[: len(st_names)] = np.arange(len(st_names))
    reasons = list(SKIPS)
    sen_codes = list(SEN_NAMES)
    # every draw made up front, one column per use: generation stays quick
    u = rng.random((rows, 12)).tolist()
    la_i = rng.integers(len(la_codes), size=rows).tolist()
    east = rng.integers(140_000, 655_000, size=rows).tolist()
    north = rng.integers(10_000, 650_000, size=rows).tolist()
    caps = rng.integers(30, 1800, size=rows).tolist()
    unit_caps = rng.integers(5, 30, size=(rows, 2)).tolist()
    sen_order = np.argsort(rng.random((rows, len(sen_codes))), axis=1).tolist()
    types, statuses = types.tolist(), statuses.tolist()
    out: list[Row] = []
    records: list[list[str]] = []
    line = 2
    planted = 0
    for i in range(rows):
        tname = type_names[types[i]]
        code, gcode, gname, kind, _, ages = TYPES[tname]
        status = st_names[statuses[i]]
        ui = u[i]
        la = la_codes[la_i[i]]
        v = [""] * len(COLUMNS)
        urn = str(100000 + i)
        lo, hi = ages[int(ui[0] * len(ages))]
        v[col["URN"]] = urn
        v[col["LA (code)"]] = str(la)
        v[col["LA (name)"]] = f"Authority {la}"
        v[col["EstablishmentNumber"]] = str(1000 + i % 9000)
        v[col["EstablishmentName"]] = _name(i)
        v[col["TypeOfEstablishment (code)"]] = code
        v[col["TypeOfEstablishment (name)"]] = tname
        v[col["EstablishmentTypeGroup (code)"]] = gcode
        v[col["EstablishmentTypeGroup (name)"]] = gname
        v[col["EstablishmentStatus (code)"]] = STATUSES[status][0]
        v[col["EstablishmentStatus (name)"]] = status
        v[col["StatutoryLowAge"]] = str(lo)
        v[col["StatutoryHighAge"]] = str(hi)
        v[col["PhaseOfEducation (name)"]] = "Primary" if hi <= 11 else "Secondary"
        v[col["Gender (name)"]] = "Mixed"
        v[col["Postcode"]] = f"AB{i % 99} {i % 9}CD"
        v[col["Street"]] = f"{i % 300} High Street"
        v[col["GOR (name)"]] = "South East"
        v[col["Country (name)"]] = "United Kingdom"
        v[col["Easting"]] = str(east[i])
        v[col["Northing"]] = str(north[i])
        cap = int(caps[i])
        roll_blank = bool(ui[1] < 0.05)
        v[col["SchoolCapacity"]] = str(cap)
        v[col["NumberOfPupils"]] = (
            "" if roll_blank else str(int(cap * (0.7 + 0.4 * ui[2])))
        )
        # designation: special settings mostly have codes, a few none
        needs: set[str] = set()
        listed = kind in SPECIAL or kind == "alternative_provision"
        if (listed or tname == "Special post 16 institution") and ui[3] < 0.9:
            needs = {sen_codes[j] for j in sen_order[i][: 1 + int(ui[4] * 6)]}
        rp = ""
        n_settings = 1
        if kind == "mainstream" and ui[5] < 0.07:
            rp = [
                "Resourced provision",
                "SEN unit",
                "Resourced provision and SEN unit",
            ][int(ui[6] * 3)]
            needs = {sen_codes[j] for j in sen_order[i][: 1 + int(ui[4] * 2)]}
            n_settings += 2 if rp == "Resourced provision and SEN unit" else 1
            if "Resourced provision" in rp:
                c = int(unit_caps[i][0])
                v[col["ResourcedProvisionCapacity"]] = str(c)
                v[col["ResourcedProvisionOnRoll"]] = str(int(c * 1.1 * ui[7]))
            if "SEN unit" in rp:
                c = int(unit_caps[i][1])
                v[col["SenUnitCapacity"]] = str(c)
                v[col["SenUnitOnRoll"]] = (
                    "" if ui[8] < 0.1 else str(int(c * 1.1 * ui[7]))
                )
        elif kind is not None or ui[5] < 0.5:
            rp = "Not applicable"
        v[col["TypeOfResourcedProvision (name)"]] = rp
        sen = [SEN_NAMES[c] for c in sorted(needs)]
        if sen and ui[9] < 0.1:
            sen.insert(0, "Not Applicable")  # as the register has it, then codes
        if "SEMH" in needs and ui[10] < 0.2:
            sen[sen.index(SEN_NAMES["SEMH"])] = (
                "BESD - Behaviour, Emotional and Social Difficulty"
            )
        for j, name in enumerate(sen):
            v[col[f"SEN{j + 1} (name)"]] = name
        r = Row(
            line=line,
            urn=urn,
            status=status,
            kind=kind,
            la=la,
            settings=n_settings,
            capped=hi - 1 > 25,
            roll_blank=roll_blank,
            needs=frozenset(needs),
        )
        would_keep = status in OPEN and kind is not None
        if would_keep and (planted < len(reasons) or ui[11] < skip_rate):
            reason = reasons[planted % len(reasons)]
            planted += 1
            choices = SKIPS[reason]
            column, bad = choices[(planted // len(reasons)) % len(choices)]
            if reason == "age_range_reversed":
                v[col["StatutoryLowAge"]] = "11"
            if reason == "unknown_sen":
                v[col["SEN1 (name)"]] = ""  # the bad value goes in SEN1
            v[col[column]] = bad
            r.skip, r.column = reason, column
            if reason == "unknown_type":
                r.kind = "?"
            if reason == "unknown_status":
                r.status = bad
        elif would_keep and ui[11] > 0.996:
            v[col["LA (code)"]] = ""  # kept unless the read filters by LA
            r.la = None
        elif not would_keep and ui[11] > 0.95:
            # closed (or not a placement) rows with blanks: left out, not skipped
            v[col["StatutoryLowAge"]] = v[col["StatutoryHighAge"]] = ""
            v[col["Easting"]] = v[col["Northing"]] = ""
        if i % 5000 == 17:
            v[col["Street"]] = "Unit 4\nThe Old Mill"  # an embedded line break
        line += 1 + v[col["Street"]].count("\n")
        out.append(r)
        records.append(v)
    with open(path, "w", encoding=encoding, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        writer.writerows(records)
    return National(Path(path), out, la_codes)


_FIRST = ["St Mary’s", "Brookfield", "Oakwood", "Café Lane", 'The "Grange"',
          "Hill, Top and Vale", "Riverside", "St John’s", "Élan", "Meadow"]  # fmt: skip
_LAST = ["Primary School", "Academy", "School", "College", "Centre", "Infant School"]


def _name(i: int) -> str:
    return f"{_FIRST[i % len(_FIRST)]} {_LAST[(i // len(_FIRST)) % len(_LAST)]}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--encoding", default="cp1252")
    args = ap.parse_args(argv)
    nat = write_national(args.out, args.rows, seed=args.seed, encoding=args.encoding)
    print(f"{args.out}: {len(nat.rows):,} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
