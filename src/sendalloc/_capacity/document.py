"""What ``sendalloc gap`` writes: the gap summary and places needed, as JSON or CSV.

Public names are re-exported by :mod:`sendalloc.capacity`.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

from sendalloc._capacity.cost import PlacesNeeded
from sendalloc._capacity.summary import GapSummary
from sendalloc._engine.streams import (
    seed_json,
)
from sendalloc._version import VERSION

__all__ = ["GAP_CSV_HEADER", "gap_to_csv", "gap_to_dict"]


def gap_to_dict(
    summary: GapSummary, places: Sequence[PlacesNeeded | Mapping[str, Any]] = ()
) -> dict[str, Any]:
    """The document ``sendalloc gap --json`` writes.

    Parameters
    ----------
    summary : GapSummary
    places : sequence of PlacesNeeded or dict
        Places needed for each target (a dict ``{"metric", "target", "group",
        "error"}`` for a target out of reach).

    Returns
    -------
    dict
        ``{"sendalloc_version", "scenario", "runs", "seed", "summary",
        "places_needed": [...]}``; each entry of ``places_needed`` as
        :meth:`PlacesNeeded.to_dict` (docs/output.md).

    Examples
    --------
    >>> from sendalloc.capacity import gap_summary, gap_to_dict, places_needed
    >>> g = gap_summary("london_borough", runs=3)
    >>> p = places_needed("london_borough", 0.9, group="specialist", runs=3,
    ...                   n_boot=20)
    >>> doc = gap_to_dict(g, [p])
    >>> doc["places_needed"][0]["group"], sorted(doc["summary"]["bound"])
    ('specialist', ['ci_high', 'ci_low', 'mean'])
    """
    return {
        "sendalloc_version": VERSION,
        "scenario": summary.scenario,
        "runs": summary.runs,
        "seed": seed_json(summary.seed),
        "summary": summary.to_dict(),
        "places_needed": [
            p.to_dict() if isinstance(p, PlacesNeeded) else dict(p) for p in places
        ],
    }


#: Columns of ``sendalloc gap --csv``.
GAP_CSV_HEADER: tuple[str, ...] = (
    "section",
    "group",
    "target",
    "item",
    "mean",
    "ci_low",
    "ci_high",
)


def gap_to_csv(
    summary: GapSummary, places: Sequence[PlacesNeeded | Mapping[str, Any]] = ()
) -> str:
    """The document of :func:`gap_to_dict` as one long CSV table.

    Columns :data:`GAP_CSV_HEADER`. ``section`` is ``summary`` (``item``
    ``bound``, ``first_available``, ``gap``, ``excess_by_need.<need>``,
    ``bottleneck_places_by_kind.<kind>``), ``places_needed`` (``item``
    ``extra``, ``baseline``, ``achieved``, ``annual_cost_gbp``,
    ``capital_cost_gbp``), ``places_by_kind`` or ``places_by_need`` (``item``
    the kind or need); ``group`` and ``target`` name the target of a
    places-needed row (``all`` and empty in the summary). A value that was
    not estimated is an empty cell.

    Returns
    -------
    str
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(GAP_CSV_HEADER)

    def cell(x: Any) -> str:
        return "" if x is None or not math.isfinite(float(x)) else repr(float(x))

    def row(sec: str, grp: str, tgt: str, item: str, st: Any) -> None:
        if isinstance(st, Mapping):
            vals = [st.get("mean"), st.get("ci_low"), st.get("ci_high")]
        else:
            vals = [st, None, None]
        w.writerow([sec, grp, tgt, item, *(cell(v) for v in vals)])

    d = summary.to_dict()
    for item in ("bound", "first_available", "gap"):
        row("summary", "all", "", item, d[item])
    for key in ("excess_by_need", "bottleneck_places_by_kind"):
        for label, v in d[key].items():
            row("summary", "all", "", f"{key}.{label}", v)
    for p in places:
        e = p.to_dict() if isinstance(p, PlacesNeeded) else dict(p)
        grp, tgt = str(e.get("group", "all")), f"{e['metric']}>={e['target']}"
        if e.get("error"):
            row("places_needed", grp, tgt, "extra", None)
            continue
        row("places_needed", grp, tgt, "extra", e["extra"])
        row("places_needed", grp, tgt, "baseline", e["baseline"])
        row("places_needed", grp, tgt, "achieved", e["achieved"])
        row("places_needed", grp, tgt, "annual_cost_gbp", e["annual_cost_gbp"])
        row("places_needed", grp, tgt, "capital_cost_gbp", e["capital_cost_gbp"])
        for label, v in e["by_kind"].items():
            row("places_by_kind", grp, tgt, label, v)
        for label, v in e["by_need"].items():
            row("places_by_need", grp, tgt, label, v)
    return buf.getvalue()
