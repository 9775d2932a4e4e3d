"""The children reader: :func:`read_children` reads a children CSV."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from sendalloc.errors import InvalidScenarioError
from sendalloc.io.csvfile import BNG_E, BNG_N, MAX_AGE, NEED_ALIASES, CsvTable
from sendalloc.population import NEEDS, Children

__all__ = ["read_children"]

_CHILD_COLUMNS = ("id", "need", "age", "x_km", "y_km", "plan_day", "severity")
_CHILD_OPTIONAL = ("specialist", "transfer", "looked_after", "rural")
_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f", ""}
# British National Grid extent in km, as the children file gives it.
_GRID_KM = {"x_km": BNG_E / 1000.0, "y_km": BNG_N / 1000.0}


class _ChildRow:
    """One children record: cells by column name, errors naming the cell."""

    __slots__ = ("line", "table", "values")

    def __init__(self, table: CsvTable, line: int, values: list[str]) -> None:
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
    ``rural`` (optional)
        Lives away from the towns (same values): recorded on
        :attr:`Children.rural <sendalloc.population.Children.rural>`, as the
        sampler records children it placed away from the towns; the lists and
        the allocation do not read it.

    A missing optional column is all false (so without a ``rural`` column
    every child has ``rural`` False). Any other column, or a column
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
    table = CsvTable(
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
        code = NEED_ALIASES.get(code, code)
        if code not in NEEDS:
            raise row.error("need", f"unknown need; expected one of {', '.join(NEEDS)}")
        a = int(row.number("age", whole=True))
        if not 0 <= a <= MAX_AGE:
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
        rural=np.asarray(flags["rural"], dtype=np.bool_),
    )
