"""The oracle: the straightforward quote calculation, kept in the tests only.

This is the engine as it was before plans were compiled (issue 10): it reads every rule value
from the rule files' models on the quote date, converts thresholds per quote and mutates one
record per line as it goes. It is slow and obvious; the compiled engine must agree with it to
the cent, and in every explained word, on random carts (tests/test_oracle.py), as CPython checks
its C ``decimal`` against the pure-Python ``_pydecimal``.

Nothing here is imported by the package.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, localcontext
from typing import Any

from pricing.endings import PriceEnding
from pricing.errors import (
    MissingRateError,
    PricingError,
    QuoteRefusedError,
    RequestError,
    RestrictedItemError,
    ShippingError,
    UnknownShippingMethodError,
    did_you_mean,
)
from pricing.fx import RateTable, age_warnings
from pricing.l10n.formatting import format_delivery_range, negotiate_locale
from pricing.markets import Market
from pricing.markets.schema import Regime, TaxComponent, component_order, rule_values
from pricing.money import CONTEXT, Money, Rounding, allocate, minor_unit
from pricing.payments import bundled_payment_methods
from pricing.quote import Charge, Item, Line, Quote, QuoteRequest, sum_money
from pricing.stages.delivery import delivery_window  # calendars: the engine's own
from pricing.stages.shipping import ShippingPrice, price_shipping  # the engine's own


@dataclass(frozen=True, slots=True)
class QuoteContext:
    """The market, day and currency of one quote, and its two ways of converting rule amounts."""

    market: Market
    day: date
    currency: str
    #: A rule amount (threshold, fee, shipping price) in the quote currency, rounded half-up.
    to_local: Callable[[Money], Money]
    #: The same, unrounded (for amounts that are multiplied before rounding: per kg, per unit).
    exact: Callable[[Money], Money]
    #: Who collects import duty and tax: "checkout" under DDP, "delivery" under DAP.
    payable_import: str
    #: Warnings the quote will carry; stages append to it.
    warnings: list[str] = field(default_factory=list)
    #: The valuation factor of the regime that applies, once it is known.
    factor: list[Decimal] = field(default_factory=lambda: [Decimal(1)])


@dataclass(slots=True)
class WorkLine:
    """One cart line while its quote is computed (exact, unrounded unless said)."""

    unit: Money
    subtotal: Money          # as displayed (gross in tax-inclusive markets), rounded
    weight: Decimal          # kg for the whole line
    tax_rates: list[tuple[int, TaxComponent, Decimal]]
    rate_sum: Decimal
    net: Money = None        # type: ignore[assignment]  # goods value net of tax, exact
    shipping: Money = None   # type: ignore[assignment]  # share of displayed shipping, rounded
    ship_net: Money = None   # type: ignore[assignment]
    duty: Money = None       # type: ignore[assignment]
    tax: Money = None        # type: ignore[assignment]
    included: Money = None   # type: ignore[assignment]
    fees: Money = None       # type: ignore[assignment]
    freight: Money = None    # type: ignore[assignment]  # as customs count it, exact
    insurance: Money = None  # type: ignore[assignment]
    cv_goods: Money = None   # type: ignore[assignment]  # goods at the valuation factor
    cv: Money = None         # type: ignore[assignment]  # customs value
    note: str = ""


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


#: When no regime of the market applies: duty charged, tax at import.
STANDARD = Regime(id="standard", name="Standard import: duty and import tax",
                  tax="import", duty="charged")
#: Parcels from inside the market's customs territory are not imports.
DOMESTIC = Regime(id="domestic", name="Domestic sale: no customs, tax at the sale",
                  tax="sale", duty="none")


def select_regime(ctx: QuoteContext, items: Sequence[Item], work: Sequence[WorkLine], *,
                  ship_from: str, region: str | None) -> tuple[Regime, list[dict[str, Any]]]:
    """The regime that applies to the cart, and every test tried with its outcome."""
    market, day, cur = ctx.market, ctx.day, ctx.currency
    tests: list[dict[str, Any]] = []
    territory = market.spec.customs_territory or market.spec.countries
    if ship_from in territory:
        tests.append({"regime": DOMESTIC.id, "passed": True,
                      "test": f"ships from {ship_from}, inside the market's customs "
                              "territory: not an import"})
        return DOMESTIC, tests
    for regime in market.spec.regimes:
        if not regime.in_force(day):
            continue
        said = []
        if regime.regions:
            if region not in regime.regions:
                tests.append({"regime": regime.id, "passed": False,
                              "test": f"destination region {region or '(not given)'} is not "
                                      f"{'/'.join(regime.regions)}"})
                continue
            said.append(f"destination region {region}")
        if regime.ship_from and ship_from not in regime.ship_from:
            tests.append({"regime": regime.id, "passed": False,
                          "test": f"ships from {ship_from}, not from "
                                  f"{'/'.join(regime.ship_from)}"})
            continue
        if regime.origin_in:
            outside = sorted({i.origin or "unknown" for i in items
                              if i.origin not in regime.origin_in})
            if outside:
                tests.append({"regime": regime.id, "passed": False,
                              "test": f"goods of {', '.join(outside)} origin, not all of "
                                      f"{'/'.join(regime.origin_in)} origin"})
                continue
            said.append(f"all goods of {'/'.join(regime.origin_in)} origin")
        if regime.origin_not_in:
            inside = sorted({i.origin for i in items if i.origin in regime.origin_not_in})
            if inside:
                tests.append({"regime": regime.id, "passed": False,
                              "test": f"goods of {', '.join(inside)} origin are excluded"})
                continue
            said.append(f"no goods of {'/'.join(regime.origin_not_in)} origin")
        limit_src = regime.max_value.at(day) if regime.max_value else None
        if limit_src is None:
            tests.append({"regime": regime.id, "passed": True,
                          "test": "; ".join([*said, "no threshold"])})
            return regime, tests
        limit = ctx.to_local(limit_src)
        factor = (regime.valuation_factor if regime.valuation_factor is not None
                  else market.spec.duty.valuation_factor)
        if regime.value_basis == "item":
            values = [Money(w.net.amount * factor / q, cur).round()
                      for w, q in zip(work, (i.quantity for i in items), strict=True)]
            what = "each item's value"
        else:
            total = sum_money([w.net for w in work], cur) * factor
            if regime.include_shipping:
                total = total + sum_money([w.freight for w in work], cur) + sum_money(
                    [w.insurance for w in work], cur)
            values = [total.round()]
            what = "consignment value" + (" incl. shipping" if regime.include_shipping
                                          else " excl. shipping")
        if factor != 1:
            what += f" at {factor} of the price"
        ok = all((v <= limit) if regime.inclusive else (v < limit) for v in values)
        shown = max(values, key=lambda m: m.amount)
        sign = ("<=" if regime.inclusive else "<") if ok else (
            ">" if regime.inclusive else ">=")
        conv = f" ({limit} at the quote's rate)" if limit_src.currency != cur else ""
        tests.append({
            "regime": regime.id, "passed": ok,
            "test": "; ".join([*said, f"{what} {shown} {sign} {limit_src}{conv}"])
                    + (f": {regime.note}" if ok and regime.note else "")})
        if ok:
            return regime, tests
    tests.append({"regime": STANDARD.id, "passed": True, "test": "no other regime applied"})
    return STANDARD, tests


def regime_ref(market: Market, regime: Regime) -> str | None:
    """``file#regimes[i]`` of a regime of ``market`` (None for the built-in ones)."""
    # By identity: pydantic's == on rule models is slow and could match a twin regime.
    for i, r in enumerate(market.spec.regimes):
        if r is regime:
            return market.rule_ref("regimes", i)
    return None


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
    if regime.duty == "rate":
        return _regime_rate_duty(ctx, work, regime)
    if regime.duty == "per_category":
        flat = regime.per_category_duty.at(day) if regime.per_category_duty else None
        if flat is None:
            return charges
        digits = regime.category_digits
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
        cv = w.cv
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
    total_groups: list[tuple[int, Money, Money, Any]] = []
    for ri, members in sorted(groups.items()):
        exact = sum_money([a for _, a, _ in members], cur)
        rounded = exact.round(mode=spec.rounding_mode)
        base = sum_money([cv for *_, cv in members], cur).round()
        total_groups.append((ri, rounded, base, _cv_parts(ctx, [work[li] for li, _, _ in members])))
        for (li, _, _), share in zip(members, allocate(
                rounded, [a.amount for _, a, _ in members]), strict=True):
            work[li].duty = share
    duty_total = sum_money([g[1] for g in total_groups], cur)
    waive = spec.waive_at_or_below.at(day) if spec.waive_at_or_below else None
    waived = waive is not None and duty_total <= ctx.to_local(waive) and duty_total
    for ri, amount, base, parts in total_groups:
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
                              rate=rate, note=note, payable=payable,  # type: ignore[arg-type]
                              base_parts=parts))
    if waived:
        for w in work:
            w.duty = zero
    return charges


def _cv_parts(ctx: QuoteContext, lines: Sequence[WorkLine]) -> tuple[tuple[str, Money], ...]:
    """The parts of the customs value of ``lines``: goods, and under CIF freight and
    insurance where there are any; nothing to break down under FOB at full value."""
    cur = ctx.currency
    cif = ctx.market.spec.duty.valuation == "CIF"
    if not cif and ctx.factor[0] == 1:
        return ()
    parts = [("goods", sum_money([w.cv_goods for w in lines], cur).round())]
    if cif:
        for name in ("freight", "insurance"):
            total = sum_money([getattr(w, name) for w in lines], cur)
            if any(getattr(w, name) for w in lines):
                parts.append((name, total.round()))
    return tuple(parts)


def _regime_rate_duty(ctx: QuoteContext, work: Sequence[WorkLine], regime: Regime
                      ) -> list[Charge]:
    cur = ctx.currency
    rate = regime.duty_rate.at(ctx.day) if regime.duty_rate else None
    rate = rate or Decimal(0)
    cv_total = sum_money([w.cv for w in work], cur)
    exact = cv_total * rate
    note = f"{ctx.market.spec.duty.valuation} customs value x {rate}"
    deduction = regime.duty_deduction.at(ctx.day) if regime.duty_deduction else None
    if deduction is not None:
        local = ctx.exact(deduction)
        exact = max(exact - local, Money.zero(cur), key=lambda m: m.amount)
        note += f" less {deduction}"
        if deduction.currency != cur:
            note += f" ({local.round(mode=Rounding.HALF_EVEN)})"
    amount = exact.round(mode=ctx.market.spec.duty.rounding_mode)
    for w, share in zip(work, allocate(amount, [w.cv.amount for w in work]), strict=True):
        w.duty = share if amount else Money.zero(cur)
    return [Charge(kind="duty", name="Duties", amount=amount,
                   rule=regime_ref(ctx.market, regime) or "", base=cv_total.round(), rate=rate,
                   note=note, payable=ctx.payable_import,  # type: ignore[arg-type]
                   base_parts=_cv_parts(ctx, work))]


def charge_tax(ctx: QuoteContext, work: Sequence[WorkLine], regime: Regime, *,
               inclusive: bool) -> list[Charge]:
    """Tax per component (in chain order), rate and line."""
    market, day, cur = ctx.market, ctx.day, ctx.currency
    payable_import = ctx.payable_import
    charges: list[Charge] = []
    spec = market.spec.tax
    if spec is None:  # callers only get here for markets with a tax section
        return charges
    unit = minor_unit(cur)
    dmode = spec.rounding_mode.decimal_mode
    n = len(work)
    importing = regime.tax == "import"
    payable = payable_import if importing else "checkout"
    uplift = (spec.import_uplift.at(day) if spec.import_uplift is not None
              and importing else None) or Decimal(0)
    additions = _additions(ctx, work) if importing else []
    names = [c.name for c in spec.components]
    line_tax: dict[int, list[Decimal]] = {}
    # (component index, rate, included in prices?) -> [(line, exact tax, base, parts)]
    groups: dict[tuple[int, Decimal, bool], list[tuple[int, Decimal, Decimal, list[Any]]]] = {}
    for ci in component_order(spec):
        comp = spec.components[ci]
        base_list = comp.base or spec.base
        for li, w in enumerate(work):
            found = [r for cj, _, r in w.tax_rates if cj == ci]
            if not found:
                continue  # not in this destination's region
            rate = found[0]
            net, sub = w.net.amount, w.subtotal.amount
            ship, ship_net, duty = w.shipping.amount, w.ship_net.amount, w.duty.amount
            mine = Decimal(0)
            on_top = Decimal(0)
            parts: list[tuple[str, Decimal]] = []
            if "goods" in base_list:
                if inclusive:
                    groups.setdefault((ci, rate, True), []).append(
                        (li, net * rate, sub, [("goods", sub)]))
                    mine += net * rate
                else:
                    on_top += net
                    parts.append(("goods", net))
            if "shipping" in base_list and ship:
                # Shipping is taxed at the component's standard rate, whatever the goods'
                # category rate (docs/calculation.md, "Tax").
                ship_rate = rate_for(comp, None, day) or Decimal(0)
                exact = (ship_net if inclusive else ship) * ship_rate
                groups.setdefault((ci, ship_rate, inclusive), []).append(
                    (li, exact, ship, [("shipping", ship)]))
                mine += exact
            if "duty" in base_list and duty:
                on_top += duty
                parts.append(("duty", duty))
            if "customs_value" in base_list:
                on_top += w.cv.amount
                parts.append(("customs_value", w.cv.amount))
            for other in base_list:
                if other in names and names.index(other) in line_tax:
                    amount = line_tax[names.index(other)][li]
                    if amount:
                        on_top += amount
                        parts.append((other, amount))
            if "goods" in base_list or "customs_value" in base_list:
                if uplift:  # a share of the customs value, on top of any price
                    on_top += w.cv.amount * uplift
                    parts.append(("uplift", w.cv.amount * uplift))
                for name, amounts in additions:
                    if amounts[li]:
                        on_top += amounts[li]
                        parts.append((name, amounts[li]))
            if on_top:
                if comp.includes_itself:
                    grossed = on_top / (1 - rate)
                    parts.append((f"{comp.name} (in its own base)", grossed - on_top))
                    on_top = grossed
                groups.setdefault((ci, rate, False), []).append(
                    (li, on_top * rate, on_top, parts))
                mine += on_top * rate
            line_tax.setdefault(ci, [Decimal(0)] * n)[li] += mine
    results = []
    for key, members in groups.items():
        per_line = [Decimal(0)] * n
        for li, a, _, _ in members:
            per_line[li] += a
        if spec.rounding == "line":
            shares = [a.quantize(unit, rounding=dmode) for a in per_line]
            amount = sum(shares, Decimal(0))
        else:
            amount = sum(per_line, Decimal(0)).quantize(unit, rounding=dmode)
            shares = [m.amount for m in allocate(Money(amount, cur), per_line)]
        base = sum((b for _, _, b, _ in members), Decimal(0)).quantize(unit)
        part_sums: dict[str, Decimal] = {}
        for *_, parts in members:
            for name, amount_part in parts:
                part_sums[name] = part_sums.get(name, Decimal(0)) + amount_part
        results.append((key, amount, base, shares, part_sums))
    tax_total = sum((r[1] for r in results), Decimal(0))
    waive = spec.waive_at_or_below.at(day) if spec.waive_at_or_below else None
    waived = bool(waive is not None and tax_total
                  and tax_total <= ctx.to_local(waive).amount)
    regime_word = {"sale": "collected at the sale", "import": "import tax"}[regime.tax]
    tax_acc = [Decimal(0)] * n
    inc_acc = [Decimal(0)] * n
    for (ci, rate, included), amount, base, shares, part_sums in sorted(
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
            payable=payable,  # type: ignore[arg-type]
            base_parts=tuple((k, Money(v.quantize(unit), cur)) for k, v in sorted(
                part_sums.items(),
                key=lambda kv: {"goods": 0, "shipping": 1, "customs_value": 2,
                                "duty": 3}.get(kv[0], 4)))))
    for w, t, i in zip(work, tax_acc, inc_acc, strict=True):
        w.tax = Money(t.quantize(unit), cur)
        w.included = Money(i.quantize(unit), cur)
    return charges


def _additions(ctx: QuoteContext, work: Sequence[WorkLine]) -> list[tuple[str, list[Decimal]]]:
    spec = ctx.market.spec.tax
    out = []
    for a in spec.import_additions if spec is not None else ():
        if a.amount is not None:
            local = ctx.to_local(a.amount)
            amounts = [m.amount for m in allocate(local, [w.net.amount for w in work])]
        elif a.of_shipping is not None:
            amounts = [w.ship_net.amount * a.of_shipping for w in work]
        elif a.of_goods is not None:
            amounts = [w.net.amount * a.of_goods for w in work]
        else:
            amounts = [w.cv.amount * (a.of_customs_value or 0) for w in work]
        out.append((a.name, amounts))
    return out


def rate_for(comp: TaxComponent, category: str | None, day: date) -> Decimal | None:
    """The component's rate for a product category on ``day`` (its standard rate when the
    category has none of its own); None when no rate is in force that day."""
    if category is not None and category in comp.categories:
        return comp.categories[category].at(day)
    return comp.rate.at(day)


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


class Oracle:
    """Quotes like :class:`pricing.Engine` (same rules, rates, catalog, labels and notices),
    the straightforward way."""

    def __init__(self, engine: Any) -> None:
        self.rules = engine.rules
        self.rates = engine.rates
        self.rates_on = engine.rates_on
        self.catalog = engine.catalog
        self.labels = engine.labels
        self.notices = engine.notices
        self._local: dict[tuple[Money, str], Money] = {}
        self._delivery: dict[tuple[int, int, str, str], str] = {}

    def quote(self, request: Any, *, on: date) -> Quote:
        req = request if isinstance(request, QuoteRequest) else QuoteRequest.from_dict(request)
        with localcontext(CONTEXT):
            return self.compute(req, req.date or on)

    def landed_unit(self, req: QuoteRequest, item: Item, day: date, locale: str
                    ) -> Decimal | None:
        """The total of a quote for one unit of ``item`` alone, shipping excluded."""
        alone = QuoteRequest(
            country=req.country, region=req.region, market=req.market, locale=locale,
            date=day, ship_from=req.ship_from, exclude_shipping=True,
            items=(Item(sku=item.sku, quantity=1, price=item.price, hs_code=item.hs_code,
                        origin=item.origin, category=item.category,
                        weight_kg=item.weight_kg),))
        try:
            return self.compute(alone, day, landed=False).total.amount
        except PricingError:
            return None

    def compute(self, req: QuoteRequest, day: date, *, landed: bool = True) -> Quote:
        rules = self.rules
        market = rules.market(req.market) if req.market else rules.market_for(req.country,
                                                                              req.region)
        spec = market.spec
        if req.market and not market.serves(req.country, req.region):
            raise RequestError(f"market {market.id!r} does not serve {req.country}"
                               + (f" ({req.region})" if req.region else ""),
                               field="destination.country", value=req.country,
                               expected=", ".join(spec.countries))
        if market.requires_region and req.region is None:
            raise RequestError(
                f"taxes in market {market.id!r} depend on the region: give destination.region "
                f"as an ISO 3166-2 code such as {spec.countries[0]}-...",
                field="destination.region", expected=f"an ISO 3166-2 code of {req.country}")
        cur = spec.currency
        zero = Money.zero(cur)
        warnings: list[str] = list(self.notices)
        locale, chain = negotiate_locale([req.locale] if req.locale else [], spec.locales,
                                         spec.default_locale)
        ship_from = req.ship_from or rules.shop.ship_from
        self._check_restrictions(market, req)

        # 2. local prices
        self.rates = self.rates_on(day)
        self._local = {}
        fx = self.rates.rate(rules.shop.base_currency, cur)
        age = self.rates.age_days(day)
        # The rates this quote converts with: the rules' amounts in other currencies, the
        # items' prices, declared freight and insurance.
        converted = {v.currency for v in rule_values(spec) if isinstance(v, Money)} | {
            i.price.currency for i in req.items} | {
            m.currency for m in (req.freight, req.insurance) if m is not None}
        used = []
        for c in sorted(converted - {cur}):
            try:
                used.append(self.rates.rate(c, cur))
            except MissingRateError:
                if c in {i.price.currency for i in req.items}:
                    continue  # named by the price stage
                raise
        warnings += age_warnings(used, day, max_days=rules.shop.max_rate_age_days)
        stale = any(not r.fixed and (day - r.as_of).days > rules.shop.max_rate_age_days
                    for r in used)
        tax_spec = spec.tax
        components = market.tax_components(req.region)
        ctx = QuoteContext(
            market=market, day=day, currency=cur,
            to_local=lambda m: self._to_local(m, cur), exact=lambda m: self._exact_local(m, cur),
            payable_import="delivery" if spec.incoterm == "DAP" else "checkout",
            warnings=warnings)
        work: list[WorkLine] = []
        for idx, item in enumerate(req.items):
            try:
                unit, note = local_price(market, item.sku, item.price, rates=self.rates)
            except MissingRateError as e:
                raise MissingRateError(e.message, field=f"items[{idx}].price.currency",
                                       value=item.price.currency, expected=e.expected) from None
            rates_here = []
            for ci, comp in components:
                r = rate_for(comp, item.category, day)
                if r is None:
                    raise QuoteRefusedError(
                        f"no {comp.name} rate in force on {day} in "
                        f"{market.rule_ref('tax', 'components', ci)}",
                        field=f"items[{idx}].category", value=item.category)
                rates_here.append((ci, comp, r))
            weight = (item.weight_kg if item.weight_kg is not None
                      else rules.shop.default_item_weight_kg) * item.quantity
            work.append(WorkLine(unit=unit, subtotal=unit * item.quantity, weight=weight,
                              tax_rates=rates_here, rate_sum=sum((r for *_, r in rates_here),
                                                                 Decimal(0)), note=note))
        goods = sum_money([w.subtotal for w in work], cur)

        # 3. shipping
        method_id, method, ship_rule = ("", None, "") if req.exclude_shipping else \
            self._method(market, req.shipping_method, req.region, req.postal_code)
        total_weight = sum((w.weight for w in work), Decimal(0))
        if method is None:  # duty and tax only
            priced = ShippingPrice(Money.zero(cur), "")
        else:
            priced = price_shipping(method, total_weight, method_id=method_id)
        shipping = self._to_local(priced.amount, cur)
        ship_note = priced.note
        free_over = method.free_over.at(day) if method and method.free_over else None
        if free_over is not None:
            limit = self._to_local(free_over, cur)
            if goods >= limit:
                ship_note = (f"free: goods {goods} at or over the {free_over} free-shipping "
                             "threshold")
                shipping = zero
            else:
                ship_note += f"; free from {free_over} of goods"
        # Shipping is split by weight, what it is priced on: a split by value would move it (and
        # the duty and tax on it) between lines whenever a price changed.
        ship_shares = allocate(shipping, [w.weight for w in work])
        std_rate_sum = sum((rate_for(c, None, day) or Decimal(0) for _, c in components),
                           Decimal(0))

        # 4. net values and the regime
        inclusive = spec.price_display == "inclusive" and tax_spec is not None
        base_parts = set(tax_spec.base) if tax_spec else set()
        for w, share in zip(work, ship_shares, strict=True):
            w.shipping = share
            if inclusive and "goods" in base_parts:
                w.net = Money(w.subtotal.amount / (1 + w.rate_sum), cur)
            else:
                w.net = w.subtotal
            if inclusive and "shipping" in base_parts:
                w.ship_net = Money(share.amount / (1 + std_rate_sum), cur)
            else:
                w.ship_net = share
        self._customs_costs(ctx, method, req, work)
        regime, tests = select_regime(ctx, req.items, work, ship_from=ship_from,
                                      region=req.region)
        regime_rule = regime_ref(market, regime)
        tax_collected = regime.tax != "none" and tax_spec is not None
        if not tax_collected:  # no tax inside the prices: the shown price is the value
            for w in work:
                w.net, w.ship_net = w.subtotal, w.shipping
            self._customs_costs(ctx, method, req, work)
        factor = (regime.valuation_factor if regime.valuation_factor is not None
                  else spec.duty.valuation_factor)
        ctx.factor[0] = factor
        for w in work:
            w.cv_goods = w.net * factor
            w.cv = w.cv_goods + ((w.freight + w.insurance) if spec.duty.valuation == "CIF"
                                 else Money.zero(cur))

        charges: list[Charge] = []
        if method is not None and (shipping or method.free_over is not None or priced.amount):
            charges.append(Charge(
                kind="shipping", name=method.name, amount=shipping, rule=ship_rule,
                base=None, rate=None, note=ship_note))

        # 5. customs value and duty
        charges += charge_duty(ctx, req.items, work, regime)

        # 6. tax
        if tax_collected:
            charges += charge_tax(ctx, work, regime, inclusive=inclusive)
        else:
            for w in work:
                w.tax = w.included = zero

        # 7. fees
        duty_total = sum_money([w.duty for w in work], cur)
        tax_total = sum_money([w.tax for w in work], cur)
        included_total = sum_money([w.included for w in work], cur)
        charges += charge_fees(ctx, req.items, work, regime, duty_total=duty_total,
                               tax_total=tax_total, shipping=shipping)
        fee_total = sum_money([w.fees for w in work], cur)

        # 8. totals
        total = goods + shipping + duty_total + tax_total + fee_total
        on_delivery = sum_money([c.amount for c in charges
                                 if c.payable == "delivery" and not c.included], cur)
        totals = {
            "items": goods, "shipping": shipping, "duties": duty_total, "taxes": tax_total,
            "included_taxes": included_total, "fees": fee_total, "total": total,
            "due_at_checkout": total - on_delivery, "due_on_delivery": on_delivery,
        }
        catalog = self.catalog
        lines = tuple(
            Line(sku=item.sku,
                 title=(item.title if item.title is not None or catalog is None
                        or item.sku not in catalog
                        else catalog.title(item.sku, locale, default=spec.default_locale)[0]),
                 quantity=item.quantity, currency=cur,
                 amounts=(w.unit.amount, w.subtotal.amount, w.shipping.amount, w.duty.amount,
                          w.tax.amount, w.included.amount, w.fees.amount), price_note=w.note,
                 landed_unit=self.landed_unit(req, item, day, locale) if landed else None)
            for item, w in zip(req.items, work, strict=True))
        markup = spec.pricing.fx_markup if fx.rate != 1 else Decimal(0)
        labels = self.labels
        names: dict[str, str] = {}
        if labels is not None:
            default = spec.default_locale
            for c in charges:
                if c.name not in names:
                    names[c.name] = labels.gettext(c.name, locale, default=default)
        shipping_method = None
        if method is not None:
            if labels is not None:
                delivery = labels.delivered_in(method.days[0], method.days[1], locale,
                                               default=spec.default_locale)
            else:
                delivery = f"Delivered in {method.days[0]}–{method.days[1]} days"
            first, last = delivery_window(day, method.days, country=req.country,
                                          region=req.region)
            shipping_method = {
                "id": method_id, "name": method.name, "days": list(method.days),
                "delivery": delivery,
                "delivery_dates": {"earliest": first.isoformat(), "latest": last.isoformat(),
                                   "text": format_delivery_range(first, last, locale)},
                "weight_kg": str(total_weight.normalize()), "rule": ship_rule}
        return Quote(
            market=market.id, currency=cur, locale=locale, locale_chain=chain, date=day,
            rules_version=rules.version, incoterm=spec.incoterm,
            price_display=spec.price_display,
            regime={"id": regime.id, "name": regime.name, "tax": regime.tax,
                    "duty": regime.duty, "tests": tests,
                    "rule": regime_rule},
            fx={"from": fx.source_currency, "to": fx.target, "rate": str(fx.rate),
                "markup": str(markup), "adjustment": str(spec.pricing.adjustment),
                "source": fx.source, "as_of": fx.as_of.isoformat(), "age_days": age,
                "stale": stale},
            lines=lines, charges=tuple(charges),
            shipping_method=shipping_method,
            warnings=tuple(warnings),
            total_amounts={k: v.amount for k, v in totals.items()}, labels=names,
            payment_methods=self.payment_methods(spec, totals["due_at_checkout"], req, locale))

    # -- helpers ------------------------------------------------------------------------------

    @staticmethod
    def payment_methods(spec: Any, due: Money, req: QuoteRequest, locale: str
                        ) -> tuple[dict[str, str], ...]:
        """Each listed method, asked one by one whether it can pay what is due at checkout."""
        registry = bundled_payment_methods()
        return tuple({"id": a.method.id, "name": a.method.name_in(locale),
                      "kind": str(a.method.kind)}
                     for a in registry.availability(spec.payment_methods, due,
                                                    country=req.country)
                     if a.available)

    def _customs_costs(self, ctx: QuoteContext, method: Any, req: QuoteRequest,
                       work: Sequence[WorkLine]) -> None:
        """Freight and insurance per line as customs count them."""
        cur = ctx.currency
        weights = [w.weight for w in work]
        values = [w.net.amount for w in work]
        customs = method.customs if method is not None else None
        if req.freight is not None:
            freight = allocate(ctx.to_local(req.freight), weights)
        elif customs is None or customs.freight is None:
            freight = [w.ship_net for w in work]
        else:
            freight = self._cost(ctx, customs.freight, work, weights)
        if req.insurance is not None:
            insurance = allocate(ctx.to_local(req.insurance), values)
        elif customs is None or customs.insurance is None:
            insurance = [Money.zero(cur) for _ in work]
        else:
            insurance = self._cost(ctx, customs.insurance, work, values)
        for w, f, i in zip(work, freight, insurance, strict=True):
            w.freight, w.insurance = f, i

    def _cost(self, ctx: QuoteContext, cost: Any, work: Sequence[WorkLine],
              weights: Sequence[Decimal]) -> list[Money]:
        if cost.amount is not None:
            return allocate(ctx.to_local(cost.amount), weights)
        if cost.of_shipping is not None:
            return [w.ship_net * cost.of_shipping for w in work]
        return [w.net * cost.of_goods for w in work]

    def _check_restrictions(self, market: Market, req: QuoteRequest) -> None:
        for ri, rule in enumerate(market.spec.restrictions):
            for idx, item in enumerate(req.items):
                hit = (item.hs_code and any(item.hs_code.startswith(p) for p in rule.hs)) or (
                    item.category is not None and item.category in rule.categories)
                if hit:
                    raise RestrictedItemError(
                        f"item {item.sku!r} cannot be sold to market {market.id!r}: "
                        f"{rule.reason} ({market.rule_ref('restrictions', ri)})",
                        field=f"items[{idx}]", value=item.sku)

    def _to_local(self, money: Money, cur: str) -> Money:
        """``money`` in ``cur``, rounded half-up (rule amounts: thresholds, shipping, fees)."""
        key = (money, cur)
        found = self._local.get(key)
        if found is None:
            found = money.round() if money.currency == cur else self.rates.convert(money, cur)
            if len(self._local) < 100_000:
                self._local[key] = found
        return found

    def _method(self, market: Market, wanted: str | None, region: str | None,
                postal_code: str | None) -> tuple[str, Any, str]:
        """The method, priced for the destination's area, and its rule reference."""
        methods = market.spec.shipping
        if wanted is not None:
            if wanted not in methods:
                raise UnknownShippingMethodError(
                    f"market {market.id!r} has no shipping method {wanted!r}"
                    + ("" if methods else ": it quotes duty and tax only"),
                    field="shipping_method", value=wanted, expected=", ".join(methods),
                    suggestion=did_you_mean(wanted, methods))
            if not methods[wanted].serves(region):
                raise ShippingError(
                    f"shipping method {wanted!r} of market {market.id!r} does not ship to "
                    f"{region or 'a destination without a region'}", field="shipping_method",
                    value=wanted, expected=", ".join(
                        k for k, m in methods.items() if m.serves(region)))
            key = wanted
        else:
            ordered = [k for k, m in methods.items() if m.default] + [
                k for k, m in methods.items() if not m.default]
            serving = [k for k in ordered if methods[k].serves(region)]
            if not serving:
                if not methods:
                    return "", None, ""
                raise ShippingError(
                    f"no shipping method of market {market.id!r} ships to "
                    f"{region or 'a destination without a region'}; give destination.region",
                    field="destination.region", value=region,
                    expected=", ".join(sorted({r for m in methods.values() for r in m.regions})))
            key = serving[0]
        method = methods[key]
        area = method.area_for(region, postal_code)
        if area is None:
            return key, method, market.rule_ref("shipping", key)
        index = method.areas.index(area)
        return key, method.priced_for(area), market.rule_ref("shipping", key, "areas", index)

    def _exact_local(self, money: Money, cur: str) -> Money:
        if money.currency == cur:
            return money
        return self.rates.rate(money.currency, cur).convert(money)
