"""Catalog files as merchants have them, read in chunks of checked rows.

Four formats, each streamed (memory does not grow with the file):

- ``csv``: our catalog (``catalog/products.csv``): the columns of
  :data:`~pricing.feeds.catalog.COLUMNS`, a header line first;
- ``jsonl``: one JSON object per line with the same keys (numbers are read as exact decimals);
- ``parquet``: the same columns (prices as strings or decimals, never floats); needs pyarrow
  (``pip install 'pricing[parquet]'``);
- ``shopify``: a Shopify product CSV export as it comes out of Shopify, in either generation of
  its column names (``Handle``/``Variant SKU``/``Variant Price``/``Variant Grams``/
  ``Variant Barcode``/``Image Src`` or ``URL handle``/``SKU``/``Price``/
  ``Weight value (grams)``/``Barcode``/``Product image URL``). A product's first row carries
  its title, description, vendor and image; its variant rows inherit them; image-only rows add
  nothing to a feed. Prices are in the store currency (``currency``), weights in grams.

A row that cannot be used (missing field, bad price, unknown currency, invalid HS code, ...) is
skipped and reported as a :class:`~pricing.errors.Problem` with its line (its row number in a
Parquet file); a file that cannot be read at all raises :class:`~pricing.errors.CatalogError`.

>>> from pathlib import Path
>>> reader = CatalogReader(Path(__file__).parents[2] / "catalog" / "products.csv")
>>> chunks = list(reader)
>>> reader.format, sum(len(c.rows) for c in chunks), sum(len(c.problems) for c in chunks)
('csv', 48, 0)
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from itertools import chain, islice, repeat
from pathlib import Path
from typing import Any, BinaryIO

from pricing.errors import CatalogError, Problem, did_you_mean
from pricing.feeds.catalog import COLUMNS, FeedRow, Records, RowBlock, RowChecker
from pricing.feeds.skus import SeenSkus

__all__ = ["FORMATS", "CatalogReader", "Chunk", "detect_format", "html_to_text"]

FORMATS = ("csv", "jsonl", "parquet", "shopify")
#: Rows per chunk: large enough to amortize per-chunk work, small enough to keep memory flat.
CHUNK_ROWS = 5000
_REQUIRED = ("sku", "title", "price", "currency")


@dataclass
class Chunk:
    """Checked rows of one stretch of the file, the rows skipped as bad, and rows left out on
    purpose (Shopify drafts, gift cards), counted by reason."""

    #: A list, or on the CSV reader's bulk path a :class:`RowBlock` (the same rows as columns).
    rows: list[FeedRow] | RowBlock = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    left_out: dict[str, int] = field(default_factory=dict)


class _Counting(io.RawIOBase):
    """A binary file that counts the bytes read through it (progress over a text file)."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self.raw.readinto(buffer)  # type: ignore[attr-defined]
        self.count += n or 0
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


def detect_format(path: Path) -> str:
    """The format of ``path`` by its extension, and for ``.csv`` by its header (a Shopify export
    has ``Handle`` or ``URL handle``)."""
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix in (".csv", ".txt", ".tsv"):
        try:
            with path.open("r", encoding="utf-8-sig", newline="") as f:
                header = next(csv.reader([f.readline()]), [])
        except (OSError, UnicodeDecodeError):
            return "csv"  # the reader reports why it cannot read the file
        names = {h.strip().lower() for h in header}
        return "shopify" if names & {"handle", "url handle"} else "csv"
    raise CatalogError([Problem(str(path), "", f"unknown catalog format {suffix or '(none)'!r}",
                                expected=".csv (ours or a Shopify export), .jsonl, .parquet")])


class CatalogReader:
    """Streams a catalog file as :class:`Chunk` objects of at most ``chunk_size`` rows.

    ``format`` is one of :data:`FORMATS` (default: :func:`detect_format`). ``currency`` is the
    currency of a Shopify export's prices (the store currency). ``shop_url`` makes a Shopify
    row's link ``<shop_url>/products/<handle>``. Duplicate SKUs after the first are bad rows.
    :attr:`done` and :attr:`total` measure progress (bytes, or rows for Parquet).
    """

    def __init__(self, path: str | Path, *, format: str | None = None,
                 currency: str | None = None, shop_url: str | None = None,
                 chunk_size: int = CHUNK_ROWS, bulk: bool = True) -> None:
        self.path = Path(path)
        self.name = str(path)
        if not self.path.is_file():
            raise CatalogError([Problem(self.name, "", "no such file" if not self.path.exists()
                                        else "not a file")])
        self.format = format or detect_format(self.path)
        if self.format not in FORMATS:
            raise CatalogError([Problem(self.name, "", f"unknown catalog format "
                                        f"{self.format!r}", expected=", ".join(FORMATS),
                                        suggestion=did_you_mean(self.format, FORMATS))])
        self.currency = currency
        self.shop_url = shop_url.rstrip("/") if shop_url else None
        self.chunk_size = chunk_size
        #: Check CSV rows a batch at a time, column by column (the same rows and problems as
        #: row by row, which ``bulk=False`` does: tests compare the two).
        self.bulk = bulk
        self.total = self.path.stat().st_size
        self.done = 0
        self._checker = RowChecker(self.name)
        #: The SKUs read so far (a compact table and a file, not a set of strings: the one
        #: thing that grows with the catalog), made at the first row.
        self._seen: SeenSkus | None = None
        self._counter: _Counting | None = None

    def __iter__(self) -> Iterator[Chunk]:
        reader = {"csv": self._csv, "jsonl": self._jsonl, "parquet": self._parquet,
                  "shopify": self._shopify}[self.format]
        # The CSV reader's bulk path hands over runs of good rows as columns (RowBlock), and
        # its chunks keep them so, for the markets to price and write a column at a time.
        blocks = self.bulk and self.format == "csv"
        chunk = Chunk(rows=RowBlock()) if blocks else Chunk()  # type: ignore[arg-type]
        size = self.chunk_size
        for item in reader():
            if type(item) is RowBlock:
                while len(item):
                    # As many rows as the chunk has room for: the chunks end where they would
                    # row by row (a tab-separated feed cleans its text chunk by chunk).
                    room = size - len(chunk.rows) - len(chunk.problems)
                    take, item = (item, RowBlock()) if room >= len(item) else (
                        item[:room], item[room:])
                    skus: list[str] = take.skus  # type: ignore[attr-defined]
                    lines: list[int] = take.lines  # type: ignore[attr-defined]
                    dups = self._seen_skus(lines[-1]).add_many(skus)
                    if dups:
                        gone = set(dups)
                        chunk.problems += [self._duplicate(skus[i], lines[i]) for i in dups]
                        take = take.take([i for i in range(len(take)) if i not in gone])
                    chunk.rows.extend(take)  # type: ignore[attr-defined]
                    if len(chunk.rows) + len(chunk.problems) >= size:
                        self._progress()
                        yield chunk
                        chunk = Chunk(rows=RowBlock())  # type: ignore[arg-type]
                continue
            if isinstance(item, FeedRow):
                self._add(chunk, item)
            elif isinstance(item, str):
                chunk.left_out[item] = chunk.left_out.get(item, 0) + 1
            else:
                chunk.problems.extend(item)
            if len(chunk.rows) + len(chunk.problems) >= self.chunk_size:
                self._progress()
                yield chunk
                chunk = Chunk(rows=RowBlock()) if blocks else Chunk()  # type: ignore[arg-type]
        self._progress()
        self.done = self.total
        if self._seen is not None:
            self._seen.close()
        if chunk.rows or chunk.problems or chunk.left_out:
            yield chunk

    def _add(self, chunk: Chunk, row: FeedRow) -> None:
        if self._seen_skus(row.line).add(row.item.sku):
            chunk.problems.append(self._duplicate(row.item.sku, row.line))
        else:
            chunk.rows.append(row)

    def _duplicate(self, sku: str, line: int) -> Problem:
        return Problem(self.name, "sku", "duplicate sku: an earlier row has it",
                       value=repr(sku), line=line)

    def _seen_skus(self, line: int) -> SeenSkus:
        """The SKUs seen so far; made at the first row, sized for the rows the file holds
        at the rate of the bytes and lines read until then (a CSV file: about one line a row;
        the table grows when that was too few)."""
        if self._seen is None:
            read = self._counter.count if self._counter is not None else 0
            expected = self.total * max(line, 1) // read if read else 4096
            self._seen = SeenSkus(expected=min(expected + expected // 8, 1 << 26))
        return self._seen

    def _progress(self) -> None:
        if self._counter is not None:
            self.done = self._counter.count

    def _fail(self, message: str, *, key: str = "", line: int | None = None,
              **kw: Any) -> CatalogError:
        return CatalogError([Problem(self.name, key, message, line=line, **kw)])

    # -- text files --

    def _lines(self) -> Iterator[tuple[int, list[str]]]:
        """(line, fields) of a CSV file, the header first, with the line each record starts on."""
        for starts, records in self._batches(1):
            yield from zip(starts, records, strict=True)

    def _batches(self, size: int) -> Iterator[tuple[list[int], list[list[str]] | Records]]:
        """The records of a CSV file, the header first, ``size`` at a time with the line each
        starts on (a quoted field may span lines).

        A stretch of ``size`` lines without a quote, a carriage return or a NUL (most catalogs,
        most of the time) is split on line breaks and commas, which is what ``csv.reader``
        does with such text (a blank line gives ``[""]`` instead of ``[]``: both are skipped as
        blank), and handed over as :class:`Records` columns when every line has as many fields
        as the header (which comes alone, first); any other stretch is read by
        ``csv.reader``. ``size=1`` reads every record with ``csv.reader`` (the row-by-row
        path, which tests hold the other to).
        """
        try:
            raw = self.path.open("rb")
        except OSError as e:
            raise self._fail(f"cannot read the catalog: {e.strerror}") from None
        self._counter = _Counting(raw)
        text = io.TextIOWrapper(io.BufferedReader(self._counter, 1 << 16),
                                encoding="utf-8-sig", newline="")
        start = 1  # the line the next record starts on
        limit = csv.field_size_limit()
        width = 0  # the header's fields, once read
        with text:
            while True:
                lines: list[str] = []
                if size > 1 and width:
                    try:
                        for line in islice(text, size):
                            lines.append(line)
                    except UnicodeDecodeError:
                        raise self._fail("not UTF-8 text; save the file as UTF-8",
                                         line=start + len(lines)) from None
                    if not lines:
                        return
                    block = "".join(lines)
                    if not ('"' in block or "\r" in block or "\0" in block
                            or max(map(len, lines)) > limit):
                        n = len(lines)
                        starts = list(range(start, start + n))
                        start += n
                        if block[-1] == "\n":
                            block = block[:-1]
                        commas = list(map(str.count, lines, repeat(",", n)))
                        if commas.count(width - 1) == n:
                            # Every line has the header's fields: the text split once, each
                            # column a slice of it.
                            fields = block.replace("\n", ",").split(",")
                            yield starts, Records([fields[k::width] for k in range(width)])
                        else:
                            yield starts, [r.split(",") for r in block.split("\n")]
                        continue
                reader = csv.reader(chain(lines, text))
                records = []
                ends: list[int] = []
                try:
                    for values in islice(reader, max(len(lines), 1)):
                        records.append(values)
                        ends.append(start - 1 + reader.line_num)
                except csv.Error as e:
                    raise self._fail(f"invalid CSV: {e}",
                                     line=ends[-1] + 1 if ends else start) from None
                except UnicodeDecodeError:
                    raise self._fail("not UTF-8 text; save the file as UTF-8",
                                     line=start + reader.line_num) from None
                if not records:
                    return
                width = width or len(records[0])
                starts = [start, *(end + 1 for end in ends[:-1])]
                start = ends[-1] + 1
                yield starts, records

    def _header(self, names: Sequence[str], allowed: Sequence[str]) -> None:
        problems = []
        for name in names:
            if name not in allowed:
                problems.append(Problem(self.name, name, "unknown column", line=1,
                                        expected=", ".join(allowed),
                                        suggestion=did_you_mean(name, allowed)))
        for name in _REQUIRED:
            if name not in names:
                problems.append(Problem(self.name, name, "missing column", line=1,
                                        expected=", ".join(allowed)))
        for name in sorted({n for n in names if list(names).count(n) > 1}):
            problems.append(Problem(self.name, name, "column appears twice", line=1))
        if problems:
            raise CatalogError(problems)

    def _csv(self) -> Iterator[RowBlock | FeedRow | list[Problem] | str]:
        batches = self._batches(self.chunk_size if self.bulk else 1)
        first = next(batches, None)
        if first is None:
            raise self._fail(f"empty catalog: the first line names the columns "
                             f"({','.join(COLUMNS)})", line=1)
        header = [h.strip() for h in first[1][0]]
        self._header(header, COLUMNS)
        batches = chain([(first[0][1:], first[1][1:])], batches)
        if self.bulk:
            yield from self._csv_batches(batches, header)
            return
        width = len(header)
        check = self._checker.check
        for starts, records in batches:
            for line, values in zip(starts, records, strict=True):
                if len(values) != width:
                    if not any(v.strip() for v in values):
                        continue  # a blank line
                    yield [Problem(self.name, "", f"{len(values)} fields where the header has "
                                   f"{width}", line=line, expected=",".join(header))]
                    continue
                yield check(line, dict(zip(header, values, strict=True)))

    def _csv_batches(self, batches: Iterator[tuple[list[int], list[list[str]] | Records]],
                     header: list[str]) -> Iterator[RowBlock | FeedRow | list[Problem] | str]:
        """:meth:`_csv`'s rows checked a batch at a time (:meth:`RowChecker.check_many`), the
        runs of good rows as :class:`RowBlock` columns."""
        width = len(header)
        check_many = self._checker.check_many
        for starts, records in batches:
            if type(records) is Records or all(map(width.__eq__, map(len, records))):
                yield from check_many(starts, records, header, blocks=True)  # type: ignore[misc]
                continue
            # Records of another width between the good ones: each is a problem of its own
            # (or a blank line, skipped), the runs around them are checked together.
            good: list[int] = []
            for i, values in enumerate(records):
                if len(values) == width:
                    good.append(i)
                    continue
                if good:
                    yield from check_many([starts[j] for j in good],  # type: ignore[misc]
                                          [records[j] for j in good], header, blocks=True)
                    good = []
                if any(v.strip() for v in values):
                    yield [Problem(self.name, "", f"{len(values)} fields where the header has "
                                   f"{width}", line=starts[i], expected=",".join(header))]
            if good:
                yield from check_many([starts[j] for j in good],  # type: ignore[misc]
                                      [records[j] for j in good], header, blocks=True)

    def _jsonl(self) -> Iterator[FeedRow | list[Problem] | str]:
        try:
            raw = self.path.open("rb")
        except OSError as e:
            raise self._fail(f"cannot read the catalog: {e.strerror}") from None
        self._counter = _Counting(raw)
        check = self._checker.check
        with io.BufferedReader(self._counter, 1 << 16) as f:
            for no, data in enumerate(f, 1):
                try:
                    text = data.decode("utf-8-sig" if no == 1 else "utf-8")
                except UnicodeDecodeError:
                    yield [Problem(self.name, "", "not UTF-8 text", line=no)]
                    continue
                if not text.strip():
                    continue
                try:
                    row = json.loads(text, parse_float=Decimal)
                except json.JSONDecodeError as e:
                    yield [Problem(self.name, "", f"invalid JSON: {e.msg}", line=no,
                                   column=e.colno)]
                    continue
                if not isinstance(row, dict):
                    yield [Problem(self.name, "", "each line must be a JSON object", line=no)]
                    continue
                unknown = [k for k in row if k not in COLUMNS]
                if unknown:
                    yield [Problem(self.name, k, "unknown key", line=no,
                                   expected=", ".join(COLUMNS),
                                   suggestion=did_you_mean(k, COLUMNS)) for k in unknown]
                    continue
                yield check(no, row)

    # -- Parquet --

    def _parquet(self) -> Iterator[FeedRow | list[Problem] | str]:
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:  # pragma: no cover - the parquet extra is in the test extra
            raise self._fail("reading Parquet needs pyarrow: pip install 'pricing[parquet]'"
                             ) from None
        try:
            file = pq.ParquetFile(self.path)
        except (OSError, pa.ArrowException) as e:
            raise self._fail(f"not a readable Parquet file: {e}") from None
        schema = file.schema_arrow
        self._header(list(schema.names), COLUMNS)
        price_type = schema.field("price").type
        if pa.types.is_floating(price_type):
            raise self._fail(f"the price column holds binary floats ({price_type}), which "
                             "cannot hold most prices exactly", key="price",
                             expected="a string or decimal column")
        self.total = max(file.metadata.num_rows, 1)
        check = self._checker.check
        row_no = 0
        for batch in file.iter_batches(batch_size=self.chunk_size):
            for row in batch.to_pylist():
                row_no += 1
                yield check(row_no, row)
            self.done = row_no

    # -- Shopify --

    def _shopify(self) -> Iterator[FeedRow | list[Problem] | str]:
        lines = self._lines()
        first = next(lines, None)
        if first is None:
            raise self._fail("empty file: a Shopify export starts with its header line", line=1)
        columns = _ShopifyColumns(first[1], self.name)
        currency = self.currency
        if not currency:
            raise self._fail("a Shopify export has no currency column: give the store "
                             "currency (--currency)")
        width = len(first[1])
        product: dict[str, str] = {}
        check = self._checker.check
        for line, values in lines:
            if len(values) != width:
                if not any(v.strip() for v in values):
                    continue
                yield [Problem(self.name, "", f"{len(values)} fields where the header has "
                               f"{width}", line=line)]
                continue
            get = columns.getter(values)
            handle = get("handle")
            if not handle:
                yield [Problem(self.name, columns.name("handle"), "missing: every row of a "
                               "Shopify export has its product's handle", line=line)]
                continue
            if handle != product.get("handle"):
                # The first row of a product: its fields hold for every variant row after it.
                product = {"handle": handle, "title": get("title"),
                           "description": html_to_text(get("body")), "brand": get("vendor"),
                           "image": get("image"), "status": get("status").lower(),
                           "published": get("published").lower(),
                           "gift_card": get("gift_card").lower(),
                           "condition": get("condition"), "hs_code": get("hs_code"),
                           "origin": get("origin")}
            elif not product.get("image") and get("image"):
                product["image"] = get("image")
            options = [v for v in (get("option1"), get("option2"), get("option3")) if v]
            sku, price = get("sku"), get("price")
            if not sku and not price and not options:
                continue  # an image row: it only adds a picture to the product
            if product["status"] in ("draft", "archived"):
                yield f"Shopify status {product['status']}"
                continue
            if product["published"] == "false":
                yield "not published to the online store"
                continue
            if product["gift_card"] == "true":
                yield "gift card"
                continue
            title = product["title"]
            if options and options != ["Default Title"]:
                title = f"{title} - {' / '.join(options)}" if title else " / ".join(options)
            grams = get("grams")
            weight: Any = None
            if grams:
                try:
                    weight = Decimal(grams) / 1000
                except ArithmeticError:
                    yield [Problem(self.name, columns.name("grams"), "not a number of grams",
                                   value=repr(grams), line=line)]
                    continue
                if weight == 0:
                    weight = None  # Shopify writes 0 when no weight was entered
            row = {"sku": sku, "title": title, "description": product["description"],
                   "price": price, "currency": currency, "weight": weight,
                   "hs_code": get("hs_code") or product["hs_code"],
                   "origin": get("origin") or product["origin"],
                   "link": f"{self.shop_url}/products/{handle}" if self.shop_url else "",
                   "image_link": get("variant_image") or product["image"],
                   "brand": product["brand"], "gtin": _gtin(get("barcode")),
                   "condition": product["condition"],
                   "availability": _shopify_stock(get("qty"), get("policy"))}
            found = check(line, row, group_id=handle)
            if isinstance(found, list):
                found = [columns.rename(p) for p in found]
            yield found


class _ShopifyColumns:
    """Where each field is in a Shopify export's header, whichever generation wrote it."""

    NAMES: Mapping[str, tuple[str, ...]] = {
        "handle": ("Handle", "URL handle"),
        "title": ("Title",),
        "body": ("Body (HTML)", "Description"),
        "vendor": ("Vendor",),
        "published": ("Published", "Published on online store"),
        "status": ("Status",),
        "gift_card": ("Gift Card", "Gift card"),
        "sku": ("Variant SKU", "SKU"),
        "grams": ("Variant Grams", "Weight value (grams)"),
        "price": ("Variant Price", "Price"),
        "barcode": ("Variant Barcode", "Barcode"),
        "image": ("Image Src", "Product image URL"),
        "variant_image": ("Variant Image", "Variant image URL"),
        "qty": ("Variant Inventory Qty", "Inventory quantity"),
        "policy": ("Variant Inventory Policy", "Continue selling when out of stock"),
        "condition": ("Google Shopping / Condition",),
        "option1": ("Option1 Value",), "option2": ("Option2 Value",),
        "option3": ("Option3 Value",),
        # Not in Shopify's export (they live on inventory items): columns a merchant adds.
        "hs_code": ("HS code", "Variant HS Code", "Harmonized System code"),
        "origin": ("Country of origin", "Variant Country of Origin", "Country/Region of origin"),
    }
    #: Our column names for problems, as the merchant's file spells them.
    _OURS: Mapping[str, str] = {"sku": "sku", "price": "price", "title": "title", "weight": "grams",
             "gtin": "barcode", "image_link": "image", "hs_code": "hs_code",
             "origin": "origin", "condition": "condition", "currency": "price",
             "availability": "qty"}

    def __init__(self, header: Sequence[str], file: str) -> None:
        lowered = {h.strip().lower(): i for i, h in reversed(list(enumerate(header)))}
        self.index: dict[str, int] = {}
        self.names: dict[str, str] = {}
        for key, names in self.NAMES.items():
            for name in names:
                i = lowered.get(name.lower())
                if i is not None:
                    self.index[key] = i
                    self.names[key] = header[i].strip()
                    break
        missing = [self.NAMES[k][0] for k in ("handle", "sku", "price") if k not in self.index]
        if missing:
            raise CatalogError([Problem(file, name, "missing column of a Shopify product "
                                        "export", line=1,
                                        expected="Handle, Title, Variant SKU, Variant Price, "
                                                 "... (or the newer URL handle, SKU, Price)")
                                for name in missing])
        self.file = file

    def name(self, key: str) -> str:
        return self.names.get(key, self.NAMES[key][0])

    def getter(self, values: Sequence[str]) -> Any:
        index = self.index

        def get(key: str) -> str:
            i = index.get(key)
            return values[i].strip() if i is not None else ""
        return get

    def rename(self, problem: Problem) -> Problem:
        """A problem found in our terms, named as the export's column."""
        ours = self._OURS.get(problem.key)
        if ours is None:
            return problem
        return Problem(problem.file, self.name(ours), problem.message, value=problem.value,
                       expected=problem.expected, suggestion=problem.suggestion,
                       line=problem.line)


_DIGITS = re.compile(r"\d{8}|\d{12,14}")
_SPACES = re.compile(r"[^\S\xa0]+")


def _gtin(barcode: str) -> str:
    """A Shopify barcode as a GTIN, or nothing: stores also keep internal codes there, which a
    channel must not receive as a GTIN (so they are left out, not refused)."""
    from stdnum import ean

    return barcode if _DIGITS.fullmatch(barcode) and ean.is_valid(barcode) else ""


def _shopify_stock(quantity: str, policy: str) -> str:
    """out_of_stock when inventory is tracked, none is left and overselling is off."""
    if not quantity:
        return "in_stock"
    try:
        left = int(quantity)
    except ValueError:
        return "in_stock"
    oversell = policy.strip().lower() in ("continue", "true")
    return "in_stock" if left > 0 or oversell else "out_of_stock"


class _Text(HTMLParser):
    _BREAKS = frozenset({"p", "br", "li", "div", "tr", "h1", "h2", "h3", "h4", "h5", "h6"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self._BREAKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._BREAKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(markup: str) -> str:
    """Plain text of a Shopify ``Body (HTML)``: channels take descriptions as plain text.

    >>> html_to_text("<p>Soft <b>merino</b> &amp; silk.</p><ul><li>Warm</li><li>Light</li></ul>")
    'Soft merino & silk. Warm Light'
    """
    if "<" in markup or "&" in markup:
        parser = _Text()
        parser.feed(markup)
        parser.close()
        markup = "".join(parser.parts)
    # Runs of white space as one space; a no-break space (&nbsp;) is kept where it was put.
    return _SPACES.sub(" ", markup).strip()
