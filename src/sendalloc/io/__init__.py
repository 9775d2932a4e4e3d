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

Modules: ``csvfile`` (the encoding, header and records both readers share),
``report`` (:class:`ReadReport`), ``gias`` (:func:`read_gias`) and ``children``
(:func:`read_children`).
"""

from sendalloc.io.children import read_children
from sendalloc.io.gias import DEFAULT_COSTS, GIAS_KINDS, read_gias
from sendalloc.io.report import SKIP_REASONS, ReadReport, RowIssue

__all__ = [
    "DEFAULT_COSTS",
    "GIAS_KINDS",
    "SKIP_REASONS",
    "ReadReport",
    "RowIssue",
    "read_children",
    "read_gias",
]
