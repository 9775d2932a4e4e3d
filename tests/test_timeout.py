"""Every test runs under a timeout; a hang, even inside a compiled kernel, fails.

The suite's timeout is set in pyproject.toml. Its method is "thread": a timer
thread dumps every stack (which names the test) and ends the run with a failure.
The "signal" method cannot interrupt a numba kernel, which never returns to
the interpreter to handle the signal; the thread method can, because the
kernels release the GIL (``nogil=True``).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_the_suite_runs_under_a_timeout(request: pytest.FixtureRequest) -> None:
    assert float(request.config.getini("timeout")) > 0
    assert request.config.getini("timeout_method") == "thread"


def test_a_kernel_that_loops_forever_fails_naming_its_test(tmp_path: Path) -> None:
    hang = tmp_path / "test_hang.py"
    hang.write_text(
        textwrap.dedent(
            """
            from sendalloc._kernels.jit import kernel

            @kernel
            def spin(n):
                i = 0
                while n > 0:
                    i += 1
                return i

            def test_spins_forever():
                spin(1)
            """
        )
    )
    # The project's own configuration, with a short timeout.
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    cmd += ["-c", str(ROOT / "pyproject.toml"), "--rootdir", str(tmp_path)]
    cmd += ["-o", "timeout=5", str(hang)]
    proc = subprocess.run(
        cmd, capture_output=True, text=True, timeout=300, check=False, cwd=tmp_path
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "Timeout" in out
    assert "in test_spins_forever" in out
