from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sendalloc.cli import main

SMALL = "london_borough"  # the smallest preset: fast


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_run_prints_headline_and_table(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    js, cs, png = tmp_path / "r.json", tmp_path / "r.csv", tmp_path / "r.png"
    code, out, err = run(
        capsys,
        "run",
        SMALL,
        "--runs",
        "6",
        "--seed",
        "4",
        "-m",
        "first_available",
        "-m",
        "random_serial_dictatorship",
        "--json",
        str(js),
        "--csv",
        str(cs),
        "--plot",
        str(png),
    )
    assert code == 0, err
    # The headline leads with the children who need specialist provision.
    assert out.startswith(f"Under {SMALL}, of the ")
    assert "who need specialist provision" in out.split(".")[0]
    assert "first preference %" in out
    assert "RSD" in out
    assert "6/6 runs" in err  # progress bar on stderr
    doc = json.loads(js.read_text())
    assert doc["runs"] == 6
    assert doc["seed"] == 4
    assert doc["scenario"] == SMALL
    assert list(doc["results"]) == ["first_available", "random_serial_dictatorship"]
    stats = doc["results"]["first_available"]["first_preference"]
    assert set(stats) == {"mean", "ci_low", "ci_high", "se"}
    assert {"by_need", "by_kind", "by_phase", "rank_profile"} <= set(doc)
    assert cs.read_text().startswith("section,mechanism,group,metric,")
    assert png.stat().st_size > 1000


def test_run_same_seed_same_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    args = ["run", SMALL, "--runs", "5", "-m", "first_available", "--no-progress"]
    assert main([*args, "--json", str(a)]) == 0
    assert main([*args, "--json", str(b), "--workers", "2"]) == 0
    _, err = capsys.readouterr()
    assert "runs" not in err.replace(str(a), "").replace(str(b), "")  # no progress
    assert a.read_bytes() == b.read_bytes()


def test_scenarios(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "scenarios")
    assert code == 0
    lines = out.splitlines()
    assert any(line.startswith("county ") for line in lines)
    assert all(len(line.split(None, 1)) == 2 for line in lines)


def test_gap(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "gap", SMALL, "--runs", "4", "--target", "95")
    assert code == 0, err
    assert "max-flow bound" in out
    assert "Extra places for placed_on_list to reach 95%" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "no_such_preset"], "unknown scenario 'no_such_preset'"),
        (["run", "/no/such/file.toml"], "/no/such/file.toml"),
        (["run", SMALL, "--mechanism", "first_come"], "unknown mechanism 'first_come'"),
        (["run", SMALL, "--runs", "0"], "--runs"),
        (["run", SMALL, "--seed", "x"], "--seed"),
        (["gap", SMALL, "--metric", "joy"], "--metric: expected one of"),
        (["gap", SMALL, "--target", "150"], "--target"),
        (["dance"], "invalid choice"),
        ([], "required: command"),
    ],
)
def test_errors_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("sendalloc: error: ")
    assert message in err
    assert "Traceback" not in err


def test_bad_toml(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("name = [\n")
    code, _, err = run(capsys, "run", str(bad))
    assert code == 2
    assert str(bad) in err
    assert err.count("\n") == 1


def test_python_m_entry_point(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "sendalloc", "run", SMALL, "-m", "nope"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("sendalloc: error: unknown mechanism 'nope'")
    assert "Traceback" not in proc.stderr
    ok = subprocess.run(
        [
            sys.executable,
            "-m",
            "sendalloc",
            "run",
            SMALL,
            "--runs",
            "2",
            "-m",
            "first_available",
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert "first preference" in ok.stdout


@pytest.mark.parametrize(
    "argv",
    [
        ["scenarios"],
        ["run", SMALL, "--runs", "2", "-m", "first_available", "--no-progress"],
    ],
)
def test_closed_stdout_exits_quietly(argv: list[str]) -> None:
    # `sendalloc ... | head -3`: the reader closes its end early. Closing it
    # before the command starts makes the broken pipe certain (a reader that
    # waits for a line races the command filling the pipe buffer).
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "sendalloc", *argv],
            stdout=write_end,
            stderr=subprocess.PIPE,
            check=False,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert proc.stderr.decode() == ""  # no "Broken pipe", no "Exception ignored"
    assert proc.returncode == 141  # 128 + SIGPIPE, as a shell reports `yes | head`


class _ClosedPipe(io.StringIO):
    def write(self, s: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_broken_pipe_in_process(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    assert main(["scenarios"]) == 141
    assert capsys.readouterr().err == ""
