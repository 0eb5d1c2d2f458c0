"""Sample carts (pricing.samples): checked against the engine, for every bundled market."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from pricing import Engine, RateTable
from pricing.samples import GENERIC_PRODUCTS, sample_carts

ROOT = Path(__file__).resolve().parent.parent
DAY = date(2026, 11, 23)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.from_directory(ROOT / "rules", locales=ROOT / "locales")


@pytest.fixture(scope="module")
def bare(engine: Engine) -> Engine:
    """The same rules and rates without a product catalog."""
    return Engine(engine.rules, rates=engine.rates)


def test_every_sample_of_every_market_quotes_as_it_says(engine):
    quoted = 0
    for market in engine.rules.markets:
        samples = sample_carts(engine, market, on=DAY)
        carts = samples.carts
        # The bundled rates price every bundled market (ECB, official pegs, dated snapshot).
        assert carts, (market, samples.refused)
        quoted += 1
        assert [c.id for c in carts][:2] == ["single", "mixed"], market
        for cart in carts:
            quote = engine.quote(cart.request(engine.rules.market(market), on=DAY))
            assert quote.regime["id"] == cart.regime, (market, cart.id)
            assert cart.description.endswith(f"quoted as {quote.regime['name']}")
    assert quoted == len(engine.rules.markets)


def test_threshold_samples_land_on_both_sides(engine):
    """Each threshold in force gets a cart under it and one over it, from a country the
    regime applies to. gb: GBP 135 (HMRC, low-value consignments); au: AUD 1,000 (low-value
    imported goods, GST at sale); ca: CAD 40 / 150 (CUSMA courier) for parcels from the US."""
    expect = {"gb": {"low-value", "import"}, "au": {"low-value", "import"},
              "ca": {"cusma-free", "cusma-tax-only", "courier-free", "import"}}
    for market, regimes in expect.items():
        carts = [c for c in sample_carts(engine, market, on=DAY).carts if "-" in c.id]
        assert {c.regime for c in carts} == regimes, market
    ca = {c.id: c for c in sample_carts(engine, "ca", on=DAY).carts}
    assert ca["below-cusma-free"].ship_from == "US"


def test_threshold_samples_are_well_clear_of_the_limit(engine):
    """gb: the 'below' cart is worth about 70 % of GBP 135 and the 'above' one about 130 %,
    in the product's currency (EUR) at the engine's rate."""
    rate = engine.rates.rate("GBP", "EUR").rate
    limit_eur = Decimal(135) * rate
    carts = {c.id: c for c in sample_carts(engine, "gb", on=DAY).carts}

    def value(cart_id: str) -> Decimal:
        return sum((Decimal(i["price"]["amount"]) * i["quantity"]
                    for i in carts[cart_id].items), Decimal(0))

    assert value("below-low-value") <= limit_eur * Decimal("0.7")
    assert value("above-low-value") >= limit_eur * Decimal("1.3")


def test_without_a_catalog_the_generic_products_are_used(bare):
    carts = sample_carts(bare, "de", on=DAY).carts
    skus = {i["sku"] for c in carts for i in c.items}
    assert skus <= {p[0] for p in GENERIC_PRODUCTS}
    mixed = next(c for c in carts if c.id == "mixed")
    # one of each category: clothing, books, food and the uncategorized headphones
    assert len(mixed.items) == 4


def test_a_region_is_chosen_where_the_market_taxes_by_region(engine):
    carts = sample_carts(engine, "us", on=DAY).carts
    assert carts and all(c.region == "US-CA" for c in carts)  # first region in us.toml
    assert all(c.region is None for c in sample_carts(engine, "de", on=DAY).carts)


def test_a_market_without_a_rate_says_why_it_has_no_samples(engine):
    """rules/markets/al.toml prices in Albanian lek (ALL): with a rate table that lacks it no
    cart can be quoted, and the samples say so."""
    usd_only = RateTable.from_mapping({"USD": "1.10"}, base="EUR", as_of=DAY, source="test")
    samples = sample_carts(Engine(engine.rules, rates=usd_only), "al", on=DAY)
    assert samples.carts == ()
    assert samples.refused[0][0] == "single" and "ALL" in samples.refused[0][1]
