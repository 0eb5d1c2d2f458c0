"""The markets added for issue 16 (Europe outside the EU, the Gulf, Israel, Africa): they load,
serve their countries, state dated facts with their public sources, and quote as worked by hand.

Each fact row names the public source the market file cites (checked 2026-11-29). Worked examples
use the round rates below (units per 1 EUR), price items in the market currency on the market's
price-ending lattice (so no conversion or ending moves them), and ship from the shop's country
(DE) unless they say otherwise. Arithmetic: inclusive prices hold VAT, so the customs value (CIF)
is (price + shipping) / (1 + VAT); duty = CIF x rate; VAT inside = (price + shipping) x VAT /
(1 + VAT); VAT on duty is added on top; each rounded half-up to the currency's minor unit.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from typing import Any

import pytest
from conftest import RULES
from market_rates import ROUND_RATES

from pricing import Engine, RateTable, load_rules
from pricing.codes import normalize_locale
from pricing.markets.ruleset import RuleSet
from pricing.money import Money

DAY = date(2026, 11, 29)
RATES = RateTable.from_mapping(
    {**ROUND_RATES, "USD": "1.10", "ISK": "150", "CHF": "0.95", "TRY": "50.00", "ILS": "4.00",
     "BHD": "0.41", "OMR": "0.42", "JOD": "0.78"},
    base="EUR", as_of=DAY, source="round test rates")

#: Market id -> country, currency and default locale, as the assignment lists them.
NEW = {
    "is": ("IS", "ISK", "is_IS"), "li": ("LI", "CHF", "de_LI"), "tr": ("TR", "TRY", "tr_TR"),
    "ua": ("UA", "UAH", "uk_UA"), "rs": ("RS", "RSD", "sr_RS"), "ba": ("BA", "BAM", "bs_BA"),
    "me": ("ME", "EUR", "sr_Latn_ME"), "mk": ("MK", "MKD", "mk_MK"),
    "al": ("AL", "ALL", "sq_AL"), "md": ("MD", "MDL", "ro_MD"), "ge": ("GE", "GEL", "ka_GE"),
    "am": ("AM", "AMD", "hy_AM"), "az": ("AZ", "AZN", "az_AZ"), "kz": ("KZ", "KZT", "kk_KZ"),
    "ad": ("AD", "EUR", "ca_AD"), "qa": ("QA", "QAR", "ar_QA"), "kw": ("KW", "KWD", "ar_KW"),
    "bh": ("BH", "BHD", "ar_BH"), "om": ("OM", "OMR", "ar_OM"), "jo": ("JO", "JOD", "ar_JO"),
    "il": ("IL", "ILS", "he_IL"), "ng": ("NG", "NGN", "en_NG"), "ke": ("KE", "KES", "en_KE"),
    "eg": ("EG", "EGP", "ar_EG"), "ma": ("MA", "MAD", "ar_MA"), "gh": ("GH", "GHS", "en_GH"),
    "tn": ("TN", "TND", "ar_TN"), "tz": ("TZ", "TZS", "sw_TZ"), "ug": ("UG", "UGX", "en_UG"),
    "sn": ("SN", "XOF", "fr_SN"), "ci": ("CI", "XOF", "fr_CI"), "mu": ("MU", "MUR", "en_MU"),
}


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules(RULES)


@pytest.fixture(scope="module")
def engine(rules: RuleSet) -> Engine:
    return Engine(rules, rates=RATES, clock=lambda: DAY)


# -- (a) every new market loads and serves its country ----------------------------------------

@pytest.mark.parametrize("market_id", sorted(NEW))
def test_market_loads_and_serves_its_country(rules: RuleSet, market_id: str) -> None:
    country, currency, locale = NEW[market_id]
    market = rules.market_for(country)
    assert market.id == market_id
    assert market.currency == currency  # ISO 4217 currency of the country (ISO 4217 list)
    # CLDR spells some in full (sr_RS is sr_Cyrl_RS): compare the normalized tags.
    assert market.spec.default_locale == normalize_locale(locale)
    assert market.spec.sources and all("(checked 2026-11-29)" in s for s in market.spec.sources)
    assert market.spec.payment_methods and market.spec.shipping


def test_liechtenstein_is_its_own_market_in_the_swiss_customs_territory(rules: RuleSet) -> None:
    # Customs treaty CH-LI of 1923 (BAZG): one customs territory, so CH <-> LI is no import.
    assert rules.market_for("CH").id == "ch" and rules.market_for("LI").id == "li"
    assert set(rules.market("li").spec.customs_territory) == {"CH", "LI"}
    assert set(rules.market("ch").spec.customs_territory) == {"CH", "LI"}


# -- (b) facts with their public sources --------------------------------------------------------

STANDARD_RATES: list[tuple[str, date, str | None]] = [
    ("is", date(2014, 12, 31), "0.255"),  # Skatturinn: 25.5 % until 2014-12-31
    ("is", date(2015, 1, 1), "0.24"),  # Skatturinn: 24 % from 2015-01-01
    ("li", date(2023, 12, 31), "0.077"),  # Steuerverwaltung LI / ESTV: 7.7 % until 2023
    ("li", date(2024, 1, 1), "0.081"),  # Steuerverwaltung LI / ESTV: 8.1 % from 2024-01-01
    ("tr", date(2023, 7, 9), "0.18"),  # Official Gazette 2023-07-07 (Decision 7346): 18 % before
    ("tr", date(2023, 7, 10), "0.20"),  # Decision 7346: KDV 20 % from 2023-07-10
    ("ua", DAY, "0.20"),  # Tax Code of Ukraine art. 193
    ("rs", DAY, "0.20"),  # Law on VAT of Serbia art. 23 (Poreska uprava)
    ("ba", DAY, "0.17"),  # UIO: single VAT rate 17 % since 2006-01-01
    ("me", date(2017, 12, 31), "0.19"),  # Poreska uprava CG: 19 % until 2017
    ("me", date(2018, 1, 1), "0.21"),  # Poreska uprava CG: 21 % from 2018-01-01
    ("mk", DAY, "0.18"),  # UJP: Law on VAT, 18 %
    ("al", DAY, "0.20"),  # Law 92/2014 on VAT (Albania)
    ("md", DAY, "0.20"),  # Fiscal Code of Moldova art. 96
    ("ge", DAY, "0.18"),  # Tax Code of Georgia (Revenue Service)
    ("am", DAY, "0.20"),  # Tax Code of Armenia art. 63
    ("az", DAY, "0.18"),  # Tax Code of Azerbaijan art. 175
    ("kz", date(2025, 12, 31), "0.12"),  # Kazakhstan Tax Code 2008: 12 % until 2025
    ("kz", date(2026, 1, 1), "0.16"),  # Law 214-VIII (new Tax Code): 16 % from 2026-01-01
    ("ad", DAY, "0.045"),  # Llei 11/2012 de l'IGI: general rate 4.5 %
    ("qa", DAY, None),  # General Tax Authority of Qatar: no VAT in force
    ("kw", DAY, None),  # Ministry of Finance of Kuwait: no VAT in force
    ("bh", date(2021, 12, 31), "0.05"),  # NBR: 5 % from 2019-01-01 to 2021-12-31
    ("bh", date(2022, 1, 1), "0.10"),  # NBR: 10 % from 2022-01-01
    ("om", date(2021, 4, 16), "0.05"),  # Oman Tax Authority: 5 % from 2021-04-16
    ("jo", DAY, "0.16"),  # Income and Sales Tax Department: general sales tax 16 %
    ("il", date(2024, 12, 31), "0.17"),  # Israel Tax Authority: 17 % until 2024-12-31
    ("il", date(2025, 1, 1), "0.18"),  # Israel Tax Authority: 18 % from 2025-01-01
    ("ng", date(2020, 1, 31), "0.05"),  # FIRS: 5 % before the Finance Act 2019
    ("ng", date(2020, 2, 1), "0.075"),  # Finance Act 2019: 7.5 % from 2020-02-01
    ("ke", DAY, "0.16"),  # KRA: VAT Act 2013, 16 %
    ("eg", date(2017, 6, 30), "0.13"),  # VAT Law 67/2016: 13 % in the first year
    ("eg", date(2017, 7, 1), "0.14"),  # VAT Law 67/2016: 14 % from 2017-07-01
    ("ma", DAY, "0.20"),  # DGI: Code Général des Impôts, TVA 20 %
    ("gh", date(2026, 1, 1), "0.15"),  # GRA: VAT Act 2025 (Act 1151), VAT 15 % on the value
    ("tn", date(2017, 12, 31), "0.18"),  # DGI Tunisia: 18 % until 2017
    ("tn", date(2018, 1, 1), "0.19"),  # Finance Law 2018: 19 % from 2018-01-01
    ("tz", DAY, "0.18"),  # TRA: VAT Act 2014, 18 %
    ("ug", DAY, "0.18"),  # URA: VAT 18 %
    ("sn", DAY, "0.18"),  # DGID Senegal: Code général des impôts, TVA 18 %
    ("ci", DAY, "0.18"),  # DGI Côte d'Ivoire: Code général des impôts, TVA 18 %
    ("mu", DAY, "0.15"),  # MRA: VAT 15 %
]


@pytest.mark.parametrize(("market_id", "on", "expected"), STANDARD_RATES)
def test_standard_rate(rules: RuleSet, market_id: str, on: date, expected: str | None) -> None:
    tax = rules.market(market_id).spec.tax
    if expected is None:
        assert tax is None, f"{market_id} levies no VAT"
    else:
        assert tax is not None
        assert tax.components[0].rate.at(on) == D(expected)


def test_every_new_market_has_a_standard_rate_fact() -> None:
    assert {row[0] for row in STANDARD_RATES} == set(NEW)


CATEGORY_RATES = [
    ("is", "books", date(2015, 1, 1), "0.11"),  # Skatturinn: reduced 11 % from 2015-01-01
    ("is", "food", date(2014, 12, 31), "0.07"),  # Skatturinn: reduced 7 % until 2014
    ("li", "food", date(2024, 1, 1), "0.026"),  # ESTV / Steuerverwaltung LI: 2.6 %
    ("ua", "medicine", DAY, "0.07"),  # Tax Code of Ukraine art. 193: 7 % for medicines
    ("rs", "books", DAY, "0.10"),  # Law on VAT of Serbia art. 23: 10 %
    ("kz", "medicine", date(2026, 1, 1), "0.05"),  # Law 214-VIII: 5 % in 2026
    ("kz", "medicine", date(2027, 1, 1), "0.10"),  # Law 214-VIII: 10 % from 2027
    ("ad", "food", DAY, "0.01"),  # Llei 11/2012 de l'IGI: reduced 1 %
]


@pytest.mark.parametrize(("market_id", "category", "on", "expected"), CATEGORY_RATES)
def test_category_rate(rules: RuleSet, market_id: str, category: str, on: date,
                       expected: str) -> None:
    tax = rules.market(market_id).spec.tax
    assert tax is not None
    assert tax.components[0].categories[category].at(on) == D(expected)


def test_ghana_levies_each_on_the_value_from_2026(rules: RuleSet) -> None:
    # GRA notice on Act 1151: VAT 15 % + NHIL 2.5 % + GETFund 2.5 % = 20 %, COVID levy gone.
    tax = rules.market("gh").spec.tax
    assert tax is not None
    rates = {c.name: c.rate.at(date(2026, 1, 1)) for c in tax.components}
    assert sum(rates.values()) == D("0.20")
    # Before: 15 % on value + 6 % levies = 15.9 % + 6 % = 21.9 % effective (2026 Budget).
    before = {c.name: c.rate.at(date(2025, 12, 31)) for c in tax.components}
    assert sum(before.values()) == D("0.219")


#: (market, regime id, day, threshold, inclusive, shipping counted, tax, duty)
THRESHOLDS = [
    # Customs Code of Ukraine art. 374: up to EUR 150 per consignment, no duty or VAT
    ("ua", "de-minimis", DAY, "150.00 EUR", True, False, "none", "none"),
    # Customs Administration of North Macedonia: up to EUR 22 with transport, none
    ("mk", "small-consignment", DAY, "22.00 EUR", True, True, "none", "none"),
    # Customs Administration of North Macedonia: up to EUR 90 with transport, VAT only
    ("mk", "vat-only", DAY, "90.00 EUR", True, True, "import", "none"),
    # Revenue Service of Georgia (via carriers): under GEL 300, none
    ("ge", "de-minimis", DAY, "300.00 GEL", False, True, "none", "none"),
    # EEC Council Decision 107 (2017-12-20): EAEU EUR 200 per consignment
    ("am", "eaeu-personal", DAY, "200.00 EUR", True, False, "none", "none"),
    ("kz", "eaeu-personal", DAY, "200.00 EUR", True, False, "none", "none"),
    # GEA database: Azerbaijan USD 300 (a monthly allowance, applied per consignment)
    ("az", "personal-allowance", DAY, "300.00 USD", True, True, "none", "none"),
    # GEA database: Bahrain BHD 300 for B2C shipments, not intrinsic value
    ("bh", "de-minimis", DAY, "300.000 BHD", True, True, "none", "none"),
    # USPS Postal Bulletin 22584 (Jordan Post): under JOD 200, one 10 % fee
    ("jo", "parcel-fee", date(2025, 6, 1), "200.000 JOD", False, True, "none", "none"),
    # Jordan Customs 2026: up to JOD 200 customs value, 16 % sales tax, no duty
    ("jo", "parcel", DAY, "200.000 JOD", True, True, "import", "none"),
    # Israel Tax Authority: USD 75 (goods only) no VAT or duty; USD 500 VAT only
    ("il", "de-minimis", DAY, "75.00 USD", True, False, "none", "none"),
    ("il", "vat-only", DAY, "500.00 USD", True, False, "import", "none"),
    # Official Gazette 2024-08-06 (Turkey): EUR 30 with transport, flat tax in place of both
    ("tr", "flat-rate", date(2025, 6, 1), "30.00 EUR", True, True, "none", "none"),
    ("tr", "flat-rate-eu", date(2025, 6, 1), "30.00 EUR", True, True, "none", "none"),
    # ADII (Morocco): up to MAD 1,250 exempt until 2022-06-30
    ("ma", "small-consignment", date(2022, 6, 30), "1250.00 MAD", True, False, "none", "none"),
    # DHL regulatory update: Tanzania USD 50 from 2022-02-01
    ("tz", "de-minimis", DAY, "50.00 USD", True, False, "none", "none"),
]


@pytest.mark.parametrize(("market_id", "regime_id", "on", "limit", "inclusive", "shipping",
                          "tax", "duty"), THRESHOLDS)
def test_de_minimis_threshold(rules: RuleSet, market_id: str, regime_id: str, on: date,
                              limit: str, inclusive: bool, shipping: bool, tax: str,
                              duty: str) -> None:
    found = [r for r in rules.market(market_id).spec.regimes
             if r.id == regime_id and r.in_force(on)]
    assert len(found) == 1, f"{market_id}: regime {regime_id} in force on {on}"
    regime = found[0]
    assert regime.max_value is not None and regime.max_value.at(on) == Money.parse(limit)
    assert (regime.inclusive, regime.include_shipping) == (inclusive, shipping)
    assert (regime.tax, regime.duty) == (tax, duty)


@pytest.mark.parametrize(("market_id", "on"), [
    ("tr", DAY),  # Official Gazette 2026-01-07: the EUR 30 limit removed from 2026-02-06
    ("ma", date(2022, 7, 1)),  # decree 2-22-438: e-commerce excluded from 2022-07-01
    ("is", DAY),  # Skatturinn: all goods dutiable whatever their value
])
def test_no_low_value_relief(rules: RuleSet, market_id: str, on: date) -> None:
    assert [r.id for r in rules.market(market_id).spec.regimes if r.in_force(on)] == ["import"]


def test_unconfirmed_facts_are_listed(rules: RuleSet) -> None:
    # Placeholder duty rates are never presented as fact (assignment; docs/rules.md).
    for market_id in NEW:
        spec = rules.market(market_id).spec
        keys = {u.key for u in spec.unconfirmed}
        assert spec.duty.rate.at(DAY) == 0 or "duty.rate" in keys or market_id == "li", market_id


# -- (c) one worked example per market ---------------------------------------------------------

def quote(engine: Engine, country: str, amount: str, currency: str, *, on: date = DAY,
          **extra: Any) -> dict[str, D]:
    item = {"sku": "A", "quantity": 1, "price": {"amount": amount, "currency": currency},
            "weight": {"value": "0.4"}}
    item.update(extra.pop("item", {}))
    q = engine.quote({"destination": {"country": country}, "items": [item],
                      "date": on.isoformat(), **extra})
    totals = {k: v.amount for k, v in q.totals.items()}
    totals["regime"] = q.regime["id"]  # type: ignore[assignment]
    return totals


def expect(regime: str, items: str, shipping: str, duties: str, taxes: str, included: str,
           total: str, fees: str | None = None) -> dict[str, Any]:
    out = {"regime": regime, "items": D(items), "shipping": D(shipping), "duties": D(duties),
           "taxes": D(taxes), "included_taxes": D(included), "total": D(total)}
    if fees is not None:
        out["fees"] = D(fees)
    return out


def pick(totals: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
    return {k: totals[k] for k in wanted}


# Every worked example: (country, price, currency, request extras, expected). 0.4 kg lands in
# each market's first shipping band.
EXAMPLES: list[tuple[str, str, str, dict[str, Any], dict[str, Any]]] = [
    # IS: a book 2990 ISK, shipping 2490; no de minimis; duty 0 (tariffs abolished 2017).
    # VAT inside: book 2990 x 0.11/1.11 = 296.31 -> 296; shipping 2490 x 0.24/1.24 = 481.94 ->
    # 482; 778 in all. Total 2990 + 2490 = 5480.
    ("IS", "2990", "ISK", {"item": {"category": "books"}},
     expect("import", "2990", "2490", "0", "0", "778", "5480")),
    # LI: 120.00 CHF from DE, shipping 9.90; duty 0 since 2024. VAT 8.1 % inside (order
    # rounding): 129.90 x 0.081/1.081 = 9.7336 -> 9.73 > CHF 5, collected. Total 129.90.
    ("LI", "120.00", "CHF", {}, expect("import", "120.00", "9.90", "0.00", "0.00", "9.73",
                                       "129.90")),
    # TR on 2025-06-01, shipped from CN: 299.90 + 449.90 = 749.80 TRY = EUR 15.00 <= 30:
    # flat-rate regime, no duty or KDV; flat tax 60 % x 749.80 = 449.88. Total 1199.68.
    ("TR", "299.90", "TRY", {"ship_from": "CN", "on": date(2025, 6, 1)},
     expect("flat-rate", "299.90", "449.90", "0.00", "0.00", "0.00", "1199.68", "449.88")),
    # UA: 999.00 UAH (EUR 19.98) <= EUR 150 (7500 UAH): no duty or VAT. 999 + 399 = 1398.00.
    ("UA", "999.00", "UAH", {}, expect("de-minimis", "999.00", "399.00", "0.00", "0.00",
                                       "0.00", "1398.00")),
    # RS: 4990 + 1290 = 6280 RSD. CIF 6280/1.2 = 5233.33; duty 10 % = 523.33 -> 523. VAT inside
    # 6280 x 0.2/1.2 = 1046.67 -> 1047; on duty 523 x 0.2 = 104.6 -> 105. Total 6908.
    ("RS", "4990", "RSD", {}, expect("import", "4990", "1290", "523", "105", "1047", "6908")),
    # BA: 49.90 + 19.90 = 69.80 BAM. CIF 69.80/1.17 = 59.6581; duty 10 % = 5.97. VAT inside
    # 69.80 x 0.17/1.17 = 10.1419 -> 10.14; on duty 5.97 x 0.17 = 1.0149 -> 1.01. Total 76.78.
    ("BA", "49.90", "BAM", {}, expect("import", "49.90", "19.90", "5.97", "1.01", "10.14",
                                      "76.78")),
    # ME: 59.99 + 9.90 = 69.89 EUR. CIF 69.89/1.21 = 57.7603; duty 10 % = 5.78. VAT inside
    # 69.89 x 0.21/1.21 = 12.1297 -> 12.13; on duty 5.78 x 0.21 = 1.2138 -> 1.21. Total 76.88.
    ("ME", "59.99", "EUR", {}, expect("import", "59.99", "9.90", "5.78", "1.21", "12.13",
                                      "76.88")),
    # MK: 2999 + 590 = 3589 MKD (EUR 59.82; net of VAT 50.69): over EUR 22 (1320 MKD), up to
    # EUR 90 (5400 MKD): VAT, no duty. VAT inside 3589 x 0.18/1.18 = 547.47. Total 3589.00.
    ("MK", "2999.00", "MKD", {}, expect("vat-only", "2999.00", "590.00", "0.00", "0.00",
                                        "547.47", "3589.00")),
    # AL: 4900 + 990 = 5890 ALL. CIF 5890/1.2 = 4908.33; duty 10 % = 490.83 -> 491. VAT inside
    # 5890 x 0.2/1.2 = 981.67 -> 982; on duty 491 x 0.2 = 98.2 -> 98. Total 6479.
    ("AL", "4900", "ALL", {}, expect("import", "4900", "990", "491", "98", "982", "6479")),
    # MD: 499 + 199 = 698 MDL. CIF 698/1.2 = 581.6667; duty 10 % = 58.17. VAT inside
    # 698 x 0.2/1.2 = 116.33; on duty 58.17 x 0.2 = 11.634 -> 11.63. Total 767.80.
    ("MD", "499.00", "MDL", {}, expect("import", "499.00", "199.00", "58.17", "11.63",
                                       "116.33", "767.80")),
    # GE: 99.99 + 29.90 = 129.89 GEL < GEL 300: no duty or VAT. Total 129.89.
    ("GE", "99.99", "GEL", {}, expect("de-minimis", "99.99", "29.90", "0.00", "0.00", "0.00",
                                      "129.89")),
    # AM: 19900 AMD (EUR 44.22) <= EUR 200 (90000 AMD): none. 19900 + 4900 = 24800.00.
    ("AM", "19900.00", "AMD", {}, expect("eaeu-personal", "19900.00", "4900.00", "0.00",
                                         "0.00", "0.00", "24800.00")),
    # AZ: 799.99 + 19.90 = 819.89 AZN (net 694.82) > USD 300 (= 272.73 EUR = 545.45 AZN):
    # import. CIF 694.8220; duty 15 % = 104.2233 -> 104.22. VAT inside 819.89 x 0.18/1.18 =
    # 125.0680 -> 125.07; on duty 104.22 x 0.18 = 18.7596 -> 18.76. Total 942.87.
    ("AZ", "799.99", "AZN", {}, expect("import", "799.99", "19.90", "104.22", "18.76",
                                       "125.07", "942.87")),
    # KZ: 150000 KZT (net 129310.34) > EUR 200 (120000 KZT): import at VAT 16 % (2026).
    # CIF 155990/1.16 = 134474.1379; duty 10 % = 13447.41. VAT inside 155990 x 0.16/1.16 =
    # 21515.86; on duty 13447.41 x 0.16 = 2151.5856 -> 2151.59. Total 171589.00.
    ("KZ", "150000.00", "KZT", {}, expect("import", "150000.00", "5990.00", "13447.41",
                                          "2151.59", "21515.86", "171589.00")),
    # AD: 29.99 EUR of Chinese origin + 6.90 = 36.89. CIF 36.89/1.045 = 35.3014; duty 5 % =
    # 1.7651 -> 1.77. IGI inside 36.89 x 0.045/1.045 = 1.5886 -> 1.59; on duty 1.77 x 0.045 =
    # 0.0797 -> 0.08. Total 38.74.
    ("AD", "29.99", "EUR", {"item": {"origin": "CN"}},
     expect("import", "29.99", "6.90", "1.77", "0.08", "1.59", "38.74")),
    # QA: no VAT. 199 + 59 = 258 QAR CIF; duty 5 % = 12.90. Total 270.90.
    ("QA", "199.00", "QAR", {}, expect("import", "199.00", "59.00", "12.90", "0.00", "0.00",
                                       "270.90")),
    # KW: no VAT. 19.900 + 4.900 = 24.800 KWD CIF; duty 5 % = 1.240. Total 26.040.
    ("KW", "19.900", "KWD", {}, expect("import", "19.900", "4.900", "1.240", "0.000", "0.000",
                                       "26.040")),
    # BH: 349.900 BHD, free shipping (over 75.000); 349.900 / 1.10 = 318.0909 > BHD 300: import.
    # Duty 5 % = 15.9045 -> 15.905. VAT inside 349.900 x 0.1/1.1 = 31.8091 -> 31.809; on duty
    # 15.905 x 0.10 = 1.5905 -> 1.591. Total 349.900 + 15.905 + 1.591 = 367.396.
    ("BH", "349.900", "BHD", {}, expect("import", "349.900", "0.000", "15.905", "1.591",
                                        "31.809", "367.396")),
    # OM: 29.900 + 5.900 = 35.800 OMR. CIF 35.800/1.05 = 34.0952; duty 5 % = 1.7048 -> 1.705.
    # VAT inside 35.800 x 0.05/1.05 = 1.7048 -> 1.705; on duty 1.705 x 0.05 = 0.0853 -> 0.085.
    # Total 37.590.
    ("OM", "29.900", "OMR", {}, expect("import", "29.900", "5.900", "1.705", "0.085", "1.705",
                                       "37.590")),
    # JO on 2026-11-29: 49.900 + 9.900 = 59.800 JOD <= 200: sales tax, no duty. Tax inside
    # 59.800 x 0.16/1.16 = 8.2483 -> 8.248. Total 59.800.
    ("JO", "49.900", "JOD", {}, expect("parcel", "49.900", "9.900", "0.000", "0.000", "8.248",
                                       "59.800")),
    # JO on 2025-06-01: same parcel under JOD 200: one 10 % fee, 5.980 (over the 5.000
    # minimum), no duty or tax. Total 65.780.
    ("JO", "49.900", "JOD", {"on": date(2025, 6, 1)},
     expect("parcel-fee", "49.900", "9.900", "0.000", "0.000", "0.000", "65.780", "5.980")),
    # IL: 499.90 ILS goods (net 423.64 = USD 116.50; gross USD 137.47): over USD 75, up to
    # USD 500: VAT, no duty. VAT inside (499.90 + 49.90) x 0.18/1.18 = 83.8678 -> 83.87.
    ("IL", "499.90", "ILS", {}, expect("vat-only", "499.90", "49.90", "0.00", "0.00",
                                       "83.87", "549.80")),
    # NG: 49000 + 25000 = 74000 NGN. CIF 74000/1.075 = 68837.2093; duty 20 % = 13767.44. VAT
    # inside 74000 x 0.075/1.075 = 5162.79; on duty 13767.44 x 0.075 = 1032.558 -> 1032.56.
    # Total 88800.00.
    ("NG", "49000.00", "NGN", {}, expect("import", "49000.00", "25000.00", "13767.44",
                                         "1032.56", "5162.79", "88800.00")),
    # KE: 4990 + 1990 = 6980 KES. CIF 6980/1.16 = 6017.2414; duty 25 % = 1504.31. VAT inside
    # 6980 x 0.16/1.16 = 962.76; on duty 1504.31 x 0.16 = 240.6896 -> 240.69. Total 8725.00.
    ("KE", "4990.00", "KES", {}, expect("import", "4990.00", "1990.00", "1504.31", "240.69",
                                        "962.76", "8725.00")),
    # EG: 1999 + 799 = 2798 EGP. CIF 2798/1.14 = 2454.3860; duty 20 % = 490.88. VAT inside
    # 2798 x 0.14/1.14 = 343.61; on duty 490.88 x 0.14 = 68.7232 -> 68.72. Total 3357.60.
    ("EG", "1999.00", "EGP", {}, expect("import", "1999.00", "799.00", "490.88", "68.72",
                                        "343.61", "3357.60")),
    # MA: 499 + 149 = 648 MAD. CIF 648/1.2 = 540; duty 17.5 % = 94.50. TVA inside 648/6 =
    # 108.00; on duty 94.50 x 0.2 = 18.90. Total 761.40.
    ("MA", "499.00", "MAD", {}, expect("import", "499.00", "149.00", "94.50", "18.90",
                                       "108.00", "761.40")),
    # MA on 2022-06-30: 499 MAD <= MAD 1,250: no duty or TVA. Total 648.00.
    ("MA", "499.00", "MAD", {"on": date(2022, 6, 30)},
     expect("small-consignment", "499.00", "149.00", "0.00", "0.00", "0.00", "648.00")),
    # GH (2026): 199.99 + 199.00 = 398.99 GHS; rates 15 + 2.5 + 2.5 = 20 %. CIF 398.99/1.2 =
    # 332.4917; duty 20 % = 66.4983 -> 66.50. Inside: VAT 398.99 x 0.15/1.2 = 49.8738 -> 49.87,
    # NHIL and GETFund 398.99 x 0.025/1.2 = 8.3123 -> 8.31 each: 66.49. On duty: VAT 66.50 x
    # 0.15 = 9.975 -> 9.98, NHIL and GETFund 1.6625 -> 1.66 each: 13.30. Total 478.79.
    ("GH", "199.99", "GHS", {}, expect("import", "199.99", "199.00", "66.50", "13.30",
                                       "66.49", "478.79")),
    # TN: 39.900 + 39.900 = 79.800 TND. CIF 79.800/1.19 = 67.0588; duty 20 % = 13.4118 ->
    # 13.412. TVA inside 79.800 x 0.19/1.19 = 12.7412 -> 12.741; on duty 13.412 x 0.19 =
    # 2.5483 -> 2.548. Total 95.760.
    ("TN", "39.900", "TND", {}, expect("import", "39.900", "39.900", "13.412", "2.548",
                                       "12.741", "95.760")),
    # TZ: 99000 TZS goods (EUR 33.00 = USD 36.30) <= USD 50: none. 99000 + 39000 = 138000.00.
    ("TZ", "99000.00", "TZS", {}, expect("de-minimis", "99000.00", "39000.00", "0.00", "0.00",
                                         "0.00", "138000.00")),
    # UG: 99000 + 59000 = 158000 UGX. CIF 158000/1.18 = 133898.31; duty 25 % = 33474.58 ->
    # 33475. VAT inside 158000 x 0.18/1.18 = 24101.69 -> 24102; on duty 33475 x 0.18 = 6025.5
    # -> 6026. Total 197501.
    ("UG", "99000", "UGX", {}, expect("import", "99000", "59000", "33475", "6026", "24102",
                                      "197501")),
    # SN: 19900 + 9900 = 29800 XOF. CIF 29800/1.18 = 25254.24; duty 20 % = 5050.85 -> 5051.
    # TVA inside 29800 x 0.18/1.18 = 4545.76 -> 4546; on duty 5051 x 0.18 = 909.18 -> 909.
    # Total 35760.
    ("SN", "19900", "XOF", {}, expect("import", "19900", "9900", "5051", "909", "4546",
                                      "35760")),
    # CI: 49900 + 9900 = 59800 XOF. CIF 59800/1.18 = 50677.97; duty 20 % = 10135.59 -> 10136.
    # TVA inside 59800 x 0.18/1.18 = 9122.03 -> 9122; on duty 10136 x 0.18 = 1824.48 -> 1824.
    # Total 71760.
    ("CI", "49900", "XOF", {}, expect("import", "49900", "9900", "10136", "1824", "9122",
                                      "71760")),
    # MU: 2990 + 690 = 3680 MUR; duty 0. VAT inside 3680 x 0.15/1.15 = 480.00. Total 3680.00.
    ("MU", "2990.00", "MUR", {}, expect("import", "2990.00", "690.00", "0.00", "0.00",
                                        "480.00", "3680.00")),
]


@pytest.mark.parametrize(("country", "amount", "currency", "extra", "expected"), EXAMPLES,
                         ids=[f"{e[0]}-{i}" for i, e in enumerate(EXAMPLES)])
def test_worked_example(engine: Engine, country: str, amount: str, currency: str,
                        extra: dict[str, Any], expected: dict[str, Any]) -> None:
    extra = dict(extra)
    on = extra.pop("on", DAY)
    assert pick(quote(engine, country, amount, currency, on=on, **extra), expected) == expected


def test_every_new_market_has_a_worked_example() -> None:
    assert {e[0].lower() for e in EXAMPLES} == set(NEW)


def test_liechtenstein_from_switzerland_is_not_an_import(engine: Engine) -> None:
    # Swiss customs territory (customs treaty CH-LI): VAT at the sale, no duty.
    totals = quote(engine, "LI", "120.00", "CHF", ship_from="CH")
    assert totals["regime"] == "domestic" and totals["duties"] == 0


def test_turkey_after_the_eur_30_limit_was_removed(engine: Engine) -> None:
    # Official Gazette 2026-01-07: from 2026-02-06 the same parcel is an ordinary import.
    # CIF (299.90 + 449.90)/1.20 = 624.8333; duty 10 % (placeholder) = 62.48. KDV inside
    # 749.80 x 0.2/1.2 = 124.97; on duty 62.48 x 0.2 = 12.496 -> 12.50. Total 824.78.
    wanted = expect("import", "299.90", "449.90", "62.48", "12.50", "124.97", "824.78", "0.00")
    assert pick(quote(engine, "TR", "299.90", "TRY", ship_from="CN"), wanted) == wanted
