"""Rules that say what the law says: customs value parts, valuation factors, origin and region
tests, a regime's own duty rate, tax chains and taxes in their own base, import tax additions,
regional components.

Each worked example is computed by hand in its comments, from the public rule it cites. Small
markets are written here in the rule-file format (docs/rules.md) so each rule is seen alone;
the bundled India and Portugal files are quoted as they ship.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from pathlib import Path

import pytest
from conftest import EASY_RATES, QUOTE_DAY

from pricing import Engine, RateTable, RulesError, load_rules

DAY = QUOTE_DAY.isoformat()


def write_rules(root: Path, market: str, *, shop: str | None = None) -> Path:
    (root / "markets").mkdir(parents=True, exist_ok=True)
    (root / "shop.toml").write_text(shop or _SHOP, "utf-8")
    (root / "markets" / "m.toml").write_text(market, "utf-8")
    return root


_SHOP = """\
name = "Test shop"
base_currency = "EUR"
ship_from = "CN"
"""


def quote(engine: Engine, items: list[dict], **extra: object) -> dict:
    request = {"destination": {"country": extra.pop("country", "DE")}, "items": items,
               "date": DAY, **extra}
    if "region" in request:
        request["destination"]["region"] = request.pop("region")  # type: ignore[index]
    if "destination_postal" in request:
        request["destination"]["postal_code"] = request.pop("destination_postal")  # type: ignore[index]
    return engine.quote(request).to_dict()


def amount(d: dict) -> D:
    return D(d["amount"])


def charge(q: dict, name: str) -> dict:
    found = [c for c in q["charges"] if c["name"] == name]
    assert len(found) == 1, [c["name"] for c in q["charges"]]
    return found[0]


def parts(c: dict) -> dict[str, D]:
    return {p["part"]: amount(p["amount"]) for p in c["base_parts"]}


def item(sku: str, price: str, currency: str = "EUR", **extra: object) -> dict:
    return {"sku": sku, "quantity": 1, "price": {"amount": price, "currency": currency},
            **extra}


# -- customs value: freight and insurance as customs count them --------------------------------

# An EU-like import, tax-exclusive so that the import VAT base can be the customs value: Union
# Customs Code Art. 71(1)(e) puts transport and insurance to the Union border into the customs
# value; VAT Directive 2006/112/EC Art. 86 taxes the customs value plus duty.
_CIF = """\
id = "m"
name = "CIF market"
countries = ["DE"]
currency = "EUR"
locales = ["de_DE"]
default_locale = "de_DE"
price_display = "exclusive"
incoterm = "DDP"

[tax]
base = ["customs_value", "duty"]

[[tax.components]]
name = "VAT"
rate = "0.20"

[duty]
valuation = "CIF"
rate = "0.10"

[shipping.standard]
name = "Standard"
days = [3, 6]
base = "9.00 EUR"
free_over = "100.00 EUR"
customs = { freight = { amount = "10.00 EUR" }FREIGHT_EXTRA }
"""


def cif_engine(tmp_path: Path, insurance: str = "") -> Engine:
    text = _CIF.replace("FREIGHT_EXTRA", insurance)
    return Engine(load_rules(write_rules(tmp_path, text)), rates=EASY_RATES,
                  clock=lambda: QUOTE_DAY)


def test_free_shipping_still_has_freight_in_the_customs_value(tmp_path: Path) -> None:
    # Goods 200.00, shipping free (over 100.00), the carrier's freight 10.00:
    # customs value 200.00 + 10.00 = 210.00; duty 10 % = 21.00;
    # VAT 20 % of (210.00 + 21.00) = 46.20; total 200.00 + 0 + 21.00 + 46.20 = 267.20.
    q = quote(cif_engine(tmp_path), [item("A", "200.00")])
    duty = charge(q, "Duties")
    assert amount(duty["amount"]) == D("21.00")
    assert parts(duty) == {"goods": D("200.00"), "freight": D("10.00")}
    vat = charge(q, "VAT")
    assert amount(vat["base"]) == D("231.00")
    assert parts(vat) == {"customs_value": D("210.00"), "duty": D("21.00")}
    assert amount(q["totals"]["total"]) == D("267.20")


def test_declared_freight_and_insurance_replace_the_methods(tmp_path: Path) -> None:
    # Declared: freight 15.00, insurance 5.00. Customs value 200 + 15 + 5 = 220.00;
    # duty 22.00; VAT 20 % of 242.00 = 48.40.
    q = quote(cif_engine(tmp_path), [item("A", "200.00")],
              freight={"amount": "15.00", "currency": "EUR"},
              insurance={"amount": "5.00", "currency": "EUR"})
    duty = charge(q, "Duties")
    assert parts(duty) == {"goods": D("200.00"), "freight": D("15.00"),
                           "insurance": D("5.00")}
    assert amount(duty["amount"]) == D("22.00")
    assert amount(charge(q, "VAT")["amount"]) == D("48.40")


def test_insurance_as_a_share_of_the_goods(tmp_path: Path) -> None:
    # Insurance 1 % of the goods: 2.00 on 200.00. Customs value 212.00, duty 21.20,
    # VAT 20 % of 233.20 = 46.64.
    engine = cif_engine(tmp_path, ', insurance = { of_goods = "0.01" }')
    q = quote(engine, [item("A", "200.00")])
    assert parts(charge(q, "Duties")) == {"goods": D("200.00"), "freight": D("10.00"),
                                          "insurance": D("2.00")}
    assert amount(charge(q, "VAT")["amount"]) == D("46.64")


def test_freight_is_split_by_weight_and_insurance_by_value(tmp_path: Path) -> None:
    # Two lines: 150.00 at 1 kg and 50.00 at 3 kg. Freight 10.00 by weight: 2.50 / 7.50;
    # insurance 1 % of each line's value: 1.50 / 0.50. Customs values 154.00 / 58.00, duty
    # 10 %: 15.40 / 5.80 (one rule, rounded together: 21.20, split by exact amounts).
    engine = cif_engine(tmp_path, ', insurance = { of_goods = "0.01" }')
    q = quote(engine, [item("A", "150.00", weight={"value": "1", "unit": "kg"}),
                       item("B", "50.00", weight={"value": "3", "unit": "kg"})])
    assert [amount(ln["duty"]) for ln in q["lines"]] == [D("15.40"), D("5.80")]


# -- valuation factor -------------------------------------------------------------------------

# Japan Customs: goods imported for personal use are valued at 60 % of the overseas retail price
# (Customs Tariff Act Enforcement Order Art. 1-4-2), and a total customs value of JPY 10,000 or
# less is free of duty and consumption tax. Written here for a tax-exclusive JPY market
# (the bundled Japan file shows tax-inclusive prices, which a factor below 1 cannot be
# combined with: the prices would hold more tax than the import owes).
_JP = """\
id = "m"
name = "Personal-use imports"
countries = ["JP"]
currency = "JPY"
locales = ["ja_JP"]
default_locale = "ja_JP"
price_display = "exclusive"
incoterm = "DAP"

[tax]
base = ["customs_value", "duty"]

[[tax.components]]
name = "Consumption tax"
rate = "0.10"

[duty]
valuation = "CIF"
rate = "0.10"
valuation_factor = "0.6"

[[regimes]]
id = "small-value"
name = "Small value: no duty or consumption tax"
max_value = "10000 JPY"
include_shipping = true
tax = "none"
duty = "none"

[shipping.standard]
name = "Standard"
days = [4, 8]
base = "0 JPY"
"""

_JPY_SHOP = """\
name = "Test shop"
base_currency = "JPY"
ship_from = "US"
"""


@pytest.fixture
def jp(tmp_path: Path) -> Engine:
    rates = RateTable.from_mapping({"USD": "0.0067"}, base="JPY", as_of=QUOTE_DAY,
                                   source="test rates")
    return Engine(load_rules(write_rules(tmp_path, _JP, shop=_JPY_SHOP)), rates=rates,
                  clock=lambda: QUOTE_DAY)


def test_valuation_factor_brings_a_dearer_item_under_the_threshold(jp: Engine) -> None:
    # Retail 15,000 JPY: customs value 0.6 x 15,000 = 9,000 <= 10,000: no duty, no tax.
    q = quote(jp, [item("A", "15000", "JPY")], country="JP")
    assert q["regime"]["id"] == "small-value"
    assert "9000 JPY <= 10000 JPY" in q["regime"]["tests"][0]["test"]
    assert amount(q["totals"]["total"]) == D("15000")


def test_valuation_factor_sets_the_duty_and_tax_base(jp: Engine) -> None:
    # Retail 20,000 JPY: customs value 12,000 > 10,000. Duty 10 % = 1,200;
    # consumption tax 10 % of (12,000 + 1,200) = 1,320. Total 20,000 + 1,200 + 1,320 = 22,520.
    q = quote(jp, [item("A", "20000", "JPY")], country="JP")
    assert q["regime"]["id"] == "standard"
    duty = charge(q, "Duties")
    assert amount(duty["base"]) == D("12000")
    assert parts(duty) == {"goods": D("12000")}
    assert amount(charge(q, "Consumption tax")["amount"]) == D("1320")
    assert amount(q["totals"]["total"]) == D("22520")


# -- a regime's own duty rate, a deduction, and a tax in its own base ----------------------------

# Brazil's Remessa Conforme (Receita Federal; Law 14,902/2024 and Portaria MF 1,086/2024):
# import tax 20 % up to USD 50; from USD 50.01 to USD 3,000, 60 % less USD 20. ICMS is charged
# "por dentro" (Lei Complementar 87/1996 art. 13 par. 1): it is part of its own base, so
# base = (customs value + import tax) / (1 - rate). The Receita Federal's example: a USD 100
# purchase pays USD 40 import tax (60 % of 100 less 20) and, at 17 %, ICMS of
# (100 + 40) / 0.83 x 0.17 = USD 28.67.
_BR = """\
id = "m"
name = "Remessa Conforme"
countries = ["BR"]
currency = "BRL"
locales = ["pt_BR"]
default_locale = "pt_BR"
price_display = "exclusive"
incoterm = "DAP"

[pricing]
fx_markup = "0"

[tax]
base = ["customs_value", "duty"]

[[tax.components]]
name = "ICMS"
rate = "0.17"
includes_itself = true

[duty]
valuation = "CIF"

[[regimes]]
id = "up-to-50"
name = "Remessa Conforme up to USD 50"
max_value = "50.00 USD"
include_shipping = true
tax = "import"
duty = "rate"
duty_rate = "0.20"

[[regimes]]
id = "up-to-3000"
name = "Remessa Conforme up to USD 3,000"
max_value = "3000.00 USD"
include_shipping = true
tax = "import"
duty = "rate"
duty_rate = "0.60"
duty_deduction = "20.00 USD"

[shipping.standard]
name = "Standard"
days = [10, 25]
base = "100.00 BRL"
"""


@pytest.fixture
def br(tmp_path: Path) -> Engine:
    # 1 USD = 5.00 BRL, so each USD figure of the example is 5 x in BRL.
    rates = RateTable.from_mapping({"BRL": "5.00"}, base="USD", as_of=QUOTE_DAY,
                                   source="test rates")
    shop = _SHOP.replace('"EUR"', '"USD"')
    return Engine(load_rules(write_rules(tmp_path, _BR, shop=shop)), rates=rates,
                  clock=lambda: QUOTE_DAY)


def test_remessa_conforme_over_usd_50(br: Engine) -> None:
    # Goods USD 80 = 400.00 BRL, freight 100.00 BRL (USD 20): customs value 500.00 BRL
    # (USD 100). Import tax 60 % x 500.00 - 100.00 (USD 20) = 200.00 (USD 40).
    # ICMS base (500.00 + 200.00) / 0.83 = 843.373...; ICMS 17 % = 143.373... -> 143.37
    # (USD 28.67 x 5). Total 400 + 100 + 200 + 143.37 = 843.37 BRL.
    q = quote(br, [item("A", "80.00", "USD")], country="BR")
    assert q["regime"]["id"] == "up-to-3000"
    duty = charge(q, "Duties")
    assert amount(duty["amount"]) == D("200.00")
    assert "less 20.00 USD (100.00 BRL)" in duty["note"]
    icms = charge(q, "ICMS")
    assert amount(icms["amount"]) == D("143.37")
    assert amount(icms["base"]) == D("843.37")
    assert parts(icms) == {"customs_value": D("500.00"), "duty": D("200.00"),
                           "ICMS (in its own base)": D("143.37")}
    assert amount(q["totals"]["total"]) == D("843.37")
    assert amount(q["totals"]["due_on_delivery"]) == D("343.37")


def test_remessa_conforme_at_usd_50(br: Engine) -> None:
    # Goods USD 30 = 150.00 BRL + freight 100.00: customs value 250.00 BRL = USD 50.00,
    # "up to" USD 50: import tax 20 % = 50.00; ICMS (250 + 50) / 0.83 x 0.17 = 61.445... ->
    # 61.45. Total 150 + 100 + 50 + 61.45 = 361.45.
    q = quote(br, [item("A", "30.00", "USD")], country="BR")
    assert q["regime"]["id"] == "up-to-50"
    assert amount(charge(q, "Duties")["amount"]) == D("50.00")
    assert amount(charge(q, "ICMS")["amount"]) == D("61.45")
    assert amount(q["totals"]["total"]) == D("361.45")


def test_a_deduction_never_makes_duty_negative(br: Engine, tmp_path: Path) -> None:
    # One cent over USD 50 (50.01 x 5 = 250.05 BRL): 60 % x 250.05 = 150.03 less 100.00
    # = 50.03, positive; with a deduction larger than the duty it would stop at 0.
    q = quote(br, [item("A", "30.01", "USD")], country="BR")
    assert q["regime"]["id"] == "up-to-3000"
    assert amount(charge(q, "Duties")["amount"]) == D("50.03")


# -- a tax chain: India -----------------------------------------------------------------------

def test_india_igst_on_value_duty_and_social_welfare_surcharge(engine: Engine) -> None:
    # CBIC: IGST on imports is charged on the assessable value + basic customs duty + Social
    # Welfare Surcharge (10 % of the BCD, Finance Act 2018 s110).
    # EUR 100 x 92 x 1.03 = 9,476 -> ending 9 (step 10, up) = 9,479 INR; shipping 1,499 (0.5 kg
    # band); CIF 10,978.00. BCD 10 % (the file's default) = 1,097.80; SWS 10 % of it = 109.78;
    # IGST 18 % of (10,978.00 + 1,097.80 + 109.78 = 12,185.58) = 2,193.4044 -> 2,193.40.
    # Disbursement fee 2 % of duties and taxes (3,400.98) = 68.02, minimum 100.00.
    # Total 9,479 + 1,499 + 1,097.80 + 109.78 + 2,193.40 + 100 = 14,478.98 INR.
    q = quote(engine, [item("A", "100.00", hs_code="640399")], country="IN")
    sws = charge(q, "Social Welfare Surcharge")
    assert amount(sws["amount"]) == D("109.78")
    assert parts(sws) == {"duty": D("1097.80")}
    igst = charge(q, "IGST")
    assert amount(igst["amount"]) == D("2193.40")
    assert parts(igst) == {"goods": D("9479.00"), "shipping": D("1499.00"),
                           "duty": D("1097.80"), "Social Welfare Surcharge": D("109.78")}
    assert amount(q["totals"]["total"]) == D("14478.98")


# -- regional components that replace the market's ---------------------------------------------

@pytest.mark.parametrize(("region", "day", "name", "rate"), [
    (None, QUOTE_DAY, "VAT", "0.23"),                         # mainland (CIVA art. 18)
    ("PT-11", QUOTE_DAY, "VAT", "0.23"),                      # Lisbon: mainland rate
    ("PT-30", QUOTE_DAY, "VAT (Madeira)", "0.22"),            # Madeira 22 %
    ("PT-20", QUOTE_DAY, "VAT (Azores)", "0.16"),             # Azores 16 % from 2021-07-01
    ("PT-20", date(2021, 6, 30), "VAT (Azores)", "0.18"),     # 18 % until then
])
def test_portugal_regional_vat(engine: Engine, region: str | None, day: date, name: str,
                               rate: str) -> None:
    request = {"destination": {"country": "PT", **({"region": region} if region else {})},
               "items": [item("A", "50.00")], "date": day.isoformat()}
    q = engine.quote(request).to_dict()
    vat = [c for c in q["charges"] if c["kind"] == "tax"]
    assert {c["name"] for c in vat} == {name}
    assert {c["rate"] for c in vat} == {rate}


def test_madeira_vat_inside_the_price(engine: Engine) -> None:
    # EUR 50.00 -> ending .99 = 50.99, shipping 4.90 (EU zone, 0.5 kg), both with Madeira's
    # 22 % inside: per line (50.99 + 4.90) x 0.22 / 1.22 = 10.0785... -> 10.08.
    q = quote(engine, [item("A", "50.00")], country="PT", region="PT-30")
    assert amount(q["totals"]["included_taxes"]) == D("10.08")


# -- origin and region tests of a regime --------------------------------------------------------

_ORIGIN = """\
id = "m"
name = "Origin tests"
countries = ["MX"]
currency = "EUR"
locales = ["es_MX"]
default_locale = "es_MX"
price_display = "exclusive"
incoterm = "DDP"

[[tax.components]]
name = "IVA"
rate = "0.16"

[duty]
rate = "0.20"

[[regimes]]
id = "preferential"
name = "Originating goods from a partner: no duty"
ship_from = ["US", "CA"]
origin_in = ["US", "CA", "MX"]
tax = "import"
duty = "none"

[[regimes]]
id = "no-cn"
name = "Anything but one origin: reduced handling"
origin_not_in = ["CN"]
regions = ["MX-BCN"]
tax = "import"
duty = "charged"

[shipping.standard]
name = "Standard"
days = [3, 6]
base = "0.00 EUR"
"""


@pytest.fixture
def origin_engine(tmp_path: Path) -> Engine:
    return Engine(load_rules(write_rules(tmp_path, _ORIGIN)), rates=EASY_RATES,
                  clock=lambda: QUOTE_DAY)


def test_origin_in_needs_every_item_of_a_listed_origin(origin_engine: Engine) -> None:
    both = [item("A", "10.00", origin="US"), item("B", "10.00", origin="MX")]
    q = quote(origin_engine, both, country="MX", ship_from="US")
    assert q["regime"]["id"] == "preferential"
    assert q["regime"]["tests"][0]["test"] == "all goods of US/CA/MX origin; no threshold"
    mixed = [item("A", "10.00", origin="US"), item("B", "10.00", origin="CN")]
    q = quote(origin_engine, mixed, country="MX", ship_from="US")
    assert q["regime"]["tests"][0] == {
        "regime": "preferential", "passed": False,
        "test": "goods of CN origin, not all of US/CA/MX origin"}
    unknown = [item("A", "10.00")]  # no origin given: cannot claim a preference
    q = quote(origin_engine, unknown, country="MX", ship_from="US")
    assert q["regime"]["tests"][0]["test"] == "goods of unknown origin, not all of US/CA/MX origin"


def test_origin_not_in_and_regions(origin_engine: Engine) -> None:
    cart = [item("A", "10.00", origin="VN")]
    q = quote(origin_engine, cart, country="MX", region="MX-BCN")
    assert q["regime"]["id"] == "no-cn"
    assert q["regime"]["tests"][-1]["test"] == (
        "destination region MX-BCN; no goods of CN origin; no threshold")
    q = quote(origin_engine, cart, country="MX", region="MX-JAL")
    assert q["regime"]["id"] == "standard"
    assert {"regime": "no-cn", "passed": False,
            "test": "destination region MX-JAL is not MX-BCN"} in q["regime"]["tests"]
    q = quote(origin_engine, [item("A", "10.00", origin="CN")], country="MX",
              region="MX-BCN")
    assert q["regime"]["id"] == "standard"


# -- import tax additions ----------------------------------------------------------------------

def test_import_additions_enter_the_tax_base_of_imports_only(tmp_path: Path) -> None:
    # VAT Directive Art. 86(1)(b): costs up to the first place of destination enter the import
    # VAT base. Goods 200.00, freight 10.00, duty 21.00 as above, plus 5.00 onward transport:
    # VAT 20 % of (210.00 + 21.00 + 5.00) = 47.20.
    text = _CIF.replace("FREIGHT_EXTRA", "").replace(
        'base = ["customs_value", "duty"]',
        'base = ["customs_value", "duty"]\n'
        'import_additions = [{ name = "transport to the first place of destination", '
        'amount = "5.00 EUR" }]')
    engine = Engine(load_rules(write_rules(tmp_path, text)), rates=EASY_RATES,
                    clock=lambda: QUOTE_DAY)
    q = quote(engine, [item("A", "200.00")])
    vat = charge(q, "VAT")
    assert amount(vat["amount"]) == D("47.20")
    assert parts(vat)["transport to the first place of destination"] == D("5.00")


# -- what the rules refuse at load --------------------------------------------------------------

def _problems(tmp_path: Path, text: str) -> str:
    with pytest.raises(RulesError) as err:
        load_rules(write_rules(tmp_path, text))
    return str(err.value.problems)


@pytest.mark.parametrize(("old", "new", "says"), [
    ('duty = "none"', 'duty = "flat"\nflat_duty = "3.00 EUR"', "flat_duty is now "
                                                                 "per_category_duty"),
    ('duty = "none"', 'duty = "flat"', 'duty = "flat" is now duty = "per_category"'),
    ('duty = "none"', 'duty = "rate"', 'duty = "rate" needs duty_rate'),
    ('origin_in = ["US", "CA", "MX"]', 'origin_in = ["US"]\norigin_not_in = ["US"]',
     "origin_in and origin_not_in both list ['US']"),
    ('origin_in = ["US", "CA", "MX"]', 'origin_in = ["XX"]', "XX"),
])
def test_regime_mistakes_are_refused(tmp_path: Path, old: str, new: str, says: str) -> None:
    assert says in _problems(tmp_path, _ORIGIN.replace(old, new, 1))


@pytest.mark.parametrize(("extra", "says"), [
    ('[[tax.components]]\nname = "A"\nrate = "0.1"\nbase = ["B"]\n'
     '[[tax.components]]\nname = "B"\nrate = "0.1"\nbase = ["A"]\n',
     "loop through their bases: A -> B -> A"),
    ('[[tax.components]]\nname = "A"\nrate = "0.1"\nbase = ["A"]\n', "names itself"),
    ('[[tax.components]]\nname = "A"\nrate = "0.1"\nbase = ["IV"]\n', "did you mean 'IVA'"),
    ('[[tax.components]]\nname = "A"\nrate = "0.1"\nregions = ["MX-BCN"]\nreplaces = "X"\n',
     "replaces 'X', which is not a component"),
    ('[[tax.components]]\nname = "A"\nrate = "0.1"\nreplaces = "IVA"\n',
     "replaces needs regions"),
])
def test_tax_chain_mistakes_are_refused(tmp_path: Path, extra: str, says: str) -> None:
    text = _ORIGIN.replace("[duty]", extra + "\n[duty]")
    assert says in _problems(tmp_path, text)


@pytest.mark.parametrize(("change", "says"), [
    (('[[tax.components]]\nname = "IVA"', '[[tax.components]]\nname = "IVA"\n'
      'includes_itself = true'), "includes_itself needs"),
    (("[[tax.components]]", '[tax]\nbase = ["customs_value"]\n\n[[tax.components]]'),
     'tax.base "customs_value" needs'),
    (('[duty]\nrate = "0.20"', '[duty]\nrate = "0.20"\nvaluation_factor = "0.6"'),
     "valuation_factor below 1 needs"),
])
def test_what_inclusive_prices_cannot_hold_is_refused(tmp_path: Path,
                                                      change: tuple[str, str],
                                                      says: str) -> None:
    text = _ORIGIN.replace('price_display = "exclusive"', 'price_display = "inclusive"')
    assert says in _problems(tmp_path, text.replace(*change, 1))


# -- shipping by area, markets without shipping, delivery dates ---------------------------------

def test_alaska_and_hawaii_ship_at_their_own_prices_and_times(engine: Engine) -> None:
    # rules/markets/us.toml: the standard method's area for US-AK and US-HI (sample prices):
    # 0.5 kg -> 19.99 USD instead of 9.99, 7-14 days instead of 5-9.
    cart = [item("A", "20.00", "USD")]
    mainland = quote(engine, cart, country="US", region="US-CA")
    alaska = quote(engine, cart, country="US", region="US-AK")
    assert amount(mainland["totals"]["shipping"]) == D("9.99")
    assert amount(alaska["totals"]["shipping"]) == D("19.99")
    assert alaska["shipping_method"]["days"] == [7, 14]
    assert alaska["shipping_method"]["rule"] == "markets/us.toml#shipping.standard.areas[0]"


def test_delivery_dates_skip_weekends_and_the_destinations_holidays(engine: Engine) -> None:
    # Ordered Monday 2026-11-23 in California, 5-9 business days. Thanksgiving (Thu 26 Nov)
    # is a federal holiday and the day after (Fri 27) a California state holiday (Cal. Gov.
    # Code 6700), so: Tue 24 (1), Wed 25 (2), Mon 30 (3), Tue 1 Dec (4), Wed 2 (5); then
    # Thu 3 (6), Fri 4 (7), Mon 7 (8), Tue 8 (9).
    q = quote(engine, [item("A", "20.00", "USD")], country="US", region="US-CA")
    dates = q["shipping_method"]["delivery_dates"]
    assert (dates["earliest"], dates["latest"]) == ("2026-12-02", "2026-12-08")
    # New York keeps no day-after-Thanksgiving holiday: Fri 27 counts, so the window starts a
    # day earlier: 24 (1), 25 (2), 27 (3), 30 (4), 1 Dec (5).
    ny = quote(engine, [item("A", "20.00", "USD")], country="US", region="US-NY")
    assert ny["shipping_method"]["delivery_dates"]["earliest"] == "2026-12-01"


_NO_SHIPPING = """\
id = "m"
name = "Duty and tax only"
countries = ["DE"]
currency = "EUR"
locales = ["de_DE"]
default_locale = "de_DE"
price_display = "exclusive"
incoterm = "DDP"

[[tax.components]]
name = "VAT"
rate = "0.19"

[duty]
rate = "0.10"
"""


def test_a_market_without_shipping_quotes_duty_and_tax_only(tmp_path: Path) -> None:
    # EUR 100.00, no shipping: duty 10 % = 10.00; VAT 19 % of (100.00 + 10.00) = 20.90;
    # total 130.90. No shipping method, no delivery estimate.
    engine = Engine(load_rules(write_rules(tmp_path, _NO_SHIPPING)), rates=EASY_RATES,
                    clock=lambda: QUOTE_DAY)
    q = quote(engine, [item("A", "100.00")])
    assert q["shipping_method"] is None
    assert [c["kind"] for c in q["charges"]] == ["duty", "tax"]
    assert amount(q["totals"]["total"]) == D("130.90")
    with pytest.raises(Exception, match="quotes duty and tax only"):
        quote(engine, [item("A", "100.00")], shipping_method="standard")


_AREAS = _NO_SHIPPING + """
[shipping.standard]
name = "Standard"
days = [2, 4]
base = "5.00 EUR"
exclude_regions = ["DE-HH"]
areas = [{ postcodes = ["18565", "25"], base = "12.00 EUR", days = [3, 6] }]

[shipping.city]
name = "City courier"
days = [0, 1]
base = "9.00 EUR"
regions = ["DE-HH"]
"""


def test_postcode_areas_and_methods_by_region(tmp_path: Path) -> None:
    engine = Engine(load_rules(write_rules(tmp_path, _AREAS)), rates=EASY_RATES,
                    clock=lambda: QUOTE_DAY)
    cart = [item("A", "100.00")]
    berlin = quote(engine, cart, region="DE-BE")
    assert amount(berlin["totals"]["shipping"]) == D("5.00")
    # Hiddensee (18565) and the North Frisian islands (25...) at the island price:
    island = quote(engine, cart, region="DE-MV", destination_postal="18565")
    assert amount(island["totals"]["shipping"]) == D("12.00")
    assert island["shipping_method"]["days"] == [3, 6]
    # Hamburg: the standard method does not ship there, the city courier does.
    hamburg = quote(engine, cart, region="DE-HH")
    assert hamburg["shipping_method"]["id"] == "city"
    with pytest.raises(Exception, match="does not ship to DE-HH"):
        quote(engine, cart, region="DE-HH", shipping_method="standard")


# -- the bundled Brazil file: RTS, ICMS por dentro, the 20 % states -----------------------------

@pytest.mark.parametrize(("region", "icms_name", "icms", "total"), [
    # ICMS 17 % (Convenio ICMS 81/2023): (399.80 + 239.88) / 0.83 = 770.698...; x 0.17 =
    # 131.018... -> 131.02. Total 309.90 + 89.90 + 239.88 + 131.02 + 15.00 = 785.70.
    (None, "ICMS", "131.02", "785.70"),
    ("BR-SP", "ICMS", "131.02", "785.70"),  # Sao Paulo stays at 17 %
    # Bahia, 20 % from 2025-04-01: 639.68 / 0.80 = 799.60; x 0.20 = 159.92.
    # Total 309.90 + 89.90 + 239.88 + 159.92 + 15.00 = 814.60.
    ("BR-BA", "ICMS (20 % states)", "159.92", "814.60"),
])
def test_brazil_rts_with_icms_in_its_own_base(engine: Engine, region: str | None,
                                              icms_name: str, icms: str, total: str) -> None:
    # EUR 50 x 6.00 x 1.03 = 309.00 -> ending .90 = 309.90 BRL; shipping 89.90 (0.5 kg band);
    # customs value (CIF) 399.80 BRL, under USD 3,000: RTS, import tax 60 % = 239.88
    # (Decree-Law 1,804/1980). Disbursement fee 2 % of duty and tax, minimum 15.00 BRL.
    extra = {"region": region} if region else {}
    q = quote(engine, [item("A", "50.00")], country="BR", **extra)
    assert q["regime"]["id"] == "rts"
    assert amount(charge(q, "Duties")["amount"]) == D("239.88")
    assert amount(charge(q, icms_name)["amount"]) == D(icms)
    assert amount(q["totals"]["total"]) == D(total)
    assert amount(q["totals"]["due_on_delivery"]) == D(total) - D("309.90") - D("89.90")
