"""The bulk path gives, item by item, exactly what a quote of that item alone gives.

A landed unit price is the total of a quote for one unit of the item with shipping excluded
(docs/calculation.md, "Landed unit price"); the bulk pricer must agree with
``Engine.quote`` on it, on every amount and on every formatted string, for random catalog items
of every market, and refuse the same items for the same reasons.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import EASY_RATES, QUOTE_DAY
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from market_rates import with_round_rates

from pricing import Engine, Money, PricingError
from pricing.bulk import BulkPricer, CatalogItem
from pricing.testing import quote_requests

MARKET_RATES = with_round_rates(EASY_RATES)


@pytest.fixture(scope="module")
def engine(rules) -> Engine:
    return Engine(rules, rates=MARKET_RATES, clock=lambda: QUOTE_DAY)


def _items(request: dict) -> list[CatalogItem]:
    out = []
    for line in request["items"]:
        weight = line.get("weight")
        kg = None
        if weight is not None:
            factor = {"kg": Decimal(1), "g": Decimal("0.001"), "lb": Decimal("0.45359237"),
                      "oz": Decimal("0.028349523125")}[weight.get("unit", "kg")]
            kg = Decimal(weight["value"]) * factor
        out.append(CatalogItem(
            sku=line["sku"], price=Money.of(line["price"]["amount"], line["price"]["currency"]),
            hs_code=line.get("hs_code"), origin=line.get("origin"),
            category=line.get("category"), weight_kg=kg))
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_bulk_prices_equal_one_item_quotes(engine: Engine, rules, data) -> None:
    request = data.draw(quote_requests(rules, on=QUOTE_DAY, rates=MARKET_RATES))
    market = request.get("market") or rules.market_for(
        request["destination"]["country"], request["destination"].get("region")).id
    region = request["destination"].get("region")
    pricer = BulkPricer(engine, market, on=QUOTE_DAY, locale=request.get("locale"),
                        region=region, ship_from=request.get("ship_from"))
    items = _items(request)
    for item, priced in zip(items, pricer.price_many(items), strict=True):
        alone = {"destination": dict(request["destination"]),
                 "market": market, "date": QUOTE_DAY.isoformat(), "exclude_shipping": True,
                 "items": [{"sku": item.sku, "quantity": 1,
                            "price": {"amount": str(item.price.amount),
                                      "currency": item.price.currency},
                            **({"hs_code": item.hs_code} if item.hs_code else {}),
                            **({"origin": item.origin} if item.origin else {}),
                            **({"category": item.category} if item.category else {}),
                            **({"weight": {"value": format(item.weight_kg, "f")}}
                               if item.weight_kg is not None else {})}]}
        if request.get("locale"):
            alone["locale"] = request["locale"]
        if request.get("ship_from"):
            alone["ship_from"] = request["ship_from"]
        try:
            quote = engine.quote(alone).to_dict()
        except PricingError as e:
            assert priced.error is not None and type(priced.error) is type(e)
            assert priced.error.message == e.message
            continue
        assert priced.error is None
        line = quote["lines"][0]
        assert (str(priced.unit_price), priced.formatted_unit_price) == (
            line["unit_price"]["amount"], line["unit_price"]["formatted"])
        total = quote["totals"]["total"]
        assert (str(priced.landed_price), priced.formatted_landed_price) == (
            total["amount"], total["formatted"])
        assert priced.regime == quote["regime"]["id"]
        # The landed price is the goods part of the quote: nothing for shipping in it.
        assert quote["totals"]["shipping"]["amount"] == str(priced.landed_price * 0)
        assert Decimal(total["amount"]) == (
            Decimal(line["subtotal"]["amount"]) + Decimal(line["duty"]["amount"])
            + Decimal(line["tax"]["amount"]) + Decimal(line["fees"]["amount"]))


def test_landed_price_worked_example(engine: Engine) -> None:
    # Germany, a T-shirt at EUR 20.00 shipped from China on 2026-11-23: 20.00 -> ending .99 =
    # 20.99; value 20.99 / 1.19 = 17.64 <= EUR 150: IOSS with the EUR 3 duty per tariff
    # category (zones/eu.toml); VAT inside the price, VAT on the duty 3.00 x 0.19 = 0.57.
    # Landed: 20.99 + 3.00 + 0.57 = 24.56 (the quote with shipping adds 4.90 and its VAT is
    # inside it: docs/calculation.md's 29.46).
    pricer = BulkPricer(engine, "de", on=QUOTE_DAY, ship_from="CN")
    [row] = pricer.price_many([CatalogItem("TEE", Money.of("20.00", "EUR"),
                                           hs_code="610910")])
    assert (row.unit_price, row.landed_price, row.regime) == (
        Decimal("20.99"), Decimal("24.56"), "ioss")
    assert row.formatted_landed_price == "24,56\xa0€"
