"""The bundled rules in rules/ load, cover the markets we sell in, and state published facts.

Each row of the fact tables names its public source; the rule files record the same sources
with the date they were checked (2026-11-23).
"""

from __future__ import annotations

import importlib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from pricing.errors import UnknownMarketError
from pricing.markets import load_rules
from pricing.markets.ruleset import RuleSet
from pricing.money import Money

RULES = Path(__file__).resolve().parent.parent / "rules"

EU = ("at", "be", "bg", "cy", "cz", "de", "dk", "ee", "es", "fi", "fr", "gr", "hr", "hu", "ie",
      "it", "lt", "lu", "lv", "mt", "nl", "pl", "pt", "ro", "se", "si", "sk")
OTHERS = ("gb", "ch", "no", "us", "ca", "mx", "br", "au", "nz", "jp", "kr", "sg", "in", "ae",
          "sa", "za")
#: Markets taxed by region, with no single standard rate: checked in test_regional_rate.
REGIONAL = ("us", "ca")


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules(RULES)


def standard_rate(rules: RuleSet, market_id: str, on: date) -> Decimal | None:
    tax = rules.market(market_id).spec.tax
    assert tax is not None, f"{market_id} has no tax"
    return tax.components[0].rate.at(on)


# -- (a) the rule set loads and covers the markets ------------------------------------------

def test_bundled_rules_load_with_every_market(rules: RuleSet) -> None:
    assert len(rules.markets) >= 30
    missing = {*EU, *OTHERS} - set(rules.markets)
    assert not missing, f"markets missing from rules/: {sorted(missing)}"


def test_eu_members_extend_the_eu_zone(rules: RuleSet) -> None:
    for market_id in EU:
        market = rules.market(market_id)
        assert market.spec.countries[0] == market_id.upper()
        assert {r.id for r in market.spec.regimes} >= {"ioss", "import"}, market_id
        assert market.file_of("regimes") == "zones/eu.toml", market_id


@pytest.mark.parametrize(("market_id", "currency"), [
    ("bg", "EUR"),  # euro adopted 2026-01-01 (Council of the EU, 2025-07-08)
    ("hr", "EUR"),  # euro adopted 2023-01-01
    ("cz", "CZK"),
    ("dk", "DKK"),
    ("hu", "HUF"),
    ("pl", "PLN"),
    ("ro", "RON"),
    ("se", "SEK"),
    ("no", "NOK"),
    ("kr", "KRW"),
    ("in", "INR"),
    ("ae", "AED"),
    ("sa", "SAR"),
    ("za", "ZAR"),
])
def test_market_currency(rules: RuleSet, market_id: str, currency: str) -> None:
    assert rules.market(market_id).currency == currency


def test_every_market_names_its_sources(rules: RuleSet) -> None:
    for market_id, market in rules.markets.items():
        assert market.spec.sources, f"{market_id} has no sources"
        assert all("checked" in s for s in market.spec.sources), market_id


# -- (b) published facts ----------------------------------------------------------------------

STANDARD_RATES = [
    # ibericode/vat-rates (newest entry 2025-08-12) unless stated otherwise.
    ("at", date(2026, 11, 23), "0.20"),  # ibericode AT
    ("be", date(2026, 11, 23), "0.21"),  # ibericode BE
    ("bg", date(2026, 11, 23), "0.20"),  # ibericode BG
    ("cy", date(2026, 11, 23), "0.19"),  # ibericode CY
    ("cz", date(2026, 11, 23), "0.21"),  # ibericode CZ
    ("de", date(2020, 6, 30), "0.19"),  # ibericode DE
    ("de", date(2020, 8, 1), "0.16"),  # ibericode DE: Corona relief 2020-07-01..2020-12-31
    ("de", date(2021, 1, 1), "0.19"),  # ibericode DE
    ("dk", date(2026, 11, 23), "0.25"),  # ibericode DK
    ("ee", date(2023, 12, 31), "0.20"),  # ibericode EE
    ("ee", date(2024, 1, 1), "0.22"),  # ibericode EE: 22 % from 2024-01-01
    ("ee", date(2025, 6, 30), "0.22"),  # ibericode EE
    ("ee", date(2025, 7, 1), "0.24"),  # ibericode EE: 24 % from 2025-07-01
    ("es", date(2026, 11, 23), "0.21"),  # ibericode ES
    ("fi", date(2024, 8, 31), "0.24"),  # ibericode FI
    ("fi", date(2024, 9, 1), "0.255"),  # ibericode FI; Vero: 25.5 % from 2024-09-01
    ("fr", date(2026, 11, 23), "0.20"),  # ibericode FR
    ("gr", date(2026, 11, 23), "0.24"),  # ibericode GR
    ("hr", date(2026, 11, 23), "0.25"),  # ibericode HR
    ("hu", date(2026, 11, 23), "0.27"),  # ibericode HU
    ("ie", date(2020, 8, 31), "0.23"),  # ibericode IE
    ("ie", date(2020, 9, 1), "0.21"),  # ibericode IE: 21 % 2020-09-01..2021-02-28
    ("ie", date(2021, 2, 28), "0.21"),  # ibericode IE
    ("ie", date(2021, 3, 1), "0.23"),  # ibericode IE
    ("it", date(2026, 11, 23), "0.22"),  # ibericode IT
    ("lt", date(2026, 11, 23), "0.21"),  # ibericode LT
    ("lu", date(2022, 12, 31), "0.17"),  # ibericode LU
    ("lu", date(2023, 6, 1), "0.16"),  # ibericode LU: 16 % during 2023
    ("lu", date(2024, 1, 1), "0.17"),  # ibericode LU
    ("lv", date(2026, 11, 23), "0.21"),  # ibericode LV
    ("mt", date(2026, 11, 23), "0.18"),  # ibericode MT
    ("nl", date(2012, 9, 30), "0.19"),  # ibericode NL
    ("nl", date(2026, 11, 23), "0.21"),  # ibericode NL: 21 % since 2012-10-01
    ("pl", date(2026, 11, 23), "0.23"),  # ibericode PL
    ("pt", date(2026, 11, 23), "0.23"),  # ibericode PT (mainland)
    ("ro", date(2016, 6, 1), "0.20"),  # ibericode RO
    ("ro", date(2025, 7, 31), "0.19"),  # ibericode RO
    ("ro", date(2025, 8, 1), "0.21"),  # Law 141/2025 (Monitorul Oficial 699): 21 % from 2025-08-01
    ("se", date(2026, 11, 23), "0.25"),  # ibericode SE
    ("si", date(2026, 11, 23), "0.22"),  # ibericode SI
    ("sk", date(2024, 12, 31), "0.20"),  # ibericode SK
    ("sk", date(2025, 1, 1), "0.23"),  # ibericode SK; Act 278/2024: 23 % from 2025-01-01
    ("gb", date(2026, 11, 23), "0.20"),  # HMRC: VAT rates
    ("ch", date(2023, 12, 31), "0.077"),  # ESTV/AFC: 7.7 % until 2023-12-31
    ("ch", date(2024, 1, 1), "0.081"),  # ESTV/AFC: 8.1 % from 2024-01-01
    ("no", date(2026, 11, 23), "0.25"),  # Skatteetaten: VAT rates
    ("mx", date(2026, 11, 23), "0.16"),  # SAT: Ley del IVA art. 1
    ("br", date(2025, 1, 1), "0.17"),  # CONFAZ Convenio ICMS 81/2023: 17 % on remittances
    ("au", date(2026, 11, 23), "0.10"),  # ATO: GST rate
    ("nz", date(2010, 9, 30), "0.125"),  # Inland Revenue: 12.5 % until 2010-09-30
    ("nz", date(2010, 10, 1), "0.15"),  # Inland Revenue: 15 % from 2010-10-01
    ("jp", date(2026, 11, 23), "0.10"),  # National Tax Agency: consumption tax 10 %
    ("kr", date(2026, 11, 23), "0.10"),  # National Tax Service: VAT 10 %
    ("sg", date(2022, 12, 31), "0.07"),  # IRAS: GST 7 % until 2022-12-31
    ("sg", date(2023, 6, 1), "0.08"),  # IRAS: GST 8 % in 2023
    ("sg", date(2024, 1, 1), "0.09"),  # IRAS: GST 9 % from 2024-01-01
    ("in", date(2025, 10, 1), "0.18"),  # CBIC notification 9/2025-Central Tax (Rate): 18 % slab
    ("ae", date(2026, 11, 23), "0.05"),  # Federal Tax Authority: VAT 5 % from 2018-01-01
    ("sa", date(2020, 6, 30), "0.05"),  # ZATCA: 5 % from 2018-01-01 to 2020-06-30
    ("sa", date(2020, 7, 1), "0.15"),  # ZATCA: 15 % from 2020-07-01
    ("za", date(2018, 3, 31), "0.14"),  # SARS: 14 % until 2018-03-31
    ("za", date(2018, 4, 1), "0.15"),  # SARS: 15 % from 2018-04-01
]


@pytest.mark.parametrize(("market_id", "on", "expected"), STANDARD_RATES)
def test_standard_rate(rules: RuleSet, market_id: str, on: date, expected: str) -> None:
    assert standard_rate(rules, market_id, on) == Decimal(expected)


def _facts_in_market_modules() -> set[str]:
    """Markets whose dated standard rate is checked in a tests/test_markets_*.py fact table, or
    that such a module checks levy no VAT, GST or sales tax (its UNTAXED tuple)."""
    found: set[str] = set()
    for path in sorted(Path(__file__).parent.glob("test_markets_*.py")):
        module = importlib.import_module(path.stem)
        found |= {row[0] for row in getattr(module, "STANDARD_RATES", ())}
        found |= set(getattr(module, "UNTAXED", ()))
    return found


def test_every_market_has_a_standard_rate_fact(rules: RuleSet) -> None:
    covered = {row[0] for row in STANDARD_RATES} | set(REGIONAL) | _facts_in_market_modules()
    assert set(rules.markets) <= covered, sorted(set(rules.markets) - covered)


REGIONAL_RATES = [
    ("us", "Sales tax (CA)", "US-CA", date(2026, 11, 23), "0.0725"),  # CDTFA: statewide base rate
    ("us", "Sales tax (NY)", "US-NY", date(2026, 11, 23), "0.04"),  # NY DTF: state rate
    ("us", "Sales tax (TX)", "US-TX", date(2026, 11, 23), "0.0625"),  # Texas Comptroller
    ("ca", "GST", "CA-AB", date(2026, 11, 23), "0.05"),  # CRA: GST 5 %
    ("ca", "GST", "CA-QC", date(2026, 11, 23), "0.05"),  # CRA: GST 5 % (with QST)
    ("ca", "QST", "CA-QC", date(2026, 11, 23), "0.09975"),  # Revenu Quebec: QST 9.975 %
    ("ca", "HST", "CA-ON", date(2026, 11, 23), "0.13"),  # CRA: HST Ontario 13 %
    ("ca", "HST", "CA-NS", date(2025, 3, 31), "0.15"),  # CRA: HST Nova Scotia 15 % before
    ("ca", "HST", "CA-NS", date(2025, 4, 1), "0.14"),  # CRA: HST Nova Scotia 14 % from 2025-04-01
    ("ca", "PST", "CA-BC", date(2026, 11, 23), "0.07"),  # BC Ministry of Finance: PST 7 %
]


@pytest.mark.parametrize(("market_id", "name", "region", "on", "expected"), REGIONAL_RATES)
def test_regional_rate(rules: RuleSet, market_id: str, name: str, region: str, on: date,
                       expected: str) -> None:
    tax = rules.market(market_id).spec.tax
    assert tax is not None
    found = [c for c in tax.components if c.name == name and region in c.regions]
    assert len(found) == 1, f"{market_id}: {len(found)} {name!r} components for {region}"
    assert found[0].rate.at(on) == Decimal(expected)


CATEGORY_RATES = [
    ("cz", "food", date(2023, 12, 31), "0.15"),  # ibericode CZ: reduced 15 % before 2024
    ("cz", "food", date(2024, 1, 1), "0.12"),  # ibericode CZ: single reduced 12 % from 2024
    ("fi", "books", date(2024, 12, 31), "0.10"),  # Vero: books 10 % until 2024
    ("fi", "books", date(2025, 1, 1), "0.14"),  # Vero: books 14 % from 2025-01-01
    ("fi", "food", date(2026, 1, 1), "0.135"),  # Finnish 2026 budget: 13.5 % from 2026-01-01
    ("ie", "children_clothing", date(2026, 11, 23), "0"),  # Revenue: zero rate
    ("lu", "books", date(2023, 6, 1), "0.03"),  # ibericode LU: super-reduced 3 % kept in 2023
    ("nl", "food", date(2018, 12, 31), "0.06"),  # ibericode NL: 6 % until 2018
    ("nl", "food", date(2019, 1, 1), "0.09"),  # ibericode NL: 9 % from 2019-01-01
    ("pl", "food", date(2023, 1, 1), "0"),  # podatki.gov.pl: 0 % 2022-02-01..2024-03-31
    ("pl", "food", date(2024, 4, 1), "0.05"),  # podatki.gov.pl: 5 % from 2024-04-01
    ("ro", "books", date(2025, 7, 31), "0.05"),  # Law 141/2025: 5 % merged into 11 %
    ("ro", "books", date(2025, 8, 1), "0.11"),  # Law 141/2025: 11 % from 2025-08-01
    ("se", "food", date(2026, 3, 31), "0.12"),  # Skatteverket: 12 %
    ("se", "food", date(2026, 4, 1), "0.06"),  # Prop. 2025/26:55: 6 % 2026-04-01..2027-12-31
    ("se", "food", date(2028, 1, 1), "0.12"),  # Prop. 2025/26:55: back to 12 %
    ("sk", "books", date(2025, 1, 1), "0.05"),  # Act 278/2024: books 10 % -> 5 %
    ("in", "medicine", date(2025, 9, 21), "0.12"),  # CBIC: most medicines 12 % before GST 2.0
    ("in", "medicine", date(2025, 9, 22), "0.05"),  # CBIC notification 9/2025: 5 %
    ("no", "food", date(2026, 11, 23), "0.15"),  # Skatteetaten: food 15 %
]


@pytest.mark.parametrize(("market_id", "category", "on", "expected"), CATEGORY_RATES)
def test_category_rate(rules: RuleSet, market_id: str, category: str, on: date,
                       expected: str) -> None:
    tax = rules.market(market_id).spec.tax
    assert tax is not None
    assert tax.components[0].categories[category].at(on) == Decimal(expected)


@pytest.mark.parametrize(("country", "region"), [
    ("ES", "ES-CN"),  # Canary Islands: outside the EU VAT area (Directive 2006/112/EC Art. 6)
    ("ES", "ES-TF"),  # Santa Cruz de Tenerife province, Canary Islands
    ("ES", "ES-CE"),  # Ceuta
    ("ES", "ES-ML"),  # Melilla
    ("GR", "GR-69"),  # Mount Athos
])
def test_regions_outside_the_eu_vat_area_are_not_served(rules: RuleSet, country: str,
                                                        region: str) -> None:
    with pytest.raises(UnknownMarketError):
        rules.market_for(country, region)
    assert rules.market_for(country).id == country.lower()


def test_monaco_is_served_by_france(rules: RuleSet) -> None:
    assert rules.market_for("MC").id == "fr"


def test_national_low_value_fees(rules: RuleSet) -> None:
    # Italy: EUR 2 per consignment from 2026-01-01 (Legge di Bilancio 2026).
    (it_fee,) = rules.market("it").spec.fees
    assert it_fee.amount is not None
    assert it_fee.amount.at(date(2026, 1, 1)) == Money.parse("2.00 EUR")
    assert it_fee.from_ == date(2026, 1, 1) and it_fee.regimes == ("ioss",)
    assert not it_fee.in_force(date(2025, 12, 31))
    # France: EUR 2 per item from 2026-03-01 (Loi de finances pour 2026, art. 82).
    (fr_fee,) = rules.market("fr").spec.fees
    assert fr_fee.per_item is not None
    assert fr_fee.per_item.at(date(2026, 3, 1)) == Money.parse("2.00 EUR")
    assert fr_fee.from_ == date(2026, 3, 1) and fr_fee.regimes == ("ioss",)


def test_dap_markets_charge_a_disbursement_fee(rules: RuleSet) -> None:
    dap = [m for m in rules.markets.values() if m.spec.incoterm == "DAP"]
    assert len(dap) >= 2
    for market in dap:
        fees = [f for f in market.spec.fees if f.incoterm == "DAP"]
        assert fees, f"{market.id} is DAP without a DAP fee"
        assert all(f.only_if_duty_or_tax and f.base == "duties_and_taxes" for f in fees)
        assert all(f.minimum is not None and f.minimum.currency == market.currency
                   for f in fees)


def test_norway_voec_is_per_item_and_below_the_threshold(rules: RuleSet) -> None:
    voec = next(r for r in rules.market("no").spec.regimes if r.id == "voec")
    assert voec.value_basis == "item" and voec.inclusive is False
    assert voec.include_shipping is False and voec.tax == "sale" and voec.duty == "none"
    # Skatteetaten: VOEC covers items under NOK 3,000 each.
    assert voec.max_value is not None
    assert voec.max_value.at(date(2026, 11, 23)) == Money.parse("3000.00 NOK")
