"""Results as figures (matplotlib, the ``plot`` extra; imported when a figure is drawn).

Matplotlib's object API only: no pyplot, no global state. :func:`plot` chooses
the annual or the time figures by ``result.mode``; :func:`sweep_plot` draws a
sweep. Every figure follows the same rules, so that it can go into a policy
paper as it is:

- shares are percentages everywhere, and each axis spans the data it compares
  (a 2-point difference is not drawn on a 0-100 axis), except where the parts
  of a whole are shown;
- "no listed place", the proposal's key number, is always shown;
- a mechanism keeps its colour and its name in every panel, and every
  mechanism asked for is drawn;
- legends sit outside the axes, under the panels, never over the data;
- intervals are drawn thin, so that a small group's wide interval does not
  dominate; groups of fewer than :data:`SMALL_GROUP` children a round are
  pooled, and the pooled row says which groups it holds;
- need codes are spelled out; monthly axes are calendars (points at each
  month's end, a month's label in its middle, years marked).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from numpy.typing import NDArray

from sendalloc._engine.calendar import MONTH_END, MONTHS
from sendalloc._engine.stats import Summary, interval_text, summarise
from sendalloc._report.common import (
    PROJECTION_ROWS,
    ROWS,
    TIME_ROWS,
    Reportable,
    main_index,
)
from sendalloc._report.text import what
from sendalloc.population import NEED_NAMES

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "FIGURE_LABELS",
    "OUTCOMES",
    "PALETTE",
    "SMALL_GROUP",
    "annual_plot",
    "figure_label",
    "figure_metric_label",
    "is_percent_key",
    "key_label",
    "metric_label",
    "plot",
    "pooled_need",
    "time_plot",
]

#: How each built-in mechanism is named in a figure.
FIGURE_LABELS: dict[str, str] = {
    "first_available": "First available (the proposal)",
    "random_serial_dictatorship": "Random serial dictatorship",
    "boston": "Boston",
    "adaptive_boston": "Adaptive Boston",
    "deferred_acceptance": "Deferred acceptance",
    "setting_proposing_deferred_acceptance": "Setting-proposing DA",
    "top_trading_cycles": "Top trading cycles",
    "max_placement": "Planner's maximum (max_placement)",
}

#: The outcomes of the annual figure's first row: (metric, panel title).
OUTCOMES: tuple[tuple[str, str], ...] = (
    ("first_preference", "First preference"),
    ("top3_preference", "One of the top three"),
    ("any_preference", "A setting the parent ranked"),
    ("placed_on_list", "A place on the tailored list"),
    ("unplaced", "No listed place"),
)

#: Groups with fewer children than this a round (mean over rounds) are pooled
#: in the by-need panels.
SMALL_GROUP = 25

#: Colours of the lines (a mechanism, or a value of a sweep's key), in order:
#: the first (the proposal by default) dark blue.
PALETTE: tuple[str, ...] = (
    "#1f4e79",  # the first mechanism (the proposal by default): dark blue
    "#e07b00",
    "#2a9d8f",
    "#c0392b",
    "#8e44ad",
    "#7f8c8d",
    "#b5a000",
    "#d35f9b",
    "#4a7c2c",
    "#5dade2",
)
_NONE_COLOUR = "#b2182b"  # no listed place


def figure_label(mech: str) -> str:
    """A mechanism's name in a figure."""
    return FIGURE_LABELS.get(mech, mech.replace("_", " "))


#: Metrics as a figure names them (others: :func:`metric_label`).
_FIGURE_METRICS: dict[str, str] = {
    "first_preference": "First preference",
    "top3_preference": "One of the top three",
    "any_preference": "A setting the parent ranked",
    "placed_on_list": "Placed on the tailored list",
    "unplaced": "No listed place",
    "first_preference_at_arrival": "First preference on the day the plan is final",
    "waiting_year_end": "Still waiting at the year's end",
}


def figure_metric_label(metric: str) -> str:
    """A metric's name as a figure's axis or title gives it.

    Examples
    --------
    >>> figure_metric_label("placed_on_list"), figure_metric_label("waited")
    ('Placed on the tailored list', 'Waited a day or more')
    """
    if metric in _FIGURE_METRICS:
        return _FIGURE_METRICS[metric]
    text = metric_label(metric)
    return text[:1].upper() + text[1:]


def metric_label(metric: str) -> str:
    """A metric's name in a figure, e.g. ``"first preference"``.

    Examples
    --------
    >>> metric_label("placed_on_list"), metric_label("mean_days_waiting")
    ('on the list', 'days without a place (mean)')
    >>> metric_label("moves_per_child")
    'moves per child'
    """
    for met, row, _ in (*ROWS, *TIME_ROWS, *PROJECTION_ROWS):
        if met == metric:
            return row.strip().removesuffix(" %").removeprefix("of which ")
    return metric.replace("_", " ")


def key_label(key: str) -> str:
    """A dotted scenario key as an axis label, e.g. ``"special: capacity growth"``.

    Examples
    --------
    >>> key_label("special.capacity_growth")
    'special schools: capacity growth'
    >>> key_label("lists.max_length")
    'tailored lists: max length'
    """
    section, _, name = key.rpartition(".")
    nice = {
        "special": "special schools",
        "mainstream": "mainstream schools",
        "lists": "tailored lists",
        "population": "population",
        "dynamics": "dynamics",
        "preferences": "preferences",
    }.get(section, section.replace("_", " "))
    words = name.replace("_", " ")
    return f"{nice}: {words}" if nice else words


def is_percent_key(key: str, values: Sequence[Any]) -> bool:
    """Whether a sweep key's values are shares, shown as % (growth, share, rate).

    Examples
    --------
    >>> is_percent_key("special.capacity_growth", [0, 0.1, 0.2])
    True
    >>> is_percent_key("lists.max_length", [3, 5])
    False
    """
    last = key.rpartition(".")[2]
    numeric = all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in values
    )
    return (
        numeric
        and last.endswith(("growth", "share", "rate", "_prob"))
        and all(-1 <= float(v) <= 10 for v in values)
    )


def _colours(mechs: Sequence[str]) -> dict[str, str]:
    return {m: PALETTE[i % len(PALETTE)] for i, m in enumerate(mechs)}


def _mechanism_legend(fig: Any, mechs: Sequence[str], colours: dict[str, str]) -> None:
    """One legend of the mechanisms, under every panel (never over the data)."""
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=colours[m], marker="o", linewidth=2) for m in mechs]
    fig.legend(
        handles,
        [figure_label(m) for m in mechs],
        loc="outside lower center",
        ncols=min(4, len(mechs)),
        frameon=False,
        title="Mechanism",
    )


def _save(fig: Figure, path: str | os.PathLike[str] | None) -> Figure:
    if path is not None:
        fig.savefig(path, dpi=150)
    return fig


def plot(result: Reportable, path: str | os.PathLike[str] | None = None) -> Figure:
    """The figures of a result (annual or time, by ``result.mode``).

    Saved to ``path`` if given (format from the suffix).

    Returns
    -------
    matplotlib.figure.Figure
    """
    if result.mode == "annual":
        return annual_plot(result, path)
    return time_plot(result, path)


# --------------------------------------------------------------------------- annual
def _dot_row(
    ax: Axes,
    y: float,
    mean: float,
    lo: float,
    hi: float,
    se: float,
    colour: str,
    *,
    marker: str = "o",
    filled: bool = True,
) -> None:
    """A mean with its 95% range over rounds (thin) and the mean's 95% CI (thick)."""
    if math.isnan(mean):
        return
    ax.plot([lo, hi], [y, y], color=colour, linewidth=1, alpha=0.7)
    if not math.isnan(se):
        ax.plot(
            [mean - 1.96 * se, mean + 1.96 * se],
            [y, y],
            color=colour,
            linewidth=4,
            solid_capstyle="butt",
        )
    ax.plot(
        [mean],
        [y],
        marker=marker,
        color=colour,
        markerfacecolor=colour if filled else "white",
        markersize=6,
        linestyle="none",
    )


def _pad_limits(ax: Axes, lo: float, hi: float, *, floor: float = 0.0) -> None:
    """X limits that hold ``lo..hi`` with a margin, clipped to ``floor..100``."""
    span = max(hi - lo, 2.0)
    ax.set_xlim(max(floor, lo - 0.15 * span), min(100.0, hi + 0.15 * span))


def pooled_need(result: Reportable, n: Summary) -> tuple[list[str], list[str], Summary]:
    """Need groups by size, those under :data:`SMALL_GROUP` a round pooled into one.

    Returns the row labels, the codes pooled, and a summary whose groups are
    the rows (the pooled group last), each a share per run weighted by the
    group's children in that run.
    """
    ch = n.metrics.index("children")
    size = n.mean[0, :, ch]
    big = [g for g in np.argsort(-size, kind="stable") if size[g] >= SMALL_GROUP]
    small = [g for g in range(len(n.groups)) if 0 < size[g] < SMALL_GROUP]
    data = np.asarray(result.groups["need"])  # (runs, k, G, C)
    rows = [data[:, :, g, :] for g in big]
    labels = [
        f"{NEED_NAMES.get(n.groups[g], n.groups[g])} ({n.groups[g]})" for g in big
    ]
    if small:
        w = data[:, :, small, ch]  # children per run, mechanism and group
        total = w.sum(axis=2)
        pooled = np.full(data.shape[:2] + data.shape[3:], np.nan)
        for c in range(data.shape[3]):
            x = data[:, :, small, c]
            ok = ~np.isnan(x) & (w > 0)
            num = np.where(ok, x * w, 0.0).sum(axis=2)
            den = np.where(ok, w, 0.0).sum(axis=2)
            pooled[:, :, c] = np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
        pooled[:, :, ch] = total
        rows.append(pooled)
        codes = ", ".join(n.groups[g] for g in small)
        labels.append(f"Other needs, pooled ({codes})")
    stacked = np.stack(rows, axis=2)  # (runs, k, rows, C)
    mean, lo, hi, se, cnt = summarise(stacked)
    sizes = mean[0, :, ch]
    labels = [
        f"{lab}\n{s:,.0f} children a round"
        for lab, s in zip(labels, sizes, strict=True)
    ]
    pooled_codes = [n.groups[g] for g in small]
    return (
        labels,
        pooled_codes,
        Summary(n.mechanisms, tuple(labels), n.metrics, "need", mean, lo, hi, se, cnt),
    )


def annual_plot(
    result: Reportable, path: str | os.PathLike[str] | None = None
) -> Figure:
    """The annual figure: outcomes by mechanism, where children end up, by need.

    Three rows. (A) One small panel per outcome (first preference, top three,
    a ranked setting, a place on the list, no listed place), each with its own
    % axis spanning the mechanisms' values: a dot is the mean over rounds, the
    thick bar the 95% confidence interval of that mean, the thin line the 95%
    range from one simulated round to the next. (B) Where children end up, by
    mechanism: the share at their first, second, third or a lower preference,
    on the list by the LA's fallback, or without a listed place (the parts
    add up to 100%). (C) First preference and no listed place by primary
    need, needs spelled out and largest first; needs with fewer than
    :data:`SMALL_GROUP` children a round are pooled into one row that names
    them. Needs the ``plot`` extra; saved to ``path`` if given.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    s = result.summary()
    mechs = s.mechanisms
    k = len(mechs)
    colours = _colours(mechs)
    names = [figure_label(m) for m in mechs]
    ys = np.arange(k)[::-1].astype(float)  # the first mechanism on top
    nd = result.summary("need")
    labels, _, pooled = pooled_need(result, nd)
    n_rows = len(labels)
    heights = [1.0 + 0.28 * k, 0.9 + 0.25 * k, max(3.5, 1.2 + 0.13 * n_rows * k)]
    fig = Figure(figsize=(15, sum(heights) + 0.6), layout="constrained")
    subs: Any = fig.subfigures(3, 1, height_ratios=heights)
    top, mid, bottom = subs
    ch = s.get(mechs[0], "children")["mean"]
    fig.suptitle(
        f"{result.scenario}: {result.runs} simulated rounds, "
        f"{ch:,.0f} children needing a place each round (mean)",
        fontsize="x-large",
    )

    # (A) outcomes, each on its own axis.
    axes = top.subplots(1, len(OUTCOMES), sharey=True)
    for ax, (met, title) in zip(axes, OUTCOMES, strict=True):
        col = s.metrics.index(met)
        for i, m in enumerate(mechs):
            _dot_row(
                ax,
                ys[i],
                100 * s.mean[i, 0, col],
                100 * s.ci_low[i, 0, col],
                100 * s.ci_high[i, 0, col],
                100 * s.se[i, 0, col],
                colours[m],
            )
        _pad_limits(
            ax,
            float(np.nanmin(100 * s.ci_low[:, 0, col])),
            float(np.nanmax(100 * s.ci_high[:, 0, col])),
        )
        ax.set_title(
            title,
            color=_NONE_COLOUR if met == "unplaced" else "black",
            fontweight="bold" if met == "unplaced" else "normal",
        )
        ax.set_xlabel("% of children")
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(ys, names)
    axes[0].set_ylim(-0.6, k - 0.4)
    top.suptitle(
        "A. Outcomes by mechanism: dot, mean over rounds; thick bar, 95% CI of "
        f"the mean; thin line, {interval_text(result.uncertainty, 'rounds')}",
        fontsize="medium",
        x=0.01,
        ha="left",
    )

    # (B) where children end up: the parts of 100%.
    ax = mid.subplots()
    r = result.summary("rank")
    prof = 100 * np.nan_to_num(r.mean[:, :, 0])  # (k, L)
    ranked = 100 * s.mean[:, 0, s.metrics.index("any_preference")]
    on_list = 100 * s.mean[:, 0, s.metrics.index("placed_on_list")]
    unplaced = 100 * s.mean[:, 0, s.metrics.index("unplaced")]
    parts = [
        ("1st preference", prof[:, 0] if prof.shape[1] > 0 else np.zeros(k), "#08306b"),
        ("2nd", prof[:, 1] if prof.shape[1] > 1 else np.zeros(k), "#2171b5"),
        ("3rd", prof[:, 2] if prof.shape[1] > 2 else np.zeros(k), "#6baed6"),
        ("4th or lower", prof[:, 3:].sum(axis=1), "#c6dbef"),
        (
            "on the list, not ranked (LA's fallback)",
            np.clip(on_list - ranked, 0, None),
            "#bdbdbd",
        ),
        ("no listed place", unplaced, _NONE_COLOUR),
    ]
    left = np.zeros(k)
    handles = []
    for lab, width, colour in parts:
        width = np.nan_to_num(width)
        bars = ax.barh(ys, width, left=left, height=0.7, color=colour, label=lab)
        handles.append(Patch(color=colour, label=lab))
        for y, x0, w in zip(ys, left, width, strict=True):
            if w >= 4:
                dark = colour in ("#08306b", "#2171b5", _NONE_COLOUR)
                ax.text(
                    x0 + w / 2,
                    y,
                    f"{w:.0f}%",
                    ha="center",
                    va="center",
                    fontsize="small",
                    color="white" if dark else "black",
                )
        del bars
        left = left + width
    ax.set_yticks(ys, names)
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of children (mean over rounds)")
    ax.set_title("B. Where children end up", loc="left", fontsize="medium")
    mid.legend(
        handles=handles,
        loc="outside right center",
        frameon=False,
        title="Place obtained",
    )

    # (C) by primary need, small groups pooled.
    ax1, ax2 = bottom.subplots(1, 2, sharey=True)
    yn = np.arange(n_rows)[::-1].astype(float)
    off = (np.arange(k) - (k - 1) / 2) * (0.8 / max(k, 1))
    for ax, met, title in (
        (ax1, "first_preference", "First preference"),
        (ax2, "unplaced", "No listed place"),
    ):
        col = pooled.metrics.index(met)
        for i, m in enumerate(mechs):
            for g in range(n_rows):
                _dot_row(
                    ax,
                    yn[g] - off[i],
                    100 * pooled.mean[i, g, col],
                    100 * pooled.ci_low[i, g, col],
                    100 * pooled.ci_high[i, g, col],
                    float("nan"),
                    colours[m],
                )
        lo = float(np.nanmin(100 * pooled.ci_low[:, :, col]))
        hi = float(np.nanmax(100 * pooled.ci_high[:, :, col]))
        _pad_limits(ax, lo, hi)
        ax.set_xlabel(
            f"% of the need group ({interval_text(result.uncertainty, 'rounds')})"
        )
        ax.set_title(
            title,
            color=_NONE_COLOUR if met == "unplaced" else "black",
            fontweight="bold" if met == "unplaced" else "normal",
        )
        ax.grid(axis="x", alpha=0.3)
        for y in yn[:-1]:
            ax.axhline(y - 0.5, color="0.85", linewidth=0.6)
    ax1.set_yticks(yn, labels, fontsize="small")
    ax1.set_ylim(-0.6, n_rows - 0.4)
    bottom.suptitle(
        f"C. By primary need (largest first; dot, mean over rounds; line, "
        f"{interval_text(result.uncertainty, 'rounds')})",
        fontsize="medium",
        x=0.01,
        ha="left",
    )
    _mechanism_legend(bottom, mechs, colours)
    return _save(fig, path)


# --------------------------------------------------------------------------- time
def _calendar_axis(ax: Axes, years: int) -> None:
    """A calendar x axis in years (0 = 1 January of year 1).

    One year: a tick at each month's start, the month's name in its middle.
    Several: a tick at each 1 January, "Year k" in the middle of the year, and
    small ticks at each quarter.
    """
    from matplotlib.ticker import FixedLocator, NullFormatter

    starts = np.concatenate([[0], MONTH_END[:-1]]) / 365.0
    if years == 1:
        ax.xaxis.set_major_locator(FixedLocator([*list(starts), 1.0]))
        ax.xaxis.set_major_formatter(NullFormatter())
        mids = (starts + np.append(starts[1:], 1.0)) / 2
        ax.xaxis.set_minor_locator(FixedLocator(list(mids)))
        ax.set_xticks(mids, list(MONTHS), minor=True)
        ax.tick_params(axis="x", which="minor", length=0)
    else:
        ax.xaxis.set_major_locator(FixedLocator([float(y) for y in range(years + 1)]))
        ax.xaxis.set_major_formatter(NullFormatter())
        quarters = [y + q for y in range(years) for q in (0.25, 0.5, 0.75)]
        ax.set_xticks(
            [y + 0.5 for y in range(years)],
            [f"Year {y + 1}" for y in range(years)],
            minor=True,
        )
        ax.tick_params(axis="x", which="minor", length=0)
        for q in quarters:
            ax.axvline(q, ymin=0, ymax=0.015, color="0.4", linewidth=0.8)
    ax.set_xlim(0, years)


def _month_x(n_months: int, *, mid: bool = False) -> NDArray[np.float64]:
    """Each month's end (or middle), in years from 1 January of year 1."""
    m = np.arange(n_months)
    end = MONTH_END[m % 12]
    start = np.where(m % 12 == 0, 0, MONTH_END[(m - 1) % 12])
    day = (start + end) / 2 if mid else end
    return m // 12 + day / 365.0


def time_plot(result: Reportable, path: str | os.PathLike[str] | None = None) -> Figure:
    """The time figure: waiting, placed on the day, idle places, first preference.

    Four panels, every mechanism in each with its own colour. (A) Children
    without a place at each month's end (the proposal's 95% range over runs
    shaded). (B) The share of each month's new plans placed on the day the plan
    is final. (C) Place-days idle while a child who would take the place waits
    (said in words when it is zero throughout). (D) First preference at
    arrival and at the year's end: by mechanism (in-year), or year by year
    (projections). Monthly axes are calendars. Needs the ``plot`` extra.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    mon = result.summary("month")
    col = {m: k for k, m in enumerate(mon.metrics)}
    mechs = mon.mechanisms
    k = len(mechs)
    colours = _colours(mechs)
    main = main_index(mon)
    years = max(1, result.years if result.mode == "multi_year" else 1)
    x = _month_x(len(mon.groups))
    xm = _month_x(len(mon.groups), mid=True)  # a month's flows, at its middle
    fig = Figure(figsize=(15, 10), layout="constrained")
    (ax1, ax2), (ax3, ax4) = fig.subplots(2, 2)
    fig.suptitle(
        f"{result.scenario}: {result.runs} runs of {what(result)}",
        fontsize="x-large",
    )

    # (A) children waiting at each month's end.
    kw = col["waiting_month_end"]
    for i, m in enumerate(mechs):
        ax1.plot(x, mon.mean[i, :, kw], color=colours[m], marker="o", markersize=3)
    ax1.fill_between(
        x,
        mon.ci_low[main, :, kw],
        mon.ci_high[main, :, kw],
        color=colours[mechs[main]],
        alpha=0.15,
        linewidth=0,
    )
    ax1.set_ylim(bottom=0)
    ax1.set_ylabel("children without a place at the month's end")
    ax1.set_title(
        f"A. Children waiting (shaded: {figure_label(mechs[main])}, "
        f"{interval_text(result.uncertainty, 'runs')})",
        loc="left",
        fontsize="medium",
    )

    # (B) placed on the day the plan is final, % of the month's arrivals.
    kp = col["placed_on_arrival"]
    for i, m in enumerate(mechs):
        ax2.plot(
            xm, 100 * mon.mean[i, :, kp], color=colours[m], marker="o", markersize=3
        )
    vals = 100 * mon.mean[:, :, kp]
    if np.isfinite(vals).any():
        _pad_y(ax2, float(np.nanmin(vals)), float(np.nanmax(vals)))
    ax2.set_ylabel("% of the month's new plans (mean over runs)")
    ax2.set_title(
        "B. Placed on the day the plan is final", loc="left", fontsize="medium"
    )

    # (C) idle place-days.
    ki = col["idle_place_days"]
    idle = mon.mean[:, :, ki]
    if np.nanmax(np.abs(np.nan_to_num(mon.ci_high[:, :, ki]))) == 0:
        ax3.set_ylim(0, 1)
        ax3.set_yticks([0])
        ax3.axhline(0, color="0.3", linewidth=1)
        ax3.text(
            0.5,
            0.55,
            "None: in every run, no place stood empty\n"
            "while a child who would take it was waiting",
            transform=ax3.transAxes,
            ha="center",
            va="center",
            fontsize="large",
            color="0.25",
        )
    else:
        for i, m in enumerate(mechs):
            ax3.plot(xm, idle[i], color=colours[m], marker="o", markersize=3)
        ax3.set_ylim(bottom=0)
    ax3.set_ylabel("place-days in the month (mean over runs)")
    ax3.set_title(
        "C. Places idle while a child who would take one waits",
        loc="left",
        fontsize="medium",
    )
    for ax in (ax1, ax2, ax3):
        _calendar_axis(ax, years)
        ax.grid(axis="y", alpha=0.3)

    # (D) first preference at arrival and at the year's end.
    s = result.summary()
    styles = (
        ("first_preference_at_arrival", "at arrival", "o", "-", True),
        ("first_preference_year_end", "at the year's end", "D", "--", False),
    )
    if result.mode == "multi_year":
        yr = result.summary("year")
        yx = np.arange(1, len(yr.groups) + 1)
        for met, _, marker, ls, filled in styles:
            kk = yr.metrics.index(met)
            for i, m in enumerate(mechs):
                ax4.plot(
                    yx,
                    100 * yr.mean[i, :, kk],
                    color=colours[m],
                    linestyle=ls,
                    marker=marker,
                    markerfacecolor=colours[m] if filled else "white",
                )
        both = [100 * yr.mean[:, :, yr.metrics.index(met)] for met, *_ in styles]
        _pad_y(ax4, float(np.nanmin(both)), float(np.nanmax(both)))
        ax4.set_xticks(yx, [f"Year {y}" for y in yx])
        ax4.set_ylabel("% of the year's children (mean over runs)")
        ax4.grid(axis="y", alpha=0.3)
    else:
        ym = np.arange(k)[::-1].astype(float)
        for j, (met, _, marker, _, filled) in enumerate(styles):
            kk = s.metrics.index(met)
            for i, m in enumerate(mechs):
                _dot_row(
                    ax4,
                    ym[i] + (0.15 if j == 0 else -0.15),
                    100 * s.mean[i, 0, kk],
                    100 * s.ci_low[i, 0, kk],
                    100 * s.ci_high[i, 0, kk],
                    100 * s.se[i, 0, kk],
                    colours[m],
                    marker=marker,
                    filled=filled,
                )
        cols = [s.metrics.index(met) for met, *_ in styles]
        _pad_limits(
            ax4,
            float(np.nanmin(100 * s.ci_low[:, 0, cols])),
            float(np.nanmax(100 * s.ci_high[:, 0, cols])),
        )
        ax4.set_yticks(ym, [figure_label(m) for m in mechs])
        ax4.set_ylim(-0.6, k - 0.4)
        ax4.set_xlabel(
            "% of children (thick: 95% CI of the mean; thin: "
            f"{interval_text(result.uncertainty, 'runs')})"
        )
        ax4.grid(axis="x", alpha=0.3)
    ax4.set_title("D. First preference", loc="left", fontsize="medium")
    ax4.legend(
        handles=[
            Line2D(
                [],
                [],
                color="0.3",
                marker=marker,
                linestyle=cast(Any, ls if result.mode == "multi_year" else "none"),
                markerfacecolor="0.3" if filled else "white",
                label=name,
            )
            for _, name, marker, ls, filled in styles
        ],
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        frameon=False,
        title="First preference",
    )
    _mechanism_legend(fig, mechs, colours)
    return _save(fig, path)


def _pad_y(ax: Axes, lo: float, hi: float) -> None:
    """Y limits that hold ``lo..hi`` (a %) with a margin, clipped to 0..100."""
    span = max(hi - lo, 2.0)
    ax.set_ylim(max(0.0, lo - 0.15 * span), min(100.0, hi + 0.15 * span))
