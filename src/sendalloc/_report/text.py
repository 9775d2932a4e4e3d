"""Results as text: the tables and the plain-English paragraph ``sendalloc run`` prints.

An annual result gets one row per metric and one column per mechanism; a time
result (in-year or multi-year) gets its time metrics, a month-by-month table
with a text bar chart of the children waiting and, for projections, a
year-by-year table. :func:`table` and :func:`headline` choose by ``result.mode``.
"""

from __future__ import annotations

import math

import numpy as np

from sendalloc._engine.policies import BASELINE, PROPOSAL
from sendalloc._engine.stats import Summary, drawn_text, interval_text
from sendalloc._report.common import (
    PROCESS_ROWS,
    PROJECTION_ROWS,
    ROWS,
    SHORT_LABELS,
    TIME_PROCESS_ROWS,
    TIME_ROWS,
    VERDICT_ROWS,
    Reportable,
    cell,
    cell_at,
    diff_cell,
    grid,
    label,
    main_index,
    pct,
)
from sendalloc.metrics import TARGET_GROUPS

__all__ = [
    "TARGET",
    "annual_headline",
    "annual_table",
    "headline",
    "table",
    "time_headline",
    "time_table",
    "verdict_table",
    "what",
]

#: The group of the ``target`` breakdown the proposal is for.
TARGET = TARGET_GROUPS[0]


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


def _proposal(mechanisms: tuple[str, ...]) -> str:
    return PROPOSAL if PROPOSAL in mechanisms else mechanisms[0]


def _target_size(result: Reportable) -> float:
    """Children a round in the target group (NaN without the breakdown)."""
    if "target" not in result.groups:
        return math.nan
    t = result.summary("target")
    return t.get(t.mechanisms[0], "children", TARGET)["mean"]


def verdict_table(result: Reportable) -> list[str]:
    """The verdict: every measure, today beside the proposal and their difference.

    Two blocks of rows, the children who need specialist provision (the
    target group) then all children; columns today's process, the proposal
    and the paired difference (proposal minus today, round by round). Without
    today's process in the run, the proposal alone.
    """
    s = result.summary()
    p = _proposal(s.mechanisms)
    rules = [r for r in (BASELINE, p) if r in s.mechanisms]
    paired = len(rules) == 2 and p == PROPOSAL
    diff = result.differences(None) if paired else None
    blocks: list[tuple[str, Summary, str | None, Summary | None]] = []
    n_target = _target_size(result)
    if n_target > 0:
        t = result.summary("target")
        td = result.differences("target") if paired else None
        blocks.append(
            (
                f"need specialist provision ({n_target:,.0f} a round)",
                t,
                TARGET,
                td,
            )
        )
    n_all = s.get(s.mechanisms[0], "children")["mean"]
    blocks.append((f"all children ({n_all:,.0f} a round)", s, None, diff))
    head = ["", *(SHORT_LABELS.get(r, r) for r in rules)]
    if paired:
        head.append(f"{SHORT_LABELS.get(p, p)} - {SHORT_LABELS[BASELINE]}")
    rows: list[list[str]] = [head]
    for title, summ, group, dsum in blocks:
        rows.append([title.capitalize() + ":", *[""] * (len(head) - 1)])
        g = 0 if group is None else summ.groups.index(group)
        for met, row_label, kind in VERDICT_ROWS:
            if met not in summ.metrics:
                continue
            k = summ.metrics.index(met)
            cells = [cell_at(summ, summ.mechanisms.index(r), g, k, kind) for r in rules]
            if dsum is not None:
                cells.append(diff_cell(dsum.get(BASELINE, met, group), kind))
            rows.append(["  " + row_label, *cells])
    return grid(rows)


def annual_table(result: Reportable) -> str:
    """The text tables of an annual result.

    First the verdict (:func:`verdict_table`): the achievability measures for
    the children who need specialist provision and for all children, today's
    process beside the proposal with their paired difference. Then every rule,
    one column each, over all children; then today's process's own steps
    when it ran. Cells are ``mean (2.5%-97.5%)`` over runs.

    Returns
    -------
    str
    """
    s = result.summary()
    lines = verdict_table(result)
    lines.append("")
    head = ["Every rule, all children", *(SHORT_LABELS.get(m, m) for m in s.mechanisms)]
    body = [
        [
            row_label,
            *(cell(s, i, s.metrics.index(met), kind) for i in range(len(s.mechanisms))),
        ]
        for met, row_label, kind in ROWS
        if met in s.metrics
    ]
    lines += grid([head, *body])
    if BASELINE in s.mechanisms and "request_refused" in s.metrics:
        i = s.mechanisms.index(BASELINE)
        lines.append("")
        lines += grid(
            [
                ["Today's process, all children", SHORT_LABELS[BASELINE]],
                *(
                    [row_label, cell(s, i, s.metrics.index(met), kind)]
                    for met, row_label, kind in PROCESS_ROWS
                    if met in s.metrics
                ),
            ]
        )
    ch = s.get(s.mechanisms[0], "children")
    lines.append(
        f"{result.runs} simulated rounds of {ch['mean']:.0f} children on average; "
        f"mean ({interval_text(result.uncertainty, 'rounds')})."
    )
    if BASELINE in s.mechanisms and PROPOSAL in s.mechanisms:
        lines.append(
            "Differences are taken round by round on the same simulated children."
        )
    return "\n".join(lines)


def _share(s: Summary, mech: str, metric: str, group: str | None) -> str:
    """``56% (51-61%)`` of one cell of a summary."""
    c = s.get(mech, metric, group)
    if math.isnan(c["mean"]):
        return "n/a"
    return f"{100 * c['mean']:.0f}% ({100 * c['ci_low']:.0f}-{100 * c['ci_high']:.0f}%)"


def _points(c: dict[str, float]) -> str:
    """A paired difference in points: ``-23 points (-27 to -18)``."""
    if math.isnan(c["mean"]):
        return "n/a"
    return (
        f"{100 * c['mean']:+.0f} points ({100 * c['ci_low']:+.0f} to "
        f"{100 * c['ci_high']:+.0f})"
    )


def _span(values: list[float]) -> str:
    """``43%``, or ``33-43%`` when the rounded shares differ."""
    lo, hi = (round(100 * v) for v in (min(values), max(values)))
    return f"{lo}%" if lo == hi else f"{lo}-{hi}%"


def _other_rules(t: Summary, group: str | None, main: str, today: str | None) -> str:
    """The other rules in one sentence: their spans, then the planner's optimum."""
    others = [
        m for m in t.mechanisms if m not in (main, today) and m != "max_placement"
    ]
    whom = "them" if group is not None else "the children"
    text = ""
    if others:
        first = [t.get(m, "first_preference", group)["mean"] for m in others]
        none = [t.get(m, "unplaced", group)["mean"] for m in others]
        names = [label(m) for m in others]
        listed = names[0] if len(names) == 1 else ", ".join(names[:-1])
        if len(names) > 1:
            listed += f" and {names[-1]}"
        text += (
            f" Of the other rules, {listed} "
            f"{'gives' if len(names) == 1 else 'give'} {_span(first)} of {whom} "
            f"their first preference and {'leaves' if len(names) == 1 else 'leave'} "
            f"{_span(none)} without a listed place."
        )
    if "max_placement" in t.mechanisms and main != "max_placement":
        text += (
            f" Even {label('max_placement')}, which places as many as the places "
            f"allow, leaves {pct(t, 'max_placement', 'unplaced', False, group)} of "
            f"{whom} without one."
        )
    return text


def annual_headline(result: Reportable) -> str:
    """One paragraph in plain English, the children the proposal is for first.

    For the children who need specialist provision: the share the proposal
    places at a setting their parent ranked on the day the plan is final,
    against today's process, with the paired difference; their first
    preference; the share left without a listed place. Then all children,
    then the other rules.

    Returns
    -------
    str
    """
    s = result.summary()
    main = _proposal(s.mechanisms)
    today = BASELINE if BASELINE in s.mechanisms and main != BASELINE else None
    n_target = _target_size(result)
    if n_target > 0:
        t: Summary = result.summary("target")
        group: str | None = TARGET
        who = (
            f"of the {n_target:,.0f} children a round who need specialist provision "
            "(the children the proposal is for)"
        )
    else:
        t, group = s, None
        who = "of the children needing a placement decision"
    ranked = "any_preference_on_day"
    text = (
        f"Under {result.scenario}, {who}, {label(main)} would place "
        f"{_share(t, main, ranked, group)} at a setting their parent ranked on the "
        "day the plan is final"
    )
    if today:
        d = result.differences("target" if group else None).get(today, ranked, group)
        text += (
            f", against {_share(t, today, ranked, group)} under {label(today)}: "
            f"a difference of {_points(d)} on the same simulated children"
        )
    text += (
        f". It would give {_share(t, main, 'first_preference', group)} their "
        "first preference"
        + (
            f" ({pct(t, today, 'first_preference', False, group)} today)"
            if today
            else ""
        )
        + f" and leave {_share(t, main, 'unplaced', group)} without a listed place"
        + (
            f" ({pct(t, today, 'unplaced', False, group)} today without any place)"
            if today
            else ""
        )
        + "."
    )
    if group is not None:
        n_all = s.get(main, "children")["mean"]
        text += (
            f" Across all {n_all:,.0f} children needing a placement decision the "
            f"proposal places {pct(s, main, ranked, False)} at a ranked setting"
            + (f" ({pct(s, today, ranked, False)} today)" if today else "")
            + f", {pct(s, main, 'first_preference', False)} at their first "
            f"preference and leaves {pct(s, main, 'unplaced', False)} without a "
            "listed place."
        )
    text += _other_rules(t, group, main, today)
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
    rows += tuple(r for r in TIME_PROCESS_ROWS if r[0] in s.metrics)
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
    n_target = _target_size(result)
    if n_target > 0:
        t = result.summary("target")
        t_days = t.get(main, "mean_days_waiting", TARGET)["mean"]
        text += (
            f" Of the {n_target / result.years:,.0f} children a year who need "
            "specialist provision (the children the proposal is for), "
            f"{pct(t, main, 'any_preference_at_arrival', True, TARGET)} are placed "
            "at a setting their parent ranked by the statutory deadline (the day "
            "the plan is final), they wait a mean of "
            f"{t_days:.0f} days and {pct(t, main, 'waiting_year_end', True, TARGET)} "
            "are still waiting at the year's end."
        )
    if result.mode == "multi_year":
        text += (
            f" Those still waiting are carried into the next year: "
            f"{pct(s, main, 'carried_over')} of each year's children on average "
            "have waited since a previous year."
        )
    others = [m for m in s.mechanisms if m != main and m != "status_quo"]
    if others:
        parts = [
            f"{label(m)} for the batches: "
            f"{100 * s.get(m, 'first_preference_at_arrival')['mean']:.0f}% first "
            "preference at arrival"
            for m in others
        ]
        text += " With " + "; ".join(parts) + "."
    if main != "status_quo" and "status_quo" in s.mechanisms:
        text += (
            f" Under {label('status_quo')} (a request, the LA's reply after the "
            "consultation, refusals, appeals) "
            f"{pct(s, 'status_quo', 'placed_within_consultation')} hold a place "
            "when the consultation ends, "
            f"{pct(s, 'status_quo', 'first_preference_year_end')} their first "
            f"preference at the year's end, "
            f"{pct(s, 'status_quo', 'waiting_year_end')} are still waiting then, "
            f"and {pct(s, 'status_quo', 'appealed')} appeal a refusal."
        )
    text += (
        f" Figures are means over {result.runs} simulated runs, with the range "
        f"that holds 95% of runs{drawn_text(result.uncertainty)} in brackets."
    )
    return text
