"""The HTTP service: a thin FastAPI layer over :class:`~pricing.engine.Engine`.

:func:`create_app` builds the app over an :class:`EngineProvider`, which holds the engine in
use and swaps in a new one atomically when the rules change (admin call, SIGHUP, or the file
watcher); a reload that fails validation keeps the last good engine serving and is reported by
``/readyz``. :func:`serve` runs it under uvicorn. docs/service.md describes every endpoint.

The quote path does the least it can: a plain body (the documented keys, well-formed values: nearly
every checkout's) is read by orjson and :func:`~pricing.plainrequest.read_plain`; any other body is
parsed and validated once by pydantic, straight from the bytes
(``QuoteRequestModel.model_validate_json``), which names what is wrong. The engine quotes,
:func:`~pricing.api.problems.render` writes the bytes. Small carts are quoted on the event loop (a
thread hop costs more than the quote); carts over :data:`INLINE_ITEMS` lines go to the thread pool
so one big cart does not stall the others. A cart seen before by the same engine on the same day
comes from the :class:`~pricing.api.cache.QuoteCache` and is only signed afresh.
"""

from __future__ import annotations

import asyncio
import copy
import hmac
import json
import logging
import math
import os
import re
import signal
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Mapping, MutableMapping
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar

import orjson
from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi_offline import FastAPIOffline
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from pricing.api.cache import DEFAULT_CACHE_BYTES, QuoteCache
from pricing.api.feeds import feeds_router
from pricing.api.metrics import MULTIPROC_ENV, Metrics, worker_metrics_dir
from pricing.api.models import (
    HealthModel,
    MarketModel,
    MarketsModel,
    ProductAnswerModel,
    QuoteResponseModel,
    RatesModel,
    ReadyModel,
    ReloadModel,
    VerificationModel,
    answer,
)
from pricing.api.preview import add_preview, preview_enabled
from pricing.api.problems import (
    PROBLEM_MEDIA_TYPE,
    ProblemModel,
    problem,
    problem_from_error,
    problem_from_validation,
    render,
)
from pricing.api.provider import EngineProvider, ReloadResult, iso_timestamp
from pricing.api.server import DEFAULT_HEADER_TIMEOUT, ServerLimits, uvicorn_config
from pricing.api.signing import (
    QuoteSigner,
    VerifyRequestModel,
    expires_at,
    normal_digest,
    quote_payload,
    request_digest,
    verify_token,
)
from pricing.codes import normalize_locale, parse_day
from pricing.engine import Engine
from pricing.errors import PricingError, clip, clip_text
from pricing.fx import LiveRates
from pricing.plainrequest import PlainRequest, read_plain
from pricing.quote import QuoteRequest, QuoteRequestModel
from pricing.rateupdate import unpriced_markets

__all__ = [
    "DEFAULT_BODY_TIMEOUT",
    "DEFAULT_MAX_BODY_BYTES",
    "INLINE_ITEMS",
    "EngineProvider",
    "ReloadResult",
    "app_from_env",
    "create_app",
    "serve",
]

log = logging.getLogger("pricing.service")
access_log = logging.getLogger("pricing.access")

#: Request bodies over this many bytes get a 413 before any parsing (1 MiB).
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
#: Seconds a request body may go without a byte arriving before a 408 closes the connection
#: (nginx: client_body_timeout).
DEFAULT_BODY_TIMEOUT = 10.0
#: Request headers over this many bytes in all get a 431 (nginx's default buffers: 8-32 KiB).
MAX_HEADER_BYTES = 16 * 1024
#: Carts with more lines than this are quoted in the thread pool, not on the event loop.
INLINE_ITEMS = 50
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")

_M = TypeVar("_M", bound=BaseModel)


# -- the edge: request ids, body limit, access log, metrics, last-resort 500 -----------------

class _Edge:
    """One pure-ASGI middleware for everything every request needs (one layer is cheapest)."""

    def __init__(self, app: Any, *, metrics: Metrics, max_body_bytes: int,
                 body_timeout: float) -> None:  # float-ok: seconds
        self.app = app
        self.metrics = metrics
        self.max_body = max_body_bytes
        self.body_timeout = body_timeout

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        rid = ""
        length: str | None = None
        chunked = False
        head_bytes = 0
        for k, v in scope["headers"]:
            head_bytes += len(k) + len(v) + 4
            if k == b"x-request-id":
                rid = v.decode("latin-1")
            elif k == b"content-length":
                length = v.decode("latin-1")
            elif k == b"transfer-encoding":
                chunked = True
        if not _REQUEST_ID.fullmatch(rid):
            rid = uuid.uuid4().hex
        state = scope.get("state")
        if state is None:
            state = scope["state"] = {}
        state["request_id"] = rid
        rid_header = (b"x-request-id", rid.encode("latin-1"))
        info = {"status": 500, "bytes": 0, "started": False, "in": 0}

        async def send_wrapper(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                info["status"] = message["status"]
                info["started"] = True
                message["headers"] = [*message.get("headers", ()), rid_header]
            elif message["type"] == "http.response.body":
                info["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            if head_bytes > MAX_HEADER_BYTES:
                # h11 limits only headers that arrive in pieces; one big read passes it
                await _send_problem(send_wrapper, problem(
                    431, "headers-too-large", f"the request headers are {head_bytes} bytes, "
                    f"over the limit of {MAX_HEADER_BYTES}", limit=MAX_HEADER_BYTES,
                    request_id=rid), close=True)
                return
            if length is not None and not length.isdigit():
                await _send_problem(send_wrapper, problem(
                    400, "invalid-request", "Content-Length is not a number", request_id=rid))
                return
            declared = int(length) if length is not None and len(length) <= 18 else (
                None if length is None else self.max_body + 1)
            if declared is not None and declared > self.max_body:
                await _send_problem(send_wrapper, self._too_large(declared, rid))
                return
            if chunked or (length is not None and length != "0"):
                chunks = []
                size = 0
                while True:
                    try:
                        message = await asyncio.wait_for(receive(), self.body_timeout)
                    except TimeoutError:
                        # A client that stops sending holds a connection and a task: close.
                        info["status"] = 408
                        await _send_problem(send_wrapper, problem(
                            408, "request-timeout", f"the body stopped arriving: nothing "
                            f"for {self.body_timeout:g} seconds", request_id=rid), close=True)
                        return
                    if message["type"] != "http.request":
                        info["status"] = 499  # the client went away (nginx's code for it)
                        return
                    body = message.get("body", b"")
                    size += len(body)
                    if size > self.max_body:
                        await _send_problem(send_wrapper, self._too_large(size, rid))
                        return
                    chunks.append(body)
                    if not message.get("more_body", False):
                        break
                info["in"] = size
                receive = _replay(b"".join(chunks), receive)
            await self.app(scope, receive, send_wrapper)
        except Exception:
            log.exception("unhandled error in %s %s (request %s)", scope.get("method"),
                          scope.get("path"), rid)
            if not info["started"]:
                await _send_problem(send_wrapper, problem(
                    500, "internal-error", "the service failed to answer this request; it has "
                    "been logged under the request id", request_id=rid))
        finally:
            seconds = time.perf_counter() - start
            route = scope.get("route")
            template = getattr(route, "path", None) or (
                scope.get("path", "") if scope.get("endpoint") else "unmatched")
            self.metrics.observe_request(template, scope.get("method", ""), info["status"],
                                         seconds)
            if access_log.isEnabledFor(logging.INFO):
                client = scope.get("client")
                access_log.info(json.dumps({
                    "ts": iso_timestamp(time.time()), "request_id": rid,
                    "method": scope.get("method"), "path": scope.get("path"),
                    "route": template, "status": info["status"],
                    "duration_ms": round(seconds * 1000, 3), "bytes_in": info["in"],
                    "bytes_out": info["bytes"], "client": client[0] if client else None,
                }, ensure_ascii=False, separators=(",", ":")))

    def _too_large(self, size: int, rid: str) -> dict[str, Any]:
        return problem(413, "body-too-large",
                       f"the body is over the limit of {self.max_body} bytes"
                       + (f" ({size} bytes)" if size else ""),
                       limit=self.max_body, request_id=rid)


def _replay(body: bytes, receive: Any) -> Any:
    sent = False

    async def replay() -> Mapping[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()
    return replay


async def _send_problem(send: Any, body: Mapping[str, Any], *, close: bool = False) -> None:
    data = render(body)
    headers = [(b"content-type", PROBLEM_MEDIA_TYPE.encode()),
               (b"content-length", str(len(data)).encode())]
    if close:  # the rest of the body will not be read: the connection cannot be reused
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": body["status"], "headers": headers})
    await send({"type": "http.response.body", "body": data})


def _problem_response(request: Request, body: dict[str, Any],
                      headers: Mapping[str, str] | None = None) -> Response:
    rid = getattr(request.state, "request_id", None)
    if rid is not None:
        body["request_id"] = rid
    return Response(render(body), status_code=body["status"], media_type=PROBLEM_MEDIA_TYPE,
                    headers=dict(headers) if headers else None)


def _places(errors: Any) -> list[dict[str, Any]]:
    """Problems as places only (file, line, key): what an unauthenticated caller may see."""
    out = []
    for e in list(errors)[:50]:
        place = {k: e.get(k) for k in ("file", "line", "key") if e.get(k) is not None}
        if isinstance(place.get("key"), str):
            place["key"] = clip_text(place["key"])
        out.append(place)
    return out

#: ``?date=YYYY-MM-DD`` of the market endpoints: the day whose rates and regimes are shown.
_DATE_QUERY = Query(alias="date", max_length=10, json_schema_extra={"format": "date"},
                    description="The day whose rates and thresholds to show, YYYY-MM-DD "
                                "(default: today)")


def _json(data: Any, status: int = 200) -> Response:
    return Response(render(data), status_code=status, media_type="application/json")


# -- OpenAPI examples ---------------------------------------------------------------------------

#: The OpenAPI example request (a cart the bundled rules quote).
EXAMPLE_REQUEST: dict[str, Any] = {
    "destination": {"country": "DE"},
    "market": "de",
    "date": "2026-11-23",
    "items": [
        {"sku": "TSHIRT-01", "quantity": 2, "price": {"amount": "20.00", "currency": "EUR"},
         "hs_code": "610910", "origin": "PT", "weight": {"value": "0.2", "unit": "kg"}},
        {"sku": "BOOK-7", "quantity": 1, "price": {"amount": "12.50", "currency": "EUR"},
         "hs_code": "490199", "category": "books"},
        {"sku": "MUG-3", "quantity": 3, "price": {"amount": "9.90", "currency": "EUR"}},
    ],
}
# A JWT's shape (header, claims, MAC); the MAC is not a real one.
_EXAMPLE_TOKEN = ("eyJhbGciOiJIUzI1NiIsImtpZCI6IlhqR1BqUG5MNGtrIiwidHlwIjoiSldUIn0."
                  "eyJ2IjoyLCJpc3MiOiJ1cm46cHJpY2luZzpxdW90ZXMiLCIuLi4iOiIuLi4ifQ."
                  "c2lnbmF0dXJlIG9mIHRoZSBleGFtcGxlIChub3QgcmV")
_QUOTE_EXAMPLES = {"cart": {"summary": "A three-line cart to Germany", "value": EXAMPLE_REQUEST}}
_VERIFY_EXAMPLES = {
    "token": {"summary": "Check a token", "value": {"token": _EXAMPLE_TOKEN}},
    "token and cart": {"summary": "Check a token against the cart about to be charged",
                       "value": {"token": _EXAMPLE_TOKEN, "cart": EXAMPLE_REQUEST}},
}
_BEARER = HTTPBearer(auto_error=False, description="The PRICING_ADMIN_TOKEN")

_PROBLEMS: dict[int | str, dict[str, Any]] = {
    400: {"model": ProblemModel, "description": "The body is not valid JSON"},
    413: {"model": ProblemModel, "description": "The body is over the size limit"},
    415: {"model": ProblemModel, "description": "The body is not declared as JSON"},
    422: {"model": ProblemModel, "description": "The body is invalid (field names the path)"},
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ProblemModel, "description": "No such resource"}}


def _openapi(app: FastAPI) -> Callable[[], dict[str, Any]]:
    """The schema with every 4xx/5xx documented as application/problem+json (RFC 9457)."""
    from fastapi.openapi.utils import get_openapi

    def build() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        with warnings.catch_warnings():
            # GET and HEAD of one route share its operation id; renamed below
            warnings.filterwarnings("ignore", message="Duplicate Operation ID")
            schema = get_openapi(title=app.title, version=app.version, summary=app.summary,
                                 description=app.description, routes=app.routes,
                                 tags=app.openapi_tags)
        # FastAPI drops every null from the document, examples too: put them back as written
        # (a quote's example without its null members would not match its own schema).
        for route in app.routes:
            example = (getattr(route, "responses", None) or {}).get(200, {}).get(
                "content", {}).get("application/json", {}).get("example")
            for method in getattr(route, "methods", None) or () if example else ():
                op = schema["paths"].get(route.path_format, {}).get(method.lower())
                if op is not None and method != "HEAD":
                    op["responses"]["200"]["content"]["application/json"]["example"] = example
        for operations in schema.get("paths", {}).values():
            head = operations.get("head")
            if head is not None and "get" in operations:
                head["operationId"] = operations["get"]["operationId"] + "_head"
                head["responses"]["200"].pop("content", None)  # HEAD answers have no body
        defs = schema.setdefault("components", {}).setdefault("schemas", {})
        defs.pop("HTTPValidationError", None)  # FastAPI's default 422 shape: we send problems
        defs.pop("ValidationError", None)
        for model in (ProblemModel, *_BODY_MODELS.values()):
            js = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, sub in js.pop("$defs", {}).items():
                defs.setdefault(name, sub)
            defs.setdefault(model.__name__, js)
        problem_content = {PROBLEM_MEDIA_TYPE: {
            "schema": {"$ref": "#/components/schemas/ProblemModel"}}}
        for operations in schema.get("paths", {}).values():
            for op in operations.values():
                for status, response in op.get("responses", {}).items():
                    if status[:1] in ("4", "5"):
                        response["content"] = problem_content
        app.openapi_schema = schema
        return schema

    return build


_BODY_MODELS: dict[str, type[BaseModel]] = {"QuoteRequestModel": QuoteRequestModel,
                                             "VerifyRequestModel": VerifyRequestModel}


def _body_doc(model: str, examples: Mapping[str, Any]) -> dict[str, Any]:
    """The OpenAPI requestBody of a route that parses its own body (see :func:`_read_body`)."""
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{model}"}, "examples": dict(examples)}}}}


def _is_json(content_type: str) -> bool:
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind == "application/json" or (kind.startswith("application/")
                                          and kind.endswith("+json"))


def _plain_body(raw: bytes) -> PlainRequest | None:
    """A plain quote body read the fast way, or None: pydantic then reads it (and names what
    is wrong). orjson refuses what pydantic's parser refuses (bad UTF-8, lone surrogates,
    NaN, trailing bytes); both keep the last of duplicate keys."""
    if not raw:
        return None
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return read_plain(data)


async def _read_body(request: Request, model: type[_M]) -> _M | Response:
    """Parse and validate a JSON body in one pass (pydantic's JSON parser), or a problem.

    The routes do this themselves rather than through a FastAPI body parameter: it is one
    validation instead of json.loads plus validation, and a validator that fails with
    something other than a ValueError (a TypeError from an unhashable value, say) becomes a
    422 here instead of a 500.
    """
    content_type = request.headers.get("content-type")
    if content_type and not _is_json(content_type):
        return _problem_response(request, problem(
            415, "unsupported-media-type",
            "send the body as JSON with Content-Type: application/json"))
    raw = await request.body()
    try:
        return model.model_validate_json(raw)
    except ValidationError as e:
        _, body = problem_from_validation(e.errors(include_url=False))
        return _problem_response(request, body)
    except (TypeError, RecursionError) as e:
        log.info("body rejected by a validator: %s: %s", type(e).__name__, e)
        return _problem_response(request, problem(
            422, "invalid-request", "a field holds a value of the wrong type (an object or a "
            "list where a string or a number belongs)"))


# -- the app ----------------------------------------------------------------------------------

def create_app(provider: EngineProvider | Engine, *, quote_key: str | None = None,
               previous_quote_keys: str | None = None, admin_token: str | None = None,
               clock: Callable[[], float] = time.time, watch_interval: float | None = 1.0,
               max_body_bytes: int = DEFAULT_MAX_BODY_BYTES, bench: bool = False,
               quote_cache: int = 4096, quote_cache_bytes: int = DEFAULT_CACHE_BYTES,
               body_timeout: float = DEFAULT_BODY_TIMEOUT,  # float-ok: seconds
               preview: bool = True,
               feed_catalog: str | Path | None = None) -> FastAPI:
    """The FastAPI app over ``provider`` (or a bare engine, which then cannot reload).

    The app reads no ``PRICING_*`` variable: :func:`serve` and :func:`app_from_env` pass the
    settings in (its metrics follow prometheus_client's ``PROMETHEUS_MULTIPROC_DIR``, which
    :func:`serve` sets for several workers; see :mod:`pricing.api.metrics`). ``quote_key`` signs
    quotes (``previous_quote_keys``, comma separated, still verify); without one a random
    per-process key is made and a warning logged. ``admin_token`` enables
    ``POST /v1/admin/reload``. ``clock`` (Unix seconds) dates signatures, so tests can move
    time. ``watch_interval``: the watcher reloads the rules once their files have been quiet
    that many seconds after a change (None: no watcher). ``bench`` adds
    ``POST /bench/validate-only`` for bench/bench_http.py. ``quote_cache`` is how many recent
    quotes :class:`QuoteCache` keeps (0: none), ``quote_cache_bytes`` how much memory they may
    hold. ``body_timeout`` closes a request whose body stops arriving. ``preview`` serves the
    preview page at ``/`` and ``/preview`` (:mod:`pricing.api.preview`). A ``quote_key`` (or a
    previous key) under 32 bytes raises :class:`~pricing.api.signing.WeakKeyError` (a
    ValueError): a short key is guessable. ``feed_catalog`` is the catalog ``GET /v1/feeds``
    reads (default: the one beside the rules folder).
    """
    if isinstance(provider, Engine):
        provider = EngineProvider(provider)
    prov: EngineProvider = provider
    signer = QuoteSigner.from_secrets(quote_key, previous_quote_keys)
    if signer.generated:
        log.warning("PRICING_QUOTE_KEY is not set: signing quotes with a random key for this "
                    "process only; tokens will not verify after a restart or on another worker")
    metrics = Metrics(clock=clock)
    cache = QuoteCache(quote_cache, max_bytes=quote_cache_bytes)
    metrics.set_rules_version(prov.engine.rules.version)
    metrics.set_rates(prov.engine.rates.as_of)

    def on_reload(result: ReloadResult) -> None:
        metrics.count_reload(result.outcome, problems=len(result.errors))
        metrics.set_rules_version(result.rules_version)
        metrics.set_rates(prov.engine.rates.as_of)

    prov.subscribe(on_reload)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        watching = bool(watch_interval) and prov.rules_dir is not None
        if watching:
            prov.watch(interval=float(watch_interval or 1.0))  # float-ok: seconds
        try:
            yield
        finally:
            if watching:
                prov.stop_watching()

    # /docs and /redoc from the Swagger UI and ReDoc files fastapi-offline ships, served under
    # /static-offline-docs: the pages work without a network (FastAPI's own load a CDN).
    app = FastAPIOffline(
        # Operation ids are the handlers' names (post_quote, list_markets): what generated
        # clients call their functions.
        generate_unique_id_function=lambda route: route.name,
        # No validator badge: Swagger UI would send the schema to validator.swagger.io.
        swagger_ui_parameters={"validatorUrl": None},
        title="pricing",
        version="1",
        summary="Landed-cost quotes with every amount explained",
        description="Quotes, markets and rates over the rule files; errors are RFC 9457 "
                    "problem+json. The JSON of a quote is `render(engine.quote(body).to_dict())`"
                    " of the Python module, plus a `signature` member.",
        lifespan=lifespan,
    )
    app.openapi = _openapi(app)  # type: ignore[method-assign]
    app.state.provider = prov
    app.state.metrics = metrics
    app.state.signer = signer
    app.add_middleware(_Edge, metrics=metrics, max_body_bytes=max_body_bytes,
                       body_timeout=body_timeout)
    example_quote: dict[str, Any] | None
    try:  # the example answer, from the rules in use
        example_quote = prov.engine.quote(EXAMPLE_REQUEST).to_dict()
        example_quote["signature"] = {"token": _EXAMPLE_TOKEN,
                                      "expires_at": "2026-11-23T10:15:00Z"}
    except PricingError:
        example_quote = None
    # A market as the rules in use describe it (de when there is one), for the examples.
    rules = prov.engine.rules
    example_day = date.fromisoformat(EXAMPLE_REQUEST["date"])
    example_market = next((m for k, m in rules.markets.items() if k == "de"),
                          next(iter(rules.markets.values()), None))
    example_summary = (example_market.summary(on=example_day) if example_market is not None
                       else None)

    # -- errors --

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        _, body = problem_from_validation(exc.errors())
        return _problem_response(request, body)

    @app.exception_handler(PricingError)
    async def _pricing(request: Request, exc: PricingError) -> Response:
        return _problem_response(request, problem_from_error(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not-found", 405: "method-not-allowed", 401: "unauthorized",
                403: "forbidden"}.get(exc.status_code, "invalid-request")
        detail = str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"no resource at {request.url.path}; see /docs for the endpoints"
        return _problem_response(request, problem(exc.status_code, code, detail),
                                 headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> Response:  # pragma: no cover
        log.error("unhandled error: %s", type(exc).__name__, exc_info=exc)
        return _problem_response(request, problem(500, "internal-error",
                                                  "the service failed to answer this request"))

    # -- quotes --

    quote_responses: dict[int | str, dict[str, Any]] = {
        **answer(QuoteResponseModel, "The quote: `Quote.to_dict()` plus `signature`",
                 example_quote),
        **_PROBLEMS,
    }

    @app.post("/v1/quotes", tags=["quotes"], responses=quote_responses,
              response_class=Response, summary="Quote a cart",
              openapi_extra=_body_doc("QuoteRequestModel", _QUOTE_EXAMPLES))
    async def post_quote(request: Request) -> Response:
        """Quote a cart for a destination; every amount carries the rule that produced it.

        The body is the module's `Quote.to_dict()` rendered by `pricing.service.render`, with
        one member added at the end: `signature` = `{token, expires_at}`. An unknown market,
        currency or shipping method named in the body is a 422 naming the field.
        """
        start = time.perf_counter()
        engine = prov.engine
        day = engine.today()
        content_type = request.headers.get("content-type")
        raw = await request.body() if not content_type or _is_json(content_type) else b""
        hit = cache.get(engine, day, raw) if raw else None
        if hit is not None:
            head, base, market = hit
        else:
            plain = _plain_body(raw)
            if plain is not None:
                req, normal = plain
                digest = normal_digest(normal)
            else:
                body = await _read_body(request, QuoteRequestModel)
                if isinstance(body, Response):
                    return body
                try:
                    req = QuoteRequest.from_model(body)
                except PricingError as e:
                    return _problem_response(request, problem_from_error(e, in_body=True))
                digest = request_digest(body)
            try:
                if len(req.items) > INLINE_ITEMS:
                    quote = await run_in_threadpool(engine.quote, req, on=day)
                else:
                    quote = engine.quote(req, on=day)
            except PricingError as e:
                return _problem_response(request, problem_from_error(e, in_body=True))
            data = quote.to_dict()
            # The payload without its times; each response stamps its own iat and exp.
            base = quote_payload(data, request_sha256=digest, issued_at=0,
                                 ttl_seconds=0)
            head = render(data)[:-1]  # the quote object, open for the signature member
            market = quote.market
            cache.put(engine, day, raw, head, base, market)
        iat = math.floor(clock())
        payload = {**base, "iat": iat, "exp": iat + engine.rules.shop.quote_ttl_seconds}
        signature = {"token": signer.sign(payload), "expires_at": expires_at(payload["exp"])}
        metrics.observe_quote(market, seconds=time.perf_counter() - start)
        # Byte for byte render({**quote.to_dict(), "signature": signature}).
        return Response(head + b',"signature":' + render(signature) + b"}",
                        media_type="application/json")

    @app.post("/v1/quotes/verify", tags=["quotes"], responses={**answer(
        VerificationModel, "valid, expired or tampered", {
            "status": "valid", "quote": {"v": 2, "iss": "urn:pricing:quotes", "market": "de",
                                         "currency": "EUR"},
            "expires_at": "2026-11-23T10:15:00Z", "cart_matches": True, "reason": None}),
        **_PROBLEMS}, response_class=Response, summary="Check a signed quote",
        openapi_extra=_body_doc("VerifyRequestModel", _VERIFY_EXAMPLES))
    async def verify_quote(request: Request) -> Response:
        """Is this token one we signed, still in force, and (given a cart) for this cart?

        The token is a JWT (HS256, `kid` naming the key). `status` is `tampered` unless the
        token verifies with the current or a previous key; then `expired` once `expires_at`
        has passed, else `valid`. `quote` is the signed claims (null when tampered);
        `cart_matches` is null unless a cart is given; `reason` (`{code, detail}`, null when
        valid) says why a token is not valid: `malformed`, `unsupported-algorithm`,
        `unknown-key`, `bad-signature`, `invalid-claims` or `expired`.
        """
        body = await _read_body(request, VerifyRequestModel)
        if isinstance(body, Response):
            return body
        cart = request_digest(body.cart) if body.cart is not None else None
        result = verify_token(signer, body.token, now=clock(), cart_sha256=cart)
        return _json(result.to_dict())

    # -- markets, products, rates --

    markets_bodies: dict[tuple[str, date], bytes] = {}

    @app.get("/v1/markets", tags=["markets"], response_class=Response,
             responses={**answer(MarketsModel, "Every market", example_summary and {
                 "rules_version": rules.version, "date": example_day.isoformat(),
                 "markets": [example_summary]}), 422: _PROBLEMS[422]})
    async def list_markets(on: Annotated[str | None, _DATE_QUERY] = None) -> Response:
        """Every market of the rules in use on the day (default: today): currency, tax rates,
        thresholds, valuation and sources (`Market.summary`, docs/service.md)."""
        engine = prov.engine
        day = parse_day(on, field="query.date") if on is not None else engine.today()
        # The same for every request of a rules version and day, and building it costs about
        # four times sending it (bench/bench_markets.py): kept rendered for the last few days
        # asked (a reload brings a new version, so a new key).
        key = (engine.rules.version, day)
        body = markets_bodies.get(key)
        if body is None:
            if len(markets_bodies) >= 8:
                markets_bodies.clear()
            body = markets_bodies[key] = render({
                "rules_version": engine.rules.version, "date": day.isoformat(),
                "markets": [m.summary(on=day) for m in engine.rules.markets.values()]})
        return Response(body, media_type="application/json")

    @app.get("/v1/markets/{market_id}", tags=["markets"], response_class=Response,
             responses={**answer(MarketModel, "One market", example_summary and {
                 **example_summary, "rules_version": rules.version,
                 "date": example_day.isoformat()}), **_NOT_FOUND,
                        422: _PROBLEMS[422]})
    async def get_market(market_id: str,
                         on: Annotated[str | None, _DATE_QUERY] = None) -> Response:
        """One market's summary on the day (default: today); 404 with a "did you mean"
        suggestion when there is none."""
        engine = prov.engine
        rules = engine.rules
        market = rules.market(market_id.lower() if market_id.lower() in rules.markets
                              else market_id)  # ids are case-insensitive, as in a quote
        day = parse_day(on, field="query.date") if on is not None else engine.today()
        return _json({**market.summary(on=day), "rules_version": engine.rules.version,
                      "date": day.isoformat()})

    @app.get("/v1/products/{sku}", tags=["products"], response_class=Response,
             responses={**answer(ProductAnswerModel, "The product's text in the locale", {
                 "sku": "TEE-ORG-WHT-M", "title": "T-shirt en coton bio, blanc, taille M",
                 "title_locale": "fr", "description": "T-shirt en coton biologique, 180 g/m².",
                 "description_locale": "fr", "price": {"amount": "29.90", "currency": "EUR"},
                 "hs_code": "610910", "origin": "PT", "category": "clothing",
                 "weight": {"value": "0.18", "unit": "kg"}, "rules_version": "1617b0fd64d6"}),
                        **_NOT_FOUND, 422: _PROBLEMS[422]})
    async def get_product(
        request: Request, sku: str,
        market: Annotated[str | None, Query(max_length=40, description=(
            "A market id (case-insensitive); narrows the text to its locales"))] = None,
        locale: Annotated[str | None, Query(max_length=40, description=(
            "A CLDR locale, _ or - between parts, e.g. de_DE"))] = None,
    ) -> Response:
        """A product's localized text from the catalog, when one is loaded (else 404)."""
        engine = prov.engine
        # the Market of the rules in use (the catalog's own copy of the rules may be older)
        market_obj = engine.rules.market(market.lower()) if market else None
        loc = normalize_locale(locale) if locale else None
        lookup = getattr(engine.catalog, "product", None)
        if not callable(lookup):
            return _problem_response(request, problem(
                404, "no-product-catalog", "no product catalog is loaded; start the service "
                "with --locales DIR to serve product text", field="sku", value=sku))
        found = lookup(sku, market=market_obj, locale=loc)  # UnknownProductError: a 404
        if found is None:
            return _problem_response(request, problem(
                404, "unknown-product", f"no product {sku!r} in the catalog",
                field="sku", value=sku))
        data = found.to_dict() if hasattr(found, "to_dict") else dict(found)
        return _json({**data, "rules_version": engine.rules.version})

    @app.get("/v1/rates", tags=["rates"], response_class=Response, responses=answer(
        RatesModel, "The rate table in use", {
            "base": "EUR", "date": "2026-11-20", "source": "ECB",
            "rates": {"EUR": "1", "GBP": "0.8712", "USD": "1.0512"}}))
    async def get_rates() -> Response:
        """The exchange-rate table quotes are computed with (units per one base unit)."""
        return _json(prov.engine.rates.to_dict())

    # -- operations --

    @app.api_route("/healthz", methods=["GET", "HEAD"], tags=["operations"],
                   response_class=Response, responses=answer(HealthModel, "Alive",
                                                             {"status": "ok"}))
    async def healthz() -> Response:
        """Liveness: the process answers (HEAD too, for load balancers)."""
        return _json({"status": "ok"})

    @app.api_route("/readyz", methods=["GET", "HEAD"], tags=["operations"],
                   response_class=Response, responses=answer(
                       ReadyModel, "Serving; `degraded` names the markets it cannot price", {
                           "status": "ready", "rules_version": "1617b0fd64d6",
                           "rules_loaded_at": "2026-11-23T10:15:00.000Z",
                           "markets": ["de", "gb"],
                           "rates": {"source": "ECB", "as_of": "2026-11-20"},
                           "unpriced_markets": [], "reload_errors": [], "last_reload": None,
                           "catalog_errors": []}))
    async def readyz() -> Response:
        """Readiness: the rules version serving, the markets the rates cannot price
        (``status`` is then ``degraded``), and where the last reload found problems.

        Unauthenticated, so it names places only (file, line, key), never what a rule file
        holds: the messages are in the answer of `POST /v1/admin/reload`, in the log and in
        `pricing validate`.
        """
        engine = prov.engine
        last = prov.last_reload
        last_dict = last.to_dict() if last is not None else None
        if last_dict is not None:
            last_dict["errors"] = _places(last_dict["errors"])
        # Rates: a market whose currency the table lacks answers every quote with
        # missing-rate; the compiled plans already know which (pricing.rateupdate).
        unpriced = unpriced_markets(engine)
        return _json({
            "status": "degraded" if unpriced else "ready",
            "rules_version": engine.rules.version,
            "rules_loaded_at": iso_timestamp(prov.loaded_at),
            "markets": list(engine.rules.markets),
            "rates": {"source": engine.rates.source, "as_of": engine.rates.as_of.isoformat()},
            "unpriced_markets": unpriced,
            "reload_errors": _places(prov.reload_errors),
            "last_reload": last_dict,
            # Broken PO files or catalog rows: their products fall back to source text.
            "catalog_errors": _places([p.to_dict() for err in getattr(engine.catalog,
                                                                      "errors", ())
                                       for p in err.problems]),
        })

    @app.get("/metrics", tags=["operations"], response_class=Response, responses={200: {
        "description": "Prometheus text format, or OpenMetrics when the Accept header asks",
        "content": {"text/plain": {"schema": {"type": "string"}},
                    "application/openmetrics-text": {"schema": {"type": "string"}}}}})
    async def get_metrics(request: Request) -> Response:
        """Prometheus text format (OpenMetrics when asked for): requests and quotes with their
        latency, reloads, rules version, rates age, process; every worker's, added up."""
        metrics.set_rates(prov.engine.rates.as_of)  # live rates swap tables between reloads
        # Off the event loop: a scrape of a service that quoted every market takes ~50 ms.
        body, content_type = await run_in_threadpool(metrics.render,
                                                     request.headers.get("accept"))
        return Response(body, media_type=content_type)

    @app.post("/v1/admin/reload", tags=["operations"], response_class=Response, responses={
        **answer(ReloadModel, "Reloaded (`ok`), or the files had not changed (`unchanged`)",
                 {"outcome": "ok", "trigger": "admin", "at": "2026-11-23T10:20:00.000Z",
                  "rules_version": "5d0c2a9e71b4", "previous_version": "1617b0fd64d6",
                  "seconds": 0.8123, "errors": []}),
        401: {"model": ProblemModel, "description": "No bearer token"},
        403: {"model": ProblemModel, "description": "The token is wrong, or "
              "PRICING_ADMIN_TOKEN is not set (the admin API is off)"},
        422: {"model": ProblemModel, "description": "The rules are invalid; nothing changed"}})
    async def admin_reload(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)],
    ) -> Response:
        """Reload and validate the rule files now; the last good rules keep serving on errors."""
        if not admin_token:
            # 403, not 503: no credentials will do, and a client's request is no server fault
            return _problem_response(request, problem(
                403, "admin-disabled", "set PRICING_ADMIN_TOKEN to enable the admin API"))
        if credentials is None:
            return _problem_response(request, problem(
                401, "unauthorized", "send Authorization: Bearer <PRICING_ADMIN_TOKEN>"),
                headers={"WWW-Authenticate": 'Bearer realm="pricing-admin"'})
        if not hmac.compare_digest(credentials.credentials.encode(), admin_token.encode()):
            return _problem_response(request, problem(403, "forbidden",
                                                      "the admin token is wrong"))
        if prov.rules_dir is None:
            return _problem_response(request, problem(
                422, "invalid-rules", "this service was started without a rules directory"))
        result = await run_in_threadpool(prov.reload, trigger="admin")
        if result.outcome == "failed":
            n = len(result.errors)
            return _problem_response(request, problem(
                422, "invalid-rules", f"{n} problem{'s' if n != 1 else ''} in the rule files; "
                f"still serving rules version {result.rules_version}",
                errors=[dict(e) for e in result.errors], rules_version=result.rules_version))
        return _json(result.to_dict())

    if bench:
        @app.post("/bench/validate-only", include_in_schema=False, response_class=Response)
        async def validate_only(body: QuoteRequestModel) -> Response:
            """Only FastAPI's body validation: the floor bench/bench_http.py compares with."""
            return Response(b'{"ok":true}', media_type="application/json")

    add_preview(app, prov, page=preview)
    app.include_router(feeds_router(prov, catalog=feed_catalog))
    return app


# -- running it -------------------------------------------------------------------------------

class SettingError(ValueError):
    """A ``PRICING_*`` environment variable that cannot be used; the message names it."""


def _env_number(environ: Mapping[str, str], name: str, default: Any, *, lo: Any, hi: Any,
                kind: type = int) -> Any:
    raw = environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = kind(raw.strip())
    except ValueError:
        raise SettingError(f"{name}={clip(raw)} is not a{'n integer' if kind is int else ' number'}"
                           f"; allowed: {lo} to {hi}") from None
    if not lo <= value <= hi:
        raise SettingError(f"{name}={clip(raw)} is out of range; allowed: {lo} to {hi}")
    return value


def _settings(environ: Mapping[str, str]) -> dict[str, Any]:
    """The app's settings from ``PRICING_*`` variables; :class:`SettingError` names a bad one."""
    n = _env_number
    return {
        "quote_key": environ.get("PRICING_QUOTE_KEY") or None,
        "previous_quote_keys": environ.get("PRICING_QUOTE_KEY_PREVIOUS") or None,
        "admin_token": environ.get("PRICING_ADMIN_TOKEN") or None,
        "max_body_bytes": n(environ, "PRICING_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES,
                            lo=1024, hi=64 * 1024 * 1024),
        "watch_interval": n(environ, "PRICING_WATCH_INTERVAL", 1.0, lo=0, hi=3600,
                            kind=float) or None,  # float-ok: seconds
        "bench": environ.get("PRICING_BENCH") == "1",
        "quote_cache": n(environ, "PRICING_QUOTE_CACHE", 4096, lo=0, hi=1_000_000),
        "quote_cache_bytes": n(environ, "PRICING_QUOTE_CACHE_BYTES", DEFAULT_CACHE_BYTES,
                               lo=0, hi=16 * 1024**3),
        "body_timeout": n(environ, "PRICING_BODY_TIMEOUT", DEFAULT_BODY_TIMEOUT, lo=0.1,
                          hi=3600, kind=float),  # float-ok: seconds
        "preview": preview_enabled(environ.get("PRICING_PREVIEW")),
        "feed_catalog": environ.get("PRICING_FEED_CATALOG") or None,
    }


def _limits(environ: Mapping[str, str]) -> ServerLimits:
    """The server's limits from ``PRICING_*`` variables."""
    n = _env_number
    return ServerLimits(
        header_timeout=n(environ, "PRICING_HEADER_TIMEOUT", DEFAULT_HEADER_TIMEOUT, lo=0.1,
                         hi=3600, kind=float),  # float-ok: seconds
        keep_alive=n(environ, "PRICING_KEEP_ALIVE", 5, lo=1, hi=3600),
        limit_concurrency=n(environ, "PRICING_LIMIT_CONCURRENCY", 0, lo=0, hi=1_000_000) or None,
        backlog=n(environ, "PRICING_BACKLOG", 2048, lo=1, hi=65535),
        max_header_bytes=n(environ, "PRICING_MAX_HEADER_BYTES", 16 * 1024, lo=1024,
                           hi=1024 * 1024))


def _provider(rules: str | Path, rates: str | Path | None, locales: str | Path | None,
              env: Mapping[str, str]) -> EngineProvider:
    """The engine provider; ``rates="live"`` starts from the bundled table and refreshes it
    from forex-python every ``PRICING_LIVE_RATES_INTERVAL`` seconds (default 3600)."""
    live = rates is not None and str(rates) == "live"
    provider = EngineProvider.from_directory(rules, rates=None if live else rates,
                                             locales=locales)
    if live:
        interval = float(env.get("PRICING_LIVE_RATES_INTERVAL") or 3600)  # float-ok: seconds
        provider.use_live_rates(LiveRates(provider.engine.rates, timeout=5.0),
                                interval=interval)
    return provider


def app_from_env() -> FastAPI:
    """The app as configured by ``PRICING_*`` variables: uvicorn's factory for ``--workers``."""
    env = os.environ
    provider = _provider(env.get("PRICING_RULES", "rules"), env.get("PRICING_RATES") or None,
                         env.get("PRICING_LOCALES") or None, env)
    return create_app(provider, **_settings(env))


def _log_config(level: str) -> dict[str, Any]:
    from uvicorn.config import LOGGING_CONFIG

    cfg = copy.deepcopy(LOGGING_CONFIG)
    cfg["formatters"]["pricing_json"] = {"format": "%(message)s"}
    cfg["handlers"]["pricing_access"] = {"class": "logging.StreamHandler",
                                         "formatter": "pricing_json",
                                         "stream": "ext://sys.stdout"}
    cfg["loggers"]["pricing.access"] = {"handlers": ["pricing_access"], "level": "INFO",
                                        "propagate": False}
    cfg["loggers"]["pricing"] = {"handlers": ["default"], "level": level.upper(),
                                 "propagate": False}
    return cfg


def _run_workers(config: Any) -> None:
    """What ``uvicorn.run`` does for ``workers`` > 1, with a listening socket marked as TCP.

    uvicorn's ``Config.bind_socket()`` leaves ``proto`` at 0; accepted sockets inherit it and
    asyncio then skips TCP_NODELAY, so on Linux every keep-alive request after the first waits
    ~40 ms for a delayed ACK (github.com/Kludex/uvicorn/issues/3149). Measured here: 360
    req/s with 2 workers against 3,000 with one, until the socket said IPPROTO_TCP.
    """
    import inspect
    import socket

    from uvicorn import Server
    from uvicorn.supervisors import Multiprocess

    sock = config.bind_socket()
    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
        sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
    if "target" in inspect.signature(Multiprocess).parameters:  # uvicorn < 0.36
        Multiprocess(config, target=Server(config).run, sockets=[sock]).run()  # type: ignore[call-arg]
    else:
        Multiprocess(config, sockets=[sock]).run()


def serve(*, rules: str | Path = "rules", host: str = "127.0.0.1", port: int = 8000,
          workers: int = 1, rates: str | Path | None = None, locales: str | Path | None = None,
          watch_interval: float | None = None, log_level: str = "info",
          environ: Mapping[str, str] | None = None) -> int:
    """Run the service under uvicorn until interrupted; the exit code.

    The rules are validated first (a :class:`RulesError` propagates: the CLI prints every
    problem and exits 1). With ``workers`` > 1 uvicorn starts each worker from
    :func:`app_from_env`, and ``PRICING_QUOTE_KEY`` is required (a per-worker random key would
    reject the other workers' tokens). SIGHUP reloads the rules (single worker) or, with
    several workers, makes uvicorn replace them one by one, keeping old workers when the new
    rules fail. A ``PRICING_*`` setting that cannot be used (a quote key under 32 bytes, a
    limit that is not a number) is printed as one line and the exit code is 2.
    """
    import uvicorn

    env = dict(os.environ if environ is None else environ)
    if workers > 1 and not env.get("PRICING_QUOTE_KEY"):
        print(f"error: --workers {workers} needs PRICING_QUOTE_KEY (a long random secret): "
              "every worker must sign and verify quotes with the same key", file=sys.stderr)
        return 1
    try:
        settings = _settings(env)  # watch_interval: PRICING_WATCH_INTERVAL, else 1 s
        limits = _limits(env)
        # checked here, before any worker starts: a short key is refused (WeakKeyError)
        QuoteSigner.from_secrets(settings["quote_key"], settings["previous_quote_keys"])
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if watch_interval is not None:
        settings["watch_interval"] = watch_interval or None
    provider = _provider(rules, rates, locales, env)
    common: dict[str, Any] = {"host": host, "port": port, "log_config": _log_config(log_level),
                              "log_level": log_level, "access_log": False}
    if workers > 1:
        # Workers are fresh processes: they read their settings from the environment.
        os.environ.update({k: v for k, v in env.items() if k.startswith("PRICING_")})
        os.environ.update({"PRICING_RULES": str(rules), "PRICING_RATES": str(rates or ""),
                           "PRICING_LOCALES": str(locales or ""),
                           "PRICING_WATCH_INTERVAL": str(settings["watch_interval"] or 0)})
        config = uvicorn_config("pricing.api.app:app_from_env", limits=limits, factory=True,
                                workers=workers, **common)
        # The workers add up their metrics through files in one directory (prometheus_client's
        # multi-process mode), so that a scrape answered by any of them counts them all.
        with worker_metrics_dir(env) as metrics_dir:
            os.environ[MULTIPROC_ENV] = metrics_dir
            _run_workers(config)
        return 0
    app = create_app(provider, **settings)
    server = uvicorn.Server(uvicorn_config(app, limits=limits, **common))
    hup = getattr(signal, "SIGHUP", None)
    previous = None
    if hup is not None and threading.current_thread() is threading.main_thread():
        previous = signal.signal(hup, lambda *_: provider.reload_in_background(trigger="sighup"))
    try:
        server.run()
    finally:
        if hup is not None and previous is not None:
            signal.signal(hup, previous)
    return 0 if server.started else 1
