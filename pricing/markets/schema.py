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
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    model_validator,
)

from pricing.codes import (
    normalize_country,
    normalize_currency,
    normalize_hs_code,
    normalize_locale,
    normalize_region,
)
from pricing.endings import EndingMode
from pricing.errors import InvalidAmountError, as_value_error, clip, did_you_mean
from pricing.money import Money, Rounding, parse_decimal
from pricing.payments import normalize_payment_method

__all__ = [
    "BASE_PARTS",
    "BUILTIN_DOMESTIC",
    "BUILTIN_STANDARD",
    "Addition",
    "Band",
    "Cost",
    "CustomsCosts",
    "DutyRule",
    "DutySpec",
    "EndingSpec",
    "Fee",
    "MarketSpec",
    "PricingSpec",
    "Regime",
    "Restriction",
    "Schedule",
    "ShippingArea",
    "ShippingMethod",
    "ShopSpec",
    "TaxComponent",
    "TaxSpec",
    "Unconfirmed",
    "component_order",
    "rule_values",
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

    def next_change(self, on: date) -> tuple[date, T | None] | None:
        """The first day after ``on`` whose value differs from ``on``'s, with that value (None
        where no period covers the day), or None when the value never changes after ``on``.

        >>> s = Schedule(((None, date(2020, 6, 30), 19), (date(2020, 7, 1), None, 16)))
        >>> s.next_change(date(2020, 1, 1))
        (datetime.date(2020, 7, 1), 16)
        >>> s.next_change(date(2020, 7, 1)) is None
        True
        """
        now = self.at(on)
        for start, end, value in self.periods:
            if start is not None and start > on and value != now:
                return start, value
            if end is not None and on <= end < date.max:
                after = end + timedelta(days=1)
                then = self.at(after)
                if then != now:
                    return after, then
        return None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Schedule) and self.periods == other.periods

    def __hash__(self) -> int:
        return hash(self.periods)

    def __repr__(self) -> str:
        return f"Schedule({self.periods!r})"


# -- scalar parsers (each raises ValueError with a message that says the fix) ----------------
#
# Every number a rule file can hold is bounded here, at load: a value the engine could not
# compute with (a step of 10^26, a 10^30 weight, a date-time where a date belongs) is a rule
# error naming file and key, never a failed quote later.

#: First and last day a rule date may name: far enough either side of any real rule, and
#: far from date.min/date.max, so date arithmetic on a rule date cannot overflow.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2199, 12, 31)
#: Largest weight, in kg, a rule may name (shipping bands, max_kg, default item weight).
MAX_KG = Decimal(100_000)
#: Largest price-ending step or ending (JPY and KRW shops end prices at 100 or 1000).
MAX_STEP = Decimal(1_000_000)
#: Most periods one dated value may list.
MAX_PERIODS = 100
_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _number(v: Any, what: str) -> Decimal:
    """A bounded Decimal from a decimal string (or a TOML integer); the message says the fix."""
    if isinstance(v, bool) or not isinstance(v, str | int):
        raise ValueError(f"write {what} as a decimal string so it stays exact, e.g. \"0.5\"; "
                         f"found {clip(v)}")
    try:
        return parse_decimal(v, field=what)
    except InvalidAmountError as e:
        raise ValueError(e.message) from None


def _rate(v: Any, *, signed: bool = False) -> Decimal:
    lo = Decimal(-1) if signed else Decimal(0)
    if isinstance(v, bool):
        raise ValueError(f"expected a rate as a decimal string, e.g. \"0.19\"; found {v!r}")
    if isinstance(v, float | int):
        if not -1000 < v < 1000:
            raise ValueError(f"write rates as decimal strings in [{lo}, 1], e.g. \"0.19\"; "
                             f"found {clip(v)}")
        hint = f'"{Decimal(str(v)) / 100}"' if 1 < abs(v) <= 100 else f'"{v}"'
        raise ValueError(f"write rates as decimal strings so they stay exact: {hint}"
                         + (f" ({v} looks like a percentage; rates are fractions in "
                            f"[{lo}, 1], so {v}% is {hint})" if 1 < abs(v) <= 100 else ""))
    if not isinstance(v, str):
        raise ValueError(f"expected a rate as a decimal string, e.g. \"0.19\"; found {clip(v)}")
    d = _number(v, "rate")
    if d > 1 and d <= 100:
        raise ValueError(f"rate {v!r} is out of range [{lo}, 1]; rates are fractions: "
                         f"did you mean \"{d / 100}\" ({d}%)?")
    if not (lo <= d <= 1):
        raise ValueError(f"rate {clip(v)} is out of range [{lo}, 1]")
    return d


def _factor(v: Any) -> Decimal:
    d = _rate(v)
    if d <= 0:
        raise ValueError(f"a valuation factor must be above 0 and at most 1; found {v!r}")
    return d


def _money(v: Any) -> Money:
    if not isinstance(v, str):
        raise ValueError(f"write money as a string \"AMOUNT CURRENCY\", e.g. \"150.00 EUR\"; "
                         f"found {clip(v)}")
    m = as_value_error(Money.parse)(v)
    if m.amount < 0:
        raise ValueError(f"{v!r} is negative; amounts here must be zero or more")
    return m


def _positive(limit: Decimal, what: str) -> Any:
    def parse(v: Any) -> Decimal:
        d = _number(v, what)
        if d <= 0 or d > limit:
            raise ValueError(f"{what} {clip(v)} is out of range: more than 0 and at most {limit}")
        return d
    return parse


def _ending(v: Any) -> Decimal:
    d = _number(v, "ending")
    if d < 0 or d > MAX_STEP:
        raise ValueError(f"ending {clip(v)} is out of range: 0 to {MAX_STEP}")
    return d


def _date(v: Any) -> date:
    if isinstance(v, datetime):  # a TOML date-time (a date subclass): never silently a date
        raise ValueError(f"expected a date, found a date and time {v.isoformat()}; write the "
                         f"day alone: {v.date().isoformat()}")
    if type(v) is date:
        d = v
    elif isinstance(v, str) and _DATE_TEXT.fullmatch(v):
        try:
            d = date.fromisoformat(v)
        except ValueError:
            raise ValueError(f"{v!r} is not a real day; write a date such as 2025-01-01"
                             ) from None
    else:
        raise ValueError(f"expected a date such as 2025-01-01; found {clip(v)}")
    if not FIRST_DAY <= d <= LAST_DAY:
        raise ValueError(f"date {d.isoformat()} is out of range: {FIRST_DAY} to {LAST_DAY}")
    return d


def _schedule(parse: Any) -> Any:
    def build(v: Any) -> Schedule[Any]:
        if isinstance(v, Schedule):
            return v
        if not isinstance(v, list):
            return Schedule.always(parse(v))
        if not v:
            raise ValueError("an empty list of periods; give a value or at least one period")
        if len(v) > MAX_PERIODS:
            raise ValueError(f"{len(v)} periods; at most {MAX_PERIODS}")
        periods = []
        for i, p in enumerate(v):
            if not isinstance(p, dict):
                raise ValueError(f"period [{i}] must be a table {{ value = ..., from = ..., "
                                 f"to = ... }}; found {clip(p)}")
            extra = set(p) - {"value", "from", "to"}
            if extra:
                raise ValueError(f"period [{i}] has unknown key(s) {clip(sorted(extra))}; "
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
        raise ValueError(f"{clip(v)} is not a valid id; use lowercase letters, digits, - and _ "
                         "(e.g. \"de\", \"us-east\")")
    return v


Rate = Annotated[Decimal, BeforeValidator(_rate)]
SignedRate = Annotated[Decimal, BeforeValidator(lambda v: _rate(v, signed=True))]
Amount = Annotated[Money, BeforeValidator(_money)]
Kg = Annotated[Decimal, BeforeValidator(_positive(MAX_KG, "weight in kg"))]
Step = Annotated[Decimal, BeforeValidator(_positive(MAX_STEP, "step"))]
Ending = Annotated[Decimal, BeforeValidator(_ending)]
#: Short text shown to shoppers or merchants (names, notes); long enough for any real one.
Name = Annotated[str, Field(min_length=1, max_length=200)]
Note = Annotated[str, Field(min_length=1, max_length=2000)]
#: Whole numbers are TOML integers, never strings or booleans.
Days = Annotated[int, Field(ge=0, le=365, strict=True)]
Flag = Annotated[bool, Field(strict=True)]
#: A product category as requests name it (``books``, ``children_clothing``).
Category = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
Day = Annotated[date, BeforeValidator(_date)]
RateSchedule = Annotated[Schedule[Decimal], BeforeValidator(_schedule(_rate))]
MoneySchedule = Annotated[Schedule[Money], BeforeValidator(_schedule(_money))]
Country = Annotated[str, BeforeValidator(as_value_error(normalize_country))]
Region = Annotated[str, BeforeValidator(as_value_error(normalize_region))]
Currency = Annotated[str, BeforeValidator(as_value_error(normalize_currency))]
LocaleTag = Annotated[str, BeforeValidator(as_value_error(normalize_locale))]
HsPrefix = Annotated[str, BeforeValidator(as_value_error(normalize_hs_code))]
Id = Annotated[str, BeforeValidator(_slug)]
PaymentMethodId = Annotated[str, BeforeValidator(as_value_error(normalize_payment_method))]


def _distinct(ids: Any) -> Any:
    """A list naming a method twice is refused (the ids themselves are checked one by one)."""
    if isinstance(ids, list | tuple):
        named = [i for i in ids if isinstance(i, str)]
        twice = sorted({i for i in named if named.count(i) > 1})
        if twice:
            raise ValueError(f"{', '.join(twice)} listed more than once; list each method once, "
                             "in the order shoppers should see them")
    return ids


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
    name: Name
    base_currency: Currency
    ship_from: Country
    default_locale: LocaleTag = "en"
    #: The language product text is written in (the msgid of the catalogs).
    source_locale: LocaleTag = "en"
    default_item_weight_kg: Kg = Decimal("0.5")
    max_rate_age_days: int = Field(7, ge=0, le=3650, strict=True)
    quote_ttl_seconds: int = Field(900, ge=1, le=7 * 86400, strict=True)


# -- market parts ----------------------------------------------------------------------------

class EndingSpec(Strict):
    step: Step
    ending: Ending = Decimal(0)
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
    prices: dict[Annotated[str, Field(min_length=1, max_length=128)], Amount] = Field(
        default_factory=dict)


class Cost(Strict):
    """A cost: an amount per consignment, or a share of the shipping price, of the goods value
    or (in import tax additions only) of the customs value. Exactly one is given."""

    amount: Amount | None = None
    of_shipping: Rate | None = None
    of_goods: Rate | None = None
    of_customs_value: Rate | None = None

    @model_validator(mode="after")
    def _one(self) -> Cost:
        given = [k for k in ("amount", "of_shipping", "of_goods", "of_customs_value")
                 if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of amount, of_shipping, of_goods or "
                             "of_customs_value" + (f"; found {', '.join(given)}" if given
                                                   else ""))
        return self


class CustomsCosts(Strict):
    """Freight and insurance as customs count them in the customs value (CIF), which can
    differ from the shipping the shopper pays (free shipping still has a freight cost)."""

    #: Default: the shipping price the shopper pays (net of tax inside it).
    freight: Cost | None = None
    #: Default: none.
    insurance: Cost | None = None

    @model_validator(mode="after")
    def _parts(self) -> CustomsCosts:
        for name in ("freight", "insurance"):
            cost = getattr(self, name)
            if cost is not None and cost.of_customs_value is not None:
                raise ValueError(f"{name} cannot be a share of the customs value it is part "
                                 "of; use amount, of_shipping or of_goods")
        return self


class Addition(Cost):
    """A cost added to the import tax base (e.g. transport to the first place of destination,
    EU VAT Directive Art. 86(1)(b)); imports only."""

    name: str = Field(min_length=1, max_length=100)


#: Parts a tax base may hold: the goods (net of tax inside prices), the shipping the shopper
#: pays, duty, and, for imports in tax-exclusive markets, the customs value itself.
TaxBasePart = Literal["goods", "shipping", "duty", "customs_value"]
BASE_PARTS = ("goods", "shipping", "duty", "customs_value")


class TaxComponent(Strict):
    name: Name
    rate: RateSchedule
    categories: dict[Category, RateSchedule] = Field(default_factory=dict)
    #: ISO 3166-2 regions this component applies to; empty means the whole market.
    regions: tuple[Region, ...] = ()
    #: In its regions, this component takes the place of the named one (Madeira's VAT rates
    #: replace Portugal's); elsewhere the named one applies, so no region is required.
    replaces: Name | None = None
    #: This component's own base: parts (goods, shipping, duty, customs_value) and the names of
    #: other components it is charged on (a tax chain: India's IGST on value + duty + SWS).
    #: Default: the market's ``tax.base``.
    base: tuple[Name, ...] | None = None
    #: The tax is part of its own base ("por dentro", Brazil's ICMS): the base is the other
    #: parts divided by (1 - rate).
    includes_itself: Flag = False

    @model_validator(mode="after")
    def _replaces(self) -> TaxComponent:
        if self.replaces is not None and not self.regions:
            raise ValueError("replaces needs regions: the component replaces another only in "
                             "its regions")
        if self.base is not None and not self.base:
            raise ValueError("base needs at least one part; leave it out for the market's base")
        return self


class TaxSpec(Strict):
    components: tuple[TaxComponent, ...]
    base: tuple[TaxBasePart, ...] = ("goods", "shipping", "duty")
    rounding: Literal["line", "order"] = "line"
    rounding_mode: Rounding = Rounding.HALF_UP
    #: Tax of this computed amount or less is not collected (e.g. CH: CHF 5).
    waive_at_or_below: MoneySchedule | None = None
    #: Share of the customs value added to the tax base of imports (ZA: "0.10", VAT Act s13).
    import_uplift: RateSchedule | None = None
    #: Costs added to the tax base of imports (transport to the first place of destination).
    import_additions: tuple[Addition, ...] = ()

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
    name: Name | None = None
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
    #: Share of the goods' price their customs value is taken at (Japan values goods imported
    #: for personal use at 60 % of the overseas retail price: "0.6"). Freight and insurance are
    #: counted in full.
    valuation_factor: Annotated[Decimal, BeforeValidator(lambda v: _factor(v))] = Decimal(1)
    rate: RateSchedule = Field(default_factory=lambda: Schedule.always(Decimal(0)))
    rules: tuple[DutyRule, ...] = ()
    #: Duty of this computed amount or less is not collected (e.g. CH: CHF 5).
    waive_at_or_below: MoneySchedule | None = None
    rounding_mode: Rounding = Rounding.HALF_UP


class Regime(Dated):
    """How duty and tax are collected for a consignment that passes this regime's tests."""

    id: Id
    name: Name
    ship_from: tuple[Country, ...] = ()
    #: Every item's origin (country where made) is one of these (CUSMA/USMCA goods).
    origin_in: tuple[Country, ...] = ()
    #: No item's origin is one of these (items without an origin pass).
    origin_not_in: tuple[Country, ...] = ()
    #: Only for destinations in these ISO 3166-2 regions; empty: everywhere in the market.
    regions: tuple[Region, ...] = ()
    max_value: MoneySchedule | None = None
    #: True: values equal to max_value pass ("up to and including"); False: only below.
    inclusive: Flag = True
    value_basis: Literal["consignment", "item"] = "consignment"
    include_shipping: Flag = False
    tax: Literal["sale", "import", "none"]
    #: charged: by the market's duty rules; none; per_category: ``per_category_duty`` for each
    #: tariff category in the parcel; rate: the regime's own ``duty_rate`` on the customs value
    #: (a simplified or flat-rate assessment), less ``duty_deduction``.
    duty: Literal["charged", "none", "per_category", "rate"]
    per_category_duty: MoneySchedule | None = None
    #: Items whose HS codes share this many leading digits are one tariff category.
    category_digits: int = Field(6, ge=2, le=10, strict=True)
    duty_rate: RateSchedule | None = None
    #: Taken off the duty of ``duty = "rate"`` (Brazil: USD 20), never below zero.
    duty_deduction: MoneySchedule | None = None
    #: Overrides the market's ``duty.valuation_factor`` under this regime.
    valuation_factor: Annotated[Decimal, BeforeValidator(lambda v: _factor(v))] | None = None
    note: Note | None = None

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, data: Any) -> Any:
        if isinstance(data, dict):
            renamed = {"flat_duty": "per_category_duty",
                       "flat_duty_category_digits": "category_digits"}
            for old, new in renamed.items():
                if old in data:
                    raise ValueError(f"{old} is now {new} (an amount per tariff category); "
                                     f"rename the key")
            if data.get("duty") == "flat":
                raise ValueError('duty = "flat" is now duty = "per_category" (an amount per '
                                 'tariff category, per_category_duty); for a percentage of '
                                 'the customs value use duty = "rate" with duty_rate')
        return data

    @model_validator(mode="after")
    def _duty(self) -> Regime:
        if self.duty == "per_category" and self.per_category_duty is None:
            raise ValueError('duty = "per_category" needs per_category_duty, e.g. "3.00 EUR"')
        if self.duty != "per_category" and self.per_category_duty is not None:
            raise ValueError('per_category_duty is only used with duty = "per_category"')
        if self.duty == "rate" and self.duty_rate is None:
            raise ValueError('duty = "rate" needs duty_rate, e.g. "0.60"')
        if self.duty != "rate" and (self.duty_rate is not None
                                    or self.duty_deduction is not None):
            raise ValueError('duty_rate and duty_deduction are only used with duty = "rate"')
        both = set(self.origin_in) & set(self.origin_not_in)
        if both:
            raise ValueError(f"origin_in and origin_not_in both list {sorted(both)}")
        return self


#: The regime the engine applies when none of a market's regimes does (no rule file holds it).
BUILTIN_STANDARD = Regime(id="standard", name="Standard import: duty and import tax",
                          tax="import", duty="charged")
#: The regime of parcels that ship from inside the market's customs territory: not imports.
BUILTIN_DOMESTIC = Regime(id="domestic", name="Domestic sale: no customs, tax at the sale",
                          tax="sale", duty="none")


class Fee(Dated):
    id: Id
    name: Name
    amount: MoneySchedule | None = None
    per_item: MoneySchedule | None = None
    rate: RateSchedule | None = None
    base: Literal["goods", "order", "duties_and_taxes"] = "goods"
    minimum: Amount | None = None
    maximum: Amount | None = None
    regimes: tuple[Id, ...] = ()
    incoterm: Literal["DDP", "DAP"] | None = None
    #: Only when duty or import tax is actually charged (brokerage, disbursement).
    only_if_duty_or_tax: Flag = False

    @model_validator(mode="after")
    def _one(self) -> Fee:
        given = [k for k in ("amount", "per_item", "rate") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("a fee needs exactly one of amount, per_item or rate"
                             + (f"; found {', '.join(given)}" if given else ""))
        return self


class Band(Strict):
    up_to_kg: Kg
    price: Amount


def _days_and_bands(days: tuple[int, int] | None, bands: tuple[Band, ...]) -> None:
    if days is not None and not 0 <= days[0] <= days[1]:
        raise ValueError(f"days {list(days)} must be [min, max] with 0 <= min <= max")
    limits = [b.up_to_kg for b in bands]
    if limits != sorted(set(limits)):
        raise ValueError("bands must be in increasing up_to_kg order, without repeats")


_POSTCODE = re.compile(r"[A-Z0-9]{1,10}")


def _postcode_prefix(v: Any) -> str:
    if not isinstance(v, str) or not _POSTCODE.fullmatch(v.replace(" ", "").upper()):
        raise ValueError(f"{v!r} is not a postcode prefix; use letters and digits, e.g. \"99\" "
                         "or \"BT\"")
    return v.replace(" ", "").upper()


class ShippingArea(Strict):
    """Where a method ships at other prices or times: regions (US-AK, CA-NU) or postcode
    prefixes (remote areas). The area's pricing replaces the method's; days too when given."""

    regions: tuple[Region, ...] = ()
    postcodes: tuple[Annotated[str, BeforeValidator(_postcode_prefix)], ...] = ()
    bands: tuple[Band, ...] = ()
    base: Amount | None = None
    per_kg: Amount | None = None
    days: tuple[Days, Days] | None = None

    @model_validator(mode="after")
    def _check(self) -> ShippingArea:
        if not self.regions and not self.postcodes:
            raise ValueError("an area needs regions or postcodes")
        if not self.bands and self.base is None and self.per_kg is None:
            raise ValueError("an area needs bands, base or per_kg (its own prices)")
        _days_and_bands(self.days, self.bands)
        return self


class ShippingMethod(Strict):
    name: Name
    days: tuple[Days, Days]
    bands: tuple[Band, ...] = ()
    base: Amount | None = None
    per_kg: Amount | None = None
    free_over: MoneySchedule | None = None
    max_kg: Kg | None = None
    default: Flag = False
    #: Freight and insurance as customs count them (CIF); default: the shipping price.
    customs: CustomsCosts = Field(default_factory=CustomsCosts)
    #: Only to these ISO 3166-2 regions (empty: the whole market) / never to these.
    regions: tuple[Region, ...] = ()
    exclude_regions: tuple[Region, ...] = ()
    #: Other prices (and times) for some regions or postcode prefixes; the first match wins.
    areas: tuple[ShippingArea, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> ShippingMethod:
        if not self.bands and self.base is None and self.per_kg is None:
            raise ValueError("a shipping method needs bands, base or per_kg")
        _days_and_bands(self.days, self.bands)
        both = set(self.regions) & set(self.exclude_regions)
        if both:
            raise ValueError(f"regions and exclude_regions both list {sorted(both)}")
        return self

    def serves(self, region: str | None) -> bool:
        """Whether this method ships to ``region`` (a method limited to some regions needs
        one of them)."""
        if region in self.exclude_regions:
            return False
        return not self.regions or region in self.regions

    def area_for(self, region: str | None, postcode: str | None) -> ShippingArea | None:
        """The first area whose regions hold ``region`` or whose prefixes start
        ``postcode``."""
        code = postcode.replace(" ", "").upper() if postcode else None
        for area in self.areas:
            if region is not None and region in area.regions:
                return area
            if code and any(code.startswith(p) for p in area.postcodes):
                return area
        return None

    def priced_for(self, area: ShippingArea | None) -> ShippingMethod:
        """This method with ``area``'s prices and days (itself without an area)."""
        if area is None:
            return self
        return self.model_copy(update={"bands": area.bands, "base": area.base,
                                       "per_kg": area.per_kg,
                                       "days": area.days or self.days, "areas": ()})


class Restriction(Strict):
    hs: tuple[HsPrefix, ...] = ()
    categories: tuple[Category, ...] = ()
    reason: Note


class Unconfirmed(Strict):
    """A fact of this file that could not be confirmed from a public source: listed by
    ``pricing validate --warnings``, never presented as fact."""

    #: Key path in this market file, e.g. ``"duty.rate"`` or ``"regimes[0].max_value"``.
    key: str = Field(min_length=1, max_length=200)
    #: What is not confirmed, and what would confirm it.
    why: str = Field(min_length=1, max_length=1000)


class MarketSpec(Strict):
    id: Id
    name: Name
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
    #: Payment methods offered, by id of the bundled registry (docs/payments.md), in the order
    #: a checkout shows them.
    payment_methods: Annotated[tuple[PaymentMethodId, ...], BeforeValidator(_distinct)] = ()
    pricing: PricingSpec = Field(default_factory=PricingSpec)
    tax: TaxSpec | None = None
    duty: DutySpec = Field(default_factory=DutySpec)
    regimes: tuple[Regime, ...] = ()
    fees: tuple[Fee, ...] = ()
    #: Empty: the market quotes duty and tax only (no shipping charge).
    shipping: dict[Id, ShippingMethod] = Field(default_factory=dict)
    restrictions: tuple[Restriction, ...] = ()
    #: Public sources of the facts in this file, each with the date it was checked.
    sources: tuple[Note, ...] = ()
    #: Facts of this file not confirmed from a public source (see :class:`Unconfirmed`).
    unconfirmed: tuple[Unconfirmed, ...] = ()

    @model_validator(mode="after")
    def _coherent(self, info: ValidationInfo) -> MarketSpec:
        # The loader asks for the cross-field checks separately (context "defer_cross_checks")
        # so that each gets its own key and the file that key came from; other callers get
        # them all here, in one ValueError.
        if info.context and info.context.get("defer_cross_checks"):
            return self
        problems = self.cross_problems()
        if problems:
            raise ValueError("; ".join(message for _, message in problems))
        return self

    def cross_problems(self) -> list[tuple[tuple[str | int, ...], str]]:
        """What is wrong between fields, each as (key path, message): checks one field's
        schema cannot make alone."""
        out: list[tuple[tuple[str | int, ...], str]] = [
            # No shipping methods is allowed: a market that only quotes duty and tax.
            ((k,), f"{k} needs at least one entry") for k in ("countries", "locales")
            if not getattr(self, k)]
        for i, c in enumerate(self.countries):
            if c in self.countries[:i]:
                out.append((("countries", i), f"{c} is listed twice"))
        if self.incoterm == "DAP" and self.price_display == "inclusive":
            out.append((("incoterm",), "incoterm DAP needs price_display = \"exclusive\": under "
                        "DAP import taxes are paid on delivery, so shown prices cannot include "
                        "them"))
        if self.locales and self.default_locale not in self.locales:
            out.append((("default_locale",), f"default_locale {self.default_locale!r} is not "
                        f"one of locales {list(self.locales)}"))
        defaults = [k for k, m in self.shipping.items() if m.default]
        for k in defaults[1:]:
            out.append((("shipping", k, "default"), f"more than one default shipping method: "
                        f"{defaults}"))
        for i, r in enumerate(self.regimes):
            if any(o.id == r.id and _overlap(o, r) for o in self.regimes[:i]):
                out.append((("regimes", i, "id"), f"regime {r.id!r} appears twice with "
                            "overlapping dates"))
        for sku, price in self.pricing.prices.items():
            if price.currency != self.currency:
                out.append((("pricing", "prices", sku), f"pricing.prices.{sku} is in "
                            f"{price.currency}; fixed prices must be in the market currency "
                            f"{self.currency}"))
        if self.pricing.ending is not None:
            from pricing.endings import PriceEnding
            e = self.pricing.ending
            why = PriceEnding(step=e.step, ending=e.ending, mode=e.mode).check_currency(
                self.currency)
            if why:
                out.append((("pricing", "ending", why.split()[0]), f"pricing.ending: {why}"))
        for i, region in enumerate(self.exclude_regions):
            if region.split("-")[0] not in self.countries:
                out.append((("exclude_regions", i), f"exclude_regions {region} is not in "
                            f"countries {list(self.countries)}"))
        if self.tax:
            for ci, c in enumerate(self.tax.components):
                for ri, region in enumerate(c.regions):
                    if region.split("-")[0] not in self.countries:
                        out.append((("tax", "components", ci, "regions", ri),
                                    f"tax component {c.name!r} region {region} is not in "
                                    f"countries {list(self.countries)}"))
                if c.includes_itself and any(v >= 1 for v in (
                        *c.rate.values(), *(r for sched in c.categories.values()
                                            for r in sched.values()))):
                    # its base is the other parts / (1 - rate): a rate of 1 divides by zero
                    out.append((("tax", "components", ci, "includes_itself"),
                                f"tax component {c.name!r} includes itself, so each of its "
                                "rates must be below 1"))
            for i, part in enumerate(self.tax.base):
                if part in self.tax.base[:i]:
                    out.append((("tax", "base", i), f"{part!r} is listed twice in tax.base"))
            out += [(("tax", "components"), message) for message in _tax_chain_problems(
                self.tax, exclusive=self.price_display == "exclusive")]
        for mid, m in self.shipping.items():
            listed = [*m.regions, *m.exclude_regions, *(r for a in m.areas for r in a.regions)]
            for region in listed:
                if region.split("-")[0] not in self.countries:
                    out.append((("shipping", mid), f"shipping.{mid}: region {region} is not in "
                                f"countries {list(self.countries)}"))
        for i, r in enumerate(self.regimes):
            for region in r.regions:
                if region.split("-")[0] not in self.countries:
                    out.append((("regimes", i, "regions"), f"regime {r.id!r} region {region} "
                                f"is not in countries {list(self.countries)}"))
            if (r.valuation_factor is not None and r.valuation_factor < 1
                    and self.price_display == "inclusive"):
                out.append((("regimes", i, "valuation_factor"), f"regime {r.id!r}: a "
                            "valuation factor below 1 needs price_display = \"exclusive\" "
                            "(tax-inclusive prices would hold more tax than the import owes)"))
        if self.duty.valuation_factor < 1 and self.price_display == "inclusive":
            out.append((("duty", "valuation_factor"), "duty.valuation_factor below 1 needs "
                        "price_display = \"exclusive\" (tax-inclusive prices would hold more "
                        "tax than the import owes)"))
        return out


def _tax_chain_problems(tax: TaxSpec, *, exclusive: bool) -> list[str]:
    """Bases that name unknown parts or components, chains that loop, and what only a
    tax-exclusive market can express (a base on the customs value or on another tax)."""
    problems: list[str] = []
    names = [c.name for c in tax.components]
    if "customs_value" in tax.base and not exclusive:
        problems.append('tax.base "customs_value" needs price_display = "exclusive": in '
                        "tax-inclusive markets the base is the displayed price")
    for c in tax.components:
        if c.replaces is not None:
            target = [o for o in tax.components if o.name == c.replaces]
            if not target:
                problems.append(f"tax component {c.name!r} replaces {c.replaces!r}, which is "
                                f"not a component; components: {names}")
            elif target[0].regions:
                problems.append(f"tax component {c.name!r} replaces {c.replaces!r}, which "
                                "applies only in some regions itself; replace a market-wide one")
        if c.base is None:
            if c.includes_itself and not exclusive:
                problems.append(f"tax component {c.name!r}: includes_itself needs "
                                'price_display = "exclusive"')
            continue
        for part in c.base:
            if part == c.name:
                problems.append(f"tax component {c.name!r} names itself in its base; a tax "
                                "that is part of its own base is written includes_itself = "
                                "true")
            elif part not in BASE_PARTS and part not in names:
                hint = did_you_mean(part, [*BASE_PARTS, *names])
                problems.append(f"tax component {c.name!r}: unknown base part {part!r}; "
                                f"parts are {', '.join(BASE_PARTS)} or a component name"
                                + (f" (did you mean {hint!r}?)" if hint else ""))
        chained = [p for p in c.base if p in names or p == "customs_value"]
        if (chained or c.includes_itself) and not exclusive:
            problems.append(f"tax component {c.name!r}: a base on other taxes, on the customs "
                            "value or on itself needs price_display = \"exclusive\"")
    # A chain must not loop back (A on B, B on A).
    deps = {c.name: {p for p in (c.base or ()) if p in names and p != c.name}
            for c in tax.components}
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            loop = [*path[path.index(name):], name]
            problems.append(f"tax components loop through their bases: {' -> '.join(loop)}")
            return
        state[name] = 1
        for d in sorted(deps[name]):
            visit(d, [*path, name])
        state[name] = 2

    for name in names:
        visit(name, [])
    return list(dict.fromkeys(problems))


def rule_values(value: Any) -> Iterator[Any]:
    """Every value a rule model holds, depth first: each nested model (a ``Dated`` among
    them), each ``Schedule`` and each value inside it, each ``Money``: what the engine walks to
    find the dates rules change on and the currencies they are stated in."""
    if isinstance(value, Schedule):
        yield value
        for v in value.values():
            yield from rule_values(v)
    elif isinstance(value, BaseModel):
        yield value
        for name in type(value).model_fields:
            yield from rule_values(getattr(value, name))
    elif isinstance(value, tuple | list):
        for v in value:
            yield from rule_values(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from rule_values(v)
    elif isinstance(value, Money):
        yield value


def component_order(tax: TaxSpec) -> tuple[int, ...]:
    """Component indexes in an order where each comes after those its base names."""
    names = {c.name: i for i, c in enumerate(tax.components)}
    done: list[int] = []

    def visit(i: int) -> None:
        if i in done:
            return
        for part in tax.components[i].base or ():
            j = names.get(part)
            if j is not None and j != i:
                visit(j)
        done.append(i)

    for i in range(len(tax.components)):
        visit(i)
    return tuple(done)


def _overlap(a: Dated, b: Dated) -> bool:
    return ((a.from_ or date.min) <= (b.to or date.max)
            and (b.from_ or date.min) <= (a.to or date.max))
