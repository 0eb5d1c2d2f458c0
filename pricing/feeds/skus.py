"""The SKUs a feed run has seen, kept compactly, to refuse a duplicate SKU exactly.

A catalog reader must remember every SKU it has read (a later row with the same SKU is a bad
row), and that is the one thing in a feed run that grows with the catalog: a ``set`` of the
SKU strings costs ~100 bytes a SKU. :class:`SeenSkus` keeps a 16-bit fingerprint of each SKU
in an open-addressing table (an ``array`` at most half full: 4 to 8 bytes a SKU) and the SKUs
themselves in a temporary file on disk, not in memory.

A fingerprint says only "maybe seen": two SKUs can share a slot's fingerprint. Every such SKU
is confirmed against the exact SKUs (the batch's own in memory, earlier ones read back from the
file, one pass per batch that needs it; with 16 bits and a half-full table that is about one
batch in a thousand, besides the batches with real duplicates), so a good row is never refused
for a collision and a duplicate is never let through.

>>> seen = SeenSkus()
>>> seen.add_many(["A", "B", "A"]), seen.add_many(["C", "B"]), seen.add("D"), seen.add("A")
([2], [1], False, True)
"""

from __future__ import annotations

import tempfile
from array import array
from collections.abc import Sequence
from operator import itemgetter

__all__ = ["SeenSkus"]


class SeenSkus:
    """Every SKU added so far; :meth:`add_many` says which of a batch were there already.

    ``expected``: how many SKUs to size the table for (it grows past that, reading the SKUs
    back from the file: sizing it well saves that).
    """

    #: The bits of a SKU's hash kept as its fingerprint (16; tests take fewer, to collide).
    mark_mask = 0xFFFF

    def __init__(self, *, expected: int = 4096) -> None:
        self._count = 0
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close() or at exit
        self._resize(expected)

    def __len__(self) -> int:
        return self._count

    def close(self) -> None:
        self._file.close()

    def _resize(self, count: int) -> None:
        size = 1 << 10
        while size < 2 * count:
            size *= 2
        self._size = size
        self._table = array("H", bytes(2 * size))

    def add(self, sku: str) -> bool:
        """Add ``sku``; whether it was there already (the row-by-row readers' form)."""
        if (self._count + 1) * 2 > self._size:
            self._grow(self._count + 1)
        h = hash(sku)
        if self._probe(h & (self._size - 1), (h >> 48 & self.mark_mask) or 1, insert=True) \
                and self._confirm([sku], [0]):
            return True
        self._file.write(sku.encode("utf-8") + b"\n")
        self._count += 1
        return False

    def add_many(self, skus: Sequence[str]) -> list[int]:
        """Add ``skus``; the indexes of those seen before (earlier in ``skus`` too), in order."""
        if not skus:
            return []
        if (self._count + len(skus)) * 2 > self._size:
            self._grow(self._count + len(skus))
        table, mask = self._table, self._size - 1
        hashes = list(map(hash, skus))  # str hashes are keyed per process (SipHash)
        slots = [h & mask for h in hashes]
        bits = self.mark_mask
        marks = [(h >> 48 & bits) or 1 for h in hashes]
        held = itemgetter(*slots)(table) if len(slots) > 1 else (table[slots[0]],)
        maybe: list[int] = []
        for i, (slot, mark, was) in enumerate(zip(slots, marks, held, strict=True)):
            if not was and not table[slot]:  # the common case: an empty home slot
                table[slot] = mark
            elif self._probe(slot, mark, insert=True):
                maybe.append(i)
        dups = self._confirm(skus, maybe) if maybe else []
        gone = set(dups)
        kept = [s for i, s in enumerate(skus) if i not in gone] if dups else skus
        if kept:
            self._file.write(("\n".join(kept) + "\n").encode("utf-8"))
        self._count += len(kept)
        return dups

    def _probe(self, slot: int, mark: int, *, insert: bool) -> bool:
        """Walk from ``slot``: True at a slot holding ``mark`` (maybe seen); at an empty slot,
        put ``mark`` there when ``insert`` and return False."""
        table, mask = self._table, self._size - 1
        while True:
            was = table[slot]
            if was == mark:
                return True
            if not was:
                if insert:
                    table[slot] = mark
                return False
            slot = (slot + 1) & mask

    def _put(self, slot: int, mark: int) -> None:
        """Put ``mark`` at the first empty slot from ``slot`` (past slots holding it)."""
        table, mask = self._table, self._size - 1
        while table[slot]:
            slot = (slot + 1) & mask
        table[slot] = mark

    def _confirm(self, skus: Sequence[str], maybe: list[int]) -> list[int]:
        """Of the SKUs at ``maybe`` (their fingerprint was met on their way in the table),
        those really seen before: earlier in this batch, or in the file of earlier batches.
        A new one among them needs no slot of its own: slots are never emptied, so its way
        through the table meets that same fingerprint again, and it is confirmed again."""
        wanted = {skus[i] for i in maybe}
        earlier: set[str] = set()
        if self._count:
            f = self._file
            f.flush()
            f.seek(0)
            want = {s.encode("utf-8") + b"\n" for s in wanted}
            earlier = {line[:-1].decode("utf-8") for line in f if line in want}
            f.seek(0, 2)
        first: dict[str, int] = {}
        for i, sku in enumerate(skus):
            if sku in wanted:
                first.setdefault(sku, i)
        return [i for i in maybe if skus[i] in earlier or first[skus[i]] != i]

    def _grow(self, count: int) -> None:
        """A table for ``count`` SKUs, at most half full: every SKU so far is placed again,
        read back from the file (fingerprints alone do not say where they go)."""
        self._resize(count)
        mask = self._size - 1
        f = self._file
        f.flush()
        f.seek(0)
        for line in f:
            h = hash(line[:-1].decode("utf-8"))
            self._put(h & mask, (h >> 48 & self.mark_mask) or 1)
        f.seek(0, 2)
