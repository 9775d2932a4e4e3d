"""sendalloc.calibrate: targets, measures, the moments and the fit itself.

The presets' stored fit is checked in tests/test_calibration.py.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import sendalloc as sa
from sendalloc import calibrate as cal
from sendalloc.population import KINDS
from sendalloc.sources import source

LONDON = "london_borough"


@pytest.fixture(scope="module")
def london() -> sa.Scenario:
    return sa.load_scenario(LONDON)


# --------------------------------------------------------------------- targets
def test_shipped_targets_cite_sources_that_resolve() -> None:
    every = cal.TARGETS + cal.HELD_OUT + cal.IN_YEAR_TARGETS
    assert len({t.name for t in every}) == len(every)
    for t in every:
        for sid in t.sources:
            assert source(sid).id == sid, t.name
        assert t.measure in cal.MEASURES
    # the observed values are the sources' figures (a sum for the appeals won)
    for t in every:
        values = [source(s).value for s in t.sources]
        if t.name == "appeals_won":
            assert t.observed == pytest.approx(sum(values))
        elif t.name == "stock_independent_special":
            assert min(values) <= t.observed <= max(values) + 1e-9
        else:
            assert t.observed == pytest.approx(values[0]), t.name
    assert {t.mode for t in cal.IN_YEAR_TARGETS} == {"in_year"}
    assert {t.mode for t in cal.TARGETS + cal.HELD_OUT} == {"annual"}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"measure": "nope"}, r"measure = 'nope': expected one of stock_mainstream"),
        ({"observed": 0.0}, r"observed = 0.0: expected a positive number"),
        ({"observed": math.nan}, r"observed = nan"),
        ({"tolerance": -0.1}, r"tolerance = -0.1: expected a positive share"),
        ({"mode": "weekly"}, r"mode = 'weekly': expected one of annual, in_year"),
        ({"sources": ()}, r"sources = \(\): expected source ids"),
    ],
)
def test_bad_target_names_the_field(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {
        "name": "t",
        "observed": 0.5,
        "sources": ("x",),
        "measure": "stock_special",
        "tolerance": 0.1,
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=r"Target 't': " + match):
        cal.Target(**args)  # type: ignore[arg-type]


def test_target_band_and_within() -> None:
    t = cal.Target("t", 0.2, "x", "stock_special", 0.25)
    assert t.sources == ("x",)
    assert t.band == (0.15, 0.25)
    assert t.within(0.15)
    assert t.within(0.25)
    assert t.within(0.2)
    assert not t.within(0.1499)
    assert not t.within(0.2501)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("k", 1.0, 1.0), "low = 1.0 must be below high = 1.0"),
        (("k", 0.0, math.inf), "bounds must be finite"),
    ],
)
def test_bad_param(args: tuple[str, float, float], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        cal.Param(*args)


# --------------------------------------------------------------------- measures
def _plain_stock_share(r: cal.Round, kinds: set[str]) -> tuple[int, int]:
    """Loop-by-loop reference: placed year-7 transfers at a setting of ``kinds``."""
    c, st, o = r.instance.children, r.instance.settings, r.outcome
    num = den = 0
    for i in range(c.n):
        if not c.transfer[i] or c.age[i] >= 16 or o.final[i] < 0:
            continue
        den += 1
        num += KINDS[int(st.kind[o.final[i]])] in kinds
    return num, den


def _plain_special(r: cal.Round) -> tuple[int, int, int, int]:
    """At or over capacity, over capacity, pupils over, places: state special."""
    inst, o = r.instance, r.outcome
    st = inst.settings
    at = over = beyond = places = n = 0
    for s in range(st.n):
        if KINDS[int(st.kind[s])] != "special" or st.capacity[s] <= 0:
            continue
        pupils = int(inst.roll[s]) + int(inst.cross_border_taken[s])
        pupils += int(np.sum(o.final == s))
        cap = int(st.capacity[s])
        n += 1
        at += pupils >= cap
        over += pupils > cap
        beyond += max(pupils - cap, 0)
        places += cap
    return at, over, beyond, places


def test_measures_agree_with_plain_python(london: sa.Scenario) -> None:
    for r in cal.rounds(london, runs=3, seed=4):
        m = cal.MEASURES
        assert m["stock_special"](r) == _plain_stock_share(r, {"special"})
        assert m["stock_mainstream"](r) == _plain_stock_share(
            r, {"mainstream", "resourced_provision"}
        )
        at, over, beyond, places = _plain_special(r)
        n_special = m["special_at_or_over_capacity"](r)[1]
        assert m["special_at_or_over_capacity"](r) == (at, n_special)
        assert m["special_over_capacity"](r) == (over, n_special)
        assert m["special_places_over"](r) == (beyond, places)
        new = ~r.instance.children.transfer
        named = r.outcome.day[new]
        kinds = np.asarray(r.instance.settings.kind)
        mainstream = sum(
            1
            for s in named
            if s >= 0 and KINDS[int(kinds[s])] in ("mainstream", "resourced_provision")
        )
        assert m["new_plans_mainstream"](r) == (mainstream, int(new.sum()))
        assert m["appeals_per_plan"](r) == (
            int(r.outcome.appealed.sum()),
            london.population.plans,  # type: ignore[union-attr]
        )
        assert m["appeals_won"](r) == (
            int(r.outcome.won.sum()),
            int(r.outcome.appealed.sum()),
        )


def test_rounds_are_simulates_runs(london: sa.Scenario) -> None:
    """The calibration measures the very rounds sa.simulate runs for status_quo."""
    res = sa.simulate(london, ["status_quo"], runs=4, seed=11)
    per_run = res.values[:, 0, res.metrics.index("appealed")]
    mine = [r.outcome.appealed.mean() for r in cal.rounds(london, runs=4, seed=11)]
    assert per_run.tolist() == pytest.approx(mine, abs=0, rel=0)


def test_measure_is_reproducible_and_a_ratio_of_sums(london: sa.Scenario) -> None:
    t = cal.TARGETS[:3]
    a = cal.measure(london, t, runs=4, seed=2)
    b = cal.measure(london, t, runs=4, seed=2)
    assert a.value.tolist() == b.value.tolist()
    assert a.cov.tolist() == b.cov.tolist()
    c = cal.measure(london, t, runs=4, seed=3)
    assert a.value.tolist() != c.value.tolist()
    # the value is the sum of numerators over the sum of denominators
    num = den = 0.0
    for r in cal.rounds(london, runs=4, seed=2):
        n, d = cal.MEASURES[t[0].measure](r)
        num, den = num + n, den + d
    assert a.value[0] == num / den
    assert a.se[0] > 0
    assert a.run_sd[0] == pytest.approx(a.se[0] * 2)
    assert "Moments(runs=4, stock_state_special=" in repr(a)


def test_monte_carlo_error_matches_the_spread_between_seeds(
    london: sa.Scenario,
) -> None:
    """The linearised standard error of a ratio agrees with the spread of the
    value over independent seeds (about 30% either way with 12 of them)."""
    t = (cal.TARGETS[0],)
    values = [cal.measure(london, t, runs=5, seed=s).value[0] for s in range(12)]
    ses = [cal.measure(london, t, runs=5, seed=s).se[0] for s in range(12)]
    assert np.std(values, ddof=1) == pytest.approx(np.mean(ses), rel=0.45)


def test_in_year_targets_are_measured_in_the_in_year_engine(
    london: sa.Scenario,
) -> None:
    """An annual scenario's in-year targets run its year in the in-year engine
    (sendalloc.calibrate.measure_in_year); the annual rounds refuse it."""
    m = cal.measure(london, cal.IN_YEAR_TARGETS, runs=2)
    assert ((m.value > 0) & (m.value < 1)).all()
    assert m.runs == 2
    with pytest.raises(sa.InvalidScenarioError, match="annual mode only"):
        next(cal.rounds(london.with_overrides({"mode": "in_year"}), runs=1, seed=0))


# --------------------------------------------------------------------- fit
def test_fit_recovers_a_known_value(london: sa.Scenario) -> None:
    """Observed values made by the model at a known parameter are recovered.

    To within the targets' resolution: with common random numbers the targets
    are step functions of the parameters (a tolerance moves in whole pupils
    per school), so the fit ends within a step or two of the truth, with every
    target inside its band.
    """
    # a world of its own, whatever the preset's fitted values are: the London
    # borough at its values before the calibration
    base = london.with_overrides(
        {
            "population.specialist_share_transfer": 0.454,
            "population.specialist_share_new": 0.123,
            "population.unit_share": 0.173,
            "preferences.kind_taste.independent_special": 0.9,
            "independent_special.fill_mean": 0.9,
            "special.fill_mean": 1.027,
            "resourced_provision.fill_mean": 1.027,
            "status_quo.over_capacity_tolerance": 0.1,
            "status_quo.appeal_probability": 0.2,
            "status_quo.appeal_probability_worse_kind": 0.5,
            # the admission duty as the presets had it then (before s43's
            # non-maintained and s41 independent schools joined)
            "status_quo.must_admit_kinds": [
                "mainstream",
                "resourced_provision",
                "special",
                "alternative_provision",
                "post16",
            ],
            "status_quo.specialist_post16_must_admit": False,
        }
    )
    truth = {"special.fill_mean": 0.96, "status_quo.over_capacity_tolerance": 0.05}
    made = cal.measure(base.with_overrides(truth), cal.TARGETS, runs=30, seed=5)
    targets = [
        cal.Target(t.name, made.get(t.name), t.sources, t.measure, 0.1)
        for t in cal.TARGETS
        if t.name in ("special_places_over", "new_plans_special")
    ]
    params = [
        cal.Param("special.fill_mean", 0.85, 1.1),
        cal.Param("status_quo.over_capacity_tolerance", 0.0, 0.3),
    ]
    f = cal.fit(base, targets, params, runs=30, seed=5, max_evaluations=60)
    assert f.estimate[0] == pytest.approx(0.96, abs=0.02)
    assert f.estimate[1] == pytest.approx(0.05, abs=0.015)
    for t in targets:
        assert t.within(f.moments.get(t.name)), t.name
    lo, hi = f.interval
    assert (lo <= f.estimate).all()
    assert (f.estimate <= hi).all()
    assert f.identified.all()
    fitted = f.scenario.with_overrides({})
    assert dict(fitted.groups)["special"].fill_mean == f.estimate[0]
    assert f.moments.runs == 30
    assert f.evaluations > 3
    # places over rise with the tolerance; fuller schools leave fewer places for
    # new plans at special schools
    assert f.jacobian.shape == (2, 2)
    j = dict(zip([t.name for t in targets], f.jacobian.tolist(), strict=True))
    assert j["special_places_over"][1] > 0
    assert j["new_plans_special"][0] < 0


def test_an_unidentified_parameter_keeps_its_prior_spread(london: sa.Scenario) -> None:
    # the taste for AP moves no target: AP is never listed
    p = cal.Param("preferences.kind_taste.alternative_provision", -3.0, -1.0)
    f = cal.fit(london, cal.TARGETS[:1], [p], runs=3, max_evaluations=4)
    assert not f.identified[0]
    assert f.se[0] == pytest.approx(2.0 / math.sqrt(12), rel=1e-6)
    assert f.jacobian[0, 0] == 0


def test_choices_are_profiled(london: sa.Scenario) -> None:
    f = cal.fit(
        london,
        cal.TARGETS[1:2],
        [cal.Param("independent_special.fill_mean", 0.8, 1.0)],
        choices={"independent_special.in_area_share": (0.0, 0.4)},
        runs=3,
        max_evaluations=6,
    )
    tried = [c["independent_special.in_area_share"] for c, _ in f.profile]
    assert tried == [0.0, 0.4]
    best = min(f.profile, key=lambda x: x[1])
    assert f.choice == best[0]
    assert f.scenario.groups  # the choice is applied to the fitted scenario
    share = dict(f.scenario.groups)["independent_special"].in_area_share
    assert share == f.choice["independent_special.in_area_share"]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda sc: cal.fit(sc, cal.IN_YEAR_TARGETS, cal.ANNUAL_PARAMS[:1]),
            ValueError,
            "needs the in_year mode",
        ),
        (lambda sc: cal.fit(sc, (), cal.ANNUAL_PARAMS[:1]), ValueError, "at least one"),
        (lambda sc: cal.fit(sc, cal.TARGETS, ()), ValueError, "at least one parameter"),
        (
            lambda sc: cal.fit(sc, cal.TARGETS[:1] * 2, cal.ANNUAL_PARAMS[:1]),
            ValueError,
            "target names repeat: stock_state_special",
        ),
        (
            lambda sc: cal.fit(
                sc.with_overrides({"special.fill_mean": 1.0}),
                cal.TARGETS,
                [cal.Param("special.fill_mean", 1.1, 1.2)],
            ),
            sa.InvalidScenarioError,
            r"special.fill_mean = 1.0 lies outside the fit's bounds \[1.1, 1.2\]",
        ),
        (
            lambda sc: cal.fit(sc, cal.TARGETS, [cal.Param("lists.order", 0, 1)]),
            sa.InvalidScenarioError,
            "lists.order: a fitted key must hold a number, got 'nearest'",
        ),
        (
            lambda sc: cal.fit(sc, cal.TARGETS, cal.ANNUAL_PARAMS[:1], step=0.7),
            ValueError,
            r"step: expected a share of the bounds in \(0, 0.5\)",
        ),
        (
            lambda sc: cal.fit(sc, cal.TARGETS, cal.ANNUAL_PARAMS[:1], runs=0),
            ValueError,
            "runs: expected a positive integer",
        ),
        (
            lambda sc: cal.measure(sc, ["stock_special"]),  # type: ignore[list-item]
            TypeError,
            "targets: expected Target objects, got str",
        ),
        (lambda sc: cal.measure(3), TypeError, "expected a Scenario or a preset name"),
    ],
)
def test_bad_arguments_say_what_is_wrong(
    london: sa.Scenario, call: object, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        call(london)  # type: ignore[operator]


def test_load_record_rejects_a_file_without_presets(tmp_path: object) -> None:
    from pathlib import Path

    p = Path(str(tmp_path)) / "r.json"
    p.write_text('{"fits": {}}', encoding="utf-8")
    with pytest.raises(ValueError, match="expected a 'presets' table"):
        cal.load_record(p)
