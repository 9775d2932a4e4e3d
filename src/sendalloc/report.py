"""Reports of a :class:`~sendalloc.simulate.SimulationResult`.

Text table and headline paragraph (what ``sendalloc run`` prints), the JSON
document (schema in docs/output.md), a long CSV table, a pandas frame (extra
``pandas``) and matplotlib figures (extra ``plot``). pandas and matplotlib are
imported only inside the functions that need them. Each function takes an
annual or a time result (:class:`~sendalloc.dynamic.DynamicResult`) and renders
it by its ``mode``.

This module is the front door; the renderers live in ``sendalloc._report``.
"""

from __future__ import annotations

from sendalloc._report.common import MECHANISM_LABELS
from sendalloc._report.data import result_dict, to_csv, to_frame, to_json
from sendalloc._report.figures import plot
from sendalloc._report.text import headline, table

__all__ = [
    "MECHANISM_LABELS",
    "headline",
    "plot",
    "result_dict",
    "table",
    "to_csv",
    "to_frame",
    "to_json",
]
