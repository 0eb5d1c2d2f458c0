"""What the metrics cost a request and a scrape, next to a quote in the same run. Run by hand:

    .venv/bin/python bench/bench_metrics.py [-n 20000]

Per request the service records one request (counter and latency histogram by route) and, for
a quote, one quote (counter and latency histogram by market). This times that pair with
prometheus_client in one process, and in multi-process mode (``--workers`` > 1: the values go
to memory-mapped files, in a child process started with ``PROMETHEUS_MULTIPROC_DIR``), and
the rendering of a scrape with every bundled market quoted; the baseline is the same run's
in-process quote of a three-line cart (``engine.quote(request).to_dict()``). The machine is
shared and noisy: read the ratios, not the microseconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUEST = {
    "destination": {"country": "DE"}, "date": "2026-11-23",
    "items": [{"sku": "TS-1", "quantity": 2, "price": {"amount": "25.00", "currency": "EUR"},
               "hs_code": "610910", "origin": "PT", "weight": {"value": "0.2", "unit": "kg"}}],
}


def _per_call(fn: Callable[[], object], n: int) -> float:
    """Median seconds per call over 5 rounds of ``n`` calls."""
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            fn()
        rounds.append((time.perf_counter() - start) / n)
    return statistics.median(rounds)


def _metrics_costs(n: int) -> tuple[float, float, int]:
    """(seconds per request's metrics, seconds per scrape, bytes per scrape) here."""
    from pricing.api.metrics import Metrics
    from pricing.markets import load_rules

    m = Metrics()
    markets = list(load_rules(ROOT / "rules").markets)

    def record() -> None:
        m.observe_request("/v1/quotes", "POST", 200, 0.0012)
        m.observe_quote("de", seconds=0.0004)

    per_request = _per_call(record, n)
    for market in markets:  # a scrape of a service that has quoted every market
        m.observe_quote(market, seconds=0.0004)
    body = m.render()[0]
    per_scrape = _per_call(lambda: m.render(), max(1, n // 1000))
    return per_request, per_scrape, len(body)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=20000, help="calls per round")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:  # multi-process mode: prometheus_client reads the variable at import
        print(*_metrics_costs(args.n))
        return

    from pricing import Engine

    engine = Engine.from_directory(ROOT / "rules")
    quote = _per_call(lambda: engine.quote(REQUEST).to_dict(), max(1, args.n // 20))
    single = _metrics_costs(args.n)
    with tempfile.TemporaryDirectory(prefix="pricing-bench-metrics-") as d:
        out = subprocess.run([sys.executable, __file__, "--child", "-n", str(args.n)],
                             env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": d},
                             capture_output=True, text=True, check=True).stdout.split()
    multi = (float(out[0]), float(out[1]), int(out[2]))
    print(f"quote (baseline, 1 line, to_dict): {quote * 1e6:8.1f} us")
    for name, (req, scrape, size) in (("one process", single), ("multi-process", multi)):
        print(f"{name:>13}: request+quote metrics {req * 1e6:6.1f} us "
              f"({req / quote:6.1%} of a quote); scrape {scrape * 1e3:6.2f} ms, "
              f"{size / 1024:5.1f} KiB ({scrape / quote:5.1f} quotes)")


if __name__ == "__main__":
    main()
