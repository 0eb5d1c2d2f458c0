"""Product text catalogs (pricing.l10n.catalogs): loading, fallbacks, stale entries, errors."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from pricing.errors import InvalidCodeError
from pricing.l10n.catalogs import (
    CatalogError,
    UnknownProductError,
    extract,
    load_catalogs,
    load_products,
    po_path,
    read_po_file,
    write_po_file,
)
from pricing.money import Money

ROOT = Path(__file__).resolve().parents[1]
LOCALES = ROOT / "locales"
PRODUCTS = ROOT / "catalog" / "products.csv"
TRANSLATED = ("de", "fr", "es", "ja")


@pytest.fixture(scope="module")
def shipped():
    return load_catalogs(LOCALES)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the shipped catalog and locales to break."""
    shutil.copytree(LOCALES, tmp_path / "locales")
    shutil.copytree(PRODUCTS.parent, tmp_path / "catalog")
    return tmp_path


def _po_text(tree: Path, lang: str) -> str:
    return po_path(tree / "locales", lang).read_text("utf-8")


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


# -- the shipped sample ---------------------------------------------------------------------------

def test_sample_catalog(shipped) -> None:
    assert shipped.errors == ()
    assert len(shipped) >= 40
    categories = {p.category for p in shipped}
    assert {"books", "food", "children_clothing", "clothing", "electronics", "cosmetics",
            "toys", "jewellery"} <= categories
    for p in shipped:
        assert p.title and p.description and p.hs_code and p.origin and p.weight_kg
        assert p.price.currency == "EUR" and p.price.amount > 0
    assert set(TRANSLATED) <= set(shipped.locales)
    for lang in TRANSLATED:
        cov = shipped.coverage(lang)
        assert cov.gaps == () and cov.translated == len(shipped), lang


def test_sample_translations_are_real(shipped) -> None:
    # Every shipped translation differs from its English source (no placeholder copies).
    for lang in TRANSLATED:
        catalog = read_po(po_path(LOCALES, lang).open("rb"))
        same = [m.context for m in catalog if m.id and m.string == m.id]
        assert same == [], (lang, same)


def test_pot_matches_the_catalog() -> None:
    template = read_po_file(LOCALES / "products.pot")
    products = load_products(PRODUCTS)
    expected = {(getattr(p, f), f"{p.sku}|{f}") for p in products.values()
                for f in ("title", "description")}
    assert {(m.id, m.context) for m in template if m.id} == expected


def test_title_fallback_chain(shipped) -> None:
    sku = "BOOK-DE-COOK"
    source = shipped.product(sku).title
    assert shipped.title(sku, "de_DE") == ("Deutsche Alltagsküche (gebunden)", "de")
    assert shipped.title(sku, "fr_CA", default="en_CA")[1] == "fr"
    assert shipped.title(sku, "es_US")[1] == "es"             # es_US -> es_419 -> es
    # No Romansh catalog: the market default (de_CH -> de) comes next, then the source.
    assert shipped.title(sku, "rm_CH", default="de_CH")[1] == "de"
    assert shipped.title(sku, "rm_CH") == (source, "en")
    assert shipped.title(sku, "en_GB") == (source, "en")
    assert shipped.description(sku, "ja_JP")[1] == "ja"
    with pytest.raises(InvalidCodeError):
        shipped.title(sku, "xx_YY")


def test_product_facts_and_localized_view(shipped) -> None:
    p = shipped.product("TEE-ORG-WHT-M")
    assert p.price == Money(Decimal("29.90"), "EUR")
    assert (p.hs_code, p.origin, p.category, p.weight_kg) == ("610910", "PT", "clothing",
                                                              Decimal("0.18"))
    fr = shipped.product("TEE-ORG-WHT-M", locale="fr_FR")
    assert fr.title_locale == "fr" and fr.price == p.price
    d = fr.to_dict()
    assert d["price"] == {"amount": "29.90", "currency": "EUR"}
    assert d["weight"] == {"value": "0.18", "unit": "kg"}
    assert json.loads(json.dumps(d)) == d
    with pytest.raises(UnknownProductError) as info:
        shipped.product("TEE-ORG-WHT-N")
    assert info.value.suggestion == "TEE-ORG-WHT-M"


# -- stale translations ---------------------------------------------------------------------------

def test_fuzzy_translation_is_stale(tree: Path) -> None:
    path = po_path(tree / "locales", "de")
    text = path.read_text("utf-8").replace('msgctxt "BOOK-DE-COOK|title"',
                                           '#, fuzzy\nmsgctxt "BOOK-DE-COOK|title"')
    path.write_text(text, "utf-8")
    cat = load_catalogs(tree / "locales")
    assert cat.errors == ()
    assert cat.title("BOOK-DE-COOK", "de_DE") == (cat.product("BOOK-DE-COOK").title, "en")
    (gap,) = cat.coverage("de_DE").gaps
    assert (gap.sku, gap.field, gap.status, gap.locale) == ("BOOK-DE-COOK", "title", "stale",
                                                           "de")
    assert gap.file == str(path) and gap.line == _line_of(text, 'msgid "Everyday German')
    assert "fuzzy" in gap.reason


def test_changed_source_text_is_stale(tree: Path) -> None:
    csv = tree / "catalog" / "products.csv"
    csv.write_text(csv.read_text("utf-8").replace("Everyday German cooking (hardcover)",
                                                  "Everyday German cooking (2nd edition)"),
                   "utf-8")
    cat = load_catalogs(tree / "locales")
    assert cat.title("BOOK-DE-COOK", "fr_FR") == ("Everyday German cooking (2nd edition)", "en")
    assert cat.description("BOOK-DE-COOK", "fr_FR")[1] == "fr"      # untouched field still used
    for lang in TRANSLATED:
        cov = cat.coverage(lang)
        assert [(g.sku, g.field, g.status) for g in cov.gaps] == [("BOOK-DE-COOK", "title",
                                                                   "stale")]
        assert "source text changed" in cov.gaps[0].reason
        assert cov.translated == len(cat) - 1


def test_extract_marks_changed_entries_fuzzy_by_context(tree: Path) -> None:
    csv = tree / "catalog" / "products.csv"
    csv.write_text(csv.read_text("utf-8").replace("Acacia honey, 500 g", "Acacia honey, 250 g"),
                   "utf-8")
    report = extract(csv, tree / "locales")
    assert report.errors == ()
    for lang in TRANSLATED:
        path = po_path(tree / "locales", lang)
        assert report.stats[path].changed == 1 and report.stats[path].added == 0
        catalog = read_po_file(path, locale=lang)
        msg = catalog.get("Acacia honey, 250 g", context="FOOD-HONEY-ACAC|title")
        assert msg is not None and msg.fuzzy and msg.string
        assert msg.previous_id == ["Acacia honey, 500 g"]
        assert "#| msgid \"Acacia honey, 500 g\"" in path.read_text("utf-8")
    de = read_po_file(po_path(tree / "locales", "de"), locale="de")
    assert de.get("Acacia honey, 250 g", context="FOOD-HONEY-ACAC|title").string == \
        "Akazienhonig, 500 g"                       # its own translation, not another language's
    cat = load_catalogs(tree / "locales")
    assert cat.title("FOOD-HONEY-ACAC", "de")[1] == "en"
    assert [g.status for g in cat.coverage("de").gaps] == ["stale"]
    # A second run changes nothing on disk.
    again = extract(csv, tree / "locales")
    assert again.written == ()


def test_extract_is_a_no_op_on_the_shipped_tree(tree: Path) -> None:
    before = {p: p.read_bytes() for p in (tree / "locales").rglob("*.po*")}
    report = extract(tree / "catalog" / "products.csv", tree / "locales")
    assert report.written == () and report.errors == ()
    assert before == {p: p.read_bytes() for p in (tree / "locales").rglob("*.po*")}


# -- broken files ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("old", "new", "message"), [
    ('msgstr "T-shirt en coton bio, blanc, taille M"',
     'msgstr "T-shirt en coton bio, blanc, taille M', "unterminated"),
    ('msgstr "T-shirt en coton bio, blanc, taille M"',
     'msgstrr "T-shirt en coton bio, blanc, taille M"', "unknown keyword"),
    ('msgstr "T-shirt en coton bio, blanc, taille M"',
     'msgstr[1] "T-shirt en coton bio, blanc, taille M"', "without msgid_plural"),
    ('msgctxt "TEE-ORG-BLK-L|title"', 'msgctxt "TEE-ORG-WHT-M|title"\nmsgid "Organic cotton '
     'T-shirt, white, size M"\nmsgstr "x"\n\nmsgctxt "TEE-ORG-BLK-L|title"', "duplicate"),
])
def test_one_broken_po_file_does_not_hide_the_others(tree: Path, old: str, new: str,
                                                     message: str) -> None:
    path = po_path(tree / "locales", "fr")
    text = path.read_text("utf-8")
    assert old in text
    broken = text.replace(old, new, 1)
    path.write_text(broken, "utf-8")
    cat = load_catalogs(tree / "locales")
    (err,) = cat.errors
    assert isinstance(err, CatalogError) and err.file == str(path)
    assert message in str(err)
    lines = [i for i, line in enumerate(broken.splitlines(), 1) if line == new.splitlines()[0]]
    expected_line = lines[-1]  # the changed line, or the second of two duplicate entries
    assert err.line == expected_line
    assert "fr" not in cat.locales
    assert cat.title("TEE-ORG-WHT-M", "fr_FR")[1] == "en"
    for lang in ("de", "es", "ja"):
        assert cat.title("TEE-ORG-WHT-M", lang)[1] == lang
    with pytest.raises(CatalogError) as info:
        read_po_file(path, locale="fr")
    assert info.value.line == expected_line


def test_po_file_not_utf8(tree: Path) -> None:
    path = po_path(tree / "locales", "es")
    data = path.read_bytes().replace(b"talla M", "talla \xd1".encode("latin-1"), 1)
    path.write_bytes(data)
    cat = load_catalogs(tree / "locales")
    (err,) = cat.errors
    assert "UTF-8" in str(err)
    assert err.line == data[:data.index(b"talla \xd1")].count(b"\n") + 1


def test_language_header_must_match_folder(tree: Path) -> None:
    path = po_path(tree / "locales", "ja")
    text = path.read_text("utf-8").replace('"Language: ja\\n"', '"Language: ko\\n"')
    path.write_text(text, "utf-8")
    (err,) = load_catalogs(tree / "locales").errors
    assert err.line == _line_of(text, '"Language: ko')
    assert err.problems[0].key == "Language"


def test_mismatched_plural_forms_header(tree: Path) -> None:
    path = po_path(tree / "locales", "ja")
    text = path.read_text("utf-8").replace("nplurals=1; plural=0;",
                                           "nplurals=2; plural=(n != 1);")
    path.write_text(text, "utf-8")
    (err,) = load_catalogs(tree / "locales").errors
    assert err.problems[0].key == "Plural-Forms"
    assert err.line == _line_of(text, "Plural-Forms")
    assert "nplurals=1" in str(err.problems[0].expected)


def test_folder_that_is_no_locale(tree: Path) -> None:
    bad = tree / "locales" / "klingon" / "LC_MESSAGES"
    bad.mkdir(parents=True)
    shutil.copy(po_path(tree / "locales", "de"), bad / "products.po")
    cat = load_catalogs(tree / "locales")
    (err,) = cat.errors
    assert "klingon" in str(err)
    assert cat.coverage("de").gaps == ()


def test_missing_locales_folder_or_catalog(tmp_path: Path) -> None:
    with pytest.raises(CatalogError):
        load_catalogs(tmp_path / "nowhere")
    (tmp_path / "locales").mkdir()
    with pytest.raises(CatalogError) as info:
        load_catalogs(tmp_path / "locales")
    assert "products.csv" in str(info.value)


# -- the product catalog file ---------------------------------------------------------------------

HEADER = "sku,title,description,price,currency,hs_code,origin,category,weight\n"


def test_catalog_rows_are_checked_with_lines(tmp_path: Path) -> None:
    path = tmp_path / "products.csv"
    path.write_text(HEADER + "\n".join([
        "A-1,Good,Fine,10.00,EUR,6109,PT,clothing,0.2",          # line 2: fine
        ",No sku,,10.00,EUR,,,,",                                # line 3
        "A-3,Bad price,,12;99,EUR,,,,",                          # line 4
        "A-4,Negative,,-1,EUR,,,,",                              # line 5
        "A-5,Too precise,,1.234,EUR,,,,",                        # line 6
        "A-6,Yen cents,,100.5,JPY,,,,",                          # line 7
        "A-7,Unknown currency,,1,EURO,,,,",                      # line 8
        "A-8,Bad codes,,1,EUR,6x,XX,Books!,-2",                  # line 9
        "A-1,Duplicate,,1,EUR,,,,",                              # line 10
        "A|9,Pipe,,1,EUR,,,,",                                   # line 11
        "A-10,,no title,1,EUR,,,,",                              # line 12
        "A-11,Short row,1",                                      # line 13
    ]) + "\n", "utf-8")
    with pytest.raises(CatalogError) as info:
        load_products(path)
    found = {(p.line, p.key) for p in info.value.problems}
    assert found == {(3, "sku"), (4, "price"), (5, "price"), (6, "price"), (7, "price"),
                     (8, "currency"), (9, "hs_code"), (9, "origin"), (9, "category"),
                     (9, "weight"), (10, "sku"), (11, "sku"), (12, "title"), (13, "")}
    assert all(p.file == str(path) for p in info.value.problems)
    currency = next(p for p in info.value.problems if p.key == "currency")
    assert currency.suggestion == "EUR"
    # load_catalogs keeps the good rows and reports the others.
    (tmp_path / "locales").mkdir()
    cat = load_catalogs(tmp_path / "locales", products=path)
    assert cat.skus == ("A-1",)
    assert len(cat.errors) == len(info.value.problems)


def test_catalog_header_problems(tmp_path: Path) -> None:
    path = tmp_path / "products.csv"
    path.write_text("sku,titel,price\nA,x,1\n", "utf-8")
    with pytest.raises(CatalogError) as info:
        load_products(path)
    problems = {(p.key, p.suggestion) for p in info.value.problems}
    assert ("titel", "title") in problems and ("currency", None) in problems
    assert all(p.line == 1 for p in info.value.problems)


def test_json_lines_catalog(tmp_path: Path) -> None:
    path = tmp_path / "products.jsonl"
    rows = [{"sku": "B-1", "title": "Book", "price": "12.50", "currency": "eur",
             "hs_code": "4901.99", "category": "books", "weight": "0.4"},
            {"sku": "B-2", "title": "Map", "price": 3.5, "currency": "EUR"}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n{broken\n[1]\n", "utf-8")
    with pytest.raises(CatalogError) as info:
        load_products(path)
    assert [p.line for p in info.value.problems] == [4, 5]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", "utf-8")
    products = load_products(path)
    assert products["B-1"].price == Money(Decimal("12.50"), "EUR")
    assert products["B-1"].hs_code == "490199"
    assert products["B-2"].price.amount == Decimal("3.5")


def test_write_po_file_is_atomic_and_quiet(tmp_path: Path) -> None:
    catalog = read_po_file(po_path(LOCALES, "de"), locale="de")
    target = tmp_path / "de.po"
    assert write_po_file(target, catalog) is True
    assert write_po_file(target, catalog) is False
    assert list(tmp_path.iterdir()) == [target]
