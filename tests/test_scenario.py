"""Scenario sampling, and calibration of the presets against their sources.

Source ids are those of docs/sources.md (sendalloc.sources).
"""

from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

import sendalloc as sa
from sendalloc.population import KINDS, NEEDS

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def county():
    return sa.load_scenario("county")


@pytest.fixture(scope="module")
def pooled(county):
    """Children pooled over 20 county samples."""
    insts = [county.sample(seed) for seed in range(20)]
    return insts


def _share(x, n):
    return np.bincount(x, minlength=n) / max(len(x), 1)


# --------------------------------------------------------------------------- instances
def test_instance_is_consistent(county):
    inst = county.sample(np.random.default_rng(7))
    p, c, s = inst.problem, inst.children, inst.settings
    assert isinstance(p, sa.Problem)
    assert p.n_children == c.n
    assert p.n_settings == s.n
    assert p.setting_ids == s.id
    assert p.child_ids == c.id
    assert (p.capacity >= 0).all()
    # every ranked setting lies on the child's tailored list
    for i in range(c.n):
        ranked = set(p.preferences[i][p.preferences[i] >= 0].tolist())
        assert ranked <= set(inst.lists[i][inst.lists[i] >= 0].tolist())
    on = (inst.lists == inst.wish[:, None]).any(axis=1)
    assert (inst.off_list_wish == ((inst.wish >= 0) & ~on)).all()
    assert np.isnan(inst.distance_km[inst.lists < 0]).all()
    assert (inst.distance_km[inst.lists >= 0] >= 0).all()
    assert inst.fallback is True
    assert inst.transport_cost_per_km == 609.0
    # processing by plan day
    assert (np.diff(c.plan_day[p.order]) >= 0).all()


def test_sampling_is_reproducible(county):
    a, b = county.sample(3), county.sample(3)
    assert (a.problem.preferences == b.problem.preferences).all()
    assert (a.children.x_km == b.children.x_km).all()
    assert a.settings is b.settings  # layout cached by layout_seed
    c = county.sample(4)
    assert c.children.n != a.children.n or (c.children.x_km != a.children.x_km).any()


def test_free_places_rule(county):
    inst = county.sample(0)
    s = inst.settings
    free = inst.problem.capacity
    taken = inst.cross_border_taken  # by other LAs' children (cross-border)
    assert (free >= 0).all()
    assert (taken >= 0).all()
    assert (free + taken >= np.maximum(s.capacity - s.on_roll, 0)).all()
    assert (free + taken == sa.scenario.free_places(s)).all()


@pytest.mark.parametrize("name", ["county", "london_borough", "large_county"])
def test_presets_load_and_sample(name):
    sc = sa.load_scenario(name)
    assert sc.name == name
    assert name in sa.list_scenarios()
    inst = sc.sample(0)
    assert inst.children.n > 100
    assert inst.settings.n > 20
    assert sa.Scenario.from_dict(sc.to_dict()) == sc


def test_round_size(pooled):
    n = np.array([i.children.n for i in pooled])
    assert 1000 <= n.mean() <= 1500  # brief: about 1,000-1,500 children
    new = np.array([(~i.children.transfer).sum() for i in pooled])
    tr = np.array([i.children.transfer.sum() for i in pooled])
    # new-plan-rate-start: 17% of the caseload: 680; transfer share (assumed) 1/5 of
    # 3,120 = 624
    assert abs(new.mean() - 680) < 25
    assert abs(tr.mean() - 624) < 25


# ------------------------------------------------------------------------ sampler
# The sampler draws what the preset says: need mix, ages, transfer weights and
# the share needing specialist provision are inputs, so these tests check the
# sampler, not the calibration (tests/test_calibration.py compares the model's
# outputs with observed outcomes). Each share is checked to within Z binomial
# standard errors of the input over the pooled children, so the tolerance
# scales with the share (for HI's 1.4% of some 12,000 county transfers, about
# ±0.4 points) and a sampler that drifts from its inputs fails.
Z_SAMPLER = 4.5


def _check_shares(got_counts, n, expected, label=""):
    """Every share of ``got_counts`` (of ``n``) within Z_SAMPLER SEs of ``expected``."""
    bad = []
    for key, p in expected.items():
        se = np.sqrt(max(p * (1 - p), 1e-12) / n)
        got = got_counts[key] / n
        if abs(got - p) > Z_SAMPLER * se:
            bad.append(f"{label}{key}: {got:.4f} vs {p:.4f} (±{Z_SAMPLER * se:.4f})")
    return bad


@pytest.fixture(scope="module", params=["county", "london_borough", "large_county"])
def preset_pool(request):
    """A preset and the children of its samples pooled (about 10,000+ each)."""
    sc = sa.load_scenario(request.param)
    n = {"county": 20, "london_borough": 40, "large_county": 3}[request.param]
    return sc, [sc.sample(seed).children for seed in range(n)]


def _mix(weights):
    """Need code -> share, the DS column and 'unknown' left out as the sampler does."""
    arr = np.asarray(weights, dtype=float)
    return {code: arr[i] / arr.sum() for i, code in enumerate(NEEDS) if arr[i] > 0}


def test_need_mix_is_drawn_as_given(preset_pool):
    """ees-need-2025-*: transfers take the caseload's need mix."""
    sc, pool = preset_pool
    need = np.concatenate([c.need[c.transfer] for c in pool])
    counts = {code: int((need == NEEDS.index(code)).sum()) for code in NEEDS}
    expected = _mix(sc.population.need_mix)
    assert _check_shares(counts, need.size, expected) == []
    assert counts["DS"] == 0
    # the same check rejects a mix with 3 points moved from ASD to HI
    wrong = dict(expected, ASD=expected["ASD"] - 0.03, HI=expected["HI"] + 0.03)
    assert len(_check_shares(counts, need.size, wrong)) == 2


def test_need_mix_of_older_new_plans_is_drawn_as_given(preset_pool):
    """ees-new-plans-2024-age-10-*: new plans aged 10 and over take their own mix."""
    sc, pool = preset_pool
    pop = sc.population
    need = np.concatenate(
        [c.need[~c.transfer & (c.age >= pop.new_older_from_age)] for c in pool]
    )
    counts = {code: int((need == NEEDS.index(code)).sum()) for code in NEEDS}
    assert _check_shares(counts, need.size, _mix(pop.need_mix_new_older)) == []


def test_new_plan_ages_are_drawn_as_given(preset_pool):
    """ees-ehcp-2025-start-age-*: 26.4% start at 4-5, 18.7% at 10-11, 5.4% at 16+."""
    sc, pool = preset_pool
    age = np.concatenate([c.age[~c.transfer] for c in pool])
    bands = sc.population.new_plan_age_bands
    total = sum(b[2] for b in bands)
    counts, expected = {}, {}
    for lo, hi, w in bands:
        key = f"{lo}-{hi}"
        counts[key] = int(((age >= lo) & (age <= hi)).sum())
        expected[key] = w / total
    assert _check_shares(counts, age.size, expected) == []


def test_transfers_ages_and_days(preset_pool):
    """send-regs-2014-reg18-*: year 7 by 15 Feb (day 46), post-16 by 31 Mar (day 90);
    phase-split-*: the year-6 and year-11 cohorts in the preset's weights."""
    sc, pool = preset_pool
    pop = sc.population
    age = np.concatenate([c.age[c.transfer] for c in pool])
    day = np.concatenate([c.plan_day[c.transfer] for c in pool])
    assert set(age.tolist()) == set(pop.transfer_ages)
    for a, d in zip(pop.transfer_ages, pop.transfer_days, strict=True):
        assert (day[age == a] == d).all()
    w = np.asarray(pop.transfer_weights) / sum(pop.transfer_weights)
    counts = {a: int((age == a).sum()) for a in pop.transfer_ages}
    expected = dict(zip(pop.transfer_ages, w.tolist(), strict=True))
    assert _check_shares(counts, age.size, expected) == []


def test_specialist_shares_are_drawn_as_given(preset_pool):
    """The shares needing specialist provision (new plans, transfers) are the
    preset's (fitted: docs/validation.md), units and resourced provision
    included (``PopulationSpec.specialist_need``)."""
    sc, pool = preset_pool
    s_new, s_tr = sc.population.specialist_need()
    new = np.concatenate([c.specialist[~c.transfer] for c in pool])
    tr = np.concatenate([c.specialist[c.transfer] for c in pool])
    assert _check_shares({"new": int(new.sum())}, new.size, {"new": s_new}) == []
    assert _check_shares({"tr": int(tr.sum())}, tr.size, {"tr": s_tr}) == []
    # the most complex needs are the most likely to need specialist provision
    need = np.concatenate([c.need for c in pool])
    spec = np.concatenate([c.specialist for c in pool])
    pmld, spld = NEEDS.index("PMLD"), NEEDS.index("SPLD")
    assert spec[need == pmld].mean() > spec[need == spld].mean()


@pytest.fixture(scope="module")
def layouts(county):
    """The county's settings under 30 layout seeds."""
    return [
        county.with_overrides({"geography.layout_seed": 100 + k}).settings()
        for k in range(30)
    ]


def test_setting_counts(county):
    """special-schools-per-la ≈7; units-rp-per-la ~20; ~27 secondaries per LA."""
    s = county.settings()
    k = s.kind
    special_in = int(((k == KINDS.index("special")) & s.in_area).sum())
    assert 6 <= special_in <= 8
    assert 17 <= int((k == KINDS.index("resourced_provision")).sum()) <= 21
    secondaries = (k == 0) & (s.min_age == 11)
    assert 24 <= int(secondaries.sum()) <= 28
    assert ((k == KINDS.index("independent_special")) & s.in_area).any()
    assert ((k == KINDS.index("independent_special")) & ~s.in_area).any()
    assert (k == KINDS.index("non_maintained_special")).any()


def test_fullness(layouts, county):
    """Special schools before the round hold ``special.fill_mean`` pupils per place
    (fitted so that about 2/3 are at or over capacity *after* it:
    tests/test_calibration.py), ≈137-140 places; scap-2023-primary-full,
    -secondary-full: 17% of primaries and 23% of secondaries at or over capacity."""
    sp = [s.kind == KINDS.index("special") for s in layouts]
    roll = np.concatenate([s.on_roll[m] for s, m in zip(layouts, sp, strict=True)])
    cap = np.concatenate([s.capacity[m] for s, m in zip(layouts, sp, strict=True)])
    fill = dict(county.groups)["special"].fill_mean
    assert roll.sum() / cap.sum() == pytest.approx(fill, abs=0.015)
    assert cap.mean() == pytest.approx(140, abs=6)
    for lo, _hi, source, tol in [(4, 10, 0.17, 0.025), (11, None, 0.23, 0.05)]:
        full = []
        for s in layouts:
            m = (s.kind == 0) & (s.min_age == lo)
            full.append(s.on_roll[m] >= s.capacity[m])
        assert np.concatenate(full).mean() == pytest.approx(source, abs=tol)


def test_special_school_organisation(layouts):
    """scap-2024-special-*-share: 18% primary, 25% secondary, 56% all-through.

    Shares are allotted by largest remainder, so the county's 8 schools round to
    1/2/5; the large county's 39 are checked closely."""
    for settings, tol in [
        (layouts[:1], 0.075),
        ([sa.load_scenario("large_county").settings()], 0.02),
    ]:
        lo = np.concatenate([s.min_age[s.kind == 2] for s in settings])
        hi = np.concatenate([s.max_age[s.kind == 2] for s in settings])
        assert ((lo == 4) & (hi == 10)).mean() == pytest.approx(0.18, abs=tol)
        assert (lo == 11).mean() == pytest.approx(0.25, abs=tol)
        assert ((lo == 4) & (hi == 18)).mean() == pytest.approx(0.56, abs=tol)


def test_costs(layouts):
    """state-special-cost ≈£24-26k; independent-special-cost ≈£62-63k a place."""
    sp = np.concatenate([s.cost[s.kind == 2] for s in layouts])
    ind = np.concatenate([s.cost[s.kind == 4] for s in layouts])
    assert 24_000 <= sp.mean() <= 26_000
    assert 57_000 <= ind.mean() <= 68_000
    main = np.concatenate([s.cost[s.kind == 0] for s in layouts])
    assert (main == 6_000).all()


def test_travel_limits(county):
    """slough-htst-journey-*: 45 min primary, 75 min secondary."""
    r = county.lists
    assert (r.travel_minutes_primary, r.travel_minutes_secondary) == (45.0, 75.0)
    inst = county.sample(1)
    limit = r.travel_limit_km[inst.children.phase]
    d = inst.distance_km
    assert (np.nan_to_num(d) <= limit[:, None] + 1e-9).all()


# --------------------------------------------------------------------------- specs
def test_overrides(county):
    s2 = county.with_overrides({"lists.max_length": 3, "special.capacity_growth": 0.1})
    assert s2.lists.max_length == 3
    assert s2.sample(0).lists.shape[1] == 3
    base = county.settings()
    grown = s2.settings()
    m = base.kind == 2
    assert grown.capacity[m].sum() > base.capacity[m].sum()
    with pytest.raises(
        sa.InvalidScenarioError, match=r"lists\.max_lenght: unknown key"
    ):
        county.with_overrides({"lists.max_lenght": 3})
    with pytest.raises(sa.InvalidScenarioError, match=r"lists\.max_length = 0"):
        county.with_overrides({"lists.max_length": 0})
    with pytest.raises(sa.InvalidScenarioError, match="unknown key"):
        county.with_overrides({"nothere.x": 1})


def test_layout_drawn_per_sample_without_seed(county):
    d = county.to_dict()
    del d["geography"]["layout_seed"]
    sc = sa.Scenario.from_dict(d)
    a, b = sc.sample(1), sc.sample(2)
    assert (a.settings.x_km != b.settings.x_km).any()


def _write(tmp_path, text):
    p = tmp_path / "s.toml"
    p.write_text(text, encoding="utf-8")
    return p


def _county_text():
    from importlib import resources

    return (
        resources.files("sendalloc")
        .joinpath("scenarios/county.toml")
        .read_text("utf-8")
    )


def test_unknown_key_names_line_and_column(tmp_path):
    text = _county_text().replace("max_length = 5", "max_length = 5\n  max_lenth = 4")
    p = _write(tmp_path, text)
    line = text.splitlines().index("  max_lenth = 4") + 1
    with pytest.raises(sa.InvalidScenarioError) as e:
        sa.Scenario.from_toml(p)
    assert str(e.value).startswith(f"{p}:{line}:3: lists.max_lenth: unknown key")


def test_bad_value_names_line_and_column(tmp_path):
    text = _county_text().replace('order = "plan_day"', 'order = "alphabetical"')
    p = _write(tmp_path, text)
    line = text.splitlines().index('order = "alphabetical"') + 1
    with pytest.raises(sa.InvalidScenarioError, match=rf":{line}:1: allocation.order"):
        sa.load_scenario(p)


def test_inline_table_key_located(tmp_path):
    text = _county_text().replace("need_mix = { ASD = 31.5", "need_mix = { ASX = 31.5")
    p = _write(tmp_path, text)
    line = next(i for i, s in enumerate(text.splitlines(), 1) if "ASX" in s)
    with pytest.raises(
        sa.InvalidScenarioError, match=rf":{line}:14: population.need_mix.ASX"
    ):
        sa.load_scenario(p)


@pytest.mark.parametrize(
    ("old", "new", "match"),
    [
        ("[special]\nkind", "[special]\nkind_ = 1\nkind", "special.kind_: unknown key"),
        ('kind = "special"', 'kind = "castle"', "special.kind = 'castle'"),
        ("capacity = [110, 170]", "capacity = [170, 110]", "special.capacity"),
        ("[lists]", "[lits]\nx = 1\n[lists]", "lits: unknown key"),
        ("towns = 8", "towns = 8.5", "geography.towns = 8.5: expected an integer"),
        ("plans = 4000", "plans = 0", "population.plans = 0"),
    ],
)
def test_spec_errors(tmp_path, old, new, match):
    text = _county_text()
    assert old in text
    with pytest.raises(sa.InvalidScenarioError, match=match):
        sa.load_scenario(_write(tmp_path, text.replace(old, new, 1)))


def test_invalid_toml(tmp_path):
    p = _write(tmp_path, 'name = "x"\nbad line here\n')
    with pytest.raises(sa.InvalidScenarioError, match=r"s\.toml:2:\d+: invalid TOML"):
        sa.load_scenario(p)


def test_unknown_preset():
    with pytest.raises(sa.InvalidScenarioError, match="unknown scenario 'narnia'"):
        sa.load_scenario("narnia")


def test_from_dict_errors():
    with pytest.raises(sa.InvalidScenarioError, match="<dict>: missing required key"):
        sa.Scenario.from_dict({"name": "x"})


def test_real_data_scenario():
    sc = sa.load_scenario(DATA / "scenario_gias.toml")
    inst = sc.sample(0)
    assert inst.children.id == ("A1", "A2", "A3", "A4")
    assert "100003" in inst.settings.id
    assert "100002-UNIT" in inst.settings.id
    p = inst.problem
    pmld = p.preferences[1][p.preferences[1] >= 0]
    assert [inst.settings.id[j] for j in pmld] == ["100003"]


def test_sampled_children_record_who_is_rural(county):
    # One town and almost no spread: every child placed around the town sits on
    # it, every child placed uniformly in the LA does not.
    sc = county.with_overrides(
        {
            "geography.towns": 1,
            "geography.town_sd_km": 0.0,
            "geography.rural_share": 0.5,
        }
    )
    c = sc.sample(3).children
    xy = np.column_stack([c.x_km, c.y_km])
    at_town = (np.abs(xy - xy[~c.rural][0]) < 1e-9).all(axis=1)
    assert c.rural.any()
    assert not c.rural.all()
    np.testing.assert_array_equal(at_town, ~c.rural)
    assert not c.rural.flags.writeable
    # the preset's share, and none or all at the ends of the range
    rural = np.concatenate([county.sample(s).children.rural for s in range(5)])
    assert abs(rural.mean() - county.geography.rural_share) < 0.03
    for share in (0.0, 1.0):
        c = county.with_overrides({"geography.rural_share": share}).sample(1).children
        assert c.rural.all() == (share == 1.0)
        assert c.rural.any() == (share == 1.0)


# ------------------------------------------------------------------ display
class _Tags(HTMLParser):
    """Checks that every tag closes, in order, and collects the text."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.seen: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.stack.append(tag)
        self.seen.add(tag)

    def handle_endtag(self, tag):
        assert self.stack, f"</{tag}> closes nothing"
        assert self.stack.pop() == tag, f"</{tag}> closes another tag"

    def handle_data(self, data):
        self.text.append(data)


def _parse_html(text):
    p = _Tags()
    p.feed(text)
    p.close()
    assert not p.stack, f"unclosed tags: {p.stack}"
    return p, " ".join(p.text)


@pytest.mark.parametrize("name", ["county", "large_county", "london_borough"])
def test_scenario_repr_is_short(name):
    sc = sa.load_scenario(name)
    r = repr(sc)
    assert len(r) < 200
    assert "\n" not in r
    assert r.startswith(f"Scenario({name!r}, annual: {sc.population.plans:,} plans; ")
    n = sum(g.count for _, g in sc.groups)
    assert f"{n:,} settings (" in r
    special = sum(g.count for _, g in sc.groups if g.kind == "special")
    assert f"special {special:,}," in r
    assert r.endswith(f"{len(sc.citations)} cited, {len(sc.uncertainty)} uncertain)")
    assert repr(sc.with_overrides({"mode": "in_year"})).startswith(
        f"Scenario({name!r}, in_year: "
    )


def test_scenario_repr_clips_a_long_name_and_names_data_files():
    sc = sa.load_scenario("county").with_overrides({"name": "x" * 500})
    r = repr(sc)
    assert len(r) < 200
    assert "x" * 39 + "\u2026" in r
    r = repr(sa.load_scenario(DATA / "scenario_gias.toml"))
    assert r == (
        "Scenario('gias_test', annual: children from children_small.csv; "
        "settings from gias_small.csv; 0 cited, 0 uncertain)"
    )


def test_scenario_html_is_well_formed_and_complete(county):
    sc = county.with_overrides({"name": "<b>Kent & co</b>", "mode": "multi_year"})
    parsed, text = _parse_html(sc._repr_html_())
    assert parsed.seen == {"table", "tbody", "tr", "th", "td"}  # the name is text
    assert "<b>Kent & co</b>" in text
    assert "multi_year (5 years)" in text
    assert sc.description.splitlines()[0] in text
    assert f"{sc.population.plans:,} EHC plans" in text
    for key, g in sc.groups:
        assert f"{key} {g.kind} {g.count:,} " in text
    total = sum(g.count for _, g in sc.groups)
    assert f"all {total:,} " in text
    ids = [[c] if isinstance(c, str) else c for c in sc.citations.values()]
    sourced = sum(any(s not in ("assumption", "fitted") for s in c) for c in ids)
    fitted = sum(c == ["fitted"] for c in ids)
    assumed = len(sc.citations) - sourced - fitted
    assert (
        f"{len(sc.citations)} cited: {sourced} to a source, "
        + (f"{fitted} fitted, " if fitted else "")
        + f"{assumed} assumptions; "
        f"{len(sc.uncertainty)} with an uncertainty range"
    ) in text
    assert 0 < sourced < len(sc.citations)
    assert len(sc._repr_html_()) < 5000


def test_scenario_html_of_data_files():
    sc = sa.load_scenario(DATA / "scenario_gias.toml")
    _, text = _parse_html(sc._repr_html_())
    assert "children read from children_small.csv" in text
    assert "read from gias_small.csv" in text
