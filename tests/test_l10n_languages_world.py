"""Labels and product text in the languages of the world markets (issue 16, items 2 and 3).

For each language: the locales its markets use resolve to it along CLDR's parents
(``zh_Hant_TW -> zh_Hant``, ``az_AZ -> az_Latn_AZ -> az_Latn -> az``, ``ca_AD -> ca``), its
label files carry the country's official tax name with the public source in a translator
comment, its plural labels follow the language's CLDR plural rule, and every product of the
sample catalog has a title and description in it. Quotes of the bundled markets that list such
a locale show that text, and ``pricing i18n check`` counts it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from conftest import EASY_RATES, RULES, item
from market_rates import with_round_rates

from pricing import Engine, RateTable, load_rules
from pricing.cli import main
from pricing.codes import normalize_locale
from pricing.l10n import is_rtl
from pricing.l10n.catalogs import load_catalogs, load_products, po_path
from pricing.l10n.formatting import fallback_chain
from pricing.l10n.labels import LABELS, load_labels

LOCALES = RULES.parent / "locales"
PRODUCTS = RULES.parent / "catalog" / "products.csv"

#: The market locales of issue 16 (and of bundled markets) that these languages serve, and the
#: catalog language each must resolve to.
RESOLVES = {
    "tr_TR": "tr", "tr_CY": "tr", "uk_UA": "uk", "ka_GE": "ka", "hy_AM": "hy", "az_AZ": "az",
    "kk_KZ": "kk", "ru_KZ": "ru", "ru_RU": "ru", "ca_AD": "ca", "ca_ES": "ca", "he_IL": "he",
    "sw_TZ": "sw", "sw_KE": "sw", "ms_MY": "ms", "ms_SG": "ms", "th_TH": "th", "id_ID": "id",
    "vi_VN": "vi", "zh_Hant_HK": "zh_Hant", "zh_Hant_TW": "zh_Hant", "bn_BD": "bn",
    "si_LK": "si", "km_KH": "km", "fil_PH": "fil",
}
LANGUAGES = sorted(set(RESOLVES.values()))
#: Languages whose labels were there before and whose product text is added here, with the
#: market locales that must reach it.
PRODUCT_TEXT_ONLY = {
    "ar_AE": "ar", "ar_SA": "ar", "ar_EG": "ar", "hi_IN": "hi", "it_IT": "it", "it_CH": "it",
    "ko_KR": "ko", "nl_NL": "nl", "nl_BE": "nl", "pl_PL": "pl", "pt_BR": "pt_BR", "sv_SE": "sv",
    "sv_FI": "sv", "zh_Hans_CN": "zh_Hans", "zh_Hans_SG": "zh_Hans",
}
PRODUCT_LANGUAGES = sorted(set(LANGUAGES) | set(PRODUCT_TEXT_ONLY.values()))

#: language: (label, the country's official name of its tax, a piece of the source that the
#: translator comment must name). Checked against the public texts on 2026-11-29.
OFFICIAL_TAX = {
    # Turkey: Katma Değer Vergisi, Law No. 3065 (Resmî Gazete 1984-11-02), gib.gov.tr
    "tr": ("VAT", "KDV", "3065"),
    # Ukraine: податок на додану вартість, Tax Code of Ukraine (law 2755-VI), section V
    "uk": ("VAT", "ПДВ", "2755-17"),
    # Georgia: დამატებული ღირებულების გადასახადი, Tax Code of Georgia (matsne.gov.ge)
    "ka": ("VAT", "დღგ", "matsne.gov.ge"),
    # Armenia: ավելացված արժեքի հարկ, Tax Code of the Republic of Armenia (arlis.am)
    "hy": ("VAT", "ԱԱՀ", "arlis.am"),
    # Azerbaijan: Əlavə dəyər vergisi, Tax Code (Vergi Məcəlləsi), chapter XI
    "az": ("VAT", "ƏDV", "Vergi Məcəlləsi"),
    # Kazakhstan: қосылған құн салығы / налог на добавленную стоимость, Tax Code of the RK
    "kk": ("VAT", "ҚҚС", "Салық кодексі"),
    "ru": ("VAT", "НДС", "Налоговый кодекс Республики Казахстан"),
    # Spain (ca_ES): impost sobre el valor afegit, Llei 37/1992 (Catalan text of the BOE)
    "ca": ("VAT", "IVA", "Llei 37/1992"),
    # Israel: מס ערך מוסף, Value Added Tax Law 5736-1975
    "he": ("VAT", "מע״מ", "התשל״ו–1975"),
    # Tanzania: Kodi ya Ongezeko la Thamani, Value Added Tax Act, Cap. 148 (TRA)
    "sw": ("VAT", "Kodi ya Ongezeko la Thamani (VAT)", "Sura 148"),
    # Malaysia levies sales tax, not VAT: Akta Cukai Jualan 2018 (Act 806), Royal Customs
    "ms": ("Sales tax", "Cukai jualan", "Akta 806"),
    # Thailand: ภาษีมูลค่าเพิ่ม, Revenue Code (ประมวลรัษฎากร), Title 2 Chapter 4
    "th": ("VAT", "ภาษีมูลค่าเพิ่ม", "ประมวลรัษฎากร"),
    # Indonesia: Pajak Pertambahan Nilai, Law No. 8 of 1983 as amended by Law No. 7 of 2021
    "id": ("VAT", "PPN", "Nomor 8 Tahun 1983"),
    # Vietnam: thuế giá trị gia tăng, VAT Law No. 48/2024/QH15
    "vi": ("VAT", "Thuế GTGT", "48/2024/QH15"),
    # Taiwan: 營業稅 under the Value-added and Non-value-added Business Tax Act
    "zh_Hant": ("VAT", "營業稅", "加值型及非加值型營業稅法"),
    # Bangladesh: মূল্য সংযোজন কর (মূসক), VAT and Supplementary Duty Act 2012 (Act 47 of 2012)
    "bn": ("VAT", "মূসক (ভ্যাট)", "২০১২ সনের"),
    # Sri Lanka: එකතු කළ අගය මත බද්ද, Value Added Tax Act No. 14 of 2002
    "si": ("VAT", "එකතු කළ අගය මත බද්ද (VAT)", "No. 14 of 2002"),
    # Cambodia: អាករលើតម្លៃបន្ថែម, Law on Taxation and Sub-Decree No. 114 on VAT
    "km": ("VAT", "អាករលើតម្លៃបន្ថែម", "Sub-Decree No. 114"),
    # Philippines: Value-Added Tax, National Internal Revenue Code Title IV (BIR)
    "fil": ("VAT", "VAT", "bir.gov.ph"),
}

#: "%(count)s item" per CLDR plural category of the language, written out by hand
#: ({n} is the count in the shopper's digits).
ITEMS = {
    "tr": {"one": "{n} ürün", "other": "{n} ürün"},
    "uk": {"one": "{n} товар", "few": "{n} товари", "many": "{n} товарів"},
    "ka": {"one": "{n} ნივთი", "other": "{n} ნივთი"},
    "hy": {"one": "{n} ապրանք", "other": "{n} ապրանք"},
    "az": {"one": "{n} məhsul", "other": "{n} məhsul"},
    "kk": {"one": "{n} тауар", "other": "{n} тауар"},
    "ru": {"one": "{n} товар", "few": "{n} товара", "many": "{n} товаров"},
    "ca": {"one": "{n} article", "many": "{n} articles", "other": "{n} articles"},
    "he": {"one": "פריט אחד", "two": "{n} פריטים", "other": "{n} פריטים"},
    "sw": {"one": "bidhaa {n}", "other": "bidhaa {n}"},
    "ms": {"other": "{n} item"},
    "th": {"other": "{n} รายการ"},
    "id": {"other": "{n} barang"},
    "vi": {"other": "{n} sản phẩm"},
    "zh_Hant": {"other": "{n} 件商品"},
    "bn": {"one": "{n}টি পণ্য", "other": "{n}টি পণ্য"},
    "si": {"one": "භාණ්ඩ {n}", "other": "භාණ්ඩ {n}"},
    "km": {"other": "ទំនិញ {n}"},
    "fil": {"one": "{n} item", "other": "{n} item"},
}
COUNTS = [*range(130), 1000, 1001, 1002, 1005, 1011, 1021, 1_000_000, 1_000_001]


@pytest.fixture(scope="module")
def labels():
    return load_labels(LOCALES)


@pytest.fixture(scope="module")
def catalog():
    return load_catalogs(LOCALES)


def _po(lang: str, domain: str):
    with open(po_path(LOCALES, lang, domain), "rb") as f:
        return read_po(f)


def _msgstr(lang: str, domain: str, msgid: str, context: str | None = None) -> str:
    message = _po(lang, domain).get(msgid, context=context)
    assert message is not None, (lang, msgid, context)
    return message.string


def test_every_language_loads_complete(labels, catalog) -> None:
    mine = {str(po_path(LOCALES, lang, "labels")) for lang in LANGUAGES}
    mine |= {str(po_path(LOCALES, lang, "products")) for lang in PRODUCT_LANGUAGES}
    problems = [p for e in (*labels.errors, *catalog.errors) for p in e.problems
                if p.file in mine]
    assert problems == []
    assert set(LANGUAGES) <= set(labels.locales)
    for lang in LANGUAGES:
        assert labels.missing(lang) == (), lang
    products = load_products(PRODUCTS)
    for lang in PRODUCT_LANGUAGES:
        cov = catalog.coverage(lang)
        assert (cov.translated, cov.gaps) == (len(products), ()), lang


#: Where Babel's plural table differs from GNU gettext's and Weblate's, the files carry theirs
#: (Arabic: python-babel/babel#816; checked with msgfmt and ngettext in test_l10n_cli.py).
GETTEXT_PLURALS = {"ar": "(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : "
                         "n%100>=11 ? 4 : 5)"}


@pytest.mark.parametrize("lang", PRODUCT_LANGUAGES)
def test_headers_name_the_language_and_its_plural_rule(lang: str) -> None:
    expected = get_plural(Locale.parse(lang))
    for domain in ("labels", "products"):
        po = _po(lang, domain)
        assert str(po.locale) == lang
        assert (po.num_plurals, po.plural_expr) == (
            expected.num_plurals, GETTEXT_PLURALS.get(lang, expected.plural_expr))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_official_tax_name_with_its_source(lang: str) -> None:
    msgid, name, source = OFFICIAL_TAX[lang]
    message = _po(lang, "labels").get(msgid)
    assert message.string == name
    assert source in " ".join(message.user_comments), "the translator comment names the source"


@pytest.mark.parametrize(("locale", "lang"), sorted({**RESOLVES, **PRODUCT_TEXT_ONLY}.items()))
def test_market_locale_resolves_to_its_language(labels, catalog, locale: str,
                                                lang: str) -> None:
    assert lang in fallback_chain(locale)
    if lang in OFFICIAL_TAX:
        msgid, name, _ = OFFICIAL_TAX[lang]
        assert labels.lookup(msgid, locale, default=locale) == (name, lang)
    total = _msgstr(lang, "labels", "Total")
    assert labels.lookup("Total", locale, default=locale) == (total, lang)
    products = load_products(PRODUCTS)
    for sku in ("TEE-ORG-WHT-M", "BOOK-KIDS-PICT", "JEW-EAR-HOOP"):
        title = _msgstr(lang, "products", products[sku].title, f"{sku}|title")
        assert catalog.title(sku, locale, default=locale) == (title, lang)
        assert title != products[sku].title, "a translation, not the English source"
        description = _msgstr(lang, "products", products[sku].description,
                              f"{sku}|description")
        assert catalog.description(sku, locale, default=locale) == (description, lang)
    cov = catalog.coverage(locale)
    assert cov.translated == cov.total == len(products)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_item_count_follows_the_cldr_plural_category(labels, lang: str) -> None:
    locale = next(loc for loc, lg in sorted(RESOLVES.items()) if lg == lang)
    rule = Locale.parse(locale).plural_form  # CLDR, independent of the PO header
    for n in COUNTS:
        form = ITEMS[lang][rule(n)]
        assert labels.item_count(n, locale) == form.format(n=format_decimal(n, locale=locale)), n


def test_no_product_text_is_left_in_english() -> None:
    products = load_products(PRODUCTS)
    english = {p.title for p in products.values()} | {p.description for p in products.values()}
    for lang in PRODUCT_LANGUAGES:
        same = [m.context for m in _po(lang, "products") if m.id and m.string in english]
        assert same == [], lang


def test_every_label_is_translated_in_every_language() -> None:
    for lang in LANGUAGES:
        po = _po(lang, "labels")
        for label in LABELS:
            message = po.get((label.msgid, label.plural) if label.plural else label.msgid)
            strings = message.string if label.plural else (message.string,)
            assert all(strings) and not message.fuzzy, (lang, label.msgid)


def test_hebrew_is_written_right_to_left() -> None:
    assert is_rtl("he_IL") and is_rtl("he")
    assert not any(is_rtl(loc) for loc, lang in RESOLVES.items() if lang != "he")


def _rates_for_every_market() -> RateTable:
    """Round test rates for every market currency: titles and labels do not depend on them."""
    table = with_round_rates(EASY_RATES)
    currencies = {m.spec.currency for m in load_rules(RULES).markets.values()}
    known = {c: str(r) for c, r in table.rates.items() if c != table.base}
    return RateTable.from_mapping({**{c: "1" for c in currencies - {table.base}}, **known},
                                  base=table.base, as_of=table.as_of, source=table.source)


def test_quotes_of_bundled_markets_show_these_languages() -> None:
    # the catalogs and labels of locales/, found beside rules/
    engine = Engine.from_directory(RULES, rates=_rates_for_every_market())
    sku = "TEE-ORG-WHT-M"
    english = engine.catalog.product(sku).title
    seen = []
    for market in engine.rules.markets.values():
        spec = market.spec
        for locale in spec.locales:
            lang = next((lg for lg in fallback_chain(locale) if lg in PRODUCT_LANGUAGES), None)
            if lang is None:
                continue
            destination = {"country": spec.countries[0]}
            if market.requires_region:
                destination["region"] = sorted(
                    r for c in spec.tax.components for r in c.regions
                    if r not in spec.exclude_regions)[0]
            quote = engine.quote({"market": spec.id, "destination": destination,
                                  "locale": locale, "date": "2026-11-23",
                                  "items": [item(sku, "29.90")]}).to_dict()
            title = _msgstr(lang, "products", english, f"{sku}|title")
            assert quote["lines"][0]["title"] == title != english, (spec.id, locale)
            assert quote["direction"] == ("rtl" if lang in ("ar", "he") else "ltr")
            if lang in OFFICIAL_TAX:
                msgid, name, _ = OFFICIAL_TAX[lang]
                for charge in quote["charges"]:
                    if charge["name"] == msgid:
                        assert charge["label"] == name, (spec.id, locale)
            seen.append((spec.id, locale))
    # at least these (41 market locales on 2026-11-29); more as markets are added
    assert {("tr", "tr_TR"), ("ua", "uk_UA"), ("kz", "kk_KZ"), ("kz", "ru_KZ"), ("ge", "ka_GE"),
            ("am", "hy_AM"), ("az", "az_Latn_AZ"), ("ad", "ca_AD"), ("il", "he_IL"),
            ("tz", "sw_TZ"), ("cy", "tr_CY"), ("es", "ca_ES"), ("sg", "ms_SG"), ("kr", "ko_KR"),
            ("br", "pt_BR"), ("ae", "ar_AE")} <= set(seen)


def test_i18n_check_counts_every_locale_complete(rules_copy: Path, capsys) -> None:
    """``pricing i18n check`` passes (exit 0) on markets that speak only these locales.

    A copy of the bundled rules gives one market each of the locales (the markets' own
    ``locales`` replaced), so the check does not depend on which market files exist yet.
    """
    locales = sorted({**RESOLVES, **PRODUCT_TEXT_ONLY})
    files = sorted((rules_copy / "markets").glob("*.toml"))
    assert len(files) >= len(locales)
    chosen = []
    for path, locale in zip(files, locales, strict=False):
        text = path.read_text(encoding="utf-8")
        text, n = re.subn(r"(?m)^locales = \[.*\]$", f'locales = ["{locale}"]', text)
        text, m = re.subn(r'(?m)^default_locale = ".*"$', f'default_locale = "{locale}"', text)
        assert n == m == 1, path
        path.write_text(text, encoding="utf-8")
        chosen.append((path.stem, locale))
    args = ["i18n", "check", "--rules", str(rules_copy), "--locales", str(LOCALES),
            "--catalog", str(PRODUCTS), "--threshold", "1", "--format", "json"]
    for market_id, _ in chosen:
        args += ["--market", market_id]
    assert main(args) == 0
    doc = json.loads(capsys.readouterr().out)
    total = len(load_products(PRODUCTS))
    found = {m["market"]: m["locales"][0] for m in doc["markets"]}
    for market_id, locale in chosen:
        got = found[market_id]
        assert (got["locale"], got["translated"], got["total"]) == (
            normalize_locale(locale), total, total), (market_id, locale)
