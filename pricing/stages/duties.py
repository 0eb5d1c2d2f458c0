"""Stage 4, duty per line on the customs value, explained per rule.

Under ``duty = "charged"``: an origin preference beats any general rule; otherwise the longest
HS prefix wins, else the market's default rate. Ad valorem, per kg and per unit parts add up,
clamped to a minimum and maximum per unit. Lines sharing a rule are rounded together and split
back by largest remainder. A regime may instead charge an amount per tariff category
(``per_category``), its own rate on the customs value less a deduction (``rate``: simplified
or flat-rate assessment), or no duty.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from pricing.money import Money, split
from pricing.quote import Charge, Item
from pricing.stages.customs import Customs
from pricing.stages.plan import DutyRulePlan, MarketPlan, RegimePlan

__all__ = ["Duty", "charge_duty"]


@dataclass(frozen=True, slots=True)
class Duty:
    """Duty per line (rounded, summing to the charges) and the explained duty charges."""

    per_line: tuple[Decimal, ...]
    total: Decimal
    charges: tuple[Charge, ...]
    warnings: tuple[str, ...] = ()


def charge_duty(plan: MarketPlan, regime: RegimePlan, items: Sequence[Item], customs: Customs,
                weights: Sequence[Decimal], *, day: date) -> Duty:
    """The duty of each line under ``regime``."""
    zero = plan.zero
    n = len(items)
    mode = regime.regime.duty
    if mode == "none":
        return Duty((zero,) * n, zero, ())
    if mode == "per_category":
        return _per_category(plan, regime, items, weights)
    if mode == "rate":
        return _regime_rate(plan, regime, customs)
    cur, unit = plan.currency, plan.unit
    warnings: list[str] = []
    values = customs.values
    # rule -> [(line, exact amount)]
    groups: dict[int, tuple[DutyRulePlan, list[tuple[int, Decimal]]]] = {}
    for li, item in enumerate(items):
        cv = values[li]
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
            groups[rule.index] = (rule, [(li, amount)])
        else:
            found[1].append((li, amount))
    per_line = [zero] * n
    totals: list[tuple[DutyRulePlan, Decimal, list[int]]] = []
    for index in sorted(groups):
        rule, members = groups[index]
        rounded = sum((a for _, a in members), Decimal(0)).quantize(
            unit, rounding=plan.duty_mode)
        totals.append((rule, rounded, [li for li, _ in members]))
        shares = split(rounded, [a for _, a in members], unit)
        for (li, _), share in zip(members, shares, strict=True):
            per_line[li] = share
    total = sum((t[1] for t in totals), Decimal(0))
    waived = plan.duty_waive is not None and bool(total) and total <= plan.duty_waive
    charges = []
    payable = plan.payable_import
    for rule, amount, lines in totals:
        note = f"{plan.valuation} customs value x {rule.rate}"
        if rule.specific:
            note += " plus specific duty"
        if waived:
            note = (f"not collected: total duty {total} {cur} is at or below "
                    f"{plan.duty_waive_src}")
            amount = zero
        base, parts = _base(plan, customs, lines)
        charges.append(Charge(kind="duty", name=rule.name, amount=Money(amount, cur),
                              rule=rule.rule, base=base, rate=rule.rate, note=note,
                              payable=payable, base_parts=parts))  # type: ignore[arg-type]
    if waived:
        return Duty((zero,) * n, zero, tuple(charges), tuple(warnings))
    return Duty(tuple(per_line), total, tuple(charges), tuple(warnings))


def _base(plan: MarketPlan, customs: Customs, lines: Sequence[int]
          ) -> tuple[Money, tuple[tuple[str, Money], ...]]:
    """The customs value of ``lines`` (rounded half-up) and its parts."""
    cur, unit = plan.currency, plan.unit
    values = customs.values
    base = Money(sum((values[li] for li in lines), Decimal(0)).quantize(
        unit, rounding=ROUND_HALF_UP), cur)
    if not plan.cif and customs.factor == 1:
        return base, ()
    parts = [("goods", customs.goods)]
    if plan.cif:
        parts += [("freight", customs.freight), ("insurance", customs.insurance)]
    out = []
    for name, amounts in parts:
        mine = [amounts[li] for li in lines]
        if name == "goods" or any(mine):  # a list: an abandoned generator costs a throw
            out.append((name, Money(sum(mine, Decimal(0)).quantize(unit, rounding=ROUND_HALF_UP),
                                    cur)))
    return base, tuple(out)


def _per_category(plan: MarketPlan, regime: RegimePlan, items: Sequence[Item],
                  weights: Sequence[Decimal]) -> Duty:
    """An amount per tariff category (HS codes cut to the regime's digits), each category's
    amount split across its own lines by weight, so that the tax on duty follows the goods it
    is charged on and a price change never moves it."""
    zero = plan.zero
    n = len(items)
    per_cat = regime.per_category
    if per_cat is None:
        return Duty((zero,) * n, zero, ())
    digits = regime.regime.category_digits
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
        note=f"{regime.per_category_src} x {count} tariff categor{'y' if count == 1 else 'ies'} "
             f"({', '.join(sorted(cats))})")
    return Duty(tuple(per_line), amount, (charge,))


def _regime_rate(plan: MarketPlan, regime: RegimePlan, customs: Customs) -> Duty:
    """The regime's own rate on the whole customs value, less its deduction (never below
    zero), rounded once and split across lines by customs value."""
    cur, unit, zero = plan.currency, plan.unit, plan.zero
    values = customs.values
    rate = regime.duty_rate or Decimal(0)
    exact = sum(values, Decimal(0)) * rate
    note = f"{plan.valuation} customs value x {rate}"
    if regime.deduction is not None:
        exact = max(exact - regime.deduction, Decimal(0))
        note += f" less {regime.deduction_src}"
        if regime.deduction_src is not None and regime.deduction_src.currency != cur:
            note += f" ({regime.deduction.quantize(unit)} {cur})"
    amount = exact.quantize(unit, rounding=plan.duty_mode)
    per_line = split(amount, values, unit)
    base, parts = _base(plan, customs, range(len(values)))
    charge = Charge(kind="duty", name="Duties", amount=Money(amount, cur),
                    rule=regime.rule or "", base=base, rate=rate, note=note,
                    payable=plan.payable_import, base_parts=parts)  # type: ignore[arg-type]
    return Duty(per_line, amount, (charge,)) if amount else Duty((zero,) * len(values), zero,
                                                                 (charge,))
