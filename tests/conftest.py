"""Shared fixtures: the bundled rules, a fixed rate table, and a writable copy of the rules.

Also the Hypothesis profiles (docs/testing.md, "Running the project's tests"):

* ``ci`` (chosen when ``CI=true``): derandomized, so a CI run tries the same examples every
  time and a red run is red again on a laptop; no example database (CI starts from a clean
  clone); a failure prints the ``@reproduce_failure`` blob.
* ``dev`` (the default): fresh random examples each run, remembered failures replayed first
  from ``.hypothesis/``, and the blob printed on failure too.

``HYPOTHESIS_PROFILE=ci`` (or ``dev``) picks one explicitly.
"""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import pytest
from hypothesis import settings

from pricing import Engine, RateTable, load_rules

settings.register_profile("ci", derandomize=True, database=None, print_blob=True,
                          deadline=None)
settings.register_profile("dev", print_blob=True, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE")
                      or ("ci" if os.environ.get("CI", "").lower() == "true" else "dev"))

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
QUOTE_DAY = date(2026, 11, 23)

#: Round rates so that worked examples can be computed by hand (units per 1 EUR).
EASY_RATES = RateTable.from_mapping(
    {"USD": "1.10", "GBP": "0.85", "CAD": "1.50", "JPY": "160", "CHF": "0.95", "AUD": "1.60",
     "BHD": "0.41", "NOK": "11.50", "SEK": "11.00", "PLN": "4.30", "DKK": "7.46",
     "CZK": "25.00", "HUF": "400", "RON": "5.00", "MXN": "20.00", "BRL": "6.00",
     "NZD": "1.80", "KRW": "1500", "SGD": "1.45", "INR": "92.00", "AED": "4.00",
     "SAR": "4.10", "ZAR": "20.00", "CNY": "7.80"},
    base="EUR", as_of=QUOTE_DAY, source="test rates")


@pytest.fixture(scope="session")
def rules():
    return load_rules(RULES)


@pytest.fixture(scope="session")
def engine(rules):
    """The bundled rules with round test rates and a fixed clock."""
    return Engine(rules, rates=EASY_RATES, clock=lambda: QUOTE_DAY)


@pytest.fixture
def rules_copy(tmp_path):
    """A writable copy of the bundled rules for tests that edit them."""
    target = tmp_path / "rules"
    shutil.copytree(RULES, target)
    return target


def market_head(market_id: str, country: str, currency: str, *, display: str = "exclusive",
                incoterm: str = "DDP") -> str:
    """The first keys of a small test market file (a bare ``[shipping]`` and tax follow)."""
    return (f'id = "{market_id}"\nname = "{market_id} (test)"\ncountries = ["{country}"]\n'
            f'currency = "{currency}"\nlocales = ["en"]\ndefault_locale = "en"\n'
            f'price_display = "{display}"\nincoterm = "{incoterm}"\n')


#: The shop file of small test markets: EUR prices, shipped from China.
TEST_SHOP = 'name = "T"\nbase_currency = "EUR"\nship_from = "CN"\n'


def one_regime(*, tax: str = "sale", duty: str = "none") -> str:
    """A ``[[regimes]]`` entry every cart falls in (no limit), for tests of other stages."""
    return (f'\n[[regimes]]\nid = "all"\nname = "Everything"\ntax = "{tax}"\n'
            f'duty = "{duty}"\n')


def engine_for(root: Path, shop: str, markets: dict[str, str]) -> Engine:
    """An engine on a small rule set written to ``root``: ``shop.toml`` and one file per
    market id, with the round test rates and the fixed quote day."""
    (root / "markets").mkdir(parents=True)
    (root / "shop.toml").write_text(shop, "utf-8")
    for market_id, text in markets.items():
        (root / "markets" / f"{market_id}.toml").write_text(text, "utf-8")
    return Engine(load_rules(root), rates=EASY_RATES, clock=lambda: QUOTE_DAY)


def item(sku="A", amount="10.00", *, qty=1, currency="EUR", **extra):
    return {"sku": sku, "quantity": qty, "price": {"amount": amount, "currency": currency},
            **extra}


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Say loudly when the browser tests did not run (tests/test_preview_browser.py skips them
    without chromium, except under CI=true where that is a failure)."""
    reasons = {str(r.longrepr[2]) if isinstance(r.longrepr, tuple) else str(r.longrepr)
               for r in terminalreporter.stats.get("skipped", [])}
    missed = sorted(r for r in reasons if "BROWSER TESTS DID NOT RUN" in r)
    if missed:
        terminalreporter.write_sep("!", "THE BROWSER TESTS DID NOT RUN", red=True, bold=True)
        for reason in missed:
            terminalreporter.write_line(reason, red=True, bold=True)
        terminalreporter.write_line("Install them with: apt-get install -y chromium "
                                    "chromium-driver (.ci/run does; CI=true fails without)",
                                    red=True, bold=True)
