"""Sample carts for a market: realistic carts that show each of its regimes at work.

The preview page (``GET /v1/markets/{id}/samples``) offers them so a merchant can try a
market without typing a cart. They are built from the product catalog when one is loaded (so
titles, HS codes, origins and categories are the shop's own), else from a few generic
products, and they are *checked*: every sample is quoted with the engine, samples the market
refuses are left out, and each sample says which regime it actually fell under, so its name
never promises what the rules do not do.

Carts: the cheapest product alone; one product of each category (the per-category tax rates);
and for each regime with a value threshold in force, one cart at about 70 % and one at about
130 % of the threshold (converted at the engine's rates), sent from the regime's own
ship-from country when it names one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING, Any

from pricing.errors import PricingError
from pricing.markets import Market
from pricing.money import Money
from pricing.quote import MAX_QUANTITY

if TYPE_CHECKING:
    from pricing.engine import Engine

__all__ = ["GENERIC_PRODUCTS", "SampleCart", "Samples", "sample_carts"]

#: Products used when no catalog is loaded: (sku, title, EUR price, HS code, origin,
#: category, kg). Prices are converted to the shop currency at the engine's rates.
GENERIC_PRODUCTS: tuple[tuple[str, str, str, str, str, str | None, str], ...] = (
    ("SAMPLE-TEE", "Cotton T-shirt", "24.90", "610910", "PT", "clothing", "0.2"),
    ("SAMPLE-BOOK", "Hardback cookbook", "32.00", "490199", "DE", "books", "0.9"),
    ("SAMPLE-COFFEE", "Coffee beans, 1 kg", "18.50", "090121", "IT", "food", "1.0"),
    ("SAMPLE-HEADPHONES", "Wireless headphones", "149.00", "851830", "CN", None, "0.3"),
)

#: Where threshold samples aim, as a share of the threshold: well clear of it on each side,
#: so FX markups and price endings cannot carry a cart across.
_BELOW = Decimal("0.7")
_ABOVE = Decimal("1.3")
#: Countries to ship threshold samples from when the shop is inside the market's customs
#: territory (no market territory holds them all).
_ELSEWHERE = ("CN", "US", "GB")


@dataclass(frozen=True, slots=True)
class _Product:
    sku: str
    title: str
    price: Money
    hs_code: str | None
    origin: str | None
    category: str | None
    weight_kg: Decimal | None

    def item(self, quantity: int = 1) -> dict[str, Any]:
        out: dict[str, Any] = {"sku": self.sku, "quantity": quantity,
                               "price": {"amount": str(self.price.amount),
                                         "currency": self.price.currency}}
        for key in ("hs_code", "origin", "category"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.weight_kg is not None:
            out["weight"] = {"value": str(self.weight_kg), "unit": "kg"}
        return out


@dataclass(frozen=True, slots=True)
class SampleCart:
    """One sample: its items as a quote request holds them, and what it was quoted as."""

    id: str
    name: str
    description: str
    items: tuple[dict[str, Any], ...]
    #: The regime the cart fell under when quoted on the sample's date.
    regime: str
    regime_name: str
    ship_from: str | None = None
    region: str | None = None

    def request(self, market: Market, *, on: date) -> dict[str, Any]:
        """The quote request of this sample for ``market`` on ``on``."""
        destination: dict[str, Any] = {"country": market.spec.countries[0]}
        if self.region is not None:
            destination["region"] = self.region
        out: dict[str, Any] = {"destination": destination, "market": market.id,
                               "date": on.isoformat(), "items": [dict(i) for i in self.items]}
        if self.ship_from is not None:
            out["ship_from"] = self.ship_from
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "description": self.description,
                "regime": {"id": self.regime, "name": self.regime_name},
                "ship_from": self.ship_from, "region": self.region,
                "items": [dict(i) for i in self.items]}


@dataclass(frozen=True, slots=True)
class Samples:
    """The samples of a market, and the candidates it refused with the reason (say, a market
    currency the rate table lacks: then every candidate is refused, and the reason says why)."""

    carts: tuple[SampleCart, ...]
    refused: tuple[tuple[str, str], ...] = ()


def _products(engine: Engine) -> list[_Product]:
    catalog = engine.catalog
    if catalog is not None and len(catalog):
        return [_Product(p.sku, p.title, p.price, p.hs_code, p.origin, p.category, p.weight_kg)
                for p in catalog]
    shop = engine.rules.shop.base_currency
    out = []
    for sku, title, eur, hs, origin, category, kg in GENERIC_PRODUCTS:
        price = Money(Decimal(eur), "EUR")
        if shop != "EUR":
            price = engine.rates.convert(price, shop)
        out.append(_Product(sku, title, price, hs, origin, category, Decimal(kg)))
    return out


def _first_region(market: Market) -> str | None:
    if not market.requires_region or market.spec.tax is None:
        return None
    for component in market.spec.tax.components:
        if component.regions:
            return component.regions[0]
    return None  # pragma: no cover - requires_region means some component names regions


def _outside(engine: Engine, market: Market) -> str | None:
    """None when the shop ships from outside the market's customs territory, else a country
    outside it: a threshold applies to imports only, so the sample must be one."""
    territory = market.spec.customs_territory or market.spec.countries
    if engine.rules.shop.ship_from not in territory:
        return None
    return next(c for c in _ELSEWHERE if c not in territory)


def _by_category(products: Sequence[_Product], limit: int = 4) -> list[_Product]:
    seen: dict[str | None, _Product] = {}
    for p in products:
        seen.setdefault(p.category, p)
    return list(seen.values())[:limit]


def _threshold_candidates(engine: Engine, market: Market, products: Sequence[_Product],
                          on: date) -> Iterable[tuple[str, str, list[dict[str, Any]],
                                                      str | None]]:
    """(id, name, items, ship_from) aimed below and above each threshold in force."""
    for regime in market.spec.regimes:
        if not regime.in_force(on) or regime.max_value is None:
            continue
        limit = regime.max_value.at(on)
        if limit is None:
            continue
        ship_from = regime.ship_from[0] if regime.ship_from else _outside(engine, market)
        shown = f"{limit.amount} {limit.currency}"
        for side, share in (("below", _BELOW), ("above", _ABOVE)):
            items = _aim(engine, products, limit, share, per_item=regime.value_basis == "item")
            if items is not None:
                yield (f"{side}-{regime.id}", f"{side.capitalize()} the {shown} limit of "
                       f"{regime.id}", items, ship_from)


def _aim(engine: Engine, products: Sequence[_Product], limit: Money, share: Decimal, *,
         per_item: bool) -> list[dict[str, Any]] | None:
    """Items worth about ``share`` of ``limit``: the dearest product that fits, as many units as
    it takes (few units read better than forty bars of chocolate)."""
    below = share < 1
    fitting: list[tuple[Decimal, _Product]] = []
    for p in products:
        if p.price.amount <= 0:
            continue
        try:
            local = (limit if limit.currency == p.price.currency
                     else engine.rates.convert(limit, p.price.currency))
        except PricingError:
            continue  # no rate for this product's currency: try the others
        fitting.append((local.amount * share, p))
    if per_item:
        # A per-item threshold: one unit must sit on the wanted side by itself.
        sides = [(t, p) for t, p in fitting if (p.price.amount < t if below
                                                else p.price.amount > t)]
        pick = (max if below else min)(sides, key=lambda tp: tp[1].price.amount, default=None)
        return [pick[1].item(1)] if pick is not None else None
    under = [(t, p) for t, p in fitting if p.price.amount <= t]
    if not under:
        return None
    target, p = max(under, key=lambda tp: tp[1].price.amount)
    units = (target / p.price.amount).to_integral_value(ROUND_FLOOR if below else ROUND_CEILING)
    return [p.item(int(units))] if 1 <= units <= MAX_QUANTITY else None


def sample_carts(engine: Engine, market_id: str, *, on: date) -> Samples:
    """The checked sample carts of ``market_id`` on ``on`` (unknown ids raise
    :class:`~pricing.errors.UnknownMarketError`)."""
    market = engine.rules.market(market_id)
    products = _products(engine)
    if not products:
        return Samples((), (("single", "no products: the catalog is empty"),))
    region = _first_region(market)
    cheapest = min(products, key=lambda p: p.price.amount)
    candidates: list[tuple[str, str, list[dict[str, Any]], str | None]] = [
        ("single", f"One item: {cheapest.title}", [cheapest.item()], None)]
    mixed = _by_category(products)
    if len(mixed) > 1:
        candidates.append(("mixed", "One item of each category: "
                           + ", ".join(p.title for p in mixed), [p.item() for p in mixed], None))
    candidates.extend(_threshold_candidates(engine, market, products, on))
    titles = {p.sku: p.title for p in products}
    out: list[SampleCart] = []
    refused: list[tuple[str, str]] = []
    seen: set[tuple[str, str | None]] = set()
    for cart_id, name, items, ship_from in candidates:
        cart = SampleCart(cart_id, name, "", tuple(items), "", "", ship_from, region)
        try:
            quote = engine.quote(cart.request(market, on=on))
        except PricingError as e:
            # The market refuses it (restricted goods, too heavy, no rate): not a sample.
            refused.append((cart_id, e.message))
            continue
        regime = quote.regime
        if cart_id.startswith(("below-", "above-")):
            # Two thresholds' carts that land in the same regime show the same thing.
            key = (str(regime.get("id")), ship_from)
            if key in seen:
                continue
            seen.add(key)
        units = sum(int(i["quantity"]) for i in items)
        what = ", ".join(f"{i['quantity']} × {titles.get(i['sku'], i['sku'])}" for i in items)
        origin = f", shipped from {ship_from}" if ship_from else ""
        out.append(SampleCart(
            cart_id, name,
            f"{what} ({units} unit{'s' if units != 1 else ''}{origin}): quoted as "
            f"{regime.get('name')}",
            tuple(items), str(regime.get("id")), str(regime.get("name")), ship_from, region))
    return Samples(tuple(out), tuple(refused))
