"""The source table: every figure sendalloc uses, with where it comes from.

The table ships with the package (``sendalloc/data/sources.toml``). Each entry
has a short, stable, kebab-case id; the presets cite these ids in their
``[cite]`` tables (see :class:`sendalloc.scenario.Scenario`), and
``docs/sources.md`` is rendered from the table by :func:`render_markdown`.

An entry's ``status`` says how far the figure was checked:

- ``verified``: seen in a primary or official source;
- ``secondary``: seen only in a secondary write-up of an official source;
- ``derived``: arithmetic on other entries (``derived_from``, ``arithmetic``
  and, where the arithmetic is plain, a machine-checked ``formula``);
- ``unverified``: could not be verified, or the sources conflict.

Examples
--------
>>> from sendalloc.sources import load_sources, recompute, source
>>> s = source("ees-ehcp-2025-caseload")
>>> s.value, s.unit, s.status
(638700, 'plans', 'verified')
>>> source("new-plan-rate").derived_from
('polimapper-2024-new-plans', 'ees-ehcp-2025-caseload')
>>> round(recompute("new-plan-rate"), 4)
0.153
>>> len(load_sources()) > 100
True
"""

from __future__ import annotations

import functools
import operator
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import ast

__all__ = [
    "STATUSES",
    "TOPICS",
    "Source",
    "load_sources",
    "recompute",
    "render_markdown",
    "source",
]

#: The statuses an entry may have, strongest first.
STATUSES: tuple[str, ...] = ("verified", "secondary", "derived", "unverified")

#: Topic key -> section heading of docs/sources.md, in the order of the page.
TOPICS: Mapping[str, str] = MappingProxyType(
    {
        "law": "Law and statutory guidance",
        "proposal": "The proposal",
        "caseload": "Caseload and ages",
        "flows": "Requests, new plans, timeliness and ceased plans",
        "needs": "Primary need",
        "placement": "Where children with plans are placed",
        "authorities": "Local authorities",
        "capacity": "Special-school and unit capacity",
        "costs": "Costs and place funding",
        "transport": "Transport and travel",
        "appeals": "Appeals (SEND Tribunal)",
        "opinion": "Parents' views",
        "literature": "Literature and related models",
    }
)

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_REF = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True, slots=True)
class Source:
    """One entry of the source table: a figure and where it comes from.

    Attributes
    ----------
    id : str
        Short, stable, kebab-case identifier, e.g. ``"ees-ehcp-2025-caseload"``.
    topic : str
        A key of :data:`TOPICS`.
    figure : str
        What is measured or stated.
    value : int, float, str or None
        The figure: a number (shares as fractions of 1) or, for a provision,
        a quotation or a reference, a short string. None when only a range
        (``low``, ``high``) is known.
    unit : str
        Unit of ``value`` (``"share"`` is a fraction of 1).
    period : str
        The period or date the figure refers to.
    published : str
        Publication or answer date, ISO and as precise as known ("" if not
        captured).
    publisher, title, url : str
        Who published the page the figure was read from, its title and its
        address ("" if none was recorded).
    status : str
        One of :data:`STATUSES`.
    low, high : float or None
        A range stated by the source, if any.
    derived_from : tuple of str
        Ids this entry is computed from (derived entries only).
    arithmetic : str
        The computation in words and numbers (derived entries only).
    formula : str
        Optional machine-checked form of ``arithmetic``: ``{id}`` stands for
        that entry's value; ``+ - * / **`` and parentheses. See
        :func:`recompute`.
    note : str
        Anything a reader must know to use the figure.
    """

    id: str
    topic: str
    figure: str
    unit: str
    period: str
    published: str
    publisher: str
    title: str
    url: str
    status: str
    value: int | float | str | None = None
    low: float | None = None
    high: float | None = None
    derived_from: tuple[str, ...] = ()
    arithmetic: str = ""
    formula: str = ""
    note: str = ""


_STRINGS = (
    "topic",
    "figure",
    "unit",
    "period",
    "published",
    "publisher",
    "title",
    "url",
    "status",
    "arithmetic",
    "formula",
    "note",
)
_REQUIRED = ("topic", "figure", "unit", "period", "publisher", "title", "status")
_FIELDS = {f.name for f in fields(Source)} - {"id"}


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _entry(sid: str, d: Any, where: str) -> Source:
    def bad(msg: str) -> ValueError:
        return ValueError(f"{where}: source {sid!r}: {msg}")

    if not _ID.match(sid):
        raise bad("an id must be kebab-case (lower-case letters, digits, hyphens)")
    if not isinstance(d, Mapping):
        raise bad(f"expected a table, got {d!r}")
    unknown = sorted(set(d) - _FIELDS)
    if unknown:
        raise bad(
            f"unknown field {unknown[0]!r}; fields are {', '.join(sorted(_FIELDS))}"
        )
    for k in _REQUIRED:
        if not d.get(k):
            raise bad(f"missing required field {k!r}")
    for k in _STRINGS:
        if k in d and not isinstance(d[k], str):
            raise bad(f"{k} = {d[k]!r}: expected a string")
    if d["topic"] not in TOPICS:
        raise bad(f"topic = {d['topic']!r}: expected one of {', '.join(TOPICS)}")
    if d["status"] not in STATUSES:
        raise bad(f"status = {d['status']!r}: expected one of {', '.join(STATUSES)}")
    value = d.get("value")
    if value is not None and not (_is_number(value) or isinstance(value, str)):
        raise bad(f"value = {value!r}: expected a number or a string")
    for k in ("low", "high"):
        if k in d and not _is_number(d[k]):
            raise bad(f"{k} = {d[k]!r}: expected a number")
    low, high = d.get("low"), d.get("high")
    if value is None and low is None and high is None:
        raise bad("expected a value, or a range (low, high)")
    if low is not None and high is not None and low > high:
        raise bad(f"low = {low} > high = {high}")
    if _is_number(value) and (
        (low is not None and value < low) or (high is not None and value > high)
    ):
        raise bad(f"value = {value} lies outside [low, high] = [{low}, {high}]")
    dfrom = d.get("derived_from", [])
    if not isinstance(dfrom, list) or not all(isinstance(x, str) for x in dfrom):
        raise bad(f"derived_from = {dfrom!r}: expected a list of ids")
    derived = d["status"] == "derived"
    if derived and not (dfrom and d.get("arithmetic")):
        raise bad("a derived entry needs derived_from and arithmetic")
    if not derived and (dfrom or d.get("arithmetic") or d.get("formula")):
        raise bad(
            f"status = {d['status']!r}: only a derived entry has derived_from, "
            "arithmetic or formula"
        )
    if sid in dfrom:
        raise bad("an entry cannot derive from itself")
    refs = _REF.findall(d.get("formula", ""))
    if not set(refs) <= set(dfrom):
        extra = sorted(set(refs) - set(dfrom))
        raise bad(f"formula refers to {extra[0]!r}, which is not in derived_from")
    return Source(
        id=sid,
        value=value,
        low=None if low is None else float(low),
        high=None if high is None else float(high),
        derived_from=tuple(dfrom),
        **{k: d.get(k, "") for k in _STRINGS},
    )


def _check_links(table: Mapping[str, Source], where: str) -> None:
    for s in table.values():
        for ref in s.derived_from:
            if ref not in table:
                raise ValueError(
                    f"{where}: source {s.id!r}: derived_from names unknown id "
                    f"{ref!r}{_did_you_mean(ref, table)}"
                )
    state: dict[str, int] = {}  # 1 = on the path, 2 = done

    def visit(sid: str, path: tuple[str, ...]) -> None:
        if state.get(sid) == 2:
            return
        if state.get(sid) == 1:
            cycle = " -> ".join((*path[path.index(sid) :], sid))
            raise ValueError(f"{where}: derived_from forms a cycle: {cycle}")
        state[sid] = 1
        for ref in table[sid].derived_from:
            visit(ref, (*path, sid))
        state[sid] = 2

    for sid in table:
        visit(sid, ())


def _did_you_mean(sid: str, ids: Mapping[str, object]) -> str:
    import difflib  # only on an error path; keeps `import sendalloc` light

    near = difflib.get_close_matches(sid, list(ids), n=3, cutoff=0.6)
    return f"; did you mean {', '.join(near)}?" if near else ""


def _parse(text: str, where: str) -> Mapping[str, Source]:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ValueError(f"{where}: invalid TOML: {e}") from None
    table = {sid: _entry(sid, d, where) for sid, d in raw.items()}
    _check_links(table, where)
    return MappingProxyType(table)


@functools.lru_cache(maxsize=1)
def _shipped() -> Mapping[str, Source]:
    res = resources.files("sendalloc").joinpath("data/sources.toml")
    return _parse(res.read_text(encoding="utf-8"), "sendalloc/data/sources.toml")


def load_sources(
    path: str | os.PathLike[str] | None = None,
) -> Mapping[str, Source]:
    """The source table: id -> :class:`Source`, in the order of the file.

    Parameters
    ----------
    path : str or os.PathLike, optional
        A source table in the same format; default the one shipped with the
        package (read once and cached).

    Returns
    -------
    mapping of str to Source
        Read-only.

    Raises
    ------
    ValueError
        For a malformed table, naming the file, the id and the field: an
        unknown field or topic, a missing required field, a bad status, a
        value outside its stated range, a derived entry without its inputs,
        an unknown id in ``derived_from`` or a cycle.

    Examples
    --------
    >>> from sendalloc.sources import load_sources
    >>> table = load_sources()
    >>> table["pq-53854-new-plans-mainstream"].value
    0.749
    >>> sorted({s.status for s in table.values()})
    ['derived', 'secondary', 'unverified', 'verified']
    """
    if path is None:
        return _shipped()
    p = Path(path)
    return _parse(p.read_text(encoding="utf-8"), str(p))


def source(source_id: str) -> Source:
    """The entry ``source_id`` of the shipped source table.

    Raises
    ------
    KeyError
        For an unknown id, listing the nearest ids.

    Examples
    --------
    >>> from sendalloc.sources import source
    >>> source("scap-2023-special-fill-ratio").value
    1.027
    >>> try:
    ...     source("new-plan-rates")
    ... except KeyError as e:
    ...     print(e.args[0])
    unknown source id 'new-plan-rates'; did you mean new-plan-rate, ...?
    """
    table = _shipped()
    try:
        return table[source_id]
    except KeyError:
        raise KeyError(
            f"unknown source id {source_id!r}{_did_you_mean(source_id, table)}"
        ) from None


# ------------------------------------------------------------------ formulas
def _eval(node: ast.AST) -> float:
    import ast

    binops: dict[type, Callable[[float, float], float]] = {
        ast.Add: operator.add,
        ast.Sub: operator.sub,
        ast.Mult: operator.mul,
        ast.Div: operator.truediv,
        ast.Pow: operator.pow,
    }
    if isinstance(node, ast.Expression):
        return _eval(node.body)
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, int | float) and not isinstance(v, bool):
            return float(v)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_eval(node.operand)
    if isinstance(node, ast.BinOp) and type(node.op) in binops:
        return binops[type(node.op)](_eval(node.left), _eval(node.right))
    raise ValueError(f"unsupported expression {ast.unparse(node)!r}")


def recompute(
    source_id: str, sources: Mapping[str, Source] | None = None
) -> float | None:
    """A derived entry's value recomputed from its ``formula`` and its inputs.

    Parameters
    ----------
    source_id : str
    sources : mapping of str to Source, optional
        Default the shipped table.

    Returns
    -------
    float or None
        None if the entry has no formula.

    Raises
    ------
    KeyError
        For an unknown id.
    ValueError
        If the formula is not plain arithmetic or refers to an entry with no
        numeric value.

    Examples
    --------
    >>> from sendalloc.sources import recompute, source
    >>> source("lords-2024-stock-mainstream").arithmetic
    '(136,642 + 99,825 + 831) / 434,354 = 54.6%'
    >>> round(recompute("lords-2024-stock-mainstream"), 4)
    0.5463
    """
    table = _shipped() if sources is None else sources
    if source_id not in table:
        raise KeyError(
            f"unknown source id {source_id!r}{_did_you_mean(source_id, table)}"
        )
    s = table[source_id]
    if not s.formula:
        return None

    def value_of(m: re.Match[str]) -> str:
        ref = m.group(1)
        v = table[ref].value if ref in table else None
        if not isinstance(v, int | float):
            raise ValueError(
                f"source {source_id!r}: formula refers to {ref!r}, which has no "
                "numeric value"
            )
        return repr(float(v))

    import ast  # only when a formula is checked; keeps `import sendalloc` light

    expr = _REF.sub(value_of, s.formula)
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:
        raise ValueError(
            f"source {source_id!r}: formula {s.formula!r} is not arithmetic"
        ) from None
    try:
        return _eval(tree)
    except ValueError as e:
        raise ValueError(f"source {source_id!r}: formula {s.formula!r}: {e}") from None


# ------------------------------------------------------------------ rendering
def _num(x: float) -> str:
    if float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:,.6g}" if abs(x) >= 1 else f"{x:.6g}"


def _pct(x: float) -> str:
    s = f"{100 * x:.4f}".rstrip("0").rstrip(".")
    return f"{s}%"


def _split(x: float, unit: str) -> tuple[str, str]:
    """A number and its unit as shown: (``"15.3%"``, ``" a year"``)."""
    if unit.startswith("share"):
        return _pct(x), unit[len("share") :]
    if unit.startswith("GBP"):
        return f"£{_num(x)}", unit[len("GBP") :]
    return _num(x), f" {unit}" if unit else ""


def _shown_value(s: Source) -> str:
    if isinstance(s.value, str):
        out = s.value
    elif s.value is None:
        out = ""
    else:
        out = "".join(_split(s.value, s.unit))
    if s.low is not None or s.high is not None:
        lo = None if s.low is None else _split(s.low, s.unit)
        hi = None if s.high is None else _split(s.high, s.unit)
        if lo and hi:
            rng = f"{lo[0]} to {hi[0]}{hi[1]}"
        elif hi:
            rng = f"at most {''.join(hi)}"
        else:
            assert lo is not None
            rng = f"at least {''.join(lo)}"
        out = f"{out} (range {rng})" if out else rng
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _weak_inputs(s: Source, table: Mapping[str, Source]) -> list[str]:
    out: list[str] = []
    todo, seen = list(s.derived_from), set()
    while todo:
        ref = todo.pop(0)
        if ref in seen:
            continue
        seen.add(ref)
        r = table[ref]
        if r.status == "unverified":
            out.append(ref)
        todo.extend(r.derived_from)
    return out


_INTRO = """\
# Sources

<!-- Generated from src/sendalloc/data/sources.toml by
     sendalloc.sources.render_markdown(): run `make sources-doc` after
     editing the table. A test fails when this page is out of date. -->

Every figure sendalloc uses, with where it comes from. The table ships with
the package (`sendalloc/data/sources.toml`, read by
`sendalloc.sources.load_sources()`). Every number of a preset scenario cites
an id below in the preset's `[cite]` table, or is marked `assumption` (or
`fitted`, fitted by calibration: [validation.md](validation.md)) with a range in
its `[uncertainty]` table
([modelling.md](modelling.md#citations-and-assumption-ranges)).

Status:

- **verified**: seen in a primary or official source;
- **secondary**: seen only in a secondary write-up of an official source;
- **derived**: arithmetic on other entries, shown with its inputs (a derived
  figure that rests on an unverified one says so);
- **unverified**: could not be verified, or the sources conflict.

Shares are fractions of 1 in the table and percentages here. {n} entries:
{summary}.
"""


def render_markdown(sources: Mapping[str, Source] | None = None) -> str:
    """``docs/sources.md``: the source table as a Markdown page.

    One section per topic of :data:`TOPICS`, one table row per entry with an
    anchor ``#<id>``, so docs link a figure as ``sources.md#<id>``.

    Parameters
    ----------
    sources : mapping of str to Source, optional
        Default the shipped table.

    Returns
    -------
    str

    Examples
    --------
    >>> from sendalloc.sources import render_markdown
    >>> page = render_markdown()
    >>> page.splitlines()[0]
    '# Sources'
    >>> '<a id="new-plan-rate"></a>' in page
    True
    """
    table = _shipped() if sources is None else sources
    counts = {st: sum(s.status == st for s in table.values()) for st in STATUSES}
    summary = ", ".join(f"{counts[st]} {st}" for st in STATUSES)
    lines = [_INTRO.format(n=len(table), summary=summary)]
    for topic, heading in TOPICS.items():
        rows = [s for s in table.values() if s.topic == topic]
        if not rows:
            continue
        lines += [
            f"## {heading}",
            "",
            "| id | figure | value | period | source | status |",
            "|---|---|---|---|---|---|",
        ]
        for s in rows:
            if s.status == "derived":
                inputs = ", ".join(f"[`{r}`](#{r})" for r in s.derived_from)
                src = f"{s.arithmetic} (from {inputs})"
                weak = _weak_inputs(s, table)
                if weak:
                    src += "; rests on unverified " + ", ".join(f"`{w}`" for w in weak)
            else:
                title = (
                    f"[{s.title}]({s.url})" if s.url else f"{s.title} (no URL recorded)"
                )
                src = f"{s.publisher}, {title}"
                if s.published:
                    src += f", {s.published}"
            figure = s.figure + (f". {s.note}" if s.note else "")
            lines.append(
                "| "
                + " | ".join(
                    _cell(c)
                    for c in (
                        f'<a id="{s.id}"></a>`{s.id}`',
                        figure,
                        _shown_value(s),
                        s.period,
                        src,
                        s.status,
                    )
                )
                + " |"
            )
        lines.append("")
    return "\n".join(lines)
