"""Reading a CSV file as both readers do, and the values both accept.

:func:`decode` reads a file's text and detects its encoding (UTF-8 with or
without a byte-order mark, else Windows-1252); :class:`CsvTable` checks the
header and yields the records with their line numbers; :func:`whole_number`
reads a whole number written as ``12`` or ``12.0``. Every error is an
:class:`~sendalloc.errors.InvalidScenarioError` naming the file, the line and
the column.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from sendalloc.errors import InvalidScenarioError

__all__ = [
    "BNG_E",
    "BNG_N",
    "MAX_AGE",
    "NEED_ALIASES",
    "CsvTable",
    "decode",
    "whole_number",
]

#: Older names of need codes, as GIAS extracts may give them.
NEED_ALIASES = {"BESD": "SEMH"}  # the pre-2015 name of SEMH in older extracts
#: Last age read: plans run to 25, so sendalloc ages are 0..25.
MAX_AGE = 25
# British National Grid extent, metres (the grid's false origin keeps Great
# Britain at positive coordinates).
BNG_E, BNG_N = 700_000.0, 1_300_000.0


def decode(path: Path, encoding: str | None) -> tuple[str, str]:
    """The file's text and the encoding used: detected when ``encoding`` is None.

    A UTF-8 byte-order mark means UTF-8 (``"utf-8-sig"``); text that decodes as
    UTF-8 is UTF-8; anything else is read as Windows-1252 (``"cp1252"``), the
    encoding of GIAS downloads.
    """
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InvalidScenarioError(f"{path}: cannot read ({e})") from None
    bom = data.startswith(codecs.BOM_UTF8)
    if encoding is None:
        if bom:
            enc = "utf-8-sig"
        else:
            try:
                return data.decode("utf-8"), "utf-8"
            except UnicodeDecodeError:
                enc = "cp1252"
    else:
        try:
            enc = codecs.lookup(encoding).name
        except LookupError:
            raise InvalidScenarioError(
                f"{path}: encoding = {encoding!r}: unknown encoding"
            ) from None
        if bom and enc not in ("utf-8", "utf-8-sig"):
            raise InvalidScenarioError(
                f"{path}:1:1: the file starts with a UTF-8 byte-order mark but "
                f"encoding = {encoding!r} was given; leave encoding unset to "
                "detect it"
            )
    try:
        text = data.decode(enc)
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        col = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise InvalidScenarioError(
            f"{path}:{line}:{col}: byte 0x{data[e.start]:02x} is not valid "
            f"{enc}; save the file as UTF-8"
        ) from None
    return text.removeprefix("\ufeff"), enc


class CsvTable:
    """A CSV file's header, checked, and its records with their line numbers."""

    def __init__(
        self,
        path: Path,
        encoding: str | None,
        required: Sequence[str],
        allowed: set[str] | None = None,
    ) -> None:
        self.path = str(path)
        text, self.encoding = decode(path, encoding)
        self._reader = csv.reader(io.StringIO(text, newline=""))
        try:
            header = [h.strip() for h in next(self._reader)]
        except StopIteration:
            raise InvalidScenarioError(
                f"{path}:1:1: empty file, expected a header"
            ) from None
        except csv.Error as e:
            raise InvalidScenarioError(f"{path}:1:1: unreadable header ({e})") from None
        self.header = header
        self.index: dict[str, int] = {}
        for i, h in enumerate(header):
            if h in self.index and h:
                raise InvalidScenarioError(
                    f"{path}:1:{i + 1}: column {h!r} given twice (columns "
                    f"{self.index[h] + 1} and {i + 1})"
                )
            self.index.setdefault(h, i)
        missing = [c for c in required if c not in self.index]
        if len(missing) == 1:
            raise InvalidScenarioError(f"{path}:1:1: missing column {missing[0]!r}")
        if missing:
            raise InvalidScenarioError(
                f"{path}:1:1: missing columns {', '.join(map(repr, missing))}"
            )
        if allowed is not None:
            for i, h in enumerate(header):
                if h not in allowed:
                    raise InvalidScenarioError(
                        f"{path}:1:{i + 1}: unknown column {h!r}; expected "
                        f"{', '.join(sorted(allowed))}"
                    )

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """``(line, values)`` for every non-blank record (values as read)."""
        reader, n = self._reader, len(self.header)
        while True:
            line = reader.line_num + 1
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                raise InvalidScenarioError(
                    f"{self.path}:{line}:1: unreadable record ({e})"
                ) from None
            if not values or not any(v.strip() for v in values):
                continue
            if len(values) != n:
                raise InvalidScenarioError(
                    f"{self.path}:{line}:1: {len(values)} fields, expected {n} as "
                    "in the header"
                )
            yield line, values

    def error(
        self, line: int, column: str, values: Sequence[str], expect: str
    ) -> InvalidScenarioError:
        """The error for ``column`` of the record at ``line``, naming its value."""
        i = self.index.get(column, -1)
        v = values[i].strip() if 0 <= i < len(values) else ""
        return InvalidScenarioError(
            f"{self.path}:{line}:{i + 1}: {column} = {v!r}: {expect}"
        )


def whole_number(v: str) -> int | None:
    """``v`` as a whole number (``"12"``, ``"12.0"``), or None if it is not one."""
    try:
        return int(v)
    except ValueError:
        pass
    try:
        f = float(v)
    except ValueError:
        return None
    if not np.isfinite(f) or f != int(f):
        return None
    return int(f)
