"""The event kernel against its version before the split into helpers (issue 12).

Two checks, over every in-year policy (batch x waiting x wait order x moving
up, 48 combinations) on random years that exercise every event type: carried
children, phase transfers, over-capacity settings, leavers, capacity changes,
many events on one day.

- Live: the old kernel (tests/legacy_events.py, run as plain Python) and the
  compiled new one give the same outcome, trace included.
- Stored: the old kernel, compiled, was run on many more seeds and on sampled
  scenario years before the split; tests/golden/events.json holds a SHA-256 of
  each policy's outcomes. The new kernel must reproduce every digest. Rewrite
  the file only from the old kernel:

      .venv/bin/python tests/test_events.py --write
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import legacy_events
import sendalloc as sa
from sendalloc._engine import year as year_module
from sendalloc._engine.events import YearOutcome
from sendalloc.dynamic import run_year, simulate_instance_year

DIGESTS = Path(__file__).resolve().parent / "golden" / "events.json"

POLICIES: list[dict[str, Any]] = [
    {"batch": b, "waiting": w, "wait_order": o, "moving_up": u}
    for b, w, o, u in itertools.product(
        ("none", "monthly", "termly", "consultation"),
        ("wait", "fallback", "out_of_list"),
        ("first_come", "severity"),
        (False, True),
    )
]


def wasteful(problem: sa.Problem, *, rng: object = None) -> sa.Allocation:
    """A rule that places nobody: every child of a batch leaves it unplaced.

    The built-in rules leave no child unplaced beside a free place they
    ranked; this one does, so that serving the free places after a batch is
    exercised.
    """
    none = np.full(problem.n_children, -1)
    return sa.Allocation.from_assignment(problem, none, mechanism="wasteful")


MECHANISMS: tuple[str | Callable[..., sa.Allocation], ...] = (
    "first_available",
    "random_serial_dictatorship",
    "deferred_acceptance",
    "boston",
    "top_trading_cycles",
    wasteful,
)
STORED_SEEDS = range(40)
LIVE_SEEDS = (0, 3, 5)  # first_available, boston, wasteful


def _name(policy: dict[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in policy.items())


def random_year(seed: int) -> dict[str, Any]:
    """A random year: run_year's arguments, with ties on days and settings."""
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(1, 70)), int(rng.integers(1, 8))
    width = int(rng.integers(1, m + 1))
    prefs = [
        rng.permutation(m)[: rng.integers(0, width + 1)].tolist() for _ in range(n)
    ]
    problem = sa.Problem.from_lists(
        rng.integers(0, 4, m).tolist(), prefs, order=rng.permutation(n).tolist()
    )
    lists = np.full((n, m), -1)
    for i, row in enumerate(prefs):
        rest = [s for s in rng.permutation(m).tolist() if s not in row]
        full = row + rest[: rng.integers(0, len(rest) + 1)]
        lists[i, : len(full)] = full
    # Few days, so events share days; one after the last term's end (held over).
    days = np.append(rng.integers(1, 366, int(rng.integers(1, 30))), 360)
    arrival = rng.choice(days, n)
    arrival[rng.random(n) < 0.15] -= 365 * rng.integers(1, 3)  # carried over
    j, p = int(rng.integers(0, 3 * m + 1)), int(rng.integers(0, 4))
    return {
        "problem": problem,
        "arrival_day": arrival,
        "transfer": rng.random(n) < 0.3,
        "lists": lists,
        "severity": rng.integers(0, 4, n) / 4,  # ties in the severity order
        "free": rng.integers(-2, 4, m),
        "leave_day": rng.choice(days, j),
        "leave_setting": rng.integers(0, m, j),
        "capacity_day": rng.choice(days, p),
        "capacity_setting": rng.integers(0, m, p),
        "capacity_places": rng.integers(1, 3, p),
        "consultation_days": int(rng.choice([1, 15, 40])),
        "mechanism": MECHANISMS[seed % len(MECHANISMS)],
    }


def outcome_bytes(y: YearOutcome) -> bytes:
    """Every array of an outcome, with its dtype and shape."""
    parts = []
    for name in YearOutcome.__dataclass_fields__:
        a = getattr(y, name)
        parts.append(f"{name}:{a.dtype}:{a.shape}:".encode() + a.tobytes())
    return b"|".join(parts)


def scenario_years() -> Iterator[tuple[str, Callable[[], YearOutcome]]]:
    """Sampled scenario years (real sizes, the scenario's leavers) per policy."""
    for preset, seed in (("london_borough", 0), ("london_borough", 1), ("county", 0)):
        base = sa.load_scenario(preset)
        inst = base.sample(seed)
        for k, policy in enumerate(POLICIES[::5]):
            sc = base.with_overrides({f"dynamics.{a}": b for a, b in policy.items()})
            mech = MECHANISMS[k % len(MECHANISMS)]
            run = functools.partial(
                simulate_instance_year, inst, sc, mech, rng=seed, trace=True
            )
            label = getattr(mech, "__name__", mech)
            yield f"{preset}/{seed}/{label}/{_name(policy)}", run


def digests() -> dict[str, str]:
    """SHA-256 of each policy's outcomes on the stored seeds; of each scenario year."""
    out = {}
    for policy in POLICIES:
        h = hashlib.sha256()
        for seed in STORED_SEEDS:
            y = run_year(**random_year(seed), **policy, rng=seed, trace=True)
            h.update(outcome_bytes(y))
        out[_name(policy)] = h.hexdigest()
    for key, run in scenario_years():
        out[key] = hashlib.sha256(outcome_bytes(run())).hexdigest()
    return out


# ------------------------------------------------------------------------ tests
@pytest.fixture
def old_kernel(monkeypatch: pytest.MonkeyPatch) -> Callable[..., YearOutcome]:
    """run_year through the old kernel, run as plain Python."""

    def run(**kw: Any) -> YearOutcome:
        with monkeypatch.context() as mp:
            plain = legacy_events._year_kernel.py_func
            mp.setattr(legacy_events, "_year_kernel", plain)
            mp.setattr(year_module, "run_events", legacy_events.run_events)
            return run_year(**kw)

    return run


@pytest.mark.parametrize("policy", POLICIES, ids=_name)
def test_new_kernel_matches_old_kernel(
    policy: dict[str, Any], old_kernel: Callable[..., YearOutcome]
) -> None:
    for seed in LIVE_SEEDS:
        case = random_year(seed)
        new = run_year(**case, **policy, rng=seed, trace=True)
        old = old_kernel(**case, **policy, rng=seed, trace=True)
        assert outcome_bytes(new) == outcome_bytes(old), f"seed {seed}"


def test_random_years_reach_every_state() -> None:
    # The cases exercise what the kernel can do: every end state, moves,
    # out-of-list placements, consultations left open at the year's end.
    seen: set[int] = set()
    moved = 0
    for seed, policy in zip(STORED_SEEDS, itertools.cycle(POLICIES), strict=False):
        y = run_year(**random_year(seed), **policy, rng=seed)
        seen |= set(y.status.tolist())
        moved += int(y.moves.sum())
    assert seen == {1, 2, 3, 4, 5}
    assert moved > 0


def test_new_kernel_reproduces_stored_outcomes_of_old_kernel() -> None:
    want = json.loads(DIGESTS.read_text())
    got = digests()
    assert got.keys() == want.keys()
    differ = [k for k in want if got[k] != want[k]]
    assert not differ, f"{len(differ)} of {len(want)} differ, first {differ[:3]}"


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python tests/test_events.py --write")
    # The digests are the old kernel's, compiled.
    year_module.run_events = legacy_events.run_events  # type: ignore[assignment]
    DIGESTS.write_text(json.dumps(digests(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {DIGESTS}")
