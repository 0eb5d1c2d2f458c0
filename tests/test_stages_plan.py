"""Compiled market plans (pricing/stages/plan.py): what every quote looks up once a market is
compiled: tax rates by category and region, duty rules by HS prefix and origin, conversions of
prices and rule amounts, the shipping method for a destination, the locale, labels, delivery
texts and dates, restrictions, and the plan in force on a day. Worked by hand on markets
written here.

Rates: conftest.EASY_RATES (1 EUR = 11.00 SEK = 1.10 USD, so 1 USD = 10.00 SEK).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from conftest import EASY_RATES, QUOTE_DAY, TEST_SHOP, engine_for, market_head

from pricing import Engine
from pricing.engine import QuoteRequest
from pricing.errors import (
    MissingRateError,
    RestrictedItemError,
    ShippingError,
    UnknownShippingMethodError,
)
from pricing.fx import RateTable
from pricing.l10n.labels import shipped_labels
from pricing.money import Money
from pricing.stages.plan import (
    DutyRulePlan,
    MarketPlan,
    _Prefixes,
    change_dates,
    compile_market,
    rule_currencies,
)

# Sweden, SEK, German as the market's default language (so that a fallback to it shows).
HEAD = ('id = "pt"\nname = "Plan test"\ncountries = ["SE"]\ncurrency = "SEK"\n'
        'locales = ["en", "de"]\ndefault_locale = "de"\nprice_display = "exclusive"\n'
        'incoterm = "DDP"\n')
PT = HEAD + """
[pricing]
fx_markup = "0.02"
adjustment = "0.05"

[tax]
base = ["goods", "shipping"]

[[tax.components]]
name = "VAT"
rate = "0.25"
categories = { books = "0.06", food = [{ value = "0.12", from = 2030-01-01 }] }

[[tax.components]]
name = "Levy"
rate = [{ value = "0.10", from = 2030-01-01 }]

[[tax.components]]
name = "Stockholm levy"
rate = "0.01"
regions = ["SE-AB"]

[duty]
rate = "0.05"

[[duty.rules]]
hs = "6109"
name = "T-shirts"
rate = "0.12"

[[duty.rules]]
hs = "61"
name = "Knitted apparel"
rate = "0.08"

[[duty.rules]]
hs = "6109"
origins = ["GB"]
name = "UK preference"
rate = "0"

[[duty.rules]]
origins = ["CH"]
name = "Swiss preference"
rate = "0.01"

[[regimes]]
id = "all"
name = "Everything"
tax = "import"
duty = "charged"

[shipping.post]
name = "Post"
days = [2, 4]
base = "49.00 SEK"
default = true
exclude_regions = ["SE-BD"]

[shipping.courier]
name = "Courier"
days = [1, 2]
base = "99.00 SEK"
regions = ["SE-AB", "SE-BD"]
areas = [
  { regions = ["SE-BD"], base = "149.00 SEK", days = [2, 3] },
  { postcodes = ["111"], base = "89.00 SEK" },
]

[shipping.pickup]
name = "Pickup point"
days = [3, 5]
base = "39.00 SEK"
regions = ["SE-BD"]

# In force 2026-01-01 to 2027-06-30 (both inclusive); its per-item amount in euros.
[[fees]]
id = "handling"
name = "Handling"
per_item = "1.00 EUR"
minimum = "5.00 SEK"
from = 2026-01-01
to = 2027-06-30

[[fees]]
id = "service"
name = "Service"
rate = "0.02"
maximum = "20.00 EUR"

[[fees]]
id = "clearance"
name = "Clearance"
amount = "2.50 EUR"

[[restrictions]]
hs = ["9302", "9303"]
categories = ["weapons"]
reason = "firearms need a licence"
"""
# Denmark priced in SEK: one courier for the Capital Region (DK-84) and Zealand (DK-85)
# only; no markup or adjustment.
PZ = market_head("pz", "DK", "SEK") + """
[[tax.components]]
name = "VAT"
rate = "0.25"

[shipping.courier]
name = "Courier"
days = [1, 2]
base = "99.00 SEK"
regions = ["DK-85", "DK-84"]
"""
# Duty and tax only: no shipping methods.
PN = market_head("pn", "IS", "SEK") + '\n[[tax.components]]\nname = "VAT"\nrate = "0.25"\n'


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return engine_for(tmp_path_factory.mktemp("plan"), TEST_SHOP, {"pt": PT, "pz": PZ, "pn": PN})


def fresh(engine: Engine, market: str, *, labels: bool = False,
          rates: RateTable = EASY_RATES) -> MarketPlan:
    """A plan compiled here, with empty memo tables (and the shipped labels if asked)."""
    return MarketPlan(engine.rules.markets[market], shop=engine.rules.shop, rates=rates,
                      on=QUOTE_DAY, labels=shipped_labels() if labels else None)


# -- tax components ---------------------------------------------------------------------------

def test_a_category_rate_replaces_the_standard_rate_and_other_categories_take_the_standard(shop):
    vat, levy = shop.plan("pt", QUOTE_DAY).components(None)
    assert (vat.name, levy.name) == ("VAT", "Levy")
    assert vat.rate_for(None) == D("0.25")
    assert vat.rate_for("books") == D("0.06")
    assert vat.rate_for("toys") == D("0.25")  # no rate of its own: the standard rate
    # A category rate not yet in force (from 2030) is no rate, not the standard one.
    assert vat.rate_for("food") is None
    assert vat.ship_rate == D("0.25")


def test_a_component_with_no_rate_in_force_charges_nothing_on_shipping(shop):
    levy = shop.plan("pt", QUOTE_DAY).components(None)[1]
    assert levy.rate_for(None) is None
    assert levy.ship_rate == D(0)
    # From 2030-01-01 the levy's 10 % is in force.
    assert shop.plan("pt", date(2030, 1, 1)).components(None)[1].ship_rate == D("0.10")


@pytest.mark.parametrize(("region", "names", "rate_sum"), [
    # VAT 0.25 + Levy (none in force: 0)
    (None, ("VAT", "Levy"), "0.25"),
    # ... + the Stockholm levy 0.01
    ("SE-AB", ("VAT", "Levy", "Stockholm levy"), "0.26"),
    # Norrbotten has no component of its own: the market-wide ones.
    ("SE-BD", ("VAT", "Levy"), "0.25"),
])
def test_components_and_standard_rate_sum_by_region(shop, region, names, rate_sum):
    plan = shop.plan("pt", QUOTE_DAY)
    assert tuple(c.name for c in plan.components(region)) == names
    assert plan.std_rate_sum(region) == D(rate_sum)


# -- duty rules -------------------------------------------------------------------------------

@pytest.mark.parametrize(("hs", "origin", "name"), [
    ("610910", None, "T-shirts"),          # the longest prefix, 6109, wins over 61
    ("6109", None, "T-shirts"),            # a code exactly as long as the prefix
    ("611020", None, "Knitted apparel"),
    ("61", None, "Knitted apparel"),
    ("6", None, None),                     # shorter than every prefix: the default rate
    ("8471", None, None),
    (None, None, None),                    # no HS code: the default rate
    ("610910", "GB", "UK preference"),     # the origin's preference first
    ("611020", "GB", "Knitted apparel"),   # ... which covers 6109 only
    ("8471", "GB", None),
    ("8471", "CH", "Swiss preference"),    # a preference without HS prefix covers every code
    (None, "CH", "Swiss preference"),      # ... even an item without one
    ("610910", "US", "T-shirts"),          # an origin without preferences
])
def test_duty_rule_by_origin_then_longest_hs_prefix(shop, hs, origin, name):
    found = shop.plan("pt", QUOTE_DAY).duty_rule_for(hs, origin)
    assert (found.name if found is not None else None) == name


def test_the_first_rule_of_a_prefix_in_file_order_wins():
    def rule(name: str) -> DutyRulePlan:
        return DutyRulePlan(index=0, name=name, rule="r", rate=D(0), rate_missing=False,
                            per_kg=None, per_unit=None, minimum=None, maximum=None,
                            specific=False)
    first, second, short = rule("first"), rule("second"), rule("short")
    table = _Prefixes([("61", first), ("61", second), ("6", short)])
    assert table.find("6101") is first
    assert table.find("62") is short
    assert table.find("7") is None
    assert _Prefixes([]).find("6101") is None


# -- conversions ------------------------------------------------------------------------------

def test_conversion_of_a_foreign_price_applies_rate_markup_and_adjustment(shop):
    plan = fresh(shop, "pt")
    eur = plan.conversion("EUR")
    # 11.00 SEK per EUR x 1.02 (FX markup) x 1.05 (adjustment) = 11.22 x 1.05 = 11.781
    assert eur.factor == D("11.781")
    assert eur.rate.rate == D("11.00")
    assert eur.text == " EUR x 11.00 x (1 + 0.02 FX markup) x (1 + 0.05 adjustment)"
    assert plan.conversion("EUR") is eur  # memoized


def test_a_price_in_the_market_currency_takes_the_adjustment_but_no_markup(shop):
    sek = fresh(shop, "pt").conversion("SEK")
    assert sek.factor == D("1.05")  # 1 x 1.05; no FX markup without an exchange
    assert sek.text == " SEK x (1 + 0.05 adjustment)"


def test_conversion_without_markup_or_adjustment_is_the_rate(shop):
    plan = fresh(shop, "pz")
    assert plan.conversion("USD").factor == D("10.00")  # 11.00 / 1.10 SEK per USD
    assert plan.conversion("USD").text == " USD x 10"  # the cross rate 11.00 / 1.10
    assert plan.conversion("SEK").text == " SEK"
    assert plan.conversion("SEK").factor == 1


def test_rule_amounts_in_the_market_currency_rounded_and_exact(shop):
    plan = fresh(shop, "pt")
    assert plan.rate_from("EUR").rate == D("11.00")
    assert plan.rate_from("EUR") is plan.rate_from("EUR")
    assert plan.rate_from("SEK").rate == 1
    # 1.2345 EUR x 11.00 = 13.5795 SEK: rounded half-up to the öre 13.58, exact 13.5795
    assert plan.to_local(Money.of("1.2345", "EUR")) == D("13.58")
    assert plan.exact(Money.of("1.2345", "EUR")) == D("13.5795")
    # 10.005 SEK: rounded half-up 10.01, exact 10.005
    assert plan.to_local(Money.of("10.005", "SEK")) == D("10.01")
    assert plan.exact(Money.of("10.005", "SEK")) == D("10.005")


# -- shipping methods -------------------------------------------------------------------------

@pytest.mark.parametrize(("wanted", "region", "postcode", "base"), [
    (None, None, None, "49.00"),             # the default method
    (None, "SE-AB", None, "49.00"),          # both serve Stockholm: the default first
    (None, "SE-BD", None, "149.00"),         # post excludes Norrbotten: courier, its area
    ("courier", "SE-AB", None, "99.00"),     # no area holds SE-AB: the method's own price
    ("courier", "SE-AB", "111 22", "89.00"),  # the postcode area 111
    ("courier", "SE-BD", "111 22", "149.00"),  # the region's area comes first
    ("post", "SE-C", None, "49.00"),
])
def test_the_method_for_a_destination_priced_for_its_area(shop, wanted, region, postcode, base):
    found = shop.plan("pt", QUOTE_DAY).method(wanted, region=region, postal_code=postcode)
    assert found.method.base == Money.of(base, "SEK")


def test_a_method_in_an_area_is_that_areas_compiled_plan(shop):
    plan = shop.plan("pt", QUOTE_DAY)
    found = plan.method("courier", region="SE-BD")
    assert found.rule == plan.methods["courier"].areas[0][1].rule
    assert found.rule.endswith("#shipping.courier.areas[0]")
    assert found.method.days == (2, 3)


def test_a_method_that_does_not_ship_to_the_region_is_refused_naming_those_that_do(shop):
    plan = shop.plan("pt", QUOTE_DAY)
    with pytest.raises(ShippingError) as e:
        plan.method("courier", region=None)
    err = e.value
    assert err.message == ("shipping method 'courier' of market 'pt' does not ship to a "
                           "destination without a region")
    assert (err.field, err.value, err.expected) == ("shipping_method", "courier", "post")
    with pytest.raises(ShippingError) as e:
        plan.method("post", region="SE-BD")
    err = e.value
    assert err.message == "shipping method 'post' of market 'pt' does not ship to SE-BD"
    assert (err.field, err.value, err.expected) == ("shipping_method", "post", "courier, pickup")


def test_an_unknown_method_is_refused_with_a_suggestion(shop):
    with pytest.raises(UnknownShippingMethodError) as e:
        shop.plan("pt", QUOTE_DAY).method("curier")
    err = e.value
    assert err.message == "market 'pt' has no shipping method 'curier'"
    assert (err.field, err.value, err.expected, err.suggestion) == (
        "shipping_method", "curier", "post, courier, pickup", "courier")


def test_no_method_for_the_region_asks_for_one(shop):
    plan = shop.plan("pz", QUOTE_DAY)
    with pytest.raises(ShippingError) as e:
        plan.method(None, region="DK-83")  # Southern Denmark
    err = e.value
    assert err.message == ("no shipping method of market 'pz' ships to DK-83; give "
                           "destination.region")
    # the regions some method ships to, sorted
    assert (err.field, err.value, err.expected) == ("destination.region", "DK-83", "DK-84, DK-85")
    with pytest.raises(ShippingError) as e:
        plan.method(None)
    assert e.value.message == ("no shipping method of market 'pz' ships to a destination "
                               "without a region; give destination.region")
    assert e.value.value is None


def test_a_market_without_shipping_quotes_none_and_refuses_a_named_method(shop):
    plan = shop.plan("pn", QUOTE_DAY)
    assert plan.method(None) is None
    with pytest.raises(UnknownShippingMethodError) as e:
        plan.method("post")
    err = e.value
    assert err.message == "market 'pn' has no shipping method 'post': it quotes duty and tax only"
    assert (err.field, err.value, err.expected, err.suggestion) == (
        "shipping_method", "post", "", None)


# -- locale, labels and delivery --------------------------------------------------------------

@pytest.mark.parametrize(("requested", "found"), [
    ("en_GB", ("en", ("en_GB", "en"))),  # British English falls back to English
    ("fr", ("de", ("fr", "de"))),        # not a language of the market: its default, German
    (None, ("de", ("de",))),
    ("", ("de", ("de",))),
])
def test_the_quote_locale_and_the_chain_tried(shop, requested, found):
    plan = fresh(shop, "pt")
    assert plan.locale_for(requested) == found
    assert plan.locale_for(requested) == found  # from the memo


def test_each_requested_locale_is_negotiated_on_its_own(shop):
    plan = fresh(shop, "pt")
    assert plan.locale_for(None)[0] == "de"  # nothing asked: the default
    assert plan.locale_for("en_GB")[0] == "en"  # not the answer memoized for None


def test_labels_fall_back_to_the_markets_default_language(shop):
    plan = fresh(shop, "pt", labels=True)
    # The shipped catalogs have no Hawaiian: the market's German, then the English msgid.
    assert plan.label("Shipping", "haw") == "Versand"
    assert plan.label("Shipping", "en") == "Shipping"
    assert plan.label("VAT", "haw") == plan.label("VAT", "de")
    assert fresh(shop, "pt").label("Shipping", "de") == "Shipping"  # no catalogs: the name


def test_delivery_text_per_method_and_locale(shop):
    plan = fresh(shop, "pt", labels=True)
    post, courier = plan.methods["post"], plan.methods["courier"]
    assert plan.delivery(post, "de") == "Lieferung in 2–4 Tagen"
    assert plan.delivery(courier, "de") == "Lieferung in 1–2 Tagen"
    assert plan.delivery(post, "haw") == "Lieferung in 2–4 Tagen"  # the market's default
    assert plan.delivery(post, "en") == "Delivered in 2–4 days"
    assert fresh(shop, "pt").delivery(courier, "de") == "Delivered in 1–2 days"


def test_delivery_dates_by_destination_region_and_locale(shop):
    plan = fresh(shop, "pt")
    post = plan.methods["post"]
    # Post takes 2-4 business days. From Tue 5 Jan 2027 in Germany: Wed 6 (1), Thu 7 (2), Fri 8
    # (3), Mon 11 (4). In Bavaria Wed 6 (Epiphany) is a holiday: Thu 7 (1) ... Tue 12 (4).
    # CLDR's English interval "MMM d – d, y", the dash between thin spaces (U+2009).
    de = plan.delivery_dates(post, date(2027, 1, 5), "en", country="DE", region=None)
    de_text = "Jan 7\u2009–\u200911, 2027"
    assert de == {"earliest": "2027-01-07", "latest": "2027-01-11", "text": de_text}
    by = plan.delivery_dates(post, date(2027, 1, 5), "de", country="DE", region="DE-BY")
    assert by == {"earliest": "2027-01-08", "latest": "2027-01-12", "text": "8.–12. Jan. 2027"}
    # Courier, 1-2 days from Wed 23 Dec 2026: Thu 24 (1); Fri 25 Christmas; Mon 28 (2).
    courier = plan.delivery_dates(plan.methods["courier"], date(2026, 12, 23), "en",
                                  country="DE", region=None)
    assert (courier["earliest"], courier["latest"]) == ("2026-12-24", "2026-12-28")
    de["text"] = "changed by the caller"  # a copy: the memo keeps its own
    assert plan.delivery_dates(post, date(2027, 1, 5), "en", country="DE",
                               region=None)["text"] == de_text


# -- restrictions -----------------------------------------------------------------------------

def items(*specs: tuple[str, str | None, str | None]):
    return QuoteRequest.from_dict({
        "market": "pt", "destination": {"country": "SE"},
        "items": [{"sku": sku, "quantity": 1, "price": {"amount": "10.00", "currency": "EUR"},
                   **({"hs_code": hs} if hs else {}),
                   **({"category": cat} if cat else {})} for sku, hs, cat in specs]}).items


def test_restricted_hs_codes_and_categories_are_refused_naming_the_item(shop):
    plan = shop.plan("pt", QUOTE_DAY)
    plan.check_restrictions(items(("a", None, None), ("b", "930100", "toys"), ("c", "6109", None)))
    with pytest.raises(RestrictedItemError) as e:
        plan.check_restrictions(items(("a", None, None), ("gun", "930320", None)))
    err = e.value
    ref = plan.restrictions[0].rule
    assert ref.endswith("#restrictions[0]")
    assert err.message == (f"item 'gun' cannot be sold to market 'pt': firearms need a licence "
                           f"({ref})")
    assert (err.field, err.value) == ("items[1]", "gun")
    with pytest.raises(RestrictedItemError) as e:
        plan.check_restrictions(items(("knife", None, "weapons")))
    assert (e.value.field, e.value.value) == ("items[0]", "knife")


# -- the plan in force on a day ---------------------------------------------------------------

def test_rules_change_on_each_from_day_and_the_day_after_each_to_day(shop):
    spec = shop.rules.markets["pt"].spec
    # The handling fee from 2026-01-01 to 2027-06-30 (so gone on 2027-07-01); the levy and the
    # food rate from 2030-01-01. Undated rules (the other rates) change nothing.
    assert change_dates(spec) == (date(2026, 1, 1), date(2027, 7, 1), date(2030, 1, 1))
    assert change_dates(shop.rules.markets["pz"].spec) == ()


def test_the_currencies_the_rules_state_amounts_in(shop):
    # Shipping prices and the fee minimum in SEK, the fee per item in EUR.
    assert rule_currencies(shop.rules.markets["pt"].spec) == {"SEK", "EUR"}
    assert rule_currencies(shop.rules.markets["pn"].spec) == frozenset()


def test_the_plan_of_a_day_is_the_interval_that_starts_on_or_before_it(shop):
    market = shop.rules.markets["pt"]
    plans = compile_market(market, shop=shop.rules.shop, rates=EASY_RATES)
    assert plans.market is market
    assert plans.starts == (date(2026, 1, 1), date(2027, 7, 1), date(2030, 1, 1))
    assert len(plans.plans) == 4  # before, and from each change day
    assert plans.at(date(2029, 12, 31)).components(None)[1].rate_for(None) is None
    assert plans.at(date(2030, 1, 1)).components(None)[1].rate_for(None) == D("0.10")
    assert plans.unpriceable is None


def test_fees_in_force_with_their_amounts_in_the_market_currency(shop):
    # Compiled here: a plan compiled by another test's fixture would hide a mutant of _fee.
    handling, service, clearance = fresh(shop, "pt").fees
    assert [(f.index, f.fee.id) for f in (handling, service, clearance)] == [
        (0, "handling"), (1, "service"), (2, "clearance")]
    assert [f.rule.split("#")[1] for f in (handling, service, clearance)] == [
        "fees[0]", "fees[1]", "fees[2]"]
    # 1.00 EUR x 11.00 = 11.00 SEK per item, exact; the minimum is already in SEK
    assert (handling.per_item_src, handling.per_item) == (Money.of("1.00", "EUR"), D("11.00"))
    assert handling.minimum == D("5.00")
    assert (handling.amount_src, handling.amount, handling.rate, handling.maximum) == (
        None, None, None, None)
    # 2 % of the goods, at most 20.00 EUR x 11.00 = 220.00 SEK
    assert (service.rate, service.maximum) == (D("0.02"), D("220.00"))
    assert (service.amount, service.per_item, service.minimum) == (None, None, None)
    # 2.50 EUR x 11.00 = 27.50 SEK per consignment
    assert (clearance.amount_src, clearance.amount) == (Money.of("2.50", "EUR"), D("27.50"))
    assert (clearance.per_item_src, clearance.per_item, clearance.rate) == (None, None, None)


def test_a_fee_is_in_force_only_between_its_dates(shop):
    # The handling fee runs 2026-01-01 to 2027-06-30; the other two are undated.
    plans = compile_market(shop.rules.markets["pt"], shop=shop.rules.shop, rates=EASY_RATES)
    assert [[f.fee.id for f in plans.at(d).fees] for d in (
        date(2025, 12, 31), date(2026, 1, 1), date(2027, 6, 30), date(2027, 7, 1))] == [
        ["service", "clearance"], ["handling", "service", "clearance"],
        ["handling", "service", "clearance"], ["service", "clearance"]]


def test_a_market_its_rates_cannot_price_raises_the_rate_error(shop):
    no_sek = RateTable.from_mapping({"USD": "1.10"}, base="EUR", as_of=QUOTE_DAY,
                                    source="test rates")
    plans = compile_market(shop.rules.markets["pt"], shop=shop.rules.shop, rates=no_sek)
    expected = ("no exchange rate for SEK in the test rates table of 2026-11-23; add it to a "
                "rates file (pricing rates update --from FILE)")
    assert plans.unpriceable.message == expected
    with pytest.raises(MissingRateError) as e:
        plans.at(QUOTE_DAY)
    err = e.value
    assert (err.message, err.field, err.value, err.expected) == (
        expected, "currency", "SEK", "EUR, USD")
