"""What :func:`~sendalloc.io.read_gias` did with every row: :class:`ReadReport`.

A row the national register cannot use is skipped and reported as a
:class:`RowIssue` with a reason of :data:`SKIP_REASONS`; rows left out as asked
and rows read under an assumption are counted too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["SKIP_REASONS", "ReadReport", "RowIssue"]

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
