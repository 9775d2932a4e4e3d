"""A read-only install: numba cannot cache beside the package or in ~/.cache.

The package is copied to a temporary directory and run from there with every
place numba would cache in made unusable: a *file* named ``__pycache__`` in each
package directory and a cache home under a file. (Permissions alone would not
do: the suite may run as root, who can write anywhere.) Before the fallback
every kernel call raised ``RuntimeError: cannot cache function ...: no locator
available``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import sendalloc

PACKAGE = Path(sendalloc.__file__).resolve().parent
RUN = [
    "-m",
    "sendalloc",
    "run",
    "london_borough",
    "--runs",
    "2",
    "--workers",
    "1",
    "--no-progress",
    "-m",
    "first_available",
]


def _readonly_copy(tmp_path: Path) -> dict[str, str]:
    """Copy the package with no writable cache place; return the environment."""
    site = tmp_path / "site"
    shutil.copytree(
        PACKAGE, site / "sendalloc", ignore=shutil.ignore_patterns("__pycache__")
    )
    for pkg in [site / "sendalloc", *(site / "sendalloc").rglob("*")]:
        if pkg.is_dir():
            (pkg / "__pycache__").write_text("not a directory")
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, so nothing can be created below it")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("NUMBA_", "PYTHON", "XDG_"))
    }
    env.update(
        PYTHONPATH=str(site),
        PYTHONDONTWRITEBYTECODE="1",
        HOME=str(blocker / "home"),
        XDG_CACHE_HOME=str(blocker / "cache"),
        TMPDIR=str(tmp_path / "tmp"),
    )
    (tmp_path / "tmp").mkdir()
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_copy_is_imported_from_the_readonly_place(tmp_path: Path) -> None:
    env = _readonly_copy(tmp_path)
    done = _run(["-c", "import sendalloc; print(sendalloc.__file__)"], env)
    assert done.stdout.strip() == str(tmp_path / "site" / "sendalloc" / "__init__.py")


def test_readonly_install_caches_in_a_private_temporary_directory(
    tmp_path: Path,
) -> None:
    env = _readonly_copy(tmp_path)
    done = _run(RUN, env)
    assert done.returncode == 0, done.stderr
    assert "Under london_borough" in done.stdout
    notes = [line for line in done.stderr.splitlines() if "numba" in line]
    assert len(notes) == 1, done.stderr
    uid = os.getuid() if hasattr(os, "getuid") else 0
    cache = tmp_path / "tmp" / f"sendalloc-numba-cache-{uid}"
    assert str(cache) in notes[0]
    assert any(cache.rglob("*.nbi")), "nothing was cached in the fallback directory"
    if hasattr(os, "getuid"):
        assert cache.stat().st_mode & 0o077 == 0  # private to the user
    # A second process finds the kernels there and says so again, once.
    again = _run(RUN, env)
    assert again.returncode == 0, again.stderr
    assert again.stdout == done.stdout
    assert len([ln for ln in again.stderr.splitlines() if "numba" in ln]) == 1


def test_readonly_install_without_any_writable_directory_runs_uncached(
    tmp_path: Path,
) -> None:
    env = _readonly_copy(tmp_path)
    code = (
        "import sys, tempfile; tempfile.tempdir = sys.argv[1]; "
        "from sendalloc.cli import main; sys.exit(main(sys.argv[2:]))"
    )
    done = _run(["-c", code, str(tmp_path / "blocker" / "tmp"), *RUN[2:]], env)
    assert done.returncode == 0, done.stderr
    assert "Under london_borough" in done.stdout
    notes = [line for line in done.stderr.splitlines() if "numba" in line]
    assert len(notes) == 1, done.stderr
    assert "compiled again in every process" in notes[0]


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX ownership")
def test_a_shared_fallback_directory_is_refused(tmp_path: Path) -> None:
    """A fallback directory others can write (planted in a shared /tmp) is not used.

    numba's cache holds pickled code, so loading from such a directory would run
    whatever someone else put there.
    """
    env = _readonly_copy(tmp_path)
    planted = tmp_path / "tmp" / f"sendalloc-numba-cache-{os.getuid()}"
    planted.mkdir()
    planted.chmod(0o777)
    done = _run(RUN, env)
    assert done.returncode == 0, done.stderr
    assert "compiled again in every process" in done.stderr
    assert not any(planted.iterdir())
