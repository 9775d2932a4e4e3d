"""Smoke test of benchmarks/cold_start_in_year.py (timings are not asserted)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture
def cold_start(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.syspath_prepend(str(BENCH))
    import cold_start_in_year  # type: ignore[import-not-found]

    yield cold_start_in_year
    sys.modules.pop("cold_start_in_year", None)


def test_child_measures_first_and_second_call(
    cold_start: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # In this process (kernel already compiled or cached): the numbers exist.
    assert cold_start.main(["--child", "kernel", "new"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert set(got) == {"first_call", "first_cpu", "second_call"}
    assert all(v >= 0 for v in got.values())


def test_table_gives_ratios_and_the_target(cold_start: Any) -> None:
    kernel = {"cold_cpu_s": 1.0, "warm_cpu_s": 0.5}
    rows = [
        {
            "what": "event kernel, first call (old kernel)",
            "cold_s": 40.0,
            "warm_s": 1.0,
            "overhead_s": 39.0,
            **kernel,
            "overhead_cpu_s": 30.0,
        },
        {
            "what": "event kernel, first call (new kernel)",
            "cold_s": 5.0,
            "warm_s": 1.0,
            "overhead_s": 3.9,
            **kernel,
            "overhead_cpu_s": 3.0,
        },
        {"what": "county year, after warm-up (old kernel)", "year_s": 2, "kernel_s": 1},
        {"what": "county year, after warm-up (new kernel)", "year_s": 3, "kernel_s": 1},
        {
            "what": "`sendalloc run county --mode in_year` (this tree)",
            "cold_s": 20.0,
            "warm_s": 14.0,
            "overhead_s": 6.0,
        },
    ]
    text = cold_start.format_rows(rows)
    assert "ratio new/old, compile overhead: 0.10" in text
    assert "ratio new/old, compile overhead (CPU): 0.10" in text
    assert "ratio new/old, year time: 1.50" in text
    assert "compile overhead 6.0 s: misses the 5 s target" in text
