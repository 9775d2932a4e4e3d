"""The report's section "The children it is about, by need and phase" (``target``)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from sendalloc._report.figures import PALETTE
from sendalloc._report.markup import (
    GROUP_NAMES,
    PHASE_NAMES,
    alt_text,
    figure_html,
    has_target,
    interval_name,
    interval_text,
    legend_html,
    lookup,
    measures_of,
    number,
    pct,
    pending_note,
    rule_name,
    section_html,
    stat,
    table_html,
    unit_head,
    value_text,
)
from sendalloc._report.svg import Series, dot_panel
from sendalloc.metrics import TARGET_GROUPS
from sendalloc.population import NEED_NAMES

__all__ = ["target_section"]


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
    return PHASE_NAMES.get(g, g.replace("_", " "))


def _by_group(doc: Mapping[str, Any], by: str, rules: Sequence[str]) -> tuple[str, str]:
    """The table and the figure panel of one breakdown (need or phase)."""
    p = str(doc.get("proposal"))
    key, within = _breakdown(doc, by)
    interval = interval_name(doc)
    who = "children who need specialist provision" if within else "all children"
    groups = [
        g
        for g in lookup(doc, f"run/{key}/{p}") or {}
        if number(lookup(doc, f"run/{key}/{p}/{g}/children/mean")) >= 1
    ]
    rows = []
    for g in groups:
        row = [
            _group_name(by, g, code=True),
            value_text(
                number(lookup(doc, f"run/{key}/{p}/{g}/children/mean")), "count"
            ),
        ]
        for r in rules:
            for metric in ("first_preference", "unplaced"):
                row.append(
                    interval_text(stat(doc, f"run/{key}/{r}/{g}/{metric}"), "share")
                )
        rows.append(row)
    head = [
        by.capitalize(),
        "Children a round",
        *(
            f"{t} (%): {rule_name(r).lower()}"
            for r in rules
            for t in ("First preference", "No listed place")
        ),
    ]
    table = table_html(f"By {by}, {who}: mean and {interval}", head, rows)
    series = [
        Series(
            rule_name(r),
            PALETTE[0] if r == p else PALETTE[1],
            tuple(stat(doc, f"run/{key}/{r}/{g}/unplaced") for g in groups),
            filled=r == p,
        )
        for r in rules
    ]
    labels = [_group_name(by, g) for g in groups]
    desc = "; ".join(
        f"{labels[i]}: "
        + ", ".join(f"{s.name} {alt_text(s.values[i])}" for s in series)
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
    share_measures = [m for m in measures_of(doc) if m.get("unit", "share") == "share"]
    total = number(lookup(doc, f"run/results/{p}/children/mean"))
    rows = []
    for r in rules:
        for g in TARGET_GROUPS:
            base = f"run/by_target/{r}/{g}"
            n = number(lookup(doc, f"{base}/children/mean"))
            rows.append(
                [
                    f"{GROUP_NAMES[g]}: {rule_name(r).lower()}",
                    value_text(n, "count"),
                    pct(n / total if total > 0 else math.nan),
                    *(
                        interval_text(stat(doc, f"{base}/{m['metric']}"), "share")
                        for m in share_measures
                    ),
                ]
            )
    head = [
        "Group and rule",
        "Children a round",
        "Share of the round (%)",
        *(unit_head(m) for m in share_measures),
    ]
    caption = f"The target group and the others: mean and {interval_name(doc)}"
    return table_html(caption, head, rows)


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
    if has_target(doc):
        parts.append(
            "<p>The proposal is for the children who need specialist provision. "
            "An average over every child in the round mixes them with children "
            "whose needs a mainstream school meets, who are almost all placed at "
            "their first preference whatever the rule.</p>"
        )
        parts.append(_target_table(doc, rules))
    else:
        parts.append(
            pending_note(
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
        figure_html(
            "figure-target",
            panels,
            "Children left without a place on their tailored list, by primary need "
            "and by phase, "
            + ("within the target group" if within else "among all children")
            + f": dots are means, lines the {interval_name(doc)}. Groups of fewer "
            "than one child a round are left out.",
            legend_html(
                [
                    (rule_name(r), PALETTE[0] if r == p else PALETTE[1], r == p)
                    for r in rules
                ]
            ),
        )
    )
    if not within and has_target(doc):
        parts.append(
            '<p class="note">The breakdowns by need and phase are of all children: '
            "this run has no breakdown by need or phase within the target group "
            "(<code>by_target_need</code>, <code>by_target_phase</code>).</p>"
        )
    return section_html(
        "target", "The children it is about, by need and phase", "".join(parts)
    )
