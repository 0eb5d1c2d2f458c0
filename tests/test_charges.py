"""What each charge of a quote says: who pays it and when, the base it was worked on, and the
order charges are listed in. Worked by hand on a small DAP test market and the bundled rules.

Rates: conftest.EASY_RATES (1 EUR = 0.41 BHD).
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from conftest import QUOTE_DAY, engine_for, item, market_head

from pricing import Engine, Money
from pricing.bulk import BulkPricer, CatalogItem

SHOP = 'name = "T"\nbase_currency = "EUR"\nship_from = "CN"\n'
DAP = """\
# Three-decimal currency, tax-exclusive, DAP: a low-value regime collects VAT at the sale;
# imports pay duty and VAT on CIF + duty + a 10 % uplift of the customs value, on delivery.
""" + market_head("dap", "BH", "BHD", incoterm="DAP") + """
[tax]
base = ["goods", "shipping", "duty"]
import_uplift = [{ value = "0.10", from = 2020-01-01 }]
waive_at_or_below = [{ value = "0.500 BHD", from = 2020-01-01 }]

[[tax.components]]
name = "VAT"
rate = "0.10"

[duty]
valuation = "CIF"
rate = "0.05"
waive_at_or_below = [{ value = "0.500 BHD", from = 2020-01-01 }]

[[regimes]]
id = "low"
name = "Low value: VAT at the sale"
max_value = "100.000 BHD"
tax = "sale"
duty = "none"

[shipping.standard]
name = "Standard"
days = [5, 8]
base = "3.500 BHD"
"""


@pytest.fixture(scope="module")
def dap(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return engine_for(tmp_path_factory.mktemp("dap"), SHOP, {"dap": DAP})


def quote(engine, country, items, **extra):
    return engine.quote({"destination": {"country": country}, "items": items,
                         "date": QUOTE_DAY.isoformat(), **extra})


def test_vat_collected_at_the_sale_is_paid_at_checkout_even_under_dap(dap):
    q = quote(dap, "BH", [item("A", "100.00")])
    # 100.00 x 0.41 = 41.000 BHD <= 100.000: VAT at the sale, no duty, no uplift (imports only)
    # VAT (41.000 + 3.500) x 0.10 = 4.450; total 41.000 + 3.500 + 4.450 = 48.950
    assert q.regime["id"] == "low"
    (vat,) = [c for c in q.charges if c.kind == "tax"]
    assert (vat.amount.amount, vat.payable) == (D("4.450"), "checkout")
    assert vat.note == "44.500 BHD x 0.10; collected at the sale"
    t = q.totals
    assert (t["total"].amount, t["due_at_checkout"].amount, t["due_on_delivery"].amount) == (
        D("48.950"), D("48.950"), D("0.000"))


def test_import_vat_base_has_the_uplift_of_the_cif_value_and_is_paid_on_delivery(dap):
    q = quote(dap, "BH", [item("A", "250.00")])
    # 250.00 x 0.41 = 102.500 BHD > 100.000: standard import
    # duty (CIF) (102.500 + 3.500) x 0.05 = 5.300
    # VAT: goods 102.500 + duty 5.300 + uplift (102.500 + 3.500) x 0.10 = 10.600 -> 118.400
    #   x 0.10 = 11.840, and shipping 3.500 x 0.10 = 0.350: 12.190
    # total 102.500 + 3.500 + 5.300 + 12.190 = 123.490; on delivery 5.300 + 12.190 = 17.490
    assert q.regime["id"] == "standard"
    (vat,) = [c for c in q.charges if c.kind == "tax"]
    assert (vat.amount.amount, vat.base.amount, vat.payable) == (
        D("12.190"), D("121.900"), "delivery")
    assert vat.note == "121.900 BHD x 0.10; import tax"
    t = q.totals
    assert (t["duties"].amount, t["total"].amount, t["due_at_checkout"].amount,
            t["due_on_delivery"].amount) == (D("5.300"), D("123.490"), D("106.000"),
                                            D("17.490"))


def test_tax_charges_are_listed_by_component_included_first_then_by_rate(engine):
    # DE, shipped from DE: a T-shirt (19 %) listed before a book (7 %); the charges still come
    # by rate: the book's 7 % first
    q = quote(engine, "DE", [item("TEE", "20.00"), item("BOOK", "10.00", category="books")])
    assert [(c.rate, c.included) for c in q.charges if c.kind == "tax"] == [
        (D("0.07"), True), (D("0.19"), True)]
    # an import: the VAT inside the price before the VAT added on the duty, both at 19 %
    q = quote(engine, "DE", [item("TEE", "200.00", hs_code="610910")], ship_from="CN")
    assert [(c.rate, c.included) for c in q.charges if c.kind == "tax"] == [
        (D("0.19"), True), (D("0.19"), False)]


def test_tax_charges_name_their_rule(engine):
    q = quote(engine, "DE", [item("TEE", "20.00")])
    assert {c.rule for c in q.charges if c.kind == "tax"} == {"markets/de.toml#tax.components[0]"}


TWO = """\
# Two tax components listed against the order of their rates; the second has a 0 % rate.
""" + market_head("two", "QA", "EUR") + """
[tax]
base = ["goods", "shipping"]

[[tax.components]]
name = "A"
rate = "0.05"

[[tax.components]]
name = "B"
rate = "0"

[shipping.standard]
name = "Standard"
days = [1, 2]
base = "5.00 EUR"
"""

FEES = """\
# Fees of every kind; the first three never apply to the quotes below.
""" + market_head("fees", "OM", "EUR", incoterm="DAP") + """
[tax]
base = ["goods"]

[[tax.components]]
name = "VAT"
rate = "0.10"

[duty]
valuation = "FOB"
rate = "0.05"

[[regimes]]
id = "low"
name = "Low value: VAT at the sale"
max_value = "50.00 EUR"
tax = "sale"
duty = "none"

[[fees]]
id = "low-only"
name = "Low-value handling"
amount = "0.50 EUR"
regimes = ["low"]

[[fees]]
id = "ddp-only"
name = "DDP handling"
amount = "0.70 EUR"
incoterm = "DDP"

[[fees]]
id = "future"
name = "Future fee"
amount = "0.90 EUR"
from = 2030-01-01

[[fees]]
id = "expired-rate"
name = "Fee whose rate ended"
rate = [{ value = "0.05", to = 2019-12-31 }]

[[fees]]
id = "brokerage"
name = "Brokerage"
amount = [{ value = "2.00 EUR", from = 2020-01-01 }]
only_if_duty_or_tax = true

[[fees]]
id = "per-item"
name = "Per item"
per_item = [{ value = "0.30 EUR", from = 2020-01-01 }]

[[fees]]
id = "order"
name = "Payment"
rate = [{ value = "0.01", from = 2020-01-01 }]
base = "order"

[[fees]]
id = "dt"
name = "Disbursement"
rate = "0.10"
base = "duties_and_taxes"

[shipping.standard]
name = "Standard"
days = [1, 2]
base = "5.00 EUR"
"""


FEE = """\
# A handling fee of 10 % of the goods, at least EUR 1.00 and at most EUR 5.00.
""" + market_head("fee", "FO", "EUR", incoterm="DAP") + """
[[regimes]]
id = "free"
name = "No duty or tax"
tax = "none"
duty = "none"

[[fees]]
id = "handling"
name = "Handling"
rate = "0.10"
base = "goods"
minimum = "1.00 EUR"
maximum = "5.00 EUR"

[shipping.standard]
name = "Standard"
days = [1, 2]
base = "5.00 EUR"
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return engine_for(tmp_path_factory.mktemp("small"), SHOP,
                      {"two": TWO, "fees": FEES, "fee": FEE})


def test_components_are_listed_in_file_order_and_a_zero_rate_taxes_nothing(small):
    q = quote(small, "QA", [item("A", "100.00")])
    # A: (100.00 + 5.00) x 0.05 = 5.25; B: 0 % of goods and shipping = 0.00
    assert [(c.name, c.rate, c.amount.amount) for c in q.charges if c.kind == "tax"] == [
        ("A", D("0.05"), D("5.25")), ("B", D("0"), D("0.00"))]
    assert q.totals["total"].amount == D("110.25")   # 100.00 + 5.00 + 5.25


def fee_charges(q):
    return [(c.name, c.amount.amount, c.base.amount if c.base else None, c.rate, c.note,
             c.payable) for c in q.charges if c.kind == "fee"]


def test_every_fee_kind_on_an_import(small):
    q = quote(small, "OM", [item("A", "40.00", qty=2)])
    # 2 x 40.00 = 80.00 > 50.00: standard import. Duty (FOB) 80.00 x 0.05 = 4.00; VAT 8.00.
    # Fees: low-only (another regime), ddp-only (a DDP fee), future (from 2030) and
    # expired-rate (no rate in force: 0) do not apply; brokerage 2.00 (duty is charged);
    # per item 0.30 x 2 = 0.60; payment 1 % of the order 80.00 + 5.00 = 0.85;
    # disbursement 10 % of duties and taxes 4.00 + 8.00 = 1.20. Fees 4.65, all on delivery.
    assert q.regime["id"] == "standard"
    assert fee_charges(q) == [
        ("Brokerage", D("2.00"), None, None, "2.00 EUR per consignment", "delivery"),
        ("Per item", D("0.60"), None, None, "0.30 EUR x 2 items", "delivery"),
        ("Payment", D("0.85"), D("85.00"), D("0.01"), "85.00 EUR x 0.01 (order)", "delivery"),
        ("Disbursement", D("1.20"), D("12.00"), D("0.10"),
         "12.00 EUR x 0.10 (duties and taxes)", "delivery")]
    t = q.totals
    # total 80.00 + 5.00 + 4.00 + 8.00 + 4.65 = 101.65; on delivery 4.00 + 8.00 + 4.65
    assert (t["fees"].amount, t["total"].amount, t["due_on_delivery"].amount) == (
        D("4.65"), D("101.65"), D("16.65"))
    assert [ln.fees.amount for ln in q.lines] == [D("4.65")]


def test_fees_when_only_tax_is_charged(small):
    q = quote(small, "OM", [item("A", "40.00")])
    # 40.00 <= 50.00: low value, VAT 4.00 at the sale, no duty. Brokerage still applies
    # ("duty or tax"); low-only applies; payment 1 % of 45.00 = 0.45; disbursement 10 % of
    # 4.00 = 0.40. Fees 0.50 + 2.00 + 0.30 + 0.45 + 0.40 = 3.65, on delivery (DAP);
    # VAT at checkout: 40.00 + 5.00 + 4.00 = 49.00
    assert q.regime["id"] == "low"
    assert [(name, amount) for name, amount, *_ in fee_charges(q)] == [
        ("Low-value handling", D("0.50")), ("Brokerage", D("2.00")), ("Per item", D("0.30")),
        ("Payment", D("0.45")), ("Disbursement", D("0.40"))]
    t = q.totals
    assert (t["total"].amount, t["due_at_checkout"].amount, t["due_on_delivery"].amount) == (
        D("52.65"), D("49.00"), D("3.65"))


def test_fees_name_their_rule_and_ddp_fees_are_paid_at_checkout(small, engine):
    q = quote(small, "OM", [item("A", "40.00", qty=2)])
    assert [c.rule for c in q.charges if c.kind == "fee"] == [
        "markets/fees.toml#fees[4]", "markets/fees.toml#fees[5]", "markets/fees.toml#fees[6]",
        "markets/fees.toml#fees[7]"]
    # Italy (DDP): EUR 2 handling per low-value consignment from 2026-01-01 (it.toml)
    q = quote(engine, "IT", [item("TEE", "20.00", hs_code="610910")], ship_from="CN")
    (fee,) = [c for c in q.charges if c.kind == "fee"]
    assert (fee.amount.amount, fee.payable, fee.rule) == (
        D("2.00"), "checkout", "markets/it.toml#fees[0]")


@pytest.mark.parametrize(("price", "fee", "clamped"), [
    ("9.99", "1.00", "; minimum 1.00 EUR"),   # 9.99 x 0.10 = 0.999: raised to the minimum
    ("10.00", "1.00", ""),                    # 10.00 x 0.10 = 1.00: the minimum itself
    ("10.01", "1.00", ""),                    # 1.001 -> 1.00 (half-up)
    ("49.99", "5.00", ""),                    # 4.999 -> 5.00 (half-up)
    ("50.00", "5.00", ""),                    # 5.00: the maximum itself
    ("50.01", "5.00", "; maximum 5.00 EUR"),  # 5.001: cut to the maximum
])
def test_a_fee_is_clamped_only_beyond_its_minimum_and_maximum(small, price, fee, clamped):
    """A fee's note names the minimum or maximum only when it changed the amount."""
    q = quote(small, "FO", [item("A", price)])
    (charge,) = [c for c in q.charges if c.kind == "fee"]
    assert charge.amount.amount == D(fee)
    assert charge.note == f"{price} EUR x 0.10 (goods){clamped}"


DUTY = """\
# Specific duties: per kg, per unit with a minimum and maximum per unit, rates out of force;
# from the US a flat duty per 4-digit tariff category.
""" + market_head("duty", "AD", "EUR") + """
[duty]
valuation = "FOB"
rate = [{ value = "0.10", to = 2020-12-31 }]

[[duty.rules]]
hs = "0201"
name = "Beef"
rate = "0.05"
per_kg = [{ value = "2.00 EUR", from = 2020-01-01 }]

[[duty.rules]]
hs = "6403"
name = "Shoes"
rate = "0.10"
per_unit = [{ value = "1.00 EUR", from = 2020-01-01 }]
minimum = "3.00 EUR"
maximum = "5.00 EUR"

[[duty.rules]]
hs = "9503"
name = "Toys"
rate = [{ value = "0.04", to = 2020-12-31 }]

[[regimes]]
id = "flat"
name = "From the US: flat duty per tariff category"
ship_from = ["US"]
tax = "none"
duty = "per_category"
per_category_duty = [{ value = "3.00 EUR", from = 2020-01-01 }]
category_digits = 4

[shipping.standard]
name = "Standard"
days = [1, 2]
base = "5.00 EUR"
"""


@pytest.fixture(scope="module")
def duty(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return engine_for(tmp_path_factory.mktemp("duty"), SHOP, {"duty": DUTY})


def duty_charges(q):
    return [(c.name, c.amount.amount, c.base.amount if c.base else None, c.rate, c.note, c.rule)
            for c in q.charges if c.kind == "duty"]


def test_specific_duties_per_kg_and_per_unit_clamped_per_unit(duty):
    q = quote(duty, "AD", [
        item("BEEF", "10.00", hs_code="020130", weight={"value": "2"}),
        item("SHOE-CHEAP", "10.00", qty=2, hs_code="640399"),
        item("SHOE-DEAR", "100.00", hs_code="640399"),
        item("TOY", "5.00", hs_code="950300"),
        item("GIFT", "1.00"),
    ])
    # beef: 10.00 x 0.05 + 2.00 x 2 kg = 0.50 + 4.00 = 4.50
    # cheap shoes: 20.00 x 0.10 + 1.00 x 2 = 4.00, below the minimum 3.00 x 2 = 6.00: 6.00
    # dear shoes: 100.00 x 0.10 + 1.00 = 11.00, above the maximum 5.00 x 1: 5.00
    #   (one rule: 6.00 + 5.00 = 11.00, rounded once and split back 6.00 / 5.00)
    # toy: the Toys rate ended 2020-12-31: no ad valorem duty, a warning; no HS code on the
    # gift: the default rate ended too: no duty, a warning
    # total 136.00 + 5.00 shipping + 4.50 + 11.00 = 156.50
    ref = "markets/duty.toml#duty."
    assert duty_charges(q) == [
        ("Duties", D("0.00"), D("1.00"), D("0"), "FOB customs value x 0", ref + "rate"),
        ("Beef", D("4.50"), D("10.00"), D("0.05"), "FOB customs value x 0.05 plus specific duty",
         ref + "rules[0]"),
        ("Shoes", D("11.00"), D("120.00"), D("0.10"),
         "FOB customs value x 0.10 plus specific duty", ref + "rules[1]"),
        ("Toys", D("0.00"), D("5.00"), D("0"), "FOB customs value x 0", ref + "rules[2]")]
    assert [ln.duty.amount for ln in q.lines] == [D("4.50"), D("6.00"), D("5.00"), D("0.00"),
                                                  D("0.00")]
    assert q.warnings == (
        f"no duty rate in force on 2026-11-23 ({ref}rules[2]): no ad valorem duty charged for "
        "item 'TOY'",
        f"no default duty rate in force on 2026-11-23 ({ref}rate): no duty charged for item "
        "'GIFT'")
    assert q.totals["total"].amount == D("156.50")


def test_the_bulk_path_adds_the_specific_duty_of_the_first_rule(duty):
    # Beef is the file's first duty rule (rules[0]); one unit alone, as a feed prices it:
    # 10.00 x 0.05 + 2.00 x 2 kg = 0.50 + 4.00 = 4.50, as in the quote above.
    [row] = BulkPricer(duty, "duty", on=QUOTE_DAY).price_many(
        [CatalogItem("BEEF", Money.of("10.00", "EUR"), hs_code="020130", weight_kg=D(2))])
    assert (row.unit_price, row.duty) == (D("10.00"), D("4.50"))


def test_an_hs_code_as_long_as_a_rule_prefix_takes_that_rule(duty):
    # "6403" is the Shoes rule's whole prefix: the rule applies to the four-digit code as to
    # any longer code under it. 10.00 x 0.10 + 1.00 per unit = 2.00, below the minimum of
    # 3.00 per unit: 3.00.
    short = quote(duty, "AD", [item("SHOE", "10.00", hs_code="6403")])
    long_ = quote(duty, "AD", [item("SHOE", "10.00", hs_code="640399")])
    ref = "markets/duty.toml#duty."
    assert [(c.name, c.amount.amount, c.rule) for c in short.charges if c.kind == "duty"] == [
        ("Shoes", D("3.00"), ref + "rules[1]")]
    assert duty_charges(short) == duty_charges(long_)


def test_flat_duty_per_tariff_category(duty):
    q = quote(duty, "AD", [
        item("BEEF", "10.00", hs_code="020130"),
        item("SHOE-1", "10.00", hs_code="640399"),
        item("SHOE-2", "10.00", hs_code="640320"),
        item("GIFT", "1.00", category="gift"),
        item("THING", "1.00"),
    ], ship_from="US")
    # categories by the first 4 HS digits, else by tax category: 0201, 6403 (both shoes),
    # category:gift, category:- (neither): 4 x 3.00 = 12.00; the shoes split their 3.00 by
    # weight (0.5 kg each): 1.50 / 1.50
    assert duty_charges(q) == [(
        "Duties", D("12.00"), None, None,
        "3.00 EUR x 4 tariff categories (0201, 6403, category:-, category:gift)",
        "markets/duty.toml#regimes[0]")]
    assert [ln.duty.amount for ln in q.lines] == [D("3.00"), D("1.50"), D("1.50"), D("3.00"),
                                                  D("3.00")]
    assert (q.charges[1].payable, q.totals["total"].amount) == ("checkout", D("49.00"))
    # one category: the singular
    q = quote(duty, "AD", [item("BEEF", "10.00", hs_code="020130")], ship_from="US")
    assert duty_charges(q)[0][4] == "3.00 EUR x 1 tariff category (0201)"


def test_vat_inside_prices_sums_goods_and_shipping_of_every_line(engine):
    # Germany (rules/zones/eu.toml, the shop ships from DE: domestic), VAT 19 % inside
    # displayed prices, rounded per line half-up. Prices end in .99 (ending "up"):
    # A 20.00 -> 20.99 x 2 = 41.98, B 10.00 -> 10.99. Weight 2 x 0.2 + 0.6 = 1.0 kg: the band
    # up to 2 kg, 7.90 EUR (goods 52.97 < 80.00, not free), split by weight: A 0.4 / 1.0 x
    # 7.90 = 3.16, B 4.74. Shipping is taxed at the standard rate, so goods and shipping of
    # both lines fall in one 19 % group. VAT inside each line, on its net value:
    #   A (41.98 + 3.16) x 0.19 / 1.19 = 7.2072... -> 7.21
    #   B (10.99 + 4.74) x 0.19 / 1.19 = 2.5115... -> 2.51           charge 9.72
    # base = 41.98 + 3.16 + 10.99 + 4.74 = 60.87: goods 52.97, shipping 7.90.
    quote = engine.quote({
        "destination": {"country": "DE"}, "date": QUOTE_DAY.isoformat(), "items": [
            {"sku": "A", "quantity": 2, "price": {"amount": "20.00", "currency": "EUR"},
             "hs_code": "610910", "weight": {"value": "0.2"}},
            {"sku": "B", "quantity": 1, "price": {"amount": "10.00", "currency": "EUR"},
             "hs_code": "610910", "weight": {"value": "0.6"}}]})
    assert [ln.included_tax.amount for ln in quote.lines] == [D("7.21"), D("2.51")]
    [vat] = [c for c in quote.charges if c.kind == "tax"]
    assert vat.included and vat.rate == D("0.19")
    assert vat.amount == Money(D("9.72"), "EUR") and vat.base == Money(D("60.87"), "EUR")
    assert vat.base_parts == (("goods", Money(D("52.97"), "EUR")),
                              ("shipping", Money(D("7.90"), "EUR")))


def test_duty_on_an_fob_value_has_no_base_parts(engine):
    # Australia (rules/markets/au.toml): FOB valuation, GST 10 % inside prices, duty 5 %,
    # prices ending in .95 (up). 1200.00 AUD -> 1200.95. Net of GST: 1200.95 / 1.1 =
    # 1091.7727... > AUD 1,000 (the low-value limit), so the goods are imported: duty on the
    # FOB value, 1091.77 x 0.05 = 54.5886... -> 54.59; GST on that duty 54.59 x 0.10 = 5.459
    # -> 5.46. An FOB value is the goods alone: the duty base has no parts to show (a CIF
    # market lists goods, freight and insurance).
    quote = engine.quote({
        "destination": {"country": "AU"}, "date": QUOTE_DAY.isoformat(), "items": [
            {"sku": "A", "quantity": 1, "price": {"amount": "1200.00", "currency": "AUD"},
             "hs_code": "610910", "origin": "PT"}]})
    [duty] = [c for c in quote.charges if c.kind == "duty"]
    assert duty.amount == Money(D("54.59"), "AUD") and duty.base == Money(D("1091.77"), "AUD")
    assert duty.base_parts == ()
    on_duty = [c for c in quote.charges if c.kind == "tax" and not c.included]
    assert [(c.amount.amount, c.base_parts) for c in on_duty] == [
        (D("5.46"), (("duty", Money(D("54.59"), "AUD")),))]
