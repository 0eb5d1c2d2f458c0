"""Formatting and locale choice (pricing.l10n.formatting), checked against babel itself."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from babel import Locale, localedata
from babel.core import negotiate_locale as babel_negotiate
from babel.dates import format_date as babel_format_date
from babel.dates import format_interval
from babel.numbers import format_currency, get_currency_precision
from babel.units import format_unit
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pricing.errors import InvalidCodeError, InvalidInputError
from pricing.l10n import (
    fallback_chain,
    format_date,
    format_delivery_range,
    format_money,
    format_weight,
    is_rtl,
    measurement_system,
    negotiate_locale,
    parse_accept_language,
    text_direction,
)
from pricing.l10n.formatting import format_days_ahead

RULES = Path(__file__).resolve().parents[1] / "rules"


def _bundled() -> tuple[list[str], list[str]]:
    """Currencies and locales of the bundled markets, read straight from the TOML files so that
    this test does not depend on the rest of the rule schema."""
    currencies, locales = {"EUR"}, {"en"}
    for path in sorted((RULES / "markets").glob("*.toml")):
        data = tomllib.loads(path.read_text("utf-8"))
        if isinstance(data.get("currency"), str):
            currencies.add(data["currency"])
        locales.update(t for t in data.get("locales", ()) if isinstance(t, str))
    return sorted(currencies), sorted(locales)


CURRENCIES, LOCALES = _bundled()
# Beyond the bundled markets: right-to-left, non-Latin and unusual grouping.
EXTRA_LOCALES = ["ar", "ar_EG", "he_IL", "hi_IN", "zh_Hans", "zh_Hant_TW", "ko", "fa", "bn",
                 "de_CH", "de_LI", "fr_CH", "es_419", "pt_BR", "sv", "pl", "nb", "sw", "ml"]
EXTRA_CURRENCIES = ["KWD", "BHD", "IQD", "CLP", "ISK", "VND", "XXX"]


@st.composite
def money_case(draw: st.DrawFn) -> tuple[Decimal, str, str]:
    currency = draw(st.sampled_from(CURRENCIES))
    locale = draw(st.sampled_from(LOCALES))
    places = get_currency_precision(currency)
    bound = Decimal(10) ** 12
    amount = draw(st.decimals(min_value=-bound, max_value=bound, places=places,
                              allow_nan=False, allow_infinity=False))
    return amount, currency, locale


def test_bundled_markets_are_covered() -> None:
    assert {"EUR", "JPY", "CHF", "USD"} <= set(CURRENCIES)
    assert {"de_DE", "ja_JP", "fr_CA", "en_US"} <= set(LOCALES)


@settings(max_examples=400, deadline=None)
@given(money_case())
@example((Decimal("0"), "EUR", "de_DE"))
@example((Decimal("-0"), "EUR", "de_DE"))
@example((Decimal("-1234567.89"), "CHF", "de_CH"))
@example((Decimal("1000000"), "JPY", "ja_JP"))
def test_format_money_is_babel_for_bundled_markets(case: tuple[Decimal, str, str]) -> None:
    amount, currency, locale = case
    assert format_money(amount, currency, locale) == format_currency(amount, currency,
                                                                     locale=locale)


@settings(max_examples=300, deadline=None)
@given(amount=st.decimals(allow_nan=False, allow_infinity=False,
                          min_value=Decimal("-1e12"), max_value=Decimal("1e12")),
       currency=st.sampled_from(CURRENCIES + EXTRA_CURRENCIES),
       locale=st.sampled_from(LOCALES + EXTRA_LOCALES))
@example(amount=Decimal("0.005"), currency="EUR", locale="en")      # half-even rounding
@example(amount=Decimal("-0.001"), currency="EUR", locale="en")     # rounds to a negative zero
@example(amount=Decimal("1E+3"), currency="USD", locale="en_US")
@example(amount=Decimal("2.5"), currency="JPY", locale="ja_JP")
def test_format_money_is_babel_for_any_precision(amount: Decimal, currency: str,
                                                 locale: str) -> None:
    assert format_money(amount, currency, locale) == format_currency(amount, currency,
                                                                     locale=locale)


def test_format_money_is_babel_in_every_cldr_locale() -> None:
    amounts = [Decimal(a) for a in ("0", "-0.5", "1234567.891", "-987654321.005", "7")]
    for locale in localedata.locale_identifiers():
        for currency in ("EUR", "JPY", "KWD", "INR"):
            for amount in amounts:
                assert format_money(amount, currency, locale) == format_currency(
                    amount, currency, locale=locale), (locale, currency, amount)


def test_format_money_takes_what_babel_takes() -> None:
    # Non-Decimal input and non-finite amounts go through babel itself, unchanged.
    assert format_money(Decimal("Infinity"), "EUR", "en") == format_currency(
        Decimal("Infinity"), "EUR", locale="en")
    assert format_money(5, "EUR", "fr_FR") == format_currency(5, "EUR", locale="fr_FR")
    assert format_money(Decimal("1.5"), "EUR", Locale.parse("de_AT")) == format_currency(
        Decimal("1.5"), "EUR", locale="de_AT")


@pytest.mark.parametrize("tag", ["xx_YY", "not a locale", "", "de-DE"])
def test_format_money_unknown_locale(tag: str) -> None:
    with pytest.raises(InvalidCodeError) as info:
        format_money(Decimal("1"), "EUR", tag)
    assert info.value.field == "locale"


# -- dates, weights, direction ----------------------------------------------------------------

@pytest.mark.parametrize("locale", ["en_US", "de_DE", "ja_JP", "ar", "fr_CA", "zh_Hans"])
def test_dates_are_babel(locale: str) -> None:
    first, last = date(2026, 12, 29), date(2027, 1, 4)
    assert format_date(first, locale) == babel_format_date(first, "medium", locale=locale)
    assert format_date(first, locale, style="full") == babel_format_date(first, "full",
                                                                         locale=locale)
    assert format_delivery_range(first, last, locale) == format_interval(first, last, "yMMMd",
                                                                         locale=locale)
    same_month = format_delivery_range(date(2026, 12, 3), date(2026, 12, 8), locale)
    assert same_month == format_interval(date(2026, 12, 3), date(2026, 12, 8), "yMMMd",
                                         locale=locale)


def test_delivery_range_must_be_ordered() -> None:
    with pytest.raises(InvalidInputError):
        format_delivery_range(date(2026, 12, 8), date(2026, 12, 3), "en")


def test_weights_follow_the_measurement_system() -> None:
    assert measurement_system("en_US") == "US"
    assert measurement_system("es_US") == "US"
    assert measurement_system("en_GB") == "metric"
    assert measurement_system("en") == "metric"
    assert measurement_system("en", territory="US") == "US"
    assert measurement_system("en_US", territory="CA") == "metric"
    # 2.5 kg = 2.5 / 0.45359237 lb = 5.5115... lb -> 5.51 lb
    assert format_weight(Decimal("2.5"), "en_US") == format_unit(
        Decimal("5.51"), "mass-pound", length="short", format="#,##0.##", locale="en_US")
    # 0.2 kg = 7.0547... oz -> 7.05 oz
    assert format_weight(Decimal("0.2"), "es_US") == format_unit(
        Decimal("7.05"), "mass-ounce", length="short", format="#,##0.##", locale="es_US")
    assert format_weight(Decimal("2.5"), "de_DE") == format_unit(
        Decimal("2.5"), "mass-kilogram", length="short", format="#,##0.##", locale="de_DE")
    assert format_weight(Decimal("0.25"), "ja_JP", length="long") == format_unit(
        Decimal("250"), "mass-gram", length="long", format="#,##0.##", locale="ja_JP")
    with pytest.raises(InvalidInputError):
        format_weight(Decimal("-1"), "en")


def test_right_to_left() -> None:
    assert is_rtl("ar") and is_rtl("ar_SA") and is_rtl("he") and is_rtl("fa_IR")
    assert not is_rtl("en") and not is_rtl("ja_JP") and not is_rtl("zh_Hans")
    assert text_direction("ar_AE") == Locale.parse("ar_AE").text_direction == "rtl"
    with pytest.raises(InvalidCodeError):
        is_rtl("xx")


# -- locale choice ------------------------------------------------------------------------------

def test_accept_language_q_values() -> None:
    header = "fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5"
    assert parse_accept_language(header) == ("fr_CH", "fr", "en", "de")
    assert parse_accept_language("en;q=0.5, ja, de;q=0, x-klingon;q=0.9") == ("ja", "en")
    assert parse_accept_language("es;q=0.8, pt-BR;q=0.8, en-US") == ("en_US", "es", "pt_BR")
    assert parse_accept_language("de;q=2, fr;q=abc, it;q=0.333") == ("it",)
    assert parse_accept_language("") == () and parse_accept_language(None) == ()
    assert parse_accept_language("en, EN, en-us") == ("en", "en_US")


def test_negotiation_agrees_with_babel_on_exact_and_alias_matches() -> None:
    available = ["de_DE", "en_DE"]
    for tag in ("de_DE", "de", "en_DE", "de_AT"):
        ours = negotiate_locale([tag], available, "de_DE")[0]
        theirs = babel_negotiate([tag], available) or "de_DE"
        assert ours == theirs, tag


def test_negotiation_chains() -> None:
    ca = ["en_CA", "fr_CA"]
    assert negotiate_locale(["fr_CA"], ca, "en_CA") == ("fr_CA", ("fr_CA",))
    assert negotiate_locale(["fr"], ca, "en_CA") == ("fr_CA", ("fr", "fr_CA"))
    assert negotiate_locale(["fr-BE"], ca, "en_CA") == ("fr_CA", ("fr_BE", "fr_CA"))
    assert negotiate_locale(["ja", "fr"], ca, "en_CA") == ("fr_CA", ("ja", "fr", "fr_CA"))
    assert negotiate_locale(["ja"], ca, "en_CA") == ("en_CA", ("ja", "en_CA"))
    assert negotiate_locale([], ca, "en_CA") == ("en_CA", ("en_CA",))
    header = parse_accept_language("ja-JP,ja;q=0.9,fr;q=0.8")
    assert negotiate_locale(header, ca, "en_CA") == ("fr_CA", ("ja_JP", "ja", "fr", "fr_CA"))


def test_negotiation_keeps_scripts_apart() -> None:
    sg = ["en_SG", "zh_Hans_SG"]
    assert negotiate_locale(["zh-TW"], sg, "en_SG")[0] == "en_SG"   # Traditional != Simplified
    assert negotiate_locale(["zh-CN"], sg, "en_SG")[0] == "zh_Hans_SG"
    assert negotiate_locale(["zh"], sg, "en_SG")[0] == "zh_Hans_SG"


@pytest.mark.parametrize("tag", ["klingon", "xx-YY", "", "*"])
def test_negotiation_rejects_unknown_tags(tag: str) -> None:
    with pytest.raises(InvalidCodeError):
        negotiate_locale([tag], ["en"], "en")


def test_fallback_chains() -> None:
    assert fallback_chain("fr_CA", default="en_CA", source="en") == ("fr_CA", "fr", "en_CA",
                                                                      "en")
    assert fallback_chain("it_CH", default="de_CH", source="en") == ("it_CH", "it", "de_CH",
                                                                      "de", "en")
    # CLDR parent locales: es_US -> es_419 -> es; en_CH -> en_150 -> en_001 -> en.
    assert fallback_chain("es_US", source="en") == ("es_US", "es_419", "es", "en")
    assert fallback_chain("en_CH") == ("en_CH", "en_150", "en_001", "en")
    # A non-default script starts a new tree: Traditional Chinese never falls back to zh (Hans).
    assert fallback_chain("zh-TW", source="en") == ("zh_Hant_TW", "zh_Hant", "en")
    assert fallback_chain("zh_Hans_SG", source="en") == ("zh_Hans_SG", "zh_Hans", "zh", "en")
    assert fallback_chain("ja_JP", default="ja_JP", source="ja") == ("ja_JP", "ja")
    with pytest.raises(InvalidCodeError):
        fallback_chain("xx")


# -- one locale's data never leaks into another's (pricing.l10n.babel_isolation) ---------------

_ORDER_SCRIPT = """
from datetime import date
from pricing.l10n import format_date, format_delivery_range
print(format_delivery_range(date(2026, 11, 30), date(2026, 12, 7), "ar"))
print(format_delivery_range(date(2026, 11, 30), date(2026, 12, 7), "ar_MA"))
print(format_date(date(2026, 11, 30), "ar_MA", style="LLLL"))
print(format_date(date(2026, 10, 5), "he", style="LLLL"))
print(format_date(date(2026, 10, 5), "de", style="LLLL"))
"""


def test_a_locale_reads_its_own_month_names_whatever_was_formatted_before() -> None:
    # CLDR: Arabic writes November and December نوفمبر and ديسمبر, Moroccan Arabic (ar_MA)
    # نونبر and دجنبر; German stand-alone October is "Oktober". Babel's shared cache used to
    # give ar_MA the month names of ar when ar came first, and de the Hebrew ones after he.
    # A fresh interpreter, so that the order is exactly this one.
    out = subprocess.run([sys.executable, "-c", _ORDER_SCRIPT], capture_output=True,
                         text=True, check=True,
                         cwd=Path(__file__).resolve().parent.parent).stdout.splitlines()
    assert "نوفمبر" in out[0] and "ديسمبر" in out[0]
    assert "نونبر" in out[1] and "دجنبر" in out[1]
    assert out[2] == "نونبر"
    assert out[4] == "Oktober"


# -- the switches between units and the bounds of counts, at their edges ------------------------

@pytest.mark.parametrize(("kg", "locale", "shown"), [
    # Grams below 1 kg and kilograms from 1 kg on (CLDR mass-gram / mass-kilogram); in the US,
    # ounces below 1 lb (0.45359237 kg exactly, the international pound) and pounds from it.
    ("1", "de_DE", "1 kg"), ("0.999", "de_DE", "999 g"), ("0", "de_DE", "0 g"),
    ("0.45359237", "en_US", "1 lb"),
    # 0.45359236 kg is 0.99999998 lb, under a pound: 15.9999996 oz, shown to 0.01 as 16 oz
    ("0.45359236", "en_US", "16 oz"),
])
def test_a_weight_changes_unit_exactly_at_1_kg_and_1_lb(kg, locale, shown):
    assert format_weight(Decimal(kg), locale) == shown


def test_the_smallest_counts_and_ranges_are_allowed():
    # "a whole number of at least 0", "first <= last": nothing ahead, one day, one date.
    assert format_days_ahead(0, 0, "en") == "in 0 days"
    assert format_days_ahead(3, 3, "en") == "in 3 days"
    assert format_delivery_range(date(2026, 12, 3), date(2026, 12, 3), "de") == "3. Dez. 2026"
    with pytest.raises(InvalidInputError):
        format_days_ahead(4, 3, "en")
    with pytest.raises(InvalidInputError):
        format_weight(Decimal("-0.001"), "de_DE")


@pytest.mark.parametrize(("amount", "currency", "locale", "shown"), [
    # A group separator only once the whole part is longer than a group: 3 digits, then 3
    # (en_US, #,##0.00), or 3 then 2 (hi_IN, #,##,##0.00: lakh grouping).
    ("100.00", "EUR", "en_US", "€100.00"), ("1000.00", "EUR", "en_US", "€1,000.00"),
    ("999999.00", "EUR", "en_US", "€999,999.00"),
    ("99999.00", "INR", "hi_IN", "₹99,999.00"), ("100000.00", "INR", "hi_IN", "₹1,00,000.00"),
])
def test_digit_groups_start_past_a_full_group(amount, currency, locale, shown):
    assert format_money(Decimal(amount), currency, locale) == shown
