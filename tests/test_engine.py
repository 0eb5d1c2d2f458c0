"""Worked examples for every rule kind, computed by hand with the arithmetic shown.

Rates are the round test rates of conftest.EASY_RATES (1 EUR = 1.10 USD = 0.85 GBP = 1.50 CAD =
160 JPY = 0.95 CHF = 0.41 BHD), so each step can be followed on paper. Facts come from the
bundled rule files, which name their public sources.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from conftest import EASY_RATES, QUOTE_DAY, item

from pricing import (
    Engine,
    MissingRateError,
    RequestError,
    RestrictedItemError,
    ShippingError,
    UnknownMarketError,
    UnknownShippingMethodError,
    load_rules,
)


def amounts(quote):
    """Totals as {name: Decimal} for compact assertions."""
    return {k: v.amount for k, v in quote.totals.items()}


def charges(quote, kind):
    return [c for c in quote.charges if c.kind == kind]


def q(engine, country, items, **extra):
    dest = {"country": country}
    if "region" in extra:
        dest["region"] = extra.pop("region")
    return engine.quote({"destination": dest, "items": items, "date": QUOTE_DAY.isoformat(),
                         **extra})


def test_eu_below_150_ioss_with_flat_duty(engine):
    """DE, 2026-11-23: IOSS regime (<= EUR 150) with the flat EUR 3 duty from 2026-07-01."""
    quote = q(engine, "DE", [item("TS", "20.00", hs_code="610910", origin="CN",
                                  weight={"value": "0.3"})], ship_from="CN")
    # price: 20.00 EUR, same currency (no markup); ending .99 up -> 20.99
    # shipping: 0.3 kg in the 0.5 kg band -> 4.90 (free only from 80.00)
    # value test: net goods 20.99 / 1.19 = 17.64 <= 150.00 -> IOSS, VAT at the sale
    # duty: flat 3.00 EUR x 1 tariff category (610910)
    # VAT inside prices: (20.99 + 4.90) x 0.19 / 1.19 = 4.1337 -> 4.13 (line rounding)
    # VAT on duty: 3.00 x 0.19 = 0.57
    # total: 20.99 + 4.90 + 3.00 + 0.57 = 29.46
    assert quote.regime["id"] == "ioss"
    assert amounts(quote) == {
        "items": D("20.99"), "shipping": D("4.90"), "duties": D("3.00"), "taxes": D("0.57"),
        "included_taxes": D("4.13"), "fees": D("0.00"), "total": D("29.46"),
        "due_at_checkout": D("29.46"), "due_on_delivery": D("0.00")}
    (duty,) = charges(quote, "duty")
    assert duty.rule == "zones/eu.toml#regimes[1]" and "1 tariff category" in duty.note
    assert any(t["passed"] and "17.64 EUR <= 150.00 EUR" in t["test"]
               for t in quote.regime["tests"])


def test_eu_above_150_import_with_preferential_origin(engine):
    """DE import: duty on CIF value, GB origin duty-free under the TCA, VAT on duty added."""
    quote = q(engine, "DE", [
        item("SHOE", "200.00", hs_code="640399", origin="GB"),
        item("TEE", "100.00", hs_code="610910", origin="CN"),
    ], ship_from="US")
    # prices: 200.00 -> 200.99 and 100.00 -> 100.99 (ending .99); goods 301.98
    # shipping: 2 x 0.5 kg default weight, but goods >= 80.00 -> free
    # value: (200.99 + 100.99) / 1.19 = 253.76 > 150.00 -> import regime
    # duty: SHOE origin GB -> preference 0; TEE 100.99 / 1.19 = 84.8655 x 0.12 = 10.1839 -> 10.18
    # VAT inside: 200.99 x 0.19/1.19 = 32.0908 -> 32.09; 100.99 x 0.19/1.19 = 16.1245 -> 16.12
    # VAT on duty: 10.18 x 0.19 = 1.9342 -> 1.93
    # total: 301.98 + 10.18 + 1.93 = 314.09
    assert quote.regime["id"] == "import"
    t = amounts(quote)
    assert (t["items"], t["shipping"], t["duties"], t["taxes"], t["included_taxes"],
            t["total"]) == (D("301.98"), D("0.00"), D("10.18"), D("1.93"), D("48.21"),
                            D("314.09"))
    duty = {c.name: c for c in charges(quote, "duty")}
    pref = duty["EU-UK TCA preference (originating goods)"]
    assert pref.amount.amount == 0 and pref.rule == "zones/eu.toml#duty.rules[0]"
    assert duty["T-shirts, knitted (TARIC 6109)"].amount.amount == D("10.18")
    assert [ln.duty.amount for ln in quote.lines] == [D("0.00"), D("10.18")]


def test_de_vat_follows_the_quote_date(engine):
    """Germany's 16 % VAT of 2020-07-01..2020-12-31 (de.toml)."""
    quote = q(engine, "DE", [item("A", "50.00", hs_code="490199", category="books")],
              date="2020-08-01")
    # books at the reduced 5 % of that period; 50.00 -> 50.99; shipping 4.90 at the standard 16 %
    # 50.99 x 0.05/1.05 = 2.4281 -> 2.43 ; 4.90 x 0.16/1.16 = 0.6759 -> 0.68
    rates = sorted(c.rate for c in charges(quote, "tax"))
    assert rates == [D("0.05"), D("0.16")]
    assert quote.totals["included_taxes"].amount == D("3.11")


def test_intra_eu_sale_is_not_an_import(engine):
    """The shop ships from DE: a French order pays French VAT at the sale and no duty."""
    quote = q(engine, "FR", [item("TEE", "81.00", hs_code="610910", origin="CN")])
    # 81.00 -> ending .99 up -> 81.99; goods >= 80.00: free shipping (zones/eu.toml)
    # VAT 20 % inside: 81.99 / 1.2 = 68.325 exactly, x 0.2 = 13.665 exactly: a tie at the
    # cent, so the mode decides: half-up (eu.toml tax.rounding_mode) 13.67, where half-even
    # or half-down would give 13.66. Total 81.99: the VAT is inside the price.
    assert quote.regime["id"] == "domestic" and not charges(quote, "duty")
    t = amounts(quote)
    assert (t["total"], t["shipping"], t["included_taxes"], t["duties"]) == (
        D("81.99"), D("0.00"), D("13.67"), D("0.00"))


def test_uk_point_of_sale_vat_with_zero_rated_books(engine):
    """GB <= GBP 135: VAT charged at the sale, no duty; books zero-rated; prices include VAT."""
    quote = q(engine, "GB", [item("JACKET", "40.00"), item("BOOK", "10.00", category="books")])
    # prices: 40.00 x 0.85 x 1.02 = 34.68 -> 34.99 ; 10.00 x 0.85 x 1.02 = 8.67 -> 8.99
    # shipping: 1.0 kg -> 2 kg band 7.99, split by weight (0.5 kg default each):
    #   3.995 each -> 3.99 + 3.99 = 7.98, the spare penny to the first of the equal
    #   remainders -> 4.00 and 3.99
    # VAT (20 % inside): jacket (34.99 + 4.00) x 0.2/1.2 = 6.4983 -> 6.50
    #   book: goods zero-rated; its shipping share 3.99 x 0.2/1.2 = 0.665 -> 0.67 (half-up)
    # total: 43.98 + 7.99 = 51.97, of which VAT 6.50 + 0.67 = 7.17
    assert quote.regime["id"] == "low-value"
    assert [ln.unit_price.amount for ln in quote.lines] == [D("34.99"), D("8.99")]
    assert [ln.shipping.amount for ln in quote.lines] == [D("4.00"), D("3.99")]
    assert [ln.included_tax.amount for ln in quote.lines] == [D("6.50"), D("0.67")]
    t = amounts(quote)
    assert (t["total"], t["included_taxes"], t["duties"], t["taxes"]) == (
        D("51.97"), D("7.17"), D("0.00"), D("0.00"))


def test_us_state_sales_tax_and_duty_without_de_minimis(engine):
    """US-CA: 7.25 % state sales tax on goods; USD 800 de minimis suspended since 2025-08-29."""
    quote = q(engine, "US", [item("TEE", "50.00", qty=2, hs_code="610910",
                                  weight={"value": "200", "unit": "g"})], region="US-CA")
    # price: 50.00 x 1.10 x 1.02 = 56.10 -> 56.99; 2 units: 113.98
    # shipping: 0.4 kg -> 0.5 kg band 9.99 USD
    # duty (FOB, shipping excluded): 113.98 x 0.165 = 18.8067 -> 18.81
    # sales tax (goods only, order rounding): 113.98 x 0.0725 = 8.2636 -> 8.26
    # total: 113.98 + 9.99 + 18.81 + 8.26 = 151.04
    assert quote.regime["id"] == "entry"
    t = amounts(quote)
    assert (t["items"], t["shipping"], t["duties"], t["taxes"], t["total"]) == (
        D("113.98"), D("9.99"), D("18.81"), D("8.26"), D("151.04"))
    (tax,) = charges(quote, "tax")
    assert tax.name == "Sales tax (CA)" and tax.rate == D("0.0725")
    assert tax.base.amount == D("113.98")


def test_us_de_minimis_before_its_suspension(engine):
    quote = q(engine, "US", [item("TEE", "50.00", hs_code="610910")], region="US-NY",
              date="2025-08-28")
    # 56.99 USD <= 800.00 USD on 2025-08-28 -> no duty; NY 4 %: 56.99 x 0.04 = 2.2796 -> 2.28
    assert quote.regime["id"] == "de-minimis"
    assert (quote.totals["duties"].amount, quote.totals["taxes"].amount) == (D("0.00"),
                                                                           D("2.28"))


def test_us_needs_a_region(engine):
    with pytest.raises(RequestError) as e:
        q(engine, "US", [item()])
    assert e.value.field == "destination.region"


def test_canada_hst_ontario(engine):
    quote = q(engine, "CA", [item("BOOK", "30.00", hs_code="490199")], region="CA-ON")
    # price: 30.00 x 1.50 x 1.02 = 45.90 -> 45.99 CAD; shipping 0.5 kg band 12.99
    # ships from DE (shop): over the CAD 20 courier threshold -> import; books duty 0
    # HST 13 % on value for duty + duty (shipping not in the base): 45.99 x 0.13 = 5.9787 -> 5.98
    # total: 45.99 + 12.99 + 5.98 = 64.96
    assert quote.regime["id"] == "import"
    (hst,) = charges(quote, "tax")
    assert (hst.name, hst.amount.amount) == ("HST", D("5.98"))
    assert quote.totals["total"].amount == D("64.96")


def test_canada_gst_plus_pst_british_columbia(engine):
    quote = q(engine, "CA", [item("BOOK", "30.00", hs_code="490199")], region="CA-BC")
    # GST 5 %: 45.99 x 0.05 = 2.2995 -> 2.30 ; PST 7 %: 45.99 x 0.07 = 3.2193 -> 3.22
    # total: 45.99 + 12.99 + 2.30 + 3.22 = 64.50
    taxes = {c.name: c.amount.amount for c in charges(quote, "tax")}
    assert taxes == {"GST": D("2.30"), "PST": D("3.22")}
    assert quote.totals["total"].amount == D("64.50")


def test_canada_threshold_follows_the_place_of_shipment(engine):
    """CAD 40/150 apply to parcels shipped from the US or Mexico, whatever the goods' origin."""
    cart = [item("TEE", "30.00", hs_code="610910", origin="CN")]
    from_us = q(engine, "CA", cart, region="CA-ON", ship_from="US")
    # 45.99 CAD: over 40, up to 150 -> taxes only: HST 45.99 x 0.13 = 5.98, no duty
    assert from_us.regime["id"] == "cusma-tax-only"
    assert (from_us.totals["duties"].amount, from_us.totals["taxes"].amount) == (
        D("0.00"), D("5.98"))
    from_de = q(engine, "CA", cart, region="CA-ON")
    # from DE: duty 45.99 x 0.18 = 8.2782 -> 8.28; HST (45.99 + 8.28) x 0.13 = 7.0551 -> 7.06
    # total: 45.99 + 12.99 + 8.28 + 7.06 = 74.32
    assert from_de.regime["id"] == "import"
    assert amounts(from_de)["total"] == D("74.32")


def test_japan_small_value_exemption_zero_decimal_currency(engine):
    quote = q(engine, "JP", [item("SCARF", "40.00")])
    # price: 40.00 x 160 x 1.02 = 6528 -> 6530 JPY (step 10, up); shipping 0.5 kg: 1500 JPY
    # CIF value incl. shipping (net of the 10 % tax the prices would hold):
    #   6530/1.1 + 1500/1.1 = 7300 <= 10000 -> no duty, no consumption tax
    # total: 6530 + 1500 = 8030 JPY
    assert quote.regime["id"] == "small-value"
    assert amounts(quote)["total"] == D("8030")
    assert all(m.amount == m.amount.to_integral() for m in quote.totals.values())


def test_japan_import_tax_rounded_down_per_order(engine):
    quote = q(engine, "JP", [item("TEE", "100.00", hs_code="610910")])
    # price: 100.00 x 160 x 1.02 = 16320 JPY; shipping 1500 JPY (free only from 20000)
    # CIF: 16320/1.1 + 1500/1.1 = 16200 > 10000 -> import
    # duty: 16200 x 0.109 = 1765.8 -> 1766
    # tax inside prices: 16200 x 0.10 = 1620 ; on duty: 1766 x 0.10 = 176.6 -> 176 (down)
    # total: 16320 + 1500 + 1766 + 176 = 19762
    t = amounts(quote)
    assert (t["duties"], t["taxes"], t["included_taxes"], t["total"]) == (
        D("1766"), D("176"), D("1620"), D("19762"))


def test_switzerland_waives_vat_of_chf_5_or_less(engine):
    quote = q(engine, "CH", [item("MUG", "20.00")])
    # price: 20.00 x 0.95 x 1.02 = 19.38 -> 19.40 CHF (nearest 0.05); shipping 9.90
    # VAT 8.1 % inside: (19.40 + 9.90) x 0.081/1.081 = 2.1955 -> 2.20 <= 5.00 -> not collected
    # total: 19.40 + 9.90 = 29.30, no tax
    (vat,) = charges(quote, "tax")
    assert vat.amount.amount == 0 and "not collected" in vat.note
    assert amounts(quote)["total"] == D("29.30")
    assert amounts(quote)["included_taxes"] == D("0.00")


BH = """\
# A test market: three-decimal currency, DAP, tax-exclusive display, a fixed price list,
# a disbursement fee with a minimum.
id = "bh"
name = "Bahrain (test)"
countries = ["BH"]
currency = "BHD"
locales = ["ar_BH", "en"]
default_locale = "en"
price_display = "exclusive"
incoterm = "DAP"

[pricing]
prices = { "FIX-1" = "9.990 BHD" }

[tax]
base = ["goods", "shipping", "duty"]

[[tax.components]]
name = "VAT"
rate = "0.10"

[duty]
valuation = "CIF"
rate = "0.05"

[[fees]]
id = "disbursement"
name = "Disbursement fee"
rate = "0.02"
base = "duties_and_taxes"
minimum = "1.000 BHD"
incoterm = "DAP"
only_if_duty_or_tax = true

[shipping.standard]
name = "Standard"
days = [5, 8]
base = "3.500 BHD"
"""


@pytest.fixture(scope="module")
def bh_engine(tmp_path_factory):
    root = tmp_path_factory.mktemp("rules")
    (root / "markets").mkdir()
    (root / "shop.toml").write_text('name = "T"\nbase_currency = "EUR"\nship_from = "DE"\n')
    (root / "markets" / "bh.toml").write_text(BH)
    return Engine(load_rules(root), rates=EASY_RATES)


def test_three_decimal_currency_under_dap(bh_engine):
    quote = q(bh_engine, "BH", [item("A", "100.00")])
    # price: 100.00 x 0.41 = 41.000 BHD (no markup, no ending: half-up to 3 decimals)
    # duty (CIF): (41.000 + 3.500) x 0.05 = 2.225
    # VAT: (41.000 + 3.500 + 2.225) x 0.10 = 4.6725 -> 4.673
    # fee: (2.225 + 4.673) x 0.02 = 0.138 -> minimum 1.000
    # total: 41.000 + 3.500 + 2.225 + 4.673 + 1.000 = 52.398
    # DAP: duty, import VAT and the fee are paid on delivery: 7.898; at checkout 44.500
    assert amounts(quote) == {
        "items": D("41.000"), "shipping": D("3.500"), "duties": D("2.225"),
        "taxes": D("4.673"), "included_taxes": D("0.000"), "fees": D("1.000"),
        "total": D("52.398"), "due_at_checkout": D("44.500"), "due_on_delivery": D("7.898")}
    (fee,) = charges(quote, "fee")
    assert "minimum 1.000 BHD" in fee.note and fee.payable == "delivery"


def test_fixed_price_list(bh_engine):
    quote = q(bh_engine, "BH", [item("FIX-1", "100.00")])
    # the fixed local price replaces conversion: 9.990 BHD
    assert quote.lines[0].unit_price.amount == D("9.990")
    assert "fixed price list" in quote.lines[0].price_note


def test_restricted_goods_name_item_and_rule(engine):
    with pytest.raises(RestrictedItemError) as e:
        q(engine, "DE", [item("OK"), item("GUN", hs_code="930190")])
    assert "'GUN'" in e.value.message and "zones/eu.toml#restrictions[0]" in e.value.message
    assert e.value.field == "items[1]"


def test_unknown_market_and_method(engine):
    with pytest.raises(UnknownMarketError):
        q(engine, "AQ", [item()])
    with pytest.raises(UnknownMarketError) as e:
        q(engine, "JP", [item()], market="jpn")
    assert e.value.suggestion == "jp"
    with pytest.raises(UnknownShippingMethodError) as e:
        q(engine, "DE", [item()], shipping_method="expres")
    assert e.value.suggestion == "express"


@pytest.mark.parametrize(("patch", "field"), [
    ({"items": []}, "items"),
    ({"items": [item(qty=0)]}, "items[0].quantity"),
    ({"items": [item(qty=-1)]}, "items[0].quantity"),
    ({"items": [item(amount="NaN")]}, "items[0].price.amount"),
    ({"items": [item(amount="-5")]}, "items[0].price.amount"),
    ({"items": [{**item(), "price": {"amount": 9.99, "currency": "EUR"}}]},
     "items[0].price.amount"),
    ({"items": [item(currency="EURO")]}, "items[0].price.currency"),
    ({"items": [item(amount="19.999")]}, "items[0].price"),
    ({"items": [item(amount="100.5", currency="JPY")]}, "items[0].price"),
    ({"items": [item(amount="1e13")]}, "items[0].price.amount"),
    ({"items": [item(hs_code="61-09")]}, "items[0].hs_code"),
    ({"date": "2026-13-01"}, "date"),
    ({"destination": {"country": "DE", "region": "FR-75"}}, "destination.region"),
    ({"colour": "red"}, "colour"),
])
def test_bad_requests_name_the_field(engine, patch, field):
    request = {"destination": {"country": "DE"}, "items": [item()], **patch}
    with pytest.raises(RequestError) as e:
        engine.quote(request)
    assert e.value.field == field


def test_quote_is_reproducible_and_explained(engine):
    request = {"destination": {"country": "DE"}, "date": "2026-11-23",
               "items": [item("TS", "20.00", hs_code="610910")]}
    a, b = engine.quote(request), engine.quote(request)
    assert a == b and a.to_dict() == b.to_dict()
    d = a.to_dict()
    assert d["rules_version"] == engine.rules.version
    for c in d["charges"]:
        assert c["rule"] and "#" in c["rule"]
        assert c["amount"]["formatted"]


def test_stale_rates_are_flagged():
    from datetime import date

    from conftest import RULES

    from pricing import bundled_history

    # The bundled rates of 2026-10-30, 24 days before the quote day (limit 7 in shop.toml).
    engine = Engine.from_directory(RULES, rates=bundled_history().table_on(date(2026, 10, 30)))
    quote = engine.quote({"destination": {"country": "GB"}, "items": [item()]},
                         on=QUOTE_DAY)
    assert quote.fx["stale"] is True and quote.fx["as_of"] == "2026-10-30"
    assert any("exchange rates are from 2026-10-30" in w for w in quote.warnings)


def test_titles_come_from_the_catalog_in_the_quote_locale():
    from conftest import RULES

    engine = Engine.from_directory(RULES)  # finds locales/ beside rules/
    base = {"items": [item("TEE-ORG-WHT-M", "25.00")], "date": "2026-11-23"}
    de = engine.quote({**base, "destination": {"country": "DE"}}).to_dict()
    assert de["locale"] == "de_DE" and de["direction"] == "ltr"
    # the German catalog entry (locales/de/LC_MESSAGES/products.po)
    assert de["lines"][0]["title"] == engine.catalog.title("TEE-ORG-WHT-M", "de")[0]
    assert de["lines"][0]["title"] != engine.catalog.product("TEE-ORG-WHT-M").title
    given = engine.quote({**base, "destination": {"country": "DE"},
                          "items": [item("TEE-ORG-WHT-M", "25.00", title="Mine")]})
    assert given.lines[0].title == "Mine"
    ae = engine.quote({**base, "destination": {"country": "AE"}, "locale": "ar"}).to_dict()
    assert ae["locale"].startswith("ar") and ae["direction"] == "rtl"


def test_missing_rate_names_the_item_field(engine):
    with pytest.raises(MissingRateError) as e:
        q(engine, "DE", [item(), item("B", "100", currency="BTN")])
    assert e.value.field == "items[1].price.currency" and e.value.value == "BTN"


def test_rates_dated_after_the_quote_are_flagged(engine):
    # A EUR price in the UK converts at the EUR/GBP rate, of 2026-11-23 in the test table.
    quote = q(engine, "GB", [item()], date="2026-11-01")
    assert any("after the quote date" in w and "GBP" in w for w in quote.warnings)


def test_a_quote_that_converts_nothing_has_no_rate_warning(engine):
    # Germany in euros, EUR prices, rules in euros: no rate is used, so none can be stale or
    # early, whatever the quote date (issue 14: no stale warning when nothing is converted).
    for day in ("2026-11-01", "2027-06-01"):
        quote = q(engine, "DE", [item()], date=day)
        assert not any("exchange rates" in w for w in quote.warnings)
        assert quote.fx["stale"] is False


def test_shipping_limits_name_the_weight_plainly(engine):
    with pytest.raises(ShippingError) as e:
        q(engine, "DE", [item(weight={"value": "100000"})])
    assert "100000 kg" in e.value.message and "E+" not in e.value.message


def test_charge_labels_and_delivery_in_the_quote_language():
    from conftest import RULES

    from pricing.l10n.labels import load_labels

    engine = Engine.from_directory(RULES)
    labels = load_labels(RULES.parent / "locales")
    d = engine.quote({"destination": {"country": "DE"}, "items": [item()],
                      "date": "2026-11-23"}).to_dict()
    vat = next(c for c in d["charges"] if c["kind"] == "tax")
    # the German label of "VAT" from locales/de/LC_MESSAGES/labels.po, not a copied string
    assert vat["name"] == "VAT" and vat["label"] == labels.gettext("VAT", "de_DE")
    assert vat["label"] != "VAT"
    assert d["shipping_method"]["delivery"] == labels.delivered_in(3, 6, "de_DE")


def test_south_africa_import_vat_base_has_the_10_percent_uplift(engine):
    """SARS, VAT Act s13(2): import VAT on customs value + 10 % + duty (za.toml)."""
    quote = q(engine, "ZA", [item("BOOK", "10.00", hs_code="490199", category="books")])
    # price: 10.00 x 20 x 1.02 = 204.00 -> ending .99 up -> 204.99 ZAR; shipping 0.5 kg: 299.00
    # (ZA taxes goods and duty only: shipping carries no VAT here)
    # VAT inside the price: 204.99 x 0.15/1.15 = 26.7378 -> 26.74
    # uplift: customs value (FOB, net) 204.99/1.15 = 178.2522 x 0.10 = 17.8252;
    #   VAT on it 17.8252 x 0.15 = 2.6738 -> 2.67 on top (books carry no duty)
    # total: 204.99 + 299.00 + 2.67 = 506.66
    t = amounts(quote)
    assert (t["included_taxes"], t["taxes"], t["total"]) == (D("26.74"), D("2.67"),
                                                             D("506.66"))


def test_a_price_rise_never_moves_shipping_between_lines(engine):
    """Counterexample the monotone property found (IN, two free items): shipping split by
    value jumped wholly onto the book (0 % duty) once it cost anything, lowering the duty
    on the other line. Split by weight, the shares stay put."""
    def cart(book):
        return [item("BOOK", book, hs_code="490100"), item("BAG", "0.00")]

    before, after = q(engine, "IN", cart("0.00")), q(engine, "IN", cart("0.05"))
    assert [ln.shipping for ln in before.lines] == [ln.shipping for ln in after.lines]
    assert after.total >= before.total
