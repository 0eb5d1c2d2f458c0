"""Stage 5, tax: VAT, GST, HST, PST or sales tax per component, rate and line.

Tax inside displayed prices (tax-inclusive markets) is extracted, tax on duty (and on an
import uplift) is added on top; rounding is per line or per order as the market says, and a
total at or below the market's waiver is not collected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pricing.money import Money, split
from pricing.quote import Charge
from pricing.stages.customs import Customs
from pricing.stages.plan import ComponentPlan, MarketPlan, RegimePlan

__all__ = ["Tax", "charge_tax", "no_tax"]

_REGIME_WORD = {"sale": "collected at the sale", "import": "import tax"}


@dataclass(frozen=True, slots=True)
class Tax:
    """Tax added on top and tax included in prices, per line, and the explained charges."""

    added: tuple[Decimal, ...]
    included: tuple[Decimal, ...]
    charges: tuple[Charge, ...]


def charge_tax(plan: MarketPlan, regime: RegimePlan,
               tax_rates: Sequence[Sequence[tuple[ComponentPlan, Decimal]]], *,
               nets: Sequence[Decimal], subtotals: Sequence[Decimal],
               shares: Sequence[Decimal], ship_nets: Sequence[Decimal],
               duties: Sequence[Decimal], customs: Customs) -> Tax:
    """Tax per component and rate, for a regime that collects tax.

    Per line and component (components in chain order): tax inside the displayed goods (and
    shipping) price is extracted from the net value (``net x rate``); everything else in the
    component's base (goods in tax-exclusive markets, duty, the customs value, other
    components' tax, and for imports the uplift and additions) is taxed on top, grossed up by
    ``1 / (1 - rate)`` for a tax that is part of its own base. Shipping is taxed at the
    component's standard rate, whatever the goods' category rate (docs/calculation.md).
    """
    n = len(nets)
    cur, unit, mode = plan.currency, plan.unit, plan.tax_mode
    inclusive = plan.inclusive
    tax_mode = regime.regime.tax
    importing = tax_mode == "import"
    uplift = plan.import_uplift if importing else 0
    additions = _additions(plan, customs, nets=nets, ship_nets=ship_nets) if (
        importing and plan.additions) else ()
    values = customs.values
    zero = Decimal(0)
    # (component index, rate, included in prices?) -> [exact tax per line, base, parts]
    groups: dict[tuple[int, Decimal, bool], list[Any]] = {}
    # Exact tax of each component per line, for the components whose base names it.
    line_tax: dict[int, list[Decimal]] = {}
    names = plan.components_by_index
    position = plan.chain_position
    for li in range(n):
        net, ship = nets[li], shares[li]
        line_rates = tax_rates[li]
        if plan.has_chains:  # a component after those its base names
            line_rates = sorted(line_rates, key=lambda cr: position[cr[0].index])
        for comp, rate in line_rates:
            ci = comp.index
            mine = zero
            on_top = zero
            parts: list[tuple[str, Decimal]] = []
            if comp.goods:
                if inclusive:
                    g = groups.get(key := (ci, rate, True))
                    if g is None:
                        g = groups[key] = [[zero] * n, zero, {}]
                    t = net * rate
                    g[0][li] += t
                    g[1] += subtotals[li]
                    gp = g[2]
                    gp["goods"] = gp.get("goods", zero) + subtotals[li]
                    mine += t
                else:
                    on_top = net
                    parts.append(("goods", net))
            if comp.shipping and ship:
                ship_rate = comp.ship_rate
                g = groups.get(key := (ci, ship_rate, inclusive))
                if g is None:
                    g = groups[key] = [[zero] * n, zero, {}]
                t = (ship_nets[li] if inclusive else ship) * ship_rate
                g[0][li] += t
                g[1] += ship
                gp = g[2]
                gp["shipping"] = gp.get("shipping", zero) + ship
                mine += t
            if comp.duty and duties[li]:
                on_top += duties[li]
                parts.append(("duty", duties[li]))
            if comp.customs_value:
                on_top += values[li]
                parts.append(("customs_value", values[li]))
            for j in comp.on:
                other = line_tax.get(j)
                if other is not None and other[li]:
                    on_top += other[li]
                    parts.append((names[j].name, other[li]))
            if comp.goods or comp.customs_value:
                if uplift:  # a share of the customs value, on top of any price
                    up = values[li] * uplift
                    on_top += up
                    parts.append(("uplift", up))
                for name, amounts in additions:
                    if amounts[li]:
                        on_top += amounts[li]
                        parts.append((name, amounts[li]))
            if on_top:
                if comp.includes_itself:  # "por dentro": the tax is part of its own base
                    grossed = on_top / (1 - rate)
                    parts.append((f"{comp.name} (in its own base)", grossed - on_top))
                    on_top = grossed
                g = groups.get(key := (ci, rate, False))
                if g is None:
                    g = groups[key] = [[zero] * n, zero, {}]
                t = on_top * rate
                g[0][li] += t
                g[1] += on_top
                gp = g[2]
                for name, amount in parts:
                    gp[name] = gp.get(name, zero) + amount
                mine += t
            if mine:
                own = line_tax.get(ci)
                if own is None:
                    own = line_tax[ci] = [zero] * n
                own[li] += mine
    results = []
    line_rounding = plan.tax_line_rounding
    for key, (per_line, base, parts_sum) in groups.items():
        if line_rounding:
            rounded = [a.quantize(unit, rounding=mode) for a in per_line]
            amount = sum(rounded, zero)
        else:
            amount = sum(per_line, zero).quantize(unit, rounding=mode)
            rounded = split(amount, per_line, unit)
        results.append((key, amount, base.quantize(unit), rounded, parts_sum))
    total = sum([r[1] for r in results], zero)
    waived = bool(plan.tax_waive is not None and total and total <= plan.tax_waive)
    word = _REGIME_WORD[tax_mode]
    payable = plan.payable_import if importing else "checkout"
    # Sums of amounts rounded to the unit, started at the unit's zero: they keep its exponent.
    added = [plan.zero] * n
    included = [plan.zero] * n
    charges = []
    if len(results) > 1:
        results.sort(key=lambda r: (r[0][0], not r[0][2], r[0][1]))
    for (ci, rate, inside), amount, base, rounded, parts_sum in results:
        if waived:
            note = (f"not collected: total tax {total.quantize(unit)} {cur} is at or below "
                    f"{plan.tax_waive_src}")
            amount = zero
        else:
            if inside:
                note = (f"included in displayed prices: {base} {cur} x {rate} / (1 + rate); "
                        f"{word}")
                acc = included
            else:
                note = f"{base} {cur} x {rate}; {word}"
                acc = added
            for i in range(n):
                acc[i] += rounded[i]
        comp = names[ci]
        parts = (parts_sum.items() if len(parts_sum) == 1
                 else sorted(parts_sum.items(), key=_part_order))
        charges.append(Charge(
            kind="tax", name=comp.name, amount=Money(amount.quantize(unit), cur),
            rule=comp.rule, base=Money(base, cur), rate=rate, note=note, included=inside,
            payable=payable,  # type: ignore[arg-type]
            base_parts=tuple([(name, Money(v.quantize(unit), cur)) for name, v in parts])))
    return Tax(added=tuple(added), included=tuple(included), charges=tuple(charges))


#: The order base parts are shown in; other components and additions follow, as they came.
_PART_ORDER = {"goods": 0, "shipping": 1, "customs_value": 2, "duty": 3}


def _part_order(item: tuple[str, Decimal]) -> int:
    return _PART_ORDER.get(item[0], 4)


def _additions(plan: MarketPlan, customs: Customs, *, nets: Sequence[Decimal],
               ship_nets: Sequence[Decimal]) -> tuple[tuple[str, tuple[Decimal, ...]], ...]:
    """Each import tax addition per line: amounts split by value, shares of each line's
    shipping, goods or customs value."""
    out = []
    for name, cost in plan.additions:  # each an Addition: one of the four kinds
        if cost.amount is not None:
            amounts = split(plan.to_local(cost.amount), nets, plan.unit)
        elif cost.of_shipping is not None:
            amounts = tuple(s * cost.of_shipping for s in ship_nets)
        elif cost.of_goods is not None:
            amounts = tuple(v * cost.of_goods for v in nets)
        else:
            share = cost.of_customs_value or Decimal(0)
            amounts = tuple(v * share for v in customs.values)
        out.append((name, amounts))
    return tuple(out)


def no_tax(plan: MarketPlan, n: int) -> Tax:
    """A regime that collects no tax, or a market without one."""
    zeros = (plan.zero,) * n
    return Tax(added=zeros, included=zeros, charges=())
