"""The command line on real machines: output paths, extras, schedulers, logs.

Each test reproduces a failure reported against the command (issue 15) and
checks that it is refused before anything runs, or handled.
"""

from __future__ import annotations

import http.server
import importlib.util
import io
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sendalloc._cli import common as cli_common
from sendalloc.cli import main

# The package re-exports functions of these names: reach the modules.
simulate_module = importlib.import_module("sendalloc.simulate")
sweep_module = importlib.import_module("sendalloc.sweep")

SMALL = "london_borough"
RUN = ["run", SMALL, "--runs", "4", "-m", "first_available", "--workers", "1"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def no_simulation(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Make any simulation fail the test: errors must come before running."""
    calls: list[object] = []

    def forbidden(*args: object, **kwargs: object) -> None:
        calls.append(args)
        raise AssertionError("simulated before checking the command line")

    monkeypatch.setattr(simulate_module, "simulate", forbidden)
    monkeypatch.setattr(sweep_module, "sweep", forbidden)
    return calls


# --------------------------------------------------------------------------- paths
@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--json", "{missing}/r.json"], "--json {missing}/r.json: directory"),
        (["--csv", "{missing}/r.csv"], "--csv {missing}/r.csv: directory"),
        (["--plot", "{missing}/r.png"], "--plot {missing}/r.png: directory"),
        (["--json", "{tmp}"], "is a directory"),
        (["--json", "{tmp}/a", "--csv", "{tmp}/a"], "the same file as --json"),
        (["--plot", "{tmp}/r.docx"], "matplotlib cannot write .docx files"),
        (["--json", "/proc/r.json"], "cannot write in /proc"),
    ],
)
def test_bad_output_path_is_refused_before_running(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    no_simulation: list[object],
    options: list[str],
    message: str,
) -> None:
    if "/proc" in message and not Path("/proc/self").exists():
        pytest.skip("no /proc: no directory that even root cannot write")
    fill = {"missing": str(tmp_path / "no" / "such"), "tmp": str(tmp_path)}
    good = tmp_path / "good.csv"
    argv = [*RUN, *(o.format(**fill) for o in options)]
    if "--csv" not in options:
        argv += ["--csv", str(good)]  # a good output beside the bad one
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert message.format(**fill) in err
    assert err.count("\n") == 1
    assert err.startswith("sendalloc: error: ")
    assert out == ""
    assert no_simulation == []
    assert not good.exists()


def test_sweep_output_paths_are_refused_before_running(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, no_simulation: list[object]
) -> None:
    sweep = ["sweep", SMALL, "--set", "lists.max_length=3", "--runs", "2"]
    code, _, err = run(capsys, *sweep, "--csv", str(tmp_path / "no" / "s.csv"))
    assert code == 2
    assert "--csv" in err
    assert "does not exist" in err
    afile = tmp_path / "afile"
    afile.write_text("x")
    code, _, err = run(capsys, *sweep, "--store", str(afile))
    assert code == 2
    assert "--store" in err
    assert "is a file" in err
    code, _, err = run(capsys, *sweep, "--store", str(afile / "below"))
    assert code == 2
    assert "--store" in err
    assert "not a directory" in err
    assert no_simulation == []


def test_outputs_are_written_atomically(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    js = tmp_path / "r.json"
    js.write_text('{"old": true}')

    def half_then_fail(self: object, path: str) -> None:
        Path(path).write_text('{"runs": ')
        raise OSError(28, "No space left on device", path)

    monkeypatch.setattr(simulate_module.SimulationResult, "to_json", half_then_fail)
    code, _, err = run(capsys, *RUN, "--json", str(js))
    assert code == 2
    assert err.endswith(f"\nsendalloc: error: {js}: No space left on device\n")
    assert json.loads(js.read_text()) == {"old": True}  # the old file, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]  # no leftovers


def test_outputs_keep_the_usual_permissions(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    js = tmp_path / "r.json"
    assert main([*RUN, "--no-progress", "--json", str(js)]) == 0
    capsys.readouterr()
    umask = os.umask(0)
    os.umask(umask)
    assert js.stat().st_mode & 0o777 == 0o666 & ~umask
    assert json.loads(js.read_text())["runs"] == 4


# --------------------------------------------------------------------------- extras
def test_missing_matplotlib_is_named_before_running(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_simulation: list[object],
) -> None:
    real = importlib.util.find_spec

    def without_matplotlib(name: str, *args: Any) -> Any:
        return None if name.split(".")[0] == "matplotlib" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", without_matplotlib)
    code, _, err = run(capsys, *RUN, "--plot", str(tmp_path / "r.png"))
    assert code == 2
    assert "--plot needs matplotlib" in err
    assert "pip install 'sendalloc[plot]'" in err
    assert no_simulation == []


def test_missing_distributed_is_named_before_running(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    no_simulation: list[object],
) -> None:
    real = importlib.util.find_spec

    def without(name: str, *args: Any) -> Any:
        return None if name.split(".")[0] == "distributed" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", without)
    sweep = ["sweep", SMALL, "--set", "lists.max_length=3", "--runs", "2"]
    code, _, err = run(capsys, *sweep, "--scheduler", "127.0.0.1:1")
    assert code == 2
    assert "pip install 'sendalloc[dask]'" in err
    assert no_simulation == []


def test_missing_pyarrow_for_a_parquet_store_is_named_before_running(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_simulation: list[object],
) -> None:
    real = importlib.util.find_spec

    def without(name: str, *args: Any) -> Any:
        return None if name.split(".")[0] == "pyarrow" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", without)
    sweep = ["sweep", SMALL, "--set", "lists.max_length=3", "--runs", "2"]
    code, _, err = run(capsys, *sweep, "--store", str(tmp_path / "s.parquet"))
    assert code == 2
    assert "needs pyarrow" in err
    assert "pip install 'sendalloc[parquet]'" in err
    assert no_simulation == []


# --------------------------------------------------------------------------- schedulers
def _serve(handler: Callable[[socket.socket], None]) -> Iterator[str]:
    """A listener on 127.0.0.1 calling ``handler`` per connection; its address."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    srv.settimeout(0.2)
    stop = threading.Event()
    conns: list[socket.socket] = []

    def loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = srv.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conns.append(conn)
            threading.Thread(target=handler, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{srv.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        for c in conns:
            c.close()
        srv.close()


def _silent(conn: socket.socket) -> None:
    time.sleep(30)  # accepts, reads nothing, says nothing


def _garbage(conn: socket.socket) -> None:
    try:
        conn.recv(65536)
        # Read as a dask frame header this is a length of about 3 EiB.
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n" + os.urandom(256))
        time.sleep(30)
    except OSError:
        pass


class _QuietHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[str]:
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _QuietHandler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.mark.parametrize("kind", ["silent", "garbage", "http", "closed_port"])
def test_scheduler_that_is_not_dask_fails_fast(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    no_simulation: list[object],
    http_server: str,
    kind: str,
) -> None:
    pytest.importorskip("distributed")
    monkeypatch.setattr(cli_common, "CONNECT_SECONDS", 3.0)
    servers: dict[str, Callable[[], Iterator[str]]] = {
        "silent": lambda: _serve(_silent),
        "garbage": lambda: _serve(_garbage),
    }
    sweep = ["sweep", SMALL, "--set", "lists.max_length=3", "--runs", "2"]
    with _context(servers.get(kind)) as address:
        if kind == "http":
            address = http_server
        elif kind == "closed_port":
            address = _closed_port()
        start = time.monotonic()
        code, _, err = run(capsys, *sweep, "--scheduler", address, "--no-progress")
        took = time.monotonic() - start
    assert code == 2, err
    assert err.startswith(f"sendalloc: error: --scheduler {address}: not a dask")
    assert err.count("\n") == 1
    assert "EiB" not in err
    assert took < 3.0 + 10  # the timeout, and a margin for a loaded machine
    assert no_simulation == []


def _closed_port() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    return f"127.0.0.1:{port}"


class _context:
    """``with`` over an optional generator-based server."""

    def __init__(self, make: Callable[[], Iterator[str]] | None) -> None:
        self.gen = make() if make else None

    def __enter__(self) -> str:
        return next(self.gen) if self.gen else ""

    def __exit__(self, *exc: object) -> None:
        if self.gen:
            for _ in self.gen:
                pass


# --------------------------------------------------------------------------- progress
class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_in_a_log_is_plain_lines(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cli_common, "PLAIN_PROGRESS_SECONDS", 0.0)
    code, _, err = run(capsys, *RUN[:3], "12", *RUN[4:])
    assert code == 0
    assert "\r" not in err
    lines = [ln for ln in err.splitlines() if "runs" in ln]
    assert len(lines) >= 2  # periodic, not only at the end
    assert all(re.fullmatch(rf"{SMALL}: \d+/12 runs \d+\.\d s", ln) for ln in lines)
    assert lines[-1].startswith(f"{SMALL}: 12/12 runs")


def test_progress_on_a_terminal_redraws_a_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    term = _Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    assert main(RUN) == 0
    frames = term.getvalue().split("\r")
    assert frames[-1].startswith(f"{SMALL} [##############################] 4/4 runs")
    assert frames[-1].endswith(" s\n")  # the last frame ends the line


# --------------------------------------------------------------------- closed streams
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell redirections")
@pytest.mark.parametrize("closed", ["stdout", "stderr"])
def test_closed_standard_stream(tmp_path: Path, closed: str) -> None:
    js = tmp_path / "r.json"
    fd = 1 if closed == "stdout" else 2
    proc = subprocess.run(
        [
            "sh",
            "-c",
            f'exec "$0" "$@" {fd}>&-',
            sys.executable,
            "-m",
            "sendalloc",
            *RUN,
            "--json",
            str(js),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "AttributeError" not in proc.stderr
    assert json.loads(js.read_text())["runs"] == 4


# --------------------------------------------------------------------------- cold start
def test_first_run_says_it_compiles_once_and_workers_do_not_compile(
    tmp_path: Path,
) -> None:
    """A cold cache: one notice; every kernel compiled (and saved) once, by the parent.

    NUMBA_DEBUG_CACHE makes numba print a line each time it saves a compiled
    kernel: with two workers that each compiled, every kernel would be saved
    by each of them.
    """
    env = {
        **os.environ,
        "NUMBA_CACHE_DIR": str(tmp_path / "cache"),
        "NUMBA_DEBUG_CACHE": "1",
    }
    argv = [sys.executable, "-m", "sendalloc", "run", SMALL, "--runs", "200"]
    argv += ["-m", "first_available", "-m", "boston", "--workers", "2"]
    cold = subprocess.run(
        argv, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert cold.returncode == 0, cold.stderr
    assert cold.stderr.count("compiling kernels (first run only)") == 1
    assert cold.stderr.index("compiling kernels") < cold.stderr.index("runs")
    saved = re.findall(r"\[cache\] data saved to .*?(\w+_kernel)", cold.stdout)
    assert "boston_kernel" in saved
    assert len(saved) == len(set(saved)), saved
    warm = subprocess.run(
        argv, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert warm.returncode == 0, warm.stderr
    assert "compiling kernels" not in warm.stderr
    assert re.findall(r"\[cache\] data saved", warm.stdout) == []
