"""The report's section "The assumptions and their sources" (``assumptions``)."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from sendalloc._report.markup import (
    code_key,
    pct,
    pending_note,
    range_text,
    section_html,
    short_value,
    table_html,
)

__all__ = ["SOURCES_URL", "assumptions_section"]


#: The page of the documentation that lists every source, one anchor per id.
SOURCES_URL = "https://sendalloc.github.io/sendalloc/sources/"


def assumptions_section(doc: Mapping[str, Any]) -> str:
    """The scenario's cited numbers and assumptions, their sources and ranges.

    Reads ``assumptions`` (``[{"key", "value", "cite", "cited_by", "range"}]``)
    and ``sources`` (id -> the source table's fields). Each source id links to
    its entry on the documentation's sources page.
    """
    rows_in = list(doc.get("assumptions") or [])
    sources: Mapping[str, Any] = doc.get("sources") or {}
    if not rows_in:
        return section_html(
            "assumptions",
            "The assumptions and their sources",
            pending_note("The scenario cites no sources and gives no ranges."),
        )
    n_assumed = sum(1 for a in rows_in if "assumption" in a.get("cite", []))
    n_range = sum(1 for a in rows_in if a.get("range"))
    rows = []
    for a in rows_in:
        cites = []
        for sid in a.get("cite", []):
            if sid in ("assumption", "fitted"):
                cites.append(f"<em>{sid}</em>")
                continue
            s = sources.get(sid, {})
            tip = f"{s.get('figure', 'unknown source')} ({s.get('status', 'unknown')})"
            cites.append(
                f'<a href="{SOURCES_URL}#{escape(sid)}" title="{escape(tip)}">'
                f"<code>{escape(sid)}</code></a>"
            )
        if not cites and a.get("cited_by"):
            cites.append(f"see {code_key(str(a['cited_by']))}")
        rng = a.get("range")
        rows.append(
            [
                code_key(str(a["key"])),
                escape(short_value(a.get("value"))),
                " ".join(cites) or "–",
                escape(range_text(rng.get("low"), rng.get("high")) if rng else "–"),
            ]
        )
    parts = [
        f"<p>{len(rows_in)} numbers of the scenario are listed: each cites the "
        f"sources it was taken from or is marked as an assumption ({n_assumed} are), "
        f"and {n_range} carry the range of values thought plausible. Source ids "
        f'link to the <a href="{SOURCES_URL}">sources page</a> of the '
        "documentation.</p>",
        table_html(
            "The scenario's numbers, their sources and their ranges",
            ["Key", "Value", "Sources", "Range (low to high)"],
            rows,
            raw=True,
            notes=True,
        ),
    ]
    src_rows = []
    for sid, s in sources.items():
        url = str(s.get("url") or "")
        where = escape(
            ", ".join(
                x
                for x in (str(s.get("publisher") or ""), str(s.get("title") or ""))
                if x
            )
        )
        if url:
            where = f'<a href="{escape(url)}">{where or escape(url)}</a>'
        value = s.get("value")
        unit = str(s.get("unit") or "")
        shown = (
            pct(float(value)) + "%"
            if unit.startswith("share") and isinstance(value, int | float)
            else f"{short_value(value)} {unit}".strip()
        )
        src_rows.append(
            [
                f'<a id="src-{escape(sid)}" href="{SOURCES_URL}#{escape(sid)}">'
                f"<code>{escape(sid)}</code></a>",
                escape(str(s.get("figure") or "")),
                escape(shown),
                where,
                escape(str(s.get("status") or "")),
            ]
        )
    parts.append(
        f"<details><summary>The {len(src_rows)} sources cited</summary>"
        + table_html(
            "Sources cited by the scenario",
            ["Id", "Figure", "Value", "Where", "Status"],
            src_rows,
            raw=True,
            notes=True,
        )
        + "</details>"
    )
    return section_html(
        "assumptions", "The assumptions and their sources", "".join(parts)
    )
