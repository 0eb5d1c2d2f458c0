"""Every market of a rule set in one table: as JSON-ready rows, and as docs/markets.md.

The rows are :meth:`Market.summary` on one day (what GET /v1/markets serves); the Markdown is
rendered from those rows alone, so the document and the API cannot say different things. The
document's day defaults to the latest day a source of the rules was checked, which makes it a
function of the rule files only: it goes stale when a rule file changes, not when the calendar
does (``pricing markets doc --check`` and the test suite compare it with the rules).

>>> from decimal import Decimal
>>> percent("0.19"), percent("0.0725"), percent("0.09975"), percent("0")
('19 %', '7.25 %', '9.975 %', '0 %')
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from pricing.markets.market import parse_source
from pricing.markets.ruleset import RuleSet

__all__ = [
    "DOC_COMMAND",
    "doc_date",
    "market_rows",
    "percent",
    "render_markdown",
    "stale_summary",
]

#: The command that writes the bundled document; said in its header and when it is stale.
DOC_COMMAND = "pricing markets doc --output docs/markets.md"

_TAX = {"sale": "tax at the sale", "import": "tax at import", "none": "no tax"}
_OP = {True: "≤", False: "<"}
# "<" only opens HTML before a letter, "/", "!" or "?": "< 300.00 GEL" stays as written.
_TAG = re.compile(r"<(?=[A-Za-z/!?])")


def doc_date(rules: RuleSet) -> date | None:
    """The latest day a source of ``rules`` was checked (None when no source is dated)."""
    days = [parse_source(text)["checked"] for m in rules.markets.values()
            for text in m.spec.sources]
    dated = [d for d in days if d]
    return date.fromisoformat(max(dated)) if dated else None


def market_rows(rules: RuleSet, *, on: date, locale: str | None = None
                ) -> list[dict[str, Any]]:
    """Every market's summary on ``on``, in market id order; payment method names in
    ``locale`` (default: each market's own language)."""
    return [m.summary(on=on, locale=locale) for m in rules.markets.values()]


def percent(rate: str | Decimal | None) -> str:
    """A rate written as a percentage without trailing zeros (``"0.10"`` is ``10 %``)."""
    if rate is None:
        return "not in force"
    return f"{(Decimal(rate) * 100).normalize():f} %"


# -- Markdown ----------------------------------------------------------------------------------

def render_markdown(rows: Sequence[Mapping[str, Any]], *, on: date) -> str:
    """docs/markets.md: an overview table of ``rows`` and a section per market."""
    countries = sum(len(r["countries"]) for r in rows)
    checked = [s["checked"] for r in rows for s in r["sources"] if s["checked"]]
    why = " (the latest day a source was checked)" if checked and max(checked) == (
        on.isoformat()) else ""
    out = [
        "# Markets",
        "",
        f"<!-- Generated from the rule files by `{DOC_COMMAND}`. Do not edit: change the",
        "rule files and run the command again. `make test` fails while this file is stale. -->",
        "",
        f"{len(rows)} markets serving {countries} countries, as the bundled rule files state "
        f"them on **{on.isoformat()}**{why}. GET /v1/markets "
        "serves the same facts, on any day (`?date=YYYY-MM-DD`).",
        "",
        "- **Tax**: the standard rate of each tax component; category rates (books, food, "
        "...) are counted here and listed under the market. Rates apply to the base the "
        "market taxes.",
        "- **Thresholds**: the value tests of the market's regimes, tried in order; the first "
        "that passes says how tax and duty are collected (`≤` up to and including, `<` "
        "strictly below). Amounts are in the currency the law states them in and are "
        "compared after conversion at the quote's rate.",
        "- **Valuation**: the customs value, CIF (goods, freight and insurance) or FOB (goods "
        "only), times a factor where the market values goods below their price.",
        "- **Unconfirmed**: facts the market file marks as not confirmed from a public source "
        "(`pricing validate --warnings` lists them); never presented as fact.",
        "",
        "## Overview",
        "",
        "| Market | Countries | Currency | Prices | Incoterm | Tax | Category rates | "
        "Thresholds | Valuation | Unconfirmed | Sources checked |",
        "|---|---|---|---|---|---|---:|---|---|---:|---|",
    ]
    for r in rows:
        out.append("| " + " | ".join([
            f"[{r['id']}](#{r['id']}) {_cell(r['name'])}",
            ", ".join(r["countries"]),
            r["currency"],
            "incl. tax" if r["price_display"] == "inclusive" else "excl. tax",
            r["incoterm"],
            _cell(_tax_brief(r)),
            str(r["category_rates"]),
            _cell(_thresholds_brief(r["regimes"])),
            _valuation(r["valuation"]),
            str(len(r["unconfirmed"])),
            _checked_span(r["sources"]),
        ]) + " |")
    out += ["", "## Markets", ""]
    for r in rows:
        out += _section(r)
    return "\n".join(out).rstrip("\n") + "\n"


def stale_summary(current: str, expected: str, *, name: str, limit: int = 12) -> list[str]:
    """Lines saying how ``current`` (the file ``name``) differs from ``expected``: a count of
    changed lines and the first ``limit`` lines of a unified diff (empty when they agree)."""
    if current == expected:
        return []
    diff = list(difflib.unified_diff(current.splitlines(), expected.splitlines(),
                                     f"{name} (in the file)", f"{name} (from the rules)",
                                     n=0, lineterm=""))
    removed = sum(1 for d in diff if d.startswith("-") and not d.startswith("---"))
    added = sum(1 for d in diff if d.startswith("+") and not d.startswith("+++"))
    body = diff[2:]
    shown = body[:limit]
    more = len(body) - len(shown)
    return [f"{added} line{'s' if added != 1 else ''} to add, {removed} to remove:",
            *shown, *([f"... and {more} more diff lines"] if more else [])]


def _section(r: Mapping[str, Any]) -> list[str]:
    out = [f'<a id="{r["id"]}"></a>', "", f"### {r['id']}: {_text(r['name'])}", ""]
    where = ", ".join(r["countries"])
    if r["exclude_regions"]:
        where += f" (not {', '.join(r['exclude_regions'])})"
    display = "including tax" if r["price_display"] == "inclusive" else "excluding tax"
    out.append(f"- **Where**: {where}; {r['currency']}; prices shown {display}; "
               f"{r['incoterm']}; languages {', '.join(r['locales'])} (default "
               f"{r['default_locale']})")
    tax = r["tax"]
    if tax is None:
        out.append("- **Tax**: none")
    else:
        how = (f"on {_parts(tax['base'])}; rounded per {tax['rounding']}, "
               f"{tax['rounding_mode'].replace('_', ' ')}")
        if tax["waive_at_or_below"]:
            how += f"; not collected at or below {_amount(tax['waive_at_or_below'])}"
        out.append(f"- **Tax** ({how}):")
        out += [f"  - {_component(c)}" for c in tax["components"]]
        if r["requires_region"]:
            out.append("  - a quote needs the destination region (ISO 3166-2)")
    duty = r["duty"]
    line = f"- **Duty**: customs value {_valuation(r['valuation'])}"
    if duty["default_rate"] is not None and duty["rules"]:
        line += (f"; {percent(duty['default_rate'])} where none of its {duty['rules']} "
                 f"HS or origin rule{'s' if duty['rules'] != 1 else ''} applies")
    elif duty["default_rate"] is not None:
        line += f"; {percent(duty['default_rate'])} on all goods"
    if duty["waive_at_or_below"]:
        line += f"; not collected at or below {_amount(duty['waive_at_or_below'])}"
    out.append(line)
    out.append("- **Regimes**, tried in order:")
    if r["customs_territory"] != r["countries"]:
        out.append(f"  - shipped from inside the customs territory "
                   f"({len(r['customs_territory'])} countries): a domestic sale, tax at the "
                   "sale, no duty")
    out += [f"  - {_regime(g)}" for g in r["regimes"]]
    out += [f"  - from {g['from']}: {_regime(g)}" for g in r["upcoming_regimes"]]
    if r["shipping_methods"]:
        out.append("- **Shipping**: " + "; ".join(
            f"{_text(m['name'])} {m['days'][0]}–{m['days'][1]} days"
            + (" (default)" if m["default"] else "") for m in r["shipping_methods"]))
    else:
        out.append("- **Shipping**: none (duty and tax quotes only)")
    out.append("- **Payment methods**: " + (", ".join(
        f"{_text(p['name'])} (`{p['id']}`)" for p in r["payment_methods"]) or "none listed"))
    if r["unconfirmed"]:
        out.append(f"- **Unconfirmed** ({len(r['unconfirmed'])}):")
        out += [f"  - `{u['key']}`: {_text(u['why'])}" for u in r["unconfirmed"]]
    else:
        out.append("- **Unconfirmed**: none")
    out.append("- **Sources**:" if r["sources"] else "- **Sources**: none listed")
    out += [f"  - {_text(s['source'])} "
            + (f"(checked {s['checked']})" if s["checked"] else "(undated)")
            for s in r["sources"]]
    out.append("")
    return out


def _component(c: Mapping[str, Any]) -> str:
    text = f"{_text(c['name'])} {percent(c['rate'])}"
    if c["regions"]:
        text += f" in {', '.join(c['regions'])}"
        if c["replaces"]:
            text += f" (instead of {_text(c['replaces'])})"
    if c["base"]:
        text += f", on {_parts(c['base'])}"
    if c["includes_itself"]:
        text += ", part of its own base"
    if c["categories"]:
        text += "; " + ", ".join(f"{_text(k)} {percent(v)}" for k, v in c["categories"].items())
    change = c["next_change"]
    if change:
        text += f"; from {change['from']}: {percent(change['rate'])}"
    return text


def _tax_brief(r: Mapping[str, Any]) -> str:
    """The standard rates, one entry per component name: ``GST 5 % (8 regions)``."""
    if r["tax"] is None:
        return "none"
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for c in r["tax"]["components"]:
        groups.setdefault(c["name"], []).append(c)
    parts = []
    for name, comps in groups.items():
        rates = sorted({Decimal(c["rate"]) for c in comps if c["rate"] is not None})
        shown = (percent(rates[0]) if len(rates) == 1 else
                 f"{percent(rates[0])[:-2]}–{percent(rates[-1])}" if rates else "not in force")
        text = f"{name} {shown}"
        if comps[0]["base"]:
            text += f" on {_parts(comps[0]['base'])}"
        regions = [reg for c in comps for reg in c["regions"]]
        if regions and all(c["regions"] for c in comps):
            text += f" ({regions[0]})" if len(regions) == 1 else f" ({len(regions)} regions)"
        elif regions:
            text += " (by region)"
        parts.append(text)
    return "; ".join(parts)


def _thresholds_brief(regimes: Iterable[Mapping[str, Any]]) -> str:
    """The value tests in order and what happens past them: ``≤ 135.00 GBP: tax at the sale,
    no duty; else tax at import, duty``."""
    parts = []
    for g in regimes:
        cond = _conditions(g)
        if g["max_value"] is None:
            parts.append(("else " if parts else "") + (f"{cond}: " if cond else "")
                         + _collected(g))
            if not cond:
                break
            continue
        test = f"{_OP[g['inclusive']]} {_amount(g['max_value'])}"
        if g["value_basis"] == "item":
            test += " per item"
        parts.append(" ".join(filter(None, [cond, test])) + f": {_collected(g)}")
    if not any(g["max_value"] for g in regimes):
        return "none: " + "; ".join(parts)
    return "; ".join(parts)


def _regime(g: Mapping[str, Any]) -> str:
    tests = []
    cond = _conditions(g)
    if cond:
        tests.append(cond)
    if g["max_value"] is not None:
        what = "each item's value" if g["value_basis"] == "item" else "consignment value"
        what += " incl. shipping" if g["include_shipping"] else " excl. shipping"
        if g["valuation_factor"] is not None:
            what += f" at {g['valuation_factor']} of the price"
        tests.append(f"{what} {_OP[g['inclusive']]} {_amount(g['max_value'])}")
    head = f"`{g['id']}`" + (" (built in)" if g["builtin"] else "")
    when = ", ".join(tests) if tests else "otherwise"
    text = f"{head} {_text(g['name'])}. {when[0].upper()}{when[1:]}: {_collected(g)}"
    if g["to"]:
        text += f"; until {g['to']}"
    return text + "."


def _conditions(g: Mapping[str, Any]) -> str:
    words = []
    if g["regions"]:
        words.append(f"to {'/'.join(g['regions'])}")
    if g["ship_from"]:
        words.append(f"from {'/'.join(g['ship_from'])}")
    if g["origin_in"]:
        words.append(f"goods made in {'/'.join(g['origin_in'])}")
    if g["origin_not_in"]:
        words.append(f"no goods made in {'/'.join(g['origin_not_in'])}")
    return ", ".join(words)


def _collected(g: Mapping[str, Any]) -> str:
    duty = g["duty"]
    if duty == "none":
        said = "no duty"
    elif duty == "charged":
        said = "duty charged"
    elif duty == "per_category":
        said = (f"duty {_amount(g['per_category_duty'])} per tariff category "
                f"({g['category_digits']} HS digits)")
    else:
        said = f"duty {percent(g['duty_rate'])} of the customs value"
        if g["duty_deduction"]:
            said += f" less {_amount(g['duty_deduction'])}"
    return f"{_TAX[g['tax']]}, {said}"


def _parts(base: Iterable[str]) -> str:
    """A tax base for people: ``customs value + duty``."""
    return " + ".join(_text(p.replace("_", " ")) for p in base)


def _valuation(v: Mapping[str, str]) -> str:
    return v["basis"] if Decimal(v["factor"]) == 1 else f"{v['basis']} × {v['factor']}"


def _amount(m: Mapping[str, str] | None) -> str:
    return "not in force" if m is None else f"{m['amount']} {m['currency']}"


def _checked_span(sources: Sequence[Mapping[str, str | None]]) -> str:
    days = sorted({s["checked"] for s in sources if s["checked"]})
    undated = sum(1 for s in sources if not s["checked"])
    if not days:
        return "undated" if sources else "no sources"
    span = days[0] if len(days) == 1 else f"{days[0]} – {days[-1]}"
    return span + (f" ({undated} undated)" if undated else "")


def _text(text: str) -> str:
    """Rule-file text made inert in Markdown: no HTML tags, no emphasis, one line."""
    text = " ".join(text.split()).replace("\\", "\\\\").replace("*", "\\*")
    return _TAG.sub("&lt;", text.replace("`", "\\`"))


def _cell(text: str) -> str:
    return _text(text).replace("|", "\\|")
