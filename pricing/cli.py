"""The ``pricing`` command: quotes, rule checks, exchange rates, translations and the service.

Built on click; output through :class:`pricing.console.Out` (rich on a terminal, plain text when
piped). Every failure ends as one clear line on stderr and an exit code, never a traceback:
0 ok, 1 problems found (rules, catalog, request, rates), 2 usage, 3 ``pricing diff`` found
changes (see :mod:`pricing.console`). :func:`main` is the entry point.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from importlib.metadata import version
from pathlib import Path
from typing import Any

import click

from pricing.console import (
    EXIT_CHANGED,
    EXIT_INTERRUPTED,
    EXIT_OUTPUT_CLOSED,
    EXIT_PROBLEMS,
    EXIT_USAGE,
    DateType,
    Fail,
    Out,
    OutputClosed,
    find_rules,
    out,
    report,
    rules_option,
    stdout_closed,
    writable_file,
)
from pricing.errors import PricingError, RatesError, did_you_mean

__all__ = ["cli", "main"]

_CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _version() -> str:
    # pricing.__version__, not the metadata of a distribution called "pricing": that name on
    # the package index is somebody else's project (ours is crossborder-pricing).
    from pricing import __version__

    return __version__


def _version_message() -> str:
    import babel

    return (f"pricing {_version()} (Python {sys.version.split()[0]}, babel {babel.__version__}, "
            f"click {version('click')}, rich {version('rich')})")


@click.group(context_settings=_CONTEXT, help=(
    "Landed-cost quotes and market rules: what a shopper pays, in their currency and "
    f"language, and why. Version {_version()}."), epilog="""\b
Examples:
  pricing init my-shop-pricing            a rules repository from the samples, with CI
  pricing validate                        check the rules; every problem, file and key
  pricing quote --explain cart.json       what the shopper pays, and why, as a table
  pricing quote --date 2026-11-23 - < cart.json
  pricing rates update --from ecb --output rates.json
  pricing serve --rates rates.json --port 8000
  pricing i18n check                      translation coverage per market
  pricing markets doc --output docs/markets.md   every market as a table (docs)
  pricing diff --before main --after HEAD what a rule edit does to every market

\b
The rules folder is --rules DIR, else $PRICING_RULES, else the nearest rules/ folder in the
current folder or above it.

\b
Exit codes: 0 ok; 1 problems found (in rules, a catalog, a request or rates); 2 usage error
(unknown option, malformed value, missing path); 3 pricing diff found changes.
`pricing COMMAND --help` shows each command's options and examples.""")
@click.version_option(_version(), "-V", "--version", message=_version_message())
def cli() -> None:
    """The ``pricing`` command group (its help text is set above, with the version)."""


# -- validate -----------------------------------------------------------------------------------

@cli.command(short_help='Check the rules: every problem with file, line and key.', epilog="""\b
Examples:
  pricing validate                 the rules folder found as `pricing --help` says
  pricing validate rules/          a given folder (what a merchant's CI runs)
  pricing validate --warnings      also unconfirmed facts and sources checked over a year ago
  pricing validate --format github annotations on the lines of a pull request (Actions)
  pricing validate --format json   one JSON object: ok, problems, warnings""")
@click.argument("path", required=False, metavar="[RULES_DIR]")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]),
              default="text", show_default=True,
              help="text for people, json for scripts, github for GitHub Actions annotations.")
@click.option("--warnings", is_flag=True,
              help="Also list unconfirmed facts and sources checked over a year ago.")
def validate(path: str | None, fmt: str, warnings: bool) -> int:
    """Check a rules folder: exit 0 when it loads, 1 listing every problem with file, line,
    key, the value as written and the fix (pricing.markets.report)."""
    from pricing.markets.report import run

    folder = find_rules(path, param="RULES_DIR")
    return run(folder, fmt=fmt, warnings=warnings)  # type: ignore[arg-type]


# -- init ---------------------------------------------------------------------------------------

@cli.command(short_help="Start a rules repository from the samples, with a CI workflow.",
             epilog="""\b
Examples:
  pricing init my-shop-pricing     a new folder: rules/, locales/, catalog/, a CI workflow
  pricing init                     the current folder (none of its files is overwritten)

\b
Writes rules/ (every sample market), locales/ (product text), catalog/products.csv and
.github/workflows/pricing.yml (pricing validate on every push, pricing diff on every pull
request). The service's labels come with the package. Exits 1 without writing anything when
one of those files exists already.""")
@click.argument("folder", required=False, default=".", metavar="[DIR]",
                type=click.Path(file_okay=False, path_type=Path))
def init(folder: Path) -> int:
    """Write a rules repository a merchant can start from into DIR (default: here)."""
    from pricing.scaffold import WORKFLOW, init_repository

    try:
        made = init_repository(folder)
    except PricingError as e:
        raise report(e) from None
    o = out()
    markets = sum(1 for f in made.files if f.parts[:2] == ("rules", "markets"))
    o.line(f"ok: wrote {len(made.files)} files to {folder}: rules/ ({markets} sample markets), "
           f"locales/, catalog/, {WORKFLOW}")
    o.note("next: check each market's facts before production (they are samples), then "
           f"`pricing validate {folder / 'rules'}` and "
           f"`pricing serve --rules {folder / 'rules'}`")
    return 0


# -- quote --------------------------------------------------------------------------------------

def _rates_file(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not Path(value).is_file():
        raise click.BadParameter(f"{value!r} is not a file"
                                 + (" (it is a folder)" if Path(value).is_dir() else ""),
                                 ctx=ctx, param=param)
    return value


def _read_request(name: str) -> dict[str, Any]:
    try:
        text = sys.stdin.read() if name == "-" else Path(name).read_text("utf-8")
    except OSError as e:
        raise Fail(f"error: cannot read {name}: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        raise Fail(f"error: {name}: not UTF-8 text (byte {e.start}); save it as UTF-8") from None
    try:
        # JSON numbers stay floats here and the request validator refuses them by name: a
        # price must be a decimal string.
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise Fail(f"error: {name}: invalid JSON at line {e.lineno} column {e.colno}: "
                   f"{e.msg}") from None
    if not isinstance(data, dict):
        raise Fail(f"error: {name}: a quote request is a JSON object "
                   '{"destination": ..., "items": [...]}, not a JSON '
                   f"{type(data).__name__}")
    return data


def _request_day(data: dict[str, Any]) -> date | None:
    """The request's own date, for the bundled rates of that day; a bad one is left for the
    request validator to name."""
    try:
        return date.fromisoformat(data["date"]) if isinstance(data.get("date"), str) else None
    except ValueError:
        return None


@cli.command(short_help='Quote a request: what the shopper pays, and why.', epilog="""\b
Examples:
  pricing quote cart.json                    the quote as JSON (what POST /v1/quotes returns)
  pricing quote --explain cart.json          a table: every charge, its rule, base and rate
  pricing quote --explain --all cart.json    ... with the rows of zero too
  cat cart.json | pricing quote -            the request from stdin
  pricing quote --date 2026-11-23 --rates rates.json cart.json

\b
A request: {"destination": {"country": "US", "region": "CA"},
            "items": [{"sku": "TS-1", "quantity": 2, "hs_code": "610910",
                       "price": {"amount": "25.00", "currency": "EUR"}}]}""")
@click.argument("file", metavar="REQUEST.json")
@rules_option
@click.option("--rates", metavar="FILE", callback=_rates_file,
              help="Exchange rates (ECB XML, CSV or JSON, as `pricing rates update` writes). "
                   "Default: the bundled rates.")
@click.option("--date", "on", type=DateType(),
              help="Quote date, YYYY-MM-DD, for requests without one. Default: today. "
                   "Without --rates, the bundled rates of the quote date are used.")
@click.option("--format", "fmt", type=click.Choice(["json", "table"]), default=None,
              help="json: the quote itself (quote.to_dict()); table: the explanation. "
                   "Default: json.")
@click.option("--explain", is_flag=True, help="Same as --format table.")
@click.option("--all", "show_all", is_flag=True,
              help="With the table: also the rows whose amount is zero.")
def quote(file: str, rules: Path, rates: str | None, on: date | None, fmt: str | None,
          explain: bool, show_all: bool) -> int:
    """Quote a request (a JSON file, or - for stdin): the landed cost with every amount
    explained."""
    from pricing.engine import Engine
    from pricing.explain import explain as explain_quote
    from pricing.explain import render
    from pricing.fx import bundled_rates

    if file != "-" and not Path(file).is_file():
        raise click.BadParameter(f"{file!r} is not a file", param_hint="'REQUEST.json'")
    if explain and fmt == "json":
        raise click.UsageError("--explain asks for the table; it cannot go with --format json")
    data = _read_request(file)
    try:
        # Without a rates file, the bundled rates of the quote's own day: a past quote comes
        # out as it did that day.
        engine = Engine.from_directory(
            rules, rates=rates if rates else bundled_rates(on=_request_day(data) or on))
    except PricingError as e:
        raise report(e, where=str(rates) if isinstance(e, RatesError) else "") from None
    try:
        result = engine.quote(data, on=on)
    except PricingError as e:
        raise report(e, where="stdin" if file == "-" else file) from None
    o = out()
    if (fmt or ("table" if explain else "json")) == "json":
        o.json(result.to_dict())
    else:
        explanation = explain_quote(result, show_all=show_all)
        o.show(lambda console: render(explanation, console))
    return 0


# -- rates --------------------------------------------------------------------------------------

@cli.group(short_help='Show or update the exchange rates.', epilog="""\b
Examples:
  pricing rates show
  pricing rates update --from ecb --output rates.json

\b
Without --rates, quotes use the bundled rates: the ECB's reference rates (its history since
1999), the official pegs (AED, SAR, XOF, ...) and a dated snapshot for the other currencies;
every rate says where it comes from and its day. docs/rates.md has the details.""")
def rates() -> None:
    """Show or update the exchange rates quotes are converted with."""


@rates.command("show", short_help="The rate table: source, date, age, every rate.", epilog="""\b
Examples:
  pricing rates show                         the bundled rates
  pricing rates show --rates rates.json      a rates file
  pricing rates show --date 2025-01-05       the bundled rates a quote of that day uses
  pricing rates show --format json | jq .rates.USD""")
@click.option("--rates", metavar="FILE", callback=_rates_file,
              help="A rates file (ECB XML, CSV or JSON). Default: the bundled rates.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="table: one line per currency; json: the table as "
                                      "`rates update` writes it.")
@click.option("--date", "on", type=DateType(),
              help="The bundled rates of that day, YYYY-MM-DD (the ECB's last business day on "
                   "or before it). Default: the newest.")
@click.option("--json", "as_json", is_flag=True, hidden=True, help="Same as --format json.")
def rates_show(rates: str | None, fmt: str, on: date | None, as_json: bool) -> int:
    """Print the rate table: source, date, age, every rate and where it comes from."""
    from rich.table import Table

    from pricing.fx import bundled_rates, load_rates_file
    from pricing.rateupdate import describe_table

    try:
        table = load_rates_file(rates) if rates else bundled_rates(on=on)
    except PricingError as e:
        raise report(e, where=str(rates or "")) from None
    o = out()
    if as_json or fmt == "json":
        o.json(table.to_dict())
        return 0
    head, *lines = describe_table(table, today=date.today())
    o.line(head, style="bold")
    if o.terminal:
        grid = Table(show_edge=False, pad_edge=False)
        grid.add_column(f"1 {table.base} =", justify="right")
        grid.add_column("currency")
        grid.add_column("source, day (when not the table's)")
        for cur, rate in table.rates.items():
            if cur != table.base:
                origin = table.origins.get(cur)
                grid.add_row(str(rate), cur, "" if origin is None
                             else f"{origin.source}, {origin.as_of}")
        o.print(grid)
    else:
        for line in lines:
            o.line(line)
    return 0


def _update_source(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if value not in ("ecb", "live") and not Path(value).is_file():
        raise click.BadParameter(f"{value!r} is not a file (nor 'ecb' or 'live')",
                                 ctx=ctx, param=param)
    return value


@rates.command("update", short_help="Check new rates, then write them for the service.",
               epilog="""\b
Examples:
  pricing rates update --from ecb --output rates.json   (the ECB's daily file, fetched)
  pricing rates update --from eurofxref-daily.xml --output rates.json
  pricing rates update --from rates.csv            (base,date,currency,rate rows)
  pricing rates update --from live --timeout 10    (needs the live-rates extra)

\b
The new table is checked first (every rate positive, a date, known currencies), completed with
the official pegs and, for what it lacks, the bundled rates of its day; a warning names the
markets whose currency came from a peg or an older rate, or has no rate at all (--strict: exit
1 then, and write nothing). The output is replaced atomically, and left as it was when
anything is wrong.""")
@click.option("--from", "source", required=True, metavar="ecb|live|FILE",
              callback=_update_source,
              help="'ecb' (the ECB's daily XML, fetched), 'live' (forex-python), or an ECB XML, "
                   "CSV or JSON file.")
@click.option("--output", type=click.Path(path_type=Path), default=Path("rates.json"),
              show_default=True, callback=writable_file,
              help="JSON file to write; `serve --rates` and `quote --rates` read it.")
@click.option("--timeout", type=click.FloatRange(0, 300, min_open=True), default=10.0,
              show_default=True, help="Seconds for the whole fetch (ecb) or live rates.")
@click.option("--url", metavar="URL", default=None,
              help="Where --from ecb fetches. Default: the ECB's eurofxref-daily.xml.")
@click.option("--rules", "rules_dir", metavar="DIR", default=None,
              help="The rules whose markets the new rates are checked against. Default: "
                   "found as `pricing --help` says; none found, no check.")
@click.option("--strict", is_flag=True,
              help="Exit 1 and write nothing when a market would be left without a rate.")
def rates_update(source: str, output: Path, timeout: float, url: str | None,
                 rules_dir: str | None, strict: bool) -> int:
    """Check new exchange rates and only then write them where the service reads them."""
    from pricing.ratesources import ECB_DAILY_URL
    from pricing.rateupdate import update_rates

    o = out()
    rules = _rules_to_check(rules_dir)
    try:
        with o.status(f"fetching exchange rates ({source})"):
            result = update_rates(source, output, rules=rules, timeout=timeout,
                                  url=url or ECB_DAILY_URL, strict=strict)
    except PricingError as e:
        raise report(e, where="" if source in ("ecb", "live") else source) from None
    for w in result.warnings:
        o.warning(f"warning: {w}")
    t = result.table
    o.line(f"ok: wrote {len(t.rates) - 1} rates ({t.source}, {t.as_of}) to {output}")
    return 0


def _rules_to_check(given: str | None) -> Any:
    """The rules a rates update is checked against: ``given`` (must load), else the folder
    found as for other commands (a broken or missing one only skips the check)."""
    from pricing.markets import load_rules

    try:
        folder = find_rules(given)
    except click.UsageError:
        if given is not None:
            raise
        return None
    try:
        return load_rules(folder)
    except PricingError as e:
        if given is not None:
            raise report(e) from None
        out().warning(f"warning: the rules in {folder} do not load; the new rates are not "
                      "checked against the markets (pricing validate lists the problems)")
        return None


# -- serve --------------------------------------------------------------------------------------

def _serve_rates(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    return value if value == "live" else _rates_file(ctx, param, value)


def _port_free(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be served on, or None."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        return f"unknown host {host!r}: {e.strerror}"
    family, kind, proto, _, addr = infos[0]
    with socket.socket(family, kind, proto) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(addr)
        except OSError as e:
            return f"cannot listen on {host}:{port}: {e.strerror or e}"
    return None


def _needs_service(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    # Eager, so that an engine installed without the web stack says so before anything else.
    from pricing.extras import missing_extra

    if (error := missing_extra("service", feature="pricing serve")) is not None:
        raise report(error)


@cli.command(short_help='Run the HTTP service.', epilog="""\b
Examples:
  pricing serve                                   http://127.0.0.1:8000, bundled rates
  pricing serve --rates rates.json --port 8080
  pricing serve --rates live --workers 4          (needs PRICING_QUOTE_KEY)

\b
Endpoints, settings (PRICING_QUOTE_KEY, PRICING_ADMIN_TOKEN, ...) and error formats:
docs/service.md. Edits to the rules are picked up while it runs. Needs the service extra:
pip install 'crossborder-pricing[service]'.""")
@click.option("--check-service-extra", is_eager=True, expose_value=False, hidden=True,
              is_flag=True, callback=_needs_service)
@rules_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0: every interface).")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True,
              help="TCP port.")
@click.option("--workers", type=click.IntRange(1, 256), default=1, show_default=True,
              help="Worker processes (more than 1 needs PRICING_QUOTE_KEY).")
@click.option("--rates", metavar="FILE|live", default=None, callback=_serve_rates,
              help="A rates file (re-read on reload), or 'live' (forex-python, refreshed "
                   "hourly, falling back to the last good table). Default: bundled.")
@click.option("--locales", type=click.Path(exists=True, file_okay=False), default=None,
              help="Translation catalogs. Default: locales/ beside the rules folder.")
def serve(rules: Path, host: str, port: int, workers: int, rates: str | None,
          locales: str | None) -> int:
    """Run the HTTP service (quotes, markets, rates, health) until interrupted."""
    from pricing import service

    busy = _port_free(host, port)
    if busy:
        raise click.BadParameter(busy, param_hint="'--host' / '--port'")
    try:
        return int(service.serve(rules=rules, host=host, port=port, workers=workers,
                                 rates=rates, locales=locales) or 0)
    except PricingError as e:
        raise report(e) from None


# -- diff ---------------------------------------------------------------------------------------

@cli.command(short_help='What a rule edit does to carts in every market.', epilog="""\b
Examples:
  pricing diff                                 uncommitted edits of rules/ against HEAD
  pricing diff --before main --after HEAD      what a branch does to every market
  pricing diff --before old-rules/ --after rules/
  pricing diff --before main --market de --market fr --format markdown > comment.md
  pricing diff --before v1.2 --carts carts.jsonl --date 2026-07-01

\b
Without --carts, the carts are generated from the rules of both sides, per market: a typical
order from the shop and from abroad; for every regime with a value threshold one cart at half
of it and one at one and a half times it; one per region, tax category, duty rule and
shipping method. --carts FILE.jsonl: one quote request per line (the body of POST
/v1/quotes), with an optional "id".

\b
Exit codes: 0 nothing changed; 3 something changed (so CI can ask for a review); 1 a side's
rules do not validate (every problem, naming the side) or the carts file is unusable; 2 usage
(a revision or folder that does not exist, an unknown --market). A cart a market refuses is
listed, not fatal. docs/merchants.md has a GitHub Actions workflow.""")
@click.option("--before", "before", default="HEAD", show_default=True, metavar="DIR|REV",
              help="The rules before the edit: a folder, or a git revision (branch, tag, "
                   "commit) of the repository the rules folder is in.")
@click.option("--after", "after", default=None, metavar="DIR|REV",
              help="The rules after the edit, the same way. Default: the rules folder as it "
                   "is now (uncommitted edits included).")
@rules_option
@click.option("--carts", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, metavar="FILE.jsonl",
              help="Carts to quote, one JSON quote request per line. Default: sample carts "
                   "generated from both sides' rules.")
@click.option("--market", "markets", multiple=True, metavar="ID",
              help="Only the carts of this market (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown"]),
              default="table", show_default=True,
              help="table: for people; json: every cart, both sides, what moved; markdown: "
                   "a pull-request comment.")
@click.option("--rates", metavar="FILE", callback=_rates_file,
              help="Exchange rates for both sides. Default: the bundled rates.")
@click.option("--date", "on", type=DateType(),
              help="Quote date for every cart, YYYY-MM-DD. Default: today.")
def diff(before: str, after: str | None, rules: Path, carts: Path | None,
         markets: tuple[str, ...], fmt: str, rates: str | None, on: date | None) -> int:
    """Quote the same carts under two rule sets and show every total and charge that moved,
    with the rule keys responsible on both sides."""
    import tempfile

    from pricing import diff as d
    from pricing.engine import Engine
    from pricing.fx import bundled_rates, load_rates_file
    from pricing.markets import load_rules

    o = out()
    day = on or date.today()
    try:
        table = load_rates_file(rates) if rates else bundled_rates(on=on)
    except PricingError as e:
        raise report(e, where=str(rates or "")) from None
    with tempfile.TemporaryDirectory(prefix="pricing-diff-") as work:
        sides = []
        for name, spec in (("--before", before), ("--after", after)):
            try:
                sides.append(d.load_side(spec, name=name, rules=rules, workdir=Path(work))
                             if spec is not None else d.RulesSide(str(rules), rules))
            except d.SideError as e:
                if e.usage:
                    raise click.BadParameter(e.message, param_hint=f"'{name}'") from None
                raise Fail(f"error: {e.message}") from None
        loaded, problems = [], []
        for name, side in zip(("--before", "--after"), sides, strict=True):
            try:
                loaded.append(load_rules(side.folder))
            except PricingError as e:
                found = getattr(e, "problems", ()) or ()
                problems += [f"{name} {side.label}: {p}" for p in found] or [
                    f"{name} {side.label}: {e.message}"]
                problems.append(f"error: the rules of {name} {side.label} do not validate "
                                f"({len(found)} problem{'s' if len(found) != 1 else ''})")
        if problems:
            raise Fail(*problems)
        known = sorted(set(loaded[0].markets) | set(loaded[1].markets))
        for m in markets:
            if m not in known:
                guess = did_you_mean(m, known)
                raise click.BadParameter(
                    f"no market {m!r} on either side" + (f"; did you mean {guess!r}?" if guess
                                                         else "")
                    + f" (markets: {', '.join(known)})", param_hint="'--market'")
        if carts is not None:
            try:
                todo = d.read_carts(carts)
            except d.CartsError as e:
                raise Fail(*(str(p) for p in e.problems),
                           f"error: {len(e.problems)} bad line(s) in {carts}; nothing was "
                           "compared") from None
            except d.SideError as e:
                raise Fail(f"error: {e.message}") from None
        else:
            todo = [c for c in d.sample_carts(loaded, table, on=day)
                    if not markets or c.market in markets]
        engines = [Engine(r, rates=table) for r in loaded]
        with o.progress() as bar:
            task = bar.add_task("quoting carts on both sides", total=len(todo))
            result = d.compare(*engines, todo, on=day, labels=(sides[0].label, sides[1].label),
                               generated=carts is None, markets=markets,
                               progress=lambda: bar.advance(task))
    note = d.missing_rates(loaded, table, markets=markets)
    if note:
        o.warning(f"warning: {note}")
        result = replace(result, notes=(note,))
    if fmt == "json":
        o.json(d.report_dict(result))
    elif fmt == "markdown":
        o.line(d.render_markdown(result))
    else:
        o.show(lambda console: d.render(result, console))
    return EXIT_CHANGED if result.changed else 0


def _add_plugins() -> None:
    from pricing.feeds.cli import feed
    from pricing.l10n.cli import i18n
    from pricing.markets.cli import markets

    cli.add_command(i18n)
    cli.add_command(feed)
    cli.add_command(markets)


_add_plugins()


# -- the entry point ----------------------------------------------------------------------------

def _usage(e: click.UsageError, o: Out) -> None:
    path = e.ctx.command_path if e.ctx is not None else "pricing"
    message = " ".join(e.format_message().split())
    o.error(f"error: {message} (see '{path} --help')")


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``pricing`` with ``argv`` (default: the process arguments); the exit code.

    Nothing escapes as a traceback: usage errors exit 2, problems 1, each said in one line.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    o = Out()
    try:
        return int(cli.main(args=args, prog_name="pricing", standalone_mode=False, obj=o) or 0)
    except click.exceptions.NoArgsIsHelpError as e:
        o.error(e.ctx.get_help() if e.ctx is not None else str(e))
        return EXIT_USAGE
    except click.UsageError as e:
        _usage(e, o)
        return EXIT_USAGE
    except click.ClickException as e:  # FileError and friends: a path that cannot be used
        o.error(f"error: {' '.join(e.format_message().split())}")
        return e.exit_code
    except Fail as e:
        for line in e.lines:
            o.error(line)
        return e.code
    except PricingError as e:  # pragma: no cover - commands report their own
        for line in report(e).lines:
            o.error(line)
        return EXIT_PROBLEMS
    except (OutputClosed, BrokenPipeError):
        stdout_closed()
        return EXIT_OUTPUT_CLOSED
    except SystemExit:
        # click itself ends with exit 1 when a write of its own (help, version) meets a closed
        # pipe, after wrapping stdout to silence the final flush: the same quiet stop as ours.
        if type(sys.stdout).__name__ == "_PacifyFlushWrapper":
            return EXIT_OUTPUT_CLOSED
        raise
    except (click.Abort, KeyboardInterrupt):
        o.error("interrupted")
        return EXIT_INTERRUPTED
    except OSError as e:
        where = f" {e.filename}" if e.filename else ""
        o.error(f"error:{where} {e.strerror or e}")
        return EXIT_PROBLEMS
    except Exception as e:
        if os.environ.get("PRICING_DEBUG"):
            raise
        o.error(f"error: internal error ({type(e).__name__}: {e}); please report it, with "
                "the traceback that PRICING_DEBUG=1 shows")
        return EXIT_PROBLEMS


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
