"""The duty stage: customs value (CIF or FOB) and duty per line, explained per rule.

An origin preference beats any general rule; otherwise the longest HS prefix wins, else the
market's default rate. Ad valorem, per kg and per unit parts add up, clamped to a minimum and
maximum per unit. Lines sharing a rule are rounded together and split back by largest
remainder. A regime may instead charge a flat amount per tariff category, or no duty.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from pricing.markets.schema import Regime
from pricing.money import Money, allocate
from pricing.quote import Charge, Item, sum_money
from pricing.regimes import regime_ref
from pricing.stages import QuoteContext, WorkLine

__all__ = ["charge_duty"]


def charge_duty(ctx: QuoteContext, items: Sequence[Item], work: Sequence[WorkLine],
                regime: Regime) -> list[Charge]:
    """Duty per line (``WorkLine.duty``) and the explained duty charges of the cart."""
    market, day, cur = ctx.market, ctx.day, ctx.currency
    payable = ctx.payable_import
    warnings = ctx.warnings
    charges: list[Charge] = []
    zero = Money.zero(cur)
    spec = market.spec.duty
    for w in work:
        w.duty = zero
    if regime.duty == "none":
        return charges
    if regime.duty == "flat":
        flat = regime.flat_duty.at(day) if regime.flat_duty else None
        if flat is None:
            return charges
        digits = regime.flat_duty_category_digits
        cats: dict[str, list[int]] = {}
        for li, i in enumerate(items):
            cat = i.hs_code[:digits] if i.hs_code else f"category:{i.category or '-'}"
            cats.setdefault(cat, []).append(li)
        per_cat = ctx.to_local(flat)
        amount = Money(per_cat.amount * len(cats), cur)
        # Each category's duty goes to that category's own lines, by weight, so the tax on duty
        # follows the goods it is charged on and a price change never moves it.
        for members in cats.values():
            shares = allocate(per_cat, [work[li].weight for li in members])
            for li, share in zip(members, shares, strict=True):
                work[li].duty = share
        charges.append(Charge(
            kind="duty", name="Duties", amount=amount,
            rule=regime_ref(market, regime) or "",
            base=None, rate=None, payable=payable,  # type: ignore[arg-type]
            note=f"{flat} x {len(cats)} tariff categor{'y' if len(cats) == 1 else 'ies'} "
                 f"({', '.join(sorted(cats))})"))
        return charges
    # ad valorem / specific, grouped by the rule that produced it
    groups: dict[int, list[tuple[int, Money, Money]]] = defaultdict(list)
    rule_of: dict[int, Any] = {}
    for li, (item, w) in enumerate(zip(items, work, strict=True)):
        cv = w.net + (w.ship_net if spec.valuation == "CIF" else Money.zero(cur))
        found = market.duty_rule_for(item.hs_code, item.origin)
        if found is None:
            ri, rule = -1, None
            found_rate = spec.rate.at(day)
            if found_rate is None:
                warnings.append(f"no default duty rate in force on {day} "
                                f"({market.rule_ref('duty', 'rate')}): no duty charged "
                                f"for item {item.sku!r}")
            rate = found_rate or Decimal(0)
            amount = cv * rate
        else:
            ri, rule = found
            found_rate = rule.rate.at(day) if rule.rate else None
            if rule.rate is not None and found_rate is None:
                warnings.append(f"no duty rate in force on {day} "
                                f"({market.rule_ref('duty', 'rules', ri)}): no ad valorem "
                                f"duty charged for item {item.sku!r}")
            rate = found_rate or Decimal(0)
            amount = cv * rate
            per_kg = rule.per_kg.at(day) if rule.per_kg else None
            if per_kg is not None:
                amount = amount + ctx.exact(per_kg) * w.weight
            per_unit = rule.per_unit.at(day) if rule.per_unit else None
            if per_unit is not None:
                amount = amount + ctx.exact(per_unit) * item.quantity
            if rule.minimum is not None:
                lo = ctx.exact(rule.minimum) * item.quantity
                amount = max(amount, lo, key=lambda m: m.amount)
            if rule.maximum is not None:
                hi = ctx.exact(rule.maximum) * item.quantity
                amount = min(amount, hi, key=lambda m: m.amount)
        rule_of[ri] = (rule, rate)
        groups[ri].append((li, amount, cv))
    total_groups: list[tuple[int, Money, Money]] = []
    for ri, members in sorted(groups.items()):
        exact = sum_money([a for _, a, _ in members], cur)
        rounded = exact.round(mode=spec.rounding_mode)
        base = sum_money([cv for *_, cv in members], cur).round()
        total_groups.append((ri, rounded, base))
        for (li, _, _), share in zip(members, allocate(
                rounded, [a.amount for _, a, _ in members]), strict=True):
            work[li].duty = share
    duty_total = sum_money([g[1] for g in total_groups], cur)
    waive = spec.waive_at_or_below.at(day) if spec.waive_at_or_below else None
    waived = waive is not None and duty_total <= ctx.to_local(waive) and duty_total
    for ri, amount, base in total_groups:
        rule, rate = rule_of[ri]
        ref = market.rule_ref("duty", "rules", ri) if ri >= 0 else market.rule_ref(
            "duty", "rate")
        name = rule.name if rule is not None and rule.name else "Duties"
        note = f"{market.spec.duty.valuation} customs value x {rate}"
        if rule is not None and (rule.per_kg or rule.per_unit):
            note += " plus specific duty"
        if waived:
            note = f"not collected: total duty {duty_total} is at or below {waive}"
            amount = zero
        charges.append(Charge(kind="duty", name=name, amount=amount, rule=ref, base=base,
                              rate=rate, note=note, payable=payable))  # type: ignore[arg-type]
    if waived:
        for w in work:
            w.duty = zero
    return charges
