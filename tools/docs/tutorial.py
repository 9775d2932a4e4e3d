"""MkDocs hook: the tutorial page, rendered from examples/tutorial.ipynb as stored.

The notebook is stored executed (tests/test_tutorial.py checks that it is, and
runs it; ``make tutorial`` refreshes its outputs), so the page shows its cells
and their outputs without running anything: Markdown cells as they are, code
cells as Python blocks, printed text as text blocks, HTML outputs (tables) as
they are and figures as PNG files beside the page. The notebook is read with
``json``: the ``docs`` extra needs nothing more. A stored error fails the build.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

__all__ = ["on_files"]

PAGE = "tutorial.md"
NOTEBOOK = "examples/tutorial.ipynb"
SOURCE = "https://github.com/sendalloc/sendalloc/blob/main/" + NOTEBOOK


def _text(value: str | list[str]) -> str:
    return value if isinstance(value, str) else "".join(value)


def _fence(text: str, lang: str = "") -> str:
    return f"```{lang}\n{text.rstrip()}\n```"


def _outputs(cell: dict[str, Any], n: int, config: Any, files: Files) -> list[str]:
    parts = []
    for k, out in enumerate(cell.get("outputs", [])):
        kind = out["output_type"]
        if kind == "error":
            raise PluginError(f"{NOTEBOOK}: cell {n} is stored with an error")
        if kind == "stream":
            parts.append(_fence(_text(out["text"]), "text"))
            continue
        data = out.get("data", {})
        if "image/png" in data:
            name = f"tutorial/cell{n}-{k}.png"
            png = base64.b64decode(_text(data["image/png"]))
            files.append(File.generated(config, name, content=png))
            parts.append(f"![Figure of cell {n}]({name})")
        elif "text/html" in data:
            # A blank line would end Markdown's raw HTML block.
            lines = _text(data["text/html"]).splitlines()
            html = "\n".join(line for line in lines if line.strip())
            parts.append(f'<div class="tutorial-output">\n{html}\n</div>')
        elif "text/plain" in data:
            parts.append(_fence(_text(data["text/plain"]), "text"))
    return parts


def page(notebook: dict[str, Any], config: Any, files: Files) -> str:
    """The Markdown of the tutorial page (adding its figures to ``files``)."""
    parts = []
    for n, cell in enumerate(notebook["cells"]):
        source = _text(cell["source"])
        if cell["cell_type"] == "markdown":
            parts.append(source)
        elif cell["cell_type"] == "code":
            parts.append(_fence(source, "python"))
            parts.extend(_outputs(cell, n, config, files))
        if n == 0:
            parts.append(
                f"This page is the notebook [`{NOTEBOOK}`]({SOURCE}) with its "
                "outputs as stored: download it and run it in Jupyter."
            )
    return "\n\n".join(parts) + "\n"


def on_files(files: Files, config: Any) -> Files:
    """Add the tutorial page and its figures to the site."""
    root = Path(config.config_file_path).resolve().parent
    notebook = json.loads((root / NOTEBOOK).read_text(encoding="utf-8"))
    files.append(File.generated(config, PAGE, content=page(notebook, config, files)))
    return files
