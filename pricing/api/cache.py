"""Recent quotes, so that a cart quoted thousands of times is computed once per engine."""

from __future__ import annotations

from collections import OrderedDict
from datetime import date
from typing import Any

from pricing.engine import Engine

__all__ = ["QuoteCache"]


class QuoteCache:
    """Recent quotes by (engine, quote day, exact request bytes), least recently used out.

    A quote is a pure function of the request, the rules, the rates and the day, so the same
    body quoted by the same engine on the same day gives the same JSON: a flash sale or a
    live-shopping event quotes the same few carts thousands of times. An entry keeps the
    rendered quote (without its signature) and what the signature needs; every response is
    still signed afresh. A new engine (a reload, new rates) never sees an older engine's
    entries. Used from the event loop only.
    """

    #: Bodies larger than this are not cached (a big cart is rarely repeated byte for byte).
    MAX_BODY = 16 * 1024

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[int, date, bytes], tuple[Any, ...]] = OrderedDict()

    def get(self, engine: Engine, day: date, raw: bytes) -> tuple[Any, ...] | None:
        key = (id(engine), day, raw)
        entry = self._entries.get(key)
        if entry is None or entry[0] is not engine:  # an id can be reused after a swap
            return None
        self._entries.move_to_end(key)
        return entry

    def put(self, engine: Engine, day: date, raw: bytes, *values: Any) -> None:
        if self.size <= 0 or len(raw) > self.MAX_BODY:
            return
        self._entries[(id(engine), day, raw)] = (engine, *values)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
