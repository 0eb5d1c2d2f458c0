"""Feeds at catalog scale: a synthetic catalog of 200,000 SKUs (distinct prices), one market.

Side by side in one run, on the same SKUs, each checked to give the same prices:

(a) the loop a user would write: per SKU, a py-moneyed conversion, the .99 rounding and babel's
    ``format_currency`` (compute only: no file read or written);
(b) ``BulkPricer.price_columns`` (the bulk pricing core), chunk by chunk as a feed calls it,
    from the columns of text ``csv.reader`` gives (each chunk's SKU, price, currency, HS code,
    origin, category and weight columns): what the pricer needs of them (the distinct codes
    normalized, the distinct weights as Decimals) is built in the timing, and the result is
    each SKU's landed price and its formatted string, as the loop's; and (b') the older
    ``BulkPricer.price_many`` on ``CatalogItem`` objects built beforehand (as the loop's input
    is; building them costs ~1 us per SKU more);
(c) ``pricing feed`` end to end: read the CSV, check every row, price, localize, write the feed
    (``run_feed``, in this process, after the engine is loaded).

The market is Germany with the goods shipped from the shop in Germany and priced in USD: a
domestic sale (no duty; VAT inside the price), so the landed unit price is the converted price
with the .99 ending, which the loop computes too. Then peak memory of (c) for the full catalog
against a tenth of it (each in a fresh process: peak RSS, and tracemalloc's peak of the run),
and (c) on a local Dask cluster of two worker processes against one local process.

Each of (a), (b), (b') and (c) runs ``--repeat`` times (default 3), interleaved, and the
median is reported: the machine is shared, so only ratios from one run mean anything.

Run by hand (a few minutes):

    .venv/bin/python bench/bench_feed.py              # 200,000 SKUs
    .venv/bin/python bench/bench_feed.py --skus 20000 --no-dask

Targets (issue 12): (b) at least 20x (a); (c) at least 3x (a); peak memory of (c) for 200,000
SKUs within 1.2x of that for 20,000.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from operator import attrgetter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from babel.numbers import format_currency  # noqa: E402
from moneyed import Money as MoneyedMoney  # noqa: E402

from pricing import Engine, Money  # noqa: E402
from pricing.bulk import BulkPricer, CatalogItem  # noqa: E402
from pricing.codes import normalize_hs_code  # noqa: E402
from pricing.feeds.runner import FeedRequest, run_feed  # noqa: E402
from pricing.fx import bundled_rates  # noqa: E402

DAY = date(2026, 11, 23)
MARKET = "de"
LOCALE = "de_DE"
CHUNK = 5000


def make_catalog(path: Path, n: int) -> None:
    """``n`` SKUs priced 5.00, 5.01, ... USD (all distinct), with HS codes and weights."""
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(("sku", "title", "description", "price", "currency", "hs_code", "origin",
                    "category", "weight", "gtin"))
        for i in range(n):
            w.writerow((f"SKU-{i:07d}", f"Product {i}", "A synthetic product for the bench.",
                        f"{Decimal(500 + i) / 100:.2f}", "USD", "610910", "PT", "clothing",
                        "0.25", ""))


def read_prices(path: Path) -> list[tuple[str, Decimal]]:
    with path.open(encoding="utf-8", newline="") as f:
        return [(r["sku"], Decimal(r["price"])) for r in csv.DictReader(f)]


def read_columns(path: Path) -> list[dict[str, tuple[str, ...]]]:
    """The catalog as ``csv.reader`` gives it, chunk by chunk: each column's texts."""
    with path.open(encoding="utf-8", newline="") as f:
        records = csv.reader(f)
        header = next(records)
        rows = list(records)
    return [dict(zip(header, zip(*rows[start:start + CHUNK], strict=True), strict=True))
            for start in range(0, len(rows), CHUNK)]


def loop(prices: list[tuple[str, Decimal]], rate: Decimal) -> list[tuple[Decimal, str]]:
    """(a) The straightforward loop: convert with py-moneyed, round to the .99 ending, format."""
    out = []
    for _, amount in prices:
        usd = MoneyedMoney(amount, "USD")
        eur = MoneyedMoney(usd.amount * rate, "EUR")
        # The shop's rule for Germany: up to the next x.99 (rules/zones/eu.toml, ending).
        whole = (eur.amount - Decimal("0.99")).to_integral_value(rounding=ROUND_CEILING)
        price = (whole + Decimal("0.99")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        out.append((price, format_currency(price, "EUR", locale=LOCALE)))
    return out


def items_of(prices: list[tuple[str, Decimal]]) -> list[CatalogItem]:
    return [CatalogItem(sku, Money(amount, "USD"), hs_code="610910", origin="PT",
                        category="clothing", weight_kg=Decimal("0.25")) for sku, amount in prices]


def bulk(engine: Engine, chunks: list[dict[str, tuple[str, ...]]]) -> list[tuple[Decimal, str]]:
    """(b) BulkPricer.price_columns, chunk by chunk from csv.reader's columns of text."""
    pricer = BulkPricer(engine, MARKET, on=DAY, ship_from="DE")
    out: list[tuple[Decimal, str]] = []
    codes: dict[str, str] = {}
    weights: dict[str, Decimal] = {}
    for c in chunks:
        # What a reader does before pricing: each distinct code normalized and each distinct
        # weight parsed once (the checks themselves are part of (c)).
        for key in ("currency", "hs_code", "origin"):
            for raw in set(c[key]):
                if raw not in codes:
                    codes[raw] = normalize_hs_code(raw) if key == "hs_code" else raw.upper()
        for raw in set(c["weight"]):
            if raw not in weights:
                weights[raw] = Decimal(raw)
        code = codes.__getitem__
        priced = pricer.price_columns(
            c["sku"], c["price"], list(map(code, c["currency"])),
            list(map(code, c["hs_code"])), list(map(code, c["origin"])), c["category"],
            list(map(weights.__getitem__, c["weight"])))
        out += map(_LANDED, priced)
    return out


#: What (b) keeps of each row, as the loop keeps it: the landed price and its text.
_LANDED = attrgetter("landed_price", "formatted_landed_price")


def bulk_built(engine: Engine, items: list[CatalogItem]) -> list[Decimal]:
    """(b') BulkPricer.price_many on items built beforehand, chunk by chunk."""
    pricer = BulkPricer(engine, MARKET, on=DAY, ship_from="DE")
    out: list[Decimal] = []
    for start in range(0, len(items), CHUNK):
        out += [p.landed_price for p in pricer.price_many(items[start:start + CHUNK])
                ]  # type: ignore[misc]
    return out


def feed(engine: Engine, catalog: Path, out: Path, renderer=None) -> Path:
    """(c) pricing feed: read, check, price, localize, write."""
    run_feed(engine, FeedRequest(catalog=catalog, markets=(MARKET,), channel="google", out=out,
                                 on=DAY, locales=(LOCALE,), ship_from="DE"), renderer=renderer)
    return out / f"google-{MARKET}-{LOCALE}.tsv"


def feed_prices(path: Path) -> list[Decimal]:
    with path.open(encoding="utf-8", newline="") as f:
        return [Decimal(r["price"].split()[0]) for r in csv.DictReader(f, delimiter="\t")]


def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def _status(field: str) -> int:
    """A size from /proc/self/status (Linux), in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise LookupError(field)


def memory_child(catalog: str, out: str) -> None:
    """In a fresh process (the catalog was written by another): the peak RSS of the process,
    the peak RSS of the feed run itself above the RSS before it, and tracemalloc's peak of the
    run (a second run: tracemalloc's own bookkeeping must not weigh on the RSS figures)."""
    engine = Engine.from_directory(ROOT / "rules", rates=bundled_rates(on=DAY))
    before = _status("VmRSS")
    # Linux: writing 5 to clear_refs resets VmHWM (the peak RSS) to the current RSS, so the
    # peak read after the run is the run's own, not the engine loading's.
    Path("/proc/self/clear_refs").write_text("5")
    feed(engine, Path(catalog), Path(out))
    run_peak = _status("VmHWM")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    feed(engine, Path(catalog), Path(out))
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    print(json.dumps({"rss": rss, "run_rss": run_peak, "growth": run_peak - before,
                      "traced": peak}))


def memory(catalog: Path, out: Path) -> dict[str, int]:
    run = subprocess.run([sys.executable, __file__, "--memory-child", str(catalog), str(out)],
                         capture_output=True, text=True, check=True)
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--skus", type=int, default=200_000)
    ap.add_argument("--no-dask", action="store_true", help="skip the two-worker comparison")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each, median reported")
    ap.add_argument("--memory-child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.memory_child:
        memory_child(*args.memory_child)
        return
    n = args.skus
    with tempfile.TemporaryDirectory(prefix="bench-feed-") as tmp:
        work = Path(tmp)
        catalog = work / "catalog.csv"
        make_catalog(catalog, n)
        prices = read_prices(catalog)
        engine = Engine.from_directory(ROOT / "rules", rates=bundled_rates(on=DAY))
        # The rate the engine converts USD to EUR with (eu zone: no FX markup, no adjustment).
        rate = engine.plan(MARKET, DAY).conversion("USD").factor
        print(f"{n:,} SKUs, market {MARKET}, USD -> EUR at {rate}, locale {LOCALE}")

        items = items_of(prices)
        columns = read_columns(catalog)
        runs: dict[str, list[float]] = {"loop": [], "bulk": [], "built": [], "feed": []}
        for _ in range(args.repeat):
            t, looped = timed(loop, prices, rate)
            runs["loop"].append(t)
            t, bulked = timed(bulk, engine, columns)
            runs["bulk"].append(t)
            t, built = timed(bulk_built, engine, items)
            runs["built"].append(t)
            t, path = timed(feed, engine, catalog, work / "out")
            runs["feed"].append(t)
        t_loop, t_bulk, t_built, t_feed = (median(runs[k]) for k in runs)
        fed = feed_prices(path)
        same = looped == bulked and [p for p, _ in looped] == built == fed
        print(f"identical prices in (a), (b), (b') and (c), and formatted strings in (a) and "
              f"(b): {same}; medians of {args.repeat} runs")
        if not same:
            bad = next(i for i, (a, b, b2, c) in enumerate(zip(looped, bulked, built, fed,
                                                               strict=True))
                       if not (a == b and a[0] == b2 == c))
            print(f"  first difference at SKU {bad}: loop {looped[bad]}, bulk {bulked[bad]}, "
                  f"built {built[bad]}, feed {fed[bad]}")
        us = 1e6 / n
        print(f"(a) loop (py-moneyed, rounding, babel) {t_loop:8.2f} s  {t_loop * us:7.1f} us/SKU")
        print(f"(b) BulkPricer.price_columns           {t_bulk:8.2f} s  {t_bulk * us:7.1f} us/SKU"
              f"  {t_loop / t_bulk:6.2f}x the loop (target >= 20x)")
        print(f"(b') price_many, items built before    {t_built:8.2f} s  {t_built * us:7.1f} "
              f"us/SKU  {t_loop / t_built:6.2f}x the loop")
        print(f"(c) pricing feed end to end            {t_feed:8.2f} s  {t_feed * us:7.1f} us/SKU"
              f"  {t_loop / t_feed:6.2f}x the loop (target >= 3x)")

        small = work / "small.csv"
        make_catalog(small, n // 10)
        big_mem = memory(catalog, work / "mem-big")
        small_mem = memory(small, work / "mem-small")
        for key, what in (("rss", "peak RSS of the process"),
                          ("run_rss", "peak RSS during the run"),
                          ("growth", "run's peak RSS above the RSS before it"),
                          ("traced", "tracemalloc peak of the run")):
            print(f"memory, {what}: {n:,} SKUs {big_mem[key] / 2**20:7.1f} MiB, {n // 10:,} "
                  f"SKUs {small_mem[key] / 2**20:7.1f} MiB, ratio "
                  f"{big_mem[key] / small_mem[key]:.2f} (target <= 1.2)")

        if not args.no_dask:
            from distributed import LocalCluster

            from pricing.feeds.cluster import DaskRenderer, EngineSource, WorkerFeeds

            spec = WorkerFeeds(
                source=EngineSource(rules=str(ROOT / "rules"), rates=None,
                                    locales=str(ROOT / "locales"),
                                    rules_version=engine.rules.version),
                markets=(MARKET,), channel="google", on=DAY, locales=(LOCALE,), regions=(),
                ship_from="DE")
            with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                              host="127.0.0.1", dashboard_address=None, silence_logs=40) as c:
                renderer = DaskRenderer(c.scheduler_address, spec)
                # Warm the workers (each loads the engine once per run).
                feed(engine, small, work / "dask-warm", renderer)
                t_dask, dpath = timed(feed, engine, catalog, work / "dask", renderer)
                renderer.close()
            same = dpath.read_bytes() == path.read_bytes()
            print(f"(c) on 2 Dask workers                  {t_dask:8.2f} s  "
                  f"{t_feed / t_dask:6.2f}x one local process; same bytes: {same}")


if __name__ == "__main__":
    main()
