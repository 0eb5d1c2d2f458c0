"""The feed's bulk path (CSV rows checked column by column, lines built column by column) writes
exactly the bytes of the row-by-row path: every feed file, the bad rows with their lines and
reasons, and the report, on random catalogs full of bad rows, duplicates and odd spacing, cut
into small chunks so that chunk boundaries fall everywhere."""

from __future__ import annotations

import csv
import io

import pytest
from conftest import EASY_RATES, QUOTE_DAY, RULES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from market_rates import with_round_rates

from pricing.engine import Engine
from pricing.feeds.runner import FeedRequest, run_feed

HEADER = ("sku", "title", "description", "price", "currency", "hs_code", "origin", "category",
          "weight", "link", "image_link", "brand", "gtin", "condition", "availability")

# Each column's cells: good ones, and ones the row check refuses or takes only the long way
# (surrounding spaces, Unicode digits, a long s that lowercases to no "s", 10^12, a zero weight).
CELLS = {
    "sku": ["A1", "A2", "B-7", " C3 ", "D|4", "", "TEE-ORG-WHT-M", "x" * 129],
    "title": ["Tee", "Organic cotton T-shirt, white, size M", "", "two\tcells", " Mug ",
              "T" * 501, "multi  space"],
    "description": ["", "Soft.", "line\nbreak", "d" * 5001],
    "price": ["19.90", "5", "0", "19.999", "-1", "1e2", "abc", " 7.50 ", "１２", "1000000000000",
              "999999999999.99", "12.", ""],
    "currency": ["EUR", "usd", " JPY", "EURO", "", "KWD"],
    "hs_code": ["", "610910", "6109.10", "61A9", " 490199 "],
    "origin": ["", "PT", "uk", "ZZ", " de"],
    "category": ["", "clothing", " books", "Bad!", "weapons"],
    "weight": ["", "0.25", "0.250", "0", "x", "1001", " 0.4", "NaN"],
    "link": ["", "https://shop.example.com/p", "ftp://x", "https://a b", "httpſ://x",
             "HTTP://SHOP.EXAMPLE.COM/P"],
    "image_link": ["", "https://shop.example.com/i.jpg", "http:/broken"],
    "brand": ["", "Example", " Spaced "],
    "gtin": ["", "4006381333931", "4006381333932", "12345"],
    "condition": ["", "new", "Used", "broken"],
    "availability": ["", "in stock", "In-Stock", "backorder", "nope"],
}


@pytest.fixture(scope="module")
def engine():
    return Engine.from_directory(RULES, rates=with_round_rates(EASY_RATES))


def _row(draw_index: list[int]) -> list[str]:
    return [CELLS[c][i % len(CELLS[c])] for c, i in zip(HEADER, draw_index, strict=True)]


# Mostly the first (good) cell of each column, so that most rows are good and bad ones stand
# among them.
_index = st.one_of(st.just(1), st.just(1), st.integers(0, 20))
rows = st.lists(st.one_of(
    st.lists(_index, min_size=len(HEADER), max_size=len(HEADER)).map(_row),
    st.sampled_from([["A9", "short row"], [""], ["   "]])), max_size=30)


def _catalog(records: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    for record in records:
        if record == [""]:
            buffer.write("\n")  # a blank line
        else:
            writer.writerow(record)
    return buffer.getvalue()


def _files(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=rows, chunk=st.integers(1, 7), channel=st.sampled_from(["google", "meta", "csv"]))
def test_bulk_path_writes_the_row_by_row_bytes(engine, tmp_path_factory, records, chunk,
                                                channel):
    work = tmp_path_factory.mktemp("fast")
    catalog = work / "catalog.csv"
    catalog.write_text(_catalog(records), "utf-8")
    outs = {}
    for bulk in (True, False):
        out = work / f"out-{bulk}"
        report = run_feed(engine, FeedRequest(catalog=catalog, markets=("de", "us"),
                                              channel=channel, out=out, on=QUOTE_DAY,
                                              chunk_size=chunk), bulk=bulk)
        outs[bulk] = (_files(out), report.rows, report.bad_rows, report.problems)
    assert outs[True] == outs[False]
    # Every row was counted, and the bad-rows file has a line per bad row at least.
    files, read, bad, _ = outs[True]
    assert files[f"{channel}-bad-rows.csv"].count(b"\n") >= 1 + bad
    assert read == sum(1 for r in records if len(r) == len(HEADER)) + sum(
        1 for r in records if len(r) == 2)


def test_a_good_catalog_takes_the_bulk_path(engine, tmp_path):
    """The bulk path is the one a clean file takes: its rows come out of one batch check."""
    from pricing.feeds.catalog import FeedRow, RowChecker

    good = [_row([1] * len(HEADER)), ["A2", *_row([1] * len(HEADER))[1:]]]
    checked = RowChecker("c.csv").check_many([2, 3], good, HEADER)
    assert [type(r) for r in checked] == [FeedRow, FeedRow]
    # usd and 5 with the first cell of each other column: the row check says the same.
    row_by_row = [RowChecker("c.csv").check(n, dict(zip(HEADER, r, strict=True)))
                  for n, r in zip([2, 3], good, strict=True)]
    assert checked == row_by_row


def test_check_many_gives_runs_of_good_rows_as_blocks() -> None:
    # Lines 2 and 4 good, line 3 a bad price: two one-row blocks around line 3's problems,
    # and each block's row is what the row check gives.
    from pricing.feeds.catalog import FeedRow, RowBlock, RowChecker

    good = _row([1] * len(HEADER))
    bad = [*good[:3], "abc", *good[4:]]
    records = [good, ["A3", *bad[1:]], ["A4", *good[1:]]]
    found = RowChecker("c.csv").check_many([2, 3, 4], records, HEADER, blocks=True)
    assert [type(r) for r in found] == [RowBlock, list, RowBlock]
    assert found[1][0].line == 3 and found[1][0].key == "price"
    checker = RowChecker("c.csv")
    assert [list(found[0]), list(found[2])] == [
        [checker.check(n, dict(zip(HEADER, r, strict=True)))]
        for n, r in ((2, records[0]), (4, records[2]))]
    assert isinstance(found[0][0], FeedRow) and len(found[0][0:1]) == 1


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(st.sampled_from(list('ab ,"\r\né')), max_size=80),
       size=st.integers(2, 6))
def test_the_split_reader_reads_records_as_csv_reader_does(tmp_path_factory, text, size):
    # Lines split on commas where csv.reader would split the same (no quote, no carriage
    # return), csv.reader elsewhere: the same records on the same lines as csv.reader alone
    # (size 1), a blank line read as [""] or [] (both skipped as blank).
    from pricing.feeds.readers import CatalogReader

    path = tmp_path_factory.mktemp("split") / "c.csv"
    path.write_bytes(("sku,title,price,currency\n" + text).encode("utf-8"))

    def records(n: int) -> list[tuple[int, list[str]]]:
        try:
            return [(line, list(values) or [""])
                    for starts, batch in CatalogReader(path)._batches(n)
                    for line, values in zip(starts, (batch[i] for i in range(len(batch))),
                                            strict=True)]
        except Exception as e:  # an invalid CSV: the same error on the same line
            return [(getattr(e, "problems", [None])[0].line, [str(e)])]

    assert records(size) == records(1)
