"""The landed-cost engine: a cart and a destination in, an explained :class:`Quote` out.

Compile once, quote many: when the engine is built, every market of the rule set is compiled
into plans (:mod:`pricing.stages.plan`), one per date interval of its rules, with thresholds and
fixed amounts already in the market currency at the engine's rates. A quote picks the plan in
force on its date and walks the cart through the stages, in the order docs/calculation.md
states, each a pure function from its inputs to per-line amounts and explained charges:

0. market and locale; restricted goods refused;
1. local unit prices (:mod:`~pricing.stages.prices`): a fixed price list, or conversion + FX
   markup + adjustment, then the price ending;
2. shipping (:mod:`~pricing.stages.shipping`): method, weight bands, free-over threshold;
3. values net of tax and the regime (:mod:`~pricing.stages.regimes`);
4. customs value and duty (:mod:`~pricing.stages.duties`);
5. tax per component (:mod:`~pricing.stages.taxes`);
6. fees (:mod:`~pricing.stages.fees`); 7. totals, what is due at checkout and on delivery.

All arithmetic runs in one decimal context (:data:`pricing.money.CONTEXT`, 60 digits), so a
quote never depends on the caller's context. The engine reads no file and no clock while
quoting: rules, rates and the date are inputs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal, localcontext
from pathlib import Path
from typing import Any

from pricing.bulk import BulkPricer, CatalogItem
from pricing.errors import MissingRateError, RequestError
from pricing.fx import RateTable, age_warnings, load_rates_file
from pricing.markets import Market, RuleSet, load_rules
from pricing.money import CONTEXT, Money
from pricing.payments import available_methods
from pricing.quote import Item, Line, Quote, QuoteRequest
from pricing.ratesources import RateHistory, bundled_history
from pricing.stages.customs import customs_costs, customs_value
from pricing.stages.duties import charge_duty
from pricing.stages.fees import charge_fees
from pricing.stages.plan import MarketPlan, MarketPlans, compile_market
from pricing.stages.prices import price_lines
from pricing.stages.regimes import select_regime
from pricing.stages.shipping import ship
from pricing.stages.taxes import charge_tax, no_tax

__all__ = ["Engine"]


class Engine:
    """Quotes against one rule set and one rate table; both immutable, so the engine is too."""

    def __init__(self, rules: RuleSet, *, rates: RateTable | None = None,
                 catalog: Any = None, labels: Any = None, notices: tuple[str, ...] = (),
                 clock: Callable[[], date] = date.today,
                 history: RateHistory | None = None) -> None:
        self.rules = rules
        #: Without a table, the bundled history: a quote dated D uses the rates of the last
        #: ECB business day on or before D (``rates`` is then the newest day's table).
        if rates is None and history is None:
            history = bundled_history()
        self._history = history if rates is None else None
        self.rates = rates if rates is not None else history.latest  # type: ignore[union-attr]
        #: Product text (``pricing.l10n.catalogs.ProductCatalog``) for item titles, or None.
        self.catalog = catalog
        #: The service's own labels (``pricing.l10n.labels.Labels``) for charge names, or None.
        self.labels = labels
        #: Warnings every quote carries (e.g. live rates failed and a fallback table is used).
        self.notices = tuple(notices)
        self._clock = clock
        shop = rules.shop
        #: Every market compiled, one plan per date interval of its rules.
        self.plans: Mapping[str, MarketPlans] = {
            mid: compile_market(m, shop=shop, rates=self.rates, labels=labels)
            for mid, m in rules.markets.items()}
        # Compiled bulk pricers by market, day and destination, for landed unit prices.
        self._pricers: dict[tuple[object, ...], BulkPricer] = {}
        # Plans compiled on first use for other days' rate tables (the history's).
        self._dated: dict[tuple[str, date], MarketPlans] = {}

    @classmethod
    def from_directory(cls, path: str | Path, *, rates: RateTable | str | Path | None = None,
                       locales: str | Path | None = None) -> Engine:
        """Load rules from ``path``, with the bundled rates unless ``rates`` (a table or a
        file) and the product catalogs of ``locales`` (default: a ``locales/`` folder beside
        the rules folder, when there is one).

        Charge names and delivery times are in the shopper's language: the labels of
        ``locales`` where it translates them, else the ones the package ships."""
        from pricing.l10n.catalogs import load_catalogs
        from pricing.l10n.labels import load_labels, shipped_labels

        table = load_rates_file(rates) if isinstance(rates, str | Path) else rates
        rules = load_rules(path)
        if locales is None:
            beside = Path(path).resolve().parent / "locales"
            locales = beside if beside.is_dir() else None
        catalog = load_catalogs(locales, rules=rules) if locales is not None else None
        labels = shipped_labels()
        if locales is not None:
            labels = load_labels(locales).over(labels)
        return cls(rules, rates=table, catalog=catalog, labels=labels)

    def with_rules(self, rules: RuleSet, *, rates: RateTable | None = None,
                   notices: tuple[str, ...] | None = None) -> Engine:
        """A new engine on ``rules`` (and ``rates``, ``notices``), keeping this one's catalog,
        labels and clock.

        Engines are immutable; a service swaps the whole engine when rules or rates change.
        """
        keep = rates is None and self._history is not None
        return Engine(rules, rates=rates if rates is not None or keep else self.rates,
                      catalog=self.catalog, labels=self.labels,
                      notices=self.notices if notices is None else notices, clock=self._clock,
                      history=self._history if keep else None)

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

    def rates_on(self, day: date) -> RateTable:
        """The rate table a quote dated ``day`` uses: this engine's table, or with the bundled
        history the rates of the last ECB business day on or before ``day``."""
        if self._history is None:
            return self.rates
        return self._history.table_on(day)

    def plan(self, market_id: str, day: date) -> MarketPlan:
        """The compiled plan of a market in force on ``day``, at that day's rates."""
        found = self.plans.get(market_id)
        if found is None:
            self.rules.market(market_id)  # raises UnknownMarketError with a suggestion
        table = self.rates_on(day)
        if table is self.rates:
            return self.plans[market_id].at(day)
        key = (market_id, table.as_of)
        dated = self._dated.get(key)
        if dated is None:
            dated = compile_market(self.rules.markets[market_id], shop=self.rules.shop,
                                   rates=table, labels=self.labels)
            if len(self._dated) >= 512:  # bounded: quote dates come from requests
                self._dated.clear()
            self._dated[key] = dated
        return dated.at(day)

    # -- the pipeline ---------------------------------------------------------------------------

    def compute(self, req: QuoteRequest, day: date) -> Quote:
        """Quote ``req`` on ``day``: the stages in the order docs/calculation.md states."""
        market = self._market(req)
        plan = self.plan(market.id, day)
        with localcontext(CONTEXT):
            return self._compute(plan, req, day)

    def _landed_units(self, plan: MarketPlan, req: QuoteRequest, day: date, locale: str
                      ) -> Callable[[Item, Decimal], Decimal | None]:
        """Each line's landed unit price: one unit alone, shipping excluded, priced on the
        bulk path (its property test holds it to a one-item quote)."""
        key = (plan.id, day, req.region, req.ship_from, locale)
        pricer = self._pricers.get(key)
        if pricer is None:
            pricer = BulkPricer(self, plan.id, on=day, locale=locale, region=req.region,
                                ship_from=req.ship_from)
            if len(self._pricers) >= 256:
                self._pricers.clear()
            self._pricers[key] = pricer

        def landed(item: Item, unit: Decimal) -> Decimal | None:
            # Straight to the arithmetic: the pricer's memo of earlier items is for feeds.
            return pricer.landed(CatalogItem(item.sku, item.price, item.hs_code, item.origin,
                                             item.category, item.weight_kg), unit=unit)

        return landed

    def _market(self, req: QuoteRequest) -> Market:
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
        return market

    def _compute(self, plan: MarketPlan, req: QuoteRequest, day: date) -> Quote:
        shop = self.rules.shop
        cur = plan.currency
        items = req.items
        n = len(items)
        warnings: list[str] = list(self.notices)

        # 0. locale, restrictions, rates
        locale, chain = plan.locale_for(req.locale)
        plan.check_restrictions(items)
        fx = plan.fx
        age = (day - fx.as_of).days
        # Only the rates the quote converts with can be stale: the rules' own amounts, the
        # items' prices, declared freight and insurance. A quote that converts nothing (or
        # only at official pegs) gets no warning.
        used = list(plan.rule_rates)
        for cur_used in {i.price.currency for i in items} | {
                m.currency for m in (req.freight, req.insurance) if m is not None}:
            if cur_used != cur:
                # A missing rate is the price stage's to report, naming the item.
                with contextlib.suppress(MissingRateError):
                    used.append(plan.rate_from(cur_used))
        max_days = shop.max_rate_age_days
        warnings += age_warnings(used, day, max_days=max_days)
        stale = False
        for r in used:  # a loop: an abandoned generator costs a throw
            if not r.fixed and (day - r.as_of).days > max_days:
                stale = True
                break

        # 1. local prices
        components = plan.components(req.region)
        priced = price_lines(plan, items, components, day=day,
                             default_weight=shop.default_item_weight_kg)
        subtotals = priced.subtotals

        # 2. shipping
        method = None if req.exclude_shipping else plan.method(
            req.shipping_method, region=req.region, postal_code=req.postal_code)
        shipped = ship(plan, method, priced.weights, priced.goods)
        shares = shipped.shares

        # 3. values net of tax, what customs count, and the regime
        if plan.inclusive and plan.tax_goods:
            nets = tuple(s / (1 + r) for s, r in zip(subtotals, priced.rate_sums, strict=True))
        else:
            nets = subtotals
        if plan.inclusive and plan.tax_shipping:
            std = 1 + plan.std_rate_sum(req.region)
            ship_nets = tuple(s / std for s in shares)
        else:
            ship_nets = shares
        freight, insurance = customs_costs(plan, method, nets=nets, ship_nets=ship_nets,
                                           weights=priced.weights, freight=req.freight,
                                           insurance=req.insurance)
        regime, tests = select_regime(plan, items, nets, freight, insurance,
                                      ship_from=req.ship_from or shop.ship_from,
                                      region=req.region)
        tax_collected = regime.regime.tax != "none" and plan.tax is not None
        if not tax_collected and (nets is not subtotals or ship_nets is not shares):
            # No tax inside the prices after all: the shown price is the value.
            nets, ship_nets = subtotals, shares
            freight, insurance = customs_costs(plan, method, nets=nets, ship_nets=ship_nets,
                                               weights=priced.weights, freight=req.freight,
                                               insurance=req.insurance)
        customs = customs_value(plan, regime.valuation_factor, nets, freight, insurance)

        # 4. duty on the customs value
        duty = charge_duty(plan, regime, items, customs, priced.weights, day=day)
        warnings += duty.warnings

        # 5. tax
        tax = (charge_tax(plan, regime, priced.tax_rates, nets=nets, subtotals=subtotals,
                          shares=shares, ship_nets=ship_nets, duties=duty.per_line,
                          customs=customs)
               if tax_collected else no_tax(plan, n))
        tax_total = sum(tax.added, Decimal(0))

        # 6. fees
        fees = charge_fees(plan, regime, items, nets=nets, subtotals=subtotals,
                           shipping=shipped.amount, duty_total=duty.total, tax_total=tax_total)

        # 7. totals
        charges = ((shipped.charge,) if shipped.charge is not None else ()) + duty.charges \
            + tax.charges + fees.charges
        goods = priced.goods
        total = goods + shipped.amount + duty.total + tax_total + fees.total
        on_delivery = sum((c.amount.amount for c in charges
                           if c.payable == "delivery" and not c.included), plan.zero)
        totals = {
            "items": goods, "shipping": shipped.amount, "duties": duty.total,
            "taxes": tax_total, "included_taxes": sum(tax.included, Decimal(0)),
            "fees": fees.total, "total": total, "due_at_checkout": total - on_delivery,
            "due_on_delivery": on_delivery,
        }
        catalog = self.catalog
        default = plan.default_locale
        units, notes, tax_added, tax_included = priced.units, priced.notes, tax.added, tax.included
        duties, fee_lines = duty.per_line, fees.per_line
        landed = self._landed_units(plan, req, day, locale)
        lines = tuple(
            Line(sku=item.sku,
                 title=(item.title if item.title is not None or catalog is None
                        or item.sku not in catalog
                        else catalog.title(item.sku, locale, default=default)[0]),
                 quantity=item.quantity, currency=cur,
                 amounts=(units[i], subtotals[i], shares[i], duties[i], tax_added[i],
                          tax_included[i], fee_lines[i]),
                 price_note=notes[i], landed_unit=landed(item, units[i]))
            for i, item in enumerate(items))
        shipping_method = None
        if method is not None:
            m = method.method
            shipping_method = {
                "id": method.id, "name": m.name, "days": list(m.days),
                "delivery": plan.delivery(method, locale),
                "delivery_dates": plan.delivery_dates(method, day, locale, country=req.country,
                                                      region=req.region),
                "weight_kg": str(shipped.weight.normalize()), "rule": method.rule}
        return Quote(
            market=plan.id, currency=cur, locale=locale, locale_chain=chain, date=day,
            rules_version=self.rules.version, incoterm=plan.incoterm,
            price_display=plan.spec.price_display,
            regime={"id": regime.regime.id, "name": regime.regime.name,
                    "tax": regime.regime.tax, "duty": regime.regime.duty, "tests": tests,
                    "rule": regime.rule},
            fx={**plan.fx_fields, "age_days": age, "stale": stale},
            lines=lines, charges=charges, shipping_method=shipping_method,
            warnings=tuple(warnings), total_amounts=totals,
            labels={c.name: plan.label(c.name, locale) for c in charges}
            if self.labels is not None else {},
            payment_methods=tuple(available_methods(plan.spec.payment_methods,
                                                    Money(totals["due_at_checkout"], cur),
                                                    locale, country=req.country)))
