"""Stage 1, local unit prices (pricing/stages/prices.py): the quote path (``unit_price``, with
its explanation) and the bulk path (``unit_amount``) give the same amount for fixed, free,
converted and price-ended items; ``price_lines`` weighs lines, sums their tax rates and names
the item it cannot price. Worked by hand on small markets written here.

Rates: conftest.EASY_RATES (1 EUR = 0.85 GBP = 11.50 NOK).
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from conftest import QUOTE_DAY, TEST_SHOP, engine_for, item, market_head, one_regime

from pricing import Engine
from pricing.errors import MissingRateError, QuoteRefusedError
from pricing.money import Money
from pricing.stages.prices import unit_amount, unit_amount_function, unit_price

TAX = one_regime()
# Converted and rounded half-up at the penny, one fixed price.
GB = market_head("gbm", "GB", "GBP") + """
[pricing]
rounding = "half_up"
prices = { FIX = "7.77 GBP" }

[tax]
base = ["goods"]

[[tax.components]]
name = "VAT"
rate = "0.20"
categories = { luxury = [{ value = "0.25", from = 2027-01-01 }] }
""" + TAX
# Converted, then ended at .99 (the next allowed price at or above).
NO = market_head("endm", "NO", "NOK") + """
[pricing]
ending = { step = "1", ending = "0.99", mode = "up" }

[tax]
base = ["goods"]

[[tax.components]]
name = "VAT"
rate = "0.25"
""" + TAX
# Whole kroner, rounded down: the lowest allowed price is one krone (0 is a free item only).
WHOLE = market_head("wholem", "DK", "NOK") + """
[pricing]
ending = { step = "1", ending = "0", mode = "down" }

[tax]
base = ["goods"]

[[tax.components]]
name = "VAT"
rate = "0.25"
""" + TAX
# Prices include two taxes: the net is the price over (1 + both rates).
IN = market_head("incl", "IS", "EUR", display="inclusive") + """
[tax]
base = ["goods"]

[[tax.components]]
name = "VAT"
rate = "0.10"

[[tax.components]]
name = "Levy"
rate = "0.05"
""" + TAX


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return engine_for(tmp_path_factory.mktemp("prices"), TEST_SHOP,
                      {"gbm": GB, "endm": NO, "incl": IN, "wholem": WHOLE})


@pytest.mark.parametrize(("market", "sku", "price", "amount", "note"), [
    # a fixed price list entry wins over conversion
    ("gbm", "FIX", "1.00 EUR", "7.77", None),
    ("gbm", "A", "0 EUR", "0.00", "free item"),
    # 0.10 x 0.85 = 0.085, an exact tie at the penny: half-up gives 0.09 (half-even 0.08)
    ("gbm", "A", "0.10 EUR", "0.09", "0.10 EUR x 0.85 rounded half_up = 0.09 GBP"),
    # 1.00 x 0.85 = 0.85 (a price of one is converted like any other)
    ("gbm", "A", "1.00 EUR", "0.85", "1.00 EUR x 0.85 rounded half_up = 0.85 GBP"),
    # 10.00 x 11.50 = 115.00 -> next x.99 at or above: 115.99
    ("endm", "A", "10.00 EUR", "115.99", None),
    ("endm", "A", "0 EUR", "0.00", "free item"),
    # 10.00 x 11.50 = 115.00, already whole: 115.00; 0.05 x 11.50 = 0.575 rounds down to 0,
    # under the lowest allowed price of one step: 1.00 (a price is never ended to nothing)
    ("wholem", "A", "10.00 EUR", "115.00", None),
    ("wholem", "A", "0.05 EUR", "1.00", None),
])
def test_quote_and_bulk_paths_give_the_same_unit_price(shop, market, sku, price, amount, note):
    plan = shop.plan(market, QUOTE_DAY)
    money = Money.parse(price)
    local, text = unit_price(plan, sku, money)
    assert local == D(amount)
    assert unit_amount(plan, sku, money) == D(amount)
    if sku not in plan.fixed and money.amount:
        # the bulk path's compiled form of the same price
        assert unit_amount_function(plan, money.currency)(money.amount) == D(amount)
    if note is not None:
        assert text == note


def test_an_ended_price_explains_the_conversion_and_names_the_currency(shop):
    _, text = unit_price(shop.plan("endm", QUOTE_DAY), "A", Money.of("10.00", "EUR"))
    assert text.startswith("10.00 EUR x 11.50 = 115.0000 ")
    assert text.endswith(" = 115.99 NOK")


def quote(engine, country, items):
    return engine.quote({"destination": {"country": country}, "items": items,
                         "date": QUOTE_DAY.isoformat(), "exclude_shipping": True})


def test_tax_inside_the_price_is_taken_out_at_the_sum_of_the_rates(shop):
    q = quote(shop, "IS", [item("A", "11.50")])
    # net 11.50 / (1 + 0.10 + 0.05) = 10.00; VAT 10.00 x 0.10 = 1.00, levy 10.00 x 0.05 = 0.50
    assert q.totals["included_taxes"] == Money.of("1.50", "EUR")
    assert q.totals["total"] == Money.of("11.50", "EUR")


def test_an_item_priced_in_a_currency_without_a_rate_is_named(shop):
    plan = shop.plan("gbm", QUOTE_DAY)
    with pytest.raises(MissingRateError) as direct:
        plan.conversion("THB")
    with pytest.raises(MissingRateError) as e:
        quote(shop, "GB", [item("A", "1.00"), item("B", "100", currency="THB")])
    # the plan's own words, now naming the item
    err = e.value
    assert (err.message, err.expected) == (direct.value.message, direct.value.expected)
    assert (err.field, err.value) == ("items[1].price.currency", "THB")


def test_a_category_whose_rate_is_not_yet_in_force_is_refused_naming_the_item(shop):
    # The luxury rate starts on 2027-01-01; the quote day is 2026-11-23.
    with pytest.raises(QuoteRefusedError) as e:
        quote(shop, "GB", [item("A", "1.00"), item("B", "1.00", category="luxury")])
    err = e.value
    assert err.message.startswith(f"no VAT rate in force on {QUOTE_DAY} in ")
    assert (err.field, err.value) == ("items[1].category", "luxury")
