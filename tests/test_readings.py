"""How the presets read their sources (issue 13, item 5).

Each test pins one reading of docs/modelling.md to the source table, so that a
preset which drifts back to a misreading fails here. Source ids are those of
docs/sources.md (sendalloc.sources).
"""

from __future__ import annotations

import numpy as np
import pytest

import sendalloc as sa
from sendalloc import calibrate as cal
from sendalloc._engine import year as year_module
from sendalloc._engine.projection import year_samples
from sendalloc.dynamic import simulate_instance_year, simulate_projection
from sendalloc.io import DEFAULT_COSTS
from sendalloc.population import KINDS, SPECIALIST_KINDS
from sendalloc.sources import source

PRESETS = ["county", "london_borough", "large_county"]


def _value(sid: str) -> float:
    v = source(sid).value
    assert isinstance(v, int | float), sid
    return float(v)


# ------------------------------------------------- specialist share of new plans
@pytest.mark.parametrize("name", PRESETS)
def test_new_plan_specialist_share_is_a_range_over_the_unknown(name: str) -> None:
    """pq-53854-*: 74.9% of new plans name mainstream, 10.5% special, 14.6% other
    or unknown. Reading all of the unknown as specialist (25.1%) is one end of the
    range the source allows, not its central reading: the share is fitted
    (docs/validation.md) within that range, the fit's bounds, and its
    [uncertainty] range (the fit's interval) lies inside it too."""
    sc = sa.load_scenario(name)
    assert sc.population is not None
    low = _value("pq-53854-new-plans-special")
    high = _value("pq-53854-new-plans-not-mainstream")
    param = next(
        p for p in cal.ANNUAL_PARAMS if p.key == "population.specialist_share_new"
    )
    assert (param.low, param.high) == (low, high)
    assert sc.citations["population.specialist_share_new"] == "fitted"
    u = sc.uncertainty["population.specialist_share_new"]
    value = sc.population.specialist_share_new
    assert low <= u.low <= value <= u.high <= high


# ------------------------------------------------- units and resourced provision
@pytest.mark.parametrize("name", PRESETS)
def test_unit_pupils_count_as_needing_specialist_provision(name: str) -> None:
    """lords-2024-stock-mainstream: the 54.6% in mainstream includes pupils in SEN
    units and resourced provision. The model lists unit places only for children
    who need specialist provision, so those pupils must be in the specialist
    demand: s + (1 - s) x unit_share, with unit-rp-share-of-mainstream as the
    share; and the preset's own units must hold a share of its mainstream pupils
    with a plan inside the range that source allows."""
    sc = sa.load_scenario(name)
    pop = sc.population
    assert pop is not None
    assert "resourced_provision" in SPECIALIST_KINDS
    src = source("unit-rp-share-of-mainstream")
    assert src.low is not None
    assert src.high is not None
    # fitted (docs/validation.md) inside the range that source allows
    assert sc.citations["population.unit_share"] == "fitted"
    assert src.low <= pop.unit_share <= src.high
    u = sc.uncertainty["population.unit_share"]
    assert src.low <= u.low <= pop.unit_share <= u.high <= src.high
    new, transfer = pop.specialist_need()
    s_tr = pop.specialist_share_transfer
    # fitted so that the stock's mainstream share is lords-2024-stock-mainstream's
    assert sc.citations["population.specialist_share_transfer"] == "fitted"
    bounds = next(
        p for p in cal.ANNUAL_PARAMS if p.key == "population.specialist_share_transfer"
    )
    assert bounds.low <= s_tr <= bounds.high
    assert transfer == pytest.approx(s_tr + (1 - s_tr) * pop.unit_share)
    assert transfer > s_tr + 0.05
    assert new > pop.specialist_share_new + 0.05
    # The layout's unit rolls against the school-age mainstream plans.
    st = sc.settings()
    roll = st.on_roll[st.kind == KINDS.index("resourced_provision")].sum()
    mainstream_plans = pop.plans * pop.school_age_share * (1 - s_tr)
    assert src.low <= roll / mainstream_plans <= src.high


def test_specialist_need_is_the_sampled_share() -> None:
    sc = sa.load_scenario("county")
    assert sc.population is not None
    new, transfer = sc.population.specialist_need()
    kids = [sc.sample(seed).children for seed in range(15)]
    got_new = np.concatenate([c.specialist[~c.transfer] for c in kids]).mean()
    got_tr = np.concatenate([c.specialist[c.transfer] for c in kids]).mean()
    # about 9,000 new plans and 9,400 transfers: a binomial sd of 0.5 points
    assert got_new == pytest.approx(new, abs=0.02)
    assert got_tr == pytest.approx(transfer, abs=0.02)
    plain = sc.with_overrides({"population.unit_share": 0.0})
    assert plain.population is not None
    assert plain.population.specialist_need() == (
        sc.population.specialist_share_new,
        sc.population.specialist_share_transfer,
    )


# ------------------------------------------------------- cost of a unit place
@pytest.mark.parametrize("name", PRESETS)
def test_unit_place_cost_is_place_funding_plus_a_top_up(name: str) -> None:
    """hn-guide-unit-rp-place-funding: unit and resourced-provision places are
    funded at £6,000-10,000 plus an LA top-up; the place funding replaces the
    mainstream notional £6,000 (hn-guide-mainstream-notional), it is not added
    to it. The top-up is bounded by a special school's (special-top-up)."""
    sc = sa.load_scenario(name)
    group = dict(sc.groups)["resourced_provision"]
    funding = source("hn-guide-unit-rp-place-funding")
    assert funding.low is not None
    assert funding.high is not None
    top_up = _value("special-top-up")
    cite = sc.citations["resourced_provision.cost"]
    assert "hn-guide-mainstream-notional" not in cite
    assert "hn-guide-unit-rp-place-funding" in cite
    assert funding.low <= group.cost <= funding.high + top_up
    u = sc.uncertainty["resourced_provision.cost"]
    assert (u.low, u.high) == (funding.low, funding.high + top_up)
    assert DEFAULT_COSTS["resourced_provision"] == group.cost


# ---------------------------------------------------------------- transport
@pytest.mark.xfail(
    reason="a known miss since the calibration (docs/validation.md, held-out "
    "transport_cost_per_plan): with the fitted county (2 of its 7 independent "
    "special schools in area, not 4) first-available's transfers cost about "
    "£3,900 each, above the £3,601 bound",
    strict=True,
)
def test_county_transport_cost_per_plan_is_the_national_figure() -> None:
    """send-transport-spend-per-plan: SEND transport costs £2,710 a plan (£1.73bn /
    638,700); htst-spend-per-plan: all home-to-school transport, £3,601 a plan, an
    upper bound. The county charged every child placed (about £5,300 each); only
    the children it transports pay now, and their share is reported, not set.

    The national figures are per plan of the caseload. A round's phase transfers
    carry the caseload's placement mix (about 53% need specialist provision); its
    new plans go to mainstream more often (about 24% need it), so the like-for-like
    round is the transfers alone (population.new_plan_rate = 0)."""
    sc = sa.load_scenario("county")
    stock_like = sc.with_overrides({"population.new_plan_rate": 0.0})
    s = sa.simulate(stock_like, ["first_available"], runs=60, seed=0).summary()
    per_child = s.get("first_available", "transport_cost_per_child")["mean"]
    assert _value("send-transport-spend-per-plan") <= per_child
    assert per_child <= _value("htst-spend-per-plan")
    transported = s.get("first_available", "transported")["mean"]
    assert 0.0 < transported < 0.5
    assert "transported" not in str(sc.to_dict())  # an output, not an input


# ----------------------------------------------------------------- leavers
def test_ceased_plans_leave_specialist_rolls_and_mobility_general_ones() -> None:
    """ceased-plan-rate (7.8% of plans a year) is a rate of plans ceasing: it
    applies to pupils with a plan, so to the rolls of specialist settings, not to
    every pupil of every mainstream school (dynamics.mobility_rate, an
    assumption, does that)."""
    sc = sa.load_scenario("county").with_overrides(
        {
            "mode": "in_year",
            "dynamics.mobility_rate": 0.0,
            # no leaver replaced by another LA's child (cross-border competition)
            "geography.in_area_taken": 0.0,
            "geography.out_of_area_taken": 0.0,
        }
    )
    assert sc.dynamics.leave_rate == _value("ceased-plan-rate")
    assert "dynamics.mobility_rate" in sa.load_scenario("county").uncertainty
    inst = sc.sample(0)
    st = inst.settings
    spec = np.asarray(st.specialist)
    rates = year_module.leave_rates(st, sc.dynamics)
    assert (rates[spec] == sc.dynamics.leave_rate).all()
    assert (rates[~spec] == 0.0).all()
    # A year of events: no general setting loses a pupil; specialist ones do.
    plans = year_module.resolve_plans(sc, st)
    places = year_module.initial_places(st, plans)
    frac = year_module.release_fraction(st, year_module.transfer_ages(sc))
    start = places.roll - np.rint(places.roll * frac).astype(np.int64)
    rng = np.random.default_rng(1)
    out, _ = year_module.run_instance_year(
        inst,
        "first_available",
        sc.dynamics,
        year_module.waiting_policy(sc),
        places,
        frac,
        plans,
        0,
        rng,
        rng,
    )
    a = out.assignment
    placed = np.bincount(a[a >= 0], minlength=st.n)
    assert (places.roll[~spec] == start[~spec] + placed[~spec]).all()
    left = start[spec] + placed[spec] - places.roll[spec]
    # about 7.8% of the specialist rolls
    assert left.sum() == pytest.approx(0.078 * start[spec].sum(), rel=0.2)


# --------------------------------------------------------------- growth
@pytest.mark.parametrize("name", PRESETS)
def test_projection_grows_the_caseload_as_observed(name: str) -> None:
    """caseload-growth-range: +9% to +11.5% a year (2019-2025); new-plans-growth-range:
    new plans +6.8% to +27.2% a year (2022-2024). A projection adds the year's new
    plans (population.new_plan_rate per plan at the year's start, grown by
    dynamics.new_plan_growth a year) and removes dynamics.leave_rate of the
    caseload: +15% less 8% gave +7% a year."""
    sc = sa.load_scenario(name).with_overrides({"mode": "multi_year"})
    pop, dyn = sc.population, sc.dynamics
    assert pop is not None
    caseload = source("caseload-growth-range")
    new = source("new-plans-growth-range")
    assert caseload.low is not None
    assert caseload.high is not None
    assert new.low is not None
    assert new.high is not None
    # The expected growth of each year of the projection, from the parameters.
    for y in range(dyn.years - 1):
        rate = pop.new_plan_rate * (1 + dyn.new_plan_growth) ** y
        assert caseload.low <= rate - dyn.leave_rate <= caseload.high, y
    if name != "county":
        return
    # Measured on sampled projections (20 runs of 5 years).
    runs = [year_samples(sc, dyn.years, np.random.SeedSequence(r)) for r in range(20)]
    c = np.array([cl for _, cl in runs], dtype=float)
    n = np.array(
        [[(~i.children.transfer).sum() for i in insts] for insts, _ in runs],
        dtype=float,
    )
    growth = (c[:, 1:] / c[:, :-1] - 1).mean()
    assert caseload.low <= growth <= caseload.high
    new_growth = (n[:, 1:] / n[:, :-1] - 1).mean()
    assert new.low <= new_growth <= new.high


# ------------------------------------------------- cross-border competition
@pytest.mark.parametrize("name", PRESETS)
def test_cross_border_shares_are_cited(name: str) -> None:
    """in-area-imported-share: LAs import as many children as they export, 9.1%
    (out-of-area-share: ~43,000 of 473,300); out-of-area-setting-taken: a setting
    across the border keeps 90.9% of its places for others; the range reaches
    Rutland's 38% imports (tbij-2022-rutland-cross-border)."""
    geo = sa.load_scenario(name).geography
    assert geo.in_area_taken == _value("in-area-imported-share")
    assert geo.out_of_area_taken == _value("out-of-area-setting-taken")
    u = sa.load_scenario(name).uncertainty["geography.out_of_area_taken"]
    assert u.low == pytest.approx(1 - _value("tbij-2022-rutland-cross-border"))
    assert u.low < geo.out_of_area_taken < u.high


@pytest.mark.parametrize("name", PRESETS)
def test_specialist_supply_matches_the_stock_shares(name: str) -> None:
    """lords-2024-stock-*, nao-2024-independent-share-of-plans: the LA's own pupils
    at each kind of specialist setting (rolls less the share other LAs' children
    hold) against its school-age plans; and the places open to the LA
    per 1,000 plans alike in every preset. london_borough counted the whole of its
    neighbours' schools as its own: 759 specialist places per 1,000 plans against
    the county's 418."""
    sc = sa.load_scenario(name)
    pop, geo = sc.population, sc.geography
    assert pop is not None
    st = sc.settings()
    own = 1 - geo.taken_share(st.in_area)
    school_age = pop.plans * pop.school_age_share
    for kind, sid, tol in [
        ("special", "lords-2024-stock-state-special", 0.05),
        ("non_maintained_special", "lords-2024-stock-nmss", 0.005),
        # independent special schools: their supply (how many lie in the LA,
        # how full they are) is fitted so that the stock after the round holds
        # nao-2024-independent-share-of-plans' share (tests/test_calibration.py,
        # docs/validation.md), not sized before it
    ]:
        got = (st.on_roll * own)[st.kind == KINDS.index(kind)].sum() / school_age
        assert got == pytest.approx(_value(sid), abs=tol), kind

    def places_per_1000(s: sa.Scenario) -> float:
        t = s.settings()
        assert s.population is not None
        open_ = t.capacity * (1 - s.geography.taken_share(t.in_area))
        return float(open_[t.specialist].sum()) / s.population.plans * 1000

    county = places_per_1000(sa.load_scenario("county"))
    assert places_per_1000(sc) == pytest.approx(county, rel=0.15)


def test_other_authorities_take_their_share_of_free_places() -> None:
    sc = sa.load_scenario("county")
    free, taken, inside = [], [], []
    for seed in range(10):
        inst = sc.sample(seed)
        assert inst.cross_border_taken is not None
        t = inst.cross_border_taken
        free.append(inst.problem.capacity + t)
        taken.append(t)
        inside.append(inst.settings.in_area)
    f, t, a = (np.concatenate(x) for x in (free, taken, inside))
    # binomial thinning of thousands of places in area, hundreds outside
    assert t[a].sum() / f[a].sum() == pytest.approx(0.091, abs=0.01)
    assert t[~a].sum() / f[~a].sum() == pytest.approx(0.909, abs=0.03)
    # the children are the same whatever the shares (common random numbers)
    none = sc.with_overrides(
        {"geography.in_area_taken": 0.0, "geography.out_of_area_taken": 0.0}
    )
    a0, a1 = none.sample(3), sc.sample(3)
    assert (a0.problem.preferences == a1.problem.preferences).all()
    assert (a0.problem.capacity >= a1.problem.capacity).all()
    assert a0.cross_border_taken is not None
    assert not a0.cross_border_taken.any()


def test_every_place_taken_leaves_nothing_in_year() -> None:
    """With every free place, every place a leaver frees and every place a
    capacity plan opens taken by other authorities' children, no child of the LA
    is placed all year."""
    sc = sa.load_scenario("london_borough").with_overrides(
        {
            "mode": "in_year",
            "geography.in_area_taken": 1.0,
            "geography.out_of_area_taken": 1.0,
            "dynamics.capacity_plans": [
                {"year": 1, "setting": "special", "places": 60, "day": 60}
            ],
        }
    )
    inst = sc.sample(0)
    assert inst.problem.capacity.sum() == 0
    out = simulate_instance_year(inst, sc, rng=1)
    assert (out.assignment == -1).all()
    # nor in a projection's later years, when September frees places again
    proj = simulate_projection(sc.with_overrides({"mode": "multi_year"}), years=2)
    assert all((o.assignment == -1).all() for _, o in proj)
