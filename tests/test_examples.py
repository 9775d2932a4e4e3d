"""Each example script runs end to end with a few runs (SENDALLOC_EXAMPLE_RUNS)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.parametrize(
    ("script", "args", "expect"),
    [
        (
            "compare_mechanisms.py",
            ["london_borough"],
            "First preference by primary need",
        ),
        ("capacity_for_90_percent.py", ["london_borough"], "max-flow bound"),
        ("list_length_sensitivity.py", ["london_borough"], "list length"),
        # Hypothesis finds, shrinks and prints a parent who gains by misreporting.
        (
            "property_test_custom_rule.py",
            [],
            "found one (minimal after shrinking):\n   not strategy-proof: child",
        ),
    ],
)
def test_example_runs(script: str, args: list[str], expect: str) -> None:
    env = {**os.environ, "SENDALLOC_EXAMPLE_RUNS": "3", "MPLBACKEND": "Agg"}
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert expect in proc.stdout
