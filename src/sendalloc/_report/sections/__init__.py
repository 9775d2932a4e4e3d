"""The sections of the HTML report, each a function of the report document alone.

:data:`SECTIONS` lists them in the page's order. A section reads documented
keys of the document (docs/report.md) and nothing else; one whose data is not
there says what is missing ("Not in this report yet") instead of guessing, so
the work that produces the data plugs in by filling the keys.

Every number of the verdict is a ``<data>`` element whose ``data-path=``
attribute names the number in the document (``run/by_target/first_available/
specialist/unplaced/mean``) and whose ``value`` is that number, so a reader or
a test can trace it.

Each section is a module of this package named by its id (:mod:`.verdict`,
:mod:`.today`, :mod:`.target`, :mod:`.gap`, :mod:`.sensitivity`,
:mod:`.assumptions`, :mod:`.reproduce`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sendalloc._report.sections.assumptions import (
    SOURCES_URL,
    assumptions_section,
)
from sendalloc._report.sections.gap import (
    gap_section,
)
from sendalloc._report.sections.reproduce import (
    reproduce_section,
)
from sendalloc._report.sections.sensitivity import (
    TORNADO_COLOURS,
    sensitivity_section,
)
from sendalloc._report.sections.target import (
    target_section,
)
from sendalloc._report.sections.today import (
    today_section,
)
from sendalloc._report.sections.verdict import (
    verdict_section,
)

__all__ = [
    "SECTIONS",
    "SOURCES_URL",
    "TORNADO_COLOURS",
    "assumptions_section",
    "gap_section",
    "reproduce_section",
    "sensitivity_section",
    "target_section",
    "today_section",
    "verdict_section",
]

#: The sections of the page, in order: (id, title, renderer).
SECTIONS: tuple[tuple[str, str, Callable[[Mapping[str, Any]], str]], ...] = (
    ("verdict", "The verdict", verdict_section),
    ("today", "Today versus the proposal", today_section),
    ("target", "The children it is about, by need and phase", target_section),
    ("gap", "What it would take", gap_section),
    ("sensitivity", "Which assumptions matter most", sensitivity_section),
    ("assumptions", "The assumptions and their sources", assumptions_section),
    ("reproduce", "How to reproduce it", reproduce_section),
)
