"""Seeded random edits of the bundled rule files, and what every edit must lead to.

Each mutation edits one file of a copy of the rules (delete or duplicate a line, numbers to
strings, negatives or huge values, dates to date-times or impossible days, other currency and
country codes, TOML garbage, deep nesting, ``extends`` cycles, diamonds and paths, values of
the wrong type). The copy is then loaded; the outcome must be one of:

* the rules load, and every market quotes a few sample carts on a few days with nothing but a
  :class:`~pricing.errors.PricingError` (a refusal the merchant can read) ever raised;
* :class:`~pricing.errors.RulesError`, every problem naming a file that exists in the copy
  and saying where in it: a key path or a line.

Anything else (another exception, a problem without a place) is a finding. Run by hand::

    .venv/bin/python tests/rules_fuzz.py --per-file 500 --seed 20261129
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"

if str(ROOT) not in sys.path:  # run as a script
    sys.path.insert(0, str(ROOT))

from pricing import Engine, RateTable, load_rules  # noqa: E402
from pricing.errors import PricingError, RulesError  # noqa: E402

#: Every currency the bundled markets use, at round rates: a mutation that names another
#: currency gets a MissingRateError, which is a PricingError like any refusal.
RATES = RateTable.from_mapping(
    {"USD": "1.10", "GBP": "0.85", "CAD": "1.50", "JPY": "160", "CHF": "0.95", "AUD": "1.60",
     "NOK": "11.50", "SEK": "11.00", "PLN": "4.30", "DKK": "7.46", "CZK": "25.00",
     "HUF": "400", "RON": "5.00", "MXN": "20.00", "BRL": "6.00", "NZD": "1.80",
     "KRW": "1500", "SGD": "1.45", "INR": "92.00", "AED": "4.00", "SAR": "4.10",
     "ZAR": "20.00", "CNY": "7.80", "ISK": "150", "KWD": "0.33"},
    base="EUR", as_of=date(2026, 11, 23), source="fuzz rates")

DAYS = (date(2026, 11, 23), date(2019, 6, 30), date(2199, 12, 31))

_NUMBER_STR = re.compile(r'"(-?[0-9]+(?:\.[0-9]+)?)(\s+[A-Z]{3})?"')
_DATE = re.compile(r"\b([0-9]{4})-([0-9]{2})-([0-9]{2})\b")
_CODE3 = re.compile(r'"([A-Z]{3})"|(?<= )([A-Z]{3})"')
_CODE2 = re.compile(r'"([A-Z]{2})"')
_VALUE = re.compile(r"=\s*(.+)$")
_INT = re.compile(r"(?<![\w.\"-])([0-9]+)(?![\w.\"-])")

HUGE = ["99999999999999999999999999", "1E+30", "1e-30", "-1", "-0.01", "0", "0.0000000000001",
        "NaN", "Infinity", "1_000", "١٢", " 1 ", "", "1.5.2", "0x10",
        "1" + "0" * 5000]
ODD_VALUES = ["true", "1", "-1", "9" * 30, "1.5", "inf", "nan", '""', '"x"', "[]", "{}",
              "[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]", "2020-01-01",
              "2020-01-01T00:00:00", "07:00:00", '"' + "x" * 5000 + '"', "[1, 2, 3]",
              "{ a = 1 }", '"0.19"', '"150.00 EUR"', '["DE", "DE"]', "[2, 1]", "[0, 100000]"]
CODES3 = ["EUR", "USD", "JPY", "XXX", "EUX", "eur", "XAU", "KWD", "BHD", "ABC", "CLF"]
CODES2 = ["DE", "FR", "US", "GB", "UK", "XX", "de", "PR", "GP", "HK", "ZZ", "EU"]
GARBAGE = ["[", "]]", "= =", '"unterminated', "[[tax.components]]", "\x00", "\ufeff",
           "a.b.c = 1\na.b = 2", "x = 1\nx = 2", "[pricing]\n[pricing]", "\\u0000",
           "'''", '"""', "key", "= 1", "[a]\nb = 1", "extends = 1"]


@dataclass(frozen=True)
class Outcome:
    kind: str  # "loaded", "rejected", "finding"
    detail: str = ""


def sample_carts(market) -> Iterator[dict]:
    """A few carts for ``market``: plain, coded (HS, origin, category, weight), heavy, dear."""
    spec = market.spec
    country = spec.countries[0]
    dest: dict = {"country": country}
    regions = sorted({r for c in (spec.tax.components if spec.tax else ()) for r in c.regions})
    if regions:
        dest["region"] = regions[0]
    base = {"destination": dest, "market": spec.id}
    yield {**base, "items": [{"sku": "A", "quantity": 1,
                              "price": {"amount": "20.00", "currency": "EUR"}}]}
    yield {**base, "ship_from": "CN", "items": [
        {"sku": "TSHIRT", "quantity": 3, "price": {"amount": "12.50", "currency": "EUR"},
         "hs_code": "610910", "origin": "PT", "category": "clothing",
         "weight": {"value": "0.2", "unit": "kg"}},
        {"sku": "BOOK", "quantity": 1, "price": {"amount": "9.99", "currency": "EUR"},
         "hs_code": "490199", "category": "books"}]}
    yield {**base, "items": [{"sku": "HEAVY", "quantity": 40, "price": {
        "amount": "250.00", "currency": "EUR"}, "weight": {"value": "25", "unit": "kg"}}]}
    yield {**base, "ship_from": "US", "items": [{"sku": "DEAR", "quantity": 1000, "price": {
        "amount": "999999.99", "currency": "EUR"}, "hs_code": "8517"}]}


def quote_everything(rules) -> str | None:
    """None when every market quotes every sample cart (or refuses it with a PricingError)."""
    try:
        engine = Engine(rules, rates=RATES)  # compiles every market's plans
    except Exception:
        return "Engine() raised " + traceback.format_exc(limit=-3)
    for market in rules.markets.values():
        for cart in sample_carts(market):
            for day in DAYS:
                try:
                    engine.quote(cart, on=day).to_dict()
                except PricingError:
                    pass
                except Exception:
                    return (f"quote of market {market.id} on {day} raised "
                            + traceback.format_exc(limit=-3))
    return None


def outcome(root: Path, files: set[str]) -> Outcome:
    try:
        rules = load_rules(root)
    except RulesError as e:
        for p in e.problems:
            if p.file not in files and not p.file.endswith("/"):
                return Outcome("finding", f"problem names a file not in the rules: {p}")
            if not p.key and p.line is None and p.file not in ("markets/", "zones/"):
                return Outcome("finding", f"problem without key or line: {p}")
        return Outcome("rejected", str(e.problems[0]))
    except Exception:
        return Outcome("finding", "load raised " + traceback.format_exc(limit=-3))
    found = quote_everything(rules)
    return Outcome("finding", found) if found else Outcome("loaded")


# -- mutations ----------------------------------------------------------------------------------

def _lines(text: str) -> list[str]:
    return text.split("\n")


def _pick_line(rng: random.Random, lines: list[str], pattern: re.Pattern[str] | None = None
               ) -> int | None:
    idx = [i for i, ln in enumerate(lines) if (pattern.search(ln) if pattern else ln.strip())]
    return rng.choice(idx) if idx else None


def m_delete(rng, text, name):
    lines = _lines(text)
    i = _pick_line(rng, lines)
    if i is not None:
        del lines[i]
    return "\n".join(lines)


def m_duplicate(rng, text, name):
    lines = _lines(text)
    i = _pick_line(rng, lines)
    if i is not None:
        lines.insert(rng.randrange(len(lines) + 1), lines[i])
    return "\n".join(lines)


def m_number(rng, text, name):
    found = list(_NUMBER_STR.finditer(text))
    if not found:
        return m_value(rng, text, name)
    m = rng.choice(found)
    new = rng.choice(HUGE)
    if m.group(2) and rng.random() < 0.8:
        new += m.group(2)
    return text[:m.start()] + f'"{new}"' + text[m.end():]


def m_bare_number(rng, text, name):
    found = list(_NUMBER_STR.finditer(text)) + list(_INT.finditer(text))
    if not found:
        return text
    m = rng.choice(found)
    new = rng.choice(["20", "0.19", "-5", "1e400", "9" * 25, "0x1F", "1_0", "true", "-0",
                      "99999999999999999999"])
    return text[:m.start()] + new + text[m.end():]


def m_date(rng, text, name):
    found = list(_DATE.finditer(text))
    if not found:
        return m_value(rng, text, name)
    m = rng.choice(found)
    y, mo, d = m.groups()
    new = rng.choice([f"{y}-{mo}-{d}T00:00:00", f"{y}-{mo}-{d}T12:30:00Z",
                      f"{y}-{mo}-{d} 07:32:00", f"{y}-02-30", f"{y}-13-01", "0001-01-01",
                      "9999-12-31", f"{y}-{mo}-{d}T00:00:00+14:00", f'"{y}-{mo}-{d}"',
                      f'"{y}{mo}{d}"', "07:32:00", f"{int(y) + 1}-{mo}-{d}", "1899-12-31",
                      "2200-01-01", f'"{y}-W01-1"'])
    return text[:m.start()] + new + text[m.end():]


def m_currency(rng, text, name):
    found = [m for m in _CODE3.finditer(text)]
    if not found:
        return m_value(rng, text, name)
    m = rng.choice(found)
    code = rng.choice(CODES3)
    start, end = (m.start(1), m.end(1)) if m.group(1) else (m.start(2), m.end(2))
    return text[:start] + code + text[end:]


def m_country(rng, text, name):
    found = list(_CODE2.finditer(text))
    if not found:
        return m_value(rng, text, name)
    m = rng.choice(found)
    return text[:m.start(1)] + rng.choice(CODES2) + text[m.end(1):]


def m_value(rng, text, name):
    lines = _lines(text)
    i = _pick_line(rng, lines, _VALUE)
    if i is None:
        return text
    m = _VALUE.search(lines[i])
    assert m is not None
    lines[i] = lines[i][:m.start(1)] + rng.choice(ODD_VALUES)
    return "\n".join(lines)


def m_swap(rng, text, name):
    lines = _lines(text)
    idx = [i for i, ln in enumerate(lines) if _VALUE.search(ln)]
    if len(idx) < 2:
        return text
    a, b = rng.sample(idx, 2)
    va = _VALUE.search(lines[a])
    vb = _VALUE.search(lines[b])
    assert va and vb
    lines[a] = lines[a][:va.start(1)] + vb.group(1)
    return "\n".join(lines)


def m_garbage(rng, text, name):
    pos = rng.randrange(len(text) + 1)
    junk = rng.choice(GARBAGE) if rng.random() < 0.7 else "".join(
        chr(rng.randrange(0, 0x2FF)) for _ in range(rng.randrange(1, 8)))
    return text[:pos] + junk + text[pos:]


def m_nesting(rng, text, name):
    n = rng.choice([17, 40, 300, 600, 2000])
    kind = rng.randrange(3)
    if kind == 0:
        extra = "deep = " + "[" * n + "]" * n
    elif kind == 1:
        extra = ".".join(["a"] * (n * 3)) + " = 1"
    else:
        extra = "deep = " + "{ a = " * n + "1" + " }" * n
    return extra + "\n" + text if rng.random() < 0.5 else text + "\n" + extra + "\n"


def m_unknown_key(rng, text, name):
    lines = _lines(text)
    i = rng.randrange(len(lines) + 1)
    key = rng.choice(["curency", "rate", "extends", "sources", "unconfirmed", "id", "x" * 300,
                      '"quoted key"', "regimes", "tax", "default"])
    lines.insert(i, f"{key} = {rng.choice(ODD_VALUES)}")
    return "\n".join(lines)


def m_extends(rng, text, name):
    target = rng.choice(['"eu"', '["eu", "eu"]', '"/etc/passwd"', '"../../x"', '"../shop"',
                         '"zones/eu"', '"nope"', '["eu", "loop"]', '""', "[]", "42",
                         '"EU"', '["eu", "a", "b", "c", "d", "e", "f", "g", "h"]'])
    lines = [ln for ln in _lines(text) if not ln.startswith("extends")]
    return f"extends = {target}\n" + "\n".join(lines)


def m_sources(rng, text, name):
    lines = _lines(text)
    new = rng.choice(['sources = []', 'sources = ["no date"]',
                      'sources = ["x (checked 2026-02-30)"]', 'sources = "x"',
                      'sources = ["x (checked 2099-01-01)"]',
                      'sources = ["x (checked 1999-01-01)"]',
                      'unconfirmed = [{ key = "duty.rat", why = "x" }]',
                      'unconfirmed = [{ key = "currency", why = "x" }]',
                      'unconfirmed = [{ key = "", why = "" }]'])
    lines = [ln for ln in lines if not ln.startswith("sources")] if "sources" in new else lines
    return new + "\n" + "\n".join(lines)


MUTATIONS: list[Callable[[random.Random, str, str], str]] = [
    m_delete, m_duplicate, m_number, m_bare_number, m_date, m_currency, m_country, m_value,
    m_swap, m_garbage, m_nesting, m_unknown_key, m_extends, m_sources]


# -- the workspace: a copy of the rules, narrowed to what a mutated file touches ----------------

def extending(zone: str) -> list[str]:
    """Market files of the bundled rules that extend ``zone`` (the file names)."""
    return sorted(p.name for p in (RULES / "markets").glob("*.toml")
                  if re.search(rf'^extends\s*=.*"{zone}"', p.read_text("utf-8"), re.M))


def workspace(target: Path, file: str, *, markets_per_zone: int) -> set[str]:
    """A rules copy in ``target`` with shop.toml, the zones, ``file`` and the markets it needs.

    For a zone (or shop.toml) a few markets that extend it (or all with ``markets_per_zone``
    0) come along; a market comes alone. Returns the relative names of the files copied.
    """
    if target.exists():
        shutil.rmtree(target)
    (target / "markets").mkdir(parents=True)
    shutil.copytree(RULES / "zones", target / "zones")
    shutil.copy(RULES / "shop.toml", target / "shop.toml")
    if file.startswith("markets/"):
        chosen = [file.split("/", 1)[1]]
    else:
        zone = Path(file).stem if file.startswith("zones/") else "eu"
        chosen = extending(zone) or ["de.toml"]
        if file == "shop.toml":
            chosen = ["de.toml", "us.toml", "jp.toml", "ch.toml"]
        if markets_per_zone:
            chosen = chosen[:markets_per_zone]
    for name in chosen:
        shutil.copy(RULES / "markets" / name, target / "markets" / name)
    names = {"shop.toml", *(f"markets/{n}" for n in chosen),
             *(f"zones/{p.name}" for p in (RULES / "zones").glob("*.toml"))}
    # extra zones for extends cycles and diamonds: a -> b -> eu, loop -> loop2 -> loop
    for zname, body in (("a", 'extends = ["b", "eu"]\n'), ("b", 'extends = "eu"\n'),
                        ("c", 'extends = ["a", "b"]\n'), ("d", ""), ("e", ""), ("f", ""),
                        ("g", ""), ("h", ""), ("loop", 'extends = "loop2"\n'),
                        ("loop2", 'extends = "loop"\n')):
        (target / "zones" / f"{zname}.toml").write_text(body, "utf-8")
        names.add(f"zones/{zname}.toml")
    return names


def bundled_files() -> list[str]:
    return ["shop.toml", *(f"zones/{p.name}" for p in sorted((RULES / "zones").glob("*.toml"))),
            *(f"markets/{p.name}" for p in sorted((RULES / "markets").glob("*.toml")))]


def run(*, seed: int, per_file: int, work: Path, markets_per_zone: int = 3,
        files: list[str] | None = None, progress: bool = False) -> dict[str, list]:
    """Mutate each bundled file ``per_file`` times; the outcomes by kind."""
    rng = random.Random(seed)
    results: dict[str, list] = {"loaded": [], "rejected": [], "finding": []}
    for file in files or bundled_files():
        target = work / "rules"
        names = workspace(target, file, markets_per_zone=markets_per_zone)
        original = (RULES / file).read_text("utf-8")
        for n in range(per_file):
            mutate = rng.choice(MUTATIONS)
            text = mutate(rng, original, file)
            if rng.random() < 0.15:  # a second edit in the same file
                text = rng.choice(MUTATIONS)(rng, text, file)
            (target / file).write_text(text, "utf-8", errors="surrogatepass")
            got = outcome(target, names)
            results[got.kind].append((file, n, mutate.__name__, got.detail, text))
        (target / file).write_text(original, "utf-8")
        if progress:
            print(f"{file}: {len(results['finding'])} findings so far", file=sys.stderr)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=20261129)
    parser.add_argument("--per-file", type=int, default=500)
    parser.add_argument("--work", default="/tmp/rules-fuzz")
    parser.add_argument("--markets-per-zone", type=int, default=0,
                        help="markets copied along with a mutated zone (0: all)")
    args = parser.parse_args()
    start = time.perf_counter()
    results = run(seed=args.seed, per_file=args.per_file, work=Path(args.work),
                  markets_per_zone=args.markets_per_zone, progress=True)
    total = sum(len(v) for v in results.values())
    for file, n, name, detail, _ in results["finding"][:20]:
        print(f"FINDING {file} #{n} ({name}): {detail}")
    print(f"seed {args.seed}: {total} mutations of {len(bundled_files())} files in "
          f"{time.perf_counter() - start:.0f} s: {len(results['loaded'])} loaded and quoted, "
          f"{len(results['rejected'])} rejected with file and key, "
          f"{len(results['finding'])} findings")
    return 1 if results["finding"] else 0


if __name__ == "__main__":
    sys.exit(main())
