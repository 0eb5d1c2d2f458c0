"""Rule files fail safe: each defect of issue 13 (and issue 16's bad input) as a regression test.

Every bad edit here is a :class:`RulesError` naming file, key (or line) and the fix; nothing is
read outside the rules folder, nothing blocks, nothing is resolved exponentially, and a rule set
that loads can be quoted.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from pathlib import Path

import pytest
from conftest import RULES

from pricing import Engine, RulesError, load_rules
from pricing.api.provider import EngineProvider
from pricing.markets import loader
from pricing.markets.loader import MAX_FILE_BYTES, check_rules


def copy(tmp_path: Path, *markets: str) -> Path:
    """shop.toml, zones/ and the named markets of the bundled rules."""
    root = tmp_path / "rules"
    (root / "markets").mkdir(parents=True)
    shutil.copy(RULES / "shop.toml", root / "shop.toml")
    shutil.copytree(RULES / "zones", root / "zones")
    for m in markets:
        shutil.copy(RULES / "markets" / f"{m}.toml", root / "markets" / f"{m}.toml")
    return root


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), "utf-8")


def line_of(path: Path, fragment: str) -> int:
    return next(i for i, ln in enumerate(path.read_text("utf-8").splitlines(), 1)
                if fragment in ln)


def problems(root: Path) -> list:
    with pytest.raises(RulesError) as e:
        load_rules(root)
    return list(e.value.problems)


def only(root: Path):
    found = problems(root)
    assert len(found) == 1, "\n".join(map(str, found))
    return found[0]


def in_thread(fn, *, seconds: float = 30):
    """Run ``fn`` in a daemon thread: a call that blocks fails the test instead of hanging it."""
    out: dict = {}

    def run() -> None:
        try:
            out["value"] = fn()
        except BaseException as e:  # handed back to the test
            out["error"] = e
    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"{fn} still blocked after {seconds} s"
    if "error" in out:
        raise out["error"]
    return out.get("value")


# -- 1. accepted by validate, 500 at quote time: now refused at load -----------------------------

def test_a_date_time_where_a_date_belongs_is_a_rule_error(tmp_path):
    root = copy(tmp_path, "in")
    edit(root / "markets/in.toml", 'rate = [{ value = "0.18", from = 2017-07-01 }]',
         'rate = [{ value = "0.18", from = 2017-07-01T00:00:00 }]')
    p = only(root)
    assert (p.file, p.key, p.line) == ("markets/in.toml", "tax.components[0].rate[0]",
                                       line_of(root / "markets/in.toml", "T00:00:00"))
    assert "write the day alone: 2017-07-01" in p.message
    assert p.value == '{ value = "0.18", from = 2017-07-01T00:00:00 }'  # as written in TOML


def test_a_date_time_in_a_regime_date_is_a_rule_error(tmp_path):
    root = copy(tmp_path, "nz")
    edit(root / "markets/nz.toml", "from = 2019-12-01", "from = 2019-12-01T00:00:00Z")
    p = only(root)
    assert (p.file, p.key) == ("markets/nz.toml", "regimes[0].from")


@pytest.mark.parametrize(("file", "old", "new", "key"), [
    ("markets/nz.toml", 'step = "1"', 'step = "99999999999999999999999999"',
     "pricing.ending.step"),
    ("markets/nz.toml", 'step = "1"', 'step = "1E+30"', "pricing.ending.step"),
    ("markets/nz.toml", 'step = "1"', 'step = "0.0000000000001"', "pricing.ending.step"),
    ("markets/nz.toml", "days = [7, 14]", "days = [7, 99999999999]", "shipping.standard.days.1"),
    ("markets/nz.toml", 'max_kg = "30"', 'max_kg = "1e9"', "shipping.standard.max_kg"),
    ("markets/nz.toml", 'price = "27.99 NZD"', 'price = "27.99e3 NZD"',
     "shipping.standard.bands[0].price"),
    ("markets/nz.toml", 'rate = "0.05"', 'rate = "0.0500000000000000001"', "duty.rate"),
    ("markets/nz.toml", 'max_value = "1000.00 NZD"', 'max_value = "1_000.00 NZD"',
     "regimes[0].max_value"),
    ("shop.toml", 'default_item_weight_kg = "0.5"',
     'default_item_weight_kg = "99999999999999999999999999"', "default_item_weight_kg"),
    ("shop.toml", "quote_ttl_seconds = 900", 'quote_ttl_seconds = "900"', "quote_ttl_seconds"),
])
def test_every_number_in_the_rules_is_bounded(tmp_path, file, old, new, key):
    root = copy(tmp_path, "nz")
    edit(root / file, old, new)
    p = only(root)
    assert (p.file, p.key.replace("[", ".").replace("]", "")) == (
        file, key.replace("[", ".").replace("]", ""))
    assert p.line is not None


# -- 2. loader exceptions that were not rule errors -----------------------------------------

def test_datetimes_in_multi_period_values_are_a_rule_error_not_a_type_error(tmp_path):
    root = copy(tmp_path, "de")
    edit(root / "markets/de.toml", "{ value = \"0.16\", from = 2020-07-01, to = 2020-12-31 }",
         "{ value = \"0.16\", from = 2020-07-01T00:00:00, to = 2020-12-31 }")
    p = only(root)
    assert p.key == "tax.components[0].rate[1]" and p.line is not None


@pytest.mark.parametrize("extra", [
    "deep = " + "[" * 600 + "]" * 600,             # RecursionError inside tomllib
    "deep = " + "{ a = " * 600 + "1" + " }" * 600,
    ".".join(["a"] * 5000) + " = 1",               # parsed, then nested too deep for us
    "deep = " + "[" * 20 + "]" * 20,               # parsed, 20 levels
])
def test_deep_nesting_is_a_rule_error_with_a_place(tmp_path, extra):
    root = copy(tmp_path, "nz")
    (root / "markets/nz.toml").write_text(extra + "\n" + (RULES / "markets/nz.toml").read_text(
        "utf-8"), "utf-8")
    p = only(root)
    assert p.file == "markets/nz.toml" and "nested too deeply" in p.message
    assert p.key or p.line == 1


def test_a_5000_digit_integer_is_a_rule_error(tmp_path):
    root = copy(tmp_path, "nz")
    edit(root / "markets/nz.toml", "days = [7, 14]", "days = [7, " + "9" * 5000 + "]")
    p = only(root)
    assert p.file == "markets/nz.toml" and p.line is not None


def test_validate_prints_no_traceback_for_a_broken_file(tmp_path, capsys):
    from pricing.cli import main

    root = copy(tmp_path, "nz")
    edit(root / "markets/nz.toml", 'step = "1"', 'step = "1E+30"')
    assert main(["validate", str(root)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    line = line_of(root / "markets/nz.toml", "1E+30")
    assert err.startswith(f"markets/nz.toml:{line}: pricing.ending.step: ")


# -- 3. reloads that hung -------------------------------------------------------------------

def _ladder(root: Path, depth: int) -> None:
    """z0 extends [a1, b1]; a_i and b_i both extend z_i, which extends [a_i+1, b_i+1]: without
    memoization 2^depth resolutions."""
    zones = root / "zones"
    for i in range(depth):
        (zones / f"z{i}.toml").write_text(f'extends = ["a{i + 1}", "b{i + 1}"]\n', "utf-8")
        (zones / f"a{i + 1}.toml").write_text(f'extends = "z{i + 1}"\n', "utf-8")
        (zones / f"b{i + 1}.toml").write_text(f'extends = "z{i + 1}"\n', "utf-8")
    (zones / f"z{depth}.toml").write_text('extends = "eu"\n', "utf-8")


def test_each_zone_is_resolved_once_however_many_paths_lead_to_it(tmp_path, monkeypatch):
    root = copy(tmp_path, "de", "fr")
    _ladder(root, 3)  # 3 rungs: z0 -> a1/b1 -> z1 -> ... -> z3 -> eu, 7 levels deep
    edit(root / "markets/de.toml", 'extends = "eu"', 'extends = "z0"')
    edit(root / "markets/fr.toml", 'extends = "eu"', 'extends = "z0"')
    calls: list[Path] = []
    real = loader._Reader._resolve

    def counting(self, path, stack):
        calls.append(path)
        return real(self, path, stack)
    monkeypatch.setattr(loader._Reader, "_resolve", counting)
    rules = load_rules(root)
    assert set(rules.markets) == {"de", "fr"}
    # every file resolved exactly once: 2 markets + z0..z3 + a1..a3 + b1..b3 + eu
    assert len(calls) == len(set(calls)) == 2 + 4 + 3 + 3 + 1


def test_a_ladder_of_zones_deeper_than_the_limit_is_refused_at_once(tmp_path):
    root = copy(tmp_path, "de")
    _ladder(root, 18)  # the depth 18: 20 s of exponential resolution before
    edit(root / "markets/de.toml", 'extends = "eu"', 'extends = "z0"')
    found = in_thread(lambda: problems(root))
    assert any(p.key.startswith("extends") and "more than 8 deep" in p.message for p in found)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_is_refused_without_blocking_the_loader_or_the_watcher(tmp_path):
    root = copy(tmp_path, "de")
    os.mkfifo(root / "markets" / "pipe.toml")
    found = in_thread(lambda: problems(root))
    assert [(p.file, p.message) for p in found] == [
        ("markets/pipe.toml", "not a regular file (a FIFO); rule files must be plain files")]
    provider = EngineProvider(Engine(load_rules(RULES)), rules_dir=root)
    assert in_thread(provider.fingerprint)  # the watcher's poll returns


def test_a_link_to_dev_zero_is_refused_unread(tmp_path):
    root = copy(tmp_path, "de")
    (root / "markets" / "zero.toml").symlink_to("/dev/zero")
    (p,) = in_thread(lambda: problems(root))
    assert p.file == "markets/zero.toml" and "outside the rules folder" in p.message


def test_an_oversized_file_is_refused_by_its_size_unread(tmp_path):
    root = copy(tmp_path, "de")
    with open(root / "markets" / "big.toml", "wb") as f:
        f.truncate(50 * 1024 * 1024)  # sparse: 50 MB by size, nothing written
    (p,) = problems(root)
    assert p.file == "markets/big.toml" and f"{MAX_FILE_BYTES:,}" in p.message


# -- 4. references stay inside the rules folder --------------------------------------------

@pytest.mark.parametrize("target", ["/etc/hostname", "../../x", "../shop", "zones/eu", ".."])
def test_extends_names_a_zone_never_a_path(tmp_path, target):
    outside = tmp_path / "x.toml"
    outside.write_text('secret = "s3cr3t"\n', "utf-8")
    root = copy(tmp_path, "at")
    edit(root / "markets/at.toml", 'extends = "eu"', f'extends = ["eu", "{target}"]')
    p = only(root)
    assert (p.file, p.key) == ("markets/at.toml", "extends[1]")
    assert "never a path" in p.message and "s3cr3t" not in str(p)


def test_a_market_file_linked_from_outside_is_refused(tmp_path):
    outside = tmp_path / "elsewhere.toml"
    shutil.copy(RULES / "markets" / "nz.toml", outside)
    root = copy(tmp_path, "de")
    (root / "markets" / "nz.toml").symlink_to(outside)
    p = only(root)
    assert p.file == "markets/nz.toml" and "outside the rules folder" in p.message


def test_links_that_stay_inside_the_folder_are_followed(tmp_path):
    """The layout of a Kubernetes ConfigMap volume: every file a link into ..data/."""
    root = tmp_path / "rules"
    data = root / "..2026_11_29" / "markets"
    data.mkdir(parents=True)
    shutil.copy(RULES / "markets" / "nz.toml", data / "nz.toml")
    shutil.copy(RULES / "shop.toml", data.parent / "shop.toml")
    (root / "..data").symlink_to("..2026_11_29")
    (root / "markets").symlink_to("..data/markets")
    (root / "shop.toml").symlink_to("..data/shop.toml")
    assert list(load_rules(root).markets) == ["nz"]


# -- 9. errors name the file that holds the key -------------------------------------------

def test_a_cross_field_error_of_a_market_names_the_market_not_its_zone(tmp_path):
    root = copy(tmp_path, "at")
    edit(root / "markets/at.toml", 'locales = ["de_AT", "en_AT"]', "locales = []")
    found = problems(root)
    assert [(p.file, p.key, p.line) for p in found] == [("markets/at.toml", "locales", 14)]


def test_a_cross_field_error_in_a_zone_key_names_the_zone(tmp_path):
    root = copy(tmp_path, "at")
    edit(root / "zones/eu.toml", 'incoterm = "DDP"', 'incoterm = "DAP"')
    p = problems(root)[0]
    assert (p.file, p.key) == ("zones/eu.toml", "incoterm")


# -- issue 16: sources, unconfirmed facts, countries claimed twice ------------------------

def test_validate_requires_dated_sources(tmp_path):
    root = copy(tmp_path, "nz", "at")
    text = (root / "markets/nz.toml").read_text("utf-8")
    start = text.index("sources = [")
    end = text.index("]\n", start) + 2
    (root / "markets/nz.toml").write_text(text[:start] + text[end:], "utf-8")
    edit(root / "markets/at.toml", "ibericode/vat-rates vat-rates.json, AT (checked 2026-11-23)",
         "ibericode/vat-rates vat-rates.json, AT")
    found = check_rules(root, require_sources=True).problems
    assert [(p.file, p.key) for p in found] == [("markets/at.toml", "sources[0]"),
                                                ("markets/nz.toml", "id")]
    assert "not dated" in found[0].message and "no sources" in found[1].message
    # loading for quotes needs no sources, but a listed source must be dated
    assert [(p.file, p.key) for p in problems(root)] == [("markets/at.toml", "sources[0]")]


def test_unconfirmed_facts_name_keys_that_exist(tmp_path):
    root = copy(tmp_path, "nz")
    nz = root / "markets/nz.toml"
    nz.write_text(re.sub(r"^unconfirmed = \[.*?^\]\n", "", nz.read_text("utf-8"),
                         flags=re.M | re.S), "utf-8")
    edit(nz, 'id = "nz"', 'unconfirmed = [{ key = "duty.rate", why = '
         '"placeholder" }, { key = "duty.rat", why = "typo" }]\nid = "nz"')
    checked = check_rules(root)
    (p,) = checked.problems
    assert (p.key, p.suggestion) == ("unconfirmed[1].key", "duty.rate")
    edit(root / "markets/nz.toml", '"duty.rat"', '"regimes[0].max_value"')
    checked = check_rules(root)
    assert not checked.problems
    assert [(w.key, w.message) for w in checked.warnings] == [
        ("duty.rate", "unconfirmed: placeholder"), ("regimes[0].max_value", "unconfirmed: typo")]
    # a key left out on purpose, where the table exists and the schema knows the key
    edit(nz, '"regimes[0].max_value"', '"regimes[0].to"')
    assert not check_rules(root).problems
    edit(nz, '"regimes[0].to"', '"regimes[0].until"')
    (p,) = check_rules(root).problems
    assert p.key == "unconfirmed[1].key"


def test_a_country_claimed_twice_names_both_files(tmp_path):
    root = copy(tmp_path, "de", "at")
    edit(root / "markets/at.toml", 'countries = ["AT"]', 'countries = ["AT", "DE"]')
    p = only(root)
    assert (p.file, p.key) == ("markets/de.toml", "countries[0]")
    assert "markets/at.toml and markets/de.toml" in p.message


def test_a_territory_served_as_a_country_and_as_a_region_names_both_files(tmp_path):
    """Puerto Rico is PR in ISO 3166-1 and US-PR in ISO 3166-2: a market for PR beside a US
    market that does not exclude US-PR would quote one address two ways."""
    root = copy(tmp_path, "us", "nz")
    edit(root / "markets/nz.toml", 'countries = ["NZ"]', 'countries = ["NZ", "PR"]')
    p = only(root)
    assert (p.file, p.key) == ("markets/nz.toml", "countries[1]")
    assert "markets/us.toml" in p.message and "US-PR" in p.message
    edit(root / "markets/us.toml", 'countries = ["US"]',
         'countries = ["US"]\nexclude_regions = ["US-PR"]')
    assert set(load_rules(root).markets) == {"us", "nz"}


def test_a_folder_may_hold_max_files_rule_files_and_no_more(tmp_path, monkeypatch):
    # MAX_FILES (2,000) per folder, lowered here to the bundled zones' count so that the test
    # writes one file, not two thousand: at the limit every zone is read and nothing is said;
    # one more file is listed (to know there are too many) and reported.
    root = copy(tmp_path, "nz")
    n = len(list((root / "zones").glob("*.toml")))
    monkeypatch.setattr(loader, "MAX_FILES", n)
    assert len([f for f in loader.rule_files(root) if f.parent.name == "zones"]) == n
    assert check_rules(root).problems == ()
    (root / "zones" / "zz-extra.toml").write_text("", "utf-8")
    assert len([f for f in loader.rule_files(root) if f.parent.name == "zones"]) == n + 1
    assert [(p.file, p.message) for p in check_rules(root).problems] == [
        ("zones/", f"more than {n} files; only the first {n} are read")]


def test_a_rule_file_of_exactly_the_size_limit_is_read(tmp_path):
    # "over the limit of 1,048,576" bytes: a market file padded with a comment to exactly
    # MAX_FILE_BYTES loads; one byte more is refused by its size.
    root = copy(tmp_path, "nz")
    path = root / "markets" / "nz.toml"
    text = path.read_bytes() + b"# "
    path.write_bytes(text + b"x" * (MAX_FILE_BYTES - len(text) - 1) + b"\n")
    assert path.stat().st_size == MAX_FILE_BYTES
    assert list(load_rules(root).markets) == ["nz"]
    path.write_bytes(path.read_bytes() + b"\n")
    (p,) = problems(root)
    assert p.file == "markets/nz.toml" and "1,048,577 bytes" in p.message


@pytest.mark.parametrize(("extra", "message"), [
    # "more than 16 levels": a key path of 16 parts is read (and here refused only as an
    # unknown key), 17 parts are too deep, as arrays, inline tables or a dotted key.
    ("deep = " + "[" * 16 + "]" * 16, 'unknown key "deep"'),      # deep[0]...: 16 parts
    ("deep = " + "[" * 17 + "]" * 17, "nested too deeply: more than 16 levels"),
    ("deep = " + "{ a = " * 15 + "1" + " }" * 15, 'unknown key "deep"'),  # deep.a x 15
    ("deep = " + "{ a = " * 16 + "1" + " }" * 16, "nested too deeply: more than 16 levels"),
    (".".join(["a"] * 16) + " = 1", 'unknown key "a"'),
    (".".join(["a"] * 17) + " = 1", "nested too deeply: a dotted key of more than 16 parts"),
])
def test_nesting_is_refused_past_16_levels_not_at_16(tmp_path, extra, message):
    root = copy(tmp_path, "nz")
    (root / "markets/nz.toml").write_text(extra + "\n" + (RULES / "markets/nz.toml").read_text(
        "utf-8"), "utf-8")
    assert only(root).message.startswith(message)


@pytest.mark.parametrize(("length", "refused"), [(8, False), (9, True)])
def test_a_chain_of_8_zones_is_read_and_9_refused(tmp_path, length, refused):
    # "a chain of at most 8 zones": de -> c1 -> ... -> c(length-1) -> eu
    root = copy(tmp_path, "de")
    for i in range(1, length - 1):
        (root / "zones" / f"c{i}.toml").write_text(f'extends = "c{i + 1}"\n', "utf-8")
    (root / "zones" / f"c{length - 1}.toml").write_text('extends = "eu"\n', "utf-8")
    edit(root / "markets/de.toml", 'extends = "eu"', 'extends = "c1"')
    found = [p.message for p in check_rules(root).problems]
    assert [m.startswith("zones extend zones more than 8 deep") for m in found] == (
        [True] if refused else [])


@pytest.mark.parametrize(("count", "refused"), [(8, False), (9, True)])
def test_extends_lists_at_most_8_zones(tmp_path, count, refused):
    # "at most 8": seven empty zones and eu are read; eight and eu are refused.
    root = copy(tmp_path, "de")
    for i in range(count - 1):
        (root / "zones" / f"m{i}.toml").write_text("", "utf-8")
    names = ", ".join([*(f'"m{i}"' for i in range(count - 1)), '"eu"'])
    edit(root / "markets/de.toml", 'extends = "eu"', f"extends = [{names}]")
    found = [(p.file, p.message) for p in check_rules(root).problems]
    assert found == ([("markets/de.toml", "extends lists 9 zones; at most 8")] if refused
                     else [])


@pytest.mark.parametrize(("mistakes", "listed"), [(100, 100), (101, 100)])
def test_a_file_lists_100_problems_then_says_there_are_more(tmp_path, mistakes, listed):
    root = copy(tmp_path, "nz")
    extra = "".join(f"x{i} = 1\n" for i in range(mistakes))
    (root / "markets/nz.toml").write_text(extra + (RULES / "markets/nz.toml").read_text(
        "utf-8"), "utf-8")
    found = [p.message for p in check_rules(root).problems]
    assert found[:listed] == [f'unknown key "x{i}"' for i in range(listed)]
    more = "more problems in this file are not listed (over 100); fix these first"
    assert found[listed:] == ([more] if mistakes > listed else [])


def test_an_unreadable_nesting_points_at_the_line_of_its_17th_level(tmp_path):
    # 600 levels stop the TOML reader itself; the problem then points at the line where the
    # 17th level opens (16 are allowed): line 2 here, the first 16 being on line 1.
    root = copy(tmp_path, "nz")
    extra = "deep = " + "[" * 16 + "\n" + "[" * 584 + "]" * 600
    (root / "markets/nz.toml").write_text(extra + "\n" + (RULES / "markets/nz.toml").read_text(
        "utf-8"), "utf-8")
    p = only(root)
    assert "nested too deeply" in p.message and p.line == 2
