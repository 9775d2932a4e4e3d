"""The achievability report as one self-contained HTML page.

:func:`render_page` turns a report document (:mod:`sendalloc._report.document`)
into a page: plain HTML and CSS, figures as inline SVG, no script, and a
content-security policy that forbids loading anything, so the page reads the
same offline, in any browser, and prints. The page is the sections of
:data:`~sendalloc._report.sections.SECTIONS` under a title and a table of
contents; each is a function of the document alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from sendalloc._report.markup import lookup
from sendalloc._report.sections import SECTIONS

__all__ = ["render_page"]

_CSS = """
:root{color-scheme:light}
*{box-sizing:border-box}
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,
"Helvetica Neue",Arial,sans-serif;line-height:1.5;color:#1a1a1a;background:#fff}
header,main,footer{max-width:62rem;margin:0 auto;padding:0 1rem}
h1{font-size:1.75rem;line-height:1.25;margin:1.5rem 0 .5rem}
h2{font-size:1.35rem;margin:2rem 0 .5rem;border-bottom:1px solid #ccc}
a{color:#1f4e79}
nav ol{columns:2 16rem;margin:.5rem 0;padding-left:1.5rem}
.verdict{font-size:1.2rem;border-left:4px solid #1f4e79;background:#f1f5fa;
padding:.75rem 1rem;margin:.75rem 0}
.note{font-size:.9rem;color:#444}
.pending{border:1px dashed #8a7a00;background:#fffbe6;padding:.5rem .75rem}
.table-wrap{max-width:100%;overflow-x:auto;margin:.75rem 0}
table{border-collapse:collapse;font-size:.875rem;font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:600;padding:.25rem 0;caption-side:top}
th,td{padding:.2rem .5rem;border-bottom:1px solid #e0e0e0;vertical-align:top}
thead th{border-bottom:2px solid #888;text-align:right;vertical-align:bottom}
thead th:first-child,th[scope=row]{text-align:left;font-weight:normal}
td{text-align:right;white-space:nowrap}
table.notes td,table.notes thead th{text-align:left;white-space:normal}
table.notes td{min-width:6rem}
table.notes th[scope=row]{min-width:12rem}
code{font-size:.9em}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f5f5f5;padding:.5rem}
figure{margin:1rem 0}
.panels{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start}
.panels svg{flex:1 1 20rem;min-width:0;max-width:min(100%,34rem);height:auto}
figcaption{font-size:.9rem;color:#444;margin-top:.25rem}
.legend{display:flex;flex-wrap:wrap;gap:.25rem 1.25rem;list-style:none;padding:0;
margin:.25rem 0;font-size:.875rem}
.swatch{display:inline-block;width:.8em;height:.8em;border-radius:50%;
margin-right:.35em;border:2px solid;vertical-align:-.05em}
.swatch.hollow{background:#fff!important}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem}
dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}
footer{font-size:.85rem;color:#555;margin-top:2rem;padding-bottom:2rem}
@media print{nav{display:none}body{font-size:10pt}.table-wrap{overflow:visible}
td{white-space:normal}figure,tr{break-inside:avoid}h2{break-after:avoid}
a{color:inherit;text-decoration:none}}
"""


def render_page(doc: Mapping[str, Any]) -> str:
    """The report document as one self-contained HTML page.

    Parameters
    ----------
    doc : mapping
        A report document (:func:`~sendalloc._report.document.report_document`,
        or the same data read back from its JSON).

    Returns
    -------
    str
        An HTML5 page: every section of :data:`SECTIONS`, figures inline.
    """
    scenario = str(lookup(doc, "run/scenario") or "")
    title = f"How achievable is first-available allocation? {scenario}"
    desc = str(lookup(doc, "run/description") or "")
    toc = "".join(
        f'<li><a href="#{sid}">{escape(t)}</a></li>' for sid, t, _ in SECTIONS
    )
    body = "".join(fn(doc) for _, _, fn in SECTIONS)
    version = escape(str(lookup(doc, "reproduce/sendalloc_version") or ""))
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">"
        f'<meta name="generator" content="sendalloc {version}">'
        f"<title>{escape(title)}</title><style>{_CSS.strip()}</style></head>"
        f"<body><header><h1>{escape(title)}</h1>"
        + (f"<p>{escape(desc)}</p>" if desc else "")
        + f'<nav aria-label="Contents"><ol>{toc}</ol></nav></header>'
        f"<main>{body}</main>"
        f"<footer><p>Written by sendalloc {version}, an open-source simulation of "
        "allocating school places to children with EHC plans. Every number is a "
        "simulation of the scenario's assumptions, not an observation.</p></footer>"
        "</body></html>\n"
    )
