"""The report document: every number the HTML report shows, as plain JSON data.

:func:`report_document` gathers a simulation's JSON document (:func:`~sendalloc.
_report.data.result_dict`), the differences between the proposal and every
other rule on the same simulated rounds, the scenario's citations and
uncertainty ranges, the sources they cite, and the optional inputs that other
parts of sendalloc compute (places needed, sensitivity of the measures to the
assumptions). The page (:mod:`sendalloc._report.page`) is a function of this
document only, so whatever can produce the data can fill a section. The schema
is in docs/report.md.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import math
import platform
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from sendalloc._arrays import plain
from sendalloc._engine.policies import BASELINE, PROPOSAL
from sendalloc._report.common import Reportable
from sendalloc._report.data import differences_dict, result_dict
from sendalloc._version import VERSION
from sendalloc.metrics import TARGET_GROUPS
from sendalloc.scenario import NOT_SOURCES, Scenario
from sendalloc.scenario.converters import encode_section
from sendalloc.sources import Source

__all__ = [
    "BASELINE",
    "PROPOSAL",
    "REPORT_SCHEMA",
    "TARGET",
    "cited_sources",
    "gap_entry",
    "paired_differences",
    "report_document",
    "scenario_notes",
    "sensitivity_entry",
]

#: Version of the report document's layout (``sendalloc_report`` in it).
REPORT_SCHEMA = 1
#: The group of the ``target`` breakdown the proposal is for.
TARGET = TARGET_GROUPS[0]


def paired_differences(
    result: Reportable, proposal: str = PROPOSAL
) -> dict[str, dict[str, dict[str, dict[str, float | None]]]]:
    """The proposal minus every other rule, run by run, on the same simulated rounds.

    Every rule of a simulation places the same simulated children in each run
    (common random numbers), so the difference of a metric between two rules
    is taken within each run, then summarised over runs like any metric.

    Parameters
    ----------
    result : SimulationResult
        An annual result (its ``values`` and its ``target`` breakdown).
    proposal : str, default "first_available"

    Returns
    -------
    dict
        ``{other: {group: {metric: {"mean", "ci_low", "ci_high", "se"}}}}``
        where ``group`` is ``"all"`` (the metrics of ``result.metrics``) and,
        when the result has the ``target`` breakdown, each target group (the
        metrics of :data:`~sendalloc.metrics.GROUP_METRICS`). ``ci_low`` and
        ``ci_high`` are the 95% range of the per-run difference, ``se`` the
        Monte Carlo standard error of its mean. Empty if ``proposal`` was not
        run.

    Examples
    --------
    >>> import sendalloc as sa
    >>> r = sa.simulate("london_borough", ["first_available", "max_placement"],
    ...                 runs=4, seed=1)
    >>> d = paired_differences(r)["max_placement"]
    >>> sorted(d)
    ['all', 'not_specialist', 'specialist']
    >>> per_run = r.metric("unplaced", "first_available") - r.metric(
    ...     "unplaced", "max_placement")
    >>> bool(abs(d["all"]["unplaced"]["mean"] - per_run.mean()) < 1e-12)
    True
    """
    return differences_dict(result, proposal)


def _lookup(tree: Mapping[str, Any], key: str) -> tuple[bool, Any]:
    node: Any = tree
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False, None
        node = node[part]
    return True, node


def scenario_notes(scenario: Scenario) -> list[dict[str, Any]]:
    """Every cited or uncertain number of a scenario: its value, sources and range.

    Returns
    -------
    list of dict
        In the order of the ``[cite]`` table, then the uncertain keys not
        cited themselves; each ``{"key", "value", "cite", "cited_by",
        "range"}``: ``cite`` the source ids (``"assumption"`` among them for an
        assumption, ``"fitted"`` for a value fitted by calibration),
        ``cited_by`` the nearest enclosing key whose citation covers a key
        without its own (else None), ``range`` ``{"low", "high", "dist"}`` or
        None.

    Examples
    --------
    >>> import sendalloc as sa
    >>> rows = scenario_notes(sa.load_scenario("county"))
    >>> speed = next(r for r in rows if r["key"] == "lists.speed_kmh")
    >>> speed["cite"], speed["range"]["low"], speed["range"]["high"]
    (['assumption'], 20.0, 40.0)
    """
    tree = scenario.to_dict()
    tree.setdefault("dynamics", encode_section(scenario.dynamics))
    keys = list(scenario.citations)
    keys += [k for k in scenario.uncertainty if k not in scenario.citations]
    rows = []
    for key in keys:
        cite = scenario.citations.get(key)
        ids = [] if cite is None else [cite] if isinstance(cite, str) else list(cite)
        cited_by = None
        if not ids:
            parts = key.split(".")
            for n in range(len(parts) - 1, 0, -1):
                parent = ".".join(parts[:n])
                if parent in scenario.citations:
                    cited_by = parent
                    break
        u = scenario.uncertainty.get(key)
        rows.append(
            {
                "key": key,
                "value": plain(_lookup(tree, key)[1]),
                "cite": ids,
                "cited_by": cited_by,
                "range": None if u is None else u.to_dict(),
            }
        )
    return rows


def cited_sources(
    notes: Sequence[Mapping[str, Any]], sources: Mapping[str, Source]
) -> dict[str, dict[str, Any]]:
    """The entries of the source table that ``notes`` cite, in order of first citation.

    An id the table does not have is kept with ``"status": "unknown"``, so the
    page shows it rather than hiding a broken citation.

    Returns
    -------
    dict of str to dict
        Source id -> the entry's fields (:class:`~sendalloc.sources.Source`).
    """
    out: dict[str, dict[str, Any]] = {}
    for row in notes:
        for sid in row["cite"]:
            if sid in NOT_SOURCES or sid in out:
                continue
            s = sources.get(sid)
            if s is None:
                out[sid] = {"id": sid, "status": "unknown"}
            else:
                out[sid] = plain(dataclasses.asdict(s))
    return out


def gap_entry(
    places: Any,
    *,
    group: str | None = None,
    mechanism: str = PROPOSAL,
    annual_cost_gbp: Mapping[str, float] | None = None,
    capital_cost_gbp: Mapping[str, float] | None = None,
    cost_sources: Sequence[str] | None = None,
) -> dict[str, Any]:
    """One entry of the report's ``gap`` list from a places-needed estimate.

    Parameters
    ----------
    places : PlacesNeeded
        From :func:`sendalloc.capacity.places_needed`.
    group : str, optional
        The children the target is for; default the estimate's own
        (``"all"``, or ``"specialist"`` for the children who need specialist
        provision).
    mechanism : str, default "first_available"
    annual_cost_gbp, capital_cost_gbp : mapping, optional
        ``{"mean", "ci_low", "ci_high"}`` of what the places cost a year and
        to build; default the estimate's own (``None`` where not estimated).
    cost_sources : sequence of str, optional
        Source ids of the costs per place; default the estimate's own.

    Returns
    -------
    dict
        As :meth:`~sendalloc.capacity.PlacesNeeded.to_dict`, with
        ``mechanism`` set and the overrides applied; costs not estimated are
        None.

    Examples
    --------
    >>> from sendalloc.capacity import places_needed
    >>> p = places_needed("london_borough", 0.9, group="specialist", runs=3,
    ...                   n_boot=20)
    >>> e = gap_entry(p)
    >>> e["group"], e["annual_cost_gbp"]["mean"] > 0, "special" in e["by_kind"]
    ('specialist', True, True)
    """
    to_dict = getattr(places, "to_dict", None)
    entry: dict[str, Any] = dict(to_dict()) if to_dict is not None else {}
    if not entry:  # an older estimate without to_dict: the places alone

        def num(x: float) -> float | None:
            return None if not math.isfinite(x) else float(x)

        entry = {
            "metric": places.metric,
            "target": float(places.target),
            "group": "all",
            "extra": {
                "mean": num(places.extra),
                "ci_low": num(places.ci_low),
                "ci_high": num(places.ci_high),
            },
            "baseline": num(places.baseline),
            "achieved": num(places.achieved),
            "by": places.by,
            "by_group": {
                g: float(v)
                for g, v in zip(places.groups, np.asarray(places.by_group), strict=True)
            },
            "annual_cost_gbp": None,
            "capital_cost_gbp": None,
            "cost_sources": [],
            "runs": int(places.runs),
        }

    def cost(c: Any) -> dict[str, Any] | None:
        if not isinstance(c, Mapping) or c.get("mean") is None:
            return None
        return dict(c)

    entry["mechanism"] = mechanism
    if group is not None:
        entry["group"] = group
    entry["annual_cost_gbp"] = cost(
        entry.get("annual_cost_gbp") if annual_cost_gbp is None else annual_cost_gbp
    )
    entry["capital_cost_gbp"] = cost(
        entry.get("capital_cost_gbp") if capital_cost_gbp is None else capital_cost_gbp
    )
    if cost_sources is not None:
        entry["cost_sources"] = list(cost_sources)
    return entry


#: A measure as ``sendalloc sensitivity`` writes it: ``metric`` or ``metric[by=group]``.
_MEASURE = re.compile(r"^\s*(\w+)\s*(?:\[\s*(\w+)\s*=\s*([^\]]+?)\s*\])?\s*$")


def _interval(cell: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    """An index and its half-width (``S1``, ``S1_conf``) as an interval."""
    mean = cell.get(name)
    if not isinstance(mean, int | float) or isinstance(mean, bool):
        return None
    half = cell.get(f"{name}_conf")
    if not isinstance(half, int | float) or not math.isfinite(half):
        return {"mean": float(mean), "ci_low": None, "ci_high": None}
    return {"mean": float(mean), "ci_low": mean - half, "ci_high": mean + half}


def sensitivity_entry(analysis: Any, measure: str | None = None) -> dict[str, Any]:
    """The report's ``sensitivity`` document from a sensitivity analysis.

    Parameters
    ----------
    analysis : SensitivityResult or mapping
        A :class:`~sendalloc.sensitivity.SensitivityResult`, or its JSON document
        (what ``sendalloc sensitivity --json PATH`` writes; schema in
        docs/sensitivity.md).
    measure : str, optional
        The measure to draw (as written in the analysis, such as
        ``"unplaced[target=specialist]"``); default its first.

    Returns
    -------
    dict
        ``{"measure", "group", "mechanism", "method", "central", "evaluations",
        "parameters"}`` (schema in docs/report.md): each parameter's Sobol
        indices (``first_order``, ``total``) or Morris ``mu_star`` with their
        intervals, and the measure at the low and the high end of its range
        (``at_low``, ``at_high``), most influential first. ``low`` and ``high``
        (the range itself) are None: :func:`report_document` fills them from
        the scenario's assumptions.

    Raises
    ------
    ValueError
        If ``analysis`` is not a sensitivity analysis's document, or has no
        such measure; the message names the first key that is wrong.

    Examples
    --------
    >>> doc = {"scenario": "county", "method": "morris", "mechanism": "first_available",
    ...        "measures": ["unplaced[target=specialist]"], "evaluations": 12,
    ...        "results": {"unplaced[target=specialist]": {
    ...            "base": 0.3, "ranking": ["b", "a"],
    ...            "parameters": {
    ...                "a": {"mu_star": 0.01, "mu_star_conf": 0.005,
    ...                      "low": 0.29, "high": 0.31},
    ...                "b": {"mu_star": 0.2, "mu_star_conf": 0.05,
    ...                      "low": 0.1, "high": 0.5}}}}}
    >>> e = sensitivity_entry(doc)
    >>> e["measure"], e["group"], e["central"]
    ('unplaced', 'specialist', 0.3)
    >>> [(q["key"], q["at_low"], q["at_high"]) for q in e["parameters"]]
    [('b', 0.1, 0.5), ('a', 0.29, 0.31)]
    >>> e["parameters"][0]["mu_star"]
    {'mean': 0.2, 'ci_low': 0.15000000000000002, 'ci_high': 0.25}
    >>> sensitivity_entry({"measures": []})
    Traceback (most recent call last):
    ...
    ValueError: not a sensitivity analysis: it has no 'results'
    """
    to_dict = getattr(analysis, "to_dict", None)
    doc = to_dict() if to_dict is not None else analysis
    if not isinstance(doc, Mapping) or not isinstance(doc.get("results"), Mapping):
        raise ValueError("not a sensitivity analysis: it has no 'results'")
    results = doc["results"]
    measures = doc.get("measures")
    names = list(measures) if isinstance(measures, list) else list(results)
    name = names[0] if measure is None and names else measure
    if name is None or name not in results:
        raise ValueError(
            f"no measure {name!r} in the sensitivity analysis; it has "
            f"{', '.join(map(repr, results)) or 'none'}"
        )
    res = results[name]
    cells = res.get("parameters") if isinstance(res, Mapping) else None
    if not isinstance(cells, Mapping) or not all(
        isinstance(c, Mapping) for c in cells.values()
    ):
        raise ValueError(
            f"results[{name!r}].parameters: expected an object of parameters, "
            f"each an object of indices"
        )
    found = _MEASURE.match(str(name))
    metric, group = (found[1], found[3] or "all") if found else (str(name), "all")
    ranking = res.get("ranking")
    order = [k for k in ranking if k in cells] if isinstance(ranking, list) else []
    order += [k for k in cells if k not in order]
    parameters = []
    for key in order:
        cell = cells[key]
        parameters.append(
            {
                "key": str(key),
                "low": None,
                "high": None,
                "at_low": cell.get("low"),
                "at_high": cell.get("high"),
                "first_order": _interval(cell, "S1"),
                "total": _interval(cell, "ST"),
                "mu_star": _interval(cell, "mu_star"),
            }
        )
    return {
        "measure": metric,
        "group": group,
        "mechanism": doc.get("mechanism"),
        "method": doc.get("method"),
        "central": res.get("base"),
        "evaluations": doc.get("evaluations"),
        "parameters": parameters,
    }


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("numpy", "scipy", "numba"):
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:  # pragma: no cover
            out[pkg] = "not installed"
    return out


def _with_ranges(
    sensitivity: Mapping[str, Any], notes: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The sensitivity document with the assumptions' ranges filled in.

    A parameter that is one assumption with a range, and has no ``low`` and
    ``high`` of its own, gets them from the assumptions table.
    """
    ranges = {
        n["key"]: n["range"] for n in notes if isinstance(n.get("range"), Mapping)
    }
    sens = dict(sensitivity)
    params = sens.get("parameters")
    if isinstance(params, list):
        filled = []
        for q in params:
            q = dict(q) if isinstance(q, Mapping) else q
            r = ranges.get(q.get("key")) if isinstance(q, dict) else None
            if r is not None and q.get("low") is None and q.get("high") is None:
                q["low"], q["high"] = r.get("low"), r.get("high")
            filled.append(q)
        sens["parameters"] = filled
    return sens


def report_document(
    result: Reportable,
    scenario: Scenario,
    sources: Mapping[str, Source],
    *,
    scenario_ref: str | None = None,
    command: str = "",
    python: str = "",
    gap: Sequence[Mapping[str, Any]] = (),
    sensitivity: Mapping[str, Any] | None = None,
    measures: Sequence[Mapping[str, Any]] | None = None,
    proposal: str = PROPOSAL,
    baseline: str = BASELINE,
) -> dict[str, Any]:
    """Everything the HTML report shows, as one plain (JSON-ready) document.

    Parameters
    ----------
    result : SimulationResult
        An annual simulation of the scenario (the proposal, today's process
        if available, and the rules to compare).
    scenario : Scenario
        Its citations and uncertainty ranges fill the assumptions table.
    sources : mapping of str to Source
        The source table (:func:`sendalloc.sources.load_sources`).
    scenario_ref : str, optional
        What :func:`~sendalloc.load_scenario` takes to read the scenario again
        (a preset name or a path); None for a scenario built in Python.
    command, python : str
        The command line and the Python call that reproduce the report.
    gap : sequence of dict
        Places (and pounds) needed, one entry per target (:func:`gap_entry`).
    sensitivity : dict, optional
        Sensitivity of a measure to the assumptions (schema in docs/report.md).
    measures : sequence of dict, optional
        The achievability measures to tabulate, each ``{"metric", "label",
        "unit", "better"}``; default the page's own list.
    proposal, baseline : str
        The rule the report is about, and today's process.

    Returns
    -------
    dict
        Keys ``sendalloc_report, proposal, baseline, run, differences,
        measures, gap, sensitivity, assumptions, sources, reproduce``.
    """
    run = result_dict(result)
    notes = scenario_notes(scenario)
    mechs = list(result.mechanisms)
    sens = None if sensitivity is None else _with_ranges(sensitivity, notes)
    return {
        "sendalloc_report": REPORT_SCHEMA,
        "proposal": proposal,
        "baseline": baseline if baseline in mechs else None,
        "run": run,
        "differences": paired_differences(result, proposal),
        "measures": None if measures is None else [dict(m) for m in measures],
        "gap": [dict(g) for g in gap],
        "sensitivity": sens,
        "assumptions": notes,
        "sources": cited_sources(notes, sources),
        "reproduce": {
            "sendalloc_version": VERSION,
            "scenario": scenario.name,
            "scenario_ref": scenario_ref,
            "runs": run["runs"],
            "seed": run["seed"],
            "mechanisms": mechs,
            "command": command,
            "python_call": python,
            "versions": _versions(),
        },
    }
