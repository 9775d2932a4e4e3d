"""Reading the HTML report back: a small element tree and the verdict's checks.

Shared by tests/test_report.py (the page as text) and
tests/test_report_browser.py (the page in Chromium). Independent of sendalloc's
own rendering code: the page is parsed with the standard library's HTML parser,
and every number of the verdict is checked against the JSON document it says
it comes from.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

#: Elements that never have content or an end tag.
VOID = {"meta", "link", "br", "hr", "img", "input", "wbr", "col", "source"}
#: SVG elements written self-closing (``<circle .../>``).
SELF_CLOSING = {"circle", "line", "rect", "path", "polyline", "polygon"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)
    parent: Element | None = None

    def iter(self, tag: str | None = None) -> Iterator[Element]:
        """This element and every element under it (of ``tag``, if given)."""
        if tag is None or self.tag == tag:
            yield self
        for c in self.children:
            if isinstance(c, Element):
                yield from c.iter(tag)

    def text(self) -> str:
        """The text content, as a browser's ``textContent`` would give it."""
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def by_id(self, ident: str) -> Element | None:
        return next((e for e in self.iter() if e.attrs.get("id") == ident), None)

    def ancestors(self) -> Iterator[Element]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = Element(tag, {k: v or "" for k, v in attrs}, parent=self.stack[-1])
        self.stack[-1].children.append(el)
        if tag not in VOID:
            self.stack.append(el)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = Element(tag, {k: v or "" for k, v in attrs}, parent=self.stack[-1])
        self.stack[-1].children.append(el)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if self.stack[-1].tag != tag:
            self.errors.append(
                f"</{tag}> closes <{self.stack[-1].tag}> at {self.getpos()}"
            )
            while len(self.stack) > 1 and self.stack[-1].tag != tag:
                self.stack.pop()
        if len(self.stack) > 1:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str) -> tuple[Element, list[str]]:
    """The page's element tree, and any end tag that did not match its start."""
    b = _Builder()
    b.feed(html)
    b.close()
    if len(b.stack) > 1:
        b.errors.append(f"unclosed: {[e.tag for e in b.stack[1:]]}")
    return b.root, b.errors


def lookup(doc: Any, path: str) -> Any:
    """The value at a ``/``-separated path of a JSON document (KeyError if none)."""
    node = doc
    for part in path.split("/"):
        if isinstance(node, list):
            node = node[int(part)]
        elif isinstance(node, Mapping):
            node = node[part]
        else:
            raise KeyError(path)
    return node


_NUMBER = re.compile(r"[−-]?\d[\d,]*(?:\.\d+)?")


def shown_number(text: str) -> tuple[float, int]:
    """The first number written in ``text`` and its decimal places."""
    m = _NUMBER.search(text)
    if m is None:
        raise ValueError(f"no number in {text!r}")
    s = m.group(0).replace(",", "").replace("−", "-")
    decimals = len(s.split(".")[1]) if "." in s else 0
    return float(s), decimals


def verdict_problems(root: Element, doc: Mapping[str, Any]) -> list[str]:
    """Every way the verdict's numbers fail to match the JSON document.

    - every number written in the verdict is inside a ``<data>`` element;
    - each ``<data>``'s ``data-path`` names a number of the document, its
      ``value`` is exactly that number, and the number shown is that number
      times ``data-scale``, rounded to the decimals shown.
    """
    verdict = root.by_id("verdict-text")
    if verdict is None:
        return ["no element with id verdict-text"]
    problems = []
    untraced = "".join(
        c if isinstance(c, str) else ("" if c.tag == "data" else c.text())
        for c in verdict.children
    )
    # Numbers nested deeper than one level would be caught by the text of c.
    for m in _NUMBER.finditer(untraced):
        problems.append(f"number {m.group(0)!r} in the verdict is not traced")
    data = list(verdict.iter("data"))
    if not data:
        problems.append("the verdict has no traced numbers")
    for d in data:
        path = d.attrs.get("data-path", "")
        try:
            want = lookup(doc, path)
        except (KeyError, IndexError, ValueError):
            problems.append(f"{path!r} is not a path of the document")
            continue
        if not isinstance(want, int | float):
            problems.append(f"{path!r} is {want!r}, not a number")
            continue
        if float(d.attrs.get("value", "nan")) != float(want):
            problems.append(f"{path!r}: value={d.attrs.get('value')} but JSON {want!r}")
        scale = float(d.attrs.get("data-scale", "1"))
        shown, decimals = shown_number(d.text())
        expected = float(want) * scale
        tol = 0.5 * 10.0**-decimals + 1e-9 * max(1.0, abs(expected))
        if abs(shown - expected) > tol:
            problems.append(
                f"{path!r}: shows {d.text()!r}, but JSON {want!r} x {scale:g} "
                f"= {expected!r}"
            )
    return problems


def sentences(text: str) -> list[str]:
    """Split prose into sentences at a full stop followed by a space or the end."""
    parts = re.split(r"(?<=\.)\s+(?=[A-Z])", " ".join(text.split()))
    return [p for p in parts if p]
