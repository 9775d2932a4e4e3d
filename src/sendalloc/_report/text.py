"""Results as text: the tables and the plain-English paragraph ``sendalloc run`` prints.

An annual result gets one row per metric and one column per mechanism; a time
result (in-year or multi-year) gets its time metrics, a month-by-month table
with a text bar chart of the children waiting and, for projections, a
year-by-year table. :func:`table` and :func:`headline` choose by ``result.mode``.
"""

from __future__ import annotations

import math

import numpy as np

from sendalloc._engine.stats import Summary, drawn_text, interval_text
from sendalloc._report.common import (
    PROJECTION_ROWS,
    ROWS,
    SHORT_LABELS,
    TIME_ROWS,
    Reportable,
    cell,
    grid,
    label,
    main_index,
    pct,
)

__all__ = [
    "annual_headline",
    "annual_table",
    "headline",
    "table",
    "time_headline",
    "time_table",
    "what",
]


def table(result: Reportable) -> str:
    """The text tables of a result (annual or time, by ``result.mode``).

    Cells are ``mean (2.5%-97.5%)`` over runs.

    Returns
    -------
    str
    """
    return annual_table(result) if result.mode == "annual" else time_table(result)


def headline(result: Reportable) -> str:
    """One paragraph in plain English (annual or time, by ``result.mode``).

    Returns
    -------
    str
    """
    if result.mode == "annual":
        return annual_headline(result)
    return time_headline(result)


def annual_table(result: Reportable) -> str:
    """A text table: one row per metric, one column per mechanism.

    Cells are ``mean (2.5%-97.5%)`` over runs.

    Returns
    -------
    str
    """
    s = result.summary()
    head = ["", *(SHORT_LABELS.get(m, m) for m in s.mechanisms)]
    body = [
        [
            row_label,
            *(cell(s, i, s.metrics.index(met), kind) for i in range(len(s.mechanisms))),
        ]
        for met, row_label, kind in ROWS
        if met in s.metrics
    ]
    lines = grid([head, *body])
    ch = s.get(s.mechanisms[0], "children")
    lines.append(
        f"{result.runs} simulated rounds of {ch['mean']:.0f} children on average; "
        f"mean ({interval_text(result.uncertainty, 'rounds')})."
    )
    return "\n".join(lines)


def annual_headline(result: Reportable) -> str:
    """One paragraph in plain English: the proposal's outcome, then the others.

    Returns
    -------
    str
    """
    s = result.summary()
    main = "first_available" if "first_available" in s.mechanisms else s.mechanisms[0]
    fb = s.get(main, "placed_by_fallback")["mean"]
    text = (
        f"Under {result.scenario}, {label(main)} gives "
        f"{pct(s, main, 'first_preference')} of children their first preference, "
        f"{pct(s, main, 'any_preference')} a setting their parent ranked and "
        f"{pct(s, main, 'placed_on_list')} a place on their tailored list"
    )
    if fb > 0:
        fbs = f"{100 * fb:.1f}" if fb < 0.01 else f"{100 * fb:.0f}"
        text += f" ({fbs}% through the LA's fallback)"
    text += f"; {pct(s, main, 'unplaced')} are left without a listed place."
    others = [m for m in s.mechanisms if m != main]
    parts = []
    for m in others:
        if m == "status_quo" and "favourite_on_day" in s.metrics:
            parts.append(
                f"{label(m)} gives {pct(s, m, 'favourite_on_day', False)} the "
                f"setting their parent asked for "
                f"({pct(s, m, 'favourite', False)} after appeals), naming "
                f"{pct(s, m, 'named_over_capacity', False)} over capacity, with "
                f"{pct(s, m, 'appealed', False)} appealing"
            )
        elif m == "max_placement":
            parts.append(
                f"{label(m)} places {pct(s, m, 'any_preference', False)} at a "
                "ranked setting"
            )
        else:
            parts.append(
                f"{label(m)} gives {pct(s, m, 'first_preference', False)} their "
                f"first preference and {pct(s, m, 'any_preference', False)} a "
                "ranked setting"
            )
    if parts:
        text += " For comparison, " + "; ".join(parts) + "."
    text += (
        f" Figures are means over {result.runs} simulated rounds, with the range "
        f"that holds 95% of rounds{drawn_text(result.uncertainty)} in brackets."
    )
    return text


def what(result: Reportable) -> str:
    if result.mode == "multi_year":
        return f"a {result.years}-year projection"
    return "one year of in-year allocation"


def _fmt(s: Summary, i: int, g: int, k: int, kind: str, *, full: bool = False) -> str:
    """A cell: ``mean (2.5%-97.5%)`` when ``full`` (overall rows), else the mean."""
    mean, lo, hi = (float(a[i, g, k]) for a in (s.mean, s.ci_low, s.ci_high))
    if math.isnan(mean):
        return "-"
    if kind == "int":
        return f"{mean:,.0f} ({lo:,.0f}-{hi:,.0f})" if full else f"{mean:,.0f}"
    if full:
        return cell(s, i, k, kind)
    if kind == "pct":
        return f"{100 * mean:.0f}"
    return f"{mean:.1f}"


def time_table(result: Reportable) -> str:
    """Time metrics by mechanism, then month by month and (projections) by year.

    The month-by-month table is for the proposal (``first_available``, else the
    first mechanism), with a bar of the children waiting at each month's end.

    Returns
    -------
    str
    """
    s = result.summary()
    head = ["", *(SHORT_LABELS.get(m, m) for m in s.mechanisms)]
    rows = TIME_ROWS + (PROJECTION_ROWS if result.mode == "multi_year" else ())
    body = [
        [
            row_label,
            *(
                _fmt(s, i, 0, s.metrics.index(met), kind, full=True)
                for i in range(len(s.mechanisms))
            ),
        ]
        for met, row_label, kind in rows
    ]
    lines = grid([head, *body])
    ch = s.get(s.mechanisms[0], "children")
    lines.append(
        f"{result.runs} simulated runs of {what(result)}, {ch['mean']:.0f} children "
        f"on average; mean ({interval_text(result.uncertainty, 'runs')})."
    )

    mon = result.summary("month")
    i = main_index(mon)
    col = {m: k for k, m in enumerate(mon.metrics)}
    waiting = mon.mean[i, :, col["waiting_month_end"]]
    top = float(np.nanmax(waiting)) if waiting.size else 0.0
    month_rows = [
        [
            "month",
            "arrivals",
            "placed on arrival %",
            "days waiting",
            "waiting at end",
            "idle place-days",
            "moves",
            "",
        ]
    ]
    for g, group in enumerate(mon.groups):
        w = float(waiting[g])
        bar = "#" * (round(30 * w / top) if top > 0 and not math.isnan(w) else 0)
        month_rows.append(
            [
                group,
                f"{mon.mean[i, g, col['arrivals']]:.0f}",
                _fmt(mon, i, g, col["placed_on_arrival"], "pct"),
                _fmt(mon, i, g, col["mean_days_waiting"], "num"),
                f"{w:.0f}",
                f"{mon.mean[i, g, col['idle_place_days']]:.0f}",
                f"{mon.mean[i, g, col['moves']]:.0f}",
                bar.ljust(30),
            ]
        )
    lines += ["", f"Month by month, {label(mon.mechanisms[i])} (mean over runs):"]
    lines += grid(month_rows)

    if result.mode == "multi_year":
        yr = result.summary("year")
        col = {m: k for k, m in enumerate(yr.metrics)}
        year_rows = [
            [
                "year",
                "caseload",
                "children",
                "carried in",
                "specialist places",
                "free at start",
                "first pref. at arrival %",
                "days waiting",
                "waiting at year end %",
                "aged out",
            ]
        ]
        for g, group in enumerate(yr.groups):
            year_rows.append(
                [
                    group,
                    f"{yr.mean[i, g, col['caseload']]:,.0f}",
                    f"{yr.mean[i, g, col['children']]:,.0f}",
                    f"{yr.mean[i, g, col['carried_in']]:,.0f}",
                    f"{yr.mean[i, g, col['specialist_places']]:,.0f}",
                    f"{yr.mean[i, g, col['specialist_free_start']]:,.0f}",
                    _yr(yr, i, g, col["first_preference_at_arrival"], pct=True),
                    _yr(yr, i, g, col["mean_days_waiting"], pct=False),
                    _yr(yr, i, g, col["waiting_year_end"], pct=True),
                    f"{yr.mean[i, g, col['aged_out']]:,.0f}",
                ]
            )
        over = (
            "95% range"
            if result.uncertainty == "none"
            else interval_text(result.uncertainty, "runs")
        )
        lines += ["", f"Year by year, {label(yr.mechanisms[i])} (mean, {over}):"]
        lines += grid(year_rows)
        lines.append(
            "children: the year's new plans and transfers plus those carried in, "
            "still waiting from a previous year; days waiting include previous "
            "years; aged out: without a place at the year's end but too old for "
            "every setting they ranked, so not carried on."
        )
    return "\n".join(lines)


def _yr(s: Summary, i: int, g: int, k: int, *, pct: bool) -> str:
    mean, lo, hi = (float(a[i, g, k]) for a in (s.mean, s.ci_low, s.ci_high))
    if math.isnan(mean):
        return "-"
    f = 100.0 if pct else 1.0
    return f"{f * mean:.0f} ({f * lo:.0f}-{f * hi:.0f})"


def time_headline(result: Reportable) -> str:
    """One paragraph in plain English.

    Returns
    -------
    str
    """
    s = result.summary()
    main = s.mechanisms[main_index(s)]
    days = s.get(main, "mean_days_waiting")["mean"]
    scope = (
        f"over {result.years} projected years"
        if result.mode == "multi_year"
        else "over one year of in-year allocation"
    )
    text = (
        f"Under {result.scenario}, {scope} with {label(main)} at the moment of "
        f"need, {pct(s, main, 'first_preference_at_arrival')} of children get "
        "their first preference on the day their plan is final and "
        f"{pct(s, main, 'first_preference_year_end')} hold it at the year's end; "
        f"{pct(s, main, 'waited')} wait a day or more for a place "
        f"(a mean of {days:.0f} days per child) and "
        f"{pct(s, main, 'waiting_year_end')} are still waiting at the year's end."
    )
    if result.mode == "multi_year":
        text += (
            f" Those still waiting are carried into the next year: "
            f"{pct(s, main, 'carried_over')} of each year's children on average "
            "have waited since a previous year."
        )
    others = [m for m in s.mechanisms if m != main]
    if others:
        parts = [
            f"{label(m)} for the batches: "
            f"{100 * s.get(m, 'first_preference_at_arrival')['mean']:.0f}% first "
            "preference at arrival"
            for m in others
        ]
        text += " With " + "; ".join(parts) + "."
    text += (
        f" Figures are means over {result.runs} simulated runs, with the range "
        f"that holds 95% of runs{drawn_text(result.uncertainty)} in brackets."
    )
    return text
