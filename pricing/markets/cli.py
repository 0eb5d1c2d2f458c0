"""``pricing markets doc``: write docs/markets.md from the rule files, or check it is current.

Without ``--output`` the document is printed; with it, written atomically. ``--check`` writes
nothing and exits 1, with a summary of the differences, when the file is not what the rules
give: what CI runs. ``--date`` shows the facts in force on another day than the default, the
latest day a source of the rules was checked (see :mod:`pricing.markets.overview`).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from click.core import ParameterSource

from pricing.console import DateType, Fail, out, report, rules_option, writable_file
from pricing.errors import PricingError

__all__ = ["markets"]


@click.group(short_help="The markets of the rules, as a document.", epilog="""\b
Examples:
  pricing markets doc --output docs/markets.md           write the table of every market
  pricing markets doc --output docs/markets.md --check   exit 1 when it is stale (CI)""")
def markets() -> None:
    """The markets of the rules: currency, tax, thresholds, valuation and sources."""


@markets.command(short_help="Write docs/markets.md from the rules, or --check it.", epilog="""\b
Examples:
  pricing markets doc                                    print the document
  pricing markets doc --output docs/markets.md           write it (what `make docs` runs)
  pricing markets doc --output docs/markets.md --check   exit 1 with the differences if stale
  pricing markets doc --date 2026-07-01                  the facts in force on another day

\b
The default day is the latest day a source of the rules was checked, so the document changes
when a rule file does, not when the calendar does. Exit codes: 0 written or current; 1 stale or
missing, or rules that do not load; 2 a usage error.""")
@rules_option
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="FILE", help="Write the document here (default: print it).")
@click.option("--check", is_flag=True,
              help="Write nothing; exit 1 with the differences when FILE is not current.")
@click.option("--date", "on", type=DateType(), default=None,
              help="The facts in force on this day. Default: the latest day a source of the "
                   "rules was checked.")
@click.pass_context
def doc(ctx: click.Context, rules: Path, output: Path | None, check: bool, on: date | None
        ) -> int:
    """Write the table of every market (currency, tax, thresholds, valuation, sources) as
    Markdown, or check that a file holds what the rules give."""
    from pricing.markets import load_rules
    from pricing.markets.overview import doc_date, market_rows, render_markdown

    if check and output is None:
        raise click.UsageError("--check needs --output FILE, the document to compare (e.g. "
                               "--output docs/markets.md)")
    if output is not None and not check:
        # A path that cannot be written fails before any work (exit 2), as for other commands.
        param = next(p for p in ctx.command.params if p.name == "output")
        writable_file(ctx, param, output)
    try:
        ruleset = load_rules(rules)
    except PricingError as e:
        raise report(e) from None
    day = on or doc_date(ruleset) or date.today()
    text = render_markdown(market_rows(ruleset, on=day, locale="en"), on=day)
    o = out()
    if output is None:
        o.line(text.rstrip("\n"))
        return 0
    if check:
        _check(output, text, command=_command(ctx, output, on))
        o.line(f"ok: {output} is current")
        return 0
    tmp = output.with_name(f".{output.name}.tmp")
    try:
        tmp.write_text(text, "utf-8")
        tmp.replace(output)  # a reader sees the old document or the new one, never half
    except OSError as e:
        raise Fail(f"error: cannot write {output}: {e.strerror or e}") from None
    o.line(f"ok: wrote {len(ruleset.markets)} markets, facts in force on {day}, to {output}")
    return 0


def _command(ctx: click.Context, output: Path, on: date | None) -> str:
    """The command that rewrites ``output`` as it was checked."""
    words = ["pricing markets doc"]
    if ctx.get_parameter_source("rules") == ParameterSource.COMMANDLINE:
        words += ["--rules", str(ctx.params["rules"])]
    words += ["--output", str(output)]
    if on is not None:
        words += ["--date", on.isoformat()]
    return " ".join(words)


def _check(target: Path, text: str, *, command: str) -> None:
    """Raise :class:`Fail` unless ``target`` holds ``text``: the differences, then one line
    naming the file and the command that rewrites it."""
    from pricing.markets.overview import stale_summary

    try:
        current = target.read_text("utf-8")
    except FileNotFoundError:
        raise Fail(f"error: {target} does not exist; write it with: {command}") from None
    except OSError as e:
        raise Fail(f"error: cannot read {target}: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        raise Fail(f"error: {target}: not UTF-8 text (byte {e.start}); write it again with: "
                   f"{command}") from None
    lines = stale_summary(current, text, name=target.as_posix())
    if lines:
        raise Fail(*(f"  {line}" for line in lines),
                   f"error: {target} is stale: the rules say otherwise; regenerate it with: "
                   f"{command}")
