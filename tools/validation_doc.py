"""Render docs/validation.md from the stored fit (``make validation-doc``).

The page is a function of ``src/sendalloc/data/calibration.json`` (written by
``tools/calibrate_presets.py``) and of the prose below; tests/test_calibration.py
fails when the page differs from what this script renders.

Usage::

    python tools/validation_doc.py            # writes docs/validation.md
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RECORD = ROOT / "src" / "sendalloc" / "data" / "calibration.json"
DOC = ROOT / "docs" / "validation.md"

#: The targets' units for display: shares as percentages, else as they are.
MONEY = {"transport_cost_per_plan"}

#: Why each target is fitted, held out or pending, and how it is read.
READING: dict[str, str] = {
    "stock_state_special": (
        "The stock is the round's phase transfers into year 7, placed after "
        "appeals: children who already have a plan, placed again, counted at the "
        "school they go to (only this LA's children: those other authorities "
        "place in its schools are not in the round). The national shares are of "
        "all school pupils with a plan; secondary-age pupils are more often in "
        "special and independent schools than primary-age ones, so the year-7 "
        "cohort stands for the stock with a tilt towards them."
    ),
    "stock_independent_special": (
        "About 5-6% (two secondary sources); ±25% as the figure is rough and small."
    ),
    "stock_mainstream": (
        "Units and resourced provision included, as in the source (which counts "
        "their pupils as mainstream)."
    ),
    "new_plans_mainstream": (
        "Measured on all new plans of the round on the day the plan is final "
        "(before any appeal), as the source counts plans issued; units and "
        "resourced provision count as mainstream schools."
    ),
    "new_plans_special": (
        "Special schools of every kind (state, non-maintained, independent). "
        "The source's other 14.6% (other or unknown) is not a target: the model "
        "has no 'unknown'."
    ),
    "special_at_or_over_capacity": (
        "After the round (the census counts pupils after the year's placements), "
        "every state special school of the simulated area and across its border, "
        "other authorities' pupils included. So the fit sets how full special "
        "schools are *before* the round (`special.fill_mean`), and the post-round "
        "fullness is the model's output."
    ),
    "special_places_over": (
        "Pupils beyond capacity per place, at the same schools and time."
    ),
    "placement_appeals": (
        "Section I appeals are not counted on their own: 3.9% of the caseload "
        "appeal a year, 61% of them about the plan's content, placement "
        "included. The target takes all of those as placement appeals (an upper "
        "reading), counts the round's appeals per plan of the caseload, and "
        "allows ±50% for the reading."
    ),
    "appeals_won": (
        "The section I outcome shares are inputs of the tribunal step (31% for "
        "the parent, 24% conceded, 13% for the LA, 32% otherwise); the share "
        "won is an output, because a tribunal cannot name a setting that cannot "
        "admit the child (a setting past its tribunal tolerance, or one of a "
        "kind outside `must_admit_kinds`)."
    ),
    "stock_non_maintained_special": (
        "Held out: no fitted parameter moves it (it follows from the one or two "
        "non-maintained schools' places, sized from this figure), so it checks "
        "that derivation through the process rather than calibrating anything."
    ),
    "special_over_commissioned": (
        "Held out: a different source and year (2022 FOIs, against commissioned "
        "places rather than capacity) from the fitted fullness targets."
    ),
    "stock_alternative_provision": (
        "Held out: alternative provision and other settings (2-3%). The presets "
        "do not list AP as a setting that meets a need, so no child is placed "
        "there: a miss by design, shown so that it is not forgotten."
    ),
    "transported": (
        "Held out: the stock's share on SEND transport (children at a specialist "
        "setting beyond the statutory walking distance, and a share of those "
        "within it) against 206,000 transported of 638,700 plans; the national "
        "figure covers every age (early years and post-16 less often "
        "transported) and its two counts are from different years (36% against "
        "the same year's caseload)."
    ),
    "transport_cost_per_plan": (
        "Held out: the stock's SEND transport cost per child against £1.73bn "
        "over 638,700 plans."
    ),
    "out_of_area": (
        "Held out: the stock's share placed in settings across the border."
    ),
    "plans_within_20_weeks": (
        "Fitted, in the in-year engine: the 20 weeks run from the request for an "
        "assessment to the final plan, which names a setting. The model's year "
        "starts each new plan at its plan day (the assessment done), where "
        "today's process requests a setting, consults and names one (in-year, "
        "docs/status-quo.md); the assessment before it lasts a log-normal time "
        "of mean `dynamics.assessment_days` (fitted: one key for this one "
        "target, so the fit checks nothing by itself) and coefficient of "
        "variation `dynamics.assessment_cv` (an assumption, 0.2-0.8). It dates "
        "each request and changes no allocation, so the same assessment gives "
        "every other policy's share too (`plans_within_20_weeks`, in-year "
        "results). Counted over the new plans of January to mid-August, each "
        "followed for the full 20 weeks within the year."
    ),
}


def pct(x: float | None, name: str) -> str:
    """A target's value for display: a percentage, or pounds for money."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    if name in MONEY:
        return f"£{x:,.0f}"
    return f"{100 * x:.1f}%" if abs(x) >= 0.1 else f"{100 * x:.2f}%"


def num(x: float) -> str:
    """A parameter's value for display."""
    return f"{x:.4g}"


def sources(ids: list[str]) -> str:
    """Source ids as links to docs/sources.md."""
    return ", ".join(f"[`{s}`](sources.md#{s})" for s in ids)


def _targets_table(entry: dict[str, Any]) -> list[str]:
    out = [
        "| target | observed | source | simulated (95% interval) | role | "
        "within tolerance |",
        "|---|---|---|---|---|---|",
    ]
    for t in entry["targets"]:
        n = t["name"]
        lo_band = t["observed"] * (1 - t["tolerance"])
        hi_band = t["observed"] * (1 + t["tolerance"])
        band = f"{pct(lo_band, n)}-{pct(hi_band, n)}"
        if t["value"] is None:
            sim, within = "not modelled", "–"
        else:
            sim = f"{pct(t['value'], n)} ({pct(t['low'], n)}-{pct(t['high'], n)})"
            within = f"yes ({band})" if t["within"] else f"**no** ({band})"
        role = {"fitted": "fitted", "held_out": "held out", "pending": "pending"}[
            t["role"]
        ]
        out.append(
            f"| {t['description']} | {pct(t['observed'], n)} | "
            f"{sources(t['sources'])} | {sim} | {role} | {within} |"
        )
    return out


def _keys(p: dict[str, Any]) -> str:
    """A parameter's key, with the keys tied to it (``a` = `b``)."""
    return "` = `".join([p["key"], *p.get("tied", [])])


def _params_table(entry: dict[str, Any]) -> list[str]:
    out = [
        "| key | estimate | 95% interval | before | identified |",
        "|---|---|---|---|---|",
    ]
    for p in entry["params"]:
        out.append(
            f"| `{_keys(p)}` | {num(p['estimate'])} | {num(p['low'])}-"
            f"{num(p['high'])} | {num(p['start'])} | "
            f"{'yes' if p['identified'] else 'no: about its prior range'} |"
        )
    for key, v in entry["fit"]["choice"].items():
        tried = ", ".join(
            f"{num(c['choice'][key])}: {c['objective']:.3g}"
            for c in entry["fit"]["profile"]
        )
        out.append(
            f"| `{key}` | {num(v)} | chosen among values (objective: {tried}) | | |"
        )
    return out


def render(record: dict[str, Any]) -> str:
    """docs/validation.md from the stored fit."""
    presets = record["presets"]
    lines = [
        "# Validation: today's process against what is observed",
        "",
        "<!-- Generated from src/sendalloc/data/calibration.json by",
        "     tools/validation_doc.py (`make validation-doc`); `make calibrate` refits",
        "     the presets and rewrites both. A test fails when this page is out of",
        "     date. -->",
        "",
        "The presets' unknowns are fitted so that today's statutory process",
        "([`status_quo`](status-quo.md)) reproduces statistics published",
        "nationally; then outcomes that were *not* fitted are compared with what is",
        "observed. This page shows every target for every preset, and says plainly",
        "where the model misses.",
        "",
        "## How the fit works",
        "",
        "[`sendalloc.calibrate`](api/calibrate.md) fits by the simulated method of",
        "moments: a target is an observed statistic, a *measure* of a simulated round",
        "that corresponds to it, and a tolerance relative to its value (the band",
        "within which the simulated value counts as reproducing it: ±10% for a",
        "complete national count, ±15-25% for a rough or small share, ±50% where",
        "the reading itself is a choice). The fit minimises the sum of squared",
        "misses, each in units of its tolerance, over the parameters (mapped onto",
        "their bounds) with `scipy.optimize.least_squares`, simulating the *same*",
        "rounds at every evaluation (common random numbers), so that a change in the",
        "targets is a change of parameters, not of luck. A share of a few schools",
        "(how many independent special schools lie inside the LA) moves in whole",
        "schools, so it is chosen among a few values, each fitted in turn. One",
        "parameter may set several keys (`Param(..., tied=...)`): how full special",
        "schools and units are is one parameter. The one dated target, the share",
        "of new plans issued within 20 weeks, is measured in the in-year engine",
        "and fits the one key it pins down (`calibrate.fit_in_year`: a root",
        "search over the same simulated years), after the annual fit.",
        "",
        "A parameter's uncertainty is a Gaussian approximation around the estimate:",
        "the inverse of `J' S^-1 J + P`, with `J` the targets' derivatives by the",
        "parameters, `S` the targets' uncertainty (each tolerance band read as ±2",
        "standard deviations, plus the Monte Carlo error of the fit's runs) and `P`",
        "the precision of a uniform prior on the parameter's bounds. A parameter the",
        "targets do not pin down keeps about its prior spread, and is marked *not",
        "identified*; its interval is then about its bounds. The presets store each",
        "estimate with its 95% interval as the `[uncertainty]` range, cited as",
        '`"fitted"` ([modelling.md](modelling.md#10-citations-and-assumption-ranges)).',
        "",
        "Each simulated value below comes from a fresh *validation run* of the",
        "preset as shipped, on other seeds than the fit's, and its interval adds the",
        "parameters' uncertainty (carried through the derivatives) to the Monte",
        "Carlo error.",
        "",
        "```python",
        ">>> import sendalloc as sa",
        ">>> from sendalloc import calibrate",
        ">>> m = calibrate.measure('county', calibrate.TARGETS[:1], runs=20, seed=1)",
        ">>> t = calibrate.TARGETS[0]",
        ">>> t.name, t.observed, t.sources",
        "('stock_state_special', 0.358, ('lords-2024-stock-state-special',))",
        ">>> bool(abs(m.get(t.name) - t.observed) < 0.1)",
        "True",
        "",
        "```",
        "",
        "## The targets",
        "",
    ]
    first = next(iter(presets.values()))
    for t in first["targets"]:
        role = {"fitted": "Fitted", "held_out": "Held out", "pending": "Pending"}[
            t["role"]
        ]
        lines.append(
            f"- **{t['description'].capitalize()}** ({pct(t['observed'], t['name'])}, "
            f"±{100 * t['tolerance']:.0f}%; {role.lower()}; measure "
            f"`{t['measure']}`). {READING.get(t['name'], '')}".rstrip()
        )
    lines += [
        "",
        "## What is fitted, and what is not",
        "",
    ]
    for p in first["params"]:
        lines.append(
            f"- `{_keys(p)}` ({num(p['bounds'][0])} to "
            f"{num(p['bounds'][1])}): {p['why']}."
        )
    lines += ["", *NOT_FITTED, "", *_summary(presets), ""]
    for name, entry in presets.items():
        fit = entry["fit"]
        n_fitted = sum(t["role"] == "fitted" for t in entry["targets"])
        timing = [entry["in_year_fit"]] if "in_year_fit" in entry else []
        lines += [
            f"## {name}",
            "",
            f"Fit: {fit['evaluations']} evaluations of {fit['runs']} rounds each "
            f"(seed {fit['seed']}), {fit['seconds']:,} s"
            + (f" (`{fit['command']}`)" if "command" in fit else "")
            + f"; objective {fit['objective']:.3g} over the "
            f"{n_fitted - len(timing)} annual fitted targets. "
            f"Validation run: {entry['validation']['runs']} rounds "
            f"(seed {entry['validation']['seed']}). "
            + "".join(
                f"In-year fit of `{p['key']}`: {t['evaluations']} evaluations of "
                f"{t['runs']} years each (seed {t['seed']}), {t['seconds']} s "
                f"(`{t['command']}`); validation run {t['validation_runs']} years."
                for t in timing
                for p in entry["params"][-1:]
            ),
            "",
            *_targets_table(entry),
            "",
            "Fitted values:",
            "",
            *_params_table(entry),
            "",
        ]
        misses = [
            t for t in entry["targets"] if t["value"] is not None and not t["within"]
        ]
        if misses:
            lines.append(
                "Outside tolerance: "
                + "; ".join(
                    f"{t['description']} ({t['role'].replace('_', ' ')}): "
                    f"{pct(t['value'], t['name'])} against "
                    f"{pct(t['observed'], t['name'])}"
                    for t in misses
                )
                + "."
            )
        else:
            lines.append("Every target is within tolerance.")
        lines.append("")
    lines += [*MISSES, "", *REPRODUCE]
    lines += [
        "",
        f"Recorded by `{record['command']}` on {record['date']} with sendalloc "
        f"{record['sendalloc_version']}.",
        "",
    ]
    return "\n".join(lines)


def _summary(presets: dict[str, Any]) -> list[str]:
    """A table of hits and misses per preset and role."""
    out = [
        "## Summary",
        "",
        "| preset | fitted: within tolerance | held out: within tolerance | "
        "not modelled |",
        "|---|---|---|---|",
    ]
    for name, entry in presets.items():
        cells = []
        for role in ("fitted", "held_out"):
            rows = [
                t
                for t in entry["targets"]
                if t["role"] == role and t["value"] is not None
            ]
            hit = sum(bool(t["within"]) for t in rows)
            cells.append(f"{hit} of {len(rows)}")
        pending = [t["name"] for t in entry["targets"] if t["value"] is None]
        cells.append(", ".join(f"`{n}`" for n in pending) or "–")
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    return out


NOT_FITTED: list[str] = [
    "Not fitted, and why:",
    "",
    "- Figures a source gives directly (the caseload, the need mix, ages, school",
    "  sizes and places, the section I outcome shares of the tribunal step) are",
    "  inputs, cited to the [source table](sources.md); a target that merely",
    "  repeats an input is not a target.",
    "- The refusal model (`status_quo.refusal_at_full`,",
    "  `refusal_fullness_slope`, `refusal_cost_slope`) and the tribunal's",
    "  tolerance keep their wide assumption ranges: no national statistic counts",
    "  the requests an LA turns down, so the targets above move them only",
    "  through the same outcomes as the fitted keys (they are not identified",
    "  separately). They are drawn with the rest in",
    "  [uncertainty runs](uncertainty.md).",
    "- `status_quo.appeal_days`, `dynamics.consultation_days` and the other",
    "  dated keys are not fitted: no national statistic dates the steps after",
    "  the plan day. The one dated target, the share of new plans issued within",
    "  20 weeks, fits the one key it pins down, the mean time of the assessment",
    "  before the plan day, with the spread of that time an assumption: an",
    "  exactly identified fit, which shows the 20-week share can be met and",
    "  lets the proposal's share be read on the same footing, not a test of",
    "  the model. The request-to-plan-day time is not split into its steps",
    "  (the decision to assess, the advice, the draft).",
]
MISSES: list[str] = [
    "## Reading the misses",
    "",
    "A miss is reported, never tuned away: no tolerance was widened to turn a",
    "miss into a hit. A fitted target outside its band means that the fit (a",
    "local search from the preset's previous values) found no values of the",
    "fitted keys within their bounds that bring it inside without pushing other",
    "targets out. `tests/test_calibration.py` checks that each recorded",
    "miss does not grow (the value may come no further from the observed one",
    "than the record's) and that every other target stays within its band.",
    "",
    "- *Placement appeals won*: the tribunal step takes the section I outcome",
    "  shares as inputs, but a tribunal cannot name a setting that cannot admit",
    "  the child (one past its tribunal tolerance), so fewer appeals end with",
    "  the parent's setting than the shares say. Before the presets counted",
    "  non-maintained and s41 independent special schools among the settings",
    "  that must admit (Children and Families Act 2014 s43), every preset",
    "  missed this target (38-45% won against 55%): the model's appeals were",
    "  mostly for full independent schools that it let refuse.",
    "- *New plans naming a special school (London borough)*: the fit until",
    "  2026-12-06 missed this target (12.7% against at most 12.6%): it fitted",
    "  how full special schools are but left units and resourced provision at",
    "  the special schools' reading (1.027), though the presets' own assumption",
    "  was that units are as full as special schools. Full units sent the",
    "  borough's children needing specialist provision to its many special",
    "  places. With the two fullnesses tied (one fitted parameter), every",
    "  preset meets every fitted target; the tie is an assumption (no source",
    "  measures how full units are).",
    "- *Non-maintained special schools (county, held out)*: once a named",
    "  non-maintained school must admit (s43), the county's one in-area school",
    "  takes more pupils than its places (1.4% of the stock against 0.9%).",
    "- *Special schools over their commissioned places (held out)*: the",
    "  county 62% and the London borough 66% against 54% (the large county",
    "  61%, inside). The fit sets how full special schools are before the round",
    "  from the share at or over capacity (67%, fitted); the 54% over their",
    "  *commissioned* places counts against the places LAs pay for, not the",
    "  capacity the survey reports, and the model has one number for both.",
    "- *Alternative provision*: no preset lists AP as a setting that meets a",
    "  need, so no child is placed there (a miss by design).",
    "- *Transport*: the stock here is the year-7 cohort, more often at a",
    "  specialist setting beyond walking distance than the whole caseload",
    "  (early years and post-16 are less often transported), so in the two",
    "  counties the share transported runs above the national figure (46% and",
    "  44% against 32%), and the county's cost per child too (about £3,500",
    "  against £2,710). The London borough's share is on the figure, but its",
    "  distances are short, so its cost per child runs below (about £1,950).",
    "- *Out of area (large county, held out)*: 4.6% against 9.1%. The large",
    "  county is 110 km across (the county 60 km) with settings across its",
    "  border in a ring of the same 30 km, so fewer of its children live near",
    "  the border; the national share mixes small and large LAs.",
]
REPRODUCE: list[str] = [
    "## Reproducing and checking",
    "",
    "- `make calibrate` (`python tools/calibrate_presets.py`) refits every",
    "  preset, writes the fitted values and their ranges into the preset files,",
    "  runs the validation run, records everything in",
    "  `src/sendalloc/data/calibration.json` and rewrites this page.",
    "  `make validation-doc` only rewrites this page from the record.",
    "- `tests/test_calibration.py` fails when a preset drifts outside the",
    "  tolerance of a fitted target, when a preset's values differ from the",
    "  record, or when this page is out of date.",
]


def main() -> int:
    """Write docs/validation.md from the record."""
    record = json.loads(RECORD.read_text(encoding="utf-8"))
    DOC.write_text(render(record), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
