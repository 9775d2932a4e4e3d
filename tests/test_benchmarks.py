"""Smoke test of the benchmark suite at a tiny size (timings are not asserted)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture
def bench_run(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.syspath_prepend(str(BENCH))
    import run  # type: ignore[import-not-found]

    yield run
    sys.modules.pop("run", None)
    sys.modules.pop("instances", None)


def test_benchmark_suite_runs_at_tiny_size(bench_run, capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "rows.json"
    assert (
        bench_run.main(
            ["--sizes", "300", "--runs", "0", "--repeat", "1", "--json", str(out)]
        )
        == 0
    )
    table = capsys.readouterr().out
    assert "| 300 | deferred_acceptance |" in table
    assert "plain-Python DA (baseline)" in table
    import json

    rows = json.loads(out.read_text())
    base = next(r for r in rows if r["what"] == "plain-Python DA (baseline)")
    assert base["identical"] is True
    placed = {r["what"]: r["placed"] for r in rows if "placed" in r}
    assert placed["max_placement"] >= placed["first_available"]


def test_instances_are_seeded_and_shaped() -> None:
    sys.path.insert(0, str(BENCH))
    try:
        from instances import make_instance  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(BENCH))
    a, b = make_instance(2000, seed=3), make_instance(2000, seed=3)
    assert a.preferences.shape == (2000, 10)
    assert (a.preferences == b.preferences).all()
    assert a.capacity.shape == (20,)
    assert 0.8 * 2000 <= a.capacity.sum() <= 0.9 * 2000
    rows = a.preferences
    # padding only at the end of a row, no setting twice in a row
    valid = rows >= 0
    assert not (~valid[:, :-1] & valid[:, 1:]).any()
    for r in rows[:200]:
        r = r[r >= 0]
        assert len(set(r.tolist())) == len(r)
