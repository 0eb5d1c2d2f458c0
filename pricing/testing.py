"""Hypothesis strategies for quote requests, and :func:`check_quote` for the invariants of a quote.

For checkout teams' own property tests and for ours. Every strategy builds requests in the JSON
shape of :class:`~pricing.quote.QuoteRequestModel` (plain dicts, so the same request can go to
``Engine.quote`` or be POSTed to the HTTP service) and only requests the engine accepts for the
rule set given: regions where taxes need one, known currencies, carts within every shipping
method's weight limit, no restricted goods unless asked for. Needs the ``testing`` extra
(``pip install 'crossborder-pricing[testing]'``)::

    from datetime import date

    from hypothesis import given

    from pricing import Engine
    from pricing.testing import check_quote, quote_requests

    engine = Engine.from_directory("rules")

    @given(quote_requests(engine.rules, on=date(2026, 11, 23)))
    def test_quotes_add_up(request):
        check_quote(engine.quote(request))

Strategies: :func:`currencies`, :func:`money`, :func:`markets`, :func:`destinations`,
:func:`items`, :func:`carts`, :func:`quote_requests`, :func:`carts_near_thresholds`.
Wherever a strategy takes ``rules`` it accepts a :class:`~pricing.markets.RuleSet` or an
:class:`~pricing.engine.Engine`; wherever it takes ``market``, a
:class:`~pricing.markets.Market` or a market id.

:func:`check_quote` takes a :class:`~pricing.quote.Quote` or its ``to_dict()`` form (the service's
JSON) and raises :class:`AssertionError` naming every broken invariant, with the amounts.
"""

from __future__ import annotations

try:
    from hypothesis import strategies as st
    from hypothesis.errors import InvalidArgument
except ImportError:  # the testing extra is optional: a MissingExtraError says how to get it
    from pricing.extras import missing_extra

    if (error := missing_extra("testing", feature="pricing.testing")) is not None:
        raise error from None
    raise

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import (
    ROUND_CEILING,
    ROUND_FLOOR,
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    InvalidOperation,
)
from typing import Any, NoReturn

import pycountry

from pricing.codes import normalize_currency
from pricing.endings import EndingMode, PriceEnding
from pricing.engine import Engine
from pricing.errors import PricingError
from pricing.fx import RateTable, bundled_rates
from pricing.markets import Market, RuleSet
from pricing.markets.schema import Schedule, ShippingMethod
from pricing.money import Money, minor_unit, parse_decimal, precision
from pricing.quote import Quote
from pricing.stages.shipping import price_shipping

__all__ = [
    "carts",
    "carts_near_thresholds",
    "check_quote",
    "currencies",
    "destinations",
    "items",
    "markets",
    "money",
    "quote_requests",
]

SearchStrategy = st.SearchStrategy

#: Countries of origin offered besides those the rules name (all ISO 3166-1).
_ORIGINS = ("CN", "DE", "FR", "GB", "IN", "IT", "JP", "MX", "PT", "TR", "US", "VN")
_DIGITS = "0123456789"
#: Units the request accepts for weights, with kg per unit (as in pricing.quote).
_KG_PER = {"kg": Decimal(1), "g": Decimal("0.001"), "lb": Decimal("0.45359237"),
           "oz": Decimal("0.028349523125")}
#: Most a cart may weigh when no shipping method limits it (keeps examples realistic).
_MAX_CART_KG = Decimal(50)


# -- helpers ---------------------------------------------------------------------------------

def _ruleset(rules: RuleSet | Engine) -> RuleSet:
    return rules.rules if isinstance(rules, Engine) else rules


def _market(rules: RuleSet | Engine | None, market: Market | str) -> Market:
    if isinstance(market, Market):
        return market
    if rules is None:
        raise InvalidArgument(f"market {market!r} is an id: pass the Market object instead")
    return _ruleset(rules).market(market)


def _day(on: date | None) -> date:
    # Strategies are not the engine: without a date, "in force" means today, as a quote
    # without a date would be computed by an engine with the default clock.
    return on if on is not None else date.today()


def _amount_str(value: Decimal, currency: str) -> str:
    unit = minor_unit(currency)
    return str(value.quantize(unit, rounding=ROUND_HALF_EVEN))


def _dec(value: object, name: str) -> Decimal:
    try:
        return parse_decimal(value, field=name)
    except PricingError as e:
        raise InvalidArgument(e.message) from None


def _restricted(market: Market, hs_code: str | None, category: str | None) -> bool:
    for rule in market.spec.restrictions:
        if hs_code is not None and any(hs_code.startswith(p) for p in rule.hs):
            return True
        if category is not None and category in rule.categories:
            return True
    return False


def _method_limit(method: ShippingMethod) -> Decimal | None:
    """Most kg ``method`` can carry, or None when it has no limit."""
    limits = []
    if method.max_kg is not None:
        limits.append(method.max_kg)
    if method.bands and method.per_kg is None:
        limits.append(method.bands[-1].up_to_kg)
    return min(limits) if limits else None


def _weight_budget(market: Market) -> Decimal:
    """Most kg a cart may weigh so that every shipping method of ``market`` can carry it."""
    limits = [lim for m in market.spec.shipping.values() if (lim := _method_limit(m)) is not None]
    return min([*limits, _MAX_CART_KG])


def _default_method(market: Market) -> str:
    methods = market.spec.shipping
    for k, m in methods.items():
        if m.default:
            return k
    return next(iter(methods))


def _default_max_price(currency: str) -> Decimal:
    # Without a rate table: 1000 major units, or 100 000 where there are no minor units (JPY,
    # KRW), whose major unit is worth about a hundredth of most others.
    return Decimal(1000) if precision(currency) else Decimal(100_000)


def _in_force(schedule: Schedule[Any] | None, on: date) -> bool:
    return schedule is not None and schedule.at(on) is not None


# -- scalar strategies -----------------------------------------------------------------------

def currencies(*, rates: RateTable | None = None) -> SearchStrategy[str]:
    """ISO 4217 codes the rate table can convert (the bundled table by default).

    Only these can price an item: the engine converts every price into the market currency.
    """
    table = rates if rates is not None else bundled_rates()
    return st.sampled_from(sorted(table.currencies))


def money(currency: str, *, min_value: Decimal | int | str = 0,
          max_value: Decimal | int | str = 1000) -> SearchStrategy[Money]:
    """:class:`~pricing.money.Money` of ``currency`` in ``[min_value, max_value]``, at exactly
    the currency's minor digits (cents for EUR, whole yen for JPY).

    Bounds are in major units and are rounded inward to the minor unit; floats are refused.
    """
    try:
        cur = normalize_currency(currency)
    except PricingError as e:
        raise InvalidArgument(e.message) from None
    unit = minor_unit(cur)
    lo = _dec(min_value, "min_value")
    hi = _dec(max_value, "max_value")
    lo_units = int((lo / unit).to_integral_value(rounding=ROUND_CEILING))
    hi_units = int((hi / unit).to_integral_value(rounding=ROUND_FLOOR))
    if lo_units > hi_units:
        raise InvalidArgument(f"no {cur} amount lies in [{lo}, {hi}] at the minor unit {unit}")
    return st.integers(lo_units, hi_units).map(
        lambda n: Money((Decimal(n) * unit).quantize(unit), cur))


# -- rule-aware strategies -------------------------------------------------------------------

#: Strategies already built, by the identity of the objects they were built for (rule set,
#: market, rates) and their options. Building a strategy is far slower than drawing from it, and
#: tests often ask for the same one in every example (``data.draw(quote_requests(...))``).
_BUILT: dict[tuple[Any, ...], tuple[tuple[object, ...], SearchStrategy[Any]]] = {}
_MAX_BUILT = 512


def _once(owners: tuple[object, ...], key: tuple[Any, ...],
          build: Callable[[], SearchStrategy[Any]]) -> SearchStrategy[Any]:
    full = (*(id(o) for o in owners), *key)
    hit = _BUILT.get(full)
    if hit is not None and all(a is b for a, b in zip(hit[0], owners, strict=True)):
        return hit[1]
    strategy = build()
    if len(_BUILT) >= _MAX_BUILT:  # many rule sets in one session (reload tests): start over
        _BUILT.clear()
    _BUILT[full] = (owners, strategy)  # holding the owners keeps their ids from being reused
    return strategy


def markets(rules: RuleSet | Engine) -> SearchStrategy[Market]:
    """The markets of a rule set (as :class:`~pricing.markets.Market` objects)."""
    found = list(_ruleset(rules).markets.values())
    if not found:
        raise InvalidArgument("the rule set has no markets")
    return st.sampled_from(found)


def destinations(market: Market) -> SearchStrategy[dict[str, str]]:
    """``{"country": ..., "region": ...}`` destinations ``market`` serves.

    Regions come mostly from those its tax components name, so each regional tax is exercised;
    other subdivisions of the country (ISO 3166-2, from pycountry) appear too: they are valid
    destinations whose regional taxes are simply absent (US-OR pays no sales tax). The region is
    left out at times where the market's taxes do not need one. Excluded regions never appear.
    """
    return _once((market,), ("destinations",), lambda: _destinations(market))


def _destinations(market: Market) -> SearchStrategy[dict[str, str]]:
    spec = market.spec
    excluded = set(spec.exclude_regions)
    components = spec.tax.components if spec.tax else ()
    named = sorted({r for c in components for r in c.regions} - excluded)
    options: list[SearchStrategy[dict[str, str]]] = []
    for country in spec.countries:
        listed = [r for r in named if r.split("-")[0] == country]
        subdivisions = pycountry.subdivisions.get(country_code=country) or []
        others = sorted(s.code for s in subdivisions
                        if s.code not in excluded and s.code not in listed)
        if not market.requires_region:
            options.append(st.just(country).map(lambda c: {"country": c}))
        regions: list[SearchStrategy[str]] = []
        if listed:
            regions.append(st.sampled_from(listed))
        if others:
            regions.append(st.sampled_from(others))
        if regions:
            options.append(st.one_of(regions).map(
                lambda region, c=country: {"country": c, "region": region}))
    if not options:
        raise InvalidArgument(f"market {market.id!r} needs a region but none of its countries "
                              "has a subdivision it serves")
    return st.one_of(options)


def _categories(market: Market, on: date) -> list[str]:
    """Tax categories the market names that have a rate in force on ``on`` in every component."""
    if market.spec.tax is None:
        return []
    names = {name for c in market.spec.tax.components for name in c.categories}
    return sorted(name for name in names
                  if all(_in_force(c.categories[name], on)
                         for c in market.spec.tax.components if name in c.categories))


def _hs_codes(market: Market, *, allow_restricted: bool) -> SearchStrategy[str]:
    return _once((market,), ("hs", allow_restricted),
                 lambda: _build_hs_codes(market, allow_restricted=allow_restricted))


def _build_hs_codes(market: Market, *, allow_restricted: bool) -> SearchStrategy[str]:
    prefixes = sorted({r.hs for r in market.spec.duty.rules if r.hs is not None})
    if allow_restricted:
        prefixes += sorted({p for r in market.spec.restrictions for p in r.hs})

    def padded(prefix: str) -> SearchStrategy[str]:
        missing = max(0, 6 - len(prefix))
        return st.text(_DIGITS, min_size=missing, max_size=missing).map(lambda s: prefix + s)

    options = [padded(p) for p in prefixes]
    options.append(st.text(_DIGITS, min_size=6, max_size=6))
    codes = st.one_of(options)
    if allow_restricted:
        return codes
    return codes.filter(lambda code: not _restricted(market, code, None))


_SKU_STEMS = ("BAG", "BOOK", "MUG", "SHOE", "SKU", "TEE")
_SKUS = st.tuples(st.sampled_from(_SKU_STEMS), st.integers(0, 99_999)).map(
    lambda t: f"{t[0]}-{t[1]}")
_TITLES = st.text(st.characters(codec="utf-8"), max_size=30)
_WORDS = st.text("abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=12)
_PER_MILLE = st.integers(0, 1000)
_UNITS = st.sampled_from(sorted(_KG_PER))


def _spell_weight(kg: Decimal, unit: str) -> dict[str, str]:
    # Round down so that the weight the engine reads back never exceeds ``kg``.
    value = (kg / _KG_PER[unit]).quantize(Decimal("0.001"), rounding=ROUND_FLOOR)
    return {"value": str(value), "unit": unit}


def _item_core(market: Market, *, allow_restricted: bool, currencies: Sequence[str],
               max_price: Decimal | Mapping[str, Decimal] | None, on: date
               ) -> SearchStrategy[dict[str, Any]]:
    """An item without quantity and weight (the cart sets those, within its weight budget)."""
    key = ("item", allow_restricted, tuple(currencies), _price_key(max_price), on)
    return _once((market,), key, lambda: _build_item_core(
        market, allow_restricted=allow_restricted, currencies=currencies, max_price=max_price,
        on=on))


def _price_key(max_price: Decimal | Mapping[str, Decimal] | None) -> Any:
    return tuple(sorted(max_price.items())) if isinstance(max_price, Mapping) else max_price


def _build_item_core(market: Market, *, allow_restricted: bool, currencies: Sequence[str],
                     max_price: Decimal | Mapping[str, Decimal] | None, on: date
                     ) -> SearchStrategy[dict[str, Any]]:
    spec = market.spec
    fixed = sorted(spec.pricing.prices)
    skus = st.one_of(st.sampled_from(fixed), _SKUS) if fixed else _SKUS

    def price_in(cur: str) -> SearchStrategy[dict[str, str]]:
        if isinstance(max_price, Mapping):
            top = max_price.get(cur, _default_max_price(cur))
        else:
            top = max_price if max_price is not None else _default_max_price(cur)
        return money(cur, min_value=0, max_value=top).map(
            lambda m: {"amount": str(m.amount), "currency": m.currency})

    prices = st.one_of([price_in(c) for c in currencies])
    origins = sorted({o for r in spec.duty.rules for o in r.origins}
                     | set(spec.countries) | set(_ORIGINS))
    cats = _categories(market, on)
    if allow_restricted:
        restricted_cats = sorted({c for r in spec.restrictions for c in r.categories})
        cat_options = [st.sampled_from(x) for x in (cats, restricted_cats) if x]
        other_cats = _WORDS
    else:
        cat_options = [st.sampled_from(cats)] if cats else []
        other_cats = _WORDS.filter(lambda c: not _restricted(market, None, c))
    return st.fixed_dictionaries(
        {"sku": skus, "price": prices},
        optional={
            "hs_code": _hs_codes(market, allow_restricted=allow_restricted),
            "origin": st.sampled_from(origins),
            "category": st.one_of([*cat_options, other_cats]),
            "title": _TITLES,
        },
    )


def _line(core: dict[str, Any], quantity: int, weight: dict[str, str] | None) -> dict[str, Any]:
    line = {"sku": core["sku"], "quantity": quantity, **{k: v for k, v in core.items()
                                                         if k != "sku"}}
    if weight is not None:
        line["weight"] = weight
    return line


def items(market: Market, *, allow_restricted: bool = False,
          currencies: Sequence[str] | None = None,
          max_price: Decimal | Mapping[str, Decimal] | None = None, on: date | None = None,
          max_quantity: int = 5, max_weight_kg: Decimal = Decimal(2)
          ) -> SearchStrategy[dict[str, Any]]:
    """One line of a cart in the request's JSON shape.

    HS codes are the market's duty-rule prefixes padded to 6 digits, or any 6 digits, or none;
    origins include the preference origins of its duty rules; categories are those its tax
    components name (with a rate in force on ``on``, default today) or unknown ones (taxed at the
    standard rate); SKUs include its fixed-price SKUs. Prices are in ``currencies`` (default: the
    market's own), up to ``max_price`` (one amount, or one per currency). Restricted goods appear
    only with ``allow_restricted=True`` (and then the engine may refuse the request).

    One item's weight is at most ``max_weight_kg`` per unit; to keep a whole cart within what
    the market can ship, use :func:`carts`.
    """
    if max_quantity < 1:
        raise InvalidArgument("max_quantity must be at least 1")
    core = _item_core(market, allow_restricted=allow_restricted,
                      currencies=list(currencies) if currencies else [market.currency],
                      max_price=max_price, on=_day(on))
    weights = st.one_of(st.none(), st.tuples(_PER_MILLE, _UNITS).map(
        lambda t: _spell_weight(max_weight_kg * t[0] / 1000, t[1])))
    return st.tuples(core, st.integers(1, max_quantity), weights).map(lambda t: _line(*t))


def carts(market: Market, *, min_items: int = 1, max_items: int = 4,
          allow_restricted: bool = False, currencies: Sequence[str] | None = None,
          max_price: Decimal | Mapping[str, Decimal] | None = None, on: date | None = None,
          max_quantity: int = 5, default_weight_kg: Decimal = Decimal("0.5")
          ) -> SearchStrategy[list[dict[str, Any]]]:
    """The ``items`` of a request: lines from :func:`items`, weighing together no more than every
    shipping method of ``market`` carries (``max_kg``, or the last band without ``per_kg``).

    Lines without a weight count ``default_weight_kg`` per unit (the shop's
    ``default_item_weight_kg``; :func:`quote_requests` passes it); a line whose default weight
    would not fit gets an explicit weight.
    """
    if not 1 <= min_items <= max_items:
        raise InvalidArgument("need 1 <= min_items <= max_items")
    if max_quantity < 1:
        raise InvalidArgument("max_quantity must be at least 1")
    cur_list = list(currencies) if currencies else [market.currency]
    day = _day(on)
    key = ("carts", min_items, max_items, allow_restricted, tuple(cur_list),
           _price_key(max_price), day, max_quantity, default_weight_kg)
    return _once((market,), key, lambda: _build_carts(
        market, min_items=min_items, max_items=max_items, core=_item_core(
            market, allow_restricted=allow_restricted, currencies=cur_list,
            max_price=max_price, on=day),
        max_quantity=max_quantity, default_weight_kg=default_weight_kg))


def _build_carts(market: Market, *, min_items: int, max_items: int,
                 core: SearchStrategy[dict[str, Any]], max_quantity: int,
                 default_weight_kg: Decimal) -> SearchStrategy[list[dict[str, Any]]]:
    budget = _weight_budget(market)
    counts = st.integers(min_items, max_items)
    quantities = st.integers(1, max_quantity)
    weighed = st.booleans()

    @st.composite
    def build(draw: st.DrawFn) -> list[dict[str, Any]]:
        n = draw(counts)
        lines = []
        for _ in range(n):
            base = draw(core)
            qty = draw(quantities)
            unit_budget = min(budget / n / qty, Decimal(5))
            weight = None
            if default_weight_kg > unit_budget or draw(weighed):
                weight = _spell_weight(unit_budget * draw(_PER_MILLE) / 1000, draw(_UNITS))
            lines.append(_line(base, qty, weight))
        return lines

    return build()


def _outside(rules: RuleSet, market: Market) -> str:
    """A country parcels can ship from that makes them imports into ``market``: the shop's own
    country unless it is inside the market's customs territory (then the first of a few big
    exporters that is not)."""
    territory = market.spec.customs_territory or market.spec.countries
    for country in (rules.shop.ship_from, "CN", "US", "GB", "JP", "CH"):
        if country not in territory:
            return country
    return "CN"


def _ship_froms(rules: RuleSet, market: Market) -> list[str]:
    found = {rules.shop.ship_from, _outside(rules, market)}
    for regime in market.spec.regimes:
        found.update(regime.ship_from)
    return sorted(found)


def _max_prices(rules: RuleSet, rates: RateTable | None, curs: Sequence[str]
                ) -> dict[str, Decimal]:
    """About 1000 units of the shop's base currency in each of ``curs``."""
    table = rates if rates is not None else bundled_rates()
    out = {}
    for cur in curs:
        try:
            out[cur] = table.convert(Money(Decimal(1000), rules.shop.base_currency), cur).amount
        except PricingError:
            out[cur] = _default_max_price(cur)
    return out


def quote_requests(rules: RuleSet | Engine, *, market: Market | str | None = None,
                   on: date | None = None, rates: RateTable | None = None,
                   max_items: int = 4, allow_restricted: bool = False
                   ) -> SearchStrategy[dict[str, Any]]:
    """Whole quote requests (JSON dicts) for ``market``, or for any market of ``rules``.

    Prices are in the shop's base currency or the market's; ``rates`` (default: the bundled
    table, as the engine) only sizes them (up to about 1000 units of the base currency). With
    ``on`` the request carries ``"date": on`` so that it quotes the same in the module and in the
    service; rates of tax categories are checked to be in force on that date (today without it).
    Optional fields (``market``, ``locale``, ``shipping_method``, ``ship_from``) come and go;
    ``ship_from`` takes the shop's country or one a regime tests for.
    """
    rs = _ruleset(rules)
    chosen = list(rs.markets.values()) if market is None else [_market(rs, market)]
    if not chosen:
        raise InvalidArgument("the rule set has no markets")
    key = ("requests", tuple(m.id for m in chosen), on, max_items, allow_restricted)
    return _once((rs, rates, *chosen), key, lambda: st.one_of([
        _requests_for(rs, m, on=on, rates=rates, max_items=max_items,
                      allow_restricted=allow_restricted) for m in chosen]))


def _requests_for(rules: RuleSet, market: Market, *, on: date | None,
                  rates: RateTable | None, max_items: int, allow_restricted: bool
                  ) -> SearchStrategy[dict[str, Any]]:
    spec = market.spec
    curs = list(dict.fromkeys([rules.shop.base_currency, market.currency]))
    locales = sorted({*spec.locales, *(loc.split("_")[0] for loc in spec.locales)})
    required: dict[str, SearchStrategy[Any]] = {
        "destination": destinations(market),
        "items": carts(market, max_items=max_items, allow_restricted=allow_restricted,
                       currencies=curs, max_price=_max_prices(rules, rates, curs), on=on,
                       default_weight_kg=rules.shop.default_item_weight_kg),
    }
    if on is not None:
        required["date"] = st.just(on.isoformat())
    return st.fixed_dictionaries(required, optional={
        "market": st.just(market.id),
        "locale": st.sampled_from(locales),
        "shipping_method": st.sampled_from(sorted(spec.shipping)),
        "ship_from": st.sampled_from(_ship_froms(rules, market)),
    })


# -- thresholds ------------------------------------------------------------------------------

#: Which side of a threshold to aim at, and how far: a relative offset plus whole price-ending
#: steps (at least one, so that "below" and "above" stay off the threshold after the ending).
_SIDE_OF = {-1: "below", 0: "at", 1: "above"}
#: Or exactly: on the limit, or one minor unit below or above it.
_EXACT_OFFSETS = (-1, 0, 1)
#: Precision for checking where an exact cart lands (the engine divides at 28 digits).
_FINE = Context(prec=60)
#: How close to a rounding boundary a value may land and still be trusted to round one way.
_MARGIN = Decimal("1e-12")
#: Most units of the cheapest allowed price an exact cart adds to reach a value.
_MAX_FILLER = 1000
_RELATIVE = st.sampled_from([Decimal(x) for x in ("0", "0.003", "0.01", "0.02", "0.05")])
_STEPS = st.integers(1, 3)
_SHARES = st.sampled_from([Decimal("0.5"), Decimal("0.8")])


def _local_limit(limit: Money, currency: str, rates: RateTable) -> Money:
    # As the engine compares: the threshold converted at the quote's rate and rounded.
    return limit.round() if limit.currency == currency else rates.convert(limit, currency)


def _targets(rules: RuleSet, market: Market, rates: RateTable, on: date
             ) -> list[dict[str, Any]]:
    spec = market.spec
    cur = market.currency
    found: list[dict[str, Any]] = []
    for regime in spec.regimes:
        if not regime.in_force(on):
            continue
        limit = regime.max_value.at(on) if regime.max_value else None
        if limit is None:
            continue
        found.append({"kind": "regime", "regime": regime,
                      "limit": _local_limit(limit, cur, rates).amount,
                      "method": _default_method(market),
                      "ship_from": list(regime.ship_from) or [_outside(rules, market)]})
    for method_id, method in spec.shipping.items():
        free = method.free_over.at(on) if method.free_over else None
        if free is None:
            continue
        found.append({"kind": "free_shipping", "regime": None,
                      "limit": _local_limit(free, cur, rates).amount, "method": method_id,
                      "ship_from": [rules.shop.ship_from]})
    return found


def carts_near_thresholds(rules: RuleSet | Engine, market: Market | str, rates: RateTable, *,
                          on: date) -> SearchStrategy[dict[str, Any]]:
    """Quote requests whose tested value lies on, one minor unit either side of, or near one of
    the market's thresholds in force on ``on``: each regime's ``max_value`` (de minimis, IOSS,
    ...) and each shipping method's ``free_over``.

    The limit is the threshold converted with ``rates`` into the market currency and rounded,
    as the engine compares it. The value is what the rule tests (docs/calculation.md, step 3):
    net of tax in tax-inclusive markets, plus net shipping where the regime counts it, each
    item's unit value for a per-item regime, the displayed goods for free shipping.

    Half the examples aim *exactly*: the value is the limit itself, or one minor unit below
    or above it, where equality decides between "not exceeding" and "under". Prices are then
    in the market currency, on its price ending; a value one line cannot reach is reached with
    units of the lowest allowed price or a line of a second tax category. Some values no cart
    of the market can reach (a per-item limit on a coarse price lattice, e.g. Norway's prices
    ending in 9 against NOK 3,000): those examples aim near instead.

    The other half aim *near*: a small relative offset (up to 5 %) and one to three
    price-ending steps from the limit, or at it, with prices worked back through the exchange
    rate, FX markup, adjustment and price ending, so carts fall on both sides of every
    threshold. A market with no threshold gets plain :func:`quote_requests`.
    """
    rs = _ruleset(rules)
    m = _market(rs, market)
    return _once((rs, m, rates), ("near", on), lambda: _build_near(rs, m, rates, on))


def _build_near(rules: RuleSet, market: Market, rates: RateTable, on: date
                ) -> SearchStrategy[dict[str, Any]]:
    targets = _targets(rules, market, rates, on)
    if not targets:
        return quote_requests(rules, market=market, on=on, rates=rates)
    return st.one_of([_near(rules, market, rates, on, t) for t in targets])


def _near(rules: RuleSet, market: Market, rates: RateTable, on: date,
          target: dict[str, Any]) -> SearchStrategy[dict[str, Any]]:
    spec = market.spec
    cur = market.currency
    unit = minor_unit(cur)
    ending = spec.pricing.ending
    step = ending.step if ending is not None else unit
    regime = target["regime"]
    method_id = target["method"]
    method = spec.shipping[method_id]
    tax = spec.tax
    inclusive = spec.price_display == "inclusive" and tax is not None
    budget = _weight_budget(market)
    max_lines = 1 if regime is not None and regime.value_basis == "item" else 2
    line_counts = st.integers(1, max_lines)
    grams = {n: st.integers(min(50, top), top)
             for n in range(1, max_lines + 1) if (top := int(budget * 1000 / n / 2)) >= 0}
    price_currencies = st.sampled_from(list(dict.fromkeys([rules.shop.base_currency, cur])))
    hs_codes = st.one_of(st.none(), _hs_codes(market, allow_restricted=False))
    ship_froms = st.sampled_from(sorted(target["ship_from"]))
    places = destinations(market)
    unreachable: set[tuple[Any, ...]] = set()

    @st.composite
    def build(draw: st.DrawFn, off: int | None, side: str) -> dict[str, Any]:
        dest = draw(places)
        rate_sum = sum((c.rate.at(on) or Decimal(0)
                        for _, c in market.tax_components(dest.get("region"))), Decimal(0))
        exact = None
        if off is not None:
            kg = Decimal(draw(grams[1])) / 1000
            exact = _exact_lines(market, target, target["limit"] + off * unit, kg, rates, on,
                                 region=dest.get("region"), quantity=draw(st.integers(1, 3)),
                                 first=draw(st.integers(0, 99)), unreachable=unreachable)
        if exact is not None:
            lines = exact
            hs = draw(hs_codes)
            if hs is not None:
                lines[0]["hs_code"] = hs
            request: dict[str, Any] = {"destination": dest, "items": lines,
                                       "date": on.isoformat(), "shipping_method": method_id}
            ship_from = draw(ship_froms)
            if ship_from != rules.shop.ship_from:
                request["ship_from"] = ship_from
            return request
        wanted = target["limit"]
        if side != "at":
            sign = -1 if side == "below" else 1
            wanted = wanted * (1 + sign * draw(_RELATIVE)) + sign * draw(_STEPS) * step
        n = draw(line_counts)
        weights = [Decimal(draw(grams[n])) / 1000 for _ in range(n)]
        if regime is None:  # free shipping: the displayed goods value counts
            gross = wanted
        else:
            net = wanted
            if regime.include_shipping:
                net -= _shipping_estimate(market, method, sum(weights, Decimal(0)), wanted,
                                          rates, on, rate_sum, inclusive)
            gross = net * (1 + rate_sum) if inclusive and "goods" in tax.base else net
        gross = max(gross, unit)
        share = draw(_SHARES) if n == 2 else Decimal(1)
        parts = [gross * share, gross * (1 - share)][:n]
        lines = []
        for i, (part, kg) in enumerate(zip(parts, weights, strict=True)):
            price_cur = draw(price_currencies)
            line: dict[str, Any] = {
                "sku": f"NEAR-{i + 1}", "quantity": 1,
                "price": {"amount": _input_price(market, part, price_cur, rates),
                          "currency": price_cur},
                "weight": {"value": str(kg), "unit": "kg"},
            }
            hs = draw(hs_codes)
            if hs is not None:
                line["hs_code"] = hs
            lines.append(line)
        request = {"destination": dest, "items": lines, "date": on.isoformat(),
                   "shipping_method": method_id}
        ship_from = draw(ship_froms)
        if ship_from != rules.shop.ship_from:
            request["ship_from"] = ship_from
        return request

    # Each aim is a branch of its own, so that every one is drawn from the first choice on,
    # with as many carts aiming near (below, at, above) as exactly. An exact aim no cart of the
    # market can reach aims near on the side of its offset instead.
    return st.one_of([build(off, _SIDE_OF[off]) for off in _EXACT_OFFSETS]
                     + [build(None, side) for side in _SIDE_OF.values()])


def _lattice(market: Market) -> tuple[Decimal, Decimal, Decimal]:
    """``(step, ending, lowest)``: the unit prices the market's pricing gives prices in its own
    currency are ``k x step + ending``, the lowest of them ``lowest``."""
    ending = market.spec.pricing.ending
    if ending is None:
        unit = minor_unit(market.currency)
        return unit, Decimal(0), unit
    return ending.step, ending.ending, ending.ending if ending.ending > 0 else ending.step


def _price_for(market: Market, local: Decimal) -> str | None:
    """A price in the market's own currency that its pricing (adjustment, then the ending or
    rounding: docs/calculation.md step 1) turns into exactly ``local``, or None."""
    p = market.spec.pricing
    cur = market.currency
    unit = minor_unit(cur)
    factor = Decimal(1) + p.adjustment
    if factor <= 0:
        return None
    guess = (local / factor).quantize(unit)
    for k in (0, -1, 1, -2, 2, -3, 3):
        price = guess + k * unit
        if price <= 0:
            continue
        value = Money(price * factor, cur)
        if p.ending is not None:
            got = PriceEnding(step=p.ending.step, ending=p.ending.ending,
                              mode=p.ending.mode).apply(value)
        else:
            got = value.round(mode=p.rounding)
        if got.amount == local:
            return str(price)
    return None


def _units_for(gross: Decimal, lattice: tuple[Decimal, Decimal, Decimal]) -> int | None:
    """Fewest units of allowed prices that add up to ``gross`` (one unit at some allowed price,
    the rest at the lowest one), or None."""
    step, end, lowest = lattice
    if end == 0:
        return 1 if gross >= lowest and gross % step == 0 else None
    for m in range(1, _MAX_FILLER + 1):
        rest = gross - m * end
        if rest < (m - 1) * (lowest - end):
            return None
        if rest % step == 0 and gross - (m - 1) * lowest >= lowest:
            return m
    return None


def _rounds_to(x: Decimal, target: Decimal, unit: Decimal) -> bool:
    """``x`` rounds half-up to ``target``, and is far enough from the rounding boundaries
    that the engine's 28-digit arithmetic rounds it the same way."""
    half = unit / 2
    return target - half + _MARGIN < x < target + half - _MARGIN


def _exact_lines(market: Market, target: dict[str, Any], value: Decimal, kg: Decimal,
                 rates: RateTable, on: date, *, region: str | None, quantity: int, first: int,
                 unreachable: set[tuple[Any, ...]]) -> list[dict[str, Any]] | None:
    """:func:`_search_exact`, remembering in ``unreachable`` (one set per strategy, so per
    market, rates and target list) the values found out of reach: their search is the slow
    one."""
    regime = target["regime"]
    counts_kg = regime is not None and regime.include_shipping
    key = (target["kind"], regime.id if regime else target["method"], value, region,
           kg if counts_kg else None)
    if key in unreachable:
        return None
    found = _search_exact(market, target, value, kg, rates, on, region=region,
                          quantity=quantity, first=first)
    if found is None and len(unreachable) < 100_000:
        unreachable.add(key)
    return found


def _search_exact(market: Market, target: dict[str, Any], value: Decimal, kg: Decimal,
                  rates: RateTable, on: date, *, region: str | None, quantity: int, first: int
                  ) -> list[dict[str, Any]] | None:
    """Cart lines whose tested value is exactly ``value`` (docs/calculation.md step 3: net of
    tax in tax-inclusive markets, rounded; plus net shipping where the regime counts it; each
    item's unit value for a per-item regime; the displayed goods for free shipping), or None
    when the market's prices cannot reach it.

    Prices are in the market's own currency on its ending lattice; a value the lattice cannot
    hit alone is reached by adding units of the lowest allowed price (``_MAX_FILLER`` at most)
    or a line of a second tax category. ``first`` picks which category is tried first.
    """
    spec = market.spec
    cur = market.currency
    unit = minor_unit(cur)
    if value < unit:
        return None
    lattice = _lattice(market)
    tax = spec.tax
    regime = target["regime"]
    inclusive = spec.price_display == "inclusive" and tax is not None
    comps = [c for _, c in market.tax_components(region)]

    def divisor(category: str | None) -> Decimal:
        if not inclusive or "goods" not in tax.base:
            return Decimal(1)
        rates_ = [c.categories[category].at(on) if category in c.categories else c.rate.at(on)
                  for c in comps]
        return Decimal(1) + sum((r or Decimal(0) for r in rates_), Decimal(0))

    cats: dict[Decimal, str | None] = {divisor(None): None}
    if regime is None:  # free shipping looks at the displayed goods: no tax taken out
        cats = {Decimal(1): None}
    else:
        for name in _categories(market, on):
            if not _restricted(market, None, name):
                cats.setdefault(divisor(name), name)
    order = list(cats.items())
    order = order[first % len(order):] + order[:first % len(order)]

    def line(i: int, price: Decimal, qty: int, category: str | None, weight: Decimal
             ) -> dict[str, Any] | None:
        amount = _price_for(market, price)
        if amount is None:
            return None
        out: dict[str, Any] = {"sku": f"EXACT-{i}", "quantity": qty,
                               "price": {"amount": amount, "currency": cur},
                               "weight": {"value": str(weight), "unit": "kg"}}
        if category is not None:
            out["category"] = category
        return out

    step, end, lowest = lattice
    if regime is not None and regime.value_basis == "item":
        for d, category in order:  # one line: its unit value is what is tested
            k = max(((value - unit / 2) * d - end) / step,
                    (lowest - end) / step).to_integral_value(rounding=ROUND_CEILING)
            price = k * step + end
            if _rounds_to(_FINE.divide(price, d), value, unit):
                each = (kg / quantity).quantize(Decimal("0.001"), rounding=ROUND_FLOOR)
                made = line(1, price, quantity, category, each)
                return [made] if made is not None else None
        return None

    shipping_counts = regime is not None and regime.include_shipping
    paid = free = Decimal(0)
    if shipping_counts:
        method = spec.shipping[target["method"]]
        try:
            priced = price_shipping(method, kg, method_id=target["method"]).amount
        except PricingError:
            return None
        paid = _local_limit(priced, cur, rates).amount
        if inclusive and "shipping" in tax.base:
            paid = _FINE.divide(paid, divisor(None))
        limit = method.free_over.at(on) if method.free_over else None
        free = _local_limit(limit, cur, rates).amount if limit is not None else None

    def solve(d: Decimal, category: str | None, extra_net: Decimal, extra_gross: Decimal
              ) -> tuple[Decimal, int, str | None] | None:
        """Gross goods of one category (and units) that bring the value to ``value``."""
        for ship in ([paid, Decimal(0)] if shipping_counts and free is not None else [paid]):
            lo = (value - unit / 2 - ship - extra_net) * d
            hi = (value + unit / 2 - ship - extra_net) * d
            gross = (lo / unit).to_integral_value(rounding=ROUND_CEILING) * unit
            while gross < hi:
                total_gross = gross + extra_gross
                consistent = (not shipping_counts or free is None
                              or (total_gross >= free) == (ship == 0))
                x = _FINE.divide(gross, d) + ship + extra_net
                if consistent and _rounds_to(x, value, unit):
                    m = _units_for(gross, lattice)
                    if m is not None:
                        return gross, m, category
                gross += unit
        return None

    def lines_for(found: tuple[Decimal, int, str | None], start: int) -> list[dict[str, Any]]:
        gross, m, category = found
        made = [line(start, gross - (m - 1) * lowest, 1, category, kg)]
        if m > 1:
            made.append(line(start + 1, lowest, m - 1, category, Decimal(0)))
        return [x for x in made if x is not None] if all(made) else []

    for d, category in order:
        found = solve(d, category, Decimal(0), Decimal(0))
        if found is not None:
            return lines_for(found, 1) or None
    # A line of a second category moves the value by its own divisor: try its first allowed
    # prices, with each pair of categories both ways round.
    for d1, c1 in order:
        for d2, c2 in order:
            if d2 == d1:
                continue
            for k in range(200):
                other = lowest + k * step
                found = solve(d1, c1, _FINE.divide(other, d2), other)
                if found is not None:
                    second = line(9, other, 1, c2, Decimal(0))
                    made = lines_for(found, 1)
                    return [*made, second] if made and second else None
    return None


def _shipping_estimate(market: Market, method: ShippingMethod, weight: Decimal,
                       goods: Decimal, rates: RateTable, on: date, rate_sum: Decimal,
                       inclusive: bool) -> Decimal:
    """About the shipping value a regime adds to the goods (net of tax where prices hold it)."""
    cur = market.currency
    try:
        priced = price_shipping(method, weight, method_id="estimate").amount
    except PricingError:
        return Decimal(0)
    ship = _local_limit(priced, cur, rates).amount
    free = method.free_over.at(on) if method.free_over else None
    if free is not None and goods >= _local_limit(free, cur, rates).amount:
        return Decimal(0)
    tax = market.spec.tax
    if inclusive and tax is not None and "shipping" in tax.base:
        ship = ship / (1 + rate_sum)
    return ship


def _input_price(market: Market, local: Decimal, price_cur: str, rates: RateTable) -> str:
    """A price in ``price_cur`` that the market's pricing turns into about ``local``."""
    p = market.spec.pricing
    ending = p.ending
    # Aim below (up), above (down) or at (nearest) the wanted price by half a step, so the
    # ending lands the price as near as it can.
    if ending is not None:
        half = ending.step / 2
        if ending.mode is EndingMode.UP:
            local -= half
        elif ending.mode is EndingMode.DOWN:
            local += half
    factor = Decimal(1) + p.adjustment
    if price_cur != market.currency:
        factor *= rates.rate(price_cur, market.currency).rate
        factor *= Decimal(1) + p.fx_markup
    amount = local / factor if factor > 0 else local  # an adjustment of -100 % prices nothing
    return _amount_str(max(amount, minor_unit(price_cur)), price_cur)


# -- invariants ------------------------------------------------------------------------------

_LINE_AMOUNTS = ("unit_price", "subtotal", "shipping", "duty", "tax", "included_tax", "fees",
                 "total")
_TOTALS = ("items", "shipping", "duties", "taxes", "included_taxes", "fees", "total",
           "due_at_checkout", "due_on_delivery")
#: totals member -> the line member it sums.
_TOTAL_OF_LINES = {"items": "subtotal", "shipping": "shipping", "duties": "duty",
                   "taxes": "tax", "included_taxes": "included_tax", "fees": "fees",
                   "total": "total"}


class _Amounts:
    """Parses and checks every amount of a quote dict, collecting problems."""

    def __init__(self, currency: str, problems: list[str]) -> None:
        self.currency = currency
        self.problems = problems
        self.ok = True
        try:
            digits = precision(currency)
        except PricingError:
            problems.append(f"currency {currency!r} is not an ISO 4217 code")
            digits = 2
            self.ok = False
        self.pattern = re.compile(r"[0-9]+" + (rf"\.[0-9]{{{digits}}}" if digits else ""))
        self.digits = digits

    def read(self, path: str, value: Any) -> Decimal:
        if not isinstance(value, Mapping) or "amount" not in value or "currency" not in value:
            self.problems.append(f"{path} is not an amount {{amount, currency}}: {value!r}")
            self.ok = False
            return Decimal(0)
        text, cur = value["amount"], value["currency"]
        if cur != self.currency:
            self.problems.append(f"{path}: currency {cur} != quote currency {self.currency}")
        if not isinstance(text, str):
            self.problems.append(f"{path}: amount {text!r} is not a decimal string")
            self.ok = False
            return Decimal(0)
        try:
            amount = Decimal(text)
        except InvalidOperation:
            self.problems.append(f"{path}: amount {text!r} is not a decimal number")
            self.ok = False
            return Decimal(0)
        if not amount.is_finite():
            self.problems.append(f"{path}: amount {text!r} is not finite")
            self.ok = False
            return Decimal(0)
        if amount < 0 or text.lstrip().startswith("-"):
            self.problems.append(f"{path}: amount {text} is negative")
        elif not self.pattern.fullmatch(text):
            self.problems.append(f"{path}: amount {text} does not have exactly the "
                                 f"{self.digits} minor digits of {self.currency}")
        return amount


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def check_quote(quote: Quote | Mapping[str, Any]) -> None:
    """Assert the invariants every quote keeps; raise :class:`AssertionError` naming each one
    broken, with the amounts (e.g. ``totals.total != items + shipping + duties + taxes + fees:
    101.00 != 100.99``).

    ``quote`` is a :class:`~pricing.quote.Quote` or its ``to_dict()`` form, which is also the
    JSON of the HTTP service. The invariants (all exact, in Decimal):

    * totals.total == items + shipping + duties + taxes + fees (included taxes are inside items
      and shipping, not added);
    * due_at_checkout + due_on_delivery == total; due_on_delivery == the charges payable on
      delivery that are not included in prices;
    * each totals member == the sum of the matching line member (items: subtotal; duties: duty;
      taxes: tax; included_taxes: included_tax; shipping; fees; total); each line's total ==
      subtotal + shipping + duty + tax + fees; each line's subtotal == unit_price * quantity;
    * tax charges not included == taxes; included tax charges == included_taxes; duty charges ==
      duties; fee charges == fees; shipping charges == shipping;
    * every amount is a decimal string with exactly its currency's minor digits, in the quote's
      currency, and not negative;
    * every non-zero charge names its rule and has a note explaining it; rules_version, date,
      market, locale and currency are present.
    """
    data = quote.to_dict() if isinstance(quote, Quote) else quote
    if not isinstance(data, Mapping):
        raise AssertionError(f"a quote is a Quote or its dict form, not {type(data).__name__}")
    problems: list[str] = []
    for key in ("rules_version", "date", "market", "locale", "currency"):
        if not _text(data.get(key)):
            problems.append(f"{key} is missing or empty")
    currency = data.get("currency")
    if not _text(currency):
        _fail(problems)
    amounts = _Amounts(str(currency), problems)

    totals_in = data.get("totals")
    totals: dict[str, Decimal] = {}
    if not isinstance(totals_in, Mapping):
        problems.append("totals is missing")
    else:
        for key in _TOTALS:
            if key not in totals_in:
                problems.append(f"totals.{key} is missing")
            else:
                totals[key] = amounts.read(f"totals.{key}", totals_in[key])

    lines: list[dict[str, Decimal]] = []
    quantities: list[Any] = []
    for i, line in enumerate(data.get("lines") or []):
        if not isinstance(line, Mapping):
            problems.append(f"lines[{i}] is not an object")
            continue
        values = {}
        for key in _LINE_AMOUNTS:
            if key not in line:
                problems.append(f"lines[{i}].{key} is missing")
            else:
                values[key] = amounts.read(f"lines[{i}].{key}", line[key])
        lines.append(values)
        quantities.append(line.get("quantity"))
    if not lines:
        problems.append("lines is missing or empty")

    charges: list[tuple[int, Mapping[str, Any], Decimal]] = []
    for i, charge in enumerate(data.get("charges") or []):
        if not isinstance(charge, Mapping) or "amount" not in charge:
            problems.append(f"charges[{i}] is not a charge with an amount")
            continue
        amount = amounts.read(f"charges[{i}].amount", charge["amount"])
        if charge.get("base") is not None:
            amounts.read(f"charges[{i}].base", charge["base"])
        charges.append((i, charge, amount))
        if amount:
            what = f"charges[{i}] ({charge.get('kind')} {charge.get('name')!r} of {amount})"
            if not _text(charge.get("rule")):
                problems.append(f"{what} has no rule")
            if not _text(charge.get("note")):
                problems.append(f"{what} has no note (explanation)")

    if not amounts.ok or len(totals) != len(_TOTALS):
        _fail(problems)  # the sums below need every amount

    def differs(name: str, left: Decimal, right: Decimal) -> None:
        if left != right:
            problems.append(f"{name}: {left} != {right}")

    t = totals
    differs("totals.total != items + shipping + duties + taxes + fees", t["total"],
            t["items"] + t["shipping"] + t["duties"] + t["taxes"] + t["fees"])
    differs("totals.due_at_checkout + due_on_delivery != total",
            t["due_at_checkout"] + t["due_on_delivery"], t["total"])
    on_delivery = sum((a for _, c, a in charges
                       if c.get("payable") == "delivery" and not c.get("included")), Decimal(0))
    differs("totals.due_on_delivery != sum of charges payable on delivery (not included)",
            t["due_on_delivery"], on_delivery)

    complete = [ln for ln in lines if len(ln) == len(_LINE_AMOUNTS)]
    if len(complete) == len(lines):
        for total_key, line_key in _TOTAL_OF_LINES.items():
            differs(f"totals.{total_key} != sum of lines[*].{line_key}", t[total_key],
                    sum((ln[line_key] for ln in lines), Decimal(0)))
    for i, (ln, qty) in enumerate(zip(lines, quantities, strict=True)):
        if len(ln) != len(_LINE_AMOUNTS):
            continue
        differs(f"lines[{i}].total != subtotal + shipping + duty + tax + fees", ln["total"],
                ln["subtotal"] + ln["shipping"] + ln["duty"] + ln["tax"] + ln["fees"])
        if not isinstance(qty, int) or isinstance(qty, bool) or qty < 1:
            problems.append(f"lines[{i}].quantity {qty!r} is not a positive whole number")
        else:
            differs(f"lines[{i}].subtotal != unit_price * quantity", ln["subtotal"],
                    ln["unit_price"] * qty)

    def charged(kind: str, included: bool | None = None) -> Decimal:
        return sum((a for _, c, a in charges if c.get("kind") == kind
                    and (included is None or bool(c.get("included")) == included)), Decimal(0))

    differs("totals.taxes != sum of tax charges not included", t["taxes"],
            charged("tax", included=False))
    differs("totals.included_taxes != sum of included tax charges", t["included_taxes"],
            charged("tax", included=True))
    differs("totals.duties != sum of duty charges", t["duties"], charged("duty"))
    differs("totals.fees != sum of fee charges", t["fees"], charged("fee"))
    differs("totals.shipping != sum of shipping charges", t["shipping"], charged("shipping"))
    if problems:
        _fail(problems)


def _fail(problems: list[str]) -> NoReturn:
    if len(problems) == 1:
        raise AssertionError(problems[0])
    raise AssertionError(f"{len(problems)} quote invariants broken:\n- " + "\n- ".join(problems))
