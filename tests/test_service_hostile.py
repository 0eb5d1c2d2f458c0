"""Hostile requests against the real server (uvicorn with the service's protocol and limits).

Every request of the corpus is answered within 2 s with a 4xx ``application/problem+json``
that does not repeat a huge input back; none is a 5xx, none hangs. The issue-13 defects are
each a case (lenient numbers, huge values echoed, bad Content-Length, ...). A client that stops
sending (mid-head or mid-body) is disconnected within the configured timeout.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import h11
import pytest
from conftest_service import Server, cart, copy_rules

from pricing.api.server import ServerLimits
from pricing.service import EngineProvider, create_app

#: The timeouts of the server under test: short, so the slow-client tests are quick.
HEADER_TIMEOUT = 1.0
BODY_TIMEOUT = 1.0
#: What "answered promptly" means for the corpus.
PROMPT = 2.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    rules = copy_rules(tmp_path_factory.mktemp("hostile") / "rules")
    app = create_app(EngineProvider.from_directory(rules), quote_key="k" * 32,
                     watch_interval=None, body_timeout=BODY_TIMEOUT)
    with Server(app, limits=ServerLimits(header_timeout=HEADER_TIMEOUT)) as srv:
        yield srv


def exchange(port: int, data: bytes | list[bytes], *, wait: float = 5.0
             ) -> tuple[int | None, dict[str, str], bytes, float]:
    """Send raw bytes (a list: with pauses between), read one response: status, headers,
    body and seconds taken. Status None: the server closed without answering."""
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as s:
        for part in data if isinstance(data, list) else [data]:
            try:
                s.sendall(part)
            except (BrokenPipeError, ConnectionResetError):
                break  # the server answered and closed before reading it all
        conn = h11.Connection(h11.CLIENT)
        status, headers, body = None, {}, b""
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                try:
                    chunk = s.recv(65536)
                except (ConnectionResetError, TimeoutError):
                    chunk = b""
                conn.receive_data(chunk)
                if not chunk and status is None:
                    break
                continue
            if isinstance(event, h11.Response):
                status = event.status_code
                headers = {k.decode().lower(): v.decode() for k, v in event.headers}
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                break
    return status, headers, body, time.monotonic() - start


def post(path: str, body: bytes, *, headers: dict[str, str] | None = None,
         length: bool = True) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: pricing.test", "Connection: close"]
    hdrs = {"Content-Type": "application/json", **(headers or {})}
    if length and "Content-Length" not in hdrs and "Transfer-Encoding" not in hdrs:
        hdrs["Content-Length"] = str(len(body))
    lines += [f"{k}: {v}" for k, v in hdrs.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def chunked(*parts: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


def body_with(**changes: Any) -> bytes:
    data = cart("de")
    item = data["items"][0]
    for key, value in changes.items():
        if key in ("amount", "currency"):
            item["price"][key] = value
        elif key in ("sku", "quantity", "hs_code", "category", "title", "weight"):
            item[key] = value
        else:
            data[key] = value
    return json.dumps(data).encode()


def amount_raw(token: bytes) -> bytes:
    return json.dumps(cart("de")).encode().replace(b'"20.00"', token, 1)


HUGE = 900 * 1024
CORPUS: list[tuple[str, bytes | list[bytes]]] = [
    # -- issue 13, item 10: lenient input, and huge values echoed back
    ("integer amount", post("/v1/quotes", amount_raw(b"20"))),
    ("underscore amount", post("/v1/quotes", body_with(amount="2_0.00"))),
    ("arabic-indic digits", post("/v1/quotes", body_with(amount="\u0662\u0660.\u0660\u0660"))),
    ("padded amount", post("/v1/quotes", body_with(amount=" 20.00 "))),
    ("exponent amount", post("/v1/quotes", body_with(amount="2E1"))),
    ("200,000-digit amount", post("/v1/quotes", body_with(amount="1." + "0" * 200_000))),
    ("900 KB sku", post("/v1/quotes", body_with(sku="x" * HUGE))),
    ("900 KB country", post("/v1/quotes", body_with(destination={"country": "D" * HUGE}))),
    ("900 KB unknown key", post("/v1/quotes", json.dumps({**cart(), "k" * HUGE: 1}).encode())),
    ("900 KB market", post("/v1/quotes", body_with(market="m" * HUGE))),
    ("900 KB token", post("/v1/quotes/verify", json.dumps({"token": 7, "cart": "x" * HUGE})
                          .encode())),
    # -- issue 13, item 11
    ("empty ship_from", post("/v1/quotes", body_with(ship_from=""))),
    ("comma locale", post("/v1/quotes", body_with(locale=","))),
    ("date-time date", post("/v1/quotes", body_with(date="2026-11-23T00:00:00"))),
    ("compact date", post("/v1/quotes", body_with(date="20261123"))),
    ("year 9999", post("/v1/quotes", body_with(date="9999-12-31"))),
    # -- malformed JSON
    ("truncated JSON", post("/v1/quotes", b'{"destination": {"country": "DE"}, "items": [')),
    ("trailing garbage", post("/v1/quotes", json.dumps(cart()).encode() + b"}}")),
    ("not UTF-8", post("/v1/quotes", b'{"destination": "\xff\xfe"}')),
    ("UTF-8 BOM", post("/v1/quotes", b"\xef\xbb\xbf" + json.dumps(cart()).encode())),
    ("NaN amount", post("/v1/quotes", amount_raw(b"NaN"))),
    ("1e999999 amount", post("/v1/quotes", amount_raw(b"1e999999"))),
    ("deep arrays", post("/v1/quotes", b"[" * 100_000 + b"]" * 100_000)),
    ("deep objects", post("/v1/quotes", b'{"a":' * 50_000 + b"1" + b"}" * 50_000)),
    ("deep in a field", post("/v1/quotes", json.dumps(cart()).encode().replace(
        b'"DE"', b"[" * 50_000 + b"]" * 50_000, 1))),
    ("a string", post("/v1/quotes", b'"cart"')),
    ("empty body", post("/v1/quotes", b"")),
    ("form body", post("/v1/quotes", b"a=1", headers={"Content-Type": "text/plain"})),
    ("1001 items", post("/v1/quotes", body_with(items=[cart()["items"][0]] * 1001))),
    ("huge quantity", post("/v1/quotes", body_with(quantity=10**400))),
    # -- sizes, lengths and framing
    ("2 MiB with Content-Length", post("/v1/quotes", b" " * (2 * 1024 * 1024))),
    ("declared 10 GB", post("/v1/quotes", b"{}", headers={"Content-Length": "10000000000"})),
    ("2 MiB chunked", post("/v1/quotes", chunked(*[b" " * 65536] * 32),
                           headers={"Transfer-Encoding": "chunked"})),
    ("Content-Length not a number", post("/v1/quotes", b"{}", headers={"Content-Length": "x"})),
    ("negative Content-Length", post("/v1/quotes", b"{}", headers={"Content-Length": "-1"})),
    ("two Content-Lengths", post("/v1/quotes", b"{}", headers={"Content-Length": "2, 3"})),
    ("Content-Length and chunked", post("/v1/quotes", chunked(b"{}"), headers={
        "Content-Length": "2", "Transfer-Encoding": "chunked"})),
    ("bad chunk size", post("/v1/quotes", b"zz\r\n{}\r\n0\r\n\r\n",
                            headers={"Transfer-Encoding": "chunked"})),
    ("unknown transfer coding", post("/v1/quotes", b"{}", headers={
        "Transfer-Encoding": "gzip, chunked"})),
    ("header without colon", b"POST /v1/quotes HTTP/1.1\r\nHost: x\r\nbroken\r\n\r\n"),
    ("64 KiB header", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 65536
     + b"\r\n\r\n"),
    ("not HTTP", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 64),
    ("Expect 100-continue, 10 GB", post("/v1/quotes", b"", headers={
        "Expect": "100-continue", "Content-Length": "10000000000"})),
    # -- paths and methods
    ("wrong method", b"DELETE /v1/quotes HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    ("traversal", b"GET /v1/markets/..%2F..%2Fetc%2Fpasswd HTTP/1.1\r\nHost: x\r\n"
     b"Connection: close\r\n\r\n"),
    ("unknown path", b"GET /admin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    ("bad locale query", b"GET /v1/products/A?locale=%00%ff HTTP/1.1\r\nHost: x\r\n"
     b"Connection: close\r\n\r\n"),
    ("reload without token", post("/v1/admin/reload", b"")),
]


@pytest.mark.parametrize("data", [c[1] for c in CORPUS], ids=[c[0] for c in CORPUS])
def test_hostile_requests_get_a_prompt_4xx_problem(server, data):
    status, headers, body, seconds = exchange(server.port, data)
    assert status is not None and 400 <= status < 500, (status, body[:300])
    assert headers.get("content-type") == "application/problem+json", headers
    problem = json.loads(body)
    assert problem["status"] == status and problem["type"].startswith("urn:pricing:problem:")
    assert "Traceback" not in body.decode("utf-8", "replace")
    assert len(body) < 8 * 1024, f"{len(body)} bytes: a huge input came back"
    assert seconds < PROMPT, f"answered after {seconds:.1f} s"


def test_each_lenient_number_is_refused_naming_the_field(server):
    for raw in (amount_raw(b"20"), body_with(amount="2_0.00"), body_with(amount=" 20.00 "),
                body_with(amount="\u0662\u0660.\u0660\u0660")):
        status, _, body, _ = exchange(server.port, post("/v1/quotes", raw))
        assert (status, json.loads(body)["field"]) == (422, "items[0].price.amount")


def test_a_body_that_stops_arriving_gets_a_408_and_the_connection_closes(server):
    head = post("/v1/quotes", b"", headers={"Content-Length": "100"})
    status, headers, body, seconds = exchange(server.port, [head, b"{"], wait=10)
    assert status == 408 and headers["connection"] == "close"
    assert json.loads(body)["code"] == "request-timeout"
    assert BODY_TIMEOUT <= seconds < BODY_TIMEOUT + 3


def test_a_head_that_stops_arriving_is_closed(server):
    status, _, body, seconds = exchange(
        server.port, b"POST /v1/quotes HTTP/1.1\r\nHost: x\r\nContent-Le", wait=10)
    assert status == 408 and json.loads(body)["code"] == "request-timeout"
    assert HEADER_TIMEOUT <= seconds < HEADER_TIMEOUT + 3


def test_many_stalled_connections_are_all_closed(server):
    """The issue's attack (1,000 connections, `Content-Length: 100` and one byte): here 200,
    half stalled in the head and half in the body; all closed by the timeouts."""
    socks = []
    for i in range(200):
        s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        s.sendall(post("/v1/quotes", b"{", headers={"Content-Length": "100"}) if i % 2 else
                  b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        socks.append(s)
    try:
        deadline = time.monotonic() + max(HEADER_TIMEOUT, BODY_TIMEOUT) + 8
        for s in socks:
            s.settimeout(max(deadline - time.monotonic(), 0.1))
            data = b""
            while chunk := s.recv(65536):  # until the server closes its side
                data += chunk
            assert data.startswith(b"HTTP/1.1 408 "), data[:100]
    finally:
        for s in socks:
            s.close()
    # and the service still answers
    status, _, _, _ = exchange(server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
                                            b"Connection: close\r\n\r\n")
    assert status == 200


def test_head_healthz_is_200_without_a_body(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
        s.sendall(b"HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ") and body == b""


def test_readyz_names_places_never_rule_values(tmp_path):
    rules = copy_rules(tmp_path / "rules")
    secret = "s3cr3t-value-from-a-rule-file"
    gb = rules / "markets" / "gb.toml"
    provider = EngineProvider.from_directory(rules)
    gb.write_text(f'password = "{secret}"\n' + gb.read_text("utf-8"), "utf-8")
    assert provider.reload().outcome == "failed"
    app = create_app(provider, quote_key="k" * 32, watch_interval=None)
    with Server(app) as srv:
        status, _, body, _ = exchange(srv.port, b"GET /readyz HTTP/1.1\r\nHost: x\r\n"
                                                b"Connection: close\r\n\r\n")
    assert status == 200 and secret not in body.decode()
    ready = json.loads(body)
    assert ready["reload_errors"] == [{"file": "markets/gb.toml", "line": 1, "key": "password"}]
    assert ready["last_reload"]["errors"] == ready["reload_errors"]

