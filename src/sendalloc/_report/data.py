"""Results as data: the JSON document, the long CSV table and a pandas frame.

One writer for every mode: the document's sections are the result's summaries
(:func:`~sendalloc._report.common.sections`), and a time result's document adds
its ``mode`` and ``years``. Schemas: docs/output.md and docs/dynamics.md.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from typing import TYPE_CHECKING, Any

import numpy as np

from sendalloc._engine.streams import seed_json
from sendalloc._report.common import Reportable, sections
from sendalloc._version import VERSION

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CSV_HEADER", "dump_json", "result_dict", "to_csv", "to_frame", "to_json"]

#: Columns of the long CSV table.
CSV_HEADER = [
    "section",
    "mechanism",
    "group",
    "metric",
    "mean",
    "ci_low",
    "ci_high",
    "se",
]


def result_dict(result: Reportable) -> dict[str, Any]:
    """The JSON document of a result (schema: docs/output.md, docs/dynamics.md).

    Parameters
    ----------
    result : SimulationResult

    Returns
    -------
    dict
        Keys ``sendalloc_version, scenario, description, [mode, years,] runs,
        seed, [uncertainty, interval,] mechanisms, results, rank_profile`` and a
        ``by_<group>`` key per breakdown (``by_need, by_phase, by_kind``, and
        for a time result ``by_month, by_year``). Undefined values (NaN) are
        None. ``uncertainty`` and ``interval`` are there when the runs drew
        more than their children (a document without them holds ranges over
        simulated rounds only).
    """
    doc: dict[str, Any] = {
        "sendalloc_version": VERSION,
        "scenario": result.scenario,
        "description": result.description,
    }
    if result.mode != "annual":
        doc["mode"] = result.mode
        doc["years"] = result.years
    doc |= {"runs": result.runs, "seed": seed_json(result.seed)}
    if result.uncertainty != "none":
        doc["uncertainty"] = result.uncertainty
        doc["interval"] = result.interval
    doc["mechanisms"] = list(result.mechanisms)
    keys = {"overall": "results", "rank": "rank_profile"}
    for sec, by in sections(result):
        doc[keys.get(sec, sec)] = result.summary(by).to_dict()
    return doc


def dump_json(doc: dict[str, Any], path: str | os.PathLike[str] | None) -> str:
    """Strict JSON, 2-space indent, trailing newline; written to ``path`` if given."""
    text = json.dumps(doc, indent=2, allow_nan=False) + "\n"
    if path is not None:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    return text


def to_json(result: Reportable, path: str | os.PathLike[str] | None = None) -> str:
    """Serialise :func:`result_dict` (strict JSON, 2-space indent, trailing newline).

    Returns
    -------
    str
    """
    return dump_json(result_dict(result), path)


def _fmt_csv(x: float) -> str:
    return "" if math.isnan(x) else repr(x)


def to_csv(result: Reportable, path: str | os.PathLike[str] | None = None) -> str:
    """Every summary statistic as one long CSV table.

    Columns ``section, mechanism, group, metric, mean, ci_low, ci_high, se``,
    and ``interval`` (what ``ci_low`` and ``ci_high`` range over, e.g. "95%
    range over simulated rounds and assumptions") when the runs drew more than
    their children (without it, the ranges are over simulated rounds);
    ``section`` is ``overall``, ``rank`` or ``by_<group>`` (``by_need``,
    ``by_phase``, ``by_kind``, and for a time result ``by_month`` and
    ``by_year``); ``group`` is ``all`` in the overall section and the rank
    (1, 2, ...) in the rank section. Undefined values are empty cells.

    Returns
    -------
    str
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    drawn = result.uncertainty != "none"
    w.writerow(CSV_HEADER + ["interval"] * drawn)
    tail = [result.interval] * drawn
    for section, by in sections(result):
        s = result.summary(by)
        for i, mech in enumerate(s.mechanisms):
            for g, grp in enumerate(s.groups):
                for k, met in enumerate(s.metrics):
                    w.writerow(
                        [
                            section,
                            mech,
                            grp,
                            met,
                            *(
                                _fmt_csv(float(a[i, g, k]))
                                for a in (s.mean, s.ci_low, s.ci_high, s.se)
                            ),
                            *tail,
                        ]
                    )
    text = buf.getvalue()
    if path is not None:
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(text)
    return text


def to_frame(
    result: Reportable, by: str | None = None, *, per_run: bool = False
) -> pd.DataFrame:
    """A long pandas DataFrame of the summary, or of the per-run values.

    A summary of runs that drew more than their children has an ``interval``
    column naming what ``ci_low`` and ``ci_high`` range over.

    Returns
    -------
    pandas.DataFrame
    """
    import pandas as pd

    s = result.summary(by)
    if per_run:
        if by is None:
            data = result.values[:, :, None, :]
        elif by == "rank":
            data = result.rank_profile[:, :, :, None]
        else:
            data = result.groups[by]
        r, k, g, m = data.shape
        idx = np.indices((r, k, g, m)).reshape(4, -1)
        frame = pd.DataFrame(
            {
                "run": idx[0],
                "mechanism": np.asarray(s.mechanisms, dtype=object)[idx[1]],
                "group": np.asarray(s.groups, dtype=object)[idx[2]],
                "metric": np.asarray(s.metrics, dtype=object)[idx[3]],
                "value": data.reshape(-1),
            }
        )
    else:
        k, g, m = s.mean.shape
        idx = np.indices((k, g, m)).reshape(3, -1)
        frame = pd.DataFrame(
            {
                "mechanism": np.asarray(s.mechanisms, dtype=object)[idx[0]],
                "group": np.asarray(s.groups, dtype=object)[idx[1]],
                "metric": np.asarray(s.metrics, dtype=object)[idx[2]],
                "mean": s.mean.reshape(-1),
                "ci_low": s.ci_low.reshape(-1),
                "ci_high": s.ci_high.reshape(-1),
                "se": s.se.reshape(-1),
            }
        )
        if result.uncertainty != "none":
            frame["interval"] = result.interval
    if by is None:
        frame = frame.drop(columns="group")
    return frame
