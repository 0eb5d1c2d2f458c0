"""The preview page's routes and JSON endpoints against a real uvicorn server on 127.0.0.1.

The page itself is tested in a browser by tests/test_preview_browser.py; these tests check
what the service sends it: the files and their headers, the product list, sample carts,
regions, labels and the rule files' status in plain words.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest_service import DAY, Server, copy_rules
from test_service import assert_problem

from pricing.api.preview import STATIC_DIR, preview_enabled
from pricing.errors import InvalidInputError
from pricing.service import EngineProvider, create_app

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def rules_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rules = copy_rules(tmp_path_factory.mktemp("preview") / "rules")
    # us: a market that taxes by region (state sales tax)
    shutil.copy(ROOT / "rules" / "markets" / "us.toml", rules / "markets" / "us.toml")
    return rules


@pytest.fixture(scope="module")
def catalog_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three products and a German title for one of them; the shipped labels."""
    locales = tmp_path_factory.mktemp("locales")
    for lang in ("ar", "de"):
        labels = locales / lang / "LC_MESSAGES"
        labels.mkdir(parents=True)
        shutil.copy(ROOT / "locales" / lang / "LC_MESSAGES" / "labels.po", labels)
    (locales / "products.csv").write_text(
        "sku,title,description,price,currency,hs_code,origin,category,weight\n"
        'TEE-1,"Organic T-shirt","Crew neck",29.90,EUR,610910,PT,clothing,0.18\n'
        'BOOK-1,"Cookbook","Hardcover",35.00,EUR,490199,DE,books,0.9\n'
        'MUG-1,"Stoneware mug","Glazed",12.00,EUR,691200,PT,,0.4\n', "utf-8")
    po = locales / "de" / "LC_MESSAGES" / "products.po"
    po.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
                  '"Language: de\\n"\n\n'
                  'msgctxt "TEE-1|title"\nmsgid "Organic T-shirt"\nmsgstr "Bio-T-Shirt"\n',
                  "utf-8")
    return locales


@pytest.fixture(scope="module")
def client(rules_dir: Path, catalog_dir: Path) -> Iterator[httpx.Client]:
    provider = EngineProvider.from_directory(rules_dir, locales=catalog_dir)
    with Server(create_app(provider, watch_interval=None)) as srv, httpx.Client(
            base_url=srv.url, timeout=30) as c:
        yield c


# -- the page and its files --------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/preview"])
def test_the_page_is_served_with_a_strict_content_security_policy(client, path):
    r = client.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.content == (STATIC_DIR / "index.html").read_bytes()
    csp = r.headers["content-security-policy"]
    # Only the service's own files and API: no CDN, no inline script, no third party.
    assert "script-src 'self'" in csp and "connect-src 'self'" in csp
    assert "unsafe-inline" not in csp and "http" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert client.head(path).status_code == 200


def test_the_page_loads_only_files_the_service_serves(client):
    html = client.get("/").text
    for name, kind in [("preview.css", "text/css"), ("preview.js", "javascript"),
                       ("amounts.js", "javascript"), ("api.js", "javascript"),
                       ("waterfall.js", "javascript")]:
        r = client.get(f"/preview/assets/{name}")
        assert r.status_code == 200, name
        assert kind in r.headers["content-type"]
    assert "preview/assets/preview.js" in html
    # No build step and nothing from elsewhere: every script and sheet is a relative URL.
    for text in [html, *(p.read_text("utf-8") for p in STATIC_DIR.iterdir())]:
        assert "https://" not in text and "http://" not in text.replace(
            "http://www.w3.org/2000/svg", "")


def test_assets_outside_the_folder_are_not_served(client):
    for path in ("/preview/assets/../app.py", "/preview/assets/%2e%2e/app.py",
                 "/preview/assets/nope.js"):
        r = client.get(path)
        assert r.status_code == 404, path
        assert "Traceback" not in r.text


def test_the_page_can_be_turned_off(rules_dir):
    app = create_app(EngineProvider.from_directory(rules_dir), watch_interval=None,
                     preview=False)
    with Server(app) as srv, httpx.Client(base_url=srv.url) as c:
        assert_problem(c.get("/"), 404, code="not-found")
        assert_problem(c.get("/preview/assets/preview.js"), 404)
        assert c.get("/v1/markets/us/regions").status_code == 200  # the API stays


@pytest.mark.parametrize(("value", "on"), [(None, True), ("", True), ("on", True), ("1", True),
                                           ("off", False), ("0", False), ("FALSE", False)])
def test_pricing_preview_setting(value, on):
    assert preview_enabled(value) is on


def test_a_mistyped_pricing_preview_setting_is_an_error():
    with pytest.raises(InvalidInputError) as err:
        preview_enabled("of")
    assert err.value.field == "PRICING_PREVIEW"


# -- products ----------------------------------------------------------------------------------

def test_products_are_listed_in_the_locale_asked(client):
    data = client.get("/v1/products", params={"market": "de", "locale": "de_DE"}).json()
    assert data["catalog"] is True and data["total"] == 3
    titles = {p["sku"]: (p["title"], p["title_locale"]) for p in data["products"]}
    # TEE-1 has a German title in de/products.po; the others fall back to the source text.
    assert titles == {"TEE-1": ("Bio-T-Shirt", "de"), "BOOK-1": ("Cookbook", "en"),
                      "MUG-1": ("Stoneware mug", "en")}
    tee = next(p for p in data["products"] if p["sku"] == "TEE-1")
    assert tee["price"] == {"amount": "29.90", "currency": "EUR"}
    assert tee["weight"] == {"value": "0.18", "unit": "kg"}


def test_products_search_and_pages(client):
    found = client.get("/v1/products", params={"q": "BOOK"}).json()
    assert [p["sku"] for p in found["products"]] == ["BOOK-1"]
    # words match the localized title too, case-insensitively
    found = client.get("/v1/products", params={"q": "bio", "locale": "de"}).json()
    assert [p["sku"] for p in found["products"]] == ["TEE-1"]
    page = client.get("/v1/products", params={"limit": 2, "offset": 2}).json()
    assert page["total"] == 3 and [p["sku"] for p in page["products"]] == ["MUG-1"]


def test_products_bad_queries_are_problems(client):
    p = assert_problem(client.get("/v1/products", params={"market": "dee"}), 404,
                       field="market", code="unknown-market")
    assert p["suggestion"] == "de"
    assert_problem(client.get("/v1/products", params={"locale": "xx-!"}), 422, field="locale")
    # FastAPI's query validation: problems.py names the place "query.<name>"
    assert_problem(client.get("/v1/products", params={"limit": 0}), 422, field="query.limit")
    assert_problem(client.get("/v1/products", params={"limit": "ten"}), 422,
                   field="query.limit")


def test_products_without_a_catalog_are_an_empty_list(rules_dir, tmp_path):
    app = create_app(EngineProvider.from_directory(rules_dir, locales=None),
                     watch_interval=None)
    with Server(app) as srv, httpx.Client(base_url=srv.url) as c:
        data = c.get("/v1/products").json()
    assert (data["catalog"], data["total"], data["products"]) == (False, 0, [])


# -- sample carts ------------------------------------------------------------------------------

def test_gb_samples_fall_on_both_sides_of_the_gbp_135_threshold(client):
    """HMRC: consignments up to GBP 135 have VAT charged at the sale and no customs duty
    (rules/markets/gb.toml, regime low-value); over it they are imports."""
    data = client.get("/v1/markets/gb/samples", params={"date": DAY}).json()
    assert data["market"] == "gb" and data["date"] == DAY and data["refused"] == []
    by_id = {c["id"]: c for c in data["carts"]}
    assert by_id["below-low-value"]["regime"]["id"] == "low-value"
    assert by_id["above-low-value"]["regime"]["id"] == "import"
    # The catalog's cheapest product, 12.00 EUR, alone.
    assert by_id["single"]["items"][0]["sku"] == "MUG-1"


def test_each_sample_quotes_as_the_regime_it_names(client):
    for market in ("de", "gb", "us"):
        data = client.get(f"/v1/markets/{market}/samples", params={"date": DAY}).json()
        assert data["carts"], market
        for cart in data["carts"]:
            r = client.post("/v1/quotes", json=cart["request"])
            assert r.status_code == 200, (market, cart["id"], r.text)
            assert r.json()["regime"]["id"] == cart["regime"]["id"], (market, cart["id"])


def test_de_samples_ship_threshold_carts_from_outside_the_eu(client):
    """A German shop's parcel to Germany is no import; the EUR 150 IOSS limit is only seen on
    parcels from outside the EU customs territory, so those samples ship from outside it."""
    carts = client.get("/v1/markets/de/samples", params={"date": DAY}).json()["carts"]
    below = next(c for c in carts if c["id"] == "below-ioss")
    assert below["ship_from"] == "CN" and below["request"]["ship_from"] == "CN"
    assert next(c for c in carts if c["id"] == "single")["regime"]["id"] == "domestic"


def test_samples_bad_input(client):
    assert_problem(client.get("/v1/markets/zz/samples"), 404, field="market",
                   code="unknown-market")
    for day in ("2026-02-30", "23/11/2026", "20261123", "0", ""):
        p = assert_problem(client.get("/v1/markets/de/samples", params={"date": day}), 422,
                           field="query.date")
        assert p["expected"].startswith("YYYY-MM-DD")


# -- regions, labels ---------------------------------------------------------------------------

def test_regions_of_a_market_that_taxes_by_state(client):
    data = client.get("/v1/markets/us/regions").json()
    assert data["requires_region"] is True
    regions = {r["code"]: r for r in data["regions"]}
    # rules/markets/us.toml names California's 7.25 % statewide rate; Oregon has none.
    assert regions["US-CA"] == {"code": "US-CA", "name": "California", "country": "US",
                                "taxed": True}
    assert regions["US-OR"]["taxed"] is False
    assert client.get("/v1/markets/de/regions").json()["requires_region"] is False


def test_labels_in_arabic_are_right_to_left(client):
    data = client.get("/v1/labels", params={"locale": "ar_SA"}).json()
    assert data["direction"] == "rtl" and data["locale"] == "ar_SA"
    # locales/ar/LC_MESSAGES/labels.po
    assert data["labels"]["Total"] == "الإجمالي"
    german = client.get("/v1/labels", params={"locale": "de_DE", "market": "de"}).json()
    assert german["labels"]["Shipping"] == "Versand" and german["direction"] == "ltr"
    assert_problem(client.get("/v1/labels", params={"locale": "xx-!"}), 422, field="locale")
    assert_problem(client.get("/v1/labels"), 422, field="query.locale")


# -- rule files' status ------------------------------------------------------------------------

def test_rules_status_names_every_problem_without_the_values(tmp_path):
    rules = copy_rules(tmp_path / "rules")
    provider = EngineProvider.from_directory(rules)
    good = provider.engine.rules.version
    with Server(create_app(provider, watch_interval=None)) as srv, httpx.Client(
            base_url=srv.url) as c:
        ok = c.get("/v1/rules/status").json()
        assert (ok["status"], ok["problems"], ok["rules_version"]) == ("ok", [], good)
        de = rules / "markets" / "de.toml"
        de.write_text(de.read_text("utf-8").replace('value = "0.19"', 'value = "SECRET-19"', 1)
                      .replace('currency = "EUR"', 'currency = "EUX"'), "utf-8")
        assert provider.reload(trigger="test").outcome == "failed"
        r = c.get("/v1/rules/status")
    data = r.json()
    assert data["status"] == "problems" and data["rules_version"] == good
    assert data["last_reload"]["outcome"] == "failed"
    where = {(p["file"], p["key"]) for p in data["problems"]}
    assert where == {("markets/de.toml", "currency"),
                     ("markets/de.toml", "tax.components[0].rate[0]")}  # the period at fault
    assert all(p["source"] == "rules" and "value" not in p for p in data["problems"])
    # The values found in the file are not repeated; the fix and the suggestion are.
    assert "SECRET-19" not in r.text and "EUX" not in r.text
    assert str(tmp_path) not in r.text  # nor the server's folders
    currency = next(p for p in data["problems"] if p["key"] == "currency")
    assert currency["message"] == "unknown currency code (value not shown)"
    assert currency["suggestion"] == "UGX" and currency["line"] == 7


def test_the_page_s_endpoints_are_in_the_openapi_schema(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/v1/products", "/v1/markets/{market_id}/samples",
                 "/v1/markets/{market_id}/regions", "/v1/labels", "/v1/rules/status"):
        get = paths[path]["get"]
        assert get["description"] and "example" in get["responses"]["200"]["content"][
            "application/json"], path
    assert "/" not in paths and "/preview" not in paths  # the page is not part of the API
