"""Write the table of achievability measures into docs/measures.md.

Run by ``make measures-doc``.

The table sits between two markers; everything around it is written by hand.
A test (tests/test_measures.py) fails when the page and the table disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

from sendalloc.measures import render_markdown

START = "<!-- measures table: make measures-doc -->\n"
END = "<!-- end of measures table -->"
PAGE = Path(__file__).resolve().parent.parent / "docs" / "measures.md"


def main() -> int:
    """Rewrite the table between the markers of docs/measures.md."""
    text = PAGE.read_text(encoding="utf-8")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    PAGE.write_text(head + START + render_markdown() + END + tail, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
