"""The preview page in a real headless browser: Debian's chromium, driven by selenium through
Debian's chromium-driver, against the real service on a free loopback port.

No browser is downloaded (nothing but the package registries is reachable): .ci/run installs
``chromium`` and ``chromium-driver`` with apt-get. Without them these tests are skipped and
the run ends with a banner saying so (tests/conftest.py); with CI=true a missing browser is a
failure. Screenshots go to tests/artifacts/ (git-ignored).

The whole module takes about 8 s on a 2-core machine: one browser and one server for all
tests but the last, which needs rules that fail to reload.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest_service import DAY, Server, copy_rules
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pricing.service import EngineProvider, create_app

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
#: Where Debian puts them; PRICING_CHROMIUM / PRICING_CHROMEDRIVER point elsewhere.
CHROMIUM = os.environ.get("PRICING_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = (os.environ.get("PRICING_CHROMEDRIVER") or shutil.which("chromedriver")
          or "/usr/bin/chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--lang=en-US")
WAIT = 15  # seconds for anything the page does; the page's own request timeout is 15 s


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium package is not installed (pip install -e '.[dev]')"
    for path, package in ((CHROMIUM, "chromium"), (DRIVER, "chromium-driver")):
        if not (Path(path).is_file() and os.access(path, os.X_OK)):
            return f"{path} not found (apt-get install -y {package})"
    return None


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    why = _missing()
    if why is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and the browser tests cannot run: {why}; .ci/run must "
                        "install chromium and chromium-driver", pytrace=False)
        pytest.skip(f"BROWSER TESTS DID NOT RUN: {why}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.add_argument("--window-size=1280,1600")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    rules = copy_rules(tmp_path_factory.mktemp("browser") / "rules")
    shutil.copy(ROOT / "rules" / "markets" / "sa.toml", rules / "markets" / "sa.toml")
    provider = EngineProvider.from_directory(rules, locales=ROOT / "locales")
    with Server(create_app(provider, watch_interval=None)) as srv:
        yield srv


@pytest.fixture(scope="module")
def api(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as c:
        yield c


# -- helpers ----------------------------------------------------------------------------------

def by_id(driver: Any, element_id: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, element_id)


def shown_total(driver: Any) -> str:
    """The total as the page shows it, character for character (selenium's ``.text`` would
    turn the no-break space into a space and drop the right-to-left marks)."""
    return driver.execute_script("return document.getElementById('shopper-total').textContent")


def wait_for(driver: Any, condition: Any, what: str) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT, poll_frequency=0.05).until(condition, message=what)


def open_page(driver: Any, server: Server, query: str = "") -> None:
    driver.get(f"{server.url}/{query}")
    wait_for(driver, lambda d: d.find_element("tag name", "body").get_attribute("data-ready"),
             "the page never said it was ready (or that it failed)")


def quote_now(driver: Any) -> str:
    """Submit the cart and wait for the live region to give the outcome; return it."""
    by_id(driver, "quote-button").click()
    return wait_for(driver, lambda d: (t := by_id(d, "status").text).startswith(
        ("Quoted", "Not quoted")) and t, "no quote outcome in the live region")


def sent_request(driver: Any) -> dict[str, Any]:
    """The last request the page sent (it keeps it for the merchant to copy)."""
    return json.loads(driver.execute_script(
        "return document.getElementById('raw-request').textContent"))


def choose(driver: Any, element_id: str, value: str) -> None:
    from selenium.webdriver.support.ui import Select

    Select(by_id(driver, element_id)).select_by_value(value)


def no_console_errors(driver: Any) -> None:
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"
              and "favicon" not in e["message"]]
    # A 422 the page asked for on purpose is logged by Chrome as a failed resource: allowed.
    errors = [e for e in errors if "status of 422" not in e["message"]]
    assert errors == [], errors


# -- the tests --------------------------------------------------------------------------------

def test_the_shown_total_is_the_apis_to_the_character(browser, server, api):
    open_page(browser, server, f"?market=gb&date={DAY}")
    wait_for(browser, lambda d: by_id(d, "sample").get_attribute("value"), "no sample loaded")
    choose(browser, "sample", "above-low-value")
    outcome = quote_now(browser)
    assert outcome.startswith("Quoted"), outcome
    body = sent_request(browser)
    sample = next(c for c in api.get("/v1/markets/gb/samples", params={"date": DAY}).json()[
        "carts"] if c["id"] == "above-low-value")
    # The page sends what was chosen: the sample's items, the market's default language.
    assert body["items"] == sample["items"] and body["market"] == "gb"
    assert body["locale"] == "en_GB" and body["date"] == DAY
    expected = api.post("/v1/quotes", json=body).json()
    assert shown_total(browser) == expected["totals"]["total"]["formatted"]
    # Every charge is in the merchant's table, with its rule and its rate as a percentage.
    table = by_id(browser, "charges").text
    for charge in expected["charges"]:
        assert charge["rule"] in table
    assert "20 %" in table  # gb.toml: VAT rate "0.20"
    # The waterfall steps are the quote's exact amounts, ending on the total.
    bars = browser.execute_script(
        "return [...document.querySelectorAll('#waterfall rect')].map("
        "r => [r.dataset.step, r.dataset.amount])")
    assert bars[0] == ["Items", expected["totals"]["items"]["amount"]]
    assert bars[-1] == ["Total", expected["totals"]["total"]["amount"]]
    added = [c["amount"]["amount"] for c in expected["charges"] if not c["included"]
             and c["amount"]["amount"].strip("0.") != ""]
    assert [a for _, a in bars[1:-1]] == added
    assert by_id(browser, "fact-rules-version").text == expected["rules_version"]
    assert expected["fx"]["as_of"] in by_id(browser, "fact-rate-source").text
    no_console_errors(browser)


def test_arabic_is_shown_right_to_left(browser, server, api):
    ARTIFACTS.mkdir(exist_ok=True)
    open_page(browser, server, f"?market=sa&date={DAY}")
    choose(browser, "locale", "ar_SA")
    wait_for(browser, lambda d: by_id(d, "sample").get_attribute("value"), "no sample loaded")
    quote_now(browser)
    view = by_id(browser, "shopper-view")
    assert view.get_attribute("dir") == "rtl" and view.get_attribute("lang") == "ar-SA"
    assert browser.execute_script("return getComputedStyle(arguments[0]).direction",
                                  view) == "rtl"
    expected = api.post("/v1/quotes", json=sent_request(browser)).json()
    assert expected["direction"] == "rtl"
    assert shown_total(browser) == expected["totals"]["total"]["formatted"]
    assert "الإجمالي" in view.text  # "Total" in locales/ar/LC_MESSAGES/labels.po
    browser.save_screenshot(str(ARTIFACTS / "preview-sa-ar_SA.png"))
    assert (ARTIFACTS / "preview-sa-ar_SA.png").stat().st_size > 10_000


def test_an_api_error_is_shown_in_words_at_the_field(browser, server):
    open_page(browser, server, f"?market=de&date={DAY}")
    wait_for(browser, lambda d: d.find_elements("css selector", "#items [data-name=currency]"),
             "no item")
    currency = browser.find_element("css selector", "#items [data-name=currency]")
    currency.clear()
    currency.send_keys("EUX")  # no such currency (the field takes 3 letters)
    outcome = quote_now(browser)
    assert outcome.startswith("Not quoted")
    error = by_id(browser, "error")
    assert error.is_displayed()
    assert "The request is invalid" in error.text  # the problem's title
    assert "items[0].price.currency" in error.text  # its field
    assert currency.get_attribute("aria-invalid") == "true"
    assert by_id(browser, "quote-button").is_enabled()  # no spinner left behind
    # The shopper sees words of their own, in their language (locales/de/.../labels.po),
    # not the API's.
    assert by_id(browser, "shopper-view").text == (
        "Die Preise konnten nicht berechnet werden. Bitte versuchen Sie es gleich noch einmal.")
    no_console_errors(browser)


def test_a_timeout_is_said_in_words(browser, server):
    # Every request gives up after 1 ms: the page must say so and stop waiting.
    open_page(browser, server, "?market=de&timeout_ms=1")
    assert browser.find_element("tag name", "body").get_attribute("data-ready") == "error"
    error = by_id(browser, "error")
    assert error.is_displayed() and "did not answer within 1 ms" in error.text
    assert "busy" not in (by_id(browser, "status").get_attribute("class") or "")


def test_keyboard_labels_and_focus(browser, server):
    from selenium.webdriver.common.keys import Keys

    open_page(browser, server, f"?market=de&date={DAY}")
    unnamed = browser.execute_script("""
        return [...document.querySelectorAll('input, select, button, textarea')]
          .filter(e => e.offsetParent !== null)
          .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                       && !e.getAttribute('aria-labelledby') && !e.textContent.trim())
          .map(e => e.outerHTML.slice(0, 80));""")
    assert unnamed == []
    # The first Tab reaches the skip link, which shows itself; the next one the first control,
    # with a visible focus ring.
    browser.find_element("tag name", "body").send_keys(Keys.TAB)
    skip = browser.switch_to.active_element
    assert skip.get_attribute("class") == "skip"
    assert browser.execute_script("return getComputedStyle(arguments[0]).left", skip) != "-999px"
    skip.send_keys(Keys.TAB)
    # With unconfirmed facts in the rules, their disclosure comes first; then the form.
    if browser.switch_to.active_element.tag_name == "summary":
        browser.switch_to.active_element.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.get_attribute("id") == "market"
    focus = browser.execute_script(
        "const s = getComputedStyle(document.activeElement);"
        "return [s.outlineStyle, s.outlineWidth]")
    assert focus == ["solid", "3px"]
    # A keyboard user quotes by pressing Enter in any field of the form.
    field = browser.find_element("css selector", "#items [data-name=quantity]")
    field.send_keys(Keys.END, Keys.ENTER)
    wait_for(browser, lambda d: by_id(d, "status").text.startswith("Quoted"), "no quote")
    assert by_id(browser, "status").get_attribute("aria-live") == "polite"


def test_text_contrast_is_aa(browser, server):
    """WCAG 2.1 contrast (1.4.3): 4.5:1 for text, 3:1 for large text (24px, or 18.66px bold),
    computed from the colours the browser actually uses, over the whole quoted page."""
    open_page(browser, server, f"?market=de&date={DAY}")
    quote_now(browser)
    failures = browser.execute_script(CONTRAST_JS)
    assert failures == []


def test_usable_on_a_phone(browser, server, api):
    browser.set_window_size(390, 844)
    try:
        open_page(browser, server, f"?market=de&date={DAY}")
        assert quote_now(browser).startswith("Quoted")
        # The results, below the form on a phone, are brought into view.
        wait_for(browser, lambda d: d.execute_script(
            "return Math.abs(document.getElementById('results').getBoundingClientRect().top)"
            " < 2"), "the quote was not scrolled into view")
        # Nothing wider than the screen: the page never scrolls sideways (tables scroll in
        # their own box).
        widths = browser.execute_script(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert widths[0] <= widths[1], widths
        expected = api.post("/v1/quotes", json=sent_request(browser)).json()
        assert shown_total(browser) == expected["totals"]["total"]["formatted"]
        ARTIFACTS.mkdir(exist_ok=True)
        browser.save_screenshot(str(ARTIFACTS / "preview-de-phone.png"))
    finally:
        browser.set_window_size(1280, 1600)


CONTRAST_JS = """
function rgba(text) {
  const m = text.match(/rgba?\\(([^)]+)\\)/);
  if (!m) return [0, 0, 0, 0];
  const p = m[1].split(',').map(s => parseFloat(s));
  return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
}
function over(top, bottom) {  // top composited over an opaque bottom
  const a = top[3];
  return [0, 1, 2].map(i => top[i] * a + bottom[i] * (1 - a)).concat([1]);
}
function background(el) {
  const layers = [];
  for (let e = el; e; e = e.parentElement) {
    const c = rgba(getComputedStyle(e).backgroundColor);
    if (c[3] > 0) layers.push(c);
    if (c[3] >= 1) break;
  }
  let color = [255, 255, 255, 1];
  for (const c of layers.reverse()) color = over(c, color);
  return color;
}
function luminance(c) {
  const f = v => {
    v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
}
const out = [];
for (const el of document.body.querySelectorAll('*')) {
  if (el.closest('svg, [hidden], details:not([open]) > :not(summary)')) continue;
  const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
  if (!own || el.offsetParent === null) continue;
  const s = getComputedStyle(el);
  const bg = background(el);
  const fg = over(rgba(s.color), bg);
  const [a, b] = [luminance(fg), luminance(bg)].sort((x, y) => y - x);
  const ratio = (a + 0.05) / (b + 0.05);
  const size = parseFloat(s.fontSize);
  const large = size >= 24 || (size >= 18.66 && parseInt(s.fontWeight, 10) >= 700);
  if (ratio < (large ? 3 : 4.5)) {
    out.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className}: ${ratio.toFixed(2)} `
             + `"${el.textContent.trim().slice(0, 40)}"`);
  }
}
return out;
"""


def test_the_pages_arithmetic_is_exact(browser, server):
    """The page adds and shows amounts from the quote's decimal strings, never through a
    float: 0.1 + 0.2 is 0.30000000000000004 in binary, and 0.0725 * 100 is 7.249999999999999."""
    open_page(browser, server, "?market=de")
    got = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        import('./preview/assets/amounts.js').then(m => done([
          m.sum(['0.10', '0.20']), m.sum(['19.99', '0.01', '-5']), m.subtract('100', '0.01'),
          m.percent('0.0725'), m.percent('0.09975'), m.percent('0.2'), m.percent('1'),
          m.percent('0.100'), m.compare('1.10', '1.1'), m.sum(['9007199254740993.01', '0.01']),
        ])).catch(e => done(String(e)));""")
    assert got == ["0.30", "15.00", "99.99",  # exact sums: 19.99 + 0.01 - 5 = 15.00
                   "7.25 %", "9.975 %",  # California (us.toml), Quebec QST (FACTS.md)
                   "20 %", "100 %", "10 %", 0,
                   "9007199254740993.02"]  # past 2**53, where a float would lose the cents


def test_rule_problems_are_listed_in_plain_words(browser, tmp_path):
    rules = copy_rules(tmp_path / "rules")
    provider = EngineProvider.from_directory(rules)
    de = rules / "markets" / "de.toml"
    de.write_text(de.read_text("utf-8").replace('currency = "EUR"', 'currency = "EUX"'),
                  "utf-8")
    assert provider.reload(trigger="test").outcome == "failed"
    with Server(create_app(provider, watch_interval=None)) as srv:
        open_page(browser, srv, "?market=de")
        wait_for(browser, lambda d: by_id(d, "rules-problems").is_displayed(),
                 "the rule problems are not shown")
        listed = by_id(browser, "rules-problems").text
        status = by_id(browser, "rules-status-text").text
    assert "markets/de.toml:7 currency (rules): unknown currency code" in listed
    assert "did you mean UGX?" in listed and "EUX" not in listed
    assert "1 problem to fix" in status and "still serving" in status


def test_text_from_a_cart_is_shown_as_text_never_run(browser, server):
    """A title (or any text the page shows) is put in with textContent: markup in it is shown
    as typed, never parsed, and the page's Content-Security-Policy refuses inline script."""
    open_page(browser, server, f"?market=de&date={DAY}")
    title = browser.find_element("css selector", "#items [data-name=title]")
    title.send_keys('<img src=x onerror="document.body.dataset.pwned=1"><b>Mug</b>')
    assert quote_now(browser).startswith("Quoted")
    line = browser.find_element("css selector", "#shopper-view li span").text
    assert line == '<img src=x onerror="document.body.dataset.pwned=1"><b>Mug</b>'
    assert browser.find_elements("css selector", "#shopper-view img, #shopper-view b") == []
    assert browser.find_element("tag name", "body").get_attribute("data-pwned") is None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(amounts=st.lists(st.decimals(min_value=-10**12, max_value=10**12, places=2,
                                    allow_nan=False, allow_infinity=False), max_size=12),
       rate=st.decimals(min_value=0, max_value=1, places=5))
def test_the_pages_sums_and_percentages_agree_with_decimal(browser, server, amounts, rate):
    """The page's sum of any amounts equals Python's Decimal sum to the cent, and its
    percentage of any rate is the rate times 100 exactly (Decimal as the oracle)."""
    if not browser.current_url.startswith(server.url):  # once: module-scoped fixtures
        open_page(browser, server, "?market=de")
    texts = [str(a) for a in amounts]
    got = browser.execute_async_script("""
        const [texts, rate, done] = arguments;
        import('./preview/assets/amounts.js').then(m => done(
          [texts.length ? m.sum(texts) : '0', m.percent(rate)])).catch(e => done(String(e)));
        """, texts, str(rate))
    total = sum(amounts, Decimal(0))
    assert Decimal(got[0]) == total and got[0] == (str(total) if amounts else "0")
    assert got[1].endswith(" %") and Decimal(got[1][:-2]) == rate * 100

