"""Where a key is in a TOML file's text, and a value as TOML writes it: for rule errors.

``tomllib`` gives data without positions. Errors name a key path (``tax.components[0].rate``);
people fix them in an editor, by line. :class:`LineIndex` reads the text once and maps each key
path written in it (tables, arrays of tables, dotted keys) to the line where it is written; a
key inside an inline table or array maps to the line of the nearest key that encloses it.

>>> index = LineIndex('id = "de"\\n\\n[[tax.components]]\\nname = "VAT"\\nrate = "0.19"\\n')
>>> index.line_of(("tax", "components", 0, "rate"))
5
>>> index.line_of(("tax", "components", 0, "categories", "books"))
3
>>> LineIndex('sources = [\\n  "a",\\n  "b",\\n]\\n').line_of(("sources", 1))
3
>>> toml_value({"value": "0.18", "from": __import__("datetime").date(2020, 6, 30)})
'{ value = "0.18", from = 2020-06-30 }'
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any

__all__ = ["LineIndex", "toml_value"]

_BARE = re.compile(r"[A-Za-z0-9_-]+")
# One key part: bare, "basic" or 'literal'; parts joined by dots.
_PART = r'(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|\'[^\']*\')'
_KEY = re.compile(rf"\s*({_PART}(?:\s*\.\s*{_PART})*)\s*=")
_HEADER = re.compile(rf"\s*(\[\[?)\s*({_PART}(?:\s*\.\s*{_PART})*)\s*(\]\]?)\s*(?:#.*)?$")
_PARTS = re.compile(_PART)

Path = tuple[str | int, ...]


def _parts(key: str) -> tuple[str, ...]:
    out = []
    for m in _PARTS.finditer(key):
        p = m.group(0)
        if p.startswith('"'):
            try:
                p = json.loads(p)
            except ValueError:
                p = p[1:-1]
        elif p.startswith("'"):
            p = p[1:-1]
        out.append(p)
    return tuple(out)


class LineIndex:
    """Key paths of one TOML text and the line (1-based) each is written on."""

    __slots__ = ("_lines",)

    def __init__(self, text: str) -> None:
        self._lines: dict[Path, int] = {}
        arrays: dict[Path, int] = {}  # array-of-tables path -> index of its last element
        table: Path = ()
        value: _ValueScan | None = None  # a value still open on the next line
        for number, line in enumerate(text.splitlines(), start=1):
            if value is not None:
                value.feed(line, number)
                if not value.open:
                    value = None
                continue
            header = _HEADER.match(line)
            if header:
                parts = _parts(header.group(2))
                parent = self._through(parts[:-1], arrays)
                table = (*parent, parts[-1])
                if header.group(1) == "[[":
                    arrays[table] = arrays.get(table, -1) + 1
                    self._lines.setdefault(table, number)
                    table = (*table, arrays[table])
                self._lines.setdefault(table, number)
                continue
            key = _KEY.match(line)
            if key:
                path = (*table, *_parts(key.group(1)))
                self._lines.setdefault(path, number)
                scan = _ValueScan(path, self._lines)
                scan.feed(line[key.end():], number)
                if scan.open:
                    value = scan

    @staticmethod
    def _through(parts: Sequence[str], arrays: dict[Path, int]) -> Path:
        """``parts`` of a header with each array of tables replaced by its last element."""
        out: Path = ()
        for p in parts:
            out = (*out, p)
            if out in arrays:
                out = (*out, arrays[out])
        return out

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """The line of ``path``, or of the nearest enclosing key written in the text."""
        p = tuple(path)
        while p:
            line = self._lines.get(p)
            if line is not None:
                return line
            p = p[:-1]
        return None

    def __contains__(self, path: object) -> bool:
        return path in self._lines

    def paths(self) -> list[Path]:
        """Every key path written in the text, in order of appearance."""
        return sorted(self._lines, key=self._lines.__getitem__)


class _ValueScan:
    """Follows one value (possibly over several lines) and notes where its array items and
    inline-table keys are written: ``sources[2]``, ``rate[1].from``. A small tokenizer: it
    knows strings, comments, arrays and inline tables, and nothing else of TOML."""

    __slots__ = ("_expect", "_lines", "_stack", "_string", "open")

    def __init__(self, path: Path, lines: dict[Path, int]) -> None:
        self._lines = lines
        # frames: [kind, path, index] with kind "value" (the top), "array" or "table"
        self._stack: list[list[Any]] = [["value", path, 0]]
        self._string: str | None = None  # the delimiter of an open (multi-line) string
        self._expect = True  # a value may start here
        self.open = True

    def _start(self, number: int) -> Path | None:
        """A value starts: the path it has (for arrays: the next index), noting its line."""
        if not self._expect:
            return None
        self._expect = False
        kind, path, index = self._stack[-1]
        if kind == "array":
            here = (*path, index)
            self._lines.setdefault(here, number)
            return here
        return path

    def feed(self, line: str, number: int) -> None:
        i = 0
        n = len(line)
        while i < n and self._stack:
            if self._string is not None:
                end = line.find(self._string, i)
                if self._string == '"' or self._string == '"""':
                    while end > 0 and _escaped(line, end):
                        end = line.find(self._string, end + 1)
                if end < 0:
                    if len(self._string) == 1:  # a one-line string cannot go on
                        self._string = None
                    return
                i = end + len(self._string)
                self._string = None
                self._close_value()
                continue
            ch = line[i]
            if ch == "#":
                return
            if ch in " \t":
                i += 1
                continue
            kind, path, _ = self._stack[-1]
            if kind == "table" and self._expect:
                key = _KEY.match(line, i)
                if key:
                    here = (*path, *_parts(key.group(1)))
                    self._lines.setdefault(here, number)
                    self._stack.append(["value", here, 0])
                    i = key.end()
                    continue
            if ch == "[":
                here = self._start(number) or path
                self._stack.append(["array", here, 0])
                self._expect = True
            elif ch == "{":
                here = self._start(number) or path
                self._stack.append(["table", here, 0])
                self._expect = True
            elif ch in "]}":
                self._stack.pop()
                self._expect = False
                self._close_value()
            elif ch == ",":
                if self._stack[-1][0] == "array":
                    self._stack[-1][2] += 1
                self._expect = True
            elif ch in "\"'":
                self._start(number)
                triple = line.startswith(ch * 3, i)
                self._string = ch * 3 if triple else ch
                i += 3 if triple else 1
                continue
            else:  # a bare value: number, date, boolean
                self._start(number)
                while i < n and line[i] not in ",]}#" and line[i] not in " \t":
                    i += 1
                self._close_value()
                continue
            i += 1
        self.open = bool(self._stack)

    def _close_value(self) -> None:
        # A value inside an inline table ends with itself: back to the table's keys.
        if self._stack and self._stack[-1][0] == "value":
            self._stack.pop()
        if self._stack and self._stack[-1][0] == "table":
            self._expect = True


def _escaped(line: str, at: int) -> bool:
    backslashes = 0
    while at - backslashes - 1 >= 0 and line[at - backslashes - 1] == "\\":
        backslashes += 1
    return backslashes % 2 == 1


def toml_value(value: Any, *, limit: int = 80) -> str:
    """``value`` as it would be written in a TOML file, cut to about ``limit`` characters.

    >>> toml_value("EUX"), toml_value(True), toml_value([1, "a"])
    ('"EUX"', 'true', '[1, "a"]')
    """
    text = _toml(value, depth=0)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _toml(value: Any, *, depth: int) -> str:
    if depth > 4:
        return "…"
    if isinstance(value, str):
        return json.dumps(value[:200] + ("…" if len(value) > 200 else ""), ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if abs(value) < 10**40:
            return str(value)
        # str() of a huge int is slow (and refused past 4,300 digits): say its size instead
        return f"an integer of about {value.bit_length() * 30103 // 100000} digits"
    if isinstance(value, float):
        # A TOML float echoed in an error message (never money): repr writes inf, -inf and nan
        # as TOML does.
        return repr(value)  # float-ok
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        items = [_toml(v, depth=depth + 1) for v in list(value)[:10]]
        return "[" + ", ".join(items) + (", …" if len(value) > 10 else "") + "]"
    if isinstance(value, dict):
        items = [f"{k if _BARE.fullmatch(str(k)) else json.dumps(str(k))} = "
                 f"{_toml(v, depth=depth + 1)}" for k, v in list(value.items())[:10]]
        return "{ " + ", ".join(items) + (", …" if len(value) > 10 else "") + " }"
    return str(value)
