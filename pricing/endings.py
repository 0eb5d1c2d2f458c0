"""Price endings ("charm" pricing) and rounding to an increment.

A :class:`PriceEnding` describes a lattice of allowed prices: every ``k * step + ending`` for
whole ``k >= 0``, with ``0 <= ending < step``. A value maps to a lattice point:

* ``up``: the smallest allowed price at or above the value;
* ``down``: the largest allowed price at or below it (or the smallest allowed price when the
  value is below all of them, so a price never becomes zero or negative);
* ``nearest``: the closer of the two, ties going up.

Because the lattice is fixed and each mode picks by position on it, the mapping is monotone (a
higher input never gives a lower price) and idempotent (an allowed price maps to itself).

>>> e = PriceEnding(step=Decimal("1"), ending=Decimal("0.99"))
>>> e.apply(Money.of("23.10", "EUR"))
Money('23.99', 'EUR')
>>> PriceEnding(step=Decimal("0.05")).apply(Money.of("12.32", "CHF"), ).amount
Decimal('12.35')
>>> PriceEnding(step=Decimal("10"), mode=EndingMode.NEAREST).apply(Money.of("1234", "JPY"))
Money('1230', 'JPY')
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from pricing.money import Money, minor_unit

__all__ = ["EndingMode", "PriceEnding"]


class EndingMode(StrEnum):
    UP = "up"
    DOWN = "down"
    NEAREST = "nearest"


@dataclass(frozen=True, slots=True)
class PriceEnding:
    """Allowed prices ``k * step + ending``; see the module docstring for the mapping."""

    step: Decimal
    ending: Decimal = Decimal(0)
    mode: EndingMode = EndingMode.UP

    def __post_init__(self) -> None:
        if self.step <= 0:
            raise ValueError("a price ending's step must be positive")
        if not (0 <= self.ending < self.step):
            raise ValueError("a price ending must be at least 0 and below its step")

    def check_currency(self, currency: str) -> str | None:
        """Why this ending cannot be used with ``currency``, or None when it can."""
        unit = minor_unit(currency)
        for name, v in (("step", self.step), ("ending", self.ending)):
            if v % unit != 0:
                return f"{name} {v} is finer than the {currency} minor unit {unit}"
        return None

    def apply(self, price: Money) -> Money:
        """The allowed price for ``price``, at the currency's minor digits."""
        return Money(self.apply_amount(price.amount, minor_unit(price.currency)),
                     price.currency)

    def apply_amount(self, x: Decimal, unit: Decimal) -> Decimal:
        """:meth:`apply` on a bare amount, quantized to ``unit`` (the currency's minor unit)."""
        k = (x - self.ending) / self.step
        if self.mode is EndingMode.UP:
            chosen = k.to_integral_value(rounding=decimal.ROUND_CEILING)
        elif self.mode is EndingMode.DOWN:
            chosen = k.to_integral_value(rounding=decimal.ROUND_FLOOR)
        else:
            lo = k.to_integral_value(rounding=decimal.ROUND_FLOOR)
            hi = k.to_integral_value(rounding=decimal.ROUND_CEILING)
            below, above = lo * self.step + self.ending, hi * self.step + self.ending
            chosen = lo if (x - below) < (above - x) else hi
        # The lowest allowed price is k = 0 (or k = 1 when the ending is 0, since 0 is no price).
        floor_k = 0 if self.ending > 0 else 1
        if chosen < floor_k:
            chosen = Decimal(floor_k)
        return (chosen * self.step + self.ending).quantize(unit)
