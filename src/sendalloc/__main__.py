"""``python -m sendalloc``: the same as the ``sendalloc`` command."""

from __future__ import annotations

import sys

from sendalloc.cli import main

__all__: list[str] = []

if __name__ == "__main__":
    sys.exit(main())
