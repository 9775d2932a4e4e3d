"""How long ``read_gias`` takes on a synthetic national GIAS file.

    python benchmarks/read_gias.py                 # 50,000 rows, best of 3, seconds
    python benchmarks/read_gias.py --rows 100000 --repeat 5

The file is written by ``tests/gias_national.py`` (the real 139-column layout,
every establishment type and status, planted unusable rows) in a temporary
directory, in Windows-1252 as GIAS serves it. The time is one whole
``read_gias`` call on the national file (no LA filter): decoding, parsing,
checking and building the settings table. The best of ``--repeat`` runs is
reported (the first also warms the file system cache).
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from gias_national import write_national  # noqa: E402
from sendalloc.io import read_gias  # noqa: E402

__all__ = ["measure_read_gias"]


def measure_read_gias(rows: int = 50_000, repeat: int = 3) -> dict[str, float]:
    """Best wall time of ``read_gias`` on a synthetic national file.

    Returns
    -------
    dict
        ``seconds`` (best of ``repeat``), ``rows``, ``settings`` and ``mb``
        (the file's size).
    """
    logging.getLogger("sendalloc.io").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "edubasealldata.csv"
        write_national(path, rows)
        best, n = float("inf"), 0
        for _ in range(repeat):
            t = time.perf_counter()
            s = read_gias(path)
            best = min(best, time.perf_counter() - t)
            n = s.n
        mb = path.stat().st_size / 1e6
    return {"seconds": best, "rows": rows, "settings": n, "mb": mb}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    r = measure_read_gias(args.rows, args.repeat)
    print(
        f"read_gias: {r['rows']:,} rows ({r['mb']:.1f} MB) -> {r['settings']:,} "
        f"settings in {r['seconds']:.2f} s (best of {args.repeat})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
