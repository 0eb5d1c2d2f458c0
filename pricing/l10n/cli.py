"""``pricing i18n``: extract product text into PO catalogs and check translation coverage.

``pricing i18n extract CATALOG`` writes ``locales/products.pot`` from a product catalog (CSV or
JSON lines) and updates every ``locales/<lang>/LC_MESSAGES/products.po`` (changed source text
becomes fuzzy); ``--init LANG`` starts a new language. ``pricing i18n check`` says, per market,
whether the market's default locale is translated (the market passes when it is, to
``--threshold``); the market's other locales are reported as coverage, not failures. It prints a
one-screen summary, or every missing and stale entry with ``--details``, and exits 1 when a
market fails or a catalog file is broken. ``pricing i18n labels`` refreshes the service's own
``labels.pot`` and ``labels.po`` files.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from pricing.console import (
    Fail,
    LocaleType,
    Out,
    ShareType,
    find_rules,
    out,
    report,
    rules_option,
)
from pricing.errors import CatalogError, PricingError
from pricing.l10n.catalogs import Coverage, Gap

__all__ = ["MarketCoverage", "i18n", "market_coverage"]


def _percent(share: Decimal) -> str:
    """A share as a percentage for people; only a complete share shows as 100.

    >>> _percent(Decimal("0.9375")), _percent(Decimal("0.9999")), _percent(Decimal(1))
    ('93.8 %', '99.9 %', '100 %')
    """
    shown = (share * 100).quantize(Decimal("0.1"))
    if shown == 100 and share < 1:
        shown = Decimal("99.9")
    if shown == shown.to_integral_value():
        shown = shown.quantize(Decimal(1))
    return f"{shown} %"


def _default_locales(rules: Path | None = None) -> Path:
    """``locales/`` beside the rules folder (as the engine and the service look for it)."""
    if rules is None:
        try:
            rules = find_rules(None)
        except click.UsageError:
            return Path("locales")
    return rules.resolve().parent / "locales"


def _print_errors(o: Out, errors: tuple[CatalogError, ...] | list[CatalogError]) -> None:
    for e in errors:
        for p in e.problems:
            o.error(f"error: {p}")


@click.group(short_help='Product text catalogs: extract, check, labels.', epilog="""\b
Examples:
  pricing i18n extract catalog/products.csv --init de --init ja
  pricing i18n check                           one screen: which markets pass
  pricing i18n check --details --market de     every missing or stale entry of Germany
  pricing i18n labels""")
def i18n() -> None:
    """Product text catalogs (gettext PO files): extract, check coverage, refresh labels."""


# -- extract ------------------------------------------------------------------------------------

def _locales_to_write(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path:
    path = value if value is not None else _default_locales()
    if path.exists() and not path.is_dir():
        raise click.BadParameter(f"{str(path)!r} is a file, not a folder", ctx=ctx, param=param)
    if not path.exists() and not path.parent.is_dir():
        raise click.BadParameter(f"{str(path)!r} cannot be created: the folder "
                                 f"{str(path.parent)!r} does not exist", ctx=ctx, param=param)
    return path


@i18n.command(short_help='Write products.pot and update the PO files.', epilog="""\b
Examples:
  pricing i18n extract catalog/products.csv
  pricing i18n extract catalog/products.jsonl --locales locales --init pt_BR

\b
Columns: sku, title, description (and the product facts: price, currency, hs_code, origin,
category, weight). A bad row is reported with its line and nothing is written.""")
@click.argument("catalog", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--locales", type=click.Path(path_type=Path), default=None,
              callback=_locales_to_write,
              help="Folder of the catalogs (created when missing). Default: locales/ beside "
                   "the rules folder, else ./locales.")
@click.option("--init", multiple=True, type=LocaleType(), metavar="LANG",
              help="Also start a PO file for this language (repeatable).")
def extract(catalog: Path, locales: Path, init: tuple[str, ...]) -> int:
    """Write products.pot from a product catalog (CSV or JSON lines) and update the PO files."""
    from pricing.l10n.catalogs import extract as run_extract

    o = out()
    try:
        with o.status(f"extracting product text from {catalog}"):
            result = run_extract(catalog, locales, init=init)
    except CatalogError as e:
        n = len(e.problems)
        raise Fail(*(f"error: {p}" for p in e.problems),
                   f"{n} problem{'s' if n != 1 else ''} in {catalog}; nothing was written"
                   ) from None
    except PricingError as e:
        raise report(e) from None
    state = "wrote" if result.template in result.written else "unchanged"
    o.line(f"{state} {result.template}: {result.products} products, {result.entries} entries")
    for path in result.created:
        o.line(f"created {path}")
    for path, stats in result.stats.items():
        if path in result.created:
            continue
        state = "updated" if path in result.written else "unchanged"
        o.line(f"{state} {path}: {stats.added} new, {stats.changed} changed (marked fuzzy), "
               f"{stats.removed} removed (kept as obsolete)")
    if result.errors:
        _print_errors(o, result.errors)
        raise Fail(f"{len(result.errors)} PO file(s) could not be read and were left unchanged")
    return 0


# -- check --------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class MarketCoverage:
    """How far one market's locales are translated, and whether the market passes."""

    market: str
    name: str
    default: Coverage
    others: tuple[Coverage, ...]
    passed: bool

    def to_dict(self) -> dict[str, Any]:
        def loc(c: Coverage, required: bool) -> dict[str, Any]:
            return {"locale": c.locale, "translated": c.translated, "total": c.total,
                    "share": str(c.share), "source": c.source, "required": required}

        return {"market": self.market, "name": self.name, "passed": self.passed,
                "default_locale": self.default.locale,
                "locales": [loc(self.default, True)] + [loc(c, False) for c in self.others]}


def market_coverage(catalog: Any, market: Any, *, threshold: Decimal = Decimal(1),
                    all_locales: bool = False) -> MarketCoverage:
    """The coverage of ``market``'s locales in ``catalog``: the market passes when its default
    locale has at least ``threshold`` of the products fully translated (with
    ``all_locales``: every locale of the market)."""
    spec = market.spec
    default = catalog.coverage(spec.default_locale)
    others = tuple(catalog.coverage(loc) for loc in spec.locales if loc != spec.default_locale)
    required = (default, *others) if all_locales else (default,)
    return MarketCoverage(market.id, spec.name, default, others,
                          all(c.share >= threshold for c in required))


def _short_of(r: MarketCoverage, threshold: Decimal, *, all_locales: bool) -> list[Coverage]:
    """The required locales of a failed market that are below the threshold."""
    required = (r.default, *r.others) if all_locales else (r.default,)
    return [c for c in required if c.share < threshold] or [r.default]


def _locale_short(c: Coverage) -> str:
    return f"{c.locale} {c.translated}/{c.total}"


def _summary(o: Out, results: list[MarketCoverage], *, products: int, threshold: Decimal,
             all_locales: bool, entries: int) -> None:
    what = "every locale" if all_locales else "the default locale"
    o.line(f"{products} products, {len(results)} markets: a market passes when {what} has "
           f"{_percent(threshold)} of the products translated", style="bold")
    failed = [r for r in results if not r.passed]
    passed = [r for r in results if r.passed]
    if failed:
        o.line(f"FAILED  {len(failed)}: " + ", ".join(
            f"{r.market} " + " ".join(_locale_short(c) for c in _short_of(
                r, threshold, all_locales=all_locales))
            for r in failed), style="red")
    if passed:
        o.line(f"passed  {len(passed)}: {', '.join(r.market for r in passed)}", style="green")
    partial = [(r, [c for c in r.others if c.share < 1]) for r in results]
    partial = [(r, cs) for r, cs in partial if cs]
    if partial and not all_locales:
        o.line("other locales (coverage, not required): " + "; ".join(
            f"{r.market} " + ", ".join(f"{c.locale} {_percent(c.share)}" for c in cs)
            for r, cs in partial))
    if entries:
        o.line(f"{entries} missing or stale entries: --details lists each with file and line")


def _details(o: Out, results: list[MarketCoverage]) -> None:
    """Every gap once, under the catalog that should fill it, with the locales it affects."""
    by_file: dict[tuple[str, str], dict[tuple[str, str], Gap]] = {}
    users: dict[tuple[str, str], list[str]] = {}
    for r in results:
        for c in (r.default, *r.others):
            for g in c.gaps:
                key = (g.locale, g.file)
                by_file.setdefault(key, {})[(g.sku, g.field)] = g
                who = f"{c.locale} ({r.market})"
                if who not in users.setdefault(key, []):
                    users[key].append(who)
    for (lang, file), gaps in sorted(by_file.items()):
        o.line("")
        where = (f"no {file.strip('<>').split(' for ')[0].removeprefix('no ')} yet (start it: "
                 f"pricing i18n extract CATALOG --init {lang})" if file.startswith("<") else file)
        o.line(f"{lang}: {where}: {len(gaps)} entries, shown in "
               f"{', '.join(users[(lang, file)])}", style="bold")
        for g in gaps.values():
            o.line(f"  {g}")


def _rules_locales(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    if value is not None and not value.is_dir():
        raise click.BadParameter(f"{str(value)!r} is not a folder", ctx=ctx, param=param)
    return value


@i18n.command(short_help='Which markets have their default locale translated.', epilog="""\b
Examples:
  pricing i18n check                               the summary (one screen)
  pricing i18n check --details                     ... and every missing or stale entry
  pricing i18n check --market es --market mx
  pricing i18n check --threshold 0.9               90 % of the default locale is enough
  pricing i18n check --all-locales                 every locale of a market must pass
  pricing i18n check --format json | jq '.markets[] | select(.passed | not)'""")
@rules_option
@click.option("--locales", type=click.Path(path_type=Path), default=None,
              callback=_rules_locales,
              help="Folder of the PO catalogs. Default: locales/ beside the rules folder.")
@click.option("--catalog", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Product catalog. Default: products.csv in the locales "
                                 "folder or in catalog/ next to it.")
@click.option("--threshold", type=ShareType(), default="1", show_default=True,
              help="Share of the products a market's default locale must have translated "
                   "(0.9 or 90%).")
@click.option("--all-locales", is_flag=True,
              help="Apply the threshold to every locale of a market, not only its default.")
@click.option("--market", "markets", multiple=True, metavar="ID",
              help="Only this market (repeatable).")
@click.option("--details", is_flag=True, help="Also list every missing or stale entry.")
@click.option("--summary", is_flag=True, hidden=True, help="The default; kept for scripts.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="json: markets, locales and shares for scripts.")
def check(rules: Path, locales: Path | None, catalog: Path | None, threshold: Decimal,
          all_locales: bool, markets: tuple[str, ...], details: bool, summary: bool,
          fmt: str) -> int:
    """Per market: is its default locale translated? Exit 1 when a market is not, or a catalog
    file is broken."""
    from pricing.errors import UnknownMarketError
    from pricing.l10n.catalogs import load_catalogs
    from pricing.markets import load_rules

    o = out()
    folder = locales if locales is not None else _default_locales(rules)
    if not folder.is_dir():
        raise click.BadParameter(f"no locales folder {str(folder)!r} beside the rules; give "
                                 "--locales DIR", param_hint="'--locales'")
    try:
        with o.status("reading rules and catalogs"):
            ruleset = load_rules(rules)
            loaded = load_catalogs(folder, products=catalog, rules=ruleset)
    except PricingError as e:
        raise report(e) from None
    try:
        chosen = [ruleset.market(m) for m in dict.fromkeys(markets)] if markets else list(
            ruleset.markets.values())
    except UnknownMarketError as e:
        raise click.BadParameter(f"{e.message}" + (f"; did you mean {e.suggestion!r}?"
                                                   if e.suggestion else "")
                                 + f" (markets: {', '.join(ruleset.markets)})",
                                 param_hint="'--market'") from None
    results = [market_coverage(loaded, m, threshold=threshold, all_locales=all_locales)
               for m in chosen]
    entries = len({(g.locale, g.sku, g.field) for r in results
                   for c in (r.default, *r.others) for g in c.gaps})
    failed = [r for r in results if not r.passed]
    if fmt == "json":
        doc: dict[str, Any] = {
            "products": len(loaded), "threshold": str(threshold), "all_locales": all_locales,
            "passed": not failed and not loaded.errors,
            "markets": [r.to_dict() for r in results],
            "errors": [p.to_dict() for e in loaded.errors for p in e.problems]}
        if details:
            doc["entries"] = [{"sku": g.sku, "field": g.field, "locale": g.locale,
                               "status": g.status, "reason": g.reason, "file": g.file,
                               "line": g.line}
                              for r in results for c in (r.default, *r.others) for g in c.gaps]
        o.json(doc)
    else:
        _summary(o, results, products=len(loaded), threshold=threshold,
                 all_locales=all_locales, entries=0 if details else entries)
        if details:
            _details(o, results)
    _print_errors(o, loaded.errors)
    lines = []
    if failed:
        lines.append(f"error: {len(failed)} market(s) below {_percent(threshold)} in "
                     f"{'a locale' if all_locales else 'their default locale'}: "
                     + ", ".join(f"{r.market} {_percent(r.default.share)}" for r in failed))
    if loaded.errors:
        lines.append(f"error: {len(loaded.errors)} problem(s) in the catalog files (listed "
                     "above)")
    if lines:
        raise Fail(*lines)
    if fmt == "text":
        o.line(f"ok: {len(results)} market(s) pass")
    return 0


# -- labels -------------------------------------------------------------------------------------

@i18n.command(short_help="Refresh the service's labels.pot and labels.po.", epilog="""\b
Examples:
  pricing i18n labels                       the locales/ folder beside the rules
  pricing i18n labels --locales locales""")
@click.option("--locales", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None, help="Folder of the catalogs. Default: locales/ beside the rules "
                                 "folder, else ./locales.")
def labels(locales: Path | None) -> int:
    """Refresh the service's labels.pot and bring every labels.po up to it."""
    from pricing.l10n.labels import load_labels, write_labels_template

    o = out()
    folder = locales if locales is not None else _default_locales()
    if not folder.is_dir():
        raise click.BadParameter(f"no locales folder {str(folder)!r}; give --locales DIR",
                                 param_hint="'--locales'")
    for path in write_labels_template(folder):
        o.line(f"wrote {path}")
    loaded = load_labels(folder)
    _print_errors(o, loaded.errors)
    o.line(f"labels: {len(loaded.locales)} languages ({', '.join(loaded.locales)})")
    if loaded.errors:
        raise Fail(f"{len(loaded.errors)} problem(s) in the labels files (listed above)")
    return 0
