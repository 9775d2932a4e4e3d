"""The ``sendalloc`` command.

Usage:

    sendalloc run [SCENARIO] [--mechanism NAME[,NAME...] ...] [--runs N] [--seed S]
                  [--workers N] [--json PATH] [--csv PATH] [--plot PATH]
                  [--no-progress] [--mode annual|in_year|multi_year] [--years N]
                  [--uncertainty none|assumptions|layout|assumptions+layout]
    sendalloc scenarios
    sendalloc gap [SCENARIO] [--runs N] [--seed S] [--target T] [--metric M]
                  [--by kind|need]
    sendalloc sweep SCENARIO --set KEY=V1,V2,... [--set ...] [--runs N] [--seed S]
                  [--mechanism NAME ...] [--store PATH] [--csv PATH]
                  [--scheduler ADDRESS | --workers N] [--chunk-size N]
    sendalloc report [SCENARIO] [-o PATH] [--json PATH] [--runs N] [--seed S]
                  [--mechanism NAME ...] [--gap-target T[,T...]|none]
                  [--gap-runs N] [--workers N] [--no-progress]
    sendalloc sensitivity [SCENARIO] [--method sobol|morris] [--measure M ...]
                  [--mechanism NAME] [--samples N] [--runs N]
                  [--groups key|theme|dimension] [--parameter PATTERN ...]
                  [--seed S] [--workers N] [--top K] [--json PATH] [--csv PATH]
                  [--plot PATH] [--no-progress]

``SCENARIO`` is a preset name (default ``county``) or a path to a TOML file.
Bad input (an unknown scenario or mechanism, a malformed TOML file, an output
path that cannot be written, a missing optional package, a ``--scheduler``
that is not a dask scheduler) prints one line on stderr and exits with status
2, before anything is simulated. Output files are written whole or not at all
(under a temporary name, then renamed). If the reader of standard output goes
away early (``sendalloc run | head -3``) the command stops quietly with status
141, as a Unix tool killed by SIGPIPE would; with standard output closed the
table is dropped and the files are still written. The progress bar redraws
itself on a terminal and prints a plain line every few seconds otherwise (a
log file). On a first run numba compiles the kernels, once, before any worker
process starts: ``compiling kernels (first run only)`` says so.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import secrets
import sys
import textwrap
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any, TextIO

__all__ = ["main"]

DEFAULT_SCENARIO = "county"
#: The documentation site. Help text points at its pages, never at files of the
#: source tree, which an installed package does not have.
DOCS_URL = "https://sendalloc.github.io/sendalloc/"
_SIGPIPE_STATUS = 128 + 13  # what a shell reports for a tool killed by SIGPIPE
_CONNECT_SECONDS = 10.0  # to reach a dask scheduler before giving up
_PLAIN_PROGRESS_SECONDS = 10.0  # a progress line this often when not on a terminal
_COMPILING = "compiling kernels (first run only)"


class _UsageError(Exception):
    """A problem with the user's input: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Descriptions and epilogs print as written: argparse would otherwise
        # rewrap them and could break a URL at a hyphen.
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> Any:  # one line, status 2, like every error here
        raise _UsageError(message)


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):  # closed or not a file
        return False


def _progress_bar(stream: TextIO, label: str) -> Callable[[int, int], None]:
    """A progress display: a redrawn bar on a terminal, else plain lines.

    A log file gets a line every ``_PLAIN_PROGRESS_SECONDS`` and one at the end,
    never the carriage-return frames of the bar.
    """
    start = time.perf_counter()
    last = [start]
    tty = _isatty(stream)

    def show(done: int, total: int) -> None:
        now = time.perf_counter()
        if not tty:
            if done < total and now - last[0] < _PLAIN_PROGRESS_SECONDS:
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


def _scenario(name: str) -> Any:
    from sendalloc.scenario import load_scenario

    return load_scenario(name)


def _workers(workers: int | None, runs: int) -> int:
    if workers is None:
        # Automatic: a process per core once the run is long enough to pay
        # for starting them (about a second).
        workers = (os.cpu_count() or 1) if runs >= 200 else 1
    if workers < 1:
        raise _UsageError(f"--workers: expected a positive integer, got {workers}")
    return workers


def _executor(
    workers: int, warm_up: Callable[[], object], mechanisms: Sequence[str] | None
) -> Executor | None:
    """A process pool (None for one worker), kernels compiled before it starts.

    The kernels of ``mechanisms`` are compiled side by side in ``workers``
    processes, then ``warm_up`` (one run of the job) loads them here and
    compiles the rest (a policy's, such as ``status_quo``'s, among them);
    workers forked after it inherit them (or load them from numba's cache)
    instead of each compiling them. They exit if this process is killed.
    """
    if workers == 1:
        return None
    from sendalloc.executors import process_pool
    from sendalloc.mechanisms import MECHANISMS
    from sendalloc.simulate import DEFAULT_MECHANISMS

    names = [m for m in mechanisms or DEFAULT_MECHANISMS if m in MECHANISMS]
    return process_pool(workers, warm_up=warm_up, precompile=names)


@contextlib.contextmanager
def _compile_notice(err: TextIO, quiet: bool) -> Iterator[None]:
    """Say ``compiling kernels (first run only)`` if numba compiles here."""
    if quiet:
        yield
        return
    from sendalloc.executors import compiling

    def notice() -> None:
        err.write(_COMPILING + "\n")
        err.flush()

    with compiling(notice):
        yield


class _Outputs:
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
                raise _UsageError(f"{flag} {text}: the same file as {seen[key]}")
            seen[key] = flag
            if path.is_dir():
                raise _UsageError(f"{flag} {text}: is a directory")
            _check_writable_dir(path.parent, f"{flag} {text}")

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


def _check_writable_dir(directory: Path, what: str) -> None:
    """Refuse ``what`` unless files can be created in ``directory``."""
    if not directory.is_dir():
        raise _UsageError(f"{what}: directory {directory} does not exist")
    try:
        probe = directory / f".sendalloc-probe-{secrets.token_hex(4)}"
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        os.unlink(probe)
    except OSError as exc:
        raise _UsageError(
            f"{what}: cannot write in {directory} ({exc.strerror or exc})"
        ) from None


def _check_store(text: str) -> None:
    """Refuse a sweep store that cannot be created, before running."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise _UsageError(f"--store {text}: is a file; a sweep store is a directory")
    existing = path
    while not existing.exists():  # the store and missing parents are created
        existing = existing.parent
    if not existing.is_dir():
        raise _UsageError(f"--store {text}: {existing} is not a directory")
    _check_writable_dir(existing, f"--store {text}")
    if path.suffix.lower() == ".parquet":
        _require("pyarrow", "parquet", f"--store {text} (Parquet)")


def _require(module: str, extra: str, why: str) -> None:
    """Refuse to start when an optional package the options need is missing."""
    import importlib.util

    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise _UsageError(
            f"{why} needs {module}, which is not installed: "
            f"pip install 'sendalloc[{extra}]'"
        )


def _check_plot_path(text: str) -> None:
    """--plot: matplotlib installed, and a file type it can write."""
    _require("matplotlib", "plot", "--plot")
    suffix = Path(text).suffix.lower().lstrip(".")
    if not suffix:
        return  # matplotlib writes its default format (PNG)
    from matplotlib.backend_bases import FigureCanvasBase

    types = FigureCanvasBase.get_supported_filetypes()
    if suffix not in types:
        raise _UsageError(
            f"--plot {text}: matplotlib cannot write .{suffix} files; use one of "
            + ", ".join(f".{t}" for t in sorted(types))
        )


def _connect(address: str) -> Any:
    """A dask.distributed client of ``address``, or a one-line error, quickly.

    dask's own client can wait for ever on a listener that is not a dask
    scheduler (a silent port, an HTTP server) or read its reply as a frame
    length (3 EiB). So first, under one overall timeout, open a connection and
    ask the other end who it is; only a scheduler that answers gets a client.
    """
    _require("distributed", "dask", "--scheduler")
    import asyncio
    import importlib

    comm: Any = importlib.import_module("distributed.comm")

    async def identity() -> Any:
        c = await comm.connect(address, timeout=_CONNECT_SECONDS)
        try:
            await c.write({"op": "identity", "reply": True})
            return await c.read()
        finally:
            c.abort()

    ident: Any = None
    reason = ""
    try:
        ident = asyncio.run(asyncio.wait_for(identity(), _CONNECT_SECONDS))
    except TimeoutError:
        reason = f"no dask answer within {_CONNECT_SECONDS:g} s"
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
        raise _UsageError(f"--scheduler {address}: not a dask scheduler ({reason})")
    dist: Any = importlib.import_module("distributed")
    return dist.Client(address, timeout=_CONNECT_SECONDS, set_as_default=False)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a positive integer, got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _seed(text: str) -> int:
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


def _share(text: str) -> float:
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


def _build_parser() -> argparse.ArgumentParser:
    from sendalloc import __version__

    parser = _Parser(
        prog="sendalloc",
        description="Simulate allocation of SEND placements from tailored lists.",
        epilog=f"Documentation: {DOCS_URL}",
    )
    parser.add_argument(
        "--version", action="version", version=f"sendalloc {__version__}"
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser(
        "run",
        help="simulate a scenario and compare mechanisms",
        description="Simulate many rounds of a scenario and compare mechanisms.",
        epilog=f"The output explained: {DOCS_URL}reading-results/\n"
        f"In-year and multi-year modes: {DOCS_URL}dynamics/",
    )
    run.add_argument(
        "scenario",
        nargs="?",
        default=DEFAULT_SCENARIO,
        help=f"preset name or TOML path (default: {DEFAULT_SCENARIO})",
    )
    run.add_argument(
        "--mechanism",
        "--mechanisms",
        "-m",
        action="append",
        metavar="NAME",
        help="mechanism to run, or status_quo (today's process); repeatable or "
        "comma-separated (default: first_available and the main alternatives)",
    )
    run.add_argument("--runs", "-n", type=_positive, default=1000, help="default 1000")
    run.add_argument("--seed", "-s", type=_seed, default=0, help="default 0")
    run.add_argument(
        "--workers",
        "-w",
        type=_positive,
        default=None,
        help="worker processes (default: one per core for 200+ runs)",
    )
    run.add_argument("--json", metavar="PATH", help="write the summary as JSON")
    run.add_argument("--csv", metavar="PATH", help="write the summary as CSV")
    run.add_argument("--plot", metavar="PATH", help="write figures (PNG, PDF, SVG)")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    run.add_argument(
        "--mode",
        choices=("annual", "in_year", "multi_year"),
        help="override the scenario's mode (default: the scenario's, annual for "
        "presets)",
    )
    run.add_argument("--years", type=_positive, help="years of a multi_year projection")
    run.add_argument(
        "--uncertainty",
        choices=("none", "assumptions", "layout", "assumptions+layout"),
        default="none",
        help="what each run draws besides its children: the scenario's "
        "[uncertainty] ranges, a new layout of settings, or both (default none: "
        f"ranges over simulated rounds only); see {DOCS_URL}uncertainty/",
    )

    sub.add_parser("scenarios", help="list the built-in scenarios")

    gap = sub.add_parser(
        "gap",
        help="capacity gap of a scenario",
        description="Max-flow bound on placements, bottlenecks and places needed.",
        epilog=f"The capacity gap explained: {DOCS_URL}reading-results/",
    )
    gap.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO)
    gap.add_argument("--runs", "-n", type=_positive, default=100, help="default 100")
    gap.add_argument("--seed", "-s", type=_seed, default=0)
    gap.add_argument(
        "--target",
        type=_share,
        default=0.9,
        help="target share for the places-needed search (default 0.9)",
    )
    gap.add_argument(
        "--metric",
        default="placed_on_list",
        help="metric to bring to the target (default placed_on_list)",
    )
    gap.add_argument("--by", choices=("kind", "need"), default="kind")
    _add_sweep_parser(sub)
    _add_report_parser(sub)
    _add_sensitivity_parser(sub)
    return parser


def _targets(text: str) -> tuple[float, ...]:
    """``0.9,0.95`` (or percentages, or ``none``) as a tuple of shares."""
    if text.strip().lower() == "none":
        return ()
    return tuple(_share(part) for part in text.split(","))


def _add_report_parser(sub: Any) -> None:
    rep = sub.add_parser(
        "report",
        help="write the achievability report: one self-contained HTML page",
        description="Simulate a scenario and write one HTML page that needs no "
        "network to read: the verdict, today versus the proposal, the children "
        "who need specialist provision by need and phase, the places needed, "
        "the assumptions with their sources, and how to reproduce it.",
        epilog=f"The report explained: {DOCS_URL}report/",
    )
    rep.add_argument(
        "scenario",
        nargs="?",
        default=DEFAULT_SCENARIO,
        help=f"preset name or TOML path (default: {DEFAULT_SCENARIO})",
    )
    rep.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help="the HTML page (default: SCENARIO.html in the current directory)",
    )
    rep.add_argument("--json", metavar="PATH", help="also write the page's data")
    rep.add_argument("--runs", "-n", type=_positive, default=1000, help="default 1000")
    rep.add_argument("--seed", "-s", type=_seed, default=0, help="default 0")
    rep.add_argument(
        "--mechanism",
        "-m",
        action="append",
        metavar="NAME",
        help="rule to run (repeatable; default: the proposal and the main "
        "alternatives)",
    )
    rep.add_argument(
        "--gap-target",
        type=_targets,
        default=(0.9,),
        metavar="T[,T...]",
        help="share(s) of children to place on their lists, for the places "
        "needed (default 0.9; 'none' to skip)",
    )
    rep.add_argument(
        "--gap-runs",
        type=_positive,
        default=100,
        help="rounds for the places needed (default 100)",
    )
    rep.add_argument(
        "--workers",
        "-w",
        type=_positive,
        default=None,
        help="worker processes (default: one per core for 200+ runs)",
    )
    rep.add_argument("--no-progress", action="store_true", help="no progress bar")


def _mechanisms(given: Sequence[str] | None) -> list[str] | None:
    """The names of ``--mechanism`` (repeatable, comma-separated), each checked."""
    from sendalloc.mechanisms import MECHANISMS
    from sendalloc.simulate import POLICIES

    names = [n for m in given or () for n in m.split(",") if n]
    for m in names:
        if m not in MECHANISMS and m not in POLICIES:
            raise _UsageError(
                f"unknown mechanism {m!r}; valid names: "
                + ", ".join(sorted(MECHANISMS))
                + "; policies: "
                + ", ".join(sorted(POLICIES))
            )
    return names or None


def _cmd_report(args: argparse.Namespace, err: TextIO) -> int:
    import re

    from sendalloc.report import achievability_report, write_report
    from sendalloc.simulate import simulate

    mechs = _mechanisms(args.mechanism)
    scen = _scenario(args.scenario)
    output = args.output or re.sub(r"[^A-Za-z0-9_.-]+", "_", scen.name) + ".html"
    outputs = _Outputs(output=output, json=args.json)
    outputs.check()
    quiet = args.no_progress
    with _compile_notice(err, quiet):
        executor = _executor(
            _workers(args.workers, args.runs),
            lambda: simulate(scen, mechs, runs=1, seed=args.seed),
            mechs,
        )
        progress = None if quiet else _progress_bar(err, str(scen.name))
        try:
            doc = achievability_report(
                scen,
                runs=args.runs,
                seed=args.seed,
                mechanisms=mechs,
                gap_targets=args.gap_target,
                gap_runs=args.gap_runs,
                executor=executor,
                progress=progress,
            )
        finally:
            if executor is not None:
                executor.shutdown(cancel_futures=True)
    outputs.write("output", lambda path: write_report(doc, path))
    err.write(f"wrote {output}\n")
    if args.json:
        outputs.write("json", lambda path: write_report(doc, None, json_path=path))
        err.write(f"wrote {args.json}\n")
    return 0


def _add_sensitivity_parser(sub: Any) -> None:
    se = sub.add_parser(
        "sensitivity",
        help="rank the scenario's uncertain assumptions (Sobol or Morris)",
        description="Global sensitivity analysis of the scenario's [uncertainty] "
        "ranges (needs the sensitivity extra: SALib).",
        epilog=f"The method and the county's ranking: {DOCS_URL}sensitivity/",
    )
    se.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO)
    se.add_argument("--method", choices=("sobol", "morris"), default="sobol")
    se.add_argument(
        "--measure",
        action="append",
        metavar="M",
        help="metric, or metric[by=group], e.g. unplaced[need=SLD] (repeatable; "
        "default unplaced)",
    )
    se.add_argument("--mechanism", "-m", default="first_available", metavar="NAME")
    se.add_argument(
        "--samples",
        type=_positive,
        default=None,
        help="Sobol base samples, a power of 2 (default 64); Morris trajectories "
        "(default 20)",
    )
    se.add_argument(
        "--runs", "-n", type=_positive, default=4, help="rounds per evaluation (4)"
    )
    se.add_argument(
        "--groups",
        choices=("key", "theme", "dimension"),
        default="key",
        help="what the indices are of: each [uncertainty] entry (default), each "
        "theme, or each number drawn",
    )
    se.add_argument(
        "--parameter",
        action="append",
        metavar="PATTERN",
        help="vary only the keys matching this pattern (repeatable; e.g. 'lists.*')",
    )
    se.add_argument("--seed", "-s", type=_seed, default=0, help="default 0")
    se.add_argument("--workers", "-w", type=_positive, default=None)
    se.add_argument("--top", type=_positive, default=25, help="rows shown (25)")
    se.add_argument("--json", metavar="PATH", help="write the indices as JSON")
    se.add_argument("--csv", metavar="PATH", help="write the indices as CSV")
    se.add_argument("--plot", metavar="PATH", help="write the tornado figure")
    se.add_argument("--no-progress", action="store_true", help="no progress bar")


def _add_sweep_parser(sub: Any) -> None:
    sw = sub.add_parser(
        "sweep",
        help="simulate a grid of scenario variants (resumable, local or dask)",
        description="Simulate every combination of the --set values.",
        epilog=f"Parameter sweeps explained: {DOCS_URL}sweeps/",
    )
    sw.add_argument("scenario", help="preset name or TOML path")
    sw.add_argument(
        "--set",
        dest="grid",
        action="append",
        default=[],
        metavar="KEY=V1,V2,...",
        help="a dotted scenario key and its values (repeatable; values as in TOML)",
    )
    sw.add_argument("--mechanism", "-m", action="append", metavar="NAME")
    sw.add_argument("--runs", "-n", type=_positive, default=1000, help="per variant")
    sw.add_argument("--seed", "-s", type=_seed, default=0, help="default 0")
    sw.add_argument("--store", metavar="PATH", help="resumable results directory")
    sw.add_argument("--csv", metavar="PATH", help="write the summary table as CSV")
    sw.add_argument("--chunk-size", type=_positive, default=None, help="runs per unit")
    where = sw.add_mutually_exclusive_group()
    where.add_argument("--scheduler", metavar="ADDRESS", help="a dask scheduler")
    where.add_argument("--workers", "-w", type=_positive, default=None)
    sw.add_argument("--no-progress", action="store_true", help="no progress bar")


def _grid_values(text: str) -> list[Any]:
    """Split ``a,b,[c,d]`` at top-level commas; read each part as a TOML value."""
    import tomllib

    parts: list[str] = []
    depth, cur, quote = 0, "", ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts, cur = [*parts, cur], ""
            continue
        cur += ch
    out = []
    for part in [*parts, cur]:
        part = part.strip()
        try:
            out.append(tomllib.loads(f"v = {part}")["v"])
        except tomllib.TOMLDecodeError:
            out.append(part)  # a bare word: a string
    return out


def _cmd_sweep(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sendalloc.simulate import simulate
    from sendalloc.sweep import sweep

    grid: dict[str, list[Any]] = {}
    for item in args.grid:
        key, eq, values = item.partition("=")
        if not eq or not key.strip() or not values.strip():
            raise _UsageError(f"--set: expected KEY=V1,V2,..., got {item!r}")
        if key.strip() in grid:
            raise _UsageError(f"--set: {key.strip()} given twice")
        grid[key.strip()] = _grid_values(values)
    outputs = _Outputs(csv=args.csv)
    outputs.check()
    if args.store:
        _check_store(args.store)
    scen = _scenario(args.scenario)
    variants = 1
    for vals in grid.values():
        variants *= len(vals)
    close: Callable[[], object] | None = None
    executor: Executor | None = None
    quiet = args.no_progress
    with _compile_notice(err, quiet):
        if args.scheduler:
            client = _connect(args.scheduler)
            executor = client.get_executor()
            close = client.close
        else:
            modes = {str(m) for m in grid.get("mode", [])}

            def warm_up() -> None:  # one run of each mode the grid has
                simulate(scen, args.mechanism, runs=1, seed=args.seed)
                for mode in sorted(modes - {scen.mode}):
                    variant = scen.with_overrides({"mode": mode})
                    simulate(variant, args.mechanism, runs=1, seed=args.seed)

            workers = _workers(args.workers, args.runs * variants)
            executor = _executor(workers, warm_up, args.mechanism)
        label = f"{scen.name}: {variants} variants"
        progress = None if quiet else _progress_bar(err, label)
        try:
            result = sweep(
                scen,
                grid,
                mechanisms=args.mechanism,
                runs=args.runs,
                seed=args.seed,
                executor=executor,
                store=args.store,
                progress=progress,
                chunk_size=args.chunk_size,
            )
        finally:
            if close is not None:  # a dask client: its executor has no cancel_futures
                try:
                    if executor is not None:
                        executor.shutdown(wait=False)
                finally:
                    close()
            elif executor is not None:
                executor.shutdown(cancel_futures=True)
    if args.csv:
        outputs.write("csv", result.to_csv)
        err.write(f"wrote {args.csv}\n")
    out.write(result.table() + "\n")
    return 0


def _cmd_run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sendalloc.simulate import simulate

    mechs = _mechanisms(args.mechanism)
    outputs = _Outputs(json=args.json, csv=args.csv, plot=args.plot)
    outputs.check()
    if args.plot:
        _check_plot_path(args.plot)
    scen = _scenario(args.scenario)
    overrides: dict[str, object] = {}
    if args.mode:
        overrides["mode"] = args.mode
    if args.years:
        overrides["dynamics.years"] = args.years
    if overrides:
        scen = scen.with_overrides(overrides)
    quiet = args.no_progress
    with _compile_notice(err, quiet):
        executor = _executor(
            _workers(args.workers, args.runs),
            lambda: simulate(scen, mechs, runs=1, seed=args.seed),
            mechs,
        )
        progress = None if quiet else _progress_bar(err, str(scen.name))
        try:
            result = simulate(
                scen,
                mechs,
                runs=args.runs,
                seed=args.seed,
                executor=executor,
                progress=progress,
                uncertainty=args.uncertainty,
            )
        finally:
            if executor is not None:
                executor.shutdown(cancel_futures=True)
    # Files first: a reader of standard output that goes away early (| head)
    # must not cost them.
    for opt, write in (
        ("json", result.to_json),
        ("csv", result.to_csv),
        ("plot", result.plot),
    ):
        if opt in outputs.paths:
            outputs.write(opt, write)
            err.write(f"wrote {outputs.paths[opt]}\n")
    out.write(textwrap.fill(result.headline(), width=88) + "\n\n")
    out.write(result.table() + "\n")
    return 0


def _cmd_sensitivity(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sendalloc.sensitivity import sensitivity
    from sendalloc.simulate import simulate

    _require("SALib", "sensitivity", "sendalloc sensitivity")
    outputs = _Outputs(json=args.json, csv=args.csv, plot=args.plot)
    outputs.check()
    if args.plot:
        _check_plot_path(args.plot)
    _mechanisms([args.mechanism])
    scen = _scenario(args.scenario)
    quiet = args.no_progress
    with _compile_notice(err, quiet):
        # a sensitivity analysis is thousands of runs: a process per core
        executor = _executor(
            _workers(args.workers, 1000),
            lambda: simulate(scen, [args.mechanism], runs=1, seed=args.seed),
            [args.mechanism],
        )
        label = f"{scen.name}: {args.method}"
        progress = None if quiet else _progress_bar(err, label)
        try:
            result = sensitivity(
                scen,
                args.measure,
                method=args.method,
                mechanism=args.mechanism,
                samples=args.samples,
                runs=args.runs,
                groups=args.groups,
                parameters=args.parameter,
                seed=args.seed,
                executor=executor,
                progress=progress,
            )
        except ImportError as exc:
            raise _UsageError(str(exc)) from None
        finally:
            if executor is not None:
                executor.shutdown(cancel_futures=True)
    for opt, write in (
        ("json", result.to_json),
        ("csv", result.to_csv),
        ("plot", result.plot),
    ):
        if opt in outputs.paths:
            outputs.write(opt, write)
            err.write(f"wrote {outputs.paths[opt]}\n")
    out.write(result.table(top=args.top) + "\n")
    return 0


def _cmd_scenarios(out: TextIO) -> int:
    from sendalloc.scenario import list_scenarios

    presets = list_scenarios()
    width = max((len(k) for k in presets), default=0)
    for name, line in presets.items():
        out.write(f"{name.ljust(width)}  {line}\n")
    return 0


def _cmd_gap(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sendalloc.capacity import TARGET_METRICS, gap_summary, places_needed

    if args.metric not in TARGET_METRICS:
        raise _UsageError(
            f"--metric: expected one of {', '.join(TARGET_METRICS)}, "
            f"got {args.metric!r}"
        )
    scen = _scenario(args.scenario)
    with _compile_notice(err, quiet=False):
        summary = gap_summary(scen, runs=args.runs, seed=args.seed)
        out.write(summary.text() + "\n\n")
        try:
            need = places_needed(
                scen,
                args.target,
                metric=args.metric,
                by=args.by,
                runs=args.runs,
                seed=args.seed,
            )
        except ValueError as exc:
            out.write(f"Places needed: {exc}\n")
        else:
            out.write(need.text() + "\n")
    return 0


def _silence_stdout() -> None:
    """Point the stdout file descriptor at devnull after a broken pipe.

    Python flushes ``sys.stdout`` at exit; without this the leftover buffer
    raises BrokenPipeError again there and Python prints "Exception ignored"
    (the recipe of the Python docs' "Note on SIGPIPE", in the signal module).
    """
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # replaced by a non-file
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``sendalloc`` command; return its exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        0 on success, 2 on bad input (one line on stderr, no traceback), 141 if
        standard output was closed by its reader (nothing on stderr).

    Examples
    --------
    >>> main(["run", "county", "--mechanism", "first_come", "--no-progress"])
    2
    """
    from sendalloc.errors import SendallocError

    # A closed standard stream is None in Python: write nowhere, do not crash.
    out: TextIO = sys.stdout if sys.stdout is not None else io.StringIO()
    err: TextIO = sys.stderr if sys.stderr is not None else io.StringIO()
    try:
        args = _build_parser().parse_args(argv)
        if args.command == "run":
            code = _cmd_run(args, out, err)
        elif args.command == "scenarios":
            code = _cmd_scenarios(out)
        elif args.command == "sweep":
            code = _cmd_sweep(args, out, err)
        elif args.command == "report":
            code = _cmd_report(args, err)
        elif args.command == "sensitivity":
            code = _cmd_sensitivity(args, out, err)
        else:
            code = _cmd_gap(args, out, err)
        out.flush()  # a closed pipe fails here, not at interpreter exit
        return code
    except BrokenPipeError:  # the reader went away (| head): stop quietly
        _silence_stdout()
        return _SIGPIPE_STATUS
    except (_UsageError, SendallocError, ValueError, OSError) as exc:
        msg = str(exc) or type(exc).__name__
        if isinstance(exc, OSError) and exc.filename and exc.strerror:
            msg = f"{exc.filename}: {exc.strerror}"
        err.write(f"sendalloc: error: {msg.splitlines()[0] if msg else msg}\n")
        return 2
    except KeyboardInterrupt:
        err.write("sendalloc: interrupted\n")
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
