"""The strict schema of rule files: frozen pydantic models, unknown keys rejected.

Conventions (see docs/rules.md):

* rates are decimal strings in [0, 1]: ``"0.19"`` is 19 %; bare numbers are refused so that
  nothing passes through a binary float;
* money is a string ``"150.00 EUR"`` (amount, one space, ISO 4217 code);
* any rate or amount may instead be a list of periods
  ``[{ value = "0.16", from = 2020-07-01, to = 2020-12-31 },
  { value = "0.19", from = 2021-01-01 }]``
  with inclusive dates; periods must not overlap; a quote uses the one in force on its date.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from pricing.codes import (
    normalize_country,
    normalize_currency,
    normalize_hs_code,
    normalize_locale,
    normalize_region,
)
from pricing.endings import EndingMode
from pricing.errors import as_value_error
from pricing.money import Money, Rounding

__all__ = [
    "Band",
    "DutyRule",
    "DutySpec",
    "EndingSpec",
    "Fee",
    "MarketSpec",
    "PricingSpec",
    "Regime",
    "Restriction",
    "Schedule",
    "ShippingMethod",
    "ShopSpec",
    "TaxComponent",
    "TaxSpec",
    "Unconfirmed",
]

T = TypeVar("T")
_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")


class Schedule(Generic[T]):
    """A value that may change on dates: ``(from, to, value)`` periods, inclusive, sorted."""

    __slots__ = ("periods",)

    def __init__(self, periods: tuple[tuple[date | None, date | None, T], ...]) -> None:
        self.periods = periods

    @classmethod
    def always(cls, value: T) -> Schedule[T]:
        return cls(((None, None, value),))

    def at(self, on: date) -> T | None:
        """The value in force on ``on``, or None when no period covers that day."""
        for start, end, value in self.periods:
            if (start is None or start <= on) and (end is None or on <= end):
                return value
        return None

    def values(self) -> list[T]:
        return [v for _, _, v in self.periods]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Schedule) and self.periods == other.periods

    def __hash__(self) -> int:
        return hash(self.periods)

    def __repr__(self) -> str:
        return f"Schedule({self.periods!r})"


# -- scalar parsers (each raises ValueError with a message that says the fix) ----------------

def _rate(v: Any, *, signed: bool = False) -> Decimal:
    lo = Decimal(-1) if signed else Decimal(0)
    if isinstance(v, bool):
        raise ValueError(f"expected a rate as a decimal string, e.g. \"0.19\"; found {v!r}")
    if isinstance(v, float | int):
        hint = f'"{Decimal(str(v)) / 100}"' if 1 < abs(v) <= 100 else f'"{v}"'
        raise ValueError(f"write rates as decimal strings so they stay exact: {hint}"
                         + (f" ({v} looks like a percentage; rates are fractions in "
                            f"[{lo}, 1], so {v}% is {hint})" if 1 < abs(v) <= 100 else ""))
    if not isinstance(v, str):
        raise ValueError(f"expected a rate as a decimal string, e.g. \"0.19\"; found {v!r}")
    try:
        d = Decimal(v.strip())
    except InvalidOperation:
        raise ValueError(f"{v!r} is not a decimal number; write a rate like \"0.19\"") from None
    if not d.is_finite():
        raise ValueError(f"{v!r} is not a finite number")
    if d > 1 and d <= 100:
        raise ValueError(f"rate {v!r} is out of range [{lo}, 1]; rates are fractions: "
                         f"did you mean \"{d / 100}\" ({d}%)?")
    if not (lo <= d <= 1):
        raise ValueError(f"rate {v!r} is out of range [{lo}, 1]")
    return d


def _money(v: Any) -> Money:
    if not isinstance(v, str):
        raise ValueError(f"write money as a string \"AMOUNT CURRENCY\", e.g. \"150.00 EUR\"; "
                         f"found {v!r}")
    m = as_value_error(Money.parse)(v)
    if m.amount < 0:
        raise ValueError(f"{v!r} is negative; amounts here must be zero or more")
    return m


def _decimal(v: Any) -> Decimal:
    if isinstance(v, float | bool) or not isinstance(v, str | int):
        raise ValueError(f"write numbers as decimal strings so they stay exact, e.g. \"0.5\"; "
                         f"found {v!r}")
    try:
        d = Decimal(str(v).strip())
    except InvalidOperation:
        raise ValueError(f"{v!r} is not a decimal number") from None
    if not d.is_finite() or d <= 0:
        raise ValueError(f"{v!r} must be a positive number")
    return d


def _date(v: Any) -> date:
    if isinstance(v, date):
        return v
    if isinstance(v, str):
        try:
            return date.fromisoformat(v)
        except ValueError:
            pass
    raise ValueError(f"expected a date such as 2025-01-01; found {v!r}")


def _schedule(parse: Any) -> Any:
    def build(v: Any) -> Schedule[Any]:
        if isinstance(v, Schedule):
            return v
        if not isinstance(v, list):
            return Schedule.always(parse(v))
        if not v:
            raise ValueError("an empty list of periods; give a value or at least one period")
        periods = []
        for i, p in enumerate(v):
            if not isinstance(p, dict):
                raise ValueError(f"period [{i}] must be a table {{ value = ..., from = ..., "
                                 f"to = ... }}; found {p!r}")
            extra = set(p) - {"value", "from", "to"}
            if extra:
                raise ValueError(f"period [{i}] has unknown key(s) {sorted(extra)}; "
                                 "allowed: value, from, to")
            if "value" not in p:
                raise ValueError(f"period [{i}] has no value")
            try:
                start = _date(p["from"]) if "from" in p else None
                end = _date(p["to"]) if "to" in p else None
                value = parse(p["value"])
            except ValueError as e:
                raise ValueError(f"period [{i}]: {e}") from None
            if start and end and end < start:
                raise ValueError(f"period [{i}] ends ({end}) before it starts ({start})")
            periods.append((start, end, value))
        ordered = sorted(periods, key=lambda p: p[0] or date.min)
        for a, b in pairwise(ordered):
            a_end = a[1] or date.max
            b_start = b[0] or date.min
            if b_start <= a_end:
                raise ValueError(
                    f"periods overlap: {a[0] or 'open start'}..{a[1] or 'open end'} and "
                    f"{b[0] or 'open start'}..{b[1] or 'open end'}; a day may have one value")
        return Schedule(tuple(ordered))
    return build


def _slug(v: Any) -> str:
    if not isinstance(v, str) or not _ID.fullmatch(v):
        raise ValueError(f"{v!r} is not a valid id; use lowercase letters, digits, - and _ "
                         "(e.g. \"de\", \"us-east\")")
    return v


Rate = Annotated[Decimal, BeforeValidator(_rate)]
SignedRate = Annotated[Decimal, BeforeValidator(lambda v: _rate(v, signed=True))]
Amount = Annotated[Money, BeforeValidator(_money)]
Positive = Annotated[Decimal, BeforeValidator(_decimal)]
Day = Annotated[date, BeforeValidator(_date)]
RateSchedule = Annotated[Schedule[Decimal], BeforeValidator(_schedule(_rate))]
MoneySchedule = Annotated[Schedule[Money], BeforeValidator(_schedule(_money))]
Country = Annotated[str, BeforeValidator(as_value_error(normalize_country))]
Region = Annotated[str, BeforeValidator(as_value_error(normalize_region))]
Currency = Annotated[str, BeforeValidator(as_value_error(normalize_currency))]
LocaleTag = Annotated[str, BeforeValidator(as_value_error(normalize_locale))]
HsPrefix = Annotated[str, BeforeValidator(as_value_error(normalize_hs_code))]
Id = Annotated[str, BeforeValidator(_slug)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True,
                              populate_by_name=True)


class Dated(Strict):
    """Something in force only from/to a date (inclusive)."""

    from_: Day | None = Field(None, alias="from")
    to: Day | None = None

    def in_force(self, on: date) -> bool:
        return (self.from_ is None or self.from_ <= on) and (self.to is None or on <= self.to)

    @model_validator(mode="after")
    def _order(self) -> Dated:
        if self.from_ and self.to and self.to < self.from_:
            raise ValueError(f"'to' ({self.to}) is before 'from' ({self.from_})")
        return self


# -- shop ------------------------------------------------------------------------------------

class ShopSpec(Strict):
    name: str
    base_currency: Currency
    ship_from: Country
    default_locale: LocaleTag = "en"
    #: The language product text is written in (the msgid of the catalogs).
    source_locale: LocaleTag = "en"
    default_item_weight_kg: Positive = Decimal("0.5")
    max_rate_age_days: int = Field(7, ge=0, le=3650)
    quote_ttl_seconds: int = Field(900, ge=1, le=7 * 86400)


# -- market parts ----------------------------------------------------------------------------

class EndingSpec(Strict):
    step: Positive
    ending: Annotated[Decimal, BeforeValidator(lambda v: Decimal(0) if v in ("0", 0) else
                                               _decimal(v))] = Decimal(0)
    mode: EndingMode = EndingMode.UP

    @model_validator(mode="after")
    def _range(self) -> EndingSpec:
        if not self.ending < self.step:
            raise ValueError(f"ending {self.ending} must be below step {self.step} "
                             "(e.g. step \"1\" with ending \"0.99\" gives 9.99, 10.99, ...)")
        return self


class PricingSpec(Strict):
    fx_markup: Rate = Decimal(0)
    adjustment: SignedRate = Decimal(0)
    ending: EndingSpec | None = None
    #: Rounding of a converted price when there is no ending.
    rounding: Rounding = Rounding.HALF_UP
    #: Fixed local prices by SKU; they replace conversion for those SKUs.
    prices: dict[str, Amount] = Field(default_factory=dict)


class TaxComponent(Strict):
    name: str
    rate: RateSchedule
    categories: dict[str, RateSchedule] = Field(default_factory=dict)
    #: ISO 3166-2 regions this component applies to; empty means the whole market.
    regions: tuple[Region, ...] = ()


TaxBasePart = Literal["goods", "shipping", "duty"]


class TaxSpec(Strict):
    components: tuple[TaxComponent, ...]
    base: tuple[TaxBasePart, ...] = ("goods", "shipping", "duty")
    rounding: Literal["line", "order"] = "line"
    rounding_mode: Rounding = Rounding.HALF_UP
    #: Tax of this computed amount or less is not collected (e.g. CH: CHF 5).
    waive_at_or_below: MoneySchedule | None = None
    #: Share of the customs value added to the tax base of imports (ZA: "0.10", VAT Act s13).
    import_uplift: RateSchedule | None = None

    @model_validator(mode="after")
    def _some(self) -> TaxSpec:
        # Checked here, not with min_length: pydantic would also report a length error for a
        # list whose only item is invalid, doubling the problem.
        if not self.components:
            raise ValueError("tax needs at least one [[tax.components]] entry (or no [tax])")
        return self


class DutyRule(Strict):
    #: HS prefix this rule covers; omitted means every HS code.
    hs: HsPrefix | None = None
    #: Origins (country where made) this rule is for: a preference. Empty: any origin.
    origins: tuple[Country, ...] = ()
    name: str | None = None
    rate: RateSchedule | None = None
    per_kg: MoneySchedule | None = None
    per_unit: MoneySchedule | None = None
    minimum: Amount | None = None
    maximum: Amount | None = None

    @model_validator(mode="after")
    def _some(self) -> DutyRule:
        if self.rate is None and self.per_kg is None and self.per_unit is None:
            raise ValueError("a duty rule needs rate, per_kg or per_unit")
        if self.minimum and self.maximum and (self.minimum.currency == self.maximum.currency
                                              and self.maximum < self.minimum):
            raise ValueError("maximum is below minimum")
        return self


class DutySpec(Strict):
    valuation: Literal["CIF", "FOB"] = "CIF"
    rate: RateSchedule = Field(default_factory=lambda: Schedule.always(Decimal(0)))
    rules: tuple[DutyRule, ...] = ()
    #: Duty of this computed amount or less is not collected (e.g. CH: CHF 5).
    waive_at_or_below: MoneySchedule | None = None
    rounding_mode: Rounding = Rounding.HALF_UP


class Regime(Dated):
    """How duty and tax are collected for a consignment that passes this regime's test."""

    id: Id
    name: str
    ship_from: tuple[Country, ...] = ()
    max_value: MoneySchedule | None = None
    #: True: values equal to max_value pass ("up to and including"); False: only below.
    inclusive: bool = True
    value_basis: Literal["consignment", "item"] = "consignment"
    include_shipping: bool = False
    tax: Literal["sale", "import", "none"]
    duty: Literal["charged", "none", "flat"]
    flat_duty: MoneySchedule | None = None
    #: Items whose HS codes share this many leading digits are one tariff category.
    flat_duty_category_digits: int = Field(6, ge=2, le=10)
    note: str | None = None

    @model_validator(mode="after")
    def _flat(self) -> Regime:
        if self.duty == "flat" and self.flat_duty is None:
            raise ValueError("duty = \"flat\" needs flat_duty, e.g. \"3.00 EUR\"")
        if self.duty != "flat" and self.flat_duty is not None:
            raise ValueError("flat_duty is only used with duty = \"flat\"")
        return self


class Fee(Dated):
    id: Id
    name: str
    amount: MoneySchedule | None = None
    per_item: MoneySchedule | None = None
    rate: RateSchedule | None = None
    base: Literal["goods", "order", "duties_and_taxes"] = "goods"
    minimum: Amount | None = None
    maximum: Amount | None = None
    regimes: tuple[Id, ...] = ()
    incoterm: Literal["DDP", "DAP"] | None = None
    #: Only when duty or import tax is actually charged (brokerage, disbursement).
    only_if_duty_or_tax: bool = False

    @model_validator(mode="after")
    def _one(self) -> Fee:
        given = [k for k in ("amount", "per_item", "rate") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("a fee needs exactly one of amount, per_item or rate"
                             + (f"; found {', '.join(given)}" if given else ""))
        return self


class Band(Strict):
    up_to_kg: Positive
    price: Amount


class ShippingMethod(Strict):
    name: str
    days: tuple[int, int]
    bands: tuple[Band, ...] = ()
    base: Amount | None = None
    per_kg: Amount | None = None
    free_over: MoneySchedule | None = None
    max_kg: Positive | None = None
    default: bool = False

    @model_validator(mode="after")
    def _check(self) -> ShippingMethod:
        if not self.bands and self.base is None and self.per_kg is None:
            raise ValueError("a shipping method needs bands, base or per_kg")
        if not 0 <= self.days[0] <= self.days[1]:
            raise ValueError(f"days {list(self.days)} must be [min, max] with 0 <= min <= max")
        limits = [b.up_to_kg for b in self.bands]
        if limits != sorted(set(limits)):
            raise ValueError("bands must be in increasing up_to_kg order, without repeats")
        return self


class Restriction(Strict):
    hs: tuple[HsPrefix, ...] = ()
    categories: tuple[str, ...] = ()
    reason: str


class Unconfirmed(Strict):
    """A fact of this file that could not be confirmed from a public source: listed by
    ``pricing validate --warnings``, never presented as fact."""

    #: Key path in this market file, e.g. ``"duty.rate"`` or ``"regimes[0].max_value"``.
    key: str = Field(min_length=1, max_length=200)
    #: What is not confirmed, and what would confirm it.
    why: str = Field(min_length=1, max_length=1000)


class MarketSpec(Strict):
    id: Id
    name: str
    countries: tuple[Country, ...]
    #: Regions of those countries this market does not serve (e.g. the Canary Islands).
    exclude_regions: tuple[Region, ...] = ()
    #: Countries a parcel can ship from without being an import (a customs union such as the
    #: EU); default: the market's own countries. Such sales pay tax at the sale, no duty.
    customs_territory: tuple[Country, ...] = ()
    currency: Currency
    locales: tuple[LocaleTag, ...]
    default_locale: LocaleTag
    price_display: Literal["inclusive", "exclusive"]
    incoterm: Literal["DDP", "DAP"]
    payment_methods: tuple[str, ...] = ()
    pricing: PricingSpec = Field(default_factory=PricingSpec)
    tax: TaxSpec | None = None
    duty: DutySpec = Field(default_factory=DutySpec)
    regimes: tuple[Regime, ...] = ()
    fees: tuple[Fee, ...] = ()
    shipping: dict[Id, ShippingMethod]
    restrictions: tuple[Restriction, ...] = ()
    #: Public sources of the facts in this file, each with the date it was checked.
    sources: tuple[str, ...] = ()
    #: Facts of this file not confirmed from a public source (see :class:`Unconfirmed`).
    unconfirmed: tuple[Unconfirmed, ...] = ()

    @model_validator(mode="after")
    def _coherent(self) -> MarketSpec:
        problems = [f"{k} needs at least one entry" for k in ("countries", "locales", "shipping")
                    if not getattr(self, k)]
        if self.incoterm == "DAP" and self.price_display == "inclusive":
            problems.append("incoterm DAP needs price_display = \"exclusive\": under DAP import "
                            "taxes are paid on delivery, so shown prices cannot include them")
        if self.default_locale not in self.locales:
            problems.append(f"default_locale {self.default_locale!r} is not one of locales "
                            f"{list(self.locales)}")
        defaults = [k for k, m in self.shipping.items() if m.default]
        if len(defaults) > 1:
            problems.append(f"more than one default shipping method: {defaults}")
        ids = [r.id for r in self.regimes]
        dupes = {i for i in ids if ids.count(i) > 1}
        for d in sorted(dupes):
            same = [r for r in self.regimes if r.id == d]
            for a in same:
                for b in same:
                    if a is not b and _overlap(a, b):
                        problems.append(f"regime {d!r} appears twice with overlapping dates")
                        break
        for sku, price in self.pricing.prices.items():
            if price.currency != self.currency:
                problems.append(f"pricing.prices.{sku} is in {price.currency}; fixed prices "
                                f"must be in the market currency {self.currency}")
        if self.pricing.ending is not None:
            from pricing.endings import PriceEnding
            e = self.pricing.ending
            why = PriceEnding(step=e.step, ending=e.ending, mode=e.mode).check_currency(
                self.currency)
            if why:
                problems.append(f"pricing.ending: {why}")
        for region in self.exclude_regions:
            if region.split("-")[0] not in self.countries:
                problems.append(f"exclude_regions {region} is not in countries "
                                f"{list(self.countries)}")
        if self.tax:
            for c in self.tax.components:
                for region in c.regions:
                    if region.split("-")[0] not in self.countries:
                        problems.append(f"tax component {c.name!r} region {region} is not in "
                                        f"countries {list(self.countries)}")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _overlap(a: Dated, b: Dated) -> bool:
    return ((a.from_ or date.min) <= (b.to or date.max)
            and (b.from_ or date.min) <= (a.to or date.max))
