"""Imports run one way: no private name crosses a module, no import hides in a function.

Two rules over every module of ``src/sendalloc``, read with :mod:`ast`:

1. No module imports another module's ``_private`` name (``from m import _x``,
   or ``m._x`` on an imported sendalloc module). Shared helpers get public
   names inside an internal module (such as ``sendalloc._engine``) instead.
2. No sendalloc import inside a function: a module's dependencies are all at its
   top, where a reader (and this test) sees them. The command line (``cli.py``,
   ``__main__.py`` and the ``_cli`` package) is excepted: it imports lazily to
   start fast. Optional
   extras (matplotlib, pandas, dask, pyarrow, tqdm, SALib) are not sendalloc
   imports and may be imported where they are needed.

Run it as a script to list the offences: ``python tests/test_import_rules.py``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC / "sendalloc"
#: Modules allowed to import sendalloc inside functions (start-up-time laziness).
LAZY_OK = {"sendalloc.cli", "sendalloc.__main__"}
#: Packages all of whose modules are allowed the same.
LAZY_OK_PACKAGES = ("sendalloc._cli",)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    """The absolute module an ``ImportFrom`` names."""
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _is_module(name: str) -> bool:
    """Whether a dotted sendalloc name is a module (or package) of the source tree."""
    path = SRC.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _lazy_ok(module: str) -> bool:
    return module in LAZY_OK or any(
        module == p or module.startswith(p + ".") for p in LAZY_OK_PACKAGES
    )


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _scoped(tree: ast.Module) -> Iterator[tuple[ast.AST, bool]]:
    """Every node with whether it sits inside a function."""
    stack: list[tuple[ast.AST, bool]] = [(tree, False)]
    while stack:
        node, in_func = stack.pop()
        yield node, in_func
        inner = in_func or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        stack.extend((child, inner) for child in ast.iter_child_nodes(node))


def offences() -> list[str]:
    """Every breach of the two rules, as ``path:line: message``."""
    out: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        where = path.relative_to(SRC.parent)
        aliases: set[str] = set()  # local names bound to sendalloc modules
        for node, in_func in _scoped(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.split(".")[0] != "sendalloc":
                        continue
                    aliases.add(a.asname or a.name.split(".")[0])
                    if in_func and not _lazy_ok(module):
                        out.append(
                            f"{where}:{node.lineno}: imports {a.name} in a function"
                        )
            elif isinstance(node, ast.ImportFrom):
                target = _resolve(module, node, path.name == "__init__.py")
                if target.split(".")[0] != "sendalloc":
                    continue
                for a in node.names:
                    if _private(a.name):
                        out.append(
                            f"{where}:{node.lineno}: imports private name "
                            f"{a.name} from {target}"
                        )
                    if _is_module(f"{target}.{a.name}"):
                        aliases.add(a.asname or a.name)
                if in_func and not _lazy_ok(module):
                    out.append(f"{where}:{node.lineno}: imports {target} in a function")
        for node, _ in _scoped(tree):
            if (
                isinstance(node, ast.Attribute)
                and _private(node.attr)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
            ):
                out.append(
                    f"{where}:{node.lineno}: reads private name "
                    f"{node.value.id}.{node.attr}"
                )
    return out


def test_no_private_imports_and_no_imports_in_functions() -> None:
    found = offences()
    assert not found, "import rule broken:\n" + "\n".join(found)


def test_import_loads_neither_numba_nor_scipy_stats() -> None:
    """``import sendalloc`` stays cheap: numba and scipy.stats load on first use.

    scipy.stats alone takes about a second to import (``benchmarks/import_time.py``
    has the < 0.3 s row); a module-level ``from scipy import stats`` fails this.
    """
    code = (
        "import sys, sendalloc\n"
        "print(sorted(m for m in ('numba', 'scipy.stats', 'scipy.special')"
        " if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


if __name__ == "__main__":
    found = offences()
    print("\n".join(found) if found else "import rules hold: no offences")
    sys.exit(1 if found else 0)
