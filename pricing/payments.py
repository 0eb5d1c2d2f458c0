"""Payment methods: a bundled registry of real methods, and those a quote total can use.

The registry is data (``pricing/data/payment_methods.toml``, listed in ``docs/payments.md``):
per method its id, its name as its owner writes it, its kind, the currencies it settles in,
the countries it is offered in, the amount limits its owner (or a named payment service
provider) publishes, and the sources of each fact with the day they were checked. Market rule
files name methods by id (``payment_methods = ["card", "ideal"]``); the schema refuses an id the
registry does not know, with a "did you mean".

Names: a brand keeps the name its owner writes (``"iDEAL"``, ``"BLIK"``, ``"Mercado Pago"``),
in some languages the owner's own script (Alipay is 支付宝 in Simplified Chinese); a method
whose name is a generic phrase (card, bank transfer, cash on delivery, direct debit) is named
in every shipped language. CLDR has no payment vocabulary, so those names are the project's
translations, kept in the data file.

Availability for a quote: a method is offered for a total when it settles the total's
currency, is offered in the shopper's country, and the total is within every limit that
applies (a limit applies to its currency and, when it names countries, to those; without a
country every limit in the currency applies, the strictest deciding, so a method is never
offered where it may be refused).

>>> from pricing.money import Money, minor_unit
>>> [m["id"] for m in available_methods(["card", "afterpay"], Money.of("150.00", "AUD"), "en")]
['card', 'afterpay']
>>> [m["id"] for m in available_methods(["card", "afterpay"], Money.of("2500.00", "AUD"), "en")]
['card']
>>> available_methods(["cash_on_delivery"], Money.of("40.00", "EUR"), "de_AT")[0]["name"]
'Nachnahme'
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from babel.core import get_global

from pricing.codes import normalize_country, normalize_currency, normalize_locale
from pricing.errors import (
    CurrencyMismatchError,
    PricingError,
    Problem,
    RulesError,
    UnknownPaymentMethodError,
    did_you_mean,
    key_path,
)
from pricing.l10n.formatting import fallback_chain
from pricing.money import Money, minor_unit

__all__ = [
    "Availability",
    "Limit",
    "MethodWarning",
    "PaymentKind",
    "PaymentMethod",
    "PaymentPlan",
    "PaymentRegistry",
    "available_methods",
    "bundled_payment_methods",
    "load_payment_methods",
    "method_availability",
    "method_warnings",
    "normalize_payment_method",
    "parse_payment_methods",
    "payment_methods_markdown",
    "write_payments_doc",
]

#: Where the bundled registry lives, relative to the package (for messages and docs).
DATA_FILE = "pricing/data/payment_methods.toml"
_ID = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_ANY = "any"


class PaymentKind(StrEnum):
    """How a method moves the money; a checkout groups and words methods by kind."""

    CARD = "card"
    WALLET = "wallet"
    BANK_TRANSFER = "bank_transfer"
    BANK_DEBIT = "bank_debit"
    BANK_REDIRECT = "bank_redirect"
    INSTANT_PAYMENT = "instant_payment"
    MOBILE_MONEY = "mobile_money"
    BUY_NOW_PAY_LATER = "buy_now_pay_later"
    CASH_VOUCHER = "cash_voucher"
    CASH_ON_DELIVERY = "cash_on_delivery"


@dataclass(frozen=True, slots=True)
class Limit:
    """The smallest and largest total a method takes in one currency, as published.

    ``countries`` empty: the limit holds wherever the method is offered; otherwise only there
    (Klarna's maximum in euros differs between the Netherlands and Spain).
    """

    currency: str
    minimum: Money | None
    maximum: Money | None
    source: str
    countries: tuple[str, ...] = ()

    def applies(self, currency: str, country: str | None) -> bool:
        """Whether this limit constrains a total in ``currency`` for a shopper in
        ``country`` (an unknown country: every limit in the currency applies)."""
        if currency != self.currency:
            return False
        return not self.countries or country is None or country in self.countries

    def allows(self, total: Money) -> bool:
        """``total`` is within the limit, both ends included (a maximum of 2,000.00 takes
        2,000.00)."""
        return ((self.minimum is None or total >= self.minimum)
                and (self.maximum is None or total <= self.maximum))

    def to_dict(self, *, source: bool = True) -> dict[str, object]:
        """Currency, countries (when limited to some), min and max as exact decimal strings
        (None: no bound), and the source unless ``source`` is false."""
        out: dict[str, object] = {"currency": self.currency}
        if self.countries:
            out["countries"] = list(self.countries)
        out["min"] = None if self.minimum is None else str(self.minimum.amount)
        out["max"] = None if self.maximum is None else str(self.maximum.amount)
        if source:
            out["source"] = self.source
        return out


@dataclass(frozen=True, slots=True)
class PaymentMethod:
    """One real payment method of the registry."""

    id: str
    name: str
    kind: PaymentKind
    #: ISO 4217 codes it settles in; None: any currency (cards, wallets holding cards).
    currencies: tuple[str, ...] | None
    #: ISO 3166-1 codes of the countries where shoppers can use it; None: anywhere.
    countries: tuple[str, ...] | None
    limits: tuple[Limit, ...] = ()
    #: Its name in other languages, by locale tag (a generic phrase, or the owner's own script).
    names: Mapping[str, str] = field(default_factory=dict)
    #: The name is a generic phrase (card, bank transfer): named in every shipped language.
    generic: bool = False
    sources: tuple[str, ...] = ()
    note: str | None = None
    #: ``limits`` by currency, built once (a quote asks for one currency's limits).
    _by_currency: Mapping[str, tuple[Limit, ...]] = field(
        init=False, repr=False, compare=False, default_factory=dict)
    _sets: tuple[frozenset[str] | None, frozenset[str] | None] = field(
        init=False, repr=False, compare=False, default=(None, None))

    def __post_init__(self) -> None:
        by: dict[str, tuple[Limit, ...]] = {}
        for lim in self.limits:
            by[lim.currency] = (*by.get(lim.currency, ()), lim)
        object.__setattr__(self, "_by_currency", MappingProxyType(by))
        object.__setattr__(self, "_sets", tuple(
            None if codes is None else frozenset(codes)
            for codes in (self.currencies, self.countries)))

    def settles(self, currency: str) -> bool:
        codes = self._sets[0]
        return codes is None or currency in codes

    def offered_in(self, country: str) -> bool:
        codes = self._sets[1]
        return codes is None or country in codes

    def limits_for(self, currency: str, country: str | None = None) -> tuple[Limit, ...]:
        """The limits that apply to a total in ``currency`` for a shopper in ``country``."""
        return tuple(lim for lim in self._by_currency.get(currency, ())
                     if not lim.countries or country is None or country in lim.countries)

    def name_in(self, locale: str) -> str:
        """The name a shopper reading ``locale`` sees: the first of ``locale``'s fallback chain
        (its CLDR parents, then the language's likely script or region, so ``zh`` finds
        ``zh_Hans`` and ``pt`` finds ``pt_BR``) that has one, else :attr:`name`.

        >>> bundled_payment_methods()["bank_transfer"].name_in("fr_CA")
        'Virement bancaire'
        >>> bundled_payment_methods()["paypal"].name_in("ja_JP")
        'PayPal'
        """
        if self.names:
            for tag in _name_chain(locale):
                found = self.names.get(tag)
                if found is not None:
                    return found
        return self.name

    def to_dict(self, *, locale: str | None = None) -> dict[str, object]:
        """The whole entry: id, name (in ``locale``), kind, currencies and countries (None:
        any), limits with their sources."""
        return {
            "id": self.id,
            "name": self.name if locale is None else self.name_in(locale),
            "kind": str(self.kind),
            "currencies": None if self.currencies is None else list(self.currencies),
            "countries": None if self.countries is None else list(self.countries),
            "limits": [lim.to_dict() for lim in self.limits],
        }

    def summary(self, *, locale: str, currency: str, countries: Sequence[str]
                ) -> dict[str, object]:
        """What a market's description (``/v1/markets``) shows of this method: id, name in
        ``locale``, kind, currencies (None: any), and only the limits that apply in the
        market's ``currency`` and ``countries`` (sources are in docs/payments.md)."""
        limits = [lim for lim in self._by_currency.get(currency, ())
                  if not lim.countries or any(c in lim.countries for c in countries)]
        return {
            "id": self.id,
            "name": self.name_in(locale),
            "kind": str(self.kind),
            "currencies": None if self.currencies is None else list(self.currencies),
            "limits": [lim.to_dict(source=False) for lim in limits],
        }


@dataclass(frozen=True, slots=True)
class Availability:
    """Whether a method can pay a total, and if not, why (for explanations)."""

    method: PaymentMethod
    available: bool
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class MethodWarning:
    """A market lists a method that cannot serve all of it (a currency it does not settle, a
    country where it is not offered): not an error, since a merchant may route it through a
    provider that converts, but worth a look. ``index`` is the position in the market's
    ``payment_methods`` list."""

    index: int
    method: str
    message: str
    value: str
    expected: str


class PaymentRegistry(Mapping[str, PaymentMethod]):
    """The known payment methods by id, immutable; look-ups of unknown ids say "did you mean"."""

    __slots__ = ("_by_id", "_plans", "source")

    def __init__(self, methods: Iterable[PaymentMethod], *, source: str = DATA_FILE) -> None:
        self._by_id: Mapping[str, PaymentMethod] = MappingProxyType(
            {m.id: m for m in sorted(methods, key=lambda m: m.id)})
        self._plans: dict[tuple[tuple[str, ...], str, str | None, str], PaymentPlan] = {}
        self.source = source

    def plan(self, ids: Sequence[str], currency: str, *, country: str | None, locale: str
             ) -> PaymentPlan:
        """A market's methods for quotes in ``currency`` to ``country`` read in ``locale``:
        everything but the total checked once, kept for the next quote (compile once, quote
        many)."""
        key = (tuple(ids), currency, country, locale)
        found = self._plans.get(key)
        if found is None:
            found = PaymentPlan.build(self, *key)
            if len(self._plans) >= _MAX_PLANS:  # a bound against endless distinct locales
                self._plans.clear()
            self._plans[key] = found
        return found

    def __getitem__(self, method_id: str) -> PaymentMethod:
        return self._by_id[method_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def method(self, method_id: object, *, field: str = "payment_method") -> PaymentMethod:
        """The method with id ``method_id``; :class:`UnknownPaymentMethodError` naming the
        closest id (by id or by name: ``"Mercado Pago"`` suggests ``mercado_pago``)."""
        if isinstance(method_id, str) and method_id in self._by_id:
            return self._by_id[method_id]
        shown = method_id if isinstance(method_id, str) else repr(method_id)
        raise UnknownPaymentMethodError(
            f"unknown payment method {shown!r} (the ids are listed in docs/payments.md)",
            field=field, value=shown, expected="a payment method id such as \"card\"",
            suggestion=self.suggest(shown))

    def suggest(self, text: str) -> str | None:
        """The id most like ``text``: its snake_case form, a method's name, or a near id."""
        slug = re.sub(r"[\s\-.']+", "_", text.strip().lower()).strip("_")
        if slug in self._by_id:
            return slug
        by_name = {_fold(m.name): m.id for m in self._by_id.values()}
        if _fold(text) in by_name:
            return by_name[_fold(text)]
        return did_you_mean(slug, self._by_id)

    def availability(self, ids: Sequence[str], total: Money, *, country: str | None = None
                     ) -> tuple[Availability, ...]:
        """Each of ``ids`` (in order) with whether it can pay ``total`` and why not."""
        out = []
        for i, method_id in enumerate(ids):
            m = self._by_id.get(method_id) if isinstance(method_id, str) else None
            if m is None:
                m = self.method(method_id, field=f"payment_methods[{i}]")
            out.append(Availability(m, *_why_not(m, total, country)))
        return tuple(out)

    def warnings(self, ids: Sequence[str], *, currency: str, countries: Sequence[str],
                 market: str | None = None) -> tuple[MethodWarning, ...]:
        """What a market with ``currency`` and ``countries`` lists that cannot serve all of
        it (see :class:`MethodWarning`)."""
        where = f" (market {market!r})" if market else ""
        out: list[MethodWarning] = []
        for i, method_id in enumerate(ids):
            m = self.method(method_id, field=f"payment_methods[{i}]")
            if not m.settles(currency):
                out.append(MethodWarning(
                    i, m.id, f"{m.name} does not settle {currency}, the market currency"
                    f"{where}: shoppers would pay in another currency, converted by the "
                    "provider, or not at all; remove it or check your provider's terms",
                    value=m.id, expected=f"a method settling {currency}; {m.name} settles "
                    + ", ".join(m.currencies or ())))
            missing = [c for c in countries if not m.offered_in(c)]
            if missing:
                rest = ("" if len(missing) == len(countries) else
                        "; it stays offered in the market's other countries")
                out.append(MethodWarning(
                    i, m.id, f"{m.name} is not offered in {', '.join(missing)}{where}: "
                    f"shoppers there cannot use it{rest}",
                    value=m.id, expected=f"a method offered in {', '.join(missing)}; "
                    f"{m.name} is offered in " + ", ".join(m.countries or ())))
        return tuple(out)


_MAX_PLANS = 4096


@dataclass(frozen=True, slots=True)
class PaymentPlan:
    """A market's methods for one currency, country and locale, ready for any total: the
    methods that settle the currency and serve the country, each with its entry
    ``{"id", "name", "kind"}`` and the bounds (min, max) of the limits that apply."""

    entries: tuple[tuple[Mapping[str, str], tuple[tuple[Decimal | None, Decimal | None],
                                                  ...]], ...]
    currency: str

    @classmethod
    def build(cls, registry: PaymentRegistry, ids: tuple[str, ...], currency: str,
              country: str | None, locale: str) -> PaymentPlan:
        where = None if country is None else normalize_country(country, field="country")
        normalize_locale(locale, field="locale")
        entries = []
        for i, method_id in enumerate(ids):
            m = registry.method(method_id, field=f"payment_methods[{i}]")
            if not m.settles(currency) or (where is not None and not m.offered_in(where)):
                continue
            bounds = tuple((None if lim.minimum is None else lim.minimum.amount,
                            None if lim.maximum is None else lim.maximum.amount)
                           for lim in m.limits_for(currency, where))
            entry = MappingProxyType({"id": m.id, "name": m.name_in(locale),
                                      "kind": str(m.kind)})
            entries.append((entry, bounds))
        return cls(tuple(entries), currency)

    def for_total(self, total: Money) -> list[dict[str, str]]:
        """The entries whose limits take ``total`` (ends included), in the market's order."""
        if total.currency != self.currency:
            raise CurrencyMismatchError(
                f"a payment plan for {self.currency} cannot check a total in {total.currency}",
                value=f"{self.currency}/{total.currency}")
        amount = total.amount
        return [dict(entry) for entry, bounds in self.entries
                if all((lo is None or lo <= amount) and (hi is None or amount <= hi)
                       for lo, hi in bounds)]


def _fold(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", text.lower())


def _why_not(m: PaymentMethod, total: Money, country: str | None) -> tuple[bool, str | None]:
    if not m.settles(total.currency):
        return False, f"{m.name} does not settle {total.currency}"
    if country is not None and not m.offered_in(country):
        return False, f"{m.name} is not offered in {country}"
    for lim in m.limits_for(total.currency, country):
        if lim.minimum is not None and total < lim.minimum:
            return False, f"the total {total} is below {m.name}'s minimum {lim.minimum}"
        if lim.maximum is not None and total > lim.maximum:
            return False, f"the total {total} is above {m.name}'s maximum {lim.maximum}"
    return True, None


@lru_cache(maxsize=1024)
def _name_chain(locale: str) -> tuple[str, ...]:
    """``locale``'s fallback chain, each bare language followed by its likely script and
    region (CLDR likely subtags), as the shipped folders name them (zh_Hans, pt_BR)."""
    out: dict[str, None] = {}
    likely = get_global("likely_subtags")
    for tag in fallback_chain(locale):
        out.setdefault(tag)
        if "_" not in tag and tag in likely:
            parts = likely[tag].split("_")
            for sub in parts[1:]:  # the likely script (4 letters), then region
                out.setdefault(f"{tag}_{sub}")
    return tuple(out)


# -- the data file ----------------------------------------------------------------------------

_METHOD_KEYS = {"name", "kind", "currencies", "countries", "limits", "names", "generic",
                "sources", "note"}
_LIMIT_KEYS = {"min", "max", "countries", "source"}


class _Problems:
    def __init__(self, file: str) -> None:
        self.file = file
        self.items: list[Problem] = []

    def add(self, path: Sequence[str | int], message: str, *, value: object = None,
            expected: str | None = None, suggestion: str | None = None) -> None:
        self.items.append(Problem(self.file, key_path(path), message,
                                  value=None if value is None else repr(value),
                                  expected=expected, suggestion=suggestion))

    def check(self, path: Sequence[str | int], fn: Any, value: object) -> Any:
        """``fn(value)``, or None with a problem naming ``path`` when it raises."""
        try:
            return fn(value)
        except PricingError as e:
            self.add(path, e.message, value=value, expected=e.expected, suggestion=e.suggestion)
        return None


def _text(problems: _Problems, path: Sequence[str | int], value: object, *,
          required: bool = True) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or value != value.strip():
        problems.add(path, "expected a non-empty string without surrounding spaces",
                     value=value)
        return None
    return value


def _codes(problems: _Problems, path: Sequence[str | int], value: object, normalize: Any,
           ) -> tuple[str, ...] | None:
    if value == _ANY:
        return None
    if not isinstance(value, list) or not value:
        problems.add(path, f'expected "{_ANY}" or a non-empty list of codes', value=value)
        return ()
    out = [problems.check((*path, i), normalize, v) for i, v in enumerate(value)]
    codes = tuple(c for c in out if c is not None)
    if len(set(codes)) != len(codes):
        problems.add(path, "a code is listed twice", value=value)
    return codes


def _limit(problems: _Problems, path: tuple[str | int, ...], raw: object,
           method_countries: tuple[str, ...] | None, method_currencies: tuple[str, ...] | None,
           ) -> Limit | None:
    if not isinstance(raw, dict):
        problems.add(path, 'expected a table { min = "1.00 EUR", max = ..., source = ... }',
                     value=raw)
        return None
    for key in sorted(set(raw) - _LIMIT_KEYS):
        problems.add((*path, key), f"unknown key {key!r}", expected=", ".join(sorted(
            _LIMIT_KEYS)), suggestion=did_you_mean(key, _LIMIT_KEYS))
    ends: dict[str, Money | None] = {}
    for key in ("min", "max"):
        value = raw.get(key)
        if value is not None and not isinstance(value, str):
            problems.add((*path, key), 'write money as a string "AMOUNT CURRENCY"',
                         value=value, expected='e.g. "2000.00 AUD"')
            value = None
        ends[key] = None if value is None else problems.check((*path, key), Money.parse, value)
    for key, end in ends.items():
        if end is None:
            continue
        unit = minor_unit(end.currency)
        if end.amount < 0 or end.amount != end.amount.quantize(unit):
            problems.add((*path, key), f"{end} is not an amount a shopper can pay: it must be "
                         f"zero or more, in whole minor units of {end.currency} ({unit})",
                         value=raw.get(key))
            ends[key] = None
        else:  # one spelling in every output: "1000000 HUF" is 1000000.00 HUF
            ends[key] = Money(end.amount.quantize(unit), end.currency)
    source = _text(problems, (*path, "source"), raw.get("source"))
    lo, hi = ends["min"], ends["max"]
    if "min" not in raw and "max" not in raw:
        problems.add(path, "a limit needs min, max or both")
        return None
    if lo is None and hi is None:
        return None
    if lo is not None and hi is not None:
        if lo.currency != hi.currency:
            problems.add(path, f"min is in {lo.currency} and max in {hi.currency}; a limit has "
                         "one currency", value=raw)
            return None
        if lo > hi:
            problems.add(path, f"min {lo} is above max {hi}", value=raw,
                         expected="min at or below max")
            return None
    currency = (lo or hi).currency  # type: ignore[union-attr]
    if method_currencies is not None and currency not in method_currencies:
        problems.add(path, f"a limit in {currency}, which the method does not settle",
                     expected=", ".join(method_currencies))
    countries = _codes(problems, (*path, "countries"), raw["countries"], normalize_country) if (
        "countries" in raw) else ()
    if countries is None:
        countries = ()  # "any" is the default
    if method_countries is not None:
        for c in countries:
            if c not in method_countries:
                problems.add((*path, "countries"), f"{c} is not one of the method's countries",
                             expected=", ".join(method_countries))
    if source is None:
        return None
    return Limit(currency, lo, hi, source, countries)


def _method(problems: _Problems, method_id: str, raw: object) -> PaymentMethod | None:
    path: tuple[str | int, ...] = ("methods", method_id)
    if not _ID.fullmatch(method_id):
        problems.add(path, "ids are snake_case: lowercase letters and digits joined by _",
                     value=method_id, expected='e.g. "mercado_pago"')
    if not isinstance(raw, dict):
        problems.add(path, "expected a table [methods.<id>]", value=raw)
        return None
    for key in sorted(set(raw) - _METHOD_KEYS):
        problems.add((*path, key), f"unknown key {key!r}",
                     expected=", ".join(sorted(_METHOD_KEYS)),
                     suggestion=did_you_mean(key, _METHOD_KEYS))
    for key in ("name", "kind", "currencies", "countries", "sources"):
        if key not in raw:
            problems.add((*path, key), "required key is missing")
    count = len(problems.items)
    name = _text(problems, (*path, "name"), raw.get("name"))
    kind_raw = raw.get("kind")
    kind = None
    try:
        kind = PaymentKind(kind_raw)
    except ValueError:
        problems.add((*path, "kind"), "not a kind of payment method", value=kind_raw,
                     expected=", ".join(k.value for k in PaymentKind),
                     suggestion=did_you_mean(str(kind_raw), [k.value for k in PaymentKind]))
    currencies = _codes(problems, (*path, "currencies"), raw.get("currencies"),
                        normalize_currency)
    countries = _codes(problems, (*path, "countries"), raw.get("countries"), normalize_country)
    generic = raw.get("generic", False)
    if not isinstance(generic, bool):
        problems.add((*path, "generic"), "expected true or false", value=generic)
    names: dict[str, str] = {}
    raw_names = raw.get("names", {})
    if not isinstance(raw_names, dict):
        problems.add((*path, "names"), "expected a table of locale = name", value=raw_names)
    else:
        for tag, text in raw_names.items():
            norm = problems.check((*path, "names", tag),
                                  lambda t: normalize_locale(t, field="names"), tag)
            value = _text(problems, (*path, "names", tag), text)
            if norm is not None and value is not None:
                names[tag] = value
    sources = raw.get("sources")
    if not isinstance(sources, list) or not sources:
        problems.add((*path, "sources"), "list the public sources of this method's facts, each "
                     "with the day it was checked", value=sources)
    else:
        for i, s in enumerate(sources):
            _text(problems, (*path, "sources", i), s)
    note = _text(problems, (*path, "note"), raw.get("note"), required=False)
    limits: list[Limit] = []
    raw_limits = raw.get("limits", [])
    if not isinstance(raw_limits, list):
        problems.add((*path, "limits"), "expected a list of limits", value=raw_limits)
    else:
        for i, item in enumerate(raw_limits):
            lim = _limit(problems, (*path, "limits", i), item, countries, currencies)
            if lim is not None:
                limits.append(lim)
        _overlapping_limits(problems, (*path, "limits"), limits)
    if len(problems.items) > count or name is None or kind is None or currencies == () or (
            countries == ()):
        return None
    return PaymentMethod(method_id, name, kind, currencies, countries, tuple(limits),
                         MappingProxyType(names), bool(generic), tuple(sources or ()), note)


def _overlapping_limits(problems: _Problems, path: tuple[str | int, ...],
                        limits: Sequence[Limit]) -> None:
    """Two limits in one currency for the same countries would leave a reader guessing."""
    seen: dict[tuple[str, str], int] = {}
    for i, lim in enumerate(limits):
        for c in lim.countries or ("*",):
            key = (lim.currency, c)
            if key in seen:
                where = "every country" if c == "*" else c
                problems.add((*path, i), f"a second limit in {lim.currency} for {where} (the "
                             f"first is limits[{seen[key]}]); merge them")
            seen.setdefault(key, i)


def parse_payment_methods(data: Mapping[str, Any], *, file: str = DATA_FILE
                          ) -> PaymentRegistry:
    """A registry from parsed TOML; :class:`RulesError` listing every problem of the file."""
    problems = _Problems(file)
    for key in sorted(set(data) - {"methods"}):
        problems.add((key,), f"unknown key {key!r}", expected="[methods.<id>] tables")
    raw = data.get("methods")
    methods: list[PaymentMethod] = []
    if not isinstance(raw, dict) or not raw:
        problems.add(("methods",), "no [methods.<id>] tables")
    else:
        for method_id, item in raw.items():
            m = _method(problems, method_id, item)
            if m is not None:
                methods.append(m)
    if problems.items:
        raise RulesError(problems.items)
    return PaymentRegistry(methods, source=file)


def load_payment_methods(path: str | Path) -> PaymentRegistry:
    """A registry from a TOML file laid out like the bundled one (see :data:`DATA_FILE`)."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text("utf-8"))
    except OSError as e:
        raise RulesError([Problem(str(p), "", f"cannot read the file: {e.strerror}")]) from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise RulesError([Problem(str(p), "", f"not a valid UTF-8 TOML file: {e}")]) from None
    return parse_payment_methods(data, file=str(p))


@cache
def bundled_payment_methods() -> PaymentRegistry:
    """The registry shipped in the package (read once, then cached)."""
    text = (resources.files("pricing") / "data" / "payment_methods.toml").read_text("utf-8")
    return parse_payment_methods(tomllib.loads(text))


# -- the functions the rest of the package calls ----------------------------------------------

def normalize_payment_method(value: object) -> str:
    """``value`` when it is an id of the bundled registry (the rule schema's check).

    >>> normalize_payment_method("ideal")
    'ideal'
    >>> normalize_payment_method("iDEAL")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pricing.errors.UnknownPaymentMethodError: unknown payment method 'iDEAL' ...
    """
    return bundled_payment_methods().method(value, field="payment_methods").id


def method_availability(ids: Sequence[str], total: Money, *, country: str | None = None,
                        registry: PaymentRegistry | None = None) -> tuple[Availability, ...]:
    """Each method of ``ids`` (a market's list, in its order) with whether it can pay
    ``total`` for a shopper in ``country`` and, if not, why."""
    reg = registry or bundled_payment_methods()
    where = None if country is None else normalize_country(country, field="country")
    return reg.availability(ids, total, country=where)


def available_methods(ids: Sequence[str], total: Money, locale: str, *,
                      country: str | None = None, registry: PaymentRegistry | None = None
                      ) -> list[dict[str, str]]:
    """The methods of ``ids`` that can pay ``total``, in the market's order, each
    ``{"id", "name", "kind"}`` with the name in ``locale``.

    A method is left out when it does not settle the total's currency, is not offered in
    ``country`` (when given), or the total is outside a limit that applies (both ends count
    as inside). An unknown locale raises :class:`~pricing.errors.InvalidCodeError`.
    What does not depend on the total is worked out once per market, currency, country and
    locale (:meth:`PaymentRegistry.plan`), so a quote pays only for the limit checks.
    """
    reg = registry or bundled_payment_methods()
    return reg.plan(ids, total.currency, country=country, locale=locale).for_total(total)


def method_warnings(ids: Sequence[str], *, currency: str, countries: Sequence[str],
                    market: str | None = None, registry: PaymentRegistry | None = None
                    ) -> tuple[MethodWarning, ...]:
    """The warnings for a market's ``payment_methods`` (``pricing validate --warnings``):
    methods that do not settle the market ``currency`` or are not offered in some of its
    ``countries``. Unknown ids raise (the schema refuses them before this runs)."""
    reg = registry or bundled_payment_methods()
    return reg.warnings(ids, currency=currency, countries=countries, market=market)


# -- docs/payments.md -------------------------------------------------------------------------

def payment_methods_markdown(registry: PaymentRegistry | None = None) -> str:
    """``docs/payments.md``: the registry as a reader looks it up (generated by
    :func:`write_payments_doc`; a test keeps the file current)."""
    reg = registry or bundled_payment_methods()
    kinds = sorted({m.kind for m in reg.values()}, key=list(PaymentKind).index)
    out = [
        "# Payment methods",
        "",
        "<!-- Generated from pricing/data/payment_methods.toml by `python -c \"from "
        "pricing.payments import write_payments_doc; write_payments_doc()\"`; do not edit by "
        "hand. -->",
        "",
        "The ids a market's `payment_methods` may name (see [rules.md](rules.md)), from the "
        "registry bundled in `pricing/data/payment_methods.toml`. A quote lists those that can "
        "pay its total: the method settles the total's currency, is offered in the "
        "destination country, and the total is within the limits below (both ends included). "
        "Limits are those the method's owner publishes or, where it publishes none, the "
        "payment service provider named in the source; your provider's contract may differ. "
        "\"any\": no restriction known to the registry.",
        "",
        f"{len(reg)} methods; kinds: " + ", ".join(f"`{k}`" for k in kinds) + ".",
        "",
        "| id | name | kind | currencies | countries | limits |",
        "|---|---|---|---|---|---|",
    ]
    for m in reg.values():
        limits = "; ".join(_limit_text(lim) for lim in m.limits) or "none published"
        out.append(f"| `{m.id}` | {m.name} | {m.kind} | {_list_text(m.currencies)} | "
                   f"{_list_text(m.countries)} | {limits} |")
    out += ["", "## Names in other languages", "",
            "Generic names are given in every shipped language; brands keep the name their "
            "owner writes, and some owners write it in another script for their own "
            "language.", ""]
    for m in reg.values():
        if m.names:
            label = "generic" if m.generic else "brand"
            names = ", ".join(f"{tag}: {text}" for tag, text in sorted(m.names.items()))
            out.append(f"- `{m.id}` ({label}, {m.name}): {names}")
    out += ["", "## Sources", ""]
    for m in reg.values():
        out.append(f"- `{m.id}`: " + "; ".join(m.sources)
                   + (f" Note: {m.note}" if m.note else ""))
        for lim in m.limits:
            # a limit read on one of the method's own sources is not cited twice
            cited = "" if lim.source in m.sources else f": {lim.source}"
            out.append(f"  - limit {_limit_text(lim)}{cited}")
    return "\n".join(out) + "\n"


def _list_text(codes: tuple[str, ...] | None) -> str:
    return "any" if codes is None else ", ".join(codes)


def _limit_text(lim: Limit) -> str:
    lo = "" if lim.minimum is None else str(lim.minimum.amount)
    hi = "" if lim.maximum is None else str(lim.maximum.amount)
    where = f" ({', '.join(lim.countries)})" if lim.countries else ""
    return f"{lim.currency} {lo}–{hi}{where}"



def write_payments_doc(path: str | Path = "docs/payments.md") -> Path:
    """Write :func:`payment_methods_markdown` to ``path`` (run from the repository root:
    ``python -c "from pricing.payments import write_payments_doc; write_payments_doc()"``)."""
    target = Path(path)
    target.write_text(payment_methods_markdown(), "utf-8")
    return target
