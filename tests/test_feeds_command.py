"""`pricing feed` end to end: each channel's columns, price syntax and tax convention on worked
examples computed by hand, restricted goods left out and counted, text in each language with
the fallback recorded, bad rows and --max-bad-rows, and feeds that are replaced whole or not
at all."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from conftest import EASY_RATES, QUOTE_DAY, RULES
from market_rates import with_round_rates

from pricing.cli import main
from pricing.engine import Engine
from pricing.feeds.channels import CHANNELS, Channel
from pricing.feeds.market import MarketFeed
from pricing.feeds.runner import FeedRequest, run_feed

RATES = with_round_rates(EASY_RATES)

DAY = "2026-11-23"
CATALOG = RULES.parent / "catalog" / "products.csv"
HEADER = ("sku,title,description,price,currency,hs_code,origin,category,weight,link,"
          "image_link,brand,gtin,condition,availability\n")
# The first title is the bundled catalog's, so its translations apply; the hoodie's title is
# not (its translations are of another text), and WINE is in no PO file.
ROWS = (
    'TEE-ORG-WHT-M,"Organic cotton T-shirt, white, size M",,29.90,EUR,610910,PT,clothing,0.18,'
    "https://shop.example.com/p/tee,https://shop.example.com/i/tee.jpg,Example,4006381333931,"
    "new,in_stock\n"
    "HOOD-MERINO-GRY-M,Hoodie (renamed),,119.00,EUR,611011,IT,clothing,0.45,,,,,,preorder\n"
    "WINE-RED,Red wine,,25.00,EUR,220421,FR,,0.9,,,,,,\n")


@pytest.fixture
def rates_file(tmp_path):
    path = tmp_path / "rates.json"
    path.write_text(json.dumps(RATES.to_dict()))
    return path


@pytest.fixture(scope="module")
def feed_engine():
    """The engine `pricing feed --rates` builds, loaded once for the tests that call the
    runner directly (each command line run loads the rules and translations again)."""
    return Engine.from_directory(RULES, rates=RATES)


def _run(engine, tmp_path, *markets, channel, catalog=None, **kw):
    """run_feed on the test catalog: what `pricing feed` does after parsing its options."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    if catalog is None:
        catalog = tmp_path / "catalog.csv"
        catalog.write_text(HEADER + ROWS, "utf-8")
    out = tmp_path / "out"
    report = run_feed(engine, FeedRequest(catalog=catalog, markets=markets, channel=channel,
                                          out=out, on=QUOTE_DAY, **kw))
    return report, out


def _feed(tmp_path, rates_file, *args, catalog=None):
    tmp_path.mkdir(parents=True, exist_ok=True)
    if catalog is None:
        catalog = tmp_path / "catalog.csv"
        catalog.write_text(HEADER + ROWS, "utf-8")
    out = tmp_path / "out"
    code = main(["feed", "--rules", str(RULES), "--rates", str(rates_file), "--date", DAY,
                 "--catalog", str(catalog), "--out", str(out), *args])
    return code, out


def _rows(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text("utf-8")), delimiter=delimiter))


def test_google_prices_with_vat_in_germany_without_sales_tax_in_the_us(tmp_path, rates_file,
                                                                        capsys):
    code, out = _feed(tmp_path, rates_file, "--market", "de", "--market", "us", "--market", "in",
                      "--channel", "google")
    assert code == 0, capsys.readouterr().err
    de = {r["id"]: r for r in _rows(out / "google-de-de_DE.tsv", "\t")}
    assert list(de["TEE-ORG-WHT-M"]) == list(CHANNELS["google"].columns)
    tee = de["TEE-ORG-WHT-M"]
    # Germany (rules/zones/eu.toml, rules/markets/de.toml), shipped from the shop in DE: 29.90
    # EUR -> the .99 ending (step 1, up) = 29.99, VAT inside, no duty on a domestic sale. Google
    # wants EU prices with VAT: 29.99 EUR. Standard shipping, band up to 0.5 kg: 4.90 EUR.
    assert (tee["price"], tee["shipping"], tee["shipping_weight"]) == (
        "29.99 EUR", "DE::Standard:4.90 EUR", "0.18 kg")
    assert (tee["availability"], tee["condition"], tee["gtin"], tee["identifier_exists"]) == (
        "in_stock", "new", "4006381333931", "")
    assert tee["title"] == "Bio-T-Shirt aus Baumwolle, Weiß, Größe M"  # locales/de products.po
    assert de["HOOD-MERINO-GRY-M"]["availability"] == "preorder"
    us = {r["id"]: r for r in _rows(out / "google-us-en_US.tsv", "\t")}
    # United States (rules/markets/us.toml) at the test rate 1.10 USD per EUR: 29.90 x 1.10 x
    # 1.02 (FX markup) = 33.5478 -> ending .99 up = 33.99; duty HTSUS 6109 16.5 % of the FOB
    # value 33.99 = 5.60835 -> 5.61. Google wants US prices without sales tax: 33.99 + 5.61 =
    # 39.60 USD. Shipping band up to 0.5 kg: 9.99 USD.
    assert (us["TEE-ORG-WHT-M"]["price"], us["TEE-ORG-WHT-M"]["shipping"]) == (
        "39.60 USD", "US::Standard:9.99 USD")
    # India (rules/markets/in.toml) is DAP: duty and IGST are paid to the courier on delivery,
    # so the channel shows what checkout charges: 29.90 x 92 x 1.03 = 2833.324 -> ending 9 on a
    # step of 10, up = 2839 INR.
    india = {r["id"]: r for r in _rows(out / "google-in-en_IN.tsv", "\t")}
    assert india["TEE-ORG-WHT-M"]["price"] == "2839.00 INR"
    report = json.loads((out / "google-report.json").read_text())
    us_report = next(m for m in report["markets"] if m["market"] == "us")
    assert (us_report["prices_include_tax"], us_report["region"]) == (False, "US-CA")


def test_our_csv_shows_every_part_and_the_sales_tax_it_leaves_out(tmp_path, feed_engine):
    _, out = _run(feed_engine, tmp_path, "us", channel="csv", locales=("en",))
    assert not (out / "csv-us-es_US.csv").exists()  # --locale en: the US English file only
    tee = {r["sku"]: r for r in _rows(out / "csv-us-en_US.csv")}["TEE-ORG-WHT-M"]
    # As above, and the sales tax of the stand-in region (CA, 7.25 % of 33.99 = 2.464275 ->
    # 2.46) is in the landed price but not in the channel price: 33.99 + 5.61 + 2.46 = 42.06.
    assert (tee["unit_price"], tee["duty"], tee["tax"], tee["landed_price"], tee["amount"],
            tee["price"], tee["formatted_price"], tee["regime"]) == (
        "33.99", "5.61", "2.46", "42.06", "39.60", "39.60 USD", "$39.60", "entry")


def test_channel_columns_and_words(tmp_path, feed_engine):
    for name, ch in CHANNELS.items():
        _, out = _run(feed_engine, tmp_path / name, "de", channel=name, locales=("de",))
        path = out / f"{name}-de-de_DE.{ch.extension}"
        rows = _rows(path, ch.delimiter)
        assert list(rows[0]) == list(ch.columns)
        hood = next(r for r in rows if "HOOD-MERINO-GRY-M" in r.values())
        assert hood["availability"] == {"google": "preorder", "meta": "preorder",
                                         "tiktok": "preorder", "pinterest": "preorder",
                                         "csv": "preorder"}[name]
    meta = _rows(tmp_path / "meta" / "out" / "meta-de-de_DE.csv")[0]
    assert (meta["availability"], meta["price"]) == ("in stock", "29.99 EUR")
    assert _rows(tmp_path / "tiktok" / "out" / "tiktok-de-de_DE.csv")[0]["sku_id"] == \
        "TEE-ORG-WHT-M"


def test_restricted_goods_are_left_out_and_counted_by_reason(tmp_path, feed_engine):
    result, out = _run(feed_engine, tmp_path, "hk", channel="meta")
    skus = [r["id"] for r in _rows(out / "meta-hk-en_HK.csv")]
    assert skus == ["TEE-ORG-WHT-M", "HOOD-MERINO-GRY-M"]
    report = json.loads((out / "meta-report.json").read_text())
    [hk] = report["markets"]
    assert hk["rows"] == 2
    assert hk["left_out"] == {
        "restricted: dutiable commodities (liquor, tobacco) need a Hong Kong licence and "
        "excise duty (markets/hk.toml#restrictions[0])": 1}
    assert sum(result.markets["hk"].left_out.values()) == 1


def test_text_in_each_language_with_the_fallback_recorded(tmp_path, feed_engine):
    _, out = _run(feed_engine, tmp_path, "ch", channel="csv")
    report = json.loads((out / "csv-report.json").read_text())
    files = {f["locale"]: f for f in report["markets"][0]["files"]}
    assert set(files) == {"de_CH", "fr_CH", "it_CH", "en_CH"}
    # de_CH falls back to de (locales/de has the T-shirt); the renamed hoodie and the wine have
    # no usable translation: their source text, in English.
    assert files["de_CH"]["text_found_in"]["title"] == {"de": 1, "en": 2}
    rows = {r["sku"]: r for r in _rows(out / "csv-ch-de_CH.csv")}
    assert (rows["TEE-ORG-WHT-M"]["title_locale"], rows["HOOD-MERINO-GRY-M"]["title"],
            rows["HOOD-MERINO-GRY-M"]["title_locale"]) == ("de", "Hoodie (renamed)", "en")


def test_bundled_catalog_every_row(tmp_path, feed_engine):
    result, out = _run(feed_engine, tmp_path, "fr", "jp", channel="pinterest", catalog=CATALOG)
    assert (result.rows, result.bad_rows) == (48, 0)
    for name in ("pinterest-fr-fr_FR.csv", "pinterest-fr-en_FR.csv", "pinterest-jp-ja_JP.csv"):
        rows = _rows(out / name)
        assert len(rows) == 48
        assert all(r["price"].endswith(" EUR" if "-fr-" in name else " JPY") for r in rows)
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary left


def test_bad_rows_and_max_bad_rows(tmp_path, rates_file, capsys):
    catalog = tmp_path / "catalog.csv"
    catalog.write_text(HEADER + ROWS + "BAD-1,Mug,,12.5O,EUR,,,,,,,,,,\n"
                       + "BAD-2,Mug,,12.50,EUR,61A9,,,,,,,,,\n", "utf-8")
    code, out = _feed(tmp_path, rates_file, "--market", "de", "--channel", "google",
                      catalog=catalog)
    err = capsys.readouterr().err
    assert code == 1
    assert f"{catalog}:5: price: price is not a plain decimal number" in err
    assert f"{catalog}:6: hs_code: invalid HS code '61A9'" in err
    assert "2 bad rows of 5 (40.00 %) is over --max-bad-rows 0 %" in err
    # both bad rows are listed above: no "... every bad row is in <file>" pointer
    assert "every bad row is in" not in err
    # Every good row is written all the same, and every bad one listed with its line.
    assert len(_rows(out / "google-de-de_DE.tsv", "\t")) == 3
    bad = _rows(out / "google-bad-rows.csv")
    assert [(b["line"], b["column"]) for b in bad] == [("5", "price"), ("6", "hs_code")]
    code, out = _feed(tmp_path, rates_file, "--market", "de", "--channel", "google",
                      "--max-bad-rows", "40%", catalog=catalog)
    assert code == 0


def test_a_failed_run_replaces_no_feed(tmp_path, rates_file, feed_engine, capsys):
    _, out = _run(feed_engine, tmp_path, "de", channel="meta", locales=("de",))
    before = (out / "meta-de-de_DE.csv").read_bytes()
    # A catalog that breaks after its first good rows (bytes that are not UTF-8 on line 3).
    broken = tmp_path / "broken.csv"
    broken.write_bytes((HEADER + ROWS.splitlines(keepends=True)[0]).encode()
                       + b"X,\xff\xfe,,1.00,EUR,,,,,,,,,,\n")
    code, _ = _feed(tmp_path, rates_file, "--market", "de", "--channel", "meta", "--locale",
                    "de", catalog=broken)
    assert code == 1
    assert "not UTF-8" in capsys.readouterr().err
    assert (out / "meta-de-de_DE.csv").read_bytes() == before
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_usage_errors(tmp_path, rates_file, feed_engine, capsys):
    code, _ = _feed(tmp_path, rates_file, "--market", "fra", "--channel", "google")
    assert code == 2 and "did you mean 'fr'?" in capsys.readouterr().err
    code, _ = _feed(tmp_path, rates_file, "--market", "de", "--channel", "gogle")
    assert code == 2
    with pytest.raises(Exception, match="not in any of the languages asked for"):
        _run(feed_engine, tmp_path, "de", channel="csv", locales=("ja",))
    code, _ = _feed(tmp_path, rates_file, "--market", "de", "--channel", "csv", "--region",
                    "US-CA")
    assert code == 2 and "none of the markets" in capsys.readouterr().err


def test_a_channel_that_shows_us_sales_tax_needs_the_region(feed_engine):
    # No bundled channel shows US prices with sales tax; one that did could not price the US
    # without knowing the state.
    engine = feed_engine
    with_tax = Channel("x", "x", "", ("id",), ",", "csv", {}, tax_excluded_in=frozenset())
    with pytest.raises(Exception, match="give the region to price for"):
        MarketFeed(engine, "us", with_tax, on=EASY_RATES.as_of)
    feed = MarketFeed(engine, "us", with_tax, on=EASY_RATES.as_of, region="US-NY")
    assert (feed.include_tax, feed.region) == (True, "US-NY")


def test_a_tab_separated_feed_changes_only_values_with_tabs_or_line_breaks(tmp_path,
                                                                           feed_engine):
    # Google's feed is tab-separated without quoting: a tab or a line break inside a value
    # would start a column or a row, so that value's whitespace runs become single spaces.
    # Its neighbour's double space is the merchant's text and is kept, in the same chunk or not.
    catalog = tmp_path / "catalog.csv"
    catalog.write_text(HEADER
                       + 'TAB-1,"Tee\twith\r\ntabs",,10.00,EUR,610910,PT,clothing,0.2,,,,,,\n'
                       + "SPACE-1,Tee  with two spaces,,10.00,EUR,610910,PT,clothing,0.2,,,,,,\n",
                       "utf-8")
    for chunk in (1, 2):
        _, out = _run(feed_engine, tmp_path / f"c{chunk}", "de", channel="google",
                      catalog=catalog, chunk_size=chunk)
        rows = {r["id"]: r for r in _rows(out / "google-de-de_DE.tsv", "\t")}
        assert rows["TAB-1"]["title"] == "Tee with tabs"
        assert rows["SPACE-1"]["title"] == "Tee  with two spaces"


def test_feed_shipping_is_free_from_the_threshold_itself(feed_engine):
    # zones/eu.toml: standard shipping is free over 80.00 EUR, "free_over" taking the threshold
    # itself (as quotes do, tests/test_thresholds.py). The feed's shipping column for a 0.18 kg
    # item at a unit price of 79.99, 80.00 and 80.01 EUR: 4.90 (band up to 0.5 kg), 0, 0.
    from decimal import Decimal

    from pricing.feeds.channels import CHANNELS
    from pricing.feeds.market import MarketFeed

    feed = MarketFeed(feed_engine, "de", CHANNELS["google"], on=QUOTE_DAY)
    assert [feed._shipping(Decimal("0.18"), Decimal(p)) for p in ("79.99", "80.00", "80.01")
            ] == [Decimal("4.90"), Decimal("0.00"), Decimal("0.00")]
