"""In-process quote benchmark against the same run's edge cost. Run by hand:

    .venv/bin/python bench/bench_quote.py [-n 3000] [--profile] [--load]

For a 3-line cart per destination it prints the median and p99 of a quote as the service
makes it (``engine.quote(request)``, ``to_dict()`` and the JSON bytes), and the edge cost of the
same run: what any JSON endpoint pays for the same exchange (pydantic parsing the same request
JSON, plus a JSON round trip of a response-sized document: ``json`` from the standard library,
and orjson). The ratio quote / edge is the figure to watch: the machine is shared and noisy, so
absolute times drift, ratios much less. Each request differs from the last (the first item's
price moves by a cent), so no memo of a previous answer can serve it; quote and edge alternate
sample by sample so that both see the same load.

``--load`` times loading and compiling the bundled rules, and 250 synthetic markets, and the
memory a compiled market takes.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import gc
import json
import pstats
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pycountry

from pricing import Engine, load_rules
from pricing.markets.checks import TERRITORIES
from pricing.quote import QuoteRequestModel
from pricing.service import render

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


def requests_for(fields: dict[str, Any], n: int) -> list[dict[str, Any]]:
    """``n`` distinct requests: the first item's price moves by one cent each time."""
    out = []
    for i in range(n):
        req = copy.deepcopy({**REQUEST, **fields})
        req["items"][0]["price"]["amount"] = str(Decimal("25.00") + Decimal(i % 5000) / 100)
        out.append(req)
    return out


def measure(engine: Engine, fields: dict[str, Any], n: int
            ) -> tuple[list[float], list[float], list[float]]:
    """Quote, stdlib-JSON edge and orjson edge samples (µs), interleaved."""
    reqs = requests_for(fields, n)
    bodies = [json.dumps(r).encode() for r in reqs]
    doc = engine.quote(reqs[0]).to_dict()
    quote, edge, edge_or = [], [], []
    clock = time.perf_counter_ns
    parse = QuoteRequestModel.model_validate_json
    gc.collect()
    for req, body in zip(reqs, bodies, strict=True):
        t0 = clock()
        render(engine.quote(req).to_dict())
        t1 = clock()
        parse(body)
        json.loads(json.dumps(doc))
        t2 = clock()
        parse(body)
        orjson.loads(orjson.dumps(doc))
        t3 = clock()
        quote.append((t1 - t0) / 1000)
        edge.append((t2 - t1) / 1000)
        edge_or.append((t3 - t2) / 1000)
    return quote, edge, edge_or


def p99(xs: list[float]) -> float:
    return sorted(xs)[int(len(xs) * 0.99)]


def quotes(engine: Engine, n: int) -> None:
    print(f"{'destination':<11}{'quote med':>10}{'p99':>8}{'edge med':>10}{'ratio':>7}"
          f"{'orjson edge':>13}{'ratio':>7}   (µs; n={n}; quote = quote + to_dict + JSON)")
    ratios = []
    for label, fields in CASES:
        q, e, eo = measure(engine, fields, n)
        mq, me, meo = statistics.median(q), statistics.median(e), statistics.median(eo)
        ratios.append(mq / me)
        print(f"{label:<11}{mq:>10.1f}{p99(q):>8.1f}{me:>10.1f}{mq / me:>7.2f}"
              f"{meo:>13.1f}{mq / meo:>7.2f}")
    print(f"{'median ratio to the stdlib edge':<40}{statistics.median(ratios):.2f}")


def synthetic_rules(count: int, into: Path) -> Path:
    """``count`` markets made from rules/markets/no.toml, each for its own country."""
    shutil.copytree(ROOT / "rules", into, dirs_exist_ok=True)
    template = (ROOT / "rules" / "markets" / "no.toml").read_text("utf-8")
    for f in (into / "markets").glob("*.toml"):
        f.unlink()
    # Countries that ISO 3166-2 also lists as a region of another (HK as CN-HK, PR as US-PR)
    # would be claimed twice: each synthetic market is one plain country.
    regions = set(TERRITORIES.values())
    codes = sorted(c.alpha_2 for c in pycountry.countries if c.alpha_2 not in regions)[:count]
    for code in codes:
        text = template.replace('id = "no"', f'id = "{code.lower()}"').replace(
            'countries = ["NO"]', f'countries = ["{code}"]')
        (into / "markets" / f"{code.lower()}.toml").write_text(text, "utf-8")
    return into


def load(engine_rates: Any) -> None:
    def timed(path: Path) -> tuple[float, float, int]:
        t0 = time.perf_counter()
        rules = load_rules(path)
        t1 = time.perf_counter()
        engine = Engine(rules, rates=engine_rates)
        t2 = time.perf_counter()
        return t1 - t0, t2 - t1, len(engine.plans)

    a, b, n = timed(ROOT / "rules")
    print(f"bundled rules: {n} markets, load {a * 1000:.0f} ms + compile {b * 1000:.0f} ms "
          f"= {(a + b) * 1000:.0f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        a, b, n = timed(synthetic_rules(249, Path(tmp) / "rules"))
    print(f"synthetic rules: {n} markets, load {a * 1000:.0f} ms + compile {b * 1000:.0f} ms "
          f"= {(a + b) * 1000:.0f} ms")
    rules = load_rules(ROOT / "rules")
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    engine = Engine(rules, rates=engine_rates)
    after = tracemalloc.take_snapshot()
    size = sum(s.size_diff for s in after.compare_to(before, "filename"))
    plans = sum(len(p.plans) for p in engine.plans.values())
    print(f"compiled plans: {size / 1024:.0f} KiB for {len(engine.plans)} markets "
          f"({plans} date intervals): {size / 1024 / len(engine.plans):.1f} KiB per market")
    for fields in (f for _, f in CASES):
        for req in requests_for(fields, 2000):
            engine.quote(req)
    grown = tracemalloc.take_snapshot().compare_to(after, "filename")
    plan_growth = sum(s.size_diff for s in grown if "pricing/stages" in s.traceback[0].filename)
    print(f"plans after 18,000 distinct quotes: {plan_growth / 1024:+.1f} KiB")
    tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=3000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--load", action="store_true")
    args = parser.parse_args()
    engine = Engine.from_directory(ROOT / "rules")
    if args.load:
        load(engine.rates)
        return
    if args.profile:
        reqs = requests_for(CASES[1][1], args.n)
        prof = cProfile.Profile()
        prof.enable()
        for req in reqs:
            render(engine.quote(req).to_dict())
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(30)
        return
    quotes(engine, args.n)


if __name__ == "__main__":
    sys.exit(main())
