"""``pricing feed``: channel feeds from a catalog file, for one or more markets.

The command reads its options, loads the engine, runs :func:`~pricing.feeds.runner.run_feed`
(locally, or on a Dask cluster with ``--dask``) with a progress bar on a terminal, and prints
the summary. Exit 0 when the bad rows are within ``--max-bad-rows``, 1 past it (the feeds are
written with every good row either way) or when the run fails, 2 for usage errors.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from pricing.console import (
    EXIT_PROBLEMS,
    DateType,
    Fail,
    LocaleType,
    ShareType,
    out,
    report,
    rules_option,
)
from pricing.errors import PricingError, RatesError, did_you_mean
from pricing.feeds.channels import CHANNELS
from pricing.feeds.readers import FORMATS

__all__ = ["feed"]


class _Percent(ShareType):
    """A percentage: ``5`` or ``5%`` (of the rows read)."""

    name = "PCT"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Decimal:
        if isinstance(value, Decimal):
            return value
        text = str(value).strip().removesuffix("%")
        return super().convert(f"{text}%", param, ctx) * 100


@click.command(short_help="Channel feeds of a catalog, per market and language.", epilog="""\b
Examples:
  pricing feed --catalog catalog/products.csv --market de --market fr --channel google --out feeds/
  pricing feed --catalog products_export.csv --currency EUR --shop-url https://shop.example.com \\
               --market us --channel meta --out feeds/
  pricing feed --catalog catalog.parquet --market gb --channel csv --locale en --out feeds/
  pricing feed ... --dask tcp://scheduler:8786       priced on a Dask cluster

\b
One file per market and language: <channel>-<market>-<locale>.<csv|tsv>, with the channel's
columns, price syntax (1234.50 EUR) and tax convention; <channel>-report.json says what each
market left out and why, and which language each file's text came from; every bad row is in
<channel>-bad-rows.csv. Files are replaced only when the whole run succeeds. docs/feeds.md.""")
@click.option("--catalog", required=True, metavar="FILE",
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The catalog: our CSV, JSON lines, Parquet, or a Shopify product export.")
@click.option("--market", "markets", required=True, multiple=True, metavar="ID",
              help="A market to write feeds for (repeatable).")
@click.option("--channel", "channel_id", required=True, type=click.Choice(list(CHANNELS)),
              help="The channel's format and conventions.")
@click.option("--out", "out_dir", required=True, metavar="DIR",
              type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the feeds (created if missing).")
@click.option("--locale", "locales", multiple=True, type=LocaleType(),
              help="Only these languages (each market's matching locale; repeatable). "
                   "Default: every language of each market.")
@click.option("--max-bad-rows", type=_Percent(), default="0", show_default=True,
              help="Percent of bad rows tolerated before the exit code is 1.")
@click.option("--date", "on", type=DateType(), help="Price date, YYYY-MM-DD. Default: today.")
@click.option("--region", "regions", multiple=True, metavar="CODE",
              help="ISO 3166-2 region to price a market for where its taxes depend on it "
                   "(US-CA; repeatable, one per market).")
@click.option("--ship-from", metavar="CC", help="Country the goods ship from. Default: the "
                                                "shop's.")
@click.option("--format", "fmt", type=click.Choice(FORMATS),
              help="The catalog's format. Default: from its name and header.")
@click.option("--currency", metavar="CODE",
              help="Currency of a Shopify export's prices. Default: the shop's base currency.")
@click.option("--shop-url", metavar="URL",
              help="Store address for a Shopify export's product links (URL/products/HANDLE).")
@click.option("--dask", "dask_address", metavar="ADDRESS",
              help="Price on the Dask cluster whose scheduler is at ADDRESS "
                   "(tcp://host:8786); needs the distributed extra.")
@rules_option
@click.option("--rates", metavar="FILE", help="Exchange rates file. Default: bundled ECB.")
@click.option("--locales", "locales_dir", metavar="DIR",
              type=click.Path(exists=True, file_okay=False),
              help="Translation catalogs. Default: locales/ beside the rules folder.")
def feed(catalog: Path, markets: tuple[str, ...], channel_id: str, out_dir: Path,
         locales: tuple[str, ...], max_bad_rows: Decimal, on: Any, regions: tuple[str, ...],
         ship_from: str | None, fmt: str | None, currency: str | None, shop_url: str | None,
         dask_address: str | None, rules: Path, rates: str | None,
         locales_dir: str | None) -> int:
    """Write channel feeds of a catalog: prices all-inclusive as checkout charges them, text
    in each language, one file per market and language."""
    from pricing.codes import normalize_country, normalize_currency, normalize_region
    from pricing.engine import Engine
    from pricing.feeds.runner import FeedRequest, run_feed
    from pricing.fx import bundled_rates

    o = out()
    if rates is not None and not Path(rates).is_file():
        raise click.BadParameter(f"{rates!r} is not a file", param_hint="'--rates'")
    try:
        # As `pricing quote`: without --rates, the bundled rates of the price date.
        engine = Engine.from_directory(rules, rates=rates or bundled_rates(on=on),
                                       locales=locales_dir)
    except PricingError as e:
        raise report(e, where=str(rates) if isinstance(e, RatesError) else "") from None
    known = engine.rules.markets
    for m in markets:
        if m not in known:
            guess = did_you_mean(m, known)
            raise click.BadParameter(f"no market {m!r}" + (f"; did you mean {guess!r}?" if guess
                                                          else ""), param_hint="'--market'")
    by_market: dict[str, str] = {}
    for code in regions:
        try:
            region = normalize_region(code, field="--region")
        except PricingError as e:
            raise click.BadParameter(e.message, param_hint="'--region'") from None
        country = region.split("-")[0]
        found = [m for m in markets if country in known[m].spec.countries]
        if not found:
            raise click.BadParameter(f"{region} is in none of the markets asked for",
                                     param_hint="'--region'")
        by_market.update(dict.fromkeys(found, region))
    try:
        if ship_from:
            ship_from = normalize_country(ship_from, field="--ship-from")
        if currency:
            currency = normalize_currency(currency, field="--currency")
    except PricingError as e:
        raise click.BadParameter(e.message, param_hint=f"'{e.field}'") from None
    request = FeedRequest(catalog=catalog, markets=markets, channel=channel_id, out=out_dir,
                          on=on or engine.today(), locales=locales, regions=by_market,
                          ship_from=ship_from, format=fmt, currency=currency, shop_url=shop_url,
                          max_bad_rows=max_bad_rows)
    renderer = None
    if dask_address:
        renderer = _dask(dask_address, engine, request, rules, rates, locales_dir)
    try:
        with o.progress(transient=True) as bar:
            task = bar.add_task(f"{channel_id} feeds of {catalog.name}", total=None)
            result = run_feed(engine, request, renderer=renderer,
                              progress=lambda done, total: bar.update(task, completed=done,
                                                                      total=total))
    except PricingError as e:
        raise report(e, where=str(catalog)) from None
    finally:
        if renderer is not None:
            renderer.close()
    _summary(result)
    if result.over_limit:
        raise Fail(f"error: {result.bad_rows} bad row{'s' if result.bad_rows != 1 else ''} of "
                   f"{result.rows} ({result.bad_share} %) is over --max-bad-rows "
                   f"{max_bad_rows.normalize():f} %; the feeds were written with every good "
                   f"row; fix the rows listed in {result.bad_rows_file}", code=EXIT_PROBLEMS)
    return 0


def _dask(address: str, engine: Any, request: Any, rules: Path, rates: str | None,
          locales_dir: str | None) -> Any:
    from pricing.feeds.cluster import DaskRenderer, EngineSource, WorkerFeeds

    beside = rules.resolve().parent / "locales"
    locales_path = Path(locales_dir).resolve() if locales_dir else (
        beside if beside.is_dir() else None)
    source = EngineSource(rules=str(rules.resolve()),
                          rates=str(Path(rates).resolve()) if rates else None,
                          locales=str(locales_path) if locales_path else None,
                          rules_version=engine.rules.version)
    spec = WorkerFeeds(source=source, markets=tuple(dict.fromkeys(request.markets)),
                       channel=request.channel, on=request.on, locales=request.locales,
                       regions=tuple(sorted(request.regions.items())),
                       ship_from=request.ship_from)
    try:
        return DaskRenderer(address, spec)
    except PricingError as e:
        raise report(e) from None


def _summary(result: Any) -> None:
    o = out()
    for p in result.problems:
        o.warning(str(p))
    if result.bad_rows > len({p.line for p in result.problems}):
        o.warning(f"... every bad row is in {result.bad_rows_file}")
    o.line(f"{result.rows} rows read from {result.request.catalog} ({result.format}), "
           f"{result.bad_rows} bad ({result.bad_share} %)")
    for reason, n in sorted(result.left_out.items()):
        o.line(f"  left out of every market: {n} ({reason})")
    for mid, part in result.markets.items():
        names = [p.name for p in result.files if p.name.startswith(
            f"{result.request.channel}-{mid}-")]
        o.line(f"{mid}: {part.written} rows in {', '.join(names)}")
        for reason, n in sorted(part.left_out.items()):
            o.line(f"  left out: {n} ({reason})")
    o.line(f"report: {result.report_file}")
