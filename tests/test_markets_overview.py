"""The table of every market: hand-checked rows, docs/markets.md kept current, the command
that writes it, and GET /v1/markets on a real server.

Expected rows are read off the rule files by hand and checked against the public sources those
files cite (named per market below); none is copied from the code's output.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from conftest import ROOT, RULES
from conftest_service import Clock, Server, copy_rules
from hypothesis import given
from hypothesis import strategies as st

from pricing import Engine
from pricing.cli import main
from pricing.markets.market import parse_source
from pricing.markets.overview import (
    DOC_COMMAND,
    doc_date,
    market_rows,
    percent,
    render_markdown,
    stale_summary,
)
from pricing.markets.schema import Schedule
from pricing.service import create_app

DOC = ROOT / "docs" / "markets.md"
#: The latest "(checked ...)" date among the bundled sources: the day docs/markets.md shows.
CHECKED = date(2026, 11, 29)
SIX = ("de", "gb", "us", "ca", "jp", "br")


def facts(row: dict[str, Any]) -> dict[str, Any]:
    """The facts of a row the issue names, in a shape a person checks against a rule file."""
    tax = row["tax"]
    return {
        "currency": row["currency"],
        "price_display": row["price_display"],
        "incoterm": row["incoterm"],
        "default_locale": row["default_locale"],
        "payment_methods": [m["id"] for m in row["payment_methods"]],
        "tax": None if tax is None else [
            (c["name"], c["rate"], *c["regions"]) for c in tax["components"]],
        "category_rates": row["category_rates"],
        "regimes": [
            (g["id"], g["max_value"] and f"{g['max_value']['amount']} "
             f"{g['max_value']['currency']}", g["inclusive"], g["value_basis"],
             g["include_shipping"], g["tax"], g["duty"])
            for g in row["regimes"]],
        "valuation": (row["valuation"]["basis"], row["valuation"]["factor"]),
        "unconfirmed": len(row["unconfirmed"]),
        "checked": sorted({s["checked"] for s in row["sources"]}),
    }


#: Per market, on 2026-11-29, read off rules/markets/<id>.toml (and zones/eu.toml for de).
EXPECTED = {
    # Germany: VAT 19 %, reduced 7 % (books, food) since 2021-01-01 (ibericode/vat-rates, see
    # shared FACTS). EU IOSS up to EUR 150 intrinsic value, transport excluded; from 2026-07-01
    # a flat EUR 3 duty per tariff category (Council 2026-02-11). Customs value CIF (Directive
    # 2006/112/EC Art. 86 and the Union Customs Code).
    "de": {
        "currency": "EUR", "price_display": "inclusive", "incoterm": "DDP",
        "default_locale": "de_DE", "payment_methods": ["card", "paypal", "klarna", "sepa_debit"],
        "tax": [("VAT", "0.19")], "category_rates": 2,
        "regimes": [("ioss", "150.00 EUR", True, "consignment", False, "sale", "per_category"),
                    ("import", None, None, None, None, "import", "charged")],
        "valuation": ("CIF", "1"), "unconfirmed": 0, "checked": ["2026-11-23"],
    },
    # United Kingdom: VAT 20 %, zero rate for books, food, children's clothing; consignments up
    # to GBP 135 have VAT charged at the sale and no duty (HMRC, from 2021-01-01).
    "gb": {
        "currency": "GBP", "price_display": "inclusive", "incoterm": "DDP",
        "default_locale": "en_GB", "payment_methods": ["card", "paypal", "klarna", "apple_pay"],
        "tax": [("VAT", "0.20")], "category_rates": 3,
        "regimes": [("low-value", "135.00 GBP", True, "consignment", False, "sale", "none"),
                    ("import", None, None, None, None, "import", "charged")],
        "valuation": ("CIF", "1"), "unconfirmed": 0, "checked": ["2026-11-23"],
    },
    # United States: statewide sales tax of seven states (state revenue departments), food
    # (and PA clothing) exempt; the USD 800 de minimis was suspended from 2025-08-29 (CBP), so
    # on 2026-11-29 only the entry regime is in force. Customs value FOB (transaction value).
    "us": {
        "currency": "USD", "price_display": "exclusive", "incoterm": "DDP",
        "default_locale": "en_US",
        "payment_methods": ["card", "paypal", "apple_pay", "shop_pay"],
        "tax": [("Sales tax (CA)", "0.0725", "US-CA"), ("Sales tax (NY)", "0.04", "US-NY"),
                ("Sales tax (TX)", "0.0625", "US-TX"), ("Sales tax (FL)", "0.06", "US-FL"),
                ("Sales tax (WA)", "0.065", "US-WA"), ("Sales tax (IL)", "0.0625", "US-IL"),
                ("Sales tax (PA)", "0.06", "US-PA")],
        "category_rates": 2,  # food, clothing
        "regimes": [("entry", None, None, None, None, "sale", "charged")],
        "valuation": ("FOB", "1"), "unconfirmed": 0, "checked": ["2026-11-23"],
    },
    # Canada: GST 5 %; HST ON 13 %, NB/NL/PE 15 %, NS 14 % from 2025-04-01; QST 9.975 %; PST BC
    # 7 %, SK 6 %; RST MB 7 % (CRA). Courier low-value shipments (CBSA, CUSMA): from the US or
    # Mexico up to CAD 40 nothing, up to CAD 150 taxes only; from elsewhere up to CAD 20.
    "ca": {
        "currency": "CAD", "price_display": "exclusive", "incoterm": "DDP",
        "default_locale": "en_CA", "payment_methods": ["card", "paypal", "interac"],
        "tax": [("GST", "0.05", "CA-AB", "CA-BC", "CA-MB", "CA-SK", "CA-QC", "CA-NT", "CA-NU",
                 "CA-YT"),
                ("HST", "0.13", "CA-ON"), ("HST", "0.15", "CA-NB", "CA-NL", "CA-PE"),
                ("HST", "0.14", "CA-NS"), ("QST", "0.09975", "CA-QC"), ("PST", "0.07", "CA-BC"),
                ("RST", "0.07", "CA-MB"), ("PST", "0.06", "CA-SK")],
        "category_rates": 0,
        "regimes": [("cusma-free", "40.00 CAD", True, "consignment", False, "none", "none"),
                    ("cusma-tax-only", "150.00 CAD", True, "consignment", False, "import",
                     "none"),
                    ("courier-free", "20.00 CAD", True, "consignment", False, "none", "none"),
                    ("import", None, None, None, None, "import", "charged")],
        "valuation": ("FOB", "1"), "unconfirmed": 0, "checked": ["2026-11-23"],
    },
    # Japan: consumption tax 10 %, reduced 8 % for food since 2019-10-01 (National Tax Agency);
    # total customs value (CIF, so shipping counts) up to JPY 10,000 free of duty and tax
    # (Japan Customs small-value exemption).
    "jp": {
        "currency": "JPY", "price_display": "inclusive", "incoterm": "DDP",
        "default_locale": "ja_JP", "payment_methods": ["card", "konbini", "paypay"],
        "tax": [("Consumption tax", "0.10")], "category_rates": 1,
        "regimes": [("small-value", "10000 JPY", True, "consignment", True, "none", "none"),
                    ("import", None, None, None, None, "import", "charged")],
        "valuation": ("CIF", "1"), "unconfirmed": 0, "checked": ["2026-11-23"],
    },
    # Brazil: ICMS 17 % on international remittances from 2023-08-01 (Convenio ICMS 81/2023),
    # 20 % from 2025-04-01 in AC, AL, BA, CE, PB, PI, RN, RR, SE, replacing it there (states'
    # decision at Comsefaz, Dec 2024; marked unconfirmed). The RTS covers customs values
    # (freight included) up to USD 3,000 at 60 % (Portaria MF 156/1999), paid on delivery
    # (DAP); above it no regime of the file applies, so the engine's standard import does.
    "br": {
        "currency": "BRL", "price_display": "exclusive", "incoterm": "DAP",
        "default_locale": "pt_BR", "payment_methods": ["card", "pix", "boleto"],
        "tax": [("ICMS", "0.17"),
                ("ICMS (20 % states)", "0.20", "BR-AC", "BR-AL", "BR-BA", "BR-CE", "BR-PB",
                 "BR-PI", "BR-RN", "BR-RR", "BR-SE")],
        "category_rates": 0,
        "regimes": [("rts", "3000.00 USD", True, "consignment", True, "import", "rate"),
                    ("standard", None, None, None, None, "import", "charged")],
        "valuation": ("CIF", "1"), "unconfirmed": 2, "checked": ["2026-11-23", "2026-11-29"],
    },
}


@pytest.fixture(scope="module")
def rows(rules) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in market_rows(rules, on=CHECKED)}


@pytest.mark.parametrize("market", SIX)
def test_hand_checked_rows(rows, market):
    assert facts(rows[market]) == EXPECTED[market]


def test_every_bundled_market_has_a_row_of_json(rules, rows):
    assert list(rows) == sorted(rules.markets) and len(rows) >= 100
    assert json.loads(json.dumps(list(rows.values()))) == list(rows.values())


def test_a_row_keeps_the_fields_the_api_had(rows):
    de = rows["de"]
    assert de["countries"] == ["DE"] and de["locales"] == ["de_DE", "en_DE"]
    assert de["requires_region"] is False and rows["us"]["requires_region"] is True
    assert de["shipping_methods"][0] == {"id": "standard", "name": "Standard", "days": [3, 6],
                                         "default": True}


def test_rates_and_regimes_follow_the_day(rules):
    # DE: 16 % / 5 % from 2020-07-01 to 2020-12-31 (German VAT cut, ibericode/vat-rates).
    de = rules.market("de")
    vat = de.summary(on=date(2020, 6, 30))["tax"]["components"][0]
    assert (vat["rate"], vat["categories"], vat["next_change"]) == (
        "0.19", {"books": "0.07", "food": "0.07"}, {"from": "2020-07-01", "rate": "0.16"})
    # The EUR 150 relief ends on 2026-06-30; the EUR 3 per category regime is shown as coming.
    before = de.summary(on=date(2026, 6, 30))
    assert [(g["id"], g["duty"], g["to"]) for g in before["regimes"]] == [
        ("ioss", "none", "2026-06-30"), ("import", "charged", None)]
    assert [(g["id"], g["from"], g["per_category_duty"]) for g in before["upcoming_regimes"]] \
        == [("ioss", "2026-07-01", {"amount": "3.00", "currency": "EUR"})]
    # CA-NS HST: 15 % until 2025-03-31, 14 % from 2025-04-01 (Nova Scotia Finance).
    ns = rules.market("ca").summary(on=date(2025, 3, 31))["tax"]["components"][3]
    assert (ns["regions"], ns["rate"], ns["next_change"]) == (
        ["CA-NS"], "0.15", {"from": "2025-04-01", "rate": "0.14"})
    # US: the USD 800 de minimis (19 U.S.C. 1321) was in force up to 2025-08-28 (CBP).
    us = rules.market("us").summary(on=date(2025, 8, 28))["regimes"][0]
    assert (us["id"], us["max_value"], us["to"]) == (
        "de-minimis", {"amount": "800.00", "currency": "USD"}, "2025-08-28")
    # BR: no ICMS before 2023-08-01 in the file: shown as not in force, with its start.
    icms = rules.market("br").summary(on=date(2023, 7, 31))["tax"]["components"][0]
    assert (icms["rate"], icms["next_change"]) == (None, {"from": "2023-08-01",
                                                          "rate": "0.17"})


def test_regime_details(rows):
    ioss = rows["de"]["regimes"][0]
    assert (ioss["per_category_duty"], ioss["category_digits"], ioss["from"], ioss["to"]) == (
        {"amount": "3.00", "currency": "EUR"}, 6, "2026-07-01", "2028-06-30")
    assert rows["ca"]["regimes"][0]["ship_from"] == ["US", "MX"]
    assert rows["br"]["regimes"][-1]["builtin"] is True
    assert not any(g["builtin"] for g in rows["de"]["regimes"])
    # EU markets: parcels from any of the 27 member states are domestic sales.
    assert len(rows["de"]["customs_territory"]) == 27 and rows["gb"]["customs_territory"] == [
        "GB"]


def test_sources_carry_their_checked_dates():
    assert parse_source("CBP: de minimis (checked 2026-11-23)") == {
        "source": "CBP: de minimis", "checked": "2026-11-23"}
    assert parse_source("CBP: de minimis") == {"source": "CBP: de minimis", "checked": None}
    assert parse_source("CBP (checked 2026-13-01)")["checked"] is None


# -- the Markdown -------------------------------------------------------------------------------

def test_overview_lines_by_hand(rules, rows):
    text = render_markdown(list(rows.values()), on=CHECKED)
    lines = text.splitlines()
    assert ("| [gb](#gb) United Kingdom | GB | GBP | incl. tax | DDP | VAT 20 % | 3 | "
            "≤ 135.00 GBP: tax at the sale, no duty; else tax at import, duty charged | CIF | 0 "
            "| 2026-11-23 |") in lines
    assert ("| [jp](#jp) Japan | JP | JPY | incl. tax | DDP | Consumption tax 10 % | 1 | "
            "≤ 10000 JPY: no tax, no duty; else tax at import, duty charged | CIF | 0 | "
            "2026-11-23 |") in lines
    # HST: ON 13 %, NS 14 %, NB/NL/PE 15 % in five provinces.
    assert ("| [ca](#ca) Canada | CA | CAD | excl. tax | DDP | GST 5 % (8 regions); "
            "HST 13–15 % (5 regions); QST 9.975 % (CA-QC); PST 6–7 % (2 regions); "
            "RST 7 % (CA-MB) | 0 | from US/MX ≤ 40.00 CAD: no tax, no duty; from US/MX "
            "≤ 150.00 CAD: tax at import, no duty; ≤ 20.00 CAD: no tax, no duty; else tax at "
            "import, duty charged | FOB | 0 | 2026-11-23 |") in lines
    section = text[text.index('<a id="jp"></a>'):text.index('<a id="ke"></a>')]
    assert "- **Tax** (on goods + shipping + duty; rounded per order, down):" in section
    assert "  - Consumption tax 10 %; food 8 %" in section
    assert ("  - `small-value` Small value: no duty or consumption tax. Consignment value "
            "incl. shipping ≤ 10000 JPY: no tax, no duty.") in section
    assert ("  - Japan Customs: small-value import exemption, JPY 10,000 (checked 2026-11-23)"
            in section)
    assert f"{len(rules.markets)} markets serving" in text and "**2026-11-29**" in text


def test_rule_text_cannot_break_the_table_or_inject_html(rows):
    row = {**rows["gb"], "name": "A | B <script>*x*</script>"}
    line = render_markdown([row], on=CHECKED).splitlines()
    cell = next(x for x in line if x.startswith("| [gb]"))
    assert "A \\| B &lt;script>\\*x\\*&lt;/script>" in cell
    assert cell.count(" | ") == 10  # eleven cells, none split by the name


def test_every_regime_test_and_duty_form_is_said(rows):
    """Tests no bundled market combines: a region, origins, a valuation factor, a per-item
    strict limit with shipping counted, and a duty rate less a deduction (Brazil's Remessa
    Conforme, commented out in br.toml)."""
    regime = {**rows["br"]["regimes"][0], "id": "x", "name": "X", "regions": ["BR-SP"],
              "ship_from": ["US"], "origin_in": ["US"], "origin_not_in": ["CN"],
              "max_value": {"amount": "50.00", "currency": "USD"}, "inclusive": False,
              "value_basis": "item", "include_shipping": True, "valuation_factor": "0.6",
              "duty": "rate", "duty_rate": "0.60",
              "duty_deduction": {"amount": "20.00", "currency": "USD"}, "to": "2027-12-31"}
    text = render_markdown([{**rows["br"], "regimes": [regime]}], on=CHECKED)
    assert ("  - `x` X. To BR-SP, from US, goods made in US, no goods made in CN, each item's "
            "value incl. shipping at 0.6 of the price < 50.00 USD: tax at import, duty 60 % of "
            "the customs value less 20.00 USD; until 2027-12-31.") in text.splitlines()
    assert ("| to BR-SP, from US, goods made in US, no goods made in CN < 50.00 USD per item: "
            "tax at import, duty 60 % of the customs value less 20.00 USD |") in text


def test_percent_is_exact():
    assert [percent(r) for r in ("0.19", "0.255", "0.0725", "0.10", "1", "0")] == [
        "19 %", "25.5 %", "7.25 %", "10 %", "100 %", "0 %"]


def test_next_change_from_the_last_day_of_a_period():
    # A rate in force until 2020-06-30 and nothing after: on its last day the next change is
    # the day after, when no value is in force; the day before, the same. With a period that
    # follows at once, the change is to its value.
    ends = Schedule(((None, date(2020, 6, 30), 19),))
    assert ends.next_change(date(2020, 6, 30)) == (date(2020, 7, 1), None)
    assert ends.next_change(date(2020, 6, 29)) == (date(2020, 7, 1), None)
    assert ends.next_change(date(2020, 7, 1)) is None
    cut = Schedule(((None, date(2020, 6, 30), 19), (date(2020, 7, 1), None, 16)))
    assert cut.next_change(date(2020, 6, 30)) == (date(2020, 7, 1), 16)
    # a period may end on the last day a date can hold: nothing changes after it
    assert Schedule(((None, date.max, 19),)).next_change(date(2020, 6, 30)) is None


@given(st.lists(st.tuples(st.integers(0, 60), st.integers(0, 3)), min_size=1, max_size=6),
       st.integers(-5, 70), st.booleans(), st.booleans())
def test_next_change_is_the_first_day_the_value_changes(cuts, offset, open_start, open_end):
    """Periods from sorted distinct cut days (gaps where a cut is skipped); the next change
    after any day is the first later day whose value differs, and none before it does."""
    base = date(2026, 1, 1)
    days = sorted({c for c, _ in cuts})
    values = dict(cuts)
    periods = []
    for i, start in enumerate(days):
        end = days[i + 1] - 1 if i + 1 < len(days) else start + 10
        if end < start or values[start] == 3:  # 3: leave a gap here
            continue
        periods.append((base + timedelta(start), base + timedelta(end), values[start]))
    if not periods:
        return
    if open_start:
        periods[0] = (None, *periods[0][1:])
    if open_end:
        periods[-1] = (periods[-1][0], None, periods[-1][2])
    s = Schedule(tuple(periods))
    day = base + timedelta(offset)
    change = s.next_change(day)
    horizon = [day + timedelta(n) for n in range(1, 120)]
    differs = [d for d in horizon if s.at(d) != s.at(day)]
    if change is None:
        assert differs == []
    else:
        assert differs and change == (differs[0], s.at(differs[0]))


# -- docs/markets.md is current -------------------------------------------------------------

def test_docs_markets_md_is_current(rules):
    """CI fails while docs/markets.md is not what the rule files give."""
    assert doc_date(rules) == CHECKED
    expected = render_markdown(market_rows(rules, on=CHECKED, locale="en"), on=CHECKED)
    current = DOC.read_text("utf-8") if DOC.is_file() else ""
    problems = stale_summary(current, expected, name="docs/markets.md")
    assert not problems, "\n".join([f"docs/markets.md is stale; run: {DOC_COMMAND}",
                                    *problems])


def test_doc_command_writes_checks_and_reports_staleness(tmp_path, capsys):
    out = tmp_path / "markets.md"
    args = ["markets", "doc", "--rules", str(RULES), "--output", str(out)]
    assert main([*args, "--check"]) == 1
    assert capsys.readouterr().err == (f"error: {out} does not exist; write it with: "
                                       f"pricing markets doc --rules {RULES} --output {out}\n")
    assert main(args) == 0
    assert capsys.readouterr().out == (f"ok: wrote 101 markets, facts in force on 2026-11-29, "
                                       f"to {out}\n")
    assert out.read_text("utf-8") == DOC.read_text("utf-8")
    assert main([*args, "--check"]) == 0
    assert capsys.readouterr().out == f"ok: {out} is current\n"
    out.write_text(out.read_text("utf-8").replace("| VAT 20 % |", "| VAT 21 % |", 1), "utf-8")
    assert main([*args, "--check"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "  1 line to add, 1 to remove:"
    assert any(x.startswith("  -| [") and "VAT 21 %" in x for x in err)
    assert err[-1] == (f"error: {out} is stale: the rules say otherwise; regenerate it with: "
                       f"pricing markets doc --rules {RULES} --output {out}")


def test_doc_command_prints_the_document(capsys):
    assert main(["markets", "doc", "--rules", str(RULES)]) == 0
    assert capsys.readouterr().out == DOC.read_text("utf-8")


def test_doc_command_bad_input(tmp_path, capsys):
    doc = ["markets", "doc", "--rules", str(RULES)]
    assert main([*doc, "--check"]) == 2
    assert capsys.readouterr().err.startswith("error: --check needs --output FILE")
    assert main([*doc, "--date", "2026-02-30"]) == 2
    assert "'2026-02-30' is not a day of the calendar" in capsys.readouterr().err
    assert main([*doc, "--output", str(tmp_path / "no" / "dir.md")]) == 2
    assert "cannot write" in capsys.readouterr().err
    assert main(["markets", "doc", "--rules", str(tmp_path / "nope")]) == 2
    assert "is not a folder" in capsys.readouterr().err
    (tmp_path / "broken" / "markets").mkdir(parents=True)
    assert main(["markets", "doc", "--rules", str(tmp_path / "broken")]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("shop.toml: ") and err[-1].endswith("nothing was loaded")
    (tmp_path / "bad.md").write_bytes(b"\xff\xfe")
    assert main([*doc, "--output", str(tmp_path / "bad.md"), "--check"]) == 1
    assert "not UTF-8 text" in capsys.readouterr().err


def test_doc_on_another_day(capsys):
    assert main(["markets", "doc", "--rules", str(RULES), "--date", "2026-06-30"]) == 0
    text = capsys.readouterr().out
    assert "on **2026-06-30**. GET" in text  # not "the latest day a source was checked"
    assert "≤ 150.00 EUR: tax at the sale, no duty;" in text
    assert "  - from 2026-07-01: `ioss` IOSS: VAT at sale, flat EUR 3 duty per tariff" in text


# -- GET /v1/markets on a real server -------------------------------------------------------

#: The served engine's "today": the endpoint's default day.
TODAY = date(2026, 11, 30)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    rules = copy_rules(tmp_path_factory.mktemp("overview") / "rules", markets=SIX)
    loaded = Engine.from_directory(rules)
    engine = Engine(loaded.rules, rates=loaded.rates, clock=lambda: TODAY)
    app = create_app(engine, quote_key="k" * 32, clock=Clock(), watch_interval=None)
    with Server(app) as srv, httpx.Client(base_url=srv.url, timeout=30) as client:
        yield client, engine


def test_markets_endpoint_serves_the_rows(served):
    client, engine = served
    r = client.get("/v1/markets", params={"date": "2026-11-29"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    data = r.json()
    assert (data["date"], data["rules_version"]) == ("2026-11-29", engine.rules.version)
    got = {m["id"]: m for m in data["markets"]}
    assert list(got) == sorted(SIX)
    for market in SIX:
        assert facts(got[market]) == EXPECTED[market]
    assert data["markets"] == market_rows(engine.rules, on=CHECKED)
    # The same bytes again (kept rendered per rules version and day).
    assert client.get("/v1/markets", params={"date": "2026-11-29"}).content == r.content
    one = client.get("/v1/markets/ca", params={"date": "2025-03-31"}).json()
    assert one["date"] == "2025-03-31" and one["tax"]["components"][3]["next_change"] == {
        "from": "2025-04-01", "rate": "0.14"}


def test_markets_endpoint_defaults_to_today_and_refuses_bad_days(served):
    client, engine = served
    data = client.get("/v1/markets").json()
    assert data["date"] == "2026-11-30"
    assert data["markets"] == market_rows(engine.rules, on=TODAY)
    for bad in ("2026-02-30", "29/11/2026", "20261129", ""):
        for path in ("/v1/markets", "/v1/markets/jp"):
            r = client.get(path, params={"date": bad})
            assert r.status_code == 422, (path, bad, r.text)
            assert r.headers["content-type"] == "application/problem+json"
            assert r.json()["field"] == "query.date"
