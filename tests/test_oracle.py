"""The compiled engine against the oracle: the straightforward calculation (tests/oracle.py).

On random carts, markets, dates and regimes, and on carts built to sit on thresholds, both must
give the same quote to the character (every amount, note, test and warning), or refuse the
request with the same error on the same field.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from conftest import EASY_RATES, QUOTE_DAY
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from market_rates import with_round_rates
from oracle import Oracle

from pricing import Engine, PricingError
from pricing.fx import bundled_rates
from pricing.stages.plan import change_dates
from pricing.testing import carts_near_thresholds, quote_requests

#: The round test rates, plus round ones for market currencies they lack (tests/market_rates.py).
RATES = with_round_rates(EASY_RATES)


@pytest.fixture(scope="module")
def engines(rules) -> tuple[Engine, Oracle]:
    engine = Engine(rules, rates=RATES, clock=lambda: QUOTE_DAY)
    return engine, Oracle(engine)


def _days(rules) -> list[date]:
    """The days rules change on, the day before each, and a few plain days."""
    found = {QUOTE_DAY, date(2019, 1, 1), date(2030, 6, 1)}
    for market in rules.markets.values():
        for d in change_dates(market.spec):
            if date(2015, 1, 1) <= d <= date(2035, 1, 1):
                found |= {d, d - timedelta(days=1)}
    return sorted(found)


def _outcome(quote: Any, request: dict[str, Any], day: date) -> Any:
    try:
        return quote(request, on=day).to_dict()
    except PricingError as e:
        return (type(e).__name__, e.field, e.message)


def _agree(engines: tuple[Engine, Oracle], request: dict[str, Any], day: date) -> None:
    engine, oracle = engines
    fast = _outcome(engine.quote, request, day)
    slow = _outcome(oracle.quote, request, day)
    assert fast == slow


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_compiled_engine_agrees_with_the_oracle_on_random_carts(engines, rules, data) -> None:
    day = data.draw(st.sampled_from(_days(rules)), label="day")
    request = data.draw(quote_requests(rules, on=day, rates=RATES), label="request")
    _agree(engines, request, day)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_compiled_engine_agrees_with_the_oracle_at_thresholds(engines, rules, data) -> None:
    market = data.draw(st.sampled_from(sorted(rules.markets)), label="market")
    request = data.draw(carts_near_thresholds(rules, market, RATES, on=QUOTE_DAY),
                        label="request")
    _agree(engines, request, QUOTE_DAY)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_compiled_engine_agrees_with_the_oracle_on_bundled_rates(rules, data) -> None:
    # The bundled rates are stale on the quote day: both must warn alike.
    engine = _BUNDLED.get("engine")
    if engine is None:
        engine = _BUNDLED["engine"] = Engine(
            rules, rates=with_round_rates(bundled_rates()), clock=lambda: QUOTE_DAY)
    request = data.draw(quote_requests(rules, on=QUOTE_DAY), label="request")
    _agree((engine, Oracle(engine)), request, QUOTE_DAY)


_BUNDLED: dict[str, Engine] = {}


def test_each_rule_change_date_starts_a_plan(engines, rules) -> None:
    # The German VAT cut ran 2020-07-01 to 2020-12-31 (Zweites Corona-Steuerhilfegesetz):
    # 16 % inside it, 19 % on both sides, so plans change on its first day and the day after.
    engine, _ = engines
    assert {date(2020, 7, 1), date(2021, 1, 1)} <= set(change_dates(rules.market("de").spec))

    def vat(day: date) -> Decimal | None:
        return engine.plan("de", day).components(None)[0].rate_for(None)

    assert vat(date(2020, 6, 30)) == Decimal("0.19")
    assert vat(date(2020, 7, 1)) == Decimal("0.16")
    assert vat(date(2020, 12, 31)) == Decimal("0.16")
    assert vat(date(2021, 1, 1)) == Decimal("0.19")
