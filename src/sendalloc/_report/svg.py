"""Figures as inline SVG for the HTML report: no matplotlib, no fonts, no network.

Each function draws one *panel*: a self-contained ``<svg>`` element of a fixed
design width that scales to its container (``viewBox``, no fixed size), with a
``<title>`` and a ``<desc>`` that screen readers announce (``role="img"``). A
figure of the report is one or more panels side by side that wrap under each
other on a narrow screen, so a panel stays readable on a phone.

Three kinds of panel:

- :func:`dot_panel`: for each row (a rule, a need, a phase, an assumption) one
  dot per series (a rule, a group, a kind of index) at the mean, with a thin
  line over its 95% range;
- :func:`bar_panel`: one horizontal bar per row (places needed by kind);
- :func:`tornado_panel`: for each uncertain assumption, a bar from the measure
  at the assumption's low end to its high end, around the central value.

The drawing is deterministic: the same data give the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

__all__ = [
    "PANEL_WIDTH",
    "Interval",
    "Series",
    "bar_panel",
    "dot_panel",
    "nice_ticks",
    "tornado_panel",
    "wrap_label",
]

#: Design width of a panel (user units; the panel scales to its container).
PANEL_WIDTH = 380
_FONT = 12  # label font size (user units)
_CHAR = 0.56 * _FONT  # mean width of a character, for layout
_ROW = 30  # height of a row: room for a label of two lines
_TOP = 30  # the panel title
_AXIS = 34  # tick labels and the axis name
_GRID = "#d9d9d9"
_INK = "#222222"
_MUTED = "#555555"


@dataclass(frozen=True, slots=True)
class Interval:
    """A mean and its 95% range (``low``, ``high``); NaN where undefined."""

    mean: float
    low: float
    high: float

    @property
    def defined(self) -> bool:
        """Whether the mean is a number."""
        return not math.isnan(self.mean)


@dataclass(frozen=True, slots=True)
class Series:
    """One series of a :func:`dot_panel`: a value per row (None for no value).

    ``filled`` draws solid dots, else hollow ones (a second series of the same
    colour, such as everyone beside the target group).
    """

    name: str
    colour: str
    values: tuple[Interval | None, ...]
    filled: bool = True


def nice_ticks(lo: float, hi: float, n: int = 4) -> list[float]:
    """About ``n`` round tick values covering ``[lo, hi]``.

    Examples
    --------
    >>> nice_ticks(0.12, 0.47)
    [0.1, 0.2, 0.3, 0.4, 0.5]
    >>> nice_ticks(0, 0)  # an empty range: 0 to 1
    [0.0, 0.25, 0.5, 0.75, 1.0]
    """
    if not hi > lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.floor(lo / step + 1e-9) * step
    ticks = []
    k = 0
    while True:
        t = start + k * step
        ticks.append(round(t, 12))
        if t >= hi - 1e-9 * step:
            break
        k += 1
    return ticks


def wrap_label(text: str, width: int) -> list[str]:
    """``text`` in at most two lines of ``width`` characters (the rest elided).

    Examples
    --------
    >>> wrap_label("Speech, language and communication needs", 24)
    ['Speech, language and', 'communication needs']
    >>> wrap_label("Profound and multiple learning difficulty (PMLD)", 20)
    ['Profound and', 'multiple learning d…']
    """
    words = text.split()
    lines: list[str] = []
    cur = ""
    for w in words:
        if not cur:
            cur = w
        elif len(cur) + 1 + len(w) <= width:
            cur += " " + w
        else:
            lines.append(cur)
            cur = w
    lines.append(cur)
    if len(lines) > 2:
        lines = [lines[0], " ".join(lines[1:])]
    return [ln if len(ln) <= width else ln[: width - 1] + "…" for ln in lines]


def _num(x: float) -> str:
    """A coordinate: at most two decimals, no trailing zeros."""
    s = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def _tick_text(v: float, percent: bool) -> str:
    if percent:
        p = 100 * v
        return f"{p:.0f}%" if abs(p - round(p)) < 1e-9 else f"{p:.1f}%"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:g}"


class _Frame:
    """Layout of a panel: label column, plot area, x scale, rows."""

    def __init__(
        self, rows: Sequence[str], domain: tuple[float, float], label_chars: int
    ) -> None:
        longest = max((len(r) for r in rows), default=4)
        self.chars = min(max(longest, 4), label_chars)
        self.left = round(self.chars * _CHAR + 14)
        self.right = PANEL_WIDTH - 16
        self.height = _TOP + _ROW * max(len(rows), 1) + _AXIS
        self.lo, self.hi = domain

    def x(self, v: float) -> float:
        span = self.hi - self.lo
        return self.left + (v - self.lo) / span * (self.right - self.left)

    def y(self, row: int) -> float:
        return _TOP + _ROW * row + _ROW / 2


def _open(uid: str, title: str, desc: str, frame: _Frame) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="panel" role="img" '
        f'viewBox="0 0 {PANEL_WIDTH} {frame.height}" '
        f'aria-labelledby="{uid}-t {uid}-d">',
        f'<title id="{uid}-t">{escape(title)}</title>',
        f'<desc id="{uid}-d">{escape(desc)}</desc>',
        f'<text x="0" y="16" font-size="13" font-weight="bold" fill="{_INK}">'
        f"{escape(title)}</text>",
    ]


def _labels(frame: _Frame, rows: Sequence[str]) -> list[str]:
    out = []
    for i, r in enumerate(rows):
        lines = wrap_label(r, frame.chars)
        y = frame.y(i) + 4 - (len(lines) - 1) * 6.5
        for j, line in enumerate(lines):
            out.append(
                f'<text x="{frame.left - 8}" y="{_num(y + 13 * j)}" '
                f'font-size="{_FONT}" text-anchor="end" fill="{_INK}">'
                f"{escape(line)}</text>"
            )
    return out


def _axis(frame: _Frame, ticks: Sequence[float], percent: bool, name: str) -> list[str]:
    bottom = _TOP + _ROW * ((frame.height - _TOP - _AXIS) // _ROW)
    out = []
    for t in ticks:
        x = _num(frame.x(t))
        out.append(
            f'<line x1="{x}" x2="{x}" y1="{_TOP}" y2="{bottom}" stroke="{_GRID}" '
            'stroke-width="1"/>'
        )
        out.append(
            f'<text x="{x}" y="{bottom + 14}" font-size="11" text-anchor="middle" '
            f'fill="{_MUTED}">{escape(_tick_text(t, percent))}</text>'
        )
    if name:
        mid = _num((frame.left + frame.right) / 2)
        out.append(
            f'<text x="{mid}" y="{bottom + 29}" font-size="11" text-anchor="middle" '
            f'fill="{_MUTED}">{escape(name)}</text>'
        )
    return out


def _domain(
    values: Sequence[float], percent: bool, include: Sequence[float] = ()
) -> tuple[list[float], tuple[float, float]]:
    """Ticks and domain spanning ``values`` (and ``include``), shares within 0-1."""
    finite = [v for v in (*values, *include) if math.isfinite(v)]
    lo, hi = (min(finite), max(finite)) if finite else (0.0, 1.0)
    pad = 0.05 * (hi - lo) if hi > lo else max(abs(hi) * 0.1, 0.01)
    # A share never runs below 0 or above 100%, so neither does its axis.
    lo = max(lo - pad, 0.0) if percent and lo >= 0 else lo - pad
    hi = min(hi + pad, 1.0) if percent and hi <= 1 else hi + pad
    ticks = nice_ticks(lo, hi)
    return ticks, (ticks[0], ticks[-1])


def dot_panel(
    *,
    uid: str,
    title: str,
    desc: str,
    rows: Sequence[str],
    series: Sequence[Series],
    percent: bool = True,
    axis: str = "",
    label_chars: int = 24,
) -> str:
    """Dots at the means with lines over the 95% ranges, one row per category.

    Parameters
    ----------
    uid : str
        Unique in the page: the ids of the title and description.
    title, desc : str
        The panel's title (drawn, and announced) and its text alternative.
    rows : sequence of str
        Row labels, top to bottom.
    series : sequence of Series
        Each with one value per row; the series of a row are drawn a little
        apart, in order, so that overlapping ranges stay visible.
    percent : bool, default True
        Values are shares, labelled as percentages.
    axis : str
        Name under the axis.
    label_chars : int, default 24
        Widest label line, in characters (longer labels wrap, then elide).

    Returns
    -------
    str
        One ``<svg>`` element.

    Examples
    --------
    >>> s = Series("rule", "#1f4e79", (Interval(0.4, 0.3, 0.5),))
    >>> svg = dot_panel(uid="f1", title="First preference", desc="40%",
    ...                 rows=["First available"], series=[s])
    >>> svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    True
    >>> svg.count("<circle")
    1
    """
    vals = [
        x
        for s in series
        for v in s.values
        if v is not None and v.defined
        for x in (v.mean, v.low, v.high)
    ]
    ticks, domain = _domain(vals, percent)
    frame = _Frame(rows, domain, label_chars)
    out = _open(uid, title, desc, frame)
    out += _axis(frame, ticks, percent, axis)
    out += _labels(frame, rows)
    k = len(series)
    for j, s in enumerate(series):
        off = (j - (k - 1) / 2) * min(8.0, 20.0 / max(k, 1))
        for i, v in enumerate(s.values):
            if v is None or not v.defined:
                continue
            y = _num(frame.y(i) + off)
            if math.isfinite(v.low) and math.isfinite(v.high):
                out.append(
                    f'<line x1="{_num(frame.x(v.low))}" x2="{_num(frame.x(v.high))}" '
                    f'y1="{y}" y2="{y}" stroke="{s.colour}" stroke-width="1.5"/>'
                )
            fill = s.colour if s.filled else "#ffffff"
            out.append(
                f'<circle cx="{_num(frame.x(v.mean))}" cy="{y}" r="4" '
                f'fill="{fill}" stroke="{s.colour}" stroke-width="1.5"/>'
            )
    out.append("</svg>")
    return "".join(out)


def bar_panel(
    *,
    uid: str,
    title: str,
    desc: str,
    rows: Sequence[str],
    values: Sequence[float],
    colour: str,
    axis: str = "",
    label_chars: int = 24,
) -> str:
    """Horizontal bars from zero, one per row, the value written at the bar's end.

    Examples
    --------
    >>> svg = bar_panel(uid="g", title="Places", desc="special 22",
    ...                 rows=["special"], values=[22.0], colour="#1f4e79")
    >>> svg.count("<rect")
    1
    """
    finite = [v for v in values if math.isfinite(v)]
    lo = min(0.0, *finite) if finite else 0.0
    hi = max(0.0, *finite) if finite else 1.0
    ticks = nice_ticks(lo, hi)
    # Room at the right end for the value written after the longest bar.
    frame = _Frame(
        rows, (ticks[0], ticks[-1] + 0.15 * (ticks[-1] - ticks[0])), label_chars
    )
    out = _open(uid, title, desc, frame)
    out += _axis(frame, ticks, False, axis)
    out += _labels(frame, rows)
    for i, v in enumerate(values):
        if not math.isfinite(v):
            continue
        x0, x1 = frame.x(0.0), frame.x(v)
        y = frame.y(i)
        out.append(
            f'<rect x="{_num(min(x0, x1))}" y="{_num(y - 8)}" '
            f'width="{_num(max(abs(x1 - x0), 1.0))}" height="16" fill="{colour}"/>'
        )
        out.append(
            f'<text x="{_num(max(x0, x1) + 4)}" y="{_num(y + 4)}" font-size="11" '
            f'fill="{_INK}">{escape(f"{v:,.0f}")}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def tornado_panel(
    *,
    uid: str,
    title: str,
    desc: str,
    rows: Sequence[str],
    low: Sequence[float],
    high: Sequence[float],
    centre: float,
    percent: bool = True,
    axis: str = "",
    label_chars: int = 26,
    colours: tuple[str, str] = ("#2a9d8f", "#e07b00"),
) -> str:
    """A tornado: for each row a bar from the measure at its low end to its high end.

    The bars meet at ``centre`` (the measure with every assumption at its
    central value); the part drawn from the low end of the assumption's range
    has the first colour, from the high end the second. Rows are drawn in the
    order given (sort them by swing, widest first).

    Examples
    --------
    >>> svg = tornado_panel(uid="t", title="Unplaced", desc="...",
    ...                     rows=["special.capacity"], low=[0.42], high=[0.30],
    ...                     centre=0.36)
    >>> svg.count("<rect")
    2
    """
    ticks, domain = _domain([*low, *high], percent, include=(centre,))
    frame = _Frame(rows, domain, label_chars)
    out = _open(uid, title, desc, frame)
    out += _axis(frame, ticks, percent, axis)
    out += _labels(frame, rows)
    xc = frame.x(centre)
    for i, (a, b) in enumerate(zip(low, high, strict=True)):
        y = frame.y(i)
        for v, colour in ((a, colours[0]), (b, colours[1])):
            if not math.isfinite(v):
                continue
            x = frame.x(v)
            out.append(
                f'<rect x="{_num(min(x, xc))}" y="{_num(y - 8)}" '
                f'width="{_num(max(abs(x - xc), 1.0))}" height="16" '
                f'fill="{colour}"/>'
            )
    bottom = _TOP + _ROW * max(len(rows), 1)
    out.append(
        f'<line x1="{_num(xc)}" x2="{_num(xc)}" y1="{_TOP - 4}" y2="{bottom}" '
        f'stroke="{_INK}" stroke-width="1.5"/>'
    )
    out.append("</svg>")
    return "".join(out)
