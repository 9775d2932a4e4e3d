"""Reports of a :class:`~sendalloc.simulate.SimulationResult`, and the HTML report.

Text table and headline paragraph (what ``sendalloc run`` prints), the JSON
document (schema in docs/output.md), a long CSV table, a pandas frame (extra
``pandas``) and matplotlib figures (extra ``plot``). pandas and matplotlib are
imported only inside the functions that need them. Each function takes an
annual or a time result (:class:`~sendalloc.dynamic.DynamicResult`) and renders
it by its ``mode``.

The achievability report (``sendalloc report``) is one self-contained HTML page
about one scenario: :func:`achievability_report` simulates it and gathers the
report document (every number the page shows, as JSON data; schema in
docs/report.md), :func:`render_html` draws the page from that document alone,
and :func:`write_report` writes both.

This module is the front door; the renderers live in ``sendalloc._report``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Executor
from typing import Any

from sendalloc._report.common import MECHANISM_LABELS
from sendalloc._report.data import dump_json, result_dict, to_csv, to_frame, to_json
from sendalloc._report.document import (
    BASELINE,
    PROPOSAL,
    TARGET,
    gap_entry,
    paired_differences,
    report_document,
    sensitivity_entry,
)
from sendalloc._report.figures import plot
from sendalloc._report.markup import DEFAULT_MEASURES
from sendalloc._report.page import render_page
from sendalloc._report.sections import SECTIONS
from sendalloc._report.text import headline, table
from sendalloc.capacity import places_needed
from sendalloc.measures import measures_for
from sendalloc.scenario import Scenario, load_scenario
from sendalloc.simulate import DEFAULT_MECHANISMS, simulate
from sendalloc.sources import load_sources

__all__ = [
    "DEFAULT_MEASURES",
    "MECHANISM_LABELS",
    "REPORT_RULES",
    "REPORT_SECTIONS",
    "achievability_report",
    "gap_entry",
    "headline",
    "paired_differences",
    "plot",
    "render_html",
    "report_document",
    "result_dict",
    "sensitivity_entry",
    "table",
    "to_csv",
    "to_frame",
    "to_json",
    "write_report",
]

#: The sections of the HTML report, in order: (anchor id, heading).
REPORT_SECTIONS: tuple[tuple[str, str], ...] = tuple((s, t) for s, t, _ in SECTIONS)

#: The rules :func:`achievability_report` runs when none are named: those of
#: :data:`~sendalloc.simulate.DEFAULT_MECHANISMS`, today's process
#: (``"status_quo"``) first, then the proposal and the alternatives.
REPORT_RULES: tuple[str, ...] = (
    BASELINE,
    PROPOSAL,
    *(m for m in DEFAULT_MECHANISMS if m not in (BASELINE, PROPOSAL)),
)


def render_html(document: Mapping[str, Any]) -> str:
    """The achievability report as one self-contained HTML page.

    A function of the report document alone (:func:`achievability_report`, or
    its JSON read back), so the same document always gives the same page.
    Figures are inline SVG; the page loads nothing (no script, font, image or
    style sheet from elsewhere) and prints.

    Parameters
    ----------
    document : mapping
        A report document.

    Returns
    -------
    str

    Examples
    --------
    >>> import sendalloc as sa
    >>> from sendalloc.report import achievability_report, render_html
    >>> doc = achievability_report("london_borough", runs=4, gap_targets=())
    >>> page = render_html(doc)
    >>> page.startswith("<!DOCTYPE html>")
    True
    >>> all(f'<section id="{s}"' in page for s, _ in REPORT_SECTIONS)
    True
    """
    return render_page(document)


def _command(
    ref: str,
    runs: int,
    seed: int,
    mechanisms: Sequence[str] | None,
    gap_targets: Sequence[float],
    gap_group: str = TARGET,
) -> tuple[str, str]:
    """The command line and the Python call that rebuild a report."""
    cli = ["sendalloc", "report", ref]
    if runs != 1000:
        cli += ["--runs", str(runs)]
    cli += ["--seed", str(seed)]
    for m in mechanisms or ():
        cli += ["--mechanism", m]
    if tuple(gap_targets) != (0.9,):
        cli += [
            "--gap-target",
            ",".join(f"{t:g}" for t in gap_targets) if gap_targets else "none",
        ]
    if gap_group != TARGET:
        cli += ["--gap-group", gap_group]
    cli += ["-o", "report.html", "--json", "report.json"]
    args = [repr(ref), f"runs={runs}", f"seed={seed}"]
    if mechanisms:
        args.append(f"mechanisms={list(mechanisms)!r}")
    if tuple(gap_targets) != (0.9,):
        args.append(f"gap_targets={tuple(gap_targets)!r}")
    if gap_group != TARGET:
        args.append(f"gap_group={gap_group!r}")
    py = (
        "from sendalloc.report import achievability_report, write_report\n"
        f"doc = achievability_report({', '.join(args)})\n"
        'write_report(doc, "report.html", json_path="report.json")'
    )
    return " ".join(cli), py


def _reference(scenario: Scenario | str | os.PathLike[str]) -> str | None:
    """What to pass to ``load_scenario`` to get the scenario back, if anything."""
    if not isinstance(scenario, Scenario):
        return os.fspath(scenario)
    for ref in (scenario.name, scenario.source):
        try:
            if load_scenario(ref) == scenario:
                return ref
        except (ValueError, OSError):  # not a preset, not a file
            continue
    return None


def achievability_report(
    scenario: Scenario | str | os.PathLike[str] = "county",
    *,
    runs: int = 1000,
    seed: int = 0,
    mechanisms: Iterable[str] | None = None,
    gap_targets: Sequence[float] = (0.9,),
    gap_group: str = TARGET,
    gap_runs: int = 100,
    executor: Executor | None = None,
    progress: Any = None,
    sensitivity: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Simulate a scenario and gather everything the HTML report shows.

    Parameters
    ----------
    scenario : Scenario, str or path, default "county"
        A scenario, a preset name or a TOML path (annual mode).
    runs : int, default 1000
        Simulated rounds.
    seed : int, default 0
        Root of the rounds' random streams (an int, so the page can print the
        command that reproduces it).
    mechanisms : iterable of str, optional
        The rules to run; default :data:`REPORT_RULES`.
    gap_targets : sequence of float, default (0.9,)
        For each, the extra places that would place that share of the
        ``gap_group`` children on their tailored lists, and what they would
        cost (:func:`~sendalloc.capacity.places_needed`, on ``gap_runs``
        rounds); empty for none.
    gap_group : str, default "specialist"
        The children the targets are for: those who need specialist provision
        (the children the proposal is for), or ``"all"``.
    gap_runs : int, default 100
    executor : concurrent.futures.Executor, optional
        Runs the simulation's work units (as :func:`~sendalloc.simulate`).
    progress : callable or bool, optional
        As for :func:`~sendalloc.simulate`.
    sensitivity : mapping, optional
        A sensitivity analysis of a measure to the assumptions, drawn as the
        tornado (schema in docs/report.md; :func:`sensitivity_entry` makes one
        from a :class:`~sendalloc.sensitivity.SensitivityResult` or its JSON).

    Returns
    -------
    dict
        The report document (:func:`render_html` draws it; schema in
        docs/report.md).

    Raises
    ------
    InvalidScenarioError
        For an unknown preset or a bad scenario file.
    ValueError
        For a scenario whose mode is not annual, or an unknown rule.

    Examples
    --------
    >>> from sendalloc.report import achievability_report
    >>> doc = achievability_report("london_borough", runs=4, gap_targets=())
    >>> doc["proposal"], doc["run"]["runs"]
    ('first_available', 4)
    >>> sorted(doc["run"]["by_target"]["first_available"])
    ['not_specialist', 'specialist']
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    ref = _reference(scenario)
    if sc.mode != "annual":
        raise ValueError(
            f"scenario: the report needs an annual scenario, {sc.name!r} is {sc.mode!r}"
        )
    asked = list(mechanisms) if mechanisms is not None else None
    names = asked or list(REPORT_RULES)
    result = simulate(
        sc, names, runs=runs, seed=seed, executor=executor, progress=progress
    )
    gap = []
    for t in gap_targets:
        try:
            need = places_needed(sc, t, group=gap_group, runs=gap_runs, seed=seed)
        except ValueError as exc:
            gap.append(
                {
                    "metric": "placed_on_list",
                    "target": t,
                    "group": gap_group,
                    "error": str(exc),
                }
            )
        else:
            gap.append(gap_entry(need))
    command, python = (
        _command(ref, runs, seed, asked, gap_targets, gap_group) if ref else ("", "")
    )
    return report_document(
        result,
        sc,
        load_sources(),
        scenario_ref=ref,
        command=command,
        python=python,
        gap=gap,
        sensitivity=sensitivity,
        measures=[m.to_dict("annual") for m in measures_for("annual")],
        baseline=BASELINE,
    )


def write_report(
    document: Mapping[str, Any],
    path: str | os.PathLike[str] | None,
    *,
    json_path: str | os.PathLike[str] | None = None,
) -> None:
    """Write the HTML page of a report document, and the document as JSON.

    Parameters
    ----------
    document : mapping
    path : str or os.PathLike or None
        The HTML page (UTF-8); None writes no page.
    json_path : str or os.PathLike, optional
        The document itself (strict JSON, 2-space indent).
    """
    if path is not None:
        with open(path, "w", encoding="utf-8") as f:
            f.write(render_html(document))
    if json_path is not None:
        dump_json(dict(document), json_path)
