"""Latency of the preview page's endpoints next to /healthz on the same server, in-process.

Run by hand::

    python bench/bench_preview.py              # 200 rounds
    python bench/bench_preview.py --rounds 50

Starts the service (bundled rules, ``locales/`` with the product catalog) under uvicorn on a
free loopback port and times, one request at a time over one keep-alive connection: the page
itself, ``GET /healthz`` (the floor: routing, middleware, JSON), ``GET /v1/products`` (every
catalog product localized), ``GET /v1/markets/{id}/samples`` for a few markets (each sample is
quoted to check it) and ``POST /v1/quotes``. Prints the median and p95 of each, and each
median as a multiple of /healthz's from the same run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from conftest_service import Server  # noqa: E402

from pricing.service import EngineProvider, create_app  # noqa: E402

QUOTE = {"destination": {"country": "GB"}, "market": "gb", "date": "2026-11-23",
         "locale": "en_GB", "items": [
             {"sku": "TEE-ORG-WHT-M", "quantity": 2, "hs_code": "610910", "origin": "PT",
              "price": {"amount": "29.90", "currency": "EUR"}}]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    provider = EngineProvider.from_directory(ROOT / "rules", locales=ROOT / "locales")
    app = create_app(provider, quote_key="b" * 32, watch_interval=None, quote_cache=0)
    calls = {
        "GET /healthz": ("GET", "/healthz", None),
        "GET / (page)": ("GET", "/", None),
        "GET /v1/products?locale=de_DE": ("GET", "/v1/products?locale=de_DE&market=de", None),
        "GET /v1/markets/de/samples": ("GET", "/v1/markets/de/samples?date=2026-11-23", None),
        "GET /v1/markets/ca/samples": ("GET", "/v1/markets/ca/samples?date=2026-11-23", None),
        "GET /v1/rules/status": ("GET", "/v1/rules/status", None),
        "POST /v1/quotes (no cache)": ("POST", "/v1/quotes", QUOTE),
    }
    with Server(app) as srv, httpx.Client(base_url=srv.url, timeout=30) as c:
        times: dict[str, list[float]] = {name: [] for name in calls}
        for _ in range(args.rounds):
            for name, (method, path, body) in calls.items():  # interleaved: same conditions
                start = time.perf_counter()
                r = c.request(method, path, json=body)
                times[name].append(time.perf_counter() - start)
                if r.status_code != 200:
                    print(f"{name}: HTTP {r.status_code} {r.text[:200]}", file=sys.stderr)
                    return 1
    floor = statistics.median(times["GET /healthz"])
    print(f"{'endpoint':34} {'median ms':>10} {'p95 ms':>8} {'x healthz':>10}")
    for name, ts in times.items():
        ts.sort()
        med = statistics.median(ts)
        p95 = ts[int(len(ts) * 0.95) - 1]
        print(f"{name:34} {med * 1000:10.2f} {p95 * 1000:8.2f} {med / floor:10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
