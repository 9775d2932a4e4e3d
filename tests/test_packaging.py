"""What a user installs and reads: dependencies, metadata, the docs it points to."""

from __future__ import annotations

import ast
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "sendalloc"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

RUNTIME = {"numpy", "scipy", "numba"}
# Optional extras, imported only inside the functions that need them.
EXTRAS = {
    "matplotlib",
    "pandas",
    "dask",
    "distributed",
    "pyarrow",
    "hypothesis",
    "tqdm",
    "SALib",
}


def _requirement_name(req: str) -> str:
    for sep in "<>=!~[; ":
        req = req.split(sep, 1)[0]
    return req


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_runtime_dependencies_are_numpy_scipy_numba() -> None:
    deps = {_requirement_name(r) for r in PYPROJECT["project"]["dependencies"]}
    assert deps == RUNTIME


def test_package_imports_only_its_dependencies() -> None:
    allowed = RUNTIME | EXTRAS | set(sys.stdlib_module_names) | {"sendalloc"}
    offending = {
        str(path.relative_to(ROOT)): sorted(_imported_packages(path) - allowed)
        for path in sorted(SRC.rglob("*.py"))
    }
    offending = {path: names for path, names in offending.items() if names}
    assert offending == {}, f"imports outside the declared dependencies: {offending}"
