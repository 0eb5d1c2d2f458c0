"""Formatting exact amounts, dates and weights for people, with babel, at the edge only.

Also the locale choice: negotiating a requested locale or an ``Accept-Language`` header against
a market's locales, and the fallback chain text lookups follow (``fr_CA -> fr -> market default
-> source language``).

``format_money`` returns exactly ``babel.numbers.format_currency(amount, currency, locale=tag)``
(the tests check that, with Hypothesis, against babel itself). Babel re-reads the locale's
pattern and symbols on every call; a quote formats dozens of amounts, so the parsed pattern,
with the currency symbol and the locale's separators already in place, is compiled once per
(locale, currency) and reused.

>>> format_money(Decimal("1234.5"), "EUR", "de_DE")
'1.234,50\\xa0€'
>>> format_money(Decimal("-1234.5"), "JPY", "ja_JP")
'-￥1,234'
>>> fallback_chain("fr_CA", default="en_CA", source="en")
('fr_CA', 'fr', 'en_CA', 'en')
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from typing import Literal

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.core import negotiate_locale as _babel_negotiate
from babel.dates import format_date as _babel_format_date
from babel.dates import format_interval
from babel.localedata import load as _load_locale_data
from babel.numbers import (
    format_currency,
    format_decimal,
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
)
from babel.units import format_unit

from pricing.codes import normalize_locale
from pricing.errors import InvalidCodeError, InvalidInputError
from pricing.l10n.babel_isolation import isolate_locale_data

isolate_locale_data()  # before any locale is read: see pricing.l10n.babel_isolation

__all__ = [
    "fallback_chain",
    "format_date",
    "format_days_ahead",
    "format_delivery_range",
    "format_item_count",
    "format_money",
    "format_weight",
    "is_rtl",
    "measurement_system",
    "money_formatter",
    "negotiate_locale",
    "parse_accept_language",
    "text_direction",
]

# -- money ------------------------------------------------------------------------------------

_QUOTED = re.compile(r"'([^']*)'")
_HOLE = "\x00"  # stands for the number while the pattern's affixes are prepared


class _Compiled:
    """A currency pattern of one locale, for one currency, ready to apply.

    It performs the steps of ``babel.numbers.NumberPattern.apply`` for the plain patterns every
    CLDR locale uses for currencies (no scaling, no scientific or significant digits), with the
    symbols looked up once. Anything else falls back to babel itself.
    """

    __slots__ = ("decimal", "first", "group", "min_int", "neg", "plain", "pos", "precision",
                 "quantum", "rest", "swap")

    def __init__(self, locale: Locale, currency: str) -> None:
        pattern = locale.currency_formats["standard"]
        self.precision = get_currency_precision(currency)
        self.quantum = Decimal(10) ** -self.precision
        self.decimal = get_decimal_symbol(locale)
        self.group = get_group_symbol(locale)
        self.min_int = pattern.int_prec[0]
        self.first, self.rest = pattern.grouping
        if (pattern.scale or pattern.exp_prec or "@" in pattern.pattern
                or not pattern.number_pattern or self.first <= 0 or self.rest <= 0
                or any(c in self.decimal + self.group for c in "'¤" + _HOLE)):
            raise ValueError("not a plain pattern")  # caught: babel formats this one itself
        symbol = get_currency_symbol(currency, locale)
        affixes = []
        for i in (0, 1):
            text = pattern.prefix[i] + _HOLE + pattern.suffix[i]
            if "¤¤¤" in text or _HOLE in symbol + currency:
                raise ValueError("currency names depend on the amount")
            text = text.replace("¤¤", currency.upper()).replace("¤", symbol)
            text = _QUOTED.sub(lambda m: m.group(1) or "'", text)
            before, hole, after = text.partition(_HOLE)
            if not hole or _HOLE in after:
                raise ValueError("unexpected affixes")
            affixes.append((before, after))
        self.pos, self.neg = affixes
        # Groups of three with one leading digit are what Python's "," format writes; its
        # separators are then replaced by the locale's (str.replace beats str.translate).
        self.plain = (self.first, self.rest, self.min_int) == (3, 3, 1)
        self.swap = ((self.group != ",") << 1) | (self.decimal != ".")

    def __call__(self, amount: Decimal) -> str:
        if self.plain and not amount.is_signed():
            text = format(amount.quantize(self.quantum), ",f")
            swap = self.swap
            if swap == 1:
                text = text.replace(".", self.decimal)
            elif swap == 2:
                text = text.replace(",", self.group)
            elif swap:
                text = text.replace(",", _HOLE).replace(".", self.decimal).replace(
                    _HOLE, self.group)
            before, after = self.pos
            return before + text + after
        value = amount.scaleb(0)  # babel's steps, in babel's order, under the same context
        before, after = self.neg if value.is_signed() else self.pos
        digits = f"{abs(value).normalize().quantize(self.quantum):f}"
        whole, _, frac = digits.partition(".")
        if len(whole) < self.min_int:
            whole = "0" * (self.min_int - len(whole)) + whole
        size = self.first
        if len(whole) > size:
            groups = ""
            while len(whole) > size:
                groups = self.group + whole[-size:] + groups
                whole = whole[:-size]
                size = self.rest
            whole += groups
        if self.precision:
            return before + whole + self.decimal + frac + after
        return before + whole + after


_FORMATS: dict[tuple[object, str], _Compiled | None] = {}
_MAX_FORMATS = 4096


@lru_cache(maxsize=1024)
def _locale(tag: str | Locale) -> Locale:
    try:
        return Locale.parse(tag)
    except (UnknownLocaleError, ValueError, TypeError):
        raise InvalidCodeError(f"unknown locale {tag!r}", field="locale", value=str(tag),
                               expected="a CLDR locale such as en, fr_CA, zh_Hans") from None


def _compiled(locale: str | Locale, currency: str) -> _Compiled | None:
    loc = _locale(locale)
    try:
        fmt: _Compiled | None = _Compiled(loc, currency)
    except ValueError:
        fmt = None
    if len(_FORMATS) >= _MAX_FORMATS:  # bounded: currency codes can come from requests
        _FORMATS.clear()
    _FORMATS[(locale, currency)] = fmt
    return fmt


def format_money(amount: Decimal, currency: str, locale: str) -> str:
    """``amount`` in ``currency`` written the way ``locale`` writes it (CLDR via babel).

    Exactly ``babel.numbers.format_currency(amount, currency, locale=locale)``; an unknown
    locale raises :class:`~pricing.errors.InvalidCodeError`.

    >>> format_money(Decimal("1099.98"), "CHF", "de_CH")
    'CHF\\xa01’099.98'
    """
    try:
        fmt = _FORMATS[(locale, currency)]
    except KeyError:
        fmt = _compiled(locale, currency)
    if fmt is not None and type(amount) is Decimal and amount.is_finite():
        return fmt(amount)
    return format_currency(amount, currency, locale=_locale(locale))


def money_formatter(currency: str, locale: str) -> Callable[[Decimal], str]:
    """:func:`format_money` for one currency and locale, looked up once: for writing many
    amounts (a quote, a feed).

    >>> money_formatter("EUR", "fr_FR")(Decimal("1234.5"))
    '1\u202f234,50\xa0€'
    """
    try:
        fmt = _FORMATS[(locale, currency)]
    except KeyError:
        fmt = _compiled(locale, currency)
    if fmt is None:
        return lambda amount: format_money(amount, currency, locale)
    compiled = fmt

    def apply(amount: Decimal) -> str:
        if type(amount) is Decimal and amount.is_finite():
            return compiled(amount)
        return format_currency(amount, currency, locale=_locale(locale))

    return apply


# -- dates and weights ------------------------------------------------------------------------

def format_date(day: date, locale: str, *, style: str = "medium") -> str:
    """A date as ``locale`` writes it (``style``: short, medium, long, full, or a CLDR pattern).

    >>> format_date(date(2026, 12, 3), "de_DE")
    '03.12.2026'
    """
    return _babel_format_date(day, format=style, locale=_locale(locale))


def format_delivery_range(first: date, last: date, locale: str, *,
                          skeleton: str = "yMMMd") -> str:
    """The delivery window from ``first`` to ``last`` as one interval, e.g. ``Dec 3 – 8, 2026``.

    >>> format_delivery_range(date(2026, 12, 3), date(2026, 12, 8), "de_DE")
    '3.–8. Dez. 2026'
    """
    if last < first:
        raise InvalidInputError(f"delivery range ends ({last}) before it starts ({first})",
                                field="last", value=str(last), expected=f"on or after {first}")
    return format_interval(first, last, skeleton, locale=_locale(locale))


#: Territories that weigh in pounds and ounces: CLDR supplemental ``measurementData``
#: (measurementSystem type "US": LR, MM, US). Babel ships the names of the measurement systems
#: (``Locale.measurement_systems``) but not which territory uses which, hence this small table.
#: Everyone else, the United Kingdom included for goods, uses the metric system.
_US_SYSTEM = frozenset({"LR", "MM", "US"})
_KG_PER_LB = Decimal("0.45359237")  # exact, by definition (international yard and pound, 1959)
_OZ_PER_LB = 16


def measurement_system(locale: str, *, territory: str | None = None) -> Literal["metric", "US"]:
    """The system weights are shown in: ``"US"`` (lb, oz) or ``"metric"`` (kg, g).

    ``territory`` (e.g. the market's country) wins over the locale's own territory; a locale
    without a territory (``en``) is metric.

    >>> measurement_system("en_US"), measurement_system("en")
    ('US', 'metric')
    >>> measurement_system("en", territory="US")
    'US'
    """
    where = territory or _locale(locale).territory
    return "US" if where and where.upper() in _US_SYSTEM else "metric"


def format_weight(kg: Decimal, locale: str, *, territory: str | None = None,
                  length: Literal["short", "long", "narrow"] = "short") -> str:
    """A weight given in kilograms, in the unit its reader expects (kg/g or lb/oz).

    Under 1 kg it is shown in grams, under 1 lb in ounces; otherwise to 0.01 (half-even).

    >>> format_weight(Decimal("2.5"), "de_DE"), format_weight(Decimal("0.25"), "en")
    ('2,5 kg', '250 g')
    >>> format_weight(Decimal("2.5"), "en_US"), format_weight(Decimal("0.2"), "en_US")
    ('5.51 lb', '7.05 oz')
    """
    if not isinstance(kg, Decimal) or not kg.is_finite() or kg < 0:
        raise InvalidInputError("a weight is a finite, non-negative Decimal of kilograms",
                                field="weight", value=str(kg), expected="e.g. Decimal('0.25')")
    if measurement_system(locale, territory=territory) == "US":
        value, unit = kg / _KG_PER_LB, "mass-pound"
        if value < 1:
            value, unit = value * _OZ_PER_LB, "mass-ounce"
    else:
        value, unit = kg, "mass-kilogram"
        if kg < 1:
            value, unit = kg * 1000, "mass-gram"
    shown = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    return format_unit(shown, unit, length=length, format="#,##0.##", locale=_locale(locale))


# -- words CLDR has: days ahead, item counts ---------------------------------------------------
#
# Some of the service's words are in CLDR for every locale babel knows: "in 3 days" (relative
# time) and "3 items" (the unit ``item``). The labels use these where no translator wrote the
# label in the shopper's own language (pricing.l10n.labels). Babel keeps both tables in the
# locale data it also reads in ``format_timedelta`` and ``format_unit``; where a locale has no
# words of its own it inherits root's placeholders ("+{0} d", English "{0} item"), which are no
# translation: those count as missing here.

#: CLDR's number range pattern in root (``numbers/miscPatterns/range``). Babel does not ship the
#: per-locale ``miscPatterns``; nearly every locale inherits this one, and the few that differ
#: (e.g. ja, ko, zh) have hand-written labels.
_RANGE = "{0}–{1}"


def _own(loc: Locale, table: str, key: str, sub: str) -> dict[str, str] | None:
    """CLDR patterns ``table/key/sub`` of ``loc`` by plural category, unless only root's."""
    # Babel's own format_timedelta and format_unit read the same ``_data`` tables.
    own = loc._data[table].get(key, {}).get(sub)
    if not own:
        return None
    root = _load_locale_data("root")[table].get(key, {}).get(sub) or {}
    patterns = {k: v for k, v in own.items() if k != "per"}
    inherited = {k: v for k, v in root.items() if k != "per"}
    return patterns if patterns and patterns != inherited else None


def _count(n: int, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise InvalidInputError(f"{what} is a whole number of at least 0", field=what,
                                value=str(n), expected="e.g. 3")
    return n


def format_days_ahead(first: int, last: int, locale: str) -> str | None:
    """``in 3–5 days`` in ``locale``'s own words (CLDR relative time), or None where CLDR has
    none for it.

    A single day count (``first == last``) reads exactly as
    ``babel.dates.format_timedelta(timedelta(days=n), granularity="day", add_direction=True)``
    with the count in the locale's digits. A range joins the counts with CLDR's range pattern
    and takes the plural form of its end (what CLDR's plural ranges give in nearly every
    language; babel does not ship them), or the ``other`` form where that one spells the
    number out ("in a day").

    >>> format_days_ahead(3, 5, "da_DK"), format_days_ahead(1, 1, "de_AT")
    ('om 3–5 dage', 'in 1 Tag')
    >>> format_days_ahead(2, 4, "cs_CZ"), format_days_ahead(5, 7, "cs_CZ")
    ('za 2–4 dny', 'za 5–7 dní')
    """
    _count(first, "first")
    _count(last, "last")
    if last < first:
        raise InvalidInputError(f"delivery days end ({last}) before they start ({first})",
                                field="days", value=f"{first}-{last}", expected="first <= last")
    loc = _locale(locale)
    patterns = _own(loc, "date_fields", "day", "future")
    if patterns is None:
        return None
    pattern = patterns.get(loc.plural_form(last)) or patterns.get("other", "")
    shown = format_decimal(last, locale=loc)
    if first != last:
        if "{0}" not in pattern:
            pattern = patterns.get("other", "")
        shown = _RANGE.format(format_decimal(first, locale=loc), shown)
    return pattern.replace("{0}", shown) if "{0}" in pattern else (pattern or None)


def format_item_count(n: int, locale: str) -> str | None:
    """``3 items`` in ``locale``'s own words (CLDR's unit ``item``), or None where CLDR has none.

    >>> format_item_count(3, "fi_FI"), format_item_count(1, "da")
    ('3 kohdetta', '1 enhed')
    """
    _count(n, "count")
    loc = _locale(locale)
    patterns = _own(loc, "unit_patterns", "concentr-item", "long")
    pattern = patterns and (patterns.get(loc.plural_form(n)) or patterns.get("other"))
    if not pattern:
        return None
    # babel.units.format_unit's own step; it would print "3 concentr-item" for a missing form
    return pattern.format(format_decimal(n, locale=loc))


# -- writing direction -------------------------------------------------------------------------

@lru_cache(maxsize=1024)  # CLDR data, asked for on every quote
def text_direction(locale: str) -> Literal["ltr", "rtl"]:
    """``"rtl"`` for scripts written right to left (Arabic, Hebrew, ...), else ``"ltr"``.

    >>> text_direction("ar"), text_direction("fr_CA")
    ('rtl', 'ltr')
    """
    return "rtl" if _locale(locale).text_direction == "rtl" else "ltr"


def is_rtl(locale: str) -> bool:
    """Whether ``locale`` is written right to left (for ``dir="rtl"`` and mirrored layouts).

    >>> is_rtl("ar"), is_rtl("he_IL"), is_rtl("en")
    (True, True, False)
    """
    return text_direction(locale) == "rtl"


# -- choosing a locale -------------------------------------------------------------------------

_MAX_HEADER = 4096
_MAX_RANGES = 32
_QVALUE = re.compile(r"(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)")


def parse_accept_language(header: str | None) -> tuple[str, ...]:
    """The locales an ``Accept-Language`` header asks for, most wanted first (RFC 9110 12.5.4).

    Ranges are ordered by q-value (ties keep their order); ``q=0``, ``*`` and tags that are no
    CLDR locale are dropped, as are ranges with a malformed q-value. Tags come back in babel's
    spelling.

    >>> parse_accept_language("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5")
    ('fr_CH', 'fr', 'en', 'de')
    >>> parse_accept_language("en;q=0.5, x-klingon, ja;q=1, de;q=0")
    ('ja', 'en')
    """
    if not header:
        return ()
    ranked: list[tuple[Decimal, int, str]] = []
    for pos, part in enumerate(header[:_MAX_HEADER].split(",")[:_MAX_RANGES]):
        tag, *params = (p.strip() for p in part.split(";"))
        q = Decimal(1)
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                value = value.strip()
                q = Decimal(value) if _QVALUE.fullmatch(value) else Decimal(-1)
        if not tag or tag == "*" or q <= 0:
            continue
        try:
            norm = normalize_locale(tag)
        except InvalidCodeError:
            continue
        ranked.append((-q, pos, norm))
    seen: dict[str, None] = {}
    for _, _, norm in sorted(ranked):
        seen.setdefault(norm)
    return tuple(seen)


@lru_cache(maxsize=1024)
def _script(tag: str) -> str | None:
    """The script a locale is written in, explicit or likely (``zh_TW`` -> ``Hant``)."""
    loc = _locale(tag)
    if loc.script:
        return loc.script
    likely = get_global("likely_subtags")
    for key in (f"{loc.language}_{loc.territory}" if loc.territory else None, loc.language):
        if key and key in likely:
            parts = likely[key].split("_")
            return parts[1] if len(parts) > 2 else None
    return None


def _same_language(tag: str, available: Sequence[str]) -> str | None:
    """The first of ``available`` in the same language and script as ``tag``."""
    loc = _locale(tag)
    for cand in available:
        try:
            other = _locale(cand)
        except InvalidCodeError:
            continue
        if other.language == loc.language and _script(cand) == _script(tag):
            return cand
    return None


def negotiate_locale(requested: Sequence[str], available: Sequence[str], default: str
                     ) -> tuple[str, tuple[str, ...]]:
    """Pick one of ``available`` for the ``requested`` tags; return it with the chain tried.

    For each requested tag, in order: babel's negotiation (exact match ignoring case, babel's
    aliases such as ``de`` -> ``de_DE``, then the tag without its territory), then the same
    language and script (``fr`` or ``fr_FR`` -> ``fr_CA``; ``zh_TW`` never gets ``zh_Hans``);
    then ``default``. The chain names each step, so a quote can report how it chose. For an
    ``Accept-Language`` header pass ``parse_accept_language(header)``. A malformed or unknown
    requested tag raises :class:`~pricing.errors.InvalidCodeError`.

    >>> negotiate_locale(["fr"], ["en_CA", "fr_CA"], "en_CA")
    ('fr_CA', ('fr', 'fr_CA'))
    >>> negotiate_locale(["ja", "de-AT"], ["de_DE", "en_DE"], "de_DE")
    ('de_DE', ('ja', 'de_AT', 'de_DE'))
    >>> negotiate_locale([], ["en_GB"], "en_GB")
    ('en_GB', ('en_GB',))
    """
    chain: list[str] = []
    for tag in requested:
        norm = normalize_locale(tag, field="locale")
        chain.append(norm)
        match = _babel_negotiate([norm], list(available), sep="_") or _same_language(norm,
                                                                                    available)
        if match is not None:
            if match != norm:
                chain.append(match)
            return match, tuple(chain)
    chain.append(default)
    return default, tuple(chain)


@lru_cache(maxsize=1024)
def _parents(tag: str) -> tuple[str, ...]:
    """``tag`` and its CLDR parents up to, not including, root (``es_US`` -> es_419 -> es).

    Parent exceptions come from CLDR via babel; a script that is not the language's likely one
    starts a new tree (``zh_Hant``'s parent is root, not ``zh``), as in babel's locale data.
    """
    exceptions = get_global("parent_exceptions")
    out = [tag]
    while True:
        parent = exceptions.get(tag)
        if parent is None:
            parts = tag.split("_")
            if len(parts) == 1:
                break
            if len(parts) == 2 and len(parts[1]) == 4 and _script(parts[0]) != parts[1]:
                break
            parent = "_".join(parts[:-1])
        if parent == "root" or parent in out:
            break
        out.append(parent)
        tag = parent
    return tuple(out)


@lru_cache(maxsize=1024)
def fallback_chain(locale: str, *, default: str | None = None, source: str | None = None
                   ) -> tuple[str, ...]:
    """Where translated text is looked up, in order: ``locale`` and its CLDR parents, then the
    market ``default`` and its parents, then the catalog's ``source`` language.

    >>> fallback_chain("fr_CA", default="en_CA", source="en")
    ('fr_CA', 'fr', 'en_CA', 'en')
    >>> fallback_chain("es_US", default="en_US", source="en")
    ('es_US', 'es_419', 'es', 'en_US', 'en')
    >>> fallback_chain("zh-TW", default="ja_JP", source="en")
    ('zh_Hant_TW', 'zh_Hant', 'ja_JP', 'ja', 'en')
    """
    out: dict[str, None] = {}
    for tag in (locale, default, source):
        if tag:
            for parent in _parents(normalize_locale(tag)):
                out.setdefault(parent)
    return tuple(out)

