"""The sections of the HTML report, each a function of the report document alone.

:data:`SECTIONS` lists them in the page's order. A section reads documented
keys of the document (docs/report.md) and nothing else; one whose data is not
there says what is missing ("Not in this report yet") instead of guessing, so
the work that produces the data plugs in by filling the keys.

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

from sendalloc._report.document import TARGET
from sendalloc._report.figures import PALETTE, figure_metric_label
from sendalloc._report.markup import (
    ALL_COLOUR,
    GROUP_NAMES,
    PHASE_NAMES,
    TARGET_COLOUR,
    alt_text,
    code_key,
    datum,
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
    range_text,
    rule_name,
    rule_prose,
    rules_of,
    section_html,
    short_value,
    stat,
    table_html,
    traced_range,
    unit_head,
    value_text,
)
from sendalloc._report.svg import Interval, Series, bar_panel, dot_panel, tornado_panel
from sendalloc.metrics import TARGET_GROUPS
from sendalloc.population import NEED_NAMES

__all__ = [
    "SECTIONS",
    "SOURCES_URL",
    "TORNADO_COLOURS",
    "assumptions_section",
    "gap_section",
    "reproduce_section",
    "sensitivity_section",
    "target_section",
    "today_section",
    "verdict_section",
]

#: The page of the documentation that lists every source, one anchor per id.
SOURCES_URL = "https://sendalloc.github.io/sendalloc/sources/"


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


def _money(v: Any) -> str:
    if not isinstance(v, Mapping):
        return "not estimated yet"
    mid = number(v.get("mean"))
    lo, hi = number(v.get("ci_low")), number(v.get("ci_high"))

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
        return section_html(
            "gap",
            "What it would take",
            pending_note(
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
        who = "all children" if group == "all" else GROUP_NAMES.get(group, group)
        metric = figure_metric_label(str(g.get("metric")))
        target = pct(number(g.get("target")))
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
                interval_text(
                    Interval(
                        number(extra.get("mean")),
                        number(extra.get("ci_low")),
                        number(extra.get("ci_high")),
                    ),
                    "count",
                ),
                f"{pct(number(g.get('baseline')))}% → "
                f"{pct(number(g.get('achieved')))}%",
                _money(g.get("annual_cost_gbp")),
                _money(g.get("capital_cost_gbp")),
            ]
        )
        if i >= 2:
            continue
        splits = [
            (
                "kind" if g.get("by_kind") else str(g.get("by", "kind")),
                g.get("by_kind") or g.get("by_group") or {},
            ),
            ("need", g.get("by_need") or {}),
        ]
        for by, split in splits:
            values = {k: number(v) for k, v in split.items() if number(v) >= 0.5}
            if not values:
                continue
            names = sorted(values, key=lambda k: -values[k])
            rows_of = (
                [NEED_NAMES.get(k, k) for k in names]
                if by == "need"
                else [k.replace("_", " ") for k in names]
            )
            what = "kind of setting" if by == "kind" else "need of the children served"
            panels.append(
                bar_panel(
                    uid=f"gap-{i}-{by}",
                    title=f"Extra places for {target}%, by {what}",
                    desc="; ".join(f"{k}: {values[k]:,.0f}" for k in names),
                    rows=rows_of,
                    values=[values[k] for k in names],
                    colour=PALETTE[0] if by == "kind" else PALETTE[1],
                    axis="places",
                )
            )
    parts = [
        table_html(
            "Extra places needed under "
            f"{rule_prose(str(gaps[0].get('mechanism', doc.get('proposal'))))} "
            "(95% interval of the estimate, bootstrap over rounds)",
            ["Target", "Extra places", "Now → with them", "A year", "To build"],
            rows,
        )
    ]
    if panels:
        parts.append(
            figure_html(
                "figure-gap",
                panels,
                "Where the extra places would go (by kind of setting, where the "
                "unmet demand is) and whom they would serve (by the primary need "
                "of the children who reach the target with them).",
            )
        )
    if errors:
        parts.append(
            '<p class="note">Out of reach: ' + escape("; ".join(errors)) + "</p>"
        )
    costed = [g for g in gaps if not g.get("error")]
    if any(g.get("annual_cost_gbp") is None for g in costed):
        parts.append(
            '<p class="note">What the places would cost a year is not estimated '
            "in this report.</p>"
        )
    if any(
        g.get("annual_cost_gbp") is not None and g.get("capital_cost_gbp") is None
        for g in costed
    ):
        parts.append(
            '<p class="note">What the places would cost to build is not estimated: '
            "the scenario gives no capital cost per new place "
            "(<code>costs.capital_per_place</code>) for a kind of setting the places "
            "go to.</p>"
        )
    if any(g.get("annual_cost_gbp") is not None for g in costed):
        ids: dict[str, None] = {}
        for g in costed:
            ids |= dict.fromkeys(str(x) for x in g.get("cost_sources") or [])
        links = ", ".join(
            f'<a href="{SOURCES_URL}#{escape(sid)}"><code>{escape(sid)}</code></a>'
            for sid in ids
        )
        parts.append(
            '<p class="note">A year: each new place at its setting\'s cost per place '
            "(place funding and the local authority's top-up; no transport). To "
            "build: each new place at its kind's capital cost per place. The "
            "interval carries the uncertainty of the number of places and of "
            "where they go, not of the costs per place"
            + (f". Costs cite {links}." if links else ".")
            + "</p>"
        )
    return section_html("gap", "What it would take", "".join(parts))


_NO_VALUE = Interval(math.nan, math.nan, math.nan)


def _index(q: Mapping[str, Any], key: str) -> Interval | None:
    """A parameter's index ``key`` (``{mean, ci_low, ci_high}``) as an Interval."""
    v = q.get(key)
    if not isinstance(v, Mapping):
        return None
    return Interval(
        number(v.get("mean")), number(v.get("ci_low")), number(v.get("ci_high"))
    )


def _tornado(
    sens: Mapping[str, Any], params: list[dict[str, Any]], who: str
) -> tuple[str, str, str, list[str], list[list[str]]]:
    """Panel, legend, caption, table head and rows of a one-at-a-time analysis."""
    params.sort(key=lambda q: -abs(number(q["at_high"]) - number(q["at_low"])))
    shown = params[:_TORNADO_ROWS]
    mtitle = figure_metric_label(str(sens.get("measure", "")))
    centre = number(sens.get("central"))
    panel = tornado_panel(
        uid="tornado",
        title=f"{mtitle}: {who}",
        desc="; ".join(
            f"{q['key']}: {pct(number(q['at_low']))}% at the low end of its range, "
            f"{pct(number(q['at_high']))}% at the high end"
            for q in shown
        ),
        rows=[str(q["key"]) for q in shown],
        low=[number(q["at_low"]) for q in shown],
        high=[number(q["at_high"]) for q in shown],
        centre=centre,
        axis=f"% of {who}",
    )
    legend = legend_html(
        [
            ("assumption at the low end of its range", TORNADO_COLOURS[0], True),
            ("at the high end", TORNADO_COLOURS[1], True),
        ]
    )
    caption = (
        f"{mtitle} for {who} with each assumption at either end of its range and "
        f"the others at their central values (the line, {pct(centre)}%); the "
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
            range_text(q.get("low"), q.get("high")),
            pct(number(q["at_low"])),
            pct(number(q["at_high"])),
            pct(number(q["at_high"]) - number(q["at_low"]), sign=True),
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
            + interval_text(_index(q, main) or _NO_VALUE, "num")
            for q in shown
        ),
        rows=[str(q["key"]) for q in shown],
        series=series,
        percent=False,
        axis="Sobol index" if sobol else "Morris mu*",
        label_chars=26,
    )
    legend = legend_html([(s.name, s.colour, s.filled) for s in series])
    caption = (
        f"How much of the variation of {mtitle.lower()} for {who} each assumption "
        f"explains ({sens.get('method', 'sobol' if sobol else 'morris')}), the "
        "largest first; lines are 95% confidence intervals."
    )
    head = ["Assumption", "Range", *(names[k].capitalize() for k in keys)]
    rows = [
        [
            str(q["key"]),
            range_text(q.get("low"), q.get("high")),
            *(interval_text(_index(q, k) or _NO_VALUE, "num") for k in keys),
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
        return section_html(
            "sensitivity",
            "Which assumptions matter most",
            pending_note(
                f"The scenario gives a plausible range for {n_ranges} of its "
                "numbers (the assumptions table below), but this report holds no "
                "sensitivity analysis to rank them, so every figure above is at the "
                "assumptions' central values."
            ),
        )
    params = [dict(q) for q in sens["parameters"]]
    group = str(sens.get("group", "all"))
    who = "all children" if group == "all" else GROUP_NAMES.get(group, group).lower()
    one_at_a_time = all(
        math.isfinite(number(q.get("at_low")))
        and math.isfinite(number(q.get("at_high")))
        for q in params
    ) and math.isfinite(number(sens.get("central")))
    draw = _tornado if one_at_a_time else _indices
    panel, legend, caption, head, rows = draw(sens, params, who)
    mtitle = figure_metric_label(str(sens.get("measure", "")))
    mech = rule_prose(str(sens.get("mechanism", doc.get("proposal"))))
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
        + figure_html("figure-tornado", [panel], caption, legend)
        + table_html("Every assumption with a range", head, rows)
    )
    return section_html("sensitivity", "Which assumptions matter most", body)


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
            pending_note(
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
    return section_html("reproduce", "How to reproduce it", "".join(parts))


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
