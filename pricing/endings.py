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
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from pricing.money import Money, minor_unit

__all__ = ["EndingMode", "PriceEnding"]

# Bounds inside which PriceEnding.apply_amount on amount x factor is exact in 60 digits (so
# the integer arithmetic of minor_function gives the same price): amounts below 10^14 with at
# most 12 decimals, factors below 10^5 with at most 26 decimals, so that amount x factor is
# below 10^19 and a multiple of 10^-38 (57 digits); steps from 10^-12 to 10^12 and powers of
# ten, so that subtracting the ending, dividing by the step, rounding to a whole step and
# adding the ending back stay within 60 digits and exact.
_AMOUNT_LIMIT = 10**14
_AMOUNT_DENOMINATORS = 10**12
_FACTOR_LIMIT = 10**5
_FACTOR_DENOMINATORS = 10**26
_STEP_LIMIT = Decimal(10) ** 12


def _power_of_ten(x: Decimal) -> bool:
    digits = x.as_tuple().digits
    return digits[0] == 1 and not any(digits[1:])


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

    def minor_function(self, unit: Decimal, factor: Decimal, *,
                       otherwise: Callable[[Decimal], int | None] | None = None
                       ) -> Callable[[Decimal], int | None] | None:
        """``apply_amount(amount * factor, unit)`` counted in ``unit``, in integer arithmetic,
        compiled once: for pricing a catalog, where it costs a fraction of the Decimal steps.

        Integers are exact; :meth:`apply_amount` is exact too (every step of it stays within
        the 60 digits of :data:`pricing.money.CONTEXT`) when the amount, the factor and the
        step are of the sizes bounded here, so both give the same price. For an amount outside
        those bounds (zero or less, 10^14 or more, finer than 10^-12) the function returns
        ``otherwise(amount)`` (None without it); an amount of zero gives 0. None instead of a
        function when this ending or ``factor`` is not covered: ``nearest``, a step that is not
        a power of ten, a step or ending finer than ``unit``, a factor of 10^5 or more or finer
        than 10^-26.

        >>> to_minor = PriceEnding(step=Decimal(1), ending=Decimal("0.99")).minor_function(
        ...     Decimal("0.01"), Decimal("0.9"))
        >>> to_minor(Decimal("20.00")), to_minor(Decimal("1e20"))
        (1899, None)
        """
        if self.mode is EndingMode.UP:
            up = True
        elif self.mode is EndingMode.DOWN:
            up = False
        else:
            return None
        unit_exp = unit.as_tuple().exponent
        if (not _power_of_ten(unit) or not -12 <= unit_exp <= 0  # type: ignore[operator]
                or not _power_of_ten(self.step)
                or not 1 / _STEP_LIMIT <= self.step <= _STEP_LIMIT
                or not 0 < factor < _FACTOR_LIMIT):
            return None
        step_m, end_m = self.step / unit, self.ending / unit
        f_num, f_den = factor.as_integer_ratio()
        if step_m != int(step_m) or end_m != int(end_m) or _FACTOR_DENOMINATORS % f_den:
            return None
        s, e = int(step_m), int(end_m)
        lowest = 0 if e > 0 else 1
        # An amount is n / d; its value in units is n * scale / (d * f_den), and k, the steps
        # above the ending, is ceil((value - e) / s) for up, floor for down. What depends on d
        # alone is kept per d: catalogs have one or two (100 for cents).
        scale = f_num * 10 ** -unit_exp  # type: ignore[operator]
        per_d: dict[int, tuple[int, int, int]] = {}

        def constants(d: int) -> tuple[int, int, int]:
            found = ((e * d * f_den, s * d * f_den, d * _AMOUNT_LIMIT)
                     if not _AMOUNT_DENOMINATORS % d else (1, 1, 0))  # limit 0: otherwise
            if len(per_d) < 64:
                per_d[d] = found
            return found

        def outside(amount: Decimal, n: int) -> int | None:
            if not n:
                return 0
            return otherwise(amount) if otherwise is not None else None

        def to_minor_up(amount: Decimal) -> int | None:
            n, d = amount.as_integer_ratio()
            ed, sd, limit = per_d.get(d) or constants(d)
            if 0 < n < limit:
                # value > 0 and e < s: (value - e) / s > -1, so k >= 0, and k >= 1 when
                # e == 0: never below the lowest allowed price.
                return -((ed - n * scale) // sd) * s + e
            return outside(amount, n)

        def to_minor_down(amount: Decimal) -> int | None:
            n, d = amount.as_integer_ratio()
            ed, sd, limit = per_d.get(d) or constants(d)
            if 0 < n < limit:
                k = (n * scale - ed) // sd
                return (k if k > lowest else lowest) * s + e
            return outside(amount, n)

        return to_minor_up if up else to_minor_down

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
