"""The fast reader of plain requests accepts a subset of what the pydantic model accepts, and
for that subset gives exactly the model's request and normal form (so the same quote and the
same signed request digest); everything else falls through to the model and its errors."""

from __future__ import annotations

import copy
import json
from datetime import date
from decimal import Decimal
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from pricing.api.app import _plain_body
from pricing.api.signing import normal_digest, request_digest
from pricing.errors import RequestError
from pricing.money import Money
from pricing.plainrequest import read_plain
from pricing.quote import QuoteRequest, QuoteRequestModel
from pricing.testing import quote_requests

BASE: dict[str, Any] = {
    "destination": {"country": "us", "region": "CA", "postal_code": "94103"},
    "market": "US",
    "locale": "en-US",
    "date": "2026-11-23",
    "shipping_method": "Standard",
    "ship_from": "de",
    "freight": {"amount": "12.345", "currency": "eur"},
    "insurance": {"amount": "1", "currency": "EUR"},
    "exclude_shipping": False,
    "items": [
        {"sku": "TS-1", "quantity": 2, "price": {"amount": "25.00", "currency": "EUR"},
         "hs_code": "6109.10", "origin": "pt", "category": "Books",
         "weight": {"value": "12", "unit": "oz"}, "title": "Tee"},
        {"sku": "BK-1", "quantity": 1, "price": {"amount": "18", "currency": "USD"}},
    ],
}


def model_path(data: Any) -> tuple[QuoteRequest, dict[str, Any]] | Exception:
    """What the pydantic model makes of ``data``: the request and its normal form, or the
    error it raises."""
    try:
        model = QuoteRequestModel.model_validate(data)
        return QuoteRequest.from_model(model), model.model_dump(exclude_none=True)
    except Exception as e:  # any refusal counts as one
        return e


def test_a_full_plain_request_reads_as_the_model_reads_it() -> None:
    plain = read_plain(BASE)
    assert plain is not None
    req, normal = plain
    # Worked out from the model's rules: codes upper-cased ("us" -> US, "pt" -> PT), the
    # region as checkouts send it ("CA" with country US -> US-CA), ids lower-cased, the locale
    # in babel's spelling, the HS code without its dot, the category lower-cased, 12 oz =
    # 12 x 0.028349523125 kg = 0.3401942775 kg, freight finer than the euro kept as declared.
    assert req.country == "US" and req.region == "US-CA" and req.postal_code == "94103"
    assert req.market == "us" and req.locale == "en_US" and req.date == date(2026, 11, 23)
    assert req.shipping_method == "standard" and req.ship_from == "DE"
    assert req.freight == Money(Decimal("12.345"), "EUR")
    assert req.insurance == Money(Decimal("1"), "EUR")
    first = req.items[0]
    assert (first.hs_code, first.origin, first.category) == ("610910", "PT", "books")
    assert first.weight_kg == Decimal("0.3401942775")
    assert first.price == Money(Decimal("25.00"), "EUR") and first.title == "Tee"
    assert (req, normal) == model_path(BASE)
    assert normal_digest(normal) == request_digest(QuoteRequestModel.model_validate(BASE))


@pytest.mark.parametrize(("path", "value"), [
    (("destination", "country"), "UK"),             # not an ISO code: the model says GB
    (("destination", "region"), "ON"),              # a region of another country
    (("items", 0, "price", "amount"), "19.999"),    # finer than the euro
    (("items", 0, "price", "amount"), 19.99),       # a JSON number
    (("items", 0, "price", "amount"), "1E+3"),
    (("items", 0, "price", "currency"), "EUX"),
    (("items", 0, "quantity"), 2.0),                # the model reads 2.0 as 2: it decides
    (("items", 0, "quantity"), True),
    (("items", 0, "quantity"), 0),
    (("items", 0, "sku"), ""),
    (("items", 0, "weight", "unit"), "KG"),
    (("items", 0, "hs_code"), "6109 10"),
    (("date",), "2026-02-30"),
    (("exclude_shipping",), 1),
    (("locale",), "xx_YY"),
    (("colour",), "red"),                           # an unknown key
])
def test_anything_else_is_left_to_the_model(path: tuple[Any, ...], value: Any) -> None:
    data = copy.deepcopy(BASE)
    at = data
    for key in path[:-1]:
        at = at[key]
    at[path[-1]] = value
    assert read_plain(data) is None
    # ...which still reads it, or refuses it naming the field, as it always did.
    found = model_path(data)
    if isinstance(found, Exception):
        with pytest.raises(RequestError):
            QuoteRequest.from_dict(data)
    else:
        assert QuoteRequest.from_dict(data) == found[0]


def test_a_price_finer_than_its_currency_keeps_the_models_error() -> None:
    data = copy.deepcopy(BASE)
    data["items"][1]["price"]["amount"] = "18.005"
    with pytest.raises(RequestError) as err:
        QuoteRequest.from_dict(data)
    assert err.value.field == "items[1].price"
    assert "at most 2 decimals for USD" in (err.value.expected or "")


#: Values a hostile or careless client sends, for any field.
ODD = st.sampled_from([
    None, "", " ", "DE", "de", " DE", "DEU", "UK", "US-CA", "CA", "QC", "Québec", "EUR", "eur",
    "€", "19.99", "19.999", "0", "-1", "1e3", "2_0.00", "٣", "1000000000000", "1000000000001",
    "0.25", "250", "g", "kg", "lb", "LB", "610910", "6109.10", "6109.10.00", "61", "books",
    "Books", "BOOKS!", "standard", "express", "en", "en-US", "fr_CA", "zz", "2026-11-23",
    "2026-02-30", "20261123", "x" * 129, "x" * 501, "\u00e9t\u00e9", 0, 1, 2, -1, 100_000,
    100_001, 2.0, 2.5, True, False, [], {}, [1], {"amount": "1.00", "currency": "EUR"},
    {"value": "1"}, {"value": "1", "unit": "oz"}, {"amount": "1.00"},
    date(2026, 11, 23),
])


def odd(draw: st.DrawFn) -> Any:
    """One of ODD, copied: a later mutation may change a list or dict put in the request, and
    the pool must stay as it was for Hypothesis to replay an example."""
    return copy.deepcopy(draw(ODD))


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def mutated(draw: st.DrawFn, requests: st.SearchStrategy[dict[str, Any]]) -> dict[str, Any]:
    """A valid request with a few values replaced, keys dropped or unknown keys added."""
    data = copy.deepcopy(draw(requests))
    for _ in range(draw(st.integers(0, 3))):
        paths = _paths(data)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        at = data
        for key in path[:-1]:
            at = at[key]
        action = draw(st.sampled_from(["set", "set", "drop", "add"]))
        if action == "drop" and isinstance(at, dict):
            del at[path[-1]]
        elif action == "add" and isinstance(at, dict):
            at[draw(st.sampled_from(["extra", "Country", "amount", "unit", "region"]))] = odd(draw)
        else:
            at[path[-1]] = odd(draw)
    return data


@given(data=st.data())
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_the_reader_agrees_with_the_model(engine: Any, data: st.DataObject) -> None:
    request = data.draw(mutated(quote_requests(engine)))
    plain = read_plain(request)
    found = model_path(request)
    event("fast" if plain is not None else
          "model refuses" if isinstance(found, Exception) else "model reads")
    if plain is not None:
        # Accepted: the model accepts too, with the same request and normal form.
        assert not isinstance(found, Exception), found
        assert plain == found
    # And through the bytes, as the service reads them.
    body = json.dumps(request, default=str).encode()
    via_bytes = _plain_body(body)
    if via_bytes is not None:
        model = QuoteRequestModel.model_validate_json(body)
        assert via_bytes == (QuoteRequest.from_model(model), model.model_dump(exclude_none=True))


@given(data=st.data())
@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
def test_valid_requests_take_the_fast_way(engine: Any, data: st.DataObject) -> None:
    # The package's own strategy writes requests as checkouts do: all of them are plain.
    request = data.draw(quote_requests(engine))
    assert read_plain(request) is not None


def test_duplicate_keys_read_as_pydantic_reads_them() -> None:
    # Both parsers keep the last of duplicate keys: the fast way reads the same cart.
    body = (b'{"destination": {"country": "FR"}, "destination": {"country": "DE"}, "items": '
            b'[{"sku": "A", "quantity": 1, "price": {"amount": "5.00", "currency": "EUR"}}]}')
    plain = _plain_body(body)
    assert plain is not None and plain[0].country == "DE"
    model = QuoteRequestModel.model_validate_json(body)
    assert plain == (QuoteRequest.from_model(model), model.model_dump(exclude_none=True))


@pytest.mark.parametrize("body", [
    b'{"destination": {"country": "DE"}, "items": [{"sku": "\\ud800", "quantity": 1, '
    b'"price": {"amount": "5.00", "currency": "EUR"}}]}',          # a lone surrogate
    b'{"destination": {"country": "DE"}, "items": []} trailing',
    b'\xef\xbb\xbf{"destination": {"country": "DE"}}',             # a byte order mark
    b'{"destination": {"country": "DE"}, "items": [{"sku": "A", "quantity": NaN}]}',
    b"",
])
def test_bodies_orjson_refuses_go_to_pydantic(body: bytes) -> None:
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(body)
    assert _plain_body(body) is None


def _set(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """BASE with the value at ``path`` replaced (a copy)."""
    data = copy.deepcopy(BASE)
    at = data
    for key in path[:-1]:
        at = at[key]
    at[path[-1]] = value
    return data


_ONE_ITEM = BASE["items"][1]
#: Each length or count limit of the model (its Field bounds, the request schema's documented
#: minLength/maxLength/minimum/maximum), one below, at and one above. At the limit the model
#: accepts, so the fast way must read it (a reader stricter than the model would only be
#: slower, but these are requests checkouts send); one above, the model refuses, so the fast
#: way must leave it to the model (a reader laxer than the model would quote a bad request).
#: The region is "California" padded with spaces: the name matches after spaces collapse
#: (normalize_region), so only the length decides.
LIMITS = [
    (("items", 0, "sku"), "S", True),                       # min_length=1
    (("items", 0, "sku"), "x" * 127, True),
    (("items", 0, "sku"), "x" * 128, True),                 # max_length=128
    (("items", 0, "sku"), "x" * 129, False),
    (("items", 0, "quantity"), 1, True),                    # ge=1
    (("items", 0, "quantity"), 99_999, True),
    (("items", 0, "quantity"), 100_000, True),              # le=MAX_QUANTITY
    (("items", 0, "quantity"), 100_001, False),
    (("items", 0, "title"), "t" * 499, True),
    (("items", 0, "title"), "t" * 500, True),               # max_length=500
    (("items", 0, "title"), "t" * 501, False),
    (("destination", "region"), "California".ljust(99), True),
    (("destination", "region"), "California".ljust(100), True),   # max_length=100
    (("destination", "region"), "California".ljust(101), False),
    (("items",), [_ONE_ITEM], True),                        # min_length=1
    (("items",), [_ONE_ITEM] * 999, True),
    (("items",), [_ONE_ITEM] * 1000, True),                 # max_length=MAX_ITEMS
    (("items",), [_ONE_ITEM] * 1001, False),
]


def _limit_id(path: tuple[Any, ...], value: Any) -> str:
    size = len(value) if isinstance(value, str | list) else value
    return f"{'.'.join(map(str, path))}-{size}"


@pytest.mark.parametrize(("path", "value", "plain"), LIMITS,
                         ids=[_limit_id(p, v) for p, v, _ in LIMITS])
def test_the_models_limits_hold_on_the_fast_way(path: tuple[Any, ...], value: Any,
                                                plain: bool) -> None:
    data = _set(path, value)
    found = model_path(data)
    if plain:
        assert not isinstance(found, Exception), found
        assert read_plain(data) == found
    else:
        assert isinstance(found, Exception)
        assert read_plain(data) is None
