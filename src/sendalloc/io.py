"""Readers for real data: the GIAS establishments file and a children CSV.

:func:`read_gias` reads the "all establishment data" CSV as downloaded from Get
Information about Schools (Windows-1252, one row per establishment) into a
:class:`~sendalloc.population.Settings` table; :func:`read_children` reads a
children CSV in the layout documented there. Both use the stdlib :mod:`csv`
module and raise :class:`~sendalloc.errors.InvalidScenarioError` naming the
file, the line and the column of anything they do not understand.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from sendalloc.errors import InvalidScenarioError
from sendalloc.population import KINDS, NEEDS, Children, Settings

__all__ = [
    "DEFAULT_COSTS",
    "GIAS_KINDS",
    "read_children",
    "read_gias",
]

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
    "LA nursery school": "mainstream",
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
(source ``ea-1996-s9-independent``). An establishment type not in this table is an
error.
"""

DEFAULT_COSTS: dict[str, float] = {
    # Annual cost per place; ids of sendalloc.sources (docs/sources.md):
    "mainstream": 6_000.0,  # hn-guide-mainstream-notional: the school's first £6k
    # [D] hn-guide-mainstream-notional £6k + hn-guide-unit-rp-place-funding £10k
    "resourced_provision": 16_000.0,
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
_NEED_ALIASES = {"BESD": "SEMH"}  # the pre-2015 name of SEMH in older extracts
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
)
_GIAS_RP = (
    "TypeOfResourcedProvision (name)",
    "ResourcedProvisionCapacity",
    "ResourcedProvisionOnRoll",
    "SenUnitCapacity",
    "SenUnitOnRoll",
)


class _Row:
    """One CSV record with its position, for error messages."""

    def __init__(self, path: str, line: int, header: list[str], values: list[str]):
        self.path, self.line, self.values = path, line, values
        self.col = {h: i for i, h in enumerate(header)}

    def error(self, column: str, expect: str) -> InvalidScenarioError:
        i = self.col.get(column, -1)
        v = self.values[i] if 0 <= i < len(self.values) else ""
        return InvalidScenarioError(
            f"{self.path}:{self.line}:{i + 1}: {column} = {v!r}: {expect}"
        )

    def get(self, column: str) -> str:
        i = self.col.get(column, -1)
        return self.values[i].strip() if 0 <= i < len(self.values) else ""

    def integer(self, column: str) -> int:
        v = self.get(column)
        try:
            f = float(v)
        except ValueError:
            raise self.error(column, "expected a whole number") from None
        if not np.isfinite(f) or f != int(f):
            raise self.error(column, "expected a whole number")
        return int(f)

    def number(self, column: str) -> float:
        try:
            f = float(self.get(column))
        except ValueError:
            raise self.error(column, "expected a number") from None
        if not np.isfinite(f):
            raise self.error(column, "expected a finite number")
        return f


def _rows(
    path: Path, encoding: str, required: Iterable[str], allowed: set[str] | None = None
) -> Iterator[_Row]:
    try:
        fh = open(path, encoding=encoding, newline="")  # noqa: SIM115 - generator
    except OSError as e:
        raise InvalidScenarioError(f"{path}: cannot read ({e})") from None
    with fh:
        reader = csv.reader(fh)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise InvalidScenarioError(
                f"{path}:1:1: empty file, expected a header"
            ) from None
        except (csv.Error, UnicodeDecodeError) as e:
            raise InvalidScenarioError(f"{path}:1:1: unreadable header ({e})") from None
        for c in required:
            if c not in header:
                raise InvalidScenarioError(f"{path}:1:1: missing column {c!r}")
        if allowed is not None:
            for i, h in enumerate(header):
                if h not in allowed:
                    raise InvalidScenarioError(
                        f"{path}:1:{i + 1}: unknown column {h!r}; expected "
                        f"{', '.join(sorted(allowed))}"
                    )
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except (csv.Error, UnicodeDecodeError) as e:
                raise InvalidScenarioError(
                    f"{path}:{reader.line_num}:1: unreadable record ({e})"
                ) from None
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                raise InvalidScenarioError(
                    f"{path}:{reader.line_num}:1: {len(values)} fields, expected "
                    f"{len(header)} as in the header"
                )
            yield _Row(str(path), reader.line_num, header, values)


def _places(row: _Row, cap_col: str, roll_col: str) -> tuple[int, int]:
    """Capacity and number on roll; a blank one is taken from the other.

    A blank roll is unknown, not zero (zero would make every place look free),
    so the setting is assumed full: roll = capacity. A blank capacity is
    likewise taken as the roll (full); both blank give 0 and 0.
    """
    known: dict[str, int] = {}
    for column in (roll_col, cap_col):
        if row.get(column) == "":
            continue
        value = row.integer(column)
        if value < 0:
            raise row.error(column, "expected a number >= 0")
        known[column] = value
    cap = known.get(cap_col, known.get(roll_col, 0))
    return cap, known.get(roll_col, cap)


def _sen_code(row: _Row, column: str) -> int | None:
    v = row.get(column)
    if not v or v.lower() in ("not applicable", "n/a"):
        return None
    code = v.split(" - ", 1)[0].strip().upper()
    code = _NEED_ALIASES.get(code, code)
    if code not in NEEDS:
        raise row.error(
            column, f"unknown SEN provision type; expected a code in {NEEDS}"
        )
    return NEEDS.index(code)


def read_gias(
    path: str | os.PathLike[str],
    *,
    la_codes: Iterable[int] | None = None,
    neighbour_la_codes: Iterable[int] | None = None,
    open_only: bool = True,
    cost_by_kind: Mapping[str, float] | None = None,
    encoding: str = "cp1252",
) -> Settings:
    """Read a GIAS "all establishment data" CSV into a settings table.

    Parameters
    ----------
    path : str or os.PathLike
        The CSV as downloaded (``edubasealldata*.csv``), Windows-1252 encoded.
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
    encoding : str, default "cp1252"

    Returns
    -------
    Settings
        One row per establishment of a kind in :data:`GIAS_KINDS`, plus one per
        resourced provision and one per SEN unit (ids ``URN-RP``, ``URN-UNIT``).

    Raises
    ------
    InvalidScenarioError
        Naming the file, the line and the column: a missing column, an unknown
        establishment type, status, resourced-provision type or SEN provision
        name, a malformed number.

    Notes
    -----
    * Ages: ``min_age = StatutoryLowAge``, ``max_age = StatutoryHighAge - 1``
      (GIAS gives the age pupils leave at; sendalloc ages are completed years
      on 31 August, so a primary is 4-10).
    * Capacity: ``SchoolCapacity``; if blank, ``NumberOfPupils`` (taken as
      full); if both are blank, 0. On roll: ``NumberOfPupils``; if blank, the
      setting is assumed full (on roll = capacity). A blank roll is unknown,
      not zero: read as zero it would make every place look free, so the
      conservative reading offers only the places leavers release, as for any
      full setting, until the roll is known. The same rules apply to the
      capacity and roll columns of resourced provisions and SEN units.
    * Designation: the ``SEN1 (name)`` ... ``SEN13 (name)`` codes (the text
      before " - ") for special, AP and post-16 settings and for units and
      resourced provisions; a mainstream school itself takes any need.
    * A resourced provision (capacity ``ResourcedProvisionCapacity``, on roll
      ``ResourcedProvisionOnRoll``) and a SEN unit (``SenUnitCapacity``,
      ``SenUnitOnRoll``) each become their own ``resourced_provision`` setting
      at the school's location and ages.
    * Coordinates: ``Easting``/``Northing`` metres / 1000. A row that is kept
      but has none is an error.

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
    cols: dict[str, list[Any]] = {
        k: []
        for k in (
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
    }

    def add(
        uid: str,
        name: str,
        kind: str,
        needs: list[int],
        lo: int,
        hi: int,
        cap: int,
        roll: int,
        x: float,
        y: float,
        inside: bool,
    ) -> None:
        mask = np.zeros(len(NEEDS), dtype=np.bool_)
        mask[needs] = True
        for k, v in zip(
            cols,
            (
                uid,
                name,
                KINDS.index(kind),
                mask,
                lo,
                hi,
                cap,
                roll,
                x,
                y,
                costs[kind],
                inside,
            ),
            strict=True,
        ):
            cols[k].append(v)

    for row in _rows(p, encoding, _GIAS_REQUIRED):
        status = row.get("EstablishmentStatus (name)")
        if status not in _STATUSES:
            raise row.error(
                "EstablishmentStatus (name)",
                f"unknown status; expected one of {sorted(_STATUSES)}",
            )
        if open_only and status not in _OPEN:
            continue
        tname = row.get("TypeOfEstablishment (name)")
        if tname not in GIAS_KINDS:
            raise row.error(
                "TypeOfEstablishment (name)",
                "unknown establishment type (see sendalloc.io.GIAS_KINDS)",
            )
        kind = GIAS_KINDS[tname]
        if kind is None:
            continue
        la = row.integer("LA (code)")
        if home is not None and la not in home and la not in near:
            continue
        inside = home is None or la in home
        urn = row.get("URN")
        if not urn:
            raise row.error("URN", "expected an establishment number")
        name = row.get("EstablishmentName")
        lo = row.integer("StatutoryLowAge")
        hi = max(lo, row.integer("StatutoryHighAge") - 1)
        if not 0 <= lo <= 25:
            raise row.error("StatutoryLowAge", "expected an age in 0..25")
        if hi > 25:
            raise row.error("StatutoryHighAge", "expected an age in 1..26")
        cap, roll = _places(row, "SchoolCapacity", "NumberOfPupils")
        x, y = row.number("Easting") / 1000.0, row.number("Northing") / 1000.0
        needs = sorted(
            {
                j
                for i in range(1, 14)
                if (j := _sen_code(row, f"SEN{i} (name)")) is not None
            }
        )
        add(
            urn,
            name,
            kind,
            [] if kind == "mainstream" else needs,
            lo,
            hi,
            cap,
            roll,
            x,
            y,
            inside,
        )
        rp_type = row.get("TypeOfResourcedProvision (name)")
        if rp_type not in _RP_TYPES:
            raise row.error(
                "TypeOfResourcedProvision (name)",
                f"unknown type; expected one of {sorted(_RP_TYPES)[1:]}",
            )
        has_rp, has_unit = _RP_TYPES[rp_type]
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
                rcap, rroll = _places(row, ccol, rcol)
                add(
                    f"{urn}-{suffix}",
                    f"{name} ({label})",
                    "resourced_provision",
                    needs,
                    lo,
                    hi,
                    rcap,
                    rroll,
                    x,
                    y,
                    inside,
                )
    return Settings.from_columns(
        id=cols["id"],
        name=cols["name"],
        kind=np.asarray(cols["kind"], dtype=np.int8),
        needs=np.asarray(cols["needs"], dtype=np.bool_).reshape(-1, len(NEEDS)),
        min_age=cols["min_age"],
        max_age=cols["max_age"],
        capacity=cols["capacity"],
        on_roll=cols["on_roll"],
        x_km=np.asarray(cols["x_km"], dtype=np.float64),
        y_km=np.asarray(cols["y_km"], dtype=np.float64),
        cost=np.asarray(cols["cost"], dtype=np.float64),
        in_area=np.asarray(cols["in_area"], dtype=np.bool_),
    )


_CHILD_COLUMNS = ("id", "need", "age", "x_km", "y_km", "plan_day", "severity")
_CHILD_OPTIONAL = ("specialist", "transfer", "looked_after")
_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f", ""}


def _flag(row: _Row, column: str) -> bool:
    v = row.get(column).lower()
    if v in _TRUE:
        return True
    if v in _FALSE:
        return False
    raise row.error(column, "expected true/false, yes/no or 1/0")


def read_children(
    path: str | os.PathLike[str], *, encoding: str = "utf-8-sig"
) -> Children:
    """Read a children CSV.

    Columns (a header row, names exactly as here, any order):

    ``id``
        Unique identifier (text).
    ``need``
        Primary need: a code from :data:`~sendalloc.population.NEEDS`
        (case-insensitive), or a GIAS-style name such as "ASD - Autistic
        Spectrum Disorder".
    ``age``
        Completed years on 31 August before the placement year (0-25).
    ``x_km``, ``y_km``
        Home easting and northing, British National Grid, km.
    ``plan_day``
        Day of the year (1-365) the plan is finalised.
    ``severity``
        A percentile in [0, 1], higher more severe.
    ``specialist`` (optional)
        Needs specialist provision: 1/0, true/false, yes/no (blank false).
    ``transfer`` (optional)
        Phase transfer rather than a new plan (same values).
    ``looked_after`` (optional)
        Looked-after (or previously looked-after) child, first in the
        ``classes`` priority (same values).

    A missing optional column is all false. Any other column is an error.

    Parameters
    ----------
    path : str or os.PathLike
    encoding : str, default "utf-8-sig"

    Returns
    -------
    Children

    Raises
    ------
    InvalidScenarioError
        Naming the file, the line and the column.

    Examples
    --------
    >>> from pathlib import Path
    >>> import sendalloc
    >>> from sendalloc.io import read_children
    >>> data = Path(sendalloc.__file__).parents[2] / "tests" / "data"
    >>> c = read_children(data / "children_looked_after.csv")
    >>> c.id
    ('L1', 'L2', 'L3', 'L4', 'L5', 'L6')
    >>> c.looked_after.tolist()
    [True, False, True, False, True, False]
    >>> bool(read_children(data / "children_small.csv").looked_after.any())
    False
    """
    p = Path(path)
    ids: list[str] = []
    need: list[int] = []
    age: list[int] = []
    x: list[float] = []
    y: list[float] = []
    day: list[int] = []
    sev: list[float] = []
    spec: list[bool] = []
    tr: list[bool] = []
    la: list[bool] = []
    seen: dict[str, int] = {}
    for row in _rows(
        p, encoding, _CHILD_COLUMNS, set(_CHILD_COLUMNS + _CHILD_OPTIONAL)
    ):
        cid = row.get("id")
        if not cid:
            raise row.error("id", "expected an identifier")
        if cid in seen:
            raise row.error("id", f"duplicate id (also on line {seen[cid]})")
        seen[cid] = row.line
        code = row.get("need").split(" - ", 1)[0].strip().upper()
        code = _NEED_ALIASES.get(code, code)
        if code not in NEEDS:
            raise row.error("need", f"unknown need; expected one of {', '.join(NEEDS)}")
        a = row.integer("age")
        if not 0 <= a <= 25:
            raise row.error("age", "expected an age in 0..25")
        d = row.integer("plan_day")
        if not 1 <= d <= 365:
            raise row.error("plan_day", "expected a day of the year in 1..365")
        s = row.number("severity")
        if not 0 <= s <= 1:
            raise row.error("severity", "expected a value in [0, 1]")
        ids.append(cid)
        need.append(NEEDS.index(code))
        age.append(a)
        x.append(row.number("x_km"))
        y.append(row.number("y_km"))
        day.append(d)
        sev.append(s)
        spec.append(_flag(row, "specialist"))
        tr.append(_flag(row, "transfer"))
        la.append(_flag(row, "looked_after"))
    return Children.from_columns(
        id=ids,
        need=np.asarray(need, dtype=np.int8),
        age=np.asarray(age, dtype=np.int64),
        x_km=np.asarray(x, dtype=np.float64),
        y_km=np.asarray(y, dtype=np.float64),
        plan_day=np.asarray(day, dtype=np.int64),
        severity=np.asarray(sev, dtype=np.float64),
        specialist=np.asarray(spec, dtype=np.bool_),
        transfer=np.asarray(tr, dtype=np.bool_),
        looked_after=np.asarray(la, dtype=np.bool_),
    )
