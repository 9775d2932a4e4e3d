"""Reports of a :class:`~sendalloc.simulate.SimulationResult`.

Text table and headline paragraph (what ``sendalloc run`` prints), the JSON
document (schema in docs/output.md), a long CSV table, a pandas frame (extra
``pandas``) and matplotlib figures (extra ``plot``). pandas and matplotlib are
imported only inside the functions that need them.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from sendalloc.metrics import GROUPINGS

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from sendalloc.simulate import SimulationResult, Summary

__all__ = [
    "MECHANISM_LABELS",
    "headline",
    "plot",
    "result_dict",
    "table",
    "to_csv",
    "to_frame",
    "to_json",
]

#: How each built-in mechanism is named in prose.
MECHANISM_LABELS: dict[str, str] = {
    "first_available": "first-available allocation",
    "random_serial_dictatorship": "random serial dictatorship",
    "boston": "the Boston mechanism",
    "adaptive_boston": "the adaptive Boston mechanism",
    "deferred_acceptance": "deferred acceptance",
    "setting_proposing_deferred_acceptance": "setting-proposing deferred acceptance",
    "top_trading_cycles": "top trading cycles",
    "max_placement": "the planner's benchmark (max_placement)",
}

_SHORT: dict[str, str] = {
    "first_available": "first avail.",
    "random_serial_dictatorship": "RSD",
    "boston": "Boston",
    "adaptive_boston": "adapt. Boston",
    "deferred_acceptance": "DA",
    "setting_proposing_deferred_acceptance": "setting DA",
    "top_trading_cycles": "TTC",
    "max_placement": "max placement",
}

# (metric, row label, kind): "pct" shown as a percentage, "num" plain, "gbp" £k.
_ROWS: tuple[tuple[str, str, str], ...] = (
    ("first_preference", "first preference %", "pct"),
    ("top3_preference", "top three %", "pct"),
    ("any_preference", "a ranked setting %", "pct"),
    ("placed_on_list", "on the list %", "pct"),
    ("placed_by_fallback", "  of which fallback %", "pct"),
    ("unplaced", "no listed place %", "pct"),
    ("mean_rank", "mean rank (ranked)", "num"),
    ("justified_envy", "justified envy %", "pct"),
    ("off_list_wish", "favourite off list %", "pct"),
    ("mean_distance_km", "mean distance km", "num"),
    ("cost_per_child", "cost per child £k", "gbp"),
    ("specialist_fill", "specialist fill %", "pct"),
)


def _label(mech: str) -> str:
    return MECHANISM_LABELS.get(mech, mech)


def _version() -> str:
    from sendalloc import __version__

    return __version__


#: The summaries a result's JSON and CSV hold: (section, ``by`` of the summary).
_SECTIONS: tuple[tuple[str, str | None], ...] = (
    ("overall", None),
    ("rank", "rank"),
    *((f"by_{g}", g) for g in GROUPINGS),
)


# --------------------------------------------------------------------------- data
def result_dict(result: SimulationResult) -> dict[str, Any]:
    """The JSON document of a result (schema: docs/output.md).

    Parameters
    ----------
    result : SimulationResult

    Returns
    -------
    dict
        Keys ``sendalloc_version, scenario, description, runs, seed, mechanisms,
        results, rank_profile, by_need, by_phase, by_kind``. Undefined values
        (NaN) are None.
    """
    doc: dict[str, Any] = {
        "sendalloc_version": _version(),
        "scenario": result.scenario,
        "description": result.description,
        "runs": result.runs,
        "seed": result.seed,
        "mechanisms": list(result.mechanisms),
    }
    return doc | _summary_dicts(result, _SECTIONS)


def _summary_dicts(
    result: SimulationResult, sections: Sequence[tuple[str, str | None]]
) -> dict[str, Any]:
    """Each section's summary as a dict, keyed as in the JSON document."""
    keys = {"overall": "results", "rank": "rank_profile"}
    return {keys.get(sec, sec): result.summary(by).to_dict() for sec, by in sections}


def to_json(
    result: SimulationResult, path: str | os.PathLike[str] | None = None
) -> str:
    """Serialise :func:`result_dict` (strict JSON, 2-space indent, trailing newline).

    Returns
    -------
    str
    """
    return _dump_json(result_dict(result), path)


def _dump_json(doc: dict[str, Any], path: str | os.PathLike[str] | None) -> str:
    """Strict JSON, 2-space indent, trailing newline; written to ``path`` if given."""
    text = json.dumps(doc, indent=2, allow_nan=False) + "\n"
    if path is not None:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    return text


def _csv(
    result: SimulationResult,
    sections: Sequence[tuple[str, str | None]],
    path: str | os.PathLike[str] | None,
) -> str:
    """The long CSV table of the summaries of ``sections``, written to ``path``."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(_CSV_HEADER)
    for section, by in sections:
        s = result.summary(by)
        for i, mech in enumerate(s.mechanisms):
            for g, grp in enumerate(s.groups):
                for k, met in enumerate(s.metrics):
                    w.writerow(
                        [
                            section,
                            mech,
                            grp,
                            met,
                            *(
                                _fmt_csv(float(a[i, g, k]))
                                for a in (s.mean, s.ci_low, s.ci_high, s.se)
                            ),
                        ]
                    )
    text = buf.getvalue()
    if path is not None:
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
    return text


def _fmt_csv(x: float) -> str:
    return "" if math.isnan(x) else repr(x)


_CSV_HEADER = [
    "section",
    "mechanism",
    "group",
    "metric",
    "mean",
    "ci_low",
    "ci_high",
    "se",
]


def to_csv(result: SimulationResult, path: str | os.PathLike[str] | None = None) -> str:
    """Every summary statistic as one long CSV table.

    Columns ``section, mechanism, group, metric, mean, ci_low, ci_high, se``;
    ``section`` is ``overall``, ``rank``, ``by_need``, ``by_phase`` or
    ``by_kind``; ``group`` is ``all`` in the overall section and the rank
    (1, 2, ...) in the rank section. Undefined values are empty cells.

    Returns
    -------
    str
    """
    return _csv(result, _SECTIONS, path)


def to_frame(
    result: SimulationResult, by: str | None = None, *, per_run: bool = False
) -> pd.DataFrame:
    """A long pandas DataFrame of the summary, or of the per-run values.

    Returns
    -------
    pandas.DataFrame
    """
    import pandas as pd

    s = result.summary(by)
    if per_run:
        if by is None:
            data = result.values[:, :, None, :]
        elif by == "rank":
            data = result.rank_profile[:, :, :, None]
        else:
            data = result.groups[by]
        r, k, g, m = data.shape
        idx = np.indices((r, k, g, m)).reshape(4, -1)
        frame = pd.DataFrame(
            {
                "run": idx[0],
                "mechanism": np.asarray(s.mechanisms, dtype=object)[idx[1]],
                "group": np.asarray(s.groups, dtype=object)[idx[2]],
                "metric": np.asarray(s.metrics, dtype=object)[idx[3]],
                "value": data.reshape(-1),
            }
        )
    else:
        k, g, m = s.mean.shape
        idx = np.indices((k, g, m)).reshape(3, -1)
        frame = pd.DataFrame(
            {
                "mechanism": np.asarray(s.mechanisms, dtype=object)[idx[0]],
                "group": np.asarray(s.groups, dtype=object)[idx[1]],
                "metric": np.asarray(s.metrics, dtype=object)[idx[2]],
                "mean": s.mean.reshape(-1),
                "ci_low": s.ci_low.reshape(-1),
                "ci_high": s.ci_high.reshape(-1),
                "se": s.se.reshape(-1),
            }
        )
    if by is None:
        frame = frame.drop(columns="group")
    return frame


# --------------------------------------------------------------------------- text
def _cell(s: Summary, i: int, k: int, kind: str) -> str:
    mean, lo, hi = (float(a[i, 0, k]) for a in (s.mean, s.ci_low, s.ci_high))
    if math.isnan(mean):
        return "-"
    if kind == "pct":
        d = 1 if hi < 0.1 else 0  # small shares keep a decimal in their range
        return f"{100 * mean:.1f} ({100 * lo:.{d}f}-{100 * hi:.{d}f})"
    if kind == "gbp":
        return f"{mean / 1000:.1f} ({lo / 1000:.0f}-{hi / 1000:.0f})"
    return f"{mean:.2f} ({lo:.1f}-{hi:.1f})"


def _grid(rows: list[list[str]]) -> list[str]:
    """Rows as aligned columns (first left, others right), a rule under the head."""
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    lines = []
    for r in rows:
        first = r[0].ljust(widths[0])
        rest = "  ".join(c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True))
        lines.append(f"{first}  {rest}".rstrip())
    lines.insert(1, "-" * len(lines[0]))
    return lines


def table(result: SimulationResult) -> str:
    """A text table: one row per metric, one column per mechanism.

    Cells are ``mean (2.5%-97.5%)`` over runs.

    Returns
    -------
    str
    """
    s = result.summary()
    head = ["", *(_SHORT.get(m, m) for m in s.mechanisms)]
    body = [
        [
            label,
            *(
                _cell(s, i, s.metrics.index(met), kind)
                for i in range(len(s.mechanisms))
            ),
        ]
        for met, label, kind in _ROWS
        if met in s.metrics
    ]
    lines = _grid([head, *body])
    ch = s.get(s.mechanisms[0], "children")
    lines.append(
        f"{result.runs} simulated rounds of {ch['mean']:.0f} children on average; "
        "mean (95% range over rounds)."
    )
    return "\n".join(lines)


def _pct(s: Summary, mech: str, metric: str, interval: bool = True) -> str:
    c = s.get(mech, metric)
    if math.isnan(c["mean"]):
        return "n/a"
    if not interval:
        return f"{100 * c['mean']:.0f}%"
    return f"{100 * c['mean']:.0f}% ({100 * c['ci_low']:.0f}-{100 * c['ci_high']:.0f}%)"


def headline(result: SimulationResult) -> str:
    """One paragraph in plain English: the proposal's outcome, then the others.

    Returns
    -------
    str
    """
    s = result.summary()
    main = "first_available" if "first_available" in s.mechanisms else s.mechanisms[0]
    fb = s.get(main, "placed_by_fallback")["mean"]
    text = (
        f"Under {result.scenario}, {_label(main)} gives "
        f"{_pct(s, main, 'first_preference')} of children their first preference, "
        f"{_pct(s, main, 'any_preference')} a setting their parent ranked and "
        f"{_pct(s, main, 'placed_on_list')} a place on their tailored list"
    )
    if fb > 0:
        fbs = f"{100 * fb:.1f}" if fb < 0.01 else f"{100 * fb:.0f}"
        text += f" ({fbs}% through the LA's fallback)"
    text += f"; {_pct(s, main, 'unplaced')} are left without a listed place."
    others = [m for m in s.mechanisms if m != main]
    parts = []
    for m in others:
        if m == "max_placement":
            parts.append(
                f"{_label(m)} places {_pct(s, m, 'any_preference', False)} at a "
                "ranked setting"
            )
        else:
            parts.append(
                f"{_label(m)} gives {_pct(s, m, 'first_preference', False)} their "
                f"first preference and {_pct(s, m, 'any_preference', False)} a "
                "ranked setting"
            )
    if parts:
        text += " For comparison, " + "; ".join(parts) + "."
    text += (
        f" Figures are means over {result.runs} simulated rounds, with the range "
        "that holds 95% of rounds in brackets."
    )
    return text


# --------------------------------------------------------------------------- plots
def plot(
    result: SimulationResult, path: str | os.PathLike[str] | None = None
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
    ax1.set_ylabel("% of children (95% range over rounds)")
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
