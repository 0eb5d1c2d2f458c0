"""The one place that normalizes and validates external identifiers.

Countries and subdivisions are ISO 3166 (pycountry), currencies ISO 4217 (pycountry), locales
CLDR (babel), HS codes digits only. Each ``normalize_*`` returns the canonical spelling or raises
an :class:`~pricing.errors.InvalidCodeError` / :class:`~pricing.errors.CurrencyError` that says
what would have been accepted.

>>> normalize_country(" de ")
'DE'
>>> normalize_region("us-ca")
'US-CA'
>>> normalize_hs_code("6109.10")
'610910'
"""

from __future__ import annotations

import re
from functools import lru_cache

import pycountry
from babel import Locale, UnknownLocaleError

from pricing.errors import CurrencyError, InvalidCodeError, did_you_mean

__all__ = [
    "all_countries",
    "currency_codes",
    "normalize_country",
    "normalize_currency",
    "normalize_hs_code",
    "normalize_locale",
    "normalize_region",
]

_HS_SEPARATORS = re.compile(r"[.\s]")
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


def normalize_region(code: object, *, field: str = "region") -> str:
    # Only strings reach the cache: an unhashable value (a list or a dict from JSON)
    # gets the same specific error as any other bad value, not a TypeError.
    if not isinstance(code, str):
        return _normalize_region.__wrapped__(code, field=field)  # the uncached check
    return _normalize_region(code, field=field)


@lru_cache(maxsize=1024)
def _normalize_region(code: object, *, field: str = "region") -> str:
    """An ISO 3166-2 subdivision code such as ``US-CA`` or ``CA-QC``."""
    if not isinstance(code, str):
        raise InvalidCodeError(f"{field} must be an ISO 3166-2 code string", field=field,
                               value=code, expected="a code such as US-CA")
    c = code.strip().upper()
    if pycountry.subdivisions.get(code=c) is not None:
        return c
    country = c.split("-", 1)[0]
    choices = [s.code for s in pycountry.subdivisions.get(country_code=country) or []] if (
        country in all_countries()) else []
    raise InvalidCodeError(f"unknown region (ISO 3166-2 subdivision) {code!r}", field=field,
                           value=code, expected="an ISO 3166-2 code such as US-CA",
                           suggestion=did_you_mean(c, choices) if choices else None)


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
