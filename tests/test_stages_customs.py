"""Stage 3b, the customs value (pricing/stages/customs.py): which freight and insurance customs
count (declared in the request, the method's ``customs`` costs, or the shipping price), how
each is split across lines, and CIF against FOB. Worked by hand on markets written here.

Rates: conftest.EASY_RATES (1 EUR = 1.10 USD).
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from conftest import QUOTE_DAY, TEST_SHOP, engine_for, market_head, one_regime

from pricing import Engine
from pricing.money import Money
from pricing.stages.customs import Customs, customs_costs, customs_value

TAIL = """
[[tax.components]]
name = "VAT"
rate = "0.10"
""" + one_regime(tax="import", duty="charged") + """
[shipping.declared]
name = "Declared"
days = [1, 2]
base = "10.00 EUR"
customs = { freight = { amount = "6.00 EUR" }, insurance = { of_goods = "0.01" } }

[shipping.share]
name = "Share"
days = [1, 2]
base = "10.00 EUR"
customs = { freight = { of_shipping = "0.50" }, insurance = { amount = "2.00 EUR" } }

[shipping.goodsy]
name = "Goodsy"
days = [1, 2]
base = "10.00 EUR"
customs = { freight = { of_goods = "0.05" }, insurance = { of_shipping = "0.10" } }

[shipping.plain]
name = "Plain"
days = [1, 2]
base = "10.00 EUR"
"""
CIF = market_head("cif", "IS", "EUR") + '\n[duty]\nvaluation = "CIF"\nrate = "0.10"\n' + TAIL
FOB = market_head("fob", "GL", "EUR") + '\n[duty]\nvaluation = "FOB"\nrate = "0.10"\n' + TAIL


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return engine_for(tmp_path_factory.mktemp("customs"), TEST_SHOP, {"cif": CIF, "fob": FOB})


# Two lines: goods 30.00 and 10.00 net, shipping 7.50 and 2.50 net, weighing 3 kg and 1 kg.
NETS, SHIP, KG = (D("30.00"), D("10.00")), (D("7.50"), D("2.50")), (D("3"), D("1"))


@pytest.mark.parametrize(("method", "freight", "insurance"), [
    # freight 6.00 split by weight 3 : 1; insurance 1 % of each line's goods
    ("declared", ("4.50", "1.50"), ("0.30", "0.10")),
    # freight half the shipping of each line; insurance 2.00 split by value 30 : 10
    ("share", ("3.75", "1.25"), ("1.50", "0.50")),
    # freight 5 % of each line's goods; insurance 10 % of each line's shipping
    ("goodsy", ("1.50", "0.50"), ("0.75", "0.25")),
    # no customs costs: freight is the shipping paid, no insurance
    ("plain", ("7.50", "2.50"), ("0.00", "0.00")),
    # no shipping at all: the same defaults
    (None, ("7.50", "2.50"), ("0.00", "0.00")),
])
def test_freight_and_insurance_from_the_method(shop, method, freight, insurance):
    plan = shop.plan("cif", QUOTE_DAY)
    found = customs_costs(plan, plan.method(method) if method else None, nets=NETS,
                          ship_nets=SHIP, weights=KG)
    assert found == (tuple(D(f) for f in freight), tuple(D(i) for i in insurance))


def test_freight_and_insurance_declared_in_the_request_win_over_the_method(shop):
    plan = shop.plan("cif", QUOTE_DAY)
    # freight USD 11.00 / 1.10 = EUR 10.00 split by weight 3 : 1 -> 7.50, 2.50;
    # insurance EUR 4.00 split by value 30 : 10 -> 3.00, 1.00
    found = customs_costs(plan, plan.method("declared"), nets=NETS, ship_nets=SHIP,
                          weights=KG, freight=Money.of("11.00", "USD"),
                          insurance=Money.of("4.00", "EUR"))
    assert found == ((D("7.50"), D("2.50")), (D("3.00"), D("1.00")))


def test_cif_adds_freight_and_insurance_to_the_valued_goods_and_fob_does_not(shop):
    freight, insurance = (D("4.50"), D("1.50")), (D("0.30"), D("0.10"))
    # CIF at 60 % of the goods (Japan's rule for personal imports):
    # 30.00 x 0.6 + 4.50 + 0.30 = 22.80; 10.00 x 0.6 + 1.50 + 0.10 = 7.60
    cif = customs_value(shop.plan("cif", QUOTE_DAY), D("0.6"), NETS, freight, insurance)
    assert cif == Customs(goods=(D("18.000"), D("6.000")), freight=freight, insurance=insurance,
                          values=(D("22.800"), D("7.600")), factor=D("0.6"))
    # CIF at full value: 30.00 + 4.50 + 0.30 = 34.80; 10.00 + 1.50 + 0.10 = 11.60
    assert customs_value(shop.plan("cif", QUOTE_DAY), D(1), NETS, freight,
                         insurance).values == (D("34.80"), D("11.60"))
    # FOB: the goods alone
    fob = customs_value(shop.plan("fob", QUOTE_DAY), D(1), NETS, freight, insurance)
    assert fob == Customs(goods=NETS, freight=freight, insurance=insurance, values=NETS,
                          factor=D(1))


def test_a_quote_charges_duty_on_the_declared_customs_costs(shop):
    q = shop.quote({"destination": {"country": "IS"}, "date": QUOTE_DAY.isoformat(),
                    "shipping_method": "share",
                    "items": [{"sku": "A", "quantity": 1,
                               "price": {"amount": "100.00", "currency": "EUR"}}]})
    # CIF: goods 100.00 + freight 10.00 x 0.50 = 5.00 + insurance 2.00 = 107.00; duty 10 %
    # = 10.70 (not 11.00, as on the 10.00 shipping paid)
    assert q.totals["duties"] == Money.of("10.70", "EUR")
