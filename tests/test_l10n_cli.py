"""``pricing i18n``: extract -> translate -> check round trip, exit codes, the one-screen summary
and the Arabic plural header as GNU gettext reads it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from babel.numbers import format_decimal

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

    # Nothing translated yet: Germany fails; the summary counts the entries, --details lists
    # each of them once.
    assert _check(shop, "--market", "de") == 1
    captured = capsys.readouterr()
    assert "FAILED  1: de de_DE 0/3" in captured.out
    assert "5 missing or stale entries: --details lists each" in captured.out
    assert captured.err == "error: 1 market(s) below 100 % in their default locale: de 0 %\n"
    assert _check(shop, "--market", "de", "--details") == 1
    assert capsys.readouterr().out.count("  missing ") == 5

    _translate(shop, "de", GERMAN)
    assert _check(shop, "--market", "de") == 0
    out = capsys.readouterr().out
    assert "passed  1: de" in out and "ok: 1 market(s) pass" in out
    # Japan has no Japanese text yet: it fails. Canada's default locale is English, the source
    # language: it passes, and its untranslated French is reported as coverage only.
    assert _check(shop, "--market", "jp") == 1
    assert _check(shop, "--market", "ca") == 0
    out = capsys.readouterr().out
    assert "passed  1: ca" in out and "ca fr_CA 0 %" in out and "not required" in out
    # ... unless every locale must pass.
    assert _check(shop, "--market", "ca", "--all-locales") == 1
    assert "FAILED  1: ca fr_CA 0/3" in capsys.readouterr().out
    # A low enough threshold passes Japan.
    assert _check(shop, "--market", "jp", "--threshold", "0") == 0
    capsys.readouterr()

    # The source text of one product changes: its German title becomes stale, and 2 of the 3
    # products are fully translated (66.7 %).
    csv.write_text(CATALOG.replace("Green tea,", "Green tea (organic),"), "utf-8")
    assert _check(shop, "--market", "de", "--details") == 1
    out = capsys.readouterr().out
    assert "de de_DE 2/3" in out and "stale   TEA-03|title (de)" in out
    assert "source text changed" in out
    assert _run(shop, "extract", str(csv), "--locales", str(locales)) == 0
    assert "1 changed (marked fuzzy)" in capsys.readouterr().out
    assert _check(shop, "--market", "de", "--threshold", "66%") == 0
    assert _check(shop, "--market", "de", "--threshold", "0.67", "--details") == 1
    assert "marked fuzzy (previous source 'Green tea')" in capsys.readouterr().out

    # Reviewed: the translator updates the text and clears the flag.
    _translate(shop, "de", {"Green tea (organic)": "Grüner Tee (bio)"})
    assert _check(shop, "--market", "de", "--summary") == 0
    assert "passed  1: de" in capsys.readouterr().out


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


def test_bad_arguments_exit_2_with_one_line(shop: Path, capsys: pytest.CaptureFixture[str]
                                            ) -> None:
    csv = str(shop / "catalog" / "products.csv")
    cases = [
        (["--threshold", "1.5"], "'--threshold': '1.5' is not a share between 0 and 1"),
        (["--threshold", "abc"], "'abc' is not a share"),
        (["--threshold", "-0.1"], "'-0.1' is not a share"),
        (["--threshold", "NaN"], "'NaN' is not a share"),
        (["--threshold", "120%"], "'120%' is not a share"),
        (["--market", "xx"], "'--market': no market 'xx'"),
    ]
    for args, says in cases:
        assert _check(shop, *args) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and says in err, (args, err)
    others = [
        (["i18n", "check", "--rules", str(shop / "nowhere")], "'--rules'"),
        (["i18n", "check", "--rules", str(shop / "rules"), "--locales", str(shop / "nowhere")],
         "'--locales'"),
        (["i18n", "extract", str(shop / "missing.csv"), "--locales", str(shop / "locales")],
         "'CATALOG'"),
        (["i18n", "extract", csv, "--locales", str(shop / "locales"), "--init", "klingon"],
         "'klingon' is not a locale"),
    ]
    for argv, says in others:
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and says in err, (argv, err)
    assert main(["i18n"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_market_typo_gets_a_suggestion(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _check(shop, "--market", "dee") == 2
    err = capsys.readouterr().err
    assert "no market 'dee'" in err and "did you mean 'de'?" in err
    assert "(markets: ca, de, jp)" in err


def test_json_report(shop: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv, locales = shop / "catalog" / "products.csv", shop / "locales"
    assert _run(shop, "extract", str(csv), "--locales", str(locales), "--init", "de") == 0
    _translate(shop, "de", {k: v for k, v in GERMAN.items() if k != "Green tea"})
    capsys.readouterr()
    assert _check(shop, "--format", "json", "--details") == 1
    doc = json.loads(capsys.readouterr().out)
    markets = {m["market"]: m for m in doc["markets"]}
    assert doc["products"] == 3 and doc["passed"] is False
    # Germany: 2 of the 3 products have every field in German (the tea lacks its title).
    assert markets["de"]["locales"][0] == {"locale": "de_DE", "translated": 2, "total": 3,
                                           "share": str(Decimal(2) / Decimal(3)),
                                           "source": False, "required": True}
    assert markets["ca"]["passed"] is True and markets["jp"]["passed"] is False
    tea = next(e for e in doc["entries"] if e["locale"] == "de")
    assert (tea["sku"], tea["field"], tea["status"]) == ("TEA-03", "title", "missing")


def test_labels_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    locales = shutil.copytree(ROOT / "locales", tmp_path / "locales")
    assert main(["i18n", "labels", "--locales", str(locales)]) == 0
    out = capsys.readouterr().out
    # The shipped files are current: nothing to write, and every language loads.
    n = len(list(locales.glob("*/LC_MESSAGES/labels.po")))
    assert "wrote" not in out and f"labels: {n} languages" in out and n == len(LANGUAGES)


def test_check_on_the_shipped_catalog(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["i18n", "check", "--rules", str(ROOT / "rules"), "--locales",
                 str(ROOT / "locales"), "--market", "de", "--market", "jp", "--market",
                 "gb", "--market", "es"]) == 0
    out = capsys.readouterr().out
    # Spain passes on es_ES, complete; its other languages (Catalan, Basque, Galician) are
    # coverage, never a failure, however far their translation has gone.
    assert "passed  4: de, jp, gb, es" in out and "FAILED" not in out


def test_shipped_summary_fits_one_screen(capsys: pytest.CaptureFixture[str]) -> None:
    main(["i18n", "check", "--rules", str(ROOT / "rules"), "--locales", str(ROOT / "locales")])
    captured = capsys.readouterr()
    # One line each: the rule, failed, passed, other locales, entries; the verdict on stderr.
    assert len(captured.out.splitlines()) <= 6 and len(captured.err.splitlines()) <= 1
    assert "Traceback" not in captured.err


# -- the Arabic Plural-Forms header, as GNU gettext and Weblate read it ----------------------

#: The Arabic header of Weblate's language data (languages.csv) and of GNU gettext's msginit
#: (from CLDR): zero, one, two, few (n % 100 in 3..10), many (n % 100 in 11..99), other.
#: Babel's own table has many and other swapped (python-babel/babel#816): a catalog written
#: with it gets its forms 4 and 5 swapped when translators' tools merge it.
GNU_ARABIC = ("nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 "
              ": n%100>=11 ? 4 : 5);")
#: The forms of "%(count)s item" a reader of Arabic expects: 3-10 take the plural
#: (منتجات), 11-99 the accusative singular (منتجًا), 100-102 the genitive singular (منتج).
ARABIC_ITEMS = {0: "لا توجد منتجات", 1: "منتج واحد", 2: "منتجان", 3: "%(count)s منتجات",
                10: "%(count)s منتجات", 11: "%(count)s منتجًا", 99: "%(count)s منتجًا",
                100: "%(count)s منتج", 101: "%(count)s منتج", 102: "%(count)s منتج",
                103: "%(count)s منتجات", 111: "%(count)s منتجًا", 1000: "%(count)s منتج"}


def _gettext_tools() -> tuple[str, str]:
    msgfmt, ngettext = shutil.which("msgfmt"), shutil.which("ngettext")
    if msgfmt and ngettext:
        return msgfmt, ngettext
    message = "GNU gettext (msgfmt, ngettext) is not installed: apt-get install gettext"
    if os.environ.get("CI") == "true":
        pytest.fail(message)  # .ci/run installs it: missing there is a failure, not a skip
    pytest.skip(message)


def test_arabic_plural_forms_as_gnu_gettext_reads_them(tmp_path: Path) -> None:
    msgfmt, ngettext = _gettext_tools()
    for every in sorted((ROOT / "locales" / "ar" / "LC_MESSAGES").glob("*.po")):
        assert read_po_file(every, locale="ar").plural_forms == GNU_ARABIC, every.name
    po = ROOT / "locales" / "ar" / "LC_MESSAGES" / "labels.po"
    mo = tmp_path / "ar" / "LC_MESSAGES" / "labels.mo"
    mo.parent.mkdir(parents=True)
    subprocess.run([msgfmt, "--check", "-o", str(mo), str(po)], check=True, timeout=60)
    # GNU gettext's runtime picks the form by the compiled header; C.UTF-8 lets LANGUAGE work.
    env = {"PATH": os.environ.get("PATH", ""), "LANGUAGE": "ar", "LC_ALL": "C.UTF-8",
           "TEXTDOMAINDIR": str(tmp_path)}
    for n, expected in ARABIC_ITEMS.items():
        got = subprocess.run([ngettext, "-d", "labels", "%(count)s item", "%(count)s items",
                              str(n)], env=env, capture_output=True, text=True, check=True,
                             timeout=60).stdout
        assert got == expected, n
    # The service reads the same file the same way.
    from pricing.l10n.labels import load_labels

    labels = load_labels(ROOT / "locales", languages=["ar"])
    for n, expected in ARABIC_ITEMS.items():
        assert labels.item_count(n, "ar") == expected % {"count": format_decimal(n, locale="ar")}


def test_arabic_header_survives_a_labels_refresh(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "locales", tmp_path / "locales")
    po = tmp_path / "locales" / "ar" / "LC_MESSAGES" / "labels.po"
    # Drop a translation so that the refresh must rewrite the file.
    text = po.read_text("utf-8")
    start = text.index('msgid "Subtotal"')
    po.write_text(text[:start] + text[text.index("\n\n", start) + 2:], "utf-8")
    assert main(["i18n", "labels", "--locales", str(tmp_path / "locales")]) == 0
    assert po.read_text("utf-8") != text
    assert read_po_file(po, locale="ar").plural_forms == GNU_ARABIC
