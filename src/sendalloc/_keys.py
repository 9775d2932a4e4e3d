"""The valid values of each scenario key, kept with the field it describes.

A spec dataclass (a scenario section, ``ListRules``) gives each field a
:class:`KeyRange` in its metadata (``field(metadata={"range": KeyRange(...)})``):
the numbers it may take, its choices, how many entries an array may have, a
line of documentation and any rule across keys. :func:`check_ranges`, called
from the class's ``__post_init__``, checks every field against it, so a spec
built from TOML, from a dict, by ``dataclasses.replace`` or directly is checked
the same way; ``sendalloc.scenario.describe_keys`` renders the same ranges into
``docs/scenario-keys.md``. Docs and checks therefore cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from sendalloc._arrays import plain
from sendalloc.population import bad

__all__ = ["KeyRange", "check_ranges", "key_range", "number_text"]


def number_text(x: float) -> str:
    """``x`` as a TOML reader writes it: ``1_000_000``, ``0.5``, ``-1``."""
    if isinstance(x, int) or (float(x).is_integer() and abs(x) < 1e15):
        return f"{int(x):_}"
    return f"{x:g}"


@dataclass(frozen=True, slots=True)
class KeyRange:
    """The valid values of one key.

    ``low``/``high`` bound every number in the value (each entry of an array,
    each value of a table); ``low_open``/``high_open`` exclude the bound.
    ``choices`` lists the valid strings. ``length`` bounds the number of
    entries of an array (``high`` None: no limit). ``labels`` name the entries
    of an array stored in a fixed order (a table of need codes). ``doc`` is
    the key's line of documentation; ``rule`` states any further check made
    across keys (done by the class's own code).
    """

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] = ()
    length: tuple[int, int | None] | None = None
    labels: tuple[str, ...] = ()
    doc: str = ""
    rule: str = ""

    def interval(self) -> str:
        """The numeric range, e.g. ``[0, 1]``, ``(-1, 10]``, ``[0, inf)``; or ""."""
        if self.low is None and self.high is None:
            return ""
        lo = "-inf" if self.low is None else number_text(self.low)
        hi = "inf" if self.high is None else number_text(self.high)
        left = "(" if self.low_open or self.low is None else "["
        right = ")" if self.high_open or self.high is None else "]"
        return f"{left}{lo}, {hi}{right}"

    def _words(self) -> str:
        """``[0, 1]``, or ``(-1, 10] (> -1 and <= 10)`` where a bound is open."""
        if not (self.low_open or self.high_open):
            return self.interval()
        words = []
        if self.low is not None:
            words.append(f"{'>' if self.low_open else '>='} {number_text(self.low)}")
        if self.high is not None:
            words.append(f"{'<' if self.high_open else '<='} {number_text(self.high)}")
        return f"{self.interval()} ({' and '.join(words)})"

    def contains(self, x: float) -> bool:
        """Whether the number ``x`` is in :meth:`interval`."""
        if self.low is not None and (x <= self.low if self.low_open else x < self.low):
            return False
        return not (
            self.high is not None
            and (x >= self.high if self.high_open else x > self.high)
        )

    def describe(self) -> str:
        """The valid values in words, for the docs table."""
        parts = []
        if self.interval():
            parts.append(self.interval())
        if self.choices:
            parts.append("one of " + ", ".join(f"`{c}`" for c in self.choices))
        if self.length is not None:
            lo, hi = self.length
            n = f"{lo} or more" if hi is None else f"{lo}" if lo == hi else f"{lo}-{hi}"
            parts.append(f"{n} entries")
        if self.rule:
            parts.append(self.rule)
        return "; ".join(parts)

    def check(self, key: str, value: Any) -> None:
        """Raise (naming ``key`` and the value) if ``value`` is out of range."""
        if value is None:
            return
        if self.length is not None and isinstance(value, tuple | list):
            lo, hi = self.length
            if len(value) < lo or (hi is not None and len(value) > hi):
                n = f"at least {lo}" if hi is None else f"{lo} to {hi}"
                if hi == lo:
                    n = f"{lo}"
                raise bad(key, plain(value), f"expected {n} entries")
        self._walk(key, value, top=True)

    def _walk(self, key: str, value: Any, top: bool = False) -> None:
        if isinstance(value, bool):
            return
        if isinstance(value, int | float):
            if not self.contains(value):
                raise bad(key, value, f"expected a value in {self._words()}")
            return
        if isinstance(value, str):
            if self.choices and value not in self.choices:
                raise bad(key, value, f"expected one of {', '.join(self.choices)}")
            return
        if isinstance(value, Mapping):
            for k, x in value.items():
                self._walk(f"{key}.{k}", x)
            return
        if isinstance(value, tuple | list):
            for i, x in enumerate(value):
                if (
                    isinstance(x, tuple)
                    and len(x) == 2
                    and isinstance(x[0], str)
                    and not isinstance(x[1], str)
                ):  # a (name, value) entry of a table
                    self._walk(f"{key}.{x[0]}", x[1])
                    continue
                label = self.labels[i] if top and self.labels else str(i)
                self._walk(f"{key}.{label}", x)


def key_range(f: Any) -> KeyRange | None:
    """The :class:`KeyRange` of a dataclass field, if it has one."""
    r = f.metadata.get("range")
    return r if isinstance(r, KeyRange) else None


def check_ranges(obj: Any) -> None:
    """Check every field of the dataclass ``obj`` that has a :class:`KeyRange`.

    Raises
    ------
    InvalidScenarioError
        (a keyed one) naming the field, or ``field.entry`` for an array entry
        or a table value, the value and the range.
    """
    for f in fields(obj):
        r = key_range(f)
        if r is not None:
            r.check(f.name, getattr(obj, f.name))
