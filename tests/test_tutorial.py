"""examples/tutorial.ipynb runs from top to bottom, and is stored executed.

The notebook runs in a fresh kernel in an empty directory, which must stay
empty: the tutorial never leaves files in the reader's directory (hypothesis's
own cache, ``.hypothesis/``, is not counted, as in test_examples.py). A cell
that raises fails this test with the cell's source and traceback; so does a
warning printed to stderr (the suite turns warnings into errors, and a reader
should not see them either). ``make tutorial`` stores fresh outputs.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parent.parent / "examples" / "tutorial.ipynb"


def code_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [c for c in nb.cells if c.cell_type == "code"]


def stderr_of(nb: nbformat.NotebookNode) -> list[str]:
    return [
        o.text
        for c in code_cells(nb)
        for o in c.outputs
        if o.output_type == "stream" and o.name == "stderr"
    ]


def test_tutorial_executes_and_writes_nothing(tmp_path: Path) -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        nb,
        timeout=300,  # per cell; the suite's timeout bounds the whole run
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    assert stderr_of(nb) == []
    left = sorted(p.name for p in tmp_path.iterdir() if p.name != ".hypothesis")
    assert left == []


def test_tutorial_is_stored_with_its_outputs() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    cells = code_cells(nb)
    counts = [c.execution_count for c in cells]
    assert counts == list(range(1, len(cells) + 1)), (
        "examples/tutorial.ipynb is not stored executed top to bottom in one "
        "kernel: run `make tutorial`"
    )
    errors = [o for c in cells for o in c.outputs if o.output_type == "error"]
    assert errors == []
    assert stderr_of(nb) == []
    figures = [o for c in cells for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(figures) >= 3
