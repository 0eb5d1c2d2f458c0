"""The quote explanation: amounts in the quote's locale, rates as percentages, bases broken into
parts, zero rows folded, nothing truncated, right-to-left text isolated."""

from __future__ import annotations

import copy
import io
import unicodedata
from decimal import Decimal

import pytest
from babel.numbers import format_currency, format_percent
from conftest import QUOTE_DAY, item
from rich.console import Console

from pricing.explain import FSI, PDI, explain, isolate, rate_percent, render, render_text

DAY = QUOTE_DAY.isoformat()


def _charge_rows(quote_dict, explanation):
    """(charge, row) pairs: the Charges section has a row per non-zero charge, in order."""
    shown = [c for c in quote_dict["charges"] if Decimal(c["amount"]["amount"])]
    rows = explanation.sections[3].rows
    assert len(rows) == len(shown)
    return list(zip(shown, [r.cells for r in rows], strict=True))


def _terminal(explanation, width: int) -> str:
    buffer = io.StringIO()
    render(explanation, Console(file=buffer, width=width, force_terminal=True,
                                color_system=None))
    return buffer.getvalue()


@pytest.fixture(scope="module")
def quebec(engine):
    """A Québec order from China in French: duty, GST and QST on the duty-paid value
    (ca.toml: GST 5 %, QST 9.975 %, T-shirts 18 %), free shipping, a book at 0 % duty."""
    return engine.quote({
        "destination": {"country": "CA", "region": "QC"}, "locale": "fr_CA", "date": DAY,
        "ship_from": "CN",
        "items": [item("TSHIRT", "120.00", qty=2, hs_code="610910"),
                  item("BOOK", "12.00", hs_code="490199", category="books")]})


def test_amounts_in_the_quote_locale_and_rates_as_percentages(quebec):
    d = quebec.to_dict()
    text = render_text(explain(quebec))
    for c in d["charges"]:
        if Decimal(c["amount"]["amount"]):
            assert c["amount"]["formatted"] in text
    # Rates as babel writes percentages in Canadian French (its CLDR data, not a hand copy).
    assert format_percent(Decimal("0.09975"), locale="fr_CA",
                          decimal_quantization=False) in text
    assert format_percent(Decimal("0.18"), locale="fr_CA") in text
    for charge, cells in _charge_rows(d, explain(quebec)):
        assert cells[0].startswith(charge["label"])
        assert cells[1] == charge["amount"]["formatted"]
        assert cells[2] == (rate_percent(charge["rate"], "fr_CA") if charge["rate"] else "")
        assert cells[4].startswith(charge["rule"])
    qst = [cells for c, cells in _charge_rows(d, explain(quebec)) if c["name"] == "QST"]
    assert qst[0][2] == format_percent(Decimal("0.09975"), locale="fr_CA",
                                       decimal_quantization=False)
    # The total in the title: 509,07 $ with the test rates, as babel formats CAD for fr_CA.
    assert explain(quebec).title.endswith(format_currency(Decimal(d["totals"]["total"]
                                                                  ["amount"]), "CAD",
                                                          locale="fr_CA"))


def test_regime_tests_fx_line_and_delivery(quebec):
    d = quebec.to_dict()
    text = render_text(explain(quebec))
    regime = explain(quebec).sections[1]
    assert regime.rows[0].cells == ("applies", f"import: {d['regime']['name']} "
                                    f"({d['regime']['rule']}); duty charged, tax import")
    assert [r.cells for r in regime.rows[1:]] == [
        ("passed" if t["passed"] else "failed", f"{t['regime']}: {t['test']}")
        for t in d["regime"]["tests"]]
    assert "courier-free: consignment value excl. shipping" in text
    assert f"1 EUR = {d['fx']['rate']} CAD (test rates, as of {d['fx']['as_of']})" in text
    assert d["shipping_method"]["delivery"] in text  # "Livraison sous 5 à 10 jours"
    assert f"version {d['rules_version']}" in text


def test_zero_rows_folded_unless_all(quebec):
    folded = render_text(explain(quebec))
    # Shipping is free (goods over the CAD 200 threshold) and books pay no duty: both are 0.
    assert "2 rows of zero not shown (shipping Standard, duty Printed books); --all shows them" \
        in folded
    charges = explain(quebec).sections[3]
    assert all(not r.zero for r in charges.rows)
    everything = explain(quebec, show_all=True)
    assert not everything.sections[3].folded
    assert "Printed books" in render_text(everything)
    names = [r.cells[0] for r in everything.sections[4].rows]
    assert "Due on delivery" in names and "Fees" in names


def test_each_base_broken_into_its_parts(engine):
    """A charge's base_parts (goods, shipping, duty ...) when the quote has them; the base
    alone when not; zero parts folded like zero rows."""
    q = engine.quote({"destination": {"country": "JP"}, "date": DAY, "ship_from": "CN",
                      "items": [item("TSHIRT", "150.00", hs_code="610910")]})
    d = q.to_dict()
    bare = copy.deepcopy(d)
    for c in bare["charges"]:
        c.pop("base_parts", None)
    for charge, cells in _charge_rows(bare, explain(bare)):
        assert cells[3] == (charge["base"]["formatted"] if charge["base"] else "")

    parts = copy.deepcopy(bare)
    pt = next(c for c in parts["charges"] if c["kind"] == "tax")
    base = Decimal(pt["base"]["amount"])
    goods, duty = base - Decimal(1000), Decimal(1000)

    def amount(v: Decimal) -> dict[str, str]:
        return {"amount": str(v), "currency": "JPY",
                "formatted": format_currency(v, "JPY", locale="ja_JP")}

    pt["base_parts"] = [{"part": "goods", "amount": amount(goods)},
                        {"part": "shipping", "amount": amount(Decimal(0))},
                        {"part": "duty", "amount": amount(duty)}]
    cells = next(cells for c, cells in _charge_rows(parts, explain(parts)) if c is pt)
    assert cells[3] == (f"{pt['base']['formatted']} = goods {amount(goods)['formatted']}"
                        f" + duty {amount(duty)['formatted']}")
    shown = explain(parts, show_all=True).sections[3].rows
    assert any(f"shipping {amount(Decimal(0))['formatted']}" in r.cells[3] for r in shown)
    # A base of one part says which: "￥26,310 (goods)".
    pt["base_parts"] = [{"part": "goods", "amount": amount(base)}]
    cells = next(cells for c, cells in _charge_rows(parts, explain(parts)) if c is pt)
    assert cells[3] == f"{pt['base']['formatted']} (goods)"


def test_nothing_truncated_on_a_narrow_terminal(engine):
    sku = "TSHIRT-ORGANIC-COTTON-HEAVYWEIGHT-MIDNIGHT-BLUE-XXL-2026"
    title = "Heavyweight organic cotton T-shirt in midnight blue with a long product name"
    q = engine.quote({"destination": {"country": "DE"}, "date": DAY, "ship_from": "CN",
                      "items": [item(sku, "20.00", hs_code="610910", title=title)]})
    text = _terminal(explain(q), width=60)
    assert "…" not in text and "..." not in text
    assert max(len(line) for line in text.splitlines()) <= 60
    # Read the Item column back: the SKU, folded over several lines, is all there.
    body = text.split("Items", 1)[1].split("Charges", 1)[0].split("─\n", 1)[1].splitlines()
    width = len(body[0].split()[0])  # the first piece of the SKU fills the Item column
    assert sku in "".join(line[:width].strip() for line in body)
    plain = render_text(explain(q))
    assert sku in plain and title in plain  # piped: one line per row, nothing cut


def _outside_isolates(text: str) -> str:
    """The characters of ``text`` that are not inside an FSI ... PDI isolate."""
    depth, outside = 0, []
    for ch in text:
        if ch == FSI:
            depth += 1
        elif ch == PDI:
            depth -= 1
        elif depth == 0:
            outside.append(ch)
    return "".join(outside)


def test_right_to_left_text_isolated(engine):
    """Saudi Arabia quotes in ar_SA: every Arabic amount, label and title sits in its own
    isolate, so a bidi terminal cannot reorder the columns around it."""
    q = engine.quote({"destination": {"country": "SA"}, "date": DAY, "ship_from": "CN",
                      "items": [item("MUG", "120.00", qty=3, hs_code="691200",
                                     title="كوب خزفي")]})
    assert q.to_dict()["direction"] == "rtl"
    for text in (render_text(explain(q, show_all=True)),
                 _terminal(explain(q, show_all=True), width=100)):
        assert FSI in text
        rtl = [ch for ch in _outside_isolates(text)
               if unicodedata.bidirectional(ch) in ("R", "AL")]
        assert rtl == []
    assert isolate("VAT 15 %") == "VAT 15 %"  # left-to-right text is left alone


def test_explain_accepts_the_quote_or_its_dict(quebec):
    assert explain(quebec) == explain(quebec.to_dict())


def test_engine_base_parts_shown_and_adding_up(quebec):
    """The engine's own base_parts: Québec's GST and QST are on goods + duty (Excise Tax Act:
    value for duty plus duties), shown part by part, the parts adding up to the base."""
    d = quebec.to_dict()
    for charge, cells in _charge_rows(d, explain(quebec)):
        parts = [p for p in charge.get("base_parts") or () if Decimal(p["amount"]["amount"])]
        if charge["kind"] != "tax":
            continue
        assert [p["part"] for p in parts] == ["goods", "duty"]
        assert sum(Decimal(p["amount"]["amount"]) for p in parts) == Decimal(
            charge["base"]["amount"])
        assert cells[3] == charge["base"]["formatted"] + " = " + " + ".join(
            f"{p['part']} {p['amount']['formatted']}" for p in parts)
