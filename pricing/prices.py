"""The local price stage: a fixed price list, or conversion + markup + adjustment + ending.

Conversion comes before the ending, so a ``.99`` ending survives conversion.
"""

from __future__ import annotations

from decimal import Decimal

from pricing.endings import PriceEnding
from pricing.fx import RateTable
from pricing.markets import Market
from pricing.money import Money

__all__ = ["local_price"]


def local_price(market: Market, sku: str, price: Money, *, rates: RateTable
                ) -> tuple[Money, str]:
    """The shopper's unit price of ``sku`` in ``market``, and how it was reached.

    A fixed price list entry wins; otherwise ``price`` is converted, marked up (only when the
    currencies differ), adjusted, then given the market's price ending (or rounded).
    """
    cur = market.spec.currency
    p = market.spec.pricing
    fixed = p.prices.get(sku)
    if fixed is not None:
        return fixed.round(), f"fixed price list ({market.rule_ref('pricing', 'prices')})"
    if price.amount == 0:
        return Money.zero(cur), "free item"
    rate = rates.rate(price.currency, cur)
    value = rate.convert(price)
    parts = [f"{price} x {rate.rate}" if price.currency != cur else f"{price}"]
    if price.currency != cur and p.fx_markup:
        value = value * (1 + p.fx_markup)
        parts.append(f"x (1 + {p.fx_markup} FX markup)")
    if p.adjustment:
        value = value * (1 + p.adjustment)
        parts.append(f"x (1 + {p.adjustment} adjustment)")
    if p.ending is not None:
        ending = PriceEnding(step=p.ending.step, ending=p.ending.ending, mode=p.ending.mode)
        local = ending.apply(value)
        parts.append(f"= {value.amount.quantize(Decimal('0.0001'))} -> ending "
                     f"{p.ending.ending} step {p.ending.step} {p.ending.mode.value}")
    else:
        local = value.round(mode=p.rounding)
        parts.append(f"rounded {p.rounding.value}")
    return local, " ".join(parts) + f" = {local}"

