"""The report's section "Which assumptions matter most" (``sensitivity``)."""

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
    legend_html,
    number,
    pct,
    pending_note,
    range_text,
    rule_prose,
    section_html,
    table_html,
)
from sendalloc._report.svg import Interval, Series, dot_panel, tornado_panel

__all__ = ["TORNADO_COLOURS", "sensitivity_section"]


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
