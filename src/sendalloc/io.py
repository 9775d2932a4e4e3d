"""Readers for real data: the GIAS establishments file and a children CSV.

:func:`read_gias` reads the "all establishment data" CSV as downloaded from Get
Information about Schools (one row per establishment, all of England: about
50,000 rows) into a :class:`~sendalloc.population.Settings` table;
:func:`read_children` reads a children CSV in the layout documented there. Both
use the stdlib :mod:`csv` module, detect the encoding (UTF-8 with or without a
byte-order mark, else Windows-1252) and raise
:class:`~sendalloc.errors.InvalidScenarioError` naming the file, the line and
the column of anything they do not understand.

Errors and skipped rows
-----------------------
The two readers draw the line between a file they cannot read and a row they
cannot use in one way:

* **File errors** (:class:`~sendalloc.errors.InvalidScenarioError`, nothing is
  returned): the file cannot be opened or decoded; it has no header; a column
  the reader relies on is missing (each missing one is named); a column is
  given twice; a record has more or fewer fields than the header; an
  identifier (``URN``, a child's ``id``) appears twice, since either row could
  be the right one.
* **Rows the national register cannot use** (:func:`read_gias` only): a row
  with a value the reader cannot turn into a setting (a blank or impossible
  age, no location, an unreadable or impossible number of places, an unknown
  establishment type, status, SEN code or resourced-provision type, no URN) is
  skipped whole and counted by reason in a :class:`ReadReport`, with its line,
  column and value. The report is logged (a warning when rows were skipped)
  and returned with ``return_report=True``; ``strict=True`` makes the first
  such row an error instead. A register of 50,000 rows always has a few such
  rows, and one of them must not stop the read.
* **Children rows** (:func:`read_children`): every row is a child whose
  placement is simulated, so any unusable value is an error: dropping a child
  would change the answer.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, overload

import numpy as np

from sendalloc.errors import InvalidScenarioError
from sendalloc.population import KINDS, NEEDS, Children, Settings

__all__ = [
    "DEFAULT_COSTS",
    "GIAS_KINDS",
    "SKIP_REASONS",
    "ReadReport",
    "RowIssue",
    "read_children",
    "read_gias",
]

_log = logging.getLogger(__name__)

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
_MAX_AGE = 25  # plans run to 25: sendalloc ages are 0..25
_INT32_MAX = 2**31 - 1
# British National Grid extent, metres (the grid's false origin keeps Great
# Britain at positive coordinates).
_BNG_E, _BNG_N = 700_000.0, 1_300_000.0
_SPECIAL_KINDS = {"special", "non_maintained_special", "independent_special"}

SKIP_REASONS: dict[str, str] = {
    "no_urn": "no URN",
    "unknown_status": "unknown establishment status",
    "unknown_type": "unknown establishment type (see sendalloc.io.GIAS_KINDS)",
    "no_la_code": "no LA code (needed to filter by LA)",
    "no_age": "no age range (StatutoryLowAge or StatutoryHighAge blank)",
    "bad_age": "age not a whole number, or low age above 25",
    "age_range_reversed": "StatutoryHighAge below StatutoryLowAge",
    "no_location": "no location (Easting/Northing blank, zero or off the grid)",
    "bad_places": "capacity or number on roll not a whole number >= 0",
    "places_out_of_range": "capacity or number on roll beyond 2**31 - 1",
    "unknown_sen": "unknown SEN provision type",
    "unknown_resourced_provision": "unknown TypeOfResourcedProvision",
}
"""Why :func:`read_gias` skips a row: reason code -> description.

A skipped row is reported (:attr:`ReadReport.skipped`) with its line, the
column and the value; with ``strict=True`` it is an error instead.
"""

_FILTERS: dict[str, str] = {
    "not_open": "closed or not yet open (open_only=True)",
    "other_la": "in an LA not asked for (la_codes, neighbour_la_codes)",
    "not_a_placement": "not a placement under a tailored list (GIAS_KINDS: None)",
}
_NOTES: dict[str, str] = {
    "age_capped": "StatutoryHighAge above 26: last age capped at 25",
    "roll_blank": "blank number on roll: taken as full (on roll = capacity)",
    "capacity_blank": "blank capacity: taken as the number on roll (full)",
    "no_places": "capacity and number on roll both blank: 0 places",
    "no_designation": "special school, unit or resourced provision with no SEN "
    "code: taken to meet any need",
}


# --------------------------------------------------------------------------- report
@dataclass(frozen=True, slots=True)
class RowIssue:
    """One row a reader skipped: where, which value, and why.

    Attributes
    ----------
    line : int
        1-based line of the file where the record starts (the header is 1).
    column : str
        The column whose value could not be used.
    position : int
        1-based index of that column in the header (0 if none).
    value : str
        The value as read (stripped).
    reason : str
        A key of :data:`SKIP_REASONS`.
    message : str
        What was expected.
    """

    line: int
    column: str
    position: int
    value: str
    reason: str
    message: str

    def where(self, path: str) -> str:
        """``path:line:column: column = 'value': message``, as in an error."""
        return (
            f"{path}:{self.line}:{self.position}: {self.column} = "
            f"{self.value!r}: {self.message}"
        )


@dataclass(frozen=True, slots=True)
class ReadReport:
    """What :func:`read_gias` did with every row of the file.

    ``rows == establishments + sum(filtered.values()) + len(skipped)``: each
    data row is kept, left out as asked (``filtered``) or skipped because it
    cannot be used (``skipped``). ``notes`` lists kept rows read under a
    documented assumption.

    Attributes
    ----------
    path : str
    encoding : str
        As detected (or given): ``"utf-8-sig"``, ``"utf-8"`` or ``"cp1252"``.
    rows : int
        Data rows (blank lines are not rows).
    establishments : int
        Rows kept.
    settings : int
        Settings made from them (a resourced provision or SEN unit is a setting
        of its own).
    filtered : dict of str to int
        Rows left out as asked: ``not_open``, ``other_la``, ``not_a_placement``.
    skipped : tuple of RowIssue
        Rows that could not be used, in file order.
    notes : dict of str to tuple of int
        Lines of kept rows read under an assumption: ``age_capped``,
        ``roll_blank``, ``capacity_blank``, ``no_places``, ``no_designation``.

    Examples
    --------
    >>> from pathlib import Path
    >>> import sendalloc
    >>> from sendalloc.io import read_gias
    >>> f = Path(sendalloc.__file__).parents[2] / "tests" / "data" / "gias_small.csv"
    >>> s, report = read_gias(f, return_report=True)
    >>> report.rows, report.establishments, report.settings
    (11, 9, 12)
    >>> report.filtered
    {'not_open': 1, 'not_a_placement': 1}
    >>> report.counts()
    {}
    """

    path: str
    encoding: str
    rows: int
    establishments: int
    settings: int
    filtered: dict[str, int] = field(default_factory=dict)
    skipped: tuple[RowIssue, ...] = ()
    notes: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Skipped rows by reason (only reasons that occurred), in file order."""
        out: dict[str, int] = {}
        for s in self.skipped:
            out[s.reason] = out.get(s.reason, 0) + 1
        return out

    def lines(self, reason: str) -> tuple[int, ...]:
        """Lines skipped for ``reason`` (a key of :data:`SKIP_REASONS`)."""
        if reason not in SKIP_REASONS:
            raise ValueError(
                f"reason = {reason!r}: expected one of {', '.join(SKIP_REASONS)}"
            )
        return tuple(s.line for s in self.skipped if s.reason == reason)

    def summary(self, max_lines: int = 5) -> str:
        """A few lines of text: rows kept, left out and skipped by reason.

        Parameters
        ----------
        max_lines : int, default 5
            Lines shown per reason (the first ones); the count is always whole.
        """

        def few(lines: Sequence[int]) -> str:
            shown = ", ".join(str(x) for x in lines[:max_lines])
            more = (
                f" and {len(lines) - max_lines:,} more"
                if len(lines) > max_lines
                else ""
            )
            return f"line{'s' if len(lines) > 1 else ''} {shown}{more}"

        out = [
            f"{self.path} ({self.encoding}): {self.rows:,} rows; "
            f"{self.establishments:,} kept as {self.settings:,} settings"
        ]
        if self.filtered:
            out.append(
                "left out as asked: "
                + "; ".join(f"{n:,} {_FILTERS[k]}" for k, n in self.filtered.items())
            )
        for reason, n in self.counts().items():
            first = next(s for s in self.skipped if s.reason == reason)
            out.append(
                f"skipped {n:,}: {SKIP_REASONS[reason]}, {few(self.lines(reason))} "
                f"(e.g. {first.where(self.path)})"
            )
        for k, lines in self.notes.items():
            out.append(f"assumed for {len(lines):,}: {_NOTES[k]}, {few(lines)}")
        return "\n".join(out)

    def __str__(self) -> str:
        return self.summary()


# --------------------------------------------------------------------------- reading
def _decode(path: Path, encoding: str | None) -> tuple[str, str]:
    """The file's text and the encoding used: detected when ``encoding`` is None.

    A UTF-8 byte-order mark means UTF-8 (``"utf-8-sig"``); text that decodes as
    UTF-8 is UTF-8; anything else is read as Windows-1252 (``"cp1252"``), the
    encoding of GIAS downloads.
    """
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InvalidScenarioError(f"{path}: cannot read ({e})") from None
    bom = data.startswith(codecs.BOM_UTF8)
    if encoding is None:
        if bom:
            enc = "utf-8-sig"
        else:
            try:
                return data.decode("utf-8"), "utf-8"
            except UnicodeDecodeError:
                enc = "cp1252"
    else:
        try:
            enc = codecs.lookup(encoding).name
        except LookupError:
            raise InvalidScenarioError(
                f"{path}: encoding = {encoding!r}: unknown encoding"
            ) from None
        if bom and enc not in ("utf-8", "utf-8-sig"):
            raise InvalidScenarioError(
                f"{path}:1:1: the file starts with a UTF-8 byte-order mark but "
                f"encoding = {encoding!r} was given; leave encoding unset to "
                "detect it"
            )
    try:
        text = data.decode(enc)
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise InvalidScenarioError(
            f"{path}:{line}:{col}: byte 0x{data[e.start]:02x} is not valid "
            f"{enc}; save the file as UTF-8"
        ) from None
    return text.removeprefix("\ufeff"), enc


class _Table:
    """A CSV file's header, checked, and its records with their line numbers."""

    def __init__(
        self,
        path: Path,
        encoding: str | None,
        required: Sequence[str],
        allowed: set[str] | None = None,
    ) -> None:
        self.path = str(path)
        text, self.encoding = _decode(path, encoding)
        self._reader = csv.reader(io.StringIO(text, newline=""))
        try:
            header = [h.strip() for h in next(self._reader)]
        except StopIteration:
            raise InvalidScenarioError(
                f"{path}:1:1: empty file, expected a header"
            ) from None
        except csv.Error as e:
            raise InvalidScenarioError(f"{path}:1:1: unreadable header ({e})") from None
        self.header = header
        self.index: dict[str, int] = {}
        for i, h in enumerate(header):
            if h in self.index and h:
                raise InvalidScenarioError(
                    f"{path}:1:{i + 1}: column {h!r} given twice (columns "
                    f"{self.index[h] + 1} and {i + 1})"
                )
            self.index.setdefault(h, i)
        missing = [c for c in required if c not in self.index]
        if len(missing) == 1:
            raise InvalidScenarioError(f"{path}:1:1: missing column {missing[0]!r}")
        if missing:
            raise InvalidScenarioError(
                f"{path}:1:1: missing columns {', '.join(map(repr, missing))}"
            )
        if allowed is not None:
            for i, h in enumerate(header):
                if h not in allowed:
                    raise InvalidScenarioError(
                        f"{path}:1:{i + 1}: unknown column {h!r}; expected "
                        f"{', '.join(sorted(allowed))}"
                    )

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """``(line, values)`` for every non-blank record (values as read)."""
        reader, n = self._reader, len(self.header)
        while True:
            line = reader.line_num + 1
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                raise InvalidScenarioError(
                    f"{self.path}:{line}:1: unreadable record ({e})"
                ) from None
            if not values or not any(v.strip() for v in values):
                continue
            if len(values) != n:
                raise InvalidScenarioError(
                    f"{self.path}:{line}:1: {len(values)} fields, expected {n} as "
                    "in the header"
                )
            yield line, values

    def error(
        self, line: int, column: str, values: Sequence[str], expect: str
    ) -> InvalidScenarioError:
        i = self.index.get(column, -1)
        v = values[i].strip() if 0 <= i < len(values) else ""
        return InvalidScenarioError(
            f"{self.path}:{line}:{i + 1}: {column} = {v!r}: {expect}"
        )


class _Skip(Exception):
    """A row cannot be used: the reason, the column and what was expected."""

    def __init__(self, reason: str, column: str, message: str) -> None:
        super().__init__(message)
        self.reason, self.column, self.message = reason, column, message


def _whole(v: str) -> int | None:
    """``v`` as a whole number (``"12"``, ``"12.0"``), or None if it is not one."""
    try:
        return int(v)
    except ValueError:
        pass
    try:
        f = float(v)
    except ValueError:
        return None
    if not np.isfinite(f) or f != int(f):
        return None
    return int(f)


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
        value = _whole(v)
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
        code = _NEED_ALIASES.get(code, code)
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
    lo, hi = _whole(lo_s), _whole(hi_s)
    if lo is None or not 0 <= lo <= _MAX_AGE:
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
    if last > _MAX_AGE:
        notes.add("age_capped")
        last = _MAX_AGE
    return lo, last


def _location(row: _GiasRow) -> tuple[float, float]:
    out = []
    for column, top in (("Easting", _BNG_E), ("Northing", _BNG_N)):
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
    table = _Table(p, encoding, _GIAS_REQUIRED)
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
        la = _whole(row.get("LA (code)"))
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


_CHILD_COLUMNS = ("id", "need", "age", "x_km", "y_km", "plan_day", "severity")
_CHILD_OPTIONAL = ("specialist", "transfer", "looked_after")
_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f", ""}
# British National Grid extent in km, as the children file gives it.
_GRID_KM = {"x_km": _BNG_E / 1000.0, "y_km": _BNG_N / 1000.0}


class _ChildRow:
    """One children record: cells by column name, errors naming the cell."""

    __slots__ = ("line", "table", "values")

    def __init__(self, table: _Table, line: int, values: list[str]) -> None:
        self.table, self.line, self.values = table, line, values

    def get(self, column: str) -> str:
        i = self.table.index.get(column)
        return "" if i is None else self.values[i].strip()

    def error(self, column: str, expect: str) -> InvalidScenarioError:
        return self.table.error(self.line, column, self.values, expect)

    def number(self, column: str, whole: bool = False) -> float:
        try:
            f = float(self.get(column))
        except ValueError:
            f = float("nan")
        if not np.isfinite(f) or (whole and f != int(f)):
            raise self.error(
                column, "expected a whole number" if whole else "expected a number"
            )
        return f


def read_children(
    path: str | os.PathLike[str], *, encoding: str | None = None
) -> Children:
    """Read a children CSV.

    Columns (a header row, names exactly as here, any order, each once):

    ``id``
        Unique identifier (text).
    ``need``
        Primary need: a code from :data:`~sendalloc.population.NEEDS`
        (case-insensitive), or a GIAS-style name such as "ASD - Autistic
        Spectrum Disorder".
    ``age``
        Completed years on 31 August before the placement year (0-25).
    ``x_km``, ``y_km``
        Home easting and northing, British National Grid, **km** (easting
        0-700, northing 0-1300). A value beyond that range that would be in it
        divided by 1000 is an error: the file gives metres.
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

    A missing optional column is all false. Any other column, or a column
    given twice, is an error. Every row is a child, so unlike
    :func:`read_gias` no row is skipped: any value that cannot be used is an
    error naming the file, the line and the column.

    Parameters
    ----------
    path : str or os.PathLike
    encoding : str, optional
        Detected when not given: UTF-8 with or without a byte-order mark, else
        Windows-1252.

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
    table = _Table(
        Path(path), encoding, _CHILD_COLUMNS, set(_CHILD_COLUMNS + _CHILD_OPTIONAL)
    )
    ids: list[str] = []
    need: list[int] = []
    age: list[int] = []
    xy: dict[str, list[float]] = {"x_km": [], "y_km": []}
    day: list[int] = []
    sev: list[float] = []
    flags: dict[str, list[bool]] = {k: [] for k in _CHILD_OPTIONAL}
    seen: dict[str, int] = {}
    for line, values in table.records():
        row = _ChildRow(table, line, values)
        cid = row.get("id")
        if not cid:
            raise row.error("id", "expected an identifier")
        if cid in seen:
            raise row.error("id", f"duplicate id (also on line {seen[cid]})")
        seen[cid] = line
        code = row.get("need").split(" - ", 1)[0].strip().upper()
        code = _NEED_ALIASES.get(code, code)
        if code not in NEEDS:
            raise row.error("need", f"unknown need; expected one of {', '.join(NEEDS)}")
        a = int(row.number("age", whole=True))
        if not 0 <= a <= _MAX_AGE:
            raise row.error("age", "expected an age in 0..25")
        d = int(row.number("plan_day", whole=True))
        if not 1 <= d <= 365:
            raise row.error("plan_day", "expected a day of the year in 1..365")
        s = row.number("severity")
        if not 0 <= s <= 1:
            raise row.error("severity", "expected a value in [0, 1]")
        for column, top in _GRID_KM.items():
            v = row.number(column)
            if not 0 <= v <= top:
                hint = (
                    f"this looks like metres: give km ({v / 1000:g})"
                    if 0 <= v / 1000 <= top
                    else "outside the British National Grid"
                )
                raise row.error(column, f"expected km in [0, {top:g}]; {hint}")
            xy[column].append(v)
        for column in _CHILD_OPTIONAL:
            flag = row.get(column).lower()
            if flag not in _TRUE and flag not in _FALSE:
                raise row.error(column, "expected true/false, yes/no or 1/0")
            flags[column].append(flag in _TRUE)
        ids.append(cid)
        need.append(NEEDS.index(code))
        age.append(a)
        day.append(d)
        sev.append(s)
    return Children.from_columns(
        id=ids,
        need=np.asarray(need, dtype=np.int8),
        age=np.asarray(age, dtype=np.int64),
        x_km=np.asarray(xy["x_km"], dtype=np.float64),
        y_km=np.asarray(xy["y_km"], dtype=np.float64),
        plan_day=np.asarray(day, dtype=np.int64),
        severity=np.asarray(sev, dtype=np.float64),
        specialist=np.asarray(flags["specialist"], dtype=np.bool_),
        transfer=np.asarray(flags["transfer"], dtype=np.bool_),
        looked_after=np.asarray(flags["looked_after"], dtype=np.bool_),
    )
