"""The HTML report: every section and figure present, the verdict traced to the JSON.

The page is written by the command line (``sendalloc report``) with its JSON
document, parsed back with the standard library (tests/report_check.py), and
checked against the JSON of the same run. The sections that wait on other work
(today's process, places and pounds, sensitivity) are checked with data
supplied by hand: each draws from the document alone.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

import sendalloc as sa
from report_check import Element, lookup, parse, sentences, verdict_problems
from sendalloc.cli import main
from sendalloc.report import REPORT_SECTIONS, achievability_report, render_html

SCENARIO = "county"
RUNS = 30
SEED = 3
GAP_RUNS = 10
#: The figures every page of an annual run with a places-needed target has.
FIGURES = ("figure-today", "figure-target", "figure-gap")


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Any]]:
    d = tmp_path_factory.mktemp("report")
    page, data = d / "county.html", d / "county.json"
    code = main(
        [
            "report",
            SCENARIO,
            "--runs",
            str(RUNS),
            "--seed",
            str(SEED),
            "--gap-runs",
            str(GAP_RUNS),
            "-o",
            str(page),
            "--json",
            str(data),
            "--no-progress",
        ]
    )
    assert code == 0
    return page.read_text(encoding="utf-8"), json.loads(data.read_text())


@pytest.fixture(scope="module")
def tree(written: tuple[str, dict[str, Any]]) -> Element:
    root, errors = parse(written[0])
    assert not errors, errors
    return root


@pytest.fixture(scope="module")
def doc(written: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return written[1]


# ------------------------------------------------------------------ the verdict
def test_every_number_of_the_verdict_matches_the_json(
    tree: Element, doc: dict[str, Any]
) -> None:
    assert verdict_problems(tree, doc) == []
    verdict = tree.by_id("verdict-text")
    assert verdict is not None
    paths = {d.attrs["data-path"] for d in verdict.iter("data")}
    target = "run/by_target/first_available/specialist"
    assert {f"{target}/first_preference/mean", f"{target}/unplaced/mean"} <= paths
    assert "run/results/first_available/unplaced/mean" in paths
    assert "gap/0/extra/mean" in paths  # the places needed


def test_the_verdict_is_two_sentences(tree: Element) -> None:
    verdict = tree.by_id("verdict-text")
    assert verdict is not None
    said = sentences(verdict.text())
    assert len(said) == 2, said
    assert said[0].startswith("Of the ")
    assert "need specialist provision" in said[0]


def test_the_json_holds_the_same_run_as_sendalloc_run(doc: dict[str, Any]) -> None:
    # The report's run is the run `sendalloc run --json` writes with the same
    # scenario, rules, rounds and seed.
    mechs = doc["run"]["mechanisms"]
    r = sa.simulate(SCENARIO, mechs, runs=RUNS, seed=SEED)
    assert doc["run"] == json.loads(r.to_json())
    assert doc["reproduce"]["seed"] == SEED
    assert doc["reproduce"]["runs"] == RUNS


@pytest.mark.parametrize(
    "tamper",
    ["json value", "page value", "page text", "untraced number", "bad path"],
)
def test_the_verdict_check_fails_when_a_number_is_wrong(
    written: tuple[str, dict[str, Any]], tamper: str
) -> None:
    # The check above must be able to fail: break the page or the JSON in
    # each way it guards against, and it must say so.
    html, doc = written[0], copy.deepcopy(written[1])
    path = "run/by_target/first_available/specialist/unplaced/mean"
    pattern = re.compile(rf'<data value="([^"]*)" data-path="{path}"[^>]*>([^<]*)<')
    m = pattern.search(html)
    assert m is not None
    if tamper == "json value":  # the run says something else than the page
        lookup(doc, "run/by_target/first_available/specialist/unplaced")["mean"] += 0.05
    elif tamper == "page value":
        html = html.replace(m.group(0), m.group(0).replace(m.group(1), "0.5", 1))
    elif tamper == "page text":  # the right value, shown wrongly rounded
        html = html.replace(m.group(0), m.group(0).replace(m.group(2), "99%", 1))
    elif tamper == "untraced number":
        html = html.replace(
            '<p id="verdict-text" class="verdict">',
            '<p id="verdict-text" class="verdict">In 7 cases, ',
        )
    else:
        html = html.replace(f'data-path="{path}"', 'data-path="run/nothing/here"')
    root, _ = parse(html)
    assert verdict_problems(root, doc) != []


# ------------------------------------------------------------------ the page
def test_every_section_is_present_in_order_with_its_heading(tree: Element) -> None:
    sections = [s for s in tree.iter("section")]
    assert [s.attrs["id"] for s in sections] == [sid for sid, _ in REPORT_SECTIONS]
    for s, (_sid, title) in zip(sections, REPORT_SECTIONS, strict=True):
        h2 = next(s.iter("h2"))
        assert h2.text() == title
        assert s.attrs["aria-labelledby"] == h2.attrs["id"]
    assert len(list(tree.iter("h1"))) == 1
    nav = next(tree.iter("nav"))
    assert [a.attrs["href"] for a in nav.iter("a")] == [
        f"#{sid}" for sid, _ in REPORT_SECTIONS
    ]


def test_every_figure_is_present_and_described(
    tree: Element, doc: dict[str, Any]
) -> None:
    for fid in FIGURES:
        fig = tree.by_id(fid)
        assert fig is not None, fid
        assert fig.tag == "figure", fid
        caption = next(fig.iter("figcaption")).text()
        assert len(caption) > 40, fid
        panels = list(fig.iter("svg"))
        assert panels, fid
        for svg in panels:
            assert svg.attrs["role"] == "img"
            # (the parser lowers attribute names: viewBox is viewbox)
            assert re.fullmatch(r"0 0 \d+ \d+(\.\d+)?", svg.attrs["viewbox"])
            assert "width" not in svg.attrs  # scales to its container
            for ident in svg.attrs["aria-labelledby"].split():
                el = tree.by_id(ident)
                assert el is not None
                assert el.tag in ("title", "desc")
                assert len(el.text()) > 10
            marks = [e for e in svg.iter() if e.tag in ("circle", "rect")]
            assert len(marks) >= 3, fid
    # The rules compared: one row of dots per rule (today's process and the
    # six default rules), two series (target, all).
    rules = doc["run"]["mechanisms"]
    assert rules[:2] == ["status_quo", "first_available"]
    today = tree.by_id("figure-today")
    assert today is not None
    first = next(today.iter("svg"))
    assert len(list(first.iter("circle"))) == 2 * len(rules) == 2 * 7


def test_tables_have_captions_and_headers(tree: Element) -> None:
    tables = list(tree.iter("table"))
    assert len(tables) >= 8
    for t in tables:
        assert next(t.iter("caption")).text()
        head = next(t.iter("thead"))
        assert all(th.attrs.get("scope") == "col" for th in head.iter("th"))
        for tr in next(t.iter("tbody")).iter("tr"):
            first = next(c for c in tr.children if isinstance(c, Element))
            assert first.tag == "th"
            assert first.attrs.get("scope") == "row"


def test_the_page_needs_nothing_from_elsewhere(written: tuple[str, Any]) -> None:
    html = written[0]
    root, _ = parse(html)
    assert root.iter("html").__next__().attrs["lang"] == "en"
    for tag in ("script", "link", "iframe", "object", "embed", "img", "video"):
        assert not list(root.iter(tag)), tag
    for el in root.iter():
        for attr in ("src", "srcset", "poster", "data"):
            assert attr not in el.attrs or el.attrs[attr].startswith("data:")
    style = "".join(s.text() for s in root.iter("style"))
    assert "url(" not in style
    assert "@import" not in style
    csp = [
        m.attrs["content"]
        for m in root.iter("meta")
        if m.attrs.get("http-equiv") == "Content-Security-Policy"
    ]
    assert csp
    assert csp[0].startswith("default-src 'none'")


def test_the_assumptions_table_links_every_source(
    tree: Element, doc: dict[str, Any]
) -> None:
    section = tree.by_id("assumptions")
    assert section is not None
    table = next(section.iter("table"))
    rows = list(next(table.iter("tbody")).iter("tr"))
    sc = sa.load_scenario(SCENARIO)
    assert len(rows) == len(set(sc.citations) | set(sc.uncertainty))
    linked = {
        a.attrs["href"].rpartition("#")[2]
        for a in table.iter("a")
        if "/sources/#" in a.attrs["href"]
    }
    cited = {
        s
        for c in sc.citations.values()
        for s in ((c,) if isinstance(c, str) else c)
        if s not in sa.scenario.NOT_SOURCES  # "assumption", "fitted"
    }
    assert linked == cited
    assert set(doc["sources"]) == cited
    assert all(s in sa.sources.load_sources() for s in cited)
    # An uncertain key shows its range, as the scenario gives it.
    speed = next(r for r in rows if "lists.<wbr>speed_kmh" in _inner(r))
    assert "20 to 40" in speed.text()


def _inner(el: Element) -> str:
    out = []
    for c in el.children:
        if isinstance(c, str):
            out.append(c)
        else:
            out.append(f"<{c.tag}>" if c.tag == "wbr" else _inner(c))
    return "".join(out)


def test_the_reproduce_section_gives_version_seed_and_command(
    tree: Element, doc: dict[str, Any]
) -> None:
    section = tree.by_id("reproduce")
    assert section is not None
    text = section.text()
    assert sa.__version__ in text
    command = doc["reproduce"]["command"]
    assert command.startswith(
        f"sendalloc report {SCENARIO} --runs {RUNS} --seed {SEED}"
    )
    assert command in text
    assert "achievability_report('county', runs=30, seed=3)" in text


def test_the_page_is_a_function_of_its_json(written: tuple[str, Any]) -> None:
    html, doc = written
    assert render_html(doc) == html
    assert render_html(json.loads(json.dumps(doc))) == html


# ------------------------------------------------------------------ pending data
def _page(doc: dict[str, Any]) -> Element:
    root, errors = parse(render_html(doc))
    assert not errors, errors
    return root


def test_todays_process_is_shown_beside_the_proposal_when_the_run_has_it(
    doc: dict[str, Any],
) -> None:
    # status_quo is not simulated yet: stand another rule in for it. The page
    # reads which rule is today's process from the document's "baseline".
    d = copy.deepcopy(doc)
    d["baseline"] = "deferred_acceptance"
    root = _page(d)
    assert verdict_problems(root, d) == []
    verdict = root.by_id("verdict-text")
    assert verdict is not None
    assert "under today's process" in verdict.text()
    paths = {e.attrs["data-path"] for e in verdict.iter("data")}
    assert "run/by_target/deferred_acceptance/specialist/unplaced/mean" in paths
    today = root.by_id("today")
    assert today is not None
    assert "Not in this report yet" not in today.text()
    assert "placed the same simulated children" in today.text()
    # Today's process is the first row of every rule table.
    table = next(today.iter("table"))
    first = next(next(table.iter("tbody")).iter("th"))
    assert first.text() == "Deferred acceptance"


def test_the_paired_differences_are_the_runs_differences(doc: dict[str, Any]) -> None:
    mechs = doc["run"]["mechanisms"]
    r = sa.simulate(SCENARIO, mechs, runs=RUNS, seed=SEED)
    assert "status_quo" in doc["differences"]
    for other in (m for m in mechs if m != "first_available"):
        per_run = r.metric("unplaced", "first_available") - r.metric("unplaced", other)
        got = doc["differences"][other]["all"]["unplaced"]
        assert got["mean"] == pytest.approx(per_run.mean(), abs=1e-12)
    t = r.groups["target"]
    i, j = mechs.index("first_available"), mechs.index("max_placement")
    k = sa.metrics.GROUP_METRICS.index("unplaced")
    got = doc["differences"]["max_placement"]["specialist"]["unplaced"]["mean"]
    assert got == pytest.approx((t[:, i, 0, k] - t[:, j, 0, k]).mean(), abs=1e-12)


def _sensitivity(one_at_a_time: bool) -> dict[str, Any]:
    params = []
    for n, key in enumerate(("special.capacity", "lists.speed_kmh", "a.b", "c.d")):
        q: dict[str, Any] = {"key": key, "low": 1.0, "high": 2.0}
        if one_at_a_time:
            q |= {"at_low": 0.36 + 0.02 * n, "at_high": 0.36 - 0.03 * n}
        else:
            q |= {
                "total": {"mean": 0.1 * n, "ci_low": 0.05 * n, "ci_high": 0.15 * n},
                "first_order": {"mean": 0.08 * n, "ci_low": 0.0, "ci_high": 0.1 * n},
            }
        params.append(q)
    return {
        "measure": "unplaced",
        "group": "specialist",
        "mechanism": "first_available",
        "method": "oat" if one_at_a_time else "sobol",
        "central": 0.36 if one_at_a_time else None,
        "evaluations": 8 if one_at_a_time else 4096,
        "parameters": params,
    }


@pytest.mark.parametrize("one_at_a_time", [True, False])
def test_the_tornado_is_drawn_from_a_sensitivity_document(
    doc: dict[str, Any], one_at_a_time: bool
) -> None:
    d = copy.deepcopy(doc)
    before = _page(d).by_id("sensitivity")
    assert before is not None
    assert "Not in this report yet" in before.text()
    d["sensitivity"] = _sensitivity(one_at_a_time)
    root = _page(d)
    fig = root.by_id("figure-tornado")
    assert fig is not None
    svg = next(fig.iter("svg"))
    if one_at_a_time:
        # Two bars a parameter (low end, high end); widest swing first.
        assert len(list(svg.iter("rect"))) == 2 * 4
        labels = [
            t.text() for t in svg.iter("text") if t.attrs.get("text-anchor") == "end"
        ]
        assert labels[0] == "c.d"
    else:
        assert len(list(svg.iter("circle"))) == 2 * 4  # total and first order
    section = root.by_id("sensitivity")
    assert section is not None
    rows = list(next(section.iter("tbody")).iter("tr"))
    assert len(rows) == 4


def test_target_group_breakdowns_are_used_when_the_run_has_them(
    doc: dict[str, Any],
) -> None:
    d = copy.deepcopy(doc)
    d["run"]["by_target_need"] = d["run"]["by_need"]
    d["run"]["by_target_phase"] = d["run"]["by_phase"]
    section = _page(d).by_id("target")
    assert section is not None
    captions = [c.text() for c in section.iter("caption")]
    assert any(c.startswith("By need, children who need specialist") for c in captions)
    assert "by_target_need" not in section.text()  # no note that they are missing


def test_a_run_without_the_target_breakdown_says_so(doc: dict[str, Any]) -> None:
    d = copy.deepcopy(doc)
    del d["run"]["by_target"]
    d["differences"] = {m: {"all": v["all"]} for m, v in d["differences"].items()}
    root = _page(d)
    assert verdict_problems(root, d) == []
    verdict = root.by_id("verdict-text")
    assert verdict is not None
    assert "does not say which children need specialist provision" in verdict.text()
    target = root.by_id("target")
    assert target is not None
    assert "Not in this report yet" in target.text()


def test_places_and_pounds_when_the_gap_has_costs(doc: dict[str, Any]) -> None:
    d = copy.deepcopy(doc)
    d["gap"][0]["annual_cost_gbp"] = {"mean": 2.5e6, "ci_low": 2.0e6, "ci_high": 3.1e6}
    d["gap"][0]["capital_cost_gbp"] = None
    section = _page(d).by_id("gap")
    assert section is not None
    assert "£2.5m (£2.0m–£3.1m)" in section.text()
    # the capital cost, taken away, is said to be missing
    assert "cost to build is not estimated" in section.text()


def test_the_runs_gap_is_in_places_and_pounds(
    tree: Element, doc: dict[str, Any]
) -> None:
    gap = doc["gap"][0]
    assert gap["group"] == "specialist"
    assert gap["annual_cost_gbp"]["mean"] > 0
    assert gap["capital_cost_gbp"]["mean"] > 0
    section = tree.by_id("gap")
    assert section is not None
    text = section.text()
    assert "Not in this report yet" not in text
    assert "not estimated" not in text
    assert text.count("£") >= 2


def test_a_target_out_of_reach_is_reported(doc: dict[str, Any]) -> None:
    d = copy.deepcopy(doc)
    d["gap"] = [{"metric": "placed_on_list", "target": 0.999, "error": "out of reach"}]
    root = _page(d)
    assert verdict_problems(root, d) == []
    section = root.by_id("gap")
    assert section is not None
    assert "out of reach" in section.text()


# ------------------------------------------------------------------ command line
def test_report_rejects_bad_input(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = str(tmp_path / "x.html")
    assert main(["report", SCENARIO, "-m", "first_come", "-o", out]) == 2
    assert "unknown mechanism 'first_come'" in capsys.readouterr().err
    assert main(["report", "no_such_preset", "-o", out]) == 2
    assert main(["report", SCENARIO, "--gap-target", "0", "-o", out]) == 2
    assert not Path(out).exists()


def test_the_command_rebuilds_a_preset_and_only_a_preset_or_a_file() -> None:
    sc = sa.load_scenario("london_borough")
    doc = achievability_report(sc, runs=3, gap_targets=())
    assert doc["reproduce"]["scenario_ref"] == "london_borough"
    assert doc["reproduce"]["command"].startswith("sendalloc report london_borough ")
    changed = sc.with_overrides({"lists.max_length": 3})
    doc = achievability_report(changed, runs=3, gap_targets=())
    assert doc["reproduce"]["scenario_ref"] is None
    assert doc["reproduce"]["command"] == ""
    assert "built in Python" in render_html(doc)


def test_the_report_needs_an_annual_scenario() -> None:
    sc = sa.load_scenario("london_borough").with_overrides({"mode": "in_year"})
    with pytest.raises(ValueError, match="needs an annual scenario"):
        achievability_report(sc, runs=2, gap_targets=())


# ------------------------------------------------------ --sensitivity from a file
SENS_SCENARIO = "london_borough"


@pytest.fixture(scope="module")
def sensitivity_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What ``sendalloc sensitivity --json`` writes, on a small analysis."""
    path = tmp_path_factory.mktemp("sensitivity") / "s.json"
    args = ["sensitivity", SENS_SCENARIO, "--samples", "2", "--runs", "1"]
    args += ["--parameter", "lists.*", "--parameter", "geography.*"]
    code = main([*args, "--no-progress", "--workers", "1", "--json", str(path)])
    assert code == 0
    return path


def _report_with(tmp_path: Path, *extra: str) -> tuple[int, Path, Path]:
    page, data = tmp_path / "r.html", tmp_path / "r.json"
    code = main(
        [
            "report",
            SENS_SCENARIO,
            "--runs",
            "4",
            "--gap-target",
            "none",
            "--no-progress",
            "-o",
            str(page),
            "--json",
            str(data),
            *extra,
        ]
    )
    return code, page, data


def test_report_draws_the_tornado_of_a_sensitivity_file(
    sensitivity_file: Path, tmp_path: Path
) -> None:
    code, page, data = _report_with(tmp_path, "--sensitivity", str(sensitivity_file))
    assert code == 0
    analysis = json.loads(sensitivity_file.read_text())
    measure = analysis["measures"][0]
    result = analysis["results"][measure]
    sens = json.loads(data.read_text())["sensitivity"]
    assert (sens["measure"], sens["group"]) == ("unplaced", "all")
    assert (sens["method"], sens["mechanism"]) == ("sobol", "first_available")
    assert sens["central"] == result["base"]
    assert [q["key"] for q in sens["parameters"]] == result["ranking"]
    for q in sens["parameters"]:
        cell = result["parameters"][q["key"]]
        assert (q["at_low"], q["at_high"]) == (cell["low"], cell["high"])
        assert q["total"]["mean"] == cell["ST"]
        assert q["first_order"]["ci_high"] == pytest.approx(
            cell["S1"] + cell["S1_conf"]
        )
    # Each parameter that is one assumption shows that assumption's range.
    doc = json.loads(data.read_text())
    ranges = {a["key"]: a["range"] for a in doc["assumptions"] if a["range"]}
    ranged = [q for q in sens["parameters"] if q["key"] in ranges]
    assert ranged
    for q in ranged:
        assert (q["low"], q["high"]) == (
            ranges[q["key"]]["low"],
            ranges[q["key"]]["high"],
        )
    root, errors = parse(page.read_text(encoding="utf-8"))
    assert not errors, errors
    section = root.by_id("sensitivity")
    assert section is not None
    assert "Not in this report yet" not in section.text()
    assert root.by_id("figure-tornado") is not None
    rows = list(next(section.iter("tbody")).iter("tr"))
    assert len(rows) == len(result["ranking"])


def test_report_refuses_a_file_that_is_not_a_sensitivity_analysis(
    sensitivity_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    not_json = tmp_path / "notes.txt"
    not_json.write_text("unplaced, 0.3\n", encoding="utf-8")
    wrong = tmp_path / "report.json"
    wrong.write_text(json.dumps({"sendalloc_report": 1, "run": {}}), encoding="utf-8")
    other = tmp_path / "county.json"
    analysis = json.loads(sensitivity_file.read_text())
    other.write_text(json.dumps({**analysis, "scenario": "county"}), encoding="utf-8")
    missing = tmp_path / "missing.json"
    for path, says in (
        (not_json, "not JSON"),
        (wrong, "not a sensitivity analysis"),
        (other, "an analysis of scenario 'county'"),
        (missing, "No such file"),
    ):
        code, page, data = _report_with(tmp_path, "--sensitivity", str(path))
        assert code == 2, path
        err = capsys.readouterr().err
        assert str(path) in err, err
        assert says in err, err
        assert len(err.strip().splitlines()) == 1
        assert not page.exists()
        assert not data.exists()
