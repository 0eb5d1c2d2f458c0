"""The bulk path gives, item by item, exactly what a quote of that item alone gives.

A landed unit price is the total of a quote for one unit of the item with shipping excluded
(docs/calculation.md, "Landed unit price"); the bulk pricer must agree with
``Engine.quote`` on it, on every amount and on every formatted string, for random catalog items
of every market, and refuse the same items for the same reasons.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from types import SimpleNamespace

import pytest
from conftest import EASY_RATES, QUOTE_DAY
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from market_rates import with_round_rates

from pricing import Engine, Money, PricingError
from pricing.bulk import BulkPricer, CatalogItem, PricedItem, _minor_ints, _unit_column
from pricing.endings import EndingMode, PriceEnding
from pricing.fx import bundled_rates
from pricing.money import CONTEXT, Rounding, minor_unit
from pricing.stages.prices import unit_amount, unit_amount_function, unit_minor_function
from pricing.testing import quote_requests

MARKET_RATES = with_round_rates(EASY_RATES)


@pytest.fixture(scope="module")
def engine(rules) -> Engine:
    return Engine(rules, rates=MARKET_RATES, clock=lambda: QUOTE_DAY)


def _items(request: dict) -> list[CatalogItem]:
    out = []
    for line in request["items"]:
        weight = line.get("weight")
        kg = None
        if weight is not None:
            factor = {"kg": Decimal(1), "g": Decimal("0.001"), "lb": Decimal("0.45359237"),
                      "oz": Decimal("0.028349523125")}[weight.get("unit", "kg")]
            kg = Decimal(weight["value"]) * factor
        out.append(CatalogItem(
            sku=line["sku"], price=Money.of(line["price"]["amount"], line["price"]["currency"]),
            hs_code=line.get("hs_code"), origin=line.get("origin"),
            category=line.get("category"), weight_kg=kg))
    return out


def _pricer_options(rules, request: dict) -> tuple[str, dict]:
    """The market of a drawn quote request and the BulkPricer options that price like it."""
    destination = request["destination"]
    market = request.get("market") or rules.market_for(destination["country"],
                                                       destination.get("region")).id
    return market, {"on": QUOTE_DAY, "locale": request.get("locale"),
                    "region": destination.get("region"), "ship_from": request.get("ship_from")}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_bulk_prices_equal_one_item_quotes(engine: Engine, rules, data) -> None:
    request = data.draw(quote_requests(rules, on=QUOTE_DAY, rates=MARKET_RATES))
    market, kw = _pricer_options(rules, request)
    pricer = BulkPricer(engine, market, **kw)
    items = _items(request)
    for item, priced in zip(items, pricer.price_many(items), strict=True):
        alone = {"destination": dict(request["destination"]),
                 "market": market, "date": QUOTE_DAY.isoformat(), "exclude_shipping": True,
                 "items": [{"sku": item.sku, "quantity": 1,
                            "price": {"amount": str(item.price.amount),
                                      "currency": item.price.currency},
                            **({"hs_code": item.hs_code} if item.hs_code else {}),
                            **({"origin": item.origin} if item.origin else {}),
                            **({"category": item.category} if item.category else {}),
                            **({"weight": {"value": format(item.weight_kg, "f")}}
                               if item.weight_kg is not None else {})}]}
        if request.get("locale"):
            alone["locale"] = request["locale"]
        if request.get("ship_from"):
            alone["ship_from"] = request["ship_from"]
        try:
            quote = engine.quote(alone).to_dict()
        except PricingError as e:
            assert priced.error is not None and type(priced.error) is type(e)
            assert priced.error.message == e.message
            continue
        assert priced.error is None
        line = quote["lines"][0]
        assert (str(priced.unit_price), priced.formatted_unit_price) == (
            line["unit_price"]["amount"], line["unit_price"]["formatted"])
        total = quote["totals"]["total"]
        assert (str(priced.landed_price), priced.formatted_landed_price) == (
            total["amount"], total["formatted"])
        assert priced.regime == quote["regime"]["id"]
        # The landed price is the goods part of the quote: nothing for shipping in it.
        assert quote["totals"]["shipping"]["amount"] == str(priced.landed_price * 0)
        assert Decimal(total["amount"]) == (
            Decimal(line["subtotal"]["amount"]) + Decimal(line["duty"]["amount"])
            + Decimal(line["tax"]["amount"]) + Decimal(line["fees"]["amount"]))


def test_landed_price_worked_example(engine: Engine) -> None:
    # Germany, a T-shirt at EUR 20.00 shipped from China on 2026-11-23: 20.00 -> ending .99 =
    # 20.99; value 20.99 / 1.19 = 17.64 <= EUR 150: IOSS with the EUR 3 duty per tariff
    # category (zones/eu.toml); VAT inside the price, VAT on the duty 3.00 x 0.19 = 0.57.
    # Landed: 20.99 + 3.00 + 0.57 = 24.56 (the quote with shipping adds 4.90 and its VAT is
    # inside it: docs/calculation.md's 29.46).
    pricer = BulkPricer(engine, "de", on=QUOTE_DAY, ship_from="CN")
    [row] = pricer.price_many([CatalogItem("TEE", Money.of("20.00", "EUR"),
                                           hs_code="610910")])
    assert (row.unit_price, row.landed_price, row.regime) == (
        Decimal("20.99"), Decimal("24.56"), "ioss")
    assert row.formatted_landed_price == "24,56\xa0€"


# -- the price-class path of price_many ---------------------------------------------------------

@pytest.fixture(scope="module")
def ecb_engine(rules) -> Engine:
    # The bundled ECB rates: factors with a dozen digits, as merchants have them.
    return Engine(rules, rates=bundled_rates(on=QUOTE_DAY), clock=lambda: QUOTE_DAY)


_PRICES = st.one_of(
    st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False),
    st.decimals(min_value=0, max_value=10**4, places=0, allow_nan=False),
    st.sampled_from([Decimal("0.01"), Decimal("19.99"), Decimal("99999999999999.99"),
                     Decimal("0.001"), Decimal("-0.00"), Decimal("1E+14")]))


@settings(max_examples=300, deadline=None)
@given(data=st.data(), amount=_PRICES)
def test_compiled_unit_prices_equal_unit_amount(ecb_engine: Engine, data, amount) -> None:
    # unit_amount is the quote's own stage 1; the compiled forms must give the same Decimal
    # (value and exponent) in every market, from the base currency and the market's own.
    market = data.draw(st.sampled_from(sorted(ecb_engine.rules.markets)))
    plan = ecb_engine.plan(market, QUOTE_DAY)
    currency = data.draw(st.sampled_from(sorted({"EUR", "USD", plan.currency})))
    with localcontext(CONTEXT):
        expected = unit_amount(plan, "ANY", Money(amount, currency))
        assert str(unit_amount_function(plan, currency)(amount)) == str(expected)
        minor = unit_minor_function(plan, currency)(amount)
        if amount < 0:
            assert minor is None  # left to unit_amount: its sign of zero
        else:
            assert str(minor * plan.unit) == str(expected)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_price_classes_equal_item_by_item(ecb_engine: Engine, rules, data) -> None:
    # Variants (same currency, HS code, origin, category, weight; other prices and SKUs) share
    # a price class; each must get exactly what pricing it alone gives (price(), held to
    # Engine.quote above), its own SKU, and its own error message.
    request = data.draw(quote_requests(rules, on=QUOTE_DAY, allow_restricted=True))
    market, kw = _pricer_options(rules, request)
    items = []
    for n, item in enumerate(_items(request)):
        prices = data.draw(st.lists(_PRICES.filter(lambda a: a >= 0), min_size=1, max_size=6))
        prices.append(item.price.amount)  # the same price twice: the class's memo answers
        items += [item._replace(sku=f"{item.sku}-{n}-{i}", price=Money(a, item.price.currency))
                  for i, a in enumerate([item.price.amount, *prices])]
    fast = BulkPricer(ecb_engine, market, **kw).price_many(items)
    for item, got in zip(items, fast, strict=True):
        alone = BulkPricer(ecb_engine, market, **kw).price(item)
        assert got.sku == item.sku
        if alone.error is not None:
            assert got.error is not None and got.error.message == alone.error.message
        else:
            assert got == alone


def test_restricted_variants_are_refused_each_by_its_sku(ecb_engine: Engine) -> None:
    # zones/eu.toml refuses HS 9301-9304 (weapons): every variant of one class is refused, and
    # each refusal names its own SKU.
    pricer = BulkPricer(ecb_engine, "de", on=QUOTE_DAY)
    rows = pricer.price_many([CatalogItem(f"SWORD-{i}", Money.of(f"{100 + i}.00", "EUR"),
                                          hs_code="930700") for i in range(3)]
                             + [CatalogItem("GUN-1", Money.of("100.00", "EUR"),
                                            hs_code="930100")] * 2)
    assert [r.error is None for r in rows] == [True, True, True, False, False]
    assert all("'GUN-1'" in r.error.message for r in rows[3:])


# -- the columnar path: price_columns ----------------------------------------------------------

_CURRENCIES = {"JPY": 0, "EUR": 2, "KWD": 3}


def _stub_plan(factor: Decimal, unit: Decimal, ending: PriceEnding | None, rounding: str):
    """What unit_amount and the compiled unit prices read of a plan, for any factor, minor
    unit, ending and rounding mode (the bundled markets have only a few of each)."""
    return SimpleNamespace(fixed={}, zero=Decimal(0).quantize(unit), unit=unit, ending=ending,
                           rounding_mode=rounding,
                           conversion=lambda currency: SimpleNamespace(factor=factor))


_ENDINGS = st.one_of(st.none(), st.builds(
    lambda step, end, mode: PriceEnding(step=step, ending=(end % step), mode=mode),
    st.sampled_from([Decimal("0.01"), Decimal("0.1"), Decimal(1), Decimal(10),
                     Decimal(100)]),
    st.sampled_from([Decimal(0), Decimal("0.09"), Decimal("0.5"), Decimal("0.95"),
                     Decimal("0.99"), Decimal(5), Decimal(9)]),
    st.sampled_from(list(EndingMode))))


@settings(max_examples=400, deadline=None)
@given(factor=st.one_of(
    # Round factors put many prices exactly on a half or on an allowed price: the ties.
    st.sampled_from([Decimal(1), Decimal("0.5"), Decimal("0.25"), Decimal("1.5"),
                     Decimal("0.1"), Decimal(2), Decimal("1.1"), Decimal("0.125")]),
    st.decimals(min_value=Decimal("0.000001"), max_value=Decimal(50000), places=12,
                allow_nan=False)),
       ending=_ENDINGS, rounding=st.sampled_from([r.decimal_mode for r in Rounding]),
       currency=st.sampled_from(sorted(_CURRENCIES)),
       unit=st.sampled_from([Decimal(1), Decimal("0.01"), Decimal("0.001")]),
       minors=st.lists(st.one_of(st.integers(0, 10**6), st.integers(0, 10**18),
                                 st.integers(0, 400).map(lambda k: k * 5),
                                 st.just(10**16 - 1)), min_size=1, max_size=20))
def test_unit_columns_equal_unit_amount(factor, ending, rounding, currency, unit, minors) -> None:
    # The integer column form against stage 1 itself, price by price: the same minor units,
    # whatever the factor, ending, rounding mode and the two currencies' decimals.
    if ending is not None and (ending.step % unit or ending.ending % unit):
        ending = None  # an ending finer than the currency is refused when rules load
    plan = _stub_plan(factor, unit, ending, rounding)
    p = _CURRENCIES[currency]
    with localcontext(CONTEXT):
        got = _unit_column(plan, currency)(list(minors))
        for m, minor in zip(minors, got, strict=True):
            expected = unit_amount(plan, "ANY", Money(Decimal(m).scaleb(-p), currency))
            assert minor * unit == expected


@pytest.mark.parametrize(("rounding", "expected"), [
    # Cents times 0.25: 9 -> 2.25, 10 -> 2.5, 11 -> 2.75, 14 -> 3.5 (cents). Half-even takes
    # a tie to the even neighbour (2.5 -> 2, 3.5 -> 4), half-up away from zero (2.5 -> 3,
    # 3.5 -> 4); off a tie both take the nearer one (2.25 -> 2, 2.75 -> 3).
    (Rounding.HALF_EVEN, [2, 2, 3, 4]),
    (Rounding.HALF_UP, [2, 3, 3, 4]),
])
def test_unit_columns_round_ties_by_the_mode(rounding: Rounding, expected: list[int]) -> None:
    plan = _stub_plan(Decimal("0.25"), Decimal("0.01"), None, rounding.decimal_mode)
    minors = [9, 10, 11, 14]
    column = _unit_column(plan, "EUR")
    assert column(minors) == expected          # the whole column at once
    assert [column([m])[0] for m in minors] == expected   # one row at a time
    assert column([0, *minors]) == [0, *expected]         # a zero sends it row by row


def test_minor_ints_read_prices_as_written() -> None:
    # "19.9" and "19.90" are both 1990 cents; more decimals than the currency has: None.
    assert _minor_ints(["19.90", "0.05", "1234.00"], "EUR") == [1990, 5, 123400]
    assert _minor_ints(["19.9", "19.90", Decimal("7"), "19.905"], "EUR") == [
        1990, 1990, 700, None]
    assert _minor_ints(["1500", "7"], "JPY") == [1500, 7]
    assert _minor_ints(["1.250"], "KWD") == [1250]


def _columns(items: list[CatalogItem], texts: list[str | Decimal]) -> tuple[list, ...]:
    return ([i.sku for i in items], texts, [i.price.currency for i in items],
            [i.hs_code for i in items], [i.origin for i in items],
            [i.category for i in items], [i.weight_kg for i in items])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_price_columns_equal_item_by_item(ecb_engine: Engine, rules, data) -> None:
    # The columnar path on a chunk of several classes, prices as text and as Decimals, against
    # price() item by item (held to Engine.quote above): the same fields, errors by SKU.
    request = data.draw(quote_requests(rules, on=QUOTE_DAY, allow_restricted=True))
    market, kw = _pricer_options(rules, request)
    items, texts = [], []
    for n, item in enumerate(_items(request)):
        prices = data.draw(st.lists(_PRICES.filter(lambda a: a >= 0), min_size=1, max_size=6))
        for i, a in enumerate([item.price.amount, *prices, item.price.amount]):
            if a != a.quantize(minor_unit(item.price.currency)):
                continue  # a catalog reader refuses more decimals than the currency has
            items.append(item._replace(sku=f"{item.sku}-{n}-{i}",
                                       price=Money(a, item.price.currency)))
            texts.append(data.draw(st.sampled_from([f"{a:f}", a])))
    fast = BulkPricer(ecb_engine, market, **kw).price_columns(*_columns(items, texts))
    for item, got in zip(items, fast, strict=True):
        alone = BulkPricer(ecb_engine, market, **kw).price(item)
        if alone.error is not None:
            assert got.error is not None and got.error.message == alone.error.message
        else:
            assert PricedItem(item.sku, *got) == alone


def test_price_columns_of_one_class(ecb_engine: Engine) -> None:
    # Germany from Germany (domestic, VAT inside): EUR 20.00 -> .99 ending -> 20.99, 0.00 is
    # free; the class is checked once and each row has its own result.
    pricer = BulkPricer(ecb_engine, "de", on=QUOTE_DAY, ship_from="DE")
    got = pricer.price_columns(["A", "B", "C"], ["20.00", "0.00", "20.50"], ["EUR"] * 3)
    assert [(g.unit_price, g.landed_price, g.formatted_landed_price) for g in got] == [
        (Decimal("20.99"), Decimal("20.99"), "20,99\xa0€"),
        (Decimal("0.00"), Decimal("0.00"), "0,00\xa0€"),
        (Decimal("20.99"), Decimal("20.99"), "20,99\xa0€")]
    assert pricer.price_columns([], [], []) == []
