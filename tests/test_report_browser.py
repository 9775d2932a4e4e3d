"""The HTML report in a real browser: headless Chromium, with the network off.

The page is opened from a file at a desktop width, at A4 print width and at a
phone's width, with the network emulated offline and every request that is not
``file:`` or ``data:`` failed (tests/cdp.py drives Chromium over the DevTools
pipe). From the rendered page and a screenshot of it, every figure must have
drawn, nothing may be wider than the page, and the page must have asked for
nothing but itself.

Chromium comes from Debian's ``chromium`` package. Without it the test is
skipped, unless ``SENDALLOC_REQUIRE_BROWSER=1`` (which ``.ci/run`` sets after
installing it): then a missing browser fails the test.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from cdp import Browser, chromium, find_chromium
from report_check import parse
from sendalloc.report import achievability_report, write_report

REQUIRED = os.environ.get("SENDALLOC_REQUIRE_BROWSER") == "1"
EXECUTABLE = find_chromium()

if EXECUTABLE is None and not REQUIRED:
    pytest.skip(
        "Chromium not found (install Debian's chromium package, or set "
        "SENDALLOC_CHROMIUM to a Chromium binary); CI sets "
        "SENDALLOC_REQUIRE_BROWSER=1 so that it cannot be skipped there",
        allow_module_level=True,
    )

#: Viewport widths (CSS pixels): a desktop, A4 portrait at 96 dpi, a phone.
WIDTHS = (1280, 794, 375)

#: Everything the test reads from the rendered page, as JSON.
MEASURE = """
(() => {
  const vw = document.documentElement.clientWidth;
  const box = e => { const r = e.getBoundingClientRect();
    return {x: r.left + scrollX, y: r.top + scrollY, w: r.width, h: r.height,
            right: r.right}; };
  // Elements that stick out of the page on the right, except those inside a
  // box that scrolls sideways on its own (a wide table).
  const out = [];
  for (const e of document.body.querySelectorAll('*')) {
    if (e.closest('.table-wrap') && !e.classList.contains('table-wrap')) continue;
    const r = e.getBoundingClientRect();
    if (r.width > 0 && r.right > vw + 0.5)
      out.push(e.tagName + (e.id ? '#' + e.id : '') + ' ' + r.right.toFixed(1));
  }
  return {
    viewport: vw,
    scrollWidth: document.documentElement.scrollWidth,
    height: document.documentElement.scrollHeight,
    overflowing: out.slice(0, 20),
    svgs: [...document.querySelectorAll('svg')].map(s => ({
      figure: s.closest('figure') ? s.closest('figure').id : '',
      box: box(s),
      marks: s.querySelectorAll('circle, rect').length,
      bbox: (() => { const b = s.getBBox(); return [b.width, b.height]; })(),
    })),
    images: [...document.images].map(i => ({src: i.src.slice(0, 40),
      complete: i.complete, naturalWidth: i.naturalWidth})),
    fonts: document.fonts.status,
  };
})()
"""


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("browser")
    doc = achievability_report("county", runs=20, seed=5, gap_runs=10)
    path = d / "county.html"
    write_report(doc, path)
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if EXECUTABLE is None:
        pytest.fail(
            "SENDALLOC_REQUIRE_BROWSER=1 but no Chromium was found "
            "(apt-get install chromium, or set SENDALLOC_CHROMIUM)"
        )
    with chromium(EXECUTABLE) as b:
        yield b


def _ink(png: bytes, box: dict[str, float]) -> tuple[float, int]:
    """Share of non-white pixels in a box of the screenshot, and their colours."""
    with Image.open(io.BytesIO(png)) as im:
        rgb = np.asarray(im.convert("RGB"), dtype=np.int64)
    x0, y0 = int(box["x"]), int(box["y"])
    crop = rgb[y0 : y0 + int(box["h"]), x0 : x0 + int(box["w"])].reshape(-1, 3)
    inked = crop[crop.sum(axis=1) < 3 * 240]
    return len(inked) / max(len(crop), 1), len(np.unique(inked, axis=0))


@pytest.mark.parametrize("width", WIDTHS)
def test_every_figure_draws_and_nothing_overflows(
    browser: Browser, page: Path, width: int
) -> None:
    html = page.read_text(encoding="utf-8")
    root, _ = parse(html)
    expected = len(list(root.iter("svg")))
    seen, refused = len(browser.requests), len(browser.blocked)
    session = browser.open(page, width=width)
    m: dict[str, Any] = browser.evaluate(session, MEASURE)

    # Nothing wider than the page: no sideways scrolling, no element past the
    # right edge (wide tables scroll inside their own box).
    assert m["viewport"] == width
    assert m["scrollWidth"] <= width, m["overflowing"]
    assert m["overflowing"] == []

    # Every figure drew: each panel has a size on the page, lies within it,
    # and its marks have a drawn extent.
    assert len(m["svgs"]) == expected
    for s in m["svgs"]:
        b = s["box"]
        assert b["w"] > 100, s
        assert b["h"] > 50, s
        assert b["right"] <= width + 0.5, s
        assert s["marks"] >= 3, s
        assert s["bbox"][0] > 0, s
        assert s["bbox"][1] > 0, s
    for img in m["images"]:  # none today; any image must have loaded
        assert img["complete"], img
        assert img["naturalWidth"] > 0, img

    # The screenshot: every panel has ink in several colours (axes, text and
    # the series), not a blank box.
    png = browser.screenshot(session, width, m["height"])
    for s in m["svgs"]:
        share, colours = _ink(png, s["box"])
        assert share > 0.01, s
        assert colours > 3, s

    # Offline, and nothing asked for: the page loaded only itself.
    assert browser.blocked[refused:] == []
    assert browser.requests[seen:] == [page.resolve().as_uri()]


def test_the_page_prints_at_a4_width(browser: Browser, page: Path) -> None:
    session = browser.open(page, width=794)
    browser.send("Emulation.setEmulatedMedia", session, media="print")
    m = browser.evaluate(session, MEASURE)
    assert m["scrollWidth"] <= 794
    # In print the tables wrap instead of scrolling: nothing may stick out.
    wide = browser.evaluate(
        session,
        "[...document.querySelectorAll('table')].filter(t => "
        "t.getBoundingClientRect().right > document.documentElement.clientWidth"
        " + 0.5).map(t => t.querySelector('caption').textContent)",
    )
    assert wide == []
    pdf = browser.send("Page.printToPDF", session, paperWidth=8.27, paperHeight=11.69)
    assert len(pdf["data"]) > 10_000


def test_a_request_for_the_network_is_refused_and_seen(
    browser: Browser, tmp_path: Path
) -> None:
    # The harness itself: a page that asks for the network gets nothing, and
    # the test above would see the attempt.
    page = tmp_path / "remote.html"
    page.write_text(
        '<!DOCTYPE html><html lang="en"><head><link rel="stylesheet" '
        'href="https://example.com/a.css"></head><body>'
        '<img src="http://192.0.2.1/x.png" alt="remote"></body></html>',
        encoding="utf-8",
    )
    before = len(browser.blocked)
    session = browser.open(page, width=800)
    m = browser.evaluate(session, MEASURE)
    assert m["images"][0]["naturalWidth"] == 0
    blocked = browser.blocked[before:]
    assert "https://example.com/a.css" in blocked
    assert "http://192.0.2.1/x.png" in blocked
