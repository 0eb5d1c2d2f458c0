"""Many SKUs x one market: the landed unit price of each catalog item, for feeds and
``POST /v1/prices``.

The landed unit price of an item is what a product page or a channel feed shows for one unit
bought alone: the total of a quote for a cart of that one unit with shipping excluded (no
shipping charge, no freight in the customs value; channels take shipping in a column of their
own), so the unit price plus the duty, the tax not already inside the price, and the fees that
such a cart pays (docs/calculation.md, "Landed unit price").

:class:`BulkPricer` prices many items against one market plan, reusing everything that does not
change between SKUs, and gives exactly what :meth:`pricing.Engine.quote` gives item by item
(tests/test_bulk.py compares them on random catalogs).

>>> from datetime import date
>>> from pricing import Engine, Money
>>> engine = Engine.from_directory("rules")
>>> pricer = BulkPricer(engine, "de", on=date(2026, 11, 23))
>>> [row] = pricer.price_many([CatalogItem("TEE", Money.of("20.00", "EUR"))])
>>> row.landed_price, row.formatted_landed_price
(Decimal('20.99'), '20,99\\xa0€')
"""

from __future__ import annotations

import re
from collections import namedtuple
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from decimal import (
    ROUND_CEILING,
    ROUND_FLOOR,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Decimal,
    localcontext,
)
from math import gcd
from typing import TYPE_CHECKING, NamedTuple

from pricing.endings import EndingMode
from pricing.errors import MissingRateError, PricingError, QuoteRefusedError, RequestError
from pricing.l10n.formatting import money_formatter
from pricing.money import CONTEXT, Money, precision
from pricing.stages.plan import ComponentPlan, MarketPlan, RegimePlan
from pricing.stages.prices import unit_amount, unit_minor_function

if TYPE_CHECKING:
    from pricing.engine import Engine

__all__ = ["BulkPricer", "CatalogItem", "Priced", "PricedItem"]


class CatalogItem(NamedTuple):
    """One catalog item to price: what a quote line needs of it.

    A named tuple, not a dataclass: a feed makes one per row, and a tuple is the cheapest
    immutable value Python builds (a fifth of a frozen dataclass's cost).
    """

    sku: str
    price: Money
    hs_code: str | None = None
    origin: str | None = None
    category: str | None = None
    weight_kg: Decimal | None = None


class PricedItem(NamedTuple):
    """An item's prices in one market (amounts in ``currency``, at its minor unit), or the
    error that keeps it out of the market (``error`` set, amounts None).

    A named tuple, like :class:`CatalogItem`: the bulk path makes one per SKU.
    """

    sku: str
    currency: str
    unit_price: Decimal | None = None
    landed_price: Decimal | None = None
    duty: Decimal | None = None
    tax: Decimal | None = None
    included_tax: Decimal | None = None
    fees: Decimal | None = None
    regime: str | None = None
    formatted_unit_price: str | None = None
    formatted_landed_price: str | None = None
    error: PricingError | None = None


#: A :class:`PricedItem` without its SKU: what :meth:`BulkPricer.price_columns` gives per row,
#: one object shared by the rows of a price class at the same unit price.
Priced = namedtuple("Priced", PricedItem._fields[1:],  # type: ignore[misc]
                    defaults=tuple(PricedItem._field_defaults.values()))


class BulkPricer:
    """Prices catalog items for one market, destination and date.

    Compiled once per market and destination: the plan in force, the regimes whose tests do
    not depend on the item (region, where the parcel ships from), the tax components. Each item
    then takes the stages' arithmetic for a cart of one unit without shipping, with no
    explanation built: a few Decimal operations.

    :meth:`price_many` goes further. Items that differ only in price and SKU (same currency,
    HS code, origin, category and weight: a *price class*) share everything but their local
    unit price, and everything after the unit price (regime, duty, tax, fees, landed price,
    formatted strings) depends on the class and that unit price alone. So each class gets its
    checks (restrictions, tax rates, the currency's rate) once and a compiled conversion
    (:func:`~pricing.stages.prices.unit_amount_function`); per item, the unit price is a few
    Decimal operations and the rest is looked up by (class, unit price), computed on first
    sight. With a price ending, thousands of catalog prices land on a few hundred unit prices.

    ``format_prices=False`` leaves the formatted strings out (None): for callers that format
    another amount themselves (feeds format the channel's price).
    """

    def __init__(self, engine: Engine, market: str, *, on: date, locale: str | None = None,
                 region: str | None = None, ship_from: str | None = None,
                 format_prices: bool = True) -> None:
        self.engine = engine
        self.market = engine.rules.market(market)
        self.on = on
        self.region = region
        self.ship_from = ship_from or engine.rules.shop.ship_from
        if self.market.requires_region and region is None:
            raise RequestError(f"taxes in market {self.market.id!r} depend on the region: "
                               "give a region", field="region")
        plan = self.plan = engine.plan(self.market.id, on)
        self.locale, _ = plan.locale_for(locale)
        self.currency = plan.currency
        self._format = money_formatter(self.currency, self.locale)
        self._default_weight = engine.rules.shop.default_item_weight_kg
        self._domestic = self.ship_from in plan.territory
        # Regimes in file order whose region and ship-from tests pass for this destination:
        # only their origin and value tests depend on the item.
        self._regimes = tuple(
            rp for rp in plan.regimes
            if (not rp.regions or region in rp.regions)
            and (not rp.ship_from or self.ship_from in rp.ship_from))
        comps = plan.components(region)
        self._components = comps
        self._chain = (tuple(sorted(comps, key=lambda c: plan.chain_position[c.index]))
                       if plan.has_chains else comps)
        self.format_prices = format_prices
        self._rates_memo: dict[str | None, tuple[tuple[Decimal, ...], Decimal]] = {}
        #: The components in chain order with their rates, by the rates of a category.
        self._pairs: dict[tuple[Decimal, ...], tuple[tuple[ComponentPlan, Decimal], ...]] = {}
        self._memo: dict[tuple[object, ...], PricedItem] = {}
        #: Price class -> (its unit price function, {unit price: the fields after the SKU}),
        #: or None for a class whose items go the long way (refused, or no rate).
        self._classes: dict[tuple[object, ...], _PriceClass | None] = {}
        self._unit_columns: dict[str, Callable[[list[int | None]], list[int | None]]] = {}

    def price_many(self, items: Iterable[CatalogItem]) -> list[PricedItem]:
        """Each item's landed unit price (one unit bought alone, shipping excluded), by price
        class (see the class docstring); the same answers as :meth:`price` item by item."""
        fixed = self.plan.fixed
        classes = self._classes
        slow = self.price
        new = tuple.__new__
        out: list[PricedItem] = []
        append = out.append
        with localcontext(CONTEXT):
            for item in items:
                sku, price, hs_code, origin, category, weight = item
                if fixed and sku in fixed:
                    append(slow(item))
                    continue
                key = (price.currency, hs_code, origin, category, weight)
                try:
                    cls = classes[key]
                except KeyError:
                    cls = self._price_class(item, key)
                if cls is None:
                    append(slow(item))
                    continue
                minor = cls[0](price.amount)
                rest = cls[1].get(minor)  # type: ignore[arg-type]
                if rest is None and (minor is None or (
                        rest := self._class_row(item, minor, cls[1])) is None):
                    append(slow(item))
                    continue
                append(new(PricedItem, (sku, *rest)))
        return out

    def price_columns(self, skus: Sequence[str], prices: Sequence[str | Decimal],
                      currencies: Sequence[str], hs_codes: Sequence[str | None] | None = None,
                      origins: Sequence[str | None] | None = None,
                      categories: Sequence[str | None] | None = None,
                      weights: Sequence[Decimal | None] | None = None) -> list[Priced]:
        """:meth:`price_many` for a chunk given as columns (as a catalog reader has it), with
        no object built per row: each row's :class:`Priced` fields, the same as
        :meth:`price` gives (``PricedItem(sku, *fields)`` is that item).

        ``prices`` are checked plain decimals (``"19.90"``, or Decimals) in the row's currency,
        ``currencies`` normalized codes; the other columns may be left out (all None). Rows are
        grouped by price class (every column but the SKU and the price); per class the checks
        run once, and per row the local unit price is integer arithmetic on the price in minor
        units (:func:`_unit_column`), a whole column at a time; the rest is looked up by unit
        price in the class (computed the Decimal way on first sight, as :meth:`price_many`
        does). Rows with a fixed price, in a refused class, or outside the integer form's
        bounds go the long way (:meth:`price`), one by one.
        """
        n = len(skus)
        if not n:
            return []
        nones = [None] * n
        columns = (currencies, nones if hs_codes is None else hs_codes,
                   nones if origins is None else origins,
                   nones if categories is None else categories,
                   nones if weights is None else weights)
        groups: dict[tuple[object, ...], Sequence[int]]
        if all(c.count(c[0]) == n for c in columns):  # one class: the common chunk
            groups = {tuple(c[0] for c in columns): range(n)}
        else:
            groups = {}
            for i, key in enumerate(zip(*columns, strict=True)):
                found = groups.get(key)
                if found is None:
                    groups[key] = [i]
                else:
                    found.append(i)  # type: ignore[attr-defined]

        def item(i: int) -> CatalogItem:
            return CatalogItem(skus[i], Money(Decimal(prices[i]), currencies[i]),
                               *(c[i] for c in columns[1:]))

        def slow(i: int) -> Priced:
            return _PRICED(self.price(item(i))[1:])

        out: list[Priced] = nones  # type: ignore[assignment]
        classes = self._classes
        with localcontext(CONTEXT):
            for key, rows in groups.items():
                whole = len(rows) == n
                cls = classes[key] if key in classes else self._price_class(item(rows[0]), key)
                if cls is None:
                    found = [slow(i) for i in rows]
                else:
                    currency = key[0]
                    texts = prices if whole else [prices[i] for i in rows]
                    units = self._unit_column(currency)(_minor_ints(texts, currency))
                    memo = cls[1]
                    found = list(map(memo.get, units))
                    if None in found:
                        # Each new unit price priced once, from any of its rows (what follows
                        # the SKU depends on the class and the unit price alone), then looked
                        # up for all: the loops over rows stay in C.
                        for u, j in dict(zip(units, range(len(units)), strict=True)).items():
                            if u is not None and u not in memo:
                                self._class_row(item(rows[j]), u, memo)
                        found = list(map(memo.get, units))
                    if None in found:  # no unit price, refused, or the memo was full
                        for j, rest in enumerate(found):
                            if rest is None:
                                i = rows[j]
                                u = units[j]
                                found[j] = memo.get(u) or (  # type: ignore[call-overload]
                                    u is not None and self._class_row(item(i), u, memo)
                                ) or slow(i)
                if whole:
                    out = found  # type: ignore[assignment]
                else:
                    for i, rest in zip(rows, found, strict=True):
                        out[i] = rest  # type: ignore[assignment]
            fixed = self.plan.fixed
            if fixed and not fixed.keys().isdisjoint(skus):
                for i, sku in enumerate(skus):
                    if sku in fixed:
                        out[i] = slow(i)
        return out

    def _unit_column(self, currency: str) -> Callable[[list[int | None]], list[int | None]]:
        found = self._unit_columns.get(currency)
        if found is None:
            found = self._unit_columns[currency] = _unit_column(self.plan, currency)
        return found

    def _price_class(self, item: CatalogItem, key: tuple[object, ...]) -> _PriceClass | None:
        """The compiled class of ``item``, or None when its items are refused (the error names
        the SKU: each item then gets its own) or its currency has no rate."""
        found: _PriceClass | None
        try:
            self.plan.check_restrictions((item,))
            self._rates(item.category)
            found = (unit_minor_function(self.plan, item.price.currency), {})
        except PricingError:
            found = None
        if len(self._classes) >= _CLASS_LIMIT:
            self._classes.clear()
        self._classes[key] = found
        return found

    def _class_row(self, item: CatalogItem, minor: int,
                   rows: dict[int, tuple[object, ...]]) -> tuple[object, ...] | None:
        """The fields after the SKU for ``item`` at a local unit price of ``minor`` minor
        units, remembered for its class; None when pricing it fails (its error then comes the
        long way)."""
        # minor x unit has the unit's exponent: the very Decimal unit_amount gives.
        unit = minor * self.plan.unit
        try:
            found = self._price(item, unit=unit, format_prices=self.format_prices)
        except PricingError:
            return None
        if len(rows) >= _MEMO_LIMIT:
            rows.clear()
        rest = rows[minor] = _PRICED(found[1:])
        return rest

    def price(self, item: CatalogItem) -> PricedItem:
        """One item's landed unit price, or the error that keeps it out of the market."""
        key = (item.price.amount, item.price.currency, item.hs_code, item.origin,
               item.category, item.weight_kg, item.sku if item.sku in self.plan.fixed else None)
        found = self._memo.get(key)
        if found is not None:
            return found._replace(sku=item.sku)
        try:
            with localcontext(CONTEXT):
                found = self._price(item, format_prices=self.format_prices)
        except PricingError as e:
            # Not remembered: the message names the SKU (another one of the same price and
            # class must be refused in its own name).
            return PricedItem(sku=item.sku, currency=self.currency, error=e)
        if len(self._memo) >= _MEMO_LIMIT:
            self._memo.clear()
        self._memo[key] = found
        return found

    def landed(self, item: CatalogItem, *, unit: Decimal | None = None) -> Decimal | None:
        """The item's landed unit price, computed afresh (``unit``: its local unit price when
        the caller has it already); None when it cannot be sold here."""
        try:
            with localcontext(CONTEXT):
                return self._price(item, format_prices=False, unit=unit).landed_price
        except PricingError:
            return None

    def _rates(self, category: str | None) -> tuple[tuple[Decimal, ...], Decimal]:
        found = self._rates_memo.get(category)
        if found is None:
            rates = []
            for comp in self._components:
                r = comp.rate_for(category)
                if r is None:
                    raise QuoteRefusedError(
                        f"no {comp.name} rate in force on {self.on} in {comp.rule}",
                        field="items[0].category", value=category)
                rates.append(r)
            found = self._rates_memo[category] = (tuple(rates), sum(rates, Decimal(0)))
        return found

    def _price(self, item: CatalogItem, *, format_prices: bool = True,
               unit: Decimal | None = None) -> PricedItem:
        """The stages of pricing.engine for one unit without shipping, amounts only."""
        plan = self.plan
        zero = plan.zero
        if unit is not None:  # a quote's line: its restrictions and rates already passed
            u = unit
        else:
            plan.check_restrictions((item,))
            try:
                u = unit_amount(plan, item.sku, item.price)
            except MissingRateError as e:
                raise MissingRateError(e.message, field="items[0].price.currency",
                                       value=item.price.currency, expected=e.expected) from None
        rates, rate_sum = self._rates(item.category)
        net = u / (1 + rate_sum) if plan.inclusive and plan.tax_goods else u
        rp = self._regime(item, net)
        tax_mode = rp.regime.tax
        if tax_mode == "none" or plan.tax is None:
            net = u
        factor = rp.valuation_factor
        cv = net if factor == 1 else net * factor
        duty = self._duty(rp, item, cv)
        added = included = zero
        if tax_mode != "none" and plan.tax is not None:
            added, included = self._tax(rp, rates, net, cv, duty)
        fees = self._fees(rp, net, u, duty, added)
        landed = u + zero + duty + added + fees
        return PricedItem(
            sku=item.sku, currency=self.currency, unit_price=u, landed_price=landed,
            duty=duty, tax=added, included_tax=included, fees=fees, regime=rp.regime.id,
            formatted_unit_price=self._format(u) if format_prices else None,
            formatted_landed_price=self._format(landed) if format_prices else None)

    def _regime(self, item: CatalogItem, net: Decimal) -> RegimePlan:
        plan = self.plan
        if self._domestic:
            return plan.domestic
        origin = item.origin
        for rp in self._regimes:
            if rp.origin_in and origin not in rp.origin_in:
                continue
            if rp.origin_not_in and origin in rp.origin_not_in:
                continue
            if rp.limit is None:
                return rp
            factor = rp.valuation_factor
            if rp.per_item:
                value = (net / 1) if factor == 1 else (net * factor / 1)
            else:
                value = Decimal(0) + net
                if factor != 1:
                    value *= factor
            value = value.quantize(plan.unit, rounding=ROUND_HALF_UP)
            if (value <= rp.limit) if rp.inclusive else (value < rp.limit):
                return rp
        return plan.standard

    def _duty(self, rp: RegimePlan, item: CatalogItem, cv: Decimal) -> Decimal:
        plan = self.plan
        mode = rp.regime.duty
        if mode == "none":
            return plan.zero
        if mode == "per_category":
            return rp.per_category if rp.per_category is not None else plan.zero
        if mode == "rate":
            exact = cv * (rp.duty_rate or Decimal(0))
            if rp.deduction is not None:
                exact = max(exact - rp.deduction, Decimal(0))
            amount = exact.quantize(plan.unit, rounding=plan.duty_mode)
            return amount if amount else plan.zero
        rule = plan.duty_rule_for(item.hs_code, item.origin) or plan.default_duty
        amount = cv * rule.rate
        if rule.index >= 0:
            weight = item.weight_kg if item.weight_kg is not None else self._default_weight
            if rule.per_kg is not None:
                amount += rule.per_kg * weight
            if rule.per_unit is not None:
                amount += rule.per_unit
            if rule.minimum is not None:
                amount = max(amount, rule.minimum)
            if rule.maximum is not None:
                amount = min(amount, rule.maximum)
        rounded = amount.quantize(plan.unit, rounding=plan.duty_mode)
        if plan.duty_waive is not None and rounded and rounded <= plan.duty_waive:
            return plan.zero
        return rounded

    def _tax(self, rp: RegimePlan, rates: tuple[Decimal, ...], net: Decimal, cv: Decimal,
             duty: Decimal) -> tuple[Decimal, Decimal]:
        """Tax added on top and tax included, for one unit: stage 5 of the engine for a cart
        of one line, where each component has at most one amount inside the price and one on
        top (each rounded on its own, as the engine rounds each group)."""
        plan = self.plan
        unit, mode, zero = plan.unit, plan.tax_mode, _ZERO
        importing = rp.regime.tax == "import"
        uplift = plan.import_uplift if importing else 0
        additions = _additions(plan, net, cv) if importing and plan.additions else ()
        pairs = self._pairs.get(rates)
        if pairs is None:
            rate_of = dict(zip((c.index for c in self._components), rates, strict=True))
            pairs = self._pairs[rates] = tuple((c, rate_of[c.index]) for c in self._chain)
        inclusive = plan.inclusive
        line_tax: dict[int, Decimal] = {}
        added = included = total = zero
        for comp, rate in pairs:
            mine = zero
            on_top = zero
            if comp.goods:
                if inclusive:
                    mine = net * rate
                    r = mine.quantize(unit, rounding=mode)
                    included += r
                    total += r
                else:
                    on_top = net
            if comp.duty and duty:
                on_top += duty
            if comp.customs_value:
                on_top += cv
            for j in comp.on:
                other = line_tax.get(j)
                if other:
                    on_top += other
            if comp.goods or comp.customs_value:
                if uplift:
                    on_top += cv * uplift
                for extra in additions:
                    on_top += extra
            if on_top:
                if comp.includes_itself:
                    on_top = on_top / (1 - rate)
                t = on_top * rate
                r = t.quantize(unit, rounding=mode)
                added += r
                total += r
                mine += t
            if mine:
                line_tax[comp.index] = mine
        if plan.tax_waive is not None and total and total <= plan.tax_waive:
            return plan.zero, plan.zero
        return added.quantize(unit), included.quantize(unit)

    def _fees(self, rp: RegimePlan, net: Decimal, u: Decimal, duty: Decimal,
              tax: Decimal) -> Decimal:
        plan = self.plan
        total = plan.zero
        for fp in plan.fees:
            fee = fp.fee
            if fee.regimes and rp.regime.id not in fee.regimes:
                continue
            if fee.incoterm and fee.incoterm != plan.incoterm:
                continue
            if fee.only_if_duty_or_tax and not (duty or tax):
                continue
            if fee.amount is not None:
                amount = fp.amount if fp.amount is not None else plan.zero
            elif fee.per_item is not None:
                amount = fp.per_item * 1 if fp.per_item is not None else plan.zero
            else:
                base = {"goods": Decimal(0) + net, "order": Decimal(0) + u + plan.zero,
                        "duties_and_taxes": duty + tax}[fee.base]
                amount = base * (fp.rate or Decimal(0))
            if fp.minimum is not None and amount < fp.minimum:
                amount = fp.minimum
            if fp.maximum is not None and amount > fp.maximum:
                amount = fp.maximum
            amount = amount.quantize(plan.unit, rounding=ROUND_HALF_UP)
            if amount:
                total += amount
        return total


_ZERO = Decimal(0)

#: Results kept for identical pricing inputs (size and colour variants of one product sit
#: together in a catalog): a bound, so that memory does not grow with the catalog.
_MEMO_LIMIT = 16_384
#: Price classes per pricer: catalogs have a few hundred (currency x HS code x origin x ...).
_CLASS_LIMIT = 4096

#: A price class: its unit price function (minor units) and its rows by unit price.
_PriceClass = tuple[Callable[[Decimal], int | None], dict[int, tuple[object, ...]]]


def _additions(plan: MarketPlan, net: Decimal, cv: Decimal) -> tuple[Decimal, ...]:
    out = []
    for _, cost in plan.additions:
        if cost.amount is not None:
            out.append(plan.to_local(cost.amount))
        elif cost.of_shipping is not None:
            out.append(Decimal(0))
        elif cost.of_goods is not None:
            out.append(net * cost.of_goods)
        else:
            out.append(cv * (cost.of_customs_value or Decimal(0)))
    return tuple(out)


_PRICED = Priced._make


def _plain(p: int) -> re.Pattern[str]:
    one = rf"[0-9]+\.[0-9]{{{p}}}" if p else "[0-9]+"
    return re.compile(f"(?:{one}\n)*{one}")


#: A column of plain prices with exactly ``p`` decimals, one per line (ASCII digits only).
_PLAIN = {p: _plain(p) for p in range(5)}


def _minor_ints(prices: Sequence[str | Decimal], currency: str) -> list[int | None]:
    """``prices`` in whole minor units of ``currency`` (``"19.90"`` -> 1990); None for a price
    with more decimals than the currency has (it goes the Decimal way).

    A column of plain prices at the currency's decimals (what shops write) is read in C: one
    regular expression over the column, the points removed, ``int`` over the digits."""
    p = precision(currency)
    plain = _PLAIN.get(p)
    if plain is not None:
        try:
            text = "\n".join(prices)  # type: ignore[arg-type]
        except TypeError:  # not all text (Decimals): the Decimal way below
            text = None
        if text is not None and plain.fullmatch(text):
            return list(map(int, (text.replace(".", "") if p else text).split("\n")))
    out: list[int | None] = []
    for x in prices:
        minor = Decimal(x).scaleb(p)
        out.append(int(minor) if minor == minor.to_integral_value() else None)
    return out


def _half_even(num: int, den: int) -> int:
    """``num / den`` (positive) to a whole number, halves to even."""
    q, r = divmod(num, den)
    return q + (2 * r > den or (2 * r == den and q & 1))


_Column = Callable[[list[int | None]], list[int | None]]


def _unit_column(plan: MarketPlan, currency: str) -> _Column:
    """:func:`~pricing.stages.prices.unit_minor_function` for a column of prices in minor
    units of ``currency``, in integer arithmetic over the whole column (one list
    comprehension), with the same answers; None where a price is None.

    Within the bounds of :meth:`PriceEnding.minor_function
    <pricing.endings.PriceEnding.minor_function>` (amounts below 10^14, factors below 10^5
    with at most 26 decimals), ``amount x factor`` is exact in the 60 digits of the Decimal
    path, so the rounding mode or the ending applied to that exact rational in integers is
    the Decimal path's answer. With ``m`` minor units, ``d = 10^p`` and the factor ``f / g``,
    the price in market units (``10^-u``) is ``m * f * 10^u / (d * g)``: rounded by the
    mode, or for an ending of ``e`` units every ``s`` units, ``e + s * ceil((value - e) / s)``
    (up) or ``e + s * max(floor((value - e) / s), lowest)`` (down). Anything else
    (``nearest``, other bounds, a None) is priced row by row the Decimal way.
    """
    p = precision(currency)
    per_row = unit_minor_function(plan, currency)

    def by_row(minors: list[int | None]) -> list[int | None]:
        return [None if m is None else per_row(Decimal(m).scaleb(-p)) for m in minors]

    factor = plan.conversion(currency).factor
    unit = plan.unit
    u = -unit.as_tuple().exponent  # type: ignore[operator]
    f, g = factor.as_integer_ratio()
    if unit != Decimal(1).scaleb(-u) or not 0 <= u <= 12 or not 0 < factor < 10**5 \
            or 10**26 % g or p > 12:
        return by_row
    d = 10**p
    sc, den = f * 10**u, d * g
    common = gcd(sc, den)  # the same rational in smaller integers: every row's ops are cheaper
    sc, den = sc // common, den // common
    den2 = 2 * den
    limit = d * 10**14
    fast: _Column
    ending = plan.ending
    if ending is None:
        mode = plan.rounding_mode
        if mode == ROUND_HALF_UP:  # floor(value + 1/2)
            def fast(ms: list[int]) -> list[int]:  # type: ignore[misc]
                return [(2 * m * sc + den) // den2 for m in ms]
        elif mode == ROUND_HALF_EVEN:
            def fast(ms: list[int]) -> list[int]:  # type: ignore[misc]
                return [_half_even(m * sc, den) for m in ms]
        elif mode == ROUND_CEILING:
            def fast(ms: list[int]) -> list[int]:  # type: ignore[misc]
                return [-((-m * sc) // den) for m in ms]
        elif mode == ROUND_FLOOR:
            def fast(ms: list[int]) -> list[int]:  # type: ignore[misc]
                return [m * sc // den for m in ms]
        else:  # not a mode of pricing.money.Rounding
            return by_row
    else:
        if ending.mode is EndingMode.NEAREST or ending.minor_function(unit, factor) is None:
            return by_row
        s, e = int(ending.step / unit), int(ending.ending / unit)
        ed, sd = e * den, s * den
        lowest = 0 if e > 0 else 1
        if ending.mode is EndingMode.UP:
            # value > 0 and e < s: the step count is never below the lowest allowed one.
            def fast(ms: list[int]) -> list[int]:  # type: ignore[misc]
                return [e - (ed - m * sc) // sd * s for m in ms]
        else:
            def fast(ms: list[int]) -> list[int]:  # type: ignore[misc]
                return [max((m * sc - ed) // sd, lowest) * s + e for m in ms]

    def column(minors: list[int | None]) -> list[int | None]:
        if None not in minors and min(minors) > 0 and max(minors) < limit:  # type: ignore[type-var]
            return fast(minors)
        # Zero is free (0), as unit_amount has it; the rest one by one.
        return [0 if m == 0 else fast([m])[0] if m is not None and 0 < m < limit
                else by_row([m])[0] for m in minors]

    return column
