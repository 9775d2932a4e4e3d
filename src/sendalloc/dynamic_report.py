"""Reports of a :class:`~sendalloc.dynamic.DynamicResult`: text, JSON, CSV, figures.

The time metrics by mechanism, a month-by-month table with a text bar chart of
the children waiting, a year-by-year table for projections, the JSON document
and the long CSV table (schemas in docs/dynamics.md). These are the functions
of :mod:`sendalloc.report`, which render a result by its ``mode``; matplotlib
is imported only inside :func:`plot`.
"""

from __future__ import annotations

from sendalloc._report.data import result_dict, to_csv, to_json
from sendalloc._report.figures import plot
from sendalloc._report.text import headline, table

__all__ = ["headline", "plot", "result_dict", "table", "to_csv", "to_json"]
