"""The compact store of SKUs seen refuses exactly the SKUs a set of strings would refuse."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pricing.feeds.skus import SeenSkus


class _Colliding(SeenSkus):
    """One bit of fingerprint: every SKU meets another's on its way in the table, so the
    exact confirmation decides every time."""

    mark_mask = 0x1


class _Close(SeenSkus):
    """Two bits: fingerprints shared often, not always (a new SKU that met another's must
    still go in the table, or its own duplicate later may not meet it)."""

    mark_mask = 0x3


def _expected(batches: list[list[str]]) -> list[list[int]]:
    seen: set[str] = set()
    out = []
    for batch in batches:
        dups = []
        for i, sku in enumerate(batch):
            if sku in seen:
                dups.append(i)
            seen.add(sku)
        out.append(dups)
    return out


# Few distinct SKUs (many duplicates, within a batch and across), some non-ASCII.
_SKUS = st.lists(st.lists(st.sampled_from(["A", "B", "C-1", "é", "ü-2", "x" * 40])
                          | st.text("ab01", min_size=1, max_size=4), max_size=40), max_size=8)


@settings(max_examples=150, deadline=None)
@given(batches=_SKUS, kind=st.sampled_from([SeenSkus, _Close, _Colliding]),
       expected=st.sampled_from([1, 4096]))
def test_duplicates_are_those_of_a_set(batches, kind, expected) -> None:
    seen = kind(expected=expected)
    try:
        # Batches of one are added one SKU at a time (the row-by-row readers' form).
        assert [seen.add_many(b) if len(b) != 1 else [0] * seen.add(b[0])
                for b in batches] == _expected(batches)
        assert len(seen) == len({s for b in batches for s in b})
    finally:
        seen.close()


def test_the_table_grows_past_what_it_was_sized_for() -> None:
    # Sized for 1 (a table of 1024 slots), given 5000 distinct SKUs: it grows, reading them
    # back from its file, and still knows every one.
    seen = SeenSkus(expected=1)
    skus = [f"SKU-{i}" for i in range(5000)]
    assert seen.add_many(skus[:2500]) == [] and seen.add_many(skus[2500:]) == []
    assert seen.add_many(["SKU-0", "NEW", "SKU-4999"]) == [0, 2]
    assert len(seen) == 5001
    seen.close()
