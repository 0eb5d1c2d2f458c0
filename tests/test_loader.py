"""Rule files: every error class names file, key, value and the fix; valid files round-trip."""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pricing import RulesError, load_rules
from pricing.markets.schema import MarketSpec

SHOP = 'name = "T"\nbase_currency = "EUR"\nship_from = "DE"\n'
MARKET = """\
id = "xx"
name = "Test market"
countries = ["FR"]
currency = "EUR"
locales = ["fr_FR"]
default_locale = "fr_FR"
price_display = "inclusive"
incoterm = "DDP"

[[tax.components]]
name = "VAT"
rate = "0.20"

[shipping.standard]
name = "Standard"
days = [2, 4]
base = "5.00 EUR"
"""


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, "utf-8")
    return root


def problems(root: Path) -> list:
    with pytest.raises(RulesError) as e:
        load_rules(root)
    return list(e.value.problems)


def test_minimal_valid_rules(tmp_path):
    rs = load_rules(write(tmp_path, {"shop.toml": SHOP, "markets/xx.toml": MARKET}))
    assert list(rs.markets) == ["xx"]
    assert len(rs.version) == 12


def test_version_is_a_content_hash(tmp_path):
    write(tmp_path, {"shop.toml": SHOP, "markets/xx.toml": MARKET})
    v1 = load_rules(tmp_path).version
    assert load_rules(tmp_path).version == v1
    write(tmp_path, {"markets/xx.toml": MARKET.replace("0.20", "0.21")})
    assert load_rules(tmp_path).version != v1


# (description, market file text (replacing MARKET), expected key, fragment of the message)
CASES = [
    ("unknown key with suggestion", MARKET.replace('incoterm = "DDP"',
                                                   'incoterm = "DDP"\ncurency = "EUR"'),
     "curency", "unknown key"),
    ("rate as percent", MARKET.replace('"0.20"', '"20"'), "tax.components[0].rate",
     'did you mean "0.2"'),
    ("rate as float", MARKET.replace('"0.20"', "0.20"), "tax.components[0].rate",
     "decimal strings"),
    ("rate as int percent", MARKET.replace('"0.20"', "20"), "tax.components[0].rate",
     "percentage"),
    ("negative rate", MARKET.replace('"0.20"', '"-0.1"'), "tax.components[0].rate",
     "out of range"),
    ("bad country", MARKET.replace('["FR"]', '["FX"]'), "countries[0]", "unknown country"),
    ("UK for GB", MARKET.replace('["FR"]', '["UK"]'), "countries[0]", "GB"),
    ("bad currency", MARKET.replace('currency = "EUR"', 'currency = "EURO"'), "currency",
     "unknown currency"),
    ("bad locale", MARKET.replace('["fr_FR"]', '["fr_FR", "xx_YY"]'), "locales[1]",
     "unknown locale"),
    ("bad region", MARKET.replace('rate = "0.20"', 'rate = "0.20"\nregions = ["FR-ZZZ"]'),
     "tax.components[0].regions[0]", "unknown region"),
    ("bad hs code", MARKET + '\n[duty]\n[[duty.rules]]\nhs = "61A9"\nrate = "0.1"\n',
     "duty.rules[0].hs", "invalid HS code"),
    ("overlapping dates", MARKET.replace(
        'rate = "0.20"', 'rate = [{ value = "0.2", from = 2024-01-01 },'
                         ' { value = "0.21", from = 2024-06-01 }]'),
     "tax.components[0].rate", "overlap"),
    ("bad money", MARKET.replace('base = "5.00 EUR"', 'base = "5.00"'),
     "shipping.standard.base", "AMOUNT CURRENCY"),
    ("money in an unknown currency", MARKET.replace('base = "5.00 EUR"', 'base = "5.00 EURO"'),
     "shipping.standard.base", "unknown currency code 'EURO' (found \"5.00 EURO\"); allowed: "
     "an ISO 4217 code such as EUR; did you mean 'EUR'?"),
    ("wrong type", MARKET.replace("days = [2, 4]", 'days = "2-4"'), "shipping.standard.days",
     ""),
    ("bad literal", MARKET.replace('"DDP"', '"CIF"'), "incoterm", "value not allowed"),
    ("missing key", MARKET.replace('name = "Test market"\n', ""), "name", "required"),
    ("default locale not listed", MARKET.replace('default_locale = "fr_FR"',
                                                 'default_locale = "de_DE"'),
     "default_locale", "default_locale"),
    ("DAP with inclusive display", MARKET.replace('"DDP"', '"DAP"'), "incoterm", "DAP needs"),
]


@pytest.mark.parametrize(("text", "key", "fragment"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_each_error_names_file_and_key(tmp_path, text, key, fragment):
    found = problems(write(tmp_path, {"shop.toml": SHOP, "markets/xx.toml": text}))
    assert len(found) == 1, found
    p = found[0]
    assert p.file == "markets/xx.toml"
    assert p.key == key
    assert fragment in str(p)


def test_unknown_key_suggests_the_right_one(tmp_path):
    text = MARKET.replace('incoterm = "DDP"', 'incoterm = "DDP"\nprice_dispaly = "x"')
    (p,) = problems(write(tmp_path, {"shop.toml": SHOP, "markets/xx.toml": text}))
    assert p.suggestion == "price_display"


def test_toml_syntax_error_gives_line_and_column(tmp_path):
    text = MARKET.replace('name = "Test market"', 'name = "Test market')
    (p,) = problems(write(tmp_path, {"shop.toml": SHOP, "markets/xx.toml": text}))
    assert p.file == "markets/xx.toml" and p.line == 2 and p.column is not None
    assert "TOML syntax error" in p.message


def test_not_utf8(tmp_path):
    text = MARKET.replace("Test market", "March\u00e9").encode("latin-1")
    (p,) = problems(write(tmp_path, {"shop.toml": SHOP, "markets/xx.toml": text}))
    assert "UTF-8" in p.message


def test_circular_extends(tmp_path):
    found = problems(write(tmp_path, {
        "shop.toml": SHOP,
        "markets/xx.toml": 'extends = "a"\n' + MARKET,
        "zones/a.toml": 'extends = "b"\n',
        "zones/b.toml": 'extends = "a"\n',
    }))
    assert any("circular extends" in p.message and p.key == "extends" for p in found)


def test_missing_zone_with_suggestion(tmp_path):
    (p,) = problems(write(tmp_path, {"shop.toml": SHOP, "markets/xx.toml":
                                     'extends = "ue"\n' + MARKET, "zones/eu.toml": ""}))
    assert p.key == "extends" and "no zone file zones/ue.toml" in p.message
    assert p.suggestion == "eu"


def test_errors_in_a_zone_name_the_zone(tmp_path):
    found = problems(write(tmp_path, {
        "shop.toml": SHOP,
        "markets/xx.toml": 'extends = "eu"\n' + MARKET,
        "zones/eu.toml": '[duty]\nvaluation = "CFR"\n',
    }))
    assert [(p.file, p.key) for p in found] == [("zones/eu.toml", "duty.valuation")]


def test_market_in_two_files_and_country_twice(tmp_path):
    found = problems(write(tmp_path, {
        "shop.toml": SHOP,
        "markets/xx.toml": MARKET,
        "markets/yy.toml": MARKET,
    }))
    msgs = " | ".join(str(p) for p in found)
    assert "markets/yy.toml" in msgs and "also defined in markets/xx.toml" in msgs


def test_country_served_twice(tmp_path):
    found = problems(write(tmp_path, {
        "shop.toml": SHOP,
        "markets/xx.toml": MARKET,
        "markets/yy.toml": MARKET.replace('id = "xx"', 'id = "yy"'),
    }))
    (p,) = [p for p in found if p.key == "countries[0]"]
    assert p.file == "markets/yy.toml"
    assert "claimed by two markets: markets/xx.toml and markets/yy.toml" in p.message


def test_empty_directory_and_missing_shop(tmp_path):
    found = problems(tmp_path)
    assert {p.file for p in found} == {"shop.toml", "markets/"}


def test_not_a_directory(tmp_path):
    (p,) = problems(tmp_path / "nope")
    assert "not a directory" in p.message


def test_ten_mistakes_give_ten_errors(rules_copy):
    """The issue's acceptance test: ten different mistakes in a copy of the bundled rules."""
    edits = {
        "markets/de.toml": [('currency = "EUR"', 'currency = "EUX"'),
                            ('default_locale = "de_DE"', 'default_locale = "de_DE"\nvat = "x"')],
        "markets/gb.toml": [('rate = "0.20"', 'rate = "20"'),
                            ('countries = ["GB"]', 'countries = ["UK"]')],
        "markets/us.toml": [('hs = "6109"', 'hs = "61O9"'),
                            ('incoterm = "DDP"', 'incoterm = "DPP"')],
        "markets/ca.toml": [('valuation = "FOB"', 'valuation = "FOOB"'),
                            ('max_value = "40.00 CAD"', 'max_value = "40.00"')],
        "markets/jp.toml": [('days = [4, 8]', 'days = [8, 4]'),
                            ('locales = ["ja_JP", "en"]', 'locales = ["ja_JP", "en_XX"]')],
    }
    for name, pairs in edits.items():
        p = rules_copy / name
        text = p.read_text("utf-8")
        for old, new in pairs:
            assert old in text, (name, old)
            text = text.replace(old, new, 1)
        p.write_text(text, "utf-8")
    found = problems(rules_copy)
    assert len(found) == 10, "\n".join(map(str, found))
    assert {p.file for p in found} == set(edits)


# -- round trip: generated valid market definitions survive TOML and the loader ---------------

rates = st.decimals(min_value=0, max_value=1, places=4).map(lambda d: f"{d}")
countries = st.sampled_from(["FR", "IT", "ES", "PT", "NL", "BE", "AT", "IE"])
money = st.decimals(min_value=0, max_value=10000, places=2).map(lambda d: f"{d} EUR")


@st.composite
def market_dicts(draw):
    cs = draw(st.lists(countries, min_size=1, max_size=3, unique=True))
    n_periods = draw(st.integers(min_value=0, max_value=3))
    if n_periods:
        years = sorted(draw(st.lists(st.integers(2000, 2040), min_size=n_periods,
                                     max_size=n_periods, unique=True)))
        rate = [{"value": draw(rates), "from": date(y, 1, 1), "to": date(y, 12, 31)}
                for y in years]
    else:
        rate = draw(rates)
    bands = sorted(draw(st.lists(st.integers(1, 50), min_size=0, max_size=3, unique=True)))
    method = {"name": "Standard", "days": [1, draw(st.integers(1, 9))], "per_kg": draw(money)}
    if bands:
        method["bands"] = [{"up_to_kg": str(b), "price": draw(money)} for b in bands]
    return {
        "id": "xx", "name": draw(st.text(min_size=1, max_size=20)), "countries": cs,
        "currency": "EUR", "locales": ["fr_FR", "en"], "default_locale": "en",
        "price_display": draw(st.sampled_from(["inclusive", "exclusive"])),
        "incoterm": "DDP",
        "pricing": {"fx_markup": draw(rates)},
        "tax": {"components": [{"name": "VAT", "rate": rate,
                                "categories": {"books": draw(rates)}}]},
        "duty": {"valuation": draw(st.sampled_from(["CIF", "FOB"])), "rate": draw(rates),
                 "rules": [{"hs": "6109", "rate": draw(rates)}]},
        "regimes": [{"id": "low", "name": "Low", "max_value": draw(money), "tax": "sale",
                     "duty": "none"}, {"id": "import", "name": "Import", "tax": "import",
                                       "duty": "charged"}],
        "shipping": {"standard": method},
    }


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(market=market_dicts())
def test_generated_markets_round_trip_through_toml(tmp_path, market):
    write(tmp_path, {"shop.toml": SHOP, "markets/xx.toml": tomli_w.dumps(market)})
    loaded = load_rules(tmp_path).market("xx").spec
    assert loaded == MarketSpec.model_validate(tomllib.loads(tomli_w.dumps(market)))
    assert loaded.countries == tuple(market["countries"])
    assert loaded.duty.rules[0].rate.at(date(2020, 1, 1)) == Decimal(market["duty"]["rules"][0]
                                                                       ["rate"])


def test_rule_references_name_the_file_that_supplied_the_key(tmp_path):
    rs = load_rules(write(tmp_path, {
        "shop.toml": SHOP,
        "markets/xx.toml": 'extends = "eu"\n' + MARKET.replace(
            '[shipping.standard]\nname = "Standard"',
            '[shipping.standard]\nname = "Standard (local)"'),
        "zones/eu.toml": 'extends = "base"\n[shipping.standard]\nmax_kg = "30"\n',
        "zones/base.toml": '[duty]\nvaluation = "FOB"\n',
    }))
    m = rs.market("xx")
    assert m.file_of("shipping", "standard", "max_kg") == "zones/eu.toml"
    assert m.file_of("shipping", "standard", "name") == "markets/xx.toml"
    assert m.rule_ref("duty", "valuation") == "zones/base.toml#duty.valuation"
    assert m.rule_ref("tax", "components", 0) == "markets/xx.toml#tax.components[0]"
