"""``pricing i18n``: extract product text into PO catalogs and check translation coverage.

``pricing i18n extract CATALOG`` writes ``locales/products.pot`` from a product catalog (CSV or
JSON lines) and updates every ``locales/<lang>/LC_MESSAGES/products.po`` (changed source text
becomes fuzzy); ``--init LANG`` starts a new language. ``pricing i18n check`` reports, per
market of the rules, the share of products fully translated into every market locale and each
missing or stale entry; it exits 1 when a market is below ``--threshold`` or a file is broken.
``pricing i18n labels`` refreshes the service's own ``labels.pot`` and ``labels.po`` files.
"""

from __future__ import annotations

import argparse
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pricing.l10n.catalogs import CatalogError, Coverage, Gap, extract, load_catalogs

__all__ = ["add_commands"]


def _share(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a share between 0 and 1 (e.g. 0.9)")
    return value


def _percent(share: Decimal) -> str:
    return f"{(share * 100).quantize(Decimal('0.1'))} %"


def _print_errors(errors: tuple[CatalogError, ...] | list[CatalogError]) -> None:
    for e in errors:
        for p in e.problems:
            print(f"error: {p}", file=sys.stderr)


def _extract(args: argparse.Namespace) -> int:
    try:
        report = extract(args.catalog, args.locales, init=args.init)
    except CatalogError as e:
        _print_errors([e])
        n = len(e.problems)
        print(f"{n} problem{'s' if n != 1 else ''} in {args.catalog}; nothing was written",
              file=sys.stderr)
        return 1
    state = "wrote" if report.template in report.written else "unchanged"
    print(f"{state} {report.template}: {report.products} products, {report.entries} entries")
    for path in report.created:
        print(f"created {path}")
    for path, stats in report.stats.items():
        if path in report.created:
            continue
        state = "updated" if path in report.written else "unchanged"
        print(f"{state} {path}: {stats.added} new, {stats.changed} changed (marked fuzzy), "
              f"{stats.removed} removed (kept as obsolete)")
    if report.errors:
        _print_errors(report.errors)
        print(f"{len(report.errors)} PO file(s) could not be read and were left unchanged",
              file=sys.stderr)
        return 1
    return 0


def _gap_lines(covs: list[Coverage]) -> list[str]:
    """Each gap once per market, with the market locales it affects."""
    seen: dict[tuple[str, str, str], tuple[Gap, list[str]]] = {}
    for cov in covs:
        for g in cov.gaps:
            key = (g.sku, g.field, g.locale)
            seen.setdefault(key, (g, []))[1].append(cov.locale)
    return [f"  {g}  [{', '.join(locs)}]" for g, locs in seen.values()]


def _check(args: argparse.Namespace) -> int:
    from pricing.markets import load_rules

    rules = load_rules(args.rules)
    catalog = load_catalogs(args.locales, products=args.catalog, rules=rules)
    _print_errors(catalog.errors)
    markets = list(rules.markets.values())
    if args.market:
        markets = [rules.market(m) for m in args.market]
    below: list[str] = []
    total = len(catalog)
    for market in markets:
        covs = [catalog.coverage(loc) for loc in market.spec.locales]
        full = frozenset(catalog.skus)
        for cov in covs:
            full &= cov.translated_skus
        share = Decimal(1) if not total else Decimal(len(full)) / Decimal(total)
        per_locale = ", ".join(
            f"{c.locale} source" if c.source else f"{c.locale} {c.translated}/{c.total}"
            for c in covs)
        flag = "" if share >= args.threshold else "  BELOW THRESHOLD"
        print(f"{market.id} ({market.spec.name}): {len(full)}/{total} products fully "
              f"translated ({_percent(share)}): {per_locale}{flag}")
        if not args.summary:
            for line in _gap_lines(covs):
                print(line)
        if share < args.threshold:
            below.append(f"{market.id} {_percent(share)}")
    if below:
        print(f"error: {len(below)} market(s) below the threshold of "
              f"{_percent(args.threshold)}: {', '.join(below)}", file=sys.stderr)
    if catalog.errors:
        print(f"error: {len(catalog.errors)} problem(s) in the catalog files (listed above)",
              file=sys.stderr)
    if below or catalog.errors:
        return 1
    print(f"ok: {len(markets)} market(s) at or above {_percent(args.threshold)}")
    return 0


def _labels(args: argparse.Namespace) -> int:
    from pricing.l10n.labels import load_labels, write_labels_template

    written = write_labels_template(args.locales)
    for path in written:
        print(f"wrote {path}")
    labels = load_labels(args.locales)
    _print_errors(labels.errors)
    print(f"labels: {len(labels.locales)} languages ({', '.join(labels.locales)})")
    return 1 if labels.errors else 0


def add_commands(subparsers: Any) -> None:
    """Add ``pricing i18n ...`` to the ``pricing`` command's subparsers."""
    i18n = subparsers.add_parser("i18n", help="product text catalogs (gettext PO files)",
                                 description=__doc__.splitlines()[0])
    sub = i18n.add_subparsers(dest="i18n_command", required=True)

    p = sub.add_parser("extract", help="write locales/products.pot from a product catalog and "
                       "update the PO files")
    p.add_argument("catalog", type=Path, help="product catalog, .csv or .jsonl")
    p.add_argument("--locales", type=Path, default=Path("locales"))
    p.add_argument("--init", action="append", default=[], metavar="LANG",
                   help="also start a PO file for this language (repeatable)")
    p.set_defaults(func=_extract)

    p = sub.add_parser("check", help="per market, the share of products fully translated "
                       "and every missing or stale entry; exit 1 below the threshold")
    p.add_argument("--rules", default="rules")
    p.add_argument("--locales", type=Path, default=Path("locales"))
    p.add_argument("--catalog", type=Path, default=None,
                   help="product catalog (default: products.csv in the locales folder or in "
                        "catalog/ next to it)")
    p.add_argument("--threshold", type=_share, default=Decimal("0.9"),
                   help="least share of products fully translated per market (default 0.9)")
    p.add_argument("--market", action="append", help="only this market (repeatable)")
    p.add_argument("--summary", action="store_true", help="one line per market, no entries")
    p.set_defaults(func=_check)

    p = sub.add_parser("labels", help="refresh the service's labels.pot and labels.po files")
    p.add_argument("--locales", type=Path, default=Path("locales"))
    p.set_defaults(func=_labels)
