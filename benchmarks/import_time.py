"""How long ``import sendalloc`` takes in a fresh interpreter.

    python benchmarks/import_time.py              # median of 3, in seconds
    python benchmarks/import_time.py --repeat 7

Each run is a new ``python -c "import sendalloc"`` process, timed by wall
clock; the median of ``python -c "pass"`` is subtracted to discount the
interpreter's own start-up. The median, not the best, is reported: start-up
is dominated by the file system cache, and the first run may be cold.

The import is timed as a user meets it: with Python's bytecode cache. ``pip
install`` writes it, and Python writes it at the first import of an editable
install; the processes timed here may write it (``PYTHONDONTWRITEBYTECODE``
is removed from their environment), and one untimed import writes it first.
Where there is no bytecode cache and none may be written
(``PYTHONDONTWRITEBYTECODE``, as some sandboxes and CI machines set it, on
an editable install that never wrote one), every import compiles about 150
modules from source again: ``--no-bytecode`` times that (an empty
``PYTHONPYCACHEPREFIX``, nothing written).

``benchmarks/run.py`` can show the number as a row "import sendalloc" with
``measure_import_time()``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

__all__ = ["measure_import_time"]


def _wall(code: str, python: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([python, "-c", code], check=True, env=env)
    return time.perf_counter() - start


def measure_import_time(
    repeat: int = 3, python: str = sys.executable, *, bytecode: bool = True
) -> float:
    """Median wall time of ``import sendalloc`` in a fresh process, in seconds.

    Parameters
    ----------
    repeat : int, default 3
        Processes started for the import and for the empty baseline each.
    python : str, default sys.executable
        The interpreter to time (one with sendalloc installed).
    bytecode : bool, default True
        Let the processes use and write Python's bytecode cache, and write it
        (one untimed import) first; False: no bytecode cache to read (an empty
        ``PYTHONPYCACHEPREFIX``) and none written, so every module is compiled
        from source at every import.

    Returns
    -------
    float
        Median of the import runs less the median of ``python -c "pass"``
        (never below 0).
    """
    if repeat < 1:
        raise ValueError(f"repeat={repeat!r}: expected an integer >= 1")
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="sendalloc-pycache-") as empty:
        if bytecode:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            _wall("import sendalloc", python, env)  # writes the bytecode cache
        else:
            env.update(PYTHONDONTWRITEBYTECODE="1", PYTHONPYCACHEPREFIX=empty)
        base = statistics.median(_wall("pass", python, env) for _ in range(repeat))
        full = statistics.median(
            _wall("import sendalloc", python, env) for _ in range(repeat)
        )
    return max(full - base, 0.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--no-bytecode",
        action="store_true",
        help="run as this environment does, PYTHONDONTWRITEBYTECODE included",
    )
    args = parser.parse_args(argv)
    seconds = measure_import_time(args.repeat, bytecode=not args.no_bytecode)
    print(f"import sendalloc  {seconds:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
