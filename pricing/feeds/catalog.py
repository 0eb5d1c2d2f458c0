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

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from stdnum import ean

from pricing.bulk import CatalogItem
from pricing.codes import normalize_country, normalize_currency, normalize_hs_code
from pricing.errors import PricingError, Problem, did_you_mean
from pricing.l10n.catalogs import _CATEGORY, _MAX_TEXT, _MAX_WEIGHT_KG, _SKU
from pricing.l10n.catalogs import COLUMNS as CATALOG_COLUMNS
from pricing.money import MAX_AMOUNT, Money, minor_unit, parse_decimal, precision

__all__ = [
    "AVAILABILITY",
    "COLUMNS",
    "CONDITIONS",
    "FeedRow",
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
