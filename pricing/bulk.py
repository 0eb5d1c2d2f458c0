"""Many SKUs x one market: the landed unit price of each catalog item, for feeds and
``POST /v1/prices``.

The landed unit price of an item is what a product page or a channel feed shows for one unit
bought alone: the total of a quote for a cart of that one unit with shipping excluded (no
shipping charge, no freight in the customs value; channels take shipping in a column of their
own), so the unit price plus the duty, the tax not already inside the price, and the fees that
such a cart pays (docs/calculation.md, "Landed unit price").

:class:`BulkPricer` prices many items against one market plan, reusing everything that does not
change between SKUs, and gives exactly what :meth:`pricing.Engine.quote` gives item by item
(tests/test_bulk.py compares them on random catalogs).

>>> from datetime import date
>>> from pricing import Engine, Money
>>> engine = Engine.from_directory("rules")
>>> pricer = BulkPricer(engine, "de", on=date(2026, 11, 23))
>>> [row] = pricer.price_many([CatalogItem("TEE", Money.of("20.00", "EUR"))])
>>> row.landed_price, row.formatted_landed_price
(Decimal('20.99'), '20,99\\xa0€')
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from pricing.errors import PricingError, RequestError
from pricing.l10n.formatting import money_formatter
from pricing.money import Money
from pricing.quote import Item, QuoteRequest

if TYPE_CHECKING:
    from pricing.engine import Engine

__all__ = ["BulkPricer", "CatalogItem", "PricedItem"]


@dataclass(frozen=True, slots=True)
class CatalogItem:
    """One catalog item to price: what a quote line needs of it."""

    sku: str
    price: Money
    hs_code: str | None = None
    origin: str | None = None
    category: str | None = None
    weight_kg: Decimal | None = None


@dataclass(frozen=True, slots=True)
class PricedItem:
    """An item's prices in one market (amounts in ``currency``, at its minor unit), or the
    error that keeps it out of the market (``error`` set, amounts None)."""

    sku: str
    currency: str
    unit_price: Decimal | None = None
    landed_price: Decimal | None = None
    duty: Decimal | None = None
    tax: Decimal | None = None
    included_tax: Decimal | None = None
    fees: Decimal | None = None
    regime: str | None = None
    formatted_unit_price: str | None = None
    formatted_landed_price: str | None = None
    error: PricingError | None = None


class BulkPricer:
    """Prices catalog items for one market, destination and date."""

    def __init__(self, engine: Engine, market: str, *, on: date, locale: str | None = None,
                 region: str | None = None, ship_from: str | None = None) -> None:
        self.engine = engine
        self.market = engine.rules.market(market)
        self.on = on
        self.region = region
        self.ship_from = ship_from
        self.plan = engine.plan(self.market.id, on)
        self.locale, _ = self.plan.locale_for(locale)
        self.currency = self.plan.currency
        self._format = money_formatter(self.currency, self.locale)
        if self.market.requires_region and region is None:
            raise RequestError(f"taxes in market {self.market.id!r} depend on the region: "
                               "give a region", field="region")

    def price_many(self, items: Iterable[CatalogItem]) -> list[PricedItem]:
        """Each item's landed unit price (one unit bought alone, shipping excluded)."""
        return [self.price(item) for item in items]

    def price(self, item: CatalogItem) -> PricedItem:
        request = QuoteRequest(
            country=self.market.spec.countries[0], region=self.region, market=self.market.id,
            locale=self.locale, date=self.on, ship_from=self.ship_from, exclude_shipping=True,
            items=(Item(sku=item.sku, quantity=1, price=item.price, hs_code=item.hs_code,
                        origin=item.origin, category=item.category,
                        weight_kg=item.weight_kg),))
        try:
            quote = self.engine.compute(request, self.on)
        except PricingError as e:
            return PricedItem(sku=item.sku, currency=self.currency, error=e)
        line = quote.lines[0]
        unit, _, _, duty, tax, included, fees = line.amounts
        landed = quote.total_amounts["total"]
        return PricedItem(
            sku=item.sku, currency=self.currency, unit_price=unit, landed_price=landed,
            duty=duty, tax=tax, included_tax=included, fees=fees,
            regime=quote.regime["id"], formatted_unit_price=self._format(unit),
            formatted_landed_price=self._format(landed))

