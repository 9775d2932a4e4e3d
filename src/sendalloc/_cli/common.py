"""What every ``sendalloc`` command shares.

Usage errors, progress bars, workers and executors, output files, argument types.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any, TextIO

__all__ = [
    "COMPILING",
    "CONNECT_SECONDS",
    "DEFAULT_SCENARIO",
    "DOCS_URL",
    "PLAIN_PROGRESS_SECONDS",
    "Outputs",
    "Parser",
    "UsageError",
    "check_plot_path",
    "check_store",
    "check_writable_dir",
    "compile_notice",
    "connect",
    "isatty",
    "make_executor",
    "mechanism_names",
    "open_scenario",
    "positive_int",
    "progress_bar",
    "require",
    "seed_type",
    "share_type",
    "worker_count",
]


DEFAULT_SCENARIO = "county"
#: The documentation site. Help text points at its pages, never at files of the
#: source tree, which an installed package does not have.
DOCS_URL = "https://sendalloc.github.io/sendalloc/"


CONNECT_SECONDS = 10.0  # to reach a dask scheduler before giving up
PLAIN_PROGRESS_SECONDS = 10.0  # a progress line this often when not on a terminal
COMPILING = "compiling kernels (first run only)"


class UsageError(Exception):
    """A problem with the user's input: reported in one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Descriptions and epilogs print as written: argparse would otherwise
        # rewrap them and could break a URL at a hyphen.
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> Any:  # one line, status 2, like every error here
        raise UsageError(message)


def isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):  # closed or not a file
        return False


def progress_bar(stream: TextIO, label: str) -> Callable[[int, int], None]:
    """A progress display: a redrawn bar on a terminal, else plain lines.

    A log file gets a line every ``PLAIN_PROGRESS_SECONDS`` and one at the end,
    never the carriage-return frames of the bar.
    """
    start = time.perf_counter()
    last = [start]
    tty = isatty(stream)

    def show(done: int, total: int) -> None:
        now = time.perf_counter()
        if not tty:
            if done < total and now - last[0] < PLAIN_PROGRESS_SECONDS:
                return
            last[0] = now
            stream.write(f"{label}: {done}/{total} runs {now - start:.1f} s\n")
            stream.flush()
            return
        if done < total and now - last[0] < 0.1:
            return
        last[0] = now
        width = 30
        fill = int(width * done / total) if total else width
        bar = "#" * fill + "." * (width - fill)
        end = "\n" if done >= total else ""
        stream.write(f"\r{label} [{bar}] {done}/{total} runs {now - start:5.1f} s{end}")
        stream.flush()

    return show


def open_scenario(name: str) -> Any:
    from sendalloc.scenario import load_scenario

    return load_scenario(name)


def worker_count(workers: int | None, runs: int) -> int:
    if workers is None:
        # Automatic: a process per core once the run is long enough to pay
        # for starting them (about a second).
        workers = (os.cpu_count() or 1) if runs >= 200 else 1
    if workers < 1:
        raise UsageError(f"--workers: expected a positive integer, got {workers}")
    return workers


def make_executor(
    workers: int,
    warm_up: Callable[[], object],
    mechanisms: Sequence[str] | None,
    scenarios: Sequence[Any] = (),
) -> Executor | None:
    """A process pool (None for one worker), kernels compiled before it starts.

    The kernels of ``mechanisms`` and of the runs of ``scenarios`` (the event
    kernel of the in-year mode, today's statutory process in the annual one)
    are compiled side by side in ``workers`` processes, then ``warm_up`` (one
    run of the job) loads them here and compiles the rest; workers forked
    after it inherit them (or load them from numba's cache) instead of each
    compiling them. They exit if this process is killed.
    """
    if workers == 1:
        return None
    from sendalloc._engine.modes import compile_tasks
    from sendalloc._engine.policies import default_policies
    from sendalloc.executors import process_pool
    from sendalloc.mechanisms import MECHANISMS

    modes = tuple({str(s.mode): None for s in scenarios}) or ("annual",)
    chosen = list(mechanisms or [p.name for p in default_policies(modes)])
    names = [m for m in chosen if m in MECHANISMS]
    tasks = list({t: None for s in scenarios for t in compile_tasks(s, chosen)})
    return process_pool(workers, warm_up=warm_up, precompile=[*tasks, *names])


@contextlib.contextmanager
def compile_notice(err: TextIO, quiet: bool) -> Iterator[None]:
    """Say ``compiling kernels (first run only)`` if numba compiles here."""
    if quiet:
        yield
        return
    from sendalloc.executors import compiling

    def notice() -> None:
        err.write(COMPILING + "\n")
        err.flush()

    with compiling(notice):
        yield


class Outputs:
    """The files a command writes: checked before it runs, each written atomically.

    A path is refused before anything is simulated if it names a directory, if
    its directory does not exist or cannot be written, or if two options name
    the same file. Each file is written under a temporary name in the same
    directory and renamed over the target when complete, so an interrupted or
    failed write leaves the old file (or none), never half a file.
    """

    def __init__(self, **paths: str | None) -> None:
        self.paths = {opt: p for opt, p in paths.items() if p}

    def check(self) -> None:
        seen: dict[Path, str] = {}
        for opt, text in self.paths.items():
            flag = "--" + opt.replace("_", "-")
            path = Path(text)
            key = path.resolve()
            if key in seen:
                raise UsageError(f"{flag} {text}: the same file as {seen[key]}")
            seen[key] = flag
            if path.is_dir():
                raise UsageError(f"{flag} {text}: is a directory")
            check_writable_dir(path.parent, f"{flag} {text}")

    def write(self, opt: str, writer: Callable[[str], object]) -> None:
        """Write the file of ``--opt`` through ``writer(path)``, atomically."""
        target = Path(self.paths[opt])
        # Keep the suffix: matplotlib picks the figure format from it.
        tmp = target.with_name(
            f".{target.name}.{secrets.token_hex(4)}.tmp{target.suffix}"
        )
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # umask
        os.close(fd)
        try:
            writer(str(tmp))
            os.replace(tmp, target)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if isinstance(exc, OSError) and exc.strerror:  # name the file asked for
                raise OSError(exc.errno, exc.strerror, str(target)) from exc
            raise


def check_writable_dir(directory: Path, what: str) -> None:
    """Refuse ``what`` unless files can be created in ``directory``."""
    if not directory.is_dir():
        raise UsageError(f"{what}: directory {directory} does not exist")
    try:
        probe = directory / f".sendalloc-probe-{secrets.token_hex(4)}"
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        os.unlink(probe)
    except OSError as exc:
        raise UsageError(
            f"{what}: cannot write in {directory} ({exc.strerror or exc})"
        ) from None


def check_store(text: str) -> None:
    """Refuse a sweep store that cannot be created, before running."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise UsageError(f"--store {text}: is a file; a sweep store is a directory")
    existing = path
    while not existing.exists():  # the store and missing parents are created
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"--store {text}: {existing} is not a directory")
    check_writable_dir(existing, f"--store {text}")
    if path.suffix.lower() == ".parquet":
        require("pyarrow", "parquet", f"--store {text} (Parquet)")


def require(module: str, extra: str, why: str) -> None:
    """Refuse to start when an optional package the options need is missing."""
    import importlib.util

    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise UsageError(
            f"{why} needs {module}, which is not installed: "
            f"pip install 'sendalloc[{extra}]'"
        )


def check_plot_path(text: str) -> None:
    """--plot: matplotlib installed, and a file type it can write."""
    require("matplotlib", "plot", "--plot")
    suffix = Path(text).suffix.lower().lstrip(".")
    if not suffix:
        return  # matplotlib writes its default format (PNG)
    from matplotlib.backend_bases import FigureCanvasBase

    types = FigureCanvasBase.get_supported_filetypes()
    if suffix not in types:
        raise UsageError(
            f"--plot {text}: matplotlib cannot write .{suffix} files; use one of "
            + ", ".join(f".{t}" for t in sorted(types))
        )


def connect(address: str) -> Any:
    """A dask.distributed client of ``address``, or a one-line error, quickly.

    dask's own client can wait for ever on a listener that is not a dask
    scheduler (a silent port, an HTTP server) or read its reply as a frame
    length (3 EiB). So first, under one overall timeout, open a connection and
    ask the other end who it is; only a scheduler that answers gets a client.
    """
    require("distributed", "dask", "--scheduler")
    import asyncio
    import importlib

    comm: Any = importlib.import_module("distributed.comm")

    async def identity() -> Any:
        c = await comm.connect(address, timeout=CONNECT_SECONDS)
        try:
            await c.write({"op": "identity", "reply": True})
            return await c.read()
        finally:
            c.abort()

    ident: Any = None
    reason = ""
    try:
        ident = asyncio.run(asyncio.wait_for(identity(), CONNECT_SECONDS))
    except TimeoutError:
        reason = f"no dask answer within {CONNECT_SECONDS:g} s"
    except OSError as exc:  # refused, unreachable, closed: no scheduler there
        reason = f"cannot connect: {str(exc).splitlines()[0] if str(exc) else exc!r}"
    except Exception as exc:  # e.g. a reply read as a 3 EiB frame length
        text = str(exc).splitlines()[0] if str(exc) else ""
        reason = "it answered with something other than the dask protocol"
        if text and not isinstance(exc, MemoryError):  # not "allocate 3 EiB"
            reason += f" ({type(exc).__name__}: {text})"
    else:
        kind = ident.get("type") if isinstance(ident, dict) else None
        if kind != "Scheduler":
            what = f"a dask {kind}" if isinstance(kind, str) else "something else"
            reason = f"it is {what}, not a scheduler"
    if reason:
        raise UsageError(f"--scheduler {address}: not a dask scheduler ({reason})")
    dist: Any = importlib.import_module("distributed")
    return dist.Client(address, timeout=CONNECT_SECONDS, set_as_default=False)


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer, got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def seed_type(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a non-negative integer, got {text!r}"
        ) from None
    if value < 0:
        raise argparse.ArgumentTypeError(
            f"expected a non-negative integer, got {text!r}"
        )
    return value


def share_type(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a share in (0, 1), got {text!r}"
        ) from None
    if value > 1:  # accept percentages: 90 means 0.9
        value /= 100
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a share in (0, 1), got {text!r}")
    return value


def mechanism_names(given: Sequence[str] | None) -> list[str] | None:
    """The names of ``--mechanism`` (repeatable, comma-separated), each checked."""
    from sendalloc.mechanisms import MECHANISMS
    from sendalloc.simulate import POLICIES

    names = [n for m in given or () for n in m.split(",") if n]
    for m in names:
        if m not in MECHANISMS and m not in POLICIES:
            raise UsageError(
                f"unknown mechanism {m!r}; valid names: "
                + ", ".join(sorted(MECHANISMS))
                + "; policies: "
                + ", ".join(sorted(POLICIES))
            )
    return names or None
