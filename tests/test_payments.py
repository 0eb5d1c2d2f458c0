"""The payment method registry, its validation, the methods a total can use, and their names."""

from __future__ import annotations

import re
import shutil
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest
from babel import localedata
from hypothesis import given, settings
from hypothesis import strategies as st

from pricing import RulesError, UnknownPaymentMethodError, load_rules
from pricing.l10n.labels import LANGUAGES
from pricing.money import Money, minor_unit
from pricing.payments import (
    PaymentKind,
    available_methods,
    bundled_payment_methods,
    load_payment_methods,
    method_availability,
    method_warnings,
    normalize_payment_method,
    parse_payment_methods,
    payment_methods_markdown,
)

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
REGISTRY = bundled_payment_methods()
CHECKED = re.compile(r"\(checked (\d{4}-\d{2}-\d{2})\)")


def ids(found):
    return [m["id"] for m in found]


# -- the registry -------------------------------------------------------------------------------

def test_the_bundled_registry_loads_and_every_entry_is_complete():
    assert len(REGISTRY) >= 100
    for m in REGISTRY.values():
        assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", m.id), m.id
        assert m.name.strip() == m.name and m.name, m.id
        assert isinstance(m.kind, PaymentKind)
        assert m.sources, m.id
        for lim in m.limits:
            # a published limit is a fact: it names where it was read, and when
            assert CHECKED.search(lim.source), (m.id, lim.source)
            assert lim.minimum is not None or lim.maximum is not None
            if lim.minimum is not None and lim.maximum is not None:
                assert lim.minimum <= lim.maximum
            for end in (lim.minimum, lim.maximum):
                if end is not None:
                    assert end.currency == lim.currency and m.settles(end.currency)
                    assert end.amount.as_tuple().exponent == minor_unit(
                        end.currency).as_tuple().exponent


def test_every_payment_method_named_in_the_bundled_rules_is_in_the_registry():
    named: set[str] = set()
    for path in sorted((RULES / "markets").glob("*.toml")) + sorted(
            (RULES / "zones").glob("*.toml")):
        named |= set(tomllib.loads(path.read_text("utf-8")).get("payment_methods", []))
    assert len(named) > 100
    assert sorted(named - set(REGISTRY)) == []


def test_the_methods_the_issue_names_are_real_entries():
    # issue 11 item 8: "Pix and Boleto, OXXO, iDEAL/Wero, Bancontact, BLIK, Klarna, UPI, Konbini,
    # Mada, Tabby, PayPay, KakaoPay, Alipay, WeChat Pay, Afterpay"
    expected = {"pix": ("Pix", "BR", "BRL"), "boleto": ("Boleto", "BR", "BRL"),
                "oxxo": ("OXXO", "MX", "MXN"), "ideal": ("iDEAL", "NL", "EUR"),
                "wero": ("Wero", "DE", "EUR"), "bancontact": ("Bancontact", "BE", "EUR"),
                "blik": ("BLIK", "PL", "PLN"), "klarna": ("Klarna", "SE", "SEK"),
                "upi": ("UPI", "IN", "INR"), "konbini": ("Konbini", "JP", "JPY"),
                "mada": ("mada", "SA", "SAR"), "tabby": ("Tabby", "AE", "AED"),
                "paypay": ("PayPay", "JP", "JPY"), "kakaopay": ("KakaoPay", "KR", "KRW"),
                "alipay": ("Alipay", "CN", "CNY"), "wechat_pay": ("WeChat Pay", "CN", "CNY"),
                "afterpay": ("Afterpay", "AU", "AUD"), "mercado_pago": ("Mercado Pago", "AR",
                                                                       "ARS")}
    for method_id, (name, country, currency) in expected.items():
        m = REGISTRY[method_id]
        assert (m.name, m.offered_in(country), m.settles(currency)) == (name, True, True)


def test_docs_payments_md_is_generated_from_the_registry():
    doc = (ROOT / "docs" / "payments.md").read_text("utf-8")
    assert doc == payment_methods_markdown(), (
        "docs/payments.md is stale: run  python -c \"from pricing.payments import "
        "write_payments_doc; write_payments_doc()\"")


# -- names --------------------------------------------------------------------------------------

def test_generic_methods_are_named_in_every_shipped_language():
    generic = [m for m in REGISTRY.values() if m.generic]
    assert {"card", "bank_transfer", "cash_on_delivery", "sepa_debit"} <= {m.id for m in generic}
    for m in generic:
        missing = [lang for lang in LANGUAGES if lang not in m.names]
        assert missing == [], (m.id, missing)


def test_brands_keep_their_own_name():
    for method_id in ("paypal", "klarna", "ideal", "blik", "mercado_pago", "apple_pay"):
        assert REGISTRY[method_id].names == {}
        for locale in ("de_DE", "ja_JP", "ar_SA", "zh_Hans_CN", "ru_RU"):
            assert REGISTRY[method_id].name_in(locale) == REGISTRY[method_id].name


def test_cldr_has_no_payment_words_so_the_names_are_ours():
    # The issue asks to take names from CLDR where it has them. CLDR (as babel ships it) has
    # none: no German locale datum mentions a card payment, a bank transfer or cash on delivery,
    # so the registry carries its own names. The words searched are Deutsche Bundesbank's and
    # Deutsche Post's: "Überweisung", "Lastschrift", "Nachnahme".
    found = []

    def walk(value, path):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, (*path, k))
        elif isinstance(value, list | tuple):
            for i, v in enumerate(value):
                walk(v, (*path, i))
        elif isinstance(value, str) and re.search(r"Überweisung|Lastschrift|Nachnahme", value):
            found.append(path)

    walk(localedata.load("de"), ())
    assert found == []


@pytest.mark.parametrize(("method_id", "locale", "name"), [
    # Regional forms through the CLDR fallback chain: es_MX -> es_419 (Latin American Spanish
    # says "pago contra entrega"), es_ES -> es (Spain: "contra reembolso", Correos' term).
    ("cash_on_delivery", "es_MX", "Pago contra entrega"),
    ("cash_on_delivery", "es_ES", "Contra reembolso"),
    # German in Austria and Switzerland falls back to de: Deutsche Post / Österreichische Post
    # "Nachnahme".
    ("cash_on_delivery", "de_AT", "Nachnahme"),
    ("cash_on_delivery", "de_CH", "Nachnahme"),
    # Deutsche Bundesbank: "SEPA-Lastschrift"; Banque de France: "prélèvement SEPA".
    ("sepa_debit", "de_DE", "SEPA-Lastschrift"),
    ("sepa_debit", "fr_BE", "Prélèvement SEPA"),
    # A bare language finds its likely script or region: zh -> zh_Hans, pt -> pt_BR.
    ("bank_transfer", "zh", "银行转账"),
    ("bank_transfer", "zh_TW", "銀行轉帳"),
    ("card", "pt", "Cartão"),
    ("cash_on_delivery", "pt", "Pagamento na entrega"),
    ("cash_on_delivery", "pt_PT", "Pagamento à cobrança"),
    ("card", "sr_Latn_RS", "Kartica"),
    ("card", "sr_RS", "Картица"),
    # A language we do not ship reads the English phrase.
    ("card", "cy_GB", "Card"),
    # Owners who write their brand in their own script: 支付宝 (Alipay), 카카오페이 (KakaoPay),
    # コンビニ決済 (konbini payment), while other languages keep the Latin name.
    ("alipay", "zh_Hans_CN", "支付宝"),
    ("alipay", "en_US", "Alipay"),
    ("kakaopay", "ko_KR", "카카오페이"),
    ("konbini", "ja_JP", "コンビニ決済"),
    ("konbini", "en_US", "Konbini"),
])
def test_names_follow_the_locale(method_id, locale, name):
    assert REGISTRY[method_id].name_in(locale) == name


def test_an_unknown_locale_is_refused():
    with pytest.raises(ValueError, match="locale"):
        available_methods(["card"], Money.of("10.00", "EUR"), "xx_YY_ZZ_QQ")


# -- limits: worked examples --------------------------------------------------------------------

def test_afterpay_maximum_keeps_a_total_at_it_and_drops_one_above():
    # Stripe, "Afterpay and Clearpay payments": Australia, AUD, transaction limits 1 - 2,000 AUD.
    # 2,000.00 is inside (both ends count); 2,000.01 is one cent above the maximum; 0.99 is one
    # cent below the minimum 1.00.
    methods = ["card", "afterpay"]
    assert ids(available_methods(methods, Money.of("2000.00", "AUD"), "en_AU")) == [
        "card", "afterpay"]
    assert ids(available_methods(methods, Money.of("2000.01", "AUD"), "en_AU")) == ["card"]
    assert ids(available_methods(methods, Money.of("1.00", "AUD"), "en_AU")) == [
        "card", "afterpay"]
    assert ids(available_methods(methods, Money.of("0.99", "AUD"), "en_AU")) == ["card"]
    why = method_availability(methods, Money.of("2000.01", "AUD"))[1]
    assert (why.available, why.reason) == (
        False, "the total 2000.01 AUD is above Afterpay's maximum 2000.00 AUD")


def test_a_limit_allows_both_of_its_ends_and_nothing_past_them():
    # Limit.allows on its own (the public check a merchant calls for one limit): Afterpay's AUD
    # limit is 1.00 - 2,000.00 AUD (Stripe, as above), both ends included.
    (lim,) = REGISTRY["afterpay"].limits_for("AUD", "AU")
    assert [lim.allows(Money.of(a, "AUD")) for a in ("0.99", "1.00", "1.01")] == [
        False, True, True]
    assert [lim.allows(Money.of(a, "AUD")) for a in ("1999.99", "2000.00", "2000.01")] == [
        True, True, False]


def test_the_reasons_keep_both_ends_and_name_the_bound_a_total_passes():
    # method_availability reads the same Afterpay limit, 1.00 - 2,000.00 AUD, ends included:
    # one cent past either end is refused with that end as the reason; each end itself is
    # available with no reason.
    def why(amount):
        found = method_availability(["afterpay"], Money.of(amount, "AUD"), country="AU")[0]
        return found.available, found.reason

    assert why("0.99") == (False, "the total 0.99 AUD is below Afterpay's minimum 1.00 AUD")
    assert why("1.00") == (True, None)
    assert why("2000.00") == (True, None)
    assert why("2000.01") == (
        False, "the total 2000.01 AUD is above Afterpay's maximum 2000.00 AUD")


def test_konbini_limits_in_yen():
    # Stripe, "Konbini payments": minimum charge 120 JPY, maximum 300,000 JPY (yen have no
    # minor unit, so 119 is the largest total below the minimum).
    for total, offered in (("119", False), ("120", True), ("300000", True), ("300001", False)):
        found = ids(available_methods(["konbini"], Money.of(total, "JPY"), "ja_JP"))
        assert found == (["konbini"] if offered else []), total


def test_klarna_maximum_depends_on_the_country():
    # Mollie, "Klarna" (updated 2026-04-28): maximum EUR 14,000 in NL, EUR 4,000 in ES.
    # A EUR 5,000.00 cart: NL 5,000 <= 14,000 keeps Klarna; ES 5,000 > 4,000 drops it; with no
    # country every euro limit applies, the strictest (4,000) deciding.
    total = Money.of("5000.00", "EUR")
    assert ids(available_methods(["klarna"], total, "nl_NL", country="NL")) == ["klarna"]
    assert ids(available_methods(["klarna"], total, "es_ES", country="ES")) == []
    assert ids(available_methods(["klarna"], total, "en")) == []
    # EUR 1.00 minimum everywhere: EUR 0.99 is below it in the Netherlands too.
    assert ids(available_methods(["klarna"], Money.of("0.99", "EUR"), "nl", country="NL")) == []


def test_a_method_is_left_out_where_it_does_not_settle_or_is_not_offered():
    # Afterpay settles AUD, CAD, NZD and USD: a euro total cannot use it.
    assert ids(available_methods(["card", "afterpay"], Money.of("50.00", "EUR"), "en")) == [
        "card"]
    # Klarna is not offered in Bulgaria (Stripe's and Mollie's country lists).
    found = method_availability(["klarna"], Money.of("50.00", "EUR"), country="BG")[0]
    assert (found.available, found.reason) == (False, "Klarna is not offered in BG")


def test_the_market_order_is_kept_and_each_entry_is_id_name_kind():
    found = available_methods(["sepa_debit", "card", "paypal"], Money.of("10.00", "EUR"),
                              "it_IT", country="IT")
    assert found == [
        {"id": "sepa_debit", "name": "Addebito diretto SEPA", "kind": "bank_debit"},
        {"id": "card", "name": "Carta", "kind": "card"},
        {"id": "paypal", "name": "PayPal", "kind": "wallet"},
    ]


def test_a_market_plan_is_built_once_and_checks_only_the_total():
    # Everything but the total (currency, country, locale, names) is worked out once per market
    # and reused: the second quote gets the same plan.
    listed = ("card", "afterpay", "paypal")
    plan = REGISTRY.plan(listed, "AUD", country="AU", locale="en_AU")
    assert REGISTRY.plan(listed, "AUD", country="AU", locale="en_AU") is plan
    assert ids(plan.for_total(Money.of("2000.01", "AUD"))) == ["card", "paypal"]
    with pytest.raises(ValueError, match="AUD"):
        plan.for_total(Money.of("10.00", "EUR"))
    # each call gets its own dicts: a caller editing one cannot change the next quote's
    first = plan.for_total(Money.of("10.00", "AUD"))
    first[0]["name"] = "changed"
    assert plan.for_total(Money.of("10.00", "AUD"))[0]["name"] == "Card"


amounts = st.decimals(min_value=0, max_value=400000, places=2, allow_nan=False,
                      allow_infinity=False)


@settings(max_examples=150, deadline=None)
@given(amount=amounts, currency=st.sampled_from(["AUD", "EUR", "JPY", "SAR", "PLN", "GBP"]),
       country=st.sampled_from([None, "AU", "NL", "ES", "SA", "PL", "GB", "JP", "BG"]))
def test_availability_matches_the_plain_reading_of_the_registry(amount, currency, country):
    # Oracle: a method is available iff it settles the currency, is offered in the country (when
    # one is given) and every limit in that currency that names the country (or none) allows
    # the total, ends included.
    total = Money.of(Decimal(amount).quantize(minor_unit(currency)), currency)
    listed = ["card", "afterpay", "klarna", "konbini", "tabby", "blik", "clearpay", "paypal"]
    found = ids(available_methods(listed, total, "en", country=country))
    expected = []
    for method_id in listed:
        m = REGISTRY[method_id]
        if m.currencies is not None and currency not in m.currencies:
            continue
        if country is not None and m.countries is not None and country not in m.countries:
            continue
        if all((lim.minimum is None or lim.minimum.amount <= total.amount)
               and (lim.maximum is None or total.amount <= lim.maximum.amount)
               for lim in m.limits if lim.currency == currency
               and (not lim.countries or country is None or country in lim.countries)):
            expected.append(method_id)
    assert found == expected
    assert found == [i for i in listed if i in found]  # the market's order


# -- rule files ---------------------------------------------------------------------------------

def rules_with(tmp_path, market: str) -> Path:
    """A rules folder with the shop, the zones and one bundled market."""
    target = tmp_path / "rules"
    (target / "markets").mkdir(parents=True)
    shutil.copy(RULES / "shop.toml", target / "shop.toml")
    shutil.copytree(RULES / "zones", target / "zones")
    shutil.copy(RULES / "markets" / f"{market}.toml", target / "markets" / f"{market}.toml")
    return target


def test_an_unknown_id_in_a_rule_file_is_a_problem_with_did_you_mean(tmp_path):
    root = rules_with(tmp_path, "nl")
    path = root / "markets" / "nl.toml"
    text = path.read_text("utf-8")
    assert 'payment_methods = ["card", "ideal",' in text
    path.write_text(text.replace('["card", "ideal",', '["card", "idael",'), "utf-8")
    with pytest.raises(RulesError) as err:
        load_rules(root)
    (p,) = err.value.problems
    assert (p.file, p.key, p.value) == ("markets/nl.toml", "payment_methods[1]", '"idael"')
    assert p.message.startswith("unknown payment method 'idael'")
    # the suggestion is a structured field where the loader carries it, else in the message
    assert p.suggestion == "ideal" or p.message.endswith("did you mean 'ideal'?")


def test_a_method_listed_twice_is_a_problem(tmp_path):
    root = rules_with(tmp_path, "nl")
    path = root / "markets" / "nl.toml"
    path.write_text(path.read_text("utf-8").replace('"ideal", "paypal"', '"ideal", "ideal"'),
                    "utf-8")
    with pytest.raises(RulesError) as err:
        load_rules(root)
    (p,) = err.value.problems
    assert (p.file, p.key) == ("markets/nl.toml", "payment_methods")
    assert "ideal listed more than once" in p.message


def test_normalize_suggests_by_name_and_by_spelling():
    for typed, meant in (("Mercado Pago", "mercado_pago"), ("iDEAL", "ideal"),
                         ("paypall", "paypal"), ("Apple-Pay", "apple_pay"), ("WeChat Pay",
                                                                            "wechat_pay")):
        with pytest.raises(UnknownPaymentMethodError) as err:
            normalize_payment_method(typed)
        assert err.value.suggestion == meant, typed
        assert err.value.field == "payment_methods"
    with pytest.raises(UnknownPaymentMethodError):
        normalize_payment_method(["card"])


def test_warnings_name_the_file_and_key_a_market_inherits(tmp_path):
    # Bulgaria extends the EU zone, whose list names Klarna; Klarna is not offered in BG.
    rules = load_rules(rules_with(tmp_path, "bg"))
    (w,) = rules.market("bg").payment_warnings()
    assert (w.file, w.key, w.value) == ("zones/eu.toml", "payment_methods[2]", "'klarna'")
    assert w.message == "Klarna is not offered in BG (market 'bg'): shoppers there cannot use it"


def test_warnings_for_a_currency_the_method_does_not_settle():
    # PayPal's currency list has no Costa Rican colón.
    (w,) = method_warnings(["card", "paypal"], currency="CRC", countries=["CR"])
    assert (w.index, w.method) == (1, "paypal")
    assert w.message.startswith("PayPal does not settle CRC, the market currency")
    assert method_warnings(["card", "sinpe_movil"], currency="CRC", countries=["CR"]) == ()


def test_every_bundled_market_lists_methods_as_dicts_in_its_summary(rules):
    jp = rules.market("jp").summary()
    assert [(m["id"], m["name"], m["kind"]) for m in jp["payment_methods"]] == [
        ("card", "カード", "card"), ("konbini", "コンビニ決済", "cash_voucher"),
        ("paypay", "PayPay", "wallet")]
    konbini = jp["payment_methods"][1]
    assert konbini["currencies"] == ["JPY"] and konbini["limits"][0]["min"] == "120"
    assert konbini["limits"][0]["max"] == "300000"
    for market in rules.markets.values():
        for m in market.summary()["payment_methods"]:
            assert {"id", "name", "kind", "currencies", "limits"} <= m.keys()
    # Only the limits that apply in the market are shown: Klarna in the Netherlands has the
    # euro minimum and the Dutch maximum (Mollie), not Spain's EUR 4,000 or the SEK maximum.
    (klarna,) = [m for m in rules.market("nl").summary()["payment_methods"]
                 if m["id"] == "klarna"]
    assert klarna["limits"] == [
        {"currency": "EUR", "min": "1.00", "max": None},
        {"currency": "EUR", "countries": ["NL"], "min": None, "max": "14000.00"}]


# -- the data file's own checks -----------------------------------------------------------------

def method(**over):
    base = {"name": "Example Pay", "kind": "wallet", "currencies": ["EUR"], "countries": ["DE"],
            "sources": ["Example (checked 2026-11-29)"]}
    return {"methods": {"example_pay": {**base, **over}}}


def problems_of(data):
    with pytest.raises(RulesError) as err:
        parse_payment_methods(data, file="pm.toml")
    return [(p.key, p.message) for p in err.value.problems]


def test_a_minimal_entry_parses():
    reg = parse_payment_methods(method(limits=[{"min": "1 EUR", "max": "1000 EUR",
                                                "source": "Example (checked 2026-11-29)"}]))
    (lim,) = reg["example_pay"].limits
    # "1 EUR" is kept as 1.00 EUR: one spelling in every output
    assert (str(lim.minimum), str(lim.maximum)) == ("1.00 EUR", "1000.00 EUR")


def test_a_limit_may_start_at_zero_and_have_min_equal_to_max():
    # "zero or more" and "min at or below max" (the messages of the checks): a zero minimum and
    # a limit of exactly one amount are both valid; one cent below zero is not.
    reg = parse_payment_methods(method(limits=[{"min": "0.00 EUR", "max": "0.00 EUR",
                                                "source": "x"}]))
    (lim,) = reg["example_pay"].limits
    assert (str(lim.minimum), str(lim.maximum)) == ("0.00 EUR", "0.00 EUR")
    assert problems_of(method(limits=[{"min": "-0.01 EUR", "source": "x"}])) == [(
        "methods.example_pay.limits[0].min", "-0.01 EUR is not an amount a shopper can pay: "
        "it must be zero or more, in whole minor units of EUR (0.01)")]


def test_min_above_max_is_refused():
    found = problems_of(method(limits=[{"min": "500.00 EUR", "max": "100.00 EUR",
                                        "source": "x"}]))
    assert found == [("methods.example_pay.limits[0]",
                      "min 500.00 EUR is above max 100.00 EUR")]


@pytest.mark.parametrize(("over", "key", "message"), [
    ({"kind": "walet"}, "methods.example_pay.kind", "not a kind of payment method"),
    ({"currencies": ["EUX"]}, "methods.example_pay.currencies[0]", "unknown currency code"),
    ({"countries": "all"}, "methods.example_pay.countries", 'expected "any" or a non-empty'),
    ({"sources": []}, "methods.example_pay.sources", "list the public sources"),
    ({"name": " Example"}, "methods.example_pay.name", "expected a non-empty string"),
    ({"nmae": "x"}, "methods.example_pay.nmae", "unknown key 'nmae'"),
    ({"names": {"xx_QQ_ZZ": "x"}}, "methods.example_pay.names.xx_QQ_ZZ", "unknown locale"),
    ({"limits": [{"max": "10.00 USD", "source": "x"}]}, "methods.example_pay.limits[0]",
     "a limit in USD, which the method does not settle"),
    ({"limits": [{"max": "10.001 EUR", "source": "x"}]}, "methods.example_pay.limits[0].max",
     "10.001 EUR is not an amount a shopper can pay"),
    ({"limits": [{"max": 10, "source": "x"}]}, "methods.example_pay.limits[0].max",
     "write money as a string"),
    ({"limits": [{"min": "1.00 EUR", "max": "2.00 GBP", "source": "x"}]},
     "methods.example_pay.limits[0]", "min is in EUR and max in GBP"),
    ({"limits": [{"max": "9.00 EUR", "countries": ["FR"], "source": "x"}]},
     "methods.example_pay.limits[0].countries", "FR is not one of the method's countries"),
    ({"limits": [{"max": "9.00 EUR", "source": "x"}, {"max": "8.00 EUR", "source": "x"}]},
     "methods.example_pay.limits[1]", "a second limit in EUR for every country"),
])
def test_each_bad_entry_names_its_key(over, key, message):
    found = problems_of(method(**over))
    assert any(k == key and m.startswith(message) for k, m in found), found


def test_a_kind_or_key_typo_gets_a_suggestion():
    with pytest.raises(RulesError) as err:
        parse_payment_methods(method(kind="walet", nmae="x"), file="pm.toml")
    by_key = {p.key: p for p in err.value.problems}
    assert by_key["methods.example_pay.kind"].suggestion == "wallet"
    assert by_key["methods.example_pay.nmae"].suggestion == "name"


def test_a_registry_file_that_is_not_toml_is_one_problem(tmp_path):
    bad = tmp_path / "pm.toml"
    bad.write_text("[methods.x\n", "utf-8")
    with pytest.raises(RulesError) as err:
        load_payment_methods(bad)
    (p,) = err.value.problems
    assert p.file == str(bad) and "TOML" in p.message


# -- the methods a quote lists ------------------------------------------------------------------

@pytest.fixture(scope="module")
def engine():
    from pricing import Engine
    return Engine.from_directory(RULES)


def _cart(country: str, amount: str, currency: str) -> dict:
    return {"destination": {"country": country}, "date": "2026-11-23",
            "items": [{"sku": "BAG-1", "quantity": 1, "category": "general", "hs_code": "420221",
                       "origin": "CN", "weight": {"value": "0.5", "unit": "kg"},
                       "price": {"amount": amount, "currency": currency}}]}


def test_a_german_quote_lists_the_eu_methods_named_in_german(engine):
    body = engine.quote(_cart("DE", "40.00", "EUR")).to_dict()
    assert [(m["id"], m["name"], m["kind"]) for m in body["payment_methods"]] == [
        ("card", "Karte", "card"), ("paypal", "PayPal", "wallet"),
        ("klarna", "Klarna", "buy_now_pay_later"),
        ("sepa_debit", "SEPA-Lastschrift", "bank_debit")]


@pytest.mark.parametrize("amount", ["20.00", "900.00", "1990.00", "2500.00", "9000.00"])
def test_afterpay_is_offered_in_australia_only_up_to_aud_2000_due_at_checkout(engine, amount):
    # Afterpay takes AUD 1.00 to 2,000.00 (Stripe); the rest of AU's list has no limit.
    quote = engine.quote(_cart("AU", amount, "AUD"))
    due = quote.totals["due_at_checkout"].amount
    listed = [m["id"] for m in quote.to_dict()["payment_methods"]]
    expected = ["card", "paypal"] + (["afterpay"] if Decimal(1) <= due <= Decimal(2000)
                                     else []) + ["apple_pay"]
    assert listed == expected
    assert quote.payment_methods == tuple(quote.to_dict()["payment_methods"])


def test_limits_in_yen_follow_the_amount_due(engine):
    # Konbini takes JPY 120 to 300,000, PayPay JPY 1 to 500,000: a JPY 400,000 bag (with
    # consumption tax and shipping, under 500,000 due) keeps PayPay and drops konbini.
    small = [m["id"] for m in engine.quote(_cart("JP", "3000", "JPY")).payment_methods]
    large = [m["id"] for m in engine.quote(_cart("JP", "400000", "JPY")).payment_methods]
    assert small == ["card", "konbini", "paypay"]
    assert large == ["card", "paypay"]
