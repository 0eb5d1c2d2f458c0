"""Feeds and bulk prices over HTTP: ``GET /v1/feeds/{market}`` and ``POST /v1/prices``.

``GET /v1/feeds/{market}?channel=&locale=&date=`` streams the feed ``pricing feed`` writes for
that market, channel and language, from the service's catalog (``feed_catalog``: the bundled
``catalog/products.csv`` beside the rules unless configured), chunk by chunk: memory does not
grow with the catalog. Bad catalog rows are left out of the stream as they are out of a feed
file (``pricing feed`` lists them).

``POST /v1/prices`` prices up to :data:`MAX_PRICES` SKUs for one market in one call (what a
channel app that pulls prices needs): each item's landed unit price and its parts, as
:mod:`pricing.bulk` computes them, and a per-row error report (``errors``: index, sku, field,
code, message) for the items that could not be priced; one bad row never fails the call.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pricing.api.models import PricesResponseModel, answer
from pricing.api.problems import PROBLEM_MEDIA_TYPE, problem, problem_from_error, render
from pricing.api.provider import EngineProvider
from pricing.bulk import BulkPricer, CatalogItem
from pricing.errors import CatalogError, PricingError, key_path
from pricing.feeds.channels import CHANNELS
from pricing.feeds.channels import channel as find_channel
from pricing.feeds.market import MarketFeed
from pricing.feeds.readers import CatalogReader
from pricing.l10n.catalogs import find_products_file
from pricing.money import Money
from pricing.quote import _KG_PER, PriceModel, WeightModel, _Country, _Day, _Hs, _Locale

__all__ = ["MAX_PRICES", "PricesRequestModel", "feeds_router"]

#: Most SKUs one ``POST /v1/prices`` call prices.
MAX_PRICES = 10_000
_MEDIA = {",": "text/csv; charset=utf-8", "\t": "text/tab-separated-values; charset=utf-8"}


class PriceItemModel(BaseModel):
    """One SKU to price: a quote line without its quantity (one unit is priced)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sku: str = Field(min_length=1, max_length=128)
    price: PriceModel
    hs_code: _Hs | None = None
    origin: _Country | None = None
    category: str | None = Field(None, max_length=64)
    weight: WeightModel | None = None


class PricesRequestModel(BaseModel):
    """The body of ``POST /v1/prices``. Items are checked one by one: a bad item is reported
    in ``errors`` with its index, the others are priced."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra={"examples": [{
        "market": "de", "date": "2026-11-23", "items": [
            {"sku": "TSHIRT-01", "price": {"amount": "20.00", "currency": "EUR"},
             "hs_code": "610910", "origin": "PT", "weight": {"value": "0.2", "unit": "kg"}},
            {"sku": "BOOK-7", "price": {"amount": "12.50", "currency": "EUR"},
             "category": "books"}]}]})

    market: str = Field(max_length=40, json_schema_extra={"example": "de"})
    items: list[dict[str, Any]] = Field(
        min_length=1, max_length=MAX_PRICES,
        description="Each as a quote item without quantity: sku, price {amount, currency}, "
                    "hs_code, origin, category, weight {value, unit}")
    date: _Day | None = Field(None, description="Quote date; default: today")
    locale: _Locale | None = Field(None, description="One of the market's locales; default: "
                                   "its default")
    region: str | None = Field(None, max_length=10, description="ISO 3166-2, where taxes "
                               "depend on it (the US, Canada)")
    ship_from: _Country | None = Field(None, description="Default: the shop's country")


#: The example answer of ``POST /v1/prices`` (its request is :class:`PricesRequestModel`'s).
_PRICES_EXAMPLE = {
    "market": "de", "currency": "EUR", "locale": "de_DE", "date": "2026-11-23",
    "rules_version": "1617b0fd64d6", "priced": 1, "failed": 1,
    "prices": [{"index": 0, "sku": "TSHIRT-01",
                "unit_price": {"amount": "20.00", "currency": "EUR", "formatted": "20,00 €"},
                "landed_price": {"amount": "20.00", "currency": "EUR",
                                 "formatted": "20,00 €"},
                "duty": "0.00", "tax": "0.00", "included_tax": "3.19", "fees": "0.00",
                "regime": "domestic"}],
    "errors": [{"index": 1, "sku": "MUG-3", "field": "items[1].price",
                "code": "invalid-request", "message": "required field is missing"}]}


def _problem(request: Request, body: dict[str, Any]) -> Response:
    rid = getattr(request.state, "request_id", None)
    if rid is not None:
        body["request_id"] = rid
    return Response(render(body), status_code=body["status"], media_type=PROBLEM_MEDIA_TYPE)


def _item_errors(index: int, sku: Any, e: ValidationError) -> list[dict[str, Any]]:
    out = []
    for err in e.errors(include_url=False):
        loc = ("items", index, *err.get("loc", ()))
        kind = err.get("type")
        message = ("required field is missing" if kind == "missing" else
                   f"unknown field {err['loc'][-1]!r}" if kind == "extra_forbidden" else
                   str(err.get("msg", "invalid")).removeprefix("Value error, "))
        entry: dict[str, Any] = {"index": index, "sku": sku if isinstance(sku, str) else None,
                                 "field": key_path(loc), "code": "invalid-request",
                                 "message": message}
        value = err.get("input")
        if kind != "missing" and isinstance(value, str | int | bool):
            entry["value"] = value if not isinstance(value, str) else value[:100]
        out.append(entry)
    return out


def feeds_router(provider: EngineProvider, *, catalog: str | Path | None = None) -> APIRouter:
    """The routes over ``provider``'s engine; ``catalog`` is the file ``GET /v1/feeds`` reads
    (default: the products file beside the rules folder, as ``pricing i18n`` finds it)."""
    router = APIRouter()

    def catalog_file() -> Path | None:
        if catalog is not None:
            return Path(catalog)
        root = provider.rules_dir
        return find_products_file(root.parent / "locales") if root is not None else None

    @router.get("/v1/feeds/{market_id}", tags=["feeds"], response_class=Response, responses={
        200: {"description": "The feed, as `pricing feed` writes it",
              "content": {media.split(";")[0]: {"schema": {"type": "string"}}
                          for media in _MEDIA.values()}},
        404: {"description": "No such market, or no catalog"},
        422: {"description": "Unknown channel or locale"},
        503: {"description": "The service's catalog cannot be read"}})
    def get_feed(
        request: Request, market_id: str,
        # The schema lists the channels, so a generated client offers only those; any other
        # value still gets the did-you-mean problem of pricing.feeds.channels.channel.
        channel: Annotated[str, Query(description="The channel whose columns and conventions "
                                      "the feed follows", json_schema_extra={
                                          "enum": list(CHANNELS)})],
        locale: Annotated[str | None, Query(description="One of the market's languages; "
                                                        "default: its default")] = None,
        day_text: Annotated[str | None, Query(alias="date", description="YYYY-MM-DD; "
                                                                        "default: today")] = None,
    ) -> Response:
        """Stream one market's feed for a channel and a language, as `pricing feed` writes
        it."""
        engine = provider.engine
        try:
            ch = find_channel(channel)
            market = engine.rules.market(market_id)  # UnknownMarketError: 404
            day = date.fromisoformat(day_text) if day_text else engine.today()
        except PricingError as e:
            return _problem(request, problem_from_error(e))
        except ValueError:
            return _problem(request, problem(
                422, "invalid-request", f"date must be YYYY-MM-DD; found {day_text!r}",
                field="date", value=day_text))
        wanted = (locale,) if locale else (market.spec.default_locale,)
        try:
            feed = MarketFeed(engine, market.id, ch, on=day, locales=wanted)
        except PricingError as e:
            return _problem(request, problem_from_error(e, in_body=True))
        if not feed.locales:
            return _problem(request, problem(
                422, "invalid-request", f"market {market.id!r} has no locale in the language "
                f"of {locale!r}", field="locale", value=locale,
                expected=", ".join(market.spec.locales)))
        path = catalog_file()
        if path is None or not path.is_file():
            return _problem(request, problem(
                404, "no-product-catalog", "this service has no catalog to make feeds from",
                field="catalog"))
        try:
            reader = CatalogReader(path, currency=engine.rules.shop.base_currency)
            chunks = iter(reader)
            first = next(chunks, None)  # a file that cannot be read fails before the stream
        except CatalogError as e:
            return _problem(request, problem(
                503, "invalid-catalog", f"the service's catalog cannot be read: {e.message}"))
        loc = feed.locales[0]

        def stream() -> Iterator[bytes]:
            yield feed.header().encode("utf-8")
            for chunk in ([first] if first is not None else []):
                yield feed.render(chunk.rows).texts[loc].encode("utf-8")
            for chunk in chunks:
                yield feed.render(chunk.rows).texts[loc].encode("utf-8")

        name = feed.file_name(loc)
        return StreamingResponse(stream(), media_type=_MEDIA[ch.delimiter], headers={
            "content-disposition": f'attachment; filename="{name}"',
            "x-rules-version": engine.rules.version})

    @router.post("/v1/prices", tags=["feeds"], response_class=Response, responses={
        **answer(PricesResponseModel, "Each item's landed unit price, and the items that could "
                 "not be priced", _PRICES_EXAMPLE),
        400: {"description": "The body is not valid JSON"},
        413: {"description": "The body is over the size limit"},
        415: {"description": "The body is not declared as JSON"},
        422: {"description": "The envelope is invalid (market, date, more than 10,000 items)"}})
    def post_prices(request: Request, body: PricesRequestModel) -> Response:
        """Price up to 10,000 SKUs for one market: one unit each, bought alone, shipping
        excluded (docs/calculation.md, "Landed unit price"); a per-row error report."""
        engine = provider.engine
        try:
            market = engine.rules.market(body.market)
            day = body.date or engine.today()
            pricer = BulkPricer(engine, market.id, on=day, locale=body.locale,
                                region=body.region, ship_from=body.ship_from)
        except PricingError as e:
            return _problem(request, problem_from_error(e, in_body=True))
        errors: list[dict[str, Any]] = []
        items: list[CatalogItem] = []
        where: list[int] = []
        for i, raw in enumerate(body.items):
            try:
                m = PriceItemModel.model_validate(raw)
            except ValidationError as e:
                errors += _item_errors(i, raw.get("sku"), e)
                continue
            items.append(CatalogItem(
                sku=m.sku, price=Money(m.price.amount, m.price.currency), hs_code=m.hs_code,
                origin=m.origin, category=m.category,
                weight_kg=m.weight.value * _KG_PER[m.weight.unit] if m.weight else None))
            where.append(i)
        prices = []
        for i, p in zip(where, pricer.price_many(items), strict=True):
            if p.error is not None:
                e = p.error
                errors.append({"index": i, "sku": p.sku, "field": f"items[{i}]",
                               "code": e.code, "message": e.message,
                               **{k: v for k, v in e.details().items() if k != "field"}})
                continue
            cur = p.currency
            prices.append({
                "index": i, "sku": p.sku,
                "unit_price": {"amount": str(p.unit_price), "currency": cur,
                               "formatted": p.formatted_unit_price},
                "landed_price": {"amount": str(p.landed_price), "currency": cur,
                                 "formatted": p.formatted_landed_price},
                "duty": str(p.duty), "tax": str(p.tax), "included_tax": str(p.included_tax),
                "fees": str(p.fees), "regime": p.regime})
        errors.sort(key=lambda e: e["index"])
        return Response(render({
            "market": market.id, "currency": pricer.currency, "locale": pricer.locale,
            "date": day.isoformat(), "rules_version": engine.rules.version,
            "priced": len(prices), "failed": len({e["index"] for e in errors}),
            "prices": prices, "errors": errors}), media_type="application/json")

    return router

