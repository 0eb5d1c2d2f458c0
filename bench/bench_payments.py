"""What listing a quote's payment methods costs, against the quote itself. Run by hand:

    .venv/bin/python bench/bench_payments.py [-n 2000]

For a few markets it times ``available_methods`` (the market's methods that can pay a total,
named in the market's default locale) and ``engine.quote`` for a 2-line cart, alternating
sample by sample so both see the same load, and prints the medians and their ratio: the
share of a quote's time the payment list would add. The machine is shared and noisy; the
ratio is the figure to watch.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from pricing import Engine, load_rules
from pricing.money import Money
from pricing.payments import available_methods, bundled_payment_methods

ROOT = Path(__file__).resolve().parent.parent
MARKETS = ("de", "nl", "jp", "au", "br", "in", "sa")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="samples per market")
    args = parser.parse_args()
    t0 = time.perf_counter()
    bundled_payment_methods.cache_clear()
    bundled_payment_methods()
    print(f"registry load (parse and check {len(bundled_payment_methods())} methods): "
          f"{(time.perf_counter() - t0) * 1000:.1f} ms, once per process")
    engine = Engine.from_directory(ROOT / "rules")
    rules = load_rules(ROOT / "rules")
    print(f"{'market':<8}{'methods':>8}{'list µs':>10}{'quote µs':>10}{'ratio':>8}")
    for market_id in MARKETS:
        market = rules.market(market_id)
        country = market.spec.countries[0]
        request = {"destination": {"country": country}, "market": market_id, "items": [
            {"sku": "A", "quantity": 1, "price": {"amount": "40.00", "currency": "EUR"}},
            {"sku": "B", "quantity": 2, "price": {"amount": "12.50", "currency": "EUR"}}]}
        quote = engine.quote(request)
        # what the shopper pays at checkout is what a payment method must take
        total = Money(quote.total_amounts["due_at_checkout"], quote.currency)
        ids = market.spec.payment_methods
        locale = market.spec.default_locale
        listing, quoting = [], []
        for _ in range(args.n):
            t = time.perf_counter()
            available_methods(ids, total, locale, country=country)
            listing.append(time.perf_counter() - t)
            t = time.perf_counter()
            engine.quote(request)
            quoting.append(time.perf_counter() - t)
        a, b = statistics.median(listing), statistics.median(quoting)
        print(f"{market_id:<8}{len(ids):>8}{a * 1e6:>10.1f}{b * 1e6:>10.1f}{a / b:>8.3f}")


if __name__ == "__main__":
    main()
