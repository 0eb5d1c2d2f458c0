"""Catalog readers: our CSV, JSON lines, Parquet and a Shopify export, each with bad rows that
are skipped and reported with their line and reason, and good rows that all come through."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pricing.errors import CatalogError
from pricing.feeds.readers import CatalogReader, detect_format, html_to_text

HEADER = "sku,title,description,price,currency,hs_code,origin,category,weight,gtin\n"


def _read(path: Path, **kw):
    reader = CatalogReader(path, **kw)
    rows, problems, left_out = [], [], {}
    for chunk in reader:
        rows += chunk.rows
        problems += chunk.problems
        for k, v in chunk.left_out.items():
            left_out[k] = left_out.get(k, 0) + v
    return reader, rows, problems, left_out


def test_csv_bad_rows_are_reported_with_line_and_reason(tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_text(
        HEADER
        + "A1,Tee,\"Two lines\nof description\",19.90,EUR,610910,PT,clothing,0.2,4006381333931\n"
        + "A2,,,19.90,EUR,,,,,\n"                        # line 4: no title
        + "A3,Mug,,12,50,EUR,,,,,\n"                     # line 5: 11 fields
        + "A4,Mug,,12.50,EURO,,,,,\n"                    # line 6: unknown currency
        + "A5,Mug,,12.5O,EUR,,,,,\n"                     # line 7: bad price
        + "A6,Mug,,12.50,EUR,61A9,,,,\n"                 # line 8: invalid HS code
        + "A7,Mug,,12.50,EUR,,,,,4006381333932\n"        # line 9: GTIN check digit
        + "A1,Tee again,,19.90,EUR,,,,,\n"               # line 10: duplicate sku
        + "\n"
        + "A8,Book,,9.999,EUR,490199,DE,books,0.4,\n"    # line 12: 3 decimals
        + "A9,Book,,1500,JPY,4901.99,DE,books,0.4,\n",   # line 13: good
        "utf-8")
    reader, rows, problems, _ = _read(path)
    assert reader.format == "csv"
    assert [(r.item.sku, r.line) for r in rows] == [("A1", 2), ("A9", 13)]
    first = rows[0]
    assert first.description == "Two lines\nof description"
    assert (first.item.price.amount, first.item.weight_kg, first.gtin) == (
        Decimal("19.90"), Decimal("0.2"), "4006381333931")
    assert rows[1].item.hs_code == "490199"
    found = {(p.line, p.key) for p in problems}
    assert found == {(4, "title"), (5, ""), (6, "currency"), (7, "price"), (8, "hs_code"),
                     (9, "gtin"), (10, "sku"), (12, "price")}
    by_line = {p.line: p for p in problems}
    assert by_line[6].suggestion == "EUR"
    assert "11 fields where the header has 10" in by_line[5].message
    assert "duplicate" in by_line[10].message
    assert "more decimals than EUR has (2)" in by_line[12].message


def test_csv_header_problems_stop_the_file(tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_text("sku,title,prise,currency\nA,B,1,EUR\n")
    with pytest.raises(CatalogError) as e:
        _read(path)
    keys = {(p.key, p.message, p.suggestion) for p in e.value.problems}
    assert ("prise", "unknown column", "price") in keys
    assert ("price", "missing column", None) in keys


def test_jsonl_rows(tmp_path):
    path = tmp_path / "catalog.jsonl"
    lines = [
        {"sku": "J1", "title": "Tee", "price": 19.9, "currency": "EUR"},   # exact: 19.9
        "not json",
        [1, 2],
        {"sku": "J2", "title": "Tee", "price": "5", "currency": "EUR", "colour": "red"},
        {"sku": "J3", "title": "Tee", "price": "5.00", "currency": "GBP", "origin": "UK"},
        {"sku": "J4", "title": "Tee", "price": "5.00", "currency": "GBP", "weight": "0.3",
         "availability": "Out of stock", "condition": "used"},
    ]
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    reader, rows, problems, _ = _read(path)
    assert reader.format == "jsonl"
    assert [(r.item.sku, r.line) for r in rows] == [("J1", 1), ("J4", 6)]
    assert rows[0].item.price.amount == Decimal("19.9")
    assert (rows[1].availability, rows[1].condition) == ("out_of_stock", "used")
    by_line = {p.line: p for p in problems}
    assert by_line[2].message.startswith("invalid JSON")
    assert by_line[3].message == "each line must be a JSON object"
    assert (by_line[4].key, by_line[4].message) == ("colour", "unknown key")
    assert (by_line[5].key, by_line[5].suggestion) == ("origin", "GB")


def test_parquet_rows(tmp_path):
    path = tmp_path / "catalog.parquet"
    table = pa.table({
        "sku": ["P1", "P2", "P3"],
        "title": ["Tee", "Mug", "Book"],
        "price": pa.array([Decimal("19.90"), Decimal("-1.00"), Decimal("9.50")],
                          pa.decimal128(10, 2)),
        "currency": ["EUR", "EUR", "XXX"],
        "weight": [0.25, None, 0.5],
    })
    pq.write_table(table, path)
    reader, rows, problems, _ = _read(path, chunk_size=2)
    assert reader.format == "parquet"
    assert [(r.item.sku, r.line, r.item.price.amount, r.item.weight_kg) for r in rows] == [
        ("P1", 1, Decimal("19.90"), Decimal("0.25"))]
    assert {(p.line, p.key) for p in problems} == {(2, "price"), (3, "currency")}


def test_parquet_float_prices_are_refused(tmp_path):
    path = tmp_path / "catalog.parquet"
    pq.write_table(pa.table({"sku": ["P1"], "title": ["Tee"], "price": [19.9],
                             "currency": ["EUR"]}), path)
    with pytest.raises(CatalogError) as e:
        _read(path)
    assert e.value.problems[0].key == "price"
    assert "binary floats" in e.value.problems[0].message


# Shopify's product export (the classic column names), as it comes out of the admin: the first
# row of a product carries its fields, variant rows only theirs, image rows only an image.
SHOPIFY = (
    "Handle,Title,Body (HTML),Vendor,Product Category,Type,Tags,Published,Option1 Name,"
    "Option1 Value,Option2 Name,Option2 Value,Option3 Name,Option3 Value,Variant SKU,"
    "Variant Grams,Variant Inventory Tracker,Variant Inventory Qty,Variant Inventory Policy,"
    "Variant Fulfillment Service,Variant Price,Variant Compare At Price,"
    "Variant Requires Shipping,Variant Taxable,Variant Barcode,Image Src,Image Position,"
    "Image Alt Text,Gift Card,SEO Title,SEO Description,"
    "Google Shopping / Google Product Category,Google Shopping / Gender,"
    "Google Shopping / Age Group,Google Shopping / MPN,Google Shopping / Condition,"
    "Google Shopping / Custom Product,Variant Image,Variant Weight Unit,Variant Tax Code,"
    "Cost per item,Status\n")


def _shopify_row(**values: str) -> str:
    columns = SHOPIFY.strip().split(",")
    return ",".join(f'"{values.get(c, "")}"' for c in columns) + "\n"


def test_shopify_export(tmp_path):
    path = tmp_path / "products_export_1.csv"
    path.write_text(
        SHOPIFY
        + _shopify_row(**{"Handle": "merino-hoodie", "Title": "Merino hoodie",
                          "Body (HTML)": "<p>Warm <b>merino</b> &amp; light.</p>",
                          "Vendor": "Example Outfitters", "Published": "TRUE",
                          "Option1 Name": "Size", "Option1 Value": "M",
                          "Variant SKU": "HOOD-M", "Variant Grams": "450",
                          "Variant Inventory Tracker": "shopify", "Variant Inventory Qty": "3",
                          "Variant Inventory Policy": "deny", "Variant Price": "119.00",
                          "Variant Barcode": "4006381333931",
                          "Image Src": "https://cdn.example.com/hoodie.jpg",
                          "Image Position": "1", "Gift Card": "FALSE", "Status": "active"})
        + _shopify_row(**{"Handle": "merino-hoodie", "Option1 Value": "L",
                          "Variant SKU": "HOOD-L", "Variant Grams": "480",
                          "Variant Inventory Tracker": "shopify", "Variant Inventory Qty": "0",
                          "Variant Inventory Policy": "deny", "Variant Price": "119.00",
                          "Variant Barcode": "INTERNAL-7"})
        + _shopify_row(**{"Handle": "merino-hoodie",  # an image row
                          "Image Src": "https://cdn.example.com/hoodie-back.jpg",
                          "Image Position": "2"})
        + _shopify_row(**{"Handle": "merino-hoodie", "Option1 Value": "XL",  # line 5
                          "Variant Price": "119.00"})
        + _shopify_row(**{"Handle": "old-scarf", "Title": "Scarf", "Published": "TRUE",
                          "Option1 Name": "Title", "Option1 Value": "Default Title",
                          "Variant SKU": "SCARF", "Variant Price": "30.00",
                          "Status": "archived"})
        + _shopify_row(**{"Handle": "gift", "Title": "Gift card", "Option1 Name": "Title",
                          "Option1 Value": "Default Title", "Variant SKU": "GIFT-25",
                          "Variant Price": "25.00", "Gift Card": "TRUE", "Status": "active"})
        + _shopify_row(**{"Handle": "mug", "Title": "Mug", "Option1 Name": "Title",  # line 8
                          "Option1 Value": "Default Title", "Variant SKU": "MUG",
                          "Variant Price": "12,50", "Status": "active"}),
        "utf-8")
    assert detect_format(path) == "shopify"
    _, rows, problems, left_out = _read(path, currency="EUR",
                                        shop_url="https://shop.example.com/")
    assert [r.item.sku for r in rows] == ["HOOD-M", "HOOD-L"]
    m, size_l = rows
    assert (m.title, m.description, m.brand) == ("Merino hoodie - M", "Warm merino & light.",
                                                 "Example Outfitters")
    assert (m.item.price.amount, m.item.price.currency, m.item.weight_kg) == (
        Decimal("119.00"), "EUR", Decimal("0.45"))
    assert (m.link, m.image_link, m.gtin, m.group_id) == (
        "https://shop.example.com/products/merino-hoodie", "https://cdn.example.com/hoodie.jpg",
        "4006381333931", "merino-hoodie")
    assert m.availability == "in_stock"
    # The L variant inherits title, description, vendor and image; none left in stock; its
    # barcode is not a GTIN, so none is sent.
    assert (size_l.title, size_l.image_link, size_l.availability, size_l.gtin) == (
        "Merino hoodie - L", "https://cdn.example.com/hoodie.jpg", "out_of_stock", "")
    assert {(p.line, p.key) for p in problems} == {(5, "Variant SKU"), (8, "Variant Price")}
    assert left_out == {"Shopify status archived": 1, "gift card": 1}


def test_shopify_export_with_the_newer_column_names(tmp_path):
    path = tmp_path / "products_export.csv"
    path.write_text(
        "Title,URL handle,Description,Vendor,Product category,Type,Tags,"
        "Published on online store,Status,SKU,Barcode,Option1 name,Option1 value,Price,"
        "Compare-at price,Cost per item,Charge tax,Inventory tracker,Inventory quantity,"
        "Continue selling when out of stock,Weight value (grams),Weight unit for display,"
        "Requires shipping,Product image URL,Image position\n"
        "Linen dress,linen-dress,<p>Light linen.</p>,Example,,,,TRUE,Active,DRESS-38,,Size,38,"
        "89.00,,,TRUE,shopify,0,TRUE,300,g,TRUE,https://cdn.example.com/dress.jpg,1\n",
        "utf-8")
    _, rows, problems, _ = _read(path, currency="EUR")
    assert problems == []
    [row] = rows
    # Nothing left, but overselling is on: still available.
    assert (row.item.sku, row.title, row.description, row.item.weight_kg, row.availability,
            row.image_link, row.link) == (
        "DRESS-38", "Linen dress - 38", "Light linen.", Decimal("0.3"), "in_stock",
        "https://cdn.example.com/dress.jpg", "")


def test_shopify_export_needs_its_currency(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("Handle,Title,Variant SKU,Variant Price\nx,X,X1,1.00\n")
    with pytest.raises(CatalogError, match="currency"):
        _read(path)


def test_formats_and_missing_files(tmp_path):
    (tmp_path / "a.xlsx").write_bytes(b"PK")
    with pytest.raises(CatalogError, match="unknown catalog format"):
        CatalogReader(tmp_path / "a.xlsx")
    with pytest.raises(CatalogError, match="no such file"):
        CatalogReader(tmp_path / "missing.csv")


def test_html_to_text():
    assert html_to_text("Plain  text\n") == "Plain text"
    assert html_to_text("<h2>Care</h2><p>Wash at 30&nbsp;°C</p>") == "Care Wash at 30\xa0°C"


# -- a row's limits, on each of the three checks ------------------------------------------------

_LIMIT_HEADER = ("sku", "title", "description", "price", "currency", "weight", "link",
                 "image_link")
_URL = "https://example.com/"


def _limit_row(**cells: str) -> dict[str, str]:
    return {"sku": "A1", "title": "Tee", "description": "", "price": "10.00", "currency": "EUR",
            "weight": "", "link": "", "image_link": "", **cells}


def _both_checks(row: dict[str, str]):
    """What the row check and the column-by-column check of a batch make of ``row`` (the
    same, or the test fails): "row" or a list of (key, message)."""
    from pricing.feeds.catalog import FeedRow, RowChecker

    one = RowChecker("c.csv").check(2, row)
    [many] = RowChecker("c.csv").check_many([2], [[row[h] for h in _LIMIT_HEADER]],
                                            _LIMIT_HEADER)
    found = ["row" if isinstance(r, FeedRow) else [(p.key, p.message) for p in r]
             for r in (one, many)]
    assert found[0] == found[1]
    return found[0]


@pytest.mark.parametrize(("cells", "expected"), [
    # The catalog's limits as docs/feeds.md states them (ends included): a title of at most
    # 500 characters, a description of at most 5,000, a weight more than 0 and at most 1,000
    # kg, a price from zero to 10^12, a URL of at most 2,000 characters. At each limit the row
    # is good; one past it, the row is refused with the reason.
    ({"title": "T" * 500}, "row"),
    ({"title": "T" * 501}, [("title", "too long (501 characters)")]),
    ({"description": "d" * 5000}, "row"),
    ({"description": "d" * 5001}, [("description", "too long (5001 characters)")]),
    ({"weight": "1000"}, "row"), ({"weight": "0.001"}, "row"),
    ({"weight": "1000.001"}, [("weight", "invalid weight")]),
    ({"weight": "0"}, [("weight", "invalid weight")]),
    ({"price": "0"}, "row"), ({"price": "1000000000000"}, "row"),
    ({"price": "-0.01"}, [("price", "a price cannot be negative")]),
    ({"price": "1000000000000.01"}, [("price", "price is out of bounds: '1000000000000.01'")]),
    ({"link": _URL + "a" * (2000 - len(_URL))}, "row"),
    ({"link": _URL + "a" * (2001 - len(_URL))}, [("link", "not a web address")]),
    ({"image_link": _URL + "a" * (2000 - len(_URL))}, "row"),
    ({"image_link": _URL + "a" * (2001 - len(_URL))}, [("image_link", "not a web address")]),
])
def test_each_limit_of_a_catalog_row(cells, expected):
    assert _both_checks(_limit_row(**cells)) == expected


def test_a_row_refused_for_one_reason_names_only_that_one():
    # An unknown currency sends the row the long way; every other cell sits exactly at its
    # limit, which is allowed, so the currency is the only problem named.
    row = _limit_row(currency="EUX", title="T" * 500, description="d" * 5000, price="0",
                     weight="1000", link=_URL + "a" * (2000 - len(_URL)),
                     image_link=_URL + "b" * (2000 - len(_URL)))
    found = _both_checks(row)
    assert [key for key, _ in found] == ["currency"]


@pytest.mark.parametrize(("suffix", "bulk"), [(".csv", True), (".csv", False), (".jsonl", True)])
def test_a_chunk_holds_at_most_chunk_size_rows(tmp_path, suffix, bulk):
    # chunk_size bounds what a chunk holds (and so the memory of a worker): five rows in
    # chunks of two are 2 + 2 + 1, by the CSV column check, row by row, and in JSON lines.
    path = tmp_path / f"catalog{suffix}"
    if suffix == ".csv":
        path.write_text("sku,title,price,currency\n" + "".join(
            f"S{i},Tee,5.00,EUR\n" for i in range(5)), "utf-8")
    else:
        path.write_text("".join(json.dumps({"sku": f"S{i}", "title": "Tee", "price": "5.00",
                                            "currency": "EUR"}) + "\n" for i in range(5)))
    chunks = list(CatalogReader(path, chunk_size=2, bulk=bulk))
    assert [len(c.rows) for c in chunks] == [2, 2, 1]
