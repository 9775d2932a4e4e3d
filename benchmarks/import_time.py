"""How long ``import sendalloc`` takes in a fresh interpreter.

    python benchmarks/import_time.py              # median of 3, in seconds
    python benchmarks/import_time.py --repeat 7

Each run is a new ``python -c "import sendalloc"`` process, timed by wall
clock; the median of ``python -c "pass"`` is subtracted to discount the
interpreter's own start-up. The median, not the best, is reported: start-up
is dominated by the file system cache, and the first run may be cold.

``benchmarks/run.py`` can show the number as a row "import sendalloc" with
``measure_import_time()``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

__all__ = ["measure_import_time"]


def _wall(code: str, python: str) -> float:
    start = time.perf_counter()
    subprocess.run([python, "-c", code], check=True)
    return time.perf_counter() - start


def measure_import_time(repeat: int = 3, python: str = sys.executable) -> float:
    """Median wall time of ``import sendalloc`` in a fresh process, in seconds.

    Parameters
    ----------
    repeat : int, default 3
        Processes started for the import and for the empty baseline each.
    python : str, default sys.executable
        The interpreter to time (one with sendalloc installed).

    Returns
    -------
    float
        Median of the import runs less the median of ``python -c "pass"``
        (never below 0).
    """
    if repeat < 1:
        raise ValueError(f"repeat={repeat!r}: expected an integer >= 1")
    base = statistics.median(_wall("pass", python) for _ in range(repeat))
    full = statistics.median(_wall("import sendalloc", python) for _ in range(repeat))
    return max(full - base, 0.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"import sendalloc  {measure_import_time(args.repeat):.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
