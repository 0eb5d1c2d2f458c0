"""The quote cache is bounded by the memory it holds, not by a count of entries (issue 13, 5)."""

from __future__ import annotations

from datetime import date

from pricing import Engine
from pricing.api.cache import QuoteCache

DAY = date(2026, 11, 23)
PAYLOAD = {"lines": [{"sku": "A"}, {"sku": "B"}, {"sku": "C"}]}
# each entry: 1,000-byte body + 3,000-byte head + 1,024 overhead + 3 lines x 200 = 5,624 bytes
ENTRY = 1000 + 3000 + 1024 + 3 * 200


def test_bytes_bound_the_cache_oldest_out(rules):
    engine = Engine(rules)
    cache = QuoteCache(4096, max_bytes=10 * ENTRY)
    bodies = [bytes([i]) * 1000 for i in range(25)]
    for raw in bodies:
        cache.put(engine, DAY, raw, b"h" * 3000, PAYLOAD, "de")
        assert cache.bytes <= 10 * ENTRY
    assert len(cache) == 10 and cache.bytes == 10 * ENTRY
    assert cache.get(engine, DAY, bodies[14]) is None  # evicted, oldest first
    assert cache.get(engine, DAY, bodies[15]) == (b"h" * 3000, PAYLOAD, "de")


def test_a_recent_read_keeps_an_entry(rules):
    engine = Engine(rules)
    cache = QuoteCache(4096, max_bytes=2 * ENTRY)
    a, b, c = b"a" * 1000, b"b" * 1000, b"c" * 1000
    cache.put(engine, DAY, a, b"h" * 3000, PAYLOAD, "de")
    cache.put(engine, DAY, b, b"h" * 3000, PAYLOAD, "de")
    assert cache.get(engine, DAY, a) is not None  # a is now the most recent
    cache.put(engine, DAY, c, b"h" * 3000, PAYLOAD, "de")
    assert cache.get(engine, DAY, b) is None and cache.get(engine, DAY, a) is not None


def test_the_issue_load_fits_the_bound(rules):
    """4,096 distinct 16 KiB carts pinned ~1 GB: now the bytes stay under the bound."""
    engine = Engine(rules)
    cache = QuoteCache(4096, max_bytes=8 * 1024 * 1024)
    for i in range(4096):
        cache.put(engine, DAY, i.to_bytes(4, "big") * 4096, b"h" * 40_000, PAYLOAD, "de")
    assert cache.bytes <= 8 * 1024 * 1024 and len(cache) < 4096


def test_zero_turns_it_off_and_a_replaced_entry_is_counted_once(rules):
    engine = Engine(rules)
    off = QuoteCache(4096, max_bytes=0)
    off.put(engine, DAY, b"x", b"h", PAYLOAD, "de")
    assert len(off) == 0
    cache = QuoteCache(4096, max_bytes=10 * ENTRY)
    for _ in range(3):
        cache.put(engine, DAY, b"a" * 1000, b"h" * 3000, PAYLOAD, "de")
    assert (len(cache), cache.bytes) == (1, ENTRY)


def test_each_bound_holds_an_entry_exactly_at_it(rules):
    # A body of exactly MAX_BODY (16 KiB) is cached, one byte more is not; an entry costing
    # exactly max_bytes fits; max_entries entries all stay (the next one evicts the oldest).
    engine = Engine(rules)
    cache = QuoteCache(4096)
    cache.put(engine, DAY, b"x" * 16384, b"h", PAYLOAD, "de")
    cache.put(engine, DAY, b"y" * 16385, b"h", PAYLOAD, "de")
    assert cache.get(engine, DAY, b"x" * 16384) is not None
    assert cache.get(engine, DAY, b"y" * 16385) is None
    one = QuoteCache(4096, max_bytes=ENTRY)
    one.put(engine, DAY, b"a" * 1000, b"h" * 3000, PAYLOAD, "de")
    assert (len(one), one.bytes) == (1, ENTRY)
    over = QuoteCache(4096, max_bytes=ENTRY - 1)
    over.put(engine, DAY, b"a" * 1000, b"h" * 3000, PAYLOAD, "de")
    assert len(over) == 0
    two = QuoteCache(2)
    for raw in (b"a", b"b"):
        two.put(engine, DAY, raw, b"h", PAYLOAD, "de")
    assert len(two) == 2
    two.put(engine, DAY, b"c", b"h", PAYLOAD, "de")
    assert len(two) == 2 and two.get(engine, DAY, b"a") is None
