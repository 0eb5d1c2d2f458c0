"""One market's part of a feed: catalog rows in, the lines of its files (one per language) out.

:class:`MarketFeed` holds what does not change between rows (the bulk pricer, the plan, the
default shipping method, the channel's tax convention for this market, the languages) and
renders a chunk of rows with :meth:`MarketFeed.render`, a pure function of the chunk: the same
rows give the same bytes on this machine or on a Dask worker.

The price a channel shows is what checkout charges for one unit bought alone
(docs/feeds.md, "Which price"): the landed unit price (:mod:`pricing.bulk`) less what is
payable on delivery (duty, import tax and fees of a DAP market), less the tax added at
checkout where the channel wants prices without it (Google in the US and Canada; every channel
where the market's own pages show prices without tax).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from babel import Locale

from pricing.bulk import BulkPricer, PricedItem
from pricing.errors import PricingError, RequestError, RestrictedItemError
from pricing.feeds.catalog import FeedRow, RowBlock
from pricing.feeds.channels import Channel, Offer, price_text
from pricing.l10n.formatting import money_formatter, negotiate_locale
from pricing.stages.shipping import ship

__all__ = ["MarketChunk", "MarketFeed", "market_locales"]


def _no_format(amount: Decimal) -> str:
    return ""


def market_locales(spec: Any, wanted: Sequence[str]) -> tuple[str, ...]:
    """The market's languages a feed is written in: all of them, or those of ``wanted`` that the
    market has in the same language (``de`` -> ``de_DE``, ``fr_BE`` -> ``fr_BE``)."""
    if not wanted:
        return tuple(spec.locales)
    out: dict[str, None] = {}
    for tag in wanted:
        match, _ = negotiate_locale([tag], spec.locales, spec.default_locale)
        if Locale.parse(match).language == Locale.parse(tag).language:
            out.setdefault(match)
    return tuple(out)


@dataclass
class MarketChunk:
    """What one chunk of rows gave one market: each file's text, and the counts for the
    summary."""

    texts: dict[str, str]
    written: int = 0
    #: Rows left out of this market, by reason (restricted goods, no shipping, ...).
    left_out: Counter[str] = field(default_factory=Counter)
    #: Per file locale: (field, the locale the text was found in) -> rows.
    found_in: dict[str, Counter[tuple[str, str]]] = field(default_factory=dict)

    def merge(self, other: MarketChunk) -> None:
        for key, text in other.texts.items():
            self.texts[key] = self.texts.get(key, "") + text
        self.written += other.written
        self.left_out.update(other.left_out)
        for key, counts in other.found_in.items():
            self.found_in.setdefault(key, Counter()).update(counts)


class MarketFeed:
    """Renders catalog rows as one market's feed lines, one file per language.

    ``region``: where the market's taxes depend on the region (the US, Canada), the region to
    price for; without one, a channel that leaves the tax out there gets prices computed with a
    stand-in region (the tax it would add is taken out again), and a channel that shows it is
    refused with a :class:`~pricing.errors.RequestError`.
    """

    def __init__(self, engine: Any, market: str, channel: Channel, *, on: date,
                 locales: Sequence[str] = (), region: str | None = None,
                 ship_from: str | None = None, bulk: bool = True) -> None:
        m = engine.rules.market(market)
        spec = m.spec
        self.market = m
        self.channel = channel
        self.country = spec.countries[0]
        self.include_tax = channel.includes_tax(self.country, spec.price_display)
        if m.requires_region and region is None:
            region = self._stand_in_region(spec)
        self.region = region
        # Feeds format the channel's price themselves (below), not the pricer's amounts.
        self.pricer = BulkPricer(engine, m.id, on=on, region=region, ship_from=ship_from,
                                 format_prices=False)
        self.plan = plan = self.pricer.plan
        self.currency = plan.currency
        self.locales = market_locales(spec, locales)
        self.default_locale = spec.default_locale
        self.catalog = engine.catalog
        # The SKUs that have product text: a set answers "is it there?" faster than the catalog.
        self._texts = frozenset(getattr(engine.catalog, "skus", ()))
        self._ship_memo: dict[tuple[Decimal, bool], Decimal | PricingError] = {}
        self.source_locale = (getattr(engine.catalog, "source_locale", None)
                              or engine.rules.shop.source_locale)
        self.default_weight = engine.rules.shop.default_item_weight_kg
        self.method = plan.method(None, region=region) if plan.methods else None
        # DAP: duty, import tax and fees are paid to the carrier on delivery, not at checkout.
        self.on_delivery = plan.payable_import == "delivery"
        self.regime_tax = {r.regime.id: r.regime.tax
                           for r in (*plan.regimes, plan.standard, plan.domestic)}
        # babel formatting costs more than the rest of a row: only for channels that show it.
        self._formats = {loc: money_formatter(self.currency, loc) if "formatted_price"
                         in channel.columns else _no_format for loc in self.locales}
        #: Build the lines column by column (:meth:`_columns`) where the channel's columns
        #: allow it; ``bulk=False`` builds each line from its Offer (tests compare the two).
        self.bulk = bulk and set(channel.columns) <= _BULK_COLUMNS

    def _stand_in_region(self, spec: Any) -> str:
        regional = [r for c in (spec.tax.components if spec.tax else ()) for r in c.regions]
        if self.include_tax or spec.fees or any(r.regions for r in spec.regimes) \
                or not regional:
            raise RequestError(
                f"prices in market {spec.id!r} depend on the region and the {self.channel.id} "
                "feed shows them with tax: give the region to price for (--region "
                f"{regional[0] if regional else spec.countries[0] + '-...'})",
                field="region", expected=", ".join(sorted(set(regional))))
        # Only the tax depends on the region here, and the channel leaves it out.
        return sorted(regional)[0]

    def file_name(self, locale: str) -> str:
        """``google-de-de_DE.tsv``: channel, market and language."""
        return f"{self.channel.id}-{self.market.id}-{locale}.{self.channel.extension}"

    def header(self) -> str:
        return self._lines([list(self.channel.header())])

    def _lines(self, rows: list[list[str]]) -> str:
        buffer = io.StringIO()
        if self.channel.delimiter == "\t":
            # A tab-separated text feed has no quoting: a value with a tab or a line break has
            # its whitespace runs made single spaces; every other value is written as it is,
            # whatever its neighbours hold.
            text = "\n".join("\t".join(values) for values in rows)
            if "\r" in text or text.count("\n") != len(rows) - 1 or \
                    text.count("\t") != len(rows) * (len(self.channel.columns) - 1):
                text = "\n".join("\t".join(_flat(v) for v in values) for values in rows)
            buffer.write(text + "\n" if rows else "")
        else:
            csv.writer(buffer, lineterminator="\n").writerows(rows)
        return buffer.getvalue()

    # -- one chunk ----------------------------------------------------------------------------

    def price(self, p: PricedItem) -> Decimal:
        """What the channel shows for ``p``: what checkout charges, less the tax the channel
        wants left out."""
        amount = p.landed_price
        tax_at_checkout = p.tax
        if self.on_delivery:
            amount = amount - p.duty - p.fees
            if self.regime_tax.get(p.regime) == "import":
                amount -= p.tax
                tax_at_checkout = Decimal(0)
        if not self.include_tax:
            amount = amount - tax_at_checkout - p.included_tax
        return amount

    def _refusal(self, row: FeedRow, error: PricingError) -> str:
        if isinstance(error, RestrictedItemError):
            item = row.item
            for rule in self.plan.restrictions:
                if (item.hs_code and item.hs_code.startswith(rule.hs)) or (
                        item.category is not None and item.category in rule.categories):
                    return f"restricted: {rule.reason} ({rule.rule})"
        return f"{error.code}: {error.message.replace(repr(row.item.sku), 'the item')}"

    def _shipping(self, weight: Decimal, goods: Decimal) -> Decimal | PricingError:
        """The default method's price for one unit of ``weight`` and ``goods`` (memoized: it
        depends on the goods only through the free-shipping threshold)."""
        method = self.method
        free = method.free_over is not None and goods >= method.free_over  # type: ignore[union-attr]
        found = self._ship_memo.get((weight, free))
        if found is None:
            try:
                found = ship(self.plan, method, (weight,), goods).amount
            except PricingError as e:
                found = e
            if len(self._ship_memo) < 4096:
                self._ship_memo[(weight, free)] = found
        return found

    def _text(self, row: FeedRow, name: str, source: str, locale: str) -> tuple[str, str]:
        catalog = self.catalog
        sku = row.item.sku
        if not source or sku not in self._texts:
            return source, self.source_locale
        # A translation is of the catalog's source text: used only while the row says the same.
        if getattr(catalog.product(sku), name) != source:
            return source, self.source_locale
        return catalog.text(sku, name, locale, default=self.default_locale)

    def render(self, rows: Sequence[FeedRow]) -> MarketChunk:
        """The lines ``rows`` add to each of this market's files, and what was left out."""
        if self.bulk and type(rows) is RowBlock:
            return self._render_block(rows)
        result = MarketChunk(texts={}, found_in={})
        priced = self.pricer.price_many([r.item for r in rows])
        method, cur, default_weight = self.method, self.currency, self.default_weight
        kept: list[tuple[FeedRow, PricedItem, Decimal, Decimal | None]] = []
        for row, p in zip(rows, priced, strict=True):
            if p.error is not None:
                result.left_out[self._refusal(row, p.error)] += 1
                continue
            shipping = None
            if method is not None:
                found = self._shipping(row.item.weight_kg or default_weight, p.unit_price)
                if isinstance(found, PricingError):
                    result.left_out[f"no shipping: {found.code}"] += 1
                    continue
                shipping = found
            kept.append((row, p, self.price(p), shipping))
        result.written = len(kept)
        name = method.method.name if method is not None else None
        if self.bulk:
            self._columns(kept, name, result)
            return result
        values, country, text = self.channel.values, self.country, self._text
        new = tuple.__new__  # Offer's own __new__ is Python code; every field is given here
        for loc in self.locales:
            fmt = self._formats[loc]
            lines = []
            found_in = []
            for row, p, amount, shipping in kept:
                title, t_loc = text(row, "title", row.title, loc)
                desc, d_loc = text(row, "description", row.description, loc)
                found_in.append(("title", t_loc))
                if row.description:
                    found_in.append(("description", d_loc))
                lines.append(values(new(Offer, (
                    row, country, cur, amount, title, t_loc, desc, d_loc, shipping, name,
                    fmt(amount), p.unit_price, p.duty, p.tax, p.included_tax, p.fees,
                    p.landed_price, p.regime))))
            result.found_in[loc] = Counter(found_in)
            result.texts[loc] = self._lines(lines)
        return result

    def _render_block(self, block: RowBlock) -> MarketChunk:
        """:meth:`render` for rows held as columns: priced by
        :meth:`~pricing.bulk.BulkPricer.price_columns`, and what follows the price (left out
        or not, shipping, the channel's price) worked out once per distinct priced result and
        weight, not per row; the same lines and counts as row by row."""
        result = MarketChunk(texts={}, found_in={})
        b: Any = block
        priced = self.pricer.price_columns(b.skus, b.prices, b.currencies, b.hs_codes,
                                           b.origins, b.categories, b.weights)
        # Rows of one class at one unit price share their Priced object: keyed by its id.
        ids = list(map(id, priced))
        by_id = dict(zip(ids, priced, strict=True))
        method, default_weight = self.method, self.default_weight
        amount_of = {k: self.price(p) for k, p in by_id.items() if p.error is None}
        drop: list[int] = []
        if len(amount_of) < len(by_id):
            for i, p in enumerate(priced):
                if p.error is not None:
                    result.left_out[self._refusal(block[i], p.error)] += 1
                    drop.append(i)
        shippings: list[Decimal | None]
        if method is not None:
            keys = list(zip(b.weights, ids, strict=True))
            table = {}
            for key in set(keys):
                p = by_id[key[1]]
                if p.error is None:
                    table[key] = self._shipping(key[0] or default_weight, p.unit_price)
            shippings = list(map(table.get, keys))  # type: ignore[arg-type]
            failed = {k for k, v in table.items() if isinstance(v, PricingError)}
            if failed:
                for i, key in enumerate(keys):
                    if key in failed:
                        result.left_out[f"no shipping: {table[key].code}"] += 1  # type: ignore[union-attr]
                        drop.append(i)
        else:
            shippings = [None] * len(ids)
        amounts = list(map(amount_of.get, ids))
        if drop:
            gone = set(drop)
            keep = [i for i in range(len(ids)) if i not in gone]
            block = block.take(keep)
            amounts = [amounts[i] for i in keep]
            shippings = [shippings[i] for i in keep]
        result.written = len(block)
        name = method.method.name if method is not None else None
        self._block_columns(block, amounts, shippings, name, result)  # type: ignore[arg-type]
        return result

    def _columns(self, kept: list[tuple[FeedRow, PricedItem, Decimal, Decimal | None]],
                 name: str | None, result: MarketChunk) -> None:
        """:meth:`render`'s lines built column by column (see :meth:`_block_columns`)."""
        rows, _, amounts, shippings = (list(c) for c in zip(*kept, strict=True)) if kept else (
            [], [], [], [])
        self._block_columns(RowBlock.of(rows), amounts, shippings, name, result)

    def _block_columns(self, block: RowBlock, amounts: list[Decimal],
                       shippings: list[Decimal | None], name: str | None,
                       result: MarketChunk) -> None:
        """The lines of ``block`` built column by column: each column's values in one pass
        (distinct prices, shipping prices and weights written once), then the lines in one
        ``zip``; the same text as an :class:`Offer` per row gives (channels.py)."""
        n = len(block)
        b: Any = block
        fields = [b.lines, None, b.titles, b.descriptions, b.links, b.image_links, b.brands,
                  b.gtins, b.conditions, b.availabilities, b.group_ids]
        items = [b.skus, None, b.hs_codes, b.origins, b.categories, b.weights]
        cur, country = self.currency, self.country
        texts = {a: price_text(a, cur) for a in set(amounts)}
        ship = {s: "" if s is None else f"{country}::{name}:{price_text(s, cur)}"
                for s in set(shippings)}
        kgs = {kg: "" if kg is None else f"{kg.normalize():f} kg" for kg in set(items[5])}
        words = self.channel.availability
        columns: dict[str, Sequence[str]] = {
            "id": items[0], "sku": items[0], "sku_id": items[0],
            "link": fields[4], "image_link": fields[5], "brand": fields[6], "gtin": fields[7],
            "condition": fields[8],
            "availability": list(map(words.__getitem__, fields[9])),
            "item_group_id": fields[10],
            "price": list(map(texts.__getitem__, amounts)),
            "shipping": list(map(ship.__getitem__, shippings)),
            "shipping_weight": list(map(kgs.__getitem__, items[5])),
            "identifier_exists": ["" if gtin else "no" for gtin in fields[7]],
        }
        text = self._text
        described = sum(1 for d in fields[3] if d)
        for loc in self.locales:
            if self._texts.isdisjoint(items[0]):
                # No row has product text in the catalog: every title and description is the
                # row's own, in the source language.
                columns["title"], columns["description"] = fields[2], fields[3]
                counts = Counter()
                if n:
                    counts[("title", self.source_locale)] = n
                if described:
                    counts[("description", self.source_locale)] = described
            else:
                titles, descriptions, found_in = [], [], []
                for row in block:
                    title, t_loc = text(row, "title", row.title, loc)
                    desc, d_loc = text(row, "description", row.description, loc)
                    titles.append(title)
                    descriptions.append(desc)
                    found_in.append(("title", t_loc))
                    if row.description:
                        found_in.append(("description", d_loc))
                columns["title"], columns["description"] = titles, descriptions
                counts = Counter(found_in)
            result.found_in[loc] = counts
            result.texts[loc] = self._lines(
                list(zip(*(columns[c] for c in self.channel.columns), strict=True)) if n
                else [])


#: The columns :meth:`MarketFeed._columns` builds (every channel's but our own CSV's parts).
_BULK_COLUMNS = frozenset({
    "id", "sku", "sku_id", "title", "description", "link", "image_link", "brand", "gtin",
    "condition", "availability", "item_group_id", "price", "shipping", "shipping_weight",
    "identifier_exists"})


_BREAKS = re.compile(r"[\t\n\r]")


def _flat(value: str) -> str:
    """``value`` on one line of a tab-separated feed (see :meth:`MarketFeed._lines`)."""
    return " ".join(value.split()) if _BREAKS.search(value) else value
