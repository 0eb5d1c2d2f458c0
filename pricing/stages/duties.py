"""Stage 4, customs value and duty per line, explained per rule.

An origin preference beats any general rule; otherwise the longest HS prefix wins, else the
market's default rate. Ad valorem, per kg and per unit parts add up, clamped to a minimum and
maximum per unit. Lines sharing a rule are rounded together and split back by largest
remainder. A regime may instead charge a flat amount per tariff category, or no duty.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from pricing.money import Money, split
from pricing.quote import Charge, Item
from pricing.stages.plan import DutyRulePlan, MarketPlan, RegimePlan

__all__ = ["Duty", "charge_duty"]


@dataclass(frozen=True, slots=True)
class Duty:
    """Duty per line (rounded, summing to the charges) and the explained duty charges."""

    per_line: tuple[Decimal, ...]
    total: Decimal
    charges: tuple[Charge, ...]
    warnings: tuple[str, ...] = ()


def charge_duty(plan: MarketPlan, regime: RegimePlan, items: Sequence[Item],
                nets: Sequence[Decimal], ship_nets: Sequence[Decimal],
                weights: Sequence[Decimal], *, day: date) -> Duty:
    """The duty of each line under ``regime``: none, flat per tariff category, or by rule on
    the customs value (net goods, plus the net shipping share under CIF)."""
    zero = plan.zero
    n = len(items)
    mode = regime.regime.duty
    if mode == "none":
        return Duty((zero,) * n, zero, ())
    if mode == "flat":
        return _flat(plan, regime, items, weights)
    cur, unit = plan.currency, plan.unit
    warnings: list[str] = []
    # rule -> [(line, exact amount, customs value)]
    groups: dict[int, tuple[DutyRulePlan, list[tuple[int, Decimal, Decimal]]]] = {}
    cif = plan.cif
    for li, item in enumerate(items):
        cv = nets[li] + ship_nets[li] if cif else nets[li]
        rule = plan.duty_rule_for(item.hs_code, item.origin)
        if rule is None:
            rule = plan.default_duty
            if rule.rate_missing:
                warnings.append(f"no default duty rate in force on {day} ({rule.rule}): no "
                                f"duty charged for item {item.sku!r}")
            amount = cv * rule.rate
        else:
            if rule.rate_missing:
                warnings.append(f"no duty rate in force on {day} ({rule.rule}): no ad valorem "
                                f"duty charged for item {item.sku!r}")
            amount = cv * rule.rate
            if rule.per_kg is not None:
                amount += rule.per_kg * weights[li]
            if rule.per_unit is not None:
                amount += rule.per_unit * item.quantity
            if rule.minimum is not None:
                amount = max(amount, rule.minimum * item.quantity)
            if rule.maximum is not None:
                amount = min(amount, rule.maximum * item.quantity)
        found = groups.get(rule.index)
        if found is None:
            groups[rule.index] = (rule, [(li, amount, cv)])
        else:
            found[1].append((li, amount, cv))
    per_line = [zero] * n
    totals: list[tuple[DutyRulePlan, Decimal, Decimal]] = []
    for index in sorted(groups):
        rule, members = groups[index]
        rounded = sum((a for _, a, _ in members), Decimal(0)).quantize(
            unit, rounding=plan.duty_mode)
        base = sum((cv for *_, cv in members), Decimal(0)).quantize(unit, rounding=ROUND_HALF_UP)
        totals.append((rule, rounded, base))
        shares = split(rounded, [a for _, a, _ in members], unit)
        for (li, _, _), share in zip(members, shares, strict=True):
            per_line[li] = share
    total = sum((t[1] for t in totals), Decimal(0))
    waived = plan.duty_waive is not None and bool(total) and total <= plan.duty_waive
    charges = []
    payable = plan.payable_import
    for rule, amount, base in totals:
        note = f"{plan.valuation} customs value x {rule.rate}"
        if rule.specific:
            note += " plus specific duty"
        if waived:
            note = (f"not collected: total duty {total} {cur} is at or below "
                    f"{plan.duty_waive_src}")
            amount = zero
        charges.append(Charge(kind="duty", name=rule.name, amount=Money(amount, cur),
                              rule=rule.rule, base=Money(base, cur), rate=rule.rate, note=note,
                              payable=payable))  # type: ignore[arg-type]
    if waived:
        return Duty((zero,) * n, zero, tuple(charges), tuple(warnings))
    return Duty(tuple(per_line), total, tuple(charges), tuple(warnings))


def _flat(plan: MarketPlan, regime: RegimePlan, items: Sequence[Item],
          weights: Sequence[Decimal]) -> Duty:
    """A flat amount per tariff category (HS codes cut to the regime's digits), each
    category's amount split across its own lines by weight, so that the tax on duty follows
    the goods it is charged on and a price change never moves it."""
    zero = plan.zero
    n = len(items)
    per_cat = regime.flat_duty
    if per_cat is None:
        return Duty((zero,) * n, zero, ())
    digits = regime.regime.flat_duty_category_digits
    cats: dict[str, list[int]] = {}
    for li, i in enumerate(items):
        cat = i.hs_code[:digits] if i.hs_code else f"category:{i.category or '-'}"
        cats.setdefault(cat, []).append(li)
    per_line = [zero] * n
    for members in cats.values():
        shares = split(per_cat, [weights[li] for li in members], plan.unit)
        for li, share in zip(members, shares, strict=True):
            per_line[li] = share
    amount = per_cat * len(cats)
    count = len(cats)
    charge = Charge(
        kind="duty", name="Duties", amount=Money(amount, plan.currency), rule=regime.rule or "",
        base=None, rate=None, payable=plan.payable_import,  # type: ignore[arg-type]
        note=f"{regime.flat_duty_src} x {count} tariff categor{'y' if count == 1 else 'ies'} "
             f"({', '.join(sorted(cats))})")
    return Duty(tuple(per_line), amount, (charge,))
