"""MkDocs hook: the gallery page, drawn from the examples when the site is built.

Every script in ``examples/`` is an entry, found by itself: its docstring is the
text (first line the title), its source and printed output are shown, and if it
takes ``--plot PATH`` it is run with one and every figure it writes is shown.
``COMMANDS`` adds figures that only the command line draws. Nothing is
committed: each build runs the code of that checkout, so a redesigned figure,
a new example or a changed output appears on the next build.

Runs are cached in ``.cache/docs-gallery/`` under a hash of the entry, its
script and every file of ``src/sendalloc``, so ``mkdocs serve`` reruns only what
changed. The examples run ``RUNS`` simulated rounds (they read
``SENDALLOC_EXAMPLE_RUNS``; ``SENDALLOC_EXAMPLE_RUNS=5 make docs`` makes a quick
draft). A failing run fails the build.
"""

from __future__ import annotations

import ast
import hashlib
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError
from mkdocs.plugins import get_plugin_logger
from mkdocs.structure.files import File, Files

__all__ = ["COMMANDS", "Entry", "on_files"]

log = get_plugin_logger("gallery")

PAGE = "gallery.md"
# Simulated rounds per example unless SENDALLOC_EXAMPLE_RUNS says otherwise:
# enough for the figures to show what they show, few enough for CI.
RUNS = "100"
FIGURES = (".png", ".svg", ".jpg")
TIMEOUT = 900  # seconds, per entry


@dataclass(frozen=True)
class Entry:
    """One gallery item: a command, what it is about, and what it shows.

    ``command`` is shown to the reader as written, with ``{plot}`` standing for
    the figure's path; a leading ``python`` or ``sendalloc`` runs in the
    interpreter that builds the site.
    """

    slug: str
    title: str
    text: str
    command: str
    source: str | None = None  # path of a script to show, from the root


COMMANDS = (
    Entry(
        slug="in-year",
        title="One year of in-year allocation",
        text=(
            '`mode = "in_year"` replays the year day by day: plans finalised on '
            "their dates, phase transfers in February and March, leavers freeing "
            "places. The figure follows the children still waiting, idle places "
            "and first preferences at arrival and at the year's end "
            "([In-year and multi-year dynamics](dynamics.md))."
        ),
        command=(
            "sendalloc run county --mode in_year --runs 50 -m first_available "
            "-m deferred_acceptance --no-progress --plot {plot}"
        ),
    ),
    Entry(
        slug="multi-year",
        title="A five-year projection",
        text=(
            '`mode = "multi_year"` runs consecutive years with ageing, joiners, '
            "leavers and capacity plans; children still waiting at a year's end are "
            "carried into the next ([In-year and multi-year dynamics](dynamics.md))."
        ),
        command=(
            "sendalloc run county --mode multi_year --years 5 --runs 30 "
            "-m first_available -m deferred_acceptance --no-progress --plot {plot}"
        ),
    ),
)


def _example(path: Path, root: Path) -> Entry:
    source = path.read_text(encoding="utf-8")
    doc = ast.get_docstring(ast.parse(source)) or path.stem
    title, _, text = doc.partition("\n")
    command = f"python {path.relative_to(root).as_posix()}"
    if '"--plot"' in source:
        command += " --plot {plot}"
    return Entry(
        slug=path.stem.replace("_", "-"),
        title=title.strip().rstrip("."),
        text=text.strip(),
        command=command,
        source=path.relative_to(root).as_posix(),
    )


def entries(root: Path) -> list[Entry]:
    """Every example script, then the command-line figures."""
    scripts = sorted((root / "examples").glob("*.py"))
    return [_example(p, root) for p in scripts] + list(COMMANDS)


def _fingerprint(entry: Entry, root: Path) -> str:
    runs = os.environ.get("SENDALLOC_EXAMPLE_RUNS", RUNS)
    digest = hashlib.sha256(f"{entry!r} {runs}".encode())
    digest.update(sys.version.encode())
    files = sorted((root / "src" / "sendalloc").rglob("*"))
    if entry.source:
        files.append(root / entry.source)
    for path in files:
        if path.is_file() and path.suffix in {".py", ".toml", ".csv", ".json"}:
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _run(entry: Entry, root: Path, cache: Path) -> Path:
    """Run ``entry`` (or find its cached run); the directory holding its outputs."""
    done = cache / entry.slug / _fingerprint(entry, root)
    if (done / "output.txt").exists():
        return done
    work = Path(tempfile.mkdtemp(prefix=f"gallery-{entry.slug}-"))
    try:
        out = work / "out"
        out.mkdir()
        plot = str(out / f"{entry.slug}.png")
        argv = [a.replace("{plot}", plot) for a in shlex.split(entry.command)]
        if argv[0] == "python":
            argv = [sys.executable, str(root / argv[1]), *argv[2:]]
        elif argv[0] == "sendalloc":
            argv = [sys.executable, "-m", "sendalloc", *argv[1:]]
        env = {"SENDALLOC_EXAMPLE_RUNS": RUNS, **os.environ, "MPLBACKEND": "Agg"}
        start = time.perf_counter()
        # An empty working directory: whatever an entry leaves behind stays out
        # of the checkout.
        proc = subprocess.run(
            argv,
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        if proc.returncode != 0:
            raise PluginError(
                f"gallery: {entry.command} exited with status "
                f"{proc.returncode}:\n{proc.stderr[-3000:]}"
            )
        log.info(f"{entry.command}: {time.perf_counter() - start:.0f} s")
        (out / "output.txt").write_text(proc.stdout, encoding="utf-8")
        if done.parent.exists():
            shutil.rmtree(done.parent)  # older runs of this entry
        done.parent.mkdir(parents=True)
        shutil.move(out, done)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return done


def _wrap(command: str, width: int = 72) -> str:
    """``command`` over continued lines, each option beside its value."""
    units: list[str] = []
    for token in shlex.split(command):
        option = units and units[-1].startswith("-") and " " not in units[-1]
        if option and not token.startswith("-"):
            units[-1] += " " + shlex.quote(token)
        else:
            units.append(shlex.quote(token))
    lines = [units[0]]
    for unit in units[1:]:
        if len(lines[-1]) + 1 + len(unit) > width:
            lines.append("      " + unit)
        else:
            lines[-1] += " " + unit
    return " \\\n".join(lines)


def _indent(text: str) -> str:
    return textwrap.indent(text, "    ", lambda line: True)


def _section(entry: Entry, result: Path, root: Path) -> tuple[str, list[Path]]:
    figures = sorted(p for p in result.iterdir() if p.suffix in FIGURES)
    shown = _wrap(entry.command.replace("{plot}", f"{entry.slug}.png"))
    parts = [
        f"## {entry.title} {{#{entry.slug}}}",
        entry.text,
        f"```console\n$ {shown}\n```",
    ]
    for fig in figures:  # each opens full size when clicked
        src = f"gallery/{entry.slug}/{fig.name}"
        parts.append(f"[![{entry.title}]({src})]({src})")
    output = (result / "output.txt").read_text(encoding="utf-8").rstrip()
    if output:
        block = _indent(f"```text\n{output}\n```")
        parts.append(f'??? example "What it prints"\n\n{block}')
    if entry.source:
        code = (root / entry.source).read_text(encoding="utf-8").rstrip()
        block = _indent(f"```python\n{code}\n```")
        parts.append(f'??? example "{entry.source}"\n\n{block}')
    return "\n\n".join(parts) + "\n", figures


def page(sections: list[str]) -> str:
    """The gallery page around its sections."""
    runs = os.environ.get("SENDALLOC_EXAMPLE_RUNS", RUNS)
    head = textwrap.dedent(
        f"""\
        # Gallery

        What the example scripts in `examples/` and the command line print and
        draw. Every figure and output on this page was produced when this site
        was built, by running the command shown against this version of
        sendalloc, so none can be out of date. To keep the build short the
        examples ran {runs} simulated rounds each
        (`SENDALLOC_EXAMPLE_RUNS={runs}`); run without it, they use their own
        defaults (`--runs`). Run any of them from a checkout of the repository;
        each takes `--help`.
        """
    )
    return head + "\n" + "\n".join(sections)


def on_files(files: Files, config: Any) -> Files:
    """Run the entries and add the gallery page and its figures to the site."""
    root = Path(config.config_file_path).resolve().parent
    cache = root / ".cache" / "docs-gallery"
    todo = entries(root)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        results = list(pool.map(lambda e: _run(e, root, cache), todo))
    sections = []
    for entry, result in zip(todo, results, strict=True):
        text, figures = _section(entry, result, root)
        sections.append(text)
        for fig in figures:
            files.append(
                File.generated(
                    config, f"gallery/{entry.slug}/{fig.name}", abs_src_path=str(fig)
                )
            )
    files.append(File.generated(config, PAGE, content=page(sections)))
    return files
