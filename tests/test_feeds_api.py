"""GET /v1/feeds/{market} and POST /v1/prices on a real uvicorn server on 127.0.0.1: the feed
is byte for byte the file `pricing feed` writes, prices are the bulk pricer's, every bad row
and bad request is reported with its field, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from conftest_service import DAY, Server, copy_rules

from pricing.engine import Engine
from pricing.feeds.runner import FeedRequest, run_feed
from pricing.service import EngineProvider, create_app

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "catalog" / "products.csv"
LOCALES = ROOT / "locales"


@pytest.fixture(scope="module")
def rules_dir(tmp_path_factory) -> Path:
    return copy_rules(tmp_path_factory.mktemp("feeds-api") / "rules")


@pytest.fixture(scope="module")
def client(rules_dir: Path) -> Iterator[httpx.Client]:
    provider = EngineProvider.from_directory(rules_dir, locales=LOCALES)
    app = create_app(provider, watch_interval=None, feed_catalog=CATALOG)
    with Server(app) as srv, httpx.Client(base_url=srv.url, timeout=60) as c:
        yield c


def _problem(r: httpx.Response, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["code"] == code, body
    return body


def test_the_feed_is_the_file_pricing_feed_writes(client, rules_dir, tmp_path):
    r = client.get("/v1/feeds/de", params={"channel": "google", "locale": "de", "date": DAY})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/tab-separated-values; charset=utf-8"
    assert 'filename="google-de-de_DE.tsv"' in r.headers["content-disposition"]
    engine = Engine.from_directory(rules_dir, locales=LOCALES)
    run_feed(engine, FeedRequest(catalog=CATALOG, markets=("de",), channel="google",
                                 out=tmp_path, on=date.fromisoformat(DAY), locales=("de",)))
    assert r.content == (tmp_path / "google-de-de_DE.tsv").read_bytes()
    assert len(r.text.splitlines()) == 49  # the header and the 48 products
    gb = client.get("/v1/feeds/gb", params={"channel": "meta", "date": DAY})
    assert gb.status_code == 200
    assert gb.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="meta-gb-en_GB.csv"' in gb.headers["content-disposition"]


def test_feed_errors_are_problems(client):
    _problem(client.get("/v1/feeds/xx", params={"channel": "google"}), 404, "unknown-market")
    p = _problem(client.get("/v1/feeds/de", params={"channel": "gogle"}), 422, "invalid-input")
    assert (p["field"], p["suggestion"]) == ("channel", "google")
    p = _problem(client.get("/v1/feeds/de", params={"channel": "csv", "locale": "ja"}), 422,
                 "invalid-request")
    assert (p["field"], p["expected"]) == ("locale", "de_DE, en_DE")
    _problem(client.get("/v1/feeds/de"), 422, "invalid-request")  # no channel
    _problem(client.get("/v1/feeds/de", params={"channel": "csv", "date": "23.11.2026"}), 422,
             "invalid-request")


def _item(sku: str, amount: str, **extra) -> dict:
    return {"sku": sku, "price": {"amount": amount, "currency": "EUR"}, **extra}


def test_prices_with_a_per_row_error_report(client):
    r = client.post("/v1/prices", json={
        "market": "de", "date": DAY, "ship_from": "CN", "items": [
            _item("TEE", "20.00", hs_code="610910"),
            _item("MUG", "12,5"),
            _item("RIFLE", "400.00", hs_code="930120"),
            {"sku": "BOOK", "price": {"amount": "9.99", "currency": "EUR"},
             "weight": {"value": "350", "unit": "g"}, "colour": "red"},
            _item("BOOK-2", "9.99", category="books"),
        ]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["market"], body["currency"], body["priced"], body["failed"]) == (
        "de", "EUR", 2, 3)
    tee, book = body["prices"]
    # Germany, a T-shirt at EUR 20.00 shipped from China (tests/test_bulk.py works it out):
    # 20.99 with the .99 ending, IOSS with the EUR 3 duty per tariff category, VAT 19 % on the
    # duty 0.57: 20.99 + 3.00 + 0.57 = 24.56.
    assert (tee["index"], tee["landed_price"]["amount"], tee["duty"], tee["tax"],
            tee["regime"]) == (0, "24.56", "3.00", "0.57", "ioss")
    assert tee["landed_price"]["formatted"] == "24,56\xa0€"
    assert book["index"] == 4
    errors = {e["index"]: e for e in body["errors"]}
    assert (errors[1]["field"], errors[1]["sku"]) == ("items[1].price.amount", "MUG")
    assert (errors[2]["code"], errors[2]["field"]) == ("restricted-item", "items[2]")
    assert "weapons" in errors[2]["message"]
    assert (errors[3]["field"], errors[3]["message"]) == ("items[3].colour",
                                                          "unknown field 'colour'")


def test_prices_envelope_problems(client):
    _problem(client.post("/v1/prices", json={"market": "xx", "items": [_item("A", "1.00")]}),
             422, "unknown-market")
    _problem(client.post("/v1/prices", json={"market": "de", "items": []}), 422,
             "invalid-request")
    many = [{"sku": f"S{i}", "price": {"amount": "1.00", "currency": "EUR"}}
            for i in range(10_001)]
    p = _problem(client.post("/v1/prices", json={"market": "de", "items": many}), 422,
                 "invalid-request")
    assert p["field"] == "items"


def test_ten_thousand_prices_in_one_call(client):
    items = [{"sku": f"S{i}", "price": {"amount": f"{10 + i / 100:.2f}", "currency": "EUR"}}
             for i in range(10_000)]
    r = client.post("/v1/prices", json={"market": "gb", "date": DAY, "items": items})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["priced"], body["failed"], body["currency"]) == (10_000, 0, "GBP")
    assert [p["sku"] for p in body["prices"][:2]] == ["S0", "S1"]
