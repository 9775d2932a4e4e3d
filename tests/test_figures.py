"""Every figure renders (Agg) with its titles, labels, legend entries and mechanisms.

Also the design rules that a reader of a policy paper relies on: shares in %,
axes that span the values compared, "no listed place" shown, legends off the
data, need codes spelled out, calendar axes, every asked-for mechanism drawn.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import sendalloc as sa
from sendalloc._report.figures import FIGURE_LABELS, SMALL_GROUP, pooled_need

mpl = pytest.importorskip("matplotlib")
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.legend import Legend  # noqa: E402
from matplotlib.text import Text  # noqa: E402

SCEN = "london_borough"
MECHS = ["first_available", "boston", "deferred_acceptance"]


def draw(fig: Figure) -> Any:
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


def texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_visible()]


def legend_entries(fig: Figure) -> list[str]:
    return [t.get_text() for leg in fig.findobj(Legend) for t in leg.get_texts()]


def axes_of(fig: Figure) -> list[Any]:
    return [
        ax for ax in fig.findobj(lambda a: hasattr(a, "get_xlabel")) if ax.get_visible()
    ]


def assert_legends_off_the_data(fig: Figure) -> None:
    renderer = draw(fig)
    legends = fig.findobj(Legend)
    assert legends
    for leg in legends:
        box = leg.get_window_extent(renderer)
        for ax in axes_of(fig):
            assert not box.overlaps(ax.get_window_extent(renderer)), (
                f"legend {[t.get_text() for t in leg.get_texts()]} covers "
                f"the axes titled {ax.get_title(loc='left') or ax.get_title()!r}"
            )


def titles(fig: Figure) -> list[str]:
    return [
        ax.get_title(loc=loc)
        for ax in axes_of(fig)
        for loc in ("left", "center")
        if ax.get_title(loc=loc)
    ]


# --------------------------------------------------------------------------- annual
@pytest.fixture(scope="module")
def annual() -> sa.SimulationResult:
    return sa.simulate(SCEN, MECHS, runs=6, seed=2)


def test_annual_figure(annual: sa.SimulationResult, tmp_path: Any) -> None:
    fig = annual.plot(tmp_path / "annual.png")
    assert (tmp_path / "annual.png").stat().st_size > 10_000
    t = titles(fig)
    for title in (
        "First preference",
        "One of the top three",
        "A setting the parent ranked",
        "A place on the tailored list",
        "No listed place",
        "B. Where children end up",
    ):
        assert title in t, t
    assert t.count("No listed place") == 2  # overall, and by need
    all_text = texts(fig)
    assert any(x.startswith("A. Outcomes by mechanism") for x in all_text)
    assert any(x.startswith("C. By primary need") for x in all_text)
    # Every mechanism, by its full name, in the legend and on the axes.
    entries = legend_entries(fig)
    for m in MECHS:
        assert FIGURE_LABELS[m] in entries
        assert FIGURE_LABELS[m] in all_text
    for part in ("1st preference", "no listed place", "4th or lower"):
        assert part in entries
    # Shares in %; an outcome's axis spans its values, not 0-100.
    outcome_axes = [a for a in axes_of(fig) if a.get_title() == "First preference"]
    first = outcome_axes[0]
    assert first.get_xlabel() == "% of children"
    lo, hi = first.get_xlim()
    s = annual.summary()
    means = [100 * s.get(m, "first_preference")["mean"] for m in MECHS]
    assert lo <= min(means) <= max(means) <= hi
    assert hi - lo < 50
    # Need codes spelled out, sizes given, small groups pooled and named.
    need = annual.summary("need")
    sizes = {g: need.get(MECHS[0], "children", g)["mean"] for g in need.groups}
    assert any(x.startswith("Autistic spectrum disorder (ASD)") for x in all_text)
    small = [g for g, n in sizes.items() if 0 < n < SMALL_GROUP]
    if small:
        pooled = next(x for x in all_text if x.startswith("Other needs, pooled"))
        for code in small:
            assert code in pooled
    assert_legends_off_the_data(fig)


def test_pooling_keeps_every_child(annual: sa.SimulationResult) -> None:
    need = annual.summary("need")
    _, pooled_codes, pooled = pooled_need(annual, need)
    ch = pooled.metrics.index("children")
    np.testing.assert_allclose(
        pooled.mean[:, :, ch].sum(axis=1), need.mean[:, :, ch].sum(axis=1)
    )
    # The pooled first-preference share is the children-weighted mean of its groups.
    if pooled_codes:
        data = annual.groups["need"]
        idx = [need.groups.index(c) for c in pooled_codes]
        col = need.metrics.index("first_preference")
        w = data[:, 0, idx, ch]
        x = np.nan_to_num(data[:, 0, idx, col])
        per_run = (x * w).sum(axis=1) / w.sum(axis=1)
        assert pooled.mean[0, -1, col] == pytest.approx(np.nanmean(per_run))


# --------------------------------------------------------------------------- time
@pytest.fixture(scope="module")
def in_year() -> sa.SimulationResult:
    sc = sa.load_scenario(SCEN).with_overrides({"mode": "in_year"})
    return sa.simulate(sc, MECHS[:2], runs=2, seed=1)


@pytest.fixture(scope="module")
def multi_year() -> sa.SimulationResult:
    sc = sa.load_scenario(SCEN).with_overrides(
        {"mode": "multi_year", "dynamics.years": 3}
    )
    return sa.simulate(sc, MECHS[:2], runs=2, seed=1)


def _time_checks(fig: Figure, mechs: list[str]) -> None:
    t = titles(fig)
    assert any(x.startswith("A. Children waiting") for x in t), t
    for title in (
        "B. Placed on the day the plan is final",
        "C. Places idle while a child who would take one waits",
        "D. First preference",
    ):
        assert title in t, t
    entries = legend_entries(fig)
    for m in mechs:
        assert FIGURE_LABELS[m] in entries
    assert {"at arrival", "at the year's end"} <= set(entries)
    idle = next(a for a in axes_of(fig) if a.get_title(loc="left").startswith("C."))
    assert idle.get_ylim()[0] >= 0  # never a negative count of place-days
    if any(x.startswith("None:") for x in texts(fig)):
        assert idle.get_ylim() == (0, 1)
    placed = next(a for a in axes_of(fig) if a.get_title(loc="left").startswith("B."))
    assert placed.get_ylabel().startswith("% of")
    assert_legends_off_the_data(fig)


def test_in_year_figure(in_year: sa.SimulationResult) -> None:
    fig = in_year.plot()
    _time_checks(fig, MECHS[:2])
    waiting = next(a for a in axes_of(fig) if a.get_title(loc="left").startswith("A."))
    months = [t.get_text() for t in waiting.get_xticklabels(minor=True)]
    assert months == [
        "Jan",
        "Feb",
        "Mar",
        "Apr",
        "May",
        "Jun",
        "Jul",
        "Aug",
        "Sep",
        "Oct",
        "Nov",
        "Dec",
    ]
    assert waiting.get_xlim() == (0, 1)
    first = next(
        a for a in axes_of(fig) if a.get_title(loc="left") == "D. First preference"
    )
    shown = [t.get_text() for t in first.get_yticklabels()]
    assert shown == [FIGURE_LABELS[m] for m in MECHS[:2]]


def test_multi_year_figure(multi_year: sa.SimulationResult) -> None:
    fig = multi_year.plot()
    _time_checks(fig, MECHS[:2])
    waiting = next(a for a in axes_of(fig) if a.get_title(loc="left").startswith("A."))
    assert [t.get_text() for t in waiting.get_xticklabels(minor=True)] == [
        "Year 1",
        "Year 2",
        "Year 3",
    ]
    assert waiting.get_xlim() == (0, 3)
    # Every mechanism asked for, at arrival and at the year's end.
    first = next(
        a for a in axes_of(fig) if a.get_title(loc="left") == "D. First preference"
    )
    lines = [ln for ln in first.get_lines() if len(ln.get_xdata()) == 3]
    assert len(lines) == 2 * len(MECHS[:2])
    colours = {ln.get_color() for ln in lines}
    assert len(colours) == len(MECHS[:2])


# --------------------------------------------------------------------------- sweep
@pytest.fixture(scope="module")
def swept() -> sa.SweepResult:
    return sa.sweep(
        SCEN,
        {"special.capacity_growth": [0.0, 0.2], "lists.max_length": [3, 5]},
        mechanisms=MECHS[:2],
        runs=2,
        seed=0,
    )


def test_sweep_figure(swept: sa.SweepResult) -> None:
    fig = swept.plot("special.capacity_growth", "placed_on_list")
    axes = axes_of(fig)
    assert len(axes) == 2  # a panel per list length
    assert {a.get_title() for a in axes} == {
        "tailored lists: max length = 3",
        "tailored lists: max length = 5",
    }
    assert axes[0].get_xlabel() == "special schools: capacity growth (change in %)"
    assert [t.get_text() for t in axes[0].get_xticklabels()] == ["0%", "+20%"]
    assert axes[0].get_ylabel() == "Placed on the tailored list, % of children"
    ys = np.concatenate([ln.get_ydata() for ln in axes[0].get_lines()])
    assert 1 < np.nanmax(ys) <= 100  # percentages, not fractions
    entries = legend_entries(fig)
    for m in MECHS[:2]:
        assert FIGURE_LABELS[m] in entries
    assert "shaded: 95% range over rounds" in entries
    assert_legends_off_the_data(fig)


def test_sweep_figure_by_another_key(swept: sa.SweepResult) -> None:
    fig = swept.plot(
        "special.capacity_growth", "mean_rank", hue="lists.max_length", band="se"
    )
    (ax,) = axes_of(fig)
    assert ax.get_ylabel() == "Mean rank (ranked)"  # not a share: no %
    entries = legend_entries(fig)
    assert "tailored lists: max length = 3" in entries
    assert "shaded: mean ± 1.96 se" in entries
    assert ax.get_title() == FIGURE_LABELS[MECHS[0]]
