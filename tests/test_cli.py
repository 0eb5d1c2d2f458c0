"""The `pricing` command: exit codes and messages that name file and key."""

from __future__ import annotations

import json

from conftest import RULES

from pricing.cli import main


def test_validate_ok(capsys):
    assert main(["validate", str(RULES)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("ok: ") and "markets" in out and "rules version" in out


def test_validate_lists_every_problem(rules_copy, capsys):
    de = rules_copy / "markets" / "de.toml"
    de.write_text(de.read_text().replace('currency = "EUR"', 'currency = "EUX"'))
    gb = rules_copy / "markets" / "gb.toml"
    gb.write_text(gb.read_text().replace('rate = "0.20"', 'rate = "20"'))
    assert main(["validate", str(rules_copy)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert any(line.startswith("markets/de.toml: currency: unknown currency") for line in err)
    assert any(line.startswith("markets/gb.toml: tax.components[0].rate:") for line in err)
    assert err[-1] == "2 problems found; nothing was loaded"


def test_quote_json_and_explain(tmp_path, capsys):
    req = tmp_path / "req.json"
    req.write_text(json.dumps({
        "destination": {"country": "DE"}, "date": "2026-11-23", "ship_from": "CN",
        "items": [{"sku": "A", "quantity": 1, "price": {"amount": "20.00", "currency": "EUR"},
                   "hs_code": "610910"}]}))
    assert main(["quote", "--rules", str(RULES), str(req)]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["market"] == "de" and d["lines"][0]["unit_price"]["amount"] == "20.99"
    assert main(["quote", "--rules", str(RULES), "--explain", str(req)]) == 0
    out = capsys.readouterr().out
    assert "Regime: IOSS" in out and "zones/eu.toml#regimes[1]" in out


def test_quote_bad_request_exit_1(tmp_path, capsys):
    req = tmp_path / "req.json"
    req.write_text('{"destination": {"country": "DE"}, "items": [{"sku": "A", "quantity": 1, '
                   '"price": {"amount": 9.99, "currency": "EUR"}}]}')
    assert main(["quote", "--rules", str(RULES), str(req)]) == 1
    err = capsys.readouterr().err
    assert "items[0].price.amount" in err and "Traceback" not in err
    req.write_text("{not json")
    assert main(["quote", "--rules", str(RULES), str(req)]) == 1
    assert "invalid JSON at line 1" in capsys.readouterr().err


def test_rates_show_and_update(tmp_path, capsys):
    assert main(["rates", "show"]) == 0
    assert "1 EUR = 1.0705 USD" in capsys.readouterr().out
    src = tmp_path / "in.csv"
    src.write_text("base,date,currency,rate\nEUR,2026-11-20,USD,1.05\nEUR,2026-11-20,GBP,0.87\n")
    out = tmp_path / "rates.json"
    assert main(["rates", "update", "--from", str(src), "--output", str(out)]) == 0
    assert json.loads(out.read_text())["rates"]["USD"] == "1.05"
    bad = tmp_path / "bad.csv"
    bad.write_text("base,date,currency,rate\nEUR,2026-11-20,USD,0\n")
    assert main(["rates", "update", "--from", str(bad), "--output", str(out)]) == 1
    assert json.loads(out.read_text())["rates"]["USD"] == "1.05"  # the good table stays
    assert main(["rates", "show", "--rates", str(out)]) == 0
    assert "2026-11-20" in capsys.readouterr().out
