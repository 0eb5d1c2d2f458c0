"""The common quote request, read without pydantic.

Almost every request a checkout sends is plain: JSON objects with the documented keys, strings
that match their patterns, codes that exist, whole quantities. :func:`read_plain` reads such a
request straight into a :class:`~pricing.quote.QuoteRequest` (and the normal form the request
digest hashes) in a fraction of what the pydantic model costs, and answers None for anything
else: a missing or unknown key, a value of another type, a string off its pattern, a code that
does not exist, a price finer than its currency. The caller then validates with
:class:`~pricing.quote.QuoteRequestModel`, which names the problem exactly as before.

So the model stays the one definition of what a request may be; this reader accepts a subset
of it, and for what it accepts it gives exactly the model's result (tests/test_plainrequest.py
holds the two to it on random and hostile requests).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from pricing.codes import (
    normalize_country,
    normalize_currency,
    normalize_locale,
    normalize_region,
)
from pricing.money import Money, precision
from pricing.quote import _COMPILED, _KG_PER, MAX_ITEMS, MAX_QUANTITY, Item, QuoteRequest

__all__ = ["PlainRequest", "read_plain"]

_TOP = frozenset({"destination", "items", "market", "locale", "date", "shipping_method",
                  "ship_from", "freight", "insurance", "exclude_shipping"})
_DESTINATION = frozenset({"country", "region", "postal_code"})
_ITEM = frozenset({"sku", "quantity", "price", "hs_code", "origin", "category", "weight",
                   "title"})
_PRICE = frozenset({"amount", "currency"})
_WEIGHT = frozenset({"value", "unit"})

_AMOUNT = _COMPILED["amount"].match
_WEIGHT_VALUE = _COMPILED["weight"].match
_DATE = _COMPILED["date"].match
_COUNTRY = _COMPILED["country"].match
_CURRENCY = _COMPILED["currency"].match
_LOCALE = _COMPILED["locale"].match
_HS = _COMPILED["hs_code"].match
_ID = _COMPILED["id"].match
_CATEGORY = _COMPILED["category"].match
_POSTAL = _COMPILED["postal_code"].match
#: Minor-unit quanta by currency: a price must not be finer than its currency.
_QUANTA: dict[str, Decimal] = {}
#: Codes as written -> as the model normalizes them. Only codes that exist get in (any other
#: raises on its way), so these hold at most a few thousand spellings (case variants).
_COUNTRIES: dict[str, str] = {}
_CURRENCIES: dict[str, str] = {}


class _NotPlain(Exception):
    """The request is not plain: the model reads it (and names what is wrong)."""


#: A request and its normal form (``QuoteRequestModel.model_dump(exclude_none=True)``).
PlainRequest = tuple[QuoteRequest, dict[str, Any]]


def read_plain(data: object) -> PlainRequest | None:
    """``data`` (a request's JSON object) as a :class:`QuoteRequest` with its normal form, or
    None when the request is not plain and the pydantic model must read it."""
    if type(data) is not dict or not data.keys() <= _TOP:
        return None
    try:
        return _read(data)
    except Exception:  # _NotPlain, or any other doubt: the model reads it and says what
        return None


def _str(value: object, match: Any) -> str:
    if type(value) is not str or not match(value):
        raise _NotPlain
    return value


def _country(value: object) -> str:
    found = _COUNTRIES.get(value)  # type: ignore[call-overload]
    if found is None:
        found = _COUNTRIES[value] = normalize_country(_str(value, _COUNTRY))
    return found


def _currency(value: object) -> str:
    found = _CURRENCIES.get(value)  # type: ignore[call-overload]
    if found is None:
        found = _CURRENCIES[value] = normalize_currency(_str(value, _CURRENCY))
    return found


def _id(value: object) -> str | None:
    return None if value is None else _str(value, _ID).lower()


def _price(value: object, *, item: bool = True) -> tuple[Money, dict[str, Any]]:
    if type(value) is not dict or value.keys() != _PRICE:
        raise _NotPlain
    # The pattern is stricter than parse_decimal (at most 12 decimals and 10^12, plain digits),
    # so what it lets through, parse_decimal would read as Decimal() does.
    amount = value["amount"]
    if type(amount) is not str or not _AMOUNT(amount):
        raise _NotPlain
    amount = Decimal(amount)
    currency = _currency(value["currency"])
    if not item:  # declared freight and insurance may be finer than the currency
        return Money(amount, currency), {"amount": amount, "currency": currency}
    quantum = _QUANTA.get(currency)
    if quantum is None:
        quantum = _QUANTA.setdefault(currency, Decimal(1).scaleb(-precision(currency)))
    if amount != amount.quantize(quantum):
        raise _NotPlain  # the model's reader names the field and the currency's digits
    return Money(amount, currency), {"amount": amount, "currency": currency}


def _item(value: object) -> tuple[Item, dict[str, Any]]:
    if type(value) is not dict or not value.keys() <= _ITEM:
        raise _NotPlain
    sku = value["sku"]
    quantity = value["quantity"]
    if (type(sku) is not str or not 1 <= len(sku) <= 128 or type(quantity) is not int
            or not 1 <= quantity <= MAX_QUANTITY):
        raise _NotPlain
    price, price_form = _price(value["price"])
    normal: dict[str, Any] = {"sku": sku, "quantity": quantity, "price": price_form}
    get = value.get
    hs_code = origin = category = title = weight_kg = None
    if (v := get("hs_code")) is not None:
        # The pattern leaves digits and dots: normalize_hs_code drops the dots.
        hs_code = normal["hs_code"] = _str(v, _HS).replace(".", "")
    if (v := get("origin")) is not None:
        origin = normal["origin"] = _country(v)
    if (v := get("category")) is not None:
        category = normal["category"] = _str(v, _CATEGORY).lower()
    if (v := get("weight")) is not None:
        if type(v) is not dict or not v.keys() <= _WEIGHT:
            raise _NotPlain
        amount = Decimal(_str(v["value"], _WEIGHT_VALUE))  # as for amounts: within bounds
        unit = v.get("unit", "kg")
        if type(unit) is not str or unit not in _KG_PER:
            raise _NotPlain
        weight_kg = amount * _KG_PER[unit]
        normal["weight"] = {"value": amount, "unit": unit}
    if (v := get("title")) is not None:
        if type(v) is not str or len(v) > 500:
            raise _NotPlain
        title = normal["title"] = v
    # Positional: one call per line, in Item's field order (the equivalence tests hold it).
    return Item(sku, quantity, price, hs_code, origin, category, weight_kg, title), normal


def _read(data: dict[str, Any]) -> PlainRequest:
    dest = data["destination"]
    if type(dest) is not dict or not dest.keys() <= _DESTINATION:
        raise _NotPlain
    country = _country(dest["country"])
    destination: dict[str, Any] = {"country": country}
    region = dest.get("region")
    if region is not None:
        if type(region) is not str or len(region) > 100:
            raise _NotPlain
        region = destination["region"] = normalize_region(region, country=country)
        if not region.startswith(country + "-"):
            raise _NotPlain
    postal_code = dest.get("postal_code")
    if postal_code is not None:
        postal_code = destination["postal_code"] = _str(postal_code, _POSTAL)
    raw_items = data["items"]
    if type(raw_items) is not list or not 1 <= len(raw_items) <= MAX_ITEMS:
        raise _NotPlain
    read = [_item(i) for i in raw_items]
    normal: dict[str, Any] = {"destination": destination, "items": [n for _, n in read]}
    get = data.get
    market = _id(get("market"))
    if market is not None:
        normal["market"] = market
    locale = get("locale")
    if locale is not None:
        locale = normal["locale"] = normalize_locale(_str(locale, _LOCALE))
    day = get("date")
    if day is not None:
        if type(day) is not date:
            day = date.fromisoformat(_str(day, _DATE))
        normal["date"] = day
    shipping_method = _id(get("shipping_method"))
    if shipping_method is not None:
        normal["shipping_method"] = shipping_method
    ship_from = get("ship_from")
    if ship_from is not None:
        ship_from = normal["ship_from"] = _country(ship_from)
    freight = insurance = None
    if (v := get("freight")) is not None:
        freight, normal["freight"] = _price(v, item=False)
    if (v := get("insurance")) is not None:
        insurance, normal["insurance"] = _price(v, item=False)
    exclude_shipping = get("exclude_shipping", False)
    if type(exclude_shipping) is not bool:
        raise _NotPlain
    normal["exclude_shipping"] = exclude_shipping
    request = QuoteRequest(
        country=country, items=tuple([i for i, _ in read]), region=region, market=market,
        locale=locale, date=day, shipping_method=shipping_method, ship_from=ship_from,
        freight=freight, insurance=insurance, postal_code=postal_code,
        exclude_shipping=exclude_shipping)
    return request, normal
