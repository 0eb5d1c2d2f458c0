"""The tax stage: VAT, GST, HST, PST or sales tax per component, rate and line.

Tax inside displayed prices (tax-inclusive markets) is extracted, tax on duty (and on an
import uplift) is added on top; rounding is per line or per order as the market says, and a
total at or below the market's waiver is not collected.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from pricing.markets.schema import Regime, TaxComponent
from pricing.money import Money, allocate, minor_unit
from pricing.quote import Charge
from pricing.stages import QuoteContext, WorkLine

__all__ = ["charge_tax", "rate_for"]


def charge_tax(ctx: QuoteContext, work: Sequence[WorkLine], regime: Regime, *,
               inclusive: bool) -> list[Charge]:
    """Tax per component and rate. Works on Decimal amounts of the one market currency and
    wraps them as Money at the end: this is the hottest stage of a quote."""
    market, day, cur = ctx.market, ctx.day, ctx.currency
    payable_import = ctx.payable_import
    charges: list[Charge] = []
    spec = market.spec.tax
    if spec is None:  # callers only get here for markets with a tax section
        return charges
    unit = minor_unit(cur)
    dmode = spec.rounding_mode.decimal_mode
    parts = set(spec.base)
    n = len(work)
    payable = payable_import if regime.tax == "import" else "checkout"
    uplift = (spec.import_uplift.at(day) if spec.import_uplift is not None
              and regime.tax == "import" else None) or Decimal(0)
    cif = market.spec.duty.valuation == "CIF"
    # (component index, rate, included in prices?) -> [(line, exact tax, base)]
    groups: dict[tuple[int, Decimal, bool], list[tuple[int, Decimal, Decimal]]] = {}
    for li, w in enumerate(work):
        net, sub = w.net.amount, w.subtotal.amount
        ship, ship_net, duty = w.shipping.amount, w.ship_net.amount, w.duty.amount
        for ci, comp, rate in w.tax_rates:
            on_top = Decimal(0)
            if "goods" in parts:
                if inclusive:
                    groups.setdefault((ci, rate, True), []).append((li, net * rate, sub))
                else:
                    on_top += net
            if "shipping" in parts and ship:
                # Shipping is taxed at the component's standard rate, whatever the goods'
                # category rate (docs/calculation.md, "Tax").
                ship_rate = rate_for(comp, None, day) or Decimal(0)
                if inclusive:
                    groups.setdefault((ci, ship_rate, True), []).append(
                        (li, ship_net * ship_rate, ship))
                else:
                    groups.setdefault((ci, ship_rate, False), []).append(
                        (li, ship * ship_rate, ship))
            if "duty" in parts:
                on_top += duty
            if uplift:  # a share of the customs value, on top of any price
                on_top += (net + (ship_net if cif else 0)) * uplift
            if on_top:
                groups.setdefault((ci, rate, False), []).append((li, on_top * rate, on_top))
    results = []
    for key, members in groups.items():
        per_line = [Decimal(0)] * n
        for li, a, _ in members:
            per_line[li] += a
        if spec.rounding == "line":
            shares = [a.quantize(unit, rounding=dmode) for a in per_line]
            amount = sum(shares, Decimal(0))
        else:
            amount = sum(per_line, Decimal(0)).quantize(unit, rounding=dmode)
            shares = [m.amount for m in allocate(Money(amount, cur), per_line)]
        base = sum((b for *_, b in members), Decimal(0)).quantize(unit)
        results.append((key, amount, base, shares))
    tax_total = sum((r[1] for r in results), Decimal(0))
    waive = spec.waive_at_or_below.at(day) if spec.waive_at_or_below else None
    waived = bool(waive is not None and tax_total
                  and tax_total <= ctx.to_local(waive).amount)
    regime_word = {"sale": "collected at the sale", "import": "import tax"}[regime.tax]
    tax_acc = [Decimal(0)] * n
    inc_acc = [Decimal(0)] * n
    for (ci, rate, included), amount, base, shares in sorted(
            results, key=lambda r: (r[0][0], not r[0][2], r[0][1])):
        base_m = Money(base, cur)
        if waived:
            shown = Money(tax_total.quantize(unit), cur)
            note = f"not collected: total tax {shown} is at or below {waive}"
            amount = Decimal(0)
        elif included:
            note = (f"included in displayed prices: {base_m} x {rate} / (1 + rate); "
                    f"{regime_word}")
        else:
            note = f"{base_m} x {rate}; {regime_word}"
        if not waived:
            acc = inc_acc if included else tax_acc
            for i, share in enumerate(shares):
                acc[i] += share
        charges.append(Charge(
            kind="tax", name=spec.components[ci].name,
            amount=Money(amount.quantize(unit), cur),
            rule=market.rule_ref("tax", "components", ci), base=base_m, rate=rate,
            note=note, included=included,
            payable=payable))  # type: ignore[arg-type]
    for w, t, i in zip(work, tax_acc, inc_acc, strict=True):
        w.tax = Money(t.quantize(unit), cur)
        w.included = Money(i.quantize(unit), cur)
    return charges


def rate_for(comp: TaxComponent, category: str | None, day: date) -> Decimal | None:
    """The component's rate for a product category on ``day`` (its standard rate when the
    category has none of its own); None when no rate is in force that day."""
    if category is not None and category in comp.categories:
        return comp.categories[category].at(day)
    return comp.rate.at(day)
