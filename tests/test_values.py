"""quick_init keeps every promise of a frozen dataclass: signature, defaults, factories,
__post_init__, immutability, equality, replace and pickling."""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from pricing.errors import InvalidAmountError
from pricing.money import Money
from pricing.quote import Quote
from pricing.values import quick_init


@quick_init
@dataclass(frozen=True, slots=True)
class Sample:
    name: str
    count: int = 1
    tags: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.count < 0:
            raise ValueError("count must not be negative")


def test_fields_defaults_and_factories() -> None:
    a = Sample("a")
    assert (a.name, a.count, a.tags) == ("a", 1, {})
    assert Sample("b", tags={"x": 1}).tags == {"x": 1}
    assert Sample("a").tags is not Sample("a").tags  # a fresh dict each time
    assert Sample(name="a", count=2) == Sample("a", 2) != Sample("a")
    with pytest.raises(TypeError):
        Sample()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Sample("a", colour="red")  # type: ignore[call-arg]


def test_post_init_still_runs() -> None:
    with pytest.raises(ValueError, match="negative"):
        Sample("a", -1)
    with pytest.raises(InvalidAmountError):
        Money(1, "EUR")  # type: ignore[arg-type]


def test_instances_stay_frozen_and_behave_as_dataclasses() -> None:
    a = Sample("a", 2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.name = "b"  # type: ignore[misc]
    assert dataclasses.replace(a, count=3) == Sample("a", 3)
    assert pickle.loads(pickle.dumps(a)) == a
    assert hash(Money(Decimal("1.00"), "EUR")) == hash(Money(Decimal("1.0"), "EUR"))
    assert Quote.__init__.__qualname__ == "Quote.__init__"


def test_only_frozen_slotted_dataclasses() -> None:
    @dataclass(frozen=True)
    class NoSlots:
        x: int

    with pytest.raises(TypeError, match="not a frozen, slotted dataclass"):
        quick_init(NoSlots)
