"""The ``sendalloc`` command.

Usage:

    sendalloc run [SCENARIO] [--mechanism NAME[,NAME...] ...] [--runs N] [--seed S]
                  [--workers N] [--json PATH] [--csv PATH] [--plot PATH]
                  [--no-progress] [--mode annual|in_year|multi_year] [--years N]
                  [--uncertainty none|assumptions|layout|assumptions+layout]
    sendalloc scenarios
    sendalloc gap [SCENARIO] [--runs N] [--seed S] [--target T] [--metric M]
                  [--group specialist|all|not_specialist] [--by kind|need]
                  [--json PATH] [--csv PATH]
    sendalloc sweep SCENARIO --set KEY=V1,V2,... [--set ...] [--runs N] [--seed S]
                  [--mechanism NAME ...] [--store PATH] [--csv PATH]
                  [--scheduler ADDRESS | --workers N] [--chunk-size N]
    sendalloc report [SCENARIO] [-o PATH] [--json PATH] [--runs N] [--seed S]
                  [--mechanism NAME ...] [--gap-target T[,T...]|none]
                  [--gap-group specialist|all|not_specialist]
                  [--gap-runs N] [--sensitivity PATH] [--workers N]
                  [--no-progress]
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

The parser and each command's handler live in ``sendalloc/_cli/``, one module
per command (``run.py``, ``gap.py``, ``sweep.py``, ``report.py``, ...).
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from sendalloc._cli.common import DEFAULT_SCENARIO as DEFAULT_SCENARIO
from sendalloc._cli.common import DOCS_URL as DOCS_URL
from sendalloc._cli.common import UsageError
from sendalloc._cli.gap import gap_command
from sendalloc._cli.parser import build_parser
from sendalloc._cli.report import report_command
from sendalloc._cli.run import run_command
from sendalloc._cli.scenarios import scenarios_command
from sendalloc._cli.sensitivity import sensitivity_command
from sendalloc._cli.sweep import sweep_command

__all__ = ["main"]

_SIGPIPE_STATUS = 128 + 13  # what a shell reports for a tool killed by SIGPIPE


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
        args = build_parser().parse_args(argv)
        if args.command == "run":
            code = run_command(args, out, err)
        elif args.command == "scenarios":
            code = scenarios_command(out)
        elif args.command == "sweep":
            code = sweep_command(args, out, err)
        elif args.command == "report":
            code = report_command(args, err)
        elif args.command == "sensitivity":
            code = sensitivity_command(args, out, err)
        else:
            code = gap_command(args, out, err)
        out.flush()  # a closed pipe fails here, not at interpreter exit
        return code
    except BrokenPipeError:  # the reader went away (| head): stop quietly
        _silence_stdout()
        return _SIGPIPE_STATUS
    except (UsageError, SendallocError, ValueError, OSError) as exc:
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
