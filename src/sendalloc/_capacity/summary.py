"""The capacity gap over many simulated rounds of a scenario, and its JSON and CSV.

Public names are re-exported by :mod:`sendalloc.capacity`.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from sendalloc._engine.modes import engine_for
from sendalloc._engine.runner import check_runs, check_seed, resolve_scenario
from sendalloc._engine.streams import (
    Root,
    SeedLike,
    run_streams,
    seed_json,
)
from sendalloc.mechanisms.first_available import serial_dictatorship_kernel
from sendalloc.metrics import la_fallback
from sendalloc.population import KINDS, NEEDS

if TYPE_CHECKING:
    from sendalloc.scenario import Scenario
from sendalloc._capacity.flow import capacity_gap

__all__ = ["GapSummary", "gap_summary"]


# --------------------------------------------------------------------------- sampling
def first_instances(scenario: Any, runs: int, seed: Root) -> list[Any]:
    """The instances :func:`sendalloc.simulate` would sample for these runs.

    Each run's (first year's) instance, from the engine of the scenario's mode:
    the same children and places whatever the mode.
    """
    engine = engine_for(scenario)
    return [engine.first_instance(scenario, run) for run in run_streams(seed, 0, runs)]


@dataclass(frozen=True, slots=True)
class GapSummary:
    """The capacity bound over many simulated rounds of a scenario.

    Attributes
    ----------
    scenario : str
    runs : int
    bound : ndarray of float64, shape (runs,)
        Max-flow share of children placeable on their lists, per run.
    gap : ndarray of int64, shape (runs,)
        Children who cannot be placed on their list whatever the rule.
    first_available : ndarray of float64, shape (runs,)
        ``placed_on_list`` under first-available allocation plus the LA
        fallback, for comparison.
    excess_by_need : ndarray of float64, shape (13,)
        Mean children in the bottleneck cut per run, by need.
    bottleneck_places_by_kind : ndarray of float64, shape (7,)
        Mean free places at bottleneck settings per run, by kind.
    bottleneck_frequency : tuple of (str, float)
        Settings that are bottlenecks in the most runs, with the share of runs,
        most frequent first (at most 10).
    seed : int or numpy.random.SeedSequence
        The root of the rounds' streams (as :attr:`SimulationResult.seed
        <sendalloc.SimulationResult>`): passed back as ``seed``, the same rounds.
    """

    scenario: str
    runs: int
    bound: NDArray[np.float64]
    gap: NDArray[np.int64]
    first_available: NDArray[np.float64]
    excess_by_need: NDArray[np.float64]
    bottleneck_places_by_kind: NDArray[np.float64]
    bottleneck_frequency: tuple[tuple[str, float], ...]
    seed: Root = 0

    def text(self) -> str:
        """A readable report, as printed by ``sendalloc gap``.

        Returns
        -------
        str
        """

        def rng(x: NDArray[Any], pct: bool = True) -> str:
            f = 100.0 if pct else 1.0
            lo, hi = np.percentile(x, [2.5, 97.5])
            unit = "%" if pct else ""
            return f"{f * x.mean():.1f}{unit} ({f * lo:.0f}-{f * hi:.0f}{unit})"

        lines = [
            f"Capacity gap under {self.scenario} ({self.runs} simulated rounds; "
            "mean and 95% range over rounds)",
            f"  placeable on their list (max-flow bound): {rng(self.bound)}",
            f"  placed on their list by first-available + fallback: "
            f"{rng(self.first_available)}",
            f"  children no rule can place on their list: {rng(self.gap, False)}",
            "  children competing for bottleneck places, by need:",
        ]
        order = np.argsort(-self.excess_by_need, kind="stable")
        for i in order.tolist():
            if self.excess_by_need[i] > 0:
                lines.append(f"    {NEEDS[i]:<6} {self.excess_by_need[i]:8.1f}")
        lines.append("  free places at bottleneck settings, by kind:")
        for i in np.argsort(-self.bottleneck_places_by_kind, kind="stable").tolist():
            if self.bottleneck_places_by_kind[i] > 0:
                lines.append(
                    f"    {KINDS[i]:<24} {self.bottleneck_places_by_kind[i]:8.1f}"
                )
        if self.bottleneck_frequency:
            lines.append("  settings most often in the bottleneck (share of rounds):")
            for sid, f in self.bottleneck_frequency:
                lines.append(f"    {sid:<24} {100 * f:5.0f}%")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The summary as plain JSON data (the ``summary`` of ``sendalloc gap --json``).

        Returns
        -------
        dict
            ``scenario, runs, seed``; ``bound``, ``first_available`` (shares)
            and ``gap`` (children) as ``{"mean", "ci_low", "ci_high"}`` over
            rounds; ``excess_by_need``, ``bottleneck_places_by_kind`` (means
            by label) and ``bottleneck_frequency`` (setting id -> share of
            rounds).
        """

        def stats(x: NDArray[Any]) -> dict[str, float]:
            lo, hi = np.percentile(np.asarray(x, dtype=np.float64), [2.5, 97.5])
            return {
                "mean": float(np.mean(x)),
                "ci_low": float(lo),
                "ci_high": float(hi),
            }

        return {
            "scenario": self.scenario,
            "runs": self.runs,
            "seed": seed_json(self.seed),
            "bound": stats(self.bound),
            "first_available": stats(self.first_available),
            "gap": stats(self.gap),
            "excess_by_need": dict(
                zip(NEEDS, self.excess_by_need.tolist(), strict=True)
            ),
            "bottleneck_places_by_kind": dict(
                zip(KINDS, self.bottleneck_places_by_kind.tolist(), strict=True)
            ),
            "bottleneck_frequency": dict(self.bottleneck_frequency),
        }


def gap_summary(
    scenario: Scenario | str | os.PathLike[str],
    *,
    runs: int = 100,
    seed: SeedLike = 0,
) -> GapSummary:
    """Capacity bound and bottlenecks over ``runs`` simulated rounds.

    The rounds are the first ``runs`` that :func:`sendalloc.simulate` samples
    with the same ``seed`` (common random numbers).

    Parameters
    ----------
    scenario : Scenario, str or path
    runs : int, default 100
    seed : int, SeedSequence, Generator or None, default 0
        As for :func:`sendalloc.simulate`; the summary's ``seed`` records the
        root used.

    Returns
    -------
    GapSummary
    """
    runs, root = check_runs(runs), check_seed(seed)
    scen = resolve_scenario(scenario)
    insts = first_instances(scen, runs, root)
    bound = np.empty(runs)
    gap = np.empty(runs, dtype=np.int64)
    fa = np.empty(runs)
    need = np.zeros(len(NEEDS))
    kind = np.zeros(len(KINDS))
    freq: Counter[str] = Counter()
    for r, inst in enumerate(insts):
        g = capacity_gap(inst)
        bound[r] = g.bound
        gap[r] = g.gap
        need += g.excess_by_need
        kind += g.bottleneck_places_by_kind
        freq.update(g.bottleneck_ids)
        p = inst.problem
        a = serial_dictatorship_kernel(p.capacity, p.preferences, p.order)
        final = la_fallback(inst, a) if inst.fallback else a
        fa[r] = _share_on_list(inst, final)
    top = sorted(freq.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    return GapSummary(
        scenario=str(getattr(scen, "name", "scenario")),
        runs=runs,
        bound=bound,
        gap=gap,
        first_available=fa,
        excess_by_need=need / runs,
        bottleneck_places_by_kind=kind / runs,
        bottleneck_frequency=tuple((k, v / runs) for k, v in top),
        seed=root,
    )


def _share_on_list(inst: Any, final: NDArray[Any]) -> float:
    lists = np.asarray(inst.lists)
    n = int(lists.shape[0])
    if n == 0:
        return math.nan
    hit = ((lists == final[:, None]) & (final[:, None] >= 0)).any(axis=1)
    return float(hit.sum()) / n
