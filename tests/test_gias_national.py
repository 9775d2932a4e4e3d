"""read_gias on a synthetic national file in the real layout (issue 15).

The file is written by `tests/gias_national.py` (50,000 rows, every type and
status, planted quirks) once per session; the generator says what each row is,
so every count and line below is checked against how the file was made, not
against the reader. Speed is measured by `benchmarks/read_gias.py`; here a
timeout only guards against a hang.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import sendalloc as sa
from sendalloc.io import GIAS_KINDS, SKIP_REASONS, read_gias
from sendalloc.population import KINDS, NEEDS

sys.path.insert(0, str(Path(__file__).parent))
from gias_national import (
    SKIPS,
    STATUSES,
    TYPES,
    National,
    write_national,
)


@contextlib.contextmanager
def within(seconds: float) -> Iterator[None]:
    """Fail (TimeoutError) if the block runs longer: a guard against hangs."""

    def stop(signum, frame):  # type: ignore[no-untyped-def]
        raise TimeoutError(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@pytest.fixture(scope="module")
def national(tmp_path_factory: pytest.TempPathFactory) -> National:
    with within(60):
        return write_national(tmp_path_factory.mktemp("gias") / "edubasealldata.csv")


@pytest.fixture(scope="module")
def read(national: National):  # type: ignore[no-untyped-def]
    with within(120):  # about 2 s on a loaded 2-core machine
        return read_gias(national.path, return_report=True)


def test_generator_covers_the_real_vocabulary(national: National) -> None:
    # every establishment type the reader knows, every status, every skip reason
    assert set(TYPES) == set(GIAS_KINDS)
    text = national.path.read_text("cp1252")
    assert all(f",{t}," in text for t in TYPES)
    assert {r.status for r in national.rows} >= set(STATUSES)
    assert {r.skip for r in national.rows if r.skip} == set(SKIPS)
    assert set(SKIPS) <= set(SKIP_REASONS)
    assert len(national.rows) == 50_000


def test_national_file_reads_in_one_call(national: National, read) -> None:  # type: ignore[no-untyped-def]
    settings, report = read
    filtered, skipped, kept = national.expected()
    assert report.encoding == "cp1252"
    assert report.rows == 50_000
    assert report.filtered == dict(filtered)
    assert {k: list(report.lines(k)) for k in report.counts()} == skipped
    assert report.establishments == len(kept)
    assert report.rows == (
        report.establishments + sum(report.filtered.values()) + len(report.skipped)
    )
    assert settings.n == report.settings == sum(r.settings for r in kept)
    # about 21,500 establishments kept, as in the real register
    assert 20_000 < report.establishments < 23_000
    # settings of every kind, each from the rows that should give it
    by_kind = Counter(settings.kind_names)
    expect: Counter[str] = Counter()
    for r in kept:
        assert r.kind is not None
        expect[r.kind] += 1
        expect["resourced_provision"] += r.settings - 1
    assert by_kind == expect
    assert set(by_kind) == set(KINDS)


def test_skipped_rows_name_line_column_and_value(national: National, read) -> None:  # type: ignore[no-untyped-def]
    _, report = read
    planted = {r.line: r for r in national.rows if r.skip}
    assert len(report.skipped) == len(planted) > 200
    for issue in report.skipped:
        r = planted[issue.line]
        assert (issue.reason, issue.column) == (r.skip, r.column)
        text = issue.where(str(national.path))
        assert text.startswith(f"{national.path}:{r.line}:")
    # the summary names each reason with its first lines
    text = report.summary()
    for reason in SKIPS:
        first = report.lines(reason)[0]
        assert f"{SKIP_REASONS[reason]}, lines {first}," in text


def test_national_values(national: National, read) -> None:  # type: ignore[no-untyped-def]
    settings, report = read
    _, _, kept = national.expected()
    ids = {u: i for i, u in enumerate(settings.id)}
    capped = [r for r in kept if r.capped]
    assert len(capped) > 100  # colleges registered 16 to 99 and the like
    assert report.notes["age_capped"] == tuple(r.line for r in capped)
    for r in capped[:50]:
        assert settings.max_age[ids[r.urn]] == 25
    assert settings.max_age.max() == 25
    assert (
        report.notes["roll_blank"][:5]
        == tuple(r.line for r in kept if r.roll_blank)[:5]
    )
    special = {"special", "non_maintained_special", "independent_special"}
    bare = tuple(r.line for r in kept if r.kind in special and not r.needs)
    assert len(bare) > 50
    assert report.notes["no_designation"] == bare
    # designations: "SpLD" in mixed case, BESD for SEMH, "Not Applicable" first
    for r in kept:
        if r.kind in ("special", "independent_special") and r.needs:
            got = {NEEDS[j] for j in np.flatnonzero(settings.needs[ids[r.urn]])}
            assert got == set(r.needs), r
    # Windows-1252 names decoded, commas and quotes kept
    names = set(settings.name)
    assert any("St Mary\u2019s" in n for n in names)
    assert any(n.startswith('The "Grange"') for n in names)
    assert any(n.startswith("Hill, Top and Vale") for n in names)
    assert any("Caf\u00e9" in n for n in names)


def test_national_file_filtered_by_la(national: National) -> None:
    home, near = national.la_codes[:3], national.la_codes[3:6]
    with within(120):
        settings, report = read_gias(
            national.path, la_codes=home, neighbour_la_codes=near, return_report=True
        )
    filtered, skipped, kept = national.expected(home + near)
    assert report.filtered == dict(filtered)
    assert {k: list(report.lines(k)) for k in report.counts()} == skipped
    assert "no_la_code" in skipped  # a blank LA code cannot be placed in an LA
    assert settings.n == sum(r.settings for r in kept)
    inside = {r.urn for r in kept if r.la in home}
    ids = settings.id
    assert {
        u for u, a in zip(ids, settings.in_area, strict=True) if a and "-" not in u
    } == inside


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "cp1252"])
def test_encodings_detected(tmp_path: Path, encoding: str) -> None:
    """A BOM file was 'missing column URN'; UTF-8 without one was garbled."""
    nat = write_national(tmp_path / "g.csv", 600, seed=3, encoding=encoding)
    s, report = read_gias(nat.path, return_report=True)
    assert report.encoding == encoding
    assert any("St Mary\u2019s" in n for n in s.name)
    assert not any("\u00e2\u20ac" in n for n in s.name)  # no mojibake
    _, _, kept = nat.expected()
    assert report.establishments == len(kept)


def test_strict_national_read_stops_at_the_first_planted_row(
    national: National,
) -> None:
    first = min(r.line for r in national.rows if r.skip)
    with pytest.raises(sa.InvalidScenarioError, match=rf"edubasealldata\.csv:{first}:"):
        read_gias(national.path, strict=True)
