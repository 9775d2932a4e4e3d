"""The report's section "What it would take" (``gap``): places and pounds."""

from __future__ import annotations

import math
from collections.abc import Mapping
from html import escape
from typing import Any

from sendalloc._report.figures import PALETTE, figure_metric_label
from sendalloc._report.markup import (
    GROUP_NAMES,
    figure_html,
    interval_text,
    number,
    pct,
    pending_note,
    rule_prose,
    section_html,
    table_html,
)
from sendalloc._report.sections.assumptions import SOURCES_URL
from sendalloc._report.svg import Interval, bar_panel
from sendalloc.population import NEED_NAMES

__all__ = ["gap_section"]


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
