"""Stage 1, local unit prices: a fixed price list, or conversion + markup + adjustment + ending.

Conversion comes before the ending, so a ``.99`` ending survives conversion. The stage also
reads, per line, what later stages need from the item alone: its weight and its tax rates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from pricing.endings import EndingMode
from pricing.errors import MissingRateError, QuoteRefusedError
from pricing.money import Money
from pricing.quote import Item
from pricing.stages.plan import ComponentPlan, MarketPlan

__all__ = ["PricedLines", "price_lines", "unit_amount", "unit_amount_function",
           "unit_minor_function", "unit_price"]

_NOTE_QUANTUM = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class PricedLines:
    """The cart's lines priced in the market currency (as displayed; rounded)."""

    units: tuple[Decimal, ...]
    subtotals: tuple[Decimal, ...]
    notes: tuple[str, ...]
    #: kg for the whole line (default item weight where the item gives none).
    weights: tuple[Decimal, ...]
    #: Per line, each tax component that applies with the line's rate.
    tax_rates: tuple[tuple[tuple[ComponentPlan, Decimal], ...], ...]
    rate_sums: tuple[Decimal, ...]
    goods: Decimal


def unit_price(plan: MarketPlan, sku: str, price: Money) -> tuple[Decimal, str]:
    """The shopper's unit price of ``sku`` in the plan's market, and how it was reached.

    A fixed price list entry wins; otherwise ``price`` is converted, marked up (only when the
    currencies differ), adjusted, then given the market's price ending (or rounded).
    """
    fixed = plan.fixed.get(sku)
    if fixed is not None:
        return fixed
    amount = price.amount
    if amount == 0:
        return plan.zero, "free item"
    conv = plan.conversion(price.currency)
    # One product of exact factors: rate x (1 + markup) x (1 + adjustment), as compiled.
    value = amount * conv.factor
    cur = plan.currency
    if plan.ending is not None:
        local = plan.ending.apply_amount(value, plan.unit)
        return local, (f"{amount}{conv.text} = {value.quantize(_NOTE_QUANTUM)} "
                       f"{plan.ending_text} = {local} {cur}")
    local = value.quantize(plan.unit, rounding=plan.rounding_mode)
    return local, f"{amount}{conv.text} rounded {plan.rounding.value} = {local} {cur}"


def unit_amount(plan: MarketPlan, sku: str, price: Money) -> Decimal:
    """:func:`unit_price` without its explanation (the bulk path's hot loop)."""
    fixed = plan.fixed.get(sku)
    if fixed is not None:
        return fixed[0]
    amount = price.amount
    if amount == 0:
        return plan.zero
    value = amount * plan.conversion(price.currency).factor
    if plan.ending is not None:
        return plan.ending.apply_amount(value, plan.unit)
    return value.quantize(plan.unit, rounding=plan.rounding_mode)


def unit_amount_function(plan: MarketPlan, currency: str) -> Callable[[Decimal], Decimal]:
    """:func:`unit_amount` for prices in ``currency`` of SKUs without a fixed price, compiled
    once: the conversion factor looked up and the ending's branches chosen ahead, so a catalog
    pays a handful of Decimal operations per price. Call it in :data:`pricing.money.CONTEXT`.

    The operations are those of :meth:`pricing.endings.PriceEnding.apply_amount`, in the same
    order and context, so the results are the same Decimals (same value, same exponent);
    tests/test_bulk.py compares the two on random amounts. Two steps are left out where they
    cannot change the result: dividing by a step of exactly 1, and the final ``quantize`` when
    the ending already has the unit's exponent and the step is no finer than the unit.
    Raises :class:`~pricing.errors.MissingRateError` when ``currency`` has no rate.

    >>> from datetime import date
    >>> from decimal import localcontext
    >>> from pricing import Engine
    >>> from pricing.money import CONTEXT
    >>> plan = Engine.from_directory("rules").plan("de", date(2026, 11, 23))
    >>> with localcontext(CONTEXT):
    ...     unit_amount_function(plan, "EUR")(Decimal("20.00"))
    Decimal('20.99')
    >>> with localcontext(CONTEXT):  # the same in minor units (cents)
    ...     unit_minor_function(plan, "EUR")(Decimal("20.00"))
    2099
    """
    factor = plan.conversion(currency).factor
    zero, unit = plan.zero, plan.unit
    ending = plan.ending
    if ending is None:
        mode = plan.rounding_mode

        def rounded(amount: Decimal) -> Decimal:
            return (amount * factor).quantize(unit, mode) if amount else zero

        return rounded
    # The branches of apply_amount, tested the same way.
    if ending.mode is EndingMode.UP:
        direction = ROUND_CEILING
    elif ending.mode is EndingMode.DOWN:
        direction = ROUND_FLOOR
    else:
        apply = ending.apply_amount

        def nearest(amount: Decimal) -> Decimal:
            return apply(amount * factor, unit) if amount else zero

        return nearest
    step, end = ending.step, ending.ending
    floor_k = 0 if end > 0 else 1
    lowest = Decimal(floor_k)
    one_step = step == 1
    exponent = unit.as_tuple().exponent
    # k has a whole exponent >= 0, so k * step + end has the exponent of ``end`` when the step
    # is no finer than it: quantize(unit) would give back the same Decimal.
    exact = (end.as_tuple().exponent == exponent
             and step.as_tuple().exponent >= exponent)  # type: ignore[operator]

    def ended(amount: Decimal) -> Decimal:
        if not amount:
            return zero
        k = amount * factor - end
        if not one_step:
            k = k / step
        k = k.to_integral_value(direction)
        if k < floor_k:
            k = lowest
        return k * step + end if exact else (k * step + end).quantize(unit)

    return ended


def unit_minor_function(plan: MarketPlan, currency: str) -> Callable[[Decimal], int | None]:
    """:func:`unit_amount` in whole minor units of the market currency (``2099`` for EUR
    20.99), for prices in ``currency`` of SKUs without a fixed price, compiled once; None for
    a negative amount (keep :func:`unit_amount` for it: its sign of zero). Call it in
    :data:`pricing.money.CONTEXT`.

    Where the market's ending has an integer form (:meth:`PriceEnding.minor_function
    <pricing.endings.PriceEnding.minor_function>`) the price is computed in integers; otherwise,
    and for amounts outside that form's bounds, with :func:`unit_amount_function`. A whole
    number of minor units is what the bulk path keys its price classes on: an int hashes in
    nanoseconds where a fresh Decimal takes a few hundred. Example: with
    :func:`unit_amount_function`'s.
    """
    decimal_unit = unit_amount_function(plan, currency)
    per_unit = 1 / plan.unit

    def by_decimal(amount: Decimal) -> int | None:
        if amount < 0:
            return None
        return int(decimal_unit(amount) * per_unit)

    ending = plan.ending
    fast = (ending.minor_function(plan.unit, plan.conversion(currency).factor,
                                  otherwise=by_decimal)
            if ending is not None else None)
    return fast if fast is not None else by_decimal


def price_lines(plan: MarketPlan, items: Sequence[Item], components: Sequence[ComponentPlan],
                *, day: date, default_weight: Decimal) -> PricedLines:
    """Price every line; refuse an item whose currency or tax rate is missing, naming it."""
    units, subtotals, notes, weights, tax_rates, sums = [], [], [], [], [], []
    for idx, item in enumerate(items):
        try:
            unit, note = unit_price(plan, item.sku, item.price)
        except MissingRateError as e:
            raise MissingRateError(e.message, field=f"items[{idx}].price.currency",
                                   value=item.price.currency, expected=e.expected) from None
        rates = []
        total_rate = Decimal(0)
        for comp in components:
            r = comp.rate_for(item.category)
            if r is None:
                raise QuoteRefusedError(f"no {comp.name} rate in force on {day} in {comp.rule}",
                                        field=f"items[{idx}].category", value=item.category)
            rates.append((comp, r))
            total_rate += r
        units.append(unit)
        subtotals.append(unit * item.quantity)
        notes.append(note)
        weights.append((item.weight_kg if item.weight_kg is not None else default_weight)
                       * item.quantity)
        tax_rates.append(tuple(rates))
        sums.append(total_rate)
    return PricedLines(units=tuple(units), subtotals=tuple(subtotals), notes=tuple(notes),
                       weights=tuple(weights), tax_rates=tuple(tax_rates),
                       rate_sums=tuple(sums), goods=sum(subtotals, Decimal(0)))
