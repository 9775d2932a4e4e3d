"""Smoke test of benchmarks/compile_table.py (timings are not asserted)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture
def table() -> Iterator[Any]:
    sys.path.insert(0, str(BENCH))
    try:
        import compile_table  # type: ignore[import-not-found]

        yield compile_table
    finally:
        sys.path.remove(str(BENCH))
        sys.modules.pop("compile_table", None)


def test_argument_types_are_written_as_signatures(table: Any) -> None:
    got = table._types(
        "(Array(int32, 2, 'C', True, aligned=True), "
        "Array(int64, 1, 'A', False, aligned=True), int64)"
    )
    assert got == "(readonly int32[:, ::1], int64[:], int64)"


def test_refuses_a_process_with_numba_loaded(table: Any) -> None:
    pytest.importorskip("numba")
    with pytest.raises(RuntimeError, match="without numba"):
        table.compile_rows()


@pytest.mark.timeout(300)
def test_lists_the_compiles_of_a_cold_run() -> None:
    # A fresh process (and so a fresh, empty numba cache): first_available's
    # kernel and the ranks are compiled, once each.
    proc = subprocess.run(
        [sys.executable, str(BENCH / "compile_table.py"), "--mechanisms",
         "first_available", "--runs", "1", "--scenario", "london_borough"],
        capture_output=True, text=True, check=True, timeout=280,
    )  # fmt: skip
    out = proc.stdout
    assert "cold:" in out
    assert "first_available:serial_dictatorship_kernel" in out
    assert "_kernels.ranks:ranks_kernel  (readonly int32[:, ::1]" in out
    assert out.count("serial_dictatorship_kernel") == 1


@pytest.mark.timeout(300)
def test_a_cold_annual_run_compiles_no_numpy_allocator_and_each_kernel_once() -> None:
    # Kernels make their arrays with sendalloc._kernels.jit.empty/full/zeros,
    # written inline: numba's own np.empty, np.full, np.zeros and np.arange
    # are functions it compiles again for every caller's argument types and
    # compile options (about 15 compiles of a cold annual run before).
    proc = subprocess.run(
        [sys.executable, str(BENCH / "compile_table.py"), "--runs", "1",
         "--top", "1000"],
        capture_output=True, text=True, check=True, timeout=280,
    )  # fmt: skip
    rows = [ln for ln in proc.stdout.splitlines() if ln.startswith("   ")]
    names = [ln.split()[2] for ln in rows]
    assert any("max_placement:max_placement_kernel" in n for n in names)
    allocators = ("np_empty", "np_full", "np_zeros", "np_arange")
    assert not [n for n in names if any(a in n for a in allocators)], proc.stdout
    ours = [n for n in names if not n.startswith(("np:", "numba."))]
    assert len(ours) == len(set(ours)), proc.stdout
