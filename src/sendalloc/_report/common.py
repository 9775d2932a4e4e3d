"""What every renderer shares: the protocol it reads, labels, cells and grids."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from sendalloc._engine.stats import Summary
from sendalloc._engine.streams import Root

__all__ = [
    "MECHANISM_LABELS",
    "METRIC_KINDS",
    "PERCENT_METRICS",
    "PROJECTION_ROWS",
    "ROWS",
    "SHORT_LABELS",
    "TIME_ROWS",
    "Reportable",
    "cell",
    "grid",
    "label",
    "main_index",
    "pct",
    "sections",
]


class Reportable(Protocol):
    """What a renderer reads from a result (a :class:`~sendalloc.SimulationResult`).

    ``mode`` is ``"annual"``, ``"in_year"`` or ``"multi_year"``; ``groups``
    holds the per-run breakdowns by name, each summarised by ``summary(by)``;
    ``uncertainty`` says what each run drew besides its children, and
    ``interval`` names what the 95% ranges are over.
    """

    @property
    def scenario(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def runs(self) -> int: ...
    @property
    def seed(self) -> Root: ...
    @property
    def mechanisms(self) -> tuple[str, ...]: ...
    @property
    def mode(self) -> str: ...
    @property
    def years(self) -> int: ...
    @property
    def uncertainty(self) -> str: ...
    @property
    def interval(self) -> str: ...
    @property
    def values(self) -> NDArray[np.float64]: ...
    @property
    def rank_profile(self) -> NDArray[np.float64]: ...
    @property
    def groups(self) -> Mapping[str, NDArray[np.float64]]: ...
    def summary(self, by: str | None = None) -> Summary: ...


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
    "status_quo": "today's statutory process",
}

#: How each built-in mechanism heads a table column.
SHORT_LABELS: dict[str, str] = {
    "first_available": "first avail.",
    "random_serial_dictatorship": "RSD",
    "boston": "Boston",
    "adaptive_boston": "adapt. Boston",
    "deferred_acceptance": "DA",
    "setting_proposing_deferred_acceptance": "setting DA",
    "top_trading_cycles": "TTC",
    "max_placement": "max placement",
    "status_quo": "status quo",
}

# (metric, row label, kind): "pct" shown as a percentage, "num" plain, "int" a
# whole number, "gbp" £k.
#: Rows of the annual text table.
ROWS: tuple[tuple[str, str, str], ...] = (
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
    # Process metrics: in the table only when status_quo ran (PROCESS_METRICS).
    ("favourite_on_day", "favourite, plan final %", "pct"),
    ("favourite", "favourite after appeals %", "pct"),
    ("unplaced_on_day", "no place, plan final %", "pct"),
    ("request_refused", "request refused %", "pct"),
    ("named_over_capacity", "named over capacity %", "pct"),
    ("appealed", "appealed %", "pct"),
    ("appeal_won", "appeal won %", "pct"),
    ("special_at_or_over_capacity", "special schools full %", "pct"),
    ("special_places_over", "special places over %", "pct"),
)
#: Rows of the in-year text table.
TIME_ROWS: tuple[tuple[str, str, str], ...] = (
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
#: Extra rows of a multi-year projection.
PROJECTION_ROWS: tuple[tuple[str, str, str], ...] = (
    ("carried_over", "carried over from last year %", "pct"),
    ("mean_days_waiting_in_year", "days without a place this year (mean)", "num"),
)
#: How each tabulated metric is shown: "pct", "num", "int" or "gbp".
METRIC_KINDS: dict[str, str] = {
    met: kind for met, _, kind in (*ROWS, *TIME_ROWS, *PROJECTION_ROWS)
}


#: Every metric (and breakdown column) that is a share of children or places,
#: shown as a percentage wherever it is shown.
PERCENT_METRICS: frozenset[str] = frozenset(
    {met for met, kind in METRIC_KINDS.items() if kind == "pct"}
    | {"fill_rate", "placed_on_arrival", "share"}
)


def label(mech: str) -> str:
    """A mechanism's name in prose."""
    return MECHANISM_LABELS.get(mech, mech)


def sections(result: Reportable) -> tuple[tuple[str, str | None], ...]:
    """The summaries a result's JSON and CSV hold: (section, ``by``) pairs."""
    return (
        ("overall", None),
        ("rank", "rank"),
        *((f"by_{g}", g) for g in result.groups),
    )


def main_index(s: Summary) -> int:
    """The proposal's column: ``first_available`` if present, else the first."""
    return (
        s.mechanisms.index("first_available")
        if "first_available" in s.mechanisms
        else 0
    )


def cell(s: Summary, i: int, k: int, kind: str) -> str:
    """An overall cell, ``mean (2.5%-97.5%)``, formatted by ``kind``."""
    mean, lo, hi = (float(a[i, 0, k]) for a in (s.mean, s.ci_low, s.ci_high))
    if math.isnan(mean):
        return "-"
    if kind == "pct":
        d = 1 if hi < 0.1 else 0  # small shares keep a decimal in their range
        return f"{100 * mean:.1f} ({100 * lo:.{d}f}-{100 * hi:.{d}f})"
    if kind == "gbp":
        return f"{mean / 1000:.1f} ({lo / 1000:.0f}-{hi / 1000:.0f})"
    return f"{mean:.2f} ({lo:.1f}-{hi:.1f})"


def grid(rows: list[list[str]]) -> list[str]:
    """Rows as aligned columns (first left, others right), a rule under the head."""
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    lines = []
    for r in rows:
        first = r[0].ljust(widths[0])
        rest = "  ".join(c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True))
        lines.append(f"{first}  {rest}".rstrip())
    lines.insert(1, "-" * len(lines[0]))
    return lines


def pct(s: Summary, mech: str, metric: str, interval: bool = True) -> str:
    """A share in prose: ``78% (75-81%)``, or ``78%`` without the interval."""
    c = s.get(mech, metric)
    if math.isnan(c["mean"]):
        return "n/a"
    if not interval:
        return f"{100 * c['mean']:.0f}%"
    return f"{100 * c['mean']:.0f}% ({100 * c['ci_low']:.0f}-{100 * c['ci_high']:.0f}%)"
