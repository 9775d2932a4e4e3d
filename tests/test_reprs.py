"""Notebook reprs: short text, and an HTML table of the numbers, for every result."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import numpy as np
import pytest

import sendalloc as sa
from test_simulate import ToyScenario

MECHS = ["first_available", "deferred_acceptance"]


class Cells(HTMLParser):
    """The text of every table cell, row by row; fails on unbalanced tags."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.stack: list[str] = []
        self.inside = False

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self.stack.append(tag)
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th"):
            self.rows[-1].append("")
            self.inside = True

    def handle_endtag(self, tag: str) -> None:
        assert self.stack.pop() == tag, f"unbalanced </{tag}>"
        if tag in ("td", "th"):
            self.inside = False

    def handle_data(self, data: str) -> None:
        if self.inside:
            self.rows[-1][-1] += data


def cells(doc: str) -> list[list[str]]:
    p = Cells()
    p.feed(doc)
    p.close()
    assert not p.stack, f"unclosed tags {p.stack}"
    return p.rows


@pytest.fixture(scope="module")
def annual() -> sa.SimulationResult:
    return sa.simulate(ToyScenario(), MECHS, runs=5, seed=3)


def test_simulation_result_reprs(annual: sa.SimulationResult) -> None:
    text = repr(annual)
    assert text == (
        "SimulationResult(scenario='toy', runs=5, seed=3, "
        "mechanisms=['first_available', 'deferred_acceptance'])"
    )
    rows = cells(annual._repr_html_())
    assert rows[0] == ["", "first avail.", "DA"]
    by_label = {r[0]: r[1:] for r in rows[1:]}
    s = annual.summary()
    for metric, label in (
        ("first_preference", "first preference %"),
        ("unplaced", "no place %"),
    ):
        mean = s.get("first_available", metric)["mean"]
        assert by_label[label][0].startswith(f"{100 * mean:.1f} (")
    assert "seed 3" in annual._repr_html_()


def test_summary_repr_is_short_and_html_has_every_cell(
    annual: sa.SimulationResult,
) -> None:
    for by in (None, "need", "rank"):
        s = annual.summary(by)
        text = repr(s)
        assert len(text) < 400, text
        assert "array(" not in text
        assert text.startswith(f"Summary(by={by!r}, 2 mechanisms x ")
    s = annual.summary()
    rows = cells(s._repr_html_())
    assert rows[0] == ["", *MECHS]
    assert len(rows) == 1 + len(s.metrics)
    row = next(r for r in rows if r[0] == "first_preference %")
    c = s.get("deferred_acceptance", "first_preference")
    assert row[2] == (
        f"{100 * c['mean']:.1f} ({100 * c['ci_low']:.1f}-{100 * c['ci_high']:.1f})"
    )
    children = next(r for r in rows if r[0] == "children")  # a count, not a %
    assert "%" not in children[0]
    need = annual.summary("need")
    rows = cells(need._repr_html_())
    assert rows[1][0] == f"{need.groups[0]}: {need.metrics[0]}"
    # 13 needs x every group metric, cut to 60 rows and counted
    assert rows[-1][0].startswith("...")
    assert f"{13 * len(need.metrics) - 60} more rows" in rows[-1][0]


def test_time_result_reprs() -> None:
    sc = sa.load_scenario("london_borough").with_overrides({"mode": "in_year"})
    r = sa.simulate(
        sc, ["first_available"], runs=2, seed=np.random.SeedSequence(4, spawn_key=(1,))
    )
    assert repr(r) == (
        "DynamicResult(scenario='london_borough', mode='in_year', years=1, runs=2, "
        "seed=np.random.SeedSequence(4, spawn_key=(1,)), "
        "mechanisms=['first_available'])"
    )
    doc = r._repr_html_()
    rows = cells(doc)
    labels = [row[0] for row in rows]
    assert "waited a day or more %" in labels
    assert "idle place-days a year" in labels
    assert "runs of one year of in-year allocation" in html.unescape(doc)


def test_sweep_reprs() -> None:
    res = sa.sweep(
        "london_borough",
        {"lists.max_length": [3, 5]},
        mechanisms=MECHS,
        runs=2,
        seed=1,
    )
    assert repr(res).startswith("SweepResult(scenario='london_borough', variants=2")
    rows = cells(res._repr_html_())
    assert rows[0][:2] == ["lists.max_length", "mechanism"]
    assert "first_preference %" in rows[0]
    assert len(rows) == 1 + 2 * len(MECHS)
    c = res.get({"lists.max_length": 5}, "deferred_acceptance", "placed_on_list")
    col = rows[0].index("placed_on_list %")
    assert rows[4][col].startswith(f"{100 * c['mean']:.1f} (")
    assert re.search(r"2 variants, 2 simulated rounds each", res._repr_html_())


def test_html_escapes_names() -> None:
    r = sa.simulate(ToyScenario(name="<b>toy</b>"), MECHS, runs=2, seed=0)
    doc = r._repr_html_()
    assert "<b>" not in doc
    assert "&lt;b&gt;toy&lt;/b&gt;" in doc
