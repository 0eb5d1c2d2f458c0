"""Exchange rates: the ECB format, merchant files, cross rates, provenance, live fallback."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pricing import MissingRateError, Money, RatesError, RateTable, bundled_rates, load_rates_file
from pricing.fx import LiveRates, parse_ecb_xml
from pricing.money import minor_unit

ECB = """<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"
 xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
 <gesmes:subject>Reference rates</gesmes:subject>
 <Cube><Cube time='2025-01-02'>
  <Cube currency='USD' rate='1.0350'/><Cube currency='JPY' rate='163.50'/>
 </Cube></Cube></gesmes:Envelope>"""


def test_bundled_snapshot_is_the_ecb_file_with_its_date():
    t = bundled_rates()
    # ECB euro reference rates of 2024-06-28: USD 1.0705, JPY 171.94, GBP 0.84638.
    assert t.base == "EUR" and t.as_of == date(2024, 6, 28)
    assert t.rates["USD"] == Decimal("1.0705")
    assert t.rates["JPY"] == Decimal("171.94")
    assert t.rates["GBP"] == Decimal("0.84638")
    # AED pegged at 3.6725 per USD: 1.0705 * 3.6725 = 3.93141125 per EUR.
    assert t.rates["AED"] == Decimal("3.93141125")
    assert "BGN" not in t.rates  # retired with Bulgaria's euro adoption on 2026-01-01


def test_ecb_xml():
    t = parse_ecb_xml(ECB)
    assert t.as_of == date(2025, 1, 2)
    assert t.rate("EUR", "USD").rate == Decimal("1.0350")
    # USD -> JPY through the euro: 163.50 / 1.0350 = 157.971014493 (12 significant digits)
    r = t.rate("USD", "JPY")
    assert r.rate == Decimal("157.971014493")
    assert (r.source, r.as_of) == ("ECB", date(2025, 1, 2))


def test_ecb_skips_currencies_replaced_by_the_euro_but_not_typos():
    bgn = ECB.replace("<Cube currency='JPY'",
                      "<Cube currency='BGN' rate='1.9558'/><Cube currency='JPY'")
    assert "BGN" not in parse_ecb_xml(bgn).rates
    with pytest.raises(RatesError, match="unknown currency 'USX'"):
        parse_ecb_xml(ECB.replace("'USD'", "'USX'"))


def test_conversion_rounds_to_the_target_minor_unit():
    t = parse_ecb_xml(ECB)
    # 10.00 EUR * 163.50 = 1635 JPY exactly; 9.99 EUR * 163.50 = 1633.365 -> 1633 JPY
    assert t.convert(Money.of("10.00", "EUR"), "JPY") == Money(Decimal(1635), "JPY")
    assert t.convert(Money.of("9.99", "EUR"), "JPY") == Money(Decimal(1633), "JPY")


def test_csv_and_json_files(tmp_path):
    csv = tmp_path / "rates.csv"
    csv.write_text("# our bank's rates\nbase,date,currency,rate\nEUR,2025-02-03,USD,1.02\n"
                   "EUR,2025-02-03,GBP,0.83\n")
    t = load_rates_file(csv)
    assert t.rates["GBP"] == Decimal("0.83") and t.as_of == date(2025, 2, 3)
    js = tmp_path / "rates.json"
    js.write_text('{"base": "USD", "date": "2025-02-03", "rates": {"EUR": "0.98"}}')
    t = load_rates_file(js)
    assert t.base == "USD" and t.rate("USD", "EUR").rate == Decimal("0.98")
    assert t.source == "file:rates.json"


@pytest.mark.parametrize(("content", "fragment"), [
    ("", "empty"),
    ("<nope", "not well-formed"),
    ("<a/>", "not an ECB"),
    ('{"base": "EUR", "date": "2025-01-01", "rates": {}}', "no currency"),
    ('{"base": "EUR", "date": "2025-01-01", "rates": {"USD": "0"}}', "positive"),
    ('{"base": "EUR", "date": "2025-01-01", "rates": {"USD": "-1.1"}}', "positive"),
    ('{"base": "EUR", "date": "2025-01-01", "rates": {"USD": "abc"}}', "not a number"),
    ('{"base": "EUR", "date": "2025-01-01", "rates": {"USD": 1.1}}', "decimal string"),
    ('{"base": "EUR", "date": "2025-01-01", "rates": {"XYZ": "1.1"}}', "unknown currency"),
    ('{"base": "EUR", "date": "yesterday", "rates": {"USD": "1.1"}}', "bad date"),
    ('{"base": "EUR", "date": "2025-01-01", "rates": {"USD": "1e12"}}', "implausible"),
    ("{broken", "invalid JSON"),
    ("currency,rate\nUSD,1.1\n", "missing column"),
])
def test_bad_rates_files_name_the_problem(tmp_path, content, fragment):
    p = tmp_path / "rates.txt"
    p.write_text(content)
    with pytest.raises(RatesError, match=fragment):
        load_rates_file(p)


def test_missing_currency_names_it():
    t = parse_ecb_xml(ECB)
    with pytest.raises(MissingRateError) as e:
        t.rate("EUR", "CHF")
    assert e.value.value == "CHF"


def test_live_rates_keep_the_last_good_table_on_failure():
    good = parse_ecb_xml(ECB)

    def down(base):
        raise ConnectionError("service unavailable")

    live = LiveRates(good, fetch=down)
    warning = live.refresh(today=date(2025, 1, 3))
    assert "failed" in warning and live.table is good

    def slow(base):
        time.sleep(2)
        return {"USD": "1.1"}

    live = LiveRates(good, fetch=slow, timeout=0.05)
    assert "timed out" in live.refresh(today=date(2025, 1, 3))
    assert live.table is good

    live = LiveRates(good, fetch=lambda base: {"USD": "0"})
    assert "rejected" in live.refresh(today=date(2025, 1, 3)) and live.table is good

    live = LiveRates(good, fetch=lambda base: {"USD": "1.0400", "JPY": "160.1"})
    assert live.refresh(today=date(2025, 1, 3)) is None
    assert live.table.rates["USD"] == Decimal("1.0400")
    assert live.table.as_of == date(2025, 1, 3)


TABLE = bundled_rates()
codes = st.sampled_from(sorted(TABLE.rates))


@given(codes, codes, st.integers(min_value=1, max_value=10**9))
def test_round_trip_within_documented_tolerance(a, b, units):
    """A -> B -> A is within half a unit of A plus half a unit of B converted back, rounded
    up to A's minor unit (docs/calculation.md, "Conversion")."""
    x = Money((units * minor_unit(a)).quantize(minor_unit(a)), a)
    there = TABLE.convert(x, b)
    back = TABLE.convert(there, a)
    tolerance = minor_unit(a) / 2 + (minor_unit(b) / 2) * TABLE.rate(b, a).rate
    # The 12-digit cross rate adds a relative error of at most 1e-11 each way.
    tolerance += x.amount * Decimal("2e-11") * 2
    assert abs(back.amount - x.amount) <= tolerance + minor_unit(a)


def test_rate_table_is_immutable():
    t = RateTable.from_mapping({"USD": "1.1"}, base="EUR", as_of=date(2025, 1, 1), source="t")
    with pytest.raises(TypeError):
        t.rates["USD"] = Decimal(2)  # type: ignore[index]
