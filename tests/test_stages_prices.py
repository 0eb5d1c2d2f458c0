"""Stage 1, local unit prices (pricing/stages/prices.py): the quote path (``unit_price``, with
its explanation) and the bulk path (``unit_amount``) give the same amount for fixed, free,
converted and price-ended items; ``price_lines`` weighs lines, sums their tax rates and names
the item it cannot price. Worked by hand on small markets written here.

Rates: conftest.EASY_RATES (1 EUR = 0.85 GBP = 11.50 NOK).
"""

from __future__ import annotations

from decimal import Decimal as D
from decimal import localcontext

import pytest
from conftest import QUOTE_DAY, TEST_SHOP, engine_for, item, market_head, one_regime

from pricing import Engine
from pricing.errors import MissingRateError, QuoteRefusedError
from pricing.money import CONTEXT, Money
from pricing.stages.prices import unit_amount, unit_amount_function, unit_minor_function, unit_price

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


def ended(market_id: str, country: str, currency: str, ending: str) -> str:
    """A test market whose prices are converted, then given ``ending`` (a TOML inline
    table), with a 25 % VAT on goods."""
    return market_head(market_id, country, currency) + f"""
[pricing]
ending = {{ {ending} }}

[tax]
base = ["goods"]

[[tax.components]]
name = "VAT"
rate = "0.25"
""" + TAX


# Converted, then ended at .99 (the next allowed price at or above).
NO = ended("endm", "NO", "NOK", 'step = "1", ending = "0.99", mode = "up"')
# Whole euros, up (an ending of 0 on a step of 1: the lowest price is 1.00, not 0).
EU = ended("eum", "FI", "EUR", 'step = "1", ending = "0", mode = "up"')
# Yen down to the 10 below (the lowest price 10 yen).
JP = ended("jpm", "JP", "JPY", 'step = "10", ending = "0", mode = "down"')
# Swiss 5-centime rounding to the nearest (no integer form: the Decimal steps price it).
CH = ended("chm", "CH", "CHF", 'step = "0.05", ending = "0", mode = "nearest"')
# Swedish kronor ending in 9 on each ten (109, 119, ...): an ending with no minor digits.
SE = ended("sem", "SE", "SEK", 'step = "10", ending = "9", mode = "up"')
# Danish kroner (as in Greenland) down to an even krone.
DK = ended("dkm", "GL", "DKK", 'step = "2", ending = "0", mode = "down"')
# Whole kroner, rounded down: the lowest allowed price is one krone (0 is a free item only).
WHOLE = ended("wholem", "DK", "NOK", 'step = "1", ending = "0", mode = "down"')
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
                      {"gbm": GB, "endm": NO, "incl": IN, "wholem": WHOLE, "eum": EU,
                       "jpm": JP, "chm": CH, "sem": SE, "dkm": DK})


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


# -- the compiled unit prices of the bulk path (unit_amount_function, unit_minor_function) -----

@pytest.mark.parametrize(("market", "amount", "expected", "minor"), [
    # No ending, half-up at the penny: 0.10 x 0.85 = 0.085, a tie -> 0.09 (half-even: 0.08);
    # 1.00 x 0.85 = 0.85; a free item is the market's zero, 0.00.
    ("gbm", "0.10", "0.09", 9), ("gbm", "1.00", "0.85", 85), ("gbm", "0", "0.00", 0),
    # Up to x.99 on a step of 1: 10.00 x 11.50 = 115.00 -> 115.99; 0.01 x 11.50 = 0.115,
    # k = ceil(0.115 - 0.99) = 0 -> 0.99, the lowest price.
    ("endm", "10.00", "115.99", 11599), ("endm", "0.01", "0.99", 99),
    ("endm", "0", "0.00", 0),
    # Up to whole euros (factor 1): 12.01 -> 13, written with cents: 13.00; 13.00 stays;
    # 0.01 -> k = ceil(0.01) = 1 -> 1.00.
    ("eum", "12.01", "13.00", 1300), ("eum", "13.00", "13.00", 1300),
    ("eum", "0.01", "1.00", 100),
    # Down to 10 yen: 1.23 x 160 = 196.8 -> k = floor(19.68) = 19 -> 190; 1.00 x 160 = 160
    # stays; 0.01 x 160 = 1.6 -> k = floor(0.16) = 0, below the lowest (k = 1): 10.
    ("jpm", "1.23", "190", 190), ("jpm", "1.00", "160", 160), ("jpm", "0.01", "10", 10),
    # Nearest 0.05 CHF: 12.97 x 0.95 = 12.3215, 0.0215 above 12.30 and 0.0285 below 12.35
    # -> 12.30; 12.99 x 0.95 = 12.3405, 0.0095 below 12.35 -> 12.35 (up, where down would
    # give 12.30); 0.01 x 0.95 = 0.0095, below the lowest (0.05): 0.05.
    ("chm", "12.97", "12.30", 1230), ("chm", "12.99", "12.35", 1235),
    ("chm", "0.01", "0.05", 5), ("chm", "0", "0.00", 0),
    # Up to x9 on tens of SEK: 10.00 x 11.00 = 110.00 -> k = ceil((110 - 9) / 10) = 11 ->
    # 11 x 10 + 9 = 119, at the SEK minor digits: 119.00.
    ("sem", "10.00", "119.00", 11900),
    # Down to an even DKK: 10.00 x 7.46 = 74.60 -> k = floor(74.60 / 2) = 37 -> 74.00.
    ("dkm", "10.00", "74.00", 7400),
    # A price of minus zero (the strict reader takes "-0") is a free item, written 0.00 as
    # any other (no "-0.00" on a price tag).
    ("gbm", "-0", "0.00", 0), ("endm", "-0.00", "0.00", 0), ("chm", "-0", "0.00", 0),
])
def test_compiled_unit_prices_worked_examples(shop, market, amount, expected, minor):
    plan = shop.plan(market, QUOTE_DAY)
    with localcontext(CONTEXT):
        # the same Decimal as the quote path (value and exponent: "13.00", not "13")
        assert str(unit_amount_function(plan, "EUR")(D(amount))) == expected
        assert str(unit_amount(plan, "A", Money.of(amount, "EUR"))) == expected
        found = unit_minor_function(plan, "EUR")(D(amount))
    assert type(found) is int and found == minor


@pytest.mark.parametrize("market", ["gbm", "endm", "jpm", "chm"])
def test_compiled_unit_prices_leave_a_negative_amount_to_unit_amount(shop, market):
    # None: the caller keeps unit_amount for it (and its sign of zero)
    with localcontext(CONTEXT):
        assert unit_minor_function(shop.plan(market, QUOTE_DAY), "EUR")(D("-1.00")) is None


def test_compiled_unit_prices_past_the_integer_bounds_fall_back_to_decimals(shop):
    # 10^14 EUR is past the integer form's bounds (amounts below 10^14): the Decimal steps
    # price it. 10^14 x 11.50 = 1,150,000,000,000,000.00 NOK -> up to .99: ...000.99, in ore
    # 115,000,000,000,000,099.
    with localcontext(CONTEXT):
        assert unit_minor_function(shop.plan("endm", QUOTE_DAY), "EUR")(D("1E+14")) == (
            115_000_000_000_000_099)


def test_compiled_unit_prices_convert_from_the_price_currency(shop):
    # GBP prices in the NOK market: 1 GBP = 11.50 / 0.85 NOK (both per EUR); 8.50 GBP =
    # 8.50 x 11.50 / 0.85 = 115.00 NOK -> 115.99. A currency without a rate is refused.
    plan = shop.plan("endm", QUOTE_DAY)
    with localcontext(CONTEXT):
        assert unit_amount_function(plan, "GBP")(D("8.50")) == D("115.99")
        assert unit_minor_function(plan, "GBP")(D("8.50")) == 11599
    for compile_ in (unit_amount_function, unit_minor_function):
        with pytest.raises(MissingRateError):
            compile_(plan, "THB")
