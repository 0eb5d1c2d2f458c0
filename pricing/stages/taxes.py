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
               duties: Sequence[Decimal]) -> Tax:
    """Tax per component and rate, for a regime that collects tax.

    Per line and component: tax inside the displayed goods (and shipping) price is extracted
    from the net value (``net x rate``), everything else in the base (goods in tax-exclusive
    markets, duty, the import uplift) is taxed on top. Shipping is taxed at the component's
    standard rate, whatever the goods' category rate (docs/calculation.md, "Tax").
    """
    n = len(nets)
    cur, unit, mode = plan.currency, plan.unit, plan.tax_mode
    inclusive = plan.inclusive
    tax_goods, tax_shipping, tax_duty = plan.tax_goods, plan.tax_shipping, plan.tax_duty
    tax_mode = regime.regime.tax
    uplift = plan.import_uplift if tax_mode == "import" else 0
    cif = plan.cif
    zero = Decimal(0)
    # (component index, rate, included in prices?) -> [exact tax per line, base]
    groups: dict[tuple[int, Decimal, bool], list[Any]] = {}
    for li in range(n):
        net, ship = nets[li], shares[li]
        for comp, rate in tax_rates[li]:
            ci = comp.index
            on_top = zero
            if tax_goods:
                if inclusive:
                    g = groups.get(key := (ci, rate, True))
                    if g is None:
                        g = groups[key] = [[zero] * n, zero]
                    g[0][li] += net * rate
                    g[1] += subtotals[li]
                else:
                    on_top = net
            if tax_shipping and ship:
                ship_rate = comp.ship_rate
                g = groups.get(key := (ci, ship_rate, inclusive))
                if g is None:
                    g = groups[key] = [[zero] * n, zero]
                g[0][li] += (ship_nets[li] if inclusive else ship) * ship_rate
                g[1] += ship
            if tax_duty:
                on_top += duties[li]
            if uplift:  # a share of the customs value, on top of any price
                on_top += (net + (ship_nets[li] if cif else 0)) * uplift
            if on_top:
                g = groups.get(key := (ci, rate, False))
                if g is None:
                    g = groups[key] = [[zero] * n, zero]
                g[0][li] += on_top * rate
                g[1] += on_top
    results = []
    line_rounding = plan.tax_line_rounding
    for key, (per_line, base) in groups.items():
        if line_rounding:
            rounded = [a.quantize(unit, rounding=mode) for a in per_line]
            amount = sum(rounded, zero)
        else:
            amount = sum(per_line, zero).quantize(unit, rounding=mode)
            rounded = split(amount, per_line, unit)
        results.append((key, amount, base.quantize(unit), rounded))
    total = sum([r[1] for r in results], zero)
    waived = bool(plan.tax_waive is not None and total and total <= plan.tax_waive)
    word = _REGIME_WORD[tax_mode]
    payable = plan.payable_import if tax_mode == "import" else "checkout"
    added = [zero] * n
    included = [zero] * n
    components = plan.components_by_index
    charges = []
    if len(results) > 1:
        results.sort(key=lambda r: (r[0][0], not r[0][2], r[0][1]))
    for (ci, rate, inside), amount, base, rounded in results:
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
        comp = components[ci]
        charges.append(Charge(
            kind="tax", name=comp.name, amount=Money(amount.quantize(unit), cur),
            rule=comp.rule, base=Money(base, cur), rate=rate, note=note, included=inside,
            payable=payable))  # type: ignore[arg-type]
    return Tax(added=tuple([a.quantize(unit) for a in added]),
               included=tuple([a.quantize(unit) for a in included]), charges=tuple(charges))


def no_tax(plan: MarketPlan, n: int) -> Tax:
    """A regime that collects no tax, or a market without one."""
    zeros = (plan.zero,) * n
    return Tax(added=zeros, included=zeros, charges=())
