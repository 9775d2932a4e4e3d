"""The report's section "The verdict" (``verdict``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from html import escape
from typing import Any

from sendalloc._report.document import TARGET
from sendalloc._report.figures import figure_metric_label
from sendalloc._report.markup import (
    datum,
    has_target,
    interval_name,
    lookup,
    number,
    rule_prose,
    rules_of,
    section_html,
    traced_range,
)

__all__ = ["verdict_section"]


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
        places = datum(doc, f"gap/{i}/extra/mean", scale=1, unit="")
        target = datum(doc, f"gap/{i}/target")
        text = f"about {places} more places would " + phrase.format(
            target=target, who=escape(who)
        )
        costs = [
            f"{_pounds(doc, f'gap/{i}/{key}/mean')} {what}"
            for key, what in (
                ("annual_cost_gbp", "a year"),
                ("capital_cost_gbp", "to build"),
            )
            if isinstance(g.get(key), Mapping)
            and math.isfinite(number(g[key].get("mean")))
        ]
        if costs:
            text += ", at about " + " and ".join(costs)
        return text
    return ""


def _pounds(doc: Mapping[str, Any], path: str) -> str:
    """A sum of money of the document in prose (``£6.4m``), traceable."""
    x = number(lookup(doc, path))
    if math.isnan(x):
        return "n/a"
    scale = 1e-6 if abs(x) >= 1e6 else 1.0
    shown = f"£{x * scale:,.1f}m" if scale < 1 else f"£{x:,.0f}"
    return (
        f'<data value="{x!r}" data-path="{escape(path)}" data-scale="{scale:g}">'
        f"{escape(shown)}</data>"
    )


def verdict_section(doc: Mapping[str, Any]) -> str:
    """The verdict in two sentences, every number traceable to the document.

    Reads ``run/by_target/<proposal>/specialist`` (the target group; without it,
    the overall ``run/results``), ``run/results/<proposal>``, the baseline's
    rows when ``baseline`` is set, ``run/by_target/max_placement`` when the
    planner's benchmark ran, and the first entry of ``gap``.
    """
    p = str(doc.get("proposal"))
    b = doc.get("baseline")
    mechs = rules_of(doc)
    grp = f"run/by_target/{p}/{TARGET}"
    every = f"run/results/{p}"
    if has_target(doc):
        first = (
            f"Of the {datum(doc, f'{grp}/children/mean', scale=1, unit='')} "
            f"children a round who need specialist provision, {rule_prose(p)} "
            f"would give {traced_range(doc, f'{grp}/first_preference')} their "
            "parent's first preference and leave "
            f"{traced_range(doc, f'{grp}/unplaced')} with no place on their "
            "tailored list"
        )
        if b:
            bg = f"run/by_target/{b}/{TARGET}"
            first += (
                f", against {datum(doc, f'{bg}/first_preference/mean')} and "
                f"{datum(doc, f'{bg}/unplaced/mean')} under today's process"
            )
        second = (
            f"Across all {datum(doc, f'{every}/children/mean', scale=1, unit='')} "
            "children needing a placement decision the figures are "
            f"{datum(doc, f'{every}/first_preference/mean')} and "
            f"{datum(doc, f'{every}/unplaced/mean')}"
        )
        if "max_placement" in mechs and p != "max_placement":
            mp = f"run/by_target/max_placement/{TARGET}/unplaced/mean"
            second += (
                "; even the planner's optimum leaves "
                f"{datum(doc, mp)} of the children who need specialist provision "
                "without a listed place"
            )
    else:
        first = (
            f"Of the {datum(doc, f'{every}/children/mean', scale=1, unit='')} "
            f"children a round needing a placement decision, {rule_prose(p)} would "
            f"give {traced_range(doc, f'{every}/first_preference')} their parent's "
            "first preference and leave "
            f"{traced_range(doc, f'{every}/unplaced')} with no place on their "
            "tailored list"
        )
        if b:
            first += (
                f", against {datum(doc, f'run/results/{b}/first_preference/mean')} "
                f"and {datum(doc, f'run/results/{b}/unplaced/mean')} under "
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
        f"hold the {escape(interval_name(doc))}."
    )
    if not b:
        note += (
            " Today's process (<code>status_quo</code>) is not in this run: see "
            '<a href="#today">Today versus the proposal</a>.'
        )
    return section_html("verdict", "The verdict", text + f'<p class="note">{note}</p>')
