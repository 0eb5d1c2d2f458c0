"""Recent quotes, so that a cart quoted thousands of times is computed once per engine."""

from __future__ import annotations

from collections import OrderedDict
from datetime import date
from typing import Any

from pricing.engine import Engine

__all__ = ["DEFAULT_CACHE_BYTES", "QuoteCache"]

#: Default memory the cache may hold per worker: 32 MiB, a few thousand typical carts.
DEFAULT_CACHE_BYTES = 32 * 1024 * 1024
# What an entry costs beyond the body and the rendered quote: the key and entry tuples, the
# OrderedDict node and the signature's payload dict. Measured with tracemalloc on the bundled
# rules (de): 1.6 KB for a three-line cart, 6.7 KB for thirty lines; 1 KB + 200 B a line.
_ENTRY_OVERHEAD = 1024
_PER_LINE = 200


class QuoteCache:
    """Recent quotes by (engine, quote day, exact request bytes), least recently used out.

    A quote is a pure function of the request, the rules, the rates and the day, so the same
    body quoted by the same engine on the same day gives the same JSON: a flash sale or a
    live-shopping event quotes the same few carts thousands of times. An entry keeps the
    rendered quote (without its signature) and what the signature needs; every response is
    still signed afresh. A new engine (a reload, new rates) never sees an older engine's
    entries. Used from the event loop only.

    The cache is bounded by the bytes it holds (request body + rendered quote + an estimate
    of the rest), not by entries: 4,096 entries of 16 KiB carts would pin a gigabyte.
    ``max_entries`` bounds the count too.
    """

    #: Bodies larger than this are not cached (a big cart is rarely repeated byte for byte).
    MAX_BODY = 16 * 1024

    def __init__(self, max_entries: int, *, max_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self.size = max_entries
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[tuple[int, date, bytes], tuple[Any, ...]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, engine: Engine, day: date, raw: bytes) -> tuple[Any, ...] | None:
        key = (id(engine), day, raw)
        entry = self._entries.get(key)
        if entry is None or entry[0] is not engine:  # an id can be reused after a swap
            return None
        self._entries.move_to_end(key)
        return entry[2:]

    def put(self, engine: Engine, day: date, raw: bytes, head: bytes, payload: dict[str, Any],
            *values: Any) -> None:
        """Keep ``head`` (the rendered quote) and ``payload`` (the signature's) for ``raw``."""
        if self.size <= 0 or self.max_bytes <= 0 or len(raw) > self.MAX_BODY:
            return
        cost = (len(raw) + len(head) + _ENTRY_OVERHEAD
                + _PER_LINE * len(payload.get("lines", ())))
        if cost > self.max_bytes:
            return
        key = (id(engine), day, raw)
        old = self._entries.pop(key, None)
        if old is not None:
            self.bytes -= old[1]
        self._entries[key] = (engine, cost, head, payload, *values)
        self.bytes += cost
        while len(self._entries) > self.size or self.bytes > self.max_bytes:
            _, (_, gone, *_) = self._entries.popitem(last=False)
            self.bytes -= gone
