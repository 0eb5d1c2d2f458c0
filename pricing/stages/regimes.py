"""Stage 3, the regime: which regime of a market applies, by tests on where the parcel ships
from and on value thresholds in their own currency; it says how duty and tax are collected."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pricing.stages.plan import MarketPlan, RegimePlan

__all__ = ["select_regime"]


def select_regime(plan: MarketPlan, quantities: Sequence[int], nets: Sequence[Decimal],
                  ship_nets: Sequence[Decimal], *, ship_from: str
                  ) -> tuple[RegimePlan, list[dict[str, Any]]]:
    """The regime that applies to the cart, and every test tried with its outcome.

    ``nets`` and ``ship_nets`` are the lines' goods and shipping values net of any tax inside
    the displayed prices; a threshold compares them, rounded half-up to the minor unit, with its
    limit converted at the quote's rate (also rounded half-up).
    """
    tests: list[dict[str, Any]] = []
    if ship_from in plan.territory:
        tests.append({"regime": plan.domestic.regime.id, "passed": True,
                      "test": f"ships from {ship_from}, inside the market's customs "
                              "territory: not an import"})
        return plan.domestic, tests
    unit, cur = plan.unit, plan.currency
    for rp in plan.regimes:
        regime = rp.regime
        if rp.ship_from and ship_from not in rp.ship_from:
            tests.append({"regime": regime.id, "passed": False,
                          "test": f"ships from {ship_from}, not from "
                                  f"{'/'.join(regime.ship_from)}"})
            continue
        limit = rp.limit
        if limit is None:
            tests.append({"regime": regime.id, "passed": True, "test": "no threshold"})
            return rp, tests
        if rp.per_item:
            values = [(n / q).quantize(unit, rounding=ROUND_HALF_UP)
                      for n, q in zip(nets, quantities, strict=True)]
            what = "each item's value"
        else:
            total = sum(nets, Decimal(0))
            if rp.include_shipping:
                total += sum(ship_nets, Decimal(0))
            values = [total.quantize(unit, rounding=ROUND_HALF_UP)]
            what = "consignment value" + (" incl. shipping" if rp.include_shipping
                                          else " excl. shipping")
        if rp.inclusive:
            ok = all(v <= limit for v in values)
            sign = "<=" if ok else ">"
        else:
            ok = all(v < limit for v in values)
            sign = "<" if ok else ">="
        tests.append({
            "regime": regime.id, "passed": ok,
            "test": f"{what} {max(values)} {cur} {sign} {rp.limit_text}"
                    + (f": {regime.note}" if ok and regime.note else "")})
        if ok:
            return rp, tests
    tests.append({"regime": plan.standard.regime.id, "passed": True,
                  "test": "no other regime applied"})
    return plan.standard, tests
