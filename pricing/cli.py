"""The ``pricing`` command for merchants and operators.

Exit codes: 0 success, 1 a problem with the input (named with file and key), 2 usage errors.
Errors are printed from the exceptions' structured fields, never as a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from pricing.errors import PricingError, RulesError

__all__ = ["main"]


def _err(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def _print_error(e: PricingError) -> int:
    if isinstance(e, RulesError):
        for p in e.problems:
            print(str(p), file=sys.stderr)
        n = len(e.problems)
        print(f"{n} problem{'s' if n != 1 else ''} found; nothing was loaded", file=sys.stderr)
        return 1
    details = e.details()
    extra = "".join(f"\n  {k}: {v}" for k, v in details.items())
    return _err(f"{e.message}{extra}")


# -- validate ---------------------------------------------------------------------------------

def _validate(args: argparse.Namespace) -> int:
    from pricing.markets import load_rules

    rules = load_rules(args.path)
    countries = len(rules.countries)
    print(f"ok: {len(rules.markets)} markets, {countries} countries, rules version "
          f"{rules.version} ({args.path})")
    return 0


# -- quote ------------------------------------------------------------------------------------

def _load_json(path: str) -> Any:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text("utf-8")
    except OSError as e:
        raise SystemExit(_err(f"cannot read {path}: {e.strerror}")) from None
    except UnicodeDecodeError:
        raise SystemExit(_err(f"{path}: not UTF-8 text")) from None
    try:
        # JSON numbers come out as floats and the request validator refuses them by name: a
        # price must be a decimal string.
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise SystemExit(_err(f"{path}: invalid JSON at line {e.lineno} column {e.colno}: "
                              f"{e.msg}")) from None


def _engine(args: argparse.Namespace) -> Any:
    from pricing.engine import Engine

    return Engine.from_directory(args.rules, rates=getattr(args, "rates", None))


def _quote(args: argparse.Namespace) -> int:
    data = _load_json(args.file)
    if not isinstance(data, dict):
        return _err(f"{args.file}: a quote request is a JSON object")
    engine = _engine(args)
    on = date.fromisoformat(args.date) if args.date else None
    quote = engine.quote(data, on=on)
    d = quote.to_dict()
    if not args.explain:
        print(json.dumps(d, ensure_ascii=False, indent=2))
        return 0
    print(explain(d))
    return 0


def explain(d: dict[str, Any]) -> str:
    """A quote dict as a readable table of lines and charges."""
    out = [f"Quote for market {d['market']} on {d['date']} ({d['currency']}, {d['locale']}, "
           f"{d['incoterm']}, prices {d['price_display']} of tax; rules {d['rules_version']})",
           f"Regime: {d['regime']['name']}"]
    out += [f"  - {t['regime']}: {'yes' if t['passed'] else 'no'}: {t['test']}"
            for t in d["regime"]["tests"]]
    fx = d["fx"]
    out.append(f"FX: 1 {fx['from']} = {fx['rate']} {fx['to']} ({fx['source']}, {fx['as_of']}), "
               f"markup {fx['markup']}")
    out.append("")
    out.append(f"{'item':<16}{'qty':>5}{'unit':>16}{'subtotal':>16}  how")
    for ln in d["lines"]:
        out.append(f"{ln['sku'][:15]:<16}{ln['quantity']:>5}{ln['unit_price']['formatted']:>16}"
                   f"{ln['subtotal']['formatted']:>16}  {ln['price_note']}")
    out.append("")
    out.append(f"{'charge':<34}{'amount':>16}{'rate':>9}{'base':>16}  rule / note")
    for c in d["charges"]:
        name = f"{c['kind']}: {c['name']}" + (" (incl.)" if c["included"] else "")
        base = c["base"]["formatted"] if c["base"] else ""
        out.append(f"{name[:33]:<34}{c['amount']['formatted']:>16}{c['rate'] or '':>9}"
                   f"{base:>16}  {c['rule']}")
        if c["note"]:
            out.append(f"{'':<34}{'':>16}{'':>9}{'':>16}  {c['note']}")
    out.append("")
    for k, v in d["totals"].items():
        out.append(f"{k.replace('_', ' '):<34}{v['formatted']:>16}")
    out += [f"warning: {w}" for w in d["warnings"]]
    return "\n".join(out)


# -- rates ------------------------------------------------------------------------------------

def _rates_show(args: argparse.Namespace) -> int:
    from pricing.fx import bundled_rates, load_rates_file

    table = load_rates_file(args.rates) if args.rates else bundled_rates()
    if args.json:
        print(json.dumps(table.to_dict(), indent=2))
        return 0
    age = table.age_days(date.today())
    print(f"{table.source}, base {table.base}, as of {table.as_of} ({age} days old), "
          f"{len(table.rates) - 1} currencies")
    for cur, rate in table.rates.items():
        if cur != table.base:
            print(f"  1 {table.base} = {rate} {cur}")
    return 0


def _rates_update(args: argparse.Namespace) -> int:
    """Validate a new table and only then write it where the service reads rates from."""
    from pricing.fx import LiveRates, bundled_rates, load_rates_file

    target = Path(args.output)
    if args.source == "live":
        live = LiveRates(bundled_rates(), timeout=args.timeout)
        warning = live.refresh(today=date.today())
        if warning:
            return _err(f"{warning}; {target} was left unchanged")
        table = live.table
    else:
        table = load_rates_file(args.source)
    tmp = target.with_suffix(target.suffix + ".tmp")
    tmp.write_text(json.dumps(table.to_dict(), indent=2) + "\n", "utf-8")
    tmp.replace(target)  # atomic: a reader sees the old file or the new one, never half
    print(f"ok: wrote {len(table.rates) - 1} rates ({table.source}, {table.as_of}) to {target}")
    return 0


# -- serve ------------------------------------------------------------------------------------

def _serve(args: argparse.Namespace) -> int:
    try:
        from pricing import service
    except ImportError as e:  # pragma: no cover - the service ships with the package
        return _err(f"the HTTP service is unavailable: {e}")
    return int(service.serve(rules=args.rules, host=args.host, port=args.port,
                             workers=args.workers, rates=args.rates, locales=args.locales) or 0)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pricing", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check a rules folder; exit 1 listing every problem")
    p.add_argument("path", nargs="?", default="rules")
    p.set_defaults(func=_validate)

    p = sub.add_parser("quote", help="quote a request JSON file (- for stdin)")
    p.add_argument("file")
    p.add_argument("--rules", default="rules")
    p.add_argument("--rates", help="a rates file (ECB XML, CSV or JSON); default: bundled")
    p.add_argument("--date", help="quote date YYYY-MM-DD when the request has none")
    p.add_argument("--explain", action="store_true", help="a readable table of charges")
    p.set_defaults(func=_quote)

    rates = sub.add_parser("rates", help="show or update exchange rates")
    rsub = rates.add_subparsers(dest="rates_command", required=True)
    p = rsub.add_parser("show", help="print the rate table in use")
    p.add_argument("--rates", help="a rates file; default: the bundled ECB snapshot")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_rates_show)
    p = rsub.add_parser("update", help="validate new rates and write them to a JSON file")
    p.add_argument("--from", dest="source", required=True, help="FILE or 'live'")
    p.add_argument("--output", default="rates.json")
    p.add_argument("--timeout", type=float, default=5.0)
    p.set_defaults(func=_rates_update)

    p = sub.add_parser("serve", help="run the HTTP service")
    p.add_argument("--rules", default="rules")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--rates", default=None,
                   help="a rates file (re-read on reload), or 'live' (forex-python, refreshed "
                        "hourly, falling back to the last good table); default: bundled")
    p.add_argument("--locales", default=None,
                   help="translation catalogs; default: locales/ beside the rules folder")
    p.set_defaults(func=_serve)

    for module in ("pricing.l10n.cli",):
        try:
            mod = __import__(module, fromlist=["add_commands"])
        except ImportError:
            continue
        mod.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except PricingError as e:
        return _print_error(e)
    except SystemExit as e:  # raised with an exit code after the message was printed
        return int(e.code or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
