"""The GIAS reader: :func:`read_gias` reads the establishments file into settings.

:func:`read_gias` reads the "all establishment data" CSV as downloaded from Get
Information about Schools (one row per establishment, all of England: about
50,000 rows) into a :class:`~sendalloc.population.Settings` table.
:data:`GIAS_KINDS` maps establishment types to setting kinds and
:data:`DEFAULT_COSTS` gives the cost per place of each kind.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal, overload

import numpy as np

from sendalloc.errors import InvalidScenarioError
from sendalloc.io.csvfile import (
    BNG_E,
    BNG_N,
    MAX_AGE,
    NEED_ALIASES,
    CsvTable,
    whole_number,
)
from sendalloc.io.report import ReadReport, RowIssue
from sendalloc.population import KINDS, NEEDS, Settings

__all__ = ["DEFAULT_COSTS", "GIAS_KINDS", "read_gias"]

# Named as before the readers were split, so that callers' logging set-up holds.
_log = logging.getLogger("sendalloc.io")

GIAS_KINDS: dict[str, str | None] = {
    # state-funded mainstream
    "Community school": "mainstream",
    "Voluntary aided school": "mainstream",
    "Voluntary controlled school": "mainstream",
    "Foundation school": "mainstream",
    "City technology college": "mainstream",
    "Academy sponsor led": "mainstream",
    "Academy converter": "mainstream",
    "Free schools": "mainstream",
    "University technical college": "mainstream",
    "Studio schools": "mainstream",
    "Local authority nursery school": "mainstream",
    "LA nursery school": "mainstream",  # the name in older extracts
    # state-funded special
    "Community special school": "special",
    "Foundation special school": "special",
    "Academy special sponsor led": "special",
    "Academy special converter": "special",
    "Free schools special": "special",
    "Non-maintained special school": "non_maintained_special",
    "Other independent special school": "independent_special",
    # alternative provision
    "Pupil referral unit": "alternative_provision",
    "Academy alternative provision converter": "alternative_provision",
    "Academy alternative provision sponsor led": "alternative_provision",
    "Free schools alternative provision": "alternative_provision",
    # post-16
    "Sixth form centres": "post16",
    "Further education": "post16",
    "Academy 16-19 converter": "post16",
    "Academy 16 to 19 sponsor led": "post16",
    "Free schools 16 to 19": "post16",
    "Special post 16 institution": "post16",
    # not placements under a tailored list: skipped
    "Other independent school": None,
    "Secure units": None,
    "Academy secure 16 to 19": None,
    "Offshore schools": None,
    "Service children's education": None,
    "Miscellaneous": None,
    "Higher education institutions": None,
    "Welsh establishment": None,
    "British schools overseas": None,
    "Online provider": None,
    "Institution funded by other government department": None,
    "Children's centre": None,
    "Children's centre linked site": None,
}
"""GIAS ``TypeOfEstablishment (name)`` -> setting kind (None: not read).

Independent mainstream schools are skipped: the tailored list is drawn from the
local inclusion plan, and parents seek them only through s9 representations
(source ``ea-1996-s9-independent``). A row whose type is not in this table is
skipped and reported (reason ``unknown_type``), or an error with ``strict=True``.
"""

DEFAULT_COSTS: dict[str, float] = {
    # Annual cost per place; ids of sendalloc.sources (docs/sources.md):
    "mainstream": 6_000.0,  # hn-guide-mainstream-notional: the school's first £6k
    # hn-guide-unit-rp-place-funding £6-10k (replacing the notional £6k) + an LA
    # top-up; assumption: £8k + half of special-top-up's £15k
    "resourced_provision": 15_500.0,
    "special": 25_000.0,  # state-special-cost ≈ £24-26k (NAO 2024; DfE 2025/26)
    "non_maintained_special": 62_500.0,  # assumption: no NMSS figure; as independent
    "independent_special": 62_500.0,  # independent-special-cost ≈ £62-63k
    # hn-guide-ap-place-funding £8k + an assumed £10k top-up
    "alternative_provision": 18_000.0,
    "post16": 6_000.0,  # assumption: no figure; as mainstream
}
"""Annual cost per place by kind, GBP, used when the data carry no cost."""

_OPEN = {"Open", "Open, but proposed to close"}
_STATUSES = _OPEN | {"Closed", "Proposed to open"}
_RP_TYPES = {
    "Resourced provision": (True, False),
    "SEN unit": (False, True),
    "Resourced provision and SEN unit": (True, True),
    "Not applicable": (False, False),
    "": (False, False),
}
_SEN_COLUMNS = tuple(f"SEN{i} (name)" for i in range(1, 14))
_GIAS_REQUIRED = (
    "URN",
    "EstablishmentName",
    "TypeOfEstablishment (name)",
    "EstablishmentStatus (name)",
    "LA (code)",
    "StatutoryLowAge",
    "StatutoryHighAge",
    "SchoolCapacity",
    "NumberOfPupils",
    "Easting",
    "Northing",
    *_SEN_COLUMNS,
    "TypeOfResourcedProvision (name)",
    "ResourcedProvisionCapacity",
    "ResourcedProvisionOnRoll",
    "SenUnitCapacity",
    "SenUnitOnRoll",
)
_INT32_MAX = 2**31 - 1
_SPECIAL_KINDS = {"special", "non_maintained_special", "independent_special"}


class _Skip(Exception):
    """A row cannot be used: the reason, the column and what was expected."""

    def __init__(self, reason: str, column: str, message: str) -> None:
        super().__init__(message)
        self.reason, self.column, self.message = reason, column, message


class _GiasRow:
    """Access to one GIAS record's cells by column name."""

    __slots__ = ("ix", "values")

    def __init__(self, ix: Mapping[str, int], values: list[str]) -> None:
        self.ix, self.values = ix, values

    def get(self, column: str) -> str:
        return self.values[self.ix[column]].strip()


def _places(
    row: _GiasRow, cap_col: str, roll_col: str, notes: set[str]
) -> tuple[int, int]:
    """Capacity and number on roll; a blank one is taken from the other.

    A blank roll is unknown, not zero (zero would make every place look free),
    so the setting is assumed full: roll = capacity. A blank capacity is
    likewise taken as the roll (full); both blank give 0 and 0.
    """
    known: dict[str, int] = {}
    for column in (roll_col, cap_col):
        v = row.get(column)
        if v == "":
            continue
        value = whole_number(v)
        if value is None or value < 0:
            raise _Skip("bad_places", column, "expected a whole number >= 0")
        if value > _INT32_MAX:
            raise _Skip(
                "places_out_of_range", column, f"expected at most {_INT32_MAX:,}"
            )
        known[column] = value
    if roll_col not in known:
        notes.add("no_places" if cap_col not in known else "roll_blank")
    elif cap_col not in known:
        notes.add("capacity_blank")
    cap = known.get(cap_col, known.get(roll_col, 0))
    return cap, known.get(roll_col, cap)


def _sen_codes(row: _GiasRow) -> list[int]:
    out: set[int] = set()
    for column in _SEN_COLUMNS:
        v = row.get(column)
        if not v or v.lower() in ("not applicable", "n/a"):
            continue
        code = v.split(" - ", 1)[0].strip().upper()
        code = NEED_ALIASES.get(code, code)
        if code not in NEEDS:
            raise _Skip(
                "unknown_sen",
                column,
                f"unknown SEN provision type; expected a code in {NEEDS}",
            )
        out.add(NEEDS.index(code))
    return sorted(out)


def _ages(row: _GiasRow, notes: set[str]) -> tuple[int, int]:
    lo_s, hi_s = row.get("StatutoryLowAge"), row.get("StatutoryHighAge")
    for column, v in (("StatutoryLowAge", lo_s), ("StatutoryHighAge", hi_s)):
        if v == "":
            raise _Skip("no_age", column, "expected an age")
    lo, hi = whole_number(lo_s), whole_number(hi_s)
    if lo is None or not 0 <= lo <= MAX_AGE:
        raise _Skip("bad_age", "StatutoryLowAge", "expected a whole number in 0..25")
    if hi is None or hi < 0:
        raise _Skip("bad_age", "StatutoryHighAge", "expected a whole number >= 0")
    if hi < lo:
        raise _Skip(
            "age_range_reversed",
            "StatutoryHighAge",
            f"expected an age >= StatutoryLowAge ({lo})",
        )
    last = max(lo, hi - 1)
    if last > MAX_AGE:
        notes.add("age_capped")
        last = MAX_AGE
    return lo, last


def _location(row: _GiasRow) -> tuple[float, float]:
    out = []
    for column, top in (("Easting", BNG_E), ("Northing", BNG_N)):
        v = row.get(column)
        try:
            f = float(v)
        except ValueError:
            f = float("nan")
        if not 0 < f <= top:
            raise _Skip(
                "no_location",
                column,
                f"expected metres on the British National Grid, in (0, {top:,.0f}]",
            )
        out.append(f / 1000.0)
    return out[0], out[1]


_SETTING_COLUMNS = (
    "id",
    "name",
    "kind",
    "needs",
    "min_age",
    "max_age",
    "capacity",
    "on_roll",
    "x_km",
    "y_km",
    "cost",
    "in_area",
)


@overload
def read_gias(
    path: str | os.PathLike[str],
    *,
    la_codes: Iterable[int] | None = ...,
    neighbour_la_codes: Iterable[int] | None = ...,
    open_only: bool = ...,
    cost_by_kind: Mapping[str, float] | None = ...,
    encoding: str | None = ...,
    strict: bool = ...,
    return_report: Literal[False] = ...,
) -> Settings: ...


@overload
def read_gias(
    path: str | os.PathLike[str],
    *,
    la_codes: Iterable[int] | None = ...,
    neighbour_la_codes: Iterable[int] | None = ...,
    open_only: bool = ...,
    cost_by_kind: Mapping[str, float] | None = ...,
    encoding: str | None = ...,
    strict: bool = ...,
    return_report: Literal[True],
) -> tuple[Settings, ReadReport]: ...


def read_gias(
    path: str | os.PathLike[str],
    *,
    la_codes: Iterable[int] | None = None,
    neighbour_la_codes: Iterable[int] | None = None,
    open_only: bool = True,
    cost_by_kind: Mapping[str, float] | None = None,
    encoding: str | None = None,
    strict: bool = False,
    return_report: bool = False,
) -> Settings | tuple[Settings, ReadReport]:
    """Read a GIAS "all establishment data" CSV into a settings table.

    The national file (``edubasealldata*.csv``, about 50,000 rows) is read in
    one call; a row that cannot be used is skipped and reported, never
    silently, and never by failing the whole file (see the module notes).

    Parameters
    ----------
    path : str or os.PathLike
        The CSV as downloaded from Get Information about Schools.
    la_codes : iterable of int, optional
        The home LA's ``LA (code)`` values (e.g. 886 for Kent). Settings there
        are in area. If None, every row is kept and all are in area.
    neighbour_la_codes : iterable of int, optional
        Other LAs whose settings are kept, flagged out of area.
    open_only : bool, default True
        Keep only establishments whose status is "Open" or "Open, but proposed
        to close".
    cost_by_kind : mapping of kind to float, optional
        Annual cost per place; defaults to :data:`DEFAULT_COSTS`.
    encoding : str, optional
        Detected when not given: UTF-8 with or without a byte-order mark, else
        Windows-1252 (the encoding of GIAS downloads).
    strict : bool, default False
        Raise on the first row that cannot be used instead of skipping it.
    return_report : bool, default False
        Also return the :class:`ReadReport`.

    Returns
    -------
    Settings
        One row per establishment of a kind in :data:`GIAS_KINDS`, plus one per
        resourced provision and one per SEN unit (ids ``URN-RP``, ``URN-UNIT``).
    ReadReport
        Only with ``return_report=True``: rows kept, left out as asked, and
        skipped by reason with their lines.

    Raises
    ------
    InvalidScenarioError
        Naming the file, the line and the column: the file cannot be read or
        decoded, a column the reader relies on is missing (every
        ``SEN1 (name)`` ... ``SEN13 (name)`` and resourced-provision column
        included), a column is given twice, a record has the wrong number of
        fields, a URN appears twice; with ``strict=True``, also any row listed
        in :data:`SKIP_REASONS`.

    Notes
    -----
    * Ages: ``min_age = StatutoryLowAge``, ``max_age = StatutoryHighAge - 1``
      (GIAS gives the age pupils leave at; sendalloc ages are completed years
      on 31 August, so a primary is 4-10), at least ``min_age``, and **capped
      at 25**: plans run to 25, and colleges are registered with ranges such as
      16 to 99 (noted as ``age_capped``). A blank age, a low age above 25 or a
      high age below the low age skips the row.
    * Capacity: ``SchoolCapacity``; if blank, ``NumberOfPupils`` (taken as
      full); if both are blank, 0. On roll: ``NumberOfPupils``; if blank, the
      setting is assumed full (on roll = capacity). A blank roll is unknown,
      not zero: read as zero it would make every place look free, so the
      conservative reading offers only the places leavers release, as for any
      full setting, until the roll is known. The same rules apply to the
      capacity and roll columns of resourced provisions and SEN units. A
      negative or fractional number, or one beyond 2**31 - 1, skips the row.
    * Designation: the ``SEN1 (name)`` ... ``SEN13 (name)`` codes (the text
      before " - ", any case; "Not applicable" is none) for special, AP and
      post-16 settings and for units and resourced provisions; a mainstream
      school itself takes any need, and so does a setting with no code (a
      special school, unit or provision without one is noted as
      ``no_designation``).
    * A resourced provision (capacity ``ResourcedProvisionCapacity``, on roll
      ``ResourcedProvisionOnRoll``) and a SEN unit (``SenUnitCapacity``,
      ``SenUnitOnRoll``) each become their own ``resourced_provision`` setting
      at the school's location and ages.
    * Coordinates: ``Easting``/``Northing`` metres / 1000. A kept row with a
      blank, zero or off-grid coordinate is skipped (``no_location``).
    * Rows are first left out as asked (status, LA, a type that is not a
      placement), then checked: a closed school with a blank age is counted as
      closed, not as skipped. A row is kept or skipped whole.
    * Time and memory are linear in the file: the national file takes about a
      second (``benchmarks/read_gias.py``).

    Examples
    --------
    >>> from pathlib import Path
    >>> import sendalloc
    >>> from sendalloc.io import read_gias
    >>> f = Path(sendalloc.__file__).parents[2] / "tests" / "data" / "gias_small.csv"
    >>> s = read_gias(f, la_codes=[888], neighbour_la_codes=[890])
    >>> s
    Settings(n=11: mainstream=2, resourced_provision=3, special=2, ...)
    >>> s.id[:2], s.capacity[:2]
    (('100001', '100001-RP'), array([420,  10], dtype=int32))
    """
    p = Path(path)
    costs = dict(DEFAULT_COSTS)
    if cost_by_kind:
        for k, v in cost_by_kind.items():
            if k not in KINDS:
                raise InvalidScenarioError(f"cost_by_kind: unknown kind {k!r}")
            costs[k] = float(v)
    home = None if la_codes is None else {int(c) for c in la_codes}
    near = set() if neighbour_la_codes is None else {int(c) for c in neighbour_la_codes}
    wanted = None if home is None else home | near
    table = CsvTable(p, encoding, _GIAS_REQUIRED)
    ix = table.index
    cols: dict[str, list[Any]] = {k: [] for k in _SETTING_COLUMNS}
    empty = np.zeros(len(NEEDS), dtype=np.bool_)

    def add(uid: str, name: str, kind: str, needs: list[int], *rest: Any) -> None:
        # rest: min_age, max_age, capacity, on_roll, x_km, y_km, in_area
        mask = empty.copy()
        mask[needs] = True
        row = (uid, name, KINDS.index(kind), mask, *rest[:-1], costs[kind], rest[-1])
        for k, v in zip(_SETTING_COLUMNS, row, strict=True):
            cols[k].append(v)

    rows = kept = 0
    filtered: dict[str, int] = {}
    skipped: list[RowIssue] = []
    notes: dict[str, list[int]] = {}
    seen: dict[str, int] = {}
    i_urn = ix["URN"]
    for line, values in table.records():
        rows += 1
        urn = values[i_urn].strip()
        if urn:
            if urn in seen:
                raise table.error(
                    line, "URN", values, f"duplicate URN (also on line {seen[urn]})"
                )
            seen[urn] = line
        row = _GiasRow(ix, values)
        status = row.get("EstablishmentStatus (name)")
        tname = row.get("TypeOfEstablishment (name)")
        la = whole_number(row.get("LA (code)"))
        # Left out as asked, judged on values that can be read.
        why = None
        if open_only and status in _STATUSES and status not in _OPEN:
            why = "not_open"
        elif wanted is not None and la is not None and la not in wanted:
            why = "other_la"
        elif tname in GIAS_KINDS and GIAS_KINDS[tname] is None:
            why = "not_a_placement"
        if why is not None:
            filtered[why] = filtered.get(why, 0) + 1
            continue
        row_notes: set[str] = set()
        try:
            if not urn:
                raise _Skip("no_urn", "URN", "expected an establishment number")
            if status not in _STATUSES:
                raise _Skip(
                    "unknown_status",
                    "EstablishmentStatus (name)",
                    f"unknown status; expected one of {sorted(_STATUSES)}",
                )
            if home is not None and la is None:
                raise _Skip("no_la_code", "LA (code)", "expected an LA code")
            kind = GIAS_KINDS.get(tname)
            if kind is None:
                raise _Skip(
                    "unknown_type",
                    "TypeOfEstablishment (name)",
                    "unknown establishment type (see sendalloc.io.GIAS_KINDS)",
                )
            lo, hi = _ages(row, row_notes)
            x, y = _location(row)
            cap, roll = _places(row, "SchoolCapacity", "NumberOfPupils", row_notes)
            needs = _sen_codes(row)
            rp_type = row.get("TypeOfResourcedProvision (name)")
            if rp_type not in _RP_TYPES:
                raise _Skip(
                    "unknown_resourced_provision",
                    "TypeOfResourcedProvision (name)",
                    f"unknown type; expected one of {sorted(_RP_TYPES)[1:]}",
                )
            has_rp, has_unit = _RP_TYPES[rp_type]
            units = []
            for flag, suffix, label, ccol, rcol in (
                (
                    has_rp,
                    "RP",
                    "resourced provision",
                    "ResourcedProvisionCapacity",
                    "ResourcedProvisionOnRoll",
                ),
                (has_unit, "UNIT", "SEN unit", "SenUnitCapacity", "SenUnitOnRoll"),
            ):
                if flag:
                    units.append((suffix, label, *_places(row, ccol, rcol, row_notes)))
        except _Skip as s:
            issue = RowIssue(
                line,
                s.column,
                ix[s.column] + 1,
                row.get(s.column),
                s.reason,
                s.message,
            )
            if strict:
                raise InvalidScenarioError(issue.where(table.path)) from None
            skipped.append(issue)
            continue
        kept += 1
        inside = home is None or la in home
        name = row.get("EstablishmentName")
        if not needs and (units or kind in _SPECIAL_KINDS):
            row_notes.add("no_designation")
        own = [] if kind == "mainstream" else needs
        add(urn, name, kind, own, lo, hi, cap, roll, x, y, inside)
        for sfx, label, ucap, uroll in units:
            uid, uname = f"{urn}-{sfx}", f"{name} ({label})"
            rp = "resourced_provision"
            add(uid, uname, rp, needs, lo, hi, ucap, uroll, x, y, inside)
        for k in row_notes:
            notes.setdefault(k, []).append(line)
    settings = Settings.from_columns(
        id=cols["id"],
        name=cols["name"],
        kind=np.asarray(cols["kind"], dtype=np.int8),
        needs=np.asarray(cols["needs"], dtype=np.bool_).reshape(-1, len(NEEDS)),
        min_age=np.asarray(cols["min_age"], dtype=np.int32),
        max_age=np.asarray(cols["max_age"], dtype=np.int32),
        capacity=np.asarray(cols["capacity"], dtype=np.int32),
        on_roll=np.asarray(cols["on_roll"], dtype=np.int32),
        x_km=np.asarray(cols["x_km"], dtype=np.float64),
        y_km=np.asarray(cols["y_km"], dtype=np.float64),
        cost=np.asarray(cols["cost"], dtype=np.float64),
        in_area=np.asarray(cols["in_area"], dtype=np.bool_),
    )
    report = ReadReport(
        path=table.path,
        encoding=table.encoding,
        rows=rows,
        establishments=kept,
        settings=settings.n,
        filtered=filtered,
        skipped=tuple(skipped),
        notes={k: tuple(v) for k, v in sorted(notes.items())},
    )
    if skipped and not return_report:
        _log.warning(
            "%s\n(read_gias(..., return_report=True) returns the full report)",
            report.summary(),
        )
    else:
        _log.info("%s", report.summary())
    return (settings, report) if return_report else settings
