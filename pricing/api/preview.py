"""The preview page and the small read-only endpoints it reads.

The page (``GET /`` and ``GET /preview``) is static HTML, CSS and JavaScript from
``pricing/api/static/``: no build step, no CDN, nothing fetched but this service's own API.
It quotes through ``POST /v1/quotes`` like any checkout, and reads four endpoints that are
useful to checkouts too:

- ``GET /v1/products``: the product catalog, a page at a time, with titles in a locale;
- ``GET /v1/markets/{id}/samples``: checked sample carts that show each regime of a market;
- ``GET /v1/markets/{id}/regions``: the subdivisions a destination may name (ISO 3166-2);
- ``GET /v1/labels``: the service's own words (Subtotal, Total, ...) in a locale;
- ``GET /v1/rules/status``: the rules in use and every problem of the last reload, the
  product catalog and the label files, in plain words (file, line, key, message; never the
  raw values of the rule files).

Errors are the service's problem+json: the routes raise :class:`~pricing.errors.PricingError`
and the app's handlers render it. ``PRICING_PREVIEW=off`` leaves the page out (the JSON
endpoints stay: they are part of the API).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import pycountry
from fastapi import FastAPI, Query
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from pricing.api.models import (
    LabelsModel,
    ProductsModel,
    RegionsModel,
    RulesStatusModel,
    SamplesModel,
    answer,
)
from pricing.api.problems import render
from pricing.api.provider import EngineProvider, iso_timestamp
from pricing.codes import normalize_locale, parse_day
from pricing.errors import InvalidInputError, Problem
from pricing.l10n.formatting import negotiate_locale, text_direction
from pricing.l10n.labels import ITEMS, LABELS
from pricing.samples import sample_carts

__all__ = ["STATIC_DIR", "add_preview", "preview_enabled"]

#: The page's files, shipped as package data.
STATIC_DIR = Path(__file__).resolve().parent / "static"

#: The page may load its own files and call this service, nothing else (no inline script,
#: no third party): a rule value or product title shown on the page can never run as code.
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; connect-src 'self'; form-action 'none'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}
_JSON = "application/json"
_NO_MARKET = {404: {"description": "No market by that id (problem+json, with a suggestion)"}}


def _json(data: Any) -> Response:
    return Response(render(data), media_type=_JSON)




def _plain(problem: Problem | dict[str, Any], *, source: str, root: Path | None
           ) -> dict[str, Any]:
    """A problem as the page shows it: where and what, without the value found in the file,
    and with the file relative to the rules folder (the server's layout is not the reader's
    business)."""
    data = problem.to_dict() if isinstance(problem, Problem) else dict(problem)
    file = str(data.get("file") or "")
    if root is not None and file:
        try:
            file = Path(file).resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            file = Path(file).name if Path(file).is_absolute() else file
    out: dict[str, Any] = {"source": source, "file": file}
    for key in ("line", "key", "message", "expected", "suggestion"):
        if data.get(key) not in (None, ""):
            out[key] = data[key]
    if "message" in out:
        out["message"] = _scrub(str(out["message"]), out.get("suggestion"))
    return out


#: A value as the loader quotes it in a message: Python's repr of a string, in single quotes.
_QUOTED = re.compile(r"(?<!did you mean )'[^'\n]{0,200}'")


def _scrub(message: str, suggestion: object) -> str:
    """``message`` without the values it quotes from the file (a rule file may hold what its
    owner does not want on a page); a did-you-mean suggestion (a valid name, not a value of
    the file) and the loader's own examples (in double quotes, e.g. ``write a rate like
    "0.19"``) stay."""
    keep = f"'{suggestion}'" if suggestion else None
    return _QUOTED.sub(lambda m: m.group(0) if m.group(0) == keep else "(value not shown)",
                       message)


def add_preview(app: FastAPI, provider: EngineProvider, *, page: bool = True) -> None:
    """Add the preview page (unless ``page`` is false) and its JSON endpoints to ``app``."""
    prov = provider

    if page:
        index = (STATIC_DIR / "index.html").read_bytes()

        @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
        @app.api_route("/preview", methods=["GET", "HEAD"], include_in_schema=False)
        async def preview_page() -> Response:
            """The preview page: try carts in every market, as a shopper and as the merchant."""
            return Response(index, media_type="text/html; charset=utf-8",
                            headers=_PAGE_HEADERS)

        app.mount("/preview/assets", StaticFiles(directory=STATIC_DIR), name="preview-assets")

    @app.get("/v1/products", tags=["products"], response_class=Response, responses={**answer(
        ProductsModel, "A page of the catalog", {
        "rules_version": "1617b0fd64d6", "catalog": True, "total": 48, "offset": 0, "limit": 2,
        "products": [{"sku": "TEE-ORG-WHT-M", "title": "T-shirt en coton bio, blanc, taille M",
                      "title_locale": "fr", "price": {"amount": "29.90", "currency": "EUR"},
                      "hs_code": "610910", "origin": "PT", "category": "clothing",
                      "description": "T-shirt en coton biologique, 180 g/m².",
                      "description_locale": "fr",
                      "weight": {"value": "0.18", "unit": "kg"}}]}), **_NO_MARKET})
    async def list_products(
        market: Annotated[str | None, Query(max_length=40, description="Narrows `locale` to "
                                            "the market's languages")] = None,
        locale: Annotated[str | None, Query(max_length=40)] = None,
        q: Annotated[str | None, Query(max_length=100, description="Words that must all "
                                       "appear in the SKU, title or category")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> Response:
        """The product catalog, a page at a time, with text in ``locale``.

        `catalog` is false (and `products` empty) when the service runs without one
        (start it with `--locales DIR`). Prices are in the shop's currency, as a quote request
        takes them.
        """
        engine = prov.engine
        market_obj = engine.rules.market(market) if market else None  # 404 + did you mean
        loc = normalize_locale(locale) if locale else None
        catalog = engine.catalog
        if catalog is None or not callable(getattr(catalog, "product", None)):
            return _json({"rules_version": engine.rules.version, "catalog": False, "total": 0,
                          "offset": offset, "limit": limit, "products": []})
        words = (q or "").casefold().split()
        found = []
        for product in catalog:
            shown = catalog.product(product.sku, market=market_obj, locale=loc)
            text = " ".join((shown.sku, shown.title, product.title, shown.category or ""))
            if all(w in text.casefold() for w in words):
                found.append(shown)
        return _json({"rules_version": engine.rules.version, "catalog": True,
                      "total": len(found), "offset": offset, "limit": limit,
                      "products": [p.to_dict() for p in found[offset:offset + limit]]})

    @app.get("/v1/markets/{market_id}/samples", tags=["markets"], response_class=Response,
             responses={**answer(SamplesModel, "Sample carts, each with a ready request", {
                 "market": "gb", "date": "2026-11-23", "rules_version": "1617b0fd64d6",
                 "carts": [{"id": "above-low-value", "name": "Above the 135.00 GBP limit of "
                            "low-value", "description": "2 × Chelsea boots ...: quoted as "
                            "Import: customs duty and import VAT",
                            "regime": {"id": "import", "name": "Import: customs duty and "
                                       "import VAT"}, "ship_from": None, "region": None,
                            "items": [{"sku": "BOOT-CHEL-BLK-39", "quantity": 2, "price": {
                                "amount": "89.00", "currency": "EUR"}}],
                            "request": {"destination": {"country": "GB"}, "market": "gb",
                                        "date": "2026-11-23", "items": [{
                                            "sku": "BOOT-CHEL-BLK-39", "quantity": 2,
                                            "price": {"amount": "89.00", "currency": "EUR"}}]}}],
                 "refused": []}),
                        **_NO_MARKET})
    async def market_samples(market_id: str, on: Annotated[str | None, Query(
            alias="date", max_length=10, json_schema_extra={"format": "date"},
            description="Quote date, YYYY-MM-DD (default: today)")] = None) -> Response:
        """Sample carts for a market, each quoted to check it: the cheapest product, one of
        each category, and carts below and above each value threshold (de minimis, IOSS,
        low-value consignments). `regime` is what the cart was quoted as; `request` is a
        ready quote request. `refused` lists the candidates the market would not quote, with
        the reason (e.g. no exchange rate for the market's currency)."""
        engine = prov.engine
        market = engine.rules.market(market_id)
        day = parse_day(on, field="query.date") if on is not None else engine.today()
        samples = sample_carts(engine, market.id, on=day)
        return _json({"market": market.id, "date": day.isoformat(),
                      "rules_version": engine.rules.version,
                      "carts": [{**c.to_dict(), "request": c.request(market, on=day)}
                                for c in samples.carts],
                      "refused": [{"id": i, "reason": why} for i, why in samples.refused]})

    @app.get("/v1/markets/{market_id}/regions", tags=["markets"], response_class=Response,
             responses={**answer(RegionsModel, "The regions a destination may name", {
                 "market": "us", "requires_region": True, "regions": [
                 {"code": "US-CA", "name": "California", "country": "US", "taxed": True},
                 {"code": "US-OR", "name": "Oregon", "country": "US", "taxed": False}]}),
                 **_NO_MARKET})
    async def market_regions(market_id: str) -> Response:
        """The subdivisions (ISO 3166-2) of the market's countries a destination may name.

        `taxed` says a tax component of the market names the region; `requires_region` says
        a quote needs one. Regions the market excludes are left out.
        """
        market = prov.engine.rules.market(market_id)
        spec = market.spec
        named = {r for c in (spec.tax.components if spec.tax else ()) for r in c.regions}
        regions = sorted(
            ({"code": s.code, "name": s.name, "country": s.country_code,
              "taxed": s.code in named}
             for country in spec.countries
             for s in pycountry.subdivisions.get(country_code=country) or ()
             if s.code not in spec.exclude_regions and s.parent_code is None),
            key=lambda r: (r["country"], r["name"]))
        return _json({"market": market.id, "requires_region": market.requires_region,
                      "regions": regions})

    @app.get("/v1/labels", tags=["markets"], response_class=Response, responses={**answer(
        LabelsModel, "The service's words in the locale", {
            "locale": "ar_SA", "direction": "rtl", "labels": {
                "Subtotal": "المجموع الفرعي", "Total": "الإجمالي"}}), **_NO_MARKET})
    async def get_labels(
        locale: Annotated[str, Query(max_length=40, description="e.g. ar_SA, de_CH")],
        market: Annotated[str | None, Query(max_length=40, description="Falls back to the "
                                            "market's default locale")] = None,
    ) -> Response:
        """The service's own words (Subtotal, Shipping, Total, shopper-facing errors) in a
        locale, along its fallback chain down to English."""
        engine = prov.engine
        loc = normalize_locale(locale)
        default = None
        if market:
            spec = engine.rules.market(market).spec
            loc, _ = negotiate_locale([loc], spec.locales, spec.default_locale)
            default = spec.default_locale
        labels = engine.labels
        words = {label.msgid: (labels.gettext(label.msgid, loc, default=default)
                               if labels is not None else label.msgid)
                 for label in LABELS if label is not ITEMS}
        return _json({"locale": loc, "direction": text_direction(loc), "labels": words})

    @app.get("/v1/rules/status", tags=["operations"], response_class=Response,
             responses=answer(RulesStatusModel, "The rules in use and their problems", {
                 "status": "problems", "rules_version": "1617b0fd64d6",
                 "rules_loaded_at": "2026-11-23T10:15:00.000Z",
                 "rates": {"source": "ECB", "as_of": "2026-11-20"},
                 "markets": 101,
                 "last_reload": {"outcome": "failed", "trigger": "watch",
                                 "at": "2026-11-23T10:20:00.000Z",
                                 "rules_version": "1617b0fd64d6"},
                 "problems": [{"source": "rules", "file": "markets/de.toml", "line": 31,
                               "key": "tax.components[0].rate",
                               "message": "write rates as decimal strings",
                               "expected": "a rate such as \"0.19\""}],
                 "unconfirmed": [{"market": "sa", "file": "markets/sa.toml",
                                  "key": "regimes[0].max_value",
                                  "why": "the SAR 1,000 limit is from a customs notice "
                                         "not yet confirmed"}]}))
    async def rules_status() -> Response:
        """The rules in use, and every problem a merchant should fix, in plain words.

        `problems` lists the errors of the last reload if it failed (the last good rules keep
        serving: `rules_version`), broken product catalog rows and PO files (their products
        fall back to the source text) and broken label files; each with `source` (rules,
        catalog, labels), `file` (relative to the rules folder), `line` where known, `key`,
        `message`, `expected` and `suggestion`. The values found in the files are not
        repeated. `unconfirmed` lists the facts market files mark as not confirmed.
        """
        engine = prov.engine
        rules = engine.rules
        root = prov.rules_dir or (Path(rules.root) if rules.root else None)
        problems = [_plain(p, source="rules", root=root) for p in prov.reload_errors]
        for source, holder in (("catalog", engine.catalog), ("labels", engine.labels)):
            for err in getattr(holder, "errors", ()):
                problems.extend(_plain(p, source=source, root=root) for p in err.problems)
        last = prov.last_reload
        unconfirmed = [{"market": m.id, "file": m.file_of(), "key": u.key, "why": u.why}
                       for m in rules.markets.values() for u in m.spec.unconfirmed]
        return _json({
            "status": "problems" if problems else "ok",
            "rules_version": rules.version,
            "rules_loaded_at": iso_timestamp(prov.loaded_at),
            "markets": len(rules.markets),
            "rates": {"source": engine.rates.source, "as_of": engine.rates.as_of.isoformat()},
            "last_reload": None if last is None else {
                "outcome": last.outcome, "trigger": last.trigger, "at": iso_timestamp(last.at),
                "rules_version": last.rules_version},
            "problems": problems,
            "unconfirmed": unconfirmed,
        })


def preview_enabled(value: str | None) -> bool:
    """``PRICING_PREVIEW``: on unless "0", "off", "false" or "no" (anything else is an error)."""
    if value is None or value.strip().lower() in ("", "1", "on", "true", "yes"):
        return True
    if value.strip().lower() in ("0", "off", "false", "no"):
        return False
    raise InvalidInputError("PRICING_PREVIEW must be on or off", field="PRICING_PREVIEW",
                            value=value, expected="on, off, 1, 0, true, false, yes, no")
