"""What a user installs and reads: dependencies, metadata, the docs it points to."""

from __future__ import annotations

import ast
import os
import re
import subprocess
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


# --- The documentation: where the package, the command and the metadata point ---

DOCS = ROOT / "docs"
MKDOCS = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
# Written at build time by tools/docs/gallery.py and tools/docs/tutorial.py.
GENERATED_PAGES = {"gallery.md", "tutorial.md"}


def _yaml_value(text: str, key: str) -> str:
    match = re.search(rf"^{re.escape(key)}:\s*\"?([^\"\s]+)\"?\s*$", text, re.MULTILINE)
    assert match, f"no top-level {key!r}"
    return match[1]


def _nav_pages() -> set[str]:
    nav = MKDOCS.split("\nnav:\n", 1)[1]
    nav = re.split(r"\n(?=\S)", nav, maxsplit=1)[0]  # up to the next top-level key
    return set(re.findall(r"([\w/.-]+\.md)\s*$", nav, re.MULTILINE))


def _public_modules() -> list[str]:
    import pkgutil

    import sendalloc

    return ["sendalloc"] + [
        m.name
        for m in pkgutil.walk_packages(sendalloc.__path__, "sendalloc.")
        if not any(part.startswith("_") for part in m.name.split("."))
    ]


def _help(*command: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "sendalloc", *command, "--help"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "80"},
        check=True,
        timeout=60,
    )
    return proc.stdout


def test_every_page_is_in_the_nav_and_every_nav_entry_exists() -> None:
    on_disk = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    nav = _nav_pages()
    assert on_disk - nav == set(), "pages missing from mkdocs.yml's nav"
    assert nav - on_disk == GENERATED_PAGES


def test_every_public_module_has_an_api_page() -> None:
    directives = {
        page.relative_to(DOCS).as_posix(): re.findall(
            r"^::: ([\w.]+)", page.read_text(encoding="utf-8"), re.MULTILINE
        )
        for page in (DOCS / "api").glob("*.md")
    }
    documented = {name for names in directives.values() for name in names}
    # The package itself is the API index: it re-exports, it defines nothing.
    # A module inside a documented package (sendalloc.scenario.sections, say) is
    # documented by its package's page, which renders every name the package
    # re-exports; whatever else such a module names is internal to the package.
    covered = {
        m
        for m in _public_modules()
        if m.rpartition(".")[0] in documented - {"sendalloc"}
    }
    missing = set(_public_modules()) - documented - covered - {"sendalloc"}
    assert missing == set(), f"public modules without an API page: {missing}"
    internal = {n for n in documented if any(p.startswith("_") for p in n.split("."))}
    assert internal == set(), f"internal modules documented: {internal}"
    index = (DOCS / "api" / "index.md").read_text(encoding="utf-8")
    for page, names in directives.items():
        if names:
            assert f"]({page.removeprefix('api/')})" in index, f"{page} not indexed"


def test_help_points_at_documentation_pages_not_source_files() -> None:
    from sendalloc.cli import DOCS_URL

    commands = ("", "run", "gap", "sweep", "scenarios", "report")
    texts = {c: _help(*c.split()) for c in commands}
    assert DOCS_URL in texts[""]
    nav = _nav_pages()
    for command, text in texts.items():
        assert not re.search(r"\bdocs/[\w-]+\.md", text), command
        for url in re.findall(r"https?://\S+", text):
            assert url.startswith(DOCS_URL), url
            page = url.removeprefix(DOCS_URL).strip("/") or "index"
            assert f"{page}.md" in nav, f"`sendalloc {command} --help`: {url}"


def test_project_urls_agree() -> None:
    from sendalloc.cli import DOCS_URL

    urls = PYPROJECT["project"]["urls"]
    citation = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert urls["Documentation"] == DOCS_URL == _yaml_value(MKDOCS, "site_url")
    assert _yaml_value(citation, "url") == DOCS_URL
    repo = urls["Repository"]
    assert urls["Homepage"] == repo == _yaml_value(MKDOCS, "repo_url")
    assert _yaml_value(citation, "repository-code") == repo
    assert urls["Issues"] == f"{repo}/issues"
    assert urls["Changelog"] == f"{DOCS_URL}changelog/"
    assert "changelog.md" in _nav_pages()
    # Every link to the project's own pages, wherever written, uses these two.
    for path in [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *DOCS.rglob("*.md")]:
        text = path.read_text(encoding="utf-8")
        for url in re.findall(r"https?://[^\s)>\"'`]*sendalloc[^\s)>\"'`]*", text):
            assert url.startswith((repo, DOCS_URL)), f"{path.name}: {url}"


def test_version_agrees_in_citation_and_changelog() -> None:
    import sendalloc

    version = PYPROJECT["project"]["version"]
    assert sendalloc.__version__ == version
    citation = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert _yaml_value(citation, "version") == version
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "\n## [Unreleased]\n" in changelog
    released = re.search(rf"^## \[{re.escape(version)}\] - (\S+)$", changelog, re.M)
    assert released, f"CHANGELOG.md has no section for {version}"
    assert _yaml_value(citation, "date-released") == released[1]
