"""The service's own labels (pricing.l10n.labels): languages, plural forms, fallbacks, errors."""

from __future__ import annotations

import gettext
import shutil
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.plurals import get_plural
from babel.units import format_unit

from pricing.errors import InvalidCodeError
from pricing.l10n import is_rtl
from pricing.l10n.catalogs import po_path, read_po_file
from pricing.l10n.labels import (
    LABELS,
    LANGUAGES,
    label_template,
    load_labels,
)

LOCALES = Path(__file__).resolve().parents[1] / "locales"
REQUIRED = {"de", "fr", "es", "it", "nl", "pl", "sv", "pt_BR", "ja", "ko", "zh_Hans", "ar",
            "hi"}
REQUIRED_MSGIDS = {"Shipping", "Duties", "Taxes", "Fees", "Total", "VAT", "GST", "HST", "PST",
                   "QST", "Sales tax", "Consumption tax", "Delivered in %(min)s–%(max)s days",
                   "Due on delivery", "Included taxes", "%(count)s item"}


@pytest.fixture(scope="module")
def labels():
    return load_labels(LOCALES)


def test_every_language_loads_complete(labels) -> None:
    assert labels.errors == ()
    assert REQUIRED <= set(LANGUAGES) == set(labels.locales)
    assert {label.msgid for label in LABELS} >= REQUIRED_MSGIDS
    for lang in LANGUAGES:
        assert labels.missing(lang) == (), lang
    assert labels.missing("en_US") == ()
    assert len(labels.missing("cy_GB")) == len(LABELS)   # Welsh: no catalog


#: Where Babel's plural table differs from GNU gettext's and Weblate's, the files carry theirs:
#: Babel swaps Arabic's "many" and "other" (python-babel/babel#816; the forms are checked with
#: msgfmt and ngettext in tests/test_l10n_cli.py).
GETTEXT_PLURALS = {"ar": "(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : "
                         "n%100>=11 ? 4 : 5)"}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_plural_forms_header_is_the_languages(lang: str) -> None:
    catalog = read_po_file(po_path(LOCALES, lang, "labels"), locale=lang)
    expected = get_plural(Locale.parse(lang))
    assert catalog.num_plurals == expected.num_plurals
    assert catalog.plural_expr == GETTEXT_PLURALS.get(lang, expected.plural_expr)
    (message,) = [m for m in catalog if m.pluralizable]
    assert len(message.string) == expected.num_plurals and all(message.string)


def test_template_is_current() -> None:
    on_disk = read_po_file(LOCALES / "labels.pot")
    assert [m.id for m in on_disk if m.id] == [m.id for m in label_template() if m.id]


@pytest.mark.parametrize("lang", ["pl", "ar", "fr", "ja", "ru_RU"])
def test_item_count_uses_the_plural_rule(labels, lang: str) -> None:
    form = get_plural(Locale.parse(lang))
    rule = gettext.c2py(form.plural_expr)
    catalog_lang = lang.split("_")[0]
    for n in (0, 1, 2, 3, 4, 5, 11, 12, 21, 22, 25, 100, 101, 102, 111, 1000):
        text = labels.item_count(n, lang)
        if catalog_lang in labels.locales:
            catalog = read_po_file(po_path(LOCALES, catalog_lang, "labels"), locale=catalog_lang)
            (message,) = [m for m in catalog if m.pluralizable]
            assert text.startswith(message.string[rule(n)].split("%(count)s")[0]), (lang, n)
        else:  # no Russian catalog: CLDR's Russian words for "items", by the Russian rule
            assert text == format_unit(n, "concentr-item", length="long", locale=lang)


def test_polish_and_arabic_plurals(labels) -> None:
    assert [labels.item_count(n, "pl") for n in (1, 2, 5, 22, 25)] == [
        "1 produkt", "2 produkty", "5 produktów", "22 produkty", "25 produktów"]
    assert labels.item_count(1, "ar") == "منتج واحد"
    assert labels.item_count(2, "ar") == "منتجان"
    assert labels.item_count(3, "ar") == "3 منتجات"
    assert labels.item_count(11, "ar") == "11 منتجًا"
    assert is_rtl("ar") and labels.lookup("Total", "ar_SA") == ("الإجمالي", "ar")


def test_fallbacks(labels) -> None:
    assert labels.lookup("VAT", "de_CH") == ("MwSt.", "de")
    assert labels.lookup("GST", "fr_CA") == ("TPS", "fr")
    assert labels.lookup("VAT", "cy_GB", default="de_DE") == ("MwSt.", "de")
    assert labels.lookup("VAT", "cy_GB") == ("VAT", "en")
    assert labels.lookup("Consumption tax", "ja_JP") == ("消費税", "ja")
    assert labels.lookup("Total", "zh_Hans_SG") == ("合计", "zh_Hans")
    assert labels.lookup("Total", "zh_TW")[1] == "zh_Hant"   # never Simplified for Traditional
    assert labels.gettext("Sales tax (TX)", "de") == "Sales tax (TX)"  # not a label
    assert labels.delivered_in(3, 5, "de_AT") == "Lieferung in 3–5 Tagen"
    assert labels.delivered_in(2, 4, "en_US") == "Delivered in 2–4 days"
    assert labels.item_count(1234, "de_DE") == "1.234 Artikel"
    with pytest.raises(InvalidCodeError):
        labels.gettext("Total", "xx")


def test_broken_labels_file_is_reported_and_skipped(tmp_path: Path) -> None:
    shutil.copytree(LOCALES, tmp_path / "locales")
    pl = po_path(tmp_path / "locales", "pl", "labels")
    text = pl.read_text("utf-8")
    text = text.replace("nplurals=3;", "nplurals=2;")
    pl.write_text(text, "utf-8")
    nl = po_path(tmp_path / "locales", "nl", "labels")
    nl_text = nl.read_text("utf-8").replace('msgstr "Levering in %(min)s–%(max)s dagen"',
                                            'msgstr "Levering in %(minimum)s dagen"')
    nl.write_text(nl_text, "utf-8")
    labels = load_labels(tmp_path / "locales")
    files = {e.file: e for e in labels.errors}
    assert set(files) == {str(pl), str(nl)}
    assert files[str(pl)].line == next(i for i, line in enumerate(text.splitlines(), 1)
                                       if "Plural-Forms" in line)
    assert files[str(nl)].line == next(i for i, line in enumerate(nl_text.splitlines(), 1)
                                       if line.startswith('msgid "Delivered in'))
    assert "pl" not in labels.locales and labels.lookup("Total", "pl") == ("Total", "en")
    # The unusable Dutch message falls back to CLDR's Dutch "over {0} dagen" (in {0} days);
    # the rest of the file still works.
    assert labels.delivered_in(1, 2, "nl") == "over 1–2 dagen"
    assert labels.gettext("Total", "nl") == "Totaal"
