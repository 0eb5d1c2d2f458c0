"""Money: exact amounts, each currency's own minor units, named rounding, allocation."""

from __future__ import annotations

import decimal
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pricing import CurrencyError, CurrencyMismatchError, InvalidAmountError, Money, Rounding
from pricing.money import (
    CONTEXT,
    MAX_AMOUNT,
    allocate,
    checked_moneys,
    minor_unit,
    parse_decimal,
    precision,
    split,
)

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


# -- worked examples aimed at mutmut's survivors (docs/testing.md, mutation testing) ----------

def test_arithmetic_is_exact_and_keeps_the_currency():
    a, b = Money.of("10.00", "EUR"), Money.of("0.01", "EUR")
    # 10.00 - 0.01 = 9.99 and 0.01 - 10.00 = -9.99: exact, in EUR, no rounding
    assert a - b == Money(Decimal("9.99"), "EUR")
    assert b - a == Money(Decimal("-9.99"), "EUR")
    assert a + b == Money(Decimal("10.01"), "EUR")
    # 10.00 x 0.125 = 1.25000 (the exact product: no rounding to cents)
    assert str((a * Decimal("0.125")).amount) == "1.25000"
    assert 3 * b == Money(Decimal("0.03"), "EUR")


def test_combining_with_something_else_says_what_it_was():
    with pytest.raises(TypeError, match=r"^cannot combine Money with int$"):
        Money.of("1.00", "EUR") + 1  # type: ignore[operator]
    with pytest.raises(TypeError, match=r"^cannot combine Money with NoneType$"):
        Money.of("1.00", "EUR") - None  # type: ignore[operator]
    with pytest.raises(CurrencyMismatchError) as e:
        Money.of("1", "EUR") - Money.of("1", "USD")
    assert (e.value.message, e.value.value) == (
        "cannot combine EUR and USD; convert one first", "EUR/USD")
    for factor in (0.5, Money.of("2", "EUR")):
        with pytest.raises(TypeError, match=r"^multiply Money by a Decimal or int only$"):
            Money.of("1.00", "EUR") * factor  # type: ignore[operator]


def test_comparisons_at_equality_and_one_minor_unit_apart():
    one, same, cent_more = (Money.of("1.00", "EUR"), Money.of("1.000", "EUR"),
                            Money.of("1.01", "EUR"))
    # 1.00 and 1.000 are the same amount: neither is below or above the other
    assert (one < same, one <= same, one > same, one >= same) == (False, True, False, True)
    assert (one < cent_more, one <= cent_more, one > cent_more, one >= cent_more) == (
        True, True, False, False)
    assert (cent_more > one, cent_more >= one, cent_more < one) == (True, True, False)
    for compare in (Money.__lt__, Money.__le__, Money.__gt__, Money.__ge__):
        with pytest.raises(CurrencyMismatchError):
            compare(one, Money.of("1.00", "USD"))
    assert not Money.zero("EUR") and bool(one)


def test_text_forms():
    m = Money.of("12.30", "EUR")
    assert (repr(m), str(m)) == ("Money('12.30', 'EUR')", "12.30 EUR")
    # JPY has no minor digits, KWD three (CLDR): zero is written with them
    assert (str(Money.zero("JPY")), str(Money.zero("KWD"))) == ("0 JPY", "0.000 KWD")


def test_an_unrounded_total_is_named_in_the_allocation_error():
    # 1.005 EUR has a tenth of a cent: no split into whole cents adds up to it
    for weights in ([1], [1, 1]):
        with pytest.raises(InvalidAmountError) as e:
            allocate(Money.of("1.005", "EUR"), weights)
        assert e.value.value == "1.005 EUR"


def test_error_values_are_cut_at_forty_characters():
    # A 40-character string is quoted whole; a 41-character one is cut to 39 characters and
    # an ellipsis (40 in all), so an error never carries a whole pasted document.
    with pytest.raises(InvalidAmountError) as e:
        Money.of("9" * 40, "EUR")
    assert e.value.value == "9" * 40
    with pytest.raises(InvalidAmountError) as e:
        Money.of("9" * 41, "EUR")
    assert e.value.value == "9" * 39 + "…"
    # Neither string nor number: its repr, cut the same way. repr([0] * 30) is "[0, 0, ..., 0]"
    # (90 characters); its first 39 are "[" and twelve "0, " and "0,".
    with pytest.raises(InvalidAmountError) as e:
        Money.of([0] * 30, "EUR")
    assert e.value.value == "[" + "0, " * 12 + "0," + "…"
    with pytest.raises(InvalidAmountError) as e:
        Money.of(None, "EUR")
    assert e.value.value == "None"


def test_errors_name_the_amount_field_by_default():
    with pytest.raises(InvalidAmountError) as e:
        Money.of(0.1, "EUR")
    assert (e.value.field, e.value.value) == ("amount", 0.1)
    with pytest.raises(InvalidAmountError) as e:
        Money.parse("150.00EUR")
    assert e.value.field == "amount"
    assert e.value.message == 'amount must be written as "AMOUNT CURRENCY"'


_PLAIN_ERROR = ('{f} is not a plain decimal number: {v}; write ASCII digits with an optional '
                'point, e.g. "19.99"')
_FLOAT_ERROR = ('{f} must be a decimal string such as "19.99", not a float (binary floats '
                'cannot hold most prices exactly)')
_EXPECTED = 'a decimal string, e.g. "19.99"'
_BOUNDS = "at most 1000000000000 in absolute value"


@pytest.mark.parametrize(("value", "message", "shown", "expected"), [
    (0.5, _FLOAT_ERROR, 0.5, _EXPECTED),
    (True, _FLOAT_ERROR, True, _EXPECTED),   # a JSON true is no price either
    ("1,50", _PLAIN_ERROR.replace("{v}", "'1,50'"), "1,50", _EXPECTED),
    ([1], "{f} must be a decimal string", "[1]", _EXPECTED),
    (Decimal("NaN"), "{f} must be a finite number, not Decimal('NaN')", Decimal("NaN"),
     "a finite decimal"),
    (Decimal("-Infinity"), "{f} must be a finite number, not Decimal('-Infinity')",
     Decimal("-Infinity"), "a finite decimal"),
    # MAX_AMOUNT is 10^12: one more unit, or one more cent, is out of bounds, either sign
    (10**12 + 1, "{f} is out of bounds: 1000000000001", "1000000000001", _BOUNDS),
    (-(10**12) - 1, "{f} is out of bounds: -1000000000001", "-1000000000001", _BOUNDS),
    ("1000000000000.01", "{f} is out of bounds: '1000000000000.01'", "1000000000000.01",
     _BOUNDS),
    (Decimal("-1000000000000.01"), "{f} is out of bounds: Decimal('-1000000000000.01')",
     Decimal("-1000000000000.01"), _BOUNDS),
    # 13 decimal places, one more than MAX_DECIMALS
    ("0.0000000000001", "{f} has more than 12 decimal places: '0.0000000000001'",
     "0.0000000000001", "at most 12 decimal places"),
    # 32 characters (the longest string read) is read, and then has too many places; 33 is
    # refused unread as no plain number
    ("0." + "0" * 30, "{f} has more than 12 decimal places: '0." + "0" * 30 + "'",
     "0." + "0" * 30, "at most 12 decimal places"),
    ("0." + "0" * 31, _PLAIN_ERROR.replace("{v}", "'0." + "0" * 31 + "'"), "0." + "0" * 31,
     _EXPECTED),
])
def test_parse_decimal_errors_say_what_was_wrong(value, message, shown, expected):
    with pytest.raises(InvalidAmountError) as e:
        parse_decimal(value, field="unit_price")
    err = e.value
    # repr: Decimal('NaN') is not equal to itself
    assert (err.message, err.field, repr(err.value), err.expected) == (
        message.format(f="unit_price"), "unit_price", repr(shown), expected)


@pytest.mark.parametrize(("value", "expected"), [
    # the limits themselves are accepted: 10^12 either sign, 12 decimal places
    (10**12, "1000000000000"), (-(10**12), "-1000000000000"),
    ("1000000000000", "1000000000000"), (Decimal("-1000000000000.00"), "-1000000000000.00"),
    ("0.000000000001", "1E-12"), (Decimal("1.50"), "1.50"), (7, "7"),
    ("-0.50", "-0.50"),
])
def test_parse_decimal_accepts_up_to_the_limits(value, expected):
    assert str(parse_decimal(value)) == expected


def test_parse_decimal_with_fewer_decimal_places():
    # a rule file's amount limited to 2 places: 1.23 is read, 1.234 is refused naming the limit
    assert parse_decimal("1.23", max_decimals=2) == Decimal("1.23")
    with pytest.raises(InvalidAmountError) as e:
        parse_decimal("1.234", max_decimals=2)
    assert (e.value.message, e.value.expected) == (
        "amount has more than 2 decimal places: '1.234'", "at most 2 decimal places")


def test_allocation_edges():
    ten = Money.of("10.00", "EUR")
    with pytest.raises(ValueError, match=r"^allocate needs at least one weight$"):
        allocate(ten, [])
    for weights in ([-1], [1, -1], [-1, 1]):
        with pytest.raises(ValueError, match=r"^allocation weights must not be negative$"):
            allocate(ten, weights)
    # One part, even of weight 0, is the whole total, at the currency's digits (10 -> 10.00).
    assert [str(p.amount) for p in allocate(Money.of("10", "EUR"), [0])] == ["10.00"]
    # All weights zero: an even split, the spare cent to the first part.
    assert [str(p.amount) for p in allocate(ten, [0, 0, 0])] == ["3.34", "3.33", "3.33"]
    # A negative total (a refund) splits like its opposite, each part negative.
    assert [str(p.amount) for p in allocate(Money.of("-10.00", "EUR"), [1, 1, 1])] == [
        "-3.34", "-3.33", "-3.33"]


@pytest.mark.parametrize("weights", [[Decimal("0.5"), Decimal("0.25")],
                                     [Decimal("0.50"), Decimal("0.25")]])
def test_allocation_by_decimal_weights(weights):
    # 1.00 EUR by 0.5 : 0.25 (2 : 1) = 100 cents: 100 x 50 / 75 = 66 r 50, 100 x 25 / 75 = 33
    # r 25; the spare cent goes to the larger remainder: 0.67 and 0.33. Weights are read at
    # their finest decimal (both x 100), whatever the order they come in.
    parts = allocate(Money.of("1.00", "EUR"), weights)
    assert [p.amount for p in parts] == [Decimal("0.67"), Decimal("0.33")]
    parts = allocate(Money.of("1.00", "EUR"), weights[::-1])
    assert [p.amount for p in parts] == [Decimal("0.33"), Decimal("0.67")]


def test_allocation_in_three_decimal_currencies():
    # 1.000 KWD by 1 : 1 : 1: 1000 fils = 334 + 333 + 333 (the earlier part takes the spare)
    parts = allocate(Money.of("1.000", "KWD"), [1, 1, 1])
    assert [str(p.amount) for p in parts] == ["0.334", "0.333", "0.333"]


def test_rounding_defaults_to_half_up_and_names_its_mode():
    # 10.005 EUR: the default is half-up (10.01), not half-even (10.00)
    assert Money.of("10.005", "EUR").round() == Money(Decimal("10.01"), "EUR")
    assert {m: m.decimal_mode for m in Rounding} == {
        Rounding.HALF_UP: "ROUND_HALF_UP", Rounding.HALF_EVEN: "ROUND_HALF_EVEN",
        Rounding.UP: "ROUND_CEILING", Rounding.DOWN: "ROUND_FLOOR"}


@pytest.mark.parametrize(("amount", "code", "rounded"), [
    ("10.00", "EUR", True), ("10.0", "EUR", False), ("10.000", "EUR", False),
    ("10", "JPY", True), ("10.0", "JPY", False), ("1.000", "KWD", True), ("1.00", "KWD", False),
])
def test_is_rounded_means_exactly_the_minor_digits(amount, code, rounded):
    assert Money.of(amount, code).is_rounded() is rounded


def test_minor_units_of_a_lower_case_code():
    assert (precision("eur"), minor_unit("kwd")) == (2, Decimal("0.001"))


def test_money_needs_a_decimal():
    with pytest.raises(InvalidAmountError) as e:
        Money(1, "EUR")  # type: ignore[arg-type]
    assert (e.value.message, e.value.field, e.value.value) == (
        "Money needs a Decimal amount; use Money.of() to parse", "amount", 1)


def test_to_moneyed_keeps_amount_and_currency():
    m = Money.of("12.34", "EUR").to_moneyed()
    assert (m.amount, m.currency.code) == (Decimal("12.34"), "EUR")


def test_checked_moneys_pairs_amounts_with_currencies():
    found = checked_moneys([Decimal("1.50"), Decimal("200")], ["EUR", "JPY"])
    assert found == [Money(Decimal("1.50"), "EUR"), Money(Decimal("200"), "JPY")]
    assert [type(m) for m in found] == [Money, Money]
    assert checked_moneys([], []) == []
    # one list shorter than the other is a bug in the reader, not a shorter catalog
    with pytest.raises(ValueError, match="longer"):
        checked_moneys([Decimal("1.50")], ["EUR", "JPY"])


@pytest.mark.parametrize("weights", [[1], [1, 1]])
def test_split_names_an_unrounded_total(weights):
    # split() on bare amounts (the stages' allocation): the total itself is the value shown
    with pytest.raises(InvalidAmountError) as e:
        split(Decimal("1.005"), weights, Decimal("0.01"))
    assert (e.value.message, e.value.value) == (
        "allocate needs a total rounded to the currency's minor unit", "1.005")
    assert split(Decimal("1.00"), weights, Decimal("0.01")) == (
        (Decimal("1.00"),) if len(weights) == 1 else (Decimal("0.50"), Decimal("0.50")))


def _reference_split(total: Decimal, weights: list[Decimal], unit: Decimal) -> tuple[Decimal, ...]:
    """Largest remainder the long way: every weight scaled to whole numbers at the finest
    decimal among them (what split did before it read weights as integer ratios)."""
    scale = max(max(-w.as_tuple().exponent, 0) for w in weights)  # type: ignore[operator]
    ints = [int(w.scaleb(scale)) for w in weights]
    units = int(total.scaleb(-unit.as_tuple().exponent))  # type: ignore[operator]
    wsum = sum(ints) or len(ints)
    ints = ints if sum(ints) else [1] * len(ints)
    n = abs(units)
    exact = [divmod(n * w, wsum) for w in ints]
    floors = [q for q, _ in exact]
    for i in sorted(range(len(ints)), key=lambda i: -exact[i][1])[:n - sum(floors)]:
        floors[i] += 1
    sign = -1 if units < 0 else 1
    return tuple((Decimal(sign * f) * unit).quantize(unit) for f in floors)


_LONG = st.decimals(min_value=0, max_value=10**6, places=60, allow_nan=False,
                    allow_infinity=False)


@given(units=st.integers(-10**9, 10**9),
       unit=st.sampled_from([Decimal(1), Decimal("0.01"), Decimal("0.001"), Decimal("0.0001")]),
       weights=st.lists(st.one_of(_LONG, st.decimals(0, 1000, places=2),
                                  st.integers(0, 50).map(Decimal)), min_size=2, max_size=8))
def test_split_gives_the_long_ways_parts(units, unit, weights):
    # Weights like the engine's: exact tax before rounding (60 digits), prices, weights in kg.
    with decimal.localcontext(CONTEXT):
        total = (Decimal(units) * unit).quantize(unit)
        parts = split(total, weights, unit)
        assert parts == _reference_split(total, weights, unit)
        # the same Decimals, exponent included: they are written into quotes as they are
        assert [str(p) for p in parts] == [str(p) for p in _reference_split(total, weights,
                                                                            unit)]
        assert sum(parts) == total


@pytest.mark.parametrize("unit", [Decimal("0.05"), Decimal("0.10"), Decimal("10")])
def test_split_takes_a_minor_unit_only(unit):
    # Parts are counted in units of 10^exponent: a cash step of 0.05 (or 0.10, written with
    # the cent's exponent) would be read as cents, so it is refused rather than misread.
    with pytest.raises(ValueError, match="power of ten"):
        split(Decimal("1.00"), [1, 1], unit)
