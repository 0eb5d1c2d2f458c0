"""The law at its edges: every kind of threshold the rules express, one minor unit below, exactly
at, and one minor unit above the limit, with the expected regime and amounts worked by hand.

Limits come from the bundled rule files (which name their public sources); the comments quote
the law's words, which say whether a value equal to the limit is in ("not exceeding", "or
less": ``inclusive = true``, the default) or out ("under", "less than": ``inclusive =
false``). Rates are conftest.EASY_RATES (1 EUR = 0.85 GBP = 1.50 CAD = 160 JPY = 0.95 CHF =
1.60 AUD = 11.50 NOK = 4.30 PLN = 1.10 USD = 1500 KRW).

Prices: the bundled markets round converted prices to endings (.99, .95, 10 yen...), which
cannot land a value on every cent. So the `limits` engine runs the bundled rules unchanged
except for a fixed price list (``[pricing.prices]``) in some markets: fixed prices are taken
as they are (docs/calculation.md, step 1), so a cart's value is exactly what the example
needs. Where a price in the market currency already sits on the market's ending, it is used
instead, on the untouched bundled rules.
"""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest
from conftest import EASY_RATES, QUOTE_DAY, RULES, engine_for, item, market_head

from pricing import (
    Engine,
    Money,
    QuoteRequest,
    RateTable,
    RequestError,
    ShippingError,
    load_rules,
)
from pricing.bulk import BulkPricer, CatalogItem

#: Fixed local prices added to the bundled market files (SKU -> price), named by the value
#: they give the threshold test.
PRICE_LISTS: dict[str, dict[str, str]] = {
    "de": {"NET-149.99": "178.49 EUR", "NET-150.00": "178.50 EUR", "NET-150.01": "178.51 EUR",
           "GOODS-79.99": "79.99 EUR", "GOODS-80.00": "80.00 EUR", "GOODS-80.01": "80.01 EUR"},
    "pl": {"NET-644.99": "793.34 PLN", "NET-645.00": "793.35 PLN", "NET-645.01": "793.36 PLN",
           "NET-642.19": "789.89 PLN", "NET-642.20": "789.90 PLN", "NET-642.21": "789.92 PLN"},
    "gb": {"NET-134.99": "161.99 GBP", "NET-135.00": "162.00 GBP", "NET-135.01": "162.01 GBP"},
    "au": {"NET-999.99": "1099.99 AUD", "NET-1000.00": "1100.00 AUD",
           "NET-1000.01": "1100.01 AUD"},
    "no": {"NET-2999.99": "3749.99 NOK", "NET-3000.00": "3750.00 NOK",
           "NET-3000.01": "3750.01 NOK"},
    "jp": {"GOODS-9499": "9499 JPY", "GOODS-9500": "9500 JPY", "GOODS-9501": "9501 JPY",
           "GOODS-19999": "19999 JPY", "GOODS-20000": "20000 JPY", "GOODS-20001": "20001 JPY"},
    "ca": {f"VALUE-{v}": f"{v} CAD" for v in ("19.99", "20.00", "20.01", "39.99", "40.00",
                                              "40.01", "149.99", "150.00", "150.01")},
    "kr": {"BOOK-204544": "204544 KRW", "BOOK-204545": "204545 KRW",
           "BOOK-204546": "204546 KRW"},
}


def add_price_lists(root: Path) -> None:
    for market, prices in PRICE_LISTS.items():
        path = root / "markets" / f"{market}.toml"
        listed = "".join(f'"{sku}" = "{price}"\n' for sku, price in prices.items())
        path.write_text(path.read_text("utf-8") + "\n[pricing.prices]\n" + listed, "utf-8")


@pytest.fixture(scope="module")
def limits(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    root = tmp_path_factory.mktemp("limits") / "rules"
    shutil.copytree(RULES, root)
    add_price_lists(root)
    return Engine(load_rules(root), rates=EASY_RATES, clock=lambda: QUOTE_DAY)


def quote(engine, country, items, **extra):
    dest = {"country": country}
    if "region" in extra:
        dest["region"] = extra.pop("region")
    extra.setdefault("date", QUOTE_DAY.isoformat())
    return engine.quote({"destination": dest, "items": items, **extra})


def totals(q):
    return {k: v.amount for k, v in q.totals.items()}


def tried(q, regime_id):
    """The regime test the quote reports for ``regime_id``."""
    (found,) = [t for t in q.regime["tests"] if t["regime"] == regime_id]
    return found


# -- consignment value, inclusive, shipping excluded, limit in its own currency ----------------

@pytest.mark.parametrize(("sku", "regime", "shown", "duties", "taxes", "total"), [
    # IOSS: flat EUR 3 per tariff category; VAT inside 178.49 x 0.19/1.19 = 28.4984 -> 28.50;
    # VAT on duty 3.00 x 0.19 = 0.57; total 178.49 + 3.00 + 0.57 = 182.06
    ("NET-149.99", "ioss", "149.99 EUR <= 150.00 EUR", "3.00", "0.57", "182.06"),
    # 178.50 / 1.19 = 150.00 exactly: equal to the limit, so IOSS. Total 178.50 + 3.57 = 182.07
    ("NET-150.00", "ioss", "150.00 EUR <= 150.00 EUR", "3.00", "0.57", "182.07"),
    # import: duty 12 % (TARIC 6109) on CIF 150.0084 (shipping free) = 18.0010 -> 18.00;
    # VAT on duty 18.00 x 0.19 = 3.42; total 178.51 + 18.00 + 3.42 = 199.93
    ("NET-150.01", "import", "150.01 EUR > 150.00 EUR", "18.00", "3.42", "199.93"),
])
def test_eu_ioss_150_eur_not_exceeding(limits, sku, regime, shown, duties, taxes, total):
    """Directive 2006/112/EC Art. 369l: IOSS covers "consignments of an intrinsic value not
    exceeding EUR 150" (zones/eu.toml). The value is net of German VAT (19 %): price / 1.19.
    Goods >= EUR 80: shipping is free, and it would not count anyway."""
    q = quote(limits, "DE", [item(sku, "1.00", hs_code="610910", origin="CN")],
              ship_from="CN")
    assert q.regime["id"] == regime
    assert f"consignment value excl. shipping {shown}" in tried(q, "ioss")["test"]
    t = totals(q)
    assert (t["shipping"], t["duties"], t["taxes"], t["included_taxes"], t["total"]) == (
        D("0.00"), D(duties), D(taxes), D("28.50"), D(total))


def test_eu_ioss_leaves_paid_shipping_out_of_the_value(limits):
    """Express is never free: 12.90 + 2.00 x 0.5 kg = 13.90 EUR is paid, yet the value tested
    is the goods' 150.00 alone ("intrinsic value" excludes transport)."""
    q = quote(limits, "DE", [item("NET-150.00", "1.00", hs_code="610910", origin="CN")],
              ship_from="CN", shipping_method="express")
    assert q.regime["id"] == "ioss"
    # VAT inside (178.50 + 13.90) x 0.19/1.19 = 28.50 + 2.2193 = 30.7193 -> 30.72 (one line);
    # VAT on the flat duty 0.57; total 178.50 + 13.90 + 3.00 + 0.57 = 195.97
    t = totals(q)
    assert (t["shipping"], t["included_taxes"], t["total"]) == (D("13.90"), D("30.72"),
                                                               D("195.97"))


@pytest.mark.parametrize(("sku", "regime", "shown", "total"), [
    # low value: VAT inside 161.99 x 0.2/1.2 = 26.9983 -> 27.00, no duty; total 161.99
    ("NET-134.99", "low-value", "134.99 GBP <= 135.00 GBP", "161.99"),
    # 162.00 / 1.2 = 135.00 exactly: not exceeding GBP 135
    ("NET-135.00", "low-value", "135.00 GBP <= 135.00 GBP", "162.00"),
    # import: duty 4 % (default) on CIF 135.0083 = 5.4003 -> 5.40; VAT on duty 1.08;
    # total 162.01 + 5.40 + 1.08 = 168.49
    ("NET-135.01", "import", "135.01 GBP > 135.00 GBP", "168.49"),
])
def test_uk_135_gbp_not_exceeding(limits, sku, regime, shown, total):
    """HMRC, "VAT and overseas goods sold directly to customers in the UK": goods "in
    consignments not exceeding £135 in value" have VAT charged at the sale and no duty (gb.toml).
    Value net of 20 % VAT; shipping is free from GBP 75."""
    q = quote(limits, "GB", [item(sku, "1.00")])
    assert q.regime["id"] == regime
    assert shown in tried(q, "low-value")["test"]
    assert totals(q)["total"] == D(total)
    assert totals(q)["included_taxes"] == D("27.00")


@pytest.mark.parametrize(("sku", "regime", "shown", "duties", "total"), [
    # GST inside 1099.99 x 0.1/1.1 = 99.999 -> 100.00, at the sale; no duty
    ("NET-999.99", "low-value", "999.99 AUD <= 1000.00 AUD", "0.00", "1099.99"),
    # 1100.00 / 1.1 = 1000.00 exactly: "A$1,000 or less"
    ("NET-1000.00", "low-value", "1000.00 AUD <= 1000.00 AUD", "0.00", "1100.00"),
    # import: duty 5 % on the FOB value 1000.0091 = 50.00045 -> 50.00; GST on duty 5.00;
    # total 1100.01 + 50.00 + 5.00 = 1155.01
    ("NET-1000.01", "import", "1000.01 AUD > 1000.00 AUD", "50.00", "1155.01"),
])
def test_au_1000_aud_or_less(limits, sku, regime, shown, duties, total):
    """ATO, GST on low value imported goods: goods with "a customs value of A$1,000 or less"
    have GST collected by the seller and no duty (au.toml). Value net of 10 % GST."""
    q = quote(limits, "AU", [item(sku, "1.00")])
    assert q.regime["id"] == regime
    assert shown in tried(q, "low-value")["test"]
    t = totals(q)
    assert (t["duties"], t["included_taxes"], t["total"]) == (D(duties), D("100.00"), D(total))


# -- strict limits, per item -------------------------------------------------------------------

@pytest.mark.parametrize(("sku", "regime", "shown"), [
    ("NET-2999.99", "voec", "2999.99 NOK < 3000.00 NOK"),    # 3749.99 / 1.25 = 2999.992
    ("NET-3000.00", "import", "3000.00 NOK >= 3000.00 NOK"),  # 3750.00 / 1.25 = 3000 exactly
    ("NET-3000.01", "import", "3000.01 NOK >= 3000.00 NOK"),  # 3750.01 / 1.25 = 3000.008
])
def test_no_voec_only_under_3000_nok(limits, sku, regime, shown):
    """Skatteetaten, VOEC: goods "with a value of less than NOK 3,000" per item (no.toml,
    ``inclusive = false``, ``value_basis = "item"``): an item worth exactly NOK 3,000 is an
    import. Value net of 25 % VAT. Duty is 0 either way; what changes is who collects the VAT."""
    q = quote(limits, "NO", [item(sku, "1.00")])
    assert q.regime["id"] == regime
    assert f"each item's value {shown}" in tried(q, "voec")["test"]
    vat = next(c for c in q.charges if c.kind == "tax" and c.amount)
    # VAT inside 3750.00 x 0.25/1.25 = 750.00 (749.998 and 750.002 round to it too)
    assert vat.amount.amount == D("750.00")
    assert ("collected at the sale" in vat.note) == (regime == "voec")
    assert ("import tax" in vat.note) == (regime == "import")


def test_no_voec_tests_each_item_not_the_consignment(limits):
    # two units of 2999.99 NOK each: the consignment is 5999.98, but each item is under 3000
    q = quote(limits, "NO", [item("NET-2999.99", "1.00", qty=2)])
    assert q.regime["id"] == "voec"
    assert "each item's value 2999.99 NOK < 3000.00 NOK" in tried(q, "voec")["test"]
    # one item under and one exactly at the limit: not every item is under, so import
    q = quote(limits, "NO", [item("NET-2999.99", "1.00"), item("NET-3000.00", "1.00")])
    assert q.regime["id"] == "import"
    assert "each item's value 3000.00 NOK >= 3000.00 NOK" in tried(q, "voec")["test"]


# -- shipping counted --------------------------------------------------------------------------

@pytest.mark.parametrize(("sku", "regime", "shown", "total"), [
    # (9499 + 1500) / 1.1 = 9999.09 -> 9999: no duty, no consumption tax; 9499 + 1500 = 10999
    ("GOODS-9499", "small-value", "9999 JPY <= 10000 JPY", "10999"),
    # (9500 + 1500) / 1.1 = 10000 exactly: "10,000 yen or less"; 9500 + 1500 = 11000
    ("GOODS-9500", "small-value", "10000 JPY <= 10000 JPY", "11000"),
    # (9501 + 1500) / 1.1 = 10000.91 -> 10001: import. Duty 5 % x 10000.91 = 500.05 -> 500;
    # tax inside (9501 + 1500) x 0.1/1.1 = 1000.09 -> 1000 (down), on duty 500 x 0.1 = 50;
    # total 9501 + 1500 + 500 + 50 = 11551
    ("GOODS-9501", "import", "10001 JPY > 10000 JPY", "11551"),
])
def test_jp_10000_yen_or_less_counting_shipping(limits, sku, regime, shown, total):
    """Japan Customs: goods whose total customs value is "10,000 yen or less" are free of duty
    and consumption tax; the value is CIF, so shipping counts (jp.toml ``include_shipping``).
    Without shipping, 9501 / 1.1 = 8637 would pass: here shipping (1500 JPY for 0.5 kg) tips
    it over. Values net of the 10 % tax the prices would hold."""
    q = quote(limits, "JP", [item(sku, "1")])
    assert q.regime["id"] == regime
    assert f"consignment value incl. shipping {shown}" in tried(q, "small-value")["test"]
    assert totals(q)["shipping"] == D("1500")
    assert totals(q)["total"] == D(total)


# -- tax-exclusive market, regimes tested on where the parcel ships from -------------------------

@pytest.mark.parametrize(("sku", "ship_from", "regime", "duties", "taxes", "total"), [
    # CUSMA courier, "CAN$40 or less": no duty or tax; 39.99 + shipping 12.99 = 52.98
    ("VALUE-39.99", "US", "cusma-free", "0.00", "0.00", "52.98"),
    ("VALUE-40.00", "US", "cusma-free", "0.00", "0.00", "52.99"),
    # over 40, "CAN$150 or less": HST only, 40.01 x 0.13 = 5.2013 -> 5.20; 40.01 + 12.99 + 5.20
    ("VALUE-40.01", "US", "cusma-tax-only", "0.00", "5.20", "58.20"),
    # 149.99 x 0.13 = 19.4987 -> 19.50; 149.99 + 12.99 + 19.50 = 182.48
    ("VALUE-149.99", "US", "cusma-tax-only", "0.00", "19.50", "182.48"),
    # 150.00 x 0.13 = 19.50; 150.00 + 12.99 + 19.50 = 182.49
    ("VALUE-150.00", "US", "cusma-tax-only", "0.00", "19.50", "182.49"),
    # import: duty 6.5 % (default, no origin given) on FOB 150.01 = 9.75065 -> 9.75;
    # HST (150.01 + 9.75) x 0.13 = 20.7688 -> 20.77; total 150.01 + 12.99 + 9.75 + 20.77
    ("VALUE-150.01", "US", "import", "9.75", "20.77", "193.52"),
    # other places of shipment, "not exceeding CAN$20": free; 19.99 + 12.99 = 32.98
    ("VALUE-19.99", "DE", "courier-free", "0.00", "0.00", "32.98"),
    ("VALUE-20.00", "DE", "courier-free", "0.00", "0.00", "32.99"),
    # import: duty 20.01 x 0.065 = 1.30065 -> 1.30; HST (20.01 + 1.30) x 0.13 = 2.7703 -> 2.77;
    # total 20.01 + 12.99 + 1.30 + 2.77 = 37.07
    ("VALUE-20.01", "DE", "import", "1.30", "2.77", "37.07"),
])
def test_ca_courier_thresholds(limits, sku, ship_from, regime, duties, taxes, total):
    """CBSA courier low value shipment program (ca.toml): shipped from the US or Mexico,
    "CAN$40 or less" free of duty and tax, "CAN$150 or less" free of duty; from elsewhere,
    shipments valued at CAN$20 or less are free. Canada shows prices without tax, so the value
    is the price itself. Ontario: HST 13 % on value for duty + duty."""
    q = quote(limits, "CA", [item(sku, "1.00")], region="CA-ON", ship_from=ship_from)
    assert q.regime["id"] == regime
    t = totals(q)
    assert (t["duties"], t["taxes"], t["total"]) == (D(duties), D(taxes), D(total))


# -- limits in another currency: converted at the quote's rate, then rounded -------------------

@pytest.mark.parametrize(("sku", "regime", "shown"), [
    ("NET-644.99", "ioss", "644.99 PLN <= 150.00 EUR (645.00 PLN at the quote's rate)"),
    ("NET-645.00", "ioss", "645.00 PLN <= 150.00 EUR (645.00 PLN at the quote's rate)"),
    ("NET-645.01", "import", "645.01 PLN > 150.00 EUR (645.00 PLN at the quote's rate)"),
])
def test_eu_150_eur_limit_in_zloty(limits, sku, regime, shown):
    """Poland prices in PLN; the EUR 150 of zones/eu.toml is 150.00 x 4.30 = 645.00 PLN.
    Values net of 23 % VAT: 793.34 / 1.23 = 644.9919; 793.35 / 1.23 = 645.00 exactly;
    793.36 / 1.23 = 645.0081."""
    q = quote(limits, "PL", [item(sku, "1.00", hs_code="610910")], ship_from="CN")
    assert q.regime["id"] == regime
    assert shown in tried(q, "ioss")["test"]


@pytest.mark.parametrize(("sku", "regime", "shown"), [
    ("NET-642.19", "ioss", "642.19 PLN <= 150.00 EUR (642.20 PLN"),   # 789.89 / 1.23 = 642.187
    ("NET-642.20", "ioss", "642.20 PLN <= 150.00 EUR (642.20 PLN"),   # 789.90 / 1.23 = 642.195
    ("NET-642.21", "import", "642.21 PLN > 150.00 EUR (642.20 PLN"),  # 789.92 / 1.23 = 642.211
])
def test_a_converted_limit_is_rounded_half_up_before_the_comparison(limits, sku, regime, shown):
    """At 1 EUR = 4.2813 PLN the limit is 150.00 x 4.2813 = 642.195 PLN, rounded half-up to
    642.20 (docs/calculation.md: rule amounts are converted at the quote's rate, half-up). A
    value of 642.20 is then "not exceeding" the limit, though it exceeds the unrounded 642.195."""
    rates = RateTable.from_mapping({"PLN": "4.2813"}, base="EUR", as_of=QUOTE_DAY,
                                   source="test rate")
    engine = limits.with_rules(limits.rules, rates=rates)
    q = quote(engine, "PL", [item(sku, "1.00", hs_code="610910")], ship_from="CN")
    assert q.regime["id"] == regime
    assert shown in tried(q, "ioss")["test"]


@pytest.mark.parametrize(("sku", "regime", "shown", "included"), [
    ("BOOK-204544", "de-minimis", "204544 KRW <= 150.00 USD", "0"),
    ("BOOK-204545", "de-minimis", "204545 KRW <= 150.00 USD", "0"),
    # import: books carry no duty (4901) and no VAT, but shipping does: 25000 x 0.1/1.1 =
    # 2272.73 -> 2273 KRW inside the shipping price
    ("BOOK-204546", "import", "204546 KRW > 150.00 USD", "2273"),
])
def test_kr_150_usd_limit_in_won(limits, sku, regime, shown, included):
    """Korea Customs Service list clearance: goods of "USD 150 or less" per consignment are free
    of duty and VAT (kr.toml). The cross rate USD -> KRW is 1500 / 1.10 = 1363.63636364 (12
    significant digits), so the limit is 150 x 1363.63636364 = 204545.45 -> 204545 KRW (no
    minor unit). Books are VAT-exempt, so the value is the price. Shipping is left out."""
    q = quote(limits, "KR", [item(sku, "1", category="books", hs_code="490199")])
    assert q.regime["id"] == regime
    assert shown in tried(q, "de-minimis")["test"]
    t = totals(q)
    assert (t["included_taxes"], t["duties"], t["total"]) == (
        D(included), D("0"), D(sku.split("-")[1]) + 25000)


# -- a custom market for the combinations the bundled ones lack --------------------------------

EDGE_SHOP = 'name = "Edge"\nbase_currency = "EUR"\nship_from = "CN"\n'
EDGE = """\
# Tax-exclusive EUR market with a per-item inclusive limit and a strict consignment limit that
# counts shipping and is stated in USD.
""" + market_head("edge", "IS", "EUR") + """
[tax]
base = ["goods", "shipping"]

[[tax.components]]
name = "VAT"
rate = "0.20"

[duty]
valuation = "CIF"
rate = "0.10"

[[regimes]]
id = "per-item"
name = "Each item up to EUR 50"
ship_from = ["US"]
max_value = [{ value = "50.00 EUR", from = 2020-01-01 }]
value_basis = "item"
tax = "sale"
duty = "none"

[[regimes]]
id = "under-100-usd"
name = "Under USD 100 with shipping"
ship_from = ["CN"]
max_value = "100.00 USD"
inclusive = false
include_shipping = true
tax = "sale"
duty = "none"

[shipping.standard]
name = "Standard"
days = [1, 2]
base = "5.00 EUR"
free_over = "100.00 USD"
"""


@pytest.fixture(scope="module")
def edge(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return engine_for(tmp_path_factory.mktemp("edge"), EDGE_SHOP, {"edge": EDGE})


@pytest.mark.parametrize(("price", "regime", "shown", "total"), [
    # 85.90 + 5.00 = 90.90 < 90.91: VAT (85.90 + 5.00) x 0.2 = 18.18; total 90.90 + 18.18
    ("85.90", "under-100-usd", "90.90 EUR < 100.00 USD (90.91 EUR", "109.08"),
    # 90.91 is not under 90.91: standard import, duty (85.91 + 5.00) x 0.10 = 9.091 -> 9.09,
    # VAT 90.91 x 0.2 = 18.182 -> 18.18 (duty not in this market's base); 90.91 + 9.09 + 18.18
    ("85.91", "standard", "90.91 EUR >= 100.00 USD (90.91 EUR", "118.18"),
    # 90.92: duty 9.092 -> 9.09, VAT 18.184 -> 18.18; 90.92 + 9.09 + 18.18 = 118.19
    ("85.92", "standard", "90.92 EUR >= 100.00 USD (90.91 EUR", "118.19"),
])
def test_strict_consignment_limit_with_shipping_after_conversion(edge, price, regime, shown,
                                                                 total):
    """USD 100 is 100 x 0.909090909091 (1 / 1.10 to 12 digits) = 90.909 -> 90.91 EUR. The value
    counts the goods and the 5.00 EUR shipping; "under" the limit means below, not equal."""
    q = quote(edge, "IS", [item("A", price)])
    assert q.regime["id"] == regime
    assert f"consignment value incl. shipping {shown}" in tried(q, "under-100-usd")["test"]
    assert totals(q)["total"] == D(total)


@pytest.mark.parametrize(("price", "regime", "total"), [
    # 3 x 49.99 = 149.97, free shipping (>= 90.91); VAT 29.994 -> 29.99; 149.97 + 29.99
    ("49.99", "per-item", "179.96"),
    # 3 x 50.00 = 150.00: each item 50.00 <= 50.00; VAT 30.00; total 180.00
    ("50.00", "per-item", "180.00"),
    # each item 50.01: standard; duty 150.03 x 0.10 = 15.003 -> 15.00; VAT 150.03 x 0.2 =
    # 30.006 -> 30.01; total 150.03 + 15.00 + 30.01 = 195.04
    ("50.01", "standard", "195.04"),
])
def test_inclusive_per_item_limit(edge, price, regime, total):
    """A per-item limit looks at each unit (line value / quantity), not at the consignment of
    three: 3 x 50.00 = 150.00 passes a EUR 50 per-item limit."""
    q = quote(edge, "IS", [item("A", price, qty=3)], ship_from="US")
    assert q.regime["id"] == regime
    assert totals(q)["total"] == D(total)


# -- waivers of small computed amounts ---------------------------------------------------------

@pytest.mark.parametrize(("price", "vat", "collected"), [
    # (56.65 + 9.90) x 0.081/1.081 = 4.9866 -> 4.99: CHF 5 or less, not collected
    ("56.65", "4.99", False),
    # (56.80 + 9.90) x 0.081/1.081 = 4.9979 -> 5.00: equal to CHF 5, not collected
    ("56.80", "5.00", False),
    # (56.90 + 9.90) x 0.081/1.081 = 5.0054 -> 5.01: collected
    ("56.90", "5.01", True),
])
def test_ch_vat_of_5_chf_or_less_is_not_collected(engine, price, vat, collected):
    """BAZG: import VAT is not collected when it is "CHF 5 or less" (ch.toml
    ``tax.waive_at_or_below``). Prices in CHF already sit on the 0.05 ending; 0.5 kg ships for
    9.90 CHF; the VAT of goods and shipping is rounded once per order."""
    q = quote(engine, "CH", [item("MUG", price, currency="CHF")])
    (charge,) = [c for c in q.charges if c.kind == "tax"]
    if collected:
        assert charge.amount.amount == D(vat)
    else:
        assert charge.amount.amount == 0
        assert f"not collected: total tax {vat} CHF is at or below 5.00 CHF" in charge.note
    assert totals(q)["included_taxes"] == (D(vat) if collected else D("0.00"))
    assert totals(q)["total"] == D(price) + D("9.90")   # VAT is inside the prices


@pytest.mark.parametrize(("price", "duty", "total"), [
    # CIF net of 7.7 % VAT: (97.60 + 9.90) / 1.077 = 99.8143; x 0.05 = 4.9907 -> 4.99: waived
    ("97.60", "0.00", "107.50"),
    # (97.80 + 9.90) / 1.077 = 100.00; x 0.05 = 5.00: "CHF 5 or less", waived
    ("97.80", "0.00", "107.70"),
    # (98.00 + 9.90) / 1.077 = 100.1857; x 0.05 = 5.0093 -> 5.01: collected; VAT on it
    # 5.01 x 0.077 = 0.3858 -> 0.39; total 107.90 + 5.01 + 0.39 = 113.30
    ("98.00", "5.01", "113.30"),
])
def test_ch_duty_of_5_chf_or_less_is_not_collected(engine, price, duty, total):
    """Before the industrial tariffs were abolished (2024-01-01), ch.toml charges 5 % duty; duty
    of "CHF 5 or less" is not collected (``duty.waive_at_or_below``). Quote date 2023-11-23:
    VAT 7.7 %."""
    q = quote(engine, "CH", [item("LAMP", price, currency="CHF")], date="2023-11-23")
    t = totals(q)
    assert (t["duties"], t["total"]) == (D(duty), D(total))
    if duty == "0.00":
        (charge,) = [c for c in q.charges if c.kind == "duty"]
        assert "at or below 5.00 CHF" in charge.note


# -- free shipping at the threshold ------------------------------------------------------------

@pytest.mark.parametrize(("sku", "shipping"), [
    ("GOODS-79.99", "4.90"), ("GOODS-80.00", "0.00"), ("GOODS-80.01", "0.00")])
def test_free_shipping_from_80_eur(limits, sku, shipping):
    """zones/eu.toml: standard shipping is free when the goods are "at or over" EUR 80
    (``free_over``); below it 0.5 kg costs 4.90."""
    q = quote(limits, "DE", [item(sku, "1.00")])
    assert totals(q)["shipping"] == D(shipping)


@pytest.mark.parametrize(("sku", "shipping"), [
    ("GOODS-19999", "1500"), ("GOODS-20000", "0"), ("GOODS-20001", "0")])
def test_free_shipping_from_20000_yen(limits, sku, shipping):
    q = quote(limits, "JP", [item(sku, "1")])
    assert totals(q)["shipping"] == D(shipping)


@pytest.mark.parametrize(("price", "shipping"), [
    ("90.90", "5.00"), ("90.91", "0.00"), ("90.92", "0.00")])
def test_free_shipping_threshold_after_conversion(edge, price, shipping):
    # free_over USD 100 = 90.909 -> 90.91 EUR
    q = quote(edge, "IS", [item("A", price)], ship_from="US")
    assert totals(q)["shipping"] == D(shipping)


# -- weight bands and the heaviest parcel ------------------------------------------------------

@pytest.mark.parametrize(("kg", "shipping"), [
    ("0.499", "4.90"), ("0.5", "4.90"), ("0.501", "7.90"),   # band "up to 0.5 kg"
    ("2", "7.90"), ("2.001", "14.90"),                        # band "up to 2 kg"
    ("30", "38.90"),                                          # 14.90 + 20 kg x 1.20 = 38.90
])
def test_weight_bands_hold_their_upper_limit(engine, kg, shipping):
    q = quote(engine, "DE", [item("A", "10.00", weight={"value": kg})])
    assert totals(q)["shipping"] == D(shipping)


def test_the_heaviest_parcel_is_max_kg_itself(engine):
    quote(engine, "DE", [item("A", "10.00", weight={"value": "30"})])   # max_kg = "30": fine
    with pytest.raises(ShippingError, match="over the 30 kg limit"):
        quote(engine, "DE", [item("A", "10.00", weight={"value": "30.001"})])


# -- dates: a period includes its first and last day -------------------------------------------

@pytest.mark.parametrize(("day", "rate"), [
    ("2020-06-30", "0.19"), ("2020-07-01", "0.16"), ("2020-12-31", "0.16"),
    ("2021-01-01", "0.19")])
def test_a_rate_period_includes_its_first_and_last_day(engine, day, rate):
    """de.toml: VAT 16 % "from = 2020-07-01, to = 2020-12-31" (both days included)."""
    q = quote(engine, "DE", [item("A", "10.00")], date=day)
    assert {c.rate for c in q.charges if c.kind == "tax"} == {D(rate)}


@pytest.mark.parametrize(("day", "regime", "duty"), [
    ("2026-06-30", "ioss", "none"),      # regimes[0], "to = 2026-06-30"
    ("2026-07-01", "ioss", "per_category"),  # regimes[1], "from = 2026-07-01"
    ("2028-06-30", "ioss", "per_category"),  # regimes[1], "to = 2028-06-30"
    ("2028-07-01", "import", "charged"),  # no low-value regime any more
])
def test_a_regime_is_in_force_on_its_first_and_last_day(engine, day, regime, duty):
    q = quote(engine, "DE", [item("A", "20.00", hs_code="610910")], ship_from="CN", date=day)
    assert (q.regime["id"], q.regime["duty"]) == (regime, duty)


@pytest.mark.parametrize(("day", "regime"), [
    ("2018-06-30", "low-value-exempt"), ("2018-07-01", "low-value")])
def test_au_low_value_gst_starts_on_2018_07_01(limits, day, regime):
    """ATO: GST on low value imported goods from 1 July 2018; before, no GST at the border."""
    q = quote(limits, "AU", [item("NET-1000.00", "1.00")], date=day)
    assert q.regime["id"] == regime


# -- how old the rates may be ------------------------------------------------------------------

@pytest.mark.parametrize(("day", "stale", "early"), [
    ("2026-11-22", False, True),    # rates of 2026-11-23 used the day before: flagged
    ("2026-11-23", False, False),
    ("2026-11-30", False, False),   # 7 days old: max_rate_age_days = 7 in shop.toml
    ("2026-12-01", True, False),    # 8 days old: stale
])
def test_rate_age_limits(engine, day, stale, early):
    # A USD price in Germany: the quote converts with the EUR/USD rate of 2026-11-23.
    q = quote(engine, "DE", [item(currency="USD")], date=day)
    assert q.fx["stale"] is stale
    assert any("after the quote date" in w for w in q.warnings) is early
    # A EUR price in Germany converts nothing: no rate, however old, is worth a warning.
    same = quote(engine, "DE", [item()], date=day)
    assert same.fx["stale"] is False
    assert not any("rate" in w for w in same.warnings)


# -- request bounds ----------------------------------------------------------------------------

def _request(amount="10.00", weight="1", qty=1):
    return {"destination": {"country": "DE"}, "items": [
        {"sku": "A", "quantity": qty, "price": {"amount": amount, "currency": "EUR"},
         "weight": {"value": weight}}]}


@pytest.mark.parametrize(("patch", "field"), [
    ({"amount": "1000000000000.01"}, "items[0].price.amount"),
    ({"amount": "-0.01"}, "items[0].price.amount"),
    ({"weight": "100000.001"}, "items[0].weight.value"),
    ({"weight": "-0.001"}, "items[0].weight.value"),
    ({"qty": 100_001}, "items[0].quantity"),
])
def test_request_bounds_one_step_outside_are_refused(patch, field):
    with pytest.raises(RequestError) as e:
        QuoteRequest.from_dict(_request(**patch))
    assert e.value.field == field


@pytest.mark.parametrize("patch", [
    {"amount": "1000000000000.00"}, {"amount": "0.00"}, {"weight": "100000"}, {"weight": "0"},
    {"qty": 100_000}])
def test_request_bounds_themselves_are_accepted(patch):
    """docs/calculation.md, input bounds: amounts "at most 10^12", weights "0 to 100,000",
    quantities "from 1 to 100,000"."""
    request = QuoteRequest.from_dict(_request(**patch))
    assert request.items[0].quantity == patch.get("qty", 1)


def _tests(*rows):
    return [{"regime": r, "passed": p, "test": t} for r, p, t in rows]


def test_each_quote_lists_every_regime_test_and_its_side(limits, edge):
    """Support answers "why duty?" from these lines: each regime tried, in order, its outcome,
    the values compared (and the converted limit), the regime's note when it applied."""
    q = quote(limits, "DE", [item("NET-150.00", "1.00")])   # the shop ships from DE
    assert q.regime["tests"] == _tests(
        ("domestic", True, "ships from DE, inside the market's customs territory: not an import"))
    q = quote(limits, "DE", [item("NET-150.00", "1.00")], ship_from="CN")
    assert q.regime["tests"] == _tests(  # regimes[0] ended on 2026-06-30: not tried
        ("ioss", True, "consignment value excl. shipping 150.00 EUR <= 150.00 EUR: intrinsic "
                       "value up to EUR 150 (transport excluded)"))
    q = quote(limits, "DE", [item("NET-150.01", "1.00")], ship_from="CN")
    assert q.regime["tests"] == _tests(
        ("ioss", False, "consignment value excl. shipping 150.01 EUR > 150.00 EUR"),
        ("import", True, "no threshold"))
    q = quote(limits, "CA", [item("VALUE-20.00", "1.00")], region="CA-ON")
    assert q.regime["tests"] == _tests(
        ("cusma-free", False, "ships from DE, not from US/MX"),
        ("cusma-tax-only", False, "ships from DE, not from US/MX"),
        ("courier-free", True, "consignment value excl. shipping 20.00 CAD <= 20.00 CAD"))
    q = quote(edge, "IS", [item("A", "85.91")])
    assert q.regime["tests"] == _tests(
        ("per-item", False, "ships from CN, not from US"),
        ("under-100-usd", False, "consignment value incl. shipping 90.91 EUR >= 100.00 USD "
                                 "(90.91 EUR at the quote's rate)"),
        ("standard", True, "no other regime applied"))
    q = quote(limits, "NO", [item("NET-2999.99", "1.00"), item("NET-3000.01", "1.00")])
    assert q.regime["tests"][0] == {   # per item: the dearest one is shown
        "regime": "voec", "passed": False,
        "test": "each item's value 3000.01 NOK >= 3000.00 NOK"}


def test_price_lists_are_taken_as_they_are(limits):
    # The fixed prices above are not given an ending: 178.50 stays 178.50 (.99 ending in DE).
    q = quote(limits, "DE", [item("NET-150.00", "1.00")])
    assert q.lines[0].unit_price.amount == D("178.50")
    assert q.date == date(2026, 11, 23)


# -- the bulk path (feeds, /v1/prices) on the same limits ---------------------------------------

@pytest.mark.parametrize(("market", "sku", "hs_code", "regime"), [
    # The worked examples above, one unit each with shipping excluded (a landed unit price):
    # EU IOSS "not exceeding EUR 150", the value net of 19 % VAT.
    ("de", "NET-149.99", "610910", "ioss"), ("de", "NET-150.00", "610910", "ioss"),
    ("de", "NET-150.01", "610910", "import"),
    # UK GBP 135 and AU AUD 1,000, both inclusive.
    ("gb", "NET-135.00", None, "low-value"), ("gb", "NET-135.01", None, "import"),
    ("au", "NET-1000.00", None, "low-value"), ("au", "NET-1000.01", None, "import"),
    # NO VOEC "less than NOK 3,000" per item: exactly 3,000 is an import.
    ("no", "NET-2999.99", None, "voec"), ("no", "NET-3000.00", None, "import"),
])
def test_the_bulk_path_takes_the_same_side_of_each_limit(limits, market, sku, hs_code, regime):
    pricer = BulkPricer(limits, market, on=QUOTE_DAY, ship_from="CN")
    [row] = pricer.price_many([CatalogItem(sku, Money.of("1.00", "EUR"), hs_code=hs_code,
                                           origin="CN")])
    assert row.error is None and row.regime == regime


@pytest.mark.parametrize(("price", "vat"), [
    # The goods alone, no shipping: VAT inside the price, 66.65 x 0.081/1.081 = 4.9941 -> 4.99
    # and 66.70 x 0.081/1.081 = 4.9979 -> 5.00 ("CHF 5 or less": not collected);
    # 66.80 x 0.081/1.081 = 5.0054 -> 5.01, collected.
    ("66.65", "0.00"), ("66.70", "0.00"), ("66.80", "5.01")])
def test_the_bulk_path_waives_vat_of_5_chf_or_less(engine, price, vat):
    [row] = BulkPricer(engine, "ch", on=QUOTE_DAY).price_many(
        [CatalogItem("MUG", Money.of(price, "CHF"))])
    assert (row.unit_price, row.duty, row.tax, row.included_tax) == (
        D(price), D("0.00"), D("0.00"), D(vat))


@pytest.mark.parametrize(("price", "duty"), [
    # 2023-11-23, 5 % duty on the value net of 7.7 % VAT, no shipping:
    # 107.55 / 1.077 x 0.05 = 4.9930 -> 4.99 and 107.70 / 1.077 x 0.05 = 5.00 exactly ("CHF 5
    # or less": not collected); 107.85 / 1.077 x 0.05 = 5.0070 -> 5.01, collected.
    ("107.55", "0.00"), ("107.70", "0.00"), ("107.85", "5.01")])
def test_the_bulk_path_waives_duty_of_5_chf_or_less(engine, price, duty):
    [row] = BulkPricer(engine, "ch", on=date(2023, 11, 23)).price_many(
        [CatalogItem("LAMP", Money.of(price, "CHF"))])
    assert (row.unit_price, row.duty) == (D(price), D(duty))
