"""Exact money: a Decimal amount in an ISO 4217 currency, with that currency's minor units.

Arithmetic never rounds; rounding happens only in :meth:`Money.round`, with a named
:class:`Rounding` mode and the currency's own precision from CLDR (through babel): JPY and KRW
have 0 decimals, EUR and USD 2, KWD and BHD 3. CLDR gives IQD 0 decimals where ISO 4217 says 3;
we follow CLDR, which is what shoppers see printed.

>>> a = Money.of("10.005", "EUR")
>>> a.round()
Money('10.01', 'EUR')
>>> a.round(mode=Rounding.HALF_EVEN)
Money('10.00', 'EUR')
>>> Money.of("1234.5", "JPY").round()
Money('1235', 'JPY')
>>> [str(p.amount) for p in allocate(Money.of("10.00", "EUR"), [1, 1, 1])]
['3.34', '3.33', '3.33']
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from math import lcm

import moneyed
from babel.numbers import get_currency_precision

from pricing.codes import normalize_currency
from pricing.errors import CurrencyMismatchError, InvalidAmountError, clip

__all__ = [
    "CONTEXT",
    "MAX_AMOUNT",
    "MAX_DECIMALS",
    "Money",
    "Rounding",
    "allocate",
    "checked_moneys",
    "minor_unit",
    "parse_decimal",
    "precision",
    "split",
]

#: Largest absolute amount we accept anywhere (a trillion units): far above any cart, far below
#: what would make Decimal arithmetic slow or a formatted string absurd.
MAX_AMOUNT = Decimal("1000000000000")
#: Most decimal places an amount or rate may have (rates such as 0.45359237 need 8).
MAX_DECIMALS = 12

# Enough digits for a 10^12 amount with 28 decimals of rate arithmetic. Quotes run all their
# arithmetic in this context (see pricing.engine), so results never depend on the caller's.
CONTEXT = _CONTEXT = decimal.Context(prec=60, rounding=decimal.ROUND_HALF_EVEN, traps=[
    decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow])


class Rounding(StrEnum):
    """Named rounding modes. Amounts here are non-negative, so UP means toward +infinity."""

    HALF_UP = "half_up"
    HALF_EVEN = "half_even"
    UP = "up"
    DOWN = "down"

    @property
    def decimal_mode(self) -> str:
        return _DECIMAL_MODES[self]


_DECIMAL_MODES = {
    Rounding.HALF_UP: decimal.ROUND_HALF_UP,
    Rounding.HALF_EVEN: decimal.ROUND_HALF_EVEN,
    Rounding.UP: decimal.ROUND_CEILING,
    Rounding.DOWN: decimal.ROUND_FLOOR,
}


@lru_cache(maxsize=512)
def precision(currency: str) -> int:
    """Number of minor digits of ``currency`` (CLDR).

    >>> precision("JPY"), precision("EUR"), precision("KWD")
    (0, 2, 3)
    """
    return int(get_currency_precision(normalize_currency(currency)))


@lru_cache(maxsize=512)
def minor_unit(currency: str) -> Decimal:
    """The smallest amount of ``currency``: ``Decimal('0.01')`` for EUR, ``Decimal('1')``
    for JPY."""
    return Decimal(1).scaleb(-precision(currency))


def parse_decimal(value: object, *, field: str = "amount",
                  max_decimals: int = MAX_DECIMALS) -> Decimal:
    """A finite Decimal from a decimal string, an int or a Decimal; floats are refused.

    Strings are read strictly, as JSON and TOML readers write them: ASCII digits, an optional
    minus sign and decimal point, nothing else. Python's ``Decimal()`` would also take
    ``" 20.00 "``, ``"2_0.00"``, ``"1E+3"`` and Arabic-Indic digits; a price that only parses
    by accident is refused with the spelling that is expected. At most
    ``max_decimals`` (default :data:`MAX_DECIMALS`) decimal places and :data:`MAX_AMOUNT` in
    absolute value.

    >>> parse_decimal("19.99")
    Decimal('19.99')
    >>> parse_decimal("2_0.00")
    Traceback (most recent call last):
    ...
    pricing.errors.InvalidAmountError: amount is not a plain decimal number: '2_0.00'; write \
ASCII digits with an optional point, e.g. "19.99"
    """
    if isinstance(value, bool | float):
        raise InvalidAmountError(
            f"{field} must be a decimal string such as \"19.99\", not a float "
            "(binary floats cannot hold most prices exactly)",
            field=field, value=value, expected=_EXPECTED)
    if isinstance(value, Decimal):
        d = value
    elif isinstance(value, int):
        if abs(value) > MAX_AMOUNT:  # before Decimal(): a 10**100000 int is slow to convert
            raise InvalidAmountError(f"{field} is out of bounds: {clip(value)}", field=field,
                                     value=clip(value), expected=_BOUNDS)
        d = Decimal(value)
    elif isinstance(value, str):
        if len(value) > _MAX_CHARS or not _PLAIN.fullmatch(value):
            raise InvalidAmountError(
                f"{field} is not a plain decimal number: {clip(value)}; write ASCII digits with "
                "an optional point, e.g. \"19.99\"", field=field, value=_short(value),
                expected=_EXPECTED)
        d = Decimal(value)
    else:
        raise InvalidAmountError(f"{field} must be a decimal string", field=field,
                                 value=_short(value), expected=_EXPECTED)
    if not d.is_finite():
        raise InvalidAmountError(f"{field} must be a finite number, not {value!r}", field=field,
                                 value=_short(value), expected="a finite decimal")
    if abs(d) > MAX_AMOUNT:
        raise InvalidAmountError(f"{field} is out of bounds: {clip(value)}", field=field,
                                 value=_short(value), expected=_BOUNDS)
    exponent = d.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -max_decimals:
        raise InvalidAmountError(
            f"{field} has more than {max_decimals} decimal places: {clip(value)}", field=field,
            value=_short(value), expected=f"at most {max_decimals} decimal places")
    return d


_EXPECTED = 'a decimal string, e.g. "19.99"'
_BOUNDS = f"at most {MAX_AMOUNT} in absolute value"
#: What a decimal string may look like: the JSON number grammar without exponent or "+".
_PLAIN = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?")
def _short(value: object) -> object:
    """The value as found, for the error's ``value`` field, cut when long.

    Never an int past :data:`MAX_AMOUNT`: :func:`parse_decimal` refuses those first, quoting
    them clipped."""
    if isinstance(value, str) and len(value) > 40:
        return value[:39] + "…"
    return value if isinstance(value, str | int | Decimal) else clip(value, 40)


# 13 integer digits, a point, 12 decimals and a sign: longer strings are never valid.
_MAX_CHARS = 32


@dataclass(frozen=True, slots=True)
class Money:
    """An immutable amount of one currency. Compare, add and subtract only within a currency."""

    amount: Decimal
    currency: str

    def __init__(self, amount: Decimal, currency: str) -> None:
        # Written out (dataclass keeps it): the engine makes thousands of these a second, and
        # setting the slots directly costs about half the generated frozen __init__ with its
        # __post_init__ check.
        if not isinstance(amount, Decimal):
            raise InvalidAmountError("Money needs a Decimal amount; use Money.of() to parse",
                                     field="amount", value=amount)
        _SET_AMOUNT(self, amount)
        _SET_CURRENCY(self, currency)

    @classmethod
    def of(cls, amount: object, currency: str) -> Money:
        """Parse ``amount`` (str, int or Decimal, never float) in ``currency``."""
        return cls(parse_decimal(amount), normalize_currency(currency))

    @classmethod
    def zero(cls, currency: str) -> Money:
        return _zero(currency)

    @classmethod
    def parse(cls, text: str, *, field: str = "amount") -> Money:
        """Parse the rule-file spelling ``"150.00 EUR"``."""
        if not isinstance(text, str) or len(parts := text.split()) != 2:
            raise InvalidAmountError(f"{field} must be written as \"AMOUNT CURRENCY\"",
                                     field=field, value=text, expected='e.g. "150.00 EUR"')
        return cls(parse_decimal(parts[0], field=field),
                   normalize_currency(parts[1], field=field))

    # -- arithmetic (exact; never rounds) -------------------------------------------------

    def _check(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatchError(
                f"cannot combine {self.currency} and {other.currency}; convert one first",
                value=f"{self.currency}/{other.currency}")
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + self._check(other).amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - self._check(other).amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        if isinstance(factor, float | Money):
            raise TypeError("multiply Money by a Decimal or int only")
        return Money(_CONTEXT.multiply(self.amount, Decimal(factor)), self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._check(other).amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._check(other).amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._check(other).amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._check(other).amount

    def __bool__(self) -> bool:
        return bool(self.amount)

    def __repr__(self) -> str:
        return f"Money('{self.amount}', '{self.currency}')"

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"

    # -- rounding ---------------------------------------------------------------------

    def round(self, *, mode: Rounding = Rounding.HALF_UP) -> Money:
        """This amount at the currency's minor unit, rounded with ``mode``."""
        return Money(self.amount.quantize(minor_unit(self.currency),
                                          rounding=_DECIMAL_MODES[mode]), self.currency)

    def is_rounded(self) -> bool:
        """True when the amount has exactly the currency's minor digits."""
        return self.amount.as_tuple().exponent == -precision(self.currency)

    # -- interop ----------------------------------------------------------------------

    def to_moneyed(self) -> moneyed.Money:
        return moneyed.Money(self.amount, self.currency)

    @classmethod
    def from_moneyed(cls, value: moneyed.Money) -> Money:
        return cls.of(value.amount, value.currency.code)


@lru_cache(maxsize=512)
def _zero(currency: str) -> Money:
    return Money(Decimal(0).quantize(minor_unit(currency)), currency)


def allocate(total: Money, weights: Sequence[Decimal | int]) -> list[Money]:
    """Split a rounded ``total`` in proportion to ``weights`` by largest remainder.

    The parts add up to ``total`` exactly and each differs from its exact share by less than one
    minor unit. Ties in remainder go to the earlier part, so the result is deterministic. With all
    weights zero the total is split evenly.
    """
    cur = total.currency
    return [Money(a, cur) for a in split(total.amount, weights, minor_unit(cur),
                                         what=str(total))]


def split(total: Decimal, weights: Sequence[Decimal | int], unit: Decimal, *,
          what: str = "") -> tuple[Decimal, ...]:
    """:func:`allocate` on bare amounts: ``total`` (a whole number of ``unit``) split in
    proportion to ``weights`` by largest remainder, as amounts quantized to ``unit``."""
    if not weights:
        raise ValueError("allocate needs at least one weight")
    if len(weights) == 1:  # the common case of one line: nothing to split
        if weights[0] < 0:
            raise ValueError("allocation weights must not be negative")
        rounded = total.quantize(unit)
        if rounded != total:
            raise InvalidAmountError("allocate needs a total rounded to the currency's minor "
                                     "unit", value=what or str(total))
        return (rounded,)
    # In integers: total as a count of minor units, each weight as an exact fraction p/q
    # (``as_integer_ratio``) brought to their common denominator, so the shares and their
    # remainders are exact rationals (no division rounds). Weights are often 60-digit
    # Decimals (exact tax before rounding): their ratios cost far less than their digits.
    ratios = []
    for w in weights:
        if w < 0:
            raise ValueError("allocation weights must not be negative")
        ratios.append(w.as_integer_ratio())
    exponent = unit.as_tuple().exponent
    if unit != _TENS.get(exponent):  # type: ignore[call-overload]
        raise ValueError(f"split needs a currency's minor unit (a power of ten), not {unit}")
    count = total.scaleb(-exponent)  # type: ignore[operator]
    if count != count.to_integral_value():
        raise InvalidAmountError("allocate needs a total rounded to the currency's minor unit",
                                 value=what or str(total))
    units = int(count)
    common = lcm(*[q for _, q in ratios])
    ints = [p * (common // q) for p, q in ratios]
    wsum = sum(ints)
    if wsum == 0:
        ints = [1] * len(ints)
        wsum = len(ints)
    sign = -1 if units < 0 else 1
    n = abs(units)
    floors = []
    remainders = []
    for w in ints:
        q, r = divmod(n * w, wsum)
        floors.append(q)
        remainders.append(r)
    left = n - sum(floors)
    if left:
        # The largest remainders get one more unit each; ties go to the earlier part.
        for i in sorted(range(len(ints)), key=lambda i: -remainders[i])[:left]:
            floors[i] += 1
    # A part is its count of units, scaled to the unit's exponent.
    return tuple([Decimal(sign * f).scaleb(exponent) for f in floors])  # type: ignore[arg-type]


#: 10 ** e by exponent e, for the units of currencies (-4 to 0).
_TENS = {e: Decimal(1).scaleb(e) for e in range(-6, 1)}


# The slots of Money, set directly: the frozen dataclass's __init__ and its check cost ~0.5 us,
# more than the rest of a catalog row's checks together.
_NEW_MONEY = object.__new__
_SET_AMOUNT = Money.__dict__["amount"].__set__
_SET_CURRENCY = Money.__dict__["currency"].__set__


def checked_moneys(amounts: Sequence[Decimal], currencies: Sequence[str]) -> list[Money]:
    """``Money(amount, currency)`` for each pair, for readers that have checked both already
    (Decimal amounts, normalized currency codes): the bulk path of the feed's catalog reader.

    >>> checked_moneys([Decimal("1.50")], ["EUR"]) == [Money(Decimal("1.50"), "EUR")]
    True
    """
    out = []
    append = out.append
    for amount, currency in zip(amounts, currencies, strict=True):
        money = _NEW_MONEY(Money)
        _SET_AMOUNT(money, amount)
        _SET_CURRENCY(money, currency)
        append(money)
    return out
