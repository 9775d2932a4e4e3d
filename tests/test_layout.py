"""The package stays in modules a reader can take in: none over 800 lines.

Issue 12 sets the limit ("no module of the package is over ~800 lines"). A
module that grows past it is split along its seams into a private package
named after it (``sendalloc/_capacity/`` for ``sendalloc.capacity``, whose
public names the original module re-exports), not granted an exception.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "sendalloc"
#: The most lines a module of the package may have.
MAX_LINES = 800


def long_modules(root: Path = PACKAGE, limit: int = MAX_LINES) -> list[str]:
    """Every ``.py`` file under ``root`` over ``limit`` lines, with its length."""
    out = []
    for path in sorted(root.rglob("*.py")):
        with path.open(encoding="utf-8") as f:
            n = sum(1 for _ in f)
        if n > limit:
            out.append(f"{path.relative_to(root.parent)}: {n} lines")
    return out


def test_no_module_over_the_limit() -> None:
    found = long_modules()
    assert not found, f"modules over {MAX_LINES} lines (split them):\n" + "\n".join(
        found
    )


def test_the_check_sees_a_long_module(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "short.py").write_text("x = 1\n" * MAX_LINES, encoding="utf-8")
    (pkg / "sub" / "long.py").write_text("x = 1\n" * (MAX_LINES + 1), encoding="utf-8")
    assert long_modules(pkg) == [f"pkg/sub/long.py: {MAX_LINES + 1} lines"]
