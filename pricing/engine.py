"""The landed-cost engine: a cart and a destination in, an explained :class:`Quote` out.

The pipeline, in the order docs/calculation.md states and every quote follows:

1. market and locale; restricted goods refused;
2. local unit prices: a fixed price list, or conversion + FX markup + adjustment, then the price
   ending (convert first, so a .99 ending survives conversion);
3. shipping: method, weight bands, free-over threshold;
4. values net of tax (tax-inclusive markets) and the regime: the first regime whose tests pass
   (ship-from country, value threshold in its own currency) says how duty and tax are collected;
5. customs value (CIF includes shipping, FOB does not) and duty: origin preference, longest HS
   prefix, ad valorem + per kg + per unit, min/max; or a flat duty per tariff category; a waiver
   of small computed amounts;
6. tax, per component (VAT, GST, HST, PST, state sales tax): category rate, base as the market
   defines it; tax inside displayed prices is extracted, tax on duty is added; rounding per line
   or per order; a waiver of small computed amounts;
7. fees; 8. totals, what is due at checkout and on delivery (DAP).

The engine reads no file and no clock while quoting: rules, rates and the date are inputs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from pricing.endings import PriceEnding
from pricing.errors import (
    MissingRateError,
    QuoteRefusedError,
    RequestError,
    RestrictedItemError,
    UnknownShippingMethodError,
    did_you_mean,
)
from pricing.fx import RateTable, bundled_rates, load_rates_file
from pricing.l10n.formatting import negotiate_locale
from pricing.markets import Market, RuleSet, load_rules
from pricing.markets.schema import Regime, TaxComponent
from pricing.money import Money, allocate, minor_unit
from pricing.quote import Charge, Line, Quote, QuoteRequest, sum_money
from pricing.shipping import price_shipping

__all__ = ["Engine"]

_STANDARD = Regime(id="standard", name="Standard import: duty and import tax",
                   tax="import", duty="charged")
_DOMESTIC = Regime(id="domestic", name="Domestic sale: no customs, tax at the sale",
                   tax="sale", duty="none")


@dataclass(slots=True)
class _Work:
    """Per-line working values of one quote (exact, unrounded unless said)."""

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
    note: str = ""


class Engine:
    """Quotes against one rule set and one rate table; both immutable, so the engine is too."""

    def __init__(self, rules: RuleSet, *, rates: RateTable | None = None,
                 catalog: Any = None, labels: Any = None, notices: tuple[str, ...] = (),
                 clock: Callable[[], date] = date.today) -> None:
        self.rules = rules
        self.rates = rates if rates is not None else bundled_rates()
        #: Product text (``pricing.l10n.catalogs.ProductCatalog``) for item titles, or None.
        self.catalog = catalog
        #: The service's own labels (``pricing.l10n.labels.Labels``) for charge names, or None.
        self.labels = labels
        #: Warnings every quote carries (e.g. live rates failed and a fallback table is used).
        self.notices = tuple(notices)
        self._clock = clock
        # Conversions of rule amounts (thresholds, shipping prices) at this engine's fixed
        # rates: computed once, as the rules and rates never change under an engine.
        self._local: dict[tuple[Money, str], Money] = {}
        self._delivery: dict[tuple[int, int, str, str], str] = {}

    @classmethod
    def from_directory(cls, path: str | Path, *, rates: RateTable | str | Path | None = None,
                       locales: str | Path | None = None) -> Engine:
        """Load rules from ``path``, with the bundled rates unless ``rates`` (a table or a
        file) and the product catalogs of ``locales`` (default: a ``locales/`` folder beside
        the rules folder, when there is one)."""
        from pricing.l10n.catalogs import load_catalogs
        from pricing.l10n.labels import load_labels

        table = load_rates_file(rates) if isinstance(rates, str | Path) else rates
        rules = load_rules(path)
        if locales is None:
            beside = Path(path).resolve().parent / "locales"
            locales = beside if beside.is_dir() else None
        catalog = load_catalogs(locales, rules=rules) if locales is not None else None
        labels = load_labels(locales) if locales is not None else None
        return cls(rules, rates=table, catalog=catalog, labels=labels)

    def with_rules(self, rules: RuleSet, *, rates: RateTable | None = None,
                   notices: tuple[str, ...] | None = None) -> Engine:
        """A new engine on ``rules`` (and ``rates``, ``notices``), keeping this one's catalog,
        labels and clock.

        Engines are immutable; a service swaps the whole engine when rules or rates change.
        """
        return Engine(rules, rates=rates if rates is not None else self.rates,
                      catalog=self.catalog, labels=self.labels,
                      notices=self.notices if notices is None else notices, clock=self._clock)

    def today(self) -> date:
        """Today by this engine's clock: the quote date of requests that give none."""
        return self._clock()

    # -- the edge: parse, default the date --------------------------------------------------

    def quote(self, request: QuoteRequest | Mapping[str, Any], *, on: date | None = None
              ) -> Quote:
        """Quote ``request`` (a :class:`QuoteRequest` or its JSON dict form).

        The quote date is the request's ``date``, else ``on``, else today from the clock.
        """
        req = request if isinstance(request, QuoteRequest) else QuoteRequest.from_dict(request)
        day = req.date or on or self._clock()
        return self.compute(req, day)

    # -- the pure pipeline ------------------------------------------------------------------

    def compute(self, req: QuoteRequest, day: date) -> Quote:
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
        fx = self.rates.rate(rules.shop.base_currency, cur)
        age = self.rates.age_days(day)
        stale = age > rules.shop.max_rate_age_days
        if age < 0:
            warnings.append(f"exchange rates are dated {self.rates.as_of}, after the quote date "
                            f"{day}: the quote uses rates that were not yet published that day")
        if stale:
            warnings.append(f"exchange rates are from {self.rates.as_of} ({age} days before the "
                            f"quote date; limit {rules.shop.max_rate_age_days}): update them with "
                            "`pricing rates update`")
        tax_spec = spec.tax
        components = market.tax_components(req.region)
        work: list[_Work] = []
        for idx, item in enumerate(req.items):
            try:
                unit, note = self._local_price(market, item.sku, item.price, cur)
            except MissingRateError as e:
                raise MissingRateError(e.message, field=f"items[{idx}].price.currency",
                                       value=item.price.currency, expected=e.expected) from None
            rates_here = []
            for ci, comp in components:
                r = _rate_for(comp, item.category, day)
                if r is None:
                    raise QuoteRefusedError(
                        f"no {comp.name} rate in force on {day} in "
                        f"{market.rule_ref('tax', 'components', ci)}",
                        field=f"items[{idx}].category", value=item.category)
                rates_here.append((ci, comp, r))
            weight = (item.weight_kg if item.weight_kg is not None
                      else rules.shop.default_item_weight_kg) * item.quantity
            work.append(_Work(unit=unit, subtotal=unit * item.quantity, weight=weight,
                              tax_rates=rates_here, rate_sum=sum((r for *_, r in rates_here),
                                                                 Decimal(0)), note=note))
        goods = sum_money([w.subtotal for w in work], cur)

        # 3. shipping
        method_id, method = self._method(market, req.shipping_method)
        total_weight = sum((w.weight for w in work), Decimal(0))
        priced = price_shipping(method, total_weight, method_id=method_id)
        shipping = self._to_local(priced.amount, cur)
        ship_note = priced.note
        free_over = method.free_over.at(day) if method.free_over else None
        if free_over is not None:
            limit = self._to_local(free_over, cur)
            if goods >= limit:
                ship_note = (f"free: goods {goods} at or over the {free_over} free-shipping "
                             "threshold")
                shipping = zero
            else:
                ship_note += f"; free from {free_over} of goods"
        ship_shares = allocate(shipping, [w.subtotal.amount for w in work])
        std_rate_sum = sum((_rate_for(c, None, day) or Decimal(0) for _, c in components),
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
        regime, tests = self._regime(market, req, work, ship_from, day, cur)
        regime_ref = self._regime_ref(market, regime)
        tax_collected = regime.tax != "none" and tax_spec is not None
        if not tax_collected:  # no tax inside the prices: the shown price is the value
            for w in work:
                w.net, w.ship_net = w.subtotal, w.shipping

        charges: list[Charge] = []
        payable_import = "delivery" if spec.incoterm == "DAP" else "checkout"
        if shipping or method.free_over is not None or priced.amount:
            charges.append(Charge(
                kind="shipping", name=method.name, amount=shipping,
                rule=market.rule_ref("shipping", method_id),
                base=None, rate=None, note=ship_note))

        # 5. customs value and duty
        self._duty(market, req, work, regime, day, cur, charges, payable_import, warnings)

        # 6. tax
        if tax_collected and tax_spec is not None:
            self._tax(market, work, regime, day, cur, charges, inclusive, payable_import)
        else:
            for w in work:
                w.tax = w.included = zero

        # 7. fees
        duty_total = sum_money([w.duty for w in work], cur)
        tax_total = sum_money([w.tax for w in work], cur)
        included_total = sum_money([w.included for w in work], cur)
        self._fees(market, req, work, regime, day, cur, charges, duty_total,
                   tax_total, shipping)
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
                 quantity=item.quantity, unit_price=w.unit,
                 subtotal=w.subtotal, shipping=w.shipping, duty=w.duty, tax=w.tax,
                 included_tax=w.included, fees=w.fees, price_note=w.note)
            for item, w in zip(req.items, work, strict=True))
        markup = spec.pricing.fx_markup if fx.rate != 1 else Decimal(0)
        labels = self.labels
        names: dict[str, str] = {}
        if labels is not None:
            default = spec.default_locale
            for c in charges:
                if c.name not in names:
                    names[c.name] = labels.gettext(c.name, locale, default=default)
            key = (method.days[0], method.days[1], locale, default)
            delivery = self._delivery.get(key)
            if delivery is None:  # babel formats the numbers: slow, and always the same
                delivery = self._delivery[key] = labels.delivered_in(
                    method.days[0], method.days[1], locale, default=default)
        else:
            delivery = f"Delivered in {method.days[0]}–{method.days[1]} days"
        return Quote(
            market=market.id, currency=cur, locale=locale, locale_chain=chain, date=day,
            rules_version=rules.version, incoterm=spec.incoterm,
            price_display=spec.price_display,
            regime={"id": regime.id, "name": regime.name, "tax": regime.tax,
                    "duty": regime.duty, "tests": tests,
                    "rule": regime_ref},
            fx={"from": fx.source_currency, "to": fx.target, "rate": str(fx.rate),
                "markup": str(markup), "adjustment": str(spec.pricing.adjustment),
                "source": fx.source, "as_of": fx.as_of.isoformat(), "age_days": age,
                "stale": stale},
            lines=lines, charges=tuple(charges),
            shipping_method={"id": method_id, "name": method.name, "days": list(method.days),
                             "delivery": delivery,
                             "weight_kg": str(total_weight.normalize())},
            warnings=tuple(warnings), totals=totals, labels=names)

    # -- stages -------------------------------------------------------------------------------

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

    def _local_price(self, market: Market, sku: str, price: Money, cur: str
                     ) -> tuple[Money, str]:
        p = market.spec.pricing
        fixed = p.prices.get(sku)
        if fixed is not None:
            return fixed.round(), f"fixed price list ({market.rule_ref('pricing', 'prices')})"
        if price.amount == 0:
            return Money.zero(cur), "free item"
        rate = self.rates.rate(price.currency, cur)
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

    def _method(self, market: Market, wanted: str | None) -> tuple[str, Any]:
        methods = market.spec.shipping
        if wanted is not None:
            if wanted not in methods:
                raise UnknownShippingMethodError(
                    f"market {market.id!r} has no shipping method {wanted!r}",
                    field="shipping_method", value=wanted, expected=", ".join(methods),
                    suggestion=did_you_mean(wanted, methods))
            return wanted, methods[wanted]
        for k, m in methods.items():
            if m.default:
                return k, m
        k = next(iter(methods))
        return k, methods[k]

    def _regime(self, market: Market, req: QuoteRequest, work: list[_Work], ship_from: str,
                day: date, cur: str) -> tuple[Regime, list[dict[str, Any]]]:
        tests: list[dict[str, Any]] = []
        territory = market.spec.customs_territory or market.spec.countries
        if ship_from in territory:
            tests.append({"regime": _DOMESTIC.id, "passed": True,
                          "test": f"ships from {ship_from}, inside the market's customs "
                                  "territory: not an import"})
            return _DOMESTIC, tests
        for regime in market.spec.regimes:
            if not regime.in_force(day):
                continue
            if regime.ship_from and ship_from not in regime.ship_from:
                tests.append({"regime": regime.id, "passed": False,
                              "test": f"ships from {ship_from}, not from "
                                      f"{'/'.join(regime.ship_from)}"})
                continue
            limit_src = regime.max_value.at(day) if regime.max_value else None
            if limit_src is None:
                tests.append({"regime": regime.id, "passed": True, "test": "no threshold"})
                return regime, tests
            limit = self._to_local(limit_src, cur)
            if regime.value_basis == "item":
                values = [Money(w.net.amount / q, cur).round()
                          for w, q in zip(work, (i.quantity for i in req.items), strict=True)]
                what = "each item's value"
            else:
                total = sum_money([w.net for w in work], cur)
                if regime.include_shipping:
                    total = total + sum_money([w.ship_net for w in work], cur)
                values = [total.round()]
                what = "consignment value" + (" incl. shipping" if regime.include_shipping
                                              else " excl. shipping")
            ok = all((v <= limit) if regime.inclusive else (v < limit) for v in values)
            shown = max(values, key=lambda m: m.amount)
            sign = ("<=" if regime.inclusive else "<") if ok else (
                ">" if regime.inclusive else ">=")
            conv = f" ({limit} at the quote's rate)" if limit_src.currency != cur else ""
            tests.append({
                "regime": regime.id, "passed": ok,
                "test": f"{what} {shown} {sign} {limit_src}{conv}"
                        + (f": {regime.note}" if ok and regime.note else "")})
            if ok:
                return regime, tests
        tests.append({"regime": _STANDARD.id, "passed": True, "test": "no other regime applied"})
        return _STANDARD, tests

    @staticmethod
    def _regime_ref(market: Market, regime: Regime) -> str | None:
        # By identity: pydantic's == on rule models is slow and could match a twin regime.
        for i, r in enumerate(market.spec.regimes):
            if r is regime:
                return market.rule_ref("regimes", i)
        return None

    def _duty(self, market: Market, req: QuoteRequest, work: list[_Work], regime: Regime,
              day: date, cur: str, charges: list[Charge], payable: str,
              warnings: list[str]) -> None:
        zero = Money.zero(cur)
        spec = market.spec.duty
        for w in work:
            w.duty = zero
        if regime.duty == "none":
            return
        if regime.duty == "flat":
            flat = regime.flat_duty.at(day) if regime.flat_duty else None
            if flat is None:
                return
            digits = regime.flat_duty_category_digits
            cats: dict[str, list[int]] = {}
            for li, i in enumerate(req.items):
                cat = i.hs_code[:digits] if i.hs_code else f"category:{i.category or '-'}"
                cats.setdefault(cat, []).append(li)
            per_cat = self._to_local(flat, cur)
            amount = Money(per_cat.amount * len(cats), cur)
            # Each category's duty goes to that category's own lines (by value), so the tax on
            # duty follows the goods it is charged on and a price rise never moves it.
            for members in cats.values():
                shares = allocate(per_cat, [work[li].net.amount for li in members])
                for li, share in zip(members, shares, strict=True):
                    work[li].duty = share
            charges.append(Charge(
                kind="duty", name="Duties", amount=amount,
                rule=self._regime_ref(market, regime) or "",
                base=None, rate=None, payable=payable,  # type: ignore[arg-type]
                note=f"{flat} x {len(cats)} tariff categor{'y' if len(cats) == 1 else 'ies'} "
                     f"({', '.join(sorted(cats))})"))
            return
        # ad valorem / specific, grouped by the rule that produced it
        groups: dict[int, list[tuple[int, Money, Money]]] = defaultdict(list)
        rule_of: dict[int, Any] = {}
        for li, (item, w) in enumerate(zip(req.items, work, strict=True)):
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
                    amount = amount + self._exact_local(per_kg, cur) * w.weight
                per_unit = rule.per_unit.at(day) if rule.per_unit else None
                if per_unit is not None:
                    amount = amount + self._exact_local(per_unit, cur) * item.quantity
                if rule.minimum is not None:
                    lo = self._exact_local(rule.minimum, cur) * item.quantity
                    amount = max(amount, lo, key=lambda m: m.amount)
                if rule.maximum is not None:
                    hi = self._exact_local(rule.maximum, cur) * item.quantity
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
        waived = waive is not None and duty_total <= self._to_local(waive, cur) and duty_total
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

    def _exact_local(self, money: Money, cur: str) -> Money:
        if money.currency == cur:
            return money
        return self.rates.rate(money.currency, cur).convert(money)

    def _tax(self, market: Market, work: list[_Work], regime: Regime, day: date, cur: str,
             charges: list[Charge], inclusive: bool, payable_import: str) -> None:
        """Tax per component and rate. Works on Decimal amounts of the one market currency and
        wraps them as Money at the end: this is the hottest stage of a quote."""
        spec = market.spec.tax
        if spec is None:  # callers only get here for markets with a tax section
            return
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
                    ship_rate = _rate_for(comp, None, day) or Decimal(0)
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
                      and tax_total <= self._to_local(waive, cur).amount)
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

    def _fees(self, market: Market, req: QuoteRequest, work: list[_Work], regime: Regime,
              day: date, cur: str, charges: list[Charge], duty_total: Money,
              tax_total: Money, shipping: Money) -> None:
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
                amount = self._exact_local(src, cur) if src else zero
                note = f"{src} per consignment"
            elif fee.per_item is not None:
                src = fee.per_item.at(day)
                units = sum(i.quantity for i in req.items)
                amount = (self._exact_local(src, cur) * units) if src else zero
                note = f"{src} x {units} items"
            else:
                rate = fee.rate.at(day) if fee.rate else None
                base = base_money
                amount = base_money * (rate or Decimal(0))
                note = f"{base_money.round()} x {rate} ({fee.base.replace('_', ' ')})"
            if fee.minimum is not None and amount < (lo := self._exact_local(fee.minimum, cur)):
                amount, note = lo, note + f"; minimum {fee.minimum}"
            if fee.maximum is not None and amount > (hi := self._exact_local(fee.maximum, cur)):
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


def _rate_for(comp: TaxComponent, category: str | None, day: date) -> Decimal | None:
    if category is not None and category in comp.categories:
        return comp.categories[category].at(day)
    return comp.rate.at(day)

