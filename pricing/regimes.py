"""The regime stage: which regime of a market applies, by tests on where the parcel ships
from and on value thresholds in their own currency; it says how duty and tax are collected."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pricing.markets import Market
from pricing.markets.schema import Regime
from pricing.money import Money
from pricing.quote import Item, sum_money
from pricing.stages import QuoteContext, WorkLine

__all__ = ["DOMESTIC", "STANDARD", "regime_ref", "select_regime"]

#: When no regime of the market applies: duty charged, tax at import.
STANDARD = Regime(id="standard", name="Standard import: duty and import tax",
                  tax="import", duty="charged")
#: Parcels from inside the market's customs territory are not imports.
DOMESTIC = Regime(id="domestic", name="Domestic sale: no customs, tax at the sale",
                  tax="sale", duty="none")


def select_regime(ctx: QuoteContext, items: Sequence[Item], work: Sequence[WorkLine], *,
                  ship_from: str) -> tuple[Regime, list[dict[str, Any]]]:
    """The regime that applies to the cart, and every test tried with its outcome."""
    market, day, cur = ctx.market, ctx.day, ctx.currency
    tests: list[dict[str, Any]] = []
    territory = market.spec.customs_territory or market.spec.countries
    if ship_from in territory:
        tests.append({"regime": DOMESTIC.id, "passed": True,
                      "test": f"ships from {ship_from}, inside the market's customs "
                              "territory: not an import"})
        return DOMESTIC, tests
    for regime in market.spec.regimes:
        if not regime.in_force(day):
            continue
        if regime.ship_from and ship_from not in regime.ship_from:
            tests.append({"regime": regime.id, "passed": False,
                          "test": f"ships from {ship_from}, not from "
                                  f"{'/'.join(regime.ship_from)}"})
            continue
        limit_src = regime.max_value.at(day) if regime.max_value else None
        if limit_src is None:
            tests.append({"regime": regime.id, "passed": True, "test": "no threshold"})
            return regime, tests
        limit = ctx.to_local(limit_src)
        if regime.value_basis == "item":
            values = [Money(w.net.amount / q, cur).round()
                      for w, q in zip(work, (i.quantity for i in items), strict=True)]
            what = "each item's value"
        else:
            total = sum_money([w.net for w in work], cur)
            if regime.include_shipping:
                total = total + sum_money([w.ship_net for w in work], cur)
            values = [total.round()]
            what = "consignment value" + (" incl. shipping" if regime.include_shipping
                                          else " excl. shipping")
        ok = all((v <= limit) if regime.inclusive else (v < limit) for v in values)
        shown = max(values, key=lambda m: m.amount)
        sign = ("<=" if regime.inclusive else "<") if ok else (
            ">" if regime.inclusive else ">=")
        conv = f" ({limit} at the quote's rate)" if limit_src.currency != cur else ""
        tests.append({
            "regime": regime.id, "passed": ok,
            "test": f"{what} {shown} {sign} {limit_src}{conv}"
                    + (f": {regime.note}" if ok and regime.note else "")})
        if ok:
            return regime, tests
    tests.append({"regime": STANDARD.id, "passed": True, "test": "no other regime applied"})
    return STANDARD, tests


def regime_ref(market: Market, regime: Regime) -> str | None:
    """``file#regimes[i]`` of a regime of ``market`` (None for the built-in ones)."""
    # By identity: pydantic's == on rule models is slow and could match a twin regime.
    for i, r in enumerate(market.spec.regimes):
        if r is regime:
            return market.rule_ref("regimes", i)
    return None
