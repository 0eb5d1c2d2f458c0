"""Read a rules directory into an immutable, versioned :class:`RuleSet`, reporting every problem.

Layout::

    rules/shop.toml            the merchant: base currency, ship-from country, defaults
    rules/markets/<id>.toml    one market per file
    rules/zones/<name>.toml    shared parts (e.g. the EU) that markets pull in with `extends`

A market's own keys override what it extends; tables merge key by key, lists are replaced whole.
Nothing in a rule file is evaluated: TOML is parsed as data and validated against the schema.
All problems of all files are collected and raised together as one :class:`RulesError`.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from pricing.errors import Problem, RulesError, did_you_mean, key_path
from pricing.markets import schema
from pricing.markets.market import Market
from pricing.markets.ruleset import RuleSet

__all__ = ["load_rules"]

_TOML_POS = re.compile(r"\(at line (\d+), column (\d+)\)")
_Path = tuple[str | int, ...]


def _vocabulary() -> set[str]:
    words: set[str] = set()
    for obj in vars(schema).values():
        if isinstance(obj, type) and issubclass(obj, BaseModel):
            for name, f in obj.model_fields.items():
                words.add(f.alias or name)
    return words


_VOCABULARY = _vocabulary()


class _Reader:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[Problem] = []
        self.digest = hashlib.sha256()
        self._cache: dict[Path, dict[str, Any] | None] = {}

    def rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return str(path)

    def problem(self, file: Path | str, key: str, message: str, **kw: Any) -> None:
        name = file if isinstance(file, str) else self.rel(file)
        self.problems.append(Problem(name, key, message, **kw))

    def read(self, path: Path) -> dict[str, Any] | None:
        if path in self._cache:
            return self._cache[path]
        data: dict[str, Any] | None = None
        try:
            raw = path.read_bytes()
        except OSError as e:
            self.problem(path, "", f"cannot read the file: {e.strerror}")
            self._cache[path] = None
            return None
        self.digest.update(self.rel(path).encode() + b"\0" + raw + b"\0")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            self.problem(path, "", f"not UTF-8 text (byte {e.start}); save the file as UTF-8")
            self._cache[path] = None
            return None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            msg = str(e)
            pos = _TOML_POS.search(msg)
            self.problem(path, "", "TOML syntax error: " + _TOML_POS.sub("", msg).strip(),
                         line=int(pos.group(1)) if pos else None,
                         column=int(pos.group(2)) if pos else None)
        self._cache[path] = data
        return data


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
    if record:
        origin.setdefault(path, file)
    return out


def _record(value: Any, here: _Path, origin: dict[_Path, str], file: str) -> None:
    origin[here] = file
    if isinstance(value, dict):
        for k, v in value.items():
            _record(v, (*here, k), origin, file)


def _resolve(reader: _Reader, path: Path, stack: tuple[Path, ...],
             origin: dict[_Path, str]) -> dict[str, Any] | None:
    """The file at ``path`` with its ``extends`` chain merged underneath it."""
    data = reader.read(path)
    if data is None:
        return None
    data = dict(data)
    extends = data.pop("extends", None)
    merged: dict[str, Any] = {}
    if extends is not None:
        names = [extends] if isinstance(extends, str) else extends
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            reader.problem(path, "extends", "extends must be a zone name or a list of names",
                           value=repr(extends), expected='e.g. extends = "eu"')
            return None
        zones_dir = reader.root / "zones"
        for name in names:
            target = zones_dir / f"{name}.toml"
            if target in stack or target == path:
                chain = " -> ".join(reader.rel(p) for p in (*stack, path, target))
                reader.problem(path, "extends", f"circular extends: {chain}", value=name,
                               expected="a chain of zones that ends")
                return None
            if not target.is_file():
                known = sorted(p.stem for p in zones_dir.glob("*.toml")) if (
                    zones_dir.is_dir()) else []
                reader.problem(path, "extends", f"no zone file {reader.rel(target)}",
                               value=name, expected=", ".join(known) or "a file in zones/",
                               suggestion=did_you_mean(name, known))
                return None
            parent = _resolve(reader, target, (*stack, path), origin)
            if parent is None:
                return None
            # The parent's keys were recorded with their own files while resolving it.
            merged = _merge(merged, parent, origin, reader.rel(target), record=False)
    return _merge(merged, data, origin, reader.rel(path))


def _file_for(origin: Mapping[_Path, str], loc: _Path, default: str) -> str:
    for n in range(len(loc), -1, -1):
        if loc[:n] in origin:
            return origin[loc[:n]]
    return default


def _report(reader: _Reader, err: ValidationError, origin: Mapping[_Path, str],
            default: str) -> None:
    for e in err.errors():
        loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and "[" in p))
        msg = e["msg"].removeprefix("Value error, ")
        value = e.get("input")
        shown = None if isinstance(value, dict) else repr(value)
        suggestion = None
        expected = None
        if e["type"] == "extra_forbidden":
            msg = f"unknown key {loc[-1]!r}"
            suggestion = did_you_mean(str(loc[-1]), _VOCABULARY)
        elif e["type"] == "missing":
            msg = "required key is missing"
            shown = None
        elif e["type"] == "literal_error" or e["type"] == "enum":
            expected = msg.removeprefix("Input should be ")
            msg = "value not allowed"
        reader.problem(_file_for(origin, loc, default), key_path(loc), msg, value=shown,
                       expected=expected, suggestion=suggestion)


def load_rules(path: str | Path) -> RuleSet:
    """Load and validate every rule file under ``path``; raise :class:`RulesError` listing all
    problems, or return the rule set."""
    root = Path(path)
    reader = _Reader(root)
    if not root.is_dir():
        raise RulesError([Problem(str(root), "", "not a directory; point at the rules folder "
                                  "that holds shop.toml and markets/")])
    shop_path = root / "shop.toml"
    shop = None
    if not shop_path.is_file():
        reader.problem("shop.toml", "", "missing: the rules folder needs a shop.toml with "
                       "name, base_currency and ship_from")
    else:
        data = reader.read(shop_path)
        if data is not None:
            try:
                shop = schema.ShopSpec.model_validate(data)
            except ValidationError as err:
                _report(reader, err, {}, "shop.toml")

    markets_dir = root / "markets"
    files = sorted(markets_dir.glob("*.toml")) if markets_dir.is_dir() else []
    if not files:
        reader.problem("markets/", "", "no market files: add at least one "
                       "markets/<id>.toml")
    # Zones are hashed even when unused so that the version changes with any rule edit.
    for zone in sorted((root / "zones").glob("*.toml")) if (root / "zones").is_dir() else []:
        reader.read(zone)

    markets: dict[str, Market] = {}
    seen_ids: dict[str, str] = {}
    seen_countries: dict[str, str] = {}
    for f in files:
        origin: dict[_Path, str] = {}
        data = _resolve(reader, f, (), origin)
        if data is None:
            continue
        rel = reader.rel(f)
        try:
            spec = schema.MarketSpec.model_validate(data)
        except ValidationError as err:
            _report(reader, err, origin, rel)
            continue
        if spec.id in seen_ids:
            reader.problem(f, "id", f"market {spec.id!r} is also defined in "
                           f"{seen_ids[spec.id]}; each market lives in one file",
                           value=repr(spec.id))
            continue
        if spec.id != f.stem:
            reader.problem(f, "id", f"market id {spec.id!r} does not match the file name; "
                           f"name the file markets/{spec.id}.toml", value=repr(spec.id),
                           expected=repr(f.stem))
            continue
        clash = False
        for c in spec.countries:
            if c in seen_countries:
                reader.problem(f, "countries", f"{c} is already served by market "
                               f"{seen_countries[c]!r}; a country belongs to one market",
                               value=c)
                clash = True
        if clash:
            continue
        seen_ids[spec.id] = rel
        for c in spec.countries:
            seen_countries[c] = spec.id
        markets[spec.id] = Market(spec, origin)

    if reader.problems or shop is None:  # a missing or invalid shop has added a problem
        raise RulesError(reader.problems)
    return RuleSet(shop=shop, markets=markets, version=reader.digest.hexdigest()[:12],
                   root=str(root))
