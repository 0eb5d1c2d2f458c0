"""Quote requests and results: immutable value objects and their JSON shape.

A request arrives as a :class:`QuoteRequest` or as the same thing in JSON form (a dict);
:meth:`QuoteRequest.from_dict` validates it and names the field of every problem. A
:class:`Quote` is the answer; :meth:`Quote.to_dict` is exactly the JSON the HTTP service returns.
Amounts are decimal strings with exactly the currency's minor digits, never JSON numbers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from pricing.codes import (
    normalize_country,
    normalize_currency,
    normalize_hs_code,
    normalize_locale,
    normalize_region,
)
from pricing.errors import (
    CurrencyMismatchError,
    RequestError,
    as_value_error,
    clip,
    clip_text,
    key_path,
)
from pricing.l10n.formatting import format_money, money_formatter, text_direction
from pricing.money import Money, parse_decimal, precision

__all__ = [
    "LINE_AMOUNTS",
    "MAX_ITEMS",
    "MAX_QUANTITY",
    "PATTERNS",
    "TOTALS",
    "Charge",
    "Item",
    "Line",
    "Quote",
    "QuoteRequest",
    "QuoteRequestModel",
]

#: Most lines one request may hold (documented limit; the HTTP service enforces it too).
MAX_ITEMS = 1000
#: Most units of one line.
MAX_QUANTITY = 100_000

_KG_PER = {"kg": Decimal(1), "g": Decimal("0.001"), "lb": Decimal("0.45359237"),
           "oz": Decimal("0.028349523125")}


# -- request fields: what each accepts is exactly what its JSON schema pattern says ------------
#
# Strings are read strictly: a field either matches its pattern (published in the OpenAPI
# schema) or is refused naming the field; nothing is trimmed, and no number is read from a
# JSON number. Codes are case-insensitive (``"de"`` is ``"DE"``, ``"GB"`` the market ``gb``);
# whether a well-formed code exists (ISO 3166, ISO 4217, CLDR) is the registry's answer, given
# with a "did you mean".

#: Patterns of the request's string fields (JSON Schema, ECMA 262 flavour, anchored).
PATTERNS: Mapping[str, str] = {
    "amount": r"^(?:0|[1-9][0-9]{0,11})(?:\.[0-9]{1,12})?$|^1000000000000(?:\.0{1,12})?$",
    # 16 decimals: a weight in ounces converted to kilograms (x 0.028349523125) keeps 15
    "weight": r"^(?:0|[1-9][0-9]{0,4})(?:\.[0-9]{1,16})?$|^100000(?:\.0{1,16})?$",
    "date": r"^(?:19|20|21)[0-9]{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])$",
    "country": r"^[A-Za-z]{2}$",
    "region": r"^[A-Za-z]{2}-[A-Za-z0-9]{1,3}$",
    "currency": r"^[A-Za-z]{3}$",
    "locale": r"^[A-Za-z]{2,3}(?:[_-][A-Za-z0-9]{2,8}){0,3}$",
    "hs_code": r"^[0-9]{2,10}$|^[0-9]{4}\.[0-9]{2}(?:\.[0-9]{2,4})?$",
    "id": r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$",
    "category": r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$",
    "postal_code": r"^[0-9A-Za-z][0-9A-Za-z -]{0,15}$",
}
_COMPILED = {k: re.compile(v.replace("$", r"\Z")) for k, v in PATTERNS.items()}
_EXAMPLES = {"amount": '"19.99"', "weight": '"0.25"', "date": "2026-11-23", "country": "DE",
             "region": "US-CA", "currency": "EUR", "locale": "de_DE", "hs_code": "610910",
             "id": "standard", "category": "books",
             "postal_code": "10115"}


def _shaped(kind: str, what: str) -> Any:
    """A validator: ``kind``'s pattern, then (for codes) the registry lookup."""
    pattern = _COMPILED[kind]

    def check(v: Any) -> Any:
        if not isinstance(v, str):
            if kind in ("amount", "weight") and isinstance(v, Decimal):
                return v  # a Python caller's exact value; JSON cannot carry one
            raise ValueError(f"{what} must be a string, e.g. {_EXAMPLES[kind]}; found "
                             f"{'a JSON number' if isinstance(v, int | float) else clip(v)}")
        if not pattern.match(v):
            raise ValueError(f"{what} {clip(v)} is not well formed; expected e.g. "
                             f"{_EXAMPLES[kind]}")
        return v
    return check


def _amount(v: Any) -> Decimal:
    return as_value_error(lambda x: parse_decimal(x, field="amount"))(
        _shaped("amount", "amount")(v))


def _weight(v: Any) -> Decimal:
    return as_value_error(lambda x: parse_decimal(x, field="weight.value", max_decimals=16))(
        _shaped("weight", "weight")(v))


def _day(v: Any) -> date:
    if type(v) is date:  # a Python caller's date
        return v
    text = _shaped("date", "date")(v)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text} is not a real day") from None


def _code(kind: str, what: str, normalize: Any) -> Any:
    shape = _shaped(kind, what)
    lookup = as_value_error(normalize)
    return lambda v: lookup(shape(v))


def _lower(kind: str, what: str) -> Any:
    shape = _shaped(kind, what)
    return lambda v: shape(v).lower()


def _typed(kind: str, py: Any, check: Any, **extra: Any) -> Any:
    """The annotated type of a string field: its validator and its JSON schema (the pattern)."""
    return Annotated[py, BeforeValidator(check), WithJsonSchema({
        "type": "string", "pattern": PATTERNS[kind], "example": _EXAMPLES[kind].strip('"'),
        **extra})]


_Country = _typed("country", str, _code("country", "country", normalize_country))
_Currency = _typed("currency", str, _code("currency", "currency", normalize_currency))
_Hs = _typed("hs_code", str, _code("hs_code", "hs_code", normalize_hs_code))
_Locale = _typed("locale", str, _code("locale", "locale", normalize_locale))
_Id = _typed("id", str, _lower("id", "id"))
_Category = _typed("category", str, _lower("category", "category"))
_Amount = _typed("amount", Decimal, _amount)
_Weight = _typed("weight", Decimal, _weight)
_Day = _typed("date", date, _day, format="date")
_PostalCode = _typed("postal_code", str, _shaped("postal_code", "postal_code"))


def _whole(v: Any) -> int:
    # JSON Schema calls 440.0 an integer, and so do JSON encoders that write every number
    # with a point; 1.5, "3" and true are not.
    if isinstance(v, float) and v.is_integer() and abs(v) <= 2**53:
        return int(v)
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    raise ValueError(f"expected a whole number; found {clip(v)}")


_Quantity = Annotated[int, BeforeValidator(_whole)]

_REGISTRY = {
    "country": "an ISO 3166-1 alpha-2 country code (any case), e.g. DE",
    "currency": "an ISO 4217 currency code (any case), e.g. EUR",
    "locale": "a CLDR locale, _ or - between parts, e.g. de_DE or fr-CA",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PriceModel(_Strict):
    amount: _Amount = Field(description=(
        "Decimal string, at most 12 decimals and 10^12; JSON numbers are refused. A price "
        "finer than the currency's minor unit (19.999 EUR) is refused when quoting."))
    currency: _Currency = Field(description=_REGISTRY["currency"])


class WeightModel(_Strict):
    value: _Weight = Field(description="Decimal string, 0 to 100000 of the unit, at most 16 "
                           "decimals")
    unit: Literal["kg", "g", "lb", "oz"] = "kg"


class ItemModel(_Strict):
    sku: str = Field(min_length=1, max_length=128)
    quantity: _Quantity = Field(ge=1, le=MAX_QUANTITY)
    price: PriceModel
    hs_code: _Hs | None = Field(default=None, description=(
        "HS or national tariff code: 2 to 10 digits, or 6109.10-style"))
    origin: _Country | None = Field(default=None, description=(
        "Country of origin: " + _REGISTRY["country"]))
    category: _Category | None = Field(default=None, description=(
        "Product category as the rules name it (books, children_clothing); case-insensitive"))
    weight: WeightModel | None = None
    title: str | None = Field(None, max_length=500)


class DestinationModel(_Strict):
    country: _Country = Field(description=_REGISTRY["country"])
    region: str | None = Field(
        None, max_length=100, description="ISO 3166-2 code (US-CA), or as checkouts send it: "
        "the part after the country (CA with country US, QC, NSW, SP) or the region's name. "
        "Needed only where taxes depend on it (GET /v1/markets/{id}: requires_region).",
        json_schema_extra={"example": "US-CA"})
    postal_code: _PostalCode | None = Field(
        None, description="Postal code as checkouts send it (letters, digits, spaces and "
        "hyphens, at most 16); shipping areas match its prefix.")

    @field_validator("region", mode="before")
    @classmethod
    def _region(cls, value: Any, info: ValidationInfo) -> Any:
        # Read against the country (validated first): "CA" with country US is US-CA.
        country = info.data.get("country")
        if value is None or country is None:  # a bad country is reported on its own
            return value
        if not isinstance(value, str) or len(value) > 100:
            raise ValueError(f"region must be a string of at most 100 characters; found "
                             f"{clip(value)}")
        return as_value_error(lambda v: normalize_region(v, country=country))(value)


class QuoteRequestModel(_Strict):
    """The JSON body of a quote request (also accepted by ``Engine.quote`` as a dict)."""

    destination: DestinationModel
    items: list[ItemModel] = Field(min_length=1, max_length=MAX_ITEMS)
    market: _Id | None = Field(default=None, description=(
        "A market id of the rules (case-insensitive); default: the market of the country"))
    locale: _Locale | None = Field(default=None, description=_REGISTRY["locale"])
    date: _Day | None = Field(default=None, description=(
        "Quote date, 1900-01-01 to 2199-12-31; default: today"))
    shipping_method: _Id | None = Field(default=None, description=(
        "A shipping method id of the market (case-insensitive); default: its default"))
    ship_from: _Country | None = Field(default=None, description=(
        "Country the parcel ships from: " + _REGISTRY["country"]
        + "; default: the shop's"))
    freight: PriceModel | None = Field(
        None, description="Freight as declared to customs (CIF), when it differs from the "
                          "shipping price, e.g. free shipping that still has a carrier cost.")
    insurance: PriceModel | None = Field(
        None, description="Insurance as declared to customs (CIF).")
    exclude_shipping: bool = Field(
        False, strict=True, description="Quote the goods alone: no shipping charge, no freight "
        "in the customs value (what a product page or feed shows).")


@dataclass(frozen=True, slots=True)
class Item:
    sku: str
    quantity: int
    price: Money
    hs_code: str | None = None
    origin: str | None = None
    category: str | None = None
    weight_kg: Decimal | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class QuoteRequest:
    """A cart for a destination. Build it directly or with :meth:`from_dict`."""

    country: str
    items: tuple[Item, ...]
    region: str | None = None
    market: str | None = None
    locale: str | None = None
    date: date | None = None
    shipping_method: str | None = None
    ship_from: str | None = None
    #: Freight and insurance declared to customs; None: the shipping method's (docs).
    freight: Money | None = None
    insurance: Money | None = None
    postal_code: str | None = None
    #: The goods alone: no shipping charge and no freight (product pages, feeds).
    exclude_shipping: bool = False

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QuoteRequest:
        """Validate the JSON form; a problem raises :class:`RequestError` naming the field."""
        from pricing.plainrequest import read_plain  # it reads the subset this model accepts

        plain = read_plain(data)
        if plain is not None:
            return plain[0]
        try:
            model = QuoteRequestModel.model_validate(data)
        except ValidationError as err:
            raise _request_error(err) from None
        return cls.from_model(model)

    @classmethod
    def from_model(cls, m: QuoteRequestModel) -> QuoteRequest:
        items = tuple(
            Item(sku=i.sku, quantity=i.quantity, price=Money(i.price.amount, i.price.currency),
                 hs_code=i.hs_code, origin=i.origin, category=i.category,
                 weight_kg=(i.weight.value * _KG_PER[i.weight.unit]) if i.weight else None,
                 title=i.title)
            for i in m.items)
        for idx, i in enumerate(m.items):
            # A catalog price finer than the currency's minor unit (19.999 EUR, 100.5 JPY) is a
            # data error upstream; refusing it beats silently rounding a price.
            digits = precision(i.price.currency)
            if i.price.amount != i.price.amount.quantize(Decimal(1).scaleb(-digits)):
                raise RequestError(
                    f"amount {i.price.amount} has more decimals than {i.price.currency} allows "
                    f"({digits})", field=f"items[{idx}].price",
                    value=str(i.price.amount),
                    expected=f"at most {digits} decimals for {i.price.currency}")
        region = m.destination.region
        if region is not None and not region.startswith(m.destination.country + "-"):
            raise RequestError(f"region {region} is not in country {m.destination.country}",
                               field="destination.region", value=region,
                               expected=f"a subdivision of {m.destination.country}, e.g. "
                                        f"{m.destination.country}-...")
        return cls(country=m.destination.country, region=region, items=items, market=m.market,
                   locale=m.locale, date=m.date, shipping_method=m.shipping_method,
                   ship_from=m.ship_from, postal_code=m.destination.postal_code,
                   exclude_shipping=m.exclude_shipping,
                   freight=Money(m.freight.amount, m.freight.currency) if m.freight else None,
                   insurance=(Money(m.insurance.amount, m.insurance.currency)
                              if m.insurance else None))


def _request_error(err: ValidationError) -> RequestError:
    errors = err.errors(include_url=False)
    e = errors[0]
    path = key_path(e["loc"])
    msg = e["msg"].removeprefix("Value error, ")
    if e["type"] == "extra_forbidden":
        msg = f"unknown field {clip(e['loc'][-1])}"
        path = clip_text(path, 200)
    elif e["type"] == "missing":
        msg = "required field is missing"
    elif e["type"] in ("too_long", "too_short") and path == "items":
        msg = f"items must hold between 1 and {MAX_ITEMS} lines"
    value = e.get("input")
    shown = None if isinstance(value, dict | list) or e["type"] == "missing" else value
    if isinstance(shown, str) and len(shown) > 100:
        shown = shown[:100] + "…"
    rest = len(errors) - 1
    if rest:
        msg += f" (and {rest} more problem{'s' if rest > 1 else ''})"
    ctx = e.get("ctx") or {}
    return RequestError(f"{path}: {msg}" if path else msg, field=path or None, value=shown,
                        expected=ctx.get("expected"), suggestion=ctx.get("suggestion"))


# -- result --------------------------------------------------------------------------------

ChargeKind = Literal["shipping", "duty", "tax", "fee"]


@dataclass(frozen=True, slots=True)
class Charge:
    """One amount of a quote and why: which rule, which base, which rate."""

    kind: ChargeKind
    name: str
    amount: Money
    rule: str
    base: Money | None = None
    rate: Decimal | None = None
    note: str = ""
    #: True for tax already inside displayed prices (tax-inclusive markets).
    included: bool = False
    payable: Literal["checkout", "delivery"] = "checkout"
    #: What the base is made of: ("goods", ...), ("shipping", ...), ("duty", ...),
    #: ("freight", ...), another tax's name for a chain, ... (each rounded on its own).
    base_parts: tuple[tuple[str, Money], ...] = ()


#: What a :class:`Line` holds, in this order, as bare amounts of the quote currency.
LINE_AMOUNTS = ("unit_price", "subtotal", "shipping", "duty", "tax", "included_tax", "fees")
#: The keys of :attr:`Quote.totals`, in the order ``to_dict`` writes them.
TOTALS = ("items", "shipping", "duties", "taxes", "included_taxes", "fees", "total",
          "due_at_checkout", "due_on_delivery")


@dataclass(frozen=True, slots=True)
class Line:
    """One cart line of a quote. Amounts are kept bare (``amounts``, in the order of
    :data:`LINE_AMOUNTS`) and given as :class:`Money` by the properties of the same names."""

    sku: str
    title: str | None
    quantity: int
    currency: str
    amounts: tuple[Decimal, Decimal, Decimal, Decimal, Decimal, Decimal, Decimal]
    price_note: str = ""
    #: What a product page or feed shows for one unit of this item bought alone, shipping
    #: excluded (docs/calculation.md, "Landed unit price"); None if it cannot be sold alone.
    landed_unit: Decimal | None = None

    @property
    def landed_unit_price(self) -> Money | None:
        return Money(self.landed_unit, self.currency) if self.landed_unit is not None else None

    @property
    def unit_price(self) -> Money:
        return Money(self.amounts[0], self.currency)

    @property
    def subtotal(self) -> Money:
        return Money(self.amounts[1], self.currency)

    @property
    def shipping(self) -> Money:
        return Money(self.amounts[2], self.currency)

    @property
    def duty(self) -> Money:
        return Money(self.amounts[3], self.currency)

    @property
    def tax(self) -> Money:
        return Money(self.amounts[4], self.currency)

    @property
    def included_tax(self) -> Money:
        return Money(self.amounts[5], self.currency)

    @property
    def fees(self) -> Money:
        return Money(self.amounts[6], self.currency)

    @property
    def total_amount(self) -> Decimal:
        """subtotal + shipping + duty + tax + fees (included tax is inside subtotal and
        shipping)."""
        _, sub, ship, duty, tax, _, fees = self.amounts
        return sub + ship + duty + tax + fees

    @property
    def total(self) -> Money:
        return Money(self.total_amount, self.currency)


@dataclass(frozen=True, slots=True)
class Quote:
    """An immutable, explained landed-cost quote. ``to_dict()`` is the service's JSON."""

    market: str
    currency: str
    locale: str
    locale_chain: tuple[str, ...]
    date: date
    rules_version: str
    incoterm: str
    price_display: str
    regime: Mapping[str, Any]
    fx: Mapping[str, Any]
    lines: tuple[Line, ...]
    charges: tuple[Charge, ...]
    #: None for a market that quotes duty and tax only.
    shipping_method: Mapping[str, Any] | None
    warnings: tuple[str, ...] = ()
    #: The totals as bare amounts of the quote currency, keyed as :data:`TOTALS`.
    total_amounts: Mapping[str, Decimal] = field(default_factory=dict)
    #: Charge names in the quote's language ("VAT" -> "MwSt." in German), where known.
    labels: Mapping[str, str] = field(default_factory=dict)
    #: The market's payment methods that can pay ``due_at_checkout`` (its currency, the
    #: destination country, the method's limits), in the market's order: ``{"id", "name",
    #: "kind"}`` with the name in the quote's language (docs/payments.md).
    payment_methods: tuple[Mapping[str, str], ...] = ()

    @property
    def totals(self) -> dict[str, Money]:
        """The totals as :class:`Money`: items, shipping, duties, taxes, included_taxes, fees,
        total, due_at_checkout, due_on_delivery."""
        cur = self.currency
        return {k: Money(v, cur) for k, v in self.total_amounts.items()}

    @property
    def total(self) -> Money:
        return Money(self.total_amounts["total"], self.currency)

    def to_dict(self) -> dict[str, Any]:
        loc = self.locale
        cur = self.currency
        # A quote repeats amounts (zeros above all): format each distinct one once, keyed by
        # its text (a str hashes once and for all; a fresh Decimal hashes each time).
        seen: dict[str, str] = {}
        fmt = money_formatter(cur, loc)

        def amt(value: Decimal) -> dict[str, str]:
            text = str(value)
            formatted = seen.get(text)
            if formatted is None:
                formatted = seen[text] = fmt(value)
            return {"amount": text, "currency": cur, "formatted": formatted}

        def money(m: Money) -> dict[str, str]:
            if m.currency == cur:
                return amt(m.amount)
            return {"amount": str(m.amount), "currency": m.currency,
                    "formatted": format_money(m.amount, m.currency, loc)}

        labels = self.labels
        return {
            "market": self.market,
            "currency": cur,
            "locale": loc,
            "locale_chain": list(self.locale_chain),
            "direction": text_direction(loc),
            "date": self.date.isoformat(),
            "rules_version": self.rules_version,
            "incoterm": self.incoterm,
            "price_display": self.price_display,
            "regime": dict(self.regime),
            "fx": dict(self.fx),
            "shipping_method": (dict(self.shipping_method) if self.shipping_method is not None
                                else None),
            "lines": [{
                "sku": ln.sku,
                "title": ln.title,
                "quantity": ln.quantity,
                "unit_price": amt(a[0]),
                "subtotal": amt(a[1]),
                "shipping": amt(a[2]),
                "duty": amt(a[3]),
                "tax": amt(a[4]),
                "included_tax": amt(a[5]),
                "fees": amt(a[6]),
                "total": amt(a[1] + a[2] + a[3] + a[4] + a[6]),
                "landed_unit_price": (amt(ln.landed_unit) if ln.landed_unit is not None
                                      else None),
                "price_note": ln.price_note,
            } for ln in self.lines for a in (ln.amounts,)],
            "totals": {k: amt(v) for k, v in self.total_amounts.items()},
            "charges": [{
                "kind": c.kind,
                "name": c.name,
                "label": labels.get(c.name, c.name),
                "amount": money(c.amount),
                "rule": c.rule,
                "base": money(c.base) if c.base is not None else None,
                "base_parts": [{"part": part, "amount": money(m)} for part, m in c.base_parts],
                "rate": str(c.rate) if c.rate is not None else None,
                "note": c.note,
                "included": c.included,
                "payable": c.payable,
            } for c in self.charges],
            "payment_methods": [dict(m) for m in self.payment_methods],
            "warnings": list(self.warnings),
        }


def sum_money(values: Sequence[Money], currency: str) -> Money:
    """The exact sum of ``values``, all in ``currency`` (zero for none)."""
    if not values:
        return Money.zero(currency)
    for v in values:
        if v.currency != currency:
            raise CurrencyMismatchError(f"cannot add {v.currency} to a {currency} total",
                                        value=f"{v.currency}/{currency}")
    return Money(sum([v.amount for v in values], Decimal(0)), currency)

