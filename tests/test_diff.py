"""`pricing diff`: the same carts under two rule sets (folders or git revisions), what moved
and the rules responsible; exit 0 unchanged, 3 changed, 1 invalid rules or carts, 2 usage."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import EASY_RATES, QUOTE_DAY, RULES
from market_rates import with_round_rates

from pricing.cli import main
from pricing.diff import sample_carts
from pricing.engine import Engine
from pricing.markets import load_rules

DAY = QUOTE_DAY.isoformat()
MARKETS = ("de", "ca", "jp", "us")


def _rules(target: Path) -> Path:
    """shop.toml, the zones and four markets: enough for every kind of change, and quick."""
    (target / "markets").mkdir(parents=True)
    shutil.copy(RULES / "shop.toml", target / "shop.toml")
    shutil.copytree(RULES / "zones", target / "zones")
    for m in MARKETS:
        shutil.copy(RULES / "markets" / f"{m}.toml", target / "markets" / f"{m}.toml")
    return target


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def _vat_20(rules: Path) -> None:
    _edit(rules / "markets" / "de.toml", '{ value = "0.19", from = 2021-01-01 }',
          '{ value = "0.20", from = 2021-01-01 }')


@pytest.fixture
def sides(tmp_path):
    before, after = _rules(tmp_path / "before"), _rules(tmp_path / "after")
    return before, after


def _diff(*args: str) -> list[str]:
    return ["diff", "--date", DAY, *args]


def test_unchanged_rules_exit_0(sides, capsys):
    before, after = sides
    assert main(_diff("--before", str(before), "--after", str(after))) == 0
    out = capsys.readouterr().out
    assert "0 of " in out and "4 markets unchanged, no cart refused" in out


def test_a_vat_change_exits_3_and_names_the_rule_on_both_sides(sides, tmp_path, capsys):
    before, after = sides
    _vat_20(after)
    carts = tmp_path / "carts.jsonl"
    carts.write_text(
        "# a German order shipped from Germany: VAT inside the price, no customs\n"
        + json.dumps({"id": "de-shop", "destination": {"country": "DE"}, "ship_from": "DE",
                      "items": [{"sku": "TEE", "quantity": 1,
                                 "price": {"amount": "100.00", "currency": "EUR"}}]}) + "\n"
        + json.dumps({"id": "jp", "destination": {"country": "JP"}, "ship_from": "DE",
                      "items": [{"sku": "TEE", "quantity": 1,
                                 "price": {"amount": "100.00", "currency": "EUR"}}]}) + "\n")
    assert main(_diff("--before", str(before), "--after", str(after), "--carts", str(carts),
                      "--format", "json")) == 3
    doc = json.loads(capsys.readouterr().out)
    assert doc["summary"] == {"carts": 2, "changed": 1, "markets": 2, "markets_changed": 1}
    de = next(c for c in doc["carts"] if c["id"] == "de-shop")
    assert de["changed"] and not next(c for c in doc["carts"] if c["id"] == "jp")["changed"]
    (vat,) = de["charges"]
    # 100.00 EUR becomes 100.99 EUR (the eu zone's .99 ending); shipping is free over 80 EUR.
    # VAT inside the price: 100.99 x 0.19 / 1.19 = 16.1245 -> 16.12 EUR;
    #                       100.99 x 0.20 / 1.20 = 16.8317 -> 16.83 EUR.
    assert (vat["kind"], vat["name"]) == ("tax", "VAT")
    assert vat["before"]["amount"]["amount"] == "16.12" and vat["before"]["rate"] == "0.19"
    assert vat["after"]["amount"]["amount"] == "16.83" and vat["after"]["rate"] == "0.20"
    assert vat["before"]["rule"] == vat["after"]["rule"] == "markets/de.toml#tax.components[0]"
    # Prices include VAT in Germany: the shopper pays the same 100.99 EUR.
    assert de["before"]["total"]["amount"] == de["after"]["total"]["amount"] == "100.99"
    assert de["delta"] == "0.00"


def test_markdown_ready_for_a_pull_request(sides, capsys):
    before, after = sides
    _vat_20(after)
    assert main(_diff("--before", str(before), "--after", str(after), "--format",
                      "markdown")) == 3
    md = capsys.readouterr().out
    assert md.startswith(f"### Pricing diff: `{before}` → `{after}`")
    assert "| Market | Carts | Changed | Refused before | Refused after | Largest change |" in md
    assert "| de |" in md and "| ca |" not in md  # only markets where something moved
    assert "3 other markets unchanged." in md
    assert "#### de:" in md and "<details><summary>What moved" in md
    assert "rate 19 % → 20 % (markets/de.toml#tax.components[0])" in md
    assert md.count("<details>") == md.count("</details>")


def test_table_when_piped(sides, capsys):
    before, after = sides
    _edit(after / "markets" / "ca.toml", 'name = "GST"\nrate = "0.05"',
          'name = "GST"\nrate = "0.06"')
    assert main(_diff("--before", str(before), "--after", str(after), "--market", "ca")) == 3
    out = capsys.readouterr().out
    assert "ca/import" in out and "rate 5 % → 6 %" in out and "\x1b[" not in out


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True, env=env, timeout=60).stdout


@pytest.fixture
def repo(tmp_path):
    """A merchant's rules repository: two commits, the second raising German VAT."""
    root = tmp_path / "shop"
    rules = _rules(root / "rules")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "rules")
    _vat_20(rules)
    _git(root, "commit", "-q", "-am", "VAT 20 %")
    return root


def test_git_revisions(repo, capsys):
    rules = str(repo / "rules")
    assert main(_diff("--rules", rules, "--before", "HEAD~1", "--after", "HEAD",
                      "--market", "de")) == 3
    out = capsys.readouterr().out
    head = _git(repo, "rev-parse", "HEAD").strip()
    assert f"HEAD ({head[:10]})" in out and "rate 19 % → 20 %" in out
    # The default: the working tree against HEAD; nothing uncommitted, nothing changed.
    assert main(_diff("--rules", rules)) == 0
    capsys.readouterr()
    _edit(repo / "rules" / "markets" / "jp.toml", 'rate = "0.10"', 'rate = "0.11"')
    assert main(_diff("--rules", rules, "--format", "json")) == 3
    doc = json.loads(capsys.readouterr().out)
    assert {c["market"] for c in doc["carts"] if c["changed"]} == {"jp"}
    assert doc["after"]["label"] == rules


def test_unknown_revision_is_a_usage_error(repo, capsys):
    assert main(_diff("--rules", str(repo / "rules"), "--before", "mian")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "'--before': --before 'mian' is neither a folder nor a git revision" in err
    assert "did you mean 'main'?" in err


def test_a_side_that_does_not_validate(sides, capsys):
    before, after = sides
    _edit(after / "markets" / "de.toml", 'currency = "EUR"', 'currency = "EUX"')
    _edit(after / "markets" / "jp.toml", 'rate = "0.10"', 'rate = "10"')
    assert main(_diff("--before", str(before), "--after", str(after))) == 1
    err = capsys.readouterr().err.splitlines()
    # Every problem, each naming the side, then the file (and line) and key.
    assert len(err) == 3 and all(line.startswith(f"--after {after}: ") for line in err[:2])
    assert "markets/de.toml" in err[0] and "currency: unknown currency" in err[0]
    assert "markets/jp.toml" in err[1] and "tax.components[0].rate" in err[1]
    assert err[-1] == f"error: the rules of --after {after} do not validate (2 problems)"


def test_refused_carts_are_listed_not_fatal(sides, tmp_path, capsys):
    before, after = sides
    carts = tmp_path / "carts.jsonl"
    carts.write_text("\n".join(json.dumps(c) for c in [
        {"id": "ok", "destination": {"country": "DE"}, "items": [
            {"sku": "A", "quantity": 1, "price": {"amount": "10.00", "currency": "EUR"}}]},
        {"id": "no-market", "destination": {"country": "FR"}, "items": [
            {"sku": "A", "quantity": 1, "price": {"amount": "10.00", "currency": "EUR"}}]},
        {"id": "bad-region", "destination": {"country": "US", "region": "QC"}, "items": [
            {"sku": "A", "quantity": 1, "price": {"amount": "10.00", "currency": "EUR"}}]},
    ]) + "\n")
    assert main(_diff("--before", str(before), "--after", str(after), "--carts", str(carts),
                      "--format", "markdown")) == 0
    md = capsys.readouterr().out
    assert "Carts refused on both sides (2)" in md
    assert "- `no-market`: no market serves FR" in md
    assert "- `bad-region`: destination.region: unknown region 'QC' of US" in md


def test_bad_carts_file(sides, tmp_path, capsys):
    before, after = sides
    carts = tmp_path / "carts.jsonl"
    carts.write_text('{"destination": {"country": "DE"}, "items": []}\n{oops\n[1]\n')
    assert main(_diff("--before", str(before), "--after", str(after), "--carts",
                      str(carts))) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"{carts}:2: invalid JSON")
    assert err[1].startswith(f"{carts}:3: a cart is a JSON object")
    assert err[-1] == f"error: 2 bad line(s) in {carts}; nothing was compared"


@pytest.mark.parametrize(("args", "says"), [
    (["--market", "xx"], "'--market': no market 'xx' on either side"),
    (["--market", "dee"], "did you mean 'de'?"),
    (["--format", "html"], "'html' is not one of 'table', 'json', 'markdown'"),
    (["--date", "23/11/2026"], "did you mean 2026-11-23?"),
    (["--carts", "missing.jsonl"], "'--carts'"),
    (["--rates", "missing.xml"], "'--rates'"),
])
def test_bad_arguments(sides, args, says, capsys):
    before, after = sides
    assert main(["diff", "--before", str(before), "--after", str(after), *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and says in err


def test_sample_carts_cover_every_regime_threshold():
    """For every regime with a value threshold in the bundled rules, a cart at half the
    threshold passes that regime's test (or an earlier regime takes it) and a cart at one and
    a half times fails it; every tax category and region has its cart."""
    rules = load_rules(RULES)
    rates = with_round_rates(EASY_RATES)  # every market's currency, at round test rates
    engine = Engine(rules, rates=rates)
    carts = {c.id: c for c in sample_carts([rules], rates, on=QUOTE_DAY)}

    def cart_for(market: str, regime: str, side: str):
        # A cart that serves two regimes is kept once, its "why" naming both.
        (found,) = [c for c in carts.values() if c.market == market and any(
            w.startswith(f"regime {regime} (") and f": {side} its max_value" in w
            for w in c.why.split("; "))]
        return found

    checked = 0
    for market in rules.markets.values():
        for regime in market.spec.regimes:
            if regime.max_value is None or not regime.in_force(QUOTE_DAY):
                continue
            for key, passes in (("half", True), ("one and a half times", False)):
                cart = cart_for(market.id, regime.id, key)
                tests = engine.quote(dict(cart.request), on=QUOTE_DAY).regime["tests"]
                mine = [t for t in tests if t["regime"] == regime.id]
                if passes:
                    assert not mine or mine[0]["passed"], (cart.id, tests)
                else:
                    assert mine and not mine[0]["passed"], (cart.id, tests)
                checked += 1
        spec = market.spec
        for comp in spec.tax.components if spec.tax else ():
            for cat in comp.categories:
                assert f"{market.id}/category-{cat}" in carts
            for region in comp.regions:
                assert any(c.market == market.id
                           and c.request["destination"].get("region") == region
                           for c in carts.values()), region
    assert checked >= 40
    # Every generated cart is one a market accepts.
    refused = []
    for cart in carts.values():
        try:
            engine.quote(dict(cart.request), on=QUOTE_DAY)
        except Exception as e:  # collected, to list every refusal at once
            refused.append((cart.id, str(e)))
    assert refused == []


def test_value_thresholds_are_converted(tmp_path):
    """A threshold in a foreign currency (CAD 40) becomes carts in the shop's currency:
    half is 20 CAD = 13.33 EUR, one and a half times 60 CAD = 40.00 EUR at 1.50 CAD/EUR."""
    rules = load_rules(_rules(tmp_path / "r"))
    carts = {c.id: c for c in sample_carts([rules], EASY_RATES, on=QUOTE_DAY)}
    below = carts["ca/regime-cusma-free-below"].request["items"][0]["price"]
    above = carts["ca/regime-cusma-free-above"].request["items"][0]["price"]
    assert below == {"amount": "13.33", "currency": "EUR"}
    assert above == {"amount": "40.00", "currency": "EUR"}
    assert Decimal(above["amount"]) * Decimal("1.50") == Decimal("60.0000")


def test_a_currency_the_rates_lack_is_said_not_fatal(sides, tmp_path, capsys):
    """Rates without JPY: Japan's carts are refused on both sides, the report says why, and
    the other markets are still compared."""
    before, after = sides
    # Dated before the bundled history (ECB from 1999-01-04), so that reading the file adds
    # neither pegs nor bundled rates for what it lacks: JPY stays missing.
    rates = tmp_path / "rates.csv"
    rates.write_text("base,date,currency,rate\nEUR,1998-12-31,USD,1.10\nEUR,1998-12-31,CAD,1.50\n")
    assert main(_diff("--before", str(before), "--after", str(after), "--rates", str(rates),
                      "--format", "json")) == 0
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    (note,) = doc["notes"]
    assert "have no JPY" in note and "(jp)" in note and "--rates FILE" in note
    assert captured.err.startswith("warning: the rates (file:rates.csv, 1998-12-31) have no JPY")
    jp = [c for c in doc["carts"] if c["market"] == "jp"]
    assert jp and all("no exchange rate for JPY" in c["before"]["refused"] for c in jp)
    assert all(not c["changed"] for c in doc["carts"])
    assert any(c["market"] == "de" and "total" in c["after"] for c in doc["carts"])


def _vat(amount: str, rate: str) -> dict[str, object]:
    return {"kind": "tax", "name": "VAT", "amount": {"amount": amount, "currency": "EUR"},
            "base": None, "rate": rate, "included": True, "payable": "checkout",
            "base_parts": []}


def test_a_second_charge_of_the_same_name_is_a_change_of_its_own() -> None:
    from pricing.diff import ChargeChange, _charge_changes

    # Charges pair by kind and name in order: a book rate added beside the standard VAT is
    # the second "VAT" of the new quote, paired with nothing in the old one (and the reverse
    # when it goes). The lists differ in length: each extra charge is one change.
    one = {"charges": [_vat("1.90", "0.19")]}
    two = {"charges": [_vat("1.90", "0.19"), _vat("0.70", "0.07")]}
    assert _charge_changes(one, two) == (ChargeChange("tax", "VAT", None, _vat("0.70", "0.07")),)
    assert _charge_changes(two, one) == (ChargeChange("tax", "VAT", _vat("0.70", "0.07"), None),)
    assert _charge_changes(two, two) == ()


@pytest.mark.parametrize(("delta", "sign"), [
    (Decimal("0.01"), "+"), (Decimal("0.00"), "±"), (Decimal("-0.01"), "−")])
def test_a_change_of_total_is_signed_and_no_change_is_plus_minus(delta: Decimal,
                                                                 sign: str) -> None:
    from pricing.diff import _signed

    assert _signed(delta, {"currency": "EUR", "locale": "en_IE"}) == sign + "€" + str(abs(delta))
