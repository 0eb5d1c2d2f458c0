"""Product text catalogs: gettext PO files, read and written with babel.messages.

Layout (domain ``products``)::

    catalog/products.csv                        the product catalog (source text and facts)
    locales/products.pot                        template: every product field's source text
    locales/<lang>/LC_MESSAGES/products.po      translations, one file per language

Each product field (``title``, ``description``) is one entry: its source text is the ``msgid``,
``msgctxt`` is ``"<sku>|<field>"``, the ``msgstr`` its translation. A translation is *stale*,
never shown and always reported, when it is marked fuzzy or when its ``msgid`` is no longer the
catalog's current source text for that ``msgctxt`` (the source changed after it was written).
Lookups follow the fallback chain of :func:`~pricing.l10n.formatting.fallback_chain`
(``fr_CA -> fr -> market default -> source language``) and say which locale they used.

A broken PO file is reported with its file and line, and only that file is left out:
:func:`load_catalogs` collects the errors in ``.errors`` and loads every other file.

>>> from pricing.resources import sample_dir
>>> cat = load_catalogs(sample_dir("locales"))
>>> cat.title("TEE-ORG-WHT-M", "de_CH")
('Bio-T-Shirt aus Baumwolle, Weiß, Größe M', 'de')
>>> cat.title("TEE-ORG-WHT-M", "mn_MN", default="ja_JP")   # no Mongolian text
('オーガニックコットンTシャツ ホワイト Mサイズ', 'ja')
"""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from babel import Locale, UnknownLocaleError
from babel.messages.catalog import Catalog, Message
from babel.messages.plurals import get_plural
from babel.messages.pofile import PoFileError, read_po, unescape, write_po

from pricing.codes import (
    normalize_country,
    normalize_currency,
    normalize_hs_code,
    normalize_locale,
)
from pricing.errors import (  # CatalogError and UnknownProductError are re-exported here
    CatalogError,
    InvalidCodeError,
    InvalidInputError,
    PricingError,
    Problem,
    UnknownMarketError,
    UnknownProductError,
    did_you_mean,
)
from pricing.l10n.formatting import fallback_chain, negotiate_locale
from pricing.money import Money, minor_unit, parse_decimal, precision

__all__ = [
    "COLUMNS",
    "DOMAIN",
    "FIELDS",
    "CatalogError",
    "Coverage",
    "ExtractReport",
    "Gap",
    "Product",
    "ProductCatalog",
    "UnknownProductError",
    "check_messages",
    "extract",
    "find_products_file",
    "load_catalogs",
    "load_products",
    "po_path",
    "product_template",
    "read_po_file",
    "update_catalog",
    "write_po_file",
]

DOMAIN = "products"
#: The product fields that are translated, in the order they appear in the PO files.
FIELDS = ("title", "description")
#: Columns of a product catalog (CSV header or JSON-lines keys); weight is in kilograms. The
#: last six are for channel feeds (pricing.feeds.catalog checks them); product text ignores them.
COLUMNS = ("sku", "title", "description", "price", "currency", "hs_code", "origin", "category",
           "weight", "link", "image_link", "brand", "gtin", "condition", "availability")
_REQUIRED = ("sku", "title", "price", "currency")
_SKU = re.compile(r"[^\s|\x00-\x1f\x7f](?:[^|\x00-\x1f\x7f]{0,126}[^\s|\x00-\x1f\x7f])?")
_CATEGORY = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_MAX_WEIGHT_KG = Decimal(1000)
_MAX_TEXT = {"title": 500, "description": 5000}


# -- errors ------------------------------------------------------------------------------------

# -- the product catalog (CSV or JSON lines) --------------------------------------------------

@dataclass(frozen=True, slots=True)
class Product:
    """One product: its source text and the facts a quote needs (price in the shop currency)."""

    sku: str
    title: str
    description: str
    price: Money
    hs_code: str | None = None
    origin: str | None = None
    category: str | None = None
    weight_kg: Decimal | None = None
    #: The locale ``title`` and ``description`` are written in (the source language unless
    #: the product was looked up for a locale, see :meth:`ProductCatalog.product`).
    title_locale: str = "en"
    description_locale: str = "en"

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (decimals as strings)."""
        return {
            "sku": self.sku,
            "title": self.title,
            "title_locale": self.title_locale,
            "description": self.description,
            "description_locale": self.description_locale,
            "price": {"amount": str(self.price.amount), "currency": self.price.currency},
            "hs_code": self.hs_code,
            "origin": self.origin,
            "category": self.category,
            "weight": None if self.weight_kg is None else {"value": str(self.weight_kg),
                                                           "unit": "kg"},
        }


def _rows(path: Path, problems: list[Problem]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line, row) of a CSV or JSON-lines catalog; format problems go to ``problems``."""
    name = str(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        problems.append(Problem(name, "", f"cannot read the product catalog: {e.strerror}"))
        return
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        problems.append(Problem(name, "", "not UTF-8 text", line=data.count(b"\n", 0, e.start)
                                + 1))
        return
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        for no, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line, parse_float=Decimal)
            except json.JSONDecodeError as e:
                problems.append(Problem(name, "", f"invalid JSON: {e.msg}", line=no,
                                        column=e.colno))
                continue
            if not isinstance(row, dict):
                problems.append(Problem(name, "", "each line must be a JSON object", line=no))
                continue
            unknown = [k for k in row if k not in COLUMNS]
            for k in unknown:
                problems.append(Problem(name, k, "unknown key", line=no,
                                        expected=", ".join(COLUMNS),
                                        suggestion=did_you_mean(k, COLUMNS)))
            if not unknown:
                yield no, row
        return
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        problems.append(Problem(name, "", "empty catalog: the first line names the columns "
                                f"({','.join(COLUMNS)})", line=1))
        return
    except csv.Error as e:
        problems.append(Problem(name, "", f"invalid CSV: {e}", line=1))
        return
    header = [h.strip() for h in header]
    bad = False
    for col in header:
        if col not in COLUMNS:
            problems.append(Problem(name, col, "unknown column", line=1,
                                    expected=", ".join(COLUMNS),
                                    suggestion=did_you_mean(col, COLUMNS)))
            bad = True
    for col in _REQUIRED:
        if col not in header:
            problems.append(Problem(name, col, "missing column", line=1,
                                    expected=", ".join(COLUMNS)))
            bad = True
    dupes = sorted({c for c in header if header.count(c) > 1})
    for col in dupes:
        problems.append(Problem(name, col, "column appears twice", line=1))
        bad = True
    if bad:
        return
    start = reader.line_num + 1
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            problems.append(Problem(name, "", f"invalid CSV: {e}", line=start))
            return
        line, start = start, reader.line_num + 1
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            problems.append(Problem(name, "", f"{len(values)} fields where the header has "
                                    f"{len(header)}", line=line,
                                    expected=",".join(header)))
            continue
        yield line, dict(zip(header, values, strict=True))


def _text(row: Mapping[str, Any], key: str) -> str:
    v = row.get(key)
    if v is None:
        return ""
    return v.strip() if isinstance(v, str) else str(v)


def _product(name: str, line: int, row: Mapping[str, Any], problems: list[Problem],
             source_locale: str) -> Product | None:
    """One validated row, or None after adding its problems."""
    found: list[Problem] = []

    def bad(key: str, message: str, **kw: Any) -> None:
        found.append(Problem(name, key, message, line=line, **kw))

    sku = _text(row, "sku")
    if not sku:
        bad("sku", "missing: every product needs a sku")
    elif not _SKU.fullmatch(sku):
        bad("sku", "invalid sku", value=repr(sku),
            expected="1 to 128 characters without '|', line breaks or surrounding spaces")
    texts = {}
    for f in FIELDS:
        texts[f] = _text(row, f)
        if len(texts[f]) > _MAX_TEXT[f]:
            bad(f, f"too long ({len(texts[f])} characters)", expected=f"at most {_MAX_TEXT[f]}")
    if not texts["title"]:
        bad("title", "missing: every product needs a title in the source language")
    currency = None
    try:
        currency = normalize_currency(_text(row, "currency"), field="currency")
    except InvalidInputError as e:
        bad("currency", e.message, value=repr(_text(row, "currency")), expected=e.expected,
            suggestion=e.suggestion)
    price = None
    raw_price = row.get("price")
    try:
        amount = parse_decimal(raw_price.strip() if isinstance(raw_price, str) else raw_price,
                               field="price")
        if amount < 0:
            bad("price", "a price cannot be negative", value=repr(_text(row, "price")))
        elif currency and amount != amount.quantize(minor_unit(currency)):
            bad("price", f"more decimals than {currency} has ({precision(currency)})",
                value=repr(_text(row, "price")))
        elif currency:
            price = Money(amount, currency)
    except PricingError as e:
        bad("price", e.message, value=repr(_text(row, "price")), expected=e.expected)
    optional: dict[str, Any] = {}
    for key, norm in (("hs_code", normalize_hs_code), ("origin", normalize_country)):
        value = _text(row, key)
        if value:
            try:
                optional[key] = norm(value, field=key)
            except InvalidCodeError as e:
                bad(key, e.message, value=repr(value), expected=e.expected,
                    suggestion=e.suggestion)
    category = _text(row, "category")
    if category:
        if _CATEGORY.fullmatch(category):
            optional["category"] = category
        else:
            bad("category", "invalid category", value=repr(category),
                expected="lowercase letters, digits, - and _, e.g. books, children_clothing")
    weight = _text(row, "weight")
    if weight:
        try:
            kg = parse_decimal(weight, field="weight")
            if not 0 < kg <= _MAX_WEIGHT_KG:
                raise ValueError
            optional["weight_kg"] = kg
        except (PricingError, ValueError):
            bad("weight", "invalid weight", value=repr(weight),
                expected=f"kilograms, more than 0 and at most {_MAX_WEIGHT_KG}, e.g. 0.25")
    if found or price is None:
        problems.extend(found)
        return None
    return Product(sku=sku, title=texts["title"], description=texts["description"], price=price,
                   title_locale=source_locale, description_locale=source_locale, **optional)


def _read_products(path: Path, source_locale: str = "en"
                   ) -> tuple[dict[str, Product], list[Problem]]:
    problems: list[Problem] = []
    products: dict[str, Product] = {}
    lines: dict[str, int] = {}
    for line, row in _rows(path, problems):
        p = _product(str(path), line, row, problems, source_locale)
        if p is None:
            continue
        if p.sku in products:
            problems.append(Problem(str(path), "sku", f"duplicate sku (first on line "
                                    f"{lines[p.sku]})", value=repr(p.sku), line=line))
            continue
        products[p.sku] = p
        lines[p.sku] = line
    return products, problems


def load_products(path: str | Path, *, source_locale: str = "en") -> dict[str, Product]:
    """Read a product catalog (``.csv``, or ``.jsonl`` JSON lines), keyed by sku, in file order.

    Every problem (missing sku, bad price, unknown column, ...) is collected and raised as
    one :class:`CatalogError` naming file and line.
    """
    products, problems = _read_products(Path(path), normalize_locale(source_locale))
    if problems:
        raise CatalogError(problems)
    return products


def find_products_file(locales_dir: str | Path) -> Path | None:
    """The product catalog that goes with ``locales_dir``: ``<locales>/products.csv`` (or
    ``.jsonl``), else ``catalog/products.csv`` (or ``.jsonl``) next to ``locales_dir``."""
    root = Path(locales_dir)
    for folder in (root, root.parent / "catalog"):
        for ext in ("csv", "jsonl"):
            if (folder / f"products.{ext}").is_file():
                return folder / f"products.{ext}"
    return None


# -- PO files --------------------------------------------------------------------------------

_STRING = r'"(?:[^"\\\n]|\\.)*"'
_KEYWORD_LINE = re.compile(rf"(msgctxt|msgid|msgid_plural|msgstr|msgstr\[\d+\])[ \t]+"
                           rf"({_STRING})[ \t]*")
_STRING_LINE = re.compile(rf"({_STRING})[ \t]*")
_KEYWORDS = ("msgctxt", "msgid", "msgid_plural", "msgstr", "msgstr[0]")


def po_path(locales_dir: str | Path, locale: str, domain: str = DOMAIN) -> Path:
    """Where the ``domain`` catalog of ``locale`` lives: ``<dir>/<locale>/LC_MESSAGES/<d>.po``."""
    return Path(locales_dir) / locale / "LC_MESSAGES" / f"{domain}.po"


def _lint(name: str, lines: Sequence[str]) -> list[Problem]:
    """Syntax problems babel's lenient parser would let through (unterminated strings, unknown
    keywords, stray text) and duplicate entries, each with its line."""
    problems: list[Problem] = []
    seen: dict[tuple[str | None, str], int] = {}
    ctxt: list[str] | None = None
    msgid: list[str] | None = None
    current: list[str] | None = None
    start = 0
    plural = False

    def close() -> None:
        nonlocal ctxt, msgid
        if msgid is not None:
            key = (None if ctxt is None else "".join(ctxt), "".join(msgid))
            if key in seen:
                what = f"msgctxt {key[0]!r}, " if key[0] is not None else ""
                text = unescape(f'"{key[1]}"')
                problems.append(Problem(name, key[0] or "", f"duplicate entry ({what}msgid "
                                        f"{text!r}; first on line {seen[key]})", line=start))
            else:
                seen[key] = start
        ctxt = msgid = None

    for no, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line:
            continue
        obsolete = line.startswith("#~")
        if line.startswith("#") and not obsolete:
            continue
        if obsolete:
            line = line[2:].strip()
            if not line:
                continue
        m = _KEYWORD_LINE.fullmatch(line)
        if m:
            if obsolete:
                current = None
                continue
            keyword, string = m.group(1), m.group(2)[1:-1]
            if keyword == "msgctxt":
                close()
                ctxt, start = [string], no
                current = ctxt
            elif keyword == "msgid":
                if msgid is not None or ctxt is None:
                    close()
                if ctxt is None:
                    start = no
                msgid = [string]
                current = msgid
                plural = False
            else:
                current = None
                if keyword == "msgid_plural":
                    plural = True
                elif plural != keyword.startswith("msgstr["):
                    problems.append(Problem(
                        name, "", f"{keyword} " + ("after msgid_plural: use msgstr[0], "
                                                   "msgstr[1], ..." if plural else
                                                   "without msgid_plural: use msgstr"),
                        value=raw.strip()[:80], line=no))
            continue
        if _STRING_LINE.fullmatch(line):
            if current is not None and not obsolete:
                current.append(line[1:-1])
            continue
        word = line.split(None, 1)[0].rstrip('"')
        if line.startswith('"') or word in _KEYWORDS or word.startswith("msgstr["):
            msg = ("unterminated or malformed string: a string is in double quotes on one "
                   "line, with \\\" and \\\\ escaped")
            problems.append(Problem(name, "", msg, value=raw.strip()[:80], line=no))
        else:
            problems.append(Problem(name, "", f"unknown keyword {word[:40]!r}",
                                    value=raw.strip()[:80], line=no,
                                    expected="msgctxt, msgid, msgid_plural, msgstr, msgstr[N], "
                                             "a quoted string or a # comment",
                                    suggestion=did_you_mean(word, _KEYWORDS)))
    close()
    return problems


def _restore_previous(catalog: Catalog) -> None:
    """Turn ``#| msgid "..."`` lines (which babel's reader keeps as comments) back into
    ``previous_id``, so that writing the file again keeps them as they were."""
    for message in [*catalog, *catalog.obsolete.values()]:
        prev = [c for c in message.user_comments if c.startswith("|")]
        if not prev:
            continue
        message.user_comments = [c for c in message.user_comments if not c.startswith("|")]
        ids: list[list[str]] = []
        for c in prev:
            body = c[1:].strip()
            keyword, _, rest = body.partition(" ")
            if keyword in ("msgid", "msgid_plural"):
                ids.append([rest.strip()])
            elif body.startswith('"') and ids:
                ids[-1].append(body)
        message.previous_id = ["".join(unescape(s) for s in parts if s.startswith('"'))
                               for parts in ids]


def _header_line(lines: Sequence[str], name: str) -> int | None:
    for no, line in enumerate(lines, 1):
        if line.lstrip().startswith(f'"{name}:'):
            return no
    return None


def read_po_file(path: str | Path, *, locale: str | None = None, domain: str | None = None
                 ) -> Catalog:
    """Read one PO (or POT) file with babel, strictly.

    Raises :class:`CatalogError` naming the file and line for a syntax error (babel's
    ``read_po(abort_invalid=True)`` plus the unterminated strings and duplicate entries it would
    let through), a file that is not UTF-8, a ``Language`` header that contradicts ``locale``
    (the folder it sits in) or a ``Plural-Forms`` header whose number of forms is not the
    language's. Problems of single messages are left to :func:`check_messages`.
    """
    path = Path(path)
    name = str(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise CatalogError([Problem(name, "", f"cannot read: {e.strerror}")]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise CatalogError([Problem(name, "", "not UTF-8: PO files here are UTF-8 "
                                    "(Content-Type: text/plain; charset=UTF-8)",
                                    line=data.count(b"\n", 0, e.start) + 1)]) from None
    lines = text.splitlines()
    problems = _lint(name, lines)
    if problems:
        raise CatalogError(problems)
    plural_line = _header_line(lines, "Plural-Forms")
    if locale is not None and plural_line is not None:
        # Before babel parses the messages: a wrong header makes every plural entry look wrong.
        m = _NPLURALS.search(lines[plural_line - 1])
        _check_plurals(name, locale, int(m.group(1)) if m else None, plural_line)
    try:
        catalog = read_po(lines, domain=domain, abort_invalid=True)
    except PoFileError as e:
        raise CatalogError([Problem(name, "", str(e).rsplit(" on ", 1)[0],
                                    value=e.line.strip()[:80] or None,
                                    line=e.lineno + 1)]) from None
    except (ValueError, UnknownLocaleError) as e:
        raise CatalogError([Problem(name, "", f"invalid header: {e}",
                                    line=_header_line(lines, "Language")
                                    or _header_line(lines, "Plural-Forms"))]) from None
    _restore_previous(catalog)
    if locale is not None:
        want = Locale.parse(normalize_locale(locale))
        if catalog.locale is None:
            catalog.locale = want
        elif (catalog.locale.language, catalog.locale.script) != (want.language, want.script) \
                or (catalog.locale.territory and catalog.locale.territory != want.territory):
            raise CatalogError([Problem(
                name, "Language", f"the header says Language {catalog.locale}, but the file is "
                f"in the folder of {want}", value=str(catalog.locale), expected=str(want),
                line=_header_line(lines, "Language"))])
        if plural_line is not None:
            _check_plurals(name, str(catalog.locale), catalog.num_plurals, plural_line)
    return catalog


_NPLURALS = re.compile(r"nplurals\s*=\s*(\d+)")


def _check_plurals(name: str, locale: str, found: int | None, line: int) -> None:
    expected = get_plural(Locale.parse(normalize_locale(locale)))
    if found != expected.num_plurals:
        n = expected.num_plurals
        raise CatalogError([Problem(
            name, "Plural-Forms", f"nplurals={found}, but {locale} has {n} plural "
            f"form{'s' if n != 1 else ''}", value=str(found),
            expected=f"nplurals={n}; plural={expected.plural_expr};", line=line)])


def check_messages(catalog: Catalog, path: str | Path) -> list[tuple[Message, Problem]]:
    """Translated, non-fuzzy messages whose translation cannot be used: wrong number of plural
    forms, a missing plural form, placeholders that do not match the msgid (babel's checkers)."""
    out: list[tuple[Message, Problem]] = []
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        strings = message.string if isinstance(message.string, list | tuple) else (
            message.string,)
        if not any(strings):
            continue
        msgid = message.id[0] if isinstance(message.id, list | tuple) else message.id
        key = message.context or msgid[:60]
        reasons = [str(e) for e in message.check(catalog)]
        if message.pluralizable and not all(strings):
            missing = ", ".join(f"msgstr[{i}]" for i, s in enumerate(strings) if not s)
            reasons.append(f"{missing} empty: {catalog.locale} needs {catalog.num_plurals} "
                           "plural forms")
        for reason in reasons:
            out.append((message, Problem(str(path), key, reason, line=message.lineno)))
    return out


def _render(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    write_po(buf, catalog, width=100, include_previous=True)
    return buf.getvalue()


_DATE_HEADERS = (b'"POT-Creation-Date:', b'"PO-Revision-Date:')


def _without_dates(data: bytes) -> list[bytes]:
    return [ln for ln in data.splitlines() if not ln.startswith(_DATE_HEADERS)]


def write_po_file(path: str | Path, catalog: Catalog) -> bool:
    """Write ``catalog`` to ``path`` atomically; return False (and leave the file alone) when
    only its dates would change, so that re-running extraction makes no noise in diffs."""
    path = Path(path)
    data = _render(catalog)
    if path.is_file() and _without_dates(path.read_bytes()) == _without_dates(data):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    return True


def _context(sku: str, field_name: str) -> str:
    return f"{sku}|{field_name}"


def product_template(products: Iterable[Product], *, project: str = "pricing") -> Catalog:
    """The ``products`` template: one entry per non-empty product field, in catalog order."""
    template = Catalog(domain=DOMAIN, project=project, version="1", charset="utf-8",
                       fuzzy=False, header_comment="# Product text of the shop's catalog. "
                       "Generated by `pricing i18n extract`; do not edit by hand.\n"
                       "# msgctxt is <sku>|<field>.")
    for p in products:
        for f in FIELDS:
            text = getattr(p, f)
            if text:
                template.add(text, context=_context(p.sku, f))
    return template


@dataclass(frozen=True, slots=True)
class UpdateStats:
    """What an update changed in one PO file."""

    added: int = 0          # new entries (untranslated)
    changed: int = 0        # source text changed: translation kept, marked fuzzy
    removed: int = 0        # entries no longer in the template (kept as obsolete #~)


def update_catalog(catalog: Catalog, template: Catalog) -> UpdateStats:
    """Bring ``catalog`` up to ``template`` with babel's ``Catalog.update``.

    Matching is by (msgid, msgctxt), so a product whose source text changed keeps its old
    translation marked fuzzy (with the old source as ``#| msgid``), matched by its msgctxt
    rather than by babel's similar-text guess, which could borrow another product's text.
    """
    before = {m.context: m.id for m in catalog if m.id}
    previous = {(m.context, m.id if isinstance(m.id, str) else m.id[0]): m.previous_id
                for m in catalog if m.id and m.fuzzy and m.previous_id}
    # babel puts the template's own Message objects into the catalog for new entries; a copy
    # keeps the template clean when it updates several catalogs.
    catalog.update(copy.deepcopy(template), no_fuzzy_matching=True, update_creation_date=True)
    by_context = {m.context: m for m in catalog if m.id and m.context}
    for m in catalog:  # babel's update drops the "#| msgid" of entries that stay fuzzy
        key = (m.context, m.id if isinstance(m.id, str) else m.id[0])
        if m.id and m.fuzzy and key in previous:
            m.previous_id = list(previous[key])
    changed = 0
    for key, old in list(catalog.obsolete.items()):
        new = by_context.get(old.context)
        if new is None or not old.string or new.string:
            continue
        new.string = old.string
        new.flags.add("fuzzy")
        new.previous_id = [old.id] if isinstance(old.id, str) else list(old.id)
        new.user_comments = list(old.user_comments)
        del catalog.obsolete[key]
        changed += 1
    added = sum(1 for m in catalog if m.id and m.context not in before)
    removed = sum(1 for c in before if c not in by_context)
    return UpdateStats(added=added, changed=changed, removed=removed)


# -- extraction --------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ExtractReport:
    """What :func:`extract` did: files written, created, left alone, and broken files."""

    template: Path
    products: int
    entries: int
    written: tuple[Path, ...]
    created: tuple[Path, ...]
    unchanged: tuple[Path, ...]
    stats: Mapping[Path, UpdateStats]
    errors: tuple[CatalogError, ...]


def extract(products: str | Path, locales_dir: str | Path, *, init: Sequence[str] = ()
            ) -> ExtractReport:
    """Write ``<locales_dir>/products.pot`` from a product catalog and update every existing
    ``products.po`` (entries whose source changed become fuzzy); create PO files for the
    languages in ``init``. A broken PO file is left untouched and reported in ``errors``;
    a broken product catalog raises :class:`CatalogError` before anything is written.
    """
    items = load_products(products)
    root = Path(locales_dir)
    template = product_template(items.values())
    pot = root / f"{DOMAIN}.pot"
    written: list[Path] = []
    unchanged: list[Path] = []
    created: list[Path] = []
    stats: dict[Path, UpdateStats] = {}
    errors: list[CatalogError] = []
    if pot.is_file():
        try:
            old = read_po_file(pot, domain=DOMAIN)
            template.creation_date = old.creation_date
        except CatalogError:
            pass  # a broken template is simply replaced
    (written if write_po_file(pot, template) else unchanged).append(pot)
    targets: dict[str, Path] = {}
    for path in sorted(root.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        targets[path.parent.parent.name] = path
    for tag in init:
        loc = normalize_locale(tag, field="init")
        if loc not in targets:
            path = po_path(root, loc)
            catalog = Catalog(locale=loc, domain=DOMAIN, project="pricing", version="1",
                              charset="utf-8", fuzzy=False)
            catalog.creation_date = template.creation_date
            stats[path] = update_catalog(catalog, template)
            write_po_file(path, catalog)
            created.append(path)
    for folder, path in targets.items():
        try:
            catalog = read_po_file(path, locale=folder, domain=DOMAIN)
        except (CatalogError, InvalidCodeError) as e:
            errors.append(e if isinstance(e, CatalogError) else CatalogError(
                [Problem(str(path), "", f"folder {folder!r} is not a locale")]))
            continue
        stats[path] = update_catalog(catalog, template)
        (written if write_po_file(path, catalog) else unchanged).append(path)
    return ExtractReport(template=pot, products=len(items), entries=len(template),
                         written=tuple(written), created=tuple(created),
                         unchanged=tuple(unchanged), stats=stats, errors=tuple(errors))


# -- the loaded catalog --------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Entry:
    msgid: str
    msgstr: str
    fuzzy: bool
    line: int | None
    previous: str | None


@dataclass(frozen=True, slots=True)
class Gap:
    """A product field without a usable translation in one language."""

    sku: str
    field: str
    locale: str                            # the catalog language that should have it
    status: Literal["missing", "stale"]
    reason: str
    file: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.file + (f":{self.line}" if self.line else "")
        return f"{self.status:<7} {self.sku}|{self.field} ({self.locale}) {where}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Coverage:
    """How much of the catalog a locale can show translated, and every gap."""

    locale: str
    total: int                              # products in the catalog
    translated_skus: frozenset[str]         # products with every field translated
    gaps: tuple[Gap, ...] = ()
    source: bool = False                    # the locale is in the source language

    @property
    def translated(self) -> int:
        return len(self.translated_skus)

    @property
    def share(self) -> Decimal:
        """Translated products over all products (1 for an empty catalog)."""
        return Decimal(1) if not self.total else Decimal(self.translated) / Decimal(self.total)


class ProductCatalog:
    """Product facts and translated product text, looked up along a fallback chain.

    Build it with :func:`load_catalogs`. Lookups never read files; the object is immutable
    after loading and safe to share between threads.
    """

    def __init__(self, products: Mapping[str, Product], translations: Mapping[str, Mapping[
                 str, _Entry]], *, source_locale: str = "en", files: Mapping[str, str] | None
                 = None, errors: Sequence[CatalogError] = (), rules: Any = None) -> None:
        self._products = dict(products)
        self._entries = {loc: dict(e) for loc, e in translations.items()}
        self._files = dict(files or {})
        self.source_locale = normalize_locale(source_locale)
        self.errors: tuple[CatalogError, ...] = tuple(errors)
        self.rules = rules
        sources = {_context(p.sku, f): getattr(p, f) for p in self._products.values()
                   for f in FIELDS}
        # Only what can be shown: translated, not fuzzy, written for the current source text.
        self._usable: dict[str, dict[str, str]] = {
            loc: {ctx: e.msgstr for ctx, e in entries.items()
                  if e.msgstr and not e.fuzzy and sources.get(ctx) == e.msgid}
            for loc, entries in self._entries.items()}

    # -- facts --

    @property
    def locales(self) -> tuple[str, ...]:
        """The languages that have a products PO file (loaded without errors)."""
        return tuple(sorted(self._entries))

    @property
    def skus(self) -> tuple[str, ...]:
        return tuple(self._products)

    def __len__(self) -> int:
        return len(self._products)

    def __contains__(self, sku: object) -> bool:
        return sku in self._products

    def __iter__(self) -> Iterator[Product]:
        return iter(self._products.values())

    def _get(self, sku: str) -> Product:
        try:
            return self._products[sku]
        except KeyError:
            raise UnknownProductError(f"no product {sku!r} in the catalog", field="sku",
                                      value=sku,
                                      suggestion=did_you_mean(str(sku), self._products)
                                      ) from None

    # -- text --

    def text(self, sku: str, field_name: str, locale: str, *, default: str | None = None
             ) -> tuple[str, str]:
        """``field_name`` of ``sku`` in the first locale of the fallback chain that has a usable
        translation, and that locale; the source text and source locale otherwise."""
        if field_name not in FIELDS:
            raise InvalidCodeError(f"no product field {field_name!r}", field="field",
                                   value=field_name, expected=", ".join(FIELDS),
                                   suggestion=did_you_mean(field_name, FIELDS))
        product = self._get(sku)
        source = getattr(product, field_name)
        if not source:
            return "", self.source_locale
        ctx = _context(sku, field_name)
        for tag in fallback_chain(locale, default=default, source=self.source_locale):
            if tag == self.source_locale:
                break
            text = self._usable.get(tag, {}).get(ctx)
            if text:
                return text, tag
        return source, self.source_locale

    def title(self, sku: str, locale: str, *, default: str | None = None) -> tuple[str, str]:
        """The product's title for ``locale`` (``default``: the market's default locale), with
        the locale it was found in.

        >>> from pricing.resources import sample_dir
        >>> cat = load_catalogs(sample_dir("locales"))
        >>> cat.title("BOOK-DE-COOK", "fr_CA", default="en_CA")
        ('Cuisine allemande du quotidien (relié)', 'fr')
        """
        return self.text(sku, "title", locale, default=default)

    def description(self, sku: str, locale: str, *, default: str | None = None
                    ) -> tuple[str, str]:
        """The product's description for ``locale``, with the locale it was found in."""
        return self.text(sku, "description", locale, default=default)

    def product(self, sku: str, *, market: Any = None, locale: str | None = None) -> Product:
        """The product's facts (price in the shop currency, HS code, origin, category, weight),
        with title and description in ``locale`` when given.

        ``market`` (a market id, with rules given to :func:`load_catalogs`, or a ``Market``)
        narrows ``locale`` to one of the market's locales and falls back to its default.
        Unknown skus raise :class:`UnknownProductError` (a 404 at the HTTP edge).
        """
        product = self._get(sku)
        default = None
        if market is not None:
            m = market
            if isinstance(market, str):
                if self.rules is None:
                    raise UnknownMarketError(
                        "this product catalog was loaded without rules, so markets are "
                        "unknown to it; pass rules= to load_catalogs", field="market",
                        value=market)
                m = self.rules.market(market)
            spec = m.spec
            locale, _ = negotiate_locale([locale] if locale else [], spec.locales,
                                         spec.default_locale)
            default = spec.default_locale
        if locale is None:
            return product
        title, title_loc = self.text(sku, "title", locale, default=default)
        desc, desc_loc = self.text(sku, "description", locale, default=default)
        return replace(product, title=title, title_locale=title_loc, description=desc,
                       description_locale=desc_loc)

    # -- reports --

    def coverage(self, locale: str) -> Coverage:
        """Which products ``locale`` shows fully translated, and each missing or stale entry.

        A field counts as translated when a catalog in the locale's own language (the locale
        or its CLDR parents, e.g. ``fr_CA`` then ``fr``) has a usable translation; locales in
        the source language need none.
        """
        loc = normalize_locale(locale)
        language = Locale.parse(loc).language
        skus = tuple(self._products)
        if language == Locale.parse(self.source_locale).language:
            return Coverage(loc, len(skus), frozenset(skus), source=True)
        own = [t for t in fallback_chain(loc) if Locale.parse(t).language == language]
        gaps: list[Gap] = []
        for p in self._products.values():
            for f in FIELDS:
                if not getattr(p, f):
                    continue
                ctx = _context(p.sku, f)
                if any(self._usable.get(t, {}).get(ctx) for t in own):
                    continue
                gaps.append(self._gap(p, f, own))
        missing = {g.sku for g in gaps}
        return Coverage(loc, len(skus), frozenset(s for s in skus if s not in missing),
                        tuple(gaps))

    def _gap(self, product: Product, field_name: str, own: Sequence[str]) -> Gap:
        ctx = _context(product.sku, field_name)
        source = getattr(product, field_name)
        for tag in own:
            entry = self._entries.get(tag, {}).get(ctx)
            if entry is None or not entry.msgstr:
                continue
            if entry.msgid != source:
                reason = f"source text changed (translated from {_short(entry.msgid)}, now " \
                         f"{_short(source)}); run `pricing i18n extract` and review it"
            elif entry.fuzzy:
                was = f" (previous source {_short(entry.previous)})" if entry.previous else ""
                reason = f"marked fuzzy{was}: review the translation and remove the flag"
            else:  # pragma: no cover - usable entries are not gaps
                continue
            return Gap(product.sku, field_name, tag, "stale", reason, self._files[tag],
                       entry.line)
        tag = next((t for t in own if t in self._files), own[-1])
        file = self._files.get(tag, f"<no products.po for {tag}>")
        entry = self._entries.get(tag, {}).get(ctx)
        reason = "untranslated (empty msgstr)" if entry is not None else "no entry"
        return Gap(product.sku, field_name, tag, "missing", reason, file,
                   entry.line if entry is not None else None)


def _short(text: str | None, limit: int = 40) -> str:
    text = text or ""
    return repr(text if len(text) <= limit else text[:limit - 1] + "…")


def load_catalogs(locales_dir: str | Path, *, products: str | Path | None = None,
                  source_locale: str | None = None, rules: Any = None) -> ProductCatalog:
    """Load the product catalog and every ``<locales_dir>/<lang>/LC_MESSAGES/products.po``.

    ``products`` defaults to :func:`find_products_file`. ``source_locale`` (the language of the
    catalog's text) defaults to ``rules.shop.source_locale`` when ``rules`` (a ``RuleSet``) is
    given, else ``en``; with ``rules``, :meth:`ProductCatalog.product` also accepts market ids.

    A missing folder or product catalog raises :class:`CatalogError`. Bad product rows and
    broken PO files do not: each becomes a :class:`CatalogError` in ``.errors`` naming file and
    line, and everything else is loaded.
    """
    root = Path(locales_dir)
    if not root.is_dir():
        raise CatalogError([Problem(str(root), "", "not a directory; point at the locales "
                                    "folder that holds <lang>/LC_MESSAGES/products.po")])
    source = normalize_locale(source_locale or (rules.shop.source_locale if rules is not None
                                                else "en"))
    path = Path(products) if products is not None else find_products_file(root)
    if path is None or not path.is_file():
        raise CatalogError([Problem(str(path or root / "products.csv"), "",
                                    "no product catalog: expected products.csv in the "
                                    "locales folder or in catalog/ next to it")])
    items, problems = _read_products(path, source)
    errors: list[CatalogError] = [CatalogError([p]) for p in problems]
    translations: dict[str, dict[str, _Entry]] = {}
    files: dict[str, str] = {}
    for po in sorted(root.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        folder = po.parent.parent.name
        try:
            tag = normalize_locale(folder, field="locale folder")
            catalog = read_po_file(po, locale=tag, domain=DOMAIN)
        except InvalidCodeError:
            errors.append(CatalogError([Problem(str(po), "", f"folder {folder!r} is not a "
                                                "CLDR locale", expected="e.g. de, fr_CA, "
                                                "pt_BR, zh_Hans")]))
            continue
        except CatalogError as e:
            errors.append(e)
            continue
        bad = check_messages(catalog, po)
        errors.extend(CatalogError([p]) for _, p in bad)
        skip = {id(m) for m, _ in bad}
        entries: dict[str, _Entry] = {}
        for m in catalog:
            if not m.id or not m.context or id(m) in skip or not isinstance(m.string, str):
                continue
            entries[m.context] = _Entry(m.id, m.string, m.fuzzy, m.lineno,
                                        m.previous_id[0] if m.previous_id else None)
        translations[tag] = entries
        files[tag] = str(po)
    return ProductCatalog(items, translations, source_locale=source, files=files,
                          errors=errors, rules=rules)
