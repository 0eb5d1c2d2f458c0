"""The one place that normalizes and validates external identifiers.

Countries and subdivisions are ISO 3166 (pycountry), currencies ISO 4217 (pycountry), locales
CLDR (babel), HS codes digits only. Each ``normalize_*`` returns the canonical spelling or raises
an :class:`~pricing.errors.InvalidCodeError` / :class:`~pricing.errors.CurrencyError` that says
what would have been accepted.

>>> normalize_country(" de ")
'DE'
>>> normalize_region("us-ca")
'US-CA'
>>> normalize_region("QC", country="CA")
'CA-QC'
>>> normalize_hs_code("6109.10")
'610910'
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import lru_cache

import pycountry
from babel import Locale, UnknownLocaleError

from pricing.errors import CurrencyError, InvalidCodeError, RequestError, did_you_mean

__all__ = [
    "all_countries",
    "currency_codes",
    "normalize_country",
    "normalize_currency",
    "normalize_hs_code",
    "normalize_locale",
    "normalize_region",
    "parse_day",
]

_HS_SEPARATORS = re.compile(r"[.\s]")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_HS = re.compile(r"[0-9]{2,10}")


@lru_cache(maxsize=1)
def all_countries() -> frozenset[str]:
    """Every ISO 3166-1 alpha-2 code pycountry knows."""
    return frozenset(c.alpha_2 for c in pycountry.countries)


#: ISO 4217 codes that are not money one can price goods in: precious metals, SDR and other
#: units of account, bond-market units, the test code and "no currency". XAF, XOF, XCD and
#: XPF are real currencies and stay.
_NOT_FOR_PRICES = frozenset({"XAG", "XAU", "XPD", "XPT", "XDR", "XSU", "XUA", "XBA", "XBB",
                             "XBC", "XBD", "XTS", "XXX"})


@lru_cache(maxsize=1)
def currency_codes() -> frozenset[str]:
    """ISO 4217 currency codes that can price goods (metals, units of account and test codes
    are left out)."""
    return frozenset(c.alpha_3 for c in pycountry.currencies) - _NOT_FOR_PRICES


def normalize_country(code: object, *, field: str = "country") -> str:
    # Only strings reach the cache: an unhashable value (a list or a dict from JSON)
    # gets the same specific error as any other bad value, not a TypeError.
    if not isinstance(code, str):
        return _normalize_country.__wrapped__(code, field=field)  # the uncached check
    return _normalize_country(code, field=field)


@lru_cache(maxsize=1024)
def _normalize_country(code: object, *, field: str = "country") -> str:
    if not isinstance(code, str):
        raise InvalidCodeError(f"{field} must be a string ISO 3166-1 alpha-2 code",
                               field=field, value=code, expected="a code such as DE")
    c = code.strip().upper()
    if c in all_countries():
        return c
    if c == "UK":  # the commonest mistake; ISO says GB
        raise InvalidCodeError("UK is not an ISO 3166-1 code; the United Kingdom is GB",
                               field=field, value=code, expected="ISO 3166-1 alpha-2",
                               suggestion="GB")
    raise InvalidCodeError(f"unknown country code {code!r}", field=field, value=code,
                           expected="an ISO 3166-1 alpha-2 code such as DE",
                           suggestion=did_you_mean(c, all_countries()))


def normalize_region(code: object, *, country: str | None = None,
                     field: str = "region") -> str:
    """An ISO 3166-2 subdivision code, e.g. ``US-CA``.

    With ``country``, the region may also be written as checkouts send it: the part after the
    country (``CA`` for ``US-CA``, ``QC``, ``NSW``, ``SP``) or the subdivision's name
    (``Québec``, ``New South Wales``), in any case. An unknown region is answered with the
    regions of that country, never with a code of another country.

    >>> normalize_region("qc", country="CA"), normalize_region("CA", country="US")
    ('CA-QC', 'US-CA')
    >>> normalize_region("New South Wales", country="AU")
    'AU-NSW'
    """
    # Only strings reach the cache: an unhashable value (a list or a dict from JSON)
    # gets the same specific error as any other bad value, not a TypeError.
    if not isinstance(code, str) or not isinstance(country, str | None):
        return _normalize_region.__wrapped__(code, country, field)  # the uncached check
    return _normalize_region(code, country, field)


def _fold(text: str) -> str:
    """``text`` for matching names: accents dropped, case folded, spaces collapsed."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    return " ".join(plain.casefold().replace("-", " ").split())


@lru_cache(maxsize=256)
def _regions_of(country: str) -> tuple[tuple[str, ...], dict[str, str]]:
    """The ISO 3166-2 codes of ``country``, and how each may be written (full code, the part
    after the country, the folded name) mapped to the code."""
    subs = pycountry.subdivisions.get(country_code=country) or []
    codes = tuple(sorted(s.code for s in subs))
    keys: dict[str, str] = {}
    for s in subs:
        keys[s.code] = s.code
        keys[s.code.split("-", 1)[1]] = s.code
    names: dict[str, set[str]] = {}
    for s in subs:
        names.setdefault(_fold(s.name), set()).add(s.code)
    for name, found in names.items():
        # A name two subdivisions share (a region and a department) is not guessed at, and a
        # name never hides a code.
        if len(found) == 1 and name.upper() not in keys:
            keys[name] = next(iter(found))
    return codes, keys


@lru_cache(maxsize=1024)
def _normalize_region(code: object, country: object, field: str) -> str:
    if not isinstance(code, str):
        raise InvalidCodeError(f"{field} must be an ISO 3166-2 code string", field=field,
                               value=code, expected="a code such as US-CA")
    c = code.strip().upper()
    if not isinstance(country, str):
        if pycountry.subdivisions.get(code=c) is not None:
            return c
        prefix, sep, _ = c.partition("-")
        if not sep or prefix not in all_countries():
            raise InvalidCodeError(
                f"unknown region (ISO 3166-2 subdivision) {code!r}", field=field, value=code,
                expected="an ISO 3166-2 code, the country first: US-CA, CA-QC, AU-NSW")
        country = prefix
    cc = country.strip().upper()
    codes, keys = _regions_of(cc)
    found = keys.get(c) or keys.get(_fold(code))
    if found is not None:
        return found
    if not codes:
        raise InvalidCodeError(f"{cc} has no ISO 3166-2 regions; leave {field} out",
                               field=field, value=code, expected="no region")
    other, sep, _ = c.partition("-")
    suffixes = {k.split("-", 1)[1]: k for k in codes}
    if sep and other in all_countries() and other != cc:
        # Another country's code: a look-alike of this country would only mislead.
        message, guess = f"region {code!r} is in {other}, not in {cc}", None
    else:
        message = f"unknown region {code!r} of {cc}"
        guess = did_you_mean(c, codes) or did_you_mean(c, suffixes)
    shown = ", ".join(codes[:_MAX_LISTED]) + (
        f" and {len(codes) - _MAX_LISTED} more" if len(codes) > _MAX_LISTED else "")
    # The list is in the message too: request errors carry the message and the suggestion.
    raise InvalidCodeError(
        f"{message}; regions of {cc}: {shown} (the part after {cc}- is enough)",
        field=field, value=code, expected=f"an ISO 3166-2 region of {cc}: {shown}",
        suggestion=suffixes.get(guess, guess) if guess else None)


#: Most region codes an error lists (Great Britain has 221).
_MAX_LISTED = 60


def normalize_currency(code: object, *, field: str = "currency") -> str:
    # Only strings reach the cache: an unhashable value (a list or a dict from JSON)
    # gets the same specific error as any other bad value, not a TypeError.
    if not isinstance(code, str):
        return _normalize_currency.__wrapped__(code, field=field)  # the uncached check
    return _normalize_currency(code, field=field)


@lru_cache(maxsize=512)
def _normalize_currency(code: object, *, field: str = "currency") -> str:
    if not isinstance(code, str):
        raise CurrencyError(f"{field} must be an ISO 4217 code string", field=field,
                            value=code, expected="a code such as EUR")
    c = code.strip().upper()
    if c in currency_codes():
        return c
    raise CurrencyError(f"unknown currency code {code!r}", field=field, value=code,
                        expected="an ISO 4217 code such as EUR",
                        suggestion=did_you_mean(c, currency_codes()))


def normalize_hs_code(code: str, *, field: str = "hs_code") -> str:
    """HS / tariff codes: 2 to 10 digits; dots and spaces (as printed in tariffs) are dropped."""
    if not isinstance(code, str):
        raise InvalidCodeError(f"{field} must be a string of digits", field=field, value=code,
                               expected="2 to 10 digits, e.g. 610910")
    c = _HS_SEPARATORS.sub("", code)
    if _HS.fullmatch(c):
        return c
    raise InvalidCodeError(f"invalid HS code {code!r}", field=field, value=code,
                           expected="2 to 10 digits, e.g. 610910 (dots allowed: 6109.10)")


def normalize_locale(tag: object, *, field: str = "locale") -> str:
    # Only strings reach the cache: an unhashable value (a list or a dict from JSON)
    # gets the same specific error as any other bad value, not a TypeError.
    if not isinstance(tag, str):
        return _normalize_locale.__wrapped__(tag, field=field)  # the uncached check
    return _normalize_locale(tag, field=field)


@lru_cache(maxsize=512)
def _normalize_locale(tag: object, *, field: str = "locale") -> str:
    """A CLDR locale identifier in babel's spelling (``fr_CA``, ``zh_Hans``); ``-`` is accepted."""
    if not isinstance(tag, str) or not tag.strip():
        raise InvalidCodeError(f"{field} must be a locale tag such as fr_CA", field=field,
                               value=tag, expected="a CLDR locale such as en, fr_CA, zh_Hans")
    try:
        return str(Locale.parse(tag.strip(), sep="-" if "-" in tag else "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        raise InvalidCodeError(f"unknown locale {tag!r}", field=field, value=tag,
                               expected="a CLDR locale such as en, fr_CA, zh_Hans") from None


def parse_day(text: object, *, field: str = "date") -> date:
    """A day as people and query strings write it, YYYY-MM-DD; a :class:`RequestError` naming
    ``field`` otherwise (``date.fromisoformat`` alone would also take ``20261129``).

    >>> parse_day("2026-11-29")
    datetime.date(2026, 11, 29)
    >>> parse_day("2026-02-30", field="query.date")
    Traceback (most recent call last):
    pricing.errors.RequestError: query.date: expected a day as YYYY-MM-DD; found '2026-02-30'
    """
    if isinstance(text, str) and _DAY.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    raise RequestError(f"{field}: expected a day as YYYY-MM-DD; found {text!r}", field=field,
                       value=text, expected="YYYY-MM-DD, e.g. 2026-11-23")
