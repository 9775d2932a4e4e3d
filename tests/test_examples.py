"""Each example script runs end to end with a few runs (SENDALLOC_EXAMPLE_RUNS).

Each runs in an empty directory, which must hold afterwards only the files it
was told to write: an example never leaves output in the user's directory.
(hypothesis keeps its own cache, ``.hypothesis/``, wherever it runs; that is
hypothesis's habit, known to its users, and is not counted.)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.mark.parametrize(
    ("script", "args", "expect", "writes"),
    [
        (
            "compare_mechanisms.py",
            ["london_borough"],
            "First preference by primary need",
            [],
        ),
        ("capacity_for_90_percent.py", ["london_borough"], "max-flow bound", []),
        ("list_length_sensitivity.py", ["london_borough"], "list length", []),
        ("sweep_capacity.py", ["london_borough"], "First-available, lists", []),
        (
            "sweep_capacity.py",
            ["london_borough", "--plot", "sweep.png"],
            "wrote sweep.png",
            ["sweep.png"],
        ),
        # Hypothesis finds, shrinks and prints a parent who gains by misreporting.
        (
            "property_test_custom_rule.py",
            [],
            "found one (minimal after shrinking):\n   not strategy-proof: child",
            [],
        ),
    ],
)
def test_example_runs(
    script: str, args: list[str], expect: str, writes: list[str], tmp_path: Path
) -> None:
    env = {**os.environ, "SENDALLOC_EXAMPLE_RUNS": "3", "MPLBACKEND": "Agg"}
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert expect in proc.stdout
    left = sorted(p.name for p in tmp_path.iterdir() if p.name != ".hypothesis")
    assert left == writes
