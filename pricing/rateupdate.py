"""New rates checked against the markets, then written atomically; which markets a table misses.

``pricing rates update`` and ``pricing rates show`` are thin wrappers over this module:

* :func:`read_source` turns ``ecb`` (the ECB's daily file, fetched), ``live`` (forex-python) or a
  file into a complete table: the source's rates, the official pegs, and the bundled rates of
  its day for what it lacks (:func:`pricing.ratesources.complete_table`);
* :func:`update_rates` also says, naming the markets, which of their currencies came from a peg
  or an older snapshot rather than the source, and which no rate covers at all; then writes the
  table as JSON, atomically (a reader sees the old file or the new one, never half of one);
* :func:`rate_gaps` (from the rules, before any engine is built) and :func:`unpriced_markets`
  (from an engine's compiled plans, for ``/readyz``) list the markets a table cannot price.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pricing.errors import RatesError
from pricing.fx import LiveRates, RateTable, load_rates_file
from pricing.markets import RuleSet
from pricing.ratesources import ECB_DAILY_URL, bundled_rates, complete_table, fetch_ecb_daily
from pricing.stages.plan import rule_currencies

__all__ = [
    "RateGap",
    "UpdateReport",
    "describe_table",
    "market_currencies",
    "rate_gaps",
    "read_source",
    "unpriced_markets",
    "update_rates",
    "write_rates_json",
]

#: Without rules, how many currencies a note lists by name before it says "N other".
_LIST = 12


@dataclass(frozen=True, slots=True)
class RateGap:
    """A market the table cannot price, and the currency it lacks."""

    market: str
    currency: str

    def to_dict(self) -> dict[str, str]:
        return {"market": self.market, "currency": self.currency,
                "message": f"no exchange rate for {self.currency}: market {self.market} "
                           "cannot be quoted"}


@dataclass(frozen=True, slots=True)
class UpdateReport:
    """What ``pricing rates update`` did: the table, where it went, and what to know."""

    table: RateTable
    output: Path
    written: bool
    #: Currencies markets use that came from a peg or an older snapshot, not the source.
    notes: tuple[str, ...]
    gaps: tuple[RateGap, ...]

    @property
    def warnings(self) -> tuple[str, ...]:
        """The notes, then one line per currency no rate covers, naming its markets."""
        by_cur: dict[str, list[str]] = {}
        for g in self.gaps:
            by_cur.setdefault(g.currency, []).append(g.market)
        return self.notes + tuple(
            f"no exchange rate for {cur}: market{'s' if len(ms) > 1 else ''} {', '.join(ms)} "
            "cannot be quoted; add it to the rates file" for cur, ms in sorted(by_cur.items()))


def market_currencies(rules: RuleSet) -> dict[str, frozenset[str]]:
    """Each market's currencies a quote may convert between: its own, the shop's base and any
    amount its rules state in another currency (a threshold in EUR, a fee in USD)."""
    base = rules.shop.base_currency
    return {mid: frozenset({m.spec.currency, base} | rule_currencies(m.spec))
            for mid, m in rules.markets.items()}


def rate_gaps(rules: RuleSet, table: RateTable) -> tuple[RateGap, ...]:
    """Every (market, currency) of ``rules`` that ``table`` has no rate for."""
    return tuple(RateGap(mid, cur) for mid, curs in market_currencies(rules).items()
                 for cur in sorted(curs) if cur not in table.rates)


def unpriced_markets(engine: Any) -> list[dict[str, str]]:
    """The markets an engine's rates cannot price, for ``/readyz``: its compiled plans keep the
    rate error of each (``pricing.stages.plan.MarketPlans.unpriceable``), so this costs
    nothing per call."""
    out = []
    for mid, plans in engine.plans.items():
        err = plans.unpriceable
        if err is not None:
            out.append({"market": mid, "currency": str(err.value), "message": err.message})
    return out


def read_source(source: str, *, timeout: float = 10.0, url: str = ECB_DAILY_URL,
                today: date | None = None) -> RateTable:
    """The complete table of ``source``: ``"ecb"`` (the ECB's daily file, from ``url``),
    ``"live"`` (forex-python) or a rates file (ECB XML, CSV, JSON). Raises RatesError."""
    day = today or date.today()
    if source == "ecb":
        return complete_table(fetch_ecb_daily(url, timeout=timeout, today=day))
    if source == "live":
        live = LiveRates(bundled_rates(), timeout=timeout)
        warning = live.refresh(today=day)
        if warning:
            raise RatesError(warning, field="live")
        return live.table
    return load_rates_file(source)


def update_rates(source: str, output: str | Path, *, rules: RuleSet | None = None,
                 timeout: float = 10.0, url: str = ECB_DAILY_URL, strict: bool = False,
                 today: date | None = None) -> UpdateReport:
    """Read ``source`` (see :func:`read_source`), check it against ``rules`` and write it to
    ``output`` as JSON, atomically. With ``strict``, a market left without a rate is an error
    and ``output`` is left as it was. Raises RatesError before writing anything."""
    table = read_source(source, timeout=timeout, url=url, today=today)
    notes = _notes(table, rules)
    gaps = rate_gaps(rules, table) if rules is not None else ()
    report = UpdateReport(table, Path(output), False, notes, gaps)
    if strict and gaps:
        raise RatesError("; ".join(report.warnings[len(notes):])
                         + f"; {output} was left unchanged (--strict)", field="rates")
    write_rates_json(table, output)
    return UpdateReport(table, Path(output), True, notes, gaps)


def _notes(table: RateTable, rules: RuleSet | None) -> tuple[str, ...]:
    """Which currencies markets use came from a peg or an older snapshot, by origin."""
    used: dict[str, list[str]] = {}
    if rules is not None:
        for mid, m in rules.markets.items():
            used.setdefault(m.spec.currency, []).append(mid)
    what = f"the {table.source} rates of {table.as_of}"
    pegged, dated = [], {}
    for cur, origin in table.origins.items():
        if origin.anchor is not None:
            pegged.append(cur)
        else:
            dated.setdefault((origin.source, origin.as_of), []).append(cur)
    notes = []
    if pegged:
        notes.append(f"{_named(pegged, used)} {'are' if len(pegged) > 1 else 'is'} not in "
                     f"{what}: the official pegs give them (pricing/data/pegs.csv)")
    for (src, day), curs in sorted(dated.items(), key=lambda kv: kv[0][1]):
        older = (table.as_of - day).days
        age = f", {older} days older" if older > 0 else ""
        notes.append(f"{_named(curs, used)} {'are' if len(curs) > 1 else 'is'} not in {what}: "
                     f"the {src} rates of {day} are used{age}")
    return tuple(notes)


def _named(currencies: list[str], used: Mapping[str, list[str]]) -> str:
    """``UAH (market ua), KZT (market kz), 80 other currencies no market uses``: every currency
    a market uses, named with its markets; without rules, the first few by name."""
    if not used:
        shown = sorted(currencies)[:_LIST]
    else:
        shown = [f"{c} (market{'s' if len(used[c]) > 1 else ''} {', '.join(used[c])})"
                 for c in sorted(currencies) if c in used]
    rest = len(currencies) - len(shown)
    if rest:
        shown.append(f"{rest} other {'currencies' if rest > 1 else 'currency'}"
                     + (" no market uses" if used else ""))
    return ", ".join(shown)


def write_rates_json(table: RateTable, output: str | Path) -> None:
    """Write ``table`` as JSON to ``output`` atomically: a temporary file beside it, flushed to
    disk, then renamed over it. On any failure the old file is left as it was."""
    target = Path(output)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("w", encoding="utf-8") as f:
            f.write(json.dumps(table.to_dict(), indent=2, ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(target)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise RatesError(f"cannot write {target}: {e.strerror or e}; it was left unchanged",
                         field=str(target)) from None


def describe_table(table: RateTable, *, today: date) -> list[str]:
    """``pricing rates show``: the table's source and age, then one line per currency with
    the source and day of those that do not share the table's."""
    others = [c for c in table.rates if c != table.base]
    lines = [f"{table.source}, base {table.base}, as of {table.as_of} "
             f"({table.age_days(today)} days old), {len(others)} currencies"]
    for cur in others:
        origin = table.origins.get(cur)
        where = "" if origin is None else f"  ({origin.source}, {origin.as_of})"
        lines.append(f"  1 {table.base} = {table.rates[cur]} {cur}{where}")
    return lines
