"""pricing.testing: its strategies make only requests the engine accepts, carts near thresholds
fall on both sides, check_quote catches each broken invariant, and docs/testing.md runs."""

from __future__ import annotations

import copy
import importlib
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument, NoSuchExample
from market_rates import with_round_rates, write_rates_csv

from pricing import Engine, MissingExtraError, Money, Quote, RestrictedItemError, load_rules
from pricing.fx import bundled_rates
from pricing.money import precision
from pricing.testing import (
    carts,
    carts_near_thresholds,
    check_quote,
    currencies,
    destinations,
    items,
    markets,
    money,
    quote_requests,
)

ROOT = Path(__file__).resolve().parents[1]
DAY = date(2026, 11, 23)
MARKET_IDS = list(load_rules(ROOT / "rules").markets)
FAST = settings(max_examples=30, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def engine() -> Engine:
    # Bundled rates plus round ones for market currencies they lack (tests/market_rates.py).
    return Engine.from_directory(ROOT / "rules", rates=with_round_rates(bundled_rates()))


# -- import guard ----------------------------------------------------------------------------

def test_import_without_hypothesis_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "pricing.testing")
    for name in [m for m in sys.modules if m == "hypothesis" or m.startswith("hypothesis.")]:
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(MissingExtraError, match=re.escape(
            "pricing.testing needs the 'testing' extra, which is not installed (missing: "
            "hypothesis); install it with: pip install 'crossborder-pricing[testing]'")) as e:
        importlib.import_module("pricing.testing")
    assert isinstance(e.value, ImportError) and e.value.field == "testing"


# -- scalar strategies -----------------------------------------------------------------------

@settings(max_examples=100, deadline=None)
@given(st.data())
def test_money_respects_bounds_and_minor_units(data: st.DataObject) -> None:
    cur = data.draw(currencies())
    lo = data.draw(st.integers(0, 500))
    hi = lo + data.draw(st.integers(1, 500))
    m = data.draw(money(cur, min_value=lo, max_value=hi))
    assert m.currency == cur
    assert Decimal(lo) <= m.amount <= Decimal(hi)
    assert m.amount.as_tuple().exponent == -precision(cur)


def test_money_refuses_an_empty_range() -> None:
    with pytest.raises(InvalidArgument, match="no JPY amount"):
        money("JPY", min_value="0.2", max_value="0.8")


def test_money_of_a_range_holding_one_amount() -> None:
    # [1.00, 1.00] holds exactly one euro amount; [0.2, 1] holds one yen amount, 1 (bounds are
    # rounded inward to the minor unit).
    assert find(money("EUR", min_value="1.00", max_value="1.00"), lambda m: True) == Money.of(
        "1.00", "EUR")
    assert find(money("JPY", min_value="0.2", max_value="1"), lambda m: True) == Money.of(
        "1", "JPY")


def test_carts_of_exactly_n_lines_of_one_unit(engine: Engine) -> None:
    # min_items == max_items and max_quantity 1 are the tightest bounds allowed ("need 1 <=
    # min_items <= max_items", "max_quantity must be at least 1"): every cart has two lines of
    # one unit each, and items() alone one unit.
    market = engine.rules.market("de")
    cart = find(carts(market, min_items=2, max_items=2, max_quantity=1), lambda c: True)
    assert [line["quantity"] for line in cart] == [1, 1]
    assert find(items(market, max_quantity=1), lambda i: True)["quantity"] == 1
    with pytest.raises(InvalidArgument, match="max_quantity must be at least 1"):
        find(items(market, max_quantity=0), lambda i: True)
    with pytest.raises(InvalidArgument, match="need 1 <= min_items <= max_items"):
        find(carts(market, min_items=3, max_items=2), lambda c: True)


# -- every strategy makes requests the engine accepts ----------------------------------------

@pytest.mark.parametrize("market_id", MARKET_IDS)
@FAST
@given(data=st.data())
def test_quote_requests_are_accepted(engine: Engine, market_id: str,
                                     data: st.DataObject) -> None:
    request = data.draw(quote_requests(engine.rules, market=market_id, on=DAY))
    quote = engine.quote(request, on=DAY)
    assert quote.market == market_id
    check_quote(quote)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_building_blocks_compose_into_accepted_requests(engine: Engine,
                                                        data: st.DataObject) -> None:
    market = data.draw(markets(engine.rules))
    request = {"destination": data.draw(destinations(market)),
               "items": data.draw(carts(market, on=DAY)), "date": DAY.isoformat()}
    check_quote(engine.quote(request))
    line = data.draw(items(market, on=DAY, max_weight_kg=Decimal(1)))
    request["items"] = [line]
    check_quote(engine.quote(request))


def test_restricted_goods_only_when_asked(engine: Engine) -> None:
    restricting = [m for m in engine.rules.markets.values()
                   if m.spec.restrictions and not m.requires_region]
    assert restricting, "the bundled EU markets restrict weapons (zones/eu.toml)"
    market = restricting[0]

    def refused(line: dict[str, Any]) -> bool:
        request = {"destination": {"country": market.spec.countries[0]}, "items": [line],
                   "date": DAY.isoformat()}
        try:
            engine.quote(request)
        except RestrictedItemError:
            return True
        return False

    search = settings(max_examples=300, database=None, deadline=None)
    found = find(items(market, allow_restricted=True, on=DAY), refused, settings=search)
    assert refused(found)
    with pytest.raises(NoSuchExample):
        find(items(market, on=DAY), refused, settings=search)


# -- carts near thresholds are accepted and fall on both sides -------------------------------

def _sides(engine: Engine, market_id: str, request: dict[str, Any], quote: Quote
           ) -> set[str]:
    """Which side of each threshold of the market (in force on DAY) the quote fell on."""
    market = engine.rules.market(market_id)
    ship_from = request.get("ship_from", engine.rules.shop.ship_from)
    seen = set()
    for index, regime in enumerate(market.spec.regimes):
        if regime.ship_from and ship_from not in regime.ship_from:
            continue  # tested on where it ships from, not on value
        for test in quote.regime["tests"]:
            if test["regime"] == regime.id:
                side = "below" if test["passed"] else "above"
                seen.add(f"{side} regimes[{index}] {regime.id}")
    method = request.get("shipping_method")
    free_over = market.spec.shipping[method].free_over if method else None
    if free_over is not None and free_over.at(DAY) is not None:
        side = "above" if not quote.totals["shipping"] else "below"
        seen.add(f"{side} shipping.{method}.free_over")
    return seen


def _thresholds(engine: Engine, market_id: str) -> set[str]:
    market = engine.rules.market(market_id)
    names = {f"regimes[{i}] {r.id}" for i, r in enumerate(market.spec.regimes)
             if r.in_force(DAY) and r.max_value is not None and r.max_value.at(DAY) is not None}
    names |= {f"shipping.{k}.free_over" for k, m in market.spec.shipping.items()
              if m.free_over is not None and m.free_over.at(DAY) is not None}
    return {f"{side} {name}" for name in names for side in ("below", "above")}


@pytest.mark.parametrize("market_id", MARKET_IDS)
def test_carts_near_thresholds_are_accepted_and_straddle_each_threshold(
        engine: Engine, market_id: str) -> None:
    seen: set[str] = set()
    wanted = _thresholds(engine, market_id)

    # Derandomized: whether 50 examples per threshold reach both of its sides is then a fact
    # about the strategy and the rules, not luck (each side is aimed at in a third of the
    # examples of its threshold: once exactly, once near). Random examples of the same
    # strategy run in test_engine_properties.py.
    @settings(max_examples=max(100, 25 * len(wanted)), deadline=None, database=None,
              derandomize=True)
    @given(carts_near_thresholds(engine.rules, market_id, engine.rates, on=DAY))
    def quote_near(request: dict[str, Any]) -> None:
        quote = engine.quote(request, on=DAY)
        check_quote(quote)
        seen.update(_sides(engine, market_id, request, quote))

    quote_near()
    missing = wanted - seen
    assert not missing, f"{market_id}: no cart fell {sorted(missing)}"


# -- check_quote catches each broken invariant -----------------------------------------------

@pytest.fixture(scope="module")
def quote_dict(engine: Engine) -> dict[str, Any]:
    """A real quote with shipping, a flat duty and both included and added VAT (DE, IOSS)."""
    request = {"destination": {"country": "DE"}, "date": DAY.isoformat(), "ship_from": "CN",
               "items": [
        {"sku": "TEE", "quantity": 2, "hs_code": "610910", "origin": "PT",
         "price": {"amount": "20.00", "currency": "EUR"}},
        {"sku": "BOOK", "quantity": 1, "hs_code": "490199", "category": "books",
         "price": {"amount": "12.00", "currency": "EUR"}},
    ]}
    data = engine.quote(request).to_dict()
    kinds = {(c["kind"], c["included"]) for c in data["charges"] if Decimal(c["amount"]["amount"])}
    assert {("shipping", False), ("duty", False), ("tax", True), ("tax", False)} <= kinds, kinds
    return data


def _bump(amount: dict[str, str], units: int = 1) -> None:
    """Move an amount by whole minor units of its currency."""
    unit = Decimal(1).scaleb(-precision(amount["currency"]))
    amount["amount"] = str(Decimal(amount["amount"]) + units * unit)


def _charge(data: dict[str, Any], kind: str, included: bool = False) -> dict[str, Any]:
    return next(c for c in data["charges"] if c["kind"] == kind and c["included"] == included
                and Decimal(c["amount"]["amount"]))


def test_check_quote_accepts_a_real_quote(engine: Engine, quote_dict: dict[str, Any]) -> None:
    check_quote(quote_dict)
    check_quote(engine.quote({"destination": {"country": "DE"}, "date": DAY.isoformat(),
                              "items": [{"sku": "A", "quantity": 1, "price": {
                                  "amount": "9.00", "currency": "EUR"}}]}))


def _fee(data: dict[str, Any]) -> None:
    data["charges"].append({"kind": "fee", "name": "Handling", "rule": "x#fees[0]",
                            "amount": {"amount": "2.00", "currency": "EUR", "formatted": ""},
                            "base": None, "rate": None, "note": "2.00 EUR per consignment",
                            "included": False, "payable": "checkout"})


def _delivery(data: dict[str, Any]) -> None:
    _charge(data, "duty")["payable"] = "delivery"


def _line(member: str) -> Callable[[dict[str, Any]], None]:
    return lambda data: _bump(data["lines"][0][member])


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def corrupt(data: dict[str, Any]) -> None:
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return corrupt


BROKEN: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "total": (lambda d: _bump(d["totals"]["total"]),
              "totals.total != items + shipping + duties + taxes + fees"),
    "due split": (lambda d: _bump(d["totals"]["due_at_checkout"]),
                  "totals.due_at_checkout + due_on_delivery != total"),
    "due on delivery": (_delivery, "totals.due_on_delivery != sum of charges payable on "
                                   "delivery (not included)"),
    "items vs lines": (_line("subtotal"), "totals.items != sum of lines[*].subtotal"),
    "shipping vs lines": (_line("shipping"), "totals.shipping != sum of lines[*].shipping"),
    "duties vs lines": (_line("duty"), "totals.duties != sum of lines[*].duty"),
    "taxes vs lines": (_line("tax"), "totals.taxes != sum of lines[*].tax"),
    "included vs lines": (_line("included_tax"),
                          "totals.included_taxes != sum of lines[*].included_tax"),
    "fees vs lines": (_line("fees"), "totals.fees != sum of lines[*].fees"),
    "total vs lines": (_line("total"), "totals.total != sum of lines[*].total"),
    "line total": (_line("total"), "lines[0].total != subtotal + shipping + duty + tax + fees"),
    "line subtotal": (_line("unit_price"), "lines[0].subtotal != unit_price * quantity"),
    "tax charges": (lambda d: _bump(_charge(d, "tax")["amount"]),
                    "totals.taxes != sum of tax charges not included"),
    "included tax charges": (lambda d: _bump(_charge(d, "tax", included=True)["amount"]),
                             "totals.included_taxes != sum of included tax charges"),
    "duty charges": (lambda d: _bump(_charge(d, "duty")["amount"]),
                     "totals.duties != sum of duty charges"),
    "fee charges": (_fee, "totals.fees != sum of fee charges"),
    "shipping charges": (lambda d: _bump(_charge(d, "shipping")["amount"]),
                         "totals.shipping != sum of shipping charges"),
    "minor digits": (_set(("totals", "shipping", "amount"), "7.9"),
                     "totals.shipping: amount 7.9 does not have exactly the 2 minor digits"),
    "too many digits": (_set(("lines", 0, "unit_price", "amount"), "20.990"),
                        "lines[0].unit_price: amount 20.990 does not have exactly"),
    "currency": (_set(("lines", 1, "duty", "currency"), "USD"),
                 "lines[1].duty: currency USD != quote currency EUR"),
    "negative": (lambda d: _set(("base", "amount"), "-1.00")(_charge(d, "tax")),
                 "amount -1.00 is negative"),
    "not a number": (_set(("totals", "fees", "amount"), "1,00"),
                     "totals.fees: amount '1,00' is not a decimal number"),
    "no rule": (lambda d: _set(("rule",), "")(_charge(d, "duty")), "has no rule"),
    "no note": (lambda d: _set(("note",), " ")(_charge(d, "shipping")),
                "has no note (explanation)"),
    "rules_version": (_set(("rules_version",), ""), "rules_version is missing or empty"),
    "date": (lambda d: d.pop("date"), "date is missing or empty"),
    "market": (lambda d: d.pop("market"), "market is missing or empty"),
    "locale": (lambda d: d.pop("locale"), "locale is missing or empty"),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_check_quote_names_the_broken_invariant(quote_dict: dict[str, Any], name: str) -> None:
    corrupt, message = BROKEN[name]
    broken = copy.deepcopy(quote_dict)
    corrupt(broken)
    with pytest.raises(AssertionError, match=re.escape(message)):
        check_quote(broken)
    check_quote(quote_dict)  # the original is untouched


def test_check_quote_shows_both_amounts(quote_dict: dict[str, Any]) -> None:
    broken = copy.deepcopy(quote_dict)
    total = Decimal(broken["totals"]["total"]["amount"])
    _bump(broken["totals"]["total"])
    with pytest.raises(AssertionError) as info:
        check_quote(broken)
    # Three invariants break (the parts, the due split, the lines), each with both amounts.
    assert str(info.value).splitlines()[:2] == [
        "3 quote invariants broken:",
        f"- totals.total != items + shipping + duties + taxes + fees: {total + Decimal('0.01')}"
        f" != {total}"]


def test_check_quote_zero_charges_need_no_explanation(quote_dict: dict[str, Any]) -> None:
    data = copy.deepcopy(quote_dict)
    data["charges"].append({"kind": "tax", "name": "VAT", "rule": "", "note": "",
                            "amount": {"amount": "0.00", "currency": "EUR", "formatted": ""},
                            "base": None, "rate": None, "included": False,
                            "payable": "checkout"})
    check_quote(data)


def test_check_quote_jpy_has_no_minor_digits(engine: Engine) -> None:
    data = engine.quote({"destination": {"country": "JP"}, "date": DAY.isoformat(),
                         "items": [{"sku": "A", "quantity": 1,
                                    "price": {"amount": "90.00", "currency": "EUR"}}]}).to_dict()
    check_quote(data)
    data["totals"]["items"]["amount"] += ".00"
    with pytest.raises(AssertionError, match="does not have exactly the 0 minor digits of JPY"):
        check_quote(data)


# -- docs/testing.md runs ----------------------------------------------------------------------

def _example(name: str) -> str:
    text = (ROOT / "docs" / "testing.md").read_text("utf-8")
    found = re.search(rf"<!-- example: {name} -->\s*```python\n(.*?)```", text, re.S)
    assert found, f"docs/testing.md has no python block after <!-- example: {name} -->"
    return found.group(1)


def _run_tests_of(code: str, name: str) -> list[str]:
    namespace: dict[str, Any] = {"__name__": f"docs_testing_{name}"}
    exec(compile(code, f"docs/testing.md ({name} example)", "exec"), namespace)
    ran = []
    for key, value in namespace.items():
        if key.startswith("test_") and callable(value):
            value()
            ran.append(key)
    return ran


def _sample_rates(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A rates file pricing every bundled market with round rates (tests/market_rates.py)."""
    return write_rates_csv(with_round_rates(bundled_rates()), tmp_path / "rates.csv")


def test_docs_module_example_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # The example uses the bundled rates, which price every bundled market.
    monkeypatch.chdir(ROOT)
    ran = _run_tests_of(_example("module"), "module")
    assert len(ran) >= 2, ran


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_docs_service_example_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # The service and the example's module engine both run on the bundled rates.
    code = _example("service")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "pricing", "serve", "--rules", "rules", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail("the service did not start: "
                            + (proc.stderr.read().decode() if proc.stderr else ""))
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("the service did not answer /healthz within 30 s")
            time.sleep(0.2)
        monkeypatch.chdir(ROOT)
        monkeypatch.setenv("PRICING_URL", url)
        assert _run_tests_of(code, "service")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
