"""Formatting exact amounts for people, with babel, at the edge only.

Babel's ``format_currency`` parses the locale and its pattern on every call; the quote path
formats dozens of amounts, so the parsed :class:`babel.Locale` is cached per tag. The output is
exactly ``babel.numbers.format_currency(amount, currency, locale=tag)``.

>>> format_money(Decimal("1234.5"), "EUR", "de_DE")
'1.234,50\\xa0€'
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import format_currency

__all__ = ["format_money", "negotiate_locale"]


@lru_cache(maxsize=256)
def _locale(tag: str) -> Locale:
    return Locale.parse(tag)


def format_money(amount: Decimal, currency: str, locale: str) -> str:
    """``amount`` in ``currency`` written the way ``locale`` writes it (CLDR via babel)."""
    return format_currency(amount, currency, locale=_locale(locale))


def negotiate_locale(requested: Sequence[str], available: Sequence[str], default: str
                     ) -> tuple[str, tuple[str, ...]]:
    """Pick one of ``available`` for the ``requested`` tags; return it with the chain tried.

    Exact match first, then the same language (``fr`` or ``fr_FR`` -> ``fr_CA``), then
    ``default``. The chain names each step, so a quote can report how it chose.
    """
    chain: list[str] = []
    avail = {a.lower(): a for a in available}
    for tag in requested:
        norm = tag.replace("-", "_")
        chain.append(norm)
        if norm.lower() in avail:
            return avail[norm.lower()], tuple(chain)
        lang = norm.split("_")[0].lower()
        for a in available:
            if a.split("_")[0].lower() == lang:
                chain.append(a)
                return a, tuple(chain)
    chain.append(default)
    return default, tuple(chain)
