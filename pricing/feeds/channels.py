"""The channels a feed is written for: each one's columns, file format, price syntax, words for
availability and tax convention, as its published specification states them (docs/feeds.md
names the page of each rule).

A channel turns an :class:`Offer` (one priced row in one language) into the values of its
columns. Prices are written the way every channel here reads them: the amount with a ``.``
decimal point at the currency's minor unit, a space and the ISO 4217 code (``1234.50 EUR``,
``1500 JPY``), never localized.

>>> google = CHANNELS["google"]
>>> price_text(Decimal("1234.5"), "EUR"), price_text(Decimal("1500"), "JPY")
('1234.50 EUR', '1500 JPY')
>>> google.includes_tax("US", "exclusive"), google.includes_tax("DE", "inclusive")
(False, True)
>>> CHANNELS["meta"].includes_tax("CA", "exclusive")
False
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from operator import attrgetter
from typing import NamedTuple

from pricing.errors import InvalidInputError, did_you_mean
from pricing.feeds.catalog import FeedRow
from pricing.money import minor_unit

__all__ = ["CHANNELS", "Channel", "Offer", "channel", "price_text"]


def price_text(amount: Decimal, currency: str) -> str:
    """``amount`` as channels read prices: ``1234.50 EUR`` (the currency's minor unit)."""
    return f"{amount.quantize(minor_unit(currency)):f} {currency}"


class Offer(NamedTuple):
    """One catalog row priced for one market, with its text in one language.

    A named tuple, not a dataclass: a feed makes one per row and language, and a tuple is the
    cheapest immutable value Python builds.
    """

    row: FeedRow
    country: str
    currency: str
    #: What the channel shows as the price (its tax convention applied), at the minor unit.
    price: Decimal
    title: str
    title_locale: str
    description: str
    description_locale: str
    #: The default shipping method's price for one unit, and the method's name; None when the
    #: market quotes no shipping.
    shipping: Decimal | None = None
    shipping_name: str | None = None
    #: The price as people read it in the file's language (babel), for our own CSV.
    formatted_price: str = ""
    #: The parts of the landed unit price and the regime (our own CSV shows them).
    unit_price: Decimal | None = None
    duty: Decimal | None = None
    tax: Decimal | None = None
    included_tax: Decimal | None = None
    fees: Decimal | None = None
    landed_price: Decimal | None = None
    regime: str | None = None


# A feed repeats a few shipping prices and weights over thousands of rows: their text is
# kept (bounded), keyed by the shared objects the pricer and the row checker hand out.
_SHIPPING_TEXT: dict[tuple[str, str | None, Decimal, str], str] = {}
_WEIGHT_TEXT: dict[Decimal, str] = {}
_TEXTS_KEPT = 4096


def _shipping(o: Offer) -> str:
    # country:region:service:price, region left empty: the price holds for the whole country.
    if o.shipping is None:
        return ""
    key = (o.country, o.shipping_name, o.shipping, o.currency)
    found = _SHIPPING_TEXT.get(key)
    if found is None:
        found = f"{o.country}::{o.shipping_name}:{price_text(o.shipping, o.currency)}"
        if len(_SHIPPING_TEXT) < _TEXTS_KEPT:
            _SHIPPING_TEXT[key] = found
    return found


def _weight(o: Offer) -> str:
    kg = o.row.item.weight_kg
    if kg is None:
        return ""
    found = _WEIGHT_TEXT.get(kg)
    if found is None:
        found = f"{kg.normalize():f} kg"
        if len(_WEIGHT_TEXT) < _TEXTS_KEPT:
            _WEIGHT_TEXT[kg] = found
    return found


def _amount(value: Decimal | None) -> str:
    return "" if value is None else f"{value:f}"


# Plain fields by attrgetter (C code, no Python frame per value); the rest by functions.
_COMMON: Mapping[str, Callable[[Offer], str]] = {
    "id": attrgetter("row.item.sku"),
    "sku": attrgetter("row.item.sku"),
    "sku_id": attrgetter("row.item.sku"),
    "title": attrgetter("title"),
    "description": attrgetter("description"),
    "link": attrgetter("row.link"),
    "image_link": attrgetter("row.image_link"),
    "brand": attrgetter("row.brand"),
    "gtin": attrgetter("row.gtin"),
    "condition": attrgetter("row.condition"),
    "price": lambda o: price_text(o.price, o.currency),
    "shipping": _shipping,
    "shipping_weight": _weight,
    "item_group_id": attrgetter("row.group_id"),
    # Google: say so when a product has no GTIN, rather than leave the column to guess.
    "identifier_exists": lambda o: "" if o.row.gtin else "no",
    # Our own CSV: every part, so that a merchant can check a price by hand.
    "title_locale": attrgetter("title_locale"),
    "description_locale": attrgetter("description_locale"),
    "currency": attrgetter("currency"),
    "amount": lambda o: _amount(o.price),
    "formatted_price": attrgetter("formatted_price"),
    "unit_price": lambda o: _amount(o.unit_price),
    "duty": lambda o: _amount(o.duty),
    "tax": lambda o: _amount(o.tax),
    "included_tax": lambda o: _amount(o.included_tax),
    "fees": lambda o: _amount(o.fees),
    "landed_price": lambda o: _amount(o.landed_price),
    "regime": lambda o: o.regime or "",
    "shipping_price": lambda o: _amount(o.shipping),
    "shipping_method": lambda o: o.shipping_name or "",
    "hs_code": lambda o: o.row.item.hs_code or "",
    "origin": lambda o: o.row.item.origin or "",
    "line": lambda o: str(o.row.line),
}


@dataclass(frozen=True)
class Channel:
    """One channel's feed format."""

    id: str
    name: str
    #: The specification page the columns and conventions come from.
    spec: str
    columns: tuple[str, ...]
    #: "," for CSV, "\t" for a tab-separated text feed.
    delimiter: str
    extension: str
    #: Our availability words (pricing.feeds.catalog.AVAILABILITY) in the channel's words.
    availability: Mapping[str, str]
    #: Countries where the channel wants prices without the sales tax added at checkout; None:
    #: as the market's own pages show them (its price_display), which every channel requires
    #: the feed price to match.
    tax_excluded_in: frozenset[str] | None = None
    _getters: tuple[Callable[[Offer], str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        words = self.availability
        getters = tuple((lambda o: words[o.row.availability]) if c == "availability"
                        else _COMMON[c] for c in self.columns)
        object.__setattr__(self, "_getters", getters)

    def includes_tax(self, country: str, price_display: str) -> bool:
        """Whether this channel's price for ``country`` includes tax."""
        if self.tax_excluded_in is not None:
            return country not in self.tax_excluded_in
        return price_display == "inclusive"

    def header(self) -> tuple[str, ...]:
        return self.columns

    def values(self, offer: Offer) -> list[str]:
        """The column values of ``offer``, in column order."""
        return [get(offer) for get in self._getters]


_SPACED = {"in_stock": "in stock", "out_of_stock": "out of stock", "preorder": "preorder",
           "backorder": "available for order"}

CHANNELS: Mapping[str, Channel] = {
    "google": Channel(
        "google", "Google Merchant Center",
        "https://support.google.com/merchants/answer/7052112",
        ("id", "title", "description", "link", "image_link", "availability", "price",
         "condition", "brand", "gtin", "identifier_exists", "item_group_id", "shipping",
         "shipping_weight"),
        "\t", "tsv",
        {"in_stock": "in_stock", "out_of_stock": "out_of_stock", "preorder": "preorder",
         "backorder": "backorder"},
        # Google's price attribute: US and Canada without tax, elsewhere with VAT or GST.
        tax_excluded_in=frozenset({"US", "CA"})),
    "meta": Channel(
        "meta", "Meta (Facebook and Instagram shops)",
        "https://developers.facebook.com/docs/commerce-platform/catalog/fields",
        ("id", "title", "description", "availability", "condition", "price", "link",
         "image_link", "brand", "gtin", "item_group_id", "shipping", "shipping_weight"),
        ",", "csv", _SPACED),
    "tiktok": Channel(
        "tiktok", "TikTok catalog",
        "https://ads.tiktok.com/help/article/catalog-product-parameters",
        ("sku_id", "title", "description", "availability", "condition", "price", "link",
         "image_link", "brand", "gtin", "item_group_id"),
        ",", "csv", _SPACED),
    "pinterest": Channel(
        "pinterest", "Pinterest catalogs",
        "https://help.pinterest.com/en/business/article/data-source-specifications",
        ("id", "title", "description", "link", "image_link", "price", "availability",
         "condition", "brand", "gtin", "item_group_id", "shipping", "shipping_weight"),
        ",", "csv",
        # Pinterest knows in stock, out of stock and preorder: a backorder is taken as an order
        # for later delivery, a preorder.
        {"in_stock": "in stock", "out_of_stock": "out of stock", "preorder": "preorder",
         "backorder": "preorder"}),
    "csv": Channel(
        "csv", "CSV with every part of the price",
        "docs/feeds.md",
        ("sku", "title", "title_locale", "description", "description_locale", "price",
         "currency", "amount", "formatted_price", "unit_price", "duty", "tax", "included_tax",
         "fees", "landed_price", "regime", "availability", "shipping_price", "shipping_method",
         "link", "image_link", "brand", "gtin", "condition", "item_group_id", "hs_code",
         "origin", "line"),
        ",", "csv", {a: a for a in ("in_stock", "out_of_stock", "preorder", "backorder")}),
}


def channel(name: str) -> Channel:
    """The channel called ``name``; a did-you-mean error for any other."""
    found = CHANNELS.get(name)
    if found is None:
        raise InvalidInputError(f"unknown channel {name!r}", field="channel", value=name,
                                 expected=", ".join(CHANNELS),
                                 suggestion=did_you_mean(name, CHANNELS))
    return found
