"""The achievability report as one self-contained HTML page.

:func:`render_page` turns a report document (:mod:`sendalloc._report.document`)
into a page: plain HTML and CSS, figures as inline SVG, no script, and a
content-security policy that forbids loading anything, so the page reads the
same offline, in any browser, and prints. Each section is a function of the
document alone (:data:`SECTIONS`); a section whose data is not in the
document says what is missing instead of guessing.

Every number of the verdict is a ``<data>`` element whose ``data-path=``
attribute names the number in the document (``run/by_target/first_available/
specialist/unplaced/mean``) and whose ``value`` is that number, so a reader or
a test can trace it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from html import escape
from typing import Any

from sendalloc._report.common import label
from sendalloc._report.document import TARGET
from sendalloc._report.figures import FIGURE_LABELS, PALETTE, figure_metric_label
from sendalloc._report.svg import Interval, Series, bar_panel, dot_panel, tornado_panel
from sendalloc.metrics import TARGET_GROUPS
from sendalloc.population import NEED_NAMES

__all__ = [
    "DEFAULT_MEASURES",
    "SECTIONS",
    "SOURCES_URL",
    "assumptions_section",
    "gap_section",
    "lookup",
    "render_page",
    "reproduce_section",
    "sensitivity_section",
    "target_section",
    "today_section",
    "verdict_section",
]

#: The page of the documentation that lists every source, one anchor per id.
SOURCES_URL = "https://sendalloc.github.io/sendalloc/sources/"

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

_RULE_NAMES: dict[str, str] = {**FIGURE_LABELS, "status_quo": "Today's process"}
_PHASE_NAMES: dict[str, str] = {
    "early_years": "Early years",
    "primary": "Primary",
    "secondary": "Secondary",
    "post16": "Post-16",
}
_GROUP_NAMES: dict[str, str] = {
    "specialist": "Need specialist provision",
    "not_specialist": "Do not need specialist provision",
}
_TARGET_COLOUR = PALETTE[0]
_ALL_COLOUR = PALETTE[1]


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


def _num(x: Any) -> float:
    """A document number as a float (None, a missing value, is NaN)."""
    return (
        float(x) if isinstance(x, int | float) and not isinstance(x, bool) else math.nan
    )


def _stat(doc: Mapping[str, Any], path: str) -> Interval:
    node = lookup(doc, path)
    if not isinstance(node, Mapping):
        return Interval(math.nan, math.nan, math.nan)
    return Interval(
        _num(node.get("mean")), _num(node.get("ci_low")), _num(node.get("ci_high"))
    )


def _rule(mech: str) -> str:
    return _RULE_NAMES.get(mech, mech.replace("_", " "))


def _prose_rule(mech: str) -> str:
    return "today's process" if mech == "status_quo" else label(mech)


def _rules(doc: Mapping[str, Any]) -> list[str]:
    """The rules of the run, today's process first and the proposal next."""
    mechs = list(lookup(doc, "run/mechanisms") or [])
    first = [m for m in (doc.get("baseline"), doc.get("proposal")) if m in mechs]
    return [*first, *(m for m in mechs if m not in first)]


def _measures(doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    measures = doc.get("measures") or DEFAULT_MEASURES
    return [dict(m) for m in measures]


def _has_target(doc: Mapping[str, Any]) -> bool:
    n = _num(lookup(doc, f"run/by_target/{doc.get('proposal')}/{TARGET}/children/mean"))
    return n > 0


# --------------------------------------------------------------------------- format
def _digits(p: float) -> int:
    return 0 if abs(p) >= 9.95 else 1


def _pct(x: float, *, sign: bool = False) -> str:
    """A share as a percentage: whole numbers from 10%, one decimal below."""
    if math.isnan(x):
        return "–"
    p = 100 * x
    s = f"{p:+.{_digits(p)}f}" if sign else f"{p:.{_digits(p)}f}"
    return s.replace("-", "−")


def _value(x: float, unit: str, *, sign: bool = False) -> str:
    if math.isnan(x):
        return "–"
    if unit == "share":
        return _pct(x, sign=sign)
    if unit == "gbp":
        k = x / 1000
        s = f"{k:+,.1f}" if sign else f"{k:,.1f}"
        return ("£" + s + "k").replace("£-", "−£").replace("£+", "+£")
    if unit == "count":
        s = f"{x:+,.0f}" if sign else f"{x:,.0f}"
    else:
        s = f"{x:+.2f}" if sign else f"{x:.1f}" if abs(x) >= 10 else f"{x:.2f}"
    return s.replace("-", "−")


def _interval(v: Interval | None, unit: str, *, sign: bool = False) -> str:
    """``mean (low–high)``; a share in percent without the % sign (in the head)."""
    if v is None or not v.defined:
        return "–"
    mid = _value(v.mean, unit, sign=sign)
    if math.isnan(v.low) or math.isnan(v.high):
        return mid
    sep = " to " if sign else "–"
    lo, hi = _value(v.low, unit, sign=sign), _value(v.high, unit, sign=sign)
    return f"{mid} ({lo}{sep}{hi})"


def _alt(v: Interval | None) -> str:
    """A share and its range in a figure's text alternative: ``38% (32–43%)``."""
    if v is None or not v.defined:
        return "no value"
    if math.isnan(v.low) or math.isnan(v.high):
        return f"{_pct(v.mean)}%"
    return f"{_pct(v.mean)}% ({_pct(v.low)}–{_pct(v.high)}%)"


def _unit_head(m: Mapping[str, Any], *, diff: bool = False) -> str:
    text = str(m.get("label", m["metric"]))
    unit = m.get("unit", "share")
    if unit == "share":
        return f"{text} ({'points' if diff else '%'})"
    if unit == "gbp":
        return f"{text} (£)"
    return text


def _datum(
    doc: Mapping[str, Any], path: str, *, scale: float = 100.0, unit: str = "%"
) -> str:
    """A number of the document in prose, traceable: a ``<data>`` element.

    ``scale`` multiplies the stored value for display (100 for a share shown in
    percent, 1 for a count); ``unit`` follows the number.
    """
    x = _num(lookup(doc, path))
    if math.isnan(x):
        return "n/a"
    shown = x * scale
    if unit == "%":
        text = f"{shown:.{_digits(shown)}f}%"
    elif unit == "points":
        text = f"{shown:.{_digits(shown)}f} points"
    else:
        text = f"{shown:,.0f}{unit}"
    return (
        f'<data value="{x!r}" data-path="{escape(path)}" data-scale="{scale:g}">'
        f"{escape(text)}</data>"
    )


def _range(doc: Mapping[str, Any], path: str) -> str:
    """``38% (33–43%)`` of a statistic's mean and 95% range, each traceable."""
    mid = _datum(doc, f"{path}/mean")
    lo = _num(lookup(doc, f"{path}/ci_low"))
    hi = _num(lookup(doc, f"{path}/ci_high"))
    if math.isnan(lo) or math.isnan(hi):
        return mid
    return f"{mid} ({_datum(doc, f'{path}/ci_low')}–{_datum(doc, f'{path}/ci_high')})"


# --------------------------------------------------------------------------- blocks
_NOTES = ' class="notes"'


def _key(key: str) -> str:
    """A dotted key as code that may wrap after its dots, never inside a name."""
    return "<code>" + escape(key).replace(".", ".<wbr>") + "</code>"


def _table(
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


def _legend(items: Sequence[tuple[str, str, bool]]) -> str:
    lis = "".join(
        f'<li><span class="swatch{"" if filled else " hollow"}" '
        f'style="background:{colour};border-color:{colour}" aria-hidden="true"></span>'
        f"{escape(name)}</li>"
        for name, colour, filled in items
    )
    return f'<ul class="legend">{lis}</ul>'


def _figure(fid: str, panels: Sequence[str], caption: str, legend: str = "") -> str:
    return (
        f'<figure id="{fid}" class="figure"><div class="panels">{"".join(panels)}</div>'
        f"{legend}<figcaption>{escape(caption)}</figcaption></figure>"
    )


def _pending(text: str) -> str:
    return f'<p class="pending"><strong>Not in this report yet.</strong> {text}</p>'


def _section(sid: str, title: str, body: str) -> str:
    return (
        f'<section id="{sid}" aria-labelledby="{sid}-h">'
        f'<h2 id="{sid}-h">{escape(title)}</h2>{body}</section>'
    )


def _interval_name(doc: Mapping[str, Any]) -> str:
    return str(lookup(doc, "run/interval") or "95% range over simulated rounds")


# --------------------------------------------------------------------------- sections
#: What reaching a target of each metric means, in the verdict's last clause.
_GAP_PHRASES: dict[str, str] = {
    "placed_on_list": "place {target} of {who} on their tailored lists",
    "any_preference": "place {target} of {who} at a setting their parent ranked",
    "top3_preference": "place {target} of {who} at one of their top three",
    "first_preference": "give {target} of {who} their first preference",
    "unplaced": "leave no more than {target} of {who} without a listed place",
}


def _gap_clause(doc: Mapping[str, Any]) -> str:
    """``about 47 more places would place 90% of all children on ...``, or ""."""
    for i, g in enumerate(doc.get("gap") or []):
        if not isinstance(g, Mapping) or not isinstance(g.get("extra"), Mapping):
            continue  # a target out of reach has no estimate
        group = str(g.get("group", "all"))
        who = (
            "all children"
            if group == "all"
            else "the children who need specialist provision"
            if group == TARGET
            else f"the {group.replace('_', ' ')} group"
        )
        metric = str(g.get("metric"))
        phrase = _GAP_PHRASES.get(
            metric,
            "bring " + figure_metric_label(metric).lower() + " to {target} for {who}",
        )
        places = _datum(doc, f"gap/{i}/extra/mean", scale=1, unit="")
        target = _datum(doc, f"gap/{i}/target")
        return f"about {places} more places would " + phrase.format(
            target=target, who=escape(who)
        )
    return ""


def verdict_section(doc: Mapping[str, Any]) -> str:
    """The verdict in two sentences, every number traceable to the document.

    Reads ``run/by_target/<proposal>/specialist`` (the target group; without it,
    the overall ``run/results``), ``run/results/<proposal>``, the baseline's
    rows when ``baseline`` is set, ``run/by_target/max_placement`` when the
    planner's benchmark ran, and the first entry of ``gap``.
    """
    p = str(doc.get("proposal"))
    b = doc.get("baseline")
    mechs = _rules(doc)
    grp = f"run/by_target/{p}/{TARGET}"
    every = f"run/results/{p}"
    if _has_target(doc):
        first = (
            f"Of the {_datum(doc, f'{grp}/children/mean', scale=1, unit='')} "
            f"children a round who need specialist provision, {_prose_rule(p)} "
            f"would give {_range(doc, f'{grp}/first_preference')} their parent's "
            f"first preference and leave {_range(doc, f'{grp}/unplaced')} with no "
            "place on their tailored list"
        )
        if b:
            bg = f"run/by_target/{b}/{TARGET}"
            first += (
                f", against {_datum(doc, f'{bg}/first_preference/mean')} and "
                f"{_datum(doc, f'{bg}/unplaced/mean')} under today's process"
            )
        second = (
            f"Across all {_datum(doc, f'{every}/children/mean', scale=1, unit='')} "
            "children needing a placement decision the figures are "
            f"{_datum(doc, f'{every}/first_preference/mean')} and "
            f"{_datum(doc, f'{every}/unplaced/mean')}"
        )
        if "max_placement" in mechs and p != "max_placement":
            mp = f"run/by_target/max_placement/{TARGET}/unplaced/mean"
            second += (
                "; even the planner's optimum leaves "
                f"{_datum(doc, mp)} of the children who need specialist provision "
                "without a listed place"
            )
    else:
        first = (
            f"Of the {_datum(doc, f'{every}/children/mean', scale=1, unit='')} "
            f"children a round needing a placement decision, {_prose_rule(p)} would "
            f"give {_range(doc, f'{every}/first_preference')} their parent's first "
            f"preference and leave {_range(doc, f'{every}/unplaced')} with no place "
            "on their tailored list"
        )
        if b:
            first += (
                f", against {_datum(doc, f'run/results/{b}/first_preference/mean')} "
                f"and {_datum(doc, f'run/results/{b}/unplaced/mean')} under "
                "today's process"
            )
        second = (
            "This run does not say which children need specialist provision, the "
            "group the proposal is about"
        )
    clause = _gap_clause(doc)
    if clause:
        second += f", and {clause}"
    text = f'<p id="verdict-text" class="verdict">{first}. {second}.</p>'
    runs = lookup(doc, "run/runs")
    note = (
        f"Means over {escape(str(runs))} simulated rounds of the scenario "
        f"<strong>{escape(str(lookup(doc, 'run/scenario')))}</strong>; brackets "
        f"hold the {escape(_interval_name(doc))}."
    )
    if not b:
        note += (
            " Today's process (<code>status_quo</code>) is not in this run: see "
            '<a href="#today">Today versus the proposal</a>.'
        )
    return _section("verdict", "The verdict", text + f'<p class="note">{note}</p>')


def _rule_table(doc: Mapping[str, Any], group: str, caption: str) -> str:
    rules = _rules(doc)
    measures = _measures(doc)
    rows = []
    used = []
    for m in measures:
        col = [_stat(doc, _group_path(group, r, str(m["metric"]))) for r in rules]
        if any(c.defined for c in col):
            used.append((m, col))
    for i, r in enumerate(rules):
        rows.append(
            [
                _rule(r),
                *(_interval(col[i], str(m.get("unit", "share"))) for m, col in used),
            ]
        )
    head = ["Rule", *(_unit_head(m) for m, _ in used)]
    return _table(caption, head, rows)


def _group_path(group: str, mech: str, metric: str) -> str:
    if group == "all":
        return f"run/results/{mech}/{metric}"
    return f"run/by_target/{mech}/{group}/{metric}"


def _diff_table(doc: Mapping[str, Any], group: str, caption: str) -> str:
    p = str(doc.get("proposal"))
    others = [r for r in _rules(doc) if r != p]
    used = [
        m
        for m in _measures(doc)
        if any(
            _stat(doc, f"differences/{o}/{group}/{m['metric']}").defined for o in others
        )
    ]
    rows = []
    for o in others:
        cells = []
        for m in used:
            v = _stat(doc, f"differences/{o}/{group}/{m['metric']}")
            cells.append(_interval(v, str(m.get("unit", "share")), sign=True))
        rows.append([_rule(o), *cells])
    head = ["Compared with", *(_unit_head(m, diff=True) for m in used)]
    return _table(caption, head, rows)


def today_section(doc: Mapping[str, Any]) -> str:
    """Today's process beside the proposal (and the other rules), paired.

    Reads ``run/results`` and ``run/by_target`` for every rule, and
    ``differences/<rule>/<group>/<metric>``: the proposal minus the rule, run
    by run on the same simulated children. Today's process is the rule named
    by ``baseline``; without it, the section says so and compares the rules
    that ran.
    """
    p = str(doc.get("proposal"))
    b = doc.get("baseline")
    rules = _rules(doc)
    interval = _interval_name(doc)
    parts = []
    if b:
        parts.append(
            f"<p>{escape(_rule(b))} and {escape(_prose_rule(p))} placed the same "
            "simulated children in every round (common random numbers), so each "
            "difference below is taken round by round and its range is the range "
            "of that paired difference.</p>"
        )
    else:
        parts.append(
            _pending(
                "Today's process (<code>status_quo</code>: the parent requests a "
                "setting, the local authority consults and names it or refuses, "
                "appeals follow) was not part of this run, so this section compares "
                f"{escape(_prose_rule(p))} with the other allocation rules, on the "
                "same simulated children."
            )
        )
    target = _has_target(doc)
    panels = []
    for metric, title in (
        ("first_preference", "First preference"),
        ("unplaced", "No listed place"),
    ):
        series = []
        if target:
            series.append(
                Series(
                    "Need specialist provision",
                    _TARGET_COLOUR,
                    tuple(_stat(doc, _group_path(TARGET, r, metric)) for r in rules),
                )
            )
        series.append(
            Series(
                "All children",
                _ALL_COLOUR,
                tuple(_stat(doc, _group_path("all", r, metric)) for r in rules),
                filled=not target,
            )
        )
        desc = "; ".join(
            f"{_rule(r)}: "
            + ", ".join(f"{s.name.lower()} {_alt(s.values[i])}" for s in series)
            for i, r in enumerate(rules)
        )
        panels.append(
            dot_panel(
                uid=f"today-{metric}",
                title=title,
                desc=desc,
                rows=[_rule(r) for r in rules],
                series=series,
                axis="% of children",
            )
        )
    legend = _legend(
        [
            *((("Need specialist provision", _TARGET_COLOUR, True),) if target else ()),
            ("All children", _ALL_COLOUR, not target),
        ]
    )
    parts.append(
        _figure(
            "figure-today",
            panels,
            "First preference and no listed place under each rule, for the "
            "children who need specialist provision and for all children: dots "
            f"are means, lines the {interval}.",
            legend,
        )
    )
    if target:
        parts.append(
            _rule_table(
                doc,
                TARGET,
                f"Children who need specialist provision: mean and {interval}, by rule",
            )
        )
    parts.append(_rule_table(doc, "all", f"All children: mean and {interval}, by rule"))
    if doc.get("differences"):
        if target:
            parts.append(
                _diff_table(
                    doc,
                    TARGET,
                    "Children who need specialist provision: "
                    f"{_prose_rule(p)} minus each rule, round by round (mean and "
                    "95% range of the paired difference)",
                )
            )
        parts.append(
            _diff_table(
                doc,
                "all",
                f"All children: {_prose_rule(p)} minus each rule, round by round "
                "(mean and 95% range of the paired difference)",
            )
        )
    return _section("today", "Today versus the proposal", "".join(parts))


def _breakdown(doc: Mapping[str, Any], by: str) -> tuple[str, bool]:
    """The run's key of a breakdown within the target group, or of everyone."""
    key = f"by_target_{by}"
    if lookup(doc, f"run/{key}") is not None:
        return key, True
    return f"by_{by}", False


def _group_name(by: str, g: str, *, code: bool = False) -> str:
    if by == "need":
        name = NEED_NAMES.get(g, g)
        return f"{name} ({g})" if code else name
    return _PHASE_NAMES.get(g, g.replace("_", " "))


def _by_group(doc: Mapping[str, Any], by: str, rules: Sequence[str]) -> tuple[str, str]:
    """The table and the figure panel of one breakdown (need or phase)."""
    p = str(doc.get("proposal"))
    key, within = _breakdown(doc, by)
    interval = _interval_name(doc)
    who = "children who need specialist provision" if within else "all children"
    groups = [
        g
        for g in lookup(doc, f"run/{key}/{p}") or {}
        if _num(lookup(doc, f"run/{key}/{p}/{g}/children/mean")) >= 1
    ]
    rows = []
    for g in groups:
        row = [
            _group_name(by, g, code=True),
            _value(_num(lookup(doc, f"run/{key}/{p}/{g}/children/mean")), "count"),
        ]
        for r in rules:
            for metric in ("first_preference", "unplaced"):
                row.append(
                    _interval(_stat(doc, f"run/{key}/{r}/{g}/{metric}"), "share")
                )
        rows.append(row)
    head = [
        by.capitalize(),
        "Children a round",
        *(
            f"{t} (%): {_rule(r).lower()}"
            for r in rules
            for t in ("First preference", "No listed place")
        ),
    ]
    table = _table(f"By {by}, {who}: mean and {interval}", head, rows)
    series = [
        Series(
            _rule(r),
            PALETTE[0] if r == p else PALETTE[1],
            tuple(_stat(doc, f"run/{key}/{r}/{g}/unplaced") for g in groups),
            filled=r == p,
        )
        for r in rules
    ]
    labels = [_group_name(by, g) for g in groups]
    desc = "; ".join(
        f"{labels[i]}: " + ", ".join(f"{s.name} {_alt(s.values[i])}" for s in series)
        for i in range(len(groups))
    )
    panel = dot_panel(
        uid=f"target-{by}",
        title=f"No listed place, by {by}",
        desc=f"No listed place, by {by}, {who}. {desc}",
        rows=labels,
        series=series,
        axis=f"% of {who}",
        label_chars=26,
    )
    return table, panel


def _target_table(doc: Mapping[str, Any], rules: Sequence[str]) -> str:
    p = str(doc.get("proposal"))
    share_measures = [m for m in _measures(doc) if m.get("unit", "share") == "share"]
    total = _num(lookup(doc, f"run/results/{p}/children/mean"))
    rows = []
    for r in rules:
        for g in TARGET_GROUPS:
            base = f"run/by_target/{r}/{g}"
            n = _num(lookup(doc, f"{base}/children/mean"))
            rows.append(
                [
                    f"{_GROUP_NAMES[g]}: {_rule(r).lower()}",
                    _value(n, "count"),
                    _pct(n / total if total > 0 else math.nan),
                    *(
                        _interval(_stat(doc, f"{base}/{m['metric']}"), "share")
                        for m in share_measures
                    ),
                ]
            )
    head = [
        "Group and rule",
        "Children a round",
        "Share of the round (%)",
        *(_unit_head(m) for m in share_measures),
    ]
    caption = f"The target group and the others: mean and {_interval_name(doc)}"
    return _table(caption, head, rows)


def target_section(doc: Mapping[str, Any]) -> str:
    """The target group beside the others, and by need and by phase.

    Reads ``run/by_target`` and, by need and phase, ``run/by_target_need`` and
    ``run/by_target_phase`` (within the target group) when the run has them,
    else ``run/by_need`` and ``run/by_phase`` (all children, and says so). Shows
    the proposal, and today's process when the run has it.
    """
    p = str(doc.get("proposal"))
    b = doc.get("baseline")
    rules = [r for r in (p, b) if r]
    parts = []
    if _has_target(doc):
        parts.append(
            "<p>The proposal is for the children who need specialist provision. "
            "An average over every child in the round mixes them with children "
            "whose needs a mainstream school meets, who are almost all placed at "
            "their first preference whatever the rule.</p>"
        )
        parts.append(_target_table(doc, rules))
    else:
        parts.append(
            _pending(
                "This run has no <code>by_target</code> breakdown, so the children "
                "who need specialist provision cannot be told apart from the others."
            )
        )
    panels = []
    for by in ("need", "phase"):
        table, panel = _by_group(doc, by, rules)
        parts.append(table)
        panels.append(panel)
    within = all(_breakdown(doc, by)[1] for by in ("need", "phase"))
    parts.append(
        _figure(
            "figure-target",
            panels,
            "Children left without a place on their tailored list, by primary need "
            "and by phase, "
            + ("within the target group" if within else "among all children")
            + f": dots are means, lines the {_interval_name(doc)}. Groups of fewer "
            "than one child a round are left out.",
            _legend(
                [
                    (_rule(r), PALETTE[0] if r == p else PALETTE[1], r == p)
                    for r in rules
                ]
            ),
        )
    )
    if not within and _has_target(doc):
        parts.append(
            '<p class="note">The breakdowns by need and phase are of all children: '
            "this run has no breakdown by need or phase within the target group "
            "(<code>by_target_need</code>, <code>by_target_phase</code>).</p>"
        )
    return _section(
        "target", "The children it is about, by need and phase", "".join(parts)
    )


def _money(v: Any) -> str:
    if not isinstance(v, Mapping):
        return "not estimated yet"
    mid = _num(v.get("mean"))
    lo, hi = _num(v.get("ci_low")), _num(v.get("ci_high"))

    def m(x: float) -> str:
        return f"£{x / 1e6:,.1f}m" if abs(x) >= 1e6 else f"£{x:,.0f}"

    if math.isnan(mid):
        return "not estimated yet"
    if math.isnan(lo) or math.isnan(hi):
        return m(mid)
    return f"{m(mid)} ({m(lo)}–{m(hi)})"


def gap_section(doc: Mapping[str, Any]) -> str:
    """Places (and pounds) needed to reach a target: the ``gap`` list.

    Each entry: ``metric, target, group, mechanism, extra {mean, ci_low,
    ci_high}, baseline, achieved, by, by_group {group: places},
    annual_cost_gbp, capital_cost_gbp`` (``{mean, ci_low, ci_high}`` or
    None), ``cost_sources`` and ``runs``; or, for a target out of reach,
    ``metric, target`` and ``error`` (why).
    """
    gaps = doc.get("gap") or []
    if not gaps:
        return _section(
            "gap",
            "What it would take",
            _pending(
                "No places-needed estimate was made for this report. "
                "<code>sendalloc gap</code> estimates the extra places a target "
                "needs, by kind of setting."
            ),
        )
    rows = []
    panels = []
    errors = []
    for i, g in enumerate(gaps):
        group = str(g.get("group", "all"))
        who = "all children" if group == "all" else _GROUP_NAMES.get(group, group)
        metric = figure_metric_label(str(g.get("metric")))
        target = _pct(_num(g.get("target")))
        if g.get("error"):
            rows.append(
                [f"{metric}: {target}% of {who.lower()}", *["out of reach"] * 4]
            )
            errors.append(f"{target}%: {g['error']}")
            continue
        extra = g.get("extra") or {}
        rows.append(
            [
                f"{metric}: {target}% of {who.lower()}",
                _interval(
                    Interval(
                        _num(extra.get("mean")),
                        _num(extra.get("ci_low")),
                        _num(extra.get("ci_high")),
                    ),
                    "count",
                ),
                f"{_pct(_num(g.get('baseline')))}% → {_pct(_num(g.get('achieved')))}%",
                _money(g.get("annual_cost_gbp")),
                _money(g.get("capital_cost_gbp")),
            ]
        )
        by_group = {
            k: _num(v) for k, v in (g.get("by_group") or {}).items() if _num(v) >= 0.5
        }
        if by_group and i < 2:
            names = sorted(by_group, key=lambda k: -by_group[k])
            panels.append(
                bar_panel(
                    uid=f"gap-{i}",
                    title=f"Extra places for {target}%, by {g.get('by', 'kind')}",
                    desc="; ".join(f"{k}: {by_group[k]:,.0f}" for k in names),
                    rows=[k.replace("_", " ") for k in names],
                    values=[by_group[k] for k in names],
                    colour=PALETTE[0],
                    axis="places",
                )
            )
    parts = [
        _table(
            "Extra places needed under "
            f"{_prose_rule(str(gaps[0].get('mechanism', doc.get('proposal'))))} "
            "(95% interval of the estimate, bootstrap over rounds)",
            ["Target", "Extra places", "Now → with them", "A year", "To build"],
            rows,
        )
    ]
    if panels:
        parts.append(
            _figure(
                "figure-gap",
                panels,
                "Where the extra places would go: the places needed, split by "
                "where the bottlenecks are.",
            )
        )
    if errors:
        parts.append(
            '<p class="note">Out of reach: ' + escape("; ".join(errors)) + "</p>"
        )
    if any(g.get("annual_cost_gbp") is None and not g.get("error") for g in gaps):
        parts.append(
            '<p class="note">What the places would cost (place funding and top-up '
            "a year, and capital per new place) is not estimated by this version "
            "of sendalloc.</p>"
        )
    if any(g.get("group", "all") == "all" for g in gaps):
        parts.append(
            '<p class="note">The target is for all children: this version cannot '
            "size places for the children who need specialist provision alone.</p>"
        )
    return _section("gap", "What it would take", "".join(parts))


_NO_VALUE = Interval(math.nan, math.nan, math.nan)


def _index(q: Mapping[str, Any], key: str) -> Interval | None:
    """A parameter's index ``key`` (``{mean, ci_low, ci_high}``) as an Interval."""
    v = q.get(key)
    if not isinstance(v, Mapping):
        return None
    return Interval(_num(v.get("mean")), _num(v.get("ci_low")), _num(v.get("ci_high")))


def _tornado(
    sens: Mapping[str, Any], params: list[dict[str, Any]], who: str
) -> tuple[str, str, str, list[str], list[list[str]]]:
    """Panel, legend, caption, table head and rows of a one-at-a-time analysis."""
    params.sort(key=lambda q: -abs(_num(q["at_high"]) - _num(q["at_low"])))
    shown = params[:_TORNADO_ROWS]
    mtitle = figure_metric_label(str(sens.get("measure", "")))
    centre = _num(sens.get("central"))
    panel = tornado_panel(
        uid="tornado",
        title=f"{mtitle}: {who}",
        desc="; ".join(
            f"{q['key']}: {_pct(_num(q['at_low']))}% at the low end of its range, "
            f"{_pct(_num(q['at_high']))}% at the high end"
            for q in shown
        ),
        rows=[str(q["key"]) for q in shown],
        low=[_num(q["at_low"]) for q in shown],
        high=[_num(q["at_high"]) for q in shown],
        centre=centre,
        axis=f"% of {who}",
    )
    legend = _legend(
        [
            ("assumption at the low end of its range", TORNADO_COLOURS[0], True),
            ("at the high end", TORNADO_COLOURS[1], True),
        ]
    )
    caption = (
        f"{mtitle} for {who} with each assumption at either end of its range and "
        f"the others at their central values (the line, {_pct(centre)}%); the "
        "widest swing first."
    )
    head = [
        "Assumption",
        "Range",
        "At the low end (%)",
        "At the high end (%)",
        "Swing (points)",
    ]
    rows = [
        [
            str(q["key"]),
            _range_text(q.get("low"), q.get("high")),
            _pct(_num(q["at_low"])),
            _pct(_num(q["at_high"])),
            _pct(_num(q["at_high"]) - _num(q["at_low"]), sign=True),
        ]
        for q in params
    ]
    return panel, legend, caption, head, rows


def _indices(
    sens: Mapping[str, Any], params: list[dict[str, Any]], who: str
) -> tuple[str, str, str, list[str], list[list[str]]]:
    """Panel, legend, caption, table head and rows of Sobol or Morris indices."""
    sobol = any(isinstance(q.get("total"), Mapping) for q in params)
    main = "total" if sobol else "mu_star"
    keys = ("first_order", "total") if sobol else ("mu_star",)
    names = {"first_order": "first order", "total": "total", "mu_star": "mu*"}
    params.sort(key=lambda q: -(_index(q, main) or _NO_VALUE).mean)
    shown = params[:_TORNADO_ROWS]
    series = [
        Series(
            names[k],
            PALETTE[0] if k == main else PALETTE[1],
            tuple(_index(q, k) for q in shown),
            filled=k == main,
        )
        for k in keys
    ]
    mtitle = figure_metric_label(str(sens.get("measure", "")))
    panel = dot_panel(
        uid="tornado",
        title=f"{mtitle}: {who}",
        desc="; ".join(
            f"{q['key']}: {names[main]} "
            + _interval(_index(q, main) or _NO_VALUE, "num")
            for q in shown
        ),
        rows=[str(q["key"]) for q in shown],
        series=series,
        percent=False,
        axis="Sobol index" if sobol else "Morris mu*",
        label_chars=26,
    )
    legend = _legend([(s.name, s.colour, s.filled) for s in series])
    caption = (
        f"How much of the variation of {mtitle.lower()} for {who} each assumption "
        f"explains ({sens.get('method', 'sobol' if sobol else 'morris')}), the "
        "largest first; lines are 95% confidence intervals."
    )
    head = ["Assumption", "Range", *(names[k].capitalize() for k in keys)]
    rows = [
        [
            str(q["key"]),
            _range_text(q.get("low"), q.get("high")),
            *(_interval(_index(q, k) or _NO_VALUE, "num") for k in keys),
        ]
        for q in params
    ]
    return panel, legend, caption, head, rows


#: Most assumptions drawn in the tornado (the table lists them all).
_TORNADO_ROWS = 15
#: Colours of a tornado's bars: the assumption at its low end, at its high end.
TORNADO_COLOURS: tuple[str, str] = ("#2a9d8f", "#e07b00")


def sensitivity_section(doc: Mapping[str, Any]) -> str:
    """Which assumptions move the verdict most: the ``sensitivity`` document.

    ``{"measure", "group", "mechanism", "method", "central", "evaluations",
    "parameters": [{"key", "low", "high", "at_low", "at_high", "first_order",
    "total", "mu_star"}]}``: a tornado when every parameter gives the measure
    at both ends of its range (``at_low``, ``at_high``) around ``central``;
    else the Sobol indices (``total`` and ``first_order``, each ``{mean,
    ci_low, ci_high}``); else Morris ``mu_star``.
    """
    sens = doc.get("sensitivity")
    n_ranges = sum(1 for a in doc.get("assumptions") or [] if a.get("range"))
    if not isinstance(sens, Mapping) or not sens.get("parameters"):
        return _section(
            "sensitivity",
            "Which assumptions matter most",
            _pending(
                f"The scenario gives a plausible range for {n_ranges} of its "
                "numbers (the assumptions table below), but this report holds no "
                "sensitivity analysis to rank them, so every figure above is at the "
                "assumptions' central values."
            ),
        )
    params = [dict(q) for q in sens["parameters"]]
    group = str(sens.get("group", "all"))
    who = "all children" if group == "all" else _GROUP_NAMES.get(group, group).lower()
    one_at_a_time = all(
        math.isfinite(_num(q.get("at_low"))) and math.isfinite(_num(q.get("at_high")))
        for q in params
    ) and math.isfinite(_num(sens.get("central")))
    draw = _tornado if one_at_a_time else _indices
    panel, legend, caption, head, rows = draw(sens, params, who)
    mtitle = figure_metric_label(str(sens.get("measure", "")))
    mech = _prose_rule(str(sens.get("mechanism", doc.get("proposal"))))
    method, evaluations = sens.get("method"), sens.get("evaluations")
    how = ", ".join(
        str(x) for x in (method, evaluations and f"{evaluations} evaluations") if x
    )
    intro = (
        f"<p>How far {escape(mtitle.lower())} for {escape(who)} under "
        f"{escape(mech)} moves when each uncertain assumption moves over its "
        f"range{f' ({escape(how)})' if how else ''}.</p>"
    )
    body = (
        intro
        + _figure("figure-tornado", [panel], caption, legend)
        + _table("Every assumption with a range", head, rows)
    )
    return _section("sensitivity", "Which assumptions matter most", body)


def _short(v: Any, keep: int = 6) -> str:
    if isinstance(v, list):
        items = [_short(x, keep) for x in v]
        if len(items) > keep:
            items = [*items[: keep - 1], "…"]
        return "[" + ", ".join(items) + "]"
    if isinstance(v, dict):
        return (
            "{"
            + ", ".join(f"{k}: {_short(x, keep)}" for k, x in list(v.items())[:keep])
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


def _range_text(low: Any, high: Any) -> str:
    if low is None and high is None:
        return "–"
    return f"{_short(low)} to {_short(high)}"


def assumptions_section(doc: Mapping[str, Any]) -> str:
    """The scenario's cited numbers and assumptions, their sources and ranges.

    Reads ``assumptions`` (``[{"key", "value", "cite", "cited_by", "range"}]``)
    and ``sources`` (id -> the source table's fields). Each source id links to
    its entry on the documentation's sources page.
    """
    rows_in = list(doc.get("assumptions") or [])
    sources: Mapping[str, Any] = doc.get("sources") or {}
    if not rows_in:
        return _section(
            "assumptions",
            "The assumptions and their sources",
            _pending("The scenario cites no sources and gives no ranges."),
        )
    n_assumed = sum(1 for a in rows_in if "assumption" in a.get("cite", []))
    n_range = sum(1 for a in rows_in if a.get("range"))
    rows = []
    for a in rows_in:
        cites = []
        for sid in a.get("cite", []):
            if sid == "assumption":
                cites.append("<em>assumption</em>")
                continue
            s = sources.get(sid, {})
            tip = f"{s.get('figure', 'unknown source')} ({s.get('status', 'unknown')})"
            cites.append(
                f'<a href="{SOURCES_URL}#{escape(sid)}" title="{escape(tip)}">'
                f"<code>{escape(sid)}</code></a>"
            )
        if not cites and a.get("cited_by"):
            cites.append(f"see {_key(str(a['cited_by']))}")
        rng = a.get("range")
        rows.append(
            [
                _key(str(a["key"])),
                escape(_short(a.get("value"))),
                " ".join(cites) or "–",
                escape(_range_text(rng.get("low"), rng.get("high")) if rng else "–"),
            ]
        )
    parts = [
        f"<p>{len(rows_in)} numbers of the scenario are listed: each cites the "
        f"sources it was taken from or is marked as an assumption ({n_assumed} are), "
        f"and {n_range} carry the range of values thought plausible. Source ids "
        f'link to the <a href="{SOURCES_URL}">sources page</a> of the '
        "documentation.</p>",
        _table(
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
            _pct(float(value)) + "%"
            if unit.startswith("share") and isinstance(value, int | float)
            else f"{_short(value)} {unit}".strip()
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
        + _table(
            "Sources cited by the scenario",
            ["Id", "Figure", "Value", "Where", "Status"],
            src_rows,
            raw=True,
            notes=True,
        )
        + "</details>"
    )
    return _section("assumptions", "The assumptions and their sources", "".join(parts))


def reproduce_section(doc: Mapping[str, Any]) -> str:
    """How to get the same page again: version, seed, runs, command.

    Reads ``reproduce`` (``sendalloc_version, scenario, runs, seed,
    mechanisms, command, python_call, versions``).
    """
    r: Mapping[str, Any] = doc.get("reproduce") or {}
    versions: Mapping[str, Any] = r.get("versions") or {}
    items = [
        ("sendalloc version", str(r.get("sendalloc_version", ""))),
        ("Scenario", str(r.get("scenario", ""))),
        ("Simulated rounds", str(r.get("runs", ""))),
        ("Seed", str(r.get("seed", ""))),
        ("Rules", ", ".join(str(m) for m in r.get("mechanisms", []))),
        ("Software", ", ".join(f"{k} {v}" for k, v in versions.items())),
    ]
    dl = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in items)
    parts = [f"<dl>{dl}</dl>"]
    if r.get("command"):
        command = escape(str(r["command"]))
        parts.append(f"<p>At the command line:</p><pre><code>{command}</code></pre>")
    if not r.get("command"):
        parts.append(
            _pending(
                "The scenario was built in Python, not read from a preset or a "
                "file, so no command rebuilds it."
            )
        )
    if r.get("python_call"):
        parts.append(
            f"<p>In Python:</p><pre><code>{escape(str(r['python_call']))}</code></pre>"
        )
    parts.append(
        "<p>The same version, scenario, rounds and seed give the same numbers on "
        "any machine and any number of worker processes; <code>--json</code> "
        "writes every number of this page as data.</p>"
    )
    return _section("reproduce", "How to reproduce it", "".join(parts))


#: The sections of the page, in order: (id, title, renderer).
SECTIONS: tuple[tuple[str, str, Callable[[Mapping[str, Any]], str]], ...] = (
    ("verdict", "The verdict", verdict_section),
    ("today", "Today versus the proposal", today_section),
    ("target", "The children it is about, by need and phase", target_section),
    ("gap", "What it would take", gap_section),
    ("sensitivity", "Which assumptions matter most", sensitivity_section),
    ("assumptions", "The assumptions and their sources", assumptions_section),
    ("reproduce", "How to reproduce it", reproduce_section),
)

_CSS = """
:root{color-scheme:light}
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,
"Helvetica Neue",Arial,sans-serif;line-height:1.5;color:#1a1a1a;background:#fff}
header,main,footer{max-width:62rem;margin:0 auto;padding:0 1rem}
h1{font-size:1.75rem;line-height:1.25;margin:1.5rem 0 .5rem}
h2{font-size:1.35rem;margin:2rem 0 .5rem;border-bottom:1px solid #ccc}
a{color:#1f4e79}
nav ol{columns:2 16rem;margin:.5rem 0;padding-left:1.5rem}
.verdict{font-size:1.2rem;border-left:4px solid #1f4e79;background:#f1f5fa;
padding:.75rem 1rem;margin:.75rem 0}
.note{font-size:.9rem;color:#444}
.pending{border:1px dashed #8a7a00;background:#fffbe6;padding:.5rem .75rem}
.table-wrap{max-width:100%;overflow-x:auto;margin:.75rem 0}
table{border-collapse:collapse;font-size:.875rem;font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:600;padding:.25rem 0;caption-side:top}
th,td{padding:.2rem .5rem;border-bottom:1px solid #e0e0e0;vertical-align:top}
thead th{border-bottom:2px solid #888;text-align:right;vertical-align:bottom}
thead th:first-child,th[scope=row]{text-align:left;font-weight:normal}
td{text-align:right;white-space:nowrap}
table.notes td,table.notes thead th{text-align:left;white-space:normal}
table.notes td{min-width:6rem}
table.notes th[scope=row]{min-width:12rem}
code{font-size:.9em}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f5f5f5;padding:.5rem}
figure{margin:1rem 0}
.panels{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start}
.panels svg{flex:1 1 20rem;min-width:0;max-width:min(100%,34rem);height:auto}
figcaption{font-size:.9rem;color:#444;margin-top:.25rem}
.legend{display:flex;flex-wrap:wrap;gap:.25rem 1.25rem;list-style:none;padding:0;
margin:.25rem 0;font-size:.875rem}
.swatch{display:inline-block;width:.8em;height:.8em;border-radius:50%;
margin-right:.35em;border:2px solid;vertical-align:-.05em}
.swatch.hollow{background:#fff!important}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem}
dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}
footer{font-size:.85rem;color:#555;margin-top:2rem;padding-bottom:2rem}
@media print{nav{display:none}body{font-size:10pt}.table-wrap{overflow:visible}
td{white-space:normal}figure,tr{break-inside:avoid}h2{break-after:avoid}
a{color:inherit;text-decoration:none}}
"""


def render_page(doc: Mapping[str, Any]) -> str:
    """The report document as one self-contained HTML page.

    Parameters
    ----------
    doc : mapping
        A report document (:func:`~sendalloc._report.document.report_document`,
        or the same data read back from its JSON).

    Returns
    -------
    str
        An HTML5 page: every section of :data:`SECTIONS`, figures inline.
    """
    scenario = str(lookup(doc, "run/scenario") or "")
    title = f"How achievable is first-available allocation? {scenario}"
    desc = str(lookup(doc, "run/description") or "")
    toc = "".join(
        f'<li><a href="#{sid}">{escape(t)}</a></li>' for sid, t, _ in SECTIONS
    )
    body = "".join(fn(doc) for _, _, fn in SECTIONS)
    version = escape(str(lookup(doc, "reproduce/sendalloc_version") or ""))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">"
        f'<meta name="generator" content="sendalloc {version}">'
        f"<title>{escape(title)}</title><style>{_CSS.strip()}</style></head>"
        f"<body><header><h1>{escape(title)}</h1>"
        + (f"<p>{escape(desc)}</p>" if desc else "")
        + f'<nav aria-label="Contents"><ol>{toc}</ol></nav></header>'
        f"<main>{body}</main>"
        f"<footer><p>Written by sendalloc {version}, an open-source simulation of "
        "allocating school places to children with EHC plans. Every number is a "
        "simulation of the scenario's assumptions, not an observation.</p></footer>"
        "</body></html>\n"
    )
