"""Stage 1, local unit prices: a fixed price list, or conversion + markup + adjustment + ending.

Conversion comes before the ending, so a ``.99`` ending survives conversion. The stage also
reads, per line, what later stages need from the item alone: its weight and its tax rates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from pricing.errors import MissingRateError, QuoteRefusedError
from pricing.money import Money
from pricing.quote import Item
from pricing.stages.plan import ComponentPlan, MarketPlan

__all__ = ["PricedLines", "price_lines", "unit_amount", "unit_price"]

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
