"""Where rates come from: the ECB history by date, official pegs, the snapshot, the ECB fetch."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from conftest_service import copy_rules
from ecb_server import ECB_DAILY, Answer, EcbServer

from pricing import Engine, RatesError, bundled_history, load_rules
from pricing.ratesources import (
    bundled_pegs,
    fetch_ecb_daily,
    parse_pegs,
    parse_rate_series,
)

HISTORY = bundled_history()


# -- the ECB history: a quote dated D uses the last ECB business day on or before D -------------

@pytest.mark.parametrize(("day", "ecb_day"), [
    (date(2026, 10, 30), date(2026, 10, 30)),  # a Friday: its own rates
    (date(2026, 11, 1), date(2026, 10, 30)),   # the Sunday after
    (date(2025, 12, 25), date(2025, 12, 24)),  # Christmas, a TARGET holiday: no fixing
    (date(2025, 12, 26), date(2025, 12, 24)),  # Boxing Day, also closed
    (date(1999, 1, 4), date(1999, 1, 4)),      # the first fixing
])
def test_the_ecb_day_of_a_date(day, ecb_day):
    assert HISTORY.day_on(day) == ecb_day
    assert HISTORY.table_on(day) is HISTORY.table_on(ecb_day)  # built once, kept


def test_no_rates_before_the_euro():
    with pytest.raises(RatesError, match="no exchange rates before 1999-01-04") as e:
        HISTORY.table_on(date(1998, 12, 31))
    assert e.value.field == "date"


def test_a_past_quote_says_which_ecb_day_it_used(tmp_path):
    """Reproducible past quotes: the same request dated Sunday 2025-01-05 uses the rates of
    Friday 2025-01-03, whenever it is quoted (ECB: GBP 0.82993 per EUR that day)."""
    rules = load_rules(copy_rules(tmp_path / "rules"))
    day = date(2025, 1, 5)
    engine = Engine(rules, rates=HISTORY.table_on(day), clock=lambda: day)
    quote = engine.quote({"destination": {"country": "GB"}, "market": "gb", "items": [
        {"sku": "A", "quantity": 1, "price": {"amount": "20.00", "currency": "EUR"}}]})
    assert quote.fx["as_of"] == "2025-01-03" and quote.fx["rate"] == "0.82993"
    assert quote.fx["source"] == "ECB"


def test_the_snapshot_is_used_from_its_own_day_and_not_before():
    # @fawazahmed0/currency-api@2024.3.2 is the first snapshot: UAH 42.10... per EUR.
    assert "UAH" not in HISTORY.table_on(date(2024, 3, 1)).rates
    t = HISTORY.table_on(date(2024, 3, 4))
    assert t.origin("UAH").as_of == date(2024, 3, 2)
    # A table never uses a snapshot newer than its ECB day: Sunday 2024-03-17 uses Friday's
    # ECB rates and so the snapshot of 2024-03-02, not the one of 2024-03-16 (a Saturday).
    assert HISTORY.table_on(date(2024, 3, 17)).origin("UAH").as_of == date(2024, 3, 2)
    assert HISTORY.table_on(date(2024, 3, 18)).origin("UAH").as_of == date(2024, 3, 16)


def test_a_peg_applies_from_its_first_day():
    # The Caribbean guilder replaced the Antillean guilder on 2025-03-31 at 1.79 per USD.
    assert "XCG" not in HISTORY.table_on(date(2025, 3, 28)).rates
    t = HISTORY.table_on(date(2025, 3, 31))
    assert t.rate("USD", "XCG").rate == Decimal("1.79") and t.rate("USD", "XCG").fixed


def test_bundled_pegs_cite_their_authority_and_cover_the_gulf():
    pegs = {p.currency: p for p in bundled_pegs()}
    assert {"AED", "SAR", "BHD", "OMR", "JOD", "QAR", "BAM", "XOF", "XAF"} <= set(pegs)
    assert all(p.authority and p.reference for p in pegs.values())
    assert pegs["BHD"].parity == Decimal("0.376") and pegs["BHD"].anchor == "USD"
    assert pegs["BAM"].parity == Decimal("1.95583") and pegs["BAM"].anchor == "EUR"
    # 1 KYD = 1.20 USD: 1 / 1.2 = 0.833333333333 KYD per USD (12 digits).
    assert pegs["KYD"].parity == Decimal("0.833333333333")


HEADER = "currency,anchor,parity,since,authority,reference\n"


@pytest.mark.parametrize(("row", "fragment"), [
    ("AED,USX,3.6725,1999-01-04,a,b", "unknown currency 'USX'"),
    ("AED,USD,abc,1999-01-04,a,b", "bad parity"),
    ("AED,USD,0,1999-01-04,a,b", "bad parity"),
    ("AED,USD,1/0,1999-01-04,a,b", "bad parity"),
    ("AED,USD,3.6725,yesterday,a,b", "bad date"),
    ("AED,USD,3.6725,1999-01-04,a,b\nAED,USD,3.67,1999-01-04,a,b", "pegged twice"),
    ("AED,AED,1,1999-01-04,a,b", "to itself"),
])
def test_bad_pegs_name_the_row(row, fragment):
    with pytest.raises(RatesError, match=fragment):
        parse_pegs(HEADER + row + "\n")


@pytest.mark.parametrize(("text", "fragment"), [
    ("", "no header"),
    ("USD,JPY\n", "no header"),
    ("Date,USD,XYZ\n2025-01-02,1.03,1\n", "unknown currency column 'XYZ'"),
    ("Date,USD\n02/01/2025,1.03\n", "line 2: bad date"),
    ("Date,USD\n2025-01-02,1.03\n2025-01-02,1.04\n", "a day appears twice"),
])
def test_bad_rate_series_name_the_problem(text, fragment):
    with pytest.raises(RatesError, match=fragment):
        parse_rate_series(text, source="test")


def test_a_series_skips_retired_currencies_and_missing_cells():
    s = parse_rate_series("Date,USD,CYP,GBP,\n2007-01-02,1.3270,0.5782,N/A,\n", source="test")
    assert s.on(date(2007, 1, 2)) == (date(2007, 1, 2), {"USD": "1.3270"})
    assert s.on(date(2007, 1, 1)) is None


# -- the ECB's daily file over HTTP: a real server on 127.0.0.1 ----------------------------------

BIG = b"<x>" + b" " * (300 * 1024) + b"</x>"
#: A well-formed ECB file with one currency: a truncated or hand-cut file, not the ECB's.
FEW = (b'<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" '
       b'xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref"><Cube>'
       b"<Cube time='2026-10-30'><Cube currency='USD' rate='1.1172'/></Cube></Cube>"
       b"</gesmes:Envelope>")




def _ecb_with(currencies: int) -> bytes:
    """The ECB file of 2026-10-30 cut to its first ``currencies`` rates (USD first)."""
    lines = ECB_DAILY.splitlines(keepends=True)
    rates = [i for i, ln in enumerate(lines) if b"<Cube currency=" in ln]
    drop = set(rates[currencies:])
    return b"".join(ln for i, ln in enumerate(lines) if i not in drop)


def _ecb_of_size(size: int) -> bytes:
    """The ECB file padded with trailing whitespace (allowed after an XML document) to
    ``size`` bytes."""
    return ECB_DAILY + b" " * (size - len(ECB_DAILY))


@pytest.fixture(scope="module")
def ecb() -> EcbServer:
    routes = {
        "/daily.xml": Answer(ECB_DAILY),
        "/slow.xml": Answer(ECB_DAILY, delay=3),
        "/drip.xml": Answer(ECB_DAILY, chunks=40, pause=0.05),
        "/big.xml": Answer(BIG),
        "/page.html": Answer(b"<html><body>Maintenance</body></html>", content_type="text/html"),
        "/few.xml": Answer(FEW),
        "/twenty.xml": Answer(_ecb_with(20)), "/nineteen.xml": Answer(_ecb_with(19)),
        "/256k.xml": Answer(_ecb_of_size(256 * 1024)),
        "/256k-and-1.xml": Answer(_ecb_of_size(256 * 1024 + 1)),
        "/down": Answer(b"busy", status=503, content_type="text/plain"),
    }
    with EcbServer(routes) as srv:
        yield srv


def test_fetch_reads_the_ecb_daily_file(ecb):
    t = fetch_ecb_daily(ecb.url + "/daily.xml", today=date(2026, 11, 2))
    # The ECB's rates of 2026-10-30, as published: 29 currencies.
    assert t.as_of == date(2026, 10, 30) and t.source == "ECB" and len(t.rates) == 30
    assert t.rates["USD"] == Decimal("1.1172") and t.rates["GBP"] == Decimal("0.83380")


@pytest.mark.parametrize(("path", "timeout", "fragment"), [
    ("/slow.xml", 0.5, "timed out"),          # no answer within the timeout
    ("/drip.xml", 0.5, "timed out"),          # answers, but too slowly in all
    ("/big.xml", 5, "more than 256 kB"),
    ("/page.html", 5, "not an ECB reference-rates file"),
    ("/few.xml", 5, "only 1 currency"),
    ("/down", 5, "answered HTTP 503"),
    ("/missing.xml", 5, "answered HTTP 404"),
])
def test_fetch_refuses_what_is_not_a_good_ecb_file(ecb, path, timeout, fragment):
    with pytest.raises(RatesError, match=fragment) as e:
        fetch_ecb_daily(ecb.url + path, timeout=timeout, today=date(2026, 11, 2))
    assert e.value.field == "url"


def test_fetch_takes_a_file_at_each_of_its_limits(ecb):
    # "at least 20 currencies including USD" (the ECB publishes about 30); "more than 256 kB"
    # is refused, so exactly 256 kB is not; a file dated the day after today is taken, two
    # days after is refused (test_fetch_refuses_a_file_dated_after_today).
    assert len(fetch_ecb_daily(ecb.url + "/twenty.xml", today=date(2026, 11, 2)).rates) == 21
    with pytest.raises(RatesError, match="only 19 currencies"):
        fetch_ecb_daily(ecb.url + "/nineteen.xml", today=date(2026, 11, 2))
    assert fetch_ecb_daily(ecb.url + "/256k.xml", today=date(2026, 11, 2)).rates["USD"] == (
        Decimal("1.1172"))
    with pytest.raises(RatesError, match="more than 256 kB"):
        fetch_ecb_daily(ecb.url + "/256k-and-1.xml", today=date(2026, 11, 2))
    assert fetch_ecb_daily(ecb.url + "/daily.xml", today=date(2026, 10, 29)).as_of == date(
        2026, 10, 30)


def test_fetch_refuses_a_file_dated_after_today(ecb):
    with pytest.raises(RatesError, match="dated 2026-10-30, after today"):
        fetch_ecb_daily(ecb.url + "/daily.xml", today=date(2026, 10, 28))


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/x.xml", "ecb"])
def test_fetch_takes_http_urls_only(url):
    with pytest.raises(RatesError, match="must be http"):
        fetch_ecb_daily(url)


def test_fetch_names_an_unreachable_host():
    # A port on the loopback that nothing listens on: refused at once, no network involved.
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(RatesError, match="failed"):
        fetch_ecb_daily(f"http://127.0.0.1:{port}/daily.xml", timeout=2)
