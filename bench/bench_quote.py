"""In-process quote benchmark: a 3-line cart, formatted amounts included. Run by hand:

    .venv/bin/python bench/bench_quote.py [--profile]

Prints the median and p99 of engine.quote(...).to_dict() over many runs, per market.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import time
from datetime import date
from pathlib import Path

from pricing import Engine

ROOT = Path(__file__).resolve().parent.parent
REQUEST = {
    "date": "2026-11-23",
    "items": [
        {"sku": "TS-1", "quantity": 2, "price": {"amount": "25.00", "currency": "EUR"},
         "hs_code": "610910", "origin": "PT", "weight": {"value": "0.2", "unit": "kg"}},
        {"sku": "BK-1", "quantity": 1, "price": {"amount": "18.00", "currency": "EUR"},
         "hs_code": "490199", "category": "books", "weight": {"value": "0.6", "unit": "kg"}},
        {"sku": "SH-1", "quantity": 1, "price": {"amount": "89.00", "currency": "EUR"},
         "hs_code": "640399", "origin": "IT", "weight": {"value": "1.1", "unit": "kg"}},
    ],
}
#: (label, request fields): the shop ships from DE, so "DE" is a domestic sale and "DE<-CN"
#: an import (IOSS, flat duty) of the same cart.
CASES = [
    ("DE", {"destination": {"country": "DE"}}),
    ("DE<-CN", {"destination": {"country": "DE"}, "ship_from": "CN"}),
    ("GB", {"destination": {"country": "GB"}}),
    ("US-CA", {"destination": {"country": "US", "region": "US-CA"}}),
    ("CA-QC", {"destination": {"country": "CA", "region": "CA-QC"}}),
    ("JP", {"destination": {"country": "JP"}}),
    ("CH", {"destination": {"country": "CH"}}),
    ("AU", {"destination": {"country": "AU"}}),
    ("IN (DAP)", {"destination": {"country": "IN"}}),
]


def measure(engine: Engine, request: dict, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        engine.quote(request).to_dict()
        out.append((time.perf_counter_ns() - t0) / 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=3000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    engine = Engine.from_directory(ROOT / "rules")
    engine.quote({**REQUEST, **CASES[0][1]}, on=date(2026, 11, 23))
    if args.profile:
        req = {**REQUEST, **CASES[1][1]}
        prof = cProfile.Profile()
        prof.enable()
        measure(engine, req, args.n)
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
        return
    print(f"{'destination':<12}{'median us':>12}{'p99 us':>10}   (quote + to_dict, n={args.n})")
    for label, fields in CASES:
        req = {**REQUEST, **fields}
        times = sorted(measure(engine, req, args.n))
        print(f"{label:<12}{statistics.median(times):>12.1f}"
              f"{times[int(len(times) * 0.99)]:>10.1f}")


if __name__ == "__main__":
    main()
