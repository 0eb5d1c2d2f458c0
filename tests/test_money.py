"""Money: exact amounts, each currency's own minor units, named rounding, allocation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pricing import CurrencyError, CurrencyMismatchError, InvalidAmountError, Money, Rounding
from pricing.money import MAX_AMOUNT, allocate, minor_unit, precision

CURRENCIES = ["EUR", "USD", "JPY", "KRW", "KWD", "BHD", "CHF", "GBP", "ISK", "CLP", "JOD"]


@pytest.mark.parametrize(("code", "digits"), [
    # CLDR currency data as shipped with babel: zero-, two- and three-decimal currencies.
    ("JPY", 0), ("KRW", 0), ("CLP", 0), ("ISK", 0), ("EUR", 2), ("USD", 2), ("GBP", 2),
    ("KWD", 3), ("BHD", 3), ("JOD", 3), ("OMR", 3), ("TND", 3),
])
def test_minor_units_come_from_cldr(code, digits):
    assert precision(code) == digits
    assert minor_unit(code) == Decimal(1).scaleb(-digits)


@pytest.mark.parametrize(("amount", "code", "mode", "expected"), [
    # 10.005 EUR: half-up goes to 10.01, half-even to the even neighbour 10.00.
    ("10.005", "EUR", Rounding.HALF_UP, "10.01"),
    ("10.005", "EUR", Rounding.HALF_EVEN, "10.00"),
    ("10.001", "EUR", Rounding.UP, "10.01"),
    ("10.009", "EUR", Rounding.DOWN, "10.00"),
    # JPY has no minor unit: 1234.5 half-up is 1235, half-even 1234.
    ("1234.5", "JPY", Rounding.HALF_UP, "1235"),
    ("1234.5", "JPY", Rounding.HALF_EVEN, "1234"),
    # KWD has three decimals: 1.0005 half-up is 1.001.
    ("1.0005", "KWD", Rounding.HALF_UP, "1.001"),
    ("1.0005", "KWD", Rounding.DOWN, "1.000"),
])
def test_rounding_worked_examples(amount, code, mode, expected):
    assert Money.of(amount, code).round(mode=mode) == Money(Decimal(expected), code)


def test_floats_are_refused():
    with pytest.raises(InvalidAmountError, match="not a float"):
        Money.of(0.1, "EUR")


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity", "abc", "", "1e13"])
def test_bad_amounts_name_the_value(bad):
    with pytest.raises(InvalidAmountError) as e:
        Money.of(bad, "EUR")
    assert e.value.value == bad


@pytest.mark.parametrize("code", ["EURO", "XXX", "XAU", "ZZZ", "", "eu"])
def test_unknown_currencies(code):
    with pytest.raises(CurrencyError):
        Money.of("1", code)


def test_currency_suggestion():
    with pytest.raises(CurrencyError) as e:
        Money.of("1", "EUX")
    assert e.value.suggestion is not None


def test_mixing_currencies_names_both():
    with pytest.raises(CurrencyMismatchError, match="EUR and USD"):
        Money.of("1", "EUR") + Money.of("1", "USD")


def test_parse_rule_file_spelling():
    assert Money.parse("150.00 EUR") == Money(Decimal("150.00"), "EUR")
    with pytest.raises(InvalidAmountError):
        Money.parse("150.00EUR")


def test_money_is_hashable_and_immutable():
    m = Money.of("1.00", "EUR")
    assert {m: 1}[Money.of("1.00", "EUR")] == 1
    with pytest.raises(AttributeError):
        m.amount = Decimal(2)  # type: ignore[misc]


def test_moneyed_round_trip():
    m = Money.of("12.34", "EUR")
    assert Money.from_moneyed(m.to_moneyed()) == m


def test_allocation_worked_example():
    # 10.00 EUR in three equal parts: 3.333... each; the one spare cent goes to the first part.
    parts = allocate(Money.of("10.00", "EUR"), [1, 1, 1])
    assert [p.amount for p in parts] == [Decimal("3.34"), Decimal("3.33"), Decimal("3.33")]
    # 100 JPY by weights 1:2: exact 33.3 and 66.7; floors 33 + 66 = 99; the larger remainder
    # (0.7) gets the last yen.
    parts = allocate(Money.of("100", "JPY"), [1, 2])
    assert [p.amount for p in parts] == [Decimal(33), Decimal(67)]


def test_allocation_needs_a_rounded_total():
    with pytest.raises(InvalidAmountError):
        allocate(Money.of("1.005", "EUR"), [1, 1])


currencies = st.sampled_from(CURRENCIES)


@st.composite
def rounded_money(draw, *, max_units=10**9):
    code = draw(currencies)
    units = draw(st.integers(min_value=0, max_value=max_units))
    return Money((Decimal(units) * minor_unit(code)).quantize(minor_unit(code)), code)


@given(rounded_money(), st.lists(st.integers(min_value=0, max_value=10**6), min_size=1,
                                 max_size=30))
def test_allocation_sums_exactly_and_stays_within_a_unit(total, weights):
    parts = allocate(total, weights)
    assert sum((p.amount for p in parts), Decimal(0)) == total.amount
    wsum = sum(weights) or len(weights)
    shares = weights if sum(weights) else [1] * len(weights)
    unit = minor_unit(total.currency)
    for part, w in zip(parts, shares, strict=True):
        assert part.is_rounded()
        assert abs(part.amount - total.amount * w / wsum) < unit


amounts = st.decimals(min_value=0, max_value=MAX_AMOUNT, allow_nan=False, allow_infinity=False,
                      places=6)
modes = st.sampled_from(list(Rounding))


@given(amounts, currencies, modes)
def test_rounding_is_idempotent_and_has_minor_digits(amount, code, mode):
    once = Money(amount, code).round(mode=mode)
    assert once.is_rounded()
    assert once.round(mode=mode) == once


@given(amounts, amounts, currencies, modes)
def test_rounding_is_monotone(a, b, code, mode):
    lo, hi = sorted((a, b))
    assert Money(lo, code).round(mode=mode) <= Money(hi, code).round(mode=mode)


def test_parse_errors_name_the_field_the_value_and_the_spelling():
    """Rule files are read with Money.parse: its errors carry what the loader shows."""
    with pytest.raises(InvalidAmountError) as e:
        Money.parse("150.00EUR", field="max_value")
    assert (e.value.field, e.value.value, e.value.expected) == (
        "max_value", "150.00EUR", 'e.g. "150.00 EUR"')
    assert e.value.message == 'max_value must be written as "AMOUNT CURRENCY"'
    with pytest.raises(InvalidAmountError) as e:
        Money.parse("abc EUR", field="free_over")
    assert e.value.field == "free_over"
    with pytest.raises(CurrencyError) as e:
        Money.parse("150.00 EUX", field="flat_duty")
    assert (e.value.field, e.value.value) == ("flat_duty", "EUX")
