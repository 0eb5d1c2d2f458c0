"""Exchange rates: an immutable rate table with provenance per currency, and merchant files.

A :class:`RateTable` holds, for one base currency, how many units of each other currency one
unit of the base buys. Each currency carries its :class:`RateOrigin`: who published its rate and
on which day, and for an official peg the anchor and the parity. Cross rates go through the
base, except between two currencies tied by pegs to the same root (AED and SAR through USD,
XOF and EUR), which convert at the fixed parity and never age. Sources:

* :func:`pricing.ratesources.bundled_rates` - offline, the default: the ECB reference rates of
  the newest day in the bundled history, official pegs, and a dated snapshot of the currencies
  neither covers (:mod:`pricing.ratesources` says where each comes from);
* :func:`load_rates_file` - a merchant's file: ECB XML, CSV (``currency,rate`` rows with ``base``
  and ``date`` columns) or JSON (``{"base", "date", "rates"}``, as ``pricing rates update``
  writes it); the official pegs and, for currencies the file lacks, the bundled rates of its
  day are added with their own origin;
* :class:`LiveRates` - forex-python, only with the ``live-rates`` extra, with a timeout, keeping
  the last good table (and what it had that the live feed lacks) when the remote service fails.

Cross rates are computed to 12 significant digits (half-even) and that exact figure is what a
quote reports and uses, so a quote can always be recomputed from what it prints.

>>> t = RateTable.from_mapping({"USD": "1.0705", "GBP": "0.84638"}, base="EUR",
...                            as_of=date(2024, 6, 28), source="example")
>>> t.rate("EUR", "USD").rate
Decimal('1.0705')
>>> t.rate("USD", "GBP").rate
Decimal('0.790639887903')
"""

from __future__ import annotations

import csv
import io
import json
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pricing.codes import currency_codes, normalize_currency
from pricing.errors import CurrencyError, MissingRateError, RatesError
from pricing.money import Money, Rounding

__all__ = [
    "ExchangeRate",
    "LiveRates",
    "RateOrigin",
    "RateTable",
    "age_warnings",
    "bundled_rates",
    "load_rates_file",
    "parse_ecb_xml",
]

_CROSS = Context(prec=12, rounding=ROUND_HALF_EVEN)
#: Products of two rates (at most 12 digits each) are exact in this context.
_EXACT = Context(prec=40, rounding=ROUND_HALF_EVEN)
#: Codes the ECB once published that are no longer ISO 4217: replaced by the euro, or
#: redenominated (ROL by RON in 2005, TRL by TRY in 2005).
RETIRED = frozenset({"BGN", "HRK", "LTL", "LVL", "EEK", "SKK", "CYP", "MTL", "SIT", "ROL",
                     "TRL"})
_ECB_NS = "{http://www.ecb.int/vocabulary/2002-08-01/eurofxref}"
#: Rates outside this band are typos, not currencies (the weakest, IRR, is ~1.6 million per
#: EUR at the free-market rate of 2026).
_MIN_RATE, _MAX_RATE = Decimal("0.000001"), Decimal("10000000")


@dataclass(frozen=True, slots=True)
class RateOrigin:
    """Where one currency's rate in a table comes from: the publisher and its day.

    A pegged currency also names its ``anchor`` and the official ``parity`` (units of the
    currency per unit of the anchor): against its anchor it converts at that fixed figure.
    """

    source: str
    as_of: date
    anchor: str | None = None
    parity: Decimal | None = None

    def to_dict(self) -> dict[str, str]:
        out = {"source": self.source, "date": self.as_of.isoformat()}
        if self.anchor is not None and self.parity is not None:
            out |= {"anchor": self.anchor, "parity": str(self.parity)}
        return out


@dataclass(frozen=True, slots=True)
class ExchangeRate:
    """One rate with its provenance: ``1 source_currency = rate target``.

    ``as_of`` is the day of the older of the two currencies' rates, ``dated_by`` that
    currency; a ``fixed`` rate (a currency into itself, or two currencies pegged to one root)
    does not age.
    """

    source_currency: str
    target: str
    rate: Decimal
    source: str
    as_of: date
    dated_by: str | None = None
    fixed: bool = False

    def convert(self, money: Money) -> Money:
        """Unrounded conversion of ``money`` (in ``source_currency``) into ``target``."""
        if money.currency != self.source_currency:
            raise MissingRateError(f"this rate converts {self.source_currency}, "
                                   f"not {money.currency}", value=money.currency)
        return Money(money.amount * self.rate, self.target)

    def age_days(self, on: date) -> int:
        """Days from the rate's publication to ``on`` (0 for a fixed rate)."""
        return 0 if self.fixed else (on - self.as_of).days


def age_warnings(rates: Iterable[ExchangeRate], on: date, *, max_days: int) -> tuple[str, ...]:
    """What a quote dated ``on`` says about the age of the rates it converted with.

    Fixed rates (a currency into itself, official pegs between the two currencies) never age,
    so a quote that converted nothing gets no warning. The warning names each stale currency
    (the one whose rate is older, in a cross rate), oldest first.

    >>> uah = ExchangeRate("EUR", "UAH", Decimal("51.03"), "currency-api", date(2026, 9, 29),
    ...                    dated_by="UAH")
    >>> age_warnings([uah], date(2026, 10, 2), max_days=7)
    ()
    >>> print(age_warnings([uah], date(2026, 11, 29), max_days=7)[0])
    ... # doctest: +NORMALIZE_WHITESPACE
    exchange rates are from 2026-09-29 (61 days before the quote date; limit 7) for UAH:
    update them with `pricing rates update`
    >>> same = ExchangeRate("EUR", "EUR", Decimal(1), "ECB", date(2020, 1, 2), fixed=True)
    >>> age_warnings([same], date(2026, 11, 29), max_days=7)
    ()
    """
    used = {(r.as_of, r.dated_by or r.target) for r in rates if not r.fixed}
    out: list[str] = []
    future = sorted(u for u in used if u[0] > on)
    if future:
        out.append(f"exchange rates are dated {future[-1][0]}, after the quote date {on}, for "
                   f"{_names(future)}: the quote uses rates that were not yet published that "
                   "day")
    stale = sorted(u for u in used if (on - u[0]).days > max_days)
    if stale:
        oldest = stale[0][0]
        out.append(f"exchange rates are from {oldest} ({(on - oldest).days} days before the "
                   f"quote date; limit {max_days}) for {_names(stale)}: update them with "
                   "`pricing rates update`")
    return tuple(out)


def _names(dated: list[tuple[date, str]]) -> str:
    """``UAH, USD`` when they share a day, else ``UAH (2026-09-29), USD (2026-10-30)``."""
    first: dict[str, date] = {}
    for d, cur in dated:
        first.setdefault(cur, d)
    if len(set(first.values())) == 1:
        return ", ".join(first)
    return ", ".join(f"{cur} ({d})" for cur, d in first.items())


@dataclass(frozen=True, slots=True)
class RateTable:
    """Units of each currency per one unit of ``base``, as of a date, from a named source.

    ``as_of`` and ``source`` describe the table as a whole (the day and publisher of its main
    source); ``origins`` names those of each currency that came from elsewhere (a peg, an
    older snapshot), and :meth:`origin` answers for every currency.
    """

    base: str
    as_of: date
    source: str
    rates: Mapping[str, Decimal] = field(default_factory=dict)
    origins: Mapping[str, RateOrigin] = field(default_factory=dict)
    #: Cross rates already computed (the table is immutable, so they never go stale).
    _cross: dict[tuple[str, str], ExchangeRate] = field(default_factory=dict, compare=False,
                                                        hash=False, repr=False)

    @classmethod
    def from_mapping(cls, rates: Mapping[str, object], *, base: str, as_of: date,
                     source: str, origins: Mapping[str, RateOrigin] | None = None
                     ) -> RateTable:
        """Validate and freeze a mapping of currency to rate (strings or Decimals).

        ``origins`` gives the source and day of the currencies that do not share the table's.
        """
        try:
            base = normalize_currency(base, field="base")
        except CurrencyError as e:
            raise RatesError(f"rates base: {e.message}", field="base", value=base) from None
        clean: dict[str, Decimal] = {}
        for code, raw in rates.items():
            cur = _currency(code, source)
            if isinstance(raw, float | bool):
                raise RatesError(f"rate for {cur} must be a decimal string, not {raw!r}",
                                 field=cur, value=raw)
            try:
                r = Decimal(str(raw).strip())
            except InvalidOperation:
                raise RatesError(f"rate for {cur} is not a number: {raw!r}", field=cur,
                                 value=raw, expected="a positive decimal") from None
            if not r.is_finite() or r <= 0:
                raise RatesError(f"rate for {cur} must be a positive number, not {raw!r}",
                                 field=cur, value=raw, expected="a positive decimal")
            if not (_MIN_RATE <= r <= _MAX_RATE):
                raise RatesError(f"rate for {cur} is implausible: {raw!r}", field=cur,
                                 value=raw, expected=f"between {_MIN_RATE} and {_MAX_RATE}")
            clean[cur] = r
        if not clean:
            raise RatesError(f"the rates from {source} hold no currency",
                             expected="at least one currency,rate entry")
        clean[base] = Decimal(1)
        own = RateOrigin(source, as_of)
        kept: dict[str, RateOrigin] = {}
        for code, origin in (origins or {}).items():
            cur = _currency(code, source)
            if cur not in clean or cur == base:
                raise RatesError(f"the rates from {source} give an origin for {cur} but no "
                                 "rate", field=cur, expected="an origin per rate given")
            if origin.anchor is not None and origin.anchor not in clean:
                raise RatesError(f"{cur} is pegged to {origin.anchor}, which has no rate in "
                                 f"the rates from {source}", field=cur, value=origin.anchor)
            if origin != own:
                kept[cur] = origin
        return cls(base, as_of, source, MappingProxyType(dict(sorted(clean.items()))),
                   MappingProxyType(dict(sorted(kept.items()))))

    @property
    def currencies(self) -> frozenset[str]:
        return frozenset(self.rates)

    def origin(self, currency: str) -> RateOrigin:
        """Who published ``currency``'s rate in this table, and when."""
        found = self.origins.get(currency)
        return found if found is not None else RateOrigin(self.source, self.as_of)

    def rate(self, source_currency: str, target: str) -> ExchangeRate:
        """The rate converting ``source_currency`` into ``target`` (through the base, or at
        the official parity when both are pegged to one root)."""
        cached = self._cross.get((source_currency, target))
        if cached is not None:
            return cached
        for cur in (source_currency, target):
            if cur not in self.rates:
                raise MissingRateError(
                    f"no exchange rate for {cur} in the {self.source} table of {self.as_of}; "
                    "add it to a rates file (pricing rates update --from FILE)",
                    field="currency", value=cur, expected=", ".join(sorted(self.rates)))
        root_a, per_a, pegs_a = self._root(source_currency)
        root_b, per_b, pegs_b = self._root(target)
        if root_a == root_b:
            # Same currency, or tied to one root by official pegs: the parity, not the market.
            r = Decimal(1) if source_currency == target else _CROSS.divide(per_b, per_a)
            found = ExchangeRate(source_currency, target, r,
                                 " + ".join(dict.fromkeys(pegs_a + pegs_b)) or self.source,
                                 self.as_of, fixed=True)
        else:
            r = _CROSS.divide(self.rates[target], self.rates[source_currency])
            legs = [(self.origin(c), c, self._leg_source(c))
                    for c in (source_currency, target) if c != self.base]
            oldest, dated_by, _ = min(legs, key=lambda leg: leg[0].as_of)
            found = ExchangeRate(source_currency, target, r,
                                 " + ".join(dict.fromkeys(s for _, _, s in legs)),
                                 oldest.as_of, dated_by=dated_by)
        self._cross[(source_currency, target)] = found
        return found

    def _root(self, currency: str) -> tuple[str, Decimal, tuple[str, ...]]:
        """The currency a chain of pegs ties ``currency`` to, units of ``currency`` per unit of
        that root, and the pegs on the way (their sources)."""
        per, pegs, seen = Decimal(1), (), {currency}
        origin = self.origins.get(currency)
        while origin is not None and origin.anchor is not None and origin.parity is not None:
            per = _EXACT.multiply(per, origin.parity)
            pegs += (origin.source,)
            currency = origin.anchor
            if currency in seen:  # a peg cycle in a hand-written file: no fixed root
                break
            seen.add(currency)
            origin = self.origins.get(currency)
        return currency, per, pegs

    def _leg_source(self, currency: str) -> str:
        """Where ``currency``'s rate from the base comes from: ``ECB USD x peg 3.6725 AED/USD
        (...)`` for a pegged one."""
        root, _, pegs = self._root(currency)
        if not pegs:
            return self.origin(currency).source
        chain = " x ".join(reversed(pegs))
        return chain if root == self.base else f"{self.origin(root).source} {root} x {chain}"

    def convert(self, money: Money, target: str, *,
                mode: Rounding = Rounding.HALF_UP) -> Money:
        """``money`` in ``target``, rounded to its minor unit with ``mode``."""
        return self.rate(money.currency, target).convert(money).round(mode=mode)

    def age_days(self, on: date) -> int:
        return (on - self.as_of).days

    def to_dict(self) -> dict[str, object]:
        """The table as ``pricing rates update`` writes it and ``/v1/rates`` shows it."""
        out: dict[str, object] = {
            "base": self.base, "date": self.as_of.isoformat(), "source": self.source,
            "rates": {k: str(v) for k, v in self.rates.items()}}
        if self.origins:
            out["origins"] = {k: o.to_dict() for k, o in self.origins.items()}
        return out


def _currency(code: object, source: str) -> str:
    try:
        return normalize_currency(str(code), field="currency")
    except CurrencyError as e:
        raise RatesError(f"unknown currency {code!r} in the rates from {source}",
                         field=str(code), value=code, expected="ISO 4217 codes",
                         suggestion=e.suggestion) from None


# -- parsers ------------------------------------------------------------------------------

def parse_ecb_xml(text: str | bytes, *, source: str = "ECB") -> RateTable:
    """The ECB ``eurofxref`` XML (``gesmes:Envelope`` / ``Cube time`` / ``Cube currency rate``).

    Only the newest day in the file is used. The parser reads attributes only; a document
    type declaration (which could define entities) is refused, nothing external is loaded.
    """
    head = text[:4096] if isinstance(text, bytes) else text[:4096].encode("utf-8", "replace")
    if b"<!DOCTYPE" in head.upper() or b"<!ENTITY" in head.upper():
        raise RatesError(f"{source}: a document type declaration is not allowed in a rates "
                         "file", field=source, expected="the ECB eurofxref XML format")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        raise RatesError(f"{source}: not well-formed XML ({e})", field=source) from None
    days = [c for c in root.iter(f"{_ECB_NS}Cube") if "time" in c.attrib]
    if not days:
        days = [c for c in root.iter("Cube") if "time" in c.attrib]
    if not days:
        raise RatesError(f"{source}: no <Cube time=...> element: not an ECB reference-rates file",
                         field=source, expected="the ECB eurofxref XML format")
    day = max(days, key=lambda c: c.attrib["time"])
    try:
        as_of = date.fromisoformat(day.attrib["time"])
    except ValueError:
        raise RatesError(f"{source}: bad date {day.attrib['time']!r}", field="time",
                         value=day.attrib["time"], expected="YYYY-MM-DD") from None
    # A currency the ECB once published and that has since been replaced by the euro (BGN from
    # 2026-01-01) is no longer ISO 4217: skip it rather than refuse the whole file. Any other
    # unknown code is still an error.
    current = currency_codes()
    rates = {c.attrib.get("currency", "?"): c.attrib.get("rate", "") for c in day
             if c.attrib.get("currency") in current
             or c.attrib.get("currency") not in RETIRED}
    return RateTable.from_mapping(rates, base="EUR", as_of=as_of, source=source)


def _parse_csv(text: str, source: str) -> RateTable:
    rows = [r for r in csv.DictReader(io.StringIO(
        "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))))]
    if not rows:
        raise RatesError(f"{source}: no rows", expected="a header base,date,currency,rate")
    missing = {"base", "date", "currency", "rate"} - set(rows[0])
    if missing:
        raise RatesError(f"{source}: missing column(s) {', '.join(sorted(missing))}",
                         expected="columns base,date,currency,rate")
    bases = {(r["base"] or "").strip() for r in rows}
    dates = {(r["date"] or "").strip() for r in rows}
    if len(bases) != 1 or len(dates) != 1:
        raise RatesError(f"{source}: every row must share one base and one date",
                         value=f"bases {sorted(bases)}, dates {sorted(dates)}")
    return RateTable.from_mapping({(r["currency"] or "").strip(): r["rate"] for r in rows},
                                  base=bases.pop(), as_of=_date(dates.pop(), source),
                                  source=source)


def _parse_json(text: str, source: str) -> RateTable:
    try:
        data = json.loads(text)  # numbers stay floats here, and from_mapping refuses them
    except json.JSONDecodeError as e:
        raise RatesError(f"{source}: invalid JSON at line {e.lineno} column {e.colno}: {e.msg}"
                         ) from None
    if not isinstance(data, dict) or not isinstance(data.get("rates"), dict):
        raise RatesError(f"{source}: expected an object with base, date and rates",
                         expected='{"base": "EUR", "date": "2024-06-28", "rates": {...}}')
    origins = data.get("origins", {})
    if not isinstance(origins, dict):
        raise RatesError(f"{source}: origins must be an object of currency to "
                         '{"source", "date"}', field="origins")
    return RateTable.from_mapping(
        data["rates"], base=str(data.get("base", "")),
        as_of=_date(str(data.get("date", "")), source),
        # The file's own name, unless it says where its rates came from (rates update does).
        source=str(data["source"]) if isinstance(data.get("source"), str) and data["source"]
        else source,
        origins={str(k): _origin(k, v, source) for k, v in origins.items()})


def _origin(code: object, raw: Any, source: str) -> RateOrigin:
    where = f"origins.{code}"
    if not isinstance(raw, dict) or not isinstance(raw.get("source"), str):
        raise RatesError(f"{source}: {where} must be an object with source and date",
                         field=where, value=raw, expected='{"source": "...", '
                         '"date": "YYYY-MM-DD"}')
    unknown = set(raw) - {"source", "date", "anchor", "parity"}
    if unknown:
        raise RatesError(f"{source}: {where} has unknown key(s) {', '.join(sorted(unknown))}",
                         field=where, expected="source, date, anchor, parity")
    anchor, parity = raw.get("anchor"), raw.get("parity")
    if (anchor is None) != (parity is None):
        raise RatesError(f"{source}: {where} needs both anchor and parity, or neither",
                         field=where)
    peg: Decimal | None = None
    if parity is not None:
        try:
            peg = Decimal(str(parity)) if isinstance(parity, str) else None
        except InvalidOperation:
            peg = None
        if peg is None or not peg.is_finite() or peg <= 0:
            raise RatesError(f"{source}: {where}.parity must be a positive decimal string",
                             field=f"{where}.parity", value=parity)
        anchor = _currency(anchor, source)
    return RateOrigin(raw["source"], _date(str(raw.get("date", "")), source), anchor, peg)


def _date(text: str, source: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise RatesError(f"{source}: bad date {text!r}", field="date", value=text,
                         expected="YYYY-MM-DD") from None


def load_rates_file(path: str | Path, *, complete: bool = True) -> RateTable:
    """Read a rates file (ECB XML, CSV or JSON, by content) into a validated table.

    With ``complete`` (the default) the official pegs are added, and every currency the file
    lacks gets the bundled rate of the file's day (:func:`pricing.ratesources.complete_table`),
    each with its own origin so quotes and the stale warning name it. The file's own rates
    always win.
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise RatesError(f"cannot read rates file {p}: {e.strerror}", field=str(p)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RatesError(f"{p}: not UTF-8 text", field=str(p)) from None
    stripped = text.lstrip()
    if not stripped:
        raise RatesError(f"{p}: the file is empty", field=str(p))
    name = f"file:{p.name}"
    if stripped.startswith("<"):
        table = parse_ecb_xml(raw, source=name)
    elif stripped.startswith("{"):
        table = _parse_json(text, name)
    else:
        table = _parse_csv(text, name)
    if not complete:
        return table
    from pricing.ratesources import complete_table

    return complete_table(table)


def bundled_rates(*, on: date | None = None) -> RateTable:
    """The rates shipped with the package, offline, of the day ``on`` or the newest: see
    :func:`pricing.ratesources.bundled_rates`."""
    from pricing.ratesources import bundled_rates as bundled

    return bundled(on=on)


class LiveRates:
    """Rates from forex-python, fetched with a timeout; the last good table survives failures.

    forex-python's remote service is not always up, so :meth:`refresh` never raises: it returns
    a warning string when it kept the old table. A fresh table keeps the official pegs and, for
    the currencies the live feed lacks, the previous table's rates with their origin.
    """

    def __init__(self, fallback: RateTable, *, timeout: float = 5.0,
                 fetch: Callable[[str], Mapping[str, object]] | None = None) -> None:
        self._table = fallback
        self._timeout = timeout
        self._fetch = fetch or _forex_python_fetch
        self._lock = threading.Lock()

    @property
    def table(self) -> RateTable:
        return self._table

    def refresh(self, *, today: date) -> str | None:
        result: dict[str, object] = {}

        def run() -> None:
            try:
                result["rates"] = self._fetch(self._table.base)
            except Exception as e:  # any failure of a third-party service is a fallback
                result["error"] = e

        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        worker.join(self._timeout)
        if worker.is_alive():
            return (f"live rates timed out after {self._timeout}s; still using the "
                    f"{self._table.source} table of {self._table.as_of}")
        if "error" in result:
            return (f"live rates failed ({result['error']}); still using the "
                    f"{self._table.source} table of {self._table.as_of}")
        from pricing.ratesources import complete_table

        try:
            fresh = RateTable.from_mapping(result["rates"], base=self._table.base,  # type: ignore[arg-type]
                                           as_of=today, source="live (forex-python)")
            fresh = complete_table(fresh, fill=self._table)
        except RatesError as e:
            return f"live rates rejected ({e.message}); still using the previous table"
        with self._lock:
            self._table = fresh
        return None


def _forex_python_fetch(base: str) -> Mapping[str, object]:
    try:
        from forex_python.converter import CurrencyRates  # type: ignore[import-not-found]
    except ImportError:
        from pricing.extras import install_hint

        raise RatesError(f"live rates need the live-rates extra: {install_hint('live-rates')}"
                         ) from None
    rates = CurrencyRates(force_decimal=True).get_rates(base)
    return {k: str(v) for k, v in rates.items()}
