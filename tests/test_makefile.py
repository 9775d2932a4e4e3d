"""The Makefile's targets install what they need (checked with ``make -n``)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _dry_run(target: str, tmp_path: Path) -> str:
    """``make -n TARGET`` in a fresh copy: the commands a new clone would run."""
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    proc = subprocess.run(
        ["make", "-n", target],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return proc.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_demo_installs_only_the_package_and_matplotlib(tmp_path: Path) -> None:
    commands = _dry_run("demo", tmp_path)
    installs = [ln for ln in commands.splitlines() if "pip install" in ln]
    assert installs, commands
    assert all("[dev]" not in ln for ln in installs), commands
    assert any("-e '.[plot]'" in ln for ln in installs), commands
    assert "sendalloc run county" in commands


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_test_target_still_installs_the_dev_extra(tmp_path: Path) -> None:
    commands = _dry_run("test", tmp_path)
    assert "-e '.[dev]'" in commands
    assert "pytest" in commands
