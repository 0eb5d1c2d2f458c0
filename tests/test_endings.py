"""Price endings: worked examples per rule; monotone, idempotent, and what each mode promises
(up never lowers, down never raises above the lowest allowed price, nearest within half a
step with ties up) for every rule."""

from __future__ import annotations

from decimal import Decimal, localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pricing import EndingMode, Money, PriceEnding
from pricing.money import CONTEXT

UP, DOWN, NEAREST = EndingMode.UP, EndingMode.DOWN, EndingMode.NEAREST


@pytest.mark.parametrize(("step", "ending", "mode", "value", "code", "expected"), [
    # .99 endings: candidates ..., 22.99, 23.99, 24.99
    ("1", "0.99", UP, "23.10", "EUR", "23.99"),
    ("1", "0.99", DOWN, "23.10", "EUR", "22.99"),
    ("1", "0.99", NEAREST, "23.10", "EUR", "22.99"),   # 0.11 below vs 0.89 above
    ("1", "0.99", NEAREST, "23.60", "EUR", "23.99"),   # 0.61 above 22.99 vs 0.39 below 23.99
    ("1", "0.99", UP, "23.99", "EUR", "23.99"),        # already allowed: unchanged
    ("1", "0.95", UP, "7.96", "USD", "8.95"),
    ("1", "0.90", UP, "7.10", "GBP", "7.90"),
    # Swiss 5-centime rounding: 12.32 -> 12.30 (nearest) or 12.35 (up); a tie goes up.
    ("0.05", "0", NEAREST, "12.32", "CHF", "12.30"),
    ("0.05", "0", UP, "12.32", "CHF", "12.35"),
    ("0.05", "0", NEAREST, "12.325", "CHF", "12.35"),
    # Zero-decimal currencies: JPY to 10 yen, KRW to 100 won.
    ("10", "0", UP, "1234", "JPY", "1240"),
    ("10", "0", NEAREST, "1234", "JPY", "1230"),
    ("100", "0", DOWN, "15649", "KRW", "15600"),
    ("1000", "900", UP, "15649", "KRW", "15900"),
    # Three-decimal currency: BHD ending .950 on whole dinars.
    ("1", "0.950", UP, "4.321", "BHD", "4.950"),
    # Below every allowed price: DOWN gives the smallest one, never zero or negative.
    ("1", "0.99", DOWN, "0.50", "EUR", "0.99"),
    ("10", "0", DOWN, "3", "JPY", "10"),
])
def test_worked_examples(step, ending, mode, value, code, expected):
    rule = PriceEnding(step=Decimal(step), ending=Decimal(ending), mode=mode)
    assert rule.apply(Money.of(value, code)) == Money(Decimal(expected), code)


def test_invalid_rules():
    with pytest.raises(ValueError, match=r"^a price ending must be at least 0 and below its "
                       r"step$"):
        PriceEnding(step=Decimal(1), ending=Decimal("1.5"))
    with pytest.raises(ValueError, match=r"^a price ending's step must be positive$"):
        PriceEnding(step=Decimal(0))
    assert "finer than" in PriceEnding(step=Decimal("0.5")).check_currency("JPY")


@st.composite
def rules_and_currency(draw):
    code, places = draw(st.sampled_from([("EUR", 2), ("JPY", 0), ("BHD", 3), ("CHF", 2)]))
    unit = Decimal(1).scaleb(-places)
    step_units = draw(st.integers(min_value=1, max_value=10_000))
    end_units = draw(st.integers(min_value=0, max_value=step_units - 1))
    mode = draw(st.sampled_from(list(EndingMode)))
    return PriceEnding(step=step_units * unit, ending=end_units * unit, mode=mode), code


values = st.decimals(min_value=0, max_value=10**9, places=4, allow_nan=False,
                     allow_infinity=False)


@given(rules_and_currency(), values, values)
def test_monotone(rule_code, a, b):
    rule, code = rule_code
    lo, hi = sorted((a, b))
    assert rule.apply(Money(lo, code)) <= rule.apply(Money(hi, code))


@given(rules_and_currency(), values)
def test_idempotent_and_on_the_lattice(rule_code, value):
    rule, code = rule_code
    once = rule.apply(Money(value, code))
    assert rule.apply(once) == once
    assert once.is_rounded()
    assert (once.amount - rule.ending) % rule.step == 0
    assert once.amount > 0


# -- what each mode promises (module docstring of pricing.endings) ---------------------------

def _lowest(rule: PriceEnding) -> Decimal:
    """The smallest allowed price: k = 0, or k = 1 when the ending is 0 (0 is no price)."""
    return rule.ending if rule.ending > 0 else rule.step


def _applied(rule_code, value, mode):
    """The drawn rule switched to ``mode``, and what it makes of ``value``."""
    rule, code = rule_code
    rule = PriceEnding(step=rule.step, ending=rule.ending, mode=mode)
    return rule, rule.apply(Money(value, code)).amount


@given(rules_and_currency(), values)
def test_up_never_lowers_a_price_and_takes_the_next_allowed_one(rule_code, value):
    rule, got = _applied(rule_code, value, UP)
    assert got >= value
    # the smallest allowed price at or above: one step less is below the value (or not allowed)
    assert got - rule.step < value or got == _lowest(rule)


@given(rules_and_currency(), values)
def test_down_never_raises_a_price_above_the_lowest_allowed_one(rule_code, value):
    rule, got = _applied(rule_code, value, DOWN)
    if value < _lowest(rule):
        assert got == _lowest(rule)   # never zero or negative
    else:
        assert got <= value < got + rule.step


@given(rules_and_currency(), values)
def test_nearest_is_within_half_a_step(rule_code, value):
    rule, got = _applied(rule_code, value, NEAREST)
    if value < _lowest(rule):
        assert got == _lowest(rule)
    else:
        assert abs(got - value) <= rule.step / 2


@given(rules_and_currency(), st.integers(min_value=0, max_value=10**6))
def test_nearest_breaks_a_tie_upwards(rule_code, k):
    """A value exactly half-way between two allowed prices goes to the higher one."""
    rule, code = rule_code
    rule = PriceEnding(step=rule.step, ending=rule.ending, mode=NEAREST)
    below = k * rule.step + rule.ending
    if below < _lowest(rule):
        below += rule.step
    tie = below + rule.step / 2
    assert rule.apply(Money(tie, code)).amount == below + rule.step
    # and a hair below the tie goes down (a tie is the only place where the mode matters)
    assert rule.apply(Money(tie - Decimal("0.00001"), code)).amount == below


def test_ending_limits_at_equality():
    """An ending may be 0 and must stay below its step; a step must be above 0."""
    PriceEnding(step=Decimal("0.01"), ending=Decimal(0))            # both at their edge: fine
    with pytest.raises(ValueError, match="below its step"):
        PriceEnding(step=Decimal(1), ending=Decimal(1))            # ending == step: refused
    with pytest.raises(ValueError, match="below its step"):
        PriceEnding(step=Decimal(1), ending=Decimal("-0.01"))
    with pytest.raises(ValueError, match="positive"):
        PriceEnding(step=Decimal("-0.01"))


def test_check_currency_names_the_part_that_is_too_fine():
    assert PriceEnding(step=Decimal("0.5")).check_currency("JPY") == (
        "step 0.5 is finer than the JPY minor unit 1")
    assert PriceEnding(step=Decimal("10"), ending=Decimal("0.5")).check_currency("JPY") == (
        "ending 0.5 is finer than the JPY minor unit 1")
    assert PriceEnding(step=Decimal("0.05")).check_currency("CHF") is None


# -- the integer form of an ending (the bulk path) ---------------------------------------------

_UNITS = (Decimal(1), Decimal("0.01"), Decimal("0.001"))


@st.composite
def _endings_for_units(draw):
    unit = draw(st.sampled_from(_UNITS))
    step = unit * 10 ** draw(st.integers(0, 4))
    ending = unit * draw(st.integers(0, int(step / unit) - 1))
    mode = draw(st.sampled_from((UP, DOWN, NEAREST)))
    return PriceEnding(step=step, ending=ending, mode=mode), unit


# Amounts of every size and exponent, the bounds of the integer form included (10^14, 12
# decimals), and factors as the engine compiles them (rate x markup x adjustment).
_AMOUNTS = st.one_of(
    st.decimals(min_value=0, max_value=10**15, places=2, allow_nan=False),
    st.decimals(min_value=-5, max_value=10**6, allow_nan=False, allow_infinity=False),
    st.sampled_from([Decimal("0"), Decimal("-0"), Decimal("1E+13"), Decimal("99999999999999.99"),
                     Decimal("1E+14"), Decimal("0.000000000001"), Decimal("1E-13"),
                     Decimal("5.0000000000000000000000000000")]))
_FACTORS = st.one_of(
    st.decimals(min_value=Decimal("0.00001"), max_value=200000, places=12, allow_nan=False),
    st.sampled_from([Decimal(1), Decimal("0.895094880057"), Decimal("99999.99"),
                     Decimal("1.0457") * Decimal("1.02") * Decimal("0.985")]))


@given(ending_unit=_endings_for_units(), factor=_FACTORS, amount=_AMOUNTS)
def test_minor_function_gives_what_apply_amount_gives(ending_unit, factor, amount) -> None:
    # The oracle is apply_amount itself, in the engine's context: the integer form must give
    # the same price counted in units, or decline (None) and leave the amount to apply_amount.
    ending, unit = ending_unit
    to_minor = ending.minor_function(unit, factor)
    if to_minor is None:
        assert ending.mode is NEAREST or factor >= 10**5 or factor.as_tuple().exponent < -26
        return
    with localcontext(CONTEXT):
        found = to_minor(amount)
        if found is None:
            assert amount < 0 or amount >= 10**14 or amount.as_integer_ratio()[1] > 10**12 \
                or 10**12 % amount.as_integer_ratio()[1]
            return
        if amount == 0:
            assert found == 0  # what unit_amount gives a free item, before any ending
            return
        expected = ending.apply_amount(amount * factor, unit)
    assert str(found * unit) == str(expected)


def test_minor_function_worked_examples() -> None:
    # USD 123.45 at 0.895094880057 = EUR 110.50146294303665 -> up to x.99: 110.99 (11099
    # cents); down: 109.99. JPY 1234 x 1 up to the next 10 yen: 1240.
    ending = PriceEnding(step=Decimal(1), ending=Decimal("0.99"))
    factor = Decimal("0.895094880057")
    assert ending.minor_function(Decimal("0.01"), factor)(Decimal("123.45")) == 11099
    down = PriceEnding(step=Decimal(1), ending=Decimal("0.99"), mode=DOWN)
    assert down.minor_function(Decimal("0.01"), factor)(Decimal("123.45")) == 10999
    # Below every allowed price, down gives the lowest one (0.99), as apply_amount does.
    assert down.minor_function(Decimal("0.01"), factor)(Decimal("0.50")) == 99
    yen = PriceEnding(step=Decimal(10), ending=Decimal(0))
    assert yen.minor_function(Decimal(1), Decimal(1))(Decimal(1234)) == 1240
    # Outside the proven bounds the fallback answers (here: a marker).
    assert yen.minor_function(Decimal(1), Decimal(1), otherwise=lambda a: -1)(
        Decimal("1E+14")) == -1


def _minor(step, ending, mode, unit, factor):
    """The integer form of an ending, with a marker (-1) for what it leaves to the Decimals."""
    rule = PriceEnding(step=Decimal(step), ending=Decimal(ending), mode=mode)
    return rule.minor_function(Decimal(unit), Decimal(factor), otherwise=lambda amount: -1)


@pytest.mark.parametrize(("step", "ending", "mode", "unit", "factor"), [
    ("0.05", "0", NEAREST, "0.01", "1"),      # nearest has no integer form
    ("0.05", "0", UP, "0.01", "1"),           # a step that is not a power of ten
    ("11", "0", UP, "1", "1"),
    ("1", "0", UP, "0.05", "1"),              # nor a unit
    ("10", "0", UP, "1E+1", "1"),             # units from 10^-12 to 1
    ("1E-13", "0", UP, "1E-13", "1"),
    ("1", "0", UP, "1E-13", "1"),
    ("1E+13", "0", UP, "1", "1"),             # steps from 10^-12 to 10^12
    ("0.1", "0", UP, "1", "1"),               # a step finer than the unit
    ("10", "0.5", UP, "1", "1"),              # an ending finer than the unit
    ("1", "0", UP, "0.01", "100000"),         # factors above 0, below 10^5,
    ("1", "0", UP, "0.01", "0"),
    ("1", "0", UP, "0.01", "1E-27"),          # with at most 26 decimals
])
def test_minor_function_declines_what_it_does_not_cover(step, ending, mode, unit, factor):
    assert _minor(step, ending, mode, unit, factor) is None


@pytest.mark.parametrize(("step", "ending", "mode", "unit", "factor", "amount", "expected"), [
    # Up to x.99 (cents, factor 1): the largest amount covered, 99,999,999,999,999.99, is
    # already allowed: 9,999,999,999,999,999 cents; 10^14 is left to the Decimals (-1).
    ("1", "0.99", UP, "0.01", "1", "99999999999999.99", 9999999999999999),
    ("1", "0.99", UP, "0.01", "1", "1E+14", -1),
    # 12 decimals are covered: 10^-12 -> k = ceil(10^-12 - 0.99) = 0 -> 0.99; 13 are not.
    ("1", "0.99", UP, "0.01", "1", "0.000000000001", 99),
    ("1", "0.99", UP, "0.01", "1", "1E-13", -1),
    ("1", "0.99", DOWN, "0.01", "1", "1E+14", -1),
    # Zero is free (0), whatever the fallback; a negative amount is the fallback's.
    ("1", "0.99", UP, "0.01", "1", "0", 0),
    ("1", "0.99", UP, "0.01", "1", "-0.01", -1),
    ("10", "0", DOWN, "1", "1", "0", 0),
    ("10", "0", DOWN, "1", "1", "-1", -1),
    # Down to 10 yen: 25 -> 20, 10 stays, 3 -> the lowest price, k = 1 (0 is no price): 10.
    ("10", "0", DOWN, "1", "1", "25", 20),
    ("10", "0", DOWN, "1", "1", "10", 10),
    ("10", "0", DOWN, "1", "1", "3", 10),
    # Down to x.99: 1.99 stays, 1.98 -> floor(0.99) = 0 -> 0.99; 0.50 -> the lowest, k = 0.
    ("1", "0.99", DOWN, "0.01", "1", "1.99", 199),
    ("1", "0.99", DOWN, "0.01", "1", "1.98", 99),
    ("1", "0.99", DOWN, "0.01", "1", "0.50", 99),
    # An ending of one cent is a price (k = 0 allowed): 0.50 down -> floor(0.49) = 0 -> 0.01.
    ("1", "0.01", DOWN, "0.01", "1", "0.50", 1),
    # Factors at their bounds: 1.00 x 99,999.99 -> up to whole units: 100,000.00 (10^7 cents);
    # 10^13 x 10^-26 = 10^-13 -> k = ceil(10^-13) = 1 -> 1.00 (100 cents).
    ("1", "0", UP, "0.01", "99999.99", "1.00", 10_000_000),
    ("1", "0", UP, "0.01", "1E-26", "1E+13", 100),
    # Units and steps at their bounds: 0.5 in units of 10^-12 is 5 x 10^11; a step of 10^12
    # takes 5 up to 10^12.
    ("1E-12", "0", UP, "1E-12", "1", "0.5", 500_000_000_000),
    ("1E+12", "0", UP, "1", "1", "5", 10**12),
    # 0.005 x 2 = 0.01 (an amount with a denominator of 200 and a factor of 2)
    ("0.01", "0", UP, "0.01", "2", "0.005", 1),
])
def test_minor_function_at_its_bounds(step, ending, mode, unit, factor, amount, expected):
    to_minor = _minor(step, ending, mode, unit, factor)
    with localcontext(CONTEXT):
        assert to_minor(Decimal(amount)) == expected


def test_minor_function_without_a_fallback_says_none():
    to_minor = PriceEnding(step=Decimal(1), ending=Decimal("0.99")).minor_function(
        Decimal("0.01"), Decimal(1))
    assert (to_minor(Decimal("1E+14")), to_minor(Decimal("-1")), to_minor(Decimal(0))) == (
        None, None, 0)
