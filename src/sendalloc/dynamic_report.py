"""Reports of a :class:`~sendalloc.dynamic.DynamicResult`: text, JSON, CSV, figures.

The counterpart of :mod:`sendalloc.report` for the in-year and multi-year
modes: the time metrics by mechanism, a month-by-month table with a text bar
chart of the children waiting, a year-by-year table for projections, the JSON
document and the long CSV table (schemas in docs/dynamics.md). matplotlib is
imported only inside :func:`plot`.
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, Any

import numpy as np

from sendalloc.report import (
    _SHORT,
    _cell,
    _csv,
    _dump_json,
    _grid,
    _label,
    _pct,
    _summary_dicts,
    _version,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sendalloc.dynamic import DynamicResult
    from sendalloc.simulate import Summary

__all__ = ["headline", "plot", "result_dict", "table", "to_csv", "to_json"]

_SECTIONS: tuple[tuple[str, str | None], ...] = (
    ("overall", None),
    ("rank", "rank"),
    ("by_need", "need"),
    ("by_phase", "phase"),
    ("by_kind", "kind"),
    ("by_month", "month"),
    ("by_year", "year"),
)

# (metric, row label, kind): "pct", "num", "int", "gbp" as in sendalloc.report.
_ROWS: tuple[tuple[str, str, str], ...] = (
    ("mean_days_waiting", "days without a place (mean)", "num"),
    ("waited", "waited a day or more %", "pct"),
    ("placed_by_deadline", "placed when the plan is final %", "pct"),
    ("first_preference_at_arrival", "first preference at arrival %", "pct"),
    ("first_preference_year_end", "first preference at year end %", "pct"),
    ("any_preference_year_end", "a ranked setting at year end %", "pct"),
    ("placed_on_list_year_end", "on the list at year end %", "pct"),
    ("out_of_list_year_end", "out of list at year end %", "pct"),
    ("waiting_year_end", "still waiting at year end %", "pct"),
    ("moved", "moved up during the year %", "pct"),
    ("idle_place_days", "idle place-days a year", "int"),
    ("cost_per_child", "cost per child £k", "gbp"),
)
# Extra rows of a multi-year projection.
_PROJECTION_ROWS: tuple[tuple[str, str, str], ...] = (
    ("carried_over", "carried over from last year %", "pct"),
    ("mean_days_waiting_in_year", "days without a place this year (mean)", "num"),
)


def _what(result: DynamicResult) -> str:
    if result.mode == "multi_year":
        return f"a {result.years}-year projection"
    return "one year of in-year allocation"


# --------------------------------------------------------------------------- data
def result_dict(result: DynamicResult) -> dict[str, Any]:
    """The JSON document of a dynamic result.

    Keys ``sendalloc_version, scenario, description, mode, years, runs, seed,
    mechanisms, results, rank_profile, by_need, by_phase, by_kind, by_month,
    by_year``; NaN is None.

    Returns
    -------
    dict
    """
    doc: dict[str, Any] = {
        "sendalloc_version": _version(),
        "scenario": result.scenario,
        "description": result.description,
        "mode": result.mode,
        "years": result.years,
        "runs": result.runs,
        "seed": result.seed,
        "mechanisms": list(result.mechanisms),
    }
    return doc | _summary_dicts(result, _SECTIONS)


def to_json(result: DynamicResult, path: str | os.PathLike[str] | None = None) -> str:
    """Serialise :func:`result_dict` (strict JSON, 2-space indent).

    Returns
    -------
    str
    """
    return _dump_json(result_dict(result), path)


def to_csv(result: DynamicResult, path: str | os.PathLike[str] | None = None) -> str:
    """Every summary statistic as one long CSV table.

    Columns ``section, mechanism, group, metric, mean, ci_low, ci_high, se``;
    sections as in :mod:`sendalloc.report` plus ``by_month`` and ``by_year``.

    Returns
    -------
    str
    """
    return _csv(result, _SECTIONS, path)


# --------------------------------------------------------------------------- text
def _fmt(s: Summary, i: int, g: int, k: int, kind: str, *, full: bool = False) -> str:
    """A cell: ``mean (2.5%-97.5%)`` when ``full`` (overall rows), else the mean."""
    mean, lo, hi = (float(a[i, g, k]) for a in (s.mean, s.ci_low, s.ci_high))
    if math.isnan(mean):
        return "-"
    if kind == "int":
        return f"{mean:,.0f} ({lo:,.0f}-{hi:,.0f})" if full else f"{mean:,.0f}"
    if full:
        return _cell(s, i, k, kind)
    if kind == "pct":
        return f"{100 * mean:.0f}"
    return f"{mean:.1f}"


def _main(s: Summary) -> int:
    return (
        s.mechanisms.index("first_available")
        if "first_available" in s.mechanisms
        else 0
    )


def table(result: DynamicResult) -> str:
    """Time metrics by mechanism, then month by month and (projections) by year.

    The month-by-month table is for the proposal (``first_available``, else the
    first mechanism), with a bar of the children waiting at each month's end.

    Returns
    -------
    str
    """
    s = result.summary()
    head = ["", *(_SHORT.get(m, m) for m in s.mechanisms)]
    rows = _ROWS + (_PROJECTION_ROWS if result.mode == "multi_year" else ())
    body = [
        [
            label,
            *(
                _fmt(s, i, 0, s.metrics.index(met), kind, full=True)
                for i in range(len(s.mechanisms))
            ),
        ]
        for met, label, kind in rows
    ]
    lines = _grid([head, *body])
    ch = s.get(s.mechanisms[0], "children")
    lines.append(
        f"{result.runs} simulated runs of {_what(result)}, {ch['mean']:.0f} children "
        "on average; mean (95% range over runs)."
    )

    mon = result.summary("month")
    i = _main(mon)
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
    for g, label in enumerate(mon.groups):
        w = float(waiting[g])
        bar = "#" * (round(30 * w / top) if top > 0 and not math.isnan(w) else 0)
        month_rows.append(
            [
                label,
                f"{mon.mean[i, g, col['arrivals']]:.0f}",
                _fmt(mon, i, g, col["placed_on_arrival"], "pct"),
                _fmt(mon, i, g, col["mean_days_waiting"], "num"),
                f"{w:.0f}",
                f"{mon.mean[i, g, col['idle_place_days']]:.0f}",
                f"{mon.mean[i, g, col['moves']]:.0f}",
                bar.ljust(30),
            ]
        )
    lines += ["", f"Month by month, {_label(mon.mechanisms[i])} (mean over runs):"]
    lines += _grid(month_rows)

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
        for g, label in enumerate(yr.groups):
            year_rows.append(
                [
                    label,
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
        lines += ["", f"Year by year, {_label(yr.mechanisms[i])} (mean, 95% range):"]
        lines += _grid(year_rows)
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


def headline(result: DynamicResult) -> str:
    """One paragraph in plain English.

    Returns
    -------
    str
    """
    s = result.summary()
    main = s.mechanisms[_main(s)]
    days = s.get(main, "mean_days_waiting")["mean"]
    scope = (
        f"over {result.years} projected years"
        if result.mode == "multi_year"
        else "over one year of in-year allocation"
    )
    text = (
        f"Under {result.scenario}, {scope} with {_label(main)} at the moment of "
        f"need, {_pct(s, main, 'first_preference_at_arrival')} of children get "
        "their first preference on the day their plan is final and "
        f"{_pct(s, main, 'first_preference_year_end')} hold it at the year's end; "
        f"{_pct(s, main, 'waited')} wait a day or more for a place "
        f"(a mean of {days:.0f} days per child) and "
        f"{_pct(s, main, 'waiting_year_end')} are still waiting at the year's end."
    )
    if result.mode == "multi_year":
        text += (
            f" Those still waiting are carried into the next year: "
            f"{_pct(s, main, 'carried_over')} of each year's children on average "
            "have waited since a previous year."
        )
    others = [m for m in s.mechanisms if m != main]
    if others:
        parts = [
            f"{_label(m)} for the batches: "
            f"{100 * s.get(m, 'first_preference_at_arrival')['mean']:.0f}% first "
            "preference at arrival"
            for m in others
        ]
        text += " With " + "; ".join(parts) + "."
    text += (
        f" Figures are means over {result.runs} simulated runs, with the range "
        "that holds 95% of runs in brackets."
    )
    return text


# --------------------------------------------------------------------------- plots
def plot(result: DynamicResult, path: str | os.PathLike[str] | None = None) -> Figure:
    """Three panels: children waiting by month, idle place-days by month, outcomes.

    The third panel compares first preference at arrival with first preference
    at the year's end by mechanism (in-year), or shows them year by year for
    the proposal (projections). Needs the ``plot`` extra.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    mon = result.summary("month")
    col = {m: k for k, m in enumerate(mon.metrics)}
    x = np.arange(len(mon.groups))
    fig = Figure(figsize=(15, 4.8), layout="constrained")
    ax1, ax2, ax3 = fig.subplots(1, 3)
    for i, mech in enumerate(mon.mechanisms):
        for ax, met in ((ax1, "waiting_month_end"), (ax2, "idle_place_days")):
            k = col[met]
            ax.plot(x, mon.mean[i, :, k], marker="o", label=mech)
            ax.fill_between(x, mon.ci_low[i, :, k], mon.ci_high[i, :, k], alpha=0.15)
    step = max(1, len(x) // 12)
    for ax in (ax1, ax2):
        ax.set_xticks(x[::step], [mon.groups[j] for j in x[::step]], rotation=45)
    ax1.set_ylabel("children without a place at the month's end")
    ax1.set_title("Children waiting")
    ax1.legend(fontsize="small")
    ax2.set_ylabel("place-days idle while a child who would take it waits")
    ax2.set_title("Idle places (waste over time)")
    s = result.summary()
    metrics = ("first_preference_at_arrival", "first_preference_year_end")
    if result.mode == "multi_year":
        yr = result.summary("year")
        i = _main(yr)
        years = np.arange(1, len(yr.groups) + 1)
        for met, name in zip(metrics, ("at arrival", "at year end"), strict=True):
            k = yr.metrics.index(met)
            ax3.plot(years, 100 * yr.mean[i, :, k], marker="o", label=name)
            ax3.fill_between(
                years, 100 * yr.ci_low[i, :, k], 100 * yr.ci_high[i, :, k], alpha=0.15
            )
        ax3.set_xticks(years)
        ax3.set_xlabel("year of the projection")
        ax3.set_title(f"First preference, {yr.mechanisms[i]}")
    else:
        w = 0.8 / len(metrics)
        xm = np.arange(len(s.mechanisms))
        for j, (met, name) in enumerate(
            zip(metrics, ("at arrival", "at year end"), strict=True)
        ):
            k = s.metrics.index(met)
            mean = 100 * s.mean[:, 0, k]
            err = np.vstack(
                [mean - 100 * s.ci_low[:, 0, k], 100 * s.ci_high[:, 0, k] - mean]
            )
            ax3.bar(xm + (j - 0.5) * w, mean, w, yerr=err, capsize=2, label=name)
        ax3.set_xticks(xm, [_SHORT.get(m, m) for m in s.mechanisms])
        ax3.set_title("First preference")
    ax3.set_ylabel("% of children (95% range over runs)")
    ax3.set_ylim(0, 100)
    ax3.legend(fontsize="small")
    fig.suptitle(f"{result.scenario}: {result.runs} runs of {_what(result)}")
    if path is not None:
        fig.savefig(path)
    return fig
