"""Small HTML tables for the notebook reprs (``_repr_html_``) of results and summaries.

Plain HTML, escaped, with no styling beyond alignment, so a notebook's own theme
(light or dark) applies. A low layer: statistics, renderers and sweeps use it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

__all__ = ["MAX_ROWS", "html_table", "number", "short_list"]

#: Most body rows an HTML repr shows; the rest are counted in a last line.
MAX_ROWS = 60


def html_table(
    head: Sequence[str],
    body: Sequence[Sequence[str]],
    *,
    title: str,
    note: str = "",
    max_rows: int = MAX_ROWS,
) -> str:
    """A titled HTML table: first column left-aligned (a header), the rest right.

    Every string is escaped. Rows beyond ``max_rows`` are left out and counted.

    Examples
    --------
    >>> t = html_table(["", "a"], [["x<y", "1"]], title="T", note="n")
    >>> t.startswith("<div><p><strong>T</strong></p><table>")
    True
    >>> '<th style="text-align:left">x&lt;y</th><td style="text-align:right">1' in t
    True
    >>> len(html_table(["", "a"], [["x", "1"]] * 5, title="T", max_rows=2)
    ...     .split("<tr>"))  # the head, two rows and "... 3 more rows"
    5
    """
    right = ' style="text-align:right"'
    cells = "".join(
        f"<th{right if i else ''}>{escape(h)}</th>" for i, h in enumerate(head)
    )
    rows = []
    for r in body[:max_rows]:
        first = f'<th style="text-align:left">{escape(r[0])}</th>'
        rest = "".join(f"<td{right}>{escape(c)}</td>" for c in r[1:])
        rows.append(f"<tr>{first}{rest}</tr>")
    more = len(body) - max_rows
    if more > 0:
        rows.append(
            f'<tr><td colspan="{len(head)}"><small>... {more} more rows'
            "</small></td></tr>"
        )
    foot = f"<p><small>{escape(note)}</small></p>" if note else ""
    return (
        f"<div><p><strong>{escape(title)}</strong></p><table><thead><tr>{cells}"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>{foot}</div>"
    )


def number(mean: float, lo: float, hi: float, *, percent: bool) -> str:
    """``mean (lo-hi)``: as a percentage with ``percent``, else 3 significant digits.

    Examples
    --------
    >>> number(0.776, 0.75, 0.81, percent=True)
    '77.6 (75.0-81.0)'
    >>> number(17840.2, 16950, 18700.6, percent=False)
    '17,840 (16,950-18,701)'
    >>> number(1.194, 1.1, 1.25, percent=False)
    '1.19 (1.1-1.25)'
    >>> number(float("nan"), 0, 0, percent=False)
    '-'
    """
    if math.isnan(mean):
        return "-"
    if percent:
        return f"{100 * mean:.1f} ({100 * lo:.1f}-{100 * hi:.1f})"
    return f"{_plain(mean)} ({_plain(lo)}-{_plain(hi)})"


def _plain(x: float) -> str:
    """Three significant digits, or a whole number with thousands separators."""
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def short_list(names: Sequence[str], keep: int = 6) -> str:
    """Names joined by commas, the middle elided past ``keep`` (with the count).

    Examples
    --------
    >>> short_list(["a", "b"])
    'a, b'
    >>> short_list([str(i) for i in range(10)], keep=4)
    '0, 1, 2, ..., 9 (10)'
    """
    if len(names) <= keep:
        return ", ".join(names)
    return f"{', '.join(names[: keep - 1])}, ..., {names[-1]} ({len(names)})"
