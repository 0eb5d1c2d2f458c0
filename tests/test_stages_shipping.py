"""Stage 2, shipping (pricing/stages/shipping.py): how a method is priced for a weight, what a
refusal says, and when a quote shows a shipping charge. Worked by hand on methods written
here (the bundled markets' shipping is covered in test_thresholds.py and test_engine.py).

Rates: conftest.EASY_RATES (1 EUR = 1500 KRW).
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from conftest import QUOTE_DAY, TEST_SHOP, engine_for, item, market_head, one_regime

from pricing import Engine
from pricing.errors import ShippingError
from pricing.markets.schema import ShippingMethod
from pricing.money import Money
from pricing.stages.shipping import Shipping, ShippingPrice, price_shipping, ship


def method(**spec) -> ShippingMethod:
    return ShippingMethod.model_validate({"name": "M", "days": [1, 2], **spec})


BANDS = [{"up_to_kg": "1", "price": "4.00 EUR"}, {"up_to_kg": "5", "price": "9.00 EUR"}]


# -- price_shipping: one method, one weight ---------------------------------------------------

@pytest.mark.parametrize(("kg", "price", "note"), [
    # A band holds every weight up to and including its up_to_kg.
    ("0.999", "4.00", "weight band up to 1 kg"),
    ("1", "4.00", "weight band up to 1 kg"),
    ("1.001", "9.00", "weight band up to 5 kg"),
    ("5", "9.00", "weight band up to 5 kg"),
])
def test_a_band_holds_the_weights_up_to_and_including_its_limit(kg, price, note):
    found = price_shipping(method(bands=BANDS, per_kg="1.50 EUR"), D(kg), method_id="std")
    assert found == ShippingPrice(Money.of(price, "EUR"), note)


def test_above_the_last_band_each_further_kg_costs_per_kg_pro_rata():
    found = price_shipping(method(bands=BANDS, per_kg="1.50 EUR"), D("6.5"), method_id="std")
    # last band 9.00 + (6.5 - 5) kg x 1.50 = 9.00 + 2.25 = 11.25
    assert found == ShippingPrice(Money.of("11.25", "EUR"),
                                  "5 kg band plus 1.5 kg at 1.50 EUR per kg")


def test_above_the_last_band_without_per_kg_is_refused_naming_the_method():
    with pytest.raises(ShippingError) as e:
        price_shipping(method(bands=BANDS), D("5.01"), method_id="std")
    err = e.value
    assert err.message == ("the cart weighs 5.01 kg, above the last band (5 kg) of shipping "
                           "method 'std'")
    assert (err.field, err.value, err.expected) == ("shipping_method", "std", "at most 5 kg")


def test_over_the_methods_max_kg_is_refused_and_max_kg_itself_is_allowed():
    spec = method(bands=BANDS, per_kg="1.50 EUR", max_kg="8")
    # 8 kg is "at most 8 kg": 9.00 + 3 x 1.50 = 13.50
    assert price_shipping(spec, D("8"), method_id="std").amount == Money.of("13.50", "EUR")
    with pytest.raises(ShippingError) as e:
        price_shipping(spec, D("8.001"), method_id="std")
    err = e.value
    assert err.message == ("the cart weighs 8.001 kg, over the 8 kg limit of shipping method "
                           "'std'; split the order")
    assert (err.field, err.value, err.expected) == ("shipping_method", "std", "at most 8 kg")


def test_a_per_kg_price_in_another_currency_than_the_bands_is_refused():
    spec = method(bands=BANDS, per_kg="1.50 USD")
    with pytest.raises(ShippingError, match=r"^shipping method 'std' mixes currencies$"):
        price_shipping(spec, D("6"), method_id="std")


def test_flat_rate_base_plus_per_kg_and_per_kg_alone():
    assert price_shipping(method(base="4.90 EUR"), D("3"), method_id="f") == ShippingPrice(
        Money.of("4.90", "EUR"), "flat rate")
    # 2.00 + 2.5 kg x 0.80 = 2.00 + 2.00 = 4.00
    assert price_shipping(method(base="2.00 EUR", per_kg="0.80 EUR"), D("2.5"),
                          method_id="b") == ShippingPrice(
        Money.of("4.00", "EUR"), "2.00 EUR plus 2.5 kg at 0.80 EUR per kg")
    # no base: 0 + 2.5 kg x 0.80 = 2.00
    assert price_shipping(method(per_kg="0.80 EUR"), D("2.5"), method_id="k") == ShippingPrice(
        Money.of("2.00", "EUR"), "0.00 EUR plus 2.5 kg at 0.80 EUR per kg")


def test_a_method_without_any_price_is_refused():
    # The schema refuses such a method when rules load; a hand-built one still gets a clear error.
    spec = ShippingMethod.model_construct(name="M", days=(1, 2), bands=(), base=None,
                                          per_kg=None, max_kg=None)
    with pytest.raises(ShippingError, match=r"^shipping method 'bare' has no price$"):
        price_shipping(spec, D("1"), method_id="bare")


# -- ship and the quote: the charge a shopper sees ---------------------------------------------

SHOP = TEST_SHOP + 'default_item_weight_kg = "1"\n'
MARKET = market_head("shipm", "IS", "EUR") + """
[tax]
base = ["goods", "shipping"]

[[tax.components]]
name = "VAT"
rate = "0.10"
""" + one_regime() + """
[shipping.banded]
name = "Banded"
days = [1, 2]
default = true
bands = [{ up_to_kg = "1", price = "4.00 EUR" }, { up_to_kg = "5", price = "9.00 EUR" }]
per_kg = "1.50 EUR"
max_kg = "10"
free_over = "100.00 EUR"

[shipping.free]
name = "Free"
days = [3, 6]
base = "0.00 EUR"

[shipping.zero_free_over]
name = "Zero with a threshold"
days = [3, 6]
base = "0.00 EUR"
free_over = "50.00 EUR"

[shipping.tiny]
name = "Tiny"
days = [3, 6]
base = "1 KRW"
"""


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return engine_for(tmp_path_factory.mktemp("shipm"), SHOP, {"shipm": MARKET})


def quote(engine, items, **extra):
    return engine.quote({"destination": {"country": "IS"}, "items": items,
                         "date": QUOTE_DAY.isoformat(), **extra})


def shipping_charges(q):
    return [c for c in q.charges if c.kind == "shipping"]


@pytest.mark.parametrize(("price", "amount", "note"), [
    ("99.99", "4.00", "weight band up to 1 kg; free from 100.00 EUR of goods"),
    ("100.00", "0.00", "free: goods 100.00 EUR at or over the 100.00 EUR free-shipping threshold"),
    ("100.01", "0.00", "free: goods 100.01 EUR at or over the 100.00 EUR free-shipping threshold"),
])
def test_free_over_is_reached_at_equality_and_the_note_says_which_side(shop, price, amount,
                                                                       note):
    # One 1 kg item: the 1 kg band (4.00 EUR) unless goods are at or over 100.00 EUR.
    q = quote(shop, [item("A", price)])
    (charge,) = shipping_charges(q)
    assert (charge.name, charge.amount, charge.note) == ("Banded", Money.of(amount, "EUR"), note)
    assert q.totals["shipping"] == Money.of(amount, "EUR")


def test_line_weights_count_the_quantity_and_over_max_kg_names_the_method(shop):
    # 2 x 2.5 kg + 1 x 1 kg (the shop's default weight) = 6 kg: 9.00 + 1 kg x 1.50 = 10.50,
    # split by weight 5 : 1 -> 8.75 and 1.75
    q = quote(shop, [item("A", "10.00", qty=2, weight={"value": "2.5"}), item("B", "5.00")])
    assert q.shipping_method["weight_kg"] == "6"
    assert q.totals["shipping"] == Money.of("10.50", "EUR")
    assert [ln.shipping.amount for ln in q.lines] == [D("8.75"), D("1.75")]
    # 3 x 3.5 kg = 10.5 kg, over the 10 kg limit
    with pytest.raises(ShippingError) as e:
        quote(shop, [item("A", "10.00", qty=3, weight={"value": "3.5"})])
    assert (e.value.field, e.value.value) == ("shipping_method", "banded")
    assert "limit of shipping method 'banded'" in e.value.message


def test_a_free_method_shows_no_charge_but_a_priced_one_rounding_to_zero_does(shop):
    q = quote(shop, [item("A", "10.00")], shipping_method="free")
    assert shipping_charges(q) == []
    assert q.totals["shipping"] == Money.of("0.00", "EUR")
    # 1 KRW = 1 / 1500 EUR = 0.00067 EUR, 0.00 at the cent: the method has a price, so the
    # quote still lists it (a shopper sees the method was priced, not forgotten).
    q = quote(shop, [item("A", "10.00")], shipping_method="tiny")
    (charge,) = shipping_charges(q)
    assert (charge.amount, charge.note) == (Money.of("0.00", "EUR"), "flat rate")
    # A method with a free-shipping threshold always lists its charge, so the shopper reads the
    # threshold, even when the method costs nothing anyway.
    q = quote(shop, [item("A", "10.00")], shipping_method="zero_free_over")
    (charge,) = shipping_charges(q)
    assert (charge.amount, charge.note) == (Money.of("0.00", "EUR"),
                                            "flat rate; free from 50.00 EUR of goods")


def test_a_quote_without_shipping_has_no_charge_and_no_shares(shop):
    q = quote(shop, [item("A", "10.00"), item("B", "20.00")], exclude_shipping=True)
    assert shipping_charges(q) == []
    assert q.shipping_method is None
    assert q.totals["shipping"] == Money.of("0.00", "EUR")
    assert [ln.shipping.amount for ln in q.lines] == [D("0.00"), D("0.00")]
    # VAT 10 % on goods alone: (10.00 + 20.00) x 0.10 = 3.00; total 33.00
    assert q.totals["total"] == Money.of("33.00", "EUR")


def test_ship_without_a_method_still_weighs_the_cart(shop):
    plan = shop.plan("shipm", QUOTE_DAY)
    # 1.5 + 2 = 3.5 kg, nothing to pay
    assert ship(plan, None, (D("1.5"), D("2")), D("30.00")) == Shipping(
        amount=D("0.00"), shares=(D("0.00"), D("0.00")), weight=D("3.5"), charge=None)
