"""The achievability measures: one table, each defined for every mode it names."""

from __future__ import annotations

from pathlib import Path

import pytest

import sendalloc as sa
from sendalloc._engine.timemetrics import DYNAMIC_GROUP_METRICS, DYNAMIC_METRICS
from sendalloc.measures import MEASURES, MODES, measure, measures_for, render_markdown
from sendalloc.metrics import GROUP_METRICS, METRICS

DOCS = Path(__file__).resolve().parent.parent / "docs"

#: What each mode's results hold, overall and in every breakdown.
HELD = {
    "annual": (METRICS, GROUP_METRICS),
    "in_year": (DYNAMIC_METRICS, DYNAMIC_GROUP_METRICS),
    "multi_year": (DYNAMIC_METRICS, DYNAMIC_GROUP_METRICS),
}


def test_every_measure_is_a_metric_of_each_mode_and_of_its_breakdowns() -> None:
    # So every measure can be reported for the target group and for everyone.
    for m in MEASURES:
        assert m.modes, m.name
        for mode in m.modes:
            overall, groups = HELD[mode]
            assert m.metric(mode) in overall, (m.name, mode)
            assert m.metric(mode) in groups, (m.name, mode)


def test_the_measures_the_issue_names() -> None:
    names = [m.name for m in MEASURES]
    assert len(set(names)) == len(names)
    for name in (
        "ranked_on_day",
        "first_preference",
        "favourite",
        "no_ranked_place",
        "over_capacity_namings",
        "days_waiting",
        "cost_per_child",
    ):
        assert name in names
    # Placed at a ranked setting: on the day the plan is final (annual), by the
    # statutory deadline in-year.
    assert measure("ranked_on_day").modes == MODES
    assert measure("days_waiting").modes == ("in_year", "multi_year")
    assert measures_for("annual")[0].name == "ranked_on_day"


def test_lookups_fail_clearly() -> None:
    with pytest.raises(ValueError, match="unknown measure 'speed'; valid: ranked_on"):
        measure("speed")
    with pytest.raises(ValueError, match="not measured in the 'annual' mode"):
        measure("days_waiting").metric("annual")
    with pytest.raises(ValueError, match="mode: expected one of"):
        measures_for("weekly")
    with pytest.raises(ValueError, match="unit"):
        sa.measures.Measure("x", "x", "x", "percent", "higher", "x", {})


def test_report_entries_carry_the_metric_of_the_mode() -> None:
    d = measure("unplaced").to_dict("in_year")
    assert d["metric"] == "waiting_year_end"
    assert {"name", "label", "unit", "better", "definition"} <= set(d)


def test_docs_table_is_current() -> None:
    # docs/measures.md holds the table between two markers, written by
    # render_markdown(): regenerate it with `make measures-doc`.
    text = (DOCS / "measures.md").read_text(encoding="utf-8")
    start = "<!-- measures table: make measures-doc -->\n"
    end = "<!-- end of measures table -->"
    table = text.split(start, 1)[1].split(end, 1)[0]
    assert table == render_markdown()
