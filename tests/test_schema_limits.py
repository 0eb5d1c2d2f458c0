"""Every bound the rule-file schema states, at the bound and one step past it.

Each limit below is the one the schema's own message (docs/rules.md) states: a rate is a
fraction in [0, 1], a valuation factor is "above 0 and at most 1", amounts are "zero or more",
a step is "more than 0 and at most 1000000", dates run from 1900-01-01 to 2199-12-31, a value
has at most 100 periods, a delivery window is "[min, max] with 0 <= min <= max". The value at
the bound is accepted and the first value past it refused with that message. Market files are
validated as dicts (no files written): each case takes about a millisecond.
"""

from __future__ import annotations

import copy
import tomllib
from datetime import date, timedelta
from typing import Any

import pytest
from conftest import market_head
from pydantic import ValidationError

from pricing.markets.schema import MarketSpec, ShopSpec

BASE = tomllib.loads(market_head("xx", "FR", "EUR") + """
[[tax.components]]
name = "VAT"
rate = "0.20"

[duty]
rate = "0.05"

[[regimes]]
id = "import"
name = "Import"
tax = "import"
duty = "charged"

[shipping.standard]
name = "Standard"
days = [2, 4]
base = "5.00 EUR"
""")


def errors(**changes: Any) -> list[str]:
    """The messages of validating BASE with ``changes`` (dotted paths, ``regimes.0.x`` for a
    list item), without pydantic's "Value error, " prefix; [] when the market is valid."""
    data = copy.deepcopy(BASE)
    for dotted, value in changes.items():
        *parents, last = dotted.split(".")
        where: Any = data
        for part in parents:
            where = where[int(part)] if part.isdigit() else where.setdefault(part, {})
        where[int(last) if last.isdigit() else last] = value
    try:
        MarketSpec.model_validate(data)
    except ValidationError as e:
        return [err["msg"].removeprefix("Value error, ") for err in e.errors()]
    return []


RATE = "tax.components.0.rate"


@pytest.mark.parametrize(("rate", "expected"), [
    ("0", []), ("1", []),  # both ends of [0, 1] are rates: nothing, and the whole base
    ("-0.01", ["rate '-0.01' is out of range [0, 1]"]),
    # past 1, up to 100: read as a percentage
    ("1.5", ["rate '1.5' is out of range [0, 1]; rates are fractions: did you mean \"0.015\" "
             "(1.5%)?"]),
    ("100", ["rate '100' is out of range [0, 1]; rates are fractions: did you mean \"1\" "
             "(100%)?"]),
    ("100.01", ["rate '100.01' is out of range [0, 1]"]),
])
def test_a_rate_is_a_fraction_from_0_to_1(rate, expected):
    assert errors(**{RATE: rate}) == expected


@pytest.mark.parametrize(("number", "expected"), [
    # TOML numbers are refused (rates stay exact as strings); a number from 1 (exclusive) to
    # 100 (inclusive) is taken for a percentage, and the hint says so.
    (1, 'write rates as decimal strings so they stay exact: "1"'),
    (2, 'write rates as decimal strings so they stay exact: "0.02" (2 looks like a '
        'percentage; rates are fractions in [0, 1], so 2% is "0.02")'),
    (100, 'write rates as decimal strings so they stay exact: "1" (100 looks like a '
          'percentage; rates are fractions in [0, 1], so 100% is "1")'),
    (101, 'write rates as decimal strings so they stay exact: "101"'),
    # past +-1000 the number is shown alone (no hint built from a huge value)
    (999, 'write rates as decimal strings so they stay exact: "999"'),
    (-999, 'write rates as decimal strings so they stay exact: "-999"'),
    (1000, 'write rates as decimal strings in [0, 1], e.g. "0.19"; found 1000'),
    (-1000, 'write rates as decimal strings in [0, 1], e.g. "0.19"; found -1000'),
])
def test_a_rate_written_as_a_toml_number_is_refused_with_a_hint(number, expected):
    assert errors(**{RATE: number}) == [expected]


@pytest.mark.parametrize(("factor", "expected"), [
    ("1", []), ("0.000001", []),
    ("0", ["a valuation factor must be above 0 and at most 1; found '0'"]),
])
def test_a_valuation_factor_is_above_0_and_at_most_1(factor, expected):
    assert errors(**{"duty.valuation_factor": factor}) == expected
    assert errors(**{"regimes.0.valuation_factor": factor}) == expected


def test_a_valuation_factor_of_1_is_fine_with_tax_inclusive_prices():
    # Only a factor below 1 needs tax-exclusive prices; 1 is the customs value itself.
    assert errors(price_display="inclusive", **{"duty.valuation_factor": "1",
                                                "regimes.0.valuation_factor": "1"}) == []
    assert errors(price_display="inclusive", **{"regimes.0.valuation_factor": "0.99"}) == [
        "regime 'import': a valuation factor below 1 needs price_display = \"exclusive\" "
        "(tax-inclusive prices would hold more tax than the import owes)"]


@pytest.mark.parametrize(("amount", "expected"), [
    ("0.00 EUR", []), ("-0.01 EUR", ["'-0.01 EUR' is negative; amounts here must be zero or more"]),
])
def test_amounts_are_zero_or_more(amount, expected):
    assert errors(**{"shipping.standard.base": amount}) == expected


@pytest.mark.parametrize(("step", "ending", "expected"), [
    ("1000000", "0", []), ("0.01", "0", []), ("1", "0.99", []),
    ("1000000.01", "0", ["step '1000000.01' is out of range: more than 0 and at most 1000000"]),
    ("0", "0", ["step '0' is out of range: more than 0 and at most 1000000"]),
    # an ending is 0 to 1000000 and below its step: equal to the step is refused as such
    ("1", "1", ["ending 1 must be below step 1 (e.g. step \"1\" with ending \"0.99\" gives 9.99, "
                "10.99, ...)"]),
    ("1000000", "1000000", ["ending 1000000 must be below step 1000000 (e.g. step \"1\" with "
                            "ending \"0.99\" gives 9.99, 10.99, ...)"]),
    ("1", "-0.01", ["ending '-0.01' is out of range: 0 to 1000000"]),
])
def test_an_ending_step_and_its_ending(step, ending, expected):
    assert errors(**{"pricing.ending": {"step": step, "ending": ending}}) == expected


@pytest.mark.parametrize(("kg", "expected"), [
    ("100000", []),
    ("100000.001", ["weight in kg '100000.001' is out of range: more than 0 and at most 100000"]),
])
def test_a_weight_band_is_at_most_100000_kg(kg, expected):
    band = {"up_to_kg": kg, "price": "5.00 EUR"}
    assert errors(**{"shipping.standard.bands": [band]}) == expected


def test_the_default_item_weight_is_more_than_0_kg():
    shop = {"name": "T", "base_currency": "EUR", "ship_from": "DE"}
    assert ShopSpec.model_validate({**shop, "default_item_weight_kg": "0.001"})
    with pytest.raises(ValidationError, match="weight in kg '0' is out of range: more than 0"):
        ShopSpec.model_validate({**shop, "default_item_weight_kg": "0"})


@pytest.mark.parametrize(("day", "expected"), [
    (date(1900, 1, 1), []), (date(2199, 12, 31), []),
    (date(1899, 12, 31), ["period [0]: date 1899-12-31 is out of range: 1900-01-01 to "
                          "2199-12-31"]),
    (date(2200, 1, 1), ["period [0]: date 2200-01-01 is out of range: 1900-01-01 to "
                        "2199-12-31"]),
])
def test_dates_run_from_1900_to_2199(day, expected):
    assert errors(**{RATE: [{"value": "0.2", "from": day, "to": day}]}) == expected


def one_day_periods(n: int) -> list[dict[str, Any]]:
    """``n`` periods of one day each, back to back from 2024-01-01 (none overlaps)."""
    days = [date(2024, 1, 1) + timedelta(i) for i in range(n)]
    return [{"value": "0.2", "from": d, "to": d} for d in days]


def test_a_value_has_at_most_100_periods_each_at_least_a_day():
    assert errors(**{RATE: one_day_periods(100)}) == []
    assert errors(**{RATE: one_day_periods(101)}) == ["101 periods; at most 100"]


def test_periods_sharing_a_day_overlap():
    # The first period ends on 2024-06-30; the next may start on 2024-07-01, not on the 30th.
    first = {"value": "0.2", "to": date(2024, 6, 30)}
    assert errors(**{RATE: [first, {"value": "0.21", "from": date(2024, 7, 1)}]}) == []
    assert errors(**{RATE: [first, {"value": "0.21", "from": date(2024, 6, 30)}]}) == [
        "periods overlap: open start..2024-06-30 and 2024-06-30..open end; a day may have one "
        "value"]


def test_a_regime_listed_twice_may_not_share_a_day():
    # The same regime id twice is fine for dates that do not meet (a regime that changed on
    # 2024-07-01); sharing the day 2024-06-30 is refused.
    old = {"id": "import", "name": "Import", "tax": "import", "duty": "charged",
           "to": date(2024, 6, 30)}
    assert errors(regimes=[old, {**old, "to": None, "from": date(2024, 7, 1)}]) == []
    new = {**old, "to": None, "from": date(2024, 6, 30)}
    assert errors(regimes=[old, new]) == ["regime 'import' appears twice with overlapping dates"]
    # in either order in the file
    assert errors(regimes=[new, old]) == ["regime 'import' appears twice with overlapping dates"]


@pytest.mark.parametrize(("days", "expected"), [
    ([0, 0], []), ([3, 3], []),  # same-day delivery; exactly three days
    ([4, 3], ["days [4, 3] must be [min, max] with 0 <= min <= max"]),
])
def test_a_delivery_window_is_min_to_max_days(days, expected):
    assert errors(**{"shipping.standard.days": days}) == expected


def test_a_dated_rule_may_last_one_day():
    # 'to' before 'from' is refused; 'to' equal to 'from' is one day in force.
    day = date(2024, 6, 30)
    assert errors(**{"regimes.0.from": day, "regimes.0.to": day}) == []
    assert errors(**{"regimes.0.from": day, "regimes.0.to": day - timedelta(1)}) == [
        "'to' (2024-06-29) is before 'from' (2024-06-30)"]


def test_a_duty_rule_maximum_may_equal_its_minimum():
    rule = {"hs": "6403", "rate": "0.1", "minimum": "3.00 EUR", "maximum": "3.00 EUR"}
    assert errors(**{"duty.rules": [rule]}) == []
    assert errors(**{"duty.rules": [{**rule, "maximum": "2.99 EUR"}]}) == [
        "maximum is below minimum"]


def test_a_tax_that_includes_itself_needs_a_rate_below_1():
    # Its base is the other parts / (1 - rate): at a rate of 1 that divides by zero.
    assert errors(**{"tax.components.0.includes_itself": True, RATE: "0.99"}) == []
    assert errors(**{"tax.components.0.includes_itself": True, RATE: "1"}) == [
        "tax component 'VAT' includes itself, so each of its rates must be below 1"]
