"""Results as figures (matplotlib, the ``plot`` extra; imported when a figure is drawn).

Matplotlib's object API only: no pyplot, no global state. :func:`plot` chooses
the annual or the time figures by ``result.mode``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

from sendalloc._engine.stats import interval_text
from sendalloc._report.common import SHORT_LABELS, Reportable, main_index
from sendalloc._report.text import what

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["annual_plot", "plot", "time_plot"]


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


def annual_plot(
    result: Reportable, path: str | os.PathLike[str] | None = None
) -> Figure:
    """Three panels: headline shares by mechanism, rank profile, breakdown by need.

    Uses matplotlib's object API (no pyplot, no global state); needs the
    ``plot`` extra. Saved to ``path`` if given (format from the suffix).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    s = result.summary()
    mechs = s.mechanisms
    k = len(mechs)
    fig = Figure(figsize=(15, 4.8), layout="constrained")
    ax1, ax2, ax3 = fig.subplots(1, 3)
    metrics = (
        "first_preference",
        "top3_preference",
        "any_preference",
        "placed_on_list",
    )
    names = ("first", "top 3", "ranked", "on list")
    x = np.arange(len(metrics))
    w = 0.8 / k
    for i, mech in enumerate(mechs):
        idx = [s.metrics.index(m) for m in metrics]
        mean = 100 * s.mean[i, 0, idx]
        lo = 100 * s.ci_low[i, 0, idx]
        hi = 100 * s.ci_high[i, 0, idx]
        err = np.vstack([mean - lo, hi - mean])
        ax1.bar(x + (i - (k - 1) / 2) * w, mean, w, yerr=err, capsize=2, label=mech)
    ax1.set_xticks(x, names)
    ax1.set_ylabel(f"% of children ({interval_text(result.uncertainty, 'rounds')})")
    ax1.set_ylim(0, 100)
    ax1.set_title("Outcome by mechanism")
    ax1.legend(fontsize="small", loc="lower right")

    r = result.summary("rank")
    ranks = np.arange(1, len(r.groups) + 1)
    for i, mech in enumerate(mechs):
        ax2.plot(ranks, 100 * r.mean[i, :, 0], marker="o", label=mech)
        ax2.fill_between(
            ranks, 100 * r.ci_low[i, :, 0], 100 * r.ci_high[i, :, 0], alpha=0.15
        )
    ax2.set_xticks(ranks)
    ax2.set_xlabel("rank of the place obtained (1 = first preference)")
    ax2.set_ylabel("% of children")
    ax2.set_title("Rank profile")

    n = result.summary("need")
    present = [g for g in range(len(n.groups)) if n.mean[0, g, 0] > 0]
    col = n.metrics.index("first_preference")
    xn = np.arange(len(present))
    for i, mech in enumerate(mechs):
        mean = 100 * n.mean[i, present, col]
        lo = 100 * n.ci_low[i, present, col]
        hi = 100 * n.ci_high[i, present, col]
        err = np.nan_to_num(np.vstack([mean - lo, hi - mean]))
        ax3.bar(xn + (i - (k - 1) / 2) * w, mean, w, yerr=err, capsize=1, label=mech)
    ax3.set_xticks(xn, [n.groups[g] for g in present], rotation=45)
    ax3.set_ylabel("% of the need group given their first preference")
    ax3.set_ylim(0, 100)
    ax3.set_title("First preference by primary need")
    fig.suptitle(f"{result.scenario}: {result.runs} simulated rounds")
    if path is not None:
        fig.savefig(path)
    return fig


def time_plot(result: Reportable, path: str | os.PathLike[str] | None = None) -> Figure:
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
        i = main_index(yr)
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
        ax3.set_xticks(xm, [SHORT_LABELS.get(m, m) for m in s.mechanisms])
        ax3.set_title("First preference")
    ax3.set_ylabel(f"% of children ({interval_text(result.uncertainty, 'runs')})")
    ax3.set_ylim(0, 100)
    ax3.legend(fontsize="small")
    fig.suptitle(f"{result.scenario}: {result.runs} runs of {what(result)}")
    if path is not None:
        fig.savefig(path)
    return fig
