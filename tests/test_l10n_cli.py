"""``pricing i18n``: extract -> translate -> check round trip and exit codes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pricing.cli import main
from pricing.l10n.catalogs import po_path, read_po_file, write_po_file
from pricing.l10n.labels import LANGUAGES

ROOT = Path(__file__).resolve().parents[1]

CATALOG = """\
sku,title,description,price,currency,hs_code,origin,category,weight
MUG-01,Stoneware mug,"Hand-glazed mug, 350 ml.",18.00,EUR,691200,PT,,0.4
BOOK-02,Field guide to birds,,24.90,EUR,490199,GB,books,0.6
TEA-03,Green tea,Loose-leaf sencha from Shizuoka.,9.50,EUR,090210,JP,food,0.1
"""
GERMAN = {
    "Stoneware mug": "Steingutbecher",
    "Hand-glazed mug, 350 ml.": "Von Hand glasierter Becher, 350 ml.",
    "Field guide to birds": "Vogelführer",
    "Green tea": "Grüner Tee",
    "Loose-leaf sencha from Shizuoka.": "Loser Sencha aus Shizuoka.",
}


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """A shop with its own rules (Germany, Japan, Canada) and an empty locales folder."""
    rules = tmp_path / "rules"
    (rules / "markets").mkdir(parents=True)
    (rules / "zones").mkdir()
    shutil.copy(ROOT / "rules" / "shop.toml", rules / "shop.toml")
    shutil.copy(ROOT / "rules" / "zones" / "eu.toml", rules / "zones" / "eu.toml")
    for market in ("de", "jp", "ca"):
        shutil.copy(ROOT / "rules" / "markets" / f"{market}.toml", rules / "markets")
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "products.csv").write_text(CATALOG, "utf-8")
    (tmp_path / "locales").mkdir()
    return tmp_path


def _run(shop: Path, *args: str) -> int:
    return main(["i18n", *args])


def _check(shop: Path, *args: str) -> int:
    return main(["i18n", "check", "--rules", str(shop / "rules"), "--locales",
                 str(shop / "locales"), *args])


def _translate(shop: Path, lang: str, table: dict[str, str]) -> None:
    path = po_path(shop / "locales", lang)
    catalog = read_po_file(path, locale=lang)
    for message in catalog:
        if message.id in table:
            message.string = table[message.id]
            message.flags.discard("fuzzy")
    write_po_file(path, catalog)


def test_extract_translate_check_round_trip(shop: Path, capsys: pytest.CaptureFixture[str]
                                            ) -> None:
    csv, locales = shop / "catalog" / "products.csv", shop / "locales"
    assert _run(shop, "extract", str(csv), "--locales", str(locales), "--init", "de",
                "--init", "ja") == 0
    out = capsys.readouterr().out
    assert "3 products, 5 entries" in out and "created" in out
    template = read_po_file(locales / "products.pot")
    assert {m.context for m in template if m.id} == {
        "MUG-01|title", "MUG-01|description", "BOOK-02|title", "TEA-03|title",
        "TEA-03|description"}

    # Nothing translated yet: Germany is below any threshold, and every entry is listed.
    assert _check(shop, "--market", "de") == 1
    captured = capsys.readouterr()
    assert "0/3 products fully translated" in captured.out
    assert captured.out.count("missing ") == 5 and "below the threshold" in captured.err

    _translate(shop, "de", GERMAN)
    assert _check(shop, "--market", "de") == 0
    out = capsys.readouterr().out
    assert "3/3 products fully translated (100.0 %)" in out and "ok:" in out
    # Japan has no Japanese text yet; Canada is English and French (French untranslated).
    assert _check(shop, "--market", "jp", "--market", "ca") == 1
    # A low enough threshold passes; the entries are still reported.
    assert _check(shop, "--market", "jp", "--threshold", "0") == 0
    capsys.readouterr()

    # The source text of one product changes: its German title becomes stale.
    csv.write_text(CATALOG.replace("Green tea,", "Green tea (organic),"), "utf-8")
    assert _check(shop, "--market", "de") == 1
    out = capsys.readouterr().out
    assert "2/3 products" in out and "stale   TEA-03|title (de)" in out
    assert "source text changed" in out
    assert _run(shop, "extract", str(csv), "--locales", str(locales)) == 0
    assert "1 changed (marked fuzzy)" in capsys.readouterr().out
    assert _check(shop, "--market", "de", "--threshold", "0.66") == 0
    out = capsys.readouterr().out
    assert "marked fuzzy (previous source 'Green tea')" in out

    # Reviewed: the translator updates the text and clears the flag.
    _translate(shop, "de", {"Green tea (organic)": "Grüner Tee (bio)"})
    assert _check(shop, "--market", "de", "--summary") == 0
    assert "3/3" in capsys.readouterr().out


def test_extract_reports_bad_rows_and_writes_nothing(shop: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    csv = shop / "catalog" / "products.csv"
    csv.write_text(CATALOG + ",No sku,,1.00,EUR,,,,\nX-9,Bad price,,abc,EUR,,,,\n", "utf-8")
    assert _run(shop, "extract", str(csv), "--locales", str(shop / "locales")) == 1
    err = capsys.readouterr().err
    assert f"{csv}:5: sku: missing" in err
    assert f"{csv}:6: price:" in err
    assert "nothing was written" in err
    assert not (shop / "locales" / "products.pot").exists()


def test_broken_po_file_fails_check_and_is_left_alone(shop: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    csv, locales = shop / "catalog" / "products.csv", shop / "locales"
    assert _run(shop, "extract", str(csv), "--locales", str(locales), "--init", "de",
                "--init", "ja") == 0
    _translate(shop, "de", GERMAN)
    ja = po_path(locales, "ja")
    ja.write_text(ja.read_text("utf-8") + '\nmsgid "oops\n', "utf-8")
    broken = ja.read_bytes()
    capsys.readouterr()
    assert _check(shop, "--market", "de") == 1                  # German is fine, ja is broken
    err = capsys.readouterr().err
    line = broken.decode().splitlines().index('msgid "oops') + 1
    assert f"{ja}:{line}:" in err and "unterminated" in err
    assert _run(shop, "extract", str(csv), "--locales", str(locales)) == 1
    assert ja.read_bytes() == broken
    assert "left unchanged" in capsys.readouterr().err


def test_usage_errors_exit_2(shop: Path) -> None:
    for bad in ("1.5", "abc", "-0.1", "NaN"):
        with pytest.raises(SystemExit) as info:
            _check(shop, "--threshold", bad)
        assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["i18n"])
    assert info.value.code == 2


def test_input_errors_exit_1(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _check(shop, "--market", "xx") == 1                 # unknown market
    assert main(["i18n", "check", "--rules", str(shop / "nowhere")]) == 1
    assert main(["i18n", "check", "--rules", str(shop / "rules"), "--locales",
                 str(shop / "nowhere")]) == 1
    assert _run(shop, "extract", str(shop / "missing.csv"), "--locales",
                str(shop / "locales")) == 1
    assert _run(shop, "extract", str(shop / "catalog" / "products.csv"), "--locales",
                str(shop / "locales"), "--init", "klingon") == 1
    capsys.readouterr()


def test_labels_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(ROOT / "locales", tmp_path / "locales")
    assert main(["i18n", "labels", "--locales", str(tmp_path / "locales")]) == 0
    out = capsys.readouterr().out
    assert "wrote" not in out and f"{len(LANGUAGES)} languages" in out


def test_check_on_the_shipped_catalog(capsys: pytest.CaptureFixture[str]) -> None:
    shop = ROOT
    assert main(["i18n", "check", "--rules", str(shop / "rules"), "--locales",
                 str(shop / "locales"), "--market", "de", "--market", "jp", "--market",
                 "gb"]) == 0
    assert capsys.readouterr().out.count("products fully translated (100.0 %)") == 3
