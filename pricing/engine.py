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

Each stage is its own module of functions over a :class:`~pricing.stages.QuoteContext` and the
cart's :class:`~pricing.stages.WorkLine` s: :mod:`pricing.prices`, :mod:`pricing.shipping`,
:mod:`pricing.regimes`, :mod:`pricing.duties`, :mod:`pricing.taxes`, :mod:`pricing.fees`; this
module orders them and assembles the :class:`Quote`. The engine reads no file and no clock while
quoting: rules, rates and the date are inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from pricing.duties import charge_duty
from pricing.errors import (
    MissingRateError,
    QuoteRefusedError,
    RequestError,
    RestrictedItemError,
    UnknownShippingMethodError,
    did_you_mean,
)
from pricing.fees import charge_fees
from pricing.fx import RateTable, bundled_rates, load_rates_file
from pricing.l10n.formatting import negotiate_locale
from pricing.markets import Market, RuleSet, load_rules
from pricing.money import Money, allocate
from pricing.prices import local_price
from pricing.quote import Charge, Line, Quote, QuoteRequest, sum_money
from pricing.regimes import regime_ref, select_regime
from pricing.shipping import price_shipping
from pricing.stages import QuoteContext, WorkLine
from pricing.taxes import charge_tax, rate_for

__all__ = ["Engine"]


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
        regime, tests = select_regime(ctx, req.items, work, ship_from=ship_from)
        regime_rule = regime_ref(market, regime)
        tax_collected = regime.tax != "none" and tax_spec is not None
        if not tax_collected:  # no tax inside the prices: the shown price is the value
            for w in work:
                w.net, w.ship_net = w.subtotal, w.shipping

        charges: list[Charge] = []
        if shipping or method.free_over is not None or priced.amount:
            charges.append(Charge(
                kind="shipping", name=method.name, amount=shipping,
                rule=market.rule_ref("shipping", method_id),
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
                    "rule": regime_rule},
            fx={"from": fx.source_currency, "to": fx.target, "rate": str(fx.rate),
                "markup": str(markup), "adjustment": str(spec.pricing.adjustment),
                "source": fx.source, "as_of": fx.as_of.isoformat(), "age_days": age,
                "stale": stale},
            lines=lines, charges=tuple(charges),
            shipping_method={"id": method_id, "name": method.name, "days": list(method.days),
                             "delivery": delivery,
                             "weight_kg": str(total_weight.normalize())},
            warnings=tuple(warnings), totals=totals, labels=names)

    # -- helpers ------------------------------------------------------------------------------

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

    def _exact_local(self, money: Money, cur: str) -> Money:
        if money.currency == cur:
            return money
        return self.rates.rate(money.currency, cur).convert(money)
