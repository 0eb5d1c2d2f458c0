"""Properties of the engine over random carts of every bundled market (strategies from
pricing.testing): quotes add up, amounts have their currency's digits, quoting is deterministic,
a higher price never lowers the total (within one regime and shipping price), and a market
whose tax rates are zero charges no tax."""

from __future__ import annotations

import copy
import json
import shutil
import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from market_rates import with_round_rates

from pricing import Engine, Quote, load_rules
from pricing.fx import bundled_rates
from pricing.money import Money, minor_unit
from pricing.testing import carts_near_thresholds, check_quote, quote_requests

ROOT = Path(__file__).resolve().parents[1]
DAY = date(2026, 11, 23)
MARKET_IDS = list(load_rules(ROOT / "rules").markets)
PER_MARKET = settings(max_examples=25, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture])
ANY_MARKET = settings(max_examples=100, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def engine() -> Engine:
    # Bundled rates plus round ones for market currencies they lack (tests/market_rates.py).
    return Engine.from_directory(ROOT / "rules", rates=with_round_rates(bundled_rates()))


def _money_of(quote: Quote) -> list[tuple[str, Money]]:
    """Every amount of a quote, named by where it sits."""
    found = [(f"totals.{k}", v) for k, v in quote.totals.items()]
    for i, ln in enumerate(quote.lines):
        found += [(f"lines[{i}].{k}", getattr(ln, k)) for k in (
            "unit_price", "subtotal", "shipping", "duty", "tax", "included_tax", "fees",
            "total")]
    for i, c in enumerate(quote.charges):
        found.append((f"charges[{i}].amount", c.amount))
        if c.base is not None:
            found.append((f"charges[{i}].base", c.base))
    return found


# -- totals are the sum of their parts and of the lines ----------------------------------------

@pytest.mark.parametrize("market_id", MARKET_IDS)
@PER_MARKET
@given(data=st.data())
def test_totals_are_the_sum_of_parts_and_of_lines(engine: Engine, market_id: str,
                                                  data: st.DataObject) -> None:
    request = data.draw(quote_requests(engine.rules, market=market_id, on=DAY))
    quote = engine.quote(request, on=DAY)
    check_quote(quote)             # through the JSON form
    check_quote(quote.to_dict())


@ANY_MARKET
@given(data=st.data())
def test_quotes_near_thresholds_add_up(engine: Engine, data: st.DataObject) -> None:
    """Around de minimis, low-value and free-shipping thresholds, where the regime changes."""
    market_id = data.draw(st.sampled_from(MARKET_IDS), label="market")
    request = data.draw(carts_near_thresholds(engine.rules, market_id, engine.rates, on=DAY))
    check_quote(engine.quote(request, on=DAY))


@ANY_MARKET
@given(data=st.data())
def test_every_amount_has_the_currency_minor_digits(engine: Engine,
                                                    data: st.DataObject) -> None:
    quote = engine.quote(data.draw(quote_requests(engine.rules, on=DAY)), on=DAY)
    for where, m in _money_of(quote):
        assert m.currency == quote.currency, where
        assert m.is_rounded(), f"{where} = {m.amount} is not at the {quote.currency} minor unit"
        assert m.amount >= 0, f"{where} = {m.amount} is negative"


# -- deterministic ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def twin(engine: Engine) -> Engine:
    """A second engine from the same rule files and the same rates."""
    other = Engine(load_rules(ROOT / "rules"), rates=engine.rates, catalog=engine.catalog,
                   labels=engine.labels)
    assert other.rules.version == engine.rules.version, "the rule files changed during the run"
    return other


@ANY_MARKET
@given(data=st.data())
def test_same_request_rules_and_rates_give_the_same_quote(engine: Engine, twin: Engine,
                                                          data: st.DataObject) -> None:
    request = data.draw(quote_requests(engine.rules, on=DAY))
    first = engine.quote(request, on=DAY).to_dict()
    assert engine.quote(request, on=DAY).to_dict() == first
    assert twin.quote(request, on=DAY).to_dict() == first
    # The JSON the service receives is the same request.
    assert engine.quote(json.loads(json.dumps(request)), on=DAY).to_dict() == first


# -- a higher price never lowers the total ------------------------------------------------------

def _raise_price(data: st.DataObject, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    i = data.draw(st.integers(0, len(request["items"]) - 1), label="line")
    higher = copy.deepcopy(request)
    price = higher["items"][i]["price"]
    units = data.draw(st.integers(1, 100_000), label="minor units added")
    price["amount"] = str(Decimal(price["amount"]) + units * minor_unit(price["currency"]))
    return i, higher


def _assert_monotone(engine: Engine, request: dict[str, Any], i: int,
                     higher: dict[str, Any]) -> None:
    before, after = engine.quote(request, on=DAY), engine.quote(higher, on=DAY)
    # (a) conversion, FX markup, adjustment and the price ending are monotone.
    assert after.lines[i].unit_price >= before.lines[i].unit_price
    # (b) more goods value changes shipping only by reaching a free-over threshold.
    ship_before, ship_after = before.totals["shipping"], after.totals["shipping"]
    assert ship_after == ship_before or not ship_after, (ship_before, ship_after)
    # (c) the exceptions: the regime changed (e.g. over a de minimis: duty and import tax start),
    # or shipping became free.
    if after.regime["id"] != before.regime["id"] or ship_after < ship_before:
        return
    assert after.total >= before.total, (
        f"raising line {i}'s price lowered the total from {before.total} to {after.total} "
        f"(regime {before.regime['id']}, shipping {ship_before})")


def _share_rates(request: dict[str, Any]) -> dict[str, Any]:
    """The same cart with every line given line 0's HS code, origin and category."""
    first = request["items"][0]
    for line in request["items"][1:]:
        for key in ("hs_code", "origin", "category"):
            if key in first:
                line[key] = first[key]
            else:
                line.pop(key, None)
    return request


@ANY_MARKET
@given(data=st.data())
def test_raising_a_price_never_lowers_the_total_when_lines_share_rates(
        engine: Engine, data: st.DataObject) -> None:
    """Raise one line's price by k >= 1 minor units of its currency, all else equal (same
    rules, rates and date), in a cart whose lines share HS code, origin and tax category (so the
    same duty rule and tax rates apply to every line). Then: that line's unit price does not
    fall; shipping stays the same or becomes free; and unless the regime changed or shipping
    became free, the total does not fall."""
    request = _share_rates(data.draw(quote_requests(engine.rules, on=DAY)))
    i, higher = _raise_price(data, request)
    _assert_monotone(engine, request, i, higher)


@ANY_MARKET
@given(data=st.data())
def test_raising_a_price_never_lowers_the_total(engine: Engine, data: st.DataObject) -> None:
    """As above, for any cart: lines may differ in HS code, origin and tax category."""
    request = data.draw(quote_requests(engine.rules, on=DAY))
    i, higher = _raise_price(data, request)
    _assert_monotone(engine, request, i, higher)


_FLAT_SHOP = """\
name = "Regression shop"
base_currency = "EUR"
ship_from = "CN"
"""

_FLAT_MARKET = """\
id = "flat"
name = "Flat duty per tariff category, VAT on duty"
countries = ["DE"]
currency = "EUR"
locales = ["de_DE"]
default_locale = "de_DE"
price_display = "inclusive"
incoterm = "DDP"

[tax]
base = ["goods", "shipping", "duty"]

[[tax.components]]
name = "VAT"
rate = "0.20"
categories = { books = "0" }

[[regimes]]
id = "low-value"
name = "Low value: VAT at sale, flat duty per tariff category"
max_value = "150.00 EUR"
tax = "sale"
duty = "per_category"
per_category_duty = "3.00 EUR"

[shipping.standard]
name = "Standard"
days = [3, 6]
base = "5.00 EUR"
"""


def test_flat_duty_allocation_regression(tmp_path: Path) -> None:
    """The smallest counterexample the property test once found, kept as a worked example.

    A 0 % book and a 20 % mug, no HS codes: two tariff categories, so 2 x 3.00 = 6.00 EUR flat
    duty, each category's 3.00 on its own line. VAT on the mug's duty: 3.00 x 0.20 = 0.60.
    Book at 0.01: 0.02 + 5.00 + 6.00 + 0.60 = 11.62. Book at 0.02: 11.63. (When the duty was
    split by value across all lines, the book drew duty off the mug and the total fell.)"""
    (tmp_path / "markets").mkdir()
    (tmp_path / "shop.toml").write_text(_FLAT_SHOP, "utf-8")
    (tmp_path / "markets" / "flat.toml").write_text(_FLAT_MARKET, "utf-8")
    flat = Engine.from_directory(tmp_path)

    def cart(book: str) -> dict[str, Any]:
        return {"destination": {"country": "DE"}, "date": DAY.isoformat(), "items": [
            {"sku": "BOOK", "quantity": 1, "category": "books",
             "price": {"amount": book, "currency": "EUR"}},
            {"sku": "MUG", "quantity": 1, "price": {"amount": "0.01", "currency": "EUR"}}]}

    before, after = flat.quote(cart("0.01")), flat.quote(cart("0.02"))
    assert before.regime["id"] == after.regime["id"] == "low-value"
    assert before.totals["shipping"] == after.totals["shipping"]
    assert (before.total.amount, after.total.amount) == (Decimal("11.62"), Decimal("11.63"))


# -- a zero-rate market charges no tax ---------------------------------------------------------

def _zero_taxes(data: dict[str, Any]) -> bool:
    tax = data.get("tax")
    if not isinstance(tax, dict) or not isinstance(tax.get("components"), list):
        return False
    for comp in tax["components"]:
        comp["rate"] = "0"
        if isinstance(comp.get("categories"), dict):
            comp["categories"] = dict.fromkeys(comp["categories"], "0")
    return True


@pytest.fixture(scope="module")
def zero_engine(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The bundled rules with every tax rate (standard and per category) set to "0"."""
    root = tmp_path_factory.mktemp("zero") / "rules"
    shutil.copytree(ROOT / "rules", root)
    for path in sorted(root.glob("*/*.toml")):
        data = tomllib.loads(path.read_text("utf-8"))
        if _zero_taxes(data):
            path.write_text(tomli_w.dumps(data), "utf-8")
    return Engine(load_rules(root), rates=engine.rates)


@ANY_MARKET
@given(data=st.data())
def test_a_zero_rate_market_charges_no_tax(zero_engine: Engine, data: st.DataObject) -> None:
    quote = zero_engine.quote(data.draw(quote_requests(zero_engine.rules, on=DAY)), on=DAY)
    check_quote(quote)
    zero = Money.zero(quote.currency)
    assert quote.totals["taxes"] == zero
    assert quote.totals["included_taxes"] == zero
    assert all(ln.tax == zero and ln.included_tax == zero for ln in quote.lines)
    assert all(c.amount == zero for c in quote.charges if c.kind == "tax")
    t = quote.totals
    assert t["total"] == t["items"] + t["shipping"] + t["duties"] + t["fees"]
