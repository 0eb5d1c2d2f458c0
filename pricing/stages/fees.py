"""Stage 6, fees: handling, brokerage and disbursement fees as the market's rules say.

Each fee in force whose conditions hold (regime, incoterm, only when duty or tax is charged)
costs a fixed amount per consignment, an amount per unit, or a rate of its base, clamped to a
minimum and maximum, rounded half-up and split across lines by subtotal. Fees are not taxed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from pricing.money import Money, split
from pricing.quote import Charge, Item
from pricing.stages.plan import MarketPlan, RegimePlan

__all__ = ["Fees", "charge_fees"]


@dataclass(frozen=True, slots=True)
class Fees:
    per_line: tuple[Decimal, ...]
    total: Decimal
    charges: tuple[Charge, ...]


def charge_fees(plan: MarketPlan, regime: RegimePlan, items: Sequence[Item], *,
                nets: Sequence[Decimal], subtotals: Sequence[Decimal], shipping: Decimal,
                duty_total: Decimal, tax_total: Decimal) -> Fees:
    """Fees per line and the explained fee charges."""
    n = len(items)
    zero = plan.zero
    if not plan.fees:
        return Fees((zero,) * n, zero, ())
    cur, unit = plan.currency, plan.unit
    regime_id = regime.regime.id
    incoterm = plan.incoterm
    per_line = [zero] * n
    charges = []
    for fp in plan.fees:
        fee = fp.fee
        if fee.regimes and regime_id not in fee.regimes:
            continue
        if fee.incoterm and fee.incoterm != incoterm:
            continue
        if fee.only_if_duty_or_tax and not (duty_total or tax_total):
            continue
        rate = None
        base: Decimal | None = None
        if fee.amount is not None:
            amount = fp.amount if fp.amount is not None else zero
            note = f"{fp.amount_src} per consignment"
        elif fee.per_item is not None:
            units = sum(i.quantity for i in items)
            amount = fp.per_item * units if fp.per_item is not None else zero
            note = f"{fp.per_item_src} x {units} items"
        else:
            if fee.base == "goods":
                base = sum(nets, Decimal(0))
            elif fee.base == "order":
                base = sum(subtotals, Decimal(0)) + shipping
            else:
                base = duty_total + tax_total
            rate = fp.rate
            amount = base * (rate or Decimal(0))
            note = (f"{base.quantize(unit, rounding=ROUND_HALF_UP)} {cur} x {rate} "
                    f"({fee.base.replace('_', ' ')})")
        if fp.minimum is not None and amount < fp.minimum:
            amount, note = fp.minimum, note + f"; minimum {fee.minimum}"
        if fp.maximum is not None and amount > fp.maximum:
            amount, note = fp.maximum, note + f"; maximum {fee.maximum}"
        amount = amount.quantize(unit, rounding=ROUND_HALF_UP)
        if not amount:
            continue
        for i, s in enumerate(split(amount, subtotals, unit)):
            per_line[i] += s
        charges.append(Charge(
            kind="fee", name=fee.name, amount=Money(amount, cur), rule=fp.rule,
            base=(Money(base.quantize(unit, rounding=ROUND_HALF_UP), cur)
                  if base is not None else None),
            rate=rate, note=note, payable=plan.payable_import))  # type: ignore[arg-type]
    return Fees(tuple(per_line), sum(per_line, Decimal(0)), tuple(charges))
