"""The resumable store of a sweep: one file per finished work unit, and the spec.

A store is a directory. ``_sendalloc_sweep.json`` holds the sweep's spec and the
format; each finished unit (a variant's runs ``a..b``) is
``part-v<variant>-c<chunk>.<parquet|csv>``, written under a temporary name and
renamed when complete, so a killed sweep leaves whole units only. Guarantees:

- one spec per store: the spec file is created atomically and exclusively, so
  of two sweeps started at once on the same new store one wins and the other,
  if its spec differs, is refused (one with the same spec is the same sweep and
  writes the same parts);
- a part read back must hold exactly the variant and the runs its file name
  says, for the sweep's policies, and be whole: a truncated or damaged part is
  refused, naming the file;
- temporary files left by a killed sweep are removed when the store is opened
  again.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from numpy.typing import NDArray

from sendalloc.errors import SendallocError

__all__ = [
    "SPEC_FILE",
    "STORE_VERSION",
    "Store",
    "SweepStoreError",
    "cell_text",
    "pyarrow_available",
    "variant_index",
]

#: Name of the spec file inside a store.
SPEC_FILE = "_sendalloc_sweep.json"
#: Version of the store layout (part of the spec file).
STORE_VERSION = 1

_TMP = ".tmp-"
_TMP_NAME = re.compile(r"\.tmp-(\d+)-")


class SweepStoreError(SendallocError, ValueError):
    """A sweep store cannot be used: another sweep's store, or not a store at all.

    Examples
    --------
    >>> from sendalloc.sweep import SweepStoreError
    >>> issubclass(SweepStoreError, ValueError)
    True
    """


def pyarrow_available() -> bool:
    """Whether pyarrow (the ``parquet`` extra) can be imported."""
    try:
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        return False
    return True


def cell_text(v: Any) -> str:
    """A grid value as text: strings as they are, anything else as JSON."""
    return v if isinstance(v, str) else json.dumps(v)


def variant_index(
    grid: tuple[tuple[str, tuple[Any, ...]], ...], variant: int
) -> dict[str, int]:
    """Index of each key's value in variant number ``variant`` (row-major product)."""
    out: dict[str, int] = {}
    for key, vals in reversed(grid):
        variant, out[key] = divmod(variant, len(vals))
    return out


def _column_kind(values: Sequence[Any]) -> str:
    if all(isinstance(v, bool) for v in values):
        return "bool"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "int"
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return "float"
    if all(isinstance(v, str) for v in values):
        return "str"
    return "json"


def _tmp_path(path: Path) -> Path:
    return path.with_name(f"{_TMP}{os.getpid()}-{path.name}")


def _write_atomic(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Write under a temporary name, flush to disk, then rename into place."""
    tmp = _tmp_path(path)
    with open(tmp, "wb") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _create_exclusive(path: Path, data: bytes) -> bool:
    """Create ``path`` whole with ``data`` unless it exists; False if it did.

    The data is written to a temporary file first and linked into place: a
    reader never sees half a file, and of two writers exactly one succeeds. On
    a file system without hard links, an exclusive create instead.
    """
    tmp = _tmp_path(path)
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    try:
        os.link(tmp, path)
    except FileExistsError:
        return False
    except OSError:  # no hard links here: an exclusive create instead
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    return True


def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` may still be running here (True when unsure)."""
    if pid == os.getpid() or os.name == "nt":  # Windows: os.kill(pid, 0) is no probe
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):  # another user's process, or no way to tell
        return True
    return True


def _read_spec(p: Path) -> tuple[dict[str, Any], str] | None:
    """The spec and the format recorded in a store; None if it has no spec file."""
    spec_path = p / SPEC_FILE
    if not spec_path.is_file():
        return None
    try:
        doc = json.loads(spec_path.read_text(encoding="utf-8"))
        spec, fmt = doc["spec"], doc["format"]
    except (ValueError, KeyError, TypeError) as e:
        raise SweepStoreError(f"store {p}: unreadable {SPEC_FILE} ({e})") from None
    return spec, fmt


class Store:
    """A directory of one file per finished unit, plus the sweep's spec.

    Open with :meth:`open`. Columns of a part: the grid's keys, ``variant``,
    ``run``, ``mechanism``, then every metric of ``metrics``.
    """

    def __init__(
        self,
        path: Path,
        fmt: str,
        grid: tuple[tuple[str, tuple[Any, ...]], ...],
        mechanisms: tuple[str, ...],
        metrics: tuple[str, ...],
    ) -> None:
        self.path = path
        self.fmt = fmt
        self.grid = grid
        self.mechanisms = mechanisms
        self.metrics = metrics
        self.kinds = [_column_kind(vals) for _, vals in grid]

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        spec: dict[str, Any],
        grid: tuple[tuple[str, tuple[Any, ...]], ...],
        mechanisms: tuple[str, ...],
        metrics: tuple[str, ...],
    ) -> Store:
        """Open the store of this sweep at ``path``, creating it if new.

        Raises
        ------
        SweepStoreError
            For a file, a directory that is not a store, another sweep's store
            (naming the fields that differ), or a Parquet store without pyarrow.
        """
        p = Path(path)
        if p.exists() and not p.is_dir():
            raise SweepStoreError(
                f"store {p}: is a file; a sweep store is a directory (give a new path)"
            )
        recorded = _read_spec(p)
        if recorded is None:
            if p.is_dir() and any(not c.name.startswith(_TMP) for c in p.iterdir()):
                raise SweepStoreError(
                    f"store {p}: directory exists and is not a sendalloc sweep store"
                )
            fmt = cls._new_format(p)
            p.mkdir(parents=True, exist_ok=True)
            doc = {"store_version": STORE_VERSION, "format": fmt, "spec": spec}
            text = json.dumps(doc, indent=1, allow_nan=False) + "\n"
            if _create_exclusive(p / SPEC_FILE, text.encode("utf-8")):
                store = cls(p, fmt, grid, mechanisms, metrics)
                store.clean()
                return store
            # Another sweep created the store first: it must be this sweep.
            recorded = _read_spec(p)
            if recorded is None:
                raise SweepStoreError(f"store {p}: {SPEC_FILE} vanished while opening")
        old, fmt = recorded
        new = json.loads(json.dumps(spec))
        if old != new:
            fields = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
            raise SweepStoreError(
                f"store {p} holds a different sweep (it differs in "
                f"{', '.join(fields)}); use a new store path, or delete this one "
                "to start again"
            )
        if fmt == "parquet" and not pyarrow_available():
            raise SweepStoreError(
                f"store {p} is Parquet and needs pyarrow: "
                "pip install 'sendalloc[parquet]'"
            )
        store = cls(p, fmt, grid, mechanisms, metrics)
        store.clean()
        return store

    @staticmethod
    def _new_format(p: Path) -> str:
        suffix = p.suffix.lower()
        if suffix == ".csv":
            return "csv"
        if suffix == ".parquet" and not pyarrow_available():
            raise SweepStoreError(
                f"store {p}: Parquet needs pyarrow (pip install 'sendalloc[parquet]'); "
                "or name a .csv store"
            )
        return "parquet" if pyarrow_available() else "csv"

    def clean(self) -> list[str]:
        """Remove temporary files left by sweeps that are no longer running.

        A temporary name carries its writer's process id; files of a process
        still alive on this machine are left alone. Returns the names removed.
        """
        removed = []
        for c in self.path.iterdir():
            m = _TMP_NAME.match(c.name)
            if m is not None and not _pid_alive(int(m.group(1))):
                with contextlib.suppress(FileNotFoundError):
                    c.unlink()
                removed.append(c.name)
        return removed

    def _part(self, variant: int, chunk: int) -> Path:
        return self.path / f"part-v{variant:05d}-c{chunk:05d}.{self.fmt}"

    def done(self) -> set[tuple[int, int]]:
        """The (variant, chunk) of every part in the store."""
        out = set()
        suffix = f".{self.fmt}"
        for c in self.path.iterdir():
            name = c.name
            if name.startswith("part-v") and name.endswith(suffix):
                v, ch = name[len("part-v") : -len(suffix)].split("-c")
                out.add((int(v), int(ch)))
        return out

    def _columns(
        self, variant: int, start: int, values: NDArray[np.float64]
    ) -> dict[str, Any]:
        r, k, _ = values.shape
        cols: dict[str, Any] = {}
        at = variant_index(self.grid, variant)
        for key, vals in self.grid:
            cols[key] = [vals[at[key]]] * (r * k)
        cols["variant"] = np.full(r * k, variant, dtype=np.int64)
        cols["run"] = np.repeat(np.arange(start, start + r, dtype=np.int64), k)
        cols["mechanism"] = list(self.mechanisms) * r
        flat = values.reshape(r * k, len(self.metrics))
        for j, m in enumerate(self.metrics):
            cols[m] = flat[:, j]
        return cols

    def write(
        self, variant: int, chunk: int, start: int, values: NDArray[np.float64]
    ) -> None:
        """Store a finished unit: its ``values`` (runs, policies, metrics)."""
        cols = self._columns(variant, start, values)
        path = self._part(variant, chunk)
        if self.fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            types = {"bool": pa.bool_(), "int": pa.int64(), "float": pa.float64()}
            arrays = {}
            for (key, _), kind in zip(self.grid, self.kinds, strict=True):
                col = cols[key]
                if kind in types:
                    arrays[key] = pa.array(col, type=types[kind])
                else:
                    arrays[key] = pa.array([cell_text(v) for v in col], pa.string())
            for name in ("variant", "run"):
                arrays[name] = pa.array(cols[name], type=pa.int64())
            arrays["mechanism"] = pa.array(cols["mechanism"], type=pa.string())
            for m in self.metrics:
                arrays[m] = pa.array(cols[m], type=pa.float64())
            table = pa.table(arrays)
            _write_atomic(path, lambda f: pq.write_table(table, f))
        else:
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\n")
            w.writerow(list(cols))
            n = len(cols["run"])
            keys = [k for k, _ in self.grid]
            for i in range(n):
                w.writerow(
                    [
                        *(cell_text(cols[k][i]) for k in keys),
                        int(cols["variant"][i]),
                        int(cols["run"][i]),
                        cols["mechanism"][i],
                        *(repr(float(cols[m][i])) for m in self.metrics),
                    ]
                )
            text = buf.getvalue()
            _write_atomic(path, lambda f: f.write(text.encode("utf-8")))

    def _read_columns(
        self, path: Path
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], list[str], NDArray[np.float64]]:
        """A part's variant, run and mechanism columns and its metrics (rows, M)."""
        if self.fmt == "parquet":
            import pyarrow.parquet as pq

            t = pq.read_table(
                path, columns=["variant", "run", "mechanism", *self.metrics]
            )
            flat = np.column_stack(
                [t.column(m).to_numpy().astype(np.float64) for m in self.metrics]
            ).reshape(t.num_rows, len(self.metrics))
            return (
                t.column("variant").to_numpy().astype(np.int64),
                t.column("run").to_numpy().astype(np.int64),
                [str(x) for x in t.column("mechanism").to_pylist()],
                flat,
            )
        text = path.read_text(encoding="utf-8")
        if not text.endswith("\n"):
            raise ValueError("it does not end with a whole line")
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
        width = len(self.grid) + 3 + len(self.metrics)
        for r in rows:
            if len(r) != width or None in r.values():
                raise ValueError(f"a row has {len(r)} fields, expected {width}")
        flat = np.array(
            [[float(r[m]) for m in self.metrics] for r in rows], dtype=np.float64
        ).reshape(len(rows), len(self.metrics))
        return (
            np.array([int(r["variant"]) for r in rows], dtype=np.int64),
            np.array([int(r["run"]) for r in rows], dtype=np.int64),
            [r["mechanism"] for r in rows],
            flat,
        )

    def read(
        self, variant: int, chunk: int, start: int, stop: int
    ) -> NDArray[np.float64]:
        """The values (runs, policies, metrics) of a stored unit, checked.

        Raises
        ------
        SweepStoreError
            If the part is damaged or truncated, or does not hold exactly
            variant ``variant``'s runs ``start..stop-1`` of the sweep's
            policies; the message names the file.
        """
        path = self._part(variant, chunk)
        k = len(self.mechanisms)
        try:
            variants, runs, mechs, flat = self._read_columns(path)
        except Exception as e:  # a damaged part, whatever the reader says
            raise SweepStoreError(
                f"store {self.path}: {path.name} is damaged or truncated ({e}); "
                "delete the file to recompute it"
            ) from None
        want_runs = np.repeat(np.arange(start, stop), k)
        if (
            runs.shape != want_runs.shape
            or not np.array_equal(runs, want_runs)
            or not np.array_equal(variants, np.full(want_runs.shape, variant))
            or mechs != list(self.mechanisms) * (stop - start)
        ):
            raise SweepStoreError(
                f"store {self.path}: {path.name} does not hold variant {variant}'s "
                f"runs {start}..{stop - 1} of {', '.join(self.mechanisms)}; "
                "delete the file to recompute it"
            )
        return np.ascontiguousarray(flat.reshape(stop - start, k, len(self.metrics)))
