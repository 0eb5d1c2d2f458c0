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
    field_validator,
    model_validator,
)

from pricing.codes import (
    normalize_country,
    normalize_currency,
    normalize_hs_code,
    normalize_locale,
    normalize_region,
)
from pricing.errors import CurrencyMismatchError, RequestError, as_value_error, key_path
from pricing.l10n.formatting import format_money, money_formatter, text_direction
from pricing.money import Money, parse_decimal, precision

__all__ = [
    "LINE_AMOUNTS",
    "MAX_ITEMS",
    "MAX_QUANTITY",
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


def _amount(v: Any) -> Decimal:
    d = as_value_error(lambda x: parse_decimal(x, field="amount"))(v)
    if d < 0:
        raise ValueError(f"amount must not be negative; found {v!r}")
    return d


def _positive_weight(v: Any) -> Decimal:
    d = as_value_error(lambda x: parse_decimal(x, field="weight.value"))(v)
    if d < 0 or d > 100_000:
        raise ValueError(f"weight must be between 0 and 100000; found {v!r}")
    return d


def _day(v: Any) -> date:
    if isinstance(v, date):
        return v
    if isinstance(v, str):
        try:
            return date.fromisoformat(v)
        except ValueError:
            pass
    raise ValueError(f"expected a date as YYYY-MM-DD; found {v!r}")


_Country = Annotated[str, BeforeValidator(as_value_error(normalize_country))]
_Currency = Annotated[str, BeforeValidator(as_value_error(normalize_currency))]
_Hs = Annotated[str, BeforeValidator(as_value_error(normalize_hs_code))]
_Locale = Annotated[str, BeforeValidator(as_value_error(normalize_locale))]
_Amount = Annotated[Decimal, BeforeValidator(_amount)]
_Weight = Annotated[Decimal, BeforeValidator(_positive_weight)]
_Day = Annotated[date, BeforeValidator(_day)]
_POSTAL = re.compile(r"[0-9A-Za-z][0-9A-Za-z -]{0,15}")


def _postal_code(v: Any) -> str:
    if isinstance(v, str) and _POSTAL.fullmatch(v.strip()):
        return v.strip()
    raise ValueError("expected a postal code of letters, digits, spaces and hyphens (at most "
                     f"16), e.g. 10115 or K1A 0B1; found {v!r}")


_PostalCode = Annotated[str, BeforeValidator(_postal_code)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PriceModel(_Strict):
    amount: _Amount = Field(description="Decimal string, e.g. \"19.99\"; numbers are refused.",
                            json_schema_extra={"type": "string", "example": "19.99"})
    currency: _Currency = Field(json_schema_extra={"type": "string", "example": "EUR"})

    @model_validator(mode="after")
    def _minor_digits(self) -> PriceModel:
        # A catalog price finer than the currency's minor unit (19.999 EUR, 100.5 JPY) is a
        # data error upstream; refusing it beats silently rounding a price.
        digits = precision(self.currency)
        exponent = self.amount.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -digits and (
                self.amount != self.amount.quantize(Decimal(1).scaleb(-digits))):
            raise ValueError(f"amount {self.amount} has more decimals than {self.currency} "
                             f"allows ({digits})")
        return self


class WeightModel(_Strict):
    value: _Weight = Field(json_schema_extra={"type": "string", "example": "0.25"})
    unit: Literal["kg", "g", "lb", "oz"] = "kg"


class ItemModel(_Strict):
    sku: str = Field(min_length=1, max_length=128)
    quantity: int = Field(ge=1, le=MAX_QUANTITY, strict=True)
    price: PriceModel
    hs_code: _Hs | None = Field(None, json_schema_extra={"type": "string", "example": "610910"})
    origin: _Country | None = Field(None, json_schema_extra={"type": "string", "example": "PT"})
    category: str | None = Field(None, max_length=64)
    weight: WeightModel | None = None
    title: str | None = Field(None, max_length=500)


class DestinationModel(_Strict):
    country: _Country = Field(json_schema_extra={"type": "string", "example": "DE"})
    region: str | None = Field(
        None, description="ISO 3166-2 code (US-CA), or as checkouts send it: the part after "
        "the country (CA with country US, QC, NSW, SP) or the region's name. Needed only "
        "where taxes depend on it (GET /v1/markets/{id}: requires_region).",
        json_schema_extra={"type": "string", "example": "US-CA"})
    postal_code: _PostalCode | None = Field(
        None, description="Postal code as checkouts send it; shipping areas match its prefix.",
        json_schema_extra={"type": "string", "example": "99501"})

    @field_validator("region", mode="before")
    @classmethod
    def _region(cls, value: Any, info: ValidationInfo) -> Any:
        # Read against the country (validated first): "CA" with country US is US-CA.
        country = info.data.get("country")
        if value is None or country is None:  # a bad country is reported on its own
            return value
        return as_value_error(lambda v: normalize_region(v, country=country))(value)


class QuoteRequestModel(_Strict):
    """The JSON body of a quote request (also accepted by ``Engine.quote`` as a dict)."""

    destination: DestinationModel
    items: list[ItemModel] = Field(min_length=1, max_length=MAX_ITEMS)
    market: str | None = Field(None, max_length=40)
    locale: _Locale | None = Field(None, json_schema_extra={"type": "string", "example": "de_DE"})
    date: _Day | None = Field(None, json_schema_extra={"type": "string", "format": "date"})
    shipping_method: str | None = Field(None, max_length=40)
    ship_from: _Country | None = Field(None, json_schema_extra={"type": "string"})
    freight: PriceModel | None = Field(
        None, description="Freight as declared to customs (CIF), when it differs from the "
                          "shipping price, e.g. free shipping that still has a carrier cost.")
    insurance: PriceModel | None = Field(
        None, description="Insurance as declared to customs (CIF).")
    exclude_shipping: bool = Field(
        False, description="Quote the goods alone: no shipping charge, no freight in the "
                           "customs value (what a product page or feed shows).")


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
    e = err.errors()[0]
    path = key_path(e["loc"])
    msg = e["msg"].removeprefix("Value error, ")
    if e["type"] == "extra_forbidden":
        msg = f"unknown field {e['loc'][-1]!r}"
    elif e["type"] == "missing":
        msg = "required field is missing"
    elif e["type"] in ("too_long", "too_short") and path == "items":
        msg = f"items must hold between 1 and {MAX_ITEMS} lines"
    value = e.get("input")
    shown = None if isinstance(value, dict | list) or e["type"] == "missing" else value
    if isinstance(shown, str) and len(shown) > 100:
        shown = shown[:100] + "..."
    rest = len(err.errors()) - 1
    if rest:
        msg += f" (and {rest} more problem{'s' if rest > 1 else ''})"
    return RequestError(f"{path}: {msg}" if path else msg, field=path or None, value=shown)


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
        # A quote repeats amounts (zeros above all): write and format each distinct one once.
        # Amounts of a quote are all at the currency's minor unit, so equal means same text.
        seen: dict[Decimal, dict[str, str]] = {}
        fmt = money_formatter(cur, loc)

        def amt(value: Decimal) -> dict[str, str]:
            found = seen.get(value)
            if found is None:
                found = seen[value] = {"amount": str(value), "currency": cur,
                                       "formatted": fmt(value)}
            return found.copy()

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

