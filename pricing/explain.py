"""The explanation of a quote a merchant reads: every amount, the rule behind it, its base and
rate, the regime tests, the exchange rate and the delivery estimate.

:func:`explain` is a pure function from a quote (a :class:`~pricing.quote.Quote` or its
``to_dict()`` form) to an :class:`Explanation`: titled sections of rows of text. Amounts come
formatted in the quote's locale (the ``formatted`` strings of ``to_dict()``), rates as
percentages in that locale, text in right-to-left scripts isolated (Unicode FSI ... PDI) so that
it cannot reorder the columns around it. :func:`render` prints an explanation with rich: a table
that wraps (never truncates) on a terminal, plain aligned text when piped.

>>> rate_percent("0.09975", "fr_CA"), rate_percent("0.19", "de_DE"), rate_percent("0.1", "en")
('9,975\\xa0%', '19\\xa0%', '10%')
>>> isolate("Total"), isolate("الإجمالي") == "\\u2068الإجمالي\\u2069"
('Total', True)
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel.numbers import format_percent

__all__ = ["Explanation", "Row", "Section", "explain", "isolate", "rate_percent", "render",
           "render_text"]

#: First strong isolate and pop directional isolate (Unicode UAX #9): the text between them
#: takes its own direction without reordering what surrounds it.
FSI, PDI = "\u2068", "\u2069"
_RTL_CLASSES = frozenset({"R", "AL", "RLE", "RLO", "RLI"})

_TOTALS = {
    "items": "Items", "shipping": "Shipping", "duties": "Duties", "taxes": "Taxes",
    "included_taxes": "Taxes included in prices", "fees": "Fees", "total": "Total",
    "due_at_checkout": "Due at checkout", "due_on_delivery": "Due on delivery",
}
#: Totals shown even when zero: what the shopper pays.
_ALWAYS = frozenset({"total", "due_at_checkout"})
_KINDS = {"shipping": "shipping", "duty": "duty", "tax": "tax", "fee": "fee"}


@dataclass(frozen=True, slots=True)
class Row:
    """One row of a section: its cells as text."""

    cells: tuple[str, ...]
    #: An amount of zero (folded unless all rows are asked for).
    zero: bool = False
    #: A row that sums up (totals): shown in bold on a terminal.
    strong: bool = False


@dataclass(frozen=True, slots=True)
class Section:
    """A titled table. Sections without column headers are lists of label and value."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    #: Indexes of the columns holding amounts (right-aligned).
    amounts: tuple[int, ...] = ()
    #: What was left out of this section (zero rows), as one sentence; empty when nothing.
    folded: str = ""


@dataclass(frozen=True, slots=True)
class Explanation:
    """A quote as sections a person reads; :func:`render` prints it."""

    title: str
    sections: tuple[Section, ...]
    warnings: tuple[str, ...]
    direction: str


def isolate(text: str) -> str:
    """``text`` between FSI and PDI when it holds right-to-left characters, else unchanged.

    Arabic amounts and labels then keep to their own cell: a bidi-aware terminal cannot move
    them, or the columns next to them, across the table.
    """
    if any(unicodedata.bidirectional(ch) in _RTL_CLASSES for ch in text):
        return f"{FSI}{text}{PDI}"
    return text


def rate_percent(rate: str | Decimal, locale: str) -> str:
    """A rate (a fraction, ``"0.0725"``) as a percentage in ``locale``, every digit kept."""
    return format_percent(Decimal(rate), locale=locale, decimal_quantization=False)


def _money(value: Mapping[str, Any] | None) -> str:
    return isolate(value["formatted"]) if value else ""


def _is_zero(value: Mapping[str, Any] | None) -> bool:
    return value is not None and Decimal(value["amount"]) == 0


def _fold_note(names: Sequence[str]) -> str:
    if not names:
        return ""
    n = len(names)
    return (f"{n} row{'s' if n != 1 else ''} of zero not shown ({', '.join(names)}); "
            "--all shows them")


def explain(quote: Any, *, show_all: bool = False) -> Explanation:
    """The explanation of ``quote`` (a ``Quote`` or its ``to_dict()``); zero amounts are
    folded into one sentence per section unless ``show_all``."""
    d: Mapping[str, Any] = quote.to_dict() if hasattr(quote, "to_dict") else quote
    loc = d["locale"]
    sections = [
        _overview(d, loc),
        _regime(d),
        _items(d),
        _charges(d, loc, show_all=show_all),
        _totals(d, show_all=show_all),
    ]
    title = (f"Quote for market {d['market']} on {d['date']}: "
             f"{d['totals']['total']['formatted']}")
    return Explanation(title=isolate(title), sections=tuple(sections),
                       warnings=tuple(d.get("warnings", ())), direction=d.get("direction",
                                                                               "ltr"))


def _overview(d: Mapping[str, Any], loc: str) -> Section:
    fx = d["fx"]
    age = fx.get("age_days")
    when = f"as of {fx['as_of']}" + (f", {age} days before the quote" if age else "")
    if fx.get("stale"):
        when += ": stale"
    fx_text = f"1 {fx['from']} = {fx['rate']} {fx['to']} ({fx['source']}, {when})"
    markup = Decimal(fx.get("markup") or 0)
    adjustment = Decimal(fx.get("adjustment") or 0)
    if markup:
        fx_text += f"; FX markup {rate_percent(markup, loc)}"
    if adjustment:
        fx_text += f"; price adjustment {rate_percent(adjustment, loc)}"
    ship = d.get("shipping_method") or {}
    delivery = ""
    if ship:
        days = ship.get("days") or []
        span = f"{days[0]}–{days[1]} days" if len(days) == 2 else ""
        delivery = f"{ship.get('name', '')} ({ship.get('id', '')}): " + isolate(
            ship.get("delivery", span)) + (f" ({span})" if span else "")
        if ship.get("weight_kg"):
            delivery += f"; {ship['weight_kg']} kg"
    incoterm = d["incoterm"]
    collect = ("duties and import taxes paid at checkout" if incoterm == "DDP" else
               "duties and import taxes paid by the shopper on delivery")
    rows = [
        ("Market", f"{d['market']} ({d['currency']})"),
        ("Date", d["date"]),
        ("Locale", d["locale"] + (" (right to left)" if d.get("direction") == "rtl" else "")),
        ("Prices", f"{d['price_display']} of tax; {incoterm}: {collect}"),
        ("Exchange rate", fx_text),
        ("Delivery", delivery),
        ("Rules", f"version {d['rules_version']}"),
    ]
    return Section("Quote", (), tuple(Row((k, v)) for k, v in rows if v))


def _regime(d: Mapping[str, Any]) -> Section:
    r = d["regime"]
    rows = [Row(("applies", f"{r['id']}: {isolate(r['name'])}"
                 + (f" ({r['rule']})" if r.get("rule") else "")
                 + f"; duty {r['duty']}, tax {r['tax']}"))]
    rows += [Row(("passed" if t["passed"] else "failed", f"{t['regime']}: {t['test']}"))
             for t in r.get("tests", ())]
    return Section("Regime", (), tuple(rows))


def _items(d: Mapping[str, Any]) -> Section:
    rows = []
    for ln in d["lines"]:
        item = ln["sku"] + (f"\n{isolate(ln['title'])}" if ln.get("title") else "")
        rows.append(Row((item, str(ln["quantity"]), _money(ln["unit_price"]),
                         _money(ln["subtotal"]), _money(ln["total"]), ln.get("price_note", ""))))
    return Section("Items", ("Item", "Qty", "Unit price", "Subtotal", "Landed", "How priced"),
                   tuple(rows), amounts=(1, 2, 3, 4))


def _base(c: Mapping[str, Any], *, show_all: bool) -> str:
    if not c.get("base"):
        return ""
    text = _money(c["base"])
    parts = [p for p in c.get("base_parts") or ()
             if show_all or not _is_zero(p.get("amount"))]
    if len(parts) == 1 and parts[0]["amount"]["amount"] == c["base"]["amount"]:
        return f"{text} ({parts[0]['part']})"  # one part: say what the base is, once
    if parts:
        text += " = " + " + ".join(f"{p['part']} {_money(p['amount'])}" for p in parts)
    return text


def _charges(d: Mapping[str, Any], loc: str, *, show_all: bool) -> Section:
    rows: list[Row] = []
    folded: list[str] = []
    for c in d["charges"]:
        label = c.get("label") or c["name"]
        name = isolate(label) + (f" ({c['name']})" if label != c["name"] else "")
        kind = _KINDS.get(c["kind"], c["kind"])
        flags = []
        if c.get("included"):
            flags.append("included in prices")
        if c.get("payable") == "delivery":
            flags.append("due on delivery")
        zero = _is_zero(c["amount"])
        if zero and not show_all:
            folded.append(f"{kind} {label}")
            continue
        cell = f"{name}\n{kind}" + (f", {', '.join(flags)}" if flags else "")
        rate = rate_percent(c["rate"], loc) if c.get("rate") is not None else ""
        rule = c["rule"] + (f"\n{c['note']}" if c.get("note") else "")
        rows.append(Row((cell, _money(c["amount"]), rate, _base(c, show_all=show_all), rule),
                        zero=zero))
    return Section("Charges", ("Charge", "Amount", "Rate", "Of (base)", "Rule and note"),
                   tuple(rows), amounts=(1, 2), folded=_fold_note(folded))


def _totals(d: Mapping[str, Any], *, show_all: bool) -> Section:
    rows: list[Row] = []
    folded: list[str] = []
    for key, value in d["totals"].items():
        label = _TOTALS.get(key, key.replace("_", " ").capitalize())
        zero = _is_zero(value)
        if zero and key not in _ALWAYS and not show_all:
            folded.append(label.lower())
            continue
        rows.append(Row((label, _money(value)), zero=zero, strong=key in _ALWAYS))
    return Section("Totals", (), tuple(rows), amounts=(1,), folded=_fold_note(folded))


# -- rendering --------------------------------------------------------------------------------

def _table(section: Section, *, terminal: bool) -> Any:
    from rich import box
    from rich.table import Table

    headed = bool(section.columns)
    table = Table(
        box=(box.SIMPLE_HEAD if headed else None) if terminal else None,
        show_header=headed, show_edge=False, pad_edge=False, highlight=False,
        header_style="bold" if terminal else "")
    columns = section.columns or tuple("" for _ in (section.rows[0].cells if section.rows
                                                     else ("", "")))
    for i, name in enumerate(columns):
        table.add_column(
            name, justify="right" if i in section.amounts else "left", overflow="fold",
            # The first column names the row: kept readable when a narrow terminal squeezes.
            min_width=14 if headed and i == 0 else None,
            style="bold" if terminal and not headed and i == 0 else None)
    for row in section.rows:
        style = "bold" if row.strong and terminal else ("dim" if row.zero and terminal else None)
        table.add_row(*row.cells, style=style)
    return table


def render(explanation: Explanation, console: Any) -> None:
    """Print ``explanation`` on a rich ``console``: styled tables that wrap on a terminal,
    plain aligned text otherwise."""
    from rich.text import Text

    terminal = bool(console.is_terminal)
    console.print(Text(explanation.title, style="bold" if terminal else ""))
    for section in explanation.sections:
        console.print()
        console.print(Text(section.title, style="bold underline" if terminal else ""))
        if section.rows:
            console.print(_table(section, terminal=terminal))
        if section.folded:
            console.print(Text(section.folded, style="dim" if terminal else ""))
    for w in explanation.warnings:
        console.print(Text(f"warning: {w}", style="yellow" if terminal else ""))


def render_text(explanation: Explanation, *, width: int | None = None) -> str:
    """``explanation`` as plain text (what ``pricing quote --explain`` prints when piped):
    columns aligned, no colour, no box drawing; lines as long as their content unless
    ``width`` is given (then long cells wrap, never truncate)."""
    import io

    from pricing.console import Out

    buffer = io.StringIO()
    if width is None:
        Out(stdout=buffer).show(lambda console: render(explanation, console))
    else:
        from rich.console import Console

        render(explanation, Console(file=buffer, width=width, force_terminal=False,
                                    color_system=None, highlight=False, emoji=False,
                                    markup=False, soft_wrap=False))
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"
