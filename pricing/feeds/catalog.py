"""One catalog row as a feed needs it, and the check that makes a raw row into one.

A feed row is a :class:`~pricing.bulk.CatalogItem` (what pricing needs) plus what a channel
shows (title, description, link, image, brand, GTIN, condition, availability) and where the row
came from (its line). :class:`RowChecker` turns the raw mapping a reader produced into a
:class:`FeedRow`, or into the :class:`~pricing.errors.Problem` list that says, with file, line
and key, why the row is skipped. Every reader (CSV, JSON lines, Parquet, Shopify) ends here, so
a bad price or HS code is refused the same way whatever the format.

>>> checker = RowChecker("products.csv")
>>> row = checker.check(2, {"sku": "TEE-1", "title": "T-shirt", "price": "29.90",
...                         "currency": "eur", "hs_code": "6109.10", "gtin": "4006381333931"})
>>> row.item.price, row.item.hs_code, row.gtin, row.availability
(Money('29.90', 'EUR'), '610910', '4006381333931', 'in_stock')
>>> (bad,) = checker.check(3, {"sku": "TEE-2", "title": "Tee", "price": "29,90",
...                            "currency": "EUR"})
>>> bad.line, bad.key, bad.message.split(";")[0]
(3, 'price', "price is not a plain decimal number: '29,90'")
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from itertools import compress, repeat
from typing import Any, NamedTuple

from stdnum import ean

from pricing.bulk import CatalogItem
from pricing.codes import normalize_country, normalize_currency, normalize_hs_code
from pricing.errors import PricingError, Problem, did_you_mean
from pricing.l10n.catalogs import _CATEGORY, _MAX_TEXT, _MAX_WEIGHT_KG, _SKU
from pricing.l10n.catalogs import COLUMNS as CATALOG_COLUMNS
from pricing.money import (
    MAX_AMOUNT,
    Money,
    checked_moneys,
    minor_unit,
    parse_decimal,
    precision,
)

__all__ = [
    "AVAILABILITY",
    "COLUMNS",
    "CONDITIONS",
    "FeedRow",
    "Records",
    "RowBlock",
    "RowChecker",
]

#: The columns of a catalog (our CSV header, JSON-lines keys, Parquet columns); weight in kg.
#: One list with the product text catalogs: the same file feeds both.
COLUMNS = CATALOG_COLUMNS
_REQUIRED = ("sku", "title", "price", "currency")
#: Availability as catalogs write it (Google's words, the commonest), each channel maps it.
AVAILABILITY = ("in_stock", "out_of_stock", "preorder", "backorder")
CONDITIONS = ("new", "refurbished", "used")
_URL_SCHEMES = ("https://", "http://")
_MAX_URL = 2000


class FeedRow(NamedTuple):
    """A checked catalog row: the item to price and what a channel shows of it (a named tuple:
    a feed makes one per row, and a tuple is the cheapest immutable value to build)."""

    line: int
    item: CatalogItem
    title: str
    description: str = ""
    link: str = ""
    image_link: str = ""
    brand: str = ""
    gtin: str = ""
    condition: str = "new"
    availability: str = "in_stock"
    #: Variants of one product share it (Shopify's handle); channels group them by it.
    group_id: str = ""


#: RowBlock's columns, in FeedRow's order (the item's fields in CatalogItem's, the price as
#: its text and its currency).
_BLOCK_COLUMNS = ("lines", "skus", "prices", "currencies", "hs_codes", "origins", "categories",
                  "weights", "titles", "descriptions", "links", "image_links", "brands",
                  "gtins", "conditions", "availabilities", "group_ids")


class RowBlock:
    """Checked catalog rows held as columns (one list per field), not as one :class:`FeedRow`
    per row: the feed's bulk path reads, checks, prices and writes them a column at a time.

    A sequence of :class:`FeedRow` to everything else: ``block[i]`` builds that row (the
    price as ``Money(Decimal(text), currency)``, exactly what the row check gives), a slice is
    a block. ``prices`` keeps each price's checked text (or Decimal): the pricer reads it in
    minor units without a Decimal per row.
    """

    __slots__ = _BLOCK_COLUMNS

    def __init__(self, *columns: list[Any]) -> None:
        for name, column in zip(_BLOCK_COLUMNS, columns or ([] for _ in _BLOCK_COLUMNS),
                                strict=True):
            setattr(self, name, column)

    @classmethod
    def of(cls, rows: Sequence[FeedRow]) -> RowBlock:
        """The block of ``rows``."""
        block = cls()
        for row in rows:
            block.append(row)
        return block

    def columns(self) -> list[list[Any]]:
        return [getattr(self, name) for name in _BLOCK_COLUMNS]

    def __len__(self) -> int:
        return len(self.lines)  # type: ignore[attr-defined]

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return RowBlock(*(c[index] for c in self.columns()))
        (line, sku, price, currency, hs, origin, category, weight, *rest) = (
            c[index] for c in self.columns())
        return FeedRow(line, CatalogItem(sku, Money(Decimal(price), currency), hs, origin,
                                         category, weight), *rest)

    def __iter__(self) -> Any:
        return (self[i] for i in range(len(self)))

    def __reduce__(self) -> Any:  # pickled for a Dask worker as its columns
        return RowBlock, tuple(self.columns())

    def take(self, keep: Sequence[int]) -> RowBlock:
        """The rows at ``keep`` (indexes in order)."""
        return RowBlock(*([c[i] for i in keep] for c in self.columns()))

    def extend(self, other: RowBlock) -> None:
        for mine, theirs in zip(self.columns(), other.columns(), strict=True):
            mine.extend(theirs)

    def append(self, row: FeedRow) -> None:
        item = row.item
        values = (row.line, item.sku, item.price.amount, item.price.currency, item.hs_code,
                  item.origin, item.category, item.weight_kg, *row[2:])
        for column, value in zip(self.columns(), values, strict=True):
            column.append(value)


class Records:
    """Records of a CSV file held as columns (what a reader that splits the text column-wise
    hands over): ``records[i]`` is record ``i``'s fields; :meth:`RowChecker.check_many` takes
    the columns as they are, without transposing the records."""

    __slots__ = ("columns",)

    def __init__(self, columns: list[list[str]]) -> None:
        self.columns = columns

    def __len__(self) -> int:
        return len(self.columns[0])

    def __getitem__(self, i: int) -> list[str]:
        return [c[i] for c in self.columns]


#: The words catalogs use, as we spell them (the empty cell: the default).
_CONDITION_WORDS = {"": "new", **{c: c for c in CONDITIONS},
                    **{c.capitalize(): c for c in CONDITIONS}}
_AVAILABILITY_WORDS = {"": "in_stock", **{a: a for a in AVAILABILITY},
                       **{a.replace("_", " "): a for a in AVAILABILITY}}


def _bad_url(url: str) -> bool:
    return (not url.lower().startswith(_URL_SCHEMES) or len(url) > _MAX_URL
            or any(c.isspace() for c in url))


def _is_gtin(code: str) -> bool:
    return len(code) in (8, 12, 13, 14) and ean.is_valid(code)


#: A web address as :func:`_bad_url` takes it, or nothing (a subset: the rest goes the long way).
_URL = r"(?:[hH][tT][tT][pP][sS]?://\S*)?"
#: Many URLs in one text, one per line (\S excludes the line break between them).
_URLS = re.compile(f"(?:{_URL}\n)*{_URL}")
_URL_ONE = re.compile(_URL)
#: Many SKUs in one text, one per line (a SKU has no line break).
_SKUS = re.compile(f"(?:(?:{_SKU.pattern})\n)*(?:{_SKU.pattern})")


def _price_pattern(digits: int) -> str:
    """Plain prices with at most ``digits`` decimals, below :data:`MAX_AMOUNT` (12 integer
    digits): a subset of what :meth:`RowChecker.check` takes, so the bulk check is never more
    lenient than the row check."""
    # 12 integer digits stay below MAX_AMOUNT (10^12); 10^12 itself goes the long way.
    return r"[0-9]{1,12}" + (f"(?:\\.[0-9]{{1,{digits}}})?" if digits else "")


def _failing(results: Sequence[Any]) -> list[int]:
    """The indexes of the false values of ``results`` (checked per column, in C, first)."""
    if all(results):
        return []
    return [i for i, ok in enumerate(results) if not ok]


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else str(value).strip()


def _word(value: str) -> str:
    """``In Stock``, ``in-stock`` and ``in stock`` all as ``in_stock``."""
    return "_".join(value.lower().replace("-", " ").split())


def _remember(table: dict[Any, Any], key: Any, value: Any) -> Any:
    """``value``, kept in ``table`` under ``key`` while the table is small."""
    if len(table) < 4096:
        table[key] = value
    return value


class RowChecker:
    """Checks the rows of one catalog file; remembers the codes it has already checked.

    Catalogs repeat a handful of currencies, origins and HS codes over thousands of rows: each
    distinct code is normalized once (the cache holds the answer or the problem). Weights and
    categories repeat too: each distinct text becomes one shared object, so that the pricer's
    price classes hash a weight once, not once per row (hashing a fresh Decimal costs more
    than parsing it).
    """

    def __init__(self, file: str) -> None:
        self.file = file
        self._codes: dict[tuple[str, str], str | PricingError] = {}
        self._units: dict[str, Decimal] = {}
        self._weights: dict[str, Decimal | None] = {}
        self._categories: dict[str, str | None] = {}

    def _code(self, key: str, raw: str) -> str | PricingError:
        found = self._codes.get((key, raw))
        if found is None:
            norm = {"currency": normalize_currency, "hs_code": normalize_hs_code,
                    "origin": normalize_country}[key]
            try:
                found = norm(raw, field=key)
            except PricingError as e:
                found = e
            if len(self._codes) < 4096:
                self._codes[(key, raw)] = found
        return found

    def check(self, line: int, row: Mapping[str, Any], *, group_id: str = ""
              ) -> FeedRow | list[Problem]:
        """``row`` as a :class:`FeedRow`, or every problem that keeps it out of the feeds."""
        found = self._clean(line, row, group_id)
        return found if found is not None else self._checked(line, row, group_id)

    def _clean(self, line: int, row: Mapping[str, Any], group_id: str) -> FeedRow | None:
        """The row when it is plainly good, else None (then :meth:`_checked` says why).

        The same rules as :meth:`_checked`, for the common case of a file of text that is right:
        no problem list, no message built; anything unusual goes the long way.
        """
        get = row.get
        try:
            sku = get("sku").strip()
            title = get("title").strip()
            raw_price = get("price").strip()
            raw_currency = get("currency").strip()
            description = (get("description") or "").strip()
        except AttributeError:
            return None
        if not (sku and title and raw_price and raw_currency) or len(title) > _MAX_TEXT[
                "title"] or len(description) > _MAX_TEXT["description"] or not _SKU.fullmatch(
                sku):
            return None
        currency = self._code("currency", raw_currency)
        if isinstance(currency, PricingError):
            return None
        try:
            amount = Decimal(raw_price)
        except InvalidOperation:
            return None
        unit = self._units.get(currency)
        if unit is None:
            unit = self._units[currency] = minor_unit(currency)
        if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT or amount != \
                amount.quantize(unit):
            return None
        codes = []
        for key in ("hs_code", "origin"):
            raw = get(key) or ""
            if not isinstance(raw, str):
                return None
            raw = raw.strip()
            code = self._code(key, raw) if raw else None
            if isinstance(code, PricingError):
                return None
            codes.append(code)
        category = get("category") or None
        if category is not None:
            if not isinstance(category, str):
                return None
            known = self._categories.get(category)
            if known is None:
                if not _CATEGORY.fullmatch(category):
                    return None
                known = _remember(self._categories, category, category)
            category = known
        weight = get("weight") or None
        if weight is not None:
            raw_weight = weight
            if not isinstance(raw_weight, str | Decimal):
                return None
            weight = self._weights.get(raw_weight)
            if weight is None:
                try:
                    weight = Decimal(raw_weight)
                except InvalidOperation:
                    return None
                if not (weight.is_finite() and 0 < weight <= _MAX_WEIGHT_KG):
                    return None
                if isinstance(raw_weight, str):  # 0.25 and 0.250 stay apart as they came
                    weight = _remember(self._weights, raw_weight, weight)
        texts = []
        for key in ("link", "image_link", "brand", "gtin", "condition", "availability"):
            value = get(key) or ""
            if not isinstance(value, str):
                return None
            texts.append(value.strip())
        link, image_link, brand, gtin, condition, availability = texts
        if (link and _bad_url(link)) or (image_link and _bad_url(image_link)) or (
                gtin and not _is_gtin(gtin)):
            return None
        condition = _CONDITION_WORDS.get(condition)
        availability = _AVAILABILITY_WORDS.get(availability)
        if condition is None or availability is None:
            return None
        return FeedRow(line, CatalogItem(sku, Money(amount, currency), codes[0], codes[1],
                                         category, weight),
                       title, description, link, image_link, brand, gtin, condition,
                       availability, group_id)

    def check_many(self, lines: Sequence[int], records: Sequence[Sequence[str]],
                   header: Sequence[str], *, blocks: bool = False
                   ) -> list[FeedRow | list[Problem]] | list[RowBlock | FeedRow | list[Problem]]:
        """Each record (the text fields of a CSV line, in ``header`` order) as
        :meth:`check` gives it, checked column by column.

        Catalog columns repeat a few currencies, HS codes, origins, categories, weights and
        words over thousands of rows: each distinct value is checked once per batch, and the
        rest (SKUs, prices, URLs) by one regular expression over the column. A row any column
        finds unusual goes through :meth:`check`, so the rows, the problems and their order are
        exactly the row-by-row ones (tests/test_feeds_fast.py holds them equal).

        ``blocks=True`` gives the runs of good rows as :class:`RowBlock` objects instead (no
        object built per row), between the rows that went the long way (a :class:`FeedRow`
        or its problems), in the same order.
        """
        n = len(records)
        if not n:
            return []
        empty = ("",) * n
        columns = dict(zip(header, records.columns if type(records) is Records
                           else zip(*records, strict=True), strict=True))
        strip = str.strip

        def stripped(key: str) -> list[str] | tuple[str, ...]:
            values = columns.get(key)
            return empty if values is None else list(map(strip, values))

        bad: set[int] = set()
        skus = stripped("sku")
        if not _SKUS.fullmatch("\n".join(skus)):
            bad.update(_failing(list(map(_SKU.fullmatch, skus))))
        texts = {}
        for key in ("title", "description"):
            texts[key] = values = stripped(key)
            sizes = list(map(len, values))
            if max(sizes) > _MAX_TEXT[key] or (key == "title" and not min(sizes)):
                bad.update(i for i, size in enumerate(sizes)
                           if size > _MAX_TEXT[key] or (key == "title" and not size))
        raw_currencies = stripped("currency")
        found = {raw: self._code("currency", raw) if raw else None
                 for raw in set(raw_currencies)}
        currencies = list(map(found.__getitem__, raw_currencies))
        wrong = {raw for raw, code in found.items() if not isinstance(code, str)}
        if wrong:
            bad.update(i for i, raw in enumerate(raw_currencies) if raw in wrong)
        prices = stripped("price")
        codes = {code for code in found.values() if isinstance(code, str)}
        patterns = {code: re.compile(_price_pattern(precision(code))) for code in codes}
        if len(codes) == 1 and not wrong:
            (pattern,) = patterns.values()
            text = "\n".join(prices)
            plain = re.fullmatch(f"(?:{pattern.pattern}\n)*{pattern.pattern}", text)
            priced = [True] * n if plain else list(map(pattern.fullmatch, prices))
        else:
            priced = [c in patterns and patterns[c].fullmatch(p)  # type: ignore[index]
                      for p, c in zip(prices, currencies, strict=True)]
        failed = _failing(priced)
        bad.update(failed)
        if failed:
            amounts = [Decimal(p) if ok else None for p, ok in zip(prices, priced, strict=True)]
        else:
            amounts = list(map(Decimal, prices))
        coded = []
        for key in ("hs_code", "origin"):
            raws = stripped(key)
            table = {raw: self._code(key, raw) if raw else None for raw in set(raws)}
            wrong = {raw for raw, code in table.items() if isinstance(code, PricingError)}
            if wrong:
                bad.update(i for i, raw in enumerate(raws) if raw in wrong)
            coded.append(list(map(table.__getitem__, raws)))
        # Categories and weights as the row check takes them: not stripped (it goes the long
        # way for surrounding spaces), one shared object per distinct text.
        raws = columns.get("category", empty)
        table = {}
        for raw in set(raws):
            if not raw:
                table[raw] = None
            elif (known := self._categories.get(raw)) is not None:
                table[raw] = known
            elif _CATEGORY.fullmatch(raw):
                table[raw] = _remember(self._categories, raw, raw)
            else:
                table[raw] = False
        categories = list(map(table.__getitem__, raws))
        if False in table.values():
            bad.update(i for i, c in enumerate(categories) if c is False)
        raws = columns.get("weight", empty)
        table = {}
        for raw in set(raws):
            weight = self._weights.get(raw) if raw else None
            if raw and weight is None:
                try:
                    weight = Decimal(raw)
                except InvalidOperation:
                    weight = False
                else:
                    weight = _remember(self._weights, raw, weight) if (
                        weight.is_finite() and 0 < weight <= _MAX_WEIGHT_KG) else False
            table[raw] = weight
        weights = list(map(table.__getitem__, raws))
        if False in table.values():
            bad.update(i for i, w in enumerate(weights) if w is False)
        links = stripped("link")
        images = stripped("image_link")
        for urls in (links, images):
            if urls is not empty and (not _URLS.fullmatch("\n".join(urls))
                                      or max(map(len, urls)) > _MAX_URL):
                bad.update(i for i, url in enumerate(urls)
                           if url and (not _URL_ONE.fullmatch(url) or len(url) > _MAX_URL))
        gtins = stripped("gtin")
        if any(gtins):
            bad.update(i for i, gtin in enumerate(gtins) if gtin and not _is_gtin(gtin))
        words = []
        for key, known in (("condition", _CONDITION_WORDS),
                           ("availability", _AVAILABILITY_WORDS)):
            raws = stripped(key)
            table = {raw: known.get(raw) for raw in set(raws)}
            if None in table.values():
                bad.update(i for i, raw in enumerate(raws) if table[raw] is None)
            words.append(list(map(table.__getitem__, raws)))
        if blocks:
            return self._blocks(lines, records, header, bad, [
                lines, skus, prices, currencies, *coded, categories, weights, texts["title"],
                texts["description"], links, images, stripped("brand"), gtins, *words,
                [""] * n])
        if bad:
            good = [i not in bad for i in range(n)]
            keep = list(compress(range(n), good))
            amounts = [amounts[i] for i in keep]
            moneys = checked_moneys(amounts, [currencies[i] for i in keep])  # type: ignore[misc]
            columns_out = [[col[i] for i in keep] for col in (
                lines, skus, coded[0], coded[1], categories, weights, texts["title"],
                texts["description"], links, images, stripped("brand"), gtins, *words)]
        else:
            moneys = checked_moneys(amounts, currencies)  # type: ignore[arg-type]
            columns_out = [lines, skus, coded[0], coded[1], categories, weights,
                           texts["title"], texts["description"], links, images,
                           stripped("brand"), gtins, *words]
        (c_lines, c_skus, c_hs, c_origin, c_cat, c_weight, c_title, c_desc, c_link, c_image,
         c_brand, c_gtin, c_cond, c_avail) = columns_out
        new = tuple.__new__  # the named tuples' own __new__ is Python code; every field given
        items = [new(CatalogItem, fields) for fields in zip(
            c_skus, moneys, c_hs, c_origin, c_cat, c_weight, strict=True)]
        rows: list[FeedRow | list[Problem]] = [new(FeedRow, fields) for fields in zip(
            c_lines, items, c_title, c_desc, c_link, c_image, c_brand, c_gtin, c_cond, c_avail,
            repeat(""))]
        if bad:
            out: list[FeedRow | list[Problem]] = []
            good_rows = iter(rows)
            for i, record in enumerate(records):
                out.append(self.check(lines[i], dict(zip(header, record, strict=True)))
                           if i in bad else next(good_rows))
            rows = out
        return rows

    def _blocks(self, lines: Sequence[int], records: Sequence[Sequence[str]],
                header: Sequence[str], bad: set[int], columns: list[Any]
                ) -> list[RowBlock | FeedRow | list[Problem]]:
        """:meth:`check_many`'s ``blocks=True`` answer from its checked columns."""
        if not bad:
            return [RowBlock(*map(list, columns))]
        n = len(records)
        block = RowBlock(*([c[i] for i in range(n) if i not in bad] for c in columns))
        out: list[RowBlock | FeedRow | list[Problem]] = []
        start = j = 0
        for i in range(n):
            if i not in bad:
                j += 1
                continue
            if j > start:
                out.append(block[start:j])
            start = j
            out.append(self.check(lines[i], dict(zip(header, records[i], strict=True))))
        if j > start:
            out.append(block[start:j])
        return out

    def _checked(self, line: int, row: Mapping[str, Any], group_id: str
                 ) -> FeedRow | list[Problem]:
        problems: list[Problem] = []
        file = self.file

        def bad(key: str, message: str, value: Any = None, **kw: Any) -> None:
            problems.append(Problem(file, key, message, line=line,
                                    value=None if value is None else repr(value), **kw))

        for key in _REQUIRED:
            if not _text(row.get(key)):
                bad(key, f"missing: every row needs a {key}")
        sku = _text(row.get("sku"))
        if sku and not _SKU.fullmatch(sku):
            bad("sku", "invalid sku", sku,
                expected="1 to 128 characters without '|', line breaks or surrounding spaces")
        texts = {}
        for key in ("title", "description"):
            texts[key] = _text(row.get(key))
            if len(texts[key]) > _MAX_TEXT[key]:
                bad(key, f"too long ({len(texts[key])} characters)",
                    expected=f"at most {_MAX_TEXT[key]}")
        currency = None
        raw_currency = _text(row.get("currency"))
        if raw_currency:
            found = self._code("currency", raw_currency)
            if isinstance(found, PricingError):
                bad("currency", found.message, raw_currency, expected=found.expected,
                    suggestion=found.suggestion)
            else:
                currency = found
        price = None
        raw_price = row.get("price")
        if _text(raw_price):
            try:
                amount = parse_decimal(raw_price, field="price")
            except PricingError as e:
                bad("price", e.message, raw_price, expected=e.expected)
            else:
                if amount < 0:
                    bad("price", "a price cannot be negative", raw_price)
                elif currency and amount != amount.quantize(minor_unit(currency)):
                    bad("price", f"more decimals than {currency} has ({precision(currency)})",
                        raw_price)
                elif currency:
                    price = Money(amount, currency)
        codes: dict[str, str] = {}
        for key in ("hs_code", "origin"):
            raw = _text(row.get(key))
            if raw:
                found = self._code(key, raw)
                if isinstance(found, PricingError):
                    bad(key, found.message, raw, expected=found.expected,
                        suggestion=found.suggestion)
                else:
                    codes[key] = found
        category = _text(row.get("category")) or None
        if category is not None and not _CATEGORY.fullmatch(category):
            bad("category", "invalid category", category,
                expected="lowercase letters, digits, - and _, e.g. books, children_clothing")
        weight = None
        raw_weight = row.get("weight")
        if _text(raw_weight):
            try:
                # A Parquet float column of weights is fine: a weight is measured, not money.
                kg = parse_decimal(repr(raw_weight) if isinstance(raw_weight, float)
                                   else raw_weight, field="weight")
                if not 0 < kg <= _MAX_WEIGHT_KG:
                    raise ValueError
                weight = kg
            except (PricingError, ValueError):
                bad("weight", "invalid weight", raw_weight,
                    expected=f"kilograms, more than 0 and at most {_MAX_WEIGHT_KG}, e.g. 0.25")
        urls = {}
        for key in ("link", "image_link"):
            url = _text(row.get(key))
            if url and _bad_url(url):
                bad(key, "not a web address", url,
                    expected=f"an http:// or https:// URL without spaces, at most {_MAX_URL} "
                             "characters")
            urls[key] = url
        gtin = _text(row.get("gtin"))
        if gtin and not _is_gtin(gtin):
            bad("gtin", "not a valid GTIN (the check digit or the length is wrong)", gtin,
                expected="8, 12, 13 or 14 digits with a GS1 check digit (UPC, EAN, ISBN-13)")
        condition = _word(_text(row.get("condition"))) or "new"
        if condition not in CONDITIONS:
            bad("condition", "unknown condition", condition, expected=", ".join(CONDITIONS),
                suggestion=did_you_mean(condition, CONDITIONS))
        availability = _word(_text(row.get("availability"))) or "in_stock"
        if availability not in AVAILABILITY:
            bad("availability", "unknown availability", availability,
                expected=", ".join(AVAILABILITY),
                suggestion=did_you_mean(availability, AVAILABILITY))
        if problems or price is None:
            return problems
        return FeedRow(
            line=line,
            item=CatalogItem(sku=sku, price=price, hs_code=codes.get("hs_code"),
                             origin=codes.get("origin"), category=category, weight_kg=weight),
            title=texts["title"], description=texts["description"], link=urls["link"],
            image_link=urls["image_link"], brand=_text(row.get("brand")), gtin=gtin,
            condition=condition, availability=availability, group_id=group_id)
