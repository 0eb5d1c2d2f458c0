"""The markets overview against the same run's edge cost. Run by hand:

    .venv/bin/python bench/bench_markets.py [-n 30]

Prints the median time to build every market's summary (``Market.summary``, what GET
/v1/markets serves), to render docs/markets.md from them, and to send the list over HTTP on a
real uvicorn server: the first request of a day (built) and the next ones (kept rendered). The
edge cost of the same run is GET /healthz on the same server; the ratio cached / edge is the
figure to watch on this shared, noisy machine (absolute times drift, ratios much less).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from conftest_service import Server  # noqa: E402

from pricing import load_rules  # noqa: E402
from pricing.markets.overview import market_rows, render_markdown  # noqa: E402
from pricing.service import EngineProvider, create_app  # noqa: E402

DAY = date(2026, 11, 29)


def _median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=30, help="samples per figure")
    n = parser.parse_args().n
    rules = load_rules(ROOT / "rules")
    build, render = [], []
    for _ in range(n):
        t = time.perf_counter()
        rows = market_rows(rules, on=DAY)
        build.append(time.perf_counter() - t)
        t = time.perf_counter()
        render_markdown(rows, on=DAY)
        render.append(time.perf_counter() - t)
    print(f"{len(rules.markets)} markets: summaries {_median_ms(build):.1f} ms, "
          f"docs/markets.md {_median_ms(render):.1f} ms (median of {n})")

    app = create_app(EngineProvider.from_directory(ROOT / "rules"), quote_key="k" * 32,
                     watch_interval=None)
    first, cached, edge = [], [], []
    with Server(app) as srv, httpx.Client(base_url=srv.url, timeout=30) as client:
        client.get("/healthz")
        for i in range(n):
            day = (DAY + timedelta(days=i)).isoformat()  # a new day: built, not kept
            t = time.perf_counter()
            r = client.get("/v1/markets", params={"date": day})
            first.append(time.perf_counter() - t)
            assert r.status_code == 200, r.text
            t = time.perf_counter()
            client.get("/v1/markets", params={"date": day})
            cached.append(time.perf_counter() - t)
            t = time.perf_counter()
            client.get("/healthz")
            edge.append(time.perf_counter() - t)
        size = len(r.content)
    print(f"GET /v1/markets ({size} bytes): first of a day {_median_ms(first):.1f} ms, "
          f"kept {_median_ms(cached):.2f} ms; GET /healthz {_median_ms(edge):.2f} ms; "
          f"kept / healthz {statistics.median(cached) / statistics.median(edge):.1f}x, "
          f"first / kept {statistics.median(first) / statistics.median(cached):.0f}x")


if __name__ == "__main__":
    main()
