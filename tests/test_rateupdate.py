"""New rates checked against the markets and written atomically; the markets a table misses,
at update time, on /readyz and in the CLI."""

from __future__ import annotations

import json
import shutil
from datetime import date
from decimal import Decimal

import httpx
import pytest
from conftest import RULES
from conftest_service import Server, copy_rules
from ecb_server import ECB_DAILY, Answer, EcbServer
from hypothesis import HealthCheck, given, settings

from pricing import Engine, RatesError, bundled_rates, load_rates_file, load_rules
from pricing.api.app import create_app
from pricing.api.provider import EngineProvider
from pricing.cli import main
from pricing.rateupdate import (
    RateGap,
    describe_table,
    rate_gaps,
    unpriced_markets,
    update_rates,
    write_rates_json,
)
from pricing.testing import quote_requests

RULESET = load_rules(RULES)
TODAY = date(2026, 11, 2)
#: A rates file from before the snapshot starts (2024-03-02): the ECB history and the pegs
#: cover its day, nothing covers UAH, KZT, NGN, ...
OLD = '{"base": "EUR", "date": "2023-05-02", "rates": {"USD": "1.0965"}}'


@pytest.fixture(scope="module")
def ecb() -> EcbServer:
    with EcbServer({"/daily.xml": Answer(ECB_DAILY),
                    "/down": Answer(b"busy", status=503, content_type="text/plain")}) as srv:
        yield srv


@pytest.fixture(scope="module")
def bundled_engine() -> Engine:
    return Engine(RULESET)  # the bundled rates, as `pricing serve` uses them


# -- the bundled rates price every bundled market, offline ---------------------------------------

def test_the_bundled_rates_price_every_bundled_market(bundled_engine):
    assert rate_gaps(RULESET, bundled_rates()) == ()
    assert unpriced_markets(bundled_engine) == []


@given(request=quote_requests(RULESET, on=TODAY))
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_bundled_market_quotes_with_the_bundled_rates(bundled_engine, request):
    quote = bundled_engine.quote(request)  # a MissingRateError would fail here
    assert quote.fx["to"] == quote.currency


def test_gaps_name_market_and_currency(tmp_path):
    p = tmp_path / "old.json"
    p.write_text(OLD)
    gaps = rate_gaps(RULESET, load_rates_file(p))
    assert RateGap("ua", "UAH") in gaps and RateGap("kz", "KZT") in gaps
    assert not any(g.market in ("ae", "de", "gb", "sa") for g in gaps)  # pegs, ECB


# -- update: what the new table holds, said per market, then written atomically -----------------

def test_update_from_the_ecb_names_the_markets_of_pegged_and_older_rates(ecb, tmp_path):
    out = tmp_path / "rates.json"
    report = update_rates("ecb", out, rules=RULESET, url=ecb.url + "/daily.xml", today=TODAY)
    assert report.written and report.gaps == ()
    t = report.table
    assert t.as_of == date(2026, 10, 30) and t.rates["USD"] == Decimal("1.1172")
    pegs, snapshot = report.warnings
    assert pegs.startswith("AED (market ae), ") and "SAR (market sa)" in pegs
    assert "XOF (markets ci, sn)" in pegs and "not in the ECB rates of 2026-10-30: the " \
        "official pegs give them" in pegs
    # The snapshot day is 2026-09-29: 31 days before the ECB file.
    assert "UAH (market ua)" in snapshot and "KZT (market kz)" in snapshot
    assert snapshot.endswith("the fawazahmed0 currency-api rates of 2026-09-29 are used, "
                             "31 days older")
    assert load_rates_file(out) == t  # what was written reads back the same


def test_strict_update_refuses_a_table_that_leaves_markets_unpriced(tmp_path):
    src = tmp_path / "old.json"
    src.write_text(OLD)
    out = tmp_path / "rates.json"
    out.write_text("previous")
    with pytest.raises(RatesError, match="no exchange rate for UAH: market ua cannot be quoted"):
        update_rates(str(src), out, rules=RULESET, strict=True)
    assert out.read_text() == "previous"
    report = update_rates(str(src), out, rules=RULESET)
    assert report.written and RateGap("ua", "UAH") in report.gaps
    assert "no exchange rate for UAH: market ua cannot be quoted; add it to the rates file" \
        in report.warnings


def test_a_failed_fetch_or_write_leaves_the_output_as_it_was(ecb, tmp_path):
    out = tmp_path / "rates.json"
    out.write_text("previous")
    with pytest.raises(RatesError, match="HTTP 503"):
        update_rates("ecb", out, url=ecb.url + "/down")
    assert out.read_text() == "previous"
    with pytest.raises(RatesError, match=r"cannot write .*missing.*left unchanged"):
        write_rates_json(bundled_rates(), tmp_path / "missing" / "rates.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rates.json"]  # no temporary left


def test_describe_table_says_where_each_rate_comes_from():
    lines = describe_table(bundled_rates(), today=bundled_rates().as_of)
    assert lines[0].startswith(f"ECB, base EUR, as of {bundled_rates().as_of} (0 days old), ")
    assert any(line.startswith("  1 EUR = 655.957 XOF  (peg 655.957 XOF/EUR (BCEAO), ")
               for line in lines)


# -- the command line ---------------------------------------------------------------------------

def test_cli_update_from_the_ecb(ecb, tmp_path, capsys):
    out = tmp_path / "rates.json"
    assert main(["rates", "update", "--from", "ecb", "--url", ecb.url + "/daily.xml",
                 "--output", str(out), "--rules", str(RULES)]) == 0
    o, err = capsys.readouterr()
    assert o.startswith("ok: wrote ") and "(ECB, 2026-10-30)" in o
    assert "warning: AED (market ae)" in err and "UAH (market ua)" in err
    assert json.loads(out.read_text())["date"] == "2026-10-30"


def test_cli_update_failures_are_one_line_and_exit_1(ecb, tmp_path, capsys):
    out = tmp_path / "rates.json"
    assert main(["rates", "update", "--from", "ecb", "--url", ecb.url + "/down",
                 "--output", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "answered HTTP 503" in err and "Traceback" not in err
    src = tmp_path / "old.json"
    src.write_text(OLD)
    assert main(["rates", "update", "--from", str(src), "--output", str(out), "--rules",
                 str(RULES), "--strict"]) == 1
    assert "market ua cannot be quoted" in capsys.readouterr().err and not out.exists()


def test_cli_quotes_and_shows_the_bundled_rates_of_a_day(tmp_path, capsys):
    """A request dated Sunday 2025-01-05 is quoted at the ECB rates of Friday 2025-01-03
    (GBP 0.82993 per EUR), today as on any later day."""
    req = tmp_path / "req.json"
    req.write_text(json.dumps({"destination": {"country": "GB"}, "date": "2025-01-05",
                               "items": [{"sku": "A", "quantity": 1,
                                          "price": {"amount": "20.00", "currency": "EUR"}}]}))
    rules = copy_rules(tmp_path / "rules")
    assert main(["quote", "--rules", str(rules), str(req)]) == 0
    fx = json.loads(capsys.readouterr().out)["fx"]
    assert (fx["rate"], fx["as_of"], fx["source"]) == ("0.82993", "2025-01-03", "ECB")
    assert main(["rates", "show", "--date", "2025-01-05"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ECB, base EUR, as of 2025-01-03 ") and "1 EUR = 0.82993 GBP" in out
    assert main(["rates", "show", "--date", "yesterday"]) == 2
    assert "'yesterday' is not a date" in capsys.readouterr().err
    assert main(["rates", "show", "--date", "1998-12-31"]) == 1
    assert "no exchange rates before 1999-01-04" in capsys.readouterr().err


# -- /readyz on a real server ---------------------------------------------------------------------

def test_readyz_reports_the_markets_the_rates_cannot_price(tmp_path):
    rules = copy_rules(tmp_path / "rules")
    shutil.copy(RULES / "markets" / "ua.toml", rules / "markets" / "ua.toml")
    rates = tmp_path / "old.json"
    rates.write_text(OLD)
    provider = EngineProvider.from_directory(rules, rates=rates)
    app = create_app(provider, quote_key="k" * 32, watch_interval=None)
    with Server(app) as srv, httpx.Client(base_url=srv.url, timeout=30) as c:
        ready = c.get("/readyz")
        assert ready.status_code == 200
        body = ready.json()
        assert body["status"] == "degraded"
        assert [(u["market"], u["currency"]) for u in body["unpriced_markets"]] == [
            ("ua", "UAH")]
        r = c.post("/v1/quotes", json={"destination": {"country": "UA"}, "items": [
            {"sku": "A", "quantity": 1, "price": {"amount": "20.00", "currency": "EUR"}}]})
        assert r.status_code == 422 and r.json()["code"] == "missing-rate"
    # With the bundled rates every market is priced and the service says ready.
    provider = EngineProvider.from_directory(rules)
    with Server(create_app(provider, quote_key="k" * 32, watch_interval=None)) as srv:
        body = httpx.get(srv.url + "/readyz", timeout=30).json()
        assert body["status"] == "ready" and body["unpriced_markets"] == []
