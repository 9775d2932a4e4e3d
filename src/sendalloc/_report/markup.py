"""Building blocks of the HTML report: reading the document, numbers, tables, figures.

Each section of the report (:mod:`sendalloc._report.sections`) is written with
these: :func:`lookup` and :func:`stat` read the report document by path,
:func:`pct`, :func:`value_text` and :func:`interval_text` format its numbers,
:func:`datum` writes a number of the verdict so that it can be traced to its
path, and :func:`table_html`, :func:`figure_html`, :func:`legend_html`,
:func:`section_html` and :func:`pending_note` write the accessible HTML the
page is made of (captions, column and row headers, labelled regions).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from html import escape
from typing import Any

from sendalloc._report.common import label
from sendalloc._report.document import TARGET
from sendalloc._report.figures import FIGURE_LABELS, PALETTE
from sendalloc._report.svg import Interval

__all__ = [
    "ALL_COLOUR",
    "DEFAULT_MEASURES",
    "GROUP_NAMES",
    "PHASE_NAMES",
    "RULE_NAMES",
    "TARGET_COLOUR",
    "alt_text",
    "code_key",
    "datum",
    "digits",
    "figure_html",
    "has_target",
    "interval_name",
    "interval_text",
    "legend_html",
    "lookup",
    "measures_of",
    "number",
    "pct",
    "pending_note",
    "range_text",
    "rule_name",
    "rule_prose",
    "rules_of",
    "section_html",
    "short_value",
    "stat",
    "table_html",
    "traced_range",
    "unit_head",
    "value_text",
]

#: The achievability measures tabulated when the document names none:
#: ``metric`` (a key of the run's results), ``label``, ``unit`` (``share``,
#: ``km``, ``gbp``, ``days`` or ``count``) and which way is ``better``.
DEFAULT_MEASURES: tuple[dict[str, str], ...] = (
    {
        "metric": "first_preference",
        "label": "First preference",
        "unit": "share",
        "better": "higher",
    },
    {
        "metric": "any_preference",
        "label": "A setting the parent ranked",
        "unit": "share",
        "better": "higher",
    },
    {
        "metric": "placed_on_list",
        "label": "A place on the tailored list",
        "unit": "share",
        "better": "higher",
    },
    {
        "metric": "unplaced",
        "label": "No listed place",
        "unit": "share",
        "better": "lower",
    },
    {
        "metric": "mean_distance_km",
        "label": "Distance travelled (km)",
        "unit": "km",
        "better": "lower",
    },
    {
        "metric": "cost_per_child",
        "label": "Cost per child placed",
        "unit": "gbp",
        "better": "lower",
    },
)

#: How a rule is named in the page's tables and figures.
RULE_NAMES: dict[str, str] = {**FIGURE_LABELS, "status_quo": "Today's process"}
#: How a phase is named.
PHASE_NAMES: dict[str, str] = {
    "early_years": "Early years",
    "primary": "Primary",
    "secondary": "Secondary",
    "post16": "Post-16",
}
#: How a group of the ``target`` breakdown is named.
GROUP_NAMES: dict[str, str] = {
    "specialist": "Need specialist provision",
    "not_specialist": "Do not need specialist provision",
}
#: Colours of the target group and of all children in a figure.
TARGET_COLOUR = PALETTE[0]
ALL_COLOUR = PALETTE[1]


# --------------------------------------------------------------------------- data
def lookup(doc: Mapping[str, Any], path: str) -> Any:
    """The value at a ``/``-separated path of the document, or None.

    A part is a key of a mapping, or the index of an item of a list.

    Examples
    --------
    >>> lookup({"run": {"results": {"x": {"mean": 0.5}}}}, "run/results/x/mean")
    0.5
    >>> lookup({"gap": [{"target": 0.9}]}, "gap/0/target")
    0.9
    >>> lookup({"run": {}}, "run/results/x") is None
    True
    """
    node: Any = doc
    for part in path.split("/"):
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def number(x: Any) -> float:
    """A document number as a float (None, a missing value, is NaN)."""
    return (
        float(x) if isinstance(x, int | float) and not isinstance(x, bool) else math.nan
    )


def stat(doc: Mapping[str, Any], path: str) -> Interval:
    """The statistic at ``path`` (``{mean, ci_low, ci_high}``) as an Interval."""
    node = lookup(doc, path)
    if not isinstance(node, Mapping):
        return Interval(math.nan, math.nan, math.nan)
    return Interval(
        number(node.get("mean")),
        number(node.get("ci_low")),
        number(node.get("ci_high")),
    )


def rule_name(mech: str) -> str:
    """A rule's name in a table or a figure ("Deferred acceptance")."""
    return RULE_NAMES.get(mech, mech.replace("_", " "))


def rule_prose(mech: str) -> str:
    """A rule's name in a sentence ("first-available allocation")."""
    return "today's process" if mech == "status_quo" else label(mech)


def rules_of(doc: Mapping[str, Any]) -> list[str]:
    """The rules of the run, today's process first and the proposal next."""
    mechs = list(lookup(doc, "run/mechanisms") or [])
    first = [m for m in (doc.get("baseline"), doc.get("proposal")) if m in mechs]
    return [*first, *(m for m in mechs if m not in first)]


def measures_of(doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The document's achievability measures, else :data:`DEFAULT_MEASURES`."""
    measures = doc.get("measures") or DEFAULT_MEASURES
    return [dict(m) for m in measures]


def has_target(doc: Mapping[str, Any]) -> bool:
    """Whether the run tells the target group apart (and it has children)."""
    n = number(
        lookup(doc, f"run/by_target/{doc.get('proposal')}/{TARGET}/children/mean")
    )
    return n > 0


# --------------------------------------------------------------------------- format
def digits(p: float) -> int:
    """Decimals of a percentage: none from 10%, one below."""
    return 0 if abs(p) >= 9.95 else 1


def pct(x: float, *, sign: bool = False) -> str:
    """A share as a percentage: whole numbers from 10%, one decimal below."""
    if math.isnan(x):
        return "–"
    p = 100 * x
    s = f"{p:+.{digits(p)}f}" if sign else f"{p:.{digits(p)}f}"
    return s.replace("-", "−")


def value_text(x: float, unit: str, *, sign: bool = False) -> str:
    """A number in its unit (a share in percent without the sign, £k, km)."""
    if math.isnan(x):
        return "–"
    if unit == "share":
        return pct(x, sign=sign)
    if unit == "gbp":
        k = x / 1000
        s = f"{k:+,.1f}" if sign else f"{k:,.1f}"
        return ("£" + s + "k").replace("£-", "−£").replace("£+", "+£")
    if unit == "count":
        s = f"{x:+,.0f}" if sign else f"{x:,.0f}"
    else:
        s = f"{x:+.2f}" if sign else f"{x:.1f}" if abs(x) >= 10 else f"{x:.2f}"
    return s.replace("-", "−")


def interval_text(v: Interval | None, unit: str, *, sign: bool = False) -> str:
    """``mean (low–high)``; a share in percent without the % sign (in the head)."""
    if v is None or not v.defined:
        return "–"
    mid = value_text(v.mean, unit, sign=sign)
    if math.isnan(v.low) or math.isnan(v.high):
        return mid
    sep = " to " if sign else "–"
    lo, hi = value_text(v.low, unit, sign=sign), value_text(v.high, unit, sign=sign)
    return f"{mid} ({lo}{sep}{hi})"


def alt_text(v: Interval | None) -> str:
    """A share and its range in a figure's text alternative: ``38% (32–43%)``."""
    if v is None or not v.defined:
        return "no value"
    if math.isnan(v.low) or math.isnan(v.high):
        return f"{pct(v.mean)}%"
    return f"{pct(v.mean)}% ({pct(v.low)}–{pct(v.high)}%)"


def unit_head(m: Mapping[str, Any], *, diff: bool = False) -> str:
    """A measure's column head with its unit (% or points, £)."""
    text = str(m.get("label", m["metric"]))
    unit = m.get("unit", "share")
    if unit == "share":
        return f"{text} ({'points' if diff else '%'})"
    if unit == "gbp":
        return f"{text} (£)"
    return text


def datum(
    doc: Mapping[str, Any], path: str, *, scale: float = 100.0, unit: str = "%"
) -> str:
    """A number of the document in prose, traceable: a ``<data>`` element.

    ``scale`` multiplies the stored value for display (100 for a share shown in
    percent, 1 for a count); ``unit`` follows the number.
    """
    x = number(lookup(doc, path))
    if math.isnan(x):
        return "n/a"
    shown = x * scale
    if unit == "%":
        text = f"{shown:.{digits(shown)}f}%"
    elif unit == "points":
        text = f"{shown:.{digits(shown)}f} points"
    else:
        text = f"{shown:,.0f}{unit}"
    return (
        f'<data value="{x!r}" data-path="{escape(path)}" data-scale="{scale:g}">'
        f"{escape(text)}</data>"
    )


def traced_range(doc: Mapping[str, Any], path: str) -> str:
    """``38% (33–43%)`` of a statistic's mean and 95% range, each traceable."""
    mid = datum(doc, f"{path}/mean")
    lo = number(lookup(doc, f"{path}/ci_low"))
    hi = number(lookup(doc, f"{path}/ci_high"))
    if math.isnan(lo) or math.isnan(hi):
        return mid
    return f"{mid} ({datum(doc, f'{path}/ci_low')}–{datum(doc, f'{path}/ci_high')})"


# --------------------------------------------------------------------------- blocks
_NOTES = ' class="notes"'


def code_key(key: str) -> str:
    """A dotted key as code that may wrap after its dots, never inside a name."""
    return "<code>" + escape(key).replace(".", ".<wbr>") + "</code>"


def table_html(
    caption: str,
    head: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    raw: bool = False,
    notes: bool = False,
) -> str:
    """A table with a caption, column headers and a header cell per row.

    Cells are escaped unless ``raw`` (their HTML is built here). Wrapped in a
    scrolling box so a wide table never widens the page. ``notes``: a table of
    text (left-aligned cells that wrap) rather than of numbers.
    """
    e: Callable[[str], str] = (lambda s: s) if raw else escape
    hs = "".join(f'<th scope="col">{escape(h)}</th>' for h in head)
    body = []
    for r in rows:
        cells = "".join(f"<td>{e(c)}</td>" for c in r[1:])
        body.append(f'<tr><th scope="row">{e(r[0])}</th>{cells}</tr>')
    return (
        '<div class="table-wrap" tabindex="0" role="region" '
        f'aria-label="{escape(caption)}"><table{_NOTES if notes else ""}>'
        f"<caption>{escape(caption)}</caption>"
        f"<thead><tr>{hs}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def legend_html(items: Sequence[tuple[str, str, bool]]) -> str:
    """A figure's legend: (name, colour, filled) per series."""
    lis = "".join(
        f'<li><span class="swatch{"" if filled else " hollow"}" '
        f'style="background:{colour};border-color:{colour}" aria-hidden="true"></span>'
        f"{escape(name)}</li>"
        for name, colour, filled in items
    )
    return f'<ul class="legend">{lis}</ul>'


def figure_html(fid: str, panels: Sequence[str], caption: str, legend: str = "") -> str:
    """A figure: its panels side by side (wrapping), a legend and a caption."""
    return (
        f'<figure id="{fid}" class="figure"><div class="panels">{"".join(panels)}</div>'
        f"{legend}<figcaption>{escape(caption)}</figcaption></figure>"
    )


def pending_note(text: str) -> str:
    """The box a section shows when its data is not in the document."""
    return f'<p class="pending"><strong>Not in this report yet.</strong> {text}</p>'


def section_html(sid: str, title: str, body: str) -> str:
    """A section with its heading, labelled by it."""
    return (
        f'<section id="{sid}" aria-labelledby="{sid}-h">'
        f'<h2 id="{sid}-h">{escape(title)}</h2>{body}</section>'
    )


def interval_name(doc: Mapping[str, Any]) -> str:
    """What the run's 95% ranges are over ("95% range over simulated rounds")."""
    return str(lookup(doc, "run/interval") or "95% range over simulated rounds")


def short_value(v: Any, keep: int = 6) -> str:
    """A scenario value on one line: long lists and tables elided."""
    if isinstance(v, list):
        items = [short_value(x, keep) for x in v]
        if len(items) > keep:
            items = [*items[: keep - 1], "…"]
        return "[" + ", ".join(items) + "]"
    if isinstance(v, dict):
        return (
            "{"
            + ", ".join(
                f"{k}: {short_value(x, keep)}" for k, x in list(v.items())[:keep]
            )
            + ("…" if len(v) > keep else "")
            + "}"
        )
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return f"{v:.6g}"
    if v is None:
        return "–"
    return str(v)


def range_text(low: Any, high: Any) -> str:
    """An uncertainty range as ``low to high``."""
    if low is None and high is None:
        return "–"
    return f"{short_value(low)} to {short_value(high)}"
