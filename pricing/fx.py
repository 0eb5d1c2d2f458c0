"""Exchange rates: an immutable rate table with provenance, and the sources that fill it.

A :class:`RateTable` holds, for one base currency, how many units of each other currency one
unit of the base buys, with the date and the source those numbers come from. Cross rates go
through the base. Sources:

* :func:`bundled_rates` - the ECB euro reference rates snapshot shipped in the package (offline,
  the default), plus a few currencies the ECB does not publish that are pegged to one it does;
* :func:`load_rates_file` - a merchant's file: ECB XML, CSV (``currency,rate`` rows with ``base``
  and ``date`` columns) or JSON (``{"base", "date", "rates"}``);
* :class:`LiveRates` - forex-python, only with the ``live-rates`` extra, with a timeout, keeping
  the last good table when the remote service fails.

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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from types import MappingProxyType

from pricing.codes import currency_codes, normalize_currency
from pricing.errors import CurrencyError, MissingRateError, RatesError
from pricing.money import Money, Rounding

__all__ = [
    "ExchangeRate",
    "LiveRates",
    "RateTable",
    "bundled_rates",
    "load_rates_file",
    "parse_ecb_xml",
]

_CROSS = Context(prec=12, rounding=ROUND_HALF_EVEN)
_REPLACED_BY_EURO = frozenset({"BGN", "HRK", "LTL", "LVL", "EEK", "SKK", "CYP", "MTL", "SIT"})
_ECB_NS = "{http://www.ecb.int/vocabulary/2002-08-01/eurofxref}"
#: Rates outside this band are typos, not currencies (the weakest, IRR, is ~50,000 per EUR).
_MIN_RATE, _MAX_RATE = Decimal("0.000001"), Decimal("10000000")


@dataclass(frozen=True, slots=True)
class ExchangeRate:
    """One rate with its provenance: ``1 source_currency = rate target``."""

    source_currency: str
    target: str
    rate: Decimal
    source: str
    as_of: date

    def convert(self, money: Money) -> Money:
        """Unrounded conversion of ``money`` (in ``source_currency``) into ``target``."""
        if money.currency != self.source_currency:
            raise MissingRateError(f"this rate converts {self.source_currency}, "
                                   f"not {money.currency}", value=money.currency)
        return Money(money.amount * self.rate, self.target)


@dataclass(frozen=True, slots=True)
class RateTable:
    """Units of each currency per one unit of ``base``, as of a date, from a named source."""

    base: str
    as_of: date
    source: str
    rates: Mapping[str, Decimal] = field(default_factory=dict)
    #: Cross rates already computed (the table is immutable, so they never go stale).
    _cross: dict[tuple[str, str], ExchangeRate] = field(default_factory=dict, compare=False,
                                                        hash=False, repr=False)

    @classmethod
    def from_mapping(cls, rates: Mapping[str, object], *, base: str, as_of: date,
                     source: str) -> RateTable:
        """Validate and freeze a mapping of currency to rate (strings or Decimals)."""
        try:
            base = normalize_currency(base, field="base")
        except CurrencyError as e:
            raise RatesError(f"rates base: {e.message}", field="base", value=base) from None
        clean: dict[str, Decimal] = {}
        for code, raw in rates.items():
            try:
                cur = normalize_currency(str(code), field="currency")
            except CurrencyError:
                raise RatesError(f"unknown currency {code!r} in the rates from {source}",
                                 field=str(code), value=code,
                                 expected="ISO 4217 codes") from None
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
        return cls(base, as_of, source, MappingProxyType(dict(sorted(clean.items()))))

    @property
    def currencies(self) -> frozenset[str]:
        return frozenset(self.rates)

    def rate(self, source_currency: str, target: str) -> ExchangeRate:
        """The rate converting ``source_currency`` into ``target`` (through the base)."""
        cached = self._cross.get((source_currency, target))
        if cached is not None:
            return cached
        for cur in (source_currency, target):
            if cur not in self.rates:
                raise MissingRateError(
                    f"no exchange rate for {cur} in the {self.source} table of {self.as_of}; "
                    "add it to a rates file (pricing rates update --from FILE)",
                    field="currency", value=cur, expected=", ".join(sorted(self.rates)))
        if source_currency == target:
            r = Decimal(1)
        else:
            r = _CROSS.divide(self.rates[target], self.rates[source_currency])
        found = self._cross[(source_currency, target)] = ExchangeRate(
            source_currency, target, r, self.source, self.as_of)
        return found

    def convert(self, money: Money, target: str, *,
                mode: Rounding = Rounding.HALF_UP) -> Money:
        """``money`` in ``target``, rounded to its minor unit with ``mode``."""
        return self.rate(money.currency, target).convert(money).round(mode=mode)

    def age_days(self, on: date) -> int:
        return (on - self.as_of).days

    def to_dict(self) -> dict[str, object]:
        return {"base": self.base, "date": self.as_of.isoformat(), "source": self.source,
                "rates": {k: str(v) for k, v in self.rates.items()}}


# -- parsers ------------------------------------------------------------------------------

def parse_ecb_xml(text: str | bytes, *, source: str = "ECB") -> RateTable:
    """The ECB ``eurofxref`` XML (``gesmes:Envelope`` / ``Cube time`` / ``Cube currency rate``).

    Only the newest day in the file is used. The parser reads attributes only; it resolves no
    entities and loads nothing external.
    """
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
             or c.attrib.get("currency") not in _REPLACED_BY_EURO}
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
    bases = {r["base"].strip() for r in rows}
    dates = {r["date"].strip() for r in rows}
    if len(bases) != 1 or len(dates) != 1:
        raise RatesError(f"{source}: every row must share one base and one date",
                         value=f"bases {sorted(bases)}, dates {sorted(dates)}")
    return RateTable.from_mapping({r["currency"].strip(): r["rate"] for r in rows},
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
    return RateTable.from_mapping(data["rates"], base=str(data.get("base", "")),
                                  as_of=_date(str(data.get("date", "")), source), source=source)


def _date(text: str, source: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise RatesError(f"{source}: bad date {text!r}", field="date", value=text,
                         expected="YYYY-MM-DD") from None


def load_rates_file(path: str | Path) -> RateTable:
    """Read a rates file (ECB XML, CSV or JSON, by content) into a validated table."""
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
        return parse_ecb_xml(raw, source=name)
    if stripped.startswith("{"):
        return _parse_json(text, name)
    return _parse_csv(text, name)


def bundled_rates() -> RateTable:
    """The ECB reference rates snapshot shipped with the package, plus pegged currencies.

    Source: ECB euro foreign exchange reference rates of 2024-06-28 (eurofxref-daily.xml).
    Pegged currencies are derived from their anchor at the official peg (see data/pegs.csv).
    """
    data = resources.files("pricing") / "data"
    table = parse_ecb_xml(data.joinpath("eurofxref-daily.xml").read_bytes(), source="ECB")
    rates = dict(table.rates)
    for line in data.joinpath("pegs.csv").read_text("utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cur, anchor, per_anchor, _why = line.split(",", 3)
        rates[cur] = rates[anchor] * Decimal(per_anchor)
    rates.pop(table.base)
    return RateTable.from_mapping(rates, base=table.base, as_of=table.as_of,
                                  source="ECB reference rates (bundled) + official pegs")


class LiveRates:
    """Rates from forex-python, fetched with a timeout; the last good table survives failures.

    forex-python's remote service is not always up, so :meth:`refresh` never raises: it returns
    a warning string when it kept the old table.
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
        try:
            fresh = RateTable.from_mapping(result["rates"], base=self._table.base,  # type: ignore[arg-type]
                                           as_of=today, source="live (forex-python)")
        except RatesError as e:
            return f"live rates rejected ({e.message}); still using the previous table"
        with self._lock:
            self._table = fresh
        return None


def _forex_python_fetch(base: str) -> Mapping[str, object]:
    try:
        from forex_python.converter import CurrencyRates  # type: ignore[import-not-found]
    except ImportError:
        raise RatesError("live rates need the live-rates extra: pip install 'pricing[live-rates]'"
                         ) from None
    rates = CurrencyRates(force_decimal=True).get_rates(base)
    return {k: str(v) for k, v in rates.items()}
