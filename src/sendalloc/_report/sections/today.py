"""The report's section "Today versus the proposal" (``today``)."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from sendalloc._report.document import TARGET
from sendalloc._report.markup import (
    ALL_COLOUR,
    TARGET_COLOUR,
    alt_text,
    figure_html,
    has_target,
    interval_name,
    interval_text,
    legend_html,
    measures_of,
    pending_note,
    rule_name,
    rule_prose,
    rules_of,
    section_html,
    stat,
    table_html,
    unit_head,
)
from sendalloc._report.svg import Series, dot_panel

__all__ = ["today_section"]


def _rule_table(doc: Mapping[str, Any], group: str, caption: str) -> str:
    rules = rules_of(doc)
    measures = measures_of(doc)
    rows = []
    used = []
    for m in measures:
        col = [stat(doc, _group_path(group, r, str(m["metric"]))) for r in rules]
        if any(c.defined for c in col):
            used.append((m, col))
    for i, r in enumerate(rules):
        rows.append(
            [
                rule_name(r),
                *(
                    interval_text(col[i], str(m.get("unit", "share")))
                    for m, col in used
                ),
            ]
        )
    head = ["Rule", *(unit_head(m) for m, _ in used)]
    return table_html(caption, head, rows)


def _group_path(group: str, mech: str, metric: str) -> str:
    if group == "all":
        return f"run/results/{mech}/{metric}"
    return f"run/by_target/{mech}/{group}/{metric}"


def _diff_table(doc: Mapping[str, Any], group: str, caption: str) -> str:
    p = str(doc.get("proposal"))
    others = [r for r in rules_of(doc) if r != p]
    used = [
        m
        for m in measures_of(doc)
        if any(
            stat(doc, f"differences/{o}/{group}/{m['metric']}").defined for o in others
        )
    ]
    rows = []
    for o in others:
        cells = []
        for m in used:
            v = stat(doc, f"differences/{o}/{group}/{m['metric']}")
            cells.append(interval_text(v, str(m.get("unit", "share")), sign=True))
        rows.append([rule_name(o), *cells])
    head = ["Compared with", *(unit_head(m, diff=True) for m in used)]
    return table_html(caption, head, rows)


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
    rules = rules_of(doc)
    interval = interval_name(doc)
    parts = []
    if b:
        parts.append(
            f"<p>{escape(rule_name(b))} and {escape(rule_prose(p))} placed the same "
            "simulated children in every round (common random numbers), so each "
            "difference below is taken round by round and its range is the range "
            "of that paired difference.</p>"
        )
    else:
        parts.append(
            pending_note(
                "Today's process (<code>status_quo</code>: the parent requests a "
                "setting, the local authority consults and names it or refuses, "
                "appeals follow) was not part of this run, so this section compares "
                f"{escape(rule_prose(p))} with the other allocation rules, on the "
                "same simulated children."
            )
        )
    target = has_target(doc)
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
                    TARGET_COLOUR,
                    tuple(stat(doc, _group_path(TARGET, r, metric)) for r in rules),
                )
            )
        series.append(
            Series(
                "All children",
                ALL_COLOUR,
                tuple(stat(doc, _group_path("all", r, metric)) for r in rules),
                filled=not target,
            )
        )
        desc = "; ".join(
            f"{rule_name(r)}: "
            + ", ".join(f"{s.name.lower()} {alt_text(s.values[i])}" for s in series)
            for i, r in enumerate(rules)
        )
        panels.append(
            dot_panel(
                uid=f"today-{metric}",
                title=title,
                desc=desc,
                rows=[rule_name(r) for r in rules],
                series=series,
                axis="% of children",
            )
        )
    legend = legend_html(
        [
            *((("Need specialist provision", TARGET_COLOUR, True),) if target else ()),
            ("All children", ALL_COLOUR, not target),
        ]
    )
    parts.append(
        figure_html(
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
                    f"{rule_prose(p)} minus each rule, round by round (mean and "
                    "95% range of the paired difference)",
                )
            )
        parts.append(
            _diff_table(
                doc,
                "all",
                f"All children: {rule_prose(p)} minus each rule, round by round "
                "(mean and 95% range of the paired difference)",
            )
        )
    return section_html("today", "Today versus the proposal", "".join(parts))
