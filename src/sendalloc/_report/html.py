"""Results as HTML: the table a notebook shows for a result (``_repr_html_``).

The same rows and cells as the text table (:mod:`sendalloc._report.text`), as an
HTML table under a one-line title, with a note on what the cells are and where
the rest of the result is.
"""

from __future__ import annotations

from sendalloc._engine.streams import seed_text
from sendalloc._html import html_table
from sendalloc._report.common import (
    PROCESS_ROWS,
    PROJECTION_ROWS,
    ROWS,
    SHORT_LABELS,
    TIME_PROCESS_ROWS,
    TIME_ROWS,
    Reportable,
    cell,
)
from sendalloc._report.text import what

__all__ = ["result_html"]


def result_html(result: Reportable) -> str:
    """The headline metrics of a result as an HTML table, one column per mechanism.

    Returns
    -------
    str

    Examples
    --------
    >>> import sendalloc as sa
    >>> r = sa.simulate("london_borough", ["first_available"], runs=3, seed=1)
    >>> html = result_html(r)
    >>> html.startswith("<div><p><strong>london_borough: 3 simulated rounds")
    True
    >>> "no place %" in html
    True
    """
    s = result.summary()
    if result.mode == "annual":
        rows = ROWS + PROCESS_ROWS  # process rows only if today's process ran
        title = f"{result.scenario}: {result.runs} simulated rounds"
        unit = "rounds"
    else:
        rows = TIME_ROWS + (PROJECTION_ROWS if result.mode == "multi_year" else ())
        rows += TIME_PROCESS_ROWS
        title = f"{result.scenario}: {result.runs} runs of {what(result)}"
        unit = "runs"
    head = ["", *(SHORT_LABELS.get(m, m) for m in s.mechanisms)]
    body = []
    for met, row_label, kind in rows:
        if met not in s.metrics:
            continue
        k = s.metrics.index(met)
        cells = []
        for i in range(len(s.mechanisms)):
            if kind == "int":
                mean, lo, hi = (
                    float(a[i, 0, k]) for a in (s.mean, s.ci_low, s.ci_high)
                )
                cells.append(f"{mean:,.0f} ({lo:,.0f}-{hi:,.0f})")
            else:
                cells.append(cell(s, i, k, kind))
        body.append([row_label.strip(), *cells])
    ch = s.get(s.mechanisms[0], "children")["mean"]
    note = (
        f"{result.description} {ch:,.0f} children a round on average; mean (95% "
        f"range over {unit}); seed {seed_text(result.seed)}. "
        ".summary(by) gives the breakdowns, .table() the text, .plot() the figures."
    ).strip()
    return html_table(head, body, title=title, note=note)
