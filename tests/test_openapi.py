"""The OpenAPI document as tools read it, and the offline /docs and /redoc pages.

Everything here runs against the real uvicorn server (tests/conftest_service.py): the
document is the live /openapi.json, the answers are the service's own bytes. About 6 s in
all, half of it generating and importing the client.
"""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import jsonschema
import pytest
from conftest_service import DAY, Server, cart, copy_rules
from openapi_spec_validator import validate

from pricing import Engine
from pricing.service import EngineProvider, create_app

#: Markets whose sample carts are quoted and checked against the published schema: an EU
#: VAT market, low-value GBP imports, US sales tax by state (regions), Canada's GST/QST in
#: French, Japan (a currency without minor units), the UAE (Arabic, right to left).
MARKETS = ("de", "gb", "us", "ca", "jp", "ae")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    rules = copy_rules(tmp_path_factory.mktemp("openapi") / "rules", MARKETS)
    app = create_app(EngineProvider.from_directory(rules), quote_key="k" * 32,
                     watch_interval=None)
    with Server(app) as srv:
        yield srv


@pytest.fixture(scope="module")
def schema(server):
    response = httpx.get(f"{server.url}/openapi.json")
    assert response.headers["content-type"] == "application/json"
    return response.json()


def _answer_validator(schema, name):
    """A JSON Schema validator for ``components.schemas[name]`` of the live document."""
    root = {"$ref": f"#/components/schemas/{name}", "components": schema["components"]}
    return jsonschema.Draft202012Validator(root, format_checker=jsonschema.FormatChecker())


# -- the document ---------------------------------------------------------------------------------

def test_the_live_document_passes_openapi_spec_validator(schema):
    assert schema["openapi"].startswith("3.1")
    validate(schema)  # raises OpenAPIValidationError naming the path at fault


def test_every_default_is_a_value_its_own_schema_allows(schema):
    # The bug openapi-spec-validator once reported as "None is not of type 'string'": a
    # nullable field with default null whose schema said only "string".
    checked = 0

    def walk(node, path):
        nonlocal checked
        if isinstance(node, dict):
            if "default" in node and not path.endswith("examples"):
                own = {k: v for k, v in node.items() if k != "default"}
                root = {**own, "components": schema["components"]}
                errors = list(jsonschema.Draft202012Validator(root).iter_errors(node["default"]))
                assert not errors, f"{path}: default {node['default']!r}: {errors[0].message}"
                checked += 1
            for key, value in node.items():
                walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{path}/{i}")

    walk(schema, "#")
    assert checked >= 20  # hs_code, origin, region, locale, date, ... of the request models


def test_amounts_are_strings_with_a_pattern_and_numbers_are_refused(schema, server):
    amount = schema["components"]["schemas"]["PriceModel"]["properties"]["amount"]
    assert amount["type"] == "string" and "anyOf" not in amount
    assert re.fullmatch(amount["pattern"].strip("^$").split("$|^")[0], "19.99")
    body = cart()
    body["items"][0]["price"]["amount"] = 20.0
    refused = httpx.post(f"{server.url}/v1/quotes", json=body)
    assert refused.status_code == 422
    assert refused.json()["field"] == "items[0].price.amount"


def test_every_operation_has_a_typed_answer_and_problem_errors(schema):
    untyped = []
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            ok = op["responses"]["200"]
            if method == "head":
                assert "content" not in ok, f"HEAD {path} documents a body"
                continue
            for media, content in ok["content"].items():
                if "schema" not in content:
                    untyped.append(f"{method.upper()} {path} {media}")
            for status, response in op["responses"].items():
                if status[0] in "45":
                    assert list(response["content"]) == ["application/problem+json"], (
                        f"{method.upper()} {path} {status}")
    assert untyped == [], "answers without a schema"
    names = {op["operationId"] for ops in schema["paths"].values() for op in ops.values()}
    assert {"post_quote", "verify_quote", "list_markets", "get_market", "get_rates",
            "list_products", "get_product", "post_prices", "get_feed"} <= names
    csv = schema["paths"]["/v1/feeds/{market_id}"]["get"]["responses"]["200"]["content"]
    assert csv["text/csv"]["schema"]["type"] == "string"


def test_request_and_answer_examples_are_valid_against_their_schemas(schema):
    examples = 0
    for path, operations in schema["paths"].items():
        for method, op in operations.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None:
                name = body["schema"]["$ref"].rsplit("/", 1)[1]
                found = [e["value"] for e in body.get("examples", {}).values()]
                found += schema["components"]["schemas"][name].get("examples", [])
                assert found, f"{method.upper()} {path} has no request example"
                for example in found:
                    _answer_validator(schema, name).validate(example)
                    examples += 1
            ok = op["responses"]["200"].get("content", {}).get("application/json")
            if ok is not None and "example" in ok:
                name = ok["schema"]["$ref"].rsplit("/", 1)[1]
                _answer_validator(schema, name).validate(ok["example"])
                examples += 1
    assert examples >= 15


# -- the answers against the document -------------------------------------------------------------

def test_quotes_of_every_sample_cart_match_the_published_schema(schema, server):
    # Sample carts cover each market's regimes (below and above every threshold) and
    # categories; every answer must be exactly what QuoteResponseModel says, no member more.
    quote = _answer_validator(schema, "QuoteResponseModel")
    samples = _answer_validator(schema, "SamplesModel")
    market = _answer_validator(schema, "MarketModel")
    seen = set()
    with httpx.Client(base_url=server.url) as http:
        for market_id in MARKETS:
            found = http.get(f"/v1/markets/{market_id}/samples", params={"date": DAY}).json()
            samples.validate(found)
            market.validate(http.get(f"/v1/markets/{market_id}", params={"date": DAY}).json())
            for sample in found["carts"]:
                body = dict(sample["request"])
                if market_id in ("us", "ca"):
                    body["destination"] = {**body["destination"],
                                           "region": "NY" if market_id == "us" else "QC"}
                if market_id == "ca":
                    body["locale"] = "fr_CA"
                answer = http.post("/v1/quotes", json=body)
                assert answer.status_code == 200, answer.text
                data = answer.json()
                quote.validate(data)
                seen |= {c["kind"] for c in data["charges"]}
                seen |= {"base_parts" for c in data["charges"] if c["base_parts"]}
                seen |= {"payment_methods"} if data["payment_methods"] else set()
                if any(line["landed_unit_price"] for line in data["lines"]):
                    seen.add("landed")
    # the carts reached every part of the schema worth checking
    assert {"tax", "duty", "shipping", "base_parts", "payment_methods", "landed"} <= seen


def test_other_answers_match_the_published_schema(schema, server):
    with httpx.Client(base_url=server.url) as http:
        token = http.post("/v1/quotes", json=cart()).json()["signature"]["token"]
        answers = {
            "MarketsModel": http.get("/v1/markets"),
            "RatesModel": http.get("/v1/rates"),
            "ReadyModel": http.get("/readyz"),
            "HealthModel": http.get("/healthz"),
            "RulesStatusModel": http.get("/v1/rules/status"),
            "RegionsModel": http.get("/v1/markets/us/regions"),
            "LabelsModel": http.get("/v1/labels", params={"locale": "fr_CA"}),
            "ProductsModel": http.get("/v1/products"),
            "VerificationModel": http.post("/v1/quotes/verify",
                                           json={"token": token, "cart": cart()}),
            "PricesResponseModel": http.post("/v1/prices", json={"market": "de", "items": [
                {"sku": "A", "price": {"amount": "20.00", "currency": "EUR"}}, {"sku": "B"}]}),
        }
        problem = http.get("/v1/markets/xx")
    for name, answer in answers.items():
        assert answer.status_code == 200, (name, answer.text)
        _answer_validator(schema, name).validate(answer.json())
    assert answers["VerificationModel"].json()["cart_matches"] is True
    assert answers["PricesResponseModel"].json()["failed"] == 1
    assert problem.headers["content-type"] == "application/problem+json"
    _answer_validator(schema, "ProblemModel").validate(problem.json())


# -- a generated client ---------------------------------------------------------------------------

def test_a_client_generated_from_the_live_document_quotes_like_the_module(server, tmp_path):
    document = tmp_path / "openapi.json"
    document.write_bytes(httpx.get(f"{server.url}/openapi.json").content)
    config = tmp_path / "client.yaml"
    config.write_text("package_name_override: pricing_client\npost_hooks: []\n")
    generator = Path(sys.executable).with_name("openapi-python-client")
    run = subprocess.run([str(generator), "generate", "--path", str(document),
                          "--meta", "none", "--output-path", str(tmp_path / "pricing_client"),
                          "--config", str(config), "--fail-on-warning"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        client_mod = importlib.import_module("pricing_client")
        post_quote = importlib.import_module("pricing_client.api.quotes.post_quote")
        models = importlib.import_module("pricing_client.models")
        body = cart("gb")
        with client_mod.Client(base_url=server.url) as client:
            quote = post_quote.sync(client=client,
                                    body=models.QuoteRequestModel.from_dict(body))
        assert isinstance(quote, models.QuoteResponseModel), quote
        # typed all the way down, not dicts
        assert isinstance(quote.totals.total, models.AmountModel)
        assert isinstance(quote.charges[0], models.ChargeModel)
        assert quote.shipping_method.delivery_dates.earliest.isoformat() > DAY
        typed = quote.to_dict()
        assert set(typed.pop("signature")) == {"token", "expires_at"}
        engine = Engine.from_directory(copy_rules(tmp_path / "rules", MARKETS))
        assert typed == engine.quote(body).to_dict()
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n.split(".")[0] == "pricing_client"]:
            del sys.modules[name]


# -- offline docs ---------------------------------------------------------------------------------

class _References(HTMLParser):
    """Every URL a page loads: src and href attributes, and ReDoc's spec-url."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href", "spec-url") and value:
                self.urls.append(value)


_KINDS = {".js": "javascript", ".css": "text/css", ".png": "image/png", ".json": "json"}


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_every_asset_from_the_service(server, page):
    with httpx.Client(base_url=server.url) as http:
        html = http.get(page)
        assert html.status_code == 200
        assert html.headers["content-type"].startswith("text/html")
        # no other host: no absolute or scheme-relative URL anywhere in the page
        assert re.findall(r"(?:https?:)?//[\w.-]+\.\w+", html.text) == []
        refs = _References()
        refs.feed(html.text)
        # Swagger UI's script names the schema as `url: '/openapi.json'`
        refs.urls += re.findall(r"\burl: '([^']+)'", html.text)
        assert len(refs.urls) >= 3  # script, favicon, schema (and the stylesheet on /docs)
        for url in refs.urls:
            assert urlsplit(urljoin(server.url + page, url)).netloc == urlsplit(
                server.url).netloc, url
            asset = http.get(url)
            assert asset.status_code == 200, url
            kind = _KINDS[Path(urlsplit(url).path).suffix]
            assert kind in asset.headers["content-type"], (url, asset.headers["content-type"])
            assert len(asset.content) > 1000, url
