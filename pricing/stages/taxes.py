"""Stage 5, tax: VAT, GST, HST, PST or sales tax per component, rate and line.

Tax inside displayed prices (tax-inclusive markets) is extracted, tax on duty (and on an
import uplift) is added on top; rounding is per line or per order as the market says, and a
total at or below the market's waiver is not collected.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

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
    uplift = plan.import_uplift if tax_mode == "import" else Decimal(0)
    cif = plan.cif
    # (component index, rate, included in prices?) -> [(line, exact tax, base)]
    groups: dict[tuple[int, Decimal, bool], list[tuple[int, Decimal, Decimal]]] = {}
    for li in range(n):
        net, sub, ship, ship_net = nets[li], subtotals[li], shares[li], ship_nets[li]
        for comp, rate in tax_rates[li]:
            ci = comp.index
            on_top = Decimal(0)
            if tax_goods:
                if inclusive:
                    groups.setdefault((ci, rate, True), []).append((li, net * rate, sub))
                else:
                    on_top += net
            if tax_shipping and ship:
                ship_rate = comp.rate or Decimal(0)
                if inclusive:
                    groups.setdefault((ci, ship_rate, True), []).append(
                        (li, ship_net * ship_rate, ship))
                else:
                    groups.setdefault((ci, ship_rate, False), []).append(
                        (li, ship * ship_rate, ship))
            if tax_duty:
                on_top += duties[li]
            if uplift:  # a share of the customs value, on top of any price
                on_top += (net + (ship_net if cif else 0)) * uplift
            if on_top:
                groups.setdefault((ci, rate, False), []).append((li, on_top * rate, on_top))
    results = []
    line_rounding = plan.tax_line_rounding
    for key, members in groups.items():
        per_line = [Decimal(0)] * n
        for li, a, _ in members:
            per_line[li] += a
        if line_rounding:
            rounded = tuple(a.quantize(unit, rounding=mode) for a in per_line)
            amount = sum(rounded, Decimal(0))
        else:
            amount = sum(per_line, Decimal(0)).quantize(unit, rounding=mode)
            rounded = split(amount, per_line, unit)
        base = sum((b for *_, b in members), Decimal(0)).quantize(unit)
        results.append((key, amount, base, rounded))
    total = sum((r[1] for r in results), Decimal(0))
    waived = bool(plan.tax_waive is not None and total and total <= plan.tax_waive)
    word = _REGIME_WORD[tax_mode]
    payable = plan.payable_import if tax_mode == "import" else "checkout"
    added = [Decimal(0)] * n
    included = [Decimal(0)] * n
    components = plan.tax.components if plan.tax is not None else ()
    charges = []
    for (ci, rate, inside), amount, base, rounded in sorted(
            results, key=lambda r: (r[0][0], not r[0][2], r[0][1])):
        if waived:
            note = (f"not collected: total tax {total.quantize(unit)} {cur} is at or below "
                    f"{plan.tax_waive_src}")
            amount = Decimal(0)
        elif inside:
            note = (f"included in displayed prices: {base} {cur} x {rate} / (1 + rate); "
                    f"{word}")
        else:
            note = f"{base} {cur} x {rate}; {word}"
        if not waived:
            acc = included if inside else added
            for i, share in enumerate(rounded):
                acc[i] += share
        charges.append(Charge(
            kind="tax", name=components[ci].name, amount=Money(amount.quantize(unit), cur),
            rule=plan.market.rule_ref("tax", "components", ci), base=Money(base, cur),
            rate=rate, note=note, included=inside, payable=payable))  # type: ignore[arg-type]
    return Tax(added=tuple(a.quantize(unit) for a in added),
               included=tuple(a.quantize(unit) for a in included), charges=tuple(charges))


def no_tax(plan: MarketPlan, n: int) -> Tax:
    """A regime that collects no tax, or a market without one."""
    zeros = (plan.zero,) * n
    return Tax(added=zeros, included=zeros, charges=())
