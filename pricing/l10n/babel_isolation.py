"""Each locale's data kept to itself: a fix for babel's shared locale-data cache.

Babel (through 2.18) gives a locale a shallow copy of its parent's data, so nested tables it
does not override are the parent's own dicts, and ``LocaleDataDict.__getitem__`` writes each
resolved alias or wrapped table back into them. Whichever locale of a family is read first
then decides what its siblings print: after a date formatted for ``ar``, ``ar_MA`` writes
November ``نوفمبر`` instead of Morocco's ``نونبر`` for the rest of the process, so a quote's
delivery dates depended on which quotes came before it (python-babel/babel#1234; the fix
upstream, #1274, was not released when this was written).

:func:`isolate_locale_data` replaces that method with one that resolves exactly as babel does
but never writes into the shared tables: a lookup costs a wrapper, and every locale reads its
own CLDR data whatever came first.
"""

from __future__ import annotations

from typing import Any

from babel import localedata

__all__ = ["isolate_locale_data"]


def _getitem(self: localedata.LocaleDataDict, key: str | int | None) -> Any:
    val = self._data[key]
    if isinstance(val, localedata.Alias):
        val = val.resolve(self.base)
    if isinstance(val, tuple):  # a partial table merged over an alias
        alias, others = val
        val = alias.resolve(self.base).copy()
        localedata.merge(val, others)
    if isinstance(val, dict):
        val = localedata.LocaleDataDict(val, base=self.base)
    return val


def isolate_locale_data() -> None:
    """Install the non-memoizing lookup (idempotent)."""
    localedata.LocaleDataDict.__getitem__ = _getitem  # type: ignore[method-assign]
