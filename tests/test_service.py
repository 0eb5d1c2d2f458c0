"""The HTTP service against a real uvicorn server on 127.0.0.1, through httpx.

Each server runs on a copy of the rules holding only the shop, the zones and the markets these
tests quote (de, gb), so edits elsewhere in rules/ cannot change what they see.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest_service import DAY, Clock, Server, cart, copy_rules, item, scrape

from pricing import Engine
from pricing.api.signing import QuoteSigner, quote_payload, request_digest
from pricing.fx import LiveRates
from pricing.quote import QuoteRequestModel
from pricing.service import EngineProvider, create_app, render

ROOT = Path(__file__).resolve().parent.parent
DAY_OBJ = date.fromisoformat(DAY)
QUOTE_KEY = "test-quote-key-0123456789abcdef-0123456789"
OLD_KEY = "old-quote-key-0123456789abcdef-0123456789"
ADMIN = "admin-secret-token"


def split_signature(body: bytes) -> tuple[bytes, dict[str, Any]]:
    """The body without its trailing signature member, and the signature."""
    signature = json.loads(body)["signature"]
    tail = b',"signature":' + render(signature) + b"}"
    assert body.endswith(tail), "signature must be the last member"
    return body[: -len(tail)] + b"}", signature


def assert_problem(r: httpx.Response, status: int, *, field: str | None = None,
                   code: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert "Traceback" not in r.text
    p = r.json()
    assert {"type", "title", "status", "detail"} <= p.keys()
    assert p["status"] == status and p["type"].startswith("urn:pricing:problem:")
    if field is not None:
        assert p["field"] == field, p
    if code is not None:
        assert p["code"] == code, p
    return p


# -- fixtures ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def rules_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_rules(tmp_path_factory.mktemp("service") / "rules")


@pytest.fixture(scope="module")
def module_engine(rules_dir: Path) -> Engine:
    """The module on the same rules and rates as the server: what the service must match."""
    return Engine.from_directory(rules_dir)


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def client(rules_dir: Path, clock: Clock) -> Iterator[httpx.Client]:
    provider = EngineProvider.from_directory(rules_dir)
    app = create_app(provider, quote_key=QUOTE_KEY, previous_quote_keys=OLD_KEY, clock=clock,
                     watch_interval=None)
    with Server(app) as srv, httpx.Client(base_url=srv.url, timeout=30) as c:
        yield c


# -- quotes -----------------------------------------------------------------------------------

@pytest.mark.parametrize("market", ["de", "gb"])
def test_quote_is_the_module_json_plus_a_signature(client, module_engine, market):
    body = cart(market)
    r = client.post("/v1/quotes", json=body)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    rest, signature = split_signature(r.content)
    assert rest == render(module_engine.quote(body).to_dict())
    assert set(signature) == {"token", "expires_at"}


def test_big_cart_quoted_off_the_event_loop_is_identical_too(client, module_engine):
    body = cart("gb", items=[item(f"SKU-{i}", f"{i}.50", hs_code="640399") for i in range(1, 61)])
    r = client.post("/v1/quotes", json=body)
    assert r.status_code == 200, r.text
    assert split_signature(r.content)[0] == render(module_engine.quote(body).to_dict())


def test_repeated_carts_come_from_the_cache_identical_and_freshly_signed(client, module_engine,
                                                                        clock):
    body = cart("gb")
    expected = render(module_engine.quote(body).to_dict())
    tokens = []
    for _ in range(3):
        r = client.post("/v1/quotes", json=body)
        rest, signature = split_signature(r.content)
        assert rest == expected
        tokens.append(signature["token"])
        clock.now += 1
    assert len(set(tokens)) == 3  # each response is signed with its own time
    for token in tokens:
        assert client.post("/v1/quotes/verify", json={"token": token, "cart": body}).json()[
            "status"] == "valid"


def test_the_cache_follows_the_quote_day(tmp_path):
    rules = copy_rules(tmp_path / "rules")
    days = [DAY_OBJ]
    engine = Engine.from_directory(rules)
    engine = Engine(engine.rules, rates=engine.rates, clock=lambda: days[0])
    app = create_app(engine, quote_key=QUOTE_KEY, watch_interval=None)
    undated = {k: v for k, v in cart("de").items() if k != "date"}
    with Server(app) as srv, httpx.Client(base_url=srv.url, timeout=30) as c:
        first = c.post("/v1/quotes", json=undated).json()
        days[0] = DAY_OBJ + timedelta(days=1)
        second = c.post("/v1/quotes", json=undated).json()
    assert (first["date"], second["date"]) == (DAY_OBJ.isoformat(),
                                               (DAY_OBJ + timedelta(days=1)).isoformat())


def test_request_id_is_echoed_or_made(client):
    r = client.post("/v1/quotes", json=cart(), headers={"X-Request-ID": "order-42"})
    assert r.headers["x-request-id"] == "order-42"
    made = client.get("/healthz").headers["x-request-id"]
    assert len(made) == 32
    p = client.get("/v1/markets/zz", headers={"X-Request-ID": "abc"}).json()
    assert p["request_id"] == "abc"


# -- markets, products, rates, health ---------------------------------------------------------

def test_markets(client, module_engine):
    data = client.get("/v1/markets").json()
    assert data["rules_version"] == module_engine.rules.version
    assert [m["id"] for m in data["markets"]] == ["de", "gb"]
    de = client.get("/v1/markets/de", params={"date": DAY}).json()
    assert de == {**module_engine.rules.markets["de"].summary(on=DAY_OBJ),
                  "rules_version": module_engine.rules.version, "date": DAY}
    # The EU zone's methods, named in the market's language (de_DE): the generic card and SEPA
    # direct debit in German (Deutsche Bundesbank: "SEPA-Lastschrift"), brands as they are.
    assert [(m["id"], m["name"], m["kind"]) for m in de["payment_methods"]] == [
        ("card", "Karte", "card"), ("paypal", "PayPal", "wallet"),
        ("klarna", "Klarna", "buy_now_pay_later"),
        ("sepa_debit", "SEPA-Lastschrift", "bank_debit")]


def test_unknown_market_in_the_path_is_404_with_a_suggestion(client):
    p = assert_problem(client.get("/v1/markets/gbr"), 404, field="market", code="unknown-market")
    assert p["suggestion"] == "gb"


def test_products_without_a_catalog_are_404(client):
    p = assert_problem(client.get("/v1/products/TSHIRT", params={"market": "de"}), 404,
                       code="no-product-catalog")
    assert p["value"] == "TSHIRT"
    assert_problem(client.get("/v1/products/TSHIRT", params={"market": "xx"}), 404,
                   field="market")


def test_products_from_a_catalog(tmp_path):
    rules = copy_rules(tmp_path / "rules")
    locales = tmp_path / "locales"
    (locales / "de" / "LC_MESSAGES").mkdir(parents=True)
    (locales / "products.csv").write_text(
        "sku,title,description,price,currency,hs_code,origin,category,weight\n"
        'TEE-1,"Organic T-shirt","Crew neck, organic cotton",29.90,EUR,610910,PT,,0.18\n',
        "utf-8")
    provider = EngineProvider.from_directory(rules, locales=locales)
    with Server(create_app(provider, watch_interval=None)) as srv, httpx.Client(
            base_url=srv.url) as c:
        r = c.get("/v1/products/TEE-1", params={"market": "de", "locale": "de_DE"})
        assert r.status_code == 200, r.text
        data = r.json()
        assert data["sku"] == "TEE-1" and data["title"] == "Organic T-shirt"
        assert data["price"] == {"amount": "29.90", "currency": "EUR"}
        assert data["rules_version"] == provider.engine.rules.version
        assert_problem(c.get("/v1/products/NOPE"), 404, code="unknown-product")
        assert_problem(c.get("/v1/products/TEE-1", params={"locale": "xx-!"}), 422,
                       field="locale")


def test_rates(client, module_engine):
    assert client.get("/v1/rates").json() == module_engine.rates.to_dict()


def test_health_and_readiness(client, module_engine):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready"
    assert ready["rules_version"] == module_engine.rules.version
    assert ready["reload_errors"] == [] and ready["last_reload"] is None


def test_metrics(client):
    client.post("/v1/quotes", json=cart("gb"))
    got = scrape(client.get("/metrics").text)
    assert got[("pricing_quotes_total", frozenset({("market", "gb")}))] >= 1
    assert got[("pricing_http_requests_total", frozenset(
        {("route", "/v1/quotes"), ("method", "POST"), ("status", "200")}))] >= 1
    assert got[("pricing_http_request_duration_seconds_bucket", frozenset(
        {("route", "/v1/quotes"), ("le", "+Inf")}))] >= 1
    assert got[("pricing_rules_reloads_total", frozenset({("outcome", "failed")}))] == 0


def test_openapi_lists_the_endpoints_with_examples(client):
    spec = client.get("/openapi.json").json()
    assert {"/v1/quotes", "/v1/quotes/verify", "/v1/markets", "/v1/markets/{market_id}",
            "/v1/products/{sku}", "/v1/rates", "/healthz", "/readyz", "/metrics",
            "/v1/admin/reload"} <= spec["paths"].keys()
    post = spec["paths"]["/v1/quotes"]["post"]
    assert post["requestBody"]["content"]["application/json"]["examples"]["cart"]["value"]
    assert post["responses"]["200"]["content"]["application/json"]["example"]["signature"]
    assert "/bench/validate-only" not in spec["paths"]


def test_admin_reload_is_off_without_a_token(client):
    assert_problem(client.post("/v1/admin/reload"), 403, code="admin-disabled")


# -- errors: every one a 4xx problem naming the field ---------------------------------------

def _with_item(**changes: Any) -> dict[str, Any]:
    body = cart()
    body["items"][0] = {**body["items"][0], **changes}
    return body


def _with_price(amount: Any) -> dict[str, Any]:
    return _with_item(price={"amount": amount, "currency": "EUR"})


BAD_BODIES = [
    ("wrong type", {**cart(), "destination": "DE"}, "destination"),
    ("wrong type in a list", {**cart(), "items": {"sku": "A"}}, "items"),
    ("unknown market", {**cart(), "market": "dee"}, "market"),
    ("unknown country", {**cart(), "destination": {"country": "XX"}}, "destination.country"),
    ("region of another country", {**cart(), "destination": {"country": "DE",
                                                              "region": "US-CA"}},
     "destination.region"),
    ("unknown currency", _with_item(price={"amount": "1.00", "currency": "EUX"}),
     "items[0].price.currency"),
    ("unknown shipping method", {**cart(), "shipping_method": "pigeon"}, "shipping_method"),
    ("negative quantity", _with_item(quantity=-1), "items[0].quantity"),
    ("zero quantity", _with_item(quantity=0), "items[0].quantity"),
    ("huge quantity", _with_item(quantity=10**12), "items[0].quantity"),
    ("fractional quantity", _with_item(quantity=1.5), "items[0].quantity"),
    ("float amount", _with_price(19.99), "items[0].price.amount"),
    ("NaN amount", _with_price("NaN"), "items[0].price.amount"),
    ("Infinity amount", _with_price("Infinity"), "items[0].price.amount"),
    ("huge amount", _with_price("1e40"), "items[0].price.amount"),
    ("negative amount", _with_price("-5.00"), "items[0].price.amount"),
    ("bad date", {**cart(), "date": "2026-02-30"}, "date"),
    ("date not a string", {**cart(), "date": 20261123}, "date"),
    ("bad HS code", _with_item(hs_code="61A9"), "items[0].hs_code"),
    ("unknown field", _with_item(colour="red"), "items[0].colour"),
    ("missing field", {"destination": {"country": "DE"}, "date": DAY}, "items"),
    ("no items", {**cart(), "items": []}, "items"),
    ("1001 items", {**cart(), "items": [item(f"S{i}") for i in range(1001)]}, "items"),
]


@pytest.mark.parametrize(("body", "field"), [b[1:] for b in BAD_BODIES],
                         ids=[b[0] for b in BAD_BODIES])
def test_bad_bodies_are_422_naming_the_field(client, body, field):
    p = assert_problem(client.post("/v1/quotes", json=body), 422, field=field)
    assert p["detail"]


def test_nan_and_infinity_json_numbers_are_422(client):
    for token in (b"NaN", b"Infinity", b"-Infinity", b"1e999"):
        raw = json.dumps(cart()).replace('"20.00"', "AMOUNT").encode().replace(b"AMOUNT", token)
        r = client.post("/v1/quotes", content=raw, headers={"content-type": "application/json"})
        assert_problem(r, 422, field="items[0].price.amount")


def test_malformed_json_is_400_with_the_position(client):
    truncated = b'{"destination": {"country": "DE"}, "items": ['
    r = client.post("/v1/quotes", content=truncated, headers={"content-type": "application/json"})
    p = assert_problem(r, 400, code="malformed-json")
    assert (p["line"], p["column"]) == (1, len(truncated))  # where the JSON stops making sense
    r = client.post("/v1/quotes", content=b"\xff\xfe{}", headers={"content-type":
                                                                   "application/json"})
    assert_problem(r, 400)


def test_json_that_is_not_an_object_is_422(client):
    for raw in (b'"a cart"', b"[1, 2]", b"null", b"17"):
        r = client.post("/v1/quotes", content=raw, headers={"content-type": "application/json"})
        assert_problem(r, 422, code="invalid-request")


def test_objects_where_codes_belong_are_422_not_500(client):
    for key in ("ship_from", "locale"):
        assert_problem(client.post("/v1/quotes", json={**cart(), key: {}}), 422)
    body = cart()
    body["items"][0]["price"]["currency"] = ["EUR"]
    assert_problem(client.post("/v1/quotes", json=body), 422)


def test_a_body_without_content_type_is_read_as_json(client):
    r = client.post("/v1/quotes", content=json.dumps(cart()).encode())
    assert r.status_code == 200, r.text


def test_a_body_that_is_not_json_is_415(client):
    r = client.post("/v1/quotes", content=b"destination=DE",
                    headers={"content-type": "application/x-www-form-urlencoded"})
    assert_problem(r, 415, code="unsupported-media-type")


def test_oversized_bodies_are_413_before_parsing(client):
    big = b'{"pad": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    r = client.post("/v1/quotes", content=big, headers={"content-type": "application/json"})
    assert_problem(r, 413, code="body-too-large")

    def chunks() -> Iterator[bytes]:  # no Content-Length: the bytes are counted as they come
        for _ in range(32):
            yield b"x" * (64 * 1024)

    r = client.post("/v1/quotes", content=chunks(), headers={"content-type": "application/json"})
    assert_problem(r, 413, code="body-too-large")
    assert client.get("/healthz").status_code == 200


def test_unknown_routes_and_methods_are_problems(client):
    assert_problem(client.get("/v1/nothing"), 404, code="not-found")
    assert_problem(client.get("/v1/quotes"), 405, code="method-not-allowed")


# -- signed quotes ----------------------------------------------------------------------------

def _token(client: httpx.Client, body: dict[str, Any]) -> str:
    r = client.post("/v1/quotes", json=body)
    assert r.status_code == 200, r.text
    return r.json()["signature"]["token"]


def test_a_fresh_token_is_valid_and_names_its_cart(client, clock):
    body = cart("gb")
    r = client.post("/v1/quotes", json=body)
    quote = r.json()
    token = quote["signature"]["token"]
    v = client.post("/v1/quotes/verify", json={"token": token, "cart": body}).json()
    assert v["status"] == "valid" and v["cart_matches"] is True
    assert v["expires_at"] == quote["signature"]["expires_at"]
    assert v["quote"]["totals"]["total"] == quote["totals"]["total"]["amount"]
    assert v["quote"]["exp"] == int(clock.now) + 900  # shop.quote_ttl_seconds
    other = cart("gb", items=[item("TSHIRT", "21.00", qty=2)])
    v = client.post("/v1/quotes/verify", json={"token": token, "cart": other}).json()
    assert v["status"] == "valid" and v["cart_matches"] is False
    v = client.post("/v1/quotes/verify", json={"token": token}).json()
    assert v["cart_matches"] is None


def test_the_same_cart_spelled_differently_still_matches(client):
    token = _token(client, cart())
    same = cart()
    same["destination"]["country"] = "de"
    same["items"][0]["price"]["amount"] = "20.0"
    v = client.post("/v1/quotes/verify", json={"token": token, "cart": same}).json()
    assert v["cart_matches"] is True


def test_a_tampered_token_is_tampered(client):
    token = _token(client, cart())
    header, claims, mac = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    payload["totals"]["total"] = "0.01"
    forged = base64.urlsafe_b64encode(
        json.dumps(payload).encode()).rstrip(b"=").decode()
    for bad, why in ((f"{header}.{forged}.{mac}", "bad-signature"),
                     (token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB"), "bad-signature"),
                     ("not-a-token", "malformed"), (token.replace(".", ""), "malformed")):
        v = client.post("/v1/quotes/verify", json={"token": bad, "cart": cart()}).json()
        assert v["reason"]["code"] == why, v
        assert v == {"status": "tampered", "quote": None, "expires_at": None,
                     "cart_matches": None, "reason": v["reason"]}


def test_a_token_expires_after_the_shop_ttl(client, clock):
    token = _token(client, cart())
    start = clock.now
    try:
        clock.now = start + 899
        assert client.post("/v1/quotes/verify", json={"token": token}).json()["status"] == "valid"
        clock.now = start + 900
        v = client.post("/v1/quotes/verify", json={"token": token}).json()
        assert v["status"] == "expired" and v["quote"]["market"] == "de"
        assert v["reason"]["code"] == "expired" and v["expires_at"] in v["reason"]["detail"]
    finally:
        clock.now = start


def test_tokens_of_the_previous_key_still_verify(client, module_engine, clock):
    body = cart()
    payload = quote_payload(module_engine.quote(body).to_dict(),
                            request_sha256=request_digest(QuoteRequestModel.model_validate(body)),
                            issued_at=clock.now, ttl_seconds=900)
    old = QuoteSigner(OLD_KEY.encode()).sign(payload)
    stranger = QuoteSigner(b"someone-else-0123456789abcdef0123").sign(payload)
    verify = "/v1/quotes/verify"
    assert client.post(verify, json={"token": old, "cart": body}).json()["cart_matches"] is True
    v = client.post(verify, json={"token": stranger}).json()
    assert v["status"] == "tampered" and v["reason"]["code"] == "unknown-key"


def test_verify_bodies_are_validated(client):
    assert_problem(client.post("/v1/quotes/verify", json={"token": 5}), 422, field="token")
    assert_problem(client.post("/v1/quotes/verify", json={"token": "x", "cart": {"items": []}}),
                   422, field="cart.destination")


# -- reloads ----------------------------------------------------------------------------------

def _wait(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def test_reloads_swap_atomically_and_a_broken_edit_keeps_the_last_good_rules(tmp_path):
    rules = copy_rules(tmp_path / "rules")
    provider = EngineProvider.from_directory(rules)
    app = create_app(provider, quote_key=QUOTE_KEY, admin_token=ADMIN, watch_interval=0.1)
    gb = rules / "markets" / "gb.toml"
    original = gb.read_text("utf-8")
    seen: list[tuple[int, str | None]] = []
    stop = threading.Event()
    with Server(app) as srv, httpx.Client(base_url=srv.url, timeout=30) as c:
        def hammer() -> None:
            with httpx.Client(base_url=srv.url, timeout=30) as h:
                while not stop.is_set():
                    r = h.post("/v1/quotes", json=cart("gb"))
                    seen.append((r.status_code, r.json().get("rules_version")))

        v0 = c.get("/readyz").json()["rules_version"]
        auth = {"Authorization": f"Bearer {ADMIN}"}
        assert_problem(c.post("/v1/admin/reload"), 401, code="unauthorized")
        assert_problem(c.post("/v1/admin/reload", headers={"Authorization": "Bearer nope"}),
                       403, code="forbidden")
        threads = [threading.Thread(target=hammer) for _ in range(2)]
        for t in threads:
            t.start()
        try:
            # a good edit, picked up by the admin call (the watcher may race it: both are fine)
            gb.write_text(original.replace('fx_markup = "0.02"', 'fx_markup = "0.03"'), "utf-8")
            r = c.post("/v1/admin/reload", headers=auth)
            assert r.status_code == 200, r.text
            v1 = c.get("/readyz").json()["rules_version"]
            assert v1 != v0 and r.json()["rules_version"] == v1
            _wait(lambda: any(v == v1 for _, v in seen[-5:]))

            # a broken edit, picked up by the watcher (on a loaded machine it may first see
            # the file truncated but not yet written: a failed reload too, then this one)
            gb.write_text(original + '\ncolour = "red"\n', "utf-8")
            _wait(lambda: any("colour" in e["key"]
                              for e in c.get("/readyz").json()["reload_errors"]))
            ready = c.get("/readyz").json()
            assert ready["rules_version"] == v1
            assert ready["last_reload"]["outcome"] == "failed"
            assert ready["last_reload"]["trigger"] == "watch"
            assert any(e["file"] == "markets/gb.toml" and "colour" in e["key"]
                       for e in ready["reload_errors"]), ready
            r = c.post("/v1/admin/reload", headers=auth)
            p = assert_problem(r, 422, code="invalid-rules")
            assert p["errors"] and p["rules_version"] == v1
            count = len(seen)
            _wait(lambda: len(seen) > count + 5)
        finally:
            stop.set()
            for t in threads:
                t.join()
        q = c.post("/v1/quotes", json=cart("gb"))
        assert q.status_code == 200 and q.json()["rules_version"] == v1
        metrics = c.get("/metrics").text
        assert 'pricing_rules_reloads_total{outcome="failed"} 0' not in metrics
        assert 'pricing_rules_reloads_total{outcome="ok"} 0' not in metrics

        # fixing the file clears the errors
        gb.write_text(original, "utf-8")
        _wait(lambda: not c.get("/readyz").json()["reload_errors"])
        assert c.get("/readyz").json()["rules_version"] == v0
    assert seen and all(status == 200 for status, _ in seen), {s for s, _ in seen}
    assert {v for _, v in seen} <= {v0, v1}


# -- serve(): the CLI entry, SIGHUP, workers --------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(rules: Path, port: int, *extra: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pricing", "serve", "--rules", str(rules), "--port", str(port),
         *extra], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRICING_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return {**env, **extra}


def _ready(url: str, proc: subprocess.Popen[str]) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        try:
            return httpx.get(url + "/readyz", timeout=2).json()
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("the service did not come up")


def test_serve_refuses_several_workers_without_a_quote_key(tmp_path):
    rules = copy_rules(tmp_path / "rules")
    proc = _serve(rules, _free_port(), "--workers", "2", env=_env())
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert "PRICING_QUOTE_KEY" in err


def test_serve_reloads_on_sighup(tmp_path):
    rules = copy_rules(tmp_path / "rules")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    # a long watch interval, so that the reload below can only come from the signal
    proc = _serve(rules, port, env=_env(PRICING_WATCH_INTERVAL="600"))
    try:
        v0 = _ready(url, proc)["rules_version"]
        gb = rules / "markets" / "gb.toml"
        gb.write_text(gb.read_text("utf-8") + "\n# edited\n", "utf-8")
        proc.send_signal(signal.SIGHUP)
        _wait(lambda: httpx.get(url + "/readyz").json()["rules_version"] != v0)
        ready = httpx.get(url + "/readyz").json()
        assert ready["last_reload"]["trigger"] == "sighup"
        r = httpx.post(url + "/v1/quotes", json=cart("gb"))
        assert r.status_code == 200 and r.json()["rules_version"] == ready["rules_version"]
    finally:
        proc.terminate()
        proc.communicate(timeout=20)


def test_serve_with_two_workers_shares_the_quote_key(tmp_path):
    rules = copy_rules(tmp_path / "rules")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    proc = _serve(rules, port, "--workers", "2", env=_env(PRICING_QUOTE_KEY=QUOTE_KEY))
    try:
        _ready(url, proc)
        with httpx.Client(base_url=url, timeout=10) as c:  # new connections: either worker
            for _ in range(6):
                token = _token(c, cart())
                with httpx.Client(base_url=url, timeout=10) as other:
                    v = other.post("/v1/quotes/verify", json={"token": token}).json()
                assert v["status"] == "valid"
    finally:
        proc.terminate()
        proc.communicate(timeout=20)


def test_live_rates_fall_back_to_the_last_good_table_with_a_warning(tmp_path):
    """forex-python's service is not always up: quotes keep flowing on the last good table and
    say so; once a refresh succeeds the new rates are used and the warning goes."""
    rules = copy_rules(tmp_path / "rules")
    provider = EngineProvider.from_directory(rules)
    # The remote stays down until the test has seen a quote say so: on a loaded machine a
    # fixed number of failures could come and go between two quotes.
    remote_up = threading.Event()

    def fetch(base: str) -> Any:
        if not remote_up.is_set():
            raise ConnectionError("remote service down")
        return {"GBP": "0.9000", "USD": "1.2000"}

    bundled_gbp = str(provider.engine.rates.rate("EUR", "GBP").rate)
    live = LiveRates(provider.engine.rates, timeout=5, fetch=fetch)
    provider.use_live_rates(live, interval=0.2)
    app = create_app(provider, quote_key=QUOTE_KEY, watch_interval=None)
    with Server(app) as srv, httpx.Client(base_url=srv.url, timeout=30) as c:
        deadline = time.monotonic() + 10
        first = c.post("/v1/quotes", json=cart("gb")).json()
        while not any("live rates failed" in w for w in first["warnings"]):
            assert time.monotonic() < deadline, first["warnings"]
            first = c.post("/v1/quotes", json=cart("gb")).json()
        assert first["fx"]["rate"] == bundled_gbp  # still the bundled table
        remote_up.set()
        while True:
            later = c.post("/v1/quotes", json=cart("gb")).json()
            if later["fx"]["rate"] == "0.9000":
                break
            assert time.monotonic() < deadline, later["fx"]
            time.sleep(0.05)
        assert not any("live rates" in w for w in later["warnings"])
        assert later["fx"]["source"] == "live (forex-python)"
    provider.stop_watching()
