"""A feed run: a catalog file in, one feed file per market and language out, and a report.

The run streams the catalog chunk by chunk (:class:`~pricing.feeds.readers.CatalogReader`);
each chunk is rendered for every market (:class:`~pricing.feeds.market.MarketFeed`), here or
on a Dask cluster (:mod:`pricing.feeds.cluster`), and its lines are appended to the market's
files in catalog order, so both give the same bytes. Memory holds a few chunks, whatever the
size of the catalog (the SKUs seen, to refuse duplicates, are the one thing that grows: 4 to 8
bytes per SKU in memory, the SKUs themselves in a temporary file; pricing.feeds.skus).

Files are published only when every chunk has been written (:class:`FeedFiles`); then the
report (``<channel>-report.json``: rows read, bad rows, what each market left out and why,
which language each file's text came from) and every bad row with its line and reason
(``<channel>-bad-rows.csv``) are written beside them.
"""

from __future__ import annotations

import csv
import gc
import io
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from pricing.errors import InvalidInputError, Problem
from pricing.feeds.channels import Channel, channel
from pricing.feeds.market import MarketChunk, MarketFeed
from pricing.feeds.readers import CatalogReader, Chunk
from pricing.feeds.writer import FeedFiles

__all__ = ["FeedReport", "FeedRequest", "render_chunk", "run_feed"]

#: Bad rows printed by the command line; the report file has all of them.
SHOWN_PROBLEMS = 20


@dataclass(frozen=True)
class FeedRequest:
    """What to write: the catalog, the markets, the channel, where, for which day."""

    catalog: Path
    markets: tuple[str, ...]
    channel: str
    out: Path
    on: date
    #: Languages to write (each market's matching ones); empty: every language of each market.
    locales: tuple[str, ...] = ()
    #: market id -> ISO 3166-2 region, for markets whose taxes depend on it.
    regions: Mapping[str, str] = field(default_factory=dict)
    ship_from: str | None = None
    format: str | None = None
    #: The currency of a Shopify export's prices (default: the shop's base currency).
    currency: str | None = None
    shop_url: str | None = None
    #: Percent of rows that may be bad before the run reports failure.
    max_bad_rows: Decimal = Decimal(0)
    chunk_size: int = 5000


@dataclass
class FeedReport:
    """What a run did: rows read and skipped, files written, what each market left out."""

    request: FeedRequest
    format: str = ""
    rows: int = 0
    bad_rows: int = 0
    #: The first bad rows (the bad-rows file has all of them).
    problems: list[Problem] = field(default_factory=list)
    #: Rows the catalog itself leaves out on purpose (Shopify drafts, gift cards), by reason.
    left_out: Counter[str] = field(default_factory=Counter)
    markets: dict[str, MarketChunk] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    report_file: Path | None = None
    bad_rows_file: Path | None = None

    @property
    def bad_share(self) -> Decimal:
        """Bad rows in percent of the rows read."""
        if not self.rows:
            return Decimal(0)
        return (Decimal(self.bad_rows) * 100 / self.rows).quantize(Decimal("0.01"))

    @property
    def over_limit(self) -> bool:
        return self.bad_share > self.request.max_bad_rows

    def to_dict(self, feeds: Mapping[str, MarketFeed]) -> dict[str, Any]:
        r = self.request
        return {
            "catalog": str(r.catalog), "format": self.format, "channel": r.channel,
            "date": r.on.isoformat(), "rows": self.rows, "bad_rows": self.bad_rows,
            "bad_rows_percent": str(self.bad_share),
            "max_bad_rows_percent": str(r.max_bad_rows),
            "left_out_by_catalog": dict(sorted(self.left_out.items())),
            "markets": [{
                "market": mid, "currency": f.currency, "region": f.region,
                "prices_include_tax": f.include_tax,
                "shipping_method": f.method.id if f.method is not None else None,
                "rows": self.markets[mid].written,
                "left_out": dict(sorted(self.markets[mid].left_out.items())),
                "files": [{
                    "file": f.file_name(loc), "locale": loc,
                    "text_found_in": {
                        name: dict(sorted((found, n) for (what, found), n
                                          in self.markets[mid].found_in[loc].items()
                                          if what == name))
                        for name in ("title", "description")}}
                    for loc in f.locales]}
                for mid, f in feeds.items()],
        }


def render_chunk(feeds: Mapping[str, MarketFeed], rows: Sequence[Any]) -> dict[str, MarketChunk]:
    """Every market's lines for one chunk of rows (what a Dask task runs, too)."""
    return {mid: feed.render(rows) for mid, feed in feeds.items()}


def market_feeds(engine: Any, markets: Sequence[str], ch: Channel, *, on: date,
                 locales: Sequence[str] = (), regions: Mapping[str, str] | None = None,
                 ship_from: str | None = None, bulk: bool = True) -> dict[str, MarketFeed]:
    """Each market's :class:`MarketFeed`; a market with none of the requested languages is an
    error naming the ones it has."""
    feeds = {}
    for mid in dict.fromkeys(markets):
        feed = MarketFeed(engine, mid, ch, on=on, locales=locales,
                          region=(regions or {}).get(mid), ship_from=ship_from, bulk=bulk)
        if not feed.locales:
            raise InvalidInputError(
                f"market {mid!r} is not in any of the languages asked for "
                f"({', '.join(locales)})", field="locale", value=", ".join(locales),
                expected=", ".join(feed.market.spec.locales))
        feeds[mid] = feed
    return feeds


def run_feed(engine: Any, request: FeedRequest, *,
             progress: Callable[[int, int], None] | None = None,
             renderer: Callable[[Iterator[Chunk]], Iterator[tuple[Chunk, dict[str, MarketChunk]]]]
             | None = None, bulk: bool = True) -> FeedReport:
    """Write the feeds of ``request`` and return the report.

    ``renderer`` renders the chunks elsewhere (:class:`pricing.feeds.cluster.DaskRenderer`);
    by default they are rendered here, in order. Bad rows never stop the run: the caller
    decides from :attr:`FeedReport.over_limit` (the ``--max-bad-rows`` rule). ``bulk=False``
    reads and renders row by row (the same bytes, slower: tests/test_feeds_fast.py).
    """
    # A feed makes a few tuples per row, and each few hundred of them start a collection that
    # walks every object of the process (the engine's rules and babel's data, too): frozen,
    # those are left out of it; the run's own objects are collected as usual (about half of
    # a SKU's time went to collections before).
    gc.freeze()
    try:
        return _run_feed(engine, request, progress=progress, renderer=renderer, bulk=bulk)
    finally:
        gc.unfreeze()


def _run_feed(engine: Any, request: FeedRequest, *,
              progress: Callable[[int, int], None] | None,
              renderer: Callable[[Iterator[Chunk]], Iterator[tuple[Chunk, dict[str,
                                                                              MarketChunk]]]]
              | None, bulk: bool) -> FeedReport:
    ch = channel(request.channel)
    feeds = market_feeds(engine, request.markets, ch, on=request.on, locales=request.locales,
                         regions=request.regions, ship_from=request.ship_from, bulk=bulk)
    reader = CatalogReader(request.catalog, format=request.format,
                           currency=request.currency or engine.rules.shop.base_currency,
                           shop_url=request.shop_url, chunk_size=request.chunk_size, bulk=bulk)
    report = FeedReport(request=request, format=reader.format,
                        markets={mid: MarketChunk(texts={}, found_in={
                            loc: Counter() for loc in f.locales}) for mid, f in feeds.items()})
    request.out.mkdir(parents=True, exist_ok=True)
    files = FeedFiles(request.out)
    stem = f"{ch.id}-"
    bad_name = stem + "bad-rows.csv"
    try:
        for feed in feeds.values():
            for loc in feed.locales:
                files.open(feed.file_name(loc), feed.header())
        files.open(bad_name, _problem_lines([_PROBLEM_HEADER]))
        chunks = _counted(reader, report, progress, lambda t: files.write(bad_name, t))
        rendered = renderer(chunks) if renderer is not None else (
            (chunk, render_chunk(feeds, chunk.rows)) for chunk in chunks)
        for _, results in rendered:
            for mid, feed in feeds.items():
                part = results[mid]
                for loc in feed.locales:
                    files.write(feed.file_name(loc), part.texts.get(loc, ""))
                part.texts = {}
                report.markets[mid].merge(part)
        published = files.publish()
    except BaseException:
        files.discard()
        raise
    report.files = [p for p in published if p.name != bad_name]
    report.bad_rows_file = request.out / bad_name
    report.report_file = files.write_json(stem + "report.json", report.to_dict(feeds))
    return report


def _counted(reader: CatalogReader, report: FeedReport,
             progress: Callable[[int, int], None] | None,
             write_problems: Callable[[str], None]) -> Iterator[Chunk]:
    for chunk in reader:
        bad = _rows_of(chunk.problems)
        report.rows += len(chunk.rows) + bad
        report.bad_rows += bad
        if chunk.problems:
            report.problems.extend(chunk.problems[:SHOWN_PROBLEMS - len(report.problems)])
            write_problems(_problem_lines(
                [(p.file, p.line or "", p.key, p.message, p.value or "", p.expected or "",
                  p.suggestion or "") for p in chunk.problems]))
        report.left_out.update(chunk.left_out)
        if progress is not None:
            progress(reader.done, reader.total)
        yield chunk


def _rows_of(problems: Sequence[Problem]) -> int:
    """Bad rows among ``problems`` (a row can have several problems)."""
    return len({p.line for p in problems})


_PROBLEM_HEADER = ("file", "line", "column", "message", "value", "expected", "suggestion")


def _problem_lines(rows: Sequence[Sequence[object]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()
