"""Global sensitivity analysis: the SALib plumbing on functions whose indices are
known, determinism across executors, bad arguments, and small end-to-end runs."""

from __future__ import annotations

import json
import sys
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from functools import partial
from typing import Any

import numpy as np
import pytest

import sendalloc as sa
from sendalloc.cli import main
from sendalloc.scenario import AssumptionSpace
from sendalloc.sensitivity import Design, Measure, analyse

pytest.importorskip("SALib")

SMALL = "london_borough"
#: A tiny analysis: two themes, two base samples, one round per evaluation.
TINY: dict[str, Any] = {
    "samples": 2,
    "runs": 1,
    "groups": "theme",
    "parameters": ["lists.*", "geography.*"],
}

# Three uncertain keys on [-pi, pi], the Ishigami function's inputs.
X1, X2, X3 = (
    "preferences.kind_taste.special",
    "preferences.kind_taste.independent_special",
    "preferences.kind_taste.alternative_provision",
)


def _with_ranges(name: str, ranges: dict[str, Any], **values: Any) -> sa.Scenario:
    d = sa.load_scenario(name).to_dict()
    for key, v in values.items():
        section, field, sub = key.split(".")
        d[section][field][sub] = v
    d["uncertainty"] = ranges
    return sa.Scenario.from_dict(d, source=name)


def _ishigami_space() -> AssumptionSpace:
    pi = float(np.pi)
    ranges = {k: {"low": -pi, "high": pi} for k in (X1, X2, X3)}
    return AssumptionSpace(_with_ranges(SMALL, ranges, **{X1: 0.0, X2: 0.0, X3: 0.0}))


def ishigami(space: AssumptionSpace, points: np.ndarray) -> np.ndarray:
    """Ishigami's function (a = 7, b = 0.1) of the keys' drawn values."""
    out = np.empty((points.shape[0], 1))
    for i, u in enumerate(points):
        v = space.values(u)  # a key left NaN keeps its value as written, 0
        x1, x2, x3 = (v.get(k, 0.0) for k in (X1, X2, X3))
        out[i, 0] = np.sin(x1) + 7 * np.sin(x2) ** 2 + 0.1 * x3**4 * np.sin(x1)
    return out


# Known values (Ishigami and Homma 1990; Sobol' and Levitan 1999).
ISHIGAMI_S1 = np.array([0.3139, 0.4424, 0.0])
ISHIGAMI_ST = np.array([0.5576, 0.4424, 0.2437])
#: A plumbing error (a wrong order, transform or grouping) moves an index by 0.1 or
#: more; estimation error with N = 2048 is a few hundredths.
TOL = 0.04


def test_sobol_indices_of_ishigami_through_the_wrapper() -> None:
    space = _ishigami_space()
    design = Design.of("sobol", 2048, 100, 0.95, 4, 1)
    a = analyse(space, partial(ishigami, space), design, groups="key", swings=False)
    assert a.parameters == (X1, X2, X3)
    assert a.points.shape == (2048 * 5, 3)
    np.testing.assert_allclose(a.indices["S1"][0], ISHIGAMI_S1, atol=TOL)
    np.testing.assert_allclose(a.indices["ST"][0], ISHIGAMI_ST, atol=TOL)
    assert (a.indices["ST_conf"][0] < 0.1).all()


def test_grouped_sobol_indices_of_ishigami() -> None:
    # {x1, x3} together: S1 = S1 + S3 + S13 = ST1 (x2 only adds), ST = 1 - S2.
    space = _ishigami_space()
    design = Design.of("sobol", 2048, 50, 0.95, 4, 2)
    groups = {"x1 and x3": [X1, X3], "x2": [X2]}
    a = analyse(space, partial(ishigami, space), design, groups=groups, swings=False)
    assert a.parameters == ("x1 and x3", "x2")
    assert a.grouping == "custom"
    assert a.members == {"x1 and x3": (X1, X3), "x2": (X2,)}
    np.testing.assert_allclose(a.indices["S1"][0], [0.5576, 0.4424], atol=TOL)
    np.testing.assert_allclose(a.indices["ST"][0], [0.5576, 0.4424], atol=TOL)


def linear(space: AssumptionSpace, points: np.ndarray) -> np.ndarray:
    """3 x1 + x2 (x3 unused), and its negative, of the keys' drawn values."""
    out = np.empty((points.shape[0], 2))
    for i, u in enumerate(points):
        v = space.values(u)  # a key left NaN keeps its value as written, 0
        y = 3 * v.get(X1, 0.0) + v.get(X2, 0.0)
        out[i] = (y, -y)
    return out


def test_morris_effects_of_a_linear_function_are_its_slopes() -> None:
    # On [-pi, pi] a quantile step of 1 moves a key by 2 pi: the elementary
    # effect per unit of quantile is the slope times 2 pi, with no spread.
    space = _ishigami_space()
    design = Design.of("morris", 10, 20, 0.95, 4, 3)
    a = analyse(space, partial(linear, space), design, groups=None, swings=True)
    two_pi = 2 * np.pi
    np.testing.assert_allclose(
        a.indices["mu_star"], [[3 * two_pi, two_pi, 0.0]] * 2, atol=1e-9
    )
    np.testing.assert_allclose(
        a.indices["mu"], [[3 * two_pi, two_pi, 0.0], [-3 * two_pi, -two_pi, 0.0]]
    )
    np.testing.assert_allclose(a.indices["sigma"], 0.0, atol=1e-9)
    # one at a time, from the values as written (0): the ends of each range
    np.testing.assert_allclose(a.low[0], [-3 * np.pi, -np.pi, 0.0])
    np.testing.assert_allclose(a.high[0], [3 * np.pi, np.pi, 0.0])


# ------------------------------------------------------------------ the scenario model
def test_small_end_to_end_run_and_its_outputs(tmp_path: Any) -> None:
    r = sa.sensitivity(
        SMALL, ["unplaced", "first_preference[phase=secondary]"], seed=4, **TINY
    )
    assert r.parameters == ("geography", "list rules and travel")
    assert r.measures == ("unplaced", "first_preference[phase=secondary]")
    assert r.evaluations == 2 * (2 + 2)
    assert r.indices["ST"].shape == (2, 2)
    assert r.outputs.shape == (8, 2)
    assert set(r.ranking()) == set(r.parameters)
    assert r.members["list rules and travel"] == ("lists.max_length", "lists.speed_kmh")
    # the base and the swings are plain simulations of the same rounds
    base = sa.simulate(SMALL, ["first_available"], runs=1, seed=4)
    assert r.base[0] == base.summary().get("first_available", "unplaced")["mean"]
    space = AssumptionSpace(sa.load_scenario(SMALL))
    u = np.full(len(space), np.nan)
    for k in ("lists.max_length", "lists.speed_kmh"):
        u[space.names.index(k)] = 0.0
    low = sa.simulate(space.scenario_at(u), ["first_available"], runs=1, seed=4)
    j = r.parameters.index("list rules and travel")
    assert r.low[0, j] == low.summary().get("first_available", "unplaced")["mean"]

    doc = json.loads(r.to_json())
    assert doc["method"] == "sobol"
    assert doc["results"]["unplaced"]["ranking"] == list(r.ranking("unplaced"))
    assert set(doc["results"]["unplaced"]["parameters"]["geography"]) == {
        "S1",
        "S1_conf",
        "ST",
        "ST_conf",
        "low",
        "high",
    }
    head = r.to_csv().splitlines()[0]
    assert head == "measure,parameter,rank,S1,S1_conf,ST,ST_conf,low,high,base"
    text = r.table()
    assert "Sobol indices of unplaced under first-available allocation" in text
    assert "2 x (2 + 2) = 8 evaluations of 1 simulated round each" in text
    assert "first_preference[phase=secondary]" in text
    pytest.importorskip("pandas")
    assert len(r.to_frame()) == 4
    pytest.importorskip("matplotlib")
    fig = r.plot(tmp_path / "tornado.png", measure="unplaced")
    assert (tmp_path / "tornado.png").stat().st_size > 0
    assert len(fig.axes) == 2
    with pytest.raises(ValueError, match="was not analysed"):
        r.table("placed_on_list")


def test_results_are_the_same_on_any_executor_and_chunking() -> None:
    serial = sa.sensitivity(SMALL, seed=1, **TINY)
    one = sa.sensitivity(SMALL, seed=1, chunk_size=1, **TINY)
    with ThreadPoolExecutor(2) as ex:
        threads = sa.sensitivity(SMALL, seed=1, executor=ex, chunk_size=3, **TINY)
    with ProcessPoolExecutor(2) as ex:
        procs = sa.sensitivity(SMALL, seed=1, executor=ex, **TINY)
    assert serial.to_json() == one.to_json() == threads.to_json() == procs.to_json()
    np.testing.assert_array_equal(serial.outputs, procs.outputs)
    other = sa.sensitivity(SMALL, seed=2, **TINY)
    assert not np.array_equal(other.points, serial.points)


def test_seed_zero_is_a_seed_too() -> None:
    # SALib treats a bootstrap seed of 0 as none: the intervals must still repeat.
    a = sa.sensitivity(SMALL, seed=0, **TINY)
    b = sa.sensitivity(SMALL, seed=0, **TINY)
    assert a.to_json() == b.to_json()
    space = _ishigami_space()
    design = Design.of("sobol", 64, 100, 0.95, 4, 0)
    runs = [
        analyse(space, partial(ishigami, space), design, swings=False) for _ in range(2)
    ]
    np.testing.assert_array_equal(
        runs[0].indices["ST_conf"], runs[1].indices["ST_conf"]
    )


def test_progress_counts_runs() -> None:
    seen: list[tuple[int, int]] = []
    sa.sensitivity(SMALL, seed=1, progress=lambda d, t: seen.append((d, t)), **TINY)
    total = (2 * 4 + 2 * 2) * 1  # Sobol points and swings, one round each
    assert seen[-1] == (total, total)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_morris_end_to_end() -> None:
    r = sa.sensitivity(SMALL, method="morris", seed=1, **TINY)
    assert r.evaluations == 2 * (2 + 1)
    assert set(r.indices) == {"mu_star", "mu_star_conf", "mu", "sigma"}
    assert "Morris elementary effects of unplaced" in r.table()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"method": "fast"}, ValueError, "method: expected one of sobol, morris"),
        ({"samples": 6}, ValueError, "must be a power of 2"),
        ({"samples": 0}, ValueError, "must be a power of 2"),
        ({"method": "morris", "samples": 1}, ValueError, "at least 2 trajectories"),
        ({"runs": 0}, ValueError, "runs: expected a positive integer"),
        ({"seed": -1}, ValueError, "seed: expected a non-negative integer"),
        ({"resamples": 0}, ValueError, "resamples: expected an integer >= 1"),
        ({"conf_level": 1.5}, ValueError, r"conf_level: expected a number in \(0, 1\)"),
        ({"measure": "unplaced["}, ValueError, "expected 'metric' or 'metric"),
        ({"measure": "unplacd"}, ValueError, "unknown metric 'unplacd'; valid: "),
        ({"measure": "unplaced[need=XYZ]"}, ValueError, "unknown group 'XYZ'"),
        ({"measure": "unplaced[needs=SLD]"}, ValueError, "by: expected None or one"),
        ({"measure": []}, ValueError, "expected at least one measure"),
        (
            {"measure": ["unplaced", "unplaced"]},
            ValueError,
            "a measure is repeated",
        ),
        ({"mechanism": "first_come"}, ValueError, "unknown mechanism"),
        ({"groups": "themes"}, ValueError, "groups: expected one of key, theme"),
        ({"parameters": ["zzz.*"]}, ValueError, "no uncertain key matches"),
        (
            {"parameters": ["lists.speed_kmh"]},
            ValueError,
            "needs at least two parameters",
        ),
    ],
)
def test_bad_arguments_name_what_was_wrong(
    kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    args = {**TINY, **kwargs}
    with pytest.raises(error, match=match):
        sa.sensitivity(SMALL, args.pop("measure", None), **args)


def test_a_scenario_without_ranges_is_refused() -> None:
    d = sa.load_scenario(SMALL).to_dict()
    del d["uncertainty"]
    with pytest.raises(sa.InvalidScenarioError, match="has none that vary"):
        sa.sensitivity(sa.Scenario.from_dict(d), **TINY)


def test_without_salib_the_error_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for mod in [m for m in sys.modules if m == "SALib" or m.startswith("SALib.")]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setitem(sys.modules, "SALib", None)
    with pytest.raises(ImportError, match=r"pip install 'sendalloc\[sensitivity\]'"):
        sa.sensitivity(SMALL, **TINY)
    code = main(["sensitivity", SMALL, "--samples", "2", "--no-progress"])
    assert code == 2
    assert "sendalloc[sensitivity]" in capsys.readouterr().err


def test_measures_parse_and_print() -> None:
    assert Measure.parse(" unplaced [ need = SLD ] ") == Measure(
        "unplaced", "need", "SLD"
    )
    assert str(Measure("unplaced", "need", "SLD")) == "unplaced[need=SLD]"
    with pytest.raises(ValueError, match="by and group go together"):
        Measure("unplaced", "need")


def test_cli_sensitivity(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "s.json"
    args = ["sensitivity", SMALL, "--samples", "2", "--runs", "1", "--groups", "theme"]
    args += ["--parameter", "lists.*", "--parameter", "geography.*"]
    code = main([*args, "--no-progress", "--workers", "1", "--json", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    assert "Sobol indices of unplaced" in text
    assert json.loads(out.read_text())["grouping"] == "theme"
    assert main([*args, "--samples", "3", "--no-progress", "--workers", "1"]) == 2
    assert "power of 2" in capsys.readouterr().err
