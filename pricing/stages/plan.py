"""Compiled market plans: what a quote needs that does not depend on the cart, computed once.

A market's rules change on dates (a VAT rate from 2025-07-01, a regime until 2028-06-30). The
dates split time into intervals inside which every rule value is constant; each interval gets a
:class:`MarketPlan`: the values in force, thresholds and fixed amounts already converted to the
market currency at the engine's rates, HS prefixes and categories flattened into dict lookups,
rule references and labels rendered. A quote date picks its plan by bisection; the stages then
only walk the cart. Plans are immutable and built with the engine, so a reload swaps them
atomically with the rules.

Plans hold small memo tables for what depends on request values from a bounded set (the item
currency's conversion, the requested locale): filled on first use, never larger than that set.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from pricing.endings import PriceEnding
from pricing.errors import (
    MissingRateError,
    RestrictedItemError,
    ShippingError,
    UnknownShippingMethodError,
    did_you_mean,
)
from pricing.fx import ExchangeRate, RateTable
from pricing.l10n.formatting import format_delivery_range, negotiate_locale
from pricing.markets import Market
from pricing.markets.schema import (
    BUILTIN_DOMESTIC,
    BUILTIN_STANDARD,
    Cost,
    Dated,
    Fee,
    MarketSpec,
    Regime,
    Schedule,
    ShippingArea,
    ShippingMethod,
    ShopSpec,
    component_order,
    rule_values,
)
from pricing.money import CONTEXT, Money, minor_unit
from pricing.stages.delivery import delivery_window

__all__ = [
    "ComponentPlan",
    "Conversion",
    "DutyRulePlan",
    "FeePlan",
    "MarketPlan",
    "MarketPlans",
    "MethodPlan",
    "RegimePlan",
    "RestrictionPlan",
    "compile_market",
    "rule_currencies",
]

#: Built-in regimes (no rule file): when no regime of the market applies, and for parcels that
#: ship from inside the market's customs territory.
STANDARD, DOMESTIC = BUILTIN_STANDARD, BUILTIN_DOMESTIC

_ONE_DAY = timedelta(days=1)
_MEMO_LIMIT = 512  # per plan: requested locales and item currencies are bounded sets anyway


# -- compiled parts ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ComponentPlan:
    """A tax component in force: its rates by category (standard rate under None), and its
    base: which parts it is charged on and which components' tax (a chain)."""

    index: int
    name: str
    rule: str
    rate: Decimal | None
    categories: Mapping[str, Decimal | None]
    goods: bool = True
    shipping: bool = True
    duty: bool = True
    customs_value: bool = False
    #: Indexes of the components whose tax is part of this one's base.
    on: tuple[int, ...] = ()
    includes_itself: bool = False

    @property
    def ship_rate(self) -> Decimal:
        """Shipping is taxed at the standard rate, whatever the goods' category rate."""
        return self.rate or Decimal(0)

    def rate_for(self, category: str | None) -> Decimal | None:
        if category is not None and category in self.categories:
            return self.categories[category]
        return self.rate


@dataclass(frozen=True, slots=True)
class Conversion:
    """How a price in one currency becomes a local value before its ending: the rate, the
    exact factor ``rate x (1 + FX markup) x (1 + adjustment)`` (the markup only when the
    currencies differ) and the words of the price note after the amount."""

    rate: ExchangeRate
    factor: Decimal
    text: str


@dataclass(frozen=True, slots=True)
class RegimePlan:
    """A regime in force, its threshold already in the market currency (rounded half-up)."""

    regime: Regime
    rule: str | None
    ship_from: frozenset[str]
    limit_src: Money | None
    limit: Decimal | None
    #: The limit as quotes print it: "150.00 EUR" or "150.00 EUR (1612.50 SEK at the ...)".
    limit_text: str
    inclusive: bool
    per_item: bool
    include_shipping: bool
    #: Amount per tariff category (duty = "per_category"), in the market currency, rounded.
    per_category_src: Money | None
    per_category: Decimal | None
    #: The regime's own duty rate (duty = "rate") and deduction (exact, market currency).
    duty_rate: Decimal | None
    deduction_src: Money | None
    deduction: Decimal | None
    #: Share of the goods' price their customs value is taken at under this regime.
    valuation_factor: Decimal
    origin_in: frozenset[str]
    origin_not_in: frozenset[str]
    regions: frozenset[str]


@dataclass(frozen=True, slots=True)
class DutyRulePlan:
    """A duty rule in force, its specific amounts converted (unrounded) to the market currency."""

    index: int
    name: str
    rule: str
    rate: Decimal
    rate_missing: bool
    per_kg: Decimal | None
    per_unit: Decimal | None
    minimum: Decimal | None
    maximum: Decimal | None
    specific: bool


@dataclass(frozen=True, slots=True)
class FeePlan:
    """A fee in force."""

    index: int
    fee: Fee
    rule: str
    amount_src: Money | None
    amount: Decimal | None
    per_item_src: Money | None
    per_item: Decimal | None
    rate: Decimal | None
    minimum: Decimal | None
    maximum: Decimal | None


@dataclass(frozen=True, slots=True)
class MethodPlan:
    """A shipping method: its spec, free-over threshold in force (local, rounded) and rule."""

    id: str
    method: ShippingMethod
    rule: str
    free_over_src: Money | None
    free_over: Decimal | None
    #: Per weight band: its upper limit, its price in the market currency (rounded half-up),
    #: the explanation, and whether the rule's own price is above zero.
    bands: tuple[tuple[Decimal, Decimal, str, bool], ...] = ()
    #: Freight and insurance as customs count them (None: the shipping price; no insurance).
    freight: Cost | None = None
    insurance: Cost | None = None
    #: Each area of the method with the method priced for it.
    areas: tuple[tuple[ShippingArea, MethodPlan], ...] = ()


@dataclass(frozen=True, slots=True)
class RestrictionPlan:
    hs: tuple[str, ...]
    categories: frozenset[str]
    reason: str
    rule: str


class _Prefixes:
    """Longest-prefix lookup of duty rules: ``{prefix: rule}`` probed from the longest length."""

    __slots__ = ("lengths", "table")

    def __init__(self, rules: list[tuple[str, DutyRulePlan]]) -> None:
        table: dict[str, DutyRulePlan] = {}
        for prefix, rule in rules:  # rules come in file order: the first of a prefix wins
            table.setdefault(prefix, rule)
        self.table = table
        self.lengths = tuple(sorted({len(p) for p in table}, reverse=True))

    def find(self, hs_code: str | None) -> DutyRulePlan | None:
        table = self.table
        for n in self.lengths:
            if n == 0:
                return table[""]
            if hs_code is not None and len(hs_code) >= n:
                found = table.get(hs_code[:n])
                if found is not None:
                    return found
        return None


# -- the plan ---------------------------------------------------------------------------------

class MarketPlan:
    """One market's rules in force during one date interval, ready to quote.

    Everything here is read-only once compiled; the two memo tables (conversions by item
    currency, locale negotiation by requested tag) only ever gain entries computed from the
    same immutable inputs.
    """

    def __init__(self, market: Market, *, shop: ShopSpec, rates: RateTable, on: date,
                 labels: Any = None) -> None:
        spec: MarketSpec = market.spec
        self._on = on  # the first day of the interval: every rule value is read on it
        self.market = market
        self.spec = spec
        self.id = spec.id
        self.currency = cur = spec.currency
        self.unit = minor_unit(cur)
        self.zero = Decimal(0).quantize(self.unit)
        self.rates = rates
        self.labels = labels
        self.shop = shop
        #: The engine's rate from the shop's base currency (what a quote reports).
        self.fx: ExchangeRate = rates.rate(shop.base_currency, cur)
        fx = self.fx
        #: The quote's ``fx`` member but for the quote date's age of the rates.
        self.fx_fields = {
            "from": fx.source_currency, "to": fx.target, "rate": str(fx.rate),
            "markup": str(spec.pricing.fx_markup if fx.rate != 1 else Decimal(0)),
            "adjustment": str(spec.pricing.adjustment), "source": fx.source,
            "as_of": fx.as_of.isoformat()}
        #: The rates converting the rules' own amounts (thresholds, fees, shipping prices in
        #: another currency): every quote of the market uses them.
        self.rule_rates = tuple(rates.rate(c, cur) for c in sorted(rule_currencies(spec))
                                if c != cur)
        self.default_locale = spec.default_locale
        self.incoterm = spec.incoterm
        self.payable_import = "delivery" if spec.incoterm == "DAP" else "checkout"
        self.territory = frozenset(spec.customs_territory or spec.countries)
        self.warnings: tuple[str, ...] = ()
        self._rates_memo: dict[str, ExchangeRate] = {cur: rates.rate(cur, cur)}
        self._conversions: dict[str, Conversion] = {}
        self._locale_memo: dict[str | None, tuple[str, tuple[str, ...]]] = {}
        self._label_memo: dict[tuple[str, str], str] = {}
        self._delivery_memo: dict[tuple[str, str], str] = {}
        self._dates_memo: dict[tuple[Any, ...], dict[str, str]] = {}

        # prices
        p = spec.pricing
        self.fixed = {sku: (m.round().amount, f"fixed price list "
                            f"({market.rule_ref('pricing', 'prices')})")
                      for sku, m in p.prices.items()}
        self.fx_markup = p.fx_markup
        self.adjustment = p.adjustment
        self.ending = (PriceEnding(step=p.ending.step, ending=p.ending.ending, mode=p.ending.mode)
                       if p.ending is not None else None)
        self.ending_text = (f"-> ending {p.ending.ending} step {p.ending.step} "
                            f"{p.ending.mode.value}" if p.ending is not None else "")
        self.rounding = p.rounding
        self.rounding_mode = p.rounding.decimal_mode

        # restrictions
        self.restrictions = tuple(
            RestrictionPlan(hs=r.hs, categories=frozenset(r.categories), reason=r.reason,
                            rule=market.rule_ref("restrictions", i))
            for i, r in enumerate(spec.restrictions))

        # shipping
        self.methods = {k: self._method(k, m) for k, m in spec.shipping.items()}
        #: The default method first, then the others in file order (None: no shipping).
        self._method_order = tuple(sorted(self.methods.values(),
                                          key=lambda mp: not mp.method.default))

        # tax
        tax = spec.tax
        self.tax = tax
        self.inclusive = spec.price_display == "inclusive" and tax is not None
        parts = frozenset(tax.base) if tax is not None else frozenset()
        self.tax_goods = "goods" in parts
        self.tax_shipping = "shipping" in parts
        self.tax_duty = "duty" in parts
        self.additions = (tuple((a.name, a) for a in tax.import_additions)
                          if tax is not None else ())
        self.tax_line_rounding = tax is not None and tax.rounding == "line"
        self.tax_mode = tax.rounding_mode.decimal_mode if tax is not None else ""
        self.tax_waive_src = (tax.waive_at_or_below.at(on) if tax is not None
                              and tax.waive_at_or_below is not None else None)
        self.tax_waive = (self.to_local(self.tax_waive_src)
                          if self.tax_waive_src is not None else None)
        self.import_uplift = ((tax.import_uplift.at(on) if tax is not None
                               and tax.import_uplift is not None else None) or Decimal(0))
        names = {c.name: i for i, c in enumerate(tax.components)} if tax is not None else {}
        components = [
            ComponentPlan(index=i, name=c.name, rule=market.rule_ref("tax", "components", i),
                          rate=c.rate.at(on),
                          categories={k: v.at(on) for k, v in c.categories.items()},
                          goods="goods" in (base := c.base or tax.base),
                          shipping="shipping" in base, duty="duty" in base,
                          customs_value="customs_value" in base,
                          on=tuple(names[p] for p in base if p in names),
                          includes_itself=c.includes_itself)
            for i, c in enumerate(tax.components)] if tax is not None else []
        #: Every component in force, by its index in the rule file.
        self.components_by_index = tuple(components)
        #: Position of each component in chain order (each after those its base names); the
        #: tax stage walks components in it, everything else in file order.
        order = component_order(tax) if tax is not None else ()
        self.chain_position = {ci: pos for pos, ci in enumerate(order)}
        self.has_chains = any(cp.on for cp in components)
        regions = {r for c in (tax.components if tax else ()) for r in c.regions}
        self._components = {
            region: tuple(components[i] for i, _ in market.tax_components(region))
            for region in (None, *sorted(regions))} if tax is not None else {None: ()}
        self._std_rate_sum = {
            region: sum((c.rate or Decimal(0) for c in comps), Decimal(0))
            for region, comps in self._components.items()}

        # duty
        duty = spec.duty
        self.cif = duty.valuation == "CIF"
        self.valuation = duty.valuation
        self.duty_mode = duty.rounding_mode.decimal_mode
        default_rate = duty.rate.at(on)
        self.default_duty = DutyRulePlan(
            index=-1, name="Duties", rule=market.rule_ref("duty", "rate"),
            rate=default_rate or Decimal(0), rate_missing=default_rate is None,
            per_kg=None, per_unit=None, minimum=None, maximum=None, specific=False)
        general: list[tuple[str, DutyRulePlan]] = []
        by_origin: dict[str, list[tuple[str, DutyRulePlan]]] = {}
        indexed = sorted(enumerate(duty.rules),
                         key=lambda ir: (not ir[1].origins, -len(ir[1].hs or ""), ir[0]))
        for i, r in indexed:
            rate = r.rate.at(on) if r.rate else None
            per_kg = r.per_kg.at(on) if r.per_kg else None
            per_unit = r.per_unit.at(on) if r.per_unit else None
            plan = DutyRulePlan(
                index=i, name=r.name or "Duties", rule=market.rule_ref("duty", "rules", i),
                rate=rate or Decimal(0), rate_missing=r.rate is not None and rate is None,
                per_kg=self.exact(per_kg) if per_kg is not None else None,
                per_unit=self.exact(per_unit) if per_unit is not None else None,
                minimum=self.exact(r.minimum) if r.minimum is not None else None,
                maximum=self.exact(r.maximum) if r.maximum is not None else None,
                specific=bool(r.per_kg or r.per_unit))
            entry = (r.hs or "", plan)
            if r.origins:
                for o in r.origins:
                    by_origin.setdefault(o, []).append(entry)
            else:
                general.append(entry)
        self._duty_general = _Prefixes(general)
        self._duty_by_origin = {o: _Prefixes(rules) for o, rules in by_origin.items()}
        self.duty_waive_src = duty.waive_at_or_below.at(on) if duty.waive_at_or_below else None
        self.duty_waive = (self.to_local(self.duty_waive_src)
                           if self.duty_waive_src is not None else None)

        # regimes and fees in force
        self.regimes = tuple(self._regime(i, r) for i, r in enumerate(spec.regimes)
                             if r.in_force(on))
        self.standard = self._regime(None, STANDARD)
        self.domestic = self._regime(None, DOMESTIC)
        self.fees = tuple(self._fee(i, f) for i, f in enumerate(spec.fees) if f.in_force(on))

    # -- conversions of rule amounts (compile time, and shipping prices at quote time) ---------

    def rate_from(self, currency: str) -> ExchangeRate:
        """The rate converting ``currency`` into the market currency (memoized per plan)."""
        found = self._rates_memo.get(currency)
        if found is None:
            found = self.rates.rate(currency, self.currency)
            if len(self._rates_memo) < _MEMO_LIMIT:
                self._rates_memo[currency] = found
        return found

    def conversion(self, currency: str) -> Conversion:
        """How prices in ``currency`` are converted, marked up and adjusted (memoized)."""
        found = self._conversions.get(currency)
        if found is None:
            rate = self.rate_from(currency)
            factor = rate.rate
            foreign = currency != self.currency
            text = f" {currency} x {rate.rate}" if foreign else f" {currency}"
            if foreign and self.fx_markup:
                factor = CONTEXT.multiply(factor, 1 + self.fx_markup)
                text += f" x (1 + {self.fx_markup} FX markup)"
            if self.adjustment:
                factor = CONTEXT.multiply(factor, 1 + self.adjustment)
                text += f" x (1 + {self.adjustment} adjustment)"
            found = Conversion(rate=rate, factor=factor, text=text)
            if len(self._conversions) < _MEMO_LIMIT:
                self._conversions[currency] = found
        return found

    def to_local(self, money: Money) -> Decimal:
        """A rule amount in the market currency, rounded half-up to its minor unit."""
        if money.currency == self.currency:
            return money.round().amount
        return self.rates.convert(money, self.currency).amount

    def exact(self, money: Money) -> Decimal:
        """A rule amount in the market currency, unrounded (it is multiplied before rounding)."""
        if money.currency == self.currency:
            return money.amount
        return self.rate_from(money.currency).convert(money).amount

    # -- compile helpers ----------------------------------------------------------------------

    def _regime(self, index: int | None, r: Regime) -> RegimePlan:
        limit_src = r.max_value.at(self._on) if r.max_value else None
        limit = self.to_local(limit_src) if limit_src is not None else None
        text = ""
        if limit_src is not None:
            text = str(limit_src)
            if limit_src.currency != self.currency:
                text += f" ({limit} {self.currency} at the quote's rate)"
        on = self._on
        per_cat = r.per_category_duty.at(on) if r.per_category_duty else None
        deduction = r.duty_deduction.at(on) if r.duty_deduction else None
        factor = (r.valuation_factor if r.valuation_factor is not None
                  else self.spec.duty.valuation_factor)
        return RegimePlan(
            regime=r, rule=self.market.rule_ref("regimes", index) if index is not None else None,
            ship_from=frozenset(r.ship_from), limit_src=limit_src, limit=limit,
            limit_text=text, inclusive=r.inclusive, per_item=r.value_basis == "item",
            include_shipping=r.include_shipping, per_category_src=per_cat,
            per_category=self.to_local(per_cat) if per_cat is not None else None,
            duty_rate=r.duty_rate.at(on) if r.duty_rate else None, deduction_src=deduction,
            deduction=self.exact(deduction) if deduction is not None else None,
            valuation_factor=factor, origin_in=frozenset(r.origin_in),
            origin_not_in=frozenset(r.origin_not_in), regions=frozenset(r.regions))

    def _method(self, key: str, m: ShippingMethod, *, area: int | None = None) -> MethodPlan:
        fo = m.free_over.at(self._on) if m.free_over else None
        rule = self.market.rule_ref("shipping", key) if area is None else \
            self.market.rule_ref("shipping", key, "areas", area)
        return MethodPlan(
            id=key, method=m, rule=rule, free_over_src=fo,
            free_over=self.to_local(fo) if fo is not None else None,
            bands=tuple((b.up_to_kg, self.to_local(b.price), f"weight band up to {b.up_to_kg} kg",
                         bool(b.price)) for b in m.bands),
            freight=m.customs.freight, insurance=m.customs.insurance,
            areas=tuple((a, self._method(key, m.priced_for(a), area=i))
                        for i, a in enumerate(m.areas)) if area is None else ())

    def _fee(self, index: int, f: Fee) -> FeePlan:
        on = self._on
        amount = f.amount.at(on) if f.amount is not None else None
        per_item = f.per_item.at(on) if f.per_item is not None else None
        return FeePlan(
            index=index, fee=f, rule=self.market.rule_ref("fees", index),
            amount_src=amount, amount=self.exact(amount) if amount is not None else None,
            per_item_src=per_item,
            per_item=self.exact(per_item) if per_item is not None else None,
            rate=f.rate.at(on) if f.rate is not None else None,
            minimum=self.exact(f.minimum) if f.minimum is not None else None,
            maximum=self.exact(f.maximum) if f.maximum is not None else None)

    # -- look-ups a quote makes ---------------------------------------------------------------

    def components(self, region: str | None) -> tuple[ComponentPlan, ...]:
        """The tax components that apply in ``region`` (all unregional ones for None)."""
        found = self._components.get(region)
        return found if found is not None else self._components[None]

    def std_rate_sum(self, region: str | None) -> Decimal:
        found = self._std_rate_sum.get(region)
        return found if found is not None else self._std_rate_sum[None]

    def duty_rule_for(self, hs_code: str | None, origin: str | None) -> DutyRulePlan | None:
        """An origin preference first, then the longest HS prefix; None: the default rate."""
        if origin is not None:
            pref = self._duty_by_origin.get(origin)
            if pref is not None and (found := pref.find(hs_code)) is not None:
                return found
        return self._duty_general.find(hs_code)

    def method(self, wanted: str | None, *, region: str | None = None,
               postal_code: str | None = None) -> MethodPlan | None:
        """The shipping method for a destination, priced for its area: the one asked for,
        else the default, else the first that ships there; None for a market without
        shipping (duty and tax only)."""
        if wanted is None:
            found = None
            for mp in self._method_order:  # a loop: an abandoned generator costs a throw
                if mp.method.serves(region):
                    found = mp
                    break
            if found is None:
                if not self.methods:
                    return None
                raise ShippingError(
                    f"no shipping method of market {self.id!r} ships to "
                    f"{region or 'a destination without a region'}; give destination.region",
                    field="destination.region", value=region,
                    expected=", ".join(sorted({r for mp in self.methods.values()
                                               for r in mp.method.regions})))
        else:
            found = self.methods.get(wanted)
            if found is None:
                raise UnknownShippingMethodError(
                    f"market {self.id!r} has no shipping method {wanted!r}"
                    + ("" if self.methods else ": it quotes duty and tax only"),
                    field="shipping_method", value=wanted, expected=", ".join(self.methods),
                    suggestion=did_you_mean(wanted, self.methods))
            if not found.method.serves(region):
                raise ShippingError(
                    f"shipping method {wanted!r} of market {self.id!r} does not ship to "
                    f"{region or 'a destination without a region'}", field="shipping_method",
                    value=wanted, expected=", ".join(
                        k for k, mp in self.methods.items() if mp.method.serves(region)))
        if found.areas:
            area = found.method.area_for(region, postal_code)
            if area is not None:
                return next(mp for a, mp in found.areas if a is area)
        return found

    def locale_for(self, requested: str | None) -> tuple[str, tuple[str, ...]]:
        """The quote locale and the chain tried (negotiation memoized per requested tag)."""
        found = self._locale_memo.get(requested)
        if found is None:
            spec = self.spec
            found = negotiate_locale([requested] if requested else [], spec.locales,
                                     spec.default_locale)
            if len(self._locale_memo) < _MEMO_LIMIT:
                self._locale_memo[requested] = found
        return found

    def label(self, name: str, locale: str) -> str:
        """A charge name in ``locale`` (the name itself without label catalogs)."""
        key = (name, locale)
        found = self._label_memo.get(key)
        if found is None:
            labels = self.labels
            found = (labels.gettext(name, locale, default=self.default_locale)
                     if labels is not None else name)
            if len(self._label_memo) < _MEMO_LIMIT:
                self._label_memo[key] = found
        return found

    def delivery(self, method: MethodPlan, locale: str) -> str:
        """"Delivered in 3–5 days" for ``method`` in ``locale``."""
        key = (method.rule, locale)
        found = self._delivery_memo.get(key)
        if found is None:
            lo, hi = method.method.days
            labels = self.labels
            found = (labels.delivered_in(lo, hi, locale, default=self.default_locale)
                     if labels is not None else f"Delivered in {lo}–{hi} days")
            if len(self._delivery_memo) < _MEMO_LIMIT:
                self._delivery_memo[key] = found
        return found

    def delivery_dates(self, method: MethodPlan, day: date, locale: str, *, country: str,
                       region: str | None) -> dict[str, str]:
        """The delivery window as dates (business days from ``day``, skipping the
        destination's weekends and public holidays) and as the locale writes it."""
        key = (method.rule, day, locale, country, region)
        found = self._dates_memo.get(key)
        if found is None:
            first, last = delivery_window(day, method.method.days, country=country,
                                          region=region)
            found = {"earliest": first.isoformat(), "latest": last.isoformat(),
                     "text": format_delivery_range(first, last, locale)}
            if len(self._dates_memo) >= _MEMO_LIMIT:
                self._dates_memo.clear()  # a new quote day: yesterday's windows are done
            self._dates_memo[key] = found
        return dict(found)

    def check_restrictions(self, items: Any) -> None:
        """Refuse the first item a ``[[restrictions]]`` entry forbids."""
        for rule in self.restrictions:
            for idx, item in enumerate(items):
                hs = item.hs_code
                if (hs and hs.startswith(rule.hs)) or (
                        item.category is not None and item.category in rule.categories):
                    raise RestrictedItemError(
                        f"item {item.sku!r} cannot be sold to market {self.id!r}: "
                        f"{rule.reason} ({rule.rule})", field=f"items[{idx}]", value=item.sku)



def _compile(market: Market, *, shop: ShopSpec, rates: RateTable, on: date,
             labels: Any) -> MarketPlan | MissingRateError:
    try:
        return MarketPlan(market, shop=shop, rates=rates, on=on, labels=labels)
    except MissingRateError as e:  # kept: quotes of this market raise it, /readyz reports it
        return e


class MarketPlans:
    """Every plan of one market, one per date interval, picked by the quote date."""

    __slots__ = ("market", "plans", "starts")

    def __init__(self, market: Market, starts: tuple[date, ...],
                 plans: tuple[MarketPlan | MissingRateError, ...]) -> None:
        self.market = market
        self.starts = starts
        self.plans = plans

    def at(self, day: date) -> MarketPlan:
        """The plan in force on ``day``; raises the rate error of a market its rates cannot
        price (the service reports such markets on /readyz)."""
        plan = self.plans[bisect.bisect_right(self.starts, day)]
        if isinstance(plan, MissingRateError):
            raise MissingRateError(plan.message, field=plan.field, value=plan.value,
                                   expected=plan.expected)
        return plan

    @property
    def unpriceable(self) -> MissingRateError | None:
        """The rate error of the first interval that cannot be priced, if any."""
        return next((p for p in self.plans if isinstance(p, MissingRateError)), None)


def compile_market(market: Market, *, shop: ShopSpec, rates: RateTable,
                   labels: Any = None) -> MarketPlans:
    """Compile ``market`` into one plan per date interval of its rules."""
    starts = change_dates(market.spec)
    days = (date.min, *starts)
    return MarketPlans(market, starts, tuple(
        _compile(market, shop=shop, rates=rates, on=d, labels=labels) for d in days))


def change_dates(spec: BaseModel) -> tuple[date, ...]:
    """Every day on which some rule value of ``spec`` starts or stops being in force."""
    found: set[date] = set()
    for start, end in _periods(spec):
        if start is not None and start != date.min:
            found.add(start)
        if end is not None and end != date.max:
            found.add(end + _ONE_DAY)
    return tuple(sorted(found))


def _periods(value: Any) -> Iterator[tuple[date | None, date | None]]:
    for v in rule_values(value):
        if isinstance(v, Schedule):
            for start, end, _ in v.periods:
                yield start, end
        elif isinstance(v, Dated):
            yield v.from_, v.to


def rule_currencies(spec: BaseModel) -> frozenset[str]:
    """Every currency the rules of ``spec`` state an amount in."""
    return frozenset(v.currency for v in rule_values(spec) if isinstance(v, Money))
