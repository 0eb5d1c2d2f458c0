"""The fee stage: handling, brokerage and disbursement fees as the market's rules say.

Each fee in force whose conditions hold (regime, incoterm, only when duty or tax is charged)
costs a fixed amount per consignment, an amount per unit, or a rate of its base, clamped to a
minimum and maximum, rounded half-up and split across lines by subtotal. Fees are not taxed.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from pricing.markets.schema import Regime
from pricing.money import Money, allocate
from pricing.quote import Charge, Item, sum_money
from pricing.stages import QuoteContext, WorkLine

__all__ = ["charge_fees"]


def charge_fees(ctx: QuoteContext, items: Sequence[Item], work: Sequence[WorkLine],
                regime: Regime, *, duty_total: Money, tax_total: Money,
                shipping: Money) -> list[Charge]:
    """Fees per line (``WorkLine.fees``) and the explained fee charges."""
    market, day, cur = ctx.market, ctx.day, ctx.currency
    charges: list[Charge] = []
    zero = Money.zero(cur)
    for w in work:
        w.fees = zero
    spec = market.spec
    for fi, fee in enumerate(spec.fees):
        if not fee.in_force(day):
            continue
        if fee.regimes and regime.id not in fee.regimes:
            continue
        if fee.incoterm and fee.incoterm != spec.incoterm:
            continue
        if fee.only_if_duty_or_tax and not (duty_total or tax_total):
            continue
        goods = sum_money([w.net for w in work], cur)
        base_money = {
            "goods": goods,
            "order": sum_money([w.subtotal for w in work], cur) + shipping,
            "duties_and_taxes": duty_total + tax_total,
        }[fee.base]
        rate = None
        base: Money | None = None
        if fee.amount is not None:
            src = fee.amount.at(day)
            amount = ctx.exact(src) if src else zero
            note = f"{src} per consignment"
        elif fee.per_item is not None:
            src = fee.per_item.at(day)
            units = sum(i.quantity for i in items)
            amount = (ctx.exact(src) * units) if src else zero
            note = f"{src} x {units} items"
        else:
            rate = fee.rate.at(day) if fee.rate else None
            base = base_money
            amount = base_money * (rate or Decimal(0))
            note = f"{base_money.round()} x {rate} ({fee.base.replace('_', ' ')})"
        if fee.minimum is not None and amount < (lo := ctx.exact(fee.minimum)):
            amount, note = lo, note + f"; minimum {fee.minimum}"
        if fee.maximum is not None and amount > (hi := ctx.exact(fee.maximum)):
            amount, note = hi, note + f"; maximum {fee.maximum}"
        amount = amount.round()
        if not amount:
            continue
        for w, s in zip(work, allocate(amount, [w.subtotal.amount for w in work]),
                        strict=True):
            w.fees = w.fees + s
        charges.append(Charge(
            kind="fee", name=fee.name, amount=amount, rule=market.rule_ref("fees", fi),
            base=base.round() if base is not None else None, rate=rate, note=note,
            payable="delivery" if spec.incoterm == "DAP" else "checkout"))
    return charges
