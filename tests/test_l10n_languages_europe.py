"""Labels and product text in the European languages of issue 16, and the words CLDR gives
every locale (item counts, "in 3–5 days").

Each language is checked where a shopper meets it: the market locales that pick it (sr_RS ->
sr, sr_Latn_ME -> sr_Latn, bs_BA -> bs, ro_MD -> ro, nb_NO -> nb, el_CY -> el), a label and a
product title looked up there, a quote of every bundled market whose default locale speaks it,
and the plural forms of the item count. The expected words are the translations themselves
(data a translator wrote, reviewed against each country's official tax name: see the translator
comment on "VAT" in each labels.po), never output of the code under test.

About 3 s on the shared 2-core machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from babel import Locale
from babel.dates import format_timedelta
from babel.localedata import locale_identifiers
from babel.messages.plurals import get_plural
from babel.units import format_unit
from conftest import QUOTE_DAY, RULES, item
from hypothesis import given, settings
from hypothesis import strategies as st

from pricing import Engine, RateTable, load_rules
from pricing.codes import normalize_locale
from pricing.l10n.catalogs import load_catalogs, po_path, read_po_file
from pricing.l10n.formatting import fallback_chain, format_days_ahead, format_item_count
from pricing.l10n.labels import DELIVERED_IN, LANGUAGES, load_labels

LOCALES = Path(__file__).resolve().parents[1] / "locales"


@dataclass(frozen=True)
class Lang:
    """What a shopper of one language must see."""

    #: Market locales (bundled now or being added) whose text comes from this catalog.
    locales: tuple[str, ...]
    #: The official short name of VAT in the country (source: translator comment in the PO).
    vat: str
    #: One product title in this language.
    title: tuple[str, str]
    #: The item count for some numbers, written by hand by the language's grammar.
    items: dict[int, str]


LANGS: dict[str, Lang] = {
    # Danish: momsloven (merværdiafgift, "moms"); one "vare", several "varer".
    "da": Lang(("da_DK",), "Moms", ("BOOK-DE-COOK", "Tysk hverdagsmad (indbundet)"),
               {0: "0 varer", 1: "1 vare", 2: "2 varer", 21: "21 varer"}),
    # Norwegian Bokmål: merverdiavgiftsloven ("mva."); nn_NO falls back to it in Norway.
    "nb": Lang(("nb_NO",), "MVA", ("BOOK-DE-COOK", "Tysk hverdagsmat (innbundet)"),
               {0: "0 varer", 1: "1 vare", 2: "2 varer"}),
    # Finnish: arvonlisäverolaki ("ALV"); numbers other than 1 take the partitive.
    "fi": Lang(("fi_FI",), "ALV", ("BOOK-DE-COOK", "Saksalaista arkiruokaa (kovakantinen)"),
               {1: "1 tuote", 3: "3 tuotetta", 0: "0 tuotetta"}),
    # Estonian: käibemaksuseadus; numbers other than 1 take the partitive singular.
    "et": Lang(("et_EE",), "Käibemaks", ("BOOK-DE-COOK", "Saksa argitoidud (kõvakaaneline)"),
               {1: "1 toode", 3: "3 toodet"}),
    # Latvian: PVN likums; 1, 21, 31 singular, 0 genitive plural, others nominative plural.
    "lv": Lang(("lv_LV",), "PVN", ("BOOK-DE-COOK", "Vācu ikdienas virtuve (cietos vākos)"),
               {0: "0 preču", 1: "1 prece", 2: "2 preces", 11: "11 preces", 21: "21 prece"}),
    # Lithuanian: PVM įstatymas; 1, 21 prekė; 2-9, 22-29 prekės; 10-20, 30 prekių.
    "lt": Lang(("lt_LT",), "PVM", ("TOY-PLUSH-BEAR", "Pliušinis meškiukas, 30 cm"),
               {1: "1 prekė", 2: "2 prekės", 10: "10 prekių", 12: "12 prekių", 21: "21 prekė",
                22: "22 prekės"}),
    # Czech: zákon č. 235/2004 Sb. (DPH); 1 položka, 2-4 položky, 0 and 5+ (22 too) položek.
    "cs": Lang(("cs_CZ",), "DPH", ("BOOK-DE-COOK", "Německá každodenní kuchyně (vázaná)"),
               {0: "0 položek", 1: "1 položka", 3: "3 položky", 5: "5 položek",
                22: "22 položek"}),
    # Slovak: zákon č. 222/2004 Z. z. (DPH); 1 položka, 2-4 položky, 0 and 5+ položiek.
    "sk": Lang(("sk_SK",), "DPH", ("BOOK-DE-COOK", "Nemecká každodenná kuchyňa (viazaná)"),
               {1: "1 položka", 4: "4 položky", 5: "5 položiek", 22: "22 položiek"}),
    # Hungarian: 2007. évi CXXVII. törvény (áfa); a noun after a number stays singular.
    "hu": Lang(("hu_HU",), "ÁFA", ("TOY-PLUSH-BEAR", "Plüss mackó, 30 cm"),
               {1: "1 termék", 5: "5 termék"}),
    # Greek, for Greece and Cyprus: ΦΠΑ in both VAT laws.
    "el": Lang(("el_GR", "el_CY"), "ΦΠΑ", ("TOY-PLUSH-BEAR", "Λούτρινο αρκουδάκι, 30 cm"),
               {1: "1 προϊόν", 2: "2 προϊόντα"}),
    # Bulgarian: ЗДДС (ДДС); masculine nouns take the count form: 2 продукта.
    "bg": Lang(("bg_BG",), "ДДС", ("BOOK-DE-COOK", "Немска домашна кухня (твърди корици)"),
               {1: "1 продукт", 2: "2 продукта", 5: "5 продукта"}),
    # Croatian: Zakon o PDV-u; 1, 21 artikl; 2-4, 22 artikla; 5-20 artikala.
    "hr": Lang(("hr_HR",), "PDV", ("BOOK-DE-COOK", "Njemačka svakodnevna kuhinja (tvrdi uvez)"),
               {1: "1 artikl", 2: "2 artikla", 5: "5 artikala", 11: "11 artikala",
                21: "21 artikl", 22: "22 artikla"}),
    # Slovenian: ZDDV-1 (DDV); four forms by n mod 100: 1, 2, 3-4, other.
    "sl": Lang(("sl_SI",), "DDV", ("BOOK-DE-COOK", "Nemška vsakdanja kuhinja (trda vezava)"),
               {1: "1 izdelek", 2: "2 izdelka", 3: "3 izdelki", 5: "5 izdelkov",
                101: "101 izdelek", 102: "102 izdelka"}),
    # Romanian, for Romania and Moldova: TVA in both fiscal codes; 20 and more take "de".
    "ro": Lang(("ro_RO", "ro_MD"), "TVA", ("TOY-PLUSH-BEAR", "Ursuleț de pluș, 30 cm"),
               {1: "1 produs", 2: "2 produse", 19: "19 produse", 20: "20 de produse",
                101: "101 produse"}),
    # European Portuguese: Código do IVA. pt_PT, not pt, which CLDR makes Brazilian.
    "pt_PT": Lang(("pt_PT",), "IVA", ("BOOK-DE-COOK", "Cozinha alemã do dia a dia (capa dura)"),
                  {0: "0 artigos", 1: "1 artigo", 2: "2 artigos"}),
    # Icelandic: lög nr. 50/1988 (VSK); 1, 21, 31 take the singular, 11 does not.
    "is": Lang(("is_IS",), "VSK", ("TOY-PLUSH-BEAR", "Bangsi úr flosi, 30 cm"),
               {1: "1 vara", 2: "2 vörur", 11: "11 vörur", 21: "21 vara"}),
    # Serbian in Cyrillic, Serbia's default (sr_RS is sr_Cyrl_RS): ПДВ; 1, 21 артикал;
    # 2-4, 22 артикла; 5-20 артикала.
    "sr": Lang(("sr_RS", "sr_Cyrl_RS"), "ПДВ", ("TOY-PLUSH-BEAR", "Плишани меда, 30 cm"),
               {1: "1 артикал", 2: "2 артикла", 5: "5 артикала", 11: "11 артикала",
                21: "21 артикал", 22: "22 артикла"}),
    # Serbian in Latin script, ijekavian as in Montenegro (sr_ME is sr_Latn_ME): PDV.
    "sr_Latn": Lang(("sr_Latn_ME", "sr_ME"), "PDV", ("TOY-PLUSH-BEAR", "Plišani meda, 30 cm"),
                    {1: "1 artikal", 3: "3 artikla", 12: "12 artikala", 21: "21 artikal"}),
    # Bosnian (bs_BA is bs_Latn_BA): Zakon o PDV-u BiH.
    "bs": Lang(("bs_BA",), "PDV", ("TOY-PLUSH-BEAR", "Plišani medvjedić, 30 cm"),
               {1: "1 artikal", 4: "4 artikla", 5: "5 artikala"}),
    # Macedonian: Закон за ДДВ.
    "mk": Lang(("mk_MK",), "ДДВ", ("TOY-PLUSH-BEAR", "Плишано мече, 30 cm"),
               {1: "1 производ", 2: "2 производи"}),
    # Albanian: Ligji nr. 92/2014 (TVSH).
    "sq": Lang(("sq_AL",), "TVSH", ("TOY-PLUSH-BEAR", "Arush pelushi, 30 cm"),
               {1: "1 artikull", 2: "2 artikuj"}),
}


@pytest.fixture(scope="module")
def labels():
    return load_labels(LOCALES)


@pytest.fixture(scope="module")
def catalog():
    return load_catalogs(LOCALES)


@pytest.fixture(scope="module")
def engine():
    """The bundled rules and catalogs, with a made-up rate for every market currency: these
    tests read words, not amounts."""
    rules = load_rules(RULES)
    rates = RateTable.from_mapping({m.spec.currency: "2" for m in rules.markets.values()
                                    if m.spec.currency != "EUR"},
                                   base="EUR", as_of=QUOTE_DAY, source="test rates")
    return Engine.from_directory(RULES, rates=rates)


# -- each language: complete, its plural forms, resolved for its market locales ----------------

@pytest.mark.parametrize("lang", sorted(LANGS))
def test_language_is_complete_with_its_plural_forms(labels, catalog, lang: str) -> None:
    assert lang in LANGUAGES and lang in catalog.locales
    assert labels.missing(lang) == ()
    for domain in ("labels", "products"):
        po = read_po_file(po_path(LOCALES, lang, domain), locale=lang)
        expected = get_plural(Locale.parse(lang))  # GNU gettext's rule for the language
        assert (str(po.locale), po.num_plurals, po.plural_expr) == (
            lang, expected.num_plurals, expected.plural_expr), domain
    for locale in LANGS[lang].locales:
        cov = catalog.coverage(locale)
        assert cov.gaps == () and cov.translated == cov.total == len(catalog), locale


def test_at_least_30_languages_have_complete_labels(labels) -> None:
    # Issue 16 item 2. LANGUAGES is every locales/ folder with a labels.po, so the languages
    # added in parallel count too; English, the source, is not counted.
    assert set(LANGS) <= set(LANGUAGES) == set(labels.locales)
    assert [lang for lang in LANGUAGES if labels.missing(lang)] == []
    assert len(LANGUAGES) >= 30


def test_european_and_brazilian_portuguese_stay_apart(labels, catalog) -> None:
    # CLDR: pt is Brazilian, pt_PT European, and pt_AO, pt_MZ ... inherit from pt_PT.
    assert labels.lookup("Shipping", "pt_PT") == ("Envio", "pt_PT")
    assert labels.lookup("Shipping", "pt_AO") == ("Envio", "pt_PT")
    assert labels.lookup("Shipping", "pt_BR") == ("Frete", "pt_BR")
    assert catalog.title("TOY-PLUSH-BEAR", "pt_PT") == ("Urso de peluche, 30 cm", "pt_PT")
    # Brazilian Portuguese counts 0 in the singular, European Portuguese in the plural.
    assert (labels.item_count(0, "pt_BR"), labels.item_count(0, "pt_PT")) == ("0 item",
                                                                              "0 artigos")


@pytest.mark.parametrize("lang", sorted(LANGS))
def test_item_count_picks_the_languages_plural_form(labels, lang: str) -> None:
    for n, text in LANGS[lang].items.items():
        for locale in (lang, *LANGS[lang].locales):
            assert labels.item_count(n, locale) == text, (locale, n)


@pytest.mark.parametrize(("lang", "locale"), [(lang, loc) for lang, spec in sorted(LANGS.items())
                                              for loc in spec.locales])
def test_market_locale_resolves_to_the_language(labels, catalog, lang: str, locale: str
                                                ) -> None:
    spec = LANGS[lang]
    sku, title = spec.title
    assert labels.lookup("VAT", locale) == (spec.vat, lang)
    assert catalog.title(sku, locale, default=locale) == (title, lang)
    text, found = catalog.description(sku, locale)
    assert found == lang and text != catalog.product(sku).description
    tag = normalize_locale(locale)
    assert labels.lookup("Total", tag)[1] == lang
    assert labels.lookup(DELIVERED_IN.msgid, tag)[1] == lang


def _markets_speaking(lang_of: dict[str, str]):
    rules = load_rules(RULES)
    for market in sorted(rules.markets.values(), key=lambda m: m.id):
        tag = normalize_locale(market.spec.default_locale)
        lang = next((lang_of[t] for t in fallback_chain(tag) if t in lang_of), None)
        if lang is not None:
            yield market.id, market.spec.countries[0], lang


#: Bundled markets whose default locale speaks one of these languages. Markets with such
#: default locales are being added in parallel (issue 16); until then the lookups above stand
#: in for their quotes.
MARKETS = list(_markets_speaking({lang: lang for lang in LANGS}))


@pytest.mark.parametrize(("market", "country", "lang"), MARKETS)
def test_quote_in_the_market_language(engine, labels, market: str, country: str, lang: str
                                      ) -> None:
    sku, title = LANGS[lang].title
    quote = engine.quote({"destination": {"country": country},
                          "items": [item(sku, "34.00")], "date": QUOTE_DAY.isoformat()})
    d = quote.to_dict()
    assert d["market"] == market and d["lines"][0]["title"] == title
    assert any(c["name"] == "VAT" for c in d["charges"])
    for c in d["charges"]:  # VAT reads the official name, every other charge the lookup's word
        expected = (LANGS[lang].vat if c["name"] == "VAT"
                    else labels.gettext(c["name"], d["locale"]))
        assert c["label"] == expected, c["name"]
    first, last = d["shipping_method"]["days"]
    assert d["shipping_method"]["delivery"] == labels.delivered_in(first, last, d["locale"])
    assert labels.lookup(DELIVERED_IN.msgid, d["locale"])[1] == lang


# -- the words CLDR has for every locale ---------------------------------------------------

# Locales babel knows, a sample per run (loading all ~1000 takes seconds).
ALL_LOCALES = sorted(locale_identifiers())


@settings(max_examples=120, deadline=None)
@given(st.sampled_from(ALL_LOCALES), st.integers(min_value=0, max_value=400))
def test_days_ahead_reads_as_babels_format_timedelta(locale: str, days: int) -> None:
    text = format_days_ahead(days, days, locale)
    babel = format_timedelta(timedelta(days=days), granularity="day", threshold=10**9,
                             add_direction=True, locale=locale)
    if text is None:  # CLDR has only root's "+{0} d" for this locale
        assert babel == f"+{days} d"
    else:
        assert text == babel


@settings(max_examples=120, deadline=None)
@given(st.sampled_from(ALL_LOCALES), st.integers(min_value=0, max_value=10**6))
def test_item_count_reads_as_babels_format_unit(locale: str, n: int) -> None:
    text = format_item_count(n, locale)
    if text is not None:
        assert text == format_unit(n, "concentr-item", length="long", locale=locale)


def test_cldr_words_for_ranges_and_missing_data() -> None:
    # CLDR relative time, day, future: da "om {0} dag|dage"; cs one "za {0} den",
    # few (2-4) "za {0} dny", other "za {0} dní"; a range takes its end's form.
    assert format_days_ahead(3, 5, "da_DK") == "om 3–5 dage"
    assert format_days_ahead(1, 1, "da_DK") == "om 1 dag"
    assert format_days_ahead(2, 4, "cs") == "za 2–4 dny"
    assert format_days_ahead(3, 5, "cs") == "za 3–5 dní"
    # ar "two" spells the number out ("in two days"): a range uses "other", "خلال {0} يوم"
    assert format_days_ahead(1, 2, "ar") == "خلال 1–2 يوم"
    # Afar has only root's placeholders; Albanian has no unit "item" in CLDR
    assert format_days_ahead(3, 5, "aa") is None and format_item_count(3, "aa") is None
    assert format_item_count(3, "sq") is None
    # CLDR unit item: uk one "{0} елемент", many "{0} елементів"
    assert (format_item_count(21, "uk"), format_item_count(25, "uk")) == ("21 елемент",
                                                                           "25 елементів")
    with pytest.raises(ValueError, match="first"):
        format_days_ahead(-1, 2, "de")
    with pytest.raises(ValueError, match="days"):
        format_days_ahead(5, 2, "de")
    with pytest.raises(ValueError, match="count"):
        format_item_count(True, "de")  # type: ignore[arg-type]


def test_labels_prefer_a_translator_then_cldr_then_the_market_default(labels) -> None:
    # Welsh has no labels catalog: CLDR's Welsh, "ymhen {0} diwrnod", before the market's
    # German; the plain labels have no CLDR words and fall back to German.
    assert labels.delivered_in(3, 5, "cy_GB", default="de_DE") == "ymhen 3–5 diwrnod"
    assert labels.lookup("VAT", "cy_GB", default="de_DE") == ("MwSt.", "de")
    # No CLDR words either (Afar has only root's): the market default's catalog.
    assert labels.delivered_in(3, 5, "aa", default="de_DE") == "Lieferung in 3–5 Tagen"
    # A translator's words win over CLDR's ("om 3–5 dage").
    assert labels.delivered_in(3, 5, "da_DK") == "Levering inden for 3–5 dage"
    # English is the source: the msgid, not CLDR's "in 3–5 days".
    assert labels.delivered_in(3, 5, "en_IE", default="de_DE") == "Delivered in 3–5 days"
    assert labels.item_count(3, "en_IE", default="de_DE") == "3 items"


def test_an_english_shopper_in_a_german_market_reads_english(engine) -> None:
    # Germany lists en_DE: English is the source language, so its words are the msgids and
    # the lookup stops there instead of falling through to the market's German.
    d = engine.quote({"destination": {"country": "DE"}, "items": [item("TEE-ORG-WHT-M")],
                      "locale": "en_DE", "date": QUOTE_DAY.isoformat()}).to_dict()
    first, last = d["shipping_method"]["days"]
    assert [c["label"] for c in d["charges"] if c["name"] == "VAT"] == ["VAT"]
    assert d["shipping_method"]["delivery"] == f"Delivered in {first}–{last} days"
    assert d["lines"][0]["title"] == "Organic cotton T-shirt, white, size M"


def test_a_market_locale_without_catalog_speaks_cldr_in_the_quote(engine) -> None:
    # Norway lists nn_NO (Nynorsk), which has no catalog: the delivery time comes from CLDR
    # (nn "om {0} døgn"), in the same JSON field as ever.
    d = engine.quote({"destination": {"country": "NO"}, "items": [item("TEE-ORG-WHT-M")],
                      "locale": "nn_NO", "date": QUOTE_DAY.isoformat()}).to_dict()
    first, last = d["shipping_method"]["days"]
    assert d["locale"] == "nn_NO"
    assert d["shipping_method"]["delivery"] == f"om {first}–{last} døgn"
