"""The report's section "How to reproduce it" (``reproduce``)."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from sendalloc._report.markup import (
    pending_note,
    section_html,
)

__all__ = ["reproduce_section"]


def reproduce_section(doc: Mapping[str, Any]) -> str:
    """How to get the same page again: version, seed, runs, command.

    Reads ``reproduce`` (``sendalloc_version, scenario, runs, seed,
    mechanisms, command, python_call, versions``).
    """
    r: Mapping[str, Any] = doc.get("reproduce") or {}
    versions: Mapping[str, Any] = r.get("versions") or {}
    items = [
        ("sendalloc version", str(r.get("sendalloc_version", ""))),
        ("Scenario", str(r.get("scenario", ""))),
        ("Simulated rounds", str(r.get("runs", ""))),
        ("Seed", str(r.get("seed", ""))),
        ("Rules", ", ".join(str(m) for m in r.get("mechanisms", []))),
        ("Software", ", ".join(f"{k} {v}" for k, v in versions.items())),
    ]
    dl = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in items)
    parts = [f"<dl>{dl}</dl>"]
    if r.get("command"):
        command = escape(str(r["command"]))
        parts.append(f"<p>At the command line:</p><pre><code>{command}</code></pre>")
    if not r.get("command"):
        parts.append(
            pending_note(
                "The scenario was built in Python, not read from a preset or a "
                "file, so no command rebuilds it."
            )
        )
    if r.get("python_call"):
        parts.append(
            f"<p>In Python:</p><pre><code>{escape(str(r['python_call']))}</code></pre>"
        )
    parts.append(
        "<p>The same version, scenario, rounds and seed give the same numbers on "
        "any machine and any number of worker processes; <code>--json</code> "
        "writes every number of this page as data.</p>"
    )
    return section_html("reproduce", "How to reproduce it", "".join(parts))
