"""Golden files: small runs of every mode and a sweep, pinned byte for byte.

The files under tests/golden/ were written by the engine as it was *before* the
engine was split into layers (issue 12), from a frozen copy of the
london_borough preset. Any change to the numbers, their order or their
formatting fails here. Regenerate them only for an intended change of output,
and say why in the commit:

    .venv/bin/python tests/test_golden.py --write
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import sendalloc as sa

GOLDEN = Path(__file__).resolve().parent / "golden"
SCENARIO = GOLDEN / "london_borough.toml"


def _scenario(**overrides: object) -> sa.Scenario:
    sc = sa.load_scenario(SCENARIO)
    return sc.with_overrides(overrides) if overrides else sc


def _annual() -> dict[str, str]:
    # Every default mechanism (random serial dictatorship draws on the
    # mechanism stream), with the scenario's LA fallback.
    r = sa.simulate(_scenario(), runs=4, seed=1)
    return {
        "json": r.to_json(),
        "csv": r.to_csv(),
        "txt": r.headline() + "\n" + r.table(),
    }


def _in_year() -> dict[str, str]:
    sc = _scenario(mode="in_year", **{"dynamics.batch": "monthly"})
    mechs = ["first_available", "random_serial_dictatorship"]
    r = sa.simulate(sc, mechs, runs=3, seed=2)
    return {
        "json": r.to_json(),
        "csv": r.to_csv(),
        "txt": r.headline() + "\n" + r.table(),
    }


def _multi_year() -> dict[str, str]:
    sc = _scenario(mode="multi_year", **{"dynamics.years": 2})
    r = sa.simulate(sc, ["first_available", "deferred_acceptance"], runs=2, seed=3)
    return {
        "json": r.to_json(),
        "csv": r.to_csv(),
        "txt": r.headline() + "\n" + r.table(),
    }


def _sweep() -> dict[str, str]:
    res = sa.sweep(
        _scenario(),
        {"lists.max_length": [2, 5], "special.capacity_growth": [0, 0.2]},
        mechanisms=["first_available", "boston"],
        runs=4,
        seed=4,
        chunk_size=3,
    )
    own = sa.sweep(
        _scenario(),
        {"lists.max_length": [2, 5]},
        mechanisms=["random_serial_dictatorship"],
        runs=3,
        seed=4,
        common_random_numbers=False,
    )
    return {"csv": res.to_csv(), "txt": res.table(), "own.csv": own.to_csv()}


CASES: dict[str, Callable[[], dict[str, str]]] = {
    "annual": _annual,
    "in_year": _in_year,
    "multi_year": _multi_year,
    "sweep": _sweep,
}


def _path(case: str, ext: str) -> Path:
    return GOLDEN / f"{case}.{ext}"


@pytest.mark.parametrize("case", sorted(CASES))
def test_output_identical_to_golden_file(case: str) -> None:
    for ext, text in CASES[case]().items():
        want = _path(case, ext).read_bytes()
        got = text.encode("utf-8")
        assert got == want, f"{case}.{ext} differs from tests/golden/{case}.{ext}"


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python tests/test_golden.py --write")
    for case, make in CASES.items():
        for ext, text in make().items():
            _path(case, ext).write_bytes(text.encode("utf-8"))
            print(f"wrote {_path(case, ext)}")
