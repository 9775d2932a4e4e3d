"""Execute a notebook and store its outputs in place (``make tutorial``).

The kernel runs in a new temporary directory, so the notebook cannot leave
files beside itself; timings are not recorded, so re-executing changes only
what the code prints and draws.

Run:  python tools/execute_notebook.py examples/tutorial.ipynb
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def execute(path: Path, *, timeout: int = 600) -> nbformat.NotebookNode:
    """The notebook at ``path``, executed in a temporary directory."""
    nb = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="sendalloc-notebook-") as cwd:
        NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            record_timing=False,
            resources={"metadata": {"path": cwd}},
        ).execute()
    return nb


def main(argv: list[str] | None = None) -> int:
    """Execute the notebook named on the command line, in place."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    nb = execute(args.notebook)
    nbformat.write(nb, args.notebook)
    print(f"executed {args.notebook} in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
