"""Read a rules directory into an immutable, versioned :class:`RuleSet`, reporting every problem.

Layout::

    rules/shop.toml            the merchant: base currency, ship-from country, defaults
    rules/markets/<id>.toml    one market per file
    rules/zones/<name>.toml    shared parts (e.g. the EU) that markets pull in with `extends`

A market's own keys override what it extends; tables merge key by key, lists are replaced whole.
Nothing in a rule file is evaluated: TOML is parsed as data and validated against the schema.
All problems of all files are collected and raised together as one :class:`RulesError`, each
with its file, line (where the key is written), key path, the value as written and the fix.

Rule files are written by people and read by a service that faces the internet, so reading
them fails safe: only regular files inside the rules folder are read (no FIFO, device, or link
that leads outside), at most :data:`MAX_FILE_BYTES` each; ``extends`` names a zone, never a
path; nesting is bounded; each zone is resolved once however many markets and zones extend it.
A rule set that loads can be quoted: every bound the engine relies on is checked here.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from pricing.errors import Problem, RulesError, did_you_mean, key_path
from pricing.markets import checks, schema
from pricing.markets.market import Market
from pricing.markets.ruleset import RuleSet
from pricing.markets.tomltext import LineIndex, toml_value

__all__ = [
    "MAX_FILES",
    "MAX_FILE_BYTES",
    "MAX_NESTING",
    "Checked",
    "check_rules",
    "load_rules",
    "read_rule_file",
    "rule_files",
]

#: Largest rule file read (the largest bundled one is about 6 KB).
MAX_FILE_BYTES = 1024 * 1024
#: Most files in markets/ or zones/.
MAX_FILES = 2000
#: Deepest nesting of tables and arrays in a rule file (the bundled files use 4).
MAX_NESTING = 16
#: Problems listed per file (a file of 100,000 unknown keys is one mistake, not 100,000).
MAX_PROBLEMS_PER_FILE = 100
#: Longest chain of zones extending zones, and most zones one ``extends`` may list.
MAX_EXTENDS_DEPTH = 8
MAX_EXTENDS = 8

_TOML_POS = re.compile(r"\(at line (\d+), column (\d+)\)")
# MAX_NESTING dots in a row of key parts: a key (or table header) deeper than we accept. Found
# before parsing, in linear time: tomllib takes a minute over a 40,000-part dotted key.
_DOTTED_CHAIN = re.compile(r"""(?:(?:[A-Za-z0-9_-]+|"[^"\n]{0,100}"|'[^'\n]{0,100}')"""
                           rf"[ \t]*\.[ \t]*){{{MAX_NESTING}}}")
_PERIOD = re.compile(r"period \[(\d+)\]: ")
_ZONE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_Path = tuple[str | int, ...]


def _vocabulary() -> set[str]:
    words: set[str] = set()
    for obj in vars(schema).values():
        if isinstance(obj, type) and issubclass(obj, BaseModel):
            for name, f in obj.model_fields.items():
                words.add(f.alias or name)
    return words


_VOCABULARY = _vocabulary()


# -- reading files safely ---------------------------------------------------------------------

def rule_files(root: Path) -> list[Path]:
    """The files a load of ``root`` reads: shop.toml, markets/*.toml, zones/*.toml (sorted).

    Directories are listed, not walked: nothing below markets/ and zones/ is a rule file.
    At most :data:`MAX_FILES` + 1 per folder are listed (one more says there are too many).
    """
    out = [root / "shop.toml"]
    for sub in ("markets", "zones"):
        names: list[str] = []
        try:
            with os.scandir(root / sub) as entries:
                for entry in entries:
                    if entry.name.endswith(".toml"):
                        names.append(entry.name)
                        if len(names) > MAX_FILES:
                            break
        except OSError:
            continue
        out += [root / sub / n for n in sorted(names)]
    return out


def read_rule_file(path: Path, *, root: Path) -> bytes:
    """The bytes of one rule file; a ValueError that says why when it must not be read.

    Refused: a path (or a link) that leads outside ``root``, anything but a regular file (a
    FIFO would block the reader, ``/dev/zero`` would never end), and files over
    :data:`MAX_FILE_BYTES`. The file is opened without blocking and checked on the open
    descriptor, so it cannot be swapped for a FIFO between the check and the read.
    """
    try:
        real = path.resolve(strict=True)
        inside = real.is_relative_to(root.resolve(strict=True))
    except FileNotFoundError:
        raise ValueError("the file does not exist (a broken link?)") from None
    except RuntimeError:  # a loop of symbolic links (Python 3.11)
        raise ValueError("a loop of symbolic links") from None
    except OSError as e:
        raise ValueError(f"cannot read the file: {e.strerror}") from None
    if not inside:
        raise ValueError("a link to a file outside the rules folder; rule files must be inside "
                         "it (copy the file in instead)")
    flags = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
             | getattr(os, "O_CLOEXEC", 0))
    try:
        fd = os.open(real, flags)
    except OSError as e:
        raise ValueError(f"cannot read the file: {e.strerror}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ValueError(f"not a regular file ({_kind(st.st_mode)}); rule files must be "
                             "plain files")
        if st.st_size > MAX_FILE_BYTES:
            raise ValueError(_too_big(st.st_size))
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(fd, 1 << 16):
            size += len(chunk)
            if size > MAX_FILE_BYTES:  # the file grew while being read
                raise ValueError(_too_big(size))
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as e:
        raise ValueError(f"cannot read the file: {e.strerror}") from None
    finally:
        os.close(fd)


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a file"


def _too_big(size: int) -> str:
    return (f"the file is {size:,} bytes, over the limit of {MAX_FILE_BYTES:,}; a rule file "
            "is a few kilobytes")


def _deep_dotted_key(text: str) -> int | None:
    """The line of a dotted key (or table header) of more than :data:`MAX_NESTING` parts."""
    for number, line in enumerate(text.splitlines(), start=1):
        # only lines with that many dots can hold one: str.count is cheap, the regex is not
        if line.count(".") >= MAX_NESTING and _DOTTED_CHAIN.search(line):
            return number
    return None


def _deep_line(text: str) -> int | None:
    """The first line where brackets and braces open more than :data:`MAX_NESTING` deep (a
    cheap count that ignores strings: only used to point at a file tomllib could not read)."""
    depth = 0
    for number, line in enumerate(text.splitlines(), start=1):
        for ch in line:
            if ch in "[{":
                depth += 1
                if depth > MAX_NESTING:
                    return number
            elif ch in "]}":
                depth = max(depth - 1, 0)
    return None


def _too_deep(data: Any) -> _Path | None:
    """The key path of the first value nested deeper than :data:`MAX_NESTING`, or None."""
    stack: list[tuple[Any, _Path]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if len(path) > MAX_NESTING:
            return path
        if isinstance(value, dict):
            stack.extend((v, (*path, k)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, (*path, i)) for i, v in enumerate(value))
    return None


# -- the reader: files, problems, and where each key is written -------------------------------

class _Reader:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self.digest = hashlib.sha256()
        self._cache: dict[Path, dict[str, Any] | None] = {}
        self._texts: dict[str, str] = {}
        self._indexes: dict[str, LineIndex] = {}
        self._seen: set[tuple[str, str, str]] = set()
        self._per_file: dict[str, int] = {}
        self._resolved: dict[Path, tuple[dict[str, Any], dict[_Path, str]] | None] = {}

    def rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.name

    def line_of(self, file: str, path: _Path) -> int | None:
        index = self._indexes.get(file)
        if index is None:
            text = self._texts.get(file)
            if text is None:
                return None
            index = self._indexes[file] = LineIndex(text)
        return index.line_of(path)

    def written(self, file: str) -> LineIndex | None:
        """The line index of ``file`` (for key checks), if it was read."""
        if file not in self._texts:
            return None
        self.line_of(file, ())
        return self._indexes[file]

    def problem(self, file: Path | str, path: _Path | str, message: str, *,
                warning: bool = False, **kw: Any) -> None:
        name = file if isinstance(file, str) else self.rel(file)
        key = path if isinstance(path, str) else key_path(path)
        if (name, key, message) in self._seen:  # a zone's problem, met again by its markets
            return
        self._seen.add((name, key, message))
        count = self._per_file.get(name, 0) + 1
        self._per_file[name] = count
        if count > MAX_PROBLEMS_PER_FILE:
            if count == MAX_PROBLEMS_PER_FILE + 1:
                (self.warnings if warning else self.problems).append(Problem(
                    name, "", f"more problems in this file are not listed (over "
                    f"{MAX_PROBLEMS_PER_FILE}); fix these first"))
            return
        if kw.get("line") is None and not isinstance(path, str):
            kw["line"] = self.line_of(name, path)
        (self.warnings if warning else self.problems).append(Problem(name, key, message, **kw))

    def read(self, path: Path) -> dict[str, Any] | None:
        if path in self._cache:
            return self._cache[path]
        self._cache[path] = None
        try:
            raw = read_rule_file(path, root=self.root)
        except ValueError as e:
            self.problem(path, "", str(e))
            return None
        rel = self.rel(path)
        self.digest.update(rel.encode() + b"\0" + raw + b"\0")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            line = raw[:e.start].count(b"\n") + 1
            self.problem(path, "", f"not UTF-8 text (byte {e.start}); save the file as UTF-8",
                         line=line)
            return None
        self._texts[rel] = text
        deep_key = _deep_dotted_key(text)
        if deep_key is not None:  # tomllib's time grows with the square of a key's parts
            self.problem(path, "", f"nested too deeply: a dotted key of more than {MAX_NESTING} "
                         "parts", line=deep_key)
            return None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            msg = str(e)
            pos = _TOML_POS.search(msg)
            # "(at end of document)": the last line is where the reader stopped
            line = int(pos.group(1)) if pos else text.count("\n") + 1
            self.problem(path, "", "TOML syntax error: " + _TOML_POS.sub("", msg).replace(
                "(at end of document)", "").strip(), line=line,
                column=int(pos.group(2)) if pos else None)
            return None
        except RecursionError:
            self.problem(path, "", f"nested too deeply: more than {MAX_NESTING} levels of "
                         "tables and arrays inside each other", line=_deep_line(text))
            return None
        except ValueError:  # tomllib lets int() errors through: a 5,000-digit integer
            long = re.search(r"[0-9_]{4000,}", text)
            self.problem(path, "", "a number too long to read (thousands of digits); numbers "
                         "in rule files are short decimal strings such as \"0.19\"",
                         line=text.count("\n", 0, long.start()) + 1 if long else None)
            return None
        deep = _too_deep(data)
        if deep is not None:
            self.problem(path, deep[:MAX_NESTING], f"nested too deeply: more than "
                         f"{MAX_NESTING} levels of tables and arrays inside each other")
            return None
        self._cache[path] = data
        return data

    # -- extends ---------------------------------------------------------------------------

    def resolve(self, path: Path, stack: tuple[Path, ...] = ()
                ) -> tuple[dict[str, Any], dict[_Path, str]] | None:
        """The file at ``path`` with its ``extends`` merged underneath, and the file each key
        came from. Each file is resolved once (a zone extended by many is not re-read)."""
        if path in self._resolved:
            return self._resolved[path]
        result = self._resolve(path, stack)
        self._resolved[path] = result
        return result

    def _resolve(self, path: Path, stack: tuple[Path, ...]
                 ) -> tuple[dict[str, Any], dict[_Path, str]] | None:
        data = self.read(path)
        if data is None:
            return None
        data = dict(data)
        rel = self.rel(path)
        extends = data.pop("extends", None)
        merged: dict[str, Any] = {}
        origin: dict[_Path, str] = {}
        if extends is not None:
            names = self._zone_names(path, extends)
            if names is None:
                return None
            if len(stack) >= MAX_EXTENDS_DEPTH:
                chain = " -> ".join(self.rel(p) for p in (*stack, path))
                self.problem(path, ("extends",), f"zones extend zones more than "
                             f"{MAX_EXTENDS_DEPTH} deep: {chain}", value=toml_value(extends),
                             expected=f"a chain of at most {MAX_EXTENDS_DEPTH} zones")
                return None
            zones_dir = self.root / "zones"
            for i, name in enumerate(names):
                where = ("extends",) if isinstance(extends, str) else ("extends", i)
                target = zones_dir / f"{name}.toml"
                if target in stack or target == path:
                    chain = " -> ".join(self.rel(p) for p in (*stack, path, target))
                    self.problem(path, where, f"circular extends: {chain}",
                                 value=toml_value(name), expected="a chain of zones that ends")
                    return None
                if not os.path.lexists(target):
                    known = sorted(p.stem for p in rule_files(self.root)
                                   if p.parent.name == "zones")
                    self.problem(path, where, f"no zone file zones/{name}.toml",
                                 value=toml_value(name), expected=", ".join(known) or
                                 "a file in zones/", suggestion=did_you_mean(name, known))
                    return None
                parent = self.resolve(target, (*stack, path))
                if parent is None:
                    return None
                merged = _merge(merged, parent[0], origin, "", record=False)
                origin.update(parent[1])
        merged = _merge(merged, data, origin, rel)
        origin[()] = rel  # what no key of its own explains is this file's (cross-field checks)
        return merged, origin

    def _zone_names(self, path: Path, extends: Any) -> list[str] | None:
        names = [extends] if isinstance(extends, str) else extends
        if (not isinstance(names, list) or not names
                or not all(isinstance(n, str) for n in names)):
            self.problem(path, ("extends",), "extends must be a zone name or a list of names",
                         value=toml_value(extends), expected='e.g. extends = "eu"')
            return None
        if len(names) > MAX_EXTENDS:
            self.problem(path, ("extends",), f"extends lists {len(names)} zones; at most "
                         f"{MAX_EXTENDS}", value=toml_value(extends))
            return None
        for i, name in enumerate(names):
            where = ("extends",) if isinstance(extends, str) else ("extends", i)
            if not _ZONE_NAME.fullmatch(name):
                self.problem(path, where, "extends names a zone by its name (the file "
                             "zones/<name>.toml), never a path", value=toml_value(name),
                             expected='a name of letters, digits, - and _, e.g. "eu"')
                return None
            if name in names[:i]:
                self.problem(path, where, f"zone {name!r} is listed twice",
                             value=toml_value(name))
                return None
        return names


def _merge(base: dict[str, Any], over: Mapping[str, Any], origin: dict[_Path, str],
           file: str, path: _Path = (), *, record: bool = True) -> dict[str, Any]:
    """``over`` merged onto ``base``; with ``record``, note ``file`` as the origin of its keys."""
    out = dict(base)
    for key, value in over.items():
        here = (*path, key)
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value, origin, file, here, record=record)
        else:
            out[key] = value
            if record:
                _record(value, here, origin, file)
    if record and path:
        origin.setdefault(path, file)
    return out


def _record(value: Any, here: _Path, origin: dict[_Path, str], file: str) -> None:
    origin[here] = file
    if isinstance(value, dict):
        for k, v in value.items():
            _record(v, (*here, k), origin, file)


def _file_for(origin: Mapping[_Path, str], loc: _Path, default: str) -> str:
    for n in range(len(loc), -1, -1):
        if loc[:n] in origin:
            return origin[loc[:n]]
    return default


def _report(reader: _Reader, err: ValidationError, origin: Mapping[_Path, str],
            default: str) -> None:
    for e in err.errors(include_url=False):
        loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and "[" in p))
        msg = e["msg"].removeprefix("Value error, ")
        value = e.get("input")
        shown: str | None = toml_value(value)
        ctx = e.get("ctx") or {}
        suggestion = ctx.get("suggestion")
        expected = ctx.get("expected")
        if e["type"] == "extra_forbidden":
            msg = f"unknown key {toml_value(loc[-1], limit=60)}"
            suggestion = did_you_mean(str(loc[-1])[:100], _VOCABULARY)
        elif e["type"] == "missing":
            msg = "required key is missing"
            shown = None
        elif e["type"] == "literal_error" or e["type"] == "enum":
            expected = msg.removeprefix("Input should be ")
            msg = "value not allowed"
        period = _PERIOD.match(msg)
        if period and isinstance(value, list) and int(period.group(1)) < len(value):
            # one period of a dated value is wrong: name it, and show it alone
            i = int(period.group(1))
            loc, msg, shown = (*loc, i), msg[period.end():], toml_value(value[i])
        reader.problem(_file_for(origin, loc, default), loc, msg, value=shown,
                       expected=expected, suggestion=suggestion)


# -- the whole rule set -----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Checked:
    """What a check of a rules folder found: the rule set (None when a problem stops it), every
    problem, and the warnings (unconfirmed facts, sources checked long ago)."""

    rules: RuleSet | None
    problems: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()
    files: tuple[str, ...] = field(default=())


def check_rules(path: str | Path, *, today: date | None = None,
                require_sources: bool = False) -> Checked:
    """Load and validate every rule file under ``path``, collecting every problem and warning.

    ``today`` dates the warnings about sources checked more than a year ago (default: the
    system date). With ``require_sources`` (``pricing validate``), a market file without
    ``sources`` is a problem; loading for quotes does not need them (a test's market file, a
    merchant's own), but a source that is listed must be dated either way.
    :func:`load_rules` is this, raising on problems.
    """
    root = Path(path)
    reader = _Reader(root)
    if not root.is_dir():
        return Checked(None, (Problem(str(root), "", "not a directory; point at the rules "
                                      "folder that holds shop.toml and markets/"),))
    files = rule_files(root)
    shop = None
    if not os.path.lexists(root / "shop.toml"):
        reader.problem("shop.toml", "", "missing: the rules folder needs a shop.toml with "
                       "name, base_currency and ship_from")
    else:
        data = reader.read(root / "shop.toml")
        if data is not None:
            try:
                shop = schema.ShopSpec.model_validate(data)
            except ValidationError as err:
                _report(reader, err, {}, "shop.toml")

    markets_files = [f for f in files if f.parent.name == "markets"]
    zone_files = [f for f in files if f.parent.name == "zones"]
    for folder, listed in (("markets", markets_files), ("zones", zone_files)):
        if len(listed) > MAX_FILES:
            reader.problem(f"{folder}/", "", f"more than {MAX_FILES} files; only the first "
                           f"{MAX_FILES} are read")
            del listed[MAX_FILES:]
    if not markets_files:
        reader.problem("markets/", "", "no market files: add at least one markets/<id>.toml")
    # Zones are read (and hashed) even when unused, so that the version changes with any
    # rule edit, and a broken zone is reported even before a market extends it.
    for zone in zone_files:
        if reader.read(zone) is not None:
            checks.check_sources(reader.problem, reader.rel(zone), reader.read(zone) or {},
                                 required=False, today=today or date.today())

    markets: dict[str, Market] = {}
    claims: list[tuple[str, schema.MarketSpec]] = []
    seen_ids: dict[str, str] = {}
    for f in markets_files:
        resolved = reader.resolve(f)
        if resolved is None:
            continue
        data, origin = resolved
        rel = reader.rel(f)
        own = reader.read(f) or {}
        sources_ok = checks.check_sources(reader.problem, rel, own, required=require_sources,
                                          today=today or date.today())
        try:
            spec = schema.MarketSpec.model_validate(data, context={"defer_cross_checks": True})
        except ValidationError as err:
            _report(reader, err, origin, rel)
            continue
        cross = spec.cross_problems()
        for loc, message in cross:
            reader.problem(_file_for(origin, loc, rel), loc, message)
        unconfirmed_ok = checks.check_unconfirmed(reader.problem, rel, spec, data,
                                                  vocabulary=_VOCABULARY)
        if cross or not sources_ok or not unconfirmed_ok:
            continue
        if spec.id in seen_ids:
            reader.problem(f, ("id",), f"market {spec.id!r} is also defined in "
                           f"{seen_ids[spec.id]}; each market lives in one file",
                           value=toml_value(spec.id))
            continue
        if spec.id != f.stem:
            reader.problem(f, ("id",), f"market id {spec.id!r} does not match the file name; "
                           f"name the file markets/{spec.id}.toml", value=toml_value(spec.id),
                           expected=toml_value(f.stem))
            continue
        seen_ids[spec.id] = rel
        claims.append((rel, spec))
        markets[spec.id] = Market(spec, origin)
    for rel in checks.check_countries(reader.problem, claims):
        markets.pop(Path(rel).stem, None)

    problems = tuple(reader.problems)
    rules = None
    if not problems and shop is not None:  # a missing or invalid shop has added a problem
        rules = RuleSet(shop=shop, markets=markets, version=reader.digest.hexdigest()[:12],
                        root=str(root))
    return Checked(rules, problems, tuple(reader.warnings),
                   tuple(reader.rel(f) for f in files if os.path.lexists(f)))


def load_rules(path: str | Path) -> RuleSet:
    """Load and validate every rule file under ``path``; raise :class:`RulesError` listing all
    problems, or return the rule set."""
    checked = check_rules(path)
    if checked.rules is None:
        raise RulesError(checked.problems)
    return checked.rules
