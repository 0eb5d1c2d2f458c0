"""What the bundled rates cost: loading the history, a day's table, cross rates. Run by hand:

    .venv/bin/python bench/bench_rates.py [-n 2000]

Each figure is a median over repeated runs, next to a same-run baseline (parsing the ECB's daily
XML of one day with :func:`pricing.fx.parse_ecb_xml`, what ``--rates eurofxref-daily.xml`` costs),
so the ratios stay readable on a shared, noisy machine:

* ``history load``: reading the zipped ECB history (7,000+ days) and the snapshot, once per
  process (``bundled_history()`` is cached);
* ``table of a new day``: ``RateHistory.table_on`` for a day not built yet (Decimals for one ECB
  row and one snapshot row, the pegs, validation); later calls for the same ECB day are a dict
  lookup;
* ``cross rate``: ``RateTable.rate`` for a pair not asked before (through the base, or the
  parity of two pegs); asked again it is a dict lookup.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from pricing.fx import parse_ecb_xml
from pricing.ratesources import RateHistory, bundled_history

DAILY = (Path(__file__).resolve().parent.parent / "tests" / "data"
         / "eurofxref-daily-2026-10-30.xml").read_bytes()


def median_us(fn: Callable[[], object], n: int) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000)
    n = parser.parse_args().n

    base = median_us(lambda: parse_ecb_xml(DAILY), n)
    load = median_us(lambda: bundled_history.__wrapped__(), max(3, n // 200))
    history = bundled_history()

    def new_day() -> None:  # a history with nothing built yet, so the table is made afresh
        RateHistory(history.ecb, snapshot=history.snapshot, pegs=history.pegs).table_on(
            date(2026, 10, 30))

    day = median_us(new_day, max(10, n // 10))
    table = history.table_on(date(2026, 10, 30))
    pairs = [(a, b) for a in sorted(table.rates) for b in ("USD", "AED", "UAH", "XOF")]

    def cross() -> None:
        table._cross.clear()
        for a, b in pairs[:50]:
            table.rate(a, b)

    rate = median_us(cross, n) / 50
    print(f"baseline: parse the ECB daily XML   {base:9.1f} us")
    print(f"history load (once per process)    {load:9.1f} us  x{load / base:7.1f}")
    print(f"table of a new day                  {day:9.1f} us  x{day / base:7.1f}")
    print(f"cross rate, first time              {rate:9.2f} us  x{rate / base:7.3f}")


if __name__ == "__main__":
    main()
