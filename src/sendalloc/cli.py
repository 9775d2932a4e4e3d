"""The ``sendalloc`` command.

::

    sendalloc run [SCENARIO] [--mechanism NAME ...] [--runs N] [--seed S]
                  [--workers N] [--json PATH] [--csv PATH] [--plot PATH]
                  [--no-progress] [--mode annual|in_year|multi_year] [--years N]
                  [--uncertainty none|assumptions|layout|assumptions+layout]
    sendalloc scenarios
    sendalloc gap [SCENARIO] [--runs N] [--seed S] [--target T] [--metric M]
                  [--by kind|need]
    sendalloc sweep SCENARIO --set KEY=V1,V2,... [--set ...] [--runs N] [--seed S]
                  [--mechanism NAME ...] [--store PATH] [--csv PATH]
                  [--scheduler ADDRESS | --workers N] [--chunk-size N]
    sendalloc sensitivity [SCENARIO] [--method sobol|morris] [--measure M ...]
                  [--mechanism NAME] [--samples N] [--runs N]
                  [--groups key|theme|dimension] [--parameter PATTERN ...]
                  [--seed S] [--workers N] [--top K] [--json PATH] [--csv PATH]
                  [--plot PATH] [--no-progress]

``SCENARIO`` is a preset name (default ``county``) or a path to a TOML file.
Bad input (an unknown scenario or mechanism, a malformed TOML file) prints one
line on stderr and exits with status 2. If the reader of standard output goes
away early (``sendalloc run | head -3``) the command stops quietly with status
141, as a Unix tool killed by SIGPIPE would.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import Any, TextIO

__all__ = ["main"]

DEFAULT_SCENARIO = "county"
_SIGPIPE_STATUS = 128 + 13  # what a shell reports for a tool killed by SIGPIPE


class _UsageError(Exception):
    """A problem with the user's input: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # one line, status 2, like every error here
        raise _UsageError(message)


def _progress_bar(stream: TextIO, label: str) -> Callable[[int, int], None]:
    start = time.perf_counter()
    last = [0.0]

    def show(done: int, total: int) -> None:
        now = time.perf_counter()
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


def _executor(workers: int | None, runs: int) -> Executor | None:
    if workers is None:
        # Automatic: a process per core once the run is long enough to pay
        # for starting them (about a second).
        workers = (os.cpu_count() or 1) if runs >= 200 else 1
    if workers < 1:
        raise _UsageError(f"--workers: expected a positive integer, got {workers}")
    if workers == 1:
        return None
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=workers)


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
    )
    parser.add_argument(
        "--version", action="version", version=f"sendalloc {__version__}"
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser(
        "run",
        help="simulate a scenario and compare mechanisms",
        description="Simulate many rounds of a scenario and compare mechanisms.",
    )
    run.add_argument(
        "scenario",
        nargs="?",
        default=DEFAULT_SCENARIO,
        help=f"preset name or TOML path (default: {DEFAULT_SCENARIO})",
    )
    run.add_argument(
        "--mechanism",
        "-m",
        action="append",
        metavar="NAME",
        help="mechanism to run (repeatable; default: first_available and the main "
        "alternatives)",
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
        "presets); see docs/dynamics.md",
    )
    run.add_argument("--years", type=_positive, help="years of a multi_year projection")
    run.add_argument(
        "--uncertainty",
        choices=("none", "assumptions", "layout", "assumptions+layout"),
        default="none",
        help="what each run draws besides its children: the scenario's "
        "[uncertainty] ranges, a new layout of settings, or both (default none: "
        "ranges over simulated rounds only); see docs/uncertainty.md",
    )

    sub.add_parser("scenarios", help="list the built-in scenarios")

    gap = sub.add_parser(
        "gap",
        help="capacity gap of a scenario",
        description="Max-flow bound on placements, bottlenecks and places needed.",
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
    _add_sensitivity_parser(sub)
    return parser


def _add_sensitivity_parser(sub: Any) -> None:
    se = sub.add_parser(
        "sensitivity",
        help="rank the scenario's uncertain assumptions (Sobol or Morris)",
        description="Global sensitivity analysis of the scenario's [uncertainty] "
        "ranges (needs the sensitivity extra: SALib); see docs/sensitivity.md.",
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
        description="Simulate every combination of the --set values; see "
        "docs/sweeps.md.",
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
    from sendalloc.sweep import sweep

    grid: dict[str, list[Any]] = {}
    for item in args.grid:
        key, eq, values = item.partition("=")
        if not eq or not key.strip() or not values.strip():
            raise _UsageError(f"--set: expected KEY=V1,V2,..., got {item!r}")
        if key.strip() in grid:
            raise _UsageError(f"--set: {key.strip()} given twice")
        grid[key.strip()] = _grid_values(values)
    scen = _scenario(args.scenario)
    variants = 1
    for vals in grid.values():
        variants *= len(vals)
    close: Callable[[], object] | None = None
    if args.scheduler:
        import importlib

        try:
            dist: Any = importlib.import_module("distributed")
        except ImportError:
            raise _UsageError(
                "--scheduler needs dask.distributed: pip install 'sendalloc[dask]'"
            ) from None
        client = dist.Client(args.scheduler)
        executor: Executor | None = client.get_executor()
        close = client.close
    else:
        executor = _executor(args.workers, args.runs * variants)
    label = f"{scen.name}: {variants} variants"
    progress = None if args.no_progress else _progress_bar(err, label)
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
    out.write(result.table() + "\n")
    if args.csv:
        result.to_csv(args.csv)
        err.write(f"wrote {args.csv}\n")
    return 0


def _cmd_run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sendalloc.mechanisms import MECHANISMS
    from sendalloc.simulate import simulate

    mechs = args.mechanism
    if mechs:
        for m in mechs:
            if m not in MECHANISMS:
                raise _UsageError(
                    f"unknown mechanism {m!r}; valid names: "
                    + ", ".join(sorted(MECHANISMS))
                )
    scen = _scenario(args.scenario)
    overrides: dict[str, object] = {}
    if args.mode:
        overrides["mode"] = args.mode
    if args.years:
        overrides["dynamics.years"] = args.years
    if overrides:
        scen = scen.with_overrides(overrides)
    progress = None if args.no_progress else _progress_bar(err, str(scen.name))
    executor = _executor(args.workers, args.runs)
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
    out.write(textwrap.fill(result.headline(), width=88) + "\n\n")
    out.write(result.table() + "\n")
    if args.json:
        result.to_json(args.json)
        err.write(f"wrote {args.json}\n")
    if args.csv:
        result.to_csv(args.csv)
        err.write(f"wrote {args.csv}\n")
    if args.plot:
        result.plot(args.plot)
        err.write(f"wrote {args.plot}\n")
    return 0


def _cmd_sensitivity(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from sendalloc.sensitivity import sensitivity

    scen = _scenario(args.scenario)
    # a sensitivity analysis is thousands of runs: a process per core
    executor = _executor(args.workers, 1000)
    label = f"{scen.name}: {args.method}"
    progress = None if args.no_progress else _progress_bar(err, label)
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
    out.write(result.table(top=args.top) + "\n")
    if args.json:
        result.to_json(args.json)
        err.write(f"wrote {args.json}\n")
    if args.csv:
        result.to_csv(args.csv)
        err.write(f"wrote {args.csv}\n")
    if args.plot:
        try:
            result.plot(args.plot)
        except ImportError as exc:
            raise _UsageError(str(exc)) from None
        err.write(f"wrote {args.plot}\n")
    return 0


def _cmd_scenarios(out: TextIO) -> int:
    from sendalloc.scenario import list_scenarios

    presets = list_scenarios()
    width = max((len(k) for k in presets), default=0)
    for name, line in presets.items():
        out.write(f"{name.ljust(width)}  {line}\n")
    return 0


def _cmd_gap(args: argparse.Namespace, out: TextIO) -> int:
    from sendalloc.capacity import TARGET_METRICS, gap_summary, places_needed

    if args.metric not in TARGET_METRICS:
        raise _UsageError(
            f"--metric: expected one of {', '.join(TARGET_METRICS)}, "
            f"got {args.metric!r}"
        )
    scen = _scenario(args.scenario)
    out.write(gap_summary(scen, runs=args.runs, seed=args.seed).text() + "\n\n")
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

    out, err = sys.stdout, sys.stderr
    try:
        args = _build_parser().parse_args(argv)
        if args.command == "run":
            code = _cmd_run(args, out, err)
        elif args.command == "scenarios":
            code = _cmd_scenarios(out)
        elif args.command == "sweep":
            code = _cmd_sweep(args, out, err)
        elif args.command == "sensitivity":
            code = _cmd_sensitivity(args, out, err)
        else:
            code = _cmd_gap(args, out)
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
